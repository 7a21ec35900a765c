import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { cli, tempFiles } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const ex = (f: string): string => `${root}examples/${f}`;

describe('tsbpf inspect', () => {
  it('lists programs, maps with BTF types, code relocations and the license', async () => {
    const r = await cli(['inspect', ex('xdp_firewall.o'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.license).toBe('GPL');
    expect(j.btf).toBe(true);
    expect(j.programs).toHaveLength(1);
    expect(j.programs[0]).toMatchObject({ name: 'xdp_firewall', section: 'xdp', type: 'xdp' });
    // The linked program is the xdp section (no subprograms): its size over 8, lddw counted as 2 slots.
    const { loadObject } = await import('../../src/elf/loader.js');
    const obj = loadObject(new Uint8Array(readFileSync(ex('xdp_firewall.o'))));
    expect(j.programs[0].instructions).toBe(obj.section('xdp')!.length / 8);
    expect(j.programs[0].sourceLines).toBeGreaterThan(10);
    expect(j.maps.filter((m: { name: string }) => !m.name.startsWith('.'))).toEqual([
      { name: 'drops_by_saddr', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64, flags: 0, keyType: '__be32', valueType: '__u64' },
      { name: 'proto_stats', type: 'hash', keySize: 4, valueSize: 16, maxEntries: 16, flags: 0, keyType: '__u32', valueType: 'struct counter' },
    ]);
    // A lookup, an insert and a lookup again of each map in the C source, plus the bpf_printk format string in .rodata.
    const relocs = j.relocations.map((x: { symbol: string; type: string; target: string }) => `${x.symbol} ${x.type} ${x.target}`);
    expect(relocs).toEqual([
      'proto_stats R_BPF_64_64 map',
      'proto_stats R_BPF_64_64 map',
      'proto_stats R_BPF_64_64 map',
      'drops_by_saddr R_BPF_64_64 map',
      'drops_by_saddr R_BPF_64_64 map',
      'drops_by_saddr R_BPF_64_64 map',
      '.rodata R_BPF_64_64 global data (.rodata)',
    ]);
  });
  it('prints tables, including subprogram calls of a multi-program object', async () => {
    const r = await cli(['inspect', `${root}test/fixtures/elf/globals.o`]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^.*globals\.o: license "Dual MIT\/GPL", BTF\nprograms \(4\):\n  NAME +SECTION +TYPE +INSNS +SOURCE LINES\n  add3 +\.text +raw +17 /);
    expect(r.out).toMatch(/\n  calc +tc +tc +40 /);
    expect(r.out).toMatch(/\n  tc +0xa0 +R_BPF_64_32 +add3 +function in \.text\n/);
    expect(r.out).toMatch(/\n  \.bss +array +4 +8 +1 +0x0 +4 bytes +global variables\n/);
  });
  it('rejects files that are not objects', async () => {
    const r = await cli(['inspect', 'b7000000000000009500000000000000']);
    expect(r).toMatchObject({ code: 1, out: '', err: 'tsbpf inspect: <hex>: not an ELF object (inspect reads clang-built .o files)\n' });
    expect((await cli(['inspect', '/nonexistent.o'])).err).toMatch(/no such file/);
  });
});

describe('tsbpf disasm with source lines', () => {
  it('puts each C line above its instructions, and the listing still reassembles to the linked program', async () => {
    const r = await cli(['disasm', ex('tc_mark.o')]);
    expect(r.code).toBe(0);
    const c = readFileSync(ex('tc_mark.c'), 'utf8').split('\n');
    const comments = r.out.split('\n').filter((l) => l.startsWith('; ./'));
    expect(comments.length).toBeGreaterThan(15);
    for (const line of comments) {
      const m = /^; \.\/tc_mark\.c:(\d+): (.*)$/.exec(line)!;
      expect(m).not.toBeNull();
      expect(c[Number(m[1]) - 1]!.trim()).toBe(m[2]);
    }
    expect(r.out).toContain('; ./tc_mark.c:25: if (ip->ttl <= 1) return TC_ACT_SHOT;\n');
    const plain = await cli(['disasm', ex('tc_mark.o'), '--no-source']);
    expect(plain.out).not.toContain('tc_mark.c');
    expect(Buffer.from(assemble(r.out)).toString('hex')).toBe(Buffer.from(assemble(plain.out)).toString('hex'));
    expect(assemble(r.out).length).toBe(73 * 8);
  });
});

describe('tsbpf trace', () => {
  it('traces a packet of a capture: source lines, changed registers, stores, helper calls, verdict', async () => {
    const r = await cli(['trace', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--packet', '3', '--llvm']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('xdp_firewall:');
    expect(lines[1]).toBe('; ./xdp_firewall.c:44: int xdp_firewall(struct xdp_md *ctx) {');
    // Packet 3 is 54 bytes: data_end - data is 0x36.
    expect(r.out).toMatch(/\n +\d+: r8 -= r6 +; r8 0x[0-9a-f]+ -> 0x36\n/);
    // The IP protocol byte (6, TCP) is stored on the stack as the map key.
    expect(r.out).toMatch(/\n +\d+: \*\(u32 \*\)\(r10 - 4\) = r1 +; \[0x[0-9a-f]+\] <- 0x6 \(4 bytes\)\n/);
    expect(r.out).toMatch(/call 1 \(bpf_map_lookup_elem\)/);
    expect(r.out).toMatch(/\n +\d+: r4 = be32 r4 +; r4 0x4201a8c0 -> 0xc0a80142\n/);
    expect(r.out).toContain('trace_printk: drop port 23 from c0a80142\n');
    expect(r.out).toMatch(/\nresult: r0 = 0x1 \(1\) XDP_DROP after (\d+) instructions\n$/);
    const count = Number(/after (\d+) instructions/.exec(r.out)![1]);
    expect(lines.filter((l) => /^ +\d+: /.test(l))).toHaveLength(count);
  });
  it('traces assembly on --mem-hex, and --limit stops a loop', async () => {
    const dir = tempFiles({ 'loop.s': 'mov r0, 0\nlbl:\nadd r0, 1\nja lbl\n', 'add.s': 'ldxb r0, [r1+1]\nadd r0, 2\nexit\n' });
    const add = await cli(['trace', `${dir}/add.s`, '--mem-hex', '05 07']);
    expect(add.out).toBe(
      '    0: ldxb r0, [r1+0x1]                      ; r0 0x0 -> 0x7\n' +
        '    1: add64 r0, 0x2                          ; r0 0x7 -> 0x9\n' +
        '    2: exit\n' +
        'result: r0 = 0x9 (9) after 3 instructions\n',
    );
    const loop = await cli(['trace', `${dir}/loop.s`, '--limit', '5']);
    expect(loop.code).toBe(0);
    expect(loop.out.split('\n').slice(-3)).toEqual(['    2: ja L1', 'stopped after 5 instructions (--limit 5)', '']);
    const budget = await cli(['trace', `${dir}/loop.s`, '--budget', '3']);
    expect(budget.code).toBe(1);
    // The faulting instruction is named: the budget runs out entering the block at pc 1.
    expect(budget.out).toMatch(/error after 3 instructions \(reported below\), at\n=> +1: \S.*\n$/);
    expect(budget.err).toMatch(/^tsbpf trace: E_BUDGET_EXCEEDED: pc 1: instruction budget of 3 exhausted/);
  });
  it('reports bad packet numbers and option mixes', async () => {
    expect((await cli(['trace', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--packet', '13'])).err).toMatch(
      /--packet 13: .*traffic\.pcap has 12 packets/,
    );
    expect((await cli(['trace', ex('xdp_firewall.o'), '--packet', '2'])).err).toMatch(/--packet needs --pcap FILE/);
    // Read as a stream up to the packet: from stdin too; damage after it does not matter, damage before it is named.
    const traffic = new Uint8Array(readFileSync(ex('traffic.pcap')));
    const fromFile = await cli(['trace', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--packet', '3']);
    const fromStdin = await cli(['trace', ex('xdp_firewall.o'), '--pcap', '-', '--packet', '3'], traffic.subarray(0, 400));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.out).toBe(fromFile.out);
    const cut = await cli(['trace', ex('xdp_firewall.o'), '--pcap', '-', '--packet', '12'], traffic.subarray(0, traffic.length - 10));
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(/E_PCAP: truncated capture.*\(after 11 good packets\)/);
    expect((await cli(['trace', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--mem-hex', '00'])).code).toBe(2);
  });
});

describe('tsbpf verify on the example objects', () => {
  it('accepts every linked program', async () => {
    for (const f of ['xdp_firewall', 'socket_dns', 'tc_mark']) {
      const r = await cli(['verify', ex(`${f}.o`)]);
      expect(r.code, f).toBe(0);
      expect(r.out).toMatch(new RegExp(`${f}\\.o:${f}: OK \\(\\d+ instructions, kernel level as \\w+\\)\\n$`));
    }
  });
});
