/*
 * test_conf_overlay.c - netd.conf's overlay pairs (servers/netd/
 * netd_conf.c): tun + udp and tun + raw are accepted (a udp wire link
 * gets ipframe, no vnet headers); every other pair, a udp link off port
 * 4500 and a raw inet6 link are errors with their exact "file:line:"
 * message; the shipped overlay examples (etc/examples/overlay-*.conf)
 * parse to what they say.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netd_conf.h"

#define TUN	"[link i]\ntype = tun\nrole = host\nifname = tun0\n"
#define TAP	"[link i]\ntype = tap\nrole = host\nifname = tap0\n"

static void
test_good(void **state)
{
	static const char udp[] = TUN "[link o]\ntype = udp\nrole = wire\n"
	    "port = 4500\nfamily = inet6\ngso = no\n";
	static const char raw[] = TUN "[link o]\ntype = raw\nrole = wire\n"
	    "proto = ah\n";
	const struct netd_link_conf *h, *w;
	struct netd_conf c;

	(void)state;
	assert_int_equal(netd_conf_parse("x", udp, strlen(udp), &c), 0);
	h = netd_conf_role(&c, NETD_ROLE_HOST);
	w = netd_conf_role(&c, NETD_ROLE_WIRE);
	assert_int_equal(h->cfg.kind, LINK_TUN);
	assert_false(h->cfg.ipframe);
	assert_int_equal(w->cfg.kind, LINK_UDP);
	assert_true(w->cfg.ipframe);
	assert_false(w->cfg.vnet);
	assert_false(w->cfg.gso);
	assert_int_equal(w->cfg.family, AF_INET6);
	assert_int_equal(w->cfg.port, 4500);
	assert_int_equal(netd_conf_parse("x", raw, strlen(raw), &c), 0);
	w = netd_conf_role(&c, NETD_ROLE_WIRE);
	assert_int_equal(w->cfg.kind, LINK_RAW);
	assert_int_equal(w->cfg.proto, IPPROTO_AH);
	assert_int_equal(w->cfg.family, AF_INET);
	assert_false(w->cfg.ipframe);
}

struct row {
	const char	*text;
	const char	*want;	/* the first error */
};

static const struct row rows[] = {
	{ TUN "[link o]\ntype = packet\nrole = wire\nifname = e0\n",
	    "x:5: link o: a packet wire link does not go with a tun host "
	    "link (tap + packet, or tun + udp or raw)" },
	{ TAP "[link o]\ntype = raw\nrole = wire\n",
	    "x:5: link o: a raw wire link does not go with a tap host "
	    "link (tap + packet, or tun + udp or raw)" },
	{ "[netd]\n" TAP "\n[link o]\ntype = udp\nrole = wire\n",
	    "x:7: link o: a udp wire link does not go with a tap host "
	    "link (tap + packet, or tun + udp or raw)" },
	{ TUN "[link o]\ntype = udp\nrole = wire\nport = 4501\n",
	    "x:5: link o: ESP in UDP is port 4500 (RFC 3948)" },
	{ TUN "[link o]\ntype = raw\nrole = wire\nfamily = inet6\n",
	    "x:5: link o: a raw link is IPv4 only (udp carries IPv6)" },
	{ TUN "[link o]\ntype = udp\nrole = host\n",
	    "x:5: link o: a udp link is the wire side" },
	{ TUN "[link o]\ntype = tun\nrole = wire\nifname = t1\n",
	    "x:5: link o: a tun link is the host side" },
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

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(65536);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static void
test_examples(void **state)
{
	static const char *const ex[] = { "overlay-a.conf", "overlay-b.conf" };
	const struct netd_link_conf *h, *w;
	struct netd_conf c;
	char path[1024], *text;
	size_t i, len;

	(void)state;
	for (i = 0; i < nitems(ex); i++) {
		snprintf(path, sizeof(path), "%s/etc/examples/%s",
		    PARAPET_SRCDIR, ex[i]);
		text = slurp(path, &len);
		assert_int_equal(netd_conf_parse(ex[i], text, len, &c), 0);
		assert_false(c.gateway);
		assert_true(c.wait_policyd);
		h = netd_conf_role(&c, NETD_ROLE_HOST);
		w = netd_conf_role(&c, NETD_ROLE_WIRE);
		assert_int_equal(h->cfg.kind, LINK_TUN);
		assert_string_equal(h->cfg.ifname, "parapet0");
		assert_int_equal(w->cfg.kind, LINK_UDP);
		assert_int_equal(w->cfg.port, 4500);
		assert_true(w->cfg.ipframe);
		assert_true(w->cfg.gso);
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
