/**
 * `--json` of disasm, asm and trace: one JSON document on stdout that says what the text says, errors
 * included (inside the document where it is already open, as trace's is).
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { cli, tempFiles } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const ex = (f: string): string => `${root}examples/${f}`;
const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('tsbpf disasm --json', () => {
  it('lists every instruction with its bytes, and for objects its function and C source line', async () => {
    const r = await cli(['disasm', ex('tc_mark.o'), '--json', '--llvm']);
    expect(r.code).toBe(0);
    const [p] = JSON.parse(r.out).programs;
    expect(p).toMatchObject({ program: 'tc_mark', section: 'tc', functions: [{ pc: 0, name: 'tc_mark' }] });
    expect(p.instructions[0]).toEqual({ pc: 0, text: 'r0 = 0', bytes: 'b700000000000000', source: { file: './tc_mark.c', line: 17, text: 'int tc_mark(struct __sk_buff *skb) {' } });
    // Every slot is covered once: lddw takes two slots and 16 bytes.
    let next = 0;
    for (const i of p.instructions) {
      expect(i.pc).toBe(next);
      next += i.bytes.length / 16;
    }
    // The same texts as the text listing (its lines but the header, labels and source comments).
    const text = (await cli(['disasm', ex('tc_mark.o'), '--llvm', '--no-source'])).out;
    expect(p.instructions.map((i: { text: string }) => i.text)).toEqual(text.split('\n').filter((l) => l !== '' && !l.startsWith(';') && !l.endsWith(':')));
  });
  it('gives raw bytecode without object fields, and --no-source drops the lines', async () => {
    const r = await cli(['disasm', 'b40000000000000004000000030000009500000000000000', '--json']);
    expect(JSON.parse(r.out)).toEqual({
      programs: [{ instructions: [
        { pc: 0, text: 'mov32 r0, 0x0', bytes: 'b400000000000000' },
        { pc: 1, text: 'add32 r0, 0x3', bytes: '0400000003000000' },
        { pc: 2, text: 'exit', bytes: '9500000000000000' },
      ] }],
    });
    const [p] = JSON.parse((await cli(['disasm', ex('tc_mark.o'), '--json', '--no-source'])).out).programs;
    expect(p.instructions.some((i: { source?: unknown }) => i.source !== undefined)).toBe(false);
  });
  it('reports a bad input as a JSON error', async () => {
    const r = await cli(['disasm', 'b4000000', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.message).toMatch(/not a whole number of 8-byte instructions/);
  });
});

describe('tsbpf asm --json', () => {
  it('gives the slots and the bytes, or the output file', async () => {
    const dir = tempFiles({ 'add.s': 'mov32 r0, 0\nlddw r1, 0x1122334455667788\nexit\n' });
    const expected = assemble('mov32 r0, 0\nlddw r1, 0x1122334455667788\nexit\n');
    expect(JSON.parse((await cli(['asm', `${dir}/add.s`, '--json'])).out)).toEqual({ slots: 4, hex: hexOf(expected) });
    const r = await cli(['asm', `${dir}/add.s`, '--json', '-o', `${dir}/add.bin`]);
    expect(JSON.parse(r.out)).toEqual({ slots: 4, output: `${dir}/add.bin` });
  });
  it('reports assembly errors with their line, and refuses -o - beside the document', async () => {
    const dir = tempFiles({ 'bad.s': 'mov32 r0, 0\nbogus r1\n' });
    const r = await cli(['asm', `${dir}/bad.s`, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'E_INPUT', message: expect.stringMatching(/line 2, column 1: unknown instruction 'bogus'/) });
    const u = await cli(['asm', `${dir}/bad.s`, '--json', '-o', '-']);
    expect(u.code).toBe(2);
    expect(JSON.parse(u.out).error.code).toBe('E_USAGE');
  });
});

describe('tsbpf trace --json', () => {
  const packet3 = ['trace', ex('xdp_firewall.o'), '--pcap', ex('traffic.pcap'), '--packet', '3', '--llvm'];
  it('gives the same steps and result as the text trace', async () => {
    const r = await cli([...packet3, '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    const text = (await cli(packet3)).out;
    expect(d.program).toBe('xdp_firewall');
    expect(d.instructions).toBe(Number(/after (\d+) instructions/.exec(text)![1]));
    expect(d.steps).toHaveLength(d.instructions);
    expect(d.result).toEqual({ r0: '0x1', r0Decimal: '1', verdict: 'XDP_DROP' });
    expect(d.trace_printk).toEqual(['drop port 23 from c0a80142']);
    expect(d.steps[1]).toEqual({
      pc: 1, depth: 0, text: 'r7 = *(u32 *)(r1 + 4)',
      source: { file: './xdp_firewall.c', line: 46, text: 'void *data_end = (void *)(long)ctx->data_end;' },
      changed: [{ reg: 7, before: '0x0', after: '0x10000136' }],
    });
    // Each text line "  pc: insn ; effects" has its step, in order.
    const textSteps = text.split('\n').filter((l) => /^\s*\d+: /.test(l)).map((l) => Number(/^\s*(\d+):/.exec(l)![1]));
    expect(d.steps.map((s: { pc: number }) => s.pc)).toEqual(textSteps);
  });
  it('says where --limit stopped it', async () => {
    const d = JSON.parse((await cli([...packet3, '--json', '--limit', '2'])).out);
    expect(d).toMatchObject({ instructions: 2, stopped: '--limit 2' });
    expect(d.steps).toHaveLength(2);
    expect(d.result).toBeUndefined();
  });
  it('reports a fault inside the document, with the instruction, and exits 1', async () => {
    const prog = hexOf(assemble('mov64 r1, 7\nldxdw r0, [r1]\nexit'));
    const r = await cli(['trace', prog, '--json']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.out);
    expect(d.steps).toHaveLength(1);
    expect(d.error).toMatchObject({ code: 'E_OUT_OF_BOUNDS', pc: 1 });
    expect(d.at).toEqual({ pc: 1, text: 'ldxdw r0, [r1+0x0]' });
  });
  it('stores show address, value and size', async () => {
    const prog = hexOf(assemble('stdw [r10-8], 0x2a\nmov64 r0, 0\nexit'));
    const d = JSON.parse((await cli(['trace', prog, '--json'])).out);
    expect(d.steps[0].stores).toEqual([{ address: expect.stringMatching(/^0x[0-9a-f]+$/), value: '0x2a', size: 8 }]);
  });
});
