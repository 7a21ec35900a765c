/**
 * `tsbpf run examples/xdp_firewall.o --pcap F --workers 2`, run again and again on a generated capture
 * (issue 17: identical verdict counts and map contents): the example inserts its counters the way
 * concurrent eBPF code must (a failed BPF_NOEXIST insert is followed by a lookup and an atomic add), so
 * every two-worker run must give one worker's verdicts and maps, whichever thread meets a key first.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateCapture } from '../../bench/gen-capture.js';
import { cli, tempFiles } from './helpers.js';

const example = (f: string): string => new URL(`../../examples/${f}`, import.meta.url).pathname;
/** Packets of the capture: several of the CLI's batches (16,384 packets), so both threads run from the start. */
const PACKETS = 200_000;
/** Two-worker runs compared with the one-worker run. */
const RUNS = 4;

type MapDump = { name: string; entries: unknown[] };

/** Verdicts and maps of a run's JSON report (hash entries sorted: their order is the order of insertion). */
async function outcome(args: string[]): Promise<unknown> {
  const r = await cli([...args, '--json']);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out) as { packets: number; verdicts: unknown; maps: Record<string, MapDump> };
  const maps = Object.values(j.maps).map((m) => ({ ...m, entries: m.entries.map((e) => JSON.stringify(e)).sort() }));
  return { packets: j.packets, verdicts: j.verdicts, maps };
}

describe('tsbpf run --workers 2, repeated', () => {
  it(`gives one worker's verdicts and map contents in each of ${RUNS} runs (examples/xdp_firewall.o, ${PACKETS} packets, JIT)`, async () => {
    const parts = [...generateCapture({ packets: PACKETS, seed: 1, pcapng: false })];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const pcap = join(tempFiles({ 'g.pcap': bytes }), 'g.pcap');
    const args = ['run', example('xdp_firewall.o'), '--pcap', pcap, '--jit'];
    const one = await outcome(args);
    expect(JSON.stringify(one)).toMatch(/drops_by_saddr/);
    for (let run = 0; run < RUNS; run++) expect(await outcome([...args, '--workers', '2'])).toEqual(one);
  }, 300_000);
});
