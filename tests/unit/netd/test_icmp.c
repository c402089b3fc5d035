/*
 * test_icmp.c - path MTU signalling (servers/netd/icmp.c).
 *
 *  - "fragmentation needed" / "packet too big": fields, quote sizes
 *    (576 / 1280), both checksums, MTU clamps, where none may be sent;
 *  - round trips: an error built about one of our ESP / AH / ESP-in-UDP
 *    packets parses back to its SPI, MTU and destination;
 *  - refusals of the parser (type, checksum, truncated quote, MTU);
 *  - the token bucket.
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

#include "icmp.h"
#include "pktgen.h"

static uint8_t l4[2048], pkt[2048], out[2048];

static size_t
big_tcp(int v6, size_t data)
{
	size_t n = pg_tcp(l4, 1000, 80, data);

	return v6 ? pg_v6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_TCP, l4,
	    n) : pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, l4, n, 0x4000,
	    1);
}

static void
test_build_v4(void **state)
{
	struct pkt_info pi, po;
	uint8_t me[16];
	size_t n, on;

	(void)state;
	pg_addr("10.0.0.254", me);
	n = big_tcp(0, 1400 - 40);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), 0);
	assert_int_equal(on, 576);
	assert_int_equal(pkt_parse(out, on, &po), PKT_OK);	/* header sum */
	assert_int_equal(po.proto, IPPROTO_ICMP);
	assert_int_equal(po.sport, 3);
	assert_int_equal(po.dport, 4);
	assert_memory_equal(po.src, me, 4);
	assert_memory_equal(po.dst, pi.src, 4);
	assert_int_equal(out[26] << 8 | out[27], 1300);
	assert_int_equal(pkt_csum_fold(pkt_csum_add(0, out + 20, on - 20)),
	    0xffff);
	assert_memory_equal(out + 28, pkt, 576 - 28);

	/* Small: the whole packet quoted; MTU clamped to 68. */
	n = big_tcp(0, 10);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 10, out,
	    sizeof(out), &on), 0);
	assert_int_equal(on, 28 + n);
	assert_int_equal(out[26] << 8 | out[27], 68);
	assert_memory_equal(out + 28, pkt, n);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out, on - 1,
	    &on), -EMSGSIZE);
}

static void
test_build_v6(void **state)
{
	struct pkt_info pi, po;
	uint8_t me[16], ph[40];
	uint32_t sum;
	size_t n, on;

	(void)state;
	pg_addr("2001:db8::fe", me);
	n = big_tcp(1, 1400);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1000, out,
	    sizeof(out), &on), 0);
	assert_int_equal(on, 1280);
	assert_int_equal(pkt_parse(out, on, &po), PKT_OK);
	assert_int_equal(po.proto, IPPROTO_ICMPV6);
	assert_int_equal(po.sport, 2);
	assert_memory_equal(po.dst, pi.src, 16);
	assert_int_equal((uint32_t)out[44] << 24 | (uint32_t)out[45] << 16 |
	    (uint32_t)out[46] << 8 | out[47], 1280);	/* clamped */
	memcpy(ph, out + 8, 32);
	pg_put32(ph + 32, (uint32_t)(on - 40));
	pg_put32(ph + 36, IPPROTO_ICMPV6);
	sum = pkt_csum_add(0, ph, 40);
	assert_int_equal(pkt_csum_fold(pkt_csum_add(sum, out + 40, on - 40)),
	    0xffff);
	assert_memory_equal(out + 48, pkt, 1280 - 48);
}

static void
test_build_refused(void **state)
{
	struct pkt_info pi;
	uint8_t me[16];
	size_t n, on;

	(void)state;
	pg_addr("10.0.0.254", me);
	/* About an ICMP error. */
	n = pg_icmp(l4, 3, 1, 28);
	n = pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	/* An echo request is fine. */
	n = pg_icmp(l4, 8, 0, 28);
	n = pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), 0);
	/* A later fragment. */
	n = pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, l4, 16, 100, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	/* Multicast destination, unspecified source (IPv4). */
	n = pg_udp(l4, 1, 2, "x", 1);
	n = pg_v4(pkt, "10.0.0.1", "224.0.0.5", IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	n = pg_v4(pkt, "0.0.0.0", "10.0.0.2", IPPROTO_UDP, l4, 9, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	/* IPv6: an error about an error; a multicast source; but a
	 * multicast destination is fine (RFC 4443 §2.4(e.3)). */
	pg_addr("2001:db8::fe", me);
	n = pg_icmp(l4, 1, 0, 40);
	n = pg_v6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_ICMPV6, l4, n);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	n = pg_udp(l4, 1, 2, "x", 1);
	n = pg_v6(pkt, "ff02::1", "2001:db8::2", IPPROTO_UDP, l4, n);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), -EPERM);
	n = pg_udp(l4, 1, 2, "x", 1);
	n = pg_v6(pkt, "2001:db8::1", "ff0e::1", IPPROTO_UDP, l4, n);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, 1300, out,
	    sizeof(out), &on), 0);
}

/* A router's error about our packet (built with the same builder). */
static int
round_trip(int v6, int kind, size_t data, uint32_t mtu, struct icmp_pmtu *pm)
{
	struct pkt_info pi, po;
	uint8_t esp[1600], me[16];
	size_t n, on;

	pg_addr(v6 ? "2001:db8::99" : "192.0.2.99", me);
	switch (kind) {
	case 0:
		n = pg_esp(esp, 0xdeadbeef, 5, data);
		n = v6 ? pg_v6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_ESP,
		    esp, n) : pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_ESP,
		    esp, n, 0x4000, 1);
		break;
	case 1:
		memset(esp, 0, 24 + data);
		esp[0] = IPPROTO_TCP;
		esp[1] = 4;
		pg_put32(esp + 4, 0x1234);
		n = v6 ? pg_v6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_AH,
		    esp, 24 + data) : pg_v4(pkt, "10.0.0.1", "10.0.0.2",
		    IPPROTO_AH, esp, 24 + data, 0, 1);
		break;
	default:
		n = pg_esp(l4, 0x4500, 5, data);
		n = pg_udp(esp, 4500, 4500, l4, n);
		n = v6 ? pg_v6(pkt, "2001:db8::1", "2001:db8::2", IPPROTO_UDP,
		    esp, n) : pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_UDP,
		    esp, n, 0, 1);
		break;
	}
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(icmp_build_too_big(pkt, &pi, me, mtu, out,
	    sizeof(out), &on), 0);
	assert_int_equal(pkt_parse(out, on, &po), PKT_OK);
	return icmp_parse_pmtu(out, &po, pm);
}

static void
test_parse(void **state)
{
	struct icmp_pmtu pm;
	struct pkt_info po;
	uint8_t dst[16];
	size_t n;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		pg_addr(v6 ? "2001:db8::2" : "10.0.0.2", dst);
		assert_int_equal(round_trip(v6, 0, 1400, 1400, &pm), 0);
		assert_int_equal(pm.family, v6 ? AF_INET6 : AF_INET);
		assert_int_equal(pm.proto, IPPROTO_ESP);
		assert_false(pm.udp_encap);
		assert_int_equal(pm.spi, 0xdeadbeef);
		assert_int_equal(pm.mtu, 1400);
		assert_memory_equal(pm.dst, dst, v6 ? 16 : 4);
		assert_int_equal(round_trip(v6, 1, 100, 1300, &pm), 0);
		assert_int_equal(pm.proto, IPPROTO_AH);
		assert_int_equal(pm.spi, 0x1234);
		assert_int_equal(round_trip(v6, 2, 100, 1300, &pm), 0);
		assert_true(pm.udp_encap);
		assert_int_equal(pm.spi, 0x4500);
	}
	/* IPv6 MTU below 1280 reads as 1280 (builder clamps too). */
	assert_int_equal(round_trip(1, 0, 1400, 600, &pm), 0);
	assert_int_equal(pm.mtu, 1280);

	/* The quote only has 8 bytes of UDP: no SPI. */
	assert_int_equal(round_trip(0, 2, 100, 1300, &pm), 0);
	n = 20 + 8 + 20 + 8;	/* IP, ICMP, quoted IP, quoted UDP */
	pg_put16(out + 2, (uint16_t)n);
	pg_v4_recsum(out);
	out[22] = out[23] = 0;
	pg_put16(out + 22, pg_csum(out + 20, n - 20, 0));
	assert_int_equal(pkt_parse(out, n, &po), PKT_OK);
	assert_int_equal(icmp_parse_pmtu(out, &po, &pm), -EBADMSG);

	/* Bad ICMP checksum. */
	assert_int_equal(round_trip(0, 0, 100, 1300, &pm), 0);
	assert_int_equal(pkt_parse(out, 28 + 20 + 108, &po), PKT_OK);
	out[40] ^= 1;
	assert_int_equal(icmp_parse_pmtu(out, &po, &pm), -EBADMSG);
	/* MTU below 68 (IPv4). */
	out[40] ^= 1;
	pg_put16(out + 26, 40);
	out[22] = out[23] = 0;
	pg_put16(out + 22, pg_csum(out + 20, po.len - 20, 0));
	assert_int_equal(icmp_parse_pmtu(out, &po, &pm), -EINVAL);
	/* Not too big: destination unreachable, port. */
	out[21] = 3;
	out[22] = out[23] = 0;
	pg_put16(out + 22, pg_csum(out + 20, po.len - 20, 0));
	assert_int_equal(pkt_parse(out, po.len, &po), PKT_OK);
	assert_int_equal(icmp_parse_pmtu(out, &po, &pm), -ENOENT);
	/* About TCP: not ours. */
	n = big_tcp(0, 100);
	assert_int_equal(pkt_parse(pkt, n, &po), PKT_OK);
	{
		uint8_t me[16];
		size_t on;

		pg_addr("192.0.2.1", me);
		assert_int_equal(icmp_build_too_big(pkt, &po, me, 1300, out,
		    sizeof(out), &on), 0);
		assert_int_equal(pkt_parse(out, on, &po), PKT_OK);
		assert_int_equal(icmp_parse_pmtu(out, &po, &pm), -ENOENT);
	}
}

static void
test_bucket(void **state)
{
	struct icmp_bucket b;
	int i;

	(void)state;
	icmp_bucket_init(&b, 2, 3, 1000);
	for (i = 0; i < 3; i++)
		assert_true(icmp_bucket_take(&b, 1000));
	assert_false(icmp_bucket_take(&b, 1000));
	assert_false(icmp_bucket_take(&b, 1499));
	assert_true(icmp_bucket_take(&b, 1500));
	assert_false(icmp_bucket_take(&b, 1500));
	/* A long idle fills the bucket to its burst, no more. */
	for (i = 0; i < 3; i++)
		assert_true(icmp_bucket_take(&b, 1000000));
	assert_false(icmp_bucket_take(&b, 1000000));
	/* The clock going backwards adds nothing. */
	assert_false(icmp_bucket_take(&b, 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_v4),
		cmocka_unit_test(test_build_v6),
		cmocka_unit_test(test_build_refused),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
