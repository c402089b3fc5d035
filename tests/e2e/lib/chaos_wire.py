#!/usr/bin/python3
"""chaos_wire.py - traffic and wire checks for the restart chaos test
(tests/e2e/netd_chaos.sh) and the resume benchmark (bench/bench_resume.sh).

  tcp-recv ADDR PORT OUT       accept one TCP connection, read to EOF,
                               write "BYTES SHA256" to OUT and send it back
  tcp-send ADDR PORT STOP RATE MIN
                               send pseudo-random bytes at RATE bytes/s
                               until the file STOP exists and MIN bytes
                               went, then half-close; print "BYTES SHA256"
                               of what was sent and of the peer's answer
  udp-recv ADDR PORT OUT STOP  log "SEQ TIME" per probe datagram to OUT
                               until STOP exists
  udp-send DST PORT STOP US    a datagram with a sequence number every US
                               microseconds until STOP exists
  gaps LOG KILLS [WINDOW]      per kill ("TIME LABEL" lines in KILLS): the
                               longest silence in LOG's arrival times from
                               the kill to WINDOW s later (default 2) or
                               to the next kill
  summary GAPS                 from gaps' output ("SERVER HOST MS" lines,
                               SERVER "none" for the reference): per
                               server the kills, median and worst, and
                               the median's ratio to the reference's
  wire PCAP[,PCAP...] A4 B4 A6 B6 [KILLS]
                               the captures (each its own interface):
                               exit 1 if an (SPI, sequence number) pair
                               appears twice in one direction of one
                               capture or a non-ESP IP packet between
                               the two hosts (IPv6 neighbour discovery
                               passes); with KILLS, the longest silence in
                               ESP traffic after each kill
Pure python, no scapy: a pcap parser of a few lines (Ethernet, IPv4, IPv6
without extension headers, as our hosts send).
"""
import bisect
import hashlib
import ipaddress
import os
import socket
import struct
import sys
import time

CHUNK = 16384


def stream_block(i):
    """Block i of the deterministic payload."""
    return hashlib.sha512(b"parapet chaos %d" % i).digest() * (CHUNK // 64)


def tcp_recv(addr, port, out):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(1)
    ls.settimeout(60)
    c, _ = ls.accept()
    c.settimeout(120)
    h = hashlib.sha256()
    n = 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    res = "%d %s" % (n, h.hexdigest())
    with open(out, "w") as f:
        f.write(res + "\n")
    c.sendall(res.encode())
    c.close()


def tcp_send(addr, port, stop, rate, least):
    rate, least = float(rate), int(least)
    s = socket.create_connection((addr, int(port)), timeout=30)
    s.settimeout(120)
    h = hashlib.sha256()
    n = 0
    i = 0
    t0 = time.time()
    while n < least or not os.path.exists(stop):
        b = stream_block(i)
        i += 1
        s.sendall(b)
        h.update(b)
        n += len(b)
        ahead = n / rate - (time.time() - t0)
        if ahead > 0:
            time.sleep(ahead)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        d = s.recv(256)
        if not d:
            break
        got += d
    print("%d %s" % (n, h.hexdigest()))
    print(got.decode())


def udp_recv(addr, port, out, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.settimeout(0.05)
    with open(out, "w") as f:
        while not os.path.exists(stop):
            try:
                d = s.recv(2048)
            except socket.timeout:
                continue
            f.write("%d %.6f\n" % (struct.unpack("!Q", d[:8])[0],
                                   time.time()))


def udp_send(dst, port, stop, us):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    step = int(us) / 1e6
    seq = 0
    nxt = time.time()
    while True:
        if seq % 256 == 0 and os.path.exists(stop):
            break
        try:
            s.sendto(struct.pack("!Q", seq) + b"probe" * 10, (dst, int(port)))
        except OSError:
            pass                # no route while a TAP has no reader
        seq += 1
        nxt += step
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
    print(seq)


def read_kills(path):
    kills = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p:
                kills.append((float(p[0]), " ".join(p[1:])))
    return kills


def longest_silence(times, t, window):
    """Longest interval between consecutive arrivals (sorted times) that
    ends in (t, t + window]: the silence around a kill at t (from the
    last arrival before it) and any later one; silence still running at
    the end of the window counts up to the end."""
    i = bisect.bisect_right(times, t)
    prev = times[i - 1] if i > 0 else t
    end = t + window
    worst = 0.0
    while i < len(times) and times[i] <= end:
        worst = max(worst, times[i] - prev)
        prev = times[i]
        i += 1
    # Silence still running at the end of the window counts up to it.
    worst = max(worst, min(times[i], end) - prev if i < len(times)
                else end - prev)
    return worst


def gaps(log, kills, window="2"):
    times = []
    with open(log) as f:
        for line in f:
            p = line.split()
            if len(p) == 2:
                times.append(float(p[1]))
    times.sort()
    ks = read_kills(kills)
    for i, (t, label) in enumerate(ks):
        w = float(window)
        if i + 1 < len(ks):
            w = min(w, ks[i + 1][0] - t)    # up to the next kill
        print("%s %.1f" % (label, 1e3 * longest_silence(times, t, w)))


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def summary(path):
    rows = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 3:
                rows.setdefault(p[0], []).append(float(p[2]))
    ref = median(rows["none"]) if rows.get("none") else 0.0
    print("%-9s %6s %10s %9s %7s" % ("killed", "kills", "median_ms",
                                     "worst_ms", "ratio"))
    for s in ("none", "keyd", "policyd", "ipsecd", "netd"):
        if s in rows:
            m = median(rows[s])
            print("%-9s %6d %10.1f %9.1f %7.1f" % (
                s, len(rows[s]), m, max(rows[s]), m / ref if ref else 0))


def pcap_frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        link = struct.unpack(end + "I", hdr[20:24])[0]
        if link != 1:
            sys.exit("pcap: link type %d, not Ethernet" % link)
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(end + "IIII", rh)
            data = f.read(caplen)
            yield sec + frac / (1e9 if nano else 1e6), data


def ip_of(frame):
    """(version, src, dst, proto, payload) of an Ethernet frame, or None."""
    off = 12
    et = struct.unpack("!H", frame[off:off + 2])[0]
    while et in (0x8100, 0x88a8):
        off += 4
        et = struct.unpack("!H", frame[off:off + 2])[0]
    p = frame[off + 2:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        # A later fragment carries no header of its protocol: 255 marks
        # it (ESP or not, it is judged with its first fragment).
        later = struct.unpack("!H", p[6:8])[0] & 0x1fff
        return (4, bytes(p[12:16]), bytes(p[16:20]),
                p[9] if not later else 255, p[ihl:])
    if et == 0x86dd and len(p) >= 40:
        return (6, bytes(p[8:24]), bytes(p[24:40]), p[6], p[40:])
    return None


def wire_one(pcap, hosts, esp_times, out):
    """One capture: its ESP count; repeats and clear packets into out."""
    seen = set()
    nesp = 0
    for t, fr in pcap_frames(pcap):
        ip = ip_of(fr)
        if ip is None:
            continue
        ver, src, dst, proto, pl = ip
        if src not in hosts[ver] or dst not in hosts[ver] or proto == 255:
            continue
        if proto == 50 and len(pl) >= 8:
            spi, seq = struct.unpack("!II", pl[:8])
            key = (src, dst, spi, seq)
            nesp += 1
            esp_times.append(t)
            if key in seen:
                out["dups"].append((t, spi, seq))
            seen.add(key)
        elif ver == 6 and proto == 58 and pl and 133 <= pl[0] <= 137:
            continue            # neighbour discovery: link housekeeping
        else:
            out["clear"].append((t, ver, proto))
    return nesp


def wire(pcaps, a4, b4, a6, b6, kills=None):
    hosts = {4: {ipaddress.ip_address(a4).packed,
                 ipaddress.ip_address(b4).packed},
             6: {ipaddress.ip_address(a6).packed,
                 ipaddress.ip_address(b6).packed}}
    out = {"dups": [], "clear": []}
    esp_times = []
    nesp = sum(wire_one(p, hosts, esp_times, out)
               for p in pcaps.split(","))
    dups, clear = out["dups"], out["clear"]
    print("wire: %d ESP packets, %d (SPI, seq) repeated, %d in clear"
          % (nesp, len(dups), len(clear)))
    for t, spi, seq in dups[:10]:
        print("  repeated: %.6f spi 0x%08x seq %d" % (t, spi, seq))
    for t, ver, proto in clear[:10]:
        print("  clear: %.6f IPv%d protocol %d" % (t, ver, proto))
    if kills:
        esp_times.sort()
        ks = read_kills(kills)
        for i, (t, label) in enumerate(ks):
            # Up to the next kill, at most 3 s.
            w = min(3.0, ks[i + 1][0] - t) if i + 1 < len(ks) else 3.0
            print("gap after kill -9 %s: %.1f ms of no ESP on the wire"
                  % (label, 1e3 * longest_silence(esp_times, t, w)))
    return 0 if nesp > 0 and not dups and not clear else 1


def main():
    cmds = {"tcp-recv": tcp_recv, "tcp-send": tcp_send,
            "udp-recv": udp_recv, "udp-send": udp_send,
            "gaps": gaps, "summary": summary, "wire": wire}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]) or 0)


if __name__ == "__main__":
    main()
