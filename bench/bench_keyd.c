/*
 * bench_keyd.c - keyd's PF_KEY throughput and latency, two ways in the
 * same run: through the real keyd binary over its PF_KEY socket (one
 * client, SOCK_SEQPACKET), and through the pure core alone (the same
 * datagrams into pfkey_msg_parse() + keyd_core_request() + the SADB, no
 * socket), with the ratio socket / core printed.
 *
 *   SADB_ADD/s     core; socket one at a time (send, wait for the reply,
 *                  as setkey does); socket pipelined (a window of 64
 *                  requests in flight), with one send() and recv() per
 *                  message, and with a batching client (sendmmsg() and
 *                  recvmmsg(), as an IKE daemon installing many SAs can)
 *   SADB_GET       round-trip latency, median and p99, at 1 k and 1 M SAs
 *   GETSPI/s       socket, one at a time and pipelined
 *   DUMP           of 1 M SAs through the socket: time to the seq-0 reply
 *   memory         keyd's RSS growth per SA for 1 M SAs (and the core's
 *                  sadb_memory() per SA)
 *
 * keyd runs on a broker this program hosts in a child process (so SA
 * changes are published on the bus as in production; nobody subscribes).
 * SAs: ESP ChaCha20-Poly1305 (36-byte key), 10.0.0.1 -> 10.0.0.2, with
 * hard and soft lifetimes and X_SA2. Needs root (keyd's PF_KEY socket
 * admits uid 0). Usage: bench_keyd [SAs, default 1000000]; PARAPET_BINDIR
 * names the directory of the keyd binary (default: next to this one,
 * ../bin). Seed: PARAPET_SEED. BENCH_KEYD_ADD_ONLY=1: stop after the ADD
 * figures; BENCH_KEYD_NO_BROKER=1: keyd without a broker.
 *
 * References, measured in the same run with the same client loops: a
 * SOCK_SEQPACKET echo child (one at a time; 64 in flight; batched, the
 * echo itself reading and answering with recvmmsg()/sendmmsg()), i.e.
 * the socket round trip alone, what no server can beat.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bench.h"
#include "bus.h"
#include "pfkey_build.h"
#include "pfkey_dispatch.h"
#include "pfkey_msg.h"
#include "prng.h"
#include "sadb.h"

#define P(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define SPI_BASE	0x1000u
#define WINDOW		64
#define MMSG_MAX	64	/* the batching client's and echo's batch */
#define GET_SAMPLES	20000
#define SMALL		1000

static uint64_t rng;
static char dir[64], bus_path[96], pf_path[96];
static pid_t broker_pid = -1, keyd_pid = -1;

static const uint8_t key36[36] = { 0x11, 0x22, 0x33, 0x44 };

/* ---- datagrams ---- */

static void
hdr(struct pfkey_msg *m, uint8_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = P(SATYPE_ESP);
	m->hdr.seq = seq;
	m->hdr.pid = (uint32_t)getpid();
}

static void
addr4(struct pfkey_address *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = 32;
	a->sa.family = AF_INET;
	a->sa.addr[0] = 10;
	a->sa.addr[3] = last;
}

/* ADD, GET or DELETE of SA spi; returns the datagram's length. */
static size_t
build(uint8_t type, uint32_t spi, uint8_t *buf, size_t cap)
{
	struct pfkey_msg m;
	size_t len;

	hdr(&m, type, spi);
	m.present = BIT(P(EXT_SA)) | BIT(P(EXT_ADDRESS_SRC)) |
	    BIT(P(EXT_ADDRESS_DST));
	m.sa.spi = spi;
	addr4(&m.src, 1);
	addr4(&m.dst, 2);
	if (type == P(ADD)) {
		m.sa.state = P(SASTATE_MATURE);
		m.sa.encrypt = P(X_EALG_CHACHA20POLY1305);
		m.sa.replay = 32;
		m.present |= BIT(P(EXT_KEY_ENCRYPT)) | BIT(P(X_EXT_SA2)) |
		    BIT(P(EXT_LIFETIME_HARD)) | BIT(P(EXT_LIFETIME_SOFT));
		m.key_encrypt.bits = 288;
		m.key_encrypt.data = key36;
		m.key_encrypt.len_bytes = sizeof(key36);
		m.sa2.mode = PARAPET_IPSEC_MODE_TRANSPORT;
		m.sa2.reqid = spi & 0xffff;
		m.lft_hard.addtime = 86400;
		m.lft_hard.bytes = 1ull << 40;
		m.lft_soft.addtime = 72000;
		m.lft_soft.bytes = 1ull << 39;
	}
	if (pfkey_build_msg(&m, buf, cap, &len) != 0)
		fatalx("cannot build a datagram");
	return len;
}

static size_t
build_getspi(uint32_t seq, uint8_t *buf, size_t cap)
{
	struct pfkey_msg m;
	size_t len;

	hdr(&m, P(GETSPI), seq);
	m.present = BIT(P(EXT_ADDRESS_SRC)) | BIT(P(EXT_ADDRESS_DST));
	addr4(&m.src, 3);
	addr4(&m.dst, 4);
	if (pfkey_build_msg(&m, buf, cap, &len) != 0)
		fatalx("cannot build a datagram");
	return len;
}

static size_t
build_hdr_only(uint8_t type, uint8_t satype, uint32_t seq, uint8_t *buf,
    size_t cap)
{
	struct pfkey_msg m;
	size_t len;

	hdr(&m, type, seq);
	m.hdr.satype = satype;
	if (pfkey_build_msg(&m, buf, cap, &len) != 0)
		fatalx("cannot build a datagram");
	return len;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
lat_print(const char *what, uint64_t *v, size_t n)
{
	size_t mid = n / 2, p99 = n * 99 / 100;

	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%-44s median %7.2f us  p99 %7.2f us  (%zu samples)\n", what,
	    (double)v[mid] / 1e3, (double)v[p99] / 1e3, n);
}

/* ---- the core alone ---- */

static size_t core_sent;

static void
core_send(const struct keyd_out *o, void *arg)
{
	(void)o;
	(void)arg;
	core_sent++;
}

static void
core_rnd(void *buf, size_t len, void *arg)
{
	uint8_t *p = buf;
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)prng_next(&rng);
}

/* One request through parse + dispatch; the error it was answered with. */
static int
core_one(struct keyd_core *k, struct keyd_client *cl, const uint8_t *buf,
    size_t len, uint64_t now)
{
	struct keyd_effect eff;
	enum pfkey_reject why;
	struct pfkey_msg m;

	if (pfkey_msg_parse(buf, len, &m, &why) != 0)
		return EINVAL;
	keyd_core_request(k, cl, &m, now, core_send, NULL, &eff);
	return eff.error;
}

static void
core_get_latency(struct keyd_core *k, struct keyd_client *cl, size_t nsas,
    const char *what)
{
	static uint64_t lat[GET_SAMPLES];
	uint8_t buf[512];
	uint64_t t0;
	size_t i, len;

	for (i = 0; i < GET_SAMPLES; i++) {
		len = build(P(GET), SPI_BASE + (uint32_t)prng_below(&rng, nsas),
		    buf, sizeof(buf));
		t0 = now_ns();
		if (core_one(k, cl, buf, len, 1) != 0)
			fatalx("core GET failed");
		lat[i] = now_ns() - t0;
	}
	lat_print(what, lat, GET_SAMPLES);
}

static double
bench_core(size_t n)
{
	struct keyd_client cl = { 0, false };
	struct sadb_limits lim;
	struct keyd_core *k;
	struct sadb_mem mem;
	struct sadb *db;
	uint8_t buf[512];
	uint64_t t0, t;
	size_t i, len;
	double rate;

	memset(&lim, 0, sizeof(lim));
	lim.hash_seed[0] = 1;
	if (sadb_create(&db, &lim) != 0 || (k = malloc(sizeof(*k))) == NULL)
		fatalx("no memory");
	keyd_core_init(k, db, core_rnd, NULL, true);
	/* 1 k SAs, GET latency. */
	for (i = 0; i < SMALL; i++) {
		len = build(P(ADD), SPI_BASE + (uint32_t)i, buf, sizeof(buf));
		if (core_one(k, &cl, buf, len, 1) != 0)
			fatalx("core ADD failed");
	}
	core_get_latency(k, &cl, SMALL, "core GET, 1 k SAs");
	len = build_hdr_only(P(FLUSH), 0, 1, buf, sizeof(buf));
	(void)core_one(k, &cl, buf, len, 1);
	/* n SAs: ADD rate (building the datagram is outside the clock). */
	t = 0;
	for (i = 0; i < n; i++) {
		len = build(P(ADD), SPI_BASE + (uint32_t)i, buf, sizeof(buf));
		t0 = now_ns();
		if (core_one(k, &cl, buf, len, 1) != 0)
			fatalx("core ADD failed");
		t += now_ns() - t0;
	}
	rate = (double)n / ((double)t / 1e9);
	printf("%-44s %10.0f /s\n", "core ADD (parse + dispatch + SADB)", rate);
	core_get_latency(k, &cl, n, "core GET, all SAs");
	sadb_memory(db, &mem);
	printf("%-44s %10.1f B/SA (records %.1f, indexes %.1f, keys %.1f)\n",
	    "core sadb_memory()", (double)mem.total_bytes / (double)n,
	    (double)mem.sa_bytes / (double)n,
	    (double)mem.index_bytes / (double)n,
	    (double)mem.key_bytes / (double)n);
	sadb_destroy(db);
	free(k);
	return rate;
}

/* ---- keyd and its broker ---- */

static void
start_broker(void)
{
	if ((broker_pid = fork()) < 0)
		fatal("fork");
	if (broker_pid == 0) {
		struct bus_broker_cfg cfg;
		struct bus_broker *b;
		uv_loop_t loop;

		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		memset(&cfg, 0, sizeof(cfg));
		cfg.path = bus_path;
		cfg.instance = dir;
		if (uv_loop_init(&loop) != 0 ||
		    bus_broker_create(&loop, &cfg, &b) != 0)
			_exit(1);
		uv_run(&loop, UV_RUN_DEFAULT);
		_exit(0);
	}
}

static int
pf_connect(void)
{
	struct sockaddr_un sun;
	int fd, sz = 4 << 20;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", pf_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static int
start_keyd(const char *argv0)
{
	const char *bindir = getenv("PARAPET_BINDIR"), *slash;
	char bin[512];
	int fd, i;

	/* Default: next to this program (both are in build/bin). */
	if (bindir != NULL)
		snprintf(bin, sizeof(bin), "%s/keyd", bindir);
	else if ((slash = strrchr(argv0, '/')) != NULL)
		snprintf(bin, sizeof(bin), "%.*s/keyd", (int)(slash - argv0),
		    argv0);
	else
		snprintf(bin, sizeof(bin), "./keyd");
	if ((keyd_pid = fork()) < 0)
		fatal("fork");
	if (keyd_pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (nul >= 0)
			dup2(nul, 2);
		execl(bin, "keyd", "-s", bus_path, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {
		if ((fd = pf_connect()) >= 0)
			return fd;
		usleep(10000);
	}
	fatalx("keyd did not listen on %s (binary %s)", pf_path, bin);
}

static long
rss_kib(pid_t pid)
{
	static const char key[] = "VmRSS:";
	char path[64], line[256], *end;
	long kib = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, sizeof(key) - 1) != 0)
			continue;
		errno = 0;
		v = strtol(line + sizeof(key) - 1, &end, 10);
		if (errno == 0 && end != line + sizeof(key) - 1) {
			kib = v;
			break;
		}
	}
	fclose(f);
	return kib;
}

/*
 * CPU time (user + system) of a process so far, in µs (clock ticks, so
 * 10 ms steps: phases of 30 k requests or more). Less sensitive to the
 * load of a shared machine than the wall clock: what keyd (and the
 * broker, which takes its SaChangeEvents) spends per request.
 */
static double
cpu_us(pid_t pid)
{
	char path[64], line[1024], *p, *end;
	unsigned long ut, st;
	FILE *f;
	int i;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* After the command's closing parenthesis: fields 3, 4, ... */
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return 0;
	for (i = 0; i < 11 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	ut = strtoul(p, &end, 10);
	st = strtoul(end, &end, 10);
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

struct cpu_mark {
	double	keyd;
	double	broker;
};

static void
cpu_mark(struct cpu_mark *m)
{
	m->keyd = cpu_us(keyd_pid);
	m->broker = cpu_us(broker_pid);
}

/* Since a, per request: "keyd X us, broker Y us". */
static void
cpu_print(const char *what, const struct cpu_mark *a, size_t n)
{
	struct cpu_mark b;

	cpu_mark(&b);
	printf("%-44s keyd %6.2f us  broker %6.2f us  (CPU per request)\n",
	    what, (b.keyd - a->keyd) / (double)n,
	    (b.broker - a->broker) / (double)n);
}

/* ---- over the socket ---- */

static uint8_t rbuf[PFKEY_MSG_MAX_BYTES];

/* Receive until a reply of type; its errno. */
static int
recv_reply(int fd, uint8_t type)
{
	for (;;) {
		if (recv(fd, rbuf, sizeof(rbuf), 0) < 16)
			fatal("recv");
		if (rbuf[1] == type)
			return rbuf[2];
	}
}

static void
xsend(int fd, const uint8_t *buf, size_t len)
{
	if (send(fd, buf, len, 0) != (ssize_t)len)
		fatal("send");
}

/* ---- the floor: a SOCK_SEQPACKET echo of the same datagrams ---- */

static double	batched_run(int, size_t, size_t, uint8_t,
		    size_t (*)(uint32_t, uint8_t *, size_t), uint32_t);
static size_t	make_echo(uint32_t, uint8_t *, size_t);
static void	echo_batched(int);

/*
 * A child that answers each datagram with itself, as fast as the kernel
 * lets a process: the cost of the socket round trip alone (two
 * processes, four system calls per message), which keyd cannot beat.
 */
static double
echo_rate(size_t n, size_t window, bool batched)
{
	uint8_t buf[512];
	size_t len, sent = 0, done = 0;
	int sv[2], sz = 4 << 20;
	uint64_t t0;
	pid_t pid;
	ssize_t r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		fatal("socketpair");
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		if (batched)
			echo_batched(sv[1]);
		while ((r = recv(sv[1], buf, sizeof(buf), 0)) > 0)
			if (send(sv[1], buf, (size_t)r, 0) != r)
				break;
		_exit(0);
	}
	close(sv[1]);
	if (batched) {
		/* The same datagram every time, as below. */
		double rate = batched_run(sv[0], n, window, P(ADD),
		    make_echo, SPI_BASE);

		close(sv[0]);
		waitpid(pid, NULL, 0);
		return rate;
	}
	len = build(P(ADD), SPI_BASE, buf, sizeof(buf));
	t0 = now_ns();
	while (done < n) {
		while (sent < n && sent - done < window) {
			xsend(sv[0], buf, len);
			sent++;
		}
		if (recv(sv[0], rbuf, sizeof(rbuf), 0) <= 0)
			fatal("echo recv");
		done++;
	}
	t0 = now_ns() - t0;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return (double)n / ((double)t0 / 1e9);
}

/* ---- batches: sendmmsg()/recvmmsg() ---- */

struct mbatch {
	struct mmsghdr	v[MMSG_MAX];
	struct iovec	iov[MMSG_MAX];
	uint8_t		buf[MMSG_MAX][512];
};

static struct mbatch sb, rb;

static void
mbatch_init(struct mbatch *b)
{
	size_t i;

	memset(b->v, 0, sizeof(b->v));
	for (i = 0; i < MMSG_MAX; i++) {
		b->iov[i].iov_base = b->buf[i];
		b->iov[i].iov_len = sizeof(b->buf[i]);
		b->v[i].msg_hdr.msg_iov = &b->iov[i];
		b->v[i].msg_hdr.msg_iovlen = 1;
	}
}

/* sendmmsg() of k datagrams whose lengths are in b->iov; all of them. */
static void
xsendmmsg(int fd, struct mbatch *b, unsigned int k)
{
	unsigned int done = 0;
	int n;

	while (done < k) {
		n = sendmmsg(fd, b->v + done, k - done, 0);
		if (n <= 0)
			fatal("sendmmsg");
		done += (unsigned int)n;
	}
}

/* Block for at least one datagram, take what is there (up to k). */
static unsigned int
xrecvmmsg(int fd, struct mbatch *b, unsigned int k)
{
	unsigned int i;
	int n;

	for (i = 0; i < k; i++)
		b->iov[i].iov_len = sizeof(b->buf[i]);
	n = recvmmsg(fd, b->v, k, MSG_WAITFORONE, NULL);
	if (n <= 0)
		fatal("recvmmsg");
	return (unsigned int)n;
}

/* The echo child, batched: what it reads it sends back at once. */
static void
echo_batched(int fd)
{
	unsigned int n, i;

	mbatch_init(&rb);
	for (;;) {
		n = xrecvmmsg(fd, &rb, MMSG_MAX);
		for (i = 0; i < n; i++) {
			if (rb.v[i].msg_len == 0)
				_exit(0);
			rb.iov[i].iov_len = rb.v[i].msg_len;
		}
		xsendmmsg(fd, &rb, n);
	}
}

/*
 * n requests with window in flight, sent with sendmmsg() and read with
 * recvmmsg(); make(spi, buf, cap) builds one. Replies of another type
 * than type are not counted (there are none with one client).
 */
static double
batched_run(int fd, size_t n, size_t window, uint8_t type,
    size_t (*make)(uint32_t, uint8_t *, size_t), uint32_t base)
{
	size_t sent = 0, done = 0, k;
	unsigned int got, i;
	uint64_t t0 = now_ns();

	mbatch_init(&sb);
	mbatch_init(&rb);
	while (done < n) {
		for (k = 0; sent < n && sent - done < window && k < MMSG_MAX;
		    k++, sent++)
			sb.iov[k].iov_len = make(base + (uint32_t)sent,
			    sb.buf[k], sizeof(sb.buf[k]));
		if (k > 0)
			xsendmmsg(fd, &sb, (unsigned int)k);
		got = xrecvmmsg(fd, &rb, MMSG_MAX);
		for (i = 0; i < got; i++) {
			if (rb.v[i].msg_len < 16 || rb.buf[i][1] != type)
				continue;
			if (rb.buf[i][2] != 0)
				fatalx("request refused: errno %u",
				    rb.buf[i][2]);
			done++;
		}
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

static size_t
make_add(uint32_t spi, uint8_t *buf, size_t cap)
{
	return build(P(ADD), spi, buf, cap);
}

static size_t
make_echo(uint32_t spi, uint8_t *buf, size_t cap)
{
	(void)spi;
	return build(P(ADD), SPI_BASE, buf, cap);
}

/* n ADDs from spi0, one at a time or window in flight; rate. */
static double
sock_add(int fd, uint32_t spi0, size_t n, size_t window)
{
	uint8_t buf[512];
	size_t sent = 0, done = 0, len;
	uint64_t t0 = now_ns();

	while (done < n) {
		while (sent < n && sent - done < window) {
			len = build(P(ADD), spi0 + (uint32_t)sent, buf,
			    sizeof(buf));
			xsend(fd, buf, len);
			sent++;
		}
		if (recv_reply(fd, P(ADD)) != 0)
			fatalx("ADD refused");
		done++;
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

/*
 * n GETSPIs between 10.0.0.3 and 10.0.0.4 (larval SAs), seq 0 (setkey)
 * or distinct non-zero seqs (racoon, strongSwan): those are checked
 * against the larval SAs of the pair (RFC 2367 §3.1.1 "ask again").
 */
static double
sock_getspi(int fd, size_t n, size_t window, bool with_seq)
{
	uint8_t buf[512];
	size_t sent = 0, done = 0, len;
	uint64_t t0 = now_ns();

	while (done < n) {
		while (sent < n && sent - done < window) {
			len = build_getspi(with_seq ? (uint32_t)sent + 1 : 0,
			    buf, sizeof(buf));
			xsend(fd, buf, len);
			sent++;
		}
		if (recv_reply(fd, P(GETSPI)) != 0)
			fatalx("GETSPI refused");
		done++;
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

static void
sock_get_latency(int fd, size_t nsas, const char *what)
{
	static uint64_t lat[GET_SAMPLES];
	uint8_t buf[512];
	uint64_t t0;
	size_t i, len;

	for (i = 0; i < GET_SAMPLES; i++) {
		len = build(P(GET), SPI_BASE + (uint32_t)prng_below(&rng, nsas),
		    buf, sizeof(buf));
		t0 = now_ns();
		xsend(fd, buf, len);
		if (recv_reply(fd, P(GET)) != 0)
			fatalx("GET failed");
		lat[i] = now_ns() - t0;
	}
	lat_print(what, lat, GET_SAMPLES);
}

/*
 * n DELETEs one at a time of the oldest SAs (spi0 on): every SA of the
 * bench is between the same two hosts, so each is on one pair chain as
 * long as the SADB (the DELETE of an old one used to walk it).
 */
static double
sock_delete(int fd, uint32_t spi0, size_t n)
{
	uint8_t buf[512];
	uint64_t t0 = now_ns();
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = build(P(DELETE), spi0 + (uint32_t)i, buf, sizeof(buf));
		xsend(fd, buf, len);
		if (recv_reply(fd, P(DELETE)) != 0)
			fatalx("DELETE failed");
	}
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

static void
sock_flush(int fd)
{
	uint8_t buf[64];
	size_t len = build_hdr_only(P(FLUSH), 0, 7, buf, sizeof(buf));

	xsend(fd, buf, len);
	if (recv_reply(fd, P(FLUSH)) != 0)
		fatalx("FLUSH failed");
}

/* DUMP of everything: replies until seq 0; time, count. */
static void
sock_dump(int fd, size_t expect)
{
	uint8_t buf[64];
	size_t len = build_hdr_only(P(DUMP), P(SATYPE_ESP), 9, buf, sizeof(buf));
	size_t count = 0;
	uint64_t t0 = now_ns();
	uint32_t seq;
	double s;

	xsend(fd, buf, len);
	for (;;) {
		if (recv(fd, rbuf, sizeof(rbuf), 0) < 16)
			fatal("recv");
		if (rbuf[1] != P(DUMP))
			continue;
		if (rbuf[2] != 0)
			fatalx("DUMP failed: errno %u", rbuf[2]);
		count++;
		memcpy(&seq, rbuf + 8, sizeof(seq));
		if (seq == 0)
			break;
	}
	s = (double)(now_ns() - t0) / 1e9;
	printf("%-44s %10.2f s  (%zu SAs, %.0f /s)%s\n", "socket DUMP", s,
	    count, (double)count / s, count == expect ? "" : "  MISMATCH");
}

/* Also at exit (fatal()): no child and no directory is left behind. */
static void
cleanup(void)
{
	if (keyd_pid > 0) {
		kill(keyd_pid, SIGTERM);
		waitpid(keyd_pid, NULL, 0);
		keyd_pid = -1;
	}
	if (broker_pid > 0) {
		kill(broker_pid, SIGTERM);
		waitpid(broker_pid, NULL, 0);
		broker_pid = -1;
	}
	if (dir[0] != '\0') {
		unlink(pf_path);
		unlink(bus_path);
		rmdir(dir);
		dir[0] = '\0';
	}
}

int
main(int argc, char **argv)
{
	const char *s = getenv("PARAPET_SEED");
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	double core_rate, sync_rate, pipe_rate, mm_rate, echo1, echo64, echomm;
	struct cpu_mark cm;
	size_t third;
	long rss0, rss1;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rng = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)now_ns();
	printf("bench_keyd: %zu SAs, seed %" PRIu64 "\nbuild: %s\n", n, rng,
	    BENCH_BUILD);
	if (n < (size_t)SMALL * 3)
		n = (size_t)SMALL * 3;

	core_rate = bench_core(n);

	snprintf(dir, sizeof(dir), "/tmp/bench-keyd-XXXXXX");
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(bus_path, sizeof(bus_path), "%s/bus.sock", dir);
	snprintf(pf_path, sizeof(pf_path), "%s/pfkey.sock", dir);
	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	/* BENCH_KEYD_NO_BROKER=1: keyd alone (its events go nowhere). */
	if (getenv("BENCH_KEYD_NO_BROKER") == NULL) {
		start_broker();
		usleep(100000);
	} else
		printf("no broker: keyd publishes nothing\n");
	fd = start_keyd(argv[0]);
	usleep(200000);		/* keyd on the bus */
	rss0 = rss_kib(keyd_pid);

	/* 1 k SAs: one at a time, then GET latency. */
	(void)sock_add(fd, SPI_BASE, SMALL, 1);
	sock_get_latency(fd, SMALL, "socket GET round trip, 1 k SAs");
	sock_flush(fd);
	/*
	 * n SAs: the first third one at a time, the second pipelined with
	 * send()/recv(), the rest pipelined with sendmmsg()/recvmmsg().
	 */
	third = n / 3;
	cpu_mark(&cm);
	sync_rate = sock_add(fd, SPI_BASE, third, 1);
	cpu_print("CPU: ADD one at a time", &cm, third);
	cpu_mark(&cm);
	pipe_rate = sock_add(fd, SPI_BASE + (uint32_t)third, third, WINDOW);
	cpu_print("CPU: ADD 64 in flight", &cm, third);
	cpu_mark(&cm);
	mm_rate = batched_run(fd, n - 2 * third, WINDOW, P(ADD), make_add,
	    SPI_BASE + (uint32_t)(2 * third));
	cpu_print("CPU: ADD 64 in flight, batching client", &cm,
	    n - 2 * third);
	rss1 = rss_kib(keyd_pid);
	echo1 = echo_rate(100000, 1, false);
	echo64 = echo_rate(200000, WINDOW, false);
	echomm = echo_rate(400000, WINDOW, true);
	printf("%-44s %10.0f /s  (ratio to core %.3f, to echo %.3f)\n",
	    "socket ADD, one at a time", sync_rate, sync_rate / core_rate,
	    sync_rate / echo1);
	printf("%-44s %10.0f /s  (ratio to core %.3f, to echo %.3f)\n",
	    "socket ADD, 64 in flight", pipe_rate, pipe_rate / core_rate,
	    pipe_rate / echo64);
	printf("%-44s %10.0f /s  (ratio to core %.3f, to echo %.3f)\n",
	    "socket ADD, 64 in flight, batching client", mm_rate,
	    mm_rate / core_rate, mm_rate / echomm);
	printf("%-44s %10.0f /s\n", "reference: SEQPACKET echo, one at a time",
	    echo1);
	printf("%-44s %10.0f /s\n", "reference: SEQPACKET echo, 64 in flight",
	    echo64);
	printf("%-44s %10.0f /s\n", "reference: SEQPACKET echo, batched",
	    echomm);
	if (getenv("BENCH_KEYD_ADD_ONLY") != NULL)
		return 0;	/* the ADD figures only (cleanup at exit) */
	printf("%-44s %10.1f B/SA  (RSS %ld -> %ld KiB)\n",
	    "keyd RSS growth", (double)(rss1 - rss0) * 1024.0 / (double)n,
	    rss0, rss1);
	sock_get_latency(fd, n, "socket GET round trip, all SAs");
	sock_dump(fd, n);
	printf("%-44s %10ld KiB\n", "keyd RSS after DUMP", rss_kib(keyd_pid));
	printf("%-44s %10.0f /s\n", "socket DELETE of the oldest, 1 at a time",
	    sock_delete(fd, SPI_BASE, 2000));
	printf("%-44s %10.0f /s\n", "socket GETSPI seq 0, one at a time",
	    sock_getspi(fd, 50000, 1, false));
	printf("%-44s %10.0f /s\n", "socket GETSPI seq 0, 64 in flight",
	    sock_getspi(fd, 50000, WINDOW, false));
	sock_flush(fd);
	printf("%-44s %10.0f /s\n", "socket GETSPI with seqs, 5 k, 1 at a time",
	    sock_getspi(fd, 5000, 1, true));
	printf("%-44s %10.0f /s\n", "socket GETSPI with seqs, 20 k more",
	    sock_getspi(fd, 20000, 1, true));
	close(fd);
	cleanup();
	return 0;
}
