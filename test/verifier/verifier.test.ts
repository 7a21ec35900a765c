import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EbpfError, ErrorCode, VerifierError } from '../../src/index.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, Opcode, PseudoLoad, Size, Source } from '../../src/isa/opcodes.js';
import { encodeProgram, insn, type Insn } from '../../src/isa/instruction.js';
import { checkProgram, createVerifier, verifyProgram, type VerifierOptions, type VerifierRule } from '../../src/verifier/index.js';

const ALU64 = (op: number, src: number): number => Class.ALU64 | op | src;
const ALU32 = (op: number, src: number): number => Class.ALU | op | src;
const MOV64_IMM = ALU64(AluOp.MOV, Source.K);
const MOV64_REG = ALU64(AluOp.MOV, Source.X);
const ADD64_IMM = ALU64(AluOp.ADD, Source.K);
const ADD64_REG = ALU64(AluOp.ADD, Source.X);
const JEQ_IMM = Class.JMP | JmpOp.JEQ | Source.K;
const LDXW = Class.LDX | Mode.MEM | Size.W;
const STW = Class.ST | Mode.MEM | Size.W;
const STXDW = Class.STX | Mode.MEM | Size.DW;
const EXIT = insn(Opcode.EXIT);
const mov = (dst: number, imm: number): Insn => insn(MOV64_IMM, dst, 0, 0, imm);

interface Case {
  name: string;
  rule: VerifierRule;
  /** Slot of the issue (undefined for whole-program issues). */
  pc: number | undefined;
  bad: Insn[] | Uint8Array;
  fixed: Insn[] | Uint8Array;
  options?: VerifierOptions;
}

const bytes = (p: Insn[] | Uint8Array): Uint8Array => (p instanceof Uint8Array ? p : encodeProgram(p));

const CASES: Case[] = [
  { name: 'empty program', rule: 'empty', pc: undefined, bad: [], fixed: [EXIT] },
  {
    name: 'length not a multiple of 8',
    rule: 'length',
    pc: undefined,
    bad: new Uint8Array([...bytes([EXIT]), 0, 0, 0]),
    fixed: [EXIT],
  },
  {
    name: 'too many instructions',
    rule: 'too-long',
    pc: undefined,
    bad: [mov(0, 1), mov(0, 2), EXIT],
    fixed: [mov(0, 2), EXIT],
    options: { maxInstructions: 2 },
  },
  { name: 'unknown opcode', rule: 'unknown-opcode', pc: 0, bad: [insn(0xff), EXIT], fixed: [mov(0, 0), EXIT] },
  {
    name: 'bad le/be size',
    rule: 'unknown-opcode',
    pc: 0,
    bad: [insn(Class.ALU | AluOp.END | Source.X, 0, 0, 0, 24), EXIT],
    fixed: [insn(Class.ALU | AluOp.END | Source.X, 0, 0, 0, 32), EXIT],
  },
  { name: 'dst register 11', rule: 'register', pc: 0, bad: [mov(11, 1), EXIT], fixed: [mov(1, 1), EXIT] },
  {
    name: 'src register 12',
    rule: 'register',
    pc: 0,
    bad: [insn(ADD64_REG, 0, 12), EXIT],
    fixed: [insn(ADD64_REG, 0, 2), EXIT],
  },
  { name: 'write to r10', rule: 'frame-pointer-write', pc: 0, bad: [mov(10, 1), EXIT], fixed: [insn(MOV64_REG, 1, 10), EXIT] },
  {
    name: 'ldx into r10',
    rule: 'frame-pointer-write',
    pc: 0,
    bad: [insn(LDXW, 10, 1), EXIT],
    fixed: [insn(LDXW, 0, 10, -4), EXIT],
  },
  {
    name: 'fetching atomic into r10',
    rule: 'frame-pointer-write',
    pc: 0,
    bad: [insn(Class.STX | Mode.ATOMIC | Size.DW, 1, 10, 0, AtomicOp.ADD | AtomicOp.FETCH), EXIT],
    fixed: [insn(Class.STX | Mode.ATOMIC | Size.DW, 10, 1, -8, AtomicOp.ADD | AtomicOp.FETCH), EXIT],
  },
  { name: 'ALU imm form with src', rule: 'reserved-field', pc: 0, bad: [insn(ADD64_IMM, 0, 1, 0, 1), EXIT], fixed: [insn(ADD64_IMM, 0, 0, 0, 1), EXIT] },
  { name: 'ALU imm form with offset', rule: 'reserved-field', pc: 0, bad: [insn(ADD64_IMM, 0, 0, 3, 1), EXIT], fixed: [insn(ADD64_IMM, 0, 0, 0, 1), EXIT] },
  { name: 'ALU reg form with imm', rule: 'reserved-field', pc: 0, bad: [insn(ADD64_REG, 0, 1, 0, 7), EXIT], fixed: [insn(ADD64_REG, 0, 1), EXIT] },
  {
    name: 'neg with imm',
    rule: 'reserved-field',
    pc: 0,
    bad: [insn(ALU64(AluOp.NEG, Source.K), 0, 0, 0, 5), EXIT],
    fixed: [insn(ALU64(AluOp.NEG, Source.K), 0), EXIT],
  },
  { name: 'ja with a register', rule: 'reserved-field', pc: 0, bad: [insn(Opcode.JA, 1, 0, 0), EXIT], fixed: [insn(Opcode.JA, 0, 0, 0), EXIT] },
  { name: 'exit with imm', rule: 'reserved-field', pc: 0, bad: [insn(Opcode.EXIT, 0, 0, 0, 1)], fixed: [EXIT] },
  { name: 'jump imm form with src', rule: 'reserved-field', pc: 0, bad: [insn(JEQ_IMM, 1, 2, 0, 0), EXIT], fixed: [insn(JEQ_IMM, 1, 0, 0, 0), EXIT] },
  { name: 'store imm with src', rule: 'reserved-field', pc: 0, bad: [insn(STW, 10, 1, -4, 1), EXIT], fixed: [insn(STW, 10, 0, -4, 1), EXIT] },
  { name: 'store reg with imm', rule: 'reserved-field', pc: 0, bad: [insn(STXDW, 10, 1, -8, 1), EXIT], fixed: [insn(STXDW, 10, 1, -8), EXIT] },
  { name: 'call with offset', rule: 'reserved-field', pc: 0, bad: [insn(Opcode.CALL, 0, 0, 1, 5), EXIT], fixed: [insn(Opcode.CALL, 0, 0, 0, 5), EXIT] },
  { name: 'callx with imm', rule: 'reserved-field', pc: 0, bad: [insn(Opcode.CALLX, 2, 0, 0, 2), EXIT], fixed: [insn(Opcode.CALLX, 2), EXIT] },
  {
    name: 'lddw second slot not blank',
    rule: 'incomplete-lddw',
    pc: 1,
    bad: [insn(Opcode.LDDW, 0, 0, 0, 1), insn(0, 1, 0, 0, 0), EXIT],
    fixed: [insn(Opcode.LDDW, 0, 0, 0, 1), insn(0, 0, 0, 0, 0), EXIT],
  },
  {
    name: 'lddw at the end',
    rule: 'incomplete-lddw',
    pc: 1,
    bad: [EXIT, insn(Opcode.LDDW, 0, 0, 0, 1)],
    fixed: [EXIT, insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
  },
  {
    name: 'lddw pseudo map load without a loader',
    rule: 'pseudo-load',
    pc: 0,
    bad: [insn(Opcode.LDDW, 1, PseudoLoad.MAP_FD, 0, 3), insn(0), EXIT],
    fixed: [insn(Opcode.LDDW, 1, PseudoLoad.NONE, 0, 3), insn(0), EXIT],
  },
  {
    name: 'lddw unknown pseudo source even when allowed',
    rule: 'pseudo-load',
    pc: 0,
    bad: [insn(Opcode.LDDW, 1, 9, 0, 3), insn(0), EXIT],
    fixed: [insn(Opcode.LDDW, 1, PseudoLoad.MAP_VALUE, 0, 3), insn(0), EXIT],
    options: { allowPseudoLoads: true },
  },
  {
    name: 'jump past the end',
    rule: 'jump-out-of-range',
    pc: 0,
    bad: [insn(JEQ_IMM, 1, 0, 5, 0), EXIT],
    fixed: [insn(JEQ_IMM, 1, 0, 0, 0), EXIT],
  },
  {
    name: 'jump before the start',
    rule: 'jump-out-of-range',
    pc: 1,
    bad: [mov(0, 0), insn(Opcode.JA, 0, 0, -3), EXIT],
    fixed: [mov(0, 0), insn(Opcode.JA, 0, 0, 0), EXIT],
  },
  {
    name: 'gotol past the end',
    rule: 'jump-out-of-range',
    pc: 0,
    bad: [insn(Opcode.GOTOL, 0, 0, 0, 2), EXIT],
    fixed: [insn(Opcode.GOTOL, 0, 0, 0, 0), EXIT],
  },
  {
    name: 'jump into an lddw',
    rule: 'jump-into-lddw',
    pc: 0,
    bad: [insn(Opcode.JA, 0, 0, 1), insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
    fixed: [insn(Opcode.JA, 0, 0, 2), insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
  },
  { name: 'ja -1', rule: 'jump-to-self', pc: 1, bad: [mov(0, 0), insn(Opcode.JA, 0, 0, -1), EXIT], fixed: [mov(0, 0), insn(Opcode.JA, 0, 0, 0), EXIT] },
  {
    name: 'local call past the end',
    rule: 'call-out-of-range',
    pc: 0,
    bad: [insn(Opcode.CALL, 0, 1, 0, 5), EXIT, EXIT],
    fixed: [insn(Opcode.CALL, 0, 1, 0, 1), EXIT, EXIT],
  },
  {
    name: 'local call into an lddw',
    rule: 'call-into-lddw',
    pc: 0,
    bad: [insn(Opcode.CALL, 0, 1, 0, 2), EXIT, insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
    fixed: [insn(Opcode.CALL, 0, 1, 0, 1), EXIT, insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
  },
  {
    name: 'unregistered helper',
    rule: 'unknown-helper',
    pc: 0,
    bad: [insn(Opcode.CALL, 0, 0, 0, 7), EXIT],
    fixed: [insn(Opcode.CALL, 0, 0, 0, 5), EXIT],
    options: { helpers: new Set([5, 6]) },
  },
  { name: 'kfunc call', rule: 'kfunc', pc: 0, bad: [insn(Opcode.CALL, 0, 2, 0, 77), EXIT], fixed: [insn(Opcode.CALL, 0, 0, 0, 77), EXIT] },
  {
    name: 'v4 instruction with cpu v3',
    rule: 'cpu-version',
    pc: 0,
    bad: [insn(ALU64(AluOp.DIV, Source.K), 0, 0, 1, 3), EXIT],
    fixed: [insn(ALU64(AluOp.DIV, Source.K), 0, 0, 0, 3), EXIT],
    options: { cpuVersion: 3 },
  },
  {
    name: 'jmp32 with cpu v2',
    rule: 'cpu-version',
    pc: 0,
    bad: [insn(Class.JMP32 | JmpOp.JEQ | Source.K, 1, 0, 0, 0), EXIT],
    fixed: [insn(JEQ_IMM, 1, 0, 0, 0), EXIT],
    options: { cpuVersion: 2 },
  },
  { name: 'fall-through past the end', rule: 'fall-through', pc: 0, bad: [mov(0, 1)], fixed: [mov(0, 1), EXIT] },
  {
    name: 'lddw as last instruction',
    rule: 'fall-through',
    pc: 1,
    bad: [EXIT, insn(Opcode.LDDW, 0, 0, 0, 1), insn(0)],
    fixed: [insn(Opcode.LDDW, 0, 0, 0, 1), insn(0), EXIT],
  },
  {
    name: 'division by the immediate 0',
    rule: 'division-by-zero',
    pc: 0,
    bad: [insn(ALU32(AluOp.DIV, Source.K), 0, 0, 0, 0), EXIT],
    fixed: [insn(ALU32(AluOp.DIV, Source.K), 0, 0, 0, 2), EXIT],
  },
  {
    name: 'signed modulo by the immediate 0',
    rule: 'division-by-zero',
    pc: 0,
    bad: [insn(ALU64(AluOp.MOD, Source.K), 0, 0, 1, 0), EXIT],
    fixed: [insn(ALU64(AluOp.MOD, Source.K), 0, 0, 1, -2), EXIT],
  },
  {
    name: 'shift out of range (strict)',
    rule: 'shift-range',
    pc: 0,
    bad: [insn(ALU32(AluOp.LSH, Source.K), 0, 0, 0, 32), EXIT],
    fixed: [insn(ALU32(AluOp.LSH, Source.K), 0, 0, 0, 31), EXIT],
    options: { strict: true },
  },
];

describe('verifier rules', () => {
  for (const c of CASES) {
    it(`${c.name}: rejected by rule ${c.rule}, fixed version accepted`, () => {
      const issues = checkProgram(bytes(c.bad), c.options);
      expect(issues.map((i) => [i.rule, i.pc])).toEqual([[c.rule, c.pc]]);
      expect(issues[0]!.message.length).toBeGreaterThan(20);
      let thrown: unknown;
      try {
        verifyProgram(bytes(c.bad), c.options);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(VerifierError);
      const err = thrown as VerifierError;
      expect(err.code).toBe(ErrorCode.VERIFY);
      expect(err.pc).toBe(c.pc);
      expect(err.message).toContain(issues[0]!.message);
      expect(checkProgram(bytes(c.fixed), c.options)).toEqual([]);
      expect(() => verifyProgram(bytes(c.fixed), c.options)).not.toThrow();
    });
  }

  it('shift out of range is only a warning by default', () => {
    const prog = encodeProgram([insn(ALU64(AluOp.RSH, Source.K), 0, 0, 0, 64), EXIT]);
    const issues = checkProgram(prog);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'shift-range', severity: 'warning', pc: 0 });
    expect(() => verifyProgram(prog)).not.toThrow();
  });

  it('checkProgram reports every problem, verifyProgram the first', () => {
    const prog = encodeProgram([mov(11, 0), insn(0xff), insn(JEQ_IMM, 1, 0, 9, 0), mov(10, 1)]);
    const rules = checkProgram(prog).map((i) => `${i.pc}:${i.rule}`);
    expect(rules).toEqual(['0:register', '1:unknown-opcode', '2:jump-out-of-range', '3:frame-pointer-write', '3:fall-through']);
    expect(() => verifyProgram(prog)).toThrow(/^pc 0: .*r11/);
  });

  it('allows listed pseudo loads only', () => {
    const prog = encodeProgram([insn(Opcode.LDDW, 1, PseudoLoad.MAP_IDX, 0, 0), insn(0), EXIT]);
    expect(checkProgram(prog, { allowPseudoLoads: [PseudoLoad.MAP_IDX] })).toEqual([]);
    expect(checkProgram(prog, { allowPseudoLoads: [PseudoLoad.MAP_FD] }).map((i) => i.rule)).toEqual(['pseudo-load']);
  });

  it('accepts a helper Map as the registered-helper set', () => {
    const prog = encodeProgram([insn(Opcode.CALL, 0, 0, 0, 1), EXIT]);
    expect(() => createVerifier({ helpers: new Map([[1, 'x']]) })(prog)).not.toThrow();
    expect(() => createVerifier({ helpers: new Map([[2, 'x']]) })(prog)).toThrow(VerifierError);
  });

  it('accepts a conditional jump to itself (it may never be taken)', () => {
    expect(checkProgram(encodeProgram([insn(JEQ_IMM, 1, 0, -1, 0), EXIT]))).toEqual([]);
  });
});

describe('conformance suite through the verifier', () => {
  const url = new URL('../fixtures/conformance/manifest.jsonl', import.meta.url);
  const tests = readFileSync(url, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; program: string; cpu_version: 1 | 2 | 3 | 4 });
  it('has the 313 programs', () => expect(tests).toHaveLength(313));
  it('accepts every manifest program at its cpu version', () => {
    const rejected = tests.filter((t) => {
      const prog = Uint8Array.from(Buffer.from(t.program, 'hex'));
      try {
        verifyProgram(prog, { cpuVersion: t.cpu_version });
        return false;
      } catch {
        return true;
      }
    });
    expect(rejected.map((t) => t.name)).toEqual([]);
  });
  it('rejects v4 programs at cpu v3 with a cpu-version issue', () => {
    const v4 = tests.filter((t) => t.cpu_version === 4);
    expect(v4.length).toBeGreaterThan(0);
    for (const t of v4) {
      const issues = checkProgram(Uint8Array.from(Buffer.from(t.program, 'hex')), { cpuVersion: 3 });
      expect(issues.some((i) => i.rule === 'cpu-version'), t.name).toBe(true);
    }
  });
});

describe('robustness', () => {
  it('only ever throws VerifierError, on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (raw, strict) => {
        try {
          verifyProgram(raw, { strict });
        } catch (e) {
          if (!(e instanceof EbpfError) || e.code !== ErrorCode.VERIFY) throw e;
        }
        for (const issue of checkProgram(raw)) {
          expect(issue.pc === undefined || (issue.pc >= 0 && issue.pc < raw.length / 8)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
