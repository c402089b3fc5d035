/*
 * test_bridge.c - bump in the stack over in-memory links
 * (servers/netd/bridge.c, link_mem.c): ARP and other non-IP frames pass
 * untouched both ways; IP passes or drops as decide() says; malformed
 * frames are dropped and counted per reason; protect / unprotect / hold
 * never pass in clear; partial checksums are completed towards a link
 * without vnet headers and superpackets dropped; batches larger than
 * one call; the memq bound.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/virtio_net.h>

#include "bridge.h"
#include "pktgen.h"

/*
 *  host_peer <-mem-> host  [bridge]  wire <-mem-> wire_peer
 */
static struct link host, host_peer, wire, wire_peer;
static struct spd *db;
static struct decide_ctx dc;
static struct bridge br;

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(link_mem_pair(&host_peer, &host, 256), 0);
	assert_int_equal(link_mem_pair(&wire, &wire_peer, 256), 0);
	assert_int_equal(spd_create(&db, 3), 0);
	memset(&dc, 0, sizeof(dc));
	dc.spd = db;
	decide_params_default(&dc.params);
	dc.policyd_known = true;
	assert_int_equal(bridge_init(&br, &host, &wire, &dc), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	bridge_fini(&br);
	spd_destroy(db);
	link_close(&host);
	link_close(&host_peer);
	link_close(&wire);
	link_close(&wire_peer);
	return 0;
}

static uint8_t fr[2048];

static size_t
eth(uint16_t type)
{
	memset(fr, 0, 14);
	memset(fr, 0xff, 6);
	fr[6] = 2;
	pg_put16(fr + 12, type);
	return 14;
}

static size_t
frame_udp(const char *src, const char *dst, uint16_t dport)
{
	uint8_t l4[64];
	size_t n = eth(strchr(src, ':') ? 0x86dd : 0x0800);
	size_t k = pg_udp(l4, 1000, dport, "payload!", 8);

	return n + (strchr(src, ':') ? pg_v6(fr + n, src, dst, IPPROTO_UDP,
	    l4, k) : pg_v4(fr + n, src, dst, IPPROTO_UDP, l4, k, 0, 1));
}

static void
put(struct link *l, size_t n, const struct link_vnet *v)
{
	struct link_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = fr;
	p.len = (uint32_t)n;
	p.cap = sizeof(fr);
	if (v != NULL)
		p.vnet = *v;
	assert_int_equal(link_send(l, &p, 1), 1);
}

/* Receive what arrived on l; returns how many (copied into got). */
static int
take(struct link *l, uint8_t *got, size_t cap, uint32_t *len)
{
	struct link_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = got;
	p.cap = (uint32_t)cap;
	if (link_recv(l, &p, 1) != 1)
		return 0;
	*len = p.len;
	return 1;
}

static void
test_pass_and_drop(void **state)
{
	uint8_t got[2048];
	uint32_t len = 0;
	size_t n;
	struct spd_entry e;
	uint32_t id;

	(void)state;
	/* ARP from the wire: to the host, untouched. */
	n = eth(0x0806);
	memset(fr + n, 0x5a, 28);
	put(&wire_peer, n + 28, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(take(&host_peer, got, sizeof(got), &len), 1);
	assert_int_equal(len, n + 28);
	assert_memory_equal(got, fr, len);
	assert_int_equal(br.st.nonip, 1);

	/* UDP from the host: bypass (def_policy 1), untouched. */
	n = frame_udp("10.0.0.1", "10.0.0.2", 53);
	put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 1);
	assert_memory_equal(got, fr, n);
	assert_int_equal(dc.stats.verdict[DECIDE_V_BYPASS], 1);

	/* A discard policy for port 53 out: dropped. */
	memset(&e, 0, sizeof(e));
	e.sel.family = AF_INET;
	e.sel.proto = IPPROTO_UDP;
	e.sel.dport = 53;
	e.dir = SPD_DIR_OUT;
	e.action = SPD_ACTION_DISCARD;
	e.priority = 1;
	assert_int_equal(spd_add(db, &e, 0, &id), 0);
	put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 0);
	assert_int_equal(br.st.discarded, 1);
	/* Port 54 still passes. */
	n = frame_udp("10.0.0.1", "10.0.0.2", 54);
	put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 1);
	assert_int_equal(spd_delete_id(db, id), 0);

	/* Bad checksum from the wire: dropped, counted by reason. */
	n = frame_udp("10.0.0.2", "10.0.0.1", 53);
	fr[14 + 10] ^= 0x10;
	put(&wire_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(take(&host_peer, got, sizeof(got), &len), 0);
	assert_int_equal(br.st.pkt_reject[PKT_R_V4_CSUM], 1);
	/* Ethertype IPv4 carrying IPv6: refused. */
	n = frame_udp("2001:db8::2", "2001:db8::1", 53);
	pg_put16(fr + 12, 0x0800);
	put(&wire_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(br.st.pkt_reject[PKT_R_VERSION], 1);
	/* A runt frame. */
	put(&wire_peer, 10, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(br.st.pkt_reject[PKT_R_ETH_SHORT], 1);
	assert_int_equal(br.st.rejected, 3);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 0);
}

static void
test_fail_closed(void **state)
{
	uint8_t l4[64], got[2048];
	struct spd_entry e;
	uint32_t len = 0;
	size_t n, k;

	(void)state;
	/* ESP for us: needs ipsecd, which is not there: dropped. */
	n = eth(0x0800);
	k = pg_esp(l4, 0x100, 1, 16);
	n += pg_v4(fr + n, "10.0.0.2", "10.0.0.1", IPPROTO_ESP, l4, k, 0, 1);
	put(&wire_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(take(&host_peer, got, sizeof(got), &len), 0);
	assert_int_equal(br.st.held, 1);
	/* With ipsecd up it would go to ipsecd: no path yet, dropped. */
	dc.ipsecd_up = true;
	put(&wire_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_WIRE), 1);
	assert_int_equal(br.st.no_path, 1);
	/* An ipsec policy out: never in clear. */
	memset(&e, 0, sizeof(e));
	e.sel.family = AF_INET;
	e.sel.proto = SPD_PROTO_ANY;
	e.dir = SPD_DIR_OUT;
	e.action = SPD_ACTION_IPSEC;
	e.priority = 1;
	e.nreqs = 1;
	e.req[0].proto = IPPROTO_ESP;
	e.req[0].mode = 1;
	e.req[0].level = 2;
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
	n = frame_udp("10.0.0.1", "10.0.0.2", 53);
	put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 0);
	assert_int_equal(br.st.no_path, 2);
	dc.ipsecd_up = false;
	put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(br.st.held, 2);
	assert_int_equal(spd_flush(db, 0), 1);
	/* Policyd unknown: everything held but ARP and ND. */
	dc.policyd_known = false;
	put(&host_peer, n, NULL);
	n = eth(0x0806);
	put(&host_peer, n + 28, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 2);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 1);
	assert_int_equal(len, n + 28);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 0);
	dc.policyd_known = true;
}

static void
test_offloads(void **state)
{
	struct link_vnet v = { 0 };
	struct pkt_info pi;
	uint8_t got[2048];
	uint32_t len = 0, sum;
	size_t n;

	(void)state;
	/* host: vnet; wire: none. A partial UDP checksum is completed. */
	host.vnet = true;
	n = frame_udp("10.0.0.1", "10.0.0.2", 53);
	/* The partial sum: pseudo-header only, as the kernel leaves it. */
	sum = pkt_csum_add(0, fr + 14 + 12, 8);
	sum += IPPROTO_UDP + 16u;
	pg_put16(fr + 14 + 20 + 6, pkt_csum_fold(sum));
	v.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	v.csum_start = 14 + 20;
	v.csum_offset = 6;
	put(&host_peer, n, &v);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 1);
	assert_int_equal(pkt_parse(got + 14, len - 14, &pi), PKT_OK);
	sum = pkt_csum_add(0, got + 14 + 12, 8);
	sum += IPPROTO_UDP + 16u;
	assert_int_equal(pkt_csum_fold(pkt_csum_add(sum, got + 34, 16)),
	    0xffff);
	assert_int_equal(br.st.csum_fixed, 1);
	/* A superpacket towards a link without vnet headers: dropped. */
	v.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	v.gso_size = 1448;
	put(&host_peer, n, &v);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	assert_int_equal(take(&wire_peer, got, sizeof(got), &len), 0);
	assert_int_equal(br.st.gso_dropped, 1);
	/* Both vnet: passed through untouched. */
	wire.vnet = true;
	put(&host_peer, n, &v);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 1);
	{
		struct link_pkt p;

		memset(&p, 0, sizeof(p));
		p.data = got;
		p.cap = sizeof(got);
		assert_int_equal(link_recv(&wire_peer, &p, 1), 1);
		assert_int_equal(p.vnet.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
		assert_int_equal(p.vnet.gso_size, 1448);
	}
	host.vnet = wire.vnet = false;
}

static void
test_batches(void **state)
{
	uint8_t got[2048];
	uint32_t len = 0;
	size_t n;
	int i, k = 0;

	(void)state;
	n = frame_udp("10.0.0.1", "10.0.0.2", 99);
	for (i = 0; i < 150; i++)
		put(&host_peer, n, NULL);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), LINK_BATCH);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), LINK_BATCH);
	assert_int_equal(bridge_pump(&br, DECIDE_FROM_HOST), 150 - 128);
	while (take(&wire_peer, got, sizeof(got), &len))
		k++;
	assert_int_equal(k, 150);
	/* The queue bound: 256; the rest is dropped and counted. */
	for (i = 0; i < 300; i++) {
		struct link_pkt p;

		memset(&p, 0, sizeof(p));
		p.data = fr;
		p.len = (uint32_t)n;
		(void)link_send(&host_peer, &p, 1);
	}
	assert_int_equal(host_peer.st.tx_err, 44);
	while (bridge_pump(&br, DECIDE_FROM_HOST) > 0)
		;
	/* Framing must match. */
	{
		struct bridge b2;
		bool l2 = wire.l2;

		wire.l2 = false;
		assert_int_equal(bridge_init(&b2, &host, &wire, &dc), -EINVAL);
		wire.l2 = l2;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_and_drop),
		cmocka_unit_test(test_fail_closed),
		cmocka_unit_test(test_offloads),
		cmocka_unit_test(test_batches),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
