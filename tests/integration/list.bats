#!/usr/bin/env bats
# list [--format table|json] [--quiet]

load ../lib/helpers

# Copies of state directories a test made (copies_of) go first: they name
# the processes of the containers they were copied from, which a delete
# --force of a copy would kill.
teardown() {
  [ -z "${TEST_ROOT:-}" ] || rm -rf "$TEST_ROOT"/copy-*
  common_teardown
}

# Two containers: one created, one running.
make_two() {
  set_args sleep 1000
  new_id; A=$ID
  new_id; B=$ID
  rtc create --bundle "$BUNDLE" "$A"
  assert_status 0
  rtc run --detach --bundle "$BUNDLE" "$B"
  assert_status 0
  wait_status "$B" running
}

@test "list: empty root prints only the header" {
  rtc list
  assert_status 0
  [ "$(wc -l <<<"$stdout")" -eq 1 ]
  [[ "$stdout" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]]
}

@test "list: root that does not exist yet is not an error" {
  TEST_ROOT=$TEST_DIR/never-made
  rtc list
  assert_status 0
  rtc list --quiet
  assert_status 0
  [ -z "$stdout" ]
}

@test "list: table shows each container with its status" {
  make_two
  rtc list
  assert_status 0
  [[ "$(sed -n 1p <<<"$stdout")" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER ]]
  local pa pb
  pa=$(rt state "$A" | jq -r .pid)
  pb=$(rt state "$B" | jq -r .pid)
  grep -qE "^$A +$pa +created +$BUNDLE +[0-9T:.Z-]+ +root\$" <<<"$stdout"
  grep -qE "^$B +$pb +running +$BUNDLE +[0-9T:.Z-]+ +root\$" <<<"$stdout"
}

@test "list --format json: array of states" {
  make_two
  rtc list --format json
  assert_status 0
  [ "$(jq -r 'type' <<<"$stdout")" = array ]
  [ "$(jq length <<<"$stdout")" -eq 2 ]
  [ "$(jq -r --arg i "$A" '.[] | select(.id == $i) | .status' <<<"$stdout")" = created ]
  [ "$(jq -r --arg i "$B" '.[] | select(.id == $i) | .status' <<<"$stdout")" = running ]
  # Each entry carries the same fields as state; owner is the user name.
  jq -e 'all(.[]; has("ociVersion") and has("id") and has("pid") and has("status")
             and has("bundle") and has("rootfs") and has("created") and has("owner"))' <<<"$stdout"
  jq -e 'all(.[]; .owner == "root")' <<<"$stdout"
}

@test "list -f json: short option" {
  make_two
  rtc list -f json
  assert_status 0
  [ "$(jq length <<<"$stdout")" -eq 2 ]
}

@test "list --format json: empty root gives no entries" {
  rtc list --format json
  assert_status 0
  # runc prints null for an empty list; [] means the same to callers.
  [ "$(jq -c '. // []' <<<"$stdout")" = "[]" ]
}

@test "list --quiet and -q: ids only" {
  make_two
  rtc list --quiet
  assert_status 0
  [ "$(sort <<<"$stdout")" = "$(printf '%s\n' "$A" "$B" | sort)" ]
  rtc list -q
  assert_status 0
  [ "$(sort <<<"$stdout")" = "$(printf '%s\n' "$A" "$B" | sort)" ]
}

@test "list: stopped container shows pid 0" {
  set_args true
  new_id
  rtc run --keep --bundle "$BUNDLE" "$ID"
  rtc list --format json
  assert_status 0
  [ "$(jq -r '.[0].status' <<<"$stdout")" = stopped ]
  [ "$(jq -r '.[0].pid' <<<"$stdout")" = 0 ]
}

@test "list: unknown format fails" {
  rtc list --format yaml
  assert_failure
}

@test "list: does not wait on a container whose lock is held" {
  # A create or delete holds its container's lock for its whole run; list
  # reads state.json (only ever replaced by a rename) without it.
  make_two
  flock "$TEST_ROOT/$B" sleep 30 &
  local holder=$!
  sleep 0.2
  timeout 10 "$BERTH" --root "$TEST_ROOT" list --format json >"$BATS_TEST_TMPDIR/list.json"
  local rc=$?
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null || true
  [ "$rc" -eq 0 ] || fail "list exited $rc while a lock was held (124: it waited)"
  [ "$(jq -r --arg id "$B" '.[] | select(.id == $id) | .status' "$BATS_TEST_TMPDIR/list.json")" = running ]
}

@test "list: a paused container is listed as paused, a resumed one as running" {
  # list reads the freezer whose path state.json keeps, not the cgroup.
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc pause "$ID"
  assert_status 0
  [ "$(rt list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" = paused ]
  rtc resume "$ID"
  assert_status 0
  [ "$(rt list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')" = running ]
}

@test "list: paused and running containers in one cgroup parent each get their own status" {
  # list keeps the containers' shared parent cgroup open from one to the
  # next: a status must never carry over to the neighbour.
  set_args sleep 1000
  local ids=() i
  for i in 1 2 3 4; do
    new_id
    ids+=("$ID")
    rtc run --detach --bundle "$BUNDLE" "$ID"
    assert_status 0
  done
  rtc pause "${ids[0]}"
  assert_status 0
  rtc pause "${ids[2]}"
  assert_status 0
  rt list --format json >"$BATS_TEST_TMPDIR/list.json"
  local want=(paused running paused running)
  for i in 0 1 2 3; do
    [ "$(jq -r --arg id "${ids[$i]}" '.[] | select(.id == $id) | .status' "$BATS_TEST_TMPDIR/list.json")" = "${want[$i]}" ] ||
      fail "${ids[$i]}: want ${want[$i]}: $(cat "$BATS_TEST_TMPDIR/list.json")"
  done
  rtc resume "${ids[0]}"
  assert_status 0
  rtc resume "${ids[2]}"
  assert_status 0
}

@test "list: a state directory reached through a symlink is not listed" {
  make_two
  # The link's target is a real container's directory: list must not read
  # a state.json through a symlink, whatever it points at.
  ln -s "$TEST_ROOT/$B" "$TEST_ROOT/linked-$B"
  rtc list --format json
  assert_status 0
  [ "$(jq -r --arg id "linked-$B" '[.[] | select(.id == $id)] | length' <<<"$stdout")" = 0 ]
  [ "$(jq -r --arg id "$B" '[.[] | select(.id == $id)] | length' <<<"$stdout")" = 1 ]
  rm "$TEST_ROOT/linked-$B"
}

@test "list: an owner with no name in /etc/passwd is shown by number" {
  make_two
  # runc names owners from /etc/passwd alone; a uid missing there is #UID.
  local uid=4294967200
  ! grep -q "^[^:]*:[^:]*:$uid:" /etc/passwd || skip "uid $uid has a name on this host"
  chown "$uid" "$TEST_ROOT/$B/state.json"
  rtc list
  assert_status 0
  grep -qE "^$B +[0-9]+ +running +.* +#$uid\$" <<<"$stdout" || fail "no #$uid owner: $stdout"
  chown 0 "$TEST_ROOT/$B/state.json"
}

# A created init bears the name berth:[INIT] until it executes the
# container's process, and its state says so (init_named): list and state
# take any other name as proof of a start without looking for exec.fifo
# (tests/unit/test_state.c: with and without init_named, every case).
@test "list: the created init is named berth:[INIT], the started process by its program" {
  skip_if_runc "berth's own name for its init"
  make_two
  local pa pb
  pa=$(rt state "$A" | jq -r .pid)
  pb=$(rt state "$B" | jq -r .pid)
  [ "$(cat "/proc/$pa/comm")" = "berth:[INIT]" ] || fail "created init named '$(cat "/proc/$pa/comm")'"
  [ "$(cat "/proc/$pb/comm")" = sleep ] || fail "running init named '$(cat "/proc/$pb/comm")'"
  jq -e '.init_named == true' "$TEST_ROOT/$A/state.json" >/dev/null
  rtc start "$A"
  assert_status 0
  wait_status "$A" running
  [ "$(cat "/proc/$pa/comm")" = sleep ]
}


# copies_of ID N PREFIX: N copies of ID's state directory, named PREFIX-1 ...
# (an exec.fifo copied as a fifo): as many containers for list to read,
# each the same as ID to the kernel, made without starting a process.
copies_of() {
  local id=$1 n=$2 prefix=$3 i d
  for ((i = 1; i <= n; i++)); do
    d=$TEST_ROOT/$prefix-$i
    mkdir "$d"
    cp "$TEST_ROOT/$id/cgroup.json" "$TEST_ROOT/$id/config.json" "$d/"
    jq -c --arg id "$prefix-$i" '.id = $id' "$TEST_ROOT/$id/state.json" >"$d/state.json"
    [ ! -p "$TEST_ROOT/$id/exec.fifo" ] || mkfifo "$d/exec.fifo"
  done
}

# A long list is read by several threads (one per CPU, src/lib/list.c):
# every container comes out once, in the order of their ids, each with
# the status of its own init.
@test "list: 300 containers, read in parallel, each once, in order, with its own status" {
  skip_if_runc "the copies are made of berth's state directory layout"
  make_two
  copies_of "$A" 150 copy-created
  copies_of "$B" 150 copy-running
  rtc list --format json
  assert_status 0
  [ "$(jq length <<<"$stdout")" -eq 302 ] || fail "listed $(jq length <<<"$stdout") of 302"
  diff <(jq -r '.[].id' <<<"$stdout") <(ls "$TEST_ROOT" | LC_ALL=C sort) ||
    fail "list is not every id once in order"
  [ "$(jq '[.[] | select(.id | startswith("copy-created-")) | select(.status == "created")] | length' <<<"$stdout")" -eq 150 ]
  [ "$(jq '[.[] | select(.id | startswith("copy-running-")) | select(.status == "running")] | length' <<<"$stdout")" -eq 150 ]
  [ "$(jq -r --arg id "$A" '.[] | select(.id == $id) | .status' <<<"$stdout")" = created ]
  [ "$(jq -r --arg id "$B" '.[] | select(.id == $id) | .status' <<<"$stdout")" = running ]
  [ "$(jq '[.[] | select(.owner != "root")] | length' <<<"$stdout")" -eq 0 ]
  rtc list --quiet
  assert_status 0
  [ "$(wc -l <<<"$stdout")" -eq 302 ]
}
