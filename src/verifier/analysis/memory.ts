/**
 * Loads and stores: which object a pointer reaches, whether the access stays inside it, and the stack
 * model (spills, fills, initialised bytes).
 * @module
 */
import { SPIN_LOCK_BYTES } from './spin-lock.js';
import { TOP, unsignedRange, constValue as scalarConst, type Scalar } from './scalar.js';
import { ctxAccess, packetWritable } from './program-types.js';
import { mapInfo, type Env } from './env.js';
import { Byte, STACK_SIZE, type Frame, type Spill } from './state.js';
import { ANY_SCALAR, constValue, isNullable, isPointer, mapsOf, pointer, scalarValue, typeName, type Value } from './value.js';
import { sockReadAllowed, tcpSockReadAllowed } from './sockets.js';
import { btfLoad } from './btf-objects.js';
import { tracingCtxAccess } from './btf-context.js';

/** `sizeof(struct bpf_flow_keys)`: a flow dissector reads and writes any bytes inside it. */
const FLOW_KEYS_SIZE = 56;

/** A state being transformed in place (copied from the immutable {@link State} at a block's entry). */
export interface Work {
  regs: Value[];
  frames: Frame[];
  pkt: Map<number, number>;
  meta: number;
  refs: Map<number, number>;
  /** Frames already copied in this work (written in place from then on). */
  owned: Set<number>;
}

/** A frame this work may write. */
export function ownFrame(w: Work, f: number): { bytes: Uint8Array; spills: Map<number, Spill> } {
  if (!w.owned.has(f)) {
    const old = w.frames[f]!;
    w.frames[f] = { bytes: old.bytes.slice(), spills: new Map(old.spills) };
    w.owned.add(f);
  }
  return w.frames[f] as { bytes: Uint8Array; spills: Map<number, Spill> };
}

/** The set of unsigned values of an n-byte load. */
export function loadRange(size: number): Scalar {
  return size === 8 ? TOP : unsignedRange(0n, (1n << BigInt(size * 8)) - 1n);
}

/** The bytes a packet's start lies past a 4-byte boundary as strict alignment counts it (the kernel's NET_IP_ALIGN on most machines). */
const NET_IP_ALIGN = 2;

/** Every address `base + off` may take, counted from `skew` bytes before the object, is a multiple of the access's size. */
function aligned(base: Value, a: { off: number; size: number }, skew: number): boolean {
  if (a.size === 1) return true;
  if (base.lo !== base.hi && 2 ** Math.min(base.va, 30) < a.size) return false;
  return (((skew + base.lo + a.off) % a.size) + a.size) % a.size === 0;
}

/** An access: `regNo` holds `base`; the access is `size` bytes at `base + off`. */
export interface Access {
  readonly pc: number;
  readonly regNo: number;
  readonly base: Value;
  readonly off: number;
  readonly size: number;
  /** Undefined for a load; the stored value for a store (`imm` stores give a scalar). */
  readonly store?: Value;
  /** The store is `st` (an immediate), which the kernel refuses into the context. */
  readonly immediate?: boolean;
  /** The access is atomic (load and store); packets and the context refuse it. */
  readonly atomic?: boolean;
  /** The register a store's value comes from, for messages. */
  readonly storeReg?: number;
}

/**
 * Check one access and apply it to `w`. Returns the loaded value (for loads), `undefined` after a
 * reported problem (the caller continues with an unknown scalar).
 */
export function access(env: Env, w: Work, a: Access): Value | undefined {
  const { base, pc, regNo } = a;
  const write = a.store !== undefined;
  const R = `R${regNo}`;
  if (env.strictAlignment && (base.type === 'packet' || base.type === 'map_value') && !aligned(base, a, base.type === 'packet' ? NET_IP_ALIGN : 0)) {
    const what = base.type === 'packet' ? 'packet' : 'value';
    const fixed = base.type === 'packet' ? `${NET_IP_ALIGN}+` : '';
    env.report(pc, base.type === 'packet' ? 'packet-access' : 'map-value-access', `misaligned ${what} access off ${fixed}${base.lo === base.hi ? base.lo : `[${base.lo}, ${base.hi}] (in steps of ${2 ** Math.min(base.va, 30)})`}+${a.off} size ${a.size}: BPF_F_STRICT_ALIGNMENT wants accesses aligned to their size`);
    return undefined;
  }
  switch (base.type) {
    case 'uninit':
      env.report(pc, 'uninit-register', `${R} !read_ok`);
      return undefined;
    case 'scalar':
    case 'map_value_or_null':
    case 'map_ptr_or_null':
    case 'mem_or_null':
    case 'sock_or_null':
    case 'sock_common_or_null':
    case 'tcp_sock_or_null':
    case 'btf_id_or_null':
    case 'packet_or_null':
    case 'packet_end':
      env.report(pc, 'invalid-mem-access', `${R} invalid mem access '${typeName(base.type)}'`);
      return undefined;
    case 'map_ptr':
      return mapStructAccess(env, a);
    case 'stack':
      return stackAccess(env, w, a);
    case 'ctx': {
      if (write && a.store !== undefined && isPointer(a.store) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${storeReg(a)} leaks addr into ctx`);
        return undefined;
      }
      // BPF_ST (an immediate) is a store like any other since Linux 6.3; an atomic one is not
      if (a.atomic === true) {
        env.report(pc, 'ctx-access', `BPF_ATOMIC stores into ${R} ctx is not allowed`);
        return undefined;
      }
      if (base.lo !== 0 || base.hi !== 0) {
        env.report(pc, 'ctx-access', `dereference of modified ctx ptr ${R} off=${base.lo === base.hi ? base.lo : `[${base.lo}, ${base.hi}]`} disallowed`);
        return undefined;
      }
      if (env.programType === 'tracing') {
        // the attach target's typed arguments (btf-context.ts)
        const v = tracingCtxAccess(env, a, pc);
        if (typeof v === 'string') env.report(pc, 'ctx-access', `invalid bpf_context access off=${a.off} size=${a.size} (${env.programType}: ${v})`);
        return typeof v === 'string' ? undefined : v;
      }
      const r = ctxAccess(env.programType, a.off, a.size, write, env.attachType);
      if (typeof r === 'string') {
        env.report(pc, 'ctx-access', `invalid bpf_context access off=${a.off} size=${a.size} (${env.programType}: ${r})`);
        return undefined;
      }
      if (write) return ANY_SCALAR;
      if (r.yields === 'scalar') return scalarValue(loadRange(a.size));
      // a nullable field (skb->sk) gets its own null-check id; it holds no reference
      return pointer(r.yields, 0, isNullable(r.yields) ? { id: pc * 16 + 3 } : {});
    }
    case 'packet':
    case 'packet_meta':
      return packetAccess(env, w, a);
    case 'map_value': {
      // a value of one of several maps: the access must suit each (the smallest value, any read-only)
      const infos = mapsOf(base).map((k) => mapInfo(env, k));
      const map = infos.length === 1 ? infos[0] : undefined;
      const size = Math.min(...infos.map((m) => m?.valueSize ?? 0));
      if (write && infos.some((m) => m?.readOnly === true)) {
        env.report(pc, 'read-only-write', `write into map forbidden, value_size=${size} off=${base.lo + a.off} size=${a.size}`);
        return undefined;
      }
      if (!inside(env, pc, R, base, a, size, 'map value', 'map-value-access', `value_size=${size}`)) return undefined;
      const timer = infos.find((m) => m?.timer !== undefined && base.lo + a.off < m.timer + 16 && base.hi + a.off + a.size > m.timer);
      if (timer !== undefined) {
        env.report(pc, 'map-value-access', `bpf_timer cannot be accessed directly by load/store (the struct bpf_timer at offset ${timer.timer} of the value; off=${base.lo + a.off} size=${a.size})`);
        return undefined;
      }
      const lock = infos.find((m) => m?.spinLock !== undefined && base.lo + a.off < m.spinLock + SPIN_LOCK_BYTES && base.hi + a.off + a.size > m.spinLock);
      if (lock !== undefined) {
        env.report(pc, 'spin-lock', `bpf_spin_lock cannot be accessed directly by load/store (the struct bpf_spin_lock at offset ${lock.spinLock} of the value; off=${base.lo + a.off} size=${a.size})`);
        return undefined;
      }
      // atomics must be aligned to their size, whatever the loader's alignment rules for plain accesses
      if (a.atomic === true && base.lo === base.hi && (base.lo + a.off) % a.size !== 0) {
        env.report(pc, 'map-value-access', `misaligned value access off 0+${base.lo}+${a.off} size ${a.size}: an atomic access must be aligned to its size`);
        return undefined;
      }
      if (write && a.store !== undefined && isPointer(a.store) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${storeReg(a)} leaks addr into map`);
        return undefined;
      }
      if (write) return ANY_SCALAR;
      return frozenLoad(map, base, a) ?? scalarValue(loadRange(a.size));
    }
    case 'sock':
    case 'sock_common':
    case 'tcp_sock': {
      if (write) {
        env.report(pc, 'sock-access', `${R} cannot write into ${typeName(base.type)}`);
        return undefined;
      }
      const off = base.lo + a.off;
      const allowed = base.type === 'tcp_sock' ? tcpSockReadAllowed(off, a.size) : sockReadAllowed(off, a.size, base.type === 'sock_common');
      if (base.lo !== base.hi || !allowed) {
        env.report(pc, 'sock-access', `${R} invalid ${typeName(base.type)} access off=${off} size=${a.size}`);
        return undefined;
      }
      return scalarValue(loadRange(a.size));
    }
    case 'btf_id':
      return btfLoad(env, a);
    case 'flow_keys': {
      if (a.atomic === true) {
        env.report(pc, 'ctx-access', `BPF_ATOMIC stores into ${R} flow_keys is not allowed`);
        return undefined;
      }
      const off = base.lo + a.off;
      if (base.lo !== base.hi || off < 0 || off + a.size > FLOW_KEYS_SIZE) {
        env.report(pc, 'ctx-access', `invalid access to flow keys off=${base.lo === base.hi ? off : `[${off}, ${base.hi + a.off}]`} size=${a.size} (struct bpf_flow_keys is ${FLOW_KEYS_SIZE} bytes)`);
        return undefined;
      }
      return write ? ANY_SCALAR : scalarValue(loadRange(a.size));
    }
    case 'tp_buffer': {
      // any constant offset from 0 up: the kernel checks the furthest one against the tracepoint's buffer when attaching
      const off = base.lo + a.off;
      if (base.lo !== base.hi) {
        env.report(pc, 'mem-access', `${R} invalid variable buffer offset: off=${a.off}, var_off=[${base.lo}, ${base.hi}] (a writable tracepoint's buffer takes constant offsets only)`);
        return undefined;
      }
      if (off < 0) {
        env.report(pc, 'mem-access', `${R} invalid tracepoint buffer access: off=${off}, size=${a.size}`);
        return undefined;
      }
      if (write && a.store !== undefined && isPointer(a.store) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${storeReg(a)} leaks addr into the tracepoint buffer`);
        return undefined;
      }
      return write ? ANY_SCALAR : scalarValue(loadRange(a.size));
    }
    case 'mem': {
      if (!inside(env, pc, R, base, a, base.size, 'memory', 'mem-access', `mem_size=${base.size}`)) return undefined;
      if (write && a.store !== undefined && isPointer(a.store) && !env.privileged) {
        env.report(pc, 'pointer-leak', `R${storeReg(a)} leaks addr into mem`);
        return undefined;
      }
      return write ? ANY_SCALAR : scalarValue(loadRange(a.size));
    }
  }
}

/** A load at a known offset of a frozen one-entry map's value: the constant it reads (little-endian), else undefined. */
function frozenLoad(map: { readonly frozen?: Uint8Array; readonly maxEntries: number } | undefined, base: Value, a: Access): Value | undefined {
  const bytes = map?.frozen;
  if (bytes === undefined || map!.maxEntries !== 1 || base.lo !== base.hi || a.atomic === true) return undefined;
  if (a.size !== 1 && a.size !== 2 && a.size !== 4 && a.size !== 8) return undefined;
  const off = base.lo + a.off;
  if (off < 0 || off + a.size > bytes.length) return undefined;
  let v = 0n;
  for (let i = a.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return constValue(v);
}

function storeReg(a: Access): number {
  return a.storeReg ?? 0;
}

/** Bounds check of an access into an object of `size` bytes. */
function inside(env: Env, pc: number, R: string, base: Value, a: Access, size: number, what: string, rule: 'map-value-access' | 'mem-access', detail: string): boolean {
  const lo = base.lo + a.off;
  const hi = base.hi + a.off + a.size;
  if (lo < 0 && base.lo !== base.hi) {
    env.report(pc, rule, `${R} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    return false;
  }
  if (lo < 0 || hi > size) {
    if (base.lo !== base.hi && base.hi >= 0x2000_0000) {
      env.report(pc, rule, `${R} unbounded memory access, make sure to bounds check any such access`);
    } else {
      env.report(pc, rule, `invalid access to ${what}, ${detail} off=${base.lo === base.hi ? lo : `[${lo}, ${base.hi + a.off}]`} size=${a.size}`);
    }
    return false;
  }
  return true;
}

function packetAccess(env: Env, w: Work, a: Access): Value | undefined {
  const { base, pc } = a;
  const write = a.store !== undefined;
  const meta = base.type === 'packet_meta';
  if (a.atomic === true) {
    env.report(pc, 'packet-access', `BPF_ATOMIC stores into R${a.regNo} pkt is not allowed`);
    return undefined;
  }
  if (write && !packetWritable(env.programType)) {
    env.report(pc, 'packet-access', `cannot write into packet (${env.programType} programs may only read it)`);
    return undefined;
  }
  if (write && a.store !== undefined && isPointer(a.store) && !env.privileged) {
    env.report(pc, 'pointer-leak', `R${storeReg(a)} leaks addr into packet`);
    return undefined;
  }
  const lo = base.lo + a.off;
  let ok: boolean;
  let range: number;
  if (meta) {
    range = w.meta;
    ok = lo >= 0 && base.hi + a.off + a.size <= range;
  } else {
    range = base.id >= 0 ? (w.pkt.get(base.id) ?? 0) : 0;
    ok = lo >= 0 && base.id >= 0 && base.k + a.off + a.size <= range;
  }
  if (!ok) {
    const off = base.lo === base.hi ? `${lo}` : `[${lo}, ${base.hi + a.off}]`;
    env.report(pc, 'packet-access', `invalid access to packet${meta ? ' metadata' : ''}, off=${off} size=${a.size}, R${a.regNo}(${meta ? 'pkt_meta' : 'pkt'},r=${range}): prove the bytes are inside with a 'data + n > data_end' check first`);
    return undefined;
  }
  return write ? ANY_SCALAR : scalarValue(loadRange(a.size));
}

/**
 * Bytes of the kernel's own map object a privileged program may read through a map pointer (the kernel
 * reads them by its BTF of the map's struct; its layout past these is the kernel build's). Found with the
 * kernel as the oracle (array, hash, ring buffer and program array maps): every read inside the first 32
 * bytes is accepted, any write refused.
 */
const MAP_STRUCT_READABLE = 32;

/** A load or store through a map pointer (`*(u64 *)(map + 0)`): root may read the map object's first bytes. */
function mapStructAccess(env: Env, a: Access): Value | undefined {
  const R = `R${a.regNo}`;
  if (!env.privileged) {
    env.report(a.pc, 'invalid-mem-access', `${R} invalid mem access 'map_ptr'`);
    return undefined;
  }
  if (a.store !== undefined || a.atomic === true) {
    env.report(a.pc, 'invalid-mem-access', `${R} only read from the map's kernel object is supported (a store through a map pointer)`);
    return undefined;
  }
  const off = a.base.lo + a.off;
  if (a.base.lo !== a.base.hi || off < 0 || off + a.size > MAP_STRUCT_READABLE) {
    env.report(a.pc, 'invalid-mem-access', `${R} map pointer read off=${off} size=${a.size}: the analysis knows only the first ${MAP_STRUCT_READABLE} bytes of the kernel's map object, whose layout past them is the kernel build's`);
    return undefined;
  }
  return scalarValue(loadRange(a.size));
}

function stackAccess(env: Env, w: Work, a: Access): Value | undefined {
  const { base, pc } = a;
  const write = a.store !== undefined;
  if (base.frame >= w.frames.length) {
    env.report(pc, 'stack-access', `R${a.regNo} points into a stack frame that has returned`);
    return undefined;
  }
  const lo = base.lo + a.off;
  const hi = base.hi + a.off;
  if (lo < -STACK_SIZE || hi + a.size > 0) {
    const off = lo === hi ? `${lo}` : `[${lo}, ${hi}]`;
    env.report(pc, 'stack-access', `invalid ${unboundedStack(base)}${write ? 'write to' : 'read from'} stack R${a.regNo} off=${off} size=${a.size}: the stack is the ${STACK_SIZE} bytes below r10`);
    return undefined;
  }
  const start = lo + STACK_SIZE;
  const end = hi + STACK_SIZE + a.size;
  const exact = lo === hi;
  if (exact && lo % a.size !== 0) {
    env.report(pc, 'stack-access', `misaligned stack access off ${base.lo}+${a.off} size ${a.size}: stack accesses are aligned to their size`);
    return undefined;
  }
  // a variable offset: its known low bits must make every offset a multiple of the size
  if (!exact && a.size > 1 && (2 ** Math.min(base.va, 30) < a.size || ((lo % a.size) + a.size) % a.size !== 0)) {
    env.report(pc, 'stack-access', `misaligned stack access off [${lo}, ${hi}] (in steps of ${2 ** Math.min(base.va, 30)}) size ${a.size}: stack accesses are aligned to their size`);
    return undefined;
  }
  if (!write || a.atomic === true) {
    const frame = w.frames[base.frame]!;
    if (dynptrBytes(frame, start, end)) {
      env.report(pc, 'stack-access', `invalid read from stack off ${base.lo}+${a.off} size ${a.size}: it holds a dynptr, which only the dynptr helpers may read`);
      return undefined;
    }
    for (let i = start; i < end; i++) {
      if (frame.bytes[i] === Byte.UNINIT) {
        if (env.privileged) {
          env.uninitStackRead(pc);
          break;
        }
        env.report(pc, 'uninit-stack-read', `invalid read from stack R${a.regNo} off ${base.lo}+${a.off} size ${a.size}: byte ${i - STACK_SIZE} was never written`);
        return undefined;
      }
    }
    if (!write) {
      const spill = exact ? frame.spills.get(start) : undefined;
      if (spill !== undefined && spill.size === a.size) return spill.value;
      // a narrower fill of a spilled number that fits in it (its low bytes) keeps its range, as the kernel's does
      if (spill !== undefined && spill.value.type === 'scalar' && a.size < spill.size && spill.value.scalar.umax < 1n << BigInt(a.size * 8)) return spill.value;
      // a read of part of a spilled pointer (fewer bytes, or bytes from inside it) is refused
      const part = exact ? [...frame.spills].find(([at, s]) => at < end && at + s.size > start && isPointer(s.value)) : undefined;
      if (part !== undefined) {
        env.report(pc, 'pointer-spill', `invalid size of register fill: a ${typeName(part[1].value.type)} was spilled at fp${part[0] - STACK_SIZE} and is read with size ${a.size} at fp${lo}`);
        return undefined;
      }
      return scalarValue(loadRange(a.size));
    }
  }
  const store = a.store!;
  if (isPointer(store) && (!exact || a.size !== 8 || (lo & 7) !== 0)) {
    env.report(pc, 'pointer-spill', `invalid size of register spill: a ${typeName(store.type)} must be stored with 8 bytes at an 8-byte aligned constant offset`);
    return undefined;
  }
  const frame = ownFrame(w, base.frame);
  // a write over part of a spilled register turns the rest of the spill into plain data
  for (const [at, s] of frame.spills) {
    if (at < end && at + s.size > start) {
      frame.spills.delete(at);
      for (let i = at; i < at + s.size; i++) frame.bytes[i] = Byte.DATA;
    }
  }
  if (!exact) {
    // which bytes are written is unknown: only bytes already initialised stay so
    return ANY_SCALAR;
  }
  // the kernel keeps one spill per 8-byte slot, at its start: a write to another part of the slot makes a
  // narrower spill there plain data too (its constant, a lookup key, is no longer known)
  for (const [at, s] of frame.spills) {
    if (at % 8 === 0 && s.size < 8 && at === (start & ~7) && (at + s.size <= start || at >= end)) {
      frame.spills.delete(at);
      for (let i = at; i < at + s.size; i++) frame.bytes[i] = Byte.DATA;
    }
  }
  const spill = a.atomic !== true && (isPointer(store) || a.size === 8 || scalarConst(store.scalar) !== undefined || a.size >= 4);
  for (let i = start; i < end; i++) frame.bytes[i] = spill ? Byte.SPILL : Byte.DATA;
  if (spill) {
    const fits = isPointer(store) || a.size === 8 || store.scalar.umax < 1n << BigInt(a.size * 8);
    frame.spills.set(start, { value: fits ? store : scalarValue(loadRange(a.size)), size: a.size });
  }
  return ANY_SCALAR;
}

/** True when stack bytes `[start, end)` of `frame` overlap a dynptr (a spill of the dynptr helpers'). */
function dynptrBytes(frame: Frame, start: number, end: number): boolean {
  for (const [at, s] of frame.spills) if (s.value.type === 'dynptr' && at < end && at + s.size > start) return true;
  return false;
}

/**
 * The kernel's word for a stack pointer whose variable offset reaches 2^29 (BPF_MAX_VAR_OFF) either way,
 * which a stack pointer plus a number with a large maximum has (alu.ts): 'unbounded variable-offset '.
 */
function unboundedStack(base: Value): string {
  return base.lo !== base.hi && (base.hi >= 0x2000_0000 || base.lo <= -0x2000_0000) ? 'unbounded variable-offset ' : '';
}

/** The types a helper's memory argument may point into. */
const MEMORY_TYPES: ReadonlySet<string> = new Set(['stack', 'map_value', 'mem', 'packet', 'packet_meta']);

/**
 * A helper argument pointing to memory of `size` bytes (a range [min, max] for variable sizes): check
 * it can be read (`write` false: stack bytes must be initialised) or written (`write`: stack bytes
 * become initialised). Returns false after a report.
 */
export function checkMemoryArg(env: Env, w: Work, pc: number, regNo: number, base: Value, minSize: number, maxSize: number, write: boolean): boolean {
  if (maxSize === 0 && base.type === 'stack') {
    // no byte is touched, yet the pointer must be inside the stack (other memory: its offsets must lie
    // within the object, its end included, checked below as an access of 0 bytes; checked against the
    // kernel: test/verifier/pointer-max-cases.ts)
    if (base.lo < -STACK_SIZE || base.hi >= 0) {
      env.report(pc, 'stack-access', `invalid ${unboundedStack(base)}${write ? 'write to' : 'read from'} stack R${regNo} off=${base.lo === base.hi ? base.lo : `[${base.lo}, ${base.hi}]`} size=0: the stack is the ${STACK_SIZE} bytes below r10`);
      return false;
    }
    return true;
  }
  if (base.type === 'stack') {
    const lo = base.lo;
    const hi = base.hi;
    if (base.frame >= w.frames.length || lo < -STACK_SIZE || hi + maxSize > 0) {
      env.report(pc, 'stack-access', `invalid ${unboundedStack(base)}indirect access to stack R${regNo} off=${lo === hi ? lo : `[${lo}, ${hi}]`} size=${maxSize}: the stack is the ${STACK_SIZE} bytes below r10`);
      return false;
    }
    if (!write) {
      const frame = w.frames[base.frame]!;
      if (dynptrBytes(frame, lo + STACK_SIZE, hi + STACK_SIZE + maxSize)) {
        env.report(pc, 'stack-access', `invalid indirect read from stack R${regNo} off ${lo}: it holds a dynptr, which only the dynptr helpers may read`);
        return false;
      }
      for (let i = lo + STACK_SIZE; i < hi + STACK_SIZE + maxSize; i++) {
        if (frame.bytes[i] === Byte.UNINIT) {
          if (env.privileged) {
            env.uninitStackRead(pc);
            break;
          }
          env.report(pc, 'uninit-stack-read', `invalid indirect read from stack R${regNo} off ${lo}+${i - STACK_SIZE - lo} size ${maxSize}`);
          return false;
        }
      }
    } else if (lo === hi) {
      const frame = ownFrame(w, base.frame);
      const start = lo + STACK_SIZE;
      for (const [at, s] of frame.spills) {
        if (at < start + maxSize && at + s.size > start) frame.spills.delete(at);
      }
      for (let i = start; i < start + minSize; i++) frame.bytes[i] = Byte.DATA;
      for (let i = start + minSize; i < start + maxSize; i++) if (frame.bytes[i] === Byte.SPILL) frame.bytes[i] = Byte.DATA;
    }
    return true;
  }
  if (MEMORY_TYPES.has(base.type)) {
    const probe: Access = { pc, regNo, base, off: 0, size: maxSize };
    if (write && maxSize > 0 && base.type === 'map_value' && mapsOf(base).some((k) => mapInfo(env, k)?.readOnly === true)) {
      env.report(pc, 'read-only-write', `R${regNo} points into a read-only map; the helper writes to it`);
      return false;
    }
    return access(env, w, probe) !== undefined;
  }
  if (base.type === 'uninit') env.report(pc, 'uninit-register', `R${regNo} !read_ok`);
  else env.report(pc, 'helper-argument', `R${regNo} type=${typeName(base.type)} expected=fp, pkt, pkt_meta, map_value, ringbuf_mem`);
  return false;
}
