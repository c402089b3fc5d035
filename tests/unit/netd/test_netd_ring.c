/*
 * test_netd_ring.c - netd's packet path through ipsecd
 * (servers/netd/netd_ring.c) over in-memory links and a real ring region
 * in this process, with a fake ipsecd on side B that runs ipsecd's own
 * ESP code (AES-256-GCM, transport) on the slots:
 *
 *   host_peer <-mem-> host [bridge + netd_ring] wire <-mem-> wire_peer
 *                               | work / done ring
 *                          fake side B (esp_encap / esp_decap)
 *
 * What it checks: the metadata built from a policy and the variables
 * (levels, defaults, tunnel endpoints, IPComp skipped, too many
 * requests); the result table; PROTECT end to end (ESP on the wire with
 * the saved Ethernet header, decrypts back to the original); UNPROTECT
 * end to end (the inner datagram delivered, the policy checked against
 * the SA ipsecd names; a mismatch discarded); too_big -> ICMP
 * "fragmentation needed" to the sender; every other result dropped and
 * counted; a descriptor back as the wrong op, or recovered; the hold
 * queue (held while ipsecd is away, released, expired); reassembly of
 * ESP fragments before UNPROTECT; an empty pool.
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
#include "ipsec_policy.h"
#include "netd_conf.h"
#include "pktgen.h"
#include "xform.h"

#define SPI	0x1234

static struct netd_rig rig;

/* Side B's turn: every work descriptor answered; how many. */
static int
fake_b(void)
{
	int n = fake_ipsecd_run(&rig.b);

	assert_true(n >= 0);
	return n;
}

static int
setup(void **state)
{
	static const char *const pol[] = {
		"out,10.0.0.1/32,10.0.0.2/32,udp,ipsec",
		"in,10.0.0.2/32,10.0.0.1/32,udp,ipsec",
		"out,2001:db8::1/128,2001:db8::2/128,udp,ipsec",
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

/* ---- frames ---- */

static const uint8_t mac_host[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0, 2 };

static size_t
eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	pg_put16(f + 12, type);
	return 14;
}

/* Host -> peer: eth + IPv4 UDP 10.0.0.1 -> 10.0.0.2 with n bytes. */
static size_t
frame_out(uint8_t *f, size_t n)
{
	uint8_t l4[2048], data[1960];
	size_t k;

	memset(data, 0x5a, n);
	k = pg_udp(l4, 1000, 2000, data, n);
	return eth(f, mac_peer, mac_host, 0x0800) + pg_v4(f + 14, "10.0.0.1",
	    "10.0.0.2", IPPROTO_UDP, l4, k, 0x4000, 7);
}

/* Peer -> host: the same datagram reversed, ESP-protected by the SA. */
static size_t
frame_in_esp(uint8_t *f, uint8_t *clear, size_t *clear_len)
{
	uint8_t l4[64], buf[2048];
	struct xform_pkt p;
	size_t k;

	k = pg_udp(l4, 2000, 1000, "inbound!", 8);
	*clear_len = pg_v4(clear, "10.0.0.2", "10.0.0.1", IPPROTO_UDP, l4, k,
	    0, 9);
	memcpy(buf + 128, clear, *clear_len);
	p.buf = buf;
	p.cap = sizeof(buf);
	p.off = 128;
	p.len = *clear_len;
	assert_int_equal(esp_encap(&rig.b.sa, &p, 1000 + rig.b.seq,
	    1000 + rig.b.seq), 0);
	rig.b.seq++;
	eth(f, mac_host, mac_peer, 0x0800);
	memcpy(f + 14, buf + p.off, p.len);
	return 14 + p.len;
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

/* One frame from l, into f; its length (0: none). */
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

/* bridge -> ring -> fake B -> ring -> links. */
static void
round_trip(enum decide_from from, int expect_work)
{
	assert_int_equal(bridge_pump(&rig.br, from), 1);
	netd_ring_flush(&rig.nr);
	assert_int_equal(fake_b(), expect_work);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), expect_work);
}

/* ---- tests ---- */

static void
test_action_table(void **state)
{
	unsigned r;

	(void)state;
	assert_int_equal(netd_ring_action(PKT_OP_PROTECT, PKT_R_OK),
	    NETD_ACT_WIRE);
	assert_int_equal(netd_ring_action(PKT_OP_PROTECT, PKT_R_TOO_BIG),
	    NETD_ACT_TOO_BIG);
	assert_int_equal(netd_ring_action(PKT_OP_UNPROTECT, PKT_R_OK),
	    NETD_ACT_INNER);
	assert_int_equal(netd_ring_action(PKT_OP_UNPROTECT, PKT_R_TOO_BIG),
	    NETD_ACT_DROP);
	for (r = 1; r < PKT_R_COUNT; r++)
		if (r != PKT_R_TOO_BIG)
			assert_int_equal(netd_ring_action(PKT_OP_PROTECT,
			    (enum pkt_result)r), NETD_ACT_DROP);
	for (r = 1; r < PKT_R_COUNT + 3; r++)
		assert_int_equal(netd_ring_action(PKT_OP_UNPROTECT,
		    (enum pkt_result)r), NETD_ACT_DROP);
	assert_int_equal(netd_ring_action(0, PKT_R_OK), NETD_ACT_DROP);
	assert_int_equal(netd_ring_action(7, PKT_R_OK), NETD_ACT_DROP);
}

static void
test_meta_protect(void **state)
{
	struct decide_params params;
	struct netd_ring_vars v;
	struct spd_policy p;
	struct pkt_meta m;

	(void)state;
	decide_params_default(&params);
	netd_ring_vars_default(&v);
	assert_int_equal(v.ah_cleartos, 1);
	assert_int_equal(v.dfbit, 0);
	v.dfbit = 2;
	v.ecn = 1;
	v.ah_offsetmask = 0x1fff;
	memset(&p, 0, sizeof(p));
	p.id = 42;
	p.e.nreqs = 3;
	/* IPComp first (skipped), ESP transport default, AH tunnel. */
	p.e.req[0].proto = IPPROTO_COMP;
	p.e.req[1].proto = IPPROTO_ESP;
	p.e.req[1].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	p.e.req[1].level = PARAPET_IPSEC_LEVEL_DEFAULT;
	p.e.req[2].proto = IPPROTO_AH;
	p.e.req[2].mode = PARAPET_IPSEC_MODE_TUNNEL;
	p.e.req[2].level = PARAPET_IPSEC_LEVEL_UNIQUE;
	p.e.req[2].reqid = 5;
	p.e.req[2].family = AF_INET;
	pg_addr("192.0.2.1", p.e.req[2].tsrc);
	pg_addr("192.0.2.2", p.e.req[2].tdst);
	assert_int_equal(netd_ring_meta_protect(&p, 0, AF_INET, &params, &v,
	    1400, &m), 0);
	assert_int_equal(m.op, PKT_OP_PROTECT);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.dfbit, 2);
	assert_int_equal(m.ecn, 1);
	assert_int_equal(m.ah_cleartos, 1);
	assert_int_equal(m.ah_offsetmask, 0x1fff);
	assert_int_equal(m.mtu, 1400);
	assert_int_equal(m.e[0].proto, PKT_PROTO_ESP);
	assert_int_equal(m.e[0].level, PKT_LEVEL_USE);	/* KAME default */
	assert_int_equal(m.e[0].policy_id, 42);
	assert_int_equal(m.e[0].dst.family, 0);
	assert_int_equal(m.e[1].proto, PKT_PROTO_AH);
	assert_int_equal(m.e[1].mode, PKT_MODE_TUNNEL);
	assert_int_equal(m.e[1].level, PKT_LEVEL_UNIQUE);
	assert_int_equal(m.e[1].reqid, 5);
	assert_int_equal(m.e[1].src.family, 4);
	assert_memory_equal(m.e[1].dst.a, ((uint8_t[]){ 192, 0, 2, 2 }), 4);
	/* Default level meaning require (esp_trans_deflev = 2). */
	params.deflev[0][DECIDE_LEV_ESP_TRANS] = PARAPET_IPSEC_LEVEL_REQUIRE;
	assert_int_equal(netd_ring_meta_protect(&p, 0, AF_INET, &params, &v,
	    0, &m), 0);
	assert_int_equal(m.e[0].level, PKT_LEVEL_REQUIRE);
	/* From request 2 on: only the AH tunnel. */
	assert_int_equal(netd_ring_meta_protect(&p, 2, AF_INET, &params, &v,
	    0, &m), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.e[0].proto, PKT_PROTO_AH);
	/* Three ESP/AH requests: more than the block carries. */
	p.e.nreqs = 4;
	p.e.req[3] = p.e.req[1];
	assert_int_equal(netd_ring_meta_protect(&p, 0, AF_INET, &params, &v,
	    0, &m), -E2BIG);
	/* Only IPComp: nothing to ask ipsecd for. */
	p.e.nreqs = 1;
	assert_int_equal(netd_ring_meta_protect(&p, 0, AF_INET, &params, &v,
	    0, &m), -ENOENT);
	/* A tunnel without endpoints: pkt_meta_check refuses it. */
	p.e.nreqs = 3;
	p.e.req[2].family = 0;
	assert_int_equal(netd_ring_meta_protect(&p, 0, AF_INET, &params, &v,
	    0, &m), -EINVAL);
}

static void
test_protect(void **state)
{
	uint8_t f[2048], w[2048], buf[2048];
	struct xform_pkt p;
	struct esp_in in;
	enum xform_reject why;
	size_t n = frame_out(f, 100), k;

	(void)state;
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	assert_int_equal(rig.nr.st.sent, 1);
	assert_int_equal(rig.nr.st.result[PKT_R_OK], 1);
	assert_int_equal(rig.nr.st.wire_out, 1);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > n);
	assert_memory_equal(w, f, 12);		/* the host's MACs */
	assert_int_equal(w[12] << 8 | w[13], 0x0800);
	assert_int_equal(w[14 + 9], IPPROTO_ESP);
	/* It decrypts to what the host sent. */
	memcpy(buf + 128, w + 14, k - 14);
	p.buf = buf;
	p.cap = sizeof(buf);
	p.off = 128;
	p.len = k - 14;
	assert_int_equal(esp_parse(&p, &in, &why), 0);
	assert_int_equal(in.spi, SPI);
	assert_true(esp_decap(&rig.b.sa, &p, &in, 0, &why) >= 0);
	assert_int_equal(p.len, n - 14);
	assert_memory_equal(buf + p.off, f + 14, n - 14);
	assert_int_equal(recv_on(&rig.host_peer, w, sizeof(w)), 0);
	/* Every slot is back. */
	assert_int_equal(rig.nr.st.bad_done, 0);
}

static void
test_unprotect(void **state)
{
	uint8_t f[2048], clear[2048], h[2048];
	size_t n, cl, k;

	(void)state;
	n = frame_in_esp(f, clear, &cl);
	send_on(&rig.wire_peer, f, n);
	round_trip(DECIDE_FROM_WIRE, 1);
	assert_int_equal(rig.nr.st.delivered, 1);
	k = recv_on(&rig.host_peer, h, sizeof(h));
	assert_int_equal(k, 14 + cl);
	assert_memory_equal(h, f, 12);
	assert_int_equal(h[12] << 8 | h[13], 0x0800);
	assert_memory_equal(h + 14, clear, cl);
	/* ipsecd names a tunnel SA: the transport policy is not met. */
	rig.b.report = PKT_MODE_TUNNEL;
	n = frame_in_esp(f, clear, &cl);
	send_on(&rig.wire_peer, f, n);
	round_trip(DECIDE_FROM_WIRE, 1);
	assert_int_equal(rig.nr.st.inner_discard, 1);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), 0);
	/* A clear datagram under the require policy never gets in. */
	eth(f, mac_host, mac_peer, 0x0800);
	memcpy(f + 14, clear, cl);
	send_on(&rig.wire_peer, f, 14 + cl);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), 0);
	assert_int_equal(rig.dc.stats.why[DECIDE_W_IN_REQUIRE], 1);
}

static void
test_too_big(void **state)
{
	uint8_t f[2048], h[2048];
	size_t n = frame_out(f, 1400), k;

	(void)state;
	rig.nr.mtu = 1420;
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	assert_int_equal(rig.nr.st.result[PKT_R_TOO_BIG], 1);
	assert_int_equal(rig.nr.st.icmp_sent, 1);
	assert_int_equal(recv_on(&rig.wire_peer, h, sizeof(h)), 0);
	k = recv_on(&rig.host_peer, h, sizeof(h));
	assert_true(k > 14 + 28);
	assert_memory_equal(h, mac_host, 6);	/* back to the sender */
	assert_memory_equal(h + 6, mac_peer, 6);
	assert_int_equal(h[14 + 9], IPPROTO_ICMP);
	assert_memory_equal(h + 14 + 12, ((uint8_t[]){ 10, 0, 0, 2 }), 4);
	assert_memory_equal(h + 14 + 16, ((uint8_t[]){ 10, 0, 0, 1 }), 4);
	assert_int_equal(h[34], 3);		/* unreachable */
	assert_int_equal(h[35], 4);		/* fragmentation needed */
	/* next-hop MTU: 1420 minus what ESP added */
	assert_true((h[40] << 8 | h[41]) < 1420);
	assert_true((h[40] << 8 | h[41]) > 1350);
}

/* IPv6: ESP on the wire behind ethertype 0x86dd; too big: ICMPv6
 * "packet too big" (type 2) with the MTU, back to the sender. */
static void
test_v6(void **state)
{
	uint8_t f[2048], w[2048], l4[2048], data[1400];
	size_t n, k;

	(void)state;
	memset(data, 0x6b, sizeof(data));
	k = pg_udp(l4, 1000, 2000, data, 100);
	n = eth(f, mac_peer, mac_host, 0x86dd) + pg_v6(f + 14, "2001:db8::1",
	    "2001:db8::2", IPPROTO_UDP, l4, k);
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > n);
	assert_int_equal(w[12] << 8 | w[13], 0x86dd);
	assert_int_equal(w[14 + 6], IPPROTO_ESP);
	/* 1400 bytes of UDP in 1280 + 100 of MTU: too big. */
	rig.nr.mtu = 1380;
	k = pg_udp(l4, 1000, 2000, data, 1300);
	n = eth(f, mac_peer, mac_host, 0x86dd) + pg_v6(f + 14, "2001:db8::1",
	    "2001:db8::2", IPPROTO_UDP, l4, k);
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	assert_int_equal(recv_on(&rig.wire_peer, w, sizeof(w)), 0);
	k = recv_on(&rig.host_peer, w, sizeof(w));
	assert_true(k > 14 + 48);
	assert_true(k <= 14 + 1280);
	assert_memory_equal(w, mac_host, 6);
	assert_int_equal(w[12] << 8 | w[13], 0x86dd);
	assert_int_equal(w[14 + 6], IPPROTO_ICMPV6);
	assert_int_equal(w[14 + 40], 2);	/* packet too big */
	/* MTU: 1380 minus what ESP added (at least 1280, RFC 8201). */
	assert_true((uint32_t)(w[58] << 24 | w[59] << 16 | w[60] << 8 |
	    w[61]) >= 1280);
	assert_true((uint32_t)(w[58] << 24 | w[59] << 16 | w[60] << 8 |
	    w[61]) < 1380);
	assert_int_equal(rig.nr.st.icmp_sent, 1);
}

static void
test_other_results(void **state)
{
	static const enum pkt_result rs[] = { PKT_R_NO_SA, PKT_R_REPLAY,
		PKT_R_SEQ_EXHAUSTED, PKT_R_NO_ROOM, PKT_R_BAD_META,
		PKT_R_INTERNAL, PKT_R_SA_UNUSABLE };
	uint8_t f[2048], h[2048];
	size_t n = frame_out(f, 64);
	unsigned i;

	(void)state;
	for (i = 0; i < nitems(rs); i++) {
		rig.b.force = (int)rs[i];
		send_on(&rig.host_peer, f, n);
		round_trip(DECIDE_FROM_HOST, 1);
		assert_int_equal(rig.nr.st.result[rs[i]], 1);
	}
	assert_int_equal(recv_on(&rig.wire_peer, h, sizeof(h)), 0);
	assert_int_equal(recv_on(&rig.host_peer, h, sizeof(h)), 0);
	/* Back as the wrong op, or returned by recovery: dropped. */
	rig.b.force = -1;
	rig.b.op_delta = 1;
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	assert_int_equal(rig.nr.st.bad_done, 1);
	rig.b.op_delta = 0;
	rig.b.flags = RING_F_RECOVERED;
	send_on(&rig.host_peer, f, n);
	round_trip(DECIDE_FROM_HOST, 1);
	assert_int_equal(recv_on(&rig.wire_peer, h, sizeof(h)), 0);
	/* No slot lost on the way. */
	{
		struct ring_slot_counts c;

		ring_slot_counts(rig.ra, &c);
		assert_int_equal(c.held + c.peer, 0);
	}
}

static void
test_hold(void **state)
{
	uint8_t f[2048], w[2048];
	size_t n = frame_out(f, 64);

	(void)state;
	rig.dc.ipsecd_up = false;
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	netd_ring_flush(&rig.nr);
	assert_int_equal(rig.nr.st.held, 1);
	assert_int_equal(rig.nr.st.sent, 0);
	assert_int_equal(recv_on(&rig.wire_peer, w, sizeof(w)), 0);
	assert_true(netd_ring_next(&rig.nr) == 1000 + NETD_HOLD_MS);
	/* Back: released, protected, sent. */
	rig.dc.ipsecd_up = true;
	netd_ring_release(&rig.nr);
	assert_int_equal(rig.nr.st.released, 1);
	assert_int_equal(fake_b(), 1);
	assert_int_equal(netd_ring_drain(&rig.nr, 64), 1);
	assert_true(recv_on(&rig.wire_peer, w, sizeof(w)) > n);
	/* Away too long: expired, never sent. */
	rig.dc.ipsecd_up = false;
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	rig.nr.now_ms = 1000 + NETD_HOLD_MS - 1;
	netd_ring_tick(&rig.nr);
	assert_int_equal(rig.nr.st.hold_expired, 0);
	rig.nr.now_ms = 1000 + NETD_HOLD_MS;
	netd_ring_tick(&rig.nr);
	assert_int_equal(rig.nr.st.hold_expired, 1);
	rig.dc.ipsecd_up = true;
	netd_ring_release(&rig.nr);
	assert_int_equal(fake_b(), 0);
	assert_int_equal(recv_on(&rig.wire_peer, w, sizeof(w)), 0);
}

static void
test_hold_full(void **state)
{
	uint8_t f[2048];
	size_t n = frame_out(f, 64);
	unsigned i;

	(void)state;
	rig.dc.ipsecd_up = false;
	for (i = 0; i < NETD_HOLD_CAP + 3; i++) {
		send_on(&rig.host_peer, f, n);
		assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	}
	assert_int_equal(rig.nr.st.held, NETD_HOLD_CAP);
	assert_int_equal(rig.nr.st.hold_full, 3);
}

static void
test_reassemble(void **state)
{
	uint8_t f[2048], clear[2048], fr[2048], h[2048];
	size_t n, cl, ip, k;
	uint8_t *d;

	(void)state;
	n = frame_in_esp(f, clear, &cl);
	ip = n - 14;
	d = f + 14;
	/* Two IPv4 fragments of the ESP datagram: 32 data bytes, then the
	 * rest. */
	eth(fr, mac_host, mac_peer, 0x0800);
	k = pg_v4(fr + 14, "10.0.0.2", "10.0.0.1", IPPROTO_ESP, d + 20, 32,
	    0x2000, 77);
	send_on(&rig.wire_peer, fr, 14 + k);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(rig.nr.st.frag_held, 1);
	k = pg_v4(fr + 14, "10.0.0.2", "10.0.0.1", IPPROTO_ESP, d + 52,
	    ip - 52, 4, 77);
	send_on(&rig.wire_peer, fr, 14 + k);
	round_trip(DECIDE_FROM_WIRE, 1);
	assert_int_equal(rig.nr.st.frag_done, 1);
	assert_int_equal(rig.nr.st.delivered, 1);
	k = recv_on(&rig.host_peer, h, sizeof(h));
	assert_int_equal(k, 14 + cl);
	/* Transport mode keeps the outer header: the fragments' id. */
	assert_memory_equal(h + 14 + 12, clear + 12, cl - 12);
	assert_int_equal(h[14 + 4] << 8 | h[14 + 5], 77);
}

static void
test_no_slot(void **state)
{
	uint8_t f[2048];
	uint32_t s[64];
	size_t n = frame_out(f, 64);
	unsigned k, i;

	(void)state;
	k = ring_slot_alloc_n(rig.ra, s, 64);
	assert_int_equal(k, 64);
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	assert_int_equal(rig.nr.st.no_slot, 1);
	for (i = 0; i < k; i++)
		assert_int_equal(ring_slot_free(rig.ra, s[i]), 0);
	/* Too long for a slot (2048 - 128 - 64). */
	n = frame_out(f, 1900);
	send_on(&rig.host_peer, f, n);
	assert_int_equal(bridge_pump(&rig.br, DECIDE_FROM_HOST), 1);
	assert_int_equal(rig.nr.st.too_long, 1);
}

/* ---- gateway mode: tunnels for the hosts behind us ---- */

static bool
gw_local(void *arg, uint16_t family, const uint8_t *addr)
{
	(void)arg;
	return family == AF_INET && memcmp(addr, "\xc0\x00\x02\x01", 4) == 0;
}

/* "DIR,SRC,DST,any,ipsec" as an ESP tunnel between tsrc and tdst. */
static void
add_tunnel(const char *spec, const char *tsrc, const char *tdst)
{
	struct spd_entry e;
	uint32_t id;

	assert_int_equal(netd_conf_policy(spec, &e), 0);
	e.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
	e.req[0].family = AF_INET;
	pg_addr(tsrc, e.req[0].tsrc);
	pg_addr(tdst, e.req[0].tdst);
	assert_int_equal(spd_add(rig.db, &e, 0, &id), 0);
}

static void
test_gateway(void **state)
{
	uint8_t f[2048], w[2048], l4[64], in[2048], buf[2048];
	struct xform_pkt p;
	struct xform_sa x;
	size_t n, k, il;

	(void)state;
	rig.dc.params.gateway = true;
	rig.dc.local = gw_local;
	add_tunnel("out,10.1.0.0/24,10.2.0.0/24,any,ipsec", "192.0.2.1",
	    "192.0.2.2");
	add_tunnel("fwd,10.2.0.0/24,10.1.0.0/24,any,ipsec", "192.0.2.2",
	    "192.0.2.1");
	/* Out: a host behind us to one behind the peer, routed into the
	 * TAP by the gateway's kernel: an ESP tunnel on the wire. */
	k = pg_udp(l4, 1000, 2000, "forward!", 8);
	n = eth(f, mac_peer, mac_host, 0x0800) + pg_v4(f + 14, "10.1.0.5",
	    "10.2.0.7", IPPROTO_UDP, l4, k, 0, 5);
	send_on(&rig.host_peer, f, n);
	rig.b.mode = PKT_MODE_TUNNEL;
	round_trip(DECIDE_FROM_HOST, 1);
	k = recv_on(&rig.wire_peer, w, sizeof(w));
	assert_true(k > n + 20);
	assert_int_equal(w[14 + 9], IPPROTO_ESP);
	assert_memory_equal(w + 14 + 12, ((uint8_t[]){ 192, 0, 2, 1 }), 4);
	assert_memory_equal(w + 14 + 16, ((uint8_t[]){ 192, 0, 2, 2 }), 4);
	/* In: the peer's tunnel to our address; the inner packet is for a
	 * host behind us: FWD policy, then to the TAP (the kernel routes). */
	il = pg_v4(in, "10.2.0.7", "10.1.0.5", IPPROTO_UDP, l4, 16, 0, 6);
	memcpy(buf + 128, in, il);
	p.buf = buf;
	p.cap = sizeof(buf);
	p.off = 128;
	p.len = il;
	fb_sa(&rig.b, &x, PKT_MODE_TUNNEL, NULL);
	memcpy(x.tun_src.a, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	memcpy(x.tun_dst.a, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	assert_int_equal(esp_encap(&x, &p, 900, 900), 0);
	eth(f, mac_host, mac_peer, 0x0800);
	memcpy(f + 14, buf + p.off, p.len);
	send_on(&rig.wire_peer, f, 14 + p.len);
	round_trip(DECIDE_FROM_WIRE, 1);
	assert_int_equal(rig.nr.st.delivered, 1);
	assert_int_equal(rig.dc.stats.verdict[DECIDE_V_FORWARD], 1);
	k = recv_on(&rig.host_peer, w, sizeof(w));
	assert_int_equal(k, 14 + il);
	assert_memory_equal(w + 14, in, il);
	/* ipsecd says the SA was a transport one: the FWD tunnel policy
	 * is not met, discarded. */
	rig.b.report = PKT_MODE_TRANSPORT;
	send_on(&rig.wire_peer, f, 14 + p.len);
	round_trip(DECIDE_FROM_WIRE, 1);
	assert_int_equal(rig.nr.st.delivered, 1);
	assert_int_equal(rig.nr.st.inner_discard, 1);
	assert_int_equal(recv_on(&rig.host_peer, w, sizeof(w)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_table),
		cmocka_unit_test(test_meta_protect),
		cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unprotect, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_results, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reassemble, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
