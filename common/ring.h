/*
 * ring.h - shared-memory packet rings between netd and ipsecd (DESIGN §2).
 *
 * CONTRACT (fixed; the supervisor codes against it):
 *
 * A region is one memfd (sealed size) holding a versioned header, slot
 * ownership state, two SPSC descriptor rings and a pool of fixed-size
 * packet slots. Side 0 (RING_SIDE_A, netd) owns the pool and produces on
 * the work ring; side 1 (RING_SIDE_B, ipsecd) consumes work and produces on
 * the done ring. Two eventfds are the doorbells: efd[0] wakes side B (work
 * ring non-empty), efd[1] wakes side A (done ring non-empty). The
 * supervisor creates the memfd and the eventfds, keeps them for the life of
 * the instance, and hands them to both sides (SCM_RIGHTS); a side that
 * restarts re-attaches the same region and recovers its slots.
 *
 * The rest of this header (descriptors, enqueue/dequeue, polling) is the
 * ring module's own.
 */
#ifndef PARAPET_RING_H
#define PARAPET_RING_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum ring_side {
	RING_SIDE_A = 0,	/* netd: pool owner, work producer */
	RING_SIDE_B = 1,	/* ipsecd: work consumer, done producer */
};

struct ring_geom {
	uint32_t	nslots;		/* packet slots; power of two */
	uint32_t	slot_bytes;	/* bytes per slot; multiple of 64 */
	uint32_t	headroom;	/* bytes reserved before packet data */
	uint32_t	tailroom;	/* bytes reserved after packet data */
};

#define RING_UUID_LEN	16

/* Supervisor: create a sealed memfd holding a freshly formatted region. */
int	ring_region_create(const struct ring_geom *, const char *name,
	    const uint8_t uuid[RING_UUID_LEN], int *memfd) MUST_CHECK;
/* Supervisor: the two doorbell eventfds (non-blocking, close-on-exec). */
int	ring_doorbells_create(int efd[2]) MUST_CHECK;
/* Validate geometry: -EINVAL with no side effects when unusable. */
int	ring_geom_check(const struct ring_geom *) MUST_CHECK;

struct ring_region;

/*
 * Attach as `side`: map the memfd, check magic, version, geometry and size
 * against the file (-EPROTO / -EINVAL on mismatch), then recover: every slot
 * the previous holder of this side held is returned exactly once. Takes
 * ownership of neither fd (they are dup'd).
 */
int	ring_region_attach(struct ring_region **, int memfd,
	    enum ring_side side, const int efd[2]) MUST_CHECK;
void	ring_region_detach(struct ring_region *);

const uint8_t *ring_region_uuid(const struct ring_region *);
size_t	ring_region_size(const struct ring_region *);
/* The slot pool (for RegionInfo digests): pointer and length. */
const void *ring_region_pool(const struct ring_region *, size_t *len);
const struct ring_geom *ring_region_geom(const struct ring_region *);

#endif
