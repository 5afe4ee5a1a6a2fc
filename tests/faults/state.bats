#!/usr/bin/env bats
# Damaged state: a corrupted or truncated state.json, a state directory
# whose process is gone, a pid now used by another process. Clear errors,
# and delete --force recovers.

load faults

setup() { fault_setup; }
teardown() { common_teardown; }

created() {
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$status" -eq 0 ]
}

@test "truncated state.json: state names the file, delete --force removes everything" {
  created
  local f=$TEST_ROOT/$ID/state.json
  truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"
  rtc state "$ID"
  [ "$status" -ne 0 ]
  grep -q "state.json" <<<"$stderr"
  rtc list
  [ "$status" -eq 0 ]
  rtc delete --force "$ID"
  [ "$status" -eq 0 ]
  check_leaks "$ID"
}

@test "state.json and cgroup.json both lost: delete --force finds the cgroup from the config and removes it, the init included" {
  created
  rm "$TEST_ROOT/$ID/state.json" "$TEST_ROOT/$ID/cgroup.json"
  [ -n "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$ID")" ] || fail "no cgroup named $ID to find again"
  rtc delete --force "$ID"
  [ "$status" -eq 0 ] || fail "delete --force: $stderr"
  check_leaks "$ID"
}

@test "state.json of garbage, empty or wrong type: clear errors, delete --force recovers" {
  local bad
  for bad in '' 'garbage' '[]' '{"id": 5, "pid": "x"}' '{"pid": -1}' "$(head -c 300 /dev/urandom | tr -d '\0')"; do
    created
    printf '%s' "$bad" >"$TEST_ROOT/$ID/state.json"
    rtc state "$ID"
    if [ "$status" -eq 0 ]; then
      [ "$(jq -r .status <<<"$stdout")" = stopped ] || fail "state of '$bad' says $(jq -r .status <<<"$stdout")"
    else
      grep -q "state" <<<"$stderr" || fail "unclear error: $stderr"
    fi
    rtc delete --force "$ID"
    [ "$status" -eq 0 ] || fail "delete --force with state '$bad': $stderr"
    check_leaks "$ID"
  done
}

@test "a state directory whose init is gone reads stopped, and delete cleans up" {
  created
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  kill -KILL "$pid"
  wait_status "$ID" stopped
  rtc delete "$ID"
  [ "$status" -eq 0 ]
  check_leaks "$ID"
}

@test "a recorded pid now used by another process is never signalled" {
  created
  # A pid is reused only after the counter wraps, long after the init
  # started; start times count in 10 ms ticks, and create can take less:
  # the stand-in starts a few ticks later, as a reuse always would.
  sleep 0.05
  sleep 1000 &
  local other=$!
  # Point the state at an unrelated process: same pid, other start time.
  jq --argjson p "$other" '.pid = $p' "$TEST_ROOT/$ID/state.json" >"$TEST_DIR/s" &&
    mv "$TEST_DIR/s" "$TEST_ROOT/$ID/state.json"
  rtc state "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$stdout")" = stopped ]
  rtc kill "$ID" KILL
  [ "$status" -ne 0 ]
  rtc delete --force "$ID"
  [ "$status" -eq 0 ]
  pid_alive "$other" || fail "delete --force killed an unrelated process"
  kill "$other"
  check_leaks "$ID"
}

@test "a state.json that is a symlink or a directory is refused, and delete --force recovers" {
  created
  mv "$TEST_ROOT/$ID/state.json" "$TEST_DIR/real-state"
  ln -s "$TEST_DIR/real-state" "$TEST_ROOT/$ID/state.json"
  rtc state "$ID"
  [ "$status" -ne 0 ]
  grep -q "state" <<<"$stderr"
  rtc delete --force "$ID"
  [ "$status" -eq 0 ]
  [ -f "$TEST_DIR/real-state" ]
  check_leaks "$ID"
}
