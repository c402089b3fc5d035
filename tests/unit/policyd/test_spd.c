/*
 * test_spd.c - the SPD core (servers/policyd/spd.c).
 *
 *  - validation: one row per rejected field, and the accepted forms;
 *  - add/update/delete/get by selector and by id, success and error rows;
 *  - the Linux id scheme (xfrm_gen_index): values, direction bits, reuse;
 *  - lookup: priority, ties (earlier inserted wins; update re-ranks),
 *    prefixes, protocols, ports, ICMP type/code, IPv4 and IPv6, direction;
 *  - flush (all, one direction), generation, use counters, reqids;
 *  - DUMP cursors with deletions under them;
 *  - entries from parsed PF_KEY views (selector.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ipsec_policy.h"
#include "pfkey_msg.h"
#include "spd.h"

#define ANY	SPD_PROTO_ANY
#define IN	SPD_DIR_IN
#define OUT	SPD_DIR_OUT
#define FWD	SPD_DIR_FWD

static uint16_t
fam_of(const char *a)
{
	return strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
}

static void
addr(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(fam_of(a), a, out), 1);
}

static struct spd_sel
sel(const char *src, uint8_t splen, const char *dst, uint8_t dplen,
    uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct spd_sel s;

	memset(&s, 0, sizeof(s));
	s.family = fam_of(src);
	s.src_plen = splen;
	s.dst_plen = dplen;
	s.proto = proto;
	s.sport = sport;
	s.dport = dport;
	addr(src, s.src);
	addr(dst, s.dst);
	return s;
}

static struct spd_entry
ent(struct spd_sel s, uint8_t dir, uint32_t prio, uint8_t action)
{
	struct spd_entry e;

	memset(&e, 0, sizeof(e));
	e.sel = s;
	e.dir = dir;
	e.priority = prio;
	e.action = action;
	return e;
}

static struct spd_pkt
pkt(const char *src, const char *dst, uint8_t proto, uint16_t sport,
    uint16_t dport)
{
	struct spd_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = fam_of(src);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	addr(src, p.src);
	addr(dst, p.dst);
	return p;
}

static struct spd *
new_db(void)
{
	struct spd *db;

	assert_int_equal(spd_create(&db, 0x5a5a5a5a), 0);
	return db;
}

/* ---- Validation ---- */

enum mut {
	M_NONE, M_FAMILY, M_SPLEN4, M_DPLEN4, M_SPLEN6, M_DIR0, M_DIR4,
	M_ACTION, M_NREQS7, M_REQS_NOT_IPSEC, M_REQ_PROTO, M_REQ_MODE0,
	M_REQ_BEET, M_REQ_LEVEL, M_TUNNEL_NOADDR, M_REQ_FAMILY,
	M_OK_TUNNEL6, M_OK_TRANSPORT_ADDRS, M_OK_PLEN32, M_OK_PLEN128,
	M_OK_IPSEC_NOREQ, M_OK_SIX_REQS,
};

static const struct {
	const char	*name;
	enum mut	 mut;
	int		 error;
} valid_rows[] = {
	{ "plain", M_NONE, 0 },
	{ "family 0", M_FAMILY, -EINVAL },
	{ "IPv4 src /33", M_SPLEN4, -EINVAL },
	{ "IPv4 dst /33", M_DPLEN4, -EINVAL },
	{ "IPv6 src /129", M_SPLEN6, -EINVAL },
	{ "dir any (0)", M_DIR0, -EINVAL },
	{ "dir 4", M_DIR4, -EINVAL },
	{ "action entrust (SPD: no)", M_ACTION, -EINVAL },
	{ "7 requests", M_NREQS7, -ELOOP },
	{ "requests with discard", M_REQS_NOT_IPSEC, -EINVAL },
	{ "request proto udp", M_REQ_PROTO, -EINVAL },
	{ "request mode any", M_REQ_MODE0, -EINVAL },
	{ "request mode beet", M_REQ_BEET, -EINVAL },
	{ "request level 4", M_REQ_LEVEL, -EINVAL },
	{ "tunnel without endpoints", M_TUNNEL_NOADDR, -EINVAL },
	{ "endpoint family 7", M_REQ_FAMILY, -EINVAL },
	{ "IPv6 tunnel", M_OK_TUNNEL6, 0 },
	{ "transport with endpoints", M_OK_TRANSPORT_ADDRS, 0 },
	{ "IPv4 /32 /32", M_OK_PLEN32, 0 },
	{ "IPv6 /128 /128", M_OK_PLEN128, 0 },
	{ "ipsec without requests", M_OK_IPSEC_NOREQ, 0 },
	{ "six requests", M_OK_SIX_REQS, 0 },
};

static void
test_valid(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(valid_rows); i++) {
		struct spd_entry e = ent(sel("10.0.0.0", 8, "10.1.0.0", 16,
		    ANY, 0, 0), OUT, SPD_PRIORITY_DEFAULT, SPD_ACTION_IPSEC);
		struct spd *db = new_db();
		int got;

		e.nreqs = 1;
		e.req[0].proto = IPPROTO_ESP;
		e.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
		e.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
		switch (valid_rows[i].mut) {
		case M_NONE: break;
		case M_FAMILY: e.sel.family = 0; break;
		case M_SPLEN4: e.sel.src_plen = 33; break;
		case M_DPLEN4: e.sel.dst_plen = 33; break;
		case M_SPLEN6:
			e.sel = sel("fe80::", 129, "::", 0, ANY, 0, 0);
			break;
		case M_DIR0: e.dir = 0; break;
		case M_DIR4: e.dir = 4; break;
		case M_ACTION: e.action = PARAPET_IPSEC_POLICY_ENTRUST; break;
		case M_NREQS7:
			e.nreqs = 7;
			break;
		case M_REQS_NOT_IPSEC: e.action = SPD_ACTION_DISCARD; break;
		case M_REQ_PROTO: e.req[0].proto = IPPROTO_UDP; break;
		case M_REQ_MODE0: e.req[0].mode = 0; break;
		case M_REQ_BEET: e.req[0].mode = PARAPET_IPSEC_MODE_BEET; break;
		case M_REQ_LEVEL: e.req[0].level = 4; break;
		case M_TUNNEL_NOADDR:
			e.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
			break;
		case M_REQ_FAMILY: e.req[0].family = 7; break;
		case M_OK_TUNNEL6:
			e.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
			e.req[0].family = AF_INET6;
			addr("2001:db8::1", e.req[0].tsrc);
			addr("2001:db8::2", e.req[0].tdst);
			break;
		case M_OK_TRANSPORT_ADDRS:
			e.req[0].family = AF_INET;
			addr("192.0.2.1", e.req[0].tsrc);
			addr("192.0.2.2", e.req[0].tdst);
			break;
		case M_OK_PLEN32:
			e.sel.src_plen = e.sel.dst_plen = 32;
			break;
		case M_OK_PLEN128:
			e.sel = sel("2001:db8::", 128, "2001:db8::1", 128, ANY,
			    0, 0);
			break;
		case M_OK_IPSEC_NOREQ: e.nreqs = 0; break;
		case M_OK_SIX_REQS:
			e.nreqs = 6;
			for (j = 1; j < 6; j++)
				e.req[j] = e.req[0];
			break;
		}
		got = spd_add(db, &e, 1, NULL);
		if (got != valid_rows[i].error)
			fail_msg("row %zu (%s): got %d want %d", i,
			    valid_rows[i].name, got, valid_rows[i].error);
		assert_int_equal(spd_entry_valid(&e), valid_rows[i].error);
		assert_int_equal(spd_count(db), got == 0 ? 1 : 0);
		spd_destroy(db);
	}
}

/* ---- Ids ---- */

static void
test_ids(void **state)
{
	static const struct {
		uint8_t		dir;
		uint32_t	id;
	} rows[] = {
		/* Linux: generator 0, +8 each; idx 0 becomes 8. */
		{ IN, 8 },	/* 0 | 0 -> 8 */
		{ IN, 16 },	/* 8 | 0 = 8 is taken: skip to 16 */
		{ OUT, 25 },	/* 24 | 1 */
		{ FWD, 34 },	/* 32 | 2 */
		{ IN, 40 },
		{ OUT, 49 },
	};
	struct spd *db = new_db();
	uint32_t id;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		struct spd_entry e = ent(sel("10.0.0.0", 24, "10.0.1.0", 24,
		    ANY, (uint16_t)(i + 1), 0), rows[i].dir, 0,
		    SPD_ACTION_NONE);

		assert_int_equal(spd_add(db, &e, 0, &id), 0);
		if (id != rows[i].id)
			fail_msg("row %zu: id %u want %u", i, id, rows[i].id);
		assert_int_equal(id & 7, rows[i].dir - 1);
		assert_ptr_equal(spd_get_id(db, id),
		    spd_get(db, &e.sel, e.dir));
	}
	/* A deleted id is not reused at once: the generator moves on. */
	assert_int_equal(spd_delete_id(db, 8), 0);
	{
		struct spd_entry e = ent(sel("10.9.0.0", 16, "0.0.0.0", 0,
		    ANY, 0, 0), IN, 0, SPD_ACTION_NONE);

		assert_int_equal(spd_add(db, &e, 0, &id), 0);
		assert_int_equal(id, 56);
	}
	spd_destroy(db);
}

/* ---- Operations ---- */

static void
test_ops(void **state)
{
	struct spd *db = new_db();
	struct spd_entry a = ent(sel("10.0.0.0", 24, "10.0.1.0", 24, ANY, 0,
	    0), OUT, 100, SPD_ACTION_DISCARD);
	struct spd_entry b;
	struct spd_sel s;
	const struct spd_policy *p;
	uint64_t g;
	uint32_t ida, idb, id;

	(void)state;
	assert_null(spd_get_id(db, 8));
	assert_int_equal(spd_delete_id(db, 8), -ENOENT);
	assert_int_equal(spd_delete(db, &a.sel, OUT, NULL), -ENOENT);
	g = spd_generation(db);
	assert_int_equal(spd_add(db, &a, 5, &ida), 0);
	assert_true(spd_generation(db) != g);

	/* Same selector, host bits beyond the prefix: the same. */
	b = a;
	b.sel.src[3] = 7;
	b.priority = 1;
	g = spd_generation(db);
	assert_int_equal(spd_add(db, &b, 6, NULL), -EEXIST);
	assert_int_equal(spd_generation(db), g);
	p = spd_get(db, &b.sel, OUT);
	assert_non_null(p);
	assert_int_equal(p->id, ida);
	assert_int_equal(p->e.sel.src[3], 0);
	assert_int_equal(p->add_ms, 5);

	/* Other direction, port, protocol, prefix length: distinct. */
	b = a;
	b.dir = IN;
	assert_int_equal(spd_add(db, &b, 6, NULL), 0);
	b = a;
	b.sel.dport = 80;
	assert_int_equal(spd_add(db, &b, 6, NULL), 0);
	b = a;
	b.sel.proto = IPPROTO_TCP;
	assert_int_equal(spd_add(db, &b, 6, NULL), 0);
	b = a;
	b.sel.dst_plen = 23;
	assert_int_equal(spd_add(db, &b, 6, &idb), 0);
	assert_int_equal(spd_count(db), 5);
	assert_null(spd_get(db, &a.sel, FWD));

	/* Update: replaces, keeps the id; adds when absent. */
	b = a;
	b.priority = 7;
	b.action = SPD_ACTION_NONE;
	g = spd_generation(db);
	assert_int_equal(spd_update(db, &b, 9, &id), 0);
	assert_int_equal(id, ida);
	assert_true(spd_generation(db) != g);
	p = spd_get_id(db, ida);
	assert_int_equal(p->e.priority, 7);
	assert_int_equal(p->e.action, SPD_ACTION_NONE);
	assert_int_equal(p->add_ms, 9);
	assert_int_equal(spd_count(db), 5);
	b.sel = sel("10.2.0.0", 16, "10.3.0.0", 16, ANY, 0, 0);
	assert_int_equal(spd_update(db, &b, 9, &id), 0);
	assert_int_equal(spd_count(db), 6);

	/* Delete by selector (unmasked form) and by id. */
	s = a.sel;
	s.dst[3] = 99;
	assert_int_equal(spd_delete(db, &s, OUT, &id), 0);
	assert_int_equal(id, ida);
	assert_null(spd_get_id(db, ida));
	assert_int_equal(spd_delete(db, &s, OUT, &id), -ENOENT);
	assert_int_equal(spd_delete_id(db, idb), 0);
	assert_int_equal(spd_delete_id(db, idb), -ENOENT);
	assert_int_equal(spd_count(db), 4);

	/* Invalid selectors are simply not found. */
	s.family = 0;
	assert_null(spd_get(db, &s, OUT));
	assert_int_equal(spd_delete(db, &s, OUT, NULL), -ENOENT);
	assert_null(spd_get(db, &b.sel, 0));

	/* Flush by direction, then all. */
	g = spd_generation(db);
	assert_int_equal(spd_flush(db, FWD), 0);
	assert_int_equal(spd_generation(db), g);
	assert_int_equal(spd_flush(db, IN), 1);
	assert_true(spd_generation(db) != g);
	assert_int_equal(spd_count(db), 3);
	assert_int_equal(spd_flush(db, 0), 3);
	assert_int_equal(spd_count(db), 0);
	/* Usable after a flush. */
	assert_int_equal(spd_add(db, &a, 1, NULL), 0);
	spd_destroy(db);
}

/* ---- Lookup ---- */

/* Rows read in selector order; padding does not matter in a test table. */
struct pol_row {	/* NOLINT(clang-analyzer-optin.performance.Padding) */
	const char	*src;
	uint8_t		 splen;
	const char	*dst;
	uint8_t		 dplen;
	uint8_t		 proto;
	uint16_t	 sport, dport;
	uint8_t		 dir;
	uint32_t	 prio;
};

struct pkt_row {
	const char	*src, *dst;
	uint8_t		 proto;
	uint16_t	 sport, dport;
	uint8_t		 dir;
	int		 want;	/* index into the policies, -1: none */
};

static void
run_lookup(const char *name, const struct pol_row *pols, size_t npols,
    const struct pkt_row *pkts, size_t npkts)
{
	struct spd *db = new_db();
	uint32_t ids[32];
	size_t i, j;

	assert_true(npols <= nitems(ids));
	for (i = 0; i < npols; i++) {
		const struct pol_row *r = &pols[i];
		struct spd_entry e = ent(sel(r->src, r->splen, r->dst,
		    r->dplen, r->proto, r->sport, r->dport), r->dir, r->prio,
		    SPD_ACTION_NONE);

		if (spd_add(db, &e, 0, &ids[i]) != 0)
			fail_msg("%s: policy %zu refused", name, i);
	}
	for (j = 0; j < npkts; j++) {
		const struct pkt_row *r = &pkts[j];
		struct spd_pkt k = pkt(r->src, r->dst, r->proto, r->sport,
		    r->dport);
		const struct spd_policy *p = spd_lookup(db, r->dir, &k);
		int got = -1;

		for (i = 0; p != NULL && i < npols; i++)
			if (ids[i] == p->id)
				got = (int)i;
		if (got != r->want)
			fail_msg("%s: packet %zu (%s -> %s): policy %d, want %d",
			    name, j, r->src, r->dst, got, r->want);
	}
	spd_destroy(db);
}

#define RUN(n, pols, pkts) run_lookup(n, pols, nitems(pols), pkts, \
	nitems(pkts))

static void
test_lookup_priority(void **state)
{
	static const struct pol_row pols[] = {
		/* 0 */ { "10.0.0.0", 8, "0.0.0.0", 0, ANY, 0, 0, OUT, 50 },
		/* 1 */ { "10.1.0.0", 16, "0.0.0.0", 0, ANY, 0, 0, OUT, 60 },
		/* 2 */ { "10.1.2.3", 32, "10.9.9.9", 32, ANY, 0, 0, OUT, 50 },
		/* 3 */ { "10.1.2.0", 24, "10.9.9.0", 24, ANY, 0, 0, OUT, 40 },
		/* 4 */ { "10.2.0.0", 16, "0.0.0.0", 0, ANY, 0, 0, OUT, 50 },
		/* 5 */ { "0.0.0.0", 0, "0.0.0.0", 0, ANY, 0, 0, OUT,
			   0xffffffff },
		/* 6 */ { "10.2.0.0", 16, "0.0.0.0", 0, ANY, 0, 0, IN, 1 },
		/* 7 */ { "0.0.0.0", 0, "172.16.0.0", 12, ANY, 0, 0, OUT, 0 },
	};
	static const struct pkt_row pkts[] = {
		/* Lower value wins over a longer prefix. */
		{ "10.1.0.1", "1.1.1.1", 6, 1, 2, OUT, 0 },
		/* /24 pair with 40 beats /32 pair with 50. */
		{ "10.1.2.3", "10.9.9.9", 6, 1, 2, OUT, 3 },
		/* Tie at 50 between 0 (first) and 4: earlier wins. */
		{ "10.2.0.1", "1.1.1.1", 17, 1, 2, OUT, 0 },
		{ "11.0.0.1", "1.1.1.1", 17, 1, 2, OUT, 5 },
		{ "11.0.0.1", "172.31.255.255", 17, 1, 2, OUT, 7 },
		{ "11.0.0.1", "172.32.0.0", 17, 1, 2, OUT, 5 },
		/* Direction. */
		{ "10.2.0.1", "1.1.1.1", 17, 1, 2, IN, 6 },
		{ "10.1.0.1", "1.1.1.1", 17, 1, 2, IN, -1 },
		{ "10.1.0.1", "1.1.1.1", 17, 1, 2, FWD, -1 },
		/* IPv6 packets see no IPv4 policy. */
		{ "::a01:1", "::1", 17, 1, 2, OUT, -1 },
	};

	(void)state;
	RUN("priority", pols, pkts);
}

static void
test_lookup_ties(void **state)
{
	struct spd *db = new_db();
	struct spd_entry a = ent(sel("10.0.0.0", 8, "0.0.0.0", 0, ANY, 0, 0),
	    OUT, 10, SPD_ACTION_NONE);
	struct spd_entry b = ent(sel("10.1.0.0", 16, "0.0.0.0", 0, ANY, 0,
	    0), OUT, 10, SPD_ACTION_DISCARD);
	struct spd_entry c = ent(sel("10.1.1.0", 24, "0.0.0.0", 0, ANY, 0,
	    0), OUT, 10, SPD_ACTION_DISCARD);
	struct spd_pkt k = pkt("10.1.1.1", "8.8.8.8", 6, 1, 2);
	uint32_t ida, idb, idc;

	(void)state;
	/* Insert the less specific first: it wins the tie (Linux order). */
	assert_int_equal(spd_add(db, &c, 0, &idc), 0);
	assert_int_equal(spd_add(db, &a, 0, &ida), 0);
	assert_int_equal(spd_add(db, &b, 0, &idb), 0);
	assert_int_equal(spd_lookup(db, OUT, &k)->id, idc);
	/* Update re-ranks c as newest among equals: a now wins. */
	assert_int_equal(spd_update(db, &c, 0, NULL), 0);
	assert_int_equal(spd_lookup(db, OUT, &k)->id, ida);
	/* Delete a: b (older than updated c) wins. */
	assert_int_equal(spd_delete_id(db, ida), 0);
	assert_int_equal(spd_lookup(db, OUT, &k)->id, idb);
	/* A better priority through update. */
	c.priority = 9;
	assert_int_equal(spd_update(db, &c, 0, NULL), 0);
	assert_int_equal(spd_lookup(db, OUT, &k)->id, idc);
	/* And back to a worse one: the table bound must follow. */
	c.priority = 11;
	assert_int_equal(spd_update(db, &c, 0, NULL), 0);
	assert_int_equal(spd_lookup(db, OUT, &k)->id, idb);
	spd_destroy(db);
}

static void
test_lookup_ports(void **state)
{
	static const struct pol_row pols[] = {
		/* 0 */ { "10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_TCP, 0, 22,
			   OUT, 10 },
		/* 1 */ { "10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_TCP, 1000, 0,
			   OUT, 20 },
		/* 2 */ { "10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_UDP, 500,
			   500, OUT, 30 },
		/* 3: ICMP echo request (type 8, code any) */
		{ "10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_ICMP, 8, 0, OUT, 40 },
		/* 4: ICMP type 3 code 4 */
		{ "10.0.0.0", 8, "10.0.0.0", 8, IPPROTO_ICMP, 3, 4, OUT, 41 },
		/* 5 */ { "10.0.0.0", 8, "10.0.0.0", 8, ANY, 0, 0, OUT, 100 },
		/* 6: ICMPv6 neighbour solicitation (135) */
		{ "::", 0, "::", 0, IPPROTO_ICMPV6, 135, 0, IN, 5 },
		/* 7 */ { "::", 0, "::", 0, ANY, 0, 0, IN, 50 },
	};
	static const struct pkt_row pkts[] = {
		{ "10.1.1.1", "10.2.2.2", IPPROTO_TCP, 4000, 22, OUT, 0 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_TCP, 1000, 22, OUT, 0 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_TCP, 1000, 23, OUT, 1 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_UDP, 1000, 22, OUT, 5 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_UDP, 500, 500, OUT, 2 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_UDP, 500, 4500, OUT, 5 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_ICMP, 8, 0, OUT, 3 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_ICMP, 8, 9, OUT, 3 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_ICMP, 3, 4, OUT, 4 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_ICMP, 3, 3, OUT, 5 },
		{ "10.1.1.1", "10.2.2.2", IPPROTO_ICMP, 0, 0, OUT, 5 },
		{ "11.1.1.1", "10.2.2.2", IPPROTO_TCP, 4000, 22, OUT, -1 },
		{ "fe80::1", "ff02::1:ff00:1", IPPROTO_ICMPV6, 135, 0, IN, 6 },
		{ "fe80::1", "ff02::1:ff00:1", IPPROTO_ICMPV6, 136, 0, IN, 7 },
		{ "fe80::1", "ff02::1", IPPROTO_TCP, 135, 0, IN, 7 },
	};

	(void)state;
	RUN("ports", pols, pkts);
}

static void
test_lookup_v6(void **state)
{
	static const struct pol_row pols[] = {
		/* 0 */ { "2001:db8::", 32, "2001:db8:1::", 48, ANY, 0, 0,
			   OUT, 10 },
		/* 1 */ { "2001:db8::1", 128, "2001:db8:1::1", 128, ANY, 0, 0,
			   OUT, 20 },
		/* 2 */ { "2001:db8::1", 128, "2001:db8:1::1", 128, ANY, 0, 0,
			   OUT, 5 },
		/* 3: prefix not on a byte boundary */
		{ "2001:db8:8000::", 33, "::", 0, ANY, 0, 0, OUT, 1 },
		/* 4: /127 */
		{ "2001:db8:ffff::2", 127, "::", 0, ANY, 0, 0, FWD, 1 },
	};
	static const struct pkt_row pkts[] = {
		{ "2001:db8::1", "2001:db8:1::1", 6, 1, 2, OUT, 0 },
		{ "2001:db8::2", "2001:db8:1::ffff", 6, 1, 2, OUT, 0 },
		{ "2001:db8::2", "2001:db8:2::", 6, 1, 2, OUT, -1 },
		{ "2001:db8:8000::1", "2001:db8:1::", 6, 1, 2, OUT, 3 },
		{ "2001:db8:7fff::1", "2001:db8:1::", 6, 1, 2, OUT, 0 },
		{ "2001:db8:ffff::3", "::1", 6, 1, 2, FWD, 4 },
		{ "2001:db8:ffff::2", "::1", 6, 1, 2, FWD, 4 },
		{ "2001:db8:ffff::4", "::1", 6, 1, 2, FWD, -1 },
		{ "2001:db8:ffff::4", "::1", 6, 1, 2, IN, -1 },
	};
	struct spd *db = new_db();
	struct spd_entry e = ent(sel(pols[1].src, 128, pols[1].dst, 128, ANY,
	    0, 0), OUT, 20, SPD_ACTION_NONE);

	(void)state;
	/* Rows 1 and 2 are the same selector: the second is refused. */
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	assert_int_equal(spd_add(db, &e, 0, NULL), -EEXIST);
	spd_destroy(db);
	{
		const struct pol_row p2[] = { pols[0], pols[1], pols[3],
			pols[4] };
		struct pkt_row k2[nitems(pkts)];
		size_t i;

		memcpy(k2, pkts, sizeof(pkts));
		for (i = 0; i < nitems(k2); i++)
			if (k2[i].want >= 3)
				k2[i].want--;
		run_lookup("v6", p2, nitems(p2), k2, nitems(k2));
	}
}

/* ---- Counters, reqids ---- */

static void
test_use_reqid(void **state)
{
	struct spd *db = new_db();
	struct spd_entry e = ent(sel("10.0.0.0", 8, "0.0.0.0", 0, ANY, 0, 0),
	    OUT, 10, SPD_ACTION_IPSEC);
	struct spd_pkt k = pkt("10.1.1.1", "8.8.8.8", 6, 1, 2);
	const struct spd_policy *p;
	uint64_t g;
	uint32_t id;

	(void)state;
	e.nreqs = 4;
	e.req[0] = (struct spd_req){ .proto = IPPROTO_ESP,
		.mode = PARAPET_IPSEC_MODE_TRANSPORT,
		.level = PARAPET_IPSEC_LEVEL_UNIQUE };
	e.req[1] = e.req[0];
	e.req[1].reqid = 77;
	e.req[2] = e.req[0];
	e.req[2].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	e.req[2].reqid = 99;
	e.req[3] = e.req[0];
	e.req[3].mode = PARAPET_IPSEC_MODE_TUNNEL;
	e.req[3].family = AF_INET;
	addr("192.0.2.1", e.req[3].tsrc);
	addr("192.0.2.2", e.req[3].tdst);
	e.req[3].tsrc[9] = 0xee;	/* past an IPv4 address: cleared */
	assert_int_equal(spd_add(db, &e, 100, &id), 0);
	p = spd_get_id(db, id);
	assert_int_equal(p->e.req[0].reqid, SPD_REQID_AUTO_MIN);
	assert_int_equal(p->e.req[1].reqid, 77);
	assert_int_equal(p->e.req[2].reqid, 0);
	assert_int_equal(p->e.req[3].reqid, SPD_REQID_AUTO_MIN + 1);
	assert_int_equal(p->e.req[3].tsrc[9], 0);
	assert_int_equal(p->use_count, 0);
	assert_int_equal(p->last_use_ms, 0);

	g = spd_generation(db);
	assert_ptr_equal(spd_lookup_use(db, OUT, &k, 200), p);
	assert_ptr_equal(spd_lookup_use(db, OUT, &k, 300), p);
	assert_int_equal(spd_use(db, id, 400), 0);
	assert_int_equal(spd_use(db, id + 8, 400), -ENOENT);
	assert_int_equal(p->use_count, 3);
	assert_int_equal(p->last_use_ms, 400);
	assert_int_equal(spd_generation(db), g);
	k.src[0] = 11;
	assert_null(spd_lookup_use(db, OUT, &k, 500));

	/* Update restarts the counters and allocates anew. */
	assert_int_equal(spd_update(db, &e, 600, NULL), 0);
	p = spd_get_id(db, id);
	assert_int_equal(p->use_count, 0);
	assert_int_equal(p->add_ms, 600);
	assert_int_equal(p->e.req[0].reqid, SPD_REQID_AUTO_MIN + 2);
	spd_destroy(db);
}

/* ---- DUMP ---- */

static void
test_dump(void **state)
{
	struct spd *db = new_db();
	struct spd_cursor c1, c2;
	const struct spd_policy *p;
	uint32_t ids[6];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		struct spd_entry e = ent(sel("10.0.0.0", 8, "0.0.0.0", 0, ANY,
		    (uint16_t)(i + 1), 0), i % 2 == 0 ? IN : OUT, 0,
		    SPD_ACTION_NONE);

		assert_int_equal(spd_add(db, &e, 0, &ids[i]), 0);
	}
	/* Empty direction. */
	spd_dump_begin(db, &c1, FWD);
	assert_null(spd_dump_next(db, &c1));
	spd_dump_end(db, &c1);
	spd_dump_end(db, &c1);

	/* All, deleting under the cursor: the one it points at and behind. */
	spd_dump_begin(db, &c1, 0);
	spd_dump_begin(db, &c2, OUT);
	assert_int_equal(spd_dump_next(db, &c1)->id, ids[0]);
	assert_int_equal(spd_dump_next(db, &c2)->id, ids[1]);
	assert_int_equal(spd_delete_id(db, ids[1]), 0);	/* c1 next */
	assert_int_equal(spd_delete_id(db, ids[0]), 0);	/* behind */
	assert_int_equal(spd_dump_next(db, &c1)->id, ids[2]);
	assert_int_equal(spd_delete_id(db, ids[3]), 0);	/* c1's next */
	assert_int_equal(spd_dump_next(db, &c1)->id, ids[4]);
	assert_int_equal(spd_dump_next(db, &c2)->id, ids[5]);
	{
		/* Appended while c1 still runs: seen by c1. */
		struct spd_entry e = ent(sel("10.0.0.0", 8, "0.0.0.0", 0,
		    ANY, 99, 0), OUT, 0, SPD_ACTION_NONE);
		uint32_t id;

		assert_int_equal(spd_add(db, &e, 0, &id), 0);
		assert_int_equal(spd_dump_next(db, &c1)->id, ids[5]);
		p = spd_dump_next(db, &c1);
		assert_non_null(p);
		assert_int_equal(p->id, id);
		/* Update keeps the place: nothing twice. */
		assert_int_equal(spd_update(db, &e, 0, NULL), 0);
	}
	assert_null(spd_dump_next(db, &c1));
	spd_dump_end(db, &c1);
	/* c2 had reached the end before the append. */
	assert_null(spd_dump_next(db, &c2));
	spd_dump_end(db, &c2);
	assert_int_equal(spd_flush(db, 0), 4);
	spd_destroy(db);
}

/* Many policies in one table and across tables: growth, bounds, order. */
static void
test_grow(void **state)
{
	struct spd *db = new_db();
	struct spd_pkt k;
	uint32_t i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		struct spd_entry e = ent(sel("10.0.0.0", 32, "10.0.0.0",
		    (uint8_t)(16 + i % 17), ANY, 0, 0), OUT, 3000 - i,
		    SPD_ACTION_NONE);

		e.sel.src[2] = (uint8_t)(i >> 8);
		e.sel.src[3] = (uint8_t)i;
		assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	}
	for (i = 0; i < 3000; i++) {
		const struct spd_policy *p;

		k = pkt("10.0.0.0", "10.0.0.0", 6, 1, 2);
		k.src[2] = (uint8_t)(i >> 8);
		k.src[3] = (uint8_t)i;
		p = spd_lookup(db, OUT, &k);
		assert_non_null(p);
		assert_int_equal(p->e.priority, 3000 - i);
	}
	/* Delete the best ones one by one; the next best must follow. */
	for (i = 2999; i > 2000; i--) {
		k.src[2] = (uint8_t)(i >> 8);
		k.src[3] = (uint8_t)i;
		assert_int_equal(spd_delete(db, &spd_lookup(db, OUT, &k)->e.sel,
		    OUT, NULL), 0);
		assert_null(spd_lookup(db, OUT, &k));
	}
	assert_int_equal(spd_count(db), 2001);
	spd_destroy(db);
}

/* ---- From PF_KEY ---- */

enum pfmut {
	P_NONE, P_PROTO0, P_ICMP, P_NO_POLICY, P_NO_SRC, P_ENTRUST, P_FAMILY,
	P_NREQS7, P_DIR0, P_V6,
};

static void
pf_msg(struct pfkey_msg *m, enum pfmut mut)
{
	memset(m, 0, sizeof(*m));
	m->present = (UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_SRC) |
	    (UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_DST) |
	    (UINT32_C(1) << PARAPET_SADB_X_EXT_POLICY);
	m->src.proto = IPPROTO_TCP;
	m->src.prefixlen = 24;
	m->src.sa.family = AF_INET;
	m->src.sa.port = 1234;
	addr("10.0.0.77", m->src.sa.addr);
	m->dst.proto = IPPROTO_TCP;
	m->dst.prefixlen = 32;
	m->dst.sa.family = AF_INET;
	m->dst.sa.port = 80;
	addr("10.0.1.1", m->dst.sa.addr);
	m->policy.type = PARAPET_IPSEC_POLICY_IPSEC;
	m->policy.dir = OUT;
	m->policy.priority = 0x7ffffff0;
	m->policy.nreqs = 2;
	m->policy.req[0].proto = IPPROTO_AH;
	m->policy.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	m->policy.req[0].level = PARAPET_IPSEC_LEVEL_USE;
	m->policy.req[1].proto = IPPROTO_ESP;
	m->policy.req[1].mode = PARAPET_IPSEC_MODE_TUNNEL;
	m->policy.req[1].level = PARAPET_IPSEC_LEVEL_UNIQUE;
	m->policy.req[1].reqid = 5;
	m->policy.req[1].has_addrs = true;
	m->policy.req[1].src.family = AF_INET;
	m->policy.req[1].dst.family = AF_INET;
	addr("192.0.2.1", m->policy.req[1].src.addr);
	addr("192.0.2.2", m->policy.req[1].dst.addr);
	switch (mut) {
	case P_NONE: break;
	case P_PROTO0: m->src.proto = m->dst.proto = 0; m->src.sa.port = 0;
		m->dst.sa.port = 0; break;
	case P_ICMP: m->dst.proto = IPPROTO_ICMP; m->src.sa.port = 3;
		m->dst.sa.port = 4; break;	/* src.proto TCP: dst wins */
	case P_NO_POLICY:
		m->present &= ~(UINT32_C(1) << PARAPET_SADB_X_EXT_POLICY);
		break;
	case P_NO_SRC:
		m->present &= ~(UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_SRC);
		break;
	case P_ENTRUST: m->policy.type = PARAPET_IPSEC_POLICY_ENTRUST;
		m->policy.nreqs = 0; break;
	case P_FAMILY: m->dst.sa.family = AF_INET6; break;
	case P_NREQS7: m->policy.nreqs = 7; break;
	case P_DIR0: m->policy.dir = 0; break;
	case P_V6:
		m->src.sa.family = m->dst.sa.family = AF_INET6;
		m->src.prefixlen = 64;
		m->dst.prefixlen = 128;
		addr("2001:db8::", m->src.sa.addr);
		addr("2001:db8:1::1", m->dst.sa.addr);
		m->policy.nreqs = 1;
		break;
	}
}

static void
test_from_pfkey(void **state)
{
	static const struct {
		enum pfmut	mut;
		int		error;
	} rows[] = {
		{ P_NONE, 0 }, { P_PROTO0, 0 }, { P_ICMP, 0 },
		{ P_NO_POLICY, -EINVAL }, { P_NO_SRC, -EINVAL },
		{ P_ENTRUST, -EINVAL }, { P_FAMILY, -EINVAL },
		{ P_NREQS7, -ELOOP }, { P_DIR0, -EINVAL }, { P_V6, 0 },
	};
	struct pfkey_msg m;
	struct spd_entry e;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		int got;

		pf_msg(&m, rows[i].mut);
		got = spd_entry_from_pfkey(&m, &e);
		if (got != rows[i].error)
			fail_msg("row %zu: got %d want %d", i, got,
			    rows[i].error);
	}
	pf_msg(&m, P_NONE);
	assert_int_equal(spd_entry_from_pfkey(&m, &e), 0);
	assert_int_equal(e.sel.family, AF_INET);
	assert_int_equal(e.sel.src_plen, 24);
	assert_int_equal(e.sel.dst_plen, 32);
	assert_int_equal(e.sel.proto, IPPROTO_TCP);
	assert_int_equal(e.sel.sport, 1234);
	assert_int_equal(e.sel.dport, 80);
	assert_int_equal(e.sel.src[3], 77);	/* masked when stored */
	assert_int_equal(e.dir, OUT);
	assert_int_equal(e.priority, 0x7ffffff0);
	assert_int_equal(e.action, SPD_ACTION_IPSEC);
	assert_int_equal(e.nreqs, 2);
	assert_int_equal(e.req[0].proto, IPPROTO_AH);
	assert_int_equal(e.req[0].family, 0);
	assert_int_equal(e.req[1].reqid, 5);
	assert_int_equal(e.req[1].family, AF_INET);
	assert_int_equal(e.req[1].tdst[3], 2);
	pf_msg(&m, P_PROTO0);
	assert_int_equal(spd_entry_from_pfkey(&m, &e), 0);
	assert_int_equal(e.sel.proto, SPD_PROTO_ANY);
	pf_msg(&m, P_ICMP);
	assert_int_equal(spd_entry_from_pfkey(&m, &e), 0);
	assert_int_equal(e.sel.proto, IPPROTO_ICMP);
	assert_int_equal(e.sel.sport, 3);
	assert_int_equal(e.sel.dport, 4);
	pf_msg(&m, P_V6);
	assert_int_equal(spd_entry_from_pfkey(&m, &e), 0);
	assert_int_equal(e.sel.family, AF_INET6);
	assert_int_equal(e.sel.dst[15], 1);
	assert_int_equal(e.nreqs, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_lookup_priority),
		cmocka_unit_test(test_lookup_ties),
		cmocka_unit_test(test_lookup_ports),
		cmocka_unit_test(test_lookup_v6),
		cmocka_unit_test(test_use_reqid),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_from_pfkey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
