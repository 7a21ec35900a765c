/**
 * Real clang-built objects (sources in test/fixtures/elf/*.c), run on the interpreter. Expected values
 * are worked out from the C source by hand, not recorded from tsbpf.
 */
import { describe, it, expect } from 'vitest';
import { ObjectFileError } from '../../src/errors.js';
import { HashMap } from '../../src/maps/hash.js';
import { RingBufMap } from '../../src/maps/ringbuf.js';
import { MapOfMaps, PerfEventArrayMap, ProgramArrayMap } from '../../src/maps/special.js';
import { ArrayMap } from '../../src/maps/array.js';
import { QueueMap } from '../../src/maps/queue.js';
import { XdpAction } from '../../src/context/layout.js';
import { MEM_START } from '../../src/vm/memory.js';
import { fixture, ipv4Packet, load, RBPF_PACKET, readU32, readU64, u32 } from './fixtures.js';
import { loadObject } from '../../src/elf/index.js';

describe('program listing and sections', () => {
  it('lists programs with their sections and types, several per section', () => {
    const obj = load('globals');
    expect(obj.programs).toEqual([
      { name: 'add3', section: '.text', type: 'raw' },
      { name: 'calc', section: 'tc', type: 'tc' },
      { name: 'first', section: 'xdp', type: 'xdp' },
      { name: 'second', section: 'xdp', type: 'xdp' },
    ]);
    expect(obj.license).toBe('Dual MIT/GPL');
    expect(load('legacy').programs[0]).toEqual({ name: 'count_len', section: 'socket', type: 'socket' });
    expect(load('block_port').programs[0]).toEqual({ name: 'block_port', section: '.classifier', type: 'tc' });
    expect(load('unknown_helper').programs[0]).toEqual({ name: 'who', section: 'kprobe/do_sys_open', type: 'kprobe' });
  });

  it('returns raw section bytes (the seed\'s .classifier example)', () => {
    const obj = load('block_port');
    const code = obj.section('.classifier')!;
    expect(code.length % 8).toBe(0);
    expect(code[code.length - 8]).toBe(0x95); // ends with exit
    expect(obj.section('.nope')).toBeUndefined();
  });

  it('finds a program by section name too', () => {
    expect(load('ringbuf').program('xdp').program.name).toBe('emit');
  });

  it('names unknown programs and maps in errors', () => {
    const obj = load('globals');
    expect(() => obj.program('nope')).toThrow(/no program named nope; programs: add3 \(\.text\), calc \(tc\)/);
    expect(() => obj.map('nope')).toThrow(/no map named nope; maps: \.data, \.rodata, \.bss/);
  });

  it('reports a helper tsbpf lacks at load time, with id and kernel name', () => {
    const obj = load('unknown_helper');
    expect(() => obj.program('who')).toThrow(ObjectFileError);
    expect(() => obj.program('who')).toThrow(/166 \(bpf_sys_bpf, first at kprobe\/do_sys_open:who\+\d+; it makes bpf system calls/);
    // ... and accepts it when the host supplies it (with verify: 'warn': the kernel-level analysis has no
    // prototype for a helper the host defines, so it cannot prove the call safe).
    const withHelper = load('unknown_helper', {
      verify: 'warn',
      helpers: new Map([[166, { name: 'sys_bpf', fn: () => (1234n << 32n) | 99n, unwindOnZero: false }]]),
    });
    expect(withHelper.program('who').run()).toBe(1234n);
  });
});

describe('block-a-port classifier (rbpf README example)', () => {
  it('drops TCP to port 0xc6cc and keeps everything else', () => {
    const prog = load('block_port').program('block_port');
    expect(prog.runTc(RBPF_PACKET)).toBe(0n);
    const otherPort = RBPF_PACKET.slice();
    otherPort[37] = 0xcd;
    // int -1: only the low 32 bits of r0 are defined for an int return.
    expect(prog.runTc(otherPort) & 0xffffffffn).toBe(0xffffffffn);
    expect(prog.runTc(RBPF_PACKET.subarray(0, 20)) & 0xffffffffn).toBe(0xffffffffn); // too short
  });
});

describe('XDP with hash maps and atomics', () => {
  it('counts packets and bytes per protocol and drops ICMP', () => {
    const obj = load('xdp_counter');
    const prog = obj.program('count_packets');
    expect(prog.runXdp(ipv4Packet(6, undefined, 60)).action).toBe(XdpAction.PASS);
    expect(prog.runXdp(ipv4Packet(6, undefined, 100)).action).toBe(XdpAction.PASS);
    expect(prog.runXdp(ipv4Packet(1, undefined, 64)).action).toBe(XdpAction.DROP);
    expect(prog.runXdp(new Uint8Array(10)).action).toBe(XdpAction.ABORTED);
    const arp = ipv4Packet(6);
    arp[12] = 0x08;
    arp[13] = 0x06;
    expect(prog.runXdp(arp).action).toBe(XdpAction.PASS);
    const stats = obj.map('proto_stats');
    expect(stats).toBeInstanceOf(HashMap);
    const tcp = stats.lookup(u32(6))!;
    expect([readU64(tcp, 0), readU64(tcp, 8)]).toEqual([2n, 160n]);
    const icmp = stats.lookup(u32(1))!;
    expect([readU64(icmp, 0), readU64(icmp, 8)]).toEqual([1n, 64n]);
    expect(stats.keys().map((k) => readU32(k)).sort()).toEqual([1, 6]);
    // Every packet counted in the per-CPU total, ahead of any check.
    expect(readU64(obj.map('total').lookup(u32(0))!)).toBe(5n);
  });

  it('sees host updates made between runs', () => {
    const obj = load('xdp_counter');
    const value = new Uint8Array(16);
    new DataView(value.buffer).setBigUint64(0, 1000n, true);
    obj.map('proto_stats').update(u32(17), value);
    obj.program('count_packets').runXdp(ipv4Packet(17, undefined, 50));
    expect(readU64(obj.map('proto_stats').lookup(u32(17))!)).toBe(1001n);
  });
});

describe('global data and bpf-to-bpf calls', () => {
  it('links .text subprograms and reads/writes .data, .rodata and .bss', () => {
    const obj = load('globals');
    // calc: counter 5 -> 6; last = len * 3; scale(len) = 3 len + 6; add3(6, 3, 'i') = 6 + 3 + 105 + scale(1) = 123.
    expect(obj.program('calc').runTc(new Uint8Array(10))).toBe(30n + 6n + 123n);
    expect(readU32(obj.map('.data').lookup(u32(0))!)).toBe(6);
    expect(readU64(obj.map('.bss').lookup(u32(0))!)).toBe(30n);
    // first: add3(1, 2, 3) = 6 + scale(1) = 6 + 3 + 6.
    expect(obj.program('first').runXdp(new Uint8Array(20)).r0).toBe(15n);
    // second: scale(10) + last = 30 + 6 + 30.
    expect(obj.program('second').runXdp(new Uint8Array(20)).r0).toBe(66n);
  });

  it('lets the host change .rodata before a run (libbpf-style const volatile)', () => {
    const obj = load('globals');
    const rodata = obj.map('.rodata') as ArrayMap;
    const v = rodata.lookup(u32(0))!;
    expect(readU32(v)).toBe(3);
    expect(new TextDecoder().decode(v.subarray(4, 6))).toBe('hi');
    v[0] = 7;
    rodata.update(u32(0), v);
    // first: add3(1,2,3) = 6 + scale(1) = 6 + 7 + 5.
    expect(obj.program('first').runXdp(new Uint8Array(20)).r0).toBe(18n);
  });

  it('keeps .rodata read-only to programs', () => {
    const obj = load('globals');
    const rodata = obj.memory.regions.find((r) => r.name === 'map:.rodata')!;
    expect(rodata.writable).toBe(false);
    expect(obj.memory.regions.find((r) => r.name === 'map:.data')!.writable).toBe(true);
  });

  it('records function names of the linked program', () => {
    const prog = load('globals').program('calc').program;
    expect([...prog.functionNames.values()]).toEqual(['calc', 'scale', 'add3']);
  });
});

describe('ring buffer events', () => {
  it('submits reserved records, discards short packets and outputs a copy instead', () => {
    const obj = load('ringbuf');
    const prog = obj.program('emit');
    expect(prog.runXdp(RBPF_PACKET).action).toBe(XdpAction.PASS);
    expect(prog.runXdp(new Uint8Array([9, 9])).action).toBe(XdpAction.DROP);
    const rb = obj.map('events', RingBufMap);
    expect(rb.query(0)).toBe(48n); // three 8-byte records with 8-byte headers, one discarded
    const events = rb.drain();
    expect(events.map((e) => [readU32(e), [...e.subarray(4)]])).toEqual([
      [73, [0x01, 0x23, 0x45, 0x67]],
      [2, [0xee, 0xee, 0xee, 0xee]],
    ]);
    expect(rb.drain()).toEqual([]);
  });
});

describe('LPM routing', () => {
  it('picks the verdict of the longest matching prefix', () => {
    const obj = load('lpm');
    const routes = obj.map('routes');
    const key = (len: number, a: number[]): Uint8Array => new Uint8Array([...u32(len), ...a]);
    routes.update(key(8, [10, 0, 0, 0]), u32(XdpAction.DROP));
    routes.update(key(24, [10, 1, 2, 0]), u32(XdpAction.TX));
    routes.update(key(32, [10, 1, 2, 3]), u32(XdpAction.REDIRECT));
    const prog = obj.program('route');
    expect(prog.runXdp(ipv4Packet(6, [10, 9, 9, 9])).action).toBe(XdpAction.DROP);
    expect(prog.runXdp(ipv4Packet(6, [10, 1, 2, 200])).action).toBe(XdpAction.TX);
    expect(prog.runXdp(ipv4Packet(6, [10, 1, 2, 3])).action).toBe(XdpAction.REDIRECT);
    expect(prog.runXdp(ipv4Packet(6, [11, 0, 0, 1])).action).toBe(XdpAction.PASS);
    expect(routes.delete(key(24, [10, 1, 2, 99]))).toBe(true); // bits past the prefix do not matter
    expect(prog.runXdp(ipv4Packet(6, [10, 1, 2, 200])).action).toBe(XdpAction.DROP);
  });
});

describe('tail calls through a program array', () => {
  it('dispatches on the protocol using BTF-initialised slots', () => {
    const obj = load('tailcall');
    const table = obj.map('jmp_table') as ProgramArrayMap;
    expect(table.get(6)?.name).toBe('handle_tcp');
    expect(table.get(1)?.name).toBe('handle_udp'); // 17 % 8
    const prog = obj.program('dispatch');
    expect(prog.runXdp(ipv4Packet(6)).action).toBe(XdpAction.TX);
    expect(prog.runXdp(ipv4Packet(17)).action).toBe(XdpAction.DROP);
    expect(prog.runXdp(ipv4Packet(2)).action).toBe(XdpAction.PASS); // empty slot: falls through
    const hits = (i: number): bigint => readU64(obj.map('hits').lookup(u32(i))!);
    expect([hits(0), hits(1), hits(2)]).toEqual([3n, 1n, 1n]);
  });

  it('stops a self tail call after 33 tail calls, as the kernel does', () => {
    const obj = load('tailcall');
    expect(obj.program('loop_forever').runXdp(ipv4Packet(6)).action).toBe(77);
    expect(readU64(obj.map('hits').lookup(u32(3))!)).toBe(34n);
  });

  it('accepts slots set from TypeScript by name, fd or program', () => {
    const obj = load('tailcall');
    const table = obj.map('jmp_table', ProgramArrayMap);
    table.update(u32(2), 'handle_tcp');
    expect(obj.program('dispatch').runXdp(ipv4Packet(2)).action).toBe(XdpAction.TX);
    table.update(2, obj.programs.findIndex((p) => p.name === 'handle_udp'));
    expect(obj.program('dispatch').runXdp(ipv4Packet(2)).action).toBe(XdpAction.DROP);
    expect(table.delete(u32(2))).toBe(true);
    expect(obj.program('dispatch').runXdp(ipv4Packet(2)).action).toBe(XdpAction.PASS);
    expect(() => table.update(u32(3), 'nope')).toThrow(ObjectFileError);
  });
});

describe('legacy maps section and trace_printk', () => {
  it('creates maps from struct bpf_map_def and formats printk lines', () => {
    const lines: string[] = [];
    const obj = load('legacy', { trace: (l) => lines.push(l) });
    expect(obj.map('port_hits').spec).toMatchObject({ type: 2, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(obj.map('seen').spec).toMatchObject({ type: 1, keySize: 4, valueSize: 4, maxEntries: 8 });
    const prog = obj.program('count_len');
    expect(prog.runSocketFilter(new Uint8Array(73))).toBe(73n);
    expect(prog.runSocketFilter(new Uint8Array(61))).toBe(61n);
    expect(readU64(obj.map('port_hits').lookup(u32(1))!)).toBe(2n); // 73 & 3 == 61 & 3 == 1
    expect(obj.map('seen').keys().map((k) => readU32(k)).sort()).toEqual([61, 73]);
    expect(lines).toEqual(['len 73 idx 1 x ff', 'len 61 idx 1 x ff']);
    expect(obj.traceLog).toEqual(lines);
  });
});

describe('packet and misc helpers', () => {
  it('xdp_adjust_head/tail shrink the packet', () => {
    const r = load('helpers').program('strip').runXdp(RBPF_PACKET);
    expect(r.r0).toBe(67n);
    expect([...r.packet]).toEqual([...RBPF_PACKET.subarray(4, 71)]);
  });

  it('xdp_adjust_head grows into the headroom', () => {
    const r = load('helpers').program('prepend').runXdp(RBPF_PACKET);
    expect(r.action).toBe(XdpAction.PASS);
    expect([...r.packet]).toEqual([0xab, 0xcd, ...RBPF_PACKET]);
  });

  it('csum_diff of two words after probe_read_kernel (ones\' complement sum folded to 16 bits, as the kernel returns it)', () => {
    // words in memory 00 01 00 02 | 00 03 00 04, read little-endian: 0x02000100 + 0x04000300 = 0x06000400 -> 0x0600 + 0x0400.
    // verify: 'warn': a socket filter calling bpf_csum_diff, which the kernel refuses (tc-only helper); tsbpf runs it
    expect(load('helpers', { verify: 'warn' }).program('checksum').runSocketFilter(new Uint8Array(14))).toBe(0x0a00n);
  });

  it('queue and stack maps: push, pop, peek', () => {
    const obj = load('helpers');
    // fifo pop -> 1, lifo pop -> 3, fifo peek -> 2.
    expect(obj.program('queues').runSocketFilter(new Uint8Array(14))).toBe(132n);
    expect((obj.map('fifo') as QueueMap).values().map((v) => readU32(v))).toEqual([2, 3]);
    expect((obj.map('lifo') as QueueMap).values().map((v) => readU32(v))).toEqual([2, 1]);
  });

  it('per-CPU hash, LRU hash, smp_processor_id and perf events on a chosen CPU', () => {
    const events: [string, number, number][] = [];
    const obj = load('percpu', { cpus: 4, cpu: 2, onPerfEvent: (map, cpu, data) => events.push([map, cpu, readU32(data)]) });
    const prog = obj.program('track');
    for (const len of [5, 5, 6, 7]) expect(prog.runSocketFilter(new Uint8Array(len))).toBe(2n);
    const perCpu = (obj.map('per_cpu') as HashMap).lookupPerCpu(u32(5))!;
    expect(perCpu.map((v) => readU64(v))).toEqual([0n, 0n, 2n, 0n]);
    // LRU with room for two: key 5 was evicted by 6 and 7.
    expect(obj.map('recent').keys().map((k) => readU32(k))).toEqual([6, 7]);
    expect(events).toEqual([['perf', 2, 5], ['perf', 2, 5], ['perf', 2, 6], ['perf', 2, 7]]);
    // The callback consumed them: nothing waits in the perf buffers.
    expect((obj.map('perf') as PerfEventArrayMap).drain()).toHaveLength(0);
  });
});

describe('contexts', () => {
  it('raw run maps the input memory at MEM_START and writes it back', () => {
    const obj = load('globals');
    const add3 = obj.program('add3');
    // add3(r1 = MEM_START, r2 = len, r3 = 0) + scale(1): the sum wraps in 32 bits.
    const mem = new Uint8Array(8);
    const r0 = add3.run(undefined, { mem });
    expect(r0).toBe(BigInt((MEM_START + 8 + 0 + 3 + 5) >>> 0));
  });


  it('keeps maps in the object\'s own memory', () => {
    const a = loadObject(fixture('xdp_counter'));
    const b = loadObject(fixture('xdp_counter'));
    a.program('count_packets').runXdp(ipv4Packet(6));
    expect(a.map('proto_stats').keys()).toHaveLength(1);
    expect(b.map('proto_stats').keys()).toHaveLength(0);
  });
});

describe('source lines from .BTF.ext', () => {
  it('maps linked pcs, subprograms included, to file, line and text', () => {
    const obj = load('globals');
    const calc = obj.program('calc');
    expect(calc.lines.get(0)).toEqual({ file: './globals.c', line: 22, column: 10, text: '\tcounter += 1;' });
    // scale() is linked after calc (23 slots): its first slot is `return x * factor + counter;`.
    expect(calc.program.functionNames.get(23)).toBe('scale');
    expect(calc.lines.get(23)).toMatchObject({ line: 11, text: '\treturn x * factor + counter;' });
    expect(obj.lineInfo.get('xdp')!.length).toBeGreaterThan(0);
  });
});

describe('context layouts', () => {
  it('__sk_buff fields at the kernel offsets, read and written', () => {
    const prog = load('context').program('skb_fields');
    let skb: Uint8Array = new Uint8Array(0);
    expect(prog.runTc(RBPF_PACKET, { mark: 0x42, priority: 3, ifindex: 9, cb: [0, 0, 0, 0, 0x55], inspect: (s) => (skb = s) })).toBe(0n);
    // The packed fields, from cb[1] (low half) and cb[2] (high half):
    // len 73, protocol = htons(0x0800) as the kernel stores it (0x0008), data_end - data = 73.
    expect(BigInt(readU32(skb, 52)) | (BigInt(readU32(skb, 56)) << 32n)).toBe(0x49n | (0x0008n << 8n) | (0x42n << 24n) | (3n << 32n) | (9n << 40n) | (0x55n << 48n) | (73n << 56n));
    expect([readU32(skb, 8), readU32(skb, 32), readU32(skb, 48), readU32(skb, 72)]).toEqual([0x1234, 7, 0xcafe, 0x10002]);
  });

  it('xdp_md fields', () => {
    const prog = load('context').program('xdp_fields');
    expect(prog.runXdp(ipv4Packet(6), { ingressIfindex: 4, rxQueueIndex: 2 }).r0).toBe(4021n);
  });

  it('bpf_xdp_adjust_meta gives metadata in front of the packet', () => {
    const r = load('context').program('with_meta').runXdp(RBPF_PACKET);
    expect(r.action).toBe(XdpAction.PASS);
    expect([...r.meta]).toEqual([0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55]);
    expect([...r.packet]).toEqual([...RBPF_PACKET]);
  });
});

describe('global variables by name', () => {
  it('lists, reads and writes .data/.rodata/.bss variables with their BTF types', () => {
    const obj = load('globals');
    const vars = obj.variables();
    expect(vars.map((v) => [v.name, v.section, v.offset, v.size])).toEqual(
      expect.arrayContaining([['counter', '.data', 0, 4], ['factor', '.rodata', 0, 4], ['greeting', '.rodata', 4, 3], ['last', '.bss', 0, 8]]),
    );
    const factor = vars.find((v) => v.name === 'factor')!;
    expect(obj.btf!.resolve(factor.type).name).toBe('int');
    expect(readU32(obj.readVariable('counter'))).toBe(5);
    obj.writeVariable('factor', u32(10));
    obj.writeVariable('counter', u32(0));
    // first: add3(1,2,3) = 6 + scale(1) = 6 + 10 + 0.
    expect(obj.program('first').runXdp(new Uint8Array(20)).r0).toBe(16n);
    expect(() => obj.writeVariable('factor', new Uint8Array(2))).toThrow(/4 bytes/);
    expect(() => obj.readVariable('nope')).toThrow(/no global variable named nope/);
  });
});

describe('maps of maps', () => {
  it('uses BTF-initialised inner maps and host-installed ones', () => {
    const obj = load('map_in_map');
    const prog = obj.program('pick');
    expect(prog.runSocketFilter(new Uint8Array(20))).toBe(20n); // 20 & 3 = 0: inner_a
    expect(prog.runSocketFilter(new Uint8Array(24))).toBe(44n); // inner_a again
    expect(prog.runSocketFilter(new Uint8Array(21))).toBe(21n); // inner_b
    expect(prog.runSocketFilter(new Uint8Array(22)) & 0xffffffffn).toBe(0xffffffffn); // slot 2 empty: -1
    expect(readU64(obj.map('inner_a').lookup(u32(0))!)).toBe(44n);
    const extra = obj.createMap({ name: 'extra', type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 });
    const outer = obj.map('outer', MapOfMaps);
    expect(() => obj.map('outer', RingBufMap)).toThrow(/map outer is a MapOfMaps, not a RingBufMap/);
    outer.update(u32(2), 'extra');
    expect(prog.runSocketFilter(new Uint8Array(22))).toBe(22n);
    expect(readU64(extra.lookup(u32(0))!)).toBe(22n);
    expect(readU32(outer.lookup(u32(2))!)).toBe(extra.handle);
    const wrong = obj.createMap({ name: 'wrong', type: 1, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 });
    expect(() => outer.update(u32(3), wrong)).toThrow(/does not match the inner definition/);
  });
});

describe('skb byte helpers', () => {
  it('bpf_skb_load_bytes and bpf_skb_store_bytes work on the packet, refusing past its end', () => {
    let packet: Uint8Array = new Uint8Array(0);
    // verify: 'warn': a socket filter calling bpf_skb_store_bytes, which the kernel refuses (tc-only helper); tsbpf runs it
    const r0 = load('context', { verify: 'warn' }).program('load_store').runSocketFilter(RBPF_PACKET, { inspect: (_s, p) => (packet = p) });
    expect(r0).toBe(0x0800n);
    expect([...packet.subarray(0, 2)]).toEqual([0x42, 0x23]);
  });
});
