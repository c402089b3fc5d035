#!/usr/bin/python3
"""gen_gso_seeds.py - seeds for fuzz_gso (tests/fuzz/fuzz_gso.c), by scapy.

Writes tests/fuzz/corpus/fuzz_gso/: TCP superpackets (IPv4, IPv6, with
options) for GSO, and runs of in-order segments (with an Ethernet header
or bare, a gap, a PSH, another flow) for GRO. Run once; the output is
committed.
"""
import os
import struct
import sys

from scapy.all import IP, IPv6, TCP, Ether, Raw  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                   "fuzz_gso")


def tcp(v6, seq, n, flags="A", opts=None, sport=40000):
    ip = IPv6(src="fd00::1", dst="fd00::2") if v6 else \
        IP(src="10.0.0.1", dst="10.0.0.2", flags="DF", id=7)
    t = TCP(sport=sport, dport=5201, seq=seq, ack=1, flags=flags,
            window=512, options=opts or [])
    return bytes(ip / t / Raw(bytes((seq + i) & 0xff for i in range(n))))


def gso(name, sel, mss, pkt):
    write(name, bytes([sel]) + struct.pack("!H", mss) + pkt)


def gro(name, sel, mss, frames, eth):
    b = b""
    for f in frames:
        if eth:
            f = bytes(Ether(src="02:00:00:00:00:01",
                            dst="02:00:00:00:00:02") / f)[:14] + f
        b += struct.pack("!H", len(f)) + f
    write(name, bytes([sel | (4 if eth else 0)]) + struct.pack("!H", mss) + b)


def write(name, b):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    ts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
    gso("gso_v4", 0, 1000, tcp(False, 1, 4000, "PA"))
    gso("gso_v4_opts", 0, 1448, tcp(False, 1, 3001, "FPA", ts))
    gso("gso_v6", 2, 1440, tcp(True, 9, 3000, "PA"))
    run = [tcp(False, i * 100, 100) for i in range(4)]
    gro("gro_v4_eth", 1, 0, run, True)
    gro("gro_v4_bare", 1, 0, run, False)
    gro("gro_v6", 1, 0, [tcp(True, i * 100, 100, opts=ts)
                         for i in range(3)], True)
    gro("gro_mixed", 1, 0, [tcp(False, 0, 100), tcp(False, 200, 100),
                            tcp(False, 300, 100, "PA"),
                            tcp(False, 400, 100, sport=1),
                            tcp(False, 500, 50)], True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
