#!/bin/sh
# netd_spd.sh - netd's replica of policyd's SPD and variables, end to end
# (servers/netd/netd_spd.h, DESIGN §10.20).
#
#   setkey ---- $T/sup/pfkey.sock ---- keyd ==bus== policyd (store)
#   parapetctl sysctl ------------------------------/   |
#                                                       | snapshot, "spd",
#                                   netd (no links) <---/ "sysctl" events
#
# parapetd runs keyd, policyd (with a store) and netd without -c (no
# links: the replica still runs) and one -P test policy. netd's counters
# (parapetctl counters netd) show the replica: spd.policies,
# spd.generation, spd.snapshots, spd.deltas, sysctl.received. Checked:
# the first snapshot; spdadd / spdupdate / spddelete arrive as deltas
# (one generation each, no new snapshot); a sysctl change arrives; kill -9
# of policyd: netd resynchronises (new epoch) to the same policies; kill
# -9 of netd: the new netd builds the same replica (count, generation,
# statics); a change after that still arrives.
. "${PARAPET_SRCDIR:?}/tests/e2e/sup_lib.sh"

[ "$(id -u)" = 0 ] || { log "SKIP: keyd admits uid 0 (or a group) only"; exit 77; }

SK="$BIN/setkey"
cat > "$T/p.conf" <<CONF
[supervisor]
restart_min_ms = 100
restart_max_ms = 2000
ready_timeout_ms = 10000
stop_grace_ms = 3000
[server keyd]
[server policyd]
after = keyd
store_records = 1024
[server netd]
after = policyd
args = -P out,10.99.0.1/32,10.99.0.2/32,tcp,discard
CONF
start_sup sup "$T/p.conf"
wait_until "keyd's PF_KEY socket" 20 test -S "$T/sup/pfkey.sock"
wait_until "all ready" 30 all_ready sup
export PARAPET_RUNDIR="$T/sup"

# counter NAME: netd's counter.
counter() {
	ctl sup counters netd | awk -v n="$1" '$1 == n { print $2 }'
}
# is_counter NAME VALUE
is_counter() { [ "$(counter "$1")" = "$2" ]; }
# ge_counter NAME VALUE
ge_counter() {
	v=$(counter "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ]
}

# --- 1. the first snapshot: policyd's SPD is empty, the static is in ---
wait_until "netd's first snapshot" 20 ge_counter spd.snapshots 1
[ "$(counter spd.policies)" = 1 ] || fail "policies: $(counter spd.policies)"
g0=$(counter spd.generation)
s0=$(counter spd.snapshots)

# --- 2. SPD changes arrive as deltas, one generation each ---
cat > "$T/add.conf" <<'X'
spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;
spdadd 10.0.1.0/24 10.0.0.0/24 any -P in ipsec esp/tunnel/192.0.2.2-192.0.2.1/require;
spdadd 10.0.2.0/24[80] 10.0.3.0/24 tcp -P out discard;
spdadd 10.99.0.1/32 10.99.0.2/32 udp -P out none;
X
"$SK" -f "$T/add.conf" 2> "$T/err" || fail "setkey -f add: $(cat "$T/err")"
# Four X_SPDADDs (an "in" policy brings its fwd twin: five policies).
n=$("$SK" -DP | grep -c 'spid=')
[ "$n" = 5 ] || fail "policyd has $n policies, expected 5"
wait_until "netd sees the adds" 10 is_counter spd.policies 6
[ "$(counter spd.generation)" -gt "$g0" ] || fail "generation did not move"
echo 'spddelete 10.0.2.0/24[80] 10.0.3.0/24 tcp -P out;' | "$SK" -c \
    2> "$T/err" || fail "spddelete: $(cat "$T/err")"
wait_until "netd sees the delete" 10 is_counter spd.policies 5
g1=$(counter spd.generation)
echo 'spdupdate 10.0.0.0/24 10.0.1.0/24 any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/use;' |
    "$SK" -c 2> "$T/err" || fail "spdupdate: $(cat "$T/err")"
wait_until "netd sees the update" 10 is_counter spd.generation $((g1 + 1))
[ "$(counter spd.policies)" = 5 ] || fail "policies after update"
[ "$(counter spd.snapshots)" = "$s0" ] || fail "a snapshot where deltas do"
d=$(counter spd.deltas)
[ "$d" -ge 3 ] || fail "deltas: $d"
[ "$(counter spd.gaps)" = 0 ] || fail "gaps: $(counter spd.gaps)"
log "deltas: $d, generation $(counter spd.generation), 5 policies"

# --- 3. a variable ---
r0=$(counter sysctl.received)
ctl sup sysctl net.inet.ipsec.def_policy=0 > /dev/null || fail "sysctl set"
wait_until "netd sees the sysctl" 10 ge_counter sysctl.received $((r0 + 1))
wait_until "netd logs the sysctl" 10 grep -q \
    'netd.*sysctl: net.inet.ipsec.def_policy = 0' "$T/sup.log"

# --- 4. kill -9 policyd: the replica resynchronises to the same SPD ---
old=$(field sup policyd 2)
rs=$(counter spd.resyncs)
kill -KILL "$old"
wait_until "policyd restarted" 30 sh -c \
    "p=\$(\"$BIN/parapetctl\" -r \"$T/sup\" status | awk '\$1 == \"policyd\" && \$3 == \"ready\" { print \$2 }'); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
wait_until "netd resyncs after policyd's restart" 20 ge_counter spd.resyncs \
    $((rs + 1))
wait_until "netd's new snapshot" 20 ge_counter spd.snapshots $((s0 + 1))
wait_until "same policies after policyd's restart" 10 is_counter \
    spd.policies 5
g2=$(counter spd.generation)
n=$("$SK" -DP | grep -c 'spid=')
[ "$n" = 4 ] || fail "policyd restored $n policies, expected 4"
grep -q 'spd: policyd ready' "$T/sup.log" || fail "no resync logged"

# --- 5. kill -9 netd: the new one builds the same replica ---
old=$(field sup netd 2)
kill -KILL "$old"
wait_until "netd restarted" 30 sh -c \
    "p=\$(\"$BIN/parapetctl\" -r \"$T/sup\" status | awk '\$1 == \"netd\" && \$3 == \"ready\" { print \$2 }'); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
wait_until "the new netd's snapshot" 20 ge_counter spd.snapshots 1
wait_until "same replica after netd's restart" 10 is_counter spd.policies 5
[ "$(counter spd.generation)" = "$g2" ] ||
    fail "generation $(counter spd.generation), expected $g2"
# Its variables come from policyd, not from the defaults.
wait_until "variables fetched" 10 ge_counter sysctl.received 17

# --- 6. a change after all that still arrives ---
echo 'spdflush;' | "$SK" -c 2> "$T/err" || fail "spdflush: $(cat "$T/err")"
wait_until "netd sees the flush (static kept)" 10 is_counter spd.policies 1
[ "$(counter spd.gaps)" = 0 ] || fail "gaps: $(counter spd.gaps)"

# --- 7. a clean stop; nothing a sanitizer would say (ASan builds) ---
pa=$(sup_pid sup)
ctl sup shutdown > /dev/null || fail "shutdown"
wait_until "parapetd gone" 30 gone "$pa"
wait "$pa" 2>/dev/null || true
SUPS=""
if grep -q 'Sanitizer\|runtime error' "$T/sup.log"; then
	fail "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$T/sup.log")"
fi
log "ok: policyd and netd restarts, generation $g2, flush seen"
exit 0
