#!/usr/bin/env bats
# The leak checks the fault suites stand on: what they must count and what
# they must not, so that a failure there means berth left something.

load faults

setup() { fault_setup; }
teardown() {
  [ -z "${ZPARENT:-}" ] || { kill -KILL "$ZPARENT" 2>/dev/null; wait "$ZPARENT" 2>/dev/null || true; }
  # A reparented zombie is reaped a moment after its parent dies.
  local i
  for i in $(seq 50); do
    [ -z "${ZCG:-}" ] || [ ! -d "$ZCG" ] || rmdir "$ZCG" 2>/dev/null || { sleep 0.1; continue; }
    break
  done
  common_teardown
}

# in_cgroup PID: wait until PID has moved itself into $ZCG.
in_cgroup() {
  local i
  for i in $(seq 50); do
    grep -qsF -- "$ID" "/proc/$1/cgroup" && return 0
    sleep 0.1
  done
  fail "pid $1 never joined $ZCG"
}

# The scan finds pids first and asks whether each lives after: one that
# died in between (the init of a killed create, going) is dropped, and
# that must not make the scan itself fail under errexit. The death in
# between is made certain here by having pid_alive say so.
@test "own_processes: a pid found and dead when checked is neither listed nor a failure" {
  [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy to make the process's cgroup in"
  new_id
  ZCG=/sys/fs/cgroup/pids/$ID
  mkdir "$ZCG"
  sh -c 'echo $$ >"$1/cgroup.procs"; exec sleep 60' sh "$ZCG" &
  ZPARENT=$!
  in_cgroup "$ZPARENT"
  pid_alive() { return 1; }
  run own_processes "$ID"
  [ "$status" -eq 0 ] || fail "own_processes failed ($status) on a pid that died"
  [ -z "$output" ] || fail "own_processes listed a dead pid: $output"
}

@test "own_processes: a live process in a cgroup named by the id is listed" {
  [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy to make the process's cgroup in"
  new_id
  ZCG=/sys/fs/cgroup/pids/$ID
  mkdir "$ZCG"
  sh -c 'echo $$ >"$1/cgroup.procs"; exec sleep 60' sh "$ZCG" &
  ZPARENT=$!
  in_cgroup "$ZPARENT"
  run own_processes "$ID"
  [ "$status" -eq 0 ]
  grep -q "^$ZPARENT sleep\$" <<<"$output" || fail "own_processes missed pid $ZPARENT: $output"
}
