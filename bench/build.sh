#!/bin/sh
# Rebuild the benchmark programs: every bench/programs/*.c to a BPF object (committed), then the
# input files (bench/programs/*.mem, by gen-inputs.ts) and the expected results (expected.json, from
# the native builds, by update-expected.ts). Run from anywhere: sh bench/build.sh
#
# Same flags for every program: -O2 like the peers' suites; -mcpu=v3 so that clang uses 32-bit
# subregisters and JMP32 (the conformance suite's default CPU version). The objects must hold one
# function, bpf_main, in .text, with no relocations (no globals, no helpers, no maps): checked below.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CLANG=${CLANG:-clang}
cd "$here/programs"
for src in *.c; do
  name=${src%.c}
  "$CLANG" -O2 -target bpf -mcpu=v3 -c "$src" -o "$name.o"
  if llvm-readelf -S "$name.o" | grep -qE '\.rel|\.rodata|\.data|\.bss'; then
    echo "build.sh: $name.o has relocations or data sections; benchmark programs must use only the stack and mem" >&2
    exit 1
  fi
done
cd "$here/.."
npx tsx bench/gen-inputs.ts
if command -v "${CC:-cc}" >/dev/null 2>&1; then
  npx tsx bench/update-expected.ts
else
  echo "build.sh: no C compiler; bench/programs/expected.json left as it is" >&2
fi
