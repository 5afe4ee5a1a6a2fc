#!/bin/bash
# Fills /var/cache/berth-cross/ARCH with the target's C library and the
# libraries berth links (jansson, libseccomp, libcap, libsystemd), unpacked
# from Debian's .debs by a private apt configuration. The host's dpkg is not
# told about the architecture: s390x's multiarch packages do not co-install
# with the amd64 ones on bookworm (liblzma5 and libzstd1 have security
# updates built for amd64 but not for s390x, and Multi-Arch: same needs one
# version), and riscv64 is not in bookworm at all.
#
# usage: scripts/cross-sysroot.sh ARCH
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/cross-arch.sh"
cross_arch "${1:?usage: cross-sysroot.sh ARCH}"

PACKAGES="libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1
  libjansson4 libjansson-dev libseccomp2 libseccomp-dev libcap2 libcap-dev
  libsystemd0 libsystemd-dev libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1"

stamp=$sysroot/.berth-packages
[ "$(cat "$stamp" 2>/dev/null)" = "$suite $PACKAGES" ] && exit 0

apt_dir=/var/cache/berth-cross/apt-$deb_arch
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs"
echo "deb [arch=$deb_arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
  >"$apt_dir/sources.list"
: >"$apt_dir/status"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Architecture=$deb_arch" -o "APT::Architectures=$deb_arch"
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
  -o APT::Sandbox::User=root)

echo "cross-sysroot: $1: $suite's libraries into $sysroot"
apt-get "${apt_opts[@]}" update -qq </dev/null
rm -f "$apt_dir"/debs/*.deb
# shellcheck disable=SC2086 # one word per package
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download -qq $PACKAGES </dev/null)

rm -rf "$sysroot"
mkdir -p "$sysroot"
for deb in "$apt_dir"/debs/*.deb; do
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
