/*
 * spd_msg.c - SPD policies on the bus, and the subscriber's mirror
 * (spd_msg.h). Pure.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "spd_msg.h"

static size_t
alen(uint16_t family)
{
	return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

void
spd_msg_fill(struct spd_pmsg *m, uint32_t id, const struct spd_entry *e)
{
	size_t i, n = alen(e->sel.family);

	parapet__spd_policy__init(&m->p);
	m->p.id = id;
	m->p.dir = e->dir;
	m->p.action = e->action;
	m->p.priority = e->priority;
	m->p.family = e->sel.family;
	m->p.src.data = deconst_bytes(e->sel.src);
	m->p.src.len = n;
	m->p.src_plen = e->sel.src_plen;
	m->p.dst.data = deconst_bytes(e->sel.dst);
	m->p.dst.len = n;
	m->p.dst_plen = e->sel.dst_plen;
	m->p.proto = e->sel.proto;
	m->p.sport = e->sel.sport;
	m->p.dport = e->sel.dport;
	for (i = 0; i < e->nreqs && i < SPD_MAX_REQS; i++) {
		const struct spd_req *r = &e->req[i];
		Parapet__SpdIpsecRequest *q = &m->req[i];

		parapet__spd_ipsec_request__init(q);
		q->proto = r->proto;
		q->mode = r->mode;
		q->level = r->level;
		q->reqid = r->reqid;
		q->family = r->family;
		q->tsrc.data = deconst_bytes(r->tsrc);
		q->tsrc.len = alen(r->family);
		q->tdst.data = deconst_bytes(r->tdst);
		q->tdst.len = alen(r->family);
		m->reqp[i] = q;
	}
	m->p.n_reqs = i;
	m->p.reqs = i != 0 ? m->reqp : NULL;
}

int
spd_msg_entry(const Parapet__SpdPolicy *p, struct spd_entry *e, uint32_t *idp)
{
	size_t i, n;

	memset(e, 0, sizeof(*e));
	if (p->family > UINT16_MAX || (n = alen((uint16_t)p->family)) == 0 ||
	    p->src.len != n || p->dst.len != n || p->n_reqs > SPD_MAX_REQS ||
	    p->dir > 255 || p->action > 255 || p->src_plen > 128 ||
	    p->dst_plen > 128 || p->proto > 255 || p->sport > UINT16_MAX ||
	    p->dport > UINT16_MAX)
		return -EINVAL;
	e->sel.family = (uint16_t)p->family;
	memcpy(e->sel.src, p->src.data, n);
	memcpy(e->sel.dst, p->dst.data, n);
	e->sel.src_plen = (uint8_t)p->src_plen;
	e->sel.dst_plen = (uint8_t)p->dst_plen;
	e->sel.proto = (uint8_t)p->proto;
	e->sel.sport = (uint16_t)p->sport;
	e->sel.dport = (uint16_t)p->dport;
	e->dir = (uint8_t)p->dir;
	e->action = (uint8_t)p->action;
	e->priority = p->priority;
	e->nreqs = p->n_reqs;
	for (i = 0; i < p->n_reqs; i++) {
		const Parapet__SpdIpsecRequest *q = p->reqs[i];
		struct spd_req *r = &e->req[i];
		size_t m;

		if (q->proto > 255 || q->mode > 255 || q->level > 255 ||
		    q->family > UINT16_MAX)
			return -EINVAL;
		r->proto = (uint8_t)q->proto;
		r->mode = (uint8_t)q->mode;
		r->level = (uint8_t)q->level;
		r->reqid = q->reqid;
		r->family = (uint16_t)q->family;
		m = alen(r->family);
		if (q->tsrc.len != m || q->tdst.len != m)
			return -EINVAL;
		if (m != 0) {
			memcpy(r->tsrc, q->tsrc.data, m);
			memcpy(r->tdst, q->tdst.data, m);
		}
	}
	*idp = p->id;
	return spd_entry_valid(e);
}

int
spd_mirror_init(struct spd_mirror *m, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	return spd_create(&m->spd, seed);
}

void
spd_mirror_fini(struct spd_mirror *m)
{
	spd_destroy(m->spd);
	m->spd = NULL;
}

void
spd_mirror_reset(struct spd_mirror *m)
{
	(void)spd_flush(m->spd, 0);
	m->synced = false;
	m->epoch = 0;
	m->gen = 0;
}

static int
install(struct spd_mirror *m, const Parapet__SpdPolicy *p, bool replace)
{
	struct spd_entry e;
	uint32_t id;
	int error;

	if (p == NULL || spd_msg_entry(p, &e, &id) != 0)
		return -EINVAL;
	if (replace && spd_get_id(m->spd, id) != NULL &&
	    (error = spd_delete_id(m->spd, id)) != 0)
		return error;
	return spd_restore(m->spd, &e, id, 0);
}

int
spd_mirror_snapshot(struct spd_mirror *m, const Parapet__SpdSnapshotReply *r)
{
	size_t i;
	int error;

	for (i = 0; i < r->n_policies; i++)
		if ((error = install(m, r->policies[i], false)) != 0)
			return error;
	if (r->done) {
		m->epoch = r->epoch;
		m->gen = r->gen;
		m->synced = true;
	}
	return 0;
}

int
spd_mirror_apply(struct spd_mirror *m, const Parapet__SpdChangeEvent *ev)
{
	if (!m->synced || ev->epoch != m->epoch)
		return -ESTALE;
	if (ev->gen <= m->gen)
		return 1;		/* in the snapshot already */
	if (ev->prev_gen != m->gen)
		return -ESTALE;
	switch (ev->op) {
	case PARAPET__SPD_OP__SPD_OP_ADD:
	case PARAPET__SPD_OP__SPD_OP_UPDATE:
		if (install(m, ev->policy,
		    ev->op == PARAPET__SPD_OP__SPD_OP_UPDATE) != 0)
			return -EINVAL;
		break;
	case PARAPET__SPD_OP__SPD_OP_DELETE:
		if (spd_delete_id(m->spd, ev->id) != 0)
			return -EINVAL;
		break;
	case PARAPET__SPD_OP__SPD_OP_FLUSH:
		(void)spd_flush(m->spd, (uint8_t)ev->dir);
		break;
	default:
		return -EINVAL;
	}
	m->gen = ev->gen;
	return 0;
}
