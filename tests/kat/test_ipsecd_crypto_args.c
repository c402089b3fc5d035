/*
 * test_ipsecd_crypto_args.c - ipsecd's -C SPEC (servers/ipsecd/
 * ipsecd_crypto.c): taken out of argv before the common server options
 * are parsed, in both spellings (-C SPEC, -CSPEC), the last one winning;
 * everything else, and everything after "--", kept in order; a -C
 * without its argument dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipsecd_crypto.h"

static void
test_args(void **state)
{
	char a0[] = "ipsecd", a1[] = "-d", a2[] = "-C", a3[] = "all=sodium",
	    a4[] = "-n", a5[] = "ipsecd2", a6[] = "-Chmac-sha256=openssl",
	    a7[] = "--", a8[] = "-C", a9[] = "x";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL };
	int argc = 10;

	(void)state;
	ipsecd_crypto_args(&argc, argv);
	assert_int_equal(argc, 7);
	assert_string_equal(argv[0], "ipsecd");
	assert_string_equal(argv[1], "-d");
	assert_string_equal(argv[2], "-n");
	assert_string_equal(argv[3], "ipsecd2");
	assert_string_equal(argv[4], "--");
	assert_string_equal(argv[5], "-C");
	assert_string_equal(argv[6], "x");
	assert_null(argv[7]);
	assert_string_equal(ipsecd_crypto_override(),
	    "hmac-sha256=openssl");
}

static void
test_dangling(void **state)
{
	char a0[] = "ipsecd", a1[] = "-C";
	char *argv[] = { a0, a1, NULL };
	int argc = 2;

	(void)state;
	ipsecd_crypto_args(&argc, argv);
	assert_int_equal(argc, 1);
	assert_null(argv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_dangling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
