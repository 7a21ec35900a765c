/**
 * Kconfig externs (`extern int LINUX_KERNEL_VERSION __kconfig;`, `extern bool CONFIG_X __kconfig __weak;`),
 * resolved as libbpf does: each extern of the object's `.kconfig` DATASEC gets a slot in a read-only
 * internal map named `.kconfig`, filled from the value the host gives (`LoadOptions.kconfig`, CLI
 * `--kconfig NAME=VALUE`), else tsbpf's modelled kernel ({@link KCONFIG_DEFAULTS}); a weak extern
 * with no value is 0, a strong one is an error naming it (the programs that read it are refused,
 * the others load). Values follow libbpf's rules for the extern's declared type:
 *
 * - `enum libbpf_tristate` (any 4-byte enum): `y` 1, `n` 0, `m` 2;
 * - `bool`: `y` / `n` (or true / false);
 * - `char`: `y`, `n`, `m` as those characters, or a number from -128 to 255;
 * - integers of 1, 2, 4 or 8 bytes: a number (decimal, `0x` hex) that fits the type;
 * - `char[N]`: a string, NUL-terminated and cut to N - 1 bytes.
 * @module
 */
import { ArgumentError, ErrorCode, ObjectFileError } from '../errors.js';
import { checkInteger, describeValue } from '../validate.js';
import { BtfIntEncoding, BtfKind, type Btf } from './btf.js';
import { SymbolType, type ElfFile } from './reader.js';

/** A Kconfig value as the host gives it: `'y'` / `'n'` / `'m'`, a number, a string, or a boolean (y / n). */
export type KconfigValue = string | number | bigint | boolean;

/** `KERNEL_VERSION(a, b, c)` as the kernel's headers compute it. */
export function kernelVersion(major: number, minor: number, patch: number): number {
  checkInteger(major, 'major', 0, 0xffff);
  checkInteger(minor, 'minor', 0, 0xff);
  checkInteger(patch, 'patch', 0, 0xffff_ffff);
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/**
 * The kernel tsbpf models, as Kconfig sees it: Linux 6.18 on x86-64 with BPF, its JIT, networking and
 * `CONFIG_HZ` = 250 (the tick rate of `bpf_jiffies64`), `CONFIG_DEFAULT_HOSTNAME` "(none)" (the
 * kernel's default). `LINUX_HAS_BPF_COOKIE` is false because tsbpf
 * has no `bpf_get_attach_cookie`. Anything else is unknown: give it with the `kconfig` option.
 */
export const KCONFIG_DEFAULTS: Readonly<Record<string, KconfigValue>> = {
  LINUX_KERNEL_VERSION: kernelVersion(6, 18, 0),
  LINUX_HAS_BPF_COOKIE: 'n',
  LINUX_HAS_SYSCALL_WRAPPER: 'y',
  CONFIG_64BIT: 'y',
  CONFIG_X86_64: 'y',
  CONFIG_SMP: 'y',
  CONFIG_HZ: 250,
  CONFIG_HZ_250: 'y',
  CONFIG_BPF: 'y',
  CONFIG_BPF_SYSCALL: 'y',
  CONFIG_BPF_JIT: 'y',
  CONFIG_BPF_EVENTS: 'y',
  CONFIG_DEBUG_INFO_BTF: 'y',
  CONFIG_NET: 'y',
  CONFIG_INET: 'y',
  CONFIG_IPV6: 'y',
  CONFIG_NET_CLS_BPF: 'y',
  CONFIG_NET_ACT_BPF: 'y',
  CONFIG_XDP_SOCKETS: 'y',
  // The kernel's default when the build does not set one (init/Kconfig).
  CONFIG_DEFAULT_HOSTNAME: '(none)',
};

/** One extern of `.kconfig`: where its value is in the `.kconfig` map, or why it has none. */
export interface KconfigExtern {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly weak: boolean;
  /** Set when the extern has no usable value: programs that read it are refused with this message. */
  readonly error?: string;
}

/** The `.kconfig` map's contents and its externs by name (undefined: the object has none). */
export interface KconfigLayout {
  readonly bytes: Uint8Array;
  readonly externs: ReadonlyMap<string, KconfigExtern>;
}

/** What kind of value an extern's type takes. */
type Slot =
  | { readonly kind: 'tristate' | 'bool' | 'char' }
  | { readonly kind: 'int'; readonly signed: boolean }
  | { readonly kind: 'string' };

/** Checked `kconfig` option: a plain object of names to values (a copy). */
export function checkKconfig(raw: unknown): Readonly<Record<string, KconfigValue>> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ArgumentError(`kconfig must be an object of names to values, not ${describeValue(raw)}`);
  const out: Record<string, KconfigValue> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ArgumentError(`kconfig: ${JSON.stringify(name)} is not a Kconfig name`);
    const ok = typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
    if (!ok) throw new ArgumentError(`kconfig.${name} must be 'y', 'n', 'm', an integer, a string or a boolean, not ${describeValue(v)}`);
    out[name] = v;
  }
  return out;
}

function slotOf(btf: Btf, typeId: number, size: number): Slot | string {
  const t = btf.resolve(typeId);
  if (t.kind === BtfKind.ENUM && t.sizeOrType === 4) return { kind: 'tristate' };
  if (t.kind === BtfKind.INT && t.int !== undefined) {
    if ((t.int.encoding & BtfIntEncoding.BOOL) !== 0 && size === 1) return { kind: 'bool' };
    if (size === 1 && (t.int.encoding & BtfIntEncoding.CHAR) !== 0) return { kind: 'char' };
    if (size === 1 && t.name === 'char') return { kind: 'char' };
    if ([1, 2, 4, 8].includes(size)) return { kind: 'int', signed: (t.int.encoding & BtfIntEncoding.SIGNED) !== 0 };
  }
  if (t.kind === BtfKind.ARRAY && t.array !== undefined) {
    const e = btf.resolve(t.array.type);
    if (e.kind === BtfKind.INT && e.sizeOrType === 1) return { kind: 'string' };
  }
  return `its type (${btf.type(typeId).name || `BTF kind ${t.kind}`}, ${size} bytes) is not one Kconfig values fit (tristate enum, bool, char, integer, char array)`;
}

/** A value's bytes for a slot of `size` bytes, or why it does not fit. */
function encode(slot: Slot, size: number, value: KconfigValue): Uint8Array | string {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const text = typeof value === 'boolean' ? (value ? 'y' : 'n') : typeof value === 'string' ? value.trim() : undefined;
  const tri = text === 'y' ? 1 : text === 'n' ? 0 : text === 'm' ? 2 : undefined;
  switch (slot.kind) {
    case 'tristate':
      if (tri === undefined) return `a tristate takes y, n or m, not ${JSON.stringify(String(value))}`;
      v.setUint32(0, tri, true);
      return out;
    case 'bool':
      if (tri === undefined || tri === 2) return `a bool takes y or n, not ${JSON.stringify(String(value))}`;
      out[0] = tri;
      return out;
    case 'string': {
      if (typeof value !== 'string') return `a char array takes a string, not ${String(value)}`;
      const s = /^".*"$/s.test(value) ? value.slice(1, -1) : value;
      out.set(new TextEncoder().encode(s).subarray(0, size - 1));
      return out;
    }
    case 'char':
    case 'int': {
      // A char also takes y, n and m as those characters.
      if (slot.kind === 'char' && tri !== undefined) {
        out[0] = text!.charCodeAt(0);
        return out;
      }
      const n = integer(value);
      if (n === undefined) return `an integer extern takes a number, not ${JSON.stringify(String(value))}`;
      const bits = BigInt(size * 8);
      const signed = slot.kind === 'int' ? slot.signed : true;
      const min = slot.kind === 'char' ? -128n : signed ? -(1n << (bits - 1n)) : 0n;
      const max = slot.kind === 'char' ? 255n : signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      if (n < min || n > max) return `${n} does not fit ${size} ${signed ? 'signed' : 'unsigned'} bytes`;
      const u = BigInt.asUintN(Number(bits), n);
      for (let i = 0; i < size; i++) out[i] = Number((u >> BigInt(8 * i)) & 0xffn);
      return out;
    }
  }
}

function integer(value: KconfigValue): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(s)) return undefined;
  return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
}

/**
 * Lay out the object's Kconfig externs and fill their values. Undefined when the object declares
 * none. A host value that does not fit its extern is the caller's error ({@link ArgumentError}).
 */
export function layoutKconfig(elf: ElfFile, btf: Btf | undefined, overrides: Readonly<Record<string, KconfigValue>> | undefined): KconfigLayout | undefined {
  const sec = btf?.find(BtfKind.DATASEC, '.kconfig');
  if (btf === undefined || sec === undefined || (sec.vars ?? []).length === 0) return undefined;
  const externs = new Map<string, KconfigExtern>();
  const values: [number, Uint8Array][] = [];
  let end = 0;
  for (const entry of sec.vars ?? []) {
    const variable = btf.type(entry.type);
    const name = variable.name;
    if (variable.kind !== BtfKind.VAR) throw new ObjectFileError(ErrorCode.BTF, `BTF: .kconfig entry ${entry.type} is not a variable`);
    if (externs.has(name)) continue;
    const sym = elf.symbols.find((y) => y.name === name && y.shndx === 0 && y.type !== SymbolType.SECTION);
    const weak = sym?.bind === 2;
    const size = btf.sizeOf(variable.sizeOrType);
    if (size === 0 || size > 4096) throw new ObjectFileError(ErrorCode.BTF, `BTF: Kconfig extern ${name} is ${size} bytes`);
    const align = Math.min(8, size & -size || 1);
    const offset = Math.ceil(end / align) * align;
    end = offset + size;
    const slot = slotOf(btf, variable.sizeOrType, size);
    const given = overrides?.[name];
    const value = given ?? KCONFIG_DEFAULTS[name];
    let error: string | undefined;
    if (typeof slot === 'string') {
      error = `Kconfig extern ${name}: ${slot}`;
    } else if (value === undefined) {
      if (!weak) error = `Kconfig extern ${name} has no value: tsbpf's modelled kernel does not define it; pass it with the kconfig option (--kconfig ${name}=VALUE) or declare it __weak (then 0)`;
    } else {
      const bytes = encode(slot, size, value);
      if (typeof bytes === 'string') {
        if (given !== undefined) throw new ArgumentError(`kconfig.${name}: ${bytes}`);
        error = `Kconfig extern ${name}: tsbpf's value ${String(value)} does not fit its declared type: ${bytes}; pass one with the kconfig option`;
      } else {
        values.push([offset, bytes]);
      }
    }
    externs.set(name, { name, offset, size, weak, ...(error === undefined ? {} : { error }) });
  }
  const bytes = new Uint8Array(Math.max(8, Math.ceil(end / 8) * 8));
  for (const [at, b] of values) bytes.set(b, at);
  return { bytes, externs };
}
