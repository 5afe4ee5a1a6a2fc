#!/usr/bin/env bash
# How berth, runc and crun scale with the number of containers: N detached
# busybox `sleep` containers, for N in SCALE_SIZES.
#
# Usage: bench/scale.sh [BERTH]      (run as root; `make bench-scale`)
# Environment: SCALE_SIZES (default "1 10 100"; add 1000 for the full
#              run, which takes the better part of an hour on 2 busy CPUs),
#              SCALE_PARALLEL (default "2 8 32"), SCALE_QUERIES (default 7:
#              samples of list and state), SCALE_RUNTIMES (default
#              "berth runc crun"), RUNC, CRUN.
#
# For each size and runtime:
#   serial ms     create+start (`run -d`) of all N containers, one by one
#   par P ms      the same with P at a time (xargs -P), for each P
#   list ms       median latency of `list` with all N running
#   state ms      median latency of `state` of one of them
#   procs         processes of the runtime left once all N run (the proof
#                 that a detached container keeps no runtime process)
#   KiB/ctr       what the host lost per container (MemAvailable before
#                 and after, over N: kernel objects of namespaces, cgroups
#                 and mounts, the sleeping busybox, the state files);
#                 other work on the machine makes it noisy at small N
#   state KiB/ctr disk used by the runtime's state directory, per container
#   delete ms     `delete --force` of all N, one by one
# The table goes to stdout, then the same as CSV (plot-ready, one row per
# runtime and size) between "--- csv" lines; the CSV is also left in
# SCALE_CSV if that is set.
#
# Everything runs in a private mount namespace with cgroup2 hidden, as in
# bench/run.sh, with a state root per runtime in a temp dir. On exit
# (normal, failure or ctrl-C) every container is deleted and any cgroup
# left with this run's prefix is removed.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BERTH=$(realpath -m -- "${1:-$REPO_DIR/build/berth}")
in_private_namespace "${BASH_SOURCE[0]}" "$BERTH"

SIZES=${SCALE_SIZES:-1 10 100}
PARALLEL=${SCALE_PARALLEL:-2 8 32}
QUERIES=${SCALE_QUERIES:-7}
RUNTIMES=${SCALE_RUNTIMES:-berth runc crun}
WORK=$(mktemp -d /tmp/berth-scale.XXXXXX)
PREFIX=scale-$$-
declare -A BIN=() SKIP=()

log() { printf '%s\n' "$*" >&2; }
die() { log "bench/scale.sh: $*"; exit 1; }

# --- setup ----------------------------------------------------------------------

make_bundle() {
	"$REPO_DIR/scripts/make-bundle.sh" "$WORK/bundle" /bin/sleep 100000 >/dev/null ||
		die "cannot make the bundle"
}

select_runtimes() {
	local name bin
	for name in $RUNTIMES; do
		case $name in
		berth) bin=$BERTH ;;
		runc) bin=${RUNC:-$(command -v runc || true)} ;;
		crun) bin=${CRUN:-$(command -v crun || true)} ;;
		*) die "unknown runtime $name" ;;
		esac
		if [[ -z "$bin" || ! -x "$bin" ]]; then
			SKIP[$name]="not installed"
			continue
		fi
		# berth from a private copy: a rebuild meanwhile cannot swap it.
		if [[ $name == berth ]]; then
			cp "$bin" "$WORK/berth"
			bin=$WORK/berth
		fi
		BIN[$name]=$bin
		mkdir -p "$WORK/root-$name"
	done
}

rt() { local name=$1; shift; "${BIN[$name]}" --root "$WORK/root-$name" "$@"; }

# --- measurements ------------------------------------------------------------------

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
ms_since() { awk -v a="$1" -v b="$(now_us)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ids() { local n=$1 i; for ((i = 0; i < n; i++)); do echo "${PREFIX}$i"; done; }

# create_all NAME N P: `run -d` of N containers, P at a time; prints ms.
create_all() {
	local name=$1 n=$2 p=$3 start
	start=$(now_us)
	ids "$n" | xargs -P "$p" -I '{}' "${BIN[$name]}" --root "$WORK/root-$name" \
		run -d --bundle "$WORK/bundle" '{}' >/dev/null 2>>"$WORK/errors" ||
		die "$name: run -d failed ($(tail -n 1 "$WORK/errors"))"
	ms_since "$start"
}

# delete_all NAME N P: `delete --force` of the N containers; prints ms.
delete_all() {
	local name=$1 n=$2 p=$3 start
	start=$(now_us)
	ids "$n" | xargs -P "$p" -I '{}' "${BIN[$name]}" --root "$WORK/root-$name" \
		delete --force '{}' >/dev/null 2>>"$WORK/errors" ||
		die "$name: delete failed ($(tail -n 1 "$WORK/errors"))"
	ms_since "$start"
}

# query_ms NAME ARGS...: median latency of a read-only command.
query_ms() {
	local name=$1 i start
	shift
	for ((i = 0; i < QUERIES; i++)); do
		start=$(now_us)
		rt "$name" "$@" >/dev/null
		ms_since "$start"
		echo
	done | median
}

mem_available_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# Processes of the runtime started by this benchmark: every call of ours
# names our state root on its command line, whatever binary it runs from
# (berth and runc re-execute from a memfd copy, crun from a bind mount it
# removes at once). The containers' own processes run busybox sleep.
runtime_procs() {
	local name=$1 cmdline pid count=0 rss=0 kib
	# The bracket keeps grep from finding its own command line.
	for cmdline in $(grep -lxz -- "$WORK/root-[${name:0:1}]${name:1}" /proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${cmdline%/cmdline}
		count=$((count + 1))
		kib=$(awk '/^VmRSS:/ { print $2 }' "$pid/status" 2>/dev/null || echo 0)
		rss=$((rss + ${kib:-0}))
	done
	echo "$count $rss"
}

# All N running: the ids from `list` must be exactly ours.
check_all_running() {
	local name=$1 n=$2 running
	running=$(rt "$name" list -q | grep -c "^${PREFIX}" || true)
	((running == n)) || die "$name: $running of $n containers listed"
}

# measure NAME N: one CSV row.
measure() {
	local name=$1 n=$2 p serial mem_before mem_after list state procs rss state_kib del
	local -a par=()
	# Let the kernel finish tearing down the previous size's containers.
	sleep 2
	mem_before=$(mem_available_kib)
	serial=$(create_all "$name" "$n" 1)
	check_all_running "$name" "$n"
	mem_after=$(mem_available_kib)
	list=$(query_ms "$name" list)
	state=$(query_ms "$name" state "${PREFIX}$((n / 2))")
	read -r procs rss < <(runtime_procs "$name")
	state_kib=$(du -sk "$WORK/root-$name" | awk '{ print $1 }')
	del=$(delete_all "$name" "$n" 1)
	for p in $PARALLEL; do
		par+=("$(create_all "$name" "$n" "$p")")
		check_all_running "$name" "$n"
		delete_all "$name" "$n" 8 >/dev/null
	done
	local IFS=,
	echo "$name,$n,$serial,${par[*]},$list,$state,$procs,$rss,$(
		awk -v a="$mem_before" -v b="$mem_after" -v n="$n" 'BEGIN { printf "%.0f", (a - b) / n }'),$(
		awk -v k="$state_kib" -v n="$n" 'BEGIN { printf "%.1f", k / n }'),$del"
}

# --- report ------------------------------------------------------------------------

csv_header() {
	local p header="runtime,containers,create_serial_ms"
	for p in $PARALLEL; do header+=",create_par${p}_ms"; done
	echo "$header,list_ms,state_ms,runtime_procs,runtime_rss_kib,host_kib_per_container,state_kib_per_container,delete_serial_ms"
}

print_table() {
	local csv=$1
	column -s, -t <"$csv" | sed 's/^/  /'
}

# --- cleanup -----------------------------------------------------------------------

cleanup() {
	local status=$? name dir
	trap - EXIT INT TERM
	for name in "${!BIN[@]}"; do
		force_delete_all "$WORK/root-$name" rt "$name"
	done
	for dir in $(leftover_cgroups "${PREFIX}*"); do
		rmdir "$dir" 2>/dev/null || { log "leftover cgroup: $dir"; status=1; }
	done
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

main() {
	local n name csv=$WORK/scale.csv
	command -v jq >/dev/null || die "jq is needed by scripts/make-bundle.sh"
	use_plain_cgroup_v1
	make_bundle
	select_runtimes
	csv_header >"$csv"
	for n in $SIZES; do
		for name in $RUNTIMES; do
			[[ -z "${SKIP[$name]:-}" ]] || continue
			log "scale: $name, $n containers"
			measure "$name" "$n" >>"$csv"
		done
	done
	local load
	read -r load _ </proc/loadavg
	printf 'berth scale benchmark: kernel %s, %s CPUs, load %s, cgroup v1, busybox sleep, detached\n' \
		"$(uname -r)" "$(nproc)" "$load"
	for name in $RUNTIMES; do
		if [[ -n "${SKIP[$name]:-}" ]]; then
			printf '  %-6s skipped: %s\n' "$name" "${SKIP[$name]}"
		else
			printf '  %-6s %s\n' "$name" "${BIN[$name]}"
		fi
	done
	echo
	print_table "$csv"
	echo
	echo "--- csv"
	cat "$csv"
	echo "--- csv"
	[[ -z "${SCALE_CSV:-}" ]] || cp "$csv" "$SCALE_CSV"
}

main
