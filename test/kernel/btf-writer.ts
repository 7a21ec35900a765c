/**
 * A small writer of raw BTF (the kernel's type format: a header, type records, a string table) for the
 * kernel oracle: the types a raw program's func_info names (one BTF_KIND_FUNC per function, so the kernel
 * verifies callbacks) and the key and value types of a map (a struct holding a `struct bpf_spin_lock` or
 * `struct bpf_timer` at a chosen offset). Written from the format's documentation (docs.kernel.org/bpf/btf.html);
 * only the kinds these need: INT, PTR, STRUCT, FUNC, FUNC_PROTO.
 */

const KIND = { INT: 1, PTR: 2, STRUCT: 4, FUNC: 12, FUNC_PROTO: 13 } as const;

/** Builds one BTF blob; each `add*` returns the new type's id (ids start at 1; 0 is void). */
export class BtfWriter {
  private readonly types: number[] = [];
  private readonly strings: string[] = [''];
  private strLen = 1;
  private readonly offsets = new Map<string, number>([['', 0]]);
  private count = 0;

  private str(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const at = this.strLen;
    this.offsets.set(s, at);
    this.strings.push(s);
    this.strLen += Buffer.byteLength(s) + 1;
    return at;
  }

  private type(name: string, kind: number, vlen: number, sizeOrType: number, extra: readonly number[]): number {
    this.types.push(this.str(name), (kind << 24) | vlen, sizeOrType, ...extra);
    return ++this.count;
  }

  /** An integer of `size` bytes. */
  int(name: string, size: number, signed = false): number {
    return this.type(name, KIND.INT, 0, size, [((signed ? 1 : 0) << 24) | (size * 8)]);
  }

  /** A pointer to `to` (0: void). */
  ptr(to: number): number {
    return this.type('', KIND.PTR, 0, to, []);
  }

  /** A struct of `size` bytes with members at byte offsets. */
  struct(name: string, size: number, members: readonly { name: string; type: number; offset: number }[]): number {
    return this.type(name, KIND.STRUCT, members.length, size, members.flatMap((m) => [this.str(m.name), m.type, m.offset * 8]));
  }

  /** A function prototype returning `ret` with unnamed parameters of the given types. */
  proto(ret: number, params: readonly number[]): number {
    return this.type('', KIND.FUNC_PROTO, params.length, ret, params.flatMap((p) => [0, p]));
  }

  /** A function of prototype `proto`: static (linkage 0) or global (1). */
  func(name: string, proto: number, linkage: 0 | 1 = 0): number {
    return this.type(name, KIND.FUNC, linkage, proto, []);
  }

  /** The blob: header, types, strings. */
  build(): Uint8Array {
    const typeLen = this.types.length * 4;
    const strBytes = Buffer.from(this.strings.map((s) => `${s}\0`).join(''));
    const out = Buffer.alloc(24 + typeLen + strBytes.length);
    out.writeUInt16LE(0xeb9f, 0);
    out.writeUInt8(1, 2); // version
    out.writeUInt8(0, 3); // flags
    out.writeUInt32LE(24, 4); // header length
    out.writeUInt32LE(0, 8); // type section offset (from the header's end)
    out.writeUInt32LE(typeLen, 12);
    out.writeUInt32LE(typeLen, 16); // string section offset
    out.writeUInt32LE(strBytes.length, 20);
    this.types.forEach((v, i) => out.writeUInt32LE(v >>> 0, 24 + 4 * i));
    strBytes.copy(out, 24 + typeLen);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

/** BTF for a raw program: one static `int f(void)` per function start, and its func_info records. */
export function programBtf(functionStarts: readonly number[]): { blob: Uint8Array; funcInfo: readonly (readonly [number, number])[] } {
  const w = new BtfWriter();
  const int = w.int('int', 4, true);
  const proto = w.proto(int, []);
  const funcInfo = [...new Set([0, ...functionStarts])].sort((a, b) => a - b).map((pc, i) => [pc, w.func(i === 0 ? 'main' : `f${pc}`, proto)] as const);
  return { blob: w.build(), funcInfo };
}

/** Special fields a map value's BTF may place: their byte offsets in the value. */
export interface ValueFields {
  readonly spinLock?: number;
  readonly timer?: number;
}

/** BTF for a map: an integer key of `keySize` bytes and a struct value of `valueSize` bytes with the given fields. */
export function mapBtf(keySize: number, valueSize: number, fields: ValueFields): { blob: Uint8Array; keyType: number; valueType: number } {
  const w = new BtfWriter();
  const u32 = w.int('unsigned int', 4);
  const u64 = w.int('long long unsigned int', 8);
  const keyType = keySize === 4 ? u32 : keySize === 8 ? u64 : w.struct('key', keySize, []);
  const members: { name: string; type: number; offset: number }[] = [];
  if (fields.spinLock !== undefined) members.push({ name: 'lock', type: w.struct('bpf_spin_lock', 4, [{ name: 'val', type: u32, offset: 0 }]), offset: fields.spinLock });
  if (fields.timer !== undefined) members.push({ name: 'timer', type: w.struct('bpf_timer', 16, [{ name: 'a', type: u64, offset: 0 }, { name: 'b', type: u64, offset: 8 }]), offset: fields.timer });
  members.sort((a, b) => a.offset - b.offset);
  const valueType = w.struct('val', valueSize, members);
  return { blob: w.build(), keyType, valueType };
}

/** The functions of raw bytecode: the targets of local calls (`call` src 1) and of function pointers (`lddw` src 4). */
export function functionStarts(insns: Uint8Array): number[] {
  const out = new Set<number>();
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (let pc = 0; pc * 8 < insns.length; pc++) {
    const code = view.getUint8(pc * 8);
    const src = view.getUint8(pc * 8 + 1) >> 4;
    const imm = view.getInt32(pc * 8 + 4, true);
    if ((code === 0x85 && src === 1) || (code === 0x18 && src === 4)) out.add(pc + imm + 1);
    if (code === 0x18) pc++;
  }
  return [...out].sort((a, b) => a - b);
}
