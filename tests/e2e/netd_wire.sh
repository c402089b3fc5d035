#!/bin/sh
# netd_wire.sh - attacks on the wire against the whole stack (issue 6),
# with scapy (tests/e2e/lib/wire_inject.py) sending frames on A's veth,
# so that host B's netd receives them from the wire. Two namespaces,
# each with parapetd (keyd, policyd, ipsecd, netd bump in the stack;
# lib/stack.sh), ESP AES-GCM-16 transport SAs by setkey (A -> B SPI
# 0x1001, key K1, known to the test) and `require` policies for IPv4 and
# IPv6.
#
# The SAs have a replay window (setkey -r 64): with none (-r 0, setkey's
# default) KAME and Linux check no sequence numbers, and neither does
# ipsecd.
#
# (a) replay: the ESP frames of a UDP flow A -> B captured on B's veth
#     are sent again: ipsecd B counts each (pkt.replay), the SA's byte
#     count in setkey -D does not move, B's listener sees every datagram
#     once.
# (b) tamper: fresh ESP frames made by scapy with the SA's key (a
#     sequence number B has not seen): the untouched one is delivered
#     (scapy and ipsecd agree); one bit flipped in the ciphertext or the
#     ICV: dropped, pkt.auth and drop.esp_auth; in the SPI: dropped,
#     pkt.unknown_spi. The listener never sees them.
# (c) clear UDP, TCP SYN and ICMP echo from A's address to B (IPv4 and
#     IPv6), against `require`: B's listener receives nothing, a capture
#     on B's TAP sees nothing of them, B's netd counts them
#     (decide.why.in_require).
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=wirA$$
NB=wirB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
$PY -c 'import scapy.layers.ipsec' 2> /dev/null ||
    { log "skipped: no scapy"; exit 0; }
SRC=${PARAPET_SRCDIR:-$(dirname "$0")/../..}
INJ="$PY -B $SRC/tests/e2e/lib/wire_inject.py"

A4=10.82.0.1
B4=10.82.0.2
A6=2001:db8:82::1
B6=2001:db8:82::2
K1=$(printf '11%.0s' $(seq 36))
K2=$(printf '22%.0s' $(seq 36))

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6
MACA=$(ip netns exec "$NA" cat /sys/class/net/vethA/address)
MACB=$(ip netns exec "$NB" cat /sys/class/net/vethB/address)
stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1

for s in a b; do
	if [ $s = a ]; then l4=$A4 p4=$B4 l6=$A6 p6=$B6
	else l4=$B4 p4=$A4 l6=$B6 p6=$A6; fi
	{
		echo "flush;"
		echo "add $A4 $B4 esp 0x1001 -r 64 -m transport -E aes-gcm-16 0x$K1;"
		echo "add $B4 $A4 esp 0x1002 -r 64 -m transport -E aes-gcm-16 0x$K2;"
		echo "add $A6 $B6 esp 0x1003 -r 64 -m transport -E aes-gcm-16 0x$K1;"
		echo "add $B6 $A6 esp 0x1004 -r 64 -m transport -E aes-gcm-16 0x$K2;"
		echo "spdflush;"
		for p in "$l4 $p4" "$l6 $p6"; do
			set -- $p
			echo "spdadd $1 $2 any -P out ipsec esp/transport//require;"
			echo "spdadd $2 $1 any -P in ipsec esp/transport//require;"
		done
	} | stack_setkey $s
done
ready() {
	[ "$(stack_counter "$1" spd.policies)" -ge 6 ] &&
	    [ "$(ctr "$1" ipsecd sa.count)" -ge 4 ]
}
# ctr NAME SERVER COUNTER
ctr() {
	ctl "$1" counters "$2" | awk -v n="$3" '$1 == n { print $2 } END { }' |
	    grep . || echo 0
}
wait_until "A ready" 10 ready a
wait_until "B ready" 10 ready b

# B's listeners: every UDP datagram on 7790 (IPv4 and IPv6) as one line;
# every TCP connection on 7791.
ip netns exec "$NB" $PY - "$T/heard.txt" <<'PY' > "$T/listener.log" 2>&1 &
import select, socket, sys
out = open(sys.argv[1], "a")
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.bind(("0.0.0.0", 7790))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
u6.bind(("::", 7790))
t4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t4.bind(("0.0.0.0", 7791))
t4.listen(8)
while True:
    r, _, _ = select.select([u4, u6, t4], [], [], 120)
    if not r:
        break
    for s in r:
        if s is t4:
            c, a = t4.accept()
            out.write("tcp %s\n" % a[0])
            c.close()
        else:
            d, a = s.recvfrom(65536)
            out.write("udp %s %s\n" % (a[0], d.decode(errors="replace")))
        out.flush()
PY
LST=$!
wait_until "listener" 10 sh -c "ip netns exec $NB ss -lun | grep -q ':7790'"
heard() { [ "$(wc -l < "$T/heard.txt")" -ge "$1" ]; }

# --- the flow, captured whole on B's wire ---
ip netns exec "$NB" tcpdump -i vethB -n -s 0 -U --immediate-mode \
    -w "$T/flow.pcap" 2> "$T/tcpdump-flow.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump-flow.log"
ip netns exec "$NA" $PY - $B4 <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"flow-%02d" % i, (sys.argv[1], 7790))
    time.sleep(0.02)
PY
wait_until "20 datagrams heard" 10 heard 20
kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true

# sa_bytes NAME SPI: the bytes setkey -D shows for that SA.
sa_bytes() {
	PARAPET_RUNDIR="$T/$1" "$BIN/setkey" -D |
	    awk -v s="(0x$2)" 'index($0, s) { f = 1 }
	    f && /current: [0-9]+\(bytes\)/ { sub(/.*current: /, "");
	    sub(/\(bytes\).*/, ""); print; exit }'
}
# stable NAME SPI: two readings 1.5 s apart agree (ipsecd reports
# usage once a second); sets BYTES.
stable() {
	b1=$(sa_bytes "$1" "$2")
	sleep 1.5
	BYTES=$(sa_bytes "$1" "$2")
	[ -n "$BYTES" ] && [ "$BYTES" -gt 0 ] && [ "$b1" = "$BYTES" ]
}
stable b 00001001 || stable b 00001001 || stable b 00001001 ||
    fail "B's SA 0x1001: bytes not counted or not stable ($BYTES)"
before=$BYTES

# --- (a) replay ---
r0=$(ctr b ipsecd pkt.replay)
n=$(ip netns exec "$NA" $INJ replay vethA "$T/flow.pcap" 0x1001)
[ "$n" -ge 20 ] || fail "only $n ESP frames captured to replay"
want=$((r0 + n))
replayed() { [ "$(ctr b ipsecd pkt.replay)" -ge "$want" ]; }
i=0
until replayed; do
	[ $i -lt 100 ] || fail "replays not counted: $(ctl b counters ipsecd | grep '^pkt\.' | grep -v ' 0$')"
	sleep 0.1
	i=$((i + 1))
done
stable b 00001001 || stable b 00001001 ||
    fail "B's SA 0x1001 bytes not stable after the replay"
[ "$BYTES" = "$before" ] ||
    fail "replayed frames counted on the SA: $before -> $BYTES bytes"
dups=$(sort "$T/heard.txt" | uniq -d | wc -l)
[ "$(wc -l < "$T/heard.txt")" -eq 20 ] && [ "$dups" -eq 0 ] ||
    fail "the application saw replays: $(sort "$T/heard.txt" | uniq -c)"
log "replay: $n frames sent again, pkt.replay $r0 -> $(ctr b ipsecd pkt.replay), SA bytes $BYTES unchanged, 20 datagrams heard once"

# --- (b) tamper ---
a0=$(ctr b ipsecd pkt.auth)
e0=$(ctr b ipsecd drop.esp_auth)
u0=$(ctr b ipsecd pkt.unknown_spi)
esp() {
	ip netns exec "$NA" $INJ esp vethA "$MACA" "$MACB" $A4 $B4 0x1001 \
	    "$K1" "$@"
}
esp 100001:ct:tampered-ct 100002:icv:tampered-icv 100003:spi:tampered-spi
authed() {
	[ "$(ctr b ipsecd pkt.auth)" -ge $((a0 + 2)) ] &&
	    [ "$(ctr b ipsecd drop.esp_auth)" -ge $((e0 + 2)) ] &&
	    [ "$(ctr b ipsecd pkt.unknown_spi)" -ge $((u0 + 1)) ]
}
wait_until "tampered frames counted" 10 authed
# The control: the same frame untouched is delivered.
esp 100004:none:fresh-ok
wait_until "scapy's own ESP frame delivered" 10 heard 21
grep -q "fresh-ok" "$T/heard.txt" || fail "control frame: $(cat "$T/heard.txt")"
if grep -q tampered "$T/heard.txt"; then
	fail "a tampered frame was delivered: $(cat "$T/heard.txt")"
fi
log "tamper: pkt.auth $a0 -> $(ctr b ipsecd pkt.auth), drop.esp_auth $e0 -> $(ctr b ipsecd drop.esp_auth), pkt.unknown_spi $u0 -> $(ctr b ipsecd pkt.unknown_spi); scapy's untouched frame delivered"

# --- (c) clear traffic against require ---
ip netns exec "$NB" tcpdump -i tapB -n -s 0 -U --immediate-mode \
    -w "$T/tap.pcap" 2> "$T/tcpdump-tap.log" &
CAP=$!
wait_until "TAP capture running" 10 grep -q "listening on" \
    "$T/tcpdump-tap.log"
c0=$(stack_counter b decide.why.in_require)
n=$(ip netns exec "$NA" $INJ clear vethA "$MACA" "$MACB" $A4 $B4 $A6 $B6)
[ "$n" = 6 ] || fail "scapy sent $n clear frames"
inreq() { [ "$(stack_counter b decide.why.in_require)" -ge $((c0 + n)) ]; }
wait_until "clear frames counted by B's netd" 10 inreq
sleep 0.5
kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
seen=$(tcpdump -r "$T/tap.pcap" -n "(ip and host $A4) or
    (ip6 and host $A6 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137))" \
    2>/dev/null | wc -l)
[ "$seen" -eq 0 ] || fail "$seen clear frames reached B's TAP: $(tcpdump -r "$T/tap.pcap" -n 2>/dev/null | head -5)"
if grep -q -e "PARAPET-CLEAR" -e "^tcp" "$T/heard.txt"; then
	fail "clear traffic reached B's listener: $(cat "$T/heard.txt")"
fi
log "clear: $n frames (IPv4 and IPv6), decide.why.in_require $c0 -> $(stack_counter b decide.why.in_require), none on B's TAP, none heard"

kill "$LST" 2>/dev/null || true
wait "$LST" 2>/dev/null || true
for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
