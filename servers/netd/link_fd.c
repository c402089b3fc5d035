/*
 * link_fd.c - the privileged part of opening a link (link.h,
 * link_fd_open): one copy, called by the link drivers (netd alone, tests)
 * and by the supervisor, which opens netd's links once and hands them
 * over (servers/supervisor/sup_links.c). Everything after this (binding,
 * socket options, offloads) needs no privilege and is the driver's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"

/* /dev/net/tun attached to c->ifname; IFF_VNET_HDR if c->vnet and the
 * kernel takes it. */
static int
fd_tun(const struct link_cfg *c, short type, int *fdp)
{
	struct ifreq ifr;
	bool vnet = c->vnet;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -errno;
	for (;;) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = (short)(type | IFF_NO_PI |
		    (vnet ? IFF_VNET_HDR : 0));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
		if (ioctl(fd, TUNSETIFF, &ifr) == 0)
			break;
		if (errno != EINVAL || !vnet) {
			int e = -errno;

			close(fd);
			return e;
		}
		vnet = false;	/* fall back: no vnet headers */
	}
	*fdp = fd;
	return 0;
}

static int
fd_tap(const struct link_cfg *c, int *fdp)
{
	return fd_tun(c, IFF_TAP, fdp);
}

static int
fd_tunl3(const struct link_cfg *c, int *fdp)
{
	return fd_tun(c, IFF_TUN, fdp);
}

static int
fd_socket(int domain, int type, int proto, int *fdp)
{
	int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	*fdp = fd;
	return 0;
}

/* Protocol 0 until the driver binds: nothing queued from elsewhere. */
static int
fd_packet(const struct link_cfg *c, int *fdp)
{
	(void)c;
	return fd_socket(AF_PACKET, SOCK_RAW, 0, fdp);
}

static int
fd_udp(const struct link_cfg *c, int *fdp)
{
	return fd_socket(c->family == AF_INET6 ? AF_INET6 : AF_INET,
	    SOCK_DGRAM, 0, fdp);
}

static int
fd_raw(const struct link_cfg *c, int *fdp)
{
	if (c->family == AF_INET6)
		return -EAFNOSUPPORT;
	if (c->proto != IPPROTO_ESP && c->proto != IPPROTO_AH)
		return -EINVAL;
	return fd_socket(AF_INET, SOCK_RAW, c->proto, fdp);
}

typedef int fd_open_fn(const struct link_cfg *, int *);

static fd_open_fn *const fd_open[LINK_KIND_COUNT] = {
	[LINK_TAP] = fd_tap,
	[LINK_TUN] = fd_tunl3,
	[LINK_PACKET] = fd_packet,
	[LINK_UDP] = fd_udp,
	[LINK_RAW] = fd_raw,
	[LINK_MEM] = NULL,
};

int
link_fd_open(const struct link_cfg *c, int *fdp)
{
	*fdp = -1;
	if (c->kind >= LINK_KIND_COUNT || fd_open[c->kind] == NULL)
		return -EINVAL;
	return fd_open[c->kind](c, fdp);
}
