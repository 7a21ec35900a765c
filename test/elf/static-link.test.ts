/**
 * Static linking (LoadOptions.link, loadObjects, CLI --link), checked against libbpf's linker: the
 * fixtures link_a.c + link_b.c linked by tsbpf, in both orders, behave as bpftool gen object's output
 * (link_ab.linked.o, link_ba.linked.o, made by build.sh) — programs, results on both engines, maps,
 * global data; and cilium/ebpf's linked1 + linked2 behave as its bpftool-linked linked-el.elf. Then
 * conflicts and hostile inputs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentError, EbpfError, ObjectFileError } from '../../src/errors.js';
import { loadObject, loadObjects, type BpfObject } from '../../src/elf/index.js';
import { fixture } from './fixtures.js';

/** Loads of the link fixtures only warn: their `cycle` program recurses across the objects on purpose (the kernel refuses recursion). */
const WARN = { verify: 'warn' } as const;
import { cli } from '../cli/helpers.js';

const corpus = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../corpus/cilium-ebpf/testdata/${name}`, import.meta.url))));

/** Everything observable after running each packet program twice on each engine. */
function behaviour(make: () => BpfObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const jit of [false, true]) {
    const obj = make();
    for (const p of obj.programs) {
      if (p.type !== 'xdp' && p.type !== 'socket') {
        out[`${p.name} (${p.section})`] = p.type;
        continue;
      }
      const runner = obj.program(p.name);
      const run = (): bigint => (p.type === 'xdp' ? runner.runXdp(new Uint8Array(64), { jit }).r0 : BigInt(runner.runTc(new Uint8Array(64), { jit })));
      out[`${p.name} (${p.section}) ${jit ? 'jit' : 'interpreter'}`] = [run(), run()];
    }
    for (const [name, m] of obj.maps) {
      out[`map ${name} ${jit}`] = { ...m.spec, inner: undefined, entries: m.entries().map(([k, v]) => `${Buffer.from(k).toString('hex')}:${Buffer.from(v).toString('hex')}`).sort() };
    }
  }
  return out;
}

describe('static linking, as libbpf\'s linker does it', () => {
  it('link_a + link_b: externs bound across objects, strong over weak, a call cycle, one shared map', () => {
    // verify: 'warn': the linked programs call each other in a cycle (bounded at run time), which the kernel refuses as recursion
    const ours = behaviour(() => loadObjects([fixture('link_a'), fixture('link_b')], WARN));
    expect(ours).toEqual(behaviour(() => loadObject(fixture('link_ab.linked'), WARN)));
    expect(ours['use_b (xdp) interpreter']).toEqual([41n, 42n]);
    expect(ours['cycle (xdp) jit']).toEqual([33n, 33n]);
  });

  it('link_b + link_a: the other order gives what libbpf\'s linker gives for it', () => {
    const ours = behaviour(() => loadObject(fixture('link_b'), { link: [fixture('link_a')], ...WARN }));
    expect(ours).toEqual(behaviour(() => loadObject(fixture('link_ba.linked'), WARN)));
  });

  it('cilium/ebpf linked1 + linked2 behave as its bpftool-linked linked-el.elf', () => {
    const ours = behaviour(() => loadObjects([corpus('linked1-el.elf'), corpus('linked2-el.elf')]));
    expect(ours).toEqual(behaviour(() => loadObject(corpus('linked-el.elf'))));
    // Every entry returns 0 when the right definition won (__LINE__ otherwise).
    for (const [key, v] of Object.entries(ours)) if (key.startsWith('entry_')) expect(v, key).toEqual([0n, 0n]);
  });

  it('one object alone refuses only the programs that need the other, naming what is missing', () => {
    const a = loadObject(fixture('link_a'));
    expect(() => a.program('use_b')).toThrow(/uses 2 externs the host does not provide: extern variable b_counter is declared but not defined in this object: link the object that defines it.*; function b_square is declared but not defined/);
    expect(() => a.program('cycle')).toThrow(/b_countdown/);
  });

  it('two strong definitions of a name are an error naming it and the objects', () => {
    const link = (): unknown => loadObjects([fixture('link_b'), fixture('link_conflict')]);
    expect(link).toThrow(ObjectFileError);
    expect(link).toThrow(/symbol b_square is defined \(strong\) in both object 1 and object 2/);
  });

  it('refuses bad link inputs with clear errors', () => {
    expect(() => loadObject(fixture('link_a'), { link: [new Uint8Array(100)] })).toThrow(/object 2 of the link: not an ELF file/);
    expect(() => loadObject(fixture('link_a'), { link: fixture('link_b') as never })).toThrow(ArgumentError);
    expect(() => loadObject(fixture('link_a'), { link: ['x'] as never })).toThrow(ArgumentError);
    expect(() => loadObject(fixture('link_a'), { link: Array.from({ length: 64 }, () => fixture('link_b')) })).toThrow(/at most 63/);
    expect(() => loadObjects([])).toThrow(ArgumentError);
    // The same object twice: every global defined twice.
    expect(() => loadObjects([fixture('link_b'), fixture('link_b')])).toThrow(/defined \(strong\) in both object 1 and object 2/);
  });

  it('a corrupted second object fails cleanly or links (fixed seed, 300 one-byte changes)', () => {
    const a = fixture('link_a');
    const b = fixture('link_b');
    let x = 0x9e3779b9;
    const next = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    let linked = 0;
    for (let k = 0; k < 300; k++) {
      const bad = b.slice();
      bad[next() % bad.length] = next() & 0xff;
      try {
        const obj = loadObjects([a, bad]);
        for (const p of obj.programs) {
          try {
            obj.program(p.name).runXdp(new Uint8Array(64));
          } catch (e) {
            if (!(e instanceof EbpfError)) throw e;
          }
        }
        linked++;
      } catch (e) {
        if (!(e instanceof EbpfError)) throw e;
      }
    }
    expect(linked).toBeGreaterThan(0);
  });

  it('tsbpf run --link', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const r = await cli(['run', `${root}test/fixtures/elf/link_a.o`, '--link', `${root}test/fixtures/elf/link_b.o`, '--program', 'cycle', '--packet-hex', '00'.repeat(64), '--json', '--verify', 'warn']);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ r0Decimal: '33' });
  });
});
