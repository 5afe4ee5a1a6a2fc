#!/usr/bin/env bats
# linux.rootfsPropagation, with the rootfs on a shared mount (as under
# systemd, where / is shared): every value, the propagation the
# container's / ends with, and the host's mount left as it was.

load ../lib/helpers

setup() {
  common_setup
  SHARED=$TEST_DIR/shared
  mkdir -p "$SHARED"
  mount -t tmpfs "berth-test-shared-$ID_PREFIX" "$SHARED"
  mount --make-shared "$SHARED"
  cp -a "$BUNDLE/rootfs" "$SHARED/rootfs"
  cfg '.root.path = $p' --arg p "$SHARED/rootfs"
  # The optional fields of the container's / in its own mountinfo.
  set_cmd 'awk '\''$5 == "/" { f = ""; for (i = 7; $i != "-"; i++) f = f " " $i; print "fields:" f }'\'' /proc/self/mountinfo'
}

teardown() {
  umount "$SHARED" 2>/dev/null
  common_teardown
}

# run_with VALUE: the container run with rootfsPropagation VALUE ("" for
# none); $output holds what it printed.
run_with() {
  if [ -n "$1" ]; then
    cfg '.linux.rootfsPropagation = $v' --arg v "$1"
  else
    cfg 'del(.linux.rootfsPropagation)'
  fi
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
}

host_fields_of_shared() {
  awk -v m="$SHARED" '$5 == m { for (i = 7; $i != "-"; i++) printf " %s", $i }' /proc/self/mountinfo
}

@test "rootfsPropagation: default and rslave leave / a slave of the host" {
  local v
  for v in "" rslave; do
    run_with "$v"
    assert_status 0
    [[ "$output" =~ ^fields:\ master:[0-9]+$ ]] || fail "${v:-default}: $output"
  done
  [[ "$(host_fields_of_shared)" =~ ^\ shared:[0-9]+$ ]]
}

@test "rootfsPropagation: rprivate, private and slave leave / private" {
  local v
  for v in rprivate private slave; do
    run_with "$v"
    assert_status 0
    [ "$output" = "fields:" ] || fail "$v: $output"
  done
  [[ "$(host_fields_of_shared)" =~ ^\ shared:[0-9]+$ ]]
}

@test "rootfsPropagation: shared, rshared and unbindable apply to / after the pivot" {
  skip_if_runc "1.1.5 leaves / private for these (runc 1.2 applies them after pivot_root)"
  run_with shared
  assert_status 0
  [[ "$output" =~ ^fields:\ shared:[0-9]+$ ]] || fail "shared: $output"
  run_with rshared
  assert_status 0
  [[ "$output" =~ ^fields:\ shared:[0-9]+$ ]] || fail "rshared: $output"
  run_with unbindable
  assert_status 0
  [ "$output" = "fields: unbindable" ] || fail "unbindable: $output"
  # The host's mount is still shared, with its own peer group.
  [[ "$(host_fields_of_shared)" =~ ^\ shared:[0-9]+$ ]]
}

@test "rootfsPropagation: runbindable cannot bind the rootfs, and says so" {
  run_with runbindable
  assert_failure
  assert_contains "$output" "invalid argument"
  [ "$(state_entries)" -eq 0 ]
}

@test "rootfsPropagation: an unknown value is refused by name" {
  skip_if_runc "1.1.5 ignores an unknown value"
  run_with sideways
  assert_failure
  assert_contains "$output" "rootfsPropagation"
  assert_contains "$output" "sideways"
  [ "$(state_entries)" -eq 0 ]
}
