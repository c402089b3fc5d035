#!/bin/sh
# netd_acquire.sh - ACQUIRE on demand and rekeying through the whole
# stack (issue 6). Two namespaces joined by a veth, each with parapetd
# (keyd, policyd, ipsecd, netd bump in the stack; lib/stack.sh). The
# policies are there, the SAs are not: IPv4 `require`, IPv6
# `unique:7`. The test key manager (tests/tools/keymgr.py) is registered
# with both keyds and answers every ACQUIRE with GETSPI + UPDATE/ADD on
# both hosts from a pre-shared key, and rekeys on soft expiry.
#
#   tapA 10.81.0.1 | netd == ipsecd -- keyd <--pfkey--+
#   vethA =================== wire ==================== vethB   keymgr.py
#   tapB 10.81.0.2 | netd == ipsecd -- keyd <--pfkey--+
#
# 1. A TCP connection started with no SA at all succeeds: its SYN finds
#    no SA (netd: ipsec.no_sa, dropped as KAME does; ipsecd sends the
#    ACQUIRE), keymgr keys both hosts, the SYN's retransmission goes in
#    ESP. The transfer runs 18 s with add-time lifetimes soft 4 s /
#    hard 7 s: several rekeys under it, SHA-256 of the stream checked.
# 2. IPv6 under `unique:7`: an ACQUIRE of its own, echo passes.
# 3. Afterwards: setkey -D holds none of the first pair's SPIs (hard
#    expiry deleted them), the SPIs in use differ from them; the capture
#    on A's wire shows ESP with more than one SPI per direction and
#    nothing in clear between the hosts.
# 4. Byte lifetimes (soft 4 MB, no add time): a 6 s transfer at 3 MB/s
#    is rekeyed on the bytes ipsecd reports to keyd, SHA-256 checked.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=acqA$$
NB=acqB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
SRC=${PARAPET_SRCDIR:-$(dirname "$0")/../..}
KM="$PY -B $SRC/tests/tools/keymgr.py"
# chaos_wire.py's paced TCP stream: the receiver answers the SHA-256.
CW="$PY -B $SRC/tests/e2e/lib/chaos_wire.py"
SECS=${NETD_ACQUIRE_SECS:-18}

A4=10.81.0.1
B4=10.81.0.2
A6=2001:db8:81::1
B6=2001:db8:81::2

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6
stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1

for s in a b; do
	if [ $s = a ]; then l4=$A4 p4=$B4 l6=$A6 p6=$B6
	else l4=$B4 p4=$A4 l6=$B6 p6=$A6; fi
	printf '%s\n' "flush;" "spdflush;" \
	    "spdadd $l4 $p4 any -P out ipsec esp/transport//require;" \
	    "spdadd $p4 $l4 any -P in ipsec esp/transport//require;" \
	    "spdadd $l6 $p6 any -P out ipsec esp/transport//unique:7;" \
	    "spdadd $p6 $l6 any -P in ipsec esp/transport//unique:7;" |
	    stack_setkey $s
done
policies() { [ "$(stack_counter "$1" spd.policies)" -ge 6 ]; }
wait_until "policies in A's netd" 10 policies a
wait_until "policies in B's netd" 10 policies b

$KM run "$T/a/pfkey.sock" "$T/b/pfkey.sock" --psk "acquire test" \
    --reqid 7 --soft-add 4 --hard-add 7 > "$T/keymgr.log" 2>&1 &
KMPID=$!
km_stop() {
	kill -TERM "$KMPID" 2>/dev/null || true
	wait "$KMPID" 2>/dev/null || true
}
wait_until "keymgr ready" 10 grep -q 'keymgr: ready' "$T/keymgr.log"
# No SA anywhere yet.
for s in a b; do
	n=$(ctl $s counters ipsecd | awk '$1 == "sa.count" { print $2 }')
	[ "$n" = 0 ] || fail "$s: $n SAs before any ACQUIRE"
done

ip netns exec "$NA" tcpdump -i vethA -n -s 80 -B 16384 -U --immediate-mode \
    -w "$T/wire.pcap" 2> "$T/tcpdump.log" &
CAP=$!
wait_until "capture running" 10 grep -q "listening on" "$T/tcpdump.log"

# tcp_sha PORT BYTES: BYTES from A to B at 3 MB/s; 0 when the SHA-256
# B received is the one A sent.
tcp_sha() {
	ip netns exec "$NB" $CW tcp-recv $B4 "$1" "$T/tcp-$1.out" \
	    > "$T/tcp-$1.log" 2>&1 &
	srv=$!
	wait_until "TCP server" 10 sh -c \
	    "ip netns exec $NB ss -ltn | grep -q $B4:$1"
	t0=$(date +%s)
	ip netns exec "$NA" $CW tcp-send $B4 "$1" "$T/stop" 3000000 "$2" \
	    > "$T/tcp-$1.sent" 2>&1 || true
	wait "$srv" || true
	sent=$(sed -n 1p "$T/tcp-$1.sent")
	got=$(sed -n 2p "$T/tcp-$1.sent")
	echo "$sent (sent) / $got (received) in $(( $(date +%s) - t0 )) s"
	[ -n "$sent" ] && [ "$sent" = "$got" ]
}

# --- 1. TCP from no SA at all, through several rekeys ---
touch "$T/stop"	# tcp-send stops after its bytes (RATE x SECS)
out=$(tcp_sha 5301 $((SECS * 3000000))) ||
    fail "TCP through ACQUIRE and rekeys: $out"
log "tcp: $out"
grep -q "acquire A esp $A4 -> $B4" "$T/keymgr.log" ||
    fail "no ACQUIRE from A for $A4 -> $B4: $(cat "$T/keymgr.log")"
nosa=$(stack_counter a ipsec.no_sa)
[ "$nosa" -ge 1 ] || fail "A's netd counted no ipsec.no_sa"
acq=$(ctl a counters ipsecd | awk '$1 == "acquire.sent" { print $2 }')
[ "$acq" -ge 1 ] || fail "A's ipsecd sent no ACQUIRE"
rekeys=$(grep -c 'rekey pair' "$T/keymgr.log" || true)
hards=$(grep -c 'expire hard' "$T/keymgr.log" || true)
[ "$rekeys" -ge 3 ] || fail "only $rekeys rekeys: $(cat "$T/keymgr.log")"
[ "$hards" -ge 4 ] || fail "only $hards hard expiries"

# --- 2. IPv6 under unique:7: an ACQUIRE of its own ---
icmp6_echo "$NA" $B6 1 > /dev/null || true
wait_until "IPv6 echo after its ACQUIRE" 15 icmp6_echo "$NA" $B6 1
out=$(icmp6_echo "$NA" $B6 3) || fail "IPv6 echo: $out"
grep -q "acquire A esp $A6 -> $B6" "$T/keymgr.log" ||
    fail "no ACQUIRE for IPv6"

kill -INT "$CAP"
wait "$CAP" 2>/dev/null || true
km_stop

# --- 3. the SAs and the wire ---
spi1=$(grep "pair 1 installed esp $A4" "$T/keymgr.log" | head -1 |
    awk '{ print $(NF-1), $NF }')
[ -n "$spi1" ] || fail "pair 1: $(cat "$T/keymgr.log")"
PARAPET_RUNDIR="$T/a" "$BIN/setkey" -D > "$T/sad-a.txt" || fail "setkey -D"
for x in $spi1; do
	if grep -q "(0x$(printf %08x "$x"))" "$T/sad-a.txt"; then
		fail "first pair's SPI $x still there: $(cat "$T/sad-a.txt")"
	fi
done
grep -q "^$A4 $B4" "$T/sad-a.txt" ||
    fail "no SA $A4 -> $B4 now: $(cat "$T/sad-a.txt")"
# spis SRC DST: distinct ESP SPIs on the wire from SRC to DST.
spis() {
	tcpdump -r "$T/wire.pcap" -n "ip proto 50 and src $1 and dst $2" \
	    2>/dev/null | sed -n 's/.*ESP(spi=\(0x[0-9a-f]*\),.*/\1/p' |
	    sort -u | wc -l
}
ab=$(spis $A4 $B4)
ba=$(spis $B4 $A4)
[ "$ab" -ge 2 ] && [ "$ba" -ge 2 ] ||
    fail "SPIs on the wire: $ab A -> B, $ba B -> A (expected > 1)"
CLEAR="(ip and host $A4 and host $B4 and not ip proto 50) or
    (ip6 and host $A6 and host $B6 and not ip6 proto 50 and
    not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137))"
esp=$(tcpdump -r "$T/wire.pcap" -n "ip proto 50 or ip6 proto 50" \
    2>/dev/null | wc -l)
clear=$(tcpdump -r "$T/wire.pcap" -n "$CLEAR" 2>/dev/null | wc -l)
if [ "$clear" -ne 0 ]; then
	tcpdump -r "$T/wire.pcap" -n "$CLEAR" 2>/dev/null | head -5 >&2
	fail "$clear clear packets between A and B on the wire"
fi

# --- 4. byte lifetimes: soft 4 MB rekeys a 6 s transfer at 3 MB/s ---
# (no add-time lifetime: the rekeys come from the bytes ipsecd reports)
for s in a b; do echo "flush;" | stack_setkey $s; done
no_sas() {
	[ "$(ctl a counters ipsecd | awk '$1 == "sa.count" { print $2 }')" = 0 ] &&
	    [ "$(ctl b counters ipsecd | awk '$1 == "sa.count" { print $2 }')" = 0 ]
}
wait_until "SAs flushed" 10 no_sas
$KM run "$T/a/pfkey.sock" "$T/b/pfkey.sock" --psk "acquire test" \
    --reqid 7 --soft-bytes 4000000 --hard-bytes 64000000 \
    > "$T/keymgr-bytes.log" 2>&1 &
KMPID=$!
wait_until "keymgr ready (bytes)" 10 grep -q 'keymgr: ready' \
    "$T/keymgr-bytes.log"
out=$(tcp_sha 5302 18000000) || fail "TCP under byte lifetimes: $out"
km_stop
brekeys=$(grep -c 'rekey pair' "$T/keymgr-bytes.log" || true)
[ "$brekeys" -ge 2 ] ||
    fail "byte lifetimes: $brekeys rekeys: $(cat "$T/keymgr-bytes.log")"
log "byte lifetimes: tcp $out, $brekeys rekeys"

for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok: $rekeys rekeys, $hards hard expiries, SPIs on the wire $ab A -> B / $ba B -> A, $esp ESP packets, none in clear; ipsec.no_sa $nosa, acquire.sent $acq"
