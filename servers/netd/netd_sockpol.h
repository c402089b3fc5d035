/*
 * netd_sockpol.h - netd's view of policyd's per-socket policy registry
 * (servers/policyd/sockpol.h): the replica and the decide() hook that
 * consults it before the SPD (DESIGN §6; decide.h's decide_sock_fn).
 *
 * The replica is a struct sockpol_mirror (sockpol_msg.h) kept from
 * policyd's SockpolSnapshotReply and its SockpolChangeEvents on topic
 * "sockpol". Pure: no I/O, no clock, no globals.
 *
 * Wiring into netd.c (the lead's; DESIGN §10.21): subscribe to
 * "sockpol", send SockpolSnapshotRequest to policyd and pass the reply
 * to netd_sockpol_snapshot(), each event to netd_sockpol_event() (on
 * -ESTALE, ask for a snapshot again); and where the decide_ctx is set
 * up, ctx.sock = netd_sockpol_decide with ctx.arg giving it the struct
 * netd_sockpol (or a wrapper calling netd_sockpol_lookup() when arg is
 * netd's own state).
 */
#ifndef PARAPET_NETD_SOCKPOL_H
#define PARAPET_NETD_SOCKPOL_H

#include <stdbool.h>
#include <stdint.h>

#include "decide.h"
#include "sockpol.h"
#include "sockpol_msg.h"

struct netd_sockpol {
	struct sockpol_mirror	 m;	/* the replica */
	uint64_t		 hits;	/* lookups that found a policy */
	uint64_t		 misses;
	uint64_t		 resyncs;	/* gaps: snapshots asked for */
};

int	netd_sockpol_init(struct netd_sockpol *) MUST_CHECK;
void	netd_sockpol_fini(struct netd_sockpol *);

/* policyd's snapshot / one event: see sockpol_mirror_*(); -ESTALE from
 * netd_sockpol_event() means "ask for a snapshot" (counted). */
int	netd_sockpol_snapshot(struct netd_sockpol *,
	    const Parapet__SockpolSnapshotReply *) MUST_CHECK;
int	netd_sockpol_event(struct netd_sockpol *,
	    const Parapet__SockpolChangeEvent *) MUST_CHECK;

/*
 * The per-socket policy covering the packet in direction dir, as
 * decide() wants it: true and *out filled (action, id, requests), or
 * false. Counts hits and misses.
 */
bool	netd_sockpol_lookup(struct netd_sockpol *, uint8_t dir,
	    const struct spd_pkt *, struct decide_sockpol *out);

/* decide_sock_fn with arg = struct netd_sockpol *. */
bool	netd_sockpol_decide(void *arg, uint8_t dir, const struct spd_pkt *,
	    struct decide_sockpol *out);

#endif
