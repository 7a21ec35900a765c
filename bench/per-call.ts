/**
 * The fixed cost of a VM run through the public API: `N` runs of a tiny program on one VM, in a loop,
 * timed by the process's CPU time (user + system), best of `ROUNDS`. With two trees, both are loaded in
 * this process and their rounds alternate (each tree's VM code is its own, so neither makes the other's
 * call sites polymorphic), so that load from other processes falls on both alike.
 *
 *   npx tsx bench/per-call.ts TREE[,TREE2] [jit|interpreter] [tiny|stack|mem] [raw|nodata|mbuff|fixed|copy] [ROUNDS] [N]
 *
 * Programs: `tiny` is `r0 = 0; exit`; `stack` stores and loads one stack word; `mem` loads the input's
 * first byte. Kinds: `raw` an EbpfVmRaw on a zero-copy view (`memBuffer`), `nodata` an EbpfVmNoData,
 * `mbuff` an EbpfVmMbuff on two zero-copy views, `fixed` an EbpfVmFixedMbuff on a zero-copy view, `copy`
 * an EbpfVmRaw on an ordinary array (copied in and out on every run).
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [trees = '.', engine = 'jit', prog = 'tiny', kind = 'raw', roundsArg = '7', nArg = '2000000'] = process.argv.slice(2);
const SOURCES: Record<string, string> = {
  tiny: 'mov r0, 0\nexit',
  stack: 'stdw [r10-8], 1\nldxdw r0, [r10-8]\nexit',
  mem: 'ldxb r0, [r1]\nexit',
};
const source = SOURCES[prog];
if (source === undefined) throw new Error(`unknown program ${prog}`);

interface Vm {
  jitCompile(): void;
  memBuffer(len: number): Uint8Array;
  mbuffBuffer(len: number): Uint8Array;
  executeProgram(...args: Uint8Array[]): bigint;
  executeProgramJit(...args: Uint8Array[]): bigint;
}
type Ctor = new (...args: unknown[]) => Vm;

/** One tree's VM, bound to a call of the chosen kind. */
async function bind(tree: string): Promise<() => bigint> {
  const m = (await import(pathToFileURL(resolve(tree, 'src/index.ts')).href)) as Record<string, unknown>;
  const code = (m['assemble'] as (s: string) => Uint8Array)(source!);
  const ctor = (name: string): Ctor => m[name] as Ctor;
  const jit = engine === 'jit';
  let vm: Vm;
  let args: Uint8Array[];
  if (kind === 'raw') {
    vm = new (ctor('EbpfVmRaw'))(code);
    args = [vm.memBuffer(64)];
  } else if (kind === 'nodata') {
    vm = new (ctor('EbpfVmNoData'))(code);
    args = [];
  } else if (kind === 'mbuff') {
    vm = new (ctor('EbpfVmMbuff'))(code);
    args = [vm.memBuffer(64), vm.mbuffBuffer(16)];
  } else if (kind === 'fixed') {
    vm = new (ctor('EbpfVmFixedMbuff'))(code, 0, 8);
    args = [vm.memBuffer(64)];
  } else if (kind === 'copy') {
    vm = new (ctor('EbpfVmRaw'))(code);
    args = [new Uint8Array(64)];
  } else throw new Error(`unknown kind ${kind}`);
  if (jit) vm.jitCompile();
  const [a, b] = args;
  if (args.length === 0) return jit ? () => vm.executeProgramJit() : () => vm.executeProgram();
  if (args.length === 1) return jit ? () => vm.executeProgramJit(a!) : () => vm.executeProgram(a!);
  return jit ? () => vm.executeProgramJit(a!, b!) : () => vm.executeProgram(a!, b!);
}

const names = trees.split(',');
const calls: (() => bigint)[] = [];
for (const t of names) calls.push(await bind(t));
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const n = Number(nArg);
const best = names.map(() => Infinity);
let sink = 0n;
for (let r = 0; r < Number(roundsArg); r++) {
  for (let t = 0; t < calls.length; t++) {
    const call = calls[t]!;
    const t0 = cpu();
    for (let i = 0; i < n; i++) sink += call();
    best[t] = Math.min(best[t]!, cpu() - t0);
  }
}
for (let t = 0; t < names.length; t++) {
  process.stdout.write(`${names[t]}: ${engine} ${prog} ${kind} ${((best[t]! * 1e6) / n).toFixed(1)} ns/call (best of ${roundsArg} x ${n})\n`);
}
if (sink < 0n) process.stdout.write('\n');
