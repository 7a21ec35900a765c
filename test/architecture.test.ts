import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// The core library must run in browsers: only the CLI may use Node's modules and globals.
describe('architecture', () => {
  const core = sourceFiles(root).filter((f) => !relative(root, f).startsWith('cli'));

  it('finds the core sources', () => {
    expect(core.length).toBeGreaterThan(5);
  });

  it.each(core.map((f) => [relative(root, f), f]))('%s imports nothing from Node', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/from\s+['"](node:|fs['"]|path['"]|os['"]|child_process['"])/);
    expect(text).not.toMatch(/\brequire\s*\(/);
    expect(text).not.toMatch(/\bBuffer\.|\bprocess\.(env|argv|stdout|stderr|exit)/);
  });

  it.each(core.map((f) => [relative(root, f), f]))('%s does not import the CLI', (_name, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/from\s+['"][./]+\/cli\//);
  });
});
