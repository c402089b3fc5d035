#!/usr/bin/python3
"""keymgr.py - a test key manager for two hosts (issue 6, item 7): it keys
SAs between two keyd instances from a pre-shared key, as an IKE daemon
would after its exchange, with none of IKE.

    keymgr.py run SOCK_A SOCK_B --psk SECRET [options]
    keymgr.py dump SOCK

run: connects to keyd's PF_KEY socket of each host (RUNDIR/pfkey.sock),
sends SADB_REGISTER for ESP and AH on both, then serves until killed:

  ACQUIRE from host X (SRC -> DST, seq S):
    GETSPI on Y for SRC -> DST        (Y's inbound SA: SPI1)
    GETSPI on X for DST -> SRC        (X's inbound SA: SPI2)
    UPDATE on Y SPI1, ADD on X SPI1 (seq S: ends X's ACQUIRE)
    UPDATE on X SPI2, ADD on Y SPI2
  so each host holds both SAs of the pair with the same SPIs and keys.
  soft EXPIRE of an SA of a pair it made: a replacement pair is made the
    same way (GETSPI + UPDATE/ADD on both) once, before the hard expiry
    deletes the old one (keyd does that).
  hard EXPIRE: logged, the SA forgotten.

Keys: HKDF-Expand (RFC 5869 §2.3, SHA-256) with the PSK as the PRK and
info = "parapet-keymgr" | SA type | SPI | source | destination | "enc" or
"auth", cut to the algorithm's key length (a pure function of the PSK
and the SA, so both hosts get the same bytes and a test can recompute
them). One line per action on stdout. Options:

  --ealg aes-gcm-16|chacha20-poly1305|null   ESP (default aes-gcm-16)
  --ekey-bits N      ESP key length (default 288: 256 + 32 bits of salt)
  --aalg none|hmac-sha256|hmac-sha512        ESP auth (default none; an
                     AEAD needs none); AH always uses an HMAC (default
                     hmac-sha256 for AH)
  --akey-bits N      (default: the HMAC's 256 / 512)
  --mode transport|tunnel, --reqid N   SA2 (the ACQUIRE does not say)
  --soft-add SECS, --hard-add SECS     add-time lifetimes (0: none)
  --soft-bytes N, --hard-bytes N       byte lifetimes (0: none)

dump: every SA of one keyd, sorted, one per line:
  "satype src dst spi state enc-hex auth-hex".

Exit status: dump 0 (1 on error); run runs until SIGTERM/SIGINT (0).
"""
import argparse
import hashlib
import hmac
import os
import select
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "e2e", "lib"))
from ipsecd_pfkey import (  # noqa: E402
    EXT_ADDRESS_DST, EXT_ADDRESS_SRC, EXT_KEY_AUTH, EXT_KEY_ENCRYPT,
    EXT_LIFETIME_HARD, EXT_LIFETIME_SOFT, EXT_SA, MODE_TRANSPORT,
    MODE_TUNNEL, SATYPE_AH, SATYPE_ESP, ext_addr, ext_key, ext_sa, ext_sa2,
    msg)
from pfkey_client import exts  # noqa: E402

SADB_GETSPI, SADB_UPDATE, SADB_ADD = 1, 2, 3
SADB_ACQUIRE, SADB_REGISTER, SADB_EXPIRE, SADB_DUMP = 6, 7, 8, 10
EALGS = {"aes-gcm-16": (20, 288), "chacha20-poly1305": (25, 288),
         "null": (11, 0)}
AALGS = {"none": (0, 0), "hmac-sha256": (5, 256), "hmac-sha512": (7, 512)}
SATYPE_NAMES = {SATYPE_AH: "ah", SATYPE_ESP: "esp"}


def log(*words):
    print(time.strftime("%H:%M:%S ") + "keymgr: " + " ".join(
        str(w) for w in words), flush=True)


def derive(psk, info, nbytes):
    """HKDF-Expand(PRK = psk, info, L = nbytes), RFC 5869 §2.3."""
    out, t, i = b"", b"", 1
    while len(out) < nbytes:
        t = hmac.new(psk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:nbytes]


def sa_keys(psk, satype, spi, src, dst, ebits, abits):
    info = (b"parapet-keymgr" + bytes([satype]) + struct.pack(">I", spi) +
            socket.inet_pton(family(src), src) +
            socket.inet_pton(family(dst), dst))
    return (derive(psk, info + b"enc", ebits // 8),
            derive(psk, info + b"auth", abits // 8))


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def ext_lifetime(exttype, nbytes, addtime):
    return struct.pack("=HHIQQQ", 4, exttype, 0, nbytes, addtime, 0)


def parse_addr(e):
    fam = struct.unpack_from("=H", e, 8)[0]
    if fam == socket.AF_INET6:
        return socket.inet_ntop(fam, e[16:32])
    return socket.inet_ntop(socket.AF_INET, e[12:16])


def header(buf):
    _, mtype, err, satype, _, _, seq, pid = \
        struct.unpack_from("=BBBBHHII", buf)
    return mtype, err, satype, seq, pid


def parse(buf):
    """A received message: header and the fields a key manager needs."""
    mtype, err, satype, seq, _ = header(buf)
    m = {"type": mtype, "errno": err, "satype": satype, "seq": seq}
    for etype, e in exts(buf):
        if etype == EXT_SA:
            m["spi"] = socket.ntohl(struct.unpack_from("=I", e, 4)[0])
            m["state"] = e[9]
        elif etype == EXT_ADDRESS_SRC:
            m["src"] = parse_addr(e)
        elif etype == EXT_ADDRESS_DST:
            m["dst"] = parse_addr(e)
        elif etype in (EXT_LIFETIME_SOFT, EXT_LIFETIME_HARD):
            m["kind"] = "soft" if etype == EXT_LIFETIME_SOFT else "hard"
        elif etype in (EXT_KEY_ENCRYPT, EXT_KEY_AUTH):
            bits = struct.unpack_from("=H", e, 4)[0]
            m["ekey" if etype == EXT_KEY_ENCRYPT else "akey"] = \
                e[8:8 + bits // 8]
    return m


class Host:
    """One keyd's PF_KEY socket; asynchronous messages are queued."""

    def __init__(self, name, path):
        self.name = name
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(20)
        self.s.connect(path)
        self.seq = (os.getpid() & 0xffff) << 8
        self.queue = []

    def next_seq(self):
        self.seq += 1
        return self.seq

    def call(self, mtype, satype, exts_, seq=None):
        """Send; wait for the answer of that type and seq (or an error)."""
        seq = self.next_seq() if seq is None else seq
        self.s.send(msg(mtype, satype, seq, exts_))
        while True:
            r = self.s.recv(65536)
            rtype, err, _, rseq, _ = header(r)
            if rtype == mtype and rseq == seq:
                if err:
                    raise RuntimeError("%s: %s type %d seq %d: errno %d (%s)"
                                       % (self.name, "PF_KEY", mtype, seq,
                                          err, os.strerror(err)))
                return parse(r)
            self.queue.append(r)

    def register(self, satype):
        try:
            self.call(SADB_REGISTER, satype, [])
        except RuntimeError as e:
            if "errno 17" not in str(e):	# EEXIST: registered already
                raise


class KeyMgr:
    def __init__(self, a, hosts):
        self.a = a
        self.hosts = hosts
        self.psk = a.psk.encode()
        self.pairs = {}		# pair id -> dict
        self.by_sa = {}		# (host name, spi, dst) -> pair id
        self.next_pair = 1
        self.stop = False

    def algs(self, satype):
        if satype == SATYPE_AH:
            aname = self.a.aalg if self.a.aalg != "none" else "hmac-sha256"
            aalg, abits = AALGS[aname]
            return 0, 0, aalg, self.a.akey_bits or abits
        ealg, ebits = EALGS[self.a.ealg]
        aalg, abits = AALGS[self.a.aalg]
        if self.a.ealg != "null":
            ebits = self.a.ekey_bits
        return ealg, ebits, aalg, self.a.akey_bits or abits

    def sa_exts(self, satype, spi, src, dst):
        ealg, ebits, aalg, abits = self.algs(satype)
        ekey, akey = sa_keys(self.psk, satype, spi, src, dst, ebits, abits)
        mode = MODE_TUNNEL if self.a.mode == "tunnel" else MODE_TRANSPORT
        e = [ext_sa(spi, 32, aalg, ealg), ext_sa2(mode, self.a.reqid),
             ext_addr(EXT_ADDRESS_SRC, src), ext_addr(EXT_ADDRESS_DST, dst)]
        if self.a.hard_add or self.a.hard_bytes:
            e.append(ext_lifetime(EXT_LIFETIME_HARD, self.a.hard_bytes,
                                  self.a.hard_add))
        if self.a.soft_add or self.a.soft_bytes:
            e.append(ext_lifetime(EXT_LIFETIME_SOFT, self.a.soft_bytes,
                                  self.a.soft_add))
        if aalg:
            e.append(ext_key(EXT_KEY_AUTH, akey))
        if satype == SATYPE_ESP:
            e.append(ext_key(EXT_KEY_ENCRYPT, ekey))
        return e

    def getspi(self, host, satype, src, dst):
        seq = host.next_seq()
        mode = MODE_TUNNEL if self.a.mode == "tunnel" else MODE_TRANSPORT
        r = host.call(SADB_GETSPI, satype, [
            ext_sa2(mode, self.a.reqid), ext_addr(EXT_ADDRESS_SRC, src),
            ext_addr(EXT_ADDRESS_DST, dst)],
            seq=seq)
        log("getspi", host.name, SATYPE_NAMES[satype], src, "->", dst,
            "spi 0x%x" % r["spi"])
        return r["spi"], seq

    def install(self, inbound, inseq, outbound, outseq, satype, spi, src,
                dst):
        """The SA src -> dst: UPDATE the larval one at its receiver,
        ADD it at its sender."""
        e = self.sa_exts(satype, spi, src, dst)
        inbound.call(SADB_UPDATE, satype, e, seq=inseq)
        log("update", inbound.name, SATYPE_NAMES[satype], src, "->", dst,
            "spi 0x%x" % spi)
        outbound.call(SADB_ADD, satype, e, seq=outseq)
        log("add", outbound.name, SATYPE_NAMES[satype], src, "->", dst,
            "spi 0x%x" % spi)

    def make_pair(self, x, y, satype, src, dst, acq_seq=None):
        """Both SAs between x (src) and y (dst), keyed on both hosts."""
        spi1, seq1 = self.getspi(y, satype, src, dst)
        spi2, seq2 = self.getspi(x, satype, dst, src)
        self.install(y, seq1, x, acq_seq, satype, spi1, src, dst)
        self.install(x, seq2, y, None, satype, spi2, dst, src)
        pid = self.next_pair
        self.next_pair += 1
        self.pairs[pid] = {"x": x, "y": y, "satype": satype, "src": src,
                           "dst": dst, "spis": (spi1, spi2),
                           "rekeyed": False}
        for h in (x, y):
            self.by_sa[(h.name, spi1, dst)] = pid
            self.by_sa[(h.name, spi2, src)] = pid
        log("pair", pid, "installed", SATYPE_NAMES[satype], src, "<->", dst,
            "spi 0x%x 0x%x" % (spi1, spi2))
        return pid

    def on_acquire(self, host, m):
        other = self.hosts[1] if host is self.hosts[0] else self.hosts[0]
        log("acquire", host.name, SATYPE_NAMES.get(m["satype"], "?"),
            m.get("src"), "->", m.get("dst"), "seq", m["seq"])
        if m["satype"] not in SATYPE_NAMES or "src" not in m or \
                "dst" not in m:
            log("acquire", host.name, "ignored: incomplete")
            return
        self.make_pair(host, other, m["satype"], m["src"], m["dst"],
                       acq_seq=m["seq"])

    def on_expire(self, host, m):
        key = (host.name, m.get("spi"), m.get("dst"))
        pid = self.by_sa.get(key)
        log("expire", m.get("kind", "?"), host.name,
            SATYPE_NAMES.get(m["satype"], "?"), m.get("src"), "->",
            m.get("dst"), "spi 0x%x" % m.get("spi", 0),
            "pair %s" % (pid if pid is not None else "-"))
        if pid is None:
            return
        p = self.pairs[pid]
        if m.get("kind") == "hard":
            del self.by_sa[key]
            return
        if p["rekeyed"]:
            return
        p["rekeyed"] = True
        new = self.make_pair(p["x"], p["y"], p["satype"], p["src"],
                             p["dst"])
        log("rekey", "pair", pid, "->", new)

    def handle(self, host, buf):
        m = parse(buf)
        if m["type"] == SADB_ACQUIRE and m["errno"] == 0:
            self.on_acquire(host, m)
        elif m["type"] == SADB_EXPIRE:
            self.on_expire(host, m)

    def serve(self):
        for h in self.hosts:
            for satype in (SATYPE_ESP, SATYPE_AH):
                h.register(satype)
                log("register", h.name, SATYPE_NAMES[satype])
        log("ready")
        # SIGTERM stops between actions, never inside a pair (a larval
        # SA left on one host would make the hosts disagree).
        while not self.stop:
            for h in self.hosts:
                while h.queue and not self.stop:
                    self.step(h, h.queue.pop(0))
            rd, _, _ = select.select([h.s for h in self.hosts], [], [], 0.2)
            for h in self.hosts:
                if h.s in rd and not self.stop:
                    self.step(h, h.s.recv(65536))
        log("stopped")

    def step(self, host, buf):
        try:
            self.handle(host, buf)
        except (RuntimeError, OSError, struct.error, ValueError) as e:
            log("error", e)


def dump(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(path)
    s.send(msg(SADB_DUMP, 0, 77, []))
    out = []
    while True:
        r = s.recv(65536)
        mtype, err, _, seq, _ = header(r)
        if mtype != SADB_DUMP:
            continue
        if err:
            if err == 2 and not out:	# ENOENT: empty
                break
            sys.exit("dump: errno %d" % err)
        m = parse(r)
        out.append("%s %s %s 0x%x %d %s %s" % (
            SATYPE_NAMES.get(m["satype"], m["satype"]), m.get("src"),
            m.get("dst"), m.get("spi", 0), m.get("state", -1),
            m.get("ekey", b"").hex() or "-", m.get("akey", b"").hex() or "-"))
        if seq == 0:
            break
    for line in sorted(out):
        print(line)


def main():
    ap = argparse.ArgumentParser(
        description="a test key manager for two keyd hosts")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("sock_a")
    r.add_argument("sock_b")
    r.add_argument("--psk", required=True)
    r.add_argument("--ealg", choices=sorted(EALGS), default="aes-gcm-16")
    r.add_argument("--ekey-bits", type=int, default=288)
    r.add_argument("--aalg", choices=sorted(AALGS), default="none")
    r.add_argument("--akey-bits", type=int, default=0)
    r.add_argument("--mode", choices=("transport", "tunnel"),
                   default="transport")
    r.add_argument("--reqid", type=int, default=0)
    for k in ("soft-add", "hard-add", "soft-bytes", "hard-bytes"):
        r.add_argument("--" + k, type=int, default=0)
    d = sub.add_parser("dump")
    d.add_argument("sock")
    a = ap.parse_args()
    if a.cmd == "dump":
        dump(a.sock)
        return
    if a.ekey_bits % 8 or a.akey_bits % 8:
        sys.exit("keymgr: key lengths are whole bytes")
    try:
        hosts = [Host("A", a.sock_a), Host("B", a.sock_b)]
        km = KeyMgr(a, hosts)

        def on_term(*_):
            km.stop = True
        signal.signal(signal.SIGTERM, on_term)
        km.serve()
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as e:
        sys.exit("keymgr: %s" % e)


if __name__ == "__main__":
    main()
