#!/usr/bin/env bats
# create/run flags: --console-socket, --no-pivot, --preserve-fds,
# --no-new-keyring (--pid-file is in lifecycle.bats).

load ../lib/helpers

# start_receiver: a console-socket receiver in the background, ready once
# the socket exists. $SOCK, $CONSOLE_OUT.
start_receiver() {
  SOCK=$TEST_DIR/console.sock
  CONSOLE_OUT=$TEST_DIR/console.out
  python3 "$REPO_ROOT/tests/lib/recv-console.py" "$SOCK" "$CONSOLE_OUT" "$@" \
    </dev/null >"$TEST_DIR/recv.log" 2>&1 &
  RECEIVER=$!
  wait_file "$SOCK"
}

# wait_receiver: the receiver saw the pty close; fails if it did not finish.
wait_receiver() {
  local i
  for i in $(seq 100); do
    kill -0 "$RECEIVER" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$RECEIVER" 2>/dev/null; then
    kill "$RECEIVER"
    fail "console receiver did not finish: $(cat "$TEST_DIR/recv.log")"
  fi
  wait "$RECEIVER" || fail "console receiver failed: $(cat "$TEST_DIR/recv.log")"
}

@test "create --console-socket: the pty master arrives and carries the output" {
  cfg '.process.terminal = true'
  set_cmd 'echo hello-tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; ls -l /dev/console'
  start_receiver
  new_id
  rtc create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc start "$ID"
  assert_status 0
  wait_receiver
  local out
  out=$(tr -d '\r' <"$CONSOLE_OUT")
  assert_contains "$out" hello-tty
  assert_contains "$out" stdio-is-tty
  # /dev/console is the pty slave, a character device.
  grep -qE '^c.* /dev/console' <<<"$out" || fail "no /dev/console char device: $out"
}

@test "run --detach --console-socket: the state is saved after READY, as the console may still fail" {
  skip_if_runc "berth's fault points name berth's own steps"
  cfg '.process.terminal = true'
  set_args true
  start_receiver
  new_id
  BERTH_FAULT_TRACE=$TEST_DIR/steps rtc run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_receiver
  [ "$(step_order "$TEST_DIR/steps" create.state-saved create.init-ready)" = after ] ||
    fail "steps: $(cat "$TEST_DIR/steps")"
}

@test "run --detach --console-socket: input written to the pty reaches the container" {
  cfg '.process.terminal = true'
  add_bind "$TEST_DIR/out" /out
  set_cmd 'read line; echo "$line" > /out/line'
  start_receiver "typed-in"$'\n'
  new_id
  rtc run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_status 0
  wait_file "$TEST_DIR/out/line"
  sleep 0.2
  [ "$(cat "$TEST_DIR/out/line")" = typed-in ]
  wait_receiver
}

@test "create --console-socket: consoleSize sets the window size" {
  cfg '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 111}'
  set_cmd 'stty size'
  start_receiver
  new_id
  rtc create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc start "$ID"
  wait_receiver
  [ "$(tr -d '\r' <"$CONSOLE_OUT")" = "33 111" ]
}

@test "run --detach with terminal but no --console-socket fails" {
  cfg '.process.terminal = true'
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "--console-socket without a terminal fails" {
  set_args sleep 1000
  start_receiver
  new_id
  rtc create --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
  kill "$RECEIVER" 2>/dev/null || true
}

@test "--console-socket that nobody listens on fails and leaves nothing" {
  cfg '.process.terminal = true'
  set_args sleep 1000
  new_id
  rtc create --console-socket "$TEST_DIR/nobody.sock" --bundle "$BUNDLE" "$ID"
  assert_failure
  [ "$(state_entries)" -eq 0 ]
}

@test "create --no-pivot: the container runs with the bundle's rootfs as /" {
  set_cmd 'cat /etc/passwd; ls /bin/busybox'
  new_id
  rtc run --no-pivot --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_contains "$stdout" "root:x:0:0"
  assert_contains "$stdout" "/bin/busybox"
}

@test "--preserve-fds N passes fds 3..3+N-1" {
  set_cmd 'echo via-fd3 >&3; echo via-fd4 >&4'
  new_id
  local rc=0
  rt run --preserve-fds 2 --bundle "$BUNDLE" "$ID" \
    3>"$TEST_DIR/fd3" 4>"$TEST_DIR/fd4" </dev/null >"$TEST_DIR/out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$TEST_DIR/out")"
  [ "$(cat "$TEST_DIR/fd3")" = via-fd3 ]
  [ "$(cat "$TEST_DIR/fd4")" = via-fd4 ]
}

# The shell checks its own descriptors 3-9 with builtins only: a pipeline or
# a command substitution would open descriptors of its own while it looks.
EXTRA_FDS_CMD='for n in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && printf "%s " $n; done; true'

@test "without --preserve-fds only 0, 1 and 2 reach the container" {
  # The caller holds fds 3 and 4 open; none of them may leak inside.
  set_cmd "$EXTRA_FDS_CMD"
  new_id
  local rc=0
  rt run --bundle "$BUNDLE" "$ID" 3>"$TEST_DIR/fd3" 4>"$TEST_DIR/fd4" \
    </dev/null >"$TEST_DIR/out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$TEST_DIR/out")"
  [ "$(cat "$TEST_DIR/out")" = "" ] || fail "extra fds inside: $(cat "$TEST_DIR/out")"
}

@test "--preserve-fds 1 passes only fd 3" {
  set_cmd "$EXTRA_FDS_CMD"
  new_id
  local rc=0
  rt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3>"$TEST_DIR/fd3" 4>"$TEST_DIR/fd4" \
    </dev/null >"$TEST_DIR/out" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$TEST_DIR/out")"
  [ "$(cat "$TEST_DIR/out")" = "3 " ] || fail "extra fds inside: $(cat "$TEST_DIR/out")"
}

# The session keyring shows in /proc/keys once that is not masked.
keyring_cmd() {
  cfg '.linux.maskedPaths -= ["/proc/keys"]'
  set_cmd 'grep -c keyring /proc/keys; grep " _ses" /proc/keys || true'
}

@test "create: a new session keyring named after the container" {
  keyring_cmd
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_contains "$stdout" "_ses.$ID"
}

@test "create --no-new-keyring: the caller's keyring is kept" {
  keyring_cmd
  new_id
  rtc run --no-new-keyring --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_not_contains "$stdout" "_ses.$ID"
}

# As root berth re-executes from its own binary seen through an overlay of
# two read-only layers mounted nowhere (src/lib/linux/cloned_binary.c): a
# created init's executable is that view, which refuses every write, and
# no mount of it shows in the host's mount table.
@test "create: the init runs from a read-only view of berth, attached to no mount table" {
  skip_if_runc "berth's own protection of its binary"
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid exe
  pid=$(rt state "$ID" | jq -r .pid)
  exe=$(readlink "/proc/$pid/exe")
  [ "$exe" = "/$(basename "$BERTH")" ] || fail "the init runs from '$exe'"
  [ "$(stat -f -c %T "/proc/$pid/exe")" = overlayfs ] || fail "not an overlay: $(stat -f -c %T "/proc/$pid/exe")"
  run sh -c 'printf x >>"/proc/$1/exe"' sh "$pid"
  [ "$status" -ne 0 ]
  grep -q "Read-only file system" <<<"$output" || fail "write: $output"
  cmp -s "/proc/$pid/exe" "$BERTH" || fail "the view is not the binary"
  local shown
  shown=$(grep -F " - overlay " /proc/self/mountinfo | grep -F "lowerdir=$(dirname "$BERTH")" || true)
  [ -z "$shown" ] || fail "an overlay of berth's directory is in the mount table: $shown"
}

# The first image only re-executes: options, the log and the bundle are
# for the berth that runs from the view (src/cli/main.c). Anything it did
# before would be done twice on every create. (No -f: the re-execution
# is in the same process, and strace would wait for the created init.)
@test "create: berth re-executes from its view before it opens the log or the bundle" {
  skip_if_runc "berth's own protection of its binary"
  command -v strace >/dev/null || skip "strace is not installed"
  local trace=$BATS_TEST_TMPDIR/trace log=$BATS_TEST_TMPDIR/berth.log
  new_id
  capture strace -o "$trace" -e trace=execveat,openat \
    "$BERTH" --root "$TEST_ROOT" --log "$log" create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local reexec first_log first_config
  reexec=$(grep -n -m1 'execveat(' "$trace" | cut -d: -f1)
  first_log=$(grep -n -m1 -F "\"$log\"" "$trace" | cut -d: -f1)
  first_config=$(grep -n -m1 -F 'config.json"' "$trace" | cut -d: -f1)
  [ -n "$reexec" ] || fail "no re-execution: $(head -n 20 "$trace")"
  [ -n "$first_log" ] && [ -n "$first_config" ] || fail "log or config never opened"
  ((first_log > reexec)) || fail "the log was opened before the re-execution"
  ((first_config > reexec)) || fail "config.json was opened before the re-execution"
  rtc delete --force "$ID"
}

# The static x86_64 build makes the view and re-executes before the C
# library's start-up (src/cli/early_entry.c), which costs about 0.6 ms on
# a VM and would be paid twice: the first image makes no system call of
# that start-up (brk, arch_prctl for its thread pointer) before the
# execveat. Global options in any form main.c takes, before the command,
# leave it on that path; the check in main() finds the view and does not
# re-execute again.
@test "create: the static x86_64 build re-executes before the C library starts" {
  skip_if_runc "berth's own protection of its binary"
  command -v strace >/dev/null || skip "strace is not installed"
  [ "$(uname -m)" = x86_64 ] || skip "the early entry is x86_64 only ($(uname -m))"
  ! readelf -l "$BERTH" | grep -q INTERP || skip "a dynamic build: it starts at the C library's _start"
  local trace=$BATS_TEST_TMPDIR/trace log=$BATS_TEST_TMPDIR/berth.log
  local -a globals
  for globals in "--root $TEST_ROOT --log $log --debug" \
    "-root=$TEST_ROOT --log-format=text --systemd-cgroup=false" \
    "--root=$TEST_ROOT -v=false --criu criu"; do
    new_id
    # shellcheck disable=SC2086 # the options are words on purpose
    capture strace -o "$trace" -e trace=execve,execveat,brk,arch_prctl \
      "$BERTH" $globals create --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ] || fail "create with $globals: $output"
    local first_libc reexec
    reexec=$(grep -n -m1 'execveat(' "$trace" | cut -d: -f1)
    first_libc=$(grep -n -m1 -E '^(brk|arch_prctl)\(' "$trace" | cut -d: -f1)
    if [[ "$globals" == *"-v=false"* || "$globals" == *"systemd-cgroup=false"* ]]; then
      # Forms it does not know: the C library starts, and main() re-executes.
      [ -n "$reexec" ] && ((first_libc < reexec)) || fail "$globals: $(head -n 12 "$trace")"
    else
      [ -n "$reexec" ] || fail "no re-execution with $globals: $(head -n 12 "$trace")"
      ((first_libc > reexec)) || fail "the C library started before the re-execution: $(head -n 12 "$trace")"
      [ "$(grep -c 'execveat(' "$trace")" -eq 1 ] || fail "re-executed more than once"
    fi
    rt delete --force "$ID" >/dev/null 2>&1 || true
  done
}

# What runs before the C library may call nothing of it (its IFUNCs are
# not resolved yet) and touch no thread-local storage (%fs is not set up):
# every call in the early entry's and exe_view's functions stays among
# them, whatever the compiler made of loops and locals.
@test "create: the code before the C library calls only itself and no thread-local storage" {
  skip_if_runc "berth's own entry point"
  [ "$(uname -m)" = x86_64 ] || skip "the early entry is x86_64 only ($(uname -m))"
  ! readelf -l "$BERTH" | grep -q INTERP || skip "a dynamic build: it starts at the C library's _start"
  local build ours
  build=$(dirname "$BERTH")
  [ -f "$build/libexeview.a" ] && [ -f "$build/libearlyentry.a" ] ||
    skip "no build directory beside $BERTH"
  ours=$(nm --defined-only "$build/libexeview.a" "$build/libearlyentry.a" |
    awk '$2 ~ /^[Tt]$/ {print $3}' | sort -u)
  [ -n "$ours" ] || fail "no functions in the early objects"
  local code
  code=$(objdump -d --no-show-raw-insn "$BERTH" | awk -v names="$ours" '
    BEGIN { n = split(names, a, "\n"); for (i = 1; i <= n; i++) keep[a[i]] = 1 }
    /^[0-9a-f]+ <.*>:$/ { name = $2; gsub(/[<>:]/, "", name); on = (name in keep); next }
    on { print }')
  [ -n "$code" ] || fail "none of them in the binary"
  local bad
  bad=$(grep -E '\s(call|jmp)\s+[0-9a-f]+ <' <<<"$code" | sed -E 's/.*<([^>+]+).*/\1/' |
    sort -u | grep -vxF -f <(printf '%s\n' $ours _start) || true)
  [ -z "$bad" ] || fail "calls outside: $bad"
  ! grep -qE '%fs:|\scall\s+\*' <<<"$code" || fail "thread-local storage or an indirect call: $(grep -E '%fs:|\scall\s+\*' <<<"$code" | head -3)"
}

# Later commands (hooks, kill, delete) act on the state's copy of
# config.json: it must be the document create validated, not the bundle's
# file read a second time. strace holds create for 3 s at the mkdirat of
# its state directory, between the parse and the copy, and the test swaps
# the bundle's config.json meanwhile.
@test "create: the state keeps the config.json that was parsed, not one swapped in meanwhile" {
  skip_if_runc "runc keeps no copy of config.json"
  command -v strace >/dev/null || skip "strace is not installed"
  set_args sleep 1000
  new_id
  local parsed=$BATS_TEST_TMPDIR/parsed.json out=$BATS_TEST_TMPDIR/create.out pid
  cp "$BUNDLE/config.json" "$parsed"
  strace -o /dev/null -e trace=mkdirat -e inject=mkdirat:delay_exit=3000000:when=1 \
    "$BERTH" --root "$TEST_ROOT" create --bundle "$BUNDLE" "$ID" >"$out" 2>&1 &
  pid=$!
  sleep 1
  jq '.process.args = ["sh", "-c", "echo swapped"]' "$parsed" >"$BUNDLE/config.json.new"
  mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
  wait "$pid" || fail "create: $(cat "$out")"
  cmp -s "$TEST_ROOT/$ID/config.json" "$parsed" ||
    fail "the state keeps another config.json: $(jq -c .process.args "$TEST_ROOT/$ID/config.json")"
  rtc delete --force "$ID"
}
