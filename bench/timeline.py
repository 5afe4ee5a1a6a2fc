#!/usr/bin/env python3
"""Phases of `berth run`, `crun run` and `floor --cgroups`, from ftrace logs.

Usage: bench/timeline.py BERTH_TRACE... -- FLOOR_TRACE... [-- CRUN_TRACE...]

bench/timeline.sh makes the traces: raw syscall entry and exit, user page
faults, and the exec, fork and exit of every process the run starts, in a
tracing instance of its own. Tracing costs a microsecond or two per event,
not the tens of strace, so the phases are close to their untraced lengths.
Each phase runs from one marker to the next; the table gives the median
over the traces, in ms, berth's own phases grouped under the common ones,
then the median count of system calls, page faults and execs before the
workload's execve and after its exit (the workload's own not counted).
"""
import re
import statistics
import sys

EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)$')
NR = {'execveat': 322, 'mkdirat': 258, 'recvmsg': 47, 'read': 0}
CLONES = {56, 57, 58, 435}  # clone, fork, vfork, clone3


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


def last(events, pred, before):
    found = None
    for ev in events:
        if ev[0] > before:
            break
        if pred(ev):
            found = ev
    return found


def fork_child(ev):
    return int(re.search(r'child_pid=(\d+)', ev[3]).group(1))


class Run:
    """The markers every runtime's trace has: the runtime's first exec, the
    clone whose line of descent leads to the workload, the workload's exec
    and exit, the runtime's own exit; and its re-execution, where it has
    one (berth and crun execveat a copy or view of themselves)."""

    def __init__(self, path):
        ev = self.events = parse(path)
        start = first(ev, lambda e: e[2] == 'sched_process_exec')
        self.pid, self.t0 = start[1], start[0]
        self.work = first(ev, lambda e: e[2] == 'sched_process_exec'
                          and re.search(r'filename=\S*/true\b', e[3]))
        parent = {fork_child(e): e for e in ev if e[2] == 'sched_process_fork'}
        pid = self.work[1]
        while parent[pid][1] != self.pid:
            pid = parent[pid][1]
        fork = parent[pid]
        self.child = pid
        self.clone_in = last(ev, lambda e: e[1] == self.pid and e[2] == 'sys_enter'
                             and nr_of(e[3]) in CLONES, fork[0])[0]
        self.clone_out = first(ev, lambda e: e[1] == self.pid and e[2] == 'sys_exit'
                               and nr_of(e[3]) in CLONES, fork[0])[0]
        self.work_exit = first(ev, lambda e: e[2] == 'sched_process_exit'
                               and e[1] == self.work[1], self.work[0])[0]
        self.done = first(ev, lambda e: e[2] == 'sched_process_exit'
                          and e[1] == self.pid, self.work_exit)[0]
        reexec = self.syscall(self.pid, 'execveat')
        self.reexec = reexec[0] if reexec else None

    def syscall(self, pid, name, after=0.0, edge='sys_enter'):
        """The first entry (or exit) of system call `name` by `pid`."""
        return first(self.events, lambda e: e[1] == pid and e[2] == edge
                     and nr_of(e[3]) == NR[name], after)

    def phases(self, startup=(), setup=()):
        """The common phases; startup and setup are the runtime's own
        sub-phases of the first and the third."""
        return [
            ('start-up to the clone', self.clone_in - self.t0, list(startup)),
            ('the clone into the namespaces', self.clone_out - self.clone_in, []),
            ('the clone to the execve of the workload', self.work[0] - self.clone_out,
             list(setup)),
            ('the workload runs and exits', self.work_exit - self.work[0], []),
            ('after it: wait, delete, exit', self.done - self.work_exit, []),
            ('total', self.done - self.t0, []),
        ]

    def counts(self):
        """System calls, page faults and execs of the runtime's processes,
        before the workload's execve and after its exit; before it, also
        split between the runtime's first process (all its images) and
        the child its clone made (up to that child's execve)."""
        work_pid, before, after = self.work[1], [0, 0, 0], [0, 0, 0]
        main, child = [0, 0], [0, 0]
        kinds = {'sys_enter': 0, 'page_fault_user': 1, 'sched_process_exec': 2}
        for ts, pid, name, _ in self.events:
            k = kinds.get(name)
            if k is None:
                continue
            if ts < self.work[0]:
                before[k] += 1
                if k < 2 and pid == self.pid:
                    main[k] += 1
                elif k < 2 and pid == self.child:
                    child[k] += 1
            elif ts > self.work_exit and pid != work_pid:
                after[k] += 1
        return [('system calls before the workload', before[0]),
                ('  of the runtime process', main[0]),
                ('  of the cloned child', child[0]),
                ('page faults before the workload', before[1]),
                ('  of the runtime process', main[1]),
                ('  of the cloned child', child[1]),
                ('execs before the workload', before[2]),
                ('system calls after it', after[0]),
                ('page faults after it', after[1])]


def berth_phases(path):
    run = Run(path)
    state_dir = run.syscall(run.pid, 'mkdirat', run.reexec)[0]
    go = run.syscall(run.child, 'read', run.clone_out, 'sys_exit')[0]
    # The init's last read before the workload is of SAVED, right after it
    # wrote READY: `run` sends SAVED ahead, so the parent's receipt of
    # READY may come after the workload's execve.
    # (Where SAVED still follows READY, hooks or a seccomp listener or a
    # terminal, this read also holds the parent's round trip.)
    ready = last(run.events, lambda e: e[1] == run.child and e[2] == 'sys_enter'
                 and nr_of(e[3]) == NR['read'], run.work[0])
    if ready is None:
        sys.exit(f'{path}: the init read nothing from the runtime before the workload')
    ready = ready[0]
    return run.phases(
        startup=[('start-up, read-only view of the binary', run.reexec - run.t0),
                 ('re-execution, start-up, spec, bundle checks', state_dir - run.reexec),
                 ('state dir, cgroups (mkdir, devices), state', run.clone_in - state_dir)],
        setup=[('the init joins its cgroups, GO', go - run.clone_out),
               ('init: mounts, devices, pivot, paths, caps, READY', ready - go),
               ('SAVED, RELEASED, startContainer hooks, execve', run.work[0] - ready)],
    ), run.counts()


def plain_phases(path):
    """The floor: one image, no re-execution."""
    run = Run(path)
    return run.phases(), run.counts()


def crun_phases(path):
    """crun re-executes itself (execveat of a copy) before its clone."""
    run = Run(path)
    return run.phases(
        startup=[('start-up, copy or view of the binary', run.reexec - run.t0),
                 ('re-execution to the clone', run.clone_in - run.reexec)],
    ), run.counts()


def medians(runs):
    """The median of every phase (and sub-phase) and count over the runs."""
    out = []
    for i, (name, _, subs) in enumerate(runs[0][0]):
        value = statistics.median(r[0][i][1] for r in runs)
        sub = [(s, statistics.median(r[0][i][2][k][1] for r in runs))
               for k, (s, _) in enumerate(subs)]
        out.append((name, value, sub))
    counts = [(name, statistics.median(r[1][i][1] for r in runs))
              for i, (name, _) in enumerate(runs[0][1])]
    return out, counts


def main(argv):
    if '--' not in argv:
        sys.exit(__doc__)
    groups, cur = [], []
    for a in argv + ['--']:
        if a == '--':
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    columns = [('berth', medians([berth_phases(p) for p in groups[0]])),
               ('floor+cg', medians([plain_phases(p) for p in groups[1]]))]
    if len(groups) > 2 and groups[2]:
        columns.insert(1, ('crun', medians([crun_phases(p) for p in groups[2]])))
    head = ''.join(f'{n:>10}' for n, _ in columns)
    print(f'{"phase (ms, median of " + str(len(groups[0])) + " traced runs each)":<52}{head}')
    phases = [c[0] for _, c in columns]
    for row in range(len(phases[0])):
        name = phases[0][row][0]
        print(f'{name:<52}' + ''.join(f'{p[row][1]:10.2f}' for p in phases))
        # Each column's own sub-phases, on rows of their own.
        for col, p in enumerate(phases):
            for sub, v in p[row][2]:
                cells = [' ' * 10] * len(phases)
                cells[col] = f'{v:10.2f}'
                print(f'  {sub:<50}' + ''.join(cells))
    counts = [c[1] for _, c in columns]
    print(f'{"counts (median)":<52}{head}')
    for row in range(len(counts[0])):
        print(f'{counts[0][row][0]:<52}' + ''.join(f'{c[row][1]:10.0f}' for c in counts))


if __name__ == '__main__':
    main(sys.argv[1:])
