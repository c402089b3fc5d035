#!/usr/bin/python3
"""bus_acquire.py - ask keyd for an ACQUIRE over parapet's bus, as ipsecd
does when an outbound packet finds no SA (proto/keyd.proto
AcquireRequest); for tests of key managers.

    bus_acquire.py BUS_SOCKET SRC DST [--policy-id N] [--reqid N]
                   [--proto esp|ah] [--mode transport|tunnel]

Says hello on the bus (name "acquire-<pid>"), sends one AcquireRequest
to keyd and prints its AcquireReply: "status seq recipients" (status
1 SENT, 2 PENDING, 3 SA_EXISTS). Exit 0; 1 with a message on stderr
(no reply, an error reply).
"""
import argparse
import os
import socket
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbwire import decode, f_bytes, f_int, f_str, first, unzigzag  # noqa: E402

HELLO_REQUEST, HELLO_REPLY, ERROR_REPLY = 1, 2, 11
ACQUIRE_REQUEST, ACQUIRE_REPLY = 105, 106
KIND_REQUEST = 1


def envelope(mtype, corr, dst, body):
    return (f_int(1, mtype) + f_int(2, KIND_REQUEST) + f_int(3, corr) +
            f_str(5, dst) + f_bytes(8, body))


class Bus:
    def __init__(self, path, name):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.corr = 0
        rep = self.call(HELLO_REQUEST, "broker",
                        f_str(1, name) + f_int(2, os.getpid()))
        if first(rep, 1) != HELLO_REPLY:
            raise RuntimeError("hello refused: error %d" % first(rep, 7))

    def _read(self, n):
        b = b""
        while len(b) < n:
            c = self.s.recv(n - len(b))
            if not c:
                raise RuntimeError("bus closed")
            b += c
        return b

    def call(self, mtype, dst, body):
        """Send a request; return the reply's envelope fields."""
        self.corr += 1
        env = envelope(mtype, self.corr, dst, body)
        self.s.sendall(struct.pack(">I", len(env)) + env)
        while True:
            n = struct.unpack(">I", self._read(4))[0]
            rep = decode(self._read(n))
            if first(rep, 3) == self.corr:
                return rep


def addr(ip):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return (f_int(1, 6 if fam == socket.AF_INET6 else 4) +
            f_bytes(2, socket.inet_pton(fam, ip)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bus")
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--policy-id", type=int, default=9)
    ap.add_argument("--reqid", type=int, default=0)
    ap.add_argument("--proto", choices=("esp", "ah"), default="esp")
    ap.add_argument("--mode", choices=("transport", "tunnel"),
                    default="transport")
    a = ap.parse_args()
    body = (f_int(1, a.policy_id) + f_int(2, 2) + f_int(3, a.reqid) +
            f_int(4, 50 if a.proto == "esp" else 51) +
            f_int(5, 1 if a.mode == "transport" else 2) +
            f_bytes(6, addr(a.src)) + f_bytes(7, addr(a.dst)))
    try:
        bus = Bus(a.bus, "acquire-%d" % os.getpid())
        rep = bus.call(ACQUIRE_REQUEST, "keyd", body)
    except (OSError, RuntimeError, ValueError) as e:
        sys.exit("bus_acquire: %s" % e)
    if first(rep, 1) != ACQUIRE_REPLY:
        sys.exit("bus_acquire: keyd answered error %d" %
                 unzigzag(first(rep, 7)))
    r = decode(first(rep, 8, b""))
    print("%d %d %d" % (first(r, 1), first(r, 2), first(r, 3)))


if __name__ == "__main__":
    main()
