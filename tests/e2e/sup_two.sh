#!/bin/sh
# sup_two.sh - two instances with different run directories run side by
# side, independently: separate buses, regions and servers; killing a
# server of one leaves the other alone; a second parapetd on a run
# directory in use is refused; one shuts down, the other goes on.
. "$(dirname "$0")/sup_lib.sh"

write_conf "$T/x.conf"
start_sup a "$T/x.conf"
start_sup b "$T/x.conf"
wait_until "instance a ready" 30 all_ready a
wait_until "instance b ready" 30 all_ready b

ua=$(ctl a status | awk '$1 == "region" { print $10 }')
ub=$(ctl b status | awk '$1 == "region" { print $10 }')
[ -n "$ua" ] && [ "$ua" != "$ub" ] || fail "regions not distinct: $ua $ub"
for s in keyd policyd ipsecd netd; do
	[ "$(field a $s 2)" != "$(field b $s 2)" ] || fail "$s shared"
done

# A second parapetd on a's run directory is refused.
if "$BIN/parapetd" -c "$T/x.conf" -r "$T/a" -b "$BIN" > "$T/dup.log" 2>&1
then
	fail "a second parapetd on the same run directory started"
fi
grep -q "another parapetd" "$T/dup.log" || fail "no clear refusal"

kb=$(field b keyd 2)
ka=$(field a keyd 2)
kill -KILL "$ka"
back() { p=$(field a keyd 2); [ "$p" != "$ka" ] && [ "$p" != "-" ]; }
wait_until "a's keyd back" 30 back
wait_until "a ready" 30 all_ready a
[ "$(field b keyd 2)" = "$kb" ] || fail "b's keyd changed"
[ "$(field b keyd 4)" = 0 ] || fail "b's keyd restarted"

pa=$(sup_pid a)
ctl a shutdown > /dev/null || fail "shutdown a"
wait_until "instance a gone" 30 gone "$pa"
wait "$pa" || fail "parapetd a exit status $?"
[ ! -e "$T/a/bus.sock" ] || fail "a's socket left behind"
all_ready b || fail "b not ready after a's shutdown"
log "ok"
