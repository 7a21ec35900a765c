/**
 * What the rule-family templates of families.ts and families-rules.ts share: the random draw a template
 * takes, and the program fragments they build from (a map lookup, a random number, packet fields).
 */
import type { KernelProgramType } from '../../src/verifier/index.js';

/** The random choices a template draws from. */
export interface Draw {
  /** A fraction in [0, 1). */
  r(): number;
  pick<T>(xs: readonly T[]): T;
  int(lo: number, hi: number): number;
  /** True with probability p. */
  p(p: number): boolean;
}

/** One template: a program drawn from `d`. */
export type Template = (d: Draw) => { type: KernelProgramType; lines: string[]; funcInfo?: boolean; progFlags?: number };

/** Access sizes in bytes. */
export const SIZES = [1, 2, 4, 8] as const;
/** The C type of an access of `size` bytes (`u8` ... `u64`). */
export const u = (size: number): string => `u${size * 8}`;

/** A lookup of key 0 (spilled at fp-8) in map `fd`; r0 = the value or null. */
export const lookup = (fd: number, keySize = fd === 2 ? 8 : 4): string[] => ['r1 = 0', `*(${u(keySize)} *)(r10 - 8) = r1`, 'r2 = r10', 'r2 += -8', `r1 = map_fd ${fd} ll`, 'call 1'];
/** A random number in r0 (bpf_get_prandom_u32). */
export const RANDOM = 'call 7';
/** The packet program types and where their data / data_end / data_meta fields are. */
export const PKT: Record<'xdp' | 'sched_cls', { data: number; end: number; meta: number }> = { xdp: { data: 0, end: 4, meta: 8 }, sched_cls: { data: 76, end: 80, meta: 140 } };

