#!/bin/sh
# setkey_sad.sh - setkey(8) against a live keyd: the SAD statements.
#
#   setkey -c / -f / -D / -F ---- $T/pfkey.sock (SOCK_SEQPACKET) ---- keyd
#
# keyd runs alone (no supervisor, no broker: its bus client keeps
# retrying), in the test's own directory. A realistic file adds ESP and
# AH SAs with every algorithm keyd offers (AES-GCM-16 only where the CPU
# has AES instructions; ChaCha20-Poly1305 with Parapet's number 25), gets
# one, deletes one; setkey -D must print exactly the expected SAs (times,
# pids and keyd's sequence numbers masked; keyd's dump order is its hash
# order, so blocks are sorted).
# Then deleteall, getspi + update, flush, -F, and the errors: a key of the wrong length and
# an unknown algorithm are file:line:col parse errors that apply nothing;
# statements keyd refuses (EINVAL, EEXIST, ESRCH) are reported with their
# line, the rest of the file is applied, and a summary says which were
# refused; exit status 1 in each case. Last, setkey -x sees the messages
# of another setkey.
. "${PARAPET_SRCDIR:?}/tests/e2e/sup_lib.sh"

[ "$(id -u)" = 0 ] || { log "SKIP: keyd admits uid 0 (or a group) only"; exit 77; }

SK="$BIN/setkey"
export PARAPET_RUNDIR="$T"
"$BIN/keyd" -s "$T/bus.sock" 2> "$T/keyd.log" &
SUPS="$SUPS keyd:$!"	# stopped by sup_lib.sh's cleanup
wait_until "keyd's PF_KEY socket" 10 test -S "$T/pfkey.sock"

AES=0
if grep -qw aes /proc/cpuinfo; then AES=1; fi

K32=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
K64=${K32}202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
K36=${K32}20212223

# Mask what changes from run to run: dates, pids, keyd's sequence numbers.
mask() {
	sed -e 's/created: .*current: .*/created: DATE current: DATE/' \
	    -e 's/diff: [0-9]*(s)/diff: N(s)/' -e 's/pid=[0-9]*/pid=P/' \
	    -e 's/seq=0x[0-9a-f]*/seq=S/' -e 's/sadb_seq=[0-9]*/sadb_seq=N/'
}

# One line per SA block (a block starts with an unindented line), sorted.
blocks() {
	awk '/^[^\t ]/ { if (b != "") print b; b = $0; next }
	    { b = b "|" $0 } END { if (b != "") print b }' | sort
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" != "$3" ]; then
		printf '%s\n' "$2" > "$T/got"
		printf '%s\n' "$3" > "$T/want"
		diff -u "$T/want" "$T/got" >&2 || true
		fail "$1"
	fi
}

dump() { "$SK" -D | mask | blocks; }

LIFE='	created: DATE current: DATE
	diff: N(s)	hard: 0(s)	soft: 0(s)
	last:                     	hard: 0(s)	soft: 0(s)
	current: 0(bytes)	hard: 0(bytes)	soft: 0(bytes)
	allocated: 0	hard: 0	soft: 0
	sadb_seq=N pid=P refcnt=0'
H32='  00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f'
H64="$H32
 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637 38393a3b 3c3d3e3f"

SA_GCM="10.0.0.1 10.0.0.2 
	esp mode=transport spi=4097(0x00001001) reqid=5(0x00000005)
	E: aes-gcm-16$H32
 20212223
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
SA_CHACHA="10.0.0.1 10.0.0.2 
	esp mode=transport spi=4100(0x00001004) reqid=0(0x00000000)
	E: chacha20-poly1305$H32
 20212223
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
SA_ESP256="10.0.0.1 10.0.0.2 
	esp mode=tunnel spi=4098(0x00001002) reqid=0(0x00000000)
	E: null 
	A: hmac-sha256$H32
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
SA_ESP512="10.0.0.1 10.0.0.2 
	esp mode=transport spi=4099(0x00001003) reqid=0(0x00000000)
	E: null 
	A: hmac-sha512$H64
	seq=S replay=64 flags=0x00000040 state=mature 
$LIFE"
SA_AH="10.0.0.1 10.0.0.2 
	ah mode=transport spi=8193(0x00002001) reqid=0(0x00000000)
	A: hmac-sha256  30313233 34353637 38396162 63646566 30313233 34353637 38396162 63646566
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
SA_V6="2001:db8::1 2001:db8::2 
	esp mode=transport spi=12289(0x00003001) reqid=0(0x00000000)
	E: null 
	A: hmac-sha256$H32
	seq=S replay=0 flags=0x00000200 state=mature 
	created: DATE current: DATE
	diff: N(s)	hard: 3600(s)	soft: 3000(s)
	last:                     	hard: 0(s)	soft: 0(s)
	current: 0(bytes)	hard: 1000000(bytes)	soft: 0(bytes)
	allocated: 0	hard: 0	soft: 0
	sadb_seq=N pid=P refcnt=0"
SA_NATT="10.0.0.9[4500] 10.0.0.3[4500] 
	esp-udp mode=transport spi=16385(0x00004001) reqid=0(0x00000000)
	E: null 
	A: hmac-sha256$H32
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"

# 1. The realistic file (-f), with a GET.
{
	echo "# Parapet setkey e2e: every algorithm keyd offers."
	echo "flush;"
	if [ $AES = 1 ]; then
		echo "add 10.0.0.1 10.0.0.2 esp 0x1001 -m transport -u 5"
		echo "	-E aes-gcm-16 $K36;"
	fi
	echo "add 10.0.0.1 10.0.0.2 esp 0x1004 -E chacha20-poly1305 $K36;"
	echo "add 10.0.0.1 10.0.0.2 esp 0x1002 -m tunnel"
	echo "	-E null -A hmac-sha256 $K32;"
	echo "add 10.0.0.1 10.0.0.2 esp 0x1003 -r 64 -E null -A hmac-sha512 $K64;"
	echo "add 10.0.0.1 10.0.0.2 ah 0x2001 -A hmac-sha256"
	echo "	\"0123456789abcdef0123456789abcdef\";"
	echo "add 10.0.0.1 10.0.0.2 ah 0x2002 -A hmac-sha512 $K64;"
	echo "add -6 2001:db8::1 2001:db8::2 esp 0x3001 -lh 3600 -ls 3000"
	echo "	-f zero-pad -f nocyclic-seq"
	echo "	-bh 1000000 -E null -A hmac-sha256 $K32;"
	echo "add 10.0.0.9 10.0.0.3 esp-udp 0x4001 -E null -A hmac-sha256 $K32;"
	echo "get 10.0.0.1 10.0.0.2 ah 0x2001;"
	echo "delete 10.0.0.1 10.0.0.2 ah 0x2002;"
} > "$T/sad.conf"
out=$("$SK" -f "$T/sad.conf" 2> "$T/err") || fail "setkey -f: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "setkey -f wrote to stderr: $(cat "$T/err")"
expect_eq "get" "$(printf '%s\n' "$out" | mask)" "$SA_AH"

want="$SA_CHACHA
$SA_ESP256
$SA_ESP512
$SA_AH
$SA_V6
$SA_NATT"
[ $AES = 0 ] || want="$want
$SA_GCM"
expect_eq "setkey -D after the file" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 2. deleteall of one pair and protocol (-c from a pipe).
printf 'deleteall 10.0.0.1 10.0.0.2 esp;\n' | "$SK" -c ||
    fail "deleteall"
want="$SA_AH
$SA_V6
$SA_NATT"
expect_eq "setkey -D after deleteall" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 2b. getspi then update: a larval SA made mature (update carries the
# getspi's seq, as keyd requires).
{
	echo "getspi 10.0.0.11 10.0.0.12 esp 0x8001 -m tunnel -u 4;"
	echo "update 10.0.0.11 10.0.0.12 esp 0x8001 -m tunnel -u 4"
	echo "	-E null -A hmac-sha256 $K32;"
} | "$SK" -c 2> "$T/err" || fail "getspi/update: $(cat "$T/err")"
SA_UPD="10.0.0.11 10.0.0.12 
	esp mode=tunnel spi=32769(0x00008001) reqid=4(0x00000004)
	E: null 
	A: hmac-sha256$H32
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
want="$want
$SA_UPD"
expect_eq "setkey -D after getspi/update" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 3. A key of the wrong length: a parse error at its line and column,
# exit 1, nothing applied (the valid add before it is not sent either).
printf 'add 10.0.0.5 10.0.0.6 ah 0x5001 -A hmac-sha512 %s;\nadd 10.0.0.5 10.0.0.6 esp 0x5002 -E null\n  -A hmac-sha256 0x0011;\n' "$K64" > "$T/badkey.conf"
if "$SK" -f "$T/badkey.conf" > "$T/out" 2> "$T/err"; then fail "bad key: exit 0"; fi
expect_eq "bad key message" "$(cat "$T/err")" \
    "setkey: $T/badkey.conf:3:18: hmac-sha256 takes a key of 256 bits, not 16"
expect_eq "bad key applied nothing" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 4. An unknown algorithm, from standard input.
if printf 'flush;\nadd 10.0.0.5 10.0.0.6 esp 0x5003 -E rot13 0x00;\n' |
    "$SK" -c > "$T/out" 2> "$T/err"; then fail "unknown algorithm: exit 0"; fi
expect_eq "unknown algorithm" "$(cat "$T/err")" \
    "setkey: <stdin>:2:37: expected an encryption algorithm, found 'rot13'"
expect_eq "unknown algorithm applied nothing" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 5. keyd refuses: ESP-NULL without authentication (EINVAL), an SA that
# exists (EEXIST), a DELETE of none (ESRCH), AEAD with authentication;
# the statements around them are applied.
{
	echo "add 10.0.0.7 10.0.0.8 ah 0x6001 -A hmac-sha256 $K32;"
	echo "add 10.0.0.7 10.0.0.8 esp 0x6002 -E null;"
	echo "add 10.0.0.7 10.0.0.8 ah 0x6001 -A hmac-sha256 $K32;"
	echo "delete 10.0.0.7 10.0.0.8 esp 0x6999;"
	if [ $AES = 1 ]; then
		echo "add 10.0.0.7 10.0.0.8 esp 0x6003 -E aes-gcm-16 $K36 -A hmac-sha256 $K32;"
	else
		echo "add 10.0.0.7 10.0.0.8 esp 0x6003 -E null;"
	fi
	echo "delete 10.0.0.1 10.0.0.2 ah 0x2001;"
} > "$T/refused.conf"
if "$SK" -f "$T/refused.conf" > "$T/out" 2> "$T/err"; then fail "refused: exit 0"; fi
F="$T/refused.conf"
expect_eq "refusals" "$(cat "$T/err")" "setkey: $F:2: Invalid argument
setkey: $F:3: File exists
setkey: $F:4: No such process
setkey: $F:5: Invalid argument
setkey: $F: 4 statements refused (lines 2, 3, 4, 5); 2 applied"
want="$SA_V6
$SA_NATT
$SA_UPD
10.0.0.7 10.0.0.8 
	ah mode=transport spi=24577(0x00006001) reqid=0(0x00000000)
	A: hmac-sha256$H32
	seq=S replay=0 flags=0x00000040 state=mature 
$LIFE"
expect_eq "refusals: the rest applied" "$(dump)" "$(printf '%s\n' "$want" | blocks)"

# 6. GET of none, -F, -D of nothing, -n sends nothing, no keyd.
if printf 'get 10.0.0.1 10.0.0.2 esp 0x1;\n' | "$SK" -c 2> "$T/err"; then
	fail "get of none: exit 0"
fi
grep -q '^setkey: <stdin>:1: ' "$T/err" || fail "get of none: $(cat "$T/err")"
printf 'flush;\n' | "$SK" -n -c || fail "-n"
[ -n "$(dump)" ] || fail "-n flushed"
"$SK" -F || fail "setkey -F"
expect_eq "-D of nothing" "$("$SK" -D)" "No SAD entries."
if "$SK" -S "$T/nonexistent.sock" -D 2> "$T/err"; then fail "no keyd: exit 0"; fi
grep -q "cannot reach keyd at $T/nonexistent.sock" "$T/err" || fail "no keyd: $(cat "$T/err")"
# 7. -x: a promiscuous setkey sees another setkey's ADD (and its key).
"$SK" -x > "$T/x.out" 2>&1 &
SUPS="$SUPS setkey-x:$!"
wait_until "setkey -x listening" 10 test -s "$T/x.out"
printf 'add 10.0.0.7 10.0.0.8 ah 0x7001 -A hmac-sha256 %s;\n' "$K32" |
    "$SK" -c || fail "add for -x"
wait_until "setkey -x shows the ADD" 10 grep -q \
    '^  key= 00010203 04050607' "$T/x.out"
grep -q '^sadb_msg{ version=2 type=3 errno=0 satype=2' "$T/x.out" ||
    fail "setkey -x: $(cat "$T/x.out")"
log "ok"
