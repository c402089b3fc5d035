/*
 * icmp.h - path MTU signalling for netd. Pure: no I/O, the clock is an
 * argument.
 *
 * - icmp_build_too_big(): ICMPv4 "fragmentation needed" (type 3 code 4,
 *   next-hop MTU, RFC 1191) or ICMPv6 "packet too big" (type 2, RFC 4443)
 *   back to the sender of a packet that no longer fits once encapsulated.
 *   Quotes as much of the original as RFC 1812 §4.3.2.3 (IPv4: the error
 *   at most 576 bytes) and RFC 4443 §2.4(c) (IPv6: at most 1280) allow;
 *   both checksums computed. Never about an ICMP error, a later
 *   fragment, or a multicast / broadcast / unspecified address (RFC 1122
 *   §3.2.2, RFC 4443 §2.4(e)): -EPERM.
 * - icmp_bucket: the token bucket that limits how many we send (Linux:
 *   icmp_msgs_per_sec 1000, icmp_msgs_burst 50).
 * - icmp_parse_pmtu(): an ICMP error from the wire that quotes one of our
 *   ESP / AH / ESP-in-UDP packets: which SA (destination, protocol, SPI)
 *   and the MTU it reports, for the SA's path MTU. The ICMP is untrusted;
 *   the quote is a truncated packet and is parsed as such.
 */
#ifndef PARAPET_NETD_ICMP_H
#define PARAPET_NETD_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "util.h"

#define ICMP4_QUOTE_TOTAL	576	/* RFC 1812 §4.3.2.3 */
#define ICMP6_QUOTE_TOTAL	1280	/* RFC 4443 §2.4(c) */
#define ICMP_TTL		64

/*
 * Build the error about orig (parsed as pi) into out. src: our address
 * to send it from (pi->family's length). mtu: what fits (IPv4 clamped to
 * 68..65535, IPv6 to 1280..). 0 and *out_len, or -EPERM (must not send
 * one about this packet), -EMSGSIZE (out too small).
 */
int	icmp_build_too_big(const uint8_t *orig, const struct pkt_info *pi,
	    const uint8_t *src, uint32_t mtu, uint8_t *out, size_t cap,
	    size_t *out_len) MUST_CHECK;

struct icmp_bucket {
	uint64_t	milli;		/* tokens x 1000 */
	uint64_t	last_ms;
	uint32_t	rate_per_s;
	uint32_t	burst;
};

void	icmp_bucket_init(struct icmp_bucket *, uint32_t rate_per_s,
	    uint32_t burst, uint64_t now_ms);
/* Take a token: true if one was there. */
bool	icmp_bucket_take(struct icmp_bucket *, uint64_t now_ms);

struct icmp_pmtu {
	uint16_t	family;
	uint8_t		proto;		/* IPPROTO_ESP or IPPROTO_AH */
	bool		udp_encap;	/* ESP in UDP (RFC 3948) */
	uint32_t	spi;		/* host order */
	uint32_t	mtu;		/* IPv6: at least 1280 */
	uint8_t		src[16];	/* the quoted packet's: us */
	uint8_t		dst[16];	/* the SA's destination */
};

/*
 * pkt: an ICMP / ICMPv6 datagram that pkt_parse() accepted as pi. 0 and
 * *pm, or -ENOENT (not a too-big error, or not about ESP/AH), -EBADMSG
 * (truncated quote, bad checksum), -EINVAL (an MTU below 68 for IPv4).
 */
int	icmp_parse_pmtu(const uint8_t *pkt, const struct pkt_info *pi,
	    struct icmp_pmtu *pm) MUST_CHECK;

#endif /* PARAPET_NETD_ICMP_H */
