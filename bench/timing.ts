/**
 * Timing loop shared by the engines: warm up, calibrate a batch size, then take the best of several
 * batches (the same method as native/driver.c, so the ratios compare like with like). The best rather
 * than the median because the bench machine is shared: interference only ever adds time.
 * @module
 */

/** Options for {@link timeRuns}. */
export interface TimingOptions {
  /** Total milliseconds to spend measuring (warm-up excluded). */
  readonly budgetMs: number;
  /** Milliseconds of warm-up (V8 tiers up hot functions during it). */
  readonly warmupMs: number;
  /** Called after every run with its result; throw to stop (a wrong or changing result). */
  readonly check: (r0: bigint) => void;
}

/** The outcome of a timing. */
export interface Timing {
  /** Nanoseconds per run in the fastest batch. */
  readonly ns: number;
  /** Nanoseconds per run, median of the batches (to judge the noise). */
  readonly medianNs: number;
  /** Runs measured (warm-up excluded). */
  readonly runs: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Geometric mean of positive values (NaN when there are none). */
export function geomean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** Time `run` (which must be idempotent) and return the time per run of the fastest batch. */
export function timeRuns(run: () => bigint, options: TimingOptions): Timing {
  const { check } = options;
  const now = (): number => performance.now();
  const warmStart = now();
  const warmEnd = warmStart + options.warmupMs;
  let warmRuns = 0;
  while (warmRuns < 2 || now() < warmEnd) {
    check(run());
    warmRuns++;
  }
  // The warm-up's later runs are the tiered-up speed; its average is a safe (high) estimate per run.
  const single = (now() - warmStart) / warmRuns;
  // At least 3 batches even when one run takes longer than budget / 8.
  const batches = Math.max(3, Math.min(8, Math.floor(options.budgetMs / Math.max(single, 1e-6))));
  const runs = Math.max(1, Math.ceil(options.budgetMs / batches / Math.max(single, 1e-6)));
  const perRun: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = now();
    for (let i = 0; i < runs; i++) check(run());
    perRun.push(((now() - t0) * 1e6) / runs);
  }
  return { ns: Math.min(...perRun), medianNs: median(perRun), runs: runs * batches };
}
