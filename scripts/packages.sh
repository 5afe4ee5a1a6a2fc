# shellcheck shell=bash
# Installing Debian packages only when they are missing, for every script
# that needs some: scripts/install-deps.sh, tests/vm/lib.sh and
# tests/clients/lib.sh source this file. A machine that has everything
# never touches apt, so the callers stay silent and fast there.
#
#   pkg_installed PKG               true when dpkg has the package's files
#   pkg_missing PKG...              prints the missing ones, one a line
#   pkg_ensure [--no-daemons] PKG...
#                                   installs the missing ones (as root)
#
# Settings, all optional:
#   PKG_SAY=FUNCTION   prints pkg_ensure's messages (default: to stderr,
#                      prefixed with "packages:")
#   PKG_LOG=FILE       apt's output (default: a temporary file, removed);
#                      its last lines are quoted when an install fails
#   PKG_DRY_RUN=1      say what would be installed, change nothing

pkg_installed() {
  # "install ok installed" is the only status that means the files are there;
  # "deinstall ok config-files" (removed, config kept) must count as missing.
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

pkg_missing() {
  local p
  for p in "$@"; do
    pkg_installed "$p" || echo "$p"
  done
}

pkg_say() {
  if [ -n "${PKG_SAY:-}" ]; then
    "$PKG_SAY" "$*"
  else
    echo "packages: $*" >&2
  fi
}

# With --no-daemons a package's scripts may not start a system service
# (docker.io, containerd): a policy-rc.d that refuses every start is put in
# place for the install, if the machine has none of its own.
pkg_ensure() {
  local no_daemons=0
  if [ "${1:-}" = --no-daemons ]; then
    no_daemons=1
    shift
  fi
  local missing
  mapfile -t missing < <(pkg_missing "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ -n "${PKG_DRY_RUN:-}" ]; then
    pkg_say "would install ${missing[*]}"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    pkg_say "missing packages: ${missing[*]} (run as root to install them)"
    return 1
  fi
  pkg_say "installing ${missing[*]}"
  local made_policy=0 rc log=${PKG_LOG:-} own_log=0
  if [ -z "$log" ]; then
    log=$(mktemp "${TMPDIR:-/tmp}/packages.XXXXXX") || return 1
    own_log=1
  fi
  if [ "$no_daemons" = 1 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# no service starts during package installation\nexit 101\n' \
      >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  pkg_apt_install "$log" "${missing[@]}"
  rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" -ne 0 ]; then
    pkg_say "apt-get install ${missing[*]} failed:"
    tail -n 5 "$log" >&2
  fi
  [ "$own_log" = 1 ] && rm -f "$log"
  return "$rc"
}

# pkg_apt_install LOG PKG...: from the package lists the machine has, and
# when that fails (a fresh machine has none, old ones name files the archive
# no longer has) once more after an update.
pkg_apt_install() {
  local log=$1
  shift
  export DEBIAN_FRONTEND=noninteractive
  # Another apt may hold the lock (CI installs in parallel): wait for it.
  # stdin may be closed (CI): never let apt or dpkg wait for an answer.
  local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
  local install=(install -y --no-install-recommends
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${apt[@]}" "${install[@]}" "$@" </dev/null >>"$log" 2>&1 && return 0
  "${apt[@]}" update </dev/null >>"$log" 2>&1 || return 1
  "${apt[@]}" "${install[@]}" "$@" </dev/null >>"$log" 2>&1
}
