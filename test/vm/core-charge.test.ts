/**
 * The interpreter core's budget charged at control transfers by chains of blocks
 * (src/vm/interpreter-core-charge.ts): a table of the charges each rule gives (a block entered only by
 * falling through joins its predecessor's chain; a jump, `ja`, `exit`, helper or local call ends one; an
 * `lddw` counts once; slots inside a block carry what their chain holds after their block), then the
 * three engines (JS loop, core, JIT) at every budget on programs where a chain spans several blocks and a
 * run is handed over or ends inside it: a helper call, an access no region allows, LD_ABS past the end, a
 * local call and its return, the budget running out in a later block of a chain.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/index.js';
import { chainCharges } from '../../src/vm/interpreter-core-charge.js';
import { DEFAULT_LIMITS, type HelperEntry, type HelperTable } from '../../src/vm/environment.js';
import { Program } from '../../src/vm/program.js';
import { agreeAtEveryBudget } from '../jit/three-engines.js';

function charges(source: string): number[] {
  const program = new Program(assemble(source));
  return Array.from(chainCharges(program, program.insns.length));
}

describe('chain charges (word 3 of the core\'s slots)', () => {
  const table: [string, string, number[]][] = [
    ['one block: its length at the first slot, 0 after it', 'mov r0, 1\nadd r0, 2\nexit', [3, 0, 0, 0]],
    [
      'a block entered by falling through into a jump target joins the chain',
      // blocks: [0,1] falls into [2..4] (target of the jump at 4), which ends in a jump; [5] exit.
      'mov r0, 0\nmov r1, 3\nloop:\nadd r0, r1\nsub r1, 1\njne r1, 0, loop\nexit',
      [5, 3, 3, 0, 0, 1, 0],
    ],
    [
      'a conditional jump ends the chain (its fall-through is charged by the jump)',
      'mov r0, 1\njeq r1, 0, out\nmov r0, 2\nout:\nexit',
      [2, 0, 2, 1, 0],
    ],
    ['ja ends the chain', 'mov r0, 1\nja out\nmov r0, 2\nout:\nexit', [2, 0, 2, 1, 0]],
    ['a helper call ends the chain', 'mov r1, 1\ncall 7\nmov r0, 2\nexit', [2, 0, 2, 0, 0]],
    ['exit ends the chain', 'mov r0, 1\nexit\nmov r0, 2\nexit', [2, 0, 2, 0, 0]],
    [
      'a local call ends the chain; a callee\'s blocks chain as any',
      'call local f\nexit\nf:\nmov r0, 1\nja g\ng:\nexit',
      [1, 1, 2, 0, 1, 0],
    ],
    [
      'lddw counts once; its second slot carries what follows its block',
      'lddw r0, 0x100000000\nmov r1, 1\nfall:\nadd r0, r1\njeq r1, 0, fall\nexit',
      [4, 2, 2, 2, 0, 1, 0],
    ],
    [
      'three blocks chained by fall-through',
      'mov r0, 1\na:\nadd r0, 1\nb:\nadd r0, 2\njeq r0, 100, a\njeq r0, 101, b\nexit',
      [4, 3, 2, 0, 1, 1, 0],
    ],
  ];
  for (const [what, source, want] of table) {
    it(what, () => {
      expect(charges(source)).toEqual(want);
    });
  }
});

const helpers: HelperTable = new Map<number, HelperEntry>([
  [7, { name: 'mix', unwindOnZero: false, fn: (a: bigint, b: bigint) => (a * 3n + b) & 0xffff_ffff_ffff_ffffn }],
]);

function agree(source: string, input: Uint8Array, max = 300): void {
  agreeAtEveryBudget(new Program(assemble(source)), input, { ...DEFAULT_LIMITS, stackSize: 64 }, { max, helpers });
}

const input = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);

describe('chains against the JS loop and the JIT at every budget', () => {
  it('a loop whose header is entered by falling through, chained with the block before it', () => {
    agree('mov r0, 0\nmov r2, 5\nmov r3, 1\nloop:\nadd r0, r2\nmul r0, 3\nsub r2, r3\njne r2, 0, loop\nexit', input);
  });

  it('a helper call in a later block of a chain, and one that starts a block (handed over inside the chain)', () => {
    agree('mov r6, 4\nmov r0, 0\nhead:\nadd r0, 1\nmov r1, r0\nmov r2, r6\ncall 7\nadd r0, r6\nsub r6, 1\njne r6, 0, head\nexit', input);
    agree('mov r6, 4\nmov r0, 0\nhead:\nmov r1, r0\nmov r2, r6\nsite:\ncall 7\nadd r0, r6\nsub r6, 1\njne r6, 0, head\njeq r6, 77, site\nexit', input);
  });

  it('an atomic (handed over) in a block that falls through into a jump target', () => {
    agree('mov r0, 0\nmov r6, 3\nstxdw [r10-8], r6\ntop:\nmov r3, 5\nlock add [r10-8], r3\nadd r0, 1\njoin:\nldxdw r4, [r10-8]\nadd r0, r4\nsub r6, 1\njne r6, 0, top\njeq r0, 12345, join\nexit', input);
  });

  it('an access no region allows in a later block of a chain (the error at its pc)', () => {
    agree('mov r0, 0\nmov r2, 3\nnext:\nadd r0, r2\nldxb r3, [r1+0]\nadd r0, r3\nsub r2, 1\njne r2, 0, next\nldxw r4, [r1+4096]\nexit', input);
    agree('mov r0, 0\nmov r2, 3\nnext:\nadd r0, r2\nsub r2, 1\njne r2, 1, next\nmov r5, 9\nfar:\nldxw r4, [r1+4096]\njeq r4, 0, far\nexit', input);
  });

  it('LD_ABS past the packet\'s end ending a run inside a chain', () => {
    for (const k of [3, 30, 31, 40]) {
      agree(`mov r6, r1\nmov r0, 7\nmov r7, 2\nhere:\nadd r0, 1\nldabsh ${k}\nadd r0, 5\nthere:\nsub r7, 1\njne r7, 0, here\njeq r0, 12345, there\nexit`, input);
      agree(`mov r6, r1\nmov r0, 7\nmov r7, 2\nhere:\nldabsh ${k}\nadd r0, 5\nthere:\nsub r7, 1\njne r7, 0, here\njeq r0, 12345, there\nexit`, input);
    }
  });

  it('local calls whose return slots and callee entries start chains', () => {
    agree('mov r6, 3\nmov r0, 0\nagain:\nmov r1, r6\ncall local f\nadd r0, r6\nsub r6, 1\njne r6, 0, again\nexit\nf:\nmov r2, r1\nmul r2, r2\ninner:\nadd r0, r2\nsub r2, 4\njsgt r2, 0, inner\nexit', input);
  });

  it('long chains: sixty blocks fall through into jump targets', () => {
    const blocks = Array.from({ length: 60 }, (_, i) => `b${i}:\nadd r0, ${i + 1}\nxor r0, r2`).join('\n');
    const jumps = Array.from({ length: 60 }, (_, i) => `jeq r0, ${-1 - i}, b${i}`).join('\n');
    agree(`mov r0, 0\nldxb r2, [r1+0]\n${blocks}\n${jumps}\nexit`, input, 400);
  });
});
