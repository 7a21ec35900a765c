/**
 * Loader features real objects need: programs refused one by one (not the whole object), every
 * missing helper named at once, map sizes set before load, program types from section-name
 * conventions or set by the caller, legacy maps of maps, and ELF machine 0.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError, ErrorCode, MapError, ObjectFileError } from '../../src/errors.js';
import { loadObject, programTypeOf } from '../../src/elf/index.js';
import { btfMapDefs } from '../../src/elf/btf.js';
import { MapOfMaps } from '../../src/maps/special.js';
import { HashMap } from '../../src/maps/hash.js';
import { ArrayMap } from '../../src/maps/array.js';
import { XdpAction } from '../../src/context/layout.js';
import { fixture, ipv4Packet, load, u32 } from './fixtures.js';

function thrown(f: () => unknown): EbpfError {
  try {
    f();
  } catch (e) {
    if (e instanceof EbpfError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('refusing per program', () => {
  it('loads the object when one map cannot be created, and refuses only the programs that use it', () => {
    const obj = load('per_program');
    expect([...obj.unavailableMaps.keys()].sort()).toEqual(['arena', 'sized_later', 'socks', 'two_values']);
    // The program that needs neither runs.
    expect(obj.program('count').runXdp(ipv4Packet(6)).action).toBe(XdpAction.PASS);
    expect(obj.map('counter', ArrayMap).lookup(u32(0))).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    const e = thrown(() => obj.program('uses_socks'));
    expect(e).toBeInstanceOf(ObjectFileError);
    expect(e.message).toMatch(/uses map socks, which tsbpf could not create: .*BPF_MAP_TYPE_REUSEPORT_SOCKARRAY is not supported/);
    expect(() => obj.program('uses_sized')).toThrow(/map sized_later.*max_entries must be at least 1/);
    expect(() => obj.map('socks')).toThrow(MapError);
    expect(() => obj.map('socks')).toThrow(/map socks could not be created: .*not supported/);
  });

  it('reads a 64-bit __ulong field (an enum-typed member) and refuses an unsupported or malformed map alone', () => {
    const obj = load('per_program');
    expect(btfMapDefs(obj.btf!).find((d) => d.name === 'arena')?.numbers.get('map_extra')).toBe(0x12345678);
    // cilium/ebpf's arena object, built by a newer clang: an ENUM64 member. The object loads, without the map.
    const arena = loadObject(new Uint8Array(readFileSync(fileURLToPath(new URL('../corpus/cilium-ebpf/testdata/arena-el.elf', import.meta.url)))));
    expect(btfMapDefs(arena.btf!)[0]!.numbers.get('map_extra')).toBe(2 ** 44);
    expect([...arena.unavailableMaps.keys()]).toEqual(['arena']);
    expect(obj.unavailableMaps.get('arena')?.message).toMatch(/BPF_MAP_TYPE_ARENA is not supported/);
    expect(obj.unavailableMaps.get('two_values')?.message).toMatch(/field 'map_extra' is an enum without exactly one value/);
  });

  it('names every helper a program lacks, not only the first', () => {
    const e = thrown(() => load('per_program').program('two_missing'));
    expect(e.message).toMatch(/program two_missing calls 3 helpers tsbpf does not implement: 166 \(bpf_sys_bpf, first at kprobe\/do_sys_open:two_missing\+\d+; it makes bpf system calls .*\), 168 \(bpf_sys_close, .*\), 179 \(bpf_kallsyms_lookup_name, .*\); pass them in options.helpers/);
    expect(e.details.helpers).toEqual([166, 168, 179]);
  });
});

describe('map sizes set before load', () => {
  it('sizes a map declared with 0 entries, which makes its programs loadable', () => {
    const obj = load('per_program', { mapSizes: { sized_later: 3 } });
    const prog = obj.program('uses_sized');
    for (const ifindex of [1, 2, 3, 4]) prog.runXdp(ipv4Packet(6), { ingressIfindex: ifindex });
    // The fourth key does not fit in 3 entries.
    expect(obj.map('sized_later', HashMap).keys().length).toBe(3);
    expect(obj.map('sized_later').spec.maxEntries).toBe(3);
  });

  it('shrinks a declared map', () => {
    expect(load('per_program', { mapSizes: { counter: 5 } }).map('counter').spec.maxEntries).toBe(5);
  });

  it('refuses sizes that are not 1 to 2^32 - 1 and names of maps that do not exist', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN, '4' as unknown as number]) {
      expect(() => load('per_program', { mapSizes: { counter: bad } })).toThrow(ArgumentError);
    }
    expect(() => load('per_program', { mapSizes: { nope: 1 } })).toThrow(/no map named nope; maps: counter, socks, sized_later/);
    expect(() => load('per_program', { mapSizes: 7 as unknown as Record<string, number> })).toThrow(ArgumentError);
  });
});

describe('map value sizes set before load', () => {
  const stackTrace = (): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/elf/stack_trace.o', import.meta.url))));

  it('sets a stack trace map\'s value size (its frame count), as bcc\'s tools do before load', () => {
    const obj = loadObject(stackTrace(), { mapValueSizes: { stacks: 127 * 8 } });
    expect(obj.map('stacks').spec.valueSize).toBe(127 * 8);
    expect(obj.map('out').spec.valueSize).toBe(64);
  });

  it('a size the map type refuses makes the map unavailable, and refuses only the programs that use it, naming the rule', () => {
    const obj = loadObject(stackTrace(), { mapValueSizes: { stacks: 12 } });
    expect(obj.unavailableMaps.get('stacks')?.message).toMatch(/values must be 1 to \d+ frames of 8 bytes, not 12 bytes/);
    expect(() => obj.program(obj.programs[0]!.name)).toThrow(/uses map stacks, which tsbpf could not create/);
  });

  it('refuses sizes that are not 1 to 2^32 - 1 and names of maps that do not exist', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN, '4' as unknown as number]) {
      expect(() => load('per_program', { mapValueSizes: { counter: bad } })).toThrow(/options\.mapValueSizes\["counter"\]/);
    }
    expect(() => load('per_program', { mapValueSizes: { nope: 8 } })).toThrow(/options\.mapValueSizes: no map named nope/);
  });
});

describe('the per-map memory limit (maxMapBytes)', () => {
  it('refuses a map over the default 128 MiB, naming the option, and only the programs using it', () => {
    const obj = load('per_program', { mapSizes: { counter: 2 ** 24 } });
    expect(() => obj.program('count')).toThrow(/map counter: its \d+ bytes of values are more than the 134217728-byte limit per map; raise the limit with maxMapBytes \(tsbpf's --max-map-bytes, at most 1073741824\)/);
    expect(() => obj.map('counter')).toThrow(MapError);
  });

  it('lets the user raise it, and lower it', () => {
    const big = load('per_program', { mapSizes: { counter: 2 ** 24 }, maxMapBytes: 2 ** 30 });
    expect(big.program('count').runXdp(ipv4Packet(6)).action).toBe(XdpAction.PASS);
    expect(big.map('counter').spec.maxEntries).toBe(2 ** 24);
    expect(() => load('per_program', { maxMapBytes: 8 }).program('count')).toThrow(/more than the 8-byte limit per map/);
  });

  it('refuses limits outside 1 to 1 GiB, and maps beyond 1 GiB whatever the limit', () => {
    for (const bad of [0, -1, 1.5, 2 ** 30 + 1, Number.NaN, '4' as unknown as number]) {
      expect(() => load('per_program', { maxMapBytes: bad })).toThrow(ArgumentError);
    }
    const huge = load('per_program', { mapSizes: { counter: 2 ** 32 - 1 }, maxMapBytes: 2 ** 30 });
    expect(() => huge.program('count')).toThrow(/more than the 1073741824-byte limit per map/);
  });
});

describe('program types', () => {
  it('follows libbpf, iproute2, Cilium and the old samples loader, and inherits types for tail-call slots', () => {
    const types = Object.fromEntries(load('sections').programs.map((p) => [p.section, p.type]));
    expect(types).toEqual({
      'xdp.frags': 'xdp', 'xdp/devmap': 'xdp', xdp1: 'xdp', socket2: 'socket', 'tc/ingress': 'tc', 'tcx/egress': 'tc',
      classifier: 'tc', action: 'tc', 'from-netdev': 'tc',
      // The named programs do not agree (xdp, socket, tc), so the slot says nothing.
      '2/7': 'raw', filter: 'raw',
    });
    expect(programTypeOf('kprobe/sys_open')).toBe('kprobe');
    expect(programTypeOf('uretprobe//bin/bash:readline')).toBe('kprobe');
    expect(programTypeOf('ksyscall/openat')).toBe('kprobe');
    expect(programTypeOf('kprobe.multi/tcp_*')).toBe('kprobe');
    expect(programTypeOf('tracepoint/syscalls/sys_enter_openat')).toBe('tracepoint');
    expect(programTypeOf('tp/sched/sched_switch')).toBe('tracepoint');
    expect(programTypeOf('raw_tracepoint/sys_enter')).toBe('raw_tracepoint');
    expect(programTypeOf('raw_tp.w/bpf_testmod_test_writable_bare')).toBe('raw_tracepoint');
    expect(programTypeOf('perf_event')).toBe('perf_event');
    expect(programTypeOf('fentry/tcp_connect')).toBe('tracing');
    expect(programTypeOf('fexit.s/do_unlinkat')).toBe('tracing');
    expect(programTypeOf('tp_btf/sched_switch')).toBe('tracing');
    // LSM programs run on the hook's u64 arguments, as BTF programs do.
    expect(programTypeOf('lsm/file_open')).toBe('tracing');
    expect(programTypeOf('lsm.s/bprm_committed_creds')).toBe('tracing');
    expect(programTypeOf('lsm_cgroup/socket_bind')).toBe('tracing');
    expect(programTypeOf('lsmx/file_open')).toBe('raw');
    expect(programTypeOf('kprobes/x')).toBe('raw');
    expect(programTypeOf('sockops')).toBe('sockops');
    expect(programTypeOf('sockopsx')).toBe('raw');
    expect(programTypeOf('cgroup_skb/egress')).toBe('cgroup_skb');
    expect(programTypeOf('cgroup/skb')).toBe('cgroup_skb');
    expect(programTypeOf('cgroup_skbx')).toBe('raw');
    expect(programTypeOf('flow_dissector')).toBe('flow_dissector');
    expect(programTypeOf('flow_dissectorx')).toBe('raw');
    expect(programTypeOf('to-container')).toBe('tc');
  });

  it('gives a tail-call slot the type all named programs share', () => {
    const obj = load('sections', { programTypes: { '*': 'tc', xdp_frags: 'tc', xdp_devmap: 'tc', xdp_numbered: 'tc', socket_numbered: 'tc' } });
    expect(obj.programs.every((p) => p.type === 'tc')).toBe(true);
  });

  it('takes an override by program name, section name or * and validates it', () => {
    const obj = load('sections', { programTypes: { filter: 'socket', tail_slot: 'xdp', '*': 'raw' } });
    const types = Object.fromEntries(obj.programs.map((p) => [p.name, p.type]));
    expect(types.says_nothing).toBe('socket');
    expect(types.tail_slot).toBe('xdp');
    expect(types.cls).toBe('raw');
    expect(() => load('sections', { programTypes: { filter: 'netfilter' as 'raw' } })).toThrow(/"netfilter" is not one of xdp, socket, tc, cgroup_skb, flow_dissector, kprobe, tracepoint, raw_tracepoint, perf_event, tracing, iter, sockops, sk_msg, sk_skb, sk_lookup, syscall, raw/);
    expect(() => load('sections', { programTypes: { nope: 'tc' } })).toThrow(/no program or section named nope/);
    expect(() => load('sections', { programTypes: null as unknown as Record<string, 'tc'> })).toThrow(ArgumentError);
  });
});

describe('legacy maps of maps', () => {
  it('reads iproute2 struct bpf_elf_map: the outer map takes the inner map with the id its inner_id names', () => {
    const obj = load('legacy_map_in_map');
    const outer = obj.map('elf_outer', MapOfMaps);
    const prog = obj.program('lookup_elf');
    expect(prog.runTc(ipv4Packet(6))).toBe(1n); // the outer map starts empty
    outer.update(u32(0), 'elf_inner');
    obj.map('elf_inner').update(u32(0), new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0]));
    expect(prog.runTc(ipv4Packet(6))).toBe(9n);
    // The template is enforced: a map of another shape is refused.
    const other = obj.createMap({ name: 'other', type: 2, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
    expect(() => outer.update(u32(1), other)).toThrow(MapError);
  });

  it('reads the kernel samples\' struct bpf_map_def with inner_map_idx, in maps/NAME sections', () => {
    const obj = load('samples_map_in_map');
    const prog = obj.program('lookup_samples');
    expect(prog.runSocketFilter(ipv4Packet(6))).toBe(1n);
    obj.map('outer', MapOfMaps).update(u32(7), 'inner');
    obj.map('inner').update(u32(7), u32(33));
    expect(prog.runSocketFilter(ipv4Packet(6))).toBe(33n);
  });
});

describe('inner map shapes given by the loader (innerMaps)', () => {
  const shape = { type: 1, keySize: 4, valueSize: 4, maxEntries: 4 }; // BPF_MAP_TYPE_HASH
  const u64 = (n: number): Uint8Array => new Uint8Array([n, 0, 0, 0, 0, 0, 0, 0]);

  it('refuses the programs of a map of maps declared without its inner map, naming the option', () => {
    const obj = load('inner_shape');
    const e = thrown(() => obj.program('rules'));
    expect(e.code).toBe(ErrorCode.ELF);
    expect(e.message).toMatch(/containers.*innerMaps \{ containers: \{ type, keySize, valueSize, maxEntries \} \}/);
  });

  it('takes the shape as libbpf\'s bpf_map__set_inner_map_fd gives it: the template inner maps must match', () => {
    const obj = load('inner_shape', { innerMaps: { containers: shape } });
    const prog = obj.program('rules');
    expect(prog.runTc(ipv4Packet(6))).toBe(1n); // the outer map starts empty
    const rules = obj.createMap({ name: 'rules_1', type: 1, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
    obj.map('containers', MapOfMaps).update(u64(1), rules);
    expect(prog.runTc(ipv4Packet(6))).toBe(2n);
    rules.update(u32(8), u32(77)); // skb->protocol: ETH_P_IP in network order
    expect(prog.runTc(ipv4Packet(6))).toBe(77n);
    const other = obj.createMap({ name: 'other', type: 2, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
    expect(() => obj.map('containers', MapOfMaps).update(u64(2), other)).toThrow(MapError);
  });

  it('checks the option: a map of maps of the object, integer fields', () => {
    expect(() => load('inner_shape', { innerMaps: { nosuch: shape } })).toThrow(/options.innerMaps: no map named nosuch/);
    expect(() => load('map_in_map', { innerMaps: { inner_a: shape } })).toThrow(/map inner_a is not a map of maps/);
    expect(() => load('inner_shape', { innerMaps: { containers: { ...shape, maxEntries: -1 } } })).toThrow(ArgumentError);
  });
});

describe('ELF machine', () => {
  it('accepts machine 0 (old LLVM), as libbpf does, and refuses other machines', () => {
    const bytes = fixture('xdp_counter');
    bytes[18] = 0;
    bytes[19] = 0;
    expect(loadObject(bytes).program('count_packets').runXdp(ipv4Packet(6)).action).toBe(XdpAction.PASS);
    bytes[18] = 62;
    expect(() => loadObject(bytes)).toThrow(/machine is 62, not BPF/);
  });
});

describe('kernel-only program types', () => {
  it('refuses netfilter and struct_ops programs with the reason, unless the host gives a type; the object\'s other programs load', () => {
    const obj = loadObject(fixture('kernel_only'));
    expect(obj.programs.map((p) => [p.name, p.type])).toEqual([['nf_accept', 'raw'], ['ops_ssthresh', 'raw'], ['xdp_pass', 'xdp']]);
    const refused = (name: string): EbpfError => {
      try {
        obj.program(name);
      } catch (e) {
        return e as EbpfError;
      }
      throw new Error(`${name} loaded`);
    };
    expect(refused('nf_accept')).toMatchObject({ code: ErrorCode.UNSUPPORTED, message: expect.stringMatching(/netfilter program, whose context points to the kernel's hook state/) });
    expect(refused('ops_ssthresh').message).toMatch(/struct_ops program.*--type raw/);
    expect(obj.program('xdp_pass').runXdp(new Uint8Array(64)).action).toBe(2);
    const raw = loadObject(fixture('kernel_only'), { programTypes: { nf_accept: 'raw' } });
    expect(raw.program('nf_accept').run(new Uint8Array(16))).toBe(1n);
    expect(() => raw.program('ops_ssthresh')).toThrow(/struct_ops program/);
  });
});
