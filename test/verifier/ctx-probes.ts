/**
 * Context probes for a program type (and expected attach type): a load, a register store and an
 * immediate store of each size at each offset of the context and a little past it, each program
 * returning a value the type accepts; plus the return values around the type's range. The kernel
 * (BPF_PROG_LOAD) judges each; kernel-ctx-types.test.ts compares the analysis with it.
 */
import { ATTACH_TYPES, type AttachType, type ProgramType } from '../../src/verifier/analysis/index.js';
import { returnRange } from '../../src/verifier/analysis/program-types.js';

/** A program type as the kernel loads it: its expected attach type, and how far to probe its context. */
export interface ProbeConfig {
  readonly type: ProgramType;
  readonly attach?: AttachType;
  /** The context's size in bytes (probes go 8 bytes past it). */
  readonly size: number;
  /** Probe misaligned offsets too (they are refused by one general rule; one config per layout is enough). */
  readonly misaligned?: boolean;
}

/** One probe: its name and source. */
export interface Probe {
  readonly name: string;
  readonly src: string;
}

const T = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/** A value the type's programs may return. */
export function okReturn(c: ProbeConfig): bigint {
  return returnRange(c.type, c.attach)?.[0] ?? 0n;
}

/** Loads and stores at every offset and size (aligned ones unless `misaligned`). */
export function ctxProbes(c: ProbeConfig): Probe[] {
  const ret = okReturn(c);
  const out: Probe[] = [];
  for (let off = 0; off < c.size + 8; off++) {
    for (const [n, t] of Object.entries(T)) {
      if (c.misaligned !== true && off % Number(n) !== 0) continue;
      out.push({ name: `load ${off}/${n}`, src: `r0 = *(${t} *)(r1 + ${off})\nr0 = ${ret}\nexit` });
      out.push({ name: `store ${off}/${n}`, src: `r2 = 0\n*(${t} *)(r1 + ${off}) = r2\nr0 = ${ret}\nexit` });
      out.push({ name: `store imm ${off}/${n}`, src: `*(${t} *)(r1 + ${off}) = 0\nr0 = ${ret}\nexit` });
    }
  }
  return out;
}

/** Returning each of -1 to 4, and a number the program cannot bound. */
export function returnProbes(): Probe[] {
  return [...[-1, 0, 1, 2, 3, 4].map((r) => ({ name: `return ${r}`, src: `r0 = ${r}\nexit` })), { name: 'return unknown', src: 'call 7\nexit' }];
}

/** The kernel's number for a config's attach type (0: none). */
export function attachNumber(c: ProbeConfig): number {
  return c.attach === undefined ? 0 : ATTACH_TYPES[c.attach];
}
