#!/bin/sh
# The core lifecycle on arm64 (suite-arm64.sh): berth cross-built for
# aarch64 in a VM of that architecture (qemu-system-aarch64, TCG), run by
# the VM's /init as root on a pure cgroup2 host (busybox sh). Kept short:
# emulating another architecture is slow. The helpers are /tests/vm-lib.sh.
#
#   arm64-tests.sh               every test (or those BERTH_VM_TESTS names)
#   arm64-tests.sh one NAME      a single test
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
arch
run
exec
kill_delete
seccomp_errno
pids_limit
memory_limit
unit_arch
unit_seccomp
unit_proc_controls
unit_devices_bpf
unit_keyring
unit_lsm
unit_hostcheck
"

# A cgroup namespace, so that /sys/fs/cgroup inside is the container's own.
CGROUPNS='.linux.namespaces += [{"type": "cgroup"}]'

# ---- tests -------------------------------------------------------------------

# The VM, the runtime and the container all run aarch64 code.
t_arch() {
  [ "$(uname -m)" = aarch64 ] || fail "the VM's machine is $(uname -m)"
  bundle arch 'uname -m'
  run_fg arch || fail "run failed: $(tail -n 3 "$WORK/arch.err")"
  out_has arch '^aarch64$' || fail "the container says $(cat "$WORK/arch.out")"
}

# run in the foreground: the container's exit status comes back, and the
# container and its cgroup are gone afterwards.
t_run() {
  bundle fg 'echo hello-from-$(hostname); exit 3' '.hostname = "arm64ct"'
  run_fg fg
  rc=$?
  [ "$rc" = 3 ] || fail "run returned $rc for a container that exits with 3; err: $(tail -n 3 "$WORK/fg.err")"
  out_has fg '^hello-from-arm64ct$' || fail "output: $(cat "$WORK/fg.out")"
  [ -z "$("$RT" list -q)" ] || fail "run left $("$RT" list -q) behind"
  [ ! -e "$(cgdir fg)" ] || fail "run left $(cgdir fg) behind"
}

# exec joins the running container: its pid namespace (the init, sleep,
# is its pid 1) and its cgroup.
t_exec() {
  bundle ex 'echo up; exec sleep 60' "$CGROUPNS"
  run_bg ex
  wait_out ex '^up'
  got=$("$RT" exec ex sh -c 'cat /proc/1/comm /proc/self/cgroup' 2>"$WORK/ex.xerr") ||
    fail "exec failed: $(tail -n 2 "$WORK/ex.xerr")"
  [ "$(echo "$got" | sed -n 1p)" = sleep ] ||
    fail "an exec'd process sees '$(echo "$got" | sed -n 1p)' as pid 1"
  [ "$(echo "$got" | sed -n 2p)" = "0::/" ] ||
    fail "an exec'd process sees its cgroup as '$(echo "$got" | sed -n 2p)'"
  [ "$(status_of ex)" = running ] || fail "status after exec: $(status_of ex)"
}

# kill stops the init with the signal given; delete removes the state and
# the cgroup; a second delete fails.
t_kill_delete() {
  bundle kd 'trap "exit 7" TERM; echo up; sleep 60 & wait'
  run_bg kd
  wait_out kd '^up'
  init=$(pid_of kd)
  "$RT" kill kd TERM || fail "kill failed"
  wait_for 10 sh -c "[ \"\$($RT state kd 2>/dev/null | jq -r .status)\" = stopped ]" ||
    fail "the container is not stopped 10 s after SIGTERM"
  expect_dead 2 "kill TERM" "$init"
  "$RT" delete kd || fail "delete failed: exit $?"
  wait_for 2 gone "$(cgdir kd)" || fail "delete left $(cgdir kd) behind"
  "$RT" state kd >/dev/null 2>&1 && fail "state still knows kd after delete"
  "$RT" delete kd 2>/dev/null && fail "a second delete succeeded"
  return 0
}

# A profile that denies mkdir (mkdirat: arm64 has no mkdir(2)) with EPERM
# and lets everything else through, written for SCMP_ARCH_AARCH64.
t_seccomp_errno() {
  bundle sc 'mkdir /tmp/x 2>&1; echo mkdir=$?; [ -d /tmp/x ] && echo made; echo done' \
    '.process.noNewPrivileges = true
     | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
                         "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
                         "syscalls": [{"names": ["mkdir", "mkdirat"],
                                       "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  run_fg sc || fail "run failed: $(tail -n 3 "$WORK/sc.err")"
  out_has sc '^done' || fail "the container did not finish: $(cat "$WORK/sc.out")"
  out_has sc '^made' && fail "mkdir worked under a profile that denies it"
  out_has sc 'ermitted' || fail "mkdir did not fail with EPERM: $(cat "$WORK/sc.out")"
  out_has sc '^mkdir=1' || fail "mkdir's status: $(cat "$WORK/sc.out")"
}

# pids.max seen from inside: forks beyond the limit fail.
t_pids_limit() {
  bundle pids 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 20 & done; echo all-forked"
               echo max=$(cat /sys/fs/cgroup/pids.max)
               n=0; for p in /proc/[0-9]*; do n=$((n + 1)); done; echo procs=$n
               exec sleep 30' \
    '.linux.resources.pids = {"limit": 5} | '"$CGROUPNS"
  run_bg pids
  wait_out pids '^procs='
  out_has pids '^max=5$' || fail "pids.max inside: $(grep max= "$WORK/pids.out")"
  out_has pids all-forked && fail "10 background sleeps started under pids.limit 5"
  n=$(sed -n 's/^procs=//p' "$WORK/pids.out")
  [ "$n" -le 5 ] || fail "$n processes inside under pids.limit 5"
}

# memory.max and memory.swap.max seen from inside (swap is memory+swap in
# the spec, as runc has it).
t_memory_limit() {
  bundle mem 'echo max=$(cat /sys/fs/cgroup/memory.max) swap=$(cat /sys/fs/cgroup/memory.swap.max)' \
    '.linux.resources.memory = {"limit": 33554432, "swap": 50331648} | '"$CGROUPNS"
  run_fg mem || fail "run failed: $(tail -n 3 "$WORK/mem.err")"
  out_has mem '^max=33554432 swap=16777216$' || fail "inside: $(cat "$WORK/mem.out") $(cat "$WORK/mem.err")"
}

# unit_test NAME: a unit test program (suite-arm64.sh stages those qemu-user
# cannot run) on this real arm64 kernel; its own checks decide.
unit_test() {
  [ -x "/tests/unit/$1" ] || skip "/tests/unit/$1 is not staged"
  (cd "$WORK" && "/tests/unit/$1") >"$WORK/$1.log" 2>&1 ||
    fail "$(grep -E ' passed, [0-9]+ failed' "$WORK/$1.log" | tail -n 1); $(grep -v ' passed, ' "$WORK/$1.log" | tail -n 4 | tr '\n' ' ')"
}

# test_arch: the seccomp architecture, syscall numbers, struct layouts and
# raw clone(2) against the real kernel.
t_unit_arch() { unit_test test_arch; }
# test_seccomp: filters loaded and enforced by an arm64 kernel.
t_unit_seccomp() { unit_test test_seccomp; }
# test_proc_controls: personality LINUX32 is armv8l here, the scheduler,
# I/O priority and memory policy.
t_unit_proc_controls() { unit_test test_proc_controls; }
# test_devices_bpf: the eBPF device filter attached to a cgroup; test_keyring
# and test_lsm: keyctl and the procfs attr files reached with openat2.
t_unit_devices_bpf() { unit_test test_devices_bpf; }
t_unit_keyring() { unit_test test_keyring; }
t_unit_lsm() { unit_test test_lsm; }
# test_hostcheck: berth check's probes and its program lookup in a rootfs,
# which goes through openat2.
t_unit_hostcheck() { unit_test test_hostcheck; }

TEST_TIMEOUT=120
. /tests/vm-lib.sh
vm_main "$@"
