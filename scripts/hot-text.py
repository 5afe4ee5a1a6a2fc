#!/usr/bin/env python3
"""Which functions `berth run` executes, in the order it first does, as a
GNU ld script that places them together at the start of the text.

Usage (as root): scripts/hot-text.py BERTH OUT.ld -- COMMAND...
(scripts/hot-text.sh runs it on `berth run` of a busybox bundle.)

Every function symbol of BERTH gets a uprobe (tracefs, a probe group of
our own, removed at the end); COMMAND runs once with the probes on; the
functions that fired, in the order they first fired, become the script's
input-section list: `.text.NAME` for berth's own code (built with
-ffunction-sections), `*ARCHIVE:MEMBER(.text ...)` for what the static
libraries bring (glibc's libc.a holds about one function per member).

Why: on the VMs berth is measured on, a page fault on text costs 15 to 20
µs, and fault-around maps 64 KiB at a time. Scattered over 1 MiB of text,
the code one `run` executes touches 13 to 16 such windows in each of its
three images (bench/README.md, "Hot text"); packed, it fits in a few.
"""
import os
import re
import subprocess
import sys

TRACEFS = '/sys/kernel/tracing'
GROUP = f'berth_hot_{os.getpid()}'
ARCHIVES = ['libc.a', 'libjansson.a', 'libseccomp.a', 'libcap.a', 'libgcc_eh.a', 'libgcc.a']
# The start files are objects of their own, not archive members.
START_FILES = {'_start': 'crt1.o', 'frame_dummy': 'crtbeginT.o',
               'register_tm_clones': 'crtbeginT.o', 'deregister_tm_clones': 'crtbeginT.o',
               '__do_global_dtors_aux': 'crtbeginT.o'}
# glibc's string and memory functions come in one variant per instruction
# set, picked at start-up. Probed, the EVEX and AVX-512 ones returned wrong
# results here (printf printed its format unexpanded: the trap did not
# keep the upper vector registers), so no variant is probed; the ones this
# kind of CPU picks are placed first, unprobed.
SIMD_VARIANT = re.compile(r'_(evex|avx512|avx2|avx|sse2|sse3|ssse3|sse4|sse42|erms|rtm)(_|$)')
PICKED_VARIANT = re.compile(r'_(evex|avx512)(_|$)|^__(strspn|strcspn|strpbrk)_sse42$')


def text_segments(binary):
    """(vaddr, offset, size) of every executable PT_LOAD."""
    out = subprocess.run(['readelf', '-lW', binary], check=True, capture_output=True,
                         text=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == 'LOAD' and 'E' in f[6:-1]:
            segs.append((int(f[2], 16), int(f[1], 16), int(f[5], 16)))
    return segs


def functions(binary):
    """(address, name) of every defined function, static ones of the same
    name each with their own. Only STT_FUNC symbols: a probe on a label
    inside a function could land between instructions."""
    out = subprocess.run(['readelf', '-sW', binary], check=True,
                         capture_output=True, text=True).stdout
    funcs = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 8 and f[3] == 'FUNC' and f[6] != 'UND' and int(f[2]) > 0:
            funcs.add((int(f[1], 16), f[7]))
    return sorted(funcs)


def archive_members():
    """function name -> (archive, member) for the static libraries."""
    where = {}
    for name in ARCHIVES:
        # Where the compiler finds it for the link, libc.a included.
        path = subprocess.run(['cc', f'-print-file-name={name}'], capture_output=True,
                              text=True).stdout.strip()
        if not os.path.isabs(path):
            continue
        out = subprocess.run(['nm', '-A', '--defined-only', path], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            m = re.match(r'^[^:]+:([^:]+):\s*\S+ ([tTwWiI]) (\S+)$', line)
            if m:
                where.setdefault(m.group(3), (name, m.group(1)))
    return where


def put(path, value):
    with open(path, 'w') as f:
        f.write(value)


def fired(binary, funcs, command):
    """The names of the functions that fired while COMMAND ran, in the
    order they first did."""
    segs = text_segments(binary)
    probes = {}  # event -> (probe definition, function name)
    for i, (addr, name) in enumerate(funcs):
        if SIMD_VARIANT.search(name):
            continue
        for vaddr, off, size in segs:
            if vaddr <= addr < vaddr + size:
                probes[f'f{i}'] = (f'p:{GROUP}/f{i} {binary}:0x{addr - vaddr + off:x}', name)
    if not os.path.ismount(TRACEFS):
        subprocess.run(['mount', '-t', 'tracefs', 'nodev', TRACEFS], check=True)
    instance = f'{TRACEFS}/instances/{GROUP}'
    placed = {}
    events = os.open(f'{TRACEFS}/uprobe_events', os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        # One probe per write: tracefs parses a write as a whole, and
        # refuses a probe it cannot place alone.
        for event, (definition, name) in probes.items():
            try:
                os.write(events, (definition + '\n').encode())
                placed[event] = name
            except OSError:
                pass
        if len(placed) < len(probes):
            print(f'hot-text: {len(probes) - len(placed)} of {len(probes)} probes could not be '
                  'placed', file=sys.stderr)
        os.mkdir(instance)
        try:
            put(f'{instance}/tracing_on', '0')
            # Every call fires its probe (malloc's thousands of times): a
            # buffer large enough for all of them, and one that keeps the
            # oldest events when it fills (the first firings are the point).
            put(f'{instance}/buffer_size_kb', '262144')
            put(f'{instance}/options/overwrite', '0')
            put(f'{instance}/events/{GROUP}/enable', '1')
            put(f'{instance}/tracing_on', '1')
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            put(f'{instance}/tracing_on', '0')
            trace = open(f'{instance}/trace').read()
            put(f'{instance}/events/{GROUP}/enable', '0')
        finally:
            os.rmdir(instance)
    finally:
        for event in placed:
            os.write(events, f'-:{GROUP}/{event}\n'.encode())
        os.close(events)
    m = re.search(r'entries-in-buffer/entries-written: (\d+)/(\d+)', trace)
    if m is None or m.group(1) != m.group(2) or 'LOST' in trace:
        sys.exit('hot-text: the trace buffer lost events; nothing written')
    order = {}  # insertion-ordered: each name at its first firing
    for m in re.finditer(r' (f\d+): \(', trace):
        order.setdefault(placed[m.group(1)], None)
    return list(order)


def hot_order(funcs, order):
    """The placement order, and every name of each function's address:
    libc's members define a function under one name (__libc_fcntl64) and
    alias it (fcntl)."""
    picked = sorted({n for _, n in funcs if PICKED_VARIANT.search(n)})
    at = {}
    for addr, name in funcs:
        at.setdefault(addr, []).append(name)
    aliases = {name: at[addr] for addr, name in funcs}
    # The start files' functions have no size to probe; they always run.
    start = [n for n in START_FILES if n not in order]
    return start + picked + order, aliases


def script(order, aliases):
    members = archive_members()
    rules, done = [], set()
    for name in order:
        base = re.sub(r'\.(isra|part|constprop|cold|lto_priv)\.\d+.*$', '', name)
        names = aliases.get(name, [name])
        home = next((members[n] for n in names if n in members), members.get(base))
        if name in START_FILES:
            rule = f'    *{START_FILES[name]}(.text)'
        elif home is not None:
            lib, member = home
            rule = f'    *{lib}:{member}(.text .text.*)'
        else:
            rule = f'    *(.text.{base} .text.{base}.* .text.startup.{base})'
        if rule not in done:
            done.add(rule)
            rules.append(rule)
    return ('/* Generated by scripts/hot-text.py: the functions `berth run` executes,\n'
            ' * in the order it first does, placed together at the start of the text\n'
            ' * so that its three images fault in fewer 64 KiB windows of it. Only\n'
            ' * the layout changes; a function missing here is laid out as before. */\n'
            'SECTIONS\n{\n  .text.berth_hot :\n  {\n' + '\n'.join(rules) +
            '\n  }\n}\nINSERT BEFORE .text;\n')


def main(argv):
    if len(argv) < 4 or argv[2] != '--':
        sys.exit(__doc__)
    binary, out, command = os.path.realpath(argv[0]), argv[1], argv[3:]
    funcs = functions(binary)
    order = fired(binary, funcs, command)
    if not order:
        sys.exit('hot-text: no probe fired; nothing written')
    order, aliases = hot_order(funcs, order)
    with open(out, 'w') as f:
        f.write(script(order, aliases))
    print(f'hot-text: {len(order)} functions fired; {out} written')


if __name__ == '__main__':
    main(sys.argv[1:])
