/**
 * The default verifier: static checks that every program must pass before an engine runs it.
 *
 * It covers rbpf's checks (length, size limit, known opcodes, `le`/`be` sizes, complete `lddw`, jump
 * targets, registers, r10 read-only) and adds reserved-field, helper-id, call-target, fall-through,
 * cpu-version and pseudo-load checks. It does not track values or types (no pointer arithmetic rules, no
 * loop detection beyond `ja -1`): memory safety comes from the engines' bounds checks and termination from
 * the instruction budget.
 * @module
 */
import { ArgumentError, VerifierError } from '../errors.js';
import { decodeInsn, slotCount, type Insn } from '../isa/instruction.js';
import { FRAME_POINTER, INSN_SIZE, Opcode, PseudoLoad, REGISTER_COUNT } from '../isa/opcodes.js';
import { branchTarget, cpuVersionOf, decodeOperation, type Operation } from '../isa/operation.js';
import { operationName } from './describe.js';
import { fieldUse, fieldValue } from './fields.js';
import { analyzeProgram, ATTACH_TYPES, ATTACH_TYPES_OF, PROGRAM_TYPES, tracingTarget, type AnalysisResult, type KfuncTable, type MapInfo, type ProgramFacts, type TracingTarget } from './analysis/index.js';
import { Btf } from '../elf/btf.js';
import { checkArray, checkBytes, checkFunction, checkInstance, checkInteger, checkObject, checkString, checkOptionalBoolean, checkOptionalFunction, checkOptionalInteger, checkOptionalOneOf, checkOptions } from '../validate.js';
import {
  MAX_PROGRAM_INSNS,
  type IssueSeverity,
  type VerifierIssue,
  type VerifierOptions,
  type VerifierRule,
} from './issues.js';

/** Pseudo sources `lddw` knows (see `PseudoLoad`), for messages and the `allowPseudoLoads: true` case. */
const KNOWN_PSEUDO = new Set<number>(Object.values(PseudoLoad));

type Report = (pc: number | undefined, rule: VerifierRule, message: string, severity?: IssueSeverity) => void;

/**
 * Check a program and return every problem found, in pc order (whole-program problems first). An empty
 * list means the program is accepted; warnings do not reject a program unless `options.strict` is set.
 */
export function checkProgram(prog: Uint8Array, options: VerifierOptions = {}): VerifierIssue[] {
  return checkProgramFacts(prog, options).issues;
}

/**
 * {@link checkProgram}, with the kernel-level analysis's facts when it ran (`level: 'kernel'` on
 * well-shaped bytecode; else undefined).
 * @internal
 */
export function checkProgramFacts(prog: Uint8Array, options: VerifierOptions = {}): { issues: VerifierIssue[]; facts: ProgramFacts | undefined } {
  checkBytes(prog, 'prog');
  checkVerifierOptions(options);
  const issues: VerifierIssue[] = [];
  const facts = runChecks(prog, options, (pc, rule, message, severity = 'error') => {
    issues.push({ pc, rule, severity: options.strict === true ? 'error' : severity, message });
  });
  return { issues, facts };
}

/**
 * Verify a program, throwing a {@link VerifierError} (code `E_VERIFY`, with the pc) on the first problem
 * that rejects it. This is the verifier the VMs install by default; its signature without options fits
 * `setVerifier`.
 */
export function verifyProgram(prog: Uint8Array, options: VerifierOptions = {}): void {
  checkVerifierOptions(options);
  runChecks(prog, options, (pc, rule, message, severity = 'error') => {
    if (severity === 'error' || options.strict === true) throw new VerifierError(message, pc);
  });
}

/** A verifier with fixed options, in the `(prog) => void` shape VMs take. */
export function createVerifier(options: VerifierOptions): (prog: Uint8Array) => void {
  checkVerifierOptions(options);
  return (prog) => verifyProgram(prog, options);
}

/** Every field of {@link VerifierOptions} checked ({@link ArgumentError}); `prog` itself is the checks' business. */
function checkVerifierOptions(options: unknown): void {
  const o = checkOptions(options as VerifierOptions | undefined, 'options');
  checkOptionalOneOf(o.cpuVersion, 'options.cpuVersion', [1, 2, 3, 4] as const);
  if (o.helpers !== undefined) checkFunction((checkObject(o.helpers, 'options.helpers') as { has?: unknown }).has, 'options.helpers.has');
  if (o.allowPseudoLoads !== undefined && typeof o.allowPseudoLoads !== 'boolean') {
    checkArray(o.allowPseudoLoads, 'options.allowPseudoLoads', 256).forEach((v, i) => checkInteger(v, `options.allowPseudoLoads[${i}]`, 0, 15));
  }
  checkOptionalBoolean(o.allowKfuncCalls, 'options.allowKfuncCalls');
  checkOptionalInteger(o.maxInstructions, 'options.maxInstructions', 1, MAX_PROGRAM_INSNS);
  checkOptionalBoolean(o.strict, 'options.strict');
  checkOptionalOneOf(o.level, 'options.level', ['shape', 'kernel'] as const);
  checkOptionalOneOf(o.programType, 'options.programType', PROGRAM_TYPES);
  if (o.maps !== undefined) {
    const entries = o.maps instanceof Map ? [...(o.maps as Map<unknown, unknown>)] : Object.entries(checkObject(o.maps, 'options.maps'));
    for (const [key, info] of entries) {
      checkInteger(typeof key === 'string' ? Number(key) : key, 'options.maps key', 0, 0xffff_ffff);
      checkMapInfo(info, `options.maps[${String(key)}]`, 0);
    }
  }
  checkOptionalFunction(o.resolve, 'options.resolve');
  checkOptionalBoolean(o.privileged, 'options.privileged');
  checkOptionalBoolean(o.funcInfo, 'options.funcInfo');
  checkOptionalBoolean(o.strictAlignment, 'options.strictAlignment');
  checkOptionalBoolean(o.fdArray, 'options.fdArray');
  checkOptionalOneOf(o.attachType, 'options.attachType', Object.keys(ATTACH_TYPES));
  checkOptionalInteger(o.maxSteps, 'options.maxSteps', 1, Number.MAX_SAFE_INTEGER);
  if (o.kfuncs !== undefined) {
    const k = checkObject(o.kfuncs, 'options.kfuncs') as KfuncTable;
    checkInstance(k.btf, Btf, 'options.kfuncs.btf');
    checkInstance(k.calls, Map, 'options.kfuncs.calls');
    for (const [id, name] of k.calls) {
      checkInteger(id, 'options.kfuncs.calls key', -0x8000_0000, 0xffff_ffff);
      checkString(name, `options.kfuncs.calls[${id}]`);
    }
  }
  if (o.btf !== undefined) checkInstance(o.btf, Btf, 'options.btf');
  if (o.attachTo !== undefined) checkString(o.attachTo, 'options.attachTo');
}

function checkMapInfo(value: unknown, name: string, depth: number): void {
  const m = checkObject(value, name) as MapInfo;
  checkInteger(m.type, `${name}.type`, 0, 0xffff_ffff);
  checkInteger(m.keySize, `${name}.keySize`, 0, 0xffff_ffff);
  checkInteger(m.valueSize, `${name}.valueSize`, 0, 0xffff_ffff);
  checkInteger(m.maxEntries, `${name}.maxEntries`, 0, 0xffff_ffff);
  checkOptionalBoolean(m.readOnly, `${name}.readOnly`);
  checkOptionalInteger(m.timer, `${name}.timer`, 0, 0xffff_ffff);
  if (m.spinLock !== undefined && (checkInteger(m.spinLock, `${name}.spinLock`, 0, 0xffff_ffff) % 4 !== 0 || m.spinLock + 4 > m.valueSize)) {
    throw new ArgumentError(`${name}.spinLock must be a 4-aligned offset of a struct bpf_spin_lock (4 bytes) inside the value of ${m.valueSize} bytes`);
  }
  if (m.frozen !== undefined) {
    if (!(m.frozen instanceof Uint8Array) || m.frozen.length !== m.valueSize) throw new ArgumentError(`${name}.frozen must be a Uint8Array of valueSize (${m.valueSize}) bytes`);
    if (m.readOnly !== true) throw new ArgumentError(`${name}.frozen needs readOnly: true (programs could change a frozen value otherwise)`);
  }
  if (m.inner !== undefined && depth < 1) checkMapInfo(m.inner, `${name}.inner`, depth + 1);
}

function runChecks(prog: Uint8Array, options: VerifierOptions, report: Report): ProgramFacts | undefined {
  if (options.level === 'kernel') return kernelChecks(prog, options, report);
  shapeChecks(prog, options, report);
  return undefined;
}

/**
 * Shape rules the kernel checks as its walk reaches an instruction, not up front: a program with such
 * an instruction in dead code (a branch its constants cut off) loads.
 */
const WALK_TIME_RULES: ReadonlySet<string> = new Set(['reserved-field', 'register', 'frame-pointer-write', 'division-by-zero', 'shift-range']);

/**
 * Kernel level: the shape checks as the kernel applies them (map pseudo loads allowed, bad shift
 * immediates rejected), then, when the shape is sound, the analysis. The walk-time rules
 * ({@link WALK_TIME_RULES}) refuse the program only where the analysis reaches their instruction,
 * where its path ends (dead code the loader's constants cut off may hold anything decodable).
 */
function kernelChecks(prog: Uint8Array, options: VerifierOptions, report: Report): ProgramFacts | undefined {
  let failed = false;
  const deferred: { pc: number; rule: VerifierRule; message: string }[] = [];
  const shape: VerifierOptions = { ...options, level: 'shape', allowPseudoLoads: options.allowPseudoLoads ?? true };
  shapeChecks(prog, shape, (pc, rule, message, severity = 'error') => {
    const s = rule === 'shift-range' ? 'error' : severity;
    if (WALK_TIME_RULES.has(rule) && pc !== undefined && s === 'error') {
      deferred.push({ pc, rule, message });
      return;
    }
    if (s === 'error') failed = true;
    report(pc, rule, message, s);
  });
  if (failed) {
    for (const r of deferred) report(r.pc, r.rule, r.message);
    return undefined;
  }
  const result = analyzeKernel(prog, options, new Set(deferred.map((r) => r.pc)));
  const reached = deferred.filter((r) => result.facts.regs[r.pc] !== undefined);
  const issues = [...result.issues, ...reached].sort((a, b) => a.pc - b.pc);
  for (const issue of issues) report(issue.pc, issue.rule, issue.message, 'severity' in issue ? (issue.severity ?? 'error') : 'error');
  return result.facts;
}

/** Run the kernel-level analysis on shape-checked bytecode. */
function analyzeKernel(prog: Uint8Array, options: VerifierOptions, walkRefused?: ReadonlySet<number>): AnalysisResult {
  const programType = options.programType ?? 'socket_filter';
  if (!(PROGRAM_TYPES as readonly string[]).includes(programType)) {
    throw new ArgumentError(`unknown programType ${String(programType)}; use one of ${PROGRAM_TYPES.join(', ')}`);
  }
  const attachTypes = ATTACH_TYPES_OF[programType] ?? [];
  if (options.attachType !== undefined && !attachTypes.includes(options.attachType)) {
    const which = attachTypes.length === 0 ? `${programType} programs take none` : `use one of ${attachTypes.join(', ')}`;
    throw new ArgumentError(`attachType ${options.attachType} is not an attach type of ${programType} programs; ${which}`);
  }
  const tracing = programType === 'tracing' ? tracingTargetOf(options) : undefined;
  const n = slotCount(prog);
  const insns: Insn[] = new Array(n);
  const ops: Operation[] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    insns[pc] = decodeInsn(prog, pc);
    ops[pc] = decodeOperation(insns[pc]!);
  }
  const helpers = options.helpers;
  const hostHelper = helpers === undefined ? undefined : (id: number): boolean => helpers.has(id);
  return analyzeProgram(insns, ops, { programType, maps: mapTable(options.maps), resolve: options.resolve, maxSteps: options.maxSteps, privileged: options.privileged, attachType: options.attachType, hostHelper, kfuncs: options.kfuncs, btf: options.btf, tracing, funcInfo: options.funcInfo, strictAlignment: options.strictAlignment, fdArray: options.fdArray, walkRefused });
}

/** A `tracing` program's context: its attach target resolved in the kernel's BTF (the caller's error without them). */
function tracingTargetOf(options: VerifierOptions): TracingTarget {
  const btf = options.btf ?? options.kfuncs?.btf;
  if (btf === undefined || options.attachTo === undefined) {
    throw new ArgumentError(`programType tracing needs options.btf (the kernel's BTF) and options.attachTo (the section's attach point, such as 'tp_btf/sched_switch' or 'fentry/tcp_connect'): the context is the target's typed arguments`);
  }
  const target = tracingTarget(btf, options.attachTo);
  if (typeof target === 'string') throw new ArgumentError(`options.attachTo: ${target}`);
  return target;
}

/**
 * Analyse a program at the kernel level and return what it proves at each instruction (see
 * {@link ProgramFacts}) along with its problems. Throws a {@link VerifierError} when the instruction
 * shape is wrong (the analysis needs well-formed bytecode).
 */
export function analyzeFacts(prog: Uint8Array, options: Omit<VerifierOptions, 'level'> = {}): AnalysisResult {
  checkBytes(prog, 'prog');
  checkVerifierOptions(options);
  verifyProgram(prog, { ...options, level: 'shape', allowPseudoLoads: options.allowPseudoLoads ?? true });
  return analyzeKernel(prog, options);
}

function mapTable(maps: VerifierOptions['maps']): ReadonlyMap<number, MapInfo> {
  if (maps === undefined) return new Map();
  if (maps instanceof Map) return maps;
  if (typeof maps !== 'object' || maps === null) throw new ArgumentError('maps must be a Map or an object keyed by map fd');
  return new Map(Object.entries(maps).map(([k, v]) => [Number(k), v]));
}

function shapeChecks(prog: Uint8Array, options: VerifierOptions, report: Report): void {
  if (!(prog instanceof Uint8Array)) {
    report(undefined, 'length', 'the program must be a Uint8Array of bytecode');
    return;
  }
  if (prog.length === 0) {
    report(undefined, 'empty', 'the program is empty; it needs at least one instruction (e.g. `exit`)');
    return;
  }
  if (prog.length % INSN_SIZE !== 0) {
    report(
      undefined,
      'length',
      `the program is ${prog.length} bytes long, not a multiple of ${INSN_SIZE} (one instruction is ${INSN_SIZE} bytes); ` +
        'the file is truncated or is not raw bytecode',
    );
    return;
  }
  const n = slotCount(prog);
  const max = options.maxInstructions ?? MAX_PROGRAM_INSNS;
  if (n > max) {
    report(undefined, 'too-long', `the program has ${n} instructions; the limit is ${max}; split it into tail-called programs`);
    return;
  }
  const insns: Insn[] = new Array(n);
  for (let pc = 0; pc < n; pc++) insns[pc] = decodeInsn(prog, pc);
  // Second halves of `lddw` are not instructions: nothing may jump into them.
  const secondHalf = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    if (insns[pc]!.opcode === Opcode.LDDW) secondHalf[++pc] = 1;
  }

  let last: { pc: number; op: Operation } | undefined;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc]!;
    const op = decodeOperation(i);
    last = { pc, op };
    if (op.kind === 'invalid') {
      const hint =
        i.opcode === 0
          ? ' (a lone second half of an `lddw`? its first slot must have opcode 0x18)'
          : op.reason.startsWith('unknown opcode')
            ? '; this is not an eBPF instruction: the bytes are corrupt or not bytecode'
            : '';
      report(pc, 'unknown-opcode', `${op.reason}${hint}`);
      continue;
    }
    checkFields(pc, i, op, report);
    checkCpuVersion(pc, op, options, report);
    checkSemantics(pc, i, op, options, report);
    checkTargets(pc, i, op, n, secondHalf, report);
    if (op.kind === 'lddw') {
      checkLddw(pc, op, insns, options, report);
      if (pc + 1 === n) return; // incomplete: already reported, and it cannot also fall through
      pc++;
    }
  }
  if (last !== undefined && last.op.kind !== 'invalid' && last.op.kind !== 'exit' && last.op.kind !== 'ja') {
    report(
      last.pc,
      'fall-through',
      `the last instruction (${operationName(last.op)}) can fall through past the end of the program; ` +
        'end the program with `exit` or an unconditional jump',
    );
  }
}

function checkFields(pc: number, i: Insn, op: Operation, report: Report): void {
  const use = fieldUse(op);
  const name = operationName(op);
  for (const f of use.fixed) {
    const v = fieldValue(i, f.field);
    if (v !== f.value) {
      const what = f.value === 0 ? `is reserved and must be 0` : `must be ${f.value}`;
      report(pc, 'reserved-field', `${name}: the ${f.field} field is ${v} but ${what}; the bytes are corrupt or encode another instruction`);
    }
  }
  for (const r of use.registers) {
    const reg = i[r];
    if (reg >= REGISTER_COUNT) {
      report(pc, 'register', `${name}: ${r} register r${reg} does not exist; use r0-r10`);
    }
  }
  for (const r of use.writes) {
    if (i[r] === FRAME_POINTER) {
      report(pc, 'frame-pointer-write', `${name} writes r10, the read-only frame pointer; copy it to another register first`);
    }
  }
}

function checkCpuVersion(pc: number, op: Operation, options: VerifierOptions, report: Report): void {
  const cpu = options.cpuVersion ?? 4;
  const needs = cpuVersionOf(op);
  if (needs > cpu) {
    report(
      pc,
      'cpu-version',
      `${operationName(op)} needs instruction set v${needs} but the verifier allows v${cpu}; ` +
        `compile with -mcpu=v${cpu} or raise cpuVersion to ${needs}`,
    );
  }
}

function checkSemantics(pc: number, i: Insn, op: Operation, options: VerifierOptions, report: Report): void {
  if (op.kind === 'alu' && op.source === 'imm') {
    const name = operationName(op);
    if ((op.op === 'div' || op.op === 'sdiv' || op.op === 'mod' || op.op === 'smod') && i.imm === 0) {
      const result = op.op === 'div' || op.op === 'sdiv' ? 'sets the destination to 0' : 'leaves the destination unchanged';
      report(pc, 'division-by-zero', `${name} by the immediate 0 always ${result}; use a non-zero divisor`);
    }
    if ((op.op === 'lsh' || op.op === 'rsh' || op.op === 'arsh') && (i.imm < 0 || i.imm >= op.width)) {
      report(
        pc,
        'shift-range',
        `${name} by ${i.imm}: shift amounts are 0-${op.width - 1} and this one is masked to ${i.imm & (op.width - 1)}; write that instead`,
        'warning',
      );
    }
  }
  if (op.kind === 'call' && op.target === 'helper' && options.helpers !== undefined && !options.helpers.has(i.imm)) {
    report(pc, 'unknown-helper', `call to helper ${i.imm}, which is not registered; register it before loading the program`);
  }
  if (op.kind === 'call' && op.target === 'kfunc' && options.allowKfuncCalls !== true) {
    report(pc, 'kfunc', `call to kfunc (BTF id ${i.imm}): kernel functions are not available outside the kernel; use a helper`);
  }
}

function checkTargets(pc: number, i: Insn, op: Operation, n: number, secondHalf: Uint8Array, report: Report): void {
  const target = branchTarget(op, i, pc);
  if (target === undefined) return;
  const isCall = op.kind === 'call';
  const what = isCall ? 'local call' : operationName(op);
  const delta = target - pc - 1;
  if (target < 0 || target >= n) {
    report(
      pc,
      isCall ? 'call-out-of-range' : 'jump-out-of-range',
      `${what} ${delta >= 0 ? '+' : ''}${delta} goes to slot ${target}, outside the program (slots 0-${n - 1}); fix the offset`,
    );
  } else if (secondHalf[target] === 1) {
    report(
      pc,
      isCall ? 'call-into-lddw' : 'jump-into-lddw',
      `${what} ${delta >= 0 ? '+' : ''}${delta} goes to slot ${target}, the second half of the lddw at slot ${target - 1}; target slot ${target - 1} or ${target + 1}`,
    );
  } else if (target === pc && op.kind === 'ja') {
    report(pc, 'jump-to-self', `${what} -1 jumps to itself: an endless loop; jump elsewhere or exit`);
  }
}

function checkLddw(
  pc: number,
  op: Extract<Operation, { kind: 'lddw' }>,
  insns: readonly Insn[],
  options: VerifierOptions,
  report: Report,
): void {
  const next = insns[pc + 1];
  if (next === undefined) {
    report(pc, 'incomplete-lddw', 'lddw takes two slots but the program ends after the first; the program is truncated');
    return;
  }
  if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.offset !== 0) {
    report(
      pc + 1,
      'incomplete-lddw',
      'the second slot of an lddw must have opcode, registers and offset 0 (only imm, the upper 32 bits, is used); ' +
        'the lddw is incomplete or an instruction was inserted after it',
    );
  }
  if (op.pseudo === PseudoLoad.NONE) return;
  if (op.pseudo === PseudoLoad.FUNC) {
    // A function pointer (callback): runnable as it is, when it points at an instruction of the program.
    const target = pc + insns[pc]!.imm + 1;
    const second = target > 0 && insns[target - 1]?.opcode === Opcode.LDDW;
    if (target < 0 || target >= insns.length || second) {
      report(pc, 'pseudo-load', `lddw of a function: its target, slot ${target}, is not an instruction of the program (slots 0-${insns.length - 1})`);
    }
    return;
  }
  if (!KNOWN_PSEUDO.has(op.pseudo)) {
    report(pc, 'pseudo-load', `lddw with unknown source ${op.pseudo}; known sources are 0 (immediate) and 1-6 (loader-resolved)`);
    return;
  }
  const allow = options.allowPseudoLoads;
  const allowed = allow === true || (Array.isArray(allow) && allow.includes(op.pseudo));
  if (!allowed) {
    report(
      pc,
      'pseudo-load',
      `lddw with source ${op.pseudo} (${pseudoName(op.pseudo)}) must be resolved by an object loader before the program runs; ` +
        'load the ELF object with its maps instead of the raw bytes',
    );
  }
}

function pseudoName(src: number): string {
  const names: Record<number, string> = {
    [PseudoLoad.MAP_FD]: 'map by fd',
    [PseudoLoad.MAP_VALUE]: 'map value',
    [PseudoLoad.BTF_ID]: 'BTF id',
    [PseudoLoad.FUNC]: 'function address',
    [PseudoLoad.MAP_IDX]: 'map by index',
    [PseudoLoad.MAP_IDX_VALUE]: 'map value by index',
  };
  return names[src] ?? 'unknown';
}
