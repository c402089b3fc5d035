#!/bin/sh
# netd_natt.sh - ESP in UDP (RFC 3948, port 4500) through a real NAT,
# both hosts running the whole Parapet stack with netd as bump in the
# stack (tests/e2e/lib/stack.sh). The NAT is a namespace with nftables
# masquerade that also changes the source port (to 41000-41010), so the
# responder must use the mapping a key manager would learn.
#
#   ntA (behind the NAT)        ntN (NAT)                    ntB
#   ntapA 192.168.91.2          n-in 192.168.91.1            ntapB 198.51.100.2
#    netd == ipsecd              nft masquerade               netd == ipsecd
#   a-w ======================= n-in   n-out ============== b-w
#                                 198.51.100.1:41000-41010
#
# Steps:
#  1. clear (no policy): a stand-in key manager (lib/natt_tool.py km) on
#     UDP 4500 in each host; A's sends an IKE datagram (non-ESP marker)
#     to B; B's learns the NAT's address and port from its source (what
#     IKE does), checked against the NAT's conntrack table; B answers.
#  2. SAs by our setkey, esp-udp with the NAT-T ports: A uses
#     A[4500] <-> B[4500]; B uses NAT[P] <-> B[4500] and, for the SA it
#     receives on, the NAT-OA (A's own address). Policies: UDP 4500
#     bypass (IKE, keepalives) first, then ESP transport require.
#  3. through ESP in UDP: ICMP echo both ways, a TCP transfer (2 MiB one
#     way, 1 MiB back, SHA-256 checked: inner TCP checksums fixed by B's
#     ipsecd from the NAT-OA, recomputed by A's), 20 UDP datagrams echoed.
#  4. NAT keepalives (0xff) from A's key manager: dropped by B's netd
#     (decide.why.natt_keepalive), never reach B's key manager; IKE from
#     B to A after the SAs (bypass) reaches A's key manager.
#  5. captures on both sides of the NAT: every IPv4 packet between the
#     two ends is UDP 4500 <-> 4500 (A's side) or P <-> 4500 (B's side),
#     ESP or the clear IKE/keepalives; the payload marker never appears;
#     scapy decrypts captured ESP in UDP of both directions (after the
#     NAT); setkey -D shows esp-udp, the ports, the OA and bytes.
#  6. scapy injects ESP in UDP at B's wire: with a wrong source port it is
#     dropped (ipsecd drop.udp_port), with the mapped port its UDP
#     datagram reaches an application on B; after `setkey update` of
#     the SA's ports (what a key manager does when the NAT rebinds) ESP
#     from the new port is delivered.
#  7. tunnel mode: both stacks restarted as gateways (A's behind the NAT),
#     H1 10.1.0.2 behind A, H2 10.2.0.2 behind B: echo both ways, TCP
#     and UDP between H1 and H2, the wires carry only ESP in UDP and
#     nothing of 10.1/10.2 in clear, scapy decrypts both directions.
# DESIGN §10.27 has the decisions.
. "$(dirname "$0")/sup_lib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/stack.sh"

command -v tcpdump > /dev/null || { log "skipped: no tcpdump"; exit 0; }
command -v nft > /dev/null || { log "skipped: no nft"; exit 0; }
$PY -c "import scapy.layers.ipsec" 2> /dev/null ||
    { log "skipped: no scapy"; exit 0; }
TOOL="$PARAPET_SRCDIR/tests/e2e/lib/natt_tool.py"
export PARAPET_SRCDIR

START=$(date +%s)
NA=ntA$$
NN=ntN$$
NB=ntB$$
A4=192.168.91.2
N_IN=192.168.91.1
N4=198.51.100.1
B4=198.51.100.2
K1=0x$(printf '5a%.0s' $(seq 36))
K2=0x$(printf 'a5%.0s' $(seq 36))
MARKER=parapetparapet	# in every echo payload (lib/netns.sh)

NH1=ntH1$$
NH2=ntH2$$
netns_add "$NA" "$NN" "$NB" "$NH1" "$NH2"
netns_link "$NA" a-w "$NN" n-in
netns_link "$NN" n-out "$NB" b-w
netns_bits "$NA" a-w ntapA $A4 fd00:91::2
netns_bits "$NB" b-w ntapB $B4 fd00:51::2
# IPv4 only: no IPv6 chatter on the wires.
ip netns exec "$NA" sysctl -qw net.ipv6.conf.ntapA.disable_ipv6=1
ip netns exec "$NB" sysctl -qw net.ipv6.conf.ntapB.disable_ipv6=1
ip netns exec "$NA" ip route add default via $N_IN dev ntapA
for i in n-in n-out; do
	ip netns exec "$NN" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1"
done
ip netns exec "$NN" ip addr add $N_IN/24 dev n-in
ip netns exec "$NN" ip addr add $N4/24 dev n-out
ip netns exec "$NN" ip link set n-in up
ip netns exec "$NN" ip link set n-out up
ip netns exec "$NN" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NN" nft -f - <<NFT
table ip ntnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "n-out" ip saddr 192.168.91.0/24 meta l4proto { tcp, udp } masquerade to :41000-41010
		oifname "n-out" ip saddr 192.168.91.0/24 masquerade
	}
}
NFT

stack_start a "$NA" ntapA a-w
stack_start b "$NB" ntapB b-w

# Counters of any server of a stack.
scounter() {
	ctl "$1" counters "$2" | awk -v n="$3" '$1 == n { print $2 }'
}
counter_ge() { [ "$(scounter "$1" "$2" "$3")" -ge "$4" ] 2> /dev/null; }
km_got() { grep -q "$2" "$T/km-$1.log"; }
# sa_ready NAME...: netd has the 6 policies (4 + 2 fwd twins), ipsecd
# the 2 SAs, in each stack.
sa_ready() {
	for s in "$@"; do
		wait_until "$s: policies in netd" 10 counter_ge $s netd \
		    spd.policies 6
		wait_until "$s: SAs in ipsecd" 10 counter_ge $s ipsecd sa.count 2
	done
}
# captures PREFIX: tcpdump on both wires into $T/PREFIX-{a,b}.pcap;
# captures_stop: both end (the files are complete).
captures() {
	ip netns exec "$NA" tcpdump -i a-w -n -s 300 -U --immediate-mode \
	    -B 32768 -w "$T/$1-a.pcap" 2> "$T/tcpdump-$1-a.log" &
	CAPA=$!
	ip netns exec "$NB" tcpdump -i b-w -n -s 300 -U --immediate-mode \
	    -B 32768 -w "$T/$1-b.pcap" 2> "$T/tcpdump-$1-b.log" &
	CAPB=$!
	wait_until "captures running" 10 sh -c "grep -q 'listening on' \
	    '$T/tcpdump-$1-a.log' && grep -q 'listening on' \
	    '$T/tcpdump-$1-b.log'"
}
captures_stop() {
	kill -INT "$CAPA" "$CAPB"
	wait "$CAPA" 2> /dev/null || true
	wait "$CAPB" 2> /dev/null || true
}

wait_until "clear echo A -> B through the NAT" 15 icmp_echo "$NA" $B4 1

# --- 1. IKE in clear: B learns the NAT's mapping ---
for s in a b; do
	ns=$NA addr=$A4
	[ $s = b ] && ns=$NB addr=$B4
	: > "$T/km-$s.log"
	ip netns exec "$ns" $PY "$TOOL" km "$T/km-$s.sock" $addr 4500 \
	    "$T/km-$s.log" 120 &
	KMS="${KMS:-} $!"
	wait_until "key manager $s" 10 test -S "$T/km-$s.sock"
done
IKE=00000000$(printf 'IKE_SA_INIT parapet' | od -An -tx1 | tr -d ' \n')
$PY "$TOOL" kmsend "$T/km-a.sock" $B4 4500 "$IKE"
wait_until "IKE A -> B reaches B's key manager" 10 km_got b "^$N4 "
P=$(awk -v n=$N4 '$1 == n { print $2; exit }' "$T/km-b.log")
grep -q "^$N4 $P [0-9]* 00000000" "$T/km-b.log" ||
    fail "B's key manager did not get the marker: $(cat "$T/km-b.log")"
[ "$P" -ge 41000 ] && [ "$P" -le 41010 ] ||
    fail "the NAT kept port $P (masquerade to :41000-41010)"
# The same mapping in the NAT's own table (no conntrack tool needed).
ct=$(ip netns exec "$NN" cat /proc/net/nf_conntrack 2> /dev/null |
    awk -v a=$A4 -v b=$B4 '/ udp / && $0 ~ "src=" a " dst=" b " sport=4500 dport=4500" {
	for (i = 1; i <= NF; i++) if ($i ~ /^dport=/) d = $i; print d; exit }')
if [ -n "$ct" ]; then
	[ "$ct" = "dport=$P" ] ||
	    fail "conntrack says $ct, the key manager saw port $P"
	log "NAT mapping $A4:4500 -> $N4:$P (key manager and conntrack agree)"
else
	log "NAT mapping $A4:4500 -> $N4:$P (no conntrack table to compare)"
fi
$PY "$TOOL" kmsend "$T/km-b.sock" $N4 "$P" "$IKE"
wait_until "IKE B -> A through the mapping" 10 km_got a "^$B4 4500 "

# --- 2. SAs and policies ---
stack_setkey a <<EOF
flush;
add $A4[4500] $B4[4500] esp-udp 0x1001 -m transport -E aes-gcm-16 $K1;
add $B4[4500] $A4[4500] esp-udp 0x1002 -m transport -E aes-gcm-16 $K2;
spdflush;
spdadd $A4[4500] $B4[4500] udp -P out none;
spdadd $B4[4500] $A4[4500] udp -P in none;
spdadd $A4 $B4 any -P out ipsec esp/transport//require;
spdadd $B4 $A4 any -P in ipsec esp/transport//require;
EOF
stack_setkey b <<EOF
flush;
add $N4[$P] $B4[4500] esp-udp $A4 0x1001 -m transport -E aes-gcm-16 $K1;
add $B4[4500] $N4[$P] esp-udp 0x1002 -m transport -E aes-gcm-16 $K2;
spdflush;
spdadd $N4[any] $B4[4500] udp -P in none;
spdadd $B4[4500] $N4[any] udp -P out none;
spdadd $B4 $N4 any -P out ipsec esp/transport//require;
spdadd $N4 $B4 any -P in ipsec esp/transport//require;
EOF
sa_ready a b

# Both sides of the NAT from now on.
captures wire

# --- 3. ICMP, TCP, UDP through ESP in UDP across the NAT ---
wait_until "first echo A -> B over ESP in UDP" 15 icmp_echo "$NA" $B4 1
out=$(icmp_echo "$NA" $B4 10) || fail "echo A -> B: $out"
log "echo A -> B: $out"
out=$(icmp_echo "$NB" $N4 5) || fail "echo B -> A (the NAT's address): $out"
log "echo B -> A: $out"
ip netns exec "$NB" $PY "$TOOL" tcp_server $B4 7791 20 \
    > "$T/tcp-s.log" 2>&1 &
SRV=$!
wait_until "TCP server" 10 sh -c "ip netns exec $NB ss -ltn | grep -q $B4:7791"
out=$(ip netns exec "$NA" $PY "$TOOL" tcp_client $B4 7791 2097152 2>&1) ||
    fail "TCP through the NAT: $out $(cat "$T/tcp-s.log")"
wait "$SRV" || fail "TCP server: $(cat "$T/tcp-s.log")"
log "tcp: $out"
out=$(udp_exchange "$NA" $A4 "$NB" $B4 20) || fail "UDP A <-> B: $out"
log "udp: $out"

# --- 4. keepalives dropped, IKE passes ---
ka0=$(scounter b netd decide.why.natt_keepalive)
for i in 1 2 3 4 5; do
	$PY "$TOOL" kmsend "$T/km-a.sock" $B4 4500 ff
done
wait_until "B's netd drops 5 keepalives" 10 counter_ge b netd \
    decide.why.natt_keepalive $((ka0 + 5))
$PY "$TOOL" kmsend "$T/km-b.sock" $N4 "$P" "${IKE}02"
wait_until "IKE B -> A under the bypass policy" 10 km_got a "^$B4 4500 24 "
if grep -q " 1 ff$" "$T/km-b.log"; then
	fail "a keepalive reached B's key manager: $(cat "$T/km-b.log")"
fi
log "keepalives: $(scounter b netd decide.why.natt_keepalive) dropped by B's netd, none delivered; IKE both ways delivered"

for s in a b; do
	for c in decide.protect decide.unprotect ipsec.ok ipsec.wire_out \
	    ipsec.delivered; do
		counter_ge $s netd $c 1 || fail "$s: counter $c"
	done
done

# --- 5. the wires and the SAs ---
captures_stop
# One python run (scapy imports slowly): both wires, then scapy decrypts
# captured ESP in UDP of each direction after the NAT.
out=$($PY "$TOOL" wire "$T/wire-a.pcap" $A4 $B4 4500 4500 $MARKER -- \
    wire "$T/wire-b.pcap" $N4 $B4 "$P" 4500 $MARKER -- \
    decrypt "$T/wire-b.pcap" $N4 $B4 "$P" 4500 0x1001 $K1 -- \
    decrypt "$T/wire-a.pcap" $B4 $A4 4500 4500 0x1002 $K2) ||
    fail "captures: $out"
echo "$out" > "$T/wires.txt"
log "A's side of the NAT: $(sed -n 1p "$T/wires.txt")"
log "B's side of the NAT: $(sed -n 2p "$T/wires.txt")"
log "scapy, A -> B after the NAT: $(sed -n 3p "$T/wires.txt")"
log "scapy, B -> A after the NAT: $(sed -n 4p "$T/wires.txt")"
for l in 1 2; do
	esp=$(sed -n "${l}s/.*esp=\([0-9]*\).*/\1/p" "$T/wires.txt")
	[ "$esp" -gt 100 ] || fail "only $esp ESP in UDP packets: $out"
done

sadb_ok() {
	PARAPET_RUNDIR="$T/b" "$BIN/setkey" -D > "$T/sad-b.txt" &&
	    [ "$(grep -c "current: [1-9][0-9]*(bytes)" "$T/sad-b.txt")" -ge 2 ]
}
wait_until "setkey -D shows bytes on B's SAs" 10 sadb_ok
grep -q "^$N4\[$P\] $B4\[4500\] *\$" "$T/sad-b.txt" &&
    grep -q "esp-udp mode=transport spi=4097" "$T/sad-b.txt" &&
    grep -q "NAT OA=$A4" "$T/sad-b.txt" ||
    fail "setkey -D of NAT-T SAs: $(cat "$T/sad-b.txt")"
PARAPET_RUNDIR="$T/a" "$BIN/setkey" -D > "$T/sad-a.txt" ||
    fail "setkey -D in A"
[ "$(grep -c "^$A4\[4500\] $B4\[4500\] *\$\|^$B4\[4500\] $A4\[4500\] *\$" \
    "$T/sad-a.txt")" -eq 2 ] && ! grep -q "NAT OA" "$T/sad-a.txt" ||
    fail "setkey -D of A's NAT-T SAs: $(cat "$T/sad-a.txt")"

# --- 6. scapy's ESP in UDP at B's wire ---
BMAC=$(ip netns exec "$NB" cat /sys/class/net/b-w/address)
NMAC=$(ip netns exec "$NN" cat /sys/class/net/n-out/address)
: > "$T/km-app-b.log"
ip netns exec "$NB" $PY "$TOOL" km "$T/km-app-b.sock" $B4 7790 \
    "$T/km-app-b.log" 120 &
KMS="$KMS $!"
wait_until "application on B" 10 test -S "$T/km-app-b.sock"
up0=$(scounter b ipsecd drop.udp_port)
bad=$((P == 41010 ? 41009 : P + 1))
ip netns exec "$NN" $PY "$TOOL" \
    inject n-out "$BMAC" "$NMAC" $N4 $B4 $bad 4500 0x1001 $K1 1000000 \
    $A4 7790 "wrong port" -- \
    inject n-out "$BMAC" "$NMAC" $N4 $B4 "$P" 4500 0x1001 $K1 1000001 \
    $A4 7790 "from scapy" || fail "scapy inject"
wait_until "B's ipsecd drops the wrong source port" 10 counter_ge b ipsecd \
    drop.udp_port $((${up0:-0} + 1))
wait_until "scapy's datagram reaches B's application" 10 km_got app-b \
    "^$N4 40000 10 66726f6d"
if grep -q "^$N4 40000 10 77726f6e" "$T/km-app-b.log"; then
	fail "the wrong-port datagram was delivered"
fi
log "scapy: wrong source port dropped (drop.udp_port $(scounter b ipsecd drop.udp_port)), mapped port delivered to the application"
# A NAT that rebinds: the key manager learns the new port (from IKE) and
# updates the SA's ports (PF_KEY UPDATE); ESP from that port then passes.
upd0=$(scounter b ipsecd sa.updated)
stack_setkey b <<EOF
update $N4[$bad] $B4[4500] esp-udp $A4 0x1001 -m transport -E aes-gcm-16 $K1;
EOF
wait_until "B's ipsecd has the new ports" 10 counter_ge b ipsecd \
    sa.updated $((${upd0:-0} + 1))
ip netns exec "$NN" $PY "$TOOL" inject n-out "$BMAC" "$NMAC" $N4 $B4 \
    $bad 4500 0x1001 $K1 1000002 $A4 7790 "rebound ok" ||
    fail "scapy inject (rebound)"
wait_until "ESP from the updated port reaches B's application" 10 \
    km_got app-b "^$N4 40000 10 7265626f"
log "rebinding: after setkey update of the SA's ports ($P -> $bad) ESP from the new port is delivered"

# --- 7. tunnel mode: the same hosts as gateways, A's behind the NAT ---
# H1 10.1.0.2 -- A (gateway) -- NAT -- B (gateway) -- H2 10.2.0.2
for s in $SUPS; do
	ctl "${s%%:*}" shutdown > /dev/null 2>&1 || true
	wait_until "stack ${s%%:*} stopped" 15 gone "${s#*:}"
done
SUPS=""
netns_link "$NH1" h1-e "$NA" a-lan
netns_link "$NH2" h2-e "$NB" b-lan
for x in "$NH1 h1-e 10.1.0.2" "$NA a-lan 10.1.0.1" "$NH2 h2-e 10.2.0.2" \
    "$NB b-lan 10.2.0.1"; do
	set -- $x
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip link set "$2" up
done
ip netns exec "$NH1" ip route add default via 10.1.0.1
ip netns exec "$NH2" ip route add default via 10.2.0.1
ip netns exec "$NB" ip route add 10.1.0.0/24 via $N4 dev ntapB
for ns in "$NA" "$NB"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
done
stack_start ga "$NA" ntapA a-w $A4
stack_start gb "$NB" ntapB b-w $B4
# The mapping again, as the key manager sees it now (25 bytes).
$PY "$TOOL" kmsend "$T/km-a.sock" $B4 4500 "${IKE}0304"
wait_until "IKE GA -> GB" 10 km_got b "^$N4 [0-9]* 25 "
P=$(awk -v n=$N4 '$1 == n && $3 == 25 { print $2 }' "$T/km-b.log" |
    tail -1)
stack_setkey ga <<EOF
flush;
add $A4[4500] $B4[4500] esp-udp 0x2001 -m tunnel -E aes-gcm-16 $K1;
add $B4[4500] $A4[4500] esp-udp 0x2002 -m tunnel -E aes-gcm-16 $K2;
spdflush;
spdadd $A4[4500] $B4[4500] udp -P out none;
spdadd $B4[4500] $A4[4500] udp -P in none;
spdadd 10.1.0.0/24 10.2.0.0/24 any -P out ipsec esp/tunnel/$A4-$B4/require;
spdadd 10.2.0.0/24 10.1.0.0/24 any -P in ipsec esp/tunnel/$B4-$A4/require;
EOF
stack_setkey gb <<EOF
flush;
add $N4[$P] $B4[4500] esp-udp 0x2001 -m tunnel -E aes-gcm-16 $K1;
add $B4[4500] $N4[$P] esp-udp 0x2002 -m tunnel -E aes-gcm-16 $K2;
spdflush;
spdadd $N4[any] $B4[4500] udp -P in none;
spdadd $B4[4500] $N4[any] udp -P out none;
spdadd 10.2.0.0/24 10.1.0.0/24 any -P out ipsec esp/tunnel/$B4-$N4/require;
spdadd 10.1.0.0/24 10.2.0.0/24 any -P in ipsec esp/tunnel/$N4-$B4/require;
EOF
sa_ready ga gb
captures tun
wait_until "first echo H1 -> H2 through the tunnel" 15 icmp_echo "$NH1" \
    10.2.0.2 1
out=$(icmp_echo "$NH1" 10.2.0.2 5) || fail "tunnel echo H1 -> H2: $out"
log "tunnel echo H1 -> H2: $out"
out=$(icmp_echo "$NH2" 10.1.0.2 5) || fail "tunnel echo H2 -> H1: $out"
log "tunnel echo H2 -> H1: $out"
ip netns exec "$NH2" $PY "$TOOL" tcp_server 10.2.0.2 7792 20 \
    > "$T/tcp-ts.log" 2>&1 &
SRV=$!
wait_until "TCP server on H2" 10 sh -c \
    "ip netns exec $NH2 ss -ltn | grep -q 10.2.0.2:7792"
out=$(ip netns exec "$NH1" $PY "$TOOL" tcp_client 10.2.0.2 7792 1048576 \
    2>&1) || fail "TCP through the tunnel: $out $(cat "$T/tcp-ts.log")"
wait "$SRV" || fail "TCP server: $(cat "$T/tcp-ts.log")"
log "tunnel tcp: $out"
out=$(udp_exchange "$NH1" 10.1.0.2 "$NH2" 10.2.0.2 10) ||
    fail "tunnel UDP H1 <-> H2: $out"
for s in ga gb; do
	counter_ge $s netd decide.forward 1 || fail "$s: nothing forwarded"
done
captures_stop
INNER=10.1.0.2,10.2.0.2
out=$($PY "$TOOL" \
    wire "$T/tun-a.pcap" $A4 $B4 4500 4500 $MARKER $INNER -- \
    wire "$T/tun-b.pcap" $N4 $B4 "$P" 4500 $MARKER $INNER -- \
    decrypt "$T/tun-b.pcap" $N4 $B4 "$P" 4500 0x2001 $K1 \
    10.1.0.2 10.2.0.2 -- \
    decrypt "$T/tun-a.pcap" $B4 $A4 4500 4500 0x2002 $K2 \
    10.2.0.2 10.1.0.2) || fail "tunnel captures: $out"
echo "$out" > "$T/tun.txt"
log "tunnel, A's side: $(sed -n 1p "$T/tun.txt"); B's side: $(sed -n 2p "$T/tun.txt")"
log "tunnel, scapy: $(sed -n 3p "$T/tun.txt"); $(sed -n 4p "$T/tun.txt")"
for l in 1 2; do
	esp=$(sed -n "${l}s/.*esp=\([0-9]*\).*/\1/p" "$T/tun.txt")
	[ "$esp" -gt 100 ] || fail "tunnel: only $esp ESP in UDP packets"
done

for s in a b ga gb; do
	if grep -q "Sanitizer\|runtime error" "$T/$s.log"; then
		fail "sanitizer report in $s.log"
	fi
done
kill $KMS 2> /dev/null || true
log "ok ($(( $(date +%s) - START )) s)"
