# sup_lib.sh - helpers shared by the supervisor's end-to-end tests
# (sourced, POSIX sh). Each test gets its own temporary directory $T (run
# directories, configs, logs); an EXIT trap stops every parapetd the test
# started and kills any server still running with $T in its command line,
# then removes $T. Waits are deadline polls, never fixed sleeps.
#
# Environment (set by ctest): PARAPET_BINDIR (build/bin), PARAPET_SRCDIR.
set -eu

BIN=${PARAPET_BINDIR:?PARAPET_BINDIR not set}
T=$(mktemp -d /tmp/parapet-e2e.XXXXXX)
SUPS=""			# "name:pid" of every parapetd started

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

dump_logs() {
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "----- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}

fail() {
	log "FAIL: $*"
	dump_logs
	exit 1
}

# Pids of live processes whose command line mentions our directory.
ours() {
	# "[/]" keeps this grep from matching its own command line.
	grep -l -a -e "$T[/]" /proc/[0-9]*/cmdline 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/cmdline$|\1|' | grep -v "^$$\$" || true
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for s in $SUPS; do kill -TERM "${s#*:}" 2>/dev/null || true; done
	i=0
	while [ -n "$(ours)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	for p in $(ours); do
		log "cleanup: killing leftover pid $p"
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# write_conf FILE ["key = value"...]: the four servers, one region, a
# quick restart policy; the arguments go into [supervisor] and replace the
# defaults of the same keys.
write_conf() {
	f=$1
	shift
	{
		echo "[supervisor]"
		for l in "restart_min_ms = 100" "restart_max_ms = 2000" \
		    "ready_timeout_ms = 10000" "stop_grace_ms = 3000"; do
			case " $* " in
			*" ${l%% *} "*) ;;
			*) echo "$l" ;;
			esac
		done
		for l in "$@"; do echo "$l"; done
		cat <<'CONF'
[server keyd]
[server policyd]
after = keyd
[server ipsecd]
after = keyd
[server netd]
after = policyd ipsecd
[region ring0]
side_a = netd
side_b = ipsecd
slots = 256
CONF
	} > "$f"
}

# start_sup NAME CONF [VAR=value...]: parapetd in the background with run
# directory $T/NAME and log $T/NAME.log.
start_sup() {
	name=$1 conf=$2
	shift 2
	env "$@" "$BIN/parapetd" -c "$conf" -r "$T/$name" -b "$BIN" \
	    > "$T/$name.log" 2>&1 &
	SUPS="$SUPS $name:$!"
}

sup_pid() {
	for s in $SUPS; do
		if [ "${s%%:*}" = "$1" ]; then echo "${s#*:}"; fi
	done
}

# ctl NAME ARGS...: parapetctl against instance NAME.
ctl() {
	name=$1
	shift
	"$BIN/parapetctl" -r "$T/$name" "$@" 2>> "$T/ctl.log"
}

# field NAME SERVER COLUMN: from `parapetctl status` (2 pid, 3 state,
# 4 restarts, 5 uptime, 6 regions).
field() {
	ctl "$1" status | awk -v s="$2" -v c="$3" '$1 == s { print $c }'
}

# wait_until DESC SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
	desc=$1 secs=$2
	shift 2
	end=$(( $(date +%s) + secs ))
	until "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -le "$end" ] || fail "timed out: $desc"
		sleep 0.05
	done
}

all_ready() { ctl "$1" status > /dev/null; }

# gone PID: the process no longer exists (or is a zombie).
gone() {
	! [ -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
