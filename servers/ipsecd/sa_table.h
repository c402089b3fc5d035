/*
 * sa_table.h - ipsecd's SA table: the SAs keyd installed, with what the
 * transforms need of each (keys, mode, flags, NAT-T ports), their
 * lifetime limits and the handle of their persistent packet state
 * (sa_state.h).
 *
 * Indexes:
 *   inbound   (SPI, destination, protocol)  -> one SA     hash, O(1)
 *   outbound  (protocol, source, destination) -> SAs      hash chain,
 *             filtered by mode and reqid and ranked (sa_table_lookup_out)
 *   all       insertion order                             iterate, flush
 *
 * Outbound selection is KAME's (key_allocsa_policy() with
 * CMP_MODE_REQID), which keyd's sadb_select() also follows: a policy
 * request (protocol, mode, reqid, and the tunnel endpoints or the
 * packet's addresses) matches an SA with the same protocol and addresses,
 * the same mode unless the SA's mode is "any", and the same reqid when the
 * request's reqid is not 0 (level unique:N); reqid 0 (require/use) takes
 * an SA of any reqid. Among matches: not dying before dying, then the
 * newest (highest keyd generation), as Linux xfrm_state_find() and
 * NetBSD with net.key.prefered_oldsa=0.
 *
 * Ownership: on a successful sa_table_install() the table owns the
 * spec's xform keys and the state handle, and releases them through the
 * ops given to sa_table_create() when the SA is deleted, flushed or the
 * table destroyed. The table never looks inside a key or a state.
 *
 * Pure: no I/O, no clock, no globals. Specs come from keyd over the bus,
 * validated there and checked again here for what the indexes rely on.
 */
#ifndef PARAPET_IPSECD_SA_TABLE_H
#define PARAPET_IPSECD_SA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sa_state.h"
#include "util.h"

struct xform_key;		/* xform.h: one per SA key, opaque here */

/* An IP address and its family (4 or 6), as struct xform_addr. */
struct sa_addr {
	uint8_t	family;
	uint8_t	a[16];			/* network order; v4 in a[0..3], rest 0 */
};

/* Values of IPSEC_MODE_* (KAME ipsec.h; XFORM_MODE_* for 1 and 2). */
enum sa_mode {
	SA_MODE_ANY = 0,
	SA_MODE_TRANSPORT = 1,
	SA_MODE_TUNNEL = 2
};

/* SA flags (ESN and NATT share their values with XFORM_SA_*). */
#define SA_F_ESN		0x0001u	/* extended sequence numbers */
#define SA_F_NATT		0x0002u	/* UDP encapsulation, RFC 3948 */
#define SA_F_CYCLIC		0x0010u	/* KAME SADB_X_EXT_CYCSEQ */
#define SA_F_PAD_ZERO		0x0020u	/* KAME SADB_X_EXT_PZERO */
#define SA_F_PAD_RANDOM		0x0040u	/* KAME SADB_X_EXT_PRAND */
#define SA_F_DYING		0x0080u	/* soft-expired (keyd said so) */
#define SA_F_MASK		0x00f3u

/* What keyd installs. */
struct sa_spec {
	uint64_t		 gen;		/* keyd's SA generation */
	uint32_t		 spi;		/* host order */
	uint8_t			 proto;		/* 50 ESP, 51 AH */
	uint8_t			 mode;		/* enum sa_mode */
	uint16_t		 flags;		/* SA_F_* */
	struct sa_addr		 src;
	struct sa_addr		 dst;
	uint32_t		 reqid;		/* 0: none */
	uint16_t		 ealg;		/* SADB_EALG_*, 0 for AH */
	uint16_t		 aalg;		/* SADB_AALG_*, 0 for AEADs */
	uint16_t		 natt_sport;	/* host order, with SA_F_NATT */
	uint16_t		 natt_dport;
	struct sa_addr		 natt_oa_src;	/* NAT-OA, family 0: none */
	struct sa_addr		 natt_oa_dst;
	uint32_t		 replay_window;	/* packets (replay.h) */
	struct sa_limits	 lft;		/* bytes/packets, 0: none */
	struct xform_key	*enc;		/* ESP: AEAD, cipher or NULL */
	struct xform_key	*auth;		/* ESP non-AEAD, AH */
};

/* One SA. se and state are the caller's to read; the rest is private. */
struct sa_entry {
	struct sa_spec		 se;
	struct sa_pstate	*state;		/* NULL if installed without */
	uint64_t		 seq;		/* install order */
	struct sa_entry		*in_next;	/* private: inbound chain */
	struct sa_entry		*out_next;	/* private: outbound chain */
	struct sa_entry		*prev, *next;	/* private: insertion order */
};

/* The replay.h / sa_pstate_attach() flags of an SA. */
static inline unsigned
sa_spec_replay_flags(const struct sa_spec *s)
{
	return ((s->flags & SA_F_ESN) != 0 ? REPLAY_F_ESN : 0u) |
	    ((s->flags & SA_F_CYCLIC) != 0 ? REPLAY_F_CYCLIC : 0u);
}

/* How the table gives back what it owns. Either may be NULL. */
struct sa_table_ops {
	void	(*key_free)(struct xform_key *);	/* xform_key_free */
	void	(*state_free)(void *arg, struct sa_pstate *);
	void	 *arg;
};

/* An outbound request: one ipsecrequest of a policy, for one packet. */
struct sa_out_req {
	uint8_t		proto;		/* 50 ESP, 51 AH */
	uint8_t		mode;		/* enum sa_mode */
	uint32_t	reqid;		/* 0: any SA (require/use) */
	struct sa_addr	src;		/* tunnel endpoints, or the */
	struct sa_addr	dst;		/*   packet's (transport) */
};

struct sa_table;

/* -ENOMEM. ops is copied; hash_seed is random from the shell. */
int	sa_table_create(const struct sa_table_ops *, uint64_t hash_seed,
	    struct sa_table **out) MUST_CHECK;
/* Delete every SA (releasing keys and states), then the table. */
void	sa_table_destroy(struct sa_table *);

/*
 * Install an SA. state may be NULL (tests; an SA without persistent state
 * cannot send). -EEXIST: (SPI, destination, protocol) is taken. -EINVAL:
 * protocol, mode, unknown flags or both padding kinds, address families
 * (4 or 6, src and dst alike, bytes past a v4 address zero), window
 * (> 8192, or 0 with ESN), keys for the protocol (AH: auth only and no
 * NAT-T; ESP: enc or auth). -ENOMEM. On error nothing is taken over. The
 * stored window is rounded (replay_window_round()).
 */
int	sa_table_install(struct sa_table *, const struct sa_spec *,
	    struct sa_pstate *state, struct sa_entry **out) MUST_CHECK;
/* keyd UPDATE of a mature SA: lifetimes and NAT-T ports only. */
void	sa_table_update(struct sa_table *, struct sa_entry *,
	    const struct sa_limits *, uint16_t natt_sport, uint16_t natt_dport);
/* keyd reported a soft expiry: prefer other SAs outbound. */
void	sa_table_set_dying(struct sa_table *, struct sa_entry *);
/* Remove and release one SA. */
void	sa_table_delete(struct sa_table *, struct sa_entry *);

/* The SA of an inbound packet; NULL: unknown SPI. */
struct sa_entry *sa_table_lookup_in(const struct sa_table *, uint32_t spi,
	    const struct sa_addr *dst, uint8_t proto);
/* The SA an outbound request uses (header comment); NULL: none, ACQUIRE. */
struct sa_entry *sa_table_lookup_out(const struct sa_table *,
	    const struct sa_out_req *);

/*
 * Call fn for every SA in insertion order. fn may delete the SA it is
 * given (and no other); a non-zero return stops the walk and is returned.
 */
int	sa_table_foreach(struct sa_table *,
	    int (*fn)(void *arg, struct sa_entry *), void *arg);
/* Delete every SA of proto (0: all); returns how many. */
size_t	sa_table_flush(struct sa_table *, uint8_t proto);
size_t	sa_table_count(const struct sa_table *);

#endif
