#!/usr/bin/python3
"""ipsecd_e2e.py - ipsecd end to end, driven by tests/e2e/ipsecd.sh.

    parapetd -- keyd (PF_KEY socket) -- ipsecd == ring0 == test netd
                  ^                                          ^
                  | PF_KEY ADD (lib/ipsecd_pfkey.py)         | socket
                  +---------------- this script -------------+

SAs are added through keyd's PF_KEY socket; packets go through the test
netd (tests/e2e/ipsecd_netd.c, ring side A) into ipsecd. scapy is the
independent implementation: outbound ESP/AH packets are decrypted by
scapy and must give back the originals; scapy-made ESP packets must come
back decrypted, with the SA that removed them in the metadata block.
The malformed-packet suite (packets built by hand with wrong padding,
next header, lengths; truncation at every offset, one flipped bit at
every position; unknown SPI, replay) checks for every packet the result
and that exactly the right counters moved (pkt.<result>, drop.<reason>).
Then ipsecd is killed with SIGKILL under traffic: after its restart the
traffic goes on, the ESP sequence numbers on the wire keep increasing (no
IV reused) and a packet accepted before the kill is still a replay.

    ipsecd_e2e.py RUN_DIR NETD_SOCKET PARAPETCTL [nostore]
With "nostore" (an instance whose ipsecd has no store): only the check
that a restarted ipsecd does not reuse SAs whose counters it lost.
Exit status 0, or 1 with a message.
"""
import hashlib
import hmac
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from ipsecd_pfkey import (PfKey, EALG_AES_GCM16, EALG_CHACHA20POLY1305,
                          EALG_NULL, AALG_SHA2_256HMAC, MODE_TRANSPORT,
                          MODE_TUNNEL, SAFLAGS_ESN)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.all import IP, IPv6, UDP, Raw, raw
from scapy.layers.ipsec import SecurityAssociation, ESP, AH

RUN, NETD_SOCK, CTL = sys.argv[1], sys.argv[2], sys.argv[3]

# common/pkt_ring.h, read independently: ops, results, the block.
PROTECT, UNPROTECT = 1, 2
RESULTS = ["ok", "no_sa", "unknown_spi", "replay", "auth", "malformed",
           "dummy", "keepalive", "too_big", "policy", "seq_exhausted",
           "no_room", "bad_meta", "sa_unusable", "internal", "ring_range",
           "recovered", "unknown"]


def result_name(r):
    if r == 0:
        return "ok"
    if r == -74:            # -EBADMSG
        return "ring_range"
    if r == -103:           # -ECONNABORTED
        return "recovered"
    v = -r - 512
    if 0 < v < len(RESULTS):
        return RESULTS[v]
    return "errno%d" % -r


def entry(proto=50, mode=MODE_TRANSPORT, level=2, reqid=0, policy=1,
          src=None, dst=None):
    fam = 0
    s = d = bytes(16)
    if dst is not None and ":" in dst:
        fam = 6
        s = socket.inet_pton(socket.AF_INET6, src)
        d = socket.inet_pton(socket.AF_INET6, dst)
    elif dst is not None:
        fam = 4
        s = socket.inet_aton(src) + bytes(12)
        d = socket.inet_aton(dst) + bytes(12)
    return struct.pack("<BBBBIIIQ", proto, mode, level, fam, reqid, policy,
                       0, 0) + s + d


def meta(op, entries=(), dfbit=0, ecn=0, ttl=64, cleartos=1, mask=0,
         mtu=0, magic=0x4d50, version=1, n=None):
    e = list(entries) + [bytes(56)] * (2 - len(entries))
    return struct.pack("<HBBBBBBBBHHH", magic, version, op,
                       len(entries) if n is None else n, dfbit, ecn, ttl,
                       cleartos, 0, mask, mtu, 0) + e[0] + e[1]


def fail(why):
    sys.exit("ipsecd_e2e: FAIL: " + why)


def log(what):
    print("ipsecd_e2e: " + what, file=sys.stderr, flush=True)


class Netd:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(30)
        self.s.connect(path)
        self.id = 0

    def send(self, op, m, pkt, off=0):
        self.id += 1
        self.s.send(struct.pack("<IBH", self.id, op, off) + m + pkt)
        return self.id

    def recv(self):
        b = self.s.recv(70000)
        rid, op, res, hint, off, ln, flags = struct.unpack_from("<IBhIHHB", b)
        return {"id": rid, "op": op, "result": result_name(res),
                "hint": hint, "off": off, "len": ln, "flags": flags,
                "meta": b[16:144], "pkt": b[144:144 + ln]}

    def call(self, op, m, pkt, off=0):
        rid = self.send(op, m, pkt, off)
        r = self.recv()
        if r["id"] != rid:
            fail("reply %d for request %d" % (r["id"], rid))
        return r


def ctl_status():
    out = subprocess.run([CTL, "-r", RUN, "status"], capture_output=True,
                         text=True).stdout
    st = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] in ("keyd", "policyd", "ipsecd", "netd"):
            st[f[0]] = (f[1], f[2])
    return st


def ctl_counters(name):
    out = subprocess.run([CTL, "-r", RUN, "counters", name],
                         capture_output=True, text=True).stdout
    c = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2:
            c[f[0]] = int(f[1])
    return c


def until(what, secs, fn):
    end = time.time() + secs
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    fail("timed out: " + what)


# ---- SAs ----
KEY_GCM_OUT = bytes(range(1, 37))
KEY_GCM_IN = bytes(range(101, 137))
KEY_CC_OUT = bytes(range(50, 86))
KEY_AUTH = bytes(range(200, 232))
A, B = "10.0.0.1", "10.0.0.2"
GA, GB = "192.0.2.1", "192.0.2.2"

pf = PfKey(os.path.join(RUN, "pfkey.sock"))

if len(sys.argv) > 4 and sys.argv[4] == "nostore":
    # ipsecd restarted without a store (no store_records in [server
    # ipsecd]) must not use the SAs keyd already had: their sequence
    # numbers died with the killed process, and counting again from 1
    # would repeat (key, IV) pairs. A new SA is used.
    nd = Netd(NETD_SOCK)
    mo = meta(PROTECT, [entry()])

    def prot(i):
        return nd.call(PROTECT, mo, raw(IP(src=A, dst=B, id=i) /
                                        UDP(sport=i, dport=53)))
    pf.add(0x2001, A, B, ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT)
    until("ipsecd has the SA", 20, lambda: prot(1)["result"] == "ok")
    pid = ctl_status()["ipsecd"][0]
    os.kill(int(pid), signal.SIGKILL)
    until("ipsecd restarted", 30, lambda: (
        lambda s: s.get("ipsecd", ("", ""))[1] == "ready" and
        s["ipsecd"][0] != pid)(ctl_status()))
    until("ipsecd synced", 10,
          lambda: ctl_counters("ipsecd").get("sync.done", 0) >= 1)
    r = prot(2)
    if r["result"] != "no_sa":
        fail("restarted without a store: %s" % r["result"])
    if ctl_counters("ipsecd").get("sa.stale", 0) != 1:
        fail("sa.stale not counted")
    pf.add(0x2002, A, B, ealg=EALG_AES_GCM16, ekey=KEY_GCM_IN)
    until("the new SA is used", 10, lambda: prot(3)["result"] == "ok")
    log("no store: after a restart the old SA is not used, a new one is")
    sys.exit(0)
pf.add(0x2001, A, B, ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT)
pf.add(0x3001, B, A, ealg=EALG_AES_GCM16, ekey=KEY_GCM_IN)
pf.add(0x2002, GA, GB, mode=MODE_TUNNEL, reqid=7,
       ealg=EALG_CHACHA20POLY1305, ekey=KEY_CC_OUT)
pf.add(0x2003, A, "10.0.0.3", proto="ah", aalg=AALG_SHA2_256HMAC,
       akey=KEY_AUTH)
pf.add(0x3003, B, A, ealg=EALG_NULL, aalg=AALG_SHA2_256HMAC, akey=KEY_AUTH,
       mode=MODE_TUNNEL)

sa_out = SecurityAssociation(ESP, spi=0x2001, crypt_algo="AES-GCM",
                             crypt_key=KEY_GCM_OUT)
sa_in = SecurityAssociation(ESP, spi=0x3001, crypt_algo="AES-GCM",
                            crypt_key=KEY_GCM_IN)
sa_tun = SecurityAssociation(ESP, spi=0x2002, crypt_algo="CHACHA20-POLY1305",
                             crypt_key=KEY_CC_OUT,
                             tunnel_header=IP(src=GA, dst=GB))
sa_ah = SecurityAssociation(AH, spi=0x2003, auth_algo="SHA2-256-128",
                            auth_key=KEY_AUTH)
sa_in_tun = SecurityAssociation(ESP, spi=0x3003, crypt_algo="NULL",
                                auth_algo="SHA2-256-128", auth_key=KEY_AUTH,
                                tunnel_header=IP(src=B, dst=A))

netd = Netd(NETD_SOCK)
M_OUT = meta(PROTECT, [entry()])
M_IN = meta(UNPROTECT)


def inner(i, src=A, dst=B):
    return raw(IP(src=src, dst=dst, id=i, ttl=64) /
               UDP(sport=1000 + i, dport=53) / Raw(b"payload %05d" % i))


def esp_seq(pkt):
    return struct.unpack_from("!I", pkt, 24)[0]


# ipsecd learns SAs from keyd asynchronously: wait for the first one.
until("ipsecd has the outbound SA", 20,
      lambda: netd.call(PROTECT, M_OUT, inner(0))["result"] == "ok")

# ---- outbound: transport ESP (AES-GCM), checked by scapy ----
last = 0
for i in range(1, 41):
    p = inner(i)
    r = netd.call(PROTECT, M_OUT, p)
    if r["result"] != "ok":
        fail("protect %d: %s" % (i, r["result"]))
    q = IP(r["pkt"])
    if q.proto != 50 or q[ESP].spi != 0x2001:
        fail("protect %d: not ESP spi 0x2001: %r" % (i, q))
    if esp_seq(r["pkt"]) <= last:
        fail("protect %d: sequence %d after %d" % (i, esp_seq(r["pkt"]),
                                                   last))
    last = esp_seq(r["pkt"])
    d = sa_out.decrypt(q)
    if raw(IP(raw(d))) != p:
        fail("protect %d: scapy decrypts to something else:\n%r\n%r" %
             (i, IP(p), d))
log("outbound transport ESP AES-GCM: 40 packets ok, last seq %d" % last)

# ---- outbound: tunnel ESP (ChaCha20-Poly1305) with reqid 7 (unique) ----
M_TUN = meta(PROTECT, [entry(mode=MODE_TUNNEL, level=3, reqid=7, src=GA,
                             dst=GB)], dfbit=1)
for i in range(1, 11):
    p = inner(i, "172.16.0.1", "172.16.1.1")
    r = netd.call(PROTECT, M_TUN, p)
    if r["result"] != "ok":
        fail("tunnel protect %d: %s" % (i, r["result"]))
    q = IP(r["pkt"])
    if q.src != GA or q.dst != GB or q[ESP].spi != 0x2002:
        fail("tunnel protect %d: outer %s -> %s" % (i, q.src, q.dst))
    d = sa_tun.decrypt(q)
    if raw(d) != p:
        fail("tunnel protect %d: scapy decrypts to something else" % i)
log("outbound tunnel ESP ChaCha20-Poly1305: 10 packets ok")
# The same request with another reqid: no SA -> ACQUIRE, dropped.
r = netd.call(PROTECT, meta(PROTECT, [entry(mode=MODE_TUNNEL, level=3,
                                            reqid=8, src=GA, dst=GB)]),
              inner(1))
if r["result"] != "no_sa":
    fail("unique:8 without SA: %s" % r["result"])
# That sent an ACQUIRE to keyd (counted before the answer reached us);
# the next packets of the policy wait for it. (The first packets above
# may have asked for the outbound SA too: compare, not count.)
c0 = ctl_counters("ipsecd")
for i in range(3):
    netd.call(PROTECT, meta(PROTECT, [entry(mode=MODE_TUNNEL, level=3,
                                            reqid=8, src=GA, dst=GB)]),
              inner(1))
c = ctl_counters("ipsecd")
if c.get("acquire.sent") != c0.get("acquire.sent") or \
        c.get("acquire.limited") != c0.get("acquire.limited", 0) + 3 or \
        c.get("pkt.no_sa") != c0.get("pkt.no_sa", 0) + 3 or \
        c0.get("acquire.sent", 0) < 1:
    fail("acquire rate limit: %r" % c)

# ---- outbound: AH transport (HMAC-SHA-256-128) ----
M_AH = meta(PROTECT, [entry(proto=51)])
for i in range(1, 6):
    p = inner(i, A, "10.0.0.3")
    r = netd.call(PROTECT, M_AH, p)
    if r["result"] != "ok":
        fail("ah protect %d: %s" % (i, r["result"]))
    q = IP(r["pkt"])
    if q.proto != 51:
        fail("ah protect %d: not AH" % i)
    d = sa_ah.decrypt(q)
    if raw(IP(raw(d))) != p:
        fail("ah protect %d: scapy verifies to something else" % i)
log("outbound transport AH HMAC-SHA-256: 5 packets ok")

# ---- a bundle: ESP inside AH (KAME "esp/transport//require
# ah/transport//require"), both directions, two SAs per packet ----
pf.add(0x2008, A, B, proto="ah", aalg=AALG_SHA2_256HMAC, akey=KEY_AUTH)
pf.add(0x3008, B, A, proto="ah", aalg=AALG_SHA2_256HMAC, akey=KEY_AUTH)
pf.add(0x3009, B, A, ealg=EALG_AES_GCM16, ekey=KEY_GCM_IN)
sa_ah_b = SecurityAssociation(AH, spi=0x2008, auth_algo="SHA2-256-128",
                              auth_key=KEY_AUTH)
sa_esp_bin = SecurityAssociation(ESP, spi=0x3009, crypt_algo="AES-GCM",
                                 crypt_key=KEY_GCM_IN)
M_BUNDLE = meta(PROTECT, [entry(), entry(proto=51)])


def ah_wrap(spi, seq, pkt, key=KEY_AUTH):
    """AH transport (RFC 4302, HMAC-SHA-256-128) around an IPv4 packet
    without options, built here: scapy 2.5 writes an ICV of zeros when
    the payload is ESP. Mutable fields zeroed for the ICV: TOS (as
    ah_cleartos = 1), flags and offset (ah_offsetmask = 0), TTL,
    checksum."""
    ip = IP(pkt)
    body = raw(ip.payload)
    ah = struct.pack("!BBHII", ip.proto, 5, 0, spi, seq)
    hdr = IP(raw(IP(src=ip.src, dst=ip.dst, id=ip.id, proto=51, tos=0,
                    ttl=0, len=20 + 28 + len(body))))
    zeroed = bytearray(raw(hdr))
    zeroed[10:12] = b"\0\0"
    icv = hmac.new(key, bytes(zeroed) + ah + bytes(16) + body,
                   hashlib.sha256).digest()[:16]
    return raw(IP(src=ip.src, dst=ip.dst, id=ip.id, proto=51, tos=ip.tos,
                  ttl=ip.ttl) / Raw(ah + icv + body))
until("ipsecd has the bundle's AH SA", 20, lambda: netd.call(
    PROTECT, M_BUNDLE, inner(0))["result"] == "ok")
for i in range(1, 6):
    p = inner(i)
    r = netd.call(PROTECT, M_BUNDLE, p)
    q = IP(r["pkt"]) if r["result"] == "ok" else None
    if q is None or q.proto != 51 or q[AH].spi != 0x2008 or q[AH].nh != 50:
        fail("bundle protect %d: %s" % (i, r["result"]))
    e = IP(raw(sa_ah_b.decrypt(q)))
    if e.proto != 50 or raw(IP(raw(sa_out.decrypt(e)))) != p:
        fail("bundle protect %d: scapy unwraps to something else" % i)
    p = inner(i, B, A)
    w = ah_wrap(0x3008, i, raw(sa_esp_bin.encrypt(IP(p), seq_num=i)))
    r = netd.call(UNPROTECT, M_IN, w)
    if r["result"] != "ok" or r["pkt"] != p:
        fail("bundle unprotect %d: %s" % (i, r["result"]))
    n = r["meta"][4]
    outer = struct.unpack_from("<BBBBIIIQ", r["meta"], 16)
    inner_sa = struct.unpack_from("<BBBBIIIQ", r["meta"], 72)
    if n != 2 or (outer[0], outer[6]) != (51, 0x3008) or \
            (inner_sa[0], inner_sa[6]) != (50, 0x3009):
        fail("bundle unprotect %d: result block %r" %
             (i, r["meta"][:128].hex()))
log("bundle ESP inside AH: 5 packets each way ok, both SAs in the block")

# ---- IPv6 with ESN, and NAT-T (RFC 3948), both directions ----
A6, B6 = "2001:db8::1", "2001:db8::2"
pf.add(0x2006, A6, B6, ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT,
       flags=SAFLAGS_ESN)
pf.add(0x3006, B6, A6, ealg=EALG_AES_GCM16, ekey=KEY_GCM_IN,
       flags=SAFLAGS_ESN)
pf.add(0x2007, A, "10.0.0.7", ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT,
       natt=(4500, 4500))
pf.add(0x3007, "10.0.0.7", A, ealg=EALG_AES_GCM16, ekey=KEY_GCM_IN,
       natt=(4500, 4500))
sa6_out = SecurityAssociation(ESP, spi=0x2006, crypt_algo="AES-GCM",
                              crypt_key=KEY_GCM_OUT, esn_en=True, esn=0)
sa6_in = SecurityAssociation(ESP, spi=0x3006, crypt_algo="AES-GCM",
                             crypt_key=KEY_GCM_IN, esn_en=True, esn=0)
sa7_out = SecurityAssociation(ESP, spi=0x2007, crypt_algo="AES-GCM",
                              crypt_key=KEY_GCM_OUT)
sa7_in = SecurityAssociation(ESP, spi=0x3007, crypt_algo="AES-GCM",
                             crypt_key=KEY_GCM_IN)


def inner6(i, src=A6, dst=B6):
    return raw(IPv6(src=src, dst=dst, hlim=64) /
               UDP(sport=2000 + i, dport=53) / Raw(b"six %05d" % i))


until("ipsecd has the IPv6 SA", 20, lambda: netd.call(
    PROTECT, M_OUT, inner6(0))["result"] == "ok")
for i in range(1, 6):
    p = inner6(i)
    r = netd.call(PROTECT, M_OUT, p)
    q = IPv6(r["pkt"]) if r["result"] == "ok" else None
    if q is None or q.nh != 50 or q[ESP].spi != 0x2006:
        fail("v6 protect %d: %s" % (i, r["result"]))
    if raw(IPv6(raw(sa6_out.decrypt(q)))) != p:
        fail("v6 protect %d: scapy decrypts to something else" % i)
    p = inner6(i, B6, A6)
    r = netd.call(UNPROTECT, M_IN, raw(sa6_in.encrypt(IPv6(p), seq_num=i)))
    if r["result"] != "ok" or r["pkt"] != p:
        fail("v6 unprotect %d: %s" % (i, r["result"]))
log("IPv6 transport ESP AES-GCM with ESN: 5 packets each way ok")
until("ipsecd has the NAT-T SA", 20, lambda: netd.call(
    PROTECT, M_OUT, inner(0, A, "10.0.0.7"))["result"] == "ok")
for i in range(1, 6):
    p = inner(i, A, "10.0.0.7")
    r = netd.call(PROTECT, M_OUT, p)
    if r["result"] != "ok":
        fail("nat-t protect %d: %s" % (i, r["result"]))
    q = IP(r["pkt"])
    u = q[UDP]
    if q.proto != 17 or u.sport != 4500 or u.dport != 4500 or \
            u.len != q.len - 20:
        fail("nat-t protect %d: UDP %r" % (i, u))
    e = IP(tos=q.tos, id=q.id, flags=q.flags, frag=q.frag, ttl=q.ttl,
           proto=50, src=q.src, dst=q.dst) / Raw(raw(u.payload))
    if raw(IP(raw(sa7_out.decrypt(IP(raw(e)))))) != p:
        fail("nat-t protect %d: scapy decrypts to something else" % i)
    # Inbound: scapy's ESP in a UDP header of the right length (scapy
    # 2.5 itself writes a UDP length of 8).
    p = inner(i, "10.0.0.7", A)
    esp = raw(sa7_in.encrypt(IP(p), seq_num=i))[20:]
    w = raw(IP(src="10.0.0.7", dst=A, id=i) /
            UDP(sport=4500, dport=4500) / Raw(esp))
    r = netd.call(UNPROTECT, M_IN, w)
    if r["result"] != "ok" or r["pkt"] != p:
        fail("nat-t unprotect %d: %s" % (i, r["result"]))
r = netd.call(UNPROTECT, M_IN, raw(IP(src="10.0.0.7", dst=A) /
                                   UDP(sport=4500, dport=4500) /
                                   Raw(b"\xff")))
if r["result"] != "keepalive":
    fail("nat-t keepalive: %s" % r["result"])
log("NAT-T ESP AES-GCM: 5 packets each way ok, keepalive dropped")

# ---- inbound: scapy-made ESP comes back decrypted ----
accepted = []
for i in range(1, 21):
    p = inner(i, B, A)
    e = raw(sa_in.encrypt(IP(p), seq_num=i))
    r = netd.call(UNPROTECT, M_IN, e)
    if r["result"] != "ok":
        fail("unprotect %d: %s" % (i, r["result"]))
    if r["pkt"] != p:
        fail("unprotect %d: got %r want %r" % (i, IP(r["pkt"]), IP(p)))
    magic, ver, op, n = struct.unpack_from("<HBBB", r["meta"])
    proto, mode, level, fam, reqid, pol, spi, gen = \
        struct.unpack_from("<BBBBIIIQ", r["meta"], 16)
    if (magic, ver, op, n, proto, mode, spi, fam) != \
            (0x4d50, 1, UNPROTECT, 1, 50, 1, 0x3001, 4) or gen == 0:
        fail("unprotect %d: result block %r" % (i, r["meta"][:40].hex()))
    accepted.append(e)
log("inbound transport ESP AES-GCM: 20 packets ok")
for i in range(1, 6):
    p = inner(i, "172.16.1.1", "172.16.0.1")
    e = raw(sa_in_tun.encrypt(IP(p), seq_num=i))
    r = netd.call(UNPROTECT, M_IN, e)
    if r["result"] != "ok" or r["pkt"] != p:
        fail("tunnel unprotect %d: %s" % (i, r["result"]))
log("inbound tunnel ESP NULL+HMAC-SHA-256: 5 packets ok")

# ---- drops, each with its reason ----
# A packet never seen (a flipped bit in a seen one is a replay: the
# window is checked before the ICV).
fresh = raw(sa_in.encrypt(IP(inner(50, B, A)), seq_num=50))
checks = [
    ("replay", netd.call(UNPROTECT, M_IN, accepted[3])),
    ("unknown_spi", netd.call(UNPROTECT, M_IN, raw(
        SecurityAssociation(ESP, spi=0x9999, crypt_algo="AES-GCM",
                            crypt_key=KEY_GCM_IN).encrypt(
                                IP(inner(1, B, A)), seq_num=1)))),
    ("auth", netd.call(UNPROTECT, M_IN, fresh[:40] +
                       bytes([fresh[40] ^ 1]) + fresh[41:])),
    ("malformed", netd.call(UNPROTECT, M_IN, accepted[0][:30])),
    ("bad_meta", netd.call(PROTECT, meta(PROTECT, [entry()], magic=1),
                           inner(1))),
    ("bad_meta", netd.call(PROTECT, meta(PROTECT, [entry()], dfbit=3),
                           inner(1))),
    ("bad_meta", netd.call(PROTECT, M_OUT, inner(1), off=100)),
    ("bad_meta", netd.call(UNPROTECT, M_OUT, accepted[0])),
    ("too_big", netd.call(PROTECT, meta(PROTECT, [entry()], mtu=1400),
                          raw(IP(src=A, dst=B) / UDP() / Raw(bytes(1360))))),
]
for want, r in checks:
    if r["result"] != want:
        fail("drop: want %s, got %s" % (want, r["result"]))
big = checks[-1][1]
if big["hint"] >= 1400 or big["hint"] < 1300 or len(big["pkt"]) != 1388:
    fail("too_big: hint %d, len %d" % (big["hint"], len(big["pkt"])))
log("drops: replay, unknown SPI, auth, malformed, bad metadata, too big ok")

# ---- the malformed-packet suite: every drop with its precise counter ----
# Packets built here by hand (RFC 4106 / RFC 4303, with the cryptography
# package scapy itself uses), so padding, next header and lengths can be
# wrong on purpose; each group checks pkt.<result> and drop.<reason>.
KEY_SUITE = bytes(range(150, 186))
pf.add(0x3010, B, A, ealg=EALG_AES_GCM16, ekey=KEY_SUITE)


def esp_body(data, nh, pad, padlen):
    if pad is None:
        pad = bytes(range(1, (-(len(data) + 2)) % 4 + 1))
    return data + pad + bytes([len(pad) if padlen is None else padlen, nh])


def esp_gcm(spi, seq, data, nh=17, pad=None, padlen=None, key=KEY_SUITE):
    hdr, iv = struct.pack("!II", spi, seq), struct.pack("!Q", seq)
    ct = AESGCM(key[:32]).encrypt(key[32:] + iv,
                                  esp_body(data, nh, pad, padlen), hdr)
    return raw(IP(src=B, dst=A, proto=50) / Raw(hdr + iv + ct))


def esp_null(spi, seq, data, nh, pad=None, padlen=None, key=KEY_AUTH):
    body = struct.pack("!II", spi, seq) + esp_body(data, nh, pad, padlen)
    icv = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return raw(IP(src=B, dst=A, proto=50) / Raw(body + icv))


def drops():
    return {k: v for k, v in ctl_counters("ipsecd").items()
            if k.startswith("drop.") or k.startswith("pkt.")}


def moved(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if after.get(k, 0) != before.get(k, 0)}


def expect(what, before, want):
    got = moved(before, drops())
    if got != want:
        fail("%s: counters moved %r, want %r" % (what, got, want))


UDP9 = raw(UDP(sport=9, dport=9) / Raw(b"xyz"))    # 11 bytes: 3 pad bytes
until("ipsecd has SA 0x3010", 20, lambda: netd.call(
    UNPROTECT, M_IN, esp_gcm(0x3010, 1, UDP9))["result"] == "ok")
rows = [
    ("bad padding", esp_gcm(0x3010, 2, UDP9, pad=b"\x01\x02\x09"),
     "malformed", "drop.esp_pad"),
    ("pad length past the payload", esp_gcm(0x3010, 3, UDP9,
                                            pad=b"\x01\x02\x03",
                                            padlen=200),
     "malformed", "drop.esp_padlen"),
    ("dummy (next header 59)", esp_gcm(0x3010, 4, UDP9, nh=59),
     "dummy", "drop.esp_dummy"),
    ("tunnel, next header UDP", esp_null(0x3003, 100, UDP9, 17),
     "malformed", "drop.esp_nexthdr"),
    ("tunnel, inner header bad", esp_null(0x3003, 101, bytes(20), 4),
     "malformed", "drop.inner"),
    ("flipped tag bit", esp_gcm(0x3010, 5, UDP9)[:-1] +
     bytes([esp_gcm(0x3010, 5, UDP9)[-1] ^ 0x80]),
     "auth", "drop.esp_auth"),
    ("zero SPI", esp_gcm(0, 6, UDP9), "malformed", "drop.esp_spi_zero"),
    ("not ESP", raw(IP(src=B, dst=A) / UDP9), "malformed", "drop.ip_proto"),
    ("IPv4 fragment", raw(IP(src=B, dst=A, proto=50, flags="MF") /
                          Raw(bytes(40))),
     "malformed", "drop.ip_fragment"),
]
bad_csum = bytearray(inner(7))
bad_csum[10] ^= 0xff
out_rows = [
    ("protect: bad IPv4 checksum", bytes(bad_csum), "malformed",
     "drop.ip_csum"),
    ("protect: 10 bytes", inner(7)[:10], "malformed", "drop.ip_short"),
    ("protect: version 5", bytes([0x55]) + inner(7)[1:], "malformed",
     "drop.ip_version"),
]
for op, m, table in ((PROTECT, M_OUT, out_rows), (UNPROTECT, M_IN, rows)):
    for what, pkt, res, ctr in table:
        c0 = drops()
        r = netd.call(op, m, pkt)
        if r["result"] != res:
            fail("%s: %s, want %s" % (what, r["result"], res))
        expect(what, c0, {"pkt." + res: 1, ctr: 1})
c0 = drops()
if netd.call(UNPROTECT, M_IN, esp_gcm(0x3011, 1, UDP9))["result"] != \
        "unknown_spi" or netd.call(UNPROTECT, M_IN, esp_gcm(
            0x3010, 1, UDP9))["result"] != "replay":
    fail("unknown SPI / replay")
expect("unknown SPI, replay", c0, {"pkt.unknown_spi": 1, "pkt.replay": 1})

# Truncation at every offset, as cut (the IP length then overruns) ...
good = esp_gcm(0x3010, 200, UDP9)
L = len(good)
c0 = drops()
for k in range(L):
    if netd.call(UNPROTECT, M_IN, good[:k])["result"] != "malformed":
        fail("cut at %d: not malformed" % k)
expect("cut at every offset", c0, {"pkt.malformed": L, "drop.ip_short": 20,
                                   "drop.ip_len": L - 20})
# ... and with the IP length and checksum fixed (the ESP part is short).
want = {"pkt.malformed": 0}
c0 = drops()
for k in range(20, L):
    p = IP(good[:20])
    p.len = k
    del p.chksum
    r = netd.call(UNPROTECT, M_IN, raw(p)[:20] + good[20:k])
    x = k - 20                  # ESP bytes: hdr 8, IV 8, trailer 2, ICV 16
    why = ("esp_short" if x < 34 else
           "esp_align" if (x - 32) % 4 != 0 else "esp_auth")
    res = "auth" if why == "esp_auth" else "malformed"
    if r["result"] != res:
        fail("truncated to %d: %s, want %s" % (k, r["result"], res))
    want["pkt." + res] = want.get("pkt." + res, 0) + 1
    want["drop." + why] = want.get("drop." + why, 0) + 1
want = {k: v for k, v in want.items() if v}
expect("ESP truncated at every offset", c0, want)

# One flipped bit at every position of a packet never seen.
fresh = esp_gcm(0x3010, 1000, UDP9)
c0 = drops()
tally = {}
for bit in range(8 * len(fresh)):
    b = bytearray(fresh)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    res = netd.call(UNPROTECT, M_IN, bytes(b))["result"]
    where = "ip" if bit < 160 else "spi" if bit < 192 else \
        "seq" if bit < 224 else "rest"
    ok = {"ip": ("malformed",), "spi": ("unknown_spi",),
          "seq": ("auth", "replay"), "rest": ("auth",)}[where]
    if res not in ok:
        fail("bit %d (%s) flipped: %s" % (bit, where, res))
    tally[res] = tally.get(res, 0) + 1
got = moved(c0, drops())
ipd = sum(v for k, v in got.items() if k.startswith("drop.ip_"))
if ipd != 160 or got.get("drop.esp_auth", 0) != tally.get("auth", 0) or \
        got.get("pkt.unknown_spi", 0) != 32 or \
        sum(v for k, v in got.items() if k.startswith("drop.")) != \
        160 + tally.get("auth", 0):
    fail("flipped bits: counters moved %r for results %r" % (got, tally))
log("malformed suite: %d rows, %d cuts, %d truncations, %d flipped bits, "
    "each with its drop counter (%s)" % (
        len(rows) + len(out_rows) + 2, L, L - 20, 8 * len(fresh),
        " ".join("%s=%d" % (k, v) for k, v in sorted(got.items()))))

# ---- kill -9 of ipsecd under traffic ----
# Traffic first, then one burst of 200 in one batch, with ipsecd killed
# the moment the batch is in the ring (by the test netd, microseconds
# later), then more traffic: everything comes back, ok or recovered.
pid = ctl_status()["ipsecd"][0]
sent, got = {}, []
N, KILL_AT, WINDOW, BURST = 400, 100, 32, 200
i = 0
while i < N or len(got) < len(sent):
    while i < N and len(sent) - len(got) < WINDOW:
        i += 1
        if i == KILL_AT:
            netd.id += 1
            base = netd.id
            netd.id += BURST - 1
            big = raw(IP(src=A, dst=B, id=KILL_AT) / UDP(sport=9, dport=9) /
                      Raw(bytes(1300)))
            netd.s.send(struct.pack("<IBHI", base, 0xff, BURST, int(pid)) +
                        M_OUT + big)
            for k in range(BURST):
                sent[base + k] = big
            log("burst of %d, ipsecd pid %s killed with it" % (BURST, pid))
            continue
        sent[netd.send(PROTECT, M_OUT, inner(i))] = inner(i)
    got.append(netd.recv())
newpid = until("ipsecd restarted", 30, lambda: (
    lambda s: s["ipsecd"][0] if s.get("ipsecd", ("", ""))[1] == "ready" and
    s["ipsecd"][0] != pid else None)(ctl_status()))
ok = [r for r in sorted(got, key=lambda r: r["id"]) if r["result"] == "ok"]
other = [r["result"] for r in got if r["result"] != "ok"]
if any(x != "recovered" for x in other):
    fail("kill: results other than ok/recovered: %r" % sorted(set(other)))
seqs = [esp_seq(r["pkt"]) for r in ok]
if seqs[0] <= last:
    fail("kill: sequence %d after %d" % (seqs[0], last))
for a, b in zip(seqs, seqs[1:]):
    if b <= a:
        fail("kill: sequence %d after %d: reused across the restart" %
             (b, a))
for r in ok:
    if raw(IP(raw(sa_out.decrypt(IP(r["pkt"]))))) != sent[r["id"]]:
        fail("kill: request %d: scapy decrypts to something else" % r["id"])
after_kill = [r for r in ok if r["id"] > base + BURST - 1]
if len(after_kill) != N - KILL_AT:
    fail("kill: %d packets after the kill, want %d" % (len(after_kill),
                                                       N - KILL_AT))
log("kill -9: %d ok (%d recovered), sequence %d..%d strictly increasing, "
    "new ipsecd pid %s" % (len(ok), len(other), seqs[0], seqs[-1], newpid))
# Traffic goes on and the window survived: an old packet is a replay.
r = netd.call(UNPROTECT, M_IN, accepted[-1])
if r["result"] != "replay":
    fail("after kill: replayed packet: %s" % r["result"])
p = inner(21, B, A)
r = netd.call(UNPROTECT, M_IN, raw(sa_in.encrypt(IP(p), seq_num=21)))
if r["result"] != "ok" or r["pkt"] != p:
    fail("after kill: new inbound packet: %s" % r["result"])
r = netd.call(PROTECT, M_OUT, inner(999))
if r["result"] != "ok" or esp_seq(r["pkt"]) <= seqs[-1]:
    fail("after kill: protect: %s" % r["result"])
c = ctl_counters("ipsecd")
if c.get("server.restarts", 0) < 1 or c.get("pkt.ok", 0) < 1:
    fail("counters after restart: %r" % c)
log("after kill: replay rejected, new packets ok, counters %s" %
    " ".join("%s=%d" % (k, v) for k, v in sorted(c.items())
             if k.startswith("pkt.") and v))

# ---- lifetimes: a hard limit of 5 packets ----
pf.add(0x2005, A, "10.0.0.5", ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT,
       hard_packets=5, soft_packets=3)
M5 = meta(PROTECT, [entry()])
until("ipsecd has SA 0x2005", 20, lambda: netd.call(
    PROTECT, M5, inner(0, A, "10.0.0.5"))["result"] == "ok")
res = [netd.call(PROTECT, M5, inner(i, A, "10.0.0.5"))["result"]
       for i in range(1, 8)]
# (The packet that found the SA counts too: 1 + 4 = 5.) The sixth is
# refused by ipsecd itself, or, once keyd's DELETE is in, has no SA.
if res[:4] != ["ok"] * 4 or \
        any(r not in ("sa_unusable", "no_sa") for r in res[4:]):
    fail("hard limit 5: %r" % res)
# keyd expires it on our report (at once, not at the next tick) and
# ipsecd deletes it: then there is no SA at all.
until("keyd expired SA 0x2005", 10, lambda: netd.call(
    PROTECT, M5, inner(9, A, "10.0.0.5"))["result"] == "no_sa")
# The soft limit (3) came back from keyd as an UPDATE (DYING).
if ctl_counters("ipsecd").get("sa.updated", 0) < 1:
    fail("no UPDATE after the soft limit")
log("lifetimes: soft limit -> UPDATE; 5 packets, then unusable, then "
    "deleted by keyd")

# ---- keyd restarts: ipsecd resynchronises, events flow again ----
kpid = ctl_status()["keyd"][0]
os.kill(int(kpid), signal.SIGKILL)
until("keyd restarted", 30, lambda: (
    lambda s: s.get("keyd", ("", ""))[1] == "ready" and
    s["keyd"][0] != kpid)(ctl_status()))
until("ipsecd resynchronised", 10, lambda:
      ctl_counters("ipsecd").get("sync.done", 0) >= 2)
pf = PfKey(os.path.join(RUN, "pfkey.sock"))
pf.add(0x2004, A, "10.0.0.4", ealg=EALG_AES_GCM16, ekey=KEY_GCM_OUT)
until("SA added after keyd's restart", 10, lambda: netd.call(
    PROTECT, M_OUT, inner(1, A, "10.0.0.4"))["result"] == "ok")
pf.delete(0x2003, A, "10.0.0.3", proto="ah")
until("AH SA deleted", 10, lambda: netd.call(
    PROTECT, M_AH, inner(1, A, "10.0.0.3"))["result"] == "no_sa")
r = netd.call(PROTECT, M_OUT, inner(1000))
if r["result"] != "ok" or esp_seq(r["pkt"]) <= seqs[-1]:
    fail("after keyd restart: %s" % r["result"])
log("keyd kill -9: ipsecd resynchronised; add and delete reach it")

# ---- a figure: packets per second through the rings ----
# (Printed, not asserted: tests assert behaviour, not speed.)
def cpu_s(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


ipid = ctl_status()["ipsecd"][0]
for size in (64, 1400):
    pkt = raw(IP(src=A, dst=B) / UDP(sport=7, dport=7) /
              Raw(bytes(size - 28)))
    netd.id += 1
    c0 = cpu_s(ipid)
    netd.s.send(struct.pack("<IBH", netd.id, 0xfe, 1) + M_OUT + pkt)
    b = netd.s.recv(64)
    _, done, okn, ns, ref, rns = struct.unpack("<IQQQQQ", b)
    cpu = cpu_s(ipid) - c0
    if okn != done or done == 0:
        fail("throughput run: %d of %d ok" % (okn, done))
    pps, rpps = done * 1e9 / ns, ref * 1e9 / rns
    log("through the rings, AES-256-GCM ESP, %d bytes: %.0f packets/s; "
        "raw AES-256-GCM in place: %.0f/s; ratio %.2f; ipsecd CPU "
        "%.2f us/packet (%.0f%% busy)" %
        (size, pps, rpps, pps / rpps, cpu * 1e6 / done,
         100 * cpu / (ns / 1e9)))

# Usage reaches keyd every second (its lifetimes count what we report).
until("a usage report", 10,
      lambda: ctl_counters("ipsecd").get("usage.sent", 0) > 0)
log("ok")
