#!/bin/bash
# Installs the Debian packages that building berth and running its tests
# need. Idempotent: asks dpkg first and only touches apt when something is
# missing, so it stays silent (and fast) on a machine that is ready.
set -u

PACKAGES=(
  make meson ninja-build pkg-config gcc git
  libjansson-dev libseccomp-dev libcap-dev libsystemd-dev
  bats busybox-static runc crun jq
  util-linux procps iproute2 uidmap
  python3 python3-jsonschema systemd
  scdoc zsh fish
)

is_installed() {
  # "install ok installed" is the only status that means the files are there;
  # "deinstall ok config-files" (removed, config kept) must count as missing.
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# stdin may be closed (CI): never let apt or dpkg wait for an answer.
apt-get update -qq </dev/null || exit 1
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" </dev/null >/dev/null || exit 1
