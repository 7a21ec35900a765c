/**
 * The property "no run observes anything from another run": random sequences of programs that reach the
 * stack, the input memory and map values through every kind of address the ISA allows (r10 and copies of
 * it, constants, r1, values loaded from memory, 32-bit arithmetic, pointers spilled to the stack and
 * reloaded, helper results), run one after another on one VM per engine, must give exactly what each
 * gives on a fresh VM. Map contents persist between runs by design, so the host resets them after each
 * run. Fixed seed; TSBPF_ISOLATION_RUNS=n runs n sequences instead of 25 (see docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble, EbpfError, EbpfVmRaw, MEM_START, STACK_START } from '../../src/index.js';
import { ArrayMap } from '../../src/maps/array.js';
import { HashMap } from '../../src/maps/hash.js';
import { MapType } from '../../src/maps/types.js';

const STACK = 8 * 512;
const TOP = STACK_START + STACK;
const MEM_SIZE = 64;
const RUNS = Number(process.env['TSBPF_ISOLATION_RUNS'] ?? 25);

interface Machine {
  readonly vm: EbpfVmRaw;
  readonly array: ArrayMap;
  readonly hash: HashMap;
}

const VALUE = 24;
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

function machine(jsLoop: boolean): Machine {
  const vm = new EbpfVmRaw(undefined, { verifier: () => {}, ...(jsLoop ? { interpreter: { wasmCore: false } } : {}) });
  const spec = { keySize: 4, valueSize: VALUE, maxEntries: 2, flags: 0 };
  const array = new ArrayMap(vm.memory, { ...spec, name: 'array', type: MapType.ARRAY });
  const hash = new HashMap(vm.memory, { ...spec, name: 'hash', type: MapType.HASH });
  // 1: lookup in the hash map (key r1) -> value pointer or 0.
  vm.registerHelper(1, (r1) => hash.programLookup(u32(Number(r1 & 0xffffffffn)), 0));
  resetMaps({ vm, array, hash });
  return { vm, array, hash };
}

/** Map contents persist between runs by design: put them back as a fresh machine has them. */
function resetMaps(m: Machine): void {
  for (const k of [0, 1]) {
    m.array.update(u32(k), new Uint8Array(VALUE));
    m.hash.update(u32(k), new Uint8Array(VALUE).fill(k + 1));
  }
}

/** The input memory: a stack address and a map value address a program may load and use. */
function input(array: ArrayMap, seed: number): Uint8Array {
  const mem = new Uint8Array(MEM_SIZE);
  const v = new DataView(mem.buffer);
  v.setUint32(0, STACK_START + (seed % STACK), true);
  v.setUint32(8, array.valueAddress(seed & 1), true);
  for (let i = 16; i < MEM_SIZE; i++) mem[i] = (seed * 7 + i) & 0xff;
  return mem;
}

const SIZES = [1, 2, 4, 8] as const;
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** Assembly that leaves in r3 an address of some kind, the access then at [r3 + off]. */
const address: fc.Arbitrary<{ code: string; off: number }> = fc.oneof(
  // r10 itself (the base register of the access), any frame.
  fc.integer({ min: -STACK - 8, max: 8 }).map((off) => ({ code: 'mov r3, r10', off })),
  // a copy of r10 moved by a constant
  fc.tuple(fc.integer({ min: -STACK, max: 0 }), fc.integer({ min: -16, max: 16 })).map(([k, off]) => ({ code: `mov r3, r10\nadd r3, ${k}`, off })),
  // a 64-bit constant into the stack (STACK_START, as a host or hostile program may spell it)
  fc.tuple(fc.integer({ min: -8, max: STACK + 8 }), fc.integer({ min: -8, max: 8 })).map(([k, off]) => ({ code: `lddw r3, ${STACK_START + k}`, off })),
  // 32-bit arithmetic building the same address
  fc.integer({ min: 0, max: STACK - 8 }).map((k) => ({ code: `mov32 r3, ${STACK_START >> 8}\nlsh32 r3, 8\nadd32 r3, ${k}`, off: 0 })),
  // the input memory through r1
  fc.integer({ min: -8, max: MEM_SIZE }).map((off) => ({ code: 'mov r3, r1', off })),
  // a stack address loaded from the input memory, moved
  fc.integer({ min: -64, max: 64 }).map((k) => ({ code: `ldxw r3, [r1+0]\nadd r3, ${k}`, off: 0 })),
  // a map value address loaded from the input memory
  fc.integer({ min: -8, max: VALUE + 8 }).map((off) => ({ code: 'ldxw r3, [r1+8]', off })),
  // a map value pointer from a helper (0 when absent: the access then faults)
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -4, max: VALUE + 4 })).map(([key, off]) => ({ code: `mov r1, ${key}\ncall 1\nmov r3, r0\nmov r1, ${MEM_START}`, off })),
  // a pointer spilled to the stack and reloaded
  fc.integer({ min: 0, max: 64 }).map((k) => ({ code: `lddw r3, ${TOP - 128 + k}\nstxdw [r10-8], r3\nldxdw r3, [r10-8]`, off: 0 })),
);

/** One access: a load folded into r0, a store, or an atomic add. */
const access: fc.Arbitrary<string> = fc
  .tuple(address, fc.constantFrom(...SIZES), fc.constantFrom('load', 'load', 'st', 'stx', 'atomic'), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
  .map(([a, size, kind, v]) => {
    // r10-based accesses use r10 as the base register itself; the others use r3.
    const base = a.code === 'mov r3, r10' ? 'r10' : 'r3';
    const at = `[${base}${a.off < 0 ? '' : '+'}${a.off}]`;
    const prefix = a.code === 'mov r3, r10' ? '' : `${a.code}\n`;
    switch (kind) {
      case 'load':
        return `${prefix}ldx${SUFFIX[size]} r4, ${at}\nxor r0, r4\nrsh r0, 1`;
      case 'st':
        return `${prefix}st${SUFFIX[size]} ${at}, ${v}`;
      case 'stx':
        return `${prefix}mov r4, ${v}\nstx${SUFFIX[size]} ${at}, r4`;
      default:
        return `${prefix}mov r4, ${v}\nlock add${size === 8 ? '64' : '32'} ${at.replace(/\[|\]/g, (b) => b)}, r4`;
    }
  });

/** A program: accesses, then loads of a few stack words through r10 and through a constant. */
const program: fc.Arbitrary<string> = fc
  .tuple(fc.array(access, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: STACK / 8 }), { minLength: 1, maxLength: 4 }))
  .map(([body, probes]) => {
    const reads = probes.map((w) => `lddw r3, ${TOP - 8 * w}\nldxdw r4, [r3+0]\nxor r0, r4`).join('\n');
    return `mov r0, 0\n${body.join('\n')}\n${reads}\nexit`;
  });

type Outcome = string;

function outcome(run: () => bigint): Outcome {
  try {
    return `ok ${run()}`;
  } catch (e) {
    if (e instanceof EbpfError) return `${e.code} ${e.message}`;
    throw e;
  }
}

const engines = [
  ['interpreter', false, (m: Machine, mem: Uint8Array) => m.vm.executeProgram(mem)],
  ['interpreter JS loop', true, (m: Machine, mem: Uint8Array) => m.vm.executeProgram(mem)],
  ['jit', false, (m: Machine, mem: Uint8Array) => m.vm.executeProgramJit(mem)],
] as const;

describe('no run observes anything from another run', () => {
  it.each(engines)('random programs on one VM give what each gives on a fresh VM (%s)', (_name, jsLoop, run) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(program, fc.nat()), { minLength: 2, maxLength: 12 }), (runs) => {
        const shared = machine(jsLoop);
        for (const [source, seed] of runs) {
          const code = assemble(source);
          const fresh = machine(false);
          fresh.vm.setProgram(code);
          const expected = outcome(() => fresh.vm.executeProgram(input(fresh.array, seed)));
          shared.vm.setProgram(code);
          const got = outcome(() => run(shared, input(shared.array, seed)));
          expect(got, source).toBe(expected);
          resetMaps(shared);
        }
      }),
      { seed: 0x5eed, numRuns: RUNS },
    );
  });
});
