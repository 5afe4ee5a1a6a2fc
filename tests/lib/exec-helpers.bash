# Helpers for the exec tests (tests/integration/exec.bats and
# tests/diff/exec-diff.bats). Load after helpers.bash, which provides rt,
# rtc, cfg, set_args, new_id and the common setup and teardown.

FD_RECEIVER=$REPO_ROOT/tests/lib/fd-receiver.py
# The system python starts much faster than a version-manager shim, and
# the receiver needs nothing but the standard library.
EXEC_PYTHON=python3
[ -x /usr/bin/python3 ] && EXEC_PYTHON=/usr/bin/python3

# Processes a test put in the background (runtimes in the foreground mode,
# fd receivers): teardown ends those still running, and only those.
EXEC_BG_PIDS=()
# Sub-cgroups a test made under a container's cgroup.
EXEC_SUB_CGROUPS=()

# bg_track PID: remember a background process of this test, with its
# start time: bash reaps finished jobs by itself, so a bare pid could name
# another process by the time teardown looks at it.
bg_track() {
  EXEC_BG_PIDS+=("$(pid_fingerprint "$1")")
}

# kill_tracked PID: SIGKILL to a background process of this test, only if
# it is still the same process.
kill_tracked() {
  if tracked_running "$1"; then
    kill -KILL "$1" 2>/dev/null
  fi
  return 0
}

# tracked_running PID: a tracked background process that is still the same
# live process.
tracked_running() {
  local fp
  for fp in "${EXEC_BG_PIDS[@]}"; do
    if [ -n "$fp" ] && [ "${fp%%:*}" = "$1" ] && [ "$(pid_fingerprint "$1")" = "$fp" ]; then
      return 0
    fi
  done
  return 1
}

# start_container [ARG...]: runs $BUNDLE detached (default: sleep 1000) and
# sets ID and INIT_PID. The init's stdio is /dev/null, so no descriptor of
# the test's directory reaches the container through it.
start_container() {
  if [ $# -gt 0 ]; then set_args "$@"; else set_args sleep 1000; fi
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_DIR/run-$ID.err" ||
    fail "run -d $ID: $(cat "$TEST_DIR/run-$ID.err")"
  wait_status "$ID" running || return 1
  INIT_PID=$(rt state "$ID" | jq -r .pid)
  [ -n "$INIT_PID" ] && [ "$INIT_PID" -gt 0 ] || fail "no init pid for $ID"
}

# rt_bg OUTFILE ARGS...: the runtime in the background, without the time
# limit wrapper, so $! is the runtime's own pid (a test signals it or
# looks at its children). Sets BG_PID.
rt_bg() {
  local out=$1
  shift
  "$BERTH" --root "$TEST_ROOT" "$@" </dev/null >"$out" 2>&1 &
  BG_PID=$!
  bg_track "$BG_PID"
}

# wait_bg PID [TENTHS]: waits for a background job with a time limit; sets
# BG_RC (124 when it did not end in time, and it is then killed).
wait_bg() {
  local pid=$1 n=${2:-300} i
  for i in $(seq "$n"); do
    # Gone, or a zombie not reaped yet: either way `wait` has its status.
    if ! tracked_running "$pid"; then
      BG_RC=0
      wait "$pid" || BG_RC=$?
      return 0
    fi
    sleep 0.1
  done
  kill_tracked "$pid"
  wait "$pid" 2>/dev/null
  BG_RC=124
}

# children_of PID: the pids of a process's children, one a line.
children_of() {
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

# wait_child PID [TENTHS]: the first child of PID, once there is one that
# has already exec'd something other than its parent's binary.
wait_child() {
  local parent=$1 n=${2:-100} i c pexe
  pexe=$(readlink "/proc/$parent/exe" 2>/dev/null)
  for i in $(seq "$n"); do
    for c in $(children_of "$parent"); do
      if [ "$(readlink "/proc/$c/exe" 2>/dev/null)" != "$pexe" ] &&
        [ -n "$(readlink "/proc/$c/exe" 2>/dev/null)" ]; then
        echo "$c"
        return 0
      fi
    done
    sleep 0.1
  done
  echo "no exec'd child of $parent" >&2
  return 1
}

# short_sock_dir: a directory for AF_UNIX sockets. sun_path holds 108
# bytes; the test's own directory is used when its path is short enough.
short_sock_dir() {
  if [ "${#TEST_DIR}" -lt 80 ]; then
    echo "$TEST_DIR"
  else
    [ -n "${EXEC_SOCK_DIR:-}" ] || EXEC_SOCK_DIR=$(mktemp -d /tmp/bt-sock.XXXXXX)
    echo "$EXEC_SOCK_DIR"
  fi
}

# start_receiver MODE NAME [INPUT]: fd-receiver.py in the background on
# the socket NAME.sock; sets RECV_SOCK, RECV_OUT and RECV_PID, and returns
# once the socket is listening.
start_receiver() {
  local mode=$1 name=$2 input=${3:-}
  local dir
  dir=$(short_sock_dir)
  RECV_SOCK=$dir/$name.sock
  RECV_OUT=$TEST_DIR/$name.out
  rm -f "$RECV_SOCK" "$RECV_SOCK.ready"
  "$EXEC_PYTHON" "$FD_RECEIVER" "$mode" "$RECV_SOCK" "$RECV_OUT" "$input" \
    </dev/null >"$TEST_DIR/$name.receiver.log" 2>&1 &
  RECV_PID=$!
  bg_track "$RECV_PID"
  local i
  for i in $(seq 100); do
    [ -e "$RECV_SOCK.ready" ] && return 0
    pid_alive "$RECV_PID" || break
    sleep 0.1
  done
  fail "fd receiver did not start: $(cat "$TEST_DIR/$name.receiver.log")"
}

# ns_of PID: "name target" for every namespace link of a host pid.
ns_of() {
  local n
  for n in /proc/"$1"/ns/*; do
    echo "${n##*/} $(readlink "$n")"
  done
}

# The same list, printed from inside a container by the exec'd process.
NS_SCRIPT='for n in /proc/self/ns/*; do echo "${n##*/} $(readlink "$n")"; done'

# status_field PID NAME: a field of /proc/PID/status, e.g. CapEff.
status_field() {
  awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

# userns_bundle: moves $BUNDLE to a directory that every uid can traverse
# (bats makes the test's directory mode 0700), for user namespace tests.
userns_bundle() {
  EXEC_OPEN_DIR=$(mktemp -d /tmp/berth-test-userns.XXXXXX) || return 1
  chmod 0755 "$EXEC_OPEN_DIR"
  mv "$BUNDLE" "$EXEC_OPEN_DIR/bundle"
  BUNDLE=$EXEC_OPEN_DIR/bundle
}

# container_procs PID: the pids in the cgroup of a container's init (its
# pids hierarchy on v1, the unified one otherwise), one a line.
container_procs() {
  local f
  f=/sys/fs/cgroup/pids$(cgroup_of "$1" pids)/cgroup.procs
  if [ ! -e "$f" ]; then
    local path
    path=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")
    f=/sys/fs/cgroup/unified$path/cgroup.procs
    [ -e "$f" ] || f=/sys/fs/cgroup$path/cgroup.procs
  fi
  cat "$f"
}

# add_sub_cgroup NAME: makes NAME under every cgroup of the container's init
# (each v1 hierarchy and the unified one), for `exec --cgroup NAME`.
add_sub_cgroup() {
  local name=$1 line ctrls path dir
  while IFS= read -r line; do
    ctrls=${line#*:}
    ctrls=${ctrls%%:*}
    path=${line#*:*:}
    if [ -z "$ctrls" ]; then
      dir=/sys/fs/cgroup/unified
      [ -d "$dir" ] && [ -e "$dir/cgroup.controllers" ] || dir=/sys/fs/cgroup
    else
      dir=/sys/fs/cgroup/${ctrls#name=}
      [ -d "$dir" ] || dir=/sys/fs/cgroup/${ctrls%%,*}
    fi
    [ -d "$dir$path" ] || continue
    mkdir "$dir$path/$name" || return 1
    EXEC_SUB_CGROUPS+=("$dir$path/$name")
    # A v1 cpuset cgroup takes no task until it has cpus and mems.
    if [ -e "$dir$path/$name/cpuset.cpus" ]; then
      cat "$dir$path/cpuset.cpus" >"$dir$path/$name/cpuset.cpus"
      cat "$dir$path/cpuset.mems" >"$dir$path/$name/cpuset.mems"
    fi
  done <"/proc/$INIT_PID/cgroup"
}

remove_sub_cgroups() {
  local c rc=0
  for c in "${EXEC_SUB_CGROUPS[@]}"; do
    [ -d "$c" ] || continue
    rmdir "$c" 2>/dev/null || { echo "cannot remove $c" >&2; rc=1; }
  done
  EXEC_SUB_CGROUPS=()
  return "$rc"
}

exec_teardown() {
  local rc=0 p d
  # Runtimes of this test still running go first: an exec waiting on a
  # frozen container may hold the container's lock.
  for p in "${EXEC_BG_PIDS[@]}"; do
    [ -n "$p" ] || continue
    kill_tracked "${p%%:*}"
    wait "${p%%:*}" 2>/dev/null
  done
  EXEC_BG_PIDS=()
  # A paused container is resumed before delete --force: on cgroup v1 a
  # frozen process does not die of SIGKILL until it is thawed.
  if [ -n "${TEST_ROOT:-}" ] && [ -d "$TEST_ROOT" ]; then
    for d in "$TEST_ROOT"/*/; do
      [ -d "$d" ] || continue
      if [ "$(status_of "$(basename "$d")")" = paused ]; then
        RT_TIMEOUT=10 rt resume "$(basename "$d")" >/dev/null 2>&1 || rc=1
      fi
    done
  fi
  common_teardown || rc=1
  remove_sub_cgroups || rc=1
  [ -z "${EXEC_SOCK_DIR:-}" ] || rm -rf "$EXEC_SOCK_DIR"
  # Only once no container uses it: a mount left there would be deleted
  # through.
  if [ -n "${EXEC_OPEN_DIR:-}" ]; then
    if awk '{ print $5 }' /proc/self/mountinfo | grep -q "^$EXEC_OPEN_DIR/"; then
      echo "mounts remain under $EXEC_OPEN_DIR; left in place" >&2
      rc=1
    else
      rm -rf "$EXEC_OPEN_DIR"
    fi
  fi
  return "$rc"
}
