/*
 * test_link_fd.c - links on handed descriptors (link.h: link_fd_open(),
 * cfg.has_fd), as the supervisor hands them to netd (DESIGN §10.2,
 * servers/supervisor/sup_links.h). Root: the test moves itself into a
 * fresh network namespace, so what it creates vanishes with it.
 *
 *  - tap: a link on a copy of a descriptor someone else keeps learns
 *    the device's name and vnet flag (TUNGETIFF), not what it asked for;
 *    after the link is closed the TAP keeps its carrier, and a frame the
 *    kernel sent meanwhile is read by the next link on another copy; a
 *    TAP handed to a tun link is refused and the copy closed; with no
 *    copy left it has no carrier;
 *  - packet: a handed socket reopened without vnet headers has them off;
 *  - udp: a handed socket an earlier link bound is not bound again, and
 *    keeps what arrived meanwhile;
 *  - link_fd_open() refuses mem, raw inet6, raw of another protocol.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"

static uint8_t buf[LINK_BUF_BYTES];

static void
if_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

/* Carrier: IFF_RUNNING (up and operationally up); /sys/class/net shows
 * the namespace sysfs was mounted in, not ours. 1, 0, or -1. */
static int
carrier(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		r = (ifr.ifr_flags & IFF_RUNNING) != 0;
	close(s);
	return r;
}

/*
 * The carrier as it settles: the kernel applies a change after up to a
 * second (linkwatch), so a carrier that stays is watched for 1.5 s and
 * one that goes is waited for as long.
 */
static int
carrier_after(const char *name, int want)
{
	int i, c = carrier(name);

	for (i = 0; i < 1500; i++) {
		c = carrier(name);
		if ((want == 0 && c == 0) || (want == 1 && c != 1))
			break;
		usleep(1000);
	}
	return c;
}

/* One packet from l within ~2 s into buf; its length, or 0. */
static uint32_t
read_one(struct link *l)
{
	struct link_pkt p;
	int i;

	for (i = 0; i < 2000; i++) {
		memset(&p, 0, sizeof(p));
		p.data = buf;
		p.cap = sizeof(buf);
		if (link_recv(l, &p, 1) == 1)
			return p.len;
		usleep(1000);
	}
	return 0;
}

/* cfg for kind on ifname, on a copy of fd (or none: fd < 0). */
static struct link_cfg
cfg_on(enum link_kind kind, const char *ifname, int fd)
{
	struct link_cfg c;

	memset(&c, 0, sizeof(c));
	c.kind = (uint8_t)kind;
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	if (fd >= 0) {
		c.has_fd = true;
		c.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		assert_true(c.fd >= 0);
	}
	return c;
}

static void
sysctl_1(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1", 1) != 1)
		print_message("test_link_fd: %s: not set\n", path);
	if (fd >= 0)
		close(fd);
}

static int
setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		print_message("test_link_fd: unshare: %s (not root?)\n",
		    strerror(errno));
		return -1;
	}
	if_up("lo");
	/* No IPv6 chatter (MLD, RS) from the TAP into its queue. */
	sysctl_1("/proc/sys/net/ipv6/conf/all/disable_ipv6");
	sysctl_1("/proc/sys/net/ipv6/conf/default/disable_ipv6");
	return 0;
}

static void
test_fd_open_refused(void **state)
{
	struct link_cfg c;
	int fd;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = LINK_MEM;
	assert_int_equal(link_fd_open(&c, &fd), -EINVAL);
	assert_int_equal(fd, -1);
	c.kind = LINK_RAW;
	c.family = AF_INET6;
	c.proto = IPPROTO_ESP;
	assert_int_equal(link_fd_open(&c, &fd), -EAFNOSUPPORT);
	c.family = AF_INET;
	c.proto = IPPROTO_UDP;
	assert_int_equal(link_fd_open(&c, &fd), -EINVAL);
	c.kind = LINK_KIND_COUNT;
	assert_int_equal(link_fd_open(&c, &fd), -EINVAL);
}

static void
test_tap_kept(void **state)
{
	static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 'k', 'e', 'p', 't' };
	struct link t, p;
	struct link_cfg c;
	struct link_pkt tx;
	int sup, fd, n;

	(void)state;
	/* The supervisor's: vnet headers asked for, and kept. */
	c = cfg_on(LINK_TAP, "lftap0", -1);
	c.vnet = true;
	assert_int_equal(link_fd_open(&c, &sup), 0);
	if_up("lftap0");
	/* netd's: asks for none, learns what the device has. */
	c = cfg_on(LINK_TAP, "", sup);
	assert_int_equal(link_open(&t, &c), 0);
	assert_true(t.vnet);
	assert_true(t.l2);
	assert_string_equal(t.cfg.ifname, "lftap0");
	assert_true(t.ifindex > 0);
	/* The kernel's side of the TAP, a handed packet socket. */
	c = cfg_on(LINK_PACKET, "lftap0", -1);
	assert_int_equal(link_fd_open(&c, &fd), 0);
	c = cfg_on(LINK_PACKET, "lftap0", fd);
	close(fd);
	assert_int_equal(link_open(&p, &c), 0);
	/* netd dies: the supervisor's copy keeps the TAP attached. */
	link_close(&t);
	assert_int_equal(carrier_after("lftap0", 1), 1);
	memset(&tx, 0, sizeof(tx));
	tx.data = deconst_bytes(frame);
	tx.len = sizeof(frame);
	assert_int_equal(link_send(&p, &tx, 1), 1);
	/* The next netd reads what the kernel queued meanwhile. */
	c = cfg_on(LINK_TAP, "lftap0", sup);
	assert_int_equal(link_open(&t, &c), 0);
	assert_true(t.vnet);
	for (n = 0; n < 8; n++)	/* ours, among anything else queued */
		if (read_one(&t) == sizeof(frame) &&
		    memcmp(buf, frame, sizeof(frame)) == 0)
			break;
	assert_true(n < 8);
	link_close(&t);
	/* A TAP is no TUN: refused, the copy closed. */
	c = cfg_on(LINK_TUN, "lftap0", sup);
	assert_int_equal(link_open(&t, &c), -EINVAL);
	assert_int_equal(fcntl(c.fd, F_GETFD), -1);
	link_close(&p);
	assert_int_equal(carrier("lftap0"), 1);
	assert_true(if_nametoindex("lftap0") > 0);
	/* No copy left (made persistent to look): no carrier. */
	assert_int_equal(ioctl(sup, TUNSETPERSIST, 1), 0);
	close(sup);
	assert_int_equal(carrier_after("lftap0", 0), 0);
	c = cfg_on(LINK_TAP, "lftap0", -1);
	assert_int_equal(link_fd_open(&c, &sup), 0);
	assert_int_equal(ioctl(sup, TUNSETPERSIST, 0), 0);
	close(sup);
	assert_int_equal(if_nametoindex("lftap0"), 0);
}

static void
test_packet_reopen(void **state)
{
	struct link l;
	struct link_cfg c;
	socklen_t len;
	int sup, v = -1;

	(void)state;
	c = cfg_on(LINK_PACKET, "lo", -1);
	assert_int_equal(link_fd_open(&c, &sup), 0);
	c = cfg_on(LINK_PACKET, "lo", sup);
	c.vnet = true;
	assert_int_equal(link_open(&l, &c), 0);
	assert_true(l.vnet);
	link_close(&l);
	c = cfg_on(LINK_PACKET, "lo", sup);
	assert_int_equal(link_open(&l, &c), 0);
	assert_false(l.vnet);
	len = sizeof(v);
	assert_int_equal(getsockopt(sup, SOL_PACKET, PACKET_VNET_HDR, &v,
	    &len), 0);
	assert_int_equal(v, 0);
	link_close(&l);
	close(sup);
}

static void
test_udp_rebind(void **state)
{
	struct sockaddr_in to, got;
	struct link l;
	struct link_cfg c;
	socklen_t len = sizeof(got);
	int sup, s;

	(void)state;
	memset(&got, 0, sizeof(got));
	c = cfg_on(LINK_UDP, "", -1);
	c.family = AF_INET;
	c.port = 45001;
	assert_int_equal(link_fd_open(&c, &sup), 0);
	c = cfg_on(LINK_UDP, "", sup);
	c.family = AF_INET;
	c.port = 45001;
	assert_int_equal(link_open(&l, &c), 0);
	link_close(&l);
	/* Meanwhile, a datagram: kept by the supervisor's copy. */
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(45001);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(sendto(s, "queued", 6, 0, (struct sockaddr *)&to,
	    sizeof(to)), 6);
	close(s);
	/* Bound already: not bound again (that would fail). */
	c = cfg_on(LINK_UDP, "", sup);
	c.family = AF_INET;
	c.port = 45001;
	assert_int_equal(link_open(&l, &c), 0);
	assert_int_equal(getsockname(l.fd, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(ntohs(got.sin_port), 45001);
	assert_int_equal(read_one(&l), 6);
	assert_memory_equal(buf, "queued", 6);
	link_close(&l);
	close(sup);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_open_refused),
		cmocka_unit_test(test_tap_kept),
		cmocka_unit_test(test_packet_reopen),
		cmocka_unit_test(test_udp_rebind),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
