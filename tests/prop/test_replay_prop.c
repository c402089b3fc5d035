/*
 * test_replay_prop.c - the anti-replay window (ring of words, RFC 4303
 * A2.3 inference) against a naive model on random streams: a set of the
 * 64-bit numbers accepted so far, T = the largest, and the rule written
 * out in closed form. For ESN the model takes the unique number congruent
 * to seq_lo mod 2^32 in [T - W + 1, T - W + 2^32] (computed in 128-bit
 * arithmetic, independent of the RFC's case split); a number below 1 is
 * one no sender used (BAD_SEQ), one at or past 2^64 is a wrapped counter.
 *
 * Streams mix in-order, reordered, duplicated and old packets, jumps
 * larger than the ring, packets that fail authentication (checked, not
 * advanced), windows from 32 to 8192, starts near a subspace boundary and
 * near 2^64 for ESN and near 2^32 without. Seed: PARAPET_SEED, printed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prng.h"
#include "replay.h"

/* The model: an open-addressing set of accepted numbers. */
struct model {
	uint64_t	*slots;		/* 0 = empty (0 is never accepted) */
	size_t		 cap;		/* power of two */
	size_t		 n;
	uint64_t	 top;
	uint32_t	 w;
	bool		 esn;
};

static size_t
mslot(const struct model *m, uint64_t x)
{
	uint64_t h = x * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 20) & (m->cap - 1);
}

static bool
model_has(const struct model *m, uint64_t x)
{
	size_t i;

	for (i = mslot(m, x); m->slots[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->slots[i] == x)
			return true;
	return false;
}

static void
model_add(struct model *m, uint64_t x)
{
	size_t i;

	assert_true(m->n < m->cap / 2);
	for (i = mslot(m, x); m->slots[i] != 0; i = (i + 1) & (m->cap - 1))
		assert_true(m->slots[i] != x);
	m->slots[i] = x;
	m->n++;
	if (x > m->top)
		m->top = x;
}

static enum replay_verdict
model_judge(const struct model *m, uint64_t s)
{
	if (s > m->top)
		return REPLAY_NEW;
	if (m->top - s >= m->w)
		return REPLAY_TOO_OLD;
	return model_has(m, s) ? REPLAY_DUP : REPLAY_FRESH;
}

static enum replay_verdict
model_check(const struct model *m, uint32_t lo, uint64_t *s64)
{
	__int128 base, s;

	if (!m->esn) {
		*s64 = lo;
		if (lo == 0)
			return REPLAY_BAD_SEQ;
		return model_judge(m, lo);
	}
	/* Unique s = lo (mod 2^32) with T - W + 1 <= s <= T - W + 2^32. */
	base = (__int128)m->top - m->w + 1;
	s = base + (((__int128)lo - base) & 0xffffffff);
	*s64 = (uint64_t)s;
	if (s < 1)
		return REPLAY_BAD_SEQ;
	if (s > (__int128)UINT64_MAX)
		return REPLAY_WRAPPED;
	return model_judge(m, (uint64_t)s);
}

#define WIN_WORDS	(2 + REPLAY_WORDS_MAX)

static unsigned long long seed;

static uint64_t
draw(uint64_t *rng, uint64_t top, uint32_t w)
{
	uint64_t r = prng_below(rng, 100);

	if (r < 45)				/* in order, small gaps */
		return top + 1 + prng_below(rng, 4);
	if (r < 70)				/* reordered inside */
		return top - prng_below(rng, w);
	if (r < 78)				/* exact duplicate of T */
		return top;
	if (r < 85)				/* around the bottom */
		return top - w + prng_below(rng, 3) - 1;
	if (r < 92)				/* old */
		return top - w - prng_below(rng, 100000);
	if (r < 97)				/* jump past the ring */
		return top + prng_below(rng, 20u * w + 1000);
	/* Huge jump (up to 2^31). */
	return top + prng_below(rng, UINT64_C(1) << 31);
}

static void
run(uint64_t *rng, uint32_t window, bool esn, uint64_t start, int steps,
    int round)
{
	static uint64_t buf[WIN_WORDS];
	struct replay_win *w = (struct replay_win *)(void *)buf;
	struct model m;
	size_t cap = 1;
	int i;

	while (cap < (size_t)steps * 4)
		cap <<= 1;
	memset(&m, 0, sizeof(m));
	m.cap = cap;
	m.slots = calloc(cap, sizeof(*m.slots));
	assert_non_null(m.slots);
	m.w = replay_window_round(window);
	m.esn = esn;
	assert_int_equal(replay_win_init(w, sizeof(buf), window,
	    esn ? REPLAY_F_ESN : 0), 0);
	if (start != 0) {
		assert_int_equal(replay_advance(w, start), REPLAY_NEW);
		model_add(&m, start);
	}
	for (i = 0; i < steps; i++) {
		uint64_t x = draw(rng, m.top, m.w), got64 = 0, want64 = 0;
		uint32_t lo = (uint32_t)x;
		enum replay_verdict got, want, adv;

		got = replay_check(w, lo, &got64);
		want = model_check(&m, lo, &want64);
		if (got != want || got64 != want64)
			fail_msg("PARAPET_SEED=%llu round %d step %d: W %u esn "
			    "%d T %#llx lo %#x: got %s %#llx, model %s %#llx",
			    seed, round, i, m.w, esn,
			    (unsigned long long)m.top, lo,
			    replay_verdict_name(got),
			    (unsigned long long)got64,
			    replay_verdict_name(want),
			    (unsigned long long)want64);
		if (!replay_ok(got))
			continue;
		if (prng_below(rng, 20) == 0)	/* ICV failed: no advance */
			continue;
		adv = replay_advance(w, got64);
		if (adv != got)
			fail_msg("PARAPET_SEED=%llu round %d step %d: advance "
			    "%s after check %s", seed, round, i,
			    replay_verdict_name(adv), replay_verdict_name(got));
		model_add(&m, got64);
		assert_true(w->rw_top == m.top);
		if (m.n >= cap / 2 - 1)
			break;
	}
	free(m.slots);
}

static void
test_against_model(void **state)
{
	static const uint32_t wins[] = { 32, 64, 96, 128, 1024, 4096, 8192,
	    33, 1000 };
	uint64_t rng;
	int round;

	(void)state;
	seed = prng_seed_env();
	printf("test_replay_prop: PARAPET_SEED=%llu\n", seed);
	rng = seed | 1;
	for (round = 0; round < 2000; round++) {
		uint32_t w = wins[prng_below(&rng, nitems(wins))];
		bool esn = prng_below(&rng, 3) != 0;
		uint64_t start;

		switch (prng_below(&rng, 5)) {
		case 0:
			start = 0;
			break;
		case 1:					/* near 2^32 */
			start = UINT32_MAX - prng_below(&rng, 3u * w + 5000);
			break;
		case 2:					/* a later subspace */
			start = esn ? ((uint64_t)prng_below(&rng, 100) << 32) +
			    UINT32_MAX - prng_below(&rng, 2000) : 1;
			break;
		case 3:					/* near 2^64 */
			start = esn ? UINT64_MAX - prng_below(&rng,
			    UINT64_C(1) << 33) : 1;
			break;
		default:
			start = 1 + prng_below(&rng, 1000000);
			break;
		}
		if (start == 0 && round % 2 == 1)
			start = 1;
		run(&rng, w, esn, start, 4000, round);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
