/*
 * spd_pfkey.c - PF_KEY SPD messages against policyd's SPD (spd_pfkey.h):
 * a table from message type to handler, the reverse conversion (policy
 * -> sadb_msg in Linux's layout) and the paged X_SPDDUMP.
 *
 * Following Linux net/key/af_key.c: pfkey_spdadd() (X_SPDADD and
 * X_SPDSETIDX exclusive, X_SPDUPDATE replacing; the reply's type comes
 * from the event, so X_SPDSETIDX answers as X_SPDADD), pfkey_spddelete(),
 * pfkey_spdget() (X_SPDGET and X_SPDDELETE2 by id; the direction is the
 * id's low 3 bits, EINVAL when that is not a direction, ENOENT when the
 * id is unknown), pfkey_spdflush() (unicast_flush_resp() to the sender,
 * then key_notify_policy_flush() to all if anything went), dump_sp().
 * pfkey_xfrm_policy2msg() writes SRC, DST, LIFETIME_HARD, _SOFT,
 * _CURRENT, X_POLICY in that order; so do we. Where we differ: the
 * request levels are reported as stored (Linux maps default to require),
 * sadb_msg_reserved is 0 (Linux puts the policy's refcount there).
 *
 * Untrusted input: the datagram (parsed again here).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ipsec_policy.h"
#include "pfkey_build.h"
#include "spd_pfkey.h"

#define X(t)	PARAPET_SADB_X_##t

struct spd_lft_ent {
	struct spd_lft_ent	*next;
	uint32_t		 id;
	struct spd_lft		 l;
};

#define LFT_MIN_BKT	16

/* ---- lifetimes beside the SPD ---- */

static size_t
lft_bucket(const struct spd_pfkey *k, uint32_t id)
{
	uint64_t h = (uint64_t)id * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (k->nlb - 1);
}

static struct spd_lft_ent **
lft_find(const struct spd_pfkey *k, uint32_t id)
{
	struct spd_lft_ent **pp = &k->lb[lft_bucket(k, id)];

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static bool
lifetime_none(const struct pfkey_lifetime *l)
{
	return l->allocations == 0 && l->bytes == 0 && l->addtime == 0 &&
	    l->usetime == 0;
}

bool
spd_lft_none(const struct spd_lft *l)
{
	return lifetime_none(&l->hard) && lifetime_none(&l->soft);
}

static void
lft_del(struct spd_pfkey *k, uint32_t id)
{
	struct spd_lft_ent **pp = lft_find(k, id), *e;

	if ((e = *pp) == NULL)
		return;
	*pp = e->next;
	free(e);
	k->nl--;
}

static void
lft_clear(struct spd_pfkey *k)
{
	struct spd_lft_ent *e, *n;
	size_t i;

	for (i = 0; i < k->nlb; i++) {
		for (e = k->lb[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
		k->lb[i] = NULL;
	}
	k->nl = 0;
}

static int
lft_grow(struct spd_pfkey *k)
{
	struct spd_lft_ent **nb, **ob = k->lb, *e, *n;
	size_t i, old = k->nlb;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers. */
	if ((nb = calloc(old * 2, sizeof(*nb))) == NULL)
		return -ENOMEM;
	k->lb = nb;
	k->nlb = old * 2;
	for (i = 0; i < old; i++) {
		for (e = ob[i]; e != NULL; e = n) {
			size_t b = lft_bucket(k, e->id);

			n = e->next;
			e->next = nb[b];
			nb[b] = e;
		}
	}
	free(ob);
	return 0;
}

int
spd_pfkey_lft_set(struct spd_pfkey *k, uint32_t id, const struct spd_lft *l)
{
	struct spd_lft_ent **pp, *e;

	if (spd_lft_none(l)) {
		lft_del(k, id);
		return 0;
	}
	if ((e = *lft_find(k, id)) != NULL) {
		e->l = *l;
		return 0;
	}
	if (k->nl + 1 > k->nlb && lft_grow(k) != 0)
		return -ENOMEM;
	if ((e = malloc(sizeof(*e))) == NULL)
		return -ENOMEM;
	e->id = id;
	e->l = *l;
	pp = &k->lb[lft_bucket(k, id)];
	e->next = *pp;
	*pp = e;
	k->nl++;
	return 0;
}

void
spd_pfkey_lft_get(const struct spd_pfkey *k, uint32_t id, struct spd_lft *l)
{
	const struct spd_lft_ent *e = *lft_find(k, id);

	if (e != NULL)
		*l = e->l;
	else
		memset(l, 0, sizeof(*l));
}

int
spd_pfkey_init(struct spd_pfkey *k, struct spd *spd)
{
	memset(k, 0, sizeof(*k));
	k->spd = spd;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers. */
	if ((k->lb = calloc(LFT_MIN_BKT, sizeof(*k->lb))) == NULL)
		return -ENOMEM;
	k->nlb = LFT_MIN_BKT;
	return 0;
}

void
spd_pfkey_fini(struct spd_pfkey *k)
{
	if (k->lb == NULL)
		return;
	lft_clear(k);
	free(k->lb);
	k->lb = NULL;
}

bool
spd_pfkey_type(uint8_t type)
{
	switch (type) {
	case X(SPDUPDATE):
	case X(SPDADD):
	case X(SPDDELETE):
	case X(SPDGET):
	case X(SPDDUMP):
	case X(SPDFLUSH):
	case X(SPDSETIDX):
	case X(SPDDELETE2):
		return true;
	default:
		return false;
	}
}

/* ---- the reverse conversion ---- */

static void
to_sockaddr(struct pfkey_sockaddr *sa, uint16_t family, const uint8_t *a,
    uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = family;
	sa->port = port;
	memcpy(sa->addr, a, family == AF_INET6 ? 16 : 4);
}

/* Wall-clock milliseconds to PF_KEY seconds. */
static uint64_t
secs(uint64_t ms)
{
	return ms / 1000;
}

int
spd_pfkey_build(const struct spd_pfkey *k, const struct spd_policy *p,
    const struct pfkey_hdr *h, uint8_t *buf, size_t cap, size_t *len)
{
	const struct spd_entry *e = &p->e;
	struct pfkey_lifetime cur;
	struct pfkey_address a;
	struct pfkey_policy pol;
	struct pfkey_build b;
	struct spd_lft l;
	size_t i;

	pfkey_build_begin(&b, buf, cap, h);
	memset(&a, 0, sizeof(a));
	/* Linux pfkey_proto_from_xfrm(): any is 255 in both addresses. */
	a.proto = e->sel.proto;
	a.prefixlen = e->sel.src_plen;
	to_sockaddr(&a.sa, e->sel.family, e->sel.src, e->sel.sport);
	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_SRC, &a);
	a.prefixlen = e->sel.dst_plen;
	to_sockaddr(&a.sa, e->sel.family, e->sel.dst, e->sel.dport);
	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_DST, &a);
	spd_pfkey_lft_get(k, p->id, &l);
	pfkey_build_lifetime(&b, PARAPET_SADB_EXT_LIFETIME_HARD, &l.hard);
	pfkey_build_lifetime(&b, PARAPET_SADB_EXT_LIFETIME_SOFT, &l.soft);
	memset(&cur, 0, sizeof(cur));
	cur.allocations = p->use_count > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)p->use_count;
	cur.addtime = secs(p->add_ms);
	cur.usetime = secs(p->last_use_ms);
	pfkey_build_lifetime(&b, PARAPET_SADB_EXT_LIFETIME_CURRENT, &cur);
	memset(&pol, 0, sizeof(pol));
	pol.type = e->action;
	pol.dir = e->dir;
	pol.id = p->id;
	pol.priority = e->priority;
	pol.nreqs = e->nreqs;
	for (i = 0; i < e->nreqs && i < PFKEY_POLICY_MAX_REQS; i++) {
		const struct spd_req *r = &e->req[i];
		struct pfkey_ipsecreq *q = &pol.req[i];

		q->proto = r->proto;
		q->mode = r->mode;
		q->level = r->level;
		q->reqid = r->reqid;
		if (r->family != 0) {
			q->has_addrs = true;
			to_sockaddr(&q->src, r->family, r->tsrc, 0);
			to_sockaddr(&q->dst, r->family, r->tdst, 0);
		}
	}
	pfkey_build_policy(&b, &pol);
	return pfkey_build_end(&b, len);
}

/* ---- requests ---- */

struct req {
	struct spd_pfkey		*k;
	const struct pfkey_msg		*m;
	uint64_t			 now_ms;
	struct spd_pfkey_result		*res;
};

static void
reply_hdr(const struct pfkey_msg *m, uint8_t type, struct pfkey_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->version = PARAPET_PF_KEY_V2;
	h->type = type;
	h->satype = PARAPET_SADB_SATYPE_UNSPEC;
	h->seq = m->hdr.seq;
	h->pid = m->hdr.pid;
}

/* Add policy p as the next output, with type; a positive errno. */
static int
out_policy(struct req *r, const struct spd_policy *p, uint8_t type,
    enum spd_pfkey_dest dest)
{
	struct spd_pfkey_result *res = r->res;
	struct spd_pfkey_out *o = &res->out[res->nout];
	struct pfkey_hdr h;
	int error;

	reply_hdr(r->m, type, &h);
	if ((error = spd_pfkey_build(r->k, p, &h, r->k->buf[res->nout],
	    sizeof(r->k->buf[0]), &o->len)) != 0)
		return -error;
	o->buf = r->k->buf[res->nout];
	o->dest = dest;
	res->nout++;
	return 0;
}

static int
out_header(struct req *r, const struct pfkey_hdr *h, enum spd_pfkey_dest dest)
{
	struct spd_pfkey_result *res = r->res;
	struct spd_pfkey_out *o = &res->out[res->nout];
	struct pfkey_build b;
	int error;

	pfkey_build_begin(&b, r->k->buf[res->nout], sizeof(r->k->buf[0]), h);
	if ((error = pfkey_build_end(&b, &o->len)) != 0)
		return -error;
	o->buf = r->k->buf[res->nout];
	o->dest = dest;
	res->nout++;
	return 0;
}

static void
lft_from_msg(const struct pfkey_msg *m, struct spd_lft *l)
{
	memset(l, 0, sizeof(*l));
	if (pfkey_msg_has(m, PARAPET_SADB_EXT_LIFETIME_HARD))
		l->hard = m->lft_hard;
	if (pfkey_msg_has(m, PARAPET_SADB_EXT_LIFETIME_SOFT))
		l->soft = m->lft_soft;
}

static int
on_add(struct req *r)
{
	const struct spd_policy *p;
	struct spd_entry e;
	struct spd_lft l;
	bool update = r->m->hdr.type == X(SPDUPDATE);
	uint32_t id;
	int error;

	if ((error = spd_entry_from_pfkey(r->m, &e)) != 0)
		return -error;
	r->res->existed = update && spd_get(r->k->spd, &e.sel, e.dir) != NULL;
	if (update)
		error = spd_update(r->k->spd, &e, r->now_ms, &id);
	else
		error = spd_add(r->k->spd, &e, r->now_ms, &id);
	if (error != 0)
		return -error;
	lft_from_msg(r->m, &l);
	if (spd_pfkey_lft_set(r->k, id, &l) != 0) {
		/* Keep the SPD and its lifetimes in step: undo. */
		if (spd_delete_id(r->k->spd, id) != 0)
			return ENOMEM;	/* just added: present */
		r->res->existed = false;
		return ENOMEM;
	}
	r->res->change = update ? SPD_CHANGE_UPDATE : SPD_CHANGE_ADD;
	r->res->id = id;
	p = spd_get_id(r->k->spd, id);
	/* Linux event2poltype(): NEWPOLICY is X_SPDADD, also for SETIDX. */
	return out_policy(r, p, update ? X(SPDUPDATE) : X(SPDADD),
	    SPD_PFKEY_DEST_ALL);
}

static int
on_delete(struct req *r)
{
	struct pfkey_msg m = *r->m;
	const struct spd_policy *p;
	struct spd_entry e;
	uint32_t id;
	int error;

	/*
	 * Only the selector and direction matter (Linux
	 * pfkey_spddelete()); setkey sends a bare direction.
	 */
	m.policy.type = PARAPET_IPSEC_POLICY_DISCARD;
	m.policy.nreqs = 0;
	if ((error = spd_entry_from_pfkey(&m, &e)) != 0)
		return -error;
	if ((p = spd_get(r->k->spd, &e.sel, e.dir)) == NULL)
		return ENOENT;
	if ((error = out_policy(r, p, X(SPDDELETE), SPD_PFKEY_DEST_ALL)) != 0)
		return error;
	id = p->id;
	if (spd_delete_id(r->k->spd, id) != 0)
		return ENOENT;		/* not reached: found above */
	lft_del(r->k, id);
	r->res->change = SPD_CHANGE_DELETE;
	r->res->id = id;
	return 0;
}

/* X_SPDGET and X_SPDDELETE2: by id (Linux pfkey_spdget()). */
static int
on_get(struct req *r)
{
	uint32_t id = r->m->policy.id;
	const struct spd_policy *p;
	int error;

	if ((id & 7) >= SPD_NDIRS)	/* xfrm_policy_id2dir() >= MAX */
		return EINVAL;
	if ((p = spd_get_id(r->k->spd, id)) == NULL)
		return ENOENT;
	if (r->m->hdr.type == X(SPDGET))
		return out_policy(r, p, X(SPDGET), SPD_PFKEY_DEST_ONE);
	if ((error = out_policy(r, p, X(SPDDELETE2), SPD_PFKEY_DEST_ALL)) != 0)
		return error;
	if (spd_delete_id(r->k->spd, id) != 0)
		return ENOENT;
	lft_del(r->k, id);
	r->res->change = SPD_CHANGE_DELETE;
	r->res->id = id;
	return 0;
}

static int
on_flush(struct req *r)
{
	struct pfkey_hdr h = r->m->hdr;
	size_t n;
	int error;

	/* unicast_flush_resp(): the request's header back to the sender. */
	h.msg_errno = 0;
	if ((error = out_header(r, &h, SPD_PFKEY_DEST_ONE)) != 0)
		return error;
	n = spd_flush(r->k->spd, 0);
	lft_clear(r->k);
	if (n == 0)
		return 0;	/* Linux: an empty SPD, "old silent behavior" */
	r->res->change = SPD_CHANGE_FLUSH;
	reply_hdr(r->m, X(SPDFLUSH), &h);
	return out_header(r, &h, SPD_PFKEY_DEST_ALL);
}

typedef int req_fn(struct req *);

static req_fn *const handlers[PARAPET_SADB_MAX + 1] = {
	[X(SPDUPDATE)] = on_add,
	[X(SPDADD)] = on_add,
	[X(SPDSETIDX)] = on_add,
	[X(SPDDELETE)] = on_delete,
	[X(SPDGET)] = on_get,
	[X(SPDDELETE2)] = on_get,
	[X(SPDFLUSH)] = on_flush,
};
_Static_assert(nitems(handlers) == PARAPET_SADB_MAX + 1, "handlers");

/* The header-only error reply to the sender. */
static void
answer_error(struct spd_pfkey *k, const struct pfkey_hdr *hdr, int error,
    struct spd_pfkey_result *res)
{
	res->error = error;
	res->nout = 0;
	res->change = SPD_CHANGE_NONE;
	if (pfkey_build_error(hdr, error, k->buf[0], sizeof(k->buf[0]),
	    &res->out[0].len) != 0)
		return;		/* header only: cannot fail */
	res->out[0].buf = k->buf[0];
	res->out[0].dest = SPD_PFKEY_DEST_ONE;
	res->nout = 1;
}

void
spd_pfkey_request(struct spd_pfkey *k, const uint8_t *msg, size_t len,
    uint64_t now_ms, struct spd_pfkey_result *res)
{
	enum pfkey_reject why;
	struct pfkey_msg m;
	struct req r = { k, &m, now_ms, res };
	req_fn *h = NULL;
	int error;

	memset(res, 0, sizeof(*res));
	res->gen_before = res->gen_after = spd_generation(k->spd);
	if ((error = pfkey_msg_parse(msg, len, &m, &why)) != 0) {
		if (pfkey_reject_replyable(why))
			answer_error(k, &m.hdr, -error, res);
		else
			res->error = -error;
		return;
	}
	if (m.hdr.type < nitems(handlers))
		h = handlers[m.hdr.type];
	error = h != NULL ? h(&r) : EOPNOTSUPP;
	res->gen_after = spd_generation(k->spd);
	if (error != 0)
		answer_error(k, &m.hdr, error, res);
}

/* ---- X_SPDDUMP ---- */

int
spd_pfkey_dump_begin(struct spd_pfkey *k, struct spd_pfkey_dump *d,
    const uint8_t *msg, size_t len)
{
	enum pfkey_reject why;
	struct pfkey_msg m;
	int error;

	memset(d, 0, sizeof(*d));
	if ((error = pfkey_msg_parse(msg, len, &m, &why)) != 0)
		return error;
	if (m.hdr.type != X(SPDDUMP))
		return -EINVAL;
	if (spd_count(k->spd) == 0)
		return -ENOENT;		/* Linux: an empty dump */
	d->hdr = m.hdr;
	d->left = spd_count(k->spd) > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)spd_count(k->spd);
	spd_dump_begin(k->spd, &d->cur, 0);
	d->live = true;
	return 0;
}

/* Write 0 into the held message's sadb_msg_seq (our own bytes). */
static void
mark_last(struct spd_pfkey_dump *d)
{
	uint32_t zero = 0;

	memcpy(d->held + offsetof(struct pp_sadb_msg, sadb_msg_seq), &zero,
	    sizeof(zero));
}

int
spd_pfkey_dump_page(struct spd_pfkey *k, struct spd_pfkey_dump *d,
    size_t max, size_t max_bytes, spd_pfkey_emit_fn *emit, void *arg)
{
	const struct spd_policy *p;
	struct pfkey_hdr h;
	size_t n = 0, bytes = 0, len;
	int error;

	if (!d->live)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.version = PARAPET_PF_KEY_V2;
	h.type = X(SPDDUMP);
	h.satype = PARAPET_SADB_SATYPE_UNSPEC;
	h.pid = d->hdr.pid;
	while (n < max && (n == 0 || bytes < max_bytes)) {
		if ((p = spd_dump_next(k->spd, &d->cur)) == NULL) {
			spd_dump_end(k->spd, &d->cur);
			d->live = false;
			if (d->held_len == 0)
				return -ENOENT;	/* every policy went */
			mark_last(d);
			error = emit(d->held, d->held_len, arg);
			d->held_len = 0;
			return error != 0 ? error : 1;
		}
		if (d->left > 1)
			d->left--;
		h.seq = d->left;
		if (d->held_len != 0) {
			if ((error = emit(d->held, d->held_len, arg)) != 0)
				return error;
			n++;
			bytes += d->held_len;
		}
		if ((error = spd_pfkey_build(k, p, &h, d->held,
		    sizeof(d->held), &len)) != 0)
			return error;
		d->held_len = len;
	}
	return 0;
}

void
spd_pfkey_dump_end(struct spd_pfkey *k, struct spd_pfkey_dump *d)
{
	if (d->live)
		spd_dump_end(k->spd, &d->cur);
	d->live = false;
	d->held_len = 0;
}
