#!/usr/bin/env bats
# The benchmark's own harness (bench/run.sh): every runtime in a section
# must cost the harness the same work around its timed call, or the
# ratios measure the harness instead of the runtimes.

load ../lib/helpers

# Runs each section's measure function once per runtime, with every runtime
# replaced by one fake that forks nothing (it writes the pid file create is
# asked for), in a pid namespace of its own: ns_last_pid then moves only by
# the processes the harness starts. Prints "SECTION NAME COUNT" per call.
count_harness_processes() {
  local fake=$TEST_DIR/fake-runtime
  cat >"$fake" <<'FAKE'
#!/bin/bash
prev=
for arg; do
  [[ "$prev" != --pid-file ]] || echo 2147483646 >"$arg"
  prev=$arg
done
FAKE
  chmod +x "$fake"
  unshare --pid --fork --mount --propagation private env BENCH_SOURCE_ONLY=1 BENCH_IN_NAMESPACE=1 FAKE="$fake" \
    bash -c '
      source "$1/bench/run.sh" >/dev/null
      trap - INT TERM
      remove_work() { rm -rf "$WORK"; }
      trap remove_work EXIT
      mkdir -p "$WORK/bundle/rootfs"
      for name in berth runc crun floor; do BIN[$name]=$FAKE; done
      for name in berth berth-cold berth-nocopy runc crun; do mkdir -p "$ROOTS/root-$name"; done
      for section in run cycle exec spaced; do
        for name in berth berth-nocopy runc crun floor floor-cgroups; do
          [[ $section == run || $section == spaced || $name != floor* ]] || continue
          [[ $section == run || $name != berth-nocopy ]] || continue
          read -r before </proc/sys/kernel/ns_last_pid
          "measure_$section" "$name" "id-$section-$name" || echo "$section $name failed"
          read -r after </proc/sys/kernel/ns_last_pid
          echo "$section $name $((after - before))"
        done
      done' bash "$REPO_ROOT"
}

@test "bench: every runtime of a section starts as many processes around its timed call" {
  command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
  run count_harness_processes
  [ "$status" -eq 0 ] || fail "harness run failed: $output"
  assert_not_contains "$output" "failed"
  local section counts
  for section in run cycle exec spaced; do
    counts=$(awk -v s="$section" '$1 == s { print $3 }' <<<"$output" | sort -u)
    [ -n "$counts" ] || fail "no measurement of $section: $output"
    [ "$(wc -l <<<"$counts")" -eq 1 ] ||
      fail "section $section: the runtimes start different numbers of processes: $(grep "^$section " <<<"$output" | tr '\n' ';')"
  done
}

# bench/timeline.sh cuts each run at its runtime's first exec: a trace that
# began earlier (a new tracing instance records from the start) would put
# the harness's own shell into the first run's start-up.
@test "bench: timeline traces begin at each runtime's exec and are told apart" {
  skip_if_runc "traces berth's own phases"
  [ -w /sys/kernel ] || skip "needs root and a writable /sys/kernel for tracefs"
  command -v python3 >/dev/null || skip "python3 is not installed"
  command -v crun >/dev/null || skip "crun is not installed (the timeline's crun column)"
  local keep=$TEST_DIR/timeline
  TIMELINE_KEEP=$keep run "$REPO_ROOT/bench/timeline.sh" "$BERTH" 2
  [ "$status" -eq 0 ] || fail "timeline.sh failed: $output"
  local name file first
  for name in berth crun floor; do
    for file in "$keep/$name.0" "$keep/$name.1"; do
      [ -s "$file" ] || fail "no trace $file"
      first=$(grep -m1 'sched_process_exec:' "$file")
      [[ "$first" =~ filename=[^\ ]*/$name\  ]] || fail "$file starts with another exec: $first"
    done
  done
  assert_contains "$output" "the clone to the execve of the workload"
  # Every column counted something before the workload: syscalls and faults.
  local row line c
  local -a cols
  for row in "system calls before the workload" "page faults before the workload"; do
    line=$(grep "^$row" <<<"$output") || fail "no row '$row': $output"
    read -r -a cols <<<"${line#"$row"}"
    [ "${#cols[@]}" -eq 3 ] || fail "row '$row' has ${#cols[@]} columns: $line"
    for c in "${cols[@]}"; do [ "$c" -gt 0 ] || fail "row '$row': $line"; done
  done
}

# The static x86_64 build places the code `run` executes at the start of
# the text (src/hot-text.ld): if the link stops using the script, or the
# script stops naming what run calls, each image faults in about twice as
# many text windows again (bench/README.md, "Hot text").
@test "bench: the code run executes is laid out together in the static x86_64 build" {
  skip_if_runc "checks berth's own link"
  [ "$(uname -m)" = x86_64 ] || skip "the hot-text layout is made for x86_64 only"
  command -v readelf >/dev/null || skip "readelf (binutils) is not installed"
  readelf -lW "$BERTH" | grep -q INTERP && skip "a dynamically linked berth (-Dstatic=false) has no hot-text layout"
  local hot
  # "[ 7] NAME TYPE ADDRESS OFFSET SIZE ...": the index is one or two fields.
  hot=$(readelf -SW "$BERTH" | sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 == ".text.berth_hot" { print $3, $5 }')
  [ -n "$hot" ] || fail "no .text.berth_hot section in $BERTH"
  local start size fn addr
  read -r start size <<<"$hot"
  start=$((16#$start)) size=$((16#$size))
  # From each process of a run: the start-up and the re-execution, create,
  # the init, and the parent's wait and delete; and glibc's malloc.
  for fn in main cloned_binary_ensure container_create spec_parse container_init mount_entry \
    container_delete malloc; do
    addr=$(readelf -sW "$BERTH" | awk -v f="$fn" '$8 == f && $4 == "FUNC" { print $2; exit }')
    [ -n "$addr" ] || fail "no function $fn in $BERTH"
    addr=$((16#$addr))
    ((addr >= start && addr < start + size)) || fail "$fn lies outside .text.berth_hot"
  done
  # The layout moves code only: the executable segment holds no data. (A
  # read-only data section placed by an INSERT next to the text lands in
  # the executable segment, which is how this check was found.)
  local seg line name
  # Program headers are numbered in the order listed; the mapping names
  # each one's sections by that number.
  seg=$(readelf -lW "$BERTH" | awk '/^  [A-Z_]+ +0x/ { if ($1 == "LOAD" && / R E /) { printf "%02d", n; exit } n++ }')
  [ -n "$seg" ] || fail "no executable LOAD segment in $BERTH"
  line=$(readelf -lW "$BERTH" | sed -n '/Section to Segment mapping/,$p' | awk -v s="$seg" '$1 == s')
  [ -n "$line" ] || fail "no section mapping for segment $seg"
  for name in ${line#*"$seg"}; do
    case $name in
      .init | .plt | .plt.* | .text | .text.* | __libc_freeres_fn | .fini) ;;
      *) fail "the executable segment holds $name: $line" ;;
    esac
  done
}
