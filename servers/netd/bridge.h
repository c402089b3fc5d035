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
 * would need ipsecd (protect, unprotect, reassembly for it) is dropped and
 * counted as `no_path` until the rings to ipsecd are wired (the proposal
 * is in docs/notes-netd.md); held packets are dropped likewise, so
 * nothing is ever passed in clear by default.
 *
 * Works on any two links with the same framing (both Ethernet, or both
 * IP). Offloads: between two vnet links the virtio header passes
 * through; towards a link without vnet headers, a partial checksum is
 * completed here and a GSO superpacket is dropped (counted).
 */
#ifndef PARAPET_NETD_BRIDGE_H
#define PARAPET_NETD_BRIDGE_H

#include <stdint.h>

#include "decide.h"
#include "link.h"
#include "pkt.h"
#include "util.h"

struct bridge_stats {
	uint64_t	pkt_reject[PKT_R_COUNT];	/* per reason */
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
};

struct bridge {
	struct link		*side[2];	/* [DECIDE_FROM_HOST/WIRE] */
	struct decide_ctx	*dc;		/* borrowed */
	struct bridge_stats	 st;
	struct link_pkt		 rx[LINK_BATCH];
	struct link_pkt		 tx[LINK_BATCH];
	uint8_t			*mem;
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

#endif /* PARAPET_NETD_BRIDGE_H */
