#!/bin/sh
# ipsecd.sh - ipsecd end to end (tests/e2e/ipsecd_e2e.py does the work):
# SAs added through keyd's PF_KEY socket reach ipsecd over the bus;
# packets through the ring are checked against scapy in both directions;
# malformed packets are dropped with the right pkt.* and drop.* counters;
# kill -9 of ipsecd under traffic reuses no sequence number or IV and
# keeps its replay windows; without a store, a restarted ipsecd does not
# use the SAs whose counters it lost.
#
#   parapetd --- keyd (store) --bus-- ipsecd (store) == ring0 == netd
#                  ^ PF_KEY                                       ^
#                  +------------- ipsecd_e2e.py (scapy) ---------+
#   "netd" is tests/e2e/ipsecd_netd.c: ring side A behind a socket.
. "$(dirname "$0")/sup_lib.sh"

TESTDIR=${PARAPET_TESTDIR:?PARAPET_TESTDIR not set}
cat > "$T/a.conf" <<CONF
[supervisor]
restart_min_ms = 100
restart_max_ms = 2000
ready_timeout_ms = 10000
stop_grace_ms = 3000
[server keyd]
store_records = 1024
[server policyd]
after = keyd
[server ipsecd]
after = keyd
store_records = 1024
store_record_bytes = 2304
[server netd]
binary = $TESTDIR/ipsecd_test_netd
after = ipsecd
[region ring0]
side_a = netd
side_b = ipsecd
slots = 256
CONF
start_sup a "$T/a.conf" PARAPET_TEST_NETD_SOCK="$T/netd.sock"
wait_until "all servers ready" 30 all_ready a
/usr/bin/python3 "$(dirname "$0")/ipsecd_e2e.py" "$T/a" "$T/netd.sock" \
    "$BIN/parapetctl" || fail "ipsecd_e2e.py"
grep -q "ipsecd.*state recovered\|ipsecd.*counters and windows recovered" \
    "$T/a.log" || fail "ipsecd did not recover its state"
# A second instance whose ipsecd has no store: after kill -9 the SAs
# keyd already had must not be used (their counters are gone).
sed -e '/^\[server ipsecd\]/,/^\[/{/^store_record/d}' \
    -e 's|netd.sock|netd-b.sock|' "$T/a.conf" > "$T/b.conf"
start_sup b "$T/b.conf" PARAPET_TEST_NETD_SOCK="$T/netd-b.sock"
wait_until "instance b ready" 30 all_ready b
/usr/bin/python3 "$(dirname "$0")/ipsecd_e2e.py" "$T/b" "$T/netd-b.sock" \
    "$BIN/parapetctl" nostore || fail "ipsecd_e2e.py nostore"
# A clean stop, then nothing from the sanitizers (ASan builds) in the log.
for i in a b; do
	sp=$(sup_pid $i)
	kill -TERM "$sp"
	wait_until "parapetd $i stopped" 30 gone "$sp"
	if grep -q "Sanitizer\|runtime error" "$T/$i.log"; then
		fail "sanitizer report in $i.log"
	fi
done
log "ok"
