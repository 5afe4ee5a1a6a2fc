#!/usr/bin/env bats
# The container's filesystem: readonly root, masked and readonly paths,
# mounts from config.json, devices and /dev symlinks.

load ../lib/helpers

# mount_opts MOUNTPOINT: the options column of /proc/self/mounts in $stdout.
mount_opts() {
  awk -v m="$1" '$2 == m { o = $4 } END { print o }' <<<"$stdout"
}

@test "mounts: readonly root" {
  cfg '.root.readonly = true'
  run_container 'touch /probe 2>&1 && echo wrote; cat /proc/self/mounts'
  assert_status 0
  assert_not_contains "$stdout" wrote
  assert_contains "$stdout" "Read-only file system"
  [[ "$(mount_opts /)" == ro,* ]]
}

@test "mounts: writable root" {
  cfg '.root.readonly = false'
  run_container 'touch /probe && echo wrote'
  assert_status 0
  [ "$stdout" = wrote ]
  [ -f "$BUNDLE/rootfs/probe" ]
}

@test "mounts: the rootfs is / and the host is out of reach" {
  run_container 'ls /bin/busybox; cat /proc/self/mounts'
  assert_status 0
  assert_contains "$stdout" /bin/busybox
  # No mount point of the host's is visible.
  assert_not_contains "$stdout" "$BATS_RUN_TMPDIR"
  assert_not_contains "$stdout" " /work"
}

@test "mounts: masked paths read empty (/proc/kcore) and masked dirs are empty" {
  # Some kernels have no /proc/kcore; the other masked files of the default
  # spec show the same thing.
  local f files=""
  for f in /proc/kcore /proc/keys /proc/timer_list; do
    [ -e "$f" ] && files="$files $f"
  done
  [ -n "$files" ] || skip "none of the masked /proc files exists on this kernel"
  run_container "for f in $files; do echo \"\$f \$(wc -c < \$f)\"; done;
                 echo \"acpi \$(ls -A /proc/acpi | wc -l)\"; echo \"firmware \$(ls -A /sys/firmware | wc -l)\""
  assert_status 0
  for f in $files; do
    grep -qE "^$f +0\$" <<<"$stdout" || fail "$f is not empty"
  done
  grep -qE '^acpi +0$' <<<"$stdout"
  grep -qE '^firmware +0$' <<<"$stdout"
}

@test "mounts: a masked path from config.json" {
  cfg '.linux.maskedPaths += ["/etc/group"]'
  run_container 'wc -c < /etc/group; cat /etc/passwd | head -1'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout" | tr -d ' ')" = 0 ]
  [ "$(sed -n 2p <<<"$stdout")" = "root:x:0:0:root:/root:/bin/sh" ]
}

@test "mounts: masked path that does not exist is ignored" {
  cfg '.linux.maskedPaths += ["/does/not/exist"]'
  run_container 'true'
  assert_status 0
}

@test "mounts: readonly paths (/proc/sys)" {
  run_container 'echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo wrote; cat /proc/self/mounts'
  assert_status 0
  assert_not_contains "$stdout" wrote
  [[ "$(mount_opts /proc/sys)" == ro,* ]]
}

@test "mounts: a readonly path from config.json" {
  cfg '.root.readonly = false | .linux.readonlyPaths += ["/tmp"]'
  run_container 'touch /tmp/x 2>/dev/null && echo wrote; cat /proc/self/mounts'
  assert_status 0
  assert_not_contains "$stdout" wrote
  [[ "$(mount_opts /tmp)" == ro,* ]]
}

@test "mounts: tmpfs with options" {
  cfg '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "size=1024k", "mode=1770"]}]'
  run_container 'echo hi > /scratch/f && cat /scratch/f; stat -c %a /scratch; cat /proc/self/mounts'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = hi ]
  [ "$(sed -n 2p <<<"$stdout")" = 1770 ]
  local o
  o=$(mount_opts /scratch)
  assert_contains "$o" nosuid
  assert_contains "$o" nodev
  assert_contains "$o" size=1024k
}

@test "mounts: a mount point is created on a readonly root" {
  cfg '.root.readonly = true | .mounts += [{"destination": "/new/mount/point", "type": "tmpfs", "source": "tmpfs"}]'
  run_container 'touch /new/mount/point/f && echo ok'
  assert_status 0
  [ "$stdout" = ok ]
}

@test "mounts: bind mount, read-write" {
  add_bind "$TEST_DIR/shared" /shared
  echo from-host >"$TEST_DIR/shared/in"
  run_container 'cat /shared/in; echo from-container > /shared/out'
  assert_status 0
  [ "$stdout" = from-host ]
  [ "$(cat "$TEST_DIR/shared/out")" = from-container ]
}

@test "mounts: bind mount with ro" {
  add_bind "$TEST_DIR/shared" /shared '["bind", "ro"]'
  echo from-host >"$TEST_DIR/shared/in"
  run_container 'cat /shared/in; echo x > /shared/out 2>/dev/null && echo wrote; cat /proc/self/mounts'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = from-host ]
  assert_not_contains "$stdout" wrote
  [[ "$(mount_opts /shared)" == ro,* ]]
  [ ! -e "$TEST_DIR/shared/out" ]
}

@test "mounts: bind mount of a single file" {
  echo file-content >"$TEST_DIR/one-file"
  cfg '.mounts += [{"destination": "/etc/one-file", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' \
    --arg s "$TEST_DIR/one-file"
  run_container 'cat /etc/one-file'
  assert_status 0
  [ "$stdout" = file-content ]
}

@test "mounts: rro makes a recursive bind read-only all the way down" {
  mkdir -p "$TEST_DIR/tree/sub"
  cfg '.mounts += [{"destination": "/tree", "type": "bind", "source": $s, "options": ["rbind", "rw"]},
                   {"destination": "/tree/sub", "type": "tmpfs", "source": "tmpfs"},
                   {"destination": "/rtree", "type": "bind", "source": $s, "options": ["rbind", "rro"]}]' \
    --arg s "$TEST_DIR/tree"
  run_container 'touch /tree/ok && echo rw-ok; touch /rtree/no 2>/dev/null && echo wrote; cat /proc/self/mounts'
  assert_status 0
  assert_contains "$stdout" rw-ok
  assert_not_contains "$stdout" wrote
  [[ "$(mount_opts /rtree)" == ro,* ]]
}

@test "mounts: listed order is kept (a later mount covers an earlier one)" {
  cfg '.mounts += [{"destination": "/layer", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
                   {"destination": "/layer", "type": "tmpfs", "source": "tmpfs", "options": ["size=2m"]}]'
  run_container 'cat /proc/self/mounts'
  assert_status 0
  [ "$(mount_opts /layer | grep -o 'size=[0-9a-z]*')" = size=2048k ]
}

@test "mounts: a bind of a missing source fails and leaves nothing" {
  cfg '.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent/berth-test", "options": ["bind"]}]'
  run_container 'true'
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "mounts: default /dev, /dev/pts, /dev/shm, /dev/mqueue, /proc, /sys" {
  run_container 'cat /proc/self/mounts'
  assert_status 0
  local m
  for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do
    awk -v m="$m" '$2 == m { found = 1 } END { exit !found }' <<<"$stdout" || fail "$m not mounted"
  done
}

@test "devices: /dev/null is char 1:3 and works" {
  run_container 'stat -c "%F %t:%T" /dev/null; echo discard > /dev/null && echo writable'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = "character special file 1:3" ]
  [ "$(sed -n 2p <<<"$stdout")" = writable ]
}

@test "devices: the default device nodes" {
  # major:minor in hex, as stat prints them.
  run_container 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%t:%T" /dev/$d)"; done;
                 head -c 4 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c'
  assert_status 0
  grep -qx 'null 1:3' <<<"$stdout"
  grep -qx 'zero 1:5' <<<"$stdout"
  grep -qx 'full 1:7' <<<"$stdout"
  grep -qx 'random 1:8' <<<"$stdout"
  grep -qx 'urandom 1:9' <<<"$stdout"
  grep -qx 'tty 5:0' <<<"$stdout"
  [ "$(tail -2 <<<"$stdout" | tr -d ' ' | tr '\n' ' ')" = "4 8 " ]
}

@test "devices: /dev/ptmx points into /dev/pts" {
  run_container 'readlink /dev/ptmx || stat -c "%F" /dev/ptmx'
  assert_status 0
  [ "$stdout" = pts/ptmx ]
}

@test "devices: /dev/fd and /dev/std* symlinks" {
  run_container 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
  assert_status 0
  grep -qx 'fd -> /proc/self/fd' <<<"$stdout"
  grep -qx 'stdin -> /proc/self/fd/0' <<<"$stdout"
  grep -qx 'stdout -> /proc/self/fd/1' <<<"$stdout"
  grep -qx 'stderr -> /proc/self/fd/2' <<<"$stdout"
}

@test "devices: an extra node from linux.devices" {
  cfg '.linux.devices = [{"path": "/dev/berth-full", "type": "c", "major": 1, "minor": 7,
                          "fileMode": 416, "uid": 0, "gid": 0}]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"}]'
  run_container 'stat -c "%F %t:%T %a %u:%g" /dev/berth-full; (echo x > /dev/berth-full) 2>&1; true'
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = "character special file 1:7 640 0:0" ]
  # It is /dev/full: writing gives ENOSPC.
  assert_contains "$stdout" "No space left"
}

@test "devices: the devices cgroup allows what is allowed" {
  cfg '.linux.devices = [{"path": "/dev/berth-allowed", "type": "c", "major": 240, "minor": 77, "fileMode": 438}]
       | .linux.resources.devices += [{"allow": true, "type": "c", "major": 240, "minor": 77, "access": "rwm"}]'
  run_container 'head -c 1 /dev/berth-allowed 2>&1; true'
  assert_status 0
  assert_contains "$stdout" "No such device"
}

@test "devices: the devices cgroup denies what is not allowed" {
  # A node the config creates but the cgroup rules do not allow. 240:77 has
  # no driver (opening it would be ENXIO) and is not one of the runtime's
  # always-allowed default devices, so EPERM can only come from the cgroup.
  cfg '.linux.devices = [{"path": "/dev/berth-denied", "type": "c", "major": 240, "minor": 77, "fileMode": 438}]
       | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
  run_container 'head -c 1 /dev/berth-denied 2>&1; true'
  assert_status 0
  assert_contains "$stdout" "Operation not permitted"
}
