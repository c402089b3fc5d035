/*
 * test_pkt.c - netd's packet parser (servers/netd/pkt.c).
 *
 *  - good packets: IPv4 and IPv6, TCP / UDP / ICMP / ESP / AH / ESP in
 *    UDP / IKE / keepalive, extension header chains, fragments (first
 *    with ports, later without), atomic fragments, trailing padding;
 *  - one row per reject reason, each from a valid packet with one field
 *    changed;
 *  - every truncation of every good packet is refused, never read past;
 *  - Ethernet and VLAN tags; ND and MLD recognition; the name table.
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

#include "pkt.h"
#include "pktgen.h"

static uint8_t l4[2048], pkt[4096];

static size_t
v4_udp(uint16_t sp, uint16_t dp)
{
	size_t n = pg_udp(l4, sp, dp, "hello", 5);

	return pg_v4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, l4, n, 0, 7);
}

static void
test_good_v4(void **state)
{
	struct pkt_info pi;
	size_t n;

	(void)state;
	n = v4_udp(1234, 53);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.family, AF_INET);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.kind, PKT_K_UDP);
	assert_int_equal(pi.sport, 1234);
	assert_int_equal(pi.dport, 53);
	assert_int_equal(pi.len, n);
	assert_int_equal(pi.l4_off, 20);
	assert_memory_equal(pi.src, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(pi.dst, "\x0a\x00\x00\x02", 4);
	assert_false(pi.frag);

	/* Ethernet padding after the datagram is ignored. */
	memset(pkt + n, 0, 20);
	assert_int_equal(pkt_parse(pkt, n + 20, &pi), PKT_OK);
	assert_int_equal(pi.len, n);

	n = pg_tcp(l4, 40000, 80, 10);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_TCP, l4, n, 0x4000, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_TCP);
	assert_int_equal(pi.sport, 40000);
	assert_int_equal(pi.dport, 80);
	assert_false(pi.frag);	/* DF is no fragment */

	n = pg_icmp(l4, 8, 0, 56);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_ICMP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_ICMP);
	assert_int_equal(pi.sport, 8);	/* type */
	assert_int_equal(pi.dport, 0);	/* code */

	n = pg_esp(l4, 0x1000, 1, 32);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_ESP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_ESP);
	assert_int_equal(pi.spi, 0x1000);

	/* AH: next, len 4 (24 bytes), reserved, SPI, seq, ICV. */
	memset(l4, 0, 24);
	l4[0] = IPPROTO_TCP;
	l4[1] = 4;
	pg_put32(l4 + 4, 0x2000);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_AH, l4, 24, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_AH);
	assert_int_equal(pi.spi, 0x2000);

	/* Options: IHL 6. */
	n = pg_udp(l4 + 4, 1, 2, "x", 1);
	memset(l4, 1, 4);	/* NOPs */
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, n + 4, 0, 1);
	pkt[0] = 0x46;
	pg_v4_recsum(pkt);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.l4_off, 24);
	assert_int_equal(pi.sport, 1);
}

static void
test_natt(void **state)
{
	struct pkt_info pi;
	uint8_t esp[16], ike[12] = { 0 };
	size_t n;

	(void)state;
	pg_esp(esp, 0xabcd, 1, 8);
	n = pg_udp(l4, 4500, 4500, esp, sizeof(esp));
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_UDP_ESP);
	assert_int_equal(pi.spi, 0xabcd);

	n = pg_udp(l4, 4500, 4500, ike, sizeof(ike));
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_UDP_IKE);

	n = pg_udp(l4, 4500, 4500, "\xff", 1);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_UDP_KEEPALIVE);

	/* Port 4500 as the source only: plain UDP. */
	n = pg_udp(l4, 4500, 9, esp, sizeof(esp));
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_UDP);
}

static void
test_frag_v4(void **state)
{
	struct pkt_info pi;
	size_t n;

	(void)state;
	/* First fragment: ports. */
	/* Only the first 16 bytes of the 24-byte UDP datagram. */
	(void)pg_udp(l4, 7, 9, "0123456789abcdef", 16);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, 16, 0x2000, 99);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_true(pi.frag);
	assert_true(pi.frag_more);
	assert_int_equal(pi.frag_off, 0);
	assert_int_equal(pi.frag_id, 99);
	assert_int_equal(pi.kind, PKT_K_UDP);
	assert_int_equal(pi.sport, 7);
	assert_int_equal(pi.dport, 9);

	/* Later fragment: protocol, no ports. */
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, 16, 2, 99);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_true(pi.frag);
	assert_false(pi.frag_more);
	assert_int_equal(pi.frag_off, 16);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.kind, PKT_K_NOPORTS);
	assert_int_equal(pi.sport, 0);
	assert_int_equal(pi.dport, 0);

	/* Tiny first fragment: 4 bytes of a TCP header. */
	(void)pg_tcp(l4, 1, 2, 0);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_TCP, l4, 8, 0x2000, 5);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_R_TINY_FRAG);
}

struct v4row {
	const char	*name;
	size_t		 off[2];	/* bytes to set (0: none) */
	uint8_t		 val[2];
	bool		 recsum;
	enum pkt_reject	 want;
	size_t		 cut;		/* bytes to drop from the end */
};

/* Base: 10.0.0.1 -> 10.0.0.2 UDP 1234 -> 53, "hello" (33 bytes). */
static const struct v4row v4rows[] = {
	{ "version 5", { 0 }, { 0x55 }, true, PKT_R_VERSION, 0 },
	{ "version 6 in 33 bytes", { 0 }, { 0x65 }, true, PKT_R_V6_SHORT, 0 },
	{ "ihl 4", { 0 }, { 0x44 }, true, PKT_R_V4_IHL, 0 },
	{ "ihl 15", { 0 }, { 0x4f }, false, PKT_R_V4_IHL, 0 },
	{ "totlen 19", { 3 }, { 19 }, true, PKT_R_V4_TOTLEN_SHORT, 0 },
	{ "totlen + 1", { 3 }, { 34 }, true, PKT_R_V4_TOTLEN_LONG, 0 },
	{ "checksum", { 10 }, { 0x55 }, false, PKT_R_V4_CSUM, 0 },
	{ "reserved flag", { 6 }, { 0x80 }, true, PKT_R_V4_FRAG_RSV, 0 },
	{ "frag past 64k", { 6, 7 }, { 0x1f, 0xff }, true, PKT_R_V4_FRAG_LONG,
	    0 },
	{ "udp len 7", { 25 }, { 7 }, false, PKT_R_UDP_LEN, 0 },
	{ "udp len 14", { 25 }, { 14 }, false, PKT_R_UDP_LEN, 0 },
	{ "udp header cut", { 3 }, { 26 }, true, PKT_R_UDP_SHORT, 7 },
	{ "tcp header cut", { 3, 9 }, { 33, IPPROTO_TCP }, true,
	    PKT_R_TCP_SHORT, 0 },
	{ "esp cut", { 3, 9 }, { 27, IPPROTO_ESP }, true, PKT_R_ESP_SHORT,
	    6 },
	{ "ah cut", { 3, 9 }, { 31, IPPROTO_AH }, true, PKT_R_AH_SHORT, 2 },
	{ "icmp cut", { 3, 9 }, { 23, IPPROTO_ICMP }, true, PKT_R_ICMP_SHORT,
	    10 },
};

static void
test_v4_rejects(void **state)
{
	struct pkt_info pi;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < nitems(v4rows); i++) {
		const struct v4row *r = &v4rows[i];

		n = v4_udp(1234, 53);
		for (j = 0; j < 2; j++)
			if (r->off[j] != 0 || (j == 0 && r->val[0] != 0))
				pkt[r->off[j]] = r->val[j];
		if (r->recsum)
			pg_v4_recsum(pkt);
		n -= r->cut;
		if (pkt_parse(pkt, n, &pi) != r->want)
			fail_msg("%s: got %s, want %s", r->name,
			    pkt_reject_name(pkt_parse(pkt, n, &pi)),
			    pkt_reject_name(r->want));
	}
	/* RFC 1858: a TCP fragment at offset 8 bytes. */
	(void)pg_tcp(l4, 1, 2, 20);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_TCP, l4, 16, 1, 5);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_R_V4_FRAG_OFF1);
	n = pg_v4(pkt, "1.2.3.4", "5.6.7.8", IPPROTO_UDP, l4, 16, 1, 5);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pkt_parse(pkt, 0, &pi), PKT_R_EMPTY);
	assert_int_equal(pkt_parse(pkt, 19, &pi), PKT_R_V4_SHORT);
}

/* IPv6: build a payload of extension headers, then the upper layer. */
static size_t
v6(const uint8_t *pl, size_t n, uint8_t first)
{
	return pg_v6(pkt, "2001:db8::1", "2001:db8::2", first, pl, n);
}

static void
test_good_v6(void **state)
{
	struct pkt_info pi;
	uint8_t pl[512];
	size_t n, k;

	(void)state;
	n = pg_tcp(pl, 22, 5555, 0);
	n = v6(pl, n, IPPROTO_TCP);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.family, AF_INET6);
	assert_int_equal(pi.kind, PKT_K_TCP);
	assert_int_equal(pi.sport, 22);
	assert_int_equal(pi.dport, 5555);
	assert_int_equal(pi.l4_off, 40);
	assert_int_equal(pi.len, 60);

	/* HBH, routing (type 2, segments left 1), dest opts, UDP. */
	k = pg_ext(pl, IPPROTO_ROUTING, 0);
	k += pg_ext(pl + k, IPPROTO_DSTOPTS, 2);
	pl[k - 24 + 2] = 2;	/* routing type 2 */
	pl[k - 24 + 3] = 1;	/* segments left */
	k += pg_ext(pl + k, IPPROTO_UDP, 1);
	k += pg_udp(pl + k, 500, 500, "ike", 3);
	n = v6(pl, k, IPPROTO_HOPOPTS);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.l4_off, 40 + 8 + 24 + 16);
	assert_int_equal(pi.sport, 500);

	/* ICMPv6 echo; ND (hop limit 255) and MLD. */
	n = pg_icmp(pl, 128, 0, 8);
	n = v6(pl, n, IPPROTO_ICMPV6);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_ICMP);
	assert_int_equal(pi.sport, 128);
	assert_false(pkt_is_nd(&pi));
	pl[0] = 135;
	n = v6(pl, 24, IPPROTO_ICMPV6);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_false(pkt_is_nd(&pi));	/* hop limit 64 */
	pkt[7] = 255;
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_true(pkt_is_nd(&pi));
	k = pg_ext(pl, IPPROTO_ICMPV6, 0);
	k += pg_icmp(pl + k, 143, 0, 20);
	n = pg_v6(pkt, "fe80::1", "ff02::16", IPPROTO_HOPOPTS, pl, k);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_true(pkt_is_nd(&pi));

	/* ESP after a destination options header. */
	k = pg_ext(pl, IPPROTO_ESP, 0);
	k += pg_esp(pl + k, 77, 1, 16);
	n = v6(pl, k, IPPROTO_DSTOPTS);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_ESP);
	assert_int_equal(pi.spi, 77);

	/* No next header. */
	n = v6(pl, 8, IPPROTO_NONE);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IPPROTO_NONE);
}

static void
test_frag_v6(void **state)
{
	struct pkt_info pi;
	uint8_t pl[512];
	size_t n, k;

	(void)state;
	/* First fragment: the chain goes on, ports found. */
	k = pg_frag6(pl, IPPROTO_UDP, 0, 1, 0x01020304);
	k += pg_udp(pl + k, 1000, 2000, "01234567", 8);
	n = v6(pl, k, IPPROTO_FRAGMENT);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_true(pi.frag);
	assert_int_equal(pi.frag_id, 0x01020304);
	assert_int_equal(pi.frag_hdr_off, 40);
	assert_int_equal(pi.frag_nh_off, 6);
	assert_int_equal(pi.frag_data_off, 48);
	assert_int_equal(pi.sport, 1000);

	/* A later one: protocol, no ports. */
	k = pg_frag6(pl, IPPROTO_UDP, 16, 0, 0x01020304);
	memset(pl + k, 0, 8);
	n = v6(pl, k + 8, IPPROTO_FRAGMENT);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_NOPORTS);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.frag_off, 16);

	/* Atomic fragment (RFC 6946): no fragment. */
	k = pg_frag6(pl, IPPROTO_UDP, 0, 0, 9);
	k += pg_udp(pl + k, 1, 2, "x", 1);
	n = v6(pl, k, IPPROTO_FRAGMENT);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_false(pi.frag);
	assert_int_equal(pi.sport, 1);

	/* Fragment header after a destination options header. */
	k = pg_ext(pl, IPPROTO_FRAGMENT, 0);
	k += pg_frag6(pl + k, IPPROTO_ESP, 0, 1, 5);
	k += pg_esp(pl + k, 5, 1, 8);
	n = v6(pl, k, IPPROTO_DSTOPTS);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	assert_int_equal(pi.frag_nh_off, 40);
	assert_int_equal(pi.frag_hdr_off, 48);
	assert_int_equal(pi.kind, PKT_K_ESP);
}

struct v6row {
	const char	*name;
	uint8_t		 first;
	uint8_t		 pl[64];
	enum pkt_reject	 want;
	size_t		 n;
};

static const struct v6row v6rows[] = {
	{ "hbh second", IPPROTO_DSTOPTS, { IPPROTO_HOPOPTS, 0, 1, 4,
	    [8] = IPPROTO_NONE, 0, 1, 4 }, PKT_R_V6_HBH_POS, 16 },
	{ "ext past payload", IPPROTO_DSTOPTS, { IPPROTO_NONE, 1 },
	    PKT_R_V6_EXT_TRUNC, 8 },
	{ "two fragment headers", IPPROTO_FRAGMENT, { IPPROTO_FRAGMENT, 0, 0,
	    1, 0, 0, 0, 1, IPPROTO_UDP, 0, 0, 1, 0, 0, 0, 1 },
	    PKT_R_V6_FRAG_DUP, 24 },
	{ "frag length not 8k", IPPROTO_FRAGMENT, { IPPROTO_NONE, 0, 0, 1,
	    0, 0, 0, 1 }, PKT_R_V6_FRAG_LEN, 13 },
	{ "frag past 64k", IPPROTO_FRAGMENT, { IPPROTO_NONE, 0, 0xff, 0xf8,
	    0, 0, 0, 1 }, PKT_R_V6_FRAG_LONG, 16 },
	{ "rh0 segments left", IPPROTO_ROUTING, { IPPROTO_NONE, 0, 0, 1 },
	    PKT_R_V6_RH0, 8 },
	{ "rh0 no segments left", IPPROTO_ROUTING, { IPPROTO_NONE, 0, 0, 0 },
	    PKT_OK, 8 },
	{ "tiny first fragment", IPPROTO_FRAGMENT, { IPPROTO_DSTOPTS, 0, 0,
	    1, 0, 0, 0, 1, IPPROTO_TCP, 0 }, PKT_R_TINY_FRAG, 16 },
	{ "tcp cut", IPPROTO_TCP, { 0 }, PKT_R_TCP_SHORT, 16 },
	{ "tcp doff 4", IPPROTO_TCP, { [12] = 0x40 }, PKT_R_TCP_SHORT, 20 },
	{ "tcp doff past", IPPROTO_TCP, { [12] = 0x60 }, PKT_R_TCP_SHORT,
	    20 },
	{ "icmpv6 cut", IPPROTO_ICMPV6, { 128 }, PKT_R_ICMP_SHORT, 3 },
	{ "icmp (v4) in v6: opaque", IPPROTO_ICMP, { 8 }, PKT_OK, 3 },
};

static void
test_v6_rejects(void **state)
{
	struct pkt_info pi;
	uint8_t pl[256];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < nitems(v6rows); i++) {
		const struct v6row *r = &v6rows[i];
		enum pkt_reject got;

		n = v6(r->pl, r->n, r->first);
		got = pkt_parse(pkt, n, &pi);
		if (got != r->want)
			fail_msg("%s: got %s, want %s", r->name,
			    pkt_reject_name(got), pkt_reject_name(r->want));
	}
	/* Too many extension headers. */
	for (k = 0, i = 0; i < PKT_V6_EXT_MAX + 2; i++)
		k += pg_ext(pl + k, IPPROTO_DSTOPTS, 0);
	n = v6(pl, k, IPPROTO_DSTOPTS);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_R_V6_EXT_MANY);
	/* Lengths. */
	n = v6(pl, 8, IPPROTO_NONE);
	assert_int_equal(pkt_parse(pkt, 39, &pi), PKT_R_V6_SHORT);
	assert_int_equal(pkt_parse(pkt, n - 1, &pi), PKT_R_V6_PLEN_LONG);
	pkt[4] = pkt[5] = 0;
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_R_V6_JUMBO);
}

/* Every prefix of a good packet: refused, and ASan sees no overread. */
static void
test_truncations(void **state)
{
	struct pkt_info pi;
	uint8_t pl[256], *copy;
	size_t sizes[8], nb = 0, i, cut, k;
	uint8_t bufs[8][512];

	(void)state;
	sizes[nb] = v4_udp(1, 2);
	memcpy(bufs[nb++], pkt, sizes[0]);
	k = pg_ext(pl, IPPROTO_FRAGMENT, 1);
	k += pg_frag6(pl + k, IPPROTO_TCP, 0, 1, 3);
	k += pg_tcp(pl + k, 5, 6, 4);
	sizes[nb] = v6(pl, k, IPPROTO_HOPOPTS);
	memcpy(bufs[nb], pkt, sizes[nb]);
	nb++;
	k = pg_esp(pl, 1, 1, 8);
	sizes[nb] = v6(pl, k, IPPROTO_ESP);
	memcpy(bufs[nb], pkt, sizes[nb]);
	nb++;
	for (i = 0; i < nb; i++) {
		assert_int_equal(pkt_parse(bufs[i], sizes[i], &pi), PKT_OK);
		for (cut = 0; cut < sizes[i]; cut++) {
			copy = malloc(cut + 1);
			assert_non_null(copy);
			memcpy(copy, bufs[i], cut);
			assert_int_not_equal(pkt_parse(copy, cut, &pi),
			    PKT_OK);
			free(copy);
		}
	}
}

static void
test_eth(void **state)
{
	uint8_t f[64] = { 0 };
	uint16_t et;
	size_t off;

	(void)state;
	f[12] = 0x08;
	assert_int_equal(pkt_eth_parse(f, 14, &et, &off), PKT_OK);
	assert_int_equal(et, ETHERTYPE_IPV4);
	assert_int_equal(off, 14);
	assert_int_equal(pkt_eth_parse(f, 13, &et, &off), PKT_R_ETH_SHORT);
	f[12] = 0x81;
	f[13] = 0x00;
	f[16] = 0x86;
	f[17] = 0xdd;
	assert_int_equal(pkt_eth_parse(f, 18, &et, &off), PKT_OK);
	assert_int_equal(et, ETHERTYPE_IPV6);
	assert_int_equal(off, 18);
	assert_int_equal(pkt_eth_parse(f, 17, &et, &off), PKT_R_ETH_SHORT);
	f[16] = 0x88;
	f[17] = 0xa8;
	f[20] = 0x81;
	f[21] = 0x00;
	assert_int_equal(pkt_eth_parse(f, 40, &et, &off), PKT_R_ETH_VLAN);
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < PKT_REJECT_COUNT; i++) {
		const char *s = pkt_reject_name((enum pkt_reject)i);

		assert_non_null(s);
		assert_true(strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_")
		    == strlen(s));
	}
	assert_string_equal(pkt_reject_name(PKT_REJECT_COUNT), "unknown");
}

/* The fuzz seeds are golden packets: each parses, with the kind its
 * name says (tests/fuzz/fuzz_netd_seeds.py writes them with scapy). */
static void
test_seeds(void **state)
{
	static const struct {
		const char	*name;
		uint8_t		 kind;
		bool		 eth;
	} seeds[] = {
		{ "v4-udp", PKT_K_UDP, false },
		{ "v4-tcp-opts", PKT_K_TCP, false },
		{ "v4-icmp", PKT_K_ICMP, false },
		{ "v4-esp", PKT_K_ESP, false },
		{ "v4-ah", PKT_K_AH, false },
		{ "v4-natt-esp", PKT_K_UDP_ESP, false },
		{ "v4-natt-ike", PKT_K_UDP_IKE, false },
		{ "v4-natt-keepalive", PKT_K_UDP_KEEPALIVE, false },
		{ "v4-too-big-esp", PKT_K_ICMP, false },
		{ "v4-frag0", PKT_K_ESP, false },
		{ "v4-frag1", PKT_K_NOPORTS, false },
		{ "v6-tcp", PKT_K_TCP, false },
		{ "v6-chain", PKT_K_UDP, false },
		{ "v6-nd", PKT_K_ICMP, false },
		{ "v6-echo", PKT_K_ICMP, false },
		{ "v6-esp", PKT_K_ESP, false },
		{ "v6-too-big-esp", PKT_K_ICMP, false },
		{ "v6-frag0", PKT_K_ESP, false },
		{ "v6-frag1", PKT_K_NOPORTS, false },
		{ "eth-v4", PKT_K_UDP, true },
		{ "eth-vlan-v6", PKT_K_UDP, true },
	};
	const char *dir = getenv("PARAPET_SRCDIR");
	struct pkt_info pi;
	char path[1024];
	uint8_t b[4096];
	uint16_t et;
	size_t i, n, off;
	FILE *f;

	(void)state;
	if (dir == NULL)
		skip();
	for (i = 0; i < nitems(seeds); i++) {
		snprintf(path, sizeof(path),
		    "%s/tests/fuzz/corpus/fuzz_netd_pkt/%s", dir,
		    seeds[i].name);
		assert_non_null(f = fopen(path, "rb"));
		n = fread(b, 1, sizeof(b), f);
		fclose(f);
		off = 0;
		if (seeds[i].eth)
			assert_int_equal(pkt_eth_parse(b, n, &et, &off),
			    PKT_OK);
		if (pkt_parse(b + off, n - off, &pi) != PKT_OK ||
		    pi.kind != seeds[i].kind)
			fail_msg("%s: %s, kind %u", seeds[i].name,
			    pkt_reject_name(pkt_parse(b + off, n - off, &pi)),
			    pi.kind);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_v4),
		cmocka_unit_test(test_natt),
		cmocka_unit_test(test_frag_v4),
		cmocka_unit_test(test_v4_rejects),
		cmocka_unit_test(test_good_v6),
		cmocka_unit_test(test_frag_v6),
		cmocka_unit_test(test_v6_rejects),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_eth),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
