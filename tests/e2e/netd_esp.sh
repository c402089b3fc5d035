#!/bin/sh
# netd_esp.sh - two hosts running the whole Parapet stack exchange real
# traffic over ESP: two network namespaces joined by a veth, each with
# parapetd (keyd, policyd, ipsecd, netd) and netd as bump in the stack
# (tests/e2e/lib/netns.sh: the host address on a TAP, AF_PACKET on the
# veth). SAs (ESP AES-GCM-16, transport, both directions) by our setkey
# in each stack, and the policies by setkey spdadd through policyd (netd
# follows policyd's SPD: netd_spd.h).
#
#   namespace A                                   namespace B
#   tapA 10.78.0.1                                tapB 10.78.0.2
#     |                                             |
#   netd == ring0 == ipsecd                       netd == ring0 == ipsecd
#     |     (parapetd: keyd policyd)                |
#   vethA ====================================== vethB
#            a capture here sees only ESP for 10.78.0.1 <-> 10.78.0.2
#
# First, as the figures' reference, iperf3 through both netds in clear
# (no policy yet). Checks: ICMP echo both ways, a UDP exchange, iperf3 TCP (2 s; the first
# full-size segments come back as ICMP "fragmentation needed" from netd,
# the host lowers its path MTU), no clear IPv4 packet between the two
# addresses on the wire, setkey -D shows bytes used on every SA, netd's
# counters; kill -9 of A's ipsecd under traffic: traffic resumes, still
# nothing in clear. Figures (TCP Gbit/s, echo RTT) go to the log.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=peA$$
NB=peB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }

A4=10.78.0.1
B4=10.78.0.2
A6=2001:db8:78::1
B6=2001:db8:78::2
K1=0x$(printf '11%.0s' $(seq 36))
K2=0x$(printf '22%.0s' $(seq 36))

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6

# keys NAME LOCAL PEER LOCAL6 PEER6: the SAs (both directions, both
# families) and, through policyd, the policies of one side.
keys() {
	name=$1
	{
		echo "flush;"
		echo "add $A4 $B4 esp 0x1001 -m transport -E aes-gcm-16 $K1;"
		echo "add $B4 $A4 esp 0x1002 -m transport -E aes-gcm-16 $K2;"
		echo "add $A6 $B6 esp 0x1003 -m transport -E aes-gcm-16 $K1;"
		echo "add $B6 $A6 esp 0x1004 -m transport -E aes-gcm-16 $K2;"
		echo "spdflush;"
		for p in "$2 $3" "$4 $5"; do
			set -- $p
			echo "spdadd $1 $2 any -P out ipsec esp/transport//require;"
			echo "spdadd $2 $1 any -P in ipsec esp/transport//require;"
		done
	} | stack_setkey "$name"
}

# ipsecd_back OLDPID: A's ipsecd runs again, another process, ready.
ipsecd_back() {
	[ "$(field a ipsecd 2)" != "$1" ] && [ "$(field a ipsecd 3)" = ready ]
}

counter() { stack_counter "$@"; }

stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
# The reference for the figures: the same path with no policy yet
# (both netds bridge in clear, with the same vnet setting: stack.sh VNET).
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1
REF_ECHO=$(icmp_echo "$NA" $B4 10) || fail "clear echo: $REF_ECHO"
tcp_transfer "$NA" "$NB" $B4 2 ||
    fail "TCP A -> B in clear: $(tail -3 "$T/iperf-c.log")"
REF=$(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }')
keys a $A4 $B4 $A6 $B6
keys b $B4 $A4 $B6 $A6

# Everything on A's wire from now on.
ip netns exec "$NA" tcpdump -i vethA -n -s 96 -U --immediate-mode -w "$T/wire.pcap" \
    2> "$T/tcpdump.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump.log"

# --- 1. ICMP, UDP, TCP through ESP ---
# The first echo may wait for ARP (through netd) and for policyd's
# snapshot to reach netd.
wait_until "first echo A -> B" 15 icmp_echo "$NA" $B4 1
out=$(icmp_echo "$NA" $B4 10) || fail "echo A -> B: $out"
log "echo A -> B through ESP: $out (in clear, before the SAs: $REF_ECHO)"
out=$(icmp_echo "$NB" $A4 5) || fail "echo B -> A: $out"
# IPv6: neighbour discovery passes netd in clear, the echo goes in ESP.
icmp6_echo "$NA" $B6 1 > /dev/null || true
out=$(icmp6_echo "$NA" $B6 5) || fail "IPv6 echo A -> B: $out"
out=$(udp_exchange "$NA" $A4 "$NB" $B4 20) || fail "UDP A <-> B: $out"
log "udp: $out"
tcp_transfer "$NA" "$NB" $B4 2 ||
    fail "TCP A -> B over ESP: $(tail -3 "$T/iperf-c.log")"
log "tcp A -> B over ESP: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }') (the same path in clear, before the SAs: $REF)"

for s in a b; do
	for c in ring.sent ring.done ipsec.ok ipsec.wire_out ipsec.delivered \
	    decide.protect decide.unprotect; do
		v=$(counter $s $c)
		[ -n "$v" ] && [ "$v" -gt 0 ] || fail "$s: counter $c: '$v'"
	done
done
# The engine's own (the shell adds bus.*, server.* and ring.ring0.*).
n=$(ctl a counters netd | awk '$1 !~ /^(bus|server|ring\.ring0)\./' | wc -l)
[ "$n" -le 512 ] || fail "netd reports $n counters (SERVER_COUNTERS_MAX 512)"
log "netd: $n counters of its own"
log "a: $(counter a decide.protect) protected, $(counter a decide.unprotect) unprotected, $(counter a icmp.sent) too-big ICMP, $(counter a ipsec.too_big) too_big"
PARAPET_RUNDIR="$T/a" "$BIN/setkey" -D > "$T/sad-a.txt" || fail "setkey -D"
n=$(grep -c "current: [1-9][0-9]*(bytes)" "$T/sad-a.txt" || true)
[ "$n" -ge 2 ] || fail "setkey -D: bytes not counted: $(cat "$T/sad-a.txt")"

# --- 2. kill -9 of A's ipsecd under traffic ---
old=$(field a ipsecd 2)
ip netns exec "$NA" $PY - $B4 > "$T/flood.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 3.0
n = 0
while time.time() < end:
    s.sendto(b"during the kill %d" % n, (sys.argv[1], 9))
    n += 1
    time.sleep(0.0005)
print(n)
PY
FLOOD=$!
sleep 0.5
kill -KILL "$old"
wait_until "ipsecd restarted" 20 ipsecd_back "$old"
wait "$FLOOD" || true
wait_until "echo A -> B after the kill" 15 icmp_echo "$NA" $B4 1
out=$(icmp_echo "$NA" $B4 5) || fail "echo after kill -9: $out"
tcp_transfer "$NA" "$NB" $B4 1 ||
    fail "TCP after kill -9: $(tail -3 "$T/iperf-c.log")"
log "after kill -9 of ipsecd: $out; ring.no_slot $(counter a ring.no_slot), hold.held $(counter a hold.held), ipsec.recovered $(counter a ipsec.recovered)"

# --- 3. the wire: nothing in clear between A and B ---
kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
# IPv6 neighbour discovery (ICMPv6 133..137) is link housekeeping and
# passes in clear by design; nothing else may.
CLEAR="(ip and host $A4 and host $B4 and not ip proto 50) or
    (ip6 and host $A6 and host $B6 and not ip6 proto 50 and
    not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137))"
esp=$(tcpdump -r "$T/wire.pcap" -n "ip proto 50" 2>/dev/null | wc -l)
esp6=$(tcpdump -r "$T/wire.pcap" -n "ip6 proto 50" 2>/dev/null | wc -l)
clear=$(tcpdump -r "$T/wire.pcap" -n "$CLEAR" 2>/dev/null | wc -l)
[ "$esp" -gt 100 ] || fail "only $esp ESP packets captured"
[ "$esp6" -ge 10 ] || fail "only $esp6 IPv6 ESP packets captured"
if [ "$clear" -ne 0 ]; then
	tcpdump -r "$T/wire.pcap" -n "$CLEAR" 2>/dev/null | head -5 >&2
	fail "$clear clear packets between A and B on the wire"
fi
log "wire: $esp ESP packets ($esp6 IPv6), none in clear"
for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
