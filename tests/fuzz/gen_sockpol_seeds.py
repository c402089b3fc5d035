#!/usr/bin/env python3
"""Seeds for fuzz_sockpol (tests/fuzz/fuzz_sockpol.c): sessions of
per-socket policy requests as libclient/sockpol.c sends them
(libclient/sockpol_proto.h), each preceded by its length octet, after
one octet choosing the uid (odd: root).

Usage: gen_sockpol_seeds.py [OUTDIR]   (default: corpus/fuzz_sockpol
next to this script). The policy extension is PF_KEY, in this host's
order (little-endian here)."""
import os
import socket
import struct
import sys

SET, DEL, BIND, DUMP = 1, 2, 3, 4
IN, OUT = 1, 2
DISCARD, NONE, IPSEC, ENTRUST, BYPASS = range(5)


def hdr(op, sock, d=0, seq=1):
    return struct.pack(">BBBBIQ", 1, op, d, 0, seq, sock)


def sel(fam, proto, lport, rport, laddr, raddr, flags=0):
    if fam == socket.AF_INET:
        la = socket.inet_pton(fam, laddr) + bytes(12)
        ra = socket.inet_pton(fam, raddr) + bytes(12)
    else:
        la = socket.inet_pton(fam, laddr)
        ra = socket.inet_pton(fam, raddr)
    return struct.pack(">HBBHH", fam, proto, flags, lport, rport) + la + ra


def sin(fam, a):
    if fam == socket.AF_INET:
        return struct.pack("<H", fam) + b"\0\0" + \
            socket.inet_pton(fam, a) + bytes(8)
    return struct.pack("<H", fam) + bytes(6) + \
        socket.inet_pton(fam, a) + bytes(4)


def req(proto, mode, level, reqid=0, ends=None):
    tail = b""
    if ends:
        tail = sin(ends[0], ends[1]) + sin(ends[0], ends[2])
    return struct.pack("<HHBBHII", 16 + len(tail), proto, mode, level, 0,
                       reqid, 0) + tail


def policy(ptype, d, reqs=(), prio=0x80000000):
    body = b"".join(reqs)
    return struct.pack("<HHHBBII", (16 + len(body)) // 8, 18, ptype, d, 0,
                       0, prio) + body


def session(root, *msgs):
    out = bytes([1 if root else 0])
    for m in msgs:
        assert len(m) < 256
        out += bytes([len(m)]) + m
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(here, "corpus", "fuzz_sockpol")
    os.makedirs(outdir, exist_ok=True)
    v4 = socket.AF_INET
    v6 = socket.AF_INET6
    wild4 = sel(v4, 17, 0, 0, "0.0.0.0", "0.0.0.0")
    conn4 = sel(v4, 17, 4000, 53, "10.0.0.1", "10.0.0.2")
    wild6 = sel(v6, 6, 0, 0, "::", "::")
    esp = req(50, 1, 2)
    tun = req(50, 2, 3, 7, (v4, "192.0.2.1", "192.0.2.2"))
    tun6 = req(51, 2, 1, 0, (v6, "2001:db8::1", "2001:db8::2"))
    seeds = {
        "set_ipsec": session(False, hdr(SET, 5) + wild4 +
                             policy(IPSEC, OUT, [esp])),
        "set_bind_connect_del": session(
            False, hdr(SET, 5) + wild4 + policy(IPSEC, OUT, [esp]),
            hdr(SET, 5, seq=2) + wild4 + policy(DISCARD, IN),
            hdr(BIND, 5, seq=3) + sel(v4, 17, 4000, 0, "0.0.0.0",
                                      "0.0.0.0"),
            hdr(BIND, 5, seq=4) + conn4,
            hdr(DUMP, 0, seq=5),
            hdr(DEL, 5, IN, seq=6),
            hdr(DEL, 5, seq=7)),
        "bypass_user": session(False, hdr(SET, 9) + wild4 +
                               policy(BYPASS, OUT)),
        "bypass_root": session(True, hdr(SET, 9) + wild4 +
                               policy(BYPASS, OUT), hdr(DUMP, 0)),
        "entrust_none": session(False, hdr(SET, 1) + wild6 +
                                policy(ENTRUST, IN),
                                hdr(SET, 1) + wild6 + policy(NONE, OUT)),
        "tunnel_v6": session(True, hdr(SET, 2) + wild6 +
                             policy(IPSEC, IN, [tun6, esp])),
        "tunnel_v4": session(False, hdr(SET, 3) + conn4 +
                             policy(IPSEC, OUT, [tun, esp], 5)),
        "bad_fwd": session(False, hdr(SET, 3) + conn4 +
                           policy(NONE, 3)),
        "bad_trailing": session(False, hdr(DEL, 3) + b"\0" * 8),
        "dualstack": session(False, hdr(SET, 4) +
                             sel(v6, 17, 0, 0, "::", "::", 1) +
                             policy(DISCARD, OUT),
                             hdr(BIND, 4, seq=2) +
                             sel(v6, 17, 500, 0, "::ffff:10.0.0.1", "::",
                                 1)),
    }
    for name, data in seeds.items():
        with open(os.path.join(outdir, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
