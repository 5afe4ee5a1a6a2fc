#!/bin/bash
# soak.sh BERTH [CYCLES] [EVERY]: CYCLES create/start/exec/kill/delete
# cycles (default 10000), printing every EVERY cycles (default CYCLES/10)
# the peak RSS of each berth command of the last cycle, and the host's
# open fds, mounts and berth cgroups. The curve must be flat: the last
# sample may not exceed the first by more than a small margin (RSS 10%,
# fds/mounts/cgroups by what other work on the machine can explain: 0 of
# ours). Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
berth=${1:?usage: soak.sh BERTH [CYCLES] [EVERY]}
cycles=${2:-10000}
every=${3:-$((cycles / 10))}
[ "$every" -gt 0 ] || every=1
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-soak.XXXXXX") || exit 1
root=$work/state
tag=soak$$
trap 'rm -rf "$work"' EXIT
RUNTIME=/usr/sbin/runc "$repo/scripts/make-bundle.sh" "$work/b" >/dev/null 2>&1 || { echo "0 passed, 1 failed"; exit 1; }
jq '.process.args = ["sleep", "1000"]' "$work/b/config.json" >"$work/c" && mv "$work/c" "$work/b/config.json"

# peak_rss ARGS...: run berth, print its peak RSS in KiB (GNU time's %M).
peak_rss() {
  /usr/bin/time -f '%M' -o "$work/rss" "$berth" --root "$root" "$@" </dev/null >/dev/null 2>>"$work/err"
  local rc=$?
  cat "$work/rss" | tail -1
  return $rc
}

host_counts() {
  local fds mounts cgroups
  fds=$(awk '{print $1}' /proc/sys/fs/file-nr)
  mounts=$(wc -l </proc/self/mountinfo)
  cgroups=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$tag*" 2>/dev/null | wc -l)
  echo "$fds $mounts $cgroups"
}

[ -x /usr/bin/time ] || { echo "soak: /usr/bin/time is missing (apt-get install time)"; echo "0 passed, 1 failed"; exit 1; }
printf '%7s %8s %8s %8s %8s %8s %9s %7s %8s\n' cycle create start exec kill delete host-fds mounts cgroups
errors=0 first= last=
for i in $(seq 1 "$cycles"); do
  id=$tag-$((i % 7))
  c=$(peak_rss create --bundle "$work/b" "$id") || errors=$((errors + 1))
  s=$(peak_rss start "$id") || errors=$((errors + 1))
  e=$(peak_rss exec "$id" true) || errors=$((errors + 1))
  k=$(peak_rss kill "$id" KILL) || errors=$((errors + 1))
  d=$(peak_rss delete --force "$id") || errors=$((errors + 1))
  if [ $((i % every)) -eq 0 ] || [ "$i" -eq 1 ]; then
    read -r fds mounts cgs <<<"$(host_counts)"
    printf '%7d %8s %8s %8s %8s %8s %9s %7s %8s\n' "$i" "$c" "$s" "$e" "$k" "$d" "$fds" "$mounts" "$cgs"
    last="$c $s $e $k $d $cgs"
    [ -n "$first" ] || first=$last
  fi
done
rss_max() { tr ' ' '\n' <<<"$1" | head -5 | sort -n | tail -1; }
passed=0 failed=0
f=$(rss_max "$first") l=$(rss_max "$last")
if [ "$l" -le $((f + f / 10)) ]; then passed=$((passed + 1)); else
  echo "not flat: peak RSS went from $f to $l KiB"; failed=$((failed + 1)); fi
if [ "${last##* }" -eq 0 ]; then passed=$((passed + 1)); else
  echo "cgroups of the soak left: ${last##* }"; failed=$((failed + 1)); fi
if [ "$errors" -eq 0 ]; then passed=$((passed + 1)); else
  echo "$errors commands failed:"; sort "$work/err" | uniq -c | sort -rn | head; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
