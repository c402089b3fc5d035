/*
 * test_sockpol.c - per-socket policy (servers/policyd/sockpol.c and
 * servers/netd/netd_sockpol.c):
 *
 *  - the endpoint's request parser: one row per reject reason and the
 *    accepted forms, policies made by ipsec_set_policy();
 *  - the privilege rule (bypass: root only, EACCES; KAME);
 *  - the registry: add, replace (same id), remove by direction and by
 *    socket, a closed connection, limits, the generation;
 *  - selectors: wildcards, directions, the binding update after bind()
 *    and connect(), the most specific socket winning;
 *  - precedence through netd's decide() with the registry as its
 *    per-socket hook: per-socket over SPD over def_policy;
 *  - the DUMP body;
 *  - the bus: registrations to SockPolicy and back (through protobuf
 *    and bus_msg.c's validators), one row per refusal of the
 *    validator, the subscriber's replica kept from a snapshot and the
 *    events of random changes (equal to the source),
 *    gaps (a lost event, another epoch) detected. PARAPET_SEED.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "bus_msg.h"
#include "decide.h"
#include "ipsec_policy.h"
#include "netd_sockpol.h"
#include "policy.h"
#include "prng.h"
#include "sockpol.h"
#include "sockpol_msg.h"

#define MT(v)	PARAPET__MSG_TYPE__MSG_##v

#define IN	SPD_DIR_IN
#define OUT	SPD_DIR_OUT

static void
addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s,
	    out), 1);
}

static struct sockpol_sel
sel(const char *laddr, uint16_t lport, const char *raddr, uint16_t rport,
    uint8_t proto)
{
	struct sockpol_sel s;

	memset(&s, 0, sizeof(s));
	s.family = strchr(laddr, ':') ? AF_INET6 : AF_INET;
	addr(laddr, s.laddr);
	addr(raddr, s.raddr);
	s.lport = lport;
	s.rport = rport;
	s.proto = proto;
	return s;
}

/* A policy from its text, as a program would get it. */
static struct sockpol_pol
pol(const char *text)
{
	struct sockpol_req rq;
	enum sockpol_reject why;
	uint8_t buf[SOCKPOL_REQ_MAX], *ext;
	size_t len;

	assert_int_equal(policy_parse(text, strlen(text), &ext, &len), 0);
	memset(buf, 0, sizeof(buf));
	buf[0] = SOCKPOL_VERSION;
	buf[1] = SOCKPOL_OP_SET;
	buf[16 + 1] = AF_INET;
	buf[16 + 2] = 17;
	memcpy(buf + 56, ext, len);
	free(ext);
	assert_int_equal(sockpol_req_parse(buf, 56 + len, &rq, &why), 0);
	return rq.pol;
}

static struct spd_pkt
pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport,
    uint8_t proto)
{
	struct spd_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	addr(src, p.src);
	addr(dst, p.dst);
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	return p;
}

/* ---- the parser ---- */

/* A request: header, selector (IPv4 UDP, wildcards), policy text. */
static size_t
mkreq(uint8_t *buf, uint8_t op, uint8_t dir, const char *text)
{
	uint8_t *ext;
	size_t len = 16;

	memset(buf, 0, SOCKPOL_REQ_MAX);
	buf[0] = SOCKPOL_VERSION;
	buf[1] = op;
	buf[2] = dir;
	buf[7] = 9;		/* seq */
	buf[15] = 77;		/* sock */
	if (op == SOCKPOL_OP_SET || op == SOCKPOL_OP_BIND) {
		buf[16 + 1] = AF_INET;
		buf[16 + 2] = 17;
		len += SOCKPOL_SEL_BYTES;
	}
	if (text != NULL) {
		size_t n;

		assert_int_equal(policy_parse(text, strlen(text), &ext, &n),
		    0);
		memcpy(buf + len, ext, n);
		free(ext);
		len += n;
	}
	return len;
}

enum mut {
	M_NONE, M_LEN, M_VERSION, M_OP0, M_OP9, M_FLAGS, M_DIR, M_FAMILY,
	M_RES, M_V4TAIL, M_TRAIL, M_POLSHORT, M_EXTTYPE, M_POLLEN, M_TYPE,
	M_POLDIR, M_REQPROTO, M_REQLEN, M_TYPE_NONE_REQS, M_SEL_CUT,
	M_V6MAPPED, M_FLAG2,
};

/* Rows in reading order, padding and all. */
/* NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding) */
static const struct prow {
	const char		*name;
	uint8_t			 op, dir;
	const char		*text;
	enum mut		 mut;
	size_t			 arg;
	int			 error;
	enum sockpol_reject	 why;
} prows[] = {
	{ "set ipsec", SOCKPOL_OP_SET, 0,
	    "out ipsec esp/transport//require", M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "set tunnel v6 ah", SOCKPOL_OP_SET, 0,
	    "in ipsec ah/tunnel/2001:db8::1-2001:db8::2/unique:7 "
	    "esp/transport//use", M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "set entrust", SOCKPOL_OP_SET, 0, "in entrust", M_NONE, 0, 0,
	    SOCKPOL_R_OK },
	{ "set bypass", SOCKPOL_OP_SET, 0, "out bypass", M_NONE, 0, 0,
	    SOCKPOL_R_OK },
	{ "set discard", SOCKPOL_OP_SET, 0, "out discard", M_NONE, 0, 0,
	    SOCKPOL_R_OK },
	{ "set none", SOCKPOL_OP_SET, 0, "in none", M_NONE, 0, 0,
	    SOCKPOL_R_OK },
	{ "del both", SOCKPOL_OP_DEL, 0, NULL, M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "del out", SOCKPOL_OP_DEL, 2, NULL, M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "bind", SOCKPOL_OP_BIND, 0, NULL, M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "dump", SOCKPOL_OP_DUMP, 0, NULL, M_NONE, 0, 0, SOCKPOL_R_OK },
	{ "empty", SOCKPOL_OP_DUMP, 0, NULL, M_LEN, 0, -EBADMSG,
	    SOCKPOL_R_SHORT },
	{ "15 octets", SOCKPOL_OP_DUMP, 0, NULL, M_LEN, 15, -EBADMSG,
	    SOCKPOL_R_SHORT },
	{ "version 2", SOCKPOL_OP_DUMP, 0, NULL, M_VERSION, 0,
	    -EPROTONOSUPPORT, SOCKPOL_R_VERSION },
	{ "op 0", SOCKPOL_OP_DUMP, 0, NULL, M_OP0, 0, -EOPNOTSUPP,
	    SOCKPOL_R_OP },
	{ "op 9", SOCKPOL_OP_DUMP, 0, NULL, M_OP9, 0, -EOPNOTSUPP,
	    SOCKPOL_R_OP },
	{ "flags", SOCKPOL_OP_DUMP, 0, NULL, M_FLAGS, 0, -EINVAL,
	    SOCKPOL_R_RESERVED },
	{ "del dir 3", SOCKPOL_OP_DEL, 3, NULL, M_NONE, 0, -EINVAL,
	    SOCKPOL_R_DIR },
	{ "set with dir", SOCKPOL_OP_SET, 0, "out none", M_DIR, 0, -EINVAL,
	    SOCKPOL_R_DIR },
	{ "family 1", SOCKPOL_OP_BIND, 0, NULL, M_FAMILY, 0, -EAFNOSUPPORT,
	    SOCKPOL_R_FAMILY },
	{ "v4 with flags", SOCKPOL_OP_BIND, 0, NULL, M_RES, 0, -EINVAL,
	    SOCKPOL_R_RESERVED },
	{ "v6 v4mapped", SOCKPOL_OP_BIND, 0, NULL, M_V6MAPPED, 0, 0,
	    SOCKPOL_R_OK },
	{ "unknown flag", SOCKPOL_OP_BIND, 0, NULL, M_FLAG2, 0, -EINVAL,
	    SOCKPOL_R_RESERVED },
	{ "v4 tail", SOCKPOL_OP_BIND, 0, NULL, M_V4TAIL, 0, -EINVAL,
	    SOCKPOL_R_SEL_ADDR },
	{ "sel cut", SOCKPOL_OP_BIND, 0, NULL, M_SEL_CUT, 0, -EBADMSG,
	    SOCKPOL_R_SEL_SHORT },
	{ "bind trailing", SOCKPOL_OP_BIND, 0, NULL, M_TRAIL, 0, -EBADMSG,
	    SOCKPOL_R_TRAILING },
	{ "del trailing", SOCKPOL_OP_DEL, 0, NULL, M_TRAIL, 0, -EBADMSG,
	    SOCKPOL_R_TRAILING },
	{ "set no policy", SOCKPOL_OP_SET, 0, NULL, M_NONE, 0, -EINVAL,
	    SOCKPOL_R_POL_SHORT },
	{ "policy cut", SOCKPOL_OP_SET, 0, "out none", M_POLSHORT, 0,
	    -EINVAL, SOCKPOL_R_POL_SHORT },
	{ "exttype", SOCKPOL_OP_SET, 0, "out none", M_EXTTYPE, 0, -EINVAL,
	    SOCKPOL_R_POL_EXTTYPE },
	{ "len words", SOCKPOL_OP_SET, 0, "out none", M_POLLEN, 0, -EINVAL,
	    SOCKPOL_R_POL_LEN },
	{ "policy trailing", SOCKPOL_OP_SET, 0, "out none", M_TRAIL, 0,
	    -EINVAL, SOCKPOL_R_POL_LEN },
	{ "type 5", SOCKPOL_OP_SET, 0, "out none", M_TYPE, 0, -EINVAL,
	    SOCKPOL_R_POL_TYPE },
	{ "fwd", SOCKPOL_OP_SET, 0, "fwd none", M_NONE, 0, -EINVAL,
	    SOCKPOL_R_POL_DIR },
	{ "dir 0", SOCKPOL_OP_SET, 0, "out none", M_POLDIR, 0, -EINVAL,
	    SOCKPOL_R_POL_DIR },
	{ "ipsec no requests", SOCKPOL_OP_SET, 0, "out ipsec", M_NONE, 0,
	    -EINVAL, SOCKPOL_R_POL_REQS },
	{ "none with request", SOCKPOL_OP_SET, 0,
	    "out ipsec esp/transport//use", M_TYPE_NONE_REQS, 0, -EINVAL,
	    SOCKPOL_R_POL_REQS },
	{ "request proto", SOCKPOL_OP_SET, 0, "out ipsec esp/transport//use",
	    M_REQPROTO, 0, -EINVAL, SOCKPOL_R_REQ },
	{ "request len", SOCKPOL_OP_SET, 0, "out ipsec esp/transport//use",
	    M_REQLEN, 0, -EINVAL, SOCKPOL_R_REQ },
	{ "seven requests", SOCKPOL_OP_SET, 0,
	    "out ipsec esp/transport//use esp/transport//use "
	    "esp/transport//use esp/transport//use esp/transport//use "
	    "esp/transport//use esp/transport//use", M_NONE, 0, -ELOOP,
	    SOCKPOL_R_POL_TOO_MANY },
};

static void
h16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);	/* PF_KEY: host order */
}

static size_t
mutate(uint8_t *b, size_t len, enum mut m, size_t arg)
{
	size_t pol = 16 + SOCKPOL_SEL_BYTES;

	switch (m) {
	case M_NONE: return len;
	case M_LEN: return arg;
	case M_VERSION: b[0] = 2; return len;
	case M_OP0: b[1] = 0; return len;
	case M_OP9: b[1] = 9; return len;
	case M_FLAGS: b[3] = 1; return len;
	case M_DIR: b[2] = 2; return len;
	case M_FAMILY: b[17] = 1; return len;
	case M_RES: b[19] = 1; return len;
	case M_V6MAPPED: b[17] = AF_INET6; b[19] = 1; return len;
	case M_FLAG2: b[17] = AF_INET6; b[19] = 2; return len;
	case M_V4TAIL: b[16 + 8 + 4] = 1; return len;
	case M_SEL_CUT: return len - 1;
	case M_TRAIL: b[len] = 0; return len + 8;
	case M_POLSHORT: return pol + 8;
	case M_EXTTYPE: h16(b + pol + 2, 1); return len;
	case M_POLLEN: h16(b + pol, 3); return len;
	case M_TYPE: h16(b + pol + 4, 5); return len;
	case M_POLDIR: b[pol + 6] = 0; return len;
	case M_TYPE_NONE_REQS: h16(b + pol + 4, 1); return len;
	case M_REQPROTO: h16(b + pol + 16 + 2, 6); return len;
	case M_REQLEN: h16(b + pol + 16, 8); return len;
	}
	return len;
}

static void
test_parse(void **state)
{
	uint8_t buf[SOCKPOL_REQ_MAX + 16];
	struct sockpol_req rq;
	enum sockpol_reject why;
	size_t i, len;
	int e;

	(void)state;
	for (i = 0; i < nitems(prows); i++) {
		const struct prow *r = &prows[i];

		len = mkreq(buf, r->op, r->dir, r->text);
		len = mutate(buf, len, r->mut, r->arg);
		e = sockpol_req_parse(buf, len, &rq, &why);
		if (e != r->error || why != r->why)
			fail_msg("%s: got %d/%s, want %d/%s", r->name, e,
			    sockpol_reject_name(why), r->error,
			    sockpol_reject_name(r->why));
		if (e == 0) {
			assert_int_equal(rq.op, r->op);
			assert_int_equal(rq.seq, 9);
			assert_int_equal(rq.sock, 77);
		}
	}
	/* Every reason has a name (counters). */
	for (i = 0; i < SOCKPOL_R_COUNT; i++)
		assert_string_not_equal(
		    sockpol_reject_name((enum sockpol_reject)i), "?");
}

static void
test_parse_contents(void **state)
{
	struct sockpol_pol p;

	(void)state;
	p = pol("in prio 5 ipsec esp/tunnel/10.0.0.1-10.0.0.2/unique:7 "
	    "ah/transport//require");
	assert_int_equal(p.type, SOCKPOL_T_IPSEC);
	assert_int_equal(p.dir, IN);
	assert_int_equal(p.priority, 0x80000000u - 5);
	assert_int_equal(p.nreqs, 2);
	assert_int_equal(p.req[0].proto, IPPROTO_ESP);
	assert_int_equal(p.req[0].mode, PARAPET_IPSEC_MODE_TUNNEL);
	assert_int_equal(p.req[0].level, PARAPET_IPSEC_LEVEL_UNIQUE);
	assert_int_equal(p.req[0].reqid, 7);
	assert_int_equal(p.req[0].family, AF_INET);
	assert_int_equal(p.req[0].tsrc[3], 1);
	assert_int_equal(p.req[0].tdst[3], 2);
	assert_int_equal(p.req[1].proto, IPPROTO_AH);
	assert_int_equal(p.req[1].family, 0);
	p = pol("out entrust");
	assert_int_equal(p.type, SOCKPOL_T_ENTRUST);
	assert_int_equal(p.nreqs, 0);
}

/* ---- privilege ---- */

static void
test_priv(void **state)
{
	static const struct {
		const char	*text;
		uint32_t	 uid;
		int		 error;
	} rows[] = {
		{ "out bypass", 0, 0 },
		{ "out bypass", 1000, -EACCES },
		{ "in bypass", 1, -EACCES },
		{ "out entrust", 1000, 0 },
		{ "out none", 1000, 0 },
		{ "out discard", 1000, 0 },
		{ "out ipsec esp/transport//require", 1000, 0 },
	};
	struct sockpol_pol p;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		p = pol(rows[i].text);
		assert_int_equal(sockpol_priv_check(&p, rows[i].uid),
		    rows[i].error);
	}
}

/* ---- the registry ---- */

static void
test_registry(void **state)
{
	struct sockpol_db *db;
	struct sockpol_sel s = sel("0.0.0.0", 0, "0.0.0.0", 0, 17);
	struct sockpol_pol po = pol("out discard"), pi = pol("in none");
	const struct sockpol_ent *e;
	uint32_t id1, id2, id3;
	uint64_t g;

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 100, 1000, 7, &s, &po, &id1), 0);
	assert_int_equal(id1 & 7, 3 + OUT - 1);
	assert_int_equal(sockpol_set(db, 1, 100, 1000, 7, &s, &pi, &id2), 0);
	assert_int_equal(id2 & 7, 3 + IN - 1);
	assert_int_not_equal(id1, id2);
	assert_int_equal(sockpol_count(db), 2);
	/* Replace: same id, new policy. */
	po = pol("out ipsec esp/transport//require");
	g = sockpol_generation(db);
	assert_int_equal(sockpol_set(db, 1, 100, 1000, 7, &s, &po, &id3), 0);
	assert_int_equal(id3, id1);
	assert_true(sockpol_generation(db) > g);
	assert_int_equal(sockpol_count(db), 2);
	e = sockpol_get(db, 1, 7, OUT);
	assert_non_null(e);
	assert_int_equal(e->pol.type, SOCKPOL_T_IPSEC);
	assert_int_equal(e->pid, 100);
	assert_int_equal(e->uid, 1000);
	/* The same socket number on another connection is another socket. */
	assert_int_equal(sockpol_set(db, 2, 200, 0, 7, &s, &po, NULL), 0);
	assert_int_equal(sockpol_count(db), 3);
	/* Remove one direction, then the socket. */
	assert_int_equal(sockpol_del(db, 1, 7, IN), 1);
	assert_null(sockpol_get(db, 1, 7, IN));
	assert_int_equal(sockpol_del(db, 1, 7, IN), 0);
	assert_int_equal(sockpol_del(db, 1, 7, 0), 1);
	assert_int_equal(sockpol_count(db), 1);
	/* A closed connection takes its registrations. */
	assert_int_equal(sockpol_set(db, 2, 200, 0, 8, &s, &pi, NULL), 0);
	assert_int_equal(sockpol_drop_conn(db, 2), 2);
	assert_int_equal(sockpol_count(db), 0);
	assert_int_equal(sockpol_drop_conn(db, 2), 0);
	/* Bind of an unknown socket. */
	assert_int_equal(sockpol_bind(db, 1, 99, &s), -ENOENT);
	/* Invalid entries. */
	pi.dir = SPD_DIR_FWD;
	assert_int_equal(sockpol_set(db, 1, 1, 0, 1, &s, &pi, NULL), -EINVAL);
	s.family = AF_UNIX;
	po.dir = OUT;
	assert_int_equal(sockpol_set(db, 1, 1, 0, 1, &s, &po, NULL), -EINVAL);
	sockpol_destroy(db);
}

static void
test_limits(void **state)
{
	struct sockpol_limits lim = { .max_total = 5, .max_per_conn = 3 };
	struct sockpol_db *db;
	struct sockpol_sel s = sel("0.0.0.0", 0, "0.0.0.0", 0, 17);
	struct sockpol_pol p = pol("out none");
	uint64_t i;

	(void)state;
	assert_int_equal(sockpol_create(&db, &lim), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(sockpol_set(db, 1, 1, 0, i, &s, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 1, 0, 3, &s, &p, NULL), -ENOBUFS);
	/* Replacing stays possible at the limit. */
	assert_int_equal(sockpol_set(db, 1, 1, 0, 2, &s, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 2, 1, 0, 0, &s, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 2, 1, 0, 1, &s, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 3, 1, 0, 0, &s, &p, NULL), -ENOSPC);
	/* 40 registrations on a fresh db grow the array. */
	sockpol_destroy(db);
	assert_int_equal(sockpol_create(&db, NULL), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(sockpol_set(db, i % 3, 1, 0, i, &s, &p, NULL),
		    0);
	assert_int_equal(sockpol_count(db), 40);
	assert_int_equal(sockpol_drop_conn(db, 1), 13);
	assert_int_equal(sockpol_count(db), 27);
	for (i = 0; i < sockpol_count(db); i++)
		assert_int_not_equal(sockpol_at(db, i)->conn, 1);
	assert_null(sockpol_at(db, sockpol_count(db)));
	sockpol_destroy(db);
}

/* ---- selectors ---- */

/* Rows in reading order, padding and all. */
/* NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding) */
static const struct mrow {
	const char	*name;
	const char	*laddr;
	uint16_t	 lport;
	const char	*raddr;
	uint16_t	 rport;
	uint8_t		 proto;
	uint8_t		 dir;
	const char	*src;
	uint16_t	 sport;
	const char	*dst;
	uint16_t	 dport;
	uint8_t		 pproto;
	bool		 match;
} mrows[] = {
	{ "unbound: any udp out", "0.0.0.0", 0, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.1", 1000, "10.0.0.2", 53, 17, true },
	{ "unbound: not tcp", "0.0.0.0", 0, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.1", 1000, "10.0.0.2", 53, 6, false },
	{ "any proto", "0.0.0.0", 0, "0.0.0.0", 0, 255, OUT,
	    "10.0.0.1", 1000, "10.0.0.2", 53, 6, true },
	{ "bound port out", "0.0.0.0", 4000, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.1", 4000, "10.0.0.2", 53, 17, true },
	{ "bound port out, other", "0.0.0.0", 4000, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.1", 4001, "10.0.0.2", 53, 17, false },
	{ "bound port in", "0.0.0.0", 4000, "0.0.0.0", 0, 17, IN,
	    "10.0.0.2", 53, "10.0.0.1", 4000, 17, true },
	{ "bound port in, reversed", "0.0.0.0", 4000, "0.0.0.0", 0, 17, IN,
	    "10.0.0.1", 4000, "10.0.0.2", 53, 17, false },
	{ "bound addr", "10.0.0.1", 4000, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.1", 4000, "10.0.0.2", 53, 17, true },
	{ "bound addr, other", "10.0.0.1", 4000, "0.0.0.0", 0, 17, OUT,
	    "10.0.0.9", 4000, "10.0.0.2", 53, 17, false },
	{ "connected", "10.0.0.1", 4000, "10.0.0.2", 53, 17, OUT,
	    "10.0.0.1", 4000, "10.0.0.2", 53, 17, true },
	{ "connected, other peer", "10.0.0.1", 4000, "10.0.0.2", 53, 17,
	    OUT, "10.0.0.1", 4000, "10.0.0.3", 53, 17, false },
	{ "connected, other port", "10.0.0.1", 4000, "10.0.0.2", 53, 17,
	    OUT, "10.0.0.1", 4000, "10.0.0.2", 54, 17, false },
	{ "connected in", "10.0.0.1", 4000, "10.0.0.2", 53, 17, IN,
	    "10.0.0.2", 53, "10.0.0.1", 4000, 17, true },
	{ "v6", "2001:db8::1", 4000, "::", 0, 17, OUT,
	    "2001:db8::1", 4000, "2001:db8::2", 53, 17, true },
	{ "v6 vs v4 packet", "::", 0, "::", 0, 17, OUT,
	    "10.0.0.1", 4000, "10.0.0.2", 53, 17, false },
};

static void
test_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(mrows); i++) {
		const struct mrow *r = &mrows[i];
		struct sockpol_sel s = sel(r->laddr, r->lport, r->raddr,
		    r->rport, r->proto);
		struct spd_pkt p = pkt(r->src, r->sport, r->dst, r->dport,
		    r->pproto);

		if (sockpol_sel_match(&s, r->dir, &p) != r->match)
			fail_msg("%s: got %d", r->name, !r->match);
	}
}

/* A dual-stack IPv6 socket (IPV6_V6ONLY off) and IPv4 packets. */
static void
test_mapped(void **state)
{
	static const struct {
		const char	*laddr, *raddr;
		const char	*src, *dst;
		uint8_t		 flags;
		bool		 match;
	} rows[] = {
		{ "::", "::", "10.0.0.1", "10.0.0.2", 1, true },
		{ "::", "::", "10.0.0.1", "10.0.0.2", 0, false },
		{ "::ffff:10.0.0.1", "::", "10.0.0.1", "10.0.0.2", 1, true },
		{ "::ffff:10.0.0.1", "::", "10.0.0.9", "10.0.0.2", 1, false },
		{ "::", "::ffff:10.0.0.2", "10.0.0.1", "10.0.0.2", 1, true },
		{ "::", "::ffff:10.0.0.3", "10.0.0.1", "10.0.0.2", 1, false },
		{ "2001:db8::1", "::", "10.0.0.1", "10.0.0.2", 1, false },
		{ "::", "::", "2001:db8::1", "2001:db8::2", 1, true },
	};
	struct sockpol_db *db;
	struct sockpol_sel s;
	struct sockpol_pol p = pol("out discard");
	struct spd_pkt k;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		s = sel(rows[i].laddr, 4000, rows[i].raddr, 0, 17);
		s.flags = rows[i].flags;
		k = pkt(rows[i].src, 4000, rows[i].dst, 53, 17);
		if (sockpol_sel_match(&s, OUT, &k) != rows[i].match)
			fail_msg("row %zu: got %d", i, !rows[i].match);
	}
	/* In the registry; and the flag is refused on IPv4. */
	assert_int_equal(sockpol_create(&db, NULL), 0);
	s = sel("::", 4000, "::", 0, 17);
	s.flags = SOCKPOL_SEL_V4MAPPED;
	assert_int_equal(sockpol_set(db, 1, 1, 0, 1, &s, &p, NULL), 0);
	k = pkt("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	assert_non_null(sockpol_lookup(db, OUT, &k));
	s = sel("0.0.0.0", 4000, "0.0.0.0", 0, 17);
	s.flags = SOCKPOL_SEL_V4MAPPED;
	assert_int_equal(sockpol_set(db, 1, 1, 0, 2, &s, &p, NULL), -EINVAL);
	assert_int_equal(sockpol_bind(db, 1, 1, &s), -EINVAL);
	sockpol_destroy(db);
}

/* bind() then connect(): the registration follows the socket. */
static void
test_binding_update(void **state)
{
	struct sockpol_db *db;
	struct sockpol_sel s = sel("0.0.0.0", 0, "0.0.0.0", 0, 17);
	struct sockpol_pol p = pol("out discard");
	struct spd_pkt a = pkt("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	struct spd_pkt b = pkt("10.0.0.1", 5000, "10.0.0.2", 53, 17);
	struct spd_pkt c = pkt("10.0.0.1", 4000, "10.0.0.3", 53, 17);

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 1, 0, 5, &s, &p, NULL), 0);
	assert_non_null(sockpol_lookup(db, OUT, &a));
	assert_non_null(sockpol_lookup(db, OUT, &b));
	assert_null(sockpol_lookup(db, IN, &a));	/* no in policy */
	s = sel("0.0.0.0", 4000, "0.0.0.0", 0, 17);	/* bind */
	assert_int_equal(sockpol_bind(db, 1, 5, &s), 0);
	assert_non_null(sockpol_lookup(db, OUT, &a));
	assert_null(sockpol_lookup(db, OUT, &b));
	assert_non_null(sockpol_lookup(db, OUT, &c));
	s = sel("10.0.0.1", 4000, "10.0.0.2", 53, 17);	/* connect */
	assert_int_equal(sockpol_bind(db, 1, 5, &s), 0);
	assert_non_null(sockpol_lookup(db, OUT, &a));
	assert_null(sockpol_lookup(db, OUT, &c));
	/* An in policy set now takes the socket's selector too. */
	p = pol("in discard");
	assert_int_equal(sockpol_set(db, 1, 1, 0, 5, &s, &p, NULL), 0);
	b = pkt("10.0.0.2", 53, "10.0.0.1", 4000, 17);
	assert_non_null(sockpol_lookup(db, IN, &b));
	sockpol_destroy(db);
}

/* Of two sockets covering a packet, the more specific one wins; ties go
 * to the later set. */
static void
test_specific(void **state)
{
	struct sockpol_db *db;
	struct sockpol_sel wild = sel("0.0.0.0", 0, "0.0.0.0", 0, 17);
	struct sockpol_sel bound = sel("0.0.0.0", 4000, "0.0.0.0", 0, 17);
	struct sockpol_sel conn = sel("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	struct sockpol_pol p = pol("out none");
	struct spd_pkt a = pkt("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	const struct sockpol_ent *e;

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 1, 0, 1, &conn, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 1, 0, 2, &bound, &p, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 1, 0, 3, &wild, &p, NULL), 0);
	e = sockpol_lookup(db, OUT, &a);
	assert_non_null(e);
	assert_int_equal(e->sock, 1);
	assert_int_equal(sockpol_del(db, 1, 1, 0), 1);
	assert_int_equal(sockpol_lookup(db, OUT, &a)->sock, 2);
	assert_int_equal(sockpol_del(db, 1, 2, 0), 1);
	assert_int_equal(sockpol_lookup(db, OUT, &a)->sock, 3);
	assert_int_equal(sockpol_set(db, 2, 1, 0, 9, &wild, &p, NULL), 0);
	assert_int_equal(sockpol_lookup(db, OUT, &a)->sock, 9);
	sockpol_destroy(db);
}

/* ---- per-socket over SPD over def_policy, through decide() ---- */

static struct pkt_info
pinfo(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.family = AF_INET;
	addr(src, pi.src);
	addr(dst, pi.dst);
	pi.proto = IPPROTO_UDP;
	pi.kind = PKT_K_UDP;
	pi.sport = sport;
	pi.dport = dport;
	pi.ttl = 64;
	pi.len = 100;
	return pi;
}

static void
spd_add_udp(struct spd *spd, uint16_t sport, uint8_t action)
{
	struct spd_entry e;
	uint32_t id;

	memset(&e, 0, sizeof(e));
	e.sel.family = AF_INET;
	e.sel.proto = IPPROTO_UDP;
	e.sel.sport = sport;
	e.dir = OUT;
	e.action = action;
	e.priority = SPD_PRIORITY_DEFAULT;
	if (action == SPD_ACTION_IPSEC) {
		e.nreqs = 1;
		e.req[0].proto = IPPROTO_ESP;
		e.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
		e.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	}
	assert_int_equal(spd_add(spd, &e, 0, &id), 0);
}

static const struct drow {
	const char	*name;
	uint16_t	 sport;		/* the packet's */
	uint8_t		 def_policy;
	uint8_t		 verdict;
	uint8_t		 why;
} drows[] = {
	/* Port 1000: socket discard over SPD none. */
	{ "socket discard over SPD none", 1000, 1, DECIDE_V_DISCARD,
	    DECIDE_W_SOCKET },
	/* Port 1001: socket bypass over SPD ipsec require. */
	{ "socket bypass over SPD ipsec", 1001, 1, DECIDE_V_BYPASS,
	    DECIDE_W_SOCKET },
	/* Port 1002: socket ipsec over SPD none. */
	{ "socket ipsec over SPD none", 1002, 1, DECIDE_V_PROTECT,
	    DECIDE_W_SOCKET },
	/* Port 1003: socket entrust: the SPD's discard. */
	{ "entrust: the SPD", 1003, 1, DECIDE_V_DISCARD, DECIDE_W_POLICY },
	/* Port 1004: socket none over def_policy discard. */
	{ "socket none over def_policy", 1004, 0, DECIDE_V_BYPASS,
	    DECIDE_W_SOCKET },
	/* Port 1005: no socket policy: the SPD's ipsec. */
	{ "SPD without a socket", 1005, 0, DECIDE_V_PROTECT,
	    DECIDE_W_POLICY },
	/* Port 1006: entrust, no SPD policy: def_policy. */
	{ "entrust, def_policy discard", 1006, 0, DECIDE_V_DISCARD,
	    DECIDE_W_DEF_POLICY },
	{ "entrust, def_policy none", 1006, 1, DECIDE_V_BYPASS,
	    DECIDE_W_DEF_POLICY },
	/* Port 1007: nothing at all. */
	{ "def_policy discard", 1007, 0, DECIDE_V_DISCARD,
	    DECIDE_W_DEF_POLICY },
	{ "def_policy none", 1007, 1, DECIDE_V_BYPASS, DECIDE_W_DEF_POLICY },
};

static void
test_precedence(void **state)
{
	static const struct {
		uint16_t	 port;
		const char	*text;
	} socks[] = {
		{ 1000, "out discard" },
		{ 1001, "out bypass" },
		{ 1002, "out ipsec ah/transport//require" },
		{ 1003, "out entrust" },
		{ 1004, "out none" },
		{ 1006, "out entrust" },
	};
	struct netd_sockpol ns;
	struct decide_ctx c;
	struct decide_result r;
	struct pkt_info pi;
	struct sockpol_sel s;
	struct sockpol_pol p;
	struct spd *spd;
	size_t i;

	(void)state;
	assert_int_equal(netd_sockpol_init(&ns), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(spd_create(&spd, 1), 0);
	spd_add_udp(spd, 1000, SPD_ACTION_NONE);
	spd_add_udp(spd, 1001, SPD_ACTION_IPSEC);
	spd_add_udp(spd, 1002, SPD_ACTION_NONE);
	spd_add_udp(spd, 1003, SPD_ACTION_DISCARD);
	spd_add_udp(spd, 1005, SPD_ACTION_IPSEC);
	c.spd = spd;
	for (i = 0; i < nitems(socks); i++) {
		s = sel("0.0.0.0", socks[i].port, "0.0.0.0", 0, 17);
		p = pol(socks[i].text);
		assert_int_equal(sockpol_set(ns.m.db, 1, 1, 0, i, &s, &p, NULL),
		    0);
	}
	decide_params_default(&c.params);
	c.policyd_known = true;
	c.ipsecd_up = true;
	c.sock = netd_sockpol_decide;
	c.arg = &ns;
	for (i = 0; i < nitems(drows); i++) {
		const struct drow *d = &drows[i];

		c.params.def_policy[0] = d->def_policy;
		pi = pinfo("10.0.0.1", d->sport, "10.0.0.2", 53);
		decide(&c, &pi, DECIDE_FROM_HOST, &r);
		if (r.verdict != d->verdict || r.why != d->why)
			fail_msg("%s: got %s/%s, want %s/%s", d->name,
			    decide_verdict_name(r.verdict),
			    decide_why_name(r.why),
			    decide_verdict_name(d->verdict),
			    decide_why_name(d->why));
		if (d->why == DECIDE_W_SOCKET)
			assert_int_equal(r.policy_id & 7, 3 + OUT - 1);
	}
	/* The socket's ipsec requests are the ones protecting. */
	pi = pinfo("10.0.0.1", 1002, "10.0.0.2", 53);
	decide(&c, &pi, DECIDE_FROM_HOST, &r);
	assert_int_equal(r.nreqs, 1);
	assert_true(ns.hits > 0 && ns.misses > 0);
	/* The socket goes: the SPD decides again. */
	assert_int_equal(sockpol_drop_conn(ns.m.db, 1), nitems(socks));
	pi = pinfo("10.0.0.1", 1000, "10.0.0.2", 53);
	decide(&c, &pi, DECIDE_FROM_HOST, &r);
	assert_int_equal(r.verdict, DECIDE_V_BYPASS);
	assert_int_equal(r.why, DECIDE_W_POLICY);
	spd_destroy(spd);
	netd_sockpol_fini(&ns);
}

/* ---- DUMP ---- */

static void
test_dump(void **state)
{
	struct sockpol_db *db;
	struct sockpol_sel s = sel("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	struct sockpol_pol p = pol("out ipsec esp/transport//require");
	uint8_t buf[4 * SOCKPOL_DUMP_ENT_BYTES];
	uint32_t id;

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	assert_int_equal(sockpol_set(db, 1, 321, 1000, 0x0102030405060708ull,
	    &s, &p, &id), 0);
	assert_int_equal(sockpol_set(db, 2, 322, 0, 1, &s, &p, NULL), 0);
	assert_int_equal(sockpol_dump(db, 0, buf, sizeof(buf)), 2);
	assert_int_equal(sockpol_dump(db, 1000, buf, sizeof(buf)), 1);
	assert_int_equal(sockpol_dump(db, 7, buf, sizeof(buf)), 0);
	assert_int_equal(sockpol_dump(db, 0, buf, SOCKPOL_DUMP_ENT_BYTES + 3),
	    1);
	assert_int_equal(sockpol_dump(db, 1000, buf, sizeof(buf)), 1);
	assert_int_equal(buf[3], 321 & 0xff);
	assert_int_equal(buf[7], 1000 & 0xff);
	assert_int_equal(buf[8], 1);
	assert_int_equal(buf[15], 8);
	assert_int_equal(buf[16], OUT);
	assert_int_equal(buf[17], SOCKPOL_T_IPSEC);
	assert_int_equal(buf[18], 1);
	assert_int_equal(buf[21], AF_INET);
	assert_int_equal(buf[22], 17);
	assert_int_equal(buf[24] << 8 | buf[25], 4000);
	assert_int_equal(buf[26] << 8 | buf[27], 53);
	assert_int_equal(buf[28], 10);
	assert_int_equal(buf[47], 2);
	assert_int_equal((uint32_t)buf[60] << 24 | (uint32_t)buf[61] << 16 |
	    (uint32_t)buf[62] << 8 | buf[63], id);
	sockpol_destroy(db);
}

static void
test_reply_hdr(void **state)
{
	uint8_t b[SOCKPOL_REPLY_BYTES];

	(void)state;
	sockpol_reply_hdr(b, SOCKPOL_OP_SET, 0x01020304, EACCES, 5);
	assert_int_equal(b[0], SOCKPOL_VERSION);
	assert_int_equal(b[1], SOCKPOL_OP_SET);
	assert_int_equal(b[4], 1);
	assert_int_equal(b[7], 4);
	assert_int_equal(b[11], EACCES);
	assert_int_equal(b[15], 5);
}

/* ---- the bus ---- */

static bool
sel_eq(const struct sockpol_sel *a, const struct sockpol_sel *b)
{
	return a->family == b->family && a->proto == b->proto &&
	    a->lport == b->lport && a->rport == b->rport &&
	    memcmp(a->laddr, b->laddr, 16) == 0 &&
	    memcmp(a->raddr, b->raddr, 16) == 0;
}

static bool
req_eq(const struct spd_req *a, const struct spd_req *b)
{
	return a->proto == b->proto && a->mode == b->mode &&
	    a->level == b->level && a->reqid == b->reqid &&
	    a->family == b->family && memcmp(a->tsrc, b->tsrc, 16) == 0 &&
	    memcmp(a->tdst, b->tdst, 16) == 0;
}

static bool
ent_eq(const struct sockpol_ent *a, const struct sockpol_ent *b)
{
	size_t i;

	if (a->id != b->id || a->pid != b->pid || a->uid != b->uid ||
	    a->seq != b->seq || !sel_eq(&a->sel, &b->sel) ||
	    a->pol.dir != b->pol.dir || a->pol.type != b->pol.type ||
	    a->pol.nreqs != b->pol.nreqs)
		return false;
	for (i = 0; i < a->pol.nreqs; i++)
		if (!req_eq(&a->pol.req[i], &b->pol.req[i]))
			return false;
	return true;
}

/* Through protobuf and the validator of SockpolChangeEvent. */
static void
bus_roundtrip(const struct sockpol_ent *e, struct sockpol_ent *back)
{
	const struct bus_msgtype *t = bus_msgtype_get(MT(SOCKPOL_CHANGE_EVENT));
	Parapet__SockpolChangeEvent ev, *un;
	struct sockpol_pmsg pm;
	uint8_t buf[4096];
	size_t n;

	assert_non_null(t);
	parapet__sockpol_change_event__init(&ev);
	ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET;
	sockpol_msg_fill(&pm, e);
	ev.policy = &pm.p;
	n = parapet__sockpol_change_event__pack(&ev, buf);
	un = parapet__sockpol_change_event__unpack(NULL, n, buf);
	assert_non_null(un);
	assert_int_equal(t->valid(&un->base), 0);
	assert_int_equal(sockpol_msg_ent(un->policy, back), 0);
	parapet__sockpol_change_event__free_unpacked(un, NULL);
}

static void
test_msg(void **state)
{
	static const char *texts[] = {
		"out ipsec esp/transport//require",
		"in ipsec ah/tunnel/1.1.1.1-1.1.1.2/unique:7 esp/transport/",
		"out ipsec esp/tunnel/2001:db8::1-2001:db8::2/require",
		"in bypass", "out entrust", "in none", "out discard",
	};
	struct sockpol_db *db;
	struct sockpol_sel s4 = sel("10.0.0.1", 4000, "10.0.0.2", 53, 17);
	struct sockpol_sel s6 = sel("2001:db8::1", 0, "::", 0, 255);
	struct sockpol_ent back, bad;
	Parapet__SockPolicy sp;
	struct sockpol_pmsg pm;
	struct sockpol_pol p;
	size_t i;

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	for (i = 0; i < nitems(texts); i++) {
		p = pol(texts[i]);
		assert_int_equal(sockpol_set(db, 1, 7, 8, i, i % 2 ? &s6 : &s4,
		    &p, NULL), 0);
		bus_roundtrip(sockpol_get(db, 1, i, p.dir), &back);
		if (!ent_eq(sockpol_get(db, 1, i, p.dir), &back))
			fail_msg("%s: differs after the bus", texts[i]);
	}
	/* What is not a registration. */
	sockpol_msg_fill(&pm, sockpol_at(db, 0));
	sp = pm.p;
	sp.dir = 3;
	assert_int_equal(sockpol_msg_ent(&sp, &bad), -EINVAL);
	sp = pm.p;
	sp.type = 5;
	assert_int_equal(sockpol_msg_ent(&sp, &bad), -EINVAL);
	sp = pm.p;
	sp.laddr.len = 3;
	assert_int_equal(sockpol_msg_ent(&sp, &bad), -EINVAL);
	sp = pm.p;
	sp.n_reqs = 0;		/* ipsec without requests */
	assert_int_equal(sockpol_msg_ent(&sp, &bad), -EINVAL);
	sockpol_destroy(db);
}

/* bus_msg.c's validator of SockpolChangeEvent: one row per refusal. */
static void
test_validators(void **state)
{
	static const uint8_t a4[16] = { 10, 0, 0, 1 };
	static const struct {
		const char	*name;
		int		 op;		/* SockpolOp */
		uint32_t	 id, dir, type, family, lport;
		size_t		 alen, nreqs;
		bool		 with_policy;
		int		 want;
		uint32_t	 flags;
	} rows[] = {
		{ "set ok", 1, 12, 2, 1, 2, 0, 4, 0, true, 0, 0 },
		{ "set ipsec ok", 1, 12, 2, 2, 2, 0, 4, 1, true, 0, 0 },
		{ "in ok", 1, 11, 1, 4, 2, 0, 4, 0, true, 0, 0 },
		{ "delete ok", 2, 12, 0, 0, 0, 0, 0, 0, false, 0, 0 },
		{ "op none", 0, 12, 2, 1, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "set without policy",
		    1, 12, 0, 0, 0, 0, 0, 0, false, -EINVAL, 0 },
		{ "delete with policy",
		    2, 12, 2, 1, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "delete id 0", 2, 0, 0, 0, 0, 0, 0, 0, false, -EINVAL, 0 },
		{ "id scheme", 1, 13, 2, 1, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "spd id", 1, 9, 2, 1, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "dir fwd", 1, 13, 3, 1, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "type 5", 1, 12, 2, 5, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "ipsec no requests",
		    1, 12, 2, 2, 2, 0, 4, 0, true, -EINVAL, 0 },
		{ "none with request",
		    1, 12, 2, 1, 2, 0, 4, 1, true, -EINVAL, 0 },
		{ "family", 1, 12, 2, 1, 1, 0, 4, 0, true, -EINVAL, 0 },
		{ "address length",
		    1, 12, 2, 1, 10, 0, 4, 0, true, -EINVAL, 0 },
		{ "port", 1, 12, 2, 1, 2, 65536, 4, 0, true, -EINVAL, 0 },
		{ "flags on v4", 1, 12, 2, 1, 2, 0, 4, 0, true, -EINVAL, 1 },
		{ "flags 2", 1, 12, 2, 1, 10, 0, 16, 0, true, -EINVAL, 2 },
		{ "flags on v6", 1, 12, 2, 1, 10, 0, 16, 0, true, 0, 1 },
	};
	const struct bus_msgtype *t = bus_msgtype_get(MT(SOCKPOL_CHANGE_EVENT));
	Parapet__SpdIpsecRequest rq, *rqp[1] = { &rq };
	Parapet__SockpolChangeEvent ev;
	Parapet__SockPolicy sp;
	size_t i;
	int got;

	(void)state;
	assert_non_null(t);
	parapet__spd_ipsec_request__init(&rq);
	rq.proto = IPPROTO_ESP;
	rq.mode = 1;
	rq.level = 2;
	for (i = 0; i < nitems(rows); i++) {
		parapet__sock_policy__init(&sp);
		sp.id = rows[i].id;
		sp.dir = rows[i].dir;
		sp.type = rows[i].type;
		sp.family = rows[i].family;
		sp.proto = 17;
		sp.lport = rows[i].lport;
		sp.flags = rows[i].flags;
		sp.laddr.data = deconst_bytes(a4);
		sp.laddr.len = rows[i].alen;
		sp.raddr = sp.laddr;
		sp.n_reqs = rows[i].nreqs;
		sp.reqs = rqp;
		parapet__sockpol_change_event__init(&ev);
		ev.op = (Parapet__SockpolOp)rows[i].op;
		ev.id = rows[i].id;
		ev.policy = rows[i].with_policy ? &sp : NULL;
		if ((got = t->valid(&ev.base)) != rows[i].want)
			fail_msg("%s: got %d, want %d", rows[i].name, got,
			    rows[i].want);
	}
}

/* policyd's side: every change becomes an event, applied at once. */
struct feed {
	struct sockpol_mirror	*m;
	uint64_t		 epoch, gen;
	bool			 drop_next;
	bool			 stale;		/* dropped, not yet seen */
	int			 last;
};

static void
feed_change(void *arg, enum sockpol_change c, const struct sockpol_ent *e)
{
	struct feed *f = arg;
	Parapet__SockpolChangeEvent ev;
	struct sockpol_pmsg pm;

	parapet__sockpol_change_event__init(&ev);
	ev.epoch = f->epoch;
	ev.prev_gen = f->gen;
	ev.gen = ++f->gen;
	if (c == SOCKPOL_CHANGE_SET) {
		ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET;
		sockpol_msg_fill(&pm, e);
		ev.policy = &pm.p;
	} else {
		ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_DELETE;
		ev.id = e->id;
	}
	if (f->drop_next) {
		f->drop_next = false;
		f->stale = true;
		return;
	}
	f->last = sockpol_mirror_apply(f->m, &ev);
	assert_true(f->last == 0 || f->last == -ESTALE);
}

static void
snapshot_of(const struct sockpol_db *db, uint64_t epoch, uint64_t gen,
    struct sockpol_mirror *m)
{
	Parapet__SockpolSnapshotReply rep;
	Parapet__SockPolicy *pp[64];
	static struct sockpol_pmsg pm[64];
	size_t i, n = sockpol_count(db);

	assert_true(n <= 64);
	parapet__sockpol_snapshot_reply__init(&rep);
	for (i = 0; i < n; i++) {
		sockpol_msg_fill(&pm[i], sockpol_at(db, i));
		pp[i] = &pm[i].p;
	}
	rep.epoch = epoch;
	rep.gen = gen;
	rep.n_policies = n;
	rep.policies = pp;
	assert_int_equal(bus_msgtype_get(MT(SOCKPOL_SNAPSHOT_REPLY))->valid(
	    &rep.base), 0);
	assert_int_equal(sockpol_mirror_snapshot(m, &rep), 0);
}

static void
mirror_check(const struct sockpol_db *db, const struct sockpol_mirror *m)
{
	const struct sockpol_ent *e, *r;
	size_t i;

	assert_int_equal(sockpol_count(db), sockpol_count(m->db));
	for (i = 0; (e = sockpol_at(db, i)) != NULL; i++) {
		r = sockpol_get_id(m->db, e->id);
		assert_non_null(r);
		if (!ent_eq(e, r))
			fail_msg("id %u differs in the mirror", e->id);
	}
}

static void
random_op(struct sockpol_db *db, uint64_t *rs)
{
	static const char *texts[] = {
		"out discard", "in none", "out ipsec esp/transport//require",
		"in ipsec ah/transport//use", "out entrust", "in bypass",
	};
	struct sockpol_sel s;
	struct sockpol_pol p;
	uint64_t conn = prng_below(rs, 3), sock = prng_below(rs, 6);
	char la[16], ra[16];

	snprintf(la, sizeof(la), "10.0.0.%u", (unsigned)prng_below(rs, 3));
	snprintf(ra, sizeof(ra), "10.0.1.%u", (unsigned)prng_below(rs, 3));
	s = sel(la, (uint16_t)prng_below(rs, 3), ra,
	    (uint16_t)prng_below(rs, 3), 17);
	switch (prng_below(rs, 4)) {
	case 0:
	case 1:
		p = pol(texts[prng_below(rs, nitems(texts))]);
		assert_int_equal(sockpol_set(db, conn, 1, 0, sock, &s, &p,
		    NULL), 0);
		break;
	case 2:
		if (sockpol_bind(db, conn, sock, &s) != 0)
			assert_null(sockpol_get(db, conn, sock, OUT));
		(void)sockpol_del(db, conn, sock,
		    (uint8_t)prng_below(rs, 3));
		break;
	default:
		if (prng_below(rs, 8) == 0)
			(void)sockpol_drop_conn(db, conn);
		break;
	}
}

static void
test_mirror(void **state)
{
	struct sockpol_mirror m;
	struct sockpol_db *db;
	struct feed f = { &m, 77, 0, false, false, 0 };
	uint64_t rs = prng_seed_env();
	struct spd_pkt pk;
	int i, gaps = 0;

	(void)state;
	assert_int_equal(sockpol_create(&db, NULL), 0);
	assert_int_equal(sockpol_mirror_init(&m), 0);
	/* Not synced: every event is a gap. */
	sockpol_set_notify(db, feed_change, &f);
	random_op(db, &rs);
	random_op(db, &rs);
	snapshot_of(db, f.epoch, f.gen, &m);
	mirror_check(db, &m);
	for (i = 0; i < 3000; i++) {
		if (prng_below(&rs, 200) == 0)
			f.drop_next = true;	/* a lost event */
		random_op(db, &rs);
		if (f.last == -ESTALE) {
			gaps++;
			snapshot_of(db, f.epoch, f.gen, &m);
			f.last = 0;
			f.stale = false;
		}
		/* A lost event shows at the next one: until then the
		 * mirror may be behind. */
		if (!f.stale && i % 50 == 49)
			mirror_check(db, &m);
	}
	snapshot_of(db, f.epoch, f.gen, &m);
	mirror_check(db, &m);
	/* An old event is ignored; another epoch is a gap. */
	{
		Parapet__SockpolChangeEvent ev;

		parapet__sockpol_change_event__init(&ev);
		ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_DELETE;
		ev.id = 12;
		ev.epoch = f.epoch;
		ev.gen = f.gen;
		ev.prev_gen = f.gen - 1;
		assert_int_equal(sockpol_mirror_apply(&m, &ev), 0);
		ev.epoch = f.epoch + 1;
		ev.gen = f.gen + 1;
		ev.prev_gen = f.gen;
		assert_int_equal(sockpol_mirror_apply(&m, &ev), -ESTALE);
	}
	/* The mirror answers lookups as the source does. */
	for (i = 0; i < 200; i++) {
		const struct sockpol_ent *a, *b;
		char sa[16], da[16];
		uint8_t dir = (uint8_t)(1 + prng_below(&rs, 2));

		snprintf(sa, sizeof(sa), "10.0.%u.%u",
		    (unsigned)prng_below(&rs, 2), (unsigned)prng_below(&rs, 3));
		snprintf(da, sizeof(da), "10.0.%u.%u",
		    (unsigned)prng_below(&rs, 2), (unsigned)prng_below(&rs, 3));
		pk = pkt(sa, (uint16_t)prng_below(&rs, 3), da,
		    (uint16_t)prng_below(&rs, 3), 17);
		a = sockpol_lookup(db, dir, &pk);
		b = sockpol_lookup(m.db, dir, &pk);
		assert_true((a == NULL) == (b == NULL));
		if (a != NULL && a->id != b->id)
			fail_msg("lookup %d: id %u vs %u", i, a->id, b->id);
	}
	print_message("mirror: %d gaps repaired\n", gaps);
	assert_true(gaps > 0);
	sockpol_mirror_fini(&m);
	sockpol_destroy(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_contents),
		cmocka_unit_test(test_priv),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_binding_update),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_specific),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_reply_hdr),
		cmocka_unit_test(test_msg),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_mirror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
