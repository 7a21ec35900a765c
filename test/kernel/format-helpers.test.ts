/**
 * bpf_snprintf, bpf_trace_vprintk, bpf_strncmp and bpf_ktime_get_tai_ns against the kernel: fixture
 * format_helpers.c has one raw tracepoint program per case; each runs once under BPF_PROG_TEST_RUN and
 * keeps its return value and output buffer in a map. tsbpf (interpreter and JIT) must leave the same
 * map entry; where the kernel's verifier refuses the program (a format it refuses at load time),
 * tsbpf's helper must fail the call with a negative errno instead.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const OBJ = fileURLToPath(new URL('../fixtures/elf/format_helpers.o', import.meta.url));
const oracle = kernelOracle();
const reason = typeof oracle === 'string' ? oracle : undefined;
if (reason !== undefined) skipNote(reason);

const ARGS = [0xffff_fff0_0000_0007n];

/** One map entry as `ret buf` (the buffer's non-printable bytes escaped). */
function line(v: Uint8Array): string {
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const text = Buffer.from(v.subarray(8)).toString('latin1').replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${d.getBigInt64(0, true)} ${text}`;
}

describe.skipIf(reason !== undefined)('format helpers: tsbpf and the kernel on the same cases', () => {
  it('agree on every return value and output buffer', () => {
    const k = oracle as Exclude<typeof oracle, string>;
    const names = loadObject(fixture('format_helpers')).programs.map((p) => p.name);
    expect(names.length).toBeGreaterThan(50);
    const ctx = new Uint8Array(96);
    ARGS.forEach((a, i) => new DataView(ctx.buffer).setBigUint64(8 * i, a, true));
    // Map fds are the same in every runner process that makes the same requests: learn them first.
    const loads = k.exec(names.map((program) => ({ op: 'obj', path: OBJ, program })));
    const requests: KernelRequest[] = [];
    const at: number[] = [];
    names.forEach((program, i) => {
      const l = loads[i]!;
      if (l.kind !== 'obj') throw new Error(`kernel runner: ${JSON.stringify(l).slice(0, 300)}`);
      at.push(requests.length);
      requests.push({ op: 'obj', path: OBJ, program });
      if (l.accepted) requests.push({ op: 'run', prog: { ref: requests.length - 1 }, ctx, dataOut: 0, ctxOut: 0 }, { op: 'dump', map: l.maps.find((m) => m.name === 'results')!.fd });
    });
    const all = k.exec(requests);
    const kernel: string[] = [];
    const notFailed: string[] = [];
    const ours: string[] = [];
    for (const jit of [false, true]) {
      // verify: 'warn': some of these programs the kernel refuses (bad formats, a zero size), and tsbpf must still fail them the same way at run time
      const o = loadObject(fixture('format_helpers'), { verify: 'warn' });
      names.forEach((name, i) => {
        const accepted = all[at[i]!]!.kind === 'obj' && (all[at[i]!] as { accepted: boolean }).accepted;
        const r0 = o.program(name).runEvent({ args: ARGS }, { jit }).r0;
        const entries = o.map('results').entries();
        const got = entries.map(([, v]) => line(v)).join(' / ');
        if (accepted) {
          const dump = all[at[i]! + 2]!;
          const want = dump.kind === 'dump' ? dump.entries.map(([, v]) => line(v)).join(' / ') : JSON.stringify(dump);
          if (!jit) kernel.push(`${name}: ${want}`);
          ours.push(`${name}: ${got}`);
          expect(r0).toBe(0n);
        } else {
          // Refused by the kernel's verifier: the call fails at run time in tsbpf.
          const ret = entries.length === 1 ? new DataView(entries[0]![1].buffer, entries[0]![1].byteOffset).getBigInt64(0, true) : 0n;
          if (ret >= 0n) notFailed.push(name);
        }
        for (const [key] of entries) o.map('results').delete(key);
      });
      expect({ jit, ours: ours.splice(0) }).toEqual({ jit, ours: kernel });
      // bpf_strncmp with size 0: refused for its argument's type (a size > 0), which the analysis checks.
      expect({ jit, notFailed: notFailed.splice(0) }).toEqual({ jit, notFailed: ['ret_57'] });
      expect(o.traceLog).toContain('vprintk 7 hi');
    }
  });
});
