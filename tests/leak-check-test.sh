#!/bin/bash
# leak-check-test.sh: the leak check lists a process whose command line
# holds newlines (a container's shell script) as one line, so that a later
# line of it cannot be taken for a leak of its own. Needs root and the v1
# pids hierarchy; prints "leak_check: N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
hier=/sys/fs/cgroup/pids
if [ "$(id -u)" != 0 ] || [ ! -f "$hier/cgroup.procs" ]; then
  echo "skipped: needs root and the cgroup v1 pids hierarchy"
  exit 77
fi
marker=berth-leakcheck-$$
cg=$hier/$marker
mkdir "$cg" || exit 1
sh -c 'sleep 300
: '"$marker" </dev/null >/dev/null 2>&1 &
pid=$!
# The shell and its sleep, both in the cgroup by then.
cleanup() {
  xargs -r kill 2>/dev/null <"$cg/cgroup.procs"
  wait "$pid" 2>/dev/null
  rmdir "$cg" 2>/dev/null
}
trap cleanup EXIT
echo "$pid" >"$cg/cgroup.procs"

passed=0 failed=0
lines=$("$here/leak-check.sh" list | grep -F "$marker")
if grep -q "^proc $pid:" <<<"$lines"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: no proc line for pid $pid: $lines"
fi
stray=$(grep -vE '^(proc|cgroup) ' <<<"$lines")
if [ -z "$stray" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: lines that are neither a process nor a cgroup: $stray"
fi
echo "leak_check: $passed passed, $failed failed"
[ "$failed" = 0 ]
