#!/usr/bin/env bash
# Container start-up benchmark: berth against runc, crun and the kernel's
# own floor (bench/floor.c), side by side on one busybox bundle.
#
# Usage: bench/run.sh [BERTH]      (run as root)
# Environment: BENCH_ROUNDS (default 30), BENCH_RSS_ROUNDS (default 5),
#              RUNC, CRUN, FLOOR (binaries; defaults found on PATH / in build/).
#
# Everything runs inside one private mount namespace with the host's
# cgroup2 mount at /sys/fs/cgroup/unified hidden, so that every runtime sees
# the same plain cgroup v1 layout (crun refuses the hybrid one).
#
# Adding a measurement: write measure_<name> RUNTIME ID (appends one sample,
# in microseconds, via record) and add "<name>|<title>|<runtimes>" to SECTIONS.
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
BERTH=${1:-$REPO_DIR/build/berth}

if [[ "${BENCH_IN_NAMESPACE:-}" != 1 ]]; then
	[[ $EUID -eq 0 ]] || { echo "bench/run.sh: must run as root" >&2; exit 1; }
	exec unshare --mount --propagation private \
		env BENCH_IN_NAMESPACE=1 bash "${BASH_SOURCE[0]}" "$BERTH"
fi

ROUNDS=${BENCH_ROUNDS:-30}
RSS_ROUNDS=${BENCH_RSS_ROUNDS:-5}
RUNTIMES=(berth runc crun floor)
# name|title|runtimes measured (floor has no create/start/delete split)
SECTIONS=(
	"run|run /bin/true|berth runc crun floor"
	"cycle|create + start + wait + delete|berth runc crun"
)

WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
BUNDLE=$WORK/bundle
ID_PREFIX=bench-$$-
declare -A BIN=()     # runtime -> binary, for runtimes that passed the smoke test
declare -A SKIP=()    # runtime -> reason it is not measured
declare -A RSS_KIB=() # runtime -> median peak RSS of `run`, KiB

log() { printf '%s\n' "$*" >&2; }
die() { log "bench/run.sh: $*"; exit 1; }

# --- setup -------------------------------------------------------------------

install_missing_tools() {
	local packages=()
	[[ -x /usr/bin/time ]] || packages+=(time)
	[[ -x /bin/busybox ]] || packages+=(busybox-static)
	((${#packages[@]} == 0)) && return
	log "installing ${packages[*]}"
	apt-get install -y -qq "${packages[@]}" >/dev/null
}

# Only the v1 hierarchies stay visible. A tmpfs of our own covers the spot
# where cgroup2 was, so anything a runtime writes there vanishes with us
# instead of landing in the host's /sys/fs/cgroup tmpfs.
use_plain_cgroup_v1() {
	if mountpoint -q /sys/fs/cgroup/unified; then
		umount /sys/fs/cgroup/unified
		mount -t tmpfs -o mode=755,size=16m bench-unified /sys/fs/cgroup/unified
	fi
}

make_bundle() {
	local rootfs=$BUNDLE/rootfs applet
	# A dynamically linked busybox would find no libc in the bare rootfs.
	[[ "$(ldd /bin/busybox 2>&1 || true)" == *"not a dynamic"* ]] ||
		die "/bin/busybox is not static (install busybox-static)"
	mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
	cp /bin/busybox "$rootfs/bin/busybox"
	for applet in $("$rootfs/bin/busybox" --list); do
		[[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
	done
	(cd "$BUNDLE" && runc spec)
	jq '.process.args = ["/bin/true"] | .process.terminal = false' \
		"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

	# Same rootfs, a workload whose exit code proves it really ran.
	mkdir -p "$WORK/check-bundle"
	jq --arg rootfs "$rootfs" '.root.path = $rootfs | .process.args = ["/bin/sh", "-c", "exit 7"]' \
		"$BUNDLE/config.json" >"$WORK/check-bundle/config.json"
}

# floor is built by meson next to berth; without a build, compile it here.
find_floor() {
	local candidate
	for candidate in "${FLOOR:-}" "$(dirname "$BERTH")/floor" "$REPO_DIR/build/floor"; do
		[[ -n "$candidate" && -x "$candidate" ]] && { echo "$candidate"; return; }
	done
	cc -std=gnu11 -O2 -D_GNU_SOURCE -o "$WORK/floor" "$BENCH_DIR/floor.c" -lcap ||
		return 1
	echo "$WORK/floor"
}

# A runtime must pass the container's exit code through `run`: one that
# returns early without running the workload would otherwise look fast.
runs_workload() {
	local name=$1 status=0
	runtime "$name" run --bundle "$WORK/check-bundle" "${ID_PREFIX}check-$name" \
		</dev/null >/dev/null || status=$?
	((status == 7)) || { echo "run of 'exit 7' returned $status" >&2; return 1; }
}

# Runs `run` once per runtime; a runtime that cannot is reported, not measured.
select_runtimes() {
	local runc_bin crun_bin floor_bin name
	runc_bin=${RUNC:-$(command -v runc || true)}
	crun_bin=${CRUN:-$(command -v crun || true)}
	if [[ -x "$BERTH" ]]; then BIN[berth]=$BERTH; else SKIP[berth]="not built ($BERTH)"; fi
	if [[ -x "$runc_bin" ]]; then BIN[runc]=$runc_bin; else SKIP[runc]="not installed"; fi
	if [[ -x "$crun_bin" ]]; then BIN[crun]=$crun_bin; else SKIP[crun]="not installed"; fi
	if floor_bin=$(find_floor); then BIN[floor]=$floor_bin; else SKIP[floor]="does not compile"; fi

	for name in "${RUNTIMES[@]}"; do
		[[ -n "${BIN[$name]:-}" ]] || continue
		[[ "$name" == floor ]] || mkdir -p "$WORK/root-$name"
		if ! { measure_run "$name" "${ID_PREFIX}smoke-$name" &&
			{ [[ "$name" == floor ]] || runs_workload "$name"; }; } 2>"$WORK/smoke-$name.err"; then
			SKIP[$name]="fails: $(head -n 1 "$WORK/smoke-$name.err")"
			unset "BIN[$name]"
		fi
	done
	rm -f "$WORK"/samples.* # smoke-test samples are not measurements
}

# --- measurements --------------------------------------------------------------

# runtime ARGS...: the runtime's CLI with its private state root.
runtime() {
	local name=$1
	shift
	"${BIN[$name]}" --root "$WORK/root-$name" "$@"
}

record() { echo "$3" >>"$WORK/samples.$1.$2"; } # section runtime microseconds

measure_run() {
	local name=$1 id=$2 start end
	start=$EPOCHREALTIME
	if [[ "$name" == floor ]]; then
		"${BIN[floor]}" "$BUNDLE/rootfs" </dev/null >/dev/null || return
	else
		runtime "$name" run --bundle "$BUNDLE" "$id" </dev/null >/dev/null || return
	fi
	end=$EPOCHREALTIME
	record run "$name" $((${end/./} - ${start/./}))
}

# The container's process is not our child: it is stopped once it is a
# zombie or gone, which is what the runtimes' own `state` checks too.
wait_until_stopped() {
	local pid=$1 stat
	while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
		stat=${stat##*) }
		[[ "${stat:0:1}" == Z ]] && return
	done
	return 0
}

measure_cycle() {
	local name=$1 id=$2 start end pid
	local pid_file=$WORK/$id.pid
	start=$EPOCHREALTIME
	runtime "$name" create --bundle "$BUNDLE" --pid-file "$pid_file" "$id" </dev/null >/dev/null ||
		return
	runtime "$name" start "$id" || return
	# The pid file may lack a trailing newline, which makes read return 1.
	read -r pid <"$pid_file" || [[ -n "$pid" ]] || return
	wait_until_stopped "$pid"
	runtime "$name" delete "$id" || return
	end=$EPOCHREALTIME
	rm -f "$pid_file"
	record cycle "$name" $((${end/./} - ${start/./}))
}

# Peak RSS (KiB) of `run`: GNU time reports the runtime process and the
# children it reaped, which for a busybox /bin/true is the runtime's own.
measure_rss() {
	local name=$1 i out=$WORK/rss.$1
	: >"$out"
	for ((i = 0; i < RSS_ROUNDS; i++)); do
		if [[ "$name" == floor ]]; then
			/usr/bin/time -a -o "$out" -f %M "${BIN[floor]}" "$BUNDLE/rootfs" </dev/null >/dev/null
		else
			/usr/bin/time -a -o "$out" -f %M "${BIN[$name]}" --root "$WORK/root-$name" \
				run --bundle "$BUNDLE" "${ID_PREFIX}rss-$name-$i" </dev/null >/dev/null
		fi
	done
	RSS_KIB[$name]=$(median_of <"$out")
}

# --- statistics and report -----------------------------------------------------

median_of() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
min_of() { sort -n | head -n 1; }

# Prints the median of a section's samples in ms, or nothing if there are none.
median_ms() {
	local file=$WORK/samples.$1.$2
	[[ -s "$file" ]] || return 0
	median_of <"$file" | awk '{ printf "%.2f", $1 / 1000 }'
}

ratio() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "n/a"; }

report_section() {
	local section=$1 title=$2 runtimes=$3 name median min rss
	printf '\n%s  (median of %d rounds)\n' "$title" "$ROUNDS"
	printf '  %-8s %10s %10s %14s\n' runtime "median ms" "min ms" "peak RSS KiB"
	for name in $runtimes; do
		if [[ -n "${SKIP[$name]:-}" ]]; then
			printf '  %-8s %s\n' "$name" "skipped: ${SKIP[$name]}"
			continue
		fi
		median=$(median_ms "$section" "$name")
		min=$(min_of <"$WORK/samples.$section.$name" | awk '{ printf "%.2f", $1 / 1000 }')
		rss=-
		[[ "$section" == run ]] && rss=${RSS_KIB[$name]:--}
		printf '  %-8s %10s %10s %14s\n' "$name" "$median" "$min" "$rss"
	done
	local berth
	berth=$(median_ms "$section" berth)
	printf '  ratios:'
	for name in $runtimes; do
		[[ "$name" == berth ]] && continue
		printf '  berth/%s %s' "$name" "$(ratio "$berth" "$(median_ms "$section" "$name")")"
	done
	printf '\n'
}

# --- cleanup -------------------------------------------------------------------

# Real cgroup hierarchies only: the tmpfs over unified is ours and goes away.
leftover_cgroups() {
	local hierarchy
	for hierarchy in /sys/fs/cgroup/*/; do
		[[ "$(stat -f -c %T "$hierarchy")" == cgroupfs ]] || continue
		find "$hierarchy" -mindepth 1 -maxdepth 4 -type d \
			\( -name "*${ID_PREFIX}*" -o -name 'floor-*' \) 2>/dev/null || true
	done
}

cleanup() {
	local status=$? name dir
	# Each runtime keeps one directory per container under its --root.
	for name in berth runc crun; do
		[[ -n "${BIN[$name]:-}" && -d "$WORK/root-$name" ]] || continue
		for dir in "$WORK/root-$name"/*/; do
			[[ -d "$dir" ]] || continue
			dir=${dir%/}
			runtime "$name" delete --force "${dir##*/}" >/dev/null 2>&1 || true
		done
	done
	# A floor killed half-way leaves its cgroup; its pid names it.
	for dir in $(leftover_cgroups); do
		if [[ "$dir" == */floor-* ]]; then
			[[ -d "/proc/${dir##*/floor-}" ]] && continue
		fi
		rmdir "$dir" 2>/dev/null || log "leftover cgroup: $dir"
	done
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- main ----------------------------------------------------------------------

main() {
	local round i section name title runtimes list offset n
	install_missing_tools
	command -v jq >/dev/null || die "jq is needed to edit config.json"
	use_plain_cgroup_v1
	make_bundle
	select_runtimes

	for ((round = 0; round < ROUNDS; round++)); do
		for section in "${SECTIONS[@]}"; do
			IFS='|' read -r name title runtimes <<<"$section"
			list=()
			for i in $runtimes; do [[ -n "${BIN[$i]:-}" ]] && list+=("$i"); done
			n=${#list[@]}
			# Rotate the order each round so no runtime always runs first or last.
			for ((offset = 0; offset < n; offset++)); do
				i=${list[$(((round + offset) % n))]}
				"measure_$name" "$i" "${ID_PREFIX}$name-$i-$round" ||
					die "$i failed in '$title', round $round"
			done
		done
	done
	for name in "${RUNTIMES[@]}"; do
		[[ -n "${BIN[$name]:-}" ]] && measure_rss "$name"
	done

	local load
	read -r load _ </proc/loadavg
	printf 'berth start-up benchmark: kernel %s, %s CPUs, load %s, cgroup v1, busybox /bin/true\n' \
		"$(uname -r)" "$(nproc)" "$load"
	for name in "${RUNTIMES[@]}"; do
		[[ -n "${BIN[$name]:-}" ]] && printf '  %-6s %s\n' "$name" "${BIN[$name]}"
	done
	for section in "${SECTIONS[@]}"; do
		IFS='|' read -r name title runtimes <<<"$section"
		report_section "$name" "$title" "$runtimes"
	done

	local leftovers
	leftovers=$(leftover_cgroups)
	[[ -z "$leftovers" ]] || die "cgroups left behind: $leftovers"
	printf '\nno cgroups left behind\n'
}

main
