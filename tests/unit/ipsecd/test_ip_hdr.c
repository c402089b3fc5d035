/*
 * test_ip_hdr.c - IPv4/IPv6 header helpers of ipsecd's transforms
 * (servers/ipsecd/ip_hdr.c): every rejection of ip_hdr_parse() as a row,
 * the two extension-header walks, checksums (incremental against full),
 * the RFC 6040 table, tunnel outer headers (DF, DSCP, ECN, TTL).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xform_pkt.h"

static uint64_t rng = 0x1234567;

enum mut { M_NONE, M_LEN, M_BYTE, M_BYTE_CSUM, M_PLEN };

static const struct prow {
	const char		*name;
	int			 fam, ext;
	enum mut		 mut;
	size_t			 at;	/* byte, or new length */
	uint8_t			 val;
	enum xform_reject	 want;
} prows[] = {
	{ "v4 ok", 4, 0, M_NONE, 0, 0, XFORM_REJECT_NONE },
	{ "v4 options ok", 4, 1, M_NONE, 0, 0, XFORM_REJECT_NONE },
	{ "empty", 4, 0, M_LEN, 0, 0, XFORM_REJECT_IP_SHORT },
	{ "v4 19 bytes", 4, 0, M_LEN, 19, 0, XFORM_REJECT_IP_SHORT },
	{ "version 5", 4, 0, M_BYTE, 0, 0x55, XFORM_REJECT_IP_VERSION },
	{ "version 0", 4, 0, M_BYTE, 0, 0x05, XFORM_REJECT_IP_VERSION },
	{ "ihl 4", 4, 0, M_BYTE_CSUM, 0, 0x44, XFORM_REJECT_IP_HLEN },
	{ "ihl 15", 4, 0, M_BYTE, 0, 0x4f, XFORM_REJECT_IP_HLEN },
	{ "total < ihl", 4, 0, M_BYTE_CSUM, 3, 10, XFORM_REJECT_IP_LEN },
	{ "total > buffer", 4, 0, M_LEN, 40, 0, XFORM_REJECT_IP_LEN },
	{ "checksum", 4, 0, M_BYTE, 11, 0x5a, XFORM_REJECT_IP_CSUM },
	{ "MF", 4, 0, M_BYTE_CSUM, 6, 0x20, XFORM_REJECT_IP_FRAGMENT },
	{ "offset", 4, 0, M_BYTE_CSUM, 7, 0x01, XFORM_REJECT_IP_FRAGMENT },
	{ "DF ok", 4, 0, M_BYTE_CSUM, 6, 0x40, XFORM_REJECT_NONE },
	{ "v6 ok", 6, 0, M_NONE, 0, 0, XFORM_REJECT_NONE },
	{ "v6 ext ok", 6, 2, M_NONE, 0, 0, XFORM_REJECT_NONE },
	{ "v6 39 bytes", 6, 0, M_LEN, 39, 0, XFORM_REJECT_IP_SHORT },
	{ "v6 plen > buffer", 6, 0, M_LEN, 60, 0, XFORM_REJECT_IP_LEN },
	{ "v6 jumbo", 6, 0, M_PLEN, 0, 0, XFORM_REJECT_IP_LEN },
	{ "v6 ext truncated", 6, 1, M_PLEN, 12, 0, XFORM_REJECT_IP_EXTHDR },
	{ "v6 ext len past", 6, 1, M_BYTE, 41, 200, XFORM_REJECT_IP_EXTHDR },
	{ "v6 hbh not first", 6, 1, M_BYTE, 56, 0, XFORM_REJECT_IP_EXTHDR },
};

static void
test_parse_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(prows); i++) {
		const struct prow *r = &prows[i];
		uint8_t p[TP_MAXPKT];
		struct ip_info in;
		enum xform_reject why;
		size_t len;
		int rc;

		len = r->fam == 4 ?
		    tp_v4(&rng, p, IPPROTO_NUM_UDP, 30, r->ext != 0) :
		    tp_v6(&rng, p, IPPROTO_NUM_UDP, 30, r->ext);
		switch (r->mut) {
		case M_LEN:
			len = r->at;
			break;
		case M_BYTE:
			p[r->at] = r->val;
			break;
		case M_BYTE_CSUM:
			p[r->at] = r->val;
			ip4_csum_set(p, IP4_HDR_BYTES);
			break;
		case M_PLEN:
			p[4] = (uint8_t)(r->at >> 8);
			p[5] = (uint8_t)r->at;
			break;
		default:
			break;
		}
		rc = ip_hdr_parse(p, len, IP_WALK_ALL, &in, &why);
		if (why != r->want)
			print_message("row %s: got %s\n", r->name,
			    xform_reject_str(why));
		assert_int_equal(why, r->want);
		assert_int_equal(rc, xform_reject_errno(r->want));
	}
}

/* Where ESP/AH goes (INSERT) and where the chain ends (ALL). */
static void
test_walks(void **state)
{
	uint8_t p[TP_MAXPKT];
	struct ip_info in;
	enum xform_reject why;
	size_t len;

	(void)state;
	/* HBH 16, DST 8, RT 40: all before ESP (no DST after RT). */
	len = tp_v6(&rng, p, IPPROTO_NUM_TCP, 10, 2);
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_INSERT, &in, &why), 0);
	assert_int_equal(in.l3_len, 40 + 16 + 8 + 40);
	assert_int_equal(in.proto, IPPROTO_NUM_TCP);
	assert_int_equal(in.nh_off, 40 + 16 + 8);
	/* A destination options header after the routing header stays in. */
	memmove(p + 104 + 8, p + 104, len - 104);
	memset(p + 104, 0, 8);
	p[104] = IPPROTO_NUM_TCP;
	p[104 + 2] = 1;		/* PadN, 4 bytes */
	p[104 + 3] = 4;
	p[64] = IPPROTO_NUM_DSTOPTS;
	len += 8;
	ip_len_set(p, 6, IP6_HDR_BYTES, len);
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_INSERT, &in, &why), 0);
	assert_int_equal(in.l3_len, 104);
	assert_int_equal(in.proto, IPPROTO_NUM_DSTOPTS);
	assert_int_equal(in.nh_off, 64);
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_ALL, &in, &why), 0);
	assert_int_equal(in.l3_len, 112);
	assert_int_equal(in.proto, IPPROTO_NUM_TCP);
	/* An atomic fragment passes; a real one does not. */
	len = tp_v6(&rng, p, IPPROTO_NUM_UDP, 10, 0);
	memmove(p + 48, p + 40, len - 40);
	memset(p + 40, 0, 8);
	p[40] = IPPROTO_NUM_UDP;
	p[6] = IPPROTO_NUM_FRAGMENT;
	len += 8;
	ip_len_set(p, 6, IP6_HDR_BYTES, len);
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_ALL, &in, &why), 0);
	assert_int_equal(in.l3_len, 48);
	p[43] = 1;		/* M */
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_ALL, &in, &why),
	    -EBADMSG);
	assert_int_equal(why, XFORM_REJECT_IP_FRAGMENT);
}

static void
test_checksums(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		uint8_t p[64], old[16];
		size_t n = 2 * (1 + prng_below(&rng, 8)), at;
		uint16_t c, inc;

		tp_fill(&rng, p, sizeof(p));
		c = ip_csum_fold(ip_csum_add(0, p, sizeof(p)));
		at = 2 * prng_below(&rng, (sizeof(p) - n) / 2);
		memcpy(old, p + at, n);
		tp_fill(&rng, p + at, n);
		inc = ip_csum_replace(c, old, p + at, n);
		/* Equal as one's-complement values (0 and 0xffff alike). */
		c = ip_csum_fold(ip_csum_add(0, p, sizeof(p)));
		assert_true(inc == c || (inc | c) == 0xffff);
	}
}

static void
test_ecn_table(void **state)
{
	/* RFC 6040 Figure 4, [inner][outer] by codepoint 0..3. */
	static const int want[4][4] = {
		{ 0, 0, 0, -1 },
		{ 1, 1, 1, 3 },
		{ 2, 1, 2, 3 },
		{ 3, 3, 3, 3 },
	};
	int i, o;

	(void)state;
	for (i = 0; i < 4; i++)
		for (o = 0; o < 4; o++)
			assert_int_equal(ip_ecn_decap((uint8_t)(0xa0 | o),
			    (uint8_t)(0x40 | i)), want[i][o]);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ip_ecn_encap((uint8_t)(0xfc | i), true), i);
		assert_int_equal(ip_ecn_encap((uint8_t)(0xfc | i), false), 0);
	}
}

static const struct orow {
	int	inner_fam, df_in, dfbit, df_out;
} orows[] = {
	{ 4, 0, XFORM_DF_CLEAR, 0 }, { 4, 1, XFORM_DF_CLEAR, 0 },
	{ 4, 0, XFORM_DF_SET, 1 }, { 4, 1, XFORM_DF_SET, 1 },
	{ 4, 0, XFORM_DF_COPY, 0 }, { 4, 1, XFORM_DF_COPY, 1 },
	{ 6, 0, XFORM_DF_COPY, 1 }, { 6, 0, XFORM_DF_CLEAR, 0 },
};

/* One outer header: DF, TTL, DSCP, ECN, addresses, length, room. */
static void
outer_one(const struct orow *r, uint8_t ofam, bool ecn)
{
	struct xform_sa sa;
	struct ip_info inner, outer;
	enum xform_reject why;
	uint8_t p[TP_MAXPKT], o[64 + 60];
	size_t len, hl;

	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_ALG_NONE, XFORM_ALG_NONE,
	    XFORM_MODE_TUNNEL, ecn ? XFORM_SA_ECN : 0, ofam);
	sa.dfbit = (uint8_t)r->dfbit;
	sa.ttl = (uint8_t)(ecn ? 0 : 17);
	len = r->inner_fam == 4 ? tp_v4(&rng, p, 17, 20, false) :
	    tp_v6(&rng, p, 17, 20, 0);
	if (r->inner_fam == 4) {
		p[6] = r->df_in ? 0x40 : 0;
		ip4_csum_set(p, IP4_HDR_BYTES);
	}
	assert_int_equal(ip_hdr_parse(p, len, IP_WALK_ALL, &inner, &why), 0);
	assert_int_equal(ip_hdr_build_outer(o, sizeof(o), &sa, &inner, 50,
	    len, 0x1234, &hl), 0);
	memcpy(o + hl, p, len);
	assert_int_equal(hl, ip_hdr_outer_bytes(&sa));
	assert_int_equal(ip_hdr_parse(o, hl + len, IP_WALK_ALL, &outer, &why),
	    0);
	assert_int_equal(outer.version, ofam);
	assert_int_equal(outer.proto, 50);
	assert_int_equal(outer.tot_len, hl + len);
	assert_int_equal(outer.ttl, ecn ? 64 : 17);
	assert_int_equal(outer.tos & 0xfc, inner.tos & 0xfc);
	assert_int_equal(outer.tos & 3, ecn ? inner.tos & 3 : 0);
	if (ofam == 4)
		assert_int_equal(outer.df, r->df_out);
	assert_memory_equal(outer.dst.a, sa.tun_dst.a, ofam == 4 ? 4 : 16);
	/* Too little room. */
	assert_int_equal(ip_hdr_build_outer(o, hl - 1, &sa, &inner, 50, len, 0,
	    &hl), -EMSGSIZE);
}

static void
test_outer(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(orows); i++) {
		outer_one(&orows[i], 4, false);
		outer_one(&orows[i], 4, true);
		outer_one(&orows[i], 6, false);
		outer_one(&orows[i], 6, true);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rows),
		cmocka_unit_test(test_walks),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_ecn_table),
		cmocka_unit_test(test_outer),
	};

	if (xform_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
