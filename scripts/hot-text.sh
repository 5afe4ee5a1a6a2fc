#!/usr/bin/env bash
# Regenerates src/hot-text.ld (see scripts/hot-text.py) from the functions
# that `berth run` of /bin/true executes, then those that create, start,
# exec, kill and delete add (placed after run's). Run as root after
# changing what these execute; the build uses the script only for the
# static x86_64 link.
#
# Usage: scripts/hot-text.sh [BERTH]   (default: build/berth)
# Runs in a private mount namespace with cgroup2 hidden, as bench/run.sh.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bench/lib.sh"
BERTH=$(realpath -- "${1:-$REPO_DIR/build/berth}")
in_private_namespace "${BASH_SOURCE[0]}" "$BERTH"
use_plain_cgroup_v1

WORK=$(mktemp -d /tmp/berth-hot-text.XXXXXX)
cleanup() {
	force_delete_all "$WORK/root" "$BERTH" --root "$WORK/root"
	rm -rf "$WORK"
}
trap cleanup EXIT
"$REPO_DIR/scripts/make-bundle.sh" "$WORK/bundle" /bin/true >/dev/null
"$REPO_DIR/scripts/make-bundle.sh" "$WORK/sleeper" sleep 60 >/dev/null
mkdir "$WORK/root"
# Two runs: the first goes through the read-only view of the binary, whose
# re-executed image the probes (on the binary's own file) do not see; the
# second stays in one image, so its start-up, create and init are seen.
cat >"$WORK/run.sh" <<RUN
#!/bin/sh
set -e
"$BERTH" --root "$WORK/root" run -b "$WORK/bundle" hot-text-a
export BERTH_NO_CLONED_BINARY=1
"$BERTH" --root "$WORK/root" run -b "$WORK/bundle" hot-text-b
"$BERTH" --root "$WORK/root" create -b "$WORK/sleeper" hot-text-c
"$BERTH" --root "$WORK/root" start hot-text-c
"$BERTH" --root "$WORK/root" exec hot-text-c /bin/true
"$BERTH" --root "$WORK/root" kill hot-text-c KILL
"$BERTH" --root "$WORK/root" delete -f hot-text-c
RUN
chmod +x "$WORK/run.sh"
"$REPO_DIR/scripts/hot-text.py" "$BERTH" "$REPO_DIR/src/hot-text.ld" -- "$WORK/run.sh"
