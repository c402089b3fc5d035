#!/bin/sh
# netd_overlay.sh - two overlay hosts, each the whole Parapet stack from
# one file (etc/examples/overlay-a.conf, overlay-b.conf: parapetd -c),
# netd with a TUN inside and ESP outside: first ESP in UDP on port 4500
# (RFC 3948; the example files as shipped, SAs from overlay-*.setkey with
# esp-udp), then ESP on a raw IPv4 socket (the same files with `type =
# raw`, `proto = esp`, and esp SAs), then ESP in UDP over an IPv6 outer
# network (`family = inet6`, IPv6 tunnel endpoints; inner still IPv4).
#
#   namespace A                                   namespace B
#   parapet0 (TUN) 10.1.0.1/24                    parapet0 10.2.0.1/24
#     | route 10.2.0.0/24                           | route 10.1.0.0/24
#   netd == ring0 == ipsecd                       netd == ring0 == ipsecd
#     | udp :4500 | raw esp                         |
#   ovethA 192.0.2.1 ========================== ovethB 192.0.2.2
#            a capture here sees only ESP (in UDP 4500, or IP proto 50)
#
# Checks, in each mode: ICMP echo both ways; a TCP transfer A -> B whose
# SHA-256 the receiver returns; the capture holds ESP between the outer
# addresses and no other IP packet (no clear inner packet, no ICMP from
# a kernel answering ESP it does not know), UDP 4500 only with ESP in
# it, and the payload marker nowhere in it; netd's counters. UDP mode: a
# NAT keepalive and an IKE packet (non-ESP marker) to A's port 4500 are
# counted and dropped. Interop with scapy (an independent ESP): it
# decrypts captured A -> B packets, and packets it builds and encrypts
# (in UDP, or raw) reach the inner side of A and of B (IPv4 outer only).
# IPv6 neighbour discovery and MLD on the IPv6 wire are not counted.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"

SRC=${PARAPET_SRCDIR:?PARAPET_SRCDIR not set}
NA=ovA$$
NB=ovB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
$PY -c "import scapy.layers.ipsec" 2> /dev/null ||
    { log "skipped: no scapy"; exit 0; }
# The examples name their own paths relative to the top of the tree.
cd "$SRC"

A_OUT=192.0.2.1
B_OUT=192.0.2.2
A_IN=10.1.0.1
B_IN=10.2.0.1
MARK=PARAPET-OVERLAY-CLEARTEXT

# The keys of the example SAs (SPI 0x3001 A -> B, 0x3002 B -> A).
key_of() {
	awk -v spi="$1" '$5 == spi { getline; print $3 }' \
	    etc/examples/overlay-a.setkey | tr -d ';'
}
K1=$(key_of 0x3001)
K2=$(key_of 0x3002)
[ -n "$K1" ] && [ -n "$K2" ] || fail "keys not found in overlay-a.setkey"

netns_add "$NA" "$NB"
netns_link "$NA" ovethA "$NB" ovethB

# outer_inner NS IF OUTER INNER PEER_NET: the outer address on the veth,
# the inner one on a TUN with the route to the peer's inner network.
outer_inner() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip link set "$2" up
	ip netns exec "$1" ip tuntap add dev parapet0 mode tun
	ip netns exec "$1" ip addr add "$4/24" dev parapet0
	ip netns exec "$1" ip link set parapet0 mtu 1400 up
	ip netns exec "$1" ip route add "$5" dev parapet0
}
outer_inner "$NA" ovethA $A_OUT $A_IN 10.2.0.0/24
outer_inner "$NB" ovethB $B_OUT $B_IN 10.1.0.0/24

counter() {
	ctl "$1" counters netd | awk -v n="$2" '$1 == n { print $2 }'
}
positive() {
	v=$(counter "$1" "$2")
	[ -n "$v" ] && [ "$v" -gt 0 ]
}

# start NAME NS CONF: the whole stack from one file, in NS.
start() {
	"$BIN/parapetd" -t -c "$3" > /dev/null || fail "parapetd -t $3"
	"$BIN/netd" -t -c "$3" > /dev/null || fail "netd -t $3"
	ip netns exec "$2" "$BIN/parapetd" -c "$3" -r "$T/$1" -b "$BIN" \
	    > "$T/$1.log" 2>&1 &
	SUPS="$SUPS $1:$!"
	wait_until "stack $1 ready" 30 all_ready "$1"
}

stop_all() {
	for s in $SUPS; do kill -TERM "${s#*:}" 2>/dev/null || true; done
	for s in $SUPS; do wait "${s#*:}" 2>/dev/null || true; done
	SUPS=""
}

setkey_f() {
	PARAPET_RUNDIR="$T/$1" "$BIN/setkey" -f "$2" > /dev/null ||
	    fail "setkey -f $2 in $1"
}

# tcp_sha CLIENT_NS SERVER_NS SERVER_ADDR BYTES: the receiver sends back
# the SHA-256 of what it got; 0 when it matches what was sent.
tcp_sha() {
	ip netns exec "$2" $PY - "$3" > "$T/tcp-srv.out" 2>&1 <<'PY' &
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7790))
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
h = hashlib.sha256()
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
c.sendall(h.hexdigest().encode())
c.close()
PY
	srv=$!
	wait_until "tcp server" 10 sh -c \
	    "ip netns exec $2 ss -ltn | grep -q $3:7790"
	ip netns exec "$1" $PY - "$3" "$4" "$MARK" <<'PY'
import hashlib, os, socket, sys, time
mark = sys.argv[3].encode()
data = b"".join(mark + os.urandom(1024 - len(mark))
                for _ in range(int(sys.argv[2]) // 1024))
s = socket.create_connection((sys.argv[1], 7790), timeout=20)
t0 = time.time()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
dt = time.time() - t0
ok = got.decode() == hashlib.sha256(data).hexdigest()
print("%d bytes, sha256 %s, %.0f Mbit/s" % (len(data),
      "ok" if ok else "MISMATCH", len(data) * 8 / dt / 1e6))
sys.exit(0 if ok else 1)
PY
	rc=$?
	wait "$srv" || rc=1
	return $rc
}

# scapy_decrypt PCAP MODE: scapy decrypts A -> B packets of the capture
# (SA 0x3001) into inner packets from A_IN to B_IN.
scapy_decrypt() {
	$PY - "$1" "$2" "$K1" "$A_OUT" "$B_OUT" "$A_IN" "$B_IN" <<'PY'
import sys
from scapy.all import IP, UDP, rdpcap
from scapy.layers.ipsec import ESP, SecurityAssociation
pcap, mode, key, ao, bo, ai, bi = sys.argv[1:]
sa = SecurityAssociation(ESP, spi=0x3001, crypt_algo="AES-GCM",
                         crypt_key=bytes.fromhex(key[2:]),
                         tunnel_header=IP(src=ao, dst=bo),
                         nat_t_header=UDP(sport=4500, dport=4500)
                         if mode == "udp" else None)

def decrypt(ip):
    try:
        return sa.decrypt(ip)
    except Exception:
        return None

def datagrams(ip):
    """The inner packets of one captured frame. A UDP GSO run crosses
    the veth as one frame of n datagrams of one size (the last may be
    shorter) behind one IP and UDP header: cut it as the kernel would."""
    global gso
    inner = decrypt(ip.copy())
    if inner is not None or mode != "udp":
        return [inner]
    # The second datagram starts with the SPI and the next sequence
    # number; it gives the segment size.
    pl = bytes(ip[UDP].payload)
    seg = pl.find(pl[:4] + (int.from_bytes(pl[4:8], "big") + 1)
                  .to_bytes(4, "big"), 8)
    if seg <= 0:
        return [None]
    gso += 1
    return [decrypt(IP(src=ao, dst=bo) / UDP(sport=4500, dport=4500) /
                    ESP(pl[i:i + seg])) for i in range(0, len(pl), seg)]

ok = bad = gso = 0
for p in rdpcap(pcap):
    if IP not in p or ESP not in p or p[IP].src != ao or p[IP].dst != bo:
        continue
    if (UDP in p[IP]) != (mode == "udp") or p[ESP].spi != 0x3001:
        bad += 1
        continue
    for inner in datagrams(p[IP]):
        if inner is not None and inner.src == ai and inner.dst == bi:
            ok += 1
        else:
            bad += 1
    if ok >= 200:
        break
print("scapy decrypted %d packets, %d not as expected (%d UDP GSO runs "
      "cut)" % (ok, bad, gso))
sys.exit(0 if ok >= 5 and bad == 0 else 1)
PY
}

# scapy_inject MODE SRC_NS SPI KEY OUT_SRC OUT_DST IN_SRC IN_DST DST_NS:
# scapy builds an inner UDP datagram, encrypts it (tunnel, in UDP 4500
# or raw ESP) and sends it from SRC_NS; 0 when it arrives at IN_DST in
# DST_NS (through that host's netd and ipsecd).
scapy_inject() {
	ip netns exec "$9" $PY - "$8" > "$T/inject.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7791))
s.settimeout(8)
try:
    d = s.recv(2048)
except socket.timeout:
    sys.exit(1)
print(d.decode())
sys.exit(0 if d.startswith(b"scapy-") else 1)
PY
	rcv=$!
	wait_until "udp receiver" 10 sh -c \
	    "ip netns exec $9 ss -lun | grep -q $8:7791"
	ip netns exec "$2" $PY - "$@" <<'PY'
import socket, sys, time
from scapy.all import IP, UDP, Raw
from scapy.layers.ipsec import ESP, SecurityAssociation
mode, _, spi, key, osrc, odst, isrc, idst = sys.argv[1:9]
sa = SecurityAssociation(ESP, spi=int(spi, 16), crypt_algo="AES-GCM",
                         crypt_key=bytes.fromhex(key[2:]),
                         tunnel_header=IP(src=osrc, dst=odst),
                         nat_t_header=UDP(sport=4500, dport=4500)
                         if mode == "udp" else None)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(3):
    inner = IP(src=isrc, dst=idst) / UDP(sport=40000, dport=7791) / \
        Raw(b"scapy-%s-%d" % (mode.encode(), i))
    # Far ahead of what the peer sent: inside the replay window.
    pkt = bytearray(bytes(sa.encrypt(inner, seq_num=100000 + i)))
    if mode == "udp":
        # scapy 2.5 freezes the NAT-T header before the ESP is behind
        # it (UDP length 8): the length it should have written.
        pkt[24:26] = (len(pkt) - 20).to_bytes(2, "big")
    s.sendto(bytes(pkt), (odst, 0))
    time.sleep(0.2)
PY
	wait "$rcv"
}

# run MODE CONF_A CONF_B SETKEY_A SETKEY_B
run() {
	mode=$1
	log "--- $mode: $2, $3"
	start "$mode-a" "$NA" "$2"
	start "$mode-b" "$NB" "$3"
	setkey_f "$mode-a" "$4"
	setkey_f "$mode-b" "$5"
	if [ "$mode" = udp ]; then
		# RFC 3948 traffic that is not ESP: counted, dropped.
		ip netns exec "$NB" $PY -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$B_OUT', 5000))
s.sendto(b'\xff', ('$A_OUT', 4500))
s.sendto(b'\0\0\0\0ike-ish', ('$A_OUT', 4500))"
		wait_until "keepalive counted" 10 positive udp-a \
		    overlay.rx_keepalive
		wait_until "IKE counted" 10 positive udp-a overlay.rx_ike
	fi
	pcap="$T/wire-$mode.pcap"
	ip netns exec "$NA" tcpdump -i ovethA -n -s 0 -U --immediate-mode \
	    -B 32768 -w "$pcap" 2> "$T/tcpdump.log" &
	cap=$!
	wait_until "capture running" 10 grep -q "listening on" \
	    "$T/tcpdump.log"
	# policyd's SPD and ipsecd's SAs arrive a moment after setkey.
	wait_until "first echo A -> B ($mode)" 20 icmp_echo "$NA" $B_IN 1
	out=$(icmp_echo "$NA" $B_IN 5) || fail "$mode: echo A -> B: $out"
	log "$mode: echo A -> B: $out"
	out=$(icmp_echo "$NB" $A_IN 5) || fail "$mode: echo B -> A: $out"
	out=$(tcp_sha "$NA" "$NB" $B_IN 2097152) ||
	    fail "$mode: TCP A -> B: $out $(cat "$T/tcp-srv.out")"
	log "$mode: tcp A -> B: $out"
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" 2>/dev/null || true
	for s in "$mode-a" "$mode-b"; do
		for c in ipsec.ok ipsec.wire_out ipsec.delivered \
		    decide.protect decide.unprotect link.wire.tx_pkts; do
			positive "$s" "$c" || fail "$s: counter $c: " \
			    "'$(counter "$s" "$c")'"
		done
	done
	log "$mode: a: $(counter "$mode-a" decide.protect) protected," \
	    "$(counter "$mode-a" decide.unprotect) unprotected," \
	    "$(counter "$mode-a" overlay.clear_dropped) clear dropped," \
	    "$(counter "$mode-a" overlay.tx_bad) bad to send"

	# The wire: ESP between the outer addresses, nothing else of IP
	# (IPv6 neighbour discovery and MLD on an IPv6 wire excepted).
	if [ "$mode" = raw ]; then
		esp="ip proto 50"
	else
		esp="udp and src port 4500 and dst port 4500"
	fi
	esp="$esp and host $A_OUT and host $B_OUT"
	notesp="(ip or ip6) and not ($esp) and
	    not (ip6 and (src net fe80::/10 or dst net ff00::/8)) and
	    not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)"
	n=$(tcpdump -r "$pcap" -n "$esp" 2>/dev/null | wc -l)
	other=$(tcpdump -r "$pcap" -n "$notesp" 2>/dev/null | wc -l)
	marker=$($PY -c "import sys; print(open(sys.argv[1], 'rb').read()
.count(sys.argv[2].encode()))" "$pcap" "$MARK")
	# UDP GSO runs cross the veth as one frame each: fewer frames.
	min=100
	[ "$mode" = raw ] || min=20
	[ "$n" -gt $min ] || fail "$mode: only $n ESP frames captured"
	if [ "$other" -ne 0 ]; then
		tcpdump -r "$pcap" -n "$notesp" 2>/dev/null |
		    head -5 >&2
		fail "$mode: $other other IP packets on the wire"
	fi
	[ "$marker" -eq 0 ] || fail "$mode: the marker in clear $marker times"
	if [ "$mode" = udp ]; then
		ike=$(tcpdump -r "$pcap" -n "udp port 4500 and udp[8:4] = 0" \
		    2>/dev/null | wc -l)
		[ "$ike" -eq 0 ] || fail "$mode: $ike non-ESP in UDP 4500"
	fi
	log "$mode: wire: $n ESP frames, no other IP packet, no marker"
	[ "$mode" != udp6 ] || { stop_all; return 0; }

	# Interop: scapy decrypts ours, ours decrypt scapy's.
	out=$(scapy_decrypt "$pcap" "$mode") || fail "$mode: $out"
	log "$mode: $out"
	scapy_inject "$mode" "$NB" 0x3002 "$K2" $B_OUT $A_OUT $B_IN $A_IN \
	    "$NA" || fail "$mode: scapy B -> A: $(cat "$T/inject.out")" \
	    "$(ctl "$mode-a" counters netd | awk '$2 != 0')" \
	    "$(ctl "$mode-a" counters ipsecd | awk '$2 != 0')"
	scapy_inject "$mode" "$NA" 0x3001 "$K1" $A_OUT $B_OUT $A_IN $B_IN \
	    "$NB" || fail "$mode: scapy A -> B: $(cat "$T/inject.out")"
	log "$mode: scapy's ESP arrived inside A and inside B"
	for s in "$mode-a" "$mode-b"; do
		if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
			fail "sanitizer report in $s.log"
		fi
	done
	stop_all
}

# 1. ESP in UDP: the example files as shipped.
run udp etc/examples/overlay-a.conf etc/examples/overlay-b.conf \
    etc/examples/overlay-a.setkey etc/examples/overlay-b.setkey

# 2. Raw ESP: the same files with a raw link and plain esp SAs.
for h in a b; do
	sed -e "s|^type = udp\$|type = raw\nproto = esp|" \
	    -e "/^port = /d" -e "/^gso = /d" \
	    -e "s|^args = .*|args = -c $T/raw-$h.conf|" \
	    "etc/examples/overlay-$h.conf" > "$T/raw-$h.conf"
	sed -e "s/ esp-udp / esp /" "etc/examples/overlay-$h.setkey" \
	    > "$T/raw-$h.setkey"
done
run raw "$T/raw-a.conf" "$T/raw-b.conf" "$T/raw-a.setkey" "$T/raw-b.setkey"

# 3. ESP in UDP over an IPv6 outer network (the inner one stays IPv4):
# the same files with family = inet6 and IPv6 tunnel endpoints.
A_OUT=2001:db8:ff::1
B_OUT=2001:db8:ff::2
for h in a b; do
	sed -e "s|^family = inet\$|family = inet6|" \
	    -e "s|^args = .*|args = -c $T/udp6-$h.conf|" \
	    "etc/examples/overlay-$h.conf" > "$T/udp6-$h.conf"
	sed -e "s/192\.0\.2\.1/$A_OUT/g" -e "s/192\.0\.2\.2/$B_OUT/g" \
	    "etc/examples/overlay-$h.setkey" > "$T/udp6-$h.setkey"
done
for x in "$NA ovethA $A_OUT" "$NB ovethB $B_OUT"; do
	set -- $x
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0"
	ip netns exec "$1" ip -6 addr add "$3/64" dev "$2" nodad
done
run udp6 "$T/udp6-a.conf" "$T/udp6-b.conf" "$T/udp6-a.setkey" \
    "$T/udp6-b.setkey"
log "ok"
