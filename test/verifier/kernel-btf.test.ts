/**
 * Callbacks and spin locks as BTF describes them (the `funcInfo` option, a map's `spinLock` and `timer`
 * offsets): timer callbacks against recorded kernel verdicts (re-asked of the live kernel where bpf()
 * works; the rule families bpf_loop / for_each / spin locks are in kernel-families.test.ts), hostile
 * callback shapes (recursion through a helper, nesting past the frame limit, a number as the callback),
 * and the options' validation.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ArgumentError } from '../../src/errors.js';
import { checkProgram, type VerifierOptions } from '../../src/verifier/index.js';
import { functionStarts } from '../kernel/btf-writer.js';
import { kernelOracle, skipNote, type KernelMapDef } from '../kernel/runner.js';
import { resolveFuncs } from './families.js';

const TIMER_MAP = { type: 2, keySize: 4, valueSize: 32, maxEntries: 4, timer: 16 };
const LOCK_MAP = { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 4 };

/** bpf_timer_init and bpf_timer_set_callback on the timer of map 8's value 0, then the callback `body`. */
const timerProgram = (body: readonly string[]): string =>
  ['r1 = 0', '*(u32 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 8 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0',
    'r1 = r6', 'r1 += 16', 'r2 = map_fd 8 ll', 'r3 = 1', 'call 169', 'r1 = r6', 'r1 += 16', 'r2 = func 4 ll', 'call 170', 'out:', 'r0 = 0', 'exit', ...body, 'exit'].join('\n');

/** Timer callbacks (map, key, value) -> 0: the kernel's verdicts, recorded 2026-12-07 (Linux 6.18). */
const TIMER_CASES: readonly { body: string[]; kernel: 'accepts' | 'rejects' }[] = [
  { body: ['r0 = 0'], kernel: 'accepts' },
  { body: ['r0 = 1'], kernel: 'rejects' }, // an async callback returns 0
  { body: ['call 7', 'r0 &= 1'], kernel: 'rejects' },
  { body: ['r0 = *(u32 *)(r3 + 0)', 'r0 = 0'], kernel: 'accepts' }, // the value
  { body: ['r0 = *(u32 *)(r3 + 16)', 'r0 = 0'], kernel: 'rejects' }, // its timer
  { body: ['r0 = *(u32 *)(r3 + 28)', 'r0 = 0'], kernel: 'rejects' },
  { body: ['r0 = *(u32 *)(r2 + 0)', 'r0 = 0'], kernel: 'accepts' }, // the key (4 bytes)
  { body: ['r0 = *(u64 *)(r2 + 0)', 'r0 = 0'], kernel: 'rejects' },
  { body: ['*(u32 *)(r2 + 0) = 1', 'r0 = 0'], kernel: 'rejects' }, // the key is read-only
];

/** What a bpf_loop callback may keep when it returns: a lock or a reference it took (map 6 has a lock at 4, map 3 is a ring buffer). */
const LOCKED = ['r1 = 0', '*(u32 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 6 ll', 'call 1', 'if r0 == 0 goto out', 'r6 = r0', 'r1 = r6', 'r1 += 4', 'call 93'];
const UNLOCK = ['r1 = r6', 'r1 += 4', 'call 94'];
const LOOP = ['r1 = 2', 'r2 = func @cb ll', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit', 'cb:'];
const RESERVE = ['r1 = map_fd 3 ll', 'r2 = 8', 'r3 = 0', 'call 131'];
/** Recorded 2026-12-07 (Linux 6.18). */
const HOLDING_CASES: readonly { name: string; lines: string[]; kernel: 'accepts' | 'rejects' }[] = [
  { name: 'lock and unlock', lines: [...LOOP, ...LOCKED, ...UNLOCK, 'out:', 'r0 = 0', 'exit'], kernel: 'accepts' },
  { name: 'lock kept', lines: [...LOOP, ...LOCKED, 'out:', 'r0 = 0', 'exit'], kernel: 'rejects' }, // the next bpf_loop call holds it
  { name: 'record kept', lines: [...LOOP, ...RESERVE, 'r0 = 0', 'exit'], kernel: 'rejects' },
  { name: 'record submitted', lines: [...LOOP, ...RESERVE, 'if r0 == 0 goto out', 'r1 = r0', 'r2 = 0', 'call 132', 'out:', 'r0 = 0', 'exit'], kernel: 'accepts' },
];
const HOLDING_MAPS = { 6: { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 4 }, 3: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 } };

const errors = (source: string, options: VerifierOptions): string[] =>
  checkProgram(assemble(source), { level: 'kernel', programType: 'sched_cls', ...options }).filter((i) => i.severity !== 'warning').map((i) => `${i.rule}: ${i.message}`);

describe('timer callbacks with BTF', () => {
  it('agrees with the recorded verdicts', () => {
    for (const c of TIMER_CASES) {
      const mine = errors(timerProgram(c.body), { maps: { 8: TIMER_MAP } }).length === 0 ? 'accepts' : 'rejects';
      expect({ body: c.body, verdict: mine }).toEqual({ body: c.body, verdict: c.kernel });
    }
  });

  it('the recorded verdicts are the live kernel\'s', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = k.verdicts(TIMER_CASES.map((c) => {
      const insns = assemble(timerProgram(c.body));
      return { type: 'sched_cls' as const, insns, maps: { 8: { ...TIMER_MAP, btf: { timer: 16 } } }, funcInfo: functionStarts(insns), logLevel: 0 };
    }));
    expect(live.map((v) => (v.accepted ? 'accepts' : 'rejects'))).toEqual(TIMER_CASES.map((c) => c.kernel));
  });

  it('a raw program (no func_info) may not take a callback', () => {
    expect(errors(timerProgram(['r0 = 0']), { maps: { 8: TIMER_MAP }, funcInfo: false })).toEqual([expect.stringMatching(/^callback: missing btf func_info/)]);
  });
});

describe('what a callback holds when it returns', () => {
  const source = (lines: readonly string[]): string => resolveFuncs(lines).join('\n');
  it('agrees with the recorded verdicts', () => {
    for (const c of HOLDING_CASES) expect({ c: c.name, verdict: errors(source(c.lines), { maps: HOLDING_MAPS }).length === 0 ? 'accepts' : 'rejects' }).toEqual({ c: c.name, verdict: c.kernel });
  });
  it('the recorded verdicts are the live kernel\'s', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = k.verdicts(HOLDING_CASES.map((c) => {
      const insns = assemble(source(c.lines));
      const maps: Record<number, KernelMapDef> = { 6: { ...HOLDING_MAPS[6], btf: { spinLock: 4 } } };
      if (c.lines.some((l) => l.includes('map_fd 3'))) maps[3] = HOLDING_MAPS[3];
      return { type: 'sched_cls' as const, insns, maps, funcInfo: functionStarts(insns), logLevel: 0 };
    }));
    expect(live.map((v) => (v.accepted ? 'accepts' : 'rejects'))).toEqual(HOLDING_CASES.map((c) => c.kernel));
  });
});

describe('hostile callbacks', () => {
  it('a callback that passes itself to bpf_loop is recursion, reported', () => {
    const src = ['r1 = 2', 'r2 = func 6 ll', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit', 'r1 = 2', 'r2 = func -2 ll', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit'].join('\n');
    expect(errors(src, {})).toEqual([expect.stringMatching(/^call-stack: recursive call from insn 13 to callback 8/)]);
  });

  it('a function pointer to the program itself is recursion', () => {
    const src = ['r1 = 2', 'r2 = func -2 ll', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit'].join('\n');
    expect(errors(src, {})).toEqual([expect.stringMatching(/^call-stack: recursive call/)]);
  });

  it('callbacks nested past the frame limit are refused', () => {
    // f0 -> f1 -> ... each a bpf_loop callback of the one before: 9 frames
    const fn = (last: boolean): string[] => (last ? ['r0 = 0', 'exit'] : ['r1 = 1', 'r2 = func 6 ll', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit']);
    const src = Array.from({ length: 10 }, (_, i) => fn(i === 9)).flat().join('\n');
    expect(errors(src, {})).toEqual([expect.stringMatching(/^call-stack: the call stack of 9 frames is too deep/)]);
  });

  it('a number is no callback', () => {
    expect(errors(['r1 = 2', 'r2 = 8', 'r3 = 0', 'r4 = 0', 'call 181', 'r0 = 0', 'exit'].join('\n'), {})).toEqual([expect.stringMatching(/^callback: R2 type=scalar expected=func/)]);
  });

  it('a callback\'s writes to the caller\'s stack are seen after the helper returns', () => {
    // the caller spills its context pointer; the callback may overwrite it with 0 (through its ctx argument)
    const src = (cb: string[]): string => ['*(u64 *)(r10 - 8) = r1', 'r1 = 4', 'r2 = func 9 ll', 'r3 = r10', 'r3 += -8', 'r4 = 0', 'call 181', 'r1 = *(u64 *)(r10 - 8)', 'r0 = *(u32 *)(r1 + 0)', 'r0 = 0', 'exit', ...cb, 'r0 = 0', 'exit'].join('\n');
    expect(errors(src(['r1 = 0', 'r1 = 0']), {})).toEqual([]);
    expect(errors(src(['r1 = 0', '*(u64 *)(r2 + 0) = r1']), {}).length).toBeGreaterThan(0);
  });
});

describe('spin lock and func_info options', () => {
  it('are validated', () => {
    const prog = assemble('r0 = 0\nexit');
    expect(() => checkProgram(prog, { level: 'kernel', maps: { 1: { ...LOCK_MAP, spinLock: 2 } } })).toThrow(ArgumentError);
    expect(() => checkProgram(prog, { level: 'kernel', maps: { 1: { ...LOCK_MAP, spinLock: 16 } } })).toThrow(ArgumentError);
    expect(() => checkProgram(prog, { level: 'kernel', funcInfo: 1 as unknown as boolean })).toThrow(ArgumentError);
    expect(checkProgram(prog, { level: 'kernel', maps: { 1: LOCK_MAP } })).toEqual([]);
  });

  it('a lock on a map without one is refused, with the option named', () => {
    const src = ['r1 = 0', '*(u32 *)(r10 - 8) = r1', 'r2 = r10', 'r2 += -8', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto +6', 'r6 = r0', 'r1 = r6', 'r1 += 4', 'call 93', 'r1 = r6', 'r1 += 4', 'call 94', 'r0 = 0', 'exit'].join('\n');
    expect(errors(src, { maps: { 1: LOCK_MAP } })).toEqual([]);
    expect(errors(src, { maps: { 1: { ...LOCK_MAP, spinLock: undefined } } })[0]).toMatch(/^spin-lock: map '' has to have BTF in order to use bpf_spin_lock.*spinLock/);
  });
});
