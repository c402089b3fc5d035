/*
 * netd_ring.c - netd's packet path through ipsecd (see netd_ring.h).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gso.h"
#include "ipsec_policy.h"
#include "netd_ring.h"

/* Room for a reassembled datagram and the Ethernet header before it. */
#define BIG_BYTES	(NETD_ETH_MAX + 65535 + 40)
#define ICMP_RATE	1000	/* Linux icmp_msgs_per_sec */
#define ICMP_BURST	50	/* Linux icmp_msgs_burst */

struct netd_held {
	struct link_vnet	vnet;
	uint32_t		len;
	uint8_t			from;
	bool			csum_partial;
	uint8_t			data[];
};

void
netd_ring_vars_default(struct netd_ring_vars *v)
{
	memset(v, 0, sizeof(*v));
	v->ah_cleartos = 1;
}

/* ---- the tables ---- */

static const uint8_t act_protect[PKT_R_COUNT] = {
	[PKT_R_OK] = NETD_ACT_WIRE,
	[PKT_R_TOO_BIG] = NETD_ACT_TOO_BIG,
};
static const uint8_t act_unprotect[PKT_R_COUNT] = {
	[PKT_R_OK] = NETD_ACT_INNER,
};

enum netd_act
netd_ring_action(uint8_t op, enum pkt_result r)
{
	if ((unsigned)r >= PKT_R_COUNT)
		return NETD_ACT_DROP;
	if (op == PKT_OP_PROTECT)
		return (enum netd_act)act_protect[r];
	if (op == PKT_OP_UNPROTECT)
		return (enum netd_act)act_unprotect[r];
	return NETD_ACT_DROP;
}

/* [proto is AH][tunnel]: which default-level variable (KAME
 * ipsec_get_reqlevel: esp_trans, esp_net, ah_trans, ah_net). */
static const uint8_t deflev_var[2][2] = {
	{ DECIDE_LEV_ESP_TRANS, DECIDE_LEV_ESP_NET },
	{ DECIDE_LEV_AH_TRANS, DECIDE_LEV_AH_NET },
};

static uint8_t
req_level(const struct decide_params *params, uint16_t family,
    const struct spd_req *rq)
{
	uint8_t v;

	if (rq->level != PARAPET_IPSEC_LEVEL_DEFAULT)
		return rq->level;
	v = params->deflev[family == AF_INET6 ? 1 : 0]
	    [deflev_var[rq->proto == IPPROTO_AH]
	    [rq->mode == PARAPET_IPSEC_MODE_TUNNEL]];
	return v == PARAPET_IPSEC_LEVEL_REQUIRE ? PKT_LEVEL_REQUIRE :
	    PKT_LEVEL_USE;
}

static void
addr_from_req(struct pkt_addr *a, uint16_t family, const uint8_t *src)
{
	memset(a, 0, sizeof(*a));
	a->family = family == AF_INET6 ? 6 : 4;
	memcpy(a->a, src, family == AF_INET6 ? 16 : 4);
}

int
netd_ring_meta_protect(const struct spd_policy *p, unsigned req_index,
    uint16_t family, const struct decide_params *params,
    const struct netd_ring_vars *vars, uint16_t mtu, struct pkt_meta *m)
{
	const struct spd_req *rq;
	struct pkt_entry *e;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->op = PKT_OP_PROTECT;
	m->dfbit = vars->dfbit;
	m->ecn = vars->ecn;
	m->ah_cleartos = vars->ah_cleartos;
	m->ah_offsetmask = vars->ah_offsetmask;
	m->mtu = mtu;
	for (i = req_index; i < p->e.nreqs && i < SPD_MAX_REQS; i++) {
		rq = &p->e.req[i];
		if (rq->proto != IPPROTO_ESP && rq->proto != IPPROTO_AH)
			continue;	/* IPComp: level use (KAME), skipped */
		if (m->n == PKT_META_ENTRIES)
			return -E2BIG;
		e = &m->e[m->n++];
		e->proto = rq->proto;
		e->mode = rq->mode;
		e->level = req_level(params, family, rq);
		e->reqid = rq->reqid;
		e->policy_id = p->id;
		if (rq->family != 0) {
			addr_from_req(&e->src, rq->family, rq->tsrc);
			addr_from_req(&e->dst, rq->family, rq->tdst);
		}
	}
	if (m->n == 0)
		return -ENOENT;
	return pkt_meta_check(m, PKT_META_WORK) == PKT_MR_OK ? 0 : -EINVAL;
}

/* ---- setup ---- */

int
netd_ring_init(struct netd_ring *nr, struct ring_region *r,
    struct bridge *br, struct decide_ctx *dc, uint64_t now_ms, uint64_t seed)
{
	struct frag_limits lim;
	int error;

	memset(nr, 0, sizeof(*nr));
	nr->br = br;
	nr->dc = dc;
	nr->now_ms = now_ms;
	if (r != NULL) {
		nr->r = r;
		nr->g = ring_region_geom(r);
		if ((nr->slot = calloc(nr->g->nslots, sizeof(*nr->slot))) ==
		    NULL)
			return -ENOMEM;
	}
	if ((error = decide_holdq_init(&nr->hold, NETD_HOLD_CAP,
	    NETD_HOLD_MS)) != 0)
		return error;
	frag_limits_default(&lim);
	if ((error = frag_create(&nr->frag, &lim, seed)) != 0)
		return error;
	if ((nr->big = malloc(BIG_BYTES)) == NULL ||
	    (nr->gro_arena = malloc(NETD_GRO_ARENA)) == NULL)
		return -ENOMEM;
	icmp_bucket_init(&nr->icmp, ICMP_RATE, ICMP_BURST, now_ms);
	br->divert = netd_ring_divert;
	br->divert_arg = nr;
	return 0;
}

static void
held_free(void *item, void *arg)
{
	(void)arg;
	free(item);
}

void
netd_ring_fini(struct netd_ring *nr)
{
	if (nr->br != NULL && nr->br->divert_arg == nr) {
		nr->br->divert = NULL;
		nr->br->divert_arg = NULL;
	}
	if (nr->hold.item != NULL) {
		(void)decide_holdq_release(&nr->hold, held_free, NULL);
		decide_holdq_fini(&nr->hold);
	}
	frag_destroy(nr->frag);
	free(nr->big);
	free(nr->gro_arena);
	free(nr->slot);
	memset(nr, 0, sizeof(*nr));
}

/* ---- outbound: frames to the work ring ---- */

static void
slot_release(struct netd_ring *nr, uint32_t s)
{
	nr->slot[s].op = PKT_OP_NONE;
	if (ring_slot_free(nr->r, s) != 0)
		nr->st.bad_done++;	/* not ours: a bug, counted */
}

void
netd_ring_flush(struct netd_ring *nr)
{
	unsigned i;

	if (nr->nwork == 0)
		return;
	if (ring_send(nr->r, nr->work, nr->nwork) != 0) {
		/* Only a corrupted peer: the slots are ours, take them back. */
		nr->st.send_failed += nr->nwork;
		for (i = 0; i < nr->nwork; i++)
			slot_release(nr, nr->work[i].slot);
	} else {
		nr->st.sent += nr->nwork;
		nr->st.batches++;
	}
	nr->nwork = 0;
}

static void
vars_of(const struct netd_ring *nr, uint16_t family, struct netd_ring_vars *v)
{
	netd_ring_vars_default(v);
	if (nr->vars != NULL)
		nr->vars(nr->vars_arg, family, v);
}

/* The metadata for a frame: 0, or -1 (counted). */
/*
 * The policy a PROTECT verdict names: the SPD's, or a per-socket one,
 * which lives in policyd's registry (netd_spd_sockpol()), not in the
 * SPD: the hook is asked again, as decide() asked it, and its requests
 * copied into *tmp.
 */
static const struct spd_policy *
policy_of(const struct netd_ring *nr, const struct pkt_info *pi,
    const struct decide_result *res, struct spd_policy *tmp)
{
	struct decide_sockpol sp;
	struct spd_pkt k;

	if (res->why != DECIDE_W_SOCKET)
		return spd_get_id(nr->dc->spd, res->policy_id);
	decide_spd_pkt(pi, &k);
	if (nr->dc->sock == NULL ||
	    !nr->dc->sock(nr->dc->arg, res->dir, &k, &sp) ||
	    sp.action != DECIDE_SP_IPSEC || sp.nreqs > SPD_MAX_REQS)
		return NULL;
	memset(tmp, 0, sizeof(*tmp));
	tmp->id = sp.id;
	tmp->e.dir = res->dir;
	tmp->e.action = SPD_ACTION_IPSEC;
	tmp->e.nreqs = sp.nreqs;
	memcpy(tmp->e.req, sp.req, sizeof(tmp->e.req));
	return tmp;
}

/*
 * The MTU a PROTECT must fit (netd_pmtu.h): the link's, or less if the
 * outer destination's path MTU was learned. Outer destination: the
 * remote end of the last (outermost) tunnel, else the packet's own.
 */
static uint16_t
pmtu_for(struct netd_ring *nr, const struct pkt_info *pi,
    const struct pkt_meta *m)
{
	const uint8_t *dst = pi->dst;
	uint16_t fam = pi->family;
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].dst.family != 0) {
			dst = m->e[i].dst.a;
			fam = m->e[i].dst.family == 6 ? AF_INET6 : AF_INET;
		}
	return netd_pmtu_mtu(nr->pmtu, fam, dst, nr->mtu, nr->now_ms);
}

static int
meta_for(struct netd_ring *nr, struct link_pkt *p, const struct pkt_info *pi,
    const struct decide_result *res, struct pkt_meta *m)
{
	const struct spd_policy *pol;
	struct spd_policy tmp;
	struct netd_ring_vars v;

	vars_of(nr, pi->family, &v);
	if (res->verdict == DECIDE_V_UNPROTECT) {
		memset(m, 0, sizeof(*m));
		m->op = PKT_OP_UNPROTECT;
		m->ecn = v.ecn;
		m->ah_cleartos = v.ah_cleartos;
		m->ah_offsetmask = v.ah_offsetmask;
		if (p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			nr->st.gso_dropped++;	/* ESP superpackets: no */
			return -1;
		}
		return 0;
	}
	/*
	 * The packet is encrypted whole: a superpacket is cut into
	 * segments (gso.c, checksums computed there), a partial checksum
	 * completed.
	 */
	if (p->vnet.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    (p->vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 &&
	    link_csum_complete(p->data, p->len, p->vnet.csum_start,
	    p->vnet.csum_offset) == 0)
		p->vnet.flags = 0;
	if ((pol = policy_of(nr, pi, res, &tmp)) == NULL) {
		nr->st.no_policy++;
		return -1;
	}
	if (netd_ring_meta_protect(pol, res->req_index, pi->family,
	    &nr->dc->params, &v, nr->mtu, m) != 0) {
		nr->st.bad_policy++;
		return -1;
	}
	if (nr->pmtu != NULL)
		m->mtu = pmtu_for(nr, pi, m);
	return 0;
}

/*
 * One datagram (len bytes at ip) with metadata m into a fresh slot and
 * onto the work batch; eth: the frame's Ethernet header (l3 bytes).
 * false when no slot is left (counted).
 */
static bool
submit_one(struct netd_ring *nr, const struct pkt_meta *m,
    enum decide_from from, const uint8_t *eth, size_t l3,
    const struct gso *g, const uint8_t *ip, uint32_t seg, size_t len)
{
	enum pkt_meta_reject why;
	struct netd_slot *ctx;
	struct ring_desc *d;
	size_t off = nr->g->headroom;
	uint32_t s;
	uint8_t *slot;

	if (ring_slot_alloc(nr->r, &s) != 0) {
		nr->st.no_slot++;
		return false;
	}
	slot = ring_slot(nr->r, s);
	if (pkt_meta_encode(m, PKT_META_WORK, slot, off, &why) != 0) {
		nr->st.bad_policy++;
		slot_release(nr, s);
		return true;
	}
	if (g == NULL)
		memcpy(slot + off, ip, len);
	else if (gso_segment(g, ip, seg, slot + off,
	    nr->g->slot_bytes - off - nr->g->tailroom, &len) != 0) {
		nr->st.too_long++;	/* a segment larger than a slot */
		slot_release(nr, s);
		return true;
	}
	ctx = &nr->slot[s];
	ctx->op = m->op;
	ctx->from = (uint8_t)from;
	ctx->eth_len = (uint8_t)l3;
	memcpy(ctx->eth, eth, l3);
	d = &nr->work[nr->nwork++];
	memset(d, 0, sizeof(*d));
	d->slot = s;
	d->off = (uint16_t)off;
	d->len = (uint16_t)len;
	d->op = m->op;
	d->hint = s;
	if (nr->nwork == NETD_RING_BATCH)
		netd_ring_flush(nr);
	return true;
}

/* A TCP superpacket to protect: one slot per segment, in order. */
static void
submit_gso(struct netd_ring *nr, const struct link_pkt *p,
    enum decide_from from, size_t l3, const struct pkt_info *pi,
    const struct pkt_meta *m)
{
	struct gso g;
	uint32_t i;

	if (gso_prepare(&g, p->data + l3, pi->len, &p->vnet) != 0) {
		nr->st.gso_dropped++;
		return;
	}
	nr->st.gso_super++;
	for (i = 0; i < g.nsegs; i++) {
		if (!submit_one(nr, m, from, p->data, l3, &g, p->data + l3, i,
		    0))
			return;
		nr->st.gso_segs++;
	}
}

static void
submit(struct netd_ring *nr, struct link_pkt *p, enum decide_from from,
    size_t l3, const struct pkt_info *pi, const struct decide_result *res)
{
	struct pkt_meta m;

	if (nr->r == NULL) {
		nr->st.no_slot++;
		return;
	}
	if (l3 > NETD_ETH_MAX || (p->vnet.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    nr->g->headroom + pi->len + nr->g->tailroom > nr->g->slot_bytes)) {
		nr->st.too_long++;
		return;
	}
	if (meta_for(nr, p, pi, res, &m) != 0)
		return;
	if (p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		submit_gso(nr, p, from, l3, pi, &m);
	else
		(void)submit_one(nr, &m, from, p->data, l3, NULL,
		    p->data + l3, 0, pi->len);
}

static void
hold(struct netd_ring *nr, const struct link_pkt *p, enum decide_from from)
{
	struct netd_held *h;

	if ((h = malloc(sizeof(*h) + p->len)) == NULL) {
		nr->st.hold_full++;
		return;
	}
	h->vnet = p->vnet;
	h->len = p->len;
	h->from = (uint8_t)from;
	h->csum_partial = p->csum_partial;
	memcpy(h->data, p->data, p->len);
	if (decide_holdq_push(&nr->hold, h, nr->now_ms) != 0) {
		free(h);
		nr->st.hold_full++;
		return;
	}
	nr->st.held++;
}

/* A fragment for us: into frag.c; a whole datagram goes round again. */
static void
reassemble(struct netd_ring *nr, const struct link_pkt *p,
    enum decide_from from, size_t l3, const struct pkt_info *pi)
{
	struct link_pkt q;
	size_t n = 0;

	if (l3 > NETD_ETH_MAX) {
		nr->st.frag_dropped++;
		return;
	}
	switch (frag_add(nr->frag, p->data + l3, pi, nr->now_ms,
	    nr->big + l3, BIG_BYTES - l3, &n)) {
	case FRAG_HELD:
		nr->st.frag_held++;
		return;
	case FRAG_DONE:
		break;
	default:
		nr->st.frag_dropped++;
		return;
	}
	nr->st.frag_done++;
	memcpy(nr->big, p->data, l3);
	memset(&q, 0, sizeof(q));
	q.data = nr->big;
	q.len = (uint32_t)(l3 + n);
	q.cap = BIG_BYTES;
	/* Parsed and decided again: no longer a fragment. */
	bridge_inject(nr->br, &q, from);
}

void
netd_ring_divert(void *arg, struct link_pkt *p, enum decide_from from,
    size_t l3, const struct pkt_info *pi, const struct decide_result *res)
{
	struct netd_ring *nr = arg;

	switch (res->verdict) {
	case DECIDE_V_PROTECT:
	case DECIDE_V_UNPROTECT:
		submit(nr, p, from, l3, pi, res);
		break;
	case DECIDE_V_REASSEMBLE:
		reassemble(nr, p, from, l3, pi);
		break;
	case DECIDE_V_HOLD:
		hold(nr, p, from);
		break;
	default:
		break;
	}
}

/* ---- the hold queue ---- */

static void
release_one(void *item, void *arg)
{
	struct netd_held *h = item;
	struct netd_ring *nr = arg;
	struct link_pkt q;

	memset(&q, 0, sizeof(q));
	q.data = h->data;
	q.len = h->len;
	q.cap = h->len;
	q.vnet = h->vnet;
	q.csum_partial = h->csum_partial;
	nr->st.released++;
	bridge_inject(nr->br, &q, (enum decide_from)h->from);
	free(h);
}

void
netd_ring_release(struct netd_ring *nr)
{
	(void)decide_holdq_release(&nr->hold, release_one, nr);
	if (nr->r != NULL)
		netd_ring_flush(nr);
}

static void
expire_one(void *item, void *arg)
{
	struct netd_ring *nr = arg;

	nr->st.hold_expired++;
	free(item);
}

void
netd_ring_tick(struct netd_ring *nr)
{
	(void)decide_holdq_expire(&nr->hold, nr->now_ms, expire_one, nr);
	nr->st.frag_dropped += frag_expire(nr->frag, nr->now_ms);
}

uint64_t
netd_ring_next(const struct netd_ring *nr)
{
	uint64_t a = decide_holdq_next(&nr->hold);
	uint64_t b = frag_next_deadline(nr->frag);

	return a < b ? a : b;
}

/* ---- inbound: the done ring ---- */

static uint16_t
ethertype_of(const uint8_t *ip)
{
	switch (ip[0] >> 4) {
	case 4:
		return ETHERTYPE_IPV4;
	case 6:
		return ETHERTYPE_IPV6;
	default:
		return 0;
	}
}

/*
 * The datagram at slot[off, off + len) out on side `to`, behind the
 * Ethernet header eth (eth_len bytes; its ethertype set from the IP
 * version), written into the headroom. false when it does not fit.
 */
static bool
tx_add(struct netd_ring *nr, unsigned to, uint32_t s, size_t off, size_t len,
    const uint8_t *eth, size_t eth_len)
{
	uint8_t *slot = ring_slot(nr->r, s), *f;
	struct link_pkt *q;
	uint16_t et;

	if (len == 0 || off < eth_len || (et = ethertype_of(slot + off)) == 0)
		return false;
	f = slot + off - eth_len;
	if (eth_len >= 14) {
		memmove(f, eth, eth_len);
		f[eth_len - 2] = (uint8_t)(et >> 8);
		f[eth_len - 1] = (uint8_t)et;
	}
	q = &nr->tx[to][nr->ntx[to]];
	memset(q, 0, sizeof(*q));
	q->data = f;
	q->len = (uint32_t)(eth_len + len);
	q->cap = q->len;
	nr->txl3[to][nr->ntx[to]] = (uint8_t)eth_len;
	nr->txslot[to][nr->ntx[to]++] = s;
	return true;
}

/*
 * The batch for the host side of a vnet link, coalesced (gso.h): the
 * decrypted segments of one flow leave as one superpacket. Returns the
 * frames to send, in nr->gro_out (or nr->tx[side] unchanged).
 */
static struct link_pkt *
tx_coalesce(struct netd_ring *nr, unsigned side, unsigned *n)
{
	struct gro r;
	unsigned i;

	if (side != DECIDE_FROM_HOST || !nr->br->side[side]->vnet ||
	    nr->gro_arena == NULL || *n < 2)
		return nr->tx[side];
	gro_init(&r, nr->gro_out, NETD_RING_BATCH, nr->gro_arena,
	    NETD_GRO_ARENA);
	for (i = 0; i < *n; i++)
		(void)gro_add(&r, &nr->tx[side][i], nr->txl3[side][i]);
	*n = gro_finish(&r);
	nr->st.gro_merged += r.merged;
	nr->st.gro_bad_csum += r.bad_csum;
	return nr->gro_out;
}

static void
tx_flush(struct netd_ring *nr)
{
	unsigned side, i;
	int s;

	for (side = 0; side < 2; side++) {
		struct link_pkt *out;
		unsigned n = nr->ntx[side];

		if (n == 0)
			continue;
		out = tx_coalesce(nr, side, &n);
		s = link_send(nr->br->side[side], out, n);
		if (s < 0)
			nr->st.tx_lost += n;
		else if ((unsigned)s < n)
			nr->st.tx_lost += n - (unsigned)s;
		for (i = 0; i < nr->ntx[side]; i++)
			slot_release(nr, nr->txslot[side][i]);
		nr->ntx[side] = 0;
	}
}

/* UNPROTECT ok: the inner datagram, untrusted, against the policy. */
static bool
inner(struct netd_ring *nr, const struct ring_desc *d,
    const struct netd_slot *ctx)
{
	struct decide_applied ap[PKT_META_ENTRIES];
	enum pkt_meta_reject why;
	struct decide_result res;
	struct pkt_info pi;
	struct pkt_meta m;
	uint8_t *slot = ring_slot(nr->r, d->slot);
	unsigned i;

	if (pkt_meta_decode(slot, d->off, PKT_OP_UNPROTECT, PKT_META_DONE, &m,
	    &why) != 0 || m.n == 0 ||
	    pkt_parse(slot + d->off, d->len, &pi) != PKT_OK) {
		nr->st.bad_result++;
		return false;
	}
	for (i = 0; i < m.n; i++) {
		ap[i].proto = m.e[i].proto;
		ap[i].mode = m.e[i].mode;	/* 1/2 as KAME's modes */
		ap[i].reqid = m.e[i].reqid;
	}
	decide_inner(nr->dc, &pi, ap, m.n, &res);
	if (res.verdict != DECIDE_V_DELIVER &&
	    res.verdict != DECIDE_V_FORWARD) {
		nr->st.inner_discard++;
		return false;
	}
	if (!tx_add(nr, !ctx->from, d->slot, d->off, pi.len, ctx->eth,
	    ctx->eth_len)) {
		nr->st.bad_result++;
		return false;
	}
	nr->st.delivered++;
	return true;
}

/*
 * PROTECT too_big: the original is back at [off, off + len); an ICMP
 * error about it (source: its destination, as a router on the path
 * would) goes back out of the side it came from.
 */
static bool
too_big(struct netd_ring *nr, const struct ring_desc *d,
    const struct netd_slot *ctx)
{
	uint8_t *slot = ring_slot(nr->r, d->slot), eth[NETD_ETH_MAX];
	uint8_t *out = nr->big + NETD_ETH_MAX;
	struct pkt_info pi;
	size_t n = 0, el = ctx->eth_len;

	if (pkt_parse(slot + d->off, d->len, &pi) != PKT_OK ||
	    icmp_build_too_big(slot + d->off, &pi, pi.dst, d->hint, out,
	    1280, &n) != 0) {
		nr->st.icmp_refused++;
		return false;
	}
	if (!icmp_bucket_take(&nr->icmp, nr->now_ms)) {
		nr->st.icmp_limited++;
		return false;
	}
	/* The frame's addresses swapped: back to whoever sent it. */
	memcpy(eth, ctx->eth, el);
	if (el >= 14) {
		memcpy(eth, ctx->eth + 6, 6);
		memcpy(eth + 6, ctx->eth, 6);
	}
	if (el + n > nr->g->slot_bytes)
		return false;
	memcpy(slot + el, out, n);
	if (!tx_add(nr, ctx->from, d->slot, el, n, eth, el))
		return false;
	nr->st.icmp_sent++;
	return true;
}

/* A protected packet leaves: its (destination, SPI) for netd_pmtu. */
static void
pmtu_sent(struct netd_ring *nr, const struct ring_desc *d)
{
	struct pkt_info pi;

	if (nr->pmtu != NULL && pkt_parse(ring_slot(nr->r, d->slot) + d->off,
	    d->len, &pi) == PKT_OK)
		netd_pmtu_sent(nr->pmtu, &pi, nr->now_ms);
}

static void
done_one(struct netd_ring *nr, const struct ring_desc *d)
{
	struct netd_slot *ctx = &nr->slot[d->slot];
	enum pkt_result r = pkt_result_from_ring(d->result);
	bool kept = false;

	nr->st.done++;
	nr->st.result[r]++;
	if (ctx->op == PKT_OP_NONE ||
	    ((d->flags & RING_F_RECOVERED) == 0 && d->op != ctx->op)) {
		nr->st.bad_done++;
		slot_release(nr, d->slot);
		return;
	}
	switch ((d->flags & RING_F_RECOVERED) != 0 ? NETD_ACT_DROP :
	    netd_ring_action(ctx->op, r)) {
	case NETD_ACT_WIRE:
		kept = tx_add(nr, !ctx->from, d->slot, d->off, d->len,
		    ctx->eth, ctx->eth_len);
		if (kept) {
			nr->st.wire_out++;
			pmtu_sent(nr, d);
		}
		else
			nr->st.bad_result++;
		break;
	case NETD_ACT_INNER:
		kept = inner(nr, d, ctx);
		break;
	case NETD_ACT_TOO_BIG:
		kept = too_big(nr, d, ctx);
		break;
	default:
		break;
	}
	if (!kept)
		slot_release(nr, d->slot);
}

int
netd_ring_drain(struct netd_ring *nr, unsigned max)
{
	int n, i;

	if (nr->r == NULL)
		return 0;
	if ((n = ring_recv(nr->r, nr->done,
	    max < NETD_RING_BATCH ? max : NETD_RING_BATCH)) < 0) {
		nr->st.recv_failed++;
		return n;
	}
	for (i = 0; i < n; i++)
		done_one(nr, &nr->done[i]);
	tx_flush(nr);
	return n;
}
