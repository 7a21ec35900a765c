/**
 * The skb information helpers of test/fixtures/elf/skb_info.c in the kernel (BPF_PROG_TEST_RUN) and in
 * tsbpf on both engines: bpf_csum_level sequences, bpf_check_mtu from tc and XDP (in a fresh network
 * namespace whose loopback and two veth devices have the MTUs of MTU_FIB), the socket / cgroup / route
 * values of a test run's skb, bpf_csum_update, bpf_skb_ecn_set_ce (results and packets),
 * bpf_skb_load_bytes_relative from tc and socket filters, bpf_skb_set_tstamp and
 * bpf_map_lookup_percpu_elem (runner pinned to CPU 0). Cookies the kernel makes up are compared as
 * "non-zero" (and the skb's netns cookie as equal to the initial namespace's).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { SkBuff } from '../../src/context/layout.js';
import { fixture } from '../elf/fixtures.js';
import { namespaceCommands } from '../elf/fib-cases.js';
import {
  CSUM_LEVEL_CASES,
  ECN_CASES,
  INFO_CASES,
  INFO_OPS,
  LOAD_REL_CASES,
  MTU_ARGS,
  MTU_CASES,
  MTU_FIB,
  MTU_GSO_CASES,
  MTU_SIZES,
  PERCPU_CASES,
  TSTAMP_CASES,
  infoFrame,
  showRun,
  xdpMtuFrame,
  xdpMtuResult,
  type InfoCase,
} from '../elf/skb-info-cases.js';
import { kernelOracle, namespaceSkipReason, skipNote, type KernelRequest } from './runner.js';
import { skbCtxIn, xdpCtxIn } from './differential.js';

const O = fileURLToPath(new URL('../fixtures/elf/skb_info.o', import.meta.url));

const reason = namespaceSkipReason();
if (reason !== undefined) skipNote(reason);

/** The namespace MTU_FIB describes: the loopback at 1500, veth devices 2 and 3. */
const MTU_NETNS = [['ip', 'link', 'set', 'lo', 'mtu', '1500'], ...namespaceCommands({ interfaces: MTU_FIB.interfaces!.filter((i) => i.ifindex !== 1) })];

/** A case, with the GSO fields of its skb. */
type GsoCase = InfoCase & { readonly gsoSize?: number; readonly gsoSegs?: number };

const cbOf = (ctx: Uint8Array): number[] => [0, 1, 2, 3, 4].map((i) => new DataView(ctx.buffer, ctx.byteOffset).getUint32(SkBuff.cb + 4 * i, true));

/** Each case run by `program` in the kernel, shown. */
function inKernel(program: string, cases: readonly GsoCase[], options: { netns?: string[][]; packet?: boolean; pin?: boolean } = {}): string[] {
  const k = kernelOracle();
  if (typeof k === 'string') throw new Error(k);
  const pin: KernelRequest[] = options.pin === true ? [{ op: 'cpu', cpu: 0 }] : [];
  const ctxOf = (c: GsoCase): Uint8Array => {
    const ctx = skbCtxIn(c.frame, { mark: 0, priority: 0, cb: c.cb });
    const v = new DataView(ctx.buffer);
    if (c.gsoSize !== undefined) v.setUint32(SkBuff.gso_size, c.gsoSize, true);
    if (c.gsoSegs !== undefined) v.setUint32(SkBuff.gso_segs, c.gsoSegs, true);
    return ctx;
  };
  const runs = cases.map((c): KernelRequest => ({ op: 'run', prog: { ref: pin.length }, data: c.frame, ctx: ctxOf(c), ctxOut: SkBuff.SIZE }));
  const out = k.exec([...pin, { op: 'obj', path: O, program }, ...runs], options.netns === undefined ? {} : { netns: options.netns });
  expect(out[pin.length]).toMatchObject({ kind: 'obj', accepted: true });
  return out.slice(pin.length + 1).map((r, i) => (r.kind === 'run' ? showRun(cases[i]!, r.retval, cbOf(r.ctx), options.packet === true ? r.data : undefined) : `${cases[i]!.name}: ${JSON.stringify(r)}`));
}

/** The same in tsbpf. */
function inTsbpf(program: string, cases: readonly GsoCase[], jit: boolean, options: { packet?: boolean; socket?: boolean; cpus?: number } = {}): string[] {
  const obj = loadObject(fixture('skb_info'), { fib: MTU_FIB, ...(options.cpus === undefined ? {} : { cpus: options.cpus, cpu: 0 }) });
  const prog = obj.program(program);
  return cases.map((c) => {
    let cb: number[] = [];
    let packet: Uint8Array = new Uint8Array(0);
    const run = options.socket === true ? prog.runSocketFilter.bind(prog) : prog.runTc.bind(prog);
    const gso = { ...(c.gsoSize === undefined ? {} : { gsoSize: c.gsoSize }), ...(c.gsoSegs === undefined ? {} : { gsoSegs: c.gsoSegs }) };
    const r0 = run(c.frame, { jit, cb: c.cb, ingressIfindex: 1, ifindex: 1, ...gso, inspect: (s, p) => ((cb = cbOf(s)), (packet = p)) });
    return showRun(c, r0, cb, options.packet === true ? packet : undefined);
  });
}

describe.skipIf(reason !== undefined)('skb information helpers against the kernel', () => {
  it('bpf_csum_level: every level sequence from CHECKSUM_NONE', () => {
    const kernel = inKernel('csum_level', CSUM_LEVEL_CASES);
    for (const jit of [false, true]) expect(inTsbpf('csum_level', CSUM_LEVEL_CASES, jit)).toEqual(kernel);
  });

  it('bpf_check_mtu from tc: sizes around each MTU, every argument list', () => {
    const kernel = inKernel('check_mtu', MTU_CASES, { netns: MTU_NETNS });
    for (const jit of [false, true]) expect(inTsbpf('check_mtu', MTU_CASES, jit)).toEqual(kernel);
  });

  it('bpf_check_mtu from tc on GSO skbs', () => {
    const kernel = inKernel('check_mtu', MTU_GSO_CASES, { netns: MTU_NETNS });
    for (const jit of [false, true]) expect(inTsbpf('check_mtu', MTU_GSO_CASES, jit)).toEqual(kernel);
  });

  it('bpf_check_mtu from XDP', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const frames = MTU_SIZES.flatMap((size) => MTU_ARGS.map((a) => xdpMtuFrame(size, a)));
    const out = k.exec([{ op: 'obj', path: O, program: 'xdp_check_mtu' }, ...frames.map((data): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data, ctx: xdpCtxIn(data) }))], { netns: MTU_NETNS });
    const kernel = out.slice(1).map((r) => (r.kind === 'run' ? xdpMtuResult(r.retval, r.data) : JSON.stringify(r)));
    const prog = loadObject(fixture('skb_info'), { fib: MTU_FIB }).program('xdp_check_mtu');
    for (const jit of [false, true]) {
      expect(frames.map((f) => {
        const r = prog.runXdp(f, { jit });
        return xdpMtuResult(r.action, r.packet);
      })).toEqual(kernel);
    }
  });

  it('the socket, cgroup, classid and route values of a test run skb; bpf_csum_update', () => {
    const kernel = inKernel('info', INFO_CASES);
    for (const jit of [false, true]) expect(inTsbpf('info', INFO_CASES, jit)).toEqual(kernel);
  });

  it('the socket and netns cookies are non-zero; the skb is in the initial namespace', () => {
    const ops = [INFO_OPS.socketCookie, INFO_OPS.netnsCookie, INFO_OPS.netnsCookieNull];
    const cases = ops.map((op) => ({ name: `op ${op}`, frame: infoFrame(64), cb: [op, 0, 0, 0, 0] }));
    const shape = (rows: string[]): string[] => {
      const values = rows.map((r) => r.replace(/^.*\[/, '').split(',').slice(0, 2).join(','));
      return [values[0] === '0,0' ? 'no socket cookie' : 'socket cookie', values[1] === '0,0' ? 'no netns cookie' : 'netns cookie', values[1] === values[2] ? 'same netns' : 'other netns'];
    };
    for (const [program, socket] of [['info', false], ['sock_info', true]] as const) {
      const kernel = shape(inKernel(program, cases));
      expect(kernel).toEqual(['socket cookie', 'netns cookie', 'same netns']);
      for (const jit of [false, true]) expect(shape(inTsbpf(program, cases, jit, { socket }))).toEqual(kernel);
    }
  });

  it('bpf_skb_ecn_set_ce: results and packets', () => {
    const kernel = inKernel('ecn', ECN_CASES, { packet: true });
    for (const jit of [false, true]) expect(inTsbpf('ecn', ECN_CASES, jit, { packet: true })).toEqual(kernel);
  });

  it('bpf_skb_load_bytes_relative from tc and from a socket filter', () => {
    for (const [program, socket] of [['load_rel', false], ['sock_load_rel', true]] as const) {
      const kernel = inKernel(program, LOAD_REL_CASES);
      for (const jit of [false, true]) expect(inTsbpf(program, LOAD_REL_CASES, jit, { socket })).toEqual(kernel);
    }
  });

  it('bpf_skb_set_tstamp: results, skb->tstamp and tstamp_type', () => {
    const kernel = inKernel('set_tstamp', TSTAMP_CASES);
    for (const jit of [false, true]) expect(inTsbpf('set_tstamp', TSTAMP_CASES, jit)).toEqual(kernel);
  });

  it('bpf_map_lookup_percpu_elem on per-CPU arrays and hashes, run after run', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const kernel = inKernel('percpu', PERCPU_CASES, { pin: true });
    for (const jit of [false, true]) expect(inTsbpf('percpu', PERCPU_CASES, jit, { cpus: k.cpus })).toEqual(kernel);
  });
});
