#!/bin/bash
# Docker: dockerd is started once per runtime, with daemon.json declaring
# the runtime under "runtimes" and making it the "default-runtime", so that
# plain `docker run` uses it and `docker info` reports its version. dockerd
# runs its own containerd; both keep their state in the temporary
# directory. Containers have no network (and the daemon no bridge,
# iptables rules or forwarding).
#
# Usage: docker.sh (BERTH, RUNC, CLIENT_RUNTIMES, VERBOSE from the
# environment; see lib.sh).
. "$(dirname "$0")/lib.sh"

IMG=berth-busybox:test
LOOP='trap "echo got-TERM" TERM; echo ready; while :; do sleep 1; done'

client_prepare() {
  ensure_packages docker.io containerd runc busybox-static jq util-linux || return 1
  D=$WORK/docker
  mkdir -p "$D/cli" || return 1
  CGROUP_PARENT=berth-docker-$$
  CGROUP_NAMES+=("$CGROUP_PARENT")
  # dockerd writes its identity key beside the system config; removed at
  # exit when this test made it.
  [ -e /etc/docker/key.json ] || on_exit 'rm -f /etc/docker/key.json'
  export DOCKER_HOST=unix://$D/docker.sock
  export DOCKER_CONFIG=$D/cli
  make_rootfs_tar "$WORK/rootfs.tar" || return 1
}

# The name a runtime gets in daemon.json ("runc" is docker's own).
runtime_name() {
  if [ "$1" = runc ]; then echo debian-runc; else echo "$1"; fi
}

# start_dockerd NAME PATH: daemon.json for that runtime, then dockerd.
start_dockerd() {
  local name path=$2
  name=$(runtime_name "$1")
  jq -n --arg d "$D" --arg name "$name" --arg path "$path" --arg cg "/$CGROUP_PARENT" '{
      "data-root": ($d + "/root"),
      "exec-root": ($d + "/exec"),
      "pidfile": ($d + "/docker.pid"),
      "hosts": ["unix://" + $d + "/docker.sock"],
      "runtimes": {($name): {"path": $path}},
      "default-runtime": $name,
      "cgroup-parent": $cg,
      "bridge": "none", "iptables": false, "ip6tables": false,
      "ip-forward": false, "ip-masq": false, "userland-proxy": false,
      "storage-driver": "overlay2"}' >"$D/daemon.json" || return 1
  start_daemon dockerd "$WORK/logs/dockerd-$1.log" dockerd --config-file "$D/daemon.json"
  DOCKERD_PID=$DAEMON_PID
  if ! wait_until 600 tmo docker version; then
    tail -n 15 "$WORK/logs/dockerd-$1.log"
    echo "dockerd did not come up"
    return 1
  fi
  if ! d image inspect "$IMG" >/dev/null 2>&1; then
    d import --change 'CMD ["sh"]' "$WORK/rootfs.tar" "$IMG" || return 1
  fi
}

d() { tmo docker "$@"; }

state_of() { d inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }

freezer_state() {
  local rel
  rel=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$1/cgroup") || return 1
  cat "/sys/fs/cgroup/freezer$rel/freezer.state"
}

s_daemon() {
  start_dockerd "$1" "$2" || return "$(fail "dockerd with $2 as its default runtime did not start: $(grep -E 'level=(error|fatal)' "$WORK/logs/dockerd-$1.log" | tail -n 1)")"
}

s_info() {
  local out want
  capture out d info --format '{{.DefaultRuntime}} {{.RuncCommit.ID}}'
  expect_status info "$out_status" 0 || return 1
  want=$("$2" --version | awk '$1 == "commit:" {print $2}')
  [ "$out" = "$(runtime_name "$1") $want" ] ||
    fail "docker info shows '$out', expected '$(runtime_name "$1") $want' (default runtime, commit from $2 --version)"
}

s_run() {
  local out
  capture out d run --rm --network none "$IMG" sh -c 'echo hello-from-run; exit 7'
  expect_text run "$out" hello-from-run && expect_status run "$out_status" 7
}

s_missing_exec() {
  local out
  capture out d run --rm --network none "$IMG" no-such-binary
  check_missing_exec "$1" 127 "$out_status" "$out"
}

s_detach() {
  local out
  capture out d run -d --name "$ID" --network none "$IMG" sh -c "$LOOP"
  expect_status "run -d" "$out_status" 0 || return 1
  wait_until 100 sh -c "docker logs '$ID' 2>/dev/null | grep -q ready" ||
    fail "container printed nothing: $(docker logs "$ID" 2>&1 | tail -n 3)"
  [ "$(state_of "$ID")" = running ] || fail "status is '$(state_of "$ID")', expected running"
}

s_exec() {
  local out
  capture out d exec "$ID" sh -c 'echo exec-ok; exit 3'
  expect_text exec "$out" exec-ok && expect_status exec "$out_status" 3
}

s_exec_tty() {
  local out
  capture out in_tty docker exec -t "$ID" sh -c 'tty; exit 4'
  expect_text "exec -t" "$out" /dev/pts/ && expect_status "exec -t" "$out_status" 4
}

s_top() {
  local out
  capture out d top "$ID" -o pid,args
  expect_status top "$out_status" 0 || return 1
  expect_text top "$out" "sleep 1" || return 1
  expect_text top "$out" "got-TERM"
}

s_pause() {
  local out pid
  pid=$(d inspect -f '{{.State.Pid}}' "$ID")
  capture out d pause "$ID"
  expect_status pause "$out_status" 0 || return 1
  [ "$(state_of "$ID")" = paused ] || fail "status after pause: '$(state_of "$ID")'"
  [ "$(freezer_state "$pid")" = FROZEN ] || fail "freezer state after pause: '$(freezer_state "$pid")'"
  capture out d unpause "$ID"
  expect_status unpause "$out_status" 0 || return 1
  [ "$(state_of "$ID")" = running ] || fail "status after unpause: '$(state_of "$ID")'"
  [ "$(freezer_state "$pid")" = THAWED ] || fail "freezer state after unpause: '$(freezer_state "$pid")'"
}

s_update() {
  local out
  capture out d update --memory 64m --memory-swap 64m "$ID"
  expect_status update "$out_status" 0 || return 1
  capture out d exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
  expect_status "read limit inside" "$out_status" 0 || return 1
  [ "$out" = 67108864 ] || fail "memory limit inside is '$out', expected 67108864"
}

s_stop() {
  local out code
  capture out d stop -t 2 "$ID"
  expect_status stop "$out_status" 0 || return 1
  capture out d logs "$ID"
  expect_text "logs after stop" "$out" got-TERM || return 1
  [ "$(state_of "$ID")" = exited ] || fail "status after stop: '$(state_of "$ID")'"
  code=$(d inspect -f '{{.State.ExitCode}}' "$ID")
  [ "$code" = 137 ] || fail "exit code after stop: '$code', expected 137 (SIGKILL)"
}

s_remove() {
  local out id root
  id=$(d inspect -f '{{.Id}}' "$ID")
  capture out d rm "$ID"
  expect_status rm "$out_status" 0 || return 1
  d inspect "$ID" >/dev/null 2>&1 && return "$(fail "container still exists after rm")"
  root=$D/exec/runtime-$(runtime_name "$1")/moby
  [ ! -e "$root/$id" ] || fail "runtime state $root/$id left behind"
}

client_steps() {
  local rt=$1 path=$2 s
  ID=bt-$rt-detached
  RUNTIME_ROOTS+=("$D/exec/runtime-$(runtime_name "$rt")/moby")
  if ! step "$rt" daemon s_daemon "$rt" "$path"; then
    for s in info run missing-exec detach exec exec-tty top pause update stop remove; do
      record FAIL "$rt" "$s" "dockerd did not start"
    done
    stop_daemon "$DOCKERD_PID"
    return 0
  fi
  step "$rt" info s_info "$rt" "$path"
  step "$rt" run s_run "$rt"
  step "$rt" missing-exec s_missing_exec "$rt"
  if step "$rt" detach s_detach "$rt"; then
    step "$rt" exec s_exec "$rt"
    step "$rt" exec-tty s_exec_tty "$rt"
    step "$rt" top s_top "$rt"
    step "$rt" pause s_pause "$rt"
    step "$rt" update s_update "$rt"
    step "$rt" stop s_stop "$rt"
  else
    for s in exec exec-tty top pause update stop; do record FAIL "$rt" "$s" "no detached container"; done
  fi
  step "$rt" remove s_remove "$rt"
  local ids
  mapfile -t ids < <(d ps -aq)
  [ "${#ids[@]}" -gt 0 ] && d rm -f "${ids[@]}" >/dev/null 2>&1
  stop_daemon "$DOCKERD_PID"
  return 0
}

client_main
