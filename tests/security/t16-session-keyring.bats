#!/usr/bin/env bats
# T16: the caller's session keyring.
#
# A process keeps the session keyring of the process that started it. A
# container process that kept the runtime caller's (containerd's, a login
# session's) could read and add keys there. runc gives the init and every
# exec the container's own keyring, "_ses.<id>", unless --no-new-keyring
# says otherwise; so must berth. The caller here joins a keyring with a
# name of its own first, so inheriting it shows.

load common

setup() {
  sec_setup
  install_helper
  HOST_HELPER=$(sec_helper_bin) || fail "cannot build sec-helper"
  CALLER_RING=berth-t16-caller-$$
}

# as_caller CMD...: CMD run with $CALLER_RING as its session keyring.
as_caller() {
  "$HOST_HELPER" session "$CALLER_RING" "$@"
}

# The name field of the keyring line the helper printed.
ring_name() {
  printf '%s\n' "$stdout" | awk '$1 == "RESULT" && $2 == "keyring" { n = split($4, f, ";"); print f[n] }'
}

@test "T16 the caller's keyring is visible to the caller (the probe works)" {
  capture as_caller "$HOST_HELPER" keyring
  [ "$(ring_name)" = "$CALLER_RING" ] || fail "probe saw '$(ring_name)', not $CALLER_RING"
}

@test "T16 the init gets the container's own session keyring" {
  set_cmd 'sec-helper keyring'
  new_id
  capture as_caller "$BERTH" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(ring_name)" = "_ses.$ID" ] || fail "the init's session keyring is '$(ring_name)'"
}

@test "T16 exec gets the container's session keyring, not the caller's" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  capture as_caller "$BERTH" --root "$TEST_ROOT" exec "$ID" sec-helper keyring
  assert_status 0
  [ "$(ring_name)" = "_ses.$ID" ] || fail "the exec'd process has session keyring '$(ring_name)'"
  capture as_caller "$BERTH" --root "$TEST_ROOT" exec "$ID" sh -c 'sec-helper keyring'
  [ "$(ring_name)" = "_ses.$ID" ] || fail "the exec'd shell has session keyring '$(ring_name)'"
}

@test "T16 --no-new-keyring keeps the caller's keyring, for create and exec alike" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  capture as_caller "$BERTH" --root "$TEST_ROOT" create --no-new-keyring --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc start "$ID"
  assert_status 0
  capture as_caller "$BERTH" --root "$TEST_ROOT" exec "$ID" sec-helper keyring
  assert_status 0
  [ "$(ring_name)" = "$CALLER_RING" ] || fail "exec's session keyring is '$(ring_name)'"
}
