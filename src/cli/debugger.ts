/**
 * The interactive part of `tsbpf debug`: a session that the tracing engine calls before every
 * instruction (TraceHooks.before). It decides whether to stop there (a step count, a breakpoint, the
 * caller's frame after `next`), and while stopped it reads commands (gdb's words: step, next, continue,
 * break, delete, info, regs, stack, x, maps, list, bt, quit) and prints views of the live run.
 * Input comes from a `readLine` function, so tests drive a session with a script.
 * @module
 */
import { disassembleInsns } from '../asm/disassembler.js';
import type { SourceLine } from '../elf/btf-ext.js';
import { EbpfError } from '../errors.js';
import { kernelHelperName } from '../helpers/kernel.js';
import type { VmMemory } from '../vm/memory.js';
import type { Program } from '../vm/program.js';
import { lineOf } from './commands/disasm.js';
import type { CliIo } from './io.js';

/** What the session needs to know about the program being debugged. */
export interface DebugTarget {
  /** The entry program (its slots carry `lines`). */
  readonly program: Program;
  /** C source line of each slot that starts one (empty without line info). */
  readonly lines: ReadonlyMap<number, SourceLine>;
  /** LLVM syntax for instructions. */
  readonly llvm: boolean;
  /** Show helper names after calls (kernel-numbered helpers). */
  readonly helperNames: boolean;
  /** Map contents as text lines, for `maps` (objects only). */
  readonly maps?: (name: string | undefined) => string;
  /** Stack bytes per frame. */
  readonly stackSize: number;
}

/** Thrown out of the engine by `quit`. */
export class DebugQuit extends Error {
  constructor() {
    super('quit');
  }
}

const HELP = `Commands (a blank line repeats the last one):
  s, step [N]        execute N instructions (default 1)
  n, next [N]        like step, but run calls to their return
  c, continue        run to the next breakpoint or the end
  b, break WHERE     stop before WHERE: a pc (42), a C line (64 or file.c:64), or a function name
  d, delete [N]      delete breakpoint N (all without N)
  i, info break      list breakpoints
  r, regs            registers (changed ones since the last stop marked *)
  stack [N]          the top N bytes of the current frame (default 64)
  x ADDR [N]         N bytes of memory at ADDR (hex 0x... or decimal; default 32)
  maps [NAME]        map contents now (ELF objects)
  l, list [N]        N instructions around the current one (default 10), with C lines
  bt                 call depth and function
  q, quit            stop the run
  h, help            this list`;

interface Breakpoint {
  readonly id: number;
  readonly where: string;
  readonly pcs: ReadonlySet<number>;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function hexDump(bytes: Uint8Array, address: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0'));
    out.push(`  ${hex(address + BigInt(i)).padStart(12)}:  ${row.slice(0, 8).join(' ')}  ${row.slice(8).join(' ')}`);
  }
  return out.join('\n');
}

/** A debugging session over one run. */
export class DebugSession {
  private texts = new Map<Program, Map<number, string>>();
  private breakpoints: Breakpoint[] = [];
  private nextId = 1;
  /** Stop when this many more instructions are about to run (0: stop at the next one). */
  private remaining = 0;
  /** With `next`: do not stop at depths deeper than this. */
  private maxDepth = Number.POSITIVE_INFINITY;
  private last = '';
  private lastLine: SourceLine | undefined;
  private shown: readonly bigint[] = [];
  private memory: VmMemory | undefined;
  private program: Program;
  private pc = 0;
  private depth = 0;
  private regs: readonly bigint[] = [];
  /** Instructions executed so far. */
  count = 0;

  constructor(
    private readonly target: DebugTarget,
    private readonly io: CliIo,
    private readonly readLine: () => string | undefined,
    /** Echo commands (when input is not a terminal, so a transcript reads like a session). */
    private readonly echo: boolean,
  ) {
    this.program = target.program;
  }

  /** Add breakpoints before the run (`--break`); throws on a location that names no instruction. */
  addBreakpoint(where: string): Breakpoint {
    const pcs = this.locate(where);
    const bp = { id: this.nextId++, where, pcs };
    this.breakpoints.push(bp);
    return bp;
  }

  /** Run to the first breakpoint instead of stopping at the first instruction. */
  runToBreakpoint(): void {
    this.remaining = Number.POSITIVE_INFINITY;
  }

  /** TraceHooks.start. */
  start = (_registers: readonly bigint[], memory: VmMemory): void => {
    this.memory = memory;
  };

  /** TraceHooks.before: stop and read commands when due. */
  before = (program: Program, pc: number, depth: number, registers: readonly bigint[]): boolean => {
    this.program = program;
    this.pc = pc;
    this.depth = depth;
    this.regs = registers;
    const due = this.remaining <= 0 && depth <= this.maxDepth;
    const hit = this.breakpoints.some((b) => b.pcs.has(pc)) && program === this.target.program;
    this.count++;
    if (!due && !hit) {
      this.remaining--;
      return true;
    }
    if (hit && !due) this.io.out(`breakpoint at pc ${pc}\n`);
    this.maxDepth = Number.POSITIVE_INFINITY;
    this.showPosition();
    this.prompt();
    return true;
  };

  private textOf(program: Program, pc: number): string {
    let map = this.texts.get(program);
    if (map === undefined) {
      map = new Map();
      for (const d of disassembleInsns(program.bytes, { syntax: this.target.llvm ? 'llvm' : 'rbpf', labels: true, names: program.functionNames })) {
        const helper = this.target.helperNames && d.insn.opcode === 0x85 && d.insn.src === 0 ? ` (${kernelHelperName(d.insn.imm)})` : '';
        map.set(d.pc, d.text + helper);
      }
      this.texts.set(program, map);
    }
    return map.get(pc) ?? '?';
  }

  private lineAt(pc: number): SourceLine | undefined {
    return this.program === this.target.program ? lineOf(this.target.lines, pc) : undefined;
  }

  private showPosition(): void {
    const src = this.lineAt(this.pc);
    if (src !== undefined && (this.lastLine === undefined || src.line !== this.lastLine.line || src.file !== this.lastLine.file)) {
      this.io.out(`${src.file}:${src.line}: ${src.text.trim()}\n`);
    }
    this.lastLine = src;
    this.io.out(`=> ${String(this.pc).padStart(5)}: ${this.textOf(this.program, this.pc)}\n`);
  }

  private prompt(): void {
    for (;;) {
      if (!this.echo) this.io.out('(tsbpf) ');
      const raw = this.readLine();
      if (raw === undefined) {
        this.io.out('\nend of input: stopping the run\n');
        throw new DebugQuit();
      }
      if (this.echo) this.io.out(`(tsbpf) ${raw}\n`);
      const line = raw.trim() === '' ? this.last : raw.trim();
      if (line === '') continue;
      this.last = line;
      const [cmd = '', ...rest] = line.split(/\s+/);
      if (this.command(cmd, rest)) return;
    }
  }

  /** Run one command; true when the run should go on. */
  private command(cmd: string, args: string[]): boolean {
    const count = (fallback: number): number | undefined => {
      if (args[0] === undefined) return fallback;
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1) {
        this.io.out(`'${args[0]}' is not a positive count\n`);
        return undefined;
      }
      return n;
    };
    switch (cmd) {
      case 's':
      case 'step':
      case 'n':
      case 'next': {
        const n = count(1);
        if (n === undefined) return false;
        this.remaining = n - 1;
        if (cmd.startsWith('n')) this.maxDepth = this.depth;
        this.shown = this.regs.slice();
        return true;
      }
      case 'c':
      case 'continue':
        this.remaining = Number.POSITIVE_INFINITY;
        this.shown = this.regs.slice();
        return true;
      case 'b':
      case 'break':
        if (args[0] === undefined) this.io.out('break needs a location: a pc, a C line (file.c:64) or a function name\n');
        else {
          try {
            const bp = this.addBreakpoint(args[0]);
            this.io.out(`breakpoint ${bp.id} at ${args[0]}: pc ${[...bp.pcs].join(', ')}\n`);
          } catch (e) {
            this.io.out(`${e instanceof Error ? e.message : String(e)}\n`);
          }
        }
        return false;
      case 'd':
      case 'delete':
        if (args[0] === undefined) this.breakpoints = [];
        else this.breakpoints = this.breakpoints.filter((b) => String(b.id) !== args[0]);
        return false;
      case 'i':
      case 'info':
        this.io.out(this.breakpoints.length === 0 ? 'no breakpoints\n' : this.breakpoints.map((b) => `${b.id}: ${b.where} (pc ${[...b.pcs].join(', ')})\n`).join(''));
        return false;
      case 'r':
      case 'regs':
        this.showRegisters();
        return false;
      case 'stack':
        this.showStack(count(64));
        return false;
      case 'x':
        this.examine(args);
        return false;
      case 'maps':
        this.io.out(this.target.maps === undefined ? 'no maps: not an ELF object\n' : this.target.maps(args[0]));
        return false;
      case 'l':
      case 'list':
        this.list(count(10));
        return false;
      case 'bt':
      case 'where': {
        const fn = this.functionAt(this.pc);
        this.io.out(`depth ${this.depth}, in ${fn ?? this.program.name} (${this.program === this.target.program ? 'entry program' : 'tail-called program'}), pc ${this.pc}, ${this.count - 1} instructions executed\n`);
        return false;
      }
      case 'q':
      case 'quit':
        throw new DebugQuit();
      case 'h':
      case 'help':
        this.io.out(`${HELP}\n`);
        return false;
      default:
        this.io.out(`unknown command '${cmd}' (help lists them)\n`);
        return false;
    }
  }

  private functionAt(pc: number): string | undefined {
    let best: number | undefined;
    for (const slot of this.program.functionNames.keys()) if (slot <= pc && (best === undefined || slot > best)) best = slot;
    return best === undefined ? undefined : this.program.functionNames.get(best);
  }

  private showRegisters(): void {
    const lines: string[] = [];
    for (let r = 0; r <= 10; r++) {
      const v = this.regs[r] ?? 0n;
      const mark = this.shown.length > 0 && this.shown[r] !== v ? '*' : ' ';
      lines.push(`${mark}r${String(r).padEnd(3)}${hex(v).padStart(20)}  ${BigInt.asIntN(64, v)}`);
    }
    this.io.out(`${lines.join('\n')}\n`);
  }

  private read(address: bigint, n: number): Uint8Array | undefined {
    if (this.memory === undefined) return undefined;
    try {
      return this.memory.read(address, n);
    } catch (e) {
      if (e instanceof EbpfError) {
        this.io.out(`cannot read ${n} bytes at ${hex(address)}: ${e.message}\n`);
        return undefined;
      }
      throw e;
    }
  }

  private showStack(n: number | undefined): void {
    if (n === undefined) return;
    const size = Math.min(n, this.target.stackSize);
    const top = this.regs[10] ?? 0n;
    const bytes = this.read(top - BigInt(size), size);
    if (bytes !== undefined) this.io.out(`frame r10 = ${hex(top)}, top ${size} bytes:\n${hexDump(bytes, top - BigInt(size))}\n`);
  }

  private examine(args: string[]): void {
    let address: bigint;
    try {
      address = BigInt(args[0] ?? 'x');
    } catch {
      this.io.out(`x needs an address (0x... or decimal), not '${args[0] ?? ''}'\n`);
      return;
    }
    const n = args[1] === undefined ? 32 : Number(args[1]);
    if (!Number.isInteger(n) || n < 1 || n > 4096) {
      this.io.out(`x: the length must be 1-4096, not '${args[1]}'\n`);
      return;
    }
    const bytes = this.read(BigInt.asUintN(64, address), n);
    if (bytes !== undefined) this.io.out(`${hexDump(bytes, address)}\n`);
  }

  private list(n: number | undefined): void {
    if (n === undefined) return;
    const total = this.program.insns.length;
    const from = Math.max(0, this.pc - Math.floor(n / 2));
    let lastLine: SourceLine | undefined;
    for (let pc = from; pc < Math.min(total, from + n); pc++) {
      const text = this.textOf(this.program, pc);
      if (text === '?') continue; // the second slot of lddw
      const src = this.program === this.target.program ? this.target.lines.get(pc) : undefined;
      if (src !== undefined && src.line > 0 && src !== lastLine) {
        this.io.out(`   ${src.file}:${src.line}: ${src.text.trim()}\n`);
        lastLine = src;
      }
      const mark = pc === this.pc ? '=>' : this.breakpoints.some((b) => b.pcs.has(pc)) ? ' b' : '  ';
      this.io.out(`${mark} ${String(pc).padStart(5)}: ${text}\n`);
    }
  }

  /** The slots a location names: a pc, a function name, `LINE` or `FILE:LINE` of the C source. */
  private locate(where: string): ReadonlySet<number> {
    const program = this.target.program;
    if (/^\d+$/.test(where)) {
      const pc = Number(where);
      if (pc >= program.insns.length) throw new Error(`pc ${pc} is past the program's last slot (${program.insns.length - 1})`);
      return new Set([pc]);
    }
    for (const [pc, name] of program.functionNames) if (name === where) return new Set([pc]);
    const m = /^(?:(.*):)?(\d+)$/.exec(where);
    if (m !== null) {
      const [, file, line] = m;
      const pcs = [...this.target.lines].filter(([, l]) => l.line === Number(line) && (file === undefined || l.file === file || l.file.endsWith(`/${file}`))).map(([pc]) => pc);
      if (pcs.length > 0) return new Set(pcs);
      if (this.target.lines.size === 0) throw new Error(`no C line information in this program (build it with clang -g); use a pc`);
      throw new Error(`no instruction starts at ${where}`);
    }
    throw new Error(`'${where}' is not a pc, a C line (file.c:64) or a function name`);
  }
}
