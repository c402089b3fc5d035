#!/usr/bin/env python3
"""test_preload.py - an unmodified program on the PF_KEY preload library:
python3's own socket.AF_KEY (no Parapet code), run by ctest with
LD_PRELOAD=libparapet_pfkey.so against a keyd this script starts (without
the preload) in a temporary directory.

Covered: REGISTER answered by recv(MSG_DONTWAIT) right after send(); ADD
on a non-blocking socket; a DUMP of 500 SAs read with non-blocking recv()
and select() without one BlockingIOError before seq 0; a refused header
fails send() with EINVAL; a socket with a timeout (Python polls first).
"""
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HDR = "=BBBBHHII"
ADD, REGISTER, FLUSH, DUMP = 3, 7, 9, 10
ESP = 3
N = 500


def hdr(typ, satype, seq, body=b""):
    return struct.pack(HDR, 2, typ, 0, satype, (16 + len(body)) // 8, 0,
                       seq, os.getpid()) + body


def add_msg(spi, seq):
    sa = struct.pack("=HHIBBBBI", 2, 1, socket.htonl(spi), 0, 1, 5, 11, 0)

    def addr(t, ip):
        return (struct.pack("=HHBBH", 3, t, 255, 32, 0) +
                struct.pack("=HH4s8x", socket.AF_INET, 0,
                            socket.inet_aton(ip)))
    ka = struct.pack("=HHHH", 5, 8, 256, 0) + b"\x5a" * 32
    ke = struct.pack("=HHHH", 1, 9, 0, 0)
    return hdr(ADD, ESP, seq, sa + addr(5, "10.7.0.1") + addr(6, "10.7.0.2") +
               ka + ke)


def unpack(b):
    return struct.unpack(HDR, b[:16])


def reply(s, typ, seq):
    """The reply to (typ, seq), there now: broadcasts are skipped."""
    for _ in range(100):
        b = s.recv(65536, socket.MSG_DONTWAIT)
        h = unpack(b)
        assert h[0] == 2, h
        if h[1] == typ and h[6] == seq and h[7] == os.getpid():
            return h, b
    raise AssertionError("no reply to %d/%d" % (typ, seq))


def main():
    if "parapet_pfkey" not in os.environ.get("LD_PRELOAD", ""):
        print("run me with LD_PRELOAD=libparapet_pfkey.so")
        return 1
    d = tempfile.mkdtemp(prefix="preload-py-")
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    log = open(os.path.join(d, "keyd.log"), "w")
    keyd = subprocess.Popen([os.path.join(os.environ["PARAPET_BINDIR"],
                                          "keyd"), "-s",
                             os.path.join(d, "bus.sock")],
                            env=env, stderr=log)
    path = os.path.join(d, "pfkey.sock")
    os.environ["PARAPET_PFKEY_SOCKET"] = path
    try:
        for _ in range(500):
            if os.path.exists(path):
                break
            time.sleep(0.01)
        time.sleep(0.05)
        s = socket.socket(socket.AF_KEY, socket.SOCK_RAW, 2)
        s.setblocking(False)
        s.send(hdr(FLUSH, 0, 1))
        reply(s, FLUSH, 1)
        s.send(hdr(REGISTER, ESP, 2))
        h, b = reply(s, REGISTER, 2)
        assert h[2] == 0 and len(b) > 16, h
        for i in range(N):
            s.send(add_msg(0x50000 + i, 100 + i))
            h, _ = reply(s, ADD, 100 + i)
            assert h[2] == 0, h
        try:
            s.send(struct.pack(HDR, 3, REGISTER, 0, ESP, 2, 0, 3, 0))
            raise AssertionError("a bad header was accepted")
        except OSError as e:
            assert e.errno == 22, e
        for use_select in (False, True):
            s.send(hdr(DUMP, ESP, 7))
            got = set()
            while True:
                if use_select:
                    r, _, _ = select.select([s], [], [], 0)
                    assert r == [s], "select(0) empty after %d" % len(got)
                b = s.recv(65536, socket.MSG_DONTWAIT)
                h = unpack(b)
                if h[1] != DUMP:
                    continue
                spi = socket.ntohl(struct.unpack("=I", b[20:24])[0])
                assert spi not in got
                got.add(spi)
                if h[6] == 0:
                    break
            assert len(got) == N, len(got)
            try:
                s.recv(65536, socket.MSG_DONTWAIT)
                raise AssertionError("a message after the dump")
            except BlockingIOError:
                pass
        s.close()
        # A socket with a timeout: Python poll()s before each call.
        t = socket.socket(socket.AF_KEY, socket.SOCK_RAW, 2)
        t.settimeout(2.0)
        t.send(hdr(FLUSH, 0, 9))
        h = unpack(t.recv(65536))
        assert h[1] == FLUSH and h[6] == 9, h
        t.close()
        print("ok: REGISTER, %d ADDs, 2 DUMPs, bad header, timeout" % N)
        return 0
    finally:
        keyd.send_signal(signal.SIGTERM)
        keyd.wait(10)
        log.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
