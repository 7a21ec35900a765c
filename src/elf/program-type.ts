/**
 * The program types of an object's programs: inferred from section names (libbpf's, iproute2's and
 * Cilium's conventions), or given by the host (`LoadOptions.programTypes`).
 * @module
 */
import { ArgumentError } from '../errors.js';
import { checkString } from '../validate.js';
import { TRACING_TYPES, tracingTypeOf, type TracingType } from '../context/tracing.js';
import type { ElfFunction } from './link.js';
import type { ElfFile } from './reader.js';
// For the TSDoc links only.
import type { LoadOptions } from './load-options.js';
import type { BpfObject } from './loader.js';

/**
 * Program types tsbpf distinguishes, inferred from the section name: the packet types, the tracing
 * types (`kprobe`, `tracepoint`, `raw_tracepoint`, `perf_event`, `tracing`; see `TracingType`),
 * `cgroup_skb` (packets a cgroup's sockets send or receive, run with `runCgroupSkb`), `flow_dissector` (run with
 * `runFlowDissector`), `sockops` (socket events, run with `runSockOps`), `sk_msg`, `sk_skb` and
 * `sk_lookup` (a socket's messages, stream data and lookups: `runSkMsg`, `runSkSkb`, `runSkLookup`),
 * `syscall` (a context the caller passes, run with `runSyscall`), and `raw` for the rest (a context or input memory the host gives as it is).
 */
export type ProgramType = 'xdp' | 'socket' | 'tc' | 'cgroup_skb' | 'flow_dissector' | TracingType | 'sockops' | 'sk_msg' | 'sk_skb' | 'sk_lookup' | 'syscall' | 'raw';

/** A program of an object, before loading. */
export interface ProgramInfo {
  /** Function name (or the section name for a section without function symbols). */
  readonly name: string;
  /** Section name (`xdp`, `tc`, `kprobe/do_sys_open`…). */
  readonly section: string;
  /** Program type inferred from the section name. */
  readonly type: ProgramType;
}

/** The program types {@link LoadOptions.programTypes} accepts. */
export const PROGRAM_TYPES: readonly ProgramType[] = ['xdp', 'socket', 'tc', 'cgroup_skb', 'flow_dissector', ...TRACING_TYPES, 'sockops', 'sk_msg', 'sk_skb', 'sk_lookup', 'syscall', 'raw'];

/**
 * Program type from a section name: libbpf's conventions (`xdp`, `xdp.frags`, `xdp/devmap`, `socket`,
 * `tc`, `tc/ingress`, `tcx/egress`, `netkit/peer`, `classifier`, `action`), the kernel's old
 * samples/bpf loader's prefixes (`xdp1`, `socket2`), and Cilium's tc section names (`from-netdev`,
 * `to-container`…), the tracing sections (`kprobe/…`, `kretprobe/…`, `uprobe`, `ksyscall/…`, `usdt`,
 * `tracepoint/…`, `tp/…`, `raw_tracepoint/…`, `raw_tp/…`, `perf_event`, `fentry/…`, `fexit/…`,
 * `fmod_ret/…`, `tp_btf/…`), `sockops`, `cgroup_skb/…` (and `cgroup/skb`), `flow_dissector`, `sk_msg`,
 * `sk_skb/…`, `sk_lookup`, `syscall`. iproute2's tail-call slots (`2/7`) say nothing by themselves: see
 * {@link BpfObject.programs} for how they get a type.
 */
export function programTypeOf(section: string): ProgramType {
  checkString(section, 'section');
  const s = section.replace(/^\./, '');
  if (s.startsWith('xdp')) return 'xdp';
  if (s.startsWith('socket')) return 'socket';
  if (/^(tc|tcx|netkit|classifier|action)([./_]|$)/.test(s)) return 'tc';
  if (/^(from|to)-(netdev|container|overlay|host|network|wireguard|lxc|stack)$/.test(s)) return 'tc';
  if (s === 'sockops') return 'sockops';
  if (/^cgroup_skb([./]|$)/.test(s) || s === 'cgroup/skb') return 'cgroup_skb';
  if (s === 'flow_dissector') return 'flow_dissector';
  const first = s.split('/')[0];
  if (first === 'sk_msg' || first === 'sk_skb' || first === 'sk_lookup') return first;
  if (s === 'syscall') return 'syscall';
  return tracingTypeOf(s) ?? 'raw';
}

/** iproute2's tail-call section names: `PROG_ARRAY_ID/SLOT` (both decimal). */
const TAIL_CALL_SLOT = /^\d+\/\d+$/;

/**
 * An object's programs with their types: from the section name, then for iproute2's tail-call slots
 * (`2/7`, which say nothing) the type every named program of the object shares, if they share one;
 * `programTypes` overrides both.
 */
export function listPrograms(elf: ElfFile, functions: ReadonlyMap<number, readonly ElfFunction[]>, overrides: Readonly<Record<string, ProgramType>> | undefined): ProgramInfo[] {
  const found: { name: string; section: string }[] = [];
  for (const [index, fns] of functions) {
    const section = elf.sections[index]!;
    for (const f of fns) {
      // .text holds subprograms; its global functions are also runnable as raw programs.
      if (section.name === '.text' && !f.global) continue;
      found.push({ name: f.name, section: section.name });
    }
  }
  const named = new Set(found.filter((p) => !TAIL_CALL_SLOT.test(p.section) && p.section !== '.text').map((p) => programTypeOf(p.section)));
  named.delete('raw');
  const slotType: ProgramType = named.size === 1 ? [...named][0]! : 'raw';
  const types = checkProgramTypes(overrides, found);
  return found.map((p) => ({
    ...p,
    type: types?.[p.name] ?? types?.[p.section] ?? types?.['*'] ?? (TAIL_CALL_SLOT.test(p.section) ? slotType : programTypeOf(p.section)),
  }));
}

function checkProgramTypes(
  types: Readonly<Record<string, ProgramType>> | undefined,
  programs: readonly { name: string; section: string }[],
): Readonly<Record<string, ProgramType>> | undefined {
  if (types === undefined) return undefined;
  if (typeof types !== 'object' || types === null) throw new ArgumentError('options.programTypes must be an object of program or section name to type');
  for (const [key, type] of Object.entries(types)) {
    if (!PROGRAM_TYPES.includes(type)) throw new ArgumentError(`options.programTypes[${JSON.stringify(key)}]: ${JSON.stringify(type)} is not one of ${PROGRAM_TYPES.join(', ')}`);
    if (key !== '*' && !programs.some((p) => p.name === key || p.section === key)) {
      throw new ArgumentError(`options.programTypes: no program or section named ${key}; programs: ${programs.map((p) => `${p.name} (${p.section})`).join(', ') || 'none'}`);
    }
  }
  return types;
}
