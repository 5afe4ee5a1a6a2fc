#!/bin/bash
# Runs an apt command (apt-get, apt-cache) against Debian's archive for
# another architecture with a private configuration under
# /var/cache/berth-cross/apt-ARCH: the host's dpkg is never told about the
# architecture, and nothing is installed. Its package lists are fetched
# the first time.
#
# usage: scripts/cross-apt.sh ARCH apt-get|apt-cache ARGS...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/cross-arch.sh
. "$here/cross-arch.sh"
cross_arch "${1:?usage: cross-apt.sh ARCH apt-get|apt-cache ARGS...}"
shift
tool=${1:?usage: cross-apt.sh ARCH apt-get|apt-cache ARGS...}
shift

apt_dir=/var/cache/berth-cross/apt-$deb_arch
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
# The security suite too, as the host has it: the VM suites' kernels come
# from there.
opts="arch=$deb_arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
cat >"$apt_dir/sources.list" <<EOF
deb [$opts] http://deb.debian.org/debian $suite main
deb [$opts] http://deb.debian.org/debian-security $suite-security main
EOF
[ -e "$apt_dir/status" ] || : >"$apt_dir/status"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Architecture=$deb_arch" -o "APT::Architectures=$deb_arch"
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
  -o APT::Sandbox::User=root)

# apt keeps the indexes compressed (Packages.lz4). A failed update here is
# left for the command itself to trip over, with its own message.
if ! compgen -G "$apt_dir/lists/*_Packages*" >/dev/null && [ "$tool ${1:-}" != "apt-get update" ]; then
  apt-get "${apt_opts[@]}" update -qq </dev/null || true
fi
exec "$tool" "${apt_opts[@]}" "$@"
