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

suite_stage() {
  install_file "$(dirname "${BASH_SOURCE[0]}")/arm64-tests.sh" /tests/arm64-tests.sh 0755
}
