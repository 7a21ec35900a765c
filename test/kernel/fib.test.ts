/**
 * bpf_fib_lookup against the kernel: fixture fib.c runs every request of test/elf/fib-cases.ts in
 * BPF_PROG_TEST_RUN inside a fresh network namespace built like the tsbpf FIB (veth devices, routes,
 * neighbours: `ip` commands), and in tsbpf on both engines, as XDP and tc; the returned value and the
 * whole struct bpf_fib_lookup must agree. Needs root, `unshare` and `ip` (else skipped with a note).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { CASES, HOST, casePacket, describeResult, namespaceCommands } from '../elf/fib-cases.js';
import { kernelOracle, namespaceSkipReason, skipNote, type KernelRequest } from './runner.js';

const FIB_O = fileURLToPath(new URL('../fixtures/elf/fib.o', import.meta.url));

const reason = namespaceSkipReason();
if (reason !== undefined) skipNote(reason);

describe.skipIf(reason !== undefined)('bpf_fib_lookup: tsbpf and the kernel in a namespace built like the FIB', () => {
  for (const [program, kind] of [['fib_xdp', 'xdp'], ['fib_tc', 'tc']] as const) {
    it(`${kind}: every request gives the kernel's return value and struct`, () => {
      const k = kernelOracle();
      if (typeof k === 'string') throw new Error(k);
      const requests: KernelRequest[] = [{ op: 'obj', path: FIB_O, program }];
      for (const c of CASES) requests.push({ op: 'run', prog: { ref: 0 }, data: casePacket(c) });
      const out = k.exec(requests, { netns: namespaceCommands(HOST) });
      expect(out[0]).toMatchObject({ kind: 'obj', accepted: true });
      const obj = loadObject(fixture('fib'), { fib: HOST });
      const prog = obj.program(program);
      const diffs: string[] = [];
      CASES.forEach((c, i) => {
        const r = out[i + 1]!;
        if (r.kind !== 'run') throw new Error(`${c.name}: ${JSON.stringify(r)}`);
        const want = describeResult(r.data);
        for (const jit of [false, true]) {
          const got =
            kind === 'xdp'
              ? prog.runXdp(casePacket(c), { jit }).packet
              : (() => {
                  let pkt: Uint8Array = new Uint8Array(0);
                  prog.runTc(casePacket(c), { jit, inspect: (_s, p) => (pkt = p) });
                  return pkt;
                })();
          const have = describeResult(got);
          if (have !== want) diffs.push(`${c.name} (${jit ? 'JIT' : 'interpreter'}):\n  kernel ${want}\n  tsbpf  ${have}`);
        }
      });
      expect(diffs).toEqual([]);
    });
  }
});
