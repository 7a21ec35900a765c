import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyHistogram } from '../../src/cli/capture-stats.js';

describe('LatencyHistogram', () => {
  it('puts every time in a bucket whose upper bound is within 1/8 above it (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 39, noNaN: true }), (ns) => {
        const h = new LatencyHistogram();
        h.add(ns);
        const q = h.quantileNs(1);
        expect(q).toBeGreaterThan(ns);
        expect(q).toBeLessThanOrEqual(ns * 1.125 + 1e-9);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });

  it('quantiles, mean and coarse buckets of a known set', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 90; i++) h.add(1000);
    for (let i = 0; i < 10; i++) h.add(100_000);
    expect(h.count).toBe(100);
    expect(h.meanNs).toBe(10_900);
    expect(h.quantileNs(0.5)).toBeGreaterThan(1000);
    expect(h.quantileNs(0.5)).toBeLessThanOrEqual(1125);
    expect(h.quantileNs(0.99)).toBeGreaterThan(100_000);
    expect(h.coarse().reduce((n, [, c]) => n + c, 0)).toBe(100);
    expect(new LatencyHistogram().quantileNs(0.5)).toBe(0);
  });
});
