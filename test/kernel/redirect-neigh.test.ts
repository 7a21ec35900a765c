/** bpf_redirect_neigh / bpf_redirect_peer verdicts (fixture tc_meta.c) in the kernel and in tsbpf. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { load } from '../elf/fixtures.js';
import { NEIGH_CASES, neighPacket } from '../elf/redirect-neigh-cases.js';
import { kernelOracle, skipNote, type KernelRequest } from './runner.js';

const O = fileURLToPath(new URL('../fixtures/elf/tc_meta.o', import.meta.url));
const k = kernelOracle();
if (typeof k === 'string') skipNote(k);

describe.skipIf(typeof k === 'string')('bpf_redirect_neigh / bpf_redirect_peer against the kernel', () => {
  it('gives the kernel verdict for every request, on both engines', () => {
    if (typeof k === 'string') return;
    const requests: KernelRequest[] = [
      { op: 'obj', path: O, program: 'redir_neigh' },
      { op: 'obj', path: O, program: 'redir_peer' },
      ...NEIGH_CASES.map((c): KernelRequest => ({ op: 'run', prog: { ref: c.program === 'redir_neigh' ? 0 : 1 }, data: neighPacket(c) })),
    ];
    const out = k.exec(requests);
    const kernel = out.slice(2).map((r, i) => `${NEIGH_CASES[i]!.name}: ${r.kind === 'run' ? r.retval : JSON.stringify(r)}`);
    const obj = load('tc_meta');
    for (const jit of [false, true]) {
      expect(NEIGH_CASES.map((c) => `${c.name}: ${obj.program(c.program).runTc(neighPacket(c), { jit })}`)).toEqual(kernel);
    }
    expect(kernel).toEqual(NEIGH_CASES.map((c) => `${c.name}: ${c.verdict}`));
  });
});
