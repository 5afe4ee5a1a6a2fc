#!/bin/sh
# SELinux tests (suite-selinux.sh), run by the VM's /init as root (busybox
# sh) on Debian's cloud kernel booted with SELinux as its LSM, permissive.
# suite_stage put the compiled policy (selinux-policy.cil) at
# /etc/berth-vm-selinux.policy and selinux-probe in /bin and in the
# bundle's /bin. The runner and the container helpers are in
# /tests/vm-lib.sh.
#
#   selinux-tests.sh             mounts selinuxfs, loads the policy, then
#                                every test (or those BERTH_VM_TESTS names)
#   selinux-tests.sh one NAME    a single test
#
# Labels are read back from the kernel: /proc/PID/attr/current of
# processes, the security.selinux attribute of files and mount roots
# (selinux-probe file), the session keyring's security label
# (selinux-probe keyring), the context= option in mountinfo.
#
# shellcheck disable=SC2016 # container scripts are single-quoted on purpose

# shellcheck disable=SC2034 # read by vm-lib.sh
TESTS="
selinux_on
create_label
create_no_label
exec_label
exec_process_file_label
keyring_label
exec_keyring
mount_label
mount_label_masked_paths
mount_label_cgroup_tmpfs
no_mount_label
userns_labels
unknown_label
unknown_label_error
unknown_mount_label
enforcing_transition
"

POLICY=/etc/berth-vm-selinux.policy
SELINUXFS=/sys/fs/selinux
# The labels of selinux-policy.cil. The categories' comma is what makes
# a mount option of a label need quotes.
PROC_LABEL=system_u:system_r:container_t:s0:c1,c2
EXEC_LABEL=system_u:system_r:container_t:s0:c3,c4
MOUNT_LABEL=system_u:object_r:container_file_t:s0:c1,c2
DENIED_LABEL=system_u:system_r:denied_t:s0
UNKNOWN_LABEL=system_u:system_r:nosuch_t:s0
UNKNOWN_MOUNT_LABEL=system_u:object_r:nosuch_file_t:s0
# What every process of the VM becomes when the policy is loaded.
HOST_LABEL=system_u:system_r:kernel_t:s0-s0:c0.c5
# What setup_selinux found, for needs_selinux in each test's shell.
SETUP_OK=/run/berth-vm-selinux.ok
SETUP_REASON=/run/berth-vm-selinux.reason

needs_selinux() {
  [ -f "$SETUP_OK" ] || skip "$(cat "$SETUP_REASON" 2>/dev/null || echo "SELinux setup did not run")"
}

with_label() { echo ".process.selinuxLabel = \"$1\""; }
with_mount_label() { echo ".linux.mountLabel = \"$1\""; }

# label_of PID: the process's SELinux context (the kernel ends it with a NUL).
label_of() { tr -d '\000' <"/proc/$1/attr/current" 2>&1; }

# value FILE KEY: what follows "KEY=" on its line in FILE.
value() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# file_label FILE PATH: the label selinux-probe printed for PATH.
file_label() { awk -v p="$2" '$1 == p { print $2; exit }' "$1"; }

# The probe a labelled process runs: its own label and the one it had
# before its exec (the runtime's, when the label came with that exec).
PROBE='echo "label=$(tr -d "\000" </proc/self/attr/current)"
echo "prev=$(tr -d "\000" </proc/1/attr/prev)"'

# ---- tests -----------------------------------------------------------------

# The kernel runs SELinux with the test policy loaded, selinuxfs is where
# runtimes look for it, and the test shell has the label every process
# gets from the policy: what the other tests stand on.
t_selinux_on() {
  needs_selinux
  [ "$(label_of self)" = "$HOST_LABEL" ] || fail "the test shell is labelled '$(label_of self)', expected '$HOST_LABEL'"
  [ "$(cat "$SELINUXFS/enforce")" = 0 ] || fail "SELinux is not permissive: enforce is $(cat "$SELINUXFS/enforce")"
  awk -v d="$SELINUXFS" '$5 == d && $6 ~ /^rw/ && / - selinuxfs /' /proc/self/mountinfo | grep -q . ||
    fail "selinuxfs is not mounted read-write on $SELINUXFS"
}

# process.selinuxLabel is the label of the container's process, as it sees
# it and as the host sees it; the process got it with its exec (its
# previous label is the runtime's), and the runtime keeps its own.
t_create_label() {
  needs_selinux
  bundle lab "$PROBE"'; echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg lab
  wait_out lab '^ready'
  got=$(value "$WORK/lab.out" label)
  [ "$got" = "$PROC_LABEL" ] || fail "the container sees its label as '$got', expected '$PROC_LABEL'"
  prev=$(value "$WORK/lab.out" prev)
  [ "$prev" = "$HOST_LABEL" ] || fail "the init's label before its exec was '$prev', expected the runtime's '$HOST_LABEL'"
  pid=$(pid_of lab)
  got=$(label_of "$pid")
  [ "$got" = "$PROC_LABEL" ] || fail "from the host, the init (pid $pid) is labelled '$got'"
  [ "$(label_of self)" = "$HOST_LABEL" ] || fail "the test shell changed label to '$(label_of self)'"
}

# Without process.selinuxLabel the container keeps the runtime's label,
# as with runc.
t_create_no_label() {
  needs_selinux
  bundle nolab "$PROBE"
  run_fg nolab || fail "run: $(tail -n 3 "$WORK/nolab.err")"
  got=$(value "$WORK/nolab.out" label)
  [ "$got" = "$HOST_LABEL" ] || fail "the unlabelled container runs as '$got', expected '$HOST_LABEL'"
}

# exec gives the exec'd process the container's label, or the one
# --process-label names, and leaves the init's label alone.
t_exec_label() {
  needs_selinux
  bundle ex 'echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg ex
  wait_out ex '^ready'
  "$RT" exec ex sh -c "$PROBE" >"$WORK/ex-plain.out" 2>"$WORK/ex-plain.err" ||
    fail "exec: $(tail -n 3 "$WORK/ex-plain.err")"
  got=$(value "$WORK/ex-plain.out" label)
  [ "$got" = "$PROC_LABEL" ] || fail "a plain exec runs as '$got', expected the container's '$PROC_LABEL'"
  "$RT" exec --process-label "$EXEC_LABEL" ex sh -c "$PROBE" >"$WORK/ex-flag.out" 2>"$WORK/ex-flag.err" ||
    fail "exec --process-label: $(tail -n 3 "$WORK/ex-flag.err")"
  got=$(value "$WORK/ex-flag.out" label)
  [ "$got" = "$EXEC_LABEL" ] || fail "exec --process-label $EXEC_LABEL runs as '$got'"
  got=$(label_of "$(pid_of ex)")
  [ "$got" = "$PROC_LABEL" ] || fail "the init's label changed to '$got'"
}

# exec --process FILE takes the label from the file's selinuxLabel.
t_exec_process_file_label() {
  needs_selinux
  bundle exf 'echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg exf
  wait_out exf '^ready'
  jq --arg probe "$PROBE" --arg l "$EXEC_LABEL" \
    '.process | .args = ["sh", "-c", $probe] | .selinuxLabel = $l' \
    "$WORK/exf/config.json" >"$WORK/process.json" || fail "jq could not write process.json"
  "$RT" exec --process "$WORK/process.json" exf >"$WORK/exf-file.out" 2>"$WORK/exf-file.err" ||
    fail "exec --process: $(tail -n 3 "$WORK/exf-file.err")"
  got=$(value "$WORK/exf-file.out" label)
  [ "$got" = "$EXEC_LABEL" ] || fail "exec --process with selinuxLabel $EXEC_LABEL runs as '$got'"
}

# The init's session keyring, _ses.<id>, was created with the process
# label (attr/keycreate), not the runtime's.
t_keyring_label() {
  needs_selinux
  bundle key '/bin/selinux-probe keyring; echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg key
  wait_out key '^ready'
  line=$(grep '^serial=' "$WORK/key.out")
  case $line in
    *error=*) fail "selinux-probe keyring: $line" ;;
  esac
  got=${line#*label=}
  [ "$got" = "$PROC_LABEL" ] || fail "the session keyring is labelled '$got', expected '$PROC_LABEL'"
  serial=${line%% *}
  serial=${serial#serial=}
  hex=$(printf '%08x' "$serial")
  grep -q "^$hex .* keyring *_ses\.key: " /proc/keys ||
    fail "keyring $hex is not _ses.key in /proc/keys: $(grep _ses /proc/keys)"
}

# exec joins the init's keyring, whatever label the exec'd process gets:
# the same serial and the label it was made with.
t_exec_keyring() {
  needs_selinux
  bundle exk '/bin/selinux-probe keyring; echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg exk
  wait_out exk '^ready'
  init_line=$(grep '^serial=' "$WORK/exk.out")
  "$RT" exec exk /bin/selinux-probe keyring >"$WORK/exk-plain.out" 2>"$WORK/exk-plain.err" ||
    fail "exec: $(tail -n 3 "$WORK/exk-plain.err") $(cat "$WORK/exk-plain.out")"
  got=$(cat "$WORK/exk-plain.out")
  [ "$got" = "$init_line" ] || fail "a plain exec's session keyring is '$got', the init's '$init_line'"
  "$RT" exec --process-label "$EXEC_LABEL" exk /bin/selinux-probe keyring \
    >"$WORK/exk-flag.out" 2>"$WORK/exk-flag.err" ||
    fail "exec --process-label: $(tail -n 3 "$WORK/exk-flag.err") $(cat "$WORK/exk-flag.out")"
  got=$(cat "$WORK/exk-flag.out")
  [ "$got" = "$init_line" ] || fail "exec --process-label's session keyring is '$got', the init's '$init_line'"
}

# Every path the mount tests look at, and what they print after it.
MOUNT_PROBE='/bin/selinux-probe file /tmp /tmp/new /dev /dev/null /dev/ptmx /dev/pts /dev/pts/ptmx \
  /dev/shm /dev/mqueue /copyup /copyup/passwd /proc /proc/self /sys /sys/fs/cgroup
echo mountinfo:
cat /proc/self/mountinfo'
LABELLED_PATHS="/tmp /tmp/new /dev /dev/null /dev/ptmx /dev/pts /dev/pts/ptmx /dev/shm /dev/mqueue /copyup /copyup/passwd"
# /tmp a plain tmpfs, /copyup a tmpcopyup tmpfs over a directory of the
# image that has a file in it.
MOUNTS='.mounts += [
  {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]},
  {"destination": "/copyup", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}]'

mount_probe_bundle() {
  mkdir -p /bundle/rootfs/copyup
  cp /bundle/rootfs/etc/passwd /bundle/rootfs/copyup/passwd
  bundle "$1" 'touch /tmp/new; '"$MOUNT_PROBE" "$MOUNTS | $2"
}

# mount_line FILE DEST: the container's mountinfo line for DEST.
mount_line() { sed -n '/^mountinfo:/,$p' "$1" | awk -v d="$2" '$5 == d'; }

# linux.mountLabel labels each filesystem made for the container: /dev,
# devpts, /dev/shm, a plain tmpfs, a tmpcopyup tmpfs (its copied files too)
# and the mqueue root, and files made there later; proc, sysfs and cgroup
# keep their own labels. The tmpfs mounts say context="<label>" in
# mountinfo, quoted because of the label's comma.
t_mount_label() {
  needs_selinux
  mount_probe_bundle ml "$(with_mount_label "$MOUNT_LABEL")"
  run_fg ml || fail "run: $(tail -n 3 "$WORK/ml.err") $(grep error= "$WORK/ml.out")"
  for p in $LABELLED_PATHS; do
    got=$(file_label "$WORK/ml.out" "$p")
    [ "$got" = "$MOUNT_LABEL" ] || fail "$p is labelled '$got', expected '$MOUNT_LABEL'"
  done
  for p in /proc /proc/self /sys /sys/fs/cgroup; do
    got=$(file_label "$WORK/ml.out" "$p")
    if [ -z "$got" ] || [ "$got" = "$MOUNT_LABEL" ]; then
      fail "$p is labelled '$got', expected its own label"
    fi
  done
  for d in /tmp /copyup /dev /dev/shm /dev/pts; do
    line=$(mount_line "$WORK/ml.out" "$d")
    case $line in
      *"context=\"$MOUNT_LABEL\""*) ;;
      *) fail "mountinfo of $d has no context=\"$MOUNT_LABEL\": $line" ;;
    esac
  done
  for d in /proc /sys; do
    case $(mount_line "$WORK/ml.out" "$d") in
      *context=*) fail "mountinfo of $d has a context= option: $(mount_line "$WORK/ml.out" "$d")" ;;
    esac
  done
}

# The read-only tmpfs over each masked directory is made for the
# container too: runc gives it the mount label, as any other tmpfs.
t_mount_label_masked_paths() {
  needs_selinux
  bundle mask 'for p in /proc/acpi /proc/asound /proc/scsi /sys/firmware /sys/devices/virtual/tpm; do
      [ -d "$p" ] && /bin/selinux-probe file "$p"
    done; echo done' "$(with_mount_label "$MOUNT_LABEL")"
  run_fg mask || fail "run: $(tail -n 3 "$WORK/mask.err")"
  grep -q '^/' "$WORK/mask.out" || skip "none of the masked directories exists in this VM"
  while read -r p got; do
    [ "$got" = "$MOUNT_LABEL" ] || fail "the masked directory $p is labelled '$got', expected '$MOUNT_LABEL'"
  done <<EOF
$(grep '^/' "$WORK/mask.out")
EOF
}

# On a cgroup v1 or hybrid host the container's /sys/fs/cgroup is a tmpfs
# made for it, holding the host's hierarchies: it gets the mount label,
# the hierarchies keep theirs. The VM is cgroup2 only, so the runtime runs
# in a mount namespace of its own laid out as a hybrid host: a tmpfs at
# /sys/fs/cgroup, cgroup2 at unified, a v1 devices hierarchy (which runc
# requires; the VM's cgroup2 uses no devices controller) and a named one.
t_mount_label_cgroup_tmpfs() {
  needs_selinux
  command -v unshare >/dev/null || skip "no unshare in this busybox"
  bundle cg1 '/bin/selinux-probe file /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/devices \
  /sys/fs/cgroup/berthtest
echo mountinfo:
cat /proc/self/mountinfo' "$(with_mount_label "$MOUNT_LABEL") | del(.linux.resources)"
  RT=$RT WORK=$WORK unshare -m sh -c '
    mount --make-rprivate / &&
    umount /sys/fs/cgroup &&
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup &&
    mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/devices /sys/fs/cgroup/berthtest &&
    mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified &&
    mount -t cgroup -o devices cgroup /sys/fs/cgroup/devices &&
    mount -t cgroup -o none,name=berthtest cgroup /sys/fs/cgroup/berthtest || exit 1
    "$RT" run --bundle "$WORK/cg1" cg1 </dev/null >"$WORK/cg1.out" 2>"$WORK/cg1.err"
    rc=$?
    # The v1 hierarchies go with their last mount once they are empty,
    # and the devices controller back to the VM.
    # A removed cgroup is freed a moment after its rmdir; a hierarchy
    # unmounted while it still counts one is kept (cgroup_kill_sb leaves a
    # root with children alive) and lingers unmounted. So the devices
    # hierarchy is unmounted only once /proc/cgroups counts its root
    # alone: a runtime that removes its cgroup quickly must not fail this.
    "$RT" delete --force cg1 >/dev/null 2>&1
    for h in devices berthtest; do
      find "/sys/fs/cgroup/$h" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    i=0
    while [ "$(awk '\''$1 == "devices" { print $3 }'\'' /proc/cgroups)" != 1 ] && [ $i -lt 50 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    for h in devices berthtest; do
      umount "/sys/fs/cgroup/$h"
    done
    exit "$rc"' ||
    fail "run with a hybrid /sys/fs/cgroup: $(tail -n 3 "$WORK/cg1.err")"
  got=$(file_label "$WORK/cg1.out" /sys/fs/cgroup)
  [ "$got" = "$MOUNT_LABEL" ] || fail "the cgroup tmpfs is labelled '$got', expected '$MOUNT_LABEL'"
  for p in /sys/fs/cgroup/unified /sys/fs/cgroup/devices /sys/fs/cgroup/berthtest; do
    got=$(file_label "$WORK/cg1.out" "$p")
    if [ -z "$got" ] || [ "$got" = "$MOUNT_LABEL" ]; then
      fail "the hierarchy $p in the container is labelled '$got', expected its own label"
    fi
  done
  case $(mount_line "$WORK/cg1.out" /sys/fs/cgroup) in
    *"context=\"$MOUNT_LABEL\""*) ;;
    *) fail "mountinfo of the cgroup tmpfs has no context=: $(mount_line "$WORK/cg1.out" /sys/fs/cgroup)" ;;
  esac
  wait_for 5 devices_back_on_v2 || fail "the v1 devices hierarchy is left behind: $(grep devices /proc/cgroups)"
}

# /proc/cgroups gives hierarchy 0 to a controller no v1 hierarchy holds.
devices_back_on_v2() { [ "$(awk '$1 == "devices" { print $2 }' /proc/cgroups)" = 0 ]; }

# Without linux.mountLabel the same filesystems get the policy's default
# labels: the labels above are the runtime's doing.
t_no_mount_label() {
  needs_selinux
  mount_probe_bundle noml .
  run_fg noml || fail "run: $(tail -n 3 "$WORK/noml.err")"
  for p in /tmp /dev /dev/shm /copyup; do
    got=$(file_label "$WORK/noml.out" "$p")
    [ "$got" = system_u:object_r:tmpfs_t:s0 ] || fail "$p is labelled '$got' without a mount label"
  done
  grep -q 'context=' "$WORK/noml.out" && fail "mountinfo has a context= option without a mount label"
  return 0
}

# A user-namespaced container gets the same labels: its process, its
# keyring and the filesystems made for it, the mqueue root among them,
# which the init relabels from inside the user namespace.
t_userns_labels() {
  needs_selinux
  bundle uns "$PROBE"'
/bin/selinux-probe keyring
/bin/selinux-probe file /tmp /dev /dev/pts /dev/shm /dev/mqueue
echo "mqueue_owner=$(stat -c %u /dev/mqueue)"' "$(with_label "$PROC_LABEL")
     | $(with_mount_label "$MOUNT_LABEL")
     | .mounts += [{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]
     | .linux.namespaces += [{\"type\": \"user\"}]
     | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]
     | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"
  run_fg uns || fail "run: $(tail -n 3 "$WORK/uns.err")"
  got=$(value "$WORK/uns.out" label)
  [ "$got" = "$PROC_LABEL" ] || fail "the user-namespaced container runs as '$got'"
  got=$(sed -n 's/^serial=.* label=//p' "$WORK/uns.out")
  [ "$got" = "$PROC_LABEL" ] || fail "the user-namespaced container's keyring is labelled '$got'"
  for p in /tmp /dev /dev/pts /dev/shm /dev/mqueue; do
    got=$(file_label "$WORK/uns.out" "$p")
    [ "$got" = "$MOUNT_LABEL" ] || fail "in the user namespace, $p is labelled '$got', expected '$MOUNT_LABEL'"
  done
  # Why it can be relabelled: the IPC namespace, and so its mqueue root,
  # belongs to the container's root, as with runc. (Its group is the
  # container's root group too; runc 1.1 leaves it unmapped, 65534.)
  got=$(value "$WORK/uns.out" mqueue_owner)
  [ "$got" = 0 ] || fail "the mqueue root belongs to uid $got in the container, expected 0"
}

# A label the policy does not know: the kernel refuses it (EINVAL), also
# in permissive mode, which lets through only what a known label is
# denied. create fails and leaves nothing behind.
t_unknown_label() {
  needs_selinux
  bundle unk 'echo started' "$(with_label "$UNKNOWN_LABEL")"
  create_fails unk "the unknown label $UNKNOWN_LABEL"
  "$RT" state unk >/dev/null 2>&1 && fail "the container exists after the failed create"
  [ ! -d "$(cgdir unk)" ] || fail "the cgroup $(cgdir unk) is left behind"
  ! grep -q started "$WORK/unk.out" || fail "the container's program ran"
}

# ... and says which field and which label, and what the kernel said.
t_unknown_label_error() {
  needs_selinux
  bundle unkerr 'true' "$(with_label "$UNKNOWN_LABEL")"
  create_fails unkerr "the unknown label $UNKNOWN_LABEL"
  err=$(tail -n 3 "$WORK/unkerr.err")
  case $err in
    *process.selinuxLabel*"$UNKNOWN_LABEL"*[Ii]"nvalid argument"*) ;;
    *) fail "the error does not name process.selinuxLabel, $UNKNOWN_LABEL and EINVAL: $err" ;;
  esac
}

# A mount label the policy does not know fails the mount, naming it.
t_unknown_mount_label() {
  needs_selinux
  bundle unkml 'echo started' "$(with_mount_label "$UNKNOWN_MOUNT_LABEL")"
  create_fails unkml "the unknown mount label $UNKNOWN_MOUNT_LABEL"
  "$RT" state unkml >/dev/null 2>&1 && fail "the container exists after the failed create"
  [ ! -d "$(cgdir unkml)" ] || fail "the cgroup $(cgdir unkml) is left behind"
  case $(tail -n 3 "$WORK/unkml.err") in
    *"$UNKNOWN_MOUNT_LABEL"*) ;;
    *) fail "the error does not name the mount label: $(tail -n 3 "$WORK/unkml.err")" ;;
  esac
}

# In enforcing mode the label is the domain the kernel enforces: the
# policy lets the runtime enter container_t, so that container runs
# labelled; it lets nobody enter denied_t, so the kernel refuses that
# container's exec (an AVC denial of "transition") and its program never
# runs.
t_enforcing_transition() {
  needs_selinux
  echo 1 >"$SELINUXFS/enforce" || fail "could not switch to enforcing mode"
  bundle enf "$PROBE" "$(with_label "$PROC_LABEL") | $(with_mount_label "$MOUNT_LABEL")"
  run_fg enf || fail "run in enforcing mode: $(tail -n 3 "$WORK/enf.err")"
  got=$(value "$WORK/enf.out" label)
  [ "$got" = "$PROC_LABEL" ] || fail "in enforcing mode the container runs as '$got'"
  bundle den 'echo started' "$(with_label "$DENIED_LABEL")"
  if run_fg den; then
    fail "a container labelled $DENIED_LABEL ran in enforcing mode"
  fi
  ! grep -q started "$WORK/den.out" || fail "the program labelled $DENIED_LABEL ran"
  dmesg | grep 'avc:  denied  { transition }' | grep -q 'tcontext=system_u:system_r:denied_t:s0' ||
    fail "the kernel logged no denied transition to denied_t: $(dmesg | grep avc | tail -n 2)"
  # exec --process-label into denied_t is refused the same way, and the
  # container it was aimed at goes on.
  bundle enfx 'echo ready; exec sleep 30' "$(with_label "$PROC_LABEL")"
  run_bg enfx
  wait_out enfx '^ready'
  if "$RT" exec --process-label "$DENIED_LABEL" enfx sh -c 'echo started' \
    >"$WORK/enfx-exec.out" 2>"$WORK/enfx-exec.err"; then
    fail "exec --process-label $DENIED_LABEL succeeded in enforcing mode"
  fi
  ! grep -q started "$WORK/enfx-exec.out" || fail "the program exec'd as $DENIED_LABEL ran"
  [ "$(status_of enfx)" = running ] || fail "the container is $(status_of enfx) after the refused exec"
  echo 0 >"$SELINUXFS/enforce"
}

# ---- setup -----------------------------------------------------------------

# Once, before the tests: selinuxfs where runtimes look for it and the
# test policy loaded. The verdict is left in $SETUP_OK or $SETUP_REASON.
setup_selinux() {
  rm -f "$SETUP_OK" "$SETUP_REASON"
  if ! grep -qw selinuxfs /proc/filesystems; then
    echo "SELinux is not this kernel's LSM (no selinuxfs; lsm: $(cat /sys/kernel/security/lsm 2>/dev/null))" >"$SETUP_REASON"
    return
  fi
  if ! mount -t selinuxfs selinuxfs "$SELINUXFS" 2>"$SETUP_REASON"; then
    return
  fi
  # The policy must arrive in one write.
  if ! dd if="$POLICY" of="$SELINUXFS/load" bs=1M 2>"$SETUP_REASON"; then
    echo "loading $POLICY failed: $(tail -n 1 "$SETUP_REASON"); $(dmesg | grep -i selinux | tail -n 2 | tr '\n' ' ')" >"$SETUP_REASON"
    return
  fi
  if [ "$(label_of self)" != "$HOST_LABEL" ]; then
    echo "after loading the policy the shell is labelled '$(label_of self)'" >"$SETUP_REASON"
    return
  fi
  touch "$SETUP_OK"
}

# Besides the containers: back to permissive, whatever a test left.
suite_cleanup() {
  default_cleanup
  [ ! -f "$SETUP_OK" ] || echo 0 >"$SELINUXFS/enforce"
  rm -rf /bundle/rootfs/copyup
}

# Only the run of every test sets up; "one" and any other mode of the
# runner find it done.
if [ "$#" -eq 0 ]; then
  setup_selinux
  if [ -f "$SETUP_OK" ]; then
    echo "BERTH-VM-NOTE selinux: on, policy version $(cat "$SELINUXFS/policyvers"), permissive; $(dmesg | grep -c 'SELinux:  Class .* not defined in policy') kernel classes not in the policy, allowed (handleunknown)"
  else
    echo "BERTH-VM-NOTE selinux: $(cat "$SETUP_REASON")"
  fi
fi

# shellcheck source=tests/vm/vm-lib.sh
. /tests/vm-lib.sh
vm_main "$@"
