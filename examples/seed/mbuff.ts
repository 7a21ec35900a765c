/**
 * rbpf README, "Using a metadata buffer" (unit test `test_jit_mbuff`). rbpf stores host pointers into the
 * metadata buffer; tsbpf programs see VM addresses, so the host stores MEM_START (where the VM maps `mem`)
 * and MEM_START + mem.length instead.
 * Run: npx tsx examples/seed/mbuff.ts
 */
import { EbpfVmMbuff, MEM_START } from '../../src/index.js';

/** Returns r0 (0x2211). */
export function main(): bigint {
  const prog = Uint8Array.from([
    // Load mem from mbuff at offset 8 into R1
    0x79, 0x11, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    // ldhx r1[2], r0
    0x69, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x95, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  ]);
  const mem = Uint8Array.from([0xaa, 0xbb, 0x11, 0x22, 0xcc, 0xdd]);

  // Just for the example we create our metadata buffer from scratch, and we store the pointers to packet
  // data start and end in it.
  const mbuff = new Uint8Array(32);
  const view = new DataView(mbuff.buffer);
  view.setBigUint64(8, BigInt(MEM_START), true); // data
  view.setBigUint64(24, BigInt(MEM_START + mem.length), true); // data_end

  // This eBPF VM is for programs that use a metadata buffer.
  const vm = new EbpfVmMbuff(prog);
  return vm.executeProgram(mem, mbuff);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`0x${main().toString(16)}`);
