/*
 * test_netd_pmtu.c - the path MTU table (servers/netd/netd_pmtu.c).
 *
 *  - a table of rows, each on a fresh table: one protected packet sent,
 *    one ICMP error read (validation failures: unknown SPI, other
 *    destination, stale, quoted source or error addressed elsewhere;
 *    floor, cap at the link MTU, equal to the link, IPv4 / IPv6, link
 *    MTU unknown);
 *  - sequences: aging (expiry at exactly expire_ms), refresh, lower then
 *    higher, a link MTU below the learned one, eviction of paths and of
 *    sent SPIs in a full set;
 *  - whole ICMP errors through netd_pmtu_icmp (ESP, AH, ESP in UDP, both
 *    families; a bad checksum, a frag-needed about TCP, an echo);
 *  - configuration refused.
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

#include "netd_pmtu.h"
#include "pktgen.h"

#define SPI	0x1001u

static uint8_t l4[2048], pkt[2048], out[2048];

/* Kind 0 ESP, 1 AH, 2 ESP in UDP: an outgoing protected packet. */
static size_t
our_pkt(int kind, const char *src, const char *dst, uint32_t spi,
    size_t data)
{
	int v6 = strchr(src, ':') != NULL;
	uint8_t b[1600];
	size_t n;

	switch (kind) {
	case 0:
		n = pg_esp(b, spi, 1, data);
		return v6 ? pg_v6(pkt, src, dst, IPPROTO_ESP, b, n) :
		    pg_v4(pkt, src, dst, IPPROTO_ESP, b, n, 0x4000, 1);
	case 1:
		memset(b, 0, 24 + data);
		b[0] = IPPROTO_TCP;
		b[1] = 4;
		pg_put32(b + 4, spi);
		return v6 ? pg_v6(pkt, src, dst, IPPROTO_AH, b, 24 + data) :
		    pg_v4(pkt, src, dst, IPPROTO_AH, b, 24 + data, 0x4000, 1);
	default:
		n = pg_esp(l4, spi, 1, data);
		n = pg_udp(b, 4500, 4500, l4, n);
		return v6 ? pg_v6(pkt, src, dst, IPPROTO_UDP, b, n) :
		    pg_v4(pkt, src, dst, IPPROTO_UDP, b, n, 0x4000, 1);
	}
}

static void
send_one(struct netd_pmtu *t, int kind, const char *src, const char *dst,
    uint32_t spi, uint64_t now)
{
	struct pkt_info pi;
	size_t n = our_pkt(kind, src, dst, spi, 100);

	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	netd_pmtu_sent(t, &pi, now);
}

static struct netd_pmtu *
table(uint64_t expire_ms, unsigned paths, unsigned sents)
{
	struct netd_pmtu_conf c;
	struct netd_pmtu *t;

	netd_pmtu_conf_default(&c);
	if (expire_ms != 0)
		c.expire_ms = expire_ms;
	if (paths != 0)
		c.paths = paths;
	if (sents != 0)
		c.sents = sents;
	assert_int_equal(netd_pmtu_new(&t, &c, 42), 0);
	return t;
}

/* An error quoting (qsrc -> qdst, spi), addressed to to, MTU mtu. */
static enum netd_pmtu_why
learn(struct netd_pmtu *t, const char *qsrc, const char *qdst, uint32_t spi,
    const char *to, uint32_t mtu, uint16_t link, uint64_t now)
{
	struct icmp_pmtu pm;
	uint8_t a[16];

	memset(&pm, 0, sizeof(pm));
	pm.family = strchr(qsrc, ':') != NULL ? AF_INET6 : AF_INET;
	pm.proto = IPPROTO_ESP;
	pm.spi = spi;
	pm.mtu = mtu;
	pg_addr(qsrc, pm.src);
	pg_addr(qdst, pm.dst);
	pg_addr(to, a);
	return netd_pmtu_learn(t, &pm, a, link, now);
}

static uint16_t
mtu_of(struct netd_pmtu *t, const char *dst, uint16_t link, uint64_t now)
{
	uint8_t a[16];

	pg_addr(dst, a);
	return netd_pmtu_mtu(t, strchr(dst, ':') != NULL ? AF_INET6 : AF_INET,
	    a, link, now);
}

static const struct row {
	const char	*name;
	const char	*qsrc, *qdst;	/* quoted; sent: A -> B, SPI */
	const char	*to;		/* the error's destination */
	uint64_t	 now;
	uint32_t	 spi;
	uint32_t	 mtu;
	enum netd_pmtu_why why;
	uint16_t	 link;
	uint16_t	 after;		/* netd_pmtu_mtu(B) afterwards */
} rows[] = {
	/* name, quoted source and destination, error to, now, SPI, MTU,
	 * expected, link MTU, the MTU of B afterwards */
	{ "v4 learned", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI, 1300,
	    NETD_PMTU_LEARNED, 1500, 1300 },
	{ "v4 unknown spi", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI + 1,
	    1300, NETD_PMTU_UNKNOWN_SPI, 1500, 1500 },
	{ "v4 other destination", "10.0.0.1", "10.0.0.3", "10.0.0.1", 10, SPI,
	    1300, NETD_PMTU_UNKNOWN_SPI, 1500, 1500 },
	{ "v4 stale", "10.0.0.1", "10.0.0.2", "10.0.0.1",
	    NETD_PMTU_SENT_MS + 1, SPI, 1300, NETD_PMTU_UNKNOWN_SPI, 1500,
	    1500 },
	{ "v4 just in time", "10.0.0.1", "10.0.0.2", "10.0.0.1",
	    NETD_PMTU_SENT_MS, SPI, 1300, NETD_PMTU_LEARNED, 1500, 1300 },
	{ "v4 quoted source not ours", "10.0.0.9", "10.0.0.2", "10.0.0.9", 10,
	    SPI, 1300, NETD_PMTU_NOT_OURS, 1500, 1500 },
	{ "v4 error to someone else", "10.0.0.1", "10.0.0.2", "10.0.0.9", 10,
	    SPI, 1300, NETD_PMTU_NOT_OURS, 1500, 1500 },
	{ "v4 floor", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI, 100,
	    NETD_PMTU_LEARNED, 1500, NETD_PMTU_MIN4 },
	{ "v4 above the link", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI,
	    1600, NETD_PMTU_NOT_LOWER, 1500, 1500 },
	{ "v4 equal to the link", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI,
	    1500, NETD_PMTU_NOT_LOWER, 1500, 1500 },
	{ "v4 link unknown", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10, SPI, 1300,
	    NETD_PMTU_LEARNED, 0, 1300 },
	{ "v6 learned", "2001:db8::1", "2001:db8::2", "2001:db8::1", 10, SPI,
	    1400, NETD_PMTU_LEARNED, 1500, 1400 },
	{ "v6 floor", "2001:db8::1", "2001:db8::2", "2001:db8::1", 10, SPI,
	    1000, NETD_PMTU_LEARNED, 1500, NETD_PMTU_MIN6 },
	{ "v6 unknown spi", "2001:db8::1", "2001:db8::2", "2001:db8::1", 10, 7,
	    1400, NETD_PMTU_UNKNOWN_SPI, 1500, 1500 },
	{ "v6 error to someone else", "2001:db8::1", "2001:db8::2",
	    "2001:db8::5", 10, SPI, 1400, NETD_PMTU_NOT_OURS, 1500, 1500 },
	{ "v4 equal to a small link", "10.0.0.1", "10.0.0.2", "10.0.0.1", 10,
	    SPI, 1280, NETD_PMTU_NOT_LOWER, 1280, 1280 },
};

static void
test_rows(void **state)
{
	const struct row *r;
	struct netd_pmtu *t;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		r = &rows[i];
		t = table(0, 0, 0);
		if (strchr(r->qsrc, ':') != NULL)
			send_one(t, 0, "2001:db8::1", "2001:db8::2", SPI, 0);
		else
			send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI, 0);
		print_message("%s\n", r->name);
		assert_int_equal(learn(t, r->qsrc, r->qdst, r->spi, r->to,
		    r->mtu, r->link, r->now), r->why);
		assert_int_equal(mtu_of(t, r->qdst, r->link, r->now),
		    r->after != 0 ? r->after : r->link);
		assert_int_equal(netd_pmtu_stats(t)->why[r->why], 1);
		assert_int_equal(netd_pmtu_consumed(r->why),
		    r->why == NETD_PMTU_LEARNED ||
		    r->why == NETD_PMTU_NOT_LOWER);
		netd_pmtu_free(t);
	}
}

static void
test_aging(void **state)
{
	struct netd_pmtu *t = table(1000, 0, 0);

	(void)state;
	send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI, 0);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1300, 1500, 0), NETD_PMTU_LEARNED);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 999), 1300);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 1000), 1500);
	assert_int_equal(netd_pmtu_stats(t)->expired, 1);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 5000), 1500);
	/* Refresh: the same MTU again restarts the clock. */
	send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI, 2000);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1300, 1500, 2000), NETD_PMTU_LEARNED);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1300, 1500, 2600), NETD_PMTU_LEARNED);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 3500), 1300);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 3600), 1500);
	netd_pmtu_free(t);
}

static void
test_lower_higher(void **state)
{
	struct netd_pmtu *t = table(0, 0, 0);

	(void)state;
	send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI, 0);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1300, 1500, 1), NETD_PMTU_LEARNED);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1400, 1500, 2), NETD_PMTU_NOT_LOWER);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 3), 1300);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1200, 1500, 4), NETD_PMTU_LEARNED);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 5), 1200);
	/* A link MTU below the learned one wins. */
	assert_int_equal(mtu_of(t, "10.0.0.2", 1000, 5), 1000);
	/* Other destinations: the link's. */
	assert_int_equal(mtu_of(t, "10.0.0.3", 1500, 5), 1500);
	assert_int_equal(mtu_of(t, "2001:db8::2", 1500, 5), 1500);
	/* No table: the link's. */
	assert_int_equal(netd_pmtu_mtu(NULL, AF_INET, pkt, 1500, 5), 1500);
	netd_pmtu_free(t);
}

static void
test_evict_paths(void **state)
{
	/* One set of four ways: the fifth destination evicts the entry
	 * expiring first. */
	struct netd_pmtu *t = table(0, NETD_PMTU_WAYS, 0);
	char dst[32];
	unsigned i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(dst, sizeof(dst), "10.0.1.%u", i + 1);
		send_one(t, 0, "10.0.0.1", dst, SPI, i);
		assert_int_equal(learn(t, "10.0.0.1", dst, SPI, "10.0.0.1",
		    1300 - i, 1500, i), NETD_PMTU_LEARNED);
	}
	assert_int_equal(netd_pmtu_stats(t)->evicted, 1);
	assert_int_equal(mtu_of(t, "10.0.1.1", 1500, 10), 1500);
	for (i = 1; i < 5; i++) {
		snprintf(dst, sizeof(dst), "10.0.1.%u", i + 1);
		assert_int_equal(mtu_of(t, dst, 1500, 10), 1300 - i);
	}
	netd_pmtu_free(t);
}

static void
test_evict_sent(void **state)
{
	/* One set of four ways for sent SPIs: the stalest goes. */
	struct netd_pmtu *t = table(0, 0, NETD_PMTU_WAYS);
	unsigned i;

	(void)state;
	for (i = 0; i < 5; i++)
		send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI + i, i);
	/* A packet again refreshes, it does not take a way. */
	send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI + 4, 9);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1300, 1500, 10), NETD_PMTU_UNKNOWN_SPI);
	for (i = 1; i < 5; i++)
		assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI + i,
		    "10.0.0.1", 1300 - i, 1500, 10), NETD_PMTU_LEARNED);
	assert_int_equal(mtu_of(t, "10.0.0.2", 1500, 10), 1296);
	netd_pmtu_free(t);
}

/* ESP and AH with the same SPI, sent in the same millisecond: two ways
 * (found by the fuzz seeds: a used way with last_ms 0 looked free). */
static void
test_same_ms(void **state)
{
	struct netd_pmtu *t = table(0, 0, 0);
	struct icmp_pmtu pm;

	(void)state;
	send_one(t, 0, "10.0.0.1", "10.0.0.2", SPI, 0);
	send_one(t, 1, "10.0.0.1", "10.0.0.2", SPI, 0);
	send_one(t, 2, "10.0.0.1", "10.0.0.2", SPI, 0);
	memset(&pm, 0, sizeof(pm));
	pm.family = AF_INET;
	pm.proto = IPPROTO_AH;
	pm.spi = SPI;
	pm.mtu = 1300;
	pg_addr("10.0.0.1", pm.src);
	pg_addr("10.0.0.2", pm.dst);
	assert_int_equal(netd_pmtu_learn(t, &pm, pm.src, 1500, 1),
	    NETD_PMTU_LEARNED);
	assert_int_equal(learn(t, "10.0.0.1", "10.0.0.2", SPI, "10.0.0.1",
	    1200, 1500, 1), NETD_PMTU_LEARNED);
	netd_pmtu_free(t);
}

/* Whole errors: a router's answer about each kind of our packets. */
static void
test_icmp(void **state)
{
	static const char *const fam[2][3] = {
		{ "10.0.0.1", "10.0.0.2", "10.0.5.1" },
		{ "2001:db8::1", "2001:db8::2", "2001:db8:5::1" },
	};
	struct pkt_info pi, po;
	struct netd_pmtu *t;
	uint8_t rtr[16];
	size_t n, on;
	int v6, kind;

	(void)state;
	for (v6 = 0; v6 < 2; v6++)
		for (kind = 0; kind < 3; kind++) {
			t = table(0, 0, 0);
			send_one(t, kind, fam[v6][0], fam[v6][1], SPI, 0);
			n = our_pkt(kind, fam[v6][0], fam[v6][1], SPI, 1400);
			assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
			pg_addr(fam[v6][2], rtr);
			assert_int_equal(icmp_build_too_big(pkt, &pi, rtr,
			    1360, out, sizeof(out), &on), 0);
			assert_int_equal(pkt_parse(out, on, &po), PKT_OK);
			assert_int_equal(netd_pmtu_icmp(t, out, &po, 1500, 5),
			    NETD_PMTU_LEARNED);
			assert_int_equal(mtu_of(t, fam[v6][1], 1500, 5), 1360);
			/* A flipped bit: the checksum fails, passed on. */
			out[on - 1] ^= 1;
			assert_int_equal(netd_pmtu_icmp(t, out, &po, 1500, 5),
			    NETD_PMTU_BAD);
			assert_false(netd_pmtu_consumed(NETD_PMTU_BAD));
			netd_pmtu_free(t);
		}
}

static void
test_icmp_other(void **state)
{
	struct netd_pmtu *t = table(0, 0, 0);
	struct pkt_info pi, po;
	uint8_t rtr[16];
	size_t n, on;

	(void)state;
	/* Frag-needed about TCP: the host's business. */
	n = pg_tcp(l4, 1000, 80, 1400);
	n = pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, l4, n, 0x4000, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	pg_addr("10.0.5.1", rtr);
	assert_int_equal(icmp_build_too_big(pkt, &pi, rtr, 1300, out,
	    sizeof(out), &on), 0);
	assert_int_equal(pkt_parse(out, on, &po), PKT_OK);
	assert_int_equal(netd_pmtu_icmp(t, out, &po, 1500, 5),
	    NETD_PMTU_OTHER);
	/* An echo request. */
	n = pg_icmp(l4, 8, 0, 32);
	n = pg_v4(pkt, "10.0.5.1", "10.0.0.1", IPPROTO_ICMP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(netd_pmtu_icmp(t, pkt, &pi, 1500, 5),
	    NETD_PMTU_OTHER);
	assert_int_equal(netd_pmtu_stats(t)->why[NETD_PMTU_OTHER], 0);
	assert_false(netd_pmtu_consumed(NETD_PMTU_OTHER));
	/* Not ESP / AH: never remembered as sent. */
	n = pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, l4,
	    pg_icmp(l4, 8, 0, 8), 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	netd_pmtu_sent(t, &pi, 1);
	assert_string_equal(netd_pmtu_why_name(NETD_PMTU_UNKNOWN_SPI),
	    "unknown_spi");
	assert_string_equal(netd_pmtu_why_name(NETD_PMTU_WHY_COUNT),
	    "unknown");
	netd_pmtu_free(t);
}

static void
test_conf(void **state)
{
	struct netd_pmtu_conf c;
	struct netd_pmtu *t;

	(void)state;
	netd_pmtu_conf_default(&c);
	c.paths = 3;
	assert_int_equal(netd_pmtu_new(&t, &c, 1), -EINVAL);
	assert_null(t);
	netd_pmtu_conf_default(&c);
	c.sents = 12;
	assert_int_equal(netd_pmtu_new(&t, &c, 1), -EINVAL);
	netd_pmtu_conf_default(&c);
	c.expire_ms = 0;
	assert_int_equal(netd_pmtu_new(&t, &c, 1), -EINVAL);
	netd_pmtu_conf_default(&c);
	assert_int_equal(c.expire_ms, 600000);
	assert_int_equal(netd_pmtu_new(&t, &c, 1), 0);
	netd_pmtu_free(t);
	netd_pmtu_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_lower_higher),
		cmocka_unit_test(test_evict_paths),
		cmocka_unit_test(test_evict_sent),
		cmocka_unit_test(test_same_ms),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmp_other),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
