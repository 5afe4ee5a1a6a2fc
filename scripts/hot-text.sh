#!/usr/bin/env bash
# Regenerates src/hot-text.ld (see scripts/hot-text.py) from the functions
# that `berth run` of /bin/true executes, then those that create, start,
# exec, kill and delete add (placed after run's). Run as root after
# changing what these execute; the build uses the script only for the
# static x86_64 link.
#
# Usage: scripts/hot-text.sh [BERTH]   (default: build/berth)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BERTH=$(realpath "${1:-$REPO/build/berth}")
[[ $EUID -eq 0 ]] || { echo "hot-text: must run as root" >&2; exit 1; }
if [[ "${HOT_TEXT_IN_NAMESPACE:-}" != 1 ]]; then
	exec unshare --mount --propagation private env HOT_TEXT_IN_NAMESPACE=1 bash "$0" "$@"
fi
WORK=$(mktemp -d /tmp/berth-hot-text.XXXXXX)
cleanup() {
	"$BERTH" --root "$WORK/root" delete -f hot-text-a >/dev/null 2>&1 || true
	"$BERTH" --root "$WORK/root" delete -f hot-text-b >/dev/null 2>&1 || true
	"$BERTH" --root "$WORK/root" delete -f hot-text-c >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
# As the benchmark sees the host: the v1 hierarchies only.
! mountpoint -q /sys/fs/cgroup/unified || umount /sys/fs/cgroup/unified
"$REPO/scripts/make-bundle.sh" "$WORK/bundle" /bin/true >/dev/null
"$REPO/scripts/make-bundle.sh" "$WORK/sleeper" sleep 60 >/dev/null
mkdir "$WORK/root"
# Two runs: the first goes through the read-only view of the binary, whose
# re-executed image the probes (on the binary's own file) do not see; the
# second stays in one image, so its start-up, create and init are seen.
cat >"$WORK/run.sh" <<RUN
#!/bin/sh
set -e
"$BERTH" --root "$WORK/root" run -b "$WORK/bundle" hot-text-a
BERTH_NO_CLONED_BINARY=1 "$BERTH" --root "$WORK/root" run -b "$WORK/bundle" hot-text-b
export BERTH_NO_CLONED_BINARY=1
"$BERTH" --root "$WORK/root" create -b "$WORK/sleeper" hot-text-c
"$BERTH" --root "$WORK/root" start hot-text-c
"$BERTH" --root "$WORK/root" exec hot-text-c /bin/true
"$BERTH" --root "$WORK/root" kill hot-text-c KILL
"$BERTH" --root "$WORK/root" delete -f hot-text-c
RUN
chmod +x "$WORK/run.sh"
"$REPO/scripts/hot-text.py" "$BERTH" "$REPO/src/hot-text.ld" -- "$WORK/run.sh"
