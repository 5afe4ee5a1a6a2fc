#!/usr/bin/env bats
# check [--bundle DIR] [--format text|json]: whether this host and a bundle
# will work, asked before any container exists. Each broken bundle must be
# named by the JSON path of its fault, and exit 1; a good one exits 0.

load ../lib/helpers

setup() {
  skip_if_runc "check is berth's own command"
  common_setup
}

teardown() {
  common_teardown
}

# edit_config JQ-FILTER: rewrite the bundle's config.json.
edit_config() {
  jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.new" && mv "$BUNDLE/config.new" "$BUNDLE/config.json"
}

# check_fails NAME: `check --bundle` exits 1 and has a FAIL line for NAME.
check_fails() {
  rtc check --bundle "$BUNDLE"
  assert_status 1
  grep -F -- "  FAIL  $1 " <<<"$stdout" ||
    fail "no FAIL line for $1"
}

@test "check: this host passes, every probe is reported" {
  rtc check
  assert_status 0
  local p
  for p in "namespace pid" "namespace user" "namespace time" "user namespace (unprivileged)" \
           clone3 pidfd seccomp "seccomp notify" "idmapped mounts" criu "cgroup mode" \
           "cgroup delegation" LSMs; do
    grep -qF "  $p " <<<"$stdout" || fail "no line for $p"
  done
  assert_contains "$stdout" "berth check: this host will work"
}

@test "check: clone3, pidfd and the cgroup mode match what the host has" {
  rtc check --format json
  assert_status 0
  jq -e '.ok == true' <<<"$stdout"
  local mode
  mode=$(jq -r '.checks[] | select(.name == "cgroup mode") | .detail' <<<"$stdout")
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    [ "$mode" = v2 ]
  elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    [[ $mode == hybrid* ]]
  else
    [ "$mode" = v1 ]
  fi
  # The kernel here has both; a probe that always said "missing" fails this.
  jq -e '.checks[] | select(.name == "clone3" or .name == "pidfd") | .status == "ok"' <<<"$stdout"
}

@test "check: criu is found on PATH and its version reported, or named as missing" {
  local dir=$TEST_DIR/fakebin
  mkdir -p "$dir"
  PATH=$dir:/usr/bin:/bin rawc check --format json
  assert_status 0
  jq -e '.checks[] | select(.name == "criu") | .status == "warn" and (.detail | test("no \"criu\" was found"))' <<<"$stdout"
  local criu
  criu=$(PATH=/usr/local/lib/berth-criu/bin:$PATH command -v criu) || skip "no criu installed (make criu)"
  PATH=$(dirname "$criu"):$PATH rawc check --format json
  jq -e '.checks[] | select(.name == "criu") | .status == "ok" and (.detail | test("^version [0-9]+\\.[0-9]+"))' <<<"$stdout"
}

@test "check --bundle: a good bundle passes, in text and JSON" {
  rtc check --bundle "$BUNDLE"
  assert_status 0
  assert_contains "$stdout" "bundle $BUNDLE:"
  assert_contains "$stdout" "this host and this bundle will work"
  rtc check -b "$BUNDLE" --format=json
  assert_status 0
  jq -e '.ok == true and ([.checks[] | select(.section == "bundle" and .name == "root.path")] | length == 1)' <<<"$stdout"
}

@test "check --bundle: a terminal is a warning, not a failure" {
  edit_config '.process.terminal = true'
  rtc check --bundle "$BUNDLE"
  assert_status 0
  grep -F "  warn  process.terminal " <<<"$stdout" || fail "no warning for process.terminal"
}

@test "check --bundle: a config.json of the wrong type names the JSON path" {
  edit_config '.process.args = 5'
  check_fails config.json
  assert_contains "$stdout" "process.args"
  rtc check --bundle "$BUNDLE" --format json
  assert_status 1
  jq -e '.ok == false and ([.checks[] | select(.status == "fail" and (.detail | contains("process.args")))] | length == 1)' <<<"$stdout"
}

@test "check --bundle: a missing config.json or rootfs" {
  rm -rf "$BUNDLE/rootfs"
  check_fails root.path
  assert_contains "$stdout" "$BUNDLE/rootfs"
  rm "$BUNDLE/config.json"
  check_fails config.json
}

@test "check --bundle: a bind-mount source that does not exist" {
  edit_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/berth-check", "options": ["rbind"]}]'
  local n
  n=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
  check_fails "mounts[$n].source"
  assert_contains "$stdout" "/nonexistent/berth-check"
  # A relative source is the bundle's.
  mkdir "$BUNDLE/data"
  edit_config ".mounts[$n].source = \"data\""
  rtc check --bundle "$BUNDLE"
  assert_status 0
}

@test "check --bundle: a namespace path that does not exist, or is of another type" {
  edit_config '(.linux.namespaces[] | select(.type == "network")) .path = "/nonexistent/netns"'
  local n
  n=$(jq '[.linux.namespaces[].type] | index("network")' "$BUNDLE/config.json")
  check_fails "linux.namespaces[$n].path"
  assert_contains "$stdout" "/nonexistent/netns"
  edit_config "(.linux.namespaces[$n]).path = \"/proc/self/ns/uts\""
  check_fails "linux.namespaces[$n].path"
  assert_contains "$stdout" "is not a network namespace"
  edit_config "(.linux.namespaces[$n]).path = \"/proc/self/ns/net\""
  rtc check --bundle "$BUNDLE"
  assert_status 0
}

@test "check --bundle: a uid mapping beyond the ids this host has" {
  edit_config '.linux.namespaces += [{"type": "user"}]
               | .linux.uidMappings = [{"containerID": 0, "hostID": 4294967000, "size": 1000}]
               | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
  check_fails "linux.uidMappings[0]"
}

@test "check: as an unprivileged user, namespaces inside a user namespace count" {
  id nobody >/dev/null 2>&1 || skip "no user nobody"
  capture setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root /nonexistent/state check
  [ "$(grep -c 'can be created inside a user namespace' <<<"$stdout")" -ge 5 ] ||
    fail "the namespaces were not probed inside a user namespace"
  # Rootless berth works here when unprivileged user namespaces are allowed.
  if grep -qF 'user namespace (unprivileged)  allowed' <<<"$stdout"; then
    assert_status 0
  fi
}

@test "check --bundle: an unprivileged user without subordinate ids cannot map them" {
  id nobody >/dev/null 2>&1 || skip "no user nobody"
  grep -q '^nobody:' /etc/subuid 2>/dev/null && skip "nobody has /etc/subuid ranges here"
  local dir
  dir=$(mktemp -d /tmp/berth-check.XXXXXX)
  chmod 755 "$dir"
  cp "$BUNDLE/config.json" "$dir/"
  mkdir "$dir/rootfs"
  jq '.linux.namespaces += [{"type": "user"}]
      | .linux.uidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}, {"containerID": 1, "hostID": 100000, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}]' \
    "$BUNDLE/config.json" >"$dir/config.json"
  chmod 644 "$dir/config.json"
  capture setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root "$dir/state" check --bundle "$dir"
  assert_status 1
  grep -E '^  FAIL  linux\.uidMappings\[1\] ' <<<"$stdout" || fail "no FAIL line for uidMappings[1]"
  grep -E 'linux\.uidMappings\[0\]' <<<"$stdout" && fail "its own uid was refused"
  grep -E '^  FAIL  linux\.namespaces' <<<"$stdout" && fail "a namespace was refused"
  # Without a user namespace, this user can make none of the others.
  jq 'del(.linux.uidMappings, .linux.gidMappings) | .linux.namespaces |= map(select(.type != "user"))' \
    "$dir/config.json" >"$dir/c" && mv "$dir/c" "$dir/config.json"
  chmod 644 "$dir/config.json"
  capture setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root "$dir/state" check --bundle "$dir"
  rm -rf "$dir"
  assert_status 1
  grep -F '  FAIL  linux.namespaces[0] ' <<<"$stdout" || fail "no FAIL line for namespaces[0]"
  assert_contains "$stdout" "only inside a user namespace"
}

@test "check --bundle: a program that is not in the rootfs" {
  edit_config '.process.args = ["no-such-program"]'
  check_fails "process.args[0]"
  assert_contains "$stdout" '$PATH'
  check_agrees
  edit_config '.process.args = ["/opt/none/prog"]'
  check_fails "process.args[0]"
  # One that a bind mount brings is not judged.
  mkdir "$TEST_DIR/opt"
  edit_config ".mounts += [{\"destination\": \"/opt/none\", \"type\": \"bind\", \"source\": \"$TEST_DIR/opt\", \"options\": [\"rbind\"]}]"
  rtc check --bundle "$BUNDLE"
  assert_status 0
}

@test "check --bundle: a hook that does not exist" {
  edit_config '.hooks = {"prestart": [{"path": "/bin/true"}, {"path": "/nonexistent/hook"}]}'
  check_fails "hooks.prestart[1].path"
}

@test "check --bundle: a seccomp agent socket that does not exist" {
  edit_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent/agent.sock",
                                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
  check_fails linux.seccomp.listenerPath
}

@test "check --bundle: a resource whose cgroup controller this host has not mounted" {
  grep -qE '^[1-9][0-9]*:([^:]*,)?net_cls(,[^:]*)?:' /proc/self/cgroup &&
    skip "net_cls is mounted on this host"
  edit_config '.linux.resources = {"network": {"classID": 7}, "pids": {"limit": 100}}'
  check_fails linux.resources.network.classID
  grep -F "linux.resources.pids" <<<"$stdout" && fail "pids is mounted, yet reported"
  check_agrees
}

@test "check --systemd-cgroup: fails where systemd does not answer, as create does" {
  [ -d /run/systemd/system ] && skip "systemd runs here"
  rtc --systemd-cgroup check --bundle "$BUNDLE"
  assert_status 1
  grep -F "  FAIL  systemd cgroup driver " <<<"$stdout" || fail "no FAIL line for the driver"
  new_id
  rtc --systemd-cgroup create --bundle "$BUNDLE" "$ID"
  assert_status 1
  rtc check --bundle "$BUNDLE"
  assert_status 0
}

# check_agrees: `check --bundle` and `create` on the same bundle both work or
# both fail.
check_agrees() {
  rtc check --bundle "$BUNDLE"
  local checked=$status
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  local created=$status
  rtc delete --force "$ID"
  [ "$checked" = "$created" ] || fail "check exited $checked, create $created"
}

@test "check --bundle: agrees with create on good and broken bundles" {
  check_agrees
  cp "$BUNDLE/config.json" "$TEST_DIR/good.json"
  edit_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent/berth-check", "options": ["rbind"]}]'
  check_agrees
  cp "$TEST_DIR/good.json" "$BUNDLE/config.json"
  edit_config '(.linux.namespaces[] | select(.type == "ipc")) .path = "/nonexistent/ipcns"'
  check_agrees
  cp "$TEST_DIR/good.json" "$BUNDLE/config.json"
  edit_config '.hooks = {"createRuntime": [{"path": "/nonexistent/hook"}]}'
  check_agrees
}

@test "check: creates no state, cgroup or mount" {
  local root=$TEST_DIR/never mounts_before cg_before
  mounts_before=$(wc -l </proc/self/mountinfo)
  cg_before=$(find /sys/fs/cgroup -maxdepth 3 -type d 2>/dev/null | wc -l)
  rawc --root "$root" check --bundle "$BUNDLE"
  assert_status 0
  [ ! -e "$root" ] || fail "check made $root"
  [ "$(wc -l </proc/self/mountinfo)" = "$mounts_before" ]
  # Other runs on the machine may add cgroups meanwhile; only berth-named ones would be ours.
  [ "$(find /sys/fs/cgroup -maxdepth 3 -type d -newer "$BUNDLE/config.json" -name '*check*' | wc -l)" = 0 ]
  [ -n "$cg_before" ]
}

@test "check: a bad --format and a stray argument are usage errors" {
  rtc check --format yaml
  assert_status 1
  assert_contains "$stderr" "invalid format"
  rtc check extra
  assert_status 1
}
