#!/usr/bin/env bats
# sd_notify pass-through (NOTIFY_SOCKET), as Podman's --sdnotify=container
# uses it: the container gets its own socket at /run/notify/notify.sock,
# and start (or run) returns only once the container's READY=1 has reached
# the host's socket, with MAINPID set to the container's init.

load ../lib/helpers

setup() {
  common_setup
  OUT=$TEST_DIR/out
  add_bind "$OUT" /out
  local bin=$BATS_RUN_TMPDIR/notify-send
  if [ ! -x "$bin" ]; then
    gcc -static -O1 -Wall -o "$bin.tmp" "$REPO_ROOT/tests/lib/notify-send.c" ||
      fail "cannot build notify-send (gcc -static)"
    mv "$bin.tmp" "$bin"
  fi
  cp "$bin" "$BUNDLE/rootfs/bin/notify-send"
  HOST_SOCK=$TEST_DIR/host-notify.sock
  GOT=$TEST_DIR/host-notify.log
  python3 "$REPO_ROOT/tests/lib/notify-listener.py" "$HOST_SOCK" "$GOT" \
    </dev/null >"$TEST_DIR/listener.log" 2>&1 &
  LISTENER=$!
  wait_file "$HOST_SOCK.ready"
}

teardown() {
  kill "$LISTENER" 2>/dev/null
  wait "$LISTENER" 2>/dev/null
  common_teardown
}

# The container says READY=1 a second after it starts.
NOTIFYING='echo "$NOTIFY_SOCKET" >/out/env; sleep 1; notify-send READY=1; exec sleep 1000'

# assert_forwarded: READY=1 with the init's pid as MAINPID reached the host,
# and the barrier after it.
assert_forwarded() {
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  echo "# host got:" >&2; cat "$GOT" >&2 2>/dev/null
  # One datagram or one per field: systemd takes either (runc 1.1 sends
  # each field alone).
  local fields
  fields=$(tr '|' '\n' <"$GOT")
  grep -qx "READY=1" <<<"$fields" || fail "no READY=1"
  grep -qx "MAINPID=$pid" <<<"$fields" || fail "no MAINPID=$pid"
  # runc 1.1 sends no barrier.
  is_runc || grep -qx "BARRIER=1" <<<"$fields" || fail "no BARRIER=1"
  [ "$(cat "$OUT/env")" = /run/notify/notify.sock ]
}

@test "notify: run --detach returns after the container's READY=1, passed on with MAINPID" {
  set_cmd "$NOTIFYING"
  new_id
  local t0=$SECONDS
  NOTIFY_SOCKET=$HOST_SOCK rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  # Checked as soon as run returns: it must have waited for the message.
  assert_forwarded
  [ $((SECONDS - t0)) -ge 1 ]
  [ "$(status_of "$ID")" = running ]
}

@test "notify: start returns after the container's READY=1, passed on with MAINPID" {
  set_cmd "$NOTIFYING"
  new_id
  NOTIFY_SOCKET=$HOST_SOCK rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ ! -s "$GOT" ]
  NOTIFY_SOCKET=$HOST_SOCK rtc start "$ID"
  assert_status 0
  assert_forwarded
}

@test "notify: a container that exits without READY=1 does not hold up run" {
  skip_if_runc "1.1.5 waits for READY=1 forever once the container has exited"
  set_cmd 'echo "$NOTIFY_SOCKET" >/out/env; exit 0'
  new_id
  NOTIFY_SOCKET=$HOST_SOCK rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(cat "$OUT/env")" = /run/notify/notify.sock ]
  wait_status "$ID" stopped
  [ ! -s "$GOT" ]
}

@test "notify: without NOTIFY_SOCKET the container gets none" {
  set_cmd 'echo "${NOTIFY_SOCKET:-unset}" >/out/env; [ ! -e /run/notify ] && echo no-dir >>/out/env'
  new_id
  env -u NOTIFY_SOCKET "$BERTH" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$ID"
  [ "$(cat "$OUT/env")" = "unset"$'\n'"no-dir" ]
}

@test "notify: works under a state root whose path is longer than a socket address" {
  skip_if_runc "1.1.5 binds the socket by its full path, which is too long here"
  # <root>/<id>/notify/notify.sock is past the 108 bytes of sun_path here.
  TEST_ROOT=$TEST_DIR/state-$(printf 'x%.0s' $(seq 80))
  mkdir -p "$TEST_ROOT"
  set_cmd "$NOTIFYING"
  new_id
  NOTIFY_SOCKET=$HOST_SOCK rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_forwarded
}

@test "notify: a NOTIFY_SOCKET longer than a socket address is refused by create, by name" {
  skip_if_runc "1.1.5 cuts the path short"
  set_args true
  new_id
  local long
  long=$TEST_DIR/$(printf 'y%.0s' $(seq 120)).sock
  NOTIFY_SOCKET=$long rtc create --bundle "$BUNDLE" "$ID"
  assert_failure
  assert_contains "$stderr" "NOTIFY_SOCKET"
  assert_contains "$stderr" "longer than a socket address holds"
  [ "$(state_entries)" -eq 0 ]
}
