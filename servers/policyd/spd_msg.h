/*
 * spd_msg.h - SPD policies on the bus (proto/policyd.proto): conversion
 * between SPD entries and Parapet__SpdPolicy, and the subscriber's side
 * of publishing: a mirror of policyd's SPD kept from a snapshot and the
 * "spd" deltas, with gap detection (netd and ipsecd will use it; the
 * tests do now). Pure: no I/O.
 *
 * Protocol (DESIGN §10.13): subscribe to "spd", then page
 * SpdSnapshotRequest from cursor 0 until done, keeping events that arrive
 * meanwhile; load the snapshot (epoch, gen), then apply the kept events
 * and every later one with spd_mirror_apply(). An event whose gen is not
 * above the mirror's is already in it; one whose prev_gen is the
 * mirror's gen (same epoch) applies; anything else is a gap: take a new
 * snapshot.
 *
 * Input: messages the bus validated (bus_msg.c); entries are checked
 * again by the SPD (spd_entry_valid) when they are installed.
 */
#ifndef PARAPET_SPD_MSG_H
#define PARAPET_SPD_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "policyd.pb-c.h"
#include "spd.h"
#include "util.h"

/* A Parapet__SpdPolicy with room for its requests. */
struct spd_pmsg {
	Parapet__SpdPolicy		 p;
	Parapet__SpdIpsecRequest	 req[SPD_MAX_REQS];
	Parapet__SpdIpsecRequest	*reqp[SPD_MAX_REQS];
};

/* Fill m from (id, e); m borrows e's address bytes. */
void	spd_msg_fill(struct spd_pmsg *m, uint32_t id,
	    const struct spd_entry *e);
/* Back: 0, or -EINVAL for what has no entry form. */
int	spd_msg_entry(const Parapet__SpdPolicy *, struct spd_entry *,
	    uint32_t *idp) MUST_CHECK;

struct spd_mirror {
	struct spd	*spd;		/* owned */
	uint64_t	 epoch;
	uint64_t	 gen;
	bool		 synced;	/* a snapshot was loaded */
};

int	spd_mirror_init(struct spd_mirror *, uint64_t seed) MUST_CHECK;
void	spd_mirror_fini(struct spd_mirror *);
/* Drop everything: a snapshot follows. */
void	spd_mirror_reset(struct spd_mirror *);
/*
 * One page of a snapshot (after spd_mirror_reset for the first). When
 * r->done, the mirror is at (r->epoch, r->gen). -EINVAL, -EEXIST,
 * -ENOMEM: the snapshot is unusable (reset and start again).
 */
int	spd_mirror_snapshot(struct spd_mirror *, const Parapet__SpdSnapshotReply *)
	    MUST_CHECK;
/*
 * Apply a delta: 0 applied, 1 already in the mirror (ignored), -ESTALE
 * gap (new snapshot needed; also before the first snapshot), -EINVAL
 * a delta that does not fit (also a gap in effect).
 */
int	spd_mirror_apply(struct spd_mirror *, const Parapet__SpdChangeEvent *)
	    MUST_CHECK;

#endif
