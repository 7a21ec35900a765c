/**
 * `bpf_fib_lookup` (helper 69) for XDP and tc programs, against the host's {@link Fib}. The steps and
 * the fields each outcome writes are the kernel's as BPF_PROG_TEST_RUN shows them (6.18, compared by
 * test/kernel/fib.test.ts): bad `plen` / flags give -EINVAL, a family other than AF_INET / AF_INET6
 * -EAFNOSUPPORT, an unknown `ifindex` -ENODEV; then FWD_DISABLED when the input interface does not
 * forward, NOT_FWDED without a route (or to a local address), BLACKHOLE / UNREACHABLE / PROHIBIT for
 * those routes, FRAG_NEEDED when `tot_len` exceeds the egress MTU (only `mtu_result` written), then
 * `ifindex`, `rt_metric` and the next hop in `ipv4_dst` / `ipv6_dst` are written, NO_SRC_ADDR /
 * NO_NEIGH, and on success the MACs, `mtu_result` and zeroed VLAN fields.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { Fib, RT_TABLE_LOCAL, RT_TABLE_MAIN } from './fib-table.js';
import type { PacketRunHost } from './packet.js';
import { Errno, negErrno } from '../maps/types.js';

/** The helper's id (uapi `linux/bpf.h`). */
export const FIB_LOOKUP = 69;

/** `bpf_fib_lookup` flags. */
export const FibLookupFlag = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16, MARK: 32 } as const;

/** `bpf_fib_lookup` results (`BPF_FIB_LKUP_RET_*`). */
export const FibResult = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6,
  NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;

/** Bytes of `struct bpf_fib_lookup`. */
export const FIB_PARAMS_SIZE = 64;
const ALL_FLAGS = 0x3f;
const AF_INET = 2;
const AF_INET6 = 10;
/** An skb may exceed the MTU by its Ethernet and one VLAN header (the kernel's forwardable check). */
const SKB_MTU_SLACK = 14 + 4;


/** Field offsets of `struct bpf_fib_lookup`. */
const F = { family: 0, totLen: 6, ifindex: 8, metric: 12, src: 16, dst: 32, vlan: 48, smac: 52, dmac: 58 } as const;

/** The `bpf_fib_lookup` helper, bound to the object's memory and the host's FIB. */
export function fibHelpers(memory: VmMemory, fib: Fib): Map<number, HelperEntry> {
  const fn = (_r1: bigint, r2: bigint, r3: bigint, r4: bigint, _r5: bigint, ctx: HelperContext): bigint | number => {
    const host = ctx.host as Partial<PacketRunHost> | undefined;
    if (host?.kind !== 'xdp' && host?.kind !== 'tc') {
      throw new ExecutionError(ErrorCode.HELPER, 'bpf_fib_lookup: only XDP and tc programs may call it (the kernel refuses it elsewhere); run the program with runXdp or runTc', { pc: ctx.pc, helper: 'bpf_fib_lookup' });
    }
    // plen is an int: its 32 low bits, signed. The memory is checked over all of it, as the verifier would.
    const plen = Number(BigInt.asIntN(32, r3));
    if (plen < FIB_PARAMS_SIZE || (r4 & ~BigInt(ALL_FLAGS) & 0xffffffffn) !== 0n) {
      if (plen > 0) memory.slice(r2, plen, true, ctx.pc);
      return negErrno(Errno.EINVAL);
    }
    const p = memory.slice(r2, plen, true, ctx.pc);
    const v = new DataView(p.buffer, p.byteOffset, FIB_PARAMS_SIZE);
    const flags = Number(r4 & 0xffffffffn);
    const family = p[F.family]!;
    if (family !== AF_INET && family !== AF_INET6) return negErrno(Errno.EAFNOSUPPORT);
    const size = family === AF_INET ? 4 : 16;
    const inDev = fib.devices.get(v.getUint32(F.ifindex, true));
    if (inDev === undefined) return negErrno(Errno.ENODEV);
    if (!inDev.forwarding) return FibResult.FWD_DISABLED;
    const dst = p.slice(F.dst, F.dst + size);
    let tables = Fib.RULE_TABLES;
    if ((flags & FibLookupFlag.DIRECT) !== 0) {
      let table = RT_TABLE_MAIN;
      if ((flags & FibLookupFlag.TBID) !== 0) {
        // The input shares its bytes with the VLAN output fields, which the kernel clears once read.
        table = v.getUint32(F.vlan, true);
        v.setUint32(F.vlan, 0, true);
      }
      tables = [table];
    }
    // Local addresses live in the local table, which the kernel merges with main (no custom rules).
    const local = (tables.includes(RT_TABLE_MAIN) || tables.includes(RT_TABLE_LOCAL)) && fib.isLocal(dst);
    const route = local ? undefined : fib.route(dst, tables);
    if (route === undefined) return FibResult.NOT_FWDED;
    if (route.type === 'blackhole') return FibResult.BLACKHOLE;
    if (route.type === 'unreachable') return FibResult.UNREACHABLE;
    if (route.type === 'prohibit') return FibResult.PROHIBIT;
    const out = fib.devices.get(route.ifindex)!;
    const mtu = Math.min(out.mtu, 0xffff);
    const totLen = v.getUint16(F.totLen, true);
    if (totLen !== 0 && totLen > mtu) {
      v.setUint16(F.totLen, mtu, true);
      return FibResult.FRAG_NEEDED;
    }
    const nexthop = route.gateway ?? dst;
    v.setUint32(F.ifindex, out.ifindex, true);
    v.setUint32(F.metric, route.metric, true);
    p.set(nexthop, F.dst);
    if ((flags & FibLookupFlag.SRC) !== 0) {
      const src = fib.source(out.ifindex, size);
      if (src === undefined) return FibResult.NO_SRC_ADDR;
      p.set(src, F.src);
    }
    if ((flags & FibLookupFlag.SKIP_NEIGH) === 0) {
      const mac = fib.neighbour(out.ifindex, nexthop);
      if (mac === undefined) return FibResult.NO_NEIGH;
      p.set(out.mac, F.smac);
      p.set(mac, F.dmac);
    }
    v.setUint32(F.vlan, 0, true);
    v.setUint16(F.totLen, mtu, true);
    // tc without tot_len: the skb itself must fit the egress MTU.
    if (host.kind === 'tc' && totLen === 0 && host.packet !== undefined && host.packet().length > mtu + SKB_MTU_SLACK) return FibResult.FRAG_NEEDED;
    return FibResult.SUCCESS;
  };
  return new Map([[FIB_LOOKUP, { fn, name: 'bpf_fib_lookup', unwindOnZero: false }]]);
}
