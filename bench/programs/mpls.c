/*
 * Parse VLAN-tagged and MPLS-labelled Ethernet frames the way an XDP program at a label-switching
 * router does: up to two VLAN tags (802.1ad outer, 802.1Q inner), then an MPLS label stack of at most
 * 8 entries read until the bottom-of-stack bit, with the reserved labels handled (explicit null,
 * the entropy label indicator and the entropy label after it, GAL), the top label looked up in a
 * label table (LFIB) in mem, then the payload told apart by its first nibble: IPv4, IPv6, or a
 * pseudowire control word followed by an inner Ethernet frame. An ECMP hash (the entropy label when
 * there is one, otherwise the labels and the inner addresses and ports) picks one of `nexthops`.
 * Every read is checked against the frame end. Frames are length-prefixed records (u16 little-endian
 * length, then the frame).
 */
#include "bench.h"

struct lfib_entry {
  u32 out_label; /* 0xfffff: pop */
  u32 nexthops;  /* ECMP width, 1-16 */
};

struct mpls_input {
  u32 len;
  u32 lfib_base; /* first label of the table */
  u32 lfib_size; /* entries */
  u32 lfib_off;  /* offset in mem of the table */
  u8 data[];
};

static inline u32 be16(const u8 *p) { return (u32)p[0] << 8 | p[1]; }
static inline u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }

static inline u32 hash_step(u32 h, u32 v) {
  h ^= v;
  h *= 0x01000193u;
  h ^= h >> 13;
  return h;
}

/* Hash the addresses and ports of an IP packet at h; 0 when it is malformed. */
static inline u32 ip_hash(const u8 *h, const u8 *end, u32 seed) {
  u32 v = h[0] >> 4, proto;
  if (v == 4) {
    if (h + 20 > end) return 0;
    u32 ihl = (h[0] & 15) * 4;
    if (ihl < 20 || h + ihl > end) return 0;
    seed = hash_step(hash_step(seed, be32(h + 12)), be32(h + 16));
    proto = h[9];
    if (be16(h + 6) & 0x1fff) return seed | 1; /* a non-first fragment: no ports */
    h += ihl;
  } else if (v == 6) {
    if (h + 40 > end) return 0;
    for (int i = 8; i < 40; i += 4) seed = hash_step(seed, be32(h + i));
    proto = h[6];
    h += 40;
  } else {
    return 0;
  }
  if (proto == 6 || proto == 17) {
    if (h + 4 > end) return 0;
    seed = hash_step(seed, be32(h));
  }
  return seed | 1;
}

u64 bpf_main(void *mem) {
  const struct mpls_input *in = mem;
  const struct lfib_entry *lfib = (const struct lfib_entry *)((const u8 *)mem + in->lfib_off);
  const u8 *p = in->data;
  const u8 *end = in->data + in->len;
  u32 tagged = 0, labelled = 0, v4 = 0, v6 = 0, pw = 0, bad = 0, unknown = 0, no_route = 0, deep = 0, entropy = 0;
  u64 acc = 0;
  u32 nh_count[16];
  for (int i = 0; i < 16; i++) nh_count[i] = i;
  while (p + 2 <= end) {
    u32 flen = p[0] | (p[1] << 8);
    const u8 *h = p + 2;
    const u8 *data_end = h + flen;
    if (data_end > end) break;
    p = data_end;
    if (h + 14 > data_end) { bad++; continue; }
    u32 type = be16(h + 12);
    u32 vlans = 0;
    h += 14;
    for (int i = 0; i < 2 && (type == 0x88a8 || type == 0x8100); i++) {
      if (h + 4 > data_end) { type = 0; break; }
      vlans = vlans << 12 | (be16(h) & 0xfff);
      type = be16(h + 2);
      h += 4;
      tagged++;
    }
    if (type == 0) { bad++; continue; }
    if (type != 0x8847 && type != 0x8848) { unknown++; continue; }
    /* the label stack */
    u32 top = 0, n = 0, el = 0, saw_eli = 0, bos = 0, hash = 0x811c9dc5u ^ vlans;
    for (; n < 8; n++) {
      if (h + 4 > data_end) break;
      u32 entry = be32(h);
      u32 label = entry >> 12;
      h += 4;
      if (n == 0) top = label;
      if (saw_eli) {
        el = label;
        saw_eli = 0;
      } else if (label == 7) {
        saw_eli = 1;
      } else if (label >= 16) {
        hash = hash_step(hash, label);
      }
      if (entry & 0x100) { bos = 1; break; }
    }
    if (!bos) {
      if (n == 8) deep++;
      else bad++;
      continue;
    }
    labelled++;
    /* the top label's route */
    u32 nexthops = 1, out = 0;
    if (top >= 16) {
      u32 i = top - in->lfib_base;
      if (top < in->lfib_base || i >= in->lfib_size) { no_route++; continue; }
      out = lfib[i].out_label;
      nexthops = lfib[i].nexthops;
      if (nexthops == 0 || nexthops > 16) { no_route++; continue; }
    }
    /* the payload */
    if (h + 1 > data_end) { bad++; continue; }
    u32 nib = h[0] >> 4;
    u32 ih;
    if (nib == 4 || nib == 6) {
      ih = ip_hash(h, data_end, hash);
      if (nib == 4) v4++;
      else v6++;
    } else if (nib == 0) {
      /* a pseudowire control word, then an Ethernet frame */
      if (h + 4 + 14 > data_end) { bad++; continue; }
      h += 4;
      u32 it = be16(h + 12);
      hash = hash_step(hash, be32(h) ^ be32(h + 6));
      h += 14;
      ih = (it == 0x0800 || it == 0x86dd) ? ip_hash(h, data_end, hash) : hash | 1;
      pw++;
    } else {
      unknown++;
      continue;
    }
    if (ih == 0) { bad++; continue; }
    if (el != 0) {
      ih = el * 0x9e3779b1u;
      entropy++;
    }
    u32 nh = ih % nexthops;
    nh_count[nh]++;
    acc += (u64)out << 8 ^ nh ^ ih;
  }
  for (int i = 0; i < 16; i++) acc = acc * 33 + nh_count[i];
  return acc ^ ((u64)tagged << 52) ^ ((u64)labelled << 40) ^ ((u64)(v4 ^ v6 << 8) << 24) ^ ((u64)pw << 16) ^
         ((u64)bad << 8) ^ unknown ^ ((u64)no_route << 4) ^ ((u64)deep << 12) ^ ((u64)entropy << 20);
}
