"""ipsecd_pfkey.py - PF_KEY v2 ADD/DELETE with every field ipsecd's
end-to-end test needs (algorithms, keys, mode, reqid, replay window), for
tests/e2e/ipsecd_e2e.py. A copy of tests/e2e/lib/pfkey_client.py's
message builders (written from RFC 2367 and <linux/pfkeyv2.h>, not from
keyd's code), extended with the SA2 extension and any algorithm.
"""
import socket
import struct

SADB_ADD, SADB_DELETE = 3, 4
SATYPE_AH, SATYPE_ESP = 2, 3
EXT_SA, EXT_ADDRESS_SRC, EXT_ADDRESS_DST = 1, 5, 6
EXT_LIFETIME_HARD, EXT_LIFETIME_SOFT = 3, 4
EXT_KEY_AUTH, EXT_KEY_ENCRYPT, EXT_X_SA2 = 8, 9, 19
EXT_X_NAT_T_TYPE, EXT_X_NAT_T_SPORT, EXT_X_NAT_T_DPORT = 20, 21, 22
SAFLAGS_ESN = 0x400
AALG_SHA2_256HMAC, AALG_SHA2_512HMAC = 5, 7
EALG_NULL, EALG_AES_GCM16, EALG_CHACHA20POLY1305 = 11, 20, 25
MODE_TRANSPORT, MODE_TUNNEL = 1, 2


def msg(mtype, satype, seq, exts):
    body = b"".join(exts)
    return struct.pack("=BBBBHHII", 2, mtype, 0, satype,
                       (16 + len(body)) // 8, 0, seq, 0) + body


def ext_sa(spi, replay, aalg, ealg, flags=0):
    return struct.pack("=HHIBBBBI", 2, EXT_SA, socket.htonl(spi), replay, 0,
                       aalg, ealg, flags)


def ext_sa2(mode, reqid):
    return struct.pack("=HHBBHII", 2, EXT_X_SA2, mode, 0, 0, 0, reqid)


def ext_lifetime(exttype, packets=0, nbytes=0):
    return struct.pack("=HHIQQQ", 4, exttype, packets, nbytes, 0, 0)


def ext_addr(exttype, ip):
    if ":" in ip:
        sin = struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 0, 0) + \
            socket.inet_pton(socket.AF_INET6, ip) + bytes(4) + bytes(4)
        return struct.pack("=HHBBH", 5, exttype, 255, 128, 0) + sin
    sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + \
        socket.inet_aton(ip) + bytes(8)
    return struct.pack("=HHBBH", 3, exttype, 255, 32, 0) + sin


def ext_natt(ntype, sport, dport):
    return (struct.pack("=HHB3x", 1, EXT_X_NAT_T_TYPE, ntype) +
            struct.pack("=HH", 1, EXT_X_NAT_T_SPORT) +
            struct.pack("!HH", sport, 0) +
            struct.pack("=HH", 1, EXT_X_NAT_T_DPORT) +
            struct.pack("!HH", dport, 0))


def ext_key(exttype, key):
    pad = (-len(key)) % 8
    return struct.pack("=HHHH", (8 + len(key) + pad) // 8, exttype,
                       8 * len(key), 0) + key + bytes(pad)


class PfKey:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(20)
        self.s.connect(path)
        self.seq = 100

    def _call(self, mtype, satype, exts):
        self.seq += 1
        self.s.send(msg(mtype, satype, self.seq, exts))
        while True:
            r = self.s.recv(65536)
            _, rtype, err, _, _, _, seq, _ = \
                struct.unpack_from("=BBBBHHII", r)
            if rtype == mtype and seq == self.seq:
                return err

    def add(self, spi, src, dst, proto="esp", mode=MODE_TRANSPORT, reqid=0,
            ealg=EALG_NULL, ekey=b"", aalg=0, akey=b"", replay=64,
            hard_packets=0, soft_packets=0, natt=None, flags=0):
        satype = SATYPE_ESP if proto == "esp" else SATYPE_AH
        exts = [ext_sa(spi, replay, aalg, ealg if proto == "esp" else 0,
                       flags),
                ext_sa2(mode, reqid),
                ext_addr(EXT_ADDRESS_SRC, src),
                ext_addr(EXT_ADDRESS_DST, dst)]
        if natt is not None:
            exts.append(ext_natt(2, natt[0], natt[1]))
        if hard_packets:
            exts.append(ext_lifetime(EXT_LIFETIME_HARD, hard_packets))
        if soft_packets:
            exts.append(ext_lifetime(EXT_LIFETIME_SOFT, soft_packets))
        if aalg:
            exts.append(ext_key(EXT_KEY_AUTH, akey))
        if proto == "esp":
            exts.append(ext_key(EXT_KEY_ENCRYPT, ekey))
        err = self._call(SADB_ADD, satype, exts)
        if err != 0:
            raise RuntimeError("ADD spi 0x%x: errno %d" % (spi, err))

    def delete(self, spi, src, dst, proto="esp"):
        satype = SATYPE_ESP if proto == "esp" else SATYPE_AH
        err = self._call(SADB_DELETE, satype, [
            ext_sa(spi, 0, 0, 0), ext_addr(EXT_ADDRESS_SRC, src),
            ext_addr(EXT_ADDRESS_DST, dst)])
        if err != 0:
            raise RuntimeError("DELETE spi 0x%x: errno %d" % (spi, err))
