# Helpers of the fault suite (tests/faults): berth killed at its named
# steps (src/lib/faultpoint.h), and the checks that follow every kill.
load ../lib/helpers

# Every kill point tried by this run, one line each ("test N step verdict"),
# summed up by the last test of killpoints.bats.
FAULT_LOG=${FAULT_LOG:-$BATS_RUN_TMPDIR/killpoints.log}

fault_setup() {
  common_setup
  set_cmd "sleep 1000; : $ID_PREFIX"
}

# own_processes ID: pids whose cgroup or command line names ID (the init
# before its execve still runs berth's command line, which names it). A
# command line is read only of a process not in uninterruptible sleep:
# reading it waits on the memory map lock a process dying in D state may
# hold, and other work on the machine leaves such processes about. One
# process reads all the files: a fork per pid makes a scan take seconds.
# A pid found and then dead (or a zombie) is not listed, and does not make
# the scan fail: callers run it under errexit.
own_processes() {
  local id=$1 live
  live=$(awk 'FNR == 1 { s = $0; sub(/^.*\) /, "", s); split(s, f, " ");
                         split(FILENAME, a, "/");
                         if (f[1] != "D" && f[1] != "Z" && f[1] != "X") print "/proc/" a[3] "/cmdline" }' \
           /proc/[0-9]*/stat 2>/dev/null)
  {
    grep -lsF -- "$id" /proc/[0-9]*/cgroup
    [ -z "$live" ] || xargs grep -lsaF -- "$id" <<<"$live"
  } | cut -d/ -f3 | sort -un | grep -vx "$$" | while read -r pid; do
    if pid_alive "$pid"; then
      echo "$pid $(cat "/proc/$pid/comm" 2>/dev/null)"
    fi
  done
}

# leaks_of ID: everything of container ID still on the host, one per line:
# its state directory, cgroups in every v1 hierarchy and the cgroup2
# mount, mounts, processes, and descriptors any process holds on (or a
# working directory in) a directory of the test named by ID: its state
# directory, or one a test gave the command (CRIU's images and work
# directory, which a CRIU that outlived its berth still holds).
leaks_of() {
  local id=$1 dir=$TEST_ROOT/$1 link pid
  [ -e "$dir" ] && echo "state $dir $(ls -A "$dir" 2>/dev/null | tr '\n' ' ')"
  find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "*$id*" 2>/dev/null | sed 's/^/cgroup /'
  awk '{ print $5 }' /proc/self/mountinfo | grep -F -- "$id" | sed 's/^/mount /'
  own_processes "$id" | sed 's/^/proc /'
  find /proc/[0-9]*/fd /proc/[0-9]*/cwd \( -lname "$TEST_DIR/*$id" -o -lname "$TEST_DIR/*$id/*" \) \
    2>/dev/null | while read -r link; do
    pid=${link#/proc/}
    echo "fd $link -> $(readlink "$link" 2>/dev/null) ($(cat "/proc/${pid%%/*}/comm" 2>/dev/null))"
  done
}

# check_leaks ID: prints what is left, fails when anything is. Processes
# the kernel is still tearing down get a moment.
check_leaks() {
  local left i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    left=$(leaks_of "$1")
    [ -z "$left" ] && return 0
    sleep 0.2
  done
  echo "left behind by $1:" >&2
  printf '  %s\n' "$left" >&2
  return 1
}

# nothing_runs ID WHAT: no process of ID is left after a moment (one
# killed with its berth, by PDEATHSIG or by CRIU undoing its work, takes
# one), as WHAT claims.
nothing_runs() {
  local left i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    left=$(own_processes "$1")
    [ -z "$left" ] && return 0
    sleep 0.2
  done
  echo "$2, but its processes run: $(tr '\n' ' ' <<<"$left")" >&2
  return 1
}

# state_truthful ID: `list` and `state` work, and what they say of ID
# agrees with the kernel: created/running/paused means its init lives,
# stopped means it does not. A container whose state is unreadable must
# be said not to exist, with a clear error, and nothing of it may run;
# nothing of a stopped one may run either (a create killed before its
# state names the init takes the init along: SYNC_SAVED in sync.h).
state_truthful() {
  local id=$1 st pid s
  capture rt list --format json
  [ "$status" -eq 0 ] || { echo "list failed after a kill: $output" >&2; return 1; }
  jq -e 'type == "array" or . == null' <<<"$stdout" >/dev/null || { echo "list: neither an array nor null (runc's empty list): $stdout" >&2; return 1; }
  capture rt state "$id"
  if [ "$status" -ne 0 ]; then
    grep -qE "does not exist|state" <<<"$stderr" ||
      { echo "state: unclear error: $stderr" >&2; return 1; }
    nothing_runs "$id" "state says it does not exist"
    return
  fi
  s=$(jq -r .status <<<"$stdout")
  pid=$(jq -r .pid <<<"$stdout")
  case $s in
    created|running|paused)
      pid_alive "$pid" || { echo "state says $s but pid $pid is gone" >&2; return 1; } ;;
    stopped)
      [ "$pid" = 0 ] || { echo "state says stopped with pid $pid" >&2; return 1; }
      nothing_runs "$id" "state says stopped" ;;
    *) echo "state: unknown status '$s'" >&2; return 1 ;;
  esac
}

# after_kill ID: the checks every kill is followed by; 0 when nothing leaked.
after_kill() {
  local id=$1
  state_truthful "$id" || return 1
  capture rt delete --force "$id"
  if [ "$status" -ne 0 ] && ! grep -q "does not exist" <<<"$stderr"; then
    echo "delete --force failed: $stderr" >&2
    return 1
  fi
  check_leaks "$id"
}

# killed_at TRACE: the step named in the trace where berth was killed, or
# nothing when the command ran to its end.
killed_at() {
  sed -n 's/^[0-9]* \(.*\) killed$/\1/p' "$1" 2>/dev/null
}

# kill_loop NAME PREPARE COMMAND...: for N = 1, 2, ...: PREPARE (a function
# given a fresh id in $ID) brings a new container to where COMMAND acts on
# it, COMMAND runs with BERTH_FAULT_KILL_AT=N, and after_kill checks what
# is left, until COMMAND runs through. "@ID@" in COMMAND is the id. Fails
# if any kill left something behind, or if no step was reached.
kill_loop() {
  local name=$1 prepare=$2 n step trace bad=0 tried=0
  shift 2
  for n in $(seq 1 200); do
    new_id
    $prepare || { echo "$name: preparing $ID failed" >&2; return 1; }
    trace=$TEST_DIR/trace.$n
    local args=("${@//@ID@/$ID}")
    BERTH_FAULT_KILL_AT=$n BERTH_FAULT_TRACE=$trace capture rt "${args[@]}"
    step=$(killed_at "$trace")
    if [ -z "$step" ]; then
      [ "$status" -eq 0 ] || { echo "$name: $* failed without a kill: $output" >&2; return 1; }
      after_kill "$ID" || bad=$((bad + 1))
      break
    fi
    tried=$((tried + 1))
    if after_kill "$ID" 2>"$TEST_DIR/after.$n"; then
      echo "$name $n $step ok" >>"$FAULT_LOG"
    else
      echo "$name $n $step LEAKED" >>"$FAULT_LOG"
      sed 's/^/    /' "$TEST_DIR/after.$n" | grep -v '^    # ' >>"$FAULT_LOG"
      echo "# $name: killed at step $n ($step): something was left" >&3
      bad=$((bad + 1))
    fi
  done
  echo "# $name: $tried kill points, $bad left something" >&3
  [ "$tried" -gt 0 ] || { echo "$name: no fault point was reached" >&2; return 1; }
  [ "$bad" -eq 0 ]
}

prep_none() { :; }
prep_created() { capture rt create --bundle "$BUNDLE" "$ID" && [ "$status" -eq 0 ]; }
prep_running() { prep_created && capture rt start "$ID" && [ "$status" -eq 0 ]; }
prep_paused() { prep_running && capture rt pause "$ID" && [ "$status" -eq 0 ]; }
prep_stopped() {
  prep_running && capture rt kill "$ID" KILL && [ "$status" -eq 0 ] && wait_status "$ID" stopped
}
