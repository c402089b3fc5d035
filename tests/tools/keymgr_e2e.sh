#!/bin/sh
# keymgr_e2e.sh - the test key manager (tests/tools/keymgr.py) between
# two keyd instances.
#
#   parapetd a: keyd --- $T/a/pfkey.sock ---\
#                                            keymgr.py run (PSK)
#   parapetd b: keyd --- $T/b/pfkey.sock ---/
#   bus_acquire --- $T/a/bus.sock (or b) ---> keyd: SADB_ACQUIRE
#   (tests/tools/bus_acquire.c, built: PARAPET_BUS_ACQUIRE)
#
# 1. An ACQUIRE on host a (10.0.0.1 -> 10.0.0.2, ESP) and one on host b
#    (10.1.0.2 -> 10.1.0.1, AH): each ends with the same two SAs on both
#    hosts (SPI, keys), keys equal to HKDF(PSK) recomputed here, and the
#    ACQUIRE completed (a second AcquireRequest answers SA_EXISTS).
# 2. With soft 2 s / hard 8 s add-time lifetimes: a soft EXPIRE makes a
#    replacement pair, installed before the hard expiry deletes the
#    first pair (keymgr's log order), and both hosts still agree. (Each
#    pair is rekeyed at 2 s and lives 8 s, so when the first one dies
#    three later ones live for seconds more: room for the checks on a
#    loaded machine.)
. "${PARAPET_SRCDIR:?}/tests/e2e/sup_lib.sh"

[ "$(id -u)" = 0 ] || { log "SKIP: keyd admits uid 0 (or a group) only"; exit 77; }

TOOLS="$PARAPET_SRCDIR/tests/tools"
PY=/usr/bin/python3
KM="$PY -B $TOOLS/keymgr.py"
ACQ="${PARAPET_BUS_ACQUIRE:?}"
KMPID=""

for h in a b; do
	cat > "$T/$h.conf" <<CONF
[supervisor]
ready_timeout_ms = 10000
stop_grace_ms = 3000
[server keyd]
CONF
	start_sup "$h" "$T/$h.conf"
done
for h in a b; do
	wait_until "keyd $h" 20 test -S "$T/$h/pfkey.sock"
	wait_until "keyd $h ready" 20 all_ready "$h"
done

stop_km() {
	if [ -n "$KMPID" ]; then
		kill -TERM "$KMPID" 2>/dev/null || true
		wait "$KMPID" 2>/dev/null || true
		KMPID=""
	fi
}
start_km() {
	log_f=$1
	shift
	$KM run "$T/a/pfkey.sock" "$T/b/pfkey.sock" --psk "test psk" "$@" \
	    > "$log_f" 2>&1 &
	KMPID=$!
	wait_until "keymgr ready" 10 grep -q 'keymgr: ready' "$log_f"
}
# same: both hosts hold the same SAs (SPIs, keys); prints them.
same() {
	$KM dump "$T/a/pfkey.sock" | awk '{ $5 = ""; print }' > "$T/da"
	$KM dump "$T/b/pfkey.sock" | awk '{ $5 = ""; print }' > "$T/db"
	cmp -s "$T/da" "$T/db"
}
# count_sas N: host a holds N SAs.
count_sas() { [ "$($KM dump "$T/a/pfkey.sock" | wc -l)" = "$1" ]; }

# --- 1. ACQUIRE from either host ---
start_km "$T/km1.log"
out=$($ACQ "$T/a/bus.sock" 10.0.0.1 10.0.0.2 --policy-id 25) ||
    fail "acquire on a: $out"
[ "${out%% *}" = 1 ] || fail "acquire on a: status $out (1: sent)"
wait_until "pair 1" 10 grep -q 'pair 1 installed' "$T/km1.log"
out=$($ACQ "$T/b/bus.sock" 10.1.0.2 10.1.0.1 --policy-id 33 --proto ah) ||
    fail "acquire on b: $out"
wait_until "pair 2" 10 grep -q 'pair 2 installed' "$T/km1.log"
stop_km
same || fail "hosts differ: $(diff "$T/da" "$T/db" | head -6)"
[ "$(wc -l < "$T/da")" = 4 ] || fail "$(wc -l < "$T/da") SAs, expected 4"
# Every SA is mature (state 1) on both, with keys of the right length
# (ESP AES-GCM 36 bytes, AH HMAC-SHA-256 32 bytes) equal to HKDF(PSK).
$KM dump "$T/a/pfkey.sock" > "$T/d1"
$PY -B -c '
import sys
sys.path.insert(0, sys.argv[2])
import keymgr
n = 0
for line in open(sys.argv[1]):
    sat, src, dst, spi, state, ek, ak = line.split()
    st = 3 if sat == "esp" else 2
    e, a = keymgr.sa_keys(b"test psk", st, int(spi, 16), src, dst,
                          288 if sat == "esp" else 0,
                          0 if sat == "esp" else 256)
    assert state == "1", line
    assert ek == (e.hex() or "-") and ak == (a.hex() or "-"), line
    n += 1
assert n == 4
' "$T/d1" "$TOOLS" || fail "keys are not HKDF(PSK): $(cat "$T/d1")"
grep -q '^esp 10.0.0.1 10.0.0.2 ' "$T/d1" || fail "no ESP 10.0.0.1 -> 10.0.0.2"
grep -q '^esp 10.0.0.2 10.0.0.1 ' "$T/d1" || fail "no ESP 10.0.0.2 -> 10.0.0.1"
grep -q '^ah 10.1.0.2 10.1.0.1 ' "$T/d1" || fail "no AH 10.1.0.2 -> 10.1.0.1"
# The ACQUIRE is over: keyd now finds the SA.
out=$($ACQ "$T/a/bus.sock" 10.0.0.1 10.0.0.2 --policy-id 25) ||
    fail "acquire again: $out"
[ "${out%% *}" = 3 ] || fail "second acquire: status $out (3: SA exists)"
log "acquire: 4 SAs, the same on both hosts, keys from the PSK"

# --- 2. rekey on soft expiry, before the hard one ---
start_km "$T/km2.log" --soft-add 2 --hard-add 8
$ACQ "$T/a/bus.sock" 10.2.0.1 10.2.0.2 --policy-id 41 > /dev/null ||
    fail "acquire for rekey"
wait_until "pair 1 (short)" 10 grep -q 'pair 1 installed' "$T/km2.log"
wait_until "rekey" 10 grep -q 'rekey pair 1 -> 2' "$T/km2.log"
wait_until "hard expiry of pair 1" 20 grep -q 'expire hard .* pair 1$' \
    "$T/km2.log"
stop_km
# Order: pair 2 installed before any hard expiry of pair 1.
inst=$(grep -n 'pair 2 installed' "$T/km2.log" | head -1 | cut -d: -f1)
hard=$(grep -n 'expire hard .* pair 1$' "$T/km2.log" | head -1 | cut -d: -f1)
[ -n "$inst" ] && [ "$inst" -lt "$hard" ] ||
    fail "replacement after the hard expiry: $(cat "$T/km2.log")"
soft=$(grep -c 'expire soft .* pair 1$' "$T/km2.log")
[ "$soft" -ge 1 ] || fail "no soft expiry seen"
# The old pair is gone from both hosts; the hosts agree.
spi1=$(grep 'pair 1 installed' "$T/km2.log" | awk '{ print $(NF-1) }')
gone_and_same() { same && ! grep -q " $spi1 " "$T/da"; }
wait_until "old pair gone, hosts agree" 10 gone_and_same
grep -q '^esp 10.2.0.1 10.2.0.2 ' "$T/da" ||
    fail "no replacement SA: $(cat "$T/da")"
log "rekey: $(grep -c 'installed' "$T/km2.log") pairs, $soft soft expiries of pair 1"
exit 0
