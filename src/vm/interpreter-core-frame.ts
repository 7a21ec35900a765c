/**
 * Frame accesses in the interpreter's WebAssembly core: a load or store whose base is r10 and whose bytes
 * lie below it (`*(u64 *)(r10 - 8)`, clang's spills and fills) gets an operation of its own in the core's
 * copy of the words, whose case computes the linear address as r10 + offset + (the stack's linear offset -
 * its virtual address), with no region cache compare and no stack mark.
 *
 * This is sound only for a run whose stack region holds every frame such an access can address, which
 * {@link frameAccessesFit} checks once per run (the core then runs these words, else a copy without the
 * frame operations, where each access takes the checked path and fails as before): r10 is never written
 * by the program (it is only r10 at entry, or a callee's r10 = that less depth × the frame size, which
 * the core computes itself), every rewritten access lies in `[r10 - reach, r10)`, and `[r10 - (maxDepth -
 * 1) × frame - reach, r10)` lies in the stack region. The stack mark (vm/stack) needs no update: stores
 * with r10 as their base are the program's `StackFootprint`, which the run's starting mark covers (the
 * whole stack when the program makes local calls).
 * @module
 */
import { FRAME_POINTER } from '../isa/opcodes.js';
import { writesFramePointer } from '../verifier/fields.js';
import type { Program } from './program.js';
import { FUSED_BASE, OP_MASK, OP_NAMES, SLOT_WORDS, SRC_SHIFT, DST_SHIFT } from './interpreter-decode.js';
import { coreParts, frameVariant } from './interpreter-core-fused.js';
import type { Region } from './memory.js';

/** The frame operations: a base load or store and its core-only number (free numbers below the superinstructions: the order of the cases decides which TurboFan places at the loop's top). */
export const FRAME_OPS: readonly { readonly base: string; readonly num: number }[] = [
  { base: 'ldxw', num: 165 },
  { base: 'ldxdw', num: 166 },
  { base: 'stxw', num: 167 },
  { base: 'stxdw', num: 168 },
];

/** Name of the frame operation of base operation `base` (`ldxdw` -> `ldxdw_fp`). */
export function frameOpName(base: string): string {
  return `${base}_fp`;
}

const FRAME_OF = new Map<number, number>(FRAME_OPS.map((f) => [OP_NAMES.indexOf(f.base), f.num]));
for (const [base] of FRAME_OF) if (base < 0) throw new Error('internal: a frame operation has no base operation');
const LOAD_SIZE: Readonly<Record<string, number>> = { ldxw: 4, ldxdw: 8, stxw: 4, stxdw: 8 };

/**
 * Rewrite, in `words` (a program's words in the JS loop's form, as the core re-fused them), every base
 * load or store listed in {@link FRAME_OPS} whose base is r10 and whose bytes lie below r10 to its frame
 * operation, and every superinstruction with such parts to its variant with them as frame accesses, where
 * the core's list has one (interpreter-core-fused.ts's moves); returns the deepest byte below r10 they reach (0: none rewritten, or the program writes r10).
 */
export function frameAccesses(words: Int32Array, n: number, program: Program): number {
  if (writesFramePointer(program.insns)) return 0;
  const rewrites: number[] = [];
  let reach = 0;
  /** The bytes below r10 the access `name` at slot `pc` reaches, or 0 when it is no frame access. */
  const below = (name: string, pc: number): number => {
    const size = LOAD_SIZE[name];
    if (size === undefined) return 0;
    const w = words[pc * SLOT_WORDS]!;
    const base = name.startsWith('ldx') ? (w >>> SRC_SHIFT) & 31 : (w >>> DST_SHIFT) & 31;
    const off = words[pc * SLOT_WORDS + 2]!;
    return base === 2 * FRAME_POINTER && off + size <= 0 ? -off : 0;
  };
  for (let pc = 0; pc < n; pc++) {
    const at = pc * SLOT_WORDS;
    const num = words[at]! & OP_MASK;
    const frame = FRAME_OF.get(num);
    if (frame !== undefined) {
      const deepest = below(OP_NAMES[num]!, pc);
      if (deepest === 0) continue;
      reach = Math.max(reach, deepest);
      rewrites.push(at, frame);
      continue;
    }
    // A superinstruction whose parts include frame accesses: its variant with those parts as such, if any.
    const parts = num >= FUSED_BASE ? coreParts(num) : undefined;
    if (parts === undefined || !parts.some((p) => LOAD_SIZE[p] !== undefined)) continue;
    let fp = 0;
    let deepest = 0;
    parts.forEach((p, k) => {
      const d = below(p, pc + k);
      if (d > 0) {
        fp |= 1 << k;
        deepest = Math.max(deepest, d);
      }
    });
    const variant = fp === 0 ? undefined : frameVariant(num, fp);
    if (variant === undefined) continue;
    reach = Math.max(reach, deepest);
    rewrites.push(at, variant);
  }
  for (let i = 0; i < rewrites.length; i += 2) words[rewrites[i]!] = (words[rewrites[i]!]! & ~OP_MASK) | rewrites[i + 1]!;
  return reach;
}

/**
 * Whether a run may use words with frame operations reaching `reach` bytes below r10: r10 at entry is
 * `r10`, frames `frame` bytes apart down to depth `maxDepth - 1`, and `stack` the run's stack region.
 */
export function frameAccessesFit(reach: number, r10: number, stack: Region | undefined, frame: number, maxDepth: number): boolean {
  if (stack === undefined) return false;
  const top = stack.vaddr + stack.size;
  const lowest = r10 - Math.max(maxDepth - 1, 0) * frame - reach;
  return r10 <= top && lowest >= stack.vaddr && (maxDepth <= 1 || reach <= frame);
}
