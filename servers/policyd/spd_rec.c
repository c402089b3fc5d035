/*
 * spd_rec.c - policyd's persistent record format (spd_rec.h): writers
 * through a struct wr cursor, the parser through struct rd cursors.
 * Untrusted input: the records read back from the store.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "rd.h"
#include "spd_rec.h"
#include "wr.h"

#define PFX4	"net.inet.ipsec."
#define PFX6	"net.inet6.ipsec6."

/* A run of writes; the first failure sticks. */
struct w {
	struct wr	w;
	int		error;
};

static void
w8(struct w *w, uint8_t v)
{
	if (w->error == 0)
		w->error = wr_u8(&w->w, v);
}

static void
w16(struct w *w, uint16_t v)
{
	if (w->error == 0)
		w->error = wr_be16(&w->w, v);
}

static void
w32(struct w *w, uint32_t v)
{
	if (w->error == 0)
		w->error = wr_be32(&w->w, v);
}

static void
w64(struct w *w, uint64_t v)
{
	if (w->error == 0)
		w->error = wr_be64(&w->w, v);
}

static void
wbytes(struct w *w, const void *p, size_t n)
{
	if (w->error == 0)
		w->error = wr_bytes(&w->w, p, n);
}

static int
wend(struct w *w, size_t *len)
{
	if (w->error != 0)
		return w->error;
	*len = w->w.used;
	return 0;
}

static void
w_lifetime(struct w *w, const struct pfkey_lifetime *l)
{
	w32(w, l->allocations);
	w64(w, l->bytes);
	w64(w, l->addtime);
	w64(w, l->usetime);
}

int
spd_rec_policy(const struct spd_policy *p, const struct spd_lft *lft,
    uint8_t *buf, size_t cap, size_t *len)
{
	const struct spd_entry *e = &p->e;
	struct w w = { .error = 0 };
	bool has_lft = lft != NULL && !spd_lft_none(lft);
	size_t i;

	wr_init(&w.w, buf, cap);
	w8(&w, SPD_REC_VERSION);
	w8(&w, SPD_REC_POLICY);
	w32(&w, p->id);
	w64(&w, p->add_ms);
	w8(&w, e->dir);
	w8(&w, e->action);
	w32(&w, e->priority);
	w16(&w, e->sel.family);
	w8(&w, e->sel.src_plen);
	w8(&w, e->sel.dst_plen);
	w8(&w, e->sel.proto);
	w16(&w, e->sel.sport);
	w16(&w, e->sel.dport);
	wbytes(&w, e->sel.src, 16);
	wbytes(&w, e->sel.dst, 16);
	w8(&w, (uint8_t)e->nreqs);
	for (i = 0; i < e->nreqs && i < SPD_MAX_REQS; i++) {
		const struct spd_req *r = &e->req[i];

		w8(&w, r->proto);
		w8(&w, r->mode);
		w8(&w, r->level);
		w32(&w, r->reqid);
		w16(&w, r->family);
		wbytes(&w, r->tsrc, 16);
		wbytes(&w, r->tdst, 16);
	}
	w8(&w, has_lft ? 1 : 0);
	if (has_lft) {
		w_lifetime(&w, &lft->hard);
		w_lifetime(&w, &lft->soft);
	}
	return wend(&w, len);
}

int
spd_rec_sysctl(const struct sysctl_vals *v, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct w w = { .error = 0 };
	size_t i;

	wr_init(&w.w, buf, cap);
	w8(&w, SPD_REC_VERSION);
	w8(&w, SPD_REC_SYSCTL);
	w8(&w, SYSCTL_COUNT);
	for (i = 0; i < SYSCTL_COUNT; i++) {
		const char *name = sysctl_var((enum sysctl_id)i)->name;
		bool v4 = strncmp(name, PFX4, strlen(PFX4)) == 0;
		size_t n;

		name += v4 ? strlen(PFX4) : strlen(PFX6);
		n = strlen(name);
		w8(&w, v4 ? 4 : 6);
		w8(&w, (uint8_t)n);
		wbytes(&w, name, n);
		w32(&w, (uint32_t)v->v[i]);
	}
	return wend(&w, len);
}

int
spd_rec_gens(const struct spd_gens *g, uint8_t *buf, size_t cap, size_t *len)
{
	struct w w = { .error = 0 };

	wr_init(&w.w, buf, cap);
	w8(&w, SPD_REC_VERSION);
	w8(&w, SPD_REC_GENS);
	w32(&w, g->idx_gen);
	w32(&w, g->reqid_next);
	return wend(&w, len);
}

/* ---- parsing ---- */

/* A run of reads; the first failure sticks (-EBADMSG). */
struct r {
	struct rd	r;
	int		error;
};

static uint8_t
r8(struct r *r)
{
	uint8_t v = 0;

	if (r->error == 0)
		r->error = rd_u8(&r->r, &v);
	return v;
}

static uint16_t
r16(struct r *r)
{
	uint16_t v = 0;

	if (r->error == 0)
		r->error = rd_be16(&r->r, &v);
	return v;
}

static uint32_t
r32(struct r *r)
{
	uint32_t v = 0;

	if (r->error == 0)
		r->error = rd_be32(&r->r, &v);
	return v;
}

static uint64_t
r64(struct r *r)
{
	uint64_t v = 0;

	if (r->error == 0)
		r->error = rd_be64(&r->r, &v);
	return v;
}

static void
rbytes(struct r *r, void *p, size_t n)
{
	if (r->error == 0)
		r->error = rd_bytes(&r->r, p, n);
}

static void
r_lifetime(struct r *r, struct pfkey_lifetime *l)
{
	l->allocations = r32(r);
	l->bytes = r64(r);
	l->addtime = r64(r);
	l->usetime = r64(r);
}

static int
parse_policy(struct r *r, struct spd_rec *out)
{
	struct spd_entry *e = &out->e;
	size_t i;
	uint8_t has;

	out->id = r32(r);
	out->add_ms = r64(r);
	e->dir = r8(r);
	e->action = r8(r);
	e->priority = r32(r);
	e->sel.family = r16(r);
	e->sel.src_plen = r8(r);
	e->sel.dst_plen = r8(r);
	e->sel.proto = r8(r);
	e->sel.sport = r16(r);
	e->sel.dport = r16(r);
	rbytes(r, e->sel.src, 16);
	rbytes(r, e->sel.dst, 16);
	e->nreqs = r8(r);
	if (r->error == 0 && e->nreqs > SPD_MAX_REQS)
		return -EINVAL;
	for (i = 0; i < e->nreqs && r->error == 0; i++) {
		struct spd_req *q = &e->req[i];

		q->proto = r8(r);
		q->mode = r8(r);
		q->level = r8(r);
		q->reqid = r32(r);
		q->family = r16(r);
		rbytes(r, q->tsrc, 16);
		rbytes(r, q->tdst, 16);
	}
	has = r8(r);
	if (has == 1) {
		r_lifetime(r, &out->lft.hard);
		r_lifetime(r, &out->lft.soft);
	} else if (has != 0 && r->error == 0)
		return -EINVAL;
	if (r->error != 0)
		return r->error;
	if (spd_entry_valid(e) != 0 || out->id == 0 ||
	    (out->id & 7) != (uint32_t)(e->dir - 1))
		return -EINVAL;
	/* What we wrote was canonical; make sure of it. */
	spd_entry_canon(e);
	return 0;
}

static int
parse_sysctl(struct r *r, struct spd_rec *out)
{
	char name[320];
	enum sysctl_id id;
	uint8_t n, i, nl, tree;
	size_t pl;
	int32_t v;

	n = r8(r);
	for (i = 0; i < n && r->error == 0; i++) {
		tree = r8(r);
		nl = r8(r);
		if (r->error == 0 && tree != 4 && tree != 6)
			return -EINVAL;
		pl = strlen(tree == 4 ? PFX4 : PFX6);
		memcpy(name, tree == 4 ? PFX4 : PFX6, pl);
		rbytes(r, name + pl, nl);
		v = (int32_t)r32(r);
		if (r->error != 0)
			break;
		name[pl + nl] = '\0';
		if (sysctl_find(name, &id) == NULL ||
		    (out->vals_set & (UINT32_C(1) << id)) != 0 ||
		    sysctl_set(&out->vals, id, v, NULL) != 0)
			return -EINVAL;
		out->vals_set |= UINT32_C(1) << id;
	}
	return r->error;
}

int
spd_rec_parse(const uint8_t *buf, size_t len, struct spd_rec *out)
{
	struct r r = { .error = 0 };
	uint8_t ver, kind;
	int error;

	memset(out, 0, sizeof(*out));
	rd_init(&r.r, buf, len);
	ver = r8(&r);
	kind = r8(&r);
	if (r.error != 0 || ver != SPD_REC_VERSION)
		return -EBADMSG;
	switch (kind) {
	case SPD_REC_POLICY:
		error = parse_policy(&r, out);
		break;
	case SPD_REC_SYSCTL:
		sysctl_defaults(&out->vals);
		error = parse_sysctl(&r, out);
		break;
	case SPD_REC_GENS:
		out->gens.idx_gen = r32(&r);
		out->gens.reqid_next = r32(&r);
		error = r.error;
		break;
	default:
		return -EBADMSG;
	}
	if (error != 0)
		return error;
	if (r.r.left != 0)
		return -EBADMSG;	/* trailing bytes */
	out->kind = (enum spd_rec_kind)kind;
	return 0;
}
