/*
 * test_conf.c - netd.conf and the -P test policies
 * (servers/netd/netd_conf.c): a good file with every key; one row per
 * way to be wrong, each with its exact "file:line: ..." message; every
 * error of a file reported, not only the first; policy specs.
 */
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

static const char good[] =
    "; netd.conf\n"
    "[netd]\n"
    "mode = gateway   ; a comment\n"
    "address = 192.0.2.1\n"
    "address = 2001:db8::1\n"
    "def_policy = 0\n"
    "def_policy6 = 1\n"
    "wait_policyd = yes\n"
    "batches = 8\n"
    "\n"
    "[link inside]\n"
    "type = tap\n"
    "role = host\n"
    "ifname = tap0\n"
    "vnet = no\n"
    "# another comment\n"
    "[link outside]\n"
    "type = packet\n"
    "role = wire\n"
    "ifname = eth0\n";

static void
test_good(void **state)
{
	struct netd_conf c;
	const struct netd_link_conf *h, *w;

	(void)state;
	assert_int_equal(netd_conf_parse("g.conf", good, strlen(good), &c), 0);
	assert_true(c.gateway);
	assert_int_equal(c.def_policy[0], 0);
	assert_int_equal(c.def_policy[1], 1);
	assert_true(c.wait_policyd);
	assert_int_equal(c.batches, 8);
	assert_int_equal(c.naddrs, 2);
	{
		uint8_t a[16] = { 192, 0, 2, 1 }, b[16] = { 192, 0, 2, 2 };

		assert_true(netd_conf_is_local(&c, AF_INET, a));
		assert_false(netd_conf_is_local(&c, AF_INET, b));
		assert_false(netd_conf_is_local(&c, AF_INET6, a));
	}
	assert_int_equal(c.nlinks, 2);
	h = netd_conf_role(&c, NETD_ROLE_HOST);
	w = netd_conf_role(&c, NETD_ROLE_WIRE);
	assert_non_null(h);
	assert_non_null(w);
	assert_string_equal(h->name, "inside");
	assert_int_equal(h->cfg.kind, LINK_TAP);
	assert_string_equal(h->cfg.ifname, "tap0");
	assert_false(h->cfg.vnet);
	assert_int_equal(w->cfg.kind, LINK_PACKET);
	assert_true(w->cfg.vnet);	/* the default */
	/* No trailing newline, CRLF. */
	assert_int_equal(netd_conf_parse("g.conf", good, strlen(good) - 1,
	    &c), 0);
}

struct row {
	const char	*text;
	const char	*want;	/* the first error */
};

#define LINKS "[link h]\ntype = tap\nrole = host\nifname = t0\n" \
    "[link w]\ntype = packet\nrole = wire\nifname = e0\n"

static const struct row rows[] = {
	{ "[netd]\naddress = 10.0.0\n" LINKS,
	    "x:2: address: expected an IPv4 or IPv6 address" },
	{ "[netd]\nmode = gateway\n" LINKS,
	    "x:0: mode gateway: expected at least one address" },
	{ "[netd]\nmode = bridge\n" LINKS,
	    "x:2: mode: expected host or gateway" },
	{ "[netd]\ndef_policy = 2\n" LINKS,
	    "x:2: def_policy: expected 0 or 1" },
	{ "[netd]\ndef_policy6 = x\n" LINKS,
	    "x:2: def_policy6: expected 0 or 1" },
	{ "[netd]\nwait_policyd = maybe\n" LINKS,
	    "x:2: wait_policyd: expected yes or no" },
	{ "[netd]\nbatches = 0\n" LINKS, "x:2: batches: expected 1..64" },
	{ "[netd]\nbatches = 65\n" LINKS, "x:2: batches: expected 1..64" },
	{ "[netd]\ncolour = red\n" LINKS,
	    "x:2: unknown key \"colour\" in [netd]" },
	{ "[netd\n" LINKS, "x:1: expected [section]" },
	{ "[nope]\n" LINKS, "x:1: unknown section [nope]" },
	{ "mode = host\n" LINKS, "x:1: key \"mode\" outside a section" },
	{ "[netd]\njust words\n" LINKS, "x:2: expected key = value" },
	{ "[netd]\n = 1\n" LINKS, "x:2: expected key = value" },
	{ "[link Bad]\n" LINKS,
	    "x:1: link name: expected [a-z0-9_], 1..15" },
	{ LINKS "[link h]\n", "x:9: link h defined twice" },
	{ "[link x]\ntype = ppp\n" LINKS,
	    "x:2: type: expected tap, tun, packet, udp or raw" },
	{ "[link x]\ntype = mem\n" LINKS,
	    "x:2: type: expected tap, tun, packet, udp or raw" },
	{ "[link x]\nrole = both\n" LINKS,
	    "x:2: role: expected host or wire" },
	{ "[link x]\nifname = a/b\n" LINKS,
	    "x:2: ifname: expected an interface name" },
	{ "[link x]\nifname = abcdefghijklmnop\n" LINKS,
	    "x:2: ifname: expected an interface name" },
	{ "[link x]\nvnet = sometimes\n" LINKS,
	    "x:2: vnet: expected yes or no" },
	{ "[link x]\nport = 0\n" LINKS, "x:2: port: expected 1..65535" },
	{ "[link x]\nfamily = ipx\n" LINKS,
	    "x:2: family: expected inet or inet6" },
	{ "[link x]\nproto = gre\n" LINKS, "x:2: proto: expected esp or ah" },
	{ "[link x]\nmtu = 1500\n" LINKS,
	    "x:2: unknown key \"mtu\" in [link]" },
	{ "[link h]\ntype = tap\nrole = host\n",
	    "x:1: link h: no ifname" },
	{ "[link h]\nrole = host\nifname = t\n", "x:1: link h: no type" },
	{ "[link h]\ntype = tap\nifname = t\n", "x:1: link h: no role" },
	{ "[link h]\ntype = tap\nrole = wire\nifname = t\n",
	    "x:1: link h: a tap link is the host side" },
	{ "[link h]\ntype = packet\nrole = host\nifname = t\n",
	    "x:1: link h: a packet link is the wire side" },
	{ "[link h]\ntype = tap\nrole = host\nifname = t\n"
	    "[link u]\ntype = udp\nrole = wire\n",
	    "x:5: link u: a udp wire link does not go with a tap host link "
	    "(tap + packet, or tun + udp or raw)" },
	{ "[netd]\n",
	    "x:0: expected one link with role host and one with role wire" },
};

static void
test_rows(void **state)
{
	struct netd_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		int r = netd_conf_parse("x", rows[i].text,
		    strlen(rows[i].text), &c);

		if (r != -EINVAL || c.nerrors == 0 ||
		    strcmp(c.errors[0], rows[i].want) != 0)
			fail_msg("row %zu: got %d \"%s\", want \"%s\"", i, r,
			    c.nerrors ? c.errors[0] : "", rows[i].want);
	}
}

static void
test_all_errors(void **state)
{
	static const char text[] = "[netd]\nmode = x\nbatches = 0\nfoo\n"
	    LINKS "[link z]\ntype = tun\nrole = host\nifname = t1\n";
	struct netd_conf c;
	char big[700];

	(void)state;
	assert_int_equal(netd_conf_parse("f", text, strlen(text), &c),
	    -EINVAL);
	assert_int_equal(c.nerrors, 4);	/* two host links: one error */
	assert_string_equal(c.errors[1], "f:3: batches: expected 1..64");
	assert_string_equal(c.errors[2], "f:4: expected key = value");
	/* A line too long, and a NUL byte. */
	memset(big, 'a', sizeof(big));
	big[0] = '[';
	assert_int_equal(netd_conf_parse("f", big, sizeof(big), &c), -EINVAL);
	assert_string_equal(c.errors[0], "f:1: line too long or not text");
	assert_int_equal(netd_conf_parse("f", "[netd]\0\n", 8, &c), -EINVAL);
	assert_string_equal(c.errors[0], "f:1: line too long or not text");
}

static void
test_policy(void **state)
{
	static const char *const bad[] = {
		"", "out", "out,10.0.0.1/32,10.0.0.2/32,any",
		"up,10.0.0.1/32,10.0.0.2/32,any,discard",
		"out,10.0.0.1,10.0.0.2/32,any,discard",
		"out,10.0.0.1/33,10.0.0.2/32,any,discard",
		"out,10.0.0.1/32,2001:db8::/32,any,discard",
		"out,10.0.0.1/32,10.0.0.2/32,sctp,discard",
		"out,10.0.0.1/32,10.0.0.2/32,256,discard",
		"out,10.0.0.1/32,10.0.0.2/32,any,protect",
		"out,10.0.0.1/32,10.0.0.2/32,any,discard,extra",
	};
	struct spd_entry e;
	size_t i;

	(void)state;
	assert_int_equal(netd_conf_policy(
	    "out,10.0.0.1/32,10.0.0.0/24,tcp,discard", &e), 0);
	assert_int_equal(e.dir, SPD_DIR_OUT);
	assert_int_equal(e.sel.family, AF_INET);
	assert_int_equal(e.sel.dst_plen, 24);
	assert_int_equal(e.sel.proto, IPPROTO_TCP);
	assert_int_equal(e.action, SPD_ACTION_DISCARD);
	assert_int_equal(netd_conf_policy(
	    "in,2001:db8::/64,::/0,icmp6,none", &e), 0);
	assert_int_equal(e.sel.family, AF_INET6);
	assert_int_equal(e.action, SPD_ACTION_NONE);
	assert_int_equal(netd_conf_policy("fwd,0.0.0.0/0,0.0.0.0/0,47,none",
	    &e), 0);
	assert_int_equal(e.sel.proto, 47);
	assert_int_equal(netd_conf_policy("in,10.0.0.2/32,10.0.0.1/32,any,ipsec",
	    &e), 0);
	assert_int_equal(e.action, SPD_ACTION_IPSEC);
	assert_int_equal(e.nreqs, 1);
	assert_int_equal(e.req[0].proto, IPPROTO_ESP);
	for (i = 0; i < nitems(bad); i++)
		if (netd_conf_policy(bad[i], &e) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
