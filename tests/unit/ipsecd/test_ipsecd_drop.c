/*
 * test_ipsecd_drop.c - every drop has a reason and a counter
 * (servers/ipsecd/ipsecd_drop.h): each transform rejection reason has its
 * own counter slot and a distinct, valid counter name "drop.<reason>";
 * the outcome netd sees for each reason, one row per reason that is not
 * "malformed"; reasons this build does not know land in drop.unknown;
 * names refused for slot 0, out of range and short buffers; all of them
 * fit the server's counter budget.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipsecd_drop.h"
#include "server.h"

static bool
name_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static void
test_slots_and_names(void **state)
{
	char names[IPSECD_DROP_COUNT][64], buf[64];
	int i, j;

	(void)state;
	for (i = 1; i < XFORM_REJECT_COUNT; i++) {
		assert_int_equal(ipsecd_drop_of((enum xform_reject)i), i);
		assert_int_equal(ipsecd_drop_name((enum ipsecd_drop)i, buf,
		    sizeof(buf)), 0);
		assert_int_equal(strncmp(buf, "drop.", 5), 0);
		assert_string_equal(buf + 5,
		    xform_reject_str((enum xform_reject)i));
	}
	for (i = 1; i < IPSECD_DROP_COUNT; i++) {
		assert_int_equal(ipsecd_drop_name((enum ipsecd_drop)i,
		    names[i], sizeof(names[i])), 0);
		assert_true(name_ok(names[i]));
		for (j = 1; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	assert_int_equal(ipsecd_drop_name(IPSECD_DROP_ENCAP, buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "drop.encap");
	assert_int_equal(ipsecd_drop_name(IPSECD_DROP_UNKNOWN, buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "drop.unknown");
}

static void
test_unknown_and_refused(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ipsecd_drop_of(XFORM_REJECT_NONE),
	    IPSECD_DROP_UNKNOWN);
	assert_int_equal(ipsecd_drop_of(XFORM_REJECT_COUNT),
	    IPSECD_DROP_UNKNOWN);
	assert_int_equal(ipsecd_drop_of((enum xform_reject)1000),
	    IPSECD_DROP_UNKNOWN);
	assert_int_equal(ipsecd_drop_name(IPSECD_DROP_NONE, buf, sizeof(buf)),
	    -EINVAL);
	assert_int_equal(ipsecd_drop_name(IPSECD_DROP_COUNT, buf,
	    sizeof(buf)), -EINVAL);
	assert_int_equal(ipsecd_drop_name(
	    ipsecd_drop_of(XFORM_REJECT_ESP_AUTH), buf, 8), -ENOSPC);
}

/* The reasons whose outcome is not "malformed". */
static const struct {
	enum xform_reject	why;
	enum pkt_result		r;
} rows[] = {
	{ XFORM_REJECT_ESP_AUTH, PKT_R_AUTH },
	{ XFORM_REJECT_AH_AUTH, PKT_R_AUTH },
	{ XFORM_REJECT_NATT_KEEPALIVE, PKT_R_KEEPALIVE },
	{ XFORM_REJECT_ESP_DUMMY, PKT_R_DUMMY },
	{ XFORM_REJECT_SA, PKT_R_SA_UNUSABLE },
};

static void
test_results(void **state)
{
	enum pkt_result want;
	size_t k;
	int i;

	(void)state;
	for (i = 1; i < XFORM_REJECT_COUNT; i++) {
		want = PKT_R_MALFORMED;
		for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
			if (rows[k].why == (enum xform_reject)i)
				want = rows[k].r;
		assert_int_equal(ipsecd_drop_result((enum xform_reject)i),
		    want);
		assert_int_not_equal(want, PKT_R_OK);
	}
	/* Truncation, padding, next header: malformed, never ok. */
	assert_int_equal(ipsecd_drop_result(XFORM_REJECT_ESP_SHORT),
	    PKT_R_MALFORMED);
	assert_int_equal(ipsecd_drop_result(XFORM_REJECT_ESP_PAD),
	    PKT_R_MALFORMED);
	assert_int_equal(ipsecd_drop_result(XFORM_REJECT_ESP_NEXTHDR),
	    PKT_R_MALFORMED);
}

static void
test_budget(void **state)
{
	(void)state;
	/* pkt.<result>, the drops and room for ipsecd's other counters. */
	assert_true(PKT_R_COUNT + IPSECD_DROP_COUNT - 1 + 40 <=
	    SERVER_COUNTERS_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_names),
		cmocka_unit_test(test_unknown_and_refused),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
