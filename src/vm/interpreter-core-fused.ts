/**
 * The WebAssembly core's own superinstructions: a longer list than the JS run loop's {@link FUSED} (100
 * runs chosen by frequency, 53 pairs and 47 triples, against 40 and 5; 15 memory-to-memory moves chosen
 * by rule; and 52 variants of these runs with their word accesses as spills and fills, below), which the core affords because it never deoptimizes
 * (the JS loop's size is bounded by V8's re-optimisation after a deopt). The core re-fuses its copy of a
 * program's words with this list ({@link coreFuse}); the JS loop keeps FUSED in its own words. Both fuse
 * only inside a basic block and leave the later slots of a run as they were, so either engine can
 * continue a run at any slot.
 *
 * Chosen as FUSED is, `npx tsx bench/superinstructions.ts 53 47` (greedy, by a static frequency estimate
 * over the benchmark programs). Its length is measured, not free: every case enlarges the core's one run
 * function, and a longer list did not pay: 150 entries (held-out dispatches per executed instruction
 * 0.751 against 0.769) ran level with these 100 over four processes (docs/benchmarks.md, 2026-12-07).
 * @module
 */
import { COST_SHIFT, FUSED, FUSED_BASE, fuseRuns, fusedTable, OP_MASK, OP_NAMES, SLOT_WORDS } from './interpreter-decode.js';

/** The runs chosen by frequency (see the module comment). */
const SELECTED: readonly (readonly string[])[] = [
  ['mov64_x', 'add64_x'], // 4.39%
  ['mov64_x', 'rsh64_k'], // 1.57%
  ['add32_x', 'ldxh', 'add32_x'], // 1.52%
  ['add64_k', 'jlt_x'], // 1.18%
  ['add64_k', 'mov64_x'], // 1.12%
  ['add64_k', 'mov32_x', 'jlt_x'], // 1.06%
  ['add32_k', 'mov32_x'], // 1.03%
  ['and32_k', 'neg32', 'and32_k'], // 0.96%
  ['ldxb', 'add32_x', 'mov32_x'], // 0.86%
  ['mov64_x', 'lsh64_k'], // 0.77%
  ['lsh64_k', 'or64_x'], // 0.73%
  ['ldxb', 'xor64_x', 'mul64_x'], // 0.73%
  ['mov64_x', 'add64_k'], // 0.71%
  ['ldxdw', 'add64_x'], // 0.67%
  ['div64_x', 'mul64_x', 'mov64_x'], // 0.57%
  ['mov32_x', 'add32_x'], // 0.56%
  ['add64_k', 'ldxb', 'add64_k'], // 0.56%
  ['ldxb', 'mov64_x', 'mov32_x'], // 0.56%
  ['ldxdw', 'stxdw', 'add64_k'], // 0.55%
  ['ldxw', 'mov32_k', 'jeq32_k'], // 0.53%
  ['ldxw', 'ldxw'], // 0.53%
  ['div32_x', 'mul32_x', 'mov32_x'], // 0.48%
  ['xor32_x', 'rsh32_k'], // 0.42%
  ['ldxdw', 'jlt_x'], // 0.41%
  ['mul64_x', 'add64_x'], // 0.41%
  ['ldxb', 'mov32_x', 'and32_k'], // 0.41%
  ['mov32_x', 'add32_k'], // 0.41%
  ['mov32_x', 'rsh32_k'], // 0.40%
  ['mov64_x', 'mov64_k', 'jlt_k'], // 0.40%
  ['sub64_x', 'mov64_k', 'jne_k'], // 0.40%
  ['ldxw', 'add32_k', 'stxw'], // 0.39%
  ['add64_k', 'add64_k', 'and32_k'], // 0.37%
  ['ldxw', 'jeq32_k'], // 0.36%
  ['lsh64_k', 'add64_x'], // 0.36%
  ['lsh64_k', 'rsh64_k', 'lsh64_k'], // 0.34%
  ['mov32_x', 'lsh64_k'], // 0.34%
  ['mul32_x', 'add32_x', 'add32_x'], // 0.32%
  ['ldxb', 'lsh32_k'], // 0.31%
  ['ldxw', 'mov64_x', 'jle32_x'], // 0.31%
  ['add32_x', 'or32_k', 'mov32_x'], // 0.29%
  ['ldxdw', 'mov64_x'], // 0.29%
  ['mov32_k', 'jne32_k'], // 0.28%
  ['add64_k', 'mul64_k', 'add64_k'], // 0.28%
  ['mul64_x', 'mul64_x', 'rsh64_k'], // 0.28%
  ['or64_x', 'mul64_x', 'xor64_x'], // 0.28%
  ['ldxb', 'jne32_k'], // 0.25%
  ['mul32_x', 'jlt32_x'], // 0.25%
  ['ldxdw', 'lsh64_k', 'xor64_x'], // 0.25%
  ['stxdw', 'ldxdw'], // 0.25%
  ['ldxdw', 'xor64_x'], // 0.25%
  ['mov32_k', 'ldxw'], // 0.23%
  ['lsh64_k', 'ldxdw', 'or64_x'], // 0.21%
  ['add64_x', 'add64_k'], // 0.20%
  ['add32_x', 'lsh64_k', 'rsh64_k'], // 0.20%
  ['mul64_x', 'mov64_x', 'mul64_x'], // 0.20%
  ['ldxw', 'jge32_x'], // 0.19%
  ['lsh32_k', 'mov32_x', 'or32_k'], // 0.19%
  ['sub32_x', 'mov32_x', 'jne32_k'], // 0.19%
  ['lsh64_x', 'or64_x'], // 0.19%
  ['mov64_x', 'jne32_k'], // 0.19%
  ['mov64_x', 'stxdw', 'jlt_x'], // 0.19%
  ['mov32_x', 'rsh32_x', 'and32_k'], // 0.18%
  ['mov64_x', 'and64_k'], // 0.18%
  ['add32_k', 'and32_x'], // 0.18%
  ['ldxw', 'mov32_x', 'jlt_x'], // 0.18%
  ['mov32_x', 'sub32_x', 'jge32_x'], // 0.18%
  ['ldxw', 'jle32_x'], // 0.18%
  ['add64_k', 'ldxb', 'ldxb'], // 0.17%
  ['and64_k', 'mov64_x'], // 0.17%
  ['lsh64_x', 'xor64_x', 'add32_k'], // 0.17%
  ['mov64_x', 'div64_x', 'add64_x'], // 0.17%
  ['xor64_x', 'arsh64_x', 'add64_x'], // 0.17%
  ['mov32_k', 'mov32_k', 'jgt_x'], // 0.17%
  ['stxw', 'mov64_k'], // 0.16%
  ['mov32_x', 'jlt32_x'], // 0.15%
  ['sub32_x', 'xor32_x'], // 0.15%
  ['mov32_x', 'mul32_k', 'mul32_k'], // 0.14%
  ['or32_x', 'mul32_k', 'xor32_x'], // 0.14%
  ['mov32_x', 'and32_k', 'jeq32_k'], // 0.14%
  ['stxdw', 'jeq32_k'], // 0.13%
  ['mov32_k', 'jeq32_k'], // 0.12%
  ['add64_x', 'mov64_x'], // 0.12%
  ['mov32_x', 'jeq32_k'], // 0.12%
  ['rsh32_k', 'and32_k'], // 0.12%
  ['and64_x', 'and64_x'], // 0.12%
  ['mul32_k', 'add64_x'], // 0.12%
  ['ldxdw', 'add64_k', 'stxdw'], // 0.12%
  ['ldxb', 'stxb'], // 0.11%
  ['ldxb', 'jeq32_k'], // 0.11%
  ['div32_k', 'mul32_k', 'sub32_x'], // 0.11%
  ['ldxb', 'or32_x'], // 0.11%
  ['mov32_x', 'mov32_x'], // 0.10%
  ['add64_x', 'ldxw', 'mul64_k'], // 0.10%
  ['and32_k', 'lsh32_x', 'or32_x'], // 0.10%
  ['mov32_x', 'rsh32_x', 'neg32'], // 0.10%
  ['mul64_x', 'rsh64_k', 'and64_k'], // 0.10%
  ['mov64_x', 'mul64_k'], // 0.10%
  ['ldxb', 'xor32_x'], // 0.10%
  ['div64_k', 'sub64_x'], // 0.09%
  ['add64_x', 'div32_x'], // 0.09%
];

/**
 * Memory-to-memory moves, by rule rather than by frequency: a load followed by a store, every pair of
 * sizes. clang's eBPF output moves data this way wherever a field is unaligned or a loaded value is
 * spilled (`ldxb; stxdw [r10-8]`) or a filled one stored (`ldxdw [r10-8]; stxb`): there is no
 * memory-to-memory instruction and no unaligned word access.
 */
const SIZES = ['b', 'h', 'w', 'dw'];
const MOVES: readonly (readonly string[])[] = SIZES.flatMap((l) => SIZES.map((s) => [`ldx${l}`, `stx${s}`]));

/**
 * Every run above with a word or double-word access, once for each non-empty set of those parts taken as
 * fills or spills (through r10 below it): the same run with them frame accesses (interpreter-core-frame.ts,
 * which gives a fused slot one of these numbers where its parts qualify). They have no base-operation key,
 * so {@link coreFuse} never picks them itself.
 */
const FRAME_PARTS = new Set(['ldxw', 'ldxdw', 'stxw', 'stxdw']);
function frameForms(run: readonly string[]): (readonly string[])[] {
  const at = run.flatMap((p, k) => (FRAME_PARTS.has(p) ? [k] : []));
  const out: (readonly string[])[] = [];
  for (let set = 1; set < 1 << at.length; set++) out.push(run.map((p, k) => (at.some((j, i) => j === k && (set >> i) & 1) ? `${p}_fp` : p)));
  return out;
}

/**
 * Runs of two or three operations (only the last may jump), each one dispatch in the core. The moves go
 * before the selection's last entry: the highest-numbered case is the one TurboFan places at the loop's
 * top, and keeping it unchanged keeps the dispatch's code where it was (docs/benchmarks.md, "frame
 * accesses in the interpreter core").
 */
export const CORE_FUSED: readonly (readonly string[])[] = (() => {
  const last = SELECTED[SELECTED.length - 1]!;
  const runs = [...SELECTED.slice(0, -1), ...MOVES.filter((m) => !SELECTED.some((r) => r.join() === m.join()))];
  return [...runs, ...runs.flatMap(frameForms), ...[last, ...frameForms(last)].reverse()];
})();

if (FUSED_BASE + CORE_FUSED.length > OP_MASK + 1) throw new Error('internal: CORE_FUSED has more entries than op numbers');

const CORE_TABLE = fusedTable(CORE_FUSED);

/** The core's operation names by number: {@link OP_NAMES} below FUSED_BASE, then CORE_FUSED's runs. */
export const CORE_OP_NAMES: readonly string[] = (() => {
  const names = OP_NAMES.slice(0, FUSED_BASE);
  CORE_FUSED.forEach((run, i) => (names[FUSED_BASE + i] = run.join('__')));
  return names;
})();

/** The parts of core operation `num` (one name for a base operation); undefined for an unused number. */
export function coreParts(num: number): readonly string[] | undefined {
  if (num >= FUSED_BASE) return CORE_FUSED[num - FUSED_BASE];
  const name = OP_NAMES[num];
  return name === undefined ? undefined : [name];
}

/**
 * The core's number of run `num` (a CORE_FUSED number) with the parts `fp` marks (bit k: part k) as frame
 * accesses, or undefined when the list has no such run.
 */
export function frameVariant(num: number, fp: number): number | undefined {
  const parts = coreParts(num);
  if (parts === undefined || num < FUSED_BASE) return undefined;
  const name = parts.map((p, k) => ((fp >> k) & 1 ? `${p}_fp` : p)).join('__');
  const at = CORE_OP_NAMES.indexOf(name);
  return at < 0 ? undefined : at;
}

/** Base operation number of each FUSED run's first part (FUSED's numbers to base numbers). */
const FIRST_OF_FUSED: readonly number[] = FUSED.map((run) => OP_NAMES.indexOf(run[0]!));

/**
 * Re-fuse `words` (a program's words in the JS loop's form, `n` slots, changed in place) with
 * {@link CORE_FUSED}: each slot's base operation is recovered (a FUSED run's first slot holds FUSED's
 * number, its later slots their own), block leaders are the slots with a cost, and the runs that save the
 * most dispatches get the core's numbers. Only word 0's op field changes.
 */
export function coreFuse(words: Int32Array, n: number): void {
  const op = new Uint16Array(n);
  const leader = new Uint8Array(n + 1);
  for (let pc = 0; pc < n; pc++) {
    const w = words[pc * SLOT_WORDS]!;
    const num = w & OP_MASK;
    op[pc] = num >= FUSED_BASE ? FIRST_OF_FUSED[num - FUSED_BASE]! : num;
    leader[pc] = w >>> COST_SHIFT !== 0 ? 1 : 0;
  }
  fuseRuns(op, leader, n, CORE_TABLE);
  for (let pc = 0; pc < n; pc++) words[pc * SLOT_WORDS] = (words[pc * SLOT_WORDS]! & ~OP_MASK) | op[pc]!;
}
