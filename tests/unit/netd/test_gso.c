/*
 * test_gso.c - software TCP segmentation (servers/netd/gso.c): one
 * table row per case.
 *
 *  - IPv4 and IPv6 superpackets cut by gso_size: segment count, each
 *    segment's IP length, IPv4 id and header checksum, TCP sequence
 *    number (with wrap), flags (FIN/PSH only on the last, CWR only on
 *    the first), payload bytes, and every checksum verified by an
 *    independent computation (pktgen.h's byte-wise sum and a pseudo
 *    header built here);
 *  - refusals: gso types other than TCP, IPv6 extension headers, family
 *    mismatch, gso_size 0, no payload, bad data offset, truncated
 *    headers, too many segments, a segment larger than the output;
 *  - gso_csum against the byte-wise sum at every length and alignment.
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

#include "gso.h"
#include "gso_testlib.h"

struct seg_row {
	const char	*name;
	int		 family;
	uint32_t	 payload;
	uint16_t	 mss;
	uint8_t		 flags;		/* of the superpacket */
	uint8_t		 optlen;	/* TCP option bytes */
	uint32_t	 seq;
	uint32_t	 nsegs;		/* expected */
};

static const struct seg_row seg_rows[] = {
	{ "v4 4 even", 4, 4000, 1000, T_ACK | T_PSH, 0, 1000, 4 },
	{ "v4 odd last", 4, 4001, 1000, T_ACK | T_PSH, 0, 1, 5 },
	{ "v4 one", 4, 1000, 1000, T_ACK, 0, 7, 1 },
	{ "v4 short one", 4, 10, 1448, T_ACK | T_FIN, 0, 7, 1 },
	{ "v4 fin psh cwr", 4, 3000, 1448, T_ACK | T_PSH | T_FIN | T_CWR, 0,
	    9, 3 },
	{ "v4 options", 4, 5000, 1436, T_ACK | T_PSH, 12, 100, 4 },
	{ "v4 seq wrap", 4, 4000, 1000, T_ACK, 0, 0xfffffc00u, 4 },
	{ "v4 64k", 4, 65535 - 40, 1448, T_ACK | T_PSH, 0, 5, 46 },
	{ "v6 3", 6, 3000, 1440, T_ACK | T_PSH, 0, 77, 3 },
	{ "v6 options odd", 6, 2999, 1428, T_ACK | T_CWR, 12, 77, 3 },
	{ "v6 mss 1", 6, 17, 1, T_ACK, 0, 0, 17 },
};

static void
check_segment(const struct seg_row *r, const uint8_t *super, size_t hl,
    const uint8_t *seg, size_t n, uint32_t i)
{
	size_t l4 = r->family == 4 ? 20 : 40;
	uint32_t start = i * r->mss;
	uint32_t chunk = r->payload - start < r->mss ? r->payload - start :
	    r->mss;
	uint8_t fl = seg[l4 + 13], want = r->flags;

	assert_int_equal(n, hl + chunk);
	if (r->family == 4) {
		assert_int_equal(t_get16(seg + 2), n);
		assert_int_equal(t_get16(seg + 4),
		    (uint16_t)(t_get16(super + 4) + i));
		assert_int_equal(pg_csum(seg, 20, 0), 0);
	} else {
		assert_int_equal(t_get16(seg + 4), n - 40);
	}
	assert_int_equal(t_get32(seg + l4 + 4),
	    (uint32_t)(t_get32(super + l4 + 4) + start));
	if (i + 1 < (r->payload + r->mss - 1) / r->mss)
		want &= (uint8_t)~(T_FIN | T_PSH);
	if (i > 0)
		want &= (uint8_t)~T_CWR;
	assert_int_equal(fl, want);
	assert_true(t_tcp_csum_ok(seg, n));
	assert_memory_equal(seg + hl, super + hl + start, chunk);
	/* Everything else in the headers is the superpacket's. */
	assert_memory_equal(seg + l4 + 20, super + l4 + 20, hl - l4 - 20);
}

static void
test_segment_rows(void **state)
{
	static uint8_t super[70000], seg[70000];
	size_t i, n, len, hl;
	uint32_t k;
	struct link_vnet v;
	struct gso g;

	(void)state;
	for (i = 0; i < sizeof(seg_rows) / sizeof(seg_rows[0]); i++) {
		const struct seg_row *r = &seg_rows[i];

		print_message("row %s\n", r->name);
		len = t_tcp_pkt(super, r->family, r->seq, r->payload,
		    r->flags, r->optlen, 0x1234, 3);
		hl = (r->family == 4 ? 20 : 40) + 20 + r->optlen;
		/* Superpackets come with a partial checksum: junk here. */
		super[(r->family == 4 ? 20 : 40) + 16] ^= 0x5a;
		memset(&v, 0, sizeof(v));
		v.gso_type = r->family == 4 ? GSO_T_TCPV4 : GSO_T_TCPV6;
		v.gso_size = r->mss;
		assert_int_equal(gso_prepare(&g, super, len, &v), 0);
		assert_int_equal(g.nsegs, r->nsegs);
		assert_int_equal(g.hdr_len, hl);
		for (k = 0; k < g.nsegs; k++) {
			assert_int_equal(gso_segment(&g, super, k, seg,
			    sizeof(seg), &n), 0);
			check_segment(r, super, hl, seg, n, k);
		}
		assert_int_equal(gso_segment(&g, super, k, seg, sizeof(seg),
		    &n), -EINVAL);
	}
}

struct bad_row {
	const char	*name;
	int		 family;
	uint8_t		 gso_type;
	uint16_t	 mss;
	uint32_t	 payload;
	int		 mutate;	/* what to break */
	int		 want;
};

enum { M_NONE, M_EXTHDR, M_UDP, M_DOFF, M_TRUNC, M_FRAG, M_VERSION,
    M_DOFF_BIG };

static const struct bad_row bad_rows[] = {
	{ "udp gso", 4, 3, 1000, 2000, M_NONE, -EPROTONOSUPPORT },
	{ "udp l4 gso", 4, 5, 1000, 2000, M_NONE, -EPROTONOSUPPORT },
	{ "none", 4, GSO_T_NONE, 1000, 2000, M_NONE, -EPROTONOSUPPORT },
	{ "v6 ext header", 6, GSO_T_TCPV6, 1000, 2000, M_EXTHDR,
	    -EPROTONOSUPPORT },
	{ "v4 not tcp", 4, GSO_T_TCPV4, 1000, 2000, M_UDP, -EPROTONOSUPPORT },
	{ "v4 as v6", 4, GSO_T_TCPV6, 1000, 2000, M_NONE, -EINVAL },
	{ "v6 as v4", 6, GSO_T_TCPV4, 1000, 2000, M_NONE, -EINVAL },
	{ "mss 0", 4, GSO_T_TCPV4, 0, 2000, M_NONE, -EINVAL },
	{ "no payload", 4, GSO_T_TCPV4, 1000, 0, M_NONE, -EINVAL },
	{ "doff 4", 4, GSO_T_TCPV4, 1000, 2000, M_DOFF, -EINVAL },
	{ "doff past end", 4, GSO_T_TCPV4, 1000, 20, M_DOFF_BIG, -EINVAL },
	{ "truncated", 4, GSO_T_TCPV4, 1000, 2000, M_TRUNC, -EINVAL },
	{ "fragment", 4, GSO_T_TCPV4, 1000, 2000, M_FRAG, -EINVAL },
	{ "version 5", 4, GSO_T_TCPV4, 1000, 2000, M_VERSION, -EINVAL },
	{ "too many", 4, GSO_T_TCPV4, 1, 2000, M_NONE, -EINVAL },
	{ "ecn bit ok", 4, GSO_T_TCPV4 | GSO_T_ECN, 1000, 2000, M_NONE, 0 },
};

static void
test_refusals(void **state)
{
	static uint8_t p[70000];
	struct link_vnet v;
	struct gso g;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];

		print_message("row %s\n", r->name);
		len = t_tcp_pkt(p, r->family, 1, r->payload, T_ACK, 0, 1, 0);
		switch (r->mutate) {
		case M_EXTHDR:
			p[6] = 0;	/* hop-by-hop */
			break;
		case M_UDP:
			p[9] = 17;
			break;
		case M_DOFF:
			p[20 + 12] = 4 << 4;
			break;
		case M_DOFF_BIG:
			p[20 + 12] = 15 << 4;
			break;
		case M_TRUNC:
			len = 30;
			break;
		case M_FRAG:
			p[6] = 0x20;
			break;
		case M_VERSION:
			p[0] = 0x55;
			break;
		default:
			break;
		}
		memset(&v, 0, sizeof(v));
		v.gso_type = r->gso_type;
		v.gso_size = r->mss;
		assert_int_equal(gso_prepare(&g, p, len, &v), r->want);
	}
}

static void
test_no_room(void **state)
{
	static uint8_t p[4000], out[2000];
	struct link_vnet v;
	struct gso g;
	size_t len, n = 0;

	(void)state;
	len = t_tcp_pkt(p, 4, 1, 3000, T_ACK, 0, 1, 0);
	memset(&v, 0, sizeof(v));
	v.gso_type = GSO_T_TCPV4;
	v.gso_size = 1460;
	assert_int_equal(gso_prepare(&g, p, len, &v), 0);
	assert_int_equal(gso_segment(&g, p, 0, out, 1499, &n), -ENOSPC);
	assert_int_equal(gso_segment(&g, p, 0, out, 1500, &n), 0);
	assert_int_equal(n, 1500);
}

static void
test_csum(void **state)
{
	static uint8_t b[300];
	size_t off, len, i;
	uint16_t want;

	(void)state;
	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 37 + 11);
	b[5] = b[6] = 0xff;
	for (off = 0; off < 8; off++) {
		for (len = 0; len + off <= sizeof(b); len++) {
			want = (uint16_t)~pg_csum(b + off, len, 0);
			assert_int_equal(gso_csum(0, b + off, len), want);
			/* Carry in: sum 0xffff + x. */
			want = (uint16_t)~pg_csum(b + off, len, 0xfffe);
			assert_int_equal(gso_csum(0xfffe, b + off, len), want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_rows),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_csum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
