/*
 * sadb_prop.h - what the SADB property tests share (test_sadb_prop.c,
 * test_sadb_chains_prop.c): the seed, the deterministic random source
 * (tests/lib/prng.h) also given to the SADB as its random callback, the
 * model's clock, and CHECK(), whose failure names the seed. Each test
 * is one translation unit: the state below is its own.
 */
#ifndef PARAPET_SADB_PROP_H
#define PARAPET_SADB_PROP_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "prng.h"

static unsigned long long seed;
static uint64_t rng;
static uint64_t now;

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		fail_msg("PARAPET_SEED=%llu now=%" PRIu64 ": " __VA_ARGS__); \
} while (0)

static uint64_t
rnd(void)
{
	return prng_next(&rng);
}

static uint32_t
below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* sadb_random_fn: GETSPI's SPIs and the hash seed, from rng. */
static void
sadb_rnd(void *buf, size_t len, void *arg)
{
	uint8_t *p = buf;

	(void)arg;
	while (len-- > 0)
		*p++ = (uint8_t)(rnd() >> 56);
}

/* PARAPET_SEED, or a fresh one; rng starts from it. */
static void
seed_init(void)
{
	const char *env = getenv("PARAPET_SEED");

	seed = env != NULL && *env != '\0' ? strtoull(env, NULL, 0) :
	    ((unsigned long long)time(NULL) ^
	    ((unsigned long long)getpid() << 32));
	rng = seed != 0 ? seed : 1;
}

#endif
