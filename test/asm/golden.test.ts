import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { disassemble, disassembleInsns } from '../../src/asm/disassembler.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'asm');

// The rbpf README's assembler/disassembler example (shared/seeds, rbpf README "Assembler").
const SEED = Uint8Array.from([
  0x07, 0x01, 0x00, 0x00, 0x05, 0x06, 0x00, 0x00, 0xb7, 0x02, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0xbf, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0xdc, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x87, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);
const SEED_TEXT = 'add64 r1, 0x605\nmov64 r2, 0x32\nmov64 r1, r0\nbe16 r0\nneg64 r2\nexit\n';

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

describe('disassembler golden output', () => {
  it("prints the rbpf README's example exactly as rbpf does", () => {
    expect(disassemble(SEED)).toBe(SEED_TEXT);
    expect(assemble(SEED_TEXT)).toEqual(SEED);
  });

  it('prints the seed example in LLVM syntax, with pc and bytes like llvm-objdump', () => {
    expect(disassemble(SEED, { syntax: 'llvm' })).toBe('r1 += 1541\nr2 = 50\nr1 = r0\nr1 = be16 r0\n'.replace('r1 = be16 r0', 'r0 = be16 r0') + 'r2 = -r2\nexit\n');
    expect(disassemble(SEED, { syntax: 'llvm', showPc: true, showBytes: true }).split('\n')[0]).toBe(
      '   0:\t07 01 00 00 05 06 00 00                        \tr1 += 1541',
    );
  });

  it("prints rbpf's lddw example and the formats rbpf cannot reassemble in a form that reassembles", () => {
    const text = 'lddw r0, 0x1122334455667788\nldxw r1, [r2+0x5]\njeq r1, 0x4, +0x8\nadd64 r1, -0x5\nldxdw r0, [r10-0x8]\nja -0x3\nexit\n';
    const bytes = assemble(text);
    expect(disassemble(bytes)).toBe(text);
    expect(hex(bytes.subarray(0, 16))).toBe('1800000088776655000000004433221' + '1');
  });

  it('uses labels for jumps and local calls when asked', () => {
    const bytes = assemble('mov r0, 0\njeq r1, 0, done\ncall local f\ndone:\nexit\nf:\nmov r0, 7\nexit');
    expect(disassemble(bytes, { labels: true })).toBe(
      'mov64 r0, 0x0\njeq r1, 0x0, L3\ncall local L4\nL3:\nexit\nL4:\nmov64 r0, 0x7\nexit\n',
    );
    expect(disassemble(bytes, { labels: true, names: new Map([[4, 'f']]), syntax: 'llvm' })).toBe(
      'r0 = 0\nif r1 == 0 goto L3\ncall local f\nL3:\nexit\nf:\nr0 = 7\nexit\n',
    );
    const recs = disassembleInsns(bytes);
    expect(recs.map((r) => r.target)).toEqual([undefined, 3, 4, undefined, undefined, undefined]);
    expect(recs[1]!.bytes.length).toBe(8);
  });

  it('shows unknown opcodes and reserved-field data as .byte lines instead of throwing', () => {
    const bytes = Uint8Array.from([0xff, 1, 2, 3, 4, 5, 6, 7, 0xb7, 0x10, 0, 0, 1, 0, 0, 0]);
    const text = disassemble(bytes);
    expect(text).toBe(
      '.byte 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 ; unknown opcode 0xff\n' +
        '.byte 0xb7, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 ; reserved field src is 1, must be 0\n',
    );
    expect(assemble(text)).toEqual(bytes);
    expect(disassembleInsns(bytes)[0]!.op.kind).toBe('invalid');
  });

  it('rejects a length that is not a multiple of 8 with an EbpfError', () => {
    expect(() => disassemble(new Uint8Array(5))).toThrow(/multiple of 8/);
  });
});

describe('clang-built object (test/fixtures/asm/clang-prog.c)', () => {
  const objdump = readFileSync(join(FIX, 'clang-prog.objdump.txt'), 'utf8');
  const text = readFileSync(join(FIX, 'clang-prog.text.hex'), 'utf8').trim();

  it('assembles the llvm-objdump -dr listing, pasted as is, to the bytes of .text', () => {
    expect(hex(assemble(objdump))).toBe(text);
  });

  it('disassembles .text in LLVM syntax to the same instructions llvm-objdump printed', () => {
    const theirs = objdump
      .split('\n')
      .map((l) => /^\s*\d+:\t(?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: [0-9a-f]{2}){0,8}\t(.*)$/.exec(l)?.[1])
      .filter((l): l is string => l !== undefined)
      .map((l) => l.replace(/ <[^<>]*>$/, ''))
      // With +alu32, llvm-objdump names the destination of narrow loads `wN`; ours says `rN` (same bytes).
      .map((l) => l.replace(/^w(\d+) = \*\(/, 'r$1 = *('));
    const bytes = Uint8Array.from(text.match(/../g)!.map((x) => parseInt(x, 16)));
    const ours = disassembleInsns(bytes, { syntax: 'llvm' }).map((i) =>
      // LLVM 14 prints local calls like helper calls (`call 17`); ours say `call pc+17`.
      i.op.kind === 'call' && i.op.target === 'local' ? `call ${i.insn.imm}` : i.text,
    );
    expect(ours).toEqual(theirs);
  });

  it('round-trips .text through both syntaxes', () => {
    const bytes = Uint8Array.from(text.match(/../g)!.map((x) => parseInt(x, 16)));
    expect(hex(assemble(disassemble(bytes)))).toBe(text);
    expect(hex(assemble(disassemble(bytes, { syntax: 'llvm', labels: true })))).toBe(text);
  });
});
