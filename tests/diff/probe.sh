#!/bin/sh
# Runs inside a container and prints what it observes, in sections that the
# differential tests compare between runtimes. Exits 7 so the exit status is
# compared too.

echo "== hostname"; hostname
echo "== cwd"; pwd
echo "== umask"; umask
echo "== id"; id
echo "== status"; grep -E '^(Cap|Uid|Gid|Groups|NoNewPrivs|Seccomp)' /proc/self/status
echo "== limits"; cat /proc/self/limits
echo "== env"; env | sort
echo "== oom"; cat /proc/self/oom_score_adj
echo "== devices"
for f in /dev/* /dev/pts/* /dev/shm /dev/mqueue; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  if [ -L "$f" ]; then
    echo "$f -> $(readlink "$f")"
  else
    stat -c '%n %F %a %u:%g %t:%T' "$f"
  fi
done
# The descriptors a child of the init inherits: 0-2 plus ls's own directory
# handle, and whatever a runtime leaked without close-on-exec.
echo "== fds"; ls /proc/self/fd
echo "== writable"
for d in / /tmp /dev /dev/shm /proc/sys /sys /scratch /ro-bind /rw-bind; do
  [ -d "$d" ] || continue
  if touch "$d/.probe" 2>/dev/null; then echo "$d rw"; rm -f "$d/.probe"; else echo "$d ro"; fi
done
echo "== mountinfo"; cat /proc/self/mountinfo
exit 7
