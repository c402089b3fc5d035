/*
 * decide.c - netd's per-packet decision and hold queue (see decide.h).
 * Pure: the SPD replica, the parameters and the per-socket hook come from
 * the caller; nothing here allocates but the hold queue's arrays.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "decide.h"
#include "ipsec_policy.h"

static const char *const verdict_names[DECIDE_V_COUNT] = {
	[DECIDE_V_BYPASS] = "bypass",
	[DECIDE_V_DELIVER] = "deliver",
	[DECIDE_V_FORWARD] = "forward",
	[DECIDE_V_DISCARD] = "discard",
	[DECIDE_V_PROTECT] = "protect",
	[DECIDE_V_UNPROTECT] = "unprotect",
	[DECIDE_V_REASSEMBLE] = "reassemble",
	[DECIDE_V_HOLD] = "hold",
};
_Static_assert(nitems(verdict_names) == DECIDE_V_COUNT, "verdict_names");

static const char *const why_names[DECIDE_W_COUNT] = {
	[DECIDE_W_POLICY] = "policy",
	[DECIDE_W_SOCKET] = "socket",
	[DECIDE_W_DEF_POLICY] = "def_policy",
	[DECIDE_W_ND] = "nd",
	[DECIDE_W_IN_REQUIRE] = "in_require",
	[DECIDE_W_IN_USE] = "in_use",
	[DECIDE_W_ESP_FOR_US] = "esp_for_us",
	[DECIDE_W_FRAGMENT] = "fragment",
	[DECIDE_W_POLICYD_UNKNOWN] = "policyd_unknown",
	[DECIDE_W_IPSECD_AWAY] = "ipsecd_away",
	[DECIDE_W_INNER_OK] = "inner_ok",
	[DECIDE_W_INNER_MISMATCH] = "inner_mismatch",
	[DECIDE_W_NATT_KEEPALIVE] = "natt_keepalive",
};
_Static_assert(nitems(why_names) == DECIDE_W_COUNT, "why_names");

const char *
decide_verdict_name(enum decide_verdict v)
{
	return (unsigned)v < DECIDE_V_COUNT ? verdict_names[v] : "unknown";
}

const char *
decide_why_name(enum decide_why w)
{
	return (unsigned)w < DECIDE_W_COUNT ? why_names[w] : "unknown";
}

void
decide_params_default(struct decide_params *p)
{
	memset(p, 0, sizeof(*p));
	p->def_policy[0] = p->def_policy[1] = 1;
	memset(p->deflev, PARAPET_IPSEC_LEVEL_USE, sizeof(p->deflev));
}

void
decide_spd_pkt(const struct pkt_info *pi, struct spd_pkt *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->family = pi->family;
	sp->proto = pi->proto;
	if (pi->kind != PKT_K_NOPORTS) {
		sp->sport = pi->sport;
		sp->dport = pi->dport;
	}
	memcpy(sp->src, pi->src, sizeof(sp->src));
	memcpy(sp->dst, pi->dst, sizeof(sp->dst));
}

/* A policy as decide() sees it: from a socket or from the SPD. */
struct pol {
	uint8_t			 action;	/* PARAPET_IPSEC_POLICY_* */
	uint8_t			 why;
	uint32_t		 id;
	size_t			 nreqs;
	const struct spd_req	*req;
};

/* The effective level of a request (KAME ipsec_get_reqlevel). */
static uint8_t
req_level(const struct decide_ctx *c, uint16_t family, const struct spd_req *r)
{
	size_t f = family == AF_INET6 ? 1 : 0;
	bool tun = r->mode == PARAPET_IPSEC_MODE_TUNNEL;
	uint8_t lev;

	if (r->level != PARAPET_IPSEC_LEVEL_DEFAULT)
		return r->level;
	switch (r->proto) {
	case IPPROTO_ESP:
		lev = c->params.deflev[f][tun ? DECIDE_LEV_ESP_NET :
		    DECIDE_LEV_ESP_TRANS];
		break;
	case IPPROTO_AH:
		lev = c->params.deflev[f][tun ? DECIDE_LEV_AH_NET :
		    DECIDE_LEV_AH_TRANS];
		break;
	default:
		lev = PARAPET_IPSEC_LEVEL_USE;	/* IPComp: KAME */
		break;
	}
	return lev == PARAPET_IPSEC_LEVEL_REQUIRE ? PARAPET_IPSEC_LEVEL_REQUIRE :
	    PARAPET_IPSEC_LEVEL_USE;
}

/*
 * Per-socket policy, then the SPD, then def_policy. Returns false when
 * nothing but def_policy applies (*p then says so).
 */
static void
find_policy(struct decide_ctx *c, uint8_t dir, const struct spd_pkt *sp,
    struct decide_sockpol *sock, struct pol *p)
{
	const struct spd_policy *sa;

	memset(p, 0, sizeof(*p));
	if (c->sock != NULL && c->sock(c->arg, dir, sp, sock) &&
	    sock->action != DECIDE_SP_ENTRUST) {
		p->why = DECIDE_W_SOCKET;
		p->id = sock->id;
		switch (sock->action) {
		case DECIDE_SP_DISCARD:
			p->action = PARAPET_IPSEC_POLICY_DISCARD;
			break;
		case DECIDE_SP_IPSEC:
			p->action = PARAPET_IPSEC_POLICY_IPSEC;
			p->nreqs = sock->nreqs < SPD_MAX_REQS ? sock->nreqs :
			    SPD_MAX_REQS;
			p->req = sock->req;
			break;
		default:	/* bypass, none */
			p->action = PARAPET_IPSEC_POLICY_NONE;
			break;
		}
		return;
	}
	if (c->spd != NULL && (sa = spd_lookup(c->spd, dir, sp)) != NULL) {
		p->why = DECIDE_W_POLICY;
		p->id = sa->id;
		p->action = sa->e.action;
		p->nreqs = sa->e.action == SPD_ACTION_IPSEC ? sa->e.nreqs : 0;
		p->req = sa->e.req;
		return;
	}
	p->why = DECIDE_W_DEF_POLICY;
	p->action = c->params.def_policy[sp->family == AF_INET6 ? 1 : 0] == 0 ?
	    PARAPET_IPSEC_POLICY_DISCARD : PARAPET_IPSEC_POLICY_NONE;
}

static void
result(struct decide_ctx *c, struct decide_result *r, uint8_t verdict,
    uint8_t why)
{
	r->verdict = verdict;
	r->why = why;
	c->stats.verdict[verdict]++;
	c->stats.why[why]++;
}

static bool
is_local(const struct decide_ctx *c, const struct pkt_info *pi)
{
	return c->local == NULL || c->local(c->arg, pi->family, pi->dst);
}

/* Does the inbound policy p admit a clear packet? */
static bool
clear_ok(const struct decide_ctx *c, uint16_t family, const struct pol *p)
{
	size_t i;

	for (i = 0; i < p->nreqs; i++)
		if (req_level(c, family, &p->req[i]) !=
		    PARAPET_IPSEC_LEVEL_USE)
			return false;
	return true;
}

/* Sets r->dir for a packet from "from"; returns the verdict of a pass. */
static uint8_t
direction(const struct decide_ctx *c, const struct pkt_info *pi,
    enum decide_from from, struct decide_result *r)
{
	if (from == DECIDE_FROM_HOST) {
		r->dir = SPD_DIR_OUT;
		return DECIDE_V_BYPASS;
	}
	if (!c->params.gateway || is_local(c, pi)) {
		r->dir = SPD_DIR_IN;
		return DECIDE_V_DELIVER;
	}
	r->dir = SPD_DIR_FWD;
	return DECIDE_V_FORWARD;
}

/*
 * Inbound IPsec for us goes to ipsecd whatever the policy says; the inner
 * packet is checked afterwards (decide_inner). Returns whether it decided.
 */
static bool
inbound_ipsec(struct decide_ctx *c, const struct pkt_info *pi,
    struct decide_result *r)
{
	bool ipsec = pi->proto == IPPROTO_ESP || pi->proto == IPPROTO_AH;

	/*
	 * Fragments that may be IPsec for us are reassembled
	 * first. UDP ones (ESP in UDP or not: later fragments do
	 * not tell) only while ipsecd is there to take the ESP;
	 * without it they are clear traffic under policy like any
	 * fragment, and the host reassembles them.
	 */
	if (pi->frag && ipsec && !c->ipsecd_up) {
		result(c, r, DECIDE_V_HOLD, DECIDE_W_IPSECD_AWAY);
		return true;
	}
	if (pi->frag && (ipsec || (pi->proto == IPPROTO_UDP &&
	    c->ipsecd_up))) {
		result(c, r, DECIDE_V_REASSEMBLE, DECIDE_W_FRAGMENT);
		return true;
	}
	/*
	 * RFC 3948 §2.3: a NAT-keepalive only refreshes the NAT's mapping;
	 * the receiver ignores it. Linux drops it in the UDP_ENCAP_ESPINUDP
	 * socket (xfrm4_udp_encap_rcv), whatever the state: so do we. IKE
	 * (the non-ESP marker) is ordinary UDP under policy, for the key
	 * manager on the host (DESIGN §10.27).
	 */
	if (pi->kind == PKT_K_UDP_KEEPALIVE) {
		result(c, r, DECIDE_V_DISCARD, DECIDE_W_NATT_KEEPALIVE);
		return true;
	}
	if (pi->kind == PKT_K_ESP || pi->kind == PKT_K_AH ||
	    pi->kind == PKT_K_UDP_ESP) {
		if (!c->ipsecd_up)
			result(c, r, DECIDE_V_HOLD, DECIDE_W_IPSECD_AWAY);
		else
			result(c, r, DECIDE_V_UNPROTECT, DECIDE_W_ESP_FOR_US);
		return true;
	}
	return false;
}

/* The packet falls under policy p, whose action is ipsec. */
static void
under_ipsec(struct decide_ctx *c, const struct pkt_info *pi,
    const struct pol *p, uint8_t pass, struct decide_result *r)
{
	if (r->dir != SPD_DIR_OUT) {
		/* A clear packet under an ipsec policy (KAME
		 * ipsec_in_reject): only "use" lets it in. */
		if (clear_ok(c, pi->family, p))
			result(c, r, pass, DECIDE_W_IN_USE);
		else
			result(c, r, DECIDE_V_DISCARD, DECIDE_W_IN_REQUIRE);
		return;
	}
	if (!c->ipsecd_up || p->nreqs == 0) {
		/* No transforms: never in clear (a policy without requests
		 * is refused by spd_entry_valid; fail closed anyway). */
		result(c, r, DECIDE_V_HOLD, DECIDE_W_IPSECD_AWAY);
		return;
	}
	r->req_index = 0;
	r->nreqs = (uint8_t)p->nreqs;
	result(c, r, DECIDE_V_PROTECT, p->why);
}

void
decide(struct decide_ctx *c, const struct pkt_info *pi,
    enum decide_from from, struct decide_result *r)
{
	struct decide_sockpol sock;
	struct spd_pkt sp;
	struct pol p;
	uint8_t pass;

	memset(r, 0, sizeof(*r));
	pass = direction(c, pi, from, r);

	/* Link housekeeping passes, as ARP does (DESIGN §10.16). */
	if (pkt_is_nd(pi)) {
		result(c, r, pass, DECIDE_W_ND);
		return;
	}
	if (r->dir == SPD_DIR_IN && inbound_ipsec(c, pi, r))
		return;

	if (!c->policyd_known) {
		result(c, r, DECIDE_V_HOLD, DECIDE_W_POLICYD_UNKNOWN);
		return;
	}

	decide_spd_pkt(pi, &sp);
	find_policy(c, r->dir, &sp, &sock, &p);
	r->policy_id = p.id;
	switch (p.action) {
	case PARAPET_IPSEC_POLICY_NONE:
		result(c, r, pass, p.why);
		return;
	case PARAPET_IPSEC_POLICY_IPSEC:
		under_ipsec(c, pi, &p, pass, r);
		return;
	default:
		result(c, r, DECIDE_V_DISCARD, p.why);
		return;
	}
}

/* Was request q met by one of the applied transforms? */
static bool
req_met(const struct spd_req *q, const struct decide_applied *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i].proto != q->proto || a[i].mode != q->mode)
			continue;
		if (q->level == PARAPET_IPSEC_LEVEL_UNIQUE && q->reqid != 0 &&
		    a[i].reqid != q->reqid)
			continue;
		return true;
	}
	return false;
}

void
decide_inner(struct decide_ctx *c, const struct pkt_info *pi,
    const struct decide_applied *a, size_t n, struct decide_result *r)
{
	struct decide_sockpol sock;
	struct spd_pkt sp;
	struct pol p;
	uint8_t pass;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!c->params.gateway || is_local(c, pi)) {
		r->dir = SPD_DIR_IN;
		pass = DECIDE_V_DELIVER;
	} else {
		r->dir = SPD_DIR_FWD;
		pass = DECIDE_V_FORWARD;
	}
	if (!c->policyd_known) {
		result(c, r, DECIDE_V_HOLD, DECIDE_W_POLICYD_UNKNOWN);
		return;
	}
	decide_spd_pkt(pi, &sp);
	find_policy(c, r->dir, &sp, &sock, &p);
	r->policy_id = p.id;
	if (p.action == PARAPET_IPSEC_POLICY_DISCARD) {
		result(c, r, DECIDE_V_DISCARD, p.why);
		return;
	}
	for (i = 0; i < p.nreqs; i++) {
		if (req_level(c, pi->family, &p.req[i]) ==
		    PARAPET_IPSEC_LEVEL_USE)
			continue;
		if (!req_met(&p.req[i], a, n)) {
			result(c, r, DECIDE_V_DISCARD,
			    DECIDE_W_INNER_MISMATCH);
			return;
		}
	}
	result(c, r, pass, DECIDE_W_INNER_OK);
}

/* ---- hold queue ---- */

int
decide_holdq_init(struct decide_holdq *q, size_t cap, uint64_t timeout_ms)
{
	memset(q, 0, sizeof(*q));
	if (cap == 0)
		return -EINVAL;
	q->item = calloc(cap, sizeof(*q->item));
	q->deadline_ms = calloc(cap, sizeof(*q->deadline_ms));
	if (q->item == NULL || q->deadline_ms == NULL) {
		decide_holdq_fini(q);
		return -ENOMEM;
	}
	q->cap = cap;
	q->timeout_ms = timeout_ms;
	return 0;
}

void
decide_holdq_fini(struct decide_holdq *q)
{
	free(q->item);
	free(q->deadline_ms);
	q->item = NULL;
	q->deadline_ms = NULL;
	q->cap = q->n = q->head = 0;
}

int
decide_holdq_push(struct decide_holdq *q, void *item, uint64_t now_ms)
{
	size_t at;

	if (q->n == q->cap) {
		q->dropped_full++;
		return -ENOSPC;
	}
	at = (q->head + q->n) % q->cap;
	q->item[at] = item;
	q->deadline_ms[at] = now_ms + q->timeout_ms;
	q->n++;
	return 0;
}

static void *
pop(struct decide_holdq *q)
{
	void *it = q->item[q->head];

	q->item[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return it;
}

size_t
decide_holdq_expire(struct decide_holdq *q, uint64_t now_ms,
    void (*fn)(void *, void *), void *arg)
{
	size_t k = 0;

	while (q->n > 0 && q->deadline_ms[q->head] <= now_ms) {
		fn(pop(q), arg);
		q->dropped_timeout++;
		k++;
	}
	return k;
}

size_t
decide_holdq_release(struct decide_holdq *q, void (*fn)(void *, void *),
    void *arg)
{
	size_t k = 0, todo = q->n;

	/* Only what is queued now: fn may queue an item again. */
	while (todo-- > 0 && q->n > 0) {
		fn(pop(q), arg);
		q->released++;
		k++;
	}
	return k;
}

uint64_t
decide_holdq_next(const struct decide_holdq *q)
{
	return q->n > 0 ? q->deadline_ms[q->head] : UINT64_MAX;
}
