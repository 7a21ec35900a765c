/**
 * The netfilter kfuncs of XDP and tc programs, on a host with no connections and no flowtables (what a
 * run sees of the kernel's conntrack and flowtable: nothing the program did not create):
 *
 * - `bpf_skb_ct_lookup` / `bpf_xdp_ct_lookup(ctx, tuple, tuple__sz, opts, opts__sz)`: NULL, with the
 *   reason in `opts->error`, checked in the kernel's order (6.18, compared by
 *   test/kernel/conntrack.test.ts): `opts__sz` other than 12 or 16 is -EINVAL (nothing written below
 *   8 bytes, where `error` does not fit); non-zero reserved bytes -EINVAL; `l4proto` other than TCP / UDP
 *   -EPROTO; `netns_id` below -1 -EINVAL; `tuple__sz` other than the IPv4 (12) or IPv6 (36) tuple
 *   -EAFNOSUPPORT; another network namespace (`netns_id` >= 0) -ENONET; else no such connection, -ENOENT.
 * - `bpf_ct_release(ct)`: only ever given a connection a lookup returned, so with none it is an
 *   E_HELPER error (the kernel's verifier refuses releasing anything else).
 * - `bpf_xdp_flow_lookup(ctx, fib_tuple, opts, opts_len)`: NULL; `opts->error` is -ENOENT (no
 *   flowtable on the device) when `opts_len` is `sizeof(struct bpf_flowtable_opts)` (4), else nothing
 *   is written, as the kfunc's documentation says.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { Errno } from '../maps/types.js';
import type { HelperContext, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { PacketRunHost } from './packet.js';

/** A kfunc as the loader takes it (the shape of `KfuncEntry`): a helper-shaped function and its argument count. */
export interface NetfilterKfunc {
  readonly fn: HelperFunction;
  readonly args: number;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** `struct bpf_ct_opts` before (12) and since (16) its conntrack zone fields. */
const CT_OPTS_OLD = 12;
const CT_OPTS = 16;
/** `struct bpf_sock_tuple`'s IPv4 and IPv6 forms. */
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
const FLOWTABLE_OPTS = 4;

const neg = (errno: number): number => -errno;

function packetRun(ctx: HelperContext, name: string, kind: 'xdp' | 'tc'): void {
  const host = ctx.host as Partial<PacketRunHost> | undefined;
  if (host?.kind !== kind) {
    throw new ExecutionError(ErrorCode.HELPER, `${name}: only ${kind === 'xdp' ? 'XDP' : 'tc'} programs may call it (the kernel refuses it elsewhere); run the program with ${kind === 'xdp' ? 'runXdp' : 'runTc'}`, { pc: ctx.pc, helper: name });
  }
}

/** Why a conntrack lookup finds nothing (a negative errno), or undefined when `opts` cannot hold it. */
function ctLookupError(opts: Uint8Array, tupleSize: number): number | undefined {
  if (opts.length !== CT_OPTS && opts.length !== CT_OPTS_OLD) return opts.length < 8 ? undefined : neg(Errno.EINVAL);
  const v = new DataView(opts.buffer, opts.byteOffset, opts.length);
  const reserved = opts.length === CT_OPTS ? opts.subarray(13, 16) : opts.subarray(10, 12);
  if (reserved.some((b) => b !== 0)) return neg(Errno.EINVAL);
  const l4proto = opts[8]!;
  if (l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return neg(Errno.EPROTO);
  const netns = v.getInt32(0, true);
  if (netns < -1) return neg(Errno.EINVAL);
  if (tupleSize !== TUPLE_V4 && tupleSize !== TUPLE_V6) return neg(Errno.EAFNOSUPPORT);
  if (netns >= 0) return neg(Errno.ENONET);
  return neg(Errno.ENOENT);
}

/** The netfilter kfuncs by name, bound to the object's memory. */
export function netfilterKfuncs(memory: VmMemory): Map<string, NetfilterKfunc> {
  const ctLookup = (name: string, kind: 'xdp' | 'tc'): NetfilterKfunc => ({
    args: 5,
    fn: (_ctx, tuple, tupleSize, opts, optsSize, ctx) => {
      packetRun(ctx, name, kind);
      const size = Number(optsSize & 0xffff_ffffn);
      const tsize = Number(tupleSize & 0xffff_ffffn);
      // The verifier proves both buffers readable for their sizes; so does the run.
      if (tsize > 0) memory.slice(tuple, tsize, false, ctx.pc);
      const o = size === 0 ? new Uint8Array(0) : memory.slice(opts, size, true, ctx.pc);
      const error = ctLookupError(o, tsize);
      if (error !== undefined) new DataView(o.buffer, o.byteOffset, 8).setInt32(4, error, true);
      return 0n;
    },
  });
  const release: NetfilterKfunc = {
    args: 1,
    fn: (r1, _2, _3, _4, _5, ctx) => {
      throw new ExecutionError(ErrorCode.HELPER, `bpf_ct_release: 0x${r1.toString(16)} is not a connection a lookup of this run returned (the host has no connections)`, { pc: ctx.pc, helper: 'bpf_ct_release' });
    },
  };
  const flowLookup: NetfilterKfunc = {
    args: 4,
    fn: (_ctx, _tuple, opts, optsLen, _5, ctx) => {
      packetRun(ctx, 'bpf_xdp_flow_lookup', 'xdp');
      if ((optsLen & 0xffff_ffffn) === BigInt(FLOWTABLE_OPTS)) {
        const o = memory.slice(opts, FLOWTABLE_OPTS, true, ctx.pc);
        new DataView(o.buffer, o.byteOffset, FLOWTABLE_OPTS).setInt32(0, neg(Errno.ENOENT), true);
      }
      return 0n;
    },
  };
  return new Map([
    ['bpf_skb_ct_lookup', ctLookup('bpf_skb_ct_lookup', 'tc')],
    ['bpf_xdp_ct_lookup', ctLookup('bpf_xdp_ct_lookup', 'xdp')],
    ['bpf_ct_release', release],
    ['bpf_xdp_flow_lookup', flowLookup],
  ]);
}
