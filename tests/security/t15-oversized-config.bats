#!/usr/bin/env bats
# T15: oversized config fields.
#
# A config.json comes from whoever built the bundle. Huge id maps, paths
# far beyond PATH_MAX, tens of thousands of mounts or a huge environment
# must give a clean error or work: never a crash (a signal, status > 128),
# never a hang, and nothing left behind (state, mounts, processes).

load common

# The run's outcome is clean: no crash, and after delete --force no state
# and no mounts under the test's directory.
assert_clean_outcome() {
  assert_no_crash
  rt delete --force "$ID" >/dev/null 2>&1 || true
  if [ "$(state_entries)" -ne 0 ]; then
    reap_leftover "$ID"
    fail "state left behind: delete --force could not remove it"
  fi
  [ -z "$(mounts_under "$TEST_DIR")" ] || fail "mounts left behind: $(mounts_under "$TEST_DIR" | head -3)"
}

@test "T15 10000 uid and gid mapping entries" {
  cfg '[range(0; 10000) | {containerID: ., hostID: (100000 + .), size: 1}] as $m
       | .linux.uidMappings = $m | .linux.gidMappings = $m | .linux.namespaces += [{"type": "user"}]' 
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}

@test "T15 a mapping of 2^32-1 ids" {
  cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 4294967295}]
       | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 4294967295}]
       | .linux.namespaces += [{"type": "user"}]'
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}

@test "T15 paths of 5000 and 70000 characters" {
  local n long
  for n in 5000 70000; do
    long=/$(head -c "$n" /dev/zero | tr '\0' a)
    cfg '.process.cwd = $p' --arg p "$long"
    set_cmd 'true'
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    assert_clean_outcome
    cfg '.process.cwd = "/" | .mounts += [{"destination": $p, "type": "tmpfs", "source": "tmpfs"}]' --arg p "$long"
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    assert_clean_outcome
    cfg '.mounts |= map(select(.destination != $p)) | .root.path = $p' --arg p "$long"
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    assert_clean_outcome
    cfg '.root.path = "rootfs" | .process.args = [$p]' --arg p "$long"
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    assert_clean_outcome
    cfg '.process.args = ["true"]'
  done
}

@test "T15 10000 mounts" {
  cfg '.mounts += [range(0; 10000) | {destination: "/m/\(.)", type: "tmpfs", source: "tmpfs", options: ["size=4k"]}]'
  set_cmd 'grep -c " /m/" /proc/self/mountinfo'
  new_id
  RT_TIMEOUT=300 rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}

@test "T15 a huge environment (one 8 MiB variable, 100000 variables)" {
  local big
  big=$(head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' x)
  jq --rawfile v <(printf 'BIG=%s' "$big") '.process.env += [$v] | .process.args = ["true"]' \
    "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
  cfg '.process.env = [range(0; 100000) | "V\(.)=value-\(.)"]'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}

@test "T15 a 64 MiB config.json (a huge annotation)" {
  local big=$TEST_DIR/big
  head -c $((64 * 1024 * 1024)) /dev/zero | tr '\0' y >"$big"
  jq --rawfile v "$big" '.annotations = {"huge": $v} | .process.args = ["true"]' \
    "$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
  rm -f "$big"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}

@test "T15 deeply nested JSON" {
  # Spliced as text: jq itself refuses such depth.
  python3 - "$BUNDLE/config.json" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
deep = "[" * 100000 + "]" * 100000
open(p, "w").write('{"deep": ' + deep + ", " + s.lstrip()[1:])
PY
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_clean_outcome
}
