#!/usr/bin/env bats
# linux.resources with real containers: what the limits do to the processes
# (OOM kills, failing forks, throttling, frozen loops, denied devices), what
# `update` changes while a container runs, what `events` reports, and the
# cgroup files compared with runc's for the same config.

load ../lib/helpers

EVENTS_PID=
RUNC_ROOT=

teardown() {
  # The events reader is this test's own child; stop it by its pid.
  if [ -n "$EVENTS_PID" ]; then
    kill "$EVENTS_PID" 2>/dev/null
    wait "$EVENTS_PID" 2>/dev/null
  fi
  if [ -n "$RUNC_ROOT" ] && [ -d "$RUNC_ROOT" ]; then
    local d
    for d in "$RUNC_ROOT"/*/; do
      [ -d "$d" ] && "$RUNC" --root "$RUNC_ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
    done
  fi
  common_teardown
}

v1() { [ -d "/sys/fs/cgroup/$1" ] && ! [ -f "/sys/fs/cgroup/$1/cgroup.controllers" ]; }

# A hierarchy the tests below need as cgroup v1 (pure v2 runs in tests/vm).
require_v1() {
  local c
  for c in "$@"; do
    v1 "$c" || skip "no cgroup v1 $c hierarchy"
  done
}

# start_ctr 'SHELL COMMAND': a detached container; sets $ID and $PID.
start_ctr() {
  set_cmd "$1"
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  PID=$(rt state "$ID" | jq -r .pid)
  [ -n "$PID" ] && [ "$PID" != 0 ]
}

# cg_file CONTROLLER FILE: the container's v1 control file.
cg_file() {
  echo "/sys/fs/cgroup/$1$(cgroup_of "$PID" "$1")/$2"
}

cg_read() { cat "$(cg_file "$1" "$2")"; }

# Whether the kernel accounts swap (memory.memsw.*).
have_memsw() { [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; }

# mem_limit BYTES: limit (and memory+swap, so nothing escapes to swap).
mem_limit() {
  if have_memsw; then
    cfg '.linux.resources.memory = {"limit": $l, "swap": $l}' --argjson l "$1"
  else
    cfg '.linux.resources.memory = {"limit": $l}' --argjson l "$1"
  fi
}

# An allocation of 64 MiB that stays resident: tail keeps the whole
# newline-free stream as its last line.
HOG='head -c 67108864 /dev/zero | tail >/dev/null'

# A bounded burst of forks; the shell says "can't fork" when the kernel
# refuses one.
FORKS='i=0; while [ $i -lt 12 ]; do sleep 3 & i=$((i+1)); done; echo forked $i'

# An init that runs $FORKS each time /out/go appears, into /out/forks.
# (runc's own exec, a Go program, cannot start under a tight pids limit, so
# the forks come from a process already inside.)
FORKER='while :; do if [ -e /out/go ]; then rm /out/go; ( '"$FORKS"' ) >/out/forks 2>&1; fi; sleep 0.1; done'

# fork_burst: trigger the forker and print what it said.
fork_burst() {
  rm -f "$TEST_DIR/out/forks"
  touch "$TEST_DIR/out/go"
  wait_grep forked "$TEST_DIR/out/forks" 100
  cat "$TEST_DIR/out/forks"
}

busy_for() {
  echo "end=\$((\$(date +%s)+$1)); while [ \$(date +%s) -lt \$end ]; do :; done"
}

# wait_grep PATTERN FILE [TENTHS]
wait_grep() {
  local i
  for i in $(seq "${3:-50}"); do
    grep -q "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no '$1' in $2: $(cat "$2" 2>/dev/null | head -c 2000)" >&2
  return 1
}

@test "resources: a memory limit OOM-kills an allocation and events reports it" {
  require_v1 memory
  mem_limit 16777216
  start_ctr 'sleep 1000'
  [ "$(cg_read memory memory.limit_in_bytes)" = 16777216 ]
  # Named while the init is surely alive: after the OOM kill, the init's pid
  # would name the wrong cgroup if the kernel had killed the init instead.
  local oom_control
  oom_control=$(cg_file memory memory.oom_control)
  [ "$oom_control" != /sys/fs/cgroup/memory//memory.oom_control ] || fail "the init is in the root memory cgroup"
  rt events --interval 100ms "$ID" >"$TEST_DIR/events.out" 2>"$TEST_DIR/events.err" &
  EVENTS_PID=$!
  # The first stats line means the OOM watch is in place.
  wait_grep '"type":"stats"' "$TEST_DIR/events.out"
  rtc exec "$ID" sh -c "$HOG"
  [ "$status" -eq 137 ] || fail "allocation beyond the limit ended with $status"
  [ "$(status_of "$ID")" = running ] || fail "the container is $(status_of "$ID") after the OOM kill: $(dmesg | grep -i 'killed process' | tail -n 3)"
  wait_grep '{"type":"oom","id":"'"$ID"'"}' "$TEST_DIR/events.out"
  # The OOM notification can come before the kernel counts the kill.
  wait_grep '^oom_kill [1-9]' "$oom_control"
  [ "$(status_of "$ID")" = running ]
  # A small allocation still works.
  rtc exec "$ID" sh -c 'head -c 1048576 /dev/zero | tail >/dev/null'
  assert_status 0
}

@test "resources: disableOOMKiller holds an allocation at the limit instead of killing it" {
  require_v1 memory
  mem_limit 16777216
  cfg '.linux.resources.memory.disableOOMKiller = true'
  start_ctr 'sleep 1000'
  grep -qx 'oom_kill_disable 1' "$(cg_file memory memory.oom_control)"
  # A string doubled until memory runs out, in user space: a page fault
  # there waits for memory, where one in a syscall (a pipe's copy) would
  # fail it with ENOMEM or EFAULT instead. Not waited for, as it waits.
  { rt exec "$ID" awk 'BEGIN { s = "x"; while (1) s = s s }'; echo "exit $?"; } \
    </dev/null >"$TEST_DIR/hog.out" 2>&1 &
  local hog=$!
  wait_grep '^under_oom 1' "$(cg_file memory memory.oom_control)" ||
    fail "not held at the limit: $(cat "$TEST_DIR/hog.out")"
  grep -qx 'oom_kill 0' "$(cg_file memory memory.oom_control)" || fail "something was OOM-killed"
  kill -0 "$hog" || fail "the allocation ended: $(cat "$TEST_DIR/hog.out")"
  # delete --force ends the held processes too.
  rtc delete --force "$ID"
  assert_status 0
  wait "$hog" 2>/dev/null || true
}

@test "resources: cpu idle, burst and realtime, memory swappiness reach their v1 files" {
  require_v1 cpu memory
  [ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no realtime group scheduling in this kernel"
  cfg '.linux.resources.cpu = {"quota": 20000, "period": 100000, "burst": 5000, "idle": 1,
                               "realtimePeriod": 1000000, "realtimeRuntime": 10000}
       | .linux.resources.memory = {"limit": 67108864, "swappiness": 10}'
  start_ctr 'sleep 1000'
  [ "$(cg_read cpu cpu.rt_period_us)" = 1000000 ]
  [ "$(cg_read cpu cpu.rt_runtime_us)" = 10000 ]
  [ "$(cg_read memory memory.swappiness)" = 10 ]
  if [ -f "$(cg_file cpu cpu.idle)" ] && ! is_runc; then # runc 1.1.5 knows neither
    [ "$(cg_read cpu cpu.idle)" = 1 ]
    [ "$(cg_read cpu cpu.cfs_burst_us)" = 5000 ]
  fi
}

@test "resources: events ends when the container stops" {
  skip_if_runc "events ends only when the cgroup is removed"
  start_ctr 'sleep 1000'
  rt events --interval 1h "$ID" >"$TEST_DIR/events.out" 2>&1 &
  EVENTS_PID=$!
  sleep 0.3
  rtc kill "$ID" KILL
  assert_status 0
  wait_dead "$EVENTS_PID" 50
  wait "$EVENTS_PID"
  EVENTS_PID=
  rtc events --stats "$ID"
  assert_failure
  assert_contains "$output" "container with id $ID is not running"
}

@test "resources: events --stats reports runc's fields" {
  require_v1 memory pids
  mem_limit 33554432
  cfg '.linux.resources.pids = {"limit": 42}'
  start_ctr 'sleep 1000'
  rtc events --stats "$ID"
  assert_status 0
  [ "$(echo "$stdout" | wc -l)" -eq 1 ]
  echo "$stdout" | jq -e --arg id "$ID" '.type == "stats" and .id == $id'
  echo "$stdout" | jq -e '.data.memory.usage.limit == 33554432'
  echo "$stdout" | jq -e '.data.pids.current >= 1 and .data.pids.limit == 42'
  echo "$stdout" | jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage | has("kernel") and has("user"))'
  echo "$stdout" | jq -e '.data.cpu | has("throttling")'
  echo "$stdout" | jq -e '.data.memory.raw | has("rss") or has("anon")'
  echo "$stdout" | jq -e '.data | has("blkio") and has("hugetlb") and .network_interfaces == null'
  rtc events --interval 0 "$ID"
  assert_failure
  assert_contains "$output" "duration interval must be greater than 0"
  rtc events --interval 5 "$ID"
  assert_failure
  assert_contains "$output" 'invalid value "5" for flag -interval'
}

@test "resources: pids.max makes fork fail inside the container" {
  require_v1 pids
  cfg '.linux.resources.pids = {"limit": 5}'
  add_bind "$TEST_DIR/out" /out
  start_ctr "$FORKER"
  [ "$(cg_read pids pids.max)" = 5 ]
  output=$(fork_burst)
  assert_contains "$output" "can't fork"
  [ "$(cg_read pids pids.current)" -le 5 ]
}

@test "resources: a cpu quota throttles a busy loop" {
  require_v1 cpu
  cfg '.linux.resources.cpu = {"quota": 10000, "period": 100000}'
  start_ctr "$(busy_for 1000)"
  [ "$(cg_read cpu cpu.cfs_quota_us)" = 10000 ]
  sleep 0.5
  local a b
  a=$(awk '$1 == "nr_throttled" {print $2}' "$(cg_file cpu cpu.stat)")
  sleep 1
  b=$(awk '$1 == "nr_throttled" {print $2}' "$(cg_file cpu cpu.stat)")
  [ "$b" -gt "$a" ] || fail "nr_throttled did not grow: $a -> $b"
  rtc events --stats "$ID"
  echo "$stdout" | jq -e '.data.cpu.throttling.throttledPeriods > 0'
}

@test "resources: pause stops a counter and resume restarts it" {
  add_bind "$TEST_DIR/out" /out
  start_ctr 'i=0; while :; do i=$((i+1)); echo $i > /out/n.tmp; mv /out/n.tmp /out/n; sleep 0.05; done'
  wait_file "$TEST_DIR/out/n"
  rtc pause "$ID"
  assert_status 0
  [ "$(status_of "$ID")" = paused ]
  local a b c
  a=$(cat "$TEST_DIR/out/n")
  sleep 0.5
  b=$(cat "$TEST_DIR/out/n")
  [ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
  rtc resume "$ID"
  assert_status 0
  sleep 0.5
  c=$(cat "$TEST_DIR/out/n")
  [ "$c" -gt "$b" ] || fail "counter did not move after resume: $b -> $c"
}

# runc appends its default allow list (/dev/null, /dev/zero...) after the
# config's rules, so denying one of those has no effect, in runc as here;
# /dev/fuse is not on that list. Rules apply in order: the last match wins.
@test "resources: a device rule denies opening the device" {
  require_v1 devices
  [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
  cfg '.linux.devices += [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
  run_container '(exec 3</dev/fuse) && echo opened'
  assert_contains "$output" opened
  cfg '.linux.resources.devices += [{"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
  run_container '(exec 3</dev/fuse) && echo opened; head -c1 /dev/zero >/dev/null && echo zero-ok'
  assert_not_contains "$output" opened
  assert_contains "$output" "not permitted"
  assert_contains "$output" "zero-ok"
}

@test "resources: update --memory, --pids-limit and --cpu-quota change a running container" {
  require_v1 memory pids cpu
  add_bind "$TEST_DIR/out" /out
  start_ctr "$FORKER"
  rtc exec "$ID" sh -c "$HOG"
  assert_status 0
  local swap=()
  have_memsw && swap=(--memory-swap 16m)
  rtc update --memory 16m "${swap[@]}" --cpu-quota 10000 --cpu-period 100000 "$ID"
  assert_status 0
  [ "$(cg_read memory memory.limit_in_bytes)" = 16777216 ]
  [ "$(cg_read cpu cpu.cfs_quota_us)" = 10000 ]
  # The kernel frees the killed allocation asynchronously; a fork the init
  # makes meanwhile can set off a second OOM kill, which must pick the
  # allocating shell again rather than the init.
  rtc exec "$ID" sh -c "echo 1000 >/proc/self/oom_score_adj; $HOG"
  [ "$status" -eq 137 ] || fail "allocation after update ended with $status"
  # Last: runc's exec cannot start under the pids limit.
  rtc update --pids-limit 5 "$ID"
  assert_status 0
  [ "$(cg_read pids pids.max)" = 5 ]
  [ "$(cg_read memory memory.limit_in_bytes)" = 16777216 ]
  output=$(fork_burst)
  assert_contains "$output" "can't fork"
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  rtc update --memory 32m "$ID"
  assert_failure
  assert_contains "$output" "container not running"
}

@test "resources: update throttles a running busy loop" {
  require_v1 cpu
  start_ctr "$(busy_for 1000)"
  local a b
  a=$(awk '$1 == "nr_throttled" {print $2}' "$(cg_file cpu cpu.stat)")
  rtc update --cpu-quota 10000 --cpu-period 100000 "$ID"
  assert_status 0
  sleep 1
  b=$(awk '$1 == "nr_throttled" {print $2}' "$(cg_file cpu cpu.stat)")
  [ "$b" -gt "$a" ] || fail "nr_throttled did not grow after update: $a -> $b"
  # Only the period: the quota stays.
  rtc update --cpu-period 50000 "$ID"
  assert_status 0
  [ "$(cg_read cpu cpu.cfs_period_us)" = 50000 ]
  [ "$(cg_read cpu cpu.cfs_quota_us)" = 10000 ]
  # -1 lifts the quota.
  rtc update --cpu-quota -1 "$ID"
  assert_status 0
  [ "$(cg_read cpu cpu.cfs_quota_us)" = -1 ]
}

@test "resources: update -r - reads LinuxResources from stdin, twice" {
  require_v1 memory pids
  add_bind "$TEST_DIR/out" /out
  start_ctr "$FORKER"
  echo '{"memory": {"limit": 33554432}, "pids": {"limit": 10}, "devices": [{"allow": false, "access": "rwm"}]}' |
    rt update -r - "$ID"
  [ "$(cg_read memory memory.limit_in_bytes)" = 33554432 ]
  [ "$(cg_read pids pids.max)" = 10 ]
  # devices are not part of an update: /dev/null still opens.
  rtc exec "$ID" sh -c 'head -c1 /dev/null && echo ok'
  assert_contains "$output" ok
  echo '{"pids": {"limit": 4}}' >"$TEST_DIR/res.json"
  rtc update --resources "$TEST_DIR/res.json" --pids-limit 100 "$ID"
  assert_status 0
  [ "$(cg_read pids pids.max)" = 4 ]
  [ "$(cg_read memory memory.limit_in_bytes)" = 33554432 ]
  output=$(fork_burst)
  assert_contains "$output" "can't fork"
  rtc update --memory -1 --pids-limit -1 "$ID"
  assert_status 0
  [ "$(cg_read pids pids.max)" = max ]
  [ "$(cg_read memory memory.limit_in_bytes)" -gt 33554432 ]
}

@test "resources: update rejects bad values as runc does" {
  start_ctr 'sleep 1000'
  rtc update --memory 1x "$ID"
  assert_failure
  assert_contains "$output" "invalid value for memory: invalid size: '1x'"
  rtc update --cpu-share abc "$ID"
  assert_failure
  assert_contains "$output" 'invalid value for cpu-share: strconv.ParseUint: parsing'
  assert_contains "$output" 'invalid syntax'
  rtc update --mem-bw-schema 'MB:0=50' "$ID"
  assert_failure
  assert_contains "$output" "Intel RDT/MBA"
  echo '{"memory": {"limit": "lots"}}' >"$TEST_DIR/bad.json"
  rtc update -r "$TEST_DIR/bad.json" "$ID"
  assert_failure
  assert_contains "$output" "memory.limit"
  rtc update --kernel-memory 1g "$ID"
  assert_status 0
  assert_contains "$output" "Kernel memory settings are ignored"
  rtc update --memory 8m nonexistent-berth-test
  assert_failure
  assert_contains "$output" "does not exist"
}

@test "resources: memory.kernel and kernelTCP are ignored with runc's warning, said once" {
  require_v1 memory
  cfg '.linux.resources.memory = {"limit": 67108864, "kernel": 33554432, "kernelTCP": 16777216}'
  set_cmd 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
  new_id
  rtc --log-format json run --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(printf '%s\n' "$stdout" | tail -n 1)" = 67108864 ] || fail "memory limit not applied: $stdout"
  [ "$(grep -c 'Kernel memory settings are ignored and will be removed' <<<"$stderr")" = 1 ] ||
    fail "expected the warning exactly once on stderr: $stderr"
  jq -e 'select(.msg | test("Kernel memory")) | .level == "warning"' <<<"$stderr" >/dev/null ||
    fail "not a json warning line: $stderr"
}

# disk_of PATH: "MAJOR MINOR" of the whole disk holding PATH (throttling
# takes disks, not partitions); fails when it is not on a block device.
disk_of() {
  local dev sys
  dev=$(stat -c '%d' "$1") || return 1
  sys=/sys/dev/block/$((dev >> 8 & 0xfff)):$(((dev & 0xff) | (dev >> 12 & 0xfff00)))
  [ -e "$sys" ] || return 1
  [ -e "$sys/partition" ] && sys=$(cd "$sys/.." && pwd)
  tr ':' ' ' <"$sys/dev"
}

@test "resources: blkio throttles direct writes to the disk, with the files runc writes" {
  require_v1 blkio
  [ -f /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device ] || skip "no blkio throttling in this kernel"
  local maj min
  read -r maj min < <(disk_of "$TEST_DIR") || skip "$TEST_DIR is not on a block device"
  add_bind "$TEST_DIR/out" /out
  cfg '.linux.resources.blockIO = {
         "throttleWriteBpsDevice": [{"major": $maj, "minor": $min, "rate": 524288}],
         "throttleReadBpsDevice": [{"major": $maj, "minor": $min, "rate": 4194304}],
         "throttleWriteIOPSDevice": [{"major": $maj, "minor": $min, "rate": 1000}],
         "throttleReadIOPSDevice": [{"major": $maj, "minor": $min, "rate": 2000}]}'     --argjson maj "$maj" --argjson min "$min"
  start_ctr 'sleep 1000'
  [ "$(cg_read blkio blkio.throttle.write_bps_device)" = "$maj:$min 524288" ]
  [ "$(cg_read blkio blkio.throttle.read_bps_device)" = "$maj:$min 4194304" ]
  [ "$(cg_read blkio blkio.throttle.write_iops_device)" = "$maj:$min 1000" ]
  [ "$(cg_read blkio blkio.throttle.read_iops_device)" = "$maj:$min 2000" ]
  # 2 MiB past the page cache at 512 KiB/s takes about 4 s; unthrottled, a
  # fraction of one. Only a lower bound: a busy machine only adds to it.
  local t0 t1
  t0=$(date +%s%N)
  rtc exec "$ID" dd if=/dev/zero of=/out/f bs=64k count=32 oflag=direct
  t1=$(date +%s%N)
  assert_status 0
  [ $(((t1 - t0) / 1000000)) -ge 3000 ] || fail "2 MiB written in $(((t1 - t0) / 1000000)) ms at 512 KiB/s"
  awk -v d="$maj:$min" '$1 == d && $2 == "Write" { w = $3 } END { exit !(w >= 2097152) }'     "$(cg_file blkio blkio.throttle.io_service_bytes)" || fail "the writes were not accounted to the container"
  # runc writes the same files for the same config.
  [ -x "$RUNC" ] && ! is_runc || return 0
  RUNC_ROOT=$TEST_DIR/runc-root
  "$RUNC" --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "runc-$ID" </dev/null >/dev/null 2>"$TEST_DIR/runc.err" ||
    fail "runc run: $(cat "$TEST_DIR/runc.err")"
  local runc_pid f
  runc_pid=$("$RUNC" --root "$RUNC_ROOT" state "runc-$ID" | jq -r .pid)
  for f in write_bps_device read_bps_device write_iops_device read_iops_device; do
    diff "/sys/fs/cgroup/blkio$(cgroup_of "$runc_pid" blkio)/blkio.throttle.$f" "$(cg_file blkio "blkio.throttle.$f")" ||
      fail "blkio.throttle.$f differs from runc's"
  done
}

@test "resources: unified keys on a hybrid host: cgroup2 controllers take them, v1 ones are refused clearly" {
  [ -f /sys/fs/cgroup/unified/cgroup.controllers ] || skip "not a hybrid host"
  is_runc && skip "runc refuses unified on any host with v1 hierarchies"
  v1 memory || skip "memory is not a v1 hierarchy here"
  cfg '.linux.resources.unified = {"memory.high": "50000000"}'
  run_container true
  assert_failure
  assert_contains "$output" "linux.resources.unified.memory.high: the memory controller is on a cgroup v1 hierarchy on this host"
  grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || return 0
  local size
  size=$(cd /sys/kernel/mm/hugepages && ls | head -n 1 | sed 's/^hugepages-//; s/kB$//')
  [ -n "$size" ] || return 0
  local name=$((size / 1024))MB
  [ "$size" -lt 1048576 ] || name=$((size / 1048576))GB
  # Two pages: the kernel rounds hugetlb limits down to whole pages.
  local limit=$((size * 1024 * 2))
  cfg '.linux.resources.unified = {($k): $v}' --arg k "hugetlb.$name.max" --arg v "$limit"
  start_ctr 'sleep 1000'
  [ "$(cat "/sys/fs/cgroup/unified$(awk -F: '$1 == "0" { print $3 }' "/proc/$PID/cgroup")/hugetlb.$name.max")" = "$limit" ]
}

@test "resources: net_cls and net_prio limits where those controllers are not mounted fail clearly" {
  v1 net_cls && skip "net_cls is mounted here"
  cfg '.linux.resources.network = {"classID": 1048577}'
  run_container true
  assert_failure
  is_runc || assert_contains "$output" "linux.resources.network.classID: the net_cls cgroup controller is not mounted"
  v1 net_prio && return 0
  cfg '.linux.resources.network = {"priorities": [{"name": "eth0", "priority": 5}]}'
  run_container true
  assert_failure
  is_runc || assert_contains "$output" "linux.resources.network.priorities: the net_prio cgroup controller is not mounted"
}

@test "resources: net_cls classID and net_prio priorities on a v1 hierarchy of their own" {
  v1 net_cls && skip "net_cls is already mounted on this host"
  grep -qE '^net_cls[[:space:]]+0[[:space:]]' /proc/cgroups || skip "net_cls is not a free v1 controller here"
  grep -qE '^net_prio[[:space:]]+0[[:space:]]' /proc/cgroups || skip "net_prio is not a free v1 controller here"
  # The hierarchy is mounted in a mount namespace of the test's own, at a
  # directory of its own: it is gone with that namespace, and the host's
  # cgroup tree never shows it.
  local mnt=$TEST_DIR/net_cls,net_prio
  mkdir -p "$mnt"
  cfg '.linux.resources.network = {"classID": 1048577, "priorities": [{"name": "lo", "priority": 5}]}
       | .linux.cgroupsPath = $p' --arg p "/berth-netcls-$BATS_SUITE_TEST_NUMBER-$$"
  set_args sleep 1000
  new_id
  cat >"$TEST_DIR/netcls.sh" <<SCRIPT
set -e
mount -t cgroup -o net_cls,net_prio berth-test "$mnt"
# A v1 hierarchy is freed at unmount only once it has no child cgroup
# left, dying ones included (/proc/cgroups counts them): wait for that, or
# it would outlive the test unmounted.
release() {
  rmdir "$mnt"/berth-netcls-* 2>/dev/null || true
  for i in \$(seq 50); do
    awk '\$1 == "net_cls" { exit !(\$3 == 1) }' /proc/cgroups && break
    sleep 0.1
  done
  umount "$mnt"
}
trap release EXIT
"$BERTH" --root "$TEST_ROOT" run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null
pid=\$("$BERTH" --root "$TEST_ROOT" state "$ID" | jq .pid)
dir="$mnt\$(awk -F: '\$2 ~ /net_cls/ { print \$3 }' /proc/\$pid/cgroup)"
echo "cgroup \$dir"
echo "classid \$(cat "\$dir/net_cls.classid")"
echo "prio \$(grep '^lo ' "\$dir/net_prio.ifpriomap")"
"$BERTH" --root "$TEST_ROOT" delete --force "$ID"
[ ! -d "\$dir" ] && echo "removed"
SCRIPT
  capture unshare -m --propagation private bash "$TEST_DIR/netcls.sh"
  # The hierarchy must be gone again, or every later process would show a
  # net_cls line in /proc/self/cgroup.
  local i
  for i in $(seq 50); do
    awk '$1 == "net_cls" { exit !($2 == 0) }' /proc/cgroups && break
    sleep 0.1
  done
  if ! awk '$1 == "net_cls" { exit !($2 == 0) }' /proc/cgroups; then
    unshare -m --propagation private sh -c \
      'mount -t cgroup -o net_cls,net_prio berth-test "$1" && umount "$1"' sh "$mnt"
    fail "the test's net_cls hierarchy outlived it: $(grep -E '^net_(cls|prio)' /proc/cgroups)"
  fi
  assert_status 0
  assert_contains "$stdout" "classid 1048577"
  assert_contains "$stdout" "prio lo 5"
  assert_contains "$stdout" "cgroup $mnt/berth-netcls-"
  assert_contains "$stdout" "removed"
}

@test "resources: kill --all reaches every process" {
  add_bind "$TEST_DIR/out" /out
  start_ctr 'sleep 1000 & sleep 1000 & echo > /out/ready; wait'
  wait_file "$TEST_DIR/out/ready"
  local pids p
  pids=$(rt ps --format json "$ID" | jq -r '.[]')
  [ "$(echo "$pids" | wc -l)" -ge 3 ]
  # The init (a shell, pid 1 in its namespace) ignores TERM; the sleeps do
  # not, so they die only if the signal reaches them too.
  rtc kill --all "$ID" TERM
  assert_status 0
  for p in $pids; do
    [ "$p" = "$PID" ] || wait_dead "$p"
  done
}

@test "resources: SIGKILL without a pid namespace kills the whole cgroup" {
  skip_if_runc "runc 1.1.5 signals only the init"
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  add_bind "$TEST_DIR/out" /out
  start_ctr 'sleep 1000 & sleep 1000 & echo > /out/ready; wait'
  wait_file "$TEST_DIR/out/ready"
  local pids p
  pids=$(rt ps --format json "$ID" | jq -r '.[]')
  [ "$(echo "$pids" | wc -l)" -ge 3 ]
  rtc kill "$ID" KILL
  assert_status 0
  for p in $pids; do
    wait_dead "$p"
  done
}

@test "resources: delete --force kills everything and removes the cgroup" {
  add_bind "$TEST_DIR/out" /out
  start_ctr 'sleep 1000 & sleep 1000 & echo > /out/ready; wait'
  wait_file "$TEST_DIR/out/ready"
  local pids p dirs=() line ctrl path
  pids=$(rt ps --format json "$ID" | jq -r '.[]')
  while IFS=: read -r _ ctrl path; do
    ctrl=${ctrl#name=}
    [ -n "$ctrl" ] || ctrl=unified
    [ "$path" = / ] && continue
    [ -d "/sys/fs/cgroup/$ctrl$path" ] && dirs+=("/sys/fs/cgroup/$ctrl$path")
  done <"/proc/$PID/cgroup"
  [ "${#dirs[@]}" -gt 0 ]
  CGROUP_DIRS=("${dirs[@]}")
  rtc delete --force "$ID"
  assert_status 0
  for p in $pids; do
    wait_dead "$p"
  done
  for line in "${dirs[@]}"; do
    [ ! -d "$line" ] || fail "cgroup $line is still there"
  done
}

# The files both runtimes write for one config. Left out by design: the
# cpu.weight conversion and pids.limit 0, where runc 1.1.5 differs.
cgroup_snapshot() {
  local pid=$1 f
  for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
    cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max \
    cpuset/cpuset.cpus; do
    local c=${f%%/*} file=${f#*/}
    v1 "$c" || continue
    echo "$file=$(cat "/sys/fs/cgroup/$c$(cgroup_of "$pid" "$c")/$file")"
  done
  if v1 devices; then
    sort "/sys/fs/cgroup/devices$(cgroup_of "$pid" devices)/devices.list" | sed 's/^/devices: /'
  fi
}

@test "resources: the cgroup files match runc's for the same config, before and after update" {
  [ -x "$RUNC" ] || skip "no runc"
  is_runc && skip "runc against itself"
  cfg '.linux.resources.memory = {"limit": 33554432, "reservation": 16777216}
       | .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0"}
       | .linux.resources.pids = {"limit": 42}
       | .linux.resources.devices += [{"allow": false, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]'
  start_ctr 'sleep 1000'
  local berth_pid=$PID runc_id="runc-$ID"
  RUNC_ROOT=$TEST_DIR/runc-root
  "$RUNC" --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "$runc_id" </dev/null >/dev/null 2>"$TEST_DIR/runc.err" ||
    fail "runc run: $(cat "$TEST_DIR/runc.err")"
  local runc_pid
  runc_pid=$("$RUNC" --root "$RUNC_ROOT" state "$runc_id" | jq -r .pid)
  diff <(cgroup_snapshot "$runc_pid") <(cgroup_snapshot "$berth_pid")
  local args=(--memory 48m --memory-reservation 24m --pids-limit 7 --cpu-quota 30000 --cpu-share 256)
  "$RUNC" --root "$RUNC_ROOT" update "${args[@]}" "$runc_id"
  rtc update "${args[@]}" "$ID"
  assert_status 0
  diff <(cgroup_snapshot "$runc_pid") <(cgroup_snapshot "$berth_pid")
  echo '{"memory": {"limit": 67108864}, "cpu": {"period": 50000}}' >"$TEST_DIR/res.json"
  "$RUNC" --root "$RUNC_ROOT" update -r "$TEST_DIR/res.json" "$runc_id"
  rtc update -r "$TEST_DIR/res.json" "$ID"
  assert_status 0
  diff <(cgroup_snapshot "$runc_pid") <(cgroup_snapshot "$berth_pid")
}
