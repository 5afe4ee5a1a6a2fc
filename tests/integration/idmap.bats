#!/usr/bin/env bats
# Idmapped bind mounts: a host directory owned by host root, seen by a
# user-namespaced container (root = host 100000) as its own root's.

load ../lib/helpers

USERNS_MAP='[{"containerID": 0, "hostID": 100000, "size": 65536}]'

# A container in its own user namespace (root is host uid/gid 100000) with a
# /data directory in its rootfs, and a host directory owned by host root.
userns_setup() {
  # The mapped root must be able to reach the bundle: open up the search
  # bit of our own temporary directories on the way (never of /tmp itself).
  local d=$BUNDLE top=${TMPDIR:-/tmp}
  top=${top%/}
  while [ "$d" != / ] && [ "$d" != /tmp ] && [ "${d#"$top"}" != "$d" ]; do
    chmod a+x "$d"
    d=$(dirname "$d")
  done
  chmod -R a+rX "$BUNDLE"
  mkdir -p "$BUNDLE/rootfs/data"
  cfg '.linux.namespaces += [{"type": "user"}]
       | .linux.uidMappings = $m | .linux.gidMappings = $m' --argjson m "$USERNS_MAP"
  HOST_DATA=$TEST_DIR/hostdata
  mkdir -p "$HOST_DATA"
  chmod 755 "$HOST_DATA"
  echo hello >"$HOST_DATA/file"
  chown -R 0:0 "$HOST_DATA"
}

# add_idmapped OPTIONS-JSON [MAPPINGS-JSON]: /data from $HOST_DATA.
add_idmapped() {
  local opts=$1 maps=${2:-null}
  cfg '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": $o}
                   + (if $m == null then {} else {"uidMappings": $m, "gidMappings": $m} end)]' \
    --arg s "$HOST_DATA" --argjson o "$opts" --argjson m "$maps"
}

INSIDE='stat -c "%u:%g" /data/file; cat /data/file; echo made >/data/new && stat -c "%u:%g" /data/new'

check_root_owned_inside() {
  assert_status 0
  [ "$(sed -n 1p <<<"$stdout")" = 0:0 ] || fail "owner inside: $stdout"
  [ "$(sed -n 2p <<<"$stdout")" = hello ]
  [ "$(sed -n 3p <<<"$stdout")" = 0:0 ] || fail "new file inside: $stdout"
  # Written by the container's root, on the disk as host root's.
  [ "$(stat -c %u:%g "$HOST_DATA/new")" = 0:0 ]
  [ "$(cat "$HOST_DATA/new")" = made ]
}

@test "idmap: host root's files are the container root's through an idmapped mount" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  userns_setup
  # Container id 0 on the disk shows as host 100000, the container's root.
  add_idmapped '["bind", "idmap"]' "$USERNS_MAP"
  run_container "$INSIDE"
  check_root_owned_inside
}

@test "idmap: without mappings the mount takes the container's own" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  userns_setup
  add_idmapped '["rbind", "ridmap"]'
  run_container "$INSIDE"
  check_root_owned_inside
}

@test "idmap: mappings alone make the mount idmapped" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  userns_setup
  add_idmapped '["rbind"]' "$USERNS_MAP"
  run_container "$INSIDE"
  check_root_owned_inside
}

@test "idmap: a plain bind shows host root as nobody and refuses writes" {
  userns_setup
  add_idmapped '["rbind"]'
  run_container 'stat -c "%u:%g" /data/file; echo x >/data/new 2>/dev/null || echo refused'
  assert_status 0
  [ "$stdout" = "65534:65534
refused" ]
  [ ! -e "$HOST_DATA/new" ]
}

@test "idmap: only bind mounts can be idmapped" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  userns_setup
  cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                    "options": ["idmap"], "uidMappings": $m, "gidMappings": $m}]' \
    --argjson m "$USERNS_MAP"
  run_container 'true'
  assert_failure
  assert_contains "$output" 'idmapped mounts are only supported for bind mounts'
  [ "$(state_entries)" -eq 0 ]
}

@test "idmap: the option without mappings needs a user namespace" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  HOST_DATA=$TEST_DIR/hostdata
  mkdir -p "$HOST_DATA" "$BUNDLE/rootfs/data"
  add_idmapped '["bind", "idmap"]'
  run_container 'true'
  assert_failure
  assert_contains "$output" "must have both uid and gid mappings"
  [ "$(state_entries)" -eq 0 ]
}

@test "idmap: features reports idmapped mounts" {
  skip_if_runc "runc 1.1 has no idmapped mounts (they came in 1.2)"
  rtc features
  assert_status 0
  jq -e '.linux.mountExtensions.idmap.enabled == true' <<<"$stdout"
}
