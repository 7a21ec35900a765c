/**
 * The skb resize helpers without the kernel: limits and refusals as the kernel gives them (measured
 * on 6.18; test/kernel/skb-resize.test.ts compares thousands of cases where the kernel is available),
 * hostile lengths and flags, pointers kept across a resize (test/fixtures/elf/skb_stale.c), and the
 * resized packet in runTc's inspect and in a session's output, on every engine.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/loader.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import { ExecutionError, MemoryAccessError } from '../../src/errors.js';
import type { Engine } from '../../src/vm/environment.js';

const root = new URL('../../', import.meta.url).pathname;
const RESIZE = readFileSync(`${root}test/fixtures/elf/skb_resize.o`);
const STALE = readFileSync(`${root}test/fixtures/elf/skb_stale.o`);

const ENGINES: [string, Engine][] = [
  ['interpreter', new Interpreter()],
  ['interpreter-js', new Interpreter({ wasmCore: false })],
  ['jit', new JitEngine()],
];

/** An Ethernet + IPv4 + TCP frame (54 bytes) and an IPv6 + TCP one (74 bytes). */
function ipv4(): Uint8Array {
  const p = new Uint8Array(54).map((_, i) => (i * 13 + 1) & 0xff);
  p.set([0x08, 0x00, 0x45], 12);
  return p;
}
function ipv6(): Uint8Array {
  const p = new Uint8Array(74).map((_, i) => (i * 5 + 3) & 0xff);
  p.set([0x86, 0xdd, 0x60], 12);
  return p;
}
function arp(): Uint8Array {
  const p = ipv4();
  p.set([0x08, 0x06], 12);
  return p;
}

const s32 = (v: number): number => v | 0;

/** Run skb_resize's program with cb = [op, arg, mode, flags low, flags high]; cb[0..4] after, and the packet. */
function resize(engine: Engine, packet: Uint8Array, cb: number[]): { ret: number; len: number; proto: number; span: number; packet: Uint8Array } {
  const obj = loadObject(RESIZE);
  let out: { ret: number; len: number; proto: number; span: number; packet: Uint8Array } | undefined;
  obj.program('resize').runTc(packet, {
    engine,
    cb: cb.map((x) => x >>> 0),
    inspect: (skb, p) => {
      const v = new DataView(skb.buffer, skb.byteOffset);
      out = { ret: v.getInt32(48, true), len: v.getUint32(52, true), proto: v.getUint32(56, true), span: v.getUint32(60, true), packet: p };
    },
  });
  return out!;
}

describe.each(ENGINES)('skb resize helpers (%s)', (_name, engine) => {
  it('bpf_skb_change_head: up to 16064 bytes in all, zeroed room in front, flags refused', () => {
    const p = ipv4();
    const r = resize(engine, p, [0, 16064 - 54]);
    expect([r.ret, r.len, r.span, r.packet.length]).toEqual([0, 16064, 16064, 16064]);
    expect(r.packet.subarray(2, 16064 - 54).every((b) => b === 0)).toBe(true);
    expect(r.packet.subarray(16064 - 54 + 2)).toEqual(p.subarray(2));
    expect(resize(engine, p, [0, 16064 - 53]).ret).toBe(-22);
    for (const len of [0xffffffff, 0x80000000, 0xffffffff - 53]) expect(resize(engine, p, [0, len]).ret).toBe(-22);
    expect(resize(engine, p, [0, 4, 0, 1]).ret).toBe(-22);
    expect(resize(engine, p, [0, 4, 0, 0, 1]).ret).toBe(-22);
  });

  it('bpf_skb_change_tail: between 14 and 16064 bytes, zeroed growth', () => {
    const p = ipv4();
    expect(resize(engine, p, [1, 13]).ret).toBe(-22);
    const cut = resize(engine, p, [1, 14]);
    expect([cut.ret, cut.len, cut.packet.length]).toEqual([0, 14, 14]);
    const grown = resize(engine, p, [1, 16064]);
    expect([grown.ret, grown.len, grown.packet.length]).toEqual([0, 16064, 16064]);
    expect(grown.packet.subarray(54).every((b) => b === 0)).toBe(true);
    for (const len of [16065, 0xffffffff, 0x80000000]) expect(resize(engine, p, [1, len]).ret).toBe(-22);
  });

  it('bpf_skb_adjust_room: MAC and NET room, limits, modes, protocols and encap flags', () => {
    const p = ipv4();
    const mac = resize(engine, p, [2, 8, 1]);
    expect([mac.ret, mac.len]).toEqual([0, 62]);
    expect(Array.from(mac.packet.subarray(14, 22))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(mac.packet.subarray(22)).toEqual(p.subarray(14));
    const net = resize(engine, p, [2, -8, 0]);
    expect([net.ret, net.len]).toEqual([0, 46]);
    expect(net.packet.subarray(34)).toEqual(p.subarray(42));
    expect(resize(engine, p, [2, -20, 1]).ret).toBe(0); // 20 bytes of IPv4 header left
    expect(resize(engine, p, [2, -21, 1]).ret).toBe(-524);
    expect(resize(engine, p, [2, 4096, 1]).ret).toBe(-14);
    expect(resize(engine, p, [2, s32(0x80000000), 1]).ret).toBe(-14);
    expect(resize(engine, p, [2, 8, 2]).ret).toBe(-524);
    expect(resize(engine, p, [2, 8, 0xffffffff]).ret).toBe(-524);
    expect(resize(engine, arp(), [2, 8, 1]).ret).toBe(-524);
    expect(resize(engine, p, [2, 8, 1, 1 << 9]).ret).toBe(-22);
    expect(resize(engine, p, [2, 8, 1, 0, 1]).ret).toBe(-22);
    // ENCAP_L3_IPV6: the outer protocol becomes IPv6; both L3 flags, or a shrink with one, are refused.
    const encap = resize(engine, p, [2, 40, 1, 4]);
    expect([encap.ret, encap.proto]).toEqual([0, 0xdd86]);
    expect(resize(engine, p, [2, 40, 1, 6]).ret).toBe(-22);
    expect(resize(engine, p, [2, -8, 1, 2]).ret).toBe(-22);
    // An inner L2 length longer than the room, or L2_ETH with one shorter than an Ethernet header.
    expect(resize(engine, p, [2, 40, 1, 18, 255 << 24]).ret).toBe(-22);
    expect(resize(engine, p, [2, 300, 1, 18, 255 << 24]).ret).toBe(0);
    expect(resize(engine, p, [2, 40, 1, 66, 1 << 24]).ret).toBe(-22);
    // DECAP_L3_IPV6 on IPv4: what is left must hold an IPv6 header.
    expect(resize(engine, p, [2, -20, 1, 256]).ret).toBe(-524);
    const decap = resize(engine, ipv6(), [2, -20, 1, 128]);
    expect([decap.ret, decap.proto, decap.len]).toEqual([0, 8, 54]);
    // After a tunnel header, change_tail refuses (op 5: adjust_room then change_tail).
    expect(resize(engine, p, [5, (10 << 16) | 20, 1, 2]).ret).toBe(-524000);
    // Room after a network header change_tail cut away (op 6: change_tail to 22, then NET room).
    expect(resize(engine, p, [6, (8 << 16) | 22, 0]).ret).toBe(-12000);
  });

  it('bpf_skb_change_proto: IPv4 to IPv6 and back, nothing else', () => {
    const v6 = resize(engine, ipv4(), [3, 0xdd86]);
    expect([v6.ret, v6.len, v6.proto]).toEqual([0, 74, 0xdd86]);
    const v4 = resize(engine, ipv6(), [3, 0x0008]);
    expect([v4.ret, v4.len, v4.proto]).toEqual([0, 54, 8]);
    expect(resize(engine, ipv4(), [3, 0x0008]).ret).toBe(-524);
    expect(resize(engine, arp(), [3, 0xdd86]).ret).toBe(-524);
    expect(resize(engine, ipv4(), [3, 0xdd86, 0, 1]).ret).toBe(-22);
  });

  // skb_stale.o keeps packet pointers across resizes on purpose (the kernel refuses it at load; the engines'
  // run-time faults are tested), so it is loaded with verify: 'warn'.
  it('a pointer kept across a shrink faults (read and write), one kept across change_head stays in the packet', () => {
    const obj = loadObject(STALE, { verify: 'warn' });
    const p = ipv4();
    const big = new Uint8Array(80).fill(7);
    expect(() => obj.program('stale_read').runTc(big, { engine })).toThrow(MemoryAccessError);
    expect(() => obj.program('stale_write').runTc(p, { engine })).toThrow(MemoryAccessError);
    // The old last byte's address now holds the byte 8 before it (the packet moved back by 8).
    expect(obj.program('stale_head').runTc(p, { engine })).toBe(BigInt(p[53 - 8]!));
    expect(obj.program('regrow').runTc(p, { engine })).toBe(0n);
  });

  it('only tc (and for change_tail / change_head sk_skb) programs may resize (a socket filter gets a clear error)', () => {
    const obj = loadObject(RESIZE);
    expect(() => obj.program('resize').runSocketFilter(ipv4(), { engine, cb: [0, 4] })).toThrow(ExecutionError);
    expect(() => obj.program('resize').runSocketFilter(ipv4(), { engine, cb: [0, 4] })).toThrow(/only tc (and sk_skb )?programs may call it/);
  });

  it('a session reports the resized packet and starts each packet afresh', () => {
    const obj = loadObject(RESIZE);
    const session = obj.program('resize').session('skb', { engine });
    const p = ipv4();
    // cb[] is zero in a session: op 0 (change_head) by 0 bytes, then the program marks byte 0/1.
    session.run(p, 0, p.length);
    expect(session.outEnd - session.outStart).toBe(54);
    const stale = loadObject(STALE, { verify: 'warn' });
    const s2 = stale.program('regrow').session('skb', { engine });
    for (let i = 0; i < 3; i++) {
      expect(s2.run(p, 0, p.length)).toBe(0n);
      expect(s2.outEnd - s2.outStart).toBe(54 + 16);
    }
  });
});
