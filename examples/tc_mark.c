/* tc classifier: sets skb->mark by traffic class (1 web: TCP 80/443, 2 DNS: UDP 53, 0 other), counts
 * packets per class in an array map, lowers the TTL by one (fixing the IP checksum) and drops packets
 * whose TTL is already 1 or less.
 *   tsbpf run examples/tc_mark.o --pcap examples/traffic.pcap --out marked.pcap */
#include "common.h"

enum traffic_class { CLASS_OTHER = 0, CLASS_WEB = 1, CLASS_DNS = 2, CLASS_COUNT = 3 };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CLASS_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} class_packets SEC(".maps");

SEC("tc")
int tc_mark(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return TC_ACT_OK;
  if (ip->ttl <= 1) return TC_ACT_SHOT;
  __u32 class = CLASS_OTHER;
  void *l4 = (void *)ip + ip->ihl * 4;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) <= data_end && (tcp->dest == bpf_htons(80) || tcp->dest == bpf_htons(443)))
      class = CLASS_WEB;
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) <= data_end && (udp->dest == bpf_htons(53) || udp->source == bpf_htons(53)))
      class = CLASS_DNS;
  }
  skb->mark = class;
  __u64 *n = bpf_map_lookup_elem(&class_packets, &class);
  if (n) __sync_fetch_and_add(n, 1);
  /* TTL is the high byte of the 16-bit word it shares with the protocol: RFC 1624 incremental update. */
  __u32 sum = (__u16)~bpf_ntohs(ip->check) + (__u16)~0x0100;
  ip->ttl--;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  ip->check = bpf_htons(~sum & 0xffff);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
