import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackets, writePcap } from '../../src/pcap/index.js';
import { cli, tempFiles } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const ex = (f: string): string => `${root}examples/${f}`;
const obj = ex('xdp_firewall.o');
const traffic = new Uint8Array(readFileSync(ex('traffic.pcap')));

describe('tsbpf run --pcap: streaming, tolerance and conventions', () => {
  it('reads the capture from stdin (--pcap -), -r/-w/-c as tcpdump spells them, --out - on stdout with the report on stderr', async () => {
    const a = JSON.parse((await cli(['run', obj, '--pcap', '-', '--json'], traffic)).out);
    expect(a.packets).toBe(12);
    expect(a.verdicts).toEqual({ XDP_DROP: 3, XDP_PASS: 9 });
    expect(a.capture).toBe('-');
    const b = await cli(['run', obj, '-r', ex('traffic.pcap'), '-w', '-', '-c', '4']);
    expect(b.code).toBe(0);
    expect(b.out).toBe('');
    expect(b.err).toMatch(/^program xdp_firewall \(xdp\) on .*\npackets: 4\nverdicts:\n  XDP_DROP  1\n  XDP_PASS  3\n/);
    expect(b.err).toContain('wrote 3 packets to stdout\n');
    const written = readPackets(b.bytes);
    expect(written.map((p) => [...p.data])).toEqual(readPackets(traffic).filter((_, i) => i < 4 && i !== 2).map((p) => [...p.data]));
  });

  it('streams a real stdin pipe in the executable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', obj, '-r', '-', '--json'], { input: traffic, cwd: root, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString()).verdicts).toEqual({ XDP_DROP: 3, XDP_PASS: 9 });
  });

  it('a truncated capture: the packets before the cut are reported, with where it stopped, and the exit status is 1', async () => {
    const dir = tempFiles({ 'cut.pcap': traffic.subarray(0, traffic.length - 10) });
    const t = await cli(['run', obj, '--pcap', `${dir}/cut.pcap`]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/\npackets: 11\n/);
    expect(t.out).toMatch(/\nstopped: E_PCAP: truncated capture: a packet of \d+ captured bytes needs \d+ bytes but only \d+ remain \(at byte \d+\); the report covers the 11 packets before\n/);
    const j = JSON.parse((await cli(['run', obj, '--pcap', `${dir}/cut.pcap`, '--json'])).out);
    expect(j.complete).toBe(false);
    expect(j.stopped.atByte).toBeGreaterThan(24);
    expect(j.packets).toBe(11);
  });

  it('a damaged record (a length no capture has) stops the run there, after the packets before it', async () => {
    const bad = traffic.slice();
    const packets = readPackets(traffic);
    // The third record's captured length.
    const third = 24 + 16 * 2 + packets[0]!.data.length + packets[1]!.data.length;
    new DataView(bad.buffer).setUint32(third + 8, 0x7fffffff, true);
    const dir = tempFiles({ 'bad.pcap': bad });
    const r = await cli(['run', obj, '--pcap', `${dir}/bad.pcap`, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.packets).toBe(2);
    expect(j.stopped.reason).toMatch(/2147483647 captured bytes, more than the \d+-byte limit/);
    expect(j.stopped.atByte).toBe(third + 8);
  });

  it('a packet whose run fails is counted under an error verdict and the run goes on; --max-errors stops early', async () => {
    const r = await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--budget', '12']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verdicts:\n(  XDP_\w+ +\d+\n)*  error E_BUDGET_EXCEEDED +\d+\n/);
    expect(r.out).toMatch(/errors: \d+ packets failed \(counted as error verdicts\)\n  packet (\d+): E_BUDGET_EXCEEDED: pc \d+: instruction budget of 12 exhausted \(a runaway loop\?\); raise --budget/);
    expect(r.out).not.toContain('RunLimits');
    expect(r.out).toMatch(/see a run instruction by instruction: tsbpf trace .*xdp_firewall\.o --pcap .*traffic\.pcap --packet \d+\n/);
    expect(r.out).toMatch(/\nmaps:\n/);
    const j = JSON.parse((await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--budget', '12', '--json'])).out);
    expect(j.packets).toBe(12);
    expect(j.errors.packets).toBe(j.verdicts['error E_BUDGET_EXCEEDED']);
    expect(j.errors.first[0]).toMatchObject({ code: 'E_BUDGET_EXCEEDED', packet: expect.any(Number), pc: expect.any(Number) });
    const m = JSON.parse((await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--budget', '12', '--json', '--max-errors', '2'])).out);
    expect(m.errors.packets).toBe(2);
    expect(m.stopped.reason).toMatch(/--max-errors 2/);
    expect(m.complete).toBe(false);
    expect(m.packets).toBeLessThan(12);
  });

  it('--json has the documented shape', async () => {
    const r = await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--json', '--jit']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j).sort()).toEqual(
      ['capture', 'complete', 'engine', 'errors', 'events', 'instructions', 'maps', 'medianNsPerPacket', 'nsPerPacket', 'packets', 'program', 'time', 'trace', 'traceDropped', 'traceLines', 'verdicts'].sort(),
    );
    expect(j.complete).toBe(true);
    expect(j.errors).toEqual({ packets: 0, first: [] });
    expect(Object.keys(j.time).sort()).toEqual(
      ['cpuSeconds', 'histogram', 'loopSeconds', 'p99NsPerPacket', 'packetsPerCpuSecond', 'packetsPerLoopSecond', 'startupSeconds', 'timedPackets', 'warmupNsPerPacket', 'warmupPackets'].sort(),
    );
    expect(j.time.histogram.reduce((n: number, b: { packets: number }) => n + b.packets, 0) + j.time.warmupPackets).toBe(12);
  });

  it('instructions per packet: the same from the JIT and the interpreter, in text and --json', async () => {
    const [jit, interp] = await Promise.all([['--jit'], []].map(async (e) => JSON.parse((await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--json', ...e])).out)));
    const i = jit.instructions;
    expect(interp.instructions).toEqual(i);
    expect(Object.keys(i).sort()).toEqual(['counts', 'histogram', 'max', 'median', 'min', 'p99', 'perPacket']);
    const counts = i.counts as { instructions: number; packets: number }[];
    expect(counts.reduce((n, c) => n + c.packets, 0)).toBe(12);
    expect(i.histogram.reduce((n: number, b: { packets: number }) => n + b.packets, 0)).toBe(12);
    expect(i.perPacket).toBeCloseTo(counts.reduce((n, c) => n + c.instructions * c.packets, 0) / 12, 2);
    expect([i.min, i.max]).toEqual([counts[0]!.instructions, counts.at(-1)!.instructions]);
    // A packet that is not IPv4 takes the program's shortest path (xdp_firewall.c: the first two checks).
    expect(i.min).toBeLessThan(20);
    const text = (await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--jit'])).out;
    expect(text).toContain(`\ninstructions: ${i.perPacket.toFixed(1)} per packet (min ${i.min}, median ${i.median}, p99 ${i.p99}, max ${i.max})\n  by count: ${counts[0]!.instructions} `);
  });

  it('a large capture: warm-up apart, CPU time, latency histogram', async () => {
    const frame = traffic.subarray(24 + 16, 24 + 16 + readPackets(traffic)[0]!.data.length);
    const dir = tempFiles({ 'many.pcap': writePcap(Array.from({ length: 3000 }, () => ({ data: frame }))) });
    const r = await cli(['run', obj, '--pcap', `${dir}/many.pcap`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\ntime: [\d.]+ (ns|µs|ms) per packet, median [\d.]+ (ns|µs|ms), p99 [\d.]+ (ns|µs|ms) \(interpreter; the first 1000 packets, warming up, [\d.]+ (ns|µs|ms) each\)\ncpu: [\d.]+ s, [\d,]+ packets per CPU second\nwall: [\d.]+ s of start-up, then [\d.]+ s reading and running, [\d,]+ packets per second\nlatency: </);
    // 2000 steady-state packets: each timed, so no note of sampling.
    expect(r.out).not.toContain('sampled');
  });

  it('a long capture: the steady state sampled (said so, with how many were timed), the mean over every packet', async () => {
    const frames = readPackets(traffic).map((p) => p.data);
    const n = 16_000;
    const dir = tempFiles({ 'long.pcap': writePcap(Array.from({ length: n }, (_, i) => ({ data: frames[i % frames.length]! }))) });
    const j = JSON.parse((await cli(['run', obj, '--pcap', `${dir}/long.pcap`, '--jit', '--json'])).out);
    const steady = n - j.time.warmupPackets;
    expect(j.time.warmupPackets).toBe(1000);
    // 4096 timed at each interval (1, 2), then every 4 on average.
    expect(j.time.timedPackets).toBeGreaterThan(4096 + 4096);
    expect(j.time.timedPackets).toBeLessThan(steady / 1.5);
    // Each timed packet stands for its interval's packets: the histogram estimates the steady state.
    const histogram = j.time.histogram.reduce((k: number, b: { packets: number }) => k + b.packets, 0);
    expect(Math.abs(histogram - steady)).toBeLessThan(steady * 0.05);
    expect(j.nsPerPacket).toBeGreaterThan(0);
    const text = (await cli(['run', obj, '--pcap', `${dir}/long.pcap`, '--jit'])).out;
    expect(text).toMatch(new RegExp(`\\nlatency: .*\\n  \\(median, p99 and latency sampled: [\\d,]+ of the ${steady.toLocaleString('en-US')} steady-state packets timed, at random intervals; the mean covers every packet\\)\\n`));
  });

  it('the capture read into linear memory: the same report over area switches, a packet spanning reads, a record larger than an area, a memory that grows', async () => {
    const frames = readPackets(traffic).map((p) => p.data);
    // A frame longer than the memory had (the session allocates: the memory grows under the reader's
    // buffer) and one larger than a read area (read into a plain buffer), between 10 MB of small ones.
    const long = new Uint8Array(300_000);
    long.set(frames[0]!);
    const huge = new Uint8Array(5 << 20);
    huge.set(frames[1]!);
    const list: { data: Uint8Array }[] = [];
    for (let i = 0; i < 40_000; i++) {
      list.push({ data: frames[i % frames.length]! });
      if (i === 7_000) list.push({ data: long });
      if (i === 20_000) list.push({ data: huge });
    }
    const file = writePcap(list);
    const dir = tempFiles({ 'big.pcap': file });
    const fromFile = JSON.parse((await cli(['run', obj, '--pcap', `${dir}/big.pcap`, '--jit', '--json'])).out);
    // stdin read whole: one plain buffer, the session copies each packet from it.
    const fromStdin = JSON.parse((await cli(['run', obj, '--pcap', '-', '--jit', '--json'], file)).out);
    expect(fromFile.packets).toBe(40_002);
    for (const key of ['packets', 'verdicts', 'instructions', 'maps', 'traceLines', 'trace', 'errors', 'complete']) expect(fromFile[key], key).toEqual(fromStdin[key]);
    // traffic.pcap's verdicts, each frame's as often as it was repeated (the long and huge frames start as frames 0 and 1).
    const each = JSON.parse((await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--json', '--verbose'])).out).perPacket.map((p: { verdict: string }) => p.verdict === 'XDP_DROP');
    let drops = (each[0] ? 1 : 0) + (each[1] ? 1 : 0);
    for (let i = 0; i < 40_000; i++) if (each[i % frames.length]) drops++;
    expect(fromFile.verdicts.XDP_DROP).toBe(drops);
  });

  it('single runs: --json result, --json error, --repeat', async () => {
    const prog = 'b70000000700000095000000000000000'.slice(0, 32); // mov r0, 7; exit
    const ok = await cli(['run', prog, '--json']);
    expect(JSON.parse(ok.out)).toEqual({ r0: '0x7', r0Decimal: '7' });
    const bad = await cli(['run', '71100000000000009500000000000000', '--json']); // ldxb r0, [r1]; no memory
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 0 });
    const loop = await cli(['run', 'b7000000000000000700000001000000 0500feff00000000 9500000000000000', '--budget', '100', '--json']); // add r0, 1; ja -2
    expect(JSON.parse(loop.out).error.message).toMatch(/raise --budget/);
    const rep = await cli(['run', prog, '--repeat', '1000']);
    expect(rep.out).toMatch(/^r0 = 0x7 \(7\)\nruns: 1000, [\d.]+ (ns|µs|ms) per run after the first \([\d.]+ (ns|µs|ms)\)\n$/);
    const repJson = JSON.parse((await cli(['run', obj, '--mem-hex', '00'.repeat(60), '--repeat', '50', '--json', '--jit'])).out);
    expect(repJson).toMatchObject({ runs: 50, r0Decimal: '2' });
    expect((await cli(['run', obj, '--pcap', ex('traffic.pcap'), '--repeat', '3'])).code).toBe(2);
  });
});
