import { describe, expect, it } from 'vitest';
import { spawnCli } from './helpers.js';

// test/fixtures/cli/missing_helpers.o: an XDP program tsbpf runs and a kprobe program calling two
// helpers no user-space VM has (bpf_sys_bpf 166, bpf_sys_close 168).
const obj = 'test/fixtures/cli/missing_helpers.o';

describe('objects calling helpers tsbpf lacks (spawned CLI)', () => {
  it('disasm shows every program, the one with missing helpers included', () => {
    const r = spawnCli(['disasm', obj]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('; program count_packets, section xdp\n');
    expect(r.out).toContain('; program poke, section kprobe/do_sys_open\n');
    expect(r.out).toMatch(/call 0xa6\n[^]*call 0xa8\n/);
  });
  it('inspect counts its instructions and names the missing helpers', () => {
    const r = spawnCli(['inspect', obj]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n {2}poke +kprobe\/do_sys_open +kprobe +9 +5\n/);
    expect(r.out).toContain("  poke calls helpers tsbpf lacks: 166 (bpf_sys_bpf), 168 (bpf_sys_close); 'tsbpf run' refuses it\n");
    const json = JSON.parse(spawnCli(['inspect', obj, '--json']).out) as { programs: { name: string; instructions?: number; missingHelpers: unknown[] }[] };
    expect(json.programs.find((p) => p.name === 'poke')).toMatchObject({
      instructions: 9,
      missingHelpers: [
        { id: 166, name: 'bpf_sys_bpf' },
        { id: 168, name: 'bpf_sys_close' },
      ],
    });
  });
  it('verify checks it and notes what only run needs', () => {
    // The object loads: each program gets the verifier's own verdict (kernel level: by helper prototypes).
    const kernel = spawnCli(['verify', obj]);
    expect(kernel.err).toBe('');
    expect(kernel.out).toMatch(/missing_helpers\.o:count_packets: OK/);
    expect(kernel.out).toMatch(/missing_helpers\.o:poke: (OK|rejected)/);
    const r = spawnCli(['verify', obj, '--level', 'shape']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${obj}:poke: OK (9 instructions)\n`);
    expect(r.out).toContain(`${obj}:poke: note: calls helpers tsbpf lacks (tsbpf run refuses it): 166 (bpf_sys_bpf), 168 (bpf_sys_close)\n`);
  });
  it('run refuses that program naming every missing helper, and runs the other', () => {
    const bad = spawnCli(['run', obj, '--program', 'poke']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^tsbpf run: E_ELF: program poke calls 2 helpers tsbpf does not implement: 166 \(bpf_sys_bpf, [^)]*\), 168 \(bpf_sys_close, [^)]*\): tsbpf cannot run this program/);
    expect(bad.err).not.toContain('options.helpers');
    const good = spawnCli(['run', obj, '--program', 'count_packets', '--mem-hex', '00'.repeat(14)]);
    expect(good.code).toBe(0);
    expect(good.out).toContain('XDP_PASS');
  });
});
