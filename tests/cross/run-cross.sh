#!/bin/bash
# Cross-builds berth for other architectures and runs its unit tests there
# under qemu-user: `make check-cross`. For each ARCH (default: all of
# scripts/cross-arch.sh's), the build (scripts/cross-build.sh), berth's own
# view of the architecture (`berth features`), and each unit test program
# count; programs that need what qemu-user does not emulate are skipped,
# saying why. Ends with "N passed, N failed, N skipped".
#
# usage: tests/cross/run-cross.sh [ARCH...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/cross-arch.sh
. "$root/scripts/cross-arch.sh"
arches=${*:-$CROSS_ARCHES}

# skip_reason ARCH PROGRAM: unit test programs whose subject qemu-user 7.2
# (bookworm's) does not pass through to the kernel or emulates
# differently. Everything else runs.
skip_reason() {
  if [ "$1 $2" = "s390x test_netdev" ]; then
    echo "qemu-user 7.2 does not convert the attributes of netlink requests from a big-endian target (IFLA_NET_NS_FD reaches the kernel byte-swapped: EBADF)"
    return 0
  fi
  case $2 in
    test_devices_bpf) echo "bpf(2) is not emulated by qemu-user (ENOSYS)" ;;
    test_idmap) echo "qemu-user refuses clone(2) with namespace flags (EINVAL)" ;;
    test_keyring|test_lsm|test_rootfs|test_hostcheck) echo "openat2(2) is not emulated by qemu-user (ENOSYS)" ;;
    test_proc_controls) echo "set_mempolicy(2) is not emulated and uname(2) answers for the emulated CPU" ;;
    test_seccomp) echo "a filter would be loaded into the emulator itself (an x86-64 process), so what it does says nothing of the target; test_arch checks the target's filter" ;;
    *) return 1 ;;
  esac
}

passed=0 failed=0 skipped=0

pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# run_unit ARCH PROGRAM: adds the program's own "N passed, N failed".
run_unit() {
  local arch=$1 prog=$2 name log rc line p f
  name=$(basename "$prog")
  log=$(mktemp)
  (cd "$root" && timeout 300 "qemu-$qemu-static" -L "$sysroot" "$prog") >"$log" 2>&1
  rc=$?
  line=$(grep -E '^[a-z_0-9]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  passed=$((passed + ${p:-0}))
  if [ -n "$line" ] && [ "$rc" -eq 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "ok   $arch $name: ${line#*: }"
  else
    [ "${f:-0}" -gt 0 ] || f=1 # crashed or did not say
    failed=$((failed + f))
    echo "FAIL $arch $name (exit status $rc): ${line:-no summary}"
    sed 's/^/    /' "$log" | tail -30
  fi
  rm -f "$log"
}

# check_features ARCH: the cross-built berth runs and names the native
# seccomp architecture among those it supports.
check_features() {
  local arch=$1 build=$2 native out
  native=$(scmp_native_name "$arch")
  out=$("qemu-$qemu-static" -L "$sysroot" "$build/berth" features 2>&1)
  if jq -e --arg a "$native" '.linux.seccomp.archs | index($a) != null' <<<"$out" >/dev/null; then
    pass "$arch berth features lists $native"
  else
    fail "$arch berth features lists $native: $out"
  fi
}

scmp_native_name() {
  case $1 in
    arm64) echo SCMP_ARCH_AARCH64 ;; ppc64le) echo SCMP_ARCH_PPC64LE ;;
    s390x) echo SCMP_ARCH_S390X ;; riscv64) echo SCMP_ARCH_RISCV64 ;;
  esac
}

for arch in $arches; do
  cross_arch "$arch" || { fail "$arch: unknown architecture"; continue; }
  build=$root/build-cross-$arch
  start=$SECONDS
  log=$(mktemp "${TMPDIR:-/tmp}/berth-cross-build.XXXXXX")
  if (cd "$root" && scripts/cross-build.sh "$arch") >"$log" 2>&1; then
    pass "$arch build ($((SECONDS - start)) s)"
    rm -f "$log"
  else
    fail "$arch build"
    tail -30 "$log" | sed 's/^/    /'
    rm -f "$log"
    continue
  fi
  check_features "$arch" "$build"
  for prog in "$build"/test_*; do
    if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then
      continue
    fi
    if reason=$(skip_reason "$arch" "$(basename "$prog")"); then
      skipped=$((skipped + 1))
      echo "skip $arch $(basename "$prog"): $reason"
    else
      run_unit "$arch" "$prog"
    fi
  done
  echo "--- $arch done in $((SECONDS - start)) s"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
