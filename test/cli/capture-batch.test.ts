/**
 * The one-worker capture runner with packets run many to a call (PacketSession.runBatch, the JIT's
 * `run_batch`) gives the report of the per-packet path: the same verdicts, instruction counts, maps,
 * trace lines, redirects, failures, `--verbose` list and `--max-errors` stop. The per-packet path is
 * forced by `--out` (a packet written out is needed after its own run) and by the interpreter.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { generateCapture } from '../../bench/gen-capture.js';
import { cli, tempFiles } from './helpers.js';

const elf = (f: string): string => new URL(`../fixtures/elf/${f}`, import.meta.url).pathname;
const example = (f: string): string => new URL(`../../examples/${f}`, import.meta.url).pathname;

function capture(packets: number, seed: number): { pcap: string; dir: string } {
  const parts = [...generateCapture({ packets, seed, pcapng: false })];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const dir = tempFiles({ 'g.pcap': bytes });
  return { pcap: join(dir, 'g.pcap'), dir };
}

/** A JSON report without its timings and its `--out` line. */
async function report(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const r = await cli([...args, '--json']);
  const json = JSON.parse(r.out) as Record<string, unknown>;
  for (const k of ['time', 'nsPerPacket', 'medianNsPerPacket', 'out']) delete json[k];
  return { code: r.code, json };
}

describe('tsbpf run --pcap --jit in batches', () => {
  // Long enough for the timer to sample one packet in eight (capture-timing.ts): batches of several packets.
  const { pcap: long, dir } = capture(40000, 11);
  // Programs whose every packet ends its call (an adjust helper, a redirect): a short capture does.
  const { pcap: short } = capture(4000, 12);
  const cases: [string, string[]][] = [
    ['xdp_firewall (maps, trace lines)', [example('xdp_firewall.o')]],
    ['xdp_firewall, --budget 45 (failures)', [example('xdp_firewall.o'), '--budget', '45']],
    ['xdp_firewall, --budget 45 --max-errors 9000 -c 36000 --verbose', [example('xdp_firewall.o'), '--budget', '45', '--max-errors', '9000', '-c', '36000', '--verbose']],
    ['helpers.o strip (adjust head and tail)', [elf('helpers.o'), '--program', 'strip']],
    ['rewrite.o xdp_redirect (redirects)', [elf('rewrite.o'), '--program', 'xdp_redirect']],
    ['session.o headroom', [elf('session.o'), '--program', 'headroom']],
  ];
  for (const [name, args] of cases) {
    it(`${name}: the per-packet path's report and the interpreter's`, async () => {
      const base = ['run', ...args, '--pcap', args[0]!.endsWith('xdp_firewall.o') ? long : short];
      const batched = await report([...base, '--jit']);
      const perPacket = await report([...base, '--jit', '--out', join(dir, 'o.pcap')]);
      const interpreter = await report(base);
      expect(batched).toEqual(perPacket);
      expect({ ...batched, json: { ...batched.json, engine: 'interpreter' } }).toEqual(interpreter);
    });
  }
});
