#!/bin/bash
# leak-check.sh baseline FILE   records what exists now
# leak-check.sh check FILE      reports what exists now but not in FILE
# leak-check.sh list            prints what exists now
#
# "What exists" is everything a runtime could leave behind on the host:
#   mount  mount points under /tmp, /var/tmp and /run/berth
#   cgroup cgroup directories whose name contains "berth"
#   state  entries of /run/berth (the default state root)
#   proc   berth processes, and processes in a cgroup whose path contains
#          "berth" (a container whose runtime forgot it)
# Processes are only listed here, never signalled.
#
# LEAK_MATCH="STRING..." (words separated by blanks) narrows the check to
# items whose line contains one of the words, for machines where other work
# makes berth cgroups and mounts at the same time. Process lines carry their
# cgroup path, so a container process matches its container's id.
set -u

mounts() {
  # Field 5 is the mount point; mount ids and device numbers are left out
  # because they change without meaning anything.
  awk '{ print $5 }' /proc/self/mountinfo |
    grep -E '^(/tmp|/var/tmp|/run/berth)(/|$)' |
    sed 's/^/mount /'
}

cgroups() {
  # -depth-limited: the v1 memory hierarchy nests containers a few levels
  # down (a relative cgroupsPath lives under the caller's own cgroup).
  find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name '*berth*' 2>/dev/null |
    sed 's/^/cgroup /'
}

states() {
  [ -d /run/berth ] || return 0
  find /run/berth -mindepth 1 -maxdepth 1 2>/dev/null | sed 's/^/state /'
}

# pid + start time identify a process; comm and the cgroup explain it.
procs() {
  local p pid st comm cg
  {
    pgrep -x berth 2>/dev/null
    grep -l berth /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
  } | sort -un | while read -r pid; do
    [ "$pid" = "$$" ] && continue
    p=/proc/$pid
    st=$(sed 's/^.*) //' "$p/stat" 2>/dev/null | awk '{print $20}') || continue
    [ -n "$st" ] || continue
    comm=$(cat "$p/comm" 2>/dev/null)
    cg=$(grep -m1 berth "$p/cgroup" 2>/dev/null | cut -d: -f3)
    # A shell script's command line holds newlines: one line per process,
    # or its later lines would be compared (and reported) on their own.
    echo "proc $pid:$st $comm ${cg:+[cgroup $cg] }$(tr '\0\n' '  ' 2>/dev/null <"$p/cmdline" | cut -c1-120)"
  done
}

snapshot() {
  local words=${LEAK_MATCH:-}
  { mounts; cgroups; states; procs; } |
    if [ -n "$words" ]; then grep -F -f <(tr -s ' \t' '\n\n' <<<"$words" | grep .); else cat; fi |
    LC_ALL=C sort -u
}

# New lines, ignoring the free text after a process's pid:starttime.
new_items() {
  local base=$1
  snapshot | while read -r line; do
    case $line in
      proc\ *)
        key=${line#proc }
        key=${key%% *}
        grep -q "^proc $key " "$base" || echo "$line"
        ;;
      *) grep -qxF "$line" "$base" || echo "$line" ;;
    esac
  done
}

case ${1:-} in
  baseline)
    [ $# -eq 2 ] || { echo "usage: leak-check.sh baseline FILE" >&2; exit 2; }
    snapshot >"$2"
    ;;
  check)
    [ $# -eq 2 ] || { echo "usage: leak-check.sh check FILE" >&2; exit 2; }
    [ -f "$2" ] || { echo "leak-check: no baseline $2" >&2; exit 2; }
    # Runtimes reap and rmdir asynchronously at times: a leak is what is
    # still there after a short grace period.
    for _ in 1 2 3 4 5 6; do
      leaks=$(new_items "$2")
      [ -z "$leaks" ] && break
      sleep 0.5
    done
    if [ -n "$leaks" ]; then
      echo "leak-check: left behind since the baseline:"
      sed 's/^/  /' <<<"$leaks"
      exit 1
    fi
    echo "leak-check: nothing leaked"
    ;;
  list) snapshot ;;
  *)
    echo "usage: leak-check.sh baseline FILE | check FILE | list" >&2
    exit 2
    ;;
esac
