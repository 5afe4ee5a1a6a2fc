#!/bin/bash
# demo.sh BERTH
#
# Runs one busybox container with BERTH and shows what it sees: its
# hostname, its identity, its process list (only itself: it has its own PID
# namespace) and its mount table. Everything it makes is removed on exit.
set -u

BERTH=${1:-}
if [ -z "$BERTH" ] || [ ! -x "$BERTH" ]; then
  echo "usage: demo.sh PATH-TO-BERTH" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-demo.XXXXXX") || exit 1
id="berth-demo-$$-$RANDOM"
# A state root of the demo's own: the default, /run/berth, would be made
# and left behind on a host that had none.
root=$work/state
cleanup() {
  # --force succeeds for a container that is already gone, so this is safe
  # whether the run got as far as creating it or not.
  "$BERTH" --root "$root" delete --force "$id" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

script='echo "== hostname"; hostname; echo "== id"; id; echo "== processes"; ps; echo "== mounts"; cat /proc/self/mounts'
RUNTIME=$BERTH "$here/make-bundle.sh" "$work/bundle" sh -c "$script" || exit 1

echo "== running container $id with $BERTH"
"$BERTH" --root "$root" run --bundle "$work/bundle" "$id"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "demo: container $id failed with exit status $rc" >&2
  exit "$rc"
fi
echo "== container $id exited cleanly"
