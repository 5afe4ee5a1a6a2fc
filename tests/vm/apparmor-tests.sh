#!/bin/sh
# AppArmor tests (suite-apparmor.sh), run by the VM's /init as root
# (busybox sh) on Debian's cloud kernel, which has AppArmor built in and
# on. suite_stage put apparmor_parser at /sbin/apparmor_parser, the test
# profile (apparmor-profile) at /etc/berth-vm-aa.profile and the file the
# profile forbids reading at /etc/berth-aa-secret in the bundle's rootfs.
# The runner and the container helpers are in /tests/vm-lib.sh.
#
#   apparmor-tests.sh             mounts securityfs, loads the profile, then
#                                 every test (or those BERTH_VM_TESTS names)
#   apparmor-tests.sh one NAME    a single test
#
# What a process was allowed to do is checked by what it could and could
# not do, next to the same process without the profile, and by the
# kernel's own record: its label and its audit log.
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
apparmor_enabled
create_confined
create_unconfined
create_userns
create_unconfined_by_name
exec_apparmor_flag
exec_process_file
exec_inherits_profile
exec_process_file_as_given
exec_unloaded_profile
create_unloaded_profile_leaves_nothing
create_unloaded_profile_error
features_apparmor
"

SECFS=/sys/kernel/security
PROFILE=berth-vm-aa
PROFILE_FILE=/etc/berth-vm-aa.profile
MISSING=berth-vm-aa-not-loaded
# What setup_apparmor found, for needs_apparmor in each test's shell.
SETUP_OK=/run/berth-vm-aa.ok
SETUP_REASON=/run/berth-vm-aa.reason

needs_apparmor() {
  [ -f "$SETUP_OK" ] || skip "$(cat "$SETUP_REASON" 2>/dev/null || echo "AppArmor setup did not run")"
}

with_profile() { echo ".process.apparmorProfile = \"$1\""; }

# value FILE KEY: what follows "KEY=" on its line in FILE.
value() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# The probe every confined or unconfined process runs: its label, then the
# two accesses the profile denies and one it allows, each with its exit
# status, and a last line to wait for.
PROBE='echo "label=$(cat /proc/self/attr/current)"
echo forbidden >/dev/shm/forbidden; echo "write=$?"
[ -e /dev/shm/forbidden ]; echo "exists=$?"
echo allowed >/dev/shm/allowed; echo "allowed=$?"
cat /etc/berth-aa-secret; echo "read=$?"
echo probed'

# expect_confined FILE WHAT: FILE holds the probe's output of a process
# that must be confined by $PROFILE.
expect_confined() {
  label=$(value "$1" label)
  [ "$label" = "$PROFILE (enforce)" ] || fail "$2: the label is '$label', expected '$PROFILE (enforce)'"
  [ "$(value "$1" write)" != 0 ] || fail "$2: writing /dev/shm/forbidden was allowed under $PROFILE"
  [ "$(value "$1" exists)" != 0 ] || fail "$2: /dev/shm/forbidden exists under $PROFILE"
  [ "$(value "$1" allowed)" = 0 ] || fail "$2: writing /dev/shm/allowed was refused: the profile allows it"
  [ "$(value "$1" read)" != 0 ] || fail "$2: reading /etc/berth-aa-secret was allowed under $PROFILE"
  if grep -q "^berth-aa-secret-content" "$1"; then
    fail "$2: the secret's content was read under $PROFILE"
  fi
}

# expect_unconfined FILE WHAT: the same probe, for a process with no profile.
expect_unconfined() {
  label=$(value "$1" label)
  [ "$label" = "unconfined" ] || fail "$2: the label is '$label', expected 'unconfined'"
  [ "$(value "$1" write)" = 0 ] || fail "$2: writing /dev/shm/forbidden failed without a profile"
  [ "$(value "$1" read)" = 0 ] || fail "$2: reading /etc/berth-aa-secret failed without a profile"
  grep -q "^berth-aa-secret-content" "$1" || fail "$2: the secret's content was not printed"
}

# denied_in_log PATH: the kernel logged an AppArmor denial by $PROFILE of
# PATH, so the refusal was AppArmor's and not a permission bit's.
denied_in_log() {
  dmesg | grep 'apparmor="DENIED"' | grep "profile=\"$PROFILE\"" | grep -q "name=\"$1\""
}

# live_with TEXT: pids of live (not zombie) processes whose command line
# contains TEXT.
live_with() {
  for d in /proc/[0-9]*; do
    tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "$1" || continue
    grep -q '^State:.*Z' "$d/status" 2>/dev/null && continue
    echo "${d#/proc/}"
  done
}

# ---- tests -----------------------------------------------------------------

# The kernel has AppArmor on, securityfs is mounted and the test profile is
# loaded in enforce mode: what every other test stands on.
t_apparmor_enabled() {
  needs_apparmor
  grep -qx "$PROFILE (enforce)" "$SECFS/apparmor/profiles" ||
    fail "$PROFILE is not loaded in enforce mode: $(tr '\n' ' ' <"$SECFS/apparmor/profiles")"
  # The reference run: this shell itself is unconfined.
  [ "$(cat /proc/self/attr/current)" = unconfined ] ||
    fail "the test shell is confined: $(cat /proc/self/attr/current)"
}

# process.apparmorProfile confines the container's process: its own label
# says so, the host sees the same label, and the profile's deny rules
# refuse what an unconfined container may do.
t_create_confined() {
  needs_apparmor
  bundle conf "$PROBE"'; exec sleep 30' "$(with_profile "$PROFILE")"
  run_bg conf
  wait_out conf '^probed'
  expect_confined "$WORK/conf.out" "the container's init"
  pid=$(pid_of conf)
  host_label=$(cat "/proc/$pid/attr/current" 2>&1)
  [ "$host_label" = "$PROFILE (enforce)" ] ||
    fail "from the host, the init (pid $pid) is labelled '$host_label'"
  grep -q 'forbidden.*Permission denied' "$WORK/conf.err" ||
    fail "the refused write did not fail with EACCES: $(tail -n 3 "$WORK/conf.err")"
  denied_in_log /dev/shm/forbidden || fail "the kernel logged no AppArmor denial of /dev/shm/forbidden"
}

# The same container without a profile: nothing is refused. Shows the
# refusals above are the profile's doing.
t_create_unconfined() {
  needs_apparmor
  bundle unconf "$PROBE"
  run_fg unconf || fail "run: $(tail -n 3 "$WORK/unconf.err")"
  expect_unconfined "$WORK/unconf.out" "the container's init"
}

# A user-namespaced container is confined the same way.
t_create_userns() {
  needs_apparmor
  bundle userns "$PROBE" "$(with_profile "$PROFILE")
     | .linux.namespaces += [{\"type\": \"user\"}]
     | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]
     | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"
  run_fg userns || fail "run: $(tail -n 3 "$WORK/userns.err")"
  expect_confined "$WORK/userns.out" "the user-namespaced init"
}

# "unconfined" names the kernel's own unconfined label: accepted, and the
# process is unconfined.
t_create_unconfined_by_name() {
  needs_apparmor
  bundle byname "$PROBE" "$(with_profile unconfined)"
  run_fg byname || fail "run with apparmorProfile \"unconfined\": $(tail -n 3 "$WORK/byname.err")"
  expect_unconfined "$WORK/byname.out" "the init with profile \"unconfined\""
}

# exec --apparmor confines the exec'd process in an unconfined container,
# and a plain exec next to it stays unconfined.
t_exec_apparmor_flag() {
  needs_apparmor
  bundle ex 'exec sleep 30'
  run_bg ex
  "$RT" exec --apparmor "$PROFILE" ex sh -c "$PROBE" >"$WORK/ex-confined.out" 2>"$WORK/ex-confined.err" ||
    fail "exec --apparmor: $(tail -n 3 "$WORK/ex-confined.err")"
  expect_confined "$WORK/ex-confined.out" "exec --apparmor $PROFILE"
  "$RT" exec ex sh -c "$PROBE" >"$WORK/ex-plain.out" 2>"$WORK/ex-plain.err" ||
    fail "exec: $(tail -n 3 "$WORK/ex-plain.err")"
  expect_unconfined "$WORK/ex-plain.out" "a plain exec in an unconfined container"
  [ "$(cat "/proc/$(pid_of ex)/attr/current")" = unconfined ] ||
    fail "the container's init changed label to $(cat "/proc/$(pid_of ex)/attr/current")"
}

# exec --process with a process.json naming the profile.
t_exec_process_file() {
  needs_apparmor
  bundle exf 'exec sleep 30'
  run_bg exf
  jq --arg script "$PROBE" --arg p "$PROFILE" \
    '.process | .args = ["sh", "-c", $script] | .apparmorProfile = $p' \
    "$WORK/exf/config.json" >"$WORK/exf-process.json" || fail "jq could not build process.json"
  "$RT" exec --process "$WORK/exf-process.json" exf >"$WORK/exf.out" 2>"$WORK/exf.err" ||
    fail "exec --process: $(tail -n 3 "$WORK/exf.err")"
  expect_confined "$WORK/exf.out" "exec --process with apparmorProfile $PROFILE"
}

# In a confined container, exec without --apparmor runs under the
# container's profile: an exec must not be a way out of confinement.
t_exec_inherits_profile() {
  needs_apparmor
  bundle inh 'exec sleep 30' "$(with_profile "$PROFILE")"
  run_bg inh
  "$RT" exec inh sh -c "$PROBE" >"$WORK/inh.out" 2>"$WORK/inh.err" ||
    fail "exec: $(tail -n 3 "$WORK/inh.err")"
  expect_confined "$WORK/inh.out" "a plain exec in a confined container"
}

# A process.json is taken as given, as runc takes it: one that names no
# profile runs unconfined even in a confined container. Callers that mean
# the container's profile write it in (Docker and containerd copy it from
# the container's spec); a runtime that added it on its own would differ
# from runc.
t_exec_process_file_as_given() {
  needs_apparmor
  bundle given 'exec sleep 30' "$(with_profile "$PROFILE")"
  run_bg given
  jq --arg script "$PROBE" '.process | .args = ["sh", "-c", $script] | del(.apparmorProfile)' \
    "$WORK/given/config.json" >"$WORK/given-process.json" || fail "jq could not build process.json"
  "$RT" exec --process "$WORK/given-process.json" given >"$WORK/given.out" 2>"$WORK/given.err" ||
    fail "exec --process: $(tail -n 3 "$WORK/given.err")"
  expect_unconfined "$WORK/given.out" "exec --process without apparmorProfile"
  [ "$(cat "/proc/$(pid_of given)/attr/current")" = "$PROFILE (enforce)" ] ||
    fail "the container's init lost its label: $(cat "/proc/$(pid_of given)/attr/current")"
}

# exec --apparmor with a profile that is not loaded fails, runs nothing and
# leaves the container as it was.
t_exec_unloaded_profile() {
  needs_apparmor
  bundle exm 'exec sleep 30'
  run_bg exm
  if "$RT" exec --apparmor "$MISSING" exm sh -c 'echo ran; sleep 97532' >"$WORK/exm-exec.out" 2>"$WORK/exm-exec.err"; then
    fail "exec with the unloaded profile $MISSING succeeded"
  fi
  grep -q "$MISSING" "$WORK/exm-exec.err" ||
    fail "the error does not name the profile: $(tail -n 2 "$WORK/exm-exec.err")"
  if grep -q '^ran' "$WORK/exm-exec.out"; then
    fail "the command ran"
  fi
  left=$(live_with 'sleep 97532')
  [ -z "$left" ] || fail "processes left behind: $left"
  [ "$("$RT" state exm 2>/dev/null | jq -r .status)" = running ] || fail "the container is no longer running"
}

# create with a profile that is not loaded fails and leaves nothing: no
# state, no cgroup, no process.
t_create_unloaded_profile_leaves_nothing() {
  needs_apparmor
  bundle miss 'echo ran; exec sleep 97531' "$(with_profile "$MISSING")"
  create_fails miss "the unloaded profile $MISSING"
  # berth's and runc's default state roots.
  for dir in /run/berth/miss /run/runc/miss; do
    [ ! -e "$dir" ] || fail "the failed create left $dir behind"
  done
  if "$RT" state miss >/dev/null 2>&1; then
    fail "the failed create left container state behind"
  fi
  if "$RT" list -q 2>/dev/null | grep -qx miss; then
    fail "list still shows the container"
  fi
  # A moment for a dying init to be gone from the cgroup.
  wait_for 2 gone "$(cgdir miss)" || fail "the failed create left $(cgdir miss) behind"
  left=$(live_with 'sleep 97531')$(live_with "$RT")
  [ -z "$left" ] || fail "processes left behind: $left"
}

# ...and says why: the field, the profile, and that it is not loaded.
t_create_unloaded_profile_error() {
  needs_apparmor
  bundle misserr 'true' "$(with_profile "$MISSING")"
  create_fails misserr "the unloaded profile $MISSING"
  err=$(tail -n 3 "$WORK/misserr.err")
  case $err in
    *process.apparmorProfile*"$MISSING"*"no profile by that name is loaded"*) ;;
    *) fail "the error does not name process.apparmorProfile and $MISSING and say it is not loaded: $err" ;;
  esac
}

# features says AppArmor is supported, as the runtime spec defines it (the
# runtime implements it, whatever the host has); the tests above are what
# makes that claim true.
t_features_apparmor() {
  "$RT" features >"$WORK/features.json" 2>"$WORK/features.err" || fail "features: $(tail -n 3 "$WORK/features.err")"
  enabled=$(jq -r '.linux.apparmor.enabled' "$WORK/features.json")
  [ "$enabled" = true ] || fail "features says linux.apparmor.enabled is '$enabled'"
}

# ---- setup -----------------------------------------------------------------

# Once, before the tests: securityfs where runtimes look for it (/init
# mounts sysfs only) and the test profile loaded. The verdict is left in
# /run for needs_apparmor.
setup_apparmor() {
  rm -f "$SETUP_OK" "$SETUP_REASON"
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
    echo "AppArmor is not enabled in this kernel (/sys/module/apparmor/parameters/enabled is not Y)" >"$SETUP_REASON"
    return
  fi
  if [ ! -d "$SECFS/apparmor" ] && ! mount -t securityfs securityfs "$SECFS" 2>"$SETUP_REASON"; then
    return
  fi
  if [ ! -d "$SECFS/apparmor" ]; then
    echo "no $SECFS/apparmor after mounting securityfs" >"$SETUP_REASON"
    return
  fi
  # -K: no cache; it would be written into a tmpfs thrown away at power-off.
  if ! /sbin/apparmor_parser -r -K "$PROFILE_FILE" >/run/berth-vm-aa.parser 2>&1; then
    echo "apparmor_parser could not load $PROFILE_FILE: $(tail -n 2 /run/berth-vm-aa.parser | tr '\n' ' ')" >"$SETUP_REASON"
    return
  fi
  touch "$SETUP_OK"
}

# Only the run of every test sets up: "one" and "cleanup" (after each
# test) find it done.
if [ "$#" -eq 0 ]; then
  setup_apparmor
  if [ -f "$SETUP_OK" ]; then
    echo "BERTH-VM-NOTE apparmor: on; $(/sbin/apparmor_parser --version | head -n 1); profile $PROFILE loaded"
  else
    echo "BERTH-VM-NOTE apparmor: $(cat "$SETUP_REASON")"
  fi
fi

# shellcheck source=tests/vm/vm-lib.sh
. /tests/vm-lib.sh
vm_main "$@"
