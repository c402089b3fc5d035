#!/bin/sh
# sup_user.sh - a server configured with `user = nobody` drops its
# privileges before its first bus message: it runs as nobody, still
# attaches its region (descriptors were handed over before the drop) and
# says ready on a bus socket made reachable with bus_mode.
. "$(dirname "$0")/sup_lib.sh"

id nobody > /dev/null 2>&1 || { log "skip: no user nobody"; exit 0; }
[ "$(id -u)" = 0 ] || { log "skip: not root"; exit 0; }
chmod 755 "$T"
write_conf "$T/a.conf" "bus_mode = 0666"
# Give netd (region side A) a user of its own.
sed -i 's/^after = policyd ipsecd$/after = policyd ipsecd\nuser = nobody/' \
    "$T/a.conf"
start_sup a "$T/a.conf"
wait_until "all servers ready" 30 all_ready a
pid=$(field a netd 2)
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" = "$(id -u nobody)" ] || fail "netd runs as uid $uid"
grep -q "netd\[$pid\]: info: running as nobody" "$T/a.log" ||
    fail "no privilege drop logged"
ctl a regions netd | grep -q '^ring0 side A' || fail "netd lost its region"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$(field a keyd 2)/status")" = 0 ] ||
    fail "keyd should stay root"
log "ok"
