/*
 * test_svc_table.c - the service table: start order by dependencies,
 * restart on crash with back-off, ready timeout, stale ReadyEvents, and
 * shutdown in reverse order with SIGKILL after the grace period.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "svc_table.h"

static const char conf_text[] =
    "[supervisor]\n"
    "ready_timeout_ms = 1000\n"
    "stop_grace_ms = 500\n"
    "restart_min_ms = 100\n"
    "restart_max_ms = 400\n"
    "crashloop_crashes = 4\n"
    "crashloop_window_ms = 10000\n"
    "restart_stable_ms = 2000\n"
    "[server keyd]\n"
    "[server netd]\n"
    "after = policyd ipsecd\n"
    "[server policyd]\n"
    "after = keyd\n"
    "[server ipsecd]\n"
    "after = keyd\n"
    "[region ring0]\n"
    "side_a = netd\n"
    "side_b = ipsecd\n";

struct fixture {
	struct config		cfg;
	struct svc_table	t;
	unsigned		notes;
	enum svc_state		last[CONFIG_SERVERS_MAX];
};

static void
note(const struct svc_table *t, const struct svc *s, void *arg)
{
	struct fixture *f = arg;

	(void)t;
	f->notes++;
	f->last[s->idx] = s->state;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct config_errors e;

	assert_non_null(f);
	assert_int_equal(config_parse("t.conf", (const uint8_t *)conf_text,
	    sizeof(conf_text) - 1, &f->cfg, &e), 0);
	assert_int_equal(svc_table_init(&f->t, &f->cfg, note, f), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static int
idx(struct fixture *f, const char *name)
{
	int i = svc_table_find(&f->t, name);

	assert_true(i >= 0);
	return i;
}

/* Poll and expect exactly the listed actions (names), in order. */
static void
expect(struct fixture *f, uint64_t now, enum svc_act act, const char *a,
    const char *b)
{
	struct svc_action acts[CONFIG_SERVERS_MAX];
	size_t n, want = (a != NULL) + (b != NULL);

	n = svc_table_poll(&f->t, now, acts, nitems(acts));
	assert_int_equal(n, want);
	if (a != NULL) {
		assert_int_equal(acts[0].act, act);
		assert_string_equal(f->t.svc[acts[0].idx].def->name, a);
	}
	if (b != NULL) {
		assert_int_equal(acts[1].act, act);
		assert_string_equal(f->t.svc[acts[1].idx].def->name, b);
	}
}

static void
start_all(struct fixture *f)
{
	expect(f, 0, SVC_ACT_START, "keyd", NULL);
	expect(f, 0, SVC_ACT_START, NULL, NULL);	/* not twice */
	svc_table_started(&f->t, idx(f, "keyd"), 101, 0);
	assert_true(svc_table_ready(&f->t, idx(f, "keyd"), 101, 5));
	/* policyd and ipsecd in dependency order, config order among them */
	expect(f, 5, SVC_ACT_START, "policyd", "ipsecd");
	svc_table_started(&f->t, idx(f, "policyd"), 102, 5);
	svc_table_started(&f->t, idx(f, "ipsecd"), 103, 5);
	assert_true(svc_table_ready(&f->t, idx(f, "ipsecd"), 103, 6));
	expect(f, 6, SVC_ACT_START, NULL, NULL);	/* netd waits */
	assert_true(svc_table_ready(&f->t, idx(f, "policyd"), 102, 7));
	expect(f, 7, SVC_ACT_START, "netd", NULL);
	svc_table_started(&f->t, idx(f, "netd"), 104, 7);
	assert_true(svc_table_ready(&f->t, idx(f, "netd"), 104, 8));
}

static void
test_start_order(void **state)
{
	struct fixture *f = *state;

	start_all(f);
	assert_string_equal(f->t.svc[f->t.order[0]].def->name, "keyd");
	assert_string_equal(f->t.svc[f->t.order[3]].def->name, "netd");
	assert_int_equal(f->last[idx(f, "netd")], SVC_READY);
	assert_int_equal(svc_table_next_deadline(&f->t), UINT64_MAX);
}

static void
test_crash_backoff(void **state)
{
	struct fixture *f = *state;
	struct svc *k;

	start_all(f);
	k = &f->t.svc[idx(f, "keyd")];
	/* First crash: restart at once; dependants are left alone. */
	svc_table_exited(&f->t, k->idx, 0, 9, 1000);
	assert_int_equal(k->state, SVC_BACKOFF);
	assert_string_equal(k->last_exit, "killed by signal 9");
	expect(f, 1000, SVC_ACT_START, "keyd", NULL);
	assert_int_equal(k->restarts, 1);
	svc_table_started(&f->t, k->idx, 201, 1000);
	/* A stale ReadyEvent from the dead instance is refused. */
	assert_false(svc_table_ready(&f->t, k->idx, 101, 1001));
	assert_true(svc_table_ready(&f->t, k->idx, 201, 1002));
	assert_false(svc_table_ready(&f->t, k->idx, 201, 1003)); /* repeat */
	/* Second crash soon after: wait restart_min_ms. */
	svc_table_exited(&f->t, k->idx, 1, 0, 1100);
	assert_string_equal(k->last_exit, "exit 1");
	assert_int_equal(svc_table_next_deadline(&f->t), 1200);
	expect(f, 1199, SVC_ACT_START, NULL, NULL);
	expect(f, 1200, SVC_ACT_START, "keyd", NULL);
	svc_table_started(&f->t, k->idx, 202, 1200);
	/* Third: 200 ms; fourth within the window: crash loop, the cap. */
	svc_table_exited(&f->t, k->idx, 0, 11, 1250);
	assert_int_equal(k->next_start_ms, 1450);
	expect(f, 1450, SVC_ACT_START, "keyd", NULL);
	svc_table_started(&f->t, k->idx, 203, 1450);
	svc_table_exited(&f->t, k->idx, 0, 11, 1500);
	assert_int_equal(k->state, SVC_CRASHLOOP);
	assert_int_equal(f->last[k->idx], SVC_CRASHLOOP);
	assert_int_equal(k->next_start_ms, 1900);
	expect(f, 1900, SVC_ACT_START, "keyd", NULL);
	svc_table_started(&f->t, k->idx, 204, 1900);
	assert_true(svc_table_ready(&f->t, k->idx, 204, 1910));
	/* Ready for restart_stable_ms: the loop is forgotten. */
	assert_int_equal(svc_table_next_deadline(&f->t), 3910);
	expect(f, 3910, SVC_ACT_START, NULL, NULL);
	assert_int_equal(k->rs.streak, 0);
	assert_false(k->rs.crashloop);
	svc_table_exited(&f->t, k->idx, 0, 9, 5000);
	assert_int_equal(k->state, SVC_BACKOFF);
	assert_int_equal(k->next_start_ms, 5000);
	assert_int_equal(k->restarts, 4);
}

static void
test_ready_timeout(void **state)
{
	struct fixture *f = *state;
	struct svc *k = &f->t.svc[idx(f, "keyd")];

	expect(f, 0, SVC_ACT_START, "keyd", NULL);
	svc_table_started(&f->t, k->idx, 101, 0);
	assert_int_equal(svc_table_next_deadline(&f->t), 1000);
	expect(f, 999, SVC_ACT_KILL, NULL, NULL);
	expect(f, 1000, SVC_ACT_KILL, "keyd", NULL);
	expect(f, 1001, SVC_ACT_KILL, NULL, NULL);	/* once */
	/* A ready that races the kill does not count. */
	assert_false(svc_table_ready(&f->t, k->idx, 101, 1001));
	svc_table_exited(&f->t, k->idx, 0, 9, 1002);
	assert_string_equal(k->last_exit, "not ready within 1000 ms");
	assert_int_equal(k->state, SVC_BACKOFF);
	expect(f, 1002, SVC_ACT_START, "keyd", NULL);
	/* Spawn failures count as crashes too. */
	svc_table_spawn_failed(&f->t, k->idx, -ENOENT, 1003);
	assert_string_equal(k->last_exit, "spawn failed: No such file or "
	    "directory");
	assert_int_equal(k->next_start_ms, 1103);
}

static void
test_shutdown(void **state)
{
	struct fixture *f = *state;
	int order[4];

	start_all(f);
	order[0] = idx(f, "netd");
	order[1] = idx(f, "ipsecd");
	order[2] = idx(f, "policyd");
	order[3] = idx(f, "keyd");
	svc_table_shutdown(&f->t, 100);
	assert_false(svc_table_done(&f->t));
	/* Reverse start order, one at a time. */
	expect(f, 100, SVC_ACT_TERM, "netd", NULL);
	expect(f, 100, SVC_ACT_TERM, NULL, NULL);
	svc_table_exited(&f->t, (size_t)order[0], 0, 0, 110);
	assert_int_equal(f->t.svc[order[0]].state, SVC_STOPPED);
	expect(f, 110, SVC_ACT_TERM, "ipsecd", NULL);
	/* ipsecd ignores SIGTERM: SIGKILL after stop_grace_ms. */
	assert_int_equal(svc_table_next_deadline(&f->t), 610);
	expect(f, 609, SVC_ACT_KILL, NULL, NULL);
	expect(f, 610, SVC_ACT_KILL, "ipsecd", NULL);
	expect(f, 611, SVC_ACT_KILL, NULL, NULL);
	svc_table_exited(&f->t, (size_t)order[1], 0, 9, 612);
	expect(f, 612, SVC_ACT_TERM, "policyd", NULL);
	svc_table_exited(&f->t, (size_t)order[2], 0, 0, 613);
	expect(f, 613, SVC_ACT_TERM, "keyd", NULL);
	svc_table_exited(&f->t, (size_t)order[3], 0, 0, 614);
	assert_true(svc_table_done(&f->t));
	expect(f, 615, SVC_ACT_START, NULL, NULL);	/* nothing restarts */
}

static void
test_shutdown_during_backoff(void **state)
{
	struct fixture *f = *state;
	struct svc *k = &f->t.svc[idx(f, "keyd")];

	expect(f, 0, SVC_ACT_START, "keyd", NULL);
	svc_table_started(&f->t, k->idx, 101, 0);
	svc_table_exited(&f->t, k->idx, 0, 6, 10);
	assert_int_equal(k->state, SVC_BACKOFF);
	svc_table_shutdown(&f->t, 11);
	assert_int_equal(k->state, SVC_STOPPED);
	assert_true(svc_table_done(&f->t));
	assert_int_equal(svc_table_next_deadline(&f->t), UINT64_MAX);
}

static void
test_regions_and_lookup(void **state)
{
	struct fixture *f = *state;
	struct svc_region r[4];

	assert_int_equal(svc_table_regions(&f->t, (size_t)idx(f, "netd"), r,
	    4), 1);
	assert_int_equal(r[0].region, 0);
	assert_int_equal(r[0].side, 0);
	assert_int_equal(svc_table_regions(&f->t, (size_t)idx(f, "ipsecd"), r,
	    4), 1);
	assert_int_equal(r[0].side, 1);
	assert_int_equal(svc_table_regions(&f->t, (size_t)idx(f, "keyd"), r,
	    4), 0);
	assert_int_equal(svc_table_find(&f->t, "nosuch"), -1);
	assert_int_equal(svc_table_find_pid(&f->t, 0), -1);
	start_all(f);
	assert_int_equal(svc_table_find_pid(&f->t, 104), idx(f, "netd"));
	assert_string_equal(svc_state_name(SVC_CRASHLOOP), "crashloop");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash_backoff, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ready_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shutdown, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_during_backoff,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_regions_and_lookup,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
