/*
 * netd_ring.h - netd's packet path through ipsecd: ring side A of the
 * netd <-> ipsecd region (common/ring.h) speaking the slot protocol of
 * common/pkt_ring.h, plus what happens around it in netd: the hold queue
 * (fail closed), reassembly, ICMP "too big" back to the sender.
 *
 *   bridge_frame() --verdict--> netd_ring_divert()
 *        PROTECT     slot: metadata (policy's requests, sysctl settings,
 *                    wire MTU) + the IP datagram -> work ring
 *        UNPROTECT   slot: header-only metadata + the ESP/AH datagram
 *        REASSEMBLE  frag.c (clock: nr->now_ms), then decided again
 *        HOLD        a copy in the hold queue until ipsecd / policyd are
 *                    back (netd_ring_release) or it times out
 *   netd_ring_flush()   the batch onto the work ring: one doorbell
 *   netd_ring_drain()   the done ring: per result (netd_ring_action):
 *        PROTECT ok       the saved Ethernet header in front, ethertype
 *                         from the outer IP version, out on the wire
 *        UNPROTECT ok     the inner datagram parsed as untrusted
 *                         (pkt_parse), decide_inner() with the SAs the
 *                         result block names, out to the host side
 *                         with the wire frame's Ethernet header
 *        PROTECT too_big  ICMP "fragmentation needed" / "packet too big"
 *                         with the inner MTU back out of the side the
 *                         packet came from (rate-limited)
 *        anything else    dropped, counted per result (ipsec.<name>)
 *
 * Per slot netd keeps a private context (struct netd_slot: the op in
 * flight, the side the frame came from, its Ethernet header); nothing of
 * it crosses to ipsecd. Everything ipsecd writes is untrusted: the
 * descriptor (ring_recv checks it), the result block (pkt_meta_decode),
 * the packet (pkt_parse).
 *
 * No libuv and no clock here: the shell sets now_ms, polls the doorbell
 * and calls flush / drain / tick. One thread.
 */
#ifndef PARAPET_NETD_RING_H
#define PARAPET_NETD_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt_ring.h"

#include "bridge.h"
#include "decide.h"
#include "frag.h"
#include "icmp.h"
#include "link.h"
#include "netd_pmtu.h"
#include "pkt.h"
#include "ring.h"
#include "util.h"

#define NETD_RING_BATCH		64
#define NETD_ETH_MAX		22	/* Ethernet + two VLAN tags */
#define NETD_HOLD_CAP		256	/* frames held at most */
#define NETD_HOLD_MS		2000	/* a held frame's life */
/* GRO: room for four superpackets per drain. */
#define NETD_GRO_ARENA		((size_t)4 * (65535 + NETD_ETH_MAX))

/* The outer-header settings policyd publishes (KAME sysctl names). */
struct netd_ring_vars {
	uint8_t		dfbit;		/* 0 clear, 1 set, 2 copy */
	uint8_t		ecn;		/* 0/1 */
	uint8_t		ah_cleartos;	/* 0/1 */
	uint16_t	ah_offsetmask;
};
/* KAME's defaults: dfbit 0, ecn 0, ah_cleartos 1, ah_offsetmask 0. */
void	netd_ring_vars_default(struct netd_ring_vars *);
typedef void netd_ring_vars_fn(void *arg, uint16_t family,
    struct netd_ring_vars *);

/* What netd keeps per slot while ipsecd has it. */
struct netd_slot {
	uint8_t		op;		/* PKT_OP_* in flight; 0: none */
	uint8_t		from;		/* enum decide_from */
	uint8_t		eth_len;	/* 0: the link carries bare IP */
	uint8_t		eth[NETD_ETH_MAX];
};

/* What to do with a done descriptor (netd_ring_action). */
enum netd_act {
	NETD_ACT_DROP = 0,	/* count and free */
	NETD_ACT_WIRE,		/* PROTECT ok: out on the wire */
	NETD_ACT_INNER,		/* UNPROTECT ok: check, then to the host */
	NETD_ACT_TOO_BIG,	/* PROTECT too_big: ICMP to the sender */
};
/* The table: op and result in, action out. Pure. */
enum netd_act netd_ring_action(uint8_t op, enum pkt_result r);

/*
 * The metadata of a PROTECT for policy p (its requests from req_index
 * on, IPComp ones skipped: KAME treats IPComp as level use), with the
 * settings vars, the wire MTU and the default levels of params. 0, or
 * -E2BIG (more than PKT_META_ENTRIES ESP/AH requests), -ENOENT (none),
 * -EINVAL (pkt_meta_check refuses the result).
 */
int	netd_ring_meta_protect(const struct spd_policy *p, unsigned req_index,
	    uint16_t family, const struct decide_params *params,
	    const struct netd_ring_vars *vars, uint16_t mtu,
	    struct pkt_meta *m) MUST_CHECK;

struct netd_ring_stats {
	/* ring.* */
	uint64_t	sent;		/* descriptors onto the work ring */
	uint64_t	batches;	/* ring_send calls */
	uint64_t	done;		/* descriptors back */
	uint64_t	no_slot;	/* pool empty: dropped */
	uint64_t	too_long;	/* datagram does not fit a slot */
	uint64_t	bad_done;	/* back, but not in flight as that op */
	uint64_t	send_failed;
	uint64_t	recv_failed;
	/* ipsec.* */
	uint64_t	result[PKT_R_COUNT];	/* per result */
	uint64_t	no_policy;	/* PROTECT: the id is gone */
	uint64_t	bad_policy;	/* PROTECT: > 2 requests, or refused */
	uint64_t	gso_dropped;	/* a superpacket refused (gso.c) */
	uint64_t	gso_super;	/* superpackets segmented */
	uint64_t	gso_segs;	/* segments of them to protect */
	uint64_t	gro_merged;	/* inner segments merged (gso.c) */
	uint64_t	gro_bad_csum;	/* not merged: bad TCP checksum */
	uint64_t	bad_result;	/* UNPROTECT ok: block or packet bad */
	uint64_t	inner_discard;	/* decide_inner: discard / hold */
	uint64_t	delivered;	/* inner packets to the host side */
	uint64_t	wire_out;	/* protected packets to the wire */
	uint64_t	tx_lost;	/* the link dropped them */
	/* icmp.* */
	uint64_t	icmp_sent, icmp_limited, icmp_refused;
	/* hold.* */
	uint64_t	held, released, hold_full, hold_expired;
	/* frag.* */
	uint64_t	frag_held, frag_done, frag_dropped;
};

struct netd_held;

struct netd_ring {
	struct ring_region	*r;		/* NULL: no ipsecd path */
	const struct ring_geom	*g;
	struct netd_slot	*slot;		/* [g->nslots] */
	struct bridge		*br;		/* borrowed */
	struct decide_ctx	*dc;		/* borrowed */
	netd_ring_vars_fn	*vars;		/* NULL: KAME defaults */
	void			*vars_arg;
	uint16_t		 mtu;		/* the wire link's; 0: none */
	struct netd_pmtu	*pmtu;		/* borrowed; NULL: link MTU only */
	uint64_t		 now_ms;	/* set by the shell */
	struct ring_desc	 work[NETD_RING_BATCH];
	unsigned		 nwork;
	struct ring_desc	 done[NETD_RING_BATCH];
	struct link_pkt		 tx[2][NETD_RING_BATCH];
	uint32_t		 txslot[2][NETD_RING_BATCH];
	uint8_t			 txl3[2][NETD_RING_BATCH];
	struct link_pkt		 gro_out[NETD_RING_BATCH];
	uint8_t			*gro_arena;	/* NETD_GRO_ARENA bytes */
	unsigned		 ntx[2];
	struct decide_holdq	 hold;
	struct frag_table	*frag;
	uint8_t			*big;		/* reassembly output */
	struct icmp_bucket	 icmp;
	struct netd_ring_stats	 st;
};

/*
 * r: the region as side A, or NULL (no ipsecd: everything that needs it
 * is held, then dropped). br's links are the sides; dc its decision
 * context. 0, -ENOMEM.
 */
int	netd_ring_init(struct netd_ring *, struct ring_region *r,
	    struct bridge *br, struct decide_ctx *dc, uint64_t now_ms,
	    uint64_t seed) MUST_CHECK;
void	netd_ring_fini(struct netd_ring *);

/*
 * bridge_divert_fn: a frame bridge_frame() did not pass (protect,
 * unprotect, reassemble, hold). Copies what it needs; the caller keeps
 * the buffer.
 */
void	netd_ring_divert(void *nr, struct link_pkt *p, enum decide_from from,
	    size_t l3, const struct pkt_info *pi,
	    const struct decide_result *res);

/* Send the batch of work built since the last flush (one doorbell). */
void	netd_ring_flush(struct netd_ring *);
/* Handle up to max done descriptors; returns how many (0: none). */
int	netd_ring_drain(struct netd_ring *, unsigned max);
/* Hand every held frame to the bridge again (state came back). */
void	netd_ring_release(struct netd_ring *);
/* Timeouts: held frames and reassembly (nr->now_ms). */
void	netd_ring_tick(struct netd_ring *);
/* The earliest deadline (hold queue, reassembly); UINT64_MAX: none. */
uint64_t netd_ring_next(const struct netd_ring *);

#endif /* PARAPET_NETD_RING_H */
