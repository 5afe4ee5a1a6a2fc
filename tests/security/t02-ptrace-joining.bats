#!/usr/bin/env bats
# T2: ptrace of a process the runtime is moving into the container
# (CVE-2016-9962).
#
# Until it calls execve, a process joining the container is the runtime,
# with the runtime's descriptors and memory. A container process that can
# ptrace it, or read its /proc/PID/mem, environ or fd, can take those.
# The container's processes here have the default capabilities (no
# CAP_SYS_PTRACE): the runtime's processes must be out of their reach.

load common

setup() {
  sec_setup
  LOG=$TEST_DIR/log
  mkdir -p "$LOG"
  chmod 777 "$LOG"
  install_helper
  add_bind "$LOG" /log
}

# An ATTACHED line is fine when the tracee already ran a container binary;
# any other executable (the runtime's, or a copy of it in memory) means a
# runtime process was caught.
assert_no_runtime_attached() {
  local f=$1 bad
  bad=$(grep '^ATTACHED' "$f" | grep -vE ' exe=/bin/(busybox|sec-helper|sh|true|sleep)$' || true)
  if [ -n "$bad" ]; then
    echo "attached to a runtime process:" >&2
    echo "$bad" >&2
    return 1
  fi
}

@test "T2 the init of a created container cannot be traced or read" {
  cfg '.process.args = ["sh", "-c", "sleep 30"]'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec "$ID" sh -c 'sec-helper ptrace 1; sec-helper readmem 1'
  if [ "$status" -ne 0 ] && [ -z "$stdout" ]; then
    skip "exec into a created container is refused: $output"
  fi
  assert_contains "$stdout" "RESULT ptrace 1"
  assert_not_contains "$stdout" "ATTACHED"
  assert_contains "$stdout" "RESULT mem-open 1 "
  assert_not_contains "$stdout" "mem-open 1 OPENED"
  assert_not_contains "$stdout" "environ 1 READ"
  # Every link of its fd directory stays unreadable and unopenable.
  if printf '%s\n' "$stdout" | grep -E '^RESULT fd-open .* OPENED$'; then
    fail "a descriptor of the runtime's init could be opened"
  fi
  if printf '%s\n' "$stdout" | grep '^RESULT fd-link' | grep -v 'Permission denied$'; then
    fail "a descriptor of the runtime's init was readable"
  fi
}

@test "T2 processes joining by exec cannot be attached to while they are the runtime" {
  cfg '.process.args = ["sh", "-c", "exec sec-helper hunt 120 0:0 1 /log/stop >/log/hunt.txt 2>&1"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_grep '^HUNTING' "$LOG/hunt.txt" 300
  local i
  for i in $(seq 15); do
    rtc exec "$ID" true
  done
  # A moment for the hunter to try the last processes, then stop it.
  sleep 2
  touch "$LOG/stop"
  wait_grep '^RESULT hunt' "$LOG/hunt.txt" 200
  cat "$LOG/hunt.txt" >&2
  assert_no_runtime_attached "$LOG/hunt.txt"
}

@test "T2 the init being created cannot be attached to by a container sharing its pid namespace" {
  # The attacker runs first; the victim is created in its pid namespace
  # again and again, so the attacker sees each new init while the runtime
  # is still setting it up.
  cfg '.process.args = ["sh", "-c", "exec sec-helper hunt 120 0:0 1 /log/stop >/log/hunt.txt 2>&1"]'
  new_id
  local attacker=$ID
  rtc run -d --bundle "$BUNDLE" "$attacker"
  assert_status 0
  local apid
  apid=$(rt state "$attacker" | jq -r .pid)
  wait_grep '^HUNTING' "$LOG/hunt.txt" 300
  local victim=$TEST_DIR/victim
  make_bundle "$victim"
  jq --arg ns "/proc/$apid/ns/pid" \
    '.process.args = ["true"]
     | .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
    "$victim/config.json" >"$victim/c.json" && mv "$victim/c.json" "$victim/config.json"
  local i
  for i in $(seq 8); do
    new_id
    rtc create --bundle "$victim" "$ID"
    rtc delete --force "$ID"
  done
  # A moment for the hunter to try the last processes, then stop it.
  sleep 2
  touch "$LOG/stop"
  wait_grep '^RESULT hunt' "$LOG/hunt.txt" 200
  cat "$LOG/hunt.txt" >&2
  assert_no_runtime_attached "$LOG/hunt.txt"
}
