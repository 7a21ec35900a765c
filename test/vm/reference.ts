/**
 * A deliberately simple BigInt model of RFC 9669's ALU and jump semantics, written straight from the
 * RFC's tables, used as the oracle for the interpreter's differential tests.
 */
import type { AluName, JumpCond } from '../../src/isa/index.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** dst OP src for a 64-bit ALU operation; `a` and `b` are unsigned 64-bit. */
export function alu64(op: AluName, a: bigint, b: bigint): bigint {
  switch (op) {
    case 'add': return u64(a + b);
    case 'sub': return u64(a - b);
    case 'mul': return u64(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'sdiv': {
      if (b === 0n) return 0n;
      return u64(s64(a) / s64(b));
    }
    case 'or': return a | b;
    case 'and': return a & b;
    case 'lsh': return u64(a << (b & 63n));
    case 'rsh': return a >> (b & 63n);
    case 'mod': return b === 0n ? a : a % b;
    case 'smod': return b === 0n ? a : u64(s64(a) % s64(b));
    case 'xor': return a ^ b;
    case 'mov': return b;
    case 'arsh': return u64(s64(a) >> (b & 63n));
  }
}

/** dst OP src for a 32-bit ALU operation (result zero-extended). */
export function alu32(op: AluName, a64: bigint, b64: bigint): bigint {
  const a = u32(a64);
  const b = u32(b64);
  switch (op) {
    case 'add': return u32(a + b);
    case 'sub': return u32(a - b);
    case 'mul': return u32(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'sdiv': return b === 0n ? 0n : u32(s32(a) / s32(b));
    case 'or': return a | b;
    case 'and': return a & b;
    case 'lsh': return u32(a << (b & 31n));
    case 'rsh': return a >> (b & 31n);
    case 'mod': return b === 0n ? a : a % b;
    case 'smod': return b === 0n ? a : u32(s32(a) % s32(b));
    case 'xor': return a ^ b;
    case 'mov': return b;
    case 'arsh': return u32(s32(a) >> (b & 31n));
  }
}

/** Does the jump condition hold? `width` 32 compares the low words. */
export function jump(cond: JumpCond, a64: bigint, b64: bigint, width: 32 | 64): boolean {
  const a = width === 32 ? u32(a64) : a64 & M64;
  const b = width === 32 ? u32(b64) : b64 & M64;
  const sa = width === 32 ? s32(a) : s64(a);
  const sb = width === 32 ? s32(b) : s64(b);
  switch (cond) {
    case 'jeq': return a === b;
    case 'jne': return a !== b;
    case 'jgt': return a > b;
    case 'jge': return a >= b;
    case 'jlt': return a < b;
    case 'jle': return a <= b;
    case 'jset': return (a & b) !== 0n;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
}
