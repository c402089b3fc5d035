/*
 * link_raw.c - a raw IPv4 socket for ESP (50) or AH (51): the outside of
 * an overlay without UDP (see link.h). Received packets start with their
 * IPv4 header (raw IPv4 sockets deliver it); sent packets carry their
 * own (IP_HDRINCL) and go to their destination address; a packet of
 * another protocol is not sent (tx_bad). IPv6 raw sockets
 * deliver no header, so an IPv6 raw link is refused (-EAFNOSUPPORT) for
 * now: ESP in UDP, or AF_PACKET, covers IPv6 (DESIGN §10.16).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"

static int
raw_open(struct link *l, const struct link_cfg *c)
{
	int one = 1, buf = 4 << 20, error;

	if (c->family == AF_INET6)
		return -EAFNOSUPPORT;
	if (c->proto != IPPROTO_ESP && c->proto != IPPROTO_AH)
		return -EINVAL;
	/* Handed over (the supervisor opened it), or our own. */
	if (c->has_fd)
		l->fd = c->fd;
	else if ((error = link_fd_open(c, &l->fd)) != 0)
		return error;
	if (setsockopt(l->fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) != 0)
		return -errno;
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return 0;
}

static int
raw_recv(struct link *l, struct link_pkt *p, unsigned n)
{
	struct mmsghdr m[LINK_BATCH];
	struct iovec iov[LINK_BATCH];
	unsigned i, k = 0;
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	memset(m, 0, sizeof(m[0]) * n);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = p[i].data;
		iov[i].iov_len = p[i].cap;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &p[i].peer;
		m[i].msg_hdr.msg_namelen = sizeof(p[i].peer);
	}
	if ((r = recvmmsg(l->fd, m, n, MSG_DONTWAIT, NULL)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		l->st.rx_err++;
		return -errno;
	}
	for (i = 0; i < (unsigned)r; i++) {
		if (m[i].msg_hdr.msg_flags & MSG_TRUNC) {
			l->st.rx_trunc++;
			continue;
		}
		if (k != i) {
			struct link_pkt t = p[k];

			p[k] = p[i];
			p[i] = t;
		}
		p[k].len = m[i].msg_len;
		p[k].peerlen = m[i].msg_hdr.msg_namelen;
		p[k].csum_partial = false;
		memset(&p[k].vnet, 0, sizeof(p[k].vnet));
		l->st.rx_pkts++;
		l->st.rx_bytes += p[k].len;
		k++;
	}
	return (int)k;
}

static int
raw_send(struct link *l, struct link_pkt *p, unsigned n)
{
	struct sockaddr_in to[LINK_BATCH];
	struct mmsghdr m[LINK_BATCH];
	struct iovec iov[LINK_BATCH];
	unsigned i, nm = 0, done = 0, sent = 0;
	unsigned idx[LINK_BATCH];
	int r;

	if (n > LINK_BATCH)
		n = LINK_BATCH;
	memset(m, 0, sizeof(m[0]) * n);
	for (i = 0; i < n; i++) {
		/* Our own packets (ipsecd built them), but check anyway. */
		if (p[i].len < 20 || (p[i].data[0] >> 4) != 4) {
			l->st.tx_err++;
			continue;
		}
		/*
		 * Only the link's protocol: with IP_HDRINCL the kernel sends
		 * any header it is given, and a clear inner packet sent here
		 * would be routed back into the overlay's TUN.
		 */
		if (p[i].data[9] != l->cfg.proto) {
			l->st.tx_bad++;
			continue;
		}
		memset(&to[nm], 0, sizeof(to[nm]));
		to[nm].sin_family = AF_INET;
		memcpy(&to[nm].sin_addr, p[i].data + 16, 4);
		iov[nm].iov_base = p[i].data;
		iov[nm].iov_len = p[i].len;
		m[nm].msg_hdr.msg_iov = &iov[nm];
		m[nm].msg_hdr.msg_iovlen = 1;
		m[nm].msg_hdr.msg_name = &to[nm];
		m[nm].msg_hdr.msg_namelen = sizeof(to[nm]);
		idx[nm++] = i;
	}
	while (done < nm) {
		r = sendmmsg(l->fd, m + done, nm - done, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			l->st.tx_err++;
			done++;
			continue;
		}
		/* sendmmsg() sends at most nm - done messages. */
		for (i = 0; i < (unsigned)r && done < nm; i++, done++) {
			l->st.tx_pkts++;
			l->st.tx_bytes += p[idx[done]].len;
			sent++;
		}
	}
	return (int)sent;
}

static void
raw_close(struct link *l)
{
	(void)l;
}

const struct link_ops link_raw_ops = {
	.name = "raw",
	.open = raw_open,
	.recv_batch = raw_recv,
	.send_batch = raw_send,
	.close = raw_close,
};
