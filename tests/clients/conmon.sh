#!/bin/bash
# conmon, driven as Podman and CRI-O drive it: `conmon -r RUNTIME` with the
# runtime's global flags passed through `--runtime-arg` (here its state
# root). conmon runs `create` and `exec` and reports through the sync pipe
# (_OCI_SYNCPIPE: the init pid, or -1 and the runtime's error; for an exec,
# its pid and then its exit status), logs the container's output and writes
# the exit status to --exit-dir. The other calls (start, ps, pause, resume,
# update, kill, delete) are made directly, as libpod makes them.
#
# The bundle is a busybox rootfs with `runc spec`'s default config.
#
# Usage: conmon.sh (BERTH, RUNC, CLIENT_RUNTIMES, VERBOSE from the
# environment; see lib.sh).
. "$(dirname "$0")/lib.sh"

LOOP='trap "echo got-TERM" TERM; echo ready; while :; do sleep 1; done'
CONMON_PIDS=()

client_prepare() {
  ensure_packages conmon runc busybox-static jq util-linux || return 1
  CGROUP_PARENT=berth-conmon-$$
  CGROUP_NAMES+=("$CGROUP_PARENT")
  TEMPLATE=$WORK/template
  RUNTIME=$RUNC "$REPO_ROOT/scripts/make-bundle.sh" "$TEMPLATE" >/dev/null || return 1
  mkdir -p "$WORK/exits" "$WORK/exec-exits" "$WORK/socks" || return 1
  on_exit 'for p in "${CONMON_PIDS[@]}"; do stop_daemon "$p"; done'
}

# json_array WORD...: the words as a JSON array (jq's --args would take
# "-c" for one of its own options).
json_array() {
  local a
  for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .
}

# make_bundle ID ARG...: a bundle for container ID running ARG..., in a
# cgroup below the test's parent.
make_bundle() {
  local id=$1 b=$WORK/bundles/$1
  shift
  mkdir -p "$b" || return 1
  # The containers share the template's read-only rootfs.
  jq --arg cg "/$CGROUP_PARENT/$id" --arg root "$TEMPLATE/rootfs" --argjson args "$(json_array "$@")" \
    '.process.args = $args | .process.terminal = false | .linux.cgroupsPath = $cg | .root.path = $root' \
    "$TEMPLATE/config.json" >"$b/config.json"
}

# conmon_create ID: starts conmon (kept as our child with --sync, so it is
# reaped here) and waits for the sync pipe's first message; SYNC_DATA is its
# "data" (pid, or -1) and SYNC_MSG its message.
conmon_create() {
  local id=$1 sync=$WORK/sync-$1.json
  : >"$sync"
  echo "+ conmon -r $RT_PATH create $id"
  _OCI_SYNCPIPE=3 setsid conmon --api-version 1 --sync -c "$id" -u "$id" -n "$id" \
    -r "$RT_PATH" -b "$WORK/bundles/$id" -p "$WORK/bundles/$id/pid" \
    -l "k8s-file:$WORK/bundles/$id/log" --exit-dir "$WORK/exits" \
    --socket-dir-path "$WORK/socks" --log-level debug \
    --runtime-arg --root --runtime-arg "$RT_ROOT" \
    3>"$sync" </dev/null >>"$WORK/logs/conmon-$id.log" 2>&1 &
  CONMON_PIDS+=("$!")
  wait_until 300 test -s "$sync" || { fail "conmon wrote nothing to the sync pipe"; return 1; }
  sleep 0.1
  echo "  sync: $(cat "$sync")"
  SYNC_DATA=$(head -n 1 "$sync" | jq -r .data)
  SYNC_MSG=$(head -n 1 "$sync" | jq -r '.message // empty')
}

# conmon_exec ID EXECID TERMINAL ARG...: a process in container ID through
# `conmon --exec`; OUT is what it printed, EXEC_STATUS its exit status.
conmon_exec() {
  local id=$1 eid=$2 tty=$3 sync=$WORK/sync-$2.json spec=$WORK/bundles/$1/$2.json log=$WORK/bundles/$1/$2.log
  shift 3
  jq --argjson t "$tty" --argjson args "$(json_array "$@")" '.process | .args = $args | .terminal = $t' \
    "$WORK/bundles/$id/config.json" >"$spec" || return 1
  local topt=()
  [ "$tty" = true ] && topt=(-t)
  : >"$sync"
  echo "+ conmon -r $RT_PATH --exec ${topt[*]} $id $*"
  _OCI_SYNCPIPE=3 tmo conmon --api-version 1 --sync --exec --exec-process-spec "$spec" "${topt[@]}" \
    -c "$id" -u "$eid" -n "$id" -r "$RT_PATH" -b "$WORK/bundles/$id" \
    -p "$WORK/bundles/$id/$eid.pid" -l "k8s-file:$log" --exit-dir "$WORK/exec-exits" \
    --socket-dir-path "$WORK/socks" --log-level debug \
    --runtime-arg --root --runtime-arg "$RT_ROOT" \
    3>"$sync" </dev/null >>"$WORK/logs/conmon-$eid.log" 2>&1
  echo "  sync: $(tr '\n' ' ' <"$sync")"
  # k8s-file lines: time stream tag text
  OUT=$(cut -d' ' -f4- "$log" 2>/dev/null)
  echo "  output: $OUT"
  EXEC_STATUS=$(sed -n 2p "$sync" | jq -r .data 2>/dev/null)
}

r() { tmo "$RT_PATH" --root "$RT_ROOT" "$@"; }

status_of() { r state "$1" 2>/dev/null | jq -r .status; }

freezer_state() {
  local rel
  rel=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$1/cgroup") || return 1
  cat "/sys/fs/cgroup/freezer$rel/freezer.state"
}

s_run() {
  local id=bt-$1-run out
  make_bundle "$id" sh -c 'echo hello-from-run; exit 7' || return 1
  conmon_create "$id" || return 1
  [ "$SYNC_DATA" -gt 0 ] 2>/dev/null || fail "create failed: $SYNC_MSG" || return 1
  capture out r start "$id"
  expect_status start "$out_status" 0 || return 1
  wait_until 100 test -s "$WORK/exits/$id" || fail "no exit file from conmon" || return 1
  expect_status "container" "$(cat "$WORK/exits/$id")" 7 || return 1
  expect_text log "$(cat "$WORK/bundles/$id/log")" hello-from-run || return 1
  capture out r delete "$id"
  expect_status delete "$out_status" 0
}

s_missing_exec() {
  local id=bt-$1-missing
  make_bundle "$id" no-such-binary || return 1
  conmon_create "$id" || return 1
  r delete --force "$id" >/dev/null 2>&1
  check_missing_exec "$1" "" "$SYNC_DATA" "$SYNC_MSG"
}

s_detach() {
  make_bundle "$ID" sh -c "$LOOP" || return 1
  conmon_create "$ID" || return 1
  [ "$SYNC_DATA" -gt 0 ] 2>/dev/null || fail "create failed: $SYNC_MSG" || return 1
  local out
  capture out r start "$ID"
  expect_status start "$out_status" 0 || return 1
  wait_until 100 grep -q ready "$WORK/bundles/$ID/log" || fail "container printed nothing" || return 1
  [ "$(status_of "$ID")" = running ] || fail "status is '$(status_of "$ID")', expected running"
}

s_exec() {
  conmon_exec "$ID" e1 false sh -c 'echo exec-ok; exit 3'
  expect_text exec "$OUT" exec-ok && expect_status exec "$EXEC_STATUS" 3
}

s_exec_tty() {
  conmon_exec "$ID" e2 true sh -c 'tty; exit 4'
  expect_text "exec -t" "$OUT" /dev/pts/ && expect_status "exec -t" "$EXEC_STATUS" 4
}

s_ps() {
  local out pid
  pid=$(cat "$WORK/bundles/$ID/pid")
  capture out r ps --format json "$ID"
  expect_status ps "$out_status" 0 || return 1
  printf '%s' "$out" | jq -e --argjson p "$pid" 'index($p) != null' >/dev/null ||
    fail "ps --format json does not list the init pid $pid: $out"
}

s_pause() {
  local out pid
  pid=$(cat "$WORK/bundles/$ID/pid")
  capture out r pause "$ID"
  expect_status pause "$out_status" 0 || return 1
  [ "$(status_of "$ID")" = paused ] || fail "status after pause: '$(status_of "$ID")'" || return 1
  [ "$(freezer_state "$pid")" = FROZEN ] || fail "freezer state after pause: '$(freezer_state "$pid")'" || return 1
  capture out r resume "$ID"
  expect_status resume "$out_status" 0 || return 1
  [ "$(status_of "$ID")" = running ] || fail "status after resume: '$(status_of "$ID")'" || return 1
  [ "$(freezer_state "$pid")" = THAWED ] || fail "freezer state after resume: '$(freezer_state "$pid")'"
}

s_update() {
  local out
  echo '{"memory": {"limit": 67108864}}' >"$WORK/resources.json"
  capture out r update --resources "$WORK/resources.json" "$ID"
  expect_status update "$out_status" 0 || return 1
  conmon_exec "$ID" e3 false cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  [ "$OUT" = 67108864 ] || fail "memory limit inside is '$OUT', expected 67108864"
}

s_stop() {
  local out
  capture out r kill "$ID" TERM
  expect_status "kill TERM" "$out_status" 0 || return 1
  wait_until 50 grep -q got-TERM "$WORK/bundles/$ID/log" || fail "SIGTERM did not reach the container" || return 1
  [ "$(status_of "$ID")" = running ] || fail "status after SIGTERM: '$(status_of "$ID")'" || return 1
  capture out r kill "$ID" KILL
  expect_status "kill KILL" "$out_status" 0 || return 1
  wait_until 100 test -s "$WORK/exits/$ID" || fail "conmon wrote no exit file" || return 1
  expect_status "container" "$(cat "$WORK/exits/$ID")" 137
}

s_remove() {
  local out
  capture out r delete --force "$ID"
  expect_status "delete --force" "$out_status" 0 || return 1
  [ ! -e "$RT_ROOT/$ID" ] || fail "runtime state $RT_ROOT/$ID left behind" || return 1
  [ ! -d "/sys/fs/cgroup/memory/$CGROUP_PARENT/$ID" ] || fail "cgroup left behind" || return 1
  # The shims' habit: delete, then delete --force of the same id.
  capture out r delete --force "$ID"
  expect_status "second delete --force" "$out_status" 0
}

client_steps() {
  local rt=$1 s
  RT_PATH=$2
  RT_ROOT=$WORK/$rt-root
  RUNTIME_ROOTS+=("$RT_ROOT")
  ID=bt-$rt-detached
  step "$rt" run s_run "$rt"
  step "$rt" missing-exec s_missing_exec "$rt"
  if step "$rt" detach s_detach "$rt"; then
    step "$rt" exec s_exec "$rt"
    step "$rt" exec-tty s_exec_tty "$rt"
    step "$rt" ps s_ps "$rt"
    step "$rt" pause s_pause "$rt"
    step "$rt" update s_update "$rt"
    step "$rt" stop s_stop "$rt"
  else
    for s in exec exec-tty ps pause update stop; do record FAIL "$rt" "$s" "no detached container"; done
  fi
  step "$rt" remove s_remove "$rt"
  return 0
}

client_main
