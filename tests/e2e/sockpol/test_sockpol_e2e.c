/*
 * test_sockpol_e2e.c - per-socket policy end to end: an unmodified
 * program (sockpol_client) calls setsockopt(IP_IPSEC_POLICY) under
 * LD_PRELOAD=libparapet_pfkey.so; policyd, under a real parapetd
 * (PARAPET_BINDIR) in a temporary run directory, keeps the registry;
 * this test reads it with parapet_sockpol_dump() (libclient/sockpol.h,
 * not preloaded).
 *
 *   sockpol_client (LD_PRELOAD) --- RUNDIR/sockpol.sock --- policyd
 *   this test ---------------------- RUNDIR/sockpol.sock (DUMP)
 *
 * Covered: a policy on an unbound UDP socket (wildcards), bind() and
 * connect() following it, both directions, getsockopt reading it back,
 * dup() keeping it until the last descriptor is closed, clearing it; a
 * TCP listener's policies inherited by the socket accept() returns;
 * IPv6; bypass refused with EACCES for a non-root uid (and counted,
 * `parapetctl counters policyd`) and accepted for root; a process
 * killed with SIGKILL losing its policies; a fork()ed child keeping the sockets' policies after its parent closed them;
 * kill -9 of policyd: the registry is empty in the new policyd until the
 * client's next call (here connect() and send()), which registers every
 * policy again.
 *
 * And netd's side over the bus: a subscriber keeps netd's replica
 * (servers/netd/netd_sockpol.h) from SockpolSnapshotRequest and the
 * "sockpol" events, equal to the registry as the client sets, binds,
 * connects and closes; decide() with it as the per-socket hook picks
 * the socket's policy over the SPD's def_policy for the socket's
 * packets only; after kill -9 of policyd the next event is a gap and a
 * new snapshot repairs the replica.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "bus.h"
#include "netd_sockpol.h"
#include "prng.h"
#include "sockpol.h"
#include "test_sup.h"

#define MT(v)	PARAPET__MSG_TYPE__MSG_##v

#define MAXE	64

static char dir[48], run[64], spath[96], bindir[400], preload[400];
static pid_t sup_pid = -1;
/* Ports: a base chosen per run, so that concurrent runs (plain and
 * sanitizer builds) and TIME_WAIT of an earlier one do not collide. */
static unsigned int port_base;
#define P(n)	((uint16_t)(port_base + (n)))

struct client {
	pid_t	pid;
	FILE	*in;	/* its stdin */
	FILE	*out;	/* its stdout */
};

/* ---- the registry ---- */

static int
dump(struct parapet_sockpol_ent *e)
{
	int n = parapet_sockpol_dump(e, MAXE);

	assert_true(n >= 0);
	return n;
}

/* Entries of pid. */
static int
dump_pid(pid_t pid, struct parapet_sockpol_ent *out)
{
	struct parapet_sockpol_ent e[MAXE];
	int n = dump(e), i, k = 0;

	for (i = 0; i < n; i++)
		if (e[i].pid == (uint32_t)pid)
			out[k++] = e[i];
	return k;
}

/* Wait until pid has n entries. */
static void
wait_count(pid_t pid, int n)
{
	struct parapet_sockpol_ent e[MAXE];
	uint64_t end = test_now_ms() + 10000;

	while (dump_pid(pid, e) != n) {
		if (test_now_ms() > end)
			fail_msg("pid %d: %d entries, want %d", (int)pid,
			    dump_pid(pid, e), n);
		usleep(20000);
	}
}

static const struct parapet_sockpol_ent *
find_dir(const struct parapet_sockpol_ent *e, int n, uint8_t d)
{
	int i;

	for (i = 0; i < n; i++)
		if (e[i].dir == d)
			return &e[i];
	return NULL;
}

/* policyd's pid: the peer of a connection to sockpol.sock. */
static pid_t
policyd_pid(void)
{
	struct sockaddr_un sun;
	struct ucred uc;
	socklen_t l = sizeof(uc);
	int fd;
	pid_t pid = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spath);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == 0)
		pid = uc.pid;
	close(fd);
	return pid;
}

/* A counter of policyd, from `parapetctl counters policyd`; -1: none. */
static long long
counter(const char *name)
{
	char bin[512], out[8192], *l, *save;
	size_t n = 0, len = strlen(name);
	long long v = -1;
	ssize_t k;
	pid_t pid;
	int p[2], st;

	snprintf(bin, sizeof(bin), "%s/parapetctl", bindir);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(bin, "parapetctl", "-r", run, "counters", "policyd",
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (n < sizeof(out) - 1 &&
	    (k = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(p[0]);
	(void)waitpid(pid, &st, 0);
	for (l = strtok_r(out, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, name, len) == 0 && l[len] == ' ')
			v = strtoll(l + len + 1, NULL, 10);
	return v;
}

/* ---- the client ---- */

static void
client_start(struct client *c, uid_t uid)
{
	char bin[512], env_run[128], env_pre[512];
	char *argv[] = { bin, NULL };
	char *envp[] = { env_run, env_pre,
	    "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0",
	    "PARAPET_SOCKPOL_TIMEOUT_MS=3000", NULL };
	int in[2], out[2];

	snprintf(bin, sizeof(bin), "%s/../tests/sockpol_client", bindir);
	snprintf(env_run, sizeof(env_run), "PARAPET_RUNDIR=%s", run);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", preload);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(126);
		execve(bin, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = fdopen(in[1], "w");
	c->out = fdopen(out[0], "r");
	assert_non_null(c->in);
	assert_non_null(c->out);
}

/* One command; its answer line (without the newline) into ans. */
static void
cmd(struct client *c, const char *line, char *ans, size_t cap)
{
	fprintf(c->in, "%s\n", line);
	fflush(c->in);
	if (fgets(ans, (int)cap, c->out) == NULL)
		fail_msg("client: no answer to '%s'", line);
	ans[strcspn(ans, "\n")] = '\0';
}

/* A command that must succeed. */
static void
ok(struct client *c, const char *line)
{
	char ans[512];

	cmd(c, line, ans, sizeof(ans));
	if (strncmp(ans, "ok", 2) != 0)
		fail_msg("'%s': %s", line, ans);
}

/* ok() of "VERB PORT" with port P(n). */
static void
okp(struct client *c, const char *verb, unsigned int n)
{
	char line[64];

	snprintf(line, sizeof(line), "%s %u", verb, (unsigned int)P(n));
	ok(c, line);
}

static void
client_end(struct client *c, bool kill9)
{
	int st;

	if (kill9)
		kill(c->pid, SIGKILL);
	fclose(c->in);
	fclose(c->out);
	(void)waitpid(c->pid, &st, 0);
	if (!kill9)
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- parapetd ---- */

static int
start(void **state)
{
	const char *b = getenv("PARAPET_BINDIR");
	const char *p = getenv("PARAPET_PRELOAD");
	char conf[160], logf[160];
	uint64_t end;
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	port_base = 20000 + (unsigned int)getpid() % 20000 / 64 * 64;
	snprintf(bindir, sizeof(bindir), "%s", b != NULL ? b : ".");
	snprintf(preload, sizeof(preload), "%s", p != NULL ? p : "");
	snprintf(dir, sizeof(dir), "/tmp/sockpol-e2e-XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		return -1;
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(spath, sizeof(spath), "%s/sockpol.sock", run);
	snprintf(conf, sizeof(conf), "%s/parapetd.conf", dir);
	snprintf(logf, sizeof(logf), "%s/parapetd.log", dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "[supervisor]\nrestart_min_ms = 50\n"
	    "ready_timeout_ms = 10000\n"
	    "[server keyd]\n[server policyd]\nafter = keyd\n");
	fclose(f);
	if ((sup_pid = test_start_parapetd(bindir, conf, run, logf)) < 0)
		return -1;
	setenv("PARAPET_SOCKPOL_SOCKET", spath, 1);
	end = test_now_ms() + 15000;
	while (policyd_pid() <= 0) {
		if (test_now_ms() > end)
			return -1;
		usleep(50000);
	}
	/* A non-root client must reach the socket. */
	(void)chmod(run, 0755);
	return 0;
}

static int
stop(void **state)
{
	uint64_t end = test_now_ms() + 8000;
	pid_t rm;
	int st;

	(void)state;
	if (sup_pid > 0) {
		kill(sup_pid, SIGTERM);
		while (waitpid(sup_pid, &st, WNOHANG) == 0) {
			if (test_now_ms() > end) {
				kill(sup_pid, SIGKILL);
				(void)waitpid(sup_pid, &st, 0);
				break;
			}
			usleep(20000);
		}
	}
	if (getenv("PARAPET_KEEP") != NULL) {
		fprintf(stderr, "kept %s\n", dir);
		return 0;
	}
	if ((rm = fork()) == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (rm < 0 || waitpid(rm, &st, 0) != rm)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* net.ipv6.bindv6only: new IPv6 sockets' IPV6_V6ONLY. */
static bool
bindv6only(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/bindv6only", "r");
	char b[16] = "";

	if (f != NULL) {
		if (fgets(b, sizeof(b), f) == NULL)
			b[0] = '\0';
		fclose(f);
	}
	return strtol(b, NULL, 10) != 0;
}

/* ---- tests ---- */

static void
check_sel(const struct parapet_sockpol_ent *e, uint16_t lport,
    bool laddr, uint16_t rport, bool raddr)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t zero[16];

	assert_int_equal(e->family, AF_INET);
	assert_int_equal(e->proto, IPPROTO_UDP);
	assert_int_equal(e->lport, lport);
	assert_int_equal(e->rport, rport);
	assert_memory_equal(e->laddr, laddr ? lo4 : zero, 4);
	assert_memory_equal(e->raddr, raddr ? lo4 : zero, 4);
}

static void
test_register_bind_connect(void **state)
{
	struct parapet_sockpol_ent e[MAXE];
	const struct parapet_sockpol_ent *o, *i;
	struct client c;
	char ans[512];
	int n;

	(void)state;
	client_start(&c, 0);
	ok(&c, "sock4");
	ok(&c, "set out ipsec esp/transport//require");
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].dir, 2);
	assert_int_equal(e[0].type, 2);
	assert_int_equal(e[0].nreqs, 1);
	assert_int_equal(e[0].uid, 0);
	assert_int_equal(e[0].id & 7, 4);
	check_sel(&e[0], 0, false, 0, false);
	ok(&c, "set in bypass");		/* root: allowed */
	okp(&c, "bind", 23);
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 2);
	check_sel(&e[0], P(23), true, 0, false);
	check_sel(&e[1], P(23), true, 0, false);
	okp(&c, "connect", 24);
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 2);
	o = find_dir(e, n, 2);
	i = find_dir(e, n, 1);
	assert_non_null(o);
	assert_non_null(i);
	check_sel(o, P(23), true, P(24), true);
	assert_int_equal(i->type, 4);
	assert_int_equal(i->id & 7, 3);
	/* getsockopt reads them back. */
	cmd(&c, "get out", ans, sizeof(ans));
	assert_string_equal(ans,
	    "ok out prio def ipsec esp/transport//require");
	cmd(&c, "get in", ans, sizeof(ans));
	assert_string_equal(ans, "ok in prio def bypass");
	/* Replace: still two. */
	ok(&c, "set out discard");
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 2);
	assert_int_equal(find_dir(e, n, 2)->type, 0);
	/* dup: the policies stay until the last descriptor goes. */
	ok(&c, "dup");
	ok(&c, "close");
	assert_int_equal(dump_pid(c.pid, e), 2);
	ok(&c, "closeall");
	assert_int_equal(dump_pid(c.pid, e), 0);
	/* A new socket, then clear (NULL, 0: Linux). */
	ok(&c, "sock4");
	ok(&c, "set out none");
	assert_int_equal(dump_pid(c.pid, e), 1);
	ok(&c, "clear");
	assert_int_equal(dump_pid(c.pid, e), 0);
	cmd(&c, "get out", ans, sizeof(ans));
	assert_string_equal(ans, "ok out prio def entrust");
	/* Malformed: fwd is not a socket direction. */
	cmd(&c, "set fwd none", ans, sizeof(ans));
	assert_string_equal(ans, "err 22");
	/* IPv6, with IPV6_IPSEC_POLICY. */
	ok(&c, "sock6");
	ok(&c, "set in ipsec ah/transport//use");
	/* Unbound, dual stack unless the system says otherwise: its IPv4
	 * traffic (v4-mapped) is covered too. */
	assert_int_equal(dump_pid(c.pid, e), 1);
	assert_int_equal(e[0].flags, bindv6only() ? 0 : 1);
	okp(&c, "bind", 25);
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].family, AF_INET6);
	assert_int_equal(e[0].lport, P(25));
	/* Bound to ::1, Linux makes it IPv6-only (inet6_bind()). */
	assert_int_equal(e[0].flags, 0);
	assert_int_equal(e[0].laddr[15], 1);
	client_end(&c, false);
	/* Exit: gone. */
	wait_count(c.pid, 0);
}

/* accept(): the new socket inherits the listener's policies. */
static void
test_accept(void **state)
{
	struct parapet_sockpol_ent e[MAXE];
	const struct parapet_sockpol_ent *in = NULL, *out = NULL;
	struct client c;
	int n, i;

	(void)state;
	client_start(&c, 0);
	ok(&c, "tcp4");
	ok(&c, "set out ipsec esp/transport//require");
	ok(&c, "set in ipsec esp/transport//require");
	okp(&c, "bind", 40);
	ok(&c, "listen");
	okp(&c, "dial", 40);
	ok(&c, "accept");
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 4);
	/* The accepted socket's: connected selector. */
	for (i = 0; i < n; i++) {
		if (e[i].rport == 0)
			continue;
		if (e[i].dir == 2)
			out = &e[i];
		else
			in = &e[i];
	}
	if (out == NULL || in == NULL) {
		fail_msg("no registration of the accepted socket");
		return;
	}
	assert_int_equal(out->proto, IPPROTO_TCP);
	assert_int_equal(out->lport, P(40));
	assert_int_equal(out->laddr[0], 127);
	assert_int_equal(out->raddr[0], 127);
	assert_int_equal(out->type, 2);
	assert_int_equal(in->type, 2);
	assert_true(out->sock == in->sock);
	/* Closing it leaves the listener's. */
	ok(&c, "close");
	assert_int_equal(dump_pid(c.pid, e), 2);
	client_end(&c, false);
	wait_count(c.pid, 0);
}

static void
test_bypass_user(void **state)
{
	struct parapet_sockpol_ent e[MAXE];
	struct client c;
	long long denied;
	char ans[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	denied = counter("sockpol.denied");
	assert_true(denied >= 0);
	client_start(&c, 65534);
	ok(&c, "sock4");
	cmd(&c, "set out bypass", ans, sizeof(ans));
	assert_string_equal(ans, "err 13");	/* EACCES */
	assert_int_equal(dump_pid(c.pid, e), 0);
	assert_int_equal(counter("sockpol.denied"), denied + 1);
	ok(&c, "set out ipsec esp/transport//require");
	ok(&c, "set in entrust");
	ok(&c, "set in discard");
	assert_int_equal(dump_pid(c.pid, e), 2);
	assert_true(counter("sockpol.entries") >= 2);
	assert_int_equal(e[0].uid, 65534);
	client_end(&c, false);
	wait_count(c.pid, 0);
}

static void
test_kill_client(void **state)
{
	struct client c;

	(void)state;
	client_start(&c, 0);
	ok(&c, "sock4");
	ok(&c, "set out ipsec esp/transport//require");
	ok(&c, "set in ipsec esp/transport//require");
	okp(&c, "bind", 26);
	wait_count(c.pid, 2);
	client_end(&c, true);
	wait_count(c.pid, 0);
}

static void
test_fork(void **state)
{
	struct parapet_sockpol_ent e[MAXE];
	struct client c;
	char ans[512];
	pid_t child;
	int st;

	(void)state;
	client_start(&c, 0);
	ok(&c, "sock4");
	ok(&c, "set out ipsec esp/transport//require");
	okp(&c, "bind", 27);
	cmd(&c, "fork", ans, sizeof(ans));
	assert_int_equal(strncmp(ans, "ok ", 3), 0);
	child = (pid_t)strtol(ans + 3, NULL, 10);
	assert_true(child > 0);
	/* The child registered the inherited socket on its own connection. */
	wait_count(child, 1);
	assert_int_equal(dump_pid(child, e), 1);
	assert_int_equal(e[0].lport, P(27));
	/* The parent closes its descriptor: the child's socket keeps it. */
	ok(&c, "close");
	wait_count(c.pid, 0);
	assert_int_equal(dump_pid(child, e), 1);
	kill(child, SIGKILL);
	(void)waitpid(child, &st, 0);	/* not ours: reaped by init */
	wait_count(child, 0);
	client_end(&c, false);
}

static void
test_kill_policyd(void **state)
{
	struct parapet_sockpol_ent e[MAXE];
	struct client c;
	pid_t pd = policyd_pid(), again;
	uint64_t end;
	int n;

	(void)state;
	assert_true(pd > 0);
	client_start(&c, 0);
	ok(&c, "sock4");
	ok(&c, "set out ipsec esp/transport//require");
	ok(&c, "set in ipsec esp/transport//use");
	okp(&c, "bind", 28);
	wait_count(c.pid, 2);
	assert_int_equal(kill(pd, SIGKILL), 0);
	end = test_now_ms() + 15000;
	while ((again = policyd_pid()) <= 0 || again == pd) {
		assert_true(test_now_ms() < end);
		usleep(50000);
	}
	/* Memory only: the new policyd starts empty. */
	assert_int_equal(dump_pid(c.pid, e), 0);
	/* The client's next call registers everything again. */
	okp(&c, "connect", 29);
	n = dump_pid(c.pid, e);
	assert_int_equal(n, 2);
	assert_int_equal(find_dir(e, n, 2)->rport, P(29));
	assert_int_equal(find_dir(e, n, 1)->lport, P(28));
	/* Again, this time found by send(). */
	pd = again;
	assert_int_equal(kill(pd, SIGKILL), 0);
	end = test_now_ms() + 15000;
	while ((again = policyd_pid()) <= 0 || again == pd) {
		assert_true(test_now_ms() < end);
		usleep(50000);
	}
	assert_int_equal(dump_pid(c.pid, e), 0);
	ok(&c, "send");
	assert_int_equal(dump_pid(c.pid, e), 2);
	client_end(&c, false);
	wait_count(c.pid, 0);
}

/* ---- netd's replica over the bus ---- */

struct sub {
	uv_loop_t		 loop;
	struct bus_client	*bc;
	bool			 connected;
	bool			 snap_done;
	int			 snap_error;
	int			 gaps;
	struct netd_sockpol	 ns;
};

static void
sub_connected(struct bus_client *bc, void *arg)
{
	(void)bc;
	((struct sub *)arg)->connected = true;
}

static void
on_event(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sub *s = arg;
	int e = netd_sockpol_event(&s->ns,
	    (const Parapet__SockpolChangeEvent *)(const void *)m->body);

	(void)bc;
	if (e == -ESTALE)
		s->gaps++;
	else
		assert_int_equal(e, 0);
}

static void
on_snap(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct sub *s = arg;

	(void)bc;
	s->snap_error = error != 0 ? error : netd_sockpol_snapshot(&s->ns,
	    (const Parapet__SockpolSnapshotReply *)(const void *)reply->body);
	s->snap_done = true;
}

static void
pump(struct sub *s, bool *flag, int timeout_ms)
{
	uint64_t end = test_now_ms() + (uint64_t)timeout_ms;

	while (!*flag && test_now_ms() < end) {
		uv_run(&s->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_true(*flag);
}

static void
resync(struct sub *s)
{
	Parapet__SockpolSnapshotRequest rq;
	uint64_t end = test_now_ms() + 10000;

	parapet__sockpol_snapshot_request__init(&rq);
	for (;;) {
		s->snap_done = false;
		assert_int_equal(bus_request(s->bc, "policyd",
		    MT(SOCKPOL_SNAPSHOT_REQUEST), &rq.base, 0, on_snap, s), 0);
		pump(s, &s->snap_done, 5000);
		if (s->snap_error == 0)
			break;
		/* policyd restarting: not on the bus yet. */
		assert_true(test_now_ms() < end);
		usleep(50000);
	}
	s->gaps = 0;
}

/* Whether the replica holds exactly the registry's entries. */
static bool
replica_equal(struct sub *s)
{
	struct parapet_sockpol_ent e[MAXE];
	const struct sockpol_ent *r;
	int n = dump(e), i;

	if ((size_t)n != sockpol_count(s->ns.m.db))
		return false;
	for (i = 0; i < n; i++) {
		r = sockpol_get_id(s->ns.m.db, e[i].id);
		if (r == NULL || r->pol.type != e[i].type ||
		    r->pol.dir != e[i].dir || r->sel.family != e[i].family ||
		    r->sel.lport != e[i].lport || r->sel.rport != e[i].rport ||
		    memcmp(r->sel.laddr, e[i].laddr, 16) != 0 ||
		    memcmp(r->sel.raddr, e[i].raddr, 16) != 0 ||
		    r->pid != e[i].pid)
			return false;
	}
	return true;
}

static void
wait_equal(struct sub *s)
{
	uint64_t end = test_now_ms() + 10000;

	while (!replica_equal(s)) {
		if (test_now_ms() > end)
			fail_msg("netd's replica differs from the registry");
		if (s->gaps > 0)
			resync(s);
		uv_run(&s->loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
}

/* decide() for a UDP packet 127.0.0.1:sport -> 127.0.0.1:dport, OUT. */
static void
decide_out(struct sub *s, uint16_t sport, uint16_t dport,
    struct decide_result *r)
{
	struct decide_ctx c;
	struct pkt_info pi;

	memset(&c, 0, sizeof(c));
	decide_params_default(&c.params);
	c.params.def_policy[0] = 1;	/* none */
	c.policyd_known = true;
	c.ipsecd_up = true;
	c.sock = netd_sockpol_decide;
	c.arg = &s->ns;
	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET;
	pi.src[0] = pi.dst[0] = 127;
	pi.src[3] = pi.dst[3] = 1;
	pi.proto = IPPROTO_UDP;
	pi.kind = PKT_K_UDP;
	pi.sport = sport;
	pi.dport = dport;
	pi.ttl = 64;
	pi.len = 100;
	decide(&c, &pi, DECIDE_FROM_HOST, r);
}

static void
test_netd_replica(void **state)
{
	struct bus_client_cfg cfg;
	struct decide_result r;
	struct client c;
	char bus[128];
	struct sub s;
	pid_t pd, again;
	uint64_t end;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(uv_loop_init(&s.loop), 0);
	assert_int_equal(netd_sockpol_init(&s.ns), 0);
	snprintf(bus, sizeof(bus), "%s/bus.sock", run);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = bus;
	cfg.name = "sockpolsub";
	cfg.on_connect = sub_connected;
	cfg.arg = &s;
	assert_int_equal(bus_client_create(&s.loop, &cfg, &s.bc), 0);
	assert_int_equal(bus_client_on(s.bc, MT(SOCKPOL_CHANGE_EVENT),
	    on_event, &s), 0);
	assert_int_equal(bus_subscribe(s.bc, "sockpol"), 0);
	pump(&s, &s.connected, 5000);
	/* Subscribed first, then the snapshot. */
	resync(&s);
	client_start(&c, 0);
	ok(&c, "sock4");
	ok(&c, "set out discard");
	wait_equal(&s);
	ok(&c, "set in ipsec esp/transport//require");
	okp(&c, "bind", 30);
	okp(&c, "connect", 31);
	wait_equal(&s);
	assert_int_equal(sockpol_count(s.ns.m.db), 2);
	/* The socket's packets meet its policy; others def_policy. */
	decide_out(&s, P(30), P(31), &r);
	assert_int_equal(r.verdict, DECIDE_V_DISCARD);
	assert_int_equal(r.why, DECIDE_W_SOCKET);
	decide_out(&s, P(30), P(32), &r);
	assert_int_equal(r.verdict, DECIDE_V_BYPASS);
	assert_int_equal(r.why, DECIDE_W_DEF_POLICY);
	ok(&c, "close");
	wait_equal(&s);
	assert_int_equal(sockpol_count(s.ns.m.db), 0);
	decide_out(&s, P(30), P(31), &r);
	assert_int_equal(r.why, DECIDE_W_DEF_POLICY);
	/* kill -9 of policyd: a new epoch; the replica resynchronises. */
	ok(&c, "sock4");
	ok(&c, "set out ipsec esp/transport//require");
	okp(&c, "bind", 33);
	okp(&c, "connect", 34);
	wait_equal(&s);
	pd = policyd_pid();
	assert_int_equal(kill(pd, SIGKILL), 0);
	end = test_now_ms() + 15000;
	while ((again = policyd_pid()) <= 0 || again == pd) {
		assert_true(test_now_ms() < end);
		uv_run(&s.loop, UV_RUN_NOWAIT);
		usleep(20000);
	}
	ok(&c, "send");		/* registers again: an event of the new epoch */
	end = test_now_ms() + 10000;
	while (s.gaps == 0 && test_now_ms() < end) {
		uv_run(&s.loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	assert_true(s.gaps > 0);
	assert_true(s.ns.resyncs > 0);
	wait_equal(&s);
	assert_int_equal(sockpol_count(s.ns.m.db), 1);
	decide_out(&s, P(33), P(34), &r);
	assert_int_equal(r.verdict, DECIDE_V_PROTECT);
	assert_int_equal(r.why, DECIDE_W_SOCKET);
	client_end(&c, false);
	wait_equal(&s);
	bus_client_destroy(s.bc);
	uv_run(&s.loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&s.loop);
	netd_sockpol_fini(&s.ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_bind_connect),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_bypass_user),
		cmocka_unit_test(test_kill_client),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_kill_policyd),
		cmocka_unit_test(test_netd_replica),
	};

	return cmocka_run_group_tests(tests, start, stop);
}
