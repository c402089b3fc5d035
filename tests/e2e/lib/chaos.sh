# chaos.sh - kill -9 of one server of a stack, for netd_chaos.sh and
# bench/bench_resume.sh; sourced after sup_lib.sh and stack.sh. POSIX sh.
#
#   chaos_kill STACK SERVER LABEL FILE
#        appends "UNIX_TIME LABEL" to FILE, kill -9 of SERVER in stack
#        STACK (its pid from parapetctl status), then waits until the
#        supervisor shows SERVER ready again with another pid (30 s)

# chaos_back STACK SERVER OLDPID: SERVER runs again, another pid, ready.
chaos_back() {
	p=$(field "$1" "$2" 2)
	[ -n "$p" ] && [ "$p" != "$3" ] && [ "$(field "$1" "$2" 3)" = ready ]
}

chaos_kill() {
	old=$(field "$1" "$2" 2)
	[ -n "$old" ] || fail "no pid for $2 in $1"
	echo "$(date +%s.%N) $3" >> "$4"
	kill -KILL "$old"
	wait_until "$1: $2 restarted" 30 chaos_back "$1" "$2" "$old"
}
