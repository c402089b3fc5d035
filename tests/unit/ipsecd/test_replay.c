/*
 * test_replay.c - the anti-replay window and the outbound counter: every
 * boundary as a table row (0, 1, size-1, size, size+1, wrap, hard limit,
 * ESN subspace switch), window rounding and geometry, the re-check in
 * replay_advance(), and crash safety: an advance stopped after every
 * prefix of its stores (as a kill -9 would stop it), then continued,
 * never accepts a number that was accepted before.
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

#define WIN_BYTES_MAX	(16 + 8 * REPLAY_WORDS_MAX)

union winbuf {
	struct replay_win	w;
	uint64_t		raw[WIN_BYTES_MAX / 8];
};

static void
setup_win(union winbuf *b, uint32_t window, unsigned flags,
    const uint64_t *seen, size_t nseen)
{
	size_t i;

	assert_int_equal(replay_win_init(&b->w, sizeof(*b), window, flags), 0);
	for (i = 0; i < nseen; i++) {
		enum replay_verdict v = replay_advance(&b->w, seen[i]);

		if (!replay_ok(v))
			fail_msg("setup: seen %#llx refused: %s",
			    (unsigned long long)seen[i],
			    replay_verdict_name(v));
	}
}

#define SEEN_MAX	4
#define T32		UINT64_C(0x100000000)
#define HI(x)		((uint64_t)(x) << 32)

struct row {
	const char		*name;
	uint32_t		 window;
	unsigned		 flags;
	uint64_t		 seen[SEEN_MAX];	/* ascending, 0 ends */
	uint32_t		 seq_lo;
	enum replay_verdict	 want;
	uint64_t		 want64;
};

#define ESN	REPLAY_F_ESN
static const struct row rows[] = {
	/* 32-bit, W = 64, nothing seen yet. */
	{ "empty: 0", 64, 0, { 0 }, 0, REPLAY_BAD_SEQ, 0 },
	{ "empty: 1", 64, 0, { 0 }, 1, REPLAY_NEW, 1 },
	{ "empty: max", 64, 0, { 0 }, UINT32_MAX, REPLAY_NEW, UINT32_MAX },
	/* 32-bit, W = 64, T = 100. */
	{ "T", 64, 0, { 100 }, 100, REPLAY_DUP, 100 },
	{ "T-1", 64, 0, { 100 }, 99, REPLAY_FRESH, 99 },
	{ "T-(size-1)", 64, 0, { 100 }, 37, REPLAY_FRESH, 37 },
	{ "T-size", 64, 0, { 100 }, 36, REPLAY_TOO_OLD, 36 },
	{ "T-(size+1)", 64, 0, { 100 }, 35, REPLAY_TOO_OLD, 35 },
	{ "T+1", 64, 0, { 100 }, 101, REPLAY_NEW, 101 },
	{ "T+size", 64, 0, { 100 }, 164, REPLAY_NEW, 164 },
	{ "seen in window", 64, 0, { 40, 100 }, 40, REPLAY_DUP, 40 },
	{ "seen at bottom", 64, 0, { 37, 100 }, 37, REPLAY_DUP, 37 },
	{ "zero in window", 64, 0, { 10 }, 0, REPLAY_BAD_SEQ, 0 },
	/* 32-bit near the wrap: no wrap without ESN. */
	{ "32: T=max, 1", 64, 0, { UINT32_MAX }, 1, REPLAY_TOO_OLD, 1 },
	{ "32: T=max, max", 64, 0, { UINT32_MAX }, UINT32_MAX, REPLAY_DUP,
	    UINT32_MAX },
	{ "32: T=max, max-63", 64, 0, { UINT32_MAX }, UINT32_MAX - 63,
	    REPLAY_FRESH, UINT32_MAX - 63 },
	{ "32: T=max, max-64", 64, 0, { UINT32_MAX }, UINT32_MAX - 64,
	    REPLAY_TOO_OLD, UINT32_MAX - 64 },
	/* Window 32 (the smallest), T = 31: bottom is 0. */
	{ "W32: 1", 32, 0, { 31 }, 1, REPLAY_FRESH, 1 },
	{ "W32: 0", 32, 0, { 31 }, 0, REPLAY_BAD_SEQ, 0 },
	{ "W32 T=33: 1", 32, 0, { 33 }, 1, REPLAY_TOO_OLD, 1 },
	{ "W32 T=32: 1", 32, 0, { 32 }, 1, REPLAY_FRESH, 1 },
	/* Rounding: 100 is a window of 128. */
	{ "W100->128: T-127", 100, 0, { 1000 }, 873, REPLAY_FRESH, 873 },
	{ "W100->128: T-128", 100, 0, { 1000 }, 872, REPLAY_TOO_OLD, 872 },
	/* Large windows. */
	{ "W4096: T-4095", 4096, 0, { 10000 }, 5905, REPLAY_FRESH, 5905 },
	{ "W4096: T-4096", 4096, 0, { 10000 }, 5904, REPLAY_TOO_OLD, 5904 },
	{ "W8192: T-8191", 8192, 0, { 10000 }, 1809, REPLAY_FRESH, 1809 },
	{ "W8192: T-8192", 8192, 0, { 10000 }, 1808, REPLAY_TOO_OLD, 1808 },
	/* ESN, W = 64: start of the SA (case B, Th = 0). */
	{ "esn empty: 0", 64, ESN, { 0 }, 0, REPLAY_BAD_SEQ, 0 },
	{ "esn empty: 1", 64, ESN, { 0 }, 1, REPLAY_NEW, 1 },
	{ "esn empty: max", 64, ESN, { 0 }, UINT32_MAX, REPLAY_BAD_SEQ,
	    HI(UINT32_MAX) | UINT32_MAX },
	{ "esn T=5: bottom-1", 64, ESN, { 5 }, UINT32_MAX - 58,
	    REPLAY_NEW, UINT32_MAX - 58 },
	{ "esn T=5: bottom", 64, ESN, { 5 }, UINT32_MAX - 57, REPLAY_BAD_SEQ,
	    HI(UINT32_MAX) | (UINT32_MAX - 57) },
	/* ESN, W = 64, T = 1000 (case A). Never "too old": below the
	 * window is the next subspace. */
	{ "esn A: T", 64, ESN, { 1000 }, 1000, REPLAY_DUP, 1000 },
	{ "esn A: T-(size-1)", 64, ESN, { 1000 }, 937, REPLAY_FRESH, 937 },
	{ "esn A: T-size", 64, ESN, { 1000 }, 936, REPLAY_NEW, HI(1) | 936 },
	{ "esn A: T+1", 64, ESN, { 1000 }, 1001, REPLAY_NEW, 1001 },
	/* ESN subspace switch: T = 2^32 - 1 then 2^32. */
	{ "esn switch: 0", 64, ESN, { UINT32_MAX }, 0, REPLAY_NEW, T32 },
	{ "esn switch: max", 64, ESN, { UINT32_MAX }, UINT32_MAX, REPLAY_DUP,
	    UINT32_MAX },
	{ "esn switch: max-63", 64, ESN, { UINT32_MAX }, UINT32_MAX - 63,
	    REPLAY_FRESH, UINT32_MAX - 63 },
	{ "esn switch: max-64", 64, ESN, { UINT32_MAX }, UINT32_MAX - 64,
	    REPLAY_NEW, HI(1) | (UINT32_MAX - 64) },
	{ "esn B: max of prev", 64, ESN, { UINT32_MAX, T32 }, UINT32_MAX,
	    REPLAY_DUP, UINT32_MAX },
	{ "esn B: prev fresh", 64, ESN, { UINT32_MAX, T32 }, UINT32_MAX - 1,
	    REPLAY_FRESH, UINT32_MAX - 1 },
	{ "esn B: bottom", 64, ESN, { T32 }, UINT32_MAX - 62,
	    REPLAY_FRESH, UINT32_MAX - 62 },
	{ "esn B: bottom-1", 64, ESN, { T32 }, UINT32_MAX - 63,
	    REPLAY_NEW, HI(1) | (UINT32_MAX - 63) },
	{ "esn B: 0 of new", 64, ESN, { T32 }, 0, REPLAY_DUP, T32 },
	{ "esn B: 1 of new", 64, ESN, { T32 }, 1, REPLAY_NEW, T32 + 1 },
	/* ESN hard limit: T in the last subspace. */
	{ "esn last: T+1", 64, ESN, { UINT64_MAX - 1 }, UINT32_MAX,
	    REPLAY_NEW, UINT64_MAX },
	{ "esn last: wrap", 64, ESN, { UINT64_MAX - 1 }, 5, REPLAY_WRAPPED,
	    5 },
	{ "esn last: T", 64, ESN, { UINT64_MAX }, UINT32_MAX, REPLAY_DUP,
	    UINT64_MAX },
	{ "esn last: fresh", 64, ESN, { UINT64_MAX }, UINT32_MAX - 1,
	    REPLAY_FRESH, UINT64_MAX - 1 },
};

static void
test_rows(void **state)
{
	union winbuf b;
	size_t i, n;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		const struct row *r = &rows[i];
		enum replay_verdict v;
		uint64_t s64 = 0xdead;

		for (n = 0; n < SEEN_MAX && r->seen[n] != 0; n++)
			;
		setup_win(&b, r->window, r->flags, r->seen, n);
		v = replay_check(&b.w, r->seq_lo, &s64);
		if (v != r->want || s64 != r->want64)
			fail_msg("row %zu \"%s\": got %s %#llx, want %s %#llx",
			    i, r->name, replay_verdict_name(v),
			    (unsigned long long)s64,
			    replay_verdict_name(r->want),
			    (unsigned long long)r->want64);
		/* Advancing an accepted number records it: checked again,
		 * it is a duplicate. */
		if (replay_ok(v)) {
			assert_int_equal(replay_advance(&b.w, s64), v);
			assert_int_equal(replay_check(&b.w, r->seq_lo, &s64),
			    REPLAY_DUP);
		}
	}
}

struct geom_row {
	uint32_t	window;
	unsigned	flags;
	int		init;		/* replay_win_init() result */
	uint32_t	rounded;
	uint16_t	nwords;
};

static const struct geom_row geoms[] = {
	{ 0, 0, 0, 0, 0 },
	{ 0, REPLAY_F_ESN, -EINVAL, 0, 0 },
	{ 1, 0, 0, 32, 2 },
	{ 31, 0, 0, 32, 2 },
	{ 32, 0, 0, 32, 2 },
	{ 33, 0, 0, 64, 2 },
	{ 64, 0, 0, 64, 2 },
	{ 65, 0, 0, 96, 4 },
	{ 128, 0, 0, 128, 4 },
	{ 1024, 0, 0, 1024, 32 },
	{ 4096, REPLAY_F_ESN, 0, 4096, 128 },
	{ 8191, 0, 0, 8192, 256 },
	{ 8192, 0, 0, 8192, 256 },
	{ 8193, 0, -EINVAL, UINT32_MAX, 0 },
	{ 64, 0x80, -EINVAL, 64, 0 },
};

static void
test_geometry(void **state)
{
	union winbuf b;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(geoms); i++) {
		const struct geom_row *g = &geoms[i];

		assert_int_equal(replay_window_round(g->window), g->rounded);
		assert_int_equal(replay_win_init(&b.w, sizeof(b), g->window,
		    g->flags), g->init);
		if (g->init != 0)
			continue;
		assert_int_equal(b.w.rw_window, g->rounded);
		assert_int_equal(b.w.rw_nwords, g->nwords);
		assert_int_equal(replay_win_bytes(g->window),
		    16 + 8 * (size_t)g->nwords);
		assert_true(replay_win_valid(&b.w, replay_win_bytes(g->window)));
		assert_false(replay_win_valid(&b.w,
		    replay_win_bytes(g->window) - 1));
	}
	/* Too small a buffer; broken geometry read back. */
	assert_int_equal(replay_win_init(&b.w, 16 + 8, 64, 0), -EMSGSIZE);
	assert_int_equal(replay_win_init(&b.w, sizeof(b), 64, 0), 0);
	b.w.rw_nwords = 3;
	assert_false(replay_win_valid(&b.w, sizeof(b)));
	b.w.rw_nwords = 2;
	b.w.rw_window = 48;
	assert_false(replay_win_valid(&b.w, sizeof(b)));
	b.w.rw_window = 64;
	b.w.rw_flags = 0x8;
	assert_false(replay_win_valid(&b.w, sizeof(b)));
	assert_int_equal(replay_win_bytes(8193), 0);
	assert_string_equal(replay_verdict_name(REPLAY_DUP), "replay");
	assert_string_equal(replay_verdict_name(REPLAY_VERDICT_COUNT),
	    "unknown");
}

/* Window 0 without ESN: no check at all (KAME, Linux). */
static void
test_window_zero(void **state)
{
	union winbuf b;
	uint64_t s;

	(void)state;
	setup_win(&b, 0, 0, NULL, 0);
	assert_int_equal(replay_check(&b.w, 0, &s), REPLAY_FRESH);
	assert_int_equal(replay_check(&b.w, 7, &s), REPLAY_NEW);
	assert_int_equal(replay_advance(&b.w, 7), REPLAY_NEW);
	assert_int_equal(replay_check(&b.w, 7, &s), REPLAY_FRESH);
	assert_int_equal(replay_advance(&b.w, 7), REPLAY_FRESH);
	assert_int_equal(replay_check(&b.w, 1, &s), REPLAY_FRESH);
}

/*
 * check() is pure; advance() judges again: two packets with the same
 * number checked in one batch, both authenticated, only one gets in.
 */
static void
test_recheck(void **state)
{
	static const uint64_t seen[] = { 100 };
	union winbuf b, copy;
	uint64_t s1, s2;

	(void)state;
	setup_win(&b, 64, REPLAY_F_ESN, seen, 1);
	copy = b;
	assert_int_equal(replay_check(&b.w, 90, &s1), REPLAY_FRESH);
	assert_int_equal(replay_check(&b.w, 90, &s2), REPLAY_FRESH);
	assert_memory_equal(&copy, &b, sizeof(b));
	assert_int_equal(replay_advance(&b.w, s1), REPLAY_FRESH);
	assert_int_equal(replay_advance(&b.w, s2), REPLAY_DUP);
	assert_int_equal(replay_check(&b.w, 200, &s1), REPLAY_NEW);
	assert_int_equal(replay_check(&b.w, 200, &s2), REPLAY_NEW);
	assert_int_equal(replay_advance(&b.w, s1), REPLAY_NEW);
	assert_int_equal(replay_advance(&b.w, s2), REPLAY_DUP);
	/* A number that fell out of the window meanwhile. */
	assert_int_equal(replay_check(&b.w, 140, &s1), REPLAY_FRESH);
	assert_int_equal(replay_advance(&b.w, 300), REPLAY_NEW);
	assert_int_equal(replay_advance(&b.w, s1), REPLAY_TOO_OLD);
	assert_int_equal(replay_advance(&b.w, 0), REPLAY_BAD_SEQ);
}

/* One jump of d from a window with every other number recorded. */
static void
jump_case(uint32_t w, uint64_t d)
{
	union winbuf b;
	uint64_t base = 5000, x, s;

	setup_win(&b, w, 0, NULL, 0);
	for (x = base - w + 1; x <= base; x++)
		if (x % 2 == 0 || x == base)
			assert_true(replay_ok(replay_advance(&b.w, x)));
	assert_int_equal(replay_advance(&b.w, base + d), REPLAY_NEW);
	for (x = base + d - w + 1; x <= base + d; x++) {
		enum replay_verdict want, got;

		if (x == base + d || (x <= base && (x % 2 == 0 || x == base)))
			want = REPLAY_DUP;
		else
			want = REPLAY_FRESH;
		got = replay_check(&b.w, (uint32_t)x, &s);
		if (got != want)
			fail_msg("W %u jump %llu: %llu is %s", w,
			    (unsigned long long)d, (unsigned long long)x,
			    replay_verdict_name(got));
	}
}

/*
 * Jumps of every size around the ring: after T moves by d, exactly the
 * numbers recorded inside the new window are duplicates.
 */
static void
test_jumps(void **state)
{
	static const uint32_t wins[] = { 32, 64, 96, 1024 };
	size_t wi;
	uint64_t d;

	(void)state;
	for (wi = 0; wi < nitems(wins); wi++)
		for (d = 1; d < 4u * wins[wi] + 300u; d += (d < 140 ? 1 : 37))
			jump_case(wins[wi], d);
}

struct out_row {
	const char	*name;
	uint64_t	 last;
	uint64_t	 seq;
	unsigned	 flags;
	int		 want;
};

static const struct out_row out_rows[] = {
	{ "first", 0, 1, 0, 0 },
	{ "second", 1, 2, 0, 0 },
	{ "32: last", UINT32_MAX - 1, UINT32_MAX, 0, 0 },
	{ "32: exhausted", UINT32_MAX, 0, 0, -EOVERFLOW },
	{ "cyclic: wraps", UINT32_MAX, T32, REPLAY_F_CYCLIC, 0 },
	{ "cyclic: goes on", T32, T32 + 1, REPLAY_F_CYCLIC, 0 },
	{ "esn: subspace", UINT32_MAX, T32, REPLAY_F_ESN, 0 },
	{ "esn: last", UINT64_MAX - 1, UINT64_MAX, REPLAY_F_ESN, 0 },
	{ "esn: exhausted", UINT64_MAX, 0, REPLAY_F_ESN, -EOVERFLOW },
	{ "esn+cyclic: exhausted", UINT64_MAX, 0,
	    REPLAY_F_ESN | REPLAY_F_CYCLIC, -EOVERFLOW },
};

static void
test_outbound(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(out_rows); i++) {
		const struct out_row *r = &out_rows[i];
		uint64_t last = r->last, seq = 0;
		int rc = replay_out_next(&last, r->flags, &seq);

		if (rc != r->want || (rc == 0 && (seq != r->seq ||
		    last != r->seq)) || (rc != 0 && last != r->last))
			fail_msg("out row \"%s\": rc %d seq %#llx last %#llx",
			    r->name, rc, (unsigned long long)seq,
			    (unsigned long long)last);
	}
	assert_true(replay_out_left(0, 0) == UINT32_MAX);
	assert_true(replay_out_left(UINT32_MAX, 0) == 0);
	assert_true(replay_out_left(UINT32_MAX, REPLAY_F_ESN) ==
	    UINT64_MAX - UINT32_MAX);
	assert_true(replay_out_left(UINT64_MAX, REPLAY_F_CYCLIC) == 0);
}

/*
 * Crash safety, exhaustively over store prefixes. Walk a stream of
 * numbers (in order, reordered, duplicates, jumps past the ring, and for
 * ESN across a subspace); before each advance, for every k from 0 to the
 * advance's store count, stop a copy of the window after k stores (a
 * kill -9 there), then "restart" on the copy: every number accepted so
 * far must be refused by check(), also after more traffic is accepted on
 * the damaged window.
 */
#define ACC_MAX		512

static void
assert_none_again(const struct replay_win *w, const uint64_t *acc, size_t n,
    const char *what, size_t step, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t s;
		enum replay_verdict v = replay_check(w, (uint32_t)acc[i], &s);

		if (replay_ok(v) && s == acc[i])
			fail_msg("%s step %zu prefix %zu: %#llx accepted "
			    "again", what, step, k,
			    (unsigned long long)acc[i]);
	}
}

static uint64_t
next_number(uint64_t *rng, uint64_t top, uint32_t w)
{
	switch (prng_below(rng, 8)) {
	case 0:					/* duplicate-ish */
		return top;
	case 1: case 2:				/* reordered */
		return top > w + 8 ? top - prng_below(rng, w + 8) : top + 1;
	case 3:					/* jump past the ring */
		return top + 64 + prng_below(rng, 4u * w + 256);
	case 4:					/* a word ahead */
		return top + 60 + prng_below(rng, 10);
	default:				/* in order */
		return top + 1 + prng_below(rng, 3);
	}
}

static size_t crash_prefixes;	/* how many were tried, printed */

static void
crash_walk(uint32_t w, unsigned flags, uint64_t start, uint64_t seed)
{
	union winbuf b, c;
	uint64_t acc[ACC_MAX], acc2[ACC_MAX], rng = seed | 1;
	size_t nacc = 0, step;

	setup_win(&b, w, flags, NULL, 0);
	if (start != 0) {
		assert_int_equal(replay_advance(&b.w, start), REPLAY_NEW);
		acc[nacc++] = start;
	}
	for (step = 0; step < 200 && nacc < ACC_MAX - 40; step++) {
		uint64_t top = b.w.rw_top, x = next_number(&rng, top, w), s;
		enum replay_verdict v;
		size_t k, total;

		if ((flags & REPLAY_F_ESN) == 0 && x > UINT32_MAX)
			break;
		v = replay_check(&b.w, (uint32_t)x, &s);
		if (!replay_ok(v) || s != x)
			continue;
		c = b;
		total = replay_advance_partial(&c.w, s, SIZE_MAX);
		assert_true(total >= 1);
		for (k = 0; k <= total; k++) {
			size_t n2 = nacc, j;
			uint64_t rng2 = rng ^ k;

			c = b;
			crash_prefixes++;
			assert_int_equal(replay_advance_partial(&c.w, s, k),
			    k);
			assert_none_again(&c.w, acc, nacc, "crash", step, k);
			/* Restarted: more traffic on the damaged window. */
			memcpy(acc2, acc, nacc * sizeof(acc[0]));
			for (j = 0; j < 30; j++) {
				uint64_t y = next_number(&rng2, c.w.rw_top, w);
				uint64_t t;

				if (!replay_ok(replay_check(&c.w, (uint32_t)y,
				    &t)))
					continue;
				if (replay_ok(replay_advance(&c.w, t)))
					acc2[n2++] = t;
			}
			assert_none_again(&c.w, acc2, n2, "after restart",
			    step, k);
		}
		assert_true(replay_ok(replay_advance(&b.w, s)));
		acc[nacc++] = s;
		assert_none_again(&b.w, acc, nacc, "clean", step, total);
	}
}

static void
test_crash_prefixes(void **state)
{
	uint64_t seed = prng_seed_env();

	(void)state;
	printf("test_replay: PARAPET_SEED=%llu\n", (unsigned long long)seed);
	crash_walk(32, 0, 0, seed);
	crash_walk(64, 0, 0, seed + 1);
	crash_walk(96, 0, 1000, seed + 2);
	crash_walk(128, REPLAY_F_ESN, 0, seed + 3);
	crash_walk(64, REPLAY_F_ESN, UINT32_MAX - 500, seed + 4);
	crash_walk(256, REPLAY_F_ESN, HI(7) - 3000, seed + 5);
	printf("test_replay: %zu crash prefixes checked\n", crash_prefixes);
	assert_true(crash_prefixes > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_window_zero),
		cmocka_unit_test(test_recheck),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_outbound),
		cmocka_unit_test(test_crash_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
