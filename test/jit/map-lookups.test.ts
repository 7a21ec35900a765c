/**
 * Map lookups served inside the compiled module (jit/map-lookups.ts) against the interpreter (both of
 * its loops) and against the JIT calling the helper import (the lookup entry without `inlineMap`):
 * r0 (the value's address, bit for bit), the instructions charged at every budget, errors (class, code,
 * pc), and the maps afterwards. Arrays, per-CPU arrays, hashes (a shared memory's index, found in the
 * module) and the maps the helper keeps (LRU, read-only to programs); keys in and out of range, present
 * and missing, on the stack, across its top, in another region and unmapped. Then a clang-built XDP
 * object (test/fixtures/elf/map_lookups.c) over random packets, on a plain and a shared memory; and a
 * helper replaced after compiling.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { EbpfError } from '../../src/errors.js';
import { kernelHelpers } from '../../src/helpers/kernel.js';
import { JitEngine } from '../../src/jit/engine.js';
import { createMap } from '../../src/maps/create.js';
import type { BpfMap } from '../../src/maps/map.js';
import { BPF_F_RDONLY_PROG } from '../../src/maps/map.js';
import { MapType, type MapSpec } from '../../src/maps/types.js';
import { DEFAULT_LIMITS, type Engine, type HelperEntry, type HelperTable, type RunLimits, type RunOutcome } from '../../src/vm/environment.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { STACK_START, VmMemory } from '../../src/vm/memory.js';
import { Program } from '../../src/vm/program.js';
import { loadObject } from '../../src/index.js';

const MiB = 1 << 20;

/** A memory (plain, or shared with a private area as a pool's worker has) with a stack, an input region and one map. */
function world(spec: MapSpec, shared: boolean) {
  const memory = shared ? new VmMemory({ shared: true, initialPages: 64 }) : new VmMemory({ initialPages: 8 });
  if (shared) memory.privateArea(MiB, MiB);
  const size = DEFAULT_LIMITS.stackSize * DEFAULT_LIMITS.maxCallDepth;
  memory.map({ name: 'stack', vaddr: STACK_START, size });
  const input = memory.map({ name: 'input', size: 16 });
  const map = createMap(memory, spec, { cpus: 2 });
  // Some keys present in a hash (every third key of 0..11).
  if (spec.type !== MapType.ARRAY && spec.type !== MapType.PERCPU_ARRAY) {
    for (let k = 0; k < 12; k += 3) map.update(key(spec.keySize, k), new Uint8Array(spec.type === MapType.PERCPU_HASH ? 16 : spec.valueSize).fill(k + 1));
  }
  const helpers = kernelHelpers({ memory, mapByHandle: (h) => (h === map.handle ? map : undefined), ringBuffers: () => [], cpu: 1, trace: () => {}, now: () => 0n, random: () => 0 });
  return { memory, input, map, helpers, stackTop: STACK_START + size };
}

function key(size: number, k: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, k >>> 0, true);
  return b;
}

/** The lookup table without the entry's inline form: the JIT then calls the import. */
function withoutInline(helpers: HelperTable): Map<number, HelperEntry> {
  const t = new Map(helpers);
  const e = t.get(1)!;
  t.set(1, { fn: e.fn, ...(e.fast === undefined ? {} : { fast: e.fast }), name: e.name, unwindOnZero: e.unwindOnZero });
  return t;
}

/**
 * The program: copy the input's first `keySize` bytes to the stack at r10 + `at` (the key; 4- or
 * 8-byte words), look the map up with r2 = `keyAt` (the stack slot, or another pointer), and return
 * r0 (the value's address) plus the value's first byte shifted up, or r0 when 0.
 */
function program(handle: number, keySize: number, keyAt: string): Program {
  const copy: string[] = [];
  for (let o = 0; o < keySize; o += 4) copy.push(`ldxw r3, [r6+${o}]`, `stxw [r10${-16 + o}], r3`);
  return new Program(
    assemble(`
  mov r6, r1
  ${copy.join('\n  ')}
  ${keyAt}
  lddw r1, ${handle}
  call 1
  jeq r0, 0, +3
  ldxb r3, [r0+0]
  lsh r3, 40
  add r0, r3
  exit`),
  );
}

const KEY_AT: Record<string, string> = {
  stack: 'mov r2, r10\n  add r2, -16',
  'stack, crossing its top': 'mov r2, r10\n  add r2, -2',
  'stack, at its top': 'mov r2, r10',
  'below the stack': `lddw r2, ${STACK_START - 2}`,
  input: 'mov r2, r6',
  unmapped: 'mov r2, 8',
};

type Charged = { r0: string; charged: number } | { name: string; code: string; pc: number | undefined; message: string };

function runOnce(engine: Engine, w: ReturnType<typeof world>, prog: Program, input: Uint8Array, limits: RunLimits, helpers: HelperTable): Charged {
  w.memory.bytes.set(input, w.input.offset);
  const out: RunOutcome = { r0Low: 0, r0High: 0, instructions: 0 };
  try {
    engine.runInto!({ program: prog, memory: w.memory, stackTop: w.stackTop, r1: BigInt(w.input.vaddr), r2: 16n, helpers, limits }, out);
    return { r0: `${out.r0High >>> 0}:${out.r0Low >>> 0}`, charged: out.instructions };
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    return { name: e.constructor.name, code: e.code, pc: e.pc, message: e.message };
  }
}

const mapState = (m: BpfMap): string => m.keys().map((k) => `${[...k]}=${[...(m.lookup(k) ?? [])]}`).join(' ');

const ENGINES: [string, Engine, boolean][] = [
  ['interpreter (JS loop)', new Interpreter({ wasmCore: false }), false],
  ['interpreter (core)', new Interpreter(), false],
  ['JIT, lookups in the module', new JitEngine(), false],
  ['JIT, the helper import', new JitEngine(), true],
];

const SPECS: [string, MapSpec, boolean][] = [
  ['array', { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 7, flags: 0 }, false],
  ['array, shared memory', { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 12, maxEntries: 7, flags: 0 }, true],
  ['per-CPU array', { name: 'p', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 5, flags: 0 }, false],
  ['per-CPU array, shared memory', { name: 'p', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 5, flags: 0 }, true],
  ['array read-only to programs', { name: 'r', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: BPF_F_RDONLY_PROG }, false],
  ['hash', { name: 'h', type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 16, flags: 0 }, false],
  ['hash, shared memory', { name: 'h', type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 16, flags: 0 }, true],
  ['hash with a 4-byte key, shared memory', { name: 'h', type: MapType.HASH, keySize: 4, valueSize: 3, maxEntries: 6, flags: 0 }, true],
  ['per-CPU hash, shared memory', { name: 'h', type: MapType.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 6, flags: 0 }, true],
  ['LRU hash, shared memory', { name: 'l', type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 6, flags: 0 }, true],
];

/** Keys: in range, at and past the bound, the top bit, all ones; the high word varies for 8-byte keys. */
const KEYS = [0, 1, 3, 4, 5, 6, 7, 8, 9, 12, 0x8000_0000, 0xffff_ffff];

describe('map lookups in the module agree with the interpreter and the helper import', () => {
  for (const [label, spec, shared] of SPECS) {
    for (const [where, keyAt] of Object.entries(KEY_AT)) {
      it(`${label}, key ${where}: r0, charges at every budget, errors, maps`, () => {
        const results: string[] = [];
        for (const [name, engine, imported] of ENGINES) {
          const w = world(spec, shared);
          const prog = program(w.map.handle, spec.keySize, keyAt);
          const helpers = imported ? withoutInline(w.helpers) : w.helpers;
          const out: Charged[] = [];
          for (const k of KEYS) {
            const input = new Uint8Array(16);
            new DataView(input.buffer).setUint32(0, k, true);
            const full = runOnce(engine, w, prog, input, DEFAULT_LIMITS, helpers);
            out.push(full);
            const need = 'charged' in full ? full.charged : 12;
            for (let b = 0; b <= need + 1; b++) out.push(runOnce(engine, w, prog, input, { ...DEFAULT_LIMITS, instructionBudget: b }, helpers));
          }
          results.push(`${JSON.stringify(out)}\n${mapState(w.map)}`);
          if (results.length > 1) expect(results.at(-1), name).toBe(results[0]);
        }
        // The cases reach both answers (found and not) or an error.
        expect(results[0]).toMatch(/"r0":"0:0"|"code"/);
      });
    }
  }

  it('a helper replaced after compiling is called: the module keeps no stale answer', () => {
    const spec: MapSpec = { name: 'a', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
    const w = world(spec, false);
    const prog = program(w.map.handle, 4, KEY_AT['stack']!);
    const helpers = new Map(w.helpers);
    const jit = new JitEngine();
    const first = runOnce(jit, w, prog, new Uint8Array(16), DEFAULT_LIMITS, helpers);
    expect(first).toMatchObject({ r0: `0:${w.map.arenaAddress}` });
    helpers.set(1, { fn: () => BigInt(w.input.vaddr), name: 'replaced', unwindOnZero: false });
    expect(runOnce(jit, w, prog, new Uint8Array(16), DEFAULT_LIMITS, helpers)).toMatchObject({ r0: `0:${w.input.vaddr}` });
  });
});

describe('a clang-built XDP program looking up arrays, per-CPU arrays, hashes and an LRU hash', () => {
  const bytes = readFileSync('test/fixtures/elf/map_lookups.o');
  // Small values often, so that keys hit the bounds and repeat.
  const packets = (() => {
    let s = 12345;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    return Array.from({ length: 300 }, () => Uint8Array.from({ length: 12 + Math.floor(next() * 4) }, () => (next() < 0.7 ? Math.floor(next() * 10) : Math.floor(next() * 256))));
  })();
  for (const shared of [false, true]) {
    it(`same verdicts and maps on the interpreter, the JIT and the JIT through the import (${shared ? 'shared' : 'plain'} memory)`, () => {
      const results: string[] = [];
      const calls: number[] = [];
      for (const [jit, imported] of [[false, false], [true, false], [true, true]] as const) {
        const memory = shared ? new VmMemory({ shared: true, initialPages: 256 }) : undefined;
        const obj = loadObject(bytes, memory === undefined ? {} : { memory, cpus: 2, cpu: 1 });
        const table = (obj as unknown as { helperTable: Map<number, HelperEntry> }).helperTable;
        const e = table.get(1)!;
        let n = 0;
        const counted = { ...e, fn: e.fn, fast: (a: Int32Array, at: number, ctx: Parameters<NonNullable<HelperEntry['fast']>>[2]) => (n++, e.fast!(a, at, ctx)) };
        table.set(1, imported ? { fn: counted.fn, fast: counted.fast, name: e.name, unwindOnZero: false } : counted);
        const session = obj.program('lookups').session('xdp', { jit });
        const out: string[] = [];
        for (const p of packets) {
          try {
            out.push(String(session.run(p, 0, p.length)));
          } catch (err) {
            out.push(String(err));
          }
        }
        for (const m of obj.maps.values()) out.push(`${m.name}: ${mapState(m)}`);
        results.push(out.join('\n'));
        calls.push(n);
      }
      expect(results[1]).toBe(results[0]);
      expect(results[2]).toBe(results[0]);
      // The JIT served lookups itself: the arrays' (and, on a shared memory, the hash's).
      expect(calls[1]).toBeLessThan(calls[2]! - packets.length);
    });
  }
});
