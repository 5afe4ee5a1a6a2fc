#!/usr/bin/env bats
# The leak checks the fault suites stand on: what they must count and what
# they must not, so that a failure there means berth left something.

load faults

setup() { fault_setup; }
teardown() {
  # The sleep is ours: killed and reaped here, its cgroup is empty.
  [ -z "${ZPARENT:-}" ] || { kill -KILL "$ZPARENT" 2>/dev/null; wait "$ZPARENT" 2>/dev/null || true; }
  [ -z "${ZCG:-}" ] || [ ! -d "$ZCG" ] || rmdir "$ZCG"
  common_teardown
}

# sleeper_in_id_cgroup: a new id, a v1 pids cgroup named by it ($ZCG) and
# a sleep of ours in it ($ZPARENT), as a container's init would be.
sleeper_in_id_cgroup() {
  new_id
  ZCG=/sys/fs/cgroup/pids/$ID
  mkdir "$ZCG"
  sh -c 'echo $$ >"$1/cgroup.procs"; exec sleep 60' sh "$ZCG" &
  ZPARENT=$!
  local i
  for i in $(seq 50); do
    grep -qsF -- "$ID" "/proc/$ZPARENT/cgroup" && return 0
    sleep 0.1
  done
  fail "pid $ZPARENT never joined $ZCG"
}

# The scan finds pids first and asks whether each lives after: one that
# died in between (the init of a killed create, going) is dropped, and
# that must not make the scan itself fail under errexit. The death in
# between is made certain here by having pid_alive say so.
@test "own_processes: a pid found and dead when checked is neither listed nor a failure" {
  [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy to make the process's cgroup in"
  sleeper_in_id_cgroup
  pid_alive() { return 1; }
  run own_processes "$ID"
  [ "$status" -eq 0 ] || fail "own_processes failed ($status) on a pid that died"
  [ -z "$output" ] || fail "own_processes listed a dead pid: $output"
}

@test "own_processes: a live process in a cgroup named by the id is listed" {
  [ -d /sys/fs/cgroup/pids ] || skip "no v1 pids hierarchy to make the process's cgroup in"
  sleeper_in_id_cgroup
  run own_processes "$ID"
  [ "$status" -eq 0 ]
  grep -q "^$ZPARENT sleep\$" <<<"$output" || fail "own_processes missed pid $ZPARENT: $output"
}
