# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "v2": cgroup v2 with real containers (v2-tests.sh) on the VM's pure
# cgroup2 hierarchy, every controller the kernel has enabled by /init.

# hugetouch is compiled here; busybox cannot mmap huge pages.
SUITE_PACKAGES=(gcc libc6-dev)
SUITE_MEMORY=512
# 2 MiB pages reserved at boot for the hugetlb test.
SUITE_APPEND="hugepages=16"
SUITE_TIMEOUT=300
# /dev/nvme0n1, for the io.max test.
SUITE_DISK_MB=64
SUITE_TESTS=/tests/v2-tests.sh

suite_stage() {
  local stage=$1 here
  here=$(dirname "${BASH_SOURCE[0]}")
  install_file "$here/v2-tests.sh" /tests/v2-tests.sh 0755
  # Static, so the container rootfs needs no libraries.
  gcc -static -O2 -Wall -Werror -o "$stage/bin/hugetouch" "$here/hugetouch.c"
  cp "$stage/bin/hugetouch" "$stage/bundle/rootfs/bin/hugetouch"
}
