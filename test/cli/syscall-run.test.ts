/**
 * `tsbpf run` on a syscall program (test/fixtures/elf/syscall_run.o's fold): `--mem` is the context the
 * caller passes, checked as BPF_PROG_TEST_RUN checks it (not shorter than the program's furthest context
 * access, at most 65535 bytes), and the report shows the context as the program left it.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const O = new URL('../fixtures/elf/syscall_run.o', import.meta.url).pathname;

/** struct args: n = 3, values 5, 9, 2, name "hello" (112 bytes). */
function args(): string {
  const b = Buffer.alloc(112);
  b.writeUInt32LE(3, 0);
  [5n, 9n, 2n].forEach((v, i) => b.writeBigUInt64LE(v, 8 + 8 * i));
  b.write('hello', 88);
  return b.toString('hex');
}

describe('tsbpf run a syscall program', () => {
  it('runs on the context given and reports it as the program left it', async () => {
    for (const jit of [[], ['--jit']]) {
      const r = await cli(['run', O, '--program', 'fold', '--mem-hex', args(), '--json', ...jit]);
      expect(r.err).toBe('');
      const doc = JSON.parse(r.out);
      expect(doc.r0Decimal).toBe('3');
      const ctx = Buffer.from(doc.packet.hex, 'hex');
      expect(ctx.readBigUInt64LE(72)).toBe(16n); // sum
      expect(ctx.readBigUInt64LE(80)).toBe(9n); // max
      expect(ctx.subarray(88, 104).toString()).toBe(`${'\0'.repeat(11)}olleh`); // name[16], reversed
    }
  });

  it('refuses a context shorter than the program reads, as the kernel does', async () => {
    const r = await cli(['run', O, '--program', 'fold', '--mem-hex', '030000']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/accesses its context up to byte 104, but the context given has 3 bytes/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
