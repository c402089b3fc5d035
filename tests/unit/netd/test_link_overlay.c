/*
 * test_link_overlay.c - the outside of an overlay against the real
 * kernel (servers/netd/link_udp.c with ipframe, link_raw.c). Root: the
 * test moves itself into a fresh network namespace (unshare
 * CLONE_NEWNET), so its sockets on loopback vanish with it.
 *
 *  - receive: ESP payloads from a plain UDP socket arrive as whole IPv4
 *    datagrams (pkt_parse: ESP in UDP, the peer as source, 127.0.0.1 as
 *    destination, ports); a NAT keepalive and an IKE packet (non-ESP
 *    marker) are counted and dropped;
 *  - send: an IP + UDP datagram leaves as its payload to its
 *    destination address and port; what is not IP + UDP is counted
 *    (tx_bad) and not sent;
 *  - GSO and GRO between two such links: 40 equal datagrams leave as
 *    GSO runs and arrive coalesced, cut back, each with its own header,
 *    in order;
 *  - IPv6: the header written has a UDP checksum that verifies; an IPv4
 *    datagram to send on an IPv6 link is refused;
 *  - raw: a packet of another protocol than the link's is not sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"
#include "pkt.h"
#include "pktgen.h"

static uint8_t bufs[LINK_BATCH][LINK_BUF_BYTES];
static struct link_pkt rx[LINK_BATCH];

/* Receive until want packets arrived or ~2 s passed. */
static unsigned
recv_all(struct link *l, unsigned want)
{
	unsigned i, got = 0;
	int n;

	memset(rx, 0, sizeof(rx));
	for (i = 0; i < LINK_BATCH; i++) {
		rx[i].data = bufs[i];
		rx[i].cap = sizeof(bufs[i]);
	}
	for (i = 0; i < 2000 && got < want; i++) {
		n = link_recv(l, rx + got, LINK_BATCH - got);
		assert_true(n >= 0);
		got += (unsigned)n;
		if (n == 0)
			usleep(1000);
	}
	return got;
}

/* ip link set lo up, without a command processor. */
static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r == 0 ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		print_message("test_link_overlay: unshare: %s (not root?)\n",
		    strerror(errno));
		return -1;
	}
	return lo_up();
}

static void
open_udp(struct link *l, uint16_t family, uint16_t port)
{
	struct link_cfg c;

	memset(&c, 0, sizeof(c));
	c.kind = LINK_UDP;
	c.family = family;
	c.port = port;
	c.gso = true;
	c.ipframe = true;
	assert_int_equal(link_open(l, &c), 0);
}

/* Loopback of family, port port, into ss; returns its length. */
static socklen_t
lo_addr(struct sockaddr_storage *ss, uint16_t family, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s4);
	}
}

/* A plain UDP socket on loopback port port (family's). */
static int
plain(uint16_t family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = lo_addr(&ss, family, port);
	int fd = socket(family, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	return fd;
}

static void
send_to(int fd, uint16_t family, uint16_t port, const void *b, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl = lo_addr(&ss, family, port);

	assert_int_equal(sendto(fd, b, n, 0, (struct sockaddr *)&ss, sl),
	    (ssize_t)n);
}

static void
test_receive(void **state)
{
	static const uint8_t ka[1] = { 0xff }, ike[12] = { 0, 0, 0, 0, 1 };
	uint8_t esp[64], lo[16];
	struct pkt_info pi;
	struct link l;
	size_t n;
	unsigned i;
	int fd;

	(void)state;
	open_udp(&l, AF_INET, 4500);
	fd = plain(AF_INET, 5555);
	n = pg_esp(esp, 0x1234, 1, 32);
	send_to(fd, AF_INET, 4500, esp, n);
	send_to(fd, AF_INET, 4500, ka, sizeof(ka));
	send_to(fd, AF_INET, 4500, ike, sizeof(ike));
	esp[7] = 2;	/* the next sequence number */
	send_to(fd, AF_INET, 4500, esp, n);
	assert_int_equal(recv_all(&l, 2), 2);
	pg_addr("127.0.0.1", lo);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rx[i].len, LINK_UDP_HDR4 + n);
		assert_int_equal(pkt_parse(rx[i].data, rx[i].len, &pi),
		    PKT_OK);
		assert_int_equal(pi.kind, PKT_K_UDP_ESP);
		assert_int_equal(pi.spi, 0x1234);
		assert_int_equal(pi.sport, 5555);
		assert_int_equal(pi.dport, 4500);
		assert_memory_equal(pi.src, lo, 4);
		assert_memory_equal(pi.dst, lo, 4);
		assert_int_equal(rx[i].data[LINK_UDP_HDR4 + 7], i + 1);
	}
	assert_int_equal(l.st.rx_keepalive, 1);
	assert_int_equal(l.st.rx_ike, 1);
	close(fd);
	link_close(&l);
}

static void
test_send(void **state)
{
	uint8_t pkt[256], udp[128], icmp[64], got[256];
	struct link_pkt tx[2];
	struct link l;
	size_t n, m;
	int fd;

	(void)state;
	open_udp(&l, AF_INET, 4500);
	fd = plain(AF_INET, 5555);
	n = pg_udp(udp, 4500, 5555, "esp-bytes-here", 14);
	n = pg_v4(pkt, "127.0.0.1", "127.0.0.1", IPPROTO_UDP, udp, n, 0, 1);
	m = pg_icmp(udp, 8, 0, 16);
	m = pg_v4(icmp, "127.0.0.1", "127.0.0.1", IPPROTO_ICMP, udp, m, 0, 2);
	memset(tx, 0, sizeof(tx));
	tx[0].data = icmp;
	tx[0].len = (uint32_t)m;
	tx[1].data = pkt;
	tx[1].len = (uint32_t)n;
	assert_int_equal(link_send(&l, tx, 2), 1);
	assert_int_equal(l.st.tx_bad, 1);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 14);
	assert_memory_equal(got, "esp-bytes-here", 14);
	close(fd);
	link_close(&l);
}

/* 40 datagrams of 1000 bytes from a to b: GSO out, GRO in. */
static void
test_gso_gro(void **state)
{
	static uint8_t pkt[40][1100];
	struct link_pkt tx[40];
	struct link a, b;
	struct pkt_info pi;
	uint8_t udp[1100], data[1000];
	unsigned i, got = 0, k;

	(void)state;
	open_udp(&a, AF_INET, 4500);
	open_udp(&b, AF_INET, 4501);
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < 40; i++) {
		size_t n;

		/* Not zero: four zero bytes would be IKE's marker. */
		memset(data, (int)i + 1, sizeof(data));
		n = pg_udp(udp, 4500, 4501, data, sizeof(data));
		n = pg_v4(pkt[i], "127.0.0.1", "127.0.0.1", IPPROTO_UDP, udp,
		    n, 0, (uint16_t)i);
		tx[i].data = pkt[i];
		tx[i].len = (uint32_t)n;
	}
	assert_int_equal(link_send(&a, tx, 40), 40);
	assert_true(a.st.tx_gso > 0);
	/* Read back in batches of 16 (the rest is carried over). */
	for (k = 0; k < 2000 && got < 40; k++) {
		unsigned j;
		int n;

		for (j = 0; j < 16; j++) {
			rx[j].data = bufs[j];
			rx[j].cap = sizeof(bufs[j]);
		}
		n = link_recv(&b, rx, 16);
		assert_true(n >= 0);
		for (j = 0; j < (unsigned)n; j++, got++) {
			assert_int_equal(rx[j].len, LINK_UDP_HDR4 + 1000);
			assert_int_equal(pkt_parse(rx[j].data, rx[j].len, &pi),
			    PKT_OK);
			assert_int_equal(pi.kind, PKT_K_UDP);
			assert_int_equal(pi.sport, 4500);
			assert_int_equal(pi.dport, 4501);
			assert_int_equal(rx[j].data[LINK_UDP_HDR4], got + 1);
			assert_int_equal(rx[j].data[rx[j].len - 1], got + 1);
		}
		if (n == 0)
			usleep(1000);
	}
	assert_int_equal(got, 40);
	print_message("  gso %llu, gro %llu of 40\n",
	    (unsigned long long)a.st.tx_gso, (unsigned long long)b.st.rx_gro);
	link_close(&a);
	link_close(&b);
}

static void
test_v6(void **state)
{
	uint8_t esp[64], udp[128], pkt[256], got[256], lo[16];
	struct link_pkt tx;
	struct pkt_info pi;
	struct link l;
	uint32_t sum;
	size_t n;
	int fd;

	(void)state;
	open_udp(&l, AF_INET6, 4500);
	fd = plain(AF_INET6, 5556);
	n = pg_esp(esp, 0x4321, 1, 24);
	send_to(fd, AF_INET6, 4500, esp, n);
	assert_int_equal(recv_all(&l, 1), 1);
	assert_int_equal(rx[0].len, LINK_UDP_HDR6 + n);
	assert_int_equal(pkt_parse(rx[0].data, rx[0].len, &pi), PKT_OK);
	assert_int_equal(pi.family, AF_INET6);
	assert_int_equal(pi.kind, PKT_K_UDP_ESP);
	assert_int_equal(pi.sport, 5556);
	pg_addr("::1", lo);
	assert_memory_equal(pi.dst, lo, 16);
	{
		uint8_t ph[8] = { 0, 0, rx[0].data[44], rx[0].data[45], 0, 0,
		    0, IPPROTO_UDP };

		sum = pkt_csum_add(pkt_csum_add(0, rx[0].data + 8, 32), ph, 8);
		assert_int_equal(pkt_csum_fold(pkt_csum_add(sum,
		    rx[0].data + 40, rx[0].len - 40)), 0xffff);
	}
	/* Back: IPv6 goes; IPv4 on an IPv6 link does not. */
	n = pg_udp(udp, 4500, 5556, "six", 3);
	n = pg_v6(pkt, "::1", "::1", IPPROTO_UDP, udp, n);
	memset(&tx, 0, sizeof(tx));
	tx.data = pkt;
	tx.len = (uint32_t)n;
	assert_int_equal(link_send(&l, &tx, 1), 1);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 3);
	n = pg_udp(udp, 4500, 5556, "four", 4);
	n = pg_v4(pkt, "127.0.0.1", "127.0.0.1", IPPROTO_UDP, udp, n, 0, 1);
	tx.len = (uint32_t)n;
	assert_int_equal(link_send(&l, &tx, 1), 0);
	assert_int_equal(l.st.tx_bad, 1);
	close(fd);
	link_close(&l);
}

static void
test_raw_proto(void **state)
{
	uint8_t udp[64], pkt[128];
	struct link_pkt tx;
	struct link_cfg c;
	struct link l;
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = LINK_RAW;
	c.family = AF_INET;
	c.proto = IPPROTO_ESP;
	assert_int_equal(link_open(&l, &c), 0);
	n = pg_udp(udp, 1, 2, "clear", 5);
	n = pg_v4(pkt, "127.0.0.1", "127.0.0.1", IPPROTO_UDP, udp, n, 0, 1);
	memset(&tx, 0, sizeof(tx));
	tx.data = pkt;
	tx.len = (uint32_t)n;
	assert_int_equal(link_send(&l, &tx, 1), 0);
	assert_int_equal(l.st.tx_bad, 1);
	assert_int_equal(l.st.tx_pkts, 0);
	link_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_gso_gro),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_raw_proto),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
