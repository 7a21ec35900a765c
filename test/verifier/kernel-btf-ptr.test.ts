/**
 * BTF-typed pointers in BTF tracing programs (src/verifier/analysis/btf-context.ts, btf-objects.ts):
 * test/fixtures/btf-ptr/btf_ptr.o's tp_btf and iterator programs, loaded with the running kernel's BTF as
 * the target (`targetBtf`), each judged by the kernel-level analysis and compared with the kernel's verdict
 * recorded in kernel-verdicts.json (asked again live where bpf() works). Reads through arguments and
 * pointer members, stores, offsets past a structure or across members, missing arguments, narrow and
 * misaligned context reads, NULL checks the kernel wants (an iterator's task, a socket cast's result), and
 * helpers given the wrong kernel structure, a number or a moved pointer.
 * Skipped with a note where /sys/kernel/btf/vmlinux is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { parseBtf } from '../../src/elf/btf.js';
import { ArgumentError } from '../../src/errors.js';
import { loadObject } from '../../src/elf/index.js';
import { checkProgram } from '../../src/verifier/index.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const OBJECT_PATH = new URL('../fixtures/btf-ptr/btf_ptr.o', import.meta.url).pathname;
const OBJECT = new Uint8Array(readFileSync(OBJECT_PATH));
const RECORDED = JSON.parse(readFileSync(new URL('../fixtures/btf-ptr/kernel-verdicts.json', import.meta.url), 'utf8')) as {
  kernel: string;
  verdicts: Record<string, { accepted: boolean; log: string }>;
};
const kernelBtf = existsSync(VMLINUX) ? new Uint8Array(readFileSync(VMLINUX)) : undefined;
if (kernelBtf === undefined) skipNote(`${VMLINUX} is missing: the BTF pointer verdicts need the kernel's BTF`);

describe.skipIf(kernelBtf === undefined)('BTF pointers in tracing programs, against the kernel', () => {
  const o = loadObject(OBJECT, { targetBtf: kernelBtf!, verify: 'warn' });
  const names = Object.keys(RECORDED.verdicts);

  it('the fixture holds the recorded programs, named for their verdicts', () => {
    expect(o.programs.map((p) => p.name).sort()).toEqual([...names].sort());
    for (const n of names) expect(RECORDED.verdicts[n]!.accepted, n).toBe(n.startsWith('ok_'));
  });

  for (const name of names) {
    const { accepted, log } = RECORDED.verdicts[name]!;
    it(`${accepted ? 'accepts' : 'refuses'} ${name}${accepted ? '' : ` (kernel: ${log})`}`, () => {
      o.program(name);
      const v = o.verification.get(name)!;
      expect(v.programType).toBe('tracing');
      const errors = v.issues.filter((i) => i.severity === 'error');
      expect(errors.length === 0, JSON.stringify(errors)).toBe(accepted);
    });
  }

  it('the kernel gives the recorded verdicts', () => {
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = k.exec(names.map((program) => ({ op: 'obj' as const, path: OBJECT_PATH, program })));
    expect(names.map((n, i) => [n, live[i]!.kind === 'obj' && live[i]!.accepted])).toEqual(names.map((n) => [n, RECORDED.verdicts[n]!.accepted]));
  });
});

describe('BTF tracing programs without the kernel\'s BTF', () => {
  it('the loader checks their shape only (the kernel a program is meant for is the host\'s to name)', () => {
    const o = loadObject(OBJECT, { verify: 'warn' });
    for (const name of ['ok_sock_read', 'bad_sock_store', 'ok_iter_task']) {
      o.program(name);
      expect(o.verification.get(name)?.programType, name).toBeUndefined();
    }
  });

  it('the verifier wants the BTF and a target it describes', () => {
    const prog = assemble('r0 = 0\nexit');
    expect(() => checkProgram(prog, { level: 'kernel', programType: 'tracing' })).toThrow(ArgumentError);
    if (kernelBtf === undefined) return;
    const btf = parseBtf(kernelBtf);
    expect(() => checkProgram(prog, { level: 'kernel', programType: 'tracing', btf, attachTo: 'tp_btf/no_such_tracepoint' })).toThrow(/no tracepoint 'no_such_tracepoint'/);
    expect(checkProgram(prog, { level: 'kernel', programType: 'tracing', btf, attachTo: 'fentry/tcp_connect' })).toEqual([]);
    // fexit: the return value after the arguments; past it nothing
    const ret = (off: number): string => `r0 = *(u64 *)(r1 + ${off})\nr0 = 0\nexit`;
    expect(checkProgram(assemble(ret(8)), { level: 'kernel', programType: 'tracing', btf, attachTo: 'fexit/tcp_connect' })).toEqual([]);
    expect(checkProgram(assemble(ret(16)), { level: 'kernel', programType: 'tracing', btf, attachTo: 'fexit/tcp_connect' }).some((i) => i.rule === 'ctx-access')).toBe(true);
    expect(checkProgram(assemble(ret(8)), { level: 'kernel', programType: 'tracing', btf, attachTo: 'fentry/tcp_connect' }).some((i) => i.rule === 'ctx-access')).toBe(true);
  });
});
