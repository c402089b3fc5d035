/*
 * test_restart.c - the back-off schedule: each row is a policy and a run
 * of crashes (time, how long the server had been ready) with the delay and
 * crash-loop flag expected after each.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "restart.h"

struct step {
	uint64_t	now_ms;
	uint64_t	ready_for_ms;
	uint64_t	delay_ms;	/* expected */
	bool		loop;		/* expected */
};

struct row {
	const char		*name;
	struct restart_policy	 pol;	/* min max loop window stable */
	struct step		 steps[12];
	size_t			 nsteps;
};

#define NOLOOP	16, 1		/* 16 crashes within 1 ms: never */

static const struct row rows[] = {
	{ "first crash at once, then doubling to the cap",
	  { 100, 1000, NOLOOP, 5000 },
	  { { 0, 0, 0, false }, { 10, 0, 100, false }, { 120, 0, 200, false },
	    { 330, 0, 400, false }, { 740, 0, 800, false },
	    { 1550, 0, 1000, false }, { 2560, 0, 1000, false } }, 7 },
	{ "a first crash after a stable run restarts at once",
	  { 100, 1000, NOLOOP, 5000 },
	  { { 0, 0, 0, false }, { 10, 0, 100, false },
	    { 9000, 5000, 0, false }, { 9010, 0, 100, false } }, 4 },
	{ "ready but not long enough keeps the streak",
	  { 100, 1000, NOLOOP, 5000 },
	  { { 0, 0, 0, false }, { 4000, 4999, 100, false } }, 2 },
	{ "N crashes within the window: crash loop at the cap, sticky",
	  { 100, 1000, 4, 2000, 5000 },
	  { { 0, 0, 0, false }, { 10, 0, 100, false }, { 120, 0, 200, false },
	    { 330, 0, 1000, true }, { 9000, 0, 1000, true },
	    { 20000, 4000, 1000, true }, { 30000, 5000, 0, false } }, 7 },
	{ "crashes spread wider than the window are no loop",
	  { 100, 1000, 3, 1000, 5000 },
	  { { 0, 0, 0, false }, { 600, 0, 100, false },
	    { 1300, 0, 200, false }, { 1700, 0, 400, false },
	    { 1800, 0, 1000, true } }, 5 },
	{ "window boundary is inclusive",
	  { 100, 1000, 2, 500, 5000 },
	  { { 0, 0, 0, false }, { 501, 0, 100, false },
	    { 1001, 0, 1000, true } }, 3 },
	{ "the cap holds for long streaks (no shift overflow)",
	  { 1, 60000, NOLOOP, 5000 },
	  { { 0, 0, 0, false }, { 1, 0, 1, false }, { 2, 0, 2, false },
	    { 3, 0, 4, false } }, 4 },
};

static void
test_rows(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		const struct row *r = &rows[i];
		struct restart_state s;

		print_message("  row: %s\n", r->name);
		assert_int_equal(restart_policy_check(&r->pol), 0);
		restart_state_init(&s);
		for (k = 0; k < r->nsteps; k++) {
			const struct step *st = &r->steps[k];
			bool loop = !st->loop;
			uint64_t d;

			d = restart_on_crash(&s, &r->pol, st->now_ms,
			    st->ready_for_ms, &loop);
			print_message("    t=%llu: delay %llu (want %llu), "
			    "loop %d (want %d)\n",
			    (unsigned long long)st->now_ms,
			    (unsigned long long)d,
			    (unsigned long long)st->delay_ms, loop, st->loop);
			assert_int_equal(d, st->delay_ms);
			assert_int_equal(loop, st->loop);
		}
	}
}

static void
test_long_streak(void **state)
{
	struct restart_policy p = { 100, 5000, NOLOOP, 5000 };
	struct restart_state s;
	uint64_t d = 0;
	bool loop;
	int i;

	(void)state;
	restart_state_init(&s);
	for (i = 0; i < 100; i++)
		d = restart_on_crash(&s, &p, (uint64_t)i * 10, 0, &loop);
	assert_int_equal(d, 5000);
	assert_false(loop);
}

static void
test_policy_check(void **state)
{
	static const struct {
		struct restart_policy	pol;
		int			want;
	} checks[] = {
		{ { 100, 1000, 5, 30000, 10000 }, 0 },
		{ { 100, 100, 2, 1, 1 }, 0 },
		{ { 0, 1000, 5, 30000, 10000 }, -EINVAL },
		{ { 1001, 1000, 5, 30000, 10000 }, -EINVAL },
		{ { 100, 1000, 1, 30000, 10000 }, -EINVAL },
		{ { 100, 1000, RESTART_HISTORY_MAX + 1, 30000, 10000 },
		  -EINVAL },
		{ { 100, 1000, 5, 0, 10000 }, -EINVAL },
		{ { 100, 1000, 5, 30000, 0 }, -EINVAL },
	};
	struct restart_policy def;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(checks); i++) {
		print_message("  check row %zu\n", i);
		assert_int_equal(restart_policy_check(&checks[i].pol),
		    checks[i].want);
	}
	restart_policy_default(&def);
	assert_int_equal(restart_policy_check(&def), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_long_streak),
		cmocka_unit_test(test_policy_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
