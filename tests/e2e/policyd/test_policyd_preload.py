#!/usr/bin/env python3
"""test_policyd_preload.py - the SPD messages, relayed by keyd to policyd,
seen by an unmodified program through the PF_KEY preload library:
python3's socket.AF_KEY with LD_PRELOAD=libparapet_pfkey.so, against a
parapetd (keyd + policyd) this script starts without the preload in a
temporary directory.

A relayed request is answered after a bus round trip; the preload library
must still find the reply queued when send() returns (keyd's sync MARK
waits for policyd's answer). Covered: X_SPDADD and X_SPDGET answered by
recv(MSG_DONTWAIT) right after send(); an X_SPDDUMP of 300 policies read
with non-blocking recv() without one BlockingIOError before seq 0, with
an X_SPDGET sent in the middle of it and answered between its messages;
X_SPDFLUSH.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HDR = "=BBBBHHII"
SPDADD, SPDGET, SPDDUMP, SPDFLUSH = 14, 16, 18, 19
N = 300


def msg(typ, seq, body=b""):
    return struct.pack(HDR, 2, typ, 0, 0, (16 + len(body)) // 8, 0, seq,
                       os.getpid()) + body


def addr(t, ip, plen):
    return (struct.pack("=HHBBH", 3, t, 255, plen, 0) +
            struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton(ip)))


def policy(pid=0, dirn=2):
    req = struct.pack("=HHBBHII", 16, 50, 1, 2, 0, 0, 0)
    body = struct.pack("=HBBII", 2, dirn, 0, pid, 0x80000000) + req
    return struct.pack("=HH", (4 + len(body)) // 8, 18) + body


def spdadd(i, seq):
    ip = "10.9.%d.%d" % (i // 256, i % 256)
    return msg(SPDADD, seq, addr(5, "10.0.0.0", 24) + addr(6, ip, 32) +
               policy())


def reply(s, typ, seq):
    """The reply to (typ, seq), there now: broadcasts are skipped."""
    for _ in range(100):
        b = s.recv(65536, socket.MSG_DONTWAIT)
        h = struct.unpack(HDR, b[:16])
        if h[1] == typ and h[6] == seq and h[7] == os.getpid():
            return h, b
    raise AssertionError("no reply to %d/%d" % (typ, seq))


def policy_id(b):
    off = 16
    while off < len(b):
        ln, t = struct.unpack("=HH", b[off:off + 4])
        if t == 18:
            return struct.unpack("=I", b[off + 8:off + 12])[0]
        off += ln * 8
    raise AssertionError("no X_POLICY")


def main():
    if "parapet_pfkey" not in os.environ.get("LD_PRELOAD", ""):
        print("run me with LD_PRELOAD=libparapet_pfkey.so")
        return 1
    d = tempfile.mkdtemp(prefix="policyd-preload-")
    run = os.path.join(d, "run")
    conf = os.path.join(d, "parapetd.conf")
    with open(conf, "w") as f:
        f.write("[server keyd]\n[server policyd]\nafter = keyd\n")
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    b = os.environ["PARAPET_BINDIR"]
    log = open(os.path.join(d, "parapetd.log"), "w")
    sup = subprocess.Popen([os.path.join(b, "parapetd"), "-c", conf, "-r",
                            run, "-b", b], env=env, stdout=log, stderr=log)
    os.environ["PARAPET_PFKEY_SOCKET"] = os.path.join(run, "pfkey.sock")
    ok = False
    try:
        s = None
        for _ in range(300):
            try:
                s = socket.socket(socket.AF_KEY, socket.SOCK_RAW, 2)
                s.send(msg(SPDFLUSH, 1))
                h, _ = reply(s, SPDFLUSH, 1)
                if h[2] == 0:
                    break
            except (OSError, AssertionError):
                pass
            if s is not None:
                s.close()
                s = None
            time.sleep(0.05)
        assert s is not None, "policyd did not come up"
        for i in range(N):
            s.send(spdadd(i, 100 + i))
            h, b2 = reply(s, SPDADD, 100 + i)
            assert h[2] == 0, h
            if i == 0:
                first = policy_id(b2)
        s.send(msg(SPDGET, 7, policy(first)))
        h, b2 = reply(s, SPDGET, 7)
        assert h[2] == 0 and policy_id(b2) == first, h
        # The dump: non-blocking reads, never "nothing" before seq 0.
        s.setblocking(False)
        s.send(msg(SPDDUMP, 8))
        seen, last, got_get = set(), None, False
        while True:
            b2 = s.recv(65536)
            h = struct.unpack(HDR, b2[:16])
            if len(seen) == 10 and not got_get:
                # A request in the middle of the dump is served between
                # its messages (no deadlock with the preload's wait).
                s.send(msg(SPDGET, 10, policy(first)))
            if h[1] == SPDGET and h[6] == 10:
                assert h[2] == 0 and policy_id(b2) == first, h
                got_get = True
                continue
            if h[1] != SPDDUMP:
                continue
            assert h[2] == 0, h
            seen.add(policy_id(b2))
            assert last is None or h[6] < last, (h[6], last)
            last = h[6]
            if h[6] == 0:
                break
        assert len(seen) == N, len(seen)
        assert got_get
        s.setblocking(True)
        s.send(msg(SPDFLUSH, 9))
        h, _ = reply(s, SPDFLUSH, 9)
        assert h[2] == 0, h
        s.close()
        ok = True
    finally:
        sup.send_signal(signal.SIGTERM)
        try:
            sup.wait(10)
        except subprocess.TimeoutExpired:
            sup.kill()
            sup.wait()
        if ok:
            shutil.rmtree(d)
        else:
            print("kept", d)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
