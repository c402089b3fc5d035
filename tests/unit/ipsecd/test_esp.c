/*
 * test_esp.c - ESP encapsulation and decapsulation (servers/ipsecd/esp.c).
 *
 *  - round trips of random packets: every transform x transport (IPv4,
 *    IPv4 with options, IPv6, IPv6 with extension headers) and tunnel
 *    (4-in-4, 6-in-6, 4-in-6, 6-in-4) x ESN x NAT-T x padding mode, in
 *    slots with ipsecd's default headroom 128 and tailroom 64;
 *  - every inbound rejection reason ESP can produce, one row each;
 *  - the malformed-packet suite: every truncation, every bit flip;
 *  - buffer room, sequence limits, TFC padding, NAT-OA checksums, ECN.
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

#include "esp.h"
#include "xform_pkt.h"

static uint64_t seed, rng;

static const enum xform_alg encs[][2] = {
	{ XFORM_AES256GCM16, XFORM_ALG_NONE },
	{ XFORM_CHACHA20POLY1305, XFORM_ALG_NONE },
	{ XFORM_NULL, XFORM_HMAC_SHA256_128 },
	{ XFORM_NULL, XFORM_HMAC_SHA512_256 },
};

/* mode, inner family, outer family, extension headers/options */
static const struct shape {
	uint8_t	mode, fam, ofam;
	int	ext;
} shapes[] = {
	{ XFORM_MODE_TRANSPORT, 4, 0, 0 },
	{ XFORM_MODE_TRANSPORT, 4, 0, 1 },
	{ XFORM_MODE_TRANSPORT, 6, 0, 0 },
	{ XFORM_MODE_TRANSPORT, 6, 0, 2 },
	{ XFORM_MODE_TUNNEL, 4, 4, 0 },
	{ XFORM_MODE_TUNNEL, 6, 6, 1 },
	{ XFORM_MODE_TUNNEL, 4, 6, 1 },
	{ XFORM_MODE_TUNNEL, 6, 4, 0 },
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

static void
pad_random(void *arg, uint8_t *buf, size_t n)
{
	(void)arg;
	tp_fill(&rng, buf, n);
}

/* One random packet through encap, parse and decap; k picks the flags. */
static void
round_trip(size_t e, const struct shape *sh, size_t k)
{
	uint16_t flags = (uint16_t)(((k & 1) ? XFORM_SA_ESN : 0) |
	    ((k & 2) ? XFORM_SA_NATT : 0) | ((k & 4) ? XFORM_SA_ECN : 0));
	struct xform_sa sa;
	struct tpkt t;
	uint8_t orig[TP_MAXPKT];
	struct esp_in in;
	enum xform_reject why;
	size_t len, off0;
	uint64_t seq = (k & 1) ? prng_next(&rng) | 1 :
	    1 + prng_below(&rng, UINT32_MAX);
	uint8_t proto = (k & 8) ? IPPROTO_NUM_TCP : IPPROTO_NUM_UDP;
	int rc;

	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, encs[e][0], encs[e][1], sh->mode,
	    flags, sh->ofam);
	sa.pad = (uint8_t)(k % 3);
	sa.pad_fill = pad_random;
	len = mkpkt(&t, sh, prng_below(&rng, 1300), proto);
	memcpy(orig, t.buf + TP_HEAD, len);
	off0 = t.p.off;
	assert_int_equal(esp_encap(&sa, &t.p, seq, prng_next(&rng)), 0);
	/* The buffer contract holds, exactly. */
	assert_true(off0 - t.p.off <= esp_headroom(&sa));
	assert_true(t.p.off + t.p.len - (off0 + len) <= esp_tailroom(&sa));
	assert_true(esp_headroom(&sa) <= TP_HEAD);
	assert_true(esp_tailroom(&sa) <= TP_TAIL);
	assert_int_equal(esp_parse(&t.p, &in, &why), 0);
	assert_int_equal(in.spi, sa.spi);
	assert_int_equal(in.seq_lo, (uint32_t)seq);
	assert_int_equal(in.natt, (flags & XFORM_SA_NATT) != 0);
	if (flags & XFORM_SA_ESN) {
		/* The high bits are in the ICV: a wrong seq_hi fails. */
		struct tpkt t2 = t;

		t2.p.buf = t2.buf;
		assert_int_equal(esp_decap(&sa, &t2.p, &in,
		    (uint32_t)(seq >> 32) ^ 1, &why), -EBADMSG);
		assert_int_equal(why, XFORM_REJECT_ESP_AUTH);
	}
	rc = esp_decap(&sa, &t.p, &in, (uint32_t)(seq >> 32), &why);
	if (rc != 0)
		print_message("reject %s\n", xform_reject_str(why));
	assert_int_equal(rc, 0);
	assert_int_equal(t.p.len, len);
	assert_memory_equal(t.buf + t.p.off, orig, len);
	tp_sa_free(&sa);
}

static void
test_round_trips(void **state)
{
	size_t e, s, k, n = 0;

	(void)state;
	for (e = 0; e < nitems(encs); e++) {
		if (xform_get(encs[e][0]) == NULL) {
			print_message("skip %s: not available\n",
			    xform_name(encs[e][0]));
			continue;
		}
		for (s = 0; s < nitems(shapes); s++)
			for (k = 0; k < 16; k++, n++)
				round_trip(e, &shapes[s], k);
	}
	print_message("%zu round trips\n", n);
}

/* A valid ESP packet for the reject rows: NULL + HMAC-SHA-256, v4. */
struct fixture {
	struct xform_sa	sa;
	struct tpkt	t;
	struct esp_in	in;
};

static void
fx_make(struct fixture *f, uint8_t mode, uint16_t flags, uint8_t ofam)
{
	struct shape s = { mode, 4, ofam, 0 };

	tp_sa(&f->sa, &rng, IPPROTO_NUM_ESP, XFORM_NULL,
	    XFORM_HMAC_SHA256_128, mode, flags, ofam);
	mkpkt(&f->t, &s, 37, IPPROTO_NUM_UDP);
	assert_int_equal(esp_encap(&f->sa, &f->t.p, 5, 0), 0);
}

/*
 * Build an authenticated NULL-encryption ESP packet around an arbitrary
 * plaintext (payload, padding, pad length, next header): for rows whose
 * defect lies inside the ICV.
 */
static void
fx_craft(struct fixture *f, uint8_t mode, const uint8_t *pt, size_t ptlen)
{
	uint8_t *p;
	size_t len = IP4_HDR_BYTES + ESP_HDR_BYTES + ptlen + 16;
	struct xform_mac_ctx ctx;
	const struct xform *xf;
	uint8_t d[XFORM_DIGEST_MAX];

	tp_sa(&f->sa, &rng, IPPROTO_NUM_ESP, XFORM_NULL,
	    XFORM_HMAC_SHA256_128, mode, 0, mode == XFORM_MODE_TUNNEL ? 4 : 0);
	p = f->t.buf + TP_HEAD;
	tp_v4(&rng, p, IPPROTO_NUM_ESP, 0, false);
	ip_len_set(p, 4, IP4_HDR_BYTES, len);
	p[20] = (uint8_t)(f->sa.spi >> 24);
	p[21] = (uint8_t)(f->sa.spi >> 16);
	p[22] = (uint8_t)(f->sa.spi >> 8);
	p[23] = (uint8_t)f->sa.spi;
	memset(p + 24, 0, 3);
	p[27] = 9;
	memcpy(p + 28, pt, ptlen);
	xf = xform_key_xform(f->sa.auth);
	xf->mac_init(f->sa.auth, &ctx);
	xf->mac_update(&ctx, p + 20, ESP_HDR_BYTES + ptlen);
	xf->mac_final(&ctx, d);
	memcpy(p + 28 + ptlen, d, 16);
	tp_init(&f->t, len);
}

static int
run(struct fixture *f, enum xform_reject *why)
{
	int rc = esp_parse(&f->t.p, &f->in, why);

	if (rc != 0)
		return rc;
	return esp_decap(&f->sa, &f->t.p, &f->in, 0, why);
}

static void
fix_v4len(struct fixture *f, size_t len)
{
	f->t.p.len = len;
	ip_len_set(f->t.buf + f->t.p.off, 4, IP4_HDR_BYTES, len);
}

/* Rows of the IP and UDP layers: set f up to hit want. */
static bool
setup_outer(struct fixture *f, enum xform_reject want)
{
	uint8_t *p = NULL;

	switch (want) {
	case XFORM_REJECT_IP_SHORT:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.p.len = 10;
		break;
	case XFORM_REJECT_IP_VERSION:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.buf[f->t.p.off] = 0x55;
		break;
	case XFORM_REJECT_IP_HLEN:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.buf[f->t.p.off] = 0x44;
		break;
	case XFORM_REJECT_IP_LEN:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.p.len -= 1;
		break;
	case XFORM_REJECT_IP_CSUM:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.buf[f->t.p.off + 8] ^= 1;
		break;
	case XFORM_REJECT_IP_FRAGMENT:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		p = f->t.buf + f->t.p.off;
		p[6] |= 0x20;	/* MF */
		ip4_csum_set(p, IP4_HDR_BYTES);
		break;
	case XFORM_REJECT_IP_PROTO:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		p = f->t.buf + f->t.p.off;
		p[9] = IPPROTO_NUM_TCP;
		ip4_csum_set(p, IP4_HDR_BYTES);
		break;
	case XFORM_REJECT_UDP_SHORT:
		fx_make(f, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		fix_v4len(f, IP4_HDR_BYTES + 6);
		break;
	case XFORM_REJECT_UDP_LEN:
		fx_make(f, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		f->t.buf[f->t.p.off + 25] ^= 4;
		break;
	case XFORM_REJECT_UDP_PORT:
		fx_make(f, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		f->sa.natt_dport = 4501;
		break;
	case XFORM_REJECT_UDP_CSUM: {
		struct shape s = { XFORM_MODE_TUNNEL, 4, 6, 0 };

		tp_sa(&f->sa, &rng, IPPROTO_NUM_ESP,
		    XFORM_CHACHA20POLY1305, XFORM_ALG_NONE,
		    XFORM_MODE_TUNNEL, XFORM_SA_NATT, 6);
		mkpkt(&f->t, &s, 20, IPPROTO_NUM_UDP);
		assert_int_equal(esp_encap(&f->sa, &f->t.p, 1, 1), 0);
		f->t.buf[f->t.p.off + 46] = 0;
		f->t.buf[f->t.p.off + 47] = 0;
		break;
	}
	case XFORM_REJECT_NATT_KEEPALIVE:
	case XFORM_REJECT_NATT_IKE:
		fx_make(f, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		p = f->t.buf + f->t.p.off;
		if (want == XFORM_REJECT_NATT_KEEPALIVE) {
			p[28] = 0xff;
			p[24] = 0;
			p[25] = 9;
			fix_v4len(f, 29);
		} else
			memset(p + 28, 0, 4);
		break;
	case XFORM_REJECT_NATT_UNEXPECTED:
		fx_make(f, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		f->sa.flags = 0;
		break;
	case XFORM_REJECT_NATT_MISSING:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->sa.flags = XFORM_SA_NATT;
		break;
	default:
		return false;
	}
	return true;
}

/* Rows of ESP itself and of what it carries. */
static bool
setup_esp(struct fixture *f, enum xform_reject want)
{
	uint8_t *p = NULL;

	switch (want) {
	case XFORM_REJECT_ESP_SHORT:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		fix_v4len(f, IP4_HDR_BYTES + ESP_HDR_BYTES + 16);
		break;
	case XFORM_REJECT_ESP_SPI_ZERO:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		memset(f->t.buf + f->t.p.off + 20, 0, 4);
		break;
	case XFORM_REJECT_ESP_SPI:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->sa.spi ^= 1;
		break;
	case XFORM_REJECT_ESP_ALIGN:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		fix_v4len(f, f->t.p.len - 1);
		break;
	case XFORM_REJECT_ESP_AUTH:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		f->t.buf[f->t.p.off + 30] ^= 0x10;
		break;
	case XFORM_REJECT_ESP_PADLEN: {
		static const uint8_t pt[8] = { 1, 2, 3, 4, 5, 6, 7, 17 };

		fx_craft(f, XFORM_MODE_TRANSPORT, pt, sizeof(pt));
		break;
	}
	case XFORM_REJECT_ESP_PAD: {
		static const uint8_t pt[8] = { 9, 9, 9, 1, 3, 2, 2, 17 };

		fx_craft(f, XFORM_MODE_TRANSPORT, pt, sizeof(pt));
		break;
	}
	case XFORM_REJECT_ESP_DUMMY: {
		static const uint8_t pt[8] = { 9, 9, 9, 9, 9, 9, 0, 59 };

		fx_craft(f, XFORM_MODE_TRANSPORT, pt, sizeof(pt));
		break;
	}
	case XFORM_REJECT_ESP_NEXTHDR: {
		static const uint8_t pt[8] = { 9, 9, 9, 9, 9, 9, 0, 6 };

		fx_craft(f, XFORM_MODE_TUNNEL, pt, sizeof(pt));
		break;
	}
	case XFORM_REJECT_INNER: {
		static const uint8_t pt[8] = { 0x45, 9, 9, 9, 9, 9, 0, 4 };

		fx_craft(f, XFORM_MODE_TUNNEL, pt, sizeof(pt));
		break;
	}
	case XFORM_REJECT_ECN: {
		struct shape s = { XFORM_MODE_TUNNEL, 4, 4, 0 };

		/* Inner Not-ECT, CE set on the way: RFC 6040 drops. */
		tp_sa(&f->sa, &rng, IPPROTO_NUM_ESP, XFORM_NULL,
		    XFORM_HMAC_SHA256_128, XFORM_MODE_TUNNEL, 0, 4);
		mkpkt(&f->t, &s, 20, IPPROTO_NUM_UDP);
		ip_tos_set(f->t.buf + TP_HEAD, 4,
		    f->t.buf[TP_HEAD + 1] & 0xfc);
		assert_int_equal(esp_encap(&f->sa, &f->t.p, 2, 0), 0);
		p = f->t.buf + f->t.p.off;
		ip_tos_set(p, 4, (uint8_t)(p[1] | 3));
		f->sa.flags = XFORM_SA_ECN;
		break;
	}
	case XFORM_REJECT_SA:
		fx_make(f, XFORM_MODE_TRANSPORT, 0, 0);
		xform_key_free(tp_key_owned(f->sa.auth));
		f->sa.auth = NULL;
		break;
	default:
		return false;
	}
	return true;
}

static void
test_rejects(void **state)
{
	struct fixture f;
	enum xform_reject why;
	int rc, r;

	(void)state;
	for (r = 1; r < XFORM_REJECT_COUNT; r++) {
		enum xform_reject want = (enum xform_reject)r;

		memset(&f, 0, sizeof(f));
		/* AH's rows, and IP rows ESP cannot reach, are test_ah's. */
		if (!setup_outer(&f, want) && !setup_esp(&f, want))
			continue;
		rc = run(&f, &why);
		if (why != want)
			print_message("row %s: got %s (%d)\n",
			    xform_reject_str(want), xform_reject_str(why), rc);
		assert_int_equal(why, want);
		if (xform_reject_silent(want))
			assert_int_equal(rc, XFORM_DROP);
		else
			assert_int_equal(rc, xform_reject_errno(want));
		assert_true(rc != 0);
		tp_sa_free(&f.sa);
	}
}

/*
 * Bytes a flipped bit may change without a rejection: IPv6 header fields
 * outside ESP's ICV (addresses, flow label, hop limit...), the NAT-T UDP
 * source port (NAT rebinding is the caller's to see) and IPv4 UDP
 * checksum (RFC 3948: not checked).
 */
static bool
flip_may_pass(const struct tpkt *good, bool natt, size_t at, size_t esp_from)
{
	if (natt && at < esp_from && at >= esp_from - 8 &&
	    (at < esp_from - 6 || at >= esp_from - 2))
		return true;
	return at < esp_from && good->buf[good->p.off] >> 4 == 6;
}

static void
malformed_one(size_t e, size_t s)
{
	struct xform_sa sa;
	struct tpkt good, t;
	struct esp_in in;
	enum xform_reject why;
	size_t i, bit, esp_from;
	bool natt;

	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, encs[e][0], encs[e][1],
	    shapes[s].mode, (s & 1) ? XFORM_SA_NATT | XFORM_SA_ESN : 0,
	    shapes[s].ofam);
	mkpkt(&good, &shapes[s], 40, IPPROTO_NUM_UDP);
	assert_int_equal(esp_encap(&sa, &good.p, 77, 3), 0);
	assert_int_equal(esp_parse(&good.p, &in, &why), 0);
	esp_from = in.esp_off;
	natt = in.natt;
	for (i = 0; i < good.p.len; i++) {
		t = good;
		t.p.buf = t.buf;
		t.p.len = i;
		assert_true(esp_parse(&t.p, &in, &why) < 0 ||
		    esp_decap(&sa, &t.p, &in, 0, &why) < 0);
	}
	for (bit = 0; bit < good.p.len * 8; bit++) {
		int rc;

		t = good;
		t.p.buf = t.buf;
		t.buf[t.p.off + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = esp_parse(&t.p, &in, &why);
		if (rc == 0)
			rc = esp_decap(&sa, &t.p, &in, 0, &why);
		if (rc >= 0 && !flip_may_pass(&good, natt, bit / 8, esp_from)) {
			print_message("%s shape %zu: bit %zu accepted\n",
			    xform_name(encs[e][0]), s, bit);
			fail();
		}
	}
	tp_sa_free(&sa);
}

/* Every truncation and every bit flip of valid packets is rejected. */
static void
test_malformed(void **state)
{
	size_t e, s;

	(void)state;
	for (e = 0; e < nitems(encs); e++)
		if (xform_get(encs[e][0]) != NULL)
			for (s = 0; s < nitems(shapes); s++)
				malformed_one(e, s);
}

static void
test_room_and_seq(void **state)
{
	struct xform_sa sa;
	struct tpkt t;
	struct shape s = { XFORM_MODE_TUNNEL, 6, 6, 0 };
	uint8_t before[TP_CAP];
	size_t len;

	(void)state;
	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_CHACHA20POLY1305,
	    XFORM_ALG_NONE, XFORM_MODE_TUNNEL, XFORM_SA_NATT, 6);
	len = mkpkt(&t, &s, 101, IPPROTO_NUM_UDP);
	/* Headroom one short, then tailroom one short: nothing changes. */
	t.p.off = esp_headroom(&sa) - 1;
	memmove(t.buf + t.p.off, t.buf + TP_HEAD, len);
	t.p.cap = t.p.off + len + TP_TAIL;
	memcpy(before, t.buf, sizeof(before));
	assert_int_equal(esp_encap(&sa, &t.p, 1, 1), -EMSGSIZE);
	assert_memory_equal(before, t.buf, sizeof(before));
	memmove(t.buf + TP_HEAD, t.buf + t.p.off, len);
	t.p.off = TP_HEAD;
	/* 101 + 8 UDP + 40: 149 + 2 -> pad 1: tail 1 + 2 + 16 = 19. */
	t.p.cap = TP_HEAD + len + 18;
	memcpy(before, t.buf, sizeof(before));
	assert_int_equal(esp_encap(&sa, &t.p, 1, 1), -EMSGSIZE);
	assert_memory_equal(before, t.buf, sizeof(before));
	t.p.cap = TP_HEAD + len + 19;
	assert_int_equal(esp_encap(&sa, &t.p, 1, 1), 0);
	/* Without ESN the sequence number is 32 bits. */
	(void)mkpkt(&t, &s, 10, IPPROTO_NUM_UDP);
	assert_int_equal(esp_encap(&sa, &t.p, UINT64_C(1) << 32, 9), -ERANGE);
	assert_int_equal(esp_encap(&sa, &t.p, UINT32_MAX, 9), 0);
	/* A broken inner packet is refused. */
	(void)mkpkt(&t, &s, 10, IPPROTO_NUM_UDP);
	t.buf[TP_HEAD] = 0x70;
	assert_int_equal(esp_encap(&sa, &t.p, 3, 3), -EINVAL);
	tp_sa_free(&sa);
	/* An SA without a key, an AEAD with an auth key: refused. */
	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_NULL, XFORM_ALG_NONE,
	    XFORM_MODE_TRANSPORT, 0, 0);
	(void)mkpkt(&t, &s, 10, IPPROTO_NUM_UDP);
	assert_int_equal(esp_encap(&sa, &t.p, 3, 3), -EINVAL);
	tp_sa_free(&sa);
}

static void
test_tfc_and_pad(void **state)
{
	struct xform_sa sa;
	struct tpkt t;
	struct shape s = { XFORM_MODE_TUNNEL, 4, 4, 0 };
	struct esp_in in;
	enum xform_reject why;
	uint8_t orig[TP_MAXPKT];
	size_t len;

	(void)state;
	tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_NULL, XFORM_HMAC_SHA512_256,
	    XFORM_MODE_TUNNEL, 0, 4);
	sa.tfc_bytes = 20;
	sa.pad = XFORM_PAD_ZERO;
	len = mkpkt(&t, &s, 33, IPPROTO_NUM_UDP);
	memcpy(orig, t.buf + TP_HEAD, len);
	assert_int_equal(esp_encap(&sa, &t.p, 1, 0), 0);
	/* 20 outer + 8 + inner + 20 TFC + pad + 2 + 32. */
	assert_int_equal(t.p.len % 4, 0);
	assert_true(t.p.len >= 20 + 8 + len + 20 + 2 + 32);
	assert_int_equal(esp_parse(&t.p, &in, &why), 0);
	assert_int_equal(esp_decap(&sa, &t.p, &in, 0, &why), 0);
	assert_int_equal(t.p.len, len);
	assert_memory_equal(t.buf + t.p.off, orig, len);
	/* Zero padding is not the self-describing kind. */
	(void)mkpkt(&t, &s, 33, IPPROTO_NUM_UDP);
	assert_int_equal(esp_encap(&sa, &t.p, 2, 0), 0);
	sa.pad = XFORM_PAD_SEQ;
	assert_int_equal(esp_parse(&t.p, &in, &why), 0);
	/* 61 inner + 20 TFC + 2 = 83 -> pad 1 (zero): not "1". */
	assert_int_equal(esp_decap(&sa, &t.p, &in, 0, &why), -EBADMSG);
	assert_int_equal(why, XFORM_REJECT_ESP_PAD);
	tp_sa_free(&sa);
}

/* RFC 3948 §3.1.2: the TCP/UDP checksum with the original addresses. */
static void
test_natt_oa(void **state)
{
	static const uint8_t nat_src[4] = { 203, 0, 113, 7 };
	int proto;

	(void)state;
	for (proto = 0; proto < 3; proto++) {
		struct xform_sa sa;
		struct tpkt t;
		struct shape s = { XFORM_MODE_TRANSPORT, 4, 0, 0 };
		struct esp_in in;
		struct ip_info ii;
		enum xform_reject why;
		uint8_t *p;
		uint8_t l4 = proto == 0 ? IPPROTO_NUM_TCP : IPPROTO_NUM_UDP;
		size_t len;

		tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_CHACHA20POLY1305,
		    XFORM_ALG_NONE, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		len = mkpkt(&t, &s, 51, l4);
		p = t.buf + TP_HEAD;
		tp_l4_csum(p, len);	/* with the peer's own address */
		if (proto == 2) {	/* IPv4 UDP without a checksum */
			p[26] = p[27] = 0;
		}
		assert_int_equal(esp_encap(&sa, &t.p, 1, 1), 0);
		/* A NAT rewrites the outer source. */
		p = t.buf + t.p.off;
		memcpy(p + 12, nat_src, 4);
		ip4_csum_set(p, IP4_HDR_BYTES);
		sa.natt_oa_src.family = 4;
		memcpy(sa.natt_oa_src.a, tp_v4_src, 4);
		assert_int_equal(esp_parse(&t.p, &in, &why), 0);
		assert_int_equal(esp_decap(&sa, &t.p, &in, 0, &why), 0);
		p = t.buf + t.p.off;
		assert_int_equal(ip_hdr_parse(p, t.p.len, IP_WALK_ALL, &ii,
		    &why), 0);
		assert_memory_equal(ii.src.a, nat_src, 4);
		if (proto == 2)
			assert_int_equal(p[26] << 8 | p[27], 0);
		else
			assert_int_equal(ip_l4_csum(&ii, l4, p + 20, len - 20),
			    0);
		tp_sa_free(&sa);
	}
}

/* RFC 6040 through a tunnel: encap copies, decap combines. */
static void
test_ecn(void **state)
{
	int inner, outer;

	(void)state;
	for (inner = 0; inner < 4; inner++) {
		for (outer = 0; outer < 4; outer++) {
			struct xform_sa sa;
			struct tpkt t;
			struct shape s = { XFORM_MODE_TUNNEL, 6, 4, 0 };
			struct esp_in in;
			struct ip_info ii;
			enum xform_reject why;
			uint8_t *p;
			int want = ip_ecn_decap((uint8_t)outer, (uint8_t)inner);
			int rc;

			tp_sa(&sa, &rng, IPPROTO_NUM_ESP,
			    XFORM_CHACHA20POLY1305, XFORM_ALG_NONE,
			    XFORM_MODE_TUNNEL, XFORM_SA_ECN, 4);
			mkpkt(&t, &s, 30, IPPROTO_NUM_UDP);
			p = t.buf + TP_HEAD;
			ip_tos_set(p, 6, (uint8_t)(0xb8 | inner));
			assert_int_equal(esp_encap(&sa, &t.p, 1, 1), 0);
			p = t.buf + t.p.off;
			assert_int_equal(p[1], 0xb8 | inner);
			ip_tos_set(p, 4, (uint8_t)(0xb8 | outer));
			assert_int_equal(esp_parse(&t.p, &in, &why), 0);
			rc = esp_decap(&sa, &t.p, &in, 0, &why);
			if (want < 0) {
				assert_int_equal(why, XFORM_REJECT_ECN);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(ip_hdr_parse(t.buf + t.p.off,
				    t.p.len, IP_WALK_ALL, &ii, &why), 0);
				assert_int_equal(ii.tos, 0xb8 | want);
			}
			tp_sa_free(&sa);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_room_and_seq),
		cmocka_unit_test(test_tfc_and_pad),
		cmocka_unit_test(test_natt_oa),
		cmocka_unit_test(test_ecn),
	};

	if (xform_init() != 0)
		return 1;
	seed = prng_seed_env();
	rng = seed | 1;
	printf("test_esp: seed %" PRIu64 " (PARAPET_SEED)\n", seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
