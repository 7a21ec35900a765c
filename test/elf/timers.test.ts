/**
 * bpf_timer beyond the kernel comparison (test/kernel/timers.test.ts): what a hostile program or host
 * could do with timers. A callback re-arming its timer at once runs at most maxCallbacks times per
 * runTimers call; timers of deleted elements never fire and are forgotten; the host's bad arguments are
 * ArgumentErrors; a forged timer is uninitialised; the verifier refuses a timer passed with another map.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { ArgumentError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { fixture } from './fixtures.js';

const OPS = { init: 1, cb: 2, start: 3, cancel: 4, fired: 5, update: 6, del: 7, rearm: 8 } as const;

function packet(op: number, key: number, a = 0n, b = 0n): Uint8Array {
  const p = new Uint8Array(64);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, op, true);
  dv.setUint32(4, key, true);
  dv.setBigUint64(8, a, true);
  dv.setBigUint64(16, b, true);
  return p;
}

function setup(): { step: (prog: string, op: keyof typeof OPS, key: number, a?: bigint, b?: bigint) => bigint; obj: ReturnType<typeof loadObject>; tick: (ns: bigint) => void } {
  let clock = 0n;
  const obj = loadObject(fixture('timers'), { now: () => clock });
  const step = (prog: string, op: keyof typeof OPS, key: number, a = 0n, b = 0n): bigint => {
    const r = obj.program(prog).runXdp(packet(OPS[op], key, a, b));
    return new DataView(r.packet.buffer, r.packet.byteOffset).getBigInt64(0, true);
  };
  return { step, obj, tick: (ns) => (clock += ns) };
}

describe('bpf_timer against hostile programs and hosts', () => {
  it('bounds a callback that re-arms its timer at once', () => {
    const { step, obj } = setup();
    expect(step('array_timer', 'init', 0, 1n)).toBe(0n);
    expect(step('array_timer', 'cb', 0)).toBe(0n);
    expect(step('array_timer', 'rearm', 0, 1n << 40n)).toBe(0n);
    expect(step('array_timer', 'start', 0, 0n)).toBe(0n);
    expect(obj.runTimers({ maxCallbacks: 250 })).toBe(250);
    expect(obj.runTimers()).toBe(10_000);
    expect(step('array_timer', 'fired', 0)).toBe(10_250n * 1000n);
    // cancelled, it stops
    expect(step('array_timer', 'cancel', 0)).toBe(1n);
    expect(obj.runTimers()).toBe(0);
  });

  it('runs due timers earliest first, and not before they are due', () => {
    const { step, obj, tick } = setup();
    for (const key of [1, 2]) {
      step('array_timer', 'init', key, 1n);
      step('array_timer', 'cb', key);
    }
    step('array_timer', 'start', 2, 500n);
    step('array_timer', 'start', 1, 1000n);
    expect(obj.runTimers({ now: 499n })).toBe(0);
    tick(600n);
    expect(obj.runTimers()).toBe(1);
    expect(step('array_timer', 'fired', 2)).toBe(1002n);
    expect(step('array_timer', 'fired', 1)).toBe(0n);
    expect(obj.runTimers({ now: 1000n })).toBe(1);
    expect(step('array_timer', 'fired', 1)).toBe(1001n);
  });

  it('never fires the timer of an element deleted or rewritten, by the program or the host, and forgets it', () => {
    const { step, obj } = setup();
    for (let round = 0; round < 200; round++) {
      const key = round % 8;
      expect(step('hash_timer', 'update', key)).toBe(0n);
      expect(step('hash_timer', 'init', key, 1n)).toBe(0n);
      expect(step('hash_timer', 'cb', key)).toBe(0n);
      expect(step('hash_timer', 'start', key, 10n)).toBe(0n);
      if (round % 2 === 0) expect(step('hash_timer', 'del', key)).toBe(0n);
      else obj.map('htimers').update(Uint8Array.of(key, 0, 0, 0), new Uint8Array(48));
    }
    expect(obj.runTimers({ now: 1_000n })).toBe(0);
    // what the table holds stays bounded by the map's values
    expect((obj as unknown as { timers: { size: number } }).timers.size).toBeLessThanOrEqual(8);
  });

  it('treats a timer whose bytes a program copied elsewhere as uninitialised there', () => {
    const { step, obj } = setup();
    expect(step('array_timer', 'init', 0, 1n)).toBe(0n);
    const timers = obj.map('timers');
    const value = timers.lookup(Uint8Array.of(0, 0, 0, 0))!;
    timers.update(Uint8Array.of(1, 0, 0, 0), value);
    expect(step('array_timer', 'cb', 1)).toBe(-22n);
    expect(step('array_timer', 'init', 1, 1n)).toBe(0n);
    expect(step('array_timer', 'init', 0, 1n)).toBe(-16n);
  });

  it('refuses bad host arguments', () => {
    const { obj } = setup();
    expect(() => obj.runTimers({ now: 5 as unknown as bigint })).toThrow(ArgumentError);
    expect(() => obj.runTimers({ now: -1n })).toThrow(ArgumentError);
    expect(() => obj.runTimers({ maxCallbacks: -1 })).toThrow(ArgumentError);
    expect(() => obj.runTimers({ maxCallbacks: 1.5 })).toThrow(ArgumentError);
    expect(() => obj.runTimers(null as unknown as object)).toThrow(ArgumentError);
  });

  it('the verifier refuses bpf_timer_init with a map the timer is not in, and a timer off its slot', () => {
    const maps = { 1: { type: 2, keySize: 4, valueSize: 48, maxEntries: 4, timer: 0 }, 2: { type: 2, keySize: 4, valueSize: 48, maxEntries: 4, timer: 0 } };
    const prog = (timerOff: number, map: number): Uint8Array =>
      assemble([
        'r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map_fd 1 ll', 'call 1', 'if r0 == 0 goto out',
        'r1 = r0', `r1 += ${timerOff}`, `r2 = map_fd ${map} ll`, 'r3 = 1', 'call 169', 'out:', 'r0 = 2', 'exit',
      ].join('\n'));
    const errors = (p: Uint8Array): string[] => checkProgram(p, { level: 'kernel', programType: 'xdp', maps }).filter((i) => i.severity === 'error').map((i) => i.message);
    expect(errors(prog(0, 1))).toEqual([]);
    expect(errors(prog(0, 2)).join()).toMatch(/doesn't match map pointer/);
    expect(errors(prog(4, 1)).join()).toMatch(/is no struct bpf_timer/);
    expect(errors(prog(40, 1)).join()).toMatch(/is no struct bpf_timer/);
    // a map whose BTF places no timer (a raw map has no BTF): refused, as the kernel refuses it
    expect(checkProgram(prog(0, 1), { level: 'kernel', programType: 'xdp', maps: { 1: { ...maps[1], timer: undefined } } }).map((i) => i.message).join()).toMatch(/has to have BTF in order to use bpf_timer/);
  });
});
