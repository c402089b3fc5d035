#!/bin/sh
# netd_levels.sh - policy levels and actions through the whole stack
# (issue 6): two namespaces joined by a veth, each with parapetd (keyd,
# policyd, ipsecd, netd bump in the stack; lib/stack.sh), real traffic
# (ICMP echo, IPv4 and IPv6) under each kind of policy, a capture on A's
# wire for each phase.
#
#  1. use, no SA: ACQUIRE sent (ipsecd acquire.sent), the packets go in
#     clear (KAME ipsec4_output: level use goes on without the SA).
#  2. use, SAs present: ESP, nothing in clear.
#  3. require, no SA: nothing passes (netd ipsec.no_sa), nothing in clear.
#  4. unique:5 with two SAs A -> B (reqid 5 older, reqid 9 newer): the
#     reqid 5 SA is used (a require policy picks the newest, reqid 9).
#  5. discard: nothing leaves (decide.discard), nothing on the wire.
#  6. none, with def_policy 0 on both families: the none policies pass
#     in clear, other traffic (UDP to a port outside them) is dropped.
#  7. def_policy alone (parapetctl sysctl): 0 drops (decide.why.def_policy),
#     1 passes, per family (net.inet.ipsec / net.inet6.ipsec6).
#  8. tunnel mode over IPv6 host to host (esp/tunnel/A6-B6/require): ESP
#     in IPv6 on the wire, the echo passes.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

NA=lvlA$$
NB=lvlB$$
command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }

A4=10.83.0.1
B4=10.83.0.2
A6=2001:db8:83::1
B6=2001:db8:83::2
K1=0x$(printf '11%.0s' $(seq 36))
K2=0x$(printf '22%.0s' $(seq 36))

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 $A6
netns_bits "$NB" vethB tapB $B4 $B6
stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
wait_until "clear echo A -> B" 15 icmp_echo "$NA" $B4 1
icmp6_echo "$NA" $B6 1 > /dev/null || true
wait_until "clear IPv6 echo A -> B" 15 icmp6_echo "$NA" $B6 1

# ctr NAME SERVER COUNTER (0 when absent)
ctr() {
	v=$(ctl "$1" counters "$2" | awk -v n="$3" '$1 == n { print $2 }')
	echo "${v:-0}"
}
# conf NAME: stdin to setkey in stack NAME; with spd lines, then wait
# until its netd has the new SPD (policyd's generation moved).
conf() {
	g=$(ctr "$1" netd spd.generation)
	cat > "$T/conf-$1.txt"
	stack_setkey "$1" < "$T/conf-$1.txt"
	grep -q '^spd' "$T/conf-$1.txt" || return 0
	wait_until "$1: SPD in netd" 10 gen_above "$1" "$g"
}
gen_above() { [ "$(ctr "$1" netd spd.generation)" -gt "$2" ]; }
# both LINE...: setkey lines for A; for B the same with the addresses of
# the spdadd lines swapped (the SAs are the same on both hosts).
both() {
	printf '%s\n' "$@" | conf a
	printf '%s\n' "$@" | sed "/^spd/ { s/$A4/X4/g; s/$B4/$A4/g; s/X4/$B4/g;
	    s/$A6/X6/g; s/$B6/$A6/g; s/X6/$B6/g; }" | conf b
}
sas_settled() { [ "$(ctr a ipsecd sa.count)" = "$1" ] && [ "$(ctr b ipsecd sa.count)" = "$1" ]; }
cap_start() {
	ip netns exec "$NA" tcpdump -i vethA -n -s 96 -U --immediate-mode \
	    -w "$T/$1.pcap" 2> "$T/tcpdump-$1.log" &
	CAP=$!
	wait_until "capture $1" 10 grep -q "listening on" "$T/tcpdump-$1.log"
}
cap_stop() {
	sleep 0.2
	kill -INT "$CAP"
	wait "$CAP" 2>/dev/null || true
}
# count PHASE FILTER
count() { tcpdump -r "$T/$1.pcap" -n "$2" 2>/dev/null | wc -l; }
CLEAR4="(ip and host $A4 and host $B4 and not ip proto 50)"
CLEAR6="(ip6 and host $A6 and host $B6 and not ip6 proto 50 and
    not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137))"
ESP4="(ip proto 50 and host $A4 and host $B4)"
ESP6="(ip6 proto 50 and host $A6 and host $B6)"
# no_echo NS DST [6]: no reply to one request
no_echo() {
	if [ "${3:-}" = 6 ]; then ! icmp6_echo "$1" "$2" 1 > /dev/null
	else ! icmp_echo "$1" "$2" 1 > /dev/null; fi
}
policies() { # LEVEL-OR-ACTION for both families, both directions
	for p in "$A4 $B4" "$A6 $B6"; do
		set -- $p
		echo "spdadd $1 $2 any -P out $POL;"
		echo "spdadd $2 $1 any -P in $POL;"
	done
}
SAS="add $A4 $B4 esp 0x2001 -m transport -E aes-gcm-16 $K1;
add $B4 $A4 esp 0x2002 -m transport -E aes-gcm-16 $K2;
add $A6 $B6 esp 0x2003 -m transport -E aes-gcm-16 $K1;
add $B6 $A6 esp 0x2004 -m transport -E aes-gcm-16 $K2;"

# --- 1. use, no SA: ACQUIRE, then in clear ---
POL="ipsec esp/transport//use"
both "flush;" "spdflush;" "$(policies)"
q0=$(ctr a ipsecd acquire.sent)
cap_start use-nosa
out=$(icmp_echo "$NA" $B4 3) || fail "use, no SA: echo: $out"
out6=$(icmp6_echo "$NA" $B6 3) || fail "use, no SA: IPv6 echo: $out6"
cap_stop
q1=$(ctr a ipsecd acquire.sent)
[ "$q1" -gt "$q0" ] || fail "use, no SA: no ACQUIRE sent ($q0 -> $q1)"
c4=$(count use-nosa "$CLEAR4 and icmp")
c6=$(count use-nosa "$CLEAR6")
[ "$c4" -ge 6 ] && [ "$c6" -ge 6 ] ||
    fail "use, no SA: $c4 / $c6 clear echo packets on the wire"
[ "$(count use-nosa "$ESP4 or $ESP6")" = 0 ] || fail "use, no SA: ESP?"
log "1. use without SA: echo in clear ($c4 IPv4, $c6 IPv6 packets), acquire.sent $q0 -> $q1"

# --- 2. use, with SAs: ESP ---
both "$SAS"
wait_until "4 SAs in each ipsecd" 10 sas_settled 4
cap_start use-sa
out=$(icmp_echo "$NA" $B4 3) || fail "use with SAs: echo: $out"
out6=$(icmp6_echo "$NA" $B6 3) || fail "use with SAs: IPv6 echo: $out6"
cap_stop
e=$(count use-sa "$ESP4 or $ESP6")
[ "$e" -ge 12 ] || fail "use with SAs: only $e ESP packets"
[ "$(count use-sa "($CLEAR4) or ($CLEAR6)")" = 0 ] ||
    fail "use with SAs: clear packets on the wire"
log "2. use with SAs: $e ESP packets, none in clear"

# --- 3. require, no SA: dropped ---
POL="ipsec esp/transport//require"
both "flush;" "spdflush;" "$(policies)"
wait_until "SAs gone" 10 sas_settled 0
n0=$(ctr a netd ipsec.no_sa)
cap_start require-nosa
no_echo "$NA" $B4 || fail "require, no SA: an echo came back"
no_echo "$NA" $B6 6 || fail "require, no SA: an IPv6 echo came back"
cap_stop
n1=$(ctr a netd ipsec.no_sa)
[ "$n1" -ge $((n0 + 2)) ] || fail "require, no SA: ipsec.no_sa $n0 -> $n1"
[ "$(count require-nosa "($CLEAR4) or ($CLEAR6) or $ESP4 or $ESP6")" = 0 ] ||
    fail "require, no SA: something on the wire"
log "3. require without SA: no reply, ipsec.no_sa $n0 -> $n1, nothing on the wire"

# --- 4. unique:5 binds to the SA with reqid 5 ---
printf '%s\n' "flush;" "spdflush;" \
    "add $A4 $B4 esp 0x3005 -u 5 -m transport -E aes-gcm-16 $K1;" \
    "add $B4 $A4 esp 0x3105 -u 5 -m transport -E aes-gcm-16 $K2;" \
    "add $A4 $B4 esp 0x3009 -u 9 -m transport -E aes-gcm-16 $K2;" > "$T/u.txt"
POL="ipsec esp/transport//unique:5"
both "$(cat "$T/u.txt")" "$(policies)"
wait_until "3 SAs in each ipsecd" 10 sas_settled 3
cap_start unique
out=$(icmp_echo "$NA" $B4 3) || fail "unique:5: echo: $out"
cap_stop
s5=$(count unique "$ESP4 and src $A4 and ip[20:4] = 0x3005")
s9=$(count unique "$ESP4 and src $A4 and ip[20:4] = 0x3009")
[ "$s5" -ge 3 ] && [ "$s9" = 0 ] ||
    fail "unique:5: $s5 packets with SPI 0x3005 (reqid 5), $s9 with 0x3009"
# The contrast: require takes the newest SA, reqid 9's.
POL="ipsec esp/transport//require"
both "spdflush;" "$(policies)"
cap_start unique-require
out=$(icmp_echo "$NA" $B4 3) || fail "require with reqids: echo: $out"
cap_stop
r9=$(count unique-require "$ESP4 and src $A4 and ip[20:4] = 0x3009")
[ "$r9" -ge 3 ] || fail "require: $r9 packets with SPI 0x3009 (the newest)"
log "4. unique:5: $s5 packets on SPI 0x3005 (reqid 5), none on 0x3009; require: $r9 on 0x3009"

# --- 5. discard ---
POL=discard
both "flush;" "spdflush;" "$(policies)"
d0=$(ctr a netd decide.discard)
cap_start discard
no_echo "$NA" $B4 || fail "discard: an echo came back"
no_echo "$NA" $B6 6 || fail "discard: an IPv6 echo came back"
cap_stop
d1=$(ctr a netd decide.discard)
[ "$d1" -ge $((d0 + 2)) ] || fail "discard: decide.discard $d0 -> $d1"
[ "$(count discard "($CLEAR4) or ($CLEAR6)")" = 0 ] ||
    fail "discard: packets on the wire"
log "5. discard: decide.discard $d0 -> $d1, nothing on the wire"

# --- 6. none bypasses, def_policy 0 for the rest ---
for s in a b; do
	ctl $s sysctl net.inet.ipsec.def_policy=0 > /dev/null ||
	    fail "sysctl def_policy"
	ctl $s sysctl net.inet6.ipsec6.def_policy=0 > /dev/null ||
	    fail "sysctl def_policy6"
done
both "spdflush;" "spdadd $A4 $B4 icmp -P out none;" \
    "spdadd $B4 $A4 icmp -P in none;" "spdadd $A6 $B6 icmp6 -P out none;" \
    "spdadd $B6 $A6 icmp6 -P in none;"
dp0=$(ctr a netd decide.why.def_policy)
cap_start none
out=$(icmp_echo "$NA" $B4 3) || fail "none: echo: $out"
out6=$(icmp6_echo "$NA" $B6 3) || fail "none: IPv6 echo: $out6"
udp_send "$NA" $B4
cap_stop
dp1=$(ctr a netd decide.why.def_policy)
c4=$(count none "$CLEAR4 and icmp")
[ "$c4" -ge 6 ] || fail "none: $c4 clear echo packets"
[ "$(count none "udp and host $B4")" = 0 ] ||
    fail "def_policy 0: UDP (no policy) left A"
[ "$dp1" -gt "$dp0" ] || fail "def_policy 0: decide.why.def_policy $dp0 -> $dp1"
log "6. none: echo in clear ($c4 packets) with def_policy 0; UDP outside the none policies dropped (decide.why.def_policy $dp0 -> $dp1)"

# --- 7. def_policy per family, no policies ---
both "spdflush;"
no_echo "$NA" $B4 || fail "def_policy 0: an echo came back"
no_echo "$NA" $B6 6 || fail "def_policy6 0: an IPv6 echo came back"
for s in a b; do
	ctl $s sysctl net.inet.ipsec.def_policy=1 > /dev/null ||
	    fail "sysctl def_policy"
done
wait_until "def_policy 1: echo" 10 icmp_echo "$NA" $B4 1
no_echo "$NA" $B6 6 || fail "def_policy6 still 0: an IPv6 echo came back"
for s in a b; do
	ctl $s sysctl net.inet6.ipsec6.def_policy=1 > /dev/null ||
	    fail "sysctl def_policy6"
done
wait_until "def_policy6 1: IPv6 echo" 10 icmp6_echo "$NA" $B6 1
log "7. def_policy: 0 drops, 1 passes, per family"

# --- 8. tunnel mode over IPv6, host to host ---
both "flush;" "spdflush;" \
    "add $A6 $B6 esp 0x4001 -m tunnel -E aes-gcm-16 $K1;" \
    "add $B6 $A6 esp 0x4002 -m tunnel -E aes-gcm-16 $K2;" \
    "spdadd $A6 $B6 any -P out ipsec esp/tunnel/$A6-$B6/require;" \
    "spdadd $B6 $A6 any -P in ipsec esp/tunnel/$B6-$A6/require;"
wait_until "tunnel SAs" 10 sas_settled 2
cap_start tunnel6
wait_until "IPv6 tunnel: first echo" 10 icmp6_echo "$NA" $B6 1
out6=$(icmp6_echo "$NA" $B6 5) || fail "IPv6 tunnel: echo: $out6"
cap_stop
e=$(count tunnel6 "$ESP6")
[ "$e" -ge 10 ] || fail "IPv6 tunnel: only $e ESP packets"
[ "$(count tunnel6 "$CLEAR6")" = 0 ] || fail "IPv6 tunnel: clear packets"
log "8. IPv6 tunnel host to host: $e ESP packets, none in clear"

for s in a b; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
log "ok"
