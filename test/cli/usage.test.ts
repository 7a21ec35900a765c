import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cli, spawnCli, tempFiles } from './helpers.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('version, did-you-mean and JSON errors (spawned CLI)', () => {
  it('prints the version globally and after any command', async () => {
    expect(spawnCli(['run', '--version'])).toMatchObject({ code: 0, out: `tsbpf ${version}\n`, err: '' });
    for (const argv of [['--version'], ['inspect', '-V']]) {
      expect(await cli(argv)).toMatchObject({ code: 0, out: `tsbpf ${version}\n`, err: '' });
    }
  });
  it('suggests the command or option meant', async () => {
    expect(spawnCli(['rn', 'x'])).toMatchObject({ code: 2, err: expect.stringContaining("unknown command 'rn' (did you mean 'run'?)") });
    expect((await cli(['--verison'])).err).toContain("unknown option '--verison' (did you mean --version?)");
    expect(spawnCli(['run', 'x', '--jsno'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --jsno (did you mean --json?)') });
    expect((await cli(['disasm', 'x', '--lvm'])).err).toContain('(did you mean --llvm?)');
    // Nothing close: no guess.
    expect((await cli(['run', 'x', '--zzzzzzzz'])).err).toMatch(/unknown option --zzzzzzzz\n/);
  });
  it('reports every error as JSON under --json: usage, input and program errors, never a stack', async () => {
    expect(JSON.parse(spawnCli(['inspect', '/nonexistent.o', '--json']).out)).toMatchObject({ error: { code: 'E_INPUT' } });
    const dir = tempFiles({ 'bad.json': '{' });
    const cases: [string[], number, string][] = [
      [['run', 'examples/tc_mark.o', '--json', '--bogus'], 2, 'E_USAGE'],
      [['inspect', '/nonexistent.o', '--json'], 1, 'E_INPUT'],
      [['inspect', 'README.md', '--json'], 1, 'E_INPUT'],
      [['run', 'examples/tc_mark.o', '--mem-hex', 'abc', '--json'], 1, 'E_INPUT'],
      [['run', 'examples/tc_mark.o', '--program', 'nope', '--json'], 1, 'E_INPUT'],
      [['run', 'examples/xdp_firewall.o', '-r', 'README.md', '--json'], 1, 'E_INPUT'],
      [['run', 'examples/xdp_firewall.o', '-r', 'examples/traffic.pcap', '--map', `proto_stats=${dir}/bad.json`, '--json'], 1, 'E_INPUT'],
      [['run', '95', '--json'], 1, 'E_VERIFY'],
    ];
    for (const [argv, code, errorCode] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err, argv.join(' ')).toBe('');
      const doc = JSON.parse(r.out) as { error: { code: string; message: string } };
      expect(doc.error.code, argv.join(' ')).toBe(errorCode);
      expect(doc.error.message).not.toMatch(/\n|    at |internal error/);
    }
  });
  it('names the path for unwritable outputs and bad inputs, in one line without a stack trace', async () => {
    const cases: string[][] = [
      ['run', 'examples/xdp_firewall.o', '-r', 'examples/traffic.pcap', '-w', '/nonexistent-dir/x.pcap'],
      ['run', 'examples/xdp_firewall.o', '-r', 'examples/traffic.pcap', '-w', '/tmp'],
      ['run', 'examples/xdp_firewall.o', '--dump-wasm', '/nonexistent-dir/x.wasm', '--mem-hex', '00'],
      ['inspect', 'examples'],
      ['run', 'examples/tc_mark.o', '--mem-hex', 'zz'],
      ['disasm', 'examples/tc_mark.o', '--program', 'nope'],
      ['verify', 'examples/tc_mark.o', '--program', 'nope'],
      ['trace', 'examples/xdp_firewall.o', '--pcap', '/nonexistent.pcap'],
      ['asm', 'examples/tc_mark.c'],
    ];
    for (const argv of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.err, argv.join(' ')).not.toMatch(/internal error|    at /);
    }
  });
});
