/**
 * bpf_snprintf_btf against the kernel: fixture snprintf_btf.c has one raw tracepoint program per
 * case, each printing a static object of a kernel type (its id relocated against the target BTF, as
 * pwru's are) and keeping the return value and the buffer in a map. tsbpf, given the running kernel's
 * BTF (/sys/kernel/btf/vmlinux), must leave the same entries on both engines. Pointers are compared
 * only where shown raw (BTF_F_PTR_RAW) or NULL: the kernel hashes the others with a per-boot key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const OBJ = fileURLToPath(new URL('../fixtures/elf/snprintf_btf.o', import.meta.url));
const VMLINUX = '/sys/kernel/btf/vmlinux';
const oracle = kernelOracle();
const reason = typeof oracle === 'string' ? oracle : !existsSync(VMLINUX) ? `${VMLINUX} is missing` : undefined;
if (reason !== undefined) skipNote(reason);

/** A map entry as `ret text` (up to its NUL; bytes past it are not the helper's). */
function entry(v: Uint8Array): string {
  const ret = new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, true);
  const buf = v.subarray(8);
  const nul = buf.indexOf(0);
  const text = nul < 0 ? '(untouched)' : Buffer.from(buf.subarray(0, nul)).toString('latin1');
  // Hashed pointers differ by boot: keep their place, not their value.
  return `${ret} ${ret < 0n ? '' : text.replace(/0x00000000[0-9a-f]{8}(?<!0x0000000000000000)/g, '<hashed>')}`;
}

describe.skipIf(reason !== undefined)('bpf_snprintf_btf: tsbpf and the kernel on the same objects', () => {
  it('agree on every return value and text', () => {
    const k = oracle as Exclude<typeof oracle, string>;
    const names = loadObject(fixture('snprintf_btf')).programs.map((p) => p.name);
    expect(names.length).toBeGreaterThan(50);
    const loads = k.exec(names.map((program) => ({ op: 'obj', path: OBJ, program })));
    const requests: KernelRequest[] = [];
    const at = new Map<string, number>();
    names.forEach((program, i) => {
      const l = loads[i]!;
      if (l.kind !== 'obj') throw new Error(`kernel runner: ${JSON.stringify(l).slice(0, 300)}`);
      if (!l.accepted) return;
      at.set(program, requests.length);
      requests.push({ op: 'obj', path: OBJ, program }, { op: 'run', prog: { ref: requests.length }, ctx: new Uint8Array(8), dataOut: 0, ctxOut: 0 }, { op: 'dump', map: l.maps.find((m) => m.name === 'results')!.fd });
    });
    // case_22 passes a zero size, which the kernel's verifier refuses.
    expect(names.filter((n) => !at.has(n))).toEqual(['case_22']);
    const all = k.exec(requests);
    const kernel = [...at].map(([name, i]) => {
      const d = all[i + 2]!;
      return `${name}: ${d.kind === 'dump' ? d.entries.map(([, v]) => entry(v)).join(' / ') : JSON.stringify(d)}`;
    });
    const targetBtf = new Uint8Array(readFileSync(VMLINUX));
    for (const jit of [false, true]) {
      const o = loadObject(fixture('snprintf_btf'), { targetBtf });
      const ours = [...at.keys()].map((name) => {
        o.program(name).runEvent({ args: [0n] }, { jit });
        const r = `${name}: ${o.map('results').entries().map(([, v]) => entry(v)).join(' / ')}`;
        for (const [key] of o.map('results').entries()) o.map('results').delete(key);
        return r;
      });
      expect({ jit, ours }).toEqual({ jit, ours: kernel });
    }
  });
});
