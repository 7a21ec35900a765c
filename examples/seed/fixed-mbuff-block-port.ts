/**
 * rbpf README, "Loading code from an object file; and using a virtual metadata buffer" (unit test
 * `test_vm_block_port`). rbpf loads `load_elf__block_a_port.elf`; here the classifier is
 * `block_a_port.c` in this folder, built with `clang -O2 -target bpf -c block_a_port.c` and its
 * `.classifier` section copied below (no relocations). It reads 64-bit packet pointers at offsets 0x40 and
 * 0x50 of its context, which EbpfVmFixedMbuff fills in before every run, and calls bpf_trace_printk
 * (helper 6) before dropping packets from TCP port 0x9999.
 * Run: npx tsx examples/seed/fixed-mbuff-block-port.ts
 */
import { BPF_TRACE_PRINTK_IDX, EbpfVmFixedMbuff, bpfTracePrintf, setTraceSink } from '../../src/index.js';

const CLASSIFIER = [
  'b700000000000000', // r0 = 0
  '7912500000000000', // r2 = *(u64 *)(r1 + 80)
  '7911400000000000', // r1 = *(u64 *)(r1 + 64)
  'bf13000000000000', // r3 = r1
  '0703000036000000', // r3 += 54
  '2d23160000000000', // if r3 > r2 goto +22 <LBB0_5>
  '69120c0000000000', // r2 = *(u16 *)(r1 + 12)
  '5502140008000000', // if r2 != 8 goto +20 <LBB0_5>
  '7112170000000000', // r2 = *(u8 *)(r1 + 23)
  '5502120006000000', // if r2 != 6 goto +18 <LBB0_5>
  '6912220000000000', // r2 = *(u16 *)(r1 + 34)
  '5502100099990000', // if r2 != 39321 goto +16 <LBB0_5>
  'b702000000000000', // r2 = 0
  '732af8ff00000000', // *(u8 *)(r10 - 8) = r2
  '18020000706f7274', // r2 = 754393758907395952 ll
  '000000002025780a', // (second half of lddw)
  '7b2af0ff00000000', // *(u64 *)(r10 - 16) = r2
  '18020000626c6f63', // r2 = 2334102018788912226 ll
  '000000006b656420', // (second half of lddw)
  '7b2ae8ff00000000', // *(u64 *)(r10 - 24) = r2
  '6913220000000000', // r3 = *(u16 *)(r1 + 34)
  'dc03000010000000', // r3 = be16 r3
  'bfa1000000000000', // r1 = r10
  '07010000e8ffffff', // r1 += -24
  'b702000011000000', // r2 = 17
  '8500000006000000', // call 6
  '18000000ffffffff', // r0 = 4294967295 ll
  '0000000000000000', // (second half of lddw)
  '9500000000000000', // exit
].join('');

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
}

/** Returns r0 (0xffffffff: the packet is dropped) and the trace lines. */
export function main(): { result: bigint; trace: string[] } {
  const prog = hex(CLASSIFIER);

  // This is our data: a real packet, starting with Ethernet header
  const packet = Uint8Array.from([
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
    0x08, 0x00, // ethertype
    0x45, 0x00, 0x00, 0x3b, // start ip_hdr
    0xa6, 0xab, 0x40, 0x00,
    0x40, 0x06, 0x96, 0x0f,
    0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01,
    0x99, 0x99, 0xc6, 0xcc, // start tcp_hdr
    0xd1, 0xe5, 0xc4, 0x9d,
    0xd4, 0x30, 0xb5, 0xd2,
    0x80, 0x18, 0x01, 0x56,
    0xfe, 0x2f, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, // start data
    0x00, 0x23, 0x75, 0x89,
    0x00, 0x23, 0x63, 0x2d,
    0x71, 0x64, 0x66, 0x73,
    0x64, 0x66, 0x0a,
  ]);

  // A VM with an internal metadata buffer; the program expects the packet pointers at 0x40 and 0x50.
  const vm = new EbpfVmFixedMbuff(prog, 0x40, 0x50);

  // Register rbpf's trace_printk; its output goes to a sink the host chooses.
  const trace: string[] = [];
  const previous = setTraceSink((line) => trace.push(line));
  vm.registerHelper(BPF_TRACE_PRINTK_IDX, bpfTracePrintf);

  // This kind of VM takes the packet data only: the metadata buffer is handled internally.
  try {
    return { result: vm.executeProgram(packet), trace };
  } finally {
    setTraceSink(previous);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { result, trace } = main();
  for (const line of trace) console.log(line);
  console.log(`Program returned: ${result} (0x${result.toString(16)})`);
}
