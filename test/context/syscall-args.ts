/** The context of test/fixtures/elf/syscall_run.c's programs, shared by the context and kernel tests. */

/** `struct args`: n, flags, values[8], sum, max, name[16] (104 bytes). */
export function syscallArgs(n: number, flags: number, values: readonly bigint[], name: string): Uint8Array {
  const out = new Uint8Array(104);
  const v = new DataView(out.buffer);
  v.setUint32(0, n, true);
  v.setUint32(4, flags, true);
  values.forEach((x, i) => v.setBigUint64(8 + 8 * i, x, true));
  out.set(new TextEncoder().encode(name).subarray(0, 16), 88);
  return out;
}
