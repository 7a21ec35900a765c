#!/bin/sh
# Rebuild the katran objects with the machine's clang and llc (14 when committed) the way katran's
# katran/lib/Makefile-bpf does: host-target clang -emit-llvm piped into llc -march=bpf, with
# katran/lib/linux_includes first on the include path. tcp_pkt_router (CO-RE) is built with -target bpf
# against katran/tpr/bpf/vmlinux.h (2.8 MB, not committed: set KATRAN_VMLINUX_DIR to a directory holding
# it, from facebookincubator/katran at the commit in ../README.md; skipped when unset).
# tc_srcmatch.bpf.c does not build (KDE_GUE_PORT is defined nowhere in the repository).
# Usage: build.sh [tree] (default: this directory).
set -e
ROOT=${1:-$(dirname "$0")}
cd "$ROOT"
for c in \
  katran/lib/bpf/balancer.bpf.c katran/lib/bpf/healthchecking_ipip.c katran/lib/bpf/healthchecking.bpf.c \
  katran/lib/bpf/xdp_pktcntr.c katran/lib/bpf/xdp_root.c katran/decap/bpf/decap.bpf.c \
  katran/decap/tc_bpf/tc_decap.bpf.c katran/decap/tc_bpf/tc_decap_info.bpf.c katran/decap/tc_bpf/tc_decap_stats.bpf.c; do
  clang -O2 -g -emit-llvm -D__KERNEL__ -DDEBUG -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types \
    -fdebug-prefix-map="$PWD"=. -I katran/lib/linux_includes -I . $DEPFLAGS -c "$c" -o "${c%.c}.ll"
  llc -march=bpf -filetype=obj -o "${c%.c}.o" "${c%.c}.ll"
  rm -f "${c%.c}.ll"
done
if [ -n "$KATRAN_VMLINUX_DIR" ]; then
  clang -O2 -g -target bpf -DKATRAN_CMAKE_BUILD -fdebug-prefix-map="$PWD"=. -I "$KATRAN_VMLINUX_DIR" -I katran/tpr/bpf \
    $DEPFLAGS -c katran/tpr/bpf/tcp_pkt_router.bpf.c -o katran/tpr/bpf/tcp_pkt_router.bpf.o
fi
