#!/usr/bin/env bats
# T10: inheritable capabilities (CVE-2022-29162, CVE-2022-27650).
#
# A capability in the inheritable set survives execve of a program with
# matching file capabilities: an unprivileged user in the container gets
# it back by running such a program. The inheritable set must be empty
# unless the spec asks for it, also for `exec --cap`.

load common

# CapInh and CapAmb of the process, in hex.
PRINT_CAPS='grep -E "^Cap(Inh|Amb|Prm|Eff|Bnd):" /proc/self/status'

cap_of() {
  printf '%s\n' "$stdout" | awk -v k="$1:" '$1 == k { print $2 }'
}

@test "T10 the default spec gives an empty inheritable set" {
  run_container "$PRINT_CAPS"
  assert_status 0
  [ "$(cap_of CapInh)" = 0000000000000000 ] || fail "CapInh is $(cap_of CapInh)"
}

@test "T10 an explicitly empty inheritable list, as root and as another user" {
  cfg '.process.capabilities.inheritable = []'
  run_container "$PRINT_CAPS"
  assert_status 0
  [ "$(cap_of CapInh)" = 0000000000000000 ] || fail "CapInh is $(cap_of CapInh)"
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  run_container "$PRINT_CAPS"
  assert_status 0
  [ "$(cap_of CapInh)" = 0000000000000000 ] || fail "CapInh is $(cap_of CapInh) as uid 1000"
}

@test "T10 the spec's inheritable set is what the process gets" {
  # CAP_KILL is in the default bounding and permitted sets, so the kernel
  # allows it as inheritable.
  cfg '.process.capabilities.inheritable = ["CAP_KILL"]'
  run_container "$PRINT_CAPS"
  assert_status 0
  # CAP_KILL is bit 5.
  [ "$(cap_of CapInh)" = 0000000000000020 ] || fail "CapInh is $(cap_of CapInh)"
}

@test "T10 exec --cap never adds to the inheritable or ambient set" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec --cap CAP_SYS_ADMIN --cap CAP_NET_ADMIN "$ID" sh -c "$PRINT_CAPS"
  assert_status 0
  [ "$(cap_of CapInh)" = 0000000000000000 ] || fail "CapInh is $(cap_of CapInh)"
  # The caps were given (CAP_SYS_ADMIN is bit 21)...
  [ $((16#$(cap_of CapEff) & (1 << 21))) -ne 0 ] || fail "--cap CAP_SYS_ADMIN not effective"
  # ...but not as ambient: the ambient set is at most the spec's.
  [ $((16#$(cap_of CapAmb) & (1 << 21))) -eq 0 ] || fail "CAP_SYS_ADMIN became ambient"
}

@test "T10 exec as another user with --cap keeps the inheritable set empty" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec --user 1000:1000 --cap CAP_DAC_OVERRIDE "$ID" sh -c "$PRINT_CAPS"
  assert_status 0
  [ "$(cap_of CapInh)" = 0000000000000000 ] || fail "CapInh is $(cap_of CapInh)"
}
