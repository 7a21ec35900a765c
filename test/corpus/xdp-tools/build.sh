#!/bin/sh
# Rebuild the xdp-tools objects with the machine's clang (14 when committed) and libbpf-dev's headers
# (libbpf 1.1), with xdp-tools' flags (lib/defines.mk, lib/common.mk). The two HAVE_LIBBPF_* defines are
# what xdp-tools' configure finds in libbpf 1.1; -include stdbool.h because upstream builds get `bool`
# from its vendored libbpf's headers, which libbpf 1.1's do not provide. xdp-dispatcher.c.in (an m4
# template) is not built. Usage: build.sh [tree] (default: this directory).
set -e
ROOT=${1:-$(dirname "$0")}
cd "$ROOT"
for c in \
  lib/libxdp/xsk_def_xdp_prog.c lib/libxdp/xsk_def_xdp_prog_5.3.c lib/testing/test_long_func_name.c \
  lib/testing/xdp_adjust_tail.c lib/testing/xdp_drop.c lib/testing/xdp_pass.c lib/util/xdp_load_bytes.bpf.c \
  lib/util/xdp_sample.bpf.c lib/util/xdpsock.bpf.c xdp-bench/xdp_basic.bpf.c xdp-bench/xdp_redirect_basic.bpf.c \
  xdp-bench/xdp_redirect_cpumap.bpf.c xdp-bench/xdp_redirect_devmap.bpf.c xdp-bench/xdp_redirect_devmap_multi.bpf.c \
  xdp-dump/xdpdump_bpf.c xdp-dump/xdpdump_xdp.c xdp-filter/xdpfilt_alw_all.c xdp-filter/xdpfilt_alw_eth.c \
  xdp-filter/xdpfilt_alw_ip.c xdp-filter/xdpfilt_alw_tcp.c xdp-filter/xdpfilt_alw_udp.c xdp-filter/xdpfilt_dny_all.c \
  xdp-filter/xdpfilt_dny_eth.c xdp-filter/xdpfilt_dny_ip.c xdp-filter/xdpfilt_dny_tcp.c xdp-filter/xdpfilt_dny_udp.c \
  xdp-forward/xdp_flowtable.bpf.c xdp-forward/xdp_flowtable_sample.bpf.c xdp-forward/xdp_forward.bpf.c \
  xdp-monitor/xdp_monitor.bpf.c xdp-trafficgen/xdp_trafficgen.bpf.c; do
  clang -O2 -g -target bpf -Wall -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types \
    -Wno-visibility -fno-stack-protector -fdebug-prefix-map="$PWD"=. \
    -DHAVE_LIBBPF_BPF_PROGRAM__TYPE -DHAVE_LIBBPF_BPF_PROGRAM__FLAGS -include stdbool.h \
    -I headers -I "$(dirname "$c")" -I lib/util -I/usr/include/x86_64-linux-gnu $DEPFLAGS -c "$c" -o "${c%.c}.o"
done
