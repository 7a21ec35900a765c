/**
 * What the capture runner measures and counts, in fixed memory whatever the number of packets: a
 * latency histogram (log-linear buckets: 8 per power of two, so percentiles are within 1/8 of the
 * true value) with the warm-up packets kept apart, and verdict counts by number.
 * @module
 */

/** Sub-buckets per power of two. */
const SUB = 8;
/** Buckets: up to 2^40 ns (18 minutes) per packet. */
const BUCKETS = 41 * SUB;

/** Histogram of per-packet times in nanoseconds. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** Packets recorded. */
  count = 0;
  /** Sum of their times (ns). */
  totalNs = 0;

  /** Record one time. */
  add(ns: number): void {
    this.count++;
    this.totalNs += ns;
    this.counts[bucketOf(ns)]!++;
  }

  /** Mean time (ns), 0 when empty. */
  get meanNs(): number {
    return this.count === 0 ? 0 : this.totalNs / this.count;
  }

  /** The upper bound of the bucket holding the `q` quantile (0 < q ≤ 1), 0 when empty. */
  quantileNs(q: number): number {
    if (this.count === 0) return 0;
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= want) return upperOf(b);
    }
    return upperOf(BUCKETS - 1);
  }

  /** Coarse buckets (one per power of two, from the first non-empty to the last): `[upToNs, packets]`. */
  coarse(): [number, number][] {
    const out: [number, number][] = [];
    for (let p = 0; p < BUCKETS / SUB; p++) {
      let n = 0;
      for (let s = 0; s < SUB; s++) n += this.counts[p * SUB + s]!;
      out.push([2 ** (p + 1), n]);
    }
    let first = out.findIndex(([, n]) => n > 0);
    let last = out.length - 1;
    while (last >= 0 && out[last]![1] === 0) last--;
    if (first < 0) return [];
    first = Math.max(0, first);
    return out.slice(first, last + 1);
  }
}

/** Bucket of `ns`: 8 linear steps within each power of two. */
function bucketOf(ns: number): number {
  if (!(ns >= 1)) return 0;
  if (ns >= 8 && ns < 4294967296) {
    // Integer arithmetic for the usual times: the power of two from the leading zeros, the step from the
    // next 3 bits (from 8 ns on, bucket bounds are whole nanoseconds, so dropping the fraction is exact).
    const n = ns >>> 0;
    const p = 31 - Math.clz32(n);
    return p * SUB + ((n >>> (p - 3)) & 7);
  }
  const p = Math.min(40, Math.floor(Math.log2(ns)));
  const base = 2 ** p;
  const s = Math.min(SUB - 1, Math.floor(((ns - base) / base) * SUB));
  return p * SUB + s;
}

function upperOf(b: number): number {
  const p = Math.floor(b / SUB);
  const s = b % SUB;
  return 2 ** p * (1 + (s + 1) / SUB);
}

/** `1.23 µs`, `456 ns`, `2.00 ms`. */
export function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Counts by verdict number: an array for the small ones, a map for the rest. */
export class VerdictCounts {
  private readonly small = new Float64Array(16);
  private readonly other = new Map<number | bigint | string, number>();

  /** Count one verdict. */
  add(key: number): void {
    if (key >= 0 && key < 16) this.small[key]!++;
    else this.other.set(key, (this.other.get(key) ?? 0) + 1);
  }

  /** Count one verdict with a key that is not a small number (a 64-bit r0, an error code). */
  addKey(key: bigint | string): void {
    this.other.set(key, (this.other.get(key) ?? 0) + 1);
  }

  /** Every verdict seen with its count, in numeric order (strings, such as error verdicts, last). */
  entries(): [number | bigint | string, number][] {
    const out: [number | bigint | string, number][] = [...this.other];
    for (let k = 0; k < 16; k++) if (this.small[k]! > 0) out.push([k, this.small[k]!]);
    const num = (k: number | bigint | string): number => (typeof k === 'string' ? Number.POSITIVE_INFINITY : Number(k));
    return out.sort((a, b) => num(a[0]) - num(b[0]));
  }
}
