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
