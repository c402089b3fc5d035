/*
 * test_decide.c - netd's per-packet decision (servers/netd/decide.c).
 *
 *  - a table of packets against a fixed SPD: every verdict and reason,
 *    def_policy, default levels, fail closed (policyd unknown, ipsecd
 *    away), gateway forwarding, per-socket policy, fragments;
 *  - decide_inner(): the transforms that protected a packet against the
 *    inbound policy;
 *  - the hold queue: bound, timeouts, release;
 *  - a property test against a naive model (linear scan with
 *    spd_sel_match, the rules written out again) on random policies and
 *    packets; PARAPET_SEED, printed.
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

#include "decide.h"
#include "ipsec_policy.h"
#include "pktgen.h"
#include "prng.h"

#define IN	SPD_DIR_IN
#define OUT	SPD_DIR_OUT
#define FWD	SPD_DIR_FWD
#define ESP	IPPROTO_ESP
#define AH	IPPROTO_AH
#define TRANS	PARAPET_IPSEC_MODE_TRANSPORT
#define TUN	PARAPET_IPSEC_MODE_TUNNEL
#define USE	PARAPET_IPSEC_LEVEL_USE
#define REQ	PARAPET_IPSEC_LEVEL_REQUIRE
#define DEF	PARAPET_IPSEC_LEVEL_DEFAULT

static struct spd_entry
ent(uint8_t dir, const char *src, uint8_t splen, const char *dst,
    uint8_t dplen, uint8_t proto, uint16_t dport, uint8_t action,
    uint8_t reqproto, uint8_t mode, uint8_t level)
{
	struct spd_entry e;

	memset(&e, 0, sizeof(e));
	e.sel.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	pg_addr(src, e.sel.src);
	pg_addr(dst, e.sel.dst);
	e.sel.src_plen = splen;
	e.sel.dst_plen = dplen;
	e.sel.proto = proto;
	e.sel.dport = dport;
	e.dir = dir;
	e.action = action;
	e.priority = SPD_PRIORITY_DEFAULT;
	if (action == SPD_ACTION_IPSEC) {
		e.nreqs = 1;
		e.req[0].proto = reqproto;
		e.req[0].mode = mode;
		e.req[0].level = level;
		if (mode == TUN) {
			e.req[0].family = e.sel.family;
			pg_addr("172.16.0.1", e.req[0].tsrc);
			pg_addr("172.16.0.2", e.req[0].tdst);
		}
	}
	return e;
}

static struct pkt_info
pk(const char *src, const char *dst, uint8_t proto, uint8_t kind,
    uint16_t sp, uint16_t dp)
{
	struct pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	pg_addr(src, pi.src);
	pg_addr(dst, pi.dst);
	pi.proto = proto;
	pi.kind = kind;
	pi.sport = sp;
	pi.dport = dp;
	pi.ttl = 64;
	pi.len = 100;
	return pi;
}

/* Per-socket hook: source port 500 bypass, 501 discard, 502 ipsec AH,
 * 503 entrust. */
static bool
sock_hook(void *arg, uint8_t dir, const struct spd_pkt *p,
    struct decide_sockpol *sp)
{
	(void)arg;
	(void)dir;
	memset(sp, 0, sizeof(*sp));
	sp->id = 4242;
	switch (p->sport) {
	case 500: sp->action = DECIDE_SP_BYPASS; return true;
	case 501: sp->action = DECIDE_SP_DISCARD; return true;
	case 502:
		sp->action = DECIDE_SP_IPSEC;
		sp->nreqs = 1;
		sp->req[0].proto = AH;
		sp->req[0].mode = TRANS;
		sp->req[0].level = REQ;
		return true;
	case 503: sp->action = DECIDE_SP_ENTRUST; return true;
	default: return false;
	}
}

/* 10.0.0.1 and 2001:db8::1 are ours. */
static bool
local_hook(void *arg, uint16_t family, const uint8_t *a)
{
	uint8_t x[16];

	(void)arg;
	pg_addr(family == AF_INET ? "10.0.0.1" : "2001:db8::1", x);
	return memcmp(a, x, family == AF_INET ? 4 : 16) == 0;
}

static struct spd *db;
static uint32_t id_protect, id_discard;

static int
setup(void **state)
{
	struct spd_entry e;

	(void)state;
	assert_int_equal(spd_create(&db, 1), 0);
	e = ent(OUT, "10.0.0.1", 32, "10.0.0.2", 32, 255, 0,
	    SPD_ACTION_IPSEC, ESP, TRANS, REQ);
	assert_int_equal(spd_add(db, &e, 0, &id_protect), 0);
	e = ent(OUT, "10.0.0.1", 32, "10.0.0.3", 32, 255, 0,
	    SPD_ACTION_DISCARD, 0, 0, 0);
	assert_int_equal(spd_add(db, &e, 0, &id_discard), 0);
	e = ent(OUT, "10.0.0.1", 32, "10.0.0.4", 32, 255, 0,
	    SPD_ACTION_NONE, 0, 0, 0);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(IN, "10.0.0.2", 32, "10.0.0.1", 32, 255, 0,
	    SPD_ACTION_IPSEC, ESP, TRANS, REQ);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(IN, "10.0.0.5", 32, "10.0.0.1", 32, 255, 0,
	    SPD_ACTION_IPSEC, ESP, TRANS, USE);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(IN, "10.0.0.6", 32, "10.0.0.1", 32, 255, 0,
	    SPD_ACTION_IPSEC, ESP, TRANS, DEF);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(FWD, "0.0.0.0", 0, "192.168.1.0", 24, 255, 0,
	    SPD_ACTION_IPSEC, ESP, TUN, REQ);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(OUT, "10.0.0.1", 32, "10.0.0.9", 32, IPPROTO_TCP, 22,
	    SPD_ACTION_DISCARD, 0, 0, 0);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	e = ent(IN, "2001:db8::2", 128, "2001:db8::1", 128, 255, 0,
	    SPD_ACTION_IPSEC, AH, TRANS, REQ);
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	spd_destroy(db);
	return 0;
}

enum { F_UNKNOWN = 1, F_AWAY = 2, F_GW = 4, F_DEF0 = 8, F_DEFLEV_REQ = 16,
    F_FRAG = 32, F_LATER = 64, F_ND = 128 };

struct row {
	const char	*name;
	unsigned	 flags;
	uint8_t		 from;
	const char	*src, *dst;
	uint8_t		 proto, kind;
	uint16_t	 sp, dp;
	uint8_t		 verdict, why;
};

#define H	DECIDE_FROM_HOST
#define W	DECIDE_FROM_WIRE
#define K_TCP	PKT_K_TCP
#define K_UDP	PKT_K_UDP
#define V(x)	DECIDE_V_##x
#define Y(x)	DECIDE_W_##x

static const struct row rows[] = {
	{ "out protect", 0, H, "10.0.0.1", "10.0.0.2", 6, K_TCP, 1, 2,
	    V(PROTECT), Y(POLICY) },
	{ "out discard", 0, H, "10.0.0.1", "10.0.0.3", 6, K_TCP, 1, 2,
	    V(DISCARD), Y(POLICY) },
	{ "out none", 0, H, "10.0.0.1", "10.0.0.4", 6, K_TCP, 1, 2,
	    V(BYPASS), Y(POLICY) },
	{ "out no policy, def 1", 0, H, "10.0.0.1", "10.0.0.7", 6, K_TCP, 1,
	    2, V(BYPASS), Y(DEF_POLICY) },
	{ "out no policy, def 0", F_DEF0, H, "10.0.0.1", "10.0.0.7", 6,
	    K_TCP, 1, 2, V(DISCARD), Y(DEF_POLICY) },
	{ "in clear, require", 0, W, "10.0.0.2", "10.0.0.1", 6, K_TCP, 1, 2,
	    V(DISCARD), Y(IN_REQUIRE) },
	{ "in clear, use", 0, W, "10.0.0.5", "10.0.0.1", 6, K_TCP, 1, 2,
	    V(DELIVER), Y(IN_USE) },
	{ "in clear, default = use", 0, W, "10.0.0.6", "10.0.0.1", 17, K_UDP,
	    1, 2, V(DELIVER), Y(IN_USE) },
	{ "in clear, default = require", F_DEFLEV_REQ, W, "10.0.0.6",
	    "10.0.0.1", 17, K_UDP, 1, 2, V(DISCARD), Y(IN_REQUIRE) },
	{ "in no policy", 0, W, "10.0.0.7", "10.0.0.1", 6, K_TCP, 1, 2,
	    V(DELIVER), Y(DEF_POLICY) },
	{ "in no policy, def 0", F_DEF0, W, "10.0.0.7", "10.0.0.1", 6, K_TCP,
	    1, 2, V(DISCARD), Y(DEF_POLICY) },
	{ "in esp", 0, W, "10.0.0.2", "10.0.0.1", ESP, PKT_K_ESP, 0, 0,
	    V(UNPROTECT), Y(ESP_FOR_US) },
	{ "in ah", 0, W, "10.0.0.9", "10.0.0.1", AH, PKT_K_AH, 0, 0,
	    V(UNPROTECT), Y(ESP_FOR_US) },
	{ "in esp in udp", 0, W, "10.0.0.2", "10.0.0.1", 17, PKT_K_UDP_ESP,
	    4500, 4500, V(UNPROTECT), Y(ESP_FOR_US) },
	{ "in esp, ipsecd away", F_AWAY, W, "10.0.0.2", "10.0.0.1", ESP,
	    PKT_K_ESP, 0, 0, V(HOLD), Y(IPSECD_AWAY) },
	{ "in esp, policyd unknown", F_UNKNOWN, W, "10.0.0.2", "10.0.0.1",
	    ESP, PKT_K_ESP, 0, 0, V(UNPROTECT), Y(ESP_FOR_US) },
	{ "in esp fragment", F_FRAG, W, "10.0.0.2", "10.0.0.1", ESP,
	    PKT_K_ESP, 0, 0, V(REASSEMBLE), Y(FRAGMENT) },
	{ "in udp later fragment", F_FRAG | F_LATER, W, "10.0.0.2",
	    "10.0.0.1", 17, PKT_K_NOPORTS, 0, 0, V(REASSEMBLE), Y(FRAGMENT) },
	{ "in esp fragment, ipsecd away", F_FRAG | F_AWAY, W, "10.0.0.2",
	    "10.0.0.1", ESP, PKT_K_ESP, 0, 0, V(HOLD), Y(IPSECD_AWAY) },
	{ "in udp fragment, ipsecd away: policy", F_FRAG | F_LATER | F_AWAY,
	    W, "10.0.0.7", "10.0.0.1", 17, PKT_K_NOPORTS, 0, 0, V(DELIVER),
	    Y(DEF_POLICY) },
	{ "in udp fragment, ipsecd away, require", F_FRAG | F_AWAY, W,
	    "10.0.0.2", "10.0.0.1", 17, K_UDP, 1, 2, V(DISCARD),
	    Y(IN_REQUIRE) },
	{ "in tcp fragment: per fragment", F_FRAG, W, "10.0.0.7", "10.0.0.1",
	    6, K_TCP, 1, 2, V(DELIVER), Y(DEF_POLICY) },
	{ "in ike, covered by require", 0, W, "10.0.0.2", "10.0.0.1", 17,
	    PKT_K_UDP_IKE, 4500, 4500, V(DISCARD), Y(IN_REQUIRE) },
	{ "out, policyd unknown", F_UNKNOWN, H, "10.0.0.1", "10.0.0.4", 6,
	    K_TCP, 1, 2, V(HOLD), Y(POLICYD_UNKNOWN) },
	{ "in clear, policyd unknown", F_UNKNOWN, W, "10.0.0.7", "10.0.0.1",
	    6, K_TCP, 1, 2, V(HOLD), Y(POLICYD_UNKNOWN) },
	{ "nd, policyd unknown", F_UNKNOWN | F_ND, W, "fe80::1",
	    "ff02::1", IPPROTO_ICMPV6, PKT_K_ICMP, 135, 0, V(DELIVER), Y(ND) },
	{ "nd out", F_ND, H, "fe80::1", "ff02::1", IPPROTO_ICMPV6,
	    PKT_K_ICMP, 136, 0, V(BYPASS), Y(ND) },
	{ "out protect, ipsecd away", F_AWAY, H, "10.0.0.1", "10.0.0.2", 6,
	    K_TCP, 1, 2, V(HOLD), Y(IPSECD_AWAY) },
	{ "out none, ipsecd away", F_AWAY, H, "10.0.0.1", "10.0.0.4", 6,
	    K_TCP, 1, 2, V(BYPASS), Y(POLICY) },
	{ "gw fwd, require", F_GW, W, "10.9.9.9", "192.168.1.5", 6, K_TCP, 1,
	    2, V(DISCARD), Y(IN_REQUIRE) },
	{ "gw fwd, no policy", F_GW, W, "10.9.9.9", "192.168.2.5", 6, K_TCP,
	    1, 2, V(FORWARD), Y(DEF_POLICY) },
	{ "gw in, local", F_GW, W, "10.0.0.7", "10.0.0.1", 6, K_TCP, 1, 2,
	    V(DELIVER), Y(DEF_POLICY) },
	{ "gw esp not for us: forwarded", F_GW, W, "10.0.0.2", "192.168.2.1",
	    ESP, PKT_K_ESP, 0, 0, V(FORWARD), Y(DEF_POLICY) },
	{ "socket bypass over ipsec", 0, H, "10.0.0.1", "10.0.0.2", 17, K_UDP,
	    500, 500, V(BYPASS), Y(SOCKET) },
	{ "socket discard", 0, H, "10.0.0.1", "10.0.0.4", 17, K_UDP, 501,
	    500, V(DISCARD), Y(SOCKET) },
	{ "socket ipsec", 0, H, "10.0.0.1", "10.0.0.4", 17, K_UDP, 502, 500,
	    V(PROTECT), Y(SOCKET) },
	{ "socket entrust", 0, H, "10.0.0.1", "10.0.0.3", 17, K_UDP, 503,
	    500, V(DISCARD), Y(POLICY) },
	{ "port policy", 0, H, "10.0.0.1", "10.0.0.9", 6, K_TCP, 1, 22,
	    V(DISCARD), Y(POLICY) },
	{ "port policy, later fragment", F_FRAG | F_LATER, H, "10.0.0.1",
	    "10.0.0.9", 6, PKT_K_NOPORTS, 0, 0, V(BYPASS), Y(DEF_POLICY) },
	{ "v6 in clear, require", 0, W, "2001:db8::2", "2001:db8::1", 6,
	    K_TCP, 1, 2, V(DISCARD), Y(IN_REQUIRE) },
	{ "v6 in, other", 0, W, "2001:db8::3", "2001:db8::1", 6, K_TCP, 1, 2,
	    V(DELIVER), Y(DEF_POLICY) },
};

static void
ctx_init(struct decide_ctx *c, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	c->spd = db;
	decide_params_default(&c->params);
	c->policyd_known = !(flags & F_UNKNOWN);
	c->ipsecd_up = !(flags & F_AWAY);
	c->params.gateway = (flags & F_GW) != 0;
	if (flags & F_DEF0)
		c->params.def_policy[0] = c->params.def_policy[1] = 0;
	if (flags & F_DEFLEV_REQ)
		memset(c->params.deflev, REQ, sizeof(c->params.deflev));
	c->sock = sock_hook;
	c->local = local_hook;
}

static void
test_table(void **state)
{
	struct decide_result r;
	struct decide_ctx c;
	struct pkt_info pi;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		const struct row *w = &rows[i];

		ctx_init(&c, w->flags);
		pi = pk(w->src, w->dst, w->proto, w->kind, w->sp, w->dp);
		if (w->flags & F_FRAG) {
			pi.frag = true;
			pi.frag_more = !(w->flags & F_LATER);
			pi.frag_off = (w->flags & F_LATER) ? 1480 : 0;
		}
		if (w->flags & F_ND)
			pi.ttl = 255;
		decide(&c, &pi, w->from, &r);
		if (r.verdict != w->verdict || r.why != w->why)
			fail_msg("%s: got %s/%s, want %s/%s", w->name,
			    decide_verdict_name(r.verdict),
			    decide_why_name(r.why),
			    decide_verdict_name(w->verdict),
			    decide_why_name(w->why));
		assert_int_equal(c.stats.verdict[w->verdict], 1);
		assert_int_equal(c.stats.why[w->why], 1);
	}
	/* Details of a protect. */
	ctx_init(&c, 0);
	pi = pk("10.0.0.1", "10.0.0.2", 6, K_TCP, 1, 2);
	decide(&c, &pi, H, &r);
	assert_int_equal(r.policy_id, id_protect);
	assert_int_equal(r.dir, OUT);
	assert_int_equal(r.req_index, 0);
	assert_int_equal(r.nreqs, 1);
	pi = pk("10.0.0.1", "10.0.0.4", 17, K_UDP, 502, 1);
	decide(&c, &pi, H, &r);
	assert_int_equal(r.policy_id, 4242);
	/* No SPD at all: def_policy. */
	c.spd = NULL;
	c.sock = NULL;
	pi = pk("10.0.0.1", "10.0.0.3", 6, K_TCP, 1, 2);
	decide(&c, &pi, H, &r);
	assert_int_equal(r.verdict, DECIDE_V_BYPASS);
}

static void
test_inner(void **state)
{
	struct decide_applied esp = { ESP, TRANS, 0 }, ah = { AH, TRANS, 0 };
	struct decide_applied both[2] = { { AH, TRANS, 0 }, { ESP, TRANS, 0 } };
	struct decide_result r;
	struct decide_ctx c;
	struct pkt_info pi;

	(void)state;
	ctx_init(&c, 0);
	pi = pk("10.0.0.2", "10.0.0.1", 6, K_TCP, 1, 2);
	decide_inner(&c, &pi, &esp, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_DELIVER);
	assert_int_equal(r.why, DECIDE_W_INNER_OK);
	decide_inner(&c, &pi, &ah, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_DISCARD);
	assert_int_equal(r.why, DECIDE_W_INNER_MISMATCH);
	decide_inner(&c, &pi, both, 2, &r);
	assert_int_equal(r.verdict, DECIDE_V_DELIVER);
	decide_inner(&c, &pi, NULL, 0, &r);
	assert_int_equal(r.verdict, DECIDE_V_DISCARD);
	/* Tunnel-mode SA against a transport policy: mismatch. */
	esp.mode = TUN;
	decide_inner(&c, &pi, &esp, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_DISCARD);
	/* Use: anything. */
	pi = pk("10.0.0.5", "10.0.0.1", 6, K_TCP, 1, 2);
	decide_inner(&c, &pi, NULL, 0, &r);
	assert_int_equal(r.verdict, DECIDE_V_DELIVER);
	/* No policy: def_policy none accepts protected packets. */
	pi = pk("10.0.0.7", "10.0.0.1", 6, K_TCP, 1, 2);
	decide_inner(&c, &pi, &ah, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_DELIVER);
	/* Gateway: tunnel to the inside. */
	ctx_init(&c, F_GW);
	pi = pk("10.9.9.9", "192.168.1.5", 6, K_TCP, 1, 2);
	decide_inner(&c, &pi, &esp, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_FORWARD);
	assert_int_equal(r.dir, FWD);
	ctx_init(&c, F_UNKNOWN);
	decide_inner(&c, &pi, &esp, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_HOLD);
	ctx_init(&c, F_DEF0);
	pi = pk("10.0.0.3", "10.0.0.1", 6, K_TCP, 1, 2);
	decide_inner(&c, &pi, &esp, 1, &r);
	assert_int_equal(r.verdict, DECIDE_V_DISCARD);
}

static int requeue_n;

static void
requeue(void *item, void *arg)
{
	struct decide_holdq *q = arg;

	requeue_n++;
	assert_int_equal(decide_holdq_push(q, item, 0), 0);
}

static void
count_item(void *item, void *arg)
{
	(void)item;
	(*(int *)arg)++;
}

static void
test_holdq(void **state)
{
	struct decide_holdq q;
	int items[5], n = 0, i;

	(void)state;
	assert_int_equal(decide_holdq_init(&q, 0, 10), -EINVAL);
	assert_int_equal(decide_holdq_init(&q, 4, 100), 0);
	assert_int_equal(decide_holdq_next(&q), UINT64_MAX);
	for (i = 0; i < 4; i++)
		assert_int_equal(decide_holdq_push(&q, &items[i],
		    (uint64_t)i * 10), 0);
	assert_int_equal(decide_holdq_push(&q, &items[4], 40), -ENOSPC);
	assert_int_equal(q.dropped_full, 1);
	assert_int_equal(decide_holdq_next(&q), 100);
	assert_int_equal(decide_holdq_expire(&q, 99, count_item, &n), 0);
	assert_int_equal(decide_holdq_expire(&q, 110, count_item, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(decide_holdq_next(&q), 120);
	/* Wrap around. */
	assert_int_equal(decide_holdq_push(&q, &items[0], 50), 0);
	assert_int_equal(decide_holdq_push(&q, &items[1], 50), 0);
	assert_int_equal(decide_holdq_push(&q, &items[1], 50), -ENOSPC);
	/* Release hands over what is there once, even if requeued. */
	requeue_n = 0;
	assert_int_equal(decide_holdq_release(&q, requeue, &q), 4);
	assert_int_equal(requeue_n, 4);
	assert_int_equal(q.n, 4);
	assert_int_equal(decide_holdq_expire(&q, 1000, count_item, &n), 4);
	assert_int_equal(q.dropped_timeout, 6);
	decide_holdq_fini(&q);
}

/* ---- property: decide() against a naive model ---- */

#define NPOL	40

struct model {
	struct spd_entry e[NPOL];
	uint32_t	 id[NPOL];
	size_t		 n;
};

static uint8_t
model_level(const struct decide_params *p, const struct spd_req *r)
{
	uint8_t l = r->level;

	if (l == DEF)
		l = p->deflev[0][r->proto == AH ? 2 : 0];
	return l == USE ? USE : REQ;
}

/* Rules written out again, the slow way. */
static void
model_decide(const struct model *m, const struct decide_params *p,
    const struct pkt_info *pi, uint8_t from, uint8_t *verdict, uint32_t *id)
{
	struct spd_pkt sp;
	const struct spd_entry *best = NULL;
	size_t i, bi = 0;
	uint8_t dir = from == H ? OUT : IN;

	*id = 0;
	if (from == W && (pi->kind == PKT_K_ESP || pi->kind == PKT_K_AH)) {
		*verdict = DECIDE_V_UNPROTECT;
		return;
	}
	decide_spd_pkt(pi, &sp);
	for (i = 0; i < m->n; i++) {
		if (m->e[i].dir != dir || !spd_sel_match(&m->e[i].sel, &sp))
			continue;
		if (best == NULL || m->e[i].priority < best->priority) {
			best = &m->e[i];
			bi = i;
		}
	}
	if (best == NULL) {
		*verdict = p->def_policy[0] == 0 ? DECIDE_V_DISCARD :
		    dir == OUT ? DECIDE_V_BYPASS : DECIDE_V_DELIVER;
		return;
	}
	*id = m->id[bi];
	switch (best->action) {
	case SPD_ACTION_DISCARD:
		*verdict = DECIDE_V_DISCARD;
		return;
	case SPD_ACTION_NONE:
		*verdict = dir == OUT ? DECIDE_V_BYPASS : DECIDE_V_DELIVER;
		return;
	}
	if (dir == OUT) {
		*verdict = DECIDE_V_PROTECT;
		return;
	}
	*verdict = DECIDE_V_DELIVER;
	for (i = 0; i < best->nreqs; i++)
		if (model_level(p, &best->req[i]) != USE)
			*verdict = DECIDE_V_DISCARD;
}

static void
rand_addr(uint64_t *s, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 10;
	a[2] = (uint8_t)prng_below(s, 2);
	a[3] = (uint8_t)prng_below(s, 4);
}

/* Fill the model and sdb with NPOL random policies. */
static void
rand_policies(uint64_t *s, struct model *m, struct spd *sdb)
{
	static const uint8_t protos[] = { 255, IPPROTO_TCP, IPPROTO_UDP };

	while (m->n < NPOL) {
		struct spd_entry *e = &m->e[m->n];
		uint8_t act = (uint8_t)prng_below(s, 3);

		*e = ent(prng_below(s, 2) ? IN : OUT, "10.0.0.0", 0,
		    "10.0.0.0", 0, protos[prng_below(s, 3)], 0, act,
		    prng_below(s, 2) ? ESP : AH, TRANS,
		    (uint8_t)prng_below(s, 3));
		rand_addr(s, e->sel.src);
		rand_addr(s, e->sel.dst);
		e->sel.src_plen = (uint8_t)(24 + 8 * prng_below(s, 2));
		e->sel.dst_plen = (uint8_t)(24 + 8 * prng_below(s, 2));
		if (e->sel.proto != 255 && prng_below(s, 2))
			e->sel.dport = (uint16_t)(1 + prng_below(s, 3));
		/* Distinct priorities: ties are spd's own test. */
		e->priority = (uint32_t)(m->n * 7919 % NPOL) + 1;
		if (spd_add(sdb, e, 0, &m->id[m->n]) != 0)
			continue;	/* same selector: skip */
		spd_entry_canon(e);
		m->n++;
	}
}

/* A random IPv4 packet, addresses drawn as the policies' are. */
static void
rand_pkt(uint64_t *s, struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->family = AF_INET;
	rand_addr(s, pi->src);
	rand_addr(s, pi->dst);
	switch (prng_below(s, 4)) {
	case 0: pi->proto = IPPROTO_TCP; pi->kind = K_TCP; break;
	case 1: pi->proto = IPPROTO_UDP; pi->kind = K_UDP; break;
	case 2: pi->proto = ESP; pi->kind = PKT_K_ESP; break;
	default: pi->proto = 47; pi->kind = PKT_K_OTHER; break;
	}
	if (pi->kind == K_TCP || pi->kind == K_UDP) {
		pi->sport = (uint16_t)prng_below(s, 4);
		pi->dport = (uint16_t)prng_below(s, 4);
	}
}

static void
test_prop(void **state)
{
	uint64_t seed = prng_seed_env(), s = seed != 0 ? seed : 1;
	struct decide_params p;
	struct decide_result r;
	struct decide_ctx c;
	struct model m;
	struct spd *sdb;
	int round, k;

	(void)state;
	printf("test_prop: PARAPET_SEED=%llu\n", (unsigned long long)seed);
	for (round = 0; round < 50; round++) {
		memset(&m, 0, sizeof(m));
		assert_int_equal(spd_create(&sdb, prng_next(&s)), 0);
		decide_params_default(&p);
		p.def_policy[0] = (uint8_t)prng_below(&s, 2);
		p.deflev[0][0] = (uint8_t)(1 + prng_below(&s, 2));
		p.deflev[0][2] = (uint8_t)(1 + prng_below(&s, 2));
		rand_policies(&s, &m, sdb);
		memset(&c, 0, sizeof(c));
		c.spd = sdb;
		c.params = p;
		c.policyd_known = c.ipsecd_up = true;
		for (k = 0; k < 400; k++) {
			struct pkt_info pi;
			uint8_t from = prng_below(&s, 2) ? H : W, want;
			uint32_t wid;

			rand_pkt(&s, &pi);
			decide(&c, &pi, from, &r);
			model_decide(&m, &p, &pi, from, &want, &wid);
			if (r.verdict != want ||
			    (want == DECIDE_V_PROTECT && r.policy_id != wid))
				fail_msg("seed %llu round %d pkt %d: got %s "
				    "(%u), want %s (%u)",
				    (unsigned long long)seed, round, k,
				    decide_verdict_name(r.verdict),
				    r.policy_id, decide_verdict_name(want),
				    wid);
		}
		spd_destroy(sdb);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_inner),
		cmocka_unit_test(test_holdq),
		cmocka_unit_test(test_prop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
