# stack.sh - a whole Parapet stack (parapetd: keyd, policyd, ipsecd, netd
# and the ring region) in a network namespace, netd as bump in the stack
# (tests/e2e/lib/netns.sh); for netd_esp.sh and netd_esp_gw.sh. Sourced
# after sup_lib.sh. POSIX sh.
#
#   stack_start NAME NS TAP WIRE [GATEWAY_ADDRESS]
#        netd.conf ($T/netd-NAME.conf: TAP host side, WIRE wire side,
#        vnet headers unless VNET=no; with GATEWAY_ADDRESS mode = gateway and that
#        address), parapetd.conf ($T/NAME.conf), parapetd in NS with run
#        directory $T/NAME and log $T/NAME.log; waits until all is ready
#        NETD_USER=USER: netd runs as USER (`user =`; bus_mode 0666:
#        the caller makes $T reachable); it gets its links from
#        parapetd (servers/supervisor/sup_links.h)
#   stack_setkey NAME          our setkey -f on stdin against stack NAME
#                              (fails the test on error)
#   stack_counter NAME C       netd's counter C in stack NAME
#   stack_esp_transport SA A SB B SPI_AB SPI_BA KEY_AB KEY_BA
#                              stacks SA (address A) and SB (B): ESP
#                              AES-GCM-16 transport SAs both ways and
#                              require policies (out and in) on each
stack_start() {
	if [ -n "${5:-}" ]; then
		mode="mode = gateway
address = $5"
	else
		mode="mode = host"
	fi
	cat > "$T/netd-$1.conf" <<CONF
[netd]
$mode
def_policy = 1

[link host]
type = tap
role = host
ifname = $3
vnet = ${VNET:-yes}

[link wire]
type = packet
role = wire
ifname = $4
vnet = ${VNET:-yes}
CONF
	cat > "$T/$1.conf" <<CONF
[supervisor]
restart_min_ms = 100
restart_max_ms = 1000
ready_timeout_ms = 10000
stop_grace_ms = 3000
${NETD_USER:+bus_mode = 0666}
[server keyd]
store_records = 1024
[server policyd]
after = keyd
store_records = 1024
[server ipsecd]
after = keyd
store_records = 1024
store_record_bytes = 2304
[server netd]
after = policyd ipsecd
args = -c $T/netd-$1.conf
${NETD_USER:+user = $NETD_USER}
[region ring0]
side_a = netd
side_b = ipsecd
slots = 1024
CONF
	"$BIN/netd" -c "$T/netd-$1.conf" -t > /dev/null || fail "netd -t ($1)"
	ip netns exec "$2" "$BIN/parapetd" -c "$T/$1.conf" -r "$T/$1" \
	    -b "$BIN" > "$T/$1.log" 2>&1 &
	SUPS="$SUPS $1:$!"
	wait_until "stack $1 ready" 30 all_ready "$1"
}

stack_setkey() {
	cat > "$T/setkey-$1.conf"
	PARAPET_RUNDIR="$T/$1" "$BIN/setkey" -f "$T/setkey-$1.conf" ||
	    fail "setkey -f in $1: $(cat "$T/setkey-$1.conf")"
}

stack_counter() {
	ctl "$1" counters netd | awk -v n="$2" '$1 == n { print $2 }'
}

stack_esp_transport() {
	_a=$2 _b=$4 _s1=$5 _s2=$6 _k1=$7 _k2=$8
	for _p in "$1 $2 $4" "$3 $4 $2"; do
		set -- $_p
		stack_setkey "$1" <<EOF
flush;
add $_a $_b esp $_s1 -m transport -E aes-gcm-16 $_k1;
add $_b $_a esp $_s2 -m transport -E aes-gcm-16 $_k2;
spdflush;
spdadd $2 $3 any -P out ipsec esp/transport//require;
spdadd $3 $2 any -P in ipsec esp/transport//require;
EOF
	done
}
