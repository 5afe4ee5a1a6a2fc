#!/usr/bin/env bats
# checkpoint and restore SIGKILLed at every named step (BERTH_FAULT_KILL_AT),
# as killpoints.bats does for the other commands: after each kill, list and
# state still work and tell the truth, delete --force removes everything,
# and nothing of the container is left, CRIU included. CRIU holds the image
# or work directory of its request open (and sits in it), and each of those
# directories is named by the container's id, so a CRIU that outlived its
# berth is found by the leak check's descriptor scan.

load faults

# A restore records its init at CRIU's post-restore notification; before
# that, a restore killed leaves a "stopped" container whose tasks CRIU
# kills as it undoes the restore, so "stopped" means nothing of it runs
# here too (state_truthful).

# scripts/install-criu.sh's wrapper, when it was installed there, comes
# first; otherwise whatever criu is on PATH.
CRIU_BIN_DIR=${CRIU_BIN_DIR:-/usr/local/lib/berth-criu/bin}
[ -x "$CRIU_BIN_DIR/criu" ] && PATH=$CRIU_BIN_DIR:$PATH

# Whether CRIU works here is asked once per file: `criu check` takes a
# while, and its answer does not change between tests.
setup_file() {
  local reason=
  if ! command -v criu >/dev/null; then
    reason="no criu on PATH (scripts/install-criu.sh installs one)"
  elif ! criu check 2>&1 | grep -q "Looks good"; then
    reason="criu check fails on this kernel"
  fi
  echo "$reason" >"$BATS_FILE_TMPDIR/criu-unusable"
}

setup() {
  local reason
  reason=$(cat "$BATS_FILE_TMPDIR/criu-unusable")
  [ -z "$reason" ] || skip "$reason"
  fault_setup
}
teardown() { common_teardown; }

@test "kill points: checkpoint" {
  kill_loop checkpoint prep_running checkpoint --image-path "$TEST_DIR/images-@ID@" @ID@
}

@test "kill points: checkpoint --leave-running" {
  kill_loop checkpoint-leave-running prep_running \
    checkpoint --leave-running --image-path "$TEST_DIR/images-@ID@" @ID@
}

@test "kill points: restore --detach" {
  # One checkpoint for every restore: CRIU only reads the images, and
  # writes its log to the work directory of each restore.
  new_id
  prep_running || fail "cannot start the container to checkpoint"
  capture rt checkpoint --image-path "$TEST_DIR/images" "$ID"
  [ "$status" -eq 0 ] || fail "checkpoint failed: $output"
  check_leaks "$ID" || fail "the checkpoint left something"
  kill_loop restore prep_none restore --detach --bundle "$BUNDLE" \
    --image-path "$TEST_DIR/images" --work-path "$TEST_DIR/work-@ID@" @ID@
}
