/**
 * Kernel differential test of the skb resize helpers (bpf_skb_change_head, _change_tail, _adjust_room,
 * _change_proto): test/fixtures/elf/skb_resize.c takes the helper, its length, mode and flags from the
 * control block, calls it (or two of them in a row), and reports the result, skb->len, skb->protocol,
 * data_end - data and the network header's first byte in cb[], then writes through freshly read
 * packet pointers. Seeded cases (hostile lengths and flags included) run in the kernel
 * (BPF_PROG_TEST_RUN) and in tsbpf on each engine: return value, output packet and cb[] must match.
 * `TSBPF_KERNEL_FUZZ=n` runs n cases instead of the default.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadObject } from '../../src/elf/index.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';
import { rng, testPackets } from './packets.js';
import { ENGINES, kernelOutcome, skbCtxIn, tsbpfRun, type Outcome, type SkbFields } from './differential.js';

const OBJECT = resolve(import.meta.dirname, '../fixtures/elf/skb_resize.o');
const CASES = Number(process.env.TSBPF_KERNEL_FUZZ ?? 1000);

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

/** A length argument: small, around the limits (14, 4095, 16064), negative, or any 32-bit value. */
function lengthArg(r: () => number, packetLength: number): number {
  switch (r() % 11) {
    case 0: case 9: case 10: return r() % 64;
    case 1: return (r() % 64) - 64;
    case 2: return 16064 - packetLength + (r() % 5) - 2;
    case 3: return 4095 + (r() % 3) - 1;
    case 4: return -(4095 + (r() % 3) - 1);
    case 5: return r();
    case 6: return 14 + (r() % 3) - 1;
    case 7: return 16064 + (r() % 3) - 1;
    default: return (r() % 600) - 300;
  }
}

/** Flags: none, documented ones (alone and combined, with inner L2 lengths), or random bits. */
function flagsArg(r: () => number): [number, number] {
  switch (r() % 10) {
    case 0: case 1: case 2: case 3: return [0, 0];
    case 4: return [r() & 0x1f, 0];
    case 5: return [1 << (r() % 10), 0];
    case 6: return [r() & 0x1ff, 0];
    case 7: case 8: return [r() & 0x5f, [0, 14, 1, 255, 40][r() % 5]! << 24];
    default: return [r(), r() % 4 === 0 ? r() : 0];
  }
}

function caseOf(r: () => number, packetLength: number): number[] {
  const op = r() % 8;
  const [lo, hi] = flagsArg(r);
  const mode = r() % 8 === 0 ? r() % 4 : r() % 2;
  let arg: number;
  if (op === 3) arg = [0xdd86, 0x0008, r() & 0xffff, r()][r() % 4]!;
  else if (op < 4) arg = lengthArg(r, packetLength);
  else arg = ((op === 7 ? [0xdd86, 0x0008][r() % 2]! : r() % 64) & 0xffff) | ((((r() % 80) - 40) & 0xffff) << 16);
  return [op, arg >>> 0, mode, lo >>> 0, hi >>> 0];
}

describe.skipIf(typeof oracle === 'string')('kernel differential: skb resize helpers', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;

  it(`${CASES} seeded cases agree with BPF_PROG_TEST_RUN on every engine`, () => {
    const packets = testPackets(1).filter((p) => p.bytes.length > 14);
    const r = rng(1303);
    const cases = Array.from({ length: CASES }, () => {
      const p = packets[r() % packets.length]!;
      return { p, fields: { mark: 0, priority: 0, cb: caseOf(r, p.bytes.length) } satisfies SkbFields };
    });
    const requests: KernelRequest[] = [{ op: 'obj', path: OBJECT, program: 'resize', type: 'sched_cls' }];
    for (const c of cases) {
      requests.push({ op: 'run', prog: { ref: 0 }, data: c.p.bytes, ctx: skbCtxIn(c.p.bytes, c.fields), ctxOut: 192, dataOut: 20000 });
    }
    const out = k!.exec(requests);
    expect(out[0]!.kind === 'obj' && out[0]!.accepted, JSON.stringify(out[0])).toBe(true);
    const obj = loadObject(readFileSync(OBJECT));
    const runner = obj.program('resize');
    let compared = 0;
    let resized = 0;
    const wrong: string[] = [];
    cases.forEach((c, i) => {
      const res = out[1 + i]!;
      // The kernel refuses skbs whose IPv4 / IPv6 header is cut short (EINVAL): not compared.
      if (res.kind === 'err' && res.errno === 22) return;
      const want: Outcome = res.kind === 'run' ? kernelOutcome('skb', res) : { error: `kernel: ${JSON.stringify(res)}` };
      compared++;
      if (res.kind === 'run' && res.retval === 0 && res.data.length !== c.p.bytes.length) resized++;
      for (const { name, engine } of ENGINES) {
        const got = tsbpfRun(runner, 'skb', c.p.bytes, engine, c.fields);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          wrong.push(`${name}: case ${i} cb ${JSON.stringify(c.fields.cb)} on ${c.p.name} (${c.p.bytes.length} bytes): tsbpf ${JSON.stringify(got)}, kernel ${JSON.stringify(want)}`);
        }
      }
    });
    // Every difference at once (the first 20), not just the first.
    expect(wrong.slice(0, 20), `${wrong.length} differences`).toEqual([]);
    expect(compared).toBeGreaterThan(CASES * 0.75);
    // The cases must reach the resizing paths, not only the refusals.
    expect(resized).toBeGreaterThan(CASES * 0.09);
  });
});
