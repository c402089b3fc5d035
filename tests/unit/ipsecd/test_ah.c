/*
 * test_ah.c - AH (servers/ipsecd/ah.c).
 *
 *  - round trips of random packets: both HMACs x transport (IPv4 with and
 *    without options, IPv6 with hop-by-hop, destination options and a
 *    routing header) and tunnel (4-in-4, 6-in-6, 4-in-6, 6-in-4) x ESN;
 *  - mutable fields, one row each: changing a mutable field keeps the ICV,
 *    changing an immutable one breaks it (ah_cleartos, ah_offsetmask);
 *  - every rejection AH can produce, one row each;
 *  - routing headers: type 0 with segments left, unsupported types;
 *  - every truncation and every bit flip.
 * Seed: PARAPET_SEED (printed).
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

#include "ah.h"
#include "xform_pkt.h"

static uint64_t seed, rng;

static const enum xform_alg auths[] = { XFORM_HMAC_SHA256_128,
	XFORM_HMAC_SHA512_256 };

static const struct shape {
	uint8_t	mode, fam, ofam;
	int	ext;
} shapes[] = {
	{ XFORM_MODE_TRANSPORT, 4, 0, 0 },
	{ XFORM_MODE_TRANSPORT, 4, 0, 1 },
	{ XFORM_MODE_TRANSPORT, 6, 0, 0 },
	{ XFORM_MODE_TRANSPORT, 6, 0, 1 },
	{ XFORM_MODE_TRANSPORT, 6, 0, 2 },
	{ XFORM_MODE_TUNNEL, 4, 4, 1 },
	{ XFORM_MODE_TUNNEL, 6, 6, 2 },
	{ XFORM_MODE_TUNNEL, 4, 6, 0 },
	{ XFORM_MODE_TUNNEL, 6, 4, 1 },
};

static size_t
mkpkt(struct tpkt *t, const struct shape *s, size_t paylen, uint8_t proto)
{
	size_t len;

	if (s->fam == 4)
		len = tp_v4(&rng, t->buf + TP_HEAD, proto, paylen, s->ext != 0);
	else
		len = tp_v6(&rng, t->buf + TP_HEAD, proto, paylen, s->ext);
	tp_init(t, len);
	return len;
}

static int
run(const struct xform_sa *sa, struct tpkt *t, uint32_t seq_hi,
    enum xform_reject *why)
{
	struct ah_in in;
	int rc = ah_parse(&t->p, &in, why);

	if (rc != 0)
		return rc;
	return ah_decap(sa, &t->p, &in, seq_hi, why);
}

/* One random packet through encap and back; k picks the flags. */
static void
round_trip(enum xform_alg auth, const struct shape *sh, size_t k)
{
	struct xform_sa sa;
	struct tpkt t;
	uint8_t orig[TP_MAXPKT];
	enum xform_reject why;
	uint16_t flags = (uint16_t)(((k & 1) ? XFORM_SA_ESN : 0) |
	    ((k & 2) ? XFORM_SA_ECN : 0));
	uint64_t seq = (k & 1) ? prng_next(&rng) | 1 :
	    1 + prng_below(&rng, UINT32_MAX);
	size_t len, off0;
	int rc;

	tp_sa(&sa, &rng, IPPROTO_NUM_AH, XFORM_ALG_NONE, auth, sh->mode, flags,
	    sh->ofam);
	len = mkpkt(&t, sh, prng_below(&rng, 1300), (k & 4) ?
	    IPPROTO_NUM_TCP : IPPROTO_NUM_UDP);
	memcpy(orig, t.buf + TP_HEAD, len);
	off0 = t.p.off;
	assert_int_equal(ah_encap(&sa, &t.p, seq), 0);
	assert_int_equal(off0 - t.p.off, ah_headroom(&sa, sh->fam));
	assert_true(ah_headroom(&sa, 6) <= TP_HEAD);
	assert_int_equal(t.p.off + t.p.len, off0 + len);
	rc = run(&sa, &t, (uint32_t)(seq >> 32), &why);
	if (rc != 0)
		print_message("reject %s\n", xform_reject_str(why));
	assert_int_equal(rc, 0);
	assert_int_equal(t.p.len, len);
	assert_memory_equal(t.buf + t.p.off, orig, len);
	/* The wrong seq_hi fails with ESN. */
	if (k & 1) {
		t.p.off = off0;
		memcpy(t.buf + t.p.off, orig, len);
		t.p.len = len;
		assert_int_equal(ah_encap(&sa, &t.p, seq), 0);
		assert_int_equal(run(&sa, &t, (uint32_t)(seq >> 32) + 1, &why),
		    -EBADMSG);
		assert_int_equal(why, XFORM_REJECT_AH_AUTH);
	}
	tp_sa_free(&sa);
}

static void
test_round_trips(void **state)
{
	size_t a, s, k, n = 0;

	(void)state;
	for (a = 0; a < nitems(auths); a++)
		for (s = 0; s < nitems(shapes); s++)
			for (k = 0; k < 8; k++, n++)
				round_trip(auths[a], &shapes[s], k);
	print_message("%zu round trips\n", n);
}

/* Offsets are in the protected packet (transport: AH after the header). */
static const struct mrow {
	const char	*name;
	int		 fam;
	size_t		 at;
	uint8_t		 xor;
	uint8_t		 cleartos;
	uint16_t	 offsetmask;
	bool		 ok;
} mrows[] = {
	{ "v4 ttl", 4, 8, 0x21, 1, 0, true },
	{ "v4 tos cleared", 4, 1, 0xfc, 1, 0, true },
	{ "v4 tos kept", 4, 1, 0x04, 0, 0, false },
	{ "v4 df masked", 4, 6, 0x40, 1, 0, true },
	{ "v4 df kept", 4, 6, 0x40, 1, 0x4000, false },
	{ "v4 id", 4, 4, 0x01, 1, 0, false },
	{ "v4 src", 4, 12, 0x01, 1, 0, false },
	{ "v4 router alert data", 4, 22, 0x01, 1, 0, false },
	{ "v4 record route data", 4, 28, 0x01, 1, 0, true },
	{ "v4 record route ptr", 4, 27, 0x04, 1, 0, true },
	{ "v4 payload", 4, 36 + 28 + 9, 0x01, 1, 0, false },
	{ "v6 hop limit", 6, 7, 0x33, 1, 0, true },
	{ "v6 traffic class", 6, 1, 0xf0, 1, 0, true },
	{ "v6 flow label", 6, 2, 0xff, 1, 0, true },
	{ "v6 src", 6, 8, 0x01, 1, 0, false },
	{ "v6 hbh router alert", 6, 44, 0x01, 1, 0, false },
	{ "v6 hbh mutable opt", 6, 48, 0x01, 1, 0, true },
	{ "v6 hbh padn", 6, 52, 0x01, 1, 0, false },
	{ "v6 dst mutable opt", 6, 61, 0x80, 1, 0, true },
	{ "v6 dst type", 6, 58, 0x01, 1, 0, false },
};

static void
test_mutable(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(mrows); i++) {
		const struct mrow *r = &mrows[i];
		struct shape s = { XFORM_MODE_TRANSPORT, (uint8_t)r->fam, 0,
			1 };
		struct xform_sa sa;
		struct tpkt t;
		enum xform_reject why;
		uint8_t *p;
		int rc;

		tp_sa(&sa, &rng, IPPROTO_NUM_AH, XFORM_ALG_NONE,
		    XFORM_HMAC_SHA256_128, XFORM_MODE_TRANSPORT, 0, 0);
		sa.ah_cleartos = r->cleartos;
		sa.ah_offsetmask = r->offsetmask;
		mkpkt(&t, &s, 40, IPPROTO_NUM_UDP);
		assert_int_equal(ah_encap(&sa, &t.p, 1), 0);
		p = t.buf + t.p.off;
		p[r->at] ^= r->xor;
		if (r->fam == 4)
			ip4_csum_set(p, 36);
		rc = run(&sa, &t, 0, &why);
		if ((rc == 0) != r->ok)
			print_message("row %s: %d %s\n", r->name, rc,
			    xform_reject_str(why));
		assert_int_equal(rc == 0, r->ok);
		if (!r->ok)
			assert_int_equal(why, XFORM_REJECT_AH_AUTH);
		tp_sa_free(&sa);
	}
}

static void
test_rejects(void **state)
{
	int r;

	(void)state;
	for (r = 1; r < XFORM_REJECT_COUNT; r++) {
		enum xform_reject want = (enum xform_reject)r, why;
		struct shape s = { XFORM_MODE_TRANSPORT, 4, 0, 1 };
		struct xform_sa sa;
		struct tpkt t;
		uint8_t *p;
		int rc;

		if (want != XFORM_REJECT_AH_SHORT &&
		    want != XFORM_REJECT_AH_LEN &&
		    want != XFORM_REJECT_AH_RESERVED &&
		    want != XFORM_REJECT_AH_SPI_ZERO &&
		    want != XFORM_REJECT_AH_SPI &&
		    want != XFORM_REJECT_AH_AUTH &&
		    want != XFORM_REJECT_AH_ROUTING &&
		    want != XFORM_REJECT_AH_NEXTHDR &&
		    want != XFORM_REJECT_INNER &&
		    want != XFORM_REJECT_IP_OPTION &&
		    want != XFORM_REJECT_IP_PROTO &&
		    want != XFORM_REJECT_SA)
			continue;
		if (want == XFORM_REJECT_AH_ROUTING)
			s = (struct shape){ XFORM_MODE_TRANSPORT, 6, 0, 2 };
		tp_sa(&sa, &rng, IPPROTO_NUM_AH, XFORM_ALG_NONE,
		    XFORM_HMAC_SHA256_128, XFORM_MODE_TRANSPORT, 0, 0);
		mkpkt(&t, &s, 40, want == XFORM_REJECT_INNER ?
		    IPPROTO_NUM_IPIP : IPPROTO_NUM_UDP);
		assert_int_equal(ah_encap(&sa, &t.p, 9), 0);
		p = t.buf + t.p.off;
		switch (want) {
		case XFORM_REJECT_AH_SHORT:
			t.p.len = 36 + 20;
			ip_len_set(p, 4, 36, t.p.len);
			break;
		case XFORM_REJECT_AH_LEN:
			p[36 + 1] = 4;	/* 24 bytes: our ICV wants 28 */
			break;
		case XFORM_REJECT_AH_RESERVED:
			p[36 + 3] = 1;
			break;
		case XFORM_REJECT_AH_SPI_ZERO:
			memset(p + 36 + 4, 0, 4);
			break;
		case XFORM_REJECT_AH_SPI:
			sa.spi ^= 0x100;
			break;
		case XFORM_REJECT_AH_AUTH:
			p[36 + 12] ^= 0x80;
			break;
		case XFORM_REJECT_AH_ROUTING:
			/* Type 0 became type 4 (SRH) with a segment left. */
			p[40 + 16 + 8 + 2] = 4;
			p[40 + 16 + 8 + 3] = 1;
			break;
		case XFORM_REJECT_AH_NEXTHDR:
		case XFORM_REJECT_INNER:
			sa.mode = XFORM_MODE_TUNNEL;
			break;
		case XFORM_REJECT_IP_OPTION:
			p[26] = 40;	/* record route runs past the header */
			ip4_csum_set(p, 36);
			break;
		case XFORM_REJECT_IP_PROTO:
			p[9] = IPPROTO_NUM_ESP;
			ip4_csum_set(p, 36);
			break;
		case XFORM_REJECT_SA:
			xform_key_free(tp_key_owned(sa.auth));
			sa.auth = NULL;
			break;
		default:
			break;
		}
		rc = run(&sa, &t, 0, &why);
		if (why != want)
			print_message("row %s: got %s\n",
			    xform_reject_str(want), xform_reject_str(why));
		assert_int_equal(why, want);
		assert_int_equal(rc, xform_reject_errno(want));
		tp_sa_free(&sa);
	}
}

/* A type 0 routing header with segments left, delivered hop by hop. */
static void
test_routing(void **state)
{
	struct shape s = { XFORM_MODE_TRANSPORT, 6, 0, 2 };
	struct xform_sa sa;
	struct tpkt t;
	enum xform_reject why;
	uint8_t *p, *rt, tmp[16], before[TP_CAP];
	size_t len, hop;

	(void)state;
	tp_sa(&sa, &rng, IPPROTO_NUM_AH, XFORM_ALG_NONE,
	    XFORM_HMAC_SHA512_256, XFORM_MODE_TRANSPORT, 0, 0);
	len = mkpkt(&t, &s, 40, IPPROTO_NUM_UDP);
	p = t.buf + TP_HEAD;
	rt = p + 64;
	rt[3] = 2;		/* two segments left */
	assert_int_equal(ah_encap(&sa, &t.p, 3), 0);
	/* The routers: swap the destination with the next address. */
	p = t.buf + t.p.off;
	rt = p + 64;
	for (hop = 0; hop < 2; hop++) {
		uint8_t *a = rt + 8 + 16 * hop;

		memcpy(tmp, a, 16);
		memcpy(a, p + 24, 16);
		memcpy(p + 24, tmp, 16);
		rt[3]--;
	}
	assert_int_equal(run(&sa, &t, 0, &why), 0);
	assert_int_equal(t.p.len, len);
	/* An unsupported type with segments left: refused, unchanged. */
	len = mkpkt(&t, &s, 40, IPPROTO_NUM_UDP);
	p = t.buf + TP_HEAD;
	p[64 + 2] = 3;
	p[64 + 3] = 1;
	memcpy(before, t.buf + TP_HEAD, len);
	assert_int_equal(ah_encap(&sa, &t.p, 3), -EINVAL);
	assert_memory_equal(before, t.buf + TP_HEAD, len);
	assert_int_equal(t.p.off, TP_HEAD);
	assert_int_equal(t.p.len, len);
	/* NAT-T is not defined for AH. */
	sa.flags = XFORM_SA_NATT;
	assert_int_equal(ah_encap(&sa, &t.p, 3), -EINVAL);
	tp_sa_free(&sa);
}

static void
test_malformed(void **state)
{
	size_t s;

	(void)state;
	for (s = 0; s < nitems(shapes); s++) {
		struct xform_sa sa;
		struct tpkt good, t;
		struct ah_in in;
		enum xform_reject why;
		size_t i, bit, ah_from;

		tp_sa(&sa, &rng, IPPROTO_NUM_AH, XFORM_ALG_NONE,
		    XFORM_HMAC_SHA256_128, shapes[s].mode, XFORM_SA_ESN,
		    shapes[s].ofam);
		mkpkt(&good, &shapes[s], 30, IPPROTO_NUM_UDP);
		assert_int_equal(ah_encap(&sa, &good.p, 12), 0);
		assert_int_equal(ah_parse(&good.p, &in, &why), 0);
		ah_from = in.ah_off;
		for (i = 0; i < good.p.len; i++) {
			t = good;
			t.p.buf = t.buf;
			t.p.len = i;
			assert_true(ah_parse(&t.p, &in, &why) < 0 ||
			    ah_decap(&sa, &t.p, &in, 0, &why) < 0);
		}
		for (bit = 0; bit < good.p.len * 8; bit++) {
			int rc;

			t = good;
			t.p.buf = t.buf;
			t.buf[t.p.off + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			rc = ah_parse(&t.p, &in, &why);
			if (rc == 0)
				rc = ah_decap(&sa, &t.p, &in, 0, &why);
			if (bit / 8 >= ah_from ||
			    good.buf[good.p.off] >> 4 == 4)
				assert_true(rc < 0);
		}
		tp_sa_free(&sa);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_mutable),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_malformed),
	};

	if (xform_init() != 0)
		return 1;
	seed = prng_seed_env();
	rng = seed | 1;
	printf("test_ah: seed %" PRIu64 " (PARAPET_SEED)\n", seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
