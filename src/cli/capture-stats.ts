/**
 * What the capture runner measures and counts, in fixed memory whatever the number of packets: a
 * latency histogram (log-linear buckets: 8 per power of two, so percentiles are within 1/8 of the
 * true value) with the warm-up packets kept apart, instructions per packet, and verdict counts by number.
 * @module
 */

/** Sub-buckets per power of two. */
const SUB = 8;
/** Buckets: up to 2^40 ns (18 minutes) per packet. */
const BUCKETS = 41 * SUB;

/**
 * Histogram of per-packet times in nanoseconds. A sampled one (capture-timing.ts) records each timed
 * packet with a weight, the packets it stands for, and may be given its exact elapsed time
 * ({@link span}) for the mean.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** Packets recorded (the sum of the weights: with sampling, an estimate). */
  count = 0;
  /** Packets timed (calls of {@link add}). */
  timed = 0;
  /** Sum of their times (ns), weighted. */
  totalNs = 0;
  /** Packets and elapsed time (ns) of the whole phase, when {@link span} gave them (packets 0: not given). */
  private spanPackets = 0;
  private spanNs = 0;

  /** Record one time, standing for `weight` packets (1 when every packet is timed). */
  add(ns: number, weight = 1): void {
    this.timed++;
    this.count += weight;
    this.totalNs += ns * weight;
    this.counts[bucketOf(ns)]! += weight;
  }

  /** The phase had `packets` packets in `ns` in all: the mean is then exact, whatever was sampled. */
  span(packets: number, ns: number): void {
    this.spanPackets = packets;
    this.spanNs = ns;
  }

  /** Whether {@link meanNs} is exact (a span was given) rather than the timed packets' weighted mean. */
  get exactMean(): boolean {
    return this.spanPackets > 0;
  }

  /** Mean time (ns): the elapsed time over the packets when {@link span} gave it, else the timed packets' mean; 0 when empty. */
  get meanNs(): number {
    if (this.spanPackets > 0) return this.spanNs / this.spanPackets;
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

  /** Count one verdict (`packets` of it: 1 unless given): a number, a 64-bit r0 or an error's name. */
  add(key: number | bigint | string, packets = 1): void {
    if (typeof key === 'number' && key >= 0 && key < 16) this.small[key]! += packets;
    else this.other.set(key, (this.other.get(key) ?? 0) + packets);
  }

  /** Every verdict seen with its count, in numeric order (strings, such as error verdicts, last). */
  entries(): [number | bigint | string, number][] {
    const out: [number | bigint | string, number][] = [...this.other];
    for (let k = 0; k < 16; k++) if (this.small[k]! > 0) out.push([k, this.small[k]!]);
    const num = (k: number | bigint | string): number => (typeof k === 'string' ? Number.POSITIVE_INFINITY : Number(k));
    return out.sort((a, b) => num(a[0]) - num(b[0]));
  }
}

/** Instructions per packet counted exactly below this; longer runs go in one bucket per power of two. */
const EXACT_INSTRUCTIONS = 4096;

/**
 * Instructions per packet (the budget each run was charged), in fixed memory: exact counts up to
 * 4095 instructions, one bucket per power of two beyond.
 */
export class InstructionCounts {
  private readonly exact = new Float64Array(EXACT_INSTRUCTIONS);
  /** Runs of at least EXACT_INSTRUCTIONS by power of two (bucket p: [2^p, 2^(p+1))). */
  private readonly wide = new Float64Array(64);
  /** Packets counted. */
  count = 0;
  /** Instructions of all of them. */
  total = 0;
  /** Fewest and most instructions of a packet (0 when empty). */
  min = 0;
  max = 0;

  /** Count one packet's run of `n` instructions (a non-negative integer); `packets` such runs when given. */
  add(n: number, packets = 1): void {
    if (this.count === 0 || n < this.min) this.min = n;
    if (n > this.max) this.max = n;
    this.count += packets;
    this.total += n * packets;
    if (n < EXACT_INSTRUCTIONS) this.exact[n]! += packets;
    else this.wide[Math.min(63, Math.floor(Math.log2(n)))]! += packets;
  }

  /** Mean instructions per packet, 0 when empty. */
  get mean(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  /** The `q` quantile (0 < q ≤ 1): exact below 4096, else the upper bound of its power-of-two bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const want = Math.ceil(q * this.count);
    let seen = 0;
    for (let n = 0; n < EXACT_INSTRUCTIONS; n++) {
      seen += this.exact[n]!;
      if (seen >= want) return n;
    }
    for (let p = 0; p < 64; p++) {
      seen += this.wide[p]!;
      if (seen >= want) return Math.min(this.max, 2 ** (p + 1) - 1);
    }
    return this.max;
  }

  /** Each distinct count with its packets, fewest instructions first, when there are at most `most` of them (all exact); else undefined. */
  values(most = 16): [number, number][] | undefined {
    if (this.count === 0 || this.max >= EXACT_INSTRUCTIONS) return undefined;
    const out: [number, number][] = [];
    for (let n = this.min; n <= this.max; n++) {
      const k = this.exact[n]!;
      if (k === 0) continue;
      if (out.length === most) return undefined;
      out.push([n, k]);
    }
    return out;
  }

  /** One bucket per power of two, from the first non-empty to the last: `[upTo, packets]`, packets of fewer than `upTo` instructions. */
  coarse(): [number, number][] {
    const buckets = new Float64Array(64);
    for (let n = 0; n < EXACT_INSTRUCTIONS; n++) if (this.exact[n]! > 0) buckets[n === 0 ? 0 : 31 - Math.clz32(n)]! += this.exact[n]!;
    for (let p = 0; p < 64; p++) buckets[p]! += this.wide[p]!;
    let first = 0;
    while (first < 64 && buckets[first] === 0) first++;
    let last = 63;
    while (last >= 0 && buckets[last] === 0) last--;
    const out: [number, number][] = [];
    for (let p = first; p <= last; p++) out.push([2 ** (p + 1), buckets[p]!]);
    return out;
  }
}
