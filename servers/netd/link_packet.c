/*
 * link_packet.c - AF_PACKET on an interface: the wire side of bump in
 * the stack (see link.h).
 *
 * One SOCK_RAW socket bound to the interface for every protocol
 * (ETH_P_ALL). Not promiscuous: the interface delivers frames for its
 * own MAC, broadcast and (all-multicast, so IPv6 ND works) multicast;
 * frames the kernel marks PACKET_OTHERHOST are still dropped here, and
 * our own sends are not looped back (PACKET_IGNORE_OUTGOING, Linux 4.20;
 * older kernels: PACKET_OUTGOING frames are dropped here). Batches are
 * recvmmsg / sendmmsg. With cfg->vnet, PACKET_VNET_HDR gives each frame
 * the same virtio_net_hdr a vnet TAP uses, so GSO superpackets and
 * partial checksums pass between the two untouched; without it,
 * PACKET_AUXDATA tells which frames carry a partial checksum
 * (TP_STATUS_CSUMNOTREADY) and the bridge completes them. The socket
 * comes from link_fd_open() (link_fd.c) or is handed over (cfg->has_fd);
 * binding and options need no privilege and are done here each time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"

#define VNET_BYTES	sizeof(struct virtio_net_hdr)

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING	23
#endif

struct packet_priv {
	bool	ignore_outgoing;	/* the kernel filters our sends */
};

/*
 * Socket options, each set to what this link wants (a handed socket may
 * carry an earlier netd's): vnet headers, else PACKET_AUXDATA (partial
 * checksums), our sends not looped back, big buffers.
 */
static int
packet_opts(struct link *l, const struct link_cfg *c)
{
	static struct packet_priv priv_ok = { true }, priv_no = { false };
	int one = 1, vnet = c->vnet ? 1 : 0, aux, buf = 4 << 20;

	l->vnet = setsockopt(l->fd, SOL_PACKET, PACKET_VNET_HDR, &vnet,
	    sizeof(vnet)) == 0 && vnet == 1;
	aux = l->vnet ? 0 : 1;
	if (setsockopt(l->fd, SOL_PACKET, PACKET_AUXDATA, &aux,
	    sizeof(aux)) != 0 && !l->vnet)
		return -errno;
	l->priv = setsockopt(l->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one)) == 0 ? &priv_ok : &priv_no;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

static int
packet_open(struct link *l, const struct link_cfg *c)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	struct ifreq ifr;
	int error;

	/* Handed over (the supervisor opened it), or our own. */
	if (c->has_fd)
		l->fd = c->fd;
	else if ((error = link_fd_open(c, &l->fd)) != 0)
		return error;
	if ((l->ifindex = (int)if_nametoindex(c->ifname)) == 0)
		return -ENODEV;
	l->l2 = true;
	if ((error = packet_opts(l, c)) != 0)
		return error;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = l->ifindex;
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return -errno;
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = l->ifindex;
	mr.mr_type = PACKET_MR_ALLMULTI;
	/* A handed socket may hold an earlier netd's: one, not one each. */
	(void)setsockopt(l->fd, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr,
	    sizeof(mr));
	if (setsockopt(l->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) != 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	if (ioctl(l->fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* One batch of receive buffers' metadata. */
struct packet_rxb {
	struct virtio_net_hdr	h[LINK_BATCH];
	struct sockaddr_ll	from[LINK_BATCH];
	struct mmsghdr		m[LINK_BATCH];
	struct iovec		iov[LINK_BATCH][2];
	union {
		char		buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		struct cmsghdr	align;
	} cm[LINK_BATCH];
};

static void
rx_prepare(const struct link *l, const struct link_pkt *p, unsigned n,
    struct packet_rxb *b)
{
	unsigned i;

	memset(b->m, 0, sizeof(b->m[0]) * n);
	for (i = 0; i < n; i++) {
		int v = 0;

		if (l->vnet) {
			b->iov[i][v].iov_base = &b->h[i];
			b->iov[i][v++].iov_len = VNET_BYTES;
		}
		b->iov[i][v].iov_base = p[i].data;
		b->iov[i][v++].iov_len = p[i].cap;
		b->m[i].msg_hdr.msg_iov = b->iov[i];
		b->m[i].msg_hdr.msg_iovlen = (size_t)v;
		b->m[i].msg_hdr.msg_name = &b->from[i];
		b->m[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
		if (!l->vnet) {
			b->m[i].msg_hdr.msg_control = b->cm[i].buf;
			b->m[i].msg_hdr.msg_controllen = sizeof(b->cm[i].buf);
		}
	}
}

/*
 * Is received frame i for us and whole? Counts it if not; if so, its
 * length without the vnet header is in *lenp.
 */
static bool
rx_keep(struct link *l, const struct packet_rxb *b, unsigned i, size_t *lenp)
{
	const struct packet_priv *pp = l->priv;
	size_t len = b->m[i].msg_len;

	if (b->from[i].sll_pkttype == PACKET_OTHERHOST ||
	    (b->from[i].sll_pkttype == PACKET_OUTGOING &&
	    !pp->ignore_outgoing)) {
		l->st.rx_other++;
		return false;
	}
	if (b->m[i].msg_hdr.msg_flags & MSG_TRUNC) {
		l->st.rx_trunc++;
		return false;
	}
	if (l->vnet) {
		if (len < VNET_BYTES) {
			l->st.rx_err++;
			return false;
		}
		len -= VNET_BYTES;
	}
	*lenp = len;
	return true;
}

/* PACKET_AUXDATA: does the frame carry a partial checksum? */
static bool
rx_partial(struct msghdr *mh)
{
	struct cmsghdr *c;
	bool partial = false;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET ||
		    c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		partial = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
	}
	return partial;
}

/* The vnet header of a received frame, into the packet. */
static void
rx_vnet(struct link_pkt *p, const struct virtio_net_hdr *h)
{
	p->vnet.flags = h->flags;
	p->vnet.gso_type = h->gso_type;
	p->vnet.hdr_len = h->hdr_len;
	p->vnet.gso_size = h->gso_size;
	p->vnet.csum_start = h->csum_start;
	p->vnet.csum_offset = h->csum_offset;
}

static int
packet_recv(struct link *l, struct link_pkt *p, unsigned n)
{
	struct packet_rxb b;
	unsigned i, k = 0;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	rx_prepare(l, p, n, &b);
	if ((r = recvmmsg(l->fd, b.m, n, MSG_DONTWAIT, NULL)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		l->st.rx_err++;
		return -errno;
	}
	/* Keep what is for us, compacted to the front. */
	for (i = 0; i < (unsigned)r; i++) {
		size_t len;
		bool partial;

		if (!rx_keep(l, &b, i, &len))
			continue;
		partial = !l->vnet && rx_partial(&b.m[i].msg_hdr);
		if (k != i) {
			/* Swap buffers so no data is copied. */
			struct link_pkt t = p[k];

			p[k] = p[i];
			p[i] = t;
		}
		p[k].len = (uint32_t)len;
		p[k].csum_partial = partial;
		p[k].peerlen = 0;
		memset(&p[k].vnet, 0, sizeof(p[k].vnet));
		if (l->vnet)
			rx_vnet(&p[k], &b.h[i]);
		l->st.rx_pkts++;
		l->st.rx_bytes += len;
		k++;
	}
	return (int)k;
}

static int
packet_send(struct link *l, struct link_pkt *p, unsigned n)
{
	struct virtio_net_hdr h[LINK_BATCH];
	struct mmsghdr m[LINK_BATCH];
	struct iovec iov[LINK_BATCH][2];
	unsigned i, done = 0, sent = 0;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	memset(m, 0, sizeof(m[0]) * n);
	for (i = 0; i < n; i++) {
		int v = 0;

		if (l->vnet) {
			memset(&h[i], 0, sizeof(h[i]));
			h[i].flags = p[i].vnet.flags;
			h[i].gso_type = p[i].vnet.gso_type;
			h[i].hdr_len = p[i].vnet.hdr_len;
			h[i].gso_size = p[i].vnet.gso_size;
			h[i].csum_start = p[i].vnet.csum_start;
			h[i].csum_offset = p[i].vnet.csum_offset;
			iov[i][v].iov_base = &h[i];
			iov[i][v++].iov_len = VNET_BYTES;
		}
		iov[i][v].iov_base = p[i].data;
		iov[i][v++].iov_len = p[i].len;
		m[i].msg_hdr.msg_iov = iov[i];
		m[i].msg_hdr.msg_iovlen = (size_t)v;
	}
	while (done < n) {
		r = sendmmsg(l->fd, m + done, n - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* This packet is dropped; go on with the rest. */
			l->st.tx_err++;
			done++;
			continue;
		}
		for (i = done; i < done + (unsigned)r; i++) {
			l->st.tx_pkts++;
			l->st.tx_bytes += p[i].len;
		}
		sent += (unsigned)r;
		done += (unsigned)r;
	}
	return (int)sent;
}

static void
packet_close(struct link *l)
{
	l->priv = NULL;
}

const struct link_ops link_packet_ops = {
	.name = "packet",
	.open = packet_open,
	.recv_batch = packet_recv,
	.send_batch = packet_send,
	.close = packet_close,
};
