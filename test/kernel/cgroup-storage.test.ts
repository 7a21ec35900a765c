/**
 * Cgroup storage against the kernel (6.18, as root):
 * - BPF_MAP_CREATE of CGROUP_STORAGE and PERCPU_CGROUP_STORAGE with key and value sizes around the
 *   bounds: tsbpf creates exactly the maps the kernel creates, and refuses the others with its errno
 *   (the flags and max_entries rules are checked with every other type's in sk-storage.test.ts);
 * - test/fixtures/elf/cgroup_storage.c loads in both (libbpf creates its maps from BTF);
 * - BPF_MAP_TYPE_CGRP_STORAGE (which needs BTF, so it goes through libbpf): cgrp_storage.c's tp_btf
 *   programs load as declared (max_entries 0, BPF_F_NO_PREALLOC) and are refused with the map sized, in both
 *   (the kernel cannot test-run tp_btf programs: test/context/cgrp-storage.test.ts runs them in tsbpf);
 * - bpf_get_local_storage's verifier rules (flags must be the constant 0; a plain lookup in the map and a
 *   read past the value refused; which program types may call it) are the kernel's.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { loadObject } from '../../src/elf/index.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { checkProgram } from '../../src/verifier/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, type KernelProgType, kernelSkipReason } from './runner.js';

const reason = kernelSkipReason();

/** An Ethernet frame of `length` bytes with `etherType` and an IPv4 version nibble at byte 14. */
function ipv4Frame(length = 64, etherType = 0x0800): Uint8Array {
  const f = new Uint8Array(length);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  if (length > 14) f[14] = 0x45;
  return f;
}

const O = fileURLToPath(new URL('../fixtures/elf/cgroup_storage.o', import.meta.url));
const CGRP_O = fileURLToPath(new URL('../fixtures/elf/cgrp_storage.o', import.meta.url));

describe.skipIf(reason !== undefined)('cgroup storage: tsbpf and the kernel', () => {
  it('BPF_MAP_CREATE takes the key and value sizes tsbpf takes, refusing the rest with the same errno', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const cases: { type: number; keySize: number; valueSize: number }[] = [];
    for (const type of [MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE]) {
      for (const keySize of [0, 4, 8, 12, 16, 24]) cases.push({ type, keySize, valueSize: 8 });
      for (const valueSize of [0, 1, 4096, 32768, 32769, 65407, 65408]) cases.push({ type, keySize: 8, valueSize });
    }
    const out = k.exec(cases.map((c) => ({ op: 'map', ...c, maxEntries: 0, flags: 0 })));
    const differ: string[] = [];
    cases.forEach((c, i) => {
      const r = out[i]!;
      const kernel = r.kind === 'ok' ? 0 : r.kind === 'err' ? r.errno : -1;
      let ours = 0;
      try {
        createMap(new VmMemory(), { name: 'm', ...c, maxEntries: 0, flags: 0 }, { cpus: 2 });
      } catch (e) {
        ours = (e as { details?: { errno?: number } }).details?.errno ?? -1;
      }
      if (ours !== kernel) differ.push(`type ${c.type} key ${c.keySize} value ${c.valueSize}: kernel errno ${kernel}, tsbpf ${ours}`);
    });
    expect(differ).toEqual([]);
  });

  it('cgroup_storage.o loads in both', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const out = k.exec([{ op: 'obj', path: O, program: 'count_egress' }, { op: 'obj', path: O, program: 'count_sockops' }]);
    for (const r of out) expect(r).toMatchObject({ kind: 'obj', accepted: true });
    const obj = loadObject(fixture('cgroup_storage'));
    expect(() => obj.program('count_egress')).not.toThrow();
    expect(() => obj.program('count_sockops')).not.toThrow();
  });

  it('cgrp_storage.o loads as declared in both, and is refused with its storage sized', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const out = k.exec([
      { op: 'obj', path: CGRP_O, program: 'on_mkdir' },
      { op: 'obj', path: CGRP_O, program: 'on_rmdir' },
      { op: 'obj', path: CGRP_O, program: 'on_mkdir', sizes: { mkdirs: 1 } },
    ]);
    expect(out.map((r) => r.kind === 'obj' && r.accepted)).toEqual([true, true, false]);
    const obj = loadObject(fixture('cgrp_storage'));
    expect(() => obj.program('on_mkdir')).not.toThrow();
    expect(() => obj.program('on_rmdir')).not.toThrow();
    expect(() => loadObject(fixture('cgrp_storage'), { mapSizes: { mkdirs: 1 } }).program('on_mkdir')).toThrow(/max_entries 0/);
  });

  it('cgroup_skb runs give BPF_PROG_TEST_RUN\'s verdicts: the skb past the Ethernet header, fresh storage', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    // BPF_PROG_TEST_RUN refuses (EINVAL) a frame shorter than the IP header its EtherType announces
    // (IPv4 34 bytes, IPv6 54): an input rule of the test run, not of the program type, which tsbpf does not copy.
    const frames = [ipv4Frame(), ipv4Frame(34), ipv4Frame(1514), ipv4Frame(14, 0x0806), ipv4Frame(64, 0x0806), ipv4Frame(54, 0x86dd), new Uint8Array(60).fill(0x60)];
    for (const program of ['count_egress', 'skb_shape']) {
      const out = k.exec([{ op: 'obj', path: O, program }, ...frames.map((data) => ({ op: 'run' as const, prog: { ref: 0 }, data }))]);
      const kernel = out.slice(1).map((r) => (r.kind === 'run' ? r.retval : JSON.stringify(r)));
      for (const jit of [false, true]) {
        const obj = loadObject(fixture('cgroup_storage'));
        // each test run has storage of its own: a fresh cgroup per frame
        const ours = frames.map((f, i) => Number(obj.program(program).runCgroupSkb(f, { jit, cgroup: BigInt(100 + i) })));
        expect(ours, `${program} ${jit ? 'JIT' : 'interpreter'}`).toEqual(kernel);
      }
    }
  });

  it("bpf_get_local_storage's verifier rules are the kernel's", () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const shared: { type: number; keySize: number; valueSize: number; maxEntries: number } = { type: MapType.CGROUP_STORAGE, keySize: 8, valueSize: 8, maxEntries: 0 };
    const percpu = { type: MapType.PERCPU_CGROUP_STORAGE, keySize: 16, valueSize: 8, maxEntries: 0 };
    const hash = { type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 4 };
    const programs: [string, typeof shared][] = [
      ['r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 + 0)\nr1 += 1\n*(u64 *)(r0 + 0) = r1\nr0 = 1\nexit', shared],
      ['r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 + 0)\nr0 = 1\nexit', percpu],
      ['r1 = map_fd 1 ll\nr2 = 1\ncall 81\nr0 = 1\nexit', shared],
      ['r2 = *(u32 *)(r1 + 0)\nr1 = map_fd 1 ll\ncall 81\nr0 = 1\nexit', shared],
      ['r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 + 8)\nr0 = 1\nexit', shared],
      ['r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map_fd 1 ll\ncall 1\nr0 = 1\nexit', shared],
      ['r1 = map_fd 1 ll\nr2 = 0\ncall 81\nr0 = 1\nexit', hash],
    ];
    const types: KernelProgType[] = ['cgroup_skb', 'sock_ops', 'socket_filter', 'sched_cls'];
    const cases = types.flatMap((type) => programs.map(([src, map]) => ({ type, src, map })));
    const verdicts = k.verdicts(cases.map((c) => ({ type: c.type, insns: assemble(c.src), maps: { 1: c.map } })));
    const differ = cases.flatMap((c, i) => {
      const ours = checkProgram(assemble(c.src), { level: 'kernel', programType: c.type as 'sock_ops', maps: { 1: c.map } }).length === 0;
      return ours === verdicts[i]!.accepted ? [] : [`${c.type} map ${c.map.type}: ${c.src.replace(/\n/g, '; ')}: kernel ${verdicts[i]!.accepted ? 'accepts' : 'refuses'}`];
    });
    expect(differ).toEqual([]);
    expect(verdicts.filter((v) => v.accepted).length).toBe(4);
  });
});
