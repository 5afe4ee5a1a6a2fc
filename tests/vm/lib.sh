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

# install_busybox DIR: busybox at DIR/bin/busybox and a link per applet.
# DIR is a host path (the stage, or a rootfs inside it).
install_busybox() {
  local dir=$1 applet
  mkdir -p "$dir/bin"
  cp "$VM_BUSYBOX" "$dir/bin/busybox"
  for applet in $("$VM_BUSYBOX" --list); do
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
  for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [ -e "$VM_STAGE/$lib" ] && continue
    mkdir -p "$VM_STAGE/$(dirname "$lib")"
    cp -L "$lib" "$VM_STAGE/$lib"
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
