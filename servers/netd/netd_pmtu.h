/*
 * netd_pmtu.h - the path MTU netd learns for its ESP/AH packets. Pure: no
 * I/O, the clock is an argument, no globals.
 *
 * Two bounded tables, both set-associative (4 ways per set, a seeded
 * hash, the stalest way evicted when a set is full):
 *
 * - sent: (family, protocol, outer destination, SPI) -> outer source and
 *   when a protected packet last left with them (netd_pmtu_sent(), for
 *   every PROTECT result put on the wire). An ICMP error is believed
 *   only when it quotes a packet this table has seen recently, from the
 *   source it was sent with, and is itself addressed to that source (as
 *   Linux's esp4_err / esp6_err believe only an error whose quoted SPI
 *   names an SA of theirs).
 * - path: (family, outer destination) -> learned MTU and its expiry. The
 *   outer path is what every SA to that destination shares, so the SPI
 *   validates the error and the destination keys the result (Linux keeps
 *   the PMTU in the route's exception to the outer destination, KAME in
 *   the SA's cached route: both per destination in effect).
 *
 * Rules (Linux __ip_rt_update_pmtu / rt6_do_update_pmtu): an MTU below
 * the floor (IPv4 552, Linux min_pmtu; IPv6 1280) is raised to it; an
 * MTU above what is in use (the link MTU or a learned one) changes
 * nothing; the same MTU again refreshes the expiry; a learned MTU
 * expires after expire_ms (Linux mtu_expires, 600 s) and the link MTU
 * is used again.
 */
#ifndef PARAPET_NETD_PMTU_H
#define PARAPET_NETD_PMTU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icmp.h"
#include "pkt.h"
#include "util.h"

#define NETD_PMTU_MIN4		552	/* Linux ip_rt_min_pmtu: 512 + 40 */
#define NETD_PMTU_MIN6		1280	/* RFC 8200 §5 */
#define NETD_PMTU_EXPIRE_MS	600000	/* Linux ip_rt_mtu_expires */
#define NETD_PMTU_SENT_MS	60000	/* "recently sent" */
#define NETD_PMTU_PATHS		256	/* destinations remembered */
#define NETD_PMTU_SENTS		1024	/* (destination, SPI) pairs */
#define NETD_PMTU_WAYS		4

/* What became of an ICMP error (one counter each). */
enum netd_pmtu_why {
	NETD_PMTU_LEARNED = 0,	/* ours: the path MTU lowered or refreshed */
	NETD_PMTU_NOT_LOWER,	/* ours, but not below the MTU in use */
	NETD_PMTU_NOT_OURS,	/* the quoted source is not the one we sent
				 * from, or the error is not addressed to it */
	NETD_PMTU_UNKNOWN_SPI,	/* no packet to (destination, SPI) lately */
	NETD_PMTU_BAD,		/* checksum, truncated quote, MTU < 68 */
	NETD_PMTU_OTHER,	/* not a too-big error about ESP / AH */
	NETD_PMTU_WHY_COUNT
};

const char *netd_pmtu_why_name(enum netd_pmtu_why);
/*
 * Whether netd keeps the error (true) or lets it go on to the host's
 * side as any packet (false): only errors shown to be about a packet
 * netd sent are kept; the host's stack never saw those.
 */
bool	netd_pmtu_consumed(enum netd_pmtu_why);

struct netd_pmtu_conf {
	uint64_t	expire_ms;	/* a learned MTU's life (> 0) */
	uint64_t	sent_ms;	/* how long a sent SPI is believed */
	unsigned	paths;		/* multiple of NETD_PMTU_WAYS, power of 2 */
	unsigned	sents;		/* likewise */
};

void	netd_pmtu_conf_default(struct netd_pmtu_conf *);

struct netd_pmtu_stats {
	uint64_t	why[NETD_PMTU_WHY_COUNT];
	uint64_t	evicted;	/* a live path entry pushed out */
	uint64_t	expired;	/* a learned MTU timed out */
};

struct netd_pmtu;

/* 0, -EINVAL (conf), -ENOMEM. */
int	netd_pmtu_new(struct netd_pmtu **, const struct netd_pmtu_conf *,
	    uint64_t seed) MUST_CHECK;
void	netd_pmtu_free(struct netd_pmtu *);

/*
 * A protected packet (parsed as pi: kind ESP, AH or ESP in UDP) left for
 * the wire: remember its destination, SPI and source. Anything else is
 * ignored.
 */
void	netd_pmtu_sent(struct netd_pmtu *, const struct pkt_info *pi,
	    uint64_t now_ms);

/*
 * An ICMP error already parsed (icmp_parse_pmtu), arriving addressed to
 * icmp_dst: validated and learned. link_mtu: the wire's (0: unknown).
 */
enum netd_pmtu_why netd_pmtu_learn(struct netd_pmtu *,
	    const struct icmp_pmtu *pm, const uint8_t *icmp_dst,
	    uint16_t link_mtu, uint64_t now_ms);

/*
 * A datagram from the wire that pkt_parse() accepted as pi: if it is an
 * ICMP "fragmentation needed" / ICMPv6 "packet too big", parsed
 * (untrusted), validated and learned; counted. NETD_PMTU_OTHER for
 * everything else (not counted).
 */
enum netd_pmtu_why netd_pmtu_icmp(struct netd_pmtu *, const uint8_t *pkt,
	    const struct pkt_info *pi, uint16_t link_mtu, uint64_t now_ms);

/*
 * The MTU a protected packet to the outer destination dst (family's
 * length) must fit: min(link_mtu, the learned one); link_mtu when none
 * (0 and none: 0, no limit).
 */
uint16_t netd_pmtu_mtu(struct netd_pmtu *, uint16_t family,
	    const uint8_t *dst, uint16_t link_mtu, uint64_t now_ms);

const struct netd_pmtu_stats *netd_pmtu_stats(const struct netd_pmtu *);

#endif /* PARAPET_NETD_PMTU_H */
