/**
 * The sk_lookup context: a `struct bpf_sk_lookup` (72 bytes as the kernel's test run takes it) built from
 * a described lookup, and `bpf_sk_assign`'s rules there (bpf-helpers(7), measured with BPF_PROG_TEST_RUN
 * on Linux 6.18 for the socket-free cases: a NULL socket with flags 0 or any of REPLACE / NO_REUSEPORT
 * gives 0, another flag -EINVAL). The socket assigned becomes the context's `sk`, which the program reads
 * back. The kernel's test run refuses a non-zero `ingress_ifindex` (EINVAL); a described lookup may set one.
 * @module
 */
import { ArgumentError } from '../errors.js';
import { parseEndpoint, type HostSocket } from '../helpers/socket-table.js';
import { Errno, negErrno } from '../maps/types.js';
import { checkObject, checkOptionalInteger, describeValue } from '../validate.js';

/** `struct bpf_sk_lookup` offsets (uapi `linux/bpf.h`). */
export const SkLookupField = {
  /** `struct bpf_sock *` (the selected socket, or NULL); the test run's ctx_out holds its cookie. */
  sk: 0, family: 8, protocol: 12, remote_ip4: 16, remote_ip6: 20, /** network order, 16 bits */ remote_port: 36,
  local_ip4: 40, local_ip6: 44, /** host order */ local_port: 60, ingress_ifindex: 64,
} as const;

/** Bytes of `struct bpf_sk_lookup` (68 of fields, padded to its 8-byte alignment). */
export const SK_LOOKUP_SIZE = 72;

/** `bpf_sk_assign` flags in sk_lookup programs. */
export const SkLookupFlag = { REPLACE: 1, NO_REUSEPORT: 2 } as const;

/** A socket lookup the host describes: the packet's (or connection's) tuple. */
export interface SkLookupDescription {
  /** `tcp` or `udp`. */
  readonly protocol: 'tcp' | 'udp';
  /** The peer: `10.0.0.1:40000`, `[2001:db8::1]:40000`. Both ends must be of one family. */
  readonly remote: string;
  /** The local address and port being looked up, the same way. */
  readonly local: string;
  /** The ifindex the packet arrived on (default 0). */
  readonly ingressIfindex?: number;
}

/** A checked lookup. */
export interface SkLookup {
  readonly family: 4 | 6;
  readonly protocol: 'tcp' | 'udp';
  readonly bytes: Uint8Array;
}

const isV4 = (a: Uint8Array): boolean => a.length === 4;

/** Check a described lookup and build its `struct bpf_sk_lookup` (`sk` NULL). */
export function skLookupContext(value: unknown): SkLookup {
  const d = checkObject(value, 'the lookup') as Partial<SkLookupDescription>;
  if (d.protocol !== 'tcp' && d.protocol !== 'udp') throw new ArgumentError(`lookup.protocol must be 'tcp' or 'udp', not ${describeValue(d.protocol)}`);
  const remote = parseEndpoint(d.remote, 'lookup.remote');
  const local = parseEndpoint(d.local, 'lookup.local');
  if (isV4(remote.address) !== isV4(local.address)) throw new ArgumentError('lookup.remote and lookup.local must be of one family (both IPv4 or both IPv6)');
  const ifindex = checkOptionalInteger(d.ingressIfindex, 'lookup.ingressIfindex', 0, 0xffff_ffff) ?? 0;
  const family = isV4(local.address) ? 4 : 6;
  const bytes = new Uint8Array(SK_LOOKUP_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(SkLookupField.family, family === 4 ? 2 : 10, true);
  v.setUint32(SkLookupField.protocol, d.protocol === 'tcp' ? 6 : 17, true);
  bytes.set(remote.address, family === 4 ? SkLookupField.remote_ip4 : SkLookupField.remote_ip6);
  bytes.set(local.address, family === 4 ? SkLookupField.local_ip4 : SkLookupField.local_ip6);
  v.setUint16(SkLookupField.remote_port, remote.port, false);
  v.setUint32(SkLookupField.local_port, local.port, true);
  v.setUint32(SkLookupField.ingress_ifindex, ifindex, true);
  return { family, protocol: d.protocol, bytes };
}

/**
 * Whether an IPv6 socket can take an IPv4 lookup: not v6only, and bound to the wildcard (measured: [::]
 * does, [::1] gives -EAFNOSUPPORT) or to a v4-mapped address (which only IPv4 traffic can reach).
 */
function servesIpv4(s: HostSocket): boolean {
  if (s.v6only) return false;
  const a = s.localAddress;
  const zeroUpTo = (n: number): boolean => a.subarray(0, n).every((b) => b === 0);
  return zeroUpTo(16) || (zeroUpTo(10) && a[10] === 0xff && a[11] === 0xff);
}

/** What an sk_lookup run did. */
export interface SkLookupResult {
  /** r0 as returned. */
  readonly r0: bigint;
  /** r0's low 32 bits: `SK_DROP` 0 (refuse the connection / packet), `SK_PASS` 1. */
  readonly verdict: number;
  /** The index (in the loader's `sockets`) of the socket `bpf_sk_assign` selected last, absent when none. */
  readonly socket?: number;
}

/** The run's state `bpf_sk_assign` reads and changes. */
export class SkLookupRun {
  /** Which runner this is, for the helpers. */
  readonly kind = 'sk_lookup';
  /** The socket selected so far. */
  selected: HostSocket | undefined;

  constructor(
    /** The checked lookup. */
    readonly lookup: SkLookup,
    /** Where the context's `sk` field is, to write the selected socket's address. */
    private readonly setSk: (address: number) => void,
  ) {}

  /**
   * `bpf_sk_assign(ctx, sk, flags)`: -EINVAL for an unknown flag, -EEXIST when a socket is selected and
   * REPLACE is not given; NULL clears the selection; a socket must be a listening TCP or unconnected UDP
   * socket (-ESOCKTNOSUPPORT), of the lookup's protocol (-EPROTOTYPE) and family (-EAFNOSUPPORT; an
   * IPv6 socket serves IPv4 when it is not v6only and bound to `::` or a v4-mapped address).
   */
  assign(s: HostSocket | undefined, address: number, flags: bigint): bigint {
    if ((flags & ~BigInt(SkLookupFlag.REPLACE | SkLookupFlag.NO_REUSEPORT)) !== 0n) return negErrno(Errno.EINVAL);
    if (this.selected !== undefined && (flags & BigInt(SkLookupFlag.REPLACE)) === 0n) return negErrno(Errno.EEXIST);
    if (s !== undefined) {
      // In the kernel's order (measured): the socket's state, then its protocol, then its family.
      if (s.protocol === 'tcp' ? s.state !== 'listen' : s.remoteAddress !== undefined) return negErrno(Errno.ESOCKTNOSUPPORT);
      if (s.protocol !== this.lookup.protocol) return negErrno(Errno.EPROTOTYPE);
      if (this.lookup.family === 6 ? s.family !== 6 : s.family === 6 && !servesIpv4(s)) return negErrno(Errno.EAFNOSUPPORT);
    }
    this.selected = s;
    this.setSk(s === undefined ? 0 : address);
    return 0n;
  }
}
