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
  p rm -af >/dev/null 2>&1
  return 0
}


client_main
