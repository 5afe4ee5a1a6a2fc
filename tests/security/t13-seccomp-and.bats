#!/usr/bin/env bats
# T13: seccomp rules with several argument conditions are ANDed
# (CVE-2017-18367).
#
# A rule "getpriority when arg0 == 0 AND arg1 == 4242" that a runtime
# turns into an OR matches far more calls than asked (for a rule that
# allows, far more than intended get through). Each condition alone must
# not trigger the rule.

load common

setup() {
  sec_setup
  install_helper
  # Default allow; the rule answers EDOM (33), which getpriority never
  # returns by itself, so the rule's hits are unmistakable.
  cfg '.linux.seccomp = {
         "defaultAction": "SCMP_ACT_ALLOW",
         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
         "syscalls": [{
           "names": ["getpriority"],
           "action": "SCMP_ACT_ERRNO",
           "errnoRet": 33,
           "args": [
             {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
             {"index": 1, "value": 4242, "op": "SCMP_CMP_EQ"}
           ]}]}'
}

@test "T13 two argument conditions: only both together trigger the rule" {
  set_cmd 'sec-helper getpriority 0 4242; sec-helper getpriority 0 0; sec-helper getpriority 1 4242; sec-helper getpriority 2 0'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  local edom
  edom=$(printf '%s\n' "$stdout" | grep '^RESULT getpriority' | grep 'Numerical argument out of domain' || true)
  # Both conditions: the rule.
  assert_contains "$edom" "getpriority 0 4242"
  # One condition only: the kernel's own answer.
  [ "$(printf '%s\n' "$edom" | grep -c .)" -eq 1 ] || fail "the rule matched with one condition: $edom"
}

@test "T13 two conditions in an exec'd process: ANDed as well" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec "$ID" sh -c 'sec-helper getpriority 0 4242; sec-helper getpriority 0 0; sec-helper getpriority 1 4242'
  assert_status 0
  local edom
  edom=$(printf '%s\n' "$stdout" | grep 'Numerical argument out of domain' || true)
  assert_contains "$edom" "getpriority 0 4242"
  [ "$(printf '%s\n' "$edom" | grep -c .)" -eq 1 ] || fail "the rule matched with one condition: $edom"
}
