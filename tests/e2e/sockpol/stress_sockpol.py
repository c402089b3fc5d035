#!/usr/bin/env python3
"""Hostile clients against policyd's per-socket policy endpoint, by hand
(not in ctest): N processes, each keeping about 20 connections to
RUNDIR/sockpol.sock and sending requests made from the fuzz seeds
(tests/fuzz/corpus/fuzz_sockpol), bit-flipped, cut short or random,
opening and closing connections at random; optionally killing policyd
(by its pid, from SO_PEERCRED) now and then. Afterwards policyd must be
serving and its log free of sanitizer reports (check by hand).

Usage: stress_sockpol.py RUNDIR [SECONDS] [PROCESSES] [KILLS]
"""
import glob
import os
import random
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "fuzz_sockpol")


def seeds():
    out = []
    for f in glob.glob(os.path.join(SEEDS, "*.bin")):
        d = open(f, "rb").read()
        off = 1
        while off < len(d):
            n = d[off]
            out.append(d[off + 1:off + 1 + n])
            off += 1 + n
    return out


def mutate(rnd, m):
    m = bytearray(m)
    k = rnd.random()
    if k < 0.4:
        for _ in range(rnd.randint(1, 4)):
            if m:
                m[rnd.randrange(len(m))] ^= 1 << rnd.randrange(8)
    elif k < 0.5:
        m = m[:rnd.randrange(len(m) + 1)]
    elif k < 0.55:
        m = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2000)))
    return bytes(m)


def client(path, seed, seconds):
    rnd = random.Random(seed)
    pool = seeds()
    end = time.time() + seconds
    conns, sent, answered = [], 0, 0
    while time.time() < end:
        if len(conns) < 20 or rnd.random() < 0.05:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                s.connect(path)
            except OSError:
                time.sleep(0.05)
                continue
            s.settimeout(2)
            conns.append(s)
        if rnd.random() < 0.03:
            conns.pop(rnd.randrange(len(conns))).close()
            continue
        s = rnd.choice(conns)
        try:
            s.send(mutate(rnd, rnd.choice(pool)))
            sent += 1
            if len(s.recv(70000)) >= 16:
                answered += 1
        except OSError:
            conns.remove(s)
    print("client %d: sent %d, answered %d" % (seed, sent, answered))


def policyd_pid(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET,
                                            socket.SO_PEERCRED, 12))[0]


def main():
    run = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    kills = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    path = os.path.join(run, "sockpol.sock")
    pids = []
    for i in range(procs):
        pid = os.fork()
        if pid == 0:
            client(path, i + 1, seconds)
            os._exit(0)
        pids.append(pid)
    for _ in range(kills):
        time.sleep(seconds / (kills + 1))
        os.kill(policyd_pid(path), 9)
        print("killed policyd")
    for pid in pids:
        os.waitpid(pid, 0)
    time.sleep(1)
    print("policyd serving: pid %d" % policyd_pid(path))


if __name__ == "__main__":
    main()
