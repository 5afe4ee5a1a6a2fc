#!/usr/bin/env bats
# kill ID [SIGNAL]: numbers, names with and without SIG, the TERM default,
# the obsolete --all, and the errors callers match on.

load ../lib/helpers

# A container whose init records the signals it gets in /out/signals and
# says /out/ready once its traps are set.
start_trapper() {
  add_bind "$TEST_DIR/out" /out
  set_cmd 'for s in TERM USR1 USR2 HUP; do trap "echo $s >> /out/signals" $s; done
           echo > /out/ready
           while :; do sleep 0.05; done'
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_file "$TEST_DIR/out/ready"
}

# wait_signal NAME: the container recorded NAME.
wait_signal() {
  local i
  for i in $(seq 50); do
    grep -qx "$1" "$TEST_DIR/out/signals" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "signal $1 not received (got: $(cat "$TEST_DIR/out/signals" 2>/dev/null))"
}

@test "kill: default signal is TERM" {
  start_trapper
  rtc kill "$ID"
  assert_status 0
  wait_signal TERM
}

@test "kill: signal by number" {
  start_trapper
  rtc kill "$ID" 10
  assert_status 0
  wait_signal USR1
  rtc kill "$ID" 9
  assert_status 0
  wait_status "$ID" stopped
}

@test "kill: signal by name without SIG" {
  start_trapper
  rtc kill "$ID" USR2
  assert_status 0
  wait_signal USR2
}

@test "kill: signal by name with SIG" {
  start_trapper
  rtc kill "$ID" SIGHUP
  assert_status 0
  wait_signal HUP
  rtc kill "$ID" SIGKILL
  assert_status 0
  wait_status "$ID" stopped
}

@test "kill: --all and -a are accepted" {
  start_trapper
  rtc kill --all "$ID" USR1
  assert_status 0
  wait_signal USR1
  rtc kill -a "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
}

@test "kill: a created container can be killed" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
}

@test "kill: unknown signal name fails, container untouched" {
  start_trapper
  rtc kill "$ID" SIGNOPE
  assert_failure
  rtc kill "$ID" NOPE
  assert_failure
  [ "$(status_of "$ID")" = running ]
  [ ! -e "$TEST_DIR/out/signals" ]
}

@test "kill: out-of-range signal number fails" {
  start_trapper
  rtc kill "$ID" 999
  assert_failure
  [ "$(status_of "$ID")" = running ]
}

@test "kill: missing container fails with 'does not exist'" {
  new_id
  rtc kill "$ID" KILL
  assert_failure
  assert_contains "$output" "does not exist"
}

@test "kill: stopped container fails with 'container not running'" {
  set_args true
  new_id
  rtc run --keep --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc kill "$ID" KILL
  assert_failure
  assert_contains "$output" "container not running"
}

@test "kill --all: stopped container succeeds" {
  set_args true
  new_id
  rtc run --keep --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc kill --all "$ID" KILL
  assert_status 0
}

@test "kill: missing id argument fails" {
  rtc kill
  assert_failure
}
