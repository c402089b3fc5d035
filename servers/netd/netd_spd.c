/*
 * netd_spd.c - netd's replica of policyd's SPD and variables: the pure
 * part (netd_spd.h). Snapshot pages, change events and variables in;
 * a live SPD, decide()'s parameters and the per-family variables out.
 * No I/O, no clock; the shell (netd_spd_bus.c) does the bus.
 *
 * Untrusted input: the bus messages (validated by common/bus_msg.c
 * before they get here; policies checked again by spd_msg_entry() and
 * spd_restore(), variables against sysctl.h's ranges). A kept event is
 * our own packed copy of a validated message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netd_spd.h"

static uint32_t
static_id(size_t i, uint8_t dir)
{
	return NETD_SPD_STATIC_ID_BASE + (uint32_t)(i << 3) +
	    (uint32_t)(dir - 1);
}

static bool
is_static_id(uint32_t id)
{
	return id >= NETD_SPD_STATIC_ID_BASE;
}

/*
 * Install every static that is missing and whose id and selector are
 * free (a policyd policy there wins). Returns how many were left out.
 */
static size_t
statics_fill(struct netd_spdr *r, struct spd *db)
{
	size_t i, out = 0;

	for (i = 0; i < r->nstatics; i++) {
		const struct spd_entry *e = &r->statics[i];
		uint32_t id = static_id(i, e->dir);

		if (spd_get_id(db, id) != NULL)
			continue;
		if (spd_get(db, &e->sel, e->dir) != NULL ||
		    spd_restore(db, e, id, 0) != 0)
			out++;
	}
	return out;
}

static void
refresh_stats(struct netd_spdr *r)
{
	r->st.policies = spd_count(r->live.spd);
	r->st.generation = r->live.gen;
}

/* ---- variables ---- */

static uint8_t
v8(const struct netd_spdr *r, enum sysctl_id id)
{
	return (uint8_t)sysctl_get(&r->vals, id);
}

static void
vars_refresh(struct netd_spdr *r)
{
	struct netd_spd_vars *v4 = &r->vars[0], *v6 = &r->vars[1];

	v4->def_policy = v8(r, SYSCTL_IP4_DEF_POLICY);
	v4->deflev[DECIDE_LEV_ESP_TRANS] = v8(r, SYSCTL_IP4_ESP_TRANS_DEFLEV);
	v4->deflev[DECIDE_LEV_ESP_NET] = v8(r, SYSCTL_IP4_ESP_NET_DEFLEV);
	v4->deflev[DECIDE_LEV_AH_TRANS] = v8(r, SYSCTL_IP4_AH_TRANS_DEFLEV);
	v4->deflev[DECIDE_LEV_AH_NET] = v8(r, SYSCTL_IP4_AH_NET_DEFLEV);
	v4->dfbit = v8(r, SYSCTL_IP4_DFBIT);
	v4->ecn = (int8_t)sysctl_get(&r->vals, SYSCTL_IP4_ECN);
	v4->ah_cleartos = v8(r, SYSCTL_IP4_AH_CLEARTOS);
	v4->ah_offsetmask = (uint16_t)sysctl_get(&r->vals,
	    SYSCTL_IP4_AH_OFFSETMASK);

	v6->def_policy = v8(r, SYSCTL_IP6_DEF_POLICY);
	v6->deflev[DECIDE_LEV_ESP_TRANS] = v8(r, SYSCTL_IP6_ESP_TRANS_DEFLEV);
	v6->deflev[DECIDE_LEV_ESP_NET] = v8(r, SYSCTL_IP6_ESP_NET_DEFLEV);
	v6->deflev[DECIDE_LEV_AH_TRANS] = v8(r, SYSCTL_IP6_AH_TRANS_DEFLEV);
	v6->deflev[DECIDE_LEV_AH_NET] = v8(r, SYSCTL_IP6_AH_NET_DEFLEV);
	v6->ecn = (int8_t)sysctl_get(&r->vals, SYSCTL_IP6_ECN);
	/* KAME's IPv6 has none of these: the fixed behaviour. */
	v6->dfbit = 0;
	v6->ah_cleartos = 1;
	v6->ah_offsetmask = 0;
}

/* The ids of def_policy and the four levels, per family. */
static const enum sysctl_id param_ids[2][5] = {
	{ SYSCTL_IP4_DEF_POLICY, SYSCTL_IP4_ESP_TRANS_DEFLEV,
	  SYSCTL_IP4_ESP_NET_DEFLEV, SYSCTL_IP4_AH_TRANS_DEFLEV,
	  SYSCTL_IP4_AH_NET_DEFLEV },
	{ SYSCTL_IP6_DEF_POLICY, SYSCTL_IP6_ESP_TRANS_DEFLEV,
	  SYSCTL_IP6_ESP_NET_DEFLEV, SYSCTL_IP6_AH_TRANS_DEFLEV,
	  SYSCTL_IP6_AH_NET_DEFLEV },
};

/*
 * Take def_policy and the levels from p; a value out of range leaves
 * KAME's default (the caller's struct was not filled).
 */
static void
vals_from_params(struct netd_spdr *r, const struct decide_params *p)
{
	size_t f, k;
	int bad = 0;

	for (f = 0; f < 2; f++) {
		bad |= sysctl_set(&r->vals, param_ids[f][0], p->def_policy[f],
		    NULL);
		for (k = 0; k < 4; k++)
			bad |= sysctl_set(&r->vals, param_ids[f][k + 1],
			    p->deflev[f][k], NULL);
	}
	(void)bad;	/* each refused value kept its default */
}

void
netd_spdr_params(const struct netd_spdr *r, struct decide_params *p)
{
	size_t f;

	for (f = 0; f < 2; f++) {
		p->def_policy[f] = r->vars[f].def_policy;
		memcpy(p->deflev[f], r->vars[f].deflev,
		    sizeof(p->deflev[f]));
	}
}

const struct netd_spd_vars *
netd_spdr_vars(const struct netd_spdr *r, uint16_t family)
{
	return &r->vars[family == AF_INET6 ? 1 : 0];
}

int
netd_spdr_sysctl(struct netd_spdr *r, const char *name, int64_t value)
{
	enum sysctl_id id;
	int error;

	if (name == NULL || sysctl_find(name, &id) == NULL) {
		r->st.sysctl_bad++;
		return -ENOENT;
	}
	if ((error = sysctl_set(&r->vals, id, value, NULL)) != 0) {
		r->st.sysctl_bad++;
		return error;
	}
	r->st.sysctl_set++;
	vars_refresh(r);
	return 0;
}

/* ---- set-up ---- */

int
netd_spdr_init(struct netd_spdr *r, uint64_t hash_seed,
    const struct decide_params *initial)
{
	int error;

	memset(r, 0, sizeof(*r));
	r->seed = hash_seed;
	if ((error = spd_mirror_init(&r->live, hash_seed)) != 0)
		return error;
	sysctl_defaults(&r->vals);
	if (initial != NULL)
		vals_from_params(r, initial);
	vars_refresh(r);
	refresh_stats(r);
	return 0;
}

static void
kept_clear(struct netd_spdr *r)
{
	size_t i;

	for (i = 0; i < r->nkept; i++)
		free(r->kept[i].buf);
	r->nkept = 0;
	r->kept_lost = false;
}

static void
build_drop(struct netd_spdr *r)
{
	if (r->building)
		spd_mirror_fini(&r->build);
	r->building = false;
	kept_clear(r);
}

void
netd_spdr_fini(struct netd_spdr *r)
{
	build_drop(r);
	spd_mirror_fini(&r->live);
}

/* The same selector once canonical (no memcmp: the struct has padding). */
static bool
sel_equal(const struct spd_sel *a, const struct spd_sel *b)
{
	struct spd_sel x = *a, y = *b;

	spd_sel_canon(&x);
	spd_sel_canon(&y);
	return x.family == y.family && x.src_plen == y.src_plen &&
	    x.dst_plen == y.dst_plen && x.proto == y.proto &&
	    x.sport == y.sport && x.dport == y.dport &&
	    memcmp(x.src, y.src, sizeof(x.src)) == 0 &&
	    memcmp(x.dst, y.dst, sizeof(x.dst)) == 0;
}

int
netd_spdr_add_static(struct netd_spdr *r, const struct spd_entry *e)
{
	size_t i;
	int error;

	if (r->nstatics == NETD_SPD_STATIC_MAX)
		return -ENOSPC;
	if ((error = spd_entry_valid(e)) != 0)
		return error;
	for (i = 0; i < r->nstatics; i++)
		if (r->statics[i].dir == e->dir &&
		    sel_equal(&r->statics[i].sel, &e->sel))
			return -EEXIST;
	r->statics[r->nstatics++] = *e;
	r->st.shadowed += statics_fill(r, r->live.spd);
	refresh_stats(r);
	return 0;
}

const struct spd *
netd_spdr_spd(const struct netd_spdr *r)
{
	return r->live.spd;
}

bool
netd_spdr_synced(const struct netd_spdr *r)
{
	return r->live.synced;
}

/* ---- change events ---- */

/*
 * A policy that did not install: if a static holds its id or its
 * selector, policyd's wins. True when one was removed (try again).
 */
static bool
evict_static(struct netd_spdr *r, const Parapet__SpdPolicy *p)
{
	const struct spd_policy *sp;
	struct spd_entry e;
	uint32_t id;

	if (p == NULL || spd_msg_entry(p, &e, &id) != 0)
		return false;
	if ((sp = spd_get_id(r->live.spd, id)) == NULL || !is_static_id(id))
		sp = spd_get(r->live.spd, &e.sel, e.dir);
	if (sp == NULL || !is_static_id(sp->id))
		return false;
	if (spd_delete_id(r->live.spd, sp->id) != 0)
		return false;
	r->st.shadowed++;
	return true;
}

static enum netd_spdr_ev
apply_live(struct netd_spdr *r, const Parapet__SpdChangeEvent *ev)
{
	int rv = spd_mirror_apply(&r->live, ev);

	if (rv == -EINVAL && (ev->op == PARAPET__SPD_OP__SPD_OP_ADD ||
	    ev->op == PARAPET__SPD_OP__SPD_OP_UPDATE) &&
	    evict_static(r, ev->policy))
		rv = spd_mirror_apply(&r->live, ev);
	if (rv == 1) {
		r->st.stale++;
		return NETD_SPDR_STALE;
	}
	/*
	 * A policy deleted, flushed, moved by an update, or lost by an
	 * update that failed half-way may have shadowed a static.
	 */
	(void)statics_fill(r, r->live.spd);
	if (rv != 0) {
		r->st.gaps++;
		refresh_stats(r);
		return NETD_SPDR_RESYNC;
	}
	r->st.deltas++;
	refresh_stats(r);
	return NETD_SPDR_APPLIED;
}

static enum netd_spdr_ev
keep(struct netd_spdr *r, const Parapet__SpdChangeEvent *ev)
{
	size_t len;
	uint8_t *buf;

	if (r->nkept == NETD_SPD_KEEP_MAX) {
		r->kept_lost = true;
		return NETD_SPDR_KEPT;
	}
	len = parapet__spd_change_event__get_packed_size(ev);
	if ((buf = malloc(len != 0 ? len : 1)) == NULL) {
		r->kept_lost = true;
		return NETD_SPDR_KEPT;
	}
	(void)parapet__spd_change_event__pack(ev, buf);
	r->kept[r->nkept].buf = buf;
	r->kept[r->nkept].len = len;
	r->nkept++;
	return NETD_SPDR_KEPT;
}

enum netd_spdr_ev
netd_spdr_event(struct netd_spdr *r, const Parapet__SpdChangeEvent *ev)
{
	if (r->building)
		return keep(r, ev);
	return apply_live(r, ev);
}

/* ---- snapshots ---- */

int
netd_spdr_snap_begin(struct netd_spdr *r)
{
	int error;

	build_drop(r);
	if ((error = spd_mirror_init(&r->build, r->seed)) != 0)
		return error;
	r->building = true;
	r->build_first = true;
	r->st.resyncs++;
	return 0;
}

void
netd_spdr_snap_abort(struct netd_spdr *r)
{
	if (!r->building)
		return;
	build_drop(r);
	r->st.snap_failed++;
}

/* Replay the kept events on the new live SPD: true if one showed a gap. */
static bool
replay_kept(struct netd_spdr *r)
{
	bool gap = r->kept_lost;
	size_t i;

	for (i = 0; i < r->nkept; i++) {
		Parapet__SpdChangeEvent *ev;

		ev = parapet__spd_change_event__unpack(NULL, r->kept[i].len,
		    r->kept[i].buf);
		if (ev == NULL || apply_live(r, ev) == NETD_SPDR_RESYNC)
			gap = true;
		if (ev != NULL)
			parapet__spd_change_event__free_unpacked(ev, NULL);
	}
	kept_clear(r);
	return gap;
}

/* The build is complete: statics in, swap, old SPD gone. */
static int
swap_in(struct netd_spdr *r)
{
	struct spd_mirror old = r->live;

	if (spd_count(r->build.spd) != r->build_total)
		return -EPROTO;
	r->st.shadowed += statics_fill(r, r->build.spd);
	r->live = r->build;
	r->building = false;
	memset(&r->build, 0, sizeof(r->build));
	spd_mirror_fini(&old);
	r->st.snapshots++;
	refresh_stats(r);
	return replay_kept(r) ? 2 : 1;
}

int
netd_spdr_snap_page(struct netd_spdr *r, const Parapet__SpdSnapshotReply *p)
{
	int error;

	if (!r->building)
		return -ENOENT;
	if (r->build_first) {
		r->build_epoch = p->epoch;
		r->build_gen = p->gen;
		r->build_total = p->total;
		r->build_first = false;
	} else if (p->epoch != r->build_epoch || p->gen != r->build_gen ||
	    p->total != r->build_total) {
		error = -EPROTO;
		goto fail;
	}
	if ((error = spd_mirror_snapshot(&r->build, p)) != 0)
		goto fail;
	if (!p->done)
		return 0;
	if ((error = swap_in(r)) < 0)
		goto fail;
	return error;
fail:
	netd_spdr_snap_abort(r);
	return error;
}
