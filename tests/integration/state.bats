#!/usr/bin/env bats
# state ID: the JSON document of runtime.md, as runc prints it.

load ../lib/helpers

# validate_state JSON: against the spec's state schema when python3 has
# jsonschema, else the required fields and their types with jq.
validate_state() {
  local json=$1 rc=0
  if [ -n "$SCHEMA_DIR" ]; then
    python3 "$REPO_ROOT/tests/lib/validate-json.py" "$SCHEMA_DIR/state-schema.json" <<<"$json" || rc=$?
    [ "$rc" -ne 3 ] && return "$rc"
  fi
  echo "# jsonschema unavailable: checking fields with jq" >&2
  jq -e '(.ociVersion | type) == "string" and (.id | type) == "string"
         and (.status | IN("creating", "created", "running", "stopped"))
         and (.bundle | type) == "string"
         and ((.pid // 0) | type) == "number"
         and ((.annotations // {}) | type) == "object"' <<<"$json"
}

@test "state: created container has every field" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc state "$ID"
  assert_status 0
  local s=$stdout
  validate_state "$s"
  [ "$(jq -r .id <<<"$s")" = "$ID" ]
  [ "$(jq -r .status <<<"$s")" = created ]
  [ "$(jq -r '.pid | type' <<<"$s")" = number ]
  [ "$(jq -r .pid <<<"$s")" -gt 0 ]
  [ "$(jq -r .bundle <<<"$s")" = "$BUNDLE" ]
  [ "$(jq -r .rootfs <<<"$s")" = "$BUNDLE/rootfs" ]
  [ "$(jq -r '.owner | type' <<<"$s")" = string ]
  [ "$(jq -r '.ociVersion | type' <<<"$s")" = string ]
  # RFC 3339 with nanoseconds, in UTC, as Go prints it.
  [[ "$(jq -r .created <<<"$s")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]
}

@test "state: field order matches runc" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  rtc state "$ID"
  assert_status 0
  # Callers parse JSON, but people diff it: keep runc's order.
  [ "$(jq -c keys_unsorted <<<"$stdout")" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' ]
}

@test "state: created time is close to now" {
  set_args sleep 1000
  new_id
  local before
  before=$(date -u +%s)
  rtc create --bundle "$BUNDLE" "$ID"
  local created t
  created=$(rt state "$ID" | jq -r .created)
  t=$(date -u -d "$(sed 's/\.[0-9]*Z$/Z/' <<<"$created")" +%s)
  [ "$t" -ge $((before - 2)) ] && [ "$t" -le $(($(date -u +%s) + 2)) ]
}

@test "state: running and stopped" {
  add_bind "$TEST_DIR/out" /out
  set_cmd 'while [ ! -e /out/go ]; do sleep 0.05; done'
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  wait_status "$ID" running
  validate_state "$(rt state "$ID")"
  touch "$TEST_DIR/out/go"
  wait_status "$ID" stopped
  rtc state "$ID"
  assert_status 0
  validate_state "$stdout"
  [ "$(jq -r .pid <<<"$stdout")" = 0 ]
}

@test "state: annotations from config.json are reported" {
  cfg '.annotations = {"org.berth.test": "yes", "com.example.other": "1"}'
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  rtc state "$ID"
  assert_status 0
  validate_state "$stdout"
  [ "$(jq -r '.annotations["org.berth.test"]' <<<"$stdout")" = yes ]
  [ "$(jq -r '.annotations["com.example.other"]' <<<"$stdout")" = 1 ]
}

@test "state: no annotations key without annotations" {
  cfg 'del(.annotations)'
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  rtc state "$ID"
  assert_status 0
  [ "$(jq -r 'has("annotations")' <<<"$stdout")" = false ]
}

@test "state: ociVersion is the spec version berth implements (1.3.0)" {
  skip_if_runc "1.1.5 reports the spec version it was built with (1.0.2-dev)"
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$(rt state "$ID" | jq -r .ociVersion)" = 1.3.0 ]
}

@test "state: the status is asked of the kernel, not of the state file" {
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  wait_status "$ID" running
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  # The process dies behind the runtime's back.
  kill -KILL "$pid"
  wait_status "$ID" stopped
}

@test "state: missing container fails with 'does not exist'" {
  new_id
  rtc state "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
  [ -z "$stdout" ]
}

@test "state: missing id argument fails" {
  rtc state
  assert_failure
}

@test "state: delete --force clears a container whose state.json is empty" {
  # What a machine crash right after create can leave on a disk-backed
  # root: state_save renames without an fsync, and the container's
  # processes died with the machine.
  set_args true
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  kill -9 "$pid"
  wait_dead "$pid"
  cp "$TEST_ROOT/$ID/state.json" "$BATS_TEST_TMPDIR/state.json"
  : >"$TEST_ROOT/$ID/state.json"

  rtc delete "$ID"
  assert_failure
  assert_contains "$output" "state.json"

  rtc delete --force "$ID"
  local status_was=$status
  local left=no
  [ ! -e "$TEST_ROOT/$ID" ] || left=yes
  # A real crash takes the cgroups along; here they are still there, and
  # a delete from the saved state removes them.
  mkdir -p "$TEST_ROOT/$ID"
  cp "$BATS_TEST_TMPDIR/state.json" "$TEST_ROOT/$ID/state.json"
  rt delete --force "$ID"
  [ "$status_was" -eq 0 ] || fail "delete --force of an empty state.json: $output"
  [ "$left" = no ] || fail "delete --force left $TEST_ROOT/$ID"
}

@test "state: a state.json with its cgroup inline (before cgroup.json) still works" {
  # The cgroup record moved out of state.json so that list parses a few
  # hundred bytes a container; states written before must still load.
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local dir=$TEST_ROOT/$ID
  [ -f "$dir/cgroup.json" ] || fail "no cgroup.json beside state.json"
  jq -e 'has("cgroup") | not' "$dir/state.json" >/dev/null || fail "cgroup still in state.json"
  jq -c --slurpfile cg "$dir/cgroup.json" 'del(.freezer, .freezer_v2) | .cgroup = $cg[0]' \
    "$dir/state.json" >"$dir/state.json.old"
  mv "$dir/state.json.old" "$dir/state.json"
  rm "$dir/cgroup.json"

  rtc pause "$ID"
  assert_status 0
  [ "$(rt list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" = paused ]
  rtc resume "$ID"
  assert_status 0
  [ "$(rt state "$ID" | jq -r .status)" = running ]
  rtc delete --force "$ID"
  assert_status 0
  [ ! -e "$dir" ]
}
