#!/usr/bin/env bash
# Where the time of `berth run` goes next to `crun run` and `floor
# --cgroups`, phase by phase, with little disturbance: ftrace records raw
# syscall entry and exit, user page faults, and the exec, fork and exit of
# every process the run starts (a tracing instance of our own, removed at
# the end), and bench/timeline.py prints the median of each phase and of
# the counts. Alternates berth, crun (when installed; CRUN= names another)
# and the floor, N runs each.
#
# Usage: bench/timeline.sh [BERTH] [N]   (as root; default 15 runs)
# TIMELINE_KEEP=DIR keeps the raw traces there (berth.N, crun.N, floor.N).
# Runs in a private mount namespace with cgroup2 hidden, as bench/run.sh.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BERTH=$(realpath -m -- "${1:-$REPO_DIR/build/berth}")
RUNS=${2:-15}

in_private_namespace "${BASH_SOURCE[0]}" "$BERTH" "$RUNS"
use_plain_cgroup_v1

TRACEFS=/sys/kernel/tracing
# Mounted in our namespace only, where the host has not mounted it.
mountpoint -q "$TRACEFS" || mount -t tracefs nodev "$TRACEFS"
INSTANCE=$TRACEFS/instances/berth-timeline-$$
WORK=$(mktemp -d /tmp/berth-timeline.XXXXXX)
cleanup() {
	[[ -d "$INSTANCE" ]] && { echo 0 >"$INSTANCE/tracing_on"; rmdir "$INSTANCE"; }
	release_cpuset_warm
	force_delete_all "$WORK/state/berth" "$WORK/berth" --root "$WORK/state/berth"
	[[ -z "${CRUN:-}" ]] || force_delete_all "$WORK/state/crun" "$CRUN" --root "$WORK/state/crun"
	! mountpoint -q "$WORK/state" || umount "$WORK/state"
	rm -rf "$WORK"
}
trap cleanup EXIT
# As bench/run.sh: both see the kernel's cpuset code switched on.
hold_cpuset_warm "berth-timeline-$$"
# The state roots on a tmpfs, as bench/run.sh keeps them.
mkdir "$WORK/state"
mount -t tmpfs -o mode=700,size=64m timeline-state "$WORK/state"
mkdir "$WORK/state/berth" "$WORK/state/crun"
CRUN=${CRUN:-$(command -v crun || true)}
[[ -n "$CRUN" ]] || echo "timeline: crun not installed, its column is left out" >&2
mkdir "$INSTANCE"
# A new instance records from the start: off until the first traced command.
echo 0 >"$INSTANCE/tracing_on"
echo 16384 >"$INSTANCE/buffer_size_kb"
echo 1 >"$INSTANCE/options/event-fork"
for event in raw_syscalls/sys_enter raw_syscalls/sys_exit sched/sched_process_exec \
	sched/sched_process_fork sched/sched_process_exit exceptions/page_fault_user; do
	echo 1 >"$INSTANCE/events/$event/enable"
done

cp "$BERTH" "$WORK/berth"
FLOOR=${FLOOR:-$(dirname "$BERTH")/floor}
[[ -x "$FLOOR" ]] || FLOOR=$REPO_DIR/build/floor
"$REPO_DIR/scripts/make-bundle.sh" "$WORK/bundle" /bin/true >/dev/null

# trace OUT CMD...: CMD and its descendants, from its exec to its exit.
trace() {
	local out=$1
	shift
	echo >"$INSTANCE/trace"
	bash -c 'echo $$ >"$1/set_event_pid"; echo 1 >"$1/tracing_on"; shift; exec "$@"' \
		trace "$INSTANCE" "$@" </dev/null >/dev/null
	echo 0 >"$INSTANCE/tracing_on"
	echo >"$INSTANCE/set_event_pid"
	cat "$INSTANCE/trace" >"$out"
}

for ((i = 0; i < RUNS; i++)); do
	trace "$WORK/berth.$i" "$WORK/berth" --root "$WORK/state/berth" run -b "$WORK/bundle" "timeline-$$-$i"
	[[ -z "$CRUN" ]] || trace "$WORK/crun.$i" "$CRUN" --root "$WORK/state/crun" run -b "$WORK/bundle" "timeline-$$-$i"
	trace "$WORK/floor.$i" "$FLOOR" --cgroups "$WORK/bundle/rootfs"
done
shopt -s nullglob
"$BENCH_DIR/timeline.py" "$WORK"/berth.* -- "$WORK"/floor.* -- "$WORK"/crun.*
if [[ -n "${TIMELINE_KEEP:-}" ]]; then
	mkdir -p "$TIMELINE_KEEP"
	cp "$WORK"/berth.* "$WORK"/crun.* "$WORK"/floor.* "$TIMELINE_KEEP"/
fi
