/*
 * sadb_impl.h - private to the SADB core (sadb.c, spi.c, expire.c,
 * sadb_view.c): the record and table layouts and the helpers the files
 * share. Nothing outside servers/keyd/sadb*.c, spi.c and expire.c
 * includes it; the API is sadb.h.
 */
#ifndef PARAPET_SADB_IMPL_H
#define PARAPET_SADB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sadb.h"

#define NTYPES		3		/* AH, ESP, IPCOMP */
#define HASH_MIN	64
#define KEY_CLASSES	6		/* 32, 64, ..., 1024 bytes */
#define KEY_CLASS_MIN	32
#define NO_HEAP		UINT32_MAX
#define BIT(e)		(UINT32_C(1) << (e))

/* The optional extensions kept in struct sa_extras. */
#define EXTRAS_MASK							\
	(BIT(PARAPET_SADB_EXT_ADDRESS_PROXY) |				\
	 BIT(PARAPET_SADB_EXT_IDENTITY_SRC) |				\
	 BIT(PARAPET_SADB_EXT_IDENTITY_DST) |				\
	 BIT(PARAPET_SADB_EXT_SENSITIVITY) |				\
	 BIT(PARAPET_SADB_X_EXT_KMPRIVATE) |				\
	 BIT(PARAPET_SADB_X_EXT_NAT_T_OA) |				\
	 BIT(PARAPET_SADB_X_EXT_SEC_CTX))
#define KEYS_MASK							\
	(BIT(PARAPET_SADB_EXT_KEY_AUTH) | BIT(PARAPET_SADB_EXT_KEY_ENCRYPT))

/*
 * The rarely present extensions, in one allocation with their bytes:
 * borrowed pointers in these views point into data[].
 */
struct sa_extras {
	size_t			alloc_bytes;
	struct pfkey_address	proxy;
	struct pfkey_address	natt_oa;
	struct pfkey_ident	ident_src;
	struct pfkey_ident	ident_dst;
	struct pfkey_sens	sens;
	struct pfkey_kmprivate	kmprivate;
	struct pfkey_sec_ctx	sec_ctx;
	uint8_t			data[];
};

/*
 * The reqid, pair and seq chains are doubly linked through *_pprev (the
 * address of the link that points at this SA; NULL: not on the chain),
 * so taking an SA off them is O(1) however long the chain (every SA
 * between two hosts is on one pair chain). The primary chain holds a
 * unique key, one SA per bucket on average: it is walked.
 */
struct sadb_sa {
	struct sadb_sa		*h_next;	/* primary chain */
	struct sadb_sa		*r_next;	/* reqid chain */
	struct sadb_sa		**r_pprev;
	struct sadb_sa		*p_next;	/* address pair chain */
	struct sadb_sa		**p_pprev;
	struct sadb_sa		*s_next;	/* larval seq chain */
	struct sadb_sa		**s_pprev;
	struct sadb_sa		*l_next;	/* per-type list */
	struct sadb_sa		*l_prev;
	uint8_t			*keys;		/* slot: auth, then encrypt */
	struct sa_extras	*ext;
	uint64_t		 add_ms;
	uint64_t		 use_ms;	/* valid when used */
	uint64_t		 cur_bytes;
	uint32_t		 cur_allocs;
	uint32_t		 heap_idx;
	uint32_t		 store;		/* record handle (persist) */
	uint32_t		 seq;		/* GETSPI/ADD sadb_msg_seq */
	uint32_t		 reqid;
	uint32_t		 present;	/* SADB_PARAMS_EXT_MASK bits */
	struct pfkey_sa		 sa;		/* sa.state is the state */
	uint8_t			 satype;
	uint8_t			 mode;		/* X_SA2 */
	uint8_t			 natt_type;
	uint8_t			 key_class;
	uint16_t		 key_auth_len;
	uint16_t		 key_enc_len;
	uint16_t		 natt_sport;
	uint16_t		 natt_dport;
	bool			 used;
	struct pfkey_lifetime	 hard;
	struct pfkey_lifetime	 soft;
	struct pfkey_address	 src;
	struct pfkey_address	 dst;
	uint64_t		 gen;		/* generation: unique, never reused */
};

struct htab {
	struct sadb_sa	**b;
	size_t		  mask;		/* buckets - 1 */
};

struct heap_ent {
	uint64_t	 when_ms;
	struct sadb_sa	*sa;
};

struct key_chunk {
	struct key_chunk	*next;
	uint8_t			*mem;
};

struct sadb {
	struct sadb_limits	 lim;
	size_t			 n;
	size_t			 ntype[NTYPES];
	struct sadb_sa		*head[NTYPES];
	struct sadb_sa		*tail[NTYPES];
	struct htab		 primary;
	struct htab		 reqid;
	struct htab		 pair;
	struct htab		 seq;		/* LARVAL SAs with a seq */
	struct heap_ent		*heap;
	uint32_t		 heap_n;
	uint32_t		 heap_cap;
	struct sadb_cursor	*cursors;
	size_t			 sa_bytes;
	/* Key memory. */
	struct key_chunk	*chunks;
	size_t			 nchunks;
	uint8_t			*chunk_cur;
	size_t			 chunk_left;
	uint8_t			*key_free[KEY_CLASSES];
	uint64_t		 last_gen;	/* the last generation given */
	uint64_t		 persist_errors;
};

/* sadb.c */
int	 sadb_type_idx(uint8_t satype);		/* 0..NTYPES-1, or -1 */
bool	 sadb_family_ok(uint16_t family);
struct sadb_sa *sadb_pair_first(const struct sadb *, uint8_t satype,
	    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst);
bool	 sadb_pair_match(const struct sadb_sa *, uint8_t satype,
	    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst);
/* The LARVAL SA of (satype, src, dst) with GETSPI seq seq != 0, or NULL. */
struct sadb_sa *sadb_larval_by_seq(const struct sadb *, uint8_t satype,
	    uint32_t seq, const struct pfkey_sockaddr *src,
	    const struct pfkey_sockaddr *dst);
int	 sadb_reserve_one(struct sadb *);
struct sadb_sa *sadb_sa_new(struct sadb *);
void	 sadb_sa_link(struct sadb *, struct sadb_sa *);
void	 sadb_sa_destroy(struct sadb *, struct sadb_sa *);
int	 sadb_persist_put(struct sadb *, struct sadb_sa *) MUST_CHECK;
/* A new, linked SA: write it, or destroy it and return -ENOBUFS. */
int	 sadb_persist_new(struct sadb *, struct sadb_sa *) MUST_CHECK;
void	 sadb_persist_changed(struct sadb *, struct sadb_sa *);

/* expire.c */
int	 sadb_heap_reserve(struct sadb *, size_t n);
void	 sadb_heap_remove(struct sadb *, struct sadb_sa *);
void	 sadb_reschedule(struct sadb *, struct sadb_sa *);

#endif
