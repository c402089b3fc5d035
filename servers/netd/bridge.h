/*
 * bridge.h - bump in the stack: frames between the host side (TAP) and
 * the wire side (AF_PACKET), every IP packet through decide().
 *
 *   host (TAP) <--> bridge_pump() <--> wire (AF_PACKET)
 *                      |
 *        non-IP (ARP, ...): passed untouched
 *        IP: pkt_parse() -> decide() -> pass, or drop (counted)
 *
 * IPv6 neighbour discovery passes as ARP does (decide() says so). What
 * needs ipsecd (protect, unprotect, reassembly) or must wait (hold) goes
 * to the divert hook (netd_ring.h: the rings to ipsecd, the hold queue);
 * without one it is dropped and counted (`no_path`, `held`), so nothing
 * is ever passed in clear by default.
 *
 * Works on any two links with the same framing (both Ethernet, or both
 * IP). Offloads: between two vnet links the virtio header passes
 * through; towards a link without vnet headers, a partial checksum is
 * completed here and a GSO superpacket is dropped (counted).
 */
#ifndef PARAPET_NETD_BRIDGE_H
#define PARAPET_NETD_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "decide.h"
#include "link.h"
#include "pkt.h"
#include "util.h"

struct bridge_stats {
	uint64_t	pkt_reject[PKT_REJECT_COUNT];	/* per reason */
	uint64_t	nonip;		/* non-IP frames passed */
	uint64_t	passed;		/* IP packets passed */
	uint64_t	dropped;	/* IP packets dropped, any reason */
	uint64_t	rejected;	/* of which: pkt_parse refused */
	uint64_t	discarded;	/* of which: decide() said discard */
	uint64_t	held;		/* of which: held, no queue yet */
	uint64_t	no_path;	/* of which: needed ipsecd */
	uint64_t	gso_dropped;	/* of which: superpacket to non-vnet */
	uint64_t	csum_fixed;	/* partial checksums completed */
	uint64_t	send_lost;	/* passed but the link dropped them */
	uint64_t	diverted;	/* handed to the divert hook */
	uint64_t	clear_dropped;	/* of which: no_clear (overlay) */
};

/*
 * Where frames go that are neither passed nor discarded (verdicts
 * protect, unprotect, reassemble, hold): l3 is where the datagram starts
 * in p->data, pi its parse, res the decision. The hook copies what it
 * needs; the buffer stays the bridge's.
 */
typedef void bridge_divert_fn(void *arg, struct link_pkt *p,
    enum decide_from from, size_t l3, const struct pkt_info *pi,
    const struct decide_result *res);

/*
 * An ICMP / ICMPv6 packet from the wire, before decide() (netd_pmtu.h:
 * errors about netd's own ESP): true when the hook kept it (it goes no
 * further), false to decide it as any packet.
 */
typedef bool bridge_icmp_fn(void *arg, const uint8_t *ip,
    const struct pkt_info *pi);

struct bridge {
	struct link		*side[2];	/* [DECIDE_FROM_HOST/WIRE] */
	struct decide_ctx	*dc;		/* borrowed */
	struct bridge_stats	 st;
	struct link_pkt		 rx[LINK_BATCH];
	struct link_pkt		 tx[LINK_BATCH];
	uint8_t			*mem;
	bridge_divert_fn	*divert;	/* NULL: drop those */
	void			*divert_arg;
	bridge_icmp_fn		*icmp;		/* NULL: none */
	void			*icmp_arg;
	/* An overlay (TUN + udp/raw, netd.c): nothing crosses in clear,
	   only what ipsecd protected or unprotected; a pass is dropped. */
	bool			 no_clear;
};

/* host and wire: open links (borrowed). 0, -EINVAL (framing differs),
 * -ENOMEM. */
int	bridge_init(struct bridge *, struct link *host, struct link *wire,
	    struct decide_ctx *) MUST_CHECK;
void	bridge_fini(struct bridge *);

/* Move one batch arriving on side `from` to the other side. Returns the
 * frames read (0: none waiting) or -errno from the link. */
int	bridge_pump(struct bridge *, enum decide_from from);

/* The decision for one frame (what bridge_pump does to each): true to
 * pass it on. May complete its checksum in place. */
bool	bridge_frame(struct bridge *, struct link_pkt *, enum decide_from);

/* One frame as if it had arrived on side `from` (a held frame handed
 * back): decided, and sent on if it passes. */
void	bridge_inject(struct bridge *, struct link_pkt *, enum decide_from);

#endif /* PARAPET_NETD_BRIDGE_H */
