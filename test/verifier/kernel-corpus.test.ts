/**
 * The kernel-level analysis on every program of the real-object corpus (test/corpus) that tsbpf links,
 * against the kernel's verdicts on the same programs (corpus-kernel.ts). Every disagreement is listed
 * below with its cause, exactly: the test fails when a new one appears and when a listed one goes (then
 * the entry goes too). The figures are printed.
 */
import { describe, expect, it } from 'vitest';
import { kernelOracle, skipNote } from '../kernel/runner.js';
import { corpusPrograms, liveVerdicts, recordedVerdicts, writeVerdicts } from './corpus-kernel.js';

/**
 * Programs the kernel accepts that the analysis rejects, with the cause. All but the two loops are (or, where
 * marked, look like) states joined where paths meet, where the kernel walks each path. The loader
 * refuses none of them: it warns (LoadOptions.verify 'warn', the default).
 */
const FALSE_REJECTS: Record<string, string> = {
  'ebpf-samples/build/bounded_loop.o:test_bounded_loop':
    'a loop whose exit test the loop analysis does not relate to a register moving toward its bound (the kernel walks the iterations)',
  'ebpf-samples/build/dependent_read.o:dependent_read':
    'a packet range proved on one path and joined with a path that did not prove it (the kernel walks each path)',
  'ebpf-samples/cilium-core/bpf_host.o:tail_drop_notify':
    'a packet access at a variable offset whose range was proved per path before a join',
  'ebpf-samples/cilium-core/bpf_host.o:tail_handle_ipv6_from_host':
    'R8 32-bit pointer arithmetic prohibited at pc 47/30: R8 is a pointer here on some path of the joined state; not yet pinned down',
  'ebpf-samples/cilium-core/bpf_lxc.o:tail_handle_ipv6':
    'R8 32-bit pointer arithmetic prohibited at pc 47/30: R8 is a pointer here on some path of the joined state; not yet pinned down',
  'ebpf-samples/cilium-core/bpf_lxc.o:tail_policy_denied_ipv4':
    'a packet offset advanced in a loop (an ICMP body copy) widened to [18, 2^30] at the loop head: widening without thresholds from the loop bound',
  'ebpf-samples/cilium-core/bpf_wireguard.o:tail_handle_nat_fwd_ipv6':
    'a register holding pointers of different kinds on two paths joins to a number (the kernel walks each path)',
  'ebpf-samples/cilium-core/bpf_wireguard.o:tail_handle_nat_fwd_ipv4':
    'a register holding pointers of different kinds on two paths joins to a number (the kernel walks each path)',
  'ebpf-samples/linux/cpustat_kern.o:tracepoint/power/cpu_idle':
    'R0 invalid mem access scalar at pc 106: R0 joined to a number; not yet pinned down',
  'ebpf-samples/linux/xdp1_kern.o:xdp1':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/linux/xdp2_kern.o:xdp1':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/linux/xdp_redirect_cpu_kern.o:xdp_cpu_map3_proto_separate':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/linux/xdp_redirect_cpu_kern.o:xdp_cpu_map4_ddos_filter_pktgen':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/linux/xdp_redirect_cpu_kern.o:xdp_cpu_map5_lb_hash_ip_pairs':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/ovs/datapath.o:tail-7':
    'a register holding a pointer on one path and a number on another joins to a number (the kernel walks each path)',
  'ebpf-samples/ovs/datapath.o:tail-2':
    'a register holding a pointer on one path and a number on another joins to a number (the kernel walks each path)',
  'ebpf-samples/prototype-kernel/xdp_ddos01_blacklist_kern.o:xdp_prog':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
  'ebpf-samples/suricata/bypass_filter.o:filter':
    'a register holding a pointer on one path and a number on another joins to a number (the kernel walks each path)',
  'ebpf-samples/suricata/xdp_filter.o:xdp':
    'a header offset of 14 or 18 (VLAN tag or not) joined into [14, 18]: the packet range proved on each path is lost',
};

/** Programs the kernel rejects that the analysis accepts, by cause. */
const FALSE_ACCEPTS: Record<string, string> = {
};

describe('corpus programs against the kernel', () => {
  const programs = corpusPrograms();
  const verdicts = recordedVerdicts();

  it('agrees with the kernel but for the listed programs', () => {
    let kAccepts = 0;
    let kRejects = 0;
    const falseRejects: Record<string, string> = {};
    const falseAccepts: Record<string, string> = {};
    for (const p of programs) {
      const k = verdicts.get(p.key);
      if (k === undefined) continue;
      const first = p.issues.find((i) => i.severity === 'error');
      if (k.accepted) {
        kAccepts++;
        if (first !== undefined) falseRejects[p.key] = `${first.pc}:${first.rule}`;
      } else {
        kRejects++;
        if (first === undefined) falseAccepts[p.key] = k.log ?? '';
      }
    }
    const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
    const nFR = Object.keys(falseRejects).length;
    const nFA = Object.keys(falseAccepts).length;
    console.log(
      `corpus: ${programs.length} programs analysed, ${verdicts.size} with a kernel verdict; kernel rejects ${kRejects}, tsbpf rejects ${kRejects - nFA} of them (${pct(kRejects - nFA, kRejects)}); ` +
        `kernel accepts ${kAccepts}, tsbpf wrongly rejects ${nFR} (${pct(nFR, kAccepts)})`,
    );
    expect(Object.keys(falseRejects).sort()).toEqual(Object.keys(FALSE_REJECTS).sort());
    expect(Object.keys(falseAccepts).sort()).toEqual(Object.keys(FALSE_ACCEPTS).sort());
    expect(programs.length).toBeGreaterThan(240);
    expect(verdicts.size).toBeGreaterThan(200);
  });

  it('has the kernel verdicts recorded (TSBPF_CORPUS_KERNEL=1 asks the live kernel again)', () => {
    if (process.env['TSBPF_CORPUS_KERNEL'] !== '1' && process.env['UPDATE_CORPUS_KERNEL'] !== '1') return;
    const k = kernelOracle();
    if (typeof k === 'string') {
      skipNote(k);
      return;
    }
    const live = liveVerdicts(k, programs);
    if (process.env['UPDATE_CORPUS_KERNEL'] === '1') writeVerdicts(live);
    const acc = (m: ReadonlyMap<string, { accepted: boolean }>): Record<string, boolean> => Object.fromEntries([...m].map(([n, v]) => [n, v.accepted]));
    expect(acc(live)).toEqual(acc(verdicts));
  });
});
