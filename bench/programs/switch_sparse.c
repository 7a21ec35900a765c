/*
 * Classify a stream of (port, length) records with a sparse switch on the port (well-known service
 * ports, 30 cases spread over 0..65535), as a firewall or accounting program does; every class updates
 * its own counter differently.
 */
#include "bench.h"

struct rec {
  u16 port;
  u16 len;
};

struct sparse_input {
  u32 count;
  u32 reserved;
  struct rec recs[];
};

u64 bpf_main(void *mem) {
  const struct sparse_input *in = mem;
  u64 web = 0, mail = 0, infra = 0, db = 0, other = 0, bytes = 0;
  for (u32 i = 0; i < in->count; i++) {
    u32 port = in->recs[i].port;
    u32 len = in->recs[i].len;
    switch (port) {
    case 80: web += len; break;
    case 443: web += len * 2; break;
    case 8080: web += len + 1; break;
    case 8443: web ^= len; break;
    case 25: mail += len; break;
    case 110: mail += len << 1; break;
    case 143: mail ^= len << 3; break;
    case 465: mail += len * 5; break;
    case 587: mail -= len; break;
    case 993: mail += 7; break;
    case 22: infra += len * 3; break;
    case 23: infra ^= len; break;
    case 53: infra += len >> 2; break;
    case 67: infra += 11; break;
    case 123: infra += len << 4; break;
    case 161: infra ^= (u64)len << 20; break;
    case 179: infra += len * 13; break;
    case 389: infra -= len >> 1; break;
    case 514: infra += len & 0xff; break;
    case 1194: infra += len * 9; break;
    case 3306: db += len; break;
    case 5432: db += len * 3; break;
    case 6379: db ^= len * 7; break;
    case 9042: db += len << 2; break;
    case 11211: db += len + 100; break;
    case 27017: db -= len * 2; break;
    case 2049: other += len * 6; break;
    case 3389: other ^= len << 5; break;
    case 5060: other += len + 33; break;
    case 51820: other += len * 11; break;
    default: bytes += len; break;
    }
  }
  return web * 3 + (mail << 8) + (infra << 16) + (db << 24) + (other << 32) + bytes;
}
