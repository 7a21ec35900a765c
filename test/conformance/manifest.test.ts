/**
 * The whole bpf_conformance suite (313 tests, cpu v4, callx included) on the interpreter, in process.
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
