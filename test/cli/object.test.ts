import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { cli, spawnCli } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(`${root}bench/programs/expected.json`, 'utf8')) as Record<string, { small: string }>;
const zeros = '00'.repeat(60);

describe('tsbpf run on clang-built ELF objects', () => {
  for (const name of ['fnv1a', 'prime', 'crc32']) {
    for (const jit of [false, true]) {
      it(`${name}.o on its small input${jit ? ' with --jit' : ''} gives the native result`, async () => {
        const args = ['run', `${root}bench/programs/${name}.o`, '--mem', `${root}bench/programs/${name}.small.mem`];
        const r = await cli(jit ? [...args, '--jit'] : args);
        expect(r.err).toBe('');
        expect(r.out).toMatch(new RegExp(`^r0 = ${expected[name]!.small} \\(`));
      });
    }
  }
  it('runs XDP programs on the memory as a packet and names the verdict', async () => {
    const r = await cli(['run', `${root}test/fixtures/elf/xdp_counter.o`, '--mem-hex', zeros]);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/^verdict = XDP_PASS\nr0 = 0x2 \(2\)\nmaps:\n  total \(percpu_array, key __u32, value __u64\): 1 entry\n    0: \[1\]\n/) });
  });
  it('runs tc programs with an __sk_buff (rbpf block-a-port example: not TCP, so -1)', async () => {
    const r = await cli(['run', `${root}test/fixtures/elf/block_port.o`, '--mem-hex', zeros]);
    expect(r.out).toMatch(/^verdict = TC_ACT_UNSPEC\nr0 = 0xffffffff \(4294967295\)\n/);
  });
  it('asks which program to run when an object has several, and rejects unknown names', async () => {
    const obj = `${root}test/fixtures/elf/globals.o`;
    const several = await cli(['run', obj]);
    expect(several.code).toBe(1);
    expect(several.err).toMatch(/has 4 programs: add3 \(\.text\), calc \(tc\), first \(xdp\), second \(xdp\); choose one with --program NAME\n$/);
    expect((await cli(['run', obj, '--program', 'nope'])).err).toMatch(/no program named nope; programs: add3/);
    expect((await cli(['run', obj, '--program', 'calc', '--mem-hex', zeros])).code).toBe(0);
    expect((await cli(['run', 'b7000000000000009500000000000000', '--program', 'x'])).code).toBe(2);
  });
  it('drains trace lines and event records after the run and reports what was dropped', async () => {
    const r = await cli(['run', `${root}test/fixtures/elf/flood.o`, '--mem-hex', zeros]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('trace_printk: flood 1999\n');
    expect(r.out).toContain('events: perf (perf_event_array): 120 records, 1880 dropped\n');
    expect(r.out).toContain('events: rb (ringbuf): 15 records, 1985 dropped\n');
    const pcap = await cli(['run', `${root}test/fixtures/elf/flood.o`, '--pcap', `${root}examples/traffic.pcap`, '--json']);
    const report = JSON.parse(pcap.out) as { packets: number; traceLines: number; traceDropped: number; events: { map: string; records: number; dropped: number }[] };
    // Drained after each packet: every packet gets the buffers' whole capacity again.
    expect(report.events.find((e) => e.map === 'perf')).toMatchObject({ records: 120 * report.packets, dropped: 1880 * report.packets });
    expect(report.traceLines).toBe(2000 * report.packets);
    expect(report.traceDropped).toBe(0);
  });
  it('reports an unimplemented helper as one line', async () => {
    const r = await cli(['run', `${root}test/fixtures/elf/unknown_helper.o`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tsbpf run: E_ELF: .*helper tsbpf does not implement: 166 \(bpf_sys_bpf, first at [^\n]*\n$/);
  });
});

describe('verify and disasm on ELF objects', () => {
  it('verifies every linked program of an object', async () => {
    const r = await cli(['verify', `${root}test/fixtures/elf/globals.o`]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter(Boolean).map((l) => l.replace(/^.*globals\.o:/, ''))).toEqual([
      'add3: OK (17 instructions)',
      'calc: OK (40 instructions, kernel level as sched_cls)',
      'first: OK (22 instructions, kernel level as xdp)',
      'second: OK (16 instructions, kernel level as xdp)',
    ]);
    const v1 = await cli(['verify', '--cpu', '1', '--program', 'count_len', `${root}test/fixtures/elf/legacy.o`]);
    expect(v1.out).toMatch(/legacy\.o:count_len: /);
  });
  it('disassembles a program with its function labels, and the text reassembles to the linked bytes', async () => {
    const { assemble } = await import('../../src/asm/assembler.js');
    const r = await cli(['disasm', `${root}test/fixtures/elf/globals.o`, '--program', 'calc']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^; program calc, section tc\ncalc:\n/);
    expect(r.out).toMatch(/call local add3\n/);
    const hex = (await cli(['asm', '-'], r.out)).out.replace(/\n/g, '');
    const bytes = assemble(r.out);
    expect(Buffer.from(bytes).toString('hex')).toBe(hex);
    const check = await cli(['verify', Buffer.from(bytes).toString('hex')]);
    expect(check.out).toMatch(/OK \(40 instructions\)/);
  });
});

describe('verify --json', () => {
  it('gives every program\'s verdict and issues with pcs, rules and source lines, and errors as JSON', async () => {
    const r = await cli(['verify', 'test/fixtures/elf/rodata_abuse.o', '--json']);
    expect(r.code).toBe(1);
    type Doc = { programs: { program: string; accepted: boolean; level: string; programType?: string; issues: { pc?: number; rule: string; source?: string }[] }[]; rejected: number };
    const doc = JSON.parse(r.out) as Doc;
    const load = doc.programs.find((p) => p.program.endsWith(':load_bytes_into'))!;
    expect(load).toMatchObject({ accepted: false, level: 'kernel', programType: 'socket_filter' });
    expect(load.issues[0]).toMatchObject({ pc: 6, rule: 'read-only-write', source: './rodata_abuse.c:37: bpf_skb_load_bytes(skb, 0, (void *)&cfg, 4);' });
    expect(doc.rejected).toBe(doc.programs.filter((p) => !p.accepted).length);
    const ok = await cli(['verify', 'b7000000010000009500000000000000', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ programs: [{ accepted: true, instructions: 2, level: 'shape', issues: [] }], rejected: 0 });
    const missing = await cli(['verify', '/no/such/file.o', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out)).toMatchObject({ error: { code: 'E_INPUT' } });
  });
});

describe('verify at the kernel level (spawned CLI)', () => {
  it('prints kernel-style messages with their C lines and exits 1 on a rejected object', () => {
    const r = spawnCli(['verify', 'test/fixtures/elf/rodata_abuse.o', '--program', 'load_bytes_into']);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      'test/fixtures/elf/rodata_abuse.o:load_bytes_into: pc 6: error [read-only-write]: R3 points into a read-only map; the helper writes to it\n' +
        '    ./rodata_abuse.c:37: bpf_skb_load_bytes(skb, 0, (void *)&cfg, 4);\n' +
        'test/fixtures/elf/rodata_abuse.o:load_bytes_into: rejected: 1 error\n',
    );
  });
  it('exits 0 on an object the kernel accepts, naming the level and type; --level shape gives the shape checks', () => {
    const r = spawnCli(['verify', 'test/fixtures/elf/skb_state.o']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/skb_state\.o:by_map: OK \(\d+ instructions, kernel level as xdp\)/);
    const s = spawnCli(['verify', '--level', 'shape', 'test/fixtures/elf/rodata_abuse.o']);
    expect(s.code).toBe(0);
    expect(s.out).not.toMatch(/kernel level/);
  });
  it('raw bytecode stays at the shape level unless asked; --type picks the kernel type', () => {
    const hex = Buffer.from(assemble('r1 *= 2\nr0 = 0\nexit')).toString('hex');
    expect(spawnCli(['verify', hex]).code).toBe(0);
    const k = spawnCli(['verify', '--level', 'kernel', '--type', 'xdp', hex]);
    expect(k.code).toBe(1);
    expect(k.out).toMatch(/pc 0: error \[pointer-arithmetic\]: R1 pointer arithmetic with \*= operator prohibited|pc 0: error \[pointer-arithmetic\]/);
    expect(spawnCli(['verify', '--type', 'bogus', hex]).code).toBe(2);
  });
  it('--attach picks the expected attach type: a recvmsg hook must return 1, a connect hook may return 0', () => {
    const hex = Buffer.from(assemble('r0 = 0\nexit')).toString('hex');
    const base = ['verify', '--level', 'kernel', '--type', 'cgroup_sock_addr'];
    expect(spawnCli([...base, hex]).code).toBe(0);
    const r = spawnCli([...base, '--attach', 'cgroup_udp4_recvmsg', hex]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[return-value\].*should have been in \[1, 1\]/);
    expect(spawnCli([...base, '--attach', 'cgroup_setsockopt', hex]).code).toBe(2);
    expect(spawnCli(['verify', '--level', 'kernel', '--attach', 'cgroup_udp4_recvmsg', hex]).code).toBe(2);
  });
});
