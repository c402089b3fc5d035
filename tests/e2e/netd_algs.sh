#!/bin/sh
# netd_algs.sh - the whole stack with the other transforms: ESP
# ChaCha20-Poly1305 (RFC 7634), ESP AES-CBC + HMAC-SHA1-96 (RFC 3602,
# 2404; the OpenSSL backend, skipped in the libsodium-only profile) and
# AH HMAC-SHA-256-128 (RFC 4302, 4868), each in transport mode between
# two namespaces running parapetd (keyd, policyd, ipsecd, netd as bump in
# the stack; tests/e2e/lib/stack.sh). For each: SAs and require policies
# by setkey on both hosts, ICMP echo and a UDP exchange through them, a
# capture on the wire holding that protocol and nothing in clear between
# the hosts, and byte counters on the SAs. netd_esp.sh covers AES-GCM.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=alA$$
NB=alB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }

A4=10.80.0.1
B4=10.80.0.2
A6=2001:db8:80::1
B6=2001:db8:80::2
hex() { printf "0x%0${2}d" 0 | sed "s/0/$1/g; s/^$1x/0x/"; }

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6
stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1

# sa_counted NAME: setkey -D in A shows bytes used on both SAs.
sa_counted() {
	PARAPET_RUNDIR="$T/a" "$BIN/setkey" -D > "$T/sad-$1.txt" || return 1
	[ "$(grep -c "current: [1-9][0-9]*(bytes)" "$T/sad-$1.txt")" -ge 2 ]
}

# run NAME PROTO SPI-BASE "SA OPTIONS": one transform end to end.
run() {
	name=$1 proto=$2 spi=$3 opts=$4
	for s in a b; do
		if [ $s = a ]; then src=$A4 dst=$B4; else src=$B4 dst=$A4; fi
		printf '%s\n' "flush;" "spdflush;" \
		    "add $A4 $B4 $proto $((spi + 1)) -m transport $opts;" \
		    "add $B4 $A4 $proto $((spi + 2)) -m transport $opts;" \
		    "spdadd $src $dst any -P out ipsec $proto/transport//require;" \
		    "spdadd $dst $src any -P in ipsec $proto/transport//require;" |
		    stack_setkey $s
	done
	ip netns exec "$NA" tcpdump -i vethA -n -s 96 -U --immediate-mode \
	    -w "$T/$name.pcap" 2> "$T/tcpdump-$name.log" &
	cap=$!
	wait_until "capture running" 10 grep -q "listening on" \
	    "$T/tcpdump-$name.log"
	wait_until "$name: first echo" 15 icmp_echo "$NA" $B4 1
	out=$(icmp_echo "$NA" $B4 5) || fail "$name: echo A -> B: $out"
	out=$(udp_exchange "$NA" $A4 "$NB" $B4 10) ||
	    fail "$name: UDP A <-> B: $out"
	kill -INT "$cap"
	wait "$cap" 2>/dev/null || true
	if [ "$proto" = esp ]; then pn=50; else pn=51; fi
	n=$(tcpdump -r "$T/$name.pcap" -n "ip proto $pn" 2>/dev/null |
	    wc -l)
	clear=$(tcpdump -r "$T/$name.pcap" -n \
	    "ip and host $A4 and host $B4 and not ip proto $pn" \
	    2>/dev/null | wc -l)
	[ "$n" -ge 30 ] || fail "$name: only $n $proto packets on the wire"
	[ "$clear" -eq 0 ] || fail "$name: $clear packets in clear"
	# ipsecd reports usage to keyd once a second.
	wait_until "$name: bytes counted on both SAs" 5 sa_counted "$name"
	log "$name: $n $proto packets on the wire, none in clear; $out"
}

run chacha20 esp 0x3000 \
    "-E chacha20-poly1305 $(hex 5 72)"
run ah-sha256 ah 0x3100 "-A hmac-sha256 $(hex 6 64)"
# AES-CBC needs the OpenSSL backend: only where keyd offers it.
if PARAPET_RUNDIR="$T/a" "$BIN/setkey" -c <<EOS > /dev/null 2>&1
add 10.80.9.1 10.80.9.2 esp 0x3999 -E aes-cbc $(hex 7 32) -A hmac-sha1 $(hex 8 40);
EOS
then
	run cbc-sha1 esp 0x3200 \
	    "-E aes-cbc $(hex 7 32) -A hmac-sha1 $(hex 8 40)"
else
	log "aes-cbc not offered (libsodium-only build): skipped"
fi
for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
