#!/bin/sh
# sup_shutdown.sh - SIGTERM stops every server (reverse order) and
# parapetd exits 0, leaving no process, socket or pidfile behind; and if
# parapetd itself is killed with SIGKILL, its servers do not linger
# (parent-death signal).
. "$(dirname "$0")/sup_lib.sh"

write_conf "$T/a.conf"
start_sup a "$T/a.conf"
wait_until "all servers ready" 30 all_ready a
pids=$(ctl a status | awk 'NR > 2 && $1 != "region" { print $2 }')
[ "$(echo $pids | wc -w)" = 4 ] || fail "want 4 server pids: $pids"
pa=$(sup_pid a)
kill -TERM "$pa"
set +e
wait "$pa"
rc=$?
set -e
[ $rc = 0 ] || fail "parapetd exit status $rc after SIGTERM"
for p in $pids; do gone "$p" || fail "server pid $p still there"; done
[ -z "$(ours)" ] || fail "processes left: $(ours)"
[ ! -e "$T/a/bus.sock" ] || fail "bus socket left behind"
[ ! -e "$T/a/parapetd.pid" ] || fail "pidfile left behind"
# Stopped in reverse start order.
order=$(grep -o '[a-z]*: stopping pid' "$T/a.log" | cut -d: -f1 | tr '\n' ' ')
[ "$order" = "netd ipsecd policyd keyd " ] || fail "stop order: $order"

# SIGINT works the same way.
start_sup b "$T/a.conf"
wait_until "b ready" 30 all_ready b
pb=$(sup_pid b)
kill -INT "$pb"
set +e
wait "$pb"
rc=$?
set -e
[ $rc = 0 ] || fail "parapetd exit status $rc after SIGINT"

# parapetd killed outright: its servers follow it.
start_sup c "$T/a.conf"
wait_until "c ready" 30 all_ready c
pids=$(ctl c status | awk 'NR > 2 && $1 != "region" { print $2 }')
kill -KILL "$(sup_pid c)"
for p in $pids; do wait_until "server $p gone" 30 gone "$p"; done
log "ok"
