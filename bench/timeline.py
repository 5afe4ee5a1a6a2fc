#!/usr/bin/env python3
"""Phases of `berth run` and of `floor --cgroups`, from ftrace logs.

Usage: bench/timeline.py BERTH_TRACE... -- FLOOR_TRACE...

bench/timeline.sh makes the traces: raw syscall entry and exit plus the
exec, fork and exit of every process the run starts, in a tracing
instance of its own. Tracing costs a microsecond or two per event, not
the tens of strace, so the phases are close to their untraced lengths.
Each phase runs from one marker to the next; the table gives the median
over the traces, in ms, berth's phases grouped under the floor's.
"""
import re
import statistics
import sys

EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$')
NR = {'execveat': 322, 'clone3': 435, 'mkdirat': 258, 'recvmsg': 47, 'read': 0}


def parse(path):
    events = []
    for line in open(path):
        m = EVENT.match(line)
        if m:
            _, pid, ts, name, rest = m.groups()
            events.append((float(ts) * 1000.0, int(pid), name, rest))
    return events


def nr_of(rest):
    m = re.match(r'NR (\d+)', rest)
    return int(m.group(1)) if m else -1


def first(events, pred, after=0.0):
    for ev in events:
        if ev[0] >= after and pred(ev):
            return ev
    return None


def common(events, runtime_pid):
    """Markers both runs have: clone3 of the runtime, the workload's exec
    and exit, the runtime's own exit."""
    clone_in = first(events, lambda e: e[1] == runtime_pid and e[2] == 'sys_enter'
                     and nr_of(e[3]) == NR['clone3'])
    clone_out = first(events, lambda e: e[1] == runtime_pid and e[2] == 'sys_exit'
                      and nr_of(e[3]) == NR['clone3'], clone_in[0])
    work = first(events, lambda e: e[2] == 'sched_process_exec' and 'true' in e[3],
                 clone_out[0])
    work_exit = first(events, lambda e: e[2] == 'sched_process_exit' and e[1] == work[1],
                      work[0])
    done = first(events, lambda e: e[2] == 'sched_process_exit' and e[1] == runtime_pid,
                 work_exit[0])
    return clone_in[0], clone_out[0], work[0], work_exit[0], done[0]


def berth_phases(path):
    ev = parse(path)
    start = first(ev, lambda e: e[2] == 'sched_process_exec')
    pid = start[1]
    t0 = start[0]
    clone_in, clone_out, work, work_exit, done = common(ev, pid)
    reexec = first(ev, lambda e: e[1] == pid and e[2] == 'sys_enter'
                   and nr_of(e[3]) == NR['execveat'])
    state_dir = first(ev, lambda e: e[1] == pid and e[2] == 'sys_enter'
                      and nr_of(e[3]) == NR['mkdirat'], reexec[0])
    child = first(ev, lambda e: e[2] == 'sched_process_fork' and f'pid={pid} ' in e[3])
    child_pid = int(re.search(r'child_pid=(\d+)', child[3]).group(1))
    go = first(ev, lambda e: e[1] == child_pid and e[2] == 'sys_exit'
               and nr_of(e[3]) == NR['read'], clone_out)
    ready = first(ev, lambda e: e[1] == pid and e[2] == 'sys_exit'
                  and nr_of(e[3]) == NR['recvmsg'], go[0])
    return [
        ('start-up to clone3', clone_in - t0, [
            ('start-up, read-only view of the binary', reexec[0] - t0),
            ('re-execution, start-up, spec, bundle checks', state_dir[0] - reexec[0]),
            ('state dir, cgroups (mkdir, devices), state', clone_in - state_dir[0]),
        ]),
        ('clone3 into the namespaces', clone_out - clone_in, []),
        ('clone3 to the execve of the workload', work - clone_out, [
            ('cgroup join, GO', go[0] - clone_out),
            ('init: mounts, devices, pivot, paths, caps, READY', ready[0] - go[0]),
            ('state write, SAVED, start, fifo, execve', work - ready[0]),
        ]),
        ('the workload runs and exits', work_exit - work, []),
        ('after it: wait, delete, exit', done - work_exit, []),
        ('total', done - t0, []),
    ]


def floor_phases(path):
    ev = parse(path)
    start = first(ev, lambda e: e[2] == 'sched_process_exec')
    pid = start[1]
    clone_in, clone_out, work, work_exit, done = common(ev, pid)
    return [
        ('start-up to clone3', clone_in - start[0], []),
        ('clone3 into the namespaces', clone_out - clone_in, []),
        ('clone3 to the execve of the workload', work - clone_out, []),
        ('the workload runs and exits', work_exit - work, []),
        ('after it: wait, delete, exit', done - work_exit, []),
        ('total', done - start[0], []),
    ]


def medians(runs):
    """The median of every phase (and sub-phase) over the runs."""
    out = []
    for i, (name, _, subs) in enumerate(runs[0]):
        value = statistics.median(r[i][1] for r in runs)
        sub = [(s, statistics.median(r[i][2][k][1] for r in runs))
               for k, (s, _) in enumerate(subs)]
        out.append((name, value, sub))
    return out


def main(argv):
    if '--' not in argv:
        sys.exit(__doc__)
    cut = argv.index('--')
    berth = medians([berth_phases(p) for p in argv[:cut]])
    floor = medians([floor_phases(p) for p in argv[cut + 1:]])
    print(f'phase (ms, median of {cut} traced runs each)             berth   floor+cgroups')
    for (name, b, subs), (_, f, _) in zip(berth, floor):
        print(f'{name:<52} {b:7.2f}  {f:7.2f}')
        for sub, v in subs:
            print(f'  {sub:<50} {v:7.2f}')


if __name__ == '__main__':
    main(sys.argv[1:])
