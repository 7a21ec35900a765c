/**
 * bpf_timer (fixture timers.c): one operation per run on an array's or a hash map's element, with
 * pauses in which started timers fire. The kernel's results (BPF_PROG_TEST_RUN on Linux 6.18, the
 * runner sleeping 20 ms where the steps say so) are recorded below; tsbpf gives the same on every
 * engine with BpfObject.runTimers at those points on a simulated clock, and the kernel is asked again
 * live where bpf() is allowed. Covered: the -EINVAL / -EBUSY / -EDEADLK rules, clock ids and start
 * flags, cancel (which forgets the callback), absolute and relative starts, a callback re-arming its
 * timer, and updates and deletes freeing a timer.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../src/elf/index.js';
import { VerifierError } from '../../src/errors.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/timers.o', import.meta.url));
const OPS = { init: 1, cb: 2, start: 3, cancel: 4, fired: 5, update: 6, del: 7, rearm: 8, cancelown: 9 } as const;
const S = 1_000_000_000n;
const SLEEP_US = 20_000;

/** An operation on element `key` (`a`, `b` its arguments; `hash`: of the hash map) and the kernel's return value; or a pause. */
type Step = { op: keyof typeof OPS; key: number; a?: bigint; b?: bigint; hash?: boolean; want: bigint } | 'sleep';
const s = (op: keyof typeof OPS, key: number, want: bigint, a?: bigint, b?: bigint): Step => ({ op, key, a, b, want });
const h = (op: keyof typeof OPS, key: number, want: bigint, a?: bigint): Step => ({ op, key, a, hash: true, want });

/** The kernel's answers (6.18, 2026-12-06). `fired` returns calls * 1000 + the key the callback saw. */
const STEPS: readonly Step[] = [
  s('start', 0, -22n, 1000n), s('cancel', 0, -22n), s('cb', 0, -22n), s('init', 0, 0n, 1n), s('init', 0, -16n, 1n),
  s('start', 0, -22n, 1000n), s('cb', 0, 0n), s('start', 0, 0n, S), s('cancel', 0, 1n), s('cancel', 0, 0n),
  s('start', 0, -22n, S), s('cb', 0, 0n), s('start', 0, 0n, 1000n), 'sleep', s('fired', 0, 1000n),
  s('start', 0, -22n, 0n, 4n), s('start', 0, 0n, 0n, 1n), 'sleep', s('fired', 0, 2000n),
  s('start', 0, -22n, 0n, 8n), s('start', 0, 0n, 1n << 63n, 1n), s('cancel', 0, 1n), s('cb', 0, 0n),
  s('start', 0, 0n, 0xffff_ffff_ffff_ffffn), s('cancel', 0, 1n), s('cb', 0, 0n), s('start', 0, 0n, 1n, 3n), 'sleep', s('fired', 0, 3000n),
  s('start', 0, 0n, 0n, 2n), 'sleep', s('fired', 0, 4000n),
  s('rearm', 0, 0n, 3n), s('start', 0, 0n, 0n), 'sleep', s('fired', 0, 8000n),
  s('rearm', 0, 0n, 0n, 1n), s('start', 0, 0n, 0n), 'sleep', s('cancelown', 0, -35n), s('fired', 0, 9000n),
  s('init', 1, -22n, 2n), s('init', 1, 0n, 7n), s('init', 2, 0n, 0n), s('init', 3, -22n, 17n), s('init', 3, -22n, 0x1_0000_0001n), s('init', 3, -22n, 5n),
  s('update', 0, 0n), s('cancel', 0, -22n), s('fired', 0, 0n), s('init', 0, 0n, 1n), s('cb', 0, 0n), s('start', 0, 0n, S), s('update', 0, 0n), s('cancel', 0, -22n),
  s('cb', 1, 0n), s('start', 1, 0n, 1000n), s('cb', 2, 0n), s('start', 2, 0n, 1000n), 'sleep', s('fired', 1, 1001n), s('fired', 2, 1002n),
  h('update', 5, 0n), h('init', 5, 0n, 1n), h('cb', 5, 0n), h('start', 5, 0n, S), h('del', 5, 0n), h('update', 5, 0n), h('cancel', 5, -22n), h('fired', 5, 0n),
  h('update', 6, 0n), h('init', 6, 0n, 1n), h('cb', 6, 0n), h('start', 6, 0n, 1000n), 'sleep', h('fired', 6, 1006n), h('update', 6, 0n), h('fired', 6, 0n), h('cancel', 6, -22n),
];

function packet(op: number, key: number, a = 0n, b = 0n): Uint8Array {
  const p = new Uint8Array(64);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, op, true);
  dv.setUint32(4, key, true);
  dv.setBigUint64(8, BigInt.asUintN(64, a), true);
  dv.setBigUint64(16, BigInt.asUintN(64, b), true);
  return p;
}

const ret = (data: Uint8Array): bigint => new DataView(data.buffer, data.byteOffset, 8).getBigInt64(0, true);
const name = (st: Exclude<Step, 'sleep'>, i: number): string => `${i}: ${st.hash === true ? 'hash ' : ''}${st.op} ${st.key} ${st.a ?? ''} ${st.b ?? ''}`;

describe('bpf_timer', () => {
  for (const { name: engineName, engine } of ENGINES) {
    it(`gives the kernel's results on the ${engineName}`, () => {
      let clock = 5_000_000_000n;
      const obj = loadObject(fixture('timers'), { jitEngine: engine, now: () => clock });
      const jit = engineName === 'jit';
      STEPS.forEach((st, i) => {
        if (st === 'sleep') {
          clock += BigInt(SLEEP_US) * 1000n;
          obj.runTimers({ jit });
          return;
        }
        const r = obj.program(st.hash === true ? 'hash_timer' : 'array_timer').runXdp(packet(OPS[st.op], st.key, st.a, st.b), { jit });
        expect({ step: name(st, i), r: ret(r.packet) }).toEqual({ step: name(st, i), r: st.want });
      });
    });
  }

  // timers_bad.c: what the kernel refuses (BTF says where the struct bpf_timer is)
  const BAD = { timer_peek: /bpf_timer cannot be accessed directly by load\/store/, timer_misplaced: /off 16 doesn't point to 'struct bpf_timer' that is at 8/ } as const;
  it('refuses, as the kernel does, a load of a timer\'s bytes and a pointer that is not the value\'s timer', () => {
    const obj = loadObject(fixture('timers_bad'));
    for (const [prog, message] of Object.entries(BAD)) {
      expect(() => obj.program(prog)).toThrow(VerifierError);
      expect(() => obj.program(prog)).toThrow(message);
    }
  });

  const k = kernelOracle();
  if (typeof k === 'string') skipNote(k);
  it.skipIf(typeof k === 'string')('the kernel refuses timers_bad.c\'s programs', () => {
    if (typeof k === 'string') return;
    const path = fileURLToPath(new URL('../fixtures/elf/timers_bad.o', import.meta.url));
    for (const program of Object.keys(BAD)) expect(k.exec([{ op: 'obj', path, program }])[0]).toMatchObject({ kind: 'obj', accepted: false });
  });
  it.skipIf(typeof k === 'string')('match the kernel live (BPF_PROG_TEST_RUN, sleeping where timers fire)', () => {
    if (typeof k === 'string') return;
    const reqs: KernelRequest[] = [{ op: 'obj', path: O, program: 'array_timer' }, { op: 'obj', path: O, program: 'hash_timer' }];
    for (const st of STEPS) reqs.push(st === 'sleep' ? { op: 'sleep', us: SLEEP_US } : { op: 'run', prog: { ref: st.hash === true ? 1 : 0 }, data: packet(OPS[st.op], st.key, st.a, st.b) });
    const out = k.exec(reqs);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    expect(out[1]).toMatchObject({ kind: 'obj', accepted: true });
    STEPS.forEach((st, i) => {
      if (st === 'sleep') return;
      const r = out[i + 2]!;
      if (r.kind !== 'run') throw new Error(JSON.stringify(r));
      expect({ step: name(st, i), r: ret(r.data) }).toEqual({ step: name(st, i), r: st.want });
    });
  });
});
