/*
 * gso.h - software segmentation and coalescing of TCP superpackets, so
 * that vnet offloads (link.h) survive the trip through ipsecd, which
 * encrypts each datagram whole.
 *
 *   host (TAP, vnet) --TCP superpacket, gso_size--> gso_prepare()
 *        gso_segment(i) for i < nsegs: one complete TCP segment each
 *        (IP total / payload length, IPv4 id + i and header checksum,
 *        TCP seq + i * mss, FIN/PSH only on the last, CWR only on the
 *        first, the TCP checksum computed whole) -> a ring slot each
 *
 *   done ring --decrypted TCP segments--> gro_add() (per frame, in order)
 *        segments of one flow that follow each other (same addresses,
 *        ports, ack, window, options; seq contiguous; ACK/PSH only)
 *        merge into one superpacket in an arena (gso_type TCPV4/6,
 *        gso_size, NEEDS_CSUM with the pseudo-header sum), written to
 *        the TAP with one write instead of one each
 *
 * Linux does the same in tcp_gso_segment() and tcp_gro_receive(). Every
 * byte here is untrusted (the host's superpackets, ipsecd's results):
 * cursor checks on each header; anything that does not qualify is left
 * alone (GSO: an error; GRO: passed as it came). A segment whose TCP
 * checksum is wrong is never merged: a merged superpacket reaches the
 * host's stack with a partial checksum, which it does not verify, so
 * the checksum of each segment is verified here first (as GRO does).
 *
 * Pure: no I/O, no allocation (the caller hands over the arena).
 */
#ifndef PARAPET_NETD_GSO_H
#define PARAPET_NETD_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "util.h"

/* virtio_net_hdr gso types (linux/virtio_net.h). */
#define GSO_T_NONE	0
#define GSO_T_TCPV4	1
#define GSO_T_TCPV6	4
#define GSO_T_ECN	0x80
#define GSO_F_NEEDS_CSUM	1

#define GSO_SEGS_MAX	1024	/* segments of one superpacket at most */

/* One superpacket, checked (gso_prepare). */
struct gso {
	uint16_t	family;		/* 4 or 6 */
	uint16_t	mss;		/* payload bytes per segment */
	uint32_t	l4_off;		/* TCP header, from the IP header */
	uint32_t	hdr_len;	/* IP + TCP headers */
	uint32_t	payload;	/* TCP payload bytes in all */
	uint32_t	nsegs;
};

/*
 * The datagram ip[0, len) (an IP header first) with the offload state v
 * (gso_type TCPV4 or TCPV6, ECN bit allowed, gso_size the MSS). 0, or
 * -EPROTONOSUPPORT (another gso type, IPv6 extension headers, not TCP),
 * -EINVAL (headers do not hold up, gso_size 0, more than GSO_SEGS_MAX
 * segments, no payload).
 */
int	gso_prepare(struct gso *, const uint8_t *ip, size_t len,
	    const struct link_vnet *v) MUST_CHECK;

/*
 * Segment i (< g->nsegs) of ip, a complete datagram, into out[0, cap);
 * its length in *n. 0, -EINVAL (i out of range), -ENOSPC (cap).
 */
int	gso_segment(const struct gso *, const uint8_t *ip, uint32_t i,
	    uint8_t *out, size_t cap, size_t *n) MUST_CHECK;

/*
 * The Internet checksum of len bytes added to sum (16-bit folded, host
 * order, not inverted): the same value as pkt_csum_fold(pkt_csum_add()),
 * eight bytes at a time.
 */
uint16_t gso_csum(uint16_t sum, const uint8_t *p, size_t len);

/* ---- coalescing (GRO) ---- */

#define GRO_MAX_BYTES	65535	/* an IP datagram at most */

/*
 * The batch being built: out[0, n) are frames to send (each either a
 * caller's frame as it came, or a superpacket in the arena). The frame
 * at out[open] is the superpacket still growing (open < n), if any.
 */
struct gro {
	struct link_pkt	*out;		/* [cap] the caller's */
	unsigned	 cap, n;
	uint8_t		*arena;		/* the caller's */
	size_t		 arena_cap, arena_used;
	/* The open superpacket. */
	bool		 open;
	unsigned	 at;		/* index in out[] */
	size_t		 l3;		/* IP header in the frame */
	uint32_t	 hdr_len;	/* from the frame start to payload */
	uint32_t	 next_seq;
	uint16_t	 mss;
	uint16_t	 family;
	uint32_t	 segs;
	uint64_t	 merged;	/* segments merged into another */
	uint64_t	 bad_csum;	/* not merged: checksum wrong */
};

/* Start a batch into out[0, cap) with the arena (a few superpackets:
 * 64 KiB + 128 each). */
void	gro_init(struct gro *, struct link_pkt *out, unsigned cap,
	    uint8_t *arena, size_t arena_cap);

/*
 * One frame p (its IP header at l3; l3 + its datagram within p->len)
 * appended to the batch: merged into the open superpacket, or the start
 * of a new one (copied into the arena), or appended as it is. false only
 * when out[] is full (the caller sends the batch and starts again).
 */
bool	gro_add(struct gro *, const struct link_pkt *p, size_t l3);

/* Close the batch: out[0, return) to send. */
unsigned gro_finish(struct gro *);

#endif /* PARAPET_NETD_GSO_H */
