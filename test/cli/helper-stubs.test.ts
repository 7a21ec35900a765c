/** `--helper ID=VALUE`: a helper that returns VALUE and does nothing else (the user path spawned once; the rest in process). */
import { describe, expect, it } from 'vitest';
import { cli, spawnCli, tempFiles } from './helpers.js';

// test/fixtures/cli/missing_helpers.o: 'poke' calls bpf_sys_bpf (166) and bpf_sys_close (168).
const obj = 'test/fixtures/cli/missing_helpers.o';

describe('tsbpf run --helper ID=VALUE', () => {
  it('raw bytecode: r0 is the stub value, by number or kernel name, negative values as -errno', async () => {
    const dir = tempFiles({ 'p.s': 'call 7\nexit\n' });
    const a = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', '7=42']);
    expect(a.err).toBe('');
    expect(a.out).toBe('r0 = 0x2a (42)\n');
    const b = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', 'bpf_get_prandom_u32=-22', '--json']);
    expect(JSON.parse(b.out)).toMatchObject({ r0: '0xffffffffffffffea' });
    const c = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', 'get_prandom_u32=0x10']);
    expect(c.out).toBe('r0 = 0x10 (16)\n');
    // Without the stub the raw VM has no helper 7.
    expect((await cli(['run', `${dir}/p.s`, '--mem-hex', '00'])).err).toMatch(/E_UNKNOWN_HELPER/);
  });

  it('an object calling helpers tsbpf lacks runs with them stubbed (spawned); the refusal names the flag', async () => {
    const refused = await cli(['run', obj, '--program', 'poke', '--mem-hex', '00'.repeat(64)]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('--helper ID=VALUE');
    // --verify warn: the kernel-level analysis has no prototype for helper 166 (bpf_sys_bpf), so it cannot prove the call safe
    const r = spawnCli(['run', obj, '--program', 'poke', '--mem-hex', '00'.repeat(64), '--helper', '166=0', '--helper', 'bpf_sys_close=0', '--json', '--verify', 'warn']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('replaces an implemented helper in a capture run (every packet sees the stub)', async () => {
    const dir = tempFiles({ 'p.s': 'call 5\nexit\n' });
    // bpf_ktime_get_ns (5) made constant: r0 is that value for every packet of the capture.
    const r = await cli(['run', `${dir}/p.s`, '--pcap', 'examples/traffic.pcap', '--helper', 'bpf_ktime_get_ns=1234', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).verdicts).toEqual({ 'r0 = 1234': 12 });
  });

  it('--helper ID=FILE.mjs: the default export of the module is the helper (bigint arguments; a throw fails the packet)', async () => {
    const dir = tempFiles({
      'p.s': 'mov r1, 41\nmov r2, 7\ncall 7\nexit\n',
      'add.mjs': 'export default (r1, r2) => r1 + r2 * 2n;\n',
      'boom.mjs': 'export default () => { throw new Error("no entropy today"); };\n',
      'none.mjs': 'export const helper = () => 1n;\n',
    });
    const ok = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', `bpf_get_prandom_u32=${dir}/add.mjs`]);
    expect(ok.err).toBe('');
    expect(ok.out).toBe('r0 = 0x37 (55)\n');
    const boom = await cli(['run', `${dir}/p.s`, '--pcap', 'examples/traffic.pcap', '--helper', `7=${dir}/boom.mjs`, '--json']);
    expect(boom.code).toBe(1);
    const report = JSON.parse(boom.out);
    expect(report.errors.packets).toBe(12);
    expect(report.errors.first[0].message).toMatch(/no entropy today/);
    const none = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', `7=${dir}/none.mjs`]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/must export a function as its default export/);
    const missing = await cli(['run', `${dir}/p.s`, '--mem-hex', '00', '--helper', `7=${dir}/absent.mjs`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot load .*absent\.mjs/);
  });

  it('refuses malformed stubs with a usage error naming the flag', async () => {
    for (const [spec, what] of [
      ['7', /expected ID=VALUE/],
      ['nosuchhelper=1', /kernel helper name/],
      ['4294967296=1', /helper number/],
      ['7=abc', /VALUE must be an integer/],
      ['7=18446744073709551616', /VALUE must be an integer/],
    ] as const) {
      const r = await cli(['run', 'examples/xdp_firewall.o', '--packet-hex', '00', '--helper', spec]);
      expect(r.code, spec).toBe(2);
      expect(r.err, spec).toMatch(what);
    }
    const twice = await cli(['run', 'examples/xdp_firewall.o', '--packet-hex', '00', '--helper', '7=1', '--helper', 'bpf_get_prandom_u32=2']);
    expect(twice.err).toMatch(/helper 7 is given twice/);
  });
});
