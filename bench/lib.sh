# Sourced first by the bench scripts: strict mode, where the bench and the
# repository are, and the private mount namespace they all run in.
set -euo pipefail
export LC_ALL=C
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")

# in_private_namespace SCRIPT ARGS...: re-executes SCRIPT as root in a mount
# namespace of its own (once; BENCH_IN_NAMESPACE marks the second run).
in_private_namespace() {
	[[ "${BENCH_IN_NAMESPACE:-}" != 1 ]] || return 0
	[[ $EUID -eq 0 ]] || { echo "$1: must run as root" >&2; exit 1; }
	exec unshare --mount --propagation private env BENCH_IN_NAMESPACE=1 bash "$@"
}

# Only the v1 hierarchies stay visible. A tmpfs of our own covers the spot
# where cgroup2 was, so anything a runtime writes there vanishes with us
# instead of landing in the host's /sys/fs/cgroup tmpfs (crun refuses the
# hybrid layout, and still writes a directory under unified).
use_plain_cgroup_v1() {
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o mode=755,size=16m bench-unified /sys/fs/cgroup/unified
	fi
}

# force_delete_all ROOT CMD...: `CMD... delete --force ID` for every
# container whose state directory is under ROOT.
force_delete_all() {
	local root=$1 dir
	shift
	for dir in "$root"/*/; do
		[[ -d "$dir" ]] || continue
		dir=${dir%/}
		"$@" delete --force "${dir##*/}" >/dev/null 2>&1 || true
	done
}

# hold_cpuset_warm NAME: an empty cpuset cgroup NAME, held until
# release_cpuset_warm. The kernel switches its cpuset code on (a static key:
# its code patched on every CPU) when a first cpuset cgroup appears below
# the root, and off again 10 to 30 ms after the last one is removed. So a
# run's cpuset mkdir costs 2 to 5 ms, or 0.1 ms, depending on how long ago
# the run before it removed its cgroup: back to back, a runtime that follows
# another that made cgroups pays nothing, and one that follows the floor
# without cgroups pays it all. With one held, every runtime and the floor
# meet the kernel as on a host that runs any other container.
hold_cpuset_warm() {
	[[ -d /sys/fs/cgroup/cpuset ]] || return 0
	mkdir "/sys/fs/cgroup/cpuset/$1" && CPUSET_WARM=/sys/fs/cgroup/cpuset/$1
}

release_cpuset_warm() {
	[[ -z "${CPUSET_WARM:-}" ]] || rmdir "$CPUSET_WARM"
	CPUSET_WARM=
}

# leftover_cgroups PATTERN...: cgroup directories named by one of the
# patterns, deepest first, in the real hierarchies only (the tmpfs over
# unified is ours and goes away with the namespace).
leftover_cgroups() {
	local hierarchy pattern
	local -a names=()
	for pattern in "$@"; do names+=(-o -name "$pattern"); done
	for hierarchy in /sys/fs/cgroup/*/; do
		[[ "$(stat -f -c %T "$hierarchy")" == cgroupfs ]] || continue
		find "$hierarchy" -mindepth 1 -maxdepth 4 -depth -type d \( "${names[@]:1}" \) 2>/dev/null || true
	done
}
