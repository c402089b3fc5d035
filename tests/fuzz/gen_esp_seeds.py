#!/usr/bin/python3
"""gen_esp_seeds.py - write the seed corpora of fuzz_esp, fuzz_ah and
fuzz_ip_hdr (tests/fuzz/corpus/<name>/) with scapy and ipsec_tool.

Usage: gen_esp_seeds.py PATH/TO/ipsec_tool [CORPUS_ROOT]

The SA tables below mirror those in fuzz_esp.c and fuzz_ah.c (keys
0x00.. and 0x40.., SPIs 0x1000+i / 0x2000+i, seq_hi 7 with ESN), so the
mode-0 seeds authenticate and the mutation pass reaches every check.
Not run by ctest; the seeds are kept in the tree.
"""
import os
import subprocess
import sys

from scapy.all import (IP, IPv6, UDP, TCP, ICMP, Raw, IPOption_NOP,
                       IPOption_Router_Alert, IPOption_RR,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrRouting, RouterAlert, HBHOptUnknown)

EK = bytes(range(36)).hex()
AK = bytes(0x40 + i for i in range(64)).hex()
T4 = ("17.17.17.17", "34.34.34.34")
T6 = ("1111:1111:1111:1111:1111:1111:1111:1111",
      "2222:2222:2222:2222:2222:2222:2222:2222")

# enc, auth, mode, tunnel family, natt, esn, ecn, pad  (fuzz_esp.c)
ESP_SAS = [
    ("chacha20poly1305", None, "transport", 0, 0, 0, 0, "seq"),
    ("chacha20poly1305", None, "tunnel", 4, 0, 0, 0, "seq"),
    ("chacha20poly1305", None, "transport", 0, 1, 1, 0, "seq"),
    ("null", "hmac-sha256", "transport", 0, 0, 0, 0, "seq"),
    ("null", "hmac-sha512", "tunnel", 6, 1, 1, 0, "seq"),
    ("aes256gcm16", None, "transport", 0, 0, 1, 0, "seq"),
    ("aes256gcm16", None, "tunnel", 6, 0, 0, 1, "seq"),
    ("null", "hmac-sha256", "tunnel", 4, 0, 0, 1, "zero"),
]
# auth, mode, tunnel family, esn, ecn  (fuzz_ah.c)
AH_SAS = [
    ("hmac-sha256", "transport", 0, 0, 0),
    ("hmac-sha512", "transport", 0, 1, 0),
    ("hmac-sha256", "tunnel", 6, 0, 1),
    ("hmac-sha512", "tunnel", 4, 1, 0),
]


def packets():
    v4 = IP(src="10.1.0.1", dst="10.2.0.2", tos=0xb9, flags="DF")
    v6 = IPv6(src="2001:db8:1::1", dst="2001:db8:2::2", tc=0xb9, fl=5)
    return [
        bytes(v4 / UDP(sport=1234, dport=53) / Raw(b"q" * 21)),
        bytes(IP(src="10.1.0.1", dst="10.2.0.2", options=[
            IPOption_Router_Alert(), IPOption_NOP(),
            IPOption_RR(routers=["10.9.9.9"])]) /
            TCP(sport=5, dport=80, flags="PA") / Raw(b"x" * 9)),
        bytes(v4 / ICMP() / Raw(b"ping")),
        bytes(v6 / UDP(sport=7, dport=7) / Raw(b"u" * 13)),
        bytes(v6 / IPv6ExtHdrHopByHop(options=[
            RouterAlert(), HBHOptUnknown(otype=0x3e, optdata=b"ab")]) /
            IPv6ExtHdrDestOpt(options=[
                HBHOptUnknown(otype=0x3f, optdata=b"xyzw")]) /
            IPv6ExtHdrRouting(addresses=["2001:db8:9::1",
                                         "2001:db8:9::2"], segleft=2) /
            TCP(sport=9, dport=22) / Raw(b"t" * 5)),
    ]


def tool(path, args, data):
    r = subprocess.run([path] + args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    return r.stdout if r.returncode == 0 else None


def write(root, name, i, data):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed_%02d" % i), "wb") as f:
        f.write(data)


def main():
    path = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    pk = packets()
    n = 0
    for i, (enc, auth, mode, tfam, natt, esn, ecn, pad) in enumerate(
            ESP_SAS):
        args = ["enc=" + enc, "key=" + (EK if enc != "null" else ""),
                "spi=%d" % (0x1000 + i), "mode=" + mode, "esn=%d" % esn,
                "ecn=%d" % ecn, "pad=" + pad]
        if auth:
            args += ["auth=" + auth, "authkey=" + AK[:(64 if auth ==
                                                       "hmac-sha256"
                                                       else 128)]]
        if tfam:
            t = T4 if tfam == 4 else T6
            args += ["tsrc=" + t[0], "tdst=" + t[1]]
        if natt:
            args += ["natt=4500:4500"]
        for j, p in enumerate(pk[i % 2::2] + pk[4:]):
            out = tool(path, ["encap", "esp", "seq=%d" % (
                (7 << 32 | (j + 1)) if esn else j + 1), "iv=%d" % j] +
                args, p)
            if out is not None:
                write(root, "fuzz_esp", n, bytes([i << 2]) + out)
                n += 1
        write(root, "fuzz_esp", n, bytes([i << 2 | 1]) + pk[i % 5])
        n += 1
        if auth:
            inner = pk[0] if mode == "tunnel" else b"payload!"
            nh = 4 if mode == "tunnel" else 17
            padl = -(len(inner) + 2) % 4
            fill = bytes(range(1, padl + 1)) if pad == "seq" else \
                bytes(padl)
            write(root, "fuzz_esp", n, bytes([i << 2 | 2]) + inner + fill +
                  bytes([padl, nh]))
            n += 1
    n = 0
    for i, (auth, mode, tfam, esn, ecn) in enumerate(AH_SAS):
        args = ["auth=" + auth, "authkey=" + AK[:(64 if auth ==
                                                  "hmac-sha256" else 128)],
                "spi=%d" % (0x2000 + i), "mode=" + mode, "esn=%d" % esn,
                "ecn=%d" % ecn, "cleartos=1", "offsetmask=0"]
        if tfam:
            t = T4 if tfam == 4 else T6
            args += ["tsrc=" + t[0], "tdst=" + t[1]]
        for j, p in enumerate(pk):
            if j % 2 != i % 2 and j != 4:
                continue
            out = tool(path, ["encap", "ah", "seq=%d" % (
                (7 << 32 | (j + 1)) if esn else j + 1)] + args, p)
            if out is not None:
                write(root, "fuzz_ah", n, bytes([i << 1]) + out)
                n += 1
            write(root, "fuzz_ah", n, bytes([i << 1 | 1]) + p)
            n += 1
    for j, p in enumerate(pk):
        write(root, "fuzz_ip_hdr", j, p)
    print("seeds written under %s" % root)


if __name__ == "__main__":
    main()
