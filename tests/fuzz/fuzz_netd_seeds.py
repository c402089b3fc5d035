#!/usr/bin/env python3
# fuzz_netd_seeds.py - writes the seeds of fuzz_netd_pkt (scapy):
#   /usr/bin/python3 tests/fuzz/fuzz_netd_seeds.py tests/fuzz/corpus/fuzz_netd_pkt
import os
import sys

from scapy.all import (AH, ARP, ESP, ICMP, IP, UDP, TCP, Dot1Q, Ether,
                       IPv6, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6PacketTooBig,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw,
                       fragment, raw)

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
A4, B4 = "10.0.0.1", "10.0.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
esp4 = IP(src=A4, dst=B4) / ESP(spi=0x1000, seq=1) / Raw(b"\xab" * 32)
seeds = {
    "v4-udp": IP(src=A4, dst=B4) / UDP(sport=1234, dport=53) / b"hello",
    "v4-tcp-opts": IP(src=A4, dst=B4, options=b"\x01\x01\x01\x01") /
    TCP(sport=40000, dport=22, options=[("MSS", 1460)]),
    "v4-icmp": IP(src=A4, dst=B4) / ICMP() / (b"ping" * 4),
    "v4-esp": esp4,
    "v4-ah": IP(src=A4, dst=B4) / AH(spi=0x2000, seq=1, icv=b"\0" * 12, nh=6,
                                                     payloadlen=4) /
    TCP(),
    "v4-natt-esp": IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500) /
    ESP(spi=0x3000, seq=1) / Raw(b"\xcd" * 16),
    "v4-natt-ike": IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500) /
    (b"\0" * 4 + b"ike" * 8),
    "v4-natt-keepalive": IP(src=A4, dst=B4) / UDP(sport=4500, dport=4500)
    / b"\xff",
    "v4-too-big-esp": IP(src="192.0.2.9", dst=A4) / ICMP(type=3, code=4,
                                                         nexthopmtu=1300) /
    raw(esp4)[:28],
    "v6-tcp": IPv6(src=A6, dst=B6) / TCP(sport=22, dport=5555),
    "v6-chain": IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() /
    IPv6ExtHdrRouting(type=2, addresses=[A6]) / IPv6ExtHdrDestOpt() /
    UDP(sport=500, dport=500) / b"ike",
    "v6-nd": IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) /
    ICMPv6ND_NS(tgt=B6),
    "v6-echo": IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(data=b"x" * 20),
    "v6-esp": IPv6(src=A6, dst=B6) / ESP(spi=0x77, seq=1) / Raw(b"e" * 16),
    "v6-too-big-esp": IPv6(src="2001:db8::99", dst=A6) /
    ICMPv6PacketTooBig(mtu=1280) / raw(IPv6(src=A6, dst=B6) /
                                       ESP(spi=0x77, seq=1) / Raw(b"e" * 16)),
    "eth-v4": Ether() / IP(src=A4, dst=B4) / UDP() / b"x",
    "eth-vlan-v6": Ether() / Dot1Q(vlan=5) / IPv6(src=A6, dst=B6) / UDP(),
    "eth-arp": Ether() / ARP(),
}
big4 = IP(src=A4, dst=B4, id=7, proto=50) / Raw(b"\x11" * 200)
for i, f in enumerate(fragment(big4, fragsize=64)[:2]):
    seeds["v4-frag%d" % i] = f
big6 = IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=9, m=1, offset=0) / \
    ESP(spi=5, seq=1) / Raw(b"\x22" * 32)
seeds["v6-frag0"] = big6
seeds["v6-frag1"] = IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(
    id=9, m=0, offset=5, nh=50) / Raw(b"\x22" * 16)
for name, p in sorted(seeds.items()):
    if not isinstance(p, bytes):
        p = raw(p)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(p)
