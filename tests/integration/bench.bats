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
