#!/usr/bin/env bats
# run: create + start in one go; foreground exit status, --detach, --keep,
# signal forwarding and stdio pass-through.

load ../lib/helpers

@test "run: foreground exit status 0" {
  run_container 'exit 0'
  assert_status 0
}

@test "run: foreground exit status is the container's" {
  run_container 'exit 3'
  assert_status 3
  run_container 'exit 255'
  assert_status 255
}

@test "run: output of the container reaches the caller" {
  run_container 'echo to-stdout; echo to-stderr >&2'
  assert_status 0
  [ "$stdout" = to-stdout ]
  [ "$stderr" = to-stderr ]
}

@test "run: stdin is passed through without a terminal" {
  set_args cat
  new_id
  run bash -c 'echo piped-in | timeout 60 "$1" --root "$2" run --bundle "$3" "$4"' _ \
    "$BERTH" "$TEST_ROOT" "$BUNDLE" "$ID"
  assert_status 0
  [ "$output" = piped-in ]
}

@test "run: a container killed by a signal exits with 128+signal" {
  set_args sleep 1000
  new_id
  "$BERTH" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_DIR/out" 2>&1 &
  local runner=$!
  wait_status "$ID" running
  rt kill "$ID" KILL
  local rc=0
  wait_child "$runner" || rc=$?
  [ "$rc" -eq 137 ] || fail "exit status $rc, expected 137 ($(cat "$TEST_DIR/out"))"
}

@test "run: foreground run forwards signals to the container" {
  set_cmd 'trap "echo got-TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  new_id
  "$BERTH" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$ID" </dev/null >"$TEST_DIR/out" 2>&1 &
  local runner=$!
  wait_status "$ID" running
  # The shell prints "ready" once its trap is set.
  local i
  for i in $(seq 50); do grep -q ready "$TEST_DIR/out" && break; sleep 0.1; done
  kill -TERM "$runner"
  local rc=0
  wait_child "$runner" || rc=$?
  [ "$rc" -eq 9 ] || fail "exit status $rc, expected 9 ($(cat "$TEST_DIR/out"))"
  grep -q got-TERM "$TEST_DIR/out"
}

@test "run: the container is deleted after a foreground run" {
  run_container 'exit 0'
  assert_status 0
  rtc state "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "run --keep: the stopped container stays until delete" {
  set_cmd 'exit 4'
  new_id
  rtc run --keep --bundle "$BUNDLE" "$ID"
  assert_status 4
  [ "$(status_of "$ID")" = stopped ]
  rtc delete "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "run --detach: returns at once, container running" {
  set_args sleep 1000
  new_id
  local t0=$SECONDS
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ $((SECONDS - t0)) -lt 10 ]
  wait_status "$ID" running
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  kill -0 "$pid"
}

@test "run -d: short form of --detach, with --pid-file" {
  set_args sleep 1000
  new_id
  rtc run -d --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(cat "$TEST_DIR/pid")" = "$(rt state "$ID" | jq -r .pid)" ]
}

@test "run: missing executable fails with 'executable file not found'" {
  set_args no-such-program
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$output" "executable file not found"
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "run: non-executable program fails with 'permission denied'" {
  set_args /etc/passwd
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$output" "permission denied"
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "run: the process list inside shows only the container's processes" {
  # "; true" keeps the shell from exec'ing ps, so there are two processes.
  run_container 'ps -o pid,comm; true'
  assert_status 0
  # Header, the shell (pid 1) and ps itself: nothing of the host.
  local lines
  lines=$(grep -cv PID <<<"$stdout")
  [ "$lines" -eq 2 ] || fail "unexpected processes: $stdout"
  grep -qE '^ *1 +sh$' <<<"$stdout"
}

@test "run: the container's init is pid 1 of a new pid namespace" {
  run_container 'echo $$; readlink /proc/self/ns/pid'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = 1 ]
  [ "$(sed -n 2p <<<"$stdout")" != "$(readlink /proc/self/ns/pid)" ]
}
