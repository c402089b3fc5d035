#!/bin/sh
# keyd_restart.sh - SAs outlive kill -9 of keyd (DESIGN §8): 200 SAs added
# through keyd's PF_KEY socket are all there, keys and states unchanged,
# after keyd is killed and restarted by parapetd, twice; a later FLUSH
# empties the store too, so a third restart shows none.
#
#   parapetd --- keyd (store: 1024 records) + policyd, ipsecd, netd
#   tests/e2e/lib/pfkey_client.py --PF_KEY--> RUN_DIR/pfkey.sock
. "$(dirname "$0")/sup_lib.sh"

PF="/usr/bin/python3 $(dirname "$0")/lib/pfkey_client.py"
write_conf "$T/a.conf"
sed -i 's/^\[server keyd\]$/[server keyd]\nstore_records = 1024/' "$T/a.conf"
start_sup a "$T/a.conf"
wait_until "all servers ready" 30 all_ready a
$PF "$T/a/pfkey.sock" add 200 || fail "add"
$PF "$T/a/pfkey.sock" dump > "$T/before" || fail "dump"
[ "$(wc -l < "$T/before")" = 200 ] || fail "dump: $(wc -l < "$T/before") SAs"

new_pid() { p=$(field a keyd 2); [ "$p" != "$1" ] && [ "$p" != "-" ] &&
    [ "$(field a keyd 3)" = ready ]; }
for round in 1 2; do
	old=$(field a keyd 2)
	kill -KILL "$old"
	wait_until "keyd back" 30 new_pid "$old"
	$PF "$T/a/pfkey.sock" dump > "$T/after" || fail "dump after kill"
	cmp -s "$T/before" "$T/after" ||
	    fail "round $round: SAs differ after kill -9: $(diff "$T/before" "$T/after" | head -5)"
done
grep -q "200 SAs restored from the store" "$T/a.log" ||
    fail "keyd did not log the restore"
printf '\002\011\000\000\002\000\000\000\001\000\000\000\000\000\000\000' > "$T/flush"
/usr/bin/python3 - "$T/a/pfkey.sock" "$T/flush" <<'PY' || fail "flush"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.send(open(sys.argv[2], "rb").read())
while True:
    r = s.recv(65536)
    if r[1] == 9:
        sys.exit(r[2])
PY
old=$(field a keyd 2)
kill -KILL "$old"
wait_until "keyd back" 30 new_pid "$old"
$PF "$T/a/pfkey.sock" dump > "$T/after" || fail "dump after flush"
[ ! -s "$T/after" ] || fail "SAs after FLUSH and kill: $(wc -l < "$T/after")"
log "ok"
