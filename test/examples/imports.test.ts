/** Every `import { … } from 'tsbpf'` shown in the README and docs/ names something the package exports. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tsbpf from '../../src/index.js';

const root = join(import.meta.dirname, '../..');
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('imports shown in the documentation', () => {
  const shown: { file: string; name: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'tsbpf'/g)) {
      for (const part of m[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!.trim();
        if (name !== '' && !name.startsWith('type ') && name !== '…') shown.push({ file, name });
      }
    }
  }
  it('finds the README import lines', () => {
    expect(shown.filter((s) => s.file === 'README.md').length).toBeGreaterThanOrEqual(5);
  });
  it('names only values the package exports', () => {
    const missing = shown.filter((s) => !(s.name in tsbpf)).map((s) => `${s.file}: ${s.name}`);
    expect(missing).toEqual([]);
  });
});
