#!/bin/bash
# Runs the cgroup v2 tests in a VM: Debian's cloud kernel under qemu with
# software emulation (no /dev/kvm needed), booted into an initramfs that
# holds the runtime and tests/vm/v2-tests.sh. A host with cgroup v1 or a
# hybrid layout cannot exercise berth's cgroup2 code; the VM's hierarchy is
# pure cgroup2 with every controller the kernel has.
#
#   tests/vm/run-vm.sh [RUNTIME]      RUNTIME defaults to build/berth
#
# Environment:
#   BERTH_VM_CACHE    where the kernel is kept between runs
#                     (default ${XDG_CACHE_HOME:-/var/cache}/berth-vm)
#   BERTH_VM_REFRESH  set to 1 to fetch the newest cloud kernel again
#   BERTH_VM_TIMEOUT  seconds the whole VM run may take (default 300)
#   BERTH_VM_LOG      also keep the serial console log at this path
#   BERTH_VM_TESTS    run only these tests (names separated by commas)
#   BERTH_VM_KNOWN_FAILURES
#                     tests (comma-separated) whose failure is known and
#                     tracked: reported, counted with the skipped, and not
#                     failing the run; one that passes again says so
#
# Exits 0 only when the VM ran every test to the end and none failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runtime=${1:-$repo/build/berth}
cache=${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/berth-vm}
vm_timeout=${BERTH_VM_TIMEOUT:-300}

say() { echo "check-vm: $*" >&2; }

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Installs only what is missing, so a ready machine never touches apt.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # stdin may be closed (CI): never let apt or dpkg wait for an answer.
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null >/dev/null
}

# Prints the path of a cached vmlinuz, downloading Debian's current cloud
# kernel package first when there is none. Only the kernel image is kept:
# the cloud kernel has what the tests need built in, so no modules.
kernel_image() {
  local cached pkg work
  cached=$(find "$cache" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$cached" ] && [ "${BERTH_VM_REFRESH:-0}" != 1 ]; then
    echo "$cached"
    return 0
  fi
  mkdir -p "$cache"
  # The meta-package depends on the current versioned image package.
  find_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
  }
  pkg=$(find_pkg)
  if [ -z "$pkg" ]; then
    apt-get update -qq </dev/null >&2
    pkg=$(find_pkg)
  fi
  [ -n "$pkg" ] || { say "no linux-image-cloud-amd64 package is known to apt"; return 1; }
  say "downloading $pkg into $cache"
  work=$(mktemp -d "$cache/download.XXXXXX")
  # apt's _apt user may not be able to write here; the download is a plain
  # file fetch, so running it as the caller is fine.
  if ! (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" </dev/null >&2); then
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

is_known_failure() {
  [[ ",${BERTH_VM_KNOWN_FAILURES:-}," == *",$1,"* ]]
}

# Reads the console log and prints the verdict; returns non-zero on any
# failure or when the run did not reach its end.
report() {
  local log=$1 qemu_rc=$2 wall=$3
  local passed=0 failed=0 skipped=0 done_line booted line kind name reason
  # The serial console ends lines with \r\n.
  tr -d '\r' <"$log" >"$log.clean"
  booted=$(grep -m1 '^BERTH-VM-BOOTED' "$log.clean" || true)
  if [ -z "$booted" ]; then
    say "the VM did not boot (qemu exit status $qemu_rc); console tail:"
    tail -n 40 "$log.clean" >&2
    echo "check-vm: 0 passed, 1 failed"
    return 1
  fi
  say "booted: ${booted#BERTH-VM-BOOTED }; whole run ${wall}s"
  grep '^BERTH-VM-NOTE ' "$log.clean" | sed 's/^BERTH-VM-NOTE /check-vm: /' >&2 || true
  while IFS= read -r line; do
    case $line in
      'BERTH-VM-RESULT: ok '*)
        name=${line#BERTH-VM-RESULT: ok }
        passed=$((passed + 1))
        echo "ok       $name"
        if is_known_failure "${name%% *}"; then
          echo "         ${name%% *} passes now: take it out of BERTH_VM_KNOWN_FAILURES"
        fi
        ;;
      'BERTH-VM-RESULT: not ok '*)
        line=${line#BERTH-VM-RESULT: not ok }
        if is_known_failure "${line%% *}"; then
          skipped=$((skipped + 1))
          echo "known    ${line%% *}: ${line#* }"
        else
          failed=$((failed + 1))
          echo "FAILED   ${line%% *}: ${line#* }"
        fi
        ;;
      'BERTH-VM-RESULT: skip '*)
        line=${line#BERTH-VM-RESULT: skip }
        skipped=$((skipped + 1))
        echo "skipped  ${line%% *}: ${line#* }"
        ;;
      'BERTH-VM-DETAIL '*)
        echo "         ${line#BERTH-VM-DETAIL }"
        ;;
    esac
  done <"$log.clean"
  done_line=$(grep -m1 '^BERTH-VM-DONE ' "$log.clean" || true)
  if [ -z "$done_line" ]; then
    if [ "$qemu_rc" -eq 124 ]; then
      say "the VM was still running after ${vm_timeout}s; console tail:"
    else
      say "the VM stopped (qemu exit status $qemu_rc) before the tests finished; console tail:"
    fi
    tail -n 40 "$log.clean" >&2
    failed=$((failed + 1))
  else
    read -r _ kind name reason <<<"$done_line"
    # The VM's own count guards against lost or garbled result lines.
    if [ "$kind" != "$passed" ] || [ "$((name + ${reason:-0}))" != "$((failed + skipped))" ]; then
      say "the VM counted $kind passed, $name failed, ${reason:-0} skipped; the log shows $passed passed, $((failed + skipped)) failed or skipped"
      failed=$((failed + 1))
    fi
  fi
  echo "check-vm: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}

main() {
  [ "$(id -u)" -eq 0 ] || { say "must run as root (apt, and the runtime in the VM)"; exit 1; }
  [ -x "$runtime" ] || { say "no runtime at $runtime (run make first)"; exit 1; }
  ensure_packages qemu-system-x86 cpio busybox-static jq gcc libc6-dev
  local kernel work qemu_rc=0 start append
  kernel=$(kernel_image)
  work=$(mktemp -d "${TMPDIR:-/tmp}/berth-vm.XXXXXX")
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  "$here/build-initramfs.sh" "$runtime" "$work/initrd.gz"
  append="console=ttyS0 panic=-1 hugepages=16 loglevel=4"
  # The kernel passes name=value words it does not know to /init's
  # environment; commas keep the list one word.
  if [ -n "${BERTH_VM_TESTS:-}" ]; then
    [[ $BERTH_VM_TESTS =~ ^[a-z0-9_,]+$ ]] || { say "bad BERTH_VM_TESTS: $BERTH_VM_TESTS"; exit 2; }
    append+=" BERTH_VM_TESTS=$BERTH_VM_TESTS"
  fi
  say "booting $(basename "$kernel") (software emulation, timeout ${vm_timeout}s)"
  start=$(date +%s)
  # q35 and -cpu max give the guest a modern CPU model under TCG; two vCPUs
  # so cpuset has a CPU to move to. -nodefaults drops the NIC and VGA the
  # tests do not need. hugepages= reserves 2 MiB pages for the hugetlb test.
  # panic=-1 with -no-reboot turns a guest panic into a prompt qemu exit.
  timeout "$vm_timeout" qemu-system-x86_64 \
    -machine q35 -cpu max -smp 2 -m 512 \
    -nodefaults -no-reboot -display none -monitor none \
    -serial "file:$work/console.log" \
    -kernel "$kernel" -initrd "$work/initrd.gz" \
    -append "$append" \
    </dev/null || qemu_rc=$?
  [ -z "${BERTH_VM_LOG:-}" ] || cp "$work/console.log" "$BERTH_VM_LOG"
  report "$work/console.log" "$qemu_rc" "$(($(date +%s) - start))"
}

main "$@"
