#!/usr/bin/python3
"""pfkey_client.py - a minimal PF_KEY v2 client for end-to-end tests, written
from RFC 2367 and <linux/pfkeyv2.h> independently of keyd's own builder, so
that the tests check keyd against a second reading of the wire format.

    pfkey_client.py SOCKET add N      ADD N ESP SAs (NULL + HMAC-SHA-256),
                                      SPI 0x1000.., 10.0.0.1 -> 10.0.0.2,
                                      keys derived from the SPI
    pfkey_client.py SOCKET dump       DUMP every SA; print "spi state
                                      authkey-hex" per SA, sorted
Exit status 0, or 1 with a message on stderr.
"""
import socket
import struct
import sys

SADB_ADD, SADB_DUMP = 3, 10
SATYPE_ESP = 3
EXT_SA, EXT_ADDRESS_SRC, EXT_ADDRESS_DST = 1, 5, 6
EXT_KEY_AUTH, EXT_KEY_ENCRYPT = 8, 9
AALG_SHA2_256HMAC, EALG_NULL = 5, 11


def msg(mtype, satype, seq, exts):
    body = b"".join(exts)
    return struct.pack("=BBBBHHII", 2, mtype, 0, satype,
                       (16 + len(body)) // 8, 0, seq, 0) + body


def ext_sa(spi):
    return struct.pack("=HHIBBBBI", 2, EXT_SA, socket.htonl(spi), 32, 0,
                       AALG_SHA2_256HMAC, EALG_NULL, 0)


def ext_addr(exttype, ip):
    sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + \
        socket.inet_aton(ip) + bytes(8)
    return struct.pack("=HHBBH", 3, exttype, 255, 32, 0) + sin


def key_of(spi):
    return bytes((spi * 7 + i) & 0xff for i in range(32))


def ext_key(exttype, key):
    return struct.pack("=HHHH", (8 + len(key)) // 8, exttype,
                       8 * len(key), 0) + key


def exts(buf):
    off = 16
    while off + 4 <= len(buf):
        elen, etype = struct.unpack_from("=HH", buf, off)
        if elen == 0:
            raise ValueError("zero extension length")
        yield etype, buf[off:off + 8 * elen]
        off += 8 * elen


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(path)
    if cmd == "add":
        for i in range(int(sys.argv[3])):
            spi = 0x1000 + i
            s.send(msg(SADB_ADD, SATYPE_ESP, i + 1, [
                ext_sa(spi), ext_addr(EXT_ADDRESS_SRC, "10.0.0.1"),
                ext_addr(EXT_ADDRESS_DST, "10.0.0.2"),
                ext_key(EXT_KEY_AUTH, key_of(spi)),
                # ESP needs an encryption key extension, empty for NULL
                # (as Linux and setkey).
                ext_key(EXT_KEY_ENCRYPT, b"")]))
            while True:
                r = s.recv(65536)
                _, mtype, err, _, _, _, seq, _ = \
                    struct.unpack_from("=BBBBHHII", r)
                if mtype == SADB_ADD and seq == i + 1:
                    break
            if err != 0:
                sys.exit("add spi 0x%x: errno %d" % (spi, err))
        return
    if cmd == "dump":
        s.send(msg(SADB_DUMP, 0, 77, []))
        out = []
        while True:
            r = s.recv(65536)
            _, mtype, err, _, _, _, seq, _ = \
                struct.unpack_from("=BBBBHHII", r)
            if mtype != SADB_DUMP:
                continue
            if err != 0:
                if err == 2 and not out:	# ENOENT: empty
                    break
                sys.exit("dump: errno %d" % err)
            spi = state = None
            key = b""
            for etype, e in exts(r):
                if etype == EXT_SA:
                    spi = socket.ntohl(struct.unpack_from("=I", e, 4)[0])
                    state = e[9]
                elif etype == EXT_KEY_AUTH:
                    key = e[8:8 + struct.unpack_from("=H", e, 4)[0] // 8]
            out.append("%x %d %s" % (spi, state, key.hex()))
            if seq == 0:
                break
        for line in sorted(out):
            print(line)
        return
    sys.exit("usage: pfkey_client.py SOCKET add N | dump")


if __name__ == "__main__":
    main()
