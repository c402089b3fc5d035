#!/bin/sh
# bench_stack.sh - the whole data path, measured: TCP and UDP throughput
# (iperf3) and ICMP echo latency between two network namespaces on this
# machine, through Parapet ESP (AES-GCM-16 and ChaCha20-Poly1305,
# transport and tunnel mode) and, as references measured in the same run
# on the same topology, through the plain veth, a plain TUN + UDP
# forwarder without crypto (bench/fwd_plain.c, one packet per system
# call) and wireguard-go.
#
#   bench_stack.sh [-b BUILD_DIR] [--rows ROW,ROW...] [--quick]
#                  [--vnet yes|no]
#
# Rows (default: all):
#   veth        nothing in between: A's vethA 10.203.0.1 -> B's 10.203.0.2
#   fwd         fwd_plain in each namespace, TUN fwdA/fwdB (10.204.0.1/.2,
#               MTU 1400), UDP 5555 over the veth's 10.203.0.x
#   wg          wireguard-go (userspace), wg set with keys from wg genkey,
#               interface wbA/wbB (10.204.0.1/.2, MTU 1400), UDP 51820
#               over the veth
#   netd-clear  Parapet's data path without crypto: the gcm-tr setup below
#               with no SA and no policy (def_policy = 1: netd bridges
#               in clear; the row fails if ipsecd saw a packet), the
#               counterpart of fwd for netd's own cost
#   gcm-tr      Parapet, ESP AES-GCM-16 transport: bump in the stack as in
#               tests/e2e/netd_esp.sh (10.203.0.1/.2 on TAP tapA/tapB, MTU
#               1400; AF_PACKET on the veth), traffic to 10.203.0.2
#   gcm-tun     Parapet, ESP AES-GCM-16 tunnel: the same two stacks with
#               netd in gateway mode (address = the TAP's 10.203.0.x), and
#               the inner addresses 10.204.0.1/.2 on each namespace's
#               loopback (this kernel has no dummy interfaces), routed via
#               the peer's TAP address; policy
#               10.204.0.1 <-> 10.204.0.2 esp/tunnel/10.203.0.1-10.203.0.2
#   chacha-tr, chacha-tun
#               the same with ChaCha20-Poly1305
#   overlay     Parapet overlay mode, ESP AES-GCM-16 tunnel: netd with a TUN
#               ovA/ovB inside (10.204.0.1/.2, MTU 1400) and ESP in UDP
#               4500 (esp-udp SAs) over the veth's 10.203.0.x, configured
#               as etc/examples/overlay-a.conf (gso = yes); skipped with a
#               note when netd refuses type = tun / type = udp
#
# The topology is the same for every row: two namespaces bsA<pid> and
# bsB<pid> joined by one veth (vethA, vethB); each row gets a fresh pair
# (created before the row, deleted after it, with everything that ran in
# it), so no row inherits another's state. Tunnel rows (fwd, wg,
# *-tun) carry 10.204.0.1 -> 10.204.0.2 inside 10.203.0.1 <-> .2; every
# tunnel's inner MTU is 1400, so each row moves the same payload per
# packet. For every row, A is the client and B the server:
#   TCP   iperf3 -t 5, three runs, the median (--quick: one 1 s run)
#   UDP   iperf3 -u -b 2G -l 1344 -t 5 (1344 + 28 fits the 1400 MTU):
#         received Gbit/s and loss (--quick: 1 s)
#   ping  200 ICMP echo requests 10 ms apart from a raw socket (python;
#         the machine has no ping binary): median and p99 RTT in us
#         (--quick: 20). The python's own cost is in every row alike.
# Then a table, and the ratios the issue asks for: Parapet AES-GCM TCP
# over wireguard-go's and over fwd_plain's, and Parapet's ping median
# minus fwd_plain's.
#
# Parapet rows: parapetd (keyd, policyd, ipsecd, netd) in each namespace,
# configured as etc/examples/host-a.conf (vnet headers on both links;
# --vnet no turns them off), SAs and policies by our setkey; the row
# fails unless netd counted ESP (ipsec.ok) on both sides afterwards.
#
# Binaries: -b BUILD_DIR, else $PARAPET_BUILD, else build-rel/ or build/
# under the source tree (a Release build: the figures of a Debug or
# sanitizer build mean nothing, the script says so). Needs root, iperf3,
# python3, /dev/net/tun; wg and wireguard-go for the wg row. Exits 77
# when it cannot run here (not root), 1 when any row failed to run (the
# other rows still run and are printed, unless a setup step outside the
# rows fails), 0 otherwise. Figures never decide the exit status.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROWS_ALL="veth fwd wg netd-clear gcm-tr gcm-tun chacha-tr chacha-tun overlay"

usage() {
	sed -n '/^#   bench_stack.sh \[/,/^#$/s/^#  *//p' "$0" >&2
	echo "rows: $ROWS_ALL" >&2
	exit "$1"
}

B=${PARAPET_BUILD:-}
ROWS=$ROWS_ALL
QUICK=0
VNET=yes
while [ $# -gt 0 ]; do
	case $1 in
	-b)		[ $# -ge 2 ] || usage 2; B=$2; shift 2 ;;
	--rows)		[ $# -ge 2 ] || usage 2
			ROWS=$(echo "$2" | tr ',' ' '); shift 2 ;;
	--quick)	QUICK=1; shift ;;
	--vnet)		[ $# -ge 2 ] || usage 2; VNET=$2; shift 2 ;;
	-h|--help)	usage 0 ;;
	*)		usage 2 ;;
	esac
done
for r in $ROWS; do
	case " $ROWS_ALL " in
	*" $r "*) ;;
	*) echo "bench_stack.sh: unknown row $r (rows: $ROWS_ALL)" >&2; exit 2 ;;
	esac
done
if [ -z "$B" ]; then
	for d in build-rel build; do
		if [ -x "$SRC/$d/bin/netd" ]; then B=$SRC/$d; break; fi
	done
fi
[ -n "$B" ] && [ -d "$B/bin" ] || { echo "bench_stack.sh: no build" >&2; exit 2; }
B=$(cd "$B" && pwd)
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	echo "bench_stack.sh: skipped: needs root and /dev/net/tun" >&2
	exit 77
fi
command -v iperf3 > /dev/null || { echo "bench_stack.sh: no iperf3" >&2; exit 77; }

export PARAPET_BINDIR="$B/bin" PARAPET_SRCDIR="$SRC"
. "$SRC/tests/e2e/sup_lib.sh"
. "$SRC/tests/e2e/lib/netns.sh"
. "$SRC/tests/e2e/lib/stack.sh"

NA=bsA$$
NB=bsB$$
WGA=wbA$$
WGB=wbB$$
A4=10.203.0.1
B4=10.203.0.2
IA4=10.204.0.1
IB4=10.204.0.2
MTU=1400
if [ $QUICK = 1 ]; then
	TCP_SECS=1 TCP_RUNS=1 UDP_SECS=1 PINGS=20
else
	TCP_SECS=5 TCP_RUNS=3 UDP_SECS=5 PINGS=200
fi
UDP_RATE=2G
UDP_LEN=1344
K1=0x$(printf '5a%.0s' $(seq 36))
K2=0x$(printf 'a5%.0s' $(seq 36))

# ---- the topology ----

# ns_pids NS [COMM]: the processes in NS (named COMM).
ns_pids() {
	for p in $(ip netns pids "$1" 2>/dev/null || true); do
		if [ -z "${2:-}" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]
		then
			echo "$p"
		fi
	done
}

# ns_kill SIG [COMM]: signal what runs in our two namespaces; 0 if
# anything did.
ns_kill() {
	found=1
	for ns in "$NA" "$NB"; do
		for p in $(ns_pids "$ns" ${2:-}); do
			kill "-$1" "$p" 2>/dev/null || true
			found=0
		done
	done
	return $found
}

# ns_quiet SECS [COMM]: up to SECS for those processes to go.
ns_quiet() {
	i=0
	while [ $i -lt $(($1 * 20)) ]; do
		[ -n "$(ns_pids "$NA" ${2:-})$(ns_pids "$NB" ${2:-})" ] || return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# Everything that ran in the namespaces goes (each parapetd first, so it
# stops its servers itself), then the namespaces.
topo_down() {
	if ns_kill TERM parapetd; then ns_quiet 5 parapetd || true; fi
	if ns_kill TERM; then ns_quiet 3 || ns_kill KILL || true; fi
	ns_quiet 2 || true
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
	rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
	SUPS=""
}

bench_cleanup() {
	rc=$?
	topo_down
	(exit $rc) || netns_cleanup
	netns_cleanup
}

topo_up() {
	netns_pair "$NA" "$NB"
	trap bench_cleanup EXIT
}

# plain_addrs: the outer addresses on the veth itself.
plain_addrs() {
	netns_plain "$NA" vethA $A4 2001:db8:203::1
	netns_plain "$NB" vethB $B4 2001:db8:203::2
}

# ---- the measurements (A is the client, B the server) ----

# jget FILE EXPR: a figure out of iperf3's JSON (j), by python.
jget() {
	$PY -c "import json, sys
j = json.load(open(sys.argv[1]))
print($2)" "$1"
}

# iperf_c OUT ARGS...: one iperf3 client run from A, JSON into OUT.
iperf_c() {
	out=$1
	shift
	ip netns exec "$NA" iperf3 -c "$DST" -J --connect-timeout 3000 "$@" \
	    > "$out" 2>&1 || fail "iperf3 $*: $(grep '"error"' "$out" || tail -3 "$out")"
}

# ping_rtt DST COUNT: "replies median p99" (us) of COUNT echo requests
# 10 ms apart, from a raw socket in A.
ping_rtt() {
	ip netns exec "$NA" $PY - "$1" "$2" <<'PY'
import os, select, socket, struct, sys, time
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
rtt = []
for seq in range(count):
    body = struct.pack("!HH", ident, seq) + b"bench_stack" * 5 + b"."
    pkt = struct.pack("!BBH", 8, 0, csum(b"\x08\0\0\0" + body)) + body
    t0 = time.perf_counter()
    s.sendto(pkt, (dst, 0))
    end = t0 + 1.0
    while True:
        left = end - time.perf_counter()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        r = s.recv(2048)
        t1 = time.perf_counter()
        ihl = (r[0] & 15) * 4
        t, _, _, i, q = struct.unpack("!BBHHH", r[ihl:ihl + 8])
        if t == 0 and i == ident and q == seq:
            rtt.append((t1 - t0) * 1e6)
            break
    left = t0 + 0.01 - time.perf_counter()
    if left > 0:
        time.sleep(left)
rtt.sort()
if not rtt:
    print("0 - -")
    sys.exit(1)
p99 = rtt[min(len(rtt) - 1, (len(rtt) * 99 + 99) // 100 - 1)]
print("%d %.0f %.0f" % (len(rtt), rtt[len(rtt) // 2], p99))
PY
}

# measure ROW DST: TCP, UDP and ping from A to DST in B; the result line
# "ROW tcp udp loss% ping_med ping_p99 replies tcp_runs" into $T/res-ROW.
measure() {
	row=$1 DST=$2
	ip netns exec "$NB" iperf3 -s -B "$DST" --logfile "$T/iperf-s-$row.log" &
	wait_until "iperf3 server in B" 10 sh -c \
	    "ip netns exec $NB ss -ltn | grep -q '$DST:5201'"
	runs=""
	i=0
	while [ $i -lt $TCP_RUNS ]; do
		iperf_c "$T/tcp-$row-$i.json" -t $TCP_SECS
		g=$(jget "$T/tcp-$row-$i.json" \
		    'j["end"]["sum_received"]["bits_per_second"] / 1e9')
		runs="$runs $(printf '%.3f' "$g")"
		i=$((i + 1))
	done
	tcp=$(echo $runs | tr ' ' '\n' | sort -g | sed -n "$(((TCP_RUNS + 1) / 2))p")
	iperf_c "$T/udp-$row.json" -u -b $UDP_RATE -l $UDP_LEN -t $UDP_SECS
	# iperf3 (3.12) reports what the server received, and the loss.
	udp=$(jget "$T/udp-$row.json" '"%.3f %.1f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9, j["end"]["sum_received"]["lost_percent"])')
	p=$(ping_rtt "$DST" $PINGS) || fail "ping $DST: no reply"
	set -- $p
	echo "$row $tcp $udp $2 $3 $1/$PINGS$(echo $runs | tr ' ' ',' | sed 's/^/ /')" \
	    > "$T/res-$row"
	log "$row: $(cat "$T/res-$row")"
}

# ---- the rows (each in a subshell: fail ends the row, not the run) ----

row_veth() {
	plain_addrs
	measure veth $B4
}

# tun_addr NS DEV ADDR PEER: the inner address on DEV, MTU 1400, up.
tun_addr() {
	ip netns exec "$1" ip addr add "$3/24" dev "$2"
	ip netns exec "$1" ip link set "$2" mtu $MTU up
}

row_fwd() {
	[ -x "$BIN/fwd_plain" ] || fail "no $BIN/fwd_plain (cmake --build: target fwd_plain)"
	plain_addrs
	for s in "$NA fwdA $IA4 $B4" "$NB fwdB $IB4 $A4"; do
		set -- $s
		ip netns exec "$1" ip tuntap add dev "$2" mode tun
		tun_addr "$1" "$2" "$3"
		ip netns exec "$1" "$BIN/fwd_plain" -i "$2" -l 5555 \
		    -p "$4:5555" 2> "$T/fwd-$2.log" &
	done
	wait_until "echo through fwd_plain" 10 ping_rtt $IB4 1
	measure fwd $IB4
	! grep -q "Sanitizer\|runtime error" "$T"/fwd-*.log ||
	    fail "fwd: sanitizer report in $(echo "$T"/fwd-*.log)"
}

row_wg() {
	command -v wireguard-go > /dev/null && command -v wg > /dev/null ||
	    fail "wg row: no wireguard-go or wg"
	plain_addrs
	umask 077
	wg genkey > "$T/wgA.key"
	wg genkey > "$T/wgB.key"
	for s in "$NA $WGA $IA4 $T/wgA.key $T/wgB.key $IB4 $B4" \
	    "$NB $WGB $IB4 $T/wgB.key $T/wgA.key $IA4 $A4"; do
		set -- $s
		ip netns exec "$1" env WG_PROCESS_FOREGROUND=1 \
		    wireguard-go "$2" > "$T/wg-$2.log" 2>&1 &
		wait_until "wireguard-go $2" 10 \
		    ip netns exec "$1" ip link show "$2"
		ip netns exec "$1" wg set "$2" private-key "$4" \
		    listen-port 51820 peer "$(wg pubkey < "$5")" \
		    allowed-ips "$6/32" endpoint "$7:51820"
		tun_addr "$1" "$2" "$3"
	done
	wait_until "echo through wireguard-go" 10 ping_rtt $IB4 1
	measure wg $IB4
}

# pp_start NAME NS HOST WIRE [GATEWAY_ADDRESS]: parapetd in NS, one file
# for the supervisor and netd (as etc/examples/host-a.conf, or with WIRE
# "udp" overlay-a.conf: HOST a TUN, ESP in UDP on port 4500), ready.
pp_start() {
	f=$T/pp-$1.conf name=$1 ns=$2
	{
		cat <<CONF
[supervisor]
restart_min_ms = 100
restart_max_ms = 1000
ready_timeout_ms = 10000
stop_grace_ms = 3000
[server keyd]
[server policyd]
after = keyd
[server ipsecd]
after = keyd
store_records = 4096
store_record_bytes = 2304
[server netd]
after = policyd ipsecd
args = -c $f
[region ring0]
side_a = netd
side_b = ipsecd
slots = 1024
slot_bytes = 2048
headroom = 128
tailroom = 64
[netd]
def_policy = 1
wait_policyd = yes
CONF
		if [ -n "${5:-}" ]; then
			printf 'mode = gateway\naddress = %s\n' "$5"
		else
			echo "mode = host"
		fi
		if [ "$4" = udp ]; then
			printf '[link in]\ntype = tun\nrole = host\nifname = %s\n' "$3"
			printf '[link out]\ntype = udp\nrole = wire\nport = 4500\nfamily = inet\ngso = yes\n'
		else
			for l in "host tap $3" "wire packet $4"; do
				set -- $l
				printf '[link %s]\ntype = %s\nrole = %s\nifname = %s\nvnet = %s\n' \
				    "$1" "$2" "$1" "$3" "$VNET"
			done
		fi
	} > "$f"
	"$BIN/netd" -t -c "$f" > /dev/null || fail "netd -t -c $f"
	ip netns exec "$ns" "$BIN/parapetd" -c "$f" -r "$T/$name" -b "$BIN" \
	    > "$T/$name.log" 2>&1 &
	SUPS="$SUPS $name:$!"
	wait_until "stack $name ready" 30 all_ready "$name"
}

# pp_synced NAME: what setkey did has reached the packet path (netd's
# replica of the SPD and ipsecd's SAs; before that, def_policy = 1 would
# let a packet pass in clear).
pp_synced() {
	[ "$(stack_counter "$1" spd.policies)" -ge 2 ] &&
	    [ "$(ctl "$1" counters ipsecd | awk '$1 == "sa.count" { print $2 }')" -ge 2 ]
}

# pp_keys NAME ALG MODE SRC DST [PROTO]: the SAs A -> B and B -> A (the
# same in both stacks; PROTO esp, or esp-udp for the overlay), this
# side's policies out and in (setkey adds the fwd twin) for SRC <-> DST,
# LOCAL and PEER the outer addresses of this side.
pp_keys() {
	if [ "$1" = a ]; then l=$A4 r=$B4; else l=$B4 r=$A4; fi
	p=${6:-esp}
	{
		echo "flush;"
		echo "add $A4 $B4 $p 0x1001 -m $3 -E $2 $K1;"
		echo "add $B4 $A4 $p 0x1002 -m $3 -E $2 $K2;"
		echo "spdflush;"
		if [ "$3" = tunnel ]; then
			echo "spdadd $4 $5 any -P out ipsec esp/tunnel/$l-$r/require;"
			echo "spdadd $5 $4 any -P in ipsec esp/tunnel/$r-$l/require;"
		else
			echo "spdadd $4 $5 any -P out ipsec esp/transport//require;"
			echo "spdadd $5 $4 any -P in ipsec esp/transport//require;"
		fi
	} | stack_setkey "$1"
}

# pp_bump: bump in the stack on both sides (netns_bits), TAP MTU 1400.
pp_bump() {
	netns_bits "$NA" vethA tapA $A4 2001:db8:203::1
	netns_bits "$NB" vethB tapB $B4 2001:db8:203::2
	ip netns exec "$NA" ip link set tapA mtu $MTU
	ip netns exec "$NB" ip link set tapB mtu $MTU
}

# pp_inner: the inner addresses on loopback, routed through the TAP via
# the peer gateway's address (the tunnel rows).
pp_inner() {
	for s in "$NA $IA4 $IB4 tapA $B4" "$NB $IB4 $IA4 tapB $A4"; do
		set -- $s
		ip netns exec "$1" ip addr add "$2/32" dev lo
		ip netns exec "$1" ip route add "$3/32" via "$5" dev "$4" \
		    src "$2"
		ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0
	done
}

# row_pp ROW ALG MODE: the two Parapet stacks, SAs, policies, measure.
# MODE transport, tunnel (netd in gateway mode), overlay, or clear (no
# SA, no policy).
row_pp() {
	row=$1 alg=$2 mode=$3
	case $mode in
	transport)
		pp_bump
		pp_start a "$NA" tapA vethA
		pp_start b "$NB" tapB vethB
		pp_keys a "$alg" transport $A4 $B4
		pp_keys b "$alg" transport $B4 $A4
		dst=$B4 ;;
	tunnel)
		pp_bump
		pp_inner
		pp_start a "$NA" tapA vethA $A4
		pp_start b "$NB" tapB vethB $B4
		pp_keys a "$alg" tunnel $IA4/32 $IB4/32
		pp_keys b "$alg" tunnel $IB4/32 $IA4/32
		dst=$IB4 ;;
	clear)
		pp_bump
		pp_start a "$NA" tapA vethA
		pp_start b "$NB" tapB vethB
		dst=$B4 ;;
	overlay)
		plain_addrs
		for s in "$NA ovA $IA4" "$NB ovB $IB4"; do
			set -- $s
			ip netns exec "$1" ip tuntap add dev "$2" mode tun
			tun_addr "$1" "$2" "$3"
		done
		pp_start a "$NA" ovA udp
		pp_start b "$NB" ovB udp
		pp_keys a "$alg" tunnel $IA4/32 $IB4/32 esp-udp
		pp_keys b "$alg" tunnel $IB4/32 $IA4/32 esp-udp
		dst=$IB4 ;;
	esac
	if [ "$mode" != clear ]; then
		wait_until "SPD and SAs in a" 15 pp_synced a
		wait_until "SPD and SAs in b" 15 pp_synced b
	fi
	wait_until "echo through Parapet" 15 ping_rtt $dst 1
	measure "$row" $dst
	for s in a b; do
		ctl $s counters netd > "$T/ctr-$row-$s"
		v=$(awk '$1 == "ipsec.ok" { print $2 }' "$T/ctr-$row-$s")
		if [ "$mode" = clear ]; then
			[ "${v:-0}" = 0 ] || fail "$row: $s: ESP (ipsec.ok $v)"
		else
			[ -n "$v" ] && [ "$v" -gt 0 ] ||
			    fail "$row: $s: no ESP (ipsec.ok '$v')"
		fi
		! grep -q "Sanitizer\|runtime error" "$T/$s.log" ||
		    fail "$row: sanitizer report in $s.log"
		log "$row: netd $s: $(awk '$1 ~ /^(ipsec\.(ok|too_big)|icmp\.sent|ring\.no_slot)$/ { printf "%s=%s ", $1, $2 }' "$T/ctr-$row-$s")"
	done
}

row_netd_clear() { row_pp netd-clear none clear; }
row_gcm_tr() { row_pp gcm-tr aes-gcm-16 transport; }
row_gcm_tun() { row_pp gcm-tun aes-gcm-16 tunnel; }
row_chacha_tr() { row_pp chacha-tr chacha20-poly1305 transport; }
row_chacha_tun() { row_pp chacha-tun chacha20-poly1305 tunnel; }

# The overlay row needs netd to take a TUN host side and a UDP wire
# (DESIGN §10.26); with an older netd it is skipped.
row_overlay() {
	f=$T/overlay-probe.conf
	printf '[netd]\nmode = host\n[link in]\ntype = tun\nrole = host\nifname = ovA\n[link out]\ntype = udp\nrole = wire\nport = 4500\n' > "$f"
	if ! "$BIN/netd" -t -c "$f" > "$T/overlay-probe.log" 2>&1; then
		echo "skipped: this netd has no overlay mode ($(tail -1 "$T/overlay-probe.log"))" > "$T/skip-overlay"
		return 0
	fi
	row_pp overlay aes-gcm-16 overlay
}

# ---- the run ----

log "build: $B ($(grep -s '^CMAKE_BUILD_TYPE:' "$B/CMakeCache.txt" | cut -d= -f2))"
grep -qs '^CMAKE_BUILD_TYPE:STRING=Release' "$B/CMakeCache.txt" ||
    log "WARNING: not a Release build: the figures mean little"
grep -qs '^ENABLE_ASAN:BOOL=ON' "$B/CMakeCache.txt" &&
    log "WARNING: sanitizers on: the figures mean nothing"
log "load before: $(cat /proc/loadavg), $(nproc) CPUs, $(uname -r)"
FAILED=""
for r in $ROWS; do
	topo_up
	set +e
	(
		set -e
		"row_$(echo "$r" | tr - _)"
	)
	rc=$?
	set -e
	topo_down
	if [ $rc -ne 0 ]; then
		log "row $r FAILED"
		FAILED="$FAILED $r"
	fi
done
# BENCH_KEEP=DIR: a copy of the logs and iperf3 JSON of the run.
if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP"; cp -r "$T"/. "$BENCH_KEEP"; fi
log "load after: $(cat /proc/loadavg)"

# The table, then the ratios (from the rows that ran).
fig() { [ -f "$T/res-$1" ] && awk -v c="$2" '{ print $c }' "$T/res-$1" || true; }
printf '\n%-11s %9s %9s %7s %9s %9s %8s  %s\n' row "TCP Gb/s" "UDP Gb/s" \
    "loss%" "ping med" "ping p99" replies "TCP runs"
for r in $ROWS; do
	if [ -f "$T/res-$r" ]; then
		awk '{ printf "%-11s %9s %9s %7s %7s us %6s us %8s  %s\n",
		    $1, $2, $3, $4, $5, $6, $7, $8 }' "$T/res-$r"
	elif [ -f "$T/skip-$r" ]; then
		printf '%-11s %s\n' "$r" "$(cat "$T/skip-$r")"
	else
		printf '%-11s FAILED\n' "$r"
	fi
done
echo "(TCP: iperf3 -t $TCP_SECS, median of $TCP_RUNS; UDP: -u -b $UDP_RATE -l $UDP_LEN -t $UDP_SECS, received; ping: $PINGS echo requests 10 ms apart; inner MTU $MTU; netd vnet = $VNET)"
ratio() {	# LABEL A B: A / B
	a=$(fig "$2" 2) b=$(fig "$3" 2)
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" -v l="$1" \
	    'BEGIN { printf "%-40s %6.2f\n", l, (b > 0 ? a / b : 0) }'
}
delta() {	# LABEL A B: A - B (ping median, us)
	a=$(fig "$2" 5) b=$(fig "$3" 5)
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" -v l="$1" \
	    'BEGIN { printf "%-40s %+6d us\n", l, a - b }'
}
echo
for m in tr tun; do
	ratio "TCP gcm-$m / wg (target >= 3)" gcm-$m wg
	ratio "TCP gcm-$m / fwd (target >= 1)" gcm-$m fwd
	ratio "TCP chacha-$m / wg" chacha-$m wg
	delta "ping median gcm-$m - fwd (target <= 100)" gcm-$m fwd
done
delta "ping median netd-clear - fwd" netd-clear fwd
ratio "TCP netd-clear / fwd" netd-clear fwd
ratio "TCP fwd / veth" fwd veth
ratio "TCP wg / fwd" wg fwd
if [ -n "$FAILED" ]; then
	log "rows that failed:$FAILED"
	exit 1
fi
