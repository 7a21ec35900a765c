/**
 * The helpers a loaded object's programs may call, bound to that object: the kernel-numbered helpers
 * over its memory, maps (by handle), clock, random numbers and trace buffer; timers; the packet,
 * FIB, socket, storage, tracing and printing helpers over what the host describes (FIB, sockets,
 * cgroup attachment); then the CO-RE helpers, the externs' kfuncs and the host's own helpers, each
 * later one winning over an earlier one with the same id.
 * @module
 */
import type { HelperEntry } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import type { BpfMap } from '../maps/map.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { SockMap } from '../maps/sock-map.js';
import { kernelHelpers, type KernelEnvironment } from '../helpers/kernel.js';
import { packetHelpers } from '../helpers/packet.js';
import { fibHelpers } from '../helpers/fib.js';
import { tunnelHelpers } from '../helpers/tunnel.js';
import { vlanHelpers } from '../helpers/vlan.js';
import { syncookieHelpers } from '../helpers/syncookie.js';
import { cloneHelpers } from '../helpers/clone.js';
import { tracingHelpers } from '../helpers/tracing.js';
import { formatHelpers } from '../helpers/format.js';
import { btfPrintHelpers } from '../helpers/btf-print.js';
import { eventObjectHelpers } from '../helpers/event-objects.js';
import { DEFAULT_TASK_ADDRESS } from '../helpers/task.js';
import { seqHelpers } from '../helpers/seq.js';
import { callbackHelpers } from '../helpers/callbacks.js';
import { dynptrHelpers } from '../helpers/dynptr.js';
import { strtolHelpers } from '../helpers/strtol.js';
import { TimerTable, type TimerCallback } from '../helpers/timers.js';
import type { Fib } from '../helpers/fib-table.js';
import type { SocketTable } from '../helpers/socket-table.js';
import { SocketMemory, socketHelpers } from '../helpers/sockets.js';
import { mtuHelpers } from '../helpers/mtu.js';
import { skStorageHelpers } from '../helpers/sk-storage.js';
import { cgroupHelpers } from '../helpers/cgroup.js';
import { cgroupStorageHelpers, type CgroupAttachment } from '../helpers/cgroup-storage.js';
import { taskStorageHelpers } from '../helpers/task-storage.js';
import { cgrpStorageHelpers } from '../helpers/cgrp-storage.js';
import { userRingbufHelpers } from '../helpers/user-ringbuf.js';
import { SockOpsSockets, sockOpsHelpers } from '../helpers/sockopt.js';
import { sockMapHelpers } from '../helpers/sock-map.js';
import { skMsgHelpers } from '../helpers/sk-msg.js';
import { skbInfoHelpers } from '../helpers/skb-info.js';
import { btfPrinter } from './btf-show.js';
import type { Btf } from './btf.js';
import type { LoadOptions } from './load-options.js';

/** What an object's helpers are bound to. */
export interface ObjectHelperInputs {
  readonly memory: VmMemory;
  readonly options: LoadOptions;
  /** The object's maps by name, every one created (a socket map learns where the sockets are). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  readonly mapByHandle: (handle: number) => BpfMap | undefined;
  /** Keep a `bpf_trace_printk` line in the object's trace buffer (the host's `trace` option hears it too). */
  readonly record: (line: string) => void;
  readonly fib: Fib;
  readonly sockets: SocketTable;
  readonly cgroupAttachment: CgroupAttachment;
  readonly runTimerCallback: (cb: TimerCallback, map: bigint, key: bigint, value: bigint) => void;
  /** The BTF whose type ids `bpf_snprintf_btf` takes (read on its first call). */
  readonly printBtf: () => Btf | undefined;
  readonly coreHelpers: ReadonlyMap<number, HelperEntry>;
  readonly externHelpers: ReadonlyMap<number, HelperEntry>;
}

/** An object's helper table and the state its helpers keep that the object's runs need too. */
export interface ObjectHelpers {
  readonly table: Map<number, HelperEntry>;
  readonly timers: TimerTable;
  readonly sockOps: { readonly sockets: SocketMemory; readonly states: SockOpsSockets };
}

/** The helpers of an object (see the module comment). */
export function objectHelpers(i: ObjectHelperInputs): ObjectHelpers {
  const { memory, options, maps, fib, sockets } = i;
  const cpu = options.cpu ?? 0;
  const trace = options.trace;
  const env: KernelEnvironment = {
    memory,
    mapByHandle: i.mapByHandle,
    ringBuffers: () => [...maps.values()].filter((m): m is RingBufMap => m instanceof RingBufMap),
    cpu,
    trace: (line) => {
      i.record(line);
      trace?.(line);
    },
    now: options.now ?? (() => BigInt(Math.round(performance.now() * 1e6))),
    random: options.random ?? (() => Math.floor(Math.random() * 0x1_0000_0000)),
  };
  const table = kernelHelpers(env);
  for (const [id, entry] of formatHelpers(env)) table.set(id, entry);
  for (const [id, entry] of seqHelpers(memory)) table.set(id, entry);
  for (const [id, entry] of callbackHelpers(env)) table.set(id, entry);
  for (const [id, entry] of dynptrHelpers(env)) table.set(id, entry);
  for (const [id, entry] of strtolHelpers(memory)) table.set(id, entry);
  const timers = new TimerTable({ memory, mapByHandle: env.mapByHandle, now: env.now, runCallback: i.runTimerCallback });
  for (const [id, entry] of timers.helpers()) table.set(id, entry);
  for (const [id, entry] of packetHelpers(env)) table.set(id, entry);
  for (const [id, entry] of fibHelpers(memory, fib)) table.set(id, entry);
  for (const [id, entry] of mtuHelpers(memory, fib)) table.set(id, entry);
  for (const [id, entry] of skbInfoHelpers(memory)) table.set(id, entry);
  for (const [id, entry] of tunnelHelpers(memory)) table.set(id, entry);
  for (const [id, entry] of vlanHelpers(memory)) table.set(id, entry);
  for (const [id, entry] of syncookieHelpers(env)) table.set(id, entry);
  for (const [id, entry] of cloneHelpers(fib)) table.set(id, entry);
  const socketMemory = new SocketMemory(memory, sockets);
  const sockOps = { sockets: socketMemory, states: new SockOpsSockets() };
  for (const m of maps.values()) if (m instanceof SockMap) m.socketAddress = (n) => socketMemory.address(sockets.sockets[n]!);
  for (const [id, entry] of socketHelpers(memory, socketMemory)) table.set(id, entry);
  for (const [id, entry] of sockOpsHelpers(memory, socketMemory)) table.set(id, entry);
  for (const [id, entry] of sockMapHelpers(env)) table.set(id, entry);
  for (const [id, entry] of skMsgHelpers(env)) table.set(id, entry);
  for (const [id, entry] of skStorageHelpers(env, socketMemory)) table.set(id, entry);
  for (const [id, entry] of cgroupHelpers(env.mapByHandle)) table.set(id, entry);
  for (const [id, entry] of cgroupStorageHelpers(env.mapByHandle, i.cgroupAttachment, cpu)) table.set(id, entry);
  for (const [id, entry] of taskStorageHelpers(memory, env.mapByHandle)) table.set(id, entry);
  for (const [id, entry] of cgrpStorageHelpers(memory, env.mapByHandle)) table.set(id, entry);
  for (const [id, entry] of userRingbufHelpers(env.mapByHandle)) table.set(id, entry);
  for (const [id, entry] of tracingHelpers({ memory, mapByHandle: env.mapByHandle, cpu })) table.set(id, entry);
  for (const [id, entry] of eventObjectHelpers({ memory, mapByHandle: env.mapByHandle, cpu }, DEFAULT_TASK_ADDRESS)) table.set(id, entry);
  let printer: ReturnType<typeof btfPrinter> | undefined;
  const printerOf = (): ReturnType<typeof btfPrinter> | undefined => {
    if (printer !== undefined) return printer;
    const btf = i.printBtf();
    return btf === undefined ? undefined : (printer ??= btfPrinter(btf));
  };
  for (const [id, entry] of btfPrintHelpers(memory, printerOf)) table.set(id, entry);
  for (const [id, entry] of i.coreHelpers) table.set(id, entry);
  for (const [id, entry] of i.externHelpers) table.set(id, entry);
  for (const [id, entry] of options.helpers ?? []) table.set(id, entry);
  return { table, timers, sockOps };
}
