/**
 * A WebAssembly text (WAT) disassembler for the modules the JIT emits: types, imports, functions,
 * globals, exports and code, one instruction per line, indented by block nesting. It reads the binary
 * format back (not the builder's state), so it shows exactly what V8 is given. It understands the
 * slice of the format that {@link ModuleBuilder} writes; anything else is reported, not guessed.
 * @module
 */
import { JitError } from '../errors.js';
import { BLOCK_VOID, ExternalKind, Op, OpFc, Section, ValType } from '../wasm/opcodes.js';
import { checkBytes, checkInstance, checkInteger, checkOptions, checkString } from '../validate.js';

/** Options of {@link wasmToWat}. */
export interface WatOptions {
  /** Extra names for functions by index, printed as comments (e.g. the eBPF pc a function starts at). */
  readonly functionNotes?: ReadonlyMap<number, string>;
}

const OP_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Op).map(([key, code]) => [code, /^(i32|i64|f64|local|global)_/.test(key) ? key.replace('_', '.') : key]),
);

const TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ValType).map(([k, v]) => [v, k]));

/** A cursor over module bytes with the LEB128 decoders. */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  u8(): number {
    if (this.at >= this.bytes.length) throw new JitError(`WAT: unexpected end of module at byte ${this.at}`);
    return this.bytes[this.at++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new JitError(`WAT: bad LEB128 at byte ${this.at}`);
    }
  }

  s64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if ((b & 0x40) !== 0 && shift < 64n) result -= 1n << shift;
        return BigInt.asIntN(64, result);
      }
      if (shift > 70n) throw new JitError(`WAT: bad LEB128 at byte ${this.at}`);
    }
  }

  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

const typeName = (code: number): string => {
  const n = TYPE_NAMES.get(code);
  if (n === undefined) throw new JitError(`WAT: unknown value type 0x${code.toString(16)}`);
  return n;
};

interface FuncSig {
  readonly params: readonly string[];
  readonly results: readonly string[];
}

const sigText = (t: FuncSig): string =>
  (t.params.length > 0 ? ` (param ${t.params.join(' ')})` : '') + (t.results.length > 0 ? ` (result ${t.results.join(' ')})` : '');

/** Disassemble one function body (after its local declarations) into lines at `indent`. */
function disassembleBody(r: Reader, end: number, indent: number, out: string[]): void {
  let depth = indent;
  const line = (s: string): void => {
    out.push('  '.repeat(depth) + s);
  };
  while (r.at < end) {
    const code = r.u8();
    const name = OP_NAMES.get(code);
    if (name === undefined) throw new JitError(`WAT: unknown opcode 0x${code.toString(16)} at byte ${r.at - 1}`);
    switch (code) {
      case Op.block:
      case Op.loop:
      case Op.if: {
        const bt = r.u8();
        line(bt === BLOCK_VOID ? name : `${name} (result ${typeName(bt)})`);
        depth++;
        break;
      }
      case Op.else:
        depth--;
        line(name);
        depth++;
        break;
      case Op.end:
        depth--;
        // The function's own final `end` closes the body; it is printed by the caller as `)`.
        if (depth < indent) return;
        line(name);
        break;
      case Op.br:
      case Op.br_if:
      case Op.call:
      case Op.local_get:
      case Op.local_set:
      case Op.local_tee:
      case Op.global_get:
      case Op.global_set:
        line(`${name} ${r.u32()}`);
        break;
      case Op.prefix_fc: {
        const sub = r.u32();
        if (sub === OpFc.i64_trunc_sat_f64_s) {
          line('i64.trunc_sat_f64_s');
          break;
        }
        if (sub === OpFc.memory_fill) {
          r.u8();
          line('memory.fill');
          break;
        }
        if (sub !== OpFc.memory_copy) throw new JitError(`WAT: unknown opcode 0xfc ${sub} at byte ${r.at - 1}`);
        r.u8();
        r.u8();
        line('memory.copy');
        break;
      }
      case Op.br_table: {
        const n = r.u32();
        const targets: number[] = [];
        for (let i = 0; i <= n; i++) targets.push(r.u32());
        line(`${name} ${targets.join(' ')}`);
        break;
      }
      case Op.i32_const:
        line(`${name} ${BigInt.asIntN(32, r.s64())}`);
        break;
      case Op.i64_const:
        line(`${name} ${r.s64()}`);
        break;
      default:
        if (code >= Op.i32_load && code <= Op.i64_store32) {
          const align = r.u32();
          const offset = r.u32();
          line(name + (offset !== 0 ? ` offset=${offset}` : '') + (align !== 0 ? ` align=${2 ** align}` : ''));
        } else {
          line(name);
        }
    }
  }
  throw new JitError('WAT: function body without its final end');
}

/**
 * The WebAssembly text of a module the JIT emitted (see {@link compileToWasm}). Function and type
 * indexes are printed as `(;N;)` comments, as wasm2wat does, so the text can be matched against V8's
 * messages (`wasm-function[N]`).
 */
export function wasmToWat(bytes: Uint8Array, options: WatOptions = {}): string {
  checkBytes(bytes, 'bytes');
  const notes = checkOptions(options, 'options').functionNotes;
  if (notes !== undefined) {
    for (const [index, note] of checkInstance(notes, Map, 'options.functionNotes', 'a Map of function index to note')) {
      checkInteger(index, 'options.functionNotes key', 0, 0xffff_ffff);
      checkString(note, `options.functionNotes.get(${index})`);
    }
  }
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const b of magic) if (r.u8() !== b) throw new JitError('WAT: not a WebAssembly 1.0 module');
  const types: FuncSig[] = [];
  const funcTypes: number[] = [];
  let importedFuncs = 0;
  const out: string[] = ['(module'];
  const exports: string[] = [];
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const end = r.at + size;
    const count = r.u32();
    switch (id) {
      case Section.type:
        for (let i = 0; i < count; i++) {
          if (r.u8() !== 0x60) throw new JitError('WAT: expected a function type');
          const params = Array.from({ length: r.u32() }, () => typeName(r.u8()));
          const results = Array.from({ length: r.u32() }, () => typeName(r.u8()));
          types.push({ params, results });
          out.push(`  (type (;${i};) (func${sigText({ params, results })}))`);
        }
        break;
      case Section.import:
        for (let i = 0; i < count; i++) {
          const mod = r.name();
          const field = r.name();
          const kind = r.u8();
          if (kind === ExternalKind.func) {
            const t = r.u32();
            out.push(`  (import "${mod}" "${field}" (func (;${importedFuncs};) (type ${t})${sigText(types[t]!)}))`);
            funcTypes.push(t);
            importedFuncs++;
          } else if (kind === ExternalKind.memory) {
            const flags = r.u8();
            const min = r.u32();
            const max = (flags & 1) !== 0 ? ` ${r.u32()}` : '';
            out.push(`  (import "${mod}" "${field}" (memory (;0;) ${min}${max}))`);
          } else {
            throw new JitError(`WAT: unsupported import kind ${kind}`);
          }
        }
        break;
      case Section.function:
        for (let i = 0; i < count; i++) funcTypes.push(r.u32());
        break;
      case Section.global:
        for (let i = 0; i < count; i++) {
          const t = typeName(r.u8());
          const mutable = r.u8() === 1;
          const init: string[] = [];
          disassembleBody(r, end, 0, init);
          out.push(`  (global (;${i};) ${mutable ? `(mut ${t})` : t} (${init.map((s) => s.trim()).join(') (')}))`);
        }
        break;
      case Section.export:
        for (let i = 0; i < count; i++) {
          const name = r.name();
          const kind = r.u8();
          const index = r.u32();
          const k = Object.entries(ExternalKind).find(([, v]) => v === kind)?.[0] ?? `kind${kind}`;
          exports.push(`  (export "${name}" (${k} ${index}))`);
        }
        break;
      case Section.code:
        for (let i = 0; i < count; i++) {
          const index = importedFuncs + i;
          const bodySize = r.u32();
          const bodyEnd = r.at + bodySize;
          const t = funcTypes[index]!;
          const note = options.functionNotes?.get(index);
          out.push(`  (func (;${index};) (type ${t})${sigText(types[t]!)}${note !== undefined ? ` ;; ${note}` : ''}`);
          const locals: string[] = [];
          const runs = r.u32();
          for (let k = 0; k < runs; k++) {
            const n = r.u32();
            const lt = typeName(r.u8());
            for (let j = 0; j < n; j++) locals.push(lt);
          }
          if (locals.length > 0) out.push(`    (local ${locals.join(' ')})`);
          disassembleBody(r, bodyEnd, 2, out);
          out.push('  )');
          r.at = bodyEnd;
        }
        break;
      default:
        throw new JitError(`WAT: unsupported section ${id}`);
    }
    r.at = end;
  }
  out.push(...exports, ')');
  return out.join('\n') + '\n';
}
