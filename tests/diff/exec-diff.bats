#!/usr/bin/env bats
# exec, berth against runc: the same bundle runs under both runtimes, the
# same exec (same flags) prints what the new process is (ids, capabilities,
# no_new_privs, cwd, environment, rlimits, namespaces and cgroup relative to
# the container's init), and the two outputs must be equal.
#
# The probe prints nothing that differs between two correct runs (no pids,
# no namespace inode numbers): only "same"/"different" against the init.

load ../lib/helpers
load ../lib/exec-helpers

RUNC_ROOT_NAME=runc-state

setup() {
  set -u
  common_setup
  RUNC_ROOT=$TEST_DIR/$RUNC_ROOT_NAME
  mkdir -p "$RUNC_ROOT"
  [ -x "$RUNC" ] || skip "no runc at $RUNC"
}

# runc_rt ARGS...: the oracle, with its own state root.
runc_rt() {
  timeout -k 5 "$RT_TIMEOUT" "$RUNC" --root "$RUNC_ROOT" "$@"
}

teardown() {
  local rc=0 d
  if [ -n "${RUNC_ROOT:-}" ] && [ -d "$RUNC_ROOT" ]; then
    for d in "$RUNC_ROOT"/*/; do
      [ -d "$d" ] || continue
      runc_rt delete --force "$(basename "$d")" >/dev/null 2>&1
      if [ -d "$d" ]; then
        echo "teardown: runc left $d" >&2
        rc=1
      fi
    done
  fi
  exec_teardown || rc=1
  return "$rc"
}

# What the exec'd process reports about itself. It ends with a newline, so
# a test appends more commands as "$PROBE more". Namespaces and cgroup are
# compared with pid 1, the container's init, inside the container.
PROBE='
id
grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Groups):" /proc/self/status
echo "cwd $(pwd)"
echo "nofile $(ulimit -n)"
echo "umask $(umask)"
if [ -t 0 ]; then echo "stdin tty"; else echo "stdin not a tty"; fi
env | sort
for n in /proc/self/ns/*; do
  n=${n##*/}
  theirs=$(readlink /proc/1/ns/$n 2>/dev/null)
  if [ -z "$theirs" ]; then
    echo "ns $n: init not readable"
  elif [ "$(readlink /proc/self/ns/$n)" = "$theirs" ]; then
    echo "ns $n same"
  else
    echo "ns $n different"
  fi
done
if [ "$(cat /proc/self/cgroup)" = "$(cat /proc/1/cgroup)" ]; then
  echo "cgroup same"
else
  echo "cgroup different"
fi
'

# start_both: the bundle as a berth container ($ID) and a runc one ($RID).
start_both() {
  set_args sleep 1000
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$TEST_DIR/berth-run.err" ||
    fail "berth run: $(cat "$TEST_DIR/berth-run.err")"
  RID=$ID_PREFIX-runc
  runc_rt run -d --bundle "$BUNDLE" "$RID" </dev/null >/dev/null 2>"$TEST_DIR/runc-run.err" ||
    fail "runc run: $(cat "$TEST_DIR/runc-run.err")"
  wait_status "$ID" running
}

# compare_exec EXEC-FLAGS... -- COMMAND...: the same exec under both; the
# outputs (stdout and stderr) and exit statuses must be equal.
compare_exec() {
  local flags=() cmd
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    flags+=("$1")
    shift
  done
  shift
  local brc=0 rrc=0
  rt exec "${flags[@]}" "$ID" "$@" </dev/null >"$TEST_DIR/berth.out" 2>"$TEST_DIR/berth.err" || brc=$?
  runc_rt exec "${flags[@]}" "$RID" "$@" </dev/null >"$TEST_DIR/runc.out" 2>"$TEST_DIR/runc.err" || rrc=$?
  diff_outputs "$brc" "$rrc"
}

# diff_outputs BERTH-RC RUNC-RC: compares $TEST_DIR/{berth,runc}.out.
diff_outputs() {
  local brc=$1 rrc=$2
  if ! diff -u "$TEST_DIR/runc.out" "$TEST_DIR/berth.out" >&2; then
    echo "berth stderr: $(cat "$TEST_DIR/berth.err" 2>/dev/null)" >&2
    echo "runc stderr: $(cat "$TEST_DIR/runc.err" 2>/dev/null)" >&2
    fail "exec output differs (- runc, + berth)"
  fi
  [ "$brc" -eq "$rrc" ] || fail "exit status: berth $brc, runc $rrc"
}

# probe_ran: the probe really ran (equal empty outputs would prove nothing).
probe_ran() {
  grep -q '^cgroup ' "$TEST_DIR/berth.out" ||
    fail "probe did not run: $(cat "$TEST_DIR/berth.err" 2>/dev/null)"
}

@test "exec diff: default process" {
  start_both
  compare_exec -- sh -c "$PROBE"
  probe_ran
}

@test "exec diff: -u -g --cwd -e -c --no-new-privs" {
  cfg '.process.noNewPrivileges = false'
  start_both
  compare_exec -u 1000:1000 -g 2000 -g 3000 --cwd /tmp -e FOO=bar -e TERM=dumb \
    -c CAP_SYS_ADMIN -c CAP_NET_RAW --no-new-privs -- sh -c "$PROBE"
  probe_ran
}

# The rlimit has soft = hard: runc 1.1.5 (built with Go 1.19) raises an
# exec'd process's soft RLIMIT_NOFILE to the hard one, a runc bug that berth
# does not copy (see exec.bats).
@test "exec diff: --process file" {
  start_both
  jq -n --arg probe "$PROBE" '{args: ["sh", "-c", $probe], cwd: "/tmp",
      env: ["PATH=/bin", "FROM=process-file"], user: {uid: 7, gid: 8, additionalGids: [9]},
      capabilities: {bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"],
        permitted: ["CAP_KILL", "CAP_CHOWN"]},
      rlimits: [{type: "RLIMIT_NOFILE", hard: 512, soft: 512}], noNewPrivileges: true}' \
    >"$TEST_DIR/process.json"
  compare_exec --process "$TEST_DIR/process.json" --
  probe_ran
}

@test "exec diff: a user in the rootfs named like a number" {
  echo '1000:x:0:0:trap:/trap-home:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
  start_both
  compare_exec -u 1000 -- sh -c "$PROBE"
  probe_ran
}

@test "exec diff: seccomp profile" {
  cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
  start_both
  compare_exec -- sh -c "$PROBE mkdir /tmp/x"
  probe_ran
  grep -q 'Seccomp:.2' "$TEST_DIR/berth.out"
  # mkdir's complaint is the same on both sides.
  diff -u "$TEST_DIR/runc.err" "$TEST_DIR/berth.err" >&2
  grep -q 'Operation not permitted' "$TEST_DIR/berth.err"
}

@test "exec diff: user namespace container" {
  cfg '.linux.namespaces += [{type: "user"}]
       | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
       | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  userns_bundle
  chown -R 100000:100000 "$BUNDLE/rootfs"
  start_both
  compare_exec -- sh -c "$PROBE cat /proc/self/uid_map /proc/self/gid_map"
  probe_ran
  grep -q '100000' "$TEST_DIR/berth.out"
}

@test "exec diff: -t in the foreground" {
  start_both
  # script gives each runtime a terminal of its own.
  tty_exec "$BERTH" "$TEST_ROOT" "$ID" berth
  tty_exec "$RUNC" "$RUNC_ROOT" "$RID" runc
  [ "$(cat "$TEST_DIR/berth.rc")" -eq 5 ] || fail "berth exit status $(cat "$TEST_DIR/berth.rc")"
  diff_outputs "$(cat "$TEST_DIR/berth.rc")" "$(cat "$TEST_DIR/runc.rc")"
  probe_ran
  grep -qx 'stdin tty' "$TEST_DIR/berth.out"
}

# tty_exec RUNTIME ROOT ID NAME: exec -t of the probe under script, output
# (without the terminal's carriage returns) in NAME.out, status in NAME.rc.
# script itself may echo the end of its empty input as ^@ or ^D, at a moment
# that depends on timing: that is not the runtime's output and goes too.
tty_exec() {
  local cmd
  cmd=$(printf '%q ' timeout 60 "$1" --root "$2" exec -t "$3" sh -c "$PROBE exit 5")
  {
    local rc=0
    # printf %q may quote with $'...': bash must read the command.
    SHELL=/bin/bash script -qec "$cmd" /dev/null </dev/null 2>&1 || rc=$?
    echo "$rc" >"$TEST_DIR/$4.rc"
  } | tr -d '\r\0' | sed 's/\^[@D]//g' >"$TEST_DIR/$4.out"
}

@test "exec diff: exit statuses and errors" {
  start_both
  compare_exec -- sh -c 'exit 7'
  compare_exec -- sh -c 'kill -TERM $$'
  # Error messages differ in wording; the status and the key phrase must not.
  local brc=0 rrc=0
  rt exec "$ID" no-such-command </dev/null >/dev/null 2>"$TEST_DIR/berth.err" || brc=$?
  runc_rt exec "$RID" no-such-command </dev/null >/dev/null 2>"$TEST_DIR/runc.err" || rrc=$?
  [ "$brc" -eq 255 ] && [ "$rrc" -eq 255 ] || fail "status: berth $brc, runc $rrc"
  grep -q 'executable file not found' "$TEST_DIR/berth.err"
  grep -q 'executable file not found' "$TEST_DIR/runc.err"
}
