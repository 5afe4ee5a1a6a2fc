#!/usr/bin/env bats
# T6: /dev/null of the image is a symlink (CVE-2025-31133).
#
# maskedPaths hides a file by binding /dev/null over it. Without a tmpfs
# on /dev the image's own /dev/null is used; if it is a symlink to a
# procfs file such as /proc/sys/kernel/core_pattern, the "mask" becomes a
# writable copy of that file at a path the container can write. The
# runtime must refuse to start, or mask with the real null device.
#
# The symlink points at /proc/sys/kernel/domainname, not at core_pattern:
# a vulnerable runtime turns every later write to /dev/null (a shell's
# `2>/dev/null` is enough) into a write to the target, and core_pattern
# is the host's, while domainname belongs to the container's own UTS
# namespace. The attack is the same; only its blast radius differs. The
# container itself never writes: it reads and stats the masked paths. The
# host's core_pattern is still checked after every test.

load common

setup() {
  sec_setup
  CORE_BEFORE=$(cat /proc/sys/kernel/core_pattern)
  # No tmpfs on /dev: the image's /dev is what the container gets.
  remove_mount /dev
  cfg '.mounts |= map(select(.destination | startswith("/dev/") | not))'
  mkdir -p "$BUNDLE/rootfs/dev"
}

teardown() {
  sec_teardown
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_BEFORE" ] ||
    fail "the host's core_pattern changed"
}

# Every masked file the container can see is the null device: char 1:3,
# reading as empty.
MASK_CHECK='for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats /proc/timer_stats; do
  [ -e "$p" ] || continue
  [ -d "$p" ] && continue
  echo "MASK $p $(stat -c "%F %t:%T" "$p") bytes=$(head -c 64 "$p" 2>&- | wc -c)"
done'

assert_masks_hold() {
  if [ "$status" -ne 0 ]; then
    assert_no_crash
    return 0
  fi
  local line bad=0
  while read -r line; do
    case $line in
      MASK*) ;;
      *) continue ;;
    esac
    case $line in
      *"character special file 1:3 bytes=0") ;;
      *) echo "not masked: $line" >&2; bad=1 ;;
    esac
  done <<<"$stdout"
  [ "$bad" -eq 0 ] || fail "a masked path is not the null device"
  # At least one masked file exists on every kernel.
  assert_contains "$stdout" "MASK /proc/"
}

@test "T6 /dev/null symlinked to a procfs sysctl file: start fails or masking holds" {
  rm -f "$BUNDLE/rootfs/dev/null"
  ln -s /proc/sys/kernel/domainname "$BUNDLE/rootfs/dev/null"
  set_cmd "$MASK_CHECK"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_masks_hold
}

@test "T6 /dev/null symlinked to a host path: start fails or masking holds" {
  local hostfile=$TEST_DIR/host-file
  echo "host data" >"$hostfile"
  rm -f "$BUNDLE/rootfs/dev/null"
  ln -s "$hostfile" "$BUNDLE/rootfs/dev/null"
  set_cmd "$MASK_CHECK"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_masks_hold
  [ "$(cat "$hostfile")" = "host data" ] || fail "the host file changed"
}

@test "T6 /dev/null missing: start fails or masking holds" {
  rm -f "$BUNDLE/rootfs/dev/null"
  set_cmd "$MASK_CHECK"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_masks_hold
}

@test "T6 /dev/null a regular file in the image: start fails or masking holds" {
  rm -f "$BUNDLE/rootfs/dev/null"
  echo "not null" >"$BUNDLE/rootfs/dev/null"
  set_cmd "$MASK_CHECK"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_masks_hold
}
