/*
 * netd_spd.h - netd's replica of policyd's SPD and of its variables
 * (DESIGN §10.20; policyd's side: DESIGN §10.13).
 *
 * How netd.c uses it (the shell part, netd_spd_bus.c):
 *
 *	struct netd_spd *ns;
 *
 *	decide_params_default(&dc.params);	// then netd.conf's def_policy
 *	netd_spd_new(&ns, &dc);			// dc.spd: an empty replica
 *	netd_spd_add_static(ns, &pol[i]);	// each -P test policy
 *	netd_spd_set_provisional(ns, !conf.wait_policyd);
 *	netd_spd_on_change(ns, release_held, nd);	// optional
 *	netd_spd_start(ns, srv);		// in init(): bus, counters
 *	...
 *	netd_spd_free(ns);			// in fini()
 *
 * From then on the replica keeps dc->spd (a borrowed pointer: it changes
 * when a snapshot is swapped in, so read it from dc at every decision,
 * never keep it), dc->params.def_policy and .deflev (policyd's
 * variables), and dc->policyd_known (false until the first complete
 * snapshot, unless provisional) up to date. netd_spd_vars() gives the
 * other variables (dfbit, ecn, ah_cleartos, ah_offsetmask) per family,
 * for the ring metadata. The callback runs after a snapshot was swapped
 * in, a delta applied or a variable changed: held packets may be decided
 * again.
 *
 * ServerStateEvent: netd_spd_start() registers the handler for it
 * (policyd restarted: resync). If netd.c needs those events too (one
 * handler per type on a bus client), it registers its own handler
 * *before* netd_spd_start() and forwards every event to
 * netd_spd_server_event(); netd_spd_start() then sees -EEXIST and leaves
 * the type to it.
 *
 * The pure part (struct netd_spdr, netd_spd.c) is below it: no I/O, no
 * clock. Input: bus messages (SpdSnapshotReply, SpdChangeEvent,
 * SysctlGetReply, SysctlChangeEvent) that common/bus_msg.c validated;
 * policies are checked again when installed (spd_entry_valid), names and
 * values against policyd's own table (sysctl.h).
 *
 * Rules (the replica is a struct spd_mirror of spd_msg.h, twice):
 *   - a snapshot is loaded into a fresh SPD ("build"), page by page; all
 *     pages must carry the epoch and generation of the first, and the
 *     count must equal the snapshot's total; then the static (-P)
 *     policies are added and the build replaces the live SPD whole. A
 *     half-loaded SPD is never used.
 *   - change events that arrive while a snapshot is loading are kept
 *     (copies, at most NETD_SPD_KEEP_MAX) and applied after the swap;
 *     those the snapshot already holds (gen <= its gen) are ignored.
 *   - an event of the live epoch whose prev_gen is the live generation
 *     applies; one not above it is stale (ignored); anything else (a
 *     lost event, another epoch: policyd restarted) asks for a resync.
 *     The live SPD stays in use meanwhile.
 *   - policyd's policies keep policyd's ids (spd_restore), so netd,
 *     ipsecd and policyd name a policy alike. Static policies get ids
 *     from NETD_SPD_STATIC_ID_BASE up; one whose selector (and
 *     direction) or id a policyd policy takes is dropped from the
 *     replica while that policy lives (policyd's wins; counted).
 */
#ifndef PARAPET_NETD_SPD_H
#define PARAPET_NETD_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "policyd.pb-c.h"
#include "spd.h"
#include "spd_msg.h"
#include "sysctl.h"
#include "util.h"

#define NETD_SPD_STATIC_MAX	32
#define NETD_SPD_KEEP_MAX	1024	/* events kept during a snapshot */
/* Ids of the static policies: BASE + 8 * index + (dir - 1). policyd's
 * generator would need ~500 million adds to get there. */
#define NETD_SPD_STATIC_ID_BASE	UINT32_C(0xfff00000)
#define NETD_SPD_PAGE		512	/* policies per snapshot page */

/* The variables per family (IPv6 has no dfbit, ah_cleartos or
 * ah_offsetmask in KAME: the values for it are the fixed behaviour). */
struct netd_spd_vars {
	uint8_t		def_policy;	/* 0 discard, 1 none */
	uint8_t		deflev[4];	/* [DECIDE_LEV_*]: 1 use, 2 require */
	uint8_t		dfbit;		/* 0 clear, 1 set, 2 copy; IPv6: 0 */
	int8_t		ecn;		/* -1 ignore, 0 forbidden, 1 allowed */
	uint8_t		ah_cleartos;	/* IPv6: 1 (RFC 4302: class mutable) */
	uint16_t	ah_offsetmask;	/* IPv6: 0 */
};

struct netd_spd_stats {
	uint64_t	snapshots;	/* complete snapshots swapped in */
	uint64_t	snap_failed;	/* snapshots abandoned */
	uint64_t	deltas;		/* change events applied */
	uint64_t	stale;		/* change events already in (ignored) */
	uint64_t	gaps;		/* events that asked for a resync */
	uint64_t	resyncs;	/* snapshots started */
	uint64_t	policies;	/* in the live SPD, statics included */
	uint64_t	generation;	/* policyd's generation of the live SPD */
	uint64_t	shadowed;	/* statics dropped for a policyd policy */
	uint64_t	sysctl_set;	/* variables received */
	uint64_t	sysctl_bad;	/* unknown names, values out of range */
};

struct netd_spdr_kept {
	uint8_t		*buf;		/* a packed SpdChangeEvent; owned */
	size_t		 len;
};

/* The pure replica. Zero it, then netd_spdr_init(). */
struct netd_spdr {
	struct spd_mirror	 live;	/* what decide() reads */
	struct spd_mirror	 build;	/* a snapshot loading */
	bool			 building;
	bool			 build_first;	/* no page yet */
	uint64_t		 build_epoch, build_gen, build_total;
	uint64_t		 seed;
	struct spd_entry	 statics[NETD_SPD_STATIC_MAX];
	size_t			 nstatics;
	struct netd_spdr_kept	 kept[NETD_SPD_KEEP_MAX];
	size_t			 nkept;
	bool			 kept_lost;	/* more than NETD_SPD_KEEP_MAX */
	struct sysctl_vals	 vals;
	struct netd_spd_vars	 vars[2];	/* [0] IPv4, [1] IPv6 */
	struct netd_spd_stats	 st;
};

/* What netd_spdr_event() did. */
enum netd_spdr_ev {
	NETD_SPDR_APPLIED = 0,
	NETD_SPDR_STALE,	/* already in the replica: ignored */
	NETD_SPDR_KEPT,		/* a snapshot is loading: kept for later */
	NETD_SPDR_RESYNC,	/* a gap, another epoch, or no snapshot yet */
};

/*
 * An empty live SPD (not synced), variables at KAME's defaults but for
 * def_policy and the default levels, which come from *initial (netd.conf:
 * "until policyd syncs"). hash_seed: random, from the shell. -ENOMEM.
 */
int	netd_spdr_init(struct netd_spdr *, uint64_t hash_seed,
	    const struct decide_params *initial) MUST_CHECK;
void	netd_spdr_fini(struct netd_spdr *);

/*
 * A static policy (the -P test hook): kept and installed into the live
 * SPD now and into every snapshot. -ENOSPC past NETD_SPD_STATIC_MAX,
 * -EINVAL (spd_entry_valid), -EEXIST (the same selector and direction
 * as an earlier static).
 */
int	netd_spdr_add_static(struct netd_spdr *, const struct spd_entry *)
	    MUST_CHECK;

/* Start loading a snapshot (abandons one loading). -ENOMEM. */
int	netd_spdr_snap_begin(struct netd_spdr *) MUST_CHECK;
/*
 * One page. 0: more pages to come; 1: done, the snapshot is live; 2:
 * done and live, but a kept event showed a gap (or events were lost):
 * resync. Negative: the snapshot is abandoned (-EPROTO pages that
 * disagree or a wrong count, -EINVAL/-EEXIST a policy that does not
 * install, -ENOMEM, -ENOENT no snapshot loading); resync.
 */
int	netd_spdr_snap_page(struct netd_spdr *,
	    const Parapet__SpdSnapshotReply *) MUST_CHECK;
/* Abandon a snapshot loading (a failed request); counted. */
void	netd_spdr_snap_abort(struct netd_spdr *);

/* A change event from topic "spd": enum netd_spdr_ev. */
enum netd_spdr_ev netd_spdr_event(struct netd_spdr *,
	    const Parapet__SpdChangeEvent *);

/*
 * One variable (SysctlGetReply's vars, SysctlChangeEvent). 0 (set, or
 * unchanged), -ENOENT an unknown name (ignored: a newer policyd), -EINVAL
 * a value out of our range. Both counted (sysctl_bad).
 */
int	netd_spdr_sysctl(struct netd_spdr *, const char *name, int64_t value)
	    MUST_CHECK;

/* The live SPD (borrowed, valid until the next page, event or fini). */
const struct spd *netd_spdr_spd(const struct netd_spdr *);
/* A snapshot has been swapped in. */
bool	netd_spdr_synced(const struct netd_spdr *);
/* def_policy and deflev into *p (gateway untouched). */
void	netd_spdr_params(const struct netd_spdr *, struct decide_params *p);
/* AF_INET or AF_INET6 (anything else: IPv4's). Borrowed. */
const struct netd_spd_vars *netd_spdr_vars(const struct netd_spdr *,
	    uint16_t family);

/* ---- the shell (netd_spd_bus.c: libuv, the bus) ---- */

struct netd_spd;
struct server;
struct bus_msg;

typedef void netd_spd_change_fn(void *arg);

/* Allocate; dc's spd, params and policyd_known are set at once. */
int	netd_spd_new(struct netd_spd **, struct decide_ctx *dc) MUST_CHECK;
/* Before or after start; see netd_spdr_add_static. */
int	netd_spd_add_static(struct netd_spd *, const struct spd_entry *)
	    MUST_CHECK;
/*
 * true: the replica counts as known before policyd's first snapshot
 * (statics and netd.conf's def_policy decide; netd.conf wait_policyd =
 * no, for setups without policyd). false (the default): fail closed
 * until the first snapshot.
 */
void	netd_spd_set_provisional(struct netd_spd *, bool);
void	netd_spd_on_change(struct netd_spd *, netd_spd_change_fn *, void *);
/*
 * Register the bus handlers and counters, subscribe to "spd", "sysctl"
 * and "server", and start syncing (and again after every reconnect and
 * every restart of policyd). Once per replica.
 */
int	netd_spd_start(struct netd_spd *, struct server *) MUST_CHECK;
/* A ServerStateEvent, when netd.c owns that type (see above). */
void	netd_spd_server_event(struct netd_spd *, const struct bus_msg *);
const struct netd_spd_vars *netd_spd_vars(const struct netd_spd *,
	    uint16_t family);
const struct netd_spd_stats *netd_spd_stats(const struct netd_spd *);
/*
 * The per-socket policy (policyd's registry, netd_sockpol.h) covering
 * the packet in direction dir: decide()'s per-socket hook, through a
 * wrapper of the caller's (decide_ctx.arg is the caller's).
 */
bool	netd_spd_sockpol(struct netd_spd *, uint8_t dir,
	    const struct spd_pkt *, struct decide_sockpol *);
/* Stop; the memory goes once no bus request is pending. NULL is fine. */
void	netd_spd_free(struct netd_spd *);

#endif /* PARAPET_NETD_SPD_H */
