/*
 * crypto_select.h - which backend serves each algorithm: the start-up
 * known-answer self-tests of every backend's row (a row that fails is
 * never used), then, where more than one backend passed, the
 * configuration's choice or a short measurement on this machine (the
 * faster one wins), like the priority and self-test scheme of kernel
 * crypto APIs. The result goes into the table of transforms
 * (xform_select_set, xform_backend_disable) and back to the caller, who
 * reports it (ipsecd: counters crypto.<alg>.<backend>.<why>, shown by
 * parapetctl).
 *
 * Pure: the clock is the caller's (a function returning nanoseconds of
 * this thread's CPU time). Run once, before any key exists.
 */
#ifndef PARAPET_IPSECD_CRYPTO_SELECT_H
#define PARAPET_IPSECD_CRYPTO_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "xform.h"

/* Why the chosen backend serves an algorithm. */
enum xform_why {
	XFORM_WHY_NONE = 0,	/* no backend passed: not offered */
	XFORM_WHY_ONLY,		/* the only backend that has it */
	XFORM_WHY_SELFTEST,	/* the other backend failed its self-test */
	XFORM_WHY_FASTER,	/* measured faster here */
	XFORM_WHY_CONFIG,	/* the configuration says so */
	XFORM_WHY_DEFAULT,	/* no measurement asked: OpenSSL first */
	XFORM_WHY_KEPT,		/* an earlier start's choice (a restart) */
	XFORM_WHY_COUNT
};

struct xform_choice {
	enum xform_alg		 alg;
	bool			 present[XFORM_BACKEND_COUNT];
	bool			 kat_ok[XFORM_BACKEND_COUNT];
	uint64_t		 mbps[XFORM_BACKEND_COUNT];	/* 0: none */
	enum xform_backend	 backend;	/* valid unless why is NONE */
	enum xform_why		 why;
};

typedef uint64_t xform_clock_fn(void *arg);	/* nanoseconds */

struct xform_select_cfg {
	/*
	 * "ALG=BACKEND[,ALG=BACKEND...]" (ALG as xform_name() spells it, or
	 * "all"; BACKEND "sodium" or "openssl"), or NULL.
	 */
	const char	*override;
	xform_clock_fn	*clock;		/* NULL: no measurement */
	void		*clock_arg;
	size_t		 bytes;		/* packet size measured; 0: 1400 */
	uint64_t	 budget_ns;	/* per backend per round; 0: 2 ms */
	/*
	 * An earlier start's choice, or NULL: keep[alg] is its backend + 1
	 * (0: none). Where it names a backend that passed its self-test
	 * now, it is taken without measuring (a restart stays quick and
	 * serves each algorithm as before); the override still wins.
	 */
	const uint8_t	*keep;
};

/*
 * Self-test every row, apply the override, measure where both backends
 * passed, set the table. out[alg] for every alg (out[0] unused). Bad
 * override items are skipped and described in err (empty when none).
 * Returns 0, or -ENOMEM.
 */
int	xform_select(const struct xform_select_cfg *,
	    struct xform_choice out[XFORM_ALG_COUNT], char *err, size_t errlen)
	    MUST_CHECK;

/*
 * The known answer of one row (any backend's): 0 passed, -EBADMSG wrong
 * answer, -ENOENT no vector (NULL needs none: 0), -ENOMEM.
 */
int	xform_selftest(const struct xform *) MUST_CHECK;

/* "faster", "config", ...: counters and logs. */
const char *xform_why_str(enum xform_why);

#endif
