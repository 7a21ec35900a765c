/**
 * Whether the interpreter's WebAssembly core pays for a program: the statistics of its hand-overs to the
 * JS loop, by pre-decoded program.
 * @module
 */
import type { InterpreterCode } from './interpreter-decode.js';

/**
 * How a program fares in the core: a hand-over to the JS loop and back costs about as much as a few
 * hundred instructions run in JS, so a program that hands over after fewer than MIN_CORE_RUN instructions
 * on average (a short program calling helpers, say) runs in the JS loop alone once that is clear.
 */
export class CoreStats {
  private handOvers = 0;
  private instructions = 0;
  /** Set once the core does not pay for this program. */
  jsOnly = false;

  /** The core handed a run over after `instructions` (charged since it started or resumed it). */
  handOver(instructions: number): void {
    this.handOvers++;
    this.ran(instructions);
  }

  /** The core ran `instructions` of a run it was given back. */
  ran(instructions: number): void {
    this.instructions += instructions;
    if (this.handOvers >= 16 && this.instructions < this.handOvers * MIN_CORE_RUN) this.jsOnly = true;
  }
}

/** Instructions the core must run per hand-over, on average, for a program to keep using it. */
const MIN_CORE_RUN = 400;

const coreStats = new WeakMap<InterpreterCode, CoreStats>();
let lastStatsCode: InterpreterCode | undefined;
let lastStats: CoreStats | undefined;

/** The statistics of `code` (the last one asked for is kept at hand: a program usually runs many times in a row). */
export function coreStatsOf(code: InterpreterCode): CoreStats {
  if (code === lastStatsCode) return lastStats!;
  let stats = coreStats.get(code);
  if (stats === undefined) {
    stats = new CoreStats();
    coreStats.set(code, stats);
  }
  lastStatsCode = code;
  lastStats = stats;
  return stats;
}
