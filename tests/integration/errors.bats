#!/usr/bin/env bats
# What create does with bad input: invalid and duplicate ids, missing
# bundles and configs, broken JSON, and failures half-way through create,
# which must leave no state directory, cgroup, mount or process behind.

load ../lib/helpers

# nothing_left NAME: no state entry, no cgroup directory named NAME, no
# process in such a cgroup, no mount under the test's directory.
nothing_left() {
  local name=$1
  [ "$(state_entries)" -eq 0 ] || fail "state left: $(ls "$TEST_ROOT")"
  local dirs
  # find fails when a cgroup it is walking disappears under it (another
  # container's being removed): that is no leak of this one.
  dirs=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$name" 2>/dev/null || true)
  [ -z "$dirs" ] || fail "cgroups left: $dirs"
  local procs
  procs=$(grep -l -- "/$name\$" /proc/[0-9]*/cgroup 2>/dev/null || true)
  [ -z "$procs" ] || fail "processes left: $procs"
  local mounts
  mounts=$(awk -v d="$TEST_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)
  [ -z "$mounts" ] || fail "mounts left: $mounts"
}

@test "errors: invalid ids are refused" {
  local id
  for id in ../x a/b /abs . .. 'sp ace' 'x;y' ''; do
    rtc create --bundle "$BUNDLE" "$id"
    assert_failure
    [ "$(state_entries)" -eq 0 ] || fail "id '$id' created $(ls "$TEST_ROOT")"
  done
  # Nothing was created beside the root either.
  [ ! -e "$TEST_DIR/x" ]
  [ ! -e "$TEST_ROOT/a" ]
}

@test "errors: invalid id message" {
  rtc create --bundle "$BUNDLE" ../x
  assert_failure
  assert_contains "$output" "invalid container ID"
}

@test "errors: ids with every allowed character are accepted" {
  set_args sleep 1000
  local id="berth-test_A.b+c-$RANDOM"
  rtc create --bundle "$BUNDLE" "$id"
  assert_status 0
  [ "$(status_of "$id")" = created ]
}

@test "errors: duplicate id" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$output" "container with given ID already exists"
  # The first one is untouched.
  [ "$(status_of "$ID")" = created ]
  [ "$(rt state "$ID" | jq -r .pid)" = "$pid" ]
  pid_alive "$pid"
}

@test "errors: missing bundle directory" {
  new_id
  rtc create --bundle "$TEST_DIR/no-such-bundle" "$ID"
  assert_failure
  assert_contains "$output" "no-such-bundle"
  nothing_left "$ID"
}

@test "errors: missing config.json" {
  rm "$BUNDLE/config.json"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$output" "config.json"
  nothing_left "$ID"
}

@test "errors: invalid JSON fails create" {
  printf '{\n  "ociVersion": "1.0.2",\n  "process": [}\n' >"$BUNDLE/config.json"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  nothing_left "$ID"
}

@test "errors: invalid JSON message names the file and line:column" {
  skip_if_runc "runc's message has no file name or position"
  printf '{\n  "ociVersion": "1.0.2",\n  "process": [}\n' >"$BUNDLE/config.json"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$stderr" "config.json"
  [[ "$stderr" =~ config\.json:3:[0-9]+ ]] || fail "no config.json:3:COL in: $stderr"
}

@test "errors: wrong type in config.json names the JSON path" {
  skip_if_runc "runc's message does not name the field"
  cfg '.process.args = "sh"'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$stderr" "process.args"
  nothing_left "$ID"
}

@test "errors: missing id" {
  rtc create --bundle "$BUNDLE"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "errors: commands on a missing id say 'does not exist'" {
  new_id
  local cmd
  for cmd in state start delete kill; do
    rtc "$cmd" "$ID"
    assert_failure
    assert_contains "$output" "does not exist"
  done
}

@test "errors: empty process.args" {
  cfg '.process.args = []'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  nothing_left "$ID"
}

@test "errors: missing rootfs" {
  cfg '.root.path = "no-such-rootfs"'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  nothing_left "$ID"
}

@test "errors: a bad mount fails create and leaves nothing behind" {
  local name="berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p
       | .mounts += [{"destination": "/bad", "type": "no-such-fs-type", "source": "none"}]' --arg p "$name"
  set_args sleep 1000
  new_id
  rtc create --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$ID"
  assert_failure
  nothing_left "$name"
  nothing_left "$ID"
  [ ! -e "$TEST_DIR/pid" ]
}

@test "errors: a bind mount of a missing source fails and leaves nothing" {
  local name="berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p
       | .mounts += [{"destination": "/bad", "type": "bind", "source": "/nonexistent/berth-test", "options": ["rbind"]}]' \
    --arg p "$name"
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  nothing_left "$name"
}

@test "errors: a missing executable fails at create, leaving nothing" {
  # runc looks the program up during create, so create is what fails.
  local name="berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  set_args no-such-program
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$output" "executable file not found"
  nothing_left "$name"
}

@test "errors: a mount destination escaping through a symlink stays in the rootfs" {
  # /escape -> the test's own directory on the host; a runtime that
  # followed it outside the rootfs would mount over a host directory.
  cfg '.root.readonly = false'
  mkdir -p "$TEST_DIR/victim"
  ln -s "$TEST_DIR/victim" "$BUNDLE/rootfs/escape"
  cfg '.mounts += [{"destination": "/escape", "type": "tmpfs", "source": "tmpfs"}]'
  run_container 'true'
  # Either outcome is fine as long as the host directory was not touched.
  local mounts
  mounts=$(awk -v d="$TEST_DIR/victim" '$5 == d' /proc/self/mountinfo)
  [ -z "$mounts" ]
}
