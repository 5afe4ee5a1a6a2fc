#!/usr/bin/env python3
"""Wall-time breakdown of one `berth run` from strace logs.

Usage: bench/breakdown.py TRACE...   (each: strace -f -ttt -T -o TRACE berth run ...)

bench/breakdown.sh makes the traces (strace restricted to the marker
syscalls below, through seccomp-bpf, so untraced syscalls cost nothing
extra) and calls this. Each phase is the time between two marker syscalls
of the runtime (parent) or of the container's init (child); the table gives
the median over all traces, in ms. strace still adds some tens of
microseconds to every traced call, so the phases are a little long, the
total more so; what matters is their relative size.
"""
import re
import statistics
import sys

LINE = re.compile(r'^(\d+)\s+(\d+\.\d+)\s+(.*)$')
CALL = re.compile(r'^(\w+)\((.*)$')
RESUMED = re.compile(r'^<\.\.\. (\w+) resumed>(.*)$')
DURATION = re.compile(r'<(\d+\.\d+)>\s*$')


class Event:
    def __init__(self, pid, start, name, text):
        self.pid, self.start, self.name, self.text = pid, start, name, text
        self.end = start

    def finish(self, text):
        self.text += text
        m = DURATION.search(self.text)
        if m:
            self.end = self.start + float(m.group(1))


def parse(path):
    events, pending = [], {}
    for raw in open(path):
        m = LINE.match(raw.rstrip('\n'))
        if not m:
            continue
        pid, t, rest = int(m.group(1)), float(m.group(2)), m.group(3)
        r = RESUMED.match(rest)
        if r:
            ev = pending.pop(pid, None)
            if ev:
                ev.finish(r.group(2))
            continue
        c = CALL.match(rest)
        if not c:
            continue
        ev = Event(pid, t, c.group(1), c.group(2))
        events.append(ev)
        if rest.endswith('<unfinished ...>'):
            pending[pid] = ev
        else:
            ev.finish('')
    return events


def first(evs, pred, after=0.0):
    for e in evs:
        if e.start >= after and pred(e):
            return e
    raise LookupError


def last(evs, pred):
    found = [e for e in evs if pred(e)]
    if not found:
        raise LookupError
    return found[-1]


def is_(name, needle=None):
    return lambda e: e.name == name and (needle is None or needle in e.text)


def phases(events):
    parent = events[0].pid
    P = [e for e in events if e.pid == parent]
    clone = first(P, is_('clone3'))
    child_pid = int(re.search(r'\)\s*=\s*(\d+)', clone.text).group(1))
    C = [e for e in events if e.pid == child_pid]
    t0 = P[0].start
    # Where main starts to show: the sealed-copy check opens
    # /proc/self/exe; without it, the open of the bundle's config.json.
    self_exe = [e for e in P if e.name == 'openat' and '"/proc/self/exe"' in e.text]
    config = first(P, lambda e: e.name == 'openat' and 'AT_FDCWD' in e.text and
                   '/config.json"' in e.text and '/proc/self/fd/' not in e.text)
    memfd = next((e for e in P if e.name == 'memfd_create'), None)
    reexec = next((e for e in P if e.name == 'execveat'), None)
    first_mkdir = first(P, lambda e: e.name == 'mkdir' and '/sys/fs/cgroup' not in e.text)
    mountinfo = first(P, is_('openat', '/proc/self/mountinfo'))
    cg_mkdir = first(P, is_('mkdir', '/sys/fs/cgroup'))
    devices = first(P, is_('openat', 'devices.deny'))
    socketpair = first(P, is_('socketpair'))
    go = first(P, lambda e: e.name == 'write' and '2064' in e.text, clone.end)
    state_tmp = first(P, is_('openat', 'state.json.tmp'))
    rename = first(P, is_('renameat', 'state.json'))
    child_exec = first(C, is_('execve', '"/bin/true"'))
    waited = first(P, lambda e: e.name == 'wait4' and re.search(r'\)\s*=\s*%d\b' % child_pid, e.text),
                   child_exec.start)
    cg_rmdirs = [e for e in P if e.name == 'rmdir' and '/sys/fs/cgroup' in e.text]
    exit_ev = last(P, is_('exit_group'))
    c_mount = first(C, is_('mount'))
    c_mknod = first(C, is_('mknodat'))
    c_pivot = first(C, is_('pivot_root'))
    c_ready = first(C, lambda e: e.name == 'write' and '2064' in e.text, c_pivot.end)
    if memfd and reexec:
        out = [('exec of berth, dynamic linking, main', t0, self_exe[0].start),
               ('sealed copy (memfd, sendfile, seals)', self_exe[0].start, reexec.start),
               ('re-exec from the copy, dynamic linking, main', reexec.start, self_exe[1].start),
               ('spec parse, bundle checks', self_exe[1].start, first_mkdir.start)]
        # Before the re-exec moved ahead of the spec, it was parsed twice.
        if config.start < memfd.start:
            out[0] = ('exec, dynamic linking, main, spec parse', t0, self_exe[0].start)
    else:
        out = [('exec of berth, dynamic linking, main', t0, config.start),
               ('spec parse, bundle checks', config.start, first_mkdir.start)]
    out += [
        ('state dir, config copy, exec fifo', first_mkdir.start, mountinfo.start),
        ('cgroup discovery (mountinfo, /proc/self/cgroup)', mountinfo.start, cg_mkdir.start),
        ('cgroups: mkdir in each hierarchy, cpuset', cg_mkdir.start, devices.start),
        ('cgroups: device rules', devices.start, socketpair.start),
        ('clone3 into the namespaces', clone.start, clone.end),
        ('cgroups: join (cgroup.procs in each)', clone.end, go.start),
        ('child: after GO to its first mount', go.start, c_mount.start),
        ('child: mounts (rootfs, proc, dev, sys, cgroup tree)', c_mount.start, c_mknod.start),
        ('child: devices, symlinks, hooks sync, pivot_root', c_mknod.start, c_pivot.end),
        ('child: masked/read-only paths, caps, to READY', c_pivot.end, c_ready.end),
        ('parent: READY to state write', c_ready.end, state_tmp.start),
        ('state write (state.json.tmp to rename)', state_tmp.start, rename.end),
        ('start: lock, fifo, until the execve of /bin/true', rename.end, child_exec.start),
        ('execve /bin/true, it runs, exits, wait', child_exec.start, waited.end),
        ('delete: lock, state, config until the first rmdir', waited.end, cg_rmdirs[0].start),
        ('delete: cgroups rmdir', cg_rmdirs[0].start, cg_rmdirs[-1].end),
        ('delete: rest, exit', cg_rmdirs[-1].end, exit_ev.start),
    ]
    total = ('total (traced)', t0, exit_ev.start)
    return [(name, (b - a) * 1000) for name, a, b in out + [total]]


def main(paths):
    table = {}
    order = []
    for p in paths:
        try:
            rows = phases(parse(p))
        except (LookupError, IndexError, AttributeError) as exc:
            print(f'{p}: cannot find the phases ({exc!r})', file=sys.stderr)
            continue
        for name, ms in rows:
            if name not in table:
                order.append(name)
            table.setdefault(name, []).append(ms)
    print(f'phase (median of {len(paths)} traced runs){"ms":>25}')
    for name in order:
        print(f'  {name:<55} {statistics.median(table[name]):7.2f}')


if __name__ == '__main__':
    main(sys.argv[1:])
