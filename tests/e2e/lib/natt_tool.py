"""natt_tool.py - the python side of tests/e2e/netd_natt.sh (ESP in UDP,
RFC 3948, through a NAT): a stand-in key manager on UDP 4500, a TCP
transfer checked by SHA-256, and scapy (the independent implementation)
decrypting captured ESP in UDP, injecting its own, and classifying what a
capture holds.

  km SOCK ADDR PORT LOG SECS  a "key manager": UDP ADDR:PORT; logs every
                              datagram "PEER PORT LEN HEX16"; sends what
                              the unix datagram socket SOCK asks:
                              "DST PORT HEX"; exits after SECS
  kmsend SOCK DST PORT HEX    ask the km behind SOCK to send HEX
  tcp_server ADDR PORT SECS   one connection: read until EOF, answer the
                              SHA-256 of it, then 1 MiB of pattern data
  tcp_client DST PORT NBYTES  send NBYTES of pattern data, check the
                              SHA-256 and the pattern that come back
  decrypt PCAP SRC DST SPORT DPORT SPI KEY [ISRC IDST]
                              scapy decrypts ESP-in-UDP packets of that
                              flow and SPI in PCAP (up to 50 the snap
                              length left whole); prints the count and
                              the inner protocols; with ISRC IDST, tunnel
                              mode with that inner packet
  inject IFACE DMAC SMAC SRC DST SPORT DPORT SPI KEY SEQ ISRC DPORT2 TEXT
                              scapy builds a transport ESP-in-UDP packet
                              around UDP ISRC -> DST:DPORT2 "TEXT" (the
                              UDP checksum made with ISRC, as the sender
                              behind the NAT made it), source address SRC
                              (the NAT's), and sends it on IFACE
  wire PCAP H1 H2 PORT1 PORT2 MARKER [NEVER,...]
                              every IPv4 packet between H1 and H2 must be
                              UDP between PORT1 and PORT2 (either way);
                              prints "esp=N ike=N keepalive=N" and fails
                              on anything else, on MARKER in any frame or
                              on a packet from or to a NEVER address

Several commands run in one process when separated by "--"; the exit
status is 1 when any of them failed.
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time


def pattern(n, seed):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s %d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def km(sock_path, addr, port, log_path, secs):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, int(port)))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.bind(sock_path)
    end = time.time() + float(secs)
    with open(log_path, "a") as log:
        while time.time() < end:
            r, _, _ = select.select([u, c], [], [], 0.2)
            if u in r:
                d, a = u.recvfrom(65536)
                log.write("%s %d %d %s\n" % (a[0], a[1], len(d),
                                             d[:16].hex()))
                log.flush()
            if c in r:
                cmd = c.recv(65536).decode().split()
                u.sendto(bytes.fromhex(cmd[2]), (cmd[0], int(cmd[1])))


def kmsend(sock_path, dst, port, hexdata):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.sendto(("%s %s %s" % (dst, port, hexdata)).encode(), sock_path)


def recv_all(s, n):
    b = bytearray()
    while len(b) < n:
        d = s.recv(min(65536, n - len(b)))
        if not d:
            break
        b += d
    return bytes(b)


def tcp_server(addr, port, secs):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(1)
    ls.settimeout(float(secs))
    s, _ = ls.accept()
    s.settimeout(float(secs))
    h = hashlib.sha256()
    n = struct.unpack("!Q", recv_all(s, 8))[0]
    left = n
    while left > 0:
        d = s.recv(min(65536, left))
        if not d:
            break
        h.update(d)
        left -= len(d)
    s.sendall(h.digest() + pattern(1 << 20, b"back"))
    s.close()


def tcp_client(dst, port, nbytes):
    n = int(nbytes)
    data = pattern(n, b"forth")
    s = socket.create_connection((dst, int(port)), timeout=10)
    t0 = time.time()
    s.sendall(struct.pack("!Q", n) + data)
    back = recv_all(s, 32 + (1 << 20))
    dt = time.time() - t0
    ok_fwd = back[:32] == hashlib.sha256(data).digest()
    ok_back = back[32:] == pattern(1 << 20, b"back")
    print("%d bytes sent, SHA-256 %s; 1 MiB back %s; %.1f Mbit/s" % (
        n, "ok" if ok_fwd else "MISMATCH", "ok" if ok_back else "BAD",
        (n + (1 << 20)) * 8 / dt / 1e6))
    sys.exit(0 if ok_fwd and ok_back else 1)


def scapy():
    sys.path.insert(0, os.path.join(os.environ["PARAPET_SRCDIR"],
                                    "tests", "interop"))
    import ipsec_interop  # noqa: E402 - skips (77) without scapy
    return ipsec_interop


def gcm_sa(ii, spi, key, sport, dport, seq=1, tunnel=None):
    from scapy.all import UDP
    return ii.SecurityAssociation(
        ii.ESP, spi=spi, seq_num=seq, crypt_algo="AES-GCM",
        crypt_key=key, nat_t_header=UDP(sport=sport, dport=dport),
        tunnel_header=tunnel)


def frames(pcap):
    """(raw frame, IPv4 header offset or None) of every frame of a
    classic pcap file, read by hand: scapy takes seconds to import and to
    dissect thousands of frames."""
    with open(pcap, "rb") as fp:
        data = fp.read()
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        raw = data[off + 16:off + 16 + incl]
        off += 16 + incl
        et = struct.unpack("!H", raw[12:14])[0] if len(raw) >= 14 else 0
        yield raw, (14 if et == 0x0800 and len(raw) >= 34 else None)


def udp_of(raw, off):
    """(src, dst, proto, sport, dport, udp length, payload) of IPv4."""
    ihl = (raw[off] & 15) * 4
    src = socket.inet_ntoa(raw[off + 12:off + 16])
    dst = socket.inet_ntoa(raw[off + 16:off + 20])
    proto = raw[off + 9]
    if proto != 17 or len(raw) < off + ihl + 8:
        return src, dst, proto, 0, 0, 0, b""
    sp, dp, ulen = struct.unpack("!HHH", raw[off + ihl:off + ihl + 6])
    return src, dst, proto, sp, dp, ulen, raw[off + ihl + 8:]


DECRYPT_MAX = 50


def decrypt(pcap, src, dst, sport, dport, spi, key, isrc=None,
            idst=None):
    ii = scapy()
    from scapy.all import IP
    # Tunnel mode: the inner packet goes from isrc to idst.
    tun = IP(src=src, dst=dst) if isrc else None
    isrc, idst = (isrc, idst) if isrc else (src, dst)
    sport, dport, spi = int(sport), int(dport), int(spi, 0)
    key = bytes.fromhex(key[2:] if key.startswith("0x") else key)
    n = 0
    protos = {}
    f = ii.Failures()
    for raw, off in frames(pcap):
        if off is None:
            continue
        s, d, _, sp, dp, ulen, pay = udp_of(raw, off)
        if (s, d, sp, dp) != (src, dst, sport, dport) or len(pay) < 8 or \
                struct.unpack("!L", pay[:4])[0] != spi:
            continue
        if ulen != 8 + len(pay):
            continue    # cut by the capture's snap length
        # natt_strip checks our UDP header (length, checksum 0) and
        # leaves plain ESP, which scapy decrypts.
        esp = ii.natt_strip(raw[off:off + 8 + ulen + (raw[off] & 15) * 4],
                            sport, dport, f)
        clear = gcm_sa(ii, spi, key, sport, dport,
                       tunnel=tun).decrypt(esp)
        if clear[IP].src != isrc or clear[IP].dst != idst:
            f.check(False, "inner addresses %s" % clear.summary())
        pr = clear[IP].proto
        protos[pr] = protos.get(pr, 0) + 1
        n += 1
        if n == DECRYPT_MAX:
            break
    print("%d packets decrypted by scapy, inner protocols %s" % (
        n, " ".join("%d:%d" % kv for kv in sorted(protos.items()))))
    return n > 0 and f.n == 0


def inject(iface, dmac, smac, src, dst, sport, dport, spi, key, seq, isrc,
           dport2, text):
    ii = scapy()
    from scapy.all import Ether, IP, UDP, Raw, sendp
    key = bytes.fromhex(key[2:] if key.startswith("0x") else key)
    # The sender behind the NAT computed the UDP checksum with its own
    # address; the NAT then rewrote only the outer source.
    inner = IP(bytes(IP(src=isrc, dst=dst) / UDP(sport=40000,
                                                 dport=int(dport2)) /
                     Raw(text.encode())))
    inner.src = src
    del inner.chksum
    inner = IP(bytes(inner))
    sa = gcm_sa(ii, int(spi, 0), key, int(sport), int(dport), int(seq))
    raw = ii.natt_fix_scapy(bytes(sa.encrypt(inner)))
    sendp(Ether(dst=dmac, src=smac) / IP(raw), iface=iface, verbose=False)


def wire(pcap, h1, h2, p1, p2, marker, never=""):
    ports = {int(p1), int(p2)}
    never = set(never.split(",")) - {""}
    count = {"esp": 0, "ike": 0, "keepalive": 0}
    bad = 0
    marker = marker.encode()
    for raw, off in frames(pcap):
        if marker in raw:
            print("marker in clear: %s" % raw[:64].hex())
            bad += 1
        if off is None:
            continue
        s, d, proto, sp, dp, _, pay = udp_of(raw, off)
        if {s, d} & never:
            print("in clear: %s > %s proto %d" % (s, d, proto))
            bad += 1
        if {s, d} != {h1, h2}:
            continue
        if proto != 17 or {sp, dp} != ports:
            print("not ESP in UDP: %s > %s proto %d ports %d %d" % (
                s, d, proto, sp, dp))
            bad += 1
            continue
        if pay == b"\xff":
            count["keepalive"] += 1
        elif pay[:4] == b"\0\0\0\0":
            count["ike"] += 1
        elif len(pay) >= 8:
            count["esp"] += 1
        else:
            print("short UDP 4500: %s" % pay.hex())
            bad += 1
    print("esp=%d ike=%d keepalive=%d bad=%d" % (
        count["esp"], count["ike"], count["keepalive"], bad))
    return bad == 0


CMDS = {"km": km, "kmsend": kmsend, "tcp_server": tcp_server,
        "tcp_client": tcp_client, "decrypt": decrypt, "inject": inject,
        "wire": wire}

if __name__ == "__main__":
    # Several commands in one run (one python start): CMD ARGS -- CMD ...
    ok = True
    argv = sys.argv[1:]
    while argv:
        cut = argv.index("--") if "--" in argv else len(argv)
        if CMDS[argv[0]](*argv[1:cut]) is False:
            ok = False
        argv = argv[cut + 1:]
    sys.exit(0 if ok else 1)
