#!/bin/bash
# containerd through `ctr`: the runtime is chosen per container with
# `ctr run --runc-binary RT --runc-root ROOT`, which hands the shim
# (containerd-shim-runc-v2) the same runc options (BinaryName, Root) that the
# CRI plugin hands it for a runtime of the containerd config, the route a
# Kubernetes RuntimeClass takes. The daemon's config declares both runtimes
# that way, and the test checks that containerd loads them.
#
# Usage: containerd.sh (BERTH, RUNC, CLIENT_RUNTIMES, VERBOSE from the
# environment; see lib.sh).
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/berth-busybox:test
# sh as init ignores SIGTERM (it only echoes it), so a stop needs SIGKILL.
LOOP='trap "echo got-TERM" TERM; echo ready; while :; do sleep 1; done'

client_prepare() {
  # iptables: runc 1.1.5 leaves the network lock of a checkpoint to CRIU's
  # default, iptables-restore, and has no way to ask for the nftables lock
  # that berth falls back to; without it the reference's dumps fail.
  ensure_packages containerd runc busybox-static jq util-linux iptables || return 1
  NS=berth-ctr-$$
  CGROUP_NAMES+=("$NS")
  CD=$WORK/containerd
  SOCK=$CD/containerd.sock
  mkdir -p "$CD" "$WORK/fifo" "$WORK/tmp" || return 1
  # Checkpoint and restore go through temporary directories of ctr
  # (ctd-checkpoint*) and of the daemon (ctrd-checkpoint*, which containerd
  # 1.6 never removes): both follow TMPDIR.
  export TMPDIR=$WORK/tmp
  local pair name path default=
  for pair in $CLIENT_RUNTIMES; do default=${pair%%=*}; done
  {
    cat <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMG"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CD/cni/bin"
    conf_dir = "$CD/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "$default"
EOF
    for pair in $CLIENT_RUNTIMES; do
      name=${pair%%=*}
      path=${pair#*=}
      cat <<EOF
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$name]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$name.options]
        BinaryName = "$path"
        Root = "$WORK/$name-root"
EOF
      RUNTIME_ROOTS+=("$WORK/$name-root")
    done
  } >"$CD/config.toml"
  start_daemon containerd "$WORK/logs/containerd.log" \
    containerd --config "$CD/config.toml" --log-level debug
  if ! wait_until 300 ctr --address "$SOCK" version; then
    tail -n 20 "$WORK/logs/containerd.log"
    echo "containerd did not come up"
    return 1
  fi
  make_rootfs_tar "$WORK/rootfs.tar" || return 1
  make_oci_archive "$WORK/rootfs.tar" "$WORK/image.tar" "$IMG" || return 1
  c images import "$WORK/image.tar" || return 1
  c images ls -q | grep -qx "$IMG" || { echo "image $IMG not imported"; return 1; }
}

c() { tmo ctr --address "$SOCK" --namespace "$NS" "$@"; }

# task_status ID: RUNNING, PAUSED, STOPPED... from `ctr task ls`.
task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
task_pid() { c task ls | awk -v id="$1" '$1 == id {print $2}'; }
# task_is ID STATUS, for wait_until (which must get a command to re-run,
# not a value computed once).
task_is() { [ "$(task_status "$1")" = "$2" ]; }
task_not_running() {
  local s
  s=$(task_status "$1")
  [ -z "$s" ] || [ "$s" = STOPPED ]
}

# The freezer state of a process's cgroup, seen from the host.
freezer_state() {
  local rel
  rel=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$1/cgroup") || return 1
  cat "/sys/fs/cgroup/freezer$rel/freezer.state"
}

s_cri_config() {
  local dump
  capture dump tmo containerd --config "$CD/config.toml" config dump
  expect_status "config dump" "$dump_status" 0 || return 1
  expect_text "config dump" "$dump" "BinaryName = \"$2\"" || return 1
  local plugins
  capture plugins c plugins ls
  printf '%s\n' "$plugins" | grep -E '^io\.containerd\.grpc\.v1[[:space:]]+cri[[:space:]].*ok' >/dev/null ||
    fail "the CRI plugin did not load: $(grep -E 'level=(error|fatal|warning).*cri' "$WORK/logs/containerd.log" | tail -n 2)"
}

s_run() {
  local out
  capture out c run --rm "${RT_OPTS[@]}" "$IMG" "bt-$1-run" sh -c 'echo hello-from-run; exit 7'
  expect_text run "$out" hello-from-run && expect_status run "$out_status" 7
}

s_missing_exec() {
  local out
  capture out c run --rm "${RT_OPTS[@]}" "$IMG" "bt-$1-missing" no-such-binary
  # A failed create leaves the container record behind, runc or not.
  c containers rm "bt-$1-missing" >/dev/null 2>&1
  check_missing_exec "$1" "" "$out_status" "$out"
}

s_detach() {
  local out id=$ID
  capture out c run -d --log-uri "file://$WORK/$1-detach.log" "${RT_OPTS[@]}" "$IMG" "$id" sh -c "$LOOP"
  expect_status "run -d" "$out_status" 0 || return 1
  wait_until 100 grep -q ready "$WORK/$1-detach.log" || fail "container printed nothing"
  [ "$(task_status "$id")" = RUNNING ] || fail "task status is '$(task_status "$id")', expected RUNNING"
}

s_exec() {
  local out
  capture out c task exec --exec-id e1 "$ID" sh -c 'echo exec-ok; exit 3'
  expect_text exec "$out" exec-ok && expect_status exec "$out_status" 3
}

s_exec_tty() {
  local out
  capture out in_tty ctr --address "$SOCK" --namespace "$NS" task exec -t --exec-id e2 "$ID" sh -c 'tty; exit 4'
  expect_text "exec -t" "$out" /dev/pts/ && expect_status "exec -t" "$out_status" 4
}

s_ps() {
  local out pid
  pid=$(task_pid "$ID")
  capture out c task ps "$ID"
  expect_status "task ps" "$out_status" 0 || return 1
  printf '%s\n' "$out" | awk '{print $1}' | grep -qx "$pid" ||
    fail "task ps does not list the init pid $pid"
  # init plus its sleep
  [ "$(printf '%s\n' "$out" | awk 'NR > 1' | wc -l)" -ge 2 ] || fail "task ps lists fewer than 2 processes"
}

s_pause() {
  local out pid
  pid=$(task_pid "$ID")
  capture out c task pause "$ID"
  expect_status pause "$out_status" 0 || return 1
  [ "$(task_status "$ID")" = PAUSED ] || fail "status after pause: '$(task_status "$ID")'"
  [ "$(freezer_state "$pid")" = FROZEN ] || fail "freezer state after pause: '$(freezer_state "$pid")'"
  capture out c task resume "$ID"
  expect_status resume "$out_status" 0 || return 1
  [ "$(task_status "$ID")" = RUNNING ] || fail "status after resume: '$(task_status "$ID")'"
  [ "$(freezer_state "$pid")" = THAWED ] || fail "freezer state after resume: '$(freezer_state "$pid")'"
}

s_update() {
  local out
  capture out c task update --memory-limit 67108864 "$ID"
  expect_status update "$out_status" 0 || return 1
  capture out c task exec --exec-id e3 "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_status "read limit inside" "$out_status" 0 || return 1
  [ "$out" = 67108864 ] || fail "memory limit inside is '$out', expected 67108864"
}

s_stop() {
  local out
  capture out c task kill -s SIGTERM "$ID"
  expect_status "kill TERM" "$out_status" 0 || return 1
  wait_until 50 grep -q got-TERM "$WORK/$1-detach.log" || fail "SIGTERM did not reach the container"
  [ "$(task_status "$ID")" = RUNNING ] || fail "status after SIGTERM: '$(task_status "$ID")'"
  capture out c task kill -s SIGKILL "$ID"
  expect_status "kill KILL" "$out_status" 0 || return 1
  wait_until 100 task_is "$ID" STOPPED || fail "status after SIGKILL: '$(task_status "$ID")'"
}

s_remove() {
  local out
  capture out c task delete "$ID"
  expect_status "task delete" "$out_status" 0 || return 1
  # ctr reports the task's status: killed by SIGKILL.
  expect_text "task delete" "$out" "exit code 137" || return 1
  capture out c containers rm "$ID"
  expect_status "containers rm" "$out_status" 0 || return 1
  # The shim keeps each namespace's containers in a directory of the root.
  [ -d "$2/$NS" ] || fail "no runtime state directory $2/$NS" || return
  [ ! -e "$2/$NS/$ID" ] || fail "runtime state $2/$NS/$ID left behind"
  [ ! -d "/sys/fs/cgroup/memory/$NS/$ID" ] || fail "cgroup /sys/fs/cgroup/memory/$NS/$ID left behind"
}

# --- checkpoint and restore ------------------------------------------------
#
# A counter appends 1, 2, 3... to /out/count (a bind of a host directory),
# ten a second, and writes nothing else: the task restored by `ctr
# container restore` gets ctr's own stdio, which ends with ctr.
COUNTER='i=0; while :; do i=$((i+1)); echo $i >> /out/count; sleep 0.1; done'

last_count() { tail -n 1 "$1/count" 2>/dev/null || echo 0; }
lines_above() { [ "$(wc -l <"$1")" -gt "$2" ]; }

# wait_count_above DIR N: the counter in DIR passes N within five seconds.
wait_count_above() {
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(last_count "$1")" -gt "$2" ] && return 0
    sleep 0.1
  done
  fail "counter stuck at $(last_count "$1"), expected more than $2"
}

s_ckpt_start() {
  local out
  mkdir -p "$CK_OUT" || return 1
  capture out c run -d --null-io --mount "type=bind,src=$CK_OUT,dst=/out,options=rbind:rw" \
    "${RT_OPTS[@]}" "$IMG" "$CK_ID" sh -c "$COUNTER"
  expect_status "run -d" "$out_status" 0 || return 1
  wait_count_above "$CK_OUT" 3
}

# ctr task checkpoint: the shim calls `RT checkpoint --image-path I
# --work-path W --leave-running ID` (ctr's default keeps the task running),
# and ctr stores the images as a checkpoint image in the content store.
s_task_checkpoint() {
  local out ref
  capture out c task checkpoint "$CK_ID"
  expect_status "task checkpoint" "$out_status" 0 || return 1
  ref=$(printf '%s\n' "$out" | tail -n 1)
  [ -n "$ref" ] || { fail "task checkpoint printed no image name"; return 1; }
  c images ls | awk -v r="$ref" '$1 == r' | grep -q . ||
    { fail "checkpoint image '$ref' is not in the content store"; return 1; }
  capture out c images ls "labels.\"containerd.io/checkpoint\"==true"
  expect_text "checkpoint label" "$out" "$ref" || return 1
  [ "$(task_status "$CK_ID")" = RUNNING ] || { fail "status after checkpoint: '$(task_status "$CK_ID")'"; return 1; }
  wait_count_above "$CK_OUT" "$(last_count "$CK_OUT")" || return 1
  capture out c images rm "$ref"
  expect_status "images rm" "$out_status" 0 || return 1
  # --image-path leaves the images in a directory of ours instead.
  capture out c task checkpoint --image-path "$WORK/$1-ck-images" --work-path "$WORK/$1-ck-work" "$CK_ID"
  expect_status "task checkpoint --image-path" "$out_status" 0 || return 1
  [ -s "$WORK/$1-ck-images/inventory.img" ] || { fail "no inventory.img in --image-path: $(ls "$WORK/$1-ck-images" | head -c 200)"; return 1; }
  ls "$WORK/$1-ck-images" | grep -q '^pages-.*\.img$' || { fail "no memory pages in --image-path"; return 1; }
  [ -s "$WORK/$1-ck-work/dump.log" ] || { fail "no dump.log in --work-path"; return 1; }
  [ "$(task_status "$CK_ID")" = RUNNING ] || { fail "status after checkpoint: '$(task_status "$CK_ID")'"; return 1; }
  wait_count_above "$CK_OUT" "$(last_count "$CK_OUT")"
}

# ctr container checkpoint --task: the container (spec, runtime, image,
# rw layer) and its task in one checkpoint image, REF.
s_container_checkpoint() {
  local out
  capture out c containers checkpoint --task --rw "$CK_ID" "$CK_REF"
  expect_status "containers checkpoint" "$out_status" 0 || return 1
  c images ls | awk -v r="$CK_REF" '$1 == r' | grep -q . ||
    { fail "checkpoint image '$CK_REF' is not in the content store"; return 1; }
  # ctr pauses the task around the dump, and resumes it.
  [ "$(task_status "$CK_ID")" = RUNNING ] || { fail "status after checkpoint: '$(task_status "$CK_ID")'"; return 1; }
  wait_count_above "$CK_OUT" "$(last_count "$CK_OUT")" || return 1
  # The original goes, so that only the restored task can count on.
  c task kill -s SIGKILL "$CK_ID" >/dev/null 2>&1
  wait_until 100 task_is "$CK_ID" STOPPED || { fail "original task did not stop"; return 1; }
  capture out c task delete "$CK_ID"
  capture out c containers rm "$CK_ID"
  expect_status "containers rm" "$out_status" 0
}

# The counter's values from the restored task on, checked to go on from
# where the checkpoint caught it: the original wrote 1..F, the restored
# task writes R, R+1, ... with 1 < R <= F + 1 (not from 1 again).
check_counter_continues() {
  local dir=$1 final=$2
  local vals restart
  vals=$(tail -n +"$((final + 1))" "$dir/count")
  [ -n "$vals" ] || { fail "the restored task wrote nothing after the original's $final"; return 1; }
  restart=$(printf '%s\n' "$vals" | head -n 1)
  [ "$restart" -gt 1 ] && [ "$restart" -le $((final + 1)) ] ||
    { fail "restored counter started at $restart; the original had reached $final"; return 1; }
  printf '%s\n' "$vals" | awk -v r="$restart" '$1 != r + NR - 1 { bad = 1 } END { exit bad }' ||
    { fail "restored counter is not consecutive: $(printf '%s\n' "$vals" | head -n 5 | tr '\n' ' ')"; return 1; }
  echo "original reached $final; restored task went on from $restart"
}

# ctr container restore --live: a new container from REF whose task the
# shim makes with `RT restore --detach --pid-file P -no-subreaper --bundle B
# --image-path I --work-path W ID`.
s_container_restore() {
  local out final pid
  final=$(wc -l <"$CK_OUT/count")
  capture out c containers restore --live --rw "$CK_NEW" "$CK_REF"
  expect_status "containers restore" "$out_status" 0 || return 1
  [ "$(task_status "$CK_NEW")" = RUNNING ] || { fail "restored task status: '$(task_status "$CK_NEW")'"; return 1; }
  [ -d "$2/$NS/$CK_NEW" ] || { fail "no runtime state $2/$NS/$CK_NEW for the restored task"; return 1; }
  pid=$(task_pid "$CK_NEW")
  [ "$(c task ps "$CK_NEW" | awk 'NR > 1 {print $1}' | grep -cx "$pid")" = 1 ] ||
    { fail "task ps does not list the restored init $pid"; return 1; }
  wait_until 50 lines_above "$CK_OUT/count" $((final + 3)) ||
    { fail "the restored task does not count (task $(task_status "$CK_NEW"), freezer $(freezer_state "$pid"))"; return 1; }
  check_counter_continues "$CK_OUT" "$final"
}

# ctr task checkpoint --exit: a full dump (no --leave-running), after
# which the runtime has removed the container and the task has ended.
s_task_checkpoint_exit() {
  local out ref at_dump
  # The restored container's rw layer is the one in REF: ctr 1.6 fails to
  # store a second copy of it ("content sha256:...: already exists"), so
  # REF, which served its purpose, goes first.
  capture out c images rm --sync "$CK_REF"
  expect_status "images rm $CK_REF" "$out_status" 0 || return 1
  capture out c task checkpoint --exit "$CK_NEW"
  expect_status "task checkpoint --exit" "$out_status" 0 || return 1
  ref=$(printf '%s\n' "$out" | tail -n 1)
  c images ls -q | grep -qxF "$ref" || { fail "checkpoint image '$ref' is not in the content store"; return 1; }
  wait_until 100 task_is "$CK_NEW" STOPPED || { fail "status after checkpoint --exit: '$(task_status "$CK_NEW")'"; return 1; }
  at_dump=$(wc -l <"$CK_OUT/count")
  sleep 0.5
  [ "$(wc -l <"$CK_OUT/count")" = "$at_dump" ] || { fail "the counter went on after checkpoint --exit"; return 1; }
  [ ! -e "$2/$NS/$CK_NEW" ] || { fail "runtime state $2/$NS/$CK_NEW is left after a full checkpoint"; return 1; }
  capture out c images rm "$ref"
  expect_status "images rm" "$out_status" 0
}

s_ckpt_remove() {
  local out id
  for id in "$CK_NEW" "$CK_ID"; do
    c task kill -s SIGKILL "$id" >/dev/null 2>&1
    wait_until 100 task_not_running "$id"
    c task delete "$id" >/dev/null 2>&1
    c containers rm "$id" >/dev/null 2>&1
  done
  c images rm "$CK_REF" >/dev/null 2>&1
  for id in "$CK_NEW" "$CK_ID"; do
    c containers ls -q | grep -qx "$id" && { fail "container $id is left"; return 1; }
    [ ! -e "$2/$NS/$id" ] || { fail "runtime state $2/$NS/$id left behind"; return 1; }
    [ ! -d "/sys/fs/cgroup/memory/$NS/$id" ] || { fail "cgroup /sys/fs/cgroup/memory/$NS/$id left behind"; return 1; }
  done
  local left
  left=$(c images ls -q 'labels."containerd.io/checkpoint"==true')
  [ -z "$left" ] || { fail "checkpoint images left: $(printf '%s' "$left" | tr '\n' ' ')"; return 1; }
  c images ls -q | grep -qxF "$CK_REF" && { fail "checkpoint image $CK_REF left"; return 1; }
  # The daemon's copies of the images it restored from.
  rm -rf "$CK_OUT" "$WORK/$1-ck-images" "$WORK/$1-ck-work" "$WORK"/tmp/ctrd-checkpoint*
}

checkpoint_steps() {
  local rt=$1 root=$2 why s
  CK_ID=bt-$rt-ckpt
  CK_NEW=bt-$rt-restored
  CK_REF=localhost/berth-checkpoint:$rt
  CK_OUT=$WORK/$rt-ckpt-out
  local steps=(ckpt-start task-checkpoint container-checkpoint container-restore
    task-checkpoint-exit ckpt-remove)
  if why=$(criu_unusable); then
    for s in "${steps[@]}"; do skip_step "$rt" "$s" "$why"; done
    return 0
  fi
  CHAIN_OK=1
  chained_step "$rt" ckpt-start s_ckpt_start "$rt"
  chained_step "$rt" task-checkpoint s_task_checkpoint "$rt"
  chained_step "$rt" container-checkpoint s_container_checkpoint "$rt"
  chained_step "$rt" container-restore s_container_restore "$rt" "$root"
  chained_step "$rt" task-checkpoint-exit s_task_checkpoint_exit "$rt" "$root"
  step "$rt" ckpt-remove s_ckpt_remove "$rt" "$root"
}

client_steps() {
  local rt=$1 path=$2 root=$WORK/$1-root
  RT_OPTS=(--runc-binary "$path" --runc-root "$root" --fifo-dir "$WORK/fifo")
  ID=bt-$rt-detached
  step "$rt" cri-config s_cri_config "$rt" "$path"
  step "$rt" run s_run "$rt"
  step "$rt" missing-exec s_missing_exec "$rt"
  if step "$rt" detach s_detach "$rt"; then
    step "$rt" exec s_exec "$rt"
    step "$rt" exec-tty s_exec_tty "$rt"
    step "$rt" ps s_ps "$rt"
    step "$rt" pause s_pause "$rt"
    step "$rt" stop s_stop "$rt"
  else
    for s in exec exec-tty ps pause stop; do record FAIL "$rt" "$s" "no detached container"; done
  fi
  step "$rt" remove s_remove "$rt" "$root"
  checkpoint_steps "$rt" "$root"
  return 0
}

client_main
