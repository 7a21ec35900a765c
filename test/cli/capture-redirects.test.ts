import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPackets, writePcap } from '../../src/pcap/index.js';
import { MAX_TARGETS, TargetCounts } from '../../src/cli/capture-redirects.js';
import { TargetCaptures, targetFileName } from '../../src/cli/capture-targets-out.js';
import { InputError } from '../../src/cli/input-error.js';
import { cli, tempFiles } from './helpers.js';

const elf = (f: string): string => new URL(`../fixtures/elf/${f}`, import.meta.url).pathname;

/** skb_state.o by_map: byte 14 picks the map (high nibble: ports, ports_by_id, cpus, sockets) and the key (low 2 bits), byte 15 the flags. */
const byMap = (b14: number, b15 = 0): { data: Uint8Array } => {
  const d = new Uint8Array(64);
  d[14] = b14;
  d[15] = b15;
  return { data: d };
};

/** tc_skb_ops.o clone: up to 4 clones, ifindex at 16 + 12 * i and flags (u64) at 20 + 12 * i; the verdict is byte 63. */
const cloneFrame = (targets: readonly (readonly [number, number])[], verdict: number): { data: Uint8Array } => {
  const d = new Uint8Array(128);
  const v = new DataView(d.buffer);
  targets.forEach(([ifindex, flags], i) => {
    v.setUint32(16 + 12 * i, ifindex, true);
    v.setUint32(20 + 12 * i, flags, true);
  });
  d[63] = verdict;
  return { data: d };
};

describe('tsbpf run --pcap: redirect and clone targets', () => {
  it('counts XDP_REDIRECT verdicts by target: devmap key and interface, cpumap CPU, xskmap socket, broadcast; a missing entry is the fallback verdict', async () => {
    const dir = tempFiles({
      'c.pcap': writePcap([byMap(0x01), byMap(0x01), byMap(0x02), byMap(0x21), byMap(0x30), byMap(0x00, 0x08), byMap(0x03, 0x02), byMap(0x03)]),
      'ports.json': '{"1": 7, "2": 9}',
      'cpus.json': '{"1": 100}',
      'xsk.json': '{"0": 42}',
    });
    const args = ['run', elf('skb_state.o'), '--program', 'by_map', '--pcap', `${dir}/c.pcap`, '--map', `ports=${dir}/ports.json`, '--map', `cpus=${dir}/cpus.json`, '--map', `sockets=${dir}/xsk.json`];
    const t = await cli(args);
    expect(t.code).toBe(0);
    // Key 3 of ports is empty: flags 2 give XDP_PASS, flags 0 XDP_ABORTED, neither a redirect.
    expect(t.out).toContain(
      [
        'verdicts:',
        '  XDP_ABORTED   1',
        '  XDP_PASS      1',
        '  XDP_REDIRECT  6',
        'redirected to:',
        '  map ports key 1: ifindex 7            2',
        '  map cpus key 1: cpu 1                 1',
        '  map ports key 2: ifindex 9            1',
        '  map ports: broadcast                  1',
        '  map sockets key 0: queue 0 socket 42  1',
        '',
      ].join('\n'),
    );
    expect(t.out).not.toContain('clones');
    const j = JSON.parse((await cli([...args, '--json'])).out);
    expect(j.verdicts).toEqual({ XDP_ABORTED: 1, XDP_PASS: 1, XDP_REDIRECT: 6 });
    expect(j.redirects).toEqual({
      targets: { 'map ports key 1: ifindex 7': 2, 'map cpus key 1: cpu 1': 1, 'map ports key 2: ifindex 9': 1, 'map ports: broadcast': 1, 'map sockets key 0: queue 0 socket 42': 1 },
      other: 0,
    });
    expect(j.clones).toBeUndefined();
  });

  it('counts TC_ACT_REDIRECT by interface and bpf_clone_redirect copies by interface and direction, whatever the verdict', async () => {
    const dir = tempFiles({
      'r.pcap': writePcap([byMap(0), byMap(1), byMap(2)]),
      // Interface 9 is not in the FIB: that clone fails (-EINVAL) and is not counted.
      'c.pcap': writePcap([cloneFrame([[3, 0], [4, 1]], 0), cloneFrame([[3, 0], [9, 0]], 2), cloneFrame([], 0), cloneFrame([[4, 1], [4, 1], [5, 0]], 7)]),
      'fib.json': JSON.stringify({ interfaces: [{ ifindex: 3 }, { ifindex: 4 }, { ifindex: 5 }] }),
    });
    const r = await cli(['run', elf('rewrite.o'), '--program', 'tc_redirect', '--pcap', `${dir}/r.pcap`, '--json']);
    const rj = JSON.parse(r.out);
    expect(rj.verdicts).toEqual({ TC_ACT_REDIRECT: 3 });
    expect(rj.redirects).toEqual({ targets: { 'ifindex 3': 3 }, other: 0 });
    const c = await cli(['run', elf('tc_skb_ops.o'), '--program', 'clone', '--fib', `${dir}/fib.json`, '--pcap', `${dir}/c.pcap`]);
    expect(c.code).toBe(0);
    // The program returns byte 63 (a redirect verdict without a redirect helper names no target).
    expect(c.out).toContain('redirected to:\n  no target (no redirect helper called)  1\n');
    expect(c.out).toContain('clones (bpf_clone_redirect) to:\n  ifindex 4 ingress  3\n  ifindex 3          2\n  ifindex 5          1\n');
    const cj = JSON.parse((await cli(['run', elf('tc_skb_ops.o'), '--program', 'clone', '--fib', `${dir}/fib.json`, '--pcap', `${dir}/c.pcap`, '--json'])).out);
    expect(cj.clones).toEqual({ targets: { 'ifindex 4 ingress': 3, 'ifindex 3': 2, 'ifindex 5': 1 }, other: 0, notKept: 0 });
    expect(cj.verdicts).toEqual({ TC_ACT_OK: 2, TC_ACT_SHOT: 1, TC_ACT_REDIRECT: 1 });
  });

  it('keeps at most MAX_TARGETS names: the packets to further targets are summed as other', () => {
    const t = new TargetCounts();
    for (let i = 0; i < MAX_TARGETS + 50; i++) t.add(`ifindex ${i}`);
    t.add('ifindex 0');
    t.add('ifindex 1000');
    expect(t.entries()).toHaveLength(MAX_TARGETS);
    expect(t.entries()[0]).toEqual(['ifindex 0', 2]);
    expect(t.other).toBe(51);
    expect(t.total).toBe(MAX_TARGETS + 52);
  });

  it('--out-redirect writes each redirect target\'s packets, as the program left them, to a capture of its own', async () => {
    const frames = [byMap(0x01), byMap(0x02), byMap(0x01), byMap(0x21), byMap(0x03, 0x02), byMap(0x00, 0x08)];
    const dir = tempFiles({ 'c.pcap': writePcap(frames), 'ports.json': '{"1": 7, "2": 9}', 'cpus.json': '{"1": 100}' });
    const outDir = join(dir, 'out', 'redirects');
    const args = ['run', elf('skb_state.o'), '--program', 'by_map', '--pcap', `${dir}/c.pcap`, '--map', `ports=${dir}/ports.json`, '--map', `cpus=${dir}/cpus.json`, '--out-redirect', outDir];
    const t = await cli(args);
    expect(t.code).toBe(0);
    expect(t.out).toContain(
      [
        `wrote the redirected packets and clones to ${outDir}:`,
        '  map-ports-key-1-ifindex-7.pcap  2 packets (map ports key 1: ifindex 7)',
        '  map-ports-key-2-ifindex-9.pcap  1 packet (map ports key 2: ifindex 9)',
        '  map-cpus-key-1-cpu-1.pcap  1 packet (map cpus key 1: cpu 1)',
        '  map-ports-broadcast.pcap  1 packet (map ports: broadcast)',
        '',
      ].join('\n'),
    );
    expect(readdirSync(outDir).sort()).toEqual(['map-cpus-key-1-cpu-1.pcap', 'map-ports-broadcast.pcap', 'map-ports-key-1-ifindex-7.pcap', 'map-ports-key-2-ifindex-9.pcap']);
    // The XDP_PASS packet (an empty key with flags 2) is in none of them.
    const key1 = readPackets(readFileSync(join(outDir, 'map-ports-key-1-ifindex-7.pcap')));
    expect(key1.map((p) => [...p.data])).toEqual([[...frames[0]!.data], [...frames[2]!.data]]);
    expect([...readPackets(readFileSync(join(outDir, 'map-cpus-key-1-cpu-1.pcap')))[0]!.data]).toEqual([...frames[3]!.data]);
    const j = JSON.parse((await cli([...args, '--json'])).out);
    expect(j.outRedirect.dir).toBe(outDir);
    expect(j.outRedirect.files).toContainEqual({ kind: 'redirect', target: 'map ports key 1: ifindex 7', file: join(outDir, 'map-ports-key-1-ifindex-7.pcap'), packets: 2 });
  });

  it('--out-redirect writes bpf_clone_redirect copies per interface and direction, as they were at the call', async () => {
    const frames = [cloneFrame([[3, 0], [4, 1]], 0), cloneFrame([[4, 1]], 2)];
    const dir = tempFiles({ 'c.pcap': writePcap(frames), 'fib.json': JSON.stringify({ interfaces: [{ ifindex: 3 }, { ifindex: 4 }] }) });
    const t = await cli(['run', elf('tc_skb_ops.o'), '--program', 'clone', '--fib', `${dir}/fib.json`, '--pcap', `${dir}/c.pcap`, '--out-redirect', `${dir}/o`]);
    expect(t.code).toBe(0);
    expect(readdirSync(`${dir}/o`).sort()).toEqual(['clone-ifindex-3.pcap', 'clone-ifindex-4-ingress.pcap']);
    const ingress = readPackets(readFileSync(`${dir}/o/clone-ifindex-4-ingress.pcap`));
    expect(ingress.map((p) => p.data.length)).toEqual([128, 128]);
    expect([...ingress[1]!.data]).toEqual([...frames[1]!.data]);
    expect(t.out).toContain('  clone-ifindex-4-ingress.pcap  2 packets (clones to ifindex 4 ingress)\n');
  });

  it('--out-redirect: file names stay inside the directory whatever a target is called, past MAX_TARGETS targets go to other.pcap, and a file in the way is a one-line error', async () => {
    for (const hostile of ['../../etc/passwd', '..', '.', '/', '', 'map ../x key 1: ifindex 2', 'a\u0000b']) {
      const name = targetFileName(hostile);
      expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9.-]*$/);
      expect(name).not.toContain('..');
    }
    expect(targetFileName('x'.repeat(1000)).length).toBeLessThanOrEqual(96);
    const dir = tempFiles({ 'file': 'x' });
    const w = new TargetCaptures(join(dir, 'many'));
    const pkt = new Uint8Array(20);
    for (let i = 0; i < MAX_TARGETS + 10; i++) w.write('redirect', `ifindex ${i}`, pkt, 0, 20, 20, 0, 0);
    w.write('redirect', 'ifindex 0', pkt, 0, 20, 20, 0, 0);
    w.write('redirect', 'ifindex 1', pkt, 0, 10, 20, 0, 0);
    // Two targets whose names clean up alike get two files.
    w.write('clone', 'a/b', pkt, 0, 20, 20, 0, 0);
    w.write('clone', 'a b', pkt, 0, 20, 20, 0, 0);
    const files = w.close();
    expect(files.filter((f) => f.kind === 'redirect')).toHaveLength(MAX_TARGETS + 1);
    expect(files.find((f) => f.target === 'other')).toMatchObject({ file: join(dir, 'many', 'other.pcap'), packets: 10 });
    expect(files.find((f) => f.target === 'ifindex 0')!.packets).toBe(2);
    expect(files.filter((f) => f.kind === 'clone').map((f) => f.file)).toEqual([join(dir, 'many', 'clone-a-b.pcap'), join(dir, 'many', 'clone-a-b-2.pcap')]);
    expect(readdirSync(join(dir, 'many'))).toHaveLength(MAX_TARGETS + 3);
    expect(readPackets(readFileSync(join(dir, 'many', 'ifindex-1.pcap')))[1]!.data.length).toBe(10);
    expect(() => new TargetCaptures(join(dir, 'file'))).toThrow(InputError);
    expect(() => new TargetCaptures(join(dir, 'file', 'sub'))).toThrow(/a file is in the way/);
    const c = await cli(['run', elf('skb_state.o'), '--program', 'by_map', '--pcap', '-', '--out-redirect', join(dir, 'file')], writePcap([byMap(1)]));
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/^tsbpf run: --out-redirect .*file: a file is in the way, not a directory\n$/);
    expect(existsSync(join(dir, 'file'))).toBe(true);
    const u = await cli(['run', elf('skb_state.o'), '--program', 'by_map', '--packet-hex', '00', '--out-redirect', join(dir, 'x')]);
    expect(u.code).toBe(2);
    expect(u.err).toContain('--out-redirect applies to capture runs only');
  });
});
