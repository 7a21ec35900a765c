/**
 * The forwarding information base `bpf_fib_lookup` consults: interfaces (MAC, MTU, addresses,
 * forwarding), routes (prefix, type, interface, gateway, metric, table) and neighbours (IP to MAC),
 * described by the host as plain data ({@link FibDescription}, also the CLI's `--fib` JSON) and
 * checked once into a {@link Fib}. With no description the host has only the loopback interface
 * (ifindex 1) and no routes: every lookup from it finds nothing (`BPF_FIB_LKUP_RET_NOT_FWDED`).
 * @module
 */
import { ArgumentError } from '../errors.js';
import { describeValue } from '../validate.js';

/** A network interface of the host. */
export interface FibInterface {
  /** Interface index (1 to 2^31 - 1). Index 1 is the loopback interface unless described. */
  readonly ifindex: number;
  /** MAC address, `aa:bb:cc:dd:ee:ff` (default all zero). */
  readonly mac?: string;
  /** MTU in bytes (default 1500). */
  readonly mtu?: number;
  /** Addresses the interface holds, `10.0.0.2/24` or `fd00::2/64`: local destinations, and sources for `BPF_FIB_LOOKUP_SRC`. */
  readonly addresses?: readonly string[];
  /** Whether packets received here may be forwarded (`net.ipv4.conf.*.forwarding`; default true). */
  readonly forwarding?: boolean;
}

/** A route. */
export interface FibRoute {
  /** Destination prefix, `10.1.0.0/16`, `0.0.0.0/0`, `fd01::/64`; an address alone is a host route. */
  readonly prefix: string;
  /** Route type (default `unicast`). */
  readonly type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
  /** Egress interface (required for unicast routes). */
  readonly ifindex?: number;
  /** Next hop (unicast; default: the destination itself, a directly connected network). */
  readonly gateway?: string;
  /** Route metric (priority; lower wins among equal prefixes; default 0, IPv6 1024 as `ip -6 route` gives). Returned in `rt_metric`. */
  readonly metric?: number;
  /** Routing table id (default 254, main); `BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID` picks another. */
  readonly table?: number;
}

/** A neighbour (ARP / NDP) entry: the MAC of an address on an interface. */
export interface FibNeighbour {
  readonly ifindex: number;
  readonly address: string;
  readonly mac: string;
}

/** What the host's network looks like to `bpf_fib_lookup`: the `fib` load option and `--fib FILE.json`. */
export interface FibDescription {
  readonly interfaces?: readonly FibInterface[];
  readonly routes?: readonly FibRoute[];
  readonly neighbours?: readonly FibNeighbour[];
}

/** An address: 4 bytes (IPv4) or 16 (IPv6), network order. */
type Address = Uint8Array;

/** A checked interface. */
export interface FibDevice {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly forwarding: boolean;
  readonly addresses: readonly { readonly address: Address; readonly length: number }[];
}

/** A checked route. */
export interface FibEntry {
  readonly prefix: Address;
  readonly length: number;
  readonly type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
  readonly ifindex: number;
  readonly gateway: Address | undefined;
  readonly metric: number;
  readonly table: number;
}

export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
const RT_TABLE_DEFAULT = 253;
/** The metric `ip -6 route add` gives a route without one. */
const IPV6_DEFAULT_METRIC = 1024;
const ROUTE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit'] as const;

/** Parse `a.b.c.d` or an IPv6 address (with `::`); undefined when it is neither. */
export function parseAddress(s: string): Address | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    return parts.every((p) => p <= 255) ? new Uint8Array(parts) : undefined;
  }
  if (!/^[0-9a-f:]+$/i.test(s) || s.split('::').length > 2) return undefined;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const groups = (x: string | undefined): string[] => (x === undefined || x === '' ? [] : x.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const fill = 8 - h.length - t.length;
  if (tail === undefined ? fill !== 0 : fill < 1) return undefined;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : fill).fill('0'), ...t];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function parseMac(s: unknown, where: string): Uint8Array {
  if (typeof s !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)) {
    throw new ArgumentError(`${where} must be a MAC address like 02:00:00:00:00:01, not ${describeValue(s)}`);
  }
  return new Uint8Array(s.split(':').map((h) => parseInt(h, 16)));
}

function addressArg(s: unknown, where: string): Address {
  const a = typeof s === 'string' ? parseAddress(s) : undefined;
  if (a === undefined) throw new ArgumentError(`${where} must be an IPv4 or IPv6 address (10.0.0.1, fd00::1), not ${describeValue(s)}`);
  return a;
}

function prefixArg(s: unknown, where: string): { address: Address; length: number } {
  const text = typeof s === 'string' ? s : '';
  const slash = text.indexOf('/');
  const address = addressArg(slash < 0 ? s : text.slice(0, slash), where);
  const max = address.length * 8;
  const length = slash < 0 ? max : /^\d{1,3}$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : -1;
  if (length < 0 || length > max) throw new ArgumentError(`${where}: the prefix length of ${text} must be 0 to ${max}`);
  return { address, length };
}

function intArg(v: unknown, where: string, min: number, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError(`${where} must be an integer from ${min} to ${max}, not ${describeValue(v)}`);
  }
  return v;
}

function arrayArg(v: unknown, where: string): readonly unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ArgumentError(`${where} must be an array, not ${describeValue(v)}`);
  if (v.length > 1_000_000) throw new ArgumentError(`${where}: at most 1,000,000 entries`);
  return v;
}

function objectArg(v: unknown, where: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ArgumentError(`${where} must be an object, not ${describeValue(v)}`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new ArgumentError(`${where}: unknown field '${k}' (expected ${keys.join(', ')})`);
  return v as Record<string, unknown>;
}

/** Whether `a` lies in `prefix/length` (same family). */
export function inPrefix(a: Address, prefix: Address, length: number): boolean {
  if (a.length !== prefix.length) return false;
  let bits = length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (prefix[i]! & mask)) return false;
  }
  return true;
}

const sameAddress = (a: Address, b: Address): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const MAX_IFINDEX = 0x7fffffff;

/** A checked FIB: see the module comment. */
export class Fib {
  readonly devices = new Map<number, FibDevice>();
  readonly routes: readonly FibEntry[];
  private readonly neighbours = new Map<string, Uint8Array>();

  /** Check a description; an `ArgumentError` names the first bad field. */
  constructor(description: FibDescription | undefined) {
    const d = description === undefined ? {} : objectArg(description, 'fib', ['interfaces', 'routes', 'neighbours']);
    arrayArg(d.interfaces, 'fib.interfaces').forEach((raw, i) => {
      const w = `fib.interfaces[${i}]`;
      const o = objectArg(raw, w, ['ifindex', 'mac', 'mtu', 'addresses', 'forwarding']);
      const ifindex = intArg(o.ifindex ?? -1, `${w}.ifindex`, 1, MAX_IFINDEX, 0);
      if (this.devices.has(ifindex)) throw new ArgumentError(`${w}: interface ${ifindex} is described twice`);
      if (o.forwarding !== undefined && typeof o.forwarding !== 'boolean') throw new ArgumentError(`${w}.forwarding must be a boolean, not ${describeValue(o.forwarding)}`);
      this.devices.set(ifindex, {
        ifindex,
        mac: o.mac === undefined ? new Uint8Array(6) : parseMac(o.mac, `${w}.mac`),
        mtu: intArg(o.mtu, `${w}.mtu`, 68, 0xffff, 1500),
        forwarding: o.forwarding !== false,
        addresses: arrayArg(o.addresses, `${w}.addresses`).map((a, j) => prefixArg(a, `${w}.addresses[${j}]`)),
      });
    });
    // The loopback interface always exists, as in every network namespace.
    if (!this.devices.has(1)) this.devices.set(1, { ifindex: 1, mac: new Uint8Array(6), mtu: 65536, forwarding: true, addresses: [] });
    this.routes = arrayArg(d.routes, 'fib.routes').map((raw, i) => {
      const w = `fib.routes[${i}]`;
      const o = objectArg(raw, w, ['prefix', 'type', 'ifindex', 'gateway', 'metric', 'table']);
      const { address, length } = prefixArg(o.prefix, `${w}.prefix`);
      const type = o.type ?? 'unicast';
      if (!ROUTE_TYPES.includes(type as FibEntry['type'])) throw new ArgumentError(`${w}.type must be one of ${ROUTE_TYPES.join(', ')}, not ${describeValue(type)}`);
      const unicast = type === 'unicast';
      if (!unicast && (o.ifindex !== undefined || o.gateway !== undefined)) throw new ArgumentError(`${w}: a ${String(type)} route has no interface or gateway`);
      const ifindex = unicast ? intArg(o.ifindex ?? -1, `${w}.ifindex (required for unicast routes)`, 1, MAX_IFINDEX, 0) : 0;
      if (unicast && !this.devices.has(ifindex)) throw new ArgumentError(`${w}.ifindex: interface ${ifindex} is not in fib.interfaces`);
      const gateway = o.gateway === undefined ? undefined : addressArg(o.gateway, `${w}.gateway`);
      if (gateway !== undefined && gateway.length !== address.length) throw new ArgumentError(`${w}: the gateway and the prefix must be of one family`);
      return {
        prefix: address,
        length,
        type: type as FibEntry['type'],
        ifindex,
        gateway,
        metric: intArg(o.metric, `${w}.metric`, 0, 0xffffffff, address.length === 16 ? IPV6_DEFAULT_METRIC : 0),
        table: intArg(o.table, `${w}.table`, 1, 0xffffffff, RT_TABLE_MAIN),
      };
    });
    arrayArg(d.neighbours, 'fib.neighbours').forEach((raw, i) => {
      const w = `fib.neighbours[${i}]`;
      const o = objectArg(raw, w, ['ifindex', 'address', 'mac']);
      const ifindex = intArg(o.ifindex ?? -1, `${w}.ifindex`, 1, MAX_IFINDEX, 0);
      if (!this.devices.has(ifindex)) throw new ArgumentError(`${w}.ifindex: interface ${ifindex} is not in fib.interfaces`);
      this.neighbours.set(neighbourKey(ifindex, addressArg(o.address, `${w}.address`)), parseMac(o.mac, `${w}.mac`));
    });
  }

  /** Whether `a` is an address of the host, or (IPv4) the broadcast address of one of its subnets: not forwarded. */
  isLocal(a: Address): boolean {
    for (const dev of this.devices.values()) {
      for (const { address, length } of dev.addresses) {
        if (sameAddress(a, address)) return true;
        if (a.length === 4 && address.length === 4 && length < 31 && inPrefix(a, address, length) && isHostAllOnes(a, length)) return true;
      }
    }
    return false;
  }

  /** The route for `dst` in `tables` (searched in order; in each, longest prefix, then lowest metric). */
  route(dst: Address, tables: readonly number[]): FibEntry | undefined {
    for (const table of tables) {
      let best: FibEntry | undefined;
      for (const r of this.routes) {
        if (r.table !== table || !inPrefix(dst, r.prefix, r.length)) continue;
        if (best === undefined || r.length > best.length || (r.length === best.length && r.metric < best.metric)) best = r;
      }
      if (best !== undefined) return best;
    }
    return undefined;
  }

  /** Tables a lookup through the default rules searches (after the local addresses): main, then default. */
  static readonly RULE_TABLES: readonly number[] = [RT_TABLE_MAIN, RT_TABLE_DEFAULT];

  /** Whether any route is in table `id`. */
  hasTable(id: number): boolean {
    return this.routes.some((r) => r.table === id);
  }

  /** The MAC of a neighbour, or undefined. */
  neighbour(ifindex: number, a: Address): Uint8Array | undefined {
    return this.neighbours.get(neighbourKey(ifindex, a));
  }

  /** A source address for packets out of `ifindex` toward `family`: the interface's first, else any interface's. */
  source(ifindex: number, size: number): Address | undefined {
    const first = (dev: FibDevice | undefined): Address | undefined => dev?.addresses.find((a) => a.address.length === size)?.address;
    const own = first(this.devices.get(ifindex));
    if (own !== undefined) return own;
    for (const dev of [...this.devices.values()].sort((a, b) => a.ifindex - b.ifindex)) {
      const a = first(dev);
      if (a !== undefined) return a;
    }
    return undefined;
  }
}

function neighbourKey(ifindex: number, a: Address): string {
  return `${ifindex}/${Array.from(a).join('.')}`;
}

function isHostAllOnes(a: Address, length: number): boolean {
  for (let bit = length; bit < 32; bit++) if ((a[bit >> 3]! & (0x80 >> (bit & 7))) === 0) return false;
  return true;
}
