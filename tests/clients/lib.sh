# Shared code for the client tests (podman.sh, containerd.sh, docker.sh,
# conmon.sh, buildah.sh). Each test drives a real client (its daemon, if it
# has one, started here with all of its state in a temporary directory)
# against each runtime named in $CLIENT_RUNTIMES, Debian's runc first, so
# that a step that fails only under berth is known to be berth's.
#
# A test file sources this, defines client_prepare (install, image, daemon
# config), client_steps RT_NAME RT_PATH (the scenario) and optionally
# client_finish, then calls client_main.
#
# Results: one line per client x runtime x step, "PASS|FAIL|SKIP client rt
# step [reason]", printed and appended to $CLIENT_RESULTS (run-clients.sh
# counts them).

set -u

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLIENTS_DIR/../.." && pwd)
RUNC=${RUNC:-/usr/sbin/runc}
BERTH=${BERTH:-$REPO_ROOT/build/berth}
case $BERTH in
  /*) ;;
  *) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
esac
# "name=path" pairs; runc first so that its results are the reference.
CLIENT_RUNTIMES=${CLIENT_RUNTIMES:-"runc=$RUNC berth=$BERTH"}
CLIENT_RESULTS=${CLIENT_RESULTS:-/dev/null}
# Upper bound for one client command: a hung runtime must fail a step, not
# the whole CI run.
CMD_TIMEOUT=${CMD_TIMEOUT:-90}
VERBOSE=${VERBOSE:-0}

# CRIU for the checkpoint steps: scripts/install-criu.sh's wrapper (which
# `make check` installs) comes first on PATH, which the clients, their
# daemons and shims, and the runtimes they start all inherit; podman, the
# containerd shim and both runtimes look for "criu" on PATH.
CRIU_BIN_DIR=${CRIU_BIN_DIR:-/usr/local/lib/berth-criu/bin}
if [ -x "$CRIU_BIN_DIR/criu" ]; then
  case ":$PATH:" in
    *":$CRIU_BIN_DIR:"*) ;;
    *) PATH=$CRIU_BIN_DIR:$PATH ;;
  esac
  export PATH
fi

CLIENT=${CLIENT:-$(basename "$0" .sh)}
WORK=
CLEANUPS=()
# Cgroup names (relative to each hierarchy's root) that the test made or
# that its client made for it; removed at exit.
CGROUP_NAMES=()
# Runtime state roots to empty with `delete --force` at exit.
RUNTIME_ROOTS=()
# Pids of daemons started here, stopped by pid at exit.
DAEMON_PIDS=()

# Paths the clients create outside the temporary directory no matter how
# they are configured; remembered before the test so that only what the
# test created is removed afterwards.
HOST_DIRS=(/run/containerd/s /run/containerd/fifo /run/containerd
  /run/docker/plugins /run/docker /run/runc /run/berth)
HOST_DIRS_BEFORE=()

say() { echo "[$CLIENT] $*"; }
debug() { [ "$VERBOSE" = 1 ] && echo "[$CLIENT] $*" >&2; return 0; }
die() { echo "[$CLIENT] error: $*" >&2; exit 1; }

# record STATUS RT STEP [REASON]
record() {
  local status=$1 rt=$2 step=$3 reason=${4:-}
  local line="$status $CLIENT $rt $step${reason:+ : $reason}"
  echo "$line"
  echo "$line" >>"$CLIENT_RESULTS"
}

# Failure reasons travel through this file: fail() writes the newest one.
fail() {
  echo "$*" >&2
  [ -n "$WORK" ] && printf '%s\n' "$*" >"$WORK/.reason"
  return 1
}

# step RT STEP FUNCTION ARGS...: one test. The function's output goes to a
# log file (shown on failure); its status is the result.
step() {
  local rt=$1 name=$2
  shift 2
  local log=$WORK/logs/$rt-$name.log
  rm -f "$WORK/.reason"
  if "$@" >"$log" 2>&1; then
    record PASS "$rt" "$name"
    [ "$VERBOSE" = 1 ] && sed 's/^/    /' "$log"
    return 0
  fi
  local reason=
  [ -f "$WORK/.reason" ] && reason=$(head -c 600 "$WORK/.reason" | tr '\n' ' ')
  [ -n "$reason" ] || reason=$(tail -n 3 "$log" | tr '\n' ' ' | head -c 600)
  record FAIL "$rt" "$name" "$reason"
  # The whole log helps whoever reads CI output; keep it short.
  tail -n 25 "$log" | sed 's/^/    | /'
  return 1
}

# chained_step RT STEP FUNCTION ARGS...: a step that needs every chained
# step before it (since CHAIN_OK was last set to 1) to have passed; after a
# failure the rest are reported as not run.
CHAIN_OK=1
chained_step() {
  local rt=$1 name=$2
  shift 2
  if [ "$CHAIN_OK" = 1 ]; then
    step "$rt" "$name" "$@" || CHAIN_OK=0
  else
    record FAIL "$rt" "$name" "not run: an earlier step it needs failed"
  fi
}

# skip_step RT STEP REASON: a test that cannot run here, and why.
skip_step() {
  record SKIP "$1" "$2" "$3"
}

# criu_unusable: prints why checkpoint and restore cannot work on this
# machine, or fails (prints nothing) when CRIU can be used.
criu_unusable() {
  local out
  if ! command -v criu >/dev/null 2>&1; then
    echo "no criu on PATH ($CRIU_BIN_DIR/criu is missing; scripts/install-criu.sh installs it)"
    return 0
  fi
  out=$(tmo criu check 2>&1)
  case $out in
    *"Looks good"*) return 1 ;;
  esac
  echo "criu check fails: $(printf '%s\n' "$out" | grep -i error | tail -n 1 | head -c 300)"
}

# tmo CMD...: the command under the step time limit.
tmo() {
  timeout -k 10 "$CMD_TIMEOUT" "$@"
}

# capture VAR CMD...: runs CMD, stdout+stderr into VAR and its status into
# ${VAR}_status; echoes both into the step log. CMD is a client wrapper
# that applies the time limit itself, or starts with tmo.
capture() {
  local __var=$1 __out __st
  shift
  echo "+ $*"
  __out=$("$@" 2>&1)
  __st=$?
  LAST_OUT=$__out
  printf '%s\n' "$__out" | sed 's/^/  > /'
  echo "  (exit $__st)"
  printf -v "$__var" '%s' "$__out"
  printf -v "${__var}_status" '%s' "$__st"
}

# in_tty CMD...: runs CMD with a terminal as its stdin/stdout (clients that
# allocate a tty insist on one); carriage returns are dropped.
in_tty() {
  local cmd='' a
  for a in "$@"; do cmd+=$(printf '%q ' "$a"); done
  tmo script -qec "$cmd" /dev/null </dev/null | tr -d '\r'
  return "${PIPESTATUS[0]}"
}

# wait_until TENTHS CMD...: polls CMD until it succeeds.
wait_until() {
  local n=$1 i
  shift
  for ((i = 0; i < n; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# expect_status NAME GOT WANT
# (the last error line of the last captured output goes with the failure)
expect_status() {
  [ "$2" = "$3" ] && return 0
  local why
  why=$(printf '%s\n' "${LAST_OUT:-}" | grep -i error | tail -n 1)
  [ -n "$why" ] || why=$(printf '%s\n' "${LAST_OUT:-}" | tail -n 1)
  fail "$1: exit status $2, expected $3: $(printf '%s' "$why" | head -c 400)"
}

# expect_text NAME TEXT NEEDLE
expect_text() {
  case $2 in
    *"$3"*) return 0 ;;
  esac
  fail "$1: output does not contain '$3': $(printf '%s' "$2" | tail -n 5 | tr '\n' ' ' | head -c 400)"
}

# The missing-executable case must look the same under every runtime: the
# first runtime (runc) sets the reference exit status, the others must
# match it (and $2, the client's documented status, when given).
MISSING_EXEC_REF=
check_missing_exec() {
  local rt=$1 want=$2 got=$3 out=$4
  expect_text "missing executable" "$out" "executable file not found" || return 1
  if [ -n "$want" ]; then
    expect_status "missing executable" "$got" "$want" || return 1
  fi
  if [ -z "$MISSING_EXEC_REF" ]; then
    MISSING_EXEC_REF=$got
  else
    expect_status "missing executable (runc gave $MISSING_EXEC_REF)" "$got" "$MISSING_EXEC_REF" || return 1
  fi
}

# --- packages --------------------------------------------------------------

# ensure_packages PKG...: installs what is missing (scripts/packages.sh).
# A package whose scripts would start a system daemon (docker.io,
# containerd) is kept from doing so.
ensure_packages() {
  # shellcheck source=scripts/packages.sh
  . "$REPO_ROOT/scripts/packages.sh"
  PKG_SAY=say PKG_LOG=$WORK/apt.log pkg_ensure --no-daemons "$@"
}

# --- images ----------------------------------------------------------------

# make_rootfs_tar OUT: a tarball of a busybox-static root filesystem (the
# bundle maker of this repository, with runc's default config, which the
# conmon test also uses).
make_rootfs_tar() {
  local out=$1 b=$WORK/image-bundle
  if [ ! -d "$b/rootfs" ]; then
    RUNTIME=$RUNC "$REPO_ROOT/scripts/make-bundle.sh" "$b" >/dev/null || return 1
  fi
  tar -C "$b/rootfs" --numeric-owner -cf "$out" . || return 1
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# blob_put LAYOUT FILE: moves FILE into the layout's blobs, prints digest.
blob_put() {
  local d
  d=$(sha256_of "$2") || return 1
  mkdir -p "$1/blobs/sha256"
  mv "$2" "$1/blobs/sha256/$d"
  echo "$d"
}

# make_oci_archive ROOTFS_TAR OUT REF: an OCI image layout in a tar, with one
# uncompressed layer, named REF (containerd's annotation) and with a short
# ref name (the OCI one), runnable as `sh`.
make_oci_archive() {
  local tarball=$1 out=$2 ref=$3 l=$WORK/oci-layout
  rm -rf "$l" && mkdir -p "$l/blobs/sha256" || return 1
  local layer size_layer cfg size_cfg man size_man
  cp "$tarball" "$l/layer.tar" || return 1
  size_layer=$(stat -c %s "$l/layer.tar")
  layer=$(blob_put "$l" "$l/layer.tar") || return 1
  jq -n --arg diff "sha256:$layer" '{
      architecture: "amd64", os: "linux",
      config: {Cmd: ["sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
      rootfs: {type: "layers", diff_ids: [$diff]}}' >"$l/config.json" || return 1
  size_cfg=$(stat -c %s "$l/config.json")
  cfg=$(blob_put "$l" "$l/config.json") || return 1
  jq -n --arg c "sha256:$cfg" --argjson cs "$size_cfg" \
    --arg ly "sha256:$layer" --argjson ls "$size_layer" '{
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ly, size: $ls}]}' \
    >"$l/manifest.json" || return 1
  size_man=$(stat -c %s "$l/manifest.json")
  man=$(blob_put "$l" "$l/manifest.json") || return 1
  jq -n --arg m "sha256:$man" --argjson ms "$size_man" --arg ref "$ref" '{
      schemaVersion: 2,
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: $m, size: $ms,
        platform: {architecture: "amd64", os: "linux"},
        annotations: {"io.containerd.image.name": $ref,
                      "org.opencontainers.image.ref.name": "test"}}]}' \
    >"$l/index.json" || return 1
  echo '{"imageLayoutVersion":"1.0.0"}' >"$l/oci-layout"
  tar -C "$l" -cf "$out" oci-layout index.json blobs || return 1
  rm -rf "$l"
}

# --- daemons and cleanup ---------------------------------------------------

on_exit() { CLEANUPS+=("$1"); }

# start_daemon NAME LOG CMD...: starts CMD in its own session, remembers
# its pid for the cleanup, and sets DAEMON_PID.
start_daemon() {
  local name=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 &
  DAEMON_PID=$!
  DAEMON_PIDS+=("$DAEMON_PID")
  say "started $name (pid $DAEMON_PID)"
}

# stop_daemon PID: SIGTERM, then SIGKILL after 20 s.
stop_daemon() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# Processes whose command line names the temporary directory are ours
# (shims, conmon, container processes started from our bundles): prints
# their pids.
pids_under_work() {
  local p cmd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    cmd=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue
    case $cmd in
      *"$WORK"*) echo "$p" ;;
    esac
  done
}

# Removes a cgroup subtree in every hierarchy, deepest first; frozen
# cgroups are thawed so that their processes can die.
remove_cgroup() {
  local name=$1 h d
  [ -n "$name" ] || return 0
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    d=${h%/}/$name
    [ -d "$d" ] || continue
    find "$d" -depth -type d 2>/dev/null | while read -r sub; do
      [ -f "$sub/freezer.state" ] && echo THAWED >"$sub/freezer.state" 2>/dev/null
      if [ -f "$sub/cgroup.procs" ] && [ -s "$sub/cgroup.procs" ]; then
        xargs -r kill -KILL <"$sub/cgroup.procs" 2>/dev/null
        sleep 0.2
      fi
      rmdir "$sub" 2>/dev/null || echo "cleanup: cannot remove cgroup $sub" >&2
    done
  done
}

# A runtime's default root may get the runtime's own cache (berth's
# compiled seccomp filters) from a client that keeps that root; it is the
# test's to remove when the test made it, even in a root that was there.
RUNTIME_CACHE=.seccomp-cache

# Which of HOST_DIRS, and of the caches in them, exist before the test.
remember_host_dirs() {
  local p
  for p in "${HOST_DIRS[@]}"; do
    [ -e "$p" ] && HOST_DIRS_BEFORE+=("$p")
    [ -e "$p/$RUNTIME_CACHE" ] && HOST_DIRS_BEFORE+=("$p/$RUNTIME_CACHE")
  done
  return 0
}

existed_before() {
  case " ${HOST_DIRS_BEFORE[*]} " in
    *" $1 "*) return 0 ;;
  esac
  return 1
}

# What the test made of them: a cache goes whole, a directory when empty.
remove_host_dirs() {
  local p
  for p in "${HOST_DIRS[@]}"; do
    [ -d "$p" ] || continue
    existed_before "$p/$RUNTIME_CACHE" || rm -rf "${p:?}/$RUNTIME_CACHE"
    existed_before "$p" || rmdir "$p" 2>/dev/null
  done
  return 0
}

cleanup() {
  local rc=$? i root id p
  trap - EXIT INT TERM HUP
  [ -n "$WORK" ] || exit "$rc"
  debug "cleaning up $WORK"
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUPS[$i]}" >/dev/null 2>&1
  done
  # Containers still known to a runtime: force-delete them (the runtime
  # kills and unfreezes them, and removes their cgroups).
  for root in "${RUNTIME_ROOTS[@]}"; do
    [ -d "$root" ] || continue
    for id in "$root"/*/; do
      [ -d "$id" ] || continue
      id=$(basename "$id")
      for p in $CLIENT_RUNTIMES; do
        tmo "${p#*=}" --root "$root" delete --force "$id" >/dev/null 2>&1 && break
      done
    done
  done
  for p in "${DAEMON_PIDS[@]}"; do stop_daemon "$p"; done
  # Shims and conmon processes outlive their daemon by design.
  for p in $(pids_under_work); do kill -KILL "$p" 2>/dev/null; done
  sleep 0.2
  for id in "${CGROUP_NAMES[@]}"; do remove_cgroup "$id"; done
  # Mounts made under the temporary directory (overlay snapshots, dockerd's
  # bind mount of its data-root and of netns/default), deepest first.
  local m
  for ((i = 0; i < 5; i++)); do
    m=$(awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ -n "$m" ] || break
    printf '%s\n' "$m" | while read -r p; do umount -l "$p" 2>/dev/null; done
  done
  remove_host_dirs
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    say "kept $WORK"
    exit "$rc"
  fi
  rm -rf "$WORK" 2>/dev/null || {
    sleep 1
    rm -rf "$WORK" || echo "cleanup: cannot remove $WORK" >&2
  }
  exit "$rc"
}

client_main() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-$CLIENT.XXXXXX") || die "mktemp failed"
  chmod 755 "$WORK"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  mkdir -p "$WORK/logs"
  remember_host_dirs
  # In this shell (not a subshell): it sets variables the steps use.
  if ! client_prepare >"$WORK/logs/prepare.log" 2>&1; then
    tail -n 20 "$WORK/logs/prepare.log" | sed 's/^/    | /'
    record FAIL all setup "$(tail -n 2 "$WORK/logs/prepare.log" | tr '\n' ' ' | head -c 500)"
    exit 1
  fi
  [ "$VERBOSE" = 1 ] && cat "$WORK/logs/prepare.log"
  local pair name path failed=0
  for pair in $CLIENT_RUNTIMES; do
    name=${pair%%=*}
    path=${pair#*=}
    if [ ! -x "$path" ]; then
      record FAIL "$name" all "runtime $path is not executable"
      failed=1
      continue
    fi
    client_steps "$name" "$path" || failed=1
  done
  declare -F client_finish >/dev/null && client_finish
  exit "$failed"
}
