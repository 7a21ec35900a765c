/**
 * Bundles the command line (src/cli/main.ts and everything it imports) into one file,
 * dist/cli/tsbpf.js, the package's `tsbpf` executable. Node loads one module instead of about 150:
 * `tsbpf --version` took 0.35-0.40 s of CPU unbundled against 0.17-0.19 s bundled (Node alone: 0.1 s;
 * 2-core AMD EPYC, Node 20.20, 2026-12-05), which is a tenth of a 1,000,000-packet capture run. The
 * unbundled dist/cli/main.js (tsc's output) stays and behaves the same.
 *
 * A bundled module's `import.meta.url` is the bundle's, so a module that finds files relative to
 * itself must live in src/cli/ (same depth as dist/cli/tsbpf.js) or try both places, as the
 * playground command does; the build refuses a bundle in which another module uses it.
 *
 * The pool's worker thread (src/cli/pool-thread.ts, what `--workers N` starts per worker) is bundled the
 * same way, to pool-thread.js beside the CLI (replacing tsc's output in dist/cli/): each worker loaded
 * about 150 modules before (about 65 ms of compile per worker, 2026-12-05).
 *
 * The bundles are written without indentation and line breaks (esbuild's minifyWhitespace; names are kept and
 * the source map beside each maps back): Node parses the whole bundle before it runs any of it, and
 * 30% fewer bytes took about 14 ms off a run's start-up (1.46 MB to 1.06 MB; 2026-12-07).
 *
 * Usage: tsx scripts/build-cli.ts [OUT_FILE] (its one line of output goes to stderr)
 * @module
 */
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/** Modules allowed to use `import.meta.url` in the bundle (they look for files in places that hold from dist/cli/). */
const META_URL_OK = new Set(['src/cli/cli.ts', 'src/cli/commands/playground.ts', 'src/cli/pool-node.ts', 'src/cli/launch.ts']);

/**
 * Bundle the CLI into `outFile`: the launcher (src/cli/launch.ts, which starts the pool threads a
 * `--workers N` run asks for before it loads the rest), the command line beside it (tsbpf-main.js)
 * and its pool thread (pool-thread.js); resolves with the command line bundle's size in bytes.
 */
export async function buildCli(outFile: string): Promise<number> {
  await bundle(join(root, 'src', 'cli', 'launch.ts'), outFile);
  const size = await bundle(join(root, 'src', 'cli', 'main.ts'), join(dirname(outFile), 'tsbpf-main.js'));
  await bundle(join(root, 'src', 'cli', 'pool-thread.ts'), join(dirname(outFile), 'pool-thread.js'));
  return size;
}

/** Bundle `entry` and everything it imports into `outFile`; resolves with its size in bytes. */
async function bundle(entry: string, outFile: string): Promise<number> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    // Without indentation and blank lines: V8 parses the whole bundle before it runs (about 30% fewer bytes; names are kept, and the source map maps back).
    minifyWhitespace: true,
  });
  for (const input of Object.keys(result.metafile.inputs)) {
    const rel = relative(root, resolve(root, input)).split('\\').join('/');
    if (!rel.startsWith('src/') || META_URL_OK.has(rel)) continue;
    if (readFileSync(join(root, rel), 'utf8').includes('import.meta.url')) {
      throw new Error(
        `${rel} uses import.meta.url, which in the bundled CLI (${relative(root, outFile)}) is the bundle's URL, not the module's: find the file another way, or list the module in scripts/build-cli.ts once its paths hold from ${relative(root, dirname(outFile))}/`,
      );
    }
  }
  chmodSync(outFile, 0o755);
  return result.metafile.outputs[relative(root, outFile).split('\\').join('/')]?.bytes ?? 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = resolve(process.argv[2] ?? join(root, 'dist', 'cli', 'tsbpf.js'));
  const size = await buildCli(out);
  console.error(`command line bundled in ${out} (${(size / 1024).toFixed(0)} KB)`);
}
