/*
 * bench_replay.c - cost of the inbound anti-replay window per packet
 * (replay_check() then, when accepted, replay_advance()) for three
 * streams (in order; reordered within a quarter window; random around
 * the top) at windows of 64, 1024 and 4096 packets, against a naive
 * reference measured in the same run: a bitmap of the same size that is
 * shifted whole on every advance (what RFC 6479 replaces). Prints ns per
 * packet for both, with and without ESN for ours, and the ratio
 * naive / ours (above 1: ours is faster). Both are called out of line.
 *
 * Usage: bench_replay [packets [cpu]]   (default 2000000 on CPU 0;
 * PARAPET_SEED). Each figure is the best of 5 runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "prng.h"
#include "replay.h"

/* The reference: bit k of bm is number T - k; shift on advance. */
struct naive {
	uint64_t	 top;
	uint32_t	 w;
	size_t		 nwords;
	uint64_t	 bm[REPLAY_WINDOW_MAX / 64];
};

static void
naive_init(struct naive *n, uint32_t w)
{
	memset(n, 0, sizeof(*n));
	n->w = w;
	n->nwords = w / 64;
}

/* Out of line, as replay_check()/replay_advance() are (a library the
 * packet code calls): the comparison is of the algorithms, not of
 * inlining. */
static __attribute__((noinline)) int
naive_check(const struct naive *n, uint32_t s)
{
	uint64_t d;

	if (s == 0)
		return 0;
	if (s > n->top)
		return 1;
	d = n->top - s;
	if (d >= n->w)
		return 0;
	return (n->bm[d / 64] >> (d % 64) & 1) == 0;
}

static __attribute__((noinline)) void
naive_advance(struct naive *n, uint32_t s)
{
	uint64_t d;
	size_t i, q;
	unsigned r;

	if (s > n->top) {
		d = s - n->top;
		n->top = s;
		if (d >= n->w) {
			memset(n->bm, 0, n->nwords * 8);
		} else {
			q = (size_t)(d / 64);
			r = (unsigned)(d % 64);
			for (i = n->nwords; i-- > 0;) {
				uint64_t v = 0;

				if (i >= q) {
					v = n->bm[i - q] << r;
					if (r != 0 && i > q)
						v |= n->bm[i - q - 1] >>
						    (64 - r);
				}
				n->bm[i] = v;
			}
		}
		n->bm[0] |= 1;
	} else {
		d = n->top - s;
		n->bm[d / 64] |= UINT64_C(1) << (d % 64);
	}
}

enum stream { IN_ORDER, REORDERED, RANDOM, NSTREAMS };
static const char *const stream_names[NSTREAMS] = { "in-order",
    "reordered", "random" };

static void
make_stream(uint32_t *v, size_t n, enum stream k, uint32_t w, uint64_t *rng)
{
	size_t i;
	uint64_t top = 1000000;

	for (i = 0; i < n; i++)
		v[i] = (uint32_t)(1000000 + i);
	if (k == REORDERED) {
		/* Swap neighbours up to a quarter window apart. */
		for (i = 0; i < n; i++) {
			size_t j = i + (size_t)prng_below(rng, w / 4 + 1);
			uint32_t t;

			if (j >= n)
				continue;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
	} else if (k == RANDOM) {
		/* Around a top that creeps forward: 3/4 inside or below
		 * the window, 1/4 ahead of it, some far ahead. */
		for (i = 0; i < n; i++) {
			uint64_t r = prng_below(rng, 2 * (uint64_t)w);

			if (prng_below(rng, 64) == 0)
				top += prng_below(rng, 4 * (uint64_t)w);
			v[i] = (uint32_t)(top + r - (3 * (uint64_t)w) / 2);
			if (v[i] > top)
				top = v[i];
		}
	}
}

static double
run_ours(const uint32_t *v, size_t n, uint32_t w, unsigned flags,
    size_t *accepted)
{
	static uint64_t buf[2 + REPLAY_WORDS_MAX];
	struct replay_win *rw = (struct replay_win *)(void *)buf;
	uint64_t t0, t1, s64;
	size_t i, acc = 0;

	if (replay_win_init(rw, sizeof(buf), w, flags) != 0)
		fatalx("replay_win_init");
	t0 = now_ns();
	/* "Authentication" passes only for the number the sender used: with
	 * ESN, a number inferred into another subspace fails its ICV. */
	for (i = 0; i < n; i++)
		if (replay_ok(replay_check(rw, v[i], &s64)) && s64 == v[i] &&
		    replay_ok(replay_advance(rw, s64)))
			acc++;
	t1 = now_ns();
	*accepted = acc;
	return (double)(t1 - t0) / (double)n;
}

static double
run_naive(const uint32_t *v, size_t n, uint32_t w, size_t *accepted)
{
	static struct naive nv;
	uint64_t t0, t1;
	size_t i, acc = 0;

	naive_init(&nv, w);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (naive_check(&nv, v[i])) {
			naive_advance(&nv, v[i]);
			acc++;
		}
	t1 = now_ns();
	*accepted = acc;
	return (double)(t1 - t0) / (double)n;
}

#define REPS	5

static double
best_ours(const uint32_t *v, size_t n, uint32_t w, unsigned flags,
    size_t *acc)
{
	double b = 1e9, x;
	int i;

	for (i = 0; i < REPS; i++)
		if ((x = run_ours(v, n, w, flags, acc)) < b)
			b = x;
	return b;
}

static double
best_naive(const uint32_t *v, size_t n, uint32_t w, size_t *acc)
{
	double b = 1e9, x;
	int i;

	for (i = 0; i < REPS; i++)
		if ((x = run_naive(v, n, w, acc)) < b)
			b = x;
	return b;
}

int
main(int argc, char **argv)
{
	static const uint32_t wins[] = { 64, 1024, 4096 };
	uint64_t seed = prng_seed_env(), rng = seed | 1;
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000;
	uint32_t *v;
	size_t wi;
	int k;

	log_init("bench_replay", false);
	pin(argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0);
	if (n == 0 || (v = malloc(n * sizeof(*v))) == NULL)
		fatalx("usage: bench_replay [packets]");
	printf("bench_replay: PARAPET_SEED=%llu packets=%zu build: %s\n",
	    (unsigned long long)seed, n, BENCH_BUILD);
	printf("%-6s %-10s %10s %10s %10s %8s %9s\n", "window", "stream",
	    "ours ns", "ours+esn", "naive ns", "ratio", "accepted");
	for (wi = 0; wi < sizeof(wins) / sizeof(wins[0]); wi++) {
		for (k = 0; k < NSTREAMS; k++) {
			double o, e, r;
			size_t ao, ae, an;

			make_stream(v, n, (enum stream)k, wins[wi], &rng);
			o = best_ours(v, n, wins[wi], 0, &ao);
			e = best_ours(v, n, wins[wi], REPLAY_F_ESN, &ae);
			r = best_naive(v, n, wins[wi], &an);
			if (ao != an || ae != an)
				fatalx("window %u %s: ours accepted %zu (ESN "
				    "%zu), naive %zu", wins[wi],
				    stream_names[k], ao, ae, an);
			printf("%-6u %-10s %10.2f %10.2f %10.2f %8.2f %8.1f%%\n",
			    wins[wi], stream_names[k], o, e, r, r / o,
			    100.0 * (double)ao / (double)n);
		}
	}
	free(v);
	return 0;
}
