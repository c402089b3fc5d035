#!/bin/sh
# setkey_spd.sh - setkey(8) against a live keyd and policyd: the SPD
# statements (spdadd, spdupdate, spddelete, spdflush, spddump, -DP, -FP).
#
#   setkey ---- $T/sup/pfkey.sock ---- keyd ==bus== policyd
#                                       (parapetd supervises both)
#
# keyd relays X_SPD* to policyd over the bus. Until that relay exists,
# keyd answers X_SPDDUMP with EOPNOTSUPP: the test then says SKIP and
# exits 77 (ctest SKIP_RETURN_CODE), so it starts running by itself once
# the relay lands. Policy ids, times, pids and sequence numbers are masked
# and the dump's blocks sorted (the SPD's order is policyd's business).
# Covered: spdadd (with the fwd twins of in policies), spdupdate,
# spddelete (RFC mode and -k), spddump and spdflush statements, -DP, -FP,
# a policy syntax error (nothing applied) and a policy keyd refuses
# (reported with its line, the rest applied).
. "${PARAPET_SRCDIR:?}/tests/e2e/sup_lib.sh"

[ "$(id -u)" = 0 ] || { log "SKIP: keyd admits uid 0 (or a group) only"; exit 77; }

SK="$BIN/setkey"
write_conf "$T/p.conf"
start_sup sup "$T/p.conf"
wait_until "keyd's PF_KEY socket" 20 test -S "$T/sup/pfkey.sock"
export PARAPET_RUNDIR="$T/sup"

# Is the relay there? (policyd may still be starting: retry a while.)
end=$(( $(date +%s) + 10 ))
while :; do
	"$SK" -DP > "$T/out" 2> "$T/err" && break
	if grep -q 'Operation not supported' "$T/err"; then
		log "SKIP: keyd does not relay X_SPDDUMP to policyd yet"
		exit 77
	fi
	[ "$(date +%s)" -le "$end" ] || fail "setkey -DP: $(cat "$T/err")"
	sleep 0.2
done

mask() {
	sed -e '/^\tcreated: /d' -e '/^\tlifetime: /d' \
	    -e 's/spid=[0-9]* seq=[0-9]* pid=[0-9]*/spid=N seq=N pid=P/'
}
blocks() {
	awk '/^[^\t ]/ { if (b != "") print b; b = $0; next }
	    { b = b "|" $0 } END { if (b != "") print b }' | sort
}
expect_eq() {
	if [ "$2" != "$3" ]; then
		printf '%s\n' "$2" > "$T/got"
		printf '%s\n' "$3" > "$T/want"
		diff -u "$T/want" "$T/got" >&2 || true
		fail "$1"
	fi
}
dump() { "$SK" -DP | mask | blocks; }

cat > "$T/spd.conf" <<'X'
spdflush;
spdadd 10.0.0.0/24[any] 10.0.1.0/24[80] tcp
	-P out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require;
spdadd 10.0.1.0/24 10.0.0.0/24 any
	-P in ipsec esp/tunnel/10.0.0.2-10.0.0.1/unique:5;
spdadd ::/0 ::/0 icmp6 135,0 -P in prio high none;
spdupdate 10.0.0.0/24[any] 10.0.1.0/24[80] tcp
	-P out ipsec esp/tunnel/10.0.0.1-10.0.0.2/use;
X
"$SK" -f "$T/spd.conf" 2> "$T/err" || fail "setkey -f: $(cat "$T/err")"

OUT='10.0.0.0/24[any] 10.0.1.0/24[80] tcp
	out prio def ipsec
	esp/tunnel/10.0.0.1-10.0.0.2/use
	spid=N seq=N pid=P
	refcnt=0'
IN='10.0.1.0/24[any] 10.0.0.0/24[any] any
	in prio def ipsec
	esp/tunnel/10.0.0.2-10.0.0.1/unique:5
	spid=N seq=N pid=P
	refcnt=0'
FWD='10.0.1.0/24[any] 10.0.0.0/24[any] any
	fwd prio def ipsec
	esp/tunnel/10.0.0.2-10.0.0.1/require
	spid=N seq=N pid=P
	refcnt=0'
NS_IN='::/0 ::/0 ipv6-icmp 135,0
	in prio high none
	spid=N seq=N pid=P
	refcnt=0'
NS_FWD='::/0 ::/0 ipv6-icmp 135,0
	fwd prio high none
	spid=N seq=N pid=P
	refcnt=0'
want="$OUT
$IN
$FWD
$NS_IN
$NS_FWD"
expect_eq "setkey -DP" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# spddelete of the in pair (with its fwd twin), -k keeps fwd alone.
printf 'spddelete 10.0.1.0/24 10.0.0.0/24 any -P in;\n' | "$SK" -c ||
    fail "spddelete"
printf 'spddelete ::/0 ::/0 icmp6 135,0 -P in;\n' | "$SK" -k -c ||
    fail "spddelete -k"
want="$OUT
$NS_FWD"
expect_eq "setkey -DP after spddelete" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# Deleting what is not there: keyd's errno with the line.
if printf 'spddelete 10.9.0.0/24 10.0.0.0/24 any -P out;\n' |
    "$SK" -c 2> "$T/err"; then fail "spddelete of none: exit 0"; fi
grep -q '^setkey: <stdin>:1: ' "$T/err" || fail "spddelete of none: $(cat "$T/err")"

# A policy syntax error applies nothing (the spdadd before it included);
# a policy keyd refuses (bypass is per-socket only) is reported with its
# line while the rest is applied; spddump as a statement.
printf 'spdadd 10.5.0.0/16 10.6.0.0/16 any -P out none;\nspdadd 10.5.0.0/16 10.6.0.0/16 any -P out ipsec esp/tunnel//require;\n' > "$T/bad.conf"
if "$SK" -f "$T/bad.conf" 2> "$T/err"; then fail "policy syntax: exit 0"; fi
expect_eq "policy syntax error" "$(cat "$T/err")" \
    "setkey: $T/bad.conf:2:39: expected a policy (Invalid address specification)"
expect_eq "policy syntax error applied nothing" "$(dump)" "$(printf '%s\n' "$want" | blocks)"
printf 'spdadd 10.5.0.0/16 10.6.0.0/16 any -P out bypass;\nspdadd 10.5.0.0/16 10.6.0.0/16 any -P out none;\n' > "$T/refused.conf"
if "$SK" -f "$T/refused.conf" 2> "$T/err"; then fail "bypass: exit 0"; fi
expect_eq "bypass refused" "$(sed -n 1p "$T/err")" \
    "setkey: $T/refused.conf:1: Invalid argument"
out=$(printf 'spddump;\n' | "$SK" -c | mask | blocks)
want="$want
10.5.0.0/16[any] 10.6.0.0/16[any] any
	out prio def none
	spid=N seq=N pid=P
	refcnt=0"
expect_eq "spddump statement" "$out" "$(printf '%s\n' "$want" | blocks)"

printf 'spdflush;\n' | "$SK" -c || fail "spdflush"
expect_eq "-DP after spdflush" "$("$SK" -DP)" "No SPD entries."
"$SK" -FP || fail "setkey -FP"
expect_eq "-DP of nothing" "$("$SK" -DP)" "No SPD entries."
log "ok"
