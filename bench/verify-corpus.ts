/**
 * Kernel-level verification time of the largest real programs of test/corpus (Cilium's, up to 8,097
 * instructions linked), as the loader runs it (src/elf/kernel-check.ts: the object's maps and program
 * types):
 *   npx tsx bench/verify-corpus.ts [COUNT]
 * Prints, for the COUNT largest programs (default 8), the instructions, the instructions the analysis
 * processed, and the first (cold) and median of five later runs, wall and CPU time.
 * @module
 */
import { kernelProgramType, objectMapTable } from '../src/elf/kernel-check.js';
import { analyzeFacts } from '../src/verifier/verifier.js';
import { loadedCorpusObjects } from '../test/corpus/survey.js';

const count = Number(process.argv[2] ?? '8');
const found: { name: string; bytes: Uint8Array; run: () => { steps: number; issues: readonly unknown[] } }[] = [];
for (const { path, obj } of loadedCorpusObjects()) {
  const table = objectMapTable(obj.maps, obj.valueFields());
  for (const p of obj.programs) {
    const type = kernelProgramType(p.type, p.section);
    if (type === undefined) continue;
    let bytes: Uint8Array;
    try {
      bytes = obj.program(p.name).program.bytes;
    } catch {
      continue;
    }
    found.push({ name: `${path}:${p.name} (${type})`, bytes, run: () => analyzeFacts(bytes, { programType: type, maps: table.maps, resolve: table.resolve }) });
  }
}
found.sort((a, b) => b.bytes.length - a.bytes.length);
for (const f of found.slice(0, count)) {
  const time = (): { wall: number; cpu: number; steps: number; issues: number } => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { steps, issues } = f.run();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    return { wall, cpu: (cpu.user + cpu.system) / 1000, steps, issues: issues.length };
  };
  const cold = time();
  const warm = Array.from({ length: 5 }, time).sort((a, b) => a.cpu - b.cpu)[2]!;
  console.log(
    `${f.name}: ${f.bytes.length / 8} instructions, ${cold.steps} processed, ${cold.issues === 0 ? 'accepted' : 'rejected'}: cold ${cold.wall.toFixed(0)} ms wall / ${cold.cpu.toFixed(0)} ms CPU; ` +
      `warm median ${warm.wall.toFixed(0)} ms wall / ${warm.cpu.toFixed(0)} ms CPU`,
  );
}
