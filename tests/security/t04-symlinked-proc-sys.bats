#!/usr/bin/env bats
# T4: /proc or /sys of the image is a symlink (CVE-2019-19921,
# CVE-2023-27561, CVE-2023-28642).
#
# A fresh procfs or sysfs mounted through a symlink lands wherever the
# image points it: somewhere another container (or the host) sees a
# writable procfs, or /proc of the container is not where the runtime
# later writes its sysctls and masks. The runtime must refuse, with an
# error that says what is wrong.

load common

setup() {
  sec_setup
  # Where the symlinks point: a host directory of the test's own.
  HOSTDIR=$TEST_DIR/host-target
  mkdir -p "$HOSTDIR"
  touch "$HOSTDIR/canary"
  BEFORE=$(snapshot "$HOSTDIR")
}

# try_symlinked WHAT TARGET: the image's /WHAT is a symlink to TARGET.
try_symlinked() {
  local what=$1 target=$2
  rm -rf "${BUNDLE:?}/rootfs/$what"
  ln -s "$target" "$BUNDLE/rootfs/$what"
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ] || fail "/$what -> $target was accepted"
  assert_no_crash
  # A clear error names the place.
  assert_contains "$stderr" "$what"
  [ "$(snapshot "$HOSTDIR")" = "$BEFORE" ] || fail "the host directory changed"
  [ -z "$(mounts_under "$HOSTDIR")" ] || fail "a mount appeared on the host: $(mounts_under "$HOSTDIR")"
  [ "$(state_entries)" -eq 0 ] || fail "the failed create left state behind"
}

@test "T4 /proc as an absolute symlink to a host path is refused" {
  try_symlinked proc "$HOSTDIR"
}

@test "T4 /proc as a relative symlink climbing out is refused" {
  try_symlinked proc "../../../../../../../../$HOSTDIR"
}

@test "T4 /proc as a symlink inside the rootfs is refused" {
  mkdir -p "$BUNDLE/rootfs/elsewhere"
  try_symlinked proc /elsewhere
}

@test "T4 /sys as an absolute symlink to a host path is refused" {
  try_symlinked sys "$HOSTDIR"
}

@test "T4 /sys as a symlink inside the rootfs is refused" {
  mkdir -p "$BUNDLE/rootfs/elsewhere"
  try_symlinked sys /elsewhere
}
