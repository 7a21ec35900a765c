import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { AssemblyError, EbpfError, ErrorCode } from '../../src/errors.js';

function fail(src: string): AssemblyError {
  try {
    assemble(src);
  } catch (e) {
    expect(e).toBeInstanceOf(AssemblyError);
    expect(e).toBeInstanceOf(EbpfError);
    expect((e as AssemblyError).code).toBe(ErrorCode.ASSEMBLY);
    return e as AssemblyError;
  }
  throw new Error(`expected an error for ${JSON.stringify(src)}`);
}

const CASES: [string, number, number, RegExp][] = [
  ['mov r0, 1\nfoo r1, 2', 2, 1, /unknown instruction 'foo'/],
  ['mov32 r0, 0x100000000', 1, 11, /does not fit in 32 bits/],
  ['mov32 r0, -2147483649', 1, 11, /does not fit in 32 bits/],
  ['ja +40000', 1, 4, /offset 40000 does not fit in 16 bits/],
  ['ldxw r0, [r1+32768]', 1, 13, /does not fit in 16 bits/],
  ['jeq r1, 1, nowhere', 1, 12, /unknown label 'nowhere'/],
  ['ldxw r0, [r1+2', 1, 15, /expected '\]', found end of line/],
  ['add64 r11, 1', 1, 7, /register 'r11' does not exist/],
  ['mov r0, 1 2', 1, 11, /unexpected '2' after the instruction/],
  ['r1 = *(u9 *)(r2 + 0)', 1, 8, /expected a type like u8/],
  ['w1 += r2', 1, 7, /different widths/],
  ['L: exit\nL: exit', 2, 1, /label 'L' is already defined on line 1/],
  ['lddw r0, 0x10000000000000000', 1, 10, /does not fit in 64 bits/],
  ['if r1 ~ 3 goto +1', 1, 7, /unexpected character '~'/],
  ['mov %r0, 12abc', 1, 10, /malformed number/],
  ['ldxsdw r0, [r1]', 1, 1, /'ldxsdw' does not exist/],
  ['  exit\n  jeq r1, r2', 2, 13, /expected ','/],
  ['lock mul [r1+0], r2', 1, 6, /unknown atomic operation 'mul'/],
];

describe('assembler errors name line, column and what was expected', () => {
  for (const [src, line, column, message] of CASES) {
    it(JSON.stringify(src), () => {
      const e = fail(src);
      expect(e.message).toMatch(message);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.message.startsWith(`line ${line}, column ${column}: `)).toBe(true);
    });
  }

  it('reports a jump label too far for a 16-bit offset', () => {
    const far = 'ja end\n' + 'mov r0, 0\n'.repeat(40000) + 'end: exit';
    expect(fail(far).message).toMatch(/too far for a 16-bit jump offset/);
    // gotol carries the distance in imm, so the same label is fine.
    expect(assemble(far.replace('ja end', 'gotol end')).length).toBe(40002 * 8);
  });
});

describe('assembler accepts every dialect and listing leftovers', () => {
  it('accepts the kernel verifier log format', () => {
    const log = [
      '0: (b7) r0 = 1',
      '1: (18) r1 = 0xffff888100000000',
      '2: (85) call bpf_map_lookup_elem#1',
      '3: (15) if r0 == 0x0 goto pc+1',
      '4: (85) call pc+2',
      '5: (63) *(u32 *)(r10 -4) = r1',
      '6: (95) exit',
    ].join('\n');
    const expected = assemble(
      'mov r0, 1\nlddw r1, 0xffff888100000000\ncall 1\njeq r0, 0, +1\ncall local +2\nstxw [r10-4], r1\nexit',
    );
    expect(assemble(log)).toEqual(expected);
  });

  it('mixes rbpf, conformance and LLVM lines in one text, with comments of every kind', () => {
    const mixed = 'mov64 r0, 1 // rbpf\nmov %r1, 2 # conformance\nr0 += r1 ; llvm\n; only a comment\nexit';
    expect(assemble(mixed)).toEqual(assemble('mov64 r0, 1\nmov64 r1, 2\nadd64 r0, r1\nexit'));
  });

  it('skips llvm-mc directives and accepts .L labels', () => {
    expect(assemble('\t.text\n\t.globl f\nf:\n.LBB0_1:\n\tgoto .LBB0_1\n\texit')).toEqual(assemble('ja -1\nexit'));
  });
});
