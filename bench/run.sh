#!/usr/bin/env bash
# Container start-up benchmark: berth against runc, crun and the kernel's
# own floor (bench/floor.c), side by side on one busybox bundle.
#
# Usage: bench/run.sh [BERTH]      (run as root)
# Environment: BENCH_ROUNDS (default 30), BENCH_RSS_ROUNDS (default 5),
#              BENCH_EXEC_ROUNDS, BENCH_SECCOMP_ROUNDS, BENCH_CLONED_ROUNDS,
#              BENCH_SPACED_ROUNDS (default BENCH_ROUNDS),
#              RUNC, CRUN, FLOOR (binaries; defaults found on PATH / in build/).
#
# Everything runs inside one private mount namespace with the host's
# cgroup2 mount at /sys/fs/cgroup/unified hidden, so that every runtime sees
# the same plain cgroup v1 layout (crun refuses the hybrid one).
#
# Adding a measurement: write measure_<name> RUNTIME ID (appends one sample,
# in microseconds, via record) and add "<name>|<title>|<runtimes>|<rounds>"
# to SECTIONS. Optional hooks: setup_<name> RUNTIME... (before the first
# round; may mark a runtime skipped for that section), teardown_<name>
# RUNTIME... (after the last round) and report_<name> (extra report lines).
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BERTH=$(realpath -m -- "${1:-$REPO_DIR/build/berth}")
in_private_namespace "${BASH_SOURCE[0]}" "$BERTH"

ROUNDS=${BENCH_ROUNDS:-30}
RSS_ROUNDS=${BENCH_RSS_ROUNDS:-5}
# A round of every section takes about 3 s on 2 busy CPUs, so 30 rounds of
# each keep `make bench` near two minutes; each section can be tuned alone.
EXEC_ROUNDS=${BENCH_EXEC_ROUNDS:-$ROUNDS}
SECCOMP_ROUNDS=${BENCH_SECCOMP_ROUNDS:-$ROUNDS}
CLONED_ROUNDS=${BENCH_CLONED_ROUNDS:-$ROUNDS}
SPACED_ROUNDS=${BENCH_SPACED_ROUNDS:-$ROUNDS}
RUNTIMES=(berth runc crun floor)
# name|title|runtimes measured|rounds (floor has no create/start/delete split)
SECTIONS=(
	"run|run /bin/true|berth runc crun floor floor-cgroups|$ROUNDS"
	"cycle|create + start + wait + delete|berth runc crun|$ROUNDS"
	"exec|exec /bin/true in a running container|berth runc crun|$EXEC_ROUNDS"
	"seccomp|run /bin/true with a ~300-syscall seccomp profile|berth berth-cold runc crun|$SECCOMP_ROUNDS"
	"cloned|run /bin/true, berth with and without re-executing from its read-only view|berth berth-nocopy|$CLONED_ROUNDS"
	"spaced|run /bin/true alone, 100 ms after anything else (the cgroup join's grace period cold)|berth runc crun floor-cgroups|$SPACED_ROUNDS"
)
# Variants are berth with one thing changed; the part of a name before "-"
# is the runtime binary it uses. Each name has its own --root.
declare -A LABEL=(
	[berth-cold]="berth (cache cold)"
	[berth-nocopy]="berth (no clone)"
	[floor-cgroups]="floor+cgroups"
)

WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
BUNDLE=$WORK/bundle
# Each runtime's --root: on a tmpfs of the bench's own (use_state_tmpfs), as
# a runtime's default root under /run is on a host where /run is a tmpfs.
ROOTS=$WORK/state
ID_PREFIX=bench-$$-
declare -A BIN=()     # runtime -> binary, for runtimes that passed the smoke test
declare -A SKIP=()    # runtime, or section.runtime -> reason it is not measured
declare -A RSS_KIB=() # section.runtime (or variant) -> median peak RSS, KiB

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

# The runtimes' state roots on a tmpfs, in our mount namespace only: their
# default roots (/run/runc, /run/crun, /run/berth) are on one wherever /run
# is a tmpfs, as on a Debian host with systemd. On a disk, every create and
# delete also pays the filesystem's journal for a few small files.
use_state_tmpfs() {
	mkdir -p "$ROOTS"
	mount -t tmpfs -o mode=700,size=64m bench-state "$ROOTS"
}

# Runs `run` once per runtime; a runtime that cannot is reported, not measured.
select_runtimes() {
	local runc_bin crun_bin floor_bin name
	runc_bin=${RUNC:-$(command -v runc || true)}
	crun_bin=${CRUN:-$(command -v crun || true)}
	# A private copy: a rebuild of build/ in another shell during the run
	# would otherwise swap the binary between rounds, or catch it half-written.
	if [[ -x "$BERTH" ]] && cp "$BERTH" "$WORK/berth"; then
		BIN[berth]=$WORK/berth
	else
		SKIP[berth]="not built ($BERTH)"
	fi
	if [[ -x "$runc_bin" ]]; then BIN[runc]=$runc_bin; else SKIP[runc]="not installed"; fi
	if [[ -x "$crun_bin" ]]; then BIN[crun]=$crun_bin; else SKIP[crun]="not installed"; fi
	if floor_bin=$(find_floor); then BIN[floor]=$floor_bin; else SKIP[floor]="does not compile"; fi

	for name in "${!LABEL[@]}"; do mkdir -p "$ROOTS/root-$name"; done
	for name in "${RUNTIMES[@]}"; do
		[[ -n "${BIN[$name]:-}" ]] || continue
		[[ "$name" == floor ]] || mkdir -p "$ROOTS/root-$name"
		if ! { measure_run "$name" "${ID_PREFIX}smoke-$name" &&
			{ [[ "$name" == floor ]] || runs_workload "$name"; }; } 2>"$WORK/smoke-$name.err"; then
			SKIP[$name]="fails: $(head -n 1 "$WORK/smoke-$name.err")"
			unset "BIN[$name]"
		fi
	done
	rm -f "$WORK"/samples.* # smoke-test samples are not measurements
}

# --- measurements --------------------------------------------------------------

# runtime NAME ARGS...: the runtime's CLI with the private state root of NAME
# (a runtime or a variant). The variable is set for every runtime, empty
# unless asked for, so one left in the caller's environment changes nothing;
# an assignment rather than env(1) keeps an extra exec out of the timing.
runtime() {
	local name=$1 no_clone=
	shift
	[[ "$name" != berth-nocopy ]] || no_clone=1
	BERTH_NO_CLONED_BINARY=$no_clone "${BIN[${name%%-*}]}" --root "$ROOTS/root-$name" "$@"
}

# Why NAME is not measured in SECTION, or nothing when it is.
skip_reason() {
	local section=$1 name=$2
	printf '%s' "${SKIP[${name%%-*}]:-${SKIP[$section.$name]:-}}"
}

# The runtimes of a section that are measured, one per line.
measured_in() {
	local section=$1 name
	for name in $2; do
		[[ -n "$(skip_reason "$section" "$name")" ]] || echo "$name"
	done
}

elapsed_us() { echo $((${2/./} - ${1/./})); } # start end, both $EPOCHREALTIME

record() { echo "$3" >>"$WORK/samples.$1.$2"; } # section runtime microseconds

# time_run SECTION NAME BUNDLE ID: one timed `run`, recorded under SECTION.
time_run() {
	local section=$1 name=$2 bundle=$3 id=$4 start end
	[[ "${name%%-*}" != floor ]] || floor_command "$name" "$bundle/rootfs"
	start=$EPOCHREALTIME
	if [[ "${name%%-*}" == floor ]]; then
		"${FLOOR_COMMAND[@]}" </dev/null >/dev/null || return
	else
		runtime "$name" run --bundle "$bundle" "$id" </dev/null >/dev/null || return
	fi
	end=$EPOCHREALTIME
	record "$section" "$name" "$(elapsed_us "$start" "$end")"
}

measure_run() { time_run run "$1" "$BUNDLE" "$2"; }

# Back to back, each cgroup v1 join finds the kernel's threadgroup lock
# warm from the run before; a container started on a quiet host first
# waits for an RCU grace period (bench/README.md, "The cgroup join's grace
# period"). The pause is outside the timed span.
measure_spaced() {
	sleep 0.1
	time_run spaced "$1" "$BUNDLE" "$2"
}

# floor_command NAME ROOTFS: the floor's command line, into FLOOR_COMMAND.
# floor makes no cgroup unless asked: floor-cgroups pays for one in every
# hierarchy, as a runtime does. Set in a variable rather than printed into
# a $(...): that is a fork of the shell, about 3 ms on this VM, and inside
# a timed span it counted against the floor alone
# (tests/integration/bench.bats).
floor_command() {
	FLOOR_COMMAND=("${BIN[floor]}")
	[[ "$1" != floor-cgroups ]] || FLOOR_COMMAND+=(--cgroups)
	FLOOR_COMMAND+=("$2")
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

# Peak RSS (KiB) of `run` or `exec`: GNU time reports the runtime process
# and the children it reaped, which for a busybox /bin/true is the
# runtime's own. NAME may be a variant; the variable is set on time(1),
# whose child inherits it. exec runs in the container of setup_exec.
measure_rss() {
	local section=$1 name=$2 i out=$WORK/rss.$1.$2 no_clone=
	local -a command
	[[ "$name" != berth-nocopy ]] || no_clone=1
	: >"$out"
	for ((i = 0; i < RSS_ROUNDS; i++)); do
		if [[ "${name%%-*}" == floor ]]; then
			floor_command "$name" "$BUNDLE/rootfs"
			command=("${FLOOR_COMMAND[@]}")
		elif [[ "$section" == exec ]]; then
			command=("${BIN[${name%%-*}]}" --root "$ROOTS/root-$name"
				exec "${ID_PREFIX}exec-$name" /bin/true)
		else
			command=("${BIN[${name%%-*}]}" --root "$ROOTS/root-$name"
				run --bundle "$BUNDLE" "${ID_PREFIX}rss-$name-$i")
		fi
		BERTH_NO_CLONED_BINARY=$no_clone /usr/bin/time -a -o "$out" -f %M \
			"${command[@]}" </dev/null >/dev/null
	done
	RSS_KIB[$section.$name]=$(median_of <"$out")
}

# --- exec: a command in a container that is already running ---------------------

# One long-lived container per runtime, started detached before the first
# round: the time measured is exec's alone, not the container's start.
setup_exec() {
	local name id
	mkdir -p "$WORK/sleep-bundle"
	jq --arg rootfs "$BUNDLE/rootfs" '.root.path = $rootfs | .process.args = ["/bin/sleep", "1000"]' \
		"$BUNDLE/config.json" >"$WORK/sleep-bundle/config.json"
	for name in "$@"; do
		id=${ID_PREFIX}exec-$name
		# The detached container keeps the stderr it was given: a file, so
		# no pipe of ours stays open behind it.
		if ! runtime "$name" run -d --bundle "$WORK/sleep-bundle" "$id" \
			</dev/null >/dev/null 2>"$WORK/exec-$name.err"; then
			SKIP[exec.$name]="run -d fails: $(head -n 1 "$WORK/exec-$name.err")"
		elif ! runtime "$name" exec "$id" /bin/true </dev/null >/dev/null 2>"$WORK/exec-$name.err"; then
			SKIP[exec.$name]="exec fails: $(head -n 1 "$WORK/exec-$name.err")"
		fi
	done
}

measure_exec() {
	local name=$1 start end
	start=$EPOCHREALTIME
	runtime "$name" exec "${ID_PREFIX}exec-$name" /bin/true </dev/null >/dev/null || return
	end=$EPOCHREALTIME
	record exec "$name" "$(elapsed_us "$start" "$end")"
}

teardown_exec() {
	local name
	for name in "$@"; do
		runtime "$name" delete --force "${ID_PREFIX}exec-$name" >/dev/null ||
			log "could not delete the exec container of $name"
	done
}

# --- seccomp: a profile the size of a container engine's default -------------------

# The cache of compiled filters is berth's: <root>/.seccomp-cache.
seccomp_cache() { echo "$ROOTS/root-$1/.seccomp-cache"; }

# Each runtime must show the filter installed in its container (a runtime
# that ignored linux.seccomp would look fast), then runs the workload once,
# which leaves berth's cache warm for the rounds to come.
setup_seccomp() {
	local name out
	"$BENCH_DIR/seccomp-profile.sh" >"$WORK/seccomp.json"
	mkdir -p "$WORK/seccomp-bundle" "$WORK/seccomp-check"
	jq --arg rootfs "$BUNDLE/rootfs" --slurpfile profile "$WORK/seccomp.json" \
		'.root.path = $rootfs | .linux.seccomp = $profile[0]' \
		"$BUNDLE/config.json" >"$WORK/seccomp-bundle/config.json"
	jq '.process.args = ["/bin/grep", "^Seccomp:", "/proc/self/status"]' \
		"$WORK/seccomp-bundle/config.json" >"$WORK/seccomp-check/config.json"
	for name in "$@"; do
		out=$WORK/seccomp-$name.out
		if ! runtime "$name" run --bundle "$WORK/seccomp-check" "${ID_PREFIX}seccomp-check-$name" \
			</dev/null >"$out" 2>"$WORK/seccomp-$name.err"; then
			SKIP[seccomp.$name]="fails: $(head -n 1 "$WORK/seccomp-$name.err")"
		elif ! grep -Eq '^Seccomp:[[:space:]]*2$' "$out"; then
			SKIP[seccomp.$name]="no filter in the container ($(tr -s '[:space:]' ' ' <"$out"))"
		elif ! measure_seccomp "$name" "${ID_PREFIX}seccomp-warm-$name" 2>"$WORK/seccomp-$name.err"; then
			SKIP[seccomp.$name]="fails: $(head -n 1 "$WORK/seccomp-$name.err")"
		fi
	done
	rm -f "$WORK"/samples.seccomp.* # the warm-up is not a measurement
	# Without an entry the warm rows would compile every time, like the cold.
	if [[ -z "$(skip_reason seccomp berth)" ]] &&
		! compgen -G "$(seccomp_cache berth)/*" >/dev/null; then
		SKIP[seccomp.berth-cold]="berth left no entry in $(seccomp_cache berth)"
	fi
}

measure_seccomp() {
	local name=$1 id=$2
	# Before each cold round, outside the timed span: berth must compile.
	if [[ "$name" == berth-cold ]]; then rm -rf "$(seccomp_cache "$name")"; fi
	time_run seccomp "$name" "$WORK/seccomp-bundle" "$id"
}

report_seccomp() {
	local warm cold
	warm=$(median_us seccomp berth)
	cold=$(median_us seccomp berth-cold)
	[[ -n "$warm" && -n "$cold" ]] || return 0
	awk -v warm="$warm" -v cold="$cold" 'BEGIN {
		printf "  cache gain: cold/warm %.2fx (the cache saves %.2f ms a run)\n",
			cold / warm, (cold - warm) / 1000 }'
}

# --- cloned: the cost of running from a sealed copy of the berth binary ------------

# A created container's init is a clone of berth that has not exec'd yet,
# so its /proc/PID/exe shows what berth runs from: the binary seen through
# its read-only overlay ("/berth", a mount attached nowhere), the memfd
# copy, or the file itself. Without that difference the two rows would
# measure the same.
setup_cloned() {
	local name id pid exe expect
	for name in "$@"; do
		id=${ID_PREFIX}cloned-check-$name
		pid=
		expect="/memfd:berth (deleted)"
		[[ "$name" != berth-nocopy ]] || expect=${BIN[berth]}
		if ! runtime "$name" create --bundle "$BUNDLE" --pid-file "$WORK/$id.pid" "$id" \
			</dev/null >/dev/null 2>"$WORK/$id.err"; then
			SKIP[cloned.$name]="create fails: $(head -n 1 "$WORK/$id.err")"
			continue
		fi
		read -r pid <"$WORK/$id.pid" || [[ -n "$pid" ]] || true
		exe=$(readlink "/proc/${pid:-0}/exe" || true)
		runtime "$name" delete --force "$id" >/dev/null 2>&1 || log "could not delete $id"
		[[ "$exe" == "$expect" ]] || { [[ "$name" != berth-nocopy ]] && [[ "$exe" == /berth ]]; } ||
			SKIP[cloned.$name]="its container init runs from '$exe', not '$expect'"
	done
}

measure_cloned() { time_run cloned "$1" "$BUNDLE" "$2"; }

report_cloned() {
	local with without
	with=$(median_us cloned berth)
	without=$(median_us cloned berth-nocopy)
	[[ -n "$with" && -n "$without" ]] || return 0
	awk -v with="$with" -v without="$without" \
		-v rss_with="${RSS_KIB[run.berth]:-0}" -v rss_without="${RSS_KIB[cloned.berth-nocopy]:-0}" 'BEGIN {
		printf "  clone cost: %+.2f ms a run (%+.1f%%)", (with - without) / 1000,
			100 * (with - without) / without
		if (rss_with && rss_without)
			printf ", peak RSS %+d KiB", rss_with - rss_without
		printf "\n" }'
}

# --- statistics and report -----------------------------------------------------

median_of() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
min_of() { sort -n | head -n 1; }

# Prints the median (or minimum) of a section's samples in microseconds or
# ms, or nothing if there are none.
median_us() {
	local file=$WORK/samples.$1.$2
	[[ -s "$file" ]] || return 0
	median_of <"$file"
}
median_ms() { median_us "$@" | awk '{ printf "%.2f", $1 / 1000 }'; }
min_ms() { min_of <"$WORK/samples.$1.$2" | awk '{ printf "%.2f", $1 / 1000 }'; }

ratio() { [[ -n "$1" && -n "$2" ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "n/a"; }

# The RSS_KIB key of a runtime in a section: the cloned section's plain
# berth is the same `run` as the run section's.
rss_key() {
	if [[ "$1" == cloned && "$2" == berth ]]; then echo run.berth; else echo "$1.$2"; fi
}

# Sections whose table has a peak RSS column: a plain `run` (cloned takes
# the figures of run for berth) and `exec`.
RSS_SECTIONS=" run exec cloned "

report_section() {
	local section=$1 title=$2 runtimes=$3 rounds=$4 name reason rss
	printf '\n%s  (median of %d rounds)\n' "$title" "$rounds"
	printf '  %-20s %10s %10s %14s\n' runtime "median ms" "min ms" "peak RSS KiB"
	for name in $runtimes; do
		reason=$(skip_reason "$section" "$name")
		if [[ -n "$reason" ]]; then
			printf '  %-20s %s\n' "${LABEL[$name]:-$name}" "skipped: $reason"
			continue
		fi
		rss=-
		[[ "$RSS_SECTIONS" != *" $section "* ]] || rss=${RSS_KIB[$(rss_key "$section" "$name")]:--}
		printf '  %-20s %10s %10s %14s\n' "${LABEL[$name]:-$name}" \
			"$(median_ms "$section" "$name")" "$(min_ms "$section" "$name")" "$rss"
	done
	# berth (and each berth variant) against every other runtime.
	local mine other line
	for mine in $runtimes; do
		[[ "${mine%%-*}" == berth ]] || continue
		line=
		for other in $runtimes; do
			[[ "${other%%-*}" != berth ]] || continue
			line+="  $mine/$other $(ratio "$(median_us "$section" "$mine")" "$(median_us "$section" "$other")")"
		done
		[[ -z "$line" ]] || printf '  ratios:%s\n' "$line"
	done
	if declare -F "report_$section" >/dev/null; then "report_$section"; fi
}

# --- cleanup -------------------------------------------------------------------

cleanup() {
	local status=$? name dir
	# Each runtime keeps one directory per container under its --root; a
	# variant has a root of its own.
	for name in berth runc crun "${!LABEL[@]}"; do
		[[ -n "${BIN[${name%%-*}]:-}" && -d "$ROOTS/root-$name" ]] || continue
		force_delete_all "$ROOTS/root-$name" runtime "$name"
	done
	# A floor killed half-way leaves its cgroup; its pid names it.
	for dir in $(leftover_cgroups "*${ID_PREFIX}*" 'floor-*'); do
		if [[ "$dir" == */floor-* ]]; then
			[[ -d "/proc/${dir##*/floor-}" ]] && continue
		fi
		rmdir "$dir" 2>/dev/null || log "leftover cgroup: $dir"
	done
	! mountpoint -q "$ROOTS" || umount "$ROOTS"
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- main ----------------------------------------------------------------------

main() {
	local round max_rounds=0 i section name title runtimes rounds offset n
	local -a list
	install_missing_tools
	command -v jq >/dev/null || die "jq is needed to edit config.json"
	use_plain_cgroup_v1
	use_state_tmpfs
	# Named with ID_PREFIX, so cleanup removes it with any leftover.
	hold_cpuset_warm "${ID_PREFIX}cpuset-held"
	make_bundle
	select_runtimes

	for section in "${SECTIONS[@]}"; do
		IFS='|' read -r name title runtimes rounds <<<"$section"
		((rounds > max_rounds)) && max_rounds=$rounds
		mapfile -t list < <(measured_in "$name" "$runtimes")
		if ((${#list[@]})) && declare -F "setup_$name" >/dev/null; then
			"setup_$name" "${list[@]}"
		fi
	done

	for ((round = 0; round < max_rounds; round++)); do
		for section in "${SECTIONS[@]}"; do
			IFS='|' read -r name title runtimes rounds <<<"$section"
			((round < rounds)) || continue
			mapfile -t list < <(measured_in "$name" "$runtimes")
			n=${#list[@]}
			# Rotate the order each round so no runtime always runs first or last.
			for ((offset = 0; offset < n; offset++)); do
				i=${list[$(((round + offset) % n))]}
				"measure_$name" "$i" "${ID_PREFIX}$name-$i-$round" ||
					die "$i failed in '$title', round $round"
			done
		done
	done

	for section in "${SECTIONS[@]}"; do
		IFS='|' read -r name title runtimes rounds <<<"$section"
		mapfile -t list < <(measured_in "$name" "$runtimes")
		# Before the teardown: exec's RSS needs its containers.
		if [[ "$RSS_SECTIONS" == *" $name "* ]]; then
			for i in "${list[@]}"; do
				[[ -n "${RSS_KIB[$(rss_key "$name" "$i")]:-}" ]] || measure_rss "$name" "$i"
			done
		fi
		if ((${#list[@]})) && declare -F "teardown_$name" >/dev/null; then
			"teardown_$name" "${list[@]}"
		fi
	done

	local load
	read -r load _ </proc/loadavg
	printf 'berth start-up benchmark: kernel %s, %s CPUs, load %s, cgroup v1%s, busybox /bin/true\n' \
		"$(uname -r)" "$(nproc)" "$load" "${CPUSET_WARM:+ (a cpuset cgroup held)}"
	for name in "${RUNTIMES[@]}"; do
		[[ -n "${BIN[$name]:-}" ]] || continue
		if [[ "$name" == berth ]]; then
			printf '  %-6s %s (copied at start)\n' "$name" "$BERTH"
		else
			printf '  %-6s %s\n' "$name" "${BIN[$name]}"
		fi
	done
	for section in "${SECTIONS[@]}"; do
		IFS='|' read -r name title runtimes rounds <<<"$section"
		report_section "$name" "$title" "$runtimes" "$rounds"
	done

	local leftovers
	release_cpuset_warm
	leftovers=$(leftover_cgroups "*${ID_PREFIX}*" 'floor-*')
	[[ -z "$leftovers" ]] || die "cgroups left behind: $leftovers"
	printf '\nno cgroups left behind\n'
}

# BENCH_SOURCE_ONLY=1: define everything, measure nothing (for the harness's
# own tests).
[[ "${BENCH_SOURCE_ONLY:-}" == 1 ]] || main
