#!/bin/sh
# Proves that no two source files call each other in a loop: builds the
# file-level call graph of src/ from the object files' defined and undefined
# symbols (nm) and prints every cycle between files. Exits 1 if there is one.
#
#   scripts/check-layers.sh [BUILD_DIR]          check (default: build)
#   scripts/check-layers.sh --levels [BUILD_DIR] also print each file's level
#                                                (0: calls no other file)
#
# A file A "calls" B when A's object uses a global symbol (a function or
# data, a function's address put in a table included) that B's defines.
# The objects are those of the build's compile_commands.json, so a stale
# object of a renamed file does not count. Needs the build to be current.
set -u
levels=0
if [ "${1:-}" = "--levels" ]; then
	levels=1
	shift
fi
build=${1:-build}
if [ ! -f "$build/compile_commands.json" ]; then
	echo "check-layers: no $build/compile_commands.json (configure and build first)" >&2
	exit 2
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$build" "$levels" "$repo" <<'EOF'
import json, os, subprocess, sys

build, levels, repo = sys.argv[1], sys.argv[2] == "1", os.path.realpath(sys.argv[3])

# source file (relative to the repository) -> its object
objects = {}
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    src = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(src, repo)
    if rel.startswith("src/"):
        objects[rel] = os.path.join(e["directory"], e["output"])
if not objects:
    sys.exit("check-layers: no source of src/ in %s/compile_commands.json" % build)

defs, uses = {}, {}
by_object = {}
for f, obj in sorted(objects.items()):
    if not os.path.exists(obj):
        sys.exit("check-layers: %s is not built (run ninja -C %s)" % (obj, build))
    by_object[obj] = f
    uses[f] = set()
# One nm for all: "object.o:[value] type symbol" lines.
out = subprocess.run(["nm", "-g", "-A"] + sorted(by_object), capture_output=True, text=True,
                     check=True).stdout
for line in out.splitlines():
    obj, _, rest = line.partition(".o:")
    f, parts = by_object[obj + ".o"], rest.split()
    if len(parts) == 2 and parts[0] == "U":
        uses[f].add(parts[1])
    elif len(parts) == 3 and parts[1] in "TDBRVWGSC":
        defs[parts[2]] = f

edges = {f: {} for f in uses}
for f, syms in uses.items():
    for s in syms:
        g = defs.get(s)
        if g and g != f:
            edges[f].setdefault(g, []).append(s)

# Tarjan: a strongly connected component of more than one file is a loop.
index, low, stack, on, comps = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        comps.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)

loops = [c for c in comps if len(c) > 1]
for c in loops:
    print("cycle between %d files:" % len(c))
    for f in c:
        for g in sorted(edges[f]):
            if g in c:
                print("  %s -> %s (%s)" % (f, g, ", ".join(sorted(edges[f][g])[:4])))

if levels and not loops:
    level = {}
    def lvl(f):
        if f not in level:
            level[f] = 1 + max([lvl(g) for g in edges[f]], default=-1)
        return level[f]
    for f in sorted(edges, key=lambda f: (lvl(f), f)):
        print("%2d %s" % (lvl(f), f))

# The count tests/check.sh adds up: a file in a cycle is a failed check.
in_loops = sum(len(c) for c in loops)
print("check_layers: %d passed, %d failed" % (len(edges) - in_loops, in_loops))
if loops:
    print("check-layers: %d cycle(s) between source files" % len(loops))
    sys.exit(1)
print("check-layers: %d files, no cycles" % len(edges))
EOF
