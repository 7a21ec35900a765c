/**
 * Per-packet cost of running ELF programs through `ProgramRunner` (what `tsbpf run OBJ.o --pcap F`
 * pays per packet): every program of the three examples/*.o objects over the packets of
 * examples/traffic.pcap, on the interpreter and the JIT. Prints a Markdown table of nanoseconds per
 * packet (fastest batch, median batch in brackets).
 *
 *   npx tsx bench/xdp-runner.ts [--quick]
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject, type ProgramInfo } from '../src/elf/loader.js';
import { readPackets } from '../src/pcap/index.js';
import { timeRuns } from './timing.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const OBJECTS = ['xdp_firewall', 'socket_dns', 'tc_mark'] as const;

const quick = process.argv.includes('--quick');
const packets = readPackets(readFileSync(`${root}examples/traffic.pcap`)).map((p) => p.data);

/** One packet's run as a bigint (so timeRuns can check it), cycling through the capture. */
function packetLoop(run: (packet: Uint8Array) => bigint): () => bigint {
  let i = 0;
  return () => {
    const r = run(packets[i]!);
    i = i + 1 === packets.length ? 0 : i + 1;
    return r;
  };
}

function runnerFor(file: string, info: ProgramInfo, jit: boolean): (packet: Uint8Array) => bigint {
  // A fresh object per engine, so map state from one engine's runs does not leak into the other's.
  const obj = loadObject(readFileSync(`${root}examples/${file}.o`));
  const runner = obj.program(info.name);
  const options = { jit };
  switch (info.type) {
    case 'xdp':
      return (p) => BigInt(runner.runXdp(p, options).action);
    case 'socket':
      return (p) => runner.runSocketFilter(p, options);
    case 'tc':
      return (p) => runner.runTc(p, options);
    default:
      return (p) => runner.run(undefined, { ...options, mem: p.slice() });
  }
}

const rows: string[] = [];
for (const file of OBJECTS) {
  const probe = loadObject(readFileSync(`${root}examples/${file}.o`));
  for (const info of probe.programs) {
    const cells: string[] = [];
    for (const jit of [false, true]) {
      const t = timeRuns(packetLoop(runnerFor(file, info, jit)), {
        budgetMs: quick ? 150 : 1000,
        warmupMs: quick ? 100 : 300,
        check: () => undefined,
      });
      cells.push(`${t.ns.toFixed(0)} (${t.medianNs.toFixed(0)})`);
    }
    rows.push(`| ${file}.o | ${info.name} (${info.type}) | ${cells[0]} | ${cells[1]} |`);
    process.stderr.write('.');
  }
}
process.stderr.write('\n');
process.stdout.write(`${packets.length} packets of examples/traffic.pcap, ns per packet: fastest batch (median batch)\n\n`);
process.stdout.write('| object | program | interpreter | jit |\n|---|---|---|---|\n');
process.stdout.write(`${rows.join('\n')}\n`);
