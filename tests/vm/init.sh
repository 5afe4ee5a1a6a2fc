#!/bin/sh
# /init of the test VM (busybox sh, PID 1).
#
# Stage 1 runs on the kernel's initramfs root. pivot_root(2) refuses to move
# that root away, and every container start pivots, so stage 1 copies the
# files onto a tmpfs and switch_root's into it, executing the suite's
# SUITE_INIT there when it has one (systemd, say), else this same script
# again. As stage 2 (found as /init with /.stage2 present) it sets up the
# system, runs the suite's SUITE_TESTS and powers off. Everything is printed
# on the serial console, where run-vm.sh reads the BERTH-VM-* markers.
export PATH=/bin
export HOME=/ TERM=dumb
SUITE_TESTS="" SUITE_INIT=""
# Written by build-initramfs.sh from the suite file.
. /etc/berth-vm/suite

# Without a way out, a PID 1 that falls off the end panics the kernel and
# the run ends with no verdict; always leave through here.
power_off() {
  sync
  poweroff -f
  echo o >/proc/sysrq-trigger
  sleep 5
}

if [ ! -e /.stage2 ]; then
  mount -t devtmpfs devtmpfs /dev
  # The kernel gave init no stdio when the archive lacks /dev/console.
  exec </dev/console >/dev/console 2>&1
  mount -t tmpfs -o mode=0755 tmpfs /newroot
  for entry in /* /.[!.]*; do
    case $entry in
      /newroot | /dev | /proc | /sys | '/.[!.]*') continue ;;
    esac
    cp -a "$entry" /newroot/
  done
  mkdir -p /newroot/dev /newroot/proc /newroot/sys
  touch /newroot/.stage2
  # stdio still holds the console open: detach now, free on exec.
  umount -l /dev
  # shellcheck disable=SC2093 # the lines after run only if exec fails
  exec switch_root /newroot "${SUITE_INIT:-/init}"
  echo "BERTH-VM-FATAL switch_root to ${SUITE_INIT:-/init} failed"
  echo "BERTH-VM-DONE 0 1 0"
  power_off
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Kernel messages (the OOM killer's reports above all) would otherwise be
# interleaved with the result lines; the tests print dmesg where it helps.
echo 1 >/proc/sys/kernel/printk

# The root's subtree_control decides which controllers child cgroups (the
# containers') get; a host's init system would normally do this.
read -r controllers </sys/fs/cgroup/cgroup.controllers
for controller in $controllers; do
  echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control ||
    echo "BERTH-VM-NOTE could not enable the $controller controller"
done

echo "BERTH-VM-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime)s kernel=$(uname -r)"
echo "BERTH-VM-NOTE runtime: $(cat /etc/runtime-version 2>/dev/null)"
echo "BERTH-VM-NOTE controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"

# Executed, not sourced: its #! line says which shell (busybox sh unless
# the suite staged another).
"$SUITE_TESTS" || echo "BERTH-VM-FATAL $SUITE_TESTS exited with $?"
power_off
