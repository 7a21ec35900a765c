import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'conformance');

interface ManifestEntry {
  name: string;
  program: string;
}

function asmSection(data: string): string | undefined {
  const m = /^-- asm\n([\s\S]*?)(?=^-- |$(?![\s\S]))/m.exec(data);
  return m?.[1];
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const manifest: ManifestEntry[] = readFileSync(join(DIR, 'manifest.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as ManifestEntry);

describe('assembling the conformance suite', () => {
  const files = readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.data'));
  it('covers every test file', () => {
    expect(files.length).toBe(manifest.length);
  });
  for (const entry of manifest) {
    const data = readFileSync(join(DIR, 'tests', entry.name), 'utf8');
    const asm = asmSection(data);
    if (asm === undefined) continue;
    it(entry.name, () => {
      expect(toHex(assemble(asm))).toBe(entry.program);
    });
  }
});
