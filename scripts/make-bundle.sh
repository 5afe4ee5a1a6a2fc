#!/bin/bash
# make-bundle.sh DIR [ARG...]
#
# Makes an OCI bundle in DIR: DIR/rootfs holds a static busybox and its
# applet symlinks, a minimal /etc/passwd and /etc/group, and DIR/config.json
# comes from `$RUNTIME spec` with process.args set to ARG... (default: sh)
# and process.terminal false, so the bundle runs without a tty.
#
# RUNTIME defaults to runc: the tests want a config that does not depend on
# the `spec` command of the runtime they are testing.
set -u
set -o pipefail

die() { echo "make-bundle: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: make-bundle.sh DIR [ARG...]"
dir=$1
shift
RUNTIME=${RUNTIME:-runc}

busybox=
for b in /bin/busybox /usr/bin/busybox; do
  [ -x "$b" ] && busybox=$b && break
done
[ -n "$busybox" ] || die "busybox not found (install busybox-static)"
# A dynamically linked busybox would not run inside the bare rootfs.
if command -v file >/dev/null 2>&1 && file -L "$busybox" | grep -q 'dynamically linked'; then
  die "$busybox is dynamically linked (install busybox-static)"
fi

mkdir -p "$dir" || die "cannot create $dir"
rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home,run,var/tmp} ||
  die "cannot create $rootfs"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
cp "$busybox" "$rootfs/bin/busybox" || die "cannot copy busybox"

# The symlinks name the applets of the copied busybox itself, so the list
# matches the binary the container will run. Its own --install (run inside
# the rootfs so the links point at /bin/busybox there) is one process instead
# of hundreds; the loop is the fallback where chroot is not possible.
if ! chroot "$rootfs" /bin/busybox --install -s /bin 2>/dev/null; then
  "$rootfs/bin/busybox" --list | while read -r applet; do
    [ -e "$rootfs/bin/$applet" ] || [ -L "$rootfs/bin/$applet" ] ||
      ln -s busybox "$rootfs/bin/$applet"
  done || die "cannot create applet links"
fi

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
GROUP

# `spec` refuses to overwrite, and a stale config would hide a broken run.
rm -f "$dir/config.json"
(cd "$dir" && "$RUNTIME" spec) || die "$RUNTIME spec failed"

args_json='["sh"]'
if [ $# -gt 0 ]; then
  # One --arg per word: jq's own --args would take words such as "-c" as
  # its options.
  args_json=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -cs .) || die "jq failed"
fi
jq --argjson args "$args_json" '.process.args = $args | .process.terminal = false' \
  "$dir/config.json" >"$dir/config.json.new" &&
  mv "$dir/config.json.new" "$dir/config.json" || die "cannot adjust config.json"
