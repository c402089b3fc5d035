#!/bin/sh
# netd_sockpol.sh - per-socket IPsec policy through the whole stack: an
# unmodified program (tests/e2e/sockpol/sockpol_client.c) under the
# preload library sets "out ipsec esp/transport//require" on one UDP
# socket with setsockopt(IP_IPSEC_POLICY); policyd registers it and
# publishes it; netd's replica (netd_spd.h: the "sockpol" topic)
# consults it before the SPD, which has no policy at all. Two hosts in
# network namespaces, each running parapetd (keyd, policyd, ipsecd,
# netd as bump in the stack), the SAs by setkey in both.
#
# Checks: the datagrams of the socket with the policy cross the wire as
# ESP only, those of a second socket without one in clear, and B
# receives both; once the program is gone (its policies with it) the
# same port goes in clear again.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=psA$$
NB=psB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
CLIENT=${PARAPET_SOCKPOL_CLIENT:?PARAPET_SOCKPOL_CLIENT not set}
PRELOAD=${PARAPET_PRELOAD:?PARAPET_PRELOAD not set}

A4=10.79.0.1
B4=10.79.0.2
A6=2001:db8:79::1
B6=2001:db8:79::2
K1=0x$(printf '33%.0s' $(seq 36))
K2=0x$(printf '44%.0s' $(seq 36))

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6

stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
for s in a b; do
	printf '%s\n' "flush;" "spdflush;" \
	    "add $A4 $B4 esp 0x2001 -m transport -E aes-gcm-16 $K1;" \
	    "add $B4 $A4 esp 0x2002 -m transport -E aes-gcm-16 $K2;" |
	    stack_setkey $s
done
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1

# B counts what arrives on the two ports.
ip netns exec "$NB" $PY - $B4 > "$T/recv.log" 2>&1 <<'PY' &
import select, socket, sys, time
socks = {}
for port in (9998, 9999):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], port))
    socks[s] = port
got = {9998: 0, 9999: 0}
end = time.time() + 20
while time.time() < end:
    r, _, _ = select.select(list(socks), [], [], 0.2)
    for s in r:
        s.recv(2048)
        got[socks[s]] += 1
    print(got[9998], got[9999], flush=True)
PY
RECV=$!
# Bound before anything is sent (else B answers port unreachable and the
# client's next send fails with ECONNREFUSED).
wait_until "receiver bound" 10 test -s "$T/recv.log"
received() { tail -1 "$T/recv.log" | awk -v p="$1" '{ print p == 9998 ? $1 : $2 }'; }

ip netns exec "$NA" tcpdump -i vethA -n -s 96 -U --immediate-mode -w "$T/wire.pcap" \
    2> "$T/tcpdump.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump.log"

# client CMDS...: sockpol_client in A under the preload library; the
# commands one per argument, "pause" waits a moment. No pause is needed
# between setsockopt and the first send: policyd answers a change only
# once netd has applied it (SockpolAppliedEvent), so the first datagram
# already meets the socket's policy in netd.
client() {
	for c in "$@"; do
		if [ "$c" = pause ]; then sleep 0.5; else echo "$c"; fi
	done | ip netns exec "$NA" env PARAPET_RUNDIR="$T/a" \
	    LD_PRELOAD="$PRELOAD" ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$CLIENT" > "$T/client.out" 2>&1
	if grep -qv '^ok' "$T/client.out"; then
		fail "sockpol_client: $(cat "$T/client.out")"
	fi
}

client sock4 "set out ipsec esp/transport//require" "connect 9999 $B4" \
    send send send send send \
    sock4 "connect 9998 $B4" send send send send send
wait_until "B got 5 + 5" 10 sh -c \
    "tail -1 '$T/recv.log' | grep -q '^5 5\$'"
esp_out=$(ctl a counters netd | awk '$1 == "decide.why.socket" { print $2 }')
[ "${esp_out:-0}" -ge 5 ] || fail "decide.why.socket is '$esp_out'"
# policyd held the replies to set and connect until netd had them.
pdc() { ctl a counters policyd | awk -v n="$1" '$1 == n { print $2 }'; }
held=$(pdc sockpol.held)
[ "${held:-0}" -ge 2 ] || fail "sockpol.held is '$held' (2 expected at least)"
log "policyd: sockpol.held $held, acks $(pdc sockpol.acks), ack_timeout $(pdc sockpol.ack_timeout)"

# The program is gone, its policy with it: port 9999 in clear now.
wait_until "registry empty" 10 sh -c \
    "PARAPET_RUNDIR='$T/a' '$BIN/parapetctl' -r '$T/a' counters policyd | awk '\$1 == \"sockpol.entries\" { exit \$2 != 0 }'"
client sock4 "connect 9999 $B4" send send
wait_until "B got 5 + 7" 10 sh -c \
    "tail -1 '$T/recv.log' | grep -q '^5 7\$'"

kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
kill "$RECV" 2>/dev/null || true
wait "$RECV" 2>/dev/null || true
esp=$(tcpdump -r "$T/wire.pcap" -n "ip proto 50 and src $A4" 2>/dev/null | wc -l)
c9999=$(tcpdump -r "$T/wire.pcap" -n "udp dst port 9999" 2>/dev/null | wc -l)
c9998=$(tcpdump -r "$T/wire.pcap" -n "udp dst port 9998" 2>/dev/null | wc -l)
log "wire: $esp ESP from A, $c9998 clear to 9998, $c9999 clear to 9999"
[ "$esp" -eq 5 ] || fail "$esp ESP packets from A (5 expected)"
[ "$c9998" -eq 5 ] || fail "$c9998 clear datagrams to 9998 (5 expected)"
[ "$c9999" -eq 2 ] || fail "$c9999 clear datagrams to 9999 (2 expected: after the program)"
for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok: 5 datagrams by the socket's policy in ESP, 5 + 2 in clear"
