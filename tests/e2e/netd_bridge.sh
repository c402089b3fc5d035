#!/bin/sh
# netd_bridge.sh - netd as bump in the stack between two network
# namespaces: A's address lives on a TAP that netd bridges to the veth
# with AF_PACKET. ICMP echo and a TCP transfer (iperf3) from A to B work
# through netd (SPD empty, def_policy 1: bypass), IPv6 echo too (so
# neighbour discovery passes through netd). With static policies
# (netd's -P test hook: discard, and ipsec ones that netd can only
# enforce, with no ipsecd yet) they stop: TCP out is discarded, clear
# echo from B never reaches A under a require policy, UDP under an
# outbound ipsec policy is held, never sent in clear. Then all again
# without vnet headers (netd completes partial checksums), and with
# them asked for on one side only (netd drops them on both). netd's
# counters show all of it.
#
#   namespace A                                       namespace B
#   tapA 10.77.0.1/24 2001:db8:77::1 (vethA's MAC)    vethB 10.77.0.2/24 ::2
#     |                                                 |
#   netd (under parapetd) == AF_PACKET == vethA ====== vethB
#                                 (no address; port of a bridge that is
#                                  down, so A's kernel never sees wire
#                                  frames itself: netd is the only path)
. "$(dirname "$0")/sup_lib.sh"

NA=pnA$$
NB=pnB$$
PY=/usr/bin/python3

netd_cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for s in $SUPS; do kill -TERM "${s#*:}" 2>/dev/null || true; done
	i=0
	while [ -n "$(ours)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	for p in $(ours); do
		log "cleanup: killing leftover pid $p"
		kill -KILL "$p" 2>/dev/null || true
	done
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	rm -rf "$T"
	exit $rc
}
trap netd_cleanup EXIT

[ "$(id -u)" = 0 ] || { log "skipped: needs root"; exit 0; }
[ -c /dev/net/tun ] || { log "skipped: no /dev/net/tun"; exit 0; }

inA() { ip netns exec "$NA" "$@"; }
inB() { ip netns exec "$NB" "$@"; }

# --- topology ---
ip netns add "$NA"
ip netns add "$NB"
ip link add vethA netns "$NA" type veth peer name vethB netns "$NB"
inA ip link set lo up
inB ip link set lo up
inA ip link add brA type bridge		# stays down: its ports drop
inA ip link set vethA master brA
inA sysctl -qw net.ipv6.conf.vethA.disable_ipv6=1
inA ip link set vethA up
mac=$(inA cat /sys/class/net/vethA/address)
inA ip tuntap add dev tapA mode tap
inA ip link set tapA address "$mac"
inA ip addr add 10.77.0.1/24 dev tapA
inA ip addr add 2001:db8:77::1/64 dev tapA nodad
inA ip link set tapA up
inB ip addr add 10.77.0.2/24 dev vethB
inB ip addr add 2001:db8:77::2/64 dev vethB nodad
inB ip link set vethB up

# icmp_echo NETNS DST COUNT: ICMP echo with a raw socket (no ping
# binary needed); exit 0 when every request got its reply.
icmp_echo() {
	ip netns exec "$1" $PY - "$2" "$3" <<'PY'
import os, socket, struct, sys, time
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
ident = os.getpid() & 0xffff
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
got = 0
for seq in range(count):
    body = struct.pack("!HH", ident, seq) + b"parapet" * 8
    hdr = struct.pack("!BBH", 8, 0, 0)
    pkt = struct.pack("!BBH", 8, 0, csum(hdr + body)) + body
    s.sendto(pkt, (dst, 0))
    end = time.time() + 1.0
    while time.time() < end:
        try:
            r = s.recv(2048)
        except socket.timeout:
            break
        ihl = (r[0] & 15) * 4
        t, _, _, i, q = struct.unpack("!BBHHH", r[ihl:ihl + 8])
        if t == 0 and i == ident and q == seq:
            got += 1
            break
print("%d/%d replies" % (got, count))
sys.exit(0 if got == count else 1)
PY
}

# icmp6_echo NETNS DST COUNT: the same for ICMPv6 (the kernel fills in
# the checksum of raw ICMPv6 sockets). Needs neighbour discovery through
# netd first.
icmp6_echo() {
	ip netns exec "$1" $PY - "$2" "$3" <<'PY'
import os, socket, struct, sys, time
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.settimeout(1.0)
ident = os.getpid() & 0xffff
got = 0
for seq in range(count):
    s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"p6" * 16,
             (dst, 0))
    end = time.time() + 2.0
    while time.time() < end:
        try:
            r = s.recv(2048)
        except socket.timeout:
            break
        t, _, _, i, q = struct.unpack("!BBHHH", r[:8])
        if t == 129 and i == ident and q == seq:
            got += 1
            break
print("%d/%d replies" % (got, count))
sys.exit(0 if got == count else 1)
PY
}

# udp_send NETNS DST: one datagram to port 9.
udp_send() {
	ip netns exec "$1" $PY -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'clear?', (sys.argv[1], 9))" "$2"
}

# udp_big: a 4000-byte datagram from B to A (IPv4 fragments through
# netd, reassembled by A's kernel); exit 0 when it arrived whole.
udp_big() {
	ip netns exec "$NA" $PY - <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 7777))
s.settimeout(5.0)
d = s.recv(65536)
sys.exit(0 if d == bytes(range(250)) * 16 else 1)
PY
	rcv=$!
	sleep 0.3
	ip netns exec "$NB" $PY -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(bytes(range(250)) * 16, ('10.77.0.1', 7777))"
	wait "$rcv"
}

# tcp_transfer: iperf3 for 2 s from A to B; exit status of the client.
tcp_transfer() {
	rm -f "$T/iperf-s.log" "$T/iperf-c.log"
	inB iperf3 -s -1 -B 10.77.0.2 --logfile "$T/iperf-s.log" &
	srv=$!
	wait_until "iperf3 server" 10 sh -c \
	    "ip netns exec $NB ss -ltn | grep -q 10.77.0.2:5201"
	inA iperf3 -c 10.77.0.2 -t 2 --connect-timeout 2000 \
	    --logfile "$T/iperf-c.log"
	rc=$?
	# A server still waiting (the client never got through) goes.
	for p in $(ours); do
		if grep -q iperf3 "/proc/$p/cmdline" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
		fi
	done
	wait "$srv" 2>/dev/null || true
	return $rc
}

# counter NAME: netd's counter (parapetctl counters netd).
counter() {
	ctl a counters netd | awk -v n="$1" '$1 == n { print $2 }'
}

VNET=yes
VNET_WIRE=
conf() {
	cat > "$T/netd.conf" <<CONF
[netd]
mode = host
def_policy = 1

[link host]
type = tap
role = host
ifname = tapA
vnet = $VNET

[link wire]
type = packet
role = wire
ifname = vethA
vnet = ${VNET_WIRE:-$VNET}
CONF
	{
		echo "[supervisor]"
		echo "ready_timeout_ms = 10000"
		echo "stop_grace_ms = 3000"
		echo "[server netd]"
		echo "args = -c $T/netd.conf $*"
	} > "$T/a.conf"
}

start() {
	conf "$@"
	"$BIN/netd" -c "$T/netd.conf" -t $* > /dev/null || fail "netd -t"
	ip netns exec "$NA" "$BIN/parapetd" -c "$T/a.conf" -r "$T/a" \
	    -b "$BIN" > "$T/a.log" 2>&1 &
	SUPS="a:$!"
	wait_until "netd ready" 30 all_ready a
}

stop() {
	pa=$(sup_pid a)
	ctl a shutdown > /dev/null || fail "shutdown"
	wait_until "parapetd gone" 30 gone "$pa"
	wait "$pa" 2>/dev/null || true
	SUPS=""
}

# --- 0. a bad netd.conf: every error with its file and line ---
printf '[netd]\nmode = bridge\nbatches = 0\n[link x]\ntype = ppp\n' > "$T/bad.conf"
if "$BIN/netd" -c "$T/bad.conf" -t 2> "$T/bad.err"; then fail "bad conf accepted"; fi
for e in "bad.conf:2: mode" "bad.conf:3: batches" "bad.conf:5: type" \
    "bad.conf:4: link x: no type"; do
	grep -q "$e" "$T/bad.err" || fail "netd -t: no \"$e\": $(cat "$T/bad.err")"
done

# --- 1. bypass: everything passes ---
start
icmp_echo "$NA" 10.77.0.2 5 || fail "ping A -> B through netd"
icmp_echo "$NB" 10.77.0.1 3 || fail "ping B -> A through netd"
udp_big || fail "fragmented UDP B -> A through netd"
# The first may meet the link-local address of tapA still tentative.
icmp6_echo "$NA" 2001:db8:77::2 1 > /dev/null || true
icmp6_echo "$NA" 2001:db8:77::2 3 || fail "IPv6 ping A -> B (ND) through netd"
tcp_transfer || fail "TCP A -> B through netd: $(tail -3 "$T/iperf-c.log")"
grep -q receiver "$T/iperf-c.log" || fail "iperf3: no result"
log "tcp: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }')"
ctl a counters netd > "$T/counters1"
for c in decide.bypass decide.deliver decide.why.def_policy bridge.nonip \
    bridge.passed link.host.rx_pkts link.wire.rx_pkts link.host.tx_pkts \
    link.wire.tx_pkts; do
	v=$(counter $c)
	[ -n "$v" ] && [ "$v" -gt 0 ] || fail "counter $c: '$v'"
done
[ "$(counter decide.discard)" = 0 ] || fail "discards in bypass mode"
v=$(counter decide.why.nd)
[ -n "$v" ] && [ "$v" -gt 0 ] || fail "no ND through netd: '$v'"
log "bypass: $(counter decide.bypass) out, $(counter decide.deliver) in, $(counter bridge.nonip) non-IP"
stop

# --- 2. policies: TCP out discarded; ICMP in under a require policy
# (clear echo never reaches A); UDP out under an ipsec policy with no
# ipsecd (never sent in clear) ---
start -P out,10.77.0.1/32,10.77.0.2/32,tcp,discard \
    -P in,10.77.0.2/32,10.77.0.1/32,icmp,ipsec \
    -P out,10.77.0.1/32,10.77.0.2/32,udp,ipsec
if icmp_echo "$NA" 10.77.0.2 2; then fail "ping A -> B passed"; fi
if icmp_echo "$NB" 10.77.0.1 2; then fail "clear ping B -> A passed require"; fi
if tcp_transfer; then fail "TCP passed a discard policy"; fi
udp_send "$NA" 10.77.0.2
d=$(counter decide.discard)
p=$(counter decide.why.policy)
q=$(counter decide.why.in_require)
[ -n "$d" ] && [ "$d" -ge 5 ] || fail "decide.discard: '$d'"
[ -n "$p" ] && [ -n "$q" ] && [ "$q" -ge 4 ] || fail "in_require: '$q'"
[ "$p" -ge 1 ] || fail "decide.why.policy: '$p'"
wait_until "UDP held, not sent" 5 sh -c \
    "[ \"\$($BIN/parapetctl -r $T/a counters netd | awk '\$1 == \"bridge.held\" { print \$2 }')\" -ge 1 ]"
# ARP still passes, and other traffic (the echo requests out) too.
[ "$(counter bridge.nonip)" -gt 0 ] || fail "no ARP through netd"
[ "$(counter decide.bypass)" -gt 0 ] || fail "nothing bypassed"
log "policies: $d discarded ($q clear under require), $(counter bridge.held) held (no ipsecd)"
stop

# --- 3. no vnet headers (the fallback): complete checksums ourselves ---
VNET=no
start
icmp_echo "$NA" 10.77.0.2 3 || fail "ping A -> B without vnet headers"
tcp_transfer || fail "TCP without vnet headers: $(tail -3 "$T/iperf-c.log")"
log "tcp without vnet: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }'), $(counter bridge.csum_fixed) checksums completed"
if grep -q "no vnet" "$T/a.log"; then fail "vnet off, logged as fallback"; fi
stop

# --- 4. vnet headers on the TAP only: netd reopens it without ---
VNET=yes
VNET_WIRE=no
start
grep -q "reopening tapA without" "$T/a.log" || fail "no reopen logged"
tcp_transfer || fail "TCP with vnet on one side: $(tail -3 "$T/iperf-c.log")"
[ "$(counter bridge.gso_dropped)" = 0 ] || fail "superpackets dropped"
log "tcp, vnet asked on one side only: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }')"
stop
log "ok"
