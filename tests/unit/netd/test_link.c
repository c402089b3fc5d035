/*
 * test_link.c - netd's link drivers against the real kernel
 * (servers/netd/link_*.c). Root: the test moves itself into a fresh
 * network namespace (unshare CLONE_NEWNET), so everything it creates
 * (veth, tun, sockets on 127.0.0.1) vanishes with the process.
 *
 *  - udp: a batch to ourselves, as UDP GSO runs (same peer, same size,
 *    a short last one) and without; every datagram arrives separately,
 *    in order, with its length; GRO: coalesced receives cut back into
 *    datagrams, in order, across calls smaller than what arrived; a GSO
 *    run the route refuses falls back to one datagram each;
 *  - raw: an ESP packet with our own IPv4 header to 127.0.0.1 comes back
 *    on the raw socket; IPv6 is refused;
 *  - tun: what the kernel routes into the device is read as IP; an ICMP
 *    echo written into it is answered;
 *  - tap: a frame written arrives on the other end of the device
 *    (AF_PACKET) and back; with and without vnet headers;
 *  - packet: frames between two ends of a veth; our own sends are not
 *    seen; frames for another MAC are dropped and counted.
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
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"
#include "pkt.h"
#include "pktgen.h"
#include "prng.h"

static uint8_t bufs[LINK_BATCH][LINK_BUF_BYTES];	/* GRO: 64 KiB */
static struct link_pkt rx[LINK_BATCH];

static void
rx_init(void)
{
	unsigned i;

	memset(rx, 0, sizeof(rx));
	for (i = 0; i < LINK_BATCH; i++) {
		rx[i].data = bufs[i];
		rx[i].cap = sizeof(bufs[i]);
	}
}

/* Receive until want packets arrived or ~2 s passed. */
static int
recv_all(struct link *l, unsigned want)
{
	unsigned got = 0;
	int i, n;

	rx_init();
	for (i = 0; i < 2000 && got < want; i++) {
		n = link_recv(l, rx + got, LINK_BATCH - got);
		assert_true(n >= 0);
		got += (unsigned)n;
		if (n == 0)
			usleep(1000);
	}
	return (int)got;
}

extern char **environ;

/* Run cmd, its words separated by blanks, without a shell. */
static void
sh(const char *cmd)
{
	char buf[256], *argv[16], *save = NULL, *w;
	size_t n = 0;
	pid_t pid;
	int st;

	if (strlen(cmd) >= sizeof(buf)) {
		fail_msg("%s: too long", cmd);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", cmd);
	w = strtok_r(buf, " ", &save);
	while (w != NULL && n + 1 < nitems(argv)) {
		argv[n++] = w;
		w = strtok_r(NULL, " ", &save);
	}
	argv[n] = NULL;
	if (n == 0 || w != NULL) {
		fail_msg("%s: expected 1..%zu words", cmd, nitems(argv) - 1);
		return;
	}
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		fail_msg("%s: failed", cmd);
}

static int
setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		print_message("test_link: unshare: %s (not root?)\n",
		    strerror(errno));
		return -1;
	}
	sh("ip link set lo up");
	/* No IPv6 chatter (DAD, MLD, RS) on the links we make. */
	sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	    "net.ipv6.conf.default.disable_ipv6=1");
	return 0;
}

/* Loopback, port port. */
static void
loopback(struct sockaddr_in *to, uint16_t port)
{
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(port);
	to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* Open a UDP link on port. */
static void
udp_open(struct link *l, uint16_t port, bool gso)
{
	struct link_cfg c;

	memset(&c, 0, sizeof(c));
	c.kind = LINK_UDP;
	c.family = AF_INET;
	c.port = port;
	c.gso = gso;
	assert_int_equal(link_open(l, &c), 0);
}

/* A batch to ourselves, with GSO runs or without. */
static void
udp_batch(int gso)
{
	static const uint32_t lens[] = { 100, 100, 100, 50, 100, 100, 7, 300 };
	struct link_pkt tx[nitems(lens)];
	struct sockaddr_in to;
	uint8_t data[nitems(lens)][400];
	struct link l;
	size_t i;

	udp_open(&l, 4500, gso != 0);
	loopback(&to, 4500);
	memset(tx, 0, sizeof(tx));
	for (i = 0; i < nitems(lens); i++) {
		memset(data[i], (int)i + 1, lens[i]);
		tx[i].data = data[i];
		tx[i].len = lens[i];
		memcpy(&tx[i].peer, &to, sizeof(to));
		tx[i].peerlen = sizeof(to);
	}
	assert_int_equal(link_send(&l, tx, nitems(lens)), nitems(lens));
	assert_int_equal(recv_all(&l, nitems(lens)), nitems(lens));
	for (i = 0; i < nitems(lens); i++) {
		assert_int_equal(rx[i].len, lens[i]);
		assert_memory_equal(rx[i].data, data[i], lens[i]);
		assert_int_equal(rx[i].peerlen, sizeof(to));
	}
	print_message("udp gso=%d: %llu packets in GSO sends\n", gso,
	    (unsigned long long)l.st.tx_gso);
	if (!gso)
		assert_int_equal(l.st.tx_gso, 0);
	else if (l.cfg.gso)
		assert_int_equal(l.st.tx_gso, 7);	/* 3+1, 2+1 */
	link_close(&l);
}

/*
 * GRO: 40 datagrams of 200 bytes to ourselves as GSO runs; the
 * kernel may hand them over coalesced; read 16 at a time (the
 * rest carried over): all 40, in order, each its own.
 */
static void
udp_gro(void)
{
	static uint8_t d40[40][200];
	struct link_pkt t40[40];
	struct sockaddr_in to;
	struct link l;
	unsigned got = 0;
	size_t i;
	int tries;

	udp_open(&l, 4502, true);
	loopback(&to, 4502);
	memset(t40, 0, sizeof(t40));
	for (i = 0; i < 40; i++) {
		memset(d40[i], (int)i, sizeof(d40[i]));
		t40[i].data = d40[i];
		t40[i].len = sizeof(d40[i]);
		memcpy(&t40[i].peer, &to, sizeof(to));
		t40[i].peerlen = sizeof(to);
	}
	assert_int_equal(link_send(&l, t40, 40), 40);
	for (tries = 0; tries < 2000 && got < 40; tries++) {
		int k2, n2;

		rx_init();
		n2 = link_recv(&l, rx, 16);
		assert_true(n2 >= 0 && n2 <= 16);
		for (k2 = 0; k2 < n2; k2++, got++) {
			assert_int_equal(rx[k2].len, 200);
			assert_int_equal(rx[k2].data[0], got);
			assert_int_equal(rx[k2].data[199], got);
		}
		if (n2 == 0)
			usleep(1000);
	}
	assert_int_equal(got, 40);
	print_message("udp gro: 40 datagrams received, %llu sent "
	    "as GSO, %llu received coalesced\n",
	    (unsigned long long)l.st.tx_gso,
	    (unsigned long long)l.st.rx_gro);
	if (l.cfg.gso)	/* loopback keeps a GSO send whole */
		assert_int_equal(l.st.rx_gro, 40);
	link_close(&l);
}

/* A GSO run the route refuses (segments over the MTU): sent one
 * by one, and no GSO from then on. */
static void
udp_gso_refused(void)
{
	static uint8_t big[3][2000];
	struct link_pkt tx[3];
	struct sockaddr_in to;
	struct link l;
	size_t i;

	sh("ip link set lo mtu 1500");
	udp_open(&l, 4501, true);
	if (l.cfg.gso) {
		loopback(&to, 4501);
		memset(tx, 0, sizeof(tx));
		for (i = 0; i < 3; i++) {
			memset(big[i], 0x30 + (int)i, sizeof(big[i]));
			tx[i].data = big[i];
			tx[i].len = sizeof(big[i]);
			memcpy(&tx[i].peer, &to, sizeof(to));
			tx[i].peerlen = sizeof(to);
		}
		assert_int_equal(link_send(&l, tx, 3), 3);
		assert_false(l.cfg.gso);
		assert_int_equal(recv_all(&l, 3), 3);
		for (i = 0; i < 3; i++)
			assert_int_equal(rx[i].len, 2000);
	}
	link_close(&l);
	sh("ip link set lo mtu 65536");
}

static void
test_udp(void **state)
{
	(void)state;
	udp_batch(0);
	udp_batch(1);
	udp_gro();
	udp_gso_refused();
}

/* 100 datagrams to "to" whose lengths come in runs. */
static void
rand_runs(uint64_t *s, uint8_t d[100][1400], struct link_pkt *tx,
    const struct sockaddr_in *to)
{
	unsigned i = 0;

	memset(tx, 0, 100 * sizeof(*tx));
	while (i < 100) {
		uint32_t len = (uint32_t)(4 + prng_below(s, 1396));
		unsigned run = (unsigned)(1 + prng_below(s, 30));

		for (; run > 0 && i < 100; run--, i++) {
			/* Now and then a shorter one ends a run. */
			uint32_t li = prng_below(s, 8) == 0 ?
			    (uint32_t)(1 + prng_below(s, len)) : len;

			memset(d[i], (int)(i * 7 + 1), li);
			memcpy(d[i], &i, sizeof(i) < li ? sizeof(i) : li);
			tx[i].data = d[i];
			tx[i].len = li;
			memcpy(&tx[i].peer, to, sizeof(*to));
			tx[i].peerlen = sizeof(*to);
		}
	}
}

/* Read the 100 back with random batch sizes: in order, intact. */
static void
recv_runs(struct link *l, uint64_t *s, const struct link_pkt *tx,
    uint64_t seed, int round)
{
	unsigned got = 0;
	int tries;

	for (tries = 0; tries < 2000 && got < 100; tries++) {
		unsigned want = (unsigned)(1 + prng_below(s, LINK_BATCH));
		int k, n;

		rx_init();
		n = link_recv(l, rx, want);
		assert_true(n >= 0 && (unsigned)n <= want);
		for (k = 0; k < n; k++, got++) {
			if (rx[k].len != tx[got].len ||
			    memcmp(rx[k].data, tx[got].data,
			    tx[got].len) != 0)
				fail_msg("seed %llu round %d: "
				    "datagram %u differs (len %u, "
				    "want %u)",
				    (unsigned long long)seed, round,
				    got, rx[k].len, tx[got].len);
		}
		if (n == 0)
			usleep(1000);
	}
	assert_int_equal(got, 100);
}

/*
 * UDP GSO and GRO at random: rounds of 100 datagrams whose lengths come
 * in runs (so sends coalesce, and so do receives), read back with random
 * batch sizes: every datagram, in order, intact. PARAPET_SEED, printed.
 */
static void
test_udp_random(void **state)
{
	static uint8_t d[100][1400];
	struct link_pkt tx[100];
	struct sockaddr_in to;
	uint64_t seed = prng_seed_env(), s = seed != 0 ? seed : 1;
	struct link l;
	int round;

	(void)state;
	print_message("test_udp_random: PARAPET_SEED=%llu\n",
	    (unsigned long long)seed);
	udp_open(&l, 4503, true);
	loopback(&to, 4503);
	for (round = 0; round < 20; round++) {
		unsigned sent = 0;

		rand_runs(&s, d, tx, &to);
		while (sent < 100) {
			unsigned b = 100 - sent < LINK_BATCH ? 100 - sent :
			    LINK_BATCH;

			assert_int_equal(link_send(&l, tx + sent, b), (int)b);
			sent += b;
		}
		recv_runs(&l, &s, tx, seed, round);
	}
	print_message("test_udp_random: %llu sent as GSO, %llu received "
	    "coalesced\n", (unsigned long long)l.st.tx_gso,
	    (unsigned long long)l.st.rx_gro);
	link_close(&l);
}

static void
test_raw(void **state)
{
	struct link_pkt tx;
	struct link l;
	struct link_cfg c;
	struct pkt_info pi;
	uint8_t pkt[200], esp[64];
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = LINK_RAW;
	c.family = AF_INET6;
	c.proto = IPPROTO_ESP;
	assert_int_equal(link_open(&l, &c), -EAFNOSUPPORT);
	c.family = AF_INET;
	c.proto = IPPROTO_UDP;
	assert_int_equal(link_open(&l, &c), -EINVAL);
	c.proto = IPPROTO_ESP;
	assert_int_equal(link_open(&l, &c), 0);
	n = pg_esp(esp, 0xfeed, 1, 24);
	n = pg_v4(pkt, "127.0.0.1", "127.0.0.1", IPPROTO_ESP, esp, n, 0, 5);
	memset(&tx, 0, sizeof(tx));
	tx.data = pkt;
	tx.len = (uint32_t)n;
	assert_int_equal(link_send(&l, &tx, 1), 1);
	assert_int_equal(recv_all(&l, 1), 1);
	assert_int_equal(pkt_parse(rx[0].data, rx[0].len, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_ESP);
	assert_int_equal(pi.spi, 0xfeed);
	/* Not IPv4: refused, counted. */
	pkt[0] = 0x60;
	assert_int_equal(link_send(&l, &tx, 1), 0);
	assert_int_equal(l.st.tx_err, 1);
	link_close(&l);
}

static void
test_tun(void **state)
{
	struct link_pkt tx;
	struct link l;
	struct link_cfg c;
	struct pkt_info pi;
	struct sockaddr_in to;
	uint8_t pkt[200], icmp[64];
	size_t n;
	int s, i, found = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.kind = LINK_TUN;
	snprintf(c.ifname, sizeof(c.ifname), "ptun0");
	assert_int_equal(link_open(&l, &c), 0);
	assert_false(l.l2);
	sh("ip addr add 10.99.0.1/24 dev ptun0");
	sh("ip link set ptun0 up");
	/* The kernel routes a datagram for 10.99.0.2 into the device. */
	assert_true((s = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(9);
	inet_pton(AF_INET, "10.99.0.2", &to.sin_addr);
	assert_int_equal(sendto(s, "tun!", 4, 0, (struct sockaddr *)&to,
	    sizeof(to)), 4);
	close(s);
	for (i = 0; i < 20 && !found; i++) {
		int k, got = recv_all(&l, 1);

		for (k = 0; k < got; k++)
			if (pkt_parse(rx[k].data, rx[k].len, &pi) == PKT_OK &&
			    pi.proto == IPPROTO_UDP && pi.dport == 9)
				found = 1;	/* (IPv6 noise is skipped) */
	}
	assert_true(found);
	/* An echo request written in is answered. */
	n = pg_icmp(icmp, 8, 0, 16);
	pg_put16(icmp + 2, pg_csum(icmp, n, 0));
	n = pg_v4(pkt, "10.99.0.2", "10.99.0.1", IPPROTO_ICMP, icmp, n, 0, 9);
	memset(&tx, 0, sizeof(tx));
	tx.data = pkt;
	tx.len = (uint32_t)n;
	assert_int_equal(link_send(&l, &tx, 1), 1);
	for (i = 0, found = 0; i < 20 && !found; i++) {
		int k, got = recv_all(&l, 1);

		for (k = 0; k < got; k++)
			if (pkt_parse(rx[k].data, rx[k].len, &pi) == PKT_OK &&
			    pi.kind == PKT_K_ICMP && pi.sport == 0)
				found = 1;	/* echo reply */
	}
	assert_true(found);
	link_close(&l);
}

/* Frames of our test ethertype among what recv_all() got. */
static int
ours(int got)
{
	int i, k = 0;

	for (i = 0; i < got; i++)
		if (rx[i].len >= 14 && rx[i].data[12] == 0x88 &&
		    rx[i].data[13] == 0xb5) {
			if (k != i) {
				struct link_pkt t = rx[k];

				rx[k] = rx[i];
				rx[i] = t;
			}
			k++;
		}
	return k;
}

static size_t
frame(uint8_t *f, const uint8_t *dst, const uint8_t *src)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	pg_put16(f + 12, 0x88b5);	/* local experimental ethertype */
	memset(f + 14, 0x42, 46);
	return 60;
}

static void
test_packet(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct link a, b;
	struct link_cfg c;
	struct link_pkt tx;
	uint8_t f[64];
	int vnet;

	(void)state;
	sh("ip link add pva type veth peer name pvb");
	sh("ip link set pva up");
	sh("ip link set pvb up");
	for (vnet = 0; vnet < 2; vnet++) {
		memset(&c, 0, sizeof(c));
		c.kind = LINK_PACKET;
		c.vnet = vnet != 0;
		snprintf(c.ifname, sizeof(c.ifname), "pva");
		assert_int_equal(link_open(&a, &c), 0);
		snprintf(c.ifname, sizeof(c.ifname), "pvb");
		assert_int_equal(link_open(&b, &c), 0);
		assert_int_equal(a.vnet, vnet != 0);
		/* Drain what the kernel sent meanwhile (IPv6 ND...). */
		(void)recv_all(&a, LINK_BATCH);
		(void)recv_all(&b, LINK_BATCH);
		memset(&tx, 0, sizeof(tx));
		tx.data = f;
		tx.len = (uint32_t)frame(f, bcast, a.mac);
		assert_int_equal(link_send(&a, &tx, 1), 1);
		assert_int_equal(ours(recv_all(&b, 1)), 1);
		assert_int_equal(rx[0].len, 60);
		assert_memory_equal(rx[0].data, f, 60);
		/* Our own send is not seen. */
		assert_int_equal(ours(recv_all(&a, 1)), 0);
		/* For another MAC: dropped and counted. */
		tx.len = (uint32_t)frame(f, other, a.mac);
		assert_int_equal(link_send(&a, &tx, 1), 1);
		assert_int_equal(ours(recv_all(&b, 1)), 0);
		assert_true(b.st.rx_other >= 1);
		/* For b's MAC: delivered. */
		tx.len = (uint32_t)frame(f, b.mac, a.mac);
		assert_int_equal(link_send(&a, &tx, 1), 1);
		assert_int_equal(ours(recv_all(&b, 1)), 1);
		link_close(&a);
		link_close(&b);
	}
	sh("ip link del pva");
}

static void
test_tap(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct link t, p;
	struct link_cfg c;
	struct link_pkt tx;
	uint8_t f[64];
	int vnet;

	(void)state;
	for (vnet = 0; vnet < 2; vnet++) {
		memset(&c, 0, sizeof(c));
		c.kind = LINK_TAP;
		c.vnet = vnet != 0;
		snprintf(c.ifname, sizeof(c.ifname), "ptap0");
		assert_int_equal(link_open(&t, &c), 0);
		assert_true(t.l2);
		assert_int_equal(t.vnet, vnet != 0);
		sh("ip link set ptap0 up");
		memset(&c, 0, sizeof(c));
		c.kind = LINK_PACKET;
		snprintf(c.ifname, sizeof(c.ifname), "ptap0");
		assert_int_equal(link_open(&p, &c), 0);
		(void)recv_all(&p, LINK_BATCH);
		(void)recv_all(&t, LINK_BATCH);
		/* Written into the TAP: the kernel receives it on ptap0. */
		memset(&tx, 0, sizeof(tx));
		tx.data = f;
		tx.len = (uint32_t)frame(f, bcast, p.mac);
		f[11] ^= 1;	/* a source MAC other than ptap0's */
		assert_int_equal(link_send(&t, &tx, 1), 1);
		assert_int_equal(ours(recv_all(&p, 1)), 1);
		assert_memory_equal(rx[0].data, f, 60);
		/* Sent on ptap0 by the kernel side: read from the TAP. */
		tx.len = (uint32_t)frame(f, bcast, p.mac);
		assert_int_equal(link_send(&p, &tx, 1), 1);
		assert_int_equal(ours(recv_all(&t, 1)), 1);
		assert_memory_equal(rx[0].data, f, 60);
		link_close(&p);
		link_close(&t);
	}
	assert_string_equal(link_kind_name(LINK_PACKET), "packet");
	{
		enum link_kind k;

		assert_int_equal(link_kind_parse("udp", &k), 0);
		assert_int_equal(k, LINK_UDP);
		assert_int_equal(link_kind_parse("ppp", &k), -EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_random),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_tun),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_tap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
