# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "systemd": the systemd cgroup driver under Debian's real systemd as
# PID 1, on pure cgroup2, with no D-Bus daemon (berth and systemctl talk to
# systemd on its private socket). Stage 1 of /init copies the initramfs
# onto a tmpfs and switch_roots into /lib/systemd/systemd, which boots
# straight into berth-vm.target: one oneshot service that runs
# systemd-vm-tests.sh on the serial console and powers the VM off when it
# ends. Nothing else is started: no unit files but ours are staged, so the
# slow parts of a boot (udev, journald, generators, getty) never load.

SUITE_PACKAGES=(systemd)
SUITE_MEMORY=768
# show_status=0 and log_target=kmsg keep systemd's own lines off the
# console (loglevel=4 filters the kernel log there), so the result lines
# stay whole.
SUITE_APPEND="systemd.unit=berth-vm.target systemd.show_status=0 systemd.log_target=kmsg systemd.log_level=info systemd.unified_cgroup_hierarchy=1"
SUITE_TIMEOUT=420
SUITE_INIT=/lib/systemd/systemd

suite_stage() {
  local stage=$1 here lib
  here=$(dirname "${BASH_SOURCE[0]}")
  install_dynamic /lib/systemd/systemd
  install_dynamic "$(command -v systemctl)" /bin/systemctl
  # berth loads libsystemd with dlopen, so ldd does not name it.
  # awk reads to the end: an early exit would kill ldconfig with SIGPIPE,
  # which pipefail turns into a failure.
  lib=$(ldconfig -p | awk '$1 == "libsystemd.so.0" && $NF ~ /^\// && !found { print $NF; found = 1 }')
  [ -n "$lib" ] || { echo "suite systemd: no libsystemd.so.0 on this host" >&2; return 1; }
  install_dynamic "$lib"
  # A static berth has no loader of its own mapped, so dlopen looks the
  # loader up as libc.so.6 names it, in the library directories, where
  # Debian keeps it too (ldd names only the /lib64 path).
  install_file "$(readlink -f /lib64/ld-linux-x86-64.so.2)" /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 0755
  install_file "$here/systemd-vm-tests.sh" /tests/systemd-vm-tests.sh 0755
  install_file /etc/os-release /etc/os-release 0644
  # A machine id makes this a boot like any other, not a first boot (which
  # would apply presets and run firstboot).
  echo 0123456789abcdef0123456789abcdef >"$stage/etc/machine-id"
  printf '%s\n' 'root:x:0:0:root:/:/bin/sh' 'nobody:x:65534:65534:nobody:/:/bin/false' >"$stage/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$stage/etc/group"
  mkdir -p "$stage/etc/systemd/system"
  cat >"$stage/etc/systemd/system/berth-vm.target" <<'UNIT'
[Unit]
Description=berth VM tests
Wants=berth-vm-tests.service
AllowIsolate=yes
UNIT
  cat >"$stage/etc/systemd/system/berth-vm-tests.service" <<'UNIT'
[Unit]
Description=berth systemd cgroup driver tests
DefaultDependencies=no
# Whatever happens to the tests, the VM ends (run-vm.sh reads the verdict
# from the console): no shutdown units are staged, so immediately.
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=oneshot
ExecStart=/tests/systemd-vm-tests.sh
Environment=PATH=/bin HOME=/ TERM=dumb
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
TimeoutStartSec=infinity
UNIT
}
