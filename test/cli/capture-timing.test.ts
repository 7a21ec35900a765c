import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_INTERVAL, PacketTimer, SAMPLES_PER_RATE, WARMUP } from '../../src/cli/capture-timing.js';

/** A clock that advances by `step(i)` ms at the i-th packet's end (i from 0), counting its reads. */
function fakeClock(step: (i: number) => number): { reads: () => number; advance: (i: number) => void } {
  let now = 0;
  let reads = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => {
    reads++;
    return now;
  });
  return { reads: () => reads, advance: (i) => (now += step(i)) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('PacketTimer', () => {
  it('times every warm-up packet and every packet of a short steady state: exact times, one clock read each', () => {
    // Packet i takes (i % 7 + 1) µs.
    const clock = fakeClock((i) => ((i % 7) + 1) / 1000);
    const t = new PacketTimer();
    const n = WARMUP + 3000;
    for (let i = 0; i < n; i++) {
      clock.advance(i);
      t.tick();
    }
    t.finish();
    expect(t.warm.count).toBe(WARMUP);
    expect(t.steady.timed).toBe(3000);
    expect(t.steady.count).toBe(3000);
    expect(t.sampled).toBe(false);
    expect(clock.reads()).toBe(1 + n + 1);
    let sum = 0;
    for (let i = WARMUP; i < n; i++) sum += (i % 7) + 1;
    expect(t.steady.meanNs).toBeCloseTo((sum / 3000) * 1000, 6);
  });

  it('samples a long steady state at random intervals: few clock reads, the exact mean, weights that add up to the packets', () => {
    // Packets cycle through 8 times (a capture that repeats): 1 µs, except every 8th, 50 µs.
    const clock = fakeClock((i) => (i % 8 === 7 ? 50 : 1) / 1000);
    const t = new PacketTimer();
    const steady = 1_000_000;
    const n = WARMUP + steady;
    for (let i = 0; i < n; i++) {
      clock.advance(i);
      t.tick();
    }
    t.finish();
    expect(t.sampled).toBe(true);
    // The interval doubles from 1 to MAX_INTERVAL, SAMPLES_PER_RATE timed packets at each.
    const rates = Math.log2(MAX_INTERVAL);
    const early = SAMPLES_PER_RATE * (2 ** rates - 1);
    const expected = rates * SAMPLES_PER_RATE + (steady - early) / MAX_INTERVAL;
    expect(Math.abs(t.steady.timed - expected)).toBeLessThan(expected * 0.05);
    // Two reads per timed packet at most, beside the warm-up's.
    expect(clock.reads() - WARMUP - 2).toBeLessThanOrEqual(2 * t.steady.timed);
    expect(Math.abs(t.steady.count - steady)).toBeLessThan(steady * 0.02);
    // The mean is exact: 7 packets of 1 µs and one of 50 µs in every 8.
    expect(t.steady.meanNs).toBeCloseTo(((7 + 50) / 8) * 1000, 3);
    // Sampling at random, not in step with the cycle: one packet in 8 (12.5%) is slow.
    expect(Math.abs(t.steady.quantileNs(0.85) - t.steady.quantileNs(0.5))).toBeLessThan(200);
    expect(t.steady.quantileNs(0.9)).toBeGreaterThan(40_000);
    const slow = t.steady.coarse().filter(([upTo]) => upTo > 32_768).reduce((k, [, c]) => k + c, 0);
    expect(Math.abs(slow / t.steady.count - 0.125)).toBeLessThan(0.01);
  });

  it('samples the same packets every run (a fixed seed)', () => {
    const timed: number[][] = [];
    for (let run = 0; run < 2; run++) {
      let i = 0;
      const seen: number[] = [];
      vi.spyOn(performance, 'now').mockImplementation(() => {
        seen.push(i);
        return i;
      });
      const t = new PacketTimer();
      for (i = 0; i < 40_000; i++) t.tick();
      timed.push(seen);
      vi.restoreAllMocks();
    }
    expect(timed[0]).toEqual(timed[1]);
  });
});
