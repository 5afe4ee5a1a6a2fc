#!/usr/bin/env bats
# scripts/packages.sh, which scripts/install-deps.sh (the first step of
# `make check` and `make demo`), tests/vm and tests/clients install their
# packages with: it must see what is missing and ask apt for exactly that.
# Nothing here installs anything: PKG_DRY_RUN stops before apt.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
  # shellcheck source=scripts/packages.sh
  . "$REPO/scripts/packages.sh"
  # A name no Debian release has, so it is missing on every machine.
  ABSENT=berth-no-such-package
  pkg_installed bash || skip "dpkg does not know bash: not a Debian machine"
}

@test "packages: an installed package is not missing, an absent one is" {
  run pkg_missing bash "$ABSENT" coreutils
  [ "$status" -eq 0 ]
  [ "$output" = "$ABSENT" ]
}

@test "packages: a removed package whose config files remain counts as missing" {
  local gone
  gone=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null |
    awk '$1 == "rc" { print $2; exit }')
  [ -n "$gone" ] || skip "no package on this machine is removed with its config kept"
  run pkg_missing "$gone"
  [ "$output" = "$gone" ]
}

@test "packages: pkg_ensure with nothing missing never reaches apt" {
  PKG_DRY_RUN=
  apt-get() { echo "apt-get was called" >&2; return 1; }
  run pkg_ensure bash coreutils
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "packages: pkg_ensure names exactly the missing packages" {
  PKG_DRY_RUN=1 run pkg_ensure bash "$ABSENT" coreutils
  [ "$status" -eq 0 ]
  [ "$output" = "packages: would install $ABSENT" ]
}

@test "packages: messages go through PKG_SAY" {
  tell() { echo "[mine] $*"; }
  PKG_DRY_RUN=1 PKG_SAY=tell run pkg_ensure "$ABSENT"
  [ "$output" = "[mine] would install $ABSENT" ]
}

@test "packages: without root a missing package is an error that names it" {
  command -v setpriv >/dev/null || skip "no setpriv to drop root"
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  run setpriv --reuid=65534 --regid=65534 --clear-groups \
    bash -c '. "$1"; pkg_ensure bash "$2"' sh "$REPO/scripts/packages.sh" "$ABSENT"
  [ "$status" -eq 1 ]
  [[ "$output" == *"missing packages: $ABSENT (run as root to install them)"* ]]
}

@test "packages: a failed install says so, quoting apt" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to reach apt"
  # The real apt, which cannot find the package before or after updating
  # its lists: the failure is reported, and nothing is installed.
  local log=$BATS_TEST_TMPDIR/apt.log
  PKG_LOG=$log run pkg_ensure "$ABSENT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"installing $ABSENT"* ]]
  [[ "$output" == *"apt-get install $ABSENT failed:"* ]]
  grep -q "$ABSENT" "$log"
  run pkg_missing "$ABSENT"
  [ "$output" = "$ABSENT" ]
}

@test "install-deps: a ready machine is left alone; --dry-run lists what is missing" {
  run "$REPO/scripts/install-deps.sh" --dry-run
  [ "$status" -eq 0 ]
  # This machine runs the suites, so everything is there already.
  [ -z "$output" ] || [[ "$output" == "install-deps: would install "* ]]
  run "$REPO/scripts/install-deps.sh" --no-such-flag
  [ "$status" -eq 2 ]
  [[ "$output" == *'unknown argument "--no-such-flag"'* ]]
}
