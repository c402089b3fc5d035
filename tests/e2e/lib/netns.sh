# netns.sh - network namespace helpers shared by netd's end-to-end tests
# (netd_bridge.sh, netd_esp.sh); sourced after sup_lib.sh (log, fail,
# wait_until, ours, $T). POSIX sh. No ping binary is needed: echo is a
# few lines of python with a raw socket.
#
#   netns_add NS...            namespaces with loopback up; exits 0
#                              (skipped) unless root with /dev/net/tun;
#                              sets the EXIT trap netns_cleanup: the
#                              namespaces deleted, then sup_lib's cleanup
#   netns_link NS1 IF1 NS2 IF2 a veth from IF1 in NS1 to IF2 in NS2
#   netns_pair NA NB           two namespaces joined by vethA (NA) and
#                              vethB (NB)
#   netns_bits NS WIRE TAP A4 A6
#                              bump in the stack in NS: the addresses on
#                              TAP (which takes WIRE's MAC), WIRE without
#                              address, IPv6 off, and enslaved to a bridge
#                              that stays down, so NS's kernel never sees
#                              wire frames itself: netd is the only path
#   netns_plain NS IF A4 A6    the addresses on IF, up
#   icmp_echo NS DST COUNT     ICMP echo; 0 when every request got a reply
#   icmp6_echo NS DST COUNT    the same for ICMPv6 (neighbour discovery
#                              must pass first)
#   udp_send NS DST            one datagram to port 9
#   udp_big SRC_NS DST_NS DST  a 4000-byte datagram (IPv4 fragments);
#                              0 when it arrived whole
#   udp_exchange NS_A A NS_B B COUNT
#                              COUNT datagrams A -> B, each echoed back;
#                              0 when every one came back intact
#   tcp_transfer C_NS S_NS S_ADDR SECS
#                              iperf3 for SECS from C_NS to S_ADDR in S_NS;
#                              the client's log is $T/iperf-c.log
PY=${PY:-/usr/bin/python3}

netns_cleanup() {
	rc=$?
	# A namespace goes with its last process: sup_lib's cleanup stops
	# them and exits with the test's status.
	for ns in ${NETNS_LIST:-}; do ip netns del "$ns" 2>/dev/null || true; done
	[ $rc -eq 0 ] || (exit $rc) || cleanup
	cleanup
}

netns_add() {
	[ "$(id -u)" = 0 ] || { log "skipped: needs root"; exit 0; }
	[ -c /dev/net/tun ] || { log "skipped: no /dev/net/tun"; exit 0; }
	trap netns_cleanup EXIT
	for ns in "$@"; do
		NETNS_LIST="${NETNS_LIST:-} $ns"
		ip netns add "$ns"
		ip netns exec "$ns" ip link set lo up
	done
}

netns_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

netns_pair() {
	netns_add "$1" "$2"
	netns_link "$1" vethA "$2" vethB
}

netns_bits() {
	ns=$1 wire=$2 tap=$3
	ip netns exec "$ns" ip link add "br$wire" type bridge	# stays down
	ip netns exec "$ns" ip link set "$wire" master "br$wire"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$wire.disable_ipv6=1"
	ip netns exec "$ns" ip link set "$wire" up
	mac=$(ip netns exec "$ns" cat "/sys/class/net/$wire/address")
	ip netns exec "$ns" ip tuntap add dev "$tap" mode tap
	ip netns exec "$ns" ip link set "$tap" address "$mac"
	ip netns exec "$ns" ip addr add "$4/24" dev "$tap"
	ip netns exec "$ns" ip addr add "$5/64" dev "$tap" nodad
	ip netns exec "$ns" ip link set "$tap" up
}

netns_plain() {
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip addr add "$4/64" dev "$2" nodad
	ip netns exec "$1" ip link set "$2" up
}

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
rtt = []
for seq in range(count):
    body = struct.pack("!HH", ident, seq) + b"parapet" * 8
    hdr = struct.pack("!BBH", 8, 0, 0)
    pkt = struct.pack("!BBH", 8, 0, csum(hdr + body)) + body
    t0 = time.time()
    s.sendto(pkt, (dst, 0))
    end = t0 + 1.0
    while time.time() < end:
        try:
            r = s.recv(2048)
        except socket.timeout:
            break
        ihl = (r[0] & 15) * 4
        t, _, _, i, q = struct.unpack("!BBHHH", r[ihl:ihl + 8])
        if t == 0 and i == ident and q == seq:
            got += 1
            rtt.append((time.time() - t0) * 1e6)
            break
rtt.sort()
med = "%.0f us median rtt" % rtt[len(rtt) // 2] if rtt else "no rtt"
print("%d/%d replies, %s" % (got, count, med))
sys.exit(0 if got == count else 1)
PY
}

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

udp_send() {
	ip netns exec "$1" $PY -c "import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'clear?', (sys.argv[1], 9))" "$2"
}

udp_big() {
	ip netns exec "$2" $PY - "$3" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7777))
s.settimeout(5.0)
d = s.recv(65536)
sys.exit(0 if d == bytes(range(250)) * 16 else 1)
PY
	rcv=$!
	sleep 0.3
	ip netns exec "$1" $PY -c "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(bytes(range(250)) * 16, (sys.argv[1], 7777))" "$3"
	wait "$rcv"
}

udp_exchange() {
	ip netns exec "$3" $PY - "$4" "$5" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7778))
s.settimeout(5.0)
for i in range(int(sys.argv[2])):
    try:
        d, a = s.recvfrom(65536)
    except socket.timeout:
        sys.exit(1)
    s.sendto(d, a)
PY
	echo_pid=$!
	sleep 0.3
	ip netns exec "$1" $PY - "$2" "$4" "$5" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.settimeout(2.0)
n = int(sys.argv[3])
got = 0
for i in range(n):
    d = (b"%04d" % i) * (50 + i)
    s.sendto(d, (sys.argv[2], 7778))
    try:
        if s.recv(65536) == d:
            got += 1
    except socket.timeout:
        pass
print("%d/%d echoed" % (got, n))
sys.exit(0 if got == n else 1)
PY
	rc=$?
	wait "$echo_pid" 2>/dev/null || true
	return $rc
}

tcp_transfer() {
	rm -f "$T/iperf-s.log" "$T/iperf-c.log"
	ip netns exec "$2" iperf3 -s -1 -B "$3" --logfile "$T/iperf-s.log" &
	srv=$!
	wait_until "iperf3 server" 10 sh -c \
	    "ip netns exec $2 ss -ltn | grep -q $3:5201"
	ip netns exec "$1" iperf3 -c "$3" -t "$4" --connect-timeout 2000 \
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
