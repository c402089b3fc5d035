/*
 * sadb.h - the security association database of keyd. No I/O, no clocks,
 * no randomness of its own, no globals: time (milliseconds on the
 * caller's monotonic clock) and random bytes are arguments, and outcomes
 * (expiry events) go to a callback the shell turns into PF_KEY EXPIRE
 * messages and bus messages to ipsecd.
 *
 * What it holds: every SA with its parameters, addresses, keys, lifetimes,
 * X_SA2, NAT-T data and the optional extensions (proxy, identities,
 * sensitivity, KM private data, security context) as opaque copies, so
 * that sadb_sa_view() can give GET and DUMP a struct pfkey_msg that
 * pfkey_build_msg() writes back byte for byte.
 *
 * Indexes (all O(1) expected; see docs/DESIGN.md §10.6):
 *  - (SA type, SPI, destination address): the primary key, unique;
 *  - reqid (X_SA2), for the SAs of one policy request;
 *  - (SA type, source address, destination address): ACQUIRE matching
 *    and choosing the SA an outbound packet uses;
 *  - one list per SA type in insertion order, for FLUSH and DUMP;
 *  - one binary heap of deadlines (larval timeout, add and use time
 *    lifetimes), so expiry never scans.
 *
 * Addresses are matched on family and address bytes only; ports,
 * upper-layer protocol, prefix length and scope are stored and reported
 * but never matched (issue 3 item 11: DELETE and GET ignore them).
 *
 * Inputs come from validated PF_KEY messages (pfkey_msg_parse()); the
 * SADB still checks what it relies on (SA type, SPI ranges, key sizes
 * within PFKEY_KEY_MAX_BYTES, address family) and never trusts lengths.
 * Keys live in memory from the allocator hook (sodium_malloc in keyd),
 * are wiped when their SA goes, and are never logged or copied elsewhere.
 */
#ifndef PARAPET_SADB_H
#define PARAPET_SADB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "util.h"

struct sadb;
struct sadb_sa;

/* SA states: the PF_KEY numbers (SADB_SASTATE_*). */
enum sa_state {
	SA_STATE_LARVAL = PARAPET_SADB_SASTATE_LARVAL,
	SA_STATE_MATURE = PARAPET_SADB_SASTATE_MATURE,
	SA_STATE_DYING = PARAPET_SADB_SASTATE_DYING,
	SA_STATE_DEAD = PARAPET_SADB_SASTATE_DEAD,
	SA_STATE_COUNT
};

/* What can happen to an SA; see sadb_state_next(). */
enum sa_op {
	SA_OP_UPDATE,		/* PF_KEY UPDATE */
	SA_OP_USE,		/* usage reported by ipsecd */
	SA_OP_SOFT,		/* a soft lifetime ran out */
	SA_OP_HARD,		/* a hard lifetime ran out */
	SA_OP_LARVAL_TIMEOUT,	/* GETSPI not followed by UPDATE in time */
	SA_OP_DELETE,		/* PF_KEY DELETE or FLUSH */
	SA_OP_COUNT
};

/*
 * The transition table: the state after op in state, or -EINVAL when op
 * is not legal there. ADD and GETSPI create SAs (MATURE and LARVAL) and
 * are not transitions. DEAD is final: an SA is DEAD only while the
 * callback that reports its end runs, and is freed after it.
 */
int	sadb_state_next(enum sa_state, enum sa_op);

/*
 * Where key bytes live. alloc returns len bytes or NULL; free gets the
 * same len. keyd passes sodium_malloc/sodium_free; NULL hooks: malloc.
 * The SADB asks for chunks of SADB_KEY_CHUNK_BYTES and carves key slots
 * from them: one guarded sodium_malloc per SA would cost pages per SA.
 */
#define SADB_KEY_CHUNK_BYTES	65536
struct sadb_alloc {
	void	*(*alloc)(size_t len, void *arg);
	void	 (*free)(void *p, size_t len, void *arg);
	void	*arg;
};

/*
 * Persistence (keyd: sadb_store.c over the supervisor's store, so that
 * SAs outlive a kill -9 of keyd). put is called after every change an SA
 * must not lose (created, updated, soft expiry, usage) with the SA and
 * its record handle (SADB_NO_HANDLE before the first put), del when it
 * goes. A failing put on a new SA (ADD, GETSPI) undoes the SA and the
 * call fails with -ENOBUFS; on a change it is counted
 * (sadb_persist_errors()) and the next change writes again. NULL hooks:
 * no persistence.
 */
#define SADB_NO_HANDLE	UINT32_MAX
struct sadb_persist {
	int	(*put)(void *arg, const struct sadb_sa *, uint32_t *handle);
	void	(*del)(void *arg, uint32_t handle);
	void	*arg;
};

struct sadb_limits {
	size_t		max_sas;		/* 0: no limit but memory */
	uint32_t	larval_timeout_ms;	/* 0: SADB_LARVAL_TIMEOUT_MS */
	struct sadb_alloc key_alloc;		/* NULL hooks: malloc/free */
	uint8_t		hash_seed[16];		/* random, from the shell */
	struct sadb_persist persist;		/* NULL hooks: none */
};
#define SADB_LARVAL_TIMEOUT_MS	30000

/* Default GETSPI range (Linux af_key); SPIs 1..255 are reserved. */
#define SADB_SPI_MIN		0x100u
#define SADB_SPI_DEFAULT_MAX	0x0fffffffu
#define SADB_CPI_MAX		0xffffu		/* IPCOMP: 16-bit CPI */

/*
 * One SA as PF_KEY describes it. `present` uses the PF_KEY extension bits
 * (UINT32_C(1) << SADB_EXT_*) for the optional parts: LIFETIME_HARD and
 * _SOFT, KEY_AUTH and _ENCRYPT, ADDRESS_PROXY, IDENTITY_SRC and _DST,
 * SENSITIVITY, X_EXT_KMPRIVATE, X_EXT_SA2, X_EXT_NAT_T_TYPE, _SPORT,
 * _DPORT and _OA, X_EXT_SEC_CTX. Byte strings are borrowed: the SADB
 * copies them (keys into key memory).
 */
struct sa_params {
	uint8_t			satype;		/* AH, ESP or IPCOMP */
	uint32_t		seq;		/* sadb_msg_seq of the request */
	uint32_t		present;
	struct pfkey_sa		sa;
	struct pfkey_address	src;
	struct pfkey_address	dst;
	struct pfkey_lifetime	lft_hard;	/* seconds, bytes, allocs */
	struct pfkey_lifetime	lft_soft;
	struct pfkey_key	key_auth;
	struct pfkey_key	key_encrypt;
	struct pfkey_sa2	sa2;
	uint8_t			natt_type;
	uint16_t		natt_sport;	/* host order */
	uint16_t		natt_dport;
	struct pfkey_address	natt_oa;
	struct pfkey_address	proxy;
	struct pfkey_ident	ident_src;
	struct pfkey_ident	ident_dst;
	struct pfkey_sens	sens;
	struct pfkey_kmprivate	kmprivate;
	struct pfkey_sec_ctx	sec_ctx;
};

/* The optional extensions sa_params carries. */
#define SADB_PARAMS_EXT_MASK						\
	((UINT32_C(1) << PARAPET_SADB_EXT_LIFETIME_HARD) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_LIFETIME_SOFT) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_PROXY) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_KEY_AUTH) |			\
	 (UINT32_C(1) << PARAPET_SADB_EXT_KEY_ENCRYPT) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_IDENTITY_SRC) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_IDENTITY_DST) |		\
	 (UINT32_C(1) << PARAPET_SADB_EXT_SENSITIVITY) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_KMPRIVATE) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_SA2) |			\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_NAT_T_TYPE) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_NAT_T_SPORT) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_NAT_T_DPORT) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_NAT_T_OA) |		\
	 (UINT32_C(1) << PARAPET_SADB_X_EXT_SEC_CTX))

/*
 * Fill *p from a validated GETSPI, ADD or UPDATE. Borrowed bytes still
 * point into the datagram behind m.
 */
void	sadb_params_from_msg(const struct pfkey_msg *m, struct sa_params *p);

/* Why an expiry happened. */
enum sa_trigger {
	SA_TRIGGER_ADDTIME,
	SA_TRIGGER_USETIME,
	SA_TRIGGER_BYTES,
	SA_TRIGGER_ALLOCATIONS,
	SA_TRIGGER_LARVAL,	/* GETSPI not followed by UPDATE */
};

enum sa_event_kind {
	SA_EVENT_SOFT,		/* the SA is now DYING */
	SA_EVENT_HARD,		/* the SA is DEAD and freed after emit */
};

/*
 * An expiry. sa is borrowed for the duration of the callback only; the
 * callback may read it (sadb_sa_view()) but must not change the SADB.
 */
struct sa_event {
	enum sa_event_kind	 kind;
	enum sa_trigger		 trigger;
	const struct sadb_sa	*sa;
};
typedef void sadb_emit_fn(const struct sa_event *, void *arg);

/* Fill buf with len random bytes (keyd: randombytes_buf). */
typedef void sadb_random_fn(void *buf, size_t len, void *arg);

int	sadb_create(struct sadb **, const struct sadb_limits *) MUST_CHECK;
/* Wipes and frees everything; active dump cursors become finished. */
void	sadb_destroy(struct sadb *);

/*
 * GETSPI (RFC 2367 §3.1.1; Linux pfkey_getspi()/xfrm_alloc_spi()). A
 * larval SA of the same SA type, source and destination whose GETSPI had
 * the same non-zero seq is answered again with its SPI; otherwise a new
 * LARVAL SA gets a random SPI, unused for (SA type, destination), in
 * [min, max] (range NULL: SADB_SPI_MIN..SADB_SPI_DEFAULT_MAX) with 0 and
 * 1..255 never chosen (RFC 4303 §2.1); it expires after the larval
 * timeout. Stored from p: satype, seq, src, dst, SA2 (mode, reqid).
 * Errors: -EINVAL (bad SA type or family, min > max, an IPCOMP max above
 * 0xffff), -ENOENT (no free SPI in the range, as Linux), -ENOBUFS
 * (max_sas reached), -ENOMEM. *out is borrowed until the SA goes.
 */
int	sadb_getspi(struct sadb *, const struct sa_params *p,
	    const struct pfkey_spirange *range, sadb_random_fn *rnd,
	    void *rnd_arg, uint64_t now_ms, struct sadb_sa **out) MUST_CHECK;
/*
 * ADD: a new MATURE SA (p->sa.state LARVAL or MATURE; setkey sends 0).
 * -EEXIST when (SA type, SPI, destination) is taken, by an SA in any
 * state (Linux xfrm_state_add()); -EINVAL for a bad SA type, SPI 0,
 * family, key size or state; -ENOBUFS; -ENOMEM.
 */
int	sadb_add(struct sadb *, const struct sa_params *p, uint64_t now_ms,
	    struct sadb_sa **out) MUST_CHECK;
/*
 * UPDATE. The SA (SA type, SPI, destination) must exist (-ESRCH, Linux).
 * LARVAL: p must carry the seq of the GETSPI that made it when that seq
 * was non-zero (RFC 2367 §3.1.2; -EINVAL otherwise) and the same source
 * family; it becomes MATURE with everything in p, its add time now.
 * MATURE or DYING: only the hard and soft lifetimes and the NAT-T ports
 * change (as Linux xfrm_state_update()); a DYING SA stays DYING.
 */
int	sadb_update(struct sadb *, const struct sa_params *p, uint64_t now_ms,
	    struct sadb_sa **out) MUST_CHECK;

/* GET and the SA an inbound packet names; NULL: none. */
struct sadb_sa *sadb_lookup(const struct sadb *, uint8_t satype,
	    uint32_t spi, const struct pfkey_sockaddr *dst);
/* DELETE by key: 0 or -ESRCH. Wipes the keys. */
int	sadb_delete_spi(struct sadb *, uint8_t satype, uint32_t spi,
	    const struct pfkey_sockaddr *dst);
/* DELETE of an SA already looked up; sa is invalid afterwards. */
void	sadb_delete(struct sadb *, struct sadb_sa *sa);
/*
 * FLUSH: delete every SA of satype (SADB_SATYPE_UNSPEC: all). visit, when
 * not NULL, sees each SA before it goes (to tell ipsecd). Returns the
 * number deleted.
 */
size_t	sadb_flush(struct sadb *, uint8_t satype,
	    void (*visit)(const struct sadb_sa *, void *), void *arg);

/*
 * The SA to use from src to dst (ACQUIRE matching, outbound): of the
 * MATURE and DYING SAs of satype between those addresses, with the same
 * reqid when reqid != 0, a MATURE one before a DYING one, then the most
 * recently added (Linux xfrm_state_find()). NULL: none, time to ACQUIRE.
 */
struct sadb_sa *sadb_select(const struct sadb *, uint8_t satype,
	    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst,
	    uint32_t reqid);
/* Every SA with this reqid (not 0), any state; returns how many. */
size_t	sadb_foreach_reqid(const struct sadb *, uint32_t reqid,
	    void (*visit)(const struct sadb_sa *, void *), void *arg);

/* SAs of satype (UNSPEC: all). */
size_t	sadb_count(const struct sadb *, uint8_t satype);

/*
 * Usage reported by ipsecd: bytes and allocations are added to the
 * current lifetime, the first non-zero report starts the use-time
 * lifetimes (a report of nothing is not a use), and
 * byte or allocation limits that are reached fire now: soft (MATURE →
 * DYING) then hard (the SA is deleted after emit). *state_out gets the
 * state afterwards; SA_STATE_DEAD means sa is gone. -EINVAL for a
 * LARVAL SA (nothing can use it).
 */
int	sadb_use(struct sadb *, struct sadb_sa *sa, uint64_t bytes,
	    uint32_t allocations, uint64_t now_ms, sadb_emit_fn *emit,
	    void *arg, enum sa_state *state_out) MUST_CHECK;

/* The earliest deadline (ms) in the timer heap; UINT64_MAX: none. */
uint64_t sadb_next_deadline(const struct sadb *);
/*
 * Fire every deadline <= now_ms: soft lifetimes (→ DYING, event), hard
 * ones and larval timeouts (event, then the SA is deleted). Returns the
 * number of events emitted.
 */
size_t	sadb_expire(struct sadb *, uint64_t now_ms, sadb_emit_fn *emit,
	    void *arg);

/* Small accessors. */
uint32_t	sadb_sa_spi(const struct sadb_sa *);
uint8_t		sadb_sa_satype(const struct sadb_sa *);
enum sa_state	sadb_sa_state(const struct sadb_sa *);
uint32_t	sadb_sa_reqid(const struct sadb_sa *);
uint32_t	sadb_sa_seq(const struct sadb_sa *);
/*
 * The SA's generation: given at creation (GETSPI, ADD) from a counter of
 * the SADB, never reused, so an SPI deleted and added again is a new SA
 * (ipsecd keys its per-SA state by it). sadb_last_generation(): the
 * counter, the last one given.
 */
uint64_t	sadb_sa_generation(const struct sadb_sa *);
uint64_t	sadb_last_generation(const struct sadb *);
/*
 * Give generations above floor from now on (keyd at start: the wall
 * clock, so that a number given before a restart is not given again even
 * when its SA was deleted and not stored).
 */
void		sadb_generation_floor(struct sadb *, uint64_t floor);

/*
 * The SA as a PF_KEY reply body (GET, DUMP, GETSPI, EXPIRE): SA (with its
 * state), current lifetime, source, destination, SA2 (always, Linux
 * style: mode ANY reported as TRANSPORT) and everything stored, keys only
 * when with_keys. out->hdr is zeroed: the caller sets type, seq and pid.
 * The current add and use times are reported in seconds on the wall clock:
 * (t_ms + wall_offset_ms) / 1000, where wall_offset_ms is the shell's
 * wall clock minus its monotonic clock. Borrowed pointers in *out stay
 * valid until the SA changes or goes.
 */
void	sadb_sa_view(const struct sadb_sa *, bool with_keys,
	    int64_t wall_offset_ms, struct pfkey_msg *out);

/*
 * DUMP, streamed. The caller owns the cursor memory; begin registers it
 * with the SADB, which moves it on when the SA it points at is deleted,
 * so the table may change between calls: no SA is reported twice, SAs
 * present throughout are reported once, SAs added meanwhile may or may
 * not be. Order: AH, ESP, IPCOMP, each in insertion order.
 *
 * sadb_dump_next() gives the next SA and a seq counting down from the
 * count at begin, never below 1; it returns -ENOENT when nothing is left
 * (at once: an empty DUMP, which Linux answers with ENOENT). The shell
 * holds each reply back until the next call: when that call returns
 * -ENOENT, the held reply goes out with seq 0 (as Linux
 * pfkey_dump_sa() holds one back). That keeps the last reply marked even
 * when the SAs after it are deleted between calls. end unregisters; it
 * must be called before the cursor memory goes, unless next returned
 * -ENOENT or sadb_destroy() ran (both end it).
 */
struct sadb_cursor {
	/* Private. */
	struct sadb_cursor	*c_next;
	struct sadb_cursor	*c_prev;
	struct sadb		*c_db;
	struct sadb_sa		*c_sa;		/* next SA to report */
	uint32_t		 c_remaining;
	uint8_t			 c_satype;	/* 0: all */
	uint8_t			 c_type_idx;
	bool			 c_done;
};
void	sadb_dump_begin(struct sadb *, struct sadb_cursor *, uint8_t satype);
int	sadb_dump_next(struct sadb_cursor *, const struct sadb_sa **sa,
	    uint32_t *seq) MUST_CHECK;
void	sadb_dump_end(struct sadb_cursor *);

/*
 * Restore an SA from its persisted record (sadb_store.c): everything
 * PF_KEY describes comes in p (a GET reply's view, keys included), the
 * rest in r. The SA keeps its state, times, counters, generation and
 * record handle; no put is made. An SA with the same (SA type, SPI,
 * destination) is replaced (a writer killed between writing a
 * replacement and freeing the original leaves two records; the later is
 * the newer). -EINVAL for a bad record, -ENOBUFS, -ENOMEM.
 */
struct sa_restore {
	uint8_t		state;
	bool		used;
	uint32_t	seq;
	uint32_t	cur_allocs;
	uint64_t	cur_bytes;
	uint64_t	add_ms;
	uint64_t	use_ms;
	uint64_t	gen;
	uint32_t	handle;
};
int	sadb_restore(struct sadb *, const struct sa_params *p,
	    const struct sa_restore *r, struct sadb_sa **out) MUST_CHECK;
/* What sadb_restore() takes back, for an SA (sadb_store.c). */
void	sadb_sa_restore_info(const struct sadb_sa *, struct sa_restore *);
/* Puts that failed since the SADB was created. */
uint64_t sadb_persist_errors(const struct sadb *);

/* Bytes the SADB holds now, by kind, for the memory-per-SA figures. */
struct sadb_mem {
	size_t	sa_bytes;	/* SA records and their opaque extras */
	size_t	index_bytes;	/* hash buckets and the heap */
	size_t	key_bytes;	/* key chunks from the allocator hook */
	size_t	total_bytes;
};
void	sadb_memory(const struct sadb *, struct sadb_mem *);

#endif
