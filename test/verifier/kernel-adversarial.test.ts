/**
 * Hostile input to the kernel-level verifier: malformed bytes, mutated real programs, huge and deeply
 * nested programs, a budget that runs out. Nothing may throw (other than argument errors), hang or
 * overflow the stack; cost is measured in `npm run bench`, not asserted here.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { encodeProgram, insn } from '../../src/isa/instruction.js';
import { checkProgram } from '../../src/verifier/index.js';
import type { MapInfo } from '../../src/verifier/analysis/index.js';

const MAPS = new Map<number, MapInfo>([[1, { type: 1, keySize: 4, valueSize: 8, maxEntries: 4 }]]);

describe('kernel level on hostile programs', () => {
  it('malformed bytes are shape errors, not crashes', () => {
    expect(checkProgram(new Uint8Array(7), { level: 'kernel' })[0]!.rule).toBe('length');
    expect(checkProgram(new Uint8Array(0), { level: 'kernel' })[0]!.rule).toBe('empty');
    const intoLddw = assemble('ja +1\nr0 = 1 ll\nexit');
    expect(checkProgram(intoLddw, { level: 'kernel' }).map((i) => i.rule)).toContain('jump-into-lddw');
  });

  it('mutated real programs never throw', () => {
    const obj = loadObject(new Uint8Array(readFileSync('examples/xdp_firewall.o')));
    const base = obj.program(obj.programs[0]!.name).program.bytes;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const prog = base.slice();
        for (const [at, v] of edits) prog[at] = v;
        const issues = checkProgram(prog, { level: 'kernel', programType: 'xdp', maps: MAPS, maxSteps: 200_000 });
        for (const i of issues) expect(typeof i.message).toBe('string');
      }),
      { seed: 14, numRuns: 150 },
    );
  });

  it('random instruction soup never throws', () => {
    const slot = fc.record({
      opcode: fc.constantFrom(0x07, 0x0f, 0x17, 0xb7, 0xbf, 0x61, 0x63, 0x71, 0x79, 0x7b, 0x15, 0x25, 0x2d, 0xa5, 0x05, 0x85, 0x95, 0x04, 0xbc, 0x3f, 0x9f, 0xc7),
      dst: fc.integer({ min: 0, max: 10 }),
      src: fc.integer({ min: 0, max: 10 }),
      offset: fc.integer({ min: -8, max: 8 }),
      imm: fc.integer({ min: -16, max: 16 }),
    });
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 40 }), (slots) => {
        const insns = slots.map((s) => (s.opcode === 0x85 ? insn(0x85, 0, 0, 0, Math.abs(s.imm) % 9) : insn(s.opcode, s.dst, s.src, s.offset, s.imm)));
        insns.push(insn(0xb7), insn(0x95));
        checkProgram(encodeProgram(insns), { level: 'kernel', maxSteps: 100_000 });
      }),
      { seed: 1414, numRuns: 300 },
    );
  });

  it('a budget that runs out is a clear complexity problem', () => {
    const issues = checkProgram(assemble('r1 = 0\nloop:\nr1 += 1\nif r1 < 1000 goto loop\nr0 = 0\nexit'), { level: 'kernel', maxSteps: 5 });
    expect(issues.map((i) => i.rule)).toEqual(['complexity']);
    expect(issues[0]!.message).toMatch(/more than 5 instructions/);
  });

  it('100,000 instructions and 3,000 nested branches verify without crashing', () => {
    const straight = [];
    for (let i = 0; i < 99_998; i++) straight.push(insn(0xb7, i % 10, 0, 0, i));
    straight.push(insn(0xb7), insn(0x95));
    expect(checkProgram(encodeProgram(straight), { level: 'kernel' })).toEqual([]);
    const nest = ['call 7', 'r1 = r0'];
    for (let k = 0; k < 3_000; k++) nest.push(`if r1 == ${k} goto e${k}`);
    nest.push('r0 = 0', 'exit');
    for (let k = 2_999; k >= 0; k--) nest.push(`e${k}:`, 'r0 = 1', 'exit');
    expect(checkProgram(assemble(nest.join('\n')), { level: 'kernel' })).toEqual([]);
  });

  it('many loops, each unprovable, stay within the budget', () => {
    const lines: string[] = ['call 7', 'r6 = r0'];
    for (let k = 0; k < 50; k++) lines.push(`l${k}:`, 'r6 += 0', `if r6 != 5 goto l${k}`);
    lines.push('r0 = 0', 'exit');
    const issues = checkProgram(assemble(lines.join('\n')), { level: 'kernel' });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.rule === 'unbounded-loop' || i.rule === 'complexity')).toBe(true);
  });
});
