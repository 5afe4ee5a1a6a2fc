#!/bin/bash
# Runs the VM suites: for each tests/vm/suite-NAME.sh, Debian's cloud kernel
# under qemu with software emulation (no /dev/kvm needed), booted into an
# initramfs that build-initramfs.sh makes from the base stage and the
# suite's own files. A host with cgroup v1 or a hybrid layout cannot
# exercise berth's cgroup2 code; each VM's hierarchy is pure cgroup2.
# README.md says what a suite file may define.
#
#   tests/vm/run-vm.sh [RUNTIME]      RUNTIME defaults to build/berth
#
# Environment:
#   BERTH_VM_SUITES   the suites to run, comma-separated (default: every
#                     suite-*.sh here, in name order)
#   BERTH_VM_CACHE    where the kernel is kept between runs
#                     (default ${XDG_CACHE_HOME:-/var/cache}/berth-vm)
#   BERTH_VM_REFRESH  set to 1 to fetch the newest cloud kernel again
#   BERTH_VM_TIMEOUT  seconds one VM run may take (default: the suite's
#                     SUITE_TIMEOUT, else 300)
#   BERTH_VM_LOG      also keep the serial console log at this path (with
#                     several suites, at PATH.NAME for each)
#   BERTH_VM_TESTS    run only these tests (names separated by commas, bare
#                     or as SUITE:NAME); every suite runs those it has
#   BERTH_VM_KNOWN_FAILURES
#                     tests (comma-separated, bare or SUITE:NAME) whose
#                     failure is known and tracked: reported, counted with
#                     the skipped, and not failing the run; one that passes
#                     again says so
#
# Prints each suite's results prefixed with its name and ends with one line
# "check-vm: N passed, N failed, N skipped" summed over the suites. Exits 0
# only when every VM ran its tests to the end and none failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runtime=${1:-$repo/build/berth}
cache=${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/berth-vm}
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

say() { vm_say "$@"; }

# What every suite needs on the host; suites add their SUITE_PACKAGES.
BASE_PACKAGES=(qemu-system-x86 cpio busybox-static jq)

# kernel_image [ARCH]: prints the path of a cached vmlinuz, downloading
# Debian's current cloud kernel package first when there is none. Only the
# kernel image is kept: the cloud kernel has what the tests need built in,
# so no modules. ARCH (a suite's SUITE_ARCH) is another architecture's
# kernel, looked up with that architecture's private apt and kept apart.
kernel_image() {
  local cached pkg work arch=${1:-} cache=$cache meta=linux-image-cloud-amd64 apt=()
  if [ -n "$arch" ]; then
    cache=$cache/$arch meta=linux-image-cloud-$arch apt=("$repo/scripts/cross-apt.sh" "$arch")
  fi
  cached=$(find "$cache" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$cached" ] && [ "${BERTH_VM_REFRESH:-0}" != 1 ]; then
    echo "$cached"
    return 0
  fi
  mkdir -p "$cache"
  # The meta-package depends on the current versioned image package.
  find_pkg() {
    "${apt[@]}" apt-cache depends "$meta" 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-/ && !found { print $2; found = 1 }'
  }
  pkg=$(find_pkg)
  if [ -z "$pkg" ]; then
    "${apt[@]}" apt-get update -qq </dev/null >&2
    pkg=$(find_pkg)
  fi
  [ -n "$pkg" ] || { say "no $meta package is known to apt"; return 1; }
  say "downloading $pkg into $cache"
  work=$(mktemp -d "$cache/download.XXXXXX")
  # apt's _apt user may not be able to write here; the download is a plain
  # file fetch, so running it as the caller is fine.
  if ! (cd "$work" && "${apt[@]}" apt-get download -qq -o APT::Sandbox::User=root "$pkg" </dev/null >&2); then
    rm -rf "$work"
    return 1
  fi
  dpkg -x "$work"/*.deb "$work/x"
  cached=$(find "$work/x/boot" -name 'vmlinuz-*' | head -n 1)
  [ -n "$cached" ] || { rm -rf "$work"; say "$pkg holds no vmlinuz"; return 1; }
  # A rename, so a run killed half-way never leaves a truncated kernel.
  mv "$cached" "$cache/$(basename "$cached")"
  rm -rf "$work"
  echo "$cache/$(basename "$cached")"
}

# is_known_failure SUITE NAME
is_known_failure() {
  [[ ",${BERTH_VM_KNOWN_FAILURES:-}," == *",$2,"* || ",${BERTH_VM_KNOWN_FAILURES:-}," == *",$1:$2,"* ]]
}

total_passed=0 total_failed=0 total_skipped=0

# report SUITE LOG QEMU-STATUS WALL: reads one VM's console log, prints its
# results prefixed with the suite's name and adds them to the totals.
report() {
  local suite=$1 log=$2 qemu_rc=$3 wall=$4 timeout=$5
  local passed=0 failed=0 skipped=0 done_line booted line kind name reason
  local p="$suite: "
  # The serial console ends lines with \r\n.
  tr -d '\r' <"$log" >"$log.clean"
  booted=$(grep -m1 '^BERTH-VM-BOOTED' "$log.clean" || true)
  if [ -z "$booted" ]; then
    say "${p}the VM did not boot (qemu exit status $qemu_rc); console tail:"
    tail -n 40 "$log.clean" | sed "s/^/$p/" >&2
    total_failed=$((total_failed + 1))
    return
  fi
  say "${p}booted: ${booted#BERTH-VM-BOOTED }; whole run ${wall}s"
  grep '^BERTH-VM-NOTE ' "$log.clean" | sed "s/^BERTH-VM-NOTE /check-vm: $p/" >&2 || true
  while IFS= read -r line; do
    case $line in
      'BERTH-VM-RESULT: ok '*)
        name=${line#BERTH-VM-RESULT: ok }
        passed=$((passed + 1))
        echo "${p}ok       $name"
        if is_known_failure "$suite" "${name%% *}"; then
          echo "${p}         ${name%% *} passes now: take it out of BERTH_VM_KNOWN_FAILURES"
        fi
        ;;
      'BERTH-VM-RESULT: not ok '*)
        line=${line#BERTH-VM-RESULT: not ok }
        if is_known_failure "$suite" "${line%% *}"; then
          skipped=$((skipped + 1))
          echo "${p}known    ${line%% *}: ${line#* }"
        else
          failed=$((failed + 1))
          echo "${p}FAILED   ${line%% *}: ${line#* }"
        fi
        ;;
      'BERTH-VM-RESULT: skip '*)
        line=${line#BERTH-VM-RESULT: skip }
        skipped=$((skipped + 1))
        echo "${p}skipped  ${line%% *}: ${line#* }"
        ;;
      'BERTH-VM-DETAIL '*)
        echo "${p}         ${line#BERTH-VM-DETAIL }"
        ;;
    esac
  done <"$log.clean"
  done_line=$(grep -m1 '^BERTH-VM-DONE ' "$log.clean" || true)
  if [ -z "$done_line" ]; then
    if [ "$qemu_rc" -eq 124 ]; then
      say "${p}the VM was still running after ${timeout}s; console tail:"
    else
      say "${p}the VM stopped (qemu exit status $qemu_rc) before the tests finished; console tail:"
    fi
    tail -n 40 "$log.clean" | sed "s/^/$p/" >&2
    failed=$((failed + 1))
  else
    read -r _ kind name reason <<<"$done_line"
    # The VM's own count guards against lost or garbled result lines.
    if [ "$kind" != "$passed" ] || [ "$((name + ${reason:-0}))" != "$((failed + skipped))" ]; then
      say "${p}the VM counted $kind passed, $name failed, ${reason:-0} skipped; the log shows $passed passed, $((failed + skipped)) failed or skipped"
      failed=$((failed + 1))
    fi
  fi
  # Not in the "N passed, N failed" form: tests/check.sh reads only the
  # summed line at the end.
  say "${p}$passed ok / $failed failed / $skipped skipped"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
}

# suite_settings FILE: the suite's memory, timeout, disk size and kernel
# command-line words, one per line, with the defaults for what it leaves
# out. Read in a subshell, so one suite's definitions never leak into the
# next.
suite_settings() {
  (
    SUITE_MEMORY=512 SUITE_TIMEOUT=300 SUITE_DISK_MB=0 SUITE_APPEND='' SUITE_ARCH=
    # shellcheck source=/dev/null
    . "$1"
    printf '%s\n' "$SUITE_MEMORY" "${BERTH_VM_TIMEOUT:-$SUITE_TIMEOUT}" "$SUITE_DISK_MB" \
      "$SUITE_APPEND" "$SUITE_ARCH"
  )
}

suite_packages() {
  (
    SUITE_PACKAGES=()
    # shellcheck source=/dev/null
    . "$1"
    [ "${#SUITE_PACKAGES[@]}" -eq 0 ] || printf '%s\n' "${SUITE_PACKAGES[@]}"
  )
}

# suite_files: the suite files to run, from BERTH_VM_SUITES or all of them.
suite_files() {
  local name
  if [ -n "${BERTH_VM_SUITES:-}" ]; then
    for name in ${BERTH_VM_SUITES//,/ }; do
      [[ $name =~ ^[a-z0-9_-]+$ ]] || { say "bad suite name in BERTH_VM_SUITES: $name"; return 1; }
      [ -r "$here/suite-$name.sh" ] || { say "no suite $name (no $here/suite-$name.sh)"; return 1; }
      echo "$here/suite-$name.sh"
    done
  else
    find "$here" -maxdepth 1 -name 'suite-*.sh' | LC_ALL=C sort
  fi
}

# arch_vm SUITE ARCH WORK: a suite for another architecture (SUITE_ARCH)
# boots that architecture's kernel and tests berth cross-built for it
# (scripts/cross-build.sh): sets run_suite's kernel, suite_runtime, qemu
# and console.
arch_vm() {
  local suite=$1 arch=$2 work=$3
  # shellcheck disable=SC2054 # the commas are qemu's
  case $arch in
    # virt is qemu's generic Arm board. -cpu max, with the implementation-
    # defined pointer authentication: emulating the architected QARMA
    # cipher on every function return is most of TCG's time otherwise.
    arm64) qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on) console=ttyAMA0 ;;
    *) say "$suite: no VM for architecture $arch"; return 1 ;;
  esac
  if ! "$repo/scripts/cross-build.sh" "$arch" >"$work/$suite.build.log" 2>&1; then
    say "$suite: cross-building berth for $arch failed:"
    tail -n 20 "$work/$suite.build.log" | sed "s/^/$suite: /" >&2
    return 1
  fi
  suite_runtime=$repo/build-cross-$arch/berth
  kernel=$(kernel_image "$arch") || return 1
}

# run_suite FILE KERNEL WORK: builds the suite's initramfs, boots it and
# reports.
run_suite() {
  local file=$1 kernel=$2 work=$3 suite settings memory timeout disk_mb append arch
  local qemu_rc=0 start log disk=() suite_runtime=$runtime console=ttyS0
  local qemu=(qemu-system-x86_64 -machine q35 -cpu max)
  suite=$(basename "$file" .sh)
  suite=${suite#suite-}
  mapfile -t settings < <(suite_settings "$file")
  memory=${settings[0]} timeout=${settings[1]} disk_mb=${settings[2]} append=${settings[3]:-}
  arch=${settings[4]:-}
  if [ -n "$arch" ]; then
    arch_vm "$suite" "$arch" "$work" || { total_failed=$((total_failed + 1)); return; }
  fi
  if [ "$disk_mb" -gt 0 ]; then
    # An empty raw disk, /dev/nvme0n1 in the VM: the cloud kernel builds
    # NVMe in (virtio-blk is a module). I/O limits need a real block
    # device to act on.
    truncate -s "${disk_mb}M" "$work/$suite.disk"
    disk=(-drive "file=$work/$suite.disk,format=raw,if=none,id=disk0"
      -device "nvme,drive=disk0,serial=berth-vm")
  fi
  if ! "$here/build-initramfs.sh" "$suite_runtime" "$work/$suite.initrd.gz" "$file"; then
    say "$suite: building the initramfs failed"
    total_failed=$((total_failed + 1))
    return
  fi
  # The kernel passes name=value words it does not know to /init's
  # environment; commas keep the list one word.
  append="console=$console panic=-1 loglevel=4 $append"
  [ -z "${BERTH_VM_TESTS:-}" ] || append+=" BERTH_VM_TESTS=$BERTH_VM_TESTS"
  log=$work/$suite.console.log
  say "$suite: booting $(basename "$kernel") (software emulation, ${memory} MiB, timeout ${timeout}s)"
  start=$(date +%s)
  # q35 and -cpu max give the guest a modern CPU model under TCG; two vCPUs
  # so cpuset has a CPU to move to. -nodefaults drops the NIC and VGA the
  # tests do not need. panic=-1 with -no-reboot turns a guest panic into a
  # prompt qemu exit.
  timeout "$timeout" "${qemu[@]}" -smp 2 -m "$memory" \
    -nodefaults -no-reboot -display none -monitor none \
    -serial "file:$log" \
    -kernel "$kernel" -initrd "$work/$suite.initrd.gz" \
    "${disk[@]}" -append "$append" \
    </dev/null || qemu_rc=$?
  if [ -n "${BERTH_VM_LOG:-}" ]; then
    if [ "$suite_count" -gt 1 ]; then cp "$log" "$BERTH_VM_LOG.$suite"; else cp "$log" "$BERTH_VM_LOG"; fi
  fi
  report "$suite" "$log" "$qemu_rc" "$(($(date +%s) - start))" "$timeout"
}

main() {
  [ "$(id -u)" -eq 0 ] || { say "must run as root (apt, and the runtime in the VM)"; exit 1; }
  [ -x "$runtime" ] || { say "no runtime at $runtime (run make first)"; exit 1; }
  if [ -n "${BERTH_VM_TESTS:-}" ] && ! [[ $BERTH_VM_TESTS =~ ^[a-z0-9_,:-]+$ ]]; then
    say "bad BERTH_VM_TESTS: $BERTH_VM_TESTS"
    exit 2
  fi
  local files file packages=() kernel work
  mapfile -t files < <(suite_files)
  [ "${#files[@]}" -gt 0 ] || { say "no suites to run"; echo "check-vm: 0 passed, 1 failed, 0 skipped"; exit 1; }
  suite_count=${#files[@]}
  for file in "${files[@]}"; do
    mapfile -t -O "${#packages[@]}" packages < <(suite_packages "$file")
  done
  vm_ensure_packages "${BASE_PACKAGES[@]}" "${packages[@]}"
  kernel=$(kernel_image)
  work=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm.XXXXXX")
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  for file in "${files[@]}"; do
    run_suite "$file" "$kernel" "$work"
  done
  if [ -n "${BERTH_VM_TESTS:-}" ] && [ $((total_passed + total_failed + total_skipped)) -eq 0 ]; then
    say "BERTH_VM_TESTS=$BERTH_VM_TESTS names no test of the suites run"
    total_failed=1
  fi
  echo "check-vm: $total_passed passed, $total_failed failed, $total_skipped skipped"
  [ "$total_failed" -eq 0 ]
}

main "$@"
