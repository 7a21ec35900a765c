/**
 * STACK_TRACE maps and bpf_get_stackid / bpf_get_stack on tsbpf's stack model (helpers/stack.ts: the
 * kernel stack is the address of the helper's call instruction; the user stack is empty), with
 * test/fixtures/elf/stack_trace.c on every engine: ids, buckets and -EEXIST, the flags, hostile
 * flags and sizes, build-id records, and the map's shape rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { MapError } from '../../src/errors.js';
import { VmMemory } from '../../src/vm/memory.js';
import { MapType } from '../../src/maps/index.js';
import { createMap } from '../../src/maps/create.js';
import { StackTraceMap } from '../../src/maps/stack-trace.js';
import { STACK_IP_BASE } from '../../src/helpers/stack.js';
import type { Engine } from '../../src/vm/environment.js';

const OBJECT = readFileSync(new URL('../fixtures/elf/stack_trace.o', import.meta.url));
const ENGINES: [string, Engine][] = [
  ['interpreter', new Interpreter()],
  ['interpreter-js', new Interpreter({ wasmCore: false })],
  ['jit', new JitEngine()],
];

const USER = 1n << 8n;
const FAST = 1n << 9n;
const REUSE = 1n << 10n;
const USER_BUILD_ID = 1n << 11n;
const EINVAL = -22;
const EFAULT = -14;
const EEXIST = -17;

function ctxOf(op: bigint, flags: bigint, size = 0n): Uint8Array {
  const c = new Uint8Array(64);
  const v = new DataView(c.buffer);
  v.setBigUint64(0, op, true);
  v.setBigUint64(8, BigInt.asUintN(64, flags), true);
  v.setBigUint64(16, size, true);
  return c;
}

const zeroKey = new Uint8Array(4);

describe.each(ENGINES)('bpf_get_stackid / bpf_get_stack (%s)', (_name, engine) => {
  const setup = () => {
    const obj = loadObject(OBJECT);
    const prog = obj.program('stack');
    const run = (op: bigint, flags: bigint, size = 0n): number => Number(BigInt.asIntN(32, prog.run(ctxOf(op, flags, size), { engine })));
    return { obj, run };
  };

  it('one call site, one stack: the same id every time, and the map holds its address', () => {
    const { obj, run } = setup();
    expect(run(0n, 0n)).toBe(0); // one bucket: id 0
    expect(run(0n, 0n)).toBe(0);
    const value = obj.map('stacks').lookup(zeroKey)!;
    expect(value.length).toBe(32);
    const v = new DataView(value.buffer, value.byteOffset);
    const ip = v.getBigUint64(0, true);
    expect(ip >= STACK_IP_BASE && (ip - STACK_IP_BASE) % 8n === 0n).toBe(true);
    expect([v.getBigUint64(8, true), v.getBigUint64(16, true), v.getBigUint64(24, true)]).toEqual([0n, 0n, 0n]);
  });

  it('a second call site in the same bucket: -EEXIST, FAST_STACK_CMP does not help, REUSE_STACKID replaces', () => {
    const { obj, run } = setup();
    expect(run(0n, 0n)).toBe(0);
    const first = obj.map('stacks').lookup(zeroKey)!;
    expect(run(1n, 0n)).toBe(EEXIST);
    expect(run(1n, FAST)).toBe(EEXIST);
    expect(run(1n, REUSE)).toBe(0);
    const second = obj.map('stacks').lookup(zeroKey)!;
    expect(second).not.toEqual(first);
    expect(run(0n, 0n)).toBe(EEXIST);
    expect(obj.map('stacks').delete(zeroKey)).toBe(true);
    expect(run(0n, 0n)).toBe(0);
  });

  it('skips, user stacks and hostile flags', () => {
    const { run } = setup();
    expect(run(0n, 1n)).toBe(EFAULT); // skipping the only frame
    expect(run(0n, 255n)).toBe(EFAULT);
    expect(run(0n, USER)).toBe(EFAULT); // the user stack is empty
    expect(run(0n, 1n << 11n)).toBe(EINVAL);
    expect(run(0n, 1n << 63n)).toBe(EINVAL);
    expect(run(0n, -1n)).toBe(EINVAL);
  });

  it('bpf_get_stack: the frame, zero padding, sizes, skips and flags', () => {
    const { obj, run } = setup();
    const out = () => obj.map('out').lookup(zeroKey)!;
    const fill = () => obj.map('out').update(zeroKey, new Uint8Array(64).fill(0xaa));
    fill();
    expect(run(2n, 0n, 56n)).toBe(8);
    const v = new DataView(out().buffer, out().byteOffset);
    expect(v.getBigUint64(0, true) >= STACK_IP_BASE).toBe(true);
    expect(out().subarray(8, 56).every((b) => b === 0)).toBe(true);
    expect(out()[56]).toBe(0xaa); // nothing past the size
    fill();
    expect(run(2n, 0n, 12n)).toBe(EINVAL); // not a whole number of frames: buffer cleared
    expect(out().subarray(0, 12).every((b) => b === 0)).toBe(true);
    expect(out()[12]).toBe(0xaa);
    expect(run(2n, 0n, 0n)).toBe(0);
    expect(run(2n, 1n, 56n)).toBe(0); // the one frame skipped: nothing copied
    expect(run(2n, 2n, 56n)).toBe(EFAULT);
    expect(run(2n, USER, 56n)).toBe(0);
    expect(run(2n, USER_BUILD_ID, 56n)).toBe(EINVAL); // build ids only for user stacks
    expect(run(2n, USER | USER_BUILD_ID, 32n)).toBe(0);
    expect(run(2n, USER | USER_BUILD_ID, 40n)).toBe(EINVAL);
    expect(run(2n, FAST, 56n)).toBe(EINVAL);
    expect(run(2n, -1n, 56n)).toBe(EINVAL);
  });

  it('build-id maps hold records with status BPF_STACK_BUILD_ID_IP and the address', () => {
    const { obj, run } = setup();
    const id = run(3n, 0n);
    expect(id).toBeGreaterThanOrEqual(0);
    expect(id).toBeLessThan(8);
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, id, true);
    const rec = obj.map('build_ids').lookup(key)!;
    const v = new DataView(rec.buffer, rec.byteOffset);
    expect(rec.length).toBe(64);
    expect(v.getInt32(0, true)).toBe(2);
    expect(v.getBigUint64(24, true) >= STACK_IP_BASE).toBe(true);
    expect(rec.subarray(32).every((b) => b === 0)).toBe(true);
  });
});

describe('STACK_TRACE map shape', () => {
  const make = (keySize: number, valueSize: number, maxEntries: number, flags = 0) =>
    createMap(new VmMemory(), { name: 's', type: MapType.STACK_TRACE, keySize, valueSize, maxEntries, flags });

  it('takes what the kernel takes and refuses the rest with a MapError', () => {
    expect(make(4, 8, 1)).toBeInstanceOf(StackTraceMap);
    expect(make(4, 127 * 8, 1 << 20)).toBeInstanceOf(StackTraceMap); // buckets are kept only when filled
    expect(make(4, 32, 1, 1 << 5)).toBeInstanceOf(StackTraceMap);
    for (const [k, v, n, f] of [[8, 8, 1, 0], [4, 12, 1, 0], [4, 0, 1, 0], [4, 128 * 8, 1, 0], [4, 24, 1, 1 << 5], [4, 8, 1, 1], [4, 8, 0x8000_0001, 0]] as const) {
      expect(() => make(k, v, n, f), `${k}/${v}/${n}/${f}`).toThrow(MapError);
    }
  });

  it('the host may read and delete but not write entries', () => {
    const m = make(4, 8, 4);
    expect(m.keys()).toEqual([]);
    expect(() => m.update(zeroKey, new Uint8Array(8))).toThrow(MapError);
  });
});

describe('a real object: the kernel samples spintest_kern.o (kprobes counting stack ids)', () => {
  it.each(ENGINES)('loads, runs on a zeroed pt_regs and records the call site (%s)', (_name, engine) => {
    const obj = loadObject(readFileSync(new URL('../corpus/ebpf-samples/linux/spintest_kern.o', import.meta.url)));
    const prog = obj.program('kprobe/spin_lock');
    prog.run(new Uint8Array(168), { engine });
    prog.run(new Uint8Array(168), { engine });
    const ids = obj.map('stackmap').keys();
    expect(ids.length).toBe(1);
    const ip = new DataView(obj.map('stackmap').lookup(ids[0]!)!.buffer).getBigUint64(0, true);
    expect(ip >= STACK_IP_BASE).toBe(true);
  });
});
