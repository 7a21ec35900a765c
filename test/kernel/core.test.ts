/**
 * CO-RE against the running kernel's BTF: fixture core_kernel.c loaded by libbpf (which relocates it
 * against the kernel it runs on) and run with BPF_PROG_TEST_RUN, and loaded by tsbpf with
 * /sys/kernel/btf/vmlinux as the target BTF: every relocation's value (field offsets and sizes of
 * task_struct and sk_buff, existence, type sizes, enum values) must be the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/core_kernel.o', import.meta.url));
const VMLINUX = '/sys/kernel/btf/vmlinux';

function why(): string | undefined {
  const k = kernelOracle();
  if (typeof k === 'string') return k;
  return existsSync(VMLINUX) ? undefined : `no ${VMLINUX}`;
}
const reason = why();
if (reason !== undefined) skipNote(reason);

describe.skipIf(reason !== undefined)('CO-RE against the kernel BTF', () => {
  it('gives libbpf\'s value for every relocation of core_kernel.o, on both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const packet = new Uint8Array(160).fill(0xaa);
    const out = k.exec([{ op: 'obj', path: O, program: 'kernel_layouts' }, { op: 'run', prog: { ref: 0 }, data: packet }]);
    expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
    const r = out[1]!;
    if (r.kind !== 'run') throw new Error(JSON.stringify(r));
    const values = (b: Uint8Array): bigint[] => [...Array(18).keys()].map((i) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigInt64(8 * i, true));
    const kernel = values(r.data);
    // Sanity: the kernel's own answers are the layouts of a real kernel (pid before tgid, 16-byte comm).
    expect(kernel[1]! - kernel[0]!).toBe(4n);
    expect(kernel[3]).toBe(16n);
    const obj = loadObject(fixture('core_kernel'), { targetBtf: new Uint8Array(readFileSync(VMLINUX)) });
    for (const jit of [false, true]) expect(values(obj.program('kernel_layouts').runXdp(packet, { jit }).packet)).toEqual(kernel);
  }, 60_000);
});
