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
  ensure_packages containerd runc busybox-static jq util-linux || return 1
  NS=berth-ctr-$$
  CGROUP_NAMES+=("$NS")
  CD=$WORK/containerd
  SOCK=$CD/containerd.sock
  mkdir -p "$CD" "$WORK/fifo" || return 1
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
  wait_until 100 test "$(task_status "$ID")" = STOPPED || fail "status after SIGKILL: '$(task_status "$ID")'"
}

s_remove() {
  local out
  capture out c task delete "$ID"
  expect_status "task delete" "$out_status" 0 || return 1
  # ctr reports the task's status: killed by SIGKILL.
  expect_text "task delete" "$out" "exit code 137" || return 1
  capture out c containers rm "$ID"
  expect_status "containers rm" "$out_status" 0 || return 1
  [ ! -e "$2/$ID" ] || fail "runtime state $2/$ID left behind"
  [ ! -d "/sys/fs/cgroup/memory/$NS/$ID" ] || fail "cgroup /sys/fs/cgroup/memory/$NS/$ID left behind"
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
  return 0
}

client_main
