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
. "$(dirname "$0")/lib/netns.sh"

NA=pnA$$
NB=pnB$$

# --- topology (tests/e2e/lib/netns.sh) ---
netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA 10.77.0.1 2001:db8:77::1
netns_plain "$NB" vethB 10.77.0.2 2001:db8:77::2

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
wait_policyd = no

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
udp_big "$NB" "$NA" 10.77.0.1 || fail "fragmented UDP B -> A through netd"
# The first may meet the link-local address of tapA still tentative.
icmp6_echo "$NA" 2001:db8:77::2 1 > /dev/null || true
icmp6_echo "$NA" 2001:db8:77::2 3 || fail "IPv6 ping A -> B (ND) through netd"
tcp_transfer "$NA" "$NB" 10.77.0.2 2 || fail "TCP A -> B through netd: $(tail -3 "$T/iperf-c.log")"
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
if tcp_transfer "$NA" "$NB" 10.77.0.2 2; then fail "TCP passed a discard policy"; fi
udp_send "$NA" 10.77.0.2
d=$(counter decide.discard)
p=$(counter decide.why.policy)
q=$(counter decide.why.in_require)
[ -n "$d" ] && [ "$d" -ge 5 ] || fail "decide.discard: '$d'"
[ -n "$p" ] && [ -n "$q" ] && [ "$q" -ge 4 ] || fail "in_require: '$q'"
[ "$p" -ge 1 ] || fail "decide.why.policy: '$p'"
wait_until "UDP held, not sent" 5 sh -c \
    "[ \"\$($BIN/parapetctl -r $T/a counters netd | awk '\$1 == \"hold.held\" { print \$2 }')\" -ge 1 ]"
# ARP still passes, and other traffic (the echo requests out) too.
[ "$(counter bridge.nonip)" -gt 0 ] || fail "no ARP through netd"
[ "$(counter decide.bypass)" -gt 0 ] || fail "nothing bypassed"
log "policies: $d discarded ($q clear under require), $(counter hold.held) held in the hold queue (no ipsecd; dropped when it times out)"
held_expired() { [ "$(counter hold.expired)" -ge 1 ]; }
wait_until "held UDP dropped at its timeout" 5 held_expired
stop

# --- 3. no vnet headers (the fallback): complete checksums ourselves ---
VNET=no
start
icmp_echo "$NA" 10.77.0.2 3 || fail "ping A -> B without vnet headers"
tcp_transfer "$NA" "$NB" 10.77.0.2 2 || fail "TCP without vnet headers: $(tail -3 "$T/iperf-c.log")"
log "tcp without vnet: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }'), $(counter bridge.csum_fixed) checksums completed"
if grep -q "no vnet" "$T/a.log"; then fail "vnet off, logged as fallback"; fi
stop

# --- 4. vnet headers on the TAP only: the supervisor opens the TAP
# without them (sup_links.c vnet_pair), or netd reopens it without ---
VNET=yes
VNET_WIRE=no
start
grep -q -e "reopening tapA without" \
    -e "tapA.*no vnet headers (as the supervisor opened it)" "$T/a.log" ||
	fail "TAP vnet headers not matched to the wire's"
tcp_transfer "$NA" "$NB" 10.77.0.2 2 || fail "TCP with vnet on one side: $(tail -3 "$T/iperf-c.log")"
[ "$(counter bridge.gso_dropped)" = 0 ] || fail "superpackets dropped"
log "tcp, vnet asked on one side only: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }')"
stop
log "ok"
