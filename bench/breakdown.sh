#!/usr/bin/env bash
# Where the time of one `berth run` of /bin/true goes: traces N runs with
# strace (only the marker syscalls of bench/breakdown.py, filtered by
# seccomp-bpf) and prints the median of each phase.
#
# Usage: bench/breakdown.sh [BERTH] [RUNS]   (as root; default 15 runs)
# BERTH_NO_CLONED_BINARY=1 in the environment traces berth without its
# sealed copy. Runs in a private mount namespace with cgroup2 hidden, as
# bench/run.sh does.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BERTH=$(realpath -m -- "${1:-$REPO_DIR/build/berth}")
RUNS=${2:-15}

in_private_namespace "${BASH_SOURCE[0]}" "$BERTH" "$RUNS"
use_plain_cgroup_v1

WORK=$(mktemp -d /tmp/berth-breakdown.XXXXXX)
trap 'for d in "$WORK"/root/*/; do [[ -d "$d" ]] && "$WORK/berth" --root "$WORK/root" delete -f "$(basename "$d")" 2>/dev/null; done; rm -rf "$WORK"' EXIT
cp "$BERTH" "$WORK/berth"
"$REPO_DIR/scripts/make-bundle.sh" "$WORK/bundle" /bin/true >/dev/null

MARKERS=execve,execveat,memfd_create,socketpair,clone3,fsync,renameat,pivot_root,mount,mknodat,mkdir,rmdir,wait4,exit_group,write,openat
for ((i = 0; i < RUNS; i++)); do
	strace -f --seccomp-bpf -ttt -T -e trace=$MARKERS -o "$WORK/trace.$i" \
		"$WORK/berth" --root "$WORK/root" run -b "$WORK/bundle" "breakdown-$$-$i" </dev/null >/dev/null
done
"$BENCH_DIR/breakdown.py" "$WORK"/trace.*
