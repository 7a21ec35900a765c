/**
 * Every `import { … } from 'tsbpf'` or `from 'tsbpf/<entry>'` shown in the README and docs/ names something
 * that entry exports, and every entry point in package.json's `exports` loads by name, from ESM and from
 * CommonJS, as a user's code would load it (a child Node process resolving this package by its name:
 * package.json exports → dist/, built by `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
/** `tsbpf`, `tsbpf/isa`… for every entry of `exports` but package.json itself. */
const entries = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'tsbpf' : `tsbpf/${k.slice(2)}`));

/** The names each entry exports, loaded in a child process by `import()` and by `require()`. */
function loadEntries(): Record<string, { esm: string[]; cjs: string[] }> {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const out = {};
    for (const e of ${JSON.stringify(entries)}) out[e] = { esm: Object.keys(await import(e)).sort(), cjs: Object.keys(require(e)).filter((k) => k !== '__esModule' && k !== 'module.exports').sort() };
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, { esm: string[]; cjs: string[] }>;
}

describe('imports shown in the documentation', () => {
  const shown: { file: string; from: string; name: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(tsbpf(?:\/[a-z]+)?)'/g)) {
      for (const part of m[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!.trim();
        if (name !== '' && !name.startsWith('type ') && name !== '…') shown.push({ file, from: m[2]!, name });
      }
    }
  }
  const loaded = loadEntries();

  it('finds the README import lines, of the root and of subpaths', () => {
    expect(shown.filter((s) => s.file === 'README.md').length).toBeGreaterThanOrEqual(5);
    expect(shown.some((s) => s.from !== 'tsbpf')).toBe(true);
  });
  it('names only entries and values the package exports', () => {
    const missing = shown.filter((s) => !loaded[s.from]?.esm.includes(s.name)).map((s) => `${s.file}: ${s.name} from '${s.from}'`);
    expect(missing).toEqual([]);
  });
  it('every entry point loads by name from ESM and from CommonJS, with the same names', () => {
    expect(entries.length).toBe(12);
    for (const e of entries) {
      expect(loaded[e]!.esm.length, e).toBeGreaterThan(0);
      expect(loaded[e]!.cjs, e).toEqual(loaded[e]!.esm);
    }
  });
  it('the root is the small everyday surface: no internals', () => {
    const rootNames = loaded['tsbpf']!.esm;
    expect(rootNames.length).toBeLessThan(80);
    for (const internal of ['splitWideImm', 'round8', 'slotCount', 'VmMemory', 'Interpreter', 'JitEngine', 'linkProgram', 'RunSpace', 'createMap', 'PacketSession', 'ProgramRunner']) {
      expect(rootNames, internal).not.toContain(internal);
    }
  });
});
