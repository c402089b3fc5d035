/*
 * test_keyd_bus.c - keyd's bus contract with ipsecd end to end
 * (proto/keyd.proto): the real keyd binary (PARAPET_BINDIR/keyd) on a
 * broker this test hosts, a fake ipsecd bus client, and a PF_KEY socket
 * that registers as the key manager.
 *
 *   test process: loop { broker, client "ipsecd" }  ---- bus.sock ---- keyd
 *                 key manager socket                ---- pfkey.sock --/
 *
 * Covered: AcquireRequest -> SADB_ACQUIRE on the registered socket (Linux
 * layout: addresses, X_POLICY with the policy id, PROPOSAL with
 * ChaCha20-Poly1305), a duplicate suppressed (PENDING, nothing sent), the
 * key manager's ACQUIRE with errno -> AcquireDoneEvent REFUSED and no
 * PF_KEY reply; a new acquire completed by GETSPI + UPDATE with its seq
 * -> AcquireDoneEvent INSTALLED and SaChangeEvent INSTALL with keys;
 * ACQUIRE for a policy whose SA exists -> SA_EXISTS; SaSyncRequest paging;
 * SaUsageRequest -> soft EXPIRE (SaChangeEvent UPDATE, DYING) then hard
 * EXPIRE (SaChangeEvent DELETE EXPIRED); usage for a stale generation is
 * unknown; DELETE and a re-added SPI (new generation); FLUSH.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "test_bus_harness.h"

#define P(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define ESP		P(SATYPE_ESP)

static struct harness h;
static struct tclient ipsecd;
static struct tclient policyd;	/* fake: holds one SpdPfkeyRequest */
static pid_t keyd_pid = -1;
static char pfkey_path[100];
static char log_path[160];

static const uint8_t key36[36] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
	30, 31, 32, 33, 34, 35, 36 };

/* ---- what the fake ipsecd saw ---- */

struct seen_sa {
	int		change;
	int		reason;
	uint64_t	generation;
	uint32_t	spi;
	int		state;
	uint32_t	reqid;
	uint32_t	enc_alg;
	size_t		enc_key_len;
	size_t		auth_key_len;
	uint64_t	hard_bytes;
	bool		esn;
	uint8_t		enc_key0;	/* the key's first byte */
};

#define SEEN_MAX	64
static struct seen_sa seen[SEEN_MAX];
static int nseen;

struct seen_done {
	uint32_t	seq;
	uint32_t	policy_id;
	int		result;
	uint32_t	error;
};
static struct seen_done dones[SEEN_MAX];
static int ndones;
static int nbatches;		/* SaChangeBatchEvent frames */

static void
copy_sa(struct seen_sa *s, const Parapet__Sa *sa)
{
	s->generation = sa->generation;
	s->spi = sa->spi;
	s->state = sa->state;
	s->reqid = sa->reqid;
	s->enc_alg = sa->enc_alg;
	s->enc_key_len = sa->enc_key.len;
	s->enc_key0 = sa->enc_key.len > 0 ? sa->enc_key.data[0] : 0;
	s->auth_key_len = sa->auth_key.len;
	s->hard_bytes = sa->hard != NULL ? sa->hard->bytes : 0;
	s->esn = sa->esn;
}

static void
seen_add(const Parapet__SaChangeEvent *ev)
{
	if (nseen >= SEEN_MAX)
		return;
	seen[nseen].change = ev->change;
	seen[nseen].reason = ev->reason;
	copy_sa(&seen[nseen], ev->sa);
	nseen++;
}

static void
on_sa_event(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	(void)c;
	(void)arg;
	assert_string_equal(m->src, "keyd");
	assert_string_equal(m->topic, "sa");
	seen_add((const void *)m->body);
}

/* Several changes of one batch (a FLUSH, pipelined requests): in order. */
static void
on_sa_batch(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__SaChangeBatchEvent *b = (const void *)m->body;
	size_t i;

	(void)c;
	(void)arg;
	assert_string_equal(m->src, "keyd");
	assert_string_equal(m->topic, "sa");
	assert_true(b->n_events >= 2);
	nbatches++;
	for (i = 0; i < b->n_events; i++)
		seen_add(b->events[i]);
}

static void
on_done_event(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__AcquireDoneEvent *ev = (const void *)m->body;

	(void)c;
	(void)arg;
	if (ndones >= SEEN_MAX)
		return;
	dones[ndones].seq = ev->seq;
	dones[ndones].policy_id = ev->policy_id;
	dones[ndones].result = ev->result;
	dones[ndones].error = ev->error;
	ndones++;
}

/* The fake policyd keeps the request, to be answered by the test. */
static void
on_spd_request(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	(void)c;
	(void)arg;
	snprintf(policyd.held_src, sizeof(policyd.held_src), "%s", m->src);
	policyd.held_corr = m->corr;
	policyd.held++;
}

/* ---- requests to keyd ---- */

struct answer {
	int		done;
	int		error;
	int		status;
	uint32_t	seq;
	uint32_t	recipients;
	uint32_t	applied, unknown, expired;
	uint64_t	cursor;
	bool		sync_done;
	size_t		nsas;
	struct seen_sa	sas[8];
};

static void
on_answer(struct bus_client *c, int error, const struct bus_msg *m,
    void *arg)
{
	struct answer *a = arg;
	size_t i;

	(void)c;
	a->done = 1;
	a->error = error;
	if (error != 0 || m == NULL)
		return;
	if (m->type == PARAPET__MSG_TYPE__MSG_ACQUIRE_REPLY) {
		const Parapet__AcquireReply *r = (const void *)m->body;

		a->status = r->status;
		a->seq = r->seq;
		a->recipients = r->recipients;
	} else if (m->type == PARAPET__MSG_TYPE__MSG_SA_USAGE_REPLY) {
		const Parapet__SaUsageReply *r = (const void *)m->body;

		a->applied = r->applied;
		a->unknown = r->unknown;
		a->expired = r->expired;
	} else if (m->type == PARAPET__MSG_TYPE__MSG_SA_SYNC_REPLY) {
		const Parapet__SaSyncReply *r = (const void *)m->body;

		a->cursor = r->cursor;
		a->sync_done = r->done;
		a->nsas = r->n_sas;
		for (i = 0; i < r->n_sas && i < nitems(a->sas); i++)
			copy_sa(&a->sas[i], r->sas[i]);
	}
}

static void
ask(uint32_t type, const ProtobufCMessage *body, struct answer *a)
{
	int error;

	memset(a, 0, sizeof(*a));
	if ((error = bus_request(ipsecd.c, "keyd", type, body, 0, on_answer,
	    a)) != 0)
		fail_msg("bus_request: %s", strerror(-error));
	WAIT(&h, a->done);
}

static uint8_t ip_a[4] = { 10, 0, 0, 1 };
static uint8_t ip_b[4] = { 10, 0, 0, 2 };

static void
acquire(uint32_t policy, uint32_t reqid, struct answer *a)
{
	Parapet__AcquireRequest rq;
	Parapet__SaAddr src, dst;

	parapet__sa_addr__init(&src);
	src.family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
	src.addr.data = ip_a;
	src.addr.len = 4;
	parapet__sa_addr__init(&dst);
	dst.family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
	dst.addr.data = ip_b;
	dst.addr.len = 4;
	parapet__acquire_request__init(&rq);
	rq.policy_id = policy;
	rq.dir = PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_OUT;
	rq.reqid = reqid;
	rq.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	rq.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
	rq.src = &src;
	rq.dst = &dst;
	ask(PARAPET__MSG_TYPE__MSG_ACQUIRE_REQUEST, &rq.base, a);
}

static void
usage(uint64_t gen, uint32_t spi, uint64_t bytes, struct answer *a)
{
	Parapet__SaUsageRequest rq;
	Parapet__SaUsage u, *up = &u;
	Parapet__SaAddr dst;

	parapet__sa_addr__init(&dst);
	dst.family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
	dst.addr.data = ip_b;
	dst.addr.len = 4;
	parapet__sa_usage__init(&u);
	u.generation = gen;
	u.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	u.spi = spi;
	u.dst = &dst;
	u.bytes = bytes;
	u.packets = 1;
	parapet__sa_usage_request__init(&rq);
	rq.n_usage = 1;
	rq.usage = &up;
	ask(PARAPET__MSG_TYPE__MSG_SA_USAGE_REQUEST, &rq.base, a);
}

/*
 * Everything keyd published before now has arrived: keyd answers a ping
 * after the events it sent earlier, and the broker keeps their order.
 * (A PF_KEY reply can overtake the bus events of the same request.)
 */
static void
barrier(void)
{
	struct box b;

	ping(&h, ipsecd.c, "keyd", &b);
	assert_int_equal(b.error, 0);
}

/* ---- PF_KEY, with the loop (broker, client) kept running ---- */

static int
pf_open(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", pfkey_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint8_t rbuf[PFKEY_MSG_MAX_BYTES];

/* One datagram within ms, pumping the loop meanwhile; -1: none. */
static ssize_t
pf_recv_raw(int fd, int ms)
{
	uint64_t end;
	ssize_t n;

	uv_update_time(&h.loop);
	end = uv_now(&h.loop) + (uint64_t)ms;
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n > 0)
			return n;
		uv_update_time(&h.loop);
		if (uv_now(&h.loop) >= end)
			return -1;
		uv_run(&h.loop, UV_RUN_ONCE);
	}
}

/* The next message of type, parsed as keyd sends it. */
static void
pf_recv_type(int fd, uint8_t type, struct pfkey_msg *m)
{
	enum pfkey_reject why;
	ssize_t n;

	for (;;) {
		if ((n = pf_recv_raw(fd, 5000)) < 0)
			fail_msg("no PF_KEY message of type %u", type);
		if (pfkey_msg_parse_reply(rbuf, (size_t)n, m, &why) != 0)
			fail_msg("keyd sent a bad message: %s",
			    pfkey_reject_str(why));
		if (m->hdr.type == type)
			return;
	}
}

/* How many messages of type arrive within ms. */
static int
pf_count(int fd, uint8_t type, int ms)
{
	ssize_t n;
	int count = 0;

	while ((n = pf_recv_raw(fd, ms)) > 0)
		if (n >= 16 && rbuf[1] == type)
			count++;
	return count;
}

static void
pf_send(int fd, const struct pfkey_msg *m)
{
	uint8_t buf[4096];
	size_t len;

	assert_int_equal(pfkey_build_msg(m, buf, sizeof(buf), &len), 0);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

/* n datagrams with one sendmmsg(). */
static void
pf_send_many(int fd, const struct pfkey_msg *const *m, unsigned int n)
{
	static uint8_t buf[4][4096];
	struct mmsghdr v[4];
	struct iovec iov[4];
	unsigned int i;
	size_t len;

	assert_true(n <= 4);
	memset(v, 0, sizeof(v));
	for (i = 0; i < n; i++) {
		assert_int_equal(pfkey_build_msg(m[i], buf[i], sizeof(buf[i]),
		    &len), 0);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = len;
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
	}
	assert_int_equal(sendmmsg(fd, v, n, 0), (int)n);
}

/* A counter of keyd's, through the bus. */
static uint64_t
keyd_counter(const char *name)
{
	Parapet__CountersRequest rq;
	struct box b;

	parapet__counters_request__init(&rq);
	memset(&b, 0, sizeof(b));
	b.want_counter = name;
	assert_int_equal(bus_request(ipsecd.c, "keyd",
	    PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST, &rq.base, 0, box_reply,
	    &b), 0);
	WAIT(&h, b.done);
	return b.counter;
}

static void
hdr(struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = satype;
	m->hdr.seq = seq;
	m->hdr.pid = (uint32_t)getpid();
}

static void
addr4(struct pfkey_address *a, const uint8_t ip[4])
{
	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = 32;
	a->sa.family = AF_INET;
	memcpy(a->sa.addr, ip, 4);
}

/* An ESP ChaCha20-Poly1305 SA 10.0.0.1 -> 10.0.0.2 (ADD or UPDATE). */
static void
sa_msg(struct pfkey_msg *m, uint8_t type, uint32_t spi, uint32_t seq,
    uint32_t reqid)
{
	hdr(m, type, ESP, seq);
	m->present = BIT(P(EXT_SA)) | BIT(P(EXT_ADDRESS_SRC)) |
	    BIT(P(EXT_ADDRESS_DST));
	m->sa.spi = spi;
	addr4(&m->src, ip_a);
	addr4(&m->dst, ip_b);
	if (type != P(ADD) && type != P(UPDATE))
		return;
	m->sa.state = P(SASTATE_MATURE);
	m->sa.encrypt = P(X_EALG_CHACHA20POLY1305);
	m->sa.flags = 0x400;		/* ESN (FreeBSD's bit) */
	m->sa.replay = 64;
	m->present |= BIT(P(EXT_KEY_ENCRYPT)) | BIT(P(X_EXT_SA2));
	m->key_encrypt.bits = 288;
	m->key_encrypt.data = key36;
	m->key_encrypt.len_bytes = sizeof(key36);
	m->sa2.mode = PARAPET_IPSEC_MODE_TUNNEL;
	m->sa2.reqid = reqid;
}

static void
pf_request(int fd, const struct pfkey_msg *m, int err, struct pfkey_msg *r)
{
	pf_send(fd, m);
	pf_recv_type(fd, m->hdr.type, r);
	assert_int_equal(r->hdr.msg_errno, err);
	assert_int_equal(r->hdr.seq, m->hdr.seq);
}

/* ---- keyd ---- */

static int
setup(void **state)
{
	const char *bindir = getenv("PARAPET_BINDIR");
	char bin[512];
	struct box b;
	int fd, i;

	(void)state;
	h_init(&h, true, 0);
	snprintf(pfkey_path, sizeof(pfkey_path), "%s/pfkey.sock", h.dir);
	snprintf(log_path, sizeof(log_path), "%s/keyd.log", h.dir);
	tc_create(&h, &ipsecd, "ipsecd");
	tc_create(&h, &policyd, "policyd");
	assert_int_equal(bus_client_on(policyd.c,
	    PARAPET__MSG_TYPE__MSG_SPD_PFKEY_REQUEST, on_spd_request, NULL),
	    0);
	assert_int_equal(bus_subscribe(ipsecd.c, "sa"), 0);
	assert_int_equal(bus_client_on(ipsecd.c,
	    PARAPET__MSG_TYPE__MSG_SA_CHANGE_EVENT, on_sa_event, NULL), 0);
	assert_int_equal(bus_client_on(ipsecd.c,
	    PARAPET__MSG_TYPE__MSG_SA_CHANGE_BATCH_EVENT, on_sa_batch, NULL),
	    0);
	assert_int_equal(bus_client_on(ipsecd.c,
	    PARAPET__MSG_TYPE__MSG_ACQUIRE_DONE_EVENT, on_done_event, NULL),
	    0);
	WAIT(&h, ipsecd.connects > 0);

	snprintf(bin, sizeof(bin), "%s/keyd", bindir != NULL ? bindir : ".");
	if ((keyd_pid = fork()) < 0)
		return -1;
	if (keyd_pid == 0) {
		int lfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (lfd >= 0) {
			dup2(lfd, 2);
			close(lfd);
		}
		execl(bin, "keyd", "-d", "-s", h.path, (char *)NULL);
		_exit(127);
	}
	/* keyd is up once it answers a ping through the broker. */
	for (i = 0; i < 500; i++) {
		ping(&h, ipsecd.c, "keyd", &b);
		if (b.error == 0)
			break;
		h_spin(&h, 20);
	}
	assert_int_equal(b.error, 0);
	for (i = 0; i < 500 && (fd = pf_open()) < 0; i++)
		h_spin(&h, 20);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	int status = -1, i, got = 0;

	(void)state;
	if (keyd_pid > 0) {
		kill(keyd_pid, SIGTERM);
		for (i = 0; i < 500 && (got = waitpid(keyd_pid, &status,
		    WNOHANG)) == 0; i++)
			h_spin(&h, 10);
		if (got == 0) {
			kill(keyd_pid, SIGKILL);
			waitpid(keyd_pid, &status, 0);
		}
	}
	if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		FILE *f = fopen(log_path, "r");
		char line[512];

		fprintf(stderr, "keyd exit status %d; its log:\n", status);
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			fputs(line, stderr);
		if (f != NULL)
			fclose(f);
	}
	unlink(log_path);
	unlink(pfkey_path);
	tc_destroy(&ipsecd);
	tc_destroy(&policyd);
	h_fini(&h);
	return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
	    0 : -1;
}

/* ---- tests ---- */

static int
km_open(void)
{
	struct pfkey_msg m, r;
	int fd = pf_open();

	assert_true(fd >= 0);
	hdr(&m, P(REGISTER), ESP, 1);
	pf_request(fd, &m, 0, &r);
	return fd;
}

/* SADB_ACQUIRE as Linux lays it out, for policy 7. */
static void
check_acquire_msg(const struct pfkey_msg *m, uint32_t seq)
{
	struct pfkey_comb c;
	bool chacha = false;
	size_t i;

	assert_int_equal(m->hdr.satype, ESP);
	assert_int_equal(m->hdr.seq, seq);
	assert_int_equal(m->hdr.pid, 0);
	assert_true(pfkey_msg_has(m, P(EXT_ADDRESS_SRC)));
	assert_true(pfkey_msg_has(m, P(EXT_ADDRESS_DST)));
	assert_memory_equal(m->src.sa.addr, ip_a, 4);
	assert_memory_equal(m->dst.sa.addr, ip_b, 4);
	assert_true(pfkey_msg_has(m, P(X_EXT_POLICY)));
	assert_int_equal(m->policy.id, 7);
	assert_int_equal(m->policy.dir, PARAPET_IPSEC_DIR_OUTBOUND);
	assert_int_equal(m->policy.type, PARAPET_IPSEC_POLICY_IPSEC);
	assert_true(pfkey_msg_has(m, P(EXT_PROPOSAL)));
	assert_true(m->prop.ncombs >= 2);
	for (i = 0; i < m->prop.ncombs; i++) {
		pfkey_prop_comb(&m->prop, i, &c);
		if (c.encrypt == P(X_EALG_CHACHA20POLY1305)) {
			chacha = true;
			assert_int_equal(c.auth, 0);
			assert_int_equal(c.encrypt_minbits, 288);
		}
	}
	assert_true(chacha);
}

static void
test_acquire_refused(void **state)
{
	struct pfkey_msg m;
	struct answer a;
	uint32_t seq;
	int km;

	(void)state;
	km = km_open();
	acquire(7, 3, &a);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.status, PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT);
	assert_int_equal(a.recipients, 1);
	seq = a.seq;
	assert_int_not_equal(seq, 0);
	pf_recv_type(km, P(ACQUIRE), &m);
	check_acquire_msg(&m, seq);

	/* While it is outstanding: suppressed, nothing sent. */
	acquire(7, 3, &a);
	assert_int_equal(a.status,
	    PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_PENDING);
	assert_int_equal(a.seq, seq);
	assert_int_equal(pf_count(km, P(ACQUIRE), 200), 0);

	/* The key manager gives up: header only, errno set, no reply. */
	ndones = 0;
	hdr(&m, P(ACQUIRE), ESP, seq);
	m.hdr.msg_errno = ENOENT;
	pf_send(km, &m);
	WAIT(&h, ndones == 1);
	assert_int_equal(dones[0].seq, seq);
	assert_int_equal(dones[0].policy_id, 7);
	assert_int_equal(dones[0].result,
	    PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_REFUSED);
	assert_int_equal(dones[0].error, ENOENT);
	assert_int_equal(pf_count(km, P(ACQUIRE), 200), 0);

	/* Cancelled: a new request is a new acquire. */
	acquire(7, 3, &a);
	assert_int_equal(a.status, PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT);
	assert_int_not_equal(a.seq, seq);
	pf_recv_type(km, P(ACQUIRE), &m);
	check_acquire_msg(&m, a.seq);
	hdr(&m, P(ACQUIRE), ESP, a.seq);
	m.hdr.msg_errno = EINVAL;
	pf_send(km, &m);
	WAIT(&h, ndones == 2);
	close(km);
}

static void
test_acquire_installed(void **state)
{
	struct pfkey_msg m, r;
	struct answer a;
	uint32_t seq, spi;
	int km;

	(void)state;
	km = km_open();
	acquire(8, 4, &a);
	assert_int_equal(a.status, PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT);
	seq = a.seq;
	pf_recv_type(km, P(ACQUIRE), &m);
	/* The key manager negotiates: GETSPI and UPDATE with the seq. */
	hdr(&m, P(GETSPI), ESP, seq);
	m.present = BIT(P(EXT_ADDRESS_SRC)) | BIT(P(EXT_ADDRESS_DST));
	addr4(&m.src, ip_a);
	addr4(&m.dst, ip_b);
	pf_request(km, &m, 0, &r);
	spi = r.sa.spi;
	nseen = 0;
	ndones = 0;
	sa_msg(&m, P(UPDATE), spi, seq, 4);
	pf_request(km, &m, 0, &r);
	WAIT(&h, ndones == 1 && nseen == 1);
	assert_int_equal(dones[0].seq, seq);
	assert_int_equal(dones[0].result,
	    PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_INSTALLED);
	assert_int_equal(seen[0].change, PARAPET__SA_CHANGE__SA_CHANGE_INSTALL);
	assert_int_equal(seen[0].spi, spi);
	assert_int_equal(seen[0].reqid, 4);
	assert_int_equal(seen[0].state, PARAPET__SA_STATE__SA_STATE_MATURE);
	assert_int_equal(seen[0].enc_alg, P(X_EALG_CHACHA20POLY1305));
	assert_int_equal(seen[0].enc_key_len, 36);
	assert_true(seen[0].esn);
	assert_int_not_equal(seen[0].generation, 0);

	/* A usable SA is there: no ACQUIRE. */
	acquire(8, 4, &a);
	assert_int_equal(a.status,
	    PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SA_EXISTS);
	assert_int_equal(pf_count(km, P(ACQUIRE), 200), 0);
	close(km);
}

/* Three SAs (the third with byte limits) and a larval one: its generation. */
static uint64_t
sync_add_sas(int km)
{
	struct pfkey_msg m, r;

	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 2);
	pf_request(km, &m, 0, &r);
	barrier();
	nseen = 0;
	sa_msg(&m, P(ADD), 0x2001, 3, 0);
	pf_request(km, &m, 0, &r);
	sa_msg(&m, P(ADD), 0x2002, 4, 0);
	pf_request(km, &m, 0, &r);
	/* Soft at 1000 bytes, hard at 2000. */
	sa_msg(&m, P(ADD), 0x2003, 5, 0);
	m.present |= BIT(P(EXT_LIFETIME_HARD)) | BIT(P(EXT_LIFETIME_SOFT));
	m.lft_hard.bytes = 2000;
	m.lft_soft.bytes = 1000;
	pf_request(km, &m, 0, &r);
	/* A larval SA is not told and not synced. */
	hdr(&m, P(GETSPI), ESP, 6);
	m.present = BIT(P(EXT_ADDRESS_SRC)) | BIT(P(EXT_ADDRESS_DST));
	addr4(&m.src, ip_b);
	addr4(&m.dst, ip_a);
	pf_request(km, &m, 0, &r);
	WAIT(&h, nseen == 3);
	assert_int_equal(seen[2].hard_bytes, 2000);
	return seen[2].generation;
}

/* Sync, two SAs per page; then a cursor that is gone. */
static void
sync_pages(void)
{
	Parapet__SaSyncRequest rq;
	struct answer a;
	size_t total = 0;
	int pages = 0;

	parapet__sa_sync_request__init(&rq);
	rq.max = 2;
	do {
		ask(PARAPET__MSG_TYPE__MSG_SA_SYNC_REQUEST, &rq.base, &a);
		assert_int_equal(a.error, 0);
		assert_true(a.nsas <= 2);
		total += a.nsas;
		pages++;
		rq.cursor = a.cursor;
	} while (!a.sync_done && pages < 10);
	assert_true(a.sync_done);
	assert_int_equal(total, 3);
	assert_int_equal(a.cursor, 0);
	/* A cursor that is gone. */
	rq.cursor = 999;
	ask(PARAPET__MSG_TYPE__MSG_SA_SYNC_REQUEST, &rq.base, &a);
	assert_int_equal(a.error, -ESTALE);
}

/* Usage of SA 0x2003 (generation gen): soft, then hard, then unknown. */
static void
usage_soft_hard(int km, uint64_t gen)
{
	struct pfkey_msg m;
	struct answer a;

	nseen = 0;
	usage(gen, 0x2003, 1500, &a);
	assert_int_equal(a.applied, 1);
	assert_int_equal(a.expired, 0);
	pf_recv_type(km, P(EXPIRE), &m);
	assert_true(pfkey_msg_has(&m, P(EXT_LIFETIME_SOFT)));
	assert_int_equal(m.sa.spi, 0x2003);
	WAIT(&h, nseen == 1);
	assert_int_equal(seen[0].change, PARAPET__SA_CHANGE__SA_CHANGE_UPDATE);
	assert_int_equal(seen[0].state, PARAPET__SA_STATE__SA_STATE_DYING);
	usage(gen, 0x2003, 600, &a);
	assert_int_equal(a.expired, 1);
	pf_recv_type(km, P(EXPIRE), &m);
	assert_true(pfkey_msg_has(&m, P(EXT_LIFETIME_HARD)));
	WAIT(&h, nseen == 2);
	assert_int_equal(seen[1].change, PARAPET__SA_CHANGE__SA_CHANGE_DELETE);
	assert_int_equal(seen[1].reason,
	    PARAPET__SA_DELETE_REASON__SA_DELETE_EXPIRED);
	assert_int_equal(seen[1].enc_key_len, 0);	/* no keys */
	/* Gone: unknown. */
	usage(gen, 0x2003, 1, &a);
	assert_int_equal(a.unknown, 1);
}

/* DELETE, then the same SPI again: a new generation. */
static void
delete_readd(int km)
{
	struct pfkey_msg m, r;
	struct answer a;
	uint64_t old_gen;

	nseen = 0;
	sa_msg(&m, P(DELETE), 0x2001, 7, 0);
	pf_request(km, &m, 0, &r);
	sa_msg(&m, P(ADD), 0x2001, 8, 0);
	pf_request(km, &m, 0, &r);
	WAIT(&h, nseen == 2);
	assert_int_equal(seen[0].change, PARAPET__SA_CHANGE__SA_CHANGE_DELETE);
	assert_int_equal(seen[0].reason,
	    PARAPET__SA_DELETE_REASON__SA_DELETE_REQUEST);
	old_gen = seen[0].generation;
	assert_int_equal(seen[1].change, PARAPET__SA_CHANGE__SA_CHANGE_INSTALL);
	assert_true(seen[1].generation > old_gen);
	/* Usage under the old generation does not touch the new SA. */
	usage(old_gen, 0x2001, 10, &a);
	assert_int_equal(a.unknown, 1);
	usage(seen[1].generation, 0x2001, 10, &a);
	assert_int_equal(a.applied, 1);
}

static void
test_sync_usage_delete(void **state)
{
	struct pfkey_msg m, r;
	uint64_t gen;
	int km;

	(void)state;
	km = km_open();
	gen = sync_add_sas(km);
	sync_pages();
	usage_soft_hard(km, gen);
	delete_readd(km);

	/* FLUSH tells each usable SA (two), not the larval one: one frame. */
	nseen = 0;
	nbatches = 0;
	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 9);
	pf_request(km, &m, 0, &r);
	WAIT(&h, nseen == 2);
	h_spin(&h, 100);
	assert_int_equal(nseen, 2);
	assert_int_equal(nbatches, 1);
	assert_int_equal(seen[0].reason,
	    PARAPET__SA_DELETE_REASON__SA_DELETE_FLUSH);
	assert_int_equal(seen[1].reason,
	    PARAPET__SA_DELETE_REASON__SA_DELETE_FLUSH);
	close(km);
}

/*
 * Pipelined requests (keyd reads them in batches and tells ipsecd a
 * batch's changes in one frame): every reply in order with its seq, and
 * every change in order, each INSTALL with its own key, also when an SA
 * is deleted in the same batch as it was added (keyd keeps copies of the
 * keys until the frame goes).
 */
#define PIPE_N		40
#define PIPE_DEL_AT	10	/* after this ADD, DELETE of PIPE_DEL_SPI */
#define PIPE_DEL_SPI	0x3005u

static void
test_pipelined_batch(void **state)
{
	static uint8_t keys[PIPE_N][36];
	struct pfkey_msg m, r;
	uint32_t spi, seq = 1000;
	int km, i, k;

	(void)state;
	km = km_open();
	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 2);
	pf_request(km, &m, 0, &r);
	barrier();
	nseen = 0;
	nbatches = 0;
	for (i = 0; i < PIPE_N; i++) {
		sa_msg(&m, P(ADD), 0x3000u + (uint32_t)i, seq++, 0);
		memset(keys[i], 0x40 + i, sizeof(keys[i]));
		m.key_encrypt.data = keys[i];
		pf_send(km, &m);
		if (i == PIPE_DEL_AT) {
			sa_msg(&m, P(DELETE), PIPE_DEL_SPI, seq++, 0);
			pf_send(km, &m);
		}
	}
	/* Replies in request order (the ADD broadcasts reach km too). */
	for (k = 0; k < PIPE_N + 1; k++) {
		pf_recv_type(km, k == PIPE_DEL_AT + 1 ? P(DELETE) : P(ADD),
		    &r);
		assert_int_equal(r.hdr.msg_errno, 0);
		assert_int_equal(r.hdr.seq, 1000 + k);
	}
	WAIT(&h, nseen == PIPE_N + 1);
	h_spin(&h, 100);
	assert_int_equal(nseen, PIPE_N + 1);
	for (k = 0, i = 0; k < PIPE_N + 1; k++) {
		if (k == PIPE_DEL_AT + 1) {
			assert_int_equal(seen[k].change,
			    PARAPET__SA_CHANGE__SA_CHANGE_DELETE);
			assert_int_equal(seen[k].spi, PIPE_DEL_SPI);
			assert_int_equal(seen[k].enc_key_len, 0);
			continue;
		}
		spi = 0x3000u + (uint32_t)i;
		assert_int_equal(seen[k].change,
		    PARAPET__SA_CHANGE__SA_CHANGE_INSTALL);
		assert_int_equal(seen[k].spi, spi);
		assert_int_equal(seen[k].enc_key_len, 36);
		assert_int_equal(seen[k].enc_key0, 0x40 + i);
		i++;
	}
	print_message("pipelined: %d changes in %d batch frames\n", nseen,
	    nbatches);
	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 3);
	pf_request(km, &m, 0, &r);
	close(km);
}

/*
 * An X_SPD* request goes to policyd; the requests the client sent after
 * it (read by keyd in the same batch, kept in the connection's backlog)
 * are answered only after policyd's answer, in order.
 */
static void
test_spd_backlog(void **state)
{
	Parapet__SpdPfkeyReply rep;
	struct pfkey_msg m, r, spd, add, get;
	const struct pfkey_msg *three[3] = { &spd, &add, &get };
	int km;

	(void)state;
	km = km_open();
	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 2);
	pf_request(km, &m, 0, &r);
	policyd.held = 0;
	hdr(&spd, P(X_SPDFLUSH), P(SATYPE_UNSPEC), 50);
	sa_msg(&add, P(ADD), 0x4000, 51, 0);
	sa_msg(&get, P(GET), 0x4000, 52, 0);
	pf_send_many(km, three, 3);	/* one batch for keyd, most likely */
	WAIT(&h, policyd.held == 1);
	/* Nothing for the client while policyd has not answered. */
	assert_int_equal(pf_count(km, P(ADD), 200), 0);
	parapet__spd_pfkey_reply__init(&rep);
	rep.error = EEXIST;
	assert_int_equal(bus_reply_to(policyd.c, policyd.held_src,
	    policyd.held_corr, 0, PARAPET__MSG_TYPE__MSG_SPD_PFKEY_REPLY,
	    &rep.base), 0);
	pf_recv_type(km, P(X_SPDFLUSH), &r);
	assert_int_equal(r.hdr.seq, 50);
	assert_int_equal(r.hdr.msg_errno, EEXIST);
	pf_recv_type(km, P(ADD), &r);
	assert_int_equal(r.hdr.seq, 51);
	assert_int_equal(r.hdr.msg_errno, 0);
	pf_recv_type(km, P(GET), &r);
	assert_int_equal(r.hdr.seq, 52);
	assert_int_equal(r.hdr.msg_errno, 0);
	print_message("spd backlog: pfkey.backlog %llu\n",
	    (unsigned long long)keyd_counter("pfkey.backlog"));
	hdr(&m, P(FLUSH), P(SATYPE_UNSPEC), 3);
	pf_request(km, &m, 0, &r);
	close(km);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acquire_refused),
		cmocka_unit_test(test_acquire_installed),
		cmocka_unit_test(test_sync_usage_delete),
		cmocka_unit_test(test_pipelined_batch),
		cmocka_unit_test(test_spd_backlog),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
