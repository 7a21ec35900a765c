/**
 * Kernel differential test: XDP programs with bpf-to-bpf calls (calls in a loop, callees that clobber
 * r6-r9 and use their own stack frames, a chain of the kernel's 8 frames) run in the kernel and on
 * tsbpf's engines (the interpreter's WebAssembly core runs the calls itself); the return values must
 * match on every packet.
 */
import { describe, expect, it } from 'vitest';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';
import { testPackets } from './packets.js';
import { ENGINES, rawRunner, xdpCtxIn } from './differential.js';
import { exit, ins, mov64, mov64x, prog } from './insns.js';

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

/** A local call to the slot `target`, made from slot `at`. */
const call = (at: number, target: number): Uint8Array => ins(0x85, 0, 1, 0, target - at - 1);
const ldxb = (d: number, s: number, off: number): Uint8Array => ins(0x71, d, s, off, 0);
const ldxw = (d: number, s: number, off: number): Uint8Array => ins(0x61, d, s, off, 0);
const ldxdw = (d: number, s: number, off: number): Uint8Array => ins(0x79, d, s, off, 0);
const stxdw = (d: number, off: number, s: number): Uint8Array => ins(0x7b, d, s, off, 0);
const add = (d: number, k: number): Uint8Array => ins(0x07, d, 0, 0, k);
const addx = (d: number, s: number): Uint8Array => ins(0x0f, d, s, 0, 0);
const mul = (d: number, k: number): Uint8Array => ins(0x27, d, 0, 0, k);
const xorx = (d: number, s: number): Uint8Array => ins(0xaf, d, s, 0, 0);

/** Three packet bytes (protocol, ports: they differ between packets), then four calls of f in a loop; f calls g; each callee clobbers r6/r7 and its stack. */
const LOOP = prog(
  ldxw(2, 1, 0), // 0: r2 = data
  ldxw(3, 1, 4), // 1: r3 = data_end
  mov64x(4, 2), // 2
  add(4, 48), // 3
  ins(0x2d, 4, 3, 14, 0), // 4: if r4 > r3 goto 19
  ldxb(6, 2, 23), // 5: the IP protocol (in IPv4)
  ldxb(7, 2, 35), // 6: bytes of the ports
  ldxb(8, 2, 47), // 7
  mov64(9, 0), // 8
  mov64x(1, 6), // 9: loop
  mov64x(2, 9), // 10
  call(11, 21), // 11
  xorx(7, 0), // 12
  mul(7, 31), // 13
  add(9, 1), // 14
  ins(0xa5, 9, 0, -7, 4), // 15: if r9 < 4 goto 9
  mov64x(0, 7), // 16
  addx(0, 8), // 17
  exit(), // 18
  mov64(0, 1), // 19: too short
  exit(), // 20
  stxdw(10, -8, 1), // 21: f(a, i)
  mov64x(6, 1), // 22
  addx(6, 2), // 23
  mov64x(1, 6), // 24
  call(25, 30), // 25
  ldxdw(1, 10, -8), // 26
  addx(0, 1), // 27
  addx(0, 6), // 28
  exit(), // 29
  stxdw(10, -16, 1), // 30: g(x)
  mov64(7, 77), // 31
  mul(1, 3), // 32
  mov64x(0, 1), // 33
  ldxdw(2, 10, -16), // 34
  addx(0, 2), // 35
  addx(0, 7), // 36
  exit(), // 37
);

/** main calls c1, which calls c2 ... c7 (8 frames, the kernel's most): c_k(x) = 2 c_{k+1}(x + 1) + 4x, c7(x) = x ^ 5. */
function chain(): Uint8Array {
  const main = [ldxw(2, 1, 0), ldxw(3, 1, 4), mov64x(4, 2), add(4, 40), ins(0x2d, 4, 3, 3, 0), ldxb(1, 2, 37), call(6, 10), exit(), mov64(0, 9), exit()];
  const parts: Uint8Array[] = [...main];
  let at = main.length;
  for (let k = 1; k < 7; k++) {
    // r6 and the stack slot keep x across the call (r1-r5 are not kept).
    parts.push(mov64x(6, 1), stxdw(10, -8, 1), add(1, 1), call(at + 3, at + 10), mul(0, 2), ldxdw(2, 10, -8), addx(0, 2), mul(6, 3), addx(0, 6), exit());
    at += 10;
  }
  parts.push(mov64x(0, 1), ins(0xa7, 0, 0, 0, 5), exit()); // c7
  return prog(...parts);
}

describe.skipIf(typeof oracle === 'string')('kernel differential: bpf-to-bpf calls', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;
  const packets = testPackets(5).filter((_, i) => i % 2 === 0);

  it.each([
    ['calls in a loop, callees clobbering r6-r9 and their stack frames', LOOP],
    ['a chain of 8 frames', chain()],
  ])('%s agree with the kernel on every packet', (_name, insns) => {
    const requests: KernelRequest[] = [{ op: 'load', type: 'xdp', insns, logLevel: 1 }];
    for (const p of packets) requests.push({ op: 'run', prog: { ref: 0 }, data: p.bytes, ctx: xdpCtxIn(p.bytes), dataOut: 0 });
    const out = k!.exec(requests);
    const loaded = out[0]!;
    expect(loaded.kind === 'load' && loaded.accepted, loaded.kind === 'load' ? loaded.log : '').toBe(true);
    const runner = rawRunner(insns);
    packets.forEach((p, j) => {
      const res = out[1 + j]!;
      if (res.kind !== 'run') throw new Error(`kernel run failed: ${JSON.stringify(res)}`);
      if (process.env['TSBPF_KERNEL_DEBUG']) console.log(p.name, res.retval);
      for (const { name, engine } of ENGINES) {
        expect(runner.runXdp(p.bytes, { engine, ingressIfindex: 1 }).action, `${name} on ${p.name}`).toBe(res.retval);
      }
    });
  });
});
