/**
 * rbpf README, "With JIT, on packet data" (unit test `test_jit_ldxh`), on the interpreter: the program
 * reads directly from the packet, whose address it receives in r1.
 * Run: npx tsx examples/seed/ldxh-packet.ts
 */
import { EbpfVmRaw } from '../../src/index.js';

/** Returns r0 (0x11). */
export function main(): bigint {
  const prog = Uint8Array.from([
    0x71, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // ldxb r0, [r1+2] (the README's comment says ldxh)
    0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // exit
  ]);
  // Let's use some data.
  const mem = Uint8Array.from([0xaa, 0xbb, 0x11, 0xcc, 0xdd]);
  // An eBPF VM for programs reading from a given memory area (it directly reads from packet data).
  const vm = new EbpfVmRaw(prog);
  return vm.executeProgram(mem);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`0x${main().toString(16)}`);
