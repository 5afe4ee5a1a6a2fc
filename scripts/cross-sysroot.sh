#!/bin/bash
# Fills /var/cache/berth-cross/ARCH with the target's C library, the
# libraries berth links (jansson, libseccomp, libcap, libsystemd), and
# busybox and jq for the VM suites (tests/vm/suite-arm64.sh), unpacked from
# Debian's .debs that cross-apt.sh fetches. The host's dpkg is not told
# about the architecture: s390x's multiarch packages do not co-install with
# the amd64 ones on bookworm (liblzma5 and libzstd1 have security updates
# built for amd64 but not for s390x, and Multi-Arch: same needs one
# version), and riscv64 is not in bookworm at all.
#
# usage: scripts/cross-sysroot.sh ARCH
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cross-arch.sh
. "$here/cross-arch.sh"
cross_arch "${1:?usage: cross-sysroot.sh ARCH}"

PACKAGES="libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1
  libjansson4 libjansson-dev libseccomp2 libseccomp-dev libcap2 libcap-dev
  libsystemd0 libsystemd-dev libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1
  busybox-static jq libjq1 libonig5"

stamp=$sysroot/.berth-packages
[ "$(cat "$stamp" 2>/dev/null)" = "$suite $PACKAGES" ] && exit 0

echo "cross-sysroot: $1: $suite's libraries into $sysroot"
debs=$(mktemp -d "${TMPDIR:-/tmp}/berth-cross-debs.XXXXXX")
trap 'rm -rf "$debs"' EXIT
# A mirror caught mid-sync serves an index that does not match its Release
# file ("Mirror sync in progress?"): try again a little later, and then go
# on with the indexes apt did get. The download below fails by itself if
# a package is then missing; one only in the security suite comes in its
# bookworm release instead, which is enough to build and test against.
for attempt in 1 2; do
  "$here/cross-apt.sh" "$1" apt-get update -qq </dev/null && break
  if [ "$attempt" -lt 2 ]; then
    echo "cross-sysroot: $1: apt-get update failed; again in 15 s" >&2
    sleep 15
  else
    echo "cross-sysroot: $1: apt-get update failed twice; going on with the indexes it got" >&2
  fi
done
# shellcheck disable=SC2086 # one word per package
(cd "$debs" && "$here/cross-apt.sh" "$1" apt-get download -qq $PACKAGES </dev/null)

rm -rf "$sysroot"
mkdir -p "$sysroot"
for deb in "$debs"/*.deb; do
  dpkg-deb -x "$deb" "$sysroot"
done
# trixie's packages put everything under /usr; the loader is looked up
# as /lib/ld-linux-*.so.1 all the same.
for d in lib lib64; do
  [ -e "$sysroot/usr/$d" ] && [ ! -e "$sysroot/$d" ] && ln -s "usr/$d" "$sysroot/$d"
done
# Absolute links (libcap.so -> /lib/...) would point into the host.
find "$sysroot" -type l -lname '/*' | while read -r link; do
  ln -sfn "$sysroot$(readlink "$link")" "$link"
done
echo "$suite $PACKAGES" >"$stamp"
