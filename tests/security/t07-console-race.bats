#!/usr/bin/env bats
# T7: /dev/console through image-provided /dev/pts entries
# (CVE-2025-52565).
#
# With process.terminal the runtime binds the pty it opened onto
# /dev/console. If it finds the pty by name (/dev/pts/N) and the image
# made that name a symlink, the bind carries whatever the symlink points
# to (the original attack: /proc/sysrq-trigger) onto /dev/console, where
# the container can write it. Here the symlinks point at a harmless host
# file, which must stay untouched, and /dev/console must be the pty peer.

load common

setup() {
  sec_setup
  HOSTFILE=$TEST_DIR/host-sysrq-standin
  echo "untouched" >"$HOSTFILE"
  HOST_BEFORE=$(stat -c '%s %Y %i' "$HOSTFILE")
  cfg '.process.terminal = true'
  SOCK=$TEST_DIR/console.sock
  TTY_OUT=$TEST_DIR/tty.out
}

# plant_pts DIR: /dev/pts/0..31 (and ptmx) in DIR as symlinks to the host
# file, by absolute and by climbing relative paths.
plant_pts() {
  local d=$1/dev/pts n
  mkdir -p "$d"
  for n in $(seq 0 31); do
    ln -sfn "$HOSTFILE" "$d/$n"
  done
  ln -sfn "../../../../../../../..$HOSTFILE" "$d/ptmx"
  ln -sfn "$HOSTFILE" "$1/dev/console"
}

# The container compares /dev/console with its own terminal: same device
# numbers, a pty (major 136-143), and writing to it reaches the receiver.
CHECK='c=$(stat -L -c "%t:%T %F" /dev/console); t=$(stat -L -c "%t:%T %F" /proc/self/fd/0); echo "CONSOLE $c"; echo "STDIN $t"; echo via-console >/dev/console; sleep 1'

run_with_console() {
  console_receiver "$SOCK" "$TTY_OUT" 20
  set_cmd "$CHECK"
  new_id
  rtc run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$ID"
  assert_no_crash
  if [ "$status" -eq 0 ]; then
    wait_grep 'via-console' "$TTY_OUT" 100 || true
    wait_dead "$BG_PID" 50 || true
    cat "$TTY_OUT" >&2
    local console stdin
    console=$(grep -a '^CONSOLE' "$TTY_OUT" | tr -d '\r' | cut -d' ' -f2-)
    stdin=$(grep -a '^STDIN' "$TTY_OUT" | tr -d '\r' | cut -d' ' -f2-)
    [ -n "$console" ] || fail "the container printed nothing on its terminal"
    [ "$console" = "$stdin" ] || fail "/dev/console ($console) is not the terminal ($stdin)"
    assert_contains "$console" "character special file"
    local major=$((16#${console%%:*}))
    [ "$major" -ge 136 ] && [ "$major" -le 143 ] || fail "/dev/console is not a pty: $console"
    grep -aq via-console "$TTY_OUT" || fail "writing /dev/console did not reach the terminal"
  fi
  [ "$(cat "$HOSTFILE")" = "untouched" ] || fail "the host file was written"
  [ "$(stat -c '%s %Y %i' "$HOSTFILE")" = "$HOST_BEFORE" ] || fail "the host file changed"
  [ -z "$(mounts_under "$HOSTFILE")" ] || fail "a mount on the host file"
}

@test "T7 /dev/pts symlinks in the image, devpts mounted: /dev/console is the pty" {
  plant_pts "$BUNDLE/rootfs"
  run_with_console
}

@test "T7 /dev/pts symlinks in the image, no devpts and no /dev tmpfs: refused or /dev/console is the pty" {
  plant_pts "$BUNDLE/rootfs"
  cfg '.mounts |= map(select(.destination | (. == "/dev" or startswith("/dev/")) | not))'
  run_with_console
}

@test "T7 /dev/pts symlinks in the image, /dev tmpfs but no devpts: refused or /dev/console is the pty" {
  plant_pts "$BUNDLE/rootfs"
  remove_mount /dev/pts
  run_with_console
}
