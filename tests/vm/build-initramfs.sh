#!/bin/bash
# Builds the initramfs that tests/vm/run-vm.sh boots for one suite: the
# base stage (busybox, the runtime under test as /bin/berth with the shared
# libraries it loads, jq, a busybox bundle at /bundle, the in-VM helpers at
# /tests/vm-lib.sh and /init), then whatever the suite's suite_stage adds.
#
#   build-initramfs.sh RUNTIME OUTPUT [SUITE-FILE]
#
# RUNTIME is normally build/berth; any runc-compatible binary works (runc
# itself is how the tests are checked). Inside the VM it is always
# /bin/berth. OUTPUT is a gzip-compressed newc cpio archive. SUITE-FILE is a
# tests/vm/suite-NAME.sh (default suite-v2.sh; README.md describes what it
# may define). Everything else lives in a temporary directory removed at
# exit.
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 RUNTIME OUTPUT [SUITE-FILE]" >&2
  exit 2
fi
runtime=$1
output=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite_file=${3:-$here/suite-v2.sh}
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

for tool in cpio jq gzip ldd; do
  command -v "$tool" >/dev/null || { echo "build-initramfs: $tool is missing" >&2; exit 1; }
done
[ -x "$runtime" ] || { echo "build-initramfs: $runtime is not an executable" >&2; exit 1; }
[ -r "$suite_file" ] || { echo "build-initramfs: no suite file $suite_file" >&2; exit 1; }
# Absolute, because the spec step runs in another directory.
runtime=$(realpath "$runtime")
suite_file=$(realpath "$suite_file")
suite_name=$(basename "$suite_file" .sh)
suite_name=${suite_name#suite-}

# A suite for another architecture says which (SUITE_ARCH): the runtime
# was cross-built for it, and busybox and jq come from its sysroot.
# shellcheck source=/dev/null
suite_arch=$(SUITE_ARCH="" && . "$suite_file" && echo "$SUITE_ARCH")
if [ -n "$suite_arch" ]; then
  # shellcheck source=scripts/cross-arch.sh
  . "$here/../../scripts/cross-arch.sh"
  cross_arch "$suite_arch"
  VM_SYSROOT=$sysroot VM_QEMU_USER=qemu-$qemu-static VM_BUSYBOX=$sysroot/bin/busybox
fi

ldd_out=$(LC_ALL=C ldd "$VM_BUSYBOX" 2>&1 || true)
if [[ $ldd_out != *"not a dynamic executable"* ]]; then
  echo "build-initramfs: $VM_BUSYBOX is not static (install busybox-static)" >&2
  exit 1
fi

VM_STAGE=$(mktemp -d "${TMPDIR:-/tmp}/berth-initramfs.XXXXXX")
export VM_STAGE
trap 'rm -rf "$VM_STAGE"' EXIT
stage=$VM_STAGE

# --- the VM's own root -----------------------------------------------------
install_busybox "$stage"
mkdir -p "$stage"/{dev,proc,sys,tmp,run,newroot,etc/berth-vm,tests}
install_dynamic "$runtime" /bin/berth
install_dynamic "$VM_SYSROOT$(command -v jq)" /bin/jq
# The runtime's name and version, to print in the results.
vm_target_run "$runtime" --version 2>/dev/null | head -n 1 >"$stage/etc/runtime-version" || true
install_file "$here/init.sh" /init 0755
install_file "$here/vm-lib.sh" /tests/vm-lib.sh 0644

# --- the container bundle --------------------------------------------------
bundle=$stage/bundle
install_busybox "$bundle/rootfs"
mkdir -p "$bundle/rootfs"/{dev,proc,sys,tmp,etc}
echo 'root:x:0:0:root:/:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"
# The base config comes from the runtime itself so it tracks its defaults;
# the tests adjust it per container with jq inside the VM.
(cd "$bundle" && vm_target_run "$runtime" spec)
jq '.process.args = ["sh", "-c", "true"]
    | .process.terminal = false
    | .linux.cgroupsPath = "/berth-vm-test"' \
  "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# --- the suite ---------------------------------------------------------------
SUITE_TESTS="" SUITE_INIT=""
# shellcheck source=/dev/null
. "$suite_file"
if declare -F suite_stage >/dev/null; then
  suite_stage "$stage" "$runtime"
fi
[ -n "$SUITE_TESTS$SUITE_INIT" ] ||
  { echo "build-initramfs: $suite_file sets neither SUITE_TESTS nor SUITE_INIT" >&2; exit 1; }
for path in $SUITE_TESTS $SUITE_INIT; do
  [ -e "$stage/$path" ] || { echo "build-initramfs: suite $suite_name did not stage $path" >&2; exit 1; }
done
# init.sh reads this to know what to run; values are single words.
{
  echo "SUITE_NAME=$suite_name"
  echo "SUITE_TESTS=$SUITE_TESTS"
  echo "SUITE_INIT=$SUITE_INIT"
} >"$stage/etc/berth-vm/suite"

# The kernel unpacks newc archives only; owners are root in the VM anyway.
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
  gzip -1 >"$output"
