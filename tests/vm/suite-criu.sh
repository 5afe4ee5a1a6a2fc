# shellcheck shell=bash disable=SC2034 # the SUITE_* settings are read by run-vm.sh
# Suite "criu": checkpoint and restore (criu-tests.sh) on Debian's 6.1 cloud
# kernel, which has what recent host kernels lost: soft-dirty page tracking
# for `checkpoint --pre-dump`, and inet sockets CRIU 4.1 can still dump for
# `--tcp-established`.
#
# The VM gets scripts/install-criu.sh's private CRIU directory at the same
# path as on the host (its wrapper names that path), the programs CRIU runs
# for a network namespace (iproute2's ip for addresses and routes; legacy
# iptables, with which CRIU locks the namespace while it dumps and restores
# TCP connections, unless the runtime picks its nftables lock where there
# is no iptables), and the kernel's modules for the socket diagnostics and
# netfilter pieces it uses: the cloud kernel builds those as modules, and
# run-vm.sh keeps only the kernel image.

# gcc and libc6-dev for the static helpers; iproute2 and tar are copied in.
SUITE_PACKAGES=(gcc libc6-dev iproute2 tar)
# Images of a 16 MiB process twice over, CRIU and its libraries, all in RAM.
SUITE_MEMORY=1024
SUITE_APPEND=
# Dumps and restores take seconds each under emulation; the seven tests
# run one to three apiece, 50 s to 2 minutes in all on two busy cores.
SUITE_TIMEOUT=480
SUITE_TESTS=/tests/criu-tests.sh

# Modules CRIU needs that the cloud kernel does not build in, dependencies
# first: socket diagnostics (CRIU finds every socket through them),
# legacy iptables with the mark match (the network lock), nf_tables and
# conntrack's netlink interface (CRIU dumps a network namespace's nftables
# ruleset and connection tracking table; once nfnetlink is there, a
# missing subsystem fails the dump), and veth, tun, overlay and autofs,
# which `criu check --all` probes (its overlay and autofs probes still
# complain on this kernel in a VM; the tests need neither).
CRIU_VM_MODULES=(
  inet_diag tcp_diag udp_diag raw_diag unix_diag netlink_diag af_packet_diag
  x_tables ip_tables iptable_filter ip6_tables ip6table_filter xt_mark
  nfnetlink libcrc32c nf_tables nf_conntrack_netlink
  veth tun overlay autofs4
)
# Debian bookworm's iptables: its legacy binary and the libraries and
# extensions it loads. Downloaded and unpacked, not installed, so the
# host's own CRIU runs keep seeing no iptables.
CRIU_VM_IPTABLES_DEBS=(iptables libip4tc2 libip6tc2 libxtables12)

criu_vm_cache() {
  echo "${BERTH_VM_CACHE:-${XDG_CACHE_HOME:-/var/cache}/berth-vm}"
}

# The kernel run-vm.sh boots: the newest cached image, as it picks it.
criu_vm_kernel_version() {
  local kernel
  kernel=$(find "$(criu_vm_cache)" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
  [ -n "$kernel" ] || { vm_say "criu: no cached kernel in $(criu_vm_cache) (run-vm.sh fetches it)"; return 1; }
  basename "$kernel" | sed 's/^vmlinuz-//'
}

# criu_vm_download DIR PKG...: the packages' .debs unpacked into DIR, once.
criu_vm_download() {
  local dir=$1 work
  shift
  [ -e "$dir/.complete" ] && return 0
  work=$(mktemp -d "$(criu_vm_cache)/criu-download.XXXXXX")
  # As run-vm.sh fetches the kernel: a plain download as the caller.
  if ! (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$@" </dev/null >&2); then
    rm -rf "$work"
    vm_say "criu: apt-get download $* failed"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  local deb
  for deb in "$work"/*.deb; do
    dpkg -x "$deb" "$dir"
  done
  rm -rf "$work"
  touch "$dir/.complete"
}

# criu_vm_module_order ROOT NAME...: the module files (relative to ROOT,
# the kernel's module tree) for NAME and what they depend on, each after
# its dependencies, read from the modules' own "depends=" info.
criu_vm_module_order() {
  local root=$1 name file dep
  shift
  declare -A done_=()
  visit() {
    local name=${1//-/_} file deps dep
    [ -n "${done_[$name]:-}" ] && return 0
    done_[$name]=1
    file=$(cd "$root" && find kernel -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
    [ -n "$file" ] || { vm_say "criu: kernel module $name not found under $root"; return 1; }
    deps=$(tr '\0' '\n' <"$root/$file" | sed -n 's/^depends=//p' | tr ',' ' ')
    for dep in $deps; do
      visit "$dep" || return 1
    done
    echo "$file"
  }
  for name in "$@"; do
    visit "$name" || return 1
  done
}

# criu_vm_module_cache VERSION: a directory holding the modules of
# CRIU_VM_MODULES and their dependencies, at their paths below
# lib/modules/VERSION; the kernel package (over 100 MiB unpacked) is
# fetched only when a module is missing there, and only those are kept.
criu_vm_module_cache() {
  local version=$1 cache tree work order file
  cache=$(criu_vm_cache)/criu-modules-$version
  if criu_vm_module_order "$cache" "${CRIU_VM_MODULES[@]}" >/dev/null 2>&1; then
    echo "$cache"
    return 0
  fi
  work=$(mktemp -d "$(criu_vm_cache)/criu-modules.XXXXXX")
  tree=$work/package
  if ! criu_vm_download "$tree" "linux-image-$version" ||
    ! order=$(criu_vm_module_order "$tree/lib/modules/$version" "${CRIU_VM_MODULES[@]}"); then
    rm -rf "$work"
    return 1
  fi
  for file in $order; do
    mkdir -p "$work/keep/$(dirname "$file")"
    cp "$tree/lib/modules/$version/$file" "$work/keep/$file"
  done
  rm -rf "$cache"
  mv "$work/keep" "$cache"
  rm -rf "$work"
  echo "$cache"
}

criu_vm_stage_modules() {
  local version cache order file
  version=$(criu_vm_kernel_version) || return 1
  cache=$(criu_vm_module_cache "$version") || return 1
  order=$(criu_vm_module_order "$cache" "${CRIU_VM_MODULES[@]}") || return 1
  for file in $order; do
    install_file "$cache/$file" "/lib/modules/$version/$file"
  done
  # criu-tests.sh loads them in this order.
  echo "$order" >"$VM_STAGE/lib/modules/$version/criu-load-order"
}

criu_vm_stage_iptables() {
  local tree tool lib
  tree=$(criu_vm_cache)/criu-iptables
  criu_vm_download "$tree" "${CRIU_VM_IPTABLES_DEBS[@]}" || return 1
  install_file "$tree/usr/sbin/xtables-legacy-multi" /usr/sbin/xtables-legacy-multi 0755
  # CRIU runs these names from PATH; the multi-call binary picks its
  # personality from argv[0].
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore \
    iptables-legacy iptables-legacy-save iptables-legacy-restore \
    ip6tables-legacy ip6tables-legacy-save ip6tables-legacy-restore; do
    ln -sf xtables-legacy-multi "$VM_STAGE/usr/sbin/$tool"
  done
  mkdir -p "$VM_STAGE/usr/lib/x86_64-linux-gnu"
  cp -a "$tree"/usr/lib/x86_64-linux-gnu/lib{ip4tc,ip6tc,xtables}.so.* "$VM_STAGE/usr/lib/x86_64-linux-gnu/"
  # The match and target extensions are loaded with dlopen at run time.
  cp -a "$tree/usr/lib/x86_64-linux-gnu/xtables" "$VM_STAGE/usr/lib/x86_64-linux-gnu/"
  # What else it loads (the C library, say) is the host's own.
  for lib in $(LD_LIBRARY_PATH=$tree/usr/lib/x86_64-linux-gnu ldd "$tree/usr/sbin/xtables-legacy-multi" |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
    case $lib in
      "$tree"/*) ;;
      *) [ -e "$VM_STAGE/$lib" ] || install_file "$lib" "$lib" ;;
    esac
  done
  install_file /etc/protocols /etc/protocols
}

criu_vm_stage_criu() {
  local bin_dir prefix
  bin_dir=${CRIU_BIN_DIR:-/usr/local/lib/berth-criu/bin}
  if [ ! -x "$bin_dir/criu" ]; then
    vm_say "criu: no CRIU in $bin_dir; running scripts/install-criu.sh"
    bin_dir=$("$(dirname "${BASH_SOURCE[0]}")/../../scripts/install-criu.sh" | tail -n 1) || return 1
  fi
  prefix=$(dirname "$bin_dir")
  # The wrapper runs CRIU through the directory's own loader by absolute
  # path, so the directory keeps its host path in the VM.
  [ -x "$prefix/usr/sbin/criu" ] ||
    { vm_say "criu: $bin_dir/criu is not scripts/install-criu.sh's private CRIU"; return 1; }
  install_tree "$prefix"
  # Headers and the static library are for building against libcriu.
  rm -rf "$VM_STAGE/$prefix/usr/include" "$VM_STAGE/$prefix/usr/share/doc" \
    "$VM_STAGE/$prefix"/usr/lib/x86_64-linux-gnu/libcriu.a
  echo "$bin_dir" >"$VM_STAGE/etc/berth-vm/criu-bin-dir"
}

suite_stage() {
  local stage=$1 here
  here=$(dirname "${BASH_SOURCE[0]}")
  install_file "$here/criu-tests.sh" /tests/criu-tests.sh 0755
  criu_vm_stage_criu
  criu_vm_stage_modules
  criu_vm_stage_iptables
  # CRIU saves and restores the contents of the container's tmpfs mounts
  # (/dev, /dev/shm) with GNU tar's options, which busybox's lacks. It and
  # ip go to /usr/bin, apart from iptables in /usr/sbin, so that a PATH
  # without iptables still has them.
  install_dynamic /usr/bin/tar /usr/bin/tar
  # iproute2's ip saves and restores a namespace's addresses and routes for
  # CRIU (busybox's has no "save"); first on the tests' PATH.
  install_dynamic "$(readlink -f "$(command -v ip)")" /usr/bin/ip
  # Static, so the container rootfs needs no libraries.
  gcc -static -O2 -Wall -Werror -o "$stage/bin/criu-memcount" "$here/criu-memcount.c"
  gcc -static -O2 -Wall -Werror -o "$stage/bin/criu-stats" "$here/criu-stats.c"
  cp "$stage/bin/criu-memcount" "$stage/bundle/rootfs/bin/criu-memcount"
}
