#!/usr/bin/env bats
# checkpoint and restore with CRIU: a container's processes saved to images
# and brought back, in the same or a new container, with their memory,
# pids, mounts, cgroup limits, terminal and TCP connections.

load ../lib/helpers

# scripts/install-criu.sh's wrapper, when it was installed there, comes
# first; otherwise whatever criu is on PATH.
CRIU_BIN_DIR=${CRIU_BIN_DIR:-/usr/local/lib/berth-criu/bin}
[ -x "$CRIU_BIN_DIR/criu" ] && PATH=$CRIU_BIN_DIR:$PATH

setup() {
  common_setup
  IMG=$TEST_DIR/images
}

teardown() {
  [ -z "${RECEIVER:-}" ] || kill "$RECEIVER" 2>/dev/null || true
  common_teardown
}

# Tests that need CRIU itself are skipped, with the reason, where none works.
require_criu() {
  command -v criu >/dev/null || skip "no criu on PATH (scripts/install-criu.sh installs one)"
  criu check 2>&1 | grep -q "Looks good" || skip "criu check fails on this kernel"
}

# The counter's loop: a line "N PID-INSIDE" appended to /out/count ten
# times a second. Appended, not written and renamed: a dump can catch the
# shell with the file open, and CRIU restores an open file only if it is
# still there with the size it had, unless it was opened to append (a
# --leave-running original goes on changing it).
COUNTER='i=0; while true; do i=$((i+1)); echo "$i $$" >> /out/count; sleep 0.1; done'

# A container running the counter.
start_counter() {
  add_bind "$TEST_DIR/out" /out
  set_cmd "$COUNTER"
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
  wait_file "$TEST_DIR/out/count"
  wait_count_above 3
}

# The last complete line's count and pid (a line being written has one
# field at most, or the right count).
count() { awk 'NF == 2 { c = $1 } END { print c + 0 }' "$TEST_DIR/out/count" 2>/dev/null || echo 0; }
counter_pid() { awk 'NF == 2 { p = $2 } END { print p }' "$TEST_DIR/out/count"; }

# wait_count_above N: the counter passes N within five seconds.
wait_count_above() {
  local i
  for i in $(seq 50); do
    [ "$(count)" -gt "$1" ] && return 0
    sleep 0.1
  done
  echo "counter stuck at $(count), expected more than $1" >&2
  return 1
}

# checkpoint_ok ID ARGS...: checkpoint into $IMG (plus ARGS).
checkpoint_ok() {
  local id=$1
  shift
  rtc checkpoint --image-path "$IMG" "$@" "$id"
  assert_status 0
}

restore_ok() { # restore_ok ID ARGS...
  local id=$1
  shift
  rtc restore --detach --bundle "$BUNDLE" --image-path "$IMG" "$@" "$id"
  assert_status 0
  wait_status "$id" running
}

@test "checkpoint: --help exits 0 (the C/R probe of Podman and CRI-O)" {
  rtc checkpoint --help
  assert_status 0
  assert_contains "$output" "--pre-dump"
  rtc restore --help
  assert_status 0
  assert_contains "$output" "--lsm-mount-context"
}

@test "checkpoint: restore --lsm-mount-context without a value says flag needs an argument" {
  rtc restore --lsm-mount-context
  assert_failure
  assert_contains "$output" "flag needs an argument"
  rtc restore -no-subreaper --help
  assert_status 0
}

@test "checkpoint: a counter continues from where it stopped, with the same pid inside" {
  require_criu
  start_counter
  local inside_pid
  inside_pid=$(counter_pid)
  checkpoint_ok "$ID"
  # A full checkpoint ends the container, as in runc.
  rtc state "$ID"
  assert_failure
  assert_contains "$output" "does not exist"
  local at_dump
  at_dump=$(count)
  sleep 0.5
  [ "$(count)" = "$at_dump" ]

  restore_ok "$ID"
  wait_count_above "$at_dump"
  # Counting went on from the saved value, not from zero.
  [ "$(count)" -lt $((at_dump + 100)) ]
  [ "$(counter_pid)" = "$inside_pid" ]

  # A normal container afterwards: exec, checkpoint again, kill, delete.
  rtc exec "$ID" cat /out/count
  assert_status 0
  checkpoint_ok "$ID" --leave-running
  wait_status "$ID" running
  rtc kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
  rtc delete "$ID"
  assert_status 0
  [ "$(state_entries)" = 0 ]
}

@test "checkpoint: --leave-running keeps the container, and restore makes a new one" {
  require_criu
  start_counter
  checkpoint_ok "$ID" --leave-running
  wait_status "$ID" running
  local at_dump
  at_dump=$(count)
  wait_count_above "$at_dump"
  rt delete --force "$ID"

  local first=$ID
  new_id
  restore_ok "$ID" --pid-file "$TEST_DIR/pid"
  [ "$ID" != "$first" ]
  [ "$(cat "$TEST_DIR/pid")" = "$(rt state "$ID" | jq .pid)" ]
  wait_count_above "$(count)"
  rt delete --force "$ID"
}

@test "checkpoint: --pre-dump, then a dump with --parent-path, restores" {
  require_criu
  # Pre-dumps find the pages written since through soft-dirty bits.
  criu check --feature mem_dirty_track >/dev/null 2>&1 ||
    skip "this kernel has no memory change tracking (soft-dirty), which --pre-dump needs; the VM suite criu runs this on Debian's 6.1 kernel (BERTH_VM_SUITES=criu tests/vm/run-vm.sh)"
  start_counter
  rtc checkpoint --pre-dump --image-path "$TEST_DIR/pre" "$ID"
  assert_status 0
  # A pre-dump leaves the container running.
  wait_status "$ID" running
  wait_count_above "$(count)"
  checkpoint_ok "$ID" --parent-path ../pre
  [ -L "$IMG/parent" ] || [ -e "$IMG/parent" ]
  local at_dump
  at_dump=$(count)
  restore_ok "$ID"
  wait_count_above "$at_dump"
}

@test "checkpoint: a container with a terminal is restored with --console-socket" {
  require_criu
  cfg '.process.terminal = true'
  set_cmd 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'
  new_id
  local sock=$TEST_DIR/console1.sock
  python3 "$REPO_ROOT/tests/lib/recv-console.py" "$sock" "$TEST_DIR/tty1.out" \
    </dev/null >/dev/null 2>&1 &
  RECEIVER=$!
  wait_file "$sock"
  rtc run -d --console-socket "$sock" --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_status "$ID" running
  sleep 0.5
  checkpoint_ok "$ID"

  sock=$TEST_DIR/console2.sock
  python3 "$REPO_ROOT/tests/lib/recv-console.py" "$sock" "$TEST_DIR/tty2.out" \
    </dev/null >/dev/null 2>&1 &
  RECEIVER=$!
  wait_file "$sock"
  restore_ok "$ID" --console-socket "$sock"
  # The restored shell keeps writing to its terminal, whose master the new
  # socket received.
  local i
  for i in $(seq 50); do
    grep -q tick "$TEST_DIR/tty2.out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q tick "$TEST_DIR/tty2.out"
  rt delete --force "$ID"
}

@test "checkpoint: a TCP connection on loopback survives with --tcp-established" {
  require_criu
  add_bind "$TEST_DIR/out" /out
  # Server and client both inside the container's own network namespace,
  # whose loopback the container brings up itself.
  cfg '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
  set_cmd 'ip link set lo up; sleep 100000 | nc -l -p 5555 > /out/recv & sleep 0.3;
    i=0; while true; do i=$((i+1)); echo "$i"; sleep 0.1; done | nc 127.0.0.1 5555'
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
  wait_file "$TEST_DIR/out/recv"
  local i
  for i in $(seq 50); do
    [ "$(wc -l <"$TEST_DIR/out/recv")" -gt 3 ] && break
    sleep 0.1
  done
  rtc checkpoint --image-path "$IMG" --tcp-established "$ID"
  # Kernels from 6.16 refuse SO_PASSSEC on inet sockets, which CRIU up to
  # 4.1 reads while dumping one: no TCP socket can be dumped there. berth
  # quotes CRIU's log in its error; runc only names the log.
  case $output$(cat "$IMG/dump.log" 2>/dev/null) in
    *"Can't get 1:34 opt: Operation not supported"*)
      skip "this CRIU cannot dump inet sockets on this kernel (SO_PASSSEC); the VM suite criu runs this on Debian's 6.1 kernel (BERTH_VM_SUITES=criu tests/vm/run-vm.sh)" ;;
  esac
  assert_status 0
  local lines
  lines=$(wc -l <"$TEST_DIR/out/recv")
  restore_ok "$ID" --tcp-established
  for i in $(seq 50); do
    [ "$(wc -l <"$TEST_DIR/out/recv")" -gt $((lines + 3)) ] && break
    sleep 0.1
  done
  [ "$(wc -l <"$TEST_DIR/out/recv")" -gt $((lines + 3)) ]
  # The numbers go on without a gap: the same connection, not a new one.
  [ "$(tail -1 "$TEST_DIR/out/recv")" = "$(wc -l <"$TEST_DIR/out/recv")" ]
}

@test "checkpoint: a container with the host's /dev/null as stdio is restored by a caller whose stdio are pipes" {
  require_criu
  # start_counter runs it with /dev/null for stdin, stdout and stderr, as a
  # containerd shim does for `ctr run --null-io`.
  start_counter
  checkpoint_ok "$ID"
  local at_dump
  at_dump=$(count)
  # The shim restores with pipes of its own. A pipe cannot stand in for a
  # file (CRIU seeks it to the saved offset), so the restored stdio are
  # /dev/null again, and the caller's pipes are not kept open: the reader
  # sees the end once restore exits.
  { : | rt restore --detach --bundle "$BUNDLE" --image-path "$IMG" "$ID" 2>&1
    echo "restore exited $?"; } | timeout 30 cat >"$TEST_DIR/restore.out"
  assert_status 0
  assert_contains "$(cat "$TEST_DIR/restore.out")" "restore exited 0"
  wait_status "$ID" running
  wait_count_above "$at_dump"
  [ "$(count)" -lt $((at_dump + 100)) ]
  local pid fd
  pid=$(rt state "$ID" | jq .pid)
  for fd in 0 1 2; do
    [ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ]
  done
  rt delete --force "$ID"
}

# path_without_iptables DIR: a directory of links to every program on the
# standard PATH except iptables and ip6tables, for a PATH of DIR alone (CRIU
# still finds ip, tar and the rest). Later directories are linked first so
# that the earlier ones win, as in PATH.
path_without_iptables() {
  local dir=$1 d
  mkdir -p "$dir"
  for d in /bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do
    [ -d "$d" ] || continue
    find "$d/" -maxdepth 1 ! -type d ! -name 'ip*tables*' -exec ln -sfn -t "$dir" {} +
  done
  [ ! -e "$dir/iptables-restore" ] && [ -e "$dir/ip" ] && [ -e "$dir/tar" ]
}

@test "checkpoint: where iptables is missing, the network is locked with nftables and unlocked after restore" {
  skip_if_runc "runc leaves the network lock to CRIU's default, iptables"
  require_criu
  criu check --feature network_lock_nftables >/dev/null 2>&1 ||
    skip "this CRIU has no nftables network lock"
  path_without_iptables "$TEST_DIR/bin"
  add_bind "$TEST_DIR/out" /out
  cfg '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
  set_cmd "ip link set lo up; $COUNTER"
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
  wait_file "$TEST_DIR/out/count"
  wait_count_above 3
  # CRIU's default lock runs iptables-restore in the container's network
  # namespace: without one on PATH, the dump would fail.
  PATH=$CRIU_BIN_DIR:$TEST_DIR/bin checkpoint_ok "$ID"
  local at_dump
  at_dump=$(count)
  PATH=$CRIU_BIN_DIR:$TEST_DIR/bin restore_ok "$ID"
  wait_count_above "$at_dump"
  # The lock drops every packet that CRIU did not mark: a connection on the
  # restored loopback goes through only once it is lifted.
  rtc exec "$ID" sh -c 'nc -l -p 5556 > /out/got & sleep 0.3
    echo through | timeout 5 nc 127.0.0.1 5556; wait'
  assert_status 0
  [ "$(cat "$TEST_DIR/out/got")" = through ]
  rt delete --force "$ID"
}

# limit_of PID: the memory limit of the process's cgroup, v1 or v2.
limit_of() {
  local v1 v2
  v1=$(cgroup_of "$1" memory)
  v2=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
  if [ -n "$v1" ] && [ -f "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes" ]; then
    cat "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes"
  else
    cat "/sys/fs/cgroup$v2/memory.max"
  fi
}

@test "checkpoint: a container with a memory limit is restored with the limit" {
  require_criu
  cfg '.linux.resources.memory.limit = 268435456'
  start_counter
  checkpoint_ok "$ID"
  restore_ok "$ID"
  local pid
  pid=$(rt state "$ID" | jq .pid)
  [ "$(limit_of "$pid")" = 268435456 ]
  wait_count_above "$(count)"
}

@test "checkpoint: restore from a missing image directory fails and leaves nothing" {
  new_id
  rtc restore --detach --bundle "$BUNDLE" --image-path "$TEST_DIR/nowhere" "$ID"
  assert_failure
  assert_contains "$output" "nowhere"
  assert_contains "$output" "no such file or directory"
  [ "$(state_entries)" = 0 ]
  # runc 1.1 makes the missing directory before it fails; berth leaves none.
  is_runc || [ ! -e "$TEST_DIR/nowhere" ]
}

@test "checkpoint: a stopped container cannot be checkpointed, and nothing is left" {
  set_cmd 'exit 0'
  new_id
  rt run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
  wait_status "$ID" stopped
  rtc checkpoint --image-path "$IMG" "$ID"
  assert_failure
  assert_contains "$output" "cannot be checkpointed in stopped state"
  [ ! -e "$IMG" ]
  # The container itself is still there, as it was.
  [ "$(status_of "$ID")" = stopped ]
  rt delete "$ID"
}

@test "checkpoint: a missing container is reported as such" {
  rtc checkpoint --image-path "$IMG" berth-test-missing
  assert_failure
  assert_contains "$output" "does not exist"
  [ ! -e "$IMG" ]
}
