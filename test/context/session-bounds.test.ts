/**
 * A packet session resizes the packet region on every packet without rewriting the region table
 * (VmMemory.resize writes the one size through to it): an access past this packet's end must fault
 * exactly as on a fresh run, at every offset around the end, after a longer packet, in every engine,
 * for loads and stores of every size, in XDP and skb sessions.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { SkBuff, XdpMd } from '../../src/context/layout.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import type { Engine } from '../../src/vm/environment.js';
import { EbpfError } from '../../src/errors.js';

const ENGINES: [string, () => Engine][] = [
  ['interpreter', () => new Interpreter()],
  ['interpreter (JS loop)', () => new Interpreter({ wasmCore: false })],
  ['JIT', () => new JitEngine()],
];

const SUFFIX = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' } as const;

/**
 * Load (or store 1 to) `size` bytes at data + the offset in the packet's first two bytes (little-endian);
 * the program is only shape-checked, so nothing stops it going past the end but the engines' checks.
 */
function program(kind: 'xdp' | 'skb', size: 1 | 2 | 4 | 8, store: boolean): Program {
  const data = kind === 'xdp' ? XdpMd.data : SkBuff.data;
  const access = store ? `st${SUFFIX[size]} [r2+0], 1\nmov r0, 7` : `ldx${SUFFIX[size]} r0, [r2+0]`;
  return new Program(assemble(`ldxw r2, [r1+${data}]\nldxh r4, [r2+0]\nadd r2, r4\n${access}\nexit`));
}

/** A packet of `length` bytes asking for offset `offset`; its other bytes are `fill`. */
function packet(length: number, offset: number, fill: number): Uint8Array {
  const p = new Uint8Array(length).map((_, i) => (fill + i) & 0xff);
  p[0] = offset & 0xff;
  p[1] = offset >> 8;
  return p;
}

function littleEndian(p: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(p[at + i]!);
  return v;
}

describe('PacketSession: bounds exact per packet after a longer one', () => {
  for (const [name, make] of ENGINES) {
    for (const kind of ['xdp', 'skb'] as const) {
      it(`${name}, ${kind}: loads and stores of 1-8 bytes at every offset around the end`, () => {
        for (const store of [false, true]) {
          for (const size of [1, 2, 4, 8] as const) {
            const runner = new ProgramRunner(program(kind, size, store), { space: new RunSpace(new VmMemory()), helpers: new Map(), jitEngine: undefined });
            const session = runner.session(kind, { engine: make() });
            for (const length of [60, 61, 64, 99]) {
              for (let d = -2; d <= 2; d++) {
                const offset = length - size + d;
                // A longer packet first: its bytes lie past the next packet's end in the buffer.
                const long = packet(400, offset, 0xe0);
                expect(session.run(long, 0, long.length)).toBe(store ? 7n : littleEndian(long, offset, size));
                const p = packet(length, offset, 0x10);
                const what = `${store ? 'store' : 'load'} of ${size} at ${offset} in ${length} bytes`;
                let got: bigint | string;
                try {
                  got = session.run(p, 0, p.length);
                } catch (e) {
                  if (!(e instanceof EbpfError)) throw e;
                  got = e.code;
                }
                expect(got, what).toBe(d > 0 ? 'E_OUT_OF_BOUNDS' : store ? 7n : littleEndian(p, offset, size));
              }
            }
          }
        }
      });
    }
  }
});
