/**
 * The sk_skb context (stream parser and stream verdict programs): a `struct __sk_buff` over stream
 * data a host's socket received, the socket's family, addresses, ports and `sk` filled from the
 * loader's socket table. The kernel loads sk_skb programs but refuses BPF_PROG_TEST_RUN for them, so
 * the fields and the redirects follow the uapi layout and bpf-helpers(7), and the verifier's sk_skb
 * rules (verifier/analysis/ctx/skb.ts) decide what a program may read or write.
 * @module
 */
import type { HostSocket } from '../helpers/socket-table.js';
import { writeSocketFields } from './socket-fields.js';
import type { SkbOptions } from './runner.js';
import type { SocketRedirect } from './sk-msg.js';

/** `struct __sk_buff` offsets of the socket fields (`__u32`; `sk` a 64-bit pointer). */
export const SkBuffSocket = {
  family: 88, remote_ip4: 92, local_ip4: 96, remote_ip6: 100, local_ip6: 116, /** network order, upper half */ remote_port: 132,
  /** host order */ local_port: 136, /** `struct bpf_sock *` */ sk: 168,
} as const;

/** Options of an sk_skb run: the `__sk_buff` fields a host may set, and the socket the data arrived on. */
export interface SkSkbOptions extends Omit<SkbOptions, 'socket' | 'inspect'> {
  /** The receiving socket: its index in the loader's `sockets` option. */
  readonly socket: number;
}

/** What an sk_skb run did. */
export interface SkSkbResult {
  /** r0 as returned: a stream parser's message length (or a negative errno), a stream verdict's verdict. */
  readonly r0: bigint;
  /** r0's low 32 bits (`SkAction`: DROP 0, PASS 1 for a verdict program). */
  readonly verdict: number;
  /** With the SK_PASS verdict: the socket `bpf_sk_redirect_map` / `_hash` chose. */
  readonly redirect?: SocketRedirect;
  /** The data as the program left it (a copy). */
  readonly packet: Uint8Array;
  /** The `__sk_buff` after the run (a copy): `priority` and `tc_index`, which sk_skb programs may write. */
  readonly skb: Uint8Array;
}

/** Write socket `s`'s fields (its `struct bpf_sock` at `sk`) into the `__sk_buff` at `ctx` of `v`. */
export function fillSkbSocket(v: DataView, ctx: number, s: HostSocket, sk: number): void {
  writeSocketFields(v, ctx, SkBuffSocket, s);
  v.setBigUint64(ctx + SkBuffSocket.sk, BigInt(sk), true);
}
