/**
 * The whole bpf_conformance suite (313 tests, cpu v4, callx included) on the interpreter, in process:
 * as VMs run it (its WebAssembly loop, handing calls and the rest to its JS loop) and on its JS loop alone.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceManifest, runConformanceCase } from '../../src/vm/conformance.js';

const manifest = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'conformance', 'manifest.jsonl'), 'utf8');
const tests = parseConformanceManifest(manifest);

describe('bpf_conformance on the interpreter', () => {
  it('has all 313 tests', () => {
    expect(tests).toHaveLength(313);
  });

  it.each(tests.map((t) => [t.name, t] as const))('%s', (_name, test) => {
    const outcome = runConformanceCase(test);
    expect(outcome.error?.message).toBeUndefined();
    expect(outcome.actual).toBe(test.result);
  });
});

describe('bpf_conformance on the interpreter without its WebAssembly loop', () => {
  it('passes every test', () => {
    const failures = tests
      .map((test) => runConformanceCase(test, undefined, { interpreter: { wasmCore: false } }))
      .filter((o) => o.error !== undefined || o.actual !== o.test.result)
      .map((o) => `${o.test.name}: ${o.error?.message ?? String(o.actual)}`);
    expect(failures).toEqual([]);
  });
});
