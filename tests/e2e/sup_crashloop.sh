#!/bin/sh
# sup_crashloop.sh - a server that crashes at start-up
# (PARAPET_TEST_CRASH_AT_START=netd) is restarted with back-off, not in a
# tight loop: it reaches CRASHLOOP, is then retried at the cap, and the
# other servers stay ready.
. "$(dirname "$0")/sup_lib.sh"

# Back-off 100, 200, 400, 800 ms...; 4 crashes within 10 s: crash loop;
# then one start every 800 ms.
write_conf "$T/a.conf" "restart_max_ms = 800" "crashloop_crashes = 4" \
    "crashloop_window_ms = 10000"
start_sup a "$T/a.conf" PARAPET_TEST_CRASH_AT_START=netd
in_loop() { [ "$(field a netd 3)" = crashloop ]; }
wait_until "netd in crash loop" 30 in_loop
for s in keyd policyd ipsecd; do
	[ "$(field a $s 3)" = ready ] || fail "$s not ready: $(field a $s 3)"
done
ctl a status | grep -q "crash loop" || fail "status does not say crash loop"
grep -q "netd: .*crash loop" "$T/a.log" || fail "log does not say crash loop"

# Count restarts over a 3 s window: at the 800 ms cap that is at most 5
# (a tight loop would be hundreds).
r1=$(field a netd 4)
sleep 3
r2=$(field a netd 4)
n=$((r2 - r1))
log "netd restarts: $r1 at the loop, $n more in 3 s"
[ "$r1" -ge 3 ] && [ "$r1" -le 8 ] || fail "restarts before the loop: $r1"
[ "$n" -ge 2 ] && [ "$n" -le 5 ] || fail "restarts in 3 s: $n, want 2..5"
# One reading: between two readings a retry may move it from starting
# to crashloop.
st=$(field a netd 3)
[ "$st" = crashloop ] || [ "$st" = starting ] ||
    fail "netd left the crash loop: $st"
# Status exits 5 while a server is not ready.
set +e
ctl a status > /dev/null
rc=$?
set -e
[ $rc = 5 ] || fail "parapetctl status exit $rc, want 5"
log "ok"
