import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('README quickstart', () => {
  const source = readFileSync(join(root, 'examples', 'quickstart.ts'), 'utf8').trimEnd();

  it('the README shows examples/quickstart.ts verbatim', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('```ts\n' + source + '\n```');
  });

  it('runs and prints what the README says, importing the built package by name', () => {
    // `tsbpf` resolves to this package itself (package.json exports → dist/, built by `npm test` / `npm run build`).
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'interpreter: 2048n',
        'JIT: 2048n',
        "verdicts: { PASS: 9, DROP: 3 }",
        'protocol 6: 5 packets, 270 bytes',
        'protocol 17: 4 packets, 280 bytes',
        'protocol 1: 1 packets, 58 bytes',
        '',
      ].join('\n'),
    );
  });

  it('the README error example is what an out-of-bounds load reports', async () => {
    const { EbpfVmRaw, assemble } = await import('../../src/index.js');
    const vm = new EbpfVmRaw(assemble('mov r0, 1\nmov r2, 2\nadd r0, r2\nldxw r0, [r1+64]\nexit'));
    let message = '';
    try {
      vm.executeProgram(new Uint8Array(64));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('`' + message + '`');
  });
});
