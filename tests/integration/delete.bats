#!/usr/bin/env bats
# delete [--force] ID in every state, and for missing ids.

load ../lib/helpers

@test "delete: stopped container" {
  set_args true
  new_id
  rtc run --keep --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc delete "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  rtc state "$ID"
  assert_failure
}

@test "delete: created container is killed and deleted without --force" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  rtc delete "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  wait_dead "$pid"
}

@test "delete: running container without --force fails and keeps it" {
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc delete "$ID"
  assert_failure
  # runc: "cannot delete container X that is not stopped: running"
  assert_contains "$output" "not stopped"
  [ "$(status_of "$ID")" = running ]
}

@test "delete --force: running container" {
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  rtc delete --force "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  wait_dead "$pid"
}

@test "delete -f: running container, short flag" {
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  rtc delete -f "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "delete --force: a container with children kills them all" {
  # The children sit in the container's pid namespace: killing init takes
  # them down too, and nothing may survive delete.
  set_cmd 'sleep 1000 & sleep 1000 & wait'
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_status "$ID" running
  local pid children
  pid=$(rt state "$ID" | jq -r .pid)
  sleep 0.3
  children=$(cat /proc/"$pid"/task/*/children)
  [ -n "$children" ]
  rtc delete --force "$ID"
  assert_status 0
  local c
  for c in $children; do
    wait_dead "$c"
  done
}

@test "delete --force: missing container succeeds" {
  new_id
  rtc delete --force "$ID"
  assert_status 0
}

@test "delete: missing container fails with 'does not exist'" {
  new_id
  rtc delete "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
}

@test "delete: missing id argument fails" {
  rtc delete
  assert_failure
}
