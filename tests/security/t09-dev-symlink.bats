#!/usr/bin/env bats
# T9: /dev of the image is a symlink to a host directory
# (CVE-2026-41579).
#
# The runtime creates device nodes and links in /dev, and may remove
# things there (/dev/ptmx) before making its own. If /dev is a symlink
# followed on the host side, those creations and deletions happen in the
# host directory it names. Nothing may be created or deleted there.

load common

setup() {
  sec_setup
  HOSTDIR=$TEST_DIR/host-dev
  mkdir -p "$HOSTDIR/pts"
  # What a runtime would delete or replace in a /dev: ptmx, null, console.
  for f in ptmx null console full zero tty canary; do echo "$f" >"$HOSTDIR/$f"; done
  ln -s canary "$HOSTDIR/fd"
  BEFORE=$(snapshot "$HOSTDIR")
}

assert_host_dev_untouched() {
  assert_no_crash
  if [ "$(snapshot "$HOSTDIR")" != "$BEFORE" ]; then
    diff <(echo "$BEFORE") <(snapshot "$HOSTDIR") >&2
    fail "the host directory changed"
  fi
  [ -z "$(mounts_under "$HOSTDIR")" ] || fail "a mount on the host: $(mounts_under "$HOSTDIR")"
}

@test "T9 /dev -> absolute host path, with the default /dev tmpfs" {
  rm -rf "${BUNDLE:?}/rootfs/dev"
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/dev"
  set_cmd 'ls /dev >/dev/null'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_host_dev_untouched
}

@test "T9 /dev -> relative path climbing to the host directory, with the default /dev tmpfs" {
  rm -rf "${BUNDLE:?}/rootfs/dev"
  ln -s "../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/dev"
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_host_dev_untouched
}

@test "T9 /dev -> host path, with no /dev mounts at all" {
  rm -rf "${BUNDLE:?}/rootfs/dev"
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/dev"
  cfg '.mounts |= map(select(.destination | (. == "/dev" or startswith("/dev/")) | not))'
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_host_dev_untouched
}

@test "T9 /dev -> host path, with a terminal and extra devices" {
  rm -rf "${BUNDLE:?}/rootfs/dev"
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/dev"
  cfg '.linux.devices = [{"path": "/dev/fuse-test", "type": "c", "major": 1, "minor": 3}]'
  cfg '.process.terminal = true'
  local sock=$TEST_DIR/console.sock
  console_receiver "$sock" "$TEST_DIR/tty.out" 10
  set_cmd 'true'
  new_id
  rtc run -d --console-socket "$sock" --bundle "$BUNDLE" "$ID"
  sleep 1
  assert_host_dev_untouched
}

@test "T9 /dev/pts -> host path inside a real /dev" {
  rm -rf "${BUNDLE:?}/rootfs/dev/pts"
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/dev/pts"
  cfg '.mounts |= map(select(.destination | (. == "/dev") | not))'
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_host_dev_untouched
}
