/*
 * link_udp.c - a UDP socket: the outside of an overlay carrying ESP in
 * UDP (RFC 3948, port 4500; see link.h).
 *
 * Bound to cfg->port on every address of cfg->family; batches are
 * recvmmsg / sendmmsg, each packet with its peer. With cfg->gso, runs of
 * packets to the same peer with the same length (the last of a run may
 * be shorter) leave as one UDP GSO send (UDP_SEGMENT, Linux 4.18) of up
 * to 64 segments; a kernel without it (the option is refused at open)
 * gets one datagram per message, and so does a route that refuses a GSO
 * send (GSO is then switched off for the link).
 *
 * With cfg->gso the socket also takes UDP GRO (UDP_GRO, Linux 5.0): the
 * kernel may hand over several datagrams of one flow as one buffer with
 * their segment size, which is cut back into datagrams here, in order,
 * into the caller's batch. Receive buffers must then hold 64 KiB (as
 * LINK_BUF_BYTES does): the first receive with a smaller one turns GRO
 * off for the link. What does not fit the batch is carried over to the
 * next call, ahead of anything newer, so no flow is reordered.
 *
 * With cfg->ipframe (the outside of an overlay, netd.c) the link's
 * packets are whole IP datagrams carrying UDP, as netd and ipsecd see
 * ESP in UDP: a send strips the IP and UDP headers ipsecd built and
 * sends the payload to their destination address and port
 * (link_udp_strip); a receive lands each payload LINK_UDP_HDR bytes into
 * its buffer and writes in front of it the headers it had on the wire,
 * from the peer's address and port and the local address the kernel
 * names (IP_PKTINFO / IPV6_PKTINFO) and our port (link_udp_synth). GSO
 * and GRO work on the payloads as above. RFC 3948 traffic that is not
 * ESP (the non-ESP marker of IKE, NAT keepalives) is counted and dropped
 * here: no IKE daemon sits behind netd's socket. An IPv6 link is IPv6
 * only (IPV6_V6ONLY): one family per link.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"
#include "pkt.h"
#include "rd.h"
#include "wr.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef UDP_GRO
#define UDP_GRO		104
#endif

/* Datagrams received but not yet handed over (GRO remainders). */
struct udp_carry {
	uint8_t			*buf;
	uint32_t		 len, off, seg;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	uint8_t			 local[16];
};

struct udp_priv {
	bool			 gro;
	bool			 pktinfo;	/* ipframe: local addresses */
	struct udp_carry	 q[LINK_BATCH];
	unsigned		 head, n;
};
#define GSO_SEGS_MAX	64
#define GSO_BYTES_MAX	65000

/*
 * ipframe: the local address of every datagram (the destination of the
 * header written in front of it); IPv6: IPv6 only, so every datagram
 * has an IPv6 header (no IPv4-mapped peers). 0, or -1 with errno.
 */
static int
pktinfo_on(int fd, sa_family_t family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one)) != 0 ? -1 : setsockopt(fd, IPPROTO_IPV6,
		    IPV6_RECVPKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
}

/* Our local address: the wildcard of c->family, port c->port. */
static socklen_t
udp_local(const struct link_cfg *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		return sizeof(*s4);
	}
}

/* A handed socket an earlier netd bound already (same port). */
static bool
udp_bound(int fd, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t p = 0;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return false;
	if (ss.ss_family == AF_INET6)
		p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else if (ss.ss_family == AF_INET)
		p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return p != 0 && p == port;
}

/*
 * The socket, bound: handed over (cfg->has_fd; possibly bound by an
 * earlier netd, then options that must precede bind() were set then) or
 * our own (link_fd_open()).
 */
static int
udp_socket(struct link *l, const struct link_cfg *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = udp_local(c, &ss);
	int one = 1, buf = 4 << 20, error;

	if (c->has_fd)
		l->fd = c->fd;
	else if ((error = link_fd_open(c, &l->fd)) != 0)
		return error;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (c->has_fd && udp_bound(l->fd, c->port))
		return 0;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (c->ipframe && pktinfo_on(l->fd, ss.ss_family) != 0)
		return -errno;
	if (bind(l->fd, (struct sockaddr *)&ss, sl) != 0)
		return -errno;
	return 0;
}

static int
udp_open(struct link *l, const struct link_cfg *c)
{
	struct udp_priv *u;
	int one = 1, zero = 0, error;

	if ((error = udp_socket(l, c)) != 0)
		return error;
	/* Probe UDP GSO: setting a segment size of 0 (off) must work. */
	l->vnet = false;
	l->cfg.gso = c->gso && setsockopt(l->fd, IPPROTO_UDP, UDP_SEGMENT,
	    &zero, sizeof(zero)) == 0;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -ENOMEM;
	u->gro = c->gso && setsockopt(l->fd, IPPROTO_UDP, UDP_GRO, &one,
	    sizeof(one)) == 0;
	u->pktinfo = c->ipframe;
	l->priv = u;
	return 0;
}

/* Hand over carried datagrams first; returns how many. */
static unsigned
carry_out(struct link *l, struct udp_priv *u, struct link_pkt *p,
    unsigned n)
{
	unsigned k = 0;

	while (k < n && u->n > 0) {
		struct udp_carry *c = &u->q[u->head];
		uint32_t len = c->len - c->off < c->seg ? c->len - c->off :
		    c->seg;

		if (len <= p[k].cap) {
			memcpy(p[k].data, c->buf + c->off, len);
			p[k].len = len;
			p[k].peer = c->peer;
			p[k].peerlen = c->peerlen;
			memcpy(p[k].local, c->local, sizeof(c->local));
			p[k].csum_partial = false;
			memset(&p[k].vnet, 0, sizeof(p[k].vnet));
			l->st.rx_pkts++;
			l->st.rx_bytes += len;
			k++;
		} else {
			l->st.rx_trunc++;
		}
		c->off += len;
		if (c->off >= c->len) {
			free(c->buf);
			c->buf = NULL;
			u->head = (u->head + 1) % LINK_BATCH;
			u->n--;
		}
	}
	return k;
}

/* Keep bytes [off, len) of a received buffer for the next call. */
static void
carry_in(struct link *l, struct udp_priv *u, const struct link_pkt *p,
    uint32_t off, uint32_t seg)
{
	struct udp_carry *c;

	if (u->n == LINK_BATCH) {
		l->st.rx_trunc++;	/* not reached: at most a batch */
		return;
	}
	c = &u->q[(u->head + u->n) % LINK_BATCH];
	/* An empty datagram is carried too: malloc(0) may return NULL. */
	if ((c->buf = malloc(p->len > off ? p->len - off : 1)) == NULL) {
		l->st.rx_err++;
		return;
	}
	memcpy(c->buf, p->data + off, p->len - off);
	c->len = p->len - off;
	c->off = 0;
	c->seg = seg;
	c->peer = p->peer;
	c->peerlen = p->peerlen;
	memcpy(c->local, p->local, sizeof(c->local));
	u->n++;
}

static void
swap_pkt(struct link_pkt *a, struct link_pkt *b)
{
	struct link_pkt t = *a;

	*a = *b;
	*b = t;
}

/*
 * One receive batch: the messages and, per message kept, its GRO segment
 * size, how many of its datagrams fit the caller's batch and the slot of
 * the first of them.
 */
struct udp_rxb {
	struct mmsghdr	m[LINK_BATCH];
	struct iovec	iov[LINK_BATCH];
	union {
		/* UDP_GRO's segment size, then a local address */
		char		buf[CMSG_SPACE(sizeof(int)) +
				    CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr	align;
	} cm[LINK_BATCH];
	uint32_t	seg[LINK_BATCH], fit[LINK_BATCH], start[LINK_BATCH];
};

/* GRO needs room for a coalesced 64 KiB: a caller with smaller
 * buffers turns it off for good rather than lose data. */
static void
gro_check(struct link *l, struct udp_priv *u, const struct link_pkt *p,
    unsigned n)
{
	unsigned i;

	for (i = 0; u->gro && i < n; i++)
		if (p[i].cap < 65535) {
			int zero = 0;

			(void)setsockopt(l->fd, IPPROTO_UDP, UDP_GRO, &zero,
			    sizeof(zero));
			u->gro = false;
		}
}

/* One message per free slot p[0..n). */
static void
rx_prepare(const struct udp_priv *u, struct link_pkt *p, unsigned n,
    struct udp_rxb *b)
{
	unsigned i;

	memset(b->m, 0, sizeof(b->m[0]) * n);
	for (i = 0; i < n; i++) {
		b->iov[i].iov_base = p[i].data;
		b->iov[i].iov_len = p[i].cap;
		b->m[i].msg_hdr.msg_iov = &b->iov[i];
		b->m[i].msg_hdr.msg_iovlen = 1;
		b->m[i].msg_hdr.msg_name = &p[i].peer;
		b->m[i].msg_hdr.msg_namelen = sizeof(p[i].peer);
		if (u->gro || u->pktinfo) {
			b->m[i].msg_hdr.msg_control = b->cm[i].buf;
			b->m[i].msg_hdr.msg_controllen = sizeof(b->cm[i].buf);
		}
	}
}

/* The GRO segment size of a message of len bytes: len if it has none. */
static uint32_t
gro_seg(struct msghdr *mh, uint32_t len)
{
	struct cmsghdr *c;
	uint32_t seg = len;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		int g;

		if (c->cmsg_level != IPPROTO_UDP ||
		    c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(g)))
			continue;
		memcpy(&g, CMSG_DATA(c), sizeof(g));
		if (g > 0 && (uint32_t)g < len)
			seg = (uint32_t)g;
	}
	return seg;
}

/* The local address of a message (IP_PKTINFO / IPV6_PKTINFO) into
 * local; left as it was without one. */
static void
local_of(struct msghdr *mh, uint8_t *local)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		struct in6_pktinfo i6;
		struct in_pktinfo i4;

		if (c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(i4))) {
			memcpy(&i4, CMSG_DATA(c), sizeof(i4));
			memcpy(local, &i4.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(i6))) {
			memcpy(&i6, CMSG_DATA(c), sizeof(i6));
			memcpy(local, &i6.ipi6_addr, 16);
		}
	}
}

/* Keep the good ones of r messages, compacted: message q at p[q].
 * Returns how many were kept. */
static unsigned
rx_compact(struct link *l, const struct udp_priv *u, struct link_pkt *p,
    struct udp_rxb *b, unsigned r)
{
	unsigned i, q = 0;

	for (i = 0; i < r; i++) {
		uint32_t len = b->m[i].msg_len;

		if (b->m[i].msg_hdr.msg_flags & MSG_TRUNC) {
			l->st.rx_trunc++;
			continue;
		}
		b->seg[q] = u->gro ? gro_seg(&b->m[i].msg_hdr, len) : len;
		if (q != i)
			swap_pkt(&p[q], &p[i]);
		p[q].len = len;
		p[q].peerlen = b->m[i].msg_hdr.msg_namelen;
		if (u->pktinfo)
			local_of(&b->m[i].msg_hdr, p[q].local);
		q++;
	}
	return q;
}

/* How many datagrams of each of q messages fit in avail slots; the rest
 * is carried, in order. Returns the slots used. */
static unsigned
rx_plan(struct link *l, struct udp_priv *u, const struct link_pkt *p,
    struct udp_rxb *b, unsigned q, unsigned avail)
{
	unsigned j, used = 0;

	for (j = 0; j < q; j++) {
		uint32_t nseg = b->seg[j] == 0 ? 1 :	/* an empty datagram */
		    (p[j].len + b->seg[j] - 1) / b->seg[j];

		b->fit[j] = nseg < avail - used ? nseg : avail - used;
		b->start[j] = used;
		used += b->fit[j];
		if (nseg > 1)
			l->st.rx_gro += nseg;
		if (b->fit[j] < nseg)
			carry_in(l, u, &p[j], b->fit[j] * b->seg[j], b->seg[j]);
	}
	return used;
}

/* Cut the message at p[0] into fit datagrams of seg bytes, p[0..fit). */
static void
rx_cut(struct link *l, struct link_pkt *p, uint32_t fit, uint32_t seg)
{
	uint32_t s2, len = p[0].len;

	for (s2 = fit; s2-- > 1;) {
		struct link_pkt *d = &p[s2];
		uint32_t off = s2 * seg;
		uint32_t sl = len - off < seg ? len - off : seg;

		if (sl > d->cap) {	/* the caller's buffers are
					   too small for GRO */
			l->st.rx_trunc++;
			sl = 0;
		}
		memcpy(d->data, p[0].data + off, sl);
		d->len = sl;
		d->peer = p[0].peer;
		d->peerlen = p[0].peerlen;
		memcpy(d->local, p[0].local, sizeof(d->local));
	}
	p[0].len = seg < len ? seg : len;
}

/* Payloads with their peers into p[0..n) (any link). */
static int
recv_payload(struct link *l, struct link_pkt *p, unsigned n)
{
	struct udp_priv *u = l->priv;
	struct udp_rxb b;
	struct link_pkt *pk;
	unsigned i, j, k, q, avail, used;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	gro_check(l, u, p, n);
	/* Older datagrams first; nothing new while some are left. */
	k = carry_out(l, u, p, n);
	if (k == n || u->n > 0)
		return (int)k;
	/* The new ones go to pk[0..avail). */
	pk = p + k;
	avail = n - k;
	rx_prepare(u, pk, avail, &b);
	if ((r = recvmmsg(l->fd, b.m, avail, MSG_DONTWAIT, NULL)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return (int)k;
		l->st.rx_err++;
		return k > 0 ? (int)k : -errno;
	}
	q = rx_compact(l, u, pk, &b, (unsigned)r);
	used = rx_plan(l, u, pk, &b, q, avail);
	/*
	 * Cut backwards: every message kept has at least one datagram
	 * that fits until the batch is full, so start[j] >= j and the
	 * slots between start[j] and start[j + 1] hold no message yet to
	 * be cut.
	 */
	for (j = q; j-- > 0;) {
		if (b.fit[j] == 0)
			continue;
		if (b.start[j] != j)
			swap_pkt(&pk[b.start[j]], &pk[j]);
		rx_cut(l, &pk[b.start[j]], b.fit[j], b.seg[j]);
	}
	for (i = 0; i < used; i++) {
		pk[i].csum_partial = false;
		memset(&pk[i].vnet, 0, sizeof(pk[i].vnet));
		l->st.rx_pkts++;
		l->st.rx_bytes += pk[i].len;
	}
	return (int)(k + used);
}

static bool
same_peer(const struct link_pkt *a, const struct link_pkt *b)
{
	return a->peerlen == b->peerlen &&
	    memcmp(&a->peer, &b->peer, a->peerlen) == 0;
}

/* The fallback: one sendto per packet; returns how many went. */
static unsigned
send_each(struct link *l, struct link_pkt *p, unsigned n)
{
	unsigned i, sent = 0;

	for (i = 0; i < n; i++) {
		if (sendto(l->fd, p[i].data, p[i].len, MSG_DONTWAIT,
		    (struct sockaddr *)&p[i].peer, p[i].peerlen) < 0) {
			l->st.tx_err++;
			continue;
		}
		l->st.tx_pkts++;
		l->st.tx_bytes += p[i].len;
		sent++;
	}
	return sent;
}

/* One send batch: message i holds packets first[i] .. + cnt[i]. */
struct udp_txb {
	struct mmsghdr	m[LINK_BATCH];
	struct iovec	iov[LINK_BATCH];
	union {
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	align;
	} cm[LINK_BATCH];
	unsigned	first[LINK_BATCH], cnt[LINK_BATCH];
};

/* The end of the run of packets from p[i] that can leave as one GSO
 * send: same peer, none longer than the first, one short one at most. */
static unsigned
run_end(const struct link *l, const struct link_pkt *p, unsigned i,
    unsigned n)
{
	unsigned j = i + 1;
	size_t bytes = p[i].len;

	if (!l->cfg.gso)
		return j;
	while (j < n && j - i < GSO_SEGS_MAX &&
	    same_peer(&p[i], &p[j]) && p[j].len <= p[i].len &&
	    bytes + p[j].len <= GSO_BYTES_MAX) {
		bytes += p[j].len;
		if (p[j++].len < p[i].len)
			break;	/* a short one ends a run */
	}
	return j;
}

/* Ask for segments of seg bytes (UDP_SEGMENT) on message mh. */
static void
gso_cmsg(struct msghdr *mh, void *buf, size_t buflen, uint16_t seg)
{
	struct cmsghdr *c;

	mh->msg_control = buf;
	mh->msg_controllen = buflen;
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

/* Group runs into messages (one packet each without GSO); returns how
 * many messages. */
static unsigned
tx_group(const struct link *l, struct link_pkt *p, unsigned n,
    struct udp_txb *b)
{
	unsigned i, j, nm = 0;

	memset(b->m, 0, sizeof(b->m[0]) * n);
	for (i = 0; i < n; i++) {
		b->iov[i].iov_base = p[i].data;
		b->iov[i].iov_len = p[i].len;
	}
	for (i = 0; i < n; i = j, nm++) {
		struct msghdr *mh = &b->m[nm].msg_hdr;

		j = run_end(l, p, i, n);
		b->first[nm] = i;
		b->cnt[nm] = j - i;
		mh->msg_iov = &b->iov[i];
		mh->msg_iovlen = j - i;
		mh->msg_name = &p[i].peer;
		mh->msg_namelen = p[i].peerlen;
		if (j - i > 1)
			gso_cmsg(mh, b->cm[nm].buf, sizeof(b->cm[nm].buf),
			    (uint16_t)p[i].len);
	}
	return nm;
}

/* Message i went: count its packets; returns how many. */
static unsigned
tx_sent(struct link *l, const struct link_pkt *p, const struct udp_txb *b,
    unsigned i)
{
	unsigned j;

	for (j = b->first[i]; j < b->first[i] + b->cnt[i]; j++) {
		l->st.tx_pkts++;
		l->st.tx_bytes += p[j].len;
	}
	if (b->cnt[i] > 1)
		l->st.tx_gso += b->cnt[i];
	return b->cnt[i];
}

/* Message i failed with errno; returns how many of its packets went. */
static unsigned
tx_failed(struct link *l, struct link_pkt *p, const struct udp_txb *b,
    unsigned i)
{
	if (b->cnt[i] > 1 && errno != EAGAIN && errno != ENOBUFS) {
		/*
		 * The route refused a GSO send (EIO: no checksum offload;
		 * EINVAL: segment over the MTU): one datagram each, and no
		 * GSO from now on.
		 */
		unsigned sent = send_each(l, &p[b->first[i]], b->cnt[i]);

		l->cfg.gso = false;
		return sent;
	}
	l->st.tx_err += b->cnt[i];
	return 0;
}

/* Payloads p[0..n) to their peers (any link). */
static int
send_payload(struct link *l, struct link_pkt *p, unsigned n)
{
	struct udp_txb b;
	unsigned i, nm, done = 0, sent = 0;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	nm = tx_group(l, p, n, &b);
	while (done < nm) {
		r = sendmmsg(l->fd, b.m + done, nm - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			sent += tx_failed(l, p, &b, done);
			done++;
			continue;
		}
		/* sendmmsg() sends at most nm - done messages. */
		for (i = 0; i < (unsigned)r && done < nm; i++, done++)
			sent += tx_sent(l, p, &b, done);
	}
	return (int)sent;
}

/* ---- ipframe: whole IP datagrams on the link side ---- */

static int
strip4(const uint8_t *pkt, size_t len, struct sockaddr_storage *to,
    socklen_t *tolen, size_t *l3)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)to;
	uint8_t h[20];
	size_t ihl;
	struct rd r;

	rd_init(&r, pkt, len);
	if (rd_bytes(&r, h, sizeof(h)) != 0)
		return -EBADMSG;
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len ||
	    ((size_t)h[2] << 8 | h[3]) != len)
		return -EBADMSG;
	if ((((unsigned)h[6] << 8 | h[7]) & 0x3fff) != 0)
		return -EBADMSG;	/* MF or an offset: a fragment */
	if (h[9] != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	s4->sin_family = AF_INET;
	memcpy(&s4->sin_addr, h + 16, 4);
	*tolen = sizeof(*s4);
	*l3 = ihl;
	return 0;
}

static int
strip6(const uint8_t *pkt, size_t len, struct sockaddr_storage *to,
    socklen_t *tolen, size_t *l3)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)to;
	uint8_t h[40];
	struct rd r;

	rd_init(&r, pkt, len);
	if (rd_bytes(&r, h, sizeof(h)) != 0 ||
	    ((size_t)h[4] << 8 | h[5]) != len - sizeof(h))
		return -EBADMSG;
	if (h[6] != IPPROTO_UDP)
		return -EPROTONOSUPPORT;	/* or an extension header */
	s6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, h + 24, 16);
	*tolen = sizeof(*s6);
	*l3 = sizeof(h);
	return 0;
}

int
link_udp_strip(const uint8_t *pkt, size_t len, struct sockaddr_storage *to,
    socklen_t *tolen, uint16_t *sport, size_t *off)
{
	uint16_t dport, ulen;
	size_t l3 = 0;
	struct rd r;
	int error;

	memset(to, 0, sizeof(*to));
	if (len == 0)
		return -EBADMSG;
	switch (pkt[0] >> 4) {
	case 4:
		error = strip4(pkt, len, to, tolen, &l3);
		break;
	case 6:
		error = strip6(pkt, len, to, tolen, &l3);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (error != 0)
		return error;
	rd_init(&r, pkt + l3, len - l3);
	if (rd_be16(&r, sport) != 0 || rd_be16(&r, &dport) != 0 ||
	    rd_be16(&r, &ulen) != 0 || rd_skip(&r, 2) != 0 ||
	    ulen != len - l3)
		return -EBADMSG;
	if (to->ss_family == AF_INET)
		((struct sockaddr_in *)to)->sin_port = htons(dport);
	else
		((struct sockaddr_in6 *)to)->sin6_port = htons(dport);
	*off = l3 + 8;
	return 0;
}

/* The peer's address and port (network order) of a sockaddr. */
static const uint8_t *
peer_addr(const struct sockaddr_storage *peer, uint16_t *port)
{
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)peer;

		*port = s6->sin6_port;
		return s6->sin6_addr.s6_addr;
	}
	{
		const struct sockaddr_in *s4 = (const void *)peer;

		*port = s4->sin_port;
		return (const uint8_t *)&s4->sin_addr;
	}
}

int
link_udp_synth(uint8_t *buf, size_t plen, uint16_t family,
    const struct sockaddr_storage *peer, const uint8_t *local,
    uint16_t lport)
{
	size_t ulen = 8 + plen, alen = family == AF_INET6 ? 16 : 4;
	uint8_t *ip = buf, *udp = buf + LINK_UDP_HDR(family) - 8;
	const uint8_t *src;
	uint16_t sport;
	uint32_t sum;

	if ((family != AF_INET && family != AF_INET6) ||
	    peer->ss_family != family)
		return -EAFNOSUPPORT;
	if ((family == AF_INET ? LINK_UDP_HDR4 + plen : ulen) > 65535)
		return -EMSGSIZE;
	src = peer_addr(peer, &sport);
	memcpy(udp, &sport, 2);		/* network order already */
	wr_put_be16(udp + 2, lport);
	wr_put_be16(udp + 4, (uint16_t)ulen);
	wr_put_be16(udp + 6, 0);	/* IPv4: none (RFC 768) */
	if (family == AF_INET) {
		static const uint8_t v4[10] = { 0x45, 0, 0, 0, 0, 0,
		    0x40, 0, 64, IPPROTO_UDP };	/* DF, TTL 64 */

		memcpy(ip, v4, sizeof(v4));
		wr_put_be16(ip + 2, (uint16_t)(LINK_UDP_HDR4 + plen));
		wr_put_be16(ip + 10, 0);
		memcpy(ip + 12, src, alen);
		memcpy(ip + 16, local, alen);
		wr_put_be16(ip + 10, (uint16_t)~pkt_csum_fold(
		    pkt_csum_add(0, ip, 20)));
		return 0;
	}
	{
		static const uint8_t v6[8] = { 0x60, 0, 0, 0, 0, 0,
		    IPPROTO_UDP, 64 };
		uint8_t ph[8] = { 0, 0, (uint8_t)(ulen >> 8), (uint8_t)ulen,
		    0, 0, 0, IPPROTO_UDP };	/* RFC 8200 §8.1 */
		uint16_t c;

		memcpy(ip, v6, sizeof(v6));
		wr_put_be16(ip + 4, (uint16_t)ulen);
		memcpy(ip + 8, src, alen);
		memcpy(ip + 24, local, alen);
		sum = pkt_csum_add(pkt_csum_add(0, ip + 8, 32), ph,
		    sizeof(ph));
		c = (uint16_t)~pkt_csum_fold(pkt_csum_add(sum, udp, ulen));
		wr_put_be16(udp + 6, c == 0 ? 0xffff : c);
	}
	return 0;
}

/* RFC 3948 §2.2, §2.3: IKE and NAT keepalives (not netd's): counted. */
static bool
not_esp(struct link *l, const struct link_pkt *q)
{
	if (q->len == 1 && q->data[0] == 0xff) {
		l->st.rx_keepalive++;
		return true;
	}
	if (q->len >= 4 && (q->data[0] | q->data[1] | q->data[2] |
	    q->data[3]) == 0) {
		l->st.rx_ike++;
		return true;
	}
	return false;
}

/*
 * Receive into p[0..n) as payloads hdr bytes into each buffer (a shadow
 * batch), then give the buffers back, the datagrams kept first, with
 * their headers written in front.
 */
static int
recv_ip(struct link *l, struct link_pkt *p, unsigned n)
{
	struct link_pkt sh[LINK_BATCH];
	uint16_t fam = l->cfg.family == AF_INET6 ? AF_INET6 : AF_INET;
	uint32_t hdr = LINK_UDP_HDR(fam);
	unsigned i, k = 0, rest;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	for (i = 0; i < n; i++) {
		if (p[i].cap < hdr)
			return -EINVAL;
		sh[i] = p[i];
		sh[i].data = p[i].data + hdr;
		sh[i].cap = p[i].cap - hdr;
	}
	r = recv_payload(l, sh, n);
	/* The buffers come back as a set: whatever recv_payload did. */
	for (i = 0; i < n; i++) {
		sh[i].data -= hdr;
		sh[i].cap += hdr;
	}
	rest = r > 0 ? (unsigned)r : 0;
	for (i = 0; i < rest; i++) {
		struct link_pkt q = sh[i];

		q.data += hdr;
		if (not_esp(l, &q))
			continue;
		if (link_udp_synth(sh[i].data, q.len, fam, &sh[i].peer,
		    sh[i].local, l->cfg.port) != 0) {
			l->st.rx_err++;
			continue;
		}
		p[k] = sh[i];
		p[k++].len = q.len + hdr;
		sh[i].data = NULL;	/* placed */
	}
	rest = k;
	for (i = 0; i < n; i++)
		if (sh[i].data != NULL)
			p[rest++] = sh[i];
	return r < 0 ? r : (int)k;
}

/* Strip each datagram to its payload and destination, then send them
 * as payloads; returns how many went. */
static int
send_ip(struct link *l, struct link_pkt *p, unsigned n)
{
	struct link_pkt sh[LINK_BATCH];
	unsigned i, m = 0;
	uint16_t sport;
	size_t off;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	for (i = 0; i < n; i++) {
		struct link_pkt *q = &sh[m];

		*q = p[i];
		if (link_udp_strip(p[i].data, p[i].len, &q->peer,
		    &q->peerlen, &sport, &off) != 0 ||
		    q->peer.ss_family != (l->cfg.family == AF_INET6 ?
		    AF_INET6 : AF_INET)) {
			l->st.tx_bad++;
			continue;
		}
		q->data = p[i].data + off;
		q->len = p[i].len - (uint32_t)off;
		m++;
	}
	return m > 0 ? send_payload(l, sh, m) : 0;
}

static int
udp_recv(struct link *l, struct link_pkt *p, unsigned n)
{
	return l->cfg.ipframe ? recv_ip(l, p, n) : recv_payload(l, p, n);
}

static int
udp_send(struct link *l, struct link_pkt *p, unsigned n)
{
	return l->cfg.ipframe ? send_ip(l, p, n) : send_payload(l, p, n);
}

static void
udp_close(struct link *l)
{
	struct udp_priv *u = l->priv;
	unsigned i;

	if (u == NULL)
		return;
	for (i = 0; i < LINK_BATCH; i++)
		free(u->q[i].buf);
	free(u);
	l->priv = NULL;
}

const struct link_ops link_udp_ops = {
	.name = "udp",
	.open = udp_open,
	.recv_batch = udp_recv,
	.send_batch = udp_send,
	.close = udp_close,
};
