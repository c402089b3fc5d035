/*
 * sa_state.h - the persistent per-SA packet state of ipsecd: outbound
 * sequence/IV counter, inbound replay window, byte and packet counts,
 * first-use time, and which lifetime limits have been crossed.
 *
 * It lives in a pstore (common/pstore.h) that the supervisor keeps across
 * restarts of ipsecd: one record per SA, written once with pstore_put()
 * and from then on updated in place ("hot", pstore_hot()). On start,
 * sa_pstates_open() scans the store and indexes the records by identity
 * (SPI, protocol, destination, and keyd's 64-bit SA generation, so that an
 * SPI reused for a new SA never inherits an old SA's counters); when keyd
 * (re)installs an SA, sa_pstate_attach() finds its record again, so
 * counters and windows continue where the killed ipsecd left them, or
 * makes a new one.
 *
 * The record is the layout below, in shared memory: fixed size for a
 * given window, no pointers, a magic and a version, every offset checked
 * at compile time. The store order of every update errs towards safety
 * after a kill -9 (replay.h; DESIGN §10.11). Records are ours, but the
 * memory outlived a process that may have been broken: each one is
 * validated at scan, and one that fails is dropped and counted.
 *
 * Struct tags are sa_pstate (not sa_state) because keyd's sadb.h has an
 * enum sa_state, and a test may include both.
 *
 * Pure: no I/O (the pstore is memory), no clock (times are arguments), no
 * globals. One owner thread.
 */
#ifndef PARAPET_IPSECD_SA_STATE_H
#define PARAPET_IPSECD_SA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "util.h"

struct pstore;

/* Who an SA is, for finding its record again. */
struct sa_pstate_id {
	uint64_t	gen;		/* keyd's SA generation, never reused */
	uint32_t	spi;		/* host order */
	uint8_t		proto;		/* IPPROTO_ESP or IPPROTO_AH */
	uint8_t		family;		/* 4 or 6 */
	uint8_t		dst[16];	/* network order; v4 in dst[0..3] */
};

/* Lifetime limits keyd sends (sadb_lifetime bytes, allocations); 0: none. */
struct sa_limits {
	uint64_t	soft_bytes;
	uint64_t	hard_bytes;
	uint64_t	soft_packets;
	uint64_t	hard_packets;
};

/* Limits crossed, each reported once (sa_pstate_count()). */
#define SA_CROSSED_SOFT_BYTES	0x0001u
#define SA_CROSSED_HARD_BYTES	0x0002u
#define SA_CROSSED_SOFT_PACKETS	0x0004u
#define SA_CROSSED_HARD_PACKETS	0x0008u
#define SA_CROSSED_HARD		(SA_CROSSED_HARD_BYTES | SA_CROSSED_HARD_PACKETS)
#define SA_CROSSED_MASK		0x000fu

/*
 * The record, in shared memory. Written whole once by pstore_put(); then
 * hot: the identity and geometry never change, the counters below change
 * in place by single aligned 64-bit stores.
 */
#define SA_PSTATE_MAGIC		0x54535053u	/* "SPST" little-endian */
#define SA_PSTATE_VERSION	1u

struct sa_pstate_rec {
	uint32_t	sr_magic;	/*  0 SA_PSTATE_MAGIC */
	uint16_t	sr_version;	/*  4 SA_PSTATE_VERSION */
	uint16_t	sr_flags;	/*  6 REPLAY_F_ESN | REPLAY_F_CYCLIC */
	uint64_t	sr_gen;		/*  8 identity: keyd's generation */
	uint32_t	sr_spi;		/* 16 identity: SPI, host order */
	uint8_t		sr_proto;	/* 20 identity: 50 or 51 */
	uint8_t		sr_family;	/* 21 identity: 4 or 6 */
	uint16_t	sr_reserved;	/* 22 zero */
	uint8_t		sr_dst[16];	/* 24 identity: destination */
	uint64_t	sr_out_last;	/* 40 last outbound number used */
	uint64_t	sr_bytes;	/* 48 bytes counted */
	uint64_t	sr_packets;	/* 56 packets counted */
	uint64_t	sr_first_use;	/* 64 caller's time of first use */
	uint64_t	sr_state;	/* 72 SA_CROSSED_* | SR_USED */
	struct replay_win sr_win;	/* 80 inbound window (16 + 8N) */
};
_Static_assert(sizeof(struct sa_pstate_rec) == 96, "sa_pstate_rec size");
_Static_assert(offsetof(struct sa_pstate_rec, sr_gen) == 8, "sr_gen");
_Static_assert(offsetof(struct sa_pstate_rec, sr_spi) == 16, "sr_spi");
_Static_assert(offsetof(struct sa_pstate_rec, sr_dst) == 24, "sr_dst");
_Static_assert(offsetof(struct sa_pstate_rec, sr_out_last) == 40, "out");
_Static_assert(offsetof(struct sa_pstate_rec, sr_bytes) == 48, "bytes");
_Static_assert(offsetof(struct sa_pstate_rec, sr_packets) == 56, "pkts");
_Static_assert(offsetof(struct sa_pstate_rec, sr_first_use) == 64, "use");
_Static_assert(offsetof(struct sa_pstate_rec, sr_state) == 72, "state");
_Static_assert(offsetof(struct sa_pstate_rec, sr_win) == 80, "sr_win");

#define SR_USED			UINT64_C(0x100)	/* sr_first_use is set */

/* Record bytes for a window (payload of the pstore record); 0 if the
 * window is too large. */
size_t	sa_pstate_rec_bytes(uint32_t window);

struct sa_pstates;	/* the set: the store and an index by identity */
struct sa_pstate;	/* one SA's state, in-process handle */

struct sa_pstates_stats {
	uint32_t	records;	/* indexed records */
	uint32_t	attached;	/* of which attached to an SA */
	uint64_t	created;	/* records made by attach */
	uint64_t	reattached;	/* records found again by attach */
	uint64_t	dropped_invalid;/* failed validation at scan */
	uint64_t	dropped_dup;	/* older duplicate of an identity */
	uint64_t	pruned;		/* freed by sa_pstates_prune() */
	uint64_t	store_lost;	/* pstore dropped as bad at attach */
	uint64_t	del_failed;	/* pstore_del() refused (a bug) */
};

/*
 * Index the records of ps (borrowed; it must outlive the set): validate
 * each, drop invalid ones and older duplicates. hash_seed keys the index
 * hash (random, from the shell). -ENOMEM.
 */
int	sa_pstates_open(struct pstore *ps, uint64_t hash_seed,
	    struct sa_pstates **out) MUST_CHECK;
/* Forget the in-process index; the records stay in the store. */
void	sa_pstates_close(struct sa_pstates *);
void	sa_pstates_stats(const struct sa_pstates *, struct sa_pstates_stats *);

/*
 * Bind an SA to its state. window (packets, rounded as replay.h says) and
 * flags (REPLAY_F_ESN, REPLAY_F_CYCLIC) are used when a record is made; a
 * found record keeps its own (it is what the packets so far were judged
 * by). *reattached tells which happened.
 *
 * resync: keyd is re-announcing an SA that existed before this ipsecd
 * started. If its record is not found although the store lost records
 * (stats.store_lost or dropped_invalid non-zero), the SA's counters may be
 * gone: -ESTALE, and the SA must not be used (ask keyd to expire it)
 * rather than risk reusing an IV. Without resync a missing record is
 * simply made.
 *
 * -EBUSY: that identity is already attached. -EMSGSIZE: the window does
 * not fit the store's records. -ENOSPC: the store is full. -EINVAL: bad
 * window, flags or identity. -ENOMEM.
 */
int	sa_pstate_attach(struct sa_pstates *, const struct sa_pstate_id *,
	    uint32_t window, unsigned flags, bool resync, bool *reattached,
	    struct sa_pstate **out) MUST_CHECK;
/* The SA is gone (deleted, expired, flushed): free its record. */
void	sa_pstate_free(struct sa_pstates *, struct sa_pstate *);
/*
 * After a full resync with keyd: free every record no SA attached to
 * (SAs keyd no longer has). Returns how many.
 */
size_t	sa_pstates_prune(struct sa_pstates *);

const struct sa_pstate_id *sa_pstate_id(const struct sa_pstate *);
/* The record itself, read-only (counters, window) for reports and tests. */
const struct sa_pstate_rec *sa_pstate_rec(const struct sa_pstate *);

/* Outbound: replay_out_next() on this SA's counter and flags. */
int	sa_pstate_out_next(struct sa_pstate *, uint64_t *seq) MUST_CHECK;
/* Inbound: replay_check() / replay_advance() on this SA's window. */
enum replay_verdict sa_pstate_in_check(const struct sa_pstate *,
	    uint32_t seq_lo, uint64_t *seq64);
enum replay_verdict sa_pstate_in_advance(struct sa_pstate *, uint64_t seq64)
	    MUST_CHECK;

/*
 * Count one packet of len_bytes at time now (the caller's clock; the
 * first call records it as the first use). Call it before the packet
 * leaves, so that a kill -9 errs towards counting too much. Returns the
 * SA_CROSSED_* bits crossed by this packet (current >= limit, as Linux and
 * keyd compare), each bit once in the SA's life, also across restarts:
 * the shell reports them to keyd. Bits are recorded before they are
 * returned; a kill -9 in between loses the report, which
 * sa_pstate_crossed() lets a restarted shell send again.
 */
unsigned sa_pstate_count(struct sa_pstate *, const struct sa_limits *,
	    uint64_t len_bytes, uint64_t now);
/* The same for npkts packets of len_bytes in all (a batch). */
unsigned sa_pstate_count_n(struct sa_pstate *, const struct sa_limits *,
	    uint64_t len_bytes, uint64_t npkts, uint64_t now);
/*
 * Packets and bytes that can still be counted without reaching a limit
 * not yet crossed (UINT64_MAX: no such limit): a shell that counts in
 * batches counts at once the packet that would reach one, so that a
 * hard limit stops the SA at exactly the same packet.
 */
void	sa_pstate_room(const struct sa_pstate *, const struct sa_limits *,
	    uint64_t *pkts, uint64_t *bytes);
/* Every SA_CROSSED_* bit so far. */
unsigned sa_pstate_crossed(const struct sa_pstate *);
/* First use time, or false when the SA has not been used. */
bool	sa_pstate_first_use(const struct sa_pstate *, uint64_t *when);

#endif
