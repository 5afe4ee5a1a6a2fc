#!/bin/bash
# run-integration.sh [BERTH]
#
# Runs the bats suites (tests/unit, tests/integration, tests/diff and
# tests/security, those that have .bats files) against BERTH, between two
# leak checks, and ends with one line: "N passed, N failed, N skipped".
# A leak counts as one more failure. Exits non-zero when anything failed.
#
#   BERTH_SUITES="integration diff"   run only these suites
#   BATS_FILTER=regex                 passed to bats --filter
#   RUNTIME_UNDER_TEST=runc           run the suites against runc instead
#   LEAK_SCOPE=run                    count only leaks of this run (its
#                                     container ids and temporary directory),
#                                     for a machine shared with other runs
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

if [ "${RUNTIME_UNDER_TEST:-berth}" = runc ]; then
  BERTH=${RUNC:-/usr/sbin/runc}
else
  BERTH=${1:-${BERTH:-$repo/build/berth}}
fi
case $BERTH in
  /*) ;;
  *) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
esac
export BERTH
if [ ! -x "$BERTH" ]; then
  echo "run-integration: $BERTH is not an executable (build it first)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# All temporary files of the run live in one directory, so nothing of it
# can be mistaken for (or collide with) another run's.
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-tests.XXXXXX") || exit 1
export TMPDIR=$work
# Every container id of the run carries this tag (see tests/lib/helpers.bash).
export BERTH_TEST_TAG=${BERTH_TEST_TAG:-r${work##*.}}
if [ "${LEAK_SCOPE:-all}" = run ]; then
  export LEAK_MATCH="$BERTH_TEST_TAG $work"
fi

cleanup() {
  # Never rm -rf through a mount a runtime may have left here: that would
  # delete whatever the mount shows.
  if awk '{ print $5 }' /proc/self/mountinfo | grep -q "^$work/"; then
    echo "run-integration: mounts remain under $work; leaving it in place" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

"$here/leak-check.sh" baseline "$work/leak-baseline" || exit 1

# A test that hangs is stopped (and fails) instead of stopping the run.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}

suites=${BERTH_SUITES:-unit integration diff security}
passed=0 failed=0 skipped=0
filter=()
[ -n "${BATS_FILTER:-}" ] && filter=(--filter "$BATS_FILTER")

echo "# runtime under test: $BERTH ($("$BERTH" --version 2>/dev/null | head -1))"
for suite in $suites; do
  dir=$here/$suite
  compgen -G "$dir/*.bats" >/dev/null || continue
  echo "# suite: $suite"
  log=$work/$suite.tap
  # stdin closed: nothing in a test may wait for a terminal.
  bats --tap "${filter[@]}" "$dir" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
  s=$(grep -cE '^ok [0-9]+ .*# skip' "$log" | head -1)
  f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
  p=$((p - s))
  # bats failing without a failed test (a syntax error in a file, a failing
  # setup_file) is still a failure.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "# suite $suite: bats exited with $rc"
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

if ! "$here/leak-check.sh" check "$work/leak-baseline"; then
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
