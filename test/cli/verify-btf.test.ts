/**
 * `tsbpf verify --btf FILE`: BTF tracing programs (tp_btf, iter) checked at the kernel level with the
 * typed arguments of their attach target (test/fixtures/btf-ptr/btf_ptr.o against this kernel's BTF);
 * without --btf they get the shape checks. Skipped with a note where /sys/kernel/btf/vmlinux is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipNote } from '../kernel/runner.js';
import { cli } from './helpers.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const OBJECT = fileURLToPath(new URL('../fixtures/btf-ptr/btf_ptr.o', import.meta.url));
if (!existsSync(VMLINUX)) skipNote(`${VMLINUX} is missing: tsbpf verify --btf needs a kernel's BTF`);

describe.skipIf(!existsSync(VMLINUX))('tsbpf verify --btf', () => {
  it('refuses a store through a BTF pointer, naming the C line, and accepts a read', async () => {
    const bad = await cli(['verify', '--btf', VMLINUX, '--program', 'bad_sock_store', OBJECT]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/bad_sock_store: pc 2: error \[mem-access\]: only read is supported/);
    expect(bad.out).toMatch(/sk->sk_mark = 1;/);
    const ok = await cli(['verify', '--btf', VMLINUX, '--program', 'ok_iter_task', OBJECT]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ok_iter_task: OK \(\d+ instructions, kernel level as tracing\)/);
  });

  it('without --btf checks their shape only', async () => {
    const r = await cli(['verify', '--program', 'bad_sock_store', OBJECT]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/kernel level/);
  });

  it('names a --btf file that is not BTF', async () => {
    const r = await cli(['verify', '--btf', OBJECT.replace(/\.o$/, '.c'), OBJECT]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--btf .*btf_ptr\.c/);
  });
});
