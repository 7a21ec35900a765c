/**
 * The options of a run checked, as JavaScript callers (no type checker) may pass anything: the limits
 * (merged with the defaults, cached for hosts that pass the same object packet after packet), the
 * engine, the `__sk_buff` fields and what the host describes of a packet's socket, checksum and tunnel,
 * and a sock_ops run's congestion controls. Checked values the run keeps are copies, so a run cannot
 * see its caller change them. (The task, memory and objects of tracing runs: context/event-checks.ts.)
 * @module
 */
import { ArgumentError } from '../errors.js';
import {
  checkBytes,
  checkInteger,
  checkOptionalBoolean,
  checkOptionalBytes,
  checkOptionalFunction,
  checkOptionalInteger,
  checkOptionalU64,
  checkOptions,
  checkU32Field,
  checkU64,
  describeValue,
  resolveLimits,
} from '../validate.js';
import { DEFAULT_LIMITS, type Engine, type RunLimits } from '../vm/environment.js';
import { TUNNEL_OPTS_MAX, type TunnelKey } from '../helpers/tunnel.js';
import { MAX_CGROUP_LEVELS, type SkbChecksum, type SkbSocket } from '../helpers/skb-info.js';
import { DEFAULT_CONGESTION } from '../helpers/sockopt.js';
import { SkBuff } from './layout.js';
import type { RunOptions, SkbOptions } from './run-options.js';

// One-entry cache of the merged limits: hosts pass the same options object packet after packet, and
// spreading DEFAULT_LIMITS per run was a measurable share of a short program's cost. The fields are
// compared too, so a host that mutates its limits object between runs still gets what it asked for.
let lastLimitsIn: Partial<RunLimits> | undefined;
let lastLimitsOut: RunLimits = DEFAULT_LIMITS;
let lastBudget: number | undefined;
let lastDepth: number | undefined;
let lastStack: number | undefined;
let lastTail: number | undefined;

/** A run's limits: the defaults with `options.limits` over them, checked. */
export function limitsOf(options: RunOptions): RunLimits {
  const l = options.limits;
  if (l === undefined) return DEFAULT_LIMITS;
  if (typeof l !== 'object' || l === null) return resolveLimits(l, DEFAULT_LIMITS, 'options.limits');
  if (
    l !== lastLimitsIn ||
    l.instructionBudget !== lastBudget ||
    l.maxCallDepth !== lastDepth ||
    l.stackSize !== lastStack ||
    l.maxTailCalls !== lastTail
  ) {
    lastLimitsOut = resolveLimits(l, DEFAULT_LIMITS, 'options.limits');
    lastLimitsIn = l;
    lastBudget = l.instructionBudget;
    lastDepth = l.maxCallDepth;
    lastStack = l.stackSize;
    lastTail = l.maxTailCalls;
  }
  return lastLimitsOut;
}

/** A 64-bit nanosecond option (`tstamp`, `hwtstamp`) checked, taken modulo 2^64. */
export function u64Option(name: string, value: unknown): bigint {
  if (typeof value !== 'bigint') throw new ArgumentError(`${name} must be a bigint (nanoseconds), got ${typeof value}`);
  return BigInt.asUintN(64, value);
}

/** `options` of a run checked (its limits are checked by {@link limitsOf}). */
export function checkRunOptions<T extends RunOptions>(options: T | undefined): T {
  const o = checkOptions(options, 'options');
  checkOptionalBoolean(o.jit, 'options.jit');
  checkOptionalU64(o.cgroup, 'options.cgroup');
  const engine: unknown = o.engine;
  if (engine !== undefined && (typeof engine !== 'object' || engine === null || typeof (engine as Engine).run !== 'function')) {
    throw new ArgumentError(`options.engine must be an Engine (an object with a run method), not ${describeValue(engine)}`);
  }
  return o;
}

/** The `__sk_buff` fields a host may set, by option name. */
export const SKB_FIELDS = [
  ['pktType', SkBuff.pkt_type],
  ['mark', SkBuff.mark],
  ['queueMapping', SkBuff.queue_mapping],
  ['vlanPresent', SkBuff.vlan_present],
  ['vlanTci', SkBuff.vlan_tci],
  ['vlanProto', SkBuff.vlan_proto],
  ['priority', SkBuff.priority],
  ['ingressIfindex', SkBuff.ingress_ifindex],
  ['ifindex', SkBuff.ifindex],
  ['tcIndex', SkBuff.tc_index],
  ['hash', SkBuff.hash],
  ['tcClassid', SkBuff.tc_classid],
] as const;

/** The options of a socket filter, tc, sk_skb or cgroup_skb run checked: its `__sk_buff` fields and what the host describes. */
export function checkSkbOptions(options: SkbOptions | undefined): SkbOptions {
  const o = checkRunOptions(options);
  for (const [name] of SKB_FIELDS) checkU32Field(o[name], `options.${name}`);
  checkU32Field(o.protocol, 'options.protocol');
  checkU32Field(o.wireLen, 'options.wireLen');
  checkU32Field(o.gsoSegs, 'options.gsoSegs');
  checkU32Field(o.gsoSize, 'options.gsoSize');
  const cb: unknown = o.cb;
  if (cb !== undefined) {
    if (!Array.isArray(cb)) throw new ArgumentError(`options.cb must be an array of numbers (the first 5 are used), not ${describeValue(cb)}`);
    for (let i = 0; i < cb.length && i < 5; i++) checkU32Field(cb[i], `options.cb[${i}]`);
  }
  checkOptionalFunction(o.inspect, 'options.inspect');
  if (o.tunnel !== undefined) checkTunnel(o.tunnel);
  checkU32Field(o.routeRealm, 'options.routeRealm');
  if (o.netnsCookie !== undefined) checkU64(o.netnsCookie, 'options.netnsCookie');
  if (o.socket !== undefined && o.socket !== null) checkSocket(o.socket);
  if (o.checksum !== undefined) checkChecksum(o.checksum);
  return o;
}

/** `options.socket` checked: a copy (a run cannot see the caller change it). */
export function checkSocket(s: unknown): SkbSocket {
  const o = checkOptions(s as SkbSocket, 'options.socket') as unknown as Record<string, unknown>;
  const cookie = checkU64(o.cookie, 'options.socket.cookie');
  checkInteger(o.uid, 'options.socket.uid', 0, 0xffff_ffff);
  checkInteger(o.classid, 'options.socket.classid', 0, 0xffff_ffff);
  const ids: unknown = o.cgroupIds;
  if (!Array.isArray(ids) || ids.length > MAX_CGROUP_LEVELS) throw new ArgumentError(`options.socket.cgroupIds must be an array of at most ${MAX_CGROUP_LEVELS} cgroup ids (bigint, root first), not ${describeValue(ids)}`);
  const cgroupIds = ids.map((id: unknown, i) => checkU64(id, `options.socket.cgroupIds[${i}]`));
  return { cookie, uid: o.uid as number, classid: o.classid as number, cgroupIds };
}

/** `options.checksum` checked: `[ip_summed, level, csum]`. */
export function checkChecksum(c: unknown): [number, number, number] {
  const o = checkOptions(c as SkbChecksum, 'options.checksum') as unknown as Record<string, unknown>;
  if (o.state === 'none') return [0, 0, 0];
  if (o.state === 'unnecessary') return [1, checkOptionalInteger(o.level, 'options.checksum.level', 0, 3) ?? 0, 0];
  if (o.state === 'complete') return [2, 0, checkOptionalInteger(o.csum, 'options.checksum.csum', 0, 0xffff_ffff) ?? 0];
  throw new ArgumentError(`options.checksum.state must be 'none', 'unnecessary' or 'complete', not ${describeValue(o.state)}`);
}

/** `options.congestion` checked (a copy), or the default. */
export function checkCongestion(list: unknown): readonly string[] {
  if (list === undefined) return DEFAULT_CONGESTION;
  if (!Array.isArray(list) || list.length === 0 || list.length > 64 || !list.every((n) => typeof n === 'string' && /^[\x21-\x7e]{1,15}$/.test(n))) {
    throw new ArgumentError(`options.congestion must be an array of 1 to 64 names of 1 to 15 printable characters, not ${describeValue(list)}`);
  }
  return [...(list as string[])];
}

/** `options.tunnel` checked: a copy, so that a run cannot change the caller's arrays. */
export function checkTunnel(t: unknown): TunnelKey {
  if (typeof t !== 'object' || t === null) throw new ArgumentError(`options.tunnel must be an object, not ${describeValue(t)}`);
  const k = t as Record<string, unknown>;
  if (typeof k.id !== 'number' || !Number.isInteger(k.id) || k.id < 0 || k.id > 0xffff_ffff) throw new ArgumentError(`options.tunnel.id must be an integer from 0 to 4294967295, not ${describeValue(k.id)}`);
  const remote = checkBytes(k.remote, 'options.tunnel.remote');
  if (remote.length !== 4 && remote.length !== 16) throw new ArgumentError(`options.tunnel.remote must be 4 (IPv4) or 16 (IPv6) bytes, not ${remote.length}`);
  const local = checkOptionalBytes(k.local, 'options.tunnel.local');
  if (local !== undefined && local.length !== remote.length) throw new ArgumentError(`options.tunnel.local must be ${remote.length} bytes, like remote`);
  for (const [f, max] of [['tos', 0xff], ['ttl', 0xff], ['label', 0xfffff], ['flags', 0xffff]] as const) {
    const v = k[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)) throw new ArgumentError(`options.tunnel.${f} must be an integer from 0 to ${max}, not ${describeValue(v)}`);
  }
  const options = checkOptionalBytes(k.options, 'options.tunnel.options');
  if (options !== undefined && options.length > TUNNEL_OPTS_MAX) throw new ArgumentError(`options.tunnel.options must be at most ${TUNNEL_OPTS_MAX} bytes, not ${options.length}`);
  return { ...(t as TunnelKey), remote: remote.slice(), ...(local === undefined ? {} : { local: local.slice() }), ...(options === undefined ? {} : { options: options.slice() }) };
}
