/**
 * A typed builder for WebAssembly modules: types, imports, functions, globals, exports and code.
 *
 * The JIT needs only a small slice of the format, so it is written here rather than taken from a
 * package: tsbpf has no runtime dependencies, and the slice is a few hundred lines with tests.
 * @module
 */
import { BLOCK_VOID, ExternalKind, Op, OpFc, Section, type ValTypeCode } from './opcodes.js';
import { ByteWriter } from './writer.js';
import { JitError } from '../errors.js';

/** A function signature. */
export interface FuncType {
  /** Parameter types. */
  readonly params: readonly ValTypeCode[];
  /** Result types. */
  readonly results: readonly ValTypeCode[];
}

/** Instruction emitter for one function body, with helpers for the operand encodings. */
export class CodeWriter {
  /** The body bytes (without the local declarations). */
  readonly w = new ByteWriter();

  /** A bare opcode. */
  op(code: number): this {
    this.w.u8(code);
    return this;
  }
  /** `local.get`. */
  get(local: number): this {
    this.w.u8(Op.local_get).u32(local);
    return this;
  }
  /** `local.set`. */
  set(local: number): this {
    this.w.u8(Op.local_set).u32(local);
    return this;
  }
  /** `local.tee`. */
  tee(local: number): this {
    this.w.u8(Op.local_tee).u32(local);
    return this;
  }
  /** `global.get`. */
  gget(global: number): this {
    this.w.u8(Op.global_get).u32(global);
    return this;
  }
  /** `global.set`. */
  gset(global: number): this {
    this.w.u8(Op.global_set).u32(global);
    return this;
  }
  /** `i32.const`. */
  i32(v: number): this {
    this.w.u8(Op.i32_const).s32(v);
    return this;
  }
  /** `i64.const` (a JS number must be a safe integer; it is taken modulo 2^64). */
  i64(v: number | bigint): this {
    this.w.u8(Op.i64_const);
    if (typeof v === 'number' && v >= -0x8000_0000 && v <= 0x7fff_ffff) this.w.s32(v);
    else this.w.s64(BigInt(v));
    return this;
  }
  /** A load or store with its memory argument (alignment hint 0: eBPF accesses may be unaligned). */
  mem(code: number, offset = 0): this {
    this.w.u8(code).u32(0).u32(offset);
    return this;
  }
  /**
   * An atomic read-modify-write (`code` from OpFe) of `size` bytes (4 or 8): its alignment immediate must
   * be the natural one, and the address must be aligned at run time or the instruction traps.
   */
  atomicRmw(code: number, size: 4 | 8, offset = 0): this {
    this.w.u8(Op.prefix_fe).u32(code).u32(size === 8 ? 3 : 2).u32(offset);
    return this;
  }
  /**
   * An atomic load (`code` from OpFe) of `size` bytes (1 or 4), with its natural alignment immediate:
   * the address must be aligned at run time or the instruction traps.
   */
  atomicLoad(code: number, size: 1 | 4, offset = 0): this {
    this.w.u8(Op.prefix_fe).u32(code).u32(size === 4 ? 2 : 0).u32(offset);
    return this;
  }
  /** `i64.trunc_sat_f64_s` (no trap: callers pass integers in range). */
  i64TruncSatF64S(): this {
    this.w.u8(Op.prefix_fc).u32(OpFc.i64_trunc_sat_f64_s);
    return this;
  }
  /** `memory.copy` within memory 0 (operands: destination, source, length, all i32). */
  memoryCopy(): this {
    this.w.u8(Op.prefix_fc).u32(OpFc.memory_copy).u8(0).u8(0);
    return this;
  }
  /** `memory.fill` of memory 0 (operands: destination, byte value, length, all i32). */
  memoryFill(): this {
    this.w.u8(Op.prefix_fc).u32(OpFc.memory_fill).u8(0);
    return this;
  }
  /** `block` with no params or results. */
  block(): this {
    this.w.u8(Op.block).u8(BLOCK_VOID);
    return this;
  }
  /** `loop` with no params or results. */
  loop(): this {
    this.w.u8(Op.loop).u8(BLOCK_VOID);
    return this;
  }
  /** `if` with no results, or with one result of type `result`. */
  if(result?: ValTypeCode): this {
    this.w.u8(Op.if).u8(result ?? BLOCK_VOID);
    return this;
  }
  /** `else`. */
  else(): this {
    this.w.u8(Op.else);
    return this;
  }
  /** `end`. */
  end(): this {
    this.w.u8(Op.end);
    return this;
  }
  /** `br depth`. */
  br(depth: number): this {
    this.w.u8(Op.br).u32(depth);
    return this;
  }
  /** `br_if depth`. */
  brIf(depth: number): this {
    this.w.u8(Op.br_if).u32(depth);
    return this;
  }
  /** `br_table targets default`. */
  brTable(targets: readonly number[], fallback: number): this {
    this.w.u8(Op.br_table).u32(targets.length);
    for (const t of targets) this.w.u32(t);
    this.w.u32(fallback);
    return this;
  }
  /** `call index`. */
  call(func: number): this {
    this.w.u8(Op.call).u32(func);
    return this;
  }
}

interface FunctionDef {
  readonly type: number;
  readonly locals: readonly ValTypeCode[];
  readonly code: CodeWriter;
}

interface GlobalDef {
  readonly type: ValTypeCode;
  readonly mutable: boolean;
}

/** Builds one module. Imported functions must all be declared before any defined function. */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly typeKeys = new Map<string, number>();
  private readonly imports: { module: string; name: string; kind: number; type: number }[] = [];
  private memoryImport: { module: string; name: string; shared: boolean } | undefined;
  private readonly functions: FunctionDef[] = [];
  private readonly globals: GlobalDef[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];

  /** Index of a signature, deduplicated. */
  type(params: readonly ValTypeCode[], results: readonly ValTypeCode[]): number {
    const key = params.join(',') + '>' + results.join(',');
    let idx = this.typeKeys.get(key);
    if (idx === undefined) {
      idx = this.types.length;
      this.types.push({ params, results });
      this.typeKeys.set(key, idx);
    }
    return idx;
  }

  /** Import a function; returns its function index. */
  importFunction(module: string, name: string, params: readonly ValTypeCode[], results: readonly ValTypeCode[]): number {
    if (this.functions.length > 0) throw new JitError('internal: imports must precede defined functions');
    this.imports.push({ module, name, kind: ExternalKind.func, type: this.type(params, results) });
    return this.imports.length - 1;
  }

  /**
   * Import the (single) linear memory, with no declared limits so any memory fits; `shared`: a shared
   * memory (declared with the 32-bit maximum, 65536 pages, so any shared memory fits), which a module
   * must declare to import one and to use atomic instructions on it.
   */
  importMemory(module: string, name: string, shared = false): void {
    this.memoryImport = { module, name, shared };
  }

  /** Define a mutable global initialised to zero; returns its index. */
  global(type: ValTypeCode): number {
    this.globals.push({ type, mutable: true });
    return this.globals.length - 1;
  }

  /** Reserve a function index for a body written later with {@link defineFunction}. */
  declareFunction(params: readonly ValTypeCode[], results: readonly ValTypeCode[]): number {
    this.functions.push({ type: this.type(params, results), locals: [], code: new CodeWriter() });
    return this.imports.length + this.functions.length - 1;
  }

  /** Set the extra locals and body of a declared function; the body must not include the final `end`. */
  defineFunction(index: number, locals: readonly ValTypeCode[], code: CodeWriter): void {
    const at = index - this.imports.length;
    const f = this.functions[at];
    if (f === undefined) throw new JitError(`internal: function ${index} was not declared`);
    this.functions[at] = { type: f.type, locals, code };
  }

  /** Export a function or a global. */
  export(name: string, kind: 'func' | 'global', index: number): void {
    this.exports.push({ name, kind: ExternalKind[kind], index });
  }

  /** The module's bytes. */
  build(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter();
    out.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const section = (id: number, body: ByteWriter): void => {
      out.u8(id).u32(body.length).bytes(body.view());
    };

    const types = new ByteWriter().u32(this.types.length);
    for (const t of this.types) {
      types.u8(0x60).u32(t.params.length);
      for (const p of t.params) types.u8(p);
      types.u32(t.results.length);
      for (const r of t.results) types.u8(r);
    }
    section(Section.type, types);

    const imports = new ByteWriter().u32(this.imports.length + (this.memoryImport ? 1 : 0));
    for (const i of this.imports) imports.name(i.module).name(i.name).u8(i.kind).u32(i.type);
    if (this.memoryImport) {
      imports.name(this.memoryImport.module).name(this.memoryImport.name).u8(ExternalKind.memory);
      if (this.memoryImport.shared) imports.u8(0x03).u32(0).u32(65536);
      else imports.u8(0x00).u32(0);
    }
    section(Section.import, imports);

    const funcs = new ByteWriter().u32(this.functions.length);
    for (const f of this.functions) funcs.u32(f.type);
    section(Section.function, funcs);

    if (this.globals.length > 0) {
      const globals = new ByteWriter().u32(this.globals.length);
      for (const g of this.globals) {
        globals.u8(g.type).u8(g.mutable ? 1 : 0);
        if (g.type === 0x7e) globals.u8(Op.i64_const).s32(0);
        else globals.u8(Op.i32_const).s32(0);
        globals.u8(Op.end);
      }
      section(Section.global, globals);
    }

    const exports = new ByteWriter().u32(this.exports.length);
    for (const e of this.exports) exports.name(e.name).u8(e.kind).u32(e.index);
    section(Section.export, exports);

    const code = new ByteWriter().u32(this.functions.length);
    for (const f of this.functions) {
      const body = new ByteWriter();
      // Run-length encode the local declarations.
      const runs: [number, number][] = [];
      for (const t of f.locals) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === t) last[0]++;
        else runs.push([1, t]);
      }
      body.u32(runs.length);
      for (const [n, t] of runs) body.u32(n).u8(t);
      body.bytes(f.code.w.view()).u8(Op.end);
      code.u32(body.length).bytes(body.view());
    }
    section(Section.code, code);
    return out.finish();
  }
}
