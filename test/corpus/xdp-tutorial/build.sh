#!/bin/sh
# Rebuild the xdp-tutorial objects with the machine's clang (14 when committed) and libbpf-dev's headers,
# with xdp-tutorial's own flags (lib/defines.mk, common/common.mk). The headers it takes from its
# xdp-tools submodule are under lib/xdp-tools/headers. Usage: build.sh [tree] (default: this directory).
set -e
ROOT=${1:-$(dirname "$0")}
cd "$ROOT"
for c in \
  advanced03-AF_XDP/af_xdp_kern.c basic01-xdp-pass/xdp_pass_kern.c basic02-prog-by-name/xdp_prog_kern.c \
  basic03-map-counter/xdp_prog_kern.c basic04-pinning-maps/xdp_prog_kern.c experiment01-tailgrow/xdp_prog_kern.c \
  packet-solutions/tc_reply_kern_02.c packet-solutions/xdp_prog_kern_02.c packet-solutions/xdp_prog_kern_03.c \
  packet-solutions/xdp_vlan01_kern.c packet-solutions/xdp_vlan02_kern.c packet01-parsing/xdp_prog_kern.c \
  packet02-rewriting/xdp_prog_kern.c packet03-redirecting/xdp_prog_kern.c tracing01-xdp-simple/trace_prog_kern.c \
  tracing01-xdp-simple/xdp_prog_kern.c tracing02-xdp-monitor/trace_prog_kern.c tracing03-xdp-debug-print/xdp_prog_kern.c \
  tracing04-xdp-tcpdump/xdp_sample_pkts_kern.c; do
  clang -O2 -g -target bpf -Wall -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types \
    -Wno-visibility -fno-stack-protector -fdebug-prefix-map="$PWD"=. \
    -I common -I lib/xdp-tools/headers -I/usr/include/x86_64-linux-gnu $DEPFLAGS -c "$c" -o "${c%.c}.o"
done
