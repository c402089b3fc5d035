/*
 * netd_sockpol.c - netd's per-socket policy hook (see netd_sockpol.h):
 * the replica of policyd's registry (a sockpol_mirror), and a lookup in
 * it translated into decide()'s struct decide_sockpol.
 */
#include <errno.h>
#include <string.h>

#include "netd_sockpol.h"

/* sadb_x_policy_type (enum sockpol_type) -> enum decide_sp_action. */
static const uint8_t sp_action[] = {
	[SOCKPOL_T_DISCARD] = DECIDE_SP_DISCARD,
	[SOCKPOL_T_NONE] = DECIDE_SP_NONE,
	[SOCKPOL_T_IPSEC] = DECIDE_SP_IPSEC,
	[SOCKPOL_T_ENTRUST] = DECIDE_SP_ENTRUST,
	[SOCKPOL_T_BYPASS] = DECIDE_SP_BYPASS,
};
_Static_assert(nitems(sp_action) == SOCKPOL_T_BYPASS + 1, "sp_action");

int
netd_sockpol_init(struct netd_sockpol *ns)
{
	memset(ns, 0, sizeof(*ns));
	return sockpol_mirror_init(&ns->m);
}

void
netd_sockpol_fini(struct netd_sockpol *ns)
{
	sockpol_mirror_fini(&ns->m);
}

int
netd_sockpol_snapshot(struct netd_sockpol *ns,
    const Parapet__SockpolSnapshotReply *r)
{
	return sockpol_mirror_snapshot(&ns->m, r);
}

int
netd_sockpol_event(struct netd_sockpol *ns,
    const Parapet__SockpolChangeEvent *ev)
{
	int error = sockpol_mirror_apply(&ns->m, ev);

	if (error == -ESTALE)
		ns->resyncs++;
	return error;
}

bool
netd_sockpol_lookup(struct netd_sockpol *ns, uint8_t dir,
    const struct spd_pkt *p, struct decide_sockpol *out)
{
	const struct sockpol_ent *e;

	if (ns->m.db == NULL ||
	    (e = sockpol_lookup(ns->m.db, dir, p)) == NULL ||
	    e->pol.type >= nitems(sp_action)) {
		ns->misses++;
		return false;
	}
	ns->hits++;
	memset(out, 0, sizeof(*out));
	out->action = sp_action[e->pol.type];
	out->id = e->id;
	out->nreqs = e->pol.type == SOCKPOL_T_IPSEC ? e->pol.nreqs : 0;
	memcpy(out->req, e->pol.req, sizeof(out->req));
	return true;
}

bool
netd_sockpol_decide(void *arg, uint8_t dir, const struct spd_pkt *p,
    struct decide_sockpol *out)
{
	return netd_sockpol_lookup(arg, dir, p, out);
}
