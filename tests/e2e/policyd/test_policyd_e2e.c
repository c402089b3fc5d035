/*
 * test_policyd_e2e.c - the SPD end to end: PF_KEY X_SPD* messages on
 * keyd's socket, relayed over the bus to policyd, under a real parapetd
 * (PARAPET_BINDIR) in a temporary run directory.
 *
 *   test ---- RUNDIR/pfkey.sock ---- keyd ---- bus ---- policyd (store)
 *     |                                          |
 *     +---- bus client "spdsub" (fake subscriber: snapshot + "spd")
 *     +---- parapetctl sysctl ...
 *
 * Covered: SPDADD/SETIDX/UPDATE/GET/DELETE/DELETE2/FLUSH replies, errnos
 * (EEXIST, ENOENT, EINVAL) and broadcasts (a second socket sees ADD,
 * UPDATE, DELETE, FLUSH; not GET); SPDDUMP of 5000 policies through a
 * 4 KiB receive buffer read slowly (each once, seq down to 0); kill -9 of
 * policyd, after which SPDDUMP shows the same 5000 ids and a variable set
 * before is still set, and a dump running across it ends with an error
 * (never a false seq 0); parapetctl sysctl
 * get/set/-a and a refused value; a subscriber that keeps a mirror from
 * a snapshot and the deltas, detects a gap and resynchronises.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "bus.h"
#include "bus_msg.h"
#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "prng.h"
#include "seqpacket.h"
#include "spd.h"
#include "spd_msg.h"
#include "test_sup.h"

#define T(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define NDUMP		5000
#define MT(v)		PARAPET__MSG_TYPE__MSG_##v

static char dir[48], run[64], sock_path[100], bindir[400];
static pid_t sup_pid = -1;
static uint8_t rbuf[PFKEY_MSG_MAX_BYTES];

/* ---- PF_KEY client ---- */

static int
try_connect(void)
{
	return test_seqpacket_connect(sock_path);
}

static int
cl_open(void)
{
	int fd = try_connect();

	assert_true(fd >= 0);
	return fd;
}

#define recv_raw	test_recv_wait

/* 0 and *m, or -1 when nothing came within timeout_ms. */
static int
cl_recv_t(int fd, struct pfkey_msg *m, int timeout_ms)
{
	enum pfkey_reject why;
	ssize_t n = recv_raw(fd, rbuf, sizeof(rbuf), timeout_ms);

	/* Defined even when a failed assertion in a caller returns. */
	memset(m, 0, sizeof(*m));
	if (n <= 0)
		return -1;
	if (pfkey_msg_parse_reply(rbuf, (size_t)n, m, &why) != 0) {
		fprintf(stderr, "reply refused: %s\n", pfkey_reject_str(why));
		fail();
	}
	return 0;
}

static void
cl_recv(int fd, struct pfkey_msg *m)
{
	assert_int_equal(cl_recv_t(fd, m, 5000), 0);
}

static void
cl_send(int fd, const struct pfkey_msg *m)
{
	uint8_t buf[4096];
	size_t len;

	assert_int_equal(pfkey_build_msg(m, buf, sizeof(buf), &len), 0);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

static void
hdr(struct pfkey_msg *m, uint8_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.seq = seq;
	m->hdr.pid = (uint32_t)getpid();
}

static void
addr4(struct pfkey_address *a, uint32_t ip, uint8_t plen)
{
	uint32_t be = htonl(ip);

	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = plen;
	a->sa.family = AF_INET;
	memcpy(a->sa.addr, &be, 4);
}

/* An SPD message 10.0.0.0/24 -> ip/32, out, ipsec esp/transport/require. */
static void
spd_msg(struct pfkey_msg *m, uint8_t type, uint32_t seq, uint32_t dst,
    uint32_t prio)
{
	hdr(m, type, seq);
	m->present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST)) |
	    BIT(T(X_EXT_POLICY));
	addr4(&m->src, 0x0a000000, 24);
	addr4(&m->dst, dst, 32);
	m->policy.type = PARAPET_IPSEC_POLICY_IPSEC;
	m->policy.dir = PARAPET_IPSEC_DIR_OUTBOUND;
	m->policy.priority = prio;
	m->policy.nreqs = 1;
	m->policy.req[0].proto = IPPROTO_ESP;
	m->policy.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	m->policy.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
}

static void
id_msg(struct pfkey_msg *m, uint8_t type, uint32_t seq, uint32_t id)
{
	hdr(m, type, seq);
	m->present = BIT(T(X_EXT_POLICY));
	m->policy.id = id;
	m->policy.dir = (uint8_t)((id & 7) + 1);
}

/* Send, then the reply of type (skipping others): its errno. */
static int
request(int fd, const struct pfkey_msg *m, uint8_t type, struct pfkey_msg *r)
{
	uint64_t end = test_now_ms() + 5000;

	cl_send(fd, m);
	do {
		cl_recv(fd, r);
		if (r->hdr.type == type && r->hdr.seq == m->hdr.seq &&
		    r->hdr.pid == m->hdr.pid)
			return r->hdr.msg_errno;
	} while (test_now_ms() < end);
	fail();
	return -1;
}

/* Read until 200 ms of silence; how many messages of type came. */
static int
drain_count(int fd, uint8_t type)
{
	struct pfkey_msg m;
	int count = 0;

	while (cl_recv_t(fd, &m, 200) == 0)
		if (m.hdr.type == type)
			count++;
	return count;
}

/* ---- parapetd ---- */

/* Read fd to its end: the first cap - 1 bytes into out, terminated. */
static void
read_all(int fd, char *out, size_t cap)
{
	char sink[512];
	size_t n = 0;
	ssize_t k;

	for (;;) {
		if (n < cap - 1)
			k = read(fd, out + n, cap - 1 - n);
		else
			k = read(fd, sink, sizeof(sink));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (n < cap - 1)
			n += (size_t)k;
	}
	out[n] = '\0';
}

/*
 * Run argv (no shell), its standard output (and standard error if
 * with_stderr, else /dev/null) into out: its exit status, -1 if it did
 * not exit.
 */
static int
run_cmd(char *const argv[], bool with_stderr, char *out, size_t cap)
{
	pid_t pid;
	int p[2], st, fd;

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 1);
		if (with_stderr)
			dup2(p[1], 2);
		else if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	read_all(p[0], out, cap);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A `parapetctl status` line "name pid state": pid if name and state. */
static pid_t
status_pid(char *l, const char *name, const char *state)
{
	char *save, *f[3], *end;
	long v;
	size_t i;

	for (i = 0; i < nitems(f); i++)
		if ((f[i] = strtok_r(i == 0 ? l : NULL, " \t", &save)) == NULL)
			return -1;
	if (strcmp(f[0], name) != 0 || strcmp(f[2], state) != 0)
		return -1;
	errno = 0;
	v = strtol(f[1], &end, 10);
	if (errno != 0 || end == f[1] || *end != '\0' || v <= 0 ||
	    v > INT32_MAX)
		return -1;
	return (pid_t)v;
}

static pid_t
policyd_pid(void)
{
	char bin[512], out[4096], *l, *save;
	char *argv[] = { bin, "-r", run, "status", NULL };
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/parapetctl", bindir);
	(void)run_cmd(argv, false, out, sizeof(out));
	for (l = strtok_r(out, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		if ((pid = status_pid(l, "policyd", "ready")) > 0)
			return pid;
	return -1;
}

/* policyd answers (SPDDUMP gives anything but EAGAIN). */
static bool
policyd_up(void)
{
	struct pfkey_msg m, r;
	bool up = false;
	int fd;

	if ((fd = try_connect()) < 0)
		return false;
	hdr(&m, T(X_SPDDUMP), 7);
	cl_send(fd, &m);
	if (cl_recv_t(fd, &r, 3000) == 0)
		up = r.hdr.msg_errno != EAGAIN;
	/* A dump may be running: closing the socket ends it. */
	close(fd);
	return up;
}

static int
start(void **state)
{
	const char *b = getenv("PARAPET_BINDIR");
	char conf[160], logf[160];
	uint64_t end;
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(bindir, sizeof(bindir), "%s", b != NULL ? b : ".");
	snprintf(dir, sizeof(dir), "/tmp/policyd-e2e-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/pfkey.sock", run);
	snprintf(conf, sizeof(conf), "%s/parapetd.conf", dir);
	snprintf(logf, sizeof(logf), "%s/parapetd.log", dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "[supervisor]\nrestart_min_ms = 50\n"
	    "ready_timeout_ms = 10000\n"
	    "[server keyd]\n[server policyd]\nafter = keyd\n"
	    "store_records = 20000\n");
	fclose(f);
	if ((sup_pid = test_start_parapetd(bindir, conf, run, logf)) < 0)
		return -1;
	end = test_now_ms() + 15000;
	while (!policyd_up()) {
		if (test_now_ms() > end)
			return -1;
		usleep(50000);
	}
	return 0;
}

static int
stop(void **state)
{
	char out[256];
	char *argv[] = { "rm", "-rf", "--", dir, NULL };
	uint64_t end = test_now_ms() + 8000;
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
	return run_cmd(argv, true, out, sizeof(out)) == 0 ? 0 : -1;
}

/* ---- PF_KEY ---- */

static void
test_add_get_delete(void **state)
{
	struct pfkey_msg m, r, b;
	int a = cl_open(), o = cl_open();
	uint32_t id, id2;

	(void)state;
	/* ADD: to the sender and every other socket. */
	spd_msg(&m, T(X_SPDADD), 1, 0x0a010001, 100);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	assert_true(pfkey_msg_has(&r, T(EXT_ADDRESS_SRC)));
	assert_true(pfkey_msg_has(&r, T(EXT_LIFETIME_CURRENT)));
	assert_true(pfkey_msg_has(&r, T(EXT_LIFETIME_HARD)));
	id = r.policy.id;
	assert_int_equal(id & 7, PARAPET_IPSEC_DIR_OUTBOUND - 1);
	assert_int_equal(r.policy.priority, 100);
	assert_int_equal(r.policy.nreqs, 1);
	assert_int_equal(r.policy.req[0].level, PARAPET_IPSEC_LEVEL_REQUIRE);
	assert_int_equal(r.src.prefixlen, 24);
	cl_recv(o, &b);
	assert_int_equal(b.hdr.type, T(X_SPDADD));
	assert_int_equal(b.policy.id, id);
	/* Again: EEXIST, to the sender only. */
	spd_msg(&m, T(X_SPDADD), 2, 0x0a010001, 100);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), EEXIST);
	/* GET by id: the sender only. */
	id_msg(&m, T(X_SPDGET), 3, id);
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), 0);
	assert_int_equal(r.policy.id, id);
	assert_int_equal(r.dst.sa.addr[3], 1);
	/* UPDATE: same id, new priority, broadcast. */
	spd_msg(&m, T(X_SPDUPDATE), 4, 0x0a010001, 7);
	assert_int_equal(request(a, &m, T(X_SPDUPDATE), &r), 0);
	assert_int_equal(r.policy.id, id);
	assert_int_equal(r.policy.priority, 7);
	cl_recv(o, &b);
	assert_int_equal(b.hdr.type, T(X_SPDUPDATE));
	/* GET of an id whose low bits are no direction: EINVAL. */
	id_msg(&m, T(X_SPDGET), 5, (id & ~7u) | 3);
	m.policy.dir = 1;
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), EINVAL);
	/* DELETE by selector, then again: ENOENT. */
	spd_msg(&m, T(X_SPDDELETE), 6, 0x0a010001, 0);
	m.policy.type = PARAPET_IPSEC_POLICY_DISCARD;
	m.policy.nreqs = 0;
	assert_int_equal(request(a, &m, T(X_SPDDELETE), &r), 0);
	assert_int_equal(r.policy.id, id);
	cl_recv(o, &b);
	assert_int_equal(b.hdr.type, T(X_SPDDELETE));
	m.hdr.seq = 7;
	assert_int_equal(request(a, &m, T(X_SPDDELETE), &r), ENOENT);
	/* SETIDX answers as ADD (Linux); DELETE2 by id. */
	spd_msg(&m, T(X_SPDSETIDX), 8, 0x0a010002, 100);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	id2 = r.policy.id;
	assert_int_not_equal(id2, id);	/* ids are not reused */
	cl_recv(o, &b);
	id_msg(&m, T(X_SPDDELETE2), 9, id2);
	assert_int_equal(request(a, &m, T(X_SPDDELETE2), &r), 0);
	assert_int_equal(r.policy.id, id2);
	cl_recv(o, &b);
	assert_int_equal(b.hdr.type, T(X_SPDDELETE2));
	id_msg(&m, T(X_SPDGET), 10, id2);
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), ENOENT);
	/* Nothing else reached the other socket (GET is the sender's). */
	assert_int_equal(drain_count(o, T(X_SPDGET)), 0);
	close(a);
	close(o);
}

static void
test_flush(void **state)
{
	struct pfkey_msg m, r;
	int a = cl_open(), o = cl_open();
	uint32_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		spd_msg(&m, T(X_SPDADD), 20 + i, 0x0a020000 + i, 1);
		assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	}
	(void)drain_count(o, T(X_SPDADD));
	/* Linux: the header back to the sender, then one to everyone. */
	hdr(&m, T(X_SPDFLUSH), 30);
	assert_int_equal(request(a, &m, T(X_SPDFLUSH), &r), 0);
	assert_int_equal(drain_count(a, T(X_SPDFLUSH)), 1);
	assert_int_equal(drain_count(o, T(X_SPDFLUSH)), 1);
	hdr(&m, T(X_SPDDUMP), 31);
	assert_int_equal(request(a, &m, T(X_SPDDUMP), &r), ENOENT);
	/* An empty SPD: the sender's copy only. */
	hdr(&m, T(X_SPDFLUSH), 32);
	assert_int_equal(request(a, &m, T(X_SPDFLUSH), &r), 0);
	assert_int_equal(drain_count(a, T(X_SPDFLUSH)), 0);
	assert_int_equal(drain_count(o, T(X_SPDFLUSH)), 0);
	close(a);
	close(o);
}

static uint32_t ids[NDUMP];

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A full SPDDUMP through a 4 KiB buffer, read slowly: sorted ids. */
static size_t
slow_dump(uint32_t *out, size_t cap)
{
	struct pfkey_msg m, r;
	int d = cl_open(), rcv = 4096, a = cl_open();
	uint32_t last = UINT32_MAX;
	size_t n = 0;

	assert_int_equal(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &rcv,
	    sizeof(rcv)), 0);
	hdr(&m, T(X_SPDDUMP), 77);
	cl_send(d, &m);
	usleep(300000);		/* let keyd hit the full socket */
	/* Another client is served meanwhile. */
	id_msg(&m, T(X_SPDGET), 78, 8);
	(void)request(a, &m, T(X_SPDGET), &r);
	for (;;) {
		cl_recv(d, &r);
		assert_int_equal(r.hdr.type, T(X_SPDDUMP));
		assert_int_equal(r.hdr.msg_errno, 0);
		assert_int_equal(r.hdr.pid, (uint32_t)getpid());
		assert_true(r.hdr.seq < last);
		last = r.hdr.seq;
		assert_true(n < cap);
		out[n++] = r.policy.id;
		if (n % 500 == 0)
			usleep(2000);
		if (r.hdr.seq == 0)
			break;
	}
	assert_int_equal(drain_count(d, T(X_SPDDUMP)), 0);
	close(d);
	close(a);
	qsort(out, n, sizeof(*out), cmp_u32);
	return n;
}

static void
test_dump_5000(void **state)
{
	static uint32_t got[NDUMP + 1];
	struct pfkey_msg m, r;
	int a = cl_open();
	size_t i, n;

	(void)state;
	for (i = 0; i < NDUMP; i++) {
		spd_msg(&m, T(X_SPDADD), (uint32_t)i + 1000,
		    0x0b000000 + (uint32_t)i, (uint32_t)i % 7);
		assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
		ids[i] = r.policy.id;
	}
	close(a);
	qsort(ids, NDUMP, sizeof(ids[0]), cmp_u32);
	n = slow_dump(got, NDUMP + 1);
	assert_int_equal(n, NDUMP);
	for (i = 0; i < NDUMP; i++)
		assert_int_equal(got[i], ids[i]);	/* each once */
}

static int ctl(const char *, char *, size_t);

/* kill -9 policyd; wait until the supervisor's new one answers. */
static void
kill_policyd(void)
{
	pid_t pid = policyd_pid(), again;
	uint64_t end = test_now_ms() + 15000;

	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	do {
		assert_true(test_now_ms() < end);
		usleep(50000);
		again = policyd_pid();
	} while (again <= 0 || again == pid || !policyd_up());
}

static void
test_kill_policyd(void **state)
{
	static uint32_t got[NDUMP + 1];
	struct pfkey_msg m, r;
	char out[256];
	size_t i, n;
	int a, d, rcv = 4096;

	(void)state;
	/*
	 * Every policy (an update, a deletion, a lifetime included), every
	 * variable and the id generator survive.
	 */
	a = cl_open();
	assert_int_equal(ctl("net.inet.ipsec.ah_offsetmask=4660", out,
	    sizeof(out)), 0);
	id_msg(&m, T(X_SPDGET), 40, ids[0]);
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), 0);
	spd_msg(&m, T(X_SPDUPDATE), 41, 0, 12345);
	m.dst = r.dst;
	m.present |= BIT(T(EXT_LIFETIME_HARD));
	m.lft_hard.addtime = 86400;
	assert_int_equal(request(a, &m, T(X_SPDUPDATE), &r), 0);
	assert_int_equal(r.policy.id, ids[0]);
	id_msg(&m, T(X_SPDDELETE2), 42, ids[1]);
	assert_int_equal(request(a, &m, T(X_SPDDELETE2), &r), 0);
	kill_policyd();
	n = slow_dump(got, NDUMP + 1);
	assert_int_equal(n, NDUMP - 1);
	for (i = 0; i < NDUMP - 1; i++)
		assert_int_equal(got[i], ids[i < 1 ? i : i + 1]);
	id_msg(&m, T(X_SPDGET), 43, ids[0]);
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), 0);
	assert_int_equal(r.policy.priority, 12345);
	assert_int_equal(r.lft_hard.addtime, 86400);
	id_msg(&m, T(X_SPDGET), 44, ids[1]);
	assert_int_equal(request(a, &m, T(X_SPDGET), &r), ENOENT);
	/* A new policy gets an id never used before. */
	spd_msg(&m, T(X_SPDADD), 45, 0x0e000001, 1);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	assert_true(r.policy.id > ids[NDUMP - 1]);
	id_msg(&m, T(X_SPDDELETE2), 46, r.policy.id);
	assert_int_equal(request(a, &m, T(X_SPDDELETE2), &r), 0);
	close(a);
	assert_int_equal(ctl("net.inet.ipsec.ah_offsetmask", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "net.inet.ipsec.ah_offsetmask = 4660\n");
	/*
	 * A dump whose policyd dies: its cursor is gone, so the client gets
	 * an error (EAGAIN or ESTALE) after what it read, never a seq 0.
	 */
	d = cl_open();
	assert_int_equal(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &rcv,
	    sizeof(rcv)), 0);
	hdr(&m, T(X_SPDDUMP), 90);
	cl_send(d, &m);
	usleep(300000);
	kill_policyd();
	for (n = 0;; n++) {
		cl_recv(d, &r);
		assert_int_equal(r.hdr.type, T(X_SPDDUMP));
		if (r.hdr.msg_errno != 0)
			break;
		assert_true(r.hdr.seq != 0);
	}
	assert_true(r.hdr.msg_errno == EAGAIN || r.hdr.msg_errno == ESTALE);
	assert_true(n > 0 && n < NDUMP);
	close(d);
}

/* ---- parapetctl sysctl ---- */

static int
ctl(const char *args, char *out, size_t cap)
{
	char bin[512], arg[256];
	char *argv[] = { bin, "-r", run, "sysctl", arg, NULL };

	snprintf(bin, sizeof(bin), "%s/parapetctl", bindir);
	snprintf(arg, sizeof(arg), "%s", args);
	return run_cmd(argv, true, out, cap);
}

static void
test_sysctl(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(ctl("net.inet.ipsec.dfbit", out, sizeof(out)), 0);
	assert_string_equal(out, "net.inet.ipsec.dfbit = 0\n");
	assert_int_equal(ctl("net.inet.ipsec.dfbit=2", out, sizeof(out)), 0);
	assert_string_equal(out, "net.inet.ipsec.dfbit: 0 -> 2\n");
	assert_int_equal(ctl("net.inet.ipsec.dfbit", out, sizeof(out)), 0);
	assert_string_equal(out, "net.inet.ipsec.dfbit = 2\n");
	/* Out of range, unknown, malformed. */
	assert_int_equal(ctl("net.inet.ipsec.dfbit=3", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "out of range"));
	assert_int_equal(ctl("net.inet.ipsec.esp_trans_deflev=0", out,
	    sizeof(out)), 1);
	assert_int_equal(ctl("net.inet.ipsec.nosuch", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no such variable"));
	assert_int_equal(ctl("net.inet.ipsec.dfbit=x", out, sizeof(out)), 2);
	assert_int_equal(ctl("NET.inet", out, sizeof(out)), 2);
	assert_int_equal(ctl("-a", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "net.inet.ipsec.def_policy = 1\n"));
	assert_non_null(strstr(out, "net.inet.ipsec.dfbit = 2\n"));
	assert_non_null(strstr(out, "net.inet6.ipsec6.ecn = 0\n"));
}

/* ---- a subscriber over the bus ---- */

struct sub {
	uv_loop_t		 loop;
	struct bus_client	*bc;
	bool			 connected;
	int			 pending;	/* requests out */
	struct spd_mirror	 mir;
	Parapet__SpdChangeEvent	*evs[64];
	size_t			 nev;
	size_t			 nsysctl;
	int			 snap_error;
	uint64_t		 cursor;
	bool			 snap_done;
};

static void
sub_connected(struct bus_client *bc, void *arg)
{
	struct sub *s = arg;

	(void)bc;
	s->connected = true;
}

static void
on_spd_event(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sub *s = arg;
	const ProtobufCMessage *b = m->body;
	uint8_t buf[4096];
	size_t len;

	(void)bc;
	/* Keep a copy: the message is borrowed for the call. */
	len = protobuf_c_message_pack(b, buf);
	assert_true(s->nev < nitems(s->evs));
	s->evs[s->nev++] = parapet__spd_change_event__unpack(NULL, len, buf);
}

static void
on_sysctl_event(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sub *s = arg;

	(void)bc;
	(void)m;
	s->nsysctl++;
}

static void
run_until(struct sub *s, bool *flag, int timeout_ms)
{
	uint64_t end = test_now_ms() + (uint64_t)timeout_ms;

	while (!*flag && test_now_ms() < end) {
		uv_run(&s->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_true(*flag);
}

static void snap_next(struct sub *);

static void
on_snap(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct sub *s = arg;
	const Parapet__SpdSnapshotReply *r;

	(void)bc;
	s->pending--;
	if (error != 0) {
		s->snap_error = error;
		s->snap_done = true;
		return;
	}
	r = (const Parapet__SpdSnapshotReply *)(const void *)reply->body;
	if ((s->snap_error = spd_mirror_snapshot(&s->mir, r)) != 0 ||
	    r->done) {
		s->snap_done = true;
		return;
	}
	s->cursor = r->cursor;
	snap_next(s);
}

static void
snap_next(struct sub *s)
{
	Parapet__SpdSnapshotRequest rq;

	parapet__spd_snapshot_request__init(&rq);
	rq.cursor = s->cursor;
	rq.max = 97;
	assert_int_equal(bus_request(s->bc, "policyd", MT(SPD_SNAPSHOT_REQUEST),
	    &rq.base, 0, on_snap, s), 0);
	s->pending++;
}

/* Take a snapshot into the mirror (reset first). */
static void
resync(struct sub *s)
{
	spd_mirror_reset(&s->mir);
	s->cursor = 0;
	s->snap_done = false;
	s->snap_error = 0;
	snap_next(s);
	run_until(s, &s->snap_done, 10000);
	assert_int_equal(s->snap_error, 0);
	assert_true(s->mir.synced);
}

static bool
entry_eq(const struct spd_entry *a, const struct spd_entry *b)
{
	size_t i;

	if (a->sel.family != b->sel.family || a->sel.src_plen !=
	    b->sel.src_plen || a->sel.dst_plen != b->sel.dst_plen ||
	    a->sel.proto != b->sel.proto || a->sel.sport != b->sel.sport ||
	    a->sel.dport != b->sel.dport ||
	    memcmp(a->sel.src, b->sel.src, 16) != 0 ||
	    memcmp(a->sel.dst, b->sel.dst, 16) != 0 || a->dir != b->dir ||
	    a->action != b->action || a->priority != b->priority ||
	    a->nreqs != b->nreqs)
		return false;
	for (i = 0; i < a->nreqs; i++)
		if (a->req[i].proto != b->req[i].proto ||
		    a->req[i].mode != b->req[i].mode ||
		    a->req[i].level != b->req[i].level ||
		    a->req[i].reqid != b->req[i].reqid)
			return false;
	return true;
}

/* The mirror equals a fresh snapshot. */
static void
check_mirror(struct sub *s)
{
	struct spd_mirror fresh = s->mir;
	struct spd_cursor cur;
	const struct spd_policy *p, *q;

	assert_int_equal(spd_mirror_init(&s->mir, 2), 0);
	resync(s);
	assert_int_equal(fresh.epoch, s->mir.epoch);
	assert_int_equal(fresh.gen, s->mir.gen);
	assert_int_equal(spd_count(fresh.spd), spd_count(s->mir.spd));
	spd_dump_begin(fresh.spd, &cur, 0);
	while ((p = spd_dump_next(fresh.spd, &cur)) != NULL) {
		q = spd_get_id(s->mir.spd, p->id);
		assert_non_null(q);
		assert_true(entry_eq(&p->e, &q->e));
	}
	spd_dump_end(fresh.spd, &cur);
	spd_mirror_fini(&fresh);
}

static void
apply_all(struct sub *s, size_t from, int want_last)
{
	size_t i;
	int error = 0;

	for (i = from; i < s->nev; i++) {
		error = spd_mirror_apply(&s->mir, s->evs[i]);
		if (i + 1 < s->nev)
			assert_true(error >= 0);
	}
	assert_int_equal(error, want_last);
}

static void
free_events(struct sub *s)
{
	size_t i;

	for (i = 0; i < s->nev; i++)
		parapet__spd_change_event__free_unpacked(s->evs[i], NULL);
	s->nev = 0;
}

static void
wait_events(struct sub *s, size_t n)
{
	uint64_t end = test_now_ms() + 5000;

	while (s->nev < n && test_now_ms() < end) {
		uv_run(&s->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(s->nev, n);
}

struct answer {
	bool	got;
	int	error;
};

static void
on_answer(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct answer *a = arg;

	(void)bc;
	(void)reply;
	a->got = true;
	a->error = error;
}

/* Requests policyd refuses: PF_KEY relay from a peer not named keyd
 * (EPERM), a snapshot cursor it does not know (ESTALE). */
static void
refusals(struct sub *s)
{
	uint8_t hdr16[16] = { 2, T(X_SPDFLUSH), 0, 0, 2 };
	Parapet__SpdPfkeyRequest prq;
	Parapet__SpdSnapshotRequest srq;
	struct answer a;

	parapet__spd_pfkey_request__init(&prq);
	prq.msg.data = hdr16;
	prq.msg.len = sizeof(hdr16);
	memset(&a, 0, sizeof(a));
	assert_int_equal(bus_request(s->bc, "policyd", MT(SPD_PFKEY_REQUEST),
	    &prq.base, 0, on_answer, &a), 0);
	run_until(s, &a.got, 5000);
	assert_int_equal(a.error, -EPERM);
	parapet__spd_snapshot_request__init(&srq);
	srq.cursor = 12345;
	srq.max = 10;
	memset(&a, 0, sizeof(a));
	assert_int_equal(bus_request(s->bc, "policyd",
	    MT(SPD_SNAPSHOT_REQUEST), &srq.base, 0, on_answer, &a), 0);
	run_until(s, &a.got, 5000);
	assert_int_equal(a.error, -ESTALE);
}

static void
test_subscriber(void **state)
{
	struct bus_client_cfg cfg;
	struct pfkey_msg m, r;
	char bus[200], out[256];
	struct sub s;
	int a = cl_open();

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(uv_loop_init(&s.loop), 0);
	assert_int_equal(spd_mirror_init(&s.mir, 1), 0);
	snprintf(bus, sizeof(bus), "%s/bus.sock", run);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = bus;
	cfg.name = "spdsub";
	cfg.on_connect = sub_connected;
	cfg.arg = &s;
	assert_int_equal(bus_client_create(&s.loop, &cfg, &s.bc), 0);
	assert_int_equal(bus_client_on(s.bc, MT(SPD_CHANGE_EVENT),
	    on_spd_event, &s), 0);
	assert_int_equal(bus_client_on(s.bc, MT(SYSCTL_CHANGE_EVENT),
	    on_sysctl_event, &s), 0);
	assert_int_equal(bus_subscribe(s.bc, "spd"), 0);
	assert_int_equal(bus_subscribe(s.bc, "sysctl"), 0);
	run_until(&s, &s.connected, 5000);
	refusals(&s);
	/* Subscribed first, then the snapshot (5000 policies, paged). */
	resync(&s);
	assert_int_equal(spd_count(s.mir.spd), NDUMP - 1);
	/* Deltas: add, update, delete. */
	spd_msg(&m, T(X_SPDADD), 500, 0x0c000001, 3);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	spd_msg(&m, T(X_SPDUPDATE), 501, 0x0c000001, 4);
	assert_int_equal(request(a, &m, T(X_SPDUPDATE), &r), 0);
	id_msg(&m, T(X_SPDDELETE2), 502, ids[10]);
	assert_int_equal(request(a, &m, T(X_SPDDELETE2), &r), 0);
	wait_events(&s, 3);
	apply_all(&s, 0, 0);
	check_mirror(&s);
	free_events(&s);
	/* A lost event is a gap: the next one says so; resynchronise. */
	spd_msg(&m, T(X_SPDADD), 503, 0x0c000002, 3);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	spd_msg(&m, T(X_SPDADD), 504, 0x0c000003, 3);
	assert_int_equal(request(a, &m, T(X_SPDADD), &r), 0);
	wait_events(&s, 2);
	apply_all(&s, 1, -ESTALE);
	free_events(&s);
	resync(&s);
	check_mirror(&s);
	/* sysctl changes are published too. */
	assert_int_equal(ctl("net.inet6.ipsec6.ecn=1", out, sizeof(out)), 0);
	{
		uint64_t end = test_now_ms() + 5000;

		while (s.nsysctl == 0 && test_now_ms() < end) {
			uv_run(&s.loop, UV_RUN_NOWAIT);
			usleep(1000);
		}
	}
	assert_int_equal(s.nsysctl, 1);
	free_events(&s);
	spd_mirror_fini(&s.mir);
	bus_client_destroy(s.bc);
	uv_run(&s.loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&s.loop);
	close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get_delete),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_dump_5000),
		cmocka_unit_test(test_kill_policyd),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_subscriber),
	};

	return cmocka_run_group_tests(tests, start, stop);
}
