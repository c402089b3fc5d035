/*
 * test_ring_kill.c - a side killed with SIGKILL at a random moment and
 * restarted on the same memfd gets every slot back exactly once, and
 * traffic goes on.
 *
 * test_kill_b: this process is side A and checks every return; side B (a
 * child that holds slots while it "works") is killed and restarted eight
 * times, twice at a known moment in the middle of a batch. Every item A
 * sent comes back exactly once, either done (in order) or aborted by the
 * recovery of the next B.
 *
 * test_kill_a: this process is side B and checks the order of the work;
 * side A (a child) is killed and restarted eight times, twice while it
 * holds allocated slots it has not sent. The last A stops sending, waits
 * for everything in flight and checks that all slots are free again.
 *
 * Both end with the shared state checked directly: every owner word is A,
 * both rings are empty.
 *
 * Environment: PARAPET_SEED (printed at start and on failure).
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

#define ROUNDS		8
#define SPIN_ITERS	500u
#define DEADLINE_MS	20000	/* per phase; generous for ASan on 2 cores */

static const struct ring_geom geom = { 64, 128, 16, 16 };

/* Parent <-> child, in an anonymous shared page. */
struct ctl {
	_Atomic uint32_t stop;		/* parent: finish and exit 0 */
	_Atomic uint32_t stuck;		/* child: stuck mid-batch now */
	_Atomic uint32_t held;		/* child: slots held when stuck */
	_Atomic uint32_t items;		/* child: items handled */
	_Atomic int	 failed;
	char		 msg[256];
};

struct ctx {
	struct ring_region *r;
	struct ctl	*ctl;
	uint64_t	 seed, rng;
	uint8_t		*base;		/* raw map, for the final checks */
	struct ring_layout lay;
};

static pid_t child = -1;


/* A batch size, 1..64. */
static unsigned
batch(struct ctx *c)
{
	return (unsigned)prng_below(&c->rng, 64) + 1;
}


/* Pretend to work on a packet for a random while. */
static void
work(struct ctx *c)
{
	volatile unsigned i, n = (unsigned)(prng_next(&c->rng) % 512);

	for (i = 0; i < n; i++)
		continue;
}

static void NORETURN
child_fail(struct ctx *c, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
child_fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->ctl->msg, sizeof(c->ctl->msg), fmt, ap);
	va_end(ap);
	atomic_store(&c->ctl->failed, 1);
	_exit(1);
}

static void NORETURN
child_stuck(struct ctx *c, uint32_t held)
{
	atomic_store(&c->ctl->held, held);
	atomic_store(&c->ctl->stuck, 1);
	for (;;)
		pause();
}

static void
ctx_init(struct ctx *c, int *fd, int efd[2])
{
	const char *s = getenv("PARAPET_SEED");

	memset(c, 0, sizeof(*c));
	c->seed = s != NULL ? strtoull(s, NULL, 0) :
	    (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	c->rng = c->seed | 1;
	fprintf(stderr, "test_ring_kill: seed=%" PRIu64 "\n", c->seed);
	c->ctl = mmap(NULL, sizeof(*c->ctl), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(c->ctl != MAP_FAILED);
	assert_int_equal(ring_region_create(&geom, "kill", (uint8_t[16]){ 1 },
	    fd), 0);
	assert_int_equal(ring_doorbells_create(efd), 0);
	assert_int_equal(ring_layout_compute(&geom, &c->lay), 0);
	c->base = mmap(NULL, c->lay.total_bytes, PROT_READ | PROT_WRITE,
	    MAP_SHARED, *fd, 0);
	assert_true(c->base != MAP_FAILED);
}

static void
ctx_fini(struct ctx *c, int fd, int efd[2])
{
	ring_region_detach(c->r);
	munmap(c->base, c->lay.total_bytes);
	munmap(c->ctl, sizeof(*c->ctl));
	close(efd[0]);
	close(efd[1]);
	close(fd);
}

/* The shared state at rest: the pool is A's, both rings are empty. */
static void
check_at_rest(struct ctx *c)
{
	struct ring_ctl *work, *done;
	uint32_t s;

	work = (struct ring_ctl *)(void *)(c->base + c->lay.work_off);
	done = (struct ring_ctl *)(void *)(c->base + c->lay.done_off);
	for (s = 0; s < geom.nslots; s++)
		if (c->base[c->lay.owner_off + s] != RING_OWNER_A)
			fail_msg("seed %" PRIu64 ": slot %u owner %#x at rest",
			    c->seed, s, c->base[c->lay.owner_off + s]);
	assert_int_equal(atomic_load(&work->rc_prod),
	    atomic_load(&work->rc_cons));
	assert_int_equal(atomic_load(&done->rc_prod),
	    atomic_load(&done->rc_cons));
}

/* Side A's pool: all free, each exactly once. */
static bool
all_free_once(struct ring_region *r)
{
	uint32_t slots[64], x;
	uint8_t seen[64] = { 0 };
	unsigned i, n;
	bool ok = true;

	n = ring_slot_alloc_n(r, slots, 64);
	ok &= n == geom.nslots;
	ok &= ring_slot_alloc(r, &x) == -ENOBUFS;
	for (i = 0; i < n; i++) {
		ok &= seen[slots[i]]++ == 0;
		ok &= ring_slot_free(r, slots[i]) == 0;
	}
	return ok;
}

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

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/*
 * Slots B holds right now, by the shared state: owner B and not in the
 * done ring. A racy estimate, good enough to aim a kill with.
 */
static unsigned
b_holds(struct ctx *c)
{
	struct ring_ctl *done;
	unsigned s, n = 0;

	done = (struct ring_ctl *)(void *)(c->base + c->lay.done_off);
	for (s = 0; s < geom.nslots; s++)
		n += c->base[c->lay.owner_off + s] == RING_OWNER_B;
	n -= atomic_load(&done->rc_prod) - atomic_load(&done->rc_cons);
	return n <= geom.nslots ? n : 0;
}

/*
 * Kill after a random 0..200 us of traffic (turn() keeps it going, or the
 * child would drain the ring and die idle): the moment we decided on
 * follows a return from the child. With aim, then wait (a bounded number
 * of turns) until B seems to hold slots, so that most kills land in the
 * middle of a batch, on a machine shared with other work too.
 */
static void
kill_child(struct ctx *c, bool (*turn)(struct ctx *, void *), void *arg,
    bool aim)
{
	uint64_t until = now_ns() + prng_next(&c->rng) % 200000;
	unsigned i;
	int status;

	while (turn != NULL && now_ns() < until)
		(void)turn(c, arg);
	for (i = 0; aim && i < 100000 && b_holds(c) == 0; i++)
		(void)turn(c, arg);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	child = -1;
	if (atomic_load(&c->ctl->failed))
		fail_msg("seed %" PRIu64 ": %s", c->seed, c->ctl->msg);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* ==== test_kill_b: we are A ==== */

struct a_book {
	uint32_t	 sent_seq[64];
	bool		 out[64];
	uint32_t	 next;		/* next sequence number to send */
	uint32_t	 outstanding;
	int64_t		 last_ok;	/* done results come back in order */
	uint64_t	 ok, aborted;
};

static void
a_take(struct ctx *c, struct a_book *bk, const struct ring_desc *d)
{
	uint64_t v;

	if (d->slot >= geom.nslots || !bk->out[d->slot])
		fail_msg("seed %" PRIu64 ": slot %u returned twice", c->seed,
		    d->slot);
	if (d->result == -ECONNABORTED && d->flags == RING_F_RECOVERED) {
		bk->aborted++;
	} else {
		memcpy(&v, ring_desc_data(c->r, d), 8);
		if (d->result != 0 || d->hint != bk->sent_seq[d->slot] ||
		    v != ~(uint64_t)d->hint || (int64_t)d->hint <= bk->last_ok)
			fail_msg("seed %" PRIu64 ": bad return: slot %u hint "
			    "%u (sent %u) result %d data %#" PRIx64 " last %"
			    PRId64, c->seed, d->slot, d->hint,
			    bk->sent_seq[d->slot], d->result, v, bk->last_ok);
		bk->last_ok = d->hint;
		bk->ok++;
	}
	bk->out[d->slot] = false;
	bk->outstanding--;
	assert_int_equal(ring_slot_free(c->r, d->slot), 0);
}

/* One turn of A: take what came back, send a random batch; true if any. */
static bool
a_turn(struct ctx *c, struct a_book *bk, bool send)
{
	struct ring_desc d[64];
	uint32_t slots[64];
	unsigned i, n = 0;
	int k;

	k = ring_recv(c->r, d, batch(c));
	assert_true(k >= 0);
	for (i = 0; i < (unsigned)k; i++)
		a_take(c, bk, &d[i]);
	if (send)
		n = ring_slot_alloc_n(c->r, slots, batch(c));
	for (i = 0; i < n; i++) {
		d[i] = (struct ring_desc){ .slot = slots[i], .off = 16,
		    .len = 8, .hint = bk->next };
		memcpy(ring_desc_data(c->r, &d[i]), &bk->next, 4);
		bk->sent_seq[slots[i]] = bk->next++;
		bk->out[slots[i]] = true;
	}
	assert_int_equal(ring_send(c->r, d, n), 0);
	bk->outstanding += n;
	return k > 0 || n > 0;
}

/* B's "work": A checks that it was done. */
static void
b_transform(struct ctx *c, const struct ring_desc *d)
{
	uint32_t v = ~d->hint;

	work(c);
	memcpy(ring_desc_data(c->r, d), &v, 4);
	memset(ring_desc_data(c->r, d) + 4, 0xff, 4);
}

static bool
a_turn_send(struct ctx *c, void *bk)
{
	return a_turn(c, bk, true);
}

/* B checks that its items come in order (from its first one on). */
static void
b_check_order(struct ctx *c, const struct ring_desc *d, int k, bool *first,
    uint32_t *last)
{
	uint32_t seq;
	int i;

	for (i = 0; i < k; i++) {
		memcpy(&seq, ring_desc_data(c->r, &d[i]), 4);
		if (seq != d[i].hint || (!*first && seq != *last + 1))
			child_fail(c, "B: got %u (%u) after %u", seq,
			    d[i].hint, *last);
		*first = false;
		*last = seq;
	}
}

/* Work on k items one by one, returning them in random pieces. */
static void
b_process(struct ctx *c, struct ring_desc *d, unsigned k)
{
	unsigned i, j, n;

	for (i = 0; i < k; i += n) {
		n = batch(c);
		n = n < k - i ? n : k - i;
		for (j = i; j < i + n; j++)
			b_transform(c, &d[j]);
		if (ring_send(c->r, d + i, n) != 0)
			child_fail(c, "B: send");
	}
}

static void NORETURN
b_child(struct ctx *c, int fd, const int efd[2], bool stuck)
{
	struct ring_desc d[64];
	uint32_t last = 0;
	bool first = true;
	int k, error;

	if (ring_region_attach(&c->r, fd, RING_SIDE_B, efd) != 0)
		child_fail(c, "B: attach");
	for (;;) {
		if ((k = ring_recv(c->r, d, batch(c))) < 0)
			child_fail(c, "B: recv %d", k);
		if (k == 0) {
			if (atomic_load(&c->ctl->stop))
				_exit(0);
			error = ring_wait(c->r, SPIN_ITERS, 20);
			if (error != 0 && error != -ETIMEDOUT)
				child_fail(c, "B: wait %d", error);
			continue;
		}
		b_check_order(c, d, k, &first, &last);
		if (stuck && k >= 4) {
			/* Die holding the second half of this batch. */
			b_process(c, d, (unsigned)k / 2);
			child_stuck(c, (uint32_t)(k - k / 2));
		}
		b_process(c, d, (unsigned)k);
	}
}

/* Run A until `want` more items are back or the child is stuck. */
static void
a_run(struct ctx *c, struct a_book *bk, uint64_t want, bool until_stuck)
{
	uint64_t end = test_now_ms() + DEADLINE_MS, base = bk->ok;
	int error;

	while (until_stuck ? atomic_load(&c->ctl->stuck) == 0 :
	    bk->ok - base < want) {
		if (test_now_ms() > end || atomic_load(&c->ctl->failed))
			fail_msg("seed %" PRIu64 ": A stalled (%s)", c->seed,
			    c->ctl->msg);
		if (a_turn(c, bk, true))
			continue;
		error = ring_wait(c->r, SPIN_ITERS, 20);
		assert_true(error == 0 || error == -ETIMEDOUT);
	}
}

static void
spawn_b(struct ctx *c, int fd, const int efd[2], bool stuck)
{
	atomic_store(&c->ctl->stuck, 0);
	if ((child = fork()) == 0) {
		c->rng ^= 0x5bd1e995;
		b_child(c, fd, efd, stuck);
	}
	assert_true(child > 0);
}

static void
test_kill_b(void **state)
{
	struct a_book bk = { .last_ok = -1 };
	struct ring_slot_counts cnt;
	uint64_t stuck_held = 0, end;
	struct ctx c;
	int fd, efd[2], round, i, status;

	(void)state;
	ctx_init(&c, &fd, efd);
	assert_int_equal(ring_region_attach(&c.r, fd, RING_SIDE_A, efd), 0);
	for (round = 0; round < ROUNDS; round++) {
		spawn_b(&c, fd, efd, round == 2 || round == 5);
		if (round == 2 || round == 5) {
			a_run(&c, &bk, 0, true);
			stuck_held += atomic_load(&c.ctl->held);
			kill_child(&c, NULL, NULL, false);
		} else {
			a_run(&c, &bk, 1000 + prng_next(&c.rng) % 20000, false);
			kill_child(&c, a_turn_send, &bk, true);
		}
		/* A goes on alone for a while: the work ring fills up. */
		for (i = (int)(prng_next(&c.rng) % 200); i > 0; i--)
			(void)a_turn(&c, &bk, true);
	}
	/* The last B: traffic resumes, then A drains and B is told to stop. */
	spawn_b(&c, fd, efd, false);
	a_run(&c, &bk, 5000, false);
	end = test_now_ms() + DEADLINE_MS;
	while (bk.outstanding > 0) {
		if (test_now_ms() > end)
			fail_msg("seed %" PRIu64 ": %u slots never came back",
			    c.seed, bk.outstanding);
		if (!a_turn(&c, &bk, false))
			(void)!ring_wait(c.r, SPIN_ITERS, 20);
	}
	atomic_store(&c.ctl->stop, 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	child = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	fprintf(stderr, "test_ring_kill: B killed %d times: %u sent, %" PRIu64
	    " done, %" PRIu64 " aborted (%" PRIu64 " held when stuck)\n",
	    ROUNDS, bk.next, bk.ok, bk.aborted, stuck_held);
	assert_int_equal(bk.ok + bk.aborted, bk.next);
	assert_true(bk.aborted >= stuck_held && stuck_held > 0);
	ring_slot_counts(c.r, &cnt);
	assert_int_equal(cnt.free, geom.nslots);
	assert_true(all_free_once(c.r));
	assert_int_equal(ring_region_stats(c.r)->not_ours, 0);
	assert_int_equal(ring_region_stats(c.r)->bad_slot, 0);
	check_at_rest(&c);
	ctx_fini(&c, fd, efd);
}

/* ==== test_kill_a: we are B ==== */

#define EPOCH_SHIFT	24	/* hint = epoch << 24 | seq */

static void
a_child_send(struct ctx *c, uint32_t epoch, uint32_t *seq, uint32_t *mine)
{
	struct ring_desc d[64];
	uint32_t slots[64], hint;
	unsigned i, n;

	n = ring_slot_alloc_n(c->r, slots, batch(c));
	for (i = 0; i < n; i++) {
		hint = epoch << EPOCH_SHIFT | (*seq)++;
		d[i] = (struct ring_desc){ .slot = slots[i], .off = 16,
		    .len = 8, .hint = hint };
		memcpy(ring_desc_data(c->r, &d[i]), &hint, 4);
		mine[slots[i]] = hint + 1;
	}
	if (ring_send(c->r, d, n) != 0)
		child_fail(c, "A%u: send", epoch);
}

/* Take returns: ours must match; earlier epochs' are just freed. */
static unsigned
a_child_recv(struct ctx *c, uint32_t epoch, uint32_t *mine)
{
	struct ring_desc d[64];
	uint32_t v;
	int i, k;

	if ((k = ring_recv(c->r, d, batch(c))) < 0)
		child_fail(c, "A%u: recv %d", epoch, k);
	for (i = 0; i < k; i++) {
		memcpy(&v, ring_desc_data(c->r, &d[i]), 4);
		if (d[i].result != 0 || v != ~d[i].hint)
			child_fail(c, "A%u: bad return %u", epoch, d[i].hint);
		if (mine[d[i].slot] != 0 && mine[d[i].slot] != d[i].hint + 1)
			child_fail(c, "A%u: slot %u: %u for %u", epoch,
			    d[i].slot, d[i].hint, mine[d[i].slot] - 1);
		if (mine[d[i].slot] == 0 && d[i].hint >> EPOCH_SHIFT >= epoch)
			child_fail(c, "A%u: slot %u not sent", epoch,
			    d[i].slot);
		mine[d[i].slot] = 0;
		if (ring_slot_free(c->r, d[i].slot) != 0)
			child_fail(c, "A%u: free", epoch);
	}
	atomic_fetch_add(&c->ctl->items, (uint32_t)k);
	return (unsigned)k;
}

/* Stop sending, wait for everything in flight, check the pool. */
static void NORETURN
a_child_quiesce(struct ctx *c, uint32_t epoch, uint32_t *mine)
{
	struct ring_slot_counts cnt;
	uint64_t end = test_now_ms() + DEADLINE_MS;

	for (;;) {
		ring_slot_counts(c->r, &cnt);
		if (cnt.peer == 0)
			break;
		if (test_now_ms() > end)
			child_fail(c, "A%u: %u slots never came back", epoch,
			    cnt.peer);
		if (a_child_recv(c, epoch, mine) == 0)
			(void)!ring_wait(c->r, SPIN_ITERS, 20);
	}
	if (cnt.free != geom.nslots || !all_free_once(c->r) ||
	    ring_region_stats(c->r)->not_ours != 0 ||
	    ring_region_stats(c->r)->bad_slot != 0)
		child_fail(c, "A%u: pool not whole: %u free", epoch, cnt.free);
	_exit(0);
}

static void NORETURN
a_child(struct ctx *c, int fd, const int efd[2], uint32_t epoch, bool stuck)
{
	struct ring_slot_counts cnt;
	uint32_t mine[64] = { 0 }, seq = 0, s;
	unsigned n;

	if (ring_region_attach(&c->r, fd, RING_SIDE_A, efd) != 0)
		child_fail(c, "A%u: attach", epoch);
	ring_slot_counts(c->r, &cnt);
	if (cnt.held != 0 || cnt.free + cnt.peer != geom.nslots)
		child_fail(c, "A%u: counts after attach", epoch);
	for (;;) {
		if (atomic_load(&c->ctl->stop))
			a_child_quiesce(c, epoch, mine);
		n = a_child_recv(c, epoch, mine);
		if (stuck && seq > 100) {
			/* Die holding slots it allocated and never sent. */
			for (n = 0; n < 8 && ring_slot_alloc(c->r, &s) == 0;)
				n++;
			child_stuck(c, n);
		}
		a_child_send(c, epoch, &seq, mine);
		ring_slot_counts(c->r, &cnt);
		if (n == 0 && cnt.free == 0)
			(void)!ring_wait(c->r, SPIN_ITERS, 20);
	}
}

struct b_book {
	uint32_t	 epoch;
	int64_t		 last;		/* last seq of this epoch, -1: none */
	uint64_t	 items;
};

/* One turn of B: check the order, hold a while, return in pieces. */
static bool
b_turn(struct ctx *c, void *arg)
{
	struct b_book *bk = arg;
	struct ring_desc d[64];
	uint32_t v, e, seq;
	unsigned i, n;
	int k;

	k = ring_recv(c->r, d, batch(c));
	assert_true(k >= 0);
	for (i = 0; i < (unsigned)k; i++) {
		memcpy(&v, ring_desc_data(c->r, &d[i]), 4);
		e = d[i].hint >> EPOCH_SHIFT;
		seq = d[i].hint & ((1u << EPOCH_SHIFT) - 1);
		if (v != d[i].hint || e < bk->epoch ||
		    (e == bk->epoch && (int64_t)seq != bk->last + 1) ||
		    (e > bk->epoch && seq != 0))
			fail_msg("seed %" PRIu64 ": B got %u.%u after %u.%"
			    PRId64, c->seed, e, seq, bk->epoch, bk->last);
		bk->epoch = e;
		bk->last = seq;
		work(c);
		v = ~v;
		memcpy(ring_desc_data(c->r, &d[i]), &v, 4);
	}
	for (i = 0; i < (unsigned)k; i += n) {
		n = batch(c);
		n = n < (unsigned)k - i ? n : (unsigned)k - i;
		assert_int_equal(ring_send(c->r, d + i, n), 0);
	}
	bk->items += (unsigned)k;
	return k > 0;
}

static void
spawn_a(struct ctx *c, int fd, const int efd[2], uint32_t epoch, bool stuck)
{
	atomic_store(&c->ctl->stuck, 0);
	atomic_store(&c->ctl->items, 0);
	if ((child = fork()) == 0) {
		c->rng ^= (uint64_t)0x5bd1e995u * (epoch + 1);
		a_child(c, fd, efd, epoch, stuck);
	}
	assert_true(child > 0);
}

/* Serve until the child has taken back `want` items or is stuck. */
static void
b_run(struct ctx *c, struct b_book *bk, uint32_t want, bool until_stuck)
{
	uint64_t end = test_now_ms() + DEADLINE_MS;

	while (until_stuck ? atomic_load(&c->ctl->stuck) == 0 :
	    atomic_load(&c->ctl->items) < want) {
		if (test_now_ms() > end || atomic_load(&c->ctl->failed))
			fail_msg("seed %" PRIu64 ": B stalled (%s)", c->seed,
			    c->ctl->msg);
		if (!b_turn(c, bk))
			(void)!ring_wait(c->r, SPIN_ITERS, 20);
	}
}

static void
test_kill_a(void **state)
{
	struct b_book bk = { .last = -1 };
	struct ring_slot_counts cnt;
	uint64_t end;
	uint32_t epoch;
	struct ctx c;
	int fd, efd[2], i, status;
	pid_t done;

	(void)state;
	ctx_init(&c, &fd, efd);
	assert_int_equal(ring_region_attach(&c.r, fd, RING_SIDE_B, efd), 0);
	for (epoch = 0; epoch < ROUNDS; epoch++) {
		spawn_a(&c, fd, efd, epoch, epoch == 2 || epoch == 5);
		b_run(&c, &bk, 1000 + (uint32_t)(prng_next(&c.rng) % 20000),
		    epoch == 2 || epoch == 5);
		kill_child(&c, b_turn, &bk, false);
		/* B goes on alone for a while: the done ring fills up. */
		for (i = (int)(prng_next(&c.rng) % 200); i > 0; i--)
			(void)b_turn(&c, &bk);
	}
	spawn_a(&c, fd, efd, epoch, false);
	b_run(&c, &bk, 5000, false);
	atomic_store(&c.ctl->stop, 1);
	end = test_now_ms() + DEADLINE_MS;
	while ((done = waitpid(child, &status, WNOHANG)) == 0) {
		if (test_now_ms() > end)
			fail_msg("seed %" PRIu64 ": last A never finished",
			    c.seed);
		if (!b_turn(&c, &bk))
			(void)!ring_wait(c.r, SPIN_ITERS, 20);
	}
	assert_int_equal(done, child);
	child = -1;
	if (atomic_load(&c.ctl->failed))
		fail_msg("seed %" PRIu64 ": %s", c.seed, c.ctl->msg);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fprintf(stderr, "test_ring_kill: A killed %d times: B handled %"
	    PRIu64 " items\n", ROUNDS, bk.items);
	ring_slot_counts(c.r, &cnt);
	assert_int_equal(cnt.held, 0);
	assert_int_equal(ring_region_stats(c.r)->not_ours, 0);
	assert_int_equal(ring_region_stats(c.r)->bad_slot, 0);
	check_at_rest(&c);
	ctx_fini(&c, fd, efd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill_b, reap_child),
		cmocka_unit_test_teardown(test_kill_a, reap_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
