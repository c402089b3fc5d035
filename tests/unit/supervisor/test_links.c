/*
 * test_links.c - which file names netd's links (sup_links_conf_path(),
 * servers/supervisor/sup_links.h): the `-c FILE` of a server's args,
 * row by row.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "sup_links.h"

static void
test_conf_path(void **state)
{
	static const struct {
		const char	*args;
		int		 error;
		const char	*path;
	} rows[] = {
		{ "-c etc/examples/host-a.conf", 0, "etc/examples/host-a.conf" },
		{ "-P in,0.0.0.0/0,0.0.0.0/0,any,none -c /x.conf", 0,
		    "/x.conf" },
		{ "-c/joined.conf", 0, "/joined.conf" },
		{ "\t-c   a.conf  -t", 0, "a.conf" },
		{ "-c a.conf -c b.conf", 0, "a.conf" },
		{ "", -ENOENT, NULL },
		{ "-d", -ENOENT, NULL },
		{ "-c", -ENOENT, NULL },
		{ "-- -c a.conf", -ENOENT, NULL },
	};
	char out[CONFIG_PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		print_message("  row: \"%s\"\n", rows[i].args);
		assert_int_equal(sup_links_conf_path(rows[i].args, out,
		    sizeof(out)), rows[i].error);
		if (rows[i].path != NULL)
			assert_string_equal(out, rows[i].path);
	}
	/* Too small an output buffer. */
	assert_int_equal(sup_links_conf_path("-c abcdef", out, 4),
	    -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
