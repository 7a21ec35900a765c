/**
 * `tsbpf playground`: serve the web playground (built by `npm run build:web` into dist/web, shipped in
 * the package) on a local port until interrupted.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, expectPositionals, intOption, parseArgs, stringOption } from '../args.js';
import type { Command } from '../command.js';
import { InputError } from '../input.js';
import { serveStatic } from '../static-server.js';

/**
 * Where the built playground is: beside the CLI in the package (dist/web, from this module in
 * dist/cli/commands/ or from the bundled CLI in dist/cli/), or dist/web of a source checkout.
 */
function defaultDir(): string | undefined {
  for (const rel of ['../../web/', '../web/', '../../../dist/web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`) && existsSync(`${dir}playground.js`)) return dir;
  }
  return undefined;
}

/** The `playground` command. */
export const playgroundCommand: Command = {
  name: 'playground',
  summary: 'serve the web playground (assemble, run, step through programs in a browser)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    dir: { type: 'string' },
  },
  help: `Usage: tsbpf playground [--port N] [--host ADDRESS] [--dir DIR]

Serve the tsbpf playground, a static page that runs entirely in the browser: write eBPF assembly or
open a clang-built object, give a packet as hex or open a capture, run it on the interpreter or the
JIT, see the verdict, maps and trace output, the disassembly with C source lines and the verifier's
findings at their instructions, and step through a run with registers and stack. Nothing is sent to
the server: it only hands out the page's files. Stop it with Ctrl-C.

The page's files can also be copied to any static host (npm run build:web writes them to dist/web).

Options:
  --port N        port to listen on (default 8080; 0 picks a free one)
  --host ADDRESS  address to listen on (default 127.0.0.1, this machine only)
  --dir DIR       serve this build of the page instead of the packaged one

Example:
  $ tsbpf playground
  tsbpf playground: http://127.0.0.1:8080/ (serving .../dist/web; Ctrl-C to stop)
`,
  async run(argv, io) {
    const args = parseArgs(argv, this.options);
    expectPositionals(args, []);
    const port = intOption(args, 'port', 0, 65535) ?? 8080;
    const host = stringOption(args, 'host') ?? '127.0.0.1';
    const dir = stringOption(args, 'dir') ?? defaultDir();
    if (dir === undefined) throw new InputError('the playground is not built: run `npm run build:web` in the tsbpf checkout (or give --dir DIR)');
    if (!existsSync(dir) || !existsSync(`${dir}/index.html`)) throw new InputError(`--dir ${dir}: no index.html there (build it with npm run build:web)`);
    let served;
    try {
      served = await serveStatic(dir, host, port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use; choose another with --port N (0 picks a free one)`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new UsageError(`cannot listen on ${host}:${port} (${code})`);
      throw e;
    }
    io.out(`tsbpf playground: ${served.url} (serving ${dir}; Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void served.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
