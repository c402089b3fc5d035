/*
 * test_netd_pmtu_path.c - the path MTU table wired into netd's packet
 * path (netd_ring.c: the MTU of each PROTECT, the sent SPIs; bridge.c:
 * the ICMP hook), over the in-memory rig of test_netd_ring.c (fake
 * ipsecd running ipsecd's ESP code, fake_ipsecd.h):
 *
 *  - a protected packet goes out (its SPI remembered); a router's
 *    "fragmentation needed" about it arrives on the wire: kept by netd
 *    (nothing reaches the host), learned; the same packet again is now
 *    too big: ICMP to the host with an MTU below the router's;
 *  - an error about an SPI netd never sent, and one about TCP, go on to
 *    the host as any packet;
 *  - with the learned MTU expired, the link MTU is used again;
 *  - tunnel mode (gateway): the path MTU is the tunnel remote end's,
 *    not the inner destination's;
 *  - netd.conf's pmtu_expire.
 */
#include "netd_ring.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_ipsecd.h"
#include "ipsec_policy.h"
#include "netd_conf.h"
#include "netd_pmtu.h"
#include "pktgen.h"

#define SPI	0x1234

static struct netd_rig rig;
static struct netd_pmtu *pmtu;

static const uint8_t mac_host[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0, 2 };

/* What netd.c's hook does. */
static bool
hook(void *arg, const uint8_t *ip, const struct pkt_info *pi)
{
	struct netd_ring *nr = arg;

	return netd_pmtu_consumed(netd_pmtu_icmp(nr->pmtu, ip, pi, nr->mtu,
	    nr->now_ms));
}

static int
setup(void **state)
{
	static const char *const pol[] = {
		"out,10.0.0.1/32,10.0.0.2/32,udp,ipsec",
		NULL
	};
	struct netd_pmtu_conf c;

	(void)state;
	assert_int_equal(netd_rig_init(&rig, 64, 256, pol, SPI), 0);
	netd_pmtu_conf_default(&c);
	c.expire_ms = 5000;
	assert_int_equal(netd_pmtu_new(&pmtu, &c, 3), 0);
	rig.nr.pmtu = pmtu;
	rig.br.icmp = hook;
	rig.br.icmp_arg = &rig.nr;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	netd_rig_fini(&rig);
	netd_pmtu_free(pmtu);
	return 0;
}

static size_t
eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	pg_put16(f + 12, type);
	return 14;
}

static void
send_on(struct link *l, uint8_t *f, size_t n)
{
	struct link_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = f;
	p.len = (uint32_t)n;
	p.cap = (uint32_t)n;
	assert_int_equal(link_send(l, &p, 1), 1);
}

static size_t
recv_on(struct link *l, uint8_t *f, size_t cap)
{
	struct link_pkt p;
	int n;

	memset(&p, 0, sizeof(p));
	p.data = f;
	p.cap = (uint32_t)cap;
	n = link_recv(l, &p, 1);
	assert_true(n >= 0);
	return n == 1 ? p.len : 0;
}

/* Host -> 10.0.0.2: UDP with n bytes, through bridge, ring, fake B. */
static void
protect(size_t n)
{
	uint8_t f[2048], l4[2048], data[1960];
	size_t k;

	memset(data, 0x5a, n);
	k = pg_udp(l4, 1000, 2000, data, n);
	k = eth(f, mac_peer, mac_host, 0x0800) + pg_v4(f + 14, "10.0.0.1",
	    "10.0.0.2", IPPROTO_UDP, l4, k, 0x4000, 7);
	send_on(&rig.host_peer, f, k);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	netd_ring_flush(&rig.nr);
	assert_int_equal(fake_ipsecd_run(&rig.b), 1);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), 1);
}

/* A router's error (10.0.5.1) about ip[0..n), as a wire frame in f. */
static size_t
router_error(uint8_t *f, const uint8_t *ip, size_t n, uint16_t mtu)
{
	struct pkt_info pi;
	uint8_t rtr[16];
	size_t on;

	assert_int_equal(pkt_parse(ip, n, &pi), PKT_OK);
	pg_addr("10.0.5.1", rtr);
	assert_int_equal(icmp_build_too_big(ip, &pi, rtr, mtu, f + 14, 2000,
	    &on), 0);
	return eth(f, mac_host, mac_peer, 0x0800) + on;
}

static void
test_learn(void **state)
{
	uint8_t w[2048], f[2048], h[2048];
	size_t k, n;

	(void)state;
	protect(1400);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > 1400);
	assert_int_equal(w[14 + 9], IPPROTO_ESP);
	/* The router: 1300 fits. */
	n = router_error(f, w + 14, k - 14, 1300);
	send_on(&rig.wire_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), 0);
	assert_int_equal(netd_pmtu_stats(pmtu)->why[NETD_PMTU_LEARNED], 1);
	assert_int_equal(netd_pmtu_mtu(pmtu, AF_INET, w + 14 + 16, 1500,
	    rig.nr.now_ms), 1300);
	/* The same datagram no longer fits: ICMP to the host. */
	protect(1400);
	assert_int_equal(rig.nr.st.result[PKT_R_TOO_BIG], 1);
	assert_int_equal(recv_on(&rig.wire_peer, h, sizeof(h)), 0);
	k = recv_on(&rig.host_peer, h, sizeof(h));
	assert_true(k > 14 + 28);
	assert_int_equal(h[34], 3);
	assert_int_equal(h[35], 4);
	assert_true((h[40] << 8 | h[41]) < 1300);
	assert_true((h[40] << 8 | h[41]) > 1230);
	/* A smaller one still goes out. */
	protect(1200);
	assert_true(recv_on(&rig.wire_peer, h, sizeof(h)) > 1200);
	/* Expired: the link's 1500 again. */
	rig.nr.now_ms += 5000;
	protect(1400);
	assert_true(recv_on(&rig.wire_peer, h, sizeof(h)) > 1400);
	assert_int_equal(rig.nr.st.result[PKT_R_TOO_BIG], 1);
}

static void
test_not_ours(void **state)
{
	uint8_t w[2048], f[2048], h[2048], tcp[2048], ip[2048];
	size_t k, n;

	(void)state;
	protect(100);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > 100);
	/* Another SPI: not one netd sent; on to the host. */
	w[14 + 20 + 3] ^= 0x55;
	n = router_error(f, w + 14, k - 14, 1300);
	send_on(&rig.wire_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), n);
	assert_int_equal(netd_pmtu_stats(pmtu)->why[NETD_PMTU_UNKNOWN_SPI],
	    1);
	/* About TCP: the host's. */
	k = pg_tcp(tcp, 1000, 80, 1400);
	k = pg_v4(ip, "10.0.0.1", "10.0.0.9", IPPROTO_TCP, tcp, k, 0x4000,
	    1);
	n = router_error(f, ip, k, 1300);
	send_on(&rig.wire_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), n);
	assert_int_equal(netd_pmtu_stats(pmtu)->why[NETD_PMTU_LEARNED], 0);
	assert_int_equal(netd_pmtu_mtu(pmtu, AF_INET, w + 14 + 16, 1500,
	    rig.nr.now_ms), 1500);
}

static bool
gw_local(void *arg, uint16_t family, const uint8_t *addr)
{
	(void)arg;
	return family == AF_INET && memcmp(addr, "\xc0\x00\x02\x01", 4) == 0;
}

static void
test_tunnel(void **state)
{
	uint8_t f[2048], w[2048], h[2048], l4[2048], data[1400], a[16];
	struct spd_entry e;
	size_t n, k;
	uint32_t id;

	(void)state;
	rig.dc.params.gateway = true;
	rig.dc.local = gw_local;
	assert_int_equal(netd_conf_policy(
	    "out,10.1.0.0/24,10.2.0.0/24,any,ipsec", &e), 0);
	e.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
	e.req[0].family = AF_INET;
	pg_addr("192.0.2.1", e.req[0].tsrc);
	pg_addr("192.0.2.2", e.req[0].tdst);
	assert_int_equal(spd_add(rig.db, &e, 0, &id), 0);
	rig.b.mode = PKT_MODE_TUNNEL;
	memset(data, 0x33, sizeof(data));
	k = pg_udp(l4, 1000, 2000, data, 1360);
	n = eth(f, mac_peer, mac_host, 0x0800) + pg_v4(f + 14, "10.1.0.5",
	    "10.2.0.7", IPPROTO_UDP, l4, k, 0x4000, 5);
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	netd_ring_flush(&rig.nr);
	assert_int_equal(fake_ipsecd_run(&rig.b), 1);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), 1);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > n + 20);
	assert_memory_equal(w + 14 + 16, ((uint8_t[]){ 192, 0, 2, 2 }), 4);
	/* The router's error about the tunnel packet, to 192.0.2.1. */
	k = router_error(h, w + 14, k - 14, 1300);
	send_on(&rig.wire_peer, h, k);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(recv_on(&rig.host_peer, w, sizeof(w)), 0);
	pg_addr("192.0.2.2", a);
	assert_int_equal(netd_pmtu_mtu(pmtu, AF_INET, a, 1500,
	    rig.nr.now_ms), 1300);
	pg_addr("10.2.0.7", a);
	assert_int_equal(netd_pmtu_mtu(pmtu, AF_INET, a, 1500,
	    rig.nr.now_ms), 1500);
	/* The same inner datagram: too big for the tunnel now. */
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	netd_ring_flush(&rig.nr);
	assert_int_equal(fake_ipsecd_run(&rig.b), 1);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), 1);
	assert_int_equal(rig.nr.st.result[PKT_R_TOO_BIG], 1);
	assert_int_equal(recv_on(&rig.wire_peer, w, sizeof(w)), 0);
	k = recv_on(&rig.host_peer, w, sizeof(w));
	assert_true(k > 14 + 28);
	assert_int_equal(w[34], 3);
	assert_true((w[40] << 8 | w[41]) < 1300);
}

static void
test_conf(void **state)
{
#define LINKS	"[link host]\ntype = tap\nrole = host\nifname = tapA\n" \
	"[link wire]\ntype = packet\nrole = wire\nifname = vethA\n"
	static const char good[] = "[netd]\npmtu_expire = 30\n" LINKS;
	static const char bad[] = "[netd]\npmtu_expire = 0\n" LINKS;
	struct netd_conf c;

	(void)state;
	netd_conf_defaults(&c);
	assert_int_equal(c.pmtu_expire, 600);
	assert_int_equal(netd_conf_parse("t", good, strlen(good), &c), 0);
	assert_int_equal(c.pmtu_expire, 30);
	netd_conf_defaults(&c);
	assert_int_equal(netd_conf_parse("t", bad, strlen(bad), &c), -EINVAL);
	assert_non_null(strstr(c.errors[0], "pmtu_expire"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tunnel, setup, teardown),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
