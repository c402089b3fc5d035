/*
 * sockpol_msg.c - per-socket policy registrations on the bus (see
 * sockpol_msg.h). Bodies have passed bus_msg.c's validators; they are
 * still checked here before use (ranges, lengths), and the registry
 * checks them again.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "sockpol_msg.h"

static size_t
alen(uint32_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

void
sockpol_msg_fill(struct sockpol_pmsg *m, const struct sockpol_ent *e)
{
	size_t n = alen(e->sel.family);

	memset(m, 0, sizeof(*m));
	parapet__sock_policy__init(&m->p);
	m->p.id = e->id;
	m->p.dir = e->pol.dir;
	m->p.type = e->pol.type;
	m->p.family = e->sel.family;
	m->p.proto = e->sel.proto;
	m->p.flags = e->sel.flags;
	memcpy(m->laddr, e->sel.laddr, sizeof(m->laddr));
	memcpy(m->raddr, e->sel.raddr, sizeof(m->raddr));
	m->p.laddr.data = m->laddr;
	m->p.laddr.len = n;
	m->p.raddr.data = m->raddr;
	m->p.raddr.len = n;
	m->p.lport = e->sel.lport;
	m->p.rport = e->sel.rport;
	m->p.pid = e->pid;
	m->p.uid = e->uid;
	m->p.seq = e->seq;
	if (e->pol.type != SOCKPOL_T_IPSEC || e->pol.nreqs == 0)
		return;
	/* The requests, through the SPD's conversion. */
	m->e.sel.family = e->sel.family;
	m->e.dir = e->pol.dir;
	m->e.action = SPD_ACTION_IPSEC;
	m->e.nreqs = e->pol.nreqs;
	memcpy(m->e.req, e->pol.req, sizeof(m->e.req));
	spd_msg_fill(&m->r, 8 + (uint32_t)e->pol.dir - 1, &m->e);
	m->p.n_reqs = m->r.p.n_reqs;
	m->p.reqs = m->r.p.reqs;
}

/* The requests of p, through the SPD's conversion and validation. */
static int
requests(const Parapet__SockPolicy *p, struct sockpol_ent *e)
{
	static const uint8_t zero[16];
	Parapet__SpdPolicy sp;
	struct spd_entry se;
	uint32_t id;
	int error;

	parapet__spd_policy__init(&sp);
	sp.id = 8 + p->dir - 1;
	sp.dir = p->dir;
	sp.action = SPD_ACTION_IPSEC;
	sp.family = p->family;
	sp.src.data = deconst_bytes(zero);
	sp.src.len = alen(p->family);
	sp.dst = sp.src;
	sp.proto = SPD_PROTO_ANY;
	sp.n_reqs = p->n_reqs;
	sp.reqs = p->reqs;
	if ((error = spd_msg_entry(&sp, &se, &id)) != 0)
		return error;
	e->pol.nreqs = se.nreqs;
	memcpy(e->pol.req, se.req, sizeof(e->pol.req));
	return 0;
}

int
sockpol_msg_ent(const Parapet__SockPolicy *p, struct sockpol_ent *e)
{
	size_t n;

	memset(e, 0, sizeof(*e));
	if (p == NULL || (n = alen(p->family)) == 0 || p->laddr.len != n ||
	    p->raddr.len != n || (p->dir != SPD_DIR_IN &&
	    p->dir != SPD_DIR_OUT) || p->type > SOCKPOL_T_BYPASS ||
	    p->proto > 255 || p->lport > UINT16_MAX ||
	    p->rport > UINT16_MAX || p->n_reqs > SPD_MAX_REQS ||
	    p->flags > UINT8_MAX ||
	    (p->type == SOCKPOL_T_IPSEC) != (p->n_reqs != 0))
		return -EINVAL;
	e->id = p->id;
	e->pid = p->pid;
	e->uid = p->uid;
	e->seq = p->seq;
	e->sel.family = (uint16_t)p->family;
	e->sel.proto = (uint8_t)p->proto;
	e->sel.flags = (uint8_t)p->flags;
	e->sel.lport = (uint16_t)p->lport;
	e->sel.rport = (uint16_t)p->rport;
	memcpy(e->sel.laddr, p->laddr.data, n);
	memcpy(e->sel.raddr, p->raddr.data, n);
	e->pol.dir = (uint8_t)p->dir;
	e->pol.type = (uint8_t)p->type;
	if (p->n_reqs == 0)
		return 0;
	return requests(p, e);
}

int
sockpol_mirror_init(struct sockpol_mirror *m)
{
	memset(m, 0, sizeof(*m));
	return sockpol_create(&m->db, NULL);
}

void
sockpol_mirror_fini(struct sockpol_mirror *m)
{
	sockpol_destroy(m->db);
	m->db = NULL;
}

int
sockpol_mirror_snapshot(struct sockpol_mirror *m,
    const Parapet__SockpolSnapshotReply *r)
{
	struct sockpol_ent e;
	size_t i;
	int error;

	sockpol_clear(m->db);
	m->synced = false;
	for (i = 0; i < r->n_policies; i++) {
		if ((error = sockpol_msg_ent(r->policies[i], &e)) != 0 ||
		    (error = sockpol_put(m->db, &e)) != 0) {
			sockpol_clear(m->db);
			return error;
		}
	}
	m->epoch = r->epoch;
	m->gen = r->gen;
	m->synced = true;
	return 0;
}

int
sockpol_mirror_apply(struct sockpol_mirror *m,
    const Parapet__SockpolChangeEvent *ev)
{
	struct sockpol_ent e;
	int error;

	if (!m->synced || ev->epoch != m->epoch)
		return -ESTALE;
	if (ev->gen <= m->gen)
		return 0;		/* in the snapshot already */
	if (ev->prev_gen != m->gen)
		return -ESTALE;
	switch (ev->op) {
	case PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET:
		if ((error = sockpol_msg_ent(ev->policy, &e)) != 0 ||
		    (error = sockpol_put(m->db, &e)) != 0)
			return error;
		break;
	case PARAPET__SOCKPOL_OP__SOCKPOL_OP_DELETE:
		/* Not there: the mirror is wrong; a snapshot repairs it. */
		if (sockpol_del_id(m->db, ev->id) != 0)
			return -ESTALE;
		break;
	default:
		return -EINVAL;
	}
	m->gen = ev->gen;
	return 0;
}
