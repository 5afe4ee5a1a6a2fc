#!/bin/bash
# Builds the initramfs that tests/vm/run-vm.sh boots: busybox, the runtime
# under test with the shared libraries it loads, jq, a busybox bundle for
# containers, the cgroup v2 tests and /init.
#
#   build-initramfs.sh RUNTIME OUTPUT
#
# RUNTIME is normally build/berth; any runc-compatible binary works (runc
# itself is how the tests are checked). Inside the VM it is always
# /bin/berth. OUTPUT is a gzip-compressed newc cpio archive. Everything
# else lives in a temporary directory removed at exit.
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 RUNTIME OUTPUT" >&2
  exit 2
fi
runtime=$1
output=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for tool in cpio jq gzip gcc ldd; do
  command -v "$tool" >/dev/null || { echo "build-initramfs: $tool is missing" >&2; exit 1; }
done
[ -x "$runtime" ] || { echo "build-initramfs: $runtime is not an executable" >&2; exit 1; }
# Absolute, because the spec step runs in another directory.
runtime=$(realpath "$runtime")

# busybox-static's binary: the dynamic busybox package installs the same
# path, and a dynamic one would need its libraries in the container rootfs.
busybox=/bin/busybox
ldd_out=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if [[ $ldd_out != *"not a dynamic executable"* ]]; then
  echo "build-initramfs: $busybox is not static (install busybox-static)" >&2
  exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/berth-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# install_busybox DIR: busybox at DIR/bin/busybox and a link per applet.
install_busybox() {
  local dir=$1 applet
  mkdir -p "$dir/bin"
  cp "$busybox" "$dir/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
}

# install_dynamic BINARY DEST: the binary at DEST inside the stage, and each
# library ldd names (and the loader) at the same path as on this host, so
# the binary's own interpreter path and search path work unchanged.
install_dynamic() {
  local bin=$1 dest=$2 lib
  mkdir -p "$stage/$(dirname "$dest")"
  cp -L "$bin" "$stage/$dest"
  for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$stage/$(dirname "$lib")"
    cp -L "$lib" "$stage/$lib"
  done
}

# --- the VM's own root -----------------------------------------------------
install_busybox "$stage"
mkdir -p "$stage"/{dev,proc,sys,tmp,run,newroot,etc,tests}
install_dynamic "$runtime" /bin/berth
install_dynamic "$(command -v jq)" /bin/jq
# The runtime's name and version, to print in the results.
"$runtime" --version 2>/dev/null | head -n 1 >"$stage/etc/runtime-version" || true
cp "$here/init.sh" "$stage/init"
cp "$here/v2-tests.sh" "$stage/tests/v2-tests.sh"
chmod 0755 "$stage/init" "$stage/tests/v2-tests.sh"

# hugetouch faults huge pages in; busybox has no way to mmap. Static, so
# the container rootfs needs no libraries.
gcc -static -O2 -Wall -Werror -o "$stage/bin/hugetouch" "$here/hugetouch.c"

# --- the container bundle --------------------------------------------------
bundle=$stage/bundle
install_busybox "$bundle/rootfs"
cp "$stage/bin/hugetouch" "$bundle/rootfs/bin/hugetouch"
mkdir -p "$bundle/rootfs"/{dev,proc,sys,tmp,etc}
echo 'root:x:0:0:root:/:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"
# The base config comes from the runtime itself so it tracks its defaults;
# the tests adjust it per container with jq inside the VM.
(cd "$bundle" && "$runtime" spec)
jq '.process.args = ["sh", "-c", "true"]
    | .process.terminal = false
    | .linux.cgroupsPath = "/berth-vm-test"' \
  "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# The kernel unpacks newc archives only; owners are root in the VM anyway.
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
  gzip -1 >"$output"
