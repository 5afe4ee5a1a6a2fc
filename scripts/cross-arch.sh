# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
# Sourced by the cross scripts: what each architecture berth is cross-built
# for is called by Debian, by GNU, by qemu and by meson.
# usage: cross_arch ARCH   (arm64 | ppc64le | s390x | riscv64)
# sets: deb_arch triplet qemu suite sysroot
cross_arch() {
  case $1 in
    arm64)   deb_arch=arm64   triplet=aarch64-linux-gnu     qemu=aarch64 ;;
    ppc64le) deb_arch=ppc64el triplet=powerpc64le-linux-gnu qemu=ppc64le ;;
    s390x)   deb_arch=s390x   triplet=s390x-linux-gnu       qemu=s390x ;;
    riscv64) deb_arch=riscv64 triplet=riscv64-linux-gnu     qemu=riscv64 ;;
    *) echo "cross: unknown architecture '$1' (arm64, ppc64le, s390x or riscv64)" >&2
       return 1 ;;
  esac
  # riscv64 is not a release architecture of bookworm: its libraries come
  # from trixie, the first Debian release that has it.
  suite=bookworm
  [ "$1" = riscv64 ] && suite=trixie
  # The path is also written in cross/$1.ini.
  sysroot=/var/cache/berth-cross/$1
}

CROSS_ARCHES="arm64 ppc64le s390x riscv64"
