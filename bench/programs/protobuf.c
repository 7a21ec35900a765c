/*
 * Protocol Buffers wire format (varint keys: field number and wire type; varint, 64-bit, length-
 * delimited and 32-bit values) decoded with a fixed schema, as a program parsing gRPC or telemetry
 * payloads does without recursion: nested messages are pushed on an explicit stack of (end, message
 * type) entries, at most 8 deep. The schema: a Report (1 id varint, 2 name string, 3 repeated Endpoint,
 * 4 timestamp fixed64, 5 packed repeated sint32 samples, 6 ratio fixed32, 7 Meta), an Endpoint (1
 * address bytes, 2 port varint, 3 repeated Label, 4 weight sint64), a Label (1 key, 2 value strings), a
 * Meta (1 repeated Label, 2 flags varint). Unknown fields are skipped by wire type; a wrong wire type
 * for a known field, a length past its message's end, an over-long varint or too deep a nesting makes
 * the message malformed. Messages are length-prefixed records (u16 little-endian length, then the bytes).
 */
#include "bench.h"

struct pb_input {
  u32 len;
  u32 reserved;
  u8 data[];
};

enum { REPORT, ENDPOINT, LABEL, META };

/* A varint at *pp before end (at most 10 bytes); 0 when malformed. */
static inline int get_varint(const u8 **pp, const u8 *end, u64 *out) {
  const u8 *p = *pp;
  u64 v = 0;
  for (u32 shift = 0; shift < 70; shift += 7) {
    if (p >= end) return 0;
    u32 b = *p++;
    v |= (u64)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *pp = p;
      *out = v;
      return 1;
    }
  }
  return 0;
}

static inline u64 hash_bytes(const u8 *p, u32 n, u64 h) {
  for (u32 i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* The message type of a nested field, or -1 when the field is not a message. */
static inline int child_type(u32 type, u32 field) {
  if (type == REPORT && field == 3) return ENDPOINT;
  if (type == REPORT && field == 7) return META;
  if (type == ENDPOINT && field == 3) return LABEL;
  if (type == META && field == 1) return LABEL;
  return -1;
}

u64 bpf_main(void *mem) {
  const struct pb_input *in = mem;
  const u8 *p = in->data;
  const u8 *stop = in->data + in->len;
  u32 bad = 0, unknown = 0, endpoints = 0, labels = 0, samples = 0, maxdepth = 0;
  u64 ids = 0, strs = 0xcbf29ce484222325ull, nums = 0;
  while (p + 2 <= stop) {
    u32 mlen = p[0] | (u32)p[1] << 8;
    const u8 *q = p + 2;
    const u8 *mend = q + mlen;
    if (mend > stop) break;
    p = mend;
    const u8 *ends[8];
    u32 types[8];
    u32 depth = 0;
    u32 type = REPORT;
    const u8 *end = mend;
    int ok = 1;
    for (;;) {
      if (q == end) {
        if (depth == 0) break;
        depth--;
        end = ends[depth];
        type = types[depth];
        continue;
      }
      u64 key;
      if (!get_varint(&q, end, &key)) { ok = 0; break; }
      u32 field = (u32)(key >> 3), wt = (u32)key & 7;
      if (field == 0) { ok = 0; break; }
      int child = child_type(type, field);
      if (wt == 2) {
        u64 l;
        if (!get_varint(&q, end, &l) || l > (u64)(end - q)) { ok = 0; break; }
        if (child >= 0) {
          if (depth == 8) { ok = 0; break; }
          ends[depth] = end;
          types[depth] = type;
          depth++;
          if (depth > maxdepth) maxdepth = depth;
          end = q + l;
          type = (u32)child;
          if (child == ENDPOINT) endpoints++;
          else if (child == LABEL) labels++;
          continue;
        }
        if (type == REPORT && field == 5) {
          /* packed sint32 samples */
          const u8 *pe = q + l;
          while (q < pe) {
            u64 v;
            if (!get_varint(&q, pe, &v)) { ok = 0; break; }
            s64 s = (s64)(v >> 1) ^ -(s64)(v & 1);
            nums += (u64)s * 3;
            samples++;
          }
          if (!ok) break;
          continue;
        }
        if ((type == REPORT && field == 2) || (type == ENDPOINT && field == 1) || type == LABEL) strs = hash_bytes(q, (u32)l, strs ^ field);
        else unknown++;
        q += l;
      } else if (child >= 0) {
        ok = 0;
        break;
      } else if (wt == 0) {
        u64 v;
        if (!get_varint(&q, end, &v)) { ok = 0; break; }
        if (type == REPORT && field == 1) ids += v;
        else if (type == ENDPOINT && field == 2) nums += v & 0xffff;
        else if (type == ENDPOINT && field == 4) nums += (u64)((s64)(v >> 1) ^ -(s64)(v & 1));
        else if (type == META && field == 2) nums ^= v << 7;
        else unknown++;
      } else if (wt == 1) {
        if (end - q < 8) { ok = 0; break; }
        u64 v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | q[i];
        if (type == REPORT && field == 4) nums += v >> 20;
        else unknown++;
        q += 8;
      } else if (wt == 5) {
        if (end - q < 4) { ok = 0; break; }
        u32 v = q[0] | (u32)q[1] << 8 | (u32)q[2] << 16 | (u32)q[3] << 24;
        if (type == REPORT && field == 6) nums += v;
        else unknown++;
        q += 4;
      } else {
        ok = 0;
        break;
      }
    }
    if (!ok) bad++;
  }
  return strs ^ (ids << 5) ^ (nums << 17) ^ ((u64)(bad + 3 * unknown) << 44) ^
         ((u64)(endpoints + 5 * labels + 7 * samples + 11 * maxdepth) << 32);
}
