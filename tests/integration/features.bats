#!/usr/bin/env bats
# features: the JSON that Docker, containerd and CRI-O read at start-up.

load ../lib/helpers

@test "features: valid JSON, valid against the features schema" {
  rtc features
  assert_status 0
  jq -e . <<<"$stdout" >/dev/null
  if [ -n "$SCHEMA_DIR" ]; then
    local rc=0
    python3 "$REPO_ROOT/tests/lib/validate-json.py" "$SCHEMA_DIR/features-schema.json" <<<"$stdout" || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
  fi
}

@test "features: versions and all six hooks" {
  rtc features
  assert_status 0
  [ "$(jq -r .ociVersionMin <<<"$stdout")" = 1.0.0 ]
  [ "$(jq -c '.hooks | sort' <<<"$stdout")" = \
    '["createContainer","createRuntime","poststart","poststop","prestart","startContainer"]' ]
}

@test "features: mountOptions include rro and the common flags" {
  rtc features
  assert_status 0
  local o
  for o in rro ro rw bind rbind nosuid nodev noexec relatime private rprivate tmpcopyup; do
    jq -e --arg o "$o" '.mountOptions | index($o) != null' <<<"$stdout" >/dev/null ||
      fail "mountOptions lacks $o"
  done
}

@test "features: namespaces include user and cgroup; capabilities are named" {
  rtc features
  assert_status 0
  jq -e '.linux.namespaces | contains(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"])' <<<"$stdout"
  jq -e '.linux.capabilities | contains(["CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_KILL"])' <<<"$stdout"
  jq -e '.linux.cgroup.v1 == true' <<<"$stdout"
  jq -e '.linux.seccomp.enabled | type == "boolean"' <<<"$stdout"
}

@test "features: spec 1.3.0, time namespace, idmap entry" {
  skip_if_runc "1.1.5 predates spec 1.3.0, the time namespace and mountExtensions"
  rtc features
  assert_status 0
  [ "$(jq -r .ociVersionMax <<<"$stdout")" = 1.3.0 ]
  jq -e '.linux.namespaces | index("time") != null' <<<"$stdout"
  # containerd and CRI-O read this key; it must be present either way.
  jq -e '.linux.mountExtensions.idmap.enabled | type == "boolean"' <<<"$stdout"
}

@test "features: takes no arguments" {
  rtc features extra
  assert_failure
}
