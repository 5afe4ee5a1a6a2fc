#!/bin/bash
# run-deb.sh: builds the Debian package from a clean clone of this
# repository's HEAD (uncommitted changes are not in it) with
# `dpkg-buildpackage -us -uc -b`, and checks it: the .deb holds berth, a man
# page per command and the three completions; lintian reports no error or
# warning; dpkg installs it into a private root, where berth runs, and
# removes it again. Nothing is installed on the system itself.
# Ends with one line "N passed, N failed, N skipped". Takes about 3 minutes.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
passed=0 failed=0 skipped=0

pass() { echo "ok - $*"; passed=$((passed + 1)); }
nok() { echo "not ok - $*"; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed, $skipped skipped"; [ "$failed" -eq 0 ]; }

need=()
for p in dpkg-dev debhelper lintian; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-deb: missing ${need[*]} (run as root to install them)"; nok "tools"; summary; exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
    </dev/null >/dev/null || { nok "install ${need[*]}"; summary; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-deb.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/src" || { nok "clone"; summary; exit 1; }

if (cd "$work/src" && dpkg-checkbuilddeps && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
  pass "dpkg-buildpackage -us -uc -b from a clean clone"
else
  tail -30 "$work/build.log"
  nok "dpkg-buildpackage -us -uc -b from a clean clone"
  summary
  exit 1
fi
deb=$(ls "$work"/berth_*.deb)

listing=$(dpkg -c "$deb" | awk '{ print $6 }')
missing=()
want=(./usr/sbin/berth ./usr/share/man/man8/berth.8.gz
      ./usr/share/bash-completion/completions/berth
      ./usr/share/zsh/vendor-completions/_berth
      ./usr/share/fish/vendor_completions.d/berth.fish)
for page in "$repo"/docs/man/berth-*.8.scd; do
  want+=("./usr/share/man/man8/$(basename "$page" .scd).gz")
done
for f in "${want[@]}"; do
  grep -qxF "$f" <<<"$listing" || missing+=("$f")
done
if [ "${#missing[@]}" -eq 0 ]; then
  pass "dpkg -c lists berth, ${#want[@]} files in all"
else
  nok "dpkg -c is missing ${missing[*]}"
fi

lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1
if ! grep -qE '^[EW]: ' "$work/lintian.log"; then
  pass "lintian: no error or warning"
else
  grep -E '^[EW]: ' "$work/lintian.log"
  nok "lintian"
fi

# Installed with dpkg into a private root (its own dpkg database; the
# libraries it depends on are this system's), never over the system's files.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends "$@" >>"$work/dpkg.log" 2>&1; }
absent=()
if dpkg_root -i "$deb"; then
  for f in "${want[@]}"; do
    [ -f "$root/${f#./}" ] || absent+=("$f")
  done
fi
if dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' berth 2>/dev/null | grep -q 'install ok installed' &&
   [ "${#absent[@]}" -eq 0 ]; then
  pass "dpkg -i (into a private root) installs the ${#want[@]} files"
else
  tail -5 "$work/dpkg.log"
  nok "dpkg -i (into a private root); missing: ${absent[*]}"
fi
if "$root/usr/sbin/berth" --version | grep -q '^berth version' &&
   "$root/usr/sbin/berth" check --format json | jq -e '.ok' >/dev/null &&
   MANWIDTH=80 man -l "$root/usr/share/man/man8/berth-check.8.gz" | grep -q 'berth-check -'; then
  pass "the installed berth runs, and its man page renders"
else
  nok "the installed berth runs, and its man page renders"
fi
if dpkg_root -r berth && [ -z "$(find "$root/usr" -type f 2>/dev/null)" ]; then
  pass "dpkg -r removes every file again"
else
  nok "dpkg -r left $(find "$root/usr" -type f | head -3)"
fi
summary
