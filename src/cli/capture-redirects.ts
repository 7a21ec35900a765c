/**
 * Where a capture run's redirected packets and `bpf_clone_redirect` copies went: counts by target
 * (an interface, a redirect map's key and what it holds, a CPU, an AF_XDP socket), in bounded memory
 * (the first {@link MAX_TARGETS} distinct targets by name, the rest summed as other), for the report.
 * @module
 */
import type { Redirect } from '../helpers/packet.js';
import type { SkbClone } from '../helpers/clone.js';

/** Most distinct targets counted by name; packets to any further target are summed as other. */
export const MAX_TARGETS = 64;

/** Counts by target name, at most {@link MAX_TARGETS} names. */
export class TargetCounts {
  private readonly counts = new Map<string, number>();
  /** Packets whose target was not among the first {@link MAX_TARGETS}. */
  other = 0;
  /** Packets counted in all. */
  total = 0;

  /** Count one packet sent to `target`. */
  add(target: string): void {
    this.total++;
    const n = this.counts.get(target);
    if (n !== undefined) this.counts.set(target, n + 1);
    else if (this.counts.size < MAX_TARGETS) this.counts.set(target, 1);
    else this.other++;
  }

  /** Every target counted by name with its count, most packets first (then by name). */
  entries(): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

function address(family: number, bytes: Uint8Array): string {
  if (family === 2) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/**
 * A redirect's target as the report names it: `ifindex 3`, `ifindex 3 ingress` (tc's
 * `BPF_F_INGRESS`), `map ports key 2: ifindex 7`, `map cpus key 1: cpu 1`, `map xsks key 0: queue 0
 * socket 9`, `map ports: broadcast`, `neigh ifindex 4 via 10.0.0.1`, `peer of ifindex 5`; a redirect
 * verdict no redirect helper chose is `no target (no redirect helper called)`.
 */
export function redirectTarget(r: Redirect | undefined): string {
  if (r === undefined) return 'no target (no redirect helper called)';
  const ingress = r.helper === 'bpf_redirect' && (r.flags & 1) !== 0 ? ' ingress' : '';
  switch (r.helper) {
    case 'bpf_redirect':
      return `ifindex ${r.ifindex ?? '?'}${ingress}`;
    case 'bpf_redirect_neigh':
      return `neigh ifindex ${r.ifindex ?? '?'}${r.nexthop === undefined ? '' : ` via ${address(r.nexthop.family, r.nexthop.address)}`}`;
    case 'bpf_redirect_peer':
      return `peer of ifindex ${r.ifindex ?? '?'}`;
    default: {
      const map = `map ${r.map ?? '?'}`;
      if (r.broadcast === true) return `${map}: broadcast${r.excludeIngress === true ? ' excluding ingress' : ''}`;
      const to = r.cpu !== undefined ? `cpu ${r.cpu}` : r.queue !== undefined ? `queue ${r.queue} socket ${r.socket ?? '?'}` : `ifindex ${r.ifindex ?? '?'}`;
      return `${map} key ${r.key ?? '?'}: ${to}`;
    }
  }
}

/** A clone's target: `ifindex 3`, or `ifindex 3 ingress` with `BPF_F_INGRESS`. */
export function cloneTarget(c: SkbClone): string {
  return `ifindex ${c.ifindex}${(c.flags & 1) !== 0 ? ' ingress' : ''}`;
}
