#!/usr/bin/env bats
# Rootless: berth run by an unprivileged user that the test makes and
# removes, with a user namespace mapping only that user's own id, state in
# its $XDG_RUNTIME_DIR, and no cgroup of its own (none is delegated here).

load ../lib/helpers

setup() {
  common_setup
  RL_USER="berthrl$$"
  useradd --no-create-home --shell /usr/sbin/nologin "$RL_USER"
  RL_UID=$(id -u "$RL_USER")
  RL_GID=$(id -g "$RL_USER")
  RL_DIR=$TEST_DIR/rootless
  mkdir -p "$RL_DIR/xdg"
  # The user must reach its bundle: open the search bit of our own
  # temporary directories on the way (never of /tmp itself).
  local d=$RL_DIR top=${TMPDIR:-/tmp}
  top=${top%/}
  while [ "$d" != / ] && [ "$d" != /tmp ] && [ "${d#"$top"}" != "$d" ]; do
    chmod a+x "$d"
    d=$(dirname "$d")
  done
  cp -a "$BUNDLE/rootfs" "$RL_DIR/rootfs"
  chown -R "$RL_UID:$RL_GID" "$RL_DIR"
}

teardown() {
  as_user "$BERTH" delete --force "${ID:-none}" </dev/null >/dev/null 2>&1 || true
  userdel "$RL_USER" 2>/dev/null || true
  common_teardown
}

# as_user CMD...: run as the unprivileged user, without PAM or a login.
as_user() {
  (cd "$RL_DIR" && setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$RL_DIR/xdg" "$@")
}

# rootless_config ARGS...: berth's own `spec --rootless`, mapped to this user.
rootless_config() {
  as_user "$BERTH" spec --rootless
  local args
  args=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
  jq --argjson args "$args" --argjson uid "$RL_UID" --argjson gid "$RL_GID" '
      .process.terminal = false | .process.args = $args
      | .linux.uidMappings = [{"containerID": 0, "hostID": $uid, "size": 1}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": $gid, "size": 1}]' \
    "$RL_DIR/config.json" >"$RL_DIR/config.tmp"
  mv "$RL_DIR/config.tmp" "$RL_DIR/config.json"
  chown "$RL_UID:$RL_GID" "$RL_DIR/config.json"
}

@test "rootless: an unprivileged user runs a container as root of its own user namespace" {
  skip_if_runc "runc's rootless support is exercised by its own suites"
  rootless_config sh -c 'id -u; cat /proc/self/uid_map'
  new_id
  run as_user "$BERTH" run "$ID"
  [ "$status" -eq 0 ] || fail "exit $status: $output"
  [ "${lines[0]}" = 0 ] || fail "uid inside: $output"
  [ "$(echo "${lines[1]}" | awk '{print $1, $2, $3}')" = "0 $RL_UID 1" ] || fail "uid_map: $output"
}

@test "rootless: state lives in \$XDG_RUNTIME_DIR/berth and the lifecycle works" {
  skip_if_runc "runc's rootless support is exercised by its own suites"
  rootless_config sleep 1000
  new_id
  # A detached init keeps the runtime's stdio: never a pipe bats waits on.
  as_user "$BERTH" run -d "$ID" </dev/null >"$TEST_DIR/run.out" 2>&1 ||
    fail "run -d: $(cat "$TEST_DIR/run.out")"
  [ -f "$RL_DIR/xdg/berth/$ID/state.json" ] || fail "no state under XDG_RUNTIME_DIR"
  run as_user "$BERTH" state "$ID"
  [ "$(jq -r .status <<<"$output")" = running ] || fail "state: $output"
  run as_user "$BERTH" exec "$ID" id -u
  [ "$output" = 0 ] || fail "exec: $output"
  run as_user "$BERTH" delete --force "$ID"
  [ "$status" -eq 0 ] || fail "delete: $output"
  [ ! -e "$RL_DIR/xdg/berth/$ID" ] || fail "state left behind"
}

@test "rootless: /sys/fs/cgroup is read-only inside (CVE-2023-25809)" {
  skip_if_runc "runc's rootless support is exercised by its own suites"
  rootless_config sh -c 'mkdir /sys/fs/cgroup/x 2>&1; touch /sys/fs/cgroup/x 2>&1; exit 0'
  new_id
  run as_user "$BERTH" run "$ID"
  [ "$status" -eq 0 ] || fail "exit $status: $output"
  assert_contains "$output" "Read-only file system"
}

@test "rootless: a mapping of someone else's id is refused without newuidmap's blessing" {
  skip_if_runc "runc's rootless support is exercised by its own suites"
  rootless_config true
  jq '.linux.uidMappings[0].hostID = 0' "$RL_DIR/config.json" >"$RL_DIR/c" &&
    mv "$RL_DIR/c" "$RL_DIR/config.json" && chown "$RL_UID" "$RL_DIR/config.json"
  new_id
  run as_user "$BERTH" run "$ID"
  [ "$status" -ne 0 ] || fail "mapping host root succeeded"
  assert_contains "$output" "newuidmap"
  [ ! -e "$RL_DIR/xdg/berth/$ID" ] || fail "state left behind"
}

# An unprivileged berth cannot mount the read-only overlay it re-executes
# from as root (src/lib/linux/cloned_binary.c): it falls back to a sealed
# memfd copy, and the host's binary is still never the init's executable.
@test "rootless: the created init runs from a sealed memfd copy, not the host's binary" {
  skip_if_runc "berth's own protection of its binary"
  rootless_config sleep 1000
  new_id
  as_user "$BERTH" create "$ID" </dev/null >"$TEST_DIR/create.out" 2>&1 ||
    fail "create: $(cat "$TEST_DIR/create.out")"
  local pid exe
  pid=$(as_user "$BERTH" state "$ID" | jq -r .pid)
  exe=$(readlink "/proc/$pid/exe")
  [ "$exe" = "/memfd:berth (deleted)" ] || fail "the init runs from '$exe'"
  # The seals refuse a write even to root.
  run sh -c 'printf x | dd of="/proc/$1/exe" conv=notrunc 2>&1' sh "$pid"
  [ "$status" -ne 0 ] || fail "a write to the init's executable worked"
}
