#!/bin/sh
# sup_config.sh - parapetd -t: the shipped configuration is accepted; a
# bad one is refused with every bad line as file:line and exit status 1.
. "$(dirname "$0")/sup_lib.sh"

"$BIN/parapetd" -t -c "${PARAPET_SRCDIR:?}/etc/parapetd.conf" -r "$T/r" \
    > "$T/ok.out" 2>&1 || fail "shipped config refused: $(cat "$T/ok.out")"
grep -q "4 servers, 1 regions; run_dir $T/r" "$T/ok.out" ||
    fail "unexpected: $(cat "$T/ok.out")"
printf '[supervisor]\nstop_grace_ms = soon\n[server keyd]\nafter = x\n' \
    > "$T/bad.conf"
set +e
"$BIN/parapetd" -t -c "$T/bad.conf" > "$T/bad.out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "exit status $rc for a bad config"
cat > "$T/want" <<WANT
$T/bad.conf:2: expected a number from 1 to 3600000 for "stop_grace_ms", got "soon"
$T/bad.conf:4: expected a [server] name in "after", "x" is not one
WANT
diff "$T/want" "$T/bad.out" >&2 || fail "messages differ"
log "ok"
