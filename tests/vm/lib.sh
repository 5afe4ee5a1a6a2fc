# shellcheck shell=bash
# Host-side helpers for the VM suites (bash), sourced by run-vm.sh and
# build-initramfs.sh, and so available to every suite-NAME.sh, in its
# suite_stage function above all. Not executable on its own.
#
# Staging helpers put files into $VM_STAGE, the directory that becomes the
# initramfs (build-initramfs.sh sets it; suite_stage gets it as $1 too).
# Paths called DEST are paths inside the VM.

vm_say() { echo "check-vm: $*" >&2; }

# shellcheck source=scripts/packages.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/packages.sh"

# vm_ensure_packages PKG...: installs only what is missing, so a ready
# machine never touches apt.
vm_ensure_packages() {
  PKG_SAY=vm_say pkg_ensure "$@"
}

# busybox-static's binary: the dynamic busybox package installs the same
# path, and a dynamic one would need its libraries in the container rootfs.
VM_BUSYBOX=/bin/busybox

# A suite for another architecture (SUITE_ARCH, see build-initramfs.sh)
# stages binaries of that architecture: VM_SYSROOT is then its sysroot
# (scripts/cross-sysroot.sh) and VM_QEMU_USER the qemu-user binary that
# runs them on this host. Both are empty for the host's own architecture.
VM_SYSROOT=${VM_SYSROOT:-}
VM_QEMU_USER=${VM_QEMU_USER:-}

# vm_target_run CMD...: runs a binary of the VM's architecture here.
vm_target_run() {
  if [ -n "$VM_QEMU_USER" ]; then
    "$VM_QEMU_USER" -L "$VM_SYSROOT" "$@"
  else
    "$@"
  fi
}

# install_busybox DIR: busybox at DIR/bin/busybox and a link per applet.
# DIR is a host path (the stage, or a rootfs inside it).
install_busybox() {
  local dir=$1 applet
  mkdir -p "$dir/bin"
  cp "$VM_BUSYBOX" "$dir/bin/busybox"
  for applet in $(vm_target_run "$VM_BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
}

# install_file SRC DEST [MODE]: a copy of the host file SRC at DEST.
install_file() {
  mkdir -p "$VM_STAGE/$(dirname "$2")"
  cp -L "$1" "$VM_STAGE/$2"
  [ -z "${3:-}" ] || chmod "$3" "$VM_STAGE/$2"
}

# install_libraries BINARY: each library ldd names for BINARY (and the
# loader) at the same path as on this host, so the binary's own
# interpreter path and search path work unchanged in the VM.
install_libraries() {
  local lib
  if [ -n "$VM_SYSROOT" ]; then
    install_target_libraries "$1"
    return
  fi
  for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [ -e "$VM_STAGE/$lib" ] && continue
    mkdir -p "$VM_STAGE/$(dirname "$lib")"
    cp -L "$lib" "$VM_STAGE/$lib"
  done
}

# install_target_libraries BINARY: the same for a binary of another
# architecture. Its own loader, run under qemu-user with the sysroot as its
# root, lists the libraries at their paths in the VM; the copies come from
# the sysroot.
install_target_libraries() {
  local interp lib
  interp=$(LC_ALL=C readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
  [ -n "$interp" ] || return 0 # static
  for lib in $(vm_target_run "$VM_SYSROOT$interp" --list "$1" |
               awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    lib=${lib#"$VM_SYSROOT"} # the loader names itself as it was run
    [ -e "$VM_STAGE/$lib" ] && continue
    mkdir -p "$VM_STAGE/$(dirname "$lib")"
    cp -L "$VM_SYSROOT$lib" "$VM_STAGE/$lib"
  done
}

# install_dynamic BINARY [DEST]: the binary at DEST (default: its own path)
# with its libraries.
install_dynamic() {
  install_file "$1" "${2:-$1}"
  install_libraries "$1"
}

# install_tree DIR: the host directory DIR, as it is, at the same path.
install_tree() {
  mkdir -p "$VM_STAGE/$(dirname "$1")"
  cp -a "$1" "$VM_STAGE/$(dirname "$1")/"
}
