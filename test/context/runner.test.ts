import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { ErrorCode } from '../../src/errors.js';
import { MBUFF_START, MEM_START } from '../../src/vm/memory.js';
import { GOLDEN_PATH, collectOutcomes } from './outcomes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = (name: string): Buffer => readFileSync(`${root}examples/${name}.o`);
const packet = readFileSync(`${root}examples/traffic.pcap`).subarray(24 + 16, 24 + 16 + 60);

describe('ProgramRunner', () => {
  it('gives the recorded outcomes (verdicts, packets, sk_buff writes, errors, maps, trace lines) on both engines', () => {
    // The golden file was recorded with the runner as it was before its per-run costs were cut.
    const golden = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Record<string, unknown>;
    const now = JSON.parse(JSON.stringify(collectOutcomes(loadObject))) as Record<string, unknown>;
    expect(Object.keys(now).sort()).toEqual(Object.keys(golden).sort());
    for (const key of Object.keys(golden)) expect(now[key], key).toEqual(golden[key]);
  });

  it('leaves no packet or context region mapped between runs', () => {
    const obj = loadObject(example('xdp_firewall'));
    const runner = obj.program('xdp_firewall');
    const before = obj.memory.regions.map((r) => r.name);
    for (const jit of [false, true]) {
      expect(runner.runXdp(packet, { jit }).action).toBe(2);
      expect(obj.memory.regions.map((r) => r.name)).toEqual([...before, 'stack']);
      expect(obj.memory.find(MEM_START + 256, 1)).toBeUndefined();
      expect(obj.memory.find(MBUFF_START, 1)).toBeUndefined();
    }
  });

  it('returns an independent copy of the packet each run', () => {
    const runner = loadObject(example('xdp_firewall')).program('xdp_firewall');
    const a = runner.runXdp(packet);
    const b = runner.runXdp(packet.subarray(0, 40));
    expect(Array.from(a.packet)).toEqual(Array.from(packet));
    expect(b.packet.length).toBe(40);
    expect(a.meta.length).toBe(0);
    // Copies are carved from shared slabs (context/copy-out): enough runs to fill several, all intact.
    const kept = Array.from({ length: 3000 }, (_, i) => runner.runXdp(packet.subarray(0, 14 + (i % 40))).packet);
    kept.forEach((p, i) => expect(Array.from(p)).toEqual(Array.from(packet.subarray(0, 14 + (i % 40)))));
  });

  it('honours a limits object the host changes between runs', () => {
    const runner = loadObject(example('xdp_firewall')).program('xdp_firewall');
    const limits: { instructionBudget: number } = { instructionBudget: 1_000 };
    const options = { limits };
    expect(runner.runXdp(packet, options).action).toBe(2);
    limits.instructionBudget = 3;
    expect(() => runner.runXdp(packet, options)).toThrow(expect.objectContaining({ code: ErrorCode.BUDGET_EXCEEDED }));
    limits.instructionBudget = 1_000;
    expect(runner.runXdp(packet, options).action).toBe(2);
  });

  it('a sk_buff run sees only the fields it was given (the rest are zero, as before)', () => {
    const runner = loadObject(readFileSync(`${root}test/fixtures/elf/context.o`)).program('skb_fields');
    let first: Uint8Array | undefined;
    runner.runTc(packet, { mark: 0xff, priority: 9, ifindex: 4, cb: [0, 0, 0, 0, 0x21], inspect: (skb) => void (first = skb) });
    let second: Uint8Array | undefined;
    runner.runTc(packet, { inspect: (skb) => void (second = skb) });
    const cb = (skb: Uint8Array, i: number): number => new DataView(skb.buffer).getUint32(48 + 4 * i, true);
    // cb[1] packs len, protocol, mark...: the second run must not see the first run's mark, priority or cb[4].
    expect(cb(first!, 1) >>> 24).toBe(0xff);
    expect(cb(second!, 1) >>> 24).toBe(0);
    expect(cb(second!, 2) & 0xffff).toBe(0);
  });
});

describe('a run started by a helper inside a run of the same object', () => {
  // Issue 16 item 11: the nested run replaced, then unmapped, the outer run's packet and context.
  type Nested = (obj: ReturnType<typeof loadObject>) => unknown;
  const attempts: [string, Nested][] = [
    ['runXdp', (obj) => obj.program('xdp_firewall').runXdp(packet)],
    ['runSocketFilter', (obj) => obj.program('xdp_firewall').runSocketFilter(packet)],
    ['run', (obj) => obj.program('xdp_firewall').run(new Uint8Array(8), { mem: new Uint8Array(4) })],
  ];
  /** xdp_firewall with bpf_map_lookup_elem (called before it reads the packet) replaced by `lookup`. */
  function withLookup(lookup: (obj: ReturnType<typeof loadObject>) => bigint) {
    const holder: { obj?: ReturnType<typeof loadObject> } = {};
    const helpers = new Map([[1, { name: 'lookup', unwindOnZero: false, fn: () => lookup(holder.obj!) }]]);
    holder.obj = loadObject(example('xdp_firewall'), { helpers });
    return holder.obj;
  }

  for (const jit of [false, true]) {
    it(`is refused with E_UNSUPPORTED and leaves the outer run intact (${jit ? 'JIT' : 'interpreter'})`, () => {
      for (const [what, nested] of attempts) {
        const errors: unknown[] = [];
        let inside = false;
        const obj = withLookup((o) => {
          if (!inside) {
            inside = true;
            try {
              nested(o);
            } catch (e) {
              errors.push(e);
            } finally {
              inside = false;
            }
          }
          return 0n; // not found: the program goes on to read the packet
        });
        const before = obj.memory.regions.map((r) => r.name);
        expect(obj.program('xdp_firewall').runXdp(packet, { jit }).action, what).toBe(2);
        expect(errors.length, what).toBeGreaterThan(0);
        for (const e of errors) expect((e as { code?: string }).code, what).toBe(ErrorCode.UNSUPPORTED);
        expect(obj.memory.regions.map((r) => r.name)).toEqual([...before, 'stack']);
        // The object runs normally afterwards.
        inside = true;
        expect(obj.program('xdp_firewall').runXdp(packet, { jit }).action).toBe(2);
      }
    });

    it(`fails the outer run when the helper lets the refusal through (${jit ? 'JIT' : 'interpreter'})`, () => {
      const obj = withLookup((o) => {
        o.program('xdp_firewall').runXdp(packet);
        return 0n;
      });
      expect(() => obj.program('xdp_firewall').runXdp(packet, { jit })).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
      expect(obj.memory.find(MEM_START + 256, 1)).toBeUndefined();
      expect(obj.memory.find(MBUFF_START, 1)).toBeUndefined();
    });
  }

  it('is refused from inside a capture session run, and a session run from inside a run', () => {
    const obj = withLookup((o) => {
      o.program('xdp_firewall').runXdp(packet);
      return 0n;
    });
    const session = obj.program('xdp_firewall').session('xdp');
    expect(() => session.run(packet, 0, packet.length)).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    const other = withLookup((o) => {
      o.program('xdp_firewall').session('xdp').run(packet, 0, packet.length);
      return 0n;
    });
    expect(() => other.program('xdp_firewall').runXdp(packet)).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
  });

  it('is refused across objects loaded into one memory (they share the run space)', () => {
    const first = loadObject(example('xdp_firewall'));
    const helpers = new Map([[1, { name: 'lookup', unwindOnZero: false, fn: () => (first.program('xdp_firewall').runXdp(packet), 0n) }]]);
    const second = loadObject(example('xdp_firewall'), { helpers, memory: first.memory });
    expect(() => second.program('xdp_firewall').runXdp(packet)).toThrow(expect.objectContaining({ code: ErrorCode.UNSUPPORTED }));
    expect(first.program('xdp_firewall').runXdp(packet).action).toBe(2);
  });
});

describe('loadObject input', () => {
  it('does not write into the caller\'s Buffer, so the same bytes load twice alike', () => {
    const bytes = example('xdp_firewall');
    const copy = Buffer.from(bytes);
    const first = loadObject(bytes).program('xdp_firewall');
    expect(bytes.equals(copy)).toBe(true);
    const second = loadObject(bytes).program('xdp_firewall');
    expect(Array.from(second.program.bytes)).toEqual(Array.from(first.program.bytes));
  });
});
