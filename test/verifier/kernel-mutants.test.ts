/**
 * The kernel-level analysis on semantic mutants of real clang programs (mutants.ts: a check dropped or
 * inverted, a constant, comparison, offset, size, register or helper size changed, a number made a
 * pointer, a stack store removed), against the kernel's verdicts recorded in mutants-kernel.json
 * (`npx tsx bench/verifier-mutants.ts --write`, root), so this runs without bpf().
 *
 * The default run takes a short fixed part of the development set (seed {@link CI_SEED}, programs up to
 * {@link CI_MAX_INSNS} instructions): every mutant has its recorded verdict, the analysis agrees but for
 * the listed disagreements, and where the kernel can be asked the recorded verdicts are its own (skipped
 * with a note otherwise). `TSBPF_MUTANTS_LONG=1` judges the whole development and held sets (seeds
 * DEV_SEEDS and HELD_SEEDS of mutants.ts) against the targets: at least 90% of the kernel's rejections
 * rejected, at most 2% of its acceptances refused, in each set (several minutes).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { itHasTheKernelsVerdicts } from './kernel-verdicts.js';
import { DEV_SEEDS, HELD_SEEDS, mutantsOf, mutantSources, readMutantTable, type Mutant } from './mutants.js';

/** The development seed the default run takes. */
const CI_SEED = DEV_SEEDS[0]!;
/** The longest program the default run mutates (the analysis of a mutant costs about the original's). */
const CI_MAX_INSNS = 400;

const table = readMutantTable();
const originals = new Map(Object.entries(table.originals));

/**
 * Disagreements in the default run's mutants, by key, with the cause: the analysis refuses a mutant the
 * kernel accepts (`refused`) or accepts one the kernel refuses (`missed`).
 */
const KNOWN: Record<string, string> = {};

const refuses = (m: Mutant): boolean => checkProgram(m.bytes, m.source.options).some((i) => i.severity === 'error');

/** The recorded verdict of `m`: accepted, or undefined when the kernel gave none (a map it would not create). */
function recorded(m: Mutant): boolean | undefined {
  const v = table.verdicts[m.key];
  if (v === undefined) throw new Error(`${m.key}: no recorded verdict (bench/verifier-mutants.ts --write)`);
  const [verdict, hash] = v.split(' ');
  if (hash !== m.hash) throw new Error(`${m.key}: the recorded verdict is of another mutant (${hash}, now ${m.hash}: the generator, loader or program changed; record again)`);
  return verdict === 'X' ? undefined : verdict === 'A';
}

interface Tally {
  rej: number;
  caught: number;
  acc: number;
  refused: number;
}

function tally(mutants: readonly Mutant[], differ?: Record<string, string>): Tally {
  const t: Tally = { rej: 0, caught: 0, acc: 0, refused: 0 };
  for (const m of mutants) {
    const kernel = recorded(m);
    if (kernel === undefined) continue;
    const mine = refuses(m);
    if (kernel) {
      t.acc++;
      if (mine) {
        t.refused++;
        if (differ !== undefined) differ[m.key] = KNOWN[m.key] ?? `refused: ${m.what}`;
      }
    } else {
      t.rej++;
      if (mine) t.caught++;
      else if (differ !== undefined) differ[m.key] = KNOWN[m.key] ?? `missed: ${m.what}`;
    }
  }
  return t;
}

describe('semantic mutants of real programs against the kernel', () => {
  const ci = mutantSources(originals, CI_MAX_INSNS).flatMap((s) => mutantsOf(s, CI_SEED));

  it('has a recorded verdict for every mutant of the default run', () => {
    expect(ci.length).toBeGreaterThan(300);
    for (const m of ci) recorded(m);
  });

  it('agrees with the recorded verdicts but for the listed mutants', () => {
    const differ: Record<string, string> = {};
    const t = tally(ci, differ);
    console.log(`mutants (seed ${CI_SEED}, <= ${CI_MAX_INSNS} instructions): kernel rejects ${t.rej}, caught ${t.caught}; kernel accepts ${t.acc}, refused ${t.refused}`);
    expect(t.rej).toBeGreaterThan(100);
    expect(t.acc).toBeGreaterThan(100);
    expect(differ).toEqual(Object.fromEntries(Object.keys(differ).filter((k) => k in KNOWN).map((k) => [k, KNOWN[k]!])));
    expect(Object.keys(differ).sort()).toEqual(Object.keys(KNOWN).sort());
  }, 120_000);

  it("the recorded verdicts are the live kernel's", () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const judged = ci.filter((m) => recorded(m) !== undefined);
    const live = k.verdicts(judged.map((m) => ({ ...m.request, logLevel: 0 })));
    expect(judged.filter((m, i) => live[i]!.accepted !== recorded(m)).map((m) => m.key)).toEqual([]);
  }, 120_000);

  it.skipIf(process.env.TSBPF_MUTANTS_LONG !== '1')('meets the targets on the development and held sets (TSBPF_MUTANTS_LONG=1)', () => {
    const sources = mutantSources(originals);
    for (const [name, seeds] of [['development', DEV_SEEDS], ['held', HELD_SEEDS]] as const) {
      const t = tally(sources.flatMap((s) => seeds.flatMap((seed) => mutantsOf(s, seed))));
      console.log(`${name} set (seeds ${seeds.join(', ')}): kernel rejects ${t.rej}, caught ${t.caught} (${((100 * t.caught) / t.rej).toFixed(1)}%); kernel accepts ${t.acc}, refused ${t.refused} (${((100 * t.refused) / t.acc).toFixed(1)}%)`);
      expect({ name, caught: t.caught / t.rej >= 0.9, refused: t.refused / t.acc <= 0.02 }).toEqual({ name, caught: true, refused: true });
    }
  }, 1_800_000);
});

/** An array map: a lookup with a key the kernel knows in range is not null. */
const ARRAY = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4 };
/** The value at the lookup's key used without a null check: accepted only when the kernel knows the key. */
const LOOKUP = 'r2 = r10\nr2 += -8\nr1 = map_fd 1 ll\ncall 1\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit';
/** A fill of fp-8 tested against 0: accepted only when the kernel knows the filled number is 0. */
const FILL = (size: number, at: number): string => `r3 = *(u${size} *)(r10 - ${at})\nif r3 != 0 goto +2\nr0 = 0\nexit\nr0 = *(u64 *)(r9 + 0)\nexit`;

/** XDP: data in r2, data_end in r3, 14 bytes proved through r4 = data + 14, then `body`, then `r0 = 2` (where a failed check lands). */
const packetCase = (body: string): string => `r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +${body.split('\n').length}\n${body}\nr0 = 2\nexit`;

/**
 * Rules the mutants found, as small kernel-checked cases. The kernel keeps one spill per 8-byte stack
 * slot, at its start: a write to another part of the slot makes a narrower spill's number unknown (an
 * array lookup's key, a fill), while zero bytes stored apart stay known (mutants of
 * xdp_bench02_drop_pattern_kern.o, where a key spilled at fp-8 and a later store at fp-4 left the
 * lookup's result nullable).
 */
const RULE_CASES: { name: string; kernelAccepts: boolean; body: string; type?: 'xdp' }[] = [
  { name: 'key spilled at fp-8', kernelAccepts: true, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\n${LOOKUP}` },
  { name: 'key spilled at fp-8, then fp-4 written', kernelAccepts: false, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\nr1 = 5\n*(u32 *)(r10 - 4) = r1\n${LOOKUP}` },
  { name: 'fp-4 written, then the key spilled at fp-8', kernelAccepts: true, body: `r1 = 5\n*(u32 *)(r10 - 4) = r1\nr1 = 0\n*(u32 *)(r10 - 8) = r1\n${LOOKUP}` },
  { name: 'key spilled at fp-8, then an immediate stored at fp-4', kernelAccepts: false, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\n*(u32 *)(r10 - 4) = 5\n${LOOKUP}` },
  { name: 'key spilled at fp-8, then a byte stored at fp-1', kernelAccepts: false, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\n*(u8 *)(r10 - 1) = 5\n${LOOKUP}` },
  { name: '0 spilled at fp-8 and filled', kernelAccepts: true, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\n${FILL(32, 8)}` },
  { name: '0 spilled at fp-8, fp-4 written, fp-8 filled', kernelAccepts: false, body: `r1 = 0\n*(u32 *)(r10 - 8) = r1\nr1 = 5\n*(u32 *)(r10 - 4) = r1\n${FILL(32, 8)}` },
  { name: 'fp-4 written, 0 spilled at fp-8 and filled', kernelAccepts: true, body: `r1 = 5\n*(u32 *)(r10 - 4) = r1\nr1 = 0\n*(u32 *)(r10 - 8) = r1\n${FILL(32, 8)}` },
  { name: 'zero bytes at fp-4, a byte stored at fp-8, fp-4 filled', kernelAccepts: true, body: `r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u8 *)(r10 - 8) = 5\n${FILL(32, 4)}` },
  { name: '0 spilled in 2 bytes at fp-8, fp-6 written, fp-8 filled', kernelAccepts: false, body: `r1 = 0\n*(u16 *)(r10 - 8) = r1\n*(u16 *)(r10 - 6) = 5\n${FILL(16, 8)}` },
  // A packet start loaded again from the context has no proved range in the kernel, whatever the
  // pointers loaded before proved (mutants of cilium's tail_srv6_encap, which loads data and data_end
  // again after a check: with that check inverted, the analysis read through the new pointer).
  { name: 'packet start checked, loaded again, read', type: 'xdp', kernelAccepts: false, body: packetCase('r4 = 0\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)') },
  { name: 'packet start checked and read', type: 'xdp', kernelAccepts: true, body: packetCase('r4 = 0\nr0 = *(u8 *)(r2 + 0)') },
  { name: 'packet start checked, loaded again and checked again, read', type: 'xdp', kernelAccepts: true, body: packetCase('r4 = 0\nr2 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)') },
];

describe('rules found by the mutants, against the kernel', () => {
  for (const c of RULE_CASES) {
    it(`${c.name}: ${c.kernelAccepts ? 'accepted' : 'refused'}`, () => {
      const issues = checkProgram(assemble(c.body), { level: 'kernel', programType: c.type ?? 'socket_filter', maps: { 1: ARRAY } });
      expect(issues.every((i) => i.severity !== 'error')).toBe(c.kernelAccepts);
    });
  }
  itHasTheKernelsVerdicts(RULE_CASES, (c) => ({ type: c.type ?? 'socket_filter', insns: assemble(c.body), maps: { 1: ARRAY } }));
});
