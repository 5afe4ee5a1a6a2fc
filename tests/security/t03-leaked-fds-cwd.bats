#!/usr/bin/env bats
# T3: leaked descriptors and working directory (CVE-2024-21626).
#
# A descriptor the runtime holds open on a host directory, still open
# when the container's process starts, is a way out: process.cwd
# "/proc/self/fd/N" makes the container start in the host's tree, and an
# inherited descriptor lets it openat() there. The runtime must refuse
# such a cwd (or end up inside the rootfs) and hand the container only
# 0-2 and the descriptors it was asked to preserve.

load common

setup() {
  sec_setup
  install_helper
  # A host directory the attacker would like to reach, with a marker.
  HOSTDIR=$TEST_DIR/host-secret
  mkdir -p "$HOSTDIR"
  echo secret >"$HOSTDIR/marker-$$"
}

# check_cwd_run: $status/$output of a run whose process printed its
# working directory's contents: either it was refused or nothing of the
# host shows.
assert_cwd_contained() {
  if [ "$status" -ne 0 ]; then
    # Refused: fine, as long as it was a refusal and not a crash.
    assert_no_crash
    return 0
  fi
  assert_not_contains "$output" "marker-$$"
  assert_not_contains "$output" "(unreachable)"
  assert_contains "$output" "CWD=/"
}

@test "T3 process.cwd /proc/self/fd/N (3-32) is refused or stays inside the rootfs" {
  local n
  # Also with a descriptor on a host directory open in the runtime's
  # caller, as a careless parent would leave it.
  exec 7<"$HOSTDIR"
  for n in $(seq 3 32); do
    cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    set_cmd 'echo "CWD=$(readlink /proc/self/cwd)"; ls -a . ..; ls -a ../../..'
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    echo "# cwd /proc/self/fd/$n -> $status" >&2
    assert_cwd_contained
  done
  exec 7<&-
}

@test "T3 exec --cwd /proc/self/fd/N is refused or stays inside the rootfs" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  local n
  exec 7<"$HOSTDIR"
  for n in $(seq 3 12); do
    rtc exec --cwd "/proc/self/fd/$n" "$ID" sh -c 'echo "CWD=$(readlink /proc/self/cwd)"; ls -a . ..'
    echo "# exec --cwd /proc/self/fd/$n -> $status" >&2
    assert_cwd_contained
  done
  exec 7<&-
}

@test "T3 the container sees only 0-2 although the runtime inherited more" {
  # Descriptors 5, 7 and 9 on host places, as a caller might leak them.
  exec 5<"$HOSTDIR" 7</etc 9>"$TEST_DIR/leak-file"
  set_args sec-helper fds
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  exec 5<&- 7<&- 9>&-
  assert_status 0
  local line
  line=$(printf '%s\n' "$stdout" | grep '^FDS')
  # Exactly 0, 1 and 2.
  [ "$(echo "$line" | tr ' ' '\n' | grep -cE '^[0-9]+=')" -eq 3 ] || fail "extra descriptors: $line"
  assert_contains "$line" " 0="
  assert_contains "$line" " 1="
  assert_contains "$line" " 2="
}

@test "T3 exec sees only 0-2 although the runtime inherited more" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  exec 5<"$HOSTDIR" 7</etc
  rtc exec "$ID" sec-helper fds
  exec 5<&- 7<&-
  assert_status 0
  local line
  line=$(printf '%s\n' "$stdout" | grep '^FDS')
  [ "$(echo "$line" | tr ' ' '\n' | grep -cE '^[0-9]+=')" -eq 3 ] || fail "extra descriptors: $line"
}

@test "T3 --preserve-fds keeps exactly the asked descriptors" {
  # Set for the runtime alone (bats itself uses 3).
  set_args sec-helper fds
  new_id
  local out=$TEST_DIR/fds.out
  status=0
  rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" \
    3<"$HOSTDIR/marker-$$" 4</etc 7<"$HOSTDIR" </dev/null >"$out" 2>&1 || status=$?
  cat "$out" >&2
  assert_status 0
  local line
  line=$(grep '^FDS' "$out")
  assert_contains "$line" " 3="
  # 4 and 7 were not asked for.
  [ "$(echo "$line" | tr ' ' '\n' | grep -cE '^[0-9]+=')" -eq 4 ] || fail "extra descriptors: $line"
}
