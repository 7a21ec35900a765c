// Run with: npx tsx examples/quickstart.ts
import { readFileSync } from 'node:fs';
import { EbpfVmRaw, assemble, loadObject, readPackets, XdpAction } from 'tsbpf';

// 1. Assemble a program, then run it on a packet with the interpreter and with the JIT.
const prog = assemble(`
  ldxh r0, [r1+12]   # the EtherType field
  be16 r0            # network to host order
  exit`);
const packet = new Uint8Array(60);
packet.set([0x08, 0x00], 12); // IPv4
const vm = new EbpfVmRaw(prog);
console.log('interpreter:', vm.executeProgram(packet)); // 2048n
vm.jitCompile();
console.log('JIT:', vm.executeProgramJit(packet)); // 2048n

// 2. Load a clang-compiled XDP program with its maps and run it over a capture.
const obj = loadObject(readFileSync('examples/xdp_firewall.o'));
const firewall = obj.program('xdp_firewall');
const verdicts = new Map<string, number>();
for (const { data } of readPackets(readFileSync('examples/traffic.pcap'))) {
  const { action } = firewall.runXdp(data, { jit: true });
  const name = Object.keys(XdpAction).find((k) => XdpAction[k as keyof typeof XdpAction] === action) ?? String(action);
  verdicts.set(name, (verdicts.get(name) ?? 0) + 1);
}
console.log('verdicts:', Object.fromEntries(verdicts));

// 3. Read the program's hash map from TypeScript: key u32 protocol, value { u64 packets, u64 bytes }.
for (const [key, value] of obj.map('proto_stats').entries()) {
  const v = new DataView(value.buffer, value.byteOffset);
  const proto = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
  console.log(`protocol ${proto}: ${v.getBigUint64(0, true)} packets, ${v.getBigUint64(8, true)} bytes`);
}
