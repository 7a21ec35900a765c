/**
 * bpf_skb_vlan_push / pop, bpf_clone_redirect and bpf_skb_set/get_tunnel_opt (fixture tc_skb_ops.c)
 * in the kernel (BPF_PROG_TEST_RUN) and in tsbpf on both engines: return values, the skb's VLAN
 * fields, the packet as left, the option bytes. clone_redirect runs in a fresh network namespace
 * built like the tsbpf FIB of test/elf/fib-cases.ts (veth devices) with the loopback up.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { HOST, namespaceCommands } from '../elf/fib-cases.js';
import {
  CLONE_CASES,
  TUNNEL_OPT_CASES,
  VLAN_CASES,
  VLAN_CB_CASES,
  vlanCbResult,
  clonePacket,
  cloneResult,
  tunnelOptPacket,
  tunnelOptResult,
  vlanPacket,
  vlanResult,
} from '../elf/skb-ops-cases.js';
import { kernelOracle, namespaceSkipReason, skipNote, type KernelRequest } from './runner.js';
import { SkBuff } from '../../src/context/layout.js';
import { skbCtxIn } from './differential.js';

const O = fileURLToPath(new URL('../fixtures/elf/tc_skb_ops.o', import.meta.url));

const reason = namespaceSkipReason();
if (reason !== undefined) skipNote(reason);

/** Run `program` on each packet in the kernel; the return values and packets. */
function inKernel(program: string, packets: readonly Uint8Array[], netns?: string[][]): { retval: number; data: Uint8Array }[] {
  const k = kernelOracle();
  if (typeof k === 'string') throw new Error(k);
  const out = k.exec([{ op: 'obj', path: O, program }, ...packets.map((data): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data }))], netns === undefined ? {} : { netns });
  expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
  return out.slice(1).map((r) => {
    if (r.kind !== 'run') throw new Error(JSON.stringify(r));
    return r;
  });
}

/** The same in tsbpf, on the interpreter then the JIT. */
function inTsbpf(program: string, packets: readonly Uint8Array[], jit: boolean): { retval: number; data: Uint8Array }[] {
  const prog = loadObject(fixture('tc_skb_ops'), { fib: HOST }).program(program);
  return packets.map((p) => {
    let data: Uint8Array = new Uint8Array(0);
    const r0 = prog.runTc(p, { jit, inspect: (_s, pkt) => (data = pkt) });
    return { retval: Number(r0 & 0xffffffffn), data };
  });
}

describe.skipIf(reason !== undefined)('skb VLAN, clone and tunnel option helpers against the kernel', () => {
  it('bpf_skb_vlan_push / pop: results, VLAN fields and bytes of every case', () => {
    const packets = VLAN_CASES.map(vlanPacket);
    const show = (rs: { retval: number; data: Uint8Array }[]): string[] => rs.map((r, i) => `${VLAN_CASES[i]!.name}: ${r.retval} ${vlanResult(VLAN_CASES[i]!, r.data)}`);
    const kernel = show(inKernel('vlan', packets));
    for (const jit of [false, true]) expect(show(inTsbpf('vlan', packets, jit))).toEqual(kernel);
  });

  it('bpf_clone_redirect: results, the verdict and the original packet of every case', () => {
    const packets = CLONE_CASES.map(clonePacket);
    const show = (rs: { retval: number; data: Uint8Array }[]): string[] => rs.map((r, i) => `${CLONE_CASES[i]!.name}: ${cloneResult(r.retval, r.data)}`);
    const kernel = show(inKernel('clone', packets, [...namespaceCommands(HOST), ['ip', 'link', 'set', 'lo', 'up']]));
    for (const jit of [false, true]) expect(show(inTsbpf('clone', packets, jit))).toEqual(kernel);
  });

  it('bpf_skb_set_tunnel_opt / get_tunnel_opt: results, tunnel flags and option bytes of every case', () => {
    const packets = TUNNEL_OPT_CASES.map(tunnelOptPacket);
    const show = (rs: { retval: number; data: Uint8Array }[]): string[] => rs.map((r, i) => `${TUNNEL_OPT_CASES[i]!.name}: ${r.retval} ${tunnelOptResult(r.data)}`);
    const kernel = show(inKernel('tunnel_opt', packets));
    for (const jit of [false, true]) expect(show(inTsbpf('tunnel_opt', packets, jit))).toEqual(kernel);
  });

  it('bpf_skb_vlan_pop on frames too short for a tag, and push on the shortest frame (vlan_cb)', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const ctxOf = (c: (typeof VLAN_CB_CASES)[number]): Uint8Array => skbCtxIn(c.frame, { mark: 0, priority: 0, cb: [...c.cb, 0, 0] });
    const out = k.exec([{ op: 'obj', path: O, program: 'vlan_cb' }, ...VLAN_CB_CASES.map((c): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data: c.frame, ctx: ctxOf(c), ctxOut: SkBuff.SIZE }))]);
    const cbOf = (ctx: Uint8Array): number[] => [0, 1, 2, 3].map((i) => new DataView(ctx.buffer, ctx.byteOffset).getUint32(SkBuff.cb + 4 * i, true));
    const kernel = out.slice(1).map((r, i) => {
      if (r.kind !== 'run') return `${VLAN_CB_CASES[i]!.name}: ${JSON.stringify(r)}`;
      return `${VLAN_CB_CASES[i]!.name}: ${vlanCbResult(r.retval, cbOf(r.ctx), r.data)}`;
    });
    const prog = loadObject(fixture('tc_skb_ops')).program('vlan_cb');
    for (const jit of [false, true]) {
      const ours = VLAN_CB_CASES.map((c) => {
        let cb: number[] = [];
        let data: Uint8Array = new Uint8Array(0);
        const r0 = prog.runTc(c.frame, { jit, ingressIfindex: 1, ifindex: 1, cb: [...c.cb, 0, 0], inspect: (s, p) => ((cb = cbOf(s)), (data = p)) });
        return `${c.name}: ${vlanCbResult(r0 & 0xffffffffn, cb, data)}`;
      });
      expect(ours).toEqual(kernel);
    }
  });

  it('bpf_clone_redirect 100 times in one run (clone_loop)', () => {
    const frame = clonePacket(CLONE_CASES[0]!);
    const ctx = (cb: number[]): Uint8Array => skbCtxIn(frame, { mark: 0, priority: 0, cb: [...cb, 0, 0] });
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const cbs = [[100, 10, 0], [100, 1, 1], [100, 999, 0]];
    const out = k.exec([{ op: 'obj', path: O, program: 'clone_loop' }, ...cbs.map((cb): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data: frame, ctx: ctx(cb) }))], { netns: [...namespaceCommands(HOST), ['ip', 'link', 'set', 'lo', 'up']] });
    const kernel = out.slice(1).map((r) => (r.kind === 'run' ? r.retval : JSON.stringify(r)));
    const prog = loadObject(fixture('tc_skb_ops'), { fib: HOST }).program('clone_loop');
    for (const jit of [false, true]) expect(cbs.map((cb) => Number(prog.runTc(frame, { jit, cb: [...cb, 0, 0] })))).toEqual(kernel);
  });
});
