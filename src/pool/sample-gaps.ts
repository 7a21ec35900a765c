/**
 * Gaps between sampled items (timed packets): uniform in [1, 2 × mean - 1], so their mean is `mean`,
 * drawn by xorshift32 from a fixed seed, so that items repeating in a cycle are not sampled in step
 * with it and the same input is sampled at the same items every run. Shared by the one-thread capture
 * runner's timer (cli/capture-timing.ts) and a pool thread's clock (pool/run-batch.ts).
 * @module
 */

/** See the module comment. */
export class SampleGaps {
  private seed = 0x2545f491;

  /** The next gap for a mean interval of `mean` (1: every item). */
  next(mean: number): number {
    if (mean === 1) return 1;
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x;
    return 1 + ((x >>> 0) % (2 * mean - 1));
  }
}
