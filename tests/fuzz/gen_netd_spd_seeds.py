#!/usr/bin/env python3
"""gen_netd_spd_seeds.py - write the seeds of fuzz_netd_spd (netd's SPD
replica: runs of policyd's bus bodies, see tests/fuzz/fuzz_netd_spd.c)
into a directory. The protobuf encoding is written out by hand
(tests/tools/pbwire.py), so no protobuf module is needed.

Usage: gen_netd_spd_seeds.py DIR
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
from pbwire import f_bytes, f_int, f_sint  # noqa: E402


def request(tunnel):
    b = f_int(1, 50) + f_int(2, 2 if tunnel else 1) + f_int(3, 2)
    if tunnel:
        b += f_int(5, 2) + f_bytes(6, bytes([192, 0, 2, 1]))
        b += f_bytes(7, bytes([192, 0, 2, 2]))
    return b


def policy(pid, dir_, last, action=2, tunnel=False, dst=None, proto=255):
    b = f_int(1, pid) + f_int(2, dir_) + f_int(3, action)
    b += f_int(4, 0x80000000) + f_int(5, 2)
    b += f_bytes(6, bytes([10, 0, 0, 0])) + f_int(7, 24)
    b += f_bytes(8, dst or bytes([10, 1, last, 0])) + f_int(9, 24)
    b += f_int(10, proto)
    if action == 2:
        b += f_bytes(13, request(tunnel))
    return b


def snapshot(epoch, gen, pols, total, done):
    b = f_int(1, epoch) + f_int(2, gen) + f_int(3, 0 if done else 77)
    b += f_int(4, 1 if done else 0) + f_int(5, total)
    for p in pols:
        b += f_bytes(6, p)
    return b


def event(epoch, prev, gen, op, pol=None, pid=0, dir_=0):
    b = f_int(1, epoch) + f_int(2, gen) + f_int(3, prev) + f_int(4, op)
    if pol is not None:
        b += f_bytes(5, pol)
    return b + f_int(6, pid) + f_int(7, dir_)


def sysvar(name, value, lo, hi):
    return (f_bytes(1, name.encode()) + f_sint(2, value) + f_sint(3, lo) +
            f_sint(4, hi))


def sysget(vars_):
    return b"".join(f_bytes(1, sysvar(*v)) for v in vars_)


def syschange(name, value, old):
    return f_bytes(1, name.encode()) + f_sint(2, value) + f_sint(3, old)


def rec(kind, body=b""):
    return struct.pack(">BH", kind, len(body)) + body


SNAP, EVENT, SYSGET, SYSCHG, BEGIN = 0, 1, 2, 3, 4
ADD, UPDATE, DELETE, FLUSH = 1, 2, 3, 4
E = 0x1234
# The static's selector: 10.0.0.1/32 -> 10.0.0.2/32 any, out.
STATIC_DST = bytes([10, 0, 0, 2])


def static_policy(pid):
    b = f_int(1, pid) + f_int(2, 2) + f_int(3, 1) + f_int(4, 5) + f_int(5, 2)
    b += f_bytes(6, bytes([10, 0, 0, 1])) + f_int(7, 32)
    b += f_bytes(8, STATIC_DST) + f_int(9, 32) + f_int(10, 255)
    return b


SEEDS = {
    "snapshot_one_page": rec(SNAP, snapshot(E, 5, [policy(9, 2, 1),
                                                   policy(16, 1, 2, tunnel=True)], 2, True)),
    "snapshot_pages_then_deltas":
        rec(SNAP, snapshot(E, 7, [policy(9, 2, 1)], 3, False)) +
        rec(EVENT, event(E, 7, 8, ADD, policy(25, 2, 9))) +
        rec(SNAP, snapshot(E, 7, [policy(17, 2, 2), policy(24, 1, 3)], 3, True)) +
        rec(EVENT, event(E, 8, 9, DELETE, pid=9)) +
        rec(EVENT, event(E, 9, 10, UPDATE, policy(17, 2, 2, action=1))) +
        rec(EVENT, event(E, 10, 11, FLUSH, dir_=1)),
    "gap_and_epoch":
        rec(SNAP, snapshot(E, 3, [], 0, True)) +
        rec(EVENT, event(E, 4, 5, ADD, policy(9, 2, 1))) +
        rec(EVENT, event(E + 1, 3, 4, ADD, policy(9, 2, 1))) +
        rec(BEGIN) +
        rec(SNAP, snapshot(E + 1, 1, [policy(9, 2, 1)], 1, True)),
    "static_shadowed":
        rec(SNAP, snapshot(E, 2, [static_policy(33)], 1, True)) +
        rec(EVENT, event(E, 2, 3, DELETE, pid=33)) +
        rec(EVENT, event(E, 3, 4, ADD, static_policy(41))) +
        rec(EVENT, event(E, 4, 5, FLUSH)),
    "sysctl":
        rec(SYSGET, sysget([("net.inet.ipsec.def_policy", 0, 0, 1),
                            ("net.inet.ipsec.dfbit", 2, 0, 2),
                            ("net.inet.ipsec.ecn", -1, -1, 1),
                            ("net.inet.ipsec.ah_offsetmask", 0xffff, 0, 0xffff),
                            ("net.inet6.ipsec6.esp_trans_deflev", 2, 1, 2)])) +
        rec(SYSCHG, syschange("net.inet.ipsec.esp_net_deflev", 2, 1)) +
        rec(SYSCHG, syschange("net.inet.ipsec.nosuch", 1, 0)),
    "kept_during_snapshot":
        rec(BEGIN) +
        rec(EVENT, event(E, 1, 2, ADD, policy(9, 2, 1))) +
        rec(EVENT, event(E, 2, 3, ADD, policy(17, 2, 2))) +
        rec(SNAP, snapshot(E, 2, [policy(9, 2, 1)], 1, True)),
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
