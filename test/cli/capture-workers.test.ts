/**
 * `tsbpf run OBJ.o --pcap F --workers N` (issue 17): the same verdict counts, maps, trace lines and
 * failures as one worker, on a generated capture and the examples; what a pool run does not take yet is
 * a usage error naming --workers 1, and a map workers cannot share an error naming the map.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { generateCapture } from '../../bench/gen-capture.js';
import { cli, tempFiles } from './helpers.js';

/** `TSBPF_WORKERS=full`: also the interpreter, three workers and the examples' plain runs (each pool start costs seconds from source). */
const FULL = process.env['TSBPF_WORKERS'] === 'full';
const elf = (f: string): string => new URL(`../fixtures/elf/${f}`, import.meta.url).pathname;
const example = (f: string): string => new URL(`../../examples/${f}`, import.meta.url).pathname;

/** A generated capture of `packets` packets (bench/gen-capture.ts, fixed seed). */
function capture(packets: number, seed: number): string {
  const parts = [...generateCapture({ packets, seed, pcapng: false })];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return join(tempFiles({ 'g.pcap': bytes }), 'g.pcap');
}

/** An offset 5 bytes into the first record header at or after `from` (classic pcap, little-endian). */
function headerCut(bytes: Uint8Array, from: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 24;
  while (at < from) at += 16 + view.getUint32(at + 8, true);
  return at + 5;
}

/** A JSON report without its timings (which differ from run to run). */
async function report(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const r = await cli([...args, '--json']);
  const json = JSON.parse(r.out) as Record<string, unknown>;
  delete json['time'];
  delete json['nsPerPacket'];
  delete json['medianNsPerPacket'];
  return { code: r.code, json };
}

describe('tsbpf run --workers', () => {
  it('gives one worker\'s report on a generated capture: verdicts, shared and per-CPU maps, trace lines (JIT and interpreter)', async () => {
    const pcap = capture(6000, 7);
    for (const jit of FULL ? [['--jit'], []] : [['--jit']]) {
      const args = ['run', elf('pool_counters.o'), '--pcap', pcap, ...jit];
      const one = await report(args);
      const two = await report([...args, '--workers', '2']);
      const three = FULL ? await report([...args, '--workers', '3']) : two;
      expect(one.code).toBe(0);
      // Per-CPU values: one per worker (per CPU), summing to the packet count; the rest is identical.
      type MapDump = { name: string; entries: { key: number; value: number[] }[] };
      const maps = (j: Record<string, unknown>): MapDump[] => Object.values(j['maps'] as Record<string, MapDump>);
      // Hash map entries are listed in insertion order, which depends on which worker ran first: sorted here.
      const sorted = (m: MapDump): MapDump => ({ ...m, entries: [...m.entries].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) });
      const strip = (j: Record<string, unknown>): unknown => ({ ...j, maps: maps(j).filter((m) => m.name !== 'seen').map(sorted) });
      const seen = (j: Record<string, unknown>): number[] => maps(j).find((m) => m.name === 'seen')!.entries[0]!.value;
      expect(strip(two.json)).toEqual(strip(one.json));
      expect(strip(three.json)).toEqual(strip(one.json));
      expect(seen(one.json)).toEqual([6000]);
      expect(seen(two.json)).toHaveLength(2);
      expect(seen(three.json)).toHaveLength(FULL ? 3 : 2);
      for (const j of [two.json, three.json]) expect(seen(j).reduce((a, b) => a + b, 0)).toBe(6000);
      expect(JSON.stringify(one.json)).toMatch(/dns /);
      expect(maps(one.json).find((m) => m.name === 'by_saddr')!.entries.length).toBeGreaterThan(100);
    }
    // Threads time some packets; each timed one stands for those before it, so the histogram still counts the steady state.
    const timed = JSON.parse((await cli(['run', elf('pool_counters.o'), '--pcap', pcap, '--jit', '--workers', '2', '--json'])).out) as {
      time: { warmupPackets: number; timedPackets: number; histogram: { packets: number }[] };
    };
    expect(timed.time.warmupPackets).toBe(1000);
    expect(timed.time.timedPackets).toBeLessThan(5000);
    const counted = timed.time.histogram.reduce((a, b) => a + b.packets, 0);
    expect(counted).toBeGreaterThan(5000 - 64);
    expect(counted).toBeLessThanOrEqual(5000);
  }, 60_000);

  it('per-CPU hash and array values of two workers sum to one worker\'s (each thread its own values)', async () => {
    const pcap = capture(4000, 3);
    const args = ['run', elf('xdp_percpu_stats.o'), '--pcap', pcap, '--jit'];
    const one = await report(args);
    const two = await report([...args, '--workers', '2']);
    expect(two.json['verdicts']).toEqual(one.json['verdicts']);
    type Dump = { name: string; entries: { key: number; value: (number | Record<string, number>)[] }[] };
    const map = (j: Record<string, unknown>, name: string): Dump => (j['maps'] as Dump[]).find((m) => m.name === name)!;
    // Per key: each field summed over the CPUs' values.
    const sums = (j: Record<string, unknown>, name: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const e of map(j, name).entries) {
        out[String(e.key)] = e.value.reduce<number | Record<string, number>>((acc, v) => {
          if (typeof v === 'number') return (acc as number) + v;
          const a = acc as Record<string, number>;
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, (a[k] ?? 0) + x]));
        }, typeof e.value[0] === 'number' ? 0 : {});
      }
      return out;
    };
    for (const name of ['proto_stats', 'verdicts']) expect(sums(two.json, name)).toEqual(sums(one.json, name));
    expect(Object.keys(sums(one.json, 'proto_stats')).length).toBeGreaterThan(1);
    expect(map(one.json, 'verdicts').entries[0]!.value).toHaveLength(1);
    expect(map(two.json, 'verdicts').entries[0]!.value).toHaveLength(2);
  }, 60_000);

  it('gives one worker\'s report on examples/tc_mark.o and counts failing packets alike', async () => {
    const args = ['run', example('tc_mark.o'), '--pcap', example('traffic.pcap'), '--jit'];
    if (FULL) expect((await report([...args, '--workers', '2'])).json).toEqual((await report(args)).json);
    const budget = [...args, '--budget', '5'];
    const failing = await report([...budget, '--workers', '2']);
    expect(failing.code).toBe(1);
    expect(failing.json).toEqual((await report(budget)).json);
    // --max-errors: the same packets counted as one thread; those other threads ran past the stop are named, not counted.
    const stopAt = [...budget, '--max-errors', '2'];
    const one = (await report(stopAt)).json;
    const two = await report([...stopAt, '--workers', '2']);
    expect(two.code).toBe(1);
    const { maps: _m1, stopped: s1, ...rest1 } = one as { maps: unknown; stopped: { reason: string } };
    const { maps: _m2, stopped: s2, ...rest2 } = two.json as { maps: unknown; stopped: { reason: string } };
    expect(rest2).toEqual(rest1);
    expect(s1.reason).toBe('stopped after 2 failed packets (--max-errors 2)');
    expect(s2.reason.startsWith(s1.reason)).toBe(true);
    expect(s2.reason).toMatch(/later packets? had already run on other threads \(not counted; their map updates stay\)$/);
  }, 60_000);

  it('--verbose lists every packet\'s verdict and length as one worker does, failing packets included (text and JSON)', async () => {
    const pcap = capture(5000, 11);
    const args = ['run', example('xdp_firewall.o'), '--pcap', pcap, '--jit', '--verbose'];
    const one = await report(args);
    const two = await report([...args, '--workers', '2']);
    const list = (j: Record<string, unknown>): unknown[] => j['perPacket'] as unknown[];
    expect(list(one.json)).toHaveLength(5000);
    expect(list(two.json)).toEqual(list(one.json));
    // Text: the per-packet lines before the report, in capture order.
    const lines = (out: string): string[] => out.split('\n').filter((l) => /^ {2}#\d+ /.test(l));
    const budget = ['run', example('tc_mark.o'), '--pcap', example('traffic.pcap'), '--jit', '--verbose', '--budget', '5'];
    const textOne = await cli(budget);
    const textTwo = await cli([...budget, '--workers', '2']);
    expect(lines(textOne.out).length).toBeGreaterThan(0);
    expect(lines(textOne.out).some((l) => / error /.test(l))).toBe(true);
    expect(lines(textTwo.out)).toEqual(lines(textOne.out));
    expect(textTwo.code).toBe(textOne.code);
  }, 60_000);

  it('numbers packets as one worker does over a capture of several read buffers: trace lines, --verbose, failures', async () => {
    // About 7 MB: the reader moves to a new buffer (a new batch) twice.
    const pcap = capture(20_000, 5);
    const args = ['run', example('xdp_firewall.o'), '--pcap', pcap, '--jit', '--verbose'];
    const one = await report(args);
    const two = await report([...args, '--workers', '2']);
    expect(one.json['traceLines']).toBeGreaterThan(100);
    expect(two.json['trace']).toEqual(one.json['trace']);
    expect(two.json['perPacket']).toEqual(one.json['perPacket']);
    expect(two.json['verdicts']).toEqual(one.json['verdicts']);
  }, 60_000);

  it('a truncated capture: the packets before the cut, where reading stopped and the exit status as one worker (inside a record and inside a header)', async () => {
    const whole = capture(20_000, 9);
    const bytes = new Uint8Array(readFileSync(whole));
    // Cut inside the last record's data (a few bytes before the end), and inside a header about halfway (past a read buffer's end).
    const middle = 24 + 16 + 5 * 1024 * 1024;
    const cuts = { 'data.pcap': bytes.subarray(0, bytes.length - 7), 'header.pcap': bytes.subarray(0, headerCut(bytes, middle)) };
    const dir = tempFiles(cuts);
    for (const name of Object.keys(cuts)) {
      const args = ['run', example('xdp_firewall.o'), '--pcap', join(dir, name), '--jit'];
      const one = await report(args);
      const two = await report([...args, '--workers', '2']);
      expect(one.code, name).toBe(1);
      expect(String((one.json['stopped'] as { reason: string }).reason), name).toMatch(/truncated capture/);
      expect(two.code, name).toBe(one.code);
      expect(two.json, name).toEqual(one.json);
    }
  }, 60_000);

  it('--map files, .rodata included, apply before the workers load: the same verdicts and maps as one worker', async () => {
    const pcap = capture(3000, 5);
    const dir = tempFiles({ 'ro.json': '{"0": {"blocked_port": 53, "drop_icmp": 0}}', 'data.json': '{"0": {"other_verdict": 1}}' });
    const args = ['run', elf('pool_config.o'), '--pcap', pcap, '--jit', '--verify', 'kernel'];
    const maps = ['--map', `.rodata=${dir}/ro.json`, '--map', `.data=${dir}/data.json`];
    const plain = await report(args);
    const one = await report([...args, ...maps]);
    const two = await report([...args, ...maps, '--workers', '2']);
    expect(one.code).toBe(0);
    expect(one.json['verdicts']).not.toEqual(plain.json['verdicts']);
    expect(two.json).toEqual(one.json);
    // A .rodata value that makes the kernel-level verifier refuse the program: refused by the workers too.
    const flag = tempFiles({ 'ro.json': '{"0": {"flag_off": 1}}' });
    const pruned = ['run', elf('rodata_const.o'), '--program', 'pruned', '--pcap', example('traffic.pcap'), '--verify', 'kernel', '--map', `.rodata=${flag}/ro.json`];
    const refusedOne = await cli(pruned);
    const refusedTwo = await cli([...pruned, '--workers', '2']);
    expect(refusedOne.code).toBe(1);
    expect(refusedTwo.code).toBe(1);
    // refused at the read through the unbounded stack pointer, where the kernel refuses it
    expect(refusedTwo.err).toMatch(/program pruned \(socket_filter\): \[stack-access\]/);
    expect(refusedTwo.err).toBe(refusedOne.err);
  }, 60_000);

  it('refuses maps workers cannot share and flags a pool run does not take, naming --workers 1', async () => {
    const ring = await cli(['run', elf('ringbuf.o'), '--pcap', example('traffic.pcap'), '--workers', '2']);
    expect(ring.code).not.toBe(0);
    expect(ring.err).toMatch(/map events \(BPF_MAP_TYPE_RINGBUF\) is not shared between workers yet.*--workers 1/);
    const out = await cli(['run', example('tc_mark.o'), '--pcap', example('traffic.pcap'), '--workers', '2', '--out', '/dev/null']);
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/--out with --workers 2 is not supported yet: run with --workers 1/);
    const sockets = await cli(['run', example('tc_mark.o'), '--pcap', example('traffic.pcap'), '--workers', '2', '--sockets', `${tempFiles({ 's.json': '[]' })}/s.json`]);
    expect(sockets.code).toBe(2);
    expect(sockets.err).toMatch(/--sockets with --workers 2 is not supported yet: run with --workers 1/);
    const single = await cli(['run', example('tc_mark.o'), '--packet-hex', '00', '--workers', '2']);
    expect(single.code).toBe(2);
    expect((await cli(['run', example('tc_mark.o'), '--pcap', example('traffic.pcap'), '--workers', '0'])).code).toBe(2);
  }, 60_000);

  it('reports start-up and the run loop apart on the process clock, one worker and two', async () => {
    const pcap = capture(3000, 5);
    for (const workers of ['1', '2']) {
      // In-process: the report's clock is this process's (performance.now(), from its start).
      const before = performance.now() / 1000;
      const r = await cli(['run', elf('pool_counters.o'), '--pcap', pcap, '--jit', '--json', '--workers', workers]);
      const after = performance.now() / 1000;
      expect(r.code).toBe(0);
      const t = (JSON.parse(r.out) as { time: { startupSeconds: number; loopSeconds: number; packetsPerLoopSecond: number } }).time;
      // The loop starts within the command and ends before it returns (times rounded to the millisecond).
      expect(t.startupSeconds).toBeGreaterThanOrEqual(before - 0.001);
      expect(t.startupSeconds + t.loopSeconds).toBeLessThanOrEqual(after + 0.002);
      expect(t.loopSeconds).toBeGreaterThan(0);
      // packetsPerLoopSecond is of the unrounded loop time; loopSeconds is rounded to the millisecond.
      expect(t.packetsPerLoopSecond).toBeGreaterThanOrEqual(Math.floor(3000 / (t.loopSeconds + 0.0005)));
      expect(t.packetsPerLoopSecond).toBeLessThanOrEqual(Math.ceil(3000 / Math.max(t.loopSeconds - 0.0005, 1e-6)));
    }
  }, 60_000);
});
