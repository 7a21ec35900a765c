/**
 * `bpf_get_local_storage` (81) over cgroup storage maps (maps/cgroup-storage.ts): the value of the cgroup
 * the running program is attached to, for the program's attach type (which only 16-byte keys tell
 * apart), on the run's CPU for a per-CPU map. A run names the cgroup (`RunOptions.cgroup`, default the
 * root cgroup, id 1); the program's attach type comes from its section name as libbpf sets
 * `expected_attach_type` ({@link cgroupAttachTypeOf}). The value is made, zero, on first use, as the
 * kernel makes it when the program is attached; it is never NULL. The flags must be 0 (the kernel's
 * verifier refuses anything else, as does tsbpf's).
 * @module
 */
import { ErrorCode, ExecutionError } from '../errors.js';
import type { HelperEntry, HelperFunction } from '../vm/environment.js';
import type { BpfMap } from '../maps/map.js';
import { CgroupStorageMap, MAX_STORAGE_CGROUPS } from '../maps/cgroup-storage.js';
import { typedMapArg } from './map-arg.js';

/** The root cgroup's id: where a run that names no cgroup is attached. */
export const ROOT_CGROUP_ID = 1n;

/** Where the running program is attached (set by the runner before each run; one per loaded object). */
export interface CgroupAttachment {
  /** The cgroup's id. */
  cgroupId: bigint;
  /** The program's `enum bpf_attach_type`. */
  attachType: number;
}

/** libbpf's section names (first component, or the whole name) and the attach type each sets. */
const ATTACH_TYPES: ReadonlyMap<string, number> = new Map([
  ['cgroup_skb/ingress', 0], ['cgroup_skb/egress', 1], ['cgroup/skb', 0], ['cgroup/sock_create', 2], ['cgroup/sock', 2],
  ['sockops', 3], ['sk_skb/stream_parser', 4], ['sk_skb/stream_verdict', 5], ['cgroup/dev', 6], ['sk_msg', 7],
  ['cgroup/bind4', 8], ['cgroup/bind6', 9], ['cgroup/connect4', 10], ['cgroup/connect6', 11], ['cgroup/post_bind4', 12],
  ['cgroup/post_bind6', 13], ['cgroup/sendmsg4', 14], ['cgroup/sendmsg6', 15], ['flow_dissector', 17], ['cgroup/sysctl', 18],
  ['cgroup/recvmsg4', 19], ['cgroup/recvmsg6', 20], ['cgroup/getsockopt', 21], ['cgroup/setsockopt', 22],
  ['cgroup/getpeername4', 29], ['cgroup/getpeername6', 30], ['cgroup/getsockname4', 31], ['cgroup/getsockname6', 32],
  ['cgroup/sock_release', 34], ['sk_lookup', 36], ['sk_skb/verdict', 38],
]);

/**
 * The attach type (`enum bpf_attach_type`) libbpf gives a program of section `section`
 * (`cgroup_skb/egress` 1, `sockops` 3, `cgroup/connect4` 10...); 0 (`BPF_CGROUP_INET_INGRESS`) when the
 * name sets none.
 */
export function cgroupAttachTypeOf(section: string): number {
  const parts = section.replace(/^\./, '').split('/');
  return ATTACH_TYPES.get(parts.slice(0, 2).join('/')) ?? ATTACH_TYPES.get(parts[0]!) ?? 0;
}

/** `bpf_get_local_storage`, reading where the program runs from `attachment`. */
export function cgroupStorageHelpers(mapByHandle: (handle: number) => BpfMap | undefined, attachment: CgroupAttachment, cpu: number): Map<number, HelperEntry> {
  const name = 'bpf_get_local_storage';
  const get: HelperFunction = (r1, _r2, _3, _4, _5, ctx) => {
    const map = typedMapArg(mapByHandle, name, r1, ctx, CgroupStorageMap, 'BPF_MAP_TYPE_CGROUP_STORAGE or BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE');
    const at = map.storageAddress(attachment.cgroupId, attachment.attachType, cpu);
    if (at === 0) {
      throw new ExecutionError(ErrorCode.HELPER, `${name}: map ${map.name} already has values for ${MAX_STORAGE_CGROUPS} attachments (the most tsbpf keeps); cgroup ${attachment.cgroupId} gets none`, { pc: ctx.pc, helper: name });
    }
    return at;
  };
  return new Map([[81, { fn: get, name, unwindOnZero: false }]]);
}
