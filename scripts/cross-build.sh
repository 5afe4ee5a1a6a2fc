#!/bin/bash
# Cross-builds berth and its unit tests for ARCH into build-cross-ARCH:
# installs Debian's cross gcc and qemu-user if they are missing, fills the
# target's sysroot (scripts/cross-sysroot.sh), then meson with cross/ARCH.ini.
#
# usage: scripts/cross-build.sh ARCH   (arm64 | ppc64le | s390x | riscv64)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cross-arch.sh
. "$here/cross-arch.sh"
arch=${1:?usage: cross-build.sh ARCH}
cross_arch "$arch"
cd "$here/.."

need=()
for pkg in "gcc-$triplet" qemu-user-static; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
    need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "cross-build: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another installer may hold dpkg's lock for a while: wait for it.
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
    "${need[@]}" </dev/null >/dev/null
fi

"$here/cross-sysroot.sh" "$arch"

build=build-cross-$arch
[ -f "$build/build.ninja" ] || meson setup "$build" --cross-file "cross/$arch.ini" >/dev/null
scripts/refresh-build.sh "$build"
ninja -C "$build"
