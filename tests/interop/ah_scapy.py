#!/usr/bin/python3
"""ah_scapy.py - AH interop with scapy's SecurityAssociation, both ways.

Usage: ah_scapy.py PATH/TO/ipsec_tool [packets per case]

HMAC-SHA-256-128 and HMAC-SHA-512-256 x transport (IPv4 with and without
options, IPv6 with and without hop-by-hop/destination options carrying
mutable options and a type 0 routing header with segments left) and
tunnel (4-in-4, 6-in-6, 4-in-6, 6-in-4) x ESN off/on. scapy zeroes the
IPv4 TOS and flags (our ah_cleartos=1, ah_offsetmask=0, the KAME
defaults). Packets we protect with a routing header are delivered along
their route (ipsec_interop.route_traverse) before scapy verifies them,
as a receiver sees them. Exit 77 (skip) when scapy cannot be imported.
"""
import sys

from ipsec_interop import (IP, IPv6, AH, IPv6ExtHdrRouting, UDP, Raw,
                           SecurityAssociation, Failures, tool,
                           inner_packet, cls_of, T4, T6, rng, HASHES,
                           route_traverse)

SHAPES = [
    ("transport", 4, 4, False), ("transport", 4, 4, True),
    ("transport", 6, 6, False), ("transport", 6, 6, True),
    ("transport", 6, 6, "rt"),
    ("tunnel", 4, 4, True), ("tunnel", 6, 6, True),
    ("tunnel", 4, 6, False), ("tunnel", 6, 4, False),
]


def routed_packet(rnd):
    """IPv6 with hop-by-hop options and a type 0 routing header."""
    body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
    p = (IPv6(src="2001:db8:1::1", dst="2001:db8:9::1",
              tc=rnd.randrange(256), fl=rnd.randrange(1 << 20)) /
         IPv6ExtHdrRouting(addresses=["2001:db8:9::2", "2001:db8:2::2"],
                           segleft=2) /
         UDP(sport=rnd.randrange(1, 65536), dport=53) / Raw(body))
    return bytes(p)


def main():
    path = sys.argv[1]
    per_case = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    rnd = rng()
    f = Failures()
    cases = 0
    for auth in ("hmac-sha256", "hmac-sha512"):
        for mode, fam, ofam, ext in SHAPES:
            for esn in (False, True):
                cases += 1
                for _ in range(per_case):
                    one(path, rnd, f, auth, mode, fam, ofam, ext, esn)
    print("%d cases x %d packets x 2 directions" % (cases, per_case))
    f.done("ah_scapy")


def one(path, rnd, f, auth, mode, fam, ofam, ext, esn, extra=()):
    """One packet each way; extra: more ipsec_tool arguments."""
    h, icv_len, scapy_auth, klen = HASHES[auth]
    spi = rnd.randrange(256, 1 << 32)
    seq_lo = rnd.randrange(1, 1 << 32)
    seq_hi = rnd.randrange(1, 1 << 32) if esn else 0
    akey = bytes(rnd.getrandbits(8) for _ in range(klen))
    args = ["auth=" + auth, "authkey=" + akey.hex(), "spi=%d" % spi,
            "mode=" + mode, "esn=%d" % esn, "cleartos=1",
            "offsetmask=0"] + list(extra)
    sa_kw = dict(spi=spi, seq_num=seq_lo, auth_algo=scapy_auth,
                 auth_key=akey, esn_en=esn, esn=seq_hi)
    if mode == "tunnel":
        t = T4 if ofam == 4 else T6
        args += ["tsrc=" + t[0], "tdst=" + t[1]]
        sa_kw["tunnel_header"] = (IP if ofam == 4 else IPv6)(src=t[0],
                                                             dst=t[1])
    inner = routed_packet(rnd) if ext == "rt" else inner_packet(rnd, fam,
                                                                  ext)
    what = "ah %s %s %d-in-%d ext=%s esn=%d" % (auth, mode, fam, ofam, ext,
                                                 esn)

    # scapy protects, we verify and remove AH.
    sa = SecurityAssociation(AH, **sa_kw)
    p = sa.encrypt(cls_of(inner)(inner), esn_en=esn, esn=seq_hi)
    raw = bytes(p)
    code, out, err = tool(path, ["decap", "ah", "seqhi=%d" % seq_hi] +
                          args, raw)
    f.check(code == 0 and out == inner, "scapy->us %s: %d %s" % (
        what, code, err))
    # One flipped bit in the payload must fail.
    bad = bytearray(raw)
    bad[-1] ^= 1
    code, _, err = tool(path, ["decap", "ah", "seqhi=%d" % seq_hi] + args,
                        bytes(bad))
    f.check(code == 1 and "ah_auth" in err, "flipped bit %s: %s" % (
        what, err))

    # We protect, scapy verifies and removes AH.
    code, out, err = tool(path, ["encap", "ah", "seq=%d" % (
        seq_hi << 32 | seq_lo)] + args, inner)
    if not f.check(code == 0, "us->scapy encap %s: %s" % (what, err)):
        return
    delivered = route_traverse(out) if ext == "rt" else out
    sa2 = SecurityAssociation(AH, **sa_kw)
    try:
        dec = sa2.decrypt(cls_of(out)(delivered), esn_en=esn, esn=seq_hi)
    except Exception as e:  # noqa: BLE001 - report any scapy failure
        f.check(False, "us->scapy verify %s: %r" % (what, e))
        return
    want = route_traverse(inner) if ext == "rt" else inner
    f.check(bytes(dec) == want, "us->scapy %s" % what)
    if AH in cls_of(out)(out):
        a = cls_of(out)(out)[AH]
        al = 8 if (ofam if mode == "tunnel" else fam) == 6 else 4
        f.check(len(bytes(a)) - len(bytes(a.payload)) ==
                (12 + icv_len + al - 1) // al * al, "AH length %s" % what)


if __name__ == "__main__":
    main()
