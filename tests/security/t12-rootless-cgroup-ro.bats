#!/usr/bin/env bats
# T12: /sys/fs/cgroup of a rootless or user-namespaced container is
# read-only (CVE-2023-25809).
#
# Rootless runc used to bind the host's cgroup hierarchy writable into a
# container when its cgroup namespace was not private. Whatever the setup,
# the container must not write the cgroup filesystem.

load common

# The container tries to change the cgroup filesystem in every way that
# needs no special file: a new directory, and the writable files of its
# own cgroup.
TRY_WRITE='for d in /sys/fs/cgroup /sys/fs/cgroup/* /sys/fs/cgroup/*/*; do
  [ -d "$d" ] || continue
  if mkdir "$d/sec-test-$$" 2>/dev/null; then echo "WROTE mkdir $d"; rmdir "$d/sec-test-$$"; fi
done
for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs /sys/fs/cgroup/*/tasks; do
  [ -f "$f" ] || continue
  if echo $$ 2>/dev/null >"$f"; then echo "WROTE $f"; fi
done
echo "MOUNT $(grep " /sys/fs/cgroup " /proc/self/mountinfo | head -1)"
echo DONE'

assert_cgroup_readonly() {
  assert_no_crash
  [ "$status" -eq 0 ] || return 0
  assert_contains "$stdout" "DONE"
  assert_not_contains "$stdout" "WROTE"
}

@test "T12 rootless: refused, or /sys/fs/cgroup is read-only" {
  local user=65534
  local root=$TEST_DIR/rootless-state
  mkdir -p "$root"
  chown "$user" "$root"
  # The unprivileged user must reach the bundle: open up the run's own
  # temporary directories on the way (and nothing above them).
  local d=$TEST_DIR
  while [ "$d" != / ] && [ "$d" != "${TMPDIR:-/tmp}" ] && [ "$d" != /tmp ]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
  [ "$d" = / ] || chmod o+x "$d"
  chmod -R a+rX "$BUNDLE"
  set_cmd "$TRY_WRITE"
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}]
       | .linux.namespaces += [{"type": "user"}]
       | del(.linux.resources)
       | .mounts |= map(if .options then .options |= map(select(startswith("gid=") | not)) else . end)'
  status=0
  local out=$TEST_DIR/rootless.out
  timeout -k 5 60 setpriv --reuid "$user" --regid "$user" --clear-groups \
    env XDG_RUNTIME_DIR="$root" "$BERTH" --root "$root" run --bundle "$BUNDLE" \
    "berth-test-rootless-$$" </dev/null >"$out" 2>&1 || status=$?
  stdout=$(cat "$out")
  echo "$stdout" >&2
  if [ "$status" -ne 0 ]; then
    assert_no_crash
    # Clean up as the same user, in case something was left.
    setpriv --reuid "$user" --regid "$user" --clear-groups \
      "$BERTH" --root "$root" delete --force "berth-test-rootless-$$" >/dev/null 2>&1 || true
    skip "the runtime refuses to run unprivileged (status $status): $(echo "$stdout" | tail -1)"
  fi
  assert_cgroup_readonly
}

@test "T12 user namespace as root: /sys/fs/cgroup is read-only" {
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.namespaces += [{"type": "user"}]'
  chmod 755 "$TEST_DIR"
  chmod -R a+rX "$BUNDLE"
  run_container "$TRY_WRITE"
  assert_cgroup_readonly
}

@test "T12 user and cgroup namespaces as root: /sys/fs/cgroup is read-only" {
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
       | .linux.namespaces += [{"type": "user"}, {"type": "cgroup"}]'
  chmod 755 "$TEST_DIR"
  chmod -R a+rX "$BUNDLE"
  run_container "$TRY_WRITE"
  assert_cgroup_readonly
}

@test "T12 no user namespace, cgroup mount asked rw: the root still cannot escape its cgroup view" {
  # Asked rw explicitly: the runtime may honour it (privileged use), but
  # the container sees at most its own cgroup, never the host's root.
  cfg '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) |= map(select(. != "ro"))
       | .linux.namespaces += [{"type": "cgroup"}]'
  run_container 'ls /sys/fs/cgroup | head -50; cat /proc/self/cgroup'
  assert_no_crash
}
