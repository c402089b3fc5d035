/*
 * ah.h - AH (RFC 4302) with HMAC-SHA-256-128 / HMAC-SHA-512-256, in
 * place, transport and tunnel mode, IPv4 and IPv6 (and 4-in-6, 6-in-4).
 *
 * The ICV covers the whole IP packet with the mutable fields as zero
 * (RFC 4302 §3.3.3.1): IPv4 TOS (when sa->ah_cleartos), flags and
 * fragment offset (keeping the bits of sa->ah_offsetmask), TTL, header
 * checksum and every option outside Appendix A's immutable list, with the
 * destination a source-route option will deliver to; IPv6 traffic class,
 * flow label, hop limit, the data of options whose type has the 0x20
 * ("may change") bit, and type 0 and 2 routing headers as they will be
 * at the receiver (other routing types only with segments left 0). With
 * ESN the high sequence bits are appended (RFC 4302 §2.5.1).
 *
 * Pure; untrusted input: inbound packets. Inbound order as for ESP:
 * ah_parse(), window check, ah_decap(), window advance.
 */
#ifndef PARAPET_IPSECD_AH_H
#define PARAPET_IPSECD_AH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip_hdr.h"
#include "util.h"
#include "xform.h"

#define AH_HDR_BYTES	12	/* next header .. sequence number */
/* IP header, extension headers and AH together, for the ICV copy. */
#define AH_FRONT_MAX	2048

struct ah_in {
	uint32_t	spi;		/* host order */
	uint32_t	seq_lo;
	uint8_t		nh;		/* AH next header */
	size_t		ah_off;		/* from the packet start */
	size_t		ah_len;		/* header + ICV + padding */
	struct ip_info	ip;		/* the IP header carrying AH */
};

/* As esp_parse(); never returns XFORM_DROP. */
int	ah_parse(const struct xform_pkt *, struct ah_in *,
	    enum xform_reject *why) MUST_CHECK;
/*
 * Verify the ICV with seq_hi (ESN) and remove AH: transport mode keeps
 * the IP header (next header and lengths fixed), tunnel mode narrows pkt
 * to the inner packet (ECN per RFC 6040 when the SA asks).
 */
int	ah_decap(const struct xform_sa *, struct xform_pkt *,
	    const struct ah_in *, uint32_t seq_hi,
	    enum xform_reject *why) MUST_CHECK;
/*
 * Insert AH (transport) or prepend an outer header and AH (tunnel).
 * Errors as esp_encap(); NAT-T is not defined for AH (-EINVAL).
 */
int	ah_encap(const struct xform_sa *, struct xform_pkt *,
	    uint64_t seq) MUST_CHECK;

/* Headroom ah_encap() needs (its tailroom is 0). */
size_t	ah_headroom(const struct xform_sa *, uint8_t inner_version);

#endif
