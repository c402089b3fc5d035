/*
 * prng.h - the deterministic generator of tests, property tests and
 * benchmarks (xorshift64*, Vigna 2016), and the seed every such program
 * takes from the environment: PARAPET_SEED when set (decimal or 0x hex),
 * else time and pid. Print the seed so that a failure can be replayed.
 * Not for keys, IVs or SPIs: those come from libsodium. Also the
 * monotonic clock tests use for their deadlines.
 */
#ifndef PARAPET_TEST_PRNG_H
#define PARAPET_TEST_PRNG_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Advance *state (never 0) and return the next 64 random bits. */
static inline uint64_t
prng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

/* Uniform enough in [0, n) for tests; n > 0. */
static inline uint64_t
prng_below(uint64_t *state, uint64_t n)
{
	return prng_next(state) % n;
}

/* Monotonic milliseconds, for test deadlines (never for assertions on
 * speed: that is the benchmarks' job). */
static inline uint64_t
test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* PARAPET_SEED, or a fresh seed from the clock and pid. */
static inline uint64_t
prng_seed_env(void)
{
	const char *s = getenv("PARAPET_SEED");

	if (s != NULL && *s != '\0')
		return strtoull(s, NULL, 0);
	return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

#endif
