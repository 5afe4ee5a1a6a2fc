#!/usr/bin/env bats
# Failures made through the command line carry the code that names them
# (docs/errors.md) in the JSON log line: made by the runtime, by the
# container's init (and sent back over the sync socket), or by exec.

load ../lib/helpers

setup() {
  skip_if_runc "error codes are berth's"
  common_setup
}

# fails_with CODE ARGS...: the runtime, with --log-format json, fails and
# its error line carries CODE.
fails_with() {
  local want=$1 got
  shift
  rtc --log-format json "$@"
  assert_failure
  got=$(grep '^{' <<<"$stderr" | jq -rs 'map(select(.level == "error")) | last | .code')
  [ "$got" = "$want" ] || fail "$*: code $got, expected $want; stderr: $stderr"
}

@test "error codes: ids, bundle and config.json" {
  fails_with BERTH-E-STATE-BAD-ID create --bundle "$BUNDLE" a/b
  new_id
  fails_with BERTH-E-BUNDLE-MISSING create --bundle "$TEST_DIR/no-such-bundle" "$ID"
  mkdir "$TEST_DIR/empty"
  fails_with BERTH-E-SPEC-MISSING create --bundle "$TEST_DIR/empty" "$ID"
  cp "$BUNDLE/config.json" "$TEST_DIR/config.json"
  printf '{\n  "ociVersion": "1.0.2",\n  "process": [}\n' >"$BUNDLE/config.json"
  fails_with BERTH-E-SPEC-JSON create --bundle "$BUNDLE" "$ID"
  cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
  cfg '.process.args = "sh"'
  fails_with BERTH-E-SPEC-SCHEMA create --bundle "$BUNDLE" "$ID"
  cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
  cfg '.root.path = "no-such-rootfs"'
  fails_with BERTH-E-ROOTFS-MISSING create --bundle "$BUNDLE" "$ID"
  [ "$(state_entries)" -eq 0 ]
}

@test "error codes: an existing id" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  fails_with BERTH-E-EXISTS create --bundle "$BUNDLE" "$ID"
}

@test "error codes: what the config asks for and cannot have" {
  set_args sleep 1000
  new_id
  cp "$BUNDLE/config.json" "$TEST_DIR/config.json"
  local c
  for c in \
    'BERTH-E-HOOK-PATH|.hooks.prestart = [{"path": "hook.sh"}]' \
    'BERTH-E-SECCOMP-ARCH|.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}' \
    'BERTH-E-PROCESS-RLIMIT|.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]' \
    'BERTH-E-SYSCTL-NOT-NAMESPACED|.linux.sysctl = {"vm.swappiness": "10"}' \
    'BERTH-E-TERMINAL-NO-SOCKET|.process.terminal = true' \
    'BERTH-E-CGROUP-PATH|.linux.cgroupsPath = "/"' \
    'BERTH-E-MOUNT-TYPE|.mounts += [{"destination": "/x", "source": "none"}]'; do
    cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
    cfg "${c#*|}"
    fails_with "${c%%|*}" create --bundle "$BUNDLE" "$ID"
  done
  [ "$(state_entries)" -eq 0 ]
}

@test "error codes: failures in the container's init, and of its hooks" {
  set_args sleep 1000
  new_id
  cp "$BUNDLE/config.json" "$TEST_DIR/config.json"
  cfg '.mounts += [{"destination": "/bad", "type": "bind", "source": "/nonexistent/berth-test", "options": ["rbind"]}]'
  fails_with BERTH-E-MOUNT-SOURCE create --bundle "$BUNDLE" "$ID"
  cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
  cfg '.process.cwd = "/bin/sh"'
  fails_with BERTH-E-PROCESS-CWD create --bundle "$BUNDLE" "$ID"
  cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
  cfg '.hooks.prestart = [{"path": "/bin/false"}]'
  fails_with BERTH-E-HOOK-FAILED create --bundle "$BUNDLE" "$ID"
  cp "$TEST_DIR/config.json" "$BUNDLE/config.json"
  cfg '.hooks.prestart = [{"path": "/nonexistent/berth-hook"}]'
  fails_with BERTH-E-HOOK-EXEC create --bundle "$BUNDLE" "$ID"
  [ "$(state_entries)" -eq 0 ]
}

@test "error codes: exec with a bad --process file, and into a stopped container" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  fails_with BERTH-E-EXEC-PROCESS exec --process "$TEST_DIR/no-such-process.json" "$ID"
  echo '{"args": "sh"}' >"$TEST_DIR/process.json"
  fails_with BERTH-E-EXEC-PROCESS exec --process "$TEST_DIR/process.json" "$ID"
  rt kill "$ID" KILL
  wait_status "$ID" stopped
  fails_with BERTH-E-EXEC-STOPPED exec "$ID" true
  # The text form is runc's, without the code.
  rtc exec "$ID" true
  assert_failure
  assert_not_contains "$stderr" "BERTH-E-"
  assert_contains "$stderr" 'msg="exec failed: cannot exec in a stopped container"'
}
