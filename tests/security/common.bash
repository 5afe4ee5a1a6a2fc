# Shared helpers of the security suite: one bats file per known class of
# container escape, each attacking a real container run by $BERTH.
#
# Builds on tests/lib/helpers.bash (state root, bundle, rt/rtc, teardown
# that deletes every container with --force). What is added here: the
# attacker's static helper binary, a console-socket receiver, background
# processes that teardown ends by pid, and checks for the host side.

SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/helpers.bash
source "$SEC_DIR/../lib/helpers.bash"

# Background processes a test started (by pid only: nothing is ever
# signalled by name).
BG_PIDS=()

sec_setup() {
  common_setup
  BG_PIDS=()
}

sec_teardown() {
  local p
  for p in "${BG_PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  BG_PIDS=()
  common_teardown
}

setup() { sec_setup; }
teardown() { sec_teardown; }

# bg CMD...: runs CMD in the background and remembers its pid for teardown
# (in $BG_PID as well).
bg() {
  "$@" &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
}

# The attacker's helper, compiled once per bats run: busybox has no ptrace,
# renameat2 or raw syscall applet. Static, so it runs in the bare rootfs.
sec_helper_bin() {
  local out=$BATS_RUN_TMPDIR/sec-helper
  if [ ! -x "$out" ]; then
    local tmp
    tmp=$(mktemp "$BATS_RUN_TMPDIR/sec-helper.XXXXXX") || return 1
    gcc -static -O1 -Wall -o "$tmp" "$SEC_DIR/sec-helper.c" >&2 || {
      rm -f "$tmp"
      return 1
    }
    # Another file of the run may have built it already; either is good.
    mv -f "$tmp" "$out"
  fi
  echo "$out"
}

# install_helper [BUNDLE]: the helper as /bin/sec-helper in the rootfs.
install_helper() {
  local b=${1:-$BUNDLE} bin
  bin=$(sec_helper_bin) || fail "cannot build sec-helper (gcc -static)"
  cp "$bin" "$b/rootfs/bin/sec-helper"
}

# The device and inode of a file, as the helper compares them.
devino() {
  stat -L -c '%d:%i' "$1"
}

sha() {
  sha256sum "$1" | cut -d' ' -f1
}

# Mount points at or below DIR in our own mount namespace.
mounts_under() {
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# A directory listing that shows any change: names, types, sizes, mtimes.
snapshot() {
  (cd "$1" && find . -printf '%p %y %s %T@\n' 2>/dev/null | sort)
}

# remove_mount DEST: drops the spec's mount on DEST.
remove_mount() {
  cfg 'del(.mounts[] | select(.destination == $d))' --arg d "$1"
}

# assert_no_line PATTERN FILE: no line of FILE matches the regex.
assert_no_line() {
  if grep -E "$1" "$2" >/dev/null 2>&1; then
    echo "found /$1/ in $2:" >&2
    grep -E "$1" "$2" >&2
    return 1
  fi
}

# The console-socket receiver: listens on SOCKET, takes the pty master,
# copies what the container writes to OUT until EOF or the time limit.
console_receiver() {
  bg python3 "$SEC_DIR/console-recv.py" "$1" "$2" "${3:-20}"
  wait_file "$1" 50
}

# install_runtime_libs [BUNDLE]: the shared libraries the runtime binary
# needs, at their host paths inside the rootfs. With them, a container that
# gets the runtime's binary executed inside it (through /proc/self/exe)
# really runs it, as in the original exploit, instead of failing on a
# missing loader.
install_runtime_libs() {
  local b=${1:-$BUNDLE} lib
  for lib in $(ldd "$BERTH" 2>/dev/null | grep -oE '/[^ ]+'); do
    [ -f "$lib" ] || continue
    mkdir -p "$b/rootfs$(dirname "$lib")"
    cp -L "$lib" "$b/rootfs$lib"
  done
}

# wait_grep REGEX FILE [TENTHS]: until a line of FILE matches.
wait_grep() {
  local re=$1 f=$2 n=${3:-100} i
  for i in $(seq "$n"); do
    grep -qE "$re" "$f" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for /$re/ in $f" >&2
  [ -f "$f" ] && cat "$f" >&2
  return 1
}

# The judgement of every attack on the runtime's binary: the host file was
# never opened for writing, and nothing else that was opened could be
# written either.
assert_binary_safe() {
  local log=$1
  assert_no_line '^HOST-EXE-WRITABLE' "$log"
  assert_no_line '^OTHER-WRITABLE .* write1=1$' "$log"
}

# A runtime that failed must have failed cleanly: not killed by a signal
# (128+N) and not hung until the time limit (124).
assert_no_crash() {
  if [ "$status" -eq 124 ] || { [ "$status" -gt 128 ] && [ "$status" -le 192 ]; }; then
    fail "the runtime crashed or hung (status $status)"
  fi
}

# reap_leftover ID: when the runtime cannot delete a container it made
# (state it cannot read back), end the init it left by its pid from
# state.json, checked against the container id in its command line, and
# remove its cgroups and state directory. The test still fails: this only
# keeps one broken runtime from leaking into the next tests.
reap_leftover() {
  local id=$1 dir=$TEST_ROOT/$1 pid c
  [ -d "$dir" ] || return 0
  pid=$(jq -r '.pid // empty' "$dir/state.json" 2>/dev/null)
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$id"; then
    kill -KILL "$pid" 2>/dev/null
    wait_dead "$pid" 50 || true
  fi
  for c in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null); do
    rmdir "$c" 2>/dev/null
  done
  rm -rf "$dir"
}
