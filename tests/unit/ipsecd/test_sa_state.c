/*
 * test_sa_state.c - the persistent per-SA state in a real pstore (a
 * memfd, as the supervisor hands it over): records made and found again
 * after a "restart" (detach, attach, scan) with counters and windows
 * continuing, a new generation of a reused SPI starting afresh, records
 * that fail validation dropped and counted (and -ESTALE for a resync that
 * misses its record then), older duplicates dropped, full stores and
 * windows too large for a record, lifetime counting (each limit once,
 * also across restarts, first use once; in batches as the shell counts,
 * crossing each limit at the same packet as one by one), prune, and a
 * child SIGKILLed at random moments under traffic: after every kill no
 * outbound number is handed out again and no inbound number accepted
 * before is accepted again.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "prng.h"
#include "pstore.h"
#include "sa_state.h"

struct store {
	int		 fd;
	struct pstore	*ps;
	struct sa_pstates *set;
};

static void
store_new(struct store *s, uint32_t nrec, uint32_t rec_bytes)
{
	size_t size = pstore_size(nrec, rec_bytes);

	assert_true(size != 0);
	s->fd = memfd_create("test_sa_state", MFD_CLOEXEC);
	assert_true(s->fd >= 0);
	assert_int_equal(ftruncate(s->fd, (off_t)size), 0);
	assert_int_equal(pstore_format(s->fd, nrec, rec_bytes), 0);
	s->ps = NULL;
	s->set = NULL;
}

/* What ipsecd does at start: attach the store, index the records. */
static void
store_open(struct store *s)
{
	assert_int_equal(pstore_attach(s->fd, &s->ps), 0);
	assert_int_equal(sa_pstates_open(s->ps, 42, &s->set), 0);
}

/* What a kill -9 does to the process side: forget everything. */
static void
store_close(struct store *s)
{
	sa_pstates_close(s->set);
	pstore_detach(s->ps);
	s->set = NULL;
	s->ps = NULL;
}

static void
store_free(struct store *s)
{
	if (s->set != NULL)
		store_close(s);
	close(s->fd);
}

static struct sa_pstate_id
ident(uint64_t gen, uint32_t spi, uint8_t last)
{
	struct sa_pstate_id id;

	memset(&id, 0, sizeof(id));
	id.gen = gen;
	id.spi = spi;
	id.proto = 50;
	id.family = 4;
	id.dst[0] = 192;
	id.dst[1] = 0;
	id.dst[2] = 2;
	id.dst[3] = last;
	return id;
}

static struct sa_pstate *
attach(struct store *s, const struct sa_pstate_id *id, uint32_t window,
    unsigned flags, bool resync, bool want_reattached)
{
	struct sa_pstate *p = NULL;
	bool re = !want_reattached;

	assert_int_equal(sa_pstate_attach(s->set, id, window, flags, resync,
	    &re, &p), 0);
	assert_true(re == want_reattached);
	assert_non_null(p);
	return p;
}

static void
test_create_reattach(void **state)
{
	struct sa_pstate_id id = ident(1, 0x1000, 1), id2 = ident(2, 0x1000, 1);
	struct sa_pstates_stats st;
	struct sa_pstate *p, *q;
	struct store s;
	uint64_t seq, s64;
	bool re;
	int i;

	(void)state;
	store_new(&s, 16, 1024);
	store_open(&s);
	p = attach(&s, &id, 64, REPLAY_F_ESN, false, false);
	assert_int_equal(sa_pstate_attach(s.set, &id, 64, REPLAY_F_ESN, false,
	    &re, &q), -EBUSY);
	for (i = 1; i <= 10; i++) {
		assert_int_equal(sa_pstate_out_next(p, &seq), 0);
		assert_true(seq == (uint64_t)i);
	}
	assert_int_equal(sa_pstate_in_check(p, 5, &s64), REPLAY_NEW);
	assert_int_equal(sa_pstate_in_advance(p, s64), REPLAY_NEW);
	assert_int_equal(sa_pstate_in_check(p, 3, &s64), REPLAY_FRESH);
	assert_int_equal(sa_pstate_in_advance(p, s64), REPLAY_FRESH);
	(void)sa_pstate_count(p, NULL, 100, 77);
	store_close(&s);

	/* Restart: the record is found again and everything continues. */
	store_open(&s);
	sa_pstates_stats(s.set, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.attached, 0);
	p = attach(&s, &id, 64, REPLAY_F_ESN, true, true);
	assert_int_equal(sa_pstate_out_next(p, &seq), 0);
	assert_true(seq == 11);
	assert_int_equal(sa_pstate_in_check(p, 5, &s64), REPLAY_DUP);
	assert_int_equal(sa_pstate_in_check(p, 3, &s64), REPLAY_DUP);
	assert_int_equal(sa_pstate_in_check(p, 4, &s64), REPLAY_FRESH);
	assert_true(sa_pstate_rec(p)->sr_bytes == 100);
	assert_true(sa_pstate_first_use(p, &s64) && s64 == 77);
	assert_memory_equal(sa_pstate_id(p), &id, sizeof(id));

	/* A new SA reusing the SPI (new generation): fresh counters. */
	q = attach(&s, &id2, 64, REPLAY_F_ESN, false, false);
	assert_int_equal(sa_pstate_out_next(q, &seq), 0);
	assert_true(seq == 1);
	assert_int_equal(sa_pstate_in_check(q, 5, &s64), REPLAY_NEW);
	assert_false(sa_pstate_first_use(q, &s64));

	/* The old SA goes; after a restart only the new one is there and
	 * nothing is left to prune. */
	sa_pstate_free(s.set, p);
	store_close(&s);
	store_open(&s);
	sa_pstates_stats(s.set, &st);
	assert_int_equal(st.records, 1);
	q = attach(&s, &id2, 64, REPLAY_F_ESN, true, true);
	assert_int_equal(sa_pstates_prune(s.set), 0);
	store_close(&s);

	/* keyd no longer has it: prune frees the record. */
	store_open(&s);
	assert_int_equal(sa_pstates_prune(s.set), 1);
	store_close(&s);
	store_open(&s);
	sa_pstates_stats(s.set, &st);
	assert_int_equal(st.records, 0);
	(void)q;
	store_free(&s);
}

static void
test_attach_rejects(void **state)
{
	struct sa_pstate_id id = ident(1, 0x1000, 1);
	struct sa_pstate *p;
	struct store s;
	bool re;
	int i;

	(void)state;
	store_new(&s, 3, 256);		/* 224-byte payloads */
	store_open(&s);
	assert_int_equal(sa_pstate_attach(s.set, &id, 8192, 0, false, &re, &p),
	    -EMSGSIZE);
	assert_int_equal(sa_pstate_attach(s.set, &id, 8193, 0, false, &re, &p),
	    -EINVAL);
	assert_int_equal(sa_pstate_attach(s.set, &id, 0, REPLAY_F_ESN, false,
	    &re, &p), -EINVAL);
	assert_int_equal(sa_pstate_attach(s.set, &id, 64, 0x80, false, &re,
	    &p), -EINVAL);
	id.proto = 17;
	assert_int_equal(sa_pstate_attach(s.set, &id, 64, 0, false, &re, &p),
	    -EINVAL);
	id = ident(1, 0x1000, 1);
	id.dst[7] = 1;			/* junk past an IPv4 address */
	assert_int_equal(sa_pstate_attach(s.set, &id, 64, 0, false, &re, &p),
	    -EINVAL);
	for (i = 0; i < 3; i++) {
		id = ident((uint64_t)i + 1, 0x2000, 1);
		(void)attach(&s, &id, 128, 0, false, false);
	}
	id = ident(9, 0x2000, 1);
	assert_int_equal(sa_pstate_attach(s.set, &id, 64, 0, false, &re, &p),
	    -ENOSPC);
	assert_int_equal(sa_pstate_rec_bytes(64), 80 + 16 + 16);
	assert_int_equal(sa_pstate_rec_bytes(8193), 0);
	store_free(&s);
}

/* Window 0 (no replay check, 32-bit only) and a cyclic SA's counter. */
static void
test_window_zero_cyclic(void **state)
{
	struct sa_pstate_id a = ident(1, 0x10, 1);
	struct sa_pstate *p;
	struct store s;
	uint64_t s64, seq;
	union {
		const struct sa_pstate_rec	*c;
		struct sa_pstate_rec		*m;
	} u;

	(void)state;
	store_new(&s, 2, 256);
	store_open(&s);
	p = attach(&s, &a, 0, REPLAY_F_CYCLIC, false, false);
	assert_int_equal(sa_pstate_rec_bytes(0), 96);
	assert_int_equal(sa_pstate_in_check(p, 7, &s64), REPLAY_NEW);
	assert_int_equal(sa_pstate_in_advance(p, s64), REPLAY_NEW);
	assert_int_equal(sa_pstate_in_check(p, 7, &s64), REPLAY_FRESH);
	/* Put the counter at the 32-bit end: a cyclic SA goes on. */
	u.c = sa_pstate_rec(p);
	u.m->sr_out_last = UINT32_MAX;
	store_close(&s);
	store_open(&s);
	p = attach(&s, &a, 0, REPLAY_F_CYCLIC, true, true);
	assert_int_equal(sa_pstate_out_next(p, &seq), 0);
	assert_true(seq == (uint64_t)UINT32_MAX + 1);
	assert_int_equal(sa_pstate_in_check(p, 7, &s64), REPLAY_FRESH);
	store_free(&s);
}

/* A record broken in the store is dropped at the next start. */
static void
test_scan_invalid(void **state)
{
	struct sa_pstate_id a = ident(1, 0x10, 1), b = ident(2, 0x20, 2);
	struct sa_pstates_stats st;
	struct sa_pstate *p;
	struct sa_pstate_rec *r;
	struct store s;
	bool re;

	(void)state;
	store_new(&s, 8, 512);
	store_open(&s);
	(void)attach(&s, &a, 64, 0, false, false);
	p = attach(&s, &b, 64, 0, false, false);
	/* A stray write: the window's ring size no longer matches. */
	{
		union {
			const struct sa_pstate_rec	*c;
			struct sa_pstate_rec		*m;
		} u = { .c = sa_pstate_rec(p) };

		r = u.m;
	}
	r->sr_win.rw_nwords = 64;
	store_close(&s);
	store_open(&s);
	sa_pstates_stats(s.set, &st);
	assert_int_equal(st.records, 1);
	assert_true(st.dropped_invalid == 1);
	(void)attach(&s, &a, 64, 0, true, true);
	/* b's counters are gone: a resync must not start it afresh. */
	assert_int_equal(sa_pstate_attach(s.set, &b, 64, 0, true, &re, &p),
	    -ESTALE);
	/* A new SA (not a resync) is fine. */
	(void)attach(&s, &b, 64, 0, false, false);
	store_free(&s);
}

/* Two records of one identity (a writer killed between writing a
 * replacement and freeing the original): the newer one wins. */
static void
test_scan_duplicate(void **state)
{
	struct sa_pstate_id a = ident(5, 0x55, 5);
	struct sa_pstates_stats st;
	struct sa_pstate *p;
	struct store s;
	uint8_t buf[256];
	uint32_t h = PSTORE_NONE;
	uint64_t seq;
	size_t len = sa_pstate_rec_bytes(64);

	(void)state;
	store_new(&s, 8, 512);
	store_open(&s);
	p = attach(&s, &a, 64, 0, false, false);
	memcpy(buf, sa_pstate_rec(p), len);
	((struct sa_pstate_rec *)(void *)buf)->sr_out_last = 1000;
	assert_int_equal(pstore_put(s.ps, &h, buf, len), 0);
	store_close(&s);
	store_open(&s);
	sa_pstates_stats(s.set, &st);
	assert_int_equal(st.records, 1);
	assert_true(st.dropped_dup == 1);
	p = attach(&s, &a, 64, 0, true, true);
	assert_int_equal(sa_pstate_out_next(p, &seq), 0);
	assert_true(seq == 1001);
	store_free(&s);
}

/*
 * The records are read back from memory a dead process wrote: a record
 * of random bytes, and a valid record with any one bit of its identity,
 * flags or geometry flipped, is indexed only if it is whole (and then
 * usable), else dropped and counted; nothing reads out of bounds (ASan).
 */
static void
test_scan_garbage(void **state)
{
	uint64_t rng = prng_seed_env() | 1, s64;
	struct sa_pstate_id a = ident(3, 0x33, 3);
	struct sa_pstates_stats st;
	struct sa_pstate *p;
	struct store s;
	uint8_t good[512], buf[512];
	size_t len = sa_pstate_rec_bytes(1024), bit, i;
	uint32_t h;

	(void)state;
	store_new(&s, 4, 512);
	store_open(&s);
	p = attach(&s, &a, 1024, REPLAY_F_ESN, false, false);
	memcpy(good, sa_pstate_rec(p), len);
	sa_pstate_free(s.set, p);
	store_close(&s);
	for (bit = 0; bit < (size_t)(80 + 16) * 8; bit++) {
		memcpy(buf, good, len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(pstore_attach(s.fd, &s.ps), 0);
		pstore_clear(s.ps);
		h = PSTORE_NONE;
		assert_int_equal(pstore_put(s.ps, &h, buf, len), 0);
		/* Random bytes of a random length next to it. */
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)prng_next(&rng);
		h = PSTORE_NONE;
		assert_int_equal(pstore_put(s.ps, &h, buf,
		    (size_t)prng_below(&rng, 480)), 0);
		assert_int_equal(sa_pstates_open(s.ps, 1, &s.set), 0);
		sa_pstates_stats(s.set, &st);
		assert_true(st.records + st.dropped_invalid == 2);
		assert_true(st.records <= 1);
		store_close(&s);
	}
	/* The unflipped record is accepted and usable. */
	assert_int_equal(pstore_attach(s.fd, &s.ps), 0);
	pstore_clear(s.ps);
	h = PSTORE_NONE;
	assert_int_equal(pstore_put(s.ps, &h, good, len), 0);
	assert_int_equal(sa_pstates_open(s.ps, 1, &s.set), 0);
	p = attach(&s, &a, 1024, REPLAY_F_ESN, true, true);
	assert_int_equal(sa_pstate_in_check(p, 1, &s64), REPLAY_NEW);
	store_free(&s);
}

static void
test_count(void **state)
{
	struct sa_pstate_id a = ident(1, 0x10, 1);
	struct sa_limits l = { .soft_bytes = 1000, .hard_bytes = 2000,
	    .soft_packets = 5, .hard_packets = 30 };
	struct sa_pstate *p;
	struct store s;
	unsigned got = 0, c;
	uint64_t when;
	int i;

	(void)state;
	store_new(&s, 4, 512);
	store_open(&s);
	p = attach(&s, &a, 64, 0, false, false);
	assert_false(sa_pstate_first_use(p, &when));
	/* Packet 1..4: 400 bytes, nothing. Packet 5: soft packets. */
	for (i = 1; i <= 4; i++)
		assert_int_equal(sa_pstate_count(p, &l, 100,
		    (uint64_t)i * 10), 0);
	assert_true(sa_pstate_first_use(p, &when) && when == 10);
	assert_int_equal(sa_pstate_count(p, &l, 100, 50),
	    SA_CROSSED_SOFT_PACKETS);
	/* 500 bytes; +500: exactly the soft byte limit (>=). */
	assert_int_equal(sa_pstate_count(p, &l, 500, 60),
	    SA_CROSSED_SOFT_BYTES);
	assert_int_equal(sa_pstate_count(p, &l, 1, 70), 0);
	store_close(&s);
	/* After a restart the bits are remembered, not crossed again. */
	store_open(&s);
	p = attach(&s, &a, 64, 0, true, true);
	assert_int_equal(sa_pstate_crossed(p),
	    SA_CROSSED_SOFT_PACKETS | SA_CROSSED_SOFT_BYTES);
	for (i = 0; i < 40; i++) {
		c = sa_pstate_count(p, &l, 50, 100);
		assert_int_equal(c & got, 0);	/* each once */
		got |= c;
	}
	assert_int_equal(got, SA_CROSSED_HARD_BYTES | SA_CROSSED_HARD_PACKETS);
	assert_int_equal(sa_pstate_crossed(p), SA_CROSSED_MASK);
	assert_true(sa_pstate_first_use(p, &when) && when == 10);
	/* No limits: counting only; saturation. */
	assert_int_equal(sa_pstate_count(p, NULL, UINT64_MAX, 1), 0);
	assert_true(sa_pstate_rec(p)->sr_bytes == UINT64_MAX);
	store_free(&s);
}

/*
 * Counting in batches (ipsecd's shell: pending counts, written once per
 * batch, at once for the packet that reaches a limit per sa_pstate_room)
 * against counting one by one, with random limits and packet sizes: the
 * same limits are crossed at the same packet, so the first packet that
 * sees a hard limit crossed is the same, and the totals agree at every
 * batch end.
 */
struct batcher {
	struct sa_pstate	*p;
	uint64_t		 room_pkts, room_bytes;
	uint64_t		 pend_pkts, pend_bytes;
	unsigned		 got;
};

static void
batch_flush(struct batcher *b, const struct sa_limits *l)
{
	if (b->pend_pkts != 0)
		b->got |= sa_pstate_count_n(b->p, l, b->pend_bytes,
		    b->pend_pkts, 1);
	b->pend_pkts = b->pend_bytes = 0;
	sa_pstate_room(b->p, l, &b->room_pkts, &b->room_bytes);
}

static void
batch_count(struct batcher *b, const struct sa_limits *l, uint64_t len)
{
	b->pend_pkts++;
	b->pend_bytes += len;
	if (b->pend_pkts > b->room_pkts || b->pend_bytes > b->room_bytes)
		batch_flush(b, l);
}

static void
test_count_batched(void **state)
{
	uint64_t rng = prng_seed_env(), len;
	struct sa_pstate_id a = ident(1, 0x20, 1), b = ident(1, 0x21, 1);
	struct sa_limits l;
	struct batcher bb;
	struct store s;
	struct sa_pstate *one;
	unsigned got1, round, i, batch;
	bool hard1, hardb;

	(void)state;
	store_new(&s, 4, 512);
	store_open(&s);
	for (round = 0; round < 200; round++) {
		memset(&l, 0, sizeof(l));
		l.soft_packets = prng_below(&rng, 3) == 0 ? 0 :
		    1 + prng_below(&rng, 100);
		l.hard_packets = prng_below(&rng, 3) == 0 ? 0 :
		    l.soft_packets + prng_below(&rng, 100);
		l.soft_bytes = prng_below(&rng, 3) == 0 ? 0 :
		    1 + prng_below(&rng, 50000);
		l.hard_bytes = prng_below(&rng, 3) == 0 ? 0 :
		    l.soft_bytes + prng_below(&rng, 50000);
		a.gen = b.gen = round + 1;
		one = attach(&s, &a, 64, 0, false, false);
		memset(&bb, 0, sizeof(bb));
		bb.p = attach(&s, &b, 64, 0, false, false);
		sa_pstate_room(bb.p, &l, &bb.room_pkts, &bb.room_bytes);
		got1 = 0;
		for (i = 0; i < 300; i += batch) {
			batch = 1 + (unsigned)prng_below(&rng, 64);
			for (unsigned k = 0; k < batch; k++) {
				/* What the shell checks before each packet. */
				hard1 = (sa_pstate_crossed(one) &
				    SA_CROSSED_HARD) != 0;
				hardb = (sa_pstate_crossed(bb.p) &
				    SA_CROSSED_HARD) != 0;
				assert_true(hard1 == hardb);
				if (hard1)
					continue;
				len = 20 + prng_below(&rng, 1500);
				got1 |= sa_pstate_count(one, &l, len, 1);
				batch_count(&bb, &l, len);
			}
			batch_flush(&bb, &l);
			assert_true(sa_pstate_rec(one)->sr_packets ==
			    sa_pstate_rec(bb.p)->sr_packets);
			assert_true(sa_pstate_rec(one)->sr_bytes ==
			    sa_pstate_rec(bb.p)->sr_bytes);
			assert_int_equal(got1, bb.got);
		}
		sa_pstate_free(s.set, one);
		sa_pstate_free(s.set, bb.p);
	}
	store_free(&s);
}

/*
 * kill -9 under traffic. A child process plays ipsecd: it attaches the
 * store as a restarted ipsecd does, then sends (takes outbound numbers)
 * and receives (check, advance) on two SAs, logging each number once it
 * is used/accepted into memory the parent shares. The parent kills it at
 * a random moment (0-4 ms after the child has attached), attaches the
 * store itself and checks: the next outbound number is above every
 * logged one; no logged inbound number is accepted again. Then the next
 * child continues on the same store.
 */
#define LOG_MAX		(1u << 20)

struct shlog {
	uint32_t	started;	/* the child has attached */
	uint64_t	out_max[2];
	uint64_t	n_in[2];
	uint64_t	in[2][LOG_MAX];
};

static const unsigned kill_flags[2] = { REPLAY_F_ESN, 0 };

/* One packet each way on SA k; accepted inbound numbers are logged. */
static void
child_packet(struct sa_pstate *p, int k, struct shlog *lg, uint64_t *rng)
{
	const struct sa_pstate_rec *r = sa_pstate_rec(p);
	uint64_t seq, s64, top = r->sr_win.rw_top, x;
	int64_t d = (int64_t)prng_below(rng, 80) - 64;

	if (sa_pstate_out_next(p, &seq) == 0)
		__atomic_store_n(&lg->out_max[k], seq, __ATOMIC_RELEASE);
	(void)sa_pstate_count(p, NULL, 100, 1);
	x = (uint64_t)((int64_t)top + d);
	if (prng_below(rng, 50) == 0)
		x = top + 64 + prng_below(rng, 300);
	if (x == 0 || (kill_flags[k] == 0 && x > UINT32_MAX))
		return;
	if (!replay_ok(sa_pstate_in_check(p, (uint32_t)x, &s64)) || s64 != x)
		return;
	if (!replay_ok(sa_pstate_in_advance(p, s64)))
		return;
	if (lg->n_in[k] < LOG_MAX) {
		lg->in[k][lg->n_in[k]] = x;
		__atomic_store_n(&lg->n_in[k], lg->n_in[k] + 1,
		    __ATOMIC_RELEASE);
	}
}

static void
child_run(int fd, struct shlog *lg, uint64_t seed)
{
	struct sa_pstate *p[2];
	struct pstore *ps;
	struct sa_pstates *set;
	uint64_t rng = seed | 1;
	bool re;
	int k;

	if (pstore_attach(fd, &ps) != 0 || sa_pstates_open(ps, seed, &set))
		_exit(2);
	for (k = 0; k < 2; k++) {
		struct sa_pstate_id id = ident(100 + (uint64_t)k, 0x9000, 9);

		if (sa_pstate_attach(set, &id, 64, kill_flags[k], true, &re,
		    &p[k]) != 0 || !re)
			_exit(3);
	}
	__atomic_store_n(&lg->started, 1, __ATOMIC_RELEASE);
	for (;;)
		for (k = 0; k < 2; k++)
			child_packet(p[k], k, lg, &rng);
}

/*
 * Wait (at most 10 s) until the child has attached, so that the random
 * kill lands in its traffic and not in its start-up (on a loaded
 * machine, or under ASan, a child can take milliseconds to start).
 */
static void
child_wait_started(struct shlog *lg)
{
	struct timespec ts = { 0, 100000 };
	int i;

	for (i = 0; i < 100000 &&
	    __atomic_load_n(&lg->started, __ATOMIC_ACQUIRE) == 0; i++)
		nanosleep(&ts, NULL);
}

static void
test_kill9(void **state)
{
	uint64_t seed = prng_seed_env(), rng = seed | 1;
	struct sa_pstate *p[2];
	struct shlog *lg;
	struct store s;
	int round, k, rounds = 30;

	(void)state;
	printf("test_sa_state: PARAPET_SEED=%llu\n", (unsigned long long)seed);
	lg = mmap(NULL, sizeof(*lg), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(lg != MAP_FAILED);
	store_new(&s, 16, 512);
	store_open(&s);
	/* The SAs exist before the first ipsecd: keyd installed them. The
	 * ESN one starts near the end of a subspace. */
	for (k = 0; k < 2; k++) {
		struct sa_pstate_id id = ident(100 + (uint64_t)k, 0x9000, 9);
		uint64_t s64;

		p[k] = attach(&s, &id, 64, kill_flags[k], false, false);
		assert_int_equal(sa_pstate_in_advance(p[k], k == 0 ?
		    UINT32_MAX - 30000 : 1000), REPLAY_NEW);
		assert_int_equal(sa_pstate_in_check(p[k], 1, &s64),
		    k == 0 ? REPLAY_NEW : REPLAY_TOO_OLD);
	}
	store_close(&s);
	for (round = 0; round < rounds; round++) {
		struct timespec ts = { 0, (long)prng_below(&rng, 4000000) };
		uint64_t cseed = prng_next(&rng);
		pid_t pid;
		int status;

		__atomic_store_n(&lg->started, 0, __ATOMIC_RELEASE);
		pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			child_run(s.fd, lg, cseed);
		child_wait_started(lg);
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		store_open(&s);
		for (k = 0; k < 2; k++) {
			struct sa_pstate_id id = ident(100 + (uint64_t)k,
			    0x9000, 9);
			uint64_t seq, s64, i, n;

			p[k] = attach(&s, &id, 64, kill_flags[k], true, true);
			/* Peek at the next number without spending it: a
			 * copy of the counter. */
			seq = sa_pstate_rec(p[k])->sr_out_last;
			if (seq + 1 <= lg->out_max[k])
				fail_msg("round %d SA %d: next outbound %llu "
				    "<= used %llu", round, k,
				    (unsigned long long)seq + 1,
				    (unsigned long long)lg->out_max[k]);
			n = __atomic_load_n(&lg->n_in[k], __ATOMIC_ACQUIRE);
			for (i = 0; i < n; i++) {
				uint64_t x = lg->in[k][i];

				if (replay_ok(sa_pstate_in_check(p[k],
				    (uint32_t)x, &s64)) && s64 == x)
					fail_msg("round %d SA %d: %#llx "
					    "accepted again (seed %llu)",
					    round, k, (unsigned long long)x,
					    (unsigned long long)seed);
			}
		}
		store_close(&s);
	}
	printf("test_sa_state: %d kills; outbound %llu/%llu, inbound "
	    "%llu/%llu accepted\n", rounds,
	    (unsigned long long)lg->out_max[0],
	    (unsigned long long)lg->out_max[1],
	    (unsigned long long)lg->n_in[0],
	    (unsigned long long)lg->n_in[1]);
	assert_true(lg->n_in[0] > 0 && lg->n_in[1] > 0);
	munmap(lg, sizeof(*lg));
	store_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_reattach),
		cmocka_unit_test(test_attach_rejects),
		cmocka_unit_test(test_window_zero_cyclic),
		cmocka_unit_test(test_scan_invalid),
		cmocka_unit_test(test_scan_duplicate),
		cmocka_unit_test(test_scan_garbage),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_count_batched),
		cmocka_unit_test(test_kill9),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
