#!/bin/bash
# Podman with `--runtime /path/to/RT`. Podman runs the runtime through
# conmon (create, exec) and directly (start, kill, pause, update, delete).
# Everything podman keeps (storage, run state, events, locks, networks) is
# in the temporary directory, through CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF.
#
# Usage: podman.sh (BERTH, RUNC, CLIENT_RUNTIMES, VERBOSE from the
# environment; see lib.sh).
. "$(dirname "$0")/lib.sh"

IMG=localhost/berth-busybox:test
LOOP='trap "echo got-TERM" TERM; echo ready; while :; do sleep 1; done'

client_prepare() {
  ensure_packages podman conmon runc busybox-static jq util-linux || return 1
  P=$WORK/podman
  mkdir -p "$P/tmp" "$P/vartmp" "$P/net" "$P/cni" || return 1
  # Podman's conmon and containers go under this cgroup parent; its
  # default, libpod_parent, is removed too when the test created it.
  CGROUP_PARENT=berth-podman-$$
  CGROUP_NAMES+=("$CGROUP_PARENT")
  [ -d /sys/fs/cgroup/memory/libpod_parent ] || CGROUP_NAMES+=(libpod_parent)
  # Podman decides whether a runtime writes JSON logs (--log-format=json)
  # and accepts --cgroup-manager disabled from the basename of its binary:
  # berth is added to both lists. The rlimits fit under this machine's hard
  # NOFILE limit (podman's default 1048576 needs CAP_SYS_RESOURCE); without
  # systemd, cgroups are managed directly and events go to a file.
  cat >"$P/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
image_copy_tmp_dir = "$P/vartmp"
lock_type = "file"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "berth"]
runtime_supports_nocgroups = ["crun", "krun", "berth"]

[network]
network_backend = "cni"
network_config_dir = "$P/net"
cni_plugin_dirs = ["$P/cni"]
EOF
  cat >"$P/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$P/runroot"
graphroot = "$P/root"
EOF
  : >"$P/registries.conf"
  export CONTAINERS_CONF=$P/containers.conf
  export CONTAINERS_STORAGE_CONF=$P/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
  export TMPDIR=$P/vartmp
  on_exit delete_podman_containers
  make_rootfs_tar "$WORK/rootfs.tar" || return 1
  pm "runc=$RUNC" import --change 'CMD ["sh"]' "$WORK/rootfs.tar" "$IMG" || return 1
}

# pm NAME=PATH ARGS...: podman with that runtime. The runtime keeps its
# default state root (/run/NAME): podman passes --runtime-flag to its own
# calls but not to the `podman container cleanup` that conmon runs when a
# container exits, so a root of our own would split the state in two.
pm() {
  local rt=$1
  shift
  tmo podman --runtime "${rt#*=}" "$@"
}

# Force-deletes, with every runtime, the containers podman still knows:
# their runtime state is outside the temporary directory.
delete_podman_containers() {
  local id pair
  for id in $(pm "runc=$RUNC" ps -aq --no-trunc 2>/dev/null); do
    for pair in $CLIENT_RUNTIMES; do
      tmo "${pair#*=}" --root "/run/$(basename "${pair#*=}")" delete --force "$id" >/dev/null 2>&1
    done
  done
  pm "runc=$RUNC" rm -af >/dev/null 2>&1
  pm "runc=$RUNC" rmi -af >/dev/null 2>&1
}

p() { pm "$RTPAIR" "$@"; }

state_of() { p inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }

freezer_state() {
  local rel
  rel=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$1/cgroup") || return 1
  cat "/sys/fs/cgroup/freezer$rel/freezer.state"
}

RUN_OPTS=(--network none --cgroup-parent "/berth-podman-$$")

s_run() {
  local out
  capture out p run --rm --name "bt-$1-run" "${RUN_OPTS[@]}" "$IMG" sh -c 'echo hello-from-run; exit 7'
  expect_text run "$out" hello-from-run && expect_status run "$out_status" 7
}

s_missing_exec() {
  local out
  capture out p run --rm --name "bt-$1-missing" "${RUN_OPTS[@]}" "$IMG" no-such-binary
  p rm -f "bt-$1-missing" >/dev/null 2>&1
  check_missing_exec "$1" 127 "$out_status" "$out"
}

s_detach() {
  local out
  capture out p run -d --name "$ID" "${RUN_OPTS[@]}" "$IMG" sh -c "$LOOP"
  expect_status "run -d" "$out_status" 0 || return 1
  wait_until 100 sh -c "podman logs '$ID' 2>/dev/null | grep -q ready" ||
    fail "container printed nothing: $(podman logs "$ID" 2>&1 | tail -n 3)"
  [ "$(state_of "$ID")" = running ] || fail "status is '$(state_of "$ID")', expected running"
}

s_exec() {
  local out
  capture out p exec "$ID" sh -c 'echo exec-ok; exit 3'
  expect_text exec "$out" exec-ok && expect_status exec "$out_status" 3
}

s_exec_tty() {
  local out
  capture out in_tty podman --runtime "$2" exec -t "$ID" sh -c 'tty; exit 4'
  expect_text "exec -t" "$out" /dev/pts/ && expect_status "exec -t" "$out_status" 4
}

s_ps() {
  local out
  capture out p top "$ID" pid args
  expect_status top "$out_status" 0 || return 1
  expect_text top "$out" "sleep 1" || return 1
  expect_text top "$out" "got-TERM"
}

s_pause() {
  local out pid
  pid=$(p inspect -f '{{.State.Pid}}' "$ID")
  capture out p pause "$ID"
  expect_status pause "$out_status" 0 || return 1
  [ "$(state_of "$ID")" = paused ] || fail "status after pause: '$(state_of "$ID")'"
  [ "$(freezer_state "$pid")" = FROZEN ] || fail "freezer state after pause: '$(freezer_state "$pid")'"
  capture out p unpause "$ID"
  expect_status unpause "$out_status" 0 || return 1
  [ "$(state_of "$ID")" = running ] || fail "status after unpause: '$(state_of "$ID")'"
  [ "$(freezer_state "$pid")" = THAWED ] || fail "freezer state after unpause: '$(freezer_state "$pid")'"
}

s_update() {
  local out
  capture out p update --memory 64m "$ID"
  expect_status update "$out_status" 0 || return 1
  capture out p exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_status "read limit inside" "$out_status" 0 || return 1
  [ "$out" = 67108864 ] || fail "memory limit inside is '$out', expected 67108864"
}

s_stop() {
  local out
  capture out p stop -t 2 "$ID"
  expect_status stop "$out_status" 0 || return 1
  capture out p logs "$ID"
  expect_text "logs after stop" "$out" got-TERM || return 1
  [ "$(state_of "$ID")" = exited ] || fail "status after stop: '$(state_of "$ID")'"
  local code
  code=$(p inspect -f '{{.State.ExitCode}}' "$ID")
  [ "$code" = 137 ] || fail "exit code after stop: '$code', expected 137 (SIGKILL)"
}

s_remove() {
  local out id
  id=$(p inspect -f '{{.Id}}' "$ID")
  capture out p rm "$ID"
  expect_status rm "$out_status" 0 || return 1
  p container exists "$ID" && return "$(fail "container still exists after rm")"
  [ ! -e "/run/$(basename "$2")/$id" ] || fail "runtime state /run/$(basename "$2")/$id left behind"
}

# --- checkpoint and restore ------------------------------------------------
#
# A counter prints "count 1", "count 2", ... ten times a second; podman's
# log (conmon's k8s-file) of it must read 1, 2, 3... with no gap and no
# restart, across every checkpoint and restore.
COUNTER='i=0; while :; do i=$((i+1)); echo "count $i"; sleep 0.1; done'

# counts ID: the counter's values in the container's log.
# (A terminal ends each line with a carriage return.)
counts() { p logs "$1" 2>/dev/null | tr -d '\r' | sed -n 's/^count \([0-9][0-9]*\)$/\1/p'; }
last_count() { counts "$1" | tail -n 1; }
count_above() { [ "$(last_count "$1")" -gt "$2" ] 2>/dev/null; }

# counts_consecutive ID [FIRST]: the log holds FIRST (default 1), FIRST+1,
# ... without a gap or a repeat; prints the last value.
counts_consecutive() {
  local first=${2:-1} vals
  vals=$(counts "$1")
  [ -n "$vals" ] || { fail "no counter output in the log of $1"; return 1; }
  local gap
  gap=$(printf '%s\n' "$vals" | awk -v f="$first" '$1 != f + NR - 1 { print "line " NR " is " $1 ", expected " f + NR - 1; exit }')
  [ -z "$gap" ] || { fail "the counter in the log of $1 does not go on by one: $gap"; return 1; }
  printf '%s\n' "$vals" | tail -n 1
}

# The runtime state directory of container ID under runtime RT_PATH.
runtime_state_dir() { echo "/run/$(basename "$2")/$(p inspect -f '{{.Id}}' "$1")"; }

s_ckpt_start() {
  local out
  capture out p run -d --name "$CK" "${RUN_OPTS[@]}" "$IMG" sh -c "$COUNTER"
  expect_status "run -d" "$out_status" 0 || return 1
  wait_until 50 count_above "$CK" 3 || fail "counter did not start: $(p logs "$CK" 2>&1 | tail -n 2)"
}

# podman container checkpoint: podman runs `RT checkpoint --image-path
# B/checkpoint --work-path B ID` itself (B: the container's userdata
# directory); a full checkpoint ends the container.
s_checkpoint() {
  local out state
  state=$(runtime_state_dir "$CK" "$2")
  [ -d "$state" ] || { fail "no runtime state $state before the checkpoint"; return 1; }
  capture out p container checkpoint "$CK"
  expect_status checkpoint "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = exited ] || { fail "status after checkpoint: '$(state_of "$CK")'"; return 1; }
  [ "$(p inspect -f '{{.State.Checkpointed}}' "$CK")" = true ] ||
    { fail "podman does not mark the container checkpointed"; return 1; }
  [ ! -e "$state" ] || { fail "runtime state $state is left after a full checkpoint"; return 1; }
  local dir
  dir=$(p inspect -f '{{.StaticDir}}' "$CK")/checkpoint
  [ -s "$dir/inventory.img" ] || { fail "no CRIU images in $dir"; return 1; }
  CK_AT_DUMP=$(last_count "$CK")
  sleep 0.5
  [ "$(last_count "$CK")" = "$CK_AT_DUMP" ] || { fail "the counter went on after the checkpoint"; return 1; }
  echo "checkpointed at count $CK_AT_DUMP"
}

# podman container restore: conmon runs `RT restore --bundle B --pid-file P
# --detach --image-path B/checkpoint --work-path B ID`.
s_restore() {
  local out last
  capture out p container restore "$CK"
  expect_status restore "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = running ] || { fail "status after restore: '$(state_of "$CK")'"; return 1; }
  [ -d "$(runtime_state_dir "$CK" "$2")" ] || { fail "no runtime state after restore"; return 1; }
  wait_until 50 count_above "$CK" $((CK_AT_DUMP + 3)) ||
    { fail "the restored counter does not go on (at $(last_count "$CK"), checkpointed at $CK_AT_DUMP)"; return 1; }
  last=$(counts_consecutive "$CK") || return 1
  echo "counted on from $CK_AT_DUMP to $last, one log, no gap"
}

# --leave-running: the images are written and the container runs on.
s_leave_running() {
  local out dir at
  dir=$(p inspect -f '{{.StaticDir}}' "$CK")/checkpoint
  rm -rf "$dir"
  capture out p container checkpoint --leave-running "$CK"
  expect_status "checkpoint --leave-running" "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = running ] || { fail "status after checkpoint --leave-running: '$(state_of "$CK")'"; return 1; }
  [ -s "$dir/inventory.img" ] || { fail "no CRIU images in $dir"; return 1; }
  at=$(last_count "$CK")
  wait_until 50 count_above "$CK" $((at + 3)) || { fail "the counter stopped after checkpoint --leave-running"; return 1; }
  counts_consecutive "$CK" >/dev/null
}

# --pre-checkpoint (`RT checkpoint --pre-dump --image-path
# B/pre-checkpoint ...`) writes the memory while the container runs, and
# --with-previous (`--parent-path ../pre-checkpoint`) then writes only the
# pages changed since. CRIU finds those through the kernel's soft-dirty
# bits, which a kernel built without CONFIG_MEM_SOFT_DIRTY lacks.
s_pre_checkpoint() {
  local out last
  capture out p container checkpoint --pre-checkpoint "$CK"
  expect_status "checkpoint --pre-checkpoint" "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = running ] || { fail "status after --pre-checkpoint: '$(state_of "$CK")'"; return 1; }
  ls "$(p inspect -f '{{.StaticDir}}' "$CK")/pre-checkpoint" 2>/dev/null | grep -q '^pages-.*\.img$' ||
    { fail "no memory pages in the pre-checkpoint"; return 1; }
  capture out p container checkpoint --with-previous "$CK"
  expect_status "checkpoint --with-previous" "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = exited ] || { fail "status after --with-previous: '$(state_of "$CK")'"; return 1; }
  CK_AT_DUMP=$(last_count "$CK")
  capture out p container restore "$CK"
  expect_status "restore after --with-previous" "$out_status" 0 || return 1
  wait_until 50 count_above "$CK" $((CK_AT_DUMP + 3)) ||
    { fail "the counter does not go on after the restore (at $(last_count "$CK"), checkpointed at $CK_AT_DUMP)"; return 1; }
  last=$(counts_consecutive "$CK") || return 1
  echo "counted on from $CK_AT_DUMP to $last"
}

# --export: the checkpoint, the container's config and its rootfs changes
# in one archive; the container ends.
s_export() {
  local out list
  capture out p container checkpoint --export "$CK_TAR" --compress gzip "$CK"
  expect_status "checkpoint --export" "$out_status" 0 || return 1
  [ "$(state_of "$CK")" = exited ] || { fail "status after checkpoint --export: '$(state_of "$CK")'"; return 1; }
  list=$(tar -tzf "$CK_TAR") || { fail "$CK_TAR is not a gzip tar archive"; return 1; }
  for f in checkpoint/inventory.img config.dump spec.dump ctr.log; do
    printf '%s\n' "$list" | grep -qx "$f" || { fail "$CK_TAR has no $f: $(printf '%s' "$list" | head -n 8 | tr '\n' ' ')"; return 1; }
  done
  CK_AT_DUMP=$(last_count "$CK")
  echo "exported at count $CK_AT_DUMP"
}

# --import: a new container made from the archive, counting on from the
# exported value.
s_import() {
  local out last
  capture out p container restore --import "$CK_TAR" --name "$CK_NEW"
  expect_status "restore --import" "$out_status" 0 || return 1
  [ "$(state_of "$CK_NEW")" = running ] || { fail "status of the imported container: '$(state_of "$CK_NEW")'"; return 1; }
  [ "$(p inspect -f '{{.Id}}' "$CK_NEW")" != "$(p inspect -f '{{.Id}}' "$CK")" ] ||
    { fail "the imported container has the id of the exported one"; return 1; }
  [ "$(state_of "$CK")" = exited ] || { fail "the exported container is '$(state_of "$CK")'"; return 1; }
  wait_until 50 count_above "$CK_NEW" $((CK_AT_DUMP + 3)) ||
    { fail "the imported counter does not go on (at '$(last_count "$CK_NEW")', exported at $CK_AT_DUMP)"; return 1; }
  # The archive carries the container's log (ctr.log), which the new
  # container starts from: it must read 1, 2, ... up to the exported value
  # and on from there, not start again at 1.
  last=$(counts_consecutive "$CK_NEW") || return 1
  echo "the imported container counted on from $CK_AT_DUMP to $last"
}

# --create-image: the checkpoint as an image in podman's store, from which
# `podman container restore IMAGE` makes a new container.
s_checkpoint_image() {
  local out last
  capture out p container checkpoint --create-image "$CK_IMG" "$CK_NEW"
  expect_status "checkpoint --create-image" "$out_status" 0 || return 1
  [ "$(state_of "$CK_NEW")" = exited ] || { fail "status after checkpoint --create-image: '$(state_of "$CK_NEW")'"; return 1; }
  p image exists "$CK_IMG" || { fail "no image $CK_IMG after checkpoint --create-image"; return 1; }
  CK_AT_DUMP=$(last_count "$CK_NEW")
  capture out p container restore --name "$CK_FROM_IMG" "$CK_IMG"
  expect_status "restore IMAGE" "$out_status" 0 || return 1
  [ "$(state_of "$CK_FROM_IMG")" = running ] || { fail "status of the container restored from $CK_IMG: '$(state_of "$CK_FROM_IMG")'"; return 1; }
  wait_until 50 count_above "$CK_FROM_IMG" $((CK_AT_DUMP + 3)) ||
    { fail "the counter restored from the image does not go on (at '$(last_count "$CK_FROM_IMG")', checkpointed at $CK_AT_DUMP)"; return 1; }
  # An image carries no log: the new one starts right after the value
  # at the checkpoint.
  last=$(counts_consecutive "$CK_FROM_IMG" $((CK_AT_DUMP + 1))) || return 1
  echo "restored from $CK_IMG, counted on from $CK_AT_DUMP to $last"
}

# A container with a terminal: conmon hands restore a --console-socket,
# on which berth passes the master of the restored terminal (CRIU's
# orphan-pts-master), and conmon logs what the container writes to it.
s_checkpoint_tty() {
  local out last
  capture out p run -dt --name "$CK_TTY" "${RUN_OPTS[@]}" "$IMG" sh -c "$COUNTER"
  expect_status "run -dt" "$out_status" 0 || return 1
  wait_until 50 count_above "$CK_TTY" 3 || { fail "counter did not start: $(p logs "$CK_TTY" 2>&1 | tail -n 2)"; return 1; }
  capture out p container checkpoint "$CK_TTY"
  expect_status "checkpoint (tty)" "$out_status" 0 || return 1
  [ "$(state_of "$CK_TTY")" = exited ] || { fail "status after checkpoint: '$(state_of "$CK_TTY")'"; return 1; }
  CK_AT_DUMP=$(last_count "$CK_TTY")
  capture out p container restore "$CK_TTY"
  expect_status "restore (tty)" "$out_status" 0 || return 1
  [ "$(state_of "$CK_TTY")" = running ] || { fail "status after restore: '$(state_of "$CK_TTY")'"; return 1; }
  wait_until 50 count_above "$CK_TTY" $((CK_AT_DUMP + 3)) ||
    { fail "the restored counter does not reach the log through the terminal (at $(last_count "$CK_TTY"), checkpointed at $CK_AT_DUMP)"; return 1; }
  last=$(counts_consecutive "$CK_TTY") || return 1
  # The restored shell still writes to a terminal.
  capture out p exec "$CK_TTY" readlink /proc/1/fd/1
  expect_text "the restored init's stdout" "$out" /dev/pts/ || return 1
  echo "counted on from $CK_AT_DUMP to $last on $out"
}

s_ckpt_remove() {
  local out id names=() ids=()
  for id in "$CK" "$CK_NEW" "$CK_FROM_IMG" "$CK_TTY"; do
    p container exists "$id" || continue
    names+=("$id")
    ids+=("$(p inspect -f '{{.Id}}' "$id")")
  done
  # Only the ones that exist: podman 4.3 removes nothing when one of the
  # names is unknown.
  [ "${#names[@]}" = 0 ] || capture out p rm -f -t 0 "${names[@]}"
  for id in "$CK" "$CK_NEW" "$CK_FROM_IMG" "$CK_TTY"; do
    p container exists "$id" && { fail "container $id still exists after rm -f"; return 1; }
  done
  for id in "${ids[@]}"; do
    [ ! -e "/run/$(basename "$2")/$id" ] || { fail "runtime state /run/$(basename "$2")/$id left behind"; return 1; }
  done
  if p image exists "$CK_IMG"; then
    capture out p rmi "$CK_IMG"
    p image exists "$CK_IMG" && { fail "checkpoint image $CK_IMG left"; return 1; }
  fi
  rm -f "$CK_TAR"
}

checkpoint_steps() {
  local rt=$1 path=$2 why s
  CK=bt-$rt-ckpt
  CK_NEW=bt-$rt-imported
  CK_TAR=$WORK/$rt-checkpoint.tar.gz
  CK_IMG=localhost/berth-checkpoint:$rt
  CK_FROM_IMG=bt-$rt-from-image
  CK_TTY=bt-$rt-ckpt-tty
  local steps=(ckpt-start checkpoint restore leave-running pre-checkpoint export import
    checkpoint-image checkpoint-tty ckpt-remove)
  if why=$(criu_unusable); then
    for s in "${steps[@]}"; do skip_step "$rt" "$s" "$why"; done
    return 0
  fi
  CHAIN_OK=1
  chained_step "$rt" ckpt-start s_ckpt_start "$rt"
  chained_step "$rt" checkpoint s_checkpoint "$rt" "$path"
  chained_step "$rt" restore s_restore "$rt" "$path"
  chained_step "$rt" leave-running s_leave_running "$rt"
  if ! criu check --feature mem_dirty_track >/dev/null 2>&1; then
    skip_step "$rt" pre-checkpoint "this kernel has no soft-dirty page tracking (CONFIG_MEM_SOFT_DIRTY; criu check --feature mem_dirty_track fails), which pre-checkpoints need"
  else
    chained_step "$rt" pre-checkpoint s_pre_checkpoint "$rt"
  fi
  chained_step "$rt" export s_export "$rt"
  chained_step "$rt" import s_import "$rt"
  chained_step "$rt" checkpoint-image s_checkpoint_image "$rt"
  step "$rt" checkpoint-tty s_checkpoint_tty "$rt"
  step "$rt" ckpt-remove s_ckpt_remove "$rt" "$path"
}

client_steps() {
  local rt=$1 path=$2
  RTPAIR="$rt=$path"
  ID=bt-$rt-detached
  step "$rt" run s_run "$rt"
  step "$rt" missing-exec s_missing_exec "$rt"
  if step "$rt" detach s_detach "$rt"; then
    step "$rt" exec s_exec "$rt"
    step "$rt" exec-tty s_exec_tty "$rt" "$path"
    step "$rt" top s_ps "$rt"
    step "$rt" pause s_pause "$rt"
    step "$rt" update s_update "$rt"
    step "$rt" stop s_stop "$rt"
  else
    for s in exec exec-tty top pause update stop; do record FAIL "$rt" "$s" "no detached container"; done
  fi
  step "$rt" remove s_remove "$rt" "$path"
  checkpoint_steps "$rt" "$path"
  p rm -af >/dev/null 2>&1
  return 0
}


client_main
