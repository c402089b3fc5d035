#!/usr/bin/python3
"""wire_inject.py - an attacker on the wire, with scapy, for
tests/e2e/netd_wire.sh. Every frame goes out with sendp() on IFACE (the
veth on host A's side, so host B's netd receives it from the wire).

    wire_inject.py replay IFACE PCAP SPI
        every ESP frame of PCAP with that SPI, sent again as captured;
        prints how many
    wire_inject.py esp IFACE SMAC DMAC SRC DST SPI KEYHEX SEQ:TAMPER:PAYLOAD...
        per SEQ:TAMPER:PAYLOAD, a fresh ESP AES-GCM-16 (RFC 4106) frame
        for the SA (SPI, KEYHEX: key and 4-byte salt) carrying UDP
        SRC:7000 -> DST:7790 PAYLOAD with sequence number SEQ; TAMPER:
        none (sent as is), ct (one bit of the ciphertext flipped), icv
        (of the ICV), spi (of the SPI)
    wire_inject.py clear IFACE SMAC DMAC SRC DST [SRC DST]...
        per address pair, clear UDP (to 7790), TCP SYN (to 7791) and ICMP
        echo (marker PARAPET-CLEAR) from SRC to DST, IPv4 or IPv6 by the
        addresses; prints how many frames
"""
import sys

from scapy.all import (ICMP, IP, IPv6, TCP, UDP, Ether, ICMPv6EchoRequest,
                       Raw, conf, rdpcap, sendp)
from scapy.layers.ipsec import ESP, SecurityAssociation

conf.verb = 0


def replay(iface, pcap, spi):
    frames = [f for f in rdpcap(pcap) if ESP in f and f[ESP].spi == spi]
    for f in frames:
        sendp(f, iface=iface)
    print(len(frames))


def esp(iface, smac, dmac, src, dst, spi, key, seq, tamper, payload):
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM",
                             crypt_key=bytes.fromhex(key))
    inner = IP(src=src, dst=dst) / UDP(sport=7000, dport=7790) / \
        Raw(payload.encode())
    e = sa.encrypt(IP(bytes(inner)), seq_num=seq)
    frame = bytearray(bytes(Ether(src=smac, dst=dmac) / e))
    esp_at = 14 + 20
    where = {"none": None, "spi": esp_at + 3, "ct": esp_at + 8 + 8 + 2,
             "icv": len(frame) - 1}[tamper]
    if where is not None:
        frame[where] ^= 0x01
    sendp(Ether(bytes(frame)), iface=iface)


def clear(iface, smac, dmac, src, dst):
    """The clear frames from src to dst; how many."""
    if ":" in src:
        ip = Ether(src=smac, dst=dmac) / IPv6(src=src, dst=dst)
        pkts = [ip / UDP(sport=7001, dport=7790) / Raw(b"PARAPET-CLEAR udp"),
                ip / TCP(sport=7002, dport=7791, flags="S"),
                ip / ICMPv6EchoRequest(data=b"PARAPET-CLEAR icmp")]
    else:
        ip = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst)
        pkts = [ip / UDP(sport=7001, dport=7790) / Raw(b"PARAPET-CLEAR udp"),
                ip / TCP(sport=7002, dport=7791, flags="S"),
                ip / ICMP() / Raw(b"PARAPET-CLEAR icmp")]
    for p in pkts:
        sendp(p, iface=iface)
    return len(pkts)


def main():
    a = sys.argv[1:]
    if a[0] == "replay":
        replay(a[1], a[2], int(a[3], 0))
    elif a[0] == "esp":
        for f in a[8:]:
            seq, tamper, payload = f.split(":", 2)
            esp(a[1], a[2], a[3], a[4], a[5], int(a[6], 0), a[7], int(seq),
                tamper, payload)
    elif a[0] == "clear":
        print(sum(clear(a[1], a[2], a[3], a[i], a[i + 1])
                  for i in range(4, len(a) - 1, 2)))
    else:
        sys.exit("wire_inject.py: unknown command " + a[0])


if __name__ == "__main__":
    main()
