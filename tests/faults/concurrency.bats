#!/usr/bin/env bats
# 200 commands at once on the same 10 containers: create, start, kill,
# delete, state and exec racing. No crash, no damaged state.json, every
# command succeeds or says why, and in the end the state matches the
# kernel and delete --force leaves nothing.

load faults

setup() { fault_setup; }
teardown() { common_teardown; }

# one_command N: the Nth command of the mix, on id N % 10.
one_command() {
  local n=$1 id=$ID_PREFIX-c$(( $1 % 10 ))
  case $(( n / 10 % 6 )) in
    0) set -- create --bundle "$BUNDLE" "$id" ;;
    1) set -- start "$id" ;;
    2) set -- kill "$id" KILL ;;
    3) set -- delete "$id" ;;
    4) set -- state "$id" ;;
    5) set -- exec "$id" true ;;
  esac
  local rc=0 start=$SECONDS
  timeout -k 5 120 "$BERTH" --root "$TEST_ROOT" "$@" </dev/null \
    >"$TEST_DIR/cmd.$n.out" 2>"$TEST_DIR/cmd.$n.err" || rc=$?
  echo "$rc $((SECONDS - start)) $*" >"$TEST_DIR/cmd.$n.rc"
}

# exec exits with its process's status: 137 when a kill or delete racing
# it killed that process. timeout's own SIGKILL, for a hang, comes only
# after 125 s.
workload_killed() {
  local rc=$1 seconds=$2 command=$3
  [ "$command" = exec ] && [ "$rc" -eq 137 ] && [ "$seconds" -lt 100 ]
}

@test "200 parallel commands on 10 ids: no crash, clear errors, state that matches the kernel" {
  local n pids=() bad=0 rc seconds command
  # Create all ten first half the time, so that start, exec and kill find
  # something to act on.
  for n in 0 2 4 6 8; do rtc create --bundle "$BUNDLE" "$ID_PREFIX-c$n"; done
  for n in $(seq 0 199); do
    one_command "$n" &
    pids+=($!)
  done
  for n in "${pids[@]}"; do wait "$n" || true; done
  local ok=0 failed=0
  for n in $(seq 0 199); do
    read -r rc seconds command _ <"$TEST_DIR/cmd.$n.rc"
    if [ "$rc" -eq 0 ]; then
      ok=$((ok + 1))
    elif workload_killed "$rc" "$seconds" "$command"; then
      failed=$((failed + 1))
    elif [ "$rc" -eq 124 ] || { [ "$rc" -gt 128 ] && [ "$rc" -lt 255 ]; }; then
      echo "command $n crashed or hung: $(cat "$TEST_DIR/cmd.$n.rc"): $(cat "$TEST_DIR/cmd.$n.err")" >&2
      bad=$((bad + 1))
    elif ! grep -q 'level=error msg=".\+"' "$TEST_DIR/cmd.$n.err"; then
      echo "command $n failed without a clear error: $(cat "$TEST_DIR/cmd.$n.rc"): $(cat "$TEST_DIR/cmd.$n.err")" >&2
      bad=$((bad + 1))
    else
      failed=$((failed + 1))
    fi
  done
  echo "# 200 commands: $ok succeeded, $failed failed with a clear error, $bad bad" >&3
  for n in $(seq 0 9); do
    local id=$ID_PREFIX-c$n f=$TEST_ROOT/$ID_PREFIX-c$n/state.json
    if [ -e "$f" ]; then
      jq -e . "$f" >/dev/null || { echo "$id: damaged state.json" >&2; bad=$((bad + 1)); }
    fi
    state_truthful "$id" || bad=$((bad + 1))
    rtc delete --force "$id"
    check_leaks "$id" || bad=$((bad + 1))
  done
  [ "$bad" -eq 0 ]
}
