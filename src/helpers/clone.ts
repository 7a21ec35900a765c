/**
 * `bpf_clone_redirect` (13) for tc programs: a copy of the packet, as it is at the call, goes to an
 * interface's egress (or its ingress with `BPF_F_INGRESS`) at once, and the original goes on through
 * the program. Each clone is recorded for the run's report ({@link SkbClone}), like a redirect
 * target, but unlike one it is not a verdict: the program's return value still decides the
 * original's fate. As BPF_PROG_TEST_RUN gives it on Linux 6.18 (test/kernel/skb-ops.test.ts):
 * 0 for an interface the host has (its FIB description's interfaces and the loopback, all taken to be
 * up), -EINVAL for any other index or any flag but `BPF_F_INGRESS`.
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { Fib } from './fib-table.js';
import { Errno, negErrno } from '../maps/types.js';
import type { PacketRunHost } from './packet.js';

/** Clone helper id (uapi `linux/bpf.h`). */
export const CloneHelper = { CLONE_REDIRECT: 13 } as const;

/** Clones a run keeps for its report; later ones are counted in {@link CloneRunHost.clonesDropped}. */
export const MAX_CLONES = 64;

/** One packet `bpf_clone_redirect` sent. */
export interface SkbClone {
  /** The interface it went to. */
  readonly ifindex: number;
  /** `BPF_F_INGRESS` (1): to the interface's ingress; else (0) out of it. */
  readonly flags: number;
  /** The packet as it was at the call (a copy). */
  readonly packet: Uint8Array;
}

/** What the clone helper needs from a run. */
export interface CloneRunHost {
  readonly kind: PacketRunHost['kind'];
  /** A live view of the packet. */
  packet(): Uint8Array;
  /** The clones of this run so far (the runner empties it before each run). */
  readonly clones: SkbClone[];
  /** Clones past {@link MAX_CLONES} in this run: sent (the helper returned 0) but not kept. */
  clonesDropped: number;
}

const BPF_F_INGRESS = 1n;

/** The clone helper, bound to the host's interfaces. */
export function cloneHelpers(fib: Fib): Map<number, HelperEntry> {
  const clone: HelperFunction = (_r1, r2, r3, _4, _5, ctx: HelperContext) => {
    const host = ctx.host as Partial<CloneRunHost> | undefined;
    if (host?.kind !== 'tc' || host.clones === undefined) {
      throw new ExecutionError(ErrorCode.HELPER, 'bpf_clone_redirect: only tc programs may call it (the kernel refuses it elsewhere); run the program with runTc', { pc: ctx.pc, helper: 'bpf_clone_redirect' });
    }
    const h = host as CloneRunHost;
    const ifindex = Number(r2 & 0xffffffffn);
    if ((r3 & ~BPF_F_INGRESS) !== 0n || !fib.devices.has(ifindex)) return negErrno(Errno.EINVAL);
    if (h.clones.length < MAX_CLONES) h.clones.push({ ifindex, flags: Number(r3), packet: h.packet().slice() });
    else h.clonesDropped++;
    return 0;
  };
  return new Map([[CloneHelper.CLONE_REDIRECT, { fn: clone, name: 'bpf_clone_redirect', unwindOnZero: false }]]);
}
