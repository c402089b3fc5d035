#!/usr/bin/env python3
"""stress_spd.py - hostile load on the SPD relay, by hand (not in ctest:
25 s of two busy cores). Usage: stress_spd.py BINDIR (the ASan+UBSan
build's bin/ is the point), then read the log it names for sanitizer
reports. It starts parapetd (keyd, policyd with a store) in a temporary
directory; 20 clients send random X_SPDADD/UPDATE/DELETE/GET/DELETE2/
DUMP/FLUSH, bit-flipped datagrams and abrupt closes on non-blocking
sockets (some with 4 KiB receive buffers, never read), policyd is killed
with -9 three times; at the end keyd must still answer an X_SPDFLUSH.
"""
import os, random, socket, struct, subprocess, sys, time, signal, tempfile
B = sys.argv[1]
d = tempfile.mkdtemp(prefix="spdstress-")
run = d + "/run"
open(d + "/c.conf", "w").write("[supervisor]\nrestart_min_ms = 50\n[server keyd]\n[server policyd]\nafter = keyd\nstore_records = 50000\n")
log = open(d + "/log", "w")
sup = subprocess.Popen([B + "/parapetd", "-c", d + "/c.conf", "-r", run, "-b", B], stdout=log, stderr=log)
HDR = "=BBBBHHII"
def msg(t, seq, body=b""):
    return struct.pack(HDR, 2, t, 0, 0, (16 + len(body)) // 8, 0, seq, os.getpid()) + body
def addr(t, ip, plen):
    return struct.pack("=HHBBH", 3, t, 255, plen, 0) + struct.pack("=HH4s8x", 2, 0, socket.inet_aton(ip))
def pol(pid=0, d=2, typ=2):
    req = struct.pack("=HHBBHII", 16, 50, 1, 2, 0, 0, 0) if typ == 2 else b""
    body = struct.pack("=HBBII", typ, d, 0, pid, 0x80000000) + req
    return struct.pack("=HH", (4 + len(body)) // 8, 18) + body
time.sleep(1.5)
path = run + "/pfkey.sock"
rng = random.Random(1)
socks = []
t_end = time.time() + 25
killed = 0
n = 0
while time.time() < t_end:
    if len(socks) < 20:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            if rng.random() < 0.3:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            time.sleep(0.05)
            continue
    s = rng.choice(socks)
    op = rng.random()
    ip = "10.%d.%d.%d" % (rng.randrange(4), rng.randrange(256), rng.randrange(256))
    dirn = rng.randrange(1, 4)
    try:
        if op < 0.4:
            s.send(msg(14, n, addr(5, "10.0.0.0", 24) + addr(6, ip, 32) + pol(0, dirn)))
        elif op < 0.5:
            s.send(msg(13, n, addr(5, "10.0.0.0", 24) + addr(6, ip, 32) + pol(0, dirn)))
        elif op < 0.6:
            s.send(msg(15, n, addr(5, "10.0.0.0", 24) + addr(6, ip, 32) + pol(0, dirn, 0)))
        elif op < 0.7:
            s.send(msg(16 if rng.random() < .5 else 22, n, pol(rng.randrange(1, 3000) * 8 + rng.randrange(4))))
        elif op < 0.75:
            s.send(msg(18, n))
        elif op < 0.77:
            s.send(msg(19, n))
        elif op < 0.85:
            b = bytearray(msg(14, n, addr(5, "10.0.0.0", 24) + addr(6, ip, 32) + pol(0, dirn)))
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            s.send(bytes(b))
        elif op < 0.9:
            socks.remove(s); s.close()
        else:
            for _ in range(50):
                s.recv(65536)
    except (BlockingIOError, OSError):
        pass
    n += 1
    if n % 3000 == 0 and killed < 3:
        out = subprocess.run([B + "/parapetctl", "-r", run, "status"], capture_output=True, text=True).stdout
        for l in out.splitlines():
            f = l.split()
            if f and f[0] == "policyd" and f[1].isdigit():
                os.kill(int(f[1]), signal.SIGKILL); killed += 1
for s in socks:
    s.close()
time.sleep(1)
# Still serving?
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(path)
s.send(msg(19, 99999)); s.settimeout(5)
print("flush reply errno", s.recv(65536)[2], "ops", n, "kills", killed)
sup.send_signal(signal.SIGTERM); sup.wait(20)
print("log", d)
