#!/bin/bash
# test-summary.sh: checks how run-clients.sh counts results, with client
# files that only write result lines (no client, no runtime runs):
# the reference runtime's failures are reported but neither counted nor
# allowed to fail the run; berth's failures, skips and a crashed client
# file are counted and decide the exit status. Prints
# "clients_summary: N passed, N failed" (the unit-test convention).
set -u

here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
if [ "$(id -u)" != 0 ]; then
  echo "skipped: run-clients.sh refuses to run without root"
  exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-clients-summary.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

# client NAME LINE...: a client file that records LINE... and exits 0.
client() {
  local name=$1 line
  shift
  {
    echo '#!/bin/bash'
    for line in "$@"; do
      printf 'echo %q >>"$CLIENT_RESULTS"\n' "$line"
    done
  } >"$dir/$name.sh"
}

# expect NAME WANT_STATUS WANT_LINE [WANT_TEXT]: runs run-clients.sh on the
# client files of $dir and checks its exit status, its last line and that
# its output holds WANT_TEXT.
expect() {
  local name=$1 want_status=$2 want_line=$3 want_text=${4:-} out status last
  shift 4
  out=$(CLIENTS_DIR=$dir CLIENT_RUNTIMES="runc=/bin/false berth=/bin/false" \
    "$here/run-clients.sh" /bin/false "$@" 2>&1)
  status=$?
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [ "$status" = "$want_status" ] && [ "$last" = "$want_line" ] &&
     { [ -z "$want_text" ] || grep -qF -- "$want_text" <<<"$out"; }; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $status (want $want_status), last line '$last' (want '$want_line')"
    [ -z "$want_text" ] || echo "  wanted in the output: $want_text"
    printf '%s\n' "$out" | sed 's/^/  | /'
  fi
}

client refonly "PASS c1 runc a" "PASS c1 berth a" "FAIL c1 runc b : criu failed" "PASS c1 berth b"
expect "a reference failure alone" 0 "2 passed, 0 failed" \
  "reference failure: FAIL c1 runc b : criu failed" refonly
expect "the reference line" 0 "2 passed, 0 failed" \
  "reference runc: 1 passed, 1 failed, 0 skipped (not counted below)" refonly

client ownfail "PASS c2 runc a" "FAIL c2 berth a : broken" "SKIP c2 berth b : why" "PASS c2 runc b"
expect "a berth failure" 1 "0 passed, 1 failed, 1 skipped" "" ownfail

client both "FAIL c3 runc a : ref broken" "FAIL c3 berth a : broken too"
expect "both failed" 1 "0 passed, 1 failed" "reference runc: 0 passed, 1 failed" both

printf '#!/bin/bash\nexit 3\n' >"$dir/crash.sh"
expect "a client file that records nothing" 1 "2 passed, 1 failed" "" refonly crash

echo "clients_summary: $passed passed, $failed failed"
[ "$failed" = 0 ]
