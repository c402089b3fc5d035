/*
 * test_conf_host.c - one file for a whole host (servers/netd/netd_conf.c):
 * netd given the supervisor's file (parapetd -c FILE, args = -c FILE)
 * skips the supervisor's sections ([supervisor], [server NAME], [region
 * NAME]) with all their keys, reports its own errors with their lines
 * and nothing of the supervisor's, and the examples shipped in
 * etc/examples/ (hosts and gateways) parse to what they say.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netd_conf.h"

#define LINKS "[link h]\ntype = tap\nrole = host\nifname = t0\n" \
    "[link w]\ntype = packet\nrole = wire\nifname = e0\n"

/* The supervisor's sections, with keys netd has none of. */
#define SUP "[supervisor]\nrun_dir = /run/x\nstop_grace_ms = 1\n" \
    "[server keyd]\n[server netd]\nafter = keyd\nargs = -c f\n" \
    "[region\tring0]\nside_a = netd\nside_b = keyd\nslots = 64\n"

static void
test_skips_supervisor(void **state)
{
	static const char text[] = SUP "[netd]\nmode = host\n" LINKS
	    "[server ipsecd]\ncolour = red\n";
	struct netd_conf c;

	(void)state;
	assert_int_equal(netd_conf_parse("h", text, strlen(text), &c), 0);
	assert_int_equal(c.nerrors, 0);
	assert_false(c.gateway);
	assert_int_equal(c.nlinks, 2);
	assert_string_equal(c.links[1].cfg.ifname, "e0");
}

struct row {
	const char	*text;
	unsigned	 nerrors;
	const char	*want[4];
};

/* Only netd's own mistakes count, with the lines of the whole file; a
 * header that is no section of anyone's is still reported. */
static const struct row rows[] = {
	{ SUP "[netd]\nmode = bridge\n" LINKS, 1,
	  { "x:13: mode: expected host or gateway" } },
	{ "[netd]\nbatches = 0\n" SUP "[link h]\nvnet = maybe\n", 4,
	  { "x:2: batches: expected 1..64",
	    "x:15: vnet: expected yes or no",
	    "x:14: link h: no type",
	    "x:0: expected one link with role host and one with role "
	    "wire" } },
	{ "[server]\nmode = host\n" LINKS, 1,
	  { "x:1: unknown section [server]" } },
	{ "[supervisor x]\n" LINKS, 1,
	  { "x:1: unknown section [supervisor x]" } },
	{ "[servers netd]\n" LINKS, 1,
	  { "x:1: unknown section [servers netd]" } },
	{ SUP, 1,
	  { "x:0: expected one link with role host and one with role "
	    "wire" } },
};

static void
test_rows(void **state)
{
	struct netd_conf c;
	size_t i, k;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		int r = netd_conf_parse("x", rows[i].text,
		    strlen(rows[i].text), &c);

		print_message("  row %zu\n", i);
		for (k = 0; k < c.nerrors && k < NETD_CONF_ERRORS_MAX; k++)
			print_message("    got: %s\n", c.errors[k]);
		assert_int_equal(r, -EINVAL);
		assert_int_equal(c.nerrors, rows[i].nerrors);
		for (k = 0; k < rows[i].nerrors; k++)
			assert_string_equal(c.errors[k], rows[i].want[k]);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 65536);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

/* The shipped examples: netd's part of each. */
static void
test_examples(void **state)
{
	static const struct {
		const char	*file;
		bool		 gateway;
		const char	*addr;		/* gateway: our address */
	} ex[] = {
		{ "host-a.conf", false, NULL },
		{ "host-b.conf", false, NULL },
		{ "gw-a.conf", true, "192.0.2.1" },
		{ "gw-b.conf", true, "192.0.2.2" },
	};
	const char *src = getenv("PARAPET_SRCDIR");
	const struct netd_link_conf *h, *w;
	struct netd_conf c;
	char path[1024], *text;
	uint8_t a[16] = { 0 };
	size_t i, len;

	(void)state;
	for (i = 0; i < nitems(ex); i++) {
		print_message("  %s\n", ex[i].file);
		snprintf(path, sizeof(path), "%s/etc/examples/%s",
		    src != NULL ? src : ".", ex[i].file);
		text = slurp(path, &len);
		assert_int_equal(netd_conf_parse(ex[i].file, text, len, &c),
		    0);
		assert_int_equal(c.gateway, ex[i].gateway);
		assert_true(c.wait_policyd);
		h = netd_conf_role(&c, NETD_ROLE_HOST);
		w = netd_conf_role(&c, NETD_ROLE_WIRE);
		assert_non_null(h);
		assert_non_null(w);
		assert_int_equal(h->cfg.kind, LINK_TAP);
		assert_string_equal(h->cfg.ifname, "parapet0");
		assert_int_equal(w->cfg.kind, LINK_PACKET);
		assert_string_equal(w->cfg.ifname, "eth0");
		if (ex[i].gateway) {
			assert_int_equal(c.naddrs, 1);
			assert_int_equal(inet_pton(AF_INET, ex[i].addr, a), 1);
			assert_true(netd_conf_is_local(&c, AF_INET, a));
		} else
			assert_int_equal(c.naddrs, 0);
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skips_supervisor),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
