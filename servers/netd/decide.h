/*
 * decide.h - netd's per-packet decision: pure, no I/O, no clock.
 *
 * Given a parsed packet (pkt.h) and where it came from, decide() answers
 * what happens to it, in KAME's order: per-socket policy (a lookup
 * callback; the registry is policyd's), then the SPD replica (policyd's
 * spd.h core, built from policyd's snapshot and deltas), then def_policy.
 *
 *   from the host side         -> OUT: bypass / discard / protect
 *   from the wire, for us      -> IN:  unprotect (ESP, AH, ESP in UDP),
 *                                      reassemble (fragments of those),
 *                                      discard (NAT-T keepalives),
 *                                      deliver / discard
 *   from the wire, not for us  -> FWD (gateway only): forward / discard
 *
 * Fail closed (DESIGN §8): while policyd's state is unknown (no snapshot
 * yet) every packet but link housekeeping (ND) is held, since any of them
 * might be covered by a policy; while ipsecd is away, packets that need
 * protection and inbound ESP/AH are held. The caller keeps held packets
 * in a bounded queue (struct decide_holdq below) and drops them when it
 * is full or they time out: nothing is passed in clear by default.
 *
 * After ipsecd has unprotected a packet, decide_inner() checks the inner
 * packet against the inbound (or forward) policy and the transforms that
 * actually protected it (DESIGN §6: so AH tunnels work).
 */
#ifndef PARAPET_NETD_DECIDE_H
#define PARAPET_NETD_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "spd.h"
#include "util.h"

enum decide_from {
	DECIDE_FROM_HOST = 0,	/* TAP / TUN: the host or the inside */
	DECIDE_FROM_WIRE = 1,	/* AF_PACKET / UDP / raw: the outside */
};

enum decide_verdict {
	DECIDE_V_BYPASS = 0,	/* OUT: on to the wire in clear */
	DECIDE_V_DELIVER,	/* IN: on to the host */
	DECIDE_V_FORWARD,	/* FWD: on to the inside */
	DECIDE_V_DISCARD,
	DECIDE_V_PROTECT,	/* to ipsecd: policy_id, request 0 */
	DECIDE_V_UNPROTECT,	/* to ipsecd: inbound ESP / AH */
	DECIDE_V_REASSEMBLE,	/* to frag.c, then decide() again */
	DECIDE_V_HOLD,		/* fail closed: queue briefly */
	DECIDE_V_COUNT
};

/* Why: one counter each (decide_why_name). */
enum decide_why {
	DECIDE_W_POLICY = 0,	/* an SPD policy */
	DECIDE_W_SOCKET,	/* a per-socket policy */
	DECIDE_W_DEF_POLICY,	/* no policy: def_policy */
	DECIDE_W_ND,		/* neighbour discovery / MLD: untouched */
	DECIDE_W_IN_REQUIRE,	/* clear, but a require policy covers it */
	DECIDE_W_IN_USE,	/* clear, policy ipsec with level use only */
	DECIDE_W_ESP_FOR_US,	/* ESP / AH / ESP in UDP addressed to us */
	DECIDE_W_FRAGMENT,	/* a fragment of ESP / AH / UDP for us */
	DECIDE_W_POLICYD_UNKNOWN, /* fail closed: no SPD snapshot yet */
	DECIDE_W_IPSECD_AWAY,	/* fail closed: no transforms */
	DECIDE_W_INNER_OK,	/* decide_inner: the SAs satisfy the policy */
	DECIDE_W_INNER_MISMATCH, /* decide_inner: they do not */
	DECIDE_W_NATT_KEEPALIVE, /* RFC 3948 §2.3 keepalive for us: dropped */
	DECIDE_W_COUNT
};

const char *decide_verdict_name(enum decide_verdict);
const char *decide_why_name(enum decide_why);

/* Per-socket policy actions (KAME ipsec_set_policy(3)). */
enum decide_sp_action {
	DECIDE_SP_ENTRUST = 0,	/* consult the SPD */
	DECIDE_SP_BYPASS,	/* clear, whatever the SPD says */
	DECIDE_SP_DISCARD,
	DECIDE_SP_NONE,		/* clear */
	DECIDE_SP_IPSEC,
};

struct decide_sockpol {
	uint8_t		action;		/* enum decide_sp_action */
	uint32_t	id;		/* its policy id */
	size_t		nreqs;
	struct spd_req	req[SPD_MAX_REQS];
};

/*
 * The per-socket hook: true and *sp filled when a socket's policy covers
 * the packet in direction dir (SPD_DIR_IN / SPD_DIR_OUT).
 */
typedef bool decide_sock_fn(void *arg, uint8_t dir, const struct spd_pkt *,
    struct decide_sockpol *sp);
/* Whether addr (family's length) is one of this node's addresses. */
typedef bool decide_local_fn(void *arg, uint16_t family, const uint8_t *addr);

/* The system-wide variables decide() reads (policyd's, DESIGN §6). */
struct decide_params {
	uint8_t		def_policy[2];	/* [0] IPv4, [1] IPv6: 0 discard, 1 none */
	/* What level "default" means, [family][DECIDE_LEV_*]: 1 use,
	 * 2 require (KAME's defaults are 1). */
	uint8_t		deflev[2][4];
	bool		gateway;	/* false: everything from the wire is
					   for the host (bump in the stack) */
};
enum {
	DECIDE_LEV_ESP_TRANS = 0,
	DECIDE_LEV_ESP_NET,
	DECIDE_LEV_AH_TRANS,
	DECIDE_LEV_AH_NET,
};

struct decide_stats {
	uint64_t	verdict[DECIDE_V_COUNT];
	uint64_t	why[DECIDE_W_COUNT];
};

struct decide_ctx {
	const struct spd	*spd;		/* the replica; borrowed */
	struct decide_params	 params;
	bool			 policyd_known;	/* a snapshot is in */
	bool			 ipsecd_up;	/* transforms available */
	decide_sock_fn		*sock;		/* NULL: no per-socket policy */
	decide_local_fn		*local;		/* NULL: every address ours */
	void			*arg;		/* for sock and local */
	struct decide_stats	 stats;
};

/* KAME's defaults: def_policy 1 (none), every default level 1 (use). */
void	decide_params_default(struct decide_params *);

struct decide_result {
	uint8_t		verdict;	/* enum decide_verdict */
	uint8_t		why;		/* enum decide_why */
	uint8_t		dir;		/* SPD_DIR_* consulted */
	uint8_t		req_index;	/* PROTECT: first request (0) */
	uint8_t		nreqs;		/* PROTECT: requests of the policy */
	uint32_t	policy_id;	/* PROTECT (and any policy matched) */
};

/* The SPD's view of a parsed packet. */
void	decide_spd_pkt(const struct pkt_info *, struct spd_pkt *);

/*
 * Decide one parsed packet (pkt_parse() said PKT_OK) that arrived from
 * `from`. Counts the verdict and the reason in ctx->stats.
 */
void	decide(struct decide_ctx *, const struct pkt_info *,
	    enum decide_from from, struct decide_result *);

/* One transform that protected an inbound packet (from ipsecd). */
struct decide_applied {
	uint8_t		proto;		/* IPPROTO_ESP / _AH / _COMP */
	uint8_t		mode;		/* IPSEC_MODE_TRANSPORT / _TUNNEL */
	uint32_t	reqid;
};

/*
 * The inner packet of an unprotected one: deliver / forward / discard
 * (hold while policyd is unknown). Every request of level require or
 * unique (or default meaning require) must be met by an applied
 * transform of the same protocol and mode (unique: and reqid), in order;
 * level use accepts either.
 */
void	decide_inner(struct decide_ctx *, const struct pkt_info *inner,
	    const struct decide_applied *, size_t napplied,
	    struct decide_result *);

/*
 * The hold queue: a bounded FIFO of caller-owned items, each with its
 * deadline. One timeout for all, so FIFO order is deadline order.
 */
struct decide_holdq {
	void		**item;
	uint64_t	*deadline_ms;
	size_t		 cap, head, n;
	uint64_t	 timeout_ms;
	uint64_t	 dropped_full, dropped_timeout, released;
};

int	decide_holdq_init(struct decide_holdq *, size_t cap,
	    uint64_t timeout_ms) MUST_CHECK;
void	decide_holdq_fini(struct decide_holdq *);
/* 0, or -ENOSPC when full (counted; the caller drops the item). */
int	decide_holdq_push(struct decide_holdq *, void *item, uint64_t now_ms)
	    MUST_CHECK;
/* Items past their deadline, oldest first, to fn (which drops them). */
size_t	decide_holdq_expire(struct decide_holdq *, uint64_t now_ms,
	    void (*fn)(void *item, void *arg), void *arg);
/* Every item, oldest first, to fn (state known again: decide anew). */
size_t	decide_holdq_release(struct decide_holdq *,
	    void (*fn)(void *item, void *arg), void *arg);
/* The earliest deadline; UINT64_MAX when empty. */
uint64_t decide_holdq_next(const struct decide_holdq *);

#endif /* PARAPET_NETD_DECIDE_H */
