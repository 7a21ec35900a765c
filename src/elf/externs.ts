/**
 * Extern symbols other than Kconfig, resolved as libbpf resolves them against a kernel, here against
 * what the host describes:
 *
 * - kernel symbols (`extern void bpf_init __ksym;`, typed `extern const int x __ksym;`): an `lddw` of
 *   one loads its address. `LoadOptions.ksyms` gives an address (a bigint) or the symbol's bytes
 *   (a `Uint8Array`, mapped read-only in an internal `.ksyms` map; the program gets their address).
 *   A typed ksym needs bytes (at least its type's size): an address alone would be memory nobody mapped.
 * - kfuncs (`extern int f(int) __ksym;`, and any other function the object calls but does not define):
 *   `LoadOptions.kfuncs` gives an implementation by name, with the shape of a helper. The call becomes
 *   a helper call to an id tsbpf reserves ({@link KFUNC_ID_BASE} up); an `lddw` of the function
 *   (`bpf_ksym_exists`) loads a non-zero address that is never mapped.
 * - plain undefined symbols with no BTF (an inline-assembly `r0 = MY_CONST ll`): a value from `ksyms`.
 * - untyped kernel symbols `ksyms` does not give: their address in `LoadOptions.kallsyms` (a kallsyms
 *   file's text, as libbpf reads /proc/kallsyms; tsbpf never reads it by itself).
 *
 * A weak extern nobody provides is 0 (an `lddw` of it loads 0; a call to such a kfunc stops the run with
 * an E_HELPER error naming it, where the kernel's verifier would have refused the reachable call). A
 * strong one nobody provides refuses the programs that use it, naming every missing extern at once;
 * the object's other programs load.
 * @module
 */
import { ArgumentError, ErrorCode, ExecutionError } from '../errors.js';
import type { FastHelperFunction, HelperEntry, HelperFunction } from '../vm/environment.js';
import { checkFunction, checkOptionalFunction, checkOptionalInteger, describeValue } from '../validate.js';
import { BtfKind, type Btf, type BtfType } from './btf.js';
import { SymbolType, type ElfFile } from './reader.js';

/** A host kfunc: its implementation, with the shape of a helper, and optionally its argument count. */
export interface KfuncEntry {
  /** Called with r1-r5 as unsigned 64-bit bigints; returns r0 (see `HelperFunction`). */
  readonly fn: HelperFunction;
  /** The allocation-free form (see `FastHelperFunction`); optional. */
  readonly fast?: FastHelperFunction;
  /**
   * How many arguments the kfunc takes (0 to 5). When given, a program whose BTF declares the kfunc
   * with another count is refused (the object was built against another kernel's kfunc).
   */
  readonly args?: number;
}

/** A kfunc as the host gives it: a bare function or a {@link KfuncEntry}. */
export type KfuncImplementation = HelperFunction | KfuncEntry;

/** A kernel symbol as the host gives it: an address, or the bytes of the object (mapped read-only). */
export type KsymValue = bigint | number | Uint8Array;

/** First helper id given to kfuncs (one id per kfunc an object uses); ids below it are helpers. */
export const KFUNC_ID_BASE = 0x7f00_0000;
/** Most bytes of host-provided ksym contents one object maps. */
export const MAX_KSYM_BYTES = 1 << 24;
/** Longest symbol name accepted in the host's tables (kernel symbols are at most 512 bytes). */
const MAX_NAME = 512;
/** What an `lddw` of a host-provided kfunc loads: kernel-text-like addresses, never mapped. */
const KFUNC_ADDRESS_BASE = 0xffff_ffff_c000_0000n;

/** kfuncs whose semantics are definable outside the kernel, from the kernel's kfunc documentation. */
export const BUILTIN_KFUNCS: Readonly<Record<string, KfuncEntry>> = {
  // An RCU read-side section or a preemption-disabled section: a single-threaded run is always in one.
  bpf_rcu_read_lock: { fn: () => 0n, args: 0 },
  bpf_rcu_read_unlock: { fn: () => 0n, args: 0 },
  bpf_preempt_disable: { fn: () => 0n, args: 0 },
  bpf_preempt_enable: { fn: () => 0n, args: 0 },
};

const NAME = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

/** A symbol name as a message shows it: quoted and cut when it is not a plain identifier or is long. */
export function symbolText(name: string): string {
  if (NAME.test(name) && name.length <= 80) return name;
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}

function checkName(name: string, option: string): void {
  if (name.length > MAX_NAME || !NAME.test(name)) throw new ArgumentError(`${option}: ${symbolText(name)} is not a symbol name (letters, digits, _ . $; at most ${MAX_NAME} characters)`);
}

/** Checked `ksyms` option: names to addresses (unsigned 64-bit) or bytes (copied). */
export function checkKsyms(raw: unknown): ReadonlyMap<string, bigint | Uint8Array> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ArgumentError(`ksyms must be an object of symbol names to addresses or bytes, not ${describeValue(raw)}`);
  const out = new Map<string, bigint | Uint8Array>();
  let bytes = 0;
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    checkName(name, 'ksyms');
    if (v instanceof Uint8Array) {
      bytes += v.length;
      if (v.length === 0 || bytes > MAX_KSYM_BYTES) throw new ArgumentError(`ksyms.${name}: symbol contents must be 1 byte to ${MAX_KSYM_BYTES} bytes in all, got ${v.length}`);
      out.set(name, v.slice());
      continue;
    }
    const n = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
    if (n === undefined || n < -(1n << 63n) || n >= 1n << 64n) throw new ArgumentError(`ksyms.${name} must be an address (an integer from -2^63 to 2^64-1) or the symbol's bytes (a Uint8Array), not ${describeValue(v)}`);
    out.set(name, BigInt.asUintN(64, n));
  }
  return out;
}

/** Longest kallsyms text accepted (a kernel's /proc/kallsyms is 10 to 20 MB). */
export const MAX_KALLSYMS_BYTES = 64 << 20;
const KALLSYMS_LINE = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?])\s+(\S+)(?:\s+\[\S+\])?\s*$/;

/**
 * Checked `kallsyms` option: the text of a kernel's `/proc/kallsyms` (`ADDRESS TYPE NAME [MODULE]` a
 * line) as names to addresses; the first of two entries of one name wins. A line of another shape is
 * an ArgumentError naming it.
 */
export function checkKallsyms(raw: unknown): ReadonlyMap<string, bigint> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ArgumentError(`kallsyms must be the text of a kallsyms file (ADDRESS TYPE NAME a line), not ${describeValue(raw)}`);
  if (raw.length > MAX_KALLSYMS_BYTES) throw new ArgumentError(`kallsyms: ${raw.length} characters, more than ${MAX_KALLSYMS_BYTES}`);
  const out = new Map<string, bigint>();
  let line = 0;
  for (const text of raw.split('\n')) {
    line++;
    if (text.trim() === '') continue;
    const m = KALLSYMS_LINE.exec(text);
    if (m === null) throw new ArgumentError(`kallsyms line ${line}: ${JSON.stringify(text.slice(0, 80))} is not 'ADDRESS TYPE NAME [MODULE]'`);
    if (!out.has(m[3]!)) out.set(m[3]!, BigInt(`0x${m[1]!}`));
  }
  return out;
}

/** Checked `kfuncs` option: names to entries. */
export function checkKfuncs(raw: unknown): ReadonlyMap<string, KfuncEntry> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ArgumentError(`kfuncs must be an object of kfunc names to functions, not ${describeValue(raw)}`);
  const out = new Map<string, KfuncEntry>();
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    checkName(name, 'kfuncs');
    if (typeof v === 'function') {
      out.set(name, { fn: v as HelperFunction });
      continue;
    }
    if (typeof v !== 'object' || v === null) throw new ArgumentError(`kfuncs.${name} must be a function (r1, r2, r3, r4, r5, ctx) => r0 or { fn, fast?, args? }, not ${describeValue(v)}`);
    const e = v as Partial<KfuncEntry>;
    const fn = checkFunction<HelperFunction>(e.fn, `kfuncs.${name}.fn`);
    const fast = checkOptionalFunction<FastHelperFunction>(e.fast, `kfuncs.${name}.fast`);
    const args = checkOptionalInteger(e.args, `kfuncs.${name}.args`, 0, 5);
    out.set(name, { fn, ...(fast === undefined ? {} : { fast }), ...(args === undefined ? {} : { args }) });
  }
  return out;
}

/** What the object's BTF says about an extern. */
interface ExternInfo {
  readonly weak: boolean;
  /** `kfunc`: a FUNC in BTF; `ksym`: a VAR; `symbol`: no BTF (an assembler constant). */
  readonly kind: 'kfunc' | 'ksym' | 'symbol';
  /** ksym: the size of its type (undefined: untyped, `extern void x __ksym`). */
  readonly size?: number;
  /** kfunc: its prototype's parameter count. */
  readonly params?: number;
  /** Declared `__ksym` (in the `.ksyms` DATASEC), not merely left undefined. */
  readonly ksym?: boolean;
}

/** A use of an extern the host does not provide, for the refusal message. */
export interface MissingExtern {
  readonly name: string;
  readonly why: string;
  readonly where: string;
}

/**
 * The object's externs (other than Kconfig's) and what the host provides for them: helper entries for
 * its kfuncs, the bytes of the `.ksyms` map, and the value of each `lddw` / call that names one.
 */
export class ExternTable {
  /** Contents of the read-only `.ksyms` map (undefined: no extern takes bytes). */
  readonly bytes: Uint8Array | undefined;
  /** Helper entries by id for the kfuncs the object names (host, built-in, and weak ones nobody provides). */
  readonly helpers = new Map<number, HelperEntry>();
  private readonly info = new Map<string, ExternInfo>();
  private readonly offsets = new Map<string, number>();
  private readonly ids = new Map<string, number>();
  private readonly kfuncs: ReadonlyMap<string, KfuncEntry>;
  private readonly ksyms: ReadonlyMap<string, bigint | Uint8Array>;

  /** `kallsyms`: addresses for untyped `__ksym` externs that `ksyms` does not give (libbpf reads /proc/kallsyms for them). */
  constructor(elf: ElfFile, btf: Btf | undefined, ksyms: ReadonlyMap<string, bigint | Uint8Array> | undefined, kfuncs: ReadonlyMap<string, KfuncEntry> | undefined, kallsyms?: ReadonlyMap<string, bigint>) {
    const values = new Map(ksyms ?? []);
    this.ksyms = values;
    const all = new Map<string, KfuncEntry>(Object.entries(BUILTIN_KFUNCS));
    for (const [name, e] of kfuncs ?? []) all.set(name, e);
    this.kfuncs = all;
    const kconfig = new Set<string>();
    const kc = btf?.find(BtfKind.DATASEC, '.kconfig');
    for (const v of kc?.vars ?? []) kconfig.add(btf!.type(v.type).name);
    let end = 0;
    const chunks: [number, Uint8Array][] = [];
    const index = indexBtf(btf);
    for (const sym of elf.symbols) {
      if (sym.shndx !== 0 || sym.name === '' || sym.type === SymbolType.SECTION || kconfig.has(sym.name) || this.info.has(sym.name)) continue;
      const weak = sym.bind === 2;
      const info = describe(btf, index, sym.name, weak);
      this.info.set(sym.name, info);
      const listed = kallsyms?.get(sym.name);
      if (listed !== undefined && info.kind === 'ksym' && info.ksym === true && info.size === undefined && !values.has(sym.name)) values.set(sym.name, listed);
      const value = this.ksyms.get(sym.name);
      if (value instanceof Uint8Array && info.kind !== 'kfunc') {
        const offset = Math.ceil(end / 8) * 8;
        chunks.push([offset, value]);
        this.offsets.set(sym.name, offset);
        end = offset + value.length;
      }
      const impl = this.kfuncs.get(sym.name);
      if (impl !== undefined || (weak && info.kind !== 'ksym')) {
        const id = KFUNC_ID_BASE + this.ids.size;
        this.ids.set(sym.name, id);
        this.helpers.set(id, impl === undefined ? poisoned(sym.name) : { fn: impl.fn, ...(impl.fast === undefined ? {} : { fast: impl.fast }), name: `kfunc ${sym.name}`, unwindOnZero: false });
      }
    }
    if (chunks.length === 0) {
      this.bytes = undefined;
    } else {
      this.bytes = new Uint8Array(Math.ceil(end / 8) * 8);
      for (const [at, b] of chunks) this.bytes.set(b, at);
    }
  }

  /**
   * The value an `lddw` of extern `name` loads (`base`: the `.ksyms` map's value address), or why it
   * has none.
   */
  address(name: string, addend: bigint, base: number | undefined): bigint | string {
    const info = this.info.get(name);
    if (info === undefined) return `symbol ${symbolText(name)} is not an extern of this object`;
    if (info.kind === 'kfunc') {
      const id = this.ids.get(name);
      if (id === undefined || !this.kfuncs.has(name)) return info.weak ? 0n : this.missingKfunc(name);
      return KFUNC_ADDRESS_BASE + BigInt(id - KFUNC_ID_BASE) * 16n;
    }
    const value = this.ksyms.get(name);
    if (value === undefined) {
      if (info.weak) return 0n;
      if (info.kind === 'ksym' && info.ksym !== true) {
        return `extern variable ${symbolText(name)} is declared but not defined in this object: link the object that defines it (the link option, --link FILE), or pass it in ksyms`;
      }
      return info.kind === 'symbol'
        ? `extern symbol ${symbolText(name)} has no value: it is not defined in the object and has no BTF; pass it with the ksyms option (--ksym ${symbolText(name)}=VALUE)`
        : `kernel symbol ${symbolText(name)} (__ksym) is not provided: pass its address or bytes with the ksyms option (--ksym ${symbolText(name)}=ADDRESS or =@FILE)${info.size === undefined ? ' or a kallsyms file that lists it (the kallsyms option, --kallsyms FILE)' : ''}, or declare it __weak (then 0)`;
    }
    if (typeof value === 'bigint') {
      if (info.size !== undefined) {
        return `typed kernel symbol ${symbolText(name)} (${info.size} bytes) needs its contents, not an address: pass a Uint8Array of at least ${info.size} bytes in ksyms (--ksym ${symbolText(name)}=@FILE)`;
      }
      return BigInt.asUintN(64, value + addend);
    }
    if (info.size !== undefined && value.length < info.size) {
      return `kernel symbol ${symbolText(name)} is ${info.size} bytes in the object's BTF, but ksyms gives ${value.length}`;
    }
    if (base === undefined) return `internal: no .ksyms map for ${symbolText(name)}`;
    return BigInt(base + this.offsets.get(name)!) + addend;
  }

  /** The kfuncs given helper ids: id → name (what the kernel-level verifier checks their calls by). */
  kfuncNames(): ReadonlyMap<number, string> {
    return new Map([...this.ids].map(([name, id]) => [id, name]));
  }

  /** The helper ids of weak kfuncs nobody provides (a call to one stops the run; the kernel refuses it). */
  missingKfuncIds(): ReadonlySet<number> {
    return new Set([...this.ids].filter(([name]) => !this.kfuncs.has(name)).map(([, id]) => id));
  }

  /** The helper id a call to extern function `name` becomes (`params`: from BTF), or why there is none. */
  call(name: string): number | string {
    const info = this.info.get(name);
    const id = this.ids.get(name);
    if (info === undefined || info.kind === 'ksym') return `${symbolText(name)} is called, but the object declares it as a variable`;
    if (id === undefined) return this.missingKfunc(name);
    const impl = this.kfuncs.get(name);
    if (info.params !== undefined && info.params > 5) return `kfunc ${symbolText(name)} takes ${info.params} arguments in the object's BTF; a call passes at most 5`;
    if (impl?.args !== undefined && info.params !== undefined && impl.args !== info.params) {
      return `kfunc ${symbolText(name)} takes ${info.params} argument${info.params === 1 ? '' : 's'} in the object's BTF, but the host's implementation declares ${impl.args}`;
    }
    return id;
  }

  private missingKfunc(name: string): string {
    const info = this.info.get(name);
    return info?.ksym === true
      ? `kfunc ${symbolText(name)} is not provided: pass it in the kfuncs option`
      : `function ${symbolText(name)} is declared but not defined in this object: link the object that defines it (the link option, --link FILE), or pass it in the kfuncs option`;
  }
}

/** A weak kfunc nobody provides: calling it stops the run (the kernel would have refused a reachable call). */
function poisoned(name: string): HelperEntry {
  return {
    name: `kfunc ${name} (weak, not provided)`,
    unwindOnZero: false,
    fn: (_1, _2, _3, _4, _5, ctx) => {
      throw new ExecutionError(ErrorCode.HELPER, `called weak kfunc ${symbolText(name)}, which the host does not provide (its address is 0: check it with bpf_ksym_exists first, or pass it in the kfuncs option)`, { pc: ctx.pc, helper: name });
    },
  };
}

/** The object's BTF facts about extern names, indexed once (an object may have many externs and types). */
interface BtfIndex {
  /** The first FUNC or extern VAR of each name. */
  readonly byName: ReadonlyMap<string, BtfType>;
  /** Names listed in the `.ksyms` DATASEC. */
  readonly ksyms: ReadonlySet<string>;
}

function indexBtf(btf: Btf | undefined): BtfIndex | undefined {
  if (btf === undefined) return undefined;
  const byName = new Map<string, BtfType>();
  for (const t of btf.types) {
    if (t === undefined || byName.has(t.name)) continue;
    if (t.kind === BtfKind.FUNC || (t.kind === BtfKind.VAR && t.linkage === 2)) byName.set(t.name, t);
  }
  const ksyms = new Set<string>();
  for (const v of btf.find(BtfKind.DATASEC, '.ksyms')?.vars ?? []) {
    const name = btf.types[v.type]?.name;
    if (name !== undefined) ksyms.add(name);
  }
  return { byName, ksyms };
}

function describe(btf: Btf | undefined, index: BtfIndex | undefined, name: string, weak: boolean): ExternInfo {
  const t = index?.byName.get(name);
  if (btf === undefined || t === undefined) return { weak, kind: 'symbol' };
  const ksym = index!.ksyms.has(name);
  if (t.kind === BtfKind.FUNC) {
    const proto = t.sizeOrType === 0 ? undefined : btf.types[t.sizeOrType];
    const params = proto?.kind === BtfKind.FUNC_PROTO ? proto.vlen : undefined;
    return { weak, kind: 'kfunc', ksym, ...(params === undefined ? {} : { params }) };
  }
  if (t.sizeOrType === 0) return { weak, kind: 'ksym', ksym };
  let size: number | undefined;
  try {
    size = btf.sizeOf(t.sizeOrType);
  } catch {
    size = undefined;
  }
  return { weak, kind: 'ksym', ksym, ...(size === undefined ? {} : { size }) };
}
