/**
 * What the sk_msg and sk_skb run tests share: test/fixtures/elf/sk_msg_skb.o loaded with its two maps
 * filled, and a runner of assembled code with the socket redirect and message helpers over one SOCKMAP.
 */
import { assemble } from '../../src/asm/index.js';
import { loadObject, type BpfObject } from '../../src/elf/index.js';
import { SocketTable, type SocketDescription } from '../../src/helpers/socket-table.js';
import { SocketMemory } from '../../src/helpers/sockets.js';
import { SockOpsSockets } from '../../src/helpers/sockopt.js';
import { skMsgHelpers } from '../../src/helpers/sk-msg.js';
import { ProgramRunner } from '../../src/context/runner.js';
import { RunSpace } from '../../src/context/space.js';
import { createMap } from '../../src/maps/create.js';
import { MapType } from '../../src/maps/types.js';
import { Program } from '../../src/vm/program.js';
import { VmMemory } from '../../src/vm/memory.js';
import { fixture } from '../elf/fixtures.js';

/** A little-endian u32. */
export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

/** The fixture's SOCKHASH key of socket 1's peer (10.0.0.7:5001): remote_ip4 and remote_port as the contexts have them. */
export const PEER1 = new Uint8Array([10, 0, 0, 7, 0, 0, 5001 >> 8, 5001 & 0xff]);

/** sk_msg_skb.o over `sockets`: SOCKMAP `by_index` key 3 -> socket 2, SOCKHASH `by_peer` PEER1 -> socket 1. */
export function loadSkFixture(sockets: readonly SocketDescription[]): BpfObject {
  const obj = loadObject(fixture('sk_msg_skb'), { sockets });
  obj.map('by_index').update(u32(3), new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
  obj.map('by_peer').update(PEER1, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
  return obj;
}

/** A runner of assembled `src` with the sk_msg / sk_skb helpers over `sockets` and one SOCKMAP (handle 1; key 1 -> socket 2). */
export function skRunnerOf(src: string, sockets: readonly SocketDescription[]): ProgramRunner {
  const memory = new VmMemory();
  const table = new SocketMemory(memory, new SocketTable(sockets));
  const map = createMap(memory, { name: 'm', type: MapType.SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }, { socketCount: sockets.length });
  map.update(u32(1), u32(2));
  const helpers = skMsgHelpers({ memory, mapByHandle: (h) => (h === 1 ? map : undefined) });
  return new ProgramRunner(new Program(assemble(src)), { space: RunSpace.of(memory), helpers, jitEngine: undefined, sockOps: { sockets: table, states: new SockOpsSockets() } });
}
