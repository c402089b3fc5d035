"""ipsec_interop.py - what the scapy interop scripts share: the guarded
scapy import, running ipsec_tool (tests/interop/ipsec_tool.c) on one
packet, random inner packets, and scapy's deviations from the RFCs that
the scripts undo (DESIGN §10.10 lists them):

 - ESP with a separate integrity algorithm and ESN: scapy leaves the high
   sequence bits out of the ICV (RFC 4303 2.2.1 puts them in);
 - IPv4 NAT-T: scapy writes a UDP length of 8;
 - IPv6 NAT-T: scapy writes a UDP checksum of 0 (receivers drop it);
 - scapy cannot take UDP-encapsulated IPv6 ESP apart: the UDP header is
   removed here (after checking it) before scapy decrypts.
"""
import hashlib
import hmac
import os
import random
import struct
import subprocess
import sys

SKIP = 77

try:
    from scapy.all import (IP, IPv6, UDP, TCP, ICMP, Raw, IPOption_NOP,
                           IPOption_Router_Alert, IPOption_RR,
                           IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                           IPv6ExtHdrRouting, RouterAlert, HBHOptUnknown,
                           conf)
    from scapy.layers.ipsec import SecurityAssociation, ESP, AH
    from scapy.layers.inet6 import in6_chksum
    if not conf.crypto_valid:
        raise ImportError("python3-cryptography missing")
except Exception as e:  # noqa: BLE001 - any import failure means skip
    print("SKIP: scapy (python3-scapy) cannot be imported: %s" % e)
    sys.exit(SKIP)


class Failures:
    def __init__(self):
        self.n = 0
        self.ok = 0

    def check(self, cond, what):
        if cond:
            self.ok += 1
        else:
            self.n += 1
            print("FAIL %s" % what)

    def done(self, name):
        print("%s: %d checks passed, %d failed" % (name, self.ok, self.n))
        sys.exit(1 if self.n else 0)


def tool(path, args, pkt):
    """Run ipsec_tool; return (exit code, output bytes, stderr text)."""
    r = subprocess.run([path] + args, input=pkt, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace").strip()


V4 = ("10.1.0.1", "10.2.0.2")
V6 = ("2001:db8:1::1", "2001:db8:2::2")
T4 = ("192.0.2.1", "198.51.100.2")
T6 = ("2001:db8:ff::1", "2001:db8:ff::2")


def inner_packet(rnd, fam, ext=False):
    """A random IPv4/IPv6 packet (UDP, TCP or ICMP), built by scapy."""
    body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 300)))
    kind = rnd.randrange(3)
    if fam == 4:
        ip = IP(src=V4[0], dst=V4[1], tos=rnd.randrange(256),
                flags=rnd.choice([0, 2]), id=rnd.randrange(65536),
                ttl=rnd.randrange(1, 256))
        if ext:
            ip.options = [IPOption_Router_Alert(), IPOption_NOP(),
                          IPOption_RR(routers=["10.9.9.9"])]
        l4 = [UDP(sport=rnd.randrange(1, 65536), dport=53),
              TCP(sport=rnd.randrange(1, 65536), dport=80, flags="PA"),
              ICMP(id=rnd.randrange(65536))][kind]
        return bytes(ip / l4 / Raw(body))
    ip = IPv6(src=V6[0], dst=V6[1], tc=rnd.randrange(256),
              fl=rnd.randrange(1 << 20), hlim=rnd.randrange(1, 256))
    if ext:
        ip = (ip / IPv6ExtHdrHopByHop(options=[
            RouterAlert(), HBHOptUnknown(otype=0x3e, optdata=b"ab")]) /
              IPv6ExtHdrDestOpt(options=[
                  HBHOptUnknown(otype=0x3f, optdata=b"xyzw")]))
    l4 = [UDP(sport=rnd.randrange(1, 65536), dport=53),
          TCP(sport=rnd.randrange(1, 65536), dport=80, flags="PA"),
          UDP(sport=7, dport=7)][kind]
    return bytes(ip / l4 / Raw(body))


def cls_of(raw):
    return IP if raw[0] >> 4 == 4 else IPv6


def l3_walk(raw):
    """(offset after the IP header and IPv6 extension headers, offset of
    the byte naming what follows) of a raw packet."""
    if raw[0] >> 4 == 4:
        return (raw[0] & 0xF) * 4, 9
    off, nh_off, nh = 40, 6, raw[6]
    while nh in (0, 43, 44, 60):
        cur, nh_off, nh = nh, off, raw[off]
        off += 8 if cur == 44 else (raw[off + 1] + 1) * 8
    return off, nh_off


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def natt_fix_scapy(raw):
    """Undo scapy's NAT-T deviations on a raw packet: UDP length 8
    (IPv4), checksum 0 (IPv6), and (IPv6 transport with extension
    headers) the last extension header naming ESP instead of UDP."""
    raw = bytearray(raw)
    off, nh_off = l3_walk(raw)
    if raw[0] >> 4 == 6:
        raw[nh_off] = 17
    ulen = len(raw) - off
    raw[off + 4:off + 6] = struct.pack("!H", ulen)
    raw[off + 6:off + 8] = b"\0\0"
    if raw[0] >> 4 == 6:
        pseudo = bytes(raw[8:40]) + struct.pack("!LxxxB", ulen, 17)
        c = 0xFFFF - csum16(pseudo + bytes(raw[off:]))
        raw[off + 6:off + 8] = struct.pack("!H", c or 0xFFFF)
    return bytes(raw)


def natt_strip(raw, sport, dport, f):
    """Check our UDP encapsulation and remove it, for scapy to decrypt."""
    p = cls_of(raw)(raw)
    u = p[UDP]
    f.check(u.sport == sport and u.dport == dport, "natt ports %d:%d" %
            (u.sport, u.dport))
    f.check(u.len == len(bytes(u)), "natt udp length %d" % u.len)
    if p.version == 4:
        f.check(u.chksum == 0, "natt ipv4 udp checksum 0")
    else:
        raw_u = bytearray(bytes(u))
        c = raw_u[6] << 8 | raw_u[7]
        raw_u[6:8] = b"\0\0"
        calc = in6_chksum(17, u, bytes(raw_u)) or 0xffff
        f.check(c != 0 and c == calc, "natt ipv6 udp checksum %04x, "
                "want %04x" % (c, calc))
    payload = bytes(u.payload)
    under = u.underlayer
    under.remove_payload()
    if isinstance(under, IP):
        under.proto = 50
    else:
        under.nh = 50
    if IP in p:
        del p[IP].len
        del p[IP].chksum
    else:
        del p[IPv6].plen
    return cls_of(raw)(bytes(p / Raw(payload)))


def esp_icv_esn(raw, algo_hash, key, icv_len, seq_hi, natt=False):
    """The RFC 4303 ICV of ESP with ESN: over SPI .. next header, then the
    high sequence bits."""
    off, _ = l3_walk(raw)
    if natt:
        off += 8
    esp = bytes(raw[off:])
    return hmac.new(key, esp[:-icv_len] + struct.pack("!L", seq_hi),
                    algo_hash).digest()[:icv_len]


def route_traverse(raw):
    """Deliver an IPv6 packet through its type 0 routing header as the
    routers on its path would (RFC 2460 4.4), for AH verification at the
    final destination."""
    p = IPv6(raw)
    if IPv6ExtHdrRouting not in p:
        return raw
    r = p[IPv6ExtHdrRouting]
    addrs = list(r.addresses)
    while r.segleft > 0:
        i = len(addrs) - r.segleft
        addrs[i], p.dst = p.dst, addrs[i]
        r.segleft -= 1
    r.addresses = addrs
    return bytes(p)


def rng():
    seed = int(os.environ.get("PARAPET_SEED", "0") or 0, 0) or \
        random.randrange(1 << 32)
    print("seed %d (PARAPET_SEED)" % seed)
    return random.Random(seed)


HASHES = {"hmac-sha256": (hashlib.sha256, 16, "SHA2-256-128", 32),
          "hmac-sha512": (hashlib.sha512, 32, "SHA2-512-256", 64),
          "hmac-sha1": (hashlib.sha1, 12, "HMAC-SHA1-96", 20),
          "hmac-sha384": (hashlib.sha384, 24, "SHA2-384-192", 48)}
# ESP encryption: key bytes (salt/nonce included) and IV bytes.
ENC_KEY = {"null": 0, "aes128gcm16": 20, "aes192gcm16": 28,
           "aes256gcm16": 36, "chacha20poly1305": 36, "aes128cbc": 16,
           "aes192cbc": 24, "aes256cbc": 32, "aes128ctr": 20,
           "aes192ctr": 28, "aes256ctr": 36}
ENC_IV = {"null": 0, "aes128cbc": 16, "aes192cbc": 16, "aes256cbc": 16}
