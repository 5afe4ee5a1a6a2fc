#!/usr/bin/env bats
# T1: overwriting the runtime's binary through /proc/<pid>/exe
# (CVE-2019-5736).
#
# A process that the runtime puts into the container is, until it calls
# execve, the runtime itself: /proc/<pid>/exe names the host's binary.
# And a container whose program is /proc/self/exe (directly, or through a
# /bin/sh that links there) gets that binary executed inside it. Either
# way a container process may get hold of the binary, wait for it to stop
# running and reopen it for writing: the next `runtime` the host runs is
# then the attacker's. The runtime must never let a host file be reached
# this way.
#
# The attacks run against a copy of the runtime in the test's directory:
# a broken runtime must not cost the checkout its binary. The helper never
# writes into the host binary even when it gets it open; it reports it.

load common

setup_file() {
  # One copy per file: its sha256 is checked after every test.
  export RT_COPY=$BATS_FILE_TMPDIR/runtime-under-test
  cp "$BERTH" "$RT_COPY"
  export RT_COPY_SHA
  RT_COPY_SHA=$(sha "$RT_COPY")
  export RT_ORIG_SHA
  RT_ORIG_SHA=$(sha "$BERTH")
}

setup() {
  sec_setup
  BERTH=$RT_COPY
  HOST_DEVINO=$(devino "$RT_COPY")
  LOG=$TEST_DIR/log
  mkdir -p "$LOG"
  chmod 777 "$LOG"
  install_helper
  install_runtime_libs
  add_bind "$LOG" /log
}

teardown() {
  sec_teardown
  # The binary is unchanged whatever the test did (and so is the real one).
  [ "$(sha "$RT_COPY")" = "$RT_COPY_SHA" ] || fail "the runtime binary changed"
  [ "$(sha "$BERTH_ORIG")" = "$RT_ORIG_SHA" ] || fail "the real runtime binary changed"
}

BERTH_ORIG=$BERTH

# The runtime's binary, once executed inside a container, is kept running
# there by its own --log option: opening a FIFO for writing blocks until
# someone reads. That gives the hunter all the time it needs to find the
# process, as a real attacker would get with enough tries; release_fifo
# then lets it finish, after which the binary is no longer busy.
make_log_fifo() {
  mkfifo "$LOG/fifo"
  chmod 666 "$LOG/fifo"
}

release_fifo() {
  sleep 2
  timeout 20 cat "$LOG/fifo" >/dev/null || true
}

# with_caps CAP...: the process gets these capabilities in every set but
# inheritable.
with_caps() {
  local json
  json=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
  cfg '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}' --argjson c "$json"
}

@test "T1 entrypoint /proc/self/exe: a container sharing its pid namespace cannot write the runtime" {
  # The attacker: a container that watches every new process of its pid
  # namespace and tries to reach the runtime's binary through it. It holds
  # CAP_SYS_PTRACE, so non-dumpable runtime processes are no obstacle.
  cfg '.process.args = ["sh", "-c", "exec sec-helper hunt 120 '"$HOST_DEVINO"' 0 /log/stop >/log/hunt.txt 2>&1"]'
  with_caps CAP_SYS_PTRACE CAP_KILL
  new_id
  local attacker=$ID
  rtc run -d --bundle "$BUNDLE" "$attacker"
  assert_status 0
  local apid
  apid=$(rt state "$attacker" | jq -r .pid)
  wait_grep '^HUNTING' "$LOG/hunt.txt" 300

  # The victim: its program is /proc/self/exe, in the attacker's pid
  # namespace, several times over.
  local victim=$TEST_DIR/victim
  make_bundle "$victim"
  install_runtime_libs "$victim"
  make_log_fifo
  jq --arg ns "/proc/$apid/ns/pid" --arg log "$LOG" \
    '.process.args = ["/proc/self/exe", "--log", "/log/fifo", "list"]
     | .mounts += [{"destination": "/log", "type": "bind", "source": $log, "options": ["rbind"]}]
     | .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
    "$victim/config.json" >"$victim/c.json" && mv "$victim/c.json" "$victim/config.json"
  local i
  for i in 1 2 3; do
    new_id
    bg rt run --bundle "$victim" "$ID" </dev/null >"$TEST_DIR/victim.$i.out" 2>&1
    release_fifo
    wait "$BG_PID" || echo "# victim run $i: status $?" >&2
  done
  # A moment for the hunter to try the last processes, then stop it.
  sleep 2
  touch "$LOG/stop"
  wait_grep '^RESULT hunt' "$LOG/hunt.txt" 200
  cat "$LOG/hunt.txt" >&2
  assert_binary_safe "$LOG/hunt.txt"
}

@test "T1 /bin/sh linked to /proc/self/exe: exec into the container cannot expose the runtime" {
  # The image's /bin/sh is the magic link: `exec CONTAINER sh` runs
  # whatever /proc/self/exe is for the process the runtime made.
  ln -sfn /proc/self/exe "$BUNDLE/rootfs/bin/sh"
  cfg '.process.args = ["/bin/busybox", "sh", "-c", "exec sec-helper hunt 120 '"$HOST_DEVINO"' 0 /log/stop >/log/hunt.txt 2>&1"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_grep '^HUNTING' "$LOG/hunt.txt" 300
  make_log_fifo
  local i
  for i in 1 2 3; do
    bg rt exec "$ID" sh --log /log/fifo list </dev/null >"$TEST_DIR/exec.$i.out" 2>&1
    release_fifo
    wait "$BG_PID" || echo "# exec $i: status $?" >&2
  done
  # A moment for the hunter to try the last processes, then stop it.
  sleep 2
  touch "$LOG/stop"
  wait_grep '^RESULT hunt' "$LOG/hunt.txt" 200
  cat "$LOG/hunt.txt" >&2
  assert_binary_safe "$LOG/hunt.txt"
}

@test "T1 created container: /proc/1/exe and /proc/<exec-pid>/exe never give the runtime binary" {
  # The init stays the runtime until `start`: a process exec'd into the
  # created container, with CAP_SYS_PTRACE, goes for /proc/1/exe and for
  # the exe of every exec that follows it, and keeps what it gets for
  # after the runtime has stopped running.
  cfg '.process.args = ["sh", "-c", "sleep 30"]'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec -d --cap CAP_SYS_PTRACE "$ID" sh -c \
    "sec-helper openw /proc/1/exe $HOST_DEVINO >/log/openw.txt 2>&1; exec sec-helper hunt 120 $HOST_DEVINO 0 /log/stop >/log/hunt.txt 2>&1"
  if [ "$status" -ne 0 ]; then
    skip "exec into a created container is refused: $output"
  fi
  wait_grep '^RESULT reopen' "$LOG/openw.txt" 300
  wait_grep '^HUNTING' "$LOG/hunt.txt" 300
  local i
  for i in 1 2 3 4 5; do
    rtc exec "$ID" true
  done
  rtc start "$ID"
  assert_status 0
  # A moment for the hunter to try the last processes, then stop it.
  sleep 2
  touch "$LOG/stop"
  wait_grep '^RESULT hunt' "$LOG/hunt.txt" 200
  cat "$LOG/openw.txt" "$LOG/hunt.txt" >&2
  assert_binary_safe "$LOG/openw.txt"
  assert_binary_safe "$LOG/hunt.txt"
}
