/*
 * sadb_store.h - the SADB's records in keyd's store (sadb_store.c): the
 * persist hooks of struct sadb_persist over a struct pstore, and loading
 * a store back into an SADB after a restart.
 *
 *	lim.persist = (struct sadb_persist){ sadb_store_put,
 *	    sadb_store_del, ps };
 *	sadb_create(&db, &lim);
 *	sadb_store_load(db, ps, &st);
 */
#ifndef PARAPET_SADB_STORE_H
#define PARAPET_SADB_STORE_H

#include <stdint.h>

#include "pstore.h"
#include "sadb.h"
#include "util.h"

struct sadb_store_stats {
	uint64_t	restored;	/* SAs back in the SADB */
	uint64_t	bad;		/* records deleted: did not parse or
					   restore */
};

/* The hooks; arg is the struct pstore. */
int	sadb_store_put(void *arg, const struct sadb_sa *, uint32_t *handle)
	    MUST_CHECK;
void	sadb_store_del(void *arg, uint32_t handle);

/* Restore every record of ps into db (whose hooks write to ps). */
int	sadb_store_load(struct sadb *, struct pstore *,
	    struct sadb_store_stats *) MUST_CHECK;

#endif
