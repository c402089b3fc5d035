#!/usr/bin/env python3
# gen_fuzz_netd_ring.py - the seeds of fuzz_netd_ring (see
# fuzz_netd_ring.c for the input layout): what a correct ipsecd answers
# (PROTECT ok, UNPROTECT ok with a result block and an inner packet), a
# too_big with the original packet, results that are dropped, a recovered
# slot, wrong ops. Run once; writes tests/fuzz/corpus/fuzz_netd_ring/.
import os
import struct
import sys

HALF = 400
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "corpus", "fuzz_netd_ring")


def ring_result(r):
    return -(512 + r) if r else 0


def desc(off, length, op, flags=0, result=0, hint=0):
    return struct.pack("<HHBBhI", off, length, op, flags, result, hint)


def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64,
                    proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def done_block(spi, mode=1):
    ent = struct.pack("<BBBBIIIQ16s16s", 50, mode, 0, 4, 0, 0, spi, 1,
                      bytes([10, 0, 0, 2]) + bytes(12),
                      bytes([10, 0, 0, 1]) + bytes(12))
    hdr = struct.pack("<HBBBBBBBBHHH", 0x4d50, 1, 2, 1, 0, 0, 0, 0, 0, 0,
                      0, 0)
    return hdr + ent + bytes(56)


def slot(at, pkt, head=b""):
    b = head + bytes(at - len(head)) + pkt
    return (b + bytes(HALF))[:HALF]


A, B = [10, 0, 0, 1], [10, 0, 0, 2]
clear_out = ipv4(A, B, 17, udp(1000, 2000, b"8 bytes!"))
esp_out = ipv4(A, B, 50, struct.pack("!II", 0x1234, 1) + bytes(40))
inner_in = ipv4(B, A, 17, udp(2000, 1000, b"inbound!"))
seeds = {
    "ok_both": desc(112, len(esp_out), 1) +
    desc(128, len(inner_in), 2) +
    slot(112, esp_out) + slot(128, inner_in, done_block(0x1234)),
    "too_big": desc(128, len(clear_out), 1, result=ring_result(8),
                    hint=1400) +
    desc(128, 36, 2, result=ring_result(4)) +
    slot(128, clear_out) + slot(128, b""),
    "tunnel_mismatch": desc(112, len(esp_out), 1, result=ring_result(1)) +
    desc(128, len(inner_in), 2) +
    slot(112, esp_out) + slot(128, inner_in, done_block(0x1234, 2)),
    "recovered": desc(0, 0, 0, 0x80, -103) + desc(0, 0, 0, 0x80, -103) +
    bytes(2 * HALF),
    "wrong_op": desc(128, 36, 2) + desc(128, 36, 1) + slot(128, clear_out) +
    slot(128, inner_in),
}
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), OUT), file=sys.stderr)
