#!/usr/bin/env bats
# Bundles built to hurt: each is refused with a clear error or handled,
# never an escape, a hang or a leak.

load faults

setup() { fault_setup; }
teardown() { common_teardown; }

# refused_cleanly: the last rtc failed with berth's error line, and the
# container left nothing.
refused_cleanly() {
  [ "$status" -ne 0 ] && [ "$status" -lt 128 ] || fail "status $status: $output"
  grep -q 'level=error msg=".\+"' <<<"$stderr" || fail "unclear error: $stderr"
  check_leaks "$ID"
}

@test "ids with path characters are refused" {
  local id
  for id in ../escape a/b . .. "a b" $'a\nb' "$(printf 'x%.0s' {1..1100})"; do
    ID=$id
    rtc create --bundle "$BUNDLE" "$id"
    [ "$status" -ne 0 ] && grep -qi "container id\|ID format" <<<"$stderr" || fail "id '$id': $output"
  done
  [ ! -e "$TEST_DIR/escape" ]
  [ -z "$(ls -A "$TEST_ROOT")" ]
}

@test "config.json as a FIFO, a socket, a directory or a symlink out of the bundle" {
  mv "$BUNDLE/config.json" "$TEST_DIR/config.json"
  new_id
  mkfifo "$BUNDLE/config.json"
  rtc create --bundle "$BUNDLE" "$ID"
  refused_cleanly
  rm "$BUNDLE/config.json"
  mkdir "$BUNDLE/config.json"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  refused_cleanly
  rmdir "$BUNDLE/config.json"
  python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$BUNDLE/config.json"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  refused_cleanly
}

@test "deep JSON nesting and invalid UTF-8 are refused without a hang" {
  new_id
  python3 -c "print('{\"a\":' * 100000 + '1' + '}' * 100000)" >"$BUNDLE/config.json"
  rtc create --bundle "$BUNDLE" "$ID"
  refused_cleanly
  new_id
  printf '{"ociVersion":"1.0.2","process":{"args":["\xff\xfe"]}}' >"$BUNDLE/config.json"
  rtc create --bundle "$BUNDLE" "$ID"
  refused_cleanly
}

# A 64 MiB config.json is T15's (tests/security/t15-oversized-config.bats):
# run takes it, in about 16 s of a loaded two-core machine, most of it
# copying and parsing the 64 MiB that state.json keeps of the annotations.

@test "100k env entries and 100k mounts: handled or refused, in bounded time" {
  new_id
  python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["env"] += ["V%d=x" % i for i in range(100000)]
json.dump(c, open(sys.argv[1], "w"))
PY
  rtc create --bundle "$BUNDLE" "$ID"
  if [ "$status" -eq 0 ]; then rtc delete --force "$ID"; else refused_cleanly; fi
  make_bundle "$TEST_DIR/b3"
  python3 - "$TEST_DIR/b3/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] += [{"destination": "/m%d" % i, "type": "tmpfs", "source": "tmpfs"} for i in range(100000)]
json.dump(c, open(sys.argv[1], "w"))
PY
  new_id
  rtc create --bundle "$TEST_DIR/b3" "$ID"
  if [ "$status" -eq 0 ]; then rtc delete --force "$ID"; else refused_cleanly; fi
  check_leaks "$ID"
}

@test "rootfs symlinks pointing out (/proc, /dev, a mount destination, cwd) never reach the host" {
  local marker=$TEST_DIR/host-marker
  mkdir -p "$marker"
  rm -rf "$BUNDLE/rootfs/proc" "$BUNDLE/rootfs/mnt"
  ln -s "$marker" "$BUNDLE/rootfs/proc"
  ln -s "$marker" "$BUNDLE/rootfs/mnt"
  cfg '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}] | .process.cwd = "/mnt"'
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  if [ "$status" -eq 0 ]; then
    rtc delete --force "$ID"
  else
    refused_cleanly
  fi
  # Nothing was mounted on, or written into, the host directory.
  [ -z "$(ls -A "$marker")" ] || fail "the host directory got: $(ls -A "$marker")"
  ! awk '{print $5}' /proc/self/mountinfo | grep -qF "$marker"
  check_leaks "$ID"
}

@test "a hook path that is a symlink, a FIFO or missing: refused or failed, nothing left" {
  mkfifo "$TEST_DIR/fifo-hook"
  local p
  for p in "$TEST_DIR/fifo-hook" /nonexistent/hook "$TEST_DIR"; do
    cfg '.hooks = {"createRuntime": [{"path": $p, "timeout": 5}]}' --arg p "$p"
    new_id
    rtc create --bundle "$BUNDLE" "$ID"
    refused_cleanly
  done
}

@test "a hard link to a host file as a bind source and a device node as rootfs entry are handled" {
  ln "$BUNDLE/config.json" "$BUNDLE/rootfs/hardlinked" 2>/dev/null || skip "no hard links here"
  mknod "$BUNDLE/rootfs/dev-null-copy" c 1 3
  cfg '.mounts += [{"destination": "/hardlinked", "type": "bind", "source": $s, "options": ["bind","ro"]}]' \
    --arg s "$BUNDLE/rootfs/hardlinked"
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  if [ "$status" -eq 0 ]; then rtc delete --force "$ID"; else refused_cleanly; fi
  check_leaks "$ID"
}
