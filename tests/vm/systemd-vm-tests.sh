#!/bin/sh
# The systemd cgroup driver under Debian's systemd as PID 1 (suite-systemd.sh),
# run by the oneshot berth-vm-tests.service (busybox sh). Containers are
# created with --systemd-cgroup; each test checks the transient unit with
# systemctl (over /run/systemd/private: there is no D-Bus daemon, so berth
# has to fall back to it too) and the cgroup files the kernel enforces.
# The runner and the helpers are in /tests/vm-lib.sh.
#
#   systemd-vm-tests.sh               every test (or those BERTH_VM_TESTS names)
#   systemd-vm-tests.sh one NAME      a single test
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
boot
scope_lifecycle
default_path
limits
limits_cpuset_swap_unified
update
daemon_reload_keeps_limits
annotations
devices
daemon_reexec
stopped_by_systemd
same_unit_twice
nested_slice
kill_all
delete_force
run_foreground
bad_path
"

# ---- helpers -------------------------------------------------------------------

# sd_bundle ID SCRIPT [JQ-FILTER]: a bundle whose cgroupsPath is
# system.slice:berth:ID, so its unit is berth-ID.scope.
sd_bundle() {
  bundle "$1" "$2" ".linux.cgroupsPath = \"system.slice:berth:$1\" | ${3:-.}"
}

sd_create() {
  "$RT" --systemd-cgroup create --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    fail "create $1: $(tail -n 3 "$WORK/$1.err")"
}

sd_run_bg() {
  "$RT" --systemd-cgroup run -d --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    fail "run -d $1: $(tail -n 3 "$WORK/$1.err")"
}

# prop UNIT NAME: the unit's property as systemctl shows it.
prop() { systemctl show -p "$2" --value "$1" 2>/dev/null; }

# expect_prop UNIT NAME VALUE
expect_prop() {
  got=$(prop "$1" "$2")
  [ "$got" = "$3" ] || fail "$1: $2 is '$got', expected '$3'"
}

scope_dir() { echo "$CG/system.slice/berth-$1.scope"; }

# expect_cg DIR FILE VALUE: the cgroup file holds exactly VALUE.
expect_cg() {
  got=$(cat "$1/$2" 2>&1)
  [ "$got" = "$3" ] || fail "$1/$2 is '$got', expected '$3'"
}

unit_gone() { [ "$(prop "$1" LoadState)" = not-found ]; }

# expect_unit_gone UNIT DIR: no unit and no cgroup left (systemd removes
# the directory once the scope is stopped and collected).
expect_unit_gone() {
  wait_for 10 unit_gone "$1" ||
    fail "$1 is still there: $(prop "$1" LoadState)/$(prop "$1" ActiveState)/$(prop "$1" SubState)"
  wait_for 5 gone "$2" || fail "$2 is still there"
}

# The unit and cgroup the container's init is in, seen from systemd, from
# the cgroup and from /proc.
expect_placement() {
  id=$1 unit=$2 group=$3
  pid=$(pid_of "$id")
  if [ -z "$pid" ] || [ "$pid" = null ]; then
    fail "no pid in the state of $id"
  fi
  expect_prop "$unit" ActiveState active
  expect_prop "$unit" ControlGroup "$group"
  grep -qx "$pid" "$CG$group/cgroup.procs" ||
    fail "init pid $pid is not in $CG$group/cgroup.procs: $(cat "$CG$group/cgroup.procs" 2>&1)"
  [ "$(cat "/proc/$pid/cgroup")" = "0::$group" ] || fail "/proc/$pid/cgroup says '$(cat "/proc/$pid/cgroup")'"
}

# ---- tests -------------------------------------------------------------------

# PID 1 is systemd, on pure cgroup2, reached without a bus daemon.
t_boot() {
  [ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is '$(cat /proc/1/comm)'"
  mounts=$(awk '$3 ~ /^cgroup/ { print $2, $3 }' /proc/mounts | tr '\n' ' ')
  [ "$mounts" = "$CG cgroup2 " ] || fail "the cgroup mounts are '$mounts', not cgroup2 at $CG alone"
  [ "$(cat /proc/1/cgroup)" = "0::/init.scope" ] || fail "PID 1 is in '$(cat /proc/1/cgroup)'"
  [ -S /run/systemd/private ] || fail "no /run/systemd/private"
  [ ! -e /run/dbus/system_bus_socket ] || fail "a D-Bus daemon runs: the private-socket fallback is not tested"
  state=$(systemctl is-system-running 2>/dev/null)
  # No basic.target here: the manager stays "initializing" until the
  # default target's jobs, this service among them, are done.
  case $state in
    initializing | starting | running | degraded) ;;
    *) fail "systemctl is-system-running says '$state'" ;;
  esac
  expect_prop berth-vm-tests.service ActiveState activating
}

# create puts the init in berth-ID.scope below system.slice, delegated;
# start, exec, pause, resume and kill act on it; delete removes the unit
# and its cgroup.
t_scope_lifecycle() {
  sd_bundle life 'echo started; exec sleep 300'
  sd_create life
  u=berth-life.scope dir=$(scope_dir life)
  expect_placement life "$u" /system.slice/$u
  expect_prop "$u" Delegate yes
  expect_prop "$u" Slice system.slice
  [ "$(status_of life)" = created ] || fail "state says '$(status_of life)' after create"
  "$RT" start life || fail "start failed"
  wait_out life '^started'
  got=$("$RT" exec life cat /proc/self/cgroup 2>"$WORK/life.xerr") || fail "exec failed: $(tail -n 2 "$WORK/life.xerr")"
  [ "$got" = "0::/system.slice/$u" ] || fail "an exec'd process is in '$got'"
  "$RT" pause life || fail "pause failed"
  [ "$(status_of life)" = paused ] || fail "state says '$(status_of life)' after pause"
  wait_for 5 grep -qx 'frozen 1' "$dir/cgroup.events" || fail "cgroup.events never said frozen 1"
  expect_prop "$u" ActiveState active
  "$RT" resume life || fail "resume failed"
  [ "$(status_of life)" = running ] || fail "state says '$(status_of life)' after resume"
  wait_for 5 grep -qx 'frozen 0' "$dir/cgroup.events" || fail "cgroup.events never said frozen 0"
  pid=$(pid_of life)
  "$RT" kill life KILL || fail "kill failed"
  wait_for 5 pid_dead "$pid" || fail "the init survived SIGKILL"
  wait_for 5 sh -c "[ \"\$($RT state life 2>/dev/null | jq -r .status)\" = stopped ]" ||
    fail "the container is not stopped 5 s after SIGKILL"
  "$RT" delete life || fail "delete failed"
  expect_unit_gone "$u" "$dir"
}

# With no cgroupsPath the unit is berth-<id>.scope in system.slice.
t_default_path() {
  bundle defpath 'exec sleep 300' 'del(.linux.cgroupsPath)'
  sd_create defpath
  expect_placement defpath berth-defpath.scope /system.slice/berth-defpath.scope
  "$RT" delete --force defpath || fail "delete --force failed"
  expect_unit_gone berth-defpath.scope "$(scope_dir defpath)"
}

# linux.resources become the unit's properties and, through systemd, the
# cgroup files; the kernel enforces them.
t_limits() {
  sd_bundle lim 'dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo big=$?; exec sleep 300' \
    '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}
     | .linux.resources.pids = {"limit": 32}
     | .linux.resources.cpu = {"quota": 20000, "period": 100000, "shares": 512}'
  sd_run_bg lim
  u=berth-lim.scope dir=$(scope_dir lim)
  wait_out lim '^big='
  expect_prop "$u" MemoryMax 67108864
  expect_prop "$u" MemoryLow 33554432
  expect_prop "$u" TasksMax 32
  expect_prop "$u" CPUQuotaPerSecUSec 200ms
  expect_prop "$u" CPUWeight 59
  expect_cg "$dir" memory.max 67108864
  expect_cg "$dir" memory.low 33554432
  expect_cg "$dir" pids.max 32
  expect_cg "$dir" cpu.max "20000 100000"
  expect_cg "$dir" cpu.weight 59
  grep -qx 'big=137' "$WORK/lim.out" || fail "a 100 MiB allocation was not SIGKILLed under MemoryMax: $(cat "$WORK/lim.out")"
  kills=$(stat_field "$dir/memory.events" oom_kill)
  [ "${kills:-0}" -ge 1 ] || fail "memory.events counts no oom_kill: $(tr '\n' ' ' <"$dir/memory.events")"
}

# cpus/mems as AllowedCPUs/AllowedMemoryNodes (the container's affinity
# follows), swap as MemorySwapMax (cgroup2 counts it apart from memory),
# and unified files that have a property as that property.
t_limits_cpuset_swap_unified() {
  ncpu=$(grep -c '^processor' /proc/cpuinfo)
  [ "$ncpu" -ge 2 ] || skip "the VM has $ncpu CPU; moving a container needs two"
  sd_bundle more 'grep Cpus_allowed_list /proc/self/status; exec sleep 300' \
    '.linux.resources.memory = {"limit": 67108864, "swap": 100663296}
     | .linux.resources.cpu = {"cpus": "1", "mems": "0"}
     | .linux.resources.unified = {"memory.high": "50331648", "pids.max": "12"}'
  sd_run_bg more
  wait_out more Cpus_allowed_list
  u=berth-more.scope dir=$(scope_dir more)
  expect_prop "$u" AllowedCPUs 1
  expect_prop "$u" AllowedMemoryNodes 0
  expect_prop "$u" MemorySwapMax 33554432
  expect_prop "$u" MemoryHigh 50331648
  expect_prop "$u" TasksMax 12
  expect_cg "$dir" cpuset.cpus 1
  expect_cg "$dir" cpuset.cpus.effective 1
  [ -e "$dir/memory.swap.max" ] && expect_cg "$dir" memory.swap.max 33554432
  expect_cg "$dir" memory.high 50331648
  expect_cg "$dir" pids.max 12
  inside=$(awk '{ print $2 }' "$WORK/more.out")
  [ "$inside" = 1 ] || fail "inside, Cpus_allowed_list is '$inside', expected 1"
}

# update changes the unit's properties and the files.
sd_update_container() {
  sd_bundle "$1" 'exec sleep 300' \
    '.linux.resources.memory = {"limit": 67108864}
     | .linux.resources.pids = {"limit": 32}
     | .linux.resources.cpu = {"quota": 20000, "period": 100000, "shares": 512}
     | .linux.resources.blockIO = {"weight": 500}'
  sd_run_bg "$1"
  "$RT" update --memory 134217728 --pids-limit 48 --cpu-quota 30000 --cpu-period 100000 \
    --cpu-share 1024 --blkio-weight 300 "$1" 2>"$WORK/$1.uerr" || fail "update failed: $(cat "$WORK/$1.uerr")"
}

# The I/O weight as the cgroup has it: blockIO's scale in io.bfq.weight
# when the BFQ scheduler is there, else io.weight's (1 + (w - 10) * 9999 /
# 990; blockIO 300 is 2930).
expect_io_weight() {
  if [ -e "$1/io.bfq.weight" ]; then
    grep -q "^default $2\$" "$1/io.bfq.weight" || fail "io.bfq.weight is '$(cat "$1/io.bfq.weight")', expected default $2"
  else
    expect_cg "$1" io.weight "default $3"
  fi
}

expect_updated() {
  u=berth-$1.scope dir=$(scope_dir "$1")
  expect_prop "$u" MemoryMax 134217728
  expect_prop "$u" TasksMax 48
  expect_prop "$u" CPUQuotaPerSecUSec 300ms
  expect_prop "$u" CPUWeight 100
  expect_cg "$dir" memory.max 134217728
  expect_cg "$dir" pids.max 48
  expect_cg "$dir" cpu.max "30000 100000"
  expect_cg "$dir" cpu.weight 100
  expect_io_weight "$dir" 300 2930
}

t_update() {
  sd_update_container upd
  expect_updated upd
}

# systemd writes a unit's cgroup files again from its properties on
# daemon-reload: a limit that berth had only written to a file (the I/O
# weight, before berth set IOWeight) snaps back to systemd's idea of it.
t_daemon_reload_keeps_limits() {
  sd_update_container reload
  systemctl daemon-reload || fail "daemon-reload failed"
  expect_prop berth-reload.scope ActiveState active
  expect_updated reload
  # The create-time weight lasts too, and unified's io.weight the same way.
  sd_bundle reload2 'exec sleep 300' '.linux.resources.blockIO = {"weight": 500}'
  sd_run_bg reload2
  sd_bundle reload3 'exec sleep 300' '.linux.resources.unified = {"io.weight": "default 777"}'
  sd_run_bg reload3
  systemctl daemon-reload || fail "daemon-reload failed"
  expect_io_weight "$(scope_dir reload2)" 500 4950
  [ -e "$(scope_dir reload3)/io.bfq.weight" ] || expect_cg "$(scope_dir reload3)" io.weight "default 777"
}

# org.systemd.property.* annotations are set on the unit.
t_annotations() {
  sd_bundle annot 'exec sleep 300' \
    '.annotations["org.systemd.property.CollectMode"] = "'"'inactive-or-failed'"'"
     | .annotations["org.systemd.property.TimeoutStopUSec"] = "uint64 123000000"'
  sd_run_bg annot
  expect_prop berth-annot.scope CollectMode inactive-or-failed
  expect_prop berth-annot.scope TimeoutStopUSec "2min 3s"
}

# The unit's device policy is strict and its allow list is the container's:
# before and after daemon-reload (systemd installs its own device program
# from the properties) the default devices work and the others do not.
t_devices() {
  sd_bundle dev 'exec sleep 300' \
    '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]'
  sd_run_bg dev
  expect_prop berth-dev.scope DevicePolicy strict
  allow=$(prop berth-dev.scope DeviceAllow)
  for round in before after; do
    if [ "$round" = after ]; then
      systemctl daemon-reload || fail "daemon-reload failed"
    fi
    "$RT" exec dev sh -c 'echo x >/dev/null' 2>"$WORK/dev.xerr" ||
      fail "/dev/null is not writable $round daemon-reload: $(tail -n 1 "$WORK/dev.xerr") (DeviceAllow: $allow)"
    "$RT" exec dev sh -c 'echo berth-vm >/dev/kmsg' 2>"$WORK/dev.xerr" &&
      fail "/dev/kmsg was written $round daemon-reload (DeviceAllow: $allow)"
    grep -q 'Operation not permitted' "$WORK/dev.xerr" ||
      fail "/dev/kmsg failed $round daemon-reload, but not with EPERM: $(tail -n 1 "$WORK/dev.xerr")"
  done
  return 0
}

# systemd re-executing itself (as a package upgrade makes it do) keeps the
# scope, its limits and the container; berth still updates and deletes it.
t_daemon_reexec() {
  sd_bundle reexec 'exec sleep 300' '.linux.resources.pids = {"limit": 32}'
  sd_run_bg reexec
  pid=$(pid_of reexec)
  systemctl daemon-reexec || fail "daemon-reexec failed"
  wait_for 30 sh -c '[ "$(systemctl show -p ActiveState --value berth-reexec.scope 2>/dev/null)" = active ]' ||
    fail "berth-reexec.scope is not active after daemon-reexec: $(prop berth-reexec.scope ActiveState)"
  [ -d "/proc/$pid" ] || fail "the container's init died in the re-exec"
  expect_prop berth-reexec.scope TasksMax 32
  expect_cg "$(scope_dir reexec)" pids.max 32
  "$RT" update --pids-limit 40 reexec 2>"$WORK/reexec.uerr" || fail "update after re-exec failed: $(cat "$WORK/reexec.uerr")"
  expect_prop berth-reexec.scope TasksMax 40
  "$RT" delete --force reexec || fail "delete --force after re-exec failed"
  expect_unit_gone berth-reexec.scope "$(scope_dir reexec)"
}

# Stopping the scope with systemctl stops the container; berth sees it
# stopped and deletes it without complaint. (systemd stops a scope with
# SIGTERM, which a PID namespace's init only gets through a handler; without
# one, systemd would wait TimeoutStopSec, 90 s, before SIGKILL.)
t_stopped_by_systemd() {
  sd_bundle sdstop 'trap "exit 0" TERM; while :; do sleep 0.2; done'
  sd_run_bg sdstop
  pid=$(pid_of sdstop)
  systemctl stop berth-sdstop.scope || fail "systemctl stop failed"
  wait_for 10 pid_dead "$pid" || fail "the init survived systemctl stop"
  wait_for 5 sh -c "[ \"\$($RT state sdstop 2>/dev/null | jq -r .status)\" = stopped ]" ||
    fail "state says '$(status_of sdstop)' after the scope was stopped"
  "$RT" delete sdstop 2>"$WORK/sdstop.derr" || fail "delete failed: $(cat "$WORK/sdstop.derr")"
  expect_unit_gone berth-sdstop.scope "$(scope_dir sdstop)"
  "$RT" state sdstop >/dev/null 2>&1 && fail "delete left the container's state"
  return 0
}

# A second container asking for the unit of a running one is refused and
# leaves nothing; the first runs on in its scope.
t_same_unit_twice() {
  sd_bundle twice 'exec sleep 300'
  sd_run_bg twice
  pid=$(pid_of twice)
  mkdir -p "$WORK/twice2"
  cp "$WORK/twice/config.json" "$WORK/twice2/config.json"
  if "$RT" --systemd-cgroup run -d --bundle "$WORK/twice2" twice2 </dev/null >"$WORK/twice2.out" 2>"$WORK/twice2.err"; then
    fail "a second container was started in berth-twice.scope"
  fi
  "$RT" state twice2 >/dev/null 2>&1 && fail "the refused create left state behind"
  [ -d "/proc/$pid" ] || fail "the first container died"
  expect_prop berth-twice.scope ActiveState active
  [ "$(cat "$(scope_dir twice)/cgroup.procs")" = "$pid" ] ||
    fail "berth-twice.scope holds '$(tr '\n' ' ' <"$(scope_dir twice)/cgroup.procs")', expected only $pid"
}

# A cgroupsPath slice of several levels: systemd makes the parent slices,
# the scope is below them, named PREFIX-NAME.scope.
t_nested_slice() {
  bundle nest 'exec sleep 300' '.linux.cgroupsPath = "berthvm-a.slice:pfx:nest" | .linux.resources.pids = {"limit": 10}'
  sd_create nest
  u=pfx-nest.scope group=/berthvm.slice/berthvm-a.slice/pfx-nest.scope
  expect_placement nest "$u" "$group"
  expect_prop "$u" Slice berthvm-a.slice
  expect_prop berthvm-a.slice ActiveState active
  expect_cg "$CG$group" pids.max 10
  "$RT" delete --force nest || fail "delete --force failed"
  expect_unit_gone "$u" "$CG$group"
}

# Without a PID namespace, kill --all reaches every process of the scope.
t_kill_all() {
  sd_bundle killall 'sleep 300 & sleep 300 & echo started; wait' \
    '.linux.namespaces |= map(select(.type != "pid"))'
  sd_run_bg killall
  wait_out killall '^started'
  dir=$(scope_dir killall)
  wait_procs "$dir" 3
  pids=$(cat "$dir/cgroup.procs")
  "$RT" kill --all killall KILL || fail "kill --all failed"
  # shellcheck disable=SC2086 # one pid per word
  expect_dead 5 "kill --all" $pids
  "$RT" delete killall || fail "delete failed"
  expect_unit_gone berth-killall.scope "$dir"
}

# delete --force on a running container: every process dies, the unit goes.
t_delete_force() {
  sd_bundle force 'sleep 300 & sleep 300 & echo started; wait' \
    '.linux.namespaces |= map(select(.type != "pid"))'
  sd_run_bg force
  wait_out force '^started'
  dir=$(scope_dir force)
  wait_procs "$dir" 3
  pids=$(cat "$dir/cgroup.procs")
  "$RT" delete --force force 2>"$WORK/force.del" || fail "delete --force failed: $(cat "$WORK/force.del")"
  # shellcheck disable=SC2086 # one pid per word
  expect_dead 5 "delete --force" $pids
  expect_unit_gone berth-force.scope "$dir"
  "$RT" state force >/dev/null 2>&1 && fail "delete --force left the container's state"
  return 0
}

# run in the foreground: the exit status comes back and nothing is left.
t_run_foreground() {
  sd_bundle fg 'cat /proc/self/cgroup; exit 3'
  "$RT" --systemd-cgroup run --bundle "$WORK/fg" fg </dev/null >"$WORK/fg.out" 2>"$WORK/fg.err"
  rc=$?
  [ "$rc" = 3 ] || fail "run returned $rc for a container that exits with 3: $(tail -n 2 "$WORK/fg.err")"
  grep -qx '0::/system.slice/berth-fg.scope' "$WORK/fg.out" ||
    fail "the container ran in '$(cat "$WORK/fg.out")'"
  expect_unit_gone berth-fg.scope "$(scope_dir fg)"
}

# A cgroupfs path is refused under --systemd-cgroup, naming the expected
# form, and leaves no state and no unit.
t_bad_path() {
  bundle badpath 'true' '.linux.cgroupsPath = "/not/systemd"'
  if "$RT" --systemd-cgroup create --bundle "$WORK/badpath" badpath </dev/null >"$WORK/badpath.out" 2>"$WORK/badpath.err"; then
    fail "create accepted cgroupsPath /not/systemd"
  fi
  grep -q 'slice:prefix:name' "$WORK/badpath.err" || fail "the error does not name the form: $(tail -n 2 "$WORK/badpath.err")"
  "$RT" state badpath >/dev/null 2>&1 && fail "the failed create left container state behind"
  [ -z "$(systemctl list-units --all --plain --no-legend '*badpath*' 2>/dev/null)" ] ||
    fail "the failed create left a unit: $(systemctl list-units --all --plain --no-legend '*badpath*')"
  return 0
}


# ---- runner ------------------------------------------------------------------

# The containers, then any unit a test left (a failed test may leave its
# scope) and the test slices.
suite_cleanup() {
  default_cleanup
  for unit in $(systemctl list-units --all --plain --no-legend 'berth-*.scope' 'pfx-*.scope' 'berthvm*.slice' 2>/dev/null | awk '{ print $1 }'); do
    systemctl stop "$unit" >/dev/null 2>&1
  done
}

if [ "$#" -eq 0 ]; then
  # PID 1 is systemd, not /init: this script says when the VM is up. The
  # kernel's name=value words stayed with stage 1's environment, so the
  # test list comes from the command line itself.
  BERTH_VM_TESTS=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^BERTH_VM_TESTS=//p')
  export BERTH_VM_TESTS
  echo "BERTH-VM-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r) init=$(cat /proc/1/comm)"
  echo "BERTH-VM-NOTE runtime: $(cat /etc/runtime-version 2>/dev/null)"
  echo "BERTH-VM-NOTE systemd: $(systemctl --version | head -n 1)"
  echo "BERTH-VM-NOTE controllers: $(cat "/sys/fs/cgroup/cgroup.subtree_control")"
fi
# shellcheck source=tests/vm/vm-lib.sh
. /tests/vm-lib.sh
vm_main "$@"
