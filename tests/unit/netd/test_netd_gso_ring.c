/*
 * test_netd_gso_ring.c - vnet offloads through ipsecd (netd_ring.c with
 * gso.c), on test_netd_ring.c's rig (fake_ipsecd.h: in-memory links, a
 * ring region, a fake ipsecd running ipsecd's own ESP code):
 *
 *  - a TCP superpacket from the host (gso_type TCPV4, gso_size, partial
 *    checksum) is cut into one slot per segment: as many ESP packets on
 *    the wire, each decrypting to the segment gso_segment() makes, with
 *    a right TCP checksum; a gso type other than TCP is dropped and
 *    counted (ipsec.gso_dropped);
 *  - decrypted segments of one flow in one drain batch reach a vnet host
 *    side as one superpacket (gso_type TCPV4, gso_size, NEEDS_CSUM) with
 *    the segments' payloads in order; a host side without vnet headers
 *    gets them one by one.
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

#include "esp.h"
#include "fake_ipsecd.h"
#include "gso.h"
#include "gso_testlib.h"

#define SPI	0x1234

static struct netd_rig rig;

static int
setup(void **state)
{
	static const char *const pol[] = {
		"out,10.9.0.1/32,10.9.0.2/32,tcp,ipsec",
		"in,10.9.0.1/32,10.9.0.2/32,tcp,ipsec",
		NULL
	};

	(void)state;
	assert_int_equal(netd_rig_init(&rig, 64, 256, pol, SPI), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	netd_rig_fini(&rig);
	return 0;
}

/* An ESP frame from the wire peer carrying ip[0, n). */
static size_t
esp_frame(uint8_t *f, const uint8_t *ip, size_t n)
{
	static uint8_t buf[4096];
	struct xform_pkt p;

	memcpy(buf + 128, ip, n);
	p.buf = buf;
	p.cap = sizeof(buf);
	p.off = 128;
	p.len = n;
	assert_int_equal(esp_encap(&rig.b.sa, &p, 1000 + rig.b.seq,
	    1000 + rig.b.seq), 0);
	rig.b.seq++;
	memset(f, 0, 12);
	f[0] = 2;
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 14, buf + p.off, p.len);
	return 14 + p.len;
}

static void
test_gso_protect(void **state)
{
	static uint8_t super[8192], seg[2048], w[4096], buf[4096];
	struct link_pkt p;
	struct link_vnet v;
	struct xform_pkt x;
	struct esp_in in;
	enum xform_reject why;
	struct gso g;
	size_t len, n, k;
	unsigned i;

	(void)state;
	len = 14 + t_tcp_pkt(super + 14, 4, 1, 4000, T_ACK | T_PSH, 12, 5, 0);
	memset(super, 0, 14);
	super[12] = 0x08;
	memset(&v, 0, sizeof(v));
	v.gso_type = GSO_T_TCPV4;
	v.gso_size = 1000;
	v.flags = GSO_F_NEEDS_CSUM;
	v.csum_start = 14 + 20;
	v.csum_offset = 16;
	super[14 + 20 + 16] ^= 0x33;	/* partial: not the full sum */
	memset(&p, 0, sizeof(p));
	p.data = super;
	p.len = (uint32_t)len;
	p.cap = sizeof(super);
	p.vnet = v;
	assert_false(bridge_frame(&rig.br, &p, DECIDE_FROM_HOST));
	netd_ring_flush(&rig.nr);
	assert_int_equal(rig.nr.st.gso_segs, 4);
	assert_int_equal(fake_ipsecd_run(&rig.b), 4);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), 4);
	assert_int_equal(rig.nr.st.wire_out, 4);
	assert_int_equal(gso_prepare(&g, super + 14, len - 14, &v), 0);
	for (i = 0; i < 4; i++) {
		struct link_pkt q;

		memset(&q, 0, sizeof(q));
		q.data = w;
		q.cap = sizeof(w);
		assert_int_equal(link_recv(&rig.wire_peer, &q, 1), 1);
		assert_int_equal(w[14 + 9], IPPROTO_ESP);
		memcpy(buf + 128, w + 14, q.len - 14);
		x.buf = buf;
		x.cap = sizeof(buf);
		x.off = 128;
		x.len = q.len - 14;
		assert_int_equal(esp_parse(&x, &in, &why), 0);
		assert_true(esp_decap(&rig.b.sa, &x, &in, 0, &why) >= 0);
		assert_int_equal(gso_segment(&g, super + 14, i, seg,
		    sizeof(seg), &n), 0);
		assert_int_equal(x.len, n);
		assert_memory_equal(buf + x.off, seg, n);
		assert_true(t_tcp_csum_ok(buf + x.off, x.len));
	}
	/* A gso type we do not cut (UDP): dropped, counted. */
	p.vnet.gso_type = 3;
	k = rig.nr.st.gso_dropped;
	assert_false(bridge_frame(&rig.br, &p, DECIDE_FROM_HOST));
	assert_int_equal(rig.nr.st.gso_dropped, k + 1);
	assert_int_equal(rig.nr.nwork, 0);
}

/* n segments of 1000 in through ESP; returns the frames the host got. */
static unsigned
gro_round(unsigned n, uint8_t (*got)[8192], struct link_vnet *gv)
{
	static uint8_t ip[2048], f[4096];
	struct link_pkt q;
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		size_t l = t_tcp_pkt(ip, 4, 1 + i * 1000u, 1000, T_ACK, 12,
		    (uint16_t)(9 + i), 0);

		l = esp_frame(f, ip, l);
		memset(&q, 0, sizeof(q));
		q.data = f;
		q.len = q.cap = (uint32_t)l;
		assert_int_equal(link_send(&rig.wire_peer, &q, 1), 1);
	}
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), (int)n);
	netd_ring_flush(&rig.nr);
	assert_int_equal(fake_ipsecd_run(&rig.b), (int)n);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), (int)n);
	for (;;) {
		memset(&q, 0, sizeof(q));
		q.data = got[k];
		q.cap = sizeof(got[k]);
		if (link_recv(&rig.host_peer, &q, 1) != 1)
			break;
		gv[k++] = q.vnet;
	}
	return k;
}

static void
test_gro_unprotect(void **state)
{
	static uint8_t got[8][8192], ip[2048];
	struct link_vnet gv[8];
	size_t l;
	unsigned i;

	(void)state;
	/* Without vnet headers on the host side: one by one. */
	assert_int_equal(gro_round(4, got, gv), 4);
	assert_int_equal(rig.nr.st.gro_merged, 0);
	assert_int_equal(gv[0].gso_type, GSO_T_NONE);
	/* With: one superpacket. */
	rig.host.vnet = true;
	rig.host_peer.vnet = true;
	assert_int_equal(gro_round(4, got, gv), 1);
	assert_int_equal(rig.nr.st.gro_merged, 3);
	assert_int_equal(gv[0].gso_type, GSO_T_TCPV4);
	assert_int_equal(gv[0].gso_size, 1000);
	assert_int_equal(gv[0].flags, GSO_F_NEEDS_CSUM);
	assert_int_equal(gv[0].csum_start, 14 + 20);
	assert_int_equal(gv[0].csum_offset, 16);
	assert_int_equal(t_get16(got[0] + 14 + 2), 20 + 32 + 4000);
	for (i = 0; i < 4; i++) {
		l = t_tcp_pkt(ip, 4, 1 + i * 1000u, 1000, T_ACK, 12,
		    (uint16_t)(9 + i), 0);
		assert_memory_equal(got[0] + 14 + 52 + (size_t)i * 1000,
		    ip + 52, l - 52);
	}
	assert_int_equal(rig.nr.st.delivered, 8);
	assert_int_equal(rig.nr.st.bad_done, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gso_protect, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gro_unprotect, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
