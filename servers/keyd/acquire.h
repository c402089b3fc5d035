/*
 * acquire.h - keyd's table of outstanding ACQUIREs. Pure: no I/O, no
 * clock (now_ms is an argument), no globals.
 *
 * When ipsecd finds no usable SA for an outbound policy it asks keyd for
 * one (AcquireRequest, proto/keyd.proto); keyd sends SADB_ACQUIRE to the
 * key managers registered for the SA type (RFC 2367 §3.1.6, as Linux
 * pfkey_send_acquire()) and remembers it here, like Linux's ACQ state:
 *
 *  - one outstanding acquire per (policy id, reqid): a second request
 *    while one is outstanding is suppressed (acquire_start() gives the
 *    existing one and -EALREADY);
 *  - each has a non-zero seq, the sadb_msg_seq of the SADB_ACQUIRE, from
 *    a counter (Linux get_acqseq()), never one that is outstanding;
 *  - it ends when an SA is installed with its seq or between its
 *    addresses (RESULT_INSTALLED; Linux xfrm_state_add() deletes the
 *    matching ACQ state), when a key manager answers with an ACQUIRE
 *    carrying its seq and sadb_msg_errno (RESULT_REFUSED; Linux
 *    pfkey_acquire()), or after timeout_ms (RESULT_TIMEOUT; Linux
 *    XFRM_ACQ_EXPIRES, 30 s). A GETSPI with its seq (the key manager at
 *    work) restarts the timeout.
 *
 * Bounded: at most max entries (default 1024); lookups and the deadline
 * scan are linear in the outstanding acquires, which are few (ipsecd sends
 * one per policy+reqid and rate-limits).
 */
#ifndef PARAPET_ACQUIRE_H
#define PARAPET_ACQUIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "util.h"

#define ACQUIRE_TIMEOUT_MS	30000	/* Linux XFRM_ACQ_EXPIRES */
#define ACQUIRE_MAX_DEFAULT	1024

struct acquire_table;

enum acquire_result {
	ACQUIRE_INSTALLED = 1,	/* an SA with its seq or addresses came */
	ACQUIRE_REFUSED,	/* a key manager's ACQUIRE with errno */
	ACQUIRE_TIMEOUT,
};

/* What an acquire is for; all of it goes into the SADB_ACQUIRE. */
struct acquire {
	uint32_t		seq;		/* set by acquire_start() */
	uint32_t		policy_id;	/* X_POLICY sadb_x_policy_id */
	uint32_t		reqid;
	uint8_t			satype;		/* AH or ESP */
	uint8_t			dir;		/* IPSEC_DIR_* (1..3) */
	uint8_t			mode;		/* IPSEC_MODE_* */
	struct pfkey_sockaddr	src;		/* the SA's endpoints */
	struct pfkey_sockaddr	dst;
	uint64_t		deadline_ms;	/* set by acquire_start() */
};

struct acquire_limits {
	size_t		max;		/* 0: ACQUIRE_MAX_DEFAULT */
	uint32_t	timeout_ms;	/* 0: ACQUIRE_TIMEOUT_MS */
};

int	acquire_table_create(struct acquire_table **,
	    const struct acquire_limits *) MUST_CHECK;
void	acquire_table_destroy(struct acquire_table *);

/*
 * Remember req (seq and deadline are assigned). *out points at the
 * entry (borrowed until the table changes). -EALREADY: one for the same
 * (policy id, reqid) is outstanding, *out is that one; -ENOBUFS: full;
 * -EINVAL: satype not AH/ESP or the addresses of different families.
 */
int	acquire_start(struct acquire_table *, const struct acquire *req,
	    uint64_t now_ms, const struct acquire **out) MUST_CHECK;

/* The outstanding acquire with this seq, or NULL. */
const struct acquire *acquire_find(const struct acquire_table *,
	    uint32_t seq);

/* Restart the timeout of the acquire with seq (GETSPI); 0 or -ENOENT. */
int	acquire_touch(struct acquire_table *, uint32_t seq, uint64_t now_ms);

/*
 * End the acquire with seq; *out (if not NULL) gets a copy. 0 or
 * -ENOENT.
 */
int	acquire_end(struct acquire_table *, uint32_t seq,
	    struct acquire *out);

/*
 * End every acquire an SA of satype from src to dst with reqid satisfies
 * (reqid 0 matches any; an acquire's reqid 0 matches any SA), calling
 * done() with each before it goes. Returns how many ended.
 */
size_t	acquire_end_matching(struct acquire_table *, uint8_t satype,
	    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst,
	    uint32_t reqid, void (*done)(const struct acquire *, void *),
	    void *arg);

/* The earliest deadline; UINT64_MAX: none outstanding. */
uint64_t acquire_next_deadline(const struct acquire_table *);

/* End every acquire whose deadline is <= now_ms, calling done() first. */
size_t	acquire_expire(struct acquire_table *, uint64_t now_ms,
	    void (*done)(const struct acquire *, void *), void *arg);

size_t	acquire_count(const struct acquire_table *);

#endif
