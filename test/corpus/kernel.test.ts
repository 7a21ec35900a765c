/**
 * The real-object corpus against the kernel (issue 13's acceptance on the held-out sets): which XDP /
 * socket filter / tc programs libbpf + the kernel load (kernel-heldout.json, kernel-heldout2.json;
 * kernel-verdicts.ts), how many of those tsbpf runs, and — where the kernel oracle works — a differential
 * of the programs both load. The second, third and fourth held-out sets run only where TSBPF_HELDOUT2_DIR /
 * TSBPF_HELDOUT3_DIR / TSBPF_HELDOUT4_DIR name their objects.
 *
 * The default suite runs the differential on a fixed subset (every 8th program, 10 packets, maps
 * seeded, the interpreter and the JIT); the environment asks for more:
 *
 *   TSBPF_CORPUS_KDIFF=1 npx vitest run test/corpus/kernel.test.ts       re-ask the kernel for the verdicts
 *     (compared with the table), and the differential of every program on every packet, three engines,
 *     maps as declared and seeded
 *   UPDATE_CORPUS_KERNEL_VERDICTS=1 npx vitest run test/corpus/kernel.test.ts   rewrite the table
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, type SkbFields } from '../kernel/differential.js';
import { deepPackets, rng, testPackets } from '../kernel/packets.js';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { diffProgram } from './kernel-diff.js';
import { kernelVerdicts, packetPrograms, type KernelVerdict } from './kernel-verdicts.js';
import { CORPUS_DIR, HELDOUT2_DIR, HELDOUT3_DIR, HELDOUT4_DIR } from './survey.js';

const FULL = process.env['TSBPF_CORPUS_KDIFF'] === '1';
const LIVE = FULL || process.env['UPDATE_CORPUS_KERNEL_VERDICTS'] === '1';

/**
 * Packet programs the kernel loads that tsbpf does not run (the survey's status in expected-heldout.json),
 * with the cause. The test fails when one appears or goes.
 */
const KERNEL_ONLY: Record<string, string> = {};
/** The same for the second held-out set (expected-heldout2.json). */
const KERNEL_ONLY_2: Record<string, string> = {};

/** The same for the third held-out set (expected-heldout3.json): all the verifier's (test/corpus/README.md). */
const KERNEL_ONLY_3: Record<string, string> = {
  'bpf-developer-tutorial/42-xdp-loadbalancer/xdp_lb.bpf.o xdp_load_balancer (xdp) xdp':
    'the verifier: [stack-access] at pc 113: invalid read from stack R1 off=[-47, 1073741825] size=1 (a pointer stepping 4 or 1 bytes as the low 32 bits of a 64-bit length fall by as much: no fixed step, and the exit test (len == 0) runs on one path only; needs pointer + low32(len) = const kept across the back edge)',
};

/** The same for the fourth held-out set (expected-heldout4.json; test/corpus/README.md): one map. */
const KERNEL_ONLY_4: Record<string, string> = {
  'kmesh/workload_xdp.o policies_check (xdp_auth) xdp':
    'the map kmesh_map1600: 1,608,000,000 bytes of values, past the per-map limit (1 GiB at most, maxMapBytes); the kernel allocates the hash map lazily',
};

interface VerdictTable {
  readonly kernel: string;
  readonly totals: { readonly packetPrograms: number; readonly kernelLoads: number };
  readonly programs: Record<string, KernelVerdict>;
}

/** One held-out set: its survey table, its kernel verdict table, its objects' directory and its listed programs. */
interface HeldOutSet {
  readonly name: string;
  readonly expected: string;
  readonly table: string;
  readonly root: string | undefined;
  readonly kernelOnly: Record<string, string>;
}

const SETS: readonly HeldOutSet[] = [
  { name: 'held-out corpus', expected: 'expected-heldout.json', table: 'kernel-heldout.json', root: CORPUS_DIR, kernelOnly: KERNEL_ONLY },
  { name: 'held-out set 2', expected: 'expected-heldout2.json', table: 'kernel-heldout2.json', root: HELDOUT2_DIR, kernelOnly: KERNEL_ONLY_2 },
  { name: 'held-out set 3', expected: 'expected-heldout3.json', table: 'kernel-heldout3.json', root: HELDOUT3_DIR, kernelOnly: KERNEL_ONLY_3 },
  { name: 'held-out set 4', expected: 'expected-heldout4.json', table: 'kernel-heldout4.json', root: HELDOUT4_DIR, kernelOnly: KERNEL_ONLY_4 },
];

for (const set of SETS) {
  if (set.root !== undefined) suite(set, set.root);
  // Visible in the report: the fourth held-out set's objects are not in the repository (README.md).
  else if (set.name === 'held-out set 4') it.skip('held-out set 4 against the kernel — SKIPPED: TSBPF_HELDOUT4_DIR names no directory of its objects (test/corpus/README.md)', () => undefined);
}

function suite(set: HeldOutSet, root: string): void {
  const TABLE = join(CORPUS_DIR, set.table);
  const KERNEL_ONLY = set.kernelOnly;

  function readTable(): VerdictTable {
    return JSON.parse(readFileSync(TABLE, 'utf8')) as VerdictTable;
  }

  describe(`${set.name} against the kernel: verdicts`, () => {
    const programs = packetPrograms(set.expected, root);

    it('tsbpf runs every packet program the kernel loads, but for the listed ones', () => {
      const table = readTable();
      expect(Object.keys(table.programs).sort()).toEqual(programs.map((p) => `${p.path} ${p.key}`).sort());
      const loads = programs.filter((p) => !table.programs[`${p.path} ${p.key}`]!.startsWith('refused'));
      const notRun = Object.fromEntries(loads.filter((p) => p.status !== 'runs').map((p) => [`${p.path} ${p.key}`, p.status]));
      const runs = loads.length - Object.keys(notRun).length;
      console.log(`${set.name}: the kernel loads ${loads.length} of ${programs.length} XDP/socket/tc programs; tsbpf runs ${runs} of those ${loads.length}`);
      expect(Object.keys(notRun).sort()).toEqual(Object.keys(KERNEL_ONLY).sort());
      expect(table.totals).toEqual({ packetPrograms: programs.length, kernelLoads: loads.length });
    });

    it.runIf(LIVE)('the committed verdicts are the live kernel\'s', () => {
      const k = kernelOracle();
      if (typeof k === 'string') {
        skipNote(k);
        return;
      }
      const live = kernelVerdicts(k, programs);
      if (process.env['UPDATE_CORPUS_KERNEL_VERDICTS'] === '1') {
        const loads = programs.filter((p) => !live.get(`${p.path} ${p.key}`)!.startsWith('refused'));
        const table: VerdictTable = {
          kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
          totals: { packetPrograms: programs.length, kernelLoads: loads.length },
          programs: Object.fromEntries(live),
        };
        writeFileSync(TABLE, `${JSON.stringify(table, null, 1)}\n`);
        return;
      }
      expect(Object.fromEntries(live)).toEqual(readTable().programs);
    }, 600_000);
  });

  /**
   * Programs both load whose runs differ from the kernel's, with the cause (every difference in the
   * engines found so far was fixed). A listed program's differences are printed, not failed.
   */
  const KNOWN_DIFFERENCES: Record<string, string> = {
    // Not the engines: the loaders' Kconfig values. The program returns the line of the first zero value.
    'cilium-ebpf/testdata/kconfig-el.elf kconfig (socket) socket':
      'LINUX_HAS_SYSCALL_WRAPPER: libbpf 1.1 sets 0 on this host (the kernel returns line 19), tsbpf\'s modelled kernel y (tsbpf returns 28: ' +
      'CONFIG_DEFAULT_HOSTNAME in a char[1] is cut to its NUL, as libbpf cuts it); LINUX_KERNEL_VERSION 6.18.0 (modelled) vs 6.18.44',
  };

  describe(`${set.name} against the kernel: differential`, () => {
    const oracle = kernelOracle();
    if (typeof oracle === 'string') {
      skipNote(oracle);
      it.skip('needs the kernel oracle', () => undefined);
      return;
    }
    const table = readTable();
    const both = packetPrograms(set.expected, root).filter((p) => p.status === 'runs' && table.programs[`${p.path} ${p.key}`]?.startsWith('refused') === false);
    const all = [...testPackets(1), ...deepPackets(2)];
    // The default: a spread of kinds, a truncation and random bytes.
    const SUBSET = /^(ipv4-tcp-syn\/other|ipv4-udp-dns\/host|ipv6-tcp\/host|vlan-ipv4-udp\/broadcast|arp\/broadcast|ipv4-tcp-data\/host\/cut37|random-127|ipip\/other|gue-ipv6\/host|ipv6-hbh-tcp\/host)$/;
    const packets = FULL ? all : all.filter((p) => SUBSET.test(p.name));
    const r = rng(7);
    const fields: SkbFields[] = packets.map(() => ({ mark: r() % 4 === 0 ? r() : 0, priority: r() & 7, cb: [r(), 0, r() & 0xff, 0, r()] }));
    const engines = FULL ? ENGINES : ENGINES.filter((e) => e.name !== 'interpreter-js');
    const chosen = FULL ? both : both.filter((_, i) => i % 8 === 0);

    it('covers the programs both load', () => {
      expect(both.length).toBe(table.totals.kernelLoads - Object.keys(KERNEL_ONLY).length);
      expect(packets.length).toBe(FULL ? all.length : 10);
    });

    // Maps as declared, and seeded with the same contents on both sides (kernel-diff.ts's seedMaps:
    // filters and configuration keyed by the packets' fields, so more paths run); the default, seeded only.
    const SEED = 11;
    const seeds: (number | undefined)[] = FULL ? [undefined, SEED] : [SEED];
    for (const p of chosen) {
      const key = `${p.path} ${p.key}`;
      for (const seed of seeds) {
        it(`${key}${seed === undefined ? '' : ` (maps seeded ${seed})`}`, () => {
          const d = diffProgram(oracle, p, table.programs[key]!, packets, engines, (i) => fields[i]!, seed);
          if (d.notes.length > 0) console.log(`[kernel diff] ${key}: ${d.notes.join('; ')}`);
          if (KNOWN_DIFFERENCES[key] !== undefined) {
            console.log(`[kernel diff] ${key}: known difference (${KNOWN_DIFFERENCES[key]}): ${d.differences.length}`);
            return;
          }
          expect(d.differences).toEqual([]);
        }, 300_000); // the largest (loxilb, 11 maps seeded) take over 120 s on a loaded host (130 s at load 20)
      }
    }
  });
}
