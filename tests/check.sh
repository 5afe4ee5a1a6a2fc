#!/bin/bash
# The whole test run behind `make check`: every suite runs even when an
# earlier one failed, each prints its own "N passed, N failed[, N skipped]"
# line, and the last line here adds them up (that is what CI reads).
#
# usage: tests/check.sh BERTH ASAN_BUILD_DIR
set -u

here=$(cd "$(dirname "$0")" && pwd)
berth=${1:?usage: check.sh BERTH ASAN_BUILD_DIR}
asan_build=${2:?usage: check.sh BERTH ASAN_BUILD_DIR}
suites=${BERTH_CHECK_SUITES:-unit integration faults fuzz systemd vm clients cross deb}

total_passed=0 total_failed=0 total_skipped=0
report=()

# record NAME LOG: take the suite's last summary line from LOG.
record() {
  local name=$1 log=$2 line p f s
  line=$(grep -E '([0-9]+) passed, ([0-9]+) failed' "$log" | tail -1)
  if [ -z "$line" ]; then
    report+=("$name: no summary (the suite did not run to its end)")
    total_failed=$((total_failed + 1))
    return
  fi
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
  s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || true)
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  total_skipped=$((total_skipped + ${s:-0}))
  report+=("$name: $p passed, $f failed, ${s:-0} skipped")
}

# run_suite NAME COMMAND...: run it with its output shown and kept.
run_suite() {
  local name=$1 log rc
  shift
  log=$(mktemp "${TMPDIR:-/tmp}/berth-check-$name.XXXXXX")
  echo "=== $name: $*"
  "$@" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  record "$name" "$log"
  if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"${report[-1]}"; then
    report[-1]="${report[-1]} (exit status $rc)"
    total_failed=$((total_failed + 1))
  fi
  rm -f "$log"
}

# Each unit test program prints "NAME: N passed, N failed" for its checks;
# a program that crashed or leaked (ASan) without a failed check still
# counts as one failure.
unit_tests() {
  meson test -C "$asan_build" --print-errorlogs
  local rc=$? log=$asan_build/meson-logs/testlog.txt
  local passed=0 failed=0 p f programs_failed
  while read -r p f; do
    passed=$((passed + p))
    failed=$((failed + f))
  done < <(grep -oE '^[a-z_0-9]+: [0-9]+ passed, [0-9]+ failed' "$log" |
           sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed/\1 \2/')
  programs_failed=$(grep -oE '^Fail:[[:space:]]+[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  if [ "$failed" -eq 0 ] && [ "${programs_failed:-0}" -gt 0 ]; then
    failed=$programs_failed
  fi
  echo "$passed passed, $failed failed"
  return "$rc"
}

for suite in $suites; do
  case $suite in
    unit) run_suite unit unit_tests ;;
    integration) run_suite integration "$here/run-integration.sh" "$berth" ;;
    fuzz) run_suite fuzz "$here/fuzz/run-fuzz.sh" "${BERTH_FUZZ_SECONDS:-30}" ;;
    faults) run_suite faults env BERTH_SUITES=faults LEAK_SCOPE=run "$here/run-integration.sh" "$berth" ;;
    systemd) run_suite systemd "$here/vm/systemd-tests.sh" "$berth" ;;
    vm) run_suite vm "$here/vm/run-vm.sh" "$berth" ;;
    clients) run_suite clients "$here/clients/run-clients.sh" "$berth" ;;
    # All four other architectures (scripts/cross-arch.sh), each built and
    # its unit tests run under qemu-user.
    cross) run_suite cross "$here/cross/run-cross.sh" ;;
    # The Debian package from a clean clone of HEAD, checked and installed
    # into a private root.
    deb) run_suite deb "$here/deb/run-deb.sh" ;;
    *) echo "check: unknown suite $suite" >&2; total_failed=$((total_failed + 1)) ;;
  esac
done

echo "=== summary"
printf '%s\n' "${report[@]}"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ]
