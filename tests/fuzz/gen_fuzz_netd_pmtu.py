#!/usr/bin/python3
# gen_fuzz_netd_pmtu.py - seeds for fuzz_netd_pmtu (tests/fuzz/corpus/
# fuzz_netd_pmtu/): ICMP errors a router sends about the packets the
# harness says it sent (10.0.0.1 -> 10.0.0.2 and 2001:db8::1 -> ::2, SPI
# 0x1001: ESP, AH, ESP in UDP), one about TCP, and one of our ESP
# packets itself. Built with scapy, the independent implementation.
# Usage: gen_fuzz_netd_pmtu.py DIR
import os
import struct
import sys

from scapy.all import (AH, ICMP, ICMPv6PacketTooBig, IP, IPv6, TCP, UDP,
                       Raw)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
esp = struct.pack("!II", 0x1001, 7) + b"\xab" * 1400
v4 = IP(src="10.0.0.1", dst="10.0.0.2", flags="DF")
v6 = IPv6(src="2001:db8::1", dst="2001:db8::2")
quotes4 = {
    "v4_esp": IP(src="10.0.0.1", dst="10.0.0.2", flags="DF", proto=50) /
    Raw(esp),
    "v4_ah": v4 / AH(spi=0x1001, seq=7, nh=6, icv=b"\0" * 12) /
    Raw(b"\0" * 200),
    "v4_udp_esp": v4 / UDP(sport=4500, dport=4500) / Raw(esp),
    "v4_tcp": v4 / TCP(sport=1000, dport=80) / Raw(b"x" * 1400),
}
for name, q in quotes4.items():
    q = IP(bytes(q))
    b = bytes(IP(src="10.0.5.1", dst="10.0.0.1") /
              ICMP(type=3, code=4, nexthopmtu=1300) / Raw(bytes(q)[:548]))
    open(os.path.join(out, name), "wb").write(b)
for name, q in {"v6_esp": IPv6(src="2001:db8::1", dst="2001:db8::2", nh=50) /
                Raw(esp),
                "v6_udp_esp": v6 / UDP(sport=4500, dport=4500) /
                Raw(esp)}.items():
    q = bytes(IPv6(bytes(q)))
    b = bytes(IPv6(src="2001:db8:5::1", dst="2001:db8::1") /
              ICMPv6PacketTooBig(mtu=1360) / Raw(q[:1232]))
    open(os.path.join(out, name), "wb").write(b)
open(os.path.join(out, "sent_esp"), "wb").write(
    bytes(IP(src="10.0.0.1", dst="10.0.0.2", proto=50) / Raw(esp[:100])))
