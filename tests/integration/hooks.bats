#!/usr/bin/env bats
# OCI hooks: the six kinds, their order, the state on stdin, args and env,
# and what a failing hook does.

load ../lib/helpers

# The hook script lives in the bind-mounted /out, so the same file works on
# the host (prestart, createRuntime, poststart, poststop), in the container's
# mount namespace before pivot_root (createContainer) and inside the
# container (startContainer). It appends "KIND STATE-JSON" to LOG.
setup() {
  common_setup
  OUT=$TEST_DIR/out
  add_bind "$OUT" /out
  cat >"$OUT/hook.sh" <<'SCRIPT'
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
kind=$1 log=$2 rc=${3:-0}
state=$(cat)
echo "$kind $state" >>"$log"
[ -n "${HOOK_ENV_PROBE:-}" ] && echo "env $kind $HOOK_ENV_PROBE" >>"$log"
exit "$rc"
SCRIPT
  chmod 755 "$OUT/hook.sh"
  HOOK=$OUT/hook.sh
  LOG=$OUT/hooks.log
}

# hook_json KIND [RC]: a hook entry that logs as KIND and exits RC. The
# startContainer hook runs inside the container, so it uses the paths there.
hook_json() {
  local kind=$1 rc=${2:-0} path=$HOOK log=$LOG
  if [ "$kind" = startContainer ]; then
    path=/out/hook.sh log=/out/hooks.log
  fi
  jq -cn --arg p "$path" --arg k "$kind" --arg l "$log" --arg rc "$rc" \
    '{path: $p, args: ["hook.sh", $k, $l, $rc]}'
}

# add_hook KIND [RC] [NAME]: appends a hook to hooks.KIND (NAME is the
# word it logs, default KIND).
add_hook() {
  local kind=$1 rc=${2:-0} name=${3:-$1} h
  h=$(hook_json "$name" "$rc")
  if [ "$kind" = startContainer ]; then
    h=$(jq -c '.path = "/out/hook.sh" | .args[2] = "/out/hooks.log"' <<<"$h")
  fi
  cfg ".hooks.$kind += [\$h]" --argjson h "$h"
}

logged_kinds() {
  echo "# hooks.log:" >&2; cat "$LOG" >&2 2>/dev/null
  grep -v '^env ' "$LOG" 2>/dev/null | cut -d' ' -f1 | tr '\n' ' '
}

# state_of_hook NAME: the state JSON that hook NAME got on stdin.
state_of_hook() {
  grep "^$1 " "$LOG" | head -1 | cut -d' ' -f2-
}

@test "hooks: create runs prestart, createRuntime, createContainer in order" {
  add_hook createContainer
  add_hook createRuntime
  add_hook prestart
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  # runc 1.1 also runs poststart here; only check the create-time kinds.
  [ "$(logged_kinds | sed 's/poststart //')" = "prestart createRuntime createContainer " ]
}

# The parent joins the cgroups while the init mounts; the init waits for
# that before its hooks, so the hook process starts in the container's
# cgroups, never in the runtime's.
@test "hooks: createContainer runs in the container's cgroups" {
  cat >"$OUT/cgroup-hook.sh" <<SCRIPT
#!/bin/sh
cat >/dev/null
cat /proc/self/cgroup >"$OUT/hook-cgroup"
SCRIPT
  chmod 755 "$OUT/cgroup-hook.sh"
  cfg '.hooks.createContainer = [{"path": $p}]' --arg p "$OUT/cgroup-hook.sh"
  # Without a cgroup mount, which would wait for the join on its own.
  cfg '.mounts |= map(select(.type != "cgroup"))'
  set_args sleep 1000
  new_id
  # The join held back 300 ms: a hook that did not wait for it runs first.
  BERTH_FAULT_PAUSE=create.init-released:300 rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  echo "# hook: $(cat "$OUT/hook-cgroup")" >&2
  echo "# init: $(cat "/proc/$pid/cgroup")" >&2
  [ -s "$OUT/hook-cgroup" ]
  [ "$(cat "$OUT/hook-cgroup")" = "$(cat "/proc/$pid/cgroup")" ]
  [ "$(cat "$OUT/hook-cgroup")" != "$(cat /proc/self/cgroup)" ]
}

@test "hooks: all six kinds run, in lifecycle order" {
  skip_if_runc "1.1.5 runs poststart hooks during create (the spec and runc 1.2+ run them on start)"
  local k
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    add_hook "$k"
  done
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(logged_kinds)" = "prestart createRuntime createContainer " ]
  rtc start "$ID"
  assert_status 0
  # startContainer runs in the container's init after start has released it.
  local i
  for i in $(seq 50); do grep -q '^poststart ' "$LOG" && break; sleep 0.1; done
  [ "$(logged_kinds)" = "prestart createRuntime createContainer startContainer poststart " ]
  [ "$(state_of_hook poststart | jq -r .status)" = running ]
  rtc kill "$ID" KILL
  wait_status "$ID" stopped
  rtc delete "$ID"
  assert_status 0
  [ "$(logged_kinds)" = "prestart createRuntime createContainer startContainer poststart poststop " ]
}

# slow_start_hook: a startContainer hook that sleeps before it logs, a
# poststart hook, and a program that logs as it starts. A start (or run)
# that ran poststart as soon as the init was released would log poststart
# first.
slow_start_hook() {
  cat >"$OUT/slow.sh" <<'SCRIPT'
#!/bin/sh
sleep 1
echo "startContainer" >>/out/hooks.log
SCRIPT
  chmod 755 "$OUT/slow.sh"
  cfg '.hooks.startContainer = [{"path": "/out/slow.sh"}]'
  add_hook poststart
  set_args sh -c 'echo program >>/out/hooks.log; exec sleep 1000'
  new_id
}

# assert_poststart_after_start CMD: CMD has returned, so poststart has run;
# the program may race it only for its first line, which must come after
# startContainer in any case.
assert_poststart_after_start() {
  [ "$(head -n 1 "$LOG")" = startContainer ] || fail "first line of hooks.log: $(head -n 1 "$LOG")"
  grep -q '^poststart ' "$LOG" || fail "poststart did not run before $1 returned"
}

@test "hooks: poststart waits for a slow startContainer hook and the program's start" {
  skip_if_runc "1.1.5 runs poststart hooks during create (the spec and runc 1.2+ run them on start)"
  slow_start_hook
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc start "$ID"
  assert_status 0
  assert_poststart_after_start start
}

@test "hooks: under run too, poststart waits for a slow startContainer hook and the program" {
  skip_if_runc "1.1.5 runs poststart hooks during create (the spec and runc 1.2+ run them on start)"
  slow_start_hook
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_poststart_after_start run
  [ "$(state_of_hook poststart | jq -r .status)" = running ]
}

@test "hooks: each hook gets the container state on stdin" {
  local k
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    add_hook "$k"
  done
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  rtc delete --force "$ID"
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    local s
    s=$(state_of_hook "$k")
    [ -n "$s" ] || fail "$k did not run"
    jq -e --arg id "$ID" --arg b "$BUNDLE" \
      '.id == $id and .bundle == $b and (.ociVersion | type) == "string" and (.status | type) == "string"' \
      <<<"$s" >/dev/null || fail "$k got: $s"
  done
  # Hooks in the runtime namespace see the host pid.
  [ "$(state_of_hook poststart | jq -r .pid)" = "$pid" ]
  [ "$(state_of_hook createRuntime | jq -r .pid)" = "$pid" ]
  [ "$(state_of_hook poststop | jq -r .status)" = stopped ]
}

@test "hooks: several hooks of one kind run in listed order" {
  add_hook poststart 0 first
  add_hook poststart 0 second
  add_hook poststart 0 third
  set_args true
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(logged_kinds)" = "first second third " ]
}

@test "hooks: env of the hook is what the hook entry says" {
  cfg '.hooks.prestart = [{"path": $p, "args": ["hook.sh", "prestart", $l], "env": ["HOOK_ENV_PROBE=probe-value"]}]' \
    --arg p "$HOOK" --arg l "$LOG"
  set_args true
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  grep -qx 'env prestart probe-value' "$LOG"
}

@test "hooks: startContainer runs inside the container" {
  cfg '.hostname = "inside-box"'
  # The hook records the hostname it sees along with its stdin.
  cat >"$OUT/uts-hook.sh" <<'SCRIPT'
#!/bin/sh
cat >/dev/null
/bin/hostname >/out/uts.log
SCRIPT
  chmod 755 "$OUT/uts-hook.sh"
  cfg '.hooks.startContainer = [{"path": "/out/uts-hook.sh"}]'
  set_args true
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(cat "$OUT/uts.log")" = inside-box ]
}

@test "hooks: poststop failure is only a warning" {
  add_hook poststop 1 failing
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc kill "$ID" KILL
  wait_status "$ID" stopped
  rtc delete "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  [ "$(logged_kinds)" = "failing " ]
}

@test "hooks: the poststop hooks after a failing one still run" {
  skip_if_runc "runc stops at the first failing poststop hook (the spec says the rest still run)"
  add_hook poststop 1 failing
  add_hook poststop 0 after
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc delete --force "$ID"
  assert_status 0
  [ ! -e "$TEST_ROOT/$ID" ]
  [ "$(logged_kinds)" = "failing after " ]
}

@test "hooks: createRuntime failure fails create and leaves nothing behind" {
  add_hook createRuntime 1
  cfg '.linux.cgroupsPath = $p' --arg p "berth-test-cg-$ID_PREFIX"
  set_args sleep 1000
  new_id
  rtc create --pid-file "$TEST_DIR/pid" --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(logged_kinds)" = "createRuntime " ]
  [ "$(state_entries)" -eq 0 ]
  # The init that was waiting is gone, and so is its cgroup.
  local pid
  pid=$(state_of_hook createRuntime | jq -r .pid)
  [ -n "$pid" ] && [ "$pid" != null ]
  wait_dead "$pid"
  [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "berth-test-cg-$ID_PREFIX" 2>/dev/null)" ]
}

@test "hooks: prestart failure fails create and leaves nothing behind" {
  add_hook prestart 7
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
  local pid
  pid=$(state_of_hook prestart | jq -r .pid)
  wait_dead "$pid"
}

@test "hooks: createContainer failure fails create and leaves nothing behind" {
  add_hook createContainer 1
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "hooks: startContainer failure stops the container; the program never runs" {
  add_hook startContainer 1
  set_cmd 'echo ran > /out/program-ran'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  # runc's start returns once init is released, before the hook runs, so
  # start itself may succeed; the container must not run the program.
  rtc start "$ID"
  wait_status "$ID" stopped
  grep -q '^startContainer ' "$LOG"
  [ ! -e "$OUT/program-ran" ]
}

@test "hooks: a hook that outlives its timeout fails create" {
  cat >"$OUT/slow.sh" <<'SCRIPT'
#!/bin/sh
exec sleep 30
SCRIPT
  chmod 755 "$OUT/slow.sh"
  cfg '.hooks.createRuntime = [{"path": $p, "timeout": 1}]' --arg p "$OUT/slow.sh"
  set_args true
  new_id
  local t0=$SECONDS
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  [ $((SECONDS - t0)) -lt 15 ]
  [ "$(state_entries)" -eq 0 ]
}

@test "hooks: a missing hook binary fails create" {
  cfg '.hooks.prestart = [{"path": "/nonexistent/berth-test-hook"}]'
  set_args true
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "hooks: a failing poststart fails run --detach, stops the program and leaves nothing" {
  skip_if_runc "1.1.5 runs poststart hooks during create (the spec and runc 1.2+ run them on start)"
  add_hook poststart 1
  cfg '.linux.cgroupsPath = $p' --arg p "berth-test-cg-$ID_PREFIX"
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_failure
  grep -q 'poststart hook #0' <<<"$stderr" || fail "stderr: $stderr"
  [ "$(logged_kinds)" = "poststart " ]
  local pid
  pid=$(state_of_hook poststart | jq -r .pid)
  [ -n "$pid" ] && [ "$pid" != null ]
  wait_dead "$pid"
  [ "$(state_entries)" -eq 0 ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "berth-test-cg-$ID_PREFIX" 2>/dev/null)" ]
}

@test "hooks: a failing poststart fails start and stops the program" {
  skip_if_runc "1.1.5 runs poststart hooks during create (the spec and runc 1.2+ run them on start)"
  add_hook poststart 1
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  rtc start "$ID"
  assert_failure
  grep -q 'poststart hook #0' <<<"$stderr" || fail "stderr: $stderr"
  wait_dead "$pid"
  wait_status "$ID" stopped
  rtc delete "$ID"
  assert_status 0
  [ "$(state_entries)" -eq 0 ]
}
