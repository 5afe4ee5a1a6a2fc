#!/bin/bash
# run-security.sh [RUNTIME]
#
# Runs the security suite (t*.bats here: one file per known class of
# container escape) against RUNTIME (a path, or a name on $PATH such as
# runc; default: build/berth of this checkout) and ends with one line:
# "N passed, N failed, N skipped". Exits non-zero when anything failed.
#
#   BATS_FILTER=regex   passed to bats --filter
#   SEC_FILES="t01 t05" run only the files whose names start so
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

rt=${1:-${BERTH:-$repo/build/berth}}
case $rt in
  /*) ;;
  */*) rt=$(cd "$(dirname "$rt")" && pwd)/$(basename "$rt") ;;
  *) rt=$(command -v "$rt" || echo "$rt") ;;
esac
if [ ! -x "$rt" ]; then
  echo "run-security: $rt is not an executable (build it first)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export BERTH=$rt
# helpers.bash would otherwise replace BERTH with runc.
unset RUNTIME_UNDER_TEST

# Everything temporary of the run lives in one directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-security.XXXXXX") || exit 1
export TMPDIR=$work
cleanup() {
  # Never rm -rf through a mount a runtime may have left behind: it would
  # delete whatever the mount shows.
  if awk '{ print $5 }' /proc/self/mountinfo | grep -q "^$work/"; then
    echo "run-security: mounts remain under $work; leaving it in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

files=()
if [ -n "${SEC_FILES:-}" ]; then
  for p in $SEC_FILES; do
    for f in "$here/$p"*.bats; do [ -f "$f" ] && files+=("$f"); done
  done
else
  for f in "$here"/t*.bats; do files+=("$f"); done
fi
filter=()
[ -n "${BATS_FILTER:-}" ] && filter=(--filter "$BATS_FILTER")

echo "# runtime under test: $BERTH ($("$BERTH" --version 2>/dev/null | head -1))"
log=$work/security.tap
# stdin closed: nothing may wait for a terminal.
bats --tap "${filter[@]}" "${files[@]}" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
p=$(grep -cE '^ok [0-9]+' "$log")
s=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
f=$(grep -cE '^not ok [0-9]+' "$log")
p=$((p - s))
# bats failing without a failed test (a syntax error, a failing
# setup_file) is still a failure.
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
  echo "# bats exited with $rc"
  f=1
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
