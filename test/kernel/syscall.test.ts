/**
 * syscall runs against the kernel (6.18, as root) through BPF_PROG_TEST_RUN, whose ctx_in is the
 * program's own context, written back as the program left it (repeat 0, no ctx_out, no data):
 * test/fixtures/elf/syscall_run.c's fold on contexts of several lengths (r0's low 32 bits, the bytes
 * written back, the `calls` map), and the shortest context each accepts (the furthest access).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { ArgumentError } from '../../src/errors.js';
import { fixture } from '../elf/fixtures.js';
import { syscallArgs } from '../context/syscall-args.js';
import { hex, kernelOracle, kernelSkipReason, type KernelResponse } from './runner.js';

const reason = kernelSkipReason();
const O = fileURLToPath(new URL('../fixtures/elf/syscall_run.o', import.meta.url));

const CONTEXTS: Uint8Array[] = [
  syscallArgs(0, 0, [], ''),
  syscallArgs(3, 0, [5n, 17n, 2n, 99n], 'abcdefghijklmnop'),
  syscallArgs(8, 0, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 0xffff_ffff_ffff_fff0n], 'syscall'),
  syscallArgs(100, 1, [0x8000_0000_0000_0000n, 0x8000_0000_0000_0000n], 'n > 8, flags 1'),
  (() => {
    const c = new Uint8Array(1000).fill(0x5a);
    c.set(syscallArgs(2, 2, [9n, 4n], 'long'));
    return c;
  })(),
  new Uint8Array(0xffff).fill(1),
];

describe.skipIf(reason !== undefined)('syscall runs: tsbpf and BPF_PROG_TEST_RUN', () => {
  it('fold gives the kernel\'s r0, context written back and map value, in both engines', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [o] = k.exec([{ op: 'obj', path: O, program: 'fold' }]);
    if (o?.kind !== 'obj' || !o.accepted) throw new Error(`kernel runner: ${JSON.stringify(o).slice(-1500)}`);
    const callsFd = o.maps.find((m) => m.name === 'calls')!.fd;
    const differ: string[] = [];
    for (const jit of [false, true]) {
      const out = k.exec([{ op: 'obj', path: O, program: 'fold' }, ...CONTEXTS.map((ctx) => ({ op: 'run' as const, prog: { ref: 0 }, ctx, dataOut: 0, ctxOut: 0, repeat: 0 as const })), { op: 'dump', map: callsFd }]);
      const obj = loadObject(fixture('syscall_run'));
      CONTEXTS.forEach((ctx, i) => {
        const r = out[i + 1] as KernelResponse;
        const kernel = r.kind === 'run' ? `${r.retval} ${hex(r.ctx)}` : JSON.stringify(r);
        const res = obj.program('fold').runSyscall(ctx, { jit });
        const ours = `${Number(res.r0 & 0xffff_ffffn)} ${hex(res.ctx)}`;
        if (ours !== kernel) differ.push(`context ${i} (${jit ? 'JIT' : 'interpreter'}): kernel ${kernel.slice(0, 400)}, tsbpf ${ours.slice(0, 400)}`);
      });
      const dump = out[CONTEXTS.length + 1] as KernelResponse;
      expect(dump.kind === 'dump' ? hex(dump.entries[0]![1]) : JSON.stringify(dump)).toBe(hex(obj.map('calls').lookup(new Uint8Array(4))!));
    }
    expect(differ).toEqual([]);
  });

  it('the shortest context fold accepts is the kernel\'s (its furthest access); over 65535 bytes is refused', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const lengths = [0, 8, 103, 104, 105, 0x10000];
    const out = k.exec([{ op: 'obj', path: O, program: 'fold' }, ...lengths.map((n) => ({ op: 'run' as const, prog: { ref: 0 }, ctx: new Uint8Array(n), dataOut: 0, ctxOut: 0, repeat: 0 as const }))]);
    const fold = loadObject(fixture('syscall_run')).program('fold');
    lengths.forEach((n, i) => {
      const r = out[i + 1] as KernelResponse;
      const kernel = r.kind === 'run' ? 'runs' : `errno ${r.kind === 'err' ? r.errno : '?'}`;
      let ours: string;
      try {
        fold.runSyscall(new Uint8Array(n));
        ours = 'runs';
      } catch (e) {
        // refused before running, as the kernel refuses (a fault while running would be another answer)
        ours = e instanceof ArgumentError ? 'errno 22' : String(e);
      }
      expect(ours, `context of ${n} bytes`).toBe(kernel);
    });
  });
});
