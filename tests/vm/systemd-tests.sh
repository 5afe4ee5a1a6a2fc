#!/bin/bash
# The systemd cgroup driver against a real systemd, on a host that does not
# boot with it (no VM needed): a user instance of systemd (`systemd
# --user`, run as root) in a private mount namespace where
# /run/systemd/system exists, so systemd believes it booted. berth reaches
# its manager through the private socket named by
# BERTH_SYSTEMD_BUS_ADDRESS. The manager's units live below a cgroup of
# this script's own (berth-sd-<pid>), so nothing of the host's is touched.
#
#   tests/vm/systemd-tests.sh [RUNTIME]     RUNTIME defaults to build/berth; root
#
# Prints "ok NAME" / "not ok NAME REASON" per test and exits non-zero on a
# failure. Needs systemd's binary (Debian's systemd package) and busybox.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runtime=$(realpath "${1:-$repo/build/berth}")
sd_bin=/lib/systemd/systemd

if [ "$(id -u)" -ne 0 ]; then
  echo "systemd-tests: needs root" >&2
  exit 2
fi
[ -x "$sd_bin" ] || { echo "systemd-tests: $sd_bin missing (install systemd)" >&2; exit 2; }

# Re-run inside a private mount namespace: the /run/systemd tmpfs below must
# not be seen by the host (it would tell other tools that systemd runs).
if [ "${BERTH_SD_INNER:-}" != 1 ]; then
  exec env BERTH_SD_INNER=1 unshare -m --propagation private "$0" "$runtime"
fi

work=$(mktemp -d /tmp/berth-sd-XXXXXX)
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  unified=/sys/fs/cgroup
else
  unified=/sys/fs/cgroup/unified
fi
group=berth-sd-$$
manager_pid=
passed=0
failed=0

mount -t tmpfs tmpfs /run/systemd 2>/dev/null || { mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd; }
mkdir -p /run/systemd/system "$work/run" "$work/state"
export XDG_RUNTIME_DIR=$work/run
export BERTH_SYSTEMD_BUS_ADDRESS=unix:path=$work/run/systemd/private

cleanup() {
  for id in $("$runtime" --root "$work/state" list -q 2>/dev/null); do
    "$runtime" --root "$work/state" delete --force "$id" >/dev/null 2>&1
  done
  [ -n "$manager_pid" ] && kill "$manager_pid" 2>/dev/null && wait "$manager_pid" 2>/dev/null
  for d in /sys/fs/cgroup/*/"$group" "$unified/$group"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

start_manager() {
  mkdir -p "$unified/$group"
  (
    echo "$BASHPID" > "$unified/$group/cgroup.procs"
    exec "$sd_bin" --user --log-target=console --log-level=warning
  ) > "$work/manager.log" 2>&1 &
  manager_pid=$!
  for _ in $(seq 50); do
    [ -S "$work/run/systemd/private" ] && return 0
    sleep 0.1
  done
  echo "systemd-tests: the user manager did not start:" >&2
  cat "$work/manager.log" >&2
  exit 1
}

ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok $1 $2"; failed=$((failed + 1)); }
berth() { "$runtime" --root "$work/state" "$@"; }
show() { systemctl --user show "$1" -p "$2" --value 2>/dev/null; }
cg_path() { # the container's directory for one controller (v1) or cgroup2 ("")
  # The cgroup record is cgroup.json beside state.json (inline in older states).
  local file=$work/state/$1/cgroup.json
  [ -f "$file" ] || file=$work/state/$1/state.json
  jq -r --arg c "$2" '(.cgroup // .).dirs[] | select(.controllers == $c) | .path' "$file"
}

make_bundle() { # DIR JQ-FILTER
  RUNTIME=runc "$repo/scripts/make-bundle.sh" "$1" sleep 300 >/dev/null || exit 1
  jq "$2" "$1/config.json" > "$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

test_scope_lifecycle() {
  local b=$work/b1 name=scope_lifecycle
  make_bundle "$b" '.annotations["org.systemd.property.CollectMode"] = "'"'inactive-or-failed'"'"'
  berth --systemd-cgroup create -b "$b" c1 2> "$work/err" || { not_ok $name "create: $(cat "$work/err")"; return; }
  local pid state unified_dir
  pid=$(berth state c1 | jq .pid)
  unified_dir=$(cg_path c1 "")
  [ "$(show berth-c1.scope ActiveState)" = active ] || { not_ok $name "scope not active"; return; }
  [ "$(show berth-c1.scope Delegate)" = yes ] || { not_ok $name "Delegate is not yes"; return; }
  [ "$(show berth-c1.scope ControlGroup)" = "/$group/system.slice/berth-c1.scope" ] ||
    { not_ok $name "ControlGroup $(show berth-c1.scope ControlGroup)"; return; }
  grep -qx "$pid" "$unified_dir/cgroup.procs" || { not_ok $name "init not in $unified_dir"; return; }
  berth start c1 && berth pause c1 && [ "$(berth state c1 | jq -r .status)" = paused ] &&
    berth resume c1 || { not_ok $name "start/pause/resume"; return; }
  berth kill c1 KILL && sleep 1 && berth delete c1 || { not_ok $name "kill/delete"; return; }
  [ "$(show berth-c1.scope LoadState)" = not-found ] || { not_ok $name "unit left behind"; return; }
  [ ! -d "$unified_dir" ] || { not_ok $name "$unified_dir left behind"; return; }
  ok $name
}

test_limits_and_update() {
  local b=$work/b2 name=limits_and_update
  make_bundle "$b" '.linux.cgroupsPath = "berthsd-x.slice:pfx:c2"
    | .linux.resources.memory = {"limit": 67108864}
    | .linux.resources.cpu = {"quota": 12345, "period": 100000, "shares": 512}
    | .linux.resources.pids = {"limit": 64}'
  berth --systemd-cgroup run -d -b "$b" c2 2> "$work/err" || { not_ok $name "run: $(cat "$work/err")"; return; }
  local u=pfx-c2.scope want got
  [ "$(show $u ControlGroup)" = "/$group/berthsd.slice/berthsd-x.slice/$u" ] ||
    { not_ok $name "ControlGroup $(show $u ControlGroup)"; return; }
  [ "$(show $u TasksMax)" = 64 ] || { not_ok $name "TasksMax $(show $u TasksMax)"; return; }
  [ "$(show $u CPUQuotaPerSecUSec)" = 130ms ] || { not_ok $name "CPUQuota $(show $u CPUQuotaPerSecUSec)"; return; }
  [ "$(show $u DevicePolicy)" = strict ] || { not_ok $name "DevicePolicy"; return; }
  if [ "$unified" = /sys/fs/cgroup ]; then
    want="13000 100000"; got=$(cat "$(cg_path c2 "")/cpu.max")
  else
    want=13000; got=$(cat "$(cg_path c2 cpu)/cpu.cfs_quota_us")
    [ "$(show $u MemoryLimit)" = 67108864 ] || { not_ok $name "MemoryLimit $(show $u MemoryLimit)"; return; }
  fi
  [ "$got" = "$want" ] || { not_ok $name "cpu quota in the files: $got, want $want"; return; }
  berth update --pids-limit 42 c2 || { not_ok $name "update"; return; }
  [ "$(show $u TasksMax)" = 42 ] || { not_ok $name "TasksMax after update: $(show $u TasksMax)"; return; }
  local pids_dir
  pids_dir=$(cg_path c2 pids)
  [ -n "$pids_dir" ] || pids_dir=$(cg_path c2 "")
  [ "$(cat "$pids_dir/pids.max")" = 42 ] || { not_ok $name "pids.max after update"; return; }
  berth delete --force c2 || { not_ok $name "delete --force"; return; }
  [ "$(show $u LoadState)" = not-found ] || { not_ok $name "unit left behind"; return; }
  ok $name
}

test_annotation() {
  local name=annotation
  # Set by test_scope_lifecycle's bundle; visible while a container runs.
  local b=$work/b1
  berth --systemd-cgroup run -d -b "$b" c3 2> "$work/err" || { not_ok $name "run: $(cat "$work/err")"; return; }
  local mode
  mode=$(show berth-c3.scope CollectMode)
  berth delete --force c3 >/dev/null 2>&1
  if [ "$mode" = inactive-or-failed ]; then
    ok $name
  else
    not_ok $name "CollectMode is \"$mode\" (org.systemd.property.* annotations not passed)"
  fi
}

test_bad_path() {
  local b=$work/b4 name=bad_cgroups_path
  make_bundle "$b" '.linux.cgroupsPath = "/not/systemd"'
  if berth --systemd-cgroup create -b "$b" c4 2> "$work/err"; then
    not_ok $name "create accepted a cgroupfs path"
  elif grep -q 'slice:prefix:name' "$work/err" && [ ! -e "$work/state/c4" ]; then
    ok $name
  else
    not_ok $name "$(cat "$work/err")"
  fi
}

start_manager
test_scope_lifecycle
test_limits_and_update
test_annotation
test_bad_path
echo "systemd-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
