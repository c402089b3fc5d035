/*
 * test_sockpol_wait.c - the replies policyd holds until netd has applied
 * a change of the per-socket registry (servers/policyd/sockpol.h,
 * struct sockpol_wait):
 *
 *  - nothing waits before a netd acknowledged, nor a generation netd
 *    already has; acknowledgements of another epoch are ignored;
 *  - release in order up to the acknowledged generation, never past a
 *    head that must still wait; an older acknowledgement changes
 *    nothing;
 *  - expiry at the deadline (not before), in order;
 *  - a closed connection's entries dropped, the others kept in order;
 *  - limits: full (-ENOBUFS), out of order (-EINVAL);
 *  - random runs against a naive model (PARAPET_SEED).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "prng.h"
#include "sockpol.h"

#define EPOCH	0x1234567u

static void
init(struct sockpol_wait *w, size_t cap)
{
	assert_int_equal(sockpol_wait_init(w, EPOCH, cap), 0);
}

static void
expect_pop(struct sockpol_wait *w, uint64_t now, enum sockpol_release r,
    uint64_t conn, uint64_t gen)
{
	struct sockpol_hold h;

	assert_int_equal(sockpol_wait_pop(w, now, &h), r);
	if (r == SOCKPOL_KEEP)
		return;
	assert_int_equal(h.conn, conn);
	assert_int_equal(h.gen, gen);
}

static void
test_needed(void **state)
{
	struct sockpol_wait w;

	(void)state;
	init(&w, 4);
	/* No netd ever acknowledged: answer at once. */
	assert_false(sockpol_wait_needed(&w, 1));
	assert_false(sockpol_wait_needed(&w, 100));
	/* Another epoch (a previous policyd's netd state): ignored. */
	assert_false(sockpol_wait_applied(&w, EPOCH + 1, 50));
	assert_false(sockpol_wait_needed(&w, 1));
	assert_true(sockpol_wait_applied(&w, EPOCH, 3));
	assert_false(sockpol_wait_needed(&w, 3));
	assert_true(sockpol_wait_needed(&w, 4));
	/* An older acknowledgement does not go back. */
	assert_true(sockpol_wait_applied(&w, EPOCH, 2));
	assert_false(sockpol_wait_needed(&w, 3));
	/* gen 0 (a snapshot of an empty registry) still counts as seen. */
	sockpol_wait_fini(&w);
	init(&w, 4);
	assert_true(sockpol_wait_applied(&w, EPOCH, 0));
	assert_true(sockpol_wait_needed(&w, 1));
	sockpol_wait_fini(&w);
}

static void
test_release(void **state)
{
	struct sockpol_wait w;
	uint64_t at;

	(void)state;
	init(&w, 8);
	assert_true(sockpol_wait_applied(&w, EPOCH, 0));
	assert_false(sockpol_wait_next(&w, &at));
	expect_pop(&w, 0, SOCKPOL_KEEP, 0, 0);
	assert_int_equal(sockpol_wait_push(&w, 1, 1, 1000), 0);
	assert_int_equal(sockpol_wait_push(&w, 2, 3, 1000), 0);
	assert_int_equal(sockpol_wait_push(&w, 3, 3, 1010), 0);
	assert_int_equal(sockpol_wait_push(&w, 4, 5, 1020), 0);
	assert_true(sockpol_wait_next(&w, &at));
	assert_int_equal(at, 1000);
	/* Nothing acknowledged past 0, before the deadline: all wait. */
	expect_pop(&w, 999, SOCKPOL_KEEP, 0, 0);
	/* netd has 3: the first three go, in order; 5 waits. */
	assert_true(sockpol_wait_applied(&w, EPOCH, 3));
	expect_pop(&w, 999, SOCKPOL_APPLIED, 1, 1);
	expect_pop(&w, 999, SOCKPOL_APPLIED, 2, 3);
	expect_pop(&w, 999, SOCKPOL_APPLIED, 3, 3);
	expect_pop(&w, 999, SOCKPOL_KEEP, 0, 0);
	assert_true(sockpol_wait_next(&w, &at));
	assert_int_equal(at, 1020);
	assert_true(sockpol_wait_applied(&w, EPOCH, 9));
	expect_pop(&w, 0, SOCKPOL_APPLIED, 4, 5);
	assert_false(sockpol_wait_next(&w, &at));
	sockpol_wait_fini(&w);
}

static void
test_expire(void **state)
{
	struct sockpol_wait w;

	(void)state;
	init(&w, 8);
	assert_true(sockpol_wait_applied(&w, EPOCH, 0));
	assert_int_equal(sockpol_wait_push(&w, 7, 1, 1000), 0);
	assert_int_equal(sockpol_wait_push(&w, 8, 2, 1500), 0);
	expect_pop(&w, 999, SOCKPOL_KEEP, 0, 0);
	expect_pop(&w, 1000, SOCKPOL_EXPIRED, 7, 1);
	expect_pop(&w, 1000, SOCKPOL_KEEP, 0, 0);
	/* Applied wins over expired when both hold. */
	assert_true(sockpol_wait_applied(&w, EPOCH, 2));
	expect_pop(&w, 2000, SOCKPOL_APPLIED, 8, 2);
	sockpol_wait_fini(&w);
}

static void
test_drop(void **state)
{
	struct sockpol_wait w;

	(void)state;
	init(&w, 8);
	assert_true(sockpol_wait_applied(&w, EPOCH, 0));
	assert_int_equal(sockpol_wait_push(&w, 1, 1, 10), 0);
	assert_int_equal(sockpol_wait_push(&w, 2, 2, 20), 0);
	assert_int_equal(sockpol_wait_push(&w, 3, 3, 30), 0);
	assert_int_equal(sockpol_wait_drop(&w, 2), 1);
	assert_int_equal(sockpol_wait_drop(&w, 2), 0);
	assert_int_equal(sockpol_wait_drop(&w, 99), 0);
	assert_int_equal(w.n, 2);
	expect_pop(&w, 100, SOCKPOL_EXPIRED, 1, 1);
	expect_pop(&w, 100, SOCKPOL_EXPIRED, 3, 3);
	expect_pop(&w, 100, SOCKPOL_KEEP, 0, 0);
	sockpol_wait_fini(&w);
}

static void
test_limits(void **state)
{
	struct sockpol_wait w;

	(void)state;
	assert_int_equal(sockpol_wait_init(&w, EPOCH, 0), -ENOMEM);
	sockpol_wait_fini(&w);
	init(&w, 2);
	assert_int_equal(sockpol_wait_push(&w, 1, 5, 100), 0);
	/* Generation or deadline going back: refused. */
	assert_int_equal(sockpol_wait_push(&w, 2, 4, 100), -EINVAL);
	assert_int_equal(sockpol_wait_push(&w, 2, 5, 99), -EINVAL);
	assert_int_equal(sockpol_wait_push(&w, 2, 5, 100), 0);
	assert_int_equal(sockpol_wait_push(&w, 3, 6, 200), -ENOBUFS);
	assert_int_equal(w.n, 2);
	sockpol_wait_fini(&w);
	/* fini twice (after fini) is harmless. */
	sockpol_wait_fini(&w);
}

/* Random pushes, acknowledgements, drops and clock steps against a
 * model: an array with a "gone" mark, released strictly from the front. */
#define RN	((size_t)512)	/* steps, and entries at most */

struct model {
	uint64_t	conn[RN], gen[RN], dl[RN];
	size_t		head, n;
	uint64_t	applied;
};

static void
model_check_pop(struct sockpol_wait *w, struct model *m, uint64_t now)
{
	enum sockpol_release want, got;
	struct sockpol_hold h;

	for (;;) {
		while (m->head < m->n && m->conn[m->head] == 0)
			m->head++;
		want = SOCKPOL_KEEP;
		if (m->head < m->n && m->gen[m->head] <= m->applied)
			want = SOCKPOL_APPLIED;
		else if (m->head < m->n && m->dl[m->head] <= now)
			want = SOCKPOL_EXPIRED;
		got = sockpol_wait_pop(w, now, &h);
		assert_int_equal(got, want);
		if (got == SOCKPOL_KEEP)
			return;
		assert_int_equal(h.conn, m->conn[m->head]);
		assert_int_equal(h.gen, m->gen[m->head]);
		m->conn[m->head++] = 0;
	}
}

static void
test_random(void **state)
{
	static struct model m;
	struct sockpol_wait w;
	uint64_t r, now = 0, gen = 0, conn = 0, c;
	size_t i, k;

	(void)state;
	r = prng_seed_env();
	if (r == 0)
		r = 1;
	print_message("PARAPET_SEED=0x%llx\n", (unsigned long long)r);
	init(&w, RN);
	assert_true(sockpol_wait_applied(&w, EPOCH, 0));
	memset(&m, 0, sizeof(m));
	for (i = 0; i < RN; i++) {
		switch (prng_below(&r, 4)) {
		case 0:		/* a change held */
			gen += prng_below(&r, 3);
			assert_int_equal(sockpol_wait_push(&w, ++conn, gen,
			    now + 1000), 0);
			m.conn[m.n] = conn;
			m.gen[m.n] = gen;
			m.dl[m.n++] = now + 1000;
			break;
		case 1:		/* netd acknowledges */
			c = prng_below(&r, 3);
			c = gen >= c ? gen - c : 0;
			assert_true(sockpol_wait_applied(&w, EPOCH, c));
			if (c > m.applied)
				m.applied = c;
			break;
		case 2:		/* a connection closes */
			if (conn == 0)
				break;
			c = 1 + prng_below(&r, conn);
			for (k = m.head; k < m.n; k++)
				if (m.conn[k] == c)
					m.conn[k] = 0;
			(void)sockpol_wait_drop(&w, c);
			break;
		default:	/* time passes */
			now += prng_below(&r, 400);
			break;
		}
		model_check_pop(&w, &m, now);
	}
	sockpol_wait_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needed),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
