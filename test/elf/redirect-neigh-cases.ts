/** Requests for tc_meta.c's redir_neigh / redir_peer with the verdicts the kernel gives (6.18). */

export interface NeighRequest {
  readonly ifindex: number;
  /** A struct bpf_redir_neigh to pass (else NULL, plen 0). */
  readonly params?: { readonly family: number; readonly address: readonly number[] };
  /** plen with params (1..32; default 20). */
  readonly plen?: number;
  readonly flags?: bigint;
}

export interface NeighCase extends NeighRequest {
  readonly name: string;
  readonly program: 'redir_neigh' | 'redir_peer';
  /** TC_ACT_REDIRECT (7) or TC_ACT_SHOT (2). */
  readonly verdict: bigint;
}

export const NEIGH_CASES: readonly NeighCase[] = [
  { name: 'neigh, NULL params', program: 'redir_neigh', ifindex: 5, verdict: 7n },
  { name: 'neigh, a flag', program: 'redir_neigh', ifindex: 5, flags: 1n, verdict: 2n },
  { name: 'neigh, high flag', program: 'redir_neigh', ifindex: 5, flags: 1n << 63n, verdict: 2n },
  ...[4, 19].map((plen) => ({ name: `neigh, plen ${plen}`, program: 'redir_neigh' as const, ifindex: 5, params: { family: 2, address: [10, 0, 0, 1] }, plen, verdict: 2n })),
  ...[20, 24, 32].map((plen) => ({ name: `neigh, plen ${plen}`, program: 'redir_neigh' as const, ifindex: 5, params: { family: 2, address: [10, 0, 0, 1] }, plen, verdict: 7n })),
  { name: 'neigh, unknown family', program: 'redir_neigh', ifindex: 5, params: { family: 7, address: [] }, verdict: 7n },
  { name: 'peer', program: 'redir_peer', ifindex: 5, verdict: 7n },
  { name: 'peer, a flag', program: 'redir_peer', ifindex: 5, flags: 1n, verdict: 2n },
];

/** The packet of a request (see tc_meta.c). */
export function neighPacket(r: NeighRequest): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setUint32(0, r.ifindex, true);
  if (r.params !== undefined) {
    b[4] = 1;
    v.setUint32(8, r.params.family, true);
    b.set(r.params.address, 12);
    v.setUint32(28, r.plen ?? 20, true);
  }
  // redir_neigh reads its flags at 32, redir_peer at 8 (where params start): both are set for a peer.
  v.setBigUint64(32, r.flags ?? 0n, true);
  if (r.params === undefined) v.setBigUint64(8, r.flags ?? 0n, true);
  return b;
}
