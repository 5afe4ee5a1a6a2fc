#!/usr/bin/env bats
# Global options and the option grammar shared by all commands (runc's
# urfave/cli rules): --version, --help, --root, --log, --log-format,
# --opt=value, single-dash long options, unknown flags.

load ../lib/helpers

runtime_name() {
  if is_runc; then echo runc; else echo berth; fi
}

@test "cli: --version prints 'NAME version X', commit and spec lines" {
  rtc --version
  assert_status 0
  [[ "$(sed -n 1p <<<"$stdout")" =~ ^$(runtime_name)\ version\ [0-9] ]]
  grep -q '^commit: ' <<<"$stdout"
  grep -qE '^spec: [0-9]' <<<"$stdout"
}

@test "cli: -v is --version" {
  rtc -v
  assert_status 0
  [[ "$(sed -n 1p <<<"$stdout")" =~ ^$(runtime_name)\ version ]]
}

@test "cli: --help lists the commands" {
  rtc --help
  assert_status 0
  local c
  for c in create start run state kill delete list spec features; do
    grep -qE "^ +$c( |,)" <<<"$stdout" || fail "--help does not list $c"
  done
}

@test "cli: COMMAND --help exits 0" {
  rtc create --help
  assert_status 0
  assert_contains "$stdout" "--bundle"
}

@test "cli: unknown command fails" {
  rtc no-such-command
  assert_failure
}

@test "cli: unknown flag fails with urfave's words" {
  new_id
  rtc create --no-such-flag "$ID"
  assert_failure
  assert_contains "$output" "flag provided but not defined: -no-such-flag"
  [ "$(state_entries)" -eq 0 ]
}

@test "cli: flag without its value fails with 'flag needs an argument'" {
  rtc create --bundle
  assert_failure
  assert_contains "$output" "flag needs an argument"
}

@test "cli: --root places the state in ROOT/ID" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ -d "$TEST_ROOT/$ID" ]
  [ -f "$TEST_ROOT/$ID/state.json" ]
}

@test "cli: --root=DIR and -root DIR" {
  set_args sleep 1000
  new_id
  rawc --root="$TEST_ROOT" create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rawc -root "$TEST_ROOT" state "$ID"
  assert_status 0
  [ "$(jq -r .status <<<"$stdout")" = created ]
}

@test "cli: a missing --root directory is created" {
  TEST_ROOT=$TEST_DIR/deep/er/root
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ -d "$TEST_ROOT/$ID" ]
}

@test "cli: single-dash long options (-bundle, -pid-file)" {
  set_args sleep 1000
  new_id
  rtc create -bundle "$BUNDLE" -pid-file "$TEST_DIR/pid" "$ID"
  assert_status 0
  [ -s "$TEST_DIR/pid" ]
}

@test "cli: --opt=value forms (--bundle=, --pid-file=)" {
  set_args sleep 1000
  new_id
  rtc create --bundle="$BUNDLE" --pid-file="$TEST_DIR/pid" "$ID"
  assert_status 0
  [ -s "$TEST_DIR/pid" ]
}

@test "cli: flags after the container id" {
  set_args sleep 1000
  new_id
  rtc create "$ID" --bundle "$BUNDLE"
  assert_status 0
  [ "$(status_of "$ID")" = created ]
}

@test "cli: boolean flags take =true and =false" {
  set_args sleep 1000
  new_id
  rtc run --detach=true --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_status "$ID" running
  rtc delete --force=true "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
}

@test "cli: --log with --log-format json writes error lines containerd parses" {
  new_id
  rtc --log "$TEST_DIR/log.json" --log-format json state "$ID"
  assert_failure
  [ -s "$TEST_DIR/log.json" ]
  local line
  line=$(grep '"level":"error"' "$TEST_DIR/log.json" | tail -1)
  [ -n "$line" ] || fail "no error line in $(cat "$TEST_DIR/log.json")"
  jq -e '.level == "error" and (.msg | type) == "string" and (.time | type) == "string"' <<<"$line"
  assert_contains "$(jq -r .msg <<<"$line")" "does not exist"
  [[ "$(jq -r .time <<<"$line")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?(Z|[+-][0-9:]+)$ ]]
  # Every line of the file is a JSON object.
  jq -e . "$TEST_DIR/log.json" >/dev/null
}

@test "cli: --log-format=json --log=FILE (= forms)" {
  new_id
  rtc --log-format=json --log="$TEST_DIR/log.json" kill "$ID" KILL
  assert_failure
  grep -q '"level":"error"' "$TEST_DIR/log.json"
}

@test "cli: --log appends, never truncates" {
  echo '{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}' >"$TEST_DIR/log.json"
  new_id
  rtc --log "$TEST_DIR/log.json" --log-format json state "$ID"
  rtc --log "$TEST_DIR/log.json" --log-format json delete "$ID"
  grep -q earlier "$TEST_DIR/log.json"
  [ "$(grep -c '"level":"error"' "$TEST_DIR/log.json")" -eq 2 ]
}

@test "cli: --log in text format" {
  new_id
  rtc --log "$TEST_DIR/log.txt" state "$ID"
  assert_failure
  grep -q 'level=error' "$TEST_DIR/log.txt"
  grep -q 'does not exist' "$TEST_DIR/log.txt"
}

@test "cli: errors go to stderr, not stdout" {
  new_id
  rtc state "$ID"
  assert_failure
  [ -z "$stdout" ]
  assert_contains "$stderr" "does not exist"
}

@test "cli: --debug is accepted" {
  new_id
  rtc --debug state "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
}
