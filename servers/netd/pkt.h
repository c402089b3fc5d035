/*
 * pkt.h - netd's packet parser: IPv4 and IPv6 datagrams (and the Ethernet
 * frames around them) from untrusted bytes, checked and described.
 *
 * pkt_parse() reads a datagram through the cursor (common/rd.h): version,
 * header length, total / payload length against what arrived, the IPv4
 * header checksum, the IPv6 extension header chain (hop-by-hop, routing,
 * fragment, destination options; AH and ESP recognised as such and not
 * walked past), fragments, and the upper-layer header far enough to take
 * the SPD selector: addresses, protocol, ports, and for ICMP / ICMPv6 the
 * type in the source port and the code in the destination port (KAME).
 *
 * Fragments (DESIGN §10.16): the first fragment, when it carries the
 * whole upper-layer header, is described like an unfragmented datagram
 * (RFC 4301 §7); later fragments keep the protocol and have no ports
 * (0 = "any"), so only policies that do not select ports match them (the
 * RFC's OPAQUE). KAME (ipsec4_get_ulp) gives every fragment protocol and
 * ports "any"; Linux (decode_session4) keeps the protocol and drops the
 * ports of every fragment.
 *
 * Every refusal has its own reason (enum pkt_reject) with a name for the
 * counters; nothing here allocates or keeps state.
 */
#ifndef PARAPET_NETD_PKT_H
#define PARAPET_NETD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum pkt_reject {
	PKT_OK = 0,
	PKT_R_EMPTY,		/* nothing arrived */
	PKT_R_VERSION,		/* neither 4 nor 6 (or not the ethertype's) */
	PKT_R_V4_SHORT,		/* fewer than 20 bytes */
	PKT_R_V4_IHL,		/* header length < 20 or past what arrived */
	PKT_R_V4_TOTLEN_SHORT,	/* total length < header length */
	PKT_R_V4_TOTLEN_LONG,	/* total length > what arrived */
	PKT_R_V4_CSUM,		/* header checksum */
	PKT_R_V4_FRAG_LONG,	/* offset + length > 65535 */
	PKT_R_V4_FRAG_OFF1,	/* TCP fragment at offset 8 (RFC 1858) */
	PKT_R_V4_FRAG_RSV,	/* the reserved flag bit set */
	PKT_R_V6_SHORT,		/* fewer than 40 bytes */
	PKT_R_V6_PLEN_LONG,	/* payload length > what arrived */
	PKT_R_V6_JUMBO,		/* payload length 0 (jumbogram): unsupported */
	PKT_R_V6_EXT_TRUNC,	/* extension header past the payload */
	PKT_R_V6_HBH_POS,	/* hop-by-hop not right after the header */
	PKT_R_V6_EXT_MANY,	/* more than PKT_V6_EXT_MAX extension headers */
	PKT_R_V6_FRAG_DUP,	/* two fragment headers */
	PKT_R_V6_FRAG_LEN,	/* more fragments but length not 8k */
	PKT_R_V6_FRAG_LONG,	/* offset + length > 65535 */
	PKT_R_V6_RH0,		/* routing header type 0 with segments left */
	PKT_R_TINY_FRAG,	/* first fragment without the whole upper-layer
				   header (RFC 1858, RFC 7112) */
	PKT_R_TCP_SHORT,	/* TCP header truncated or data offset bad */
	PKT_R_UDP_SHORT,	/* UDP header truncated */
	PKT_R_UDP_LEN,		/* UDP length field vs the datagram */
	PKT_R_ICMP_SHORT,	/* ICMP / ICMPv6 header truncated */
	PKT_R_ESP_SHORT,	/* ESP without SPI and sequence number */
	PKT_R_AH_SHORT,		/* AH header truncated or its length past */
	PKT_R_ETH_SHORT,	/* Ethernet header truncated */
	PKT_R_ETH_VLAN,		/* more than two VLAN tags */
	PKT_REJECT_COUNT
};

/* "v4_csum" etc.: counter names, [a-z0-9_]. */
const char *pkt_reject_name(enum pkt_reject);

#define PKT_V6_EXT_MAX		16	/* extension headers walked at most */
#define PKT_NATT_PORT		4500	/* RFC 3948 */

/* What the upper-layer header turned out to be (decide() uses it). */
enum pkt_kind {
	PKT_K_OTHER = 0,	/* upper-layer header not interpreted */
	PKT_K_TCP,
	PKT_K_UDP,
	PKT_K_ICMP,		/* ICMP or ICMPv6 */
	PKT_K_ESP,		/* spi set */
	PKT_K_AH,		/* spi set */
	PKT_K_UDP_ESP,		/* ESP in UDP to port 4500: spi set */
	PKT_K_UDP_IKE,		/* UDP 4500 with the non-ESP marker */
	PKT_K_UDP_KEEPALIVE,	/* UDP 4500, one byte 0xff (RFC 3948 §2.3) */
	PKT_K_NOPORTS,		/* a later fragment: no upper-layer header */
};

struct pkt_info {
	uint16_t	family;		/* AF_INET or AF_INET6 */
	uint8_t		proto;		/* upper-layer protocol (ESP/AH too) */
	uint8_t		kind;		/* enum pkt_kind */
	uint8_t		ttl;		/* TTL or hop limit */
	uint8_t		tos;		/* TOS or traffic class */
	uint16_t	sport;		/* host order; ICMP: type */
	uint16_t	dport;		/* host order; ICMP: code */
	uint8_t		src[16];	/* network order; IPv4: first 4 */
	uint8_t		dst[16];
	uint32_t	l4_off;		/* upper-layer header, from the start */
	uint32_t	len;		/* datagram length (total / 40 + payload) */
	uint32_t	spi;		/* ESP / AH / ESP in UDP, host order */
	/* Fragments. */
	bool		frag;		/* a fragment (not atomic) */
	bool		frag_more;	/* MF */
	uint16_t	frag_off;	/* bytes */
	uint32_t	frag_id;	/* IPv4: 16 bits; IPv6: 32 */
	uint32_t	frag_hdr_off;	/* IPv6: the fragment header */
	uint32_t	frag_nh_off;	/* IPv6: the next header field naming
					   the fragment header */
	uint32_t	frag_data_off;	/* fragment data starts here */
};

/*
 * Parse one IP datagram of len bytes (what arrived; bytes past the
 * datagram's own length, e.g. Ethernet padding, are allowed and
 * ignored: info->len tells the real length). PKT_OK or the reason.
 */
enum pkt_reject pkt_parse(const uint8_t *buf, size_t len,
	    struct pkt_info *info) MUST_CHECK;

/* Ethernet: where the payload starts and its ethertype (after up to two
 * 802.1Q / 802.1ad tags). PKT_OK or PKT_R_ETH_*. */
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8
enum pkt_reject pkt_eth_parse(const uint8_t *frame, size_t len,
	    uint16_t *ethertype, size_t *l3_off) MUST_CHECK;

/*
 * True for IPv6 neighbour discovery (RFC 4861: ICMPv6 133..137 with hop
 * limit 255) and MLD (130..132, 143 with a link-local source): link
 * housekeeping that bump in the stack passes untouched, like ARP.
 */
bool	pkt_is_nd(const struct pkt_info *);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted,
 * added to sum. */
uint32_t pkt_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

#endif /* PARAPET_NETD_PKT_H */
