/**
 * The netfilter kfuncs (src/helpers/netfilter.ts) on a host with no connections: fixture conntrack.c
 * asks bpf_skb_ct_lookup / bpf_xdp_ct_lookup with the tuple size, opts size and opts fields a packet
 * gives and returns -opts.error. The expected errors are the kernel's (6.18, BPF_PROG_TEST_RUN: an
 * unknown tuple finds no connection), checked live where bpf() is allowed, and tsbpf must give them on
 * both engines. bpf_xdp_flow_lookup is not in this kernel (no flowtable module): its documented result
 * without a flowtable is checked alone.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ExecutionError } from '../../src/errors.js';
import { netfilterKfuncs } from '../../src/helpers/netfilter.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';
import { ENGINES } from './differential.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/conntrack.o', import.meta.url));
const oracle = kernelOracle();
if (typeof oracle === 'string') skipNote(oracle);

interface Opts { netns?: number; l4?: number; dir?: number; zone?: number; zoneDir?: number; reserved?: number[] }

/** struct cfg: tuple_sz, opts_sz, struct bpf_ct_opts (16 bytes), then the tuple 10.99.0.1:1234 -> 10.99.0.2:80. */
function cfg(tupleSize: number, optsSize: number, o: Opts = {}): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setUint32(0, tupleSize, true);
  v.setUint32(4, optsSize, true);
  v.setInt32(8, o.netns ?? -1, true);
  b[16] = o.l4 ?? 6;
  b[17] = o.dir ?? 0;
  v.setUint16(18, o.zone ?? 0, true);
  b[20] = o.zoneDir ?? 0;
  b.set(o.reserved ?? [0, 0, 0], 21);
  b.set([10, 99, 0, 1, 10, 99, 0, 2, 0x04, 0xd2, 0, 80], 24);
  return b;
}

const ENOENT = 2;
const EINVAL = 22;
const EPROTO = 71;
const ENONET = 64;
const EAFNOSUPPORT = 97;

/** Name, packet, the kernel's -opts.error (0: nothing written). */
const CASES: [string, Uint8Array, number][] = [
  ['IPv4 TCP, 16-byte opts', cfg(12, 16), ENOENT],
  ['IPv4, 12-byte (old) opts', cfg(12, 12), ENOENT],
  ['IPv6', cfg(36, 16), ENOENT],
  ['UDP', cfg(12, 16, { l4: 17 }), ENOENT],
  ['zone and direction inputs', cfg(12, 16, { zone: 3, zoneDir: 2, dir: 1 }), ENOENT],
  ['8-byte opts', cfg(12, 8), EINVAL],
  ['13-byte opts', cfg(12, 13), EINVAL],
  ['opts too short for error', cfg(12, 7), 0],
  ['no opts', cfg(12, 0), 0],
  ['20-byte tuple', cfg(20, 16), EAFNOSUPPORT],
  ['empty tuple', cfg(0, 16), EAFNOSUPPORT],
  ['ICMP', cfg(12, 16, { l4: 1 }), EPROTO],
  ['protocol 0', cfg(12, 16, { l4: 0 }), EPROTO],
  ['netns 0', cfg(12, 16, { netns: 0 }), ENONET],
  ['netns -2', cfg(12, 16, { netns: -2 }), EINVAL],
  ['reserved byte', cfg(12, 16, { reserved: [0, 0, 1] }), EINVAL],
  ['old opts: zone bytes are reserved', cfg(12, 12, { zone: 3 }), EINVAL],
  ['old opts: new reserved bytes ignored', cfg(12, 12, { reserved: [1, 0, 0] }), ENOENT],
  ['bad opts size before bad tuple', cfg(20, 8), EINVAL],
  ['reserved before protocol', cfg(12, 16, { l4: 1, reserved: [1, 0, 0] }), EINVAL],
  ['protocol before tuple size', cfg(20, 16, { l4: 1 }), EPROTO],
  ['protocol before netns', cfg(12, 16, { l4: 1, netns: -2 }), EPROTO],
  ['netns -2 before tuple size', cfg(20, 16, { netns: -2 }), EINVAL],
  ['tuple size before another netns', cfg(20, 16, { netns: 5 }), EAFNOSUPPORT],
];

const signed = (r: bigint | number): number => Number(BigInt.asIntN(32, BigInt(r)));

describe('conntrack lookups with no connections', () => {
  for (const { name, engine } of ENGINES) {
    it(`give the kernel's errors in the kernel's order (${name})`, () => {
      const jit = name === 'jit';
      const obj = loadObject(fixture('conntrack'), { jitEngine: engine });
      for (const [what, packet, errno] of CASES) {
        expect([what, signed(obj.program('skb_lookup').runTc(packet, { jit })), signed(obj.program('xdp_lookup').runXdp(packet, { jit }).r0)]).toEqual([what, errno, errno]);
      }
    });
  }

  it.skipIf(typeof oracle === 'string')('are what the kernel gives', () => {
    const k = oracle as Exclude<typeof oracle, string>;
    for (const program of ['skb_lookup', 'xdp_lookup']) {
      const requests: KernelRequest[] = [{ op: 'obj', path: O, program }, ...CASES.map(([, data]): KernelRequest => ({ op: 'run', prog: { ref: 0 }, data }))];
      const [loaded, ...runs] = k.exec(requests);
      expect(loaded!.kind === 'obj' && loaded.accepted).toBe(true);
      expect(runs.map((r, i) => [CASES[i]![0], r.kind === 'run' ? signed(r.retval) : r])).toEqual(CASES.map(([what, , errno]) => [what, errno]));
    }
  });

  it('refuse a release of anything (no lookup returned a connection) and a call from another program type', () => {
    const memory = new VmMemory({ initialPages: 1 });
    const k = netfilterKfuncs(memory);
    const ctx = { memory, pc: 7, tailCall: () => false, host: { kind: 'xdp' } };
    expect(() => k.get('bpf_ct_release')!.fn(0x1000n, 0n, 0n, 0n, 0n, ctx)).toThrow(ExecutionError);
    expect(() => k.get('bpf_ct_release')!.fn(0x1000n, 0n, 0n, 0n, 0n, ctx)).toThrow(/bpf_ct_release: 0x1000 is not a connection/);
    expect(() => k.get('bpf_skb_ct_lookup')!.fn(0n, 0n, 0n, 0n, 0n, ctx)).toThrow(/only tc programs may call it/);
    expect(() => k.get('bpf_xdp_flow_lookup')!.fn(0n, 0n, 0n, 4n, 0n, { ...ctx, host: undefined })).toThrow(/only XDP programs/);
  });
});

describe('bpf_xdp_flow_lookup with no flowtable', () => {
  it('returns NULL with -ENOENT in opts.error when opts is the documented 4 bytes, and writes nothing otherwise', () => {
    const obj = loadObject(fixture('conntrack'));
    const packet = (optsSize: number): Uint8Array => {
      const p = new Uint8Array(4 + 64);
      new DataView(p.buffer).setUint32(0, optsSize, true);
      p[4] = 2; // family AF_INET
      return p;
    };
    for (const jit of [false, true]) {
      expect(signed(obj.program('flow_lookup').runXdp(packet(4), { jit }).r0)).toBe(ENOENT);
      expect(signed(obj.program('flow_lookup').runXdp(packet(0), { jit }).r0)).toBe(0);
    }
  });
});
