/**
 * Writable raw tracepoints against the kernel (6.18, as root): the kernel loads
 * test/fixtures/elf/raw_tp_writable.o's rewrite as tsbpf's analysis accepts it, and refuses to test-run
 * the type (BPF_PROG_TEST_RUN: ENOTSUPP, 524), so its runs (test/context/raw-tp-writable.test.ts) have no
 * kernel to compare with: this test says so in a note, and fails if a kernel starts running them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { fixture } from '../elf/fixtures.js';
import { kernelOracle, kernelSkipReason, skipNote } from './runner.js';

const reason = kernelSkipReason();
const O = fileURLToPath(new URL('../fixtures/elf/raw_tp_writable.o', import.meta.url));

describe.skipIf(reason !== undefined)('writable raw tracepoints: tsbpf and the kernel', () => {
  it('the kernel loads rewrite as tsbpf does, and will not test-run it', () => {
    const k = kernelOracle();
    if (typeof k === 'string') throw new Error(k);
    const [o, run] = k.exec([{ op: 'obj', path: O, program: 'rewrite' }, { op: 'run', prog: { ref: 0 }, ctx: new Uint8Array(16), dataOut: 0, ctxOut: 0, repeat: 0 }]);
    expect(o).toMatchObject({ kind: 'obj', accepted: true, progType: 24 }); // BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE
    const obj = loadObject(fixture('raw_tp_writable'));
    obj.program('rewrite');
    expect(obj.verification.get('rewrite')).toEqual({ programType: 'raw_tracepoint_writable', issues: [] });
    expect(run).toMatchObject({ kind: 'err', errno: 524 });
    skipNote('the kernel does not test-run raw_tracepoint_writable programs (ENOTSUPP): their runs are checked against the type\'s documented context only');
  });
});
