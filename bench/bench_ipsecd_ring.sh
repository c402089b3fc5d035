#!/bin/sh
# bench_ipsecd_ring.sh - ipsecd through the rings against raw libsodium
# AES-256-GCM on the same slot buffers (bench_ipsecd_ring.c says how).
#
#   parapetd --- keyd (PF_KEY) --bus-- ipsecd == ring0 (2 KiB slots) == bench
#                                             == ring1 (9 KiB slots) ==
#
#   bench_ipsecd_ring.sh BUILD_DIR [ms per round] [rounds] [full|head]
#       [sizes...]     (defaults: 1000 5 full 64 512 1400 8000)
# Needs root (parapetd), python3, a Release build with parapetd,
# parapetctl, keyd, ipsecd and bench_ipsecd_ring. IPSECD_BIN=path runs
# another ipsecd binary (a before/after comparison).
set -eu
B=$(cd "${1:?usage: $0 BUILD_DIR [ms] [rounds] [full|head] [sizes]}" && pwd)
shift
MS=${1:-1000}
ROUNDS=${2:-5}
FILL=${3:-full}
[ $# -gt 3 ] && shift 3 || set --
SIZES=${*:-64 512 1400 8000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
export PARAPET_BINDIR="$B/bin" PARAPET_SRCDIR="$SRC"
. "$SRC/tests/e2e/sup_lib.sh"

cat > "$T/b.conf" <<CONF
[supervisor]
restart_min_ms = 100
restart_max_ms = 2000
ready_timeout_ms = 10000
stop_grace_ms = 3000
[server keyd]
store_records = 1024
[server ipsecd]
after = keyd
store_records = 1024
store_record_bytes = 2304
${IPSECD_BIN:+binary = $IPSECD_BIN}
[server netd]
binary = $B/bin/bench_ipsecd_ring
after = ipsecd
[region ring0]
side_a = netd
side_b = ipsecd
slots = 256
[region ring1]
side_a = netd
side_b = ipsecd
slots = 256
slot_bytes = 8448
CONF
start_sup b "$T/b.conf" PARAPET_BENCH_GO="$T/go" PARAPET_BENCH_OUT="$T/out"
wait_until "all servers ready" 30 all_ready b
wait_until "keyd's PF_KEY socket" 30 test -S "$T/b/pfkey.sock"
/usr/bin/python3 - "$SRC/tests/e2e/lib" "$T/b/pfkey.sock" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from ipsecd_pfkey import PfKey, EALG_AES_GCM16
PfKey(sys.argv[2]).add(0x2001, "10.0.0.1", "10.0.0.2",
                       ealg=EALG_AES_GCM16, ekey=bytes(range(1, 37)))
PY
ipsecd_known() { [ -n "$(field b ipsecd 2)" ]; }
wait_until "ipsecd's pid" 30 ipsecd_known
IPID=$(field b ipsecd 2)
log "load before: $(cat /proc/loadavg)"
echo "$IPID $MS $ROUNDS $FILL $SIZES" > "$T/go.tmp"
mv "$T/go.tmp" "$T/go"
wait_until "the benchmark" 600 grep -q "^done\|^failed" "$T/out"
cat "$T/out"
log "load after: $(cat /proc/loadavg)"
grep -q "^done" "$T/out" || fail "benchmark failed"
