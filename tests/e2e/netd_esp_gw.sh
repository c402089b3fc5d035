#!/bin/sh
# netd_esp_gw.sh - netd in gateway mode: two gateways, each with the
# whole Parapet stack and netd as bump in the stack, carry the traffic of
# the hosts behind them in an ESP tunnel (AES-GCM-16), SAs and policies
# (spdadd ... -P out / -P in, whose fwd twin covers what is forwarded) by
# our setkey. The gateways' kernels route: what goes to the other side
# enters the TAP (route via the peer gateway) and netd protects it with
# the tunnel policy; the peer's netd unprotects ESP for its own address
# (netd.conf `address`), checks the inner packet against the fwd policy
# and hands it to its TAP, and that kernel forwards it on.
#
#   H1 10.1.0.5 -- GA: 10.1.0.1 | tapA 192.0.2.1 = netd = vethA
#                                                           |  ESP tunnel
#   H2 10.2.0.7 -- GB: 10.2.0.1 | tapB 192.0.2.2 = netd = vethB
#
# Checks: echo H1 -> H2 and back, a UDP exchange, iperf3 TCP (1 s; path
# MTU through the tunnel: netd's ICMP "fragmentation needed" is routed
# back to H1 by GA's kernel); nothing of 10.1/10.2 in clear on the
# gateways' wire; fwd decisions counted at both gateways.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

H1=pgH1$$
GA=pgGA$$
GB=pgGB$$
H2=pgH2$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
K1=0x$(printf '33%.0s' $(seq 36))
K2=0x$(printf '44%.0s' $(seq 36))

netns_add "$H1" "$GA" "$GB" "$H2"
netns_link "$H1" h1 "$GA" inA
netns_link "$GA" vethA "$GB" vethB
netns_link "$GB" inB "$H2" h2
netns_plain "$H1" h1 10.1.0.5 2001:db8:71::5
netns_plain "$GA" inA 10.1.0.1 2001:db8:71::1
netns_plain "$GB" inB 10.2.0.1 2001:db8:72::1
netns_plain "$H2" h2 10.2.0.7 2001:db8:72::7
netns_bits "$GA" vethA tapA 192.0.2.1 2001:db8:79::1
netns_bits "$GB" vethB tapB 192.0.2.2 2001:db8:79::2
ip netns exec "$H1" ip route add default via 10.1.0.1
ip netns exec "$H2" ip route add default via 10.2.0.1
for g in "$GA" "$GB"; do
	ip netns exec "$g" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$g" sysctl -qw net.ipv4.conf.all.rp_filter=0
	ip netns exec "$g" sysctl -qw net.ipv4.conf.default.rp_filter=0
done
ip netns exec "$GA" ip route add 10.2.0.0/24 via 192.0.2.2 dev tapA
ip netns exec "$GB" ip route add 10.1.0.0/24 via 192.0.2.1 dev tapB

stack_start a "$GA" tapA vethA 192.0.2.1
stack_start b "$GB" tapB vethB 192.0.2.2
# gw NAME LOCALNET PEERNET LOCAL PEER: the tunnel SAs and policies.
gw() {
	{
		echo "flush;"
		echo "add 192.0.2.1 192.0.2.2 esp 0x2001 -m tunnel -E aes-gcm-16 $K1;"
		echo "add 192.0.2.2 192.0.2.1 esp 0x2002 -m tunnel -E aes-gcm-16 $K2;"
		echo "spdflush;"
		echo "spdadd $2 $3 any -P out ipsec esp/tunnel/$4-$5/require;"
		echo "spdadd $3 $2 any -P in ipsec esp/tunnel/$5-$4/require;"
	} | stack_setkey "$1"
}
gw a 10.1.0.0/24 10.2.0.0/24 192.0.2.1 192.0.2.2
gw b 10.2.0.0/24 10.1.0.0/24 192.0.2.2 192.0.2.1

ip netns exec "$GA" tcpdump -i vethA -n -s 96 -U --immediate-mode -w "$T/wire.pcap" \
    2> "$T/tcpdump.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump.log"

wait_until "first echo H1 -> H2" 15 icmp_echo "$H1" 10.2.0.7 1
out=$(icmp_echo "$H1" 10.2.0.7 10) || fail "echo H1 -> H2: $out"
log "echo H1 -> H2 through the tunnel: $out"
out=$(icmp_echo "$H2" 10.1.0.5 5) || fail "echo H2 -> H1: $out"
out=$(udp_exchange "$H1" 10.1.0.5 "$H2" 10.2.0.7 20) ||
    fail "UDP H1 <-> H2: $out"
tcp_transfer "$H1" "$H2" 10.2.0.7 1 ||
    fail "TCP H1 -> H2 through the tunnel: $(tail -3 "$T/iperf-c.log")"
log "tcp H1 -> H2 through the tunnel: $(grep receiver "$T/iperf-c.log" | awk '{ print $7, $8 }')"
for s in a b; do
	for c in decide.protect decide.unprotect decide.forward \
	    ipsec.wire_out ipsec.delivered; do
		v=$(stack_counter $s $c)
		[ -n "$v" ] && [ "$v" -gt 0 ] || fail "$s: counter $c: '$v'"
	done
done
log "a: $(stack_counter a decide.forward) inner packets forwarded, $(stack_counter a icmp.sent) too-big ICMP"

kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
esp=$(tcpdump -r "$T/wire.pcap" -n "ip proto 50 and host 192.0.2.1" \
    2>/dev/null | wc -l)
clear=$(tcpdump -r "$T/wire.pcap" -n "net 10.1.0.0/24 or net 10.2.0.0/24" \
    2>/dev/null | wc -l)
[ "$esp" -gt 100 ] || fail "only $esp tunnel ESP packets captured"
[ "$clear" -eq 0 ] || fail "$clear packets of the inner networks in clear"
log "wire: $esp tunnel ESP packets, none of the inner networks in clear"
for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
