/**
 * A generator of small kernel-style programs for the differential test against the kernel's verifier:
 * each program is a few snippets (packet accesses with or without a range check, map lookups with or
 * without a null check, stack stores and loads, context reads and writes, pointer arithmetic, loops
 * with a bound or without) chosen and parametrised by a seeded random generator, so that about half are
 * unsafe in some way. Deterministic for a seed.
 */
import type { MapInfo } from '../../src/verifier/analysis/index.js';
import { rng as rngU32 } from '../kernel/packets.js';

/** The maps every generated program may use, by `lddw` immediate. */
export const GEN_MAPS: Readonly<Record<number, MapInfo>> = {
  1: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4 }, // array
  2: { type: 1, keySize: 8, valueSize: 8, maxEntries: 16 }, // hash
};

export interface Generated {
  readonly type: 'xdp' | 'sched_cls' | 'socket_filter';
  readonly source: string;
}

/** The seeded generator the kernel tests use, as a fraction in [0, 1). */
function rng(seed: number): () => number {
  const next = rngU32(seed);
  return () => next() / 4294967296;
}

/** Generate `count` programs from `seed`. */
export function generatePrograms(seed: number, count: number): Generated[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const out: Generated[] = [];
  for (let n = 0; n < count; n++) {
    const type = pick(['xdp', 'sched_cls', 'socket_filter'] as const);
    const lines: string[] = ['r6 = r1'];
    let label = 0;
    const L = (): string => `L${n}_${label++}`;
    const snippets = int(1, 3);
    for (let s = 0; s < snippets; s++) {
      const kind = pick(['packet', 'map', 'stack', 'ctx', 'ptrmath', 'loop', 'index', 'uninit'] as const);
      switch (kind) {
        case 'packet': {
          const [d, e] = type === 'xdp' ? [0, 4] : [76, 80];
          const check = int(1, 24);
          const size = pick([1, 2, 4, 8]);
          // mostly inside the checked range, sometimes one byte past it
          const at = r() < 0.7 ? Math.max(0, check - size - int(0, 4)) : int(0, 24);
          const out = L();
          const form = int(0, 3);
          lines.push(`r2 = *(u32 *)(r6 + ${d})`, `r3 = *(u32 *)(r6 + ${e})`, 'r4 = r2', `r4 += ${check}`);
          if (form === 0) lines.push(`if r4 > r3 goto ${out}`);
          else if (form === 1) lines.push(`if r3 < r4 goto ${out}`);
          else if (form === 2) lines.push(`if r4 >= r3 goto ${out}`);
          // form 3: no check at all
          lines.push(`r0 = *(u${size * 8} *)(r2 + ${at})`, `${out}:`);
          break;
        }
        case 'map': {
          const fd = pick([1, 2]);
          const keySize = fd === 1 ? 4 : 8;
          const off = int(0, 18);
          const size = pick([1, 2, 4, 8]);
          const out = L();
          lines.push('r1 = 0', `*(u${keySize * 8} *)(r10 - 8) = r1`, 'r2 = r10', 'r2 += -8', `r1 = map_fd ${fd} ll`, 'call 1');
          if (r() < 0.8) lines.push(`if r0 == 0 goto ${out}`);
          lines.push(r() < 0.5 ? `r1 = *(u${size * 8} *)(r0 + ${off})` : `*(u${size * 8} *)(r0 + ${off}) = 1`, `${out}:`);
          break;
        }
        case 'stack': {
          const size = pick([1, 2, 4, 8]);
          const off = -8 * int(1, 66) + (r() < 0.1 ? int(1, 7) : 0);
          if (r() < 0.8) lines.push(`*(u${size * 8} *)(r10 ${off}) = ${int(0, 9)}`);
          lines.push(`r1 = *(u${(r() < 0.8 ? size : pick([1, 2, 4, 8])) * 8} *)(r10 ${off})`);
          break;
        }
        case 'ctx': {
          const off = pick([0, 4, 8, 12, 16, 20, 24, 48, 52, 64, 68, 76, 80, 140, 200]);
          const size = pick([1, 2, 4, 4, 4, 4, 8]);
          if (r() < 0.3) lines.push(`r1 = 3`, `*(u${size * 8} *)(r6 + ${off}) = r1`);
          else lines.push(`r1 = *(u${size * 8} *)(r6 + ${off})`);
          break;
        }
        case 'ptrmath': {
          const op = pick(['+=', '+=', '+=', '-=', '*=', '&=']);
          lines.push('r1 = r10', `r1 ${op} ${op === '+=' ? -int(1, 16) : int(1, 16)}`, 'r2 = r1');
          if (r() < 0.5) lines.push('*(u8 *)(r2 - 1) = 0');
          break;
        }
        case 'loop': {
          const bound = pick([3, 10, 100, 1000]);
          const step = pick([1, 1, 2, 0]);
          const head = L();
          lines.push('r7 = 0', `${head}:`, `r7 += ${step}`, `if r7 < ${bound} goto ${head}`);
          break;
        }
        case 'index': {
          const mask = pick([7, 15, 31]);
          const out = L();
          lines.push('r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', `if r0 == 0 goto ${out}`, 'r7 = r0', 'call 7', `r0 &= ${mask}`, 'r7 += r0', 'r1 = *(u8 *)(r7 + 0)', `${out}:`);
          break;
        }
        case 'uninit': {
          lines.push(`r0 = r${pick([2, 3, 4, 5, 7, 8, 9])}`);
          break;
        }
      }
    }
    lines.push('r0 = 0', 'exit');
    out.push({ type, source: lines.join('\n') });
  }
  return out;
}
