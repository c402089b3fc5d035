#!/usr/bin/python3
"""esp_scapy.py - ESP interop with scapy's SecurityAssociation, both ways.

Usage: esp_scapy.py PATH/TO/ipsec_tool [packets per case]

For AES-256-GCM-16, ChaCha20-Poly1305, NULL + HMAC-SHA-256-128 and NULL +
HMAC-SHA-512-256 x transport (IPv4, IPv6 with extension headers) and
tunnel (4-in-4, 6-in-6, 4-in-6, 6-in-4) x ESN off/on x NAT-T off/on:
scapy encrypts and ipsec_tool decrypts, then ipsec_tool encrypts and
scapy decrypts; the packet must come back byte for byte. Exit 77 (skip)
when scapy cannot be imported. scapy's deviations from the RFCs are
undone by ipsec_interop.py.
"""
import sys

from ipsec_interop import (SKIP, IP, IPv6, UDP, ESP, SecurityAssociation,
                           Failures, tool, inner_packet, cls_of, T4, T6,
                           natt_fix_scapy, natt_strip, esp_icv_esn, rng,
                           HASHES, ENC_KEY, ENC_IV)

ALGS = [
    ("aes256gcm16", "AES-GCM", None),
    ("chacha20poly1305", "CHACHA20-POLY1305", None),
    ("null", "NULL", "hmac-sha256"),
    ("null", "NULL", "hmac-sha512"),
]
# (mode, inner family, outer family, extension headers)
SHAPES = [
    ("transport", 4, 4, False), ("transport", 4, 4, True),
    ("transport", 6, 6, False), ("transport", 6, 6, True),
    ("tunnel", 4, 4, False), ("tunnel", 6, 6, True),
    ("tunnel", 4, 6, False), ("tunnel", 6, 4, False),
]


def main():
    path = sys.argv[1]
    per_case = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    rnd = rng()
    f = Failures()
    cases = 0
    for enc, scapy_enc, auth in ALGS:
        if enc == "aes256gcm16":
            code, _, err = tool(path, ["encap", "esp", "enc=" + enc,
                                       "key=" + "00" * 36], b"")
            if "bad encryption key" in err:
                print("SKIP aes256gcm16: not available on this CPU")
                continue
        for mode, fam, ofam, ext in SHAPES:
            for esn in (False, True):
                for natt in (False, True):
                    cases += 1
                    for _ in range(per_case):
                        one(path, rnd, f, enc, scapy_enc, auth, mode, fam,
                            ofam, ext, esn, natt)
    print("%d cases x %d packets x 2 directions" % (cases, per_case))
    f.done("esp_scapy")


def one(path, rnd, f, enc, scapy_enc, auth, mode, fam, ofam, ext, esn,
        natt, extra=()):
    """One packet each way; extra: more ipsec_tool arguments
    (backend=...)."""
    spi = rnd.randrange(256, 1 << 32)
    seq_lo = rnd.randrange(1, 1 << 32)
    seq_hi = rnd.randrange(1, 1 << 32) if esn else 0
    iv = rnd.randrange(1 << 64)
    ivlen = ENC_IV.get(enc, 8)
    key = bytes(rnd.getrandbits(8) for _ in range(ENC_KEY.get(enc, 36)))
    args = ["enc=" + enc, "key=" + key.hex(), "spi=%d" % spi, "mode=" + mode,
            "esn=%d" % esn] + list(extra)
    sa_kw = dict(spi=spi, seq_num=seq_lo, crypt_algo=scapy_enc,
                 crypt_key=key or None, esn_en=esn, esn=seq_hi)
    akey = b""
    if auth:
        h, icv_len, scapy_auth, klen = HASHES[auth]
        akey = bytes(rnd.getrandbits(8) for _ in range(klen))
        args += ["auth=" + auth, "authkey=" + akey.hex()]
        sa_kw.update(auth_algo=scapy_auth, auth_key=akey)
    if mode == "tunnel":
        t = T4 if ofam == 4 else T6
        args += ["tsrc=" + t[0], "tdst=" + t[1]]
        sa_kw["tunnel_header"] = (IP if ofam == 4 else IPv6)(src=t[0],
                                                             dst=t[1])
    if natt:
        args += ["natt=4500:4500"]
        sa_kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    sa = SecurityAssociation(ESP, **sa_kw)
    inner = inner_packet(rnd, fam, ext)
    what = "%s/%s %s %d-in-%d ext=%d esn=%d natt=%d" % (
        enc, auth, mode, fam, ofam, ext, esn, natt)

    # scapy encrypts, we decrypt.
    ivb = None
    if ivlen:
        ivb = ((iv << 64 | iv) if ivlen == 16 else iv).to_bytes(ivlen,
                                                                 "big")
    p = sa.encrypt(cls_of(inner)(inner), iv=ivb)
    raw = bytes(p)
    if auth and esn:
        icv = esp_icv_esn(raw, HASHES[auth][0], akey, HASHES[auth][1],
                          seq_hi, natt)
        raw = raw[:-len(icv)] + icv
    raw = natt_fix_scapy(raw) if natt else raw
    code, out, err = tool(path, ["decap", "esp", "seqhi=%d" % seq_hi] +
                          args, raw)
    f.check(code == 0 and out == inner, "scapy->us %s: %d %s" % (
        what, code, err))

    # We encrypt, scapy decrypts.
    code, out, err = tool(path, ["encap", "esp", "seq=%d" % (
        seq_hi << 32 | seq_lo), "iv=%d" % iv] + args, inner)
    if not f.check(code == 0, "us->scapy encap %s: %s" % (what, err)):
        return
    ip = cls_of(out)(out)
    if mode == "tunnel":
        f.check(ip.version == ofam, "outer family %s" % what)
        tos = ip.tos if ofam == 4 else ip.tc
        itos = inner[1] if fam == 4 else (
            (inner[0] & 0xf) << 4 | inner[1] >> 4)
        f.check(tos & 0xfc == itos & 0xfc and tos & 3 == 0,
                "outer DSCP copied, ECN not-ECT %s" % what)
    p = natt_strip(out, 4500, 4500, f) if natt else ip
    verify = True
    if auth and esn:
        raw = bytes(p)
        icv = esp_icv_esn(raw, HASHES[auth][0], akey, HASHES[auth][1],
                          seq_hi)
        f.check(raw[-len(icv):] == icv, "us->scapy ESN ICV %s" % what)
        verify = False
    sa2 = SecurityAssociation(ESP, **sa_kw)
    try:
        dec = sa2.decrypt(p, verify=verify)
    except Exception as e:  # noqa: BLE001 - report any scapy failure
        f.check(False, "us->scapy decrypt %s: %r" % (what, e))
        return
    f.check(bytes(dec) == inner, "us->scapy %s" % what)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except ImportError:
        sys.exit(SKIP)
