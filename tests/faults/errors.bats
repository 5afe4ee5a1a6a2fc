#!/usr/bin/env bats
# Syscalls failing as they do in real life: a full or read-only state
# root, too few descriptors, too little memory, interrupted calls. Each
# must end in a clear error naming what failed, and leave nothing behind.

load faults

setup() {
  fault_setup
  MNT=
}

teardown() {
  if [ -n "$MNT" ]; then
    mount -o remount,rw "$MNT" 2>/dev/null
    common_teardown
    umount "$MNT"
  else
    common_teardown
  fi
  [ -z "${MEMCG:-}" ] || rmdir "$MEMCG" 2>/dev/null || true
}

# small_root SIZE: a tmpfs of SIZE as the state root.
small_root() {
  MNT=$TEST_DIR/small
  mkdir -p "$MNT"
  mount -t tmpfs -o "size=$1" tmpfs "$MNT"
  TEST_ROOT=$MNT
}

@test "ENOSPC on the state root: create says what it could not write, and leaves nothing" {
  small_root 64k
  # Fill it to the last byte.
  dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  grep -qi "no space left on device" <<<"$stderr"
  grep -qE "config.json|state|exec fifo" <<<"$stderr"
  rm -f "$MNT/fill"
  check_leaks "$ID"
}

@test "ENOSPC after create: state, start and delete still work" {
  small_root 256k
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$status" -eq 0 ]
  dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
  rtc state "$ID"
  [ "$status" -eq 0 ]
  rtc start "$ID"
  [ "$status" -eq 0 ]
  wait_status "$ID" running
  rtc delete --force "$ID"
  [ "$status" -eq 0 ]
  check_leaks "$ID"
}

@test "EROFS state root: create names the state directory, nothing is made" {
  small_root 1m
  mount -o remount,ro "$MNT"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  grep -qi "read-only file system" <<<"$stderr"
  grep -q "state directory" <<<"$stderr"
  check_leaks "$ID"
}

@test "EROFS after create: delete fails saying why, and succeeds once writable" {
  small_root 1m
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  [ "$status" -eq 0 ]
  mount -o remount,ro "$MNT"
  rtc state "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$stdout")" = created ]
  rtc delete --force "$ID"
  [ "$status" -ne 0 ]
  grep -qi "read-only file system" <<<"$stderr"
  mount -o remount,rw "$MNT"
  rtc delete --force "$ID"
  [ "$status" -eq 0 ]
  check_leaks "$ID"
}

@test "EMFILE: every command under a tiny RLIMIT_NOFILE fails clearly or works, and nothing leaks" {
  local lim
  # Below 8 the dynamic loader itself cannot open berth's libraries.
  for lim in 8 9 10 11 12 14 16 20 24; do
    new_id
    capture prlimit --nofile=$lim:$lim "$BERTH" --root "$TEST_ROOT" create --bundle "$BUNDLE" "$ID"
    if [ "$status" -ne 0 ]; then
      [ "$status" -ne 137 ] && [ "$status" -lt 128 ] || fail "create crashed at nofile=$lim ($status)"
      grep -qE "level=error msg=.*" <<<"$stderr" || fail "unclear error at nofile=$lim: $stderr"
    else
      capture prlimit --nofile=$lim:$lim "$BERTH" --root "$TEST_ROOT" start "$ID"
      [ "$status" -lt 128 ] || fail "start crashed at nofile=$lim ($status)"
    fi
    capture prlimit --nofile=$lim:$lim "$BERTH" --root "$TEST_ROOT" delete --force "$ID"
    [ "$status" -lt 128 ] || fail "delete crashed at nofile=$lim ($status)"
    rtc delete --force "$ID"
    check_leaks "$ID"
  done
}

@test "ENOMEM: berth in a small memory cgroup fails or is OOM-killed, and delete --force recovers" {
  [ -d /sys/fs/cgroup/memory ] || skip "no v1 memory hierarchy"
  MEMCG=/sys/fs/cgroup/memory/berth-faults-$$-$RANDOM
  mkdir "$MEMCG"
  echo 0 >"$MEMCG/memory.swappiness" 2>/dev/null || true
  local lim
  for lim in 1M 2M 4M 8M; do
    echo "$lim" >"$MEMCG/memory.limit_in_bytes"
    new_id
    capture sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" create --bundle "$4" "$5"' \
      sh "$MEMCG" "$BERTH" "$TEST_ROOT" "$BUNDLE" "$ID"
    if [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; then
      grep -q "level=error" <<<"$stderr" || fail "unclear error under $lim: $stderr"
    fi
    echo "# memory $lim: create -> $status" >&3
    state_truthful "$ID"
    rtc delete --force "$ID"
    check_leaks "$ID"
  done
}

# strace_inject SYSCALL ERROR COMMAND...: COMMAND with every call of
# SYSCALL in berth itself (not its children) failing once with ERROR.
strace_inject() {
  local sc=$1 e=$2
  shift 2
  capture strace -o /dev/null -e trace="$sc" -e inject="$sc:error=$e:when=1" \
    "$BERTH" --root "$TEST_ROOT" "$@"
}

# Calls the dynamic loader makes too (read, openat, mmap) are left out: an
# error there is the loader's, before berth runs.
@test "EINTR and EAGAIN where the kernel returns them: retried or a clear error, nothing half-done" {
  command -v strace >/dev/null || skip "strace is not installed"
  local inj
  for inj in flock:EINTR write:EINTR write:EAGAIN mkdir:EINTR fsync:EINTR rename:EINTR \
             socketpair:EAGAIN clone3:EAGAIN wait4:EINTR; do
    new_id
    strace_inject "${inj%%:*}" "${inj#*:}" create --bundle "$BUNDLE" "$ID"
    echo "# create with ${inj}: $status" >&3
    if [ "$status" -ne 0 ]; then
      grep -q "level=error" <<<"$stderr" || fail "create, $inj: unclear error: $stderr"
    fi
    state_truthful "$ID"
    strace_inject "${inj%%:*}" "${inj#*:}" delete --force "$ID"
    echo "# delete with ${inj}: $status" >&3
    rtc delete --force "$ID"
    check_leaks "$ID"
  done
}
