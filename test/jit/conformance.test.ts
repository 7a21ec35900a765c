import { describe, it, expect } from 'vitest';
import { JitEngine } from '../../src/jit/engine.js';
import { hexBytes, loadManifest, Program, runWith } from './harness.js';

const engine = new JitEngine();

describe('JIT: bpf_conformance suite', () => {
  const cases = loadManifest();
  it('has all 313 tests', () => {
    expect(cases.length).toBe(313);
  });
  for (const t of cases) {
    it(t.name, () => {
      const program = new Program(hexBytes(t.program), t.name);
      const r = runWith(engine, program, hexBytes(t.mem));
      expect('0x' + r.toString(16)).toBe('0x' + BigInt(t.result).toString(16));
    });
  }
});
