#!/usr/bin/env bats
# The tests' own teardown: whatever a runtime leaves of a test's
# containers (here made by hand, as a runtime killed half-way would leave
# it) fails the test and is removed, so a failing test leaves nothing.

load ../lib/helpers

@test "teardown: cgroups named after a container, nested and with a process, fail the test and are removed" {
  [ -d /sys/fs/cgroup/pids ] || skip "no cgroup v1 pids hierarchy"
  new_id
  local top=/sys/fs/cgroup/pids/$ID-parent nested=/sys/fs/cgroup/pids/$ID-parent/$ID
  mkdir -p "$nested"
  sleep 300 </dev/null >/dev/null 2>&1 &
  local pid=$!
  echo "$pid" >"$nested/cgroup.procs"
  run common_teardown
  [ "$status" -ne 0 ] || { rmdir "$nested" "$top"; fail "teardown passed with cgroups left"; }
  assert_contains "$output" "cgroups left behind"
  [ ! -d "$nested" ] || fail "$nested is still there"
  [ ! -d "$top" ] || fail "$top is still there"
  wait_dead "$pid" 20
}
