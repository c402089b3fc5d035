/*
 * ipsecd_netd.c - a stand-in for netd in ipsecd's end-to-end test
 * (tests/e2e/ipsecd.sh): run by parapetd as [server netd], it takes the
 * ring region as side A through the ordinary handoff (common/server.h)
 * and turns it into a socket a test script can drive:
 *
 *   test script --SOCK_SEQPACKET ($PARAPET_TEST_NETD_SOCK)--> this program
 *       request  id u32 | op u8 | off u16 (0: the headroom) |
 *                metadata block (128 bytes, as netd writes it) | packet
 *   this program: allocate a slot, copy block and packet in, ring_send
 *   ... ipsecd works ...
 *   done ring -> reply  id u32 | op u8 | result i16 | hint u32 | off u16 |
 *                len u16 | flags u8 | slot[0..128) | packet [off, off+len)
 *
 * Everything little-endian. The metadata block is copied as given, so the
 * script can also send broken ones. A request that cannot be placed (no
 * free slot, packet too long) is answered at once with result -ENOBUFS or
 * -EMSGSIZE. Slots ipsecd held when it died come back from its recovery
 * with RING_F_RECOVERED and -ECONNABORTED, and are answered the same way.
 * A burst request (op 0xff, see burst()) sends many copies in one batch
 * and can kill a process as soon as the first of them come back (so it
 * dies in the middle of the batch), for the kill -9 test.
 * A throughput request (op 0xfe, see bench()) keeps the rings full for a
 * while and reports packets per second against AES-GCM in this process.
 * One script connection at a time. For tests only.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "ring.h"
#include "server.h"

#define REQ_HDR		7
#define REP_HDR		16
#define META		128
/* After the first replies; PARAPET_TEST_KILL_DELAY_NS overrides. */
#define KILL_DELAY_NS	15000u
#define BUF_MAX		(65536 + REP_HDR + META)

struct fnetd {
	struct server		*srv;
	struct ring_region	*r;
	const struct ring_geom	*g;
	uint32_t		*ids;		/* request id per slot */
	uint8_t			*op;		/* op per slot */
	int			 lfd, cfd;
	uv_poll_t		 lpoll, rpoll;
	uv_poll_t		*cpoll;		/* the connection's */
	uv_timer_t		 timer;
	uint64_t		 kill_delay_ns;
	uint8_t			 buf[BUF_MAX];
};

static struct fnetd fnetd_g;

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
reply(struct fnetd *f, uint32_t id, uint8_t op, int16_t result,
    uint32_t hint, uint16_t off, uint16_t len, uint8_t flags,
    const uint8_t *slot)
{
	uint8_t *b = f->buf;
	size_t n = REP_HDR;

	if (f->cfd < 0)
		return;
	memset(b, 0, REP_HDR + META);
	put32(b, id);
	b[4] = op;
	put16(b + 5, (uint16_t)result);
	put32(b + 7, hint);
	put16(b + 11, off);
	put16(b + 13, len);
	b[15] = flags;
	if (slot != NULL) {
		memcpy(b + REP_HDR, slot, META);
		memcpy(b + REP_HDR + META, slot + off, len);
		n += META + len;
	} else {
		n += META;
	}
	if (send(f->cfd, b, n, MSG_NOSIGNAL) < 0)
		log_warn("netd-test: send reply");
}

static void
drain(struct fnetd *f)
{
	struct ring_desc d[64];
	uint8_t *slot;
	int n, i;

	for (;;) {
		if ((n = ring_recv(f->r, d, 64)) < 0) {
			log_warnx("netd-test: ring_recv: %s", strerror(-n));
			return;
		}
		for (i = 0; i < n; i++) {
			slot = ring_slot(f->r, d[i].slot);
			reply(f, f->ids[d[i].slot], f->op[d[i].slot],
			    d[i].result, d[i].hint, d[i].off, d[i].len,
			    d[i].flags, slot);
			if (ring_slot_free(f->r, d[i].slot) != 0)
				log_warnx("netd-test: free slot %u",
				    d[i].slot);
		}
		if (n > 0 || ring_pending(f->r) != 0)
			continue;
		if (ring_sleep_prepare(f->r))
			return;
	}
}

static void
on_ring(uv_poll_t *h, int status, int events)
{
	struct fnetd *f = h->data;

	(void)status;
	(void)events;
	ring_sleep_finish(f->r);
	drain(f);
}

static void
on_timer(uv_timer_t *t)
{
	drain(t->data);
}

/*
 * Burst (op 0xff): count u16 | pid u32 | block | packet. count copies go
 * out in one ring_send() (ids id .. id + count - 1, op PROTECT); then, if
 * pid is not 0, that process is killed with SIGKILL as soon as the first
 * descriptors are back, so that it dies in the middle of the batch.
 */
static void
burst(struct fnetd *f, uint32_t id, const uint8_t *b, size_t n)
{
	struct ring_desc d[256];
	uint16_t count, off = (uint16_t)f->g->headroom;
	uint32_t pid, slot;
	unsigned i, k = 0;
	uint64_t t0;
	uint8_t *p;

	if (n < 6 + META)
		return;
	count = (uint16_t)(b[0] | b[1] << 8);
	pid = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 |
	    (uint32_t)b[5] << 24;
	b += 6;
	n -= 6 + META;
	if (count > 256 || (size_t)off + n > f->g->slot_bytes)
		return;
	for (i = 0; i < count; i++) {
		if (ring_slot_alloc(f->r, &slot) != 0) {
			reply(f, id + i, 1, -ENOBUFS, 0, 0, 0, 0, NULL);
			continue;
		}
		p = ring_slot(f->r, slot);
		memcpy(p, b, META);
		memcpy(p + off, b + META, n);
		f->ids[slot] = id + i;
		f->op[slot] = 1;
		memset(&d[k], 0, sizeof(d[k]));
		d[k].slot = slot;
		d[k].off = off;
		d[k].len = (uint16_t)n;
		d[k].op = 1;
		d[k].hint = id + i;
		k++;
	}
	if (k > 0 && ring_send(f->r, d, k) != 0)
		log_warnx("netd-test: burst: ring_send failed");
	/*
	 * Kill once the first batch is back: the process is then working
	 * on the next one (it receives at most 64 at a time).
	 */
	if (pid != 0) {
		for (i = 0; i < 100000000 && ring_pending(f->r) == 0; i++)
			(void)ring_spin(f->r, 1);
		/* ... and has had a few microseconds to start the next. */
		t0 = uv_hrtime();
		while (uv_hrtime() - t0 < f->kill_delay_ns)
			;
		if (kill((pid_t)pid, SIGKILL) != 0)
			log_warn("netd-test: kill %u", pid);
	}
}

/*
 * Throughput (op 0xfe): seconds u16 | block | packet. Every free slot is
 * filled and sent; each one that comes back is refilled (block and
 * packet copied in again, as netd would with a new packet) and sent
 * again, busy-polled, for that long. Then, in this process, as many
 * AES-256-GCM encryptions of the same length in place as fit the same
 * time (the reference of docs/DESIGN.md §10.4's figures). Reply:
 * done u64 | ok u64 | ns u64 | reference count u64 | reference ns u64.
 */
/* One packet into descriptor d: its block and bytes copied in. */
static void
bench_load(struct fnetd *f, struct ring_desc *d, const uint8_t *b, size_t n,
    uint16_t off)
{
	uint8_t *p = ring_slot(f->r, d->slot);

	memcpy(p, b, META);
	memcpy(p + off, b + META, n);
	d->off = off;
	d->len = (uint16_t)n;
	d->op = 1;
	d->result = 0;
	d->flags = 0;
}

/* Fill every free slot (up to 256) and send them; returns how many are
 * in flight. */
static unsigned
bench_start(struct fnetd *f, struct ring_desc *d, const uint8_t *b, size_t n,
    uint16_t off)
{
	unsigned k = 0, i, inflight = 0;
	uint32_t slot;

	while (k < 256 && ring_slot_alloc(f->r, &slot) == 0) {
		memset(&d[k], 0, sizeof(d[k]));
		d[k].slot = slot;
		bench_load(f, &d[k], b, n, off);
		f->ids[slot] = 0;
		k++;
	}
	for (i = 0; i < k; i += 32)
		if (ring_send(f->r, &d[i], k - i < 32 ? k - i : 32) == 0)
			inflight += k - i < 32 ? k - i : 32;
	return inflight;
}

/* Busy-poll until dur has passed: refill and resend what comes back. */
static void
bench_run(struct fnetd *f, struct ring_desc *d, const uint8_t *b, size_t n,
    uint16_t off, uint64_t t0, uint64_t dur, uint64_t *done, uint64_t *ok)
{
	unsigned i, inflight = bench_start(f, d, b, n, off);
	int m;

	while (inflight > 0) {
		if ((m = ring_recv(f->r, d, 64)) <= 0)
			continue;
		inflight -= (unsigned)m;
		*done += (unsigned)m;
		for (i = 0; i < (unsigned)m; i++)
			if (d[i].result == 0)
				(*ok)++;
		if (uv_hrtime() - t0 >= dur) {
			for (i = 0; i < (unsigned)m; i++)
				if (ring_slot_free(f->r, d[i].slot) != 0)
					log_warnx("netd-test: free slot %u",
					    d[i].slot);
			continue;
		}
		for (i = 0; i < (unsigned)m; i++)
			bench_load(f, &d[i], b, n, off);
		if (ring_send(f->r, d, (unsigned)m) == 0)
			inflight += (unsigned)m;
	}
}

/* The reference: AES-256-GCM in place on one buffer, one core, for dur;
 * returns how many packets. */
static uint64_t
bench_ref(const uint8_t *pkt, size_t n, uint64_t dur)
{
	uint8_t key[32], nonce[12], mac[16], *buf;
	crypto_aead_aes256gcm_state st;
	uint64_t t0, ref = 0;
	unsigned i;

	randombytes_buf(key, sizeof(key));
	memset(nonce, 0, sizeof(nonce));
	crypto_aead_aes256gcm_beforenm(&st, key);
	if ((buf = malloc(n + 16)) == NULL)
		return 0;
	memcpy(buf, pkt, n);
	t0 = uv_hrtime();
	while (uv_hrtime() - t0 < dur) {
		for (i = 0; i < 256; i++) {
			nonce[0]++;
			crypto_aead_aes256gcm_encrypt_detached_afternm(buf, mac,
			    NULL, buf, n, NULL, 0, NULL, nonce, &st);
		}
		ref += 256;
	}
	free(buf);
	return ref;
}

static void
bench(struct fnetd *f, uint32_t id, const uint8_t *b, size_t n)
{
	static struct ring_desc d[256];
	uint8_t rep[44];
	uint64_t t0, t1, dur, done = 0, ok = 0, ref;
	uint16_t secs, off = (uint16_t)f->g->headroom;

	if (n < 2 + META)
		return;
	secs = (uint16_t)(b[0] | b[1] << 8);
	b += 2;
	n -= 2 + META;
	if ((size_t)off + n > f->g->slot_bytes || secs == 0 || secs > 10)
		return;
	dur = (uint64_t)secs * 1000000000u;
	t0 = uv_hrtime();
	bench_run(f, d, b, n, off, t0, dur, &done, &ok);
	t1 = uv_hrtime() - t0;
	t0 = uv_hrtime();
	ref = bench_ref(b + META, n, dur);
	memset(rep, 0, sizeof(rep));
	put32(rep, id);
	memcpy(rep + 4, &done, 8);
	memcpy(rep + 12, &ok, 8);
	memcpy(rep + 20, &t1, 8);
	memcpy(rep + 28, &ref, 8);
	t0 = uv_hrtime() - t0;
	memcpy(rep + 36, &t0, 8);
	if (f->cfd >= 0 && send(f->cfd, rep, sizeof(rep), MSG_NOSIGNAL) < 0)
		log_warn("netd-test: bench reply");
}

static void
request(struct fnetd *f, const uint8_t *b, size_t n)
{
	struct ring_desc d;
	uint32_t id, slot;
	uint16_t off;
	uint8_t *p;
	int error;

	if (n < REQ_HDR)
		return;
	id = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	if (b[4] == 0xff) {
		burst(f, id, b + 5, n - 5);
		return;
	}
	if (b[4] == 0xfe) {
		bench(f, id, b + 5, n - 5);
		return;
	}
	if (n < REQ_HDR + META)
		return;
	off = (uint16_t)(b[5] | b[6] << 8);
	if (off == 0)
		off = (uint16_t)f->g->headroom;
	n -= REQ_HDR + META;
	if ((size_t)off + n > f->g->slot_bytes) {
		reply(f, id, b[4], -EMSGSIZE, 0, 0, 0, 0, NULL);
		return;
	}
	if ((error = ring_slot_alloc(f->r, &slot)) != 0) {
		reply(f, id, b[4], (int16_t)error, 0, 0, 0, 0, NULL);
		return;
	}
	p = ring_slot(f->r, slot);
	memcpy(p, b + REQ_HDR, META);
	memcpy(p + off, b + REQ_HDR + META, n);
	f->ids[slot] = id;
	f->op[slot] = b[4];
	memset(&d, 0, sizeof(d));
	d.slot = slot;
	d.off = off;
	d.len = (uint16_t)n;
	d.op = b[4];
	d.hint = id;
	if ((error = ring_send(f->r, &d, 1)) != 0) {
		log_warnx("netd-test: ring_send: %s", strerror(-error));
		if (ring_slot_free(f->r, slot) != 0)
			log_warnx("netd-test: free slot %u", slot);
		reply(f, id, b[4], (int16_t)error, 0, 0, 0, 0, NULL);
	}
}

static void
poll_freed(uv_handle_t *h)
{
	free(h);
}

static void
conn_close(struct fnetd *f)
{
	if (f->cpoll != NULL) {
		uv_close((uv_handle_t *)f->cpoll, poll_freed);
		f->cpoll = NULL;
	}
	if (f->cfd >= 0)
		close(f->cfd);
	f->cfd = -1;
}

static void
on_conn(uv_poll_t *h, int status, int events)
{
	struct fnetd *f = h->data;
	ssize_t n;

	(void)status;
	(void)events;
	n = recv(f->cfd, f->buf, sizeof(f->buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(f);
		return;
	}
	/* reply() reuses f->buf: copy the request out first. */
	{
		uint8_t *req = malloc((size_t)n);

		if (req == NULL)
			return;
		memcpy(req, f->buf, (size_t)n);
		request(f, req, (size_t)n);
		free(req);
	}
	drain(f);
}

static void
on_listen(uv_poll_t *h, int status, int events)
{
	struct fnetd *f = h->data;
	int fd, sndbuf = 16 << 20;

	(void)status;
	(void)events;
	if ((fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	conn_close(f);
	/* Room for a whole burst of replies while the script sends. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
	    sizeof(sndbuf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf));
	if ((f->cpoll = malloc(sizeof(*f->cpoll))) == NULL) {
		close(fd);
		return;
	}
	f->cfd = fd;
	uv_poll_init(server_loop(f->srv), f->cpoll, fd);
	f->cpoll->data = f;
	uv_poll_start(f->cpoll, UV_READABLE, on_conn);
}

static int
fnetd_init(struct server *srv, void *arg)
{
	struct fnetd *f = arg;
	struct sockaddr_un sun;
	const char *path = getenv("PARAPET_TEST_NETD_SOCK");
	const char *kd;
	uv_loop_t *loop = server_loop(srv);

	f->srv = srv;
	f->cfd = -1;
	kd = getenv("PARAPET_TEST_KILL_DELAY_NS");
	f->kill_delay_ns = kd != NULL ? strtoull(kd, NULL, 10) :
	    KILL_DELAY_NS;
	if (path == NULL || server_nregions(srv) != 1) {
		log_warnx("netd-test: needs PARAPET_TEST_NETD_SOCK and one "
		    "region");
		return -1;
	}
	f->r = server_region(srv, 0, NULL);
	f->g = ring_region_geom(f->r);
	if ((f->ids = calloc(f->g->nslots, sizeof(*f->ids))) == NULL ||
	    (f->op = calloc(f->g->nslots, 1)) == NULL)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	if ((f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(f->lfd, 4) != 0) {
		log_warn("netd-test: %s", path);
		return -1;
	}
	uv_poll_init(loop, &f->lpoll, f->lfd);
	f->lpoll.data = f;
	uv_poll_start(&f->lpoll, UV_READABLE, on_listen);
	uv_poll_init(loop, &f->rpoll, ring_wake_fd(f->r));
	f->rpoll.data = f;
	uv_poll_start(&f->rpoll, UV_READABLE, on_ring);
	uv_timer_init(loop, &f->timer);
	f->timer.data = f;
	uv_timer_start(&f->timer, on_timer, 50, 50);
	log_info("netd-test: ring side A, %u slots, headroom %u; socket %s",
	    f->g->nslots, f->g->headroom, path);
	return 0;
}

static void
fnetd_fini(struct server *srv, void *arg)
{
	struct fnetd *f = arg;

	(void)srv;
	conn_close(f);
	close(f->lfd);
}

static const struct server_def fnetd_def = {
	.name = "netd",
	.region_side = RING_SIDE_A,
	.init = fnetd_init,
	.fini = fnetd_fini,
	.arg = &fnetd_g,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &fnetd_def);
}
