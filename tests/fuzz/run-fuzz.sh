#!/bin/bash
# run-fuzz.sh [SECONDS]: builds the harnesses (build.sh) and runs each for
# SECONDS (default 30) on a copy of its corpus in tests/fuzz/corpus. Each
# harness is one test: it passes when libFuzzer found no crash, leak or
# undefined behaviour. Ends with "N passed, N failed". New inputs found
# are not written back; a crash's input is kept in the working directory
# given in its report, to become a unit test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-30}
out=${BERTH_FUZZ_BUILD:-$repo/build-fuzz}
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
if ! "$here/build.sh" "$out" >"$work/build.log" 2>&1; then
  grep -v warning "$work/build.log" | tail -20
  echo "0 passed, 1 failed"
  exit 1
fi
passed=0 failed=0 total_execs=0
for h in spec opts; do
  mkdir -p "$work/$h"
  cp "$here/corpus/$h"/* "$work/$h/"
  log=$work/$h.log
  (cd "$work" && "$out/fuzz_$h" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
     -print_final_stats=1 "$work/$h" >"$log" 2>&1)
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  total_execs=$((total_execs + ${execs:-0}))
  if [ "$rc" -eq 0 ]; then
    echo "ok fuzz_$h: ${execs:-?} executions in ${secs}s, no crash"
    passed=$((passed + 1))
  else
    echo "not ok fuzz_$h: exit $rc after ${execs:-?} executions"
    grep -A30 -E '^==[0-9]+==ERROR|runtime error' "$log" | head -40
    mkdir -p "$repo/build-fuzz/crashes"
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$repo/build-fuzz/crashes/" 2>/dev/null
    echo "# inputs kept in $repo/build-fuzz/crashes"
    failed=$((failed + 1))
  fi
done
echo "# $total_execs executions in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
