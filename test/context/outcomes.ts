/**
 * Everything observable from running the example and fixture objects through `ProgramRunner` on the
 * packets of examples/traffic.pcap (plus a runt and an empty packet): per run the verdict, r0, the
 * packet and metadata as left, the `__sk_buff` the program wrote, or the error; per object the maps'
 * final contents and the trace_printk lines. The runner test compares this with a golden file that
 * was recorded before the runner was optimised, so a faster runner must also be an identical one.
 *
 * Regenerate (only when a behaviour change is intended): `npx tsx test/context/outcomes.ts`.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { loadObject as LoadObject } from '../../src/elf/loader.js';
import { readPackets } from '../../src/pcap/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The objects (path from the repository root). */
export const OBJECTS = [
  'examples/xdp_firewall.o',
  'examples/socket_dns.o',
  'examples/tc_mark.o',
  'test/fixtures/elf/context.o',
  'test/fixtures/elf/helpers.o',
] as const;

/** Where the golden file lives. */
export const GOLDEN_PATH = `${root}test/context/golden/runner-outcomes.json`;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The packets every program runs on. */
export function packets(): Uint8Array[] {
  const capture = readPackets(readFileSync(`${root}examples/traffic.pcap`)).map((p) => p.data);
  return [...capture, capture[0]!.subarray(0, 10), new Uint8Array(0)];
}

/** Outcomes of every program of every object on both engines, as JSON-friendly values. */
export function collectOutcomes(loadObject: typeof LoadObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const input = packets();
  for (const path of OBJECTS) {
    const bytes = readFileSync(`${root}${path}`);
    for (const jit of [false, true]) {
      // verify: 'warn': the objects include programs the kernel refuses (context.o's socket filter calling
      // bpf_skb_store_bytes), whose recorded outcomes are what the engines do with them
      const obj = loadObject(bytes, { verify: 'warn' });
      for (const info of obj.programs) {
        const runner = obj.program(info.name);
        const runs: unknown[] = [];
        input.forEach((packet, i) => {
          try {
            switch (info.type) {
              case 'xdp': {
                const r = runner.runXdp(packet, { jit, ingressIfindex: 3 + (i % 2), rxQueueIndex: i % 3 });
                runs.push({ action: r.action, r0: r.r0.toString(), packet: hex(r.packet), meta: hex(r.meta) });
                break;
              }
              default: {
                let seen: unknown;
                const r0 = (info.type === 'tc' ? runner.runTc : runner.runSocketFilter).call(runner, packet, {
                  jit,
                  mark: i,
                  priority: i % 4,
                  ifindex: 7,
                  cb: i % 2 === 0 ? [1, 2, 3, 4, 5, 6] : undefined,
                  inspect: (skb, p) => void (seen = { skb: hex(skb), packet: hex(p) }),
                });
                runs.push({ r0: r0.toString(), seen });
              }
            }
          } catch (e) {
            // Duck-typed: the golden file may be recorded with another copy of the sources (another EbpfError class).
            if (!(e instanceof Error) || typeof (e as { code?: unknown }).code !== 'string') throw e;
            const err = e as Error & { code: string; pc?: number };
            runs.push({ error: err.code, pc: err.pc, message: err.message });
          }
        });
        out[`${path} ${info.name} ${jit ? 'jit' : 'interpreter'}`] = runs;
      }
      const maps: Record<string, string[]> = {};
      for (const [name, map] of obj.maps) {
        if (typeof (map as { entries?: unknown }).entries !== 'function') continue;
        maps[name] = (map as unknown as { entries(): [Uint8Array, Uint8Array][] })
          .entries()
          .map(([k, v]) => `${hex(k)}=${hex(v)}`)
          .sort();
      }
      out[`${path} ${jit ? 'jit' : 'interpreter'} maps`] = maps;
      out[`${path} ${jit ? 'jit' : 'interpreter'} trace`] = obj.traceLog.slice();
    }
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { loadObject } = await import(process.argv[2] ?? '../../src/elf/loader.js');
  writeFileSync(GOLDEN_PATH, `${JSON.stringify(collectOutcomes(loadObject as typeof LoadObject), null, 1)}\n`);
}
