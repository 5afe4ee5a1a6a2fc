# In-VM helpers for the suites' test scripts (busybox sh), at
# /tests/vm-lib.sh in every VM: verdicts, containers from the busybox
# bundle at /bundle, waits, and the runner that prints the lines run-vm.sh
# reads. A test script defines TESTS (names, whitespace-separated) and a
# function t_NAME per test, then ends with
#
#   . /tests/vm-lib.sh
#   vm_main "$@"
#
# vm_main with no arguments runs every test, each in its own shell with a
# time limit ($TEST_TIMEOUT, 60 s): one BERTH-VM-RESULT line per test and a
# final BERTH-VM-DONE <passed> <failed> <skipped>. "SCRIPT one NAME" runs a
# single test (the loop does that); it exits 0 passed, 77 skipped, anything
# else failed, with the reason in $WORK/reason; "SCRIPT cleanup" runs
# suite_cleanup, also under the time limit, after each test.
#
# Containers are named after their test and live in cgroup
# /berth-vm-test-<id>; whatever a test leaves behind is removed by
# suite_cleanup (a script may define its own before vm_main runs) before
# the next one.
#
# shellcheck shell=sh

RT=${RT:-/bin/berth}
CG=${CG:-/sys/fs/cgroup}
BASE=${BASE:-/bundle/config.json}
WORK=${WORK:-/tmp/t}
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
# SUITE_NAME, for qualified test names.
[ -n "${SUITE_NAME:-}" ] || [ ! -r /etc/berth-vm/suite ] || . /etc/berth-vm/suite

# ---- verdicts --------------------------------------------------------------

fail() {
  echo "$*" >"$WORK/reason"
  exit 1
}

skip() {
  echo "$*" >"$WORK/reason"
  exit 77
}

# needs_command NAME: skip unless the runtime has this subcommand yet.
needs_command() {
  "$RT" "$1" --help >/dev/null 2>&1 || skip "the runtime has no '$1' command yet"
}

# ---- containers --------------------------------------------------------------

# bundle ID SCRIPT [JQ-FILTER]: a bundle in $WORK/ID whose process runs
# SCRIPT with sh, in cgroup /berth-vm-test-ID, changed further by the filter.
bundle() {
  mkdir -p "$WORK/$1"
  jq --arg script "$2" --arg cg "/berth-vm-test-$1" \
    '.root.path = "/bundle/rootfs"
     | .process.args = ["sh", "-c", $script]
     | .linux.cgroupsPath = $cg
     | '"${3:-.}" "$BASE" >"$WORK/$1/config.json" ||
    fail "jq could not build the config for $1 (filter ${3:-.})"
}

cgdir() { echo "$CG/berth-vm-test-$1"; }

# run_fg ID: run to completion; the container's output in $WORK/ID.out and
# .err; returns the container's exit status.
run_fg() {
  "$RT" run --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err"
}

# run_bg ID: start detached, failing the test if that does not work.
run_bg() {
  "$RT" run -d --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    fail "run -d $1: $(tail -n 3 "$WORK/$1.err")"
}

# create ID: create (not start), failing the test if that does not work.
create() {
  "$RT" create --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    fail "create $1: $(tail -n 3 "$WORK/$1.err")"
}

# create_fails ID WHAT: create must refuse the bundle ID (WHAT says what
# is wrong with it, for the message); its stderr is in $WORK/ID.err.
create_fails() {
  if "$RT" create --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err"; then
    fail "create with $2 succeeded"
  fi
  return 0
}

status_of() { "$RT" state "$1" 2>/dev/null | jq -r .status; }
pid_of() { "$RT" state "$1" 2>/dev/null | jq -r .pid; }

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
  tries=$(($1 * 10))
  shift
  while [ "$tries" -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  return 1
}

out_has() { grep -q "$2" "$WORK/$1.out" 2>/dev/null; }

# wait_out ID PATTERN: wait (20 s at most: emulation on a busy host is
# slow) for the container to print it.
wait_out() {
  wait_for 20 out_has "$1" "$2" ||
    fail "$1 never printed '$2'; out: $(tail -n 3 "$WORK/$1.out" 2>/dev/null) err: $(tail -n 3 "$WORK/$1.err" 2>/dev/null)"
}

# expect_file ID FILE VALUE: the container's cgroup file holds exactly VALUE.
expect_file() {
  got=$(cat "$(cgdir "$1")/$2" 2>&1)
  [ "$got" = "$3" ] || fail "$2 is '$got', expected '$3'"
}

# stat_field FILE KEY: the number after KEY in a flat-keyed cgroup file.
stat_field() {
  awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null
}

# Gone, or a zombie: dead either way, whoever reaps it.
pid_dead() { [ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
cg_empty() { [ ! -s "$1/cgroup.procs" ]; }

# wait_procs DIR N: until the cgroup DIR holds N processes or more (5 s).
wait_procs() {
  wait_for 5 sh -c "[ \$(wc -l < $1/cgroup.procs) -ge $2 ]" ||
    fail "expected $2 processes in $1: $(cat "$1/cgroup.procs")"
}

# expect_dead SECONDS WHAT PID...: every pid is gone within SECONDS after
# WHAT (for the message).
expect_dead() {
  secs=$1 what=$2
  shift 2
  for p in "$@"; do
    wait_for "$secs" pid_dead "$p" ||
      fail "pid $p survived $what: $(grep -E '^(Name|State)' "/proc/$p/status" 2>/dev/null | tr '\n' ' ')"
  done
}
gone() { [ ! -e "$1" ]; }

# ---- runner ------------------------------------------------------------------

# Leaves the VM as the next test expects it: no containers, no test cgroups.
default_cleanup() {
  for id in $("$RT" list -q 2>/dev/null); do
    "$RT" delete --force "$id" >/dev/null 2>&1
  done
  # Deepest first (-depth), so parents are empty when their turn comes.
  find "$CG" -mindepth 1 -depth -type d -path "$CG/berth-vm-test*" -exec rmdir {} \; 2>/dev/null
}

# run-vm.sh passes BERTH_VM_TESTS=a,b on the kernel command line, which the
# kernel hands to /init as an environment variable. The list is shared by
# every suite: a suite runs those of its tests it names (a name may be
# qualified, SUITE:NAME), in its own order.
selected_tests() {
  if [ -z "${BERTH_VM_TESTS:-}" ]; then
    echo "$TESTS"
    return
  fi
  for name in $TESTS; do
    case ",$BERTH_VM_TESTS," in
      *",$name,"* | *",${SUITE_NAME:-}:$name,"*) echo "$name" ;;
    esac
  done
}

run_one() {
  name=$1
  mkdir -p "$WORK"
  "t_$name"
}

run_all() {
  passed=0 failed=0 skipped=0
  for name in $(selected_tests); do
    rm -rf "$WORK"
    mkdir -p "$WORK"
    start=$(cut -d' ' -f1 /proc/uptime)
    timeout -s KILL "$TEST_TIMEOUT" sh "$0" one "$name" >"/tmp/$name.log" 2>&1
    rc=$?
    took=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
    reason=$(head -n 1 "$WORK/reason" 2>/dev/null)
    case $rc in
      0)
        passed=$((passed + 1))
        echo "BERTH-VM-RESULT: ok $name (${took}s)"
        ;;
      77)
        skipped=$((skipped + 1))
        echo "BERTH-VM-RESULT: skip $name $reason"
        ;;
      *)
        failed=$((failed + 1))
        [ "$rc" = 137 ] && [ -z "$reason" ] && reason="no verdict within ${TEST_TIMEOUT}s"
        echo "BERTH-VM-RESULT: not ok $name ${reason:-exit status $rc}"
        # The test's own output, then the kernel's last words, for the log.
        tail -n 10 "/tmp/$name.log" | sed "s/^/BERTH-VM-DETAIL $name: /"
        for f in "$WORK"/*.out "$WORK"/*.err; do
          [ -s "$f" ] && tail -n 4 "$f" | sed "s|^|BERTH-VM-DETAIL $name: ${f##*/}: |"
        done
        dmesg | tail -n 5 | sed "s/^/BERTH-VM-DETAIL $name: dmesg: /"
        ;;
    esac
    # Bounded too: a runtime that hangs in delete must not hang the VM.
    timeout -s KILL "$TEST_TIMEOUT" sh "$0" cleanup >"/tmp/$name.cleanup.log" 2>&1
    [ "$?" != 137 ] ||
      echo "BERTH-VM-NOTE cleanup after $name did not finish within ${TEST_TIMEOUT}s: $(tail -n 2 "/tmp/$name.cleanup.log" | tr '\n' ' ')"
  done
  echo "BERTH-VM-DONE $passed $failed $skipped"
}

vm_main() {
  command -v suite_cleanup >/dev/null 2>&1 || suite_cleanup() { default_cleanup; }
  if [ "${1:-}" = one ]; then
    run_one "$2"
  elif [ "${1:-}" = cleanup ]; then
    suite_cleanup
  else
    run_all
  fi
}
