/**
 * What the kernel differential tests share: the context a BPF_PROG_TEST_RUN gets and the matching
 * tsbpf run options, tsbpf runs of raw instructions with a kernel-like context on both engines, and
 * the parts of a run the two sides are compared on.
 */
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { SkBuff, XdpMd, type SkbOptions } from '../../src/context/index.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { Interpreter } from '../../src/vm/interpreter.js';
import { JitEngine } from '../../src/jit/engine.js';
import type { Engine } from '../../src/vm/environment.js';
import { testRunPktType } from './packets.js';

/** tsbpf's engines, each compared with the kernel on its own. */
export const ENGINES: readonly { readonly name: string; readonly engine: Engine }[] = [
  { name: 'interpreter', engine: new Interpreter() },
  { name: 'interpreter-js', engine: new Interpreter({ wasmCore: false }) },
  { name: 'jit', engine: new JitEngine() },
];

/** Host-settable `__sk_buff` fields of one run (the ones BPF_PROG_TEST_RUN's ctx_in accepts). */
export interface SkbFields {
  readonly mark: number;
  readonly priority: number;
  readonly cb: readonly number[];
}

/** The 192-byte `__sk_buff` ctx_in: the fields above, ingress_ifindex/ifindex 1 (lo), wire_len = len. */
export function skbCtxIn(packet: Uint8Array, f: SkbFields): Uint8Array {
  const ctx = new Uint8Array(SkBuff.SIZE);
  const v = new DataView(ctx.buffer);
  v.setUint32(SkBuff.mark, f.mark >>> 0, true);
  v.setUint32(SkBuff.priority, f.priority >>> 0, true);
  v.setUint32(SkBuff.ingress_ifindex, 1, true);
  v.setUint32(SkBuff.ifindex, 1, true);
  f.cb.forEach((c, i) => v.setUint32(SkBuff.cb + 4 * i, c >>> 0, true));
  v.setUint32(SkBuff.wire_len, packet.length, true);
  return ctx;
}

/** The tsbpf options giving the same `__sk_buff` as {@link skbCtxIn} plus what the kernel derives. */
export function skbOptions(packet: Uint8Array, f: SkbFields): SkbOptions {
  return { mark: f.mark, priority: f.priority, cb: f.cb, ingressIfindex: 1, ifindex: 1, pktType: testRunPktType(packet) };
}

/** The 24-byte `xdp_md` ctx_in: data 0, data_end = length, ingress_ifindex 1 (lo), queue 0. */
export function xdpCtxIn(packet: Uint8Array): Uint8Array {
  const ctx = new Uint8Array(XdpMd.SIZE);
  const v = new DataView(ctx.buffer);
  v.setUint32(XdpMd.data_end, packet.length, true);
  v.setUint32(XdpMd.ingress_ifindex, 1, true);
  return ctx;
}

/** The `__sk_buff` fields BPF_PROG_TEST_RUN copies back that a program can write: mark, priority, cb[]. */
export function skbWritable(ctx: Uint8Array): { mark: number; priority: number; cb: number[] } {
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  return {
    mark: v.getUint32(SkBuff.mark, true),
    priority: v.getUint32(SkBuff.priority, true),
    cb: [0, 1, 2, 3, 4].map((i) => v.getUint32(SkBuff.cb + 4 * i, true)),
  };
}

/** What one run produced on either side. */
export interface Outcome {
  readonly retval?: number;
  readonly packet?: string;
  readonly ctx?: unknown;
  readonly error?: string;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

// Raw programs share one memory (a WebAssembly.Memory per program would dominate the tests' time).
let rawSpace: RunSpace | undefined;

/** A tsbpf runner for raw instructions (no maps, no helpers). */
export function rawRunner(insns: Uint8Array): ProgramRunner {
  rawSpace ??= new RunSpace(new VmMemory());
  return new ProgramRunner(new Program(insns), { space: rawSpace, helpers: new Map(), jitEngine: undefined });
}

/** Run `runner` the way the kernel's test run of `type` runs, on `engine`. */
export function tsbpfRun(runner: ProgramRunner, type: 'xdp' | 'skb', packet: Uint8Array, engine: Engine, f?: SkbFields): Outcome {
  try {
    if (type === 'xdp') {
      const r = runner.runXdp(packet, { engine, ingressIfindex: 1 });
      // The kernel's data_out starts at data_meta: the metadata, then the packet.
      return { retval: r.action, packet: hexOf(r.meta) + hexOf(r.packet) };
    }
    let ctx: unknown;
    let out = '';
    const fields = f ?? { mark: 0, priority: 0, cb: [0, 0, 0, 0, 0] };
    const r0 = runner.runTc(packet, {
      ...skbOptions(packet, fields),
      engine,
      inspect: (skb, p) => {
        ctx = skbWritable(skb);
        out = hexOf(p);
      },
    });
    return { retval: Number(r0 & 0xffffffffn), packet: out, ctx };
  } catch (e) {
    return { error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
  }
}

/** The kernel's run in the same shape. */
export function kernelOutcome(type: 'xdp' | 'skb', r: { retval: number; data: Uint8Array; ctx: Uint8Array }): Outcome {
  return type === 'xdp' ? { retval: r.retval, packet: hexOf(r.data) } : { retval: r.retval, packet: hexOf(r.data), ctx: skbWritable(r.ctx) };
}
