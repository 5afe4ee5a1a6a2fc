#!/usr/bin/env bats
# Differential tests: the same bundle runs under the runtime under test and
# under runc (the oracle); what the container observed must be the same.
# Each bundle variant runs once per runtime (cached for the file), and each
# aspect of the observation is its own test, so one difference does not
# hide the others.

load ../lib/helpers

# variant_filter NAME: the jq filter that turns the default spec into the
# variant. $VDIR is the variant's directory (for bind sources).
variant_filter() {
  case $1 in
    default) echo '.' ;;
    user) echo '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20, 65534]}' ;;
    mounts)
      echo '.mounts += [
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=2048k", "mode=755"]},
        {"destination": "/ro-bind", "type": "bind", "source": ($v + "/ro"), "options": ["rbind", "ro"]},
        {"destination": "/rw-bind", "type": "bind", "source": ($v + "/rw"), "options": ["bind", "rw", "nosuid"]}]
        | .linux.maskedPaths += ["/etc/group"]
        | .linux.readonlyPaths += ["/dev/shm"]'
      ;;
    rwroot) echo '.root.readonly = false' ;;
    rlimits)
      echo '.process.rlimits = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 200, "hard": 300},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 1048576},
        {"type": "RLIMIT_MEMLOCK", "soft": 65536, "hard": 65536},
        {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 8388608}]'
      ;;
    caps)
      echo '.process.capabilities = {
          "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_RAW"],
          "effective": ["CAP_CHOWN", "CAP_KILL"],
          "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
          "inheritable": ["CAP_KILL"],
          "ambient": ["CAP_KILL"]}
        | .process.noNewPrivileges = true'
      ;;
    process)
      echo '.hostname = "diff-host" | .process.cwd = "/tmp" | .process.user.umask = 63
        | .process.env += ["DIFF_A=1", "DIFF_B=with space"] | .process.oomScoreAdj = 321'
      ;;
    *) return 1 ;;
  esac
}

# observe VARIANT: runs the variant under runc and under $BERTH once per
# file; leaves $VDIR/{runc,berth}.{out,rc}.
observe() {
  VDIR=$BATS_FILE_TMPDIR/variant-$1
  [ -f "$VDIR/done" ] && return 0
  mkdir -p "$VDIR/ro" "$VDIR/rw"
  echo data >"$VDIR/ro/file"
  make_bundle "$VDIR/bundle"
  cp "$REPO_ROOT/tests/diff/probe.sh" "$VDIR/bundle/rootfs/probe.sh"
  local filter
  filter=$(variant_filter "$1") || fail "unknown variant $1"
  jq --arg v "$VDIR" "$filter | .process.args = [\"/probe.sh\"]" \
    "$VDIR/bundle/config.json" >"$VDIR/config.json" && mv "$VDIR/config.json" "$VDIR/bundle/config.json"
  # One id for both runs (one after the other), so cgroup paths match.
  local id="berth-test-${BERTH_TEST_TAG:+$BERTH_TEST_TAG-}diff-$1-$$" name bin
  for name in runc berth; do
    bin=$RUNC
    [ "$name" = berth ] && bin=$BERTH
    local rc=0
    timeout -k 5 60 "$bin" --root "$VDIR/root-$name" run --bundle "$VDIR/bundle" "$id" \
      </dev/null >"$VDIR/$name.raw" 2>"$VDIR/$name.err" || rc=$?
    echo "$rc" >"$VDIR/$name.rc"
    timeout 30 "$bin" --root "$VDIR/root-$name" delete --force "$id" >/dev/null 2>&1 || true
    normalize "$VDIR/bundle/rootfs" "$(jq -r '.linux.maskedPaths // [] | join(" ")' "$VDIR/bundle/config.json")" \
      <"$VDIR/$name.raw" >"$VDIR/$name.out"
  done
  touch "$VDIR/done"
}

# normalize ROOTFS MASKED-PATHS: mount ids, device numbers and peer group
# numbers mean nothing across runs; the rootfs path is spelled ROOTFS. A
# masked directory is reduced to "it is a read-only tmpfs": runc 1.5 masks
# directories with one shared read-only tmpfs, 1.1 with a tmpfs per
# directory, and either is right.
#
# Two differences are berth's on purpose and are left out of the
# comparison: the tmpfs at /sys/fs/cgroup is read-only when the spec's
# cgroup mount says "ro" (runc 1.1 leaves it writable), and on a hybrid
# host the cgroup2 hierarchy at /sys/fs/cgroup/unified is shown too (runc
# 1.1 shows only the v1 hierarchies).
normalize() {
  awk -v rootfs="$1" -v masked="$2" '
    BEGIN { n = split(masked, m, " "); for (i = 1; i <= n; i++) is_masked[m[i]] = 1 }
    /^== / { section = $2; print; next }
    section == "mountinfo" {
      $1 = "ID"; $2 = "PARENT"; $3 = "DEV"
      if ($4 == rootfs) $4 = "ROOTFS"
      if ($5 == "/sys/fs/cgroup/unified") next
      if ($5 == "/sys/fs/cgroup") sub(/^r[ow],/, "RO-OR-RW,", $6)
      for (i = 7; i <= NF && $i != "-"; i++) ;
      if (($5 in is_masked) && $(i + 1) == "tmpfs" && $4 == "/") {
        split($6, o, ",")
        print "MASKED-DIR", $5, o[1], "tmpfs"
        next
      }
      for (i = 7; i <= NF && $i != "-"; i++) gsub(/:[0-9]+/, ":N", $i)
      print; next
    }
    { print }'
}

# section FILE NAME: one section of an observation.
section() {
  awk -v s="$2" '/^== / { on = ($2 == s); next } on' "$1"
}

# compare VARIANT SECTION...: the sections must be identical.
compare() {
  local v=$1 s bad=0
  shift
  observe "$v"
  [ -s "$VDIR/runc.out" ] || fail "runc produced nothing: $(cat "$VDIR/runc.err")"
  [ -s "$VDIR/berth.out" ] || fail "$BERTH produced nothing: $(cat "$VDIR/berth.err")"
  for s in "$@"; do
    if ! diff -u --label "runc $s" --label "berth $s" \
      <(section "$VDIR/runc.out" "$s") <(section "$VDIR/berth.out" "$s") >&2; then
      bad=1
    fi
  done
  [ "$bad" -eq 0 ]
}

PROCESS_SECTIONS="hostname cwd umask id status limits env oom fds"

@test "diff default: exit status" {
  observe default
  [ "$(cat "$VDIR/runc.rc")" = 7 ] || fail "runc: $(cat "$VDIR/runc.rc") $(cat "$VDIR/runc.err")"
  [ "$(cat "$VDIR/berth.rc")" = 7 ] || fail "berth: $(cat "$VDIR/berth.rc") $(cat "$VDIR/berth.err")"
}

@test "diff default: process (status, limits, env, cwd, hostname)" {
  compare default $PROCESS_SECTIONS
}

@test "diff default: devices and writable paths" {
  compare default devices writable
}

@test "diff default: mountinfo" {
  compare default mountinfo
}

@test "diff user: non-root user with extra groups" {
  compare user $PROCESS_SECTIONS
}

@test "diff user: devices and writable paths" {
  compare user devices writable
}

@test "diff mounts: mountinfo with tmpfs, binds, masked and readonly paths" {
  compare mounts mountinfo
}

@test "diff mounts: writable paths" {
  compare mounts writable devices
}

@test "diff rwroot: writable root" {
  compare rwroot writable mountinfo
}

@test "diff rlimits: custom rlimits" {
  compare rlimits limits status
}

@test "diff caps: reduced capabilities and noNewPrivileges" {
  compare caps status
}

@test "diff process: hostname, cwd, umask, env, oomScoreAdj" {
  compare process $PROCESS_SECTIONS
}

@test "diff: exit status of every variant" {
  local v
  for v in user mounts rwroot rlimits caps process; do
    observe "$v"
    [ "$(cat "$VDIR/runc.rc")" = "$(cat "$VDIR/berth.rc")" ] ||
      fail "$v: runc $(cat "$VDIR/runc.rc"), berth $(cat "$VDIR/berth.rc"): $(cat "$VDIR/berth.err")"
  done
}

@test "diff: state JSON has the same keys and types" {
  set_args sleep 1000
  local id="berth-test-diffstate-$$" r b
  new_id
  timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  r=$(timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" state "$id")
  timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" delete --force "$id" >/dev/null 2>&1
  rtc create --bundle "$BUNDLE" "$id"
  assert_status 0
  b=$(rt state "$id")
  local shape='to_entries | map("\(.key):\(.value | type)") | join(" ")'
  [ "$(jq -r "$shape" <<<"$r")" = "$(jq -r "$shape" <<<"$b")" ] ||
    fail "runc: $(jq -r "$shape" <<<"$r") / berth: $(jq -r "$shape" <<<"$b")"
  # The same bundle and id give the same values where nothing varies.
  local k
  for k in id status bundle rootfs owner; do
    [ "$(jq -r ".$k" <<<"$r")" = "$(jq -r ".$k" <<<"$b")" ] || fail "$k differs"
  done
}

@test "diff: list --format json has the same keys" {
  set_args sleep 1000
  local id="berth-test-difflist-$$" r b
  timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  r=$(timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" list --format json)
  timeout 30 "$RUNC" --root "$TEST_DIR/root-runc" delete --force "$id" >/dev/null 2>&1
  rtc create --bundle "$BUNDLE" "$id"
  b=$(rt list --format json)
  [ "$(jq -c '.[0] | keys' <<<"$r")" = "$(jq -c '.[0] | keys' <<<"$b")" ]
}
