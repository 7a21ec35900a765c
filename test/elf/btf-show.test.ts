/**
 * bpf_snprintf_btf's text without a kernel: fixture snprintf_btf.o loaded without a target BTF (its
 * type ids then are the object's own, which holds the same types), compared with what the kernel
 * printed for the same objects (test/kernel/snprintf-btf.test.ts checks against the live kernel);
 * and the kinds and ids the kernel refuses or cannot show, on hand-made BTF.
 */
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind, type BtfType } from '../../src/elf/btf.js';
import { btfPrinter, BtfShowFlag, showBtf } from '../../src/elf/btf-show.js';
import { load } from './fixtures.js';

function run(name: string): string {
  const o = load('snprintf_btf');
  o.program(name).runEvent({ args: [0n] });
  const [[, v]] = o.map('results').entries() as [[Uint8Array, Uint8Array]];
  const ret = new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, true);
  const buf = v.subarray(8);
  return `${ret} ${Buffer.from(buf.subarray(0, buf.indexOf(0))).toString('latin1')}`;
}

describe('bpf_snprintf_btf on the object\'s own BTF', () => {
  it('shows structs, arrays and strings as the kernel does', () => {
    expect(run('case_0')).toBe('106 (struct ethhdr){\n .h_dest = (unsigned char[])[\n  1,\n  2,\n  3,\n  4,\n  5,\n  6,\n ],\n .h_proto = (__be16)8,\n}\n');
    expect(run('case_1')).toBe('80 (struct ethhdr){.h_dest = (unsigned char[])[1,2,3,4,5,6,],.h_proto = (__be16)8,}');
    expect(run('case_3')).toBe('19 {[1,2,3,4,5,6,],8,}');
    expect(run('case_5')).toBe('112 (struct ethhdr){.h_dest = (unsigned char[])[1,2,3,4,5,6,],.h_source = (unsigned char[])[],.h_proto = (__be16)8,}');
    expect(run('case_27')).toBe('120 (struct tcphdr){.source = (__be16)20480,.doff = (__u16)0x5,.syn = (__u16)0x1,.ack = (__u16)0x1,.window = (__be16)65535,}');
    // The object's BTF names the type as clang does (the kernel's says `long unsigned int`).
    expect(run('case_41')).toBe('144 (struct free_area){.free_list = (struct list_head[])[0x0000000000000008,},],.nr_free = (unsigned long)3,.nr_unreported = (unsigned long[])[5,],}');
    expect(run('case_40')).toBe('79 (struct partition_meta_info){.uuid = (char[])[\'h\',\'i\',],.volname = (__u8[])[],}');
    expect(run('case_17')).toBe('40 (enum bpf_map_type)BPF_MAP_TYPE_RINGBUF\n');
    expect(run('case_14')).toBe('11 (int)-1234\n');
  });

  it('cuts the text to the buffer and still returns its whole length', () => {
    expect(run('case_44')).toBe('106 (struct e');
    expect(run('case_21')).toBe('106 ');
  });

  it('refuses bad flags, sizes and ids with the kernel\'s errors', () => {
    expect(run('case_23')).toMatch(/^-22 /);
    expect(run('bad_size')).toMatch(/^-22 /);
    expect(run('void_id')).toMatch(/^-22 /);
    expect(run('bad_id')).toMatch(/^-2 /);
    expect(run('ptr_flags')).toBe('7 (int)5\n');
  });
});

describe('showBtf on hand-made BTF', () => {
  const t = (id: number, kind: number, name: string, sizeOrType: number, extra: Partial<BtfType> = {}): BtfType => ({ id, kind, name, vlen: 0, sizeOrType, ...extra });
  const btf = new Btf([
    t(0, 0, 'void', 0),
    t(1, BtfKind.INT, 'long unsigned int', 8, { int: { encoding: 0, offset: 0, bits: 64 } }),
    t(2, BtfKind.CONST, '', 1),
    t(3, BtfKind.FUNC_PROTO, '', 0),
    t(4, BtfKind.FUNC, 'f', 3),
    t(5, BtfKind.FWD, 'opaque', 0),
    t(6, BtfKind.FLOAT, 'double', 8),
    t(7, BtfKind.TYPE_TAG, 'user', 0),
    t(8, BtfKind.DATASEC, '.data', 8, { vars: [] }),
    t(9, BtfKind.VAR, 'v', 1, { linkage: 0 }),
    t(10, BtfKind.ENUM64, '', 8, { enumerators: [{ name: 'E_ONE', value: 1n }] }),
    t(11, BtfKind.PTR, '', 3),
  ]);
  const data = new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]);

  it('names kinds it cannot show, as the kernel does', () => {
    expect(showBtf(btf, 3, data, 0)).toBe('<unsupported kind:13>');
    expect(showBtf(btf, 4, data, 0)).toBe('<unsupported kind:12>');
    expect(showBtf(btf, 5, data, 0)).toBe('<unsupported kind:7>');
    expect(showBtf(btf, 6, data, 0)).toBe('<unsupported kind:16>');
    expect(showBtf(btf, 7, data, 0)).toBe('<unsupported kind:0>');
  });

  it('shows qualified types unnamed, variables as their type, anonymous enums and function pointers', () => {
    expect(showBtf(btf, 2, data, 0)).toBe('()72623859790382856\n');
    expect(showBtf(btf, 9, data, BtfShowFlag.COMPACT)).toBe('(long unsigned int)72623859790382856');
    expect(showBtf(btf, 10, data, 0)).toBe('(enum)72623859790382856\n');
    expect(showBtf(btf, 10, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]), 0)).toBe('(enum)E_ONE\n');
    expect(showBtf(btf, 11, data, BtfShowFlag.PTR_RAW)).toBe('( *)0x0102030405060708\n');
    expect(showBtf(btf, 11, data, 0)).toMatch(/^\( \*\)0x00000000[0-9a-f]{8}\n$/);
  });

  it('gives the kernel\'s errnos for ids it cannot show', () => {
    const p = btfPrinter(btf);
    expect(p.size(0)).toBe(-22);
    expect(p.size(8)).toBe(-22);
    expect(p.size(99)).toBe(-2);
    expect(p.size(3)).toBe(0);
    expect(p.size(1)).toBe(8);
  });
});
