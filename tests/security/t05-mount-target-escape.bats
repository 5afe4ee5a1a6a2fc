#!/usr/bin/env bats
# T5: mount targets that leave the rootfs (CVE-2019-18837,
# CVE-2021-30465, CVE-2024-45310).
#
# A mount destination is a path inside the rootfs, and the rootfs belongs
# to the image: a symlink on the way can send it to the host, and a
# container sharing a volume can swap a directory for a symlink while the
# runtime is between checking and mounting. Nothing may appear on the
# host: no directory or file made, no mount.

load common

setup() {
  sec_setup
  install_helper
  HOSTDIR=$TEST_DIR/host-target
  mkdir -p "$HOSTDIR"
  touch "$HOSTDIR/canary"
  BEFORE=$(snapshot "$HOSTDIR")
}

assert_host_untouched() {
  if [ "$(snapshot "$HOSTDIR")" != "$BEFORE" ]; then
    echo "host directory now:" >&2
    snapshot "$HOSTDIR" >&2
    fail "something appeared in the host directory"
  fi
  [ -z "$(mounts_under "$HOSTDIR")" ] || fail "a mount on the host: $(mounts_under "$HOSTDIR")"
}

@test "T5 tmpfs mount under an image symlink to a host directory stays in the rootfs" {
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/data"
  cfg '.mounts += [{"destination": "/data/sub/dir", "type": "tmpfs", "source": "tmpfs"}]'
  set_cmd 'touch /data/sub/dir/written; ls -la /data/sub/dir'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_no_crash
  assert_host_untouched
}

@test "T5 bind mount (file and directory) under an image symlink to a host directory stays in the rootfs" {
  ln -s "$HOSTDIR" "$BUNDLE/rootfs/data"
  ln -s "../../../../../../../..$HOSTDIR" "$BUNDLE/rootfs/data2"
  local src=$TEST_DIR/src
  mkdir -p "$src/d"
  echo hi >"$src/f"
  cfg '.mounts += [
        {"destination": "/data/newdir", "type": "bind", "source": $d, "options": ["bind"]},
        {"destination": "/data/newfile", "type": "bind", "source": $f, "options": ["bind"]},
        {"destination": "/data2/other", "type": "bind", "source": $d, "options": ["bind"]}]' \
    --arg d "$src/d" --arg f "$src/f"
  set_cmd 'true'
  new_id
  rtc run --bundle "$BUNDLE" "$ID"
  assert_no_crash
  assert_host_untouched
}

@test "T5 RENAME_EXCHANGE race on a shared volume: 50 creates leave the host untouched" {
  # The volume both containers share, with a directory and a symlink to
  # the host directory that the attacker swaps without pause.
  local vol=$TEST_DIR/volume
  mkdir -p "$vol/dir"
  ln -s "$HOSTDIR" "$vol/link"
  chmod 777 "$vol"
  add_bind "$vol" /vol
  cfg '.process.args = ["sec-helper", "exchange", "/vol/dir", "/vol/link", "60"]'
  new_id
  local attacker=$ID
  rtc run -d --bundle "$BUNDLE" "$attacker"
  assert_status 0

  # The victim mounts the volume and then something under the swapped
  # path, with a name that does not exist yet so the runtime creates it.
  local victim=$TEST_DIR/victim i ok=0 refused=0
  make_bundle "$victim"
  cp "$victim/config.json" "$victim/config.pristine.json"
  for i in $(seq 50); do
    jq --arg v "$vol" --arg n "/vol/dir/target-$i" \
      '.process.args = ["true"]
       | .mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind"]},
                     {"destination": $n, "type": "tmpfs", "source": "tmpfs"}]' \
      "$victim/config.pristine.json" >"$victim/config.json"
    new_id
    rtc create --bundle "$victim" "$ID"
    assert_no_crash
    if [ "$status" -eq 0 ]; then ok=$((ok + 1)); else refused=$((refused + 1)); fi
    rtc delete --force "$ID"
  done
  echo "# creates: $ok succeeded, $refused refused" >&2
  assert_host_untouched
}
