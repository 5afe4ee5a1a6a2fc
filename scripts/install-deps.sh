#!/bin/bash
# Installs the Debian packages that building berth and running its tests
# need. Idempotent: asks dpkg first and only touches apt when something is
# missing, so it stays silent (and fast) on a machine that is ready.
#
#   scripts/install-deps.sh            install what is missing (as root)
#   scripts/install-deps.sh --dry-run  only say what would be installed
set -u

PACKAGES=(
  make meson ninja-build pkg-config gcc git
  libjansson-dev libseccomp-dev libcap-dev libsystemd-dev
  bats busybox-static runc crun jq
  util-linux procps iproute2 uidmap strace
  python3 python3-jsonschema systemd
  scdoc zsh fish
)

# shellcheck source=scripts/packages.sh
. "$(dirname "$0")/packages.sh"

say() { echo "install-deps: $*" >&2; }
PKG_SAY=say
case "${1:-}" in
  --dry-run) PKG_DRY_RUN=1 ;;
  "") ;;
  *) say "unknown argument \"$1\" (only --dry-run)"; exit 2 ;;
esac

pkg_ensure "${PACKAGES[@]}" || exit 1
