#!/usr/bin/env bats
# T11: numeric users are never looked up by name (CVE-2016-3697).
#
# An image can name a user "1000" with uid 0. A runtime that looks the
# number up as a name first runs `--user 1000` as root.

load common

setup() {
  sec_setup
  cat >>"$BUNDLE/rootfs/etc/passwd" <<'PW'
1000:x:0:0:trap:/root:/bin/sh
1001:x:0:0:trap:/root:/bin/sh
PW
  cat >>"$BUNDLE/rootfs/etc/group" <<'GR'
1000:x:0:
GR
}

@test "T11 process.user.uid 1000 runs as uid 1000" {
  cfg '.process.user = {"uid": 1000, "gid": 1000}'
  run_container 'echo "ID=$(id -u):$(id -g)"'
  assert_status 0
  assert_contains "$stdout" "ID=1000:1000"
}

@test "T11 exec -u 1000 runs as uid 1000" {
  cfg '.process.args = ["sleep", "30"]'
  new_id
  rtc run -d --bundle "$BUNDLE" "$ID"
  assert_status 0
  rtc exec -u 1000 "$ID" sh -c 'echo "ID=$(id -u)"'
  assert_status 0
  assert_contains "$stdout" "ID=1000"
  rtc exec -u 1001:1000 "$ID" sh -c 'echo "ID=$(id -u):$(id -g)"'
  assert_status 0
  assert_contains "$stdout" "ID=1001:1000"
}
