#!/bin/bash
# build.sh OUTDIR: the libFuzzer harnesses (clang, ASan + UBSan), linked
# with berth's library sources compiled the same way.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out/obj"
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang)" >&2; exit 1; }
# berth-config.h, as meson makes it.
cat >"$out/berth-config.h" <<H
#define BERTH_VERSION "fuzz"
#define BERTH_COMMIT "fuzz"
H
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -Wno-include-next-absolute-path -I"$out" -I"$repo" -I"$repo/src/lib" -I"$repo/src/cli"
       $(pkg-config --cflags jansson libseccomp libcap libsystemd))
libs=$(pkg-config --libs jansson libseccomp libcap)
objs=()
for src in $(cd "$repo" && find src/lib -name '*.c' | sort) src/cli/opts.c src/cli/log.c src/cli/cli_util.c; do
  obj=$out/obj/$(tr / _ <<<"${src%.c}").o
  if [ ! -f "$obj" ] || [ "$repo/$src" -nt "$obj" ]; then
    clang "${flags[@]}" -c "$repo/$src" -o "$obj"
  fi
  objs+=("$obj")
done
for h in spec opts; do
  clang "${flags[@]}" -fsanitize=fuzzer "$here/fuzz_$h.c" "${objs[@]}" $libs -ldl -o "$out/fuzz_$h"
done
