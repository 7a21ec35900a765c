/**
 * `tsbpf debug`: the session driven by scripts in process (stepping, next over calls, breakpoints,
 * views) and the spawned command fed through stdin as a user pipes it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/assembler.js';
import { DebugQuit, DebugSession } from '../../src/cli/debugger.js';
import type { CliIo } from '../../src/cli/io.js';
import { TracingVmRaw } from '../../src/vm/trace.js';
import { spawnCli, tempFiles } from './helpers.js';

/** pc0 r1 = 5; pc1 call pc3; pc2 exit; pc3 r0 = r1; pc4 r0 += 1; pc5 exit. */
const CALLS = 'r1 = 5\ncall local +1\nexit\nr0 = r1\nr0 += 1\nexit';

function session(source: string, script: string[], breaks: string[] = []): { out: string; r0: bigint | 'quit'; s: DebugSession } {
  let out = '';
  const io: CliIo = { out: (t) => void (out += t), outBytes: () => {}, err: (t) => void (out += t), readStdin: async () => new Uint8Array(0) };
  const vm = new TracingVmRaw(assemble(source));
  const lines = [...script];
  const s = new DebugSession({ program: vm.program!, lines: new Map(), llvm: true, helperNames: false, stackSize: 512 }, io, () => lines.shift(), true);
  for (const b of breaks) s.addBreakpoint(b);
  if (breaks.length > 0) s.runToBreakpoint();
  let r0: bigint | 'quit';
  try {
    r0 = vm.executeProgramTraced(new Uint8Array(8), () => true, { start: s.start, before: s.before });
  } catch (e) {
    if (!(e instanceof DebugQuit)) throw e;
    r0 = 'quit';
  }
  return { out, r0, s };
}

function positions(out: string): number[] {
  return [...out.matchAll(/^=> +(\d+):/gm)].map((m) => Number(m[1]));
}

describe('debug session', () => {
  it('stops before the first instruction and steps into calls', () => {
    const { out, r0 } = session(CALLS, ['step', 'step', 'bt', 'step 2', 'continue']);
    expect(positions(out)).toEqual([0, 1, 3, 5]);
    expect(out).toMatch(/depth 1, .*pc 3/);
    expect(r0).toBe(6n);
  });

  it('next runs a call to its return; a blank line repeats it', () => {
    const { out, r0 } = session(CALLS, ['next', '', 'regs', 'c']);
    expect(positions(out)).toEqual([0, 1, 2]);
    expect(out).toMatch(/^\*r0 +0x6 +6$/m); // changed since the last stop
    expect(r0).toBe(6n);
  });

  it('breakpoints by pc and function name; continue stops at each hit', () => {
    const loop = 'r0 = 0\nl: r0 += 1\nif r0 < 3 goto l\nexit';
    const { out, r0 } = session(loop, ['c', 'c', 'delete', 'c'], ['1']);
    expect(positions(out)).toEqual([1, 1, 1]);
    expect(out.match(/breakpoint at pc 1/g)).toHaveLength(3);
    expect(r0).toBe(3n);
  });

  it('refuses bad locations and commands with a message, and quits on request or at the end of input', () => {
    const { out, r0 } = session(CALLS, ['break 99', 'break nowhere', 'break 12:4', 'frob', 'step 0', 'x zz', 'x 0x1 9999', 'quit']);
    expect(out).toMatch(/pc 99 is past the program's last slot \(5\)/);
    expect(out).toMatch(/'nowhere' is not a pc, a C line/);
    expect(out).toMatch(/no C line information/);
    expect(out).toMatch(/unknown command 'frob'/);
    expect(out).toMatch(/'0' is not a positive count/);
    expect(out).toMatch(/x needs an address/);
    expect(out).toMatch(/the length must be 1-4096/);
    expect(r0).toBe('quit');
    expect(session(CALLS, ['step']).r0).toBe('quit');
  });

  it('reads live memory: the stack after a store, and refuses unmapped addresses', () => {
    const { out } = session('r1 = 0x1122334455667788 ll\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit', ['step 2', 'stack 8', 'x 0x10', 'c']);
    expect(out).toMatch(/88 77 66 55 44 33 22 11/);
    expect(out).toMatch(/cannot read 32 bytes at 0x10/);
  });
});

describe('tsbpf debug (spawned, commands piped in)', () => {
  it('stops at a C line of an object, shows registers, stack, maps, and ends with the verdict', () => {
    const r = spawnCli(['debug', 'examples/xdp_firewall.o', '--pcap', 'examples/traffic.pcap', '--packet', '3', '--break', 'xdp_firewall.c:73', '--llvm'], 'regs\nstack 16\nmaps drops_by_saddr\nlist 4\ncontinue\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^breakpoint at pc 99\n\.\/xdp_firewall\.c:73: bpf_printk/);
    expect(r.out).toMatch(/^\(tsbpf\) regs\n r0 /m);
    expect(r.out).toMatch(/c0 a8 01 42/); // the source address on the stack
    expect(r.out).toMatch(/drops_by_saddr \(hash, key __be32, value __u64\): 1 entry\n {4}192\.168\.1\.66: 1/);
    expect(r.out).toMatch(/trace_printk: drop port 23 from c0a80142\nresult: r0 = 0x1 \(1\) XDP_DROP after 83 instructions\n$/);
  });

  it('debugs assembly on --mem-hex; the end of input stops the run; bad flags are usage errors', () => {
    const dir = tempFiles({ 'prog.s': 'ldxb r0, [r1+1]\nexit\n' });
    const r = spawnCli(['debug', join(dir, 'prog.s'), '--mem-hex', '0a0b', '--llvm'], 'x 0x10000000 2\nstep\n');
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0x10000000: {2}0a 0b/);
    expect(r.out).toMatch(/^=> +0: r0 = \*\(u8 \*\)\(r1 \+ 1\)/m);
    expect(r.out).toMatch(/end of input: stopping the run\nstopped by the debugger after 2 instructions/);
    const bad = spawnCli(['debug', 'examples/xdp_firewall.o', '--pcap', 'examples/traffic.pcap', '--break', 'xdp_firewall.c:9999']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--break xdp_firewall\.c:9999: no instruction starts at/);
  });
});
