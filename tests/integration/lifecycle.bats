#!/usr/bin/env bats
# create / start / state / kill / delete: the lifecycle of runtime.md and
# runc's create/start split through exec.fifo.

load ../lib/helpers

@test "lifecycle: create, start, kill, delete" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0

  rtc state "$ID"
  assert_status 0
  [ "$(jq -r .status <<<"$output")" = created ]
  local pid
  pid=$(jq -r .pid <<<"$output")
  [ "$pid" -gt 0 ]
  kill -0 "$pid"

  rtc start "$ID"
  assert_status 0
  wait_status "$ID" running
  # start does not replace the process: the init that blocked is the one
  # that now runs the user program.
  [ "$(rt state "$ID" | jq -r .pid)" = "$pid" ]

  rtc kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped

  rtc delete "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  wait_dead "$pid"

  rtc state "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
}

@test "lifecycle: the user program runs only after start (exec.fifo)" {
  add_bind "$TEST_DIR/out" /out
  set_cmd 'echo ran > /out/marker'
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  [ "$(status_of "$ID")" = created ]
  # The state dir keeps the fifo that init blocks on until start.
  [ -p "$TEST_ROOT/$ID/exec.fifo" ]
  sleep 0.3
  [ ! -e "$TEST_DIR/out/marker" ]

  rt start "$ID"
  wait_file "$TEST_DIR/out/marker"
  [ "$(cat "$TEST_DIR/out/marker")" = ran ]
  wait_status "$ID" stopped
  [ ! -e "$TEST_ROOT/$ID/exec.fifo" ]
  rt delete "$ID"
}

@test "lifecycle: status goes created -> running -> stopped by itself" {
  add_bind "$TEST_DIR/out" /out
  # The program waits for the test's go-ahead, so "running" is observable.
  set_cmd 'while [ ! -e /out/go ]; do sleep 0.05; done; exit 0'
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  [ "$(status_of "$ID")" = created ]
  rt start "$ID"
  wait_status "$ID" running
  touch "$TEST_DIR/out/go"
  wait_status "$ID" stopped
  rtc state "$ID"
  assert_status 0
  # runc reports pid 0 for a stopped container.
  [ "$(jq -r .pid <<<"$output")" = 0 ]
  rt delete "$ID"
}

@test "lifecycle: create --pid-file writes the host pid of init" {
  set_args sleep 1000
  new_id
  rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$ID"
  [ -f "$TEST_DIR/pid" ]
  local pid
  pid=$(cat "$TEST_DIR/pid")
  # runc writes the number without a newline; accept either.
  [[ "$pid" =~ ^[0-9]+$ ]]
  [ "$pid" = "$(rt state "$ID" | jq -r .pid)" ]
  kill -0 "$pid"
  # The host pid, so its pid namespace differs from ours.
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
}

@test "lifecycle: relative --pid-file is relative to the caller's cwd" {
  set_args sleep 1000
  new_id
  mkdir "$TEST_DIR/cwd"
  (cd "$TEST_DIR/cwd" && rt create --bundle "$BUNDLE" --pid-file rel.pid "$ID")
  [ -s "$TEST_DIR/cwd/rel.pid" ]
}

@test "lifecycle: bundle defaults to the current directory" {
  set_args sleep 1000
  new_id
  (cd "$BUNDLE" && rt create "$ID")
  rtc state "$ID"
  assert_status 0
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "lifecycle: start of a running container fails" {
  set_args sleep 1000
  new_id
  rt run --detach --bundle "$BUNDLE" "$ID"
  wait_status "$ID" running
  rtc start "$ID"
  assert_failure
  [ "$(status_of "$ID")" = running ]
}

@test "lifecycle: start of a stopped container fails" {
  set_args true
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  rt start "$ID"
  wait_status "$ID" stopped
  rtc start "$ID"
  assert_failure
  [ "$(status_of "$ID")" = stopped ]
}

@test "lifecycle: start of a missing container fails with 'does not exist'" {
  new_id
  rtc start "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
}

@test "lifecycle: config.json changes after create have no effect" {
  add_bind "$TEST_DIR/out" /out
  set_cmd 'echo first > /out/which'
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  set_cmd 'echo second > /out/which'
  rt start "$ID"
  wait_file "$TEST_DIR/out/which"
  [ "$(cat "$TEST_DIR/out/which")" = first ]
}

@test "lifecycle: an id can be reused after delete" {
  set_args true
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  rt delete --force "$ID"
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(status_of "$ID")" = created ]
}

@test "lifecycle: two containers from one bundle live side by side" {
  set_args sleep 1000
  new_id; local a=$ID
  new_id; local b=$ID
  rt create --bundle "$BUNDLE" "$a"
  rt create --bundle "$BUNDLE" "$b"
  [ "$(rt state "$a" | jq -r .pid)" != "$(rt state "$b" | jq -r .pid)" ]
  rt start "$a"
  wait_status "$a" running
  [ "$(status_of "$b")" = created ]
}

# create records in state.json what later commands need config.json for
# (hooks, net devices, a shared pid namespace); a container needing none of
# it is started, killed and deleted without the copy being parsed again.
@test "lifecycle: start, kill and delete do not read the config copy of a container with no hooks" {
  set_args sleep 1000
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  [ "$(jq -c .config_uses "$TEST_ROOT/$ID/state.json")" = "[]" ]
  echo "not json" >"$TEST_ROOT/$ID/config.json"
  rtc start "$ID"
  assert_status 0
  wait_status "$ID" running
  rtc kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
  rtc delete "$ID"
  assert_status 0
  assert_not_contains "$output" "config.json"
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "lifecycle: start reads the config copy when there are poststart hooks" {
  set_args sleep 1000
  jq '.hooks.poststart = [{"path": "/bin/true"}]' "$BUNDLE/config.json" >"$TEST_DIR/c.json"
  mv "$TEST_DIR/c.json" "$BUNDLE/config.json"
  new_id
  rt create --bundle "$BUNDLE" "$ID"
  [ "$(jq -c .config_uses "$TEST_ROOT/$ID/state.json")" = '["poststart"]' ]
  echo "not json" >"$TEST_ROOT/$ID/config.json"
  rtc start "$ID"
  assert_failure
  assert_contains "$output" "load the container's copy of config.json"
  rt delete --force "$ID"
}
