/**
 * Time per packet for the one-thread capture runner, without a clock read per packet: the warm-up
 * packets are each timed, then the steady state is sampled. Its mean stays exact (one clock read where
 * the warm-up ends and one at the end: the elapsed time over the packets), while its median, p99 and
 * histogram come from packets timed at random intervals (each the time from the end of the packet
 * before it to its own end, as when every packet was timed), weighted by the interval so that they
 * estimate the whole steady state. The interval starts at 1 (every packet timed: small captures are
 * timed exactly) and doubles each time {@link SAMPLES_PER_RATE} packets were timed at it, up to
 * {@link MAX_INTERVAL}; the gaps between timed packets are pool/sample-gaps.ts's (random around the
 * interval, from a fixed seed: the same capture is sampled at the same packets every run).
 * @module
 */
import { SampleGaps } from '../pool/sample-gaps.js';
import { LatencyHistogram } from './capture-stats.js';

/** Packets timed as warm-up (V8 and the engine settling), reported apart. */
export const WARMUP = 1000;
/** Packets timed at one interval before it doubles. */
export const SAMPLES_PER_RATE = 4096;
/** The longest mean interval between timed packets. */
export const MAX_INTERVAL = 64;

/** See the module comment. */
export class PacketTimer {
  /** The warm-up packets, each timed. */
  readonly warm = new LatencyHistogram();
  /** The steady state: sampled, with its exact mean set by {@link finish}. */
  readonly steady = new LatencyHistogram();
  private warmup = WARMUP;
  /**
   * Clock readings, in an array so that storing one allocates nothing: [0] the end of the packet before
   * the next timed one (during the warm-up: of the last packet), [1] the end of the warm-up.
   */
  private readonly t = new Float64Array(2);
  /** Packets of the steady state so far. */
  private packets = 0;
  /** Packets until the next timed one (it is timed when this reaches 0). */
  private left = 1;
  private interval = 1;
  private atRate = 0;
  /** Packets between timed ones (fixed seed: runs sample the same packets). */
  private readonly gaps = new SampleGaps();

  constructor() {
    this.t[0] = performance.now();
  }

  /** The time per packet is sampled (some steady-state packets were not timed). */
  get sampled(): boolean {
    return this.steady.timed < this.packets;
  }

  /**
   * Called when a packet's processing ends: returns the clock when this call read it (for progress),
   * else -1.
   */
  tick(): number {
    if (this.warmup > 0) {
      const now = performance.now();
      const t = this.t;
      this.warm.add((now - t[0]!) * 1e6);
      t[0] = now;
      if (--this.warmup === 0) t[1] = now;
      return now;
    }
    this.packets++;
    const left = --this.left;
    if (left > 1) return -1;
    const now = performance.now();
    const t = this.t;
    if (left === 1) {
      // The packet before the timed one: its end is the timed one's start.
      t[0] = now;
      return now;
    }
    this.steady.add((now - t[0]!) * 1e6, this.interval);
    t[0] = now;
    if (++this.atRate === SAMPLES_PER_RATE && this.interval < MAX_INTERVAL) {
      this.interval *= 2;
      this.atRate = 0;
    }
    this.left = this.gaps.next(this.interval);
    return now;
  }

  /** The run's packets are done: the steady state's mean becomes its elapsed time over its packets. */
  finish(): void {
    if (this.packets > 0) this.steady.span(this.packets, (performance.now() - this.t[1]!) * 1e6);
  }
}
