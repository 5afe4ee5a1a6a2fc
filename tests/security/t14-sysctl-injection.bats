#!/usr/bin/env bats
# T14: sysctl injection (CRI-O CVE-2022-0811).
#
# A sysctl value that carries another setting ("1+kernel.core_pattern=..."
# or a newline and a second key) must not set anything but its own key,
# and a key outside the container's namespaces must be refused. Every
# value that would reach a host setting here is that setting's current
# value, so even a broken runtime changes nothing on the host.

load common

setup() {
  sec_setup
  CORE_BEFORE=$(cat /proc/sys/kernel/core_pattern)
  set_cmd 'cat /proc/sys/net/ipv4/ip_forward'
}

teardown() {
  sec_teardown
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_BEFORE" ] ||
    fail "the host's core_pattern changed"
}

# try_sysctl KEY VALUE: the run must be refused.
try_refused() {
  cfg '.linux.sysctl = {($k): $v}' --arg k "$1" --arg v "$2"
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_no_crash
  [ "$status" -ne 0 ] || fail "sysctl $1=$(printf '%q' "$2") was accepted"
  [ "$(state_entries)" -eq 0 ] || fail "the refused create left state behind"
}

@test "T14 a value carrying +kernel.core_pattern=... is refused" {
  try_refused net.ipv4.ip_forward "1+kernel.core_pattern=$CORE_BEFORE"
}

@test "T14 a value carrying a newline and a second key is refused" {
  try_refused net.ipv4.ip_forward "1"$'\n'"kernel.core_pattern=$CORE_BEFORE"
}

@test "T14 a non-namespaced key (kernel.core_pattern) is refused" {
  try_refused kernel.core_pattern "$CORE_BEFORE"
}

@test "T14 a net key that climbs out of net/ is refused" {
  try_refused "net.ipv4/../../kernel/core_pattern" "$CORE_BEFORE"
}

@test "T14 a net key in the host's network namespace is refused" {
  cfg '.linux.namespaces |= map(select(.type != "network"))'
  try_refused net.ipv4.ip_forward 1
}

@test "T14 a well-formed namespaced sysctl still works" {
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_contains "$stdout" "1"
}
