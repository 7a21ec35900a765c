/**
 * `struct bpf_timer` (bpf-helpers(7)): timers that live in map values and call a function of the
 * program when they expire. A user-space VM has no softirq, so expired timers run when the host asks
 * ({@link TimerTable.run}, `BpfObject.runTimers`), on the object's clock (the `now` load option):
 * - `bpf_timer_init` (169): clock `flags & 0xf` among CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME (all
 *   the object's one clock here), no other bit (-EINVAL); -EBUSY when already initialised. The timer must
 *   lie in a value of the map passed: an array, hash or LRU hash map.
 * - `bpf_timer_set_callback` (170): the function (a function pointer, as `bpf_loop`'s callback) called
 *   as `callback(map, &key, &value)`.
 * - `bpf_timer_start` (171): expiry `nsecs` from now, or at `nsecs` with `BPF_F_TIMER_ABS` (1);
 *   `BPF_F_TIMER_CPU_PIN` (2) is accepted (one CPU); -EINVAL without a callback or for other flags.
 * - `bpf_timer_cancel` (172): 1 when the timer was pending, else 0; it also forgets the callback, as the
 *   kernel's does (measured: a start after a cancel is -EINVAL until the callback is set again);
 *   -EDEADLK from the timer's own callback.
 * An uninitialised timer is -EINVAL for the last three. Updating or deleting the element frees its timer
 * (the kernel's rule): the first 8 bytes of an initialised timer hold its id, and a timer whose bytes no
 * longer hold it, or whose element is gone, is uninitialised — so a program or host that rewrites the
 * value (an update copies the new value over it) or deletes the element frees it. Only a rewrite that
 * copies those same 8 bytes back (a host update with bytes it looked up) keeps it, where the kernel would
 * free it. A program that forges the bytes elsewhere gains nothing: a timer is found by its address.
 * Results measured against the kernel (BPF_PROG_TEST_RUN, timers firing while the runner sleeps; 6.18;
 * test/kernel/timers.test.ts).
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import { helperError } from './helper-error.js';
import type { HelperContext, HelperEntry, HelperFunction } from '../vm/environment.js';
import type { VmMemory } from '../vm/memory.js';
import { KeyCopy } from './key-copy.js';
import { Program } from '../vm/program.js';
import { CallKind, Class, Mode, Opcode, Size } from '../isa/opcodes.js';
import { encodeProgram } from '../isa/instruction.js';
import { functionPointerTargets, functionSlotOf } from '../vm/functions.js';
import type { BpfMap } from '../maps/map.js';
import { ArrayMap } from '../maps/array.js';
import { HashMap } from '../maps/hash.js';
import { Errno, MapType, negErrno } from '../maps/types.js';

/** Timer helper ids (uapi `linux/bpf.h`). */
export const TimerHelper = { INIT: 169, SET_CALLBACK: 170, START: 171, CANCEL: 172 } as const;

/** `bpf_timer_start` flags. */
export const TimerFlag = { ABS: 1, CPU_PIN: 2 } as const;

/** Callbacks one {@link TimerTable.run} call runs at most by default (a callback may re-arm its timer at once). */
export const DEFAULT_MAX_TIMER_CALLBACKS = 10_000;

/** Bytes of a `struct bpf_timer`. */
const TIMER_SIZE = 16;
/** CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME. */
const CLOCKS = new Set([0, 1, 7]);
const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** Timer ids start here ("tsbp" in the high half), so a zeroed or small value is never one. */
const ID_BASE = 0x7473_6270_0000_0000n;

/** Map types a timer may live in. */
const TIMER_MAPS: ReadonlySet<number> = new Set([MapType.ARRAY, MapType.HASH, MapType.LRU_HASH]);

/** A function of a loaded program: where a callback is. */
export interface TimerCallback {
  readonly program: Program;
  readonly slot: number;
}

interface Timer {
  readonly id: bigint;
  readonly address: number;
  readonly map: ArrayMap | HashMap;
  callback: TimerCallback | undefined;
  /** Expiry on the object's clock while pending. */
  expires: bigint | undefined;
  /** Start order: timers expiring together run in the order they were started. */
  seq: number;
}

/** What the timers need from the loaded object. */
export interface TimerEnvironment {
  readonly memory: VmMemory;
  mapByHandle(handle: number): BpfMap | undefined;
  /** The object's clock (ns). */
  now(): bigint;
  /**
   * Run function `slot` of `program` as `callback(map, key, value)` (a run of its own, with the budget
   * and limits of `options`); `program` may be a callback program {@link TimerTable.callbackProgram} made.
   */
  runCallback(callback: TimerCallback, map: bigint, key: bigint, value: bigint): void;
}

/** A program's timers: their state, the helpers that change it and the host's way to run expired ones. */
export class TimerTable {
  private readonly byAddress = new Map<number, Timer>();
  /** Pending timers by expiry (entries are checked against the timer when taken: a re-start leaves a stale one). */
  private heap: { expires: bigint; seq: number; timer: Timer }[] = [];
  private nextId = ID_BASE + 1n;
  private nextSeq = 0;
  /** The timer whose callback is running, and the time a run of expired timers uses as now. */
  private running: Timer | undefined;
  private runNow: bigint | undefined;
  /** Callback programs ({@link callbackProgram}) by the program they were made from: a function of one is `shift` slots further on. */
  private readonly shifted = new Map<Program, { readonly original: Program; readonly shift: number }>();
  /** The key the callback gets (its second argument). */
  private readonly keyCopy: KeyCopy;

  constructor(private readonly env: TimerEnvironment) {
    this.keyCopy = new KeyCopy(env.memory, 'timer key');
  }

  /** Timers initialised (including ones whose element was since rewritten, until they are looked at). */
  get size(): number {
    return this.byAddress.size;
  }

  /**
   * Record that `callbackProgram` runs the functions of `original` `shift` slots further on (a
   * trampoline in front), so a callback it sets is stored as `original`'s.
   * @internal
   */
  callbackProgram(callbackProgram: Program, original: Program, shift: number): void {
    this.shifted.set(callbackProgram, { original, shift });
  }

  /** The timer at `address` if it is initialised (forgetting it if its element was rewritten or deleted). */
  private live(address: number): Timer | undefined {
    const t = this.byAddress.get(address);
    if (t === undefined) return undefined;
    const mem = this.env.memory;
    const region = mem.find(address, TIMER_SIZE);
    if (region !== undefined && mem.view.getBigUint64(region.offset + (address - region.vaddr), true) === t.id) return t;
    this.byAddress.delete(address);
    return undefined;
  }

  private timerArg(r: bigint): Timer | undefined {
    return r <= 0xffff_ffffn ? this.live(Number(r)) : undefined;
  }

  private clock(): bigint {
    return this.runNow ?? this.env.now();
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push({ expires: t.expires!, seq: t.seq, timer: t });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    // Stale entries (timers re-started, cancelled or freed) are dropped when the heap has many.
    if (h.length > 2 * this.byAddress.size + 64) this.compact();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }

  private compact(): void {
    const fresh = this.heap.filter((e) => e.timer.expires === e.expires && e.timer.seq === e.seq && this.byAddress.get(e.timer.address) === e.timer);
    this.heap = [];
    for (const e of fresh.sort((a, b) => (before(a, b) ? -1 : 1))) this.heap.push(e);
  }

  /**
   * Run the callbacks of the timers expired at `now` (default: the object's clock), earliest first, a
   * callback that re-arms its timer to expire by `now` running again, at most `maxCallbacks` in all;
   * returns how many ran. A callback's error stops the call (the timers not yet run stay pending).
   */
  run(now: bigint | undefined, maxCallbacks: number): number {
    if (this.running !== undefined || this.runNow !== undefined) {
      throw new ExecutionError(ErrorCode.UNSUPPORTED, 'runTimers: timers are already running (a callback cannot run timers)');
    }
    const at = now ?? this.env.now();
    let ran = 0;
    this.runNow = at;
    try {
      while (ran < maxCallbacks && this.heap.length > 0) {
        const e = this.heap[0]!;
        if (e.expires > at) break;
        this.pop();
        const t = e.timer;
        if (t.expires !== e.expires || t.seq !== e.seq || this.live(t.address) !== t) continue;
        t.expires = undefined;
        const cb = t.callback;
        const element = t.map.elementOf(t.address, TIMER_SIZE);
        if (cb === undefined || element === undefined) continue;
        ran++;
        this.running = t;
        try {
          this.env.runCallback(cb, BigInt(t.map.handle), BigInt(this.keyCopy.address(element.key)), BigInt(element.value));
        } finally {
          this.running = undefined;
        }
      }
    } finally {
      this.runNow = undefined;
    }
    return ran;
  }

  /** The timer helpers. */
  helpers(): Map<number, HelperEntry> {
    const env = this.env;
    const init: HelperFunction = (r1, r2, r3, _4, _5, ctx) => {
      const name = 'bpf_timer_init';
      if (r3 > 0xfn || !CLOCKS.has(Number(r3))) return negErrno(Errno.EINVAL);
      const m = r2 <= 0xffff_ffffn ? env.mapByHandle(Number(r2)) : undefined;
      if (!(m instanceof ArrayMap || m instanceof HashMap) || !TIMER_MAPS.has(m.spec.type)) {
        const what = m === undefined ? `argument 0x${r2.toString(16)} is not a map of this object` : `map ${m.name} (type ${m.spec.type}) cannot hold timers`;
        throw helperError(name, `${what}; timers live in array, hash and LRU hash maps`, ctx);
      }
      const address = r1 <= 0xffff_ffffn ? Number(r1) : -1;
      if (address < 0 || m.elementOf(address, TIMER_SIZE) === undefined || env.memory.find(address, TIMER_SIZE) === undefined) {
        throw helperError(name, `timer 0x${r1.toString(16)} is not inside a value of map ${m.name}`, ctx);
      }
      if (this.live(address) !== undefined) return negErrno(Errno.EBUSY);
      const t: Timer = { id: this.nextId++, address, map: m, callback: undefined, expires: undefined, seq: 0 };
      const bytes = new Uint8Array(TIMER_SIZE);
      new DataView(bytes.buffer).setBigUint64(0, t.id, true);
      env.memory.write(r1, bytes, ctx.pc);
      this.byAddress.set(address, t);
      return 0;
    };
    const setCallback: HelperFunction = (r1, r2, _3, _4, _5, ctx) => {
      const t = this.timerArg(r1);
      if (t === undefined) return negErrno(Errno.EINVAL);
      const running = ctx.program;
      if (running === undefined) throw helperError('bpf_timer_set_callback', 'this engine does not say which program is running', ctx);
      const from = this.shifted.get(running);
      const program = from?.original ?? running;
      const slot = (functionSlotOf(r2) ?? -1) - (from?.shift ?? 0);
      if (!functionPointerTargets(program).has(slot)) {
        throw helperError('bpf_timer_set_callback', `callback 0x${BigInt.asUintN(64, r2).toString(16)} is not a function of this program: a callback must be a function the program loads with lddw (a function pointer, BPF_PSEUDO_FUNC)`, ctx);
      }
      t.callback = { program, slot };
      return 0;
    };
    const start: HelperFunction = (r1, r2, r3) => {
      const t = this.timerArg(r1);
      if (t === undefined || t.callback === undefined || (r3 & ~3n) !== 0n) return negErrno(Errno.EINVAL);
      const at = (r3 & BigInt(TimerFlag.ABS)) !== 0n ? r2 : this.clock() + r2;
      t.expires = at > U64_MAX ? U64_MAX : at;
      t.seq = this.nextSeq++;
      this.push(t);
      return 0;
    };
    const cancel: HelperFunction = (r1) => {
      const t = this.timerArg(r1);
      if (t === undefined) return negErrno(Errno.EINVAL);
      if (t === this.running) return negErrno(Errno.EDEADLK);
      const pending = t.expires !== undefined;
      t.expires = undefined;
      t.callback = undefined;
      return pending ? 1 : 0;
    };
    const entries: [number, string, HelperFunction][] = [
      [TimerHelper.INIT, 'bpf_timer_init', init],
      [TimerHelper.SET_CALLBACK, 'bpf_timer_set_callback', setCallback],
      [TimerHelper.START, 'bpf_timer_start', start],
      [TimerHelper.CANCEL, 'bpf_timer_cancel', cancel],
    ];
    return new Map(entries.map(([id, name, fn]) => [id, { fn, name, unwindOnZero: false }]));
  }
}

/** Slots {@link timerCallbackProgram} puts in front of the program. */
export const TRAMPOLINE_SLOTS = 5;

/**
 * A program that runs function `slot` of `program` as `f(map, key, value)`, the three read from the
 * 24-byte context it is run with: a five-slot trampoline (three loads, a local call, exit) in front of
 * `program`'s own code, whose functions are then {@link TRAMPOLINE_SLOTS} slots further on.
 */
export function timerCallbackProgram(program: Program, slot: number): Program {
  const ldx = Class.LDX | Size.DW | Mode.MEM;
  const head = encodeProgram([
    { opcode: ldx, dst: 3, src: 1, offset: 16, imm: 0 },
    { opcode: ldx, dst: 2, src: 1, offset: 8, imm: 0 },
    { opcode: ldx, dst: 1, src: 1, offset: 0, imm: 0 },
    { opcode: Opcode.CALL, dst: 0, src: CallKind.LOCAL, offset: 0, imm: TRAMPOLINE_SLOTS + slot - 4 },
    { opcode: Opcode.EXIT, dst: 0, src: 0, offset: 0, imm: 0 },
  ]);
  const bytes = new Uint8Array(head.length + program.bytes.length);
  bytes.set(head);
  bytes.set(program.bytes, head.length);
  const names = new Map<number, string>([[0, 'timer callback']]);
  for (const [at, name] of program.functionNames) names.set(at + TRAMPOLINE_SLOTS, name);
  return new Program(bytes, `${program.name} timer callback`, names);
}

function before(a: { expires: bigint; seq: number }, b: { expires: bigint; seq: number }): boolean {
  return a.expires < b.expires || (a.expires === b.expires && a.seq < b.seq);
}
