/*
 * sockpol_msg.h - per-socket policy registrations on the bus
 * (proto/policyd.proto: SockPolicy, SockpolSnapshotReply,
 * SockpolChangeEvent): the conversion both ways, and the subscriber's
 * replica kept from a snapshot and the deltas, with gap detection (as
 * spd_msg.h's spd_mirror for the SPD). Pure, but needs protobuf-c.
 *
 * The IPsec requests travel as SpdIpsecRequest and are converted by
 * spd_msg.c's code (spd_msg_fill, spd_msg_entry), so both kinds of
 * policy read their requests the same way.
 */
#ifndef PARAPET_SOCKPOL_MSG_H
#define PARAPET_SOCKPOL_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "policyd.pb-c.h"
#include "sockpol.h"
#include "spd_msg.h"
#include "util.h"

/* A Parapet__SockPolicy with room for what it borrows. */
struct sockpol_pmsg {
	Parapet__SockPolicy	p;
	struct spd_entry	e;	/* the requests, for spd_msg_fill */
	struct spd_pmsg		r;
	uint8_t			laddr[16], raddr[16];
};

/* Fill m from e (m holds copies of what it points at). */
void	sockpol_msg_fill(struct sockpol_pmsg *m, const struct sockpol_ent *e);
/* Back: 0, or -EINVAL for what is not a registration. */
int	sockpol_msg_ent(const Parapet__SockPolicy *, struct sockpol_ent *)
	    MUST_CHECK;

struct sockpol_mirror {
	struct sockpol_db	*db;	/* owned */
	uint64_t		 epoch;
	uint64_t		 gen;
	bool			 synced;	/* a snapshot was loaded */
};

int	sockpol_mirror_init(struct sockpol_mirror *) MUST_CHECK;
void	sockpol_mirror_fini(struct sockpol_mirror *);
/* Replace everything by the snapshot. 0, -EINVAL (a bad policy: the
 * mirror is left empty and unsynced), -ENOSPC, -ENOMEM. */
int	sockpol_mirror_snapshot(struct sockpol_mirror *,
	    const Parapet__SockpolSnapshotReply *) MUST_CHECK;
/*
 * One event: 0 when applied or already in (gen not above the
 * mirror's); -ESTALE on a gap (not synced, another epoch, prev_gen not
 * the mirror's gen): take a new snapshot; -EINVAL for a bad event.
 */
int	sockpol_mirror_apply(struct sockpol_mirror *,
	    const Parapet__SockpolChangeEvent *) MUST_CHECK;

#endif
