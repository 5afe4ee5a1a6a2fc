#!/usr/bin/env bats
# T8: writes to /proc redirected by mounts (CVE-2019-16884,
# CVE-2025-52881).
#
# The runtime writes to /proc after the spec's mounts are in place:
# sysctls under /proc/sys, labels under /proc/self/attr. A spec mount over
# those places (directly, or through an image symlink that leads into
# /proc) sends the write elsewhere: a sysctl meant to restrict is not
# applied, or a value lands in a file the attacker chose (in the real
# attack, a host procfs file such as core_pattern). The runtime must
# refuse such mounts, or the write must reach the real target.
#
# Every redirect here points at a file of the test's own: a redirected
# write changes that file, never the host's procfs.

load common

setup() {
  sec_setup
  # The decoy: what a redirected sysctl write would land in.
  DECOY=$TEST_DIR/decoy
  mkdir -p "$DECOY/ipv4" "$DECOY/kernel"
  echo 0 >"$DECOY/ipv4/ip_forward"
  echo unchanged >"$DECOY/kernel/core_pattern"
  DECOY_BEFORE=$(snapshot "$DECOY"; cat "$DECOY/ipv4/ip_forward")
  CORE_BEFORE=$(cat /proc/sys/kernel/core_pattern)
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  set_cmd 'echo "FWD=$(cat /proc/sys/net/ipv4/ip_forward)"'
}

teardown() {
  sec_teardown
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_BEFORE" ] ||
    fail "the host's core_pattern changed"
}

# Refused, or the sysctl really applied in the container's namespace, and
# the decoy untouched either way.
assert_not_redirected() {
  assert_no_crash
  if [ "$status" -eq 0 ]; then
    assert_contains "$stdout" "FWD=1"
  fi
  [ "$(snapshot "$DECOY"; cat "$DECOY/ipv4/ip_forward")" = "$DECOY_BEFORE" ] ||
    fail "the sysctl write went to the decoy"
}

@test "T8 tmpfs over /proc/sys/net before the sysctl write" {
  cfg '.mounts += [{"destination": "/proc/sys/net", "type": "tmpfs", "source": "tmpfs"}]'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_not_redirected
}

@test "T8 bind of a decoy directory over /proc/sys/net" {
  cfg '.mounts += [{"destination": "/proc/sys/net", "type": "bind", "source": $s, "options": ["rbind"]}]' \
    --arg s "$DECOY"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_not_redirected
}

@test "T8 bind of a decoy over /proc/sys/net through an image symlink into /proc" {
  # The destination does not start with /proc, but resolves there.
  ln -s /proc "$BUNDLE/rootfs/myproc"
  cfg '.mounts += [{"destination": "/myproc/sys/net", "type": "bind", "source": $s, "options": ["rbind"]}]' \
    --arg s "$DECOY"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_not_redirected
}

@test "T8 bind over /proc/sys through a relative image symlink into /proc" {
  ln -s ../proc/sys "$BUNDLE/rootfs/mysys"
  cfg '.mounts += [{"destination": "/mysys", "type": "bind", "source": $s, "options": ["rbind"]}]' \
    --arg s "$DECOY"
  set_cmd 'echo "FWD=$(cat /proc/sys/net/ipv4/ip_forward)"'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  # The decoy has no net/ directory: a redirected write fails, a correct
  # one reaches the namespace's real sysctl.
  assert_not_redirected
}

@test "T8 tmpfs or bind over /proc/self/attr is refused or harmless" {
  local d
  for d in /proc/self/attr /proc/1/attr /proc/thread-self/attr; do
    cfg '.mounts = (.mounts | map(select(.destination | endswith("/attr") | not)))
         | .mounts += [{"destination": $d, "type": "bind", "source": $s, "options": ["rbind"]}]' \
      --arg d "$d" --arg s "$DECOY"
    set_cmd 'echo "ATTR=$(ls /proc/self/attr | head -3 | tr "\n" " ")"'
    new_id
    rtc run --bundle "$BUNDLE" "$ID"
    assert_no_crash
    if [ "$status" -eq 0 ]; then
      # The container's /proc/self/attr must be procfs, not the decoy.
      assert_not_contains "$stdout" "ipv4"
    fi
    [ "$(snapshot "$DECOY"; cat "$DECOY/ipv4/ip_forward")" = "$DECOY_BEFORE" ] ||
      fail "the decoy changed"
  done
}
