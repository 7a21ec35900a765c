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
