/*
 * test_ring_stress.c - tens of millions of items from side A (this
 * process) to side B (a forked child) and back, with no loss, duplication
 * or reordering: each item carries its sequence number in the descriptor
 * hint and in the slot bytes, and both sides check the order. Batch sizes
 * are random (1..64) on both sides and on both rings; the rings wrap many
 * times; both sides sleep on their doorbells when idle and pause now and
 * then until the other side has gone to sleep, so every wake-up path runs.
 *
 * Environment: PARAPET_SEED (random batch sizes; printed at start and on
 * failure), PARAPET_RING_ITEMS (default 20 M, 8 M under sanitizers).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ring.h"
#include "prng.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

#define ITEMS_DEFAULT	(SANITIZED ? 8000000u : 20000000u)
#define SPIN_ITERS	500u		/* some 10-20 us of pauses */
#define WAIT_MS		5000		/* one sleep longer than this: lost */
#define PAUSE_EVERY	(1u << 21)	/* items between deliberate pauses */

static const struct ring_geom geom = { 256, 128, 16, 16 };

/* What the child reports back (an anonymous shared page). */
struct report {
	_Atomic int	done;		/* 1: finished, 2: failed */
	char		msg[256];
	uint64_t	bells, sleeps, received;
};

struct ctx {
	struct ring_region *r;
	struct ring_ctl	*work, *done;	/* raw views, to see who sleeps */
	uint64_t	 rng;
	uint64_t	 seed;
	uint32_t	 items;
	struct report	*rep;
};


/* A batch size, 1..64. */
static unsigned
batch(struct ctx *c)
{
	return (unsigned)prng_below(&c->rng, 64) + 1;
}


static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : dflt;
}

static void
map_ctl(struct ctx *c, int fd)
{
	struct ring_layout l;
	uint8_t *base;

	assert_int_equal(ring_layout_compute(&geom, &l), 0);
	base = mmap(NULL, l.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	assert_true(base != MAP_FAILED);
	c->work = (struct ring_ctl *)(void *)(base + l.work_off);
	c->done = (struct ring_ctl *)(void *)(base + l.done_off);
}

/* ---- side B, in the child ---- */

static void NORETURN
b_fail(struct ctx *c, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
b_fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->rep->msg, sizeof(c->rep->msg), fmt, ap);
	va_end(ap);
	atomic_store(&c->rep->done, 2);
	_exit(1);
}

static void
b_check(struct ctx *c, struct ring_desc *d, uint32_t seq)
{
	uint64_t v[2];
	uint8_t *p;

	if (d->hint != seq || d->result != 0 || d->len != 16 + seq % 64)
		b_fail(c, "B: item %u: got hint %u len %u result %d", seq,
		    d->hint, d->len, d->result);
	p = ring_desc_data(c->r, d);
	memcpy(v, p, sizeof(v));
	if (v[0] != seq || v[1] != seq * 0x9e3779b97f4a7c15ull)
		b_fail(c, "B: item %u: slot %u holds %" PRIu64, seq, d->slot,
		    v[0]);
	v[0] = ~v[0];		/* the "transform": A checks it */
	memcpy(p, v, 8);
}

/* Stop taking work until A has gone to sleep on its doorbell. */
static void
b_pause(struct ctx *c)
{
	uint64_t end = test_now_ms() + WAIT_MS;
	struct timespec ts = { 0, 10000 };

	while (atomic_load(&c->done->rc_sleeping) == 0) {
		if (test_now_ms() > end)
			b_fail(c, "B: A never went to sleep");
		nanosleep(&ts, NULL);
	}
}

static void NORETURN
b_main(struct ctx *c, int fd, const int efd[2])
{
	struct ring_desc d[64];
	uint32_t seq = 0, paused = 0;
	unsigned i, n;
	int k, error;

	if (ring_region_attach(&c->r, fd, RING_SIDE_B, efd) != 0)
		b_fail(c, "B: attach failed");
	while (seq < c->items) {
		/* Half-way between A's pauses. */
		if ((seq + PAUSE_EVERY / 2) / PAUSE_EVERY > paused) {
			paused++;
			b_pause(c);
		}
		if ((k = ring_recv(c->r, d, batch(c))) < 0)
			b_fail(c, "B: recv: %d", k);
		if (k == 0) {
			if ((error = ring_wait(c->r, SPIN_ITERS, WAIT_MS)) != 0)
				b_fail(c, "B: wait at item %u: %d", seq, error);
			continue;
		}
		for (i = 0; i < (unsigned)k; i++)
			b_check(c, &d[i], seq++);
		/* Back in random pieces. */
		for (i = 0; i < (unsigned)k; i += n) {
			n = batch(c);
			n = n < (unsigned)k - i ? n : (unsigned)k - i;
			if ((error = ring_send(c->r, d + i, n)) != 0)
				b_fail(c, "B: send: %d", error);
		}
	}
	c->rep->bells = ring_region_stats(c->r)->bells;
	c->rep->sleeps = ring_region_stats(c->r)->sleeps;
	c->rep->received = ring_region_stats(c->r)->received;
	atomic_store(&c->rep->done, 1);
	_exit(0);
}

/* ---- side A, in the test process ---- */

static void
a_check_child(struct ctx *c, pid_t pid)
{
	if (atomic_load(&c->rep->done) == 2) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("seed %" PRIu64 ": %s", c->seed, c->rep->msg);
	}
}

static void
a_check(struct ctx *c, const struct ring_desc *d, uint32_t seq)
{
	uint64_t v;

	if (d->hint != seq || d->result != 0)
		fail_msg("seed %" PRIu64 ": A: item %u came back as %u (%d)",
		    c->seed, seq, d->hint, d->result);
	memcpy(&v, ring_desc_data(c->r, d), 8);
	if (v != ~(uint64_t)seq)
		fail_msg("seed %" PRIu64 ": A: item %u not transformed",
		    c->seed, seq);
}

static unsigned
a_send(struct ctx *c, uint32_t *next)
{
	struct ring_desc d[64];
	uint32_t slots[64], seq;
	uint64_t v[2];
	unsigned i, n;

	n = batch(c);
	if (n > c->items - *next)
		n = c->items - *next;
	n = ring_slot_alloc_n(c->r, slots, n);
	for (i = 0; i < n; i++) {
		seq = *next + i;
		d[i] = (struct ring_desc){ .slot = slots[i],
		    .off = (uint16_t)geom.headroom,
		    .len = (uint16_t)(16 + seq % 64), .op = 1, .hint = seq };
		v[0] = seq;
		v[1] = seq * 0x9e3779b97f4a7c15ull;
		memcpy(ring_desc_data(c->r, &d[i]), v, sizeof(v));
	}
	assert_int_equal(ring_send(c->r, d, n), 0);
	*next += n;
	return n;
}

static unsigned
a_recv(struct ctx *c, uint32_t *back)
{
	struct ring_desc d[64];
	int i, k;

	k = ring_recv(c->r, d, batch(c));
	assert_true(k >= 0);
	for (i = 0; i < k; i++) {
		a_check(c, &d[i], (*back)++);
		assert_int_equal(ring_slot_free(c->r, d[i].slot), 0);
	}
	return (unsigned)k;
}

/* Stop sending until B has gone to sleep; keep taking what comes back. */
static void
a_pause(struct ctx *c, pid_t pid, uint32_t *back)
{
	uint64_t end = test_now_ms() + WAIT_MS;

	while (atomic_load(&c->work->rc_sleeping) == 0) {
		if (test_now_ms() > end)
			fail_msg("seed %" PRIu64 ": B never went to sleep",
			    c->seed);
		a_check_child(c, pid);
		if (a_recv(c, back) == 0)
			(void)!ring_wait(c->r, SPIN_ITERS, 1);
	}
}

static pid_t child = -1;

/* On failure cmocka jumps out of the test: do not leave B behind. */
static int
reap_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	return 0;
}

static void
test_stress(void **state)
{
	struct ring_geom g = geom;
	struct ring_slot_counts cnt;
	uint32_t next = 0, back = 0, paused = 0;
	struct ctx c = { 0 };
	int fd, efd[2], status, error;
	uint64_t t0, ms;
	pid_t pid;

	(void)state;
	c.seed = env_u64("PARAPET_SEED", (uint64_t)time(NULL) ^
	    (uint64_t)getpid() << 32);
	c.items = (uint32_t)env_u64("PARAPET_RING_ITEMS", ITEMS_DEFAULT);
	fprintf(stderr, "test_ring_stress: seed=%" PRIu64 " items=%u\n",
	    c.seed, c.items);
	c.rep = mmap(NULL, sizeof(*c.rep), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(c.rep != MAP_FAILED);
	assert_int_equal(ring_region_create(&g, "stress", (uint8_t[16]){ 0 },
	    &fd), 0);
	assert_int_equal(ring_doorbells_create(efd), 0);
	map_ctl(&c, fd);
	t0 = test_now_ms();
	if ((pid = fork()) == 0) {
		c.rng = c.seed * 3 + 1;
		b_main(&c, fd, efd);
	}
	assert_true(pid > 0);
	child = pid;
	c.rng = c.seed | 1;
	assert_int_equal(ring_region_attach(&c.r, fd, RING_SIDE_A, efd), 0);
	while (back < c.items) {
		if (next / PAUSE_EVERY > paused && next < c.items) {
			paused++;
			a_pause(&c, pid, &back);
		}
		if (a_recv(&c, &back) + (next < c.items ? a_send(&c, &next) :
		    0) != 0)
			continue;
		error = ring_wait(c.r, SPIN_ITERS, WAIT_MS);
		a_check_child(&c, pid);
		if (error != 0)
			fail_msg("seed %" PRIu64 ": A: wait at %u/%u: %d",
			    c.seed, back, next, error);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	child = -1;
	a_check_child(&c, pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ms = test_now_ms() - t0;
	ring_slot_counts(c.r, &cnt);
	assert_int_equal(cnt.free, geom.nslots);
	assert_int_equal(ring_region_stats(c.r)->not_ours, 0);
	assert_int_equal(ring_region_stats(c.r)->bad_slot, 0);
	assert_int_equal(c.rep->received, c.items);
	fprintf(stderr, "test_ring_stress: %u items in %" PRIu64 " ms "
	    "(%.1f M/s); bells A->B %" PRIu64 ", B->A %" PRIu64
	    "; sleeps A %" PRIu64 ", B %" PRIu64 "\n", c.items, ms,
	    ms ? c.items / 1e3 / (double)ms : 0.0,
	    ring_region_stats(c.r)->bells, c.rep->bells,
	    ring_region_stats(c.r)->sleeps, c.rep->sleeps);
	/* The deliberate pauses guarantee that both bells were rung. */
	if (c.items > PAUSE_EVERY) {
		assert_true(ring_region_stats(c.r)->bells > 0);
		assert_true(c.rep->bells > 0);
	}
	ring_region_detach(c.r);
	close(efd[0]);
	close(efd[1]);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stress, reap_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
