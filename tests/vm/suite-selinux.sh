# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "selinux": process.selinuxLabel, exec --process-label, the session
# keyring's label and linux.mountLabel with SELinux really on
# (selinux-tests.sh). Debian's cloud kernel has SELinux built in but
# AppArmor is its default LSM, and it has no selinux= parameter
# (SECURITY_SELINUX_BOOTPARAM is off): security=selinux picks SELinux
# instead. enforcing=0 (SECURITY_SELINUX_DEVELOP is on) starts it
# permissive; one test switches to enforcing and back.
#
# The policy is selinux-policy.cil, compiled here with secilc; the host
# needs no SELinux of its own.

# secilc compiles the policy, gcc the static selinux-probe.
SUITE_PACKAGES=(secilc gcc libc6-dev)
SUITE_MEMORY=512
SUITE_APPEND="security=selinux enforcing=0"
SUITE_TIMEOUT=300
SUITE_TESTS=/tests/selinux-tests.sh

suite_stage() {
  local stage=$1 here
  here=$(dirname "${BASH_SOURCE[0]}")
  # -f: secilc writes a file_contexts file, which the VM does not use.
  secilc -o "$stage/etc/berth-vm-selinux.policy" -f /dev/null "$here/selinux-policy.cil" ||
    { vm_say "selinux: secilc could not compile selinux-policy.cil"; return 1; }
  install_file "$here/selinux-tests.sh" /tests/selinux-tests.sh 0755
  # Static, so the container rootfs needs no libraries.
  gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/selinux-probe" "$here/selinux-probe.c"
  cp "$stage/bin/selinux-probe" "$stage/bundle/rootfs/bin/selinux-probe"
}
