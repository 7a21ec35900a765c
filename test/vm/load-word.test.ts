/**
 * Load combining (verifier/load-combine.ts; the interpreter's vm/load-word.ts): words assembled from
 * byte and half-word loads, read with one load. Differential:
 * the interpreter's JS loop, its WebAssembly core and the JIT against the stepped run (the tracer's, which
 * combines nothing), on a table of assembled runs placed at every offset near the input's end — so that
 * some runs fault in their middle and some wide loads would read past the end where the original bytes do
 * not — at every budget; and each case says whether the interpreter combined it.
 */
import { describe, it, expect } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { TraceEngine } from '../../src/vm/trace.js';
import { interpreterCode, OP_MASK, SLOT_WORDS } from '../../src/vm/interpreter-decode.js';
import { LOAD_WORD_B, LOAD_WORD_H } from '../../src/vm/load-word.js';
import { combinedLoadAt, outputValue, wordsOf } from '../../src/verifier/load-combine.js';
import { decodeOperation } from '../../src/isa/operation.js';
import { Program } from '../jit/harness.js';
import { interp, jit, jsOnly, runAtBudget } from '../jit/budget-harness.js';

const reference = new TraceEngine(() => {});

/**
 * `run` reads through r6 = the input's address + `at` (after a load that puts the input in the engines'
 * caches, so that the JS loop's first run of it already takes the wide load); then r0 = `result` and,
 * when `fold` names registers, each is folded into r0 (so they stay live after the run).
 */
const program = (run: string, at: number, result: string, fold: readonly string[] = []): Program => {
  const text = `
    r9 = *(u8 *)(r1 + 0)
    r6 = r1
    r6 += ${at}
    r2 = 0x1111
    r3 = 0x2222
    r4 = 0x3333
    r5 = 0x4444
${run}
    r0 = ${result}
${fold.map((r) => `    r0 *= 31\n    r0 ^= ${r}`).join('\n')}
    exit`;
  return new Program(assemble(text));
};

interface Case {
  readonly run: string;
  readonly result: string;
  /** Bytes the run reads from r6 (the input is placed so that its end cuts through them). */
  readonly span: number;
  /** Whether the interpreter combines it (with nothing folded). */
  readonly combined: boolean;
  /** Registers still read after the run (partial values). */
  readonly fold?: readonly string[];
}

const CASES: Record<string, Case> = {
  'u16 big-endian in 32-bit ops with a mask (tunnel)': {
    run: `
    r3 = *(u8 *)(r6 + 1)
    r4 = *(u8 *)(r6 + 0)
    w4 <<= 8
    w4 |= w3
    w4 &= 65535`,
    result: 'r4', span: 2, combined: true,
  },
  'u16 little-endian in 64-bit ops': {
    run: `
    r3 = *(u8 *)(r6 + 0)
    r2 = *(u8 *)(r6 + 1)
    r2 <<= 8
    r2 |= r3`,
    result: 'r2', span: 2, combined: true,
  },
  'u32 big-endian, loads and shifts interleaved (mpls)': {
    run: `
    r3 = *(u8 *)(r6 + 0)
    w3 <<= 24
    r2 = *(u8 *)(r6 + 1)
    w2 <<= 16
    w2 |= w3
    r3 = *(u8 *)(r6 + 2)
    w3 <<= 8
    w2 |= w3
    r3 = *(u8 *)(r6 + 3)
    w2 |= w3`,
    result: 'r2', span: 4, combined: true,
  },
  'u32 little-endian in 32-bit ops, bytes out of order (murmur3)': {
    run: `
    r5 = *(u8 *)(r6 + 1)
    w5 <<= 8
    r2 = *(u8 *)(r6 + 0)
    w5 |= w2
    r2 = *(u8 *)(r6 + 2)
    w2 <<= 16
    w5 |= w2
    r2 = *(u8 *)(r6 + 3)
    w2 <<= 24
    w5 |= w2`,
    result: 'r5', span: 4, combined: true,
  },
  'three bytes big-endian shifted left by 8 (an MPLS label; read as four)': {
    run: `
    r2 = *(u8 *)(r6 + 1)
    w2 <<= 16
    r3 = *(u8 *)(r6 + 0)
    w3 <<= 24
    w2 |= w3
    r4 = *(u8 *)(r6 + 2)
    w4 <<= 8
    w2 |= w4`,
    result: 'r2', span: 3, combined: true,
  },
  'u64 little-endian from eight bytes': {
    run: `
    r2 = *(u8 *)(r6 + 0)
    r3 = *(u8 *)(r6 + 1)
    r3 <<= 8
    r2 |= r3
    r3 = *(u8 *)(r6 + 2)
    r3 <<= 16
    r2 |= r3
    r3 = *(u8 *)(r6 + 3)
    r3 <<= 24
    r2 |= r3
    r3 = *(u8 *)(r6 + 4)
    r3 <<= 32
    r2 |= r3
    r3 = *(u8 *)(r6 + 5)
    r3 <<= 40
    r2 |= r3
    r3 = *(u8 *)(r6 + 6)
    r3 <<= 48
    r2 |= r3
    r3 = *(u8 *)(r6 + 7)
    r3 <<= 56
    r2 |= r3`,
    result: 'r2', span: 8, combined: true,
  },
  'u64 big-endian from two big-endian halves': {
    run: `
    r2 = *(u8 *)(r6 + 0)
    r2 <<= 24
    r3 = *(u8 *)(r6 + 1)
    r3 <<= 16
    r2 |= r3
    r3 = *(u8 *)(r6 + 2)
    r3 <<= 8
    r2 |= r3
    r3 = *(u8 *)(r6 + 3)
    r2 |= r3
    r2 <<= 32
    r4 = *(u8 *)(r6 + 4)
    r4 <<= 24
    r3 = *(u8 *)(r6 + 5)
    r3 <<= 16
    r4 |= r3
    r3 = *(u8 *)(r6 + 6)
    r3 <<= 8
    r4 |= r3
    r3 = *(u8 *)(r6 + 7)
    r4 |= r3
    r2 |= r4`,
    result: 'r2', span: 8, combined: true,
  },
  'five bytes big-endian (read as eight)': {
    run: `
    r2 = *(u8 *)(r6 + 0)
    r2 <<= 32
    r3 = *(u8 *)(r6 + 1)
    r3 <<= 24
    r2 |= r3
    r3 = *(u8 *)(r6 + 2)
    r3 <<= 16
    r2 |= r3
    r3 = *(u8 *)(r6 + 3)
    r3 <<= 8
    r2 |= r3
    r3 = *(u8 *)(r6 + 4)
    r2 |= r3`,
    result: 'r2', span: 5, combined: true,
  },
  'u32 from two half-words, then be32': {
    run: `
    r2 = *(u16 *)(r6 + 2)
    r2 <<= 16
    r3 = *(u16 *)(r6 + 0)
    r2 |= r3
    r2 = be32 r2`,
    result: 'r2', span: 4, combined: true,
  },
  'a word moved to another register, then shifted right': {
    run: `
    r3 = *(u8 *)(r6 + 1)
    r4 = *(u8 *)(r6 + 0)
    r4 <<= 8
    r4 |= r3
    r7 = r4
    r7 <<= 16`,
    result: 'r7', span: 2, combined: true,
  },
  'the base register overwritten by the last load': {
    run: `
    r3 = *(u8 *)(r6 + 0)
    r3 <<= 8
    r6 = *(u8 *)(r6 + 1)
    r6 |= r3`,
    result: 'r6', span: 2, combined: true,
  },
  'partial values read after the run (not combined by the interpreter)': {
    run: `
    r3 = *(u8 *)(r6 + 1)
    r4 = *(u8 *)(r6 + 0)
    w4 <<= 8
    w4 |= w3`,
    result: 'r4', span: 2, combined: false, fold: ['r3'],
  },
  'a shifted partial value read after the run (the first three bytes combined, the fourth not)': {
    run: `
    r3 = *(u8 *)(r6 + 0)
    w3 <<= 24
    r2 = *(u8 *)(r6 + 1)
    w2 <<= 16
    w2 |= w3
    r3 = *(u8 *)(r6 + 2)
    w3 <<= 8
    w2 |= w3
    r3 = *(u8 *)(r6 + 3)
    w2 |= w3`,
    result: 'r2', span: 4, combined: true, fold: ['r3', 'r2'],
  },
  'overlapping bytes (not a word)': {
    run: `
    r3 = *(u8 *)(r6 + 0)
    r4 = *(u8 *)(r6 + 0)
    r4 <<= 8
    r4 |= r3`,
    result: 'r4', span: 1, combined: false,
  },
};

const INPUT = 24;
const input = Uint8Array.from({ length: INPUT }, (_, k) => (k * 73 + 0x91) & 0xff);

/** Whether the interpreter's words hold a combined run. */
const combinedIn = (p: Program): boolean => {
  const words = interpreterCode(p).words;
  for (let at = 0; at < words.length; at += SLOT_WORDS) {
    const op = words[at]! & OP_MASK;
    if (op === LOAD_WORD_B || op === LOAD_WORD_H) return true;
  }
  return false;
};

describe('load combining: every engine as the stepped run', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      // From well inside the input to past its end: the run reads, faults in its middle, or reads its
      // bytes while its wide load (rounded up to 4 or 8) would not fit.
      for (let at = INPUT - c.span - 6; at <= INPUT + 1; at++) {
        const p = program(c.run, at, c.result, c.fold);
        expect(combinedIn(p), `combined at ${at}`).toBe(c.combined);
        const full = runAtBudget(reference, p, input, 1e6);
        const need = 'charged' in full ? full.charged : 40;
        for (let b = 0; b <= need + 1; b++) {
          const want = runAtBudget(reference, p, input, b);
          for (const [engine, e] of [['JS loop', jsOnly], ['core', interp], ['JIT', jit]] as const) {
            expect(runAtBudget(e, p, input, b), `${engine} at ${at}, budget ${b}`).toEqual(want);
          }
        }
        if (at + c.span <= INPUT) expect('charged' in full, `runs at ${at}`).toBe(true);
        else expect(full).toMatchObject({ name: 'MemoryAccessError' });
      }
    });
  }

  it('gives each output register the value the slots leave in it (the analysis)', () => {
    // With every register live after the run, the outputs are each register the run wrote.
    const p = program(CASES['a shifted partial value read after the run (the first three bytes combined, the fourth not)']!.run, 0, 'r2');
    const insns = p.insns;
    const ops = insns.map(decodeOperation);
    const run = combinedLoadAt(ops, insns, 7, 17, () => true, () => 0xffff, 9)!;
    expect(run).toMatchObject({ start: 7, end: 17, bytes: 4, load: 4, order: 'be', off: 0 });
    const x = 0x44332211n;
    const { le, be } = wordsOf(x, 4);
    const values = Object.fromEntries(run.outputs.map((o) => [`r${o.reg}`, outputValue(o, le, be)]));
    // r2 = the big-endian word; r3 = the last byte loaded (0x44); r3 was shifted earlier but rewritten.
    expect(values).toEqual({ r2: 0x11223344n, r3: 0x44n });
  });
});
