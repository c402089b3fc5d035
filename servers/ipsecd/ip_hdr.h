/*
 * ip_hdr.h - IPv4/IPv6 header helpers for ipsecd's transforms: validation
 * (version, lengths, IPv4 header checksum), the IPv6 extension-header walk,
 * the Internet checksum with incremental updates, RFC 6040 ECN rules and
 * the outer header of a tunnel.
 *
 * Untrusted input: every packet handed to ip_hdr_parse(). It reads
 * through a bounds-checked cursor and rejects with a precise reason; the
 * writers below only touch offsets a successful parse has vouched for.
 * Pure: no I/O, no state.
 */
#ifndef PARAPET_IPSECD_IP_HDR_H
#define PARAPET_IPSECD_IP_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "xform.h"

#define IP4_HDR_BYTES		20
#define IP6_HDR_BYTES		40
#define UDP_HDR_BYTES		8
#define IP_MAXPACKET_BYTES	65535

#define IPPROTO_NUM_HOPOPTS	0
#define IPPROTO_NUM_IPIP	4
#define IPPROTO_NUM_TCP		6
#define IPPROTO_NUM_UDP		17
#define IPPROTO_NUM_IPV6	41
#define IPPROTO_NUM_ROUTING	43
#define IPPROTO_NUM_FRAGMENT	44
#define IPPROTO_NUM_ESP		50
#define IPPROTO_NUM_AH		51
#define IPPROTO_NUM_ICMPV6	58
#define IPPROTO_NUM_NONE	59
#define IPPROTO_NUM_DSTOPTS	60

#define NATT_PORT		4500

/* How far ip_hdr_parse() walks IPv6 extension headers. */
enum ip_walk {
	/*
	 * To the first header that is not hop-by-hop, routing, fragment or
	 * destination options (inbound: ESP, AH, UDP, or an upper layer).
	 */
	IP_WALK_ALL = 0,
	/*
	 * To where ESP or AH goes in transport mode (RFC 4303 §3.1.1, RFC
	 * 4302 §3.1.1): after hop-by-hop, routing and fragment headers and
	 * destination options that precede a routing header; a destination
	 * options header after the routing header stays inside (as Linux
	 * and scapy do).
	 */
	IP_WALK_INSERT
};

struct ip_info {
	uint8_t		version;	/* 4 or 6 */
	uint8_t		proto;		/* protocol found after the walk */
	uint8_t		tos;		/* IPv4 TOS or IPv6 traffic class */
	uint8_t		ttl;		/* TTL or hop limit */
	bool		df;		/* IPv4 DF (IPv6: false) */
	size_t		hlen;		/* IPv4 IHL*4, IPv6 40 */
	size_t		l3_len;		/* where the walk stopped */
	size_t		nh_off;		/* the byte naming `proto` */
	size_t		tot_len;	/* datagram length from the header */
	struct xform_addr src;
	struct xform_addr dst;
};

/*
 * Parse and validate the IP header at p[0..len). On success fills *info
 * and returns 0; bytes past tot_len (link padding) are the caller's to
 * ignore. On failure returns a negative errno with the reason in *why
 * and *info is unspecified. IPv4 addresses fill a[0..3] only.
 * Fragments are rejected (XFORM_REJECT_IP_FRAGMENT) except IPv6 atomic
 * fragments (offset 0, M clear).
 */
int	ip_hdr_parse(const uint8_t *p, size_t len, enum ip_walk,
	    struct ip_info *info, enum xform_reject *why) MUST_CHECK;
/*
 * The inbound start of ESP and AH: the packet's window checked against its
 * buffer, then its IP header parsed with every extension header walked.
 * *p gets the packet's first byte.
 */
int	ip_hdr_parse_pkt(const struct xform_pkt *, const uint8_t **p,
	    struct ip_info *, enum xform_reject *) MUST_CHECK;

/* One's-complement sum of p[0..n) added to sum (not folded, not negated). */
uint32_t ip_csum_add(uint32_t sum, const uint8_t *p, size_t n);
/* Fold a sum to 16 bits and negate it: the value to store. */
uint16_t ip_csum_fold(uint32_t sum);
/*
 * Incremental update (RFC 1624 eqn. 3) of a stored checksum when the
 * bytes old[0..n) covered by it become new[0..n) (n even).
 */
uint16_t ip_csum_replace(uint16_t csum, const uint8_t *old,
	    const uint8_t *new, size_t n);

/*
 * Checksum of an upper-layer segment l4[0..n) with the pseudo-header of
 * the addresses in *ip (RFC 768 / RFC 8200 §8.1), the checksum field
 * included as it is: 0 when a received segment verifies; the value to
 * store when the field was zeroed first.
 */
uint16_t ip_l4_csum(const struct ip_info *ip, uint8_t proto,
	    const uint8_t *l4, size_t n);

/* Store the IPv4 header checksum of hdr[0..hlen). */
void	ip4_csum_set(uint8_t *hdr, size_t hlen);
/* Set IPv4 total length (checksum recomputed) or IPv6 payload length. */
void	ip_len_set(uint8_t *hdr, uint8_t version, size_t hlen,
	    size_t tot_len);
/*
 * The same for a header whose IPv4 checksum is valid: the checksum is
 * updated incrementally (RFC 1624), which is cheaper on the packet path.
 */
void	ip_len_update(uint8_t *hdr, uint8_t version, size_t tot_len);
/* Set one byte of a valid IPv4 header, updating its checksum. */
void	ip4_byte_set(uint8_t *hdr, size_t off, uint8_t v);
/* Set the next-header byte at nh_off (IPv4: protocol, checksum kept). */
void	ip_nh_set(uint8_t *hdr, uint8_t version, size_t nh_off, uint8_t v);

/* RFC 6040 §4.1: outer ECN from the inner's; off: Not-ECT. */
uint8_t	ip_ecn_encap(uint8_t inner_tos, bool ecn);
/*
 * RFC 6040 §4.2: the inner ECN field after decapsulation, or -1 to drop
 * (outer CE on a Not-ECT inner packet).
 */
int	ip_ecn_decap(uint8_t outer_tos, uint8_t inner_tos);
/* Rewrite the TOS/traffic class byte(s) of a parsed header in place. */
void	ip_tos_set(uint8_t *hdr, uint8_t version, uint8_t tos);

/*
 * Write the outer header of a tunnel at out[0..*hlen): addresses from
 * sa->tun_src/tun_dst, DSCP copied from the inner header, ECN per RFC
 * 6040 when the SA asks, DF per sa->dfbit (copying from an IPv6 inner
 * packet sets DF: IPv6 is never fragmented en route), TTL/hop limit from
 * sa->ttl (0: 64), `proto` as protocol, payload_len bytes after it. The
 * IPv4 ID is the caller's (ipsecd uses the low 16 bits of the sequence
 * number: unique per SA for 2^16 packets, no clock, no randomness).
 * -EINVAL: no or mixed tunnel address families; -EMSGSIZE: too long or
 * room too small.
 */
int	ip_hdr_build_outer(uint8_t *out, size_t room, const struct xform_sa *,
	    const struct ip_info *inner, uint8_t proto, size_t payload_len,
	    uint16_t ip_id, size_t *hlen) MUST_CHECK;

/* Bytes of a tunnel's outer header for this SA (20 or 40; 0: none). */
size_t	ip_hdr_outer_bytes(const struct xform_sa *);

#endif
