#!/bin/sh
# sup_restart.sh - kill -9 each server in turn: it comes back ready with a
# new pid, attached to the same shared-memory region (same inode and uuid
# as the supervisor reports) with the pool's contents intact (same BLAKE2b
# digest as before the kill; netd filled the pool with random bytes on its
# first start, PARAPET_TEST_FILL_POOL).
#
#   parapetd --- keyd, policyd, ipsecd (ring0 side B), netd (ring0 side A)
. "$(dirname "$0")/sup_lib.sh"

write_conf "$T/a.conf"
start_sup a "$T/a.conf" PARAPET_TEST_FILL_POOL=netd
wait_until "all servers ready" 30 all_ready a
grep -q "filled the pool of ring0" "$T/a.log" || fail "pool not filled"

# The supervisor's view of ring0: inode and uuid.
sup_region=$(ctl a status | awk '$1 == "region" { print $6, $10 }')
[ -n "$sup_region" ] || fail "no region in status"

regions() { ctl a regions "$1" | awk '{ print $1, $3, $5, $7, $9, $11 }'; }
netd0=$(regions netd)
ipsecd0=$(regions ipsecd)
[ "$(echo "$netd0" | awk '{ print $3, $5 }')" = "$sup_region" ] ||
    fail "netd region ($netd0) is not the supervisor's ($sup_region)"
[ "$(echo "$ipsecd0" | awk '{ print $3, $5, $6 }')" = \
  "$(echo "$netd0" | awk '{ print $3, $5, $6 }')" ] ||
    fail "ipsecd and netd disagree: $ipsecd0 / $netd0"

new_pid() { p=$(field a "$1" 2); [ "$p" != "$2" ] && [ "$p" != "-" ] &&
    [ "$(field a "$1" 3)" = ready ]; }

for s in keyd policyd ipsecd netd; do
	old=$(field a $s 2)
	[ -n "$old" ] && [ "$old" != "-" ] || fail "$s has no pid"
	log "kill -9 $s (pid $old)"
	kill -KILL "$old"
	wait_until "$s back and ready" 30 new_pid $s "$old"
	wait_until "all ready after $s" 30 all_ready a
	[ "$(field a $s 4)" = 1 ] || fail "$s: restarts $(field a $s 4), want 1"
	ctl a ping $s > /dev/null || fail "$s does not answer ping"
	[ "$(regions netd)" = "$netd0" ] ||
	    fail "netd region changed after killing $s: $(regions netd)"
	[ "$(regions ipsecd)" = "$ipsecd0" ] ||
	    fail "ipsecd region changed after killing $s: $(regions ipsecd)"
	[ "$(ctl a status | awk '$1 == "region" { print $6, $10 }')" = \
	  "$sup_region" ] || fail "supervisor region changed"
done
# The restarted servers know they were restarted.
ctl a counters netd | grep -q '^server.restarts 1$' ||
    fail "netd does not report its restart"
log "ok"
