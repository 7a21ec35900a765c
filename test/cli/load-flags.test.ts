/** `--type` and `--map-size` of `tsbpf run` and `tsbpf inspect`, on hand-made objects. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { objectPrograms } from '../../src/cli/program.js';
import { cli } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const fx = (f: string): string => `${root}test/fixtures/elf/${f}`;

describe('tsbpf inspect --type / --map-size', () => {
  it('shows the maps it could not create and why each program is refused; the rest load', async () => {
    const r = await cli(['inspect', fx('per_program.o'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.unavailableMaps.map((m: { name: string }) => m.name)).toEqual(['socks', 'sized_later', 'arena', 'two_values']);
    const byName = Object.fromEntries(j.programs.map((p: { name: string }) => [p.name, p]));
    expect(byName.count.instructions).toBeGreaterThan(0);
    expect(byName.uses_socks.error).toMatch(/uses map socks, which tsbpf could not create/);
    // Missing helpers matter only to run: the program links and its gaps are listed.
    expect(byName.two_missing.error).toBeUndefined();
    expect(byName.two_missing.instructions).toBeGreaterThan(0);
    expect(byName.two_missing.missingHelpers).toHaveLength(3);
  });

  it('sizes a map and sets every program type', async () => {
    const r = await cli(['inspect', fx('per_program.o'), '--map-size', 'sized_later=7', '--type', 'tc', '--json']);
    const j = JSON.parse(r.out);
    expect(j.maps.find((m: { name: string }) => m.name === 'sized_later').maxEntries).toBe(7);
    expect(j.programs.every((p: { type: string }) => p.type === 'tc')).toBe(true);
    expect(j.programs.find((p: { name: string }) => p.name === 'uses_sized').error).toBeUndefined();
  });

  it('refuses bad values with a usage error', async () => {
    expect(await cli(['inspect', fx('per_program.o'), '--type', 'netfilter'])).toMatchObject({ code: 2 });
    expect((await cli(['inspect', fx('per_program.o'), '--type', 'netfilter'])).err).toMatch(/--type must be one of xdp, socket, tc, cgroup_skb, flow_dissector, kprobe, tracepoint, raw_tracepoint, perf_event, tracing, iter, sockops, sk_msg, sk_skb, sk_lookup, syscall, raw, not 'netfilter'/);
    expect((await cli(['inspect', fx('per_program.o'), '--map-size', 'sized_later=0'])).err).toMatch(/expected NAME=N with N from 1/);
    expect((await cli(['inspect', fx('per_program.o'), '--map-size', 'nope=3'])).err).toMatch(/no map named nope/);
    expect((await cli(['inspect', fx('per_program.o'), '--map-value-size', 'counter=x'])).err).toMatch(/--map-value-size counter=x: expected NAME=N/);
    expect((await cli(['inspect', fx('per_program.o'), '--map-value-size', 'nope=8'])).err).toMatch(/mapValueSizes: no map named nope/);
  });

  it('gives a map of maps its inner maps (--inner-map NAME=TYPE:KEY:VALUE:ENTRIES)', async () => {
    const without = JSON.parse((await cli(['inspect', fx('inner_shape.o'), '--json'])).out);
    expect(without.programs[0].error).toMatch(/--inner-map containers=TYPE:KEY:VALUE:ENTRIES/);
    for (const spec of ['containers=hash:4:4:4', 'containers=BPF_MAP_TYPE_HASH:4:4:4:0', 'containers=1:0x4:4:4']) {
      const j = JSON.parse((await cli(['inspect', fx('inner_shape.o'), '--inner-map', spec, '--json'])).out);
      expect(j.programs[0].error).toBeUndefined();
      expect(j.unavailableMaps).toEqual([]);
    }
    expect(objectPrograms({ bytes: new Uint8Array(readFileSync(fx('inner_shape.o'))), name: 'inner_shape.o', format: 'elf' }, 'rules', { innerMaps: { containers: { type: 1, keySize: 4, valueSize: 4, maxEntries: 4 } } })).toHaveLength(1);
    const bad = async (spec: string): Promise<string> => (await cli(['inspect', fx('inner_shape.o'), '--inner-map', spec])).err;
    expect(await bad('containers=hsh:4:4:4')).toMatch(/unknown map type hsh; one of hash, array/);
    expect(await bad('containers=hash:4:4')).toMatch(/expected NAME=TYPE:KEY:VALUE:ENTRIES/);
    expect(await bad('containers=hash:4:x:4')).toMatch(/VALUE must be an integer/);
    expect(await bad('nope=hash:4:4:4')).toMatch(/innerMaps: no map named nope/);
  });

  it('sets a map\'s value size', async () => {
    const r = await cli(['inspect', fx('per_program.o'), '--map-value-size', 'counter=24', '--json']);
    expect(JSON.parse(r.out).maps.find((m: { name: string }) => m.name === 'counter').valueSize).toBe(24);
  });
});

describe('tsbpf run --type / --map-size', () => {
  it('runs a program whose section name says nothing with the context --type gives', async () => {
    // `filter` returns 0 as raw; as a socket filter it gets an __sk_buff and a packet.
    const r = await cli(['run', fx('sections.o'), '--program', 'filter', '--type', 'socket', '--mem-hex', '00'.repeat(60)]);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/^verdict = dropped \(0\)\nr0 = 0x0 \(0\)\n/) });
    const x = await cli(['run', fx('sections.o'), '--program', 'filter', '--type', 'xdp', '--mem-hex', '00'.repeat(60)]);
    expect(x.out).toMatch(/^verdict = XDP_ABORTED\nr0 = 0x0 \(0\)\n/);
  });

  it('runs a program whose map needed a size', async () => {
    expect((await cli(['run', fx('per_program.o'), '--program', 'uses_sized', '--mem-hex', '00'.repeat(60)])).err).toMatch(/sized_later.*max_entries must be at least 1/);
    const r = await cli(['run', fx('per_program.o'), '--program', 'uses_sized', '--map-size', 'sized_later=4', '--mem-hex', '00'.repeat(60)]);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/^verdict = XDP_PASS\nr0 = 0x2 \(2\)\n/) });
  });

  it('raises the per-map memory limit with --max-map-bytes', async () => {
    const args = ['run', fx('per_program.o'), '--program', 'count', '--map-size', 'counter=16777216', '--mem-hex', '00'.repeat(60)];
    expect((await cli(args)).err).toMatch(/134217728-byte limit per map; raise the limit with maxMapBytes \(tsbpf's --max-map-bytes/);
    const r = await cli([...args, '--max-map-bytes', '1073741824']);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/^verdict = XDP_PASS/) });
    // A 16 M-entry array is not listed (it would not fit in memory as text).
    expect(r.out).toMatch(/counter \(array, .*\): 16777216 entries \(not listed: more than 65536; read them with the API/);
    expect((await cli([...args, '--max-map-bytes', '2000000000'])).err).toMatch(/option --max-map-bytes must be an integer from 1 to 1073741824, not '2000000000'/);
  });

  it('refuses the flags for raw bytecode', async () => {
    const r = await cli(['run', 'b7000000000000009500000000000000', '--type', 'xdp']);
    expect(r).toMatchObject({ code: 2 });
    expect(r.err).toMatch(/apply to ELF objects only/);
  });
});

describe('tsbpf verify / disasm: the map sizing flags, and only relocated slots as addresses', () => {
  it('size maps as run does, so objects with huge maps can be verified and listed', async () => {
    const args = (cmd: string): string[] => [cmd, fx('per_program.o'), '--program', 'count', '--map-size', 'counter=16777216'];
    for (const cmd of ['verify', 'disasm']) {
      expect((await cli(args(cmd))).err).toMatch(/134217728-byte limit per map; raise the limit with maxMapBytes \(tsbpf's --max-map-bytes/);
      expect(await cli([...args(cmd), '--max-map-bytes', '1073741824'])).toMatchObject({ code: 0 });
    }
  });

  it('resolve answers for the lddw slots the loader relocated, never for a constant equal to an address', () => {
    const bytes = new Uint8Array(readFileSync(fx('per_program.o')));
    const [p] = objectPrograms({ name: 'per_program.o', format: 'elf', bytes }, 'count');
    const view = new DataView(p!.bytes.buffer, p!.bytes.byteOffset, p!.bytes.byteLength);
    const wide = (pc: number): bigint => (BigInt(view.getUint32(pc * 8 + 12, true)) << 32n) | BigInt(view.getUint32(pc * 8 + 4, true));
    const lddw = [...Array(p!.bytes.length / 8).keys()].filter((pc) => p!.bytes[pc * 8] === 0x18);
    const mapSlot = lddw.find((pc) => p!.resolve(wide(pc), pc) !== undefined);
    expect(mapSlot).toBeDefined();
    // the same immediate at any other slot is a number
    expect(p!.resolve(wide(mapSlot!), mapSlot! + 1)).toBeUndefined();
  });
});

describe('tsbpf run --fib', () => {
  const packet = (dst: number[]): string => {
    const p = new Uint8Array(60);
    p.set([8, 0], 12);
    p.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 9, ...dst], 14);
    return Buffer.from(p).toString('hex');
  };

  it('gives bpf_fib_lookup the host network of the JSON file (the same as test/elf/fib-cases.ts HOST)', async () => {
    const fib = fx('fib.json');
    const { HOST } = await import('../elf/fib-cases.js');
    const { readFileSync } = await import('node:fs');
    expect(JSON.parse(readFileSync(fib, 'utf8'))).toEqual(HOST);
    // ingress_ifindex is 1 (loopback); 10.9.1.1 goes via 10.0.0.1, whose MAC is known: forwarded.
    const fwd = await cli(['run', fx('fib.o'), '--program', 'fib_forward', '--fib', fib, '--mem-hex', packet([10, 9, 1, 1])]);
    expect(fwd).toMatchObject({ code: 0 });
    expect(fwd.out).toMatch(/^verdict = XDP_REDIRECT\b/);
    expect((await cli(['run', fx('fib.o'), '--program', 'fib_forward', '--fib', fib, '--mem-hex', packet([10, 66, 1, 1])])).out).toMatch(/^verdict = XDP_DROP\b/);
    // Without --fib the host has no routes: to the stack.
    expect((await cli(['run', fx('fib.o'), '--program', 'fib_forward', '--mem-hex', packet([10, 9, 1, 1])])).out).toMatch(/^verdict = XDP_PASS\b/);
  });

  it('refuses a file that is not JSON or not a FIB with a usage error naming the file and the field', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/tsbpf-fib-');
    writeFileSync(`${dir}/bad.json`, '{"routes": [{"prefix": "10.0.0.0/8"}]}');
    writeFileSync(`${dir}/notjson.json`, '{routes');
    const bad = await cli(['inspect', fx('fib.o'), '--fib', `${dir}/bad.json`]);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.err).toMatch(/--fib .*bad.json: fib.routes\[0\].ifindex \(required for unicast routes\)/);
    expect((await cli(['inspect', fx('fib.o'), '--fib', `${dir}/notjson.json`])).err).toMatch(/notjson.json: not JSON/);
    expect((await cli(['inspect', fx('fib.o'), '--fib', `${dir}/missing.json`])).err).toMatch(/missing.json/);
    expect((await cli(['run', 'b7000000000000009500000000000000', '--fib', `${dir}/bad.json`])).err).toMatch(/apply to ELF objects only|--fib/);
  });
});

describe('tsbpf run --verify', () => {
  const fx = (f: string): string => new URL(`../fixtures/elf/${f}`, import.meta.url).pathname;
  it('kernel refuses a program the kernel-level verifier rejects, naming pc, rule, C line and the way out; warn runs it', async () => {
    const args = ['run', fx('rodata_abuse.o'), '--program', 'update_through_address', '--mem-hex', '00'.repeat(60)];
    const refused = await cli([...args, '--verify', 'kernel']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/pc 14: program update_through_address \(socket_filter\): \[helper-argument\] .*rodata_abuse\.c:22.*--verify warn/);
    const warned = await cli([...args, '--verify', 'warn']);
    expect(warned.err).not.toMatch(/helper-argument/);
    expect((await cli([...args, '--verify', 'nope'])).err).toMatch(/--verify must be kernel, warn, shape or off, not 'nope'/);
  });
});
