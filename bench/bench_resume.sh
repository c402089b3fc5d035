#!/bin/sh
# bench_resume.sh - how long protected traffic stops when a server is
# killed (kill -9) and the supervisor restarts it (issue 6 target: traffic
# resumes within 100 ms after kill -9 of any server).
#
#   namespace A (stack a)                     namespace B (stack b)
#   udp-send: a datagram every 1 ms  ---ESP-->  udp-recv: arrival times
#   vethA ================================== vethB
#
# Two whole stacks (tests/e2e/lib/stack.sh), ESP AES-GCM-16 transport and
# require policies both ways, a steady probe stream from A to B. For each
# server, KILLS kills alternately on A and on B (one server of one host at
# a time, 1.5 s apart, so each server of a host is killed once every 12 s:
# past the supervisor's restart_stable_ms of 10 s, every kill is a first
# crash and restarts at once, as a kill after a stable run is); per kill
# the longest silence in the received stream from the kill to 2 s later.
# Reference row: the same measure at moments without a kill.
#
#   bench_resume.sh [-b BUILD_DIR] [KILLS]       (root; default KILLS 6)
#   BENCH_LOGS=DIR keeps the logs and the raw times there
#   BUILD_DIR: default $PARAPET_BUILD, else build-rel (a Release build
#   with parapetd, parapetctl, keyd, policyd, ipsecd, netd, setkey)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${PARAPET_BUILD:-$SRC/build-rel}
if [ "${1:-}" = -b ]; then
	B=$2
	shift 2
fi
KILLS=${1:-6}
B=$(cd "$B" && pwd)
export PARAPET_BINDIR="$B/bin" PARAPET_SRCDIR="$SRC"
. "$SRC/tests/e2e/sup_lib.sh"
. "$SRC/tests/e2e/lib/netns.sh"
. "$SRC/tests/e2e/lib/stack.sh"
. "$SRC/tests/e2e/lib/chaos.sh"
CW="$PY $SRC/tests/e2e/lib/chaos_wire.py"

NA=brA$$
NB=brB$$
A4=10.81.0.1
B4=10.81.0.2
K1=0x$(printf '55%.0s' $(seq 36))
K2=0x$(printf '66%.0s' $(seq 36))

netns_pair "$NA" "$NB"
netns_bits "$NA" vethA tapA $A4 2001:db8:81::1
netns_bits "$NB" vethB tapB $B4 2001:db8:81::2
stack_start a "$NA" tapA vethA
stack_start b "$NB" tapB vethB
for s in "a $A4 $B4" "b $B4 $A4"; do
	set -- $s
	stack_setkey "$1" <<EOF
flush;
add $A4 $B4 esp 0x3001 -m transport -E aes-gcm-16 $K1;
add $B4 $A4 esp 0x3002 -m transport -E aes-gcm-16 $K2;
spdflush;
spdadd $2 $3 any -P out ipsec esp/transport//require;
spdadd $3 $2 any -P in ipsec esp/transport//require;
EOF
done
wait_until "first echo A -> B" 20 icmp_echo "$NA" $B4 1

ip netns exec "$NB" $CW udp-recv $B4 5301 "$T/arrivals.txt" "$T/stop" &
RECV=$!
sleep 0.3
ip netns exec "$NA" $CW udp-send $B4 5301 "$T/stop" 1000 > "$T/sent.txt" &
SEND=$!
sleep 2

: > "$T/kills.txt"
: > "$T/refs.txt"
i=0
while [ $i -lt "$KILLS" ]; do
	i=$((i + 1))
	if [ $((i % 2)) = 1 ]; then h=a; else h=b; fi
	for srv in keyd policyd ipsecd netd; do
		chaos_kill $h $srv "$srv $h" "$T/kills.txt"
		sleep 1.5
		# A quiet moment for the reference row (no kill within 2 s).
		[ "$srv" = netd ] || continue
		echo "$(date +%s.%N) none -" >> "$T/refs.txt"
		sleep 2.5
	done
done
sleep 2.2
touch "$T/stop"
wait "$SEND" "$RECV" || true
sent=$(cat "$T/sent.txt")
got=$(wc -l < "$T/arrivals.txt")

# Per server: median and worst of the kills' longest silences.
$CW gaps "$T/arrivals.txt" "$T/kills.txt" > "$T/g.txt"
$CW gaps "$T/arrivals.txt" "$T/refs.txt" >> "$T/g.txt"
echo "# bench_resume: probe every 1 ms A -> B over ESP (AES-GCM-16"
echo "# transport), $KILLS kills per server alternating hosts A and B;"
echo "# longest silence in the received stream from the kill to 2 s later."
echo "# $got of $sent probes arrived. Target: < 100 ms. ratio = median /"
echo "# the no-kill reference's median."
$CW summary "$T/g.txt"
# BENCH_LOGS=DIR keeps the logs, kill times and arrival times there.
if [ -n "${BENCH_LOGS:-}" ]; then
	mkdir -p "$BENCH_LOGS"
	cp "$T"/*.log "$T"/*.txt "$BENCH_LOGS"/
fi
