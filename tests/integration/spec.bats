#!/usr/bin/env bats
# spec [--bundle DIR] [--rootless]: writes a default config.json.

load ../lib/helpers

# validate_config FILE: against the spec's config schema when possible.
validate_config() {
  [ -n "$SCHEMA_DIR" ] || return 0
  local rc=0
  python3 "$REPO_ROOT/tests/lib/validate-json.py" "$SCHEMA_DIR/config-schema.json" "$1" || rc=$?
  [ "$rc" -eq 3 ] && return 0
  return "$rc"
}

@test "spec: writes config.json in the current directory" {
  mkdir "$TEST_DIR/s"
  cd "$TEST_DIR/s"
  rtc spec
  assert_status 0
  [ -f config.json ]
  validate_config config.json
  jq -e '.root.path == "rootfs" and .process.args == ["sh"] and .process.terminal == true
         and .process.cwd == "/" and .process.user.uid == 0' config.json
  # The default isolates every namespace that runc's default does.
  jq -e '[.linux.namespaces[].type] | contains(["pid", "network", "ipc", "uts", "mount"])' config.json
}

@test "spec --bundle DIR and -b DIR" {
  mkdir "$TEST_DIR/s1" "$TEST_DIR/s2"
  rtc spec --bundle "$TEST_DIR/s1"
  assert_status 0
  [ -f "$TEST_DIR/s1/config.json" ]
  rtc spec -b "$TEST_DIR/s2"
  assert_status 0
  [ -f "$TEST_DIR/s2/config.json" ]
  validate_config "$TEST_DIR/s2/config.json"
}

@test "spec: refuses to overwrite an existing config.json" {
  mkdir "$TEST_DIR/s"
  echo '{"keep": "me"}' >"$TEST_DIR/s/config.json"
  rtc spec --bundle "$TEST_DIR/s"
  assert_failure
  # runc: "File config.json exists. Remove it first"
  assert_contains "$output" "exists"
  [ "$(jq -r .keep "$TEST_DIR/s/config.json")" = me ]
}

@test "spec --rootless: user namespace with mappings, no network namespace" {
  mkdir "$TEST_DIR/s"
  rtc spec --rootless --bundle "$TEST_DIR/s"
  assert_status 0
  local c=$TEST_DIR/s/config.json
  validate_config "$c"
  jq -e '[.linux.namespaces[].type] | index("user") != null' "$c"
  jq -e '[.linux.namespaces[].type] | index("network") == null' "$c"
  jq -e '(.linux.uidMappings | length) > 0 and (.linux.gidMappings | length) > 0' "$c"
  # Without a network namespace sysfs cannot be mounted afresh: it is bound.
  jq -e '.mounts[] | select(.destination == "/sys") | .options | index("rbind") != null' "$c"
}

@test "spec: the result runs a container once args and terminal are set" {
  mkdir -p "$TEST_DIR/s"
  cp -a "$BUNDLE/rootfs" "$TEST_DIR/s/rootfs"
  rtc spec --bundle "$TEST_DIR/s"
  assert_status 0
  BUNDLE=$TEST_DIR/s
  cfg '.process.terminal = false'
  run_container 'echo spec-ok'
  assert_status 0
  [ "$stdout" = spec-ok ]
}

@test "spec: ociVersion is 1.3.0" {
  skip_if_runc "1.1.5 writes the spec version it was built with (1.0.2-dev)"
  mkdir "$TEST_DIR/s"
  rtc spec --bundle "$TEST_DIR/s"
  [ "$(jq -r .ociVersion "$TEST_DIR/s/config.json")" = 1.3.0 ]
}

@test "spec: bundle directory that does not exist fails" {
  rtc spec --bundle "$TEST_DIR/nope"
  assert_failure
  [ ! -e "$TEST_DIR/nope" ]
}
