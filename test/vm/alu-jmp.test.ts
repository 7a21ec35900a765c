/**
 * ALU and jump instructions, every operation in both widths and both operand sources, checked against a
 * BigInt model of RFC 9669 on edge values and on random 64-bit values (fast-check).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AluName, JumpCond } from '../../src/isa/index.js';
import { alu32, alu64, jump } from './reference.js';
import { AluOp, Class, JmpOp, Source, exit, insn, lddw, mov, run } from './util.js';

const ALU: readonly [AluName, number, number][] = [
  ['add', AluOp.ADD, 0], ['sub', AluOp.SUB, 0], ['mul', AluOp.MUL, 0], ['div', AluOp.DIV, 0],
  ['sdiv', AluOp.DIV, 1], ['or', AluOp.OR, 0], ['and', AluOp.AND, 0], ['lsh', AluOp.LSH, 0],
  ['rsh', AluOp.RSH, 0], ['mod', AluOp.MOD, 0], ['smod', AluOp.MOD, 1], ['xor', AluOp.XOR, 0],
  ['mov', AluOp.MOV, 0], ['arsh', AluOp.ARSH, 0],
];
const JUMPS: readonly [JumpCond, number][] = [
  ['jeq', JmpOp.JEQ], ['jgt', JmpOp.JGT], ['jge', JmpOp.JGE], ['jset', JmpOp.JSET], ['jne', JmpOp.JNE],
  ['jsgt', JmpOp.JSGT], ['jsge', JmpOp.JSGE], ['jlt', JmpOp.JLT], ['jle', JmpOp.JLE], ['jslt', JmpOp.JSLT],
  ['jsle', JmpOp.JSLE],
];

const EDGES = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x123456789abcdefn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xffffffff80000000n,
  0xfffffffffffffffen, 0x1fffffffffffffn, 0x20000000000000n,
];
const IMM_EDGES = [0, 1, -1, 2, 31, 32, 63, 64, 0x7fffffff, -0x80000000, -2, 1000, -1000];

const u64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 0xffffffffn }));
const imm32 = fc.oneof(fc.constantFrom(...IMM_EDGES), fc.integer({ min: -0x80000000, max: 0x7fffffff }));

function aluReg(width: 32 | 64, code: number, off: number, a: bigint, b: bigint): bigint {
  const cls = width === 64 ? Class.ALU64 : Class.ALU;
  return run([...lddw(0, a), ...lddw(1, b), insn(cls | code | Source.X, 0, 1, off, 0), exit()]);
}

function aluImm(width: 32 | 64, code: number, off: number, a: bigint, imm: number): bigint {
  const cls = width === 64 ? Class.ALU64 : Class.ALU;
  return run([...lddw(0, a), insn(cls | code | Source.K, 0, 0, off, imm), exit()]);
}

describe('ALU against the RFC model', () => {
  for (const width of [64, 32] as const) {
    const model = width === 64 ? alu64 : alu32;
    for (const [name, code, off] of ALU) {
      it(`${name}${width} reg: edge values`, () => {
        for (const a of EDGES) for (const b of EDGES) expect(aluReg(width, code, off, a, b)).toBe(model(name, a, b));
      });
      it(`${name}${width} reg and imm: random values`, () => {
        fc.assert(
          fc.property(u64, u64, imm32, (a, b, k) => {
            expect(aluReg(width, code, off, a, b)).toBe(model(name, a, b));
            expect(aluImm(width, code, off, a, k)).toBe(model(name, a, BigInt.asUintN(64, BigInt(k))));
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('64-bit shifts by every immediate amount, in range or not (the amount is taken & 63)', () => {
    // Alone, and as the second half of a superinstruction (mov64_x + rsh64_k), which copies the case.
    for (const [name, code] of [['lsh', AluOp.LSH], ['rsh', AluOp.RSH], ['arsh', AluOp.ARSH]] as const) {
      for (let k = -70; k <= 130; k++) {
        for (const a of EDGES) {
          const want = alu64(name, a, BigInt.asUintN(64, BigInt(k)));
          expect(aluImm(64, code, 0, a, k)).toBe(want);
          const movx = insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 1);
          const fused = run([...lddw(1, a), movx, insn(Class.ALU64 | code | Source.K, 0, 0, 0, k), exit()]);
          expect(fused).toBe(want);
        }
      }
    }
  });

  it('INT_MIN / -1 and INT_MIN % -1 (both widths)', () => {
    expect(aluImm(64, AluOp.DIV, 1, 0x8000000000000000n, -1)).toBe(0x8000000000000000n);
    expect(aluImm(64, AluOp.MOD, 1, 0x8000000000000000n, -1)).toBe(0n);
    expect(aluImm(32, AluOp.DIV, 1, 0x80000000n, -1)).toBe(0x80000000n);
    expect(aluImm(32, AluOp.MOD, 1, 0x80000000n, -1)).toBe(0n);
  });

  it('division by zero gives 0, modulo by zero keeps dst (32-bit zero-extends)', () => {
    expect(aluImm(64, AluOp.DIV, 0, 123n, 0)).toBe(0n);
    expect(aluImm(64, AluOp.MOD, 0, 0xffffffff00000005n, 0)).toBe(0xffffffff00000005n);
    expect(aluImm(32, AluOp.MOD, 0, 0xffffffff00000005n, 0)).toBe(5n);
    expect(aluImm(32, AluOp.MOD, 1, 0xffffffff00000005n, 0)).toBe(5n);
  });

  it('neg, both widths', () => {
    for (const a of EDGES) {
      expect(run([...lddw(0, a), insn(Class.ALU64 | AluOp.NEG, 0), exit()])).toBe(BigInt.asUintN(64, -a));
      expect(run([...lddw(0, a), insn(Class.ALU | AluOp.NEG, 0), exit()])).toBe(BigInt.asUintN(32, -a));
    }
  });

  it('movsx 8/16/32 to 64 and 8/16 to 32', () => {
    for (const a of EDGES) {
      for (const bits of [8, 16, 32]) {
        const got = run([...lddw(1, a), insn(Class.ALU64 | AluOp.MOV | Source.X, 0, 1, bits, 0), exit()]);
        expect(got).toBe(BigInt.asUintN(64, BigInt.asIntN(bits, a)));
      }
      for (const bits of [8, 16]) {
        const got = run([...lddw(1, a), insn(Class.ALU | AluOp.MOV | Source.X, 0, 1, bits, 0), exit()]);
        expect(got).toBe(BigInt.asUintN(32, BigInt.asIntN(bits, a)));
      }
    }
  });

  it('le, be and bswap of 16, 32 and 64 bits', () => {
    const v = 0x0123456789abcdefn;
    const end = (cls: number, src: number, bits: number): bigint => run([...lddw(0, v), insn(cls | AluOp.END | src, 0, 0, 0, bits), exit()]);
    expect(end(Class.ALU, Source.K, 16)).toBe(0xcdefn);
    expect(end(Class.ALU, Source.K, 32)).toBe(0x89abcdefn);
    expect(end(Class.ALU, Source.K, 64)).toBe(v);
    expect(end(Class.ALU, Source.X, 16)).toBe(0xefcdn);
    expect(end(Class.ALU, Source.X, 32)).toBe(0xefcdab89n);
    expect(end(Class.ALU, Source.X, 64)).toBe(0xefcdab8967452301n);
    expect(end(Class.ALU64, Source.K, 16)).toBe(0xefcdn);
    expect(end(Class.ALU64, Source.K, 32)).toBe(0xefcdab89n);
    expect(end(Class.ALU64, Source.K, 64)).toBe(0xefcdab8967452301n);
  });
});

describe('jumps against the RFC model', () => {
  // r0 = 1 when the jump is taken, 0 otherwise.
  const jumpReg = (width: 32 | 64, code: number, a: bigint, b: bigint): bigint =>
    run([...lddw(2, a), ...lddw(3, b), mov(0, 0), insn((width === 64 ? Class.JMP : Class.JMP32) | code | Source.X, 2, 3, 1, 0), exit(), mov(0, 1), exit()]);
  const jumpImm = (width: 32 | 64, code: number, a: bigint, k: number): bigint =>
    run([...lddw(2, a), mov(0, 0), insn((width === 64 ? Class.JMP : Class.JMP32) | code | Source.K, 2, 0, 1, k), exit(), mov(0, 1), exit()]);

  for (const width of [64, 32] as const) {
    for (const [cond, code] of JUMPS) {
      it(`${cond}${width === 32 ? '32' : ''}: edge and random values, reg and imm`, () => {
        for (const a of EDGES.slice(0, 12)) for (const b of EDGES.slice(8)) {
          expect(jumpReg(width, code, a, b)).toBe(jump(cond, a, b, width) ? 1n : 0n);
        }
        fc.assert(
          fc.property(u64, u64, imm32, (a, b, k) => {
            expect(jumpReg(width, code, a, b)).toBe(jump(cond, a, b, width) ? 1n : 0n);
            expect(jumpImm(width, code, a, k)).toBe(jump(cond, a, BigInt.asUintN(64, BigInt(k)), width) ? 1n : 0n);
          }),
          { numRuns: 40 },
        );
      });
    }
  }

  it('ja and gotol (offset in imm) skip forward and backward', () => {
    expect(run([mov(0, 1), insn(Class.JMP | JmpOp.JA, 0, 0, 1, 0), mov(0, 2), exit()])).toBe(1n);
    // gotol +2 over two movs; then back with ja.
    expect(run([mov(0, 1), insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, 2), mov(0, 2), exit(), exit()])).toBe(1n);
    expect(run([mov(0, 5), insn(Class.JMP | JmpOp.JA, 0, 0, 1, 0), exit(), insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, -2)])).toBe(5n);
  });
});
