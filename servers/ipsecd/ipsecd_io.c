/*
 * ipsecd_io.c - the packet path: netd's work rings in, done rings out
 * (common/ring.h as side B, the protocol of common/pkt_ring.h).
 *
 * One worker per region. A wake-up (doorbell or idle turn) receives up
 * to IPSECD_BATCH descriptors, transforms each in place and sends the
 * whole batch back with one ring_send(), up to IPSECD_RUN_BATCHES times;
 * then it decides between staying awake (more work, or work arrived
 * while spinning IPSECD_SPIN_US) and arming the doorbell (ring.h's
 * adaptive polling).
 *
 * Per-batch rather than per-packet work (ipsecd_shell.h): a metadata
 * block equal to the previous one is not decoded again; the SA of a run
 * of packets is looked up once per turn and layer, with its transform
 * parameters; packets are counted into the SA's persistent record once
 * per batch, before the batch leaves (a packet that reaches a lifetime
 * limit at once).
 *
 * Per descriptor: copy and validate the metadata block (pkt_meta_decode),
 *   PROTECT    for each request of the policy (innermost first): find the
 *              SA (sa_table_lookup_out; none: ACQUIRE to keyd, result
 *              NO_SA, or level use: go on without it), take the next
 *              sequence number from the SA's persistent counter (it
 *              doubles as the AEAD IV and is stored before use, so a
 *              kill -9 never reuses one), encapsulate,
 *              count the packet (before it leaves); over the MTU: the
 *              original packet is put back and TOO_BIG returned with the
 *              inner MTU
 *   UNPROTECT  up to two layers: parse (esp_parse/ah_parse), SA by SPI +
 *              destination + protocol, replay check, authenticate and
 *              decrypt, advance the window, count; the SAs used go back
 *              in the metadata block for netd's inbound policy check
 * and every outcome is counted (pkt.<result>), every drop by its precise
 * reason too (drop.<reason>, ipsecd_drop.h). Nothing is
 * received before the first sync with keyd (ipsecd_io_kick()).
 *
 * Untrusted input: the descriptors (checked by ring_recv), the metadata
 * block and the packet bytes (shared memory written by netd; the block is
 * copied once, the packet is parsed by the transforms' cursors). Every
 * length and offset comes from the descriptor's copy and the slot size,
 * so a peer that writes into a slot it gave us can spoil that packet,
 * not reach outside the slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ah.h"
#include "esp.h"
#include "ip_hdr.h"
#include "ipsecd_shell.h"
#include "xform.h"

/* Bytes two SAs can add at most (outer IPv6 + UDP + ESP + IV + padding
 * + ICV, twice): a packet this close to the MTU is saved before encap. */
#define OVERHEAD_MAX	320

static void
pad_fill(void *arg, uint8_t *buf, size_t n)
{
	(void)arg;
	randombytes_buf(buf, n);
}

/*
 * Address conversions copy only the bytes of the family and zero the
 * rest: a parser may leave the tail of a v4 address unwritten, and the
 * SA table compares (and hashes) all 16 bytes.
 */
static size_t
alen(uint8_t family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static void
addr_from_xform(struct sa_addr *a, const struct xform_addr *x)
{
	memset(a, 0, sizeof(*a));
	a->family = x->family;
	memcpy(a->a, x->a, alen(x->family));
}

static void
xaddr_from_sa(struct xform_addr *x, const struct sa_addr *a)
{
	x->family = a->family;
	memcpy(x->a, a->a, sizeof(x->a));
}

static void
addr_from_pkt(struct sa_addr *a, const struct pkt_addr *p)
{
	a->family = p->family;
	memcpy(a->a, p->a, sizeof(a->a));
}

static void
pkt_addr_from_sa(struct pkt_addr *p, const struct sa_addr *a)
{
	p->family = a->family;
	memcpy(p->a, a->a, sizeof(p->a));
}

/* What the transforms need of SA e, with netd's sysctl settings. */
static void
xsa_fill(const struct sa_entry *e, const struct pkt_meta *m,
    struct xform_sa *xs)
{
	memset(xs, 0, sizeof(*xs));
	xs->spi = e->se.spi;
	xs->proto = e->se.proto;
	xs->mode = e->se.mode == SA_MODE_TUNNEL ? XFORM_MODE_TUNNEL :
	    XFORM_MODE_TRANSPORT;
	xs->flags = (uint16_t)(e->se.flags & (SA_F_ESN | SA_F_NATT));
	if (m->ecn)
		xs->flags |= XFORM_SA_ECN;
	xs->pad = (e->se.flags & SA_F_PAD_ZERO) != 0 ? XFORM_PAD_ZERO :
	    (e->se.flags & SA_F_PAD_RANDOM) != 0 ? XFORM_PAD_RANDOM :
	    XFORM_PAD_SEQ;
	xs->dfbit = m->dfbit;
	xs->ttl = m->ttl;
	xs->ah_cleartos = m->ah_cleartos;
	xs->ah_offsetmask = m->ah_offsetmask;
	if (xs->mode == XFORM_MODE_TUNNEL) {
		xaddr_from_sa(&xs->tun_src, &e->se.src);
		xaddr_from_sa(&xs->tun_dst, &e->se.dst);
	}
	xs->natt_sport = e->se.natt_sport;
	xs->natt_dport = e->se.natt_dport;
	xaddr_from_sa(&xs->natt_oa_src, &e->se.natt_oa_src);
	xaddr_from_sa(&xs->natt_oa_dst, &e->se.natt_oa_dst);
	/* NAT-T transport without NAT-OA: the checksum is recomputed
	 * (RFC 3948 §3.1.2; DESIGN §10.27). */
	if ((e->se.flags & SA_F_NATT) != 0 && xs->mode ==
	    XFORM_MODE_TRANSPORT && e->se.natt_oa_src.family == 0 &&
	    e->se.natt_oa_dst.family == 0)
		xs->flags |= XFORM_SA_NATT_CSUM;
	xs->enc = e->se.enc;
	xs->auth = e->se.auth;
	xs->pad_fill = pad_fill;
	xs->pad_arg = NULL;
}

/* A packet dropped for a precise reason: counted (drop.<reason>). */
static void
drop_count(struct ipsecd *d, enum xform_reject why)
{
	d->c.drop[ipsecd_drop_of(why)]++;
}

static enum pkt_result
encap_result(struct ipsecd *d, int error)
{
	switch (error) {
	case -EMSGSIZE:
		return PKT_R_NO_ROOM;
	case -ERANGE:
		return PKT_R_SEQ_EXHAUSTED;
	default:
		d->c.drop[IPSECD_DROP_ENCAP]++;
		return PKT_R_MALFORMED;
	}
}

/*
 * A hard limit crossed: the SA carries no more packets (as Linux's
 * xfrm_state_check_expire()), even before keyd's DELETE arrives.
 */
static bool
hard_expired(const struct sa_entry *e)
{
	return (sa_pstate_crossed(e->state) & SA_CROSSED_HARD) != 0;
}

/* ---- the SA caches (ipsecd_shell.h): one lookup per run of packets ---- */

static bool
addr_eq(const struct sa_addr *a, const struct sa_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

static bool
sysctl_eq(const struct ipsecd_sa_cache *c, const struct pkt_meta *m)
{
	return c->dfbit == m->dfbit && c->ecn == m->ecn && c->ttl == m->ttl &&
	    c->cleartos == m->ah_cleartos && c->offsetmask == m->ah_offsetmask;
}

/* Write c's pending counts into the SA's persistent record. */
static void
cache_flush(struct ipsecd_worker *w, struct ipsecd_sa_cache *c)
{
	struct sa_entry *e = c->e;

	if (c->pend_pkts == 0)
		return;
	if (sa_pstate_count_n(e->state, &e->se.lft, c->pend_bytes,
	    c->pend_pkts, w->now_s) != 0)
		w->d->usage_now = true;
	c->pend_pkts = 0;
	c->pend_bytes = 0;
	sa_pstate_room(e->state, &e->se.lft, &c->room_pkts, &c->room_bytes);
}

/* Every cache's pending counts: before a batch leaves. */
static void
caches_flush(struct ipsecd_worker *w)
{
	unsigned i;

	for (i = 0; i < PKT_META_ENTRIES; i++) {
		if (w->out_c[i].epoch == w->epoch && w->out_c[i].e != NULL)
			cache_flush(w, &w->out_c[i]);
		if (w->in_c[i].epoch == w->epoch && w->in_c[i].e != NULL)
			cache_flush(w, &w->in_c[i]);
	}
}

/* One SA in one cache only, so that its pending counts have one room. */
static void
cache_unshare(struct ipsecd_worker *w, const struct sa_entry *e)
{
	struct ipsecd_sa_cache *c;
	unsigned i;

	for (i = 0; i < 2 * PKT_META_ENTRIES; i++) {
		c = i < PKT_META_ENTRIES ? &w->out_c[i] :
		    &w->in_c[i - PKT_META_ENTRIES];
		if (c->epoch == w->epoch && c->e == e) {
			cache_flush(w, c);
			c->epoch = 0;
		}
	}
}

static void
cache_fill(struct ipsecd_worker *w, struct ipsecd_sa_cache *c,
    struct sa_entry *e, const struct pkt_meta *m)
{
	if (c->epoch == w->epoch && c->e != NULL)
		cache_flush(w, c);
	c->epoch = 0;
	w->d->c.sa_lookups++;
	if (e != NULL) {
		cache_unshare(w, e);
		xsa_fill(e, m, &c->xs);
		if (e->state != NULL)
			sa_pstate_room(e->state, &e->se.lft, &c->room_pkts,
			    &c->room_bytes);
	}
	c->epoch = w->epoch;
	c->e = e;
	c->dfbit = m->dfbit;
	c->ecn = m->ecn;
	c->ttl = m->ttl;
	c->cleartos = m->ah_cleartos;
	c->offsetmask = m->ah_offsetmask;
	c->pend_pkts = 0;
	c->pend_bytes = 0;
}

static struct ipsecd_sa_cache *
cache_out(struct ipsecd_worker *w, unsigned layer,
    const struct sa_out_req *req, const struct pkt_meta *m)
{
	struct ipsecd_sa_cache *c = &w->out_c[layer];

	if (c->epoch == w->epoch && c->req.proto == req->proto &&
	    c->req.mode == req->mode && c->req.reqid == req->reqid &&
	    addr_eq(&c->req.src, &req->src) &&
	    addr_eq(&c->req.dst, &req->dst) && sysctl_eq(c, m))
		return c;
	cache_fill(w, c, sa_table_lookup_out(w->d->sat, req), m);
	c->req = *req;
	return c;
}

static struct ipsecd_sa_cache *
cache_in(struct ipsecd_worker *w, unsigned layer, uint32_t spi,
    const struct sa_addr *dst, uint8_t proto, const struct pkt_meta *m)
{
	struct ipsecd_sa_cache *c = &w->in_c[layer];

	if (c->epoch == w->epoch && c->spi == spi && c->req.proto == proto &&
	    addr_eq(&c->req.dst, dst) && sysctl_eq(c, m))
		return c;
	cache_fill(w, c, sa_table_lookup_in(w->d->sat, spi, dst, proto), m);
	memset(&c->req, 0, sizeof(c->req));
	c->req.proto = proto;
	c->req.dst = *dst;
	c->spi = spi;
	return c;
}

/*
 * Count a packet of len bytes on c's SA: pending until the batch leaves,
 * at once when it reaches a lifetime limit.
 */
static void
cache_count(struct ipsecd_worker *w, struct ipsecd_sa_cache *c, size_t len)
{
	c->pend_pkts++;
	c->pend_bytes += len;
	if (c->pend_pkts > c->room_pkts || c->pend_bytes > c->room_bytes)
		cache_flush(w, c);
}

/* ---- PROTECT ---- */

/* The SA request of policy request rq for a packet from psrc to pdst. */
static void
out_req(struct sa_out_req *req, const struct pkt_entry *rq,
    const struct sa_addr *psrc, const struct sa_addr *pdst)
{
	memset(req, 0, sizeof(*req));
	req->proto = rq->proto;
	req->mode = rq->mode;
	/* reqid binds only for unique (KAME CMP_MODE_REQID). */
	req->reqid = rq->level == PKT_LEVEL_UNIQUE ? rq->reqid : 0;
	if (rq->dst.family != 0) {
		addr_from_pkt(&req->src, &rq->src);
		addr_from_pkt(&req->dst, &rq->dst);
	} else {
		req->src = *psrc;
		req->dst = *pdst;
	}
}

/*
 * The addresses of a packet to protect, read without the checks that
 * esp_encap()/ah_encap() make anyway, so that its header is checked
 * once; a packet they refuse is parsed again for its precise reason
 * (protect_refused()). false: neither IPv4 nor IPv6, or too short.
 */
static bool
addr_peek(const struct xform_pkt *pkt, struct sa_addr *src,
    struct sa_addr *dst)
{
	const uint8_t *p = pkt->buf + pkt->off;

	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (pkt->len >= 20 && p[0] >> 4 == 4) {
		src->family = dst->family = 4;
		memcpy(src->a, p + 12, 4);
		memcpy(dst->a, p + 16, 4);
		return true;
	}
	if (pkt->len >= 40 && p[0] >> 4 == 6) {
		src->family = dst->family = 6;
		memcpy(src->a, p + 8, 16);
		memcpy(dst->a, p + 24, 16);
		return true;
	}
	return false;
}

/*
 * A packet to protect refused (error from encap, or -EINVAL before):
 * its IP header's precise reason when the header is bad, else what the
 * error means.
 */
static enum pkt_result
protect_refused(struct ipsecd *d, const struct xform_pkt *pkt, int error)
{
	enum xform_reject why;
	struct ip_info ip;

	if (error == -EINVAL && ip_hdr_parse(pkt->buf + pkt->off, pkt->len,
	    IP_WALK_ALL, &ip, &why) != 0) {
		drop_count(d, why);
		log_rl_warnx(&d->rl_pkt, "pkt: protect: %s",
		    xform_reject_str(why));
		return PKT_R_MALFORMED;
	}
	return encap_result(d, error);
}

static enum pkt_result
protect_one(struct ipsecd_worker *w, const struct pkt_meta *m,
    unsigned layer, struct xform_pkt *pkt)
{
	struct ipsecd *d = w->d;
	const struct pkt_entry *rq = &m->e[layer];
	struct ipsecd_sa_cache *c;
	enum xform_reject why;
	struct sa_out_req req;
	struct ip_info ip;
	struct sa_addr psrc, pdst;
	struct sa_entry *e;
	uint64_t seq;
	size_t len0 = pkt->len;
	int error;

	if (!addr_peek(pkt, &psrc, &pdst))
		return protect_refused(d, pkt, -EINVAL);
	out_req(&req, rq, &psrc, &pdst);
	c = cache_out(w, layer, &req, m);
	if ((e = c->e) == NULL) {
		/* No ACQUIRE for a packet whose header is bad. */
		if (ip_hdr_parse(pkt->buf + pkt->off, pkt->len, IP_WALK_ALL,
		    &ip, &why) != 0)
			return protect_refused(d, pkt, -EINVAL);
		req.reqid = rq->reqid;
		ipsecd_acquire(d, rq->policy_id, &req, &psrc, &pdst);
		/* KAME ipsec4_output: level use goes on without this
		 * transform (in clear when it is the only one). */
		return rq->level == PKT_LEVEL_USE ? PKT_R_OK : PKT_R_NO_SA;
	}
	if (e->state == NULL || hard_expired(e))
		return PKT_R_SA_UNUSABLE;
	if (sa_pstate_out_next(e->state, &seq) != 0) {
		log_rl_warnx(&d->rl_pkt, "pkt: spi 0x%08x: sequence numbers "
		    "exhausted", e->se.spi);
		return PKT_R_SEQ_EXHAUSTED;
	}
	/* A bad header is refused here (its sequence number is lost). */
	if (e->se.proto == IPPROTO_NUM_ESP)
		error = esp_encap(&c->xs, pkt, seq, seq);
	else
		error = ah_encap(&c->xs, pkt, seq);
	if (error != 0)
		return protect_refused(d, pkt, error);
	/* Counted before the packet leaves: a kill -9 errs towards more. */
	cache_count(w, c, len0);
	return PKT_R_OK;
}

static enum pkt_result
protect(struct ipsecd_worker *w, const struct pkt_meta *m,
    struct xform_pkt *pkt, uint32_t *hint)
{
	size_t off0 = pkt->off, len0 = pkt->len, grown;
	enum pkt_result r = PKT_R_OK;
	bool saved = false;
	unsigned i;

	if (m->mtu != 0 && len0 + OVERHEAD_MAX > m->mtu) {
		memcpy(w->scratch, pkt->buf + off0, len0);
		saved = true;
	}
	for (i = 0; i < m->n && r == PKT_R_OK; i++)
		r = protect_one(w, m, i, pkt);
	if (r != PKT_R_OK || m->mtu == 0 || pkt->len <= m->mtu)
		return r;
	/* Too big for the link: netd answers with the inner MTU. */
	grown = pkt->len - len0;
	*hint = m->mtu > grown ? (uint32_t)(m->mtu - grown) : 0;
	if (saved) {
		memcpy(pkt->buf + off0, w->scratch, len0);
		pkt->off = off0;
		pkt->len = len0;
	}
	return PKT_R_TOO_BIG;
}

/* ---- UNPROTECT ---- */

/* The ESP or AH header of an inbound packet: SPI, sequence, SA key. */
struct in_hdr {
	struct esp_in	ein;
	struct ah_in	ain;
	uint8_t		proto;
	uint32_t	spi;
	uint32_t	seq_lo;
	struct sa_addr	dst;
};

static int
in_parse(const struct xform_pkt *pkt, struct in_hdr *h,
    enum xform_reject *why)
{
	struct ip_info ip;

	if (ip_hdr_parse(pkt->buf + pkt->off, pkt->len, IP_WALK_ALL, &ip,
	    why) != 0)
		return -EBADMSG;
	if (ip.proto == IPPROTO_NUM_AH) {
		if (ah_parse(pkt, &h->ain, why) != 0)
			return -EBADMSG;
		h->proto = IPPROTO_NUM_AH;
		h->spi = h->ain.spi;
		h->seq_lo = h->ain.seq_lo;
		addr_from_xform(&h->dst, &h->ain.ip.dst);
	} else {
		if (esp_parse(pkt, &h->ein, why) != 0)
			return -EBADMSG;
		h->proto = IPPROTO_NUM_ESP;
		h->spi = h->ein.spi;
		h->seq_lo = h->ein.seq_lo;
		addr_from_xform(&h->dst, &h->ein.ip.dst);
	}
	return 0;
}

/* The removed SA, for netd's inbound policy check. */
static void
done_entry(struct pkt_entry *out, const struct sa_entry *e)
{
	memset(out, 0, sizeof(*out));
	out->proto = e->se.proto;
	out->mode = e->se.mode == SA_MODE_TUNNEL ? PKT_MODE_TUNNEL :
	    PKT_MODE_TRANSPORT;
	out->reqid = e->se.reqid;
	out->spi = e->se.spi;
	out->gen = e->se.gen;
	pkt_addr_from_sa(&out->src, &e->se.src);
	pkt_addr_from_sa(&out->dst, &e->se.dst);
}

static enum pkt_result
unprotect_one(struct ipsecd_worker *w, const struct pkt_meta *m,
    unsigned layer, struct xform_pkt *pkt, struct pkt_entry *out)
{
	struct ipsecd *d = w->d;
	enum xform_reject why = XFORM_REJECT_NONE;
	struct ipsecd_sa_cache *c;
	struct in_hdr h;
	struct sa_entry *e;
	uint64_t seq64;
	int error;

	if (in_parse(pkt, &h, &why) != 0)
		goto reject;
	c = cache_in(w, layer, h.spi, &h.dst, h.proto, m);
	if ((e = c->e) == NULL)
		return PKT_R_UNKNOWN_SPI;
	if (e->state == NULL || hard_expired(e))
		return PKT_R_SA_UNUSABLE;
	/* RFC 4303 §3.4.3: the window first, then the ICV, then advance. */
	if (!replay_ok(sa_pstate_in_check(e->state, h.seq_lo, &seq64)))
		return PKT_R_REPLAY;
	if (h.proto == IPPROTO_NUM_AH)
		error = ah_decap(&c->xs, pkt, &h.ain, (uint32_t)(seq64 >> 32),
		    &why);
	else
		error = esp_decap(&c->xs, pkt, &h.ein,
		    (uint32_t)(seq64 >> 32), &why);
	if (error < 0)
		goto reject;
	if (!replay_ok(sa_pstate_in_advance(e->state, seq64)))
		return PKT_R_REPLAY;
	cache_count(w, c, pkt->len);
	if (error == XFORM_DROP) {
		drop_count(d, why);
		return PKT_R_DUMMY;	/* authenticated TFC dummy */
	}
	done_entry(out, e);
	return PKT_R_OK;
reject:
	drop_count(d, why);
	if (!xform_reject_silent(why))
		log_rl_warnx(&d->rl_pkt, "pkt: unprotect: %s",
		    xform_reject_str(why));
	return ipsecd_drop_result(why);
}

static enum pkt_result
unprotect(struct ipsecd_worker *w, const struct pkt_meta *m,
    struct xform_pkt *pkt, uint8_t *slot)
{
	enum pkt_meta_reject why;
	struct pkt_meta res;
	enum xform_reject xwhy;
	struct ip_info ip;
	enum pkt_result r;

	res = *m;
	res.n = 0;
	memset(res.e, 0, sizeof(res.e));
	while (res.n < PKT_META_ENTRIES) {
		/* A second layer only when ESP or AH follows. */
		if (res.n > 0 && (ip_hdr_parse(pkt->buf + pkt->off, pkt->len,
		    IP_WALK_ALL, &ip, &xwhy) != 0 ||
		    (ip.proto != IPPROTO_NUM_ESP &&
		    ip.proto != IPPROTO_NUM_AH)))
			break;
		if ((r = unprotect_one(w, m, res.n, pkt, &res.e[res.n])) !=
		    PKT_R_OK)
			return r;
		res.n++;
	}
	if (pkt_meta_encode(&res, PKT_META_DONE, slot, pkt->off, &why) != 0) {
		log_rl_warnx(&w->d->rl_pkt, "pkt: result block: %s",
		    pkt_meta_reject_str(why));
		return PKT_R_INTERNAL;
	}
	return PKT_R_OK;
}

/* ---- one descriptor, one batch ---- */

/*
 * The metadata block of descriptor dsc: copied out of the slot once;
 * when its bytes equal the block decoded last (netd sends runs of one
 * flow), that decoding is used again, else the copy is decoded and
 * checked (pkt_meta_decode()).
 */
static int
meta_get(struct ipsecd_worker *w, const uint8_t *slot,
    const struct ring_desc *dsc, const struct pkt_meta **mp,
    enum pkt_meta_reject *why)
{
	struct ipsecd_meta_cache *mc = &w->mc;
	uint8_t raw[PKT_META_BYTES];

	*mp = &mc->m;
	if (dsc->off < PKT_META_BYTES) {
		/* No room for a block: decode says why. */
		mc->valid = false;
		return pkt_meta_decode(slot, dsc->off, dsc->op, PKT_META_WORK,
		    &mc->m, why);
	}
	memcpy(raw, slot, PKT_META_BYTES);
	if (mc->valid && mc->op == dsc->op &&
	    memcmp(raw, mc->raw, PKT_META_BYTES) == 0) {
		w->d->c.meta_reused++;
		return 0;
	}
	mc->valid = false;
	if (pkt_meta_decode(raw, dsc->off, dsc->op, PKT_META_WORK, &mc->m,
	    why) != 0)
		return -EBADMSG;
	memcpy(mc->raw, raw, PKT_META_BYTES);
	mc->op = dsc->op;
	mc->valid = true;
	return 0;
}

static void
process(struct ipsecd_worker *w, struct ring_desc *dsc, uint32_t slot_bytes)
{
	struct ipsecd *d = w->d;
	enum pkt_meta_reject why;
	const struct pkt_meta *m;
	struct xform_pkt pkt;
	enum pkt_result r;
	uint32_t hint = dsc->hint;
	uint8_t *slot;

	if (dsc->result != 0) {
		r = PKT_R_RING_RANGE;	/* ring_recv: off + len overran */
		goto out;
	}
	if ((slot = ring_slot(w->r, dsc->slot)) == NULL) {
		r = PKT_R_INTERNAL;
		goto out;
	}
	if (meta_get(w, slot, dsc, &m, &why) != 0) {
		log_rl_warnx(&d->rl_pkt, "pkt: slot %u: metadata refused: %s",
		    dsc->slot, pkt_meta_reject_str(why));
		r = PKT_R_BAD_META;
		goto out;
	}
	pkt.buf = slot;
	pkt.cap = slot_bytes;
	pkt.off = dsc->off;
	pkt.len = dsc->len;
	if (m->op == PKT_OP_PROTECT) {
		d->c.protect++;
		r = protect(w, m, &pkt, &hint);
	} else {
		d->c.unprotect++;
		r = unprotect(w, m, &pkt, slot);
	}
	if (r == PKT_R_OK || r == PKT_R_TOO_BIG) {
		dsc->off = (uint16_t)pkt.off;
		dsc->len = (uint16_t)pkt.len;
	}
out:
	d->c.result[r]++;
	dsc->result = pkt_result_to_ring(r);
	dsc->flags = 0;
	dsc->hint = hint;
}

static void on_idle(uv_idle_t *);

/*
 * Up to IPSECD_RUN_BATCHES batches, each received, transformed and sent
 * back whole (the SA caches' counts written before it leaves), so that
 * a busy ring costs one turn of the libuv loop (an epoll_wait) per
 * IPSECD_RUN_BATCHES batches, not per batch.
 */
static void
run_batches(struct ipsecd_worker *w)
{
	struct ipsecd *d = w->d;
	uint32_t slot_bytes = ring_region_geom(w->r)->slot_bytes;
	int n, i, k, error;

	for (k = 0; k < IPSECD_RUN_BATCHES; k++) {
		if ((n = ring_recv(w->r, w->batch, IPSECD_BATCH)) < 0) {
			d->c.recv_failed++;
			log_rl_warnx(&d->rl_pkt, "ring %s: receive: %s",
			    w->name, strerror(-n));
			return;
		}
		if (n == 0)
			return;
		for (i = 0; i < n; i++)
			process(w, &w->batch[i], slot_bytes);
		caches_flush(w);
		if ((error = ring_send(w->r, w->batch, (unsigned)n)) != 0) {
			/* Cannot happen with slots we hold: a broken peer. */
			d->c.send_failed++;
			log_rl_warnx(&d->rl_pkt, "ring %s: send: %s", w->name,
			    strerror(-error));
		}
	}
}

static void
run(struct ipsecd_worker *w)
{
	struct ipsecd *d = w->d;

	/*
	 * Until the first sync with keyd we have no SAs: work waits in the
	 * ring (fail closed, no needless ACQUIREs). The bell is drained and
	 * not re-armed; ipsecd_io_kick() resumes.
	 */
	if (!d->synced_once) {
		ring_sleep_finish(w->r);
		if (w->idle_on) {
			w->idle_on = false;
			(void)uv_idle_stop(&w->idle);
		}
		return;
	}
	/* A new turn: the SA table may have changed since the last. */
	w->epoch++;
	w->now_s = (uint64_t)time(NULL);
	run_batches(w);
	if (d->usage_now)
		ipsecd_usage_report(d);
	/* ring.h: more work, or work while spinning, or a lost race. */
	if (ring_pending(w->r) != 0 || ring_spin(w->r, w->spin_iters) ||
	    !ring_sleep_prepare(w->r)) {
		if (!w->idle_on) {
			w->idle_on = true;
			(void)uv_idle_start(&w->idle, on_idle);
		}
	} else if (w->idle_on) {
		/* Armed: the doorbell wakes us. */
		w->idle_on = false;
		(void)uv_idle_stop(&w->idle);
	}
}

static void
on_idle(uv_idle_t *h)
{
	run(h->data);
}

static void
on_bell(uv_poll_t *h, int status, int events)
{
	struct ipsecd_worker *w = h->data;

	(void)events;
	if (status < 0) {
		log_rl_warnx(&w->d->rl_pkt, "ring %s: doorbell: %s", w->name,
		    uv_strerror(status));
		return;
	}
	ring_sleep_finish(w->r);
	run(w);
}

/*
 * Spin iterations per microsecond, measured once on an idle ring (one
 * iteration is a check of the ring and a CPU pause).
 */
static uint32_t
calibrate(struct ring_region *r)
{
	const uint32_t iters = 20000;
	uint64_t t0, ns;

	t0 = uv_hrtime();
	if (ring_spin(r, iters))
		return 32;	/* work waiting: assume 30 ns */
	ns = uv_hrtime() - t0;
	if (ns < 1000)
		return 32;
	return (uint32_t)((uint64_t)iters * 1000 / ns) + 1;
}

int
ipsecd_io_start(struct ipsecd *d)
{
	struct ipsecd_worker *w;
	size_t i, n = server_nregions(d->srv);

	if (n == 0) {
		log_info("rings: none handed to us (no supervisor?)");
		return 0;
	}
	if ((d->w = calloc(n, sizeof(*d->w))) == NULL)
		return -ENOMEM;
	d->nw = n;
	for (i = 0; i < n; i++) {
		w = &d->w[i];
		w->d = d;
		w->r = server_region(d->srv, i, &w->name);
		if (ring_region_geom(w->r)->headroom < PKT_HEADROOM_MIN)
			log_warnx("ring %s: headroom %u below %u: every packet "
			    "will be refused", w->name,
			    ring_region_geom(w->r)->headroom, PKT_HEADROOM_MIN);
		if ((w->scratch = malloc(ring_region_geom(w->r)->slot_bytes))
		    == NULL)
			return -ENOMEM;
		w->spin_iters = calibrate(w->r) * IPSECD_SPIN_US;
		if (uv_poll_init(d->loop, &w->poll, ring_wake_fd(w->r)) != 0 ||
		    uv_idle_init(d->loop, &w->idle) != 0)
			return -EIO;
		w->poll.data = w;
		w->idle.data = w;
		if (uv_poll_start(&w->poll, UV_READABLE, on_bell) != 0)
			return -EIO;
		/* Work may be waiting from before our start. */
		w->idle_on = true;
		(void)uv_idle_start(&w->idle, on_idle);
		log_info("ring %s: side B, %u slots of %u bytes, headroom %u, "
		    "spin %u iterations", w->name,
		    ring_region_geom(w->r)->nslots,
		    ring_region_geom(w->r)->slot_bytes,
		    ring_region_geom(w->r)->headroom, w->spin_iters);
	}
	return 0;
}

unsigned
ipsecd_io_waiting(struct ipsecd *d)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < d->nw; i++)
		n += ring_pending(d->w[i].r);
	return n;
}

void
ipsecd_io_kick(struct ipsecd *d)
{
	size_t i;

	for (i = 0; i < d->nw; i++)
		if (!d->w[i].idle_on) {
			d->w[i].idle_on = true;
			(void)uv_idle_start(&d->w[i].idle, on_idle);
		}
}

void
ipsecd_io_stop(struct ipsecd *d)
{
	size_t i;

	for (i = 0; i < d->nw; i++) {
		if (!uv_is_closing((uv_handle_t *)&d->w[i].poll))
			uv_close((uv_handle_t *)&d->w[i].poll, NULL);
		if (!uv_is_closing((uv_handle_t *)&d->w[i].idle))
			uv_close((uv_handle_t *)&d->w[i].idle, NULL);
	}
}
