import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOperation, decodeProgram, encodeProgram, insn, type Operation } from '../../src/isa/index.js';
import { branchTarget, cpuVersionOf } from '../../src/isa/operation.js';
import { decodeInsn, splitWideImm, wideImm } from '../../src/isa/instruction.js';
import { basicBlocks } from '../../src/verifier/cfg.js';

interface ManifestEntry {
  name: string;
  program: string;
  cpu_version: number;
}

const manifest: ManifestEntry[] = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'conformance', 'manifest.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as ManifestEntry);

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

describe('instruction encoding', () => {
  it('decodes the fields of a slot', () => {
    // ldxh r0, [r1+2] with a negative immediate in an unused field to exercise sign extension
    const i = decodeInsn(Uint8Array.of(0x69, 0x10, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x80), 0);
    expect(i).toEqual({ opcode: 0x69, dst: 0, src: 1, offset: -2, imm: 0x80ffffff | 0 });
  });

  it('round-trips every slot through encode and decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 * 16 }).filter((b) => b.length % 8 === 0), (bytes) => {
        expect(encodeProgram(decodeProgram(bytes))).toEqual(bytes);
      }),
    );
  });

  it('splits and joins 64-bit immediates', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        const { lo, hi } = splitWideImm(v);
        expect(wideImm(insn(0x18, 0, 0, 0, lo), insn(0, 0, 0, 0, hi))).toBe(v);
      }),
    );
  });
});

describe('semantic decoding', () => {
  const cases: [string, number, Partial<{ src: number; offset: number; imm: number }>, Operation][] = [
    ['add32 imm', 0x04, {}, { kind: 'alu', op: 'add', width: 32, source: 'imm' }],
    ['add64 reg', 0x0f, {}, { kind: 'alu', op: 'add', width: 64, source: 'reg' }],
    ['sdiv64', 0x3f, { offset: 1 }, { kind: 'alu', op: 'sdiv', width: 64, source: 'reg' }],
    ['smod32', 0x94, { offset: 1 }, { kind: 'alu', op: 'smod', width: 32, source: 'imm' }],
    ['movsx8 64', 0xbf, { offset: 8 }, { kind: 'movsx', width: 64, bits: 8 }],
    ['movsx32 64', 0xbf, { offset: 32 }, { kind: 'movsx', width: 64, bits: 32 }],
    ['neg64', 0x87, {}, { kind: 'neg', width: 64 }],
    ['le16', 0xd4, { imm: 16 }, { kind: 'end', order: 'le', bits: 16 }],
    ['be64', 0xdc, { imm: 64 }, { kind: 'end', order: 'be', bits: 64 }],
    ['bswap32', 0xd7, { imm: 32 }, { kind: 'end', order: 'swap', bits: 32 }],
    ['ja', 0x05, {}, { kind: 'ja', long: false }],
    ['gotol', 0x06, {}, { kind: 'ja', long: true }],
    ['jsle32 reg', 0xde, {}, { kind: 'jcond', cond: 'jsle', width: 32, source: 'reg' }],
    ['call helper', 0x85, { src: 0 }, { kind: 'call', target: 'helper' }],
    ['call local', 0x85, { src: 1 }, { kind: 'call', target: 'local' }],
    ['callx', 0x8d, {}, { kind: 'callx' }],
    ['exit', 0x95, {}, { kind: 'exit' }],
    ['lddw map fd', 0x18, { src: 1 }, { kind: 'lddw', pseudo: 1 }],
    ['ldxsh', 0x89, {}, { kind: 'ldx', size: 2, signed: true }],
    ['ldxdw', 0x79, {}, { kind: 'ldx', size: 8, signed: false }],
    ['stb', 0x72, {}, { kind: 'st', size: 1 }],
    ['stxw', 0x63, {}, { kind: 'stx', size: 4 }],
    ['lock add32', 0xc3, { imm: 0 }, { kind: 'atomic', size: 4, op: 'add', fetch: false }],
    ['lock fetch or64', 0xdb, { imm: 0x41 }, { kind: 'atomic', size: 8, op: 'or', fetch: true }],
    ['lock cmpxchg64', 0xdb, { imm: 0xf1 }, { kind: 'atomic', size: 8, op: 'cmpxchg', fetch: true }],
    ['ldabsh', 0x28, {}, { kind: 'ldabs', size: 2 }],
    ['ldindb', 0x50, {}, { kind: 'ldind', size: 1 }],
  ];
  it.each(cases)('%s', (_name, opcode, fields, expected) => {
    expect(decodeOperation(insn(opcode, 1, fields.src ?? 2, fields.offset ?? 0, fields.imm ?? 0))).toEqual(expected);
  });

  const invalid: [string, number, Partial<{ src: number; offset: number; imm: number }>][] = [
    ['opcode 0', 0x00, {}],
    ['neg with register source', 0x8f, {}],
    ['bswap with register source', 0xdf, { imm: 16 }],
    ['end with size 8', 0xd4, { imm: 8 }],
    ['div with offset 2', 0x37, { offset: 2 }],
    ['movsx32 in ALU32', 0xbc, { offset: 32 }],
    ['movsx with immediate', 0xb7, { offset: 8 }],
    ['call with src 3', 0x85, { src: 3 }],
    ['exit with register source', 0x9d, {}],
    ['ja with register source', 0x0d, {}],
    ['call in JMP32', 0x86, {}],
    ['atomic on a byte', 0xd3, {}],
    ['unknown atomic op', 0xdb, { imm: 0x02 }],
    ['ldxsdw', 0x99, {}],
    ['lddw in ABS mode', 0x38, {}],
  ];
  it.each(invalid)('rejects %s', (_name, opcode, fields) => {
    expect(decodeOperation(insn(opcode, 1, fields.src ?? 0, fields.offset ?? 0, fields.imm ?? 0)).kind).toBe('invalid');
  });

  it('never throws, whatever the slot', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const op = decodeOperation(decodeInsn(bytes, 0));
        expect(typeof op.kind).toBe('string');
      }),
      { numRuns: 5000 },
    );
  });

  it.each(manifest.map((t) => [t.name, t] as const))('classifies every slot of conformance test %s', (_n, t) => {
    const insns = decodeProgram(hexBytes(t.program));
    let maxCpu = 1;
    for (let pc = 0; pc < insns.length; pc++) {
      const op = decodeOperation(insns[pc]!);
      expect(op.kind, `pc ${pc}`).not.toBe('invalid');
      maxCpu = Math.max(maxCpu, cpuVersionOf(op));
      if (op.kind === 'lddw') pc++;
    }
    expect(maxCpu).toBeLessThanOrEqual(t.cpu_version);
  });
});

describe('basic blocks', () => {
  it('splits at jumps, targets, calls and exits and counts lddw once', () => {
    const prog = [
      insn(0x18, 0, 0, 0, 1), // 0: lddw (two slots)
      insn(0, 0, 0, 0, 0),
      insn(0x15, 0, 0, 2, 0), // 2: jeq r0, 0, +2 -> 5
      insn(0x85, 0, 0, 0, 5), // 3: call 5
      insn(0x07, 0, 0, 0, 1), // 4
      insn(0x95), // 5: exit
    ];
    expect(basicBlocks(prog)).toEqual([
      { start: 0, end: 3, length: 2 },
      { start: 3, end: 4, length: 1 },
      { start: 4, end: 5, length: 1 },
      { start: 5, end: 6, length: 1 },
    ]);
    expect(branchTarget(decodeOperation(prog[2]!), prog[2]!, 2)).toBe(5);
  });
});
