/*
 * link_tap.c - TAP and TUN links on /dev/net/tun (see link.h).
 *
 * TAP (IFF_TAP|IFF_NO_PI) carries Ethernet frames: the host side of bump
 * in the stack. TUN (IFF_TUN|IFF_NO_PI) carries IP packets: the inside of
 * an overlay. With cfg->vnet we ask for IFF_VNET_HDR (a struct
 * virtio_net_hdr before each packet) and TSO/checksum offload
 * (TUNSETOFFLOAD), so the host hands us TCP superpackets with partial
 * checksums; a kernel that refuses gets a plain device (fallback,
 * logged by the caller through l->vnet). The device may exist already
 * (ip tuntap add ...): we attach to it. The descriptor comes from
 * link_fd_open() (link_fd.c), or is handed over (cfg->has_fd: the
 * supervisor opened it); either way its flags (TUNGETIFF) say whether it
 * has vnet headers. A tun descriptor has no batched
 * read, so a batch is reads until EAGAIN.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"

#define VNET_BYTES	sizeof(struct virtio_net_hdr)

/*
 * The descriptor: the one handed over (c->has_fd) or our own
 * (link_fd_open); its flags (TUNGETIFF) say what it is attached to and
 * whether it has vnet headers. The link owns it from here (l->fd).
 */
static int
tun_attach(struct link *l, const struct link_cfg *c, short type,
    struct ifreq *ifr)
{
	int error;

	if (c->has_fd)
		l->fd = c->fd;
	else if ((error = link_fd_open(c, &l->fd)) != 0)
		return error;
	memset(ifr, 0, sizeof(*ifr));
	if (ioctl(l->fd, TUNGETIFF, ifr) != 0)
		return -errno;
	if ((ifr->ifr_flags & (IFF_TAP | IFF_TUN)) != type)
		return -EINVAL;	/* a TUN handed for a TAP, or the reverse */
	return 0;
}

static int
tun_open(struct link *l, const struct link_cfg *c, short type)
{
	struct ifreq ifr;
	int sz = (int)VNET_BYTES, error;
	bool vnet;

	if ((error = tun_attach(l, c, type, &ifr)) != 0)
		return error;
	vnet = (ifr.ifr_flags & IFF_VNET_HDR) != 0;
	if (vnet && ioctl(l->fd, TUNSETVNETHDRSZ, &sz) != 0)
		vnet = false;	/* the kernel default (10) then */
	if (vnet) {
		unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

		if (ioctl(l->fd, TUNSETOFFLOAD, off) != 0 &&
		    ioctl(l->fd, TUNSETOFFLOAD, TUN_F_CSUM) != 0)
			(void)ioctl(l->fd, TUNSETOFFLOAD, 0);
	} else {
		/*
		 * Offloads are the device's, not the descriptor's: a
		 * persistent device keeps what an earlier vnet user set,
		 * and would hand us partial checksums we cannot see.
		 */
		(void)ioctl(l->fd, TUNSETOFFLOAD, 0);
	}
	l->vnet = vnet;
	l->l2 = type == IFF_TAP;
	l->ifindex = (int)if_nametoindex(ifr.ifr_name);
	snprintf(l->cfg.ifname, sizeof(l->cfg.ifname), "%s", ifr.ifr_name);
	if (l->l2 && ioctl(l->fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int
tap_open(struct link *l, const struct link_cfg *c)
{
	return tun_open(l, c, IFF_TAP);
}

static int
tunl3_open(struct link *l, const struct link_cfg *c)
{
	return tun_open(l, c, IFF_TUN);
}

static void
vnet_in(struct link_vnet *v, const struct virtio_net_hdr *h)
{
	v->flags = h->flags;
	v->gso_type = h->gso_type;
	v->hdr_len = h->hdr_len;
	v->gso_size = h->gso_size;
	v->csum_start = h->csum_start;
	v->csum_offset = h->csum_offset;
}

static void
vnet_out(struct virtio_net_hdr *h, const struct link_vnet *v)
{
	memset(h, 0, sizeof(*h));
	h->flags = v->flags;
	h->gso_type = v->gso_type;
	h->hdr_len = v->hdr_len;
	h->gso_size = v->gso_size;
	h->csum_start = v->csum_start;
	h->csum_offset = v->csum_offset;
}

static int
tap_recv(struct link *l, struct link_pkt *p, unsigned n)
{
	struct virtio_net_hdr h;
	struct iovec iov[2];
	unsigned i = 0;
	ssize_t r;

	while (i < n) {
		int k = 0;

		if (l->vnet) {
			iov[k].iov_base = &h;
			iov[k++].iov_len = VNET_BYTES;
		}
		iov[k].iov_base = p[i].data;
		iov[k++].iov_len = p[i].cap;
		if ((r = readv(l->fd, iov, k)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			l->st.rx_err++;
			return i > 0 ? (int)i : -errno;
		}
		if (l->vnet) {
			if ((size_t)r < VNET_BYTES) {
				l->st.rx_err++;
				continue;
			}
			r -= (ssize_t)VNET_BYTES;
			vnet_in(&p[i].vnet, &h);
		} else {
			memset(&p[i].vnet, 0, sizeof(p[i].vnet));
		}
		p[i].len = (uint32_t)r;
		p[i].csum_partial = false;
		p[i].peerlen = 0;
		l->st.rx_pkts++;
		l->st.rx_bytes += (uint64_t)r;
		i++;
	}
	return (int)i;
}

static int
tap_send(struct link *l, struct link_pkt *p, unsigned n)
{
	struct virtio_net_hdr h;
	struct iovec iov[2];
	unsigned i, sent = 0;

	for (i = 0; i < n; i++) {
		int k = 0;

		if (l->vnet) {
			vnet_out(&h, &p[i].vnet);
			iov[k].iov_base = &h;
			iov[k++].iov_len = VNET_BYTES;
		}
		iov[k].iov_base = p[i].data;
		iov[k++].iov_len = p[i].len;
		if (writev(l->fd, iov, k) < 0) {
			l->st.tx_err++;
			continue;
		}
		sent++;
		l->st.tx_pkts++;
		l->st.tx_bytes += p[i].len;
	}
	return (int)sent;
}

static void
tap_close(struct link *l)
{
	(void)l;	/* link_close() closes the descriptor */
}

const struct link_ops link_tap_ops = {
	.name = "tap",
	.open = tap_open,
	.recv_batch = tap_recv,
	.send_batch = tap_send,
	.close = tap_close,
};

const struct link_ops link_tun_ops = {
	.name = "tun",
	.open = tunl3_open,
	.recv_batch = tap_recv,
	.send_batch = tap_send,
	.close = tap_close,
};
