/*
 * test_counters.c - the CountersReply builder: growth keeps every entry
 * pointing at its own name, bad names are dropped, the standard sets carry
 * every statistic, and the result packs and unpacks as a valid reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bus_msg.h"
#include "counters.h"

static void
test_growth(void **state)
{
	Parapet__CountersReply rep, *back;
	struct counters *cs;
	uint8_t buf[65536];
	char want[64];
	size_t i, len;

	(void)state;
	assert_non_null(cs = counters_new());
	for (i = 0; i < 1000; i++)
		counters_add(cs, i * 7, "t.c%zu", i);
	counters_add(cs, 1, "Bad Name");
	counters_add(cs, 1, "%s", "");
	counters_add(cs, 1, "t.%0100d", 1);	/* too long */
	assert_int_equal(counters_len(cs), 1000);
	counters_reply(cs, "netd", &rep);
	assert_int_equal(rep.n_counters, 1000);
	len = parapet__counters_reply__get_packed_size(&rep);
	assert_true(len <= sizeof(buf));
	parapet__counters_reply__pack(&rep, buf);
	assert_non_null(back = parapet__counters_reply__unpack(NULL, len,
	    buf));
	assert_int_equal(bus_msgtype_get(PARAPET__MSG_TYPE__MSG_COUNTERS_REPLY)
	    ->valid(&back->base), 0);
	assert_string_equal(back->name, "netd");
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "t.c%zu", i);
		assert_string_equal(back->counters[i]->name, want);
		assert_true(back->counters[i]->value == i * 7);
	}
	parapet__counters_reply__free_unpacked(back, NULL);
	counters_free(cs);
}

static void
test_standard_sets(void **state)
{
	struct bus_client_stats cst;
	struct bus_broker_stats bst;
	Parapet__CountersReply rep;
	struct counters *cs;
	size_t i;
	bool seen_reject = false, seen_stuck = false;

	(void)state;
	memset(&cst, 0, sizeof(cst));
	memset(&bst, 0, sizeof(bst));
	cst.rejected[FRAME_REJECT_OVERSIZE] = 5;
	bst.stuck = 9;
	assert_non_null(cs = counters_new());
	counters_add_client(cs, "bus", &cst);
	counters_add_broker(cs, "broker", &bst);
	/* 7 client rows + 13 broker rows + one per reject reason each. */
	assert_int_equal(counters_len(cs),
	    7 + 13 + 2 * (FRAME_REJECT_MAX - 1));
	counters_reply(cs, "supervisor", &rep);
	for (i = 0; i < rep.n_counters; i++) {
		if (strcmp(rep.counters[i]->name, "bus.rejected.oversize") == 0)
			seen_reject = rep.counters[i]->value == 5;
		if (strcmp(rep.counters[i]->name, "broker.stuck") == 0)
			seen_stuck = rep.counters[i]->value == 9;
	}
	assert_true(seen_reject);
	assert_true(seen_stuck);
	counters_free(cs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_standard_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
