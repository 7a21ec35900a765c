/**
 * Differential testing: random programs run under the interpreter and the JIT must give the same r0,
 * instructions charged (Engine.runInto) and memory, or the same error (class, code, pc).
 */
import { describe, it, expect, afterAll } from "vitest";
import fc from 'fast-check';
import { JitEngine } from '../../src/jit/engine.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import type { Engine, HelperEntry, RunLimits } from '../../src/vm/environment.js';
import { DEFAULT_LIMITS } from '../../src/vm/environment.js';
import { EbpfError } from '../../src/errors.js';
import { AluOp, AtomicOp, CallKind, Class, JmpOp, Mode, Size, Source, Opcode } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, splitWideImm, type Insn } from '../../src/isa/instruction.js';
import { Program, setup } from './harness.js';

const jit = new JitEngine();
const interp = new Interpreter();
/** The interpreter's JS loop alone (no WebAssembly loop): results and errors must be the same. */
const jsOnly = new Interpreter({ wasmCore: false });

const limits: RunLimits = { ...DEFAULT_LIMITS, instructionBudget: 3000, maxCallDepth: 4, stackSize: 64 };
const helpers = new Map<number, HelperEntry>([
  [5, { name: 'unwind', unwindOnZero: true, fn: (r1) => r1 }],
  [6, { name: 'mix', unwindOnZero: false, fn: (r1, r2, r3) => (r1 * 31n + r2) ^ r3 }],
]);

const reg = fc.integer({ min: 0, max: 9 });
const anyImm = fc.oneof(
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.constantFrom(0, 1, -1, 2, 31, 32, 63, 64, 0x7fff_ffff, -0x8000_0000, 8, 16),
);
const aluCodes = Object.values(AluOp).filter((c) => c !== AluOp.END && c !== AluOp.NEG);
const jmpCodes = Object.values(JmpOp).filter((c) => c !== JmpOp.JA && c !== JmpOp.CALL && c !== JmpOp.EXIT);
const sizes = [Size.B, Size.H, Size.W, Size.DW];

/** One generated instruction (or two for lddw); jump offsets are fixed up once the length is known. */
type Gen = { insns: Insn[]; jump?: 'fwd' | 'back' };

const alu: fc.Arbitrary<Gen> = fc
  .record({
    cls: fc.constantFrom(Class.ALU, Class.ALU64),
    code: fc.constantFrom(...aluCodes),
    x: fc.boolean(),
    dst: reg,
    src: reg,
    imm: anyImm,
    signed: fc.boolean(),
  })
  .map(({ cls, code, x, dst, src, imm, signed }) => {
    const off = (code === AluOp.DIV || code === AluOp.MOD) && signed ? 1 : 0;
    return { insns: [insn(cls | code | (x ? Source.X : Source.K), dst, src, off, imm)] };
  });

const unary: fc.Arbitrary<Gen> = fc
  .record({
    kind: fc.constantFrom('neg', 'movsx', 'le', 'be', 'swap'),
    wide: fc.boolean(),
    dst: reg,
    src: reg,
    bits: fc.constantFrom(8, 16, 32, 64),
  })
  .map(({ kind, wide, dst, src, bits }) => {
    const cls = wide ? Class.ALU64 : Class.ALU;
    if (kind === 'neg') return { insns: [insn(cls | AluOp.NEG, dst)] };
    if (kind === 'movsx') return { insns: [insn(cls | AluOp.MOV | Source.X, dst, src, wide ? Math.min(bits, 32) : Math.min(bits, 16))] };
    const imm = bits === 8 ? 16 : bits;
    if (kind === 'swap') return { insns: [insn(Class.ALU64 | AluOp.END, dst, 0, 0, imm)] };
    return { insns: [insn(Class.ALU | AluOp.END | (kind === 'be' ? Source.X : Source.K), dst, 0, 0, imm)] };
  });

const lddw: fc.Arbitrary<Gen> = fc.record({ dst: reg, v: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }).map(({ dst, v }) => {
  const { lo, hi } = splitWideImm(v);
  return { insns: [insn(Opcode.LDDW, dst, 0, 0, lo), insn(0, 0, 0, 0, hi)] };
});

// Memory: through r10 (in and out of the frame) or r1 (the input, 32 bytes) with offsets around the edges.
const memOff = fc.oneof(fc.integer({ min: -80, max: 8 }), fc.integer({ min: -4, max: 40 }));
const mem: fc.Arbitrary<Gen> = fc
  .record({
    kind: fc.constantFrom('ldx', 'ldxs', 'st', 'stx', 'atomic'),
    base: fc.constantFrom(10, 10, 1, 2, 9),
    other: reg,
    size: fc.constantFrom(...sizes),
    off: memOff,
    imm: anyImm,
    aop: fc.constantFrom(...Object.values(AtomicOp).filter((a) => a !== AtomicOp.FETCH), AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH),
  })
  .map(({ kind, base, other, size, off, imm, aop }) => {
    switch (kind) {
      case 'ldx':
        return { insns: [insn(Class.LDX | Mode.MEM | size, other, base, off)] };
      case 'ldxs':
        return { insns: [insn(Class.LDX | Mode.MEMSX | (size === Size.DW ? Size.W : size), other, base, off)] };
      case 'st':
        return { insns: [insn(Class.ST | Mode.MEM | size, base, 0, off, imm)] };
      case 'stx':
        return { insns: [insn(Class.STX | Mode.MEM | size, base, other, off)] };
      default:
        return { insns: [insn(Class.STX | Mode.ATOMIC | (size === Size.DW ? Size.DW : Size.W), base, other, off, aop)] };
    }
  });

// Several loads and stores through one base register in a row (the JIT checks their span once), some
// near or past the ends of the input and the frame, with ALU work on other registers between them.
const multi: fc.Arbitrary<Gen> = fc
  .record({
    base: fc.constantFrom(1, 1, 2, 9, 10),
    // A load through r1 in a block of its own first, so the input region is in the JIT's cache.
    prime: fc.boolean(),
    items: fc.array(
      fc.record({
        kind: fc.constantFrom('ldx', 'st', 'stx', 'alu'),
        other: fc.integer({ min: 3, max: 8 }),
        size: fc.constantFrom(...sizes),
        // Mostly inside the 32-byte input (so whole groups pass their one check), sometimes across its ends.
        off: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 24 }), weight: 3 }, { arbitrary: memOff, weight: 1 }),
        imm: anyImm,
      }),
      { minLength: 2, maxLength: 5 },
    ),
  })
  .map(({ base, prime, items }) => ({
    insns: [...(prime ? [insn(Class.LDX | Mode.MEM | Size.B, 8, 1, 0), insn(Opcode.JA)] : []), ...items.map(({ kind, other, size, off, imm }) =>
      kind === 'ldx'
        ? insn(Class.LDX | Mode.MEM | size, other, base, off)
        : kind === 'st'
          ? insn(Class.ST | Mode.MEM | size, base, 0, off, imm)
          : kind === 'stx'
            ? insn(Class.STX | Mode.MEM | size, base, other, off)
            : insn(Class.ALU64 | AluOp.ADD | Source.K, other, 0, 0, imm),
    )],
  }));

const jump: fc.Arbitrary<Gen> = fc
  .record({
    cls: fc.constantFrom(Class.JMP, Class.JMP32),
    code: fc.constantFrom(...jmpCodes),
    x: fc.boolean(),
    dst: reg,
    src: reg,
    imm: anyImm,
    back: fc.boolean(),
  })
  .map(({ cls, code, x, dst, src, imm, back }) => ({
    insns: [insn(cls | code | (x ? Source.X : Source.K), dst, src, 0, imm)],
    jump: back ? 'back' : 'fwd',
  }));

// A conditional jump over 1-4 plain ALU instructions (the JIT compiles short ones as selects).
const pureCodes = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH, AluOp.MOV];
const pureAlu = fc
  .record({ cls: fc.constantFrom(Class.ALU, Class.ALU64), code: fc.constantFrom(...pureCodes), x: fc.boolean(), dst: reg, src: reg, imm: anyImm })
  .map(({ cls, code, x, dst, src, imm }) => insn(cls | code | (x ? Source.X : Source.K), dst, src, 0, imm));
const skip: fc.Arbitrary<Gen> = fc
  .record({
    cls: fc.constantFrom(Class.JMP, Class.JMP32),
    code: fc.constantFrom(...jmpCodes),
    x: fc.boolean(),
    dst: reg,
    src: reg,
    imm: anyImm,
    body: fc.array(fc.oneof({ arbitrary: pureAlu, weight: 6 }, { arbitrary: fc.constant(insn(Class.ALU64 | AluOp.NEG, 2)), weight: 1 }), { minLength: 1, maxLength: 4 }),
  })
  .map(({ cls, code, x, dst, src, imm, body }) => ({ insns: [insn(cls | code | (x ? Source.X : Source.K), dst, src, body.length, imm), ...body] }));

// A compare tree on one register, as clang emits for a dense switch (the JIT turns it into a br_table):
// `if r > K goto right` over sorted constants, each leaf `add r0, imm; ja end`. A mask before it
// (`r &= m`, m >= 0) bounds the value, and the JIT drops the clamps it cannot pass; a write after the
// mask, or a negative mask, keeps them.
const switchTree: fc.Arbitrary<Gen> = fc
  .record({
    r: reg,
    wide: fc.boolean(),
    signed: fc.boolean(),
    ks: fc.uniqueArray(fc.integer({ min: -30, max: 30 }), { minLength: 3, maxLength: 9 }),
    set: fc.option(fc.integer({ min: -40, max: 40 })),
    mask: fc.option(fc.record({ m: fc.constantFrom(0, 1, 7, 15, 31, 63, 255, 0x7fffffff, -1, -64), wide: fc.boolean(), after: fc.constantFrom(0, 0, 0, 1, -3) })),
    imms: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 10, maxLength: 10 }),
  })
  .map(({ r, wide, signed, ks, set, mask, imms }) => {
    const sorted = [...ks].sort((a, b) => a - b);
    const cls = wide ? Class.JMP : Class.JMP32;
    const out: Insn[] = [];
    const ends: number[] = [];
    if (set !== null) out.push(insn(Class.ALU64 | AluOp.MOV | Source.K, r, 0, 0, set));
    if (mask !== null) {
      out.push(insn((mask.wide ? Class.ALU64 : Class.ALU) | AluOp.AND | Source.K, r, 0, 0, mask.m));
      if (mask.after !== 0) out.push(insn(Class.ALU64 | AluOp.ADD | Source.K, r, 0, 0, mask.after));
    }
    const emit = (lo: number, hi: number): void => {
      if (lo === hi) {
        out.push(insn(Class.ALU64 | AluOp.ADD | Source.K, 0, 0, 0, imms[lo]!));
        ends.push(out.length);
        out.push(insn(Opcode.JA));
        return;
      }
      const mid = (lo + hi) >> 1;
      const at = out.length;
      out.push(insn(0, 0));
      emit(lo, mid);
      out[at] = insn(cls | (signed ? JmpOp.JSGT : JmpOp.JGT) | Source.K, r, 0, out.length - at - 1, sorted[mid]!);
      emit(mid + 1, hi);
    };
    emit(0, sorted.length);
    for (const e of ends) out[e] = insn(Opcode.JA, 0, 0, out.length - e - 1);
    return { insns: out };
  });

/**
 * clang's rotate idiom `t = x; t >>= a; x <<= b; x |= t`, which the JIT fuses into one rotl when
 * a + b is the width: shifts in either order and on either register, the `or` into either, 32- or
 * 64-bit, amounts that add up to the width or miss by one, and t = x.
 */
const rotate: fc.Arbitrary<Gen> = fc
  .record({
    wide: fc.boolean(),
    t: fc.constantFrom(3, 4, 6, 7),
    x: fc.constantFrom(3, 4, 6, 7),
    b: fc.integer({ min: 0, max: 63 }),
    miss: fc.constantFrom(0, 0, 0, 1, -1),
    lshFirst: fc.boolean(),
    lshOnX: fc.boolean(),
    intoX: fc.boolean(),
    mixed: fc.constantFrom(false, false, false, true),
  })
  .map(({ wide, t, x, b, miss, lshFirst, lshOnX, intoX, mixed }) => {
    const w = wide ? 64 : 32;
    const cls = wide ? Class.ALU64 : Class.ALU;
    const lb = b % w;
    const ra = Math.min(w - 1, Math.max(0, w - lb + miss));
    const lsh = insn(cls | AluOp.LSH | Source.K, lshOnX ? x : t, 0, 0, lb);
    // `mixed`: one shift in the other width (not the idiom).
    const rsh = insn((mixed ? (wide ? Class.ALU : Class.ALU64) : cls) | AluOp.RSH | Source.K, lshOnX ? t : x, 0, 0, ra);
    const or = intoX ? insn(cls | AluOp.OR | Source.X, x, t) : insn(cls | AluOp.OR | Source.X, t, x);
    return { insns: [insn(cls | AluOp.MOV | Source.X, t, x), ...(lshFirst ? [lsh, rsh] : [rsh, lsh]), or] };
  });

const ja: fc.Arbitrary<Gen> = fc.boolean().map((back) => ({ insns: [insn(Opcode.JA)], jump: back ? 'back' : 'fwd' }));

const call: fc.Arbitrary<Gen> = fc.constantFrom(5, 6, 7).map((id) => ({ insns: [insn(Opcode.CALL, 0, CallKind.HELPER, 0, id)] }));
const localCall: Gen = { insns: [insn(Opcode.CALL, 0, CallKind.LOCAL, 0, 0)] };

const body = fc.array(
  fc.oneof(
    { arbitrary: alu, weight: 8 },
    { arbitrary: rotate, weight: 2 },
    { arbitrary: unary, weight: 2 },
    { arbitrary: lddw, weight: 1 },
    { arbitrary: mem, weight: 4 },
    { arbitrary: multi, weight: 2 },
    { arbitrary: jump, weight: 3 },
    { arbitrary: skip, weight: 2 },
    { arbitrary: switchTree, weight: 1 },
    { arbitrary: ja, weight: 1 },
    { arbitrary: call, weight: 1 },
    { arbitrary: fc.constant(localCall), weight: 1 },
  ),
  { minLength: 1, maxLength: 24 },
);

/**
 * Lay out: main body, exit, subprogram body, exit. Jumps get offsets to a random slot of their own
 * function (`pick` in [0,1)); local calls target the subprogram.
 */
function assemble(main: Gen[], sub: Gen[], picks: number[]): Insn[] {
  const out: Insn[] = [];
  const fixups: { at: number; gen: Gen; lo: number; hi: number }[] = [];
  const place = (gens: Gen[]): [number, number] => {
    const start = out.length;
    for (const g of gens) {
      const at = out.length;
      out.push(...g.insns);
      if (g.jump !== undefined || g.insns[0]!.src === CallKind.LOCAL && g.insns[0]!.opcode === Opcode.CALL) {
        fixups.push({ at, gen: g, lo: start, hi: 0 });
      }
    }
    out.push(insn(Opcode.EXIT));
    return [start, out.length - 1];
  };
  const [, mainEnd] = place(main);
  const subStart = out.length;
  const [, subEnd] = place(sub);
  // Valid jump targets: slot starts (not lddw second halves).
  const starts = new Set<number>();
  for (let pc = 0; pc < out.length; pc++) {
    starts.add(pc);
    if (out[pc]!.opcode === Opcode.LDDW) pc++;
  }
  fixups.forEach((f, k) => {
    const i = out[f.at]!;
    if (f.gen.jump === undefined) {
      out[f.at] = { ...i, imm: subStart - (f.at + 1) };
      return;
    }
    const end = f.lo === 0 ? mainEnd : subEnd;
    const p = picks[k % picks.length]!;
    let target = f.gen.jump === 'back' ? f.lo + Math.floor(p * (f.at - f.lo + 1)) : f.at + 1 + Math.floor(p * (end - f.at));
    while (!starts.has(target)) target++;
    out[f.at] = { ...i, offset: target - (f.at + 1) };
  });
  return out;
}

type Outcome = { ok: true; r0: bigint; instructions: number; mem: string } | { ok: false; name: string; code: string; pc: number | undefined };

function outcome(engine: Engine, program: Program, input: Uint8Array, init: bigint[], lim: RunLimits = limits): Outcome {
  const s = setup(input, lim);
  // Seed registers through a prefix would change pcs; instead pass r1/r2 and keep the rest zero,
  // with init values stored at the top of the frame where programs may load them.
  const view = s.memory.view;
  const stackTopOffset = s.memory.find(s.stackTop - 1, 1)!;
  init.forEach((v, k) => view.setBigUint64(stackTopOffset.offset + stackTopOffset.size - 8 * (k + 1), v, true));
  try {
    // runInto: r0 and the instructions charged, which the engines must agree on as well.
    const out = { r0Low: 0, r0High: 0, instructions: -1 };
    engine.runInto!(
      {
        program,
        memory: s.memory,
        stackTop: s.stackTop,
        r1: BigInt(s.memVaddr),
        r2: BigInt(input.length),
        helpers,
        limits: lim,
      },
      out,
    );
    const r0 = (BigInt(out.r0High >>> 0) << 32n) | BigInt(out.r0Low >>> 0);
    const region = s.memory.find(s.memVaddr, input.length)!;
    const bytes = s.memory.bytes.subarray(region.offset, region.offset + input.length);
    return { ok: true, r0, instructions: out.instructions, mem: Buffer.from(bytes).toString('hex') };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { ok: false, name: e.constructor.name, code: e.code, pc: e.pc };
  }
}

const stats = new Map<string, number>();
describe("JIT vs interpreter (differential)", () => {
  afterAll(() => { if (process.env.JIT_STATS) console.log(JSON.stringify([...stats])); });
  it('gives identical results or errors on random programs', () => {
    fc.assert(
      fc.property(
        body,
        fc.array(fc.oneof(alu, mem, jump, { arbitrary: fc.constant(localCall), weight: 1 }), { maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 4, maxLength: 4 }),
        (main, sub, picks, input, init) => {
          // Load a few stack words into registers first so values are not all small.
          const prefix: Gen[] = [3, 4, 6, 7].map((r, k) => ({ insns: [insn(Class.LDX | Mode.MEM | Size.DW, r, 10, -8 * (k + 1))] }));
          // r9: a copy of the frame pointer, so stack accesses also go through the general check.
          prefix.push({ insns: [insn(Class.ALU64 | AluOp.MOV | Source.X, 9, 10)] });
          const insns = assemble([...prefix, ...main], sub, picks);
          const program = new Program(encodeProgram(insns));
          const a = outcome(interp, program, input, init);
          const b = outcome(jit, program, input, init);
          expect(b).toEqual(a);
          expect(outcome(jsOnly, program, input, init)).toEqual(a);
          if (process.env.JIT_STATS) stats.set(a.ok ? "ok" : a.code, (stats.get(a.ok ? "ok" : a.code) ?? 0) + 1);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('gives identical results on switch trees, masked or not, over any register values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: switchTree, weight: 4 }, { arbitrary: alu, weight: 1 }), { minLength: 1, maxLength: 4 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: -70n, max: 70n }).map((v) => BigInt.asUintN(64, v))), { minLength: 4, maxLength: 4 }),
        (main, input, init) => {
          const prefix: Gen[] = [3, 4, 6, 7].map((r, k) => ({ insns: [insn(Class.LDX | Mode.MEM | Size.DW, r, 10, -8 * (k + 1))] }));
          const program = new Program(encodeProgram(assemble([...prefix, ...main], [], [0.5])));
          expect(outcome(jit, program, input, init)).toEqual(outcome(interp, program, input, init));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

/**
 * A loop whose body is a chain of compare blocks, each jumping over a short pure block (compiled as
 * selects), in a subprogram: the JIT checks its budget once per iteration at the header and sums the
 * blocks' charges apart from the budget until then. Links may also call a leaf function, or leave the
 * loop for the subprogram's exit, where the budget must be exact. The caller then runs 200 one-slot
 * blocks, so the pc where a short budget runs out shows exactly what the subprogram charged.
 */
const link = fc.record({
  cls: fc.constantFrom(Class.JMP, Class.JMP32),
  code: fc.constantFrom(...jmpCodes),
  reg: fc.constantFrom(6, 7, 8),
  imm: fc.oneof(fc.integer({ min: -4, max: 300 }), fc.constantFrom(0x0f0f, 6, 3, -1)),
  body: fc.array(
    fc
      .record({ cls: fc.constantFrom(Class.ALU, Class.ALU64), code: fc.constantFrom(...pureCodes), x: fc.boolean(), dst: fc.constantFrom(6, 7), src: fc.constantFrom(6, 7, 8), imm: anyImm })
      .map(({ cls, code, x, dst, src, imm }) => insn(cls | code | (x ? Source.X : Source.K), dst, src, 0, imm)),
    { minLength: 1, maxLength: 3 },
  ),
  extra: fc.constantFrom('none', 'none', 'none', 'call', 'leave'),
});
const chainLoop = fc.record({ links: fc.array(link, { minLength: 3, maxLength: 8 }), trips: fc.integer({ min: 1, max: 12 }) }).map(({ links, trips }) => {
  // main: call sub; 200 × ja; exit.
  const main: Insn[] = [insn(Opcode.CALL, 0, CallKind.LOCAL, 0, 0), ...Array.from({ length: 200 }, () => insn(Opcode.JA)), insn(Opcode.EXIT)];
  const sub: Insn[] = [
    insn(Class.ALU64 | AluOp.MOV | Source.K, 9, 0, 0, 0),
    insn(Class.LDX | Mode.MEM | Size.DW, 8, 1, 0),
    insn(Class.ALU64 | AluOp.MOV | Source.K, 6, 0, 0, 0),
    insn(Class.ALU64 | AluOp.MOV | Source.K, 7, 0, 0, 0),
  ];
  const head = sub.length;
  sub.push(insn(Class.ALU64 | AluOp.MUL | Source.K, 8, 0, 0, 0x2545f491), insn(Class.ALU64 | AluOp.ADD | Source.X, 8, 9));
  const leaves: number[] = [];
  const calls: number[] = [];
  for (const l of links) {
    if (l.extra === 'call') {
      calls.push(sub.length);
      sub.push(insn(Opcode.CALL, 0, CallKind.LOCAL, 0, 0));
    } else if (l.extra === 'leave') {
      leaves.push(sub.length);
      sub.push(insn(Class.JMP32 | JmpOp.JEQ | Source.K, 6, 0, 0, 5));
    }
    sub.push(insn(l.cls | l.code | Source.K, l.reg, 0, l.body.length, l.imm), ...l.body);
  }
  sub.push(insn(Class.ALU64 | AluOp.ADD | Source.K, 9, 0, 0, 1));
  sub.push(insn(Class.JMP | JmpOp.JLT | Source.K, 9, 0, head - (sub.length + 1), trips));
  const exit = sub.length;
  sub.push(insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 6), insn(Class.ALU64 | AluOp.XOR | Source.X, 0, 7), insn(Opcode.EXIT));
  for (const at of leaves) sub[at] = { ...sub[at]!, offset: exit - (at + 1) };
  // leaf: 30 × ja; exit.
  const leaf: Insn[] = [...Array.from({ length: 30 }, () => insn(Opcode.JA)), insn(Opcode.EXIT)];
  const subStart = main.length;
  const leafStart = subStart + sub.length;
  main[0] = { ...main[0]!, imm: subStart - 1 };
  for (const at of calls) sub[at] = { ...sub[at]!, imm: leafStart - (subStart + at + 1) };
  return [...main, ...sub, ...leaf];
});

describe('JIT vs interpreter: budget charges deferred in loops of small blocks', () => {
  it('runs out of budget at the same pc after a loop of selects, with any budget', () => {
    fc.assert(
      fc.property(chainLoop, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.oneof(fc.integer({ min: 1, max: 1500 }), fc.constant(100000)), (insns, input, budget) => {
        const program = new Program(encodeProgram(insns));
        const lim = { ...limits, instructionBudget: budget };
        const want = outcome(interp, program, input, [0n, 0n, 0n, 0n], lim);
        expect(outcome(jit, program, input, [0n, 0n, 0n, 0n], lim)).toEqual(want);
        expect(outcome(jsOnly, program, input, [0n, 0n, 0n, 0n], lim)).toEqual(want);
      }),
      { numRuns: 1500 },
    );
  });
});
