#!/bin/sh
# Rebuild the libbpf-bootstrap objects the way examples/c/Makefile does (clang -g -O2 -target bpf
# -D__TARGET_ARCH_x86, clang's system include directories after, then `bpftool gen object`, libbpf's
# static linker). The CO-RE programs need vmlinux.h, not committed (1.1 MB): set VMLINUX_DIR to
# include/x86 of https://github.com/libbpf/vmlinux.h at commit 991dd4b8dfd8c9d62ce8999521b24f61d9b7fc52
# (the submodule commit libbpf-bootstrap pins). Usage: build.sh [tree] (default: this directory).
set -e
ROOT=${1:-$(dirname "$0")}
cd "$ROOT"
: "${VMLINUX_DIR:?set VMLINUX_DIR to the directory of vmlinux.h (see above)}"
SYS=$(clang -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
for c in \
  examples/c/bootstrap.bpf.c examples/c/bootstrap_legacy.bpf.c examples/c/fentry.bpf.c examples/c/kprobe.bpf.c \
  examples/c/ksyscall.bpf.c examples/c/lsm.bpf.c examples/c/minimal.bpf.c examples/c/minimal_legacy.bpf.c \
  examples/c/minimal_ns.bpf.c examples/c/profile.bpf.c examples/c/sockfilter.bpf.c examples/c/task_iter.bpf.c \
  examples/c/tc.bpf.c examples/c/uprobe.bpf.c examples/c/usdt.bpf.c examples/rust/profile/src/bpf/profile.bpf.c \
  examples/rust/tracecon/src/bpf/tracecon.bpf.c examples/rust/xdp/src/bpf/xdppass.bpf.c; do
  clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -fdebug-prefix-map="$PWD"=. -I "$(dirname "$c")" -I "$VMLINUX_DIR" $SYS \
    $DEPFLAGS -c "$c" -o "${c%.c}.tmp.o"
  bpftool gen object "${c%.c}.o" "${c%.c}.tmp.o"
  rm -f "${c%.c}.tmp.o"
done
