/**
 * rbpf README, "Simple example" (unit test `test_vm_add`): a program that takes no data.
 * Run: npx tsx examples/seed/vm-add.ts
 */
import { EbpfVmNoData } from '../../src/index.js';

/** Returns r0 (0x3). */
export function main(): bigint {
  // This is the eBPF program, in the form of bytecode instructions.
  const prog = Uint8Array.from([
    0xb4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // mov32 r0, 0
    0xb4, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // mov32 r1, 2
    0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // add32 r0, 1
    0x0c, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // add32 r0, r1
    0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // exit
  ]);
  // An eBPF VM for programs that take no packet data; the program is passed to the constructor.
  const vm = new EbpfVmNoData(prog);
  // Execute (interpret) the program. No argument required for this VM.
  return vm.executeProgram();
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`0x${main().toString(16)}`);
