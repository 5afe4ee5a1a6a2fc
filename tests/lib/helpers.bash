# Shared helpers for the bats suites (integration and diff).
#
# The runtime under test is $BERTH (default: build/berth of this checkout).
# RUNTIME_UNDER_TEST=runc runs the same tests against runc, which is how the
# tests themselves are checked: a test that fails against runc is a wrong
# test, unless it is marked as berth-only.
#
# Every test gets its own state root ($TEST_ROOT) and bundle ($BUNDLE) in its
# own temporary directory, and container ids that contain "berth-test".
# common_teardown deletes, with --force, every container left in $TEST_ROOT.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNC=${RUNC:-/usr/sbin/runc}

if [ "${RUNTIME_UNDER_TEST:-berth}" = runc ]; then
  BERTH=$RUNC
fi
BERTH=${BERTH:-$REPO_ROOT/build/berth}
# A relative path would break as soon as a test changes directory.
case $BERTH in
  /*) ;;
  */*) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
  *) BERTH=$(command -v "$BERTH" || echo "$BERTH") ;;
esac
export BERTH

# Where the OCI schemas live: beside the checkout in CI (a fresh clone with
# shared/ next to it), or the workspace copy.
SCHEMA_DIR=
for d in "$REPO_ROOT/../shared/oci-runtime-spec-schema" /work/shared/oci-runtime-spec-schema; do
  if [ -f "$d/state-schema.json" ]; then SCHEMA_DIR=$(cd "$d" && pwd); break; fi
done

is_runc() {
  [ "$(basename "$BERTH")" = runc ] || [ "${RUNTIME_UNDER_TEST:-}" = runc ]
}

# Tests of berth's extensions (newer spec version, error positions) cannot
# pass against runc 1.1.5; say so instead of failing.
skip_if_runc() {
  if is_runc; then
    skip "runc: $*"
  fi
}

fail() {
  echo "FAIL: $*" >&2
  return 1
}

# step_order TRACE A B: "before" or "after" by the numbers berth gave its
# steps A and B in TRACE (BERTH_FAULT_TRACE), "missing" without either.
step_order() {
  local a b
  a=$(awk -v s="$2" '$2 == s { print $1; exit }' "$1")
  b=$(awk -v s="$3" '$2 == s { print $1; exit }' "$1")
  if [ -z "$a" ] || [ -z "$b" ]; then
    echo missing
  elif [ "$a" -lt "$b" ]; then
    echo before
  else
    echo after
  fi
}

# rt ARGS...: the runtime with this test's state root. A time limit keeps a
# hung runtime from hanging the whole suite.
RT_TIMEOUT=${RT_TIMEOUT:-60}
rt() {
  timeout -k 5 "$RT_TIMEOUT" "$BERTH" --root "$TEST_ROOT" "$@"
}

# rtc ARGS...: like bats `run rt ARGS...` ($status, $output = stdout then
# stderr, plus $stdout and $stderr), but through files and with stdin
# closed. A created or detached container inherits the runtime's stdio, so
# bats' `run`, which reads a pipe to its end, would wait for the container
# to exit; a file has no end to wait for.
RTC_SEQ=0
rtc() {
  capture rt "$@"
}

# rawc ARGS...: rtc without the implied --root, for tests of global options.
rawc() {
  capture timeout -k 5 "$RT_TIMEOUT" "$BERTH" "$@"
}

capture() {
  RTC_SEQ=$((RTC_SEQ + 1))
  local out=$TEST_DIR/rtc.$RTC_SEQ.out err=$TEST_DIR/rtc.$RTC_SEQ.err
  status=0
  "$@" </dev/null >"$out" 2>"$err" || status=$?
  stdout=$(cat "$out")
  stderr=$(cat "$err")
  output=$stdout${stdout:+${stderr:+$'\n'}}$stderr
  # Keep the output in the test's log, so a failure shows what happened.
  echo "# $* -> $status" >&2
  [ -z "$output" ] || printf '%s\n' "$output" | head -50 >&2
  return 0
}

# A bundle template is built once per bats run and copied for each test:
# copying is much cheaper than unpacking busybox every time.
bundle_template() {
  local tpl=$BATS_RUN_TMPDIR/bundle-template
  if [ ! -f "$tpl/config.json" ]; then
    local tmp
    tmp=$(mktemp -d "$BATS_RUN_TMPDIR/tpl.XXXXXX")
    RUNTIME=$RUNC "$REPO_ROOT/scripts/make-bundle.sh" "$tmp/b" >&2 || return 1
    # Another file of the same run may have won the race; either copy is good.
    mv -T "$tmp/b" "$tpl" 2>/dev/null || true
    rm -rf "$tmp"
  fi
  echo "$tpl"
}

# make_bundle DIR: a fresh bundle (rootfs + config.json running `sh`).
make_bundle() {
  local tpl
  tpl=$(bundle_template) || return 1
  cp -a "$tpl" "$1"
}

common_setup() {
  [ -x "$BERTH" ] || fail "runtime $BERTH not found or not executable (build it, or set BERTH)"
  TEST_DIR=$BATS_TEST_TMPDIR
  TEST_ROOT=$TEST_DIR/state
  BUNDLE=$TEST_DIR/bundle
  mkdir -p "$TEST_ROOT"
  make_bundle "$BUNDLE" || fail "cannot make bundle"
  # A short unique suffix keeps cgroup names and socket paths short.
  # run-integration.sh tags the ids of one run, so its leak check can tell
  # them from other runs'.
  ID_PREFIX="berth-test-${BERTH_TEST_TAG:+$BERTH_TEST_TAG-}${BATS_SUITE_TEST_NUMBER:-0}-$$-$RANDOM"
  ID_SEQ=0
  CGROUP_DIRS=()
}

# new_id: a unique container id for this test, printed into $ID.
# (Set as a variable, not printed, so the counter survives: $(...) would
# increment a copy.)
new_id() {
  ID_SEQ=$((ID_SEQ + 1))
  ID="$ID_PREFIX-$ID_SEQ"
}

# The pid and start time of a container's init, "" when there is none.
# Teardown uses it to notice a process that delete --force left running
# (comparing start times makes a recycled pid harmless).
pid_fingerprint() {
  local pid=$1
  [ -n "$pid" ] && [ "$pid" != 0 ] && pid_alive "$pid" || return 0
  local st
  st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $20}') || return 0
  echo "$pid:$st"
}

# pid_alive PID: the process exists and is not a zombie. A container's init
# is reparented away from the runtime, so it can linger as a zombie after it
# was killed until its new parent reaps it: that is not a live process.
pid_alive() {
  local st
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_dead PID [TENTHS]: fails unless the process is gone (or a zombie)
# within the time. (Tests use this, not `! kill -0`: bash's errexit ignores
# a negated command, so `!` would assert nothing in the middle of a test.)
wait_dead() {
  local pid=$1 n=${2:-50} i
  for i in $(seq "$n"); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  echo "process $pid is still alive" >&2
  return 1
}

# remove_cgroup_dirs DIR...: removes cgroup directories the runtime left,
# deepest first; their processes are thawed and killed first. Only for
# directories named after this test's own containers.
remove_cgroup_dirs() {
  local d i
  for d in "$@"; do
    [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
    [ -f "$d/cgroup.procs" ] && xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
    for i in $(seq 20); do
      rmdir "$d" 2>/dev/null && break
      sleep 0.1
    done
    [ -d "$d" ] && echo "teardown: cannot remove $d" >&2
  done
  return 0
}

common_teardown() {
  local leaked=0 d id pid fp
  if [ -n "${TEST_ROOT:-}" ] && [ -d "$TEST_ROOT" ]; then
    for d in "$TEST_ROOT"/*/; do
      [ -d "$d" ] || continue
      id=$(basename "$d")
      pid=$(rt state "$id" 2>/dev/null | jq -r '.pid // empty' 2>/dev/null)
      fp=$(pid_fingerprint "$pid")
      rt delete --force "$id" >/dev/null 2>&1
      if [ -n "$fp" ]; then
        # delete --force is synchronous in runc: the process is gone when it
        # returns. Give a slow runtime a moment before calling it a leak.
        local i
        for i in $(seq 50); do
          [ "$(pid_fingerprint "$pid")" = "$fp" ] || break
          sleep 0.1
        done
        if [ "$(pid_fingerprint "$pid")" = "$fp" ]; then
          echo "teardown: delete --force $id left pid $pid running; killing it" >&2
          kill -KILL "$pid" 2>/dev/null
          leaked=1
        fi
      fi
      if [ -d "$d" ]; then
        echo "teardown: delete --force $id left $d behind" >&2
        rm -rf "$d"
        leaked=1
      fi
    done
  fi
  # Cgroups a test named explicitly, and those named after one of its
  # containers at any depth of any hierarchy (a relative cgroupsPath nests
  # under the caller's cgroup): the test fails, and leaves none of them,
  # whether the runtime forgot them or a killed runtime never got to them.
  local c left
  for c in "${CGROUP_DIRS[@]}"; do
    [ -d "$c" ] || continue
    echo "teardown: cgroup $c left behind" >&2
    remove_cgroup_dirs "$c"
    leaked=1
  done
  if [ -n "${ID_PREFIX:-}" ]; then
    left=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -depth -type d -name "$ID_PREFIX-*" 2>/dev/null)
    if [ -n "$left" ]; then
      echo "teardown: cgroups left behind: $(tr '\n' ' ' <<<"$left")" >&2
      # shellcheck disable=SC2086 # cgroup paths hold no blanks
      remove_cgroup_dirs $left
      leaked=1
    fi
  fi
  [ "$leaked" = 0 ]
}

setup() { common_setup; }
teardown() { common_teardown; }

# cfg JQ-FILTER [jq options...]: edits $BUNDLE/config.json in place.
cfg() {
  local filter=$1
  shift
  jq "$@" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args WORD...: process.args of $BUNDLE.
set_args() {
  local json
  json=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .)
  cfg '.process.args = $a' --argjson a "$json"
}

# set_cmd 'SHELL COMMAND': process.args = sh -c COMMAND.
set_cmd() {
  set_args sh -c "$1"
}

# run_container 'SHELL COMMAND': runs it in the foreground in a new container
# ($status, $output as from rtc). `run` deletes the container itself.
run_container() {
  set_cmd "$1"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
}

# state_of ID: the status field, or "" when state fails.
status_of() {
  rt state "$1" 2>/dev/null | jq -r .status 2>/dev/null
}

# wait_status ID STATUS [TENTHS]: polls until the container reaches STATUS.
wait_status() {
  local id=$1 want=$2 n=${3:-50} i s=
  for i in $(seq "$n"); do
    s=$(status_of "$id")
    [ "$s" = "$want" ] && return 0
    sleep 0.1
  done
  echo "container $id: status '$s', expected '$want'" >&2
  return 1
}

# wait_child PID [SECONDS]: waits for a background child of the test and
# returns its exit status; a child that does not end in time is killed and
# reported, so a runtime that hangs cannot hang the suite.
wait_child() {
  local pid=$1 n=$((${2:-60} * 10)) i
  for i in $(seq "$n"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "process $pid did not exit; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 255
  fi
  local rc=0
  wait "$pid" || rc=$?
  return "$rc"
}

# wait_file PATH [TENTHS]
wait_file() {
  local f=$1 n=${2:-50} i
  for i in $(seq "$n"); do
    [ -e "$f" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $f" >&2
  return 1
}

# add_bind HOSTDIR CONTAINERDIR [OPTIONS-JSON]: a bind mount in the config,
# the usual way for a test to see what happened inside a container.
add_bind() {
  local src=$1 dst=$2 opts=${3:-'["rbind","rw"]'}
  mkdir -p "$src"
  cfg '.mounts += [{"destination": $d, "type": "bind", "source": $s, "options": $o}]' \
    --arg d "$dst" --arg s "$src" --argjson o "$opts"
}

# The host pid's cgroup path (relative to the hierarchy) for one v1
# controller, e.g. cgroup_of PID memory.
cgroup_of() {
  awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup"
}

# assert_contains HAYSTACK NEEDLE
assert_contains() {
  case $1 in
    *"$2"*) return 0 ;;
  esac
  echo "expected to find: $2" >&2
  echo "in: $1" >&2
  return 1
}

assert_not_contains() {
  case $1 in
    *"$2"*)
      echo "did not expect: $2" >&2
      echo "in: $1" >&2
      return 1
      ;;
  esac
  return 0
}

# assert_status N: checks $status from the last `run`, showing the output
# when it is wrong so a failure explains itself.
assert_status() {
  if [ "$status" -ne "$1" ]; then
    echo "exit status $status, expected $1; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

assert_failure() {
  if [ "$status" -eq 0 ]; then
    echo "expected failure, got exit status 0; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

# The number of entries in the state root: a failed create must leave none.
state_entries() {
  find "$TEST_ROOT" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}
