#!/usr/bin/python3
"""rfc8221_scapy.py - the algorithms of the OpenSSL backend against scapy
(and python3-cryptography where scapy has none), both ways, and the
algorithms both backends have once more with backend=sodium.

Usage: rfc8221_scapy.py PATH/TO/ipsec_tool [packets per case, default 1]

ESP through esp_scapy.one(): AES-GCM-16 128/192, AES-CBC 128/192/256 and
AES-CTR 128/192/256 with HMAC-SHA-1-96 / -256-128 / -384-192 / -512-256,
NULL with HMAC-SHA-1-96 and HMAC-SHA-384-192; libsodium's AES-256-GCM,
ChaCha20-Poly1305 and NULL + HMAC-SHA-256/512 (backend=sodium). AH
through ah_scapy.one(): HMAC-SHA-1-96, HMAC-SHA-384-192 (and libsodium's
SHA-256/512). Shapes: transport IPv4 and IPv6 with extension headers,
tunnel 4-in-6 and 6-in-4, x ESN off/on, NAT-T on one shape.

scapy 2.5 has no AES-GMAC and no AES-XCBC-MAC: ENCR_NULL_AUTH_AES_GMAC
(RFC 4543) is checked against python3-cryptography's AES-GCM (an empty
plaintext, the AAD SPI || seq || IV || payload), both ways; AES-XCBC-MAC
has its RFC 3566 vectors in tests/kat only. Exit 77 (skip) without scapy,
or without the OpenSSL backend.
"""
import struct
import sys

from ipsec_interop import SKIP, ENC_KEY, Failures, tool, inner_packet, rng
import ah_scapy
import esp_scapy

ESP_ALGS = [
    ("aes128gcm16", "AES-GCM", None, ()),
    ("aes192gcm16", "AES-GCM", None, ()),
    ("aes128cbc", "AES-CBC", "hmac-sha1", ()),
    ("aes192cbc", "AES-CBC", "hmac-sha384", ()),
    ("aes256cbc", "AES-CBC", "hmac-sha256", ()),
    ("aes128ctr", "AES-CTR", "hmac-sha512", ()),
    ("aes192ctr", "AES-CTR", "hmac-sha1", ()),
    ("aes256ctr", "AES-CTR", "hmac-sha384", ()),
    ("null", "NULL", "hmac-sha1", ()),
    ("null", "NULL", "hmac-sha384", ()),
    ("aes256gcm16", "AES-GCM", None, ("backend=sodium",)),
    ("chacha20poly1305", "CHACHA20-POLY1305", None, ("backend=sodium",)),
    ("null", "NULL", "hmac-sha256", ("backend=sodium",)),
    ("null", "NULL", "hmac-sha512", ("backend=sodium",)),
]
AH_ALGS = [("hmac-sha1", ()), ("hmac-sha384", ()),
           ("hmac-sha256", ("backend=sodium",)),
           ("hmac-sha512", ("backend=sodium",))]
# (mode, inner family, outer family, extension headers, NAT-T)
SHAPES = [
    ("transport", 4, 4, False, False), ("transport", 6, 6, True, False),
    ("tunnel", 4, 6, False, True), ("tunnel", 6, 4, False, False),
]


def available(path, enc, extra):
    code, _, err = tool(path, ["encap", "esp", "enc=" + enc, "key=" +
                               "00" * ENC_KEY.get(enc, 36)] +
                        list(extra), b"")
    return "bad encryption key" not in err


def gmac_one(path, rnd, f, keylen):
    """AES-GMAC ESP, transport IPv4, both ways, against cryptography."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key = bytes(rnd.getrandbits(8) for _ in range(keylen + 4))
    spi, seq, iv = rnd.randrange(256, 1 << 32), rnd.randrange(1, 1 << 31), \
        rnd.randrange(1 << 64)
    inner = inner_packet(rnd, 4)
    hl = (inner[0] & 0xF) * 4
    payload = inner[hl:]
    pad = (4 - (len(payload) + 2) % 4) % 4
    plain = payload + bytes(range(1, pad + 1)) + bytes([pad, inner[9]])
    ivb = iv.to_bytes(8, "big")
    hdr = struct.pack("!LL", spi, seq)
    tag = AESGCM(key[:-4]).encrypt(key[-4:] + ivb, b"", hdr + ivb + plain)
    esp = hdr + ivb + plain + tag
    outer = bytearray(inner[:hl])
    outer[9] = 50
    outer[2:4] = struct.pack("!H", hl + len(esp))
    outer[10:12] = b"\0\0"
    s = sum(struct.unpack("!%dH" % (hl // 2), bytes(outer)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    outer[10:12] = struct.pack("!H", 0xFFFF - s)
    args = ["enc=aes%dgmac" % (keylen * 8), "key=" + key.hex(),
            "spi=%d" % spi]
    code, out, err = tool(path, ["decap", "esp"] + args, bytes(outer) + esp)
    f.check(code == 0 and out == inner, "gmac%d cryptography->us: %s" % (
        keylen * 8, err))
    code, out, err = tool(path, ["encap", "esp", "seq=%d" % seq,
                                 "iv=%d" % iv] + args, inner)
    f.check(code == 0 and out[hl:] == esp, "gmac%d us->cryptography: %s" % (
        keylen * 8, err))


def main():
    path = sys.argv[1]
    # One packet per case: the matrix is wide (about 3 min under ASan).
    per_case = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rnd = rng()
    f = Failures()
    cases = 0
    if not available(path, "aes128cbc", ()):
        print("SKIP: no OpenSSL backend in this build")
        sys.exit(SKIP)
    for enc, scapy_enc, auth, extra in ESP_ALGS:
        if not available(path, enc, extra):
            print("SKIP %s %s: not available here" % (enc, extra))
            continue
        for mode, fam, ofam, ext, natt in SHAPES:
            for esn in (False, True):
                cases += 1
                for _ in range(per_case):
                    esp_scapy.one(path, rnd, f, enc, scapy_enc, auth, mode,
                                  fam, ofam, ext, esn, natt, extra)
    for auth, extra in AH_ALGS:
        for mode, fam, ofam, ext, _ in SHAPES:
            for esn in (False, True):
                cases += 1
                for _ in range(per_case):
                    ah_scapy.one(path, rnd, f, auth, mode, fam, ofam, ext,
                                 esn, extra)
    for keylen in (16, 24, 32):
        cases += 1
        for _ in range(per_case * 4):
            gmac_one(path, rnd, f, keylen)
    print("%d cases x %d packets x 2 directions" % (cases, per_case))
    f.done("rfc8221_scapy")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except ImportError:
        sys.exit(SKIP)
