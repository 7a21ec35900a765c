/**
 * Kernel differential test (b): generated XDP programs (fixed seed, bounded count) that read packet
 * bytes after a bounds check and compute on them — straight-line and with forward branches — run in
 * the kernel and in tsbpf's engines; the return values must match. The generator covers 64- and
 * 32-bit ALU (signed division and modulo, division by zero, shifts by register amounts beyond the
 * width, sign-extending moves, byte swaps), sign-extending and plain packet loads, 64- and 32-bit
 * conditional jumps. TSBPF_KERNEL_FUZZ=<count> runs more programs (default 150; the timeout grows with the count).
 */
import { describe, expect, it } from 'vitest';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';
import { rng, testPackets } from './packets.js';
import { ENGINES, rawRunner, xdpCtxIn } from './differential.js';
import { exit, ins, prog } from './insns.js';

const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

const WINDOW = 48; // bytes a program may read after its bounds check
const SCALARS = [0, 5, 6, 7, 8, 9];

/** A random program: load bytes, then `steps` operations with forward branches, then fold into r0. */
function generate(r: () => number, steps: number): Uint8Array {
  const pick = <T,>(xs: readonly T[]): T => xs[r() % xs.length]!;
  const reg = (): number => pick(SCALARS);
  const imm = (): number => pick([0, 1, -1, 2, 7, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xff, r() | 0, r() & 0xffff]);
  const load = (dst: number): Uint8Array => {
    const sign = r() % 4 === 0;
    const size = pick([1, 2, 4, 8]);
    const off = r() % (WINDOW - size + 1);
    const sz = size === 1 ? 0x10 : size === 2 ? 0x08 : size === 4 ? 0x00 : 0x18;
    return ins((sign && size !== 8 ? 0x80 : 0x60) | sz | 0x01, dst, 2, off, 0);
  };
  const body: Uint8Array[] = [];
  for (const d of SCALARS) body.push(load(d));
  const alu = (): Uint8Array => {
    const cls = r() % 2 === 0 ? 0x07 : 0x04; // ALU64 / ALU
    const op = pick([0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0]);
    const d = reg();
    if (op === 0x80) return ins(cls | 0x80, d, 0, 0, 0); // neg
    if (op === 0xd0) return ins(0xd4 | (r() % 2 === 0 ? 0x08 : 0), d, 0, 0, pick([16, 32, 64])); // le / be
    const useReg = r() % 2 === 0;
    // Signed division / modulo (offset 1) and sign-extending moves (offset 8, 16, 32).
    let off = 0;
    if ((op === 0x30 || op === 0x90) && r() % 2 === 0) off = 1;
    if (op === 0xb0 && useReg && r() % 3 === 0) off = cls === 0x07 ? pick([8, 16, 32]) : pick([8, 16]);
    if (!useReg && (op === 0x60 || op === 0x70 || op === 0xc0)) {
      // Immediate shifts must be in range (the verifier checks them); register shifts need not be.
      return ins(cls | op, d, 0, 0, r() % (cls === 0x07 ? 64 : 32));
    }
    // The verifier refuses a division or modulo by the constant 0 (by a register holding 0 is defined).
    const k = op === 0x30 || op === 0x90 ? imm() || 3 : imm();
    return useReg ? ins(cls | op | 0x08, d, reg(), off, 0) : ins(cls | op, d, 0, off, k);
  };
  for (let i = 0; i < steps; i++) {
    const kind = r() % 10;
    if (kind < 6) body.push(alu());
    else if (kind < 7) body.push(load(reg()));
    else {
      // A forward branch over the next 1-3 operations (generated now, so the offset is known).
      const skipped: Uint8Array[] = [];
      const n = 1 + (r() % 3);
      for (let j = 0; j < n; j++) skipped.push(alu());
      const cls = r() % 2 === 0 ? 0x05 : 0x06; // JMP / JMP32
      const op = pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
      body.push(r() % 2 === 0 ? ins(cls | op | 0x08, reg(), reg(), n, 0) : ins(cls | op, reg(), 0, n, imm()));
      body.push(...skipped);
    }
  }
  // Fold every scalar register into r0 and return its two halves mixed.
  for (const s of SCALARS.slice(1)) body.push(ins(0xaf, 0, s, 0, 0), ins(0x07 | 0x60, 0, 0, 0, 1 + (s % 5)));
  body.push(ins(0xbf, 5, 0, 0, 0), ins(0x77, 5, 0, 0, 32), ins(0xaf, 0, 5, 0, 0));
  const head = [
    ins(0x61, 2, 1, 0, 0), // r2 = data
    ins(0x61, 3, 1, 4, 0), // r3 = data_end
    ins(0xbf, 4, 2, 0, 0),
    ins(0x07, 4, 0, 0, WINDOW),
  ];
  const tooShort = [ins(0xb7, 0, 0, 0, 0x5eed), exit()];
  // if r4 > r3 goto tooShort
  return prog(...head, ins(0x2d, 4, 3, body.length + 1, 0), ...body, exit(), ...tooShort);
}

describe.skipIf(typeof oracle === 'string')('kernel differential: generated XDP programs', () => {
  const k = typeof oracle === 'string' ? undefined : oracle;
  const count = Number(process.env['TSBPF_KERNEL_FUZZ'] ?? 150);
  const packets = testPackets(9).filter((p) => /\/host$|random-(63|64|65|127|255)$/.test(p.name)).filter((_, i) => i % 3 === 0);

  it(`${count} programs on ${packets.length} packets agree with the kernel`, () => {
    const r = rng(2026);
    const programs = Array.from({ length: count }, (_, i) => generate(r, 10 + (i % 40)));
    const requests: KernelRequest[] = [];
    const at: number[] = [];
    for (const insns of programs) {
      at.push(requests.length);
      const load = requests.length;
      requests.push({ op: 'load', type: 'xdp', insns, logLevel: process.env['TSBPF_KERNEL_DEBUG'] ? 1 : 0 });
      for (const p of packets) requests.push({ op: 'run', prog: { ref: load }, data: p.bytes, ctx: xdpCtxIn(p.bytes), dataOut: 0 });
      requests.push({ op: 'close', fd: { ref: load } });
    }
    const out = k!.exec(requests);
    const mismatches: string[] = [];
    let accepted = 0;
    programs.forEach((insns, i) => {
      const loaded = out[at[i]!]!;
      if (loaded.kind !== 'load' || !loaded.accepted) {
        if (process.env['TSBPF_KERNEL_DEBUG']) console.log(`refused ${i}: ${loaded.kind === 'load' ? loaded.log.trim().split('\n').slice(-3).join(' | ') : ''}`);
        return;
      }
      accepted++;
      const runner = rawRunner(insns);
      packets.forEach((p, j) => {
        const res = out[at[i]! + 1 + j]!;
        if (res.kind !== 'run') throw new Error(`kernel run of program ${i} failed: ${JSON.stringify(res)}`);
        for (const { name, engine } of ENGINES) {
          let got: number | string;
          try {
            got = runner.runXdp(p.bytes, { engine, ingressIfindex: 1 }).action;
          } catch (e) {
            got = String(e);
          }
          if (got !== res.retval) mismatches.push(`${name}: program ${i} (${Buffer.from(insns).toString('hex')}) on ${p.name}: tsbpf ${got}, kernel ${res.retval}`);
        }
      });
    });
    expect(mismatches.slice(0, 10), `${mismatches.length} differences`).toEqual([]);
    // The generator writes programs the verifier accepts; a drop here means it or the kernel changed.
    expect(accepted).toBeGreaterThan(count * 0.9);
  }, Math.max(60_000, count * 200));
});
