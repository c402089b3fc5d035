/*
 * policyd_store.c - policyd's state in the store the supervisor keeps
 * for it ([server policyd] store_records = N; common/pstore.h): one record per policy, one for the variables, one
 * for the id and reqid generators (spd_rec.h). Every change is written
 * before keyd is answered, so a kill -9 of policyd loses nothing that
 * was acknowledged; at start the records are scanned and the SPD rebuilt
 * with the same ids, lifetimes, add times and variables.
 *
 * Generators: writing the generator record on every add would double
 * the writes, so it holds ceilings: when the id generator (or the reqid
 * counter) comes within a step of its ceiling, a new ceiling
 * GENS_STRIDE further is written first. A restart resumes at the
 * ceilings: some ids are skipped, none is reused.
 *
 * Without a store (a server run by hand, or no store_records in the
 * configuration) everything here does nothing and state is memory only.
 *
 * Untrusted input: the records (spd_rec_parse checks each; a bad one is
 * dropped and counted, the rest still load).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policyd.h"
#include "pstore.h"
#include "server.h"
#include "spd_rec.h"

#define GENS_STRIDE	(8u * 4096u)	/* ids: 4096 adds; reqids alike */

struct pd_ident {
	struct pd_ident	*next;
	uint32_t	 id;
	uint32_t	 handle;
};

struct pd_idmap {
	struct pd_ident	**b;
	size_t		  nb, n;
};

static size_t
bucket(const struct pd_idmap *m, uint32_t id)
{
	return (size_t)(((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
	    (m->nb - 1);
}

static struct pd_ident **
map_find(const struct pd_idmap *m, uint32_t id)
{
	struct pd_ident **pp = &m->b[bucket(m, id)];

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static int
map_grow(struct pd_idmap *m)
{
	struct pd_ident **nb, **ob = m->b, *e, *n;
	size_t i, old = m->nb;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers. */
	if ((nb = calloc(old * 2, sizeof(*nb))) == NULL)
		return -ENOMEM;
	m->b = nb;
	m->nb = old * 2;
	for (i = 0; i < old; i++) {
		for (e = ob[i]; e != NULL; e = n) {
			n = e->next;
			e->next = nb[bucket(m, e->id)];
			nb[bucket(m, e->id)] = e;
		}
	}
	free(ob);
	return 0;
}

/* The handle of id, PSTORE_NONE if none. */
static uint32_t
map_get(const struct pd_idmap *m, uint32_t id)
{
	struct pd_ident *e = *map_find(m, id);

	return e != NULL ? e->handle : PSTORE_NONE;
}

static int
map_set(struct pd_idmap *m, uint32_t id, uint32_t handle)
{
	struct pd_ident **pp = map_find(m, id), *e;

	if ((e = *pp) != NULL) {
		e->handle = handle;
		return 0;
	}
	if (m->n + 1 > m->nb && map_grow(m) != 0)
		return -ENOMEM;
	if ((e = malloc(sizeof(*e))) == NULL)
		return -ENOMEM;
	e->id = id;
	e->handle = handle;
	pp = &m->b[bucket(m, id)];
	e->next = *pp;
	*pp = e;
	m->n++;
	return 0;
}

static void
map_del(struct pd_idmap *m, uint32_t id)
{
	struct pd_ident **pp = map_find(m, id), *e;

	if ((e = *pp) == NULL)
		return;
	*pp = e->next;
	free(e);
	m->n--;
}

static void
map_clear(struct pd_idmap *m)
{
	struct pd_ident *e, *n;
	size_t i;

	for (i = 0; i < m->nb; i++) {
		for (e = m->b[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
		m->b[i] = NULL;
	}
	m->n = 0;
}

static void
map_free(struct pd_idmap *m)
{
	if (m == NULL)
		return;
	map_clear(m);
	free(m->b);
	free(m);
}

static struct pd_idmap *
map_new(void)
{
	struct pd_idmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->nb = 64;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers. */
	if ((m->b = calloc(m->nb, sizeof(*m->b))) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

/* Write a record over *h (PSTORE_NONE: a new one). */
static int
put(struct policyd *pd, uint32_t *h, const uint8_t *buf, size_t len)
{
	int error;

	if ((error = pstore_put(pd->store, h, buf, len)) != 0) {
		pd->n_store_errors++;
		log_warnx("store: cannot write a record: %s", strerror(-error));
		return error;
	}
	pd->n_store_writes++;
	return 0;
}

void
pd_store_policy(struct policyd *pd, uint32_t id)
{
	const struct spd_policy *p;
	uint8_t buf[SPD_REC_MAX];
	struct spd_lft l;
	uint32_t h;
	size_t len;

	if (pd->store == NULL || (p = spd_get_id(pd->spd, id)) == NULL)
		return;
	spd_pfkey_lft_get(&pd->pk, id, &l);
	if (spd_rec_policy(p, &l, buf, sizeof(buf), &len) != 0)
		return;
	h = map_get(pd->handles, id);
	if (put(pd, &h, buf, len) == 0 && map_set(pd->handles, id, h) != 0)
		log_warnx("store: no memory for the record index");
}

void
pd_store_delete(struct policyd *pd, uint32_t id)
{
	uint32_t h;

	if (pd->store == NULL || (h = map_get(pd->handles, id)) == PSTORE_NONE)
		return;
	if (pstore_del(pd->store, h) != 0)
		pd->n_store_errors++;
	else
		pd->n_store_writes++;
	map_del(pd->handles, id);
}

void
pd_store_flush(struct policyd *pd)
{
	struct pd_ident *e;
	size_t i;

	if (pd->store == NULL)
		return;
	/* Policy records only: the variables and generators stay. */
	for (i = 0; i < pd->handles->nb; i++)
		for (e = pd->handles->b[i]; e != NULL; e = e->next)
			if (pstore_del(pd->store, e->handle) != 0)
				pd->n_store_errors++;
	map_clear(pd->handles);
}

void
pd_store_sysctl(struct policyd *pd)
{
	uint8_t buf[SPD_REC_MAX];
	size_t len;

	if (pd->store == NULL ||
	    spd_rec_sysctl(&pd->vals, buf, sizeof(buf), &len) != 0)
		return;
	(void)put(pd, &pd->h_sysctl, buf, len);
}

/* Distance (modulo 2^32) from a to the ceiling c. */
static uint32_t
room(uint32_t a, uint32_t c)
{
	return c - a;
}

void
pd_store_gens(struct policyd *pd)
{
	uint8_t buf[SPD_REC_MAX];
	struct spd_gens g, c;
	size_t len;

	if (pd->store == NULL)
		return;
	spd_gens_get(pd->spd, &g);
	if (pd->h_gens != PSTORE_NONE &&
	    room(g.idx_gen, pd->gens_saved.idx_gen) > 8 &&
	    room(g.idx_gen, pd->gens_saved.idx_gen) <= GENS_STRIDE &&
	    room(g.reqid_next, pd->gens_saved.reqid_next) > SPD_MAX_REQS &&
	    room(g.reqid_next, pd->gens_saved.reqid_next) <= GENS_STRIDE)
		return;
	c.idx_gen = g.idx_gen + GENS_STRIDE;
	c.reqid_next = g.reqid_next + GENS_STRIDE;
	if (c.reqid_next < SPD_REQID_AUTO_MIN)	/* wrapped */
		c.reqid_next = SPD_REQID_AUTO_MIN + GENS_STRIDE;
	if (spd_rec_gens(&c, buf, sizeof(buf), &len) != 0)
		return;
	if (put(pd, &pd->h_gens, buf, len) == 0)
		pd->gens_saved = c;
}

/* ---- loading ---- */

struct load {
	struct policyd	*pd;
	bool		 have_gens;
	struct spd_gens	 gens;
};

static void
drop(struct policyd *pd, uint32_t handle, const char *why)
{
	pd->n_store_dropped++;
	log_warnx("store: record %u dropped: %s", (unsigned)handle, why);
	if (pstore_del(pd->store, handle) != 0)
		pd->n_store_errors++;
}

/* Keep the newer of two records for one object (pstore_scan order). */
static void
supersede(struct policyd *pd, uint32_t *slot, uint32_t handle)
{
	if (*slot != PSTORE_NONE && pstore_del(pd->store, *slot) != 0)
		pd->n_store_errors++;
	*slot = handle;
}

static int
load_one(void *arg, uint32_t handle, const void *data, size_t len)
{
	struct load *ld = arg;
	struct policyd *pd = ld->pd;
	struct spd_rec rec;
	uint32_t old;
	size_t i;
	int error;

	if (spd_rec_parse(data, len, &rec) != 0) {
		drop(pd, handle, "malformed");
		return 0;
	}
	switch (rec.kind) {
	case SPD_REC_POLICY:
		/* A newer record of the same id replaces the older one. */
		if ((old = map_get(pd->handles, rec.id)) != PSTORE_NONE) {
			error = spd_delete_id(pd->spd, rec.id);
			(void)error;	/* absent: a dropped record */
			supersede(pd, &old, handle);
		}
		if ((error = spd_restore(pd->spd, &rec.e, rec.id,
		    rec.add_ms)) != 0) {
			drop(pd, handle, strerror(-error));
			map_del(pd->handles, rec.id);
			return 0;
		}
		if (spd_pfkey_lft_set(&pd->pk, rec.id, &rec.lft) != 0 ||
		    map_set(pd->handles, rec.id, handle) != 0)
			return -ENOMEM;
		break;
	case SPD_REC_SYSCTL:
		supersede(pd, &pd->h_sysctl, handle);
		for (i = 0; i < SYSCTL_COUNT; i++)
			if ((rec.vals_set & (UINT32_C(1) << i)) != 0)
				pd->vals.v[i] = rec.vals.v[i];
		break;
	case SPD_REC_GENS:
		supersede(pd, &pd->h_gens, handle);
		ld->have_gens = true;
		ld->gens = rec.gens;
		break;
	}
	return 0;
}

int
pd_store_load(struct policyd *pd)
{
	struct load ld = { pd, false, { 0, 0 } };
	int error;

	pd->h_sysctl = pd->h_gens = PSTORE_NONE;
	if ((pd->store = server_store(pd->srv)) == NULL)
		return 0;
	if (pstore_rec_max(pd->store) < SPD_REC_NEED) {
		log_warnx("store: records hold %zu bytes, policies need %d; "
		    "not using the store (raise store_record_bytes)",
		    pstore_rec_max(pd->store), SPD_REC_NEED);
		pd->store = NULL;
		return 0;
	}
	if ((pd->handles = map_new()) == NULL)
		return -ENOMEM;
	if ((error = pstore_scan(pd->store, load_one, &ld)) != 0)
		return error;
	if (ld.have_gens) {
		spd_gens_set(pd->spd, &ld.gens);
		pd->gens_saved = ld.gens;
	}
	/* The first write of each kind after a start (a fresh store). */
	if (pd->h_sysctl == PSTORE_NONE)
		pd_store_sysctl(pd);
	pd_store_gens(pd);
	log_info("store: %zu policies restored, %llu records dropped",
	    spd_count(pd->spd), (unsigned long long)pd->n_store_dropped);
	return 0;
}

void
pd_store_close(struct policyd *pd)
{
	/* The store itself is the shell's (server.c); only our index. */
	map_free(pd->handles);
	pd->handles = NULL;
	pd->store = NULL;
}
