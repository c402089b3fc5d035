/*
 * policyd.h - the policyd process's state, shared by its shell files:
 * policyd.c (start, stop), policyd_bus.c (bus handlers, publishing) and
 * policyd_store.c (persistence in the supervisor's store). Not a core:
 * these files do I/O; the decisions are in spd.c, spd_pfkey.c,
 * sysctl.c, spd_rec.c and spd_msg.c.
 */
#ifndef PARAPET_POLICYD_H
#define PARAPET_POLICYD_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "spd.h"
#include "spd_pfkey.h"
#include "sysctl.h"

struct server;
struct bus_client;
struct pstore;
struct pd_idmap;
struct pd_sockpol;

#define PD_DUMPS_MAX		64	/* open X_SPDDUMP pagers */
#define PD_SNAPS_MAX		16	/* open snapshots */
#define PD_SESSION_IDLE_MS	60000	/* unused that long: closed */

struct pd_dump {
	uint64_t		token;		/* 0: free slot */
	uint64_t		used_ms;
	struct spd_pfkey_dump	d;
};

struct pd_snap_ent {
	uint32_t		id;
	struct spd_entry	e;
};

struct pd_snap {
	uint64_t		token;
	uint64_t		used_ms;
	uint64_t		gen;
	struct pd_snap_ent	*ents;
	size_t			n, next;
};

struct policyd {
	struct server		*srv;
	struct bus_client	*bus;
	struct spd		*spd;
	struct spd_pfkey	 pk;
	struct sysctl_vals	 vals;
	struct log_rl		 rl;		/* peer-driven warnings */
	uint64_t		 epoch;
	uint64_t		 next_token;
	struct pd_dump		 dumps[PD_DUMPS_MAX];
	struct pd_snap		 snaps[PD_SNAPS_MAX];
	/* Store (NULL: none, state lives in memory only). */
	struct pstore		*store;
	struct pd_idmap		*handles;	/* policy id -> record */
	uint32_t		 h_sysctl;	/* record handles */
	uint32_t		 h_gens;
	struct spd_gens		 gens_saved;	/* ceilings in the store */
	/* Counters. */
	uint64_t		 n_pfkey;
	uint64_t		 n_pfkey_err;
	uint64_t		 n_dump_pages;
	uint64_t		 n_snap_pages;
	uint64_t		 n_published;
	uint64_t		 n_sysctl_set;
	uint64_t		 n_store_writes;
	uint64_t		 n_store_errors;
	uint64_t		 n_store_dropped;
	uint64_t		 n_denied;
	/* Per-socket policy (sockpol_srv.c); NULL: no endpoint. */
	const char		*bus_path;	/* -s, for RUNDIR */
	struct pd_sockpol	*sockpol;
};

/* Wall-clock milliseconds (the SPD's add and use times). */
uint64_t pd_now_ms(void);

/* policyd_bus.c */
int	pd_bus_start(struct policyd *) MUST_CHECK;
void	pd_bus_stop(struct policyd *);

/* policyd_store.c: 0 or -errno; without a store they do nothing. */
int	pd_store_load(struct policyd *) MUST_CHECK;
void	pd_store_policy(struct policyd *, uint32_t id);
void	pd_store_delete(struct policyd *, uint32_t id);
void	pd_store_flush(struct policyd *);
void	pd_store_sysctl(struct policyd *);
void	pd_store_gens(struct policyd *);
void	pd_store_close(struct policyd *);

/* sockpol_srv.c: RUNDIR/sockpol.sock (per-socket policy). */
void	pd_sockpol_args(struct policyd *, int argc, char **argv);
int	pd_sockpol_start(struct policyd *) MUST_CHECK;
void	pd_sockpol_stop(struct policyd *);

#endif
