/* Socket filter keeping only DNS traffic (UDP port 53, either direction); other packets are cut to 0
 * bytes, that is dropped. It reads the packet with LD_ABS loads, as classic socket filters do.
 *   tsbpf run examples/socket_dns.o --pcap examples/traffic.pcap --out dns.pcap */
#include "common.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

/* Packets kept so far (a global variable: the .bss map). */
__u64 kept = 0;

SEC("socket")
int socket_dns(struct __sk_buff *skb) {
  if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP) return 0;
  if (load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_UDP) return 0;
  __u32 ihl = (load_byte(skb, ETH_HLEN) & 0x0f) * 4;
  __u32 l4 = ETH_HLEN + ihl;
  __u16 sport = load_half(skb, l4 + offsetof(struct udphdr, source));
  __u16 dport = load_half(skb, l4 + offsetof(struct udphdr, dest));
  if (sport != 53 && dport != 53) return 0;
  __sync_fetch_and_add(&kept, 1);
  return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
