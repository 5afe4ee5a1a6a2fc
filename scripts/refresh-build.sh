#!/bin/sh
# meson.build lists sources by directory (scripts/list-sources.sh); meson
# itself only looks again when meson.build changes. Reconfigure BUILD when
# a source file was added or removed since the last time.
set -eu
build=$1
cd "$(dirname "$0")/.."
[ -f "$build/build.ninja" ] || exit 0
now=$(for d in src/lib src/cli tests/unit bench; do scripts/list-sources.sh "$d"; done)
if [ "$now" != "$(cat "$build/.berth-sources" 2>/dev/null)" ]; then
  meson setup --reconfigure "$build" >/dev/null
  printf '%s\n' "$now" >"$build/.berth-sources"
fi
