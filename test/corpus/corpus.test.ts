/**
 * Every object of the real-object corpus (test/corpus/README.md), in two halves with a table each: loading gives an object or an
 * EbpfError (never another error, crash or hang), every program links or is refused with an
 * EbpfError, and every XDP / socket filter / tc program that links gives the same results on the
 * interpreter and the JIT. The per-program status must match the committed table (expected.json,
 * expected-heldout.json),
 * so progress is visible in its diff and a regression fails; UPDATE_CORPUS=1 rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, HELDOUT2_DIR, HELDOUT3_DIR, HELDOUT4_DIR, surveyCorpus, totals, type ObjectStatus } from './survey.js';

/**
 * The sets of the corpus, each with its own table: PREVAIL's sample corpus, the held-out objects built
 * from projects the loader was not developed against (xdp-tutorial, xdp-tools, katran,
 * libbpf-bootstrap, cilium/ebpf's test data), and the second held-out set, whose objects are not in the
 * repository (bcc's libbpf-tools, bpf-examples, l3af; built where TSBPF_HELDOUT2_DIR points, else
 * skipped; see README.md), and the third (bpf-developer-tutorial, inspektor-gadget, loxilb-ebpf,
 * netobserv-ebpf-agent, merbridge; where TSBPF_HELDOUT3_DIR points) and the fourth (Calico, retina,
 * kmesh, tracee, Falco's modern probe...; where TSBPF_HELDOUT4_DIR points).
 */
const SETS: readonly { name: string; expected: string; root: string | undefined; include: (p: string) => boolean }[] = [
  { name: 'ebpf-samples', expected: 'expected.json', root: CORPUS_DIR, include: (p: string) => p.startsWith('ebpf-samples/') },
  { name: 'held-out', expected: 'expected-heldout.json', root: CORPUS_DIR, include: (p: string) => !p.startsWith('ebpf-samples/') },
  { name: 'held-out 2', expected: 'expected-heldout2.json', root: HELDOUT2_DIR, include: () => true },
  { name: 'held-out 3', expected: 'expected-heldout3.json', root: HELDOUT3_DIR, include: () => true },
  { name: 'held-out 4', expected: 'expected-heldout4.json', root: HELDOUT4_DIR, include: () => true },
];

for (const set of SETS) {
  const EXPECTED = join(CORPUS_DIR, set.expected);
  if (set.root === undefined && set.name === 'held-out 4') {
    // Visible in the report: the fourth held-out set's objects are not in the repository (README.md).
    it.skip('real-object corpus: held-out 4 — SKIPPED: TSBPF_HELDOUT4_DIR names no directory of its objects (test/corpus/README.md)', () => undefined);
  }

  describe.runIf(set.root !== undefined)(`real-object corpus: ${set.name}`, () => {
    let survey: ReturnType<typeof surveyCorpus>;
    // A few seconds on an idle machine (the third held-out set: 8-9 minutes); generous for a loaded CI host.
    beforeAll(() => {
      survey = surveyCorpus(set.include, set.root);
    }, 1_800_000);

    it('loads, links and runs as the committed table says, the same on both engines', () => {
      const { table, mismatches } = survey;
      const t = totals(table);
      console.log(
        `corpus ${set.name}: ${t.objectsLoad} of ${t.objects} objects load; ${t.programsLink} of ${t.programs} programs link; ` +
          `XDP/socket/tc programs that run: ${t.packetProgramsRun} of ${t.packetPrograms}; ` +
          `tracing programs that run on a host-described event: ${t.tracingProgramsRun} of ${t.tracingPrograms}; ` +
          `sock_ops programs that run on socket events: ${t.sockOpsProgramsRun} of ${t.sockOpsPrograms}`,
      );
      expect(mismatches).toEqual([]);
      if (process.env.UPDATE_CORPUS === '1') {
        writeFileSync(EXPECTED, `${JSON.stringify({ totals: t, objects: table }, null, 1)}\n`);
        return;
      }
      const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as { totals: Record<string, number>; objects: Record<string, ObjectStatus> };
      // Object by object first, so a failure names the object that changed.
      for (const path of new Set([...Object.keys(expected.objects), ...Object.keys(table)])) {
        expect({ path, ...table[path] }).toEqual({ path, ...expected.objects[path] });
      }
      expect(t).toEqual(expected.totals);
    });

    if (set.name === 'ebpf-samples') {
      it('refuses every malformed object with an EbpfError or loads it (never another error)', () => {
        const invalid = Object.entries(survey.table).filter(([p]) => p.startsWith('ebpf-samples/invalid/'));
        expect(invalid.length).toBeGreaterThan(5);
        // surveyCorpus rethrows anything that is not an EbpfError, so reaching here is the check; most are refused.
        expect(invalid.filter(([, s]) => s.load !== 'loads').length).toBeGreaterThanOrEqual(7);
      });
    }
  });
}
