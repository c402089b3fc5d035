/*
 * spd_pfkey.h - the PF_KEY face of policyd's SPD: one X_SPD* datagram in
 * (relayed by keyd), the SPD changed, the PF_KEY replies out; and the
 * reverse conversion, SPD entry -> sadb_msg, in Linux's layout (source,
 * destination, hard, soft and current lifetimes, X_POLICY with the
 * ipsecrequests). Pure: no I/O, no clock (now_ms, wall-clock
 * milliseconds, is an argument), no globals.
 *
 * Input: datagrams keyd has validated, but they crossed a process
 * boundary, so they are parsed again (pfkey_msg_parse) and every
 * rejection is answered with its errno.
 *
 * Replies and broadcasts follow Linux net/key/af_key.c
 * (DESIGN §10.13):
 *   X_SPDADD, X_SPDSETIDX   the policy as stored, type X_SPDADD, to ALL
 *   X_SPDUPDATE             the policy, type X_SPDUPDATE, to ALL
 *   X_SPDDELETE             the deleted policy, type X_SPDDELETE, to ALL
 *   X_SPDDELETE2            the deleted policy, type X_SPDDELETE2, to ALL
 *   X_SPDGET                the policy, to the sender
 *   X_SPDFLUSH              the request's header to the sender, then (if
 *                           anything was removed) a header to ALL
 *   X_SPDDUMP               paged (spd_pfkey_dump_*), to the sender
 *   errors                  header only, errno set, to the sender
 * Replies carry the request's seq and pid, SA type 0.
 *
 * Policy lifetimes (hard and soft, from X_SPDADD/UPDATE) are kept beside
 * the SPD, keyed by id, and reported; nothing expires on them yet.
 */
#ifndef PARAPET_SPD_PFKEY_H
#define PARAPET_SPD_PFKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "spd.h"
#include "util.h"

/* Largest SPD message we build: IPv6, 6 tunnel requests: 800 bytes. */
#define SPD_PFKEY_MSG_MAX	1024

enum spd_pfkey_dest {
	SPD_PFKEY_DEST_ONE = 0,		/* the sender */
	SPD_PFKEY_DEST_ALL = 1,		/* every PF_KEY socket */
};

/* What a request changed, for publishing and the store. */
enum spd_change {
	SPD_CHANGE_NONE = 0,
	SPD_CHANGE_ADD,			/* id */
	SPD_CHANGE_UPDATE,		/* id: replaced, or added if new */
	SPD_CHANGE_DELETE,		/* id */
	SPD_CHANGE_FLUSH,		/* every policy */
};

/* Policy lifetimes as sent (zero: none). */
struct spd_lft {
	struct pfkey_lifetime	hard;
	struct pfkey_lifetime	soft;
};

struct spd_pfkey_out {
	enum spd_pfkey_dest	 dest;
	const uint8_t		*buf;	/* borrowed until the next call */
	size_t			 len;
};

struct spd_pfkey_result {
	int			error;	/* positive errno answered, or 0 */
	size_t			nout;
	struct spd_pfkey_out	out[2];
	enum spd_change		change;
	uint32_t		id;
	bool			existed;	/* UPDATE: replaced */
	uint64_t		gen_before;	/* spd_generation() around it */
	uint64_t		gen_after;
};

struct spd_lft_ent;

struct spd_pfkey {
	struct spd		 *spd;		/* borrowed */
	struct spd_lft_ent	**lb;		/* lifetimes by id */
	size_t			  nlb, nl;
	uint8_t			  buf[2][SPD_PFKEY_MSG_MAX];
};

/* Ready a context over spd. 0 or -ENOMEM. */
int	spd_pfkey_init(struct spd_pfkey *, struct spd *) MUST_CHECK;
void	spd_pfkey_fini(struct spd_pfkey *);

/* True for the message types this module handles (X_SPDDUMP too). */
bool	spd_pfkey_type(uint8_t type);

/*
 * Handle one datagram (not X_SPDDUMP: that is paged). Never fails: a
 * refusal is res->error with the error reply in res->out[0].
 */
void	spd_pfkey_request(struct spd_pfkey *, const uint8_t *msg, size_t len,
	    uint64_t now_ms, struct spd_pfkey_result *res);

/*
 * The reverse conversion: policy p as a PF_KEY message with header h
 * (type, seq, pid; SA type and errno as given), lifetimes from the side
 * table, current lifetime from the SPD's counters (allocations = uses,
 * add and use time in wall-clock seconds). 0 or -EMSGSIZE.
 */
int	spd_pfkey_build(const struct spd_pfkey *, const struct spd_policy *p,
	    const struct pfkey_hdr *h, uint8_t *buf, size_t cap, size_t *len)
	    MUST_CHECK;

/* True when neither lifetime sets anything. */
bool	spd_lft_none(const struct spd_lft *);
/* Lifetimes of policy id (zero when none); set for a restored policy. */
void	spd_pfkey_lft_get(const struct spd_pfkey *, uint32_t id,
	    struct spd_lft *);
int	spd_pfkey_lft_set(struct spd_pfkey *, uint32_t id,
	    const struct spd_lft *) MUST_CHECK;

/*
 * X_SPDDUMP, paged: insertion order, seq counting down from the count at
 * the start, never below 1, the last message 0 (each message is held
 * back one step so that the end is marked even when the policies after
 * it go between pages). The SPD may change between pages (spd.h cursor
 * rules). Caller-owned state.
 */
struct spd_pfkey_dump {
	struct spd_cursor	cur;
	struct pfkey_hdr	hdr;		/* the request's */
	uint32_t		left;		/* for seq */
	bool			live;
	size_t			held_len;	/* 0: nothing held */
	uint8_t			held[SPD_PFKEY_MSG_MAX];
};

typedef int spd_pfkey_emit_fn(const uint8_t *buf, size_t len, void *arg);

/*
 * Start: msg is the X_SPDDUMP request. -ENOENT for an empty SPD (Linux),
 * the parser's errno for a bad request (d is then not live).
 */
int	spd_pfkey_dump_begin(struct spd_pfkey *, struct spd_pfkey_dump *d,
	    const uint8_t *msg, size_t len) MUST_CHECK;
/*
 * Emit up to max messages and about max_bytes (at least one message).
 * Returns 1 when the dump is complete (its last message, seq 0, was
 * emitted; d is no longer live), 0 when more follow, -ENOENT when every
 * policy went away before the first message, or emit's non-zero return.
 */
int	spd_pfkey_dump_page(struct spd_pfkey *, struct spd_pfkey_dump *d,
	    size_t max, size_t max_bytes, spd_pfkey_emit_fn *emit, void *arg)
	    MUST_CHECK;
/* May be called at any time, and again. */
void	spd_pfkey_dump_end(struct spd_pfkey *, struct spd_pfkey_dump *d);

#endif
