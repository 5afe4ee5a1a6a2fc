#!/bin/sh
# cgroup v2 tests (suite-v2.sh), run by the VM's /init as root on a pure
# cgroup2 host (busybox sh). Each test starts real containers with the
# runtime at /bin/berth and checks what the kernel did, not only what was
# written. The runner and the helpers are in /tests/vm-lib.sh.
#
#   v2-tests.sh               every test (or those BERTH_VM_TESTS names)
#   v2-tests.sh one NAME      a single test
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
placement
clone_into_cgroup
cgroup_namespace
userns
memory_limit
pids_limit
cpu_quota
cpu_weight
cpuset
unified
unified_bad_key
hugetlb
nested_path
delete_removes_cgroup
kill_all
delete_force
unlimited_values
io_weight
io_max
exec_joins_cgroup
exec_sub_cgroup
ps_lists_cgroup
devices_deny
devices_allow
devices_mknod
pause_resume
update
update_check_before
cpu_idle_burst
events_stats
events_oom
events_oom_init
"

# ---- tests -------------------------------------------------------------------

# The init lands in the cgroup named by cgroupsPath, seen from both sides.
t_placement() {
  bundle placement 'cat /proc/self/cgroup; exec sleep 30'
  run_bg placement
  wait_out placement '^0::'
  pid=$(pid_of placement)
  inside=$(cat "$WORK/placement.out")
  [ "$inside" = "0::/berth-vm-test-placement" ] ||
    fail "inside, /proc/self/cgroup says '$inside'"
  grep -qx "$pid" "$(cgdir placement)/cgroup.procs" ||
    fail "init pid $pid is not in $(cgdir placement)/cgroup.procs: $(cat "$(cgdir placement)/cgroup.procs")"
  [ "$(cat "/proc/$pid/cgroup")" = "0::/berth-vm-test-placement" ] ||
    fail "/proc/$pid/cgroup says '$(cat "/proc/$pid/cgroup")'"
  for c in memory pids cpu; do
    grep -qw "$c" "$(cgdir placement)/cgroup.controllers" ||
      fail "the $c controller is not available in the container's cgroup"
  done
}

# The init and exec'd processes are born in the container's cgroup (clone3
# with CLONE_INTO_CGROUP), never moved there: the kernel's
# cgroup_attach_task tracepoint fires for every migration into a cgroup,
# and must fire only for the one process this test moves by hand (the
# check that the trace works). exec --cgroup still moves into the
# sub-cgroup.
t_clone_into_cgroup() {
  tr=/sys/kernel/tracing
  [ -d "$tr/events" ] || mount -t tracefs tracefs "$tr" 2>/dev/null ||
    skip "no tracefs in this kernel"
  ev=$tr/events/cgroup/cgroup_attach_task
  [ -d "$ev" ] || skip "no cgroup_attach_task tracepoint"
  echo 0 >"$tr/tracing_on"
  : >"$tr/trace"
  echo 1 >"$ev/enable"
  echo 1 >"$tr/tracing_on"
  bundle cloneinto 'exec sleep 30'
  create cloneinto
  pid=$(pid_of cloneinto)
  "$RT" exec cloneinto true 2>"$WORK/cloneinto.xerr" || fail "exec: $(cat "$WORK/cloneinto.xerr")"
  "$RT" exec cloneinto sh -c 'cat /proc/self/cgroup' >"$WORK/cloneinto.xout" 2>>"$WORK/cloneinto.xerr" ||
    fail "exec: $(cat "$WORK/cloneinto.xerr")"
  sh -c 'echo $$ >"$1/cgroup.procs"; echo $$' sh "$(cgdir cloneinto)" >"$WORK/cloneinto.moved"
  moved=$(cat "$WORK/cloneinto.moved")
  echo 0 >"$tr/tracing_on"
  echo 0 >"$ev/enable"
  grep 'dst_path=/berth-vm-test-cloneinto ' "$tr/trace" >"$WORK/cloneinto.trace"
  : >"$tr/trace"
  grep -q " pid=$moved " "$WORK/cloneinto.trace" || fail "the move by hand ($moved) was not traced"
  others=$(grep -v " pid=$moved " "$WORK/cloneinto.trace")
  [ -z "$others" ] || fail "processes were moved into the cgroup after their clone (the init is $pid): $others"
  [ "$(cat "$WORK/cloneinto.xout")" = "0::/berth-vm-test-cloneinto" ] ||
    fail "the exec'd process is in $(cat "$WORK/cloneinto.xout")"
  grep -qx "$pid" "$(cgdir cloneinto)/cgroup.procs" ||
    fail "the init ($pid) is not in its cgroup: $(cat "$(cgdir cloneinto)/cgroup.procs")"
}

# With a cgroup namespace the container sees its own cgroup as the root,
# and the cgroup2 mount at /sys/fs/cgroup is that cgroup.
t_cgroup_namespace() {
  bundle cgns 'cat /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs; ls /sys/fs/cgroup' \
    '.linux.namespaces += [{"type": "cgroup"}]'
  run_fg cgns || fail "run: $(tail -n 3 "$WORK/cgns.err")"
  [ "$(head -n 1 "$WORK/cgns.out")" = "0::/" ] ||
    fail "inside, /proc/self/cgroup says '$(head -n 1 "$WORK/cgns.out")', expected 0::/"
  grep -qx 1 "$WORK/cgns.out" || fail "the container's /sys/fs/cgroup/cgroup.procs does not list its init (pid 1)"
  grep -qx memory.max "$WORK/cgns.out" ||
    fail "/sys/fs/cgroup inside is not the container's own cgroup (no memory.max)"
}

# A container in its own user namespace (root mapped to 100000) is placed
# and limited the same way, and its cgroup namespace shows it its own cgroup.
t_userns() {
  bundle userns 'cat /proc/self/cgroup; cat /proc/self/uid_map
                 dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo big=$?
                 exec sleep 30' \
    '.linux.namespaces += [{"type": "user"}, {"type": "cgroup"}]
     | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
     | .linux.resources.memory = {"limit": 33554432}'
  run_bg userns
  wait_out userns '^big='
  pid=$(pid_of userns)
  [ "$(head -n 1 "$WORK/userns.out")" = "0::/" ] ||
    fail "inside, /proc/self/cgroup says '$(head -n 1 "$WORK/userns.out")', expected 0::/"
  map=$(sed -n 2p "$WORK/userns.out" | awk '{ print $1, $2, $3 }')
  [ "$map" = "0 100000 65536" ] || fail "uid_map inside is '$map'"
  grep -qx "$pid" "$(cgdir userns)/cgroup.procs" || fail "init pid $pid is not in $(cgdir userns)"
  grep -qx 'big=137' "$WORK/userns.out" || fail "a 100 MiB allocation was not SIGKILLed: $(tr '\n' ' ' <"$WORK/userns.out")"
}

# memory.limit becomes memory.max, and an allocation above it is OOM-killed
# while one below it is not.
t_memory_limit() {
  bundle mem 'dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo small=$?
              dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo big=$?
              exec sleep 30' \
    '.linux.resources.memory = {"limit": 33554432, "reservation": 16777216, "swap": 67108864}'
  run_bg mem
  wait_out mem '^big='
  expect_file mem memory.max 33554432
  expect_file mem memory.low 16777216
  if [ -e "$(cgdir mem)/memory.swap.max" ]; then
    expect_file mem memory.swap.max 33554432
  fi
  grep -qx 'small=0' "$WORK/mem.out" || fail "an 8 MiB allocation failed under a 32 MiB limit: $(cat "$WORK/mem.out")"
  grep -qx 'big=137' "$WORK/mem.out" || fail "a 100 MiB allocation was not SIGKILLed: $(cat "$WORK/mem.out")"
  kills=$(stat_field "$(cgdir mem)/memory.events" oom_kill)
  [ "${kills:-0}" -ge 1 ] || fail "memory.events counts no oom_kill: $(cat "$(cgdir mem)/memory.events")"
}

# pids.limit: forks past the limit fail inside the container.
t_pids_limit() {
  # The inner shell forks sleeps until fork fails; then the outer one counts
  # the processes with builtins only, since it cannot fork either.
  bundle pids 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 20 & done; echo all-forked"
               echo inner=$?
               n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo procs=$n
               exec sleep 30' \
    '.linux.resources.pids = {"limit": 6}'
  run_bg pids
  wait_out pids '^procs='
  expect_file pids pids.max 6
  out_has pids all-forked && fail "12 background sleeps started under pids.limit 6"
  grep -q "can't fork" "$WORK/pids.err" || fail "no fork failure reported; err: $(cat "$WORK/pids.err")"
  n=$(sed -n 's/^procs=//p' "$WORK/pids.out")
  [ "$n" -le 6 ] || fail "$n processes inside under pids.limit 6"
  hits=$(stat_field "$(cgdir pids)/pids.events" max)
  [ "${hits:-0}" -ge 1 ] || fail "pids.events counts no refused fork: $(cat "$(cgdir pids)/pids.events")"
}

# cpu.quota/period become cpu.max, and a busy loop gets throttled. Usage is
# measured across the loop only: the runtime's own work in the container
# before exec (slow under emulation) is charged to the cgroup too.
t_cpu_quota() {
  bundle quota 'echo busy-start; timeout 2 sh -c "while :; do :; done"; echo busy-done; exec sleep 30' \
    '.linux.resources.cpu = {"quota": 10000, "period": 100000}'
  run_bg quota
  wait_out quota '^busy-start'
  stat=$(cgdir quota)/cpu.stat
  throttled0=$(stat_field "$stat" nr_throttled)
  usage0=$(stat_field "$stat" usage_usec)
  wait_out quota '^busy-done'
  expect_file quota cpu.max "10000 100000"
  throttled=$(($(stat_field "$stat" nr_throttled) - throttled0))
  usage=$(($(stat_field "$stat" usage_usec) - usage0))
  [ "$throttled" -ge 3 ] || fail "nr_throttled grew by $throttled during 2 s of a busy loop at 10%"
  # Unthrottled, the loop alone would use 2 s; at 10% about 0.2 s.
  [ "$usage" -lt 1000000 ] || fail "the container used $usage us of CPU in 2 s at a 10% quota"
}

# cpu.shares becomes cpu.weight by runc's curve:
# ceil(10^((l^2 + 125 l)/612 - 7/34)) with l = log2(shares).
t_cpu_weight() {
  for pair in 2:1 100:17 512:59 1024:100 2048:174 262144:10000; do
    shares=${pair%:*} weight=${pair#*:}
    id=weight$shares
    bundle "$id" 'exec sleep 30' ".linux.resources.cpu = {\"shares\": $shares}"
    create "$id"
    got=$(cat "$(cgdir "$id")/cpu.weight")
    [ "$got" = "$weight" ] || fail "cpu.shares $shares gave cpu.weight $got, expected $weight"
    "$RT" delete --force "$id" >/dev/null 2>&1
  done
}

# cpuset.cpus/mems are written and the container's affinity follows.
t_cpuset() {
  ncpu=$(grep -c '^processor' /proc/cpuinfo)
  [ "$ncpu" -ge 2 ] || skip "the VM has $ncpu CPU; moving a container needs two"
  bundle cpuset 'grep Cpus_allowed_list /proc/self/status; exec sleep 30' \
    '.linux.resources.cpu = {"cpus": "1", "mems": "0"}'
  run_bg cpuset
  wait_out cpuset Cpus_allowed_list
  expect_file cpuset cpuset.cpus 1
  expect_file cpuset cpuset.mems 0
  expect_file cpuset cpuset.cpus.effective 1
  inside=$(awk '{ print $2 }' "$WORK/cpuset.out")
  [ "$inside" = 1 ] || fail "inside, Cpus_allowed_list is '$inside', expected 1"
}

# linux.resources.unified writes files as given, and they take effect.
t_unified() {
  bundle unified 'sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 20 & done; echo all-forked"
                  echo inner=$?; exec sleep 30' \
    '.linux.resources.unified = {"pids.max": "4", "memory.high": "50331648"}'
  run_bg unified
  wait_out unified '^inner='
  expect_file unified pids.max 4
  expect_file unified memory.high 50331648
  out_has unified all-forked && fail "8 background sleeps started under unified pids.max 4"
  grep -q "can't fork" "$WORK/unified.err" || fail "no fork failure reported; err: $(cat "$WORK/unified.err")"
}

# A unified key the kernel does not have fails create, naming the field,
# and leaves neither a cgroup nor a container behind.
t_unified_bad_key() {
  bundle badkey 'true' '.linux.resources.unified = {"memory.no_such_file": "1"}'
  create_fails badkey "the unified key memory.no_such_file"
  grep -q 'memory.no_such_file' "$WORK/badkey.err" ||
    fail "the error does not name the key: $(tail -n 2 "$WORK/badkey.err")"
  [ ! -e "$(cgdir badkey)" ] || fail "the failed create left $(cgdir badkey) behind"
  "$RT" state badkey >/dev/null 2>&1 && fail "the failed create left container state behind"
  return 0
}

# hugepageLimits: the limit is written and a second page is refused. A
# runtime that also sets hugetlb.<size>.rsvd.max (berth, current runc) gets
# the refusal early, as mmap's ENOMEM; with the fault limit alone (runc
# 1.1) it comes as SIGBUS on touching the page.
t_hugetlb() {
  grep -qw hugetlb "$CG/cgroup.controllers" || skip "the kernel has no hugetlb controller"
  free=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
  [ "${free:-0}" -ge 3 ] || skip "only ${free:-0} free 2 MiB huge pages (boot with hugepages=N)"
  bundle huge 'hugetouch 1; echo one=$?; hugetouch 2; echo two=$?; exec sleep 30' \
    '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
  run_bg huge
  wait_out huge '^two='
  expect_file huge hugetlb.2MB.max 2097152
  grep -qx 'one=0' "$WORK/huge.out" || fail "one huge page under a one-page limit failed: $(cat "$WORK/huge.out")"
  out_has huge '^touched 2' && fail "a second huge page was touched under a one-page limit"
  rsvd=$(cat "$(cgdir huge)/hugetlb.2MB.rsvd.max" 2>/dev/null)
  if [ -n "$rsvd" ] && [ "$rsvd" != max ]; then
    expect_file huge hugetlb.2MB.rsvd.max 2097152
    if ! grep -qx 'two=1' "$WORK/huge.out" || ! grep -q 'mmap: Cannot allocate memory' "$WORK/huge.err"; then
      fail "mapping two pages was not refused by the reservation limit: $(tr '\n' ' ' <"$WORK/huge.out")"
    fi
  else
    # 135 = 128 + SIGBUS
    grep -qx 'two=135' "$WORK/huge.out" ||
      fail "touching a second page was not refused with SIGBUS: $(tr '\n' ' ' <"$WORK/huge.out")"
  fi
  hits=$(stat_field "$(cgdir huge)/hugetlb.2MB.events" max)
  [ "${hits:-0}" -ge 1 ] || fail "hugetlb.2MB events count no refusal"
}

# A nested cgroupsPath: the parents are made and their subtree_control
# passes the controllers down, so limits apply at the leaf.
t_nested_path() {
  bundle nested 'exec sleep 30' \
    '.linux.cgroupsPath = "/berth-vm-test-nested/a/b"
     | .linux.resources.memory = {"limit": 67108864}
     | .linux.resources.pids = {"limit": 10}'
  run_bg nested
  leaf=$CG/berth-vm-test-nested/a/b
  [ "$(cat "$leaf/memory.max" 2>&1)" = 67108864 ] || fail "$leaf/memory.max: $(cat "$leaf/memory.max" 2>&1)"
  [ "$(cat "$leaf/pids.max" 2>&1)" = 10 ] || fail "$leaf/pids.max: $(cat "$leaf/pids.max" 2>&1)"
  grep -qx "$(pid_of nested)" "$leaf/cgroup.procs" || fail "the init is not in $leaf"
  "$RT" delete --force nested || fail "delete --force failed"
  [ ! -e "$leaf" ] || fail "delete left $leaf behind"
}

# delete removes the cgroup, after a container stopped by kill and after
# `run` in the foreground.
t_delete_removes_cgroup() {
  bundle del 'exec sleep 30'
  run_bg del
  [ -d "$(cgdir del)" ] || fail "no cgroup $(cgdir del) while the container runs"
  "$RT" kill del KILL || fail "kill failed"
  wait_for 5 sh -c "[ \"\$($RT state del 2>/dev/null | jq -r .status)\" = stopped ]" ||
    fail "the container is not stopped 5 s after SIGKILL"
  "$RT" delete del || fail "delete failed: exit $?"
  wait_for 2 gone "$(cgdir del)" || fail "delete left $(cgdir del) behind"
  bundle fg 'exit 3'
  run_fg fg
  rc=$?
  [ "$rc" = 3 ] || fail "run returned $rc for a container that exits with 3"
  [ ! -e "$(cgdir fg)" ] || fail "run in the foreground left $(cgdir fg) behind"
}

# With no PID namespace, killing the init leaves its children; kill --all
# must reach each process in the cgroup.
t_kill_all() {
  bundle killall 'sleep 300 & sleep 300 & echo started; wait' \
    '.linux.namespaces |= map(select(.type != "pid"))'
  run_bg killall
  wait_out killall '^started'
  dir=$(cgdir killall)
  wait_procs "$dir" 3
  pids=$(cat "$dir/cgroup.procs")
  "$RT" kill --all killall KILL || fail "kill --all failed"
  wait_for 5 cg_empty "$dir" || fail "processes left after kill --all: $(cat "$dir/cgroup.procs")"
  # A process leaves cgroup.procs a moment before it is gone from /proc.
  # shellcheck disable=SC2086 # one pid per word
  expect_dead 2 "kill --all" $pids
}

# delete --force on a running container kills every process and removes
# the cgroup and the state.
t_delete_force() {
  bundle force 'sleep 300 & sleep 300 & echo started; wait' \
    '.linux.namespaces |= map(select(.type != "pid"))'
  run_bg force
  wait_out force '^started'
  dir=$(cgdir force)
  wait_procs "$dir" 3
  pids=$(cat "$dir/cgroup.procs")
  "$RT" delete --force force 2>"$WORK/force.del" || fail "delete --force failed: $(cat "$WORK/force.del")"
  # shellcheck disable=SC2086 # one pid per word
  expect_dead 2 "delete --force" $pids
  [ ! -e "$dir" ] || fail "delete --force left $dir behind"
  "$RT" state force >/dev/null 2>&1 && fail "delete --force left the container's state"
  return 0
}

# -1 means unlimited: "max" in the cgroup2 files.
t_unlimited_values() {
  bundle unlim 'exec sleep 30' \
    '.linux.resources.memory = {"limit": -1}
     | .linux.resources.pids = {"limit": -1}
     | .linux.resources.cpu = {"quota": -1, "period": 50000}'
  create unlim
  expect_file unlim memory.max max
  expect_file unlim pids.max max
  expect_file unlim cpu.max "max 50000"
}

# blockIO.weight goes to io.bfq.weight as it is, or to io.weight scaled
# from [10, 1000] to [1, 10000] (runc: 1 + (w - 10) * 9999 / 990).
t_io_weight() {
  bundle iow 'exec sleep 30' '.linux.resources.blockIO = {"weight": 500}'
  create iow
  dir=$(cgdir iow)
  if [ -e "$dir/io.bfq.weight" ]; then
    grep -qx 'default 500' "$dir/io.bfq.weight" || fail "io.bfq.weight: $(cat "$dir/io.bfq.weight")"
  elif [ -e "$dir/io.weight" ]; then
    grep -qx 'default 4950' "$dir/io.weight" || fail "io.weight: $(cat "$dir/io.weight")"
  else
    skip "the kernel offers neither io.weight nor io.bfq.weight"
  fi
}

# blockIO throttles become io.max lines for the disk, and direct writes to
# it slow down to the limit; the device weight goes to io.bfq.weight or
# io.weight as a per-device line where the disk takes one, else a warning.
t_io_max() {
  disk=/dev/nvme0n1
  [ -e /sys/block/nvme0n1/dev ] || skip "the VM has no disk (SUITE_DISK_MB)"
  dev=$(cat /sys/block/nvme0n1/dev)
  maj=${dev%:*} min=${dev#*:}
  bundle iomax 'exec sleep 60' '.linux.resources.blockIO = {
      "throttleWriteBpsDevice": [{"major": '"$maj"', "minor": '"$min"', "rate": 524288}],
      "throttleReadIOPSDevice": [{"major": '"$maj"', "minor": '"$min"', "rate": 2000}],
      "weightDevice": [{"major": '"$maj"', "minor": '"$min"', "weight": 200}]}
    | .linux.devices = [{"path": "'"$disk"'", "type": "b", "major": '"$maj"', "minor": '"$min"',
                         "fileMode": 432, "uid": 0, "gid": 0}]
    | .linux.resources.devices += [{"allow": true, "type": "b", "major": '"$maj"', "minor": '"$min"',
                                    "access": "rw"}]'
  run_bg iomax
  dir=$(cgdir iomax)
  line=$(grep "^$dev " "$dir/io.max") || fail "no io.max line for $dev: $(cat "$dir/io.max")"
  [ "$line" = "$dev rbps=max wbps=524288 riops=2000 wiops=max" ] || fail "io.max: $line"
  if [ -e "$dir/io.bfq.weight" ]; then
    grep -qx "$dev 200" "$dir/io.bfq.weight" || fail "io.bfq.weight: $(cat "$dir/io.bfq.weight")"
  elif grep -qx "$dev 1920" "$dir/io.weight" 2>/dev/null; then
    : # io.cost is enabled for the disk
  else
    # As runc, which drops device weights without BFQ; berth says so.
    grep -q 'weightDevice\[0\].weight: ignored' "$WORK/iomax.err" ||
      fail "no device line in io.weight ($(cat "$dir/io.weight" 2>&1)) and no warning: $(cat "$WORK/iomax.err")"
  fi
  # 1 MiB at 512 KiB/s takes about 2 s; unthrottled, a blink. Only a lower
  # bound: emulation only makes it slower.
  t0=$(cut -d' ' -f1 /proc/uptime)
  "$RT" exec iomax dd if=/dev/zero of="$disk" bs=64k count=16 oflag=direct 2>"$WORK/iomax.dd" ||
    fail "dd in the container failed: $(tail -n 2 "$WORK/iomax.dd")"
  t1=$(cut -d' ' -f1 /proc/uptime)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
  [ "$elapsed" -ge 1500 ] || fail "1 MiB of direct writes took $elapsed ms at 512 KiB/s"
  wbytes=$(awk -v d="$dev" '$1 == d { for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) print substr($i, 8) }' "$dir/io.stat")
  [ "${wbytes:-0}" -ge 1048576 ] || fail "io.stat counts ${wbytes:-0} bytes written: $(cat "$dir/io.stat")"
}

# exec puts the new process in the container's cgroup, or with --cgroup in
# the given sub-cgroup.
t_exec_joins_cgroup() {
  bundle exec 'exec sleep 30'
  run_bg exec
  got=$("$RT" exec exec cat /proc/self/cgroup 2>"$WORK/exec.xerr") ||
    fail "exec failed: $(tail -n 2 "$WORK/exec.xerr")"
  [ "$got" = "0::/berth-vm-test-exec" ] || fail "an exec'd process is in '$got'"
}

t_exec_sub_cgroup() {
  bundle execsub 'exec sleep 30'
  run_bg execsub
  mkdir "$(cgdir execsub)/sub"
  if ! got=$("$RT" exec --cgroup sub execsub cat /proc/self/cgroup 2>"$WORK/execsub.xerr"); then
    grep -q 'not supported' "$WORK/execsub.xerr" &&
      skip "exec --cgroup: $(sed 's/.*msg="//; s/"$//' "$WORK/execsub.xerr" | tail -n 1)"
    fail "exec --cgroup sub failed: $(tail -n 2 "$WORK/execsub.xerr")"
  fi
  [ "$got" = "0::/berth-vm-test-execsub/sub" ] || fail "exec --cgroup sub ran in '$got'"
}

# ps lists exactly the processes in the container's cgroup.
t_ps_lists_cgroup() {
  needs_command ps
  bundle ps 'sleep 300 & sleep 300 & echo started; wait'
  run_bg ps
  wait_out ps '^started'
  dir=$(cgdir ps)
  wait_for 5 sh -c "[ \$(wc -l < $dir/cgroup.procs) -ge 3 ]" ||
    fail "expected 3 processes in the cgroup: $(cat "$dir/cgroup.procs")"
  want=$(sort -n "$dir/cgroup.procs" | tr '\n' ' ')
  got=$("$RT" ps --format json ps 2>"$WORK/ps.perr" | jq -r '.[]' | sort -n | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "ps --format json says '$got', cgroup.procs '$want'"
}

# The spec's default device rule denies everything that is not a default
# device: a node added with linux.devices cannot be opened. (A deny rule
# for /dev/null itself would not do: runtimes add the default devices'
# allow rules after the spec's.) Writing /dev/kmsg needs no capability,
# so nothing but the device rule can refuse it.
KMSG_DEVICE='.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]'

devices_create() {
  if ! "$RT" create --bundle "$WORK/$1" "$1" </dev/null >"$WORK/$1.out" 2>"$WORK/$1.err"; then
    if grep -qi 'not supported' "$WORK/$1.err"; then
      skip "the runtime does not support device rules on cgroup v2: $(tail -n 1 "$WORK/$1.err")"
    fi
    fail "create: $(tail -n 3 "$WORK/$1.err")"
  fi
  "$RT" start "$1" || fail "start failed"
  wait_out "$1" '^done'
}

t_devices_deny() {
  bundle devdeny 'echo hello >/dev/null && echo null-ok
                  [ -c /dev/kmsg ] && echo node-ok
                  echo berth-vm-deny >/dev/kmsg && echo kmsg-written; echo done; exec sleep 30' \
    "$KMSG_DEVICE"
  devices_create devdeny
  out_has devdeny '^node-ok' || fail "linux.devices did not create /dev/kmsg in the container"
  out_has devdeny '^null-ok' || fail "/dev/null is not usable under the default rules: $(cat "$WORK/devdeny.err")"
  out_has devdeny '^kmsg-written' &&
    fail "a device outside the allowed set was opened for writing (device rules not enforced)"
  grep -q 'Operation not permitted' "$WORK/devdeny.err" ||
    fail "opening /dev/kmsg failed, but not with EPERM: $(cat "$WORK/devdeny.err")"
}

t_devices_allow() {
  bundle devallow 'echo berth-vm-allow >/dev/kmsg && echo kmsg-written; echo done; exec sleep 30' \
    "$KMSG_DEVICE"' | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
  devices_create devallow
  out_has devallow '^kmsg-written' ||
    fail "an allow rule for c 1:11 w did not let /dev/kmsg be written: $(cat "$WORK/devallow.err")"
  dmesg | grep -q berth-vm-allow || fail "the write did not reach the kernel log"
}

# The default rules let a container mknod any device but open none that is
# not allowed: for a container given CAP_MKNOD (as Docker's default set
# does) with a /dev without nodev, that is the only thing between it and,
# say, the host's disks.
t_devices_mknod() {
  bundle devmknod 'mknod /dev/made-kmsg c 1 11 && echo made
                   echo berth-vm-mknod >/dev/made-kmsg && echo written; echo done; exec sleep 30' \
    '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
  devices_create devmknod
  out_has devmknod '^made' || fail "mknod in /dev failed: $(cat "$WORK/devmknod.err")"
  out_has devmknod '^written' &&
    fail "a device node made inside the container was opened (device rules not enforced)"
  grep -q 'Operation not permitted' "$WORK/devmknod.err" ||
    fail "opening the node failed, but not with EPERM: $(cat "$WORK/devmknod.err")"
}

# pause freezes every process (cgroup.freeze); resume thaws them.
t_pause_resume() {
  needs_command pause
  needs_command resume
  bundle pause 'while :; do echo tick; sleep 0.1; done'
  run_bg pause
  wait_out pause tick
  "$RT" pause pause || fail "pause failed"
  [ "$(status_of pause)" = paused ] || fail "state says '$(status_of pause)' after pause"
  expect_file pause cgroup.freeze 1
  wait_for 5 grep -qx 'frozen 1' "$(cgdir pause)/cgroup.events" || fail "cgroup.events never said frozen 1"
  before=$(wc -l <"$WORK/pause.out")
  sleep 1
  after=$(wc -l <"$WORK/pause.out")
  [ "$before" = "$after" ] || fail "the container printed $((after - before)) lines while paused"
  "$RT" resume pause || fail "resume failed"
  [ "$(status_of pause)" = running ] || fail "state says '$(status_of pause)' after resume"
  sleep 1
  [ "$(wc -l <"$WORK/pause.out")" -gt "$after" ] || fail "no output after resume"
}

# update changes the limits of a running container.
t_update() {
  needs_command update
  bundle upd 'exec sleep 30' \
    '.linux.resources.memory = {"limit": 33554432} | .linux.resources.pids = {"limit": 10}'
  run_bg upd
  "$RT" update --memory 67108864 --pids-limit 20 --cpu-quota 20000 --cpu-period 100000 \
    --cpu-share 2048 upd 2>"$WORK/upd.uerr" || fail "update failed: $(cat "$WORK/upd.uerr")"
  expect_file upd memory.max 67108864
  expect_file upd pids.max 20
  expect_file upd cpu.max "20000 100000"
  expect_file upd cpu.weight 174
}

# checkBeforeUpdate: an update to a memory limit below what the container
# uses now is refused, and nothing changes; a limit above it is taken.
t_update_check_before() {
  needs_command update
  bundle ucheck 'head -c 20971520 /dev/zero >/dev/shm/fill; echo filled; exec sleep 30' \
    '.linux.resources.memory = {"limit": 67108864, "checkBeforeUpdate": true}'
  run_bg ucheck
  wait_out ucheck '^filled'
  if "$RT" update --memory 10485760 ucheck 2>"$WORK/ucheck.uerr"; then
    fail "update to 10 MiB under 20 MiB of use succeeded"
  fi
  grep -q 'rejecting memory limit 10485760 below current usage' "$WORK/ucheck.uerr" ||
    fail "the refusal does not say why: $(cat "$WORK/ucheck.uerr")"
  expect_file ucheck memory.max 67108864
  [ "$(status_of ucheck)" = running ] || fail "the container is $(status_of ucheck)"
  "$RT" update --memory 50331648 ucheck 2>"$WORK/ucheck.uerr2" ||
    fail "update to 48 MiB failed: $(cat "$WORK/ucheck.uerr2")"
  expect_file ucheck memory.max 50331648
}

# cpu.idle and cpu.burst (cpu.max.burst) on cgroup2.
t_cpu_idle_burst() {
  bundle cpuib 'exec sleep 30' \
    '.linux.resources.cpu = {"quota": 20000, "period": 100000, "burst": 5000, "idle": 1}'
  run_bg cpuib
  expect_file cpuib cpu.max "20000 100000"
  expect_file cpuib cpu.max.burst 5000
  expect_file cpuib cpu.idle 1
}

# ---- events ------------------------------------------------------------------

# events_bg ID ARGS...: `events ARGS ID` in the background, its output in
# $WORK/ID.events (.eventserr); the test's shell stops it when it exits.
events_bg() {
  id=$1
  shift
  "$RT" events "$@" "$id" >"$WORK/$id.events" 2>"$WORK/$id.eventserr" &
  events_pid=$!
  # shellcheck disable=SC2064 # this pid, now
  trap "kill $events_pid 2>/dev/null" EXIT
}

events_has() { grep -q "\"type\":\"$2\"" "$WORK/$1.events" 2>/dev/null; }

# events_attached ID: the stream prints its first stats event only once its
# OOM watch is in place, so after that no kill can be missed.
events_attached() {
  wait_for 20 events_has "$1" stats ||
    fail "events printed no stats within 20 s at --interval 1s: $(tail -n 3 "$WORK/$1.eventserr")"
  events_has "$1" oom && fail "an oom event before the container ran: $(grep oom "$WORK/$1.events")"
  return 0
}

# expect_oom_event ID: the stream reported the kill, in runc's form.
expect_oom_event() {
  wait_for 10 events_has "$1" oom ||
    fail "no oom event within 10 s of the kill (memory.events: $(tr '\n' ' ' <"$(cgdir "$1")/memory.events")); events printed: $(grep -v '"type":"stats"' "$WORK/$1.events" | head -n 3) $(tail -n 2 "$WORK/$1.eventserr")"
  line=$(grep '"type":"oom"' "$WORK/$1.events" | head -n 1)
  [ "$line" = "{\"type\":\"oom\",\"id\":\"$1\"}" ] || fail "the oom event is '$line'"
}

# events --stats: one stats event whose memory part is the v2 files' (limit
# from memory.max, swap as memory+swap the way v1 counts it, raw =
# memory.stat, cache = its "file"), with pids and CPU usage beside it.
t_events_stats() {
  needs_command events
  bundle evstats 'dd if=/dev/zero of=/dev/null bs=4M count=1 2>/dev/null; echo ready; exec sleep 30' \
    '.linux.resources.memory = {"limit": 67108864, "swap": 100663296}
     | .linux.resources.pids = {"limit": 20}'
  run_bg evstats
  wait_out evstats '^ready'
  dir=$(cgdir evstats)
  "$RT" events --stats evstats >"$WORK/evstats.json" 2>"$WORK/evstats.eerr" ||
    fail "events --stats failed: $(tail -n 2 "$WORK/evstats.eerr")"
  [ "$(wc -l <"$WORK/evstats.json")" = 1 ] || fail "events --stats printed $(wc -l <"$WORK/evstats.json") lines"
  j=$WORK/evstats.json
  check() { jq -e "$1" "$j" >/dev/null || fail "events --stats: $2 ($(jq -c "$3" "$j" 2>&1 | cut -c1-300))"; }
  check '.type == "stats" and .id == "evstats"' "not a stats event for evstats" '{type, id}'
  check '.data.memory.usage.limit == 67108864' "memory limit is not memory.max" '.data.memory.usage'
  check '.data.memory.usage.usage > 0 and .data.memory.usage.usage <= 67108864' \
    "memory usage is not within (0, limit]" '.data.memory.usage'
  keys=$(awk '{ print $1 }' "$dir/memory.stat" | sort | tr '\n' ' ')
  got=$(jq -r '.data.memory.raw // {} | keys[]' "$j" | sort | tr '\n' ' ')
  [ "$got" = "$keys" ] || fail "memory.raw has keys '$got', memory.stat '$keys'"
  check '.data.memory.raw.anon > 0' "memory.raw.anon is not above 0" '.data.memory.raw'
  check '(.data.memory.cache // 0) == .data.memory.raw.file' "memory.cache is not memory.stat's file" \
    '{cache: .data.memory.cache, file: .data.memory.raw.file}'
  if [ -e "$dir/memory.swap.max" ]; then
    check '.data.memory.swap.limit == 100663296' "swap limit is not memory.max + memory.swap.max" '.data.memory.swap'
    check '.data.memory.swap.usage >= .data.memory.usage.usage' "swap usage does not include memory" '.data.memory'
  fi
  check '.data.pids.current >= 1 and .data.pids.limit == 20' "pids are not pids.current and pids.max" '.data.pids'
  check '.data.cpu.usage.total > 0' "no CPU usage" '.data.cpu'
}

# Children of the init allocate past memory.limit and are OOM-killed, one
# after the other, while `events` streams: the stream reports each kill
# (as many oom events as memory.events counts), and goes on.
t_events_oom() {
  needs_command events
  bundle evoom 'dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo big=$?
                sleep 1; dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo again=$?
                exec sleep 30' \
    '.linux.resources.memory = {"limit": 33554432}'
  create evoom
  events_bg evoom --interval 1s
  events_attached evoom
  "$RT" start evoom || fail "start failed"
  wait_out evoom '^again='
  if ! grep -qx 'big=137' "$WORK/evoom.out" || ! grep -qx 'again=137' "$WORK/evoom.out"; then
    fail "the 100 MiB allocations were not both SIGKILLed: $(tr '\n' ' ' <"$WORK/evoom.out")"
  fi
  expect_oom_event evoom
  kills=$(stat_field "$(cgdir evoom)/memory.events" oom_kill)
  # shellcheck disable=SC2317 # called through wait_for
  count_ooms() { [ "$(grep -c '"type":"oom"' "$WORK/evoom.events")" -ge "$kills" ]; }
  wait_for 10 count_ooms ||
    fail "$(grep -c '"type":"oom"' "$WORK/evoom.events") oom events for $kills kills in memory.events"
  [ -d "/proc/$events_pid" ] || fail "events stopped after the kills, with the container still running"
  n=$(grep -c '"type":"stats"' "$WORK/evoom.events")
  sleep 2
  [ "$(grep -c '"type":"stats"' "$WORK/evoom.events")" -gt "$n" ] || fail "no stats events after the oom events"
}

# The init itself is OOM-killed: the kill that ends the container is
# reported before the stream stops.
t_events_oom_init() {
  needs_command events
  bundle evinit 'exec dd if=/dev/zero of=/dev/null bs=100M count=1' \
    '.linux.resources.memory = {"limit": 33554432}'
  create evinit
  events_bg evinit --interval 1s
  events_attached evinit
  "$RT" start evinit || fail "start failed"
  wait_for 20 sh -c "[ \"\$($RT state evinit 2>/dev/null | jq -r .status)\" = stopped ]" ||
    fail "the container is still $(status_of evinit) 20 s after start"
  kills=$(stat_field "$(cgdir evinit)/memory.events" oom_kill)
  [ "${kills:-0}" -ge 1 ] || fail "the init was not OOM-killed: memory.events $(tr '\n' ' ' <"$(cgdir evinit)/memory.events")"
  expect_oom_event evinit
}

# shellcheck source=tests/vm/vm-lib.sh
. /tests/vm-lib.sh
vm_main "$@"
