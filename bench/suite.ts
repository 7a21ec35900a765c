/**
 * The benchmark suite: which program runs on which input. A program (bench/programs/NAME.c, built to
 * NAME.o) may serve several benchmarks with different inputs (strcmp: fail early and full length).
 * @module
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Folder of the programs, their objects, inputs and expected results. */
export const PROGRAMS_DIR = fileURLToPath(new URL('./programs/', import.meta.url));

/** One benchmark: a program and an input. */
export interface Benchmark {
  /** Name shown in the table and matched by `--filter`. */
  readonly name: string;
  /** Base name of the program: bench/programs/PROGRAM.c and PROGRAM.o. */
  readonly program: string;
  /** What it exercises, for the documentation. */
  readonly about: string;
  /**
   * True when a run is so short that it measures the cost of calling into the VM (copying `mem` in and
   * out, setting up a run) rather than executing code; the runner reports a second geomean without them.
   */
  readonly callOverhead?: boolean;
  /**
   * True when both engines run the program's hot loop as one bulk copy (a counted copy loop: see
   * docs/architecture.md), so its time says nothing of their speed per instruction; the runner reports
   * a third geomean without them.
   */
  readonly bulkCopy?: boolean;
}

/** The suite, in table order. */
export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'prime', program: 'prime', about: 'count primes below 10^4 by trial division (64-bit mod)' },
  { name: 'log2_int', program: 'log2_int', about: 'floor(log2) of 16384 u64 by binary search (branches)' },
  { name: 'memcpy', program: 'memcpy', about: 'copy 1 MiB, 8 bytes at a time', bulkCopy: true },
  { name: 'strcmp_fail', program: 'strcmp', about: 'strcmp of 1 KiB strings differing at byte 10 (call overhead)', callOverhead: true },
  { name: 'strcmp_full', program: 'strcmp', about: 'strcmp of two equal 16 KiB strings (byte loads)' },
  { name: 'switch', program: 'switch', about: 'dense 64-case switch over 16384 bytes' },
  { name: 'fnv1a', program: 'fnv1a', about: 'FNV-1a 64 over 64 KiB' },
  { name: 'crc32', program: 'crc32', about: 'bitwise CRC-32 over 8 KiB' },
  { name: 'hash64', program: 'hash64', about: 'multiply-rotate 64-bit hash over 64 KiB' },
  { name: 'sort', program: 'sort', about: 'shell sort of 2000 u32 (copied to scratch first)' },
  { name: 'arith64', program: 'arith64', about: '64-bit mul / div / mod / shifts, 20000 rounds' },
  { name: 'div32', program: 'div32', about: '32-bit div / mod, 50000 rounds' },
  { name: 'pkt_parse', program: 'pkt_parse', about: 'parse 4000 Ethernet/VLAN/IPv4/IPv6/TCP/UDP frames, every read checked against the frame end' },
  { name: 'csum', program: 'csum', about: 'IPv4 header and TCP (pseudo-header) checksums of 4096 packets' },
  { name: 'lpm_trie', program: 'lpm_trie', about: 'longest-prefix match of 8192 addresses in a binary trie of 2000 prefixes' },
  { name: 'hashtab', program: 'hashtab', about: 'open-addressing hash table: 8000 inserts, 16000 lookups' },
  { name: 'switch_vm', program: 'switch_vm', about: 'a 16-opcode bytecode interpreter (dense switch), 128000 instructions' },
  { name: 'switch_sparse', program: 'switch_sparse', about: 'sparse 30-case switch on port numbers, 32768 records' },
  { name: 'switch_wide', program: 'switch_wide', about: 'dense 160-case switch over 16384 bytes' },
  { name: 'isort', program: 'isort', about: 'insertion sort of 1000 u32 (copied to scratch first)' },
  { name: 'bsearch', program: 'bsearch', about: 'binary search of 16384 keys in 4096 sorted u32' },
  { name: 'base64', program: 'base64', about: 'base64-encode 48 KiB (alphabet computed), then hash the output' },
  { name: 'murmur3', program: 'murmur3', about: 'MurmurHash3 x86_32 of 4096 keys of 1-64 bytes' },
  { name: 'xxh64', program: 'xxh64', about: 'xxHash64-style hash of 64 KiB (four lanes, tails)' },
  { name: 'matmul', program: 'matmul', about: '48 x 48 u32 matrix product' },
  { name: 'tlv', program: 'tlv', about: 'walk TCP-style type-length-value options of 4000 groups, bounds-checked' },
  { name: 'memmove', program: 'memmove', about: '400 byte-wise overlapping memmoves at unaligned offsets in 16 KiB' },
  { name: 'bits', program: 'bits', about: 'popcount, bit reverse, trailing zeros of 16384 u64 (SWAR)' },
  { name: 'gcd', program: 'gcd', about: 'Euclid gcd (32-bit mod) of 8192 pairs' },
  { name: 'prng', program: 'prng', about: 'xorshift64* and PCG32, 100000 steps, histogram on the stack' },
  { name: 'strsearch', program: 'strsearch', about: 'Horspool search of a 12-byte pattern in 64 KiB of DNA-like text' },
  { name: 'stencil', program: 'stencil', about: '3x3 blur of a 192 x 192 byte image (nested 32-bit loops)' },
  { name: 'varint', program: 'varint', about: 'decode 20000 LEB128 varints (zigzag on every other one)' },
  { name: 'adler32', program: 'adler32', about: 'Adler-32 of 64 KiB (modulo deferred per 5552-byte block)' },
  { name: 'sieve', program: 'sieve', about: 'sieve of Eratosthenes to 200000 in a byte array' },
  { name: 'siphash', program: 'siphash', about: 'SipHash-2-4 of 16384 keys of 0-31 bytes (byte loads, 64-bit rotates)' },
  { name: 'toeplitz', program: 'toeplitz', about: 'Toeplitz (RSS) hash of 8192 IPv4/IPv6 tuples, 40-byte key on the stack, queue by indirection table' },
  { name: 'ipv6_ext', program: 'ipv6_ext', about: 'walk IPv6 extension headers of 4000 frames (hop-by-hop, routing, fragment, options, AH), checked against data_end' },
  { name: 'dns_qname', program: 'dns_qname', about: 'parse the question name of 4000 DNS queries (labels checked, compression refused, lowercase hash)' },
  { name: 'token_bucket', program: 'token_bucket', about: 'token-bucket policer, 64 flow states in mem, 32768 events (64-bit mul and div)' },
  { name: 'maglev', program: 'maglev', about: 'Maglev table build (16 backends, 8191 slots) and 16384 flow lookups' },
  { name: 'crc32c', program: 'crc32c', about: 'table-driven CRC32C (table built in mem) of 100 packets of up to 1500 bytes' },
  { name: 'bloom', program: 'bloom', about: 'Bloom filter of 2^20 bits, k = 7: clear, 8192 inserts, 16384 tests, popcount' },
  { name: 'tunnel', program: 'tunnel', about: 'VXLAN and GRE decapsulation of 4000 frames to the inner ports, checked against data_end' },
  { name: 'rtt_stats', program: 'rtt_stats', about: 'Jacobson RTT estimator, EWMA and log2 histogram of 32768 samples (signed 32-bit)' },
  { name: 'conntrack', program: 'conntrack', about: 'connection tracking: TCP state machine over an open-addressing flow table, 32768 events' },
  { name: 'tls_sni', program: 'tls_sni', about: 'TLS ClientHello SNI/ALPN/supported_versions parse of 4000 messages, suffix match' },
  { name: 'nat44', program: 'nat44', about: 'NAT44 rewrite of 4000 Ethernet/IPv4 frames with RFC 1624 incremental checksum updates' },
  { name: 'cmsketch', program: 'cmsketch', about: 'count-min sketch, 4 rows of 4096, conservative update: 16384 updates, 4096 queries' },
  { name: 'hll', program: 'hll', about: 'HyperLogLog, 8 sketches of 2^10 registers and their union: 32768 items, fixed-point estimates' },
  { name: 'mpls', program: 'mpls', about: 'VLAN/MPLS label-stack parse of 4000 frames, LFIB lookup, entropy label, ECMP hash' },
  { name: 'topk', program: 'topk', about: 'top 32 of 4096 flows: counters, min-heap selection, heapsort' },
  { name: 'ringbuf', program: 'ringbuf', about: 'ring-buffer record stream: 16384 LEB128/zigzag-encoded events, wrapping ring of 16 KiB, consumer drains' },
  { name: 'lru', program: 'lru', about: 'LRU cache, 2048 entries, hash chains and a doubly linked recency list: 32768 operations' },
  { name: 'syncookie', program: 'syncookie', about: 'SYN cookies (lookup3 hash): 16384 SYNs and ACKs, cookies made and checked' },
  { name: 'quic_hdr', program: 'quic_hdr', about: 'QUIC long/short headers of 4000 datagrams (coalesced packets, varint lengths, connection IDs hashed), checked against the end' },
  { name: 'icmp_err', program: 'icmp_err', about: 'ICMP errors quoting IPv4/TCP/UDP: checksums verified, the quoted flow looked up (reversed) in a hash table, path MTU updated' },
  { name: 'radix6', program: 'radix6', about: 'longest-prefix match of 8192 IPv6 addresses in a path-compressed trie of 1500 prefixes (128-bit masked compares)' },
  { name: 'cuckoo', program: 'cuckoo', about: 'bucketised cuckoo hash (4-way buckets, partial-key alternate bucket, displacement chains): 6000 inserts, 16384 lookups' },
  { name: 'http_route', program: 'http_route', about: 'HTTP/1.1 request lines and headers of 1500 requests: method, longest route prefix, Host hash, Content-Length' },
  { name: 'dns_resp', program: 'dns_resp', about: 'DNS responses of 3000 queries walked: names decompressed through pointers, A/AAAA/CNAME answers, minimum TTL' },
  { name: 'aho_corasick', program: 'aho_corasick', about: 'Aho-Corasick automaton of 40 patterns built in mem (BFS, full transition table), then 48 KiB of payload scanned' },
  { name: 'protobuf', program: 'protobuf', about: 'protobuf wire format of 2000 messages: nested messages on an explicit stack, varints, zigzag, packed fields, unknown fields skipped' },
  { name: 'bitvec_acl', program: 'bitvec_acl', about: 'bit-vector packet classification of 8192 packets over 256 rules: five per-field interval searches, bitmap AND, first set bit' },
  { name: 'ipfrag', program: 'ipfrag', about: 'IPv4 fragment reassembly (RFC 815 hole lists) of 500 interleaved datagrams, payload copied by 8-byte words and hashed' },
  { name: 'fib_fwd', program: 'fib_fwd', about: 'IPv4 forwarding of 6000 frames: header checksum, TTL with incremental update, DIR-16-8 next-hop table, MACs rewritten into a transmit ring' },
  { name: 'tcp_opts', program: 'tcp_opts', about: 'TCP options of 8000 IPv4/IPv6 segments walked kind by kind, MSS clamped on SYNs with an incremental checksum update, SACK blocks summed' },
  { name: 'arp_nd', program: 'arp_nd', about: 'ARP and IPv6 neighbour-discovery responder over 6000 frames: local addresses searched, replies and advertisements built with their checksums' },
  { name: 'geneve', program: 'geneve', about: 'Geneve decapsulation of 5000 frames: option TLVs walked (critical bit), inner 5-tuple hashed with the VNI, per-VNI counters' },
  { name: 'glob_path', program: 'glob_path', about: 'file paths of 3000 open() events matched against 16 glob patterns (wildcards with backtracking), basenames hashed into counters' },
  { name: 'replay_win', program: 'replay_win', about: 'WireGuard-style messages: 12000 length checks by type, peers by index, 64-bit counters through a 2048-bit anti-replay window' },
  { name: 'latency_hist', program: 'latency_hist', about: 'latency histograms from 16000 paired events: open-addressing table with tombstones, log2 buckets per class, percentiles' },
  { name: 'qinq_pop', program: 'qinq_pop', about: 'VLAN push/pop/translate of 3000 frames by a 4096-entry action table, frames copied to a transmit ring and their MAC addresses moved' },
];


/** Input size: the benchmark input, or the small one the unit test runs. */
export type InputSize = 'full' | 'small';

/** Path of a benchmark's input file. */
export function inputPath(name: string, size: InputSize): string {
  return join(PROGRAMS_DIR, size === 'full' ? `${name}.mem` : `${name}.small.mem`);
}

/** Path of a program's BPF object. */
export function objectPath(program: string): string {
  return join(PROGRAMS_DIR, `${program}.o`);
}

/** Path of the expected results: `{ [benchmark]: { full: "0x…", small: "0x…" } }`, r0 in hex. */
export const EXPECTED_PATH = join(PROGRAMS_DIR, 'expected.json');
