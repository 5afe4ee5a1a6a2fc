#!/usr/bin/env bats
# cgroup placement and removal, and resources written to the v1 files.

load ../lib/helpers

# The v1 controllers that are mounted on their own directory here.
v1_controllers() {
  local c
  for c in memory pids cpu cpuacct cpuset devices freezer blkio; do
    [ -e "/sys/fs/cgroup/$c/cgroup.procs" ] && echo "$c"
  done
}

# host_dir CONTROLLER CGROUP-PATH: the directory of a cgroup.
host_dir() {
  echo "/sys/fs/cgroup/$1$2"
}

# Join a relative cgroupsPath onto the caller's own cgroup, as the runtime
# does for a v1 controller.
under_caller() {
  local base
  base=$(cgroup_of $$ "$1")
  base=${base%/}
  echo "$base/$2"
}

@test "cgroups: relative cgroupsPath is under the caller's cgroup" {
  [ -d /sys/fs/cgroup/memory ] || skip "no v1 memory hierarchy"
  local name="berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  set_args sleep 1000
  new_id
  local c
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$(under_caller "$c" "$name")")"); done
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  local want
  want=$(under_caller memory "$name")
  [ "$(cgroup_of "$pid" memory)" = "$want" ] || fail "memory cgroup $(cgroup_of "$pid" memory), expected $want"
  grep -qx "$pid" "$(host_dir memory "$want")/cgroup.procs"
  rtc delete --force "$ID"
  assert_status 0
  for c in $(v1_controllers); do
    local d
    d=$(host_dir "$c" "$(under_caller "$c" "$name")")
    [ ! -d "$d" ] || fail "$d left after delete"
  done
}

@test "cgroups: absolute cgroupsPath, in every v1 hierarchy, removed on delete" {
  local name="/berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  set_args sleep 1000
  new_id
  local c
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$name")"); done
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  for c in $(v1_controllers); do
    [ "$(cgroup_of "$pid" "$c")" = "$name" ] || fail "$c: $(cgroup_of "$pid" "$c")"
  done
  grep -qx "$pid" "$(host_dir memory "$name")/cgroup.procs"
  rtc delete "$ID"
  assert_status 0
  for c in $(v1_controllers); do
    [ ! -d "$(host_dir "$c" "$name")" ] || fail "$c cgroup left after delete"
  done
}

@test "cgroups: without cgroupsPath the container still gets its own cgroup" {
  set_args sleep 1000
  new_id
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  local pid path
  pid=$(rt state "$ID" | jq -r .pid)
  path=$(cgroup_of "$pid" memory)
  [ "$path" != "$(cgroup_of $$ memory)" ] || fail "container shares the caller's memory cgroup"
  CGROUP_DIRS+=("$(host_dir memory "$path")")
  rtc delete "$ID"
  [ ! -d "$(host_dir memory "$path")" ]
}

@test "cgroups: resources are written to the controller files" {
  local name="/berth-test-cg-$ID_PREFIX"
  cfg '.linux.cgroupsPath = $p
       | .linux.resources.memory = {"limit": 67108864}
       | .linux.resources.pids = {"limit": 77}
       | .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}' --arg p "$name"
  set_args sleep 1000
  new_id
  local c
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$name")"); done
  rtc create --bundle "$BUNDLE" "$ID"
  assert_status 0
  [ "$(cat "$(host_dir memory "$name")/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "$(host_dir pids "$name")/pids.max")" = 77 ]
  [ "$(cat "$(host_dir cpu "$name")/cpu.shares")" = 512 ]
  [ "$(cat "$(host_dir cpu "$name")/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$(host_dir cpu "$name")/cpu.cfs_period_us")" = 100000 ]
}

@test "cgroups: the pids limit holds inside the container" {
  cfg '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 5}' --arg p "/berth-test-cg-$ID_PREFIX"
  local c
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "/berth-test-cg-$ID_PREFIX")"); done
  # The shell tries to start more children than the limit allows (failed
  # forks only make it complain), then waits; the host counts what is there.
  set_cmd 'for i in 1 2 3 4 5 6 7 8; do (sleep 1000 &) 2>/dev/null; done; sleep 1000'
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  sleep 1
  local procs
  procs=$(wc -l <"$(host_dir pids "/berth-test-cg-$ID_PREFIX")/cgroup.procs")
  [ "$procs" -le 5 ] || fail "$procs processes with pids.max 5"
  [ "$procs" -ge 2 ] || fail "only $procs processes: the container did not run"
}

@test "cgroups: the container sees its own cgroup, read-only" {
  run_container 'cat /proc/self/mounts'
  assert_status 0
  grep -qE '^cgroup /sys/fs/cgroup/memory cgroup ro,' <<<"$stdout"
}

# The init binds the directories its parent made and it joined (no second
# look at /proc/self/mountinfo): in every hierarchy, with a relative
# cgroupsPath that lands under the caller's own cgroup (memory here sits
# deeper than the rest), the container's entry is its own directory.
@test "cgroups: every hierarchy in the container is the container's own directory" {
  local name="berth-test-rel-$ID_PREFIX" c inside want
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$(under_caller "$c" "$name")")"); done
  set_args sleep 1000
  new_id
  rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  for c in $(v1_controllers); do
    inside=$(rt exec "$ID" stat -c %i "/sys/fs/cgroup/$c")
    want=$(stat -c %i "$(host_dir "$c" "$(under_caller "$c" "$name")")")
    [ -n "$inside" ] && [ "$inside" = "$want" ] || fail "$c: inode $inside inside, $want on the host"
  done
}

# Making the v1 directories (a memory cgroup alone takes 0.4 ms) overlaps
# the clone and the init's own set-up: a helper process makes them
# (x86_64), or the runtime after the clone; the init joins them itself
# once they exist. With a user namespace, the init may not open the host's
# files: the runtime makes all before the clone, and the init joins its v1
# directories through files the runtime opened.
@test "cgroups: the v1 directories are made beside the clone, unless the init has a user namespace" {
  skip_if_runc "berth's order of work"
  command -v strace >/dev/null || skip "strace is not installed"
  [ -d /sys/fs/cgroup/memory ] || skip "no v1 memory hierarchy"
  local name="/berth-test-order-$ID_PREFIX" trace=$BATS_TEST_TMPDIR/trace c clone mkdir
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$name")"); done
  local userns
  for userns in no yes; do
    if [ "$userns" = yes ]; then
      cfg '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}] | .linux.gidMappings = .linux.uidMappings'
    fi
    new_id
    capture strace -f -o "$trace" -e trace=clone,clone3,mkdir,mkdirat,openat "$BERTH" --root "$TEST_ROOT" run --bundle "$BUNDLE" "$ID"
    [ "$status" -eq 0 ] || fail "run (user namespace: $userns): $output"
    local main mkdir_by
    main=$(head -n1 "$trace" | cut -d' ' -f1)
    clone=$(grep -n -m1 'clone3(' "$trace" | cut -d: -f1)
    mkdir=$(grep -n -m1 -E "mkdir(at)?\((AT_FDCWD, )?\"/sys/fs/cgroup/memory[^\"]*$name\"" "$trace" | cut -d: -f1)
    [ -n "$clone" ] && [ -n "$mkdir" ] || fail "no clone3 or memory mkdir: $(grep -E 'clone3|mkdir' "$trace")"
    mkdir_by=$(sed -n "${mkdir}p" "$trace" | cut -d' ' -f1)
    if [ "$userns" = no ]; then
      if [ "$(uname -m)" = x86_64 ]; then
        [ "$mkdir_by" != "$main" ] || fail "the runtime made the memory directory itself"
      else
        ((mkdir > clone)) || fail "the memory directory was made before the clone"
      fi
      # The init's own open of its tasks file, after the parent made it.
      grep -E "^[0-9]+ +openat\(AT_FDCWD, \"/sys/fs/cgroup/memory[^\"]*$name/tasks\", O_WRONLY" "$trace" |
        grep -qv "^$(head -n1 "$trace" | cut -d' ' -f1) " || fail "the init did not open its tasks file"
    else
      ((mkdir < clone)) || fail "with a user namespace, the memory directory came after the clone"
    fi
    for c in $(v1_controllers); do
      [ ! -d "$(host_dir "$c" "$name")" ] || fail "$c directory left after run"
    done
  done
}

# The parent joins the cgroups while the init mounts; the cgroup mount binds
# the cgroups the init is in, so it waits for the join. Held back 300 ms,
# the join still comes first: the container's pids directory is its own.
@test "cgroups: the cgroup mount waits for the join, however late" {
  local name="/berth-test-cg-$ID_PREFIX" c
  cfg '.linux.cgroupsPath = $p' --arg p "$name"
  for c in $(v1_controllers); do CGROUP_DIRS+=("$(host_dir "$c" "$name")"); done
  set_args sleep 1000
  new_id
  BERTH_FAULT_PAUSE=create.init-released:300 rtc run --detach --bundle "$BUNDLE" "$ID"
  assert_status 0
  local inside
  inside=$(rt exec "$ID" stat -c %i /sys/fs/cgroup/pids)
  echo "# inside: $inside, host: $(stat -c %i "$(host_dir pids "$name")")" >&2
  [ -n "$inside" ]
  [ "$inside" = "$(stat -c %i "$(host_dir pids "$name")")" ]
}

# Each hierarchy takes the cgroup mount's flags exactly, as a bind remount
# sets them: what the host's hierarchies have and the options leave out
# is cleared (relatime here; nosuid and noexec where the host has them). berth gives the tmpfs holding them the same
# flags; runc 1.1 leaves it at its own defaults, so that half is berth's.
@test "cgroups: the cgroup mount's flags, exactly, on every hierarchy (and berth's tmpfs)" {
  cfg '(.mounts[] | select(.type == "cgroup") | .options) = ["ro", "nodev", "strictatime", "nosymfollow"]'
  run_container 'cat /proc/self/mounts'
  assert_status 0
  local lines pattern='^/sys/fs/cgroup/'
  is_runc || pattern='^/sys/fs/cgroup(/|$)'
  lines=$(awk -v p="$pattern" '$2 ~ p { print $2, $4 }' <<<"$stdout")
  [ "$(grep -c '^/sys/fs/cgroup/' <<<"$lines")" -ge 1 ] || fail "no hierarchies under /sys/fs/cgroup: $lines"
  local bad
  bad=$(awk '$2 !~ /^ro,nodev,/ || $2 !~ /nosymfollow/ || $2 ~ /nosuid|noexec|relatime|noatime/' <<<"$lines")
  [ -z "$bad" ] || fail "not exactly ro,nodev,strictatime,nosymfollow: $bad"
}
