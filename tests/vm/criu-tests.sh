#!/bin/sh
# Checkpoint and restore tests (suite-criu.sh), run by the VM's /init as
# root on Debian's 6.1 cloud kernel (busybox sh), with the private CRIU
# that scripts/install-criu.sh unpacks. Each test drives real containers
# through `berth checkpoint` and `berth restore` (CRIU's RPC) and checks
# what came back: the counter's value and pid, the memory's contents, the
# pages CRIU wrote, the bytes that crossed a TCP connection after restore.
# The runner and the helpers are in /tests/vm-lib.sh.
#
#   criu-tests.sh             every test (or those BERTH_VM_TESTS names)
#   criu-tests.sh one NAME    a single test
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
criu_check
checkpoint_restore
restore_new_container
restore_memory_limit
pre_dump_parent
tcp_established
tcp_established_nftables
"
# A dump or restore takes several seconds under emulation.
TEST_TIMEOUT=180

# The wrapper's directory first, as in tests/integration/checkpoint.bats;
# then iptables (in /usr/sbin), iproute2's ip and GNU tar (in /usr/bin)
# before busybox's.
CRIU_BIN_DIR=$(cat /etc/berth-vm/criu-bin-dir 2>/dev/null)
PATH=$CRIU_BIN_DIR:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# The counter's memory, MiB: large next to the few pages that change
# between a pre-dump and the dump after it.
MEMCOUNT_MIB=16
PAGE_SIZE=4096

# ---- CRIU ------------------------------------------------------------------

# Skips, saying why, when CRIU cannot work here at all; criu_check is the
# test that fails then.
require_criu() {
  command -v criu >/dev/null || skip "no criu on PATH ($PATH)"
  criu check >"$WORK/criu-check" 2>&1
  grep -q "Looks good" "$WORK/criu-check" ||
    skip "criu check fails: $(tail -n 1 "$WORK/criu-check")"
}

# criu_log_context LOG: the lines of CRIU's log before its first error,
# into the test's output, which the runner shows under a failure.
criu_log_context() {
  [ -r "$1" ] || return 0
  awk '/Error/ && !shown { for (i = NR - 8; i < NR; i++) if (i > 0) print prev[i % 8]; print; shown = 1 }
       { prev[NR % 8] = $0 }' "$1" | cut -c 1-300
}

# ckpt ID ARGS...: berth checkpoint ARGS ID, failing the test with the
# runtime's message (which quotes CRIU's log) when it does not succeed.
ckpt() {
  id=$1
  shift
  "$RT" checkpoint "$@" "$id" >"$WORK/$id.ckpt.out" 2>&1 && return 0
  criu_log_context "$(sed -n 's/.*(log: \([^)]*\)).*/\1/p' "$WORK/$id.ckpt.out" | tail -n 1)"
  fail "checkpoint $*: $(tail -n 4 "$WORK/$id.ckpt.out" | tr '\n' ' ')"
}

# restore_from ID IMAGES ARGS...: a detached restore of the images as
# container ID from its bundle; running afterwards. The restored init's
# stdout becomes $WORK/ID.out, unchanged since the dump or opened for
# appending both times: CRIU refuses a regular file whose size differs
# from the dumped one's unless that was opened O_APPEND.
restore_from() {
  id=$1 images=$2
  shift 2
  "$RT" restore --detach --bundle "$WORK/$id" --image-path "$images" "$@" "$id" \
    </dev/null >>"$WORK/$id.out" 2>"$WORK/$id.restore.err" ||
    { criu_log_context "$(sed -n 's/.*(log: \([^)]*\)).*/\1/p' "$WORK/$id.restore.err" | tail -n 1)"
      fail "restore $*: $(tail -n 4 "$WORK/$id.restore.err" | tr '\n' ' ')"; }
  wait_for 20 is_running "$id" || fail "restored $id is '$(status_of "$id")', not running"
}

is_running() { [ "$(status_of "$1")" = running ]; }
is_stopped() { [ "$(status_of "$1")" = stopped ]; }

# pages_bytes DIR: the size of the memory pages a dump wrote into DIR.
pages_bytes() {
  total=0
  for f in "$1"/pages-*.img; do
    [ -e "$f" ] && total=$((total + $(stat -c %s "$f")))
  done
  echo "$total"
}

# stat_of DIR KEY: one count from DIR/stats-dump (pages_written, ...).
stat_of() {
  criu-stats "$1/stats-dump" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# note TEXT: a line for run-vm.sh's report, past the runner, which keeps a
# test's own output for the failure details.
note() { echo "BERTH-VM-NOTE ${name:-}: $*" >/dev/console; }

# ---- containers --------------------------------------------------------------

# with_out ID: the jq filter that binds $WORK/ID/out at /out, where the
# containers leave what they count or receive.
with_out() {
  mkdir -p "$WORK/$1/out"
  echo '.mounts += [{"destination": "/out", "type": "bind", "source": "'"$WORK/$1/out"'", "options": ["rbind", "rw"]}]'
}

# count ID: the counter's last value (0 before the first).
count() { cut -d' ' -f1 "$WORK/$1/out/count" 2>/dev/null || echo 0; }
count_field() { cut -d' ' -f"$2" "$WORK/$1/out/count" 2>/dev/null; }
count_above() { [ "$(count "$1")" -gt "$2" ]; }

# wait_count_above ID N: the counter passes N within 20 s.
wait_count_above() {
  wait_for 20 count_above "$1" "$2" ||
    fail "$1's counter is stuck at $(count "$1"), expected more than $2"
}

# established PID: the established TCP connections in PID's network
# namespace, "LOCAL REMOTE" in the kernel's hex notation, one a line; the
# IPv6 table too, where busybox nc's dual-stack listener puts its end.
established() {
  cat "/proc/$1/net/tcp" "/proc/$1/net/tcp6" | awk '$4 == "01" { print $2, $3 }' | sort
}

# received ID: lines the server has written (0 before its file exists).
received() {
  if [ -e "$WORK/$1/out/recv" ]; then wc -l <"$WORK/$1/out/recv"; else echo 0; fi
}
received_above() { [ "$(received "$1")" -gt "$2" ]; }

# lines_above ID N: the container's stdout ($WORK/ID.out) has more than N
# lines; last_line ID: its last line.
lines_above() { [ "$(wc -l <"$WORK/$1.out")" -gt "$2" ]; }
last_line() { tail -n 1 "$WORK/$1.out"; }

# ---- tests -------------------------------------------------------------------

# The VM has what CRIU needs: `criu check --all` looks good (what its
# optional probes still miss is in the notes criu_vm_setup prints), the
# soft-dirty tracking the host lacks is there, and CRIU finds the legacy
# iptables it locks network namespaces with.
t_criu_check() {
  command -v criu >/dev/null || fail "no criu on PATH ($PATH): suite_stage did not stage it"
  criu check --all >"$WORK/check-all" 2>&1
  cat "$WORK/check-all"
  grep -q "Looks good" "$WORK/check-all" ||
    fail "criu check --all: $(grep -E 'Error|Warn' "$WORK/check-all" | head -n 3 | tr '\n' ' ')"
  criu check --feature mem_dirty_track >"$WORK/dirty" 2>&1 ||
    fail "no soft-dirty tracking: $(tail -n 1 "$WORK/dirty")"
  command -v iptables-restore >/dev/null || fail "no iptables-restore on PATH for CRIU's network lock"
  iptables-restore --version | grep -q legacy || fail "iptables-restore is not the legacy one: $(iptables-restore --version)"
}

# A shell counting into /out/count. The write runs in a subshell: a shell
# that runs `echo > file` itself parks its stdout (the caller's file,
# outside the container) on fd 10 for a moment. checkpoint declares
# external the files on the init's fds 0-2 as it finds them (as runc
# does), so a checkpoint that reads them in that moment misses the
# caller's file, and CRIU fails with "Can't lookup mount" (seen once in a
# full `make check`).
COUNTER='i=0; while true; do i=$((i+1)); (echo "$i $$" > /out/count.new); mv /out/count.new /out/count; sleep 0.1; done'

# The whole flow of checkpoint.bats' first test: a counting shell is
# dumped (which ends the container), stays stopped, comes back counting on
# from its saved value with the same pid inside, and is a normal container
# afterwards (exec, checkpoint --leave-running, kill, delete).
t_checkpoint_restore() {
  require_criu
  bundle cr "$COUNTER" \
    "$(with_out cr)"
  run_bg cr
  wait_count_above cr 3
  inside_pid=$(count_field cr 2)
  ckpt cr --image-path "$WORK/img"
  "$RT" state cr >"$WORK/state.out" 2>&1 && fail "the container is still there after a full checkpoint"
  grep -q "does not exist" "$WORK/state.out" || fail "state after checkpoint says: $(cat "$WORK/state.out")"
  at_dump=$(count cr)
  sleep 1
  [ "$(count cr)" = "$at_dump" ] || fail "the counter went on after the dump: $at_dump, then $(count cr)"

  restore_from cr "$WORK/img"
  wait_count_above cr "$at_dump"
  first=$(count cr)
  # Counting went on from the saved value, not from zero.
  [ "$first" -le $((at_dump + 50)) ] || fail "restored counter at $first, dumped at $at_dump"
  [ "$(count_field cr 2)" = "$inside_pid" ] ||
    fail "the shell's pid inside is $(count_field cr 2), was $inside_pid"

  "$RT" exec cr cat /out/count >"$WORK/exec.out" 2>&1 || fail "exec after restore: $(cat "$WORK/exec.out")"
  grep -q " $inside_pid\$" "$WORK/exec.out" || fail "exec read '$(cat "$WORK/exec.out")'"
  ckpt cr --leave-running --image-path "$WORK/img2"
  is_running cr || fail "after --leave-running the container is '$(status_of cr)'"
  wait_count_above cr "$(count cr)"
  "$RT" kill cr KILL || fail "kill after restore"
  wait_for 20 is_stopped cr ||
    fail "killed container is '$(status_of cr)', not stopped"
  "$RT" delete cr || fail "delete after restore"
  [ -z "$("$RT" list -q)" ] || fail "containers left: $("$RT" list -q | tr '\n' ' ')"
}

# A dump with --leave-running keeps the container; the images restore as
# a second container beside it, whose pid file and state name the restored
# init, counting on from the dump.
t_restore_new_container() {
  require_criu
  # The count goes to stdout, which restore replaces with the new caller's:
  # a file in /out that the container went on rewriting after the dump
  # would no longer match what CRIU saved of it. Opened for appending,
  # as CRIU checks the size of other regular files it puts back.
  bundle lr 'i=0; while true; do i=$((i+1)); echo "$i"; sleep 0.1; done'
  "$RT" run -d --bundle "$WORK/lr" lr </dev/null >>"$WORK/lr.out" 2>>"$WORK/lr.err" ||
    fail "run -d lr: $(tail -n 3 "$WORK/lr.err")"
  wait_for 20 lines_above lr 3 || fail "the counter never printed: $(cat "$WORK/lr.err")"
  before=$(last_line lr)
  ckpt lr --leave-running --image-path "$WORK/img"
  is_running lr || fail "after --leave-running the container is '$(status_of lr)'"
  wait_for 20 lines_above lr $((before + 2)) || fail "the original stopped counting at $(last_line lr)"
  "$RT" delete --force lr || fail "delete --force of the original"
  # The same bundle (and cgroupsPath) under a new name.
  cp -a "$WORK/lr" "$WORK/lr2"
  restore_from lr2 "$WORK/img" --pid-file "$WORK/lr2.pid"
  [ "$(cat "$WORK/lr2.pid")" = "$(pid_of lr2)" ] ||
    fail "pid file says $(cat "$WORK/lr2.pid"), state says $(pid_of lr2)"
  grep -qx "$(pid_of lr2)" "$(cgdir lr)/cgroup.procs" ||
    fail "restored init $(pid_of lr2) is not in $(cgdir lr): $(cat "$(cgdir lr)/cgroup.procs" 2>&1)"
  wait_for 20 lines_above lr2 1 || fail "the restored counter prints nothing: $(cat "$WORK/lr2.restore.err")"
  first=$(head -n 1 "$WORK/lr2.out")
  # On from where the dump found it, not from 1.
  { [ "$first" -gt "$before" ] && [ "$first" -le $((before + 50)) ]; } ||
    fail "the restored counter starts at $first; it was at $before before the dump"
  "$RT" delete --force lr2 || fail "delete after restore"
  [ ! -e "$(cgdir lr)" ] || fail "$(cgdir lr) is left after delete"
}

# On cgroup2 (the host's are v1): the restored container has its memory
# limit again in memory.max, and its init is in its cgroup.
t_restore_memory_limit() {
  require_criu
  bundle ml "$COUNTER" \
    "$(with_out ml) | .linux.resources.memory = {\"limit\": 268435456}"
  run_bg ml
  wait_count_above ml 3
  expect_file ml memory.max 268435456
  ckpt ml --image-path "$WORK/img"
  [ ! -e "$(cgdir ml)" ] || fail "$(cgdir ml) is left after the checkpoint ended the container"
  restore_from ml "$WORK/img"
  expect_file ml memory.max 268435456
  grep -qx "$(pid_of ml)" "$(cgdir ml)/cgroup.procs" ||
    fail "restored init $(pid_of ml) is not in $(cgdir ml): $(cat "$(cgdir ml)/cgroup.procs" 2>&1)"
  wait_count_above ml "$(count ml)"
  "$RT" delete --force ml || fail "delete after restore"
}

# A pre-dump writes the memory while the container runs on; the dump after
# it, with --parent-path, writes only the pages changed since and refers
# to the parent for the rest; restore from the second image directory
# brings back the whole memory, intact, and the count goes on.
t_pre_dump_parent() {
  require_criu
  criu check --feature mem_dirty_track >/dev/null 2>&1 ||
    skip "this kernel has no soft-dirty page tracking, which --pre-dump needs"
  bundle pd 'unused' "$(with_out pd) | .process.args = [\"/bin/criu-memcount\", \"$MEMCOUNT_MIB\", \"/out/count\"]"
  run_bg pd
  wait_count_above pd 3
  [ "$(count_field pd 3)" = ok ] || fail "the memory pattern failed before any dump"
  inside_pid=$(count_field pd 2)

  ckpt pd --pre-dump --image-path "$WORK/P1"
  is_running pd || fail "a pre-dump left the container '$(status_of pd)'"
  wait_count_above pd "$(count pd)"
  ckpt pd --parent-path ../P1 --image-path "$WORK/P2"
  at_dump=$(count pd)
  [ "$(readlink "$WORK/P2/parent")" = ../P1 ] ||
    fail "P2/parent is '$(readlink "$WORK/P2/parent")', expected ../P1"

  # The pre-dump holds the filled memory, the dump hardly anything.
  memory=$((MEMCOUNT_MIB * 1024 * 1024))
  p1=$(pages_bytes "$WORK/P1")
  p2=$(pages_bytes "$WORK/P2")
  [ "$p1" -ge "$memory" ] || fail "the pre-dump wrote $p1 bytes of pages, less than the $memory filled"
  [ "$p2" -lt $((memory / 8)) ] ||
    fail "the dump wrote $p2 bytes of pages although the parent has $p1: nothing was deduplicated"
  # CRIU's own count: the filled pages were found unchanged in the parent.
  [ -e "$WORK/P2/stats-dump" ] || fail "the dump left no stats-dump"
  criu-stats "$WORK/P2/stats-dump" || fail "unreadable stats-dump"
  skipped=$(stat_of "$WORK/P2" pages_skipped_parent)
  written=$(stat_of "$WORK/P2" pages_written)
  [ "$skipped" -ge $((memory / PAGE_SIZE)) ] ||
    fail "CRIU skipped $skipped pages as in the parent, fewer than the $((memory / PAGE_SIZE)) filled"
  [ "$written" -lt $((memory / PAGE_SIZE / 8)) ] || fail "CRIU wrote $written pages in the dump"
  note "pre-dump wrote $p1 bytes of pages, the dump after it $p2 ($written pages written, $skipped found in the parent)"

  restore_from pd "$WORK/P2"
  wait_count_above pd "$at_dump"
  first=$(count pd)
  [ "$first" -le $((at_dump + 50)) ] || fail "restored counter at $first, dumped at $at_dump"
  [ "$(count_field pd 2)" = "$inside_pid" ] || fail "pid inside is $(count_field pd 2), was $inside_pid"
  # Every page of the pattern, most of them read from the parent, is back.
  [ "$(count_field pd 3)" = ok ] || fail "the restored memory does not hold the pattern"
  "$RT" delete --force pd || fail "delete after restore"
}

# tcp_roundtrip ID: a container whose server and client, inside its own
# network namespace, hold one connection on its loopback, dumped and
# restored with --tcp-established; the same connection (same ports on
# both ends) carries the numbers on, without a gap. With TCP_PATH set,
# berth (and so CRIU) runs with that PATH.
tcp_roundtrip() {
  id=$1
  bundle "$id" 'ip link set lo up; sleep 100000 | nc -l -p 5555 > /out/recv &
    while ! netstat -tln | grep -q ":5555 "; do sleep 0.1; done
    i=0; while true; do i=$((i+1)); echo "$i"; sleep 0.1; done | nc 127.0.0.1 5555' \
    "$(with_out "$id") | .process.capabilities |= with_entries(.value += [\"CAP_NET_ADMIN\"])"
  run_bg "$id"
  wait_for 20 received_above "$id" 3 || fail "nothing arrives over the connection: $(cat "$WORK/$id.err")"
  before=$(established "$(pid_of "$id")")
  [ "$(echo "$before" | wc -l)" = 2 ] || fail "expected the two ends of one connection, /proc/net/tcp has: $before"

  PATH=${TCP_PATH:-$PATH} "$RT" checkpoint --tcp-established --image-path "$WORK/img" "$id" \
    >"$WORK/$id.ckpt.out" 2>&1
  rc=$?
  # Kernels from 6.16 refuse SO_PASSSEC on inet sockets, which CRIU up to
  # 4.1 reads while dumping one.
  grep -q "Can't get 1:34 opt: Operation not supported" "$WORK/$id.ckpt.out" &&
    skip "this CRIU cannot dump inet sockets on this kernel (SO_PASSSEC)"
  if [ "$rc" != 0 ]; then
    criu_log_context "$WORK/img/dump.log"
    fail "checkpoint --tcp-established: $(tail -n 4 "$WORK/$id.ckpt.out" | tr '\n' ' ')"
  fi
  lines=$(received "$id")

  PATH=${TCP_PATH:-$PATH} restore_from "$id" "$WORK/img" --tcp-established
  wait_for 20 received_above "$id" $((lines + 3)) ||
    fail "after restore $(received "$id") lines, $lines before: nothing more arrived"
  # The numbers go on without a gap or a repeat: the same stream. Read
  # from a copy, as more arrives all the time; its last line may be cut.
  cp "$WORK/$id/out/recv" "$WORK/$id.recv"
  bad=$(awk -v n="$(wc -l <"$WORK/$id.recv")" 'NR < n && $0 != NR { print NR ": " $0; exit }' "$WORK/$id.recv")
  [ -z "$bad" ] || fail "what arrived is not 1, 2, 3, ...: line $bad"
  pid=$(pid_of "$id")
  after=$(established "$pid")
  [ "$after" = "$before" ] || fail "the connection after restore is '$after', before it was '$before'"
}

# With iptables on PATH: CRIU's default lock, iptables rules in the
# container's namespace, saved with it and gone again after the restore.
t_tcp_established() {
  require_criu
  command -v iptables-restore >/dev/null ||
    skip "no iptables-restore on PATH, with which CRIU locks the network namespace"
  tcp_roundtrip tcp
  # The namespace's rules as CRIU saved them, while it held them locked.
  strings "$WORK"/img/iptables-*.img | grep -q -- "-A CRIU -j DROP" ||
    fail "the saved iptables rules hold no CRIU lock: $(strings "$WORK"/img/iptables-*.img | tr '\n' ' ')"
  nsenter --net="/proc/$pid/ns/net" iptables-save >"$WORK/rules" 2>&1 ||
    fail "iptables-save in the container's namespace: $(cat "$WORK/rules")"
  ! grep -q CRIU "$WORK/rules" || fail "CRIU's network lock is still in place: $(tr '\n' ' ' <"$WORK/rules")"
  note "$lines lines before the dump, $(received tcp) after; connection $(echo "$before" | head -n 1)"
  "$RT" delete --force tcp || fail "delete after restore"
}

# Without iptables on PATH the runtime asks CRIU for its nftables lock
# (through the libnftables CRIU links, no program), and the connection
# survives the same way.
t_tcp_established_nftables() {
  require_criu
  grep -q "^nf_tables " /proc/modules || skip "no nf_tables in this kernel"
  # iproute2's ip and GNU tar are in /usr/bin, iptables only in /usr/sbin.
  TCP_PATH=$CRIU_BIN_DIR:/usr/bin:/bin
  PATH=$TCP_PATH command -v iptables-restore >/dev/null && fail "iptables-restore is still on $TCP_PATH"
  tcp_roundtrip tcpn
  # The namespace's nftables ruleset as CRIU saved it, with its lock table
  # (policy drop, marked packets accepted) in place; the traffic after the
  # restore shows the table gone.
  strings "$WORK"/img/nftables-*.img | grep -q "table inet CRIU" ||
    fail "the saved nftables ruleset holds no CRIU table: $(strings "$WORK"/img/nftables-*.img | tr '\n' ' ')"
  ! ls "$WORK"/img/iptables-*.img >/dev/null 2>&1 || fail "iptables rules were saved although there is no iptables"
  note "$lines lines before the dump, $(received tcpn) after, locked by $(strings "$WORK"/img/nftables-*.img | grep -m 1 '^table')"
  "$RT" delete --force tcpn || fail "delete after restore"
}

# ---- setup -------------------------------------------------------------------

# Once per VM, before the tests: the kernel modules suite-criu.sh staged,
# in dependency order, and what CRIU makes of the kernel, for the report.
criu_vm_setup() {
  dir=/lib/modules/$(uname -r)
  loaded=""
  while read -r file; do
    name=$(basename "$file" .ko)
    if ! grep -q "^$name " /proc/modules && ! insmod "$dir/$file" 2>/tmp/insmod.err; then
      echo "BERTH-VM-NOTE could not load $name: $(cat /tmp/insmod.err)"
      continue
    fi
    loaded="$loaded $name"
  done <"$dir/criu-load-order"
  echo "BERTH-VM-NOTE modules loaded:$loaded"
  echo "BERTH-VM-NOTE $(criu --version 2>&1 | head -n 1) at $(command -v criu)"
  # CRIU probes TCP repair on a loopback connection in its own namespace,
  # and /init leaves the VM's loopback down.
  ip link set lo up
  # What `criu check --all` still misses, for the report (criu_check fails
  # only on what the tests need).
  criu check --all 2>&1 | grep -E '^(Error|Warn)' | sed 's/^/BERTH-VM-NOTE criu check --all: /'
  # Every container here binds its output directory at /out.
  mkdir -p /bundle/rootfs/out
}

# Only the run of every test sets up: "one" and "cleanup" (after each
# test) find it done.
if [ "$#" -eq 0 ]; then
  criu_vm_setup
fi

# shellcheck source=tests/vm/vm-lib.sh
. /tests/vm-lib.sh
vm_main "$@"
