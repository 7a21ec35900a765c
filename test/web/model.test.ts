/**
 * The playground's model in Node: what the page shows for the example object, assembly, captures and a
 * recorded run, compared with the library's own results for the same inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { readPackets } from '../../src/pcap/index.js';
import { Workspace, describePacket, parseHexBytes, stackAt, verdictName } from '../../web/model.js';

const root = join(import.meta.dirname, '..', '..');
const firewall = new Uint8Array(readFileSync(join(root, 'examples', 'xdp_firewall.o')));
const packets = readPackets(new Uint8Array(readFileSync(join(root, 'examples', 'traffic.pcap')))).map((p) => p.data);
const settings = { jit: false, budget: 1_000_000 };

describe('playground model: the example object', () => {
  const ws = Workspace.fromObject(firewall);
  const prog = ws.programs[0]!;

  it('lists the program with C source lines and the analysis verdict', () => {
    expect(ws.programs.map((p) => [p.name, p.kind])).toEqual([['xdp_firewall', 'xdp']]);
    expect(prog.verdict.accepted).toBe(true);
    expect(prog.verdict.summary).toMatch(/kernel-level analysis as xdp/);
    const withSource = prog.listing.filter((l) => l.source !== undefined);
    expect(withSource.length).toBeGreaterThan(5);
    expect(withSource[0]!.source!.text).toMatch(/xdp_firewall/);
    expect(prog.listing.some((l) => /bpf_trace_printk/.test(l.text))).toBe(true);
  });

  it('runs every packet with the verdict the library gives, on both engines', async () => {
    const lib = loadObject(firewall).program('xdp_firewall');
    for (const [i, pkt] of packets.entries()) {
      const expected = verdictName('xdp', lib.runXdp(pkt).r0);
      for (const jit of [false, true]) {
        const r = await ws.run('xdp_firewall', pkt, { ...settings, jit });
        expect(r.ok, `packet ${i + 1}`).toBe(true);
        expect(r.verdict, `packet ${i + 1} jit=${jit}`).toBe(expected);
      }
    }
  });

  it('runs a whole capture: verdict counts and maps', async () => {
    const fresh = Workspace.fromObject(firewall);
    const seen: number[] = [];
    const c = await fresh.runCapture('xdp_firewall', packets, { ...settings, jit: true }, async (n) => void seen.push(n), 2);
    expect(c.packets).toBe(packets.length);
    expect([...c.verdicts.values()].reduce((a, b) => a + b, 0)).toBe(packets.length);
    expect(c.verdicts.get('XDP_DROP')).toBeGreaterThan(0);
    expect(c.firstErrors).toEqual([]);
    expect(seen.length).toBe(Math.floor(packets.length / 2));
    expect(c.maps.some((m) => m.entries.length > 0)).toBe(true);
    expect(c.trace.some((l) => /drop port 23/.test(l))).toBe(true);
  });

  it('records a run: the register file at each step ends with the verdict in r0', () => {
    const dropped = packets.findIndex((p) => verdictName('xdp', loadObject(firewall).program('xdp_firewall').runXdp(p).r0) === 'XDP_DROP');
    const rec = ws.record('xdp_firewall', packets[dropped]!, settings);
    expect(rec.end).toMatchObject({ kind: 'exit', verdict: 'XDP_DROP' });
    const last = rec.steps[rec.steps.length - 1]!;
    expect(last.registers[0]).toBe(1n);
    expect(rec.start[10]).toBe(rec.frame);
    expect(rec.start[1]).not.toBe(0n); // the context pointer
    // Every register a step did not change keeps its value from the step before.
    for (let i = 1; i < rec.steps.length; i++) {
      const a = rec.steps[i - 1]!.registers;
      const b = rec.steps[i]!.registers;
      for (let r = 0; r <= 10; r++) if (!rec.steps[i]!.changed.includes(r)) expect(b[r]).toBe(a[r]);
    }
    // The firewall keeps its key on the stack: some step stores there, and the stack view shows it.
    const storeStep = rec.steps.findIndex((s) => s.stores.some((st) => st.address < rec.frame && st.address >= rec.frame - 512n));
    expect(storeStep).toBeGreaterThanOrEqual(0);
    expect(stackAt(rec, storeStep).some((b) => b !== 0)).toBe(true);
    expect(stackAt(rec, -1).every((b) => b === 0)).toBe(true);
  });

  it('cuts a recording at the step limit', () => {
    const rec = ws.record('xdp_firewall', packets[0]!, settings, 5);
    expect(rec.steps.length).toBe(5);
    expect(rec.end).toEqual({ kind: 'cut', limit: 5 });
  });
});

describe('playground model: assembly', () => {
  it('assembles any dialect, runs raw on the input bytes, both engines agree', async () => {
    const ws = Workspace.fromAssembly('ldxb r0, [r1+1]\n  r0 += 1\nexit');
    expect(ws.programs[0]!.verdict.accepted).toBe(true);
    for (const jit of [false, true]) {
      const r = await ws.run('program', Uint8Array.of(5, 41), { ...settings, jit });
      expect(r).toMatchObject({ ok: true, verdict: '42', r0: '0x2a' });
    }
  });

  it('shows verifier findings at their instruction, and run errors with code and pc', async () => {
    const ws = Workspace.fromAssembly('r0 = *(u64 *)(r1 + 0)\nexit', 'socket_filter');
    const line = ws.programs[0]!.listing[0]!;
    expect(ws.programs[0]!.verdict.accepted).toBe(false);
    expect(line.issues.length).toBeGreaterThan(0);
    const loop = Workspace.fromAssembly('r1 = 0\nl: r1 += 1\nif r1 != 0 goto l\nexit');
    const r = await loop.run('program', new Uint8Array(0), { jit: false, budget: 1000 });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('E_BUDGET_EXCEEDED');
    expect(r.error?.pc).toBe(1);
  });

  it('records a raw run', () => {
    const ws = Workspace.fromAssembly('mov r0, 7\n*(u64 *)(r10 - 8) = r0\nexit');
    const rec = ws.record('program', new Uint8Array(0), settings);
    expect(rec.end).toMatchObject({ kind: 'exit', verdict: '7' });
    expect(rec.steps.map((s) => s.pc)).toEqual([0, 1, 2]);
  });

  it('refuses bad sources with an EbpfError', () => {
    expect(() => Workspace.fromAssembly('frobnicate r0')).toThrow(/E_ASSEMBLY|expected|unknown/i);
    expect(() => Workspace.fromObject(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1))).toThrow();
    expect(() => parseHexBytes('zz')).toThrow(/hex digit/);
    expect(() => parseHexBytes('abc')).toThrow(/odd/);
    expect([...parseHexBytes('0x01 02,03:04\n05')]).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('playground model: packet summaries', () => {
  it('names the protocol, addresses and ports', () => {
    expect(describePacket(packets[0]!)).toMatch(/^IPv4 (TCP|UDP|ICMP) \d+\.\d+\.\d+\.\d+/);
    expect(describePacket(new Uint8Array(3))).toBe('3 bytes');
  });
});
