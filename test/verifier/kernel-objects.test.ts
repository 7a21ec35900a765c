/** Every clang-built object of the repository passes the kernel-level verifier (the kernel accepts them all). */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/elf/index.js';
import { analyzeObject } from './objects.js';

const DIRS = ['examples', 'test/fixtures/elf'];
const objects = DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.o') && f !== 'unknown_helper.o' && f !== 'rodata_abuse.o').map((f) => `${d}/${f}`));

describe('clang-built objects at the kernel level', () => {
  it('finds the objects', () => {
    expect(objects.length).toBeGreaterThanOrEqual(14);
  });
  it('rejects every program of rodata_abuse.o (the kernel refuses them all)', () => {
    const obj = loadObject(new Uint8Array(readFileSync('test/fixtures/elf/rodata_abuse.o')));
    const results = analyzeObject(obj);
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) expect({ program: r.name, rejected: r.issues.some((i) => i.severity === 'error') }).toEqual({ program: r.name, rejected: true });
  });
  for (const path of objects) {
    it(`accepts every program of ${path}`, () => {
      const obj = loadObject(new Uint8Array(readFileSync(path)));
      const results = analyzeObject(obj);
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect({ program: r.name, issues: r.issues }).toEqual({ program: r.name, issues: [] });
    });
  }
});
