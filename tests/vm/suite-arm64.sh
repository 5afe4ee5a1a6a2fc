# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "arm64": the core lifecycle (arm64-tests.sh) with berth cross-built
# for aarch64 (scripts/cross-build.sh arm64) in an arm64 VM: Debian's arm64
# cloud kernel on qemu-system-aarch64's virt board, TCG, pure cgroup2.
# busybox, jq and the libraries come from the arm64 sysroot.

SUITE_ARCH=arm64
SUITE_PACKAGES=(qemu-system-arm qemu-user-static)
SUITE_MEMORY=512
SUITE_TIMEOUT=300
SUITE_TESTS=/tests/arm64-tests.sh

# The unit test programs that tests/cross cannot run under qemu-user, for
# a real arm64 kernel; run-vm.sh has just cross-built them. Not here:
# test_idmap (its idmapped mounts are on tmpfs, which Linux 6.1 cannot
# idmap), test_rootfs (it masks /proc/acpi, absent on this device-tree
# board) and test_netdev (it needs iproute2).
UNIT_TESTS="test_arch test_seccomp test_proc_controls test_devices_bpf test_keyring test_lsm test_hostcheck"

suite_stage() {
  local here t
  here=$(dirname "${BASH_SOURCE[0]}")
  install_file "$here/arm64-tests.sh" /tests/arm64-tests.sh 0755
  for t in $UNIT_TESTS; do
    install_dynamic "$here/../../build-cross-arm64/$t" "/tests/unit/$t"
  done
}
