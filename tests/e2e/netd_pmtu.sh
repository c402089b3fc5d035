#!/bin/sh
# netd_pmtu.sh - path MTU discovery through ESP: two hosts with the whole
# Parapet stack (netd bump in the stack) talk ESP AES-GCM-16 transport
# through a router whose link towards B has a smaller MTU. The router
# answers A's too-large ESP packets with ICMP "fragmentation needed" /
# ICMPv6 "packet too big"; A's netd validates the error (the quoted SPI
# and source are what it sent lately: netd_pmtu.h), keeps it from the
# host (whose stack never saw the ESP packet), learns the path MTU to B
# and puts min(link, path) into every PROTECT; ipsecd answers too_big
# for what no longer fits, and netd sends the ICMP to A's TCP, which
# lowers its segment size.
#
#   pmA: tapA 10.61.1.2 = netd = vethA -- rA 10.61.1.1  pmR  rB 10.61.2.1
#                                           (MTU 1500)       (MTU 1340)
#   pmB: tapB 10.61.2.2 = netd = vethB (MTU 1340) -----------'
#
# 1340, not 1280: an IPv6 inner packet must still fit 1280 bytes after
# ESP's ~40 (ICMPv6 "packet too big" below 1280 is not believed, RFC
# 8201), and netd does not fragment the outer packet itself.
#
# Checks (dfbit = 1, parapetctl sysctl): a 4 MB TCP transfer A -> B over
# IPv4 completes with the same SHA-256; A's netd counted
# icmp.pmtu_learned and sent too-big ICMPs to its host; a 1 MB transfer
# over IPv6 (the router's "packet too big") too; the router only ever
# forwarded ESP between the two hosts.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=pmA$$
NR=pmR$$
NB=pmB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }

A4=10.61.1.2
B4=10.61.2.2
A6=2001:db8:611::2
B6=2001:db8:612::2
MTU=1340
K1=0x$(printf '55%.0s' $(seq 36))
K2=0x$(printf '66%.0s' $(seq 36))

netns_add "$NA" "$NR" "$NB"
netns_link "$NA" vethA "$NR" rA
netns_link "$NR" rB "$NB" vethB
ip netns exec "$NR" ip link set rB mtu $MTU
ip netns exec "$NB" ip link set vethB mtu $MTU
netns_plain "$NR" rA 10.61.1.1 2001:db8:611::1
netns_plain "$NR" rB 10.61.2.1 2001:db8:612::1
ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NR" sysctl -qw net.ipv6.conf.all.forwarding=1
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6
ip netns exec "$NA" ip route add default via 10.61.1.1
ip netns exec "$NA" ip -6 route add default via 2001:db8:611::1
ip netns exec "$NB" ip route add default via 10.61.2.1
ip netns exec "$NB" ip -6 route add default via 2001:db8:612::1

keys() {
	{
		echo "flush;"
		echo "add $A4 $B4 esp 0x6101 -m transport -E aes-gcm-16 $K1;"
		echo "add $B4 $A4 esp 0x6102 -m transport -E aes-gcm-16 $K2;"
		echo "add $A6 $B6 esp 0x6103 -m transport -E aes-gcm-16 $K1;"
		echo "add $B6 $A6 esp 0x6104 -m transport -E aes-gcm-16 $K2;"
		echo "spdflush;"
		for p in "$2 $3" "$4 $5"; do
			set -- $p
			echo "spdadd $1 $2 any -P out ipsec esp/transport//require;"
			echo "spdadd $2 $1 any -P in ipsec esp/transport//require;"
		done
	} | stack_setkey "$1"
}

# sha_transfer SRC_NS DST_NS FAMILY DST BYTES: BYTES of random data from
# SRC_NS to DST:5561 in DST_NS over TCP; 0 when all of it arrived with
# the same SHA-256.
sha_transfer() {
	src_ns=$1 dst_ns=$2
	shift 2
	head -c "$3" /dev/urandom > "$T/data"
	rm -f "$T/recv.sha"
	ip netns exec "$dst_ns" $PY - "$1" "$2" "$T/recv.sha" <<'PY' &
import hashlib, socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], 5561))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
c.settimeout(30)
h = hashlib.sha256()
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
open(sys.argv[3], "w").write(h.hexdigest() + "\n")
PY
	rcv=$!
	wait_until "receiver listening" 10 sh -c \
	    "ip netns exec $dst_ns ss -ltn | grep -q 5561"
	ip netns exec "$src_ns" $PY - "$1" "$2" "$T/data" <<'PY'
import socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.create_connection((sys.argv[2], 5561), timeout=30)
s.sendall(open(sys.argv[3], "rb").read())
s.shutdown(socket.SHUT_WR)
s.recv(1)
PY
	rc=$?
	wait "$rcv" || rc=1
	[ $rc -eq 0 ] || return 1
	[ "$(sha256sum < "$T/data" | cut -d' ' -f1)" = "$(cat "$T/recv.sha")" ]
}

stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
keys a $A4 $B4 $A6 $B6
keys b $B4 $A4 $B6 $A6
for s in a b; do
	ctl $s sysctl net.inet.ipsec.dfbit=1 > /dev/null || fail "sysctl dfbit"
done

ip netns exec "$NR" tcpdump -i rA -n -s 96 -U --immediate-mode \
    -w "$T/router.pcap" 2> "$T/tcpdump.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump.log"

wait_until "first echo A -> B" 15 icmp_echo "$NA" $B4 1
sha_transfer "$NA" "$NB" 4 $B4 4194304 || fail "4 MB over IPv4 through MTU $MTU"
learned=$(stack_counter a icmp.pmtu_learned)
sent=$(stack_counter a icmp.sent)
[ "${learned:-0}" -ge 1 ] || fail "a: icmp.pmtu_learned '$learned'"
[ "${sent:-0}" -ge 1 ] || fail "a: icmp.sent '$sent'"
log "IPv4: 4 MB through MTU $MTU, SHA-256 equal; a learned $learned" \
    "path MTU(s), sent $sent too-big ICMP to its host;" \
    "route: $(ip netns exec "$NA" ip route get $B4 | tr -s ' \n' '  ')"

wait_until "first echo A -> B (IPv6)" 15 icmp6_echo "$NA" $B6 1
sha_transfer "$NA" "$NB" 6 $B6 1048576 || fail "1 MB over IPv6 through MTU $MTU"
l6=$(stack_counter a icmp.pmtu_learned)
[ "${l6:-0}" -gt "$learned" ] || fail "a: no path MTU learned over IPv6"
log "IPv6: 1 MB through MTU $MTU, SHA-256 equal; pmtu_learned $learned -> $l6"
for c in not_lower not_ours unknown_spi bad; do
	log "a: icmp.pmtu_ignored.$c $(stack_counter a icmp.pmtu_ignored.$c)"
done

kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
clear=$(tcpdump -r "$T/router.pcap" -n \
    "((host $A4 and host $B4) or (host $A6 and host $B6)) and not (ip proto 50 or ip6 proto 50)" \
    2>/dev/null | wc -l)
esp=$(tcpdump -r "$T/router.pcap" -n "ip proto 50 or ip6 proto 50" \
    2>/dev/null | wc -l)
[ "$esp" -gt 100 ] || fail "only $esp ESP packets at the router"
[ "$clear" -eq 0 ] || fail "$clear clear packets between A and B"
log "router: $esp ESP packets from A, nothing in clear"

# --- Tunnel mode between two gateways, through the same kind of router.
#   H1 10.62.1.5 - GA 10.62.1.1 | tapGA 10.62.3.2 = netd = vethGA -- rC
#   H2 10.62.2.7 - GB 10.62.2.1 | tapGB 10.62.4.2 = netd = vethGB -- rD
#   (router pmR: rC 10.62.3.1, rD 10.62.4.1 with MTU 1340)
# dfbit 0 (KAME's default): the outer header has DF clear, the router
# fragments, GB's netd reassembles. dfbit 1: DF set, the router answers
# "fragmentation needed" to GA (the tunnel's source), GA's netd learns
# the path MTU to GB (the tunnel's remote end) and H1 gets the too-big
# ICMPs through GA's kernel.
H1=pmH1$$
GA=pmGA$$
GB=pmGB$$
H2=pmH2$$
netns_add "$H1" "$GA" "$GB" "$H2"
netns_link "$H1" h1 "$GA" inA
netns_link "$GA" vethGA "$NR" rC
netns_link "$NR" rD "$GB" vethGB
netns_link "$GB" inB "$H2" h2
ip netns exec "$NR" ip link set rD mtu $MTU
ip netns exec "$GB" ip link set vethGB mtu $MTU
netns_plain "$H1" h1 10.62.1.5 2001:db8:621::5
netns_plain "$GA" inA 10.62.1.1 2001:db8:621::1
netns_plain "$NR" rC 10.62.3.1 2001:db8:623::1
netns_plain "$NR" rD 10.62.4.1 2001:db8:624::1
netns_plain "$GB" inB 10.62.2.1 2001:db8:622::1
netns_plain "$H2" h2 10.62.2.7 2001:db8:622::7
netns_bits "$GA" vethGA tapGA 10.62.3.2 2001:db8:623::2
netns_bits "$GB" vethGB tapGB 10.62.4.2 2001:db8:624::2
ip netns exec "$H1" ip route add default via 10.62.1.1
ip netns exec "$H2" ip route add default via 10.62.2.1
for g in "$GA" "$GB"; do
	ip netns exec "$g" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$g" sysctl -qw net.ipv4.conf.all.rp_filter=0
	ip netns exec "$g" sysctl -qw net.ipv4.conf.default.rp_filter=0
done
# Inner traffic leaves through the router (netd reuses the kernel's
# Ethernet header: the next hop is the router, whatever the tunnel).
ip netns exec "$GA" ip route add 10.62.2.0/24 via 10.62.3.1 dev tapGA
ip netns exec "$GB" ip route add 10.62.1.0/24 via 10.62.4.1 dev tapGB
stack_start ga "$GA" tapGA vethGA 10.62.3.2
stack_start gb "$GB" tapGB vethGB 10.62.4.2
gw() {
	{
		echo "flush;"
		echo "add 10.62.3.2 10.62.4.2 esp 0x6201 -m tunnel -E aes-gcm-16 $K1;"
		echo "add 10.62.4.2 10.62.3.2 esp 0x6202 -m tunnel -E aes-gcm-16 $K2;"
		echo "spdflush;"
		echo "spdadd $2 $3 any -P out ipsec esp/tunnel/$4-$5/require;"
		echo "spdadd $3 $2 any -P in ipsec esp/tunnel/$5-$4/require;"
	} | stack_setkey "$1"
}
gw ga 10.62.1.0/24 10.62.2.0/24 10.62.3.2 10.62.4.2
gw gb 10.62.2.0/24 10.62.1.0/24 10.62.4.2 10.62.3.2

wait_until "first echo H1 -> H2" 15 icmp_echo "$H1" 10.62.2.7 1
sha_transfer "$H1" "$H2" 4 10.62.2.7 1048576 ||
    fail "tunnel, dfbit 0: 1 MB H1 -> H2"
fd=$(stack_counter gb frag.done)
gl=$(stack_counter ga icmp.pmtu_learned)
[ "${fd:-0}" -ge 1 ] || fail "gb: frag.done '$fd' (router fragments?)"
[ "${gl:-0}" -eq 0 ] || fail "ga: learned a path MTU with DF clear ($gl)"
log "tunnel, dfbit 0: 1 MB, SHA-256 equal; the router fragmented, gb" \
    "reassembled $fd ESP datagrams"
ctl ga sysctl net.inet.ipsec.dfbit=1 > /dev/null || fail "sysctl dfbit"
sha_transfer "$H1" "$H2" 4 10.62.2.7 1048576 ||
    fail "tunnel, dfbit 1: 1 MB H1 -> H2"
gl=$(stack_counter ga icmp.pmtu_learned)
fd2=$(stack_counter gb frag.done)
[ "${gl:-0}" -ge 1 ] || fail "ga: icmp.pmtu_learned '$gl' with dfbit 1"
log "tunnel, dfbit 1: 1 MB, SHA-256 equal; ga learned $gl path MTU(s)," \
    "sent $(stack_counter ga icmp.sent) too-big ICMP towards H1;" \
    "gb frag.done $fd -> $fd2"
for s in a b ga gb; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
