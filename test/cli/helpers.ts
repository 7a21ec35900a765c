import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli.js';

/** The result of one CLI invocation. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
  bytes: Uint8Array;
}

/** Run the CLI in process with captured streams. */
export async function cli(argv: string[], stdin: string | Uint8Array = ''): Promise<CliResult> {
  let out = '';
  let err = '';
  const chunks: number[] = [];
  const code = await runCli(argv, {
    out: (t) => void (out += t),
    outBytes: (b) => void chunks.push(...b),
    err: (t) => void (err += t),
    readStdin: async () => (typeof stdin === 'string' ? new TextEncoder().encode(stdin) : stdin),
  });
  return { code, out, err, bytes: Uint8Array.from(chunks) };
}

const root = new URL('../../', import.meta.url).pathname;

/** Run the real executable (src/cli/main.ts through tsx), as a user would. */
export function spawnCli(argv: string[], stdin = ''): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...argv], {
    input: stdin,
    encoding: 'utf8',
    cwd: root,
    timeout: 60_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A fresh temp dir with the given files. */
export function tempFiles(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A bpf_conformance manifest entry as the plugin protocol speaks it: hex text. */
export interface ManifestEntry {
  name: string;
  program: string;
  mem: string;
  result: string;
}

/** Every entry of test/fixtures/conformance/manifest.jsonl. */
export const manifest: ManifestEntry[] = readFileSync(new URL('../fixtures/conformance/manifest.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as ManifestEntry);

/** The plugin's memory argument: hex bytes each followed by two spaces, none when there is no memory. */
export const memArgs = (hex: string): string[] => (hex === '' ? [] : [hex.match(/../g)!.map((b) => `${b}  `).join('')]);
