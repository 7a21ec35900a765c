#!/bin/sh
# Rebuild the example objects (needs clang with the BPF target and libbpf-dev). The .o files are
# committed so that the examples and their tests need no clang.
set -e
cd "$(dirname "$0")"
for c in *.c; do
  clang -O2 -g -target bpf -fdebug-prefix-map="$PWD"=. -I/usr/include/x86_64-linux-gnu -c "$c" -o "${c%.c}.o"
done
