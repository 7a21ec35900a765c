/**
 * Builds the playground (web/) into a folder of static files: index.html, playground.css and one
 * bundled script with the library and the example object and capture inside, so the page works
 * offline, from any static host and from a file:// URL. `npm run build:web` writes dist/web, which
 * `tsbpf playground` serves.
 *
 * Usage: tsx scripts/build-web.ts [OUT_DIR] (its one line of output goes to stderr: `npm pack --json` runs it)
 * @module
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/** Bundle the playground into `outDir`; resolves with the size of the script in bytes. */
export async function buildWeb(outDir: string): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'web', 'main.ts')],
    bundle: true,
    format: 'iife',
    // 'browser' makes esbuild refuse `node:` imports: nothing that needs Node can reach the page.
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    loader: { '.o': 'binary', '.pcap': 'binary' },
    legalComments: 'none',
  });
  const script = result.outputFiles[0];
  if (script === undefined) throw new Error('esbuild produced no output');
  writeFileSync(join(outDir, 'playground.js'), script.contents);
  copyFileSync(join(root, 'web', 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(root, 'web', 'playground.css'), join(outDir, 'playground.css'));
  return script.contents.length;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = resolve(process.argv[2] ?? join(root, 'dist', 'web'));
  const size = await buildWeb(out);
  console.error(`playground built in ${out} (playground.js ${(size / 1024).toFixed(0)} KB)`);
}
