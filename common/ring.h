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

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
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


/* ---------------------------------------------------------------------
 * Below: the ring module's own API (see docs/DESIGN.md §10.4 for the design
 * and the recovery argument).
 *
 * Errors are negative errno values: -EINVAL (bad argument, or a geometry
 * or layout that does not add up), -EPROTO (not a ring region, another
 * version, or indices a peer has corrupted), -ENOBUFS (no free slot or no
 * room in a ring), -ENOMEM, or what a system call returned.
 *
 * Threads: a struct ring_region is used by one thread at a time. Each ring
 * has one producer and one consumer: the two sides, normally two
 * processes (two threads with a handle each work too).
 *
 * ring_region_attach() logs the precise reason for a refusal; it dup's the
 * eventfds and only maps the memfd (the mapping keeps the file alive).
 * --------------------------------------------------------------------- */

/* A sane default for one netd/ipsecd pair: 2 MiB of slots. */
#define RING_GEOM_DEFAULT \
	{ .nslots = 1024, .slot_bytes = 2048, .headroom = 128, .tailroom = 64 }

/* ring_geom_check() limits. */
#define RING_NSLOTS_MAX		(1u << 16)
#define RING_SLOT_BYTES_MIN	64u
#define RING_SLOT_BYTES_MAX	(1u << 16)	/* off and len are 16 bits */
#define RING_POOL_BYTES_MAX	(1ull << 30)	/* 1 GiB of slots */
#define RING_NAME_MAX		31		/* bytes, without the NUL */

/* ---- shared layout (version 1) ----
 *
 *   0      struct ring_hdr          immutable after ring_region_create()
 *   192    struct ring_ctl  work    A -> B, 3 cache lines
 *   384    struct ring_ctl  done    B -> A, 3 cache lines
 *   576    owner[nslots]            one byte per slot, RING_OWNER_*
 *   ...    struct ring_sdesc work[2 * nslots]  64-byte aligned
 *   ...    struct ring_sdesc done[2 * nslots]  64-byte aligned
 *   ...    slot pool, nslots * slot_bytes      page aligned
 *   total  rounded up to a page
 *
 * Every offset follows from the geometry (ring_layout_compute()); the
 * header repeats them so a reader can check its arithmetic, and attach
 * refuses a header whose copy disagrees. Header integers are little-endian
 * (written and read with the wr/rd cursors); the atomics below are in host
 * order, which is fine because both sides run on the same machine.
 */
#define RING_MAGIC	0x474e5250u	/* "PRNG" in little-endian bytes */
#define RING_VERSION	1u

struct ring_hdr {
	uint32_t	rh_magic;
	uint32_t	rh_version;
	uint32_t	rh_hdr_bytes;	/* sizeof(struct ring_hdr) */
	uint32_t	rh_entries;	/* descriptors per ring: 2 * nslots */
	struct ring_geom rh_geom;
	uint64_t	rh_total_bytes;	/* equals the memfd's size */
	uint64_t	rh_owner_off;
	uint64_t	rh_work_off;	/* struct ring_ctl */
	uint64_t	rh_done_off;
	uint64_t	rh_work_desc_off;
	uint64_t	rh_done_desc_off;
	uint64_t	rh_pool_off;
	uint8_t		rh_uuid[RING_UUID_LEN];
	char		rh_name[RING_NAME_MAX + 1];	/* NUL-terminated */
	uint64_t	rh_check;	/* ring_hdr_check() of the rest */
	uint8_t		rh_reserved[48];		/* zero */
};
_Static_assert(sizeof(struct ring_hdr) == 192, "ring_hdr size");
_Static_assert(offsetof(struct ring_hdr, rh_geom) == 16, "rh_geom");
_Static_assert(offsetof(struct ring_hdr, rh_total_bytes) == 32, "rh_total");
_Static_assert(offsetof(struct ring_hdr, rh_pool_off) == 80, "rh_pool_off");
_Static_assert(offsetof(struct ring_hdr, rh_uuid) == 88, "rh_uuid");
_Static_assert(offsetof(struct ring_hdr, rh_name) == 104, "rh_name");
_Static_assert(offsetof(struct ring_hdr, rh_check) == 136, "rh_check");

/*
 * FNV-1a 64 over the header bytes with rh_check taken as zero. It catches
 * accidental damage that the layout checks cannot see (a headroom that
 * changed, a slot size that rounds to the same pages); it is no defence
 * against a peer that rewrites the header on purpose.
 */
uint64_t ring_hdr_check(const uint8_t raw[sizeof(struct ring_hdr)]);

/*
 * One SPSC ring's indices. prod and cons are free-running 32-bit counters
 * (entry = index & (entries - 1)); each sits alone on its cache line so
 * the producer and the consumer never write the same line in the steady
 * state. sleeping is the consumer's "about to block" flag: set by the
 * consumer, taken (exchanged to 0) by the producer that rings the bell.
 */
struct ring_ctl {
	alignas(CACHELINE) _Atomic uint32_t rc_prod;	/* producer writes */
	alignas(CACHELINE) _Atomic uint32_t rc_cons;	/* consumer writes */
	alignas(CACHELINE) _Atomic uint32_t rc_sleeping;
};
_Static_assert(sizeof(struct ring_ctl) == 3 * (size_t)CACHELINE,
    "ring_ctl size");
_Static_assert(offsetof(struct ring_ctl, rc_cons) == CACHELINE, "rc_cons");
_Static_assert(offsetof(struct ring_ctl, rc_sleeping) ==
    2 * (size_t)CACHELINE, "rc_sleeping");

/*
 * A descriptor as stored in a ring: two 64-bit words, written with relaxed
 * atomic stores before the release of rc_prod and read exactly once each
 * with relaxed atomic loads after the acquire of rc_prod.
 *   w0 = slot | off << 32 | len << 48
 *   w1 = op | flags << 8 | (uint16_t)result << 16 | hint << 32
 */
struct ring_sdesc {
	_Atomic uint64_t rs_w0;
	_Atomic uint64_t rs_w1;
};
_Static_assert(sizeof(struct ring_sdesc) == 16, "ring_sdesc size");

/* Owner words: who held a slot last (see the recovery rules). */
enum ring_owner {
	RING_OWNER_A = 'A',
	RING_OWNER_B = 'B',
};

/* Offsets of one geometry's layout, in bytes from the region start. */
struct ring_layout {
	uint32_t	entries;	/* 2 * nslots (a power of two) */
	size_t		owner_off;
	size_t		work_off;
	size_t		done_off;
	size_t		work_desc_off;
	size_t		done_desc_off;
	size_t		pool_off;
	size_t		total_bytes;
};

/* The layout of a geometry; -EINVAL when ring_geom_check() refuses it. */
int	ring_layout_compute(const struct ring_geom *, struct ring_layout *)
	    MUST_CHECK;

/* ---- descriptors ---- */

/*
 * A descriptor, unpacked. The packet is slot bytes [off, off + len); the
 * bytes before off (headroom) and after (tailroom) are room for in-place
 * transforms. op, flags and hint are opaque to the ring (the netd/ipsecd
 * protocol defines them); result is 0 or a negative errno on the done ring.
 */
struct ring_desc {
	uint32_t	slot;
	uint16_t	off;	/* bytes from the slot start */
	uint16_t	len;	/* bytes */
	uint8_t		op;
	uint8_t		flags;
	int16_t		result;
	uint32_t	hint;	/* SA / policy hint */
};

/* Set on descriptors that attach recovery returned (result -ECONNABORTED). */
#define RING_F_RECOVERED	0x80

/* ---- slots (side A owns the pool) ---- */

/*
 * Side A: take a free slot (it becomes "held": yours until you send it or
 * free it). 0, or -ENOBUFS when every slot is held or in flight, -EINVAL on
 * side B.
 */
int	ring_slot_alloc(struct ring_region *, uint32_t *slot) MUST_CHECK;
/* Side A: up to n slots into slots[]; returns how many (0 when none). */
unsigned ring_slot_alloc_n(struct ring_region *, uint32_t *slots,
	    unsigned n);
/* Side A: give back a held slot. -EINVAL if it is not held (or side B). */
int	ring_slot_free(struct ring_region *, uint32_t slot) MUST_CHECK;
/*
 * The first byte of a slot (slot_bytes long), or NULL when slot is out of
 * range. The bytes are shared with the peer: treat what it wrote as
 * untrusted and read it through a cursor, once.
 */
uint8_t *ring_slot(const struct ring_region *, uint32_t slot);
/* Packet bytes of a descriptor (d->off into its slot); NULL if it does not
 * fit the slot. */
uint8_t *ring_desc_data(const struct ring_region *, const struct ring_desc *);

/* ---- the rings ---- */

/*
 * Send n descriptors on this side's outbound ring (A: work, B: done), in
 * order, all or none. Every slot must be held by the caller and off + len
 * must fit the slot, else -EINVAL and nothing is sent; ownership of the
 * slots moves to the peer. Rings the peer's doorbell if it announced sleep.
 * Because a ring has more entries than there are slots, sending slots you
 * hold cannot run out of room; -EPROTO (or -ENOBUFS) means the peer
 * corrupted the indices. n above the ring size is -EINVAL.
 */
int	ring_send(struct ring_region *, const struct ring_desc *, unsigned n)
	    MUST_CHECK;
/*
 * Receive up to max descriptors from the inbound ring (A: done, B: work)
 * into d[]; returns how many were delivered, or -EPROTO (indices
 * corrupted, nothing consumed). 0 means empty, unless everything in this
 * pass was dropped (see below): ring_pending() tells. Each descriptor is
 * copied out once and the copy checked: a slot index out of range, or a
 * slot that was not in flight to us, is dropped and counted; a slot whose
 * off + len overruns it is delivered with off 0, len 0 and result -EBADMSG
 * so the slot is not lost. The caller holds every delivered slot: side B
 * sends it back, side A re-sends or frees it.
 */
int	ring_recv(struct ring_region *, struct ring_desc *d, unsigned max)
	    MUST_CHECK;
/*
 * Copy up to max pending inbound descriptors without consuming them and
 * without checking them: for look-ahead (prefetch, grouping by hint).
 * The slots are not yours until ring_recv() delivers them.
 */
unsigned ring_peek(struct ring_region *, struct ring_desc *d, unsigned max);
/* Inbound descriptors waiting (0 when empty or corrupted). */
unsigned ring_pending(struct ring_region *);

/* ---- waiting: adaptive polling and doorbells ----
 *
 * A consumer that finds its inbound ring empty spins for a while
 * (ring_spin), then announces sleep (ring_sleep_prepare) and blocks on
 * ring_wake_fd() until the producer's next send rings it; after waking it
 * calls ring_sleep_finish(). From a libuv loop:
 *
 *	uv_poll on ring_wake_fd(r), UV_READABLE:  ring_sleep_finish(r); run(r)
 *	uv_idle (only while started):             run(r)
 *	run(r):
 *		receive a bounded batch (say 64) with ring_recv() and work;
 *		if (ring_pending(r) || ring_spin(r, budget) ||
 *		    !ring_sleep_prepare(r))
 *			uv_idle_start(): more work, come back next turn;
 *		else
 *			uv_idle_stop(): armed, the bell wakes us.
 *
 * Spin budgets are iteration counts (no clocks here): one iteration is one
 * check of the ring plus one CPU pause (20-40 ns on the project machine);
 * callers calibrate iterations per microsecond once at start. A wake-up
 * across cores costs tens of microseconds, so spin about that long; two
 * sides that share a core should spin 0 (spinning only delays the peer).
 * ring_region_attach() leaves no stale announcement behind and rings the
 * peer if it is asleep (its predecessor may have died between sending and
 * ringing).
 */
/* The eventfd that wakes this side (A: efd[1], B: efd[0]). */
int	ring_wake_fd(const struct ring_region *);
/* Spin up to iters iterations; true as soon as the inbound ring has work. */
bool	ring_spin(struct ring_region *, uint32_t iters);
/*
 * Announce sleep, then look again (after a full fence). true: armed, block
 * on ring_wake_fd() now. false: work arrived, the announcement is
 * withdrawn, do not block.
 */
bool	ring_sleep_prepare(struct ring_region *);
/* After waking (or giving up on a sleep): drain the eventfd, withdraw. */
void	ring_sleep_finish(struct ring_region *);
/*
 * Blocking helper: spin for spin_iters, then sleep in poll(2) until rung.
 * 0 when the inbound ring has work; -ETIMEDOUT when one sleep lasted
 * timeout_ms (-1: no limit) with nothing to do; other poll(2) errors.
 */
int	ring_wait(struct ring_region *, uint32_t spin_iters, int timeout_ms)
	    MUST_CHECK;

/* ---- accounting ---- */

enum ring_side ring_region_side(const struct ring_region *);

/*
 * Slots by this side's view. Side A: free (in its free list), held (by
 * the application), peer (sent and not yet back); free + held + peer ==
 * nslots always. Side B: held (received, not yet sent back); the rest is
 * peer, free is 0.
 */
struct ring_slot_counts {
	uint32_t	free;
	uint32_t	held;
	uint32_t	peer;
};
void	ring_slot_counts(const struct ring_region *, struct ring_slot_counts *);

/* Counters; they start at zero at each attach. */
struct ring_stats {
	uint64_t	sent;		/* descriptors sent */
	uint64_t	received;	/* descriptors delivered */
	uint64_t	bad_slot;	/* dropped: slot index out of range */
	uint64_t	not_ours;	/* dropped: slot not in flight to us */
	uint64_t	bad_range;	/* delivered as -EBADMSG: off+len */
	uint64_t	bells;		/* doorbells rung (peer woken) */
	uint64_t	sleeps;		/* sleeps armed */
	uint32_t	reclaimed;	/* at attach: A free slots, B aborted */
	uint32_t	bad_owner;	/* owner words with no valid value */
};
const struct ring_stats *ring_region_stats(const struct ring_region *);

#endif
