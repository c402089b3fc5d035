#!/usr/bin/env python3
"""gen_spd_seeds.py - write the seeds of fuzz_spd_rec (policyd's store
records and PF_KEY SPD messages, little-endian) into a directory.

Usage: gen_spd_seeds.py DIR
"""
import os
import struct
import sys


def rec_policy(tunnel, lft):
    b = struct.pack(">BBIQBBIHBBBHH", 1, 1, 25, 1700000000000, 2, 2,
                    0x80000000, 2, 24, 32, 6, 0, 443)
    b += bytes([10, 0, 0, 0] + [0] * 12) + bytes([10, 1, 0, 7] + [0] * 12)
    if tunnel:
        b += struct.pack(">BBBBIH", 1, 50, 2, 3, 40000, 2)
        b += bytes([192, 0, 2, 1] + [0] * 12) + bytes([192, 0, 2, 2] + [0] * 12)
    else:
        b += struct.pack(">BBBBIH", 1, 50, 1, 2, 0, 0) + bytes(32)
    if lft:
        b += b"\x01" + struct.pack(">IQQQ", 0, 0, 3600, 0) * 2
    else:
        b += b"\x00"
    return b


def rec_sysctl():
    names = [(4, "def_policy", 1), (4, "dfbit", 2), (4, "ecn", -1),
             (6, "esp_trans_deflev", 2)]
    b = struct.pack(">BBB", 1, 2, len(names))
    for tree, n, v in names:
        b += struct.pack(">BB", tree, len(n)) + n.encode() + struct.pack(">i", v)
    return b


def ext_addr(t, ip, plen, proto=255):
    sa = struct.pack("<H", 2) + struct.pack(">H", 0) + bytes(ip) + bytes(8)
    return struct.pack("<HHBBH", 3, t, proto, plen, 0) + sa


def ext_policy(ptype, pdir, pid=0, reqs=b""):
    body = struct.pack("<HBBII", ptype, pdir, 0, pid, 0x80000000) + reqs
    return struct.pack("<HH", (4 + len(body)) // 8, 18) + body


def req(mode, level, tunnel):
    addrs = b""
    if tunnel:
        addrs = (struct.pack("<H", 2) + bytes(2) + bytes([192, 0, 2, 1]) +
                 bytes(8) + struct.pack("<H", 2) + bytes(2) +
                 bytes([192, 0, 2, 2]) + bytes(8))
    return struct.pack("<HHBBHII", 16 + len(addrs), 50, mode, level, 0, 0,
                       0) + addrs


def msg(mtype, exts, seq=1):
    body = b"".join(exts)
    return struct.pack("<BBBBHHII", 2, mtype, 0, 0, (16 + len(body)) // 8, 0,
                       seq, 77) + body


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    src = ext_addr(5, [10, 0, 0, 0], 24)
    dst = ext_addr(6, [10, 1, 0, 7], 32)
    seeds = {
        "rec_policy.bin": rec_policy(False, False),
        "rec_policy_tunnel.bin": rec_policy(True, True),
        "rec_sysctl.bin": rec_sysctl(),
        "rec_gens.bin": struct.pack(">BBII", 1, 3, 0x8000, 40000),
        "spdadd.bin": msg(14, [src, dst, ext_policy(2, 2, 0,
                                                     req(1, 2, False))]),
        "spdadd_tunnel.bin": msg(14, [src, dst, ext_policy(2, 1, 0,
                                                            req(2, 3, True))]),
        "spdupdate.bin": msg(13, [src, dst, ext_policy(0, 3)]),
        "spddelete.bin": msg(15, [src, dst, ext_policy(0, 2)]),
        "spdget.bin": msg(16, [ext_policy(0, 2, 9)]),
        "spddelete2.bin": msg(22, [ext_policy(0, 2, 9)]),
        "spddump.bin": msg(18, []),
        "spdflush.bin": msg(19, []),
    }
    for name, b in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
