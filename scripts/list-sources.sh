#!/bin/sh
# Prints the C sources below a directory, one per line, sorted, for meson.
cd "${MESON_SOURCE_ROOT:-$(dirname "$0")/..}" || exit 1
find "$1" -name '*.c' -type f 2>/dev/null | LC_ALL=C sort
