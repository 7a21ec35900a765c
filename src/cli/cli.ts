/**
 * The `tsbpf` command line: dispatch to a command, uniform help and error reporting.
 * Errors are one line on stderr; exit code 2 for usage errors, 1 for failures; stack traces only with
 * `--debug`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { EbpfError } from '../errors.js';
import { UsageError, didYouMean } from './args.js';
import type { Command } from './command.js';
import { asmCommand } from './commands/asm.js';
import { conformancePluginCommand } from './commands/conformance-plugin.js';
import { debugCommand } from './commands/debug.js';
import { disasmCommand } from './commands/disasm.js';
import { inspectCommand } from './commands/inspect.js';
import { mapCommand } from './commands/map.js';
import { playgroundCommand } from './commands/playground.js';
import { runCommand } from './commands/run.js';
import { traceCommand } from './commands/trace.js';
import { verifyCommand } from './commands/verify.js';
import { InputError } from './input.js';
import type { CliIo } from './io.js';
import { jsonErrorOf } from './json-error.js';
import { cliHint } from './capture-pass.js';

/** Every command, in the order `tsbpf --help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  inspectCommand,
  mapCommand,
  traceCommand,
  debugCommand,
  disasmCommand,
  asmCommand,
  verifyCommand,
  playgroundCommand,
  conformancePluginCommand,
];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: tsbpf COMMAND [ARGS...]

A user-space eBPF virtual machine.

Commands:
${lines.join('\n')}

Run 'tsbpf COMMAND --help' for a command's options and an example.
Global options: --help, --version, --debug (stack traces on errors). Commands with --json also
report their errors as JSON ({"error": {"code", "message"}}) on stdout.
`;
}

/** Arguments up to a `--`, where `--help` and `--debug` are recognised. */
function beforeDashDash(argv: readonly string[]): readonly string[] {
  const at = argv.indexOf('--');
  return at < 0 ? argv : argv.slice(0, at);
}

/** Run the CLI with `argv` (the arguments after `tsbpf`); resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const head = beforeDashDash(argv);
  const debug = head.includes('--debug');
  const args = debug ? argv.filter((a, i) => !(a === '--debug' && i < head.length)) : [...argv];
  const name = args[0];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[1] : undefined;
    const cmd = COMMANDS.find((c) => c.name === topic);
    io.out(cmd?.help ?? mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`tsbpf ${version()}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (cmd === undefined) {
    const hint = name.startsWith('-')
      ? didYouMean(name.replace(/^-+/, ''), ['help', 'version'], (c) => `--${c}`)
      : didYouMean(name, COMMANDS.map((c) => c.name), (c) => `'${c}'`);
    io.err(`tsbpf: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'${hint}\nRun 'tsbpf --help' for the list of commands.\n`);
    return 2;
  }
  const rest = args.slice(1);
  const restHead = beforeDashDash(rest);
  if (restHead.includes('--help') || restHead.includes('-h')) {
    io.out(cmd.help);
    return 0;
  }
  if (restHead.includes('--version') || restHead.includes('-V')) {
    io.out(`tsbpf ${version()}\n`);
    return 0;
  }
  // A command with --json reports its errors as JSON too when asked for it.
  const json = 'json' in cmd.options && restHead.includes('--json');
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    return json ? reportJsonError(e, debug, io) : reportError(cmd.name, e, debug, io);
  }
}

/** `--json`: the error is the document, on stdout (the exit status still says it failed). */
function reportJsonError(e: unknown, debug: boolean, io: CliIo): number {
  const { error, status } = jsonErrorOf(e, debug);
  io.out(`${JSON.stringify({ error }, null, 2)}\n`);
  return status;
}

function reportError(command: string, e: unknown, debug: boolean, io: CliIo): number {
  const prefix = `tsbpf ${command}`;
  const stack = debug && e instanceof Error && e.stack !== undefined ? `${e.stack}\n` : '';
  if (e instanceof UsageError) {
    io.err(`${prefix}: ${e.message}\nRun 'tsbpf ${command} --help' for usage.\n${stack}`);
    return 2;
  }
  if (e instanceof InputError) {
    io.err(`${prefix}: ${e.message}\n${stack}`);
    return 1;
  }
  if (e instanceof EbpfError) {
    io.err(`${prefix}: ${e.code}: ${cliHint(e.message)}\n${stack}`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`${prefix}: internal error: ${message}${debug ? '' : ' (run with --debug for the stack trace)'}\n${stack}`);
  return 1;
}
