/*
 * link.h - netd's link drivers: one small ops table per kind of
 * attachment (DESIGN §4), so the engine moves batches of packets without
 * knowing what is underneath.
 *
 *   tap     /dev/net/tun IFF_TAP|IFF_NO_PI (+IFF_VNET_HDR when it can):
 *           the host side of bump in the stack, Ethernet frames
 *   tun     /dev/net/tun IFF_TUN|IFF_NO_PI: the inside of an overlay, IP
 *   packet  AF_PACKET on an interface: the wire side of bump in the
 *           stack, Ethernet frames (PACKET_IGNORE_OUTGOING, all-multicast,
 *           not promiscuous; PACKET_VNET_HDR when the TAP has vnet headers)
 *   udp     a UDP socket (port 4500, ESP in UDP): the outside of an
 *           overlay (UDP GSO on send, GRO on receive, when it can). With
 *           cfg.ipframe its packets are whole IP datagrams carrying UDP
 *           (link_udp_strip / link_udp_synth below), as netd and ipsecd
 *           see ESP in UDP; without, bare UDP payloads with their peer
 *   raw     a raw IPv4 socket for protocol 50 or 51 (sends only packets
 *           of that protocol)
 *   mem     a pair of in-memory queues of Ethernet frames (tests,
 *           benchmarks)
 *
 * I/O happens here, but no libuv: a link is a non-blocking descriptor
 * (mem: an eventfd-less queue) the shell polls. Buffers belong to the
 * caller; a driver fills or sends what it is handed.
 *
 * Offloads: a link with vnet headers carries a struct virtio_net_hdr's
 * worth of offload state per packet (GSO type and size, checksum start
 * and offset). Between two vnet links it passes through untouched, so a
 * TCP superpacket from the host crosses as one. Without vnet headers a
 * TAP/TUN only ever hands over complete, checksummed packets; an
 * AF_PACKET link marks frames whose checksum the kernel left partial
 * (csum_partial) and the bridge completes them.
 */
#ifndef PARAPET_NETD_LINK_H
#define PARAPET_NETD_LINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

#define LINK_BATCH	64		/* packets per call at most */
#define LINK_BUF_BYTES	(65536 + 256)	/* one packet buffer: a superpacket */
#define LINK_NAME_MAX	15	/* IFNAMSIZ - 1 */

/* Offload state of one packet (struct virtio_net_hdr, host order). */
struct link_vnet {
	uint8_t		flags;		/* VIRTIO_NET_HDR_F_NEEDS_CSUM, ... */
	uint8_t		gso_type;	/* VIRTIO_NET_HDR_GSO_NONE, ... */
	uint16_t	hdr_len;
	uint16_t	gso_size;
	uint16_t	csum_start;
	uint16_t	csum_offset;
};

/* Members ordered by alignment to avoid padding; no wire layout. */
struct link_pkt {
	uint8_t			*data;	/* caller's buffer */
	/* udp / raw: the peer (received from, or to send to). */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	uint32_t		 len;	/* bytes in it */
	uint32_t		 cap;	/* its size */
	struct link_vnet	 vnet;	/* vnet links only; else zero */
	/* udp with ipframe: the local address it arrived at (IP_PKTINFO,
	   IPV6_PKTINFO; 4 or 16 bytes by the link's family). */
	uint8_t			 local[16];
	bool			 csum_partial;	/* packet without vnet: the
						   L4 checksum is partial */
};

struct link_stats {
	uint64_t	rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t	rx_err;		/* failed reads (not EAGAIN) */
	uint64_t	rx_trunc;	/* larger than the buffer: dropped */
	uint64_t	rx_other;	/* AF_PACKET: not for us, or ours */
	uint64_t	tx_err;		/* failed sends: packets dropped */
	uint64_t	tx_gso;		/* udp: packets sent as UDP GSO */
	uint64_t	rx_gro;		/* udp: received coalesced (GRO) */
	uint64_t	csum_fixed;	/* packet: partial checksums done */
	/* udp with ipframe (overlay): RFC 3948 traffic that is not ESP
	   (there is no IKE behind netd): received, counted, dropped */
	uint64_t	rx_ike;		/* the non-ESP marker (IKE) */
	uint64_t	rx_keepalive;	/* one byte 0xff: NAT keepalive */
	/* udp with ipframe, raw: a packet to send that is not what the
	   link carries (not IP + UDP; not the raw link's protocol) */
	uint64_t	tx_bad;
};

enum link_kind {
	LINK_TAP = 0,
	LINK_TUN,
	LINK_PACKET,
	LINK_UDP,
	LINK_RAW,
	LINK_MEM,
	LINK_KIND_COUNT
};

struct link_cfg {
	uint8_t		 kind;		/* enum link_kind */
	char		 ifname[LINK_NAME_MAX + 1];	/* tap tun packet */
	bool		 vnet;		/* tap, packet: try vnet headers */
	uint16_t	 port;		/* udp: local port (4500) */
	uint16_t	 family;	/* udp, raw: AF_INET / AF_INET6 */
	uint8_t		 proto;		/* raw: IPPROTO_ESP or IPPROTO_AH */
	bool		 gso;		/* udp: try UDP_SEGMENT and UDP_GRO */
	bool		 ipframe;	/* udp: packets are IP + UDP (overlay) */
	/*
	 * A descriptor opened by someone else (the supervisor, link_fd_open
	 * below) to use instead of opening one: has_fd set, fd it. The link
	 * takes it (link_close() closes it) and does the rest of its setup,
	 * which needs no privilege, and learns from it what was chosen
	 * (TUNGETIFF: the TAP's name and vnet flag).
	 */
	bool		 has_fd;
	int		 fd;
	struct link_memq *memq_rx, *memq_tx;	/* mem */
};

struct link;

struct link_ops {
	const char	*name;
	/* Open per cfg. 0 or -errno; l->fd set (-1 for mem). */
	int		(*open)(struct link *, const struct link_cfg *);
	/*
	 * Up to n packets into pkts[i].data (cap bytes each); sets len
	 * (and vnet, peer). Returns how many (0: nothing waiting) or
	 * -errno on a failure other than EAGAIN. A driver may permute the
	 * buffers (data, cap) among pkts[0..n) to avoid copies: the caller
	 * owns them as a set, not by index.
	 */
	int		(*recv_batch)(struct link *, struct link_pkt *,
			    unsigned n);
	/* Send n packets; returns how many left (the rest are dropped and
	 * counted: a link never blocks the engine) or -errno. */
	int		(*send_batch)(struct link *, struct link_pkt *,
			    unsigned n);
	void		(*close)(struct link *);
};

struct link {
	const struct link_ops	*ops;
	struct link_cfg		 cfg;
	int			 fd;	/* poll for reading; -1: none */
	bool			 l2;	/* Ethernet frames (tap, packet) */
	bool			 vnet;	/* vnet headers in use */
	int			 ifindex;
	uint8_t			 mac[6];	/* tap, packet */
	struct link_stats	 st;
	void			*priv;	/* the driver's */
};

extern const struct link_ops link_tap_ops, link_tun_ops, link_packet_ops,
    link_udp_ops, link_raw_ops, link_mem_ops;

const char *link_kind_name(enum link_kind);
/* "tap" -> LINK_TAP; -EINVAL for an unknown name. */
int	link_kind_parse(const char *, enum link_kind *) MUST_CHECK;

/*
 * The part of opening a link that needs privilege (link_fd.c), shared by
 * the drivers and the supervisor, which opens netd's links once and hands
 * them over (DESIGN §10.2, STYLE §9), so a TAP keeps its attached file
 * (carrier, queue) across a restart of netd:
 *   tap, tun  /dev/net/tun, TUNSETIFF (IFF_VNET_HDR with cfg->vnet; a
 *             kernel that refuses it: without)
 *   packet    an AF_PACKET SOCK_RAW socket, protocol 0 (the driver binds)
 *   raw       a raw IPv4 socket of cfg->proto
 *   udp       a UDP socket of cfg->family (the driver binds; port 4500
 *             needs no privilege, but a kept socket keeps its queue)
 * Non-blocking, close-on-exec. 0 with *fd, or -errno (-EINVAL: mem, or a
 * bad cfg; -EAFNOSUPPORT: raw inet6).
 */
int	link_fd_open(const struct link_cfg *, int *fd) MUST_CHECK;

/* Open a link of cfg->kind; 0 or -errno (l is zeroed first). */
int	link_open(struct link *, const struct link_cfg *) MUST_CHECK;
void	link_close(struct link *);

static inline int
link_recv(struct link *l, struct link_pkt *p, unsigned n)
{
	return l->ops->recv_batch(l, p, n);
}

static inline int
link_send(struct link *l, struct link_pkt *p, unsigned n)
{
	return l->ops->send_batch(l, p, n);
}

/*
 * In-memory links: a queue holds copies of up to cap packets. Two links
 * made with link_mem_pair() are crossed: what a sends, b receives.
 * Without locks: one thread at a time (tests, benchmarks).
 */
struct link_memq;
int	link_memq_create(struct link_memq **, size_t cap) MUST_CHECK;
void	link_memq_destroy(struct link_memq *);
size_t	link_memq_len(const struct link_memq *);
int	link_mem_pair(struct link *a, struct link *b, size_t cap) MUST_CHECK;

/*
 * A udp link with ipframe (the outside of an overlay) carries whole IP
 * datagrams carrying UDP, as ipsecd builds ESP in UDP (RFC 3948) and as
 * netd parses it, while its socket carries UDP payloads:
 *
 *   send:    IP + UDP + payload --link_udp_strip--> payload to dst:dport
 *   receive: payload from peer to local:port --link_udp_synth--> IP + UDP
 *
 * link_udp_strip: the datagram pkt[0..len) (untrusted: ipsecd wrote it)
 * -> the destination (*to, *tolen: a sockaddr_in for IPv4, sockaddr_in6
 * for IPv6, with the UDP destination port), the UDP source port
 * (*sport) and where the payload starts (*off; it runs to len). Checks:
 * IPv4 header 20 bytes, IHL >= 5 and within len, total length == len,
 * not a fragment; IPv6 header 40 bytes, payload length == len - 40; the
 * protocol (IPv6: the next header, no extension headers) UDP; 8 bytes of
 * UDP header with its length == what follows the IP header. 0, or
 * -EBADMSG (malformed), -EAFNOSUPPORT (version neither 4 nor 6),
 * -EPROTONOSUPPORT (not UDP).
 */
int	link_udp_strip(const uint8_t *pkt, size_t len,
	    struct sockaddr_storage *to, socklen_t *tolen, uint16_t *sport,
	    size_t *off) MUST_CHECK;

/* The header link_udp_synth writes: 28 bytes (IPv4), 48 (IPv6). */
#define LINK_UDP_HDR4	28
#define LINK_UDP_HDR6	48
#define LINK_UDP_HDR(family) \
	((family) == AF_INET6 ? LINK_UDP_HDR6 : LINK_UDP_HDR4)

/*
 * link_udp_synth: buf holds LINK_UDP_HDR(family) free bytes, then the
 * plen bytes of a UDP payload received from peer (sockaddr_in or
 * sockaddr_in6 per family, with its port) at address local (4 or 16
 * bytes) port lport. Writes the IP header (IPv4: TTL 64, checksum;
 * IPv6: hop limit 64) and the UDP header (IPv4: checksum 0, RFC 768;
 * IPv6: the checksum, RFC 8200 §8.1), so buf[0..hdr + plen) is the
 * datagram as it was on the wire, as far as netd and ipsecd can tell.
 * 0, or -EMSGSIZE (the datagram would pass 65535 bytes of IPv4 total or
 * IPv6 payload length), -EAFNOSUPPORT (family, or peer's family).
 */
int	link_udp_synth(uint8_t *buf, size_t plen, uint16_t family,
	    const struct sockaddr_storage *peer, const uint8_t *local,
	    uint16_t lport) MUST_CHECK;

/*
 * Complete a partial L4 checksum in software (CHECKSUM_PARTIAL: the
 * field holds the pseudo-header sum; csum_start is where the sum starts,
 * csum_offset where it goes, from the frame start). 0 or -EINVAL.
 */
int	link_csum_complete(uint8_t *frame, size_t len, size_t csum_start,
	    size_t csum_offset) MUST_CHECK;

#endif /* PARAPET_NETD_LINK_H */
