/*
 * spd.h - the security policy database (SPD) of policyd: the pure core.
 *
 * Entries are selectors (source and destination prefix, upper-layer
 * protocol, ports), a direction, a priority and an action with its
 * ordered IPsec requests. The SPD stores them, names them with Linux
 * policy ids, answers get/delete/dump/flush and classifies packets
 * (spd_lookup) faster than a linear scan (tuple space search, see
 * docs/DESIGN.md §10.8). No I/O, no clock, no globals: time and the hash seed are
 * arguments. Entries come from validated PF_KEY messages (keyd) or the
 * bus; spd_add() checks them again (ranges, families, prefixes) since
 * they are still peer input.
 */
#ifndef PARAPET_SPD_H
#define PARAPET_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Values are the PF_KEY ones (libclient/ipsec_policy.h). */
enum spd_dir {
	SPD_DIR_IN = 1,
	SPD_DIR_OUT = 2,
	SPD_DIR_FWD = 3,
};
#define SPD_NDIRS	3

enum spd_action {
	SPD_ACTION_DISCARD = 0,
	SPD_ACTION_NONE = 1,
	SPD_ACTION_IPSEC = 2,
};

#define SPD_PROTO_ANY		255	/* IPSEC_ULPROTO_ANY */
#define SPD_PORT_ANY		0
#define SPD_MAX_REQS		6	/* Linux XFRM_MAX_DEPTH */
/* setkey's default priority ("prio def"); lower value = more important. */
#define SPD_PRIORITY_DEFAULT	0x80000000u
/* Automatic reqids (unique with reqid 0) start above the manual range. */
#define SPD_REQID_AUTO_MIN	32768u

/*
 * A selector. Addresses are network-order bytes (IPv4: the first 4); bits
 * past the prefix are cleared when the entry is stored. Ports are host
 * order, 0 = any; for ICMP and ICMPv6 the source port carries the type
 * and the destination port the code, as KAME does (so type 0 or code 0
 * cannot be selected on their own, as there).
 */
struct spd_sel {
	uint16_t	family;		/* AF_INET or AF_INET6 */
	uint8_t		src_plen;
	uint8_t		dst_plen;
	uint8_t		proto;		/* SPD_PROTO_ANY or IPPROTO_* */
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		src[16];
	uint8_t		dst[16];
};

/* One IPsec request, in order of application (outbound). */
struct spd_req {
	uint8_t		proto;		/* IPPROTO_ESP, _AH or _COMP */
	uint8_t		mode;		/* IPSEC_MODE_TRANSPORT or _TUNNEL */
	uint8_t		level;		/* IPSEC_LEVEL_DEFAULT .. _UNIQUE */
	uint32_t	reqid;		/* unique only; 0 there: allocate */
	uint16_t	family;		/* tunnel endpoints; 0 in transport */
	uint8_t		tsrc[16];
	uint8_t		tdst[16];
};

/* What a caller installs. */
struct spd_entry {
	struct spd_sel	sel;
	uint8_t		dir;		/* enum spd_dir */
	uint8_t		action;		/* enum spd_action */
	uint32_t	priority;
	size_t		nreqs;		/* only with SPD_ACTION_IPSEC */
	struct spd_req	req[SPD_MAX_REQS];
};

#define SPD_KEY_WORDS	5	/* src, dst (2 each), proto and ports */

/*
 * A stored policy. Returned pointers are borrowed: valid until the next
 * call that mutates the SPD (add, update, delete, flush, destroy).
 */
struct spd_policy {
	/*
	 * Private to spd.c. First, and the record 64-byte aligned: what a
	 * lookup reads of a chain entry is one cache line.
	 */
	uint64_t		key[SPD_KEY_WORDS];	/* see spd.c */
	struct spd_policy	*hnext;	/* classifier chain */
	uint64_t		seq;	/* insertion order: ties */
	uint32_t		hprio;	/* copy of e.priority */
	struct spd_policy	*hprev;
	struct spd_policy	*inext;		/* id hash chain */
	struct spd_policy	*lnext, *lprev;	/* all, in insertion order */
	struct spd_tab		*tab;

	/* Public. */
	struct spd_entry	e;	/* canonical: masked, reqids allocated */
	uint32_t		id;	/* Linux scheme: id & 7 == dir - 1 */
	uint64_t		add_ms;
	uint64_t		use_count;
	uint64_t		last_use_ms;	/* 0: never used */
};

/* A packet's 5-tuple; ICMP type and code in sport and dport. */
struct spd_pkt {
	uint16_t	family;
	uint8_t		proto;
	uint16_t	sport;		/* host order */
	uint16_t	dport;
	uint8_t		src[16];	/* network order */
	uint8_t		dst[16];
};

/* A DUMP in progress; caller-owned, between begin and end. */
struct spd_cursor {
	struct spd_policy	*next;
	struct spd_cursor	*cnext, *cprev;
	uint8_t			dir;	/* 0: every direction */
	bool			live;
};

struct spd;

/*
 * The stored form: address bits past the prefixes cleared, unused
 * requests zeroed, reqids dropped on levels other than unique, endpoint
 * bytes past an IPv4 address (or with no endpoints) zeroed.
 */
void	spd_sel_canon(struct spd_sel *);
void	spd_entry_canon(struct spd_entry *);

/* hash_seed: random, chosen by the shell. Returns 0 or -ENOMEM. */
int	spd_create(struct spd **, uint64_t hash_seed) MUST_CHECK;
void	spd_destroy(struct spd *);

/*
 * Checks an entry: family, prefix lengths, direction, action, request
 * count (-ELOOP above SPD_MAX_REQS, as Linux), request protocol, mode,
 * level, tunnel endpoints (and their family). 0 or -EINVAL.
 */
int	spd_entry_valid(const struct spd_entry *) MUST_CHECK;

/*
 * Install an entry. -EEXIST when the same selector and direction are
 * installed (spd_add); spd_update replaces that policy's priority and
 * action in place, keeping its id, and it then ranks as newly inserted
 * among equal priorities (Linux inserts the new xfrm_policy). -EINVAL,
 * -ELOOP (spd_entry_valid), -ENOMEM, -ENOSPC (no id left). On success
 * *idp (may be NULL) gets the id.
 */
int	spd_add(struct spd *, const struct spd_entry *, uint64_t now_ms,
	    uint32_t *idp) MUST_CHECK;
int	spd_update(struct spd *, const struct spd_entry *, uint64_t now_ms,
	    uint32_t *idp) MUST_CHECK;

/*
 * Persistence (policyd's store, DESIGN §10.13): the id and reqid
 * generators, and an install under a given id, for a policy read back
 * after a restart. spd_restore: id != 0 with id & 7 == dir - 1
 * (-EINVAL), neither the id nor the selector in use (-EEXIST); reqids
 * are kept as given (a unique level with reqid 0 still allocates).
 */
struct spd_gens {
	uint32_t	idx_gen;	/* next id, before the direction bits */
	uint32_t	reqid_next;	/* next automatic reqid */
};
int	spd_restore(struct spd *, const struct spd_entry *, uint32_t id,
	    uint64_t now_ms) MUST_CHECK;
void	spd_gens_get(const struct spd *, struct spd_gens *);
void	spd_gens_set(struct spd *, const struct spd_gens *);

/* Remove by selector+direction (-ENOENT), or by id (-ENOENT). */
int	spd_delete(struct spd *, const struct spd_sel *, uint8_t dir,
	    uint32_t *idp) MUST_CHECK;
int	spd_delete_id(struct spd *, uint32_t id) MUST_CHECK;

/* NULL: not found. The selector need not be masked. */
const struct spd_policy *spd_get(const struct spd *, const struct spd_sel *,
	    uint8_t dir);
const struct spd_policy *spd_get_id(const struct spd *, uint32_t id);

/* Remove every policy (dir 0) or those of one direction; returns count. */
size_t	spd_flush(struct spd *, uint8_t dir);

size_t	spd_count(const struct spd *);
/* Changes with every mutation (never with use counters). */
uint64_t spd_generation(const struct spd *);

/*
 * The policy of direction dir matching the packet with the lowest
 * priority value; ties: the earlier inserted (Linux). NULL: none.
 */
const struct spd_policy *spd_lookup(const struct spd *, uint8_t dir,
	    const struct spd_pkt *);
/* The same, counting the use (use_count, last_use_ms = now_ms). */
const struct spd_policy *spd_lookup_use(struct spd *, uint8_t dir,
	    const struct spd_pkt *, uint64_t now_ms);
/* Count a use of a policy found earlier (by id). -ENOENT. */
int	spd_use(struct spd *, uint32_t id, uint64_t now_ms);

/*
 * DUMP: insertion order, dir 0 for all. The SPD may change between
 * calls: a policy deleted under the cursor moves it on; nothing is
 * reported twice; what lives throughout is reported once; policies added
 * meanwhile are reported when the cursor has not yet reached the end
 * (they are appended; spd_update keeps a policy's place). spd_dump_next
 * returns NULL at the end. spd_dump_end may be called at any time (and again).
 */
void	spd_dump_begin(struct spd *, struct spd_cursor *, uint8_t dir);
const struct spd_policy *spd_dump_next(struct spd *, struct spd_cursor *);
void	spd_dump_end(struct spd *, struct spd_cursor *);

/*
 * From a view pfkey_msg_parse() accepted (X_SPDADD, X_SPDUPDATE,
 * X_SPDDELETE): SRC and DST give the selector (upper-layer protocol from
 * DST as Linux, 0 or 255: any; ports host order, ICMP type and code),
 * X_POLICY the rest.
 * -EINVAL: an extension missing, entrust or bypass (per-socket only, as
 * Linux), or spd_entry_valid() refuses it; -ELOOP: too many requests.
 * In selector.c (links keyd_core).
 */
struct pfkey_msg;
int	spd_entry_from_pfkey(const struct pfkey_msg *, struct spd_entry *)
	    MUST_CHECK;

/* True when the selector matches the packet (the naive model uses it). */
bool	spd_sel_match(const struct spd_sel *, const struct spd_pkt *);

#endif /* PARAPET_SPD_H */
