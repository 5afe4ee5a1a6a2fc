# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "apparmor": process.apparmorProfile, exec --apparmor and exec
# --process with a real profile in force (apparmor-tests.sh). Debian's
# cloud kernel has AppArmor built in and on, as a stock Debian boot has
# it; the host that runs the suite need not have AppArmor at all.
#
# The VM gets apparmor_parser from Debian's apparmor package, downloaded
# and unpacked, not installed: installing it would turn on the host's own
# AppArmor service.

SUITE_PACKAGES=()
SUITE_MEMORY=512
# None needed: CONFIG_DEFAULT_SECURITY_APPARMOR, as on a Debian host.
SUITE_APPEND=
SUITE_TIMEOUT=300
SUITE_TESTS=/tests/apparmor-tests.sh

apparmor_vm_cache() {
  echo "${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/berth-vm}"
}

apparmor_vm_candidate() {
  apt-cache policy apparmor 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# Prints the directory holding apt's current apparmor package unpacked,
# kept in the VM cache (one per version) so later runs need no download.
apparmor_vm_unpacked() {
  local cache version dir work
  cache=$(apparmor_vm_cache)
  version=$(apparmor_vm_candidate)
  if [ -z "$version" ]; then
    apt-get update -qq </dev/null >&2
    version=$(apparmor_vm_candidate)
  fi
  [ -n "$version" ] || { vm_say "apparmor: apt knows no apparmor package"; return 1; }
  dir=$cache/apparmor-$version
  if [ ! -e "$dir/.complete" ]; then
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/apparmor-download.XXXXXX")
    # As run-vm.sh fetches the kernel: a plain download as the caller.
    if ! (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "apparmor=$version" \
      </dev/null >&2); then
      rm -rf "$work"
      vm_say "apparmor: apt-get download apparmor=$version failed"
      return 1
    fi
    dpkg -x "$work"/apparmor_*.deb "$work/tree"
    touch "$work/tree/.complete"
    # A rename, so a build killed half-way never leaves a partial tree; a
    # concurrent build that got there first is as good.
    [ -e "$dir/.complete" ] || rm -rf "$dir"
    mv -T "$work/tree" "$dir" 2>/dev/null || [ -e "$dir/.complete" ] ||
      { rm -rf "$work"; vm_say "apparmor: could not move the package into $dir"; return 1; }
    rm -rf "$work"
  fi
  echo "$dir"
}

suite_stage() {
  local stage=$1 here tree missing
  here=$(dirname "${BASH_SOURCE[0]}")
  tree=$(apparmor_vm_unpacked) || return 1
  # The parser's libraries come from the host; one the host lacks would
  # need its own package unpacked too (apparmor 3.0's needs only libc).
  missing=$(ldd "$tree/sbin/apparmor_parser" 2>&1 | awk '/not found/ { print $1 }')
  [ -z "$missing" ] ||
    { vm_say "apparmor: apparmor_parser needs libraries this host lacks: $missing"; return 1; }
  install_file "$tree/sbin/apparmor_parser" /sbin/apparmor_parser 0755
  install_libraries "$tree/sbin/apparmor_parser"
  install_file "$here/apparmor-profile" /etc/berth-vm-aa.profile 0644
  install_file "$here/apparmor-tests.sh" /tests/apparmor-tests.sh 0755
  # What the profile forbids reading; a container without it reads this.
  echo berth-aa-secret-content >"$stage/bundle/rootfs/etc/berth-aa-secret"
}
