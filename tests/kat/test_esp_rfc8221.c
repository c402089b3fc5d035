/*
 * test_esp_rfc8221.c - ESP and AH with the algorithms the OpenSSL backend
 * adds (AES-GCM-16 128/192, AES-GMAC, AES-CBC, AES-CTR, HMAC-SHA-1-96,
 * HMAC-SHA-384-192, AES-XCBC-MAC-96), through the packet code: random
 * packets in ring-sized slots (headroom 128, tailroom 64) in every shape
 * (transport/tunnel, IPv4/IPv6, ESN, NAT-T) come back byte for byte; a
 * flipped bit in what ESP/AH protect is refused; AES-CBC carries a
 * 16-byte IV that differs per packet and is not the counter, pads to 16
 * and refuses a ciphertext that is not a multiple of 16; AES-CTR's IV is
 * the counter; AES-GMAC leaves the payload readable. In the
 * libsodium-only build these algorithms are absent: exit 77.
 */
#include <stdio.h>
#include <string.h>

#include "ah.h"
#include "esp.h"
#include "xform_pkt.h"

static int failures, checks;
static uint64_t seed;

static void
check(bool ok, const char *what, const char *alg, int shape)
{
	checks++;
	if (ok)
		return;
	failures++;
	printf("FAIL %s: %s (shape %d, PARAPET_SEED=%llu)\n", alg, what, shape,
	    (unsigned long long)seed);
}

static const struct combo {
	enum xform_alg	enc, auth;
} esp_combos[] = {
	{ XFORM_AES128GCM16, XFORM_ALG_NONE },
	{ XFORM_AES192GCM16, XFORM_ALG_NONE },
	{ XFORM_AES128GMAC, XFORM_ALG_NONE },
	{ XFORM_AES192GMAC, XFORM_ALG_NONE },
	{ XFORM_AES256GMAC, XFORM_ALG_NONE },
	{ XFORM_AES128CBC, XFORM_HMAC_SHA1_96 },
	{ XFORM_AES192CBC, XFORM_HMAC_SHA256_128 },
	{ XFORM_AES256CBC, XFORM_HMAC_SHA384_192 },
	{ XFORM_AES128CBC, XFORM_HMAC_SHA512_256 },
	{ XFORM_AES256CBC, XFORM_AES_XCBC_96 },
	{ XFORM_AES128CTR, XFORM_HMAC_SHA1_96 },
	{ XFORM_AES192CTR, XFORM_HMAC_SHA384_192 },
	{ XFORM_AES256CTR, XFORM_AES_XCBC_96 },
	{ XFORM_NULL, XFORM_HMAC_SHA1_96 },
	{ XFORM_NULL, XFORM_HMAC_SHA384_192 },
	{ XFORM_NULL, XFORM_AES_XCBC_96 },
};

static const enum xform_alg ah_algs[] = { XFORM_HMAC_SHA1_96,
	XFORM_HMAC_SHA384_192, XFORM_AES_XCBC_96 };

/* Shapes: mode, inner family, tunnel family, flags. */
static const struct shape {
	uint8_t		mode, fam, tfam;
	uint16_t	flags;
} shapes[] = {
	{ XFORM_MODE_TRANSPORT, 4, 0, 0 },
	{ XFORM_MODE_TRANSPORT, 6, 0, XFORM_SA_ESN },
	{ XFORM_MODE_TRANSPORT, 4, 0, XFORM_SA_NATT },
	{ XFORM_MODE_TUNNEL, 4, 6, XFORM_SA_ESN },
	{ XFORM_MODE_TUNNEL, 6, 4, XFORM_SA_NATT | XFORM_SA_ESN },
	{ XFORM_MODE_TUNNEL, 6, 6, 0 },
};

static size_t
packet(uint64_t *rng, struct tpkt *t, uint8_t fam, size_t pay)
{
	size_t len = fam == 4 ?
	    tp_v4(rng, t->buf + TP_HEAD, IPPROTO_NUM_UDP, pay, false) :
	    tp_v6(rng, t->buf + TP_HEAD, IPPROTO_NUM_UDP, pay, 1);

	tp_init(t, len);
	return len;
}

/* The ESP header's offset in an encapsulated packet. */
static size_t
esp_at(const struct tpkt *t)
{
	struct esp_in in;
	enum xform_reject why;

	return esp_parse(&t->p, &in, &why) == 0 ? in.esp_off : 0;
}

static void
cbc_checks(const struct xform_sa *sa, struct tpkt t[2], uint64_t ctr,
    const char *name, int s)
{
	const struct xform *xf = xform_key_xform(sa->enc);
	const struct xform *ax;
	size_t o0 = esp_at(&t[0]), o1 = esp_at(&t[1]);
	uint8_t cbe[8];

	if (xf->kind != XFORM_KIND_CIPHER)
		return;
	ax = xform_key_xform(sa->auth);

	xform_be64_put(cbe, ctr);
	if (xf->iv_bytes == 16) {
		check(memcmp(t[0].buf + t[0].p.off + o0 + 8,
		    t[1].buf + t[1].p.off + o1 + 8, 16) != 0, "CBC IVs differ",
		    name, s);
		check(memcmp(t[0].buf + t[0].p.off + o0 + 8 + 8, cbe, 8) != 0,
		    "CBC IV is not the counter", name, s);
		check((t[0].p.off + t[0].p.len - (t[0].p.off + o0) - 8 - 16 -
		    ax->icv_bytes) % 16 == 0, "CBC pads to 16", name, s);
	} else if (xf->iv_bytes == 8)
		check(memcmp(t[0].buf + t[0].p.off + o0 + 8, cbe, 8) == 0,
		    "CTR IV is the counter", name, s);
}

/* Encap one packet, check it, decap; then flip one bit: refused. */
static void
esp_one(uint64_t *rng, const struct combo *c, const struct shape *sh,
    int s)
{
	struct xform_sa sa;
	struct tpkt t[2], saved;
	uint8_t orig[TP_CAP];
	struct esp_in in;
	enum xform_reject why;
	const char *name = xform_name(c->enc);
	uint64_t ctr = prng_next(rng), seq = 1 + prng_below(rng, 1u << 31);
	size_t len = 0, n, bit, i;

	tp_sa(&sa, rng, IPPROTO_NUM_ESP, c->enc, c->auth, sh->mode, sh->flags,
	    sh->tfam);
	check(esp_headroom(&sa) <= TP_HEAD && esp_tailroom(&sa) <= TP_TAIL,
	    "fits the ring's head/tailroom", name, s);
	for (i = 0; i < 2; i++) {
		n = packet(rng, &t[i], sh->fam, (size_t)prng_below(rng, 1300));
		if (i == 0) {
			memcpy(orig, t[0].buf + TP_HEAD, n);
			len = n;
		}
		check(esp_encap(&sa, &t[i].p, seq + i, ctr + i) == 0,
		    "esp_encap", name, s);
	}
	cbc_checks(&sa, t, ctr, name, s);
	if (c->enc >= XFORM_AES128GMAC && c->enc <= XFORM_AES256GMAC)
		/* The UDP header (the last 8 bytes at least) stays clear. */
		check(memmem(t[0].buf + t[0].p.off, t[0].p.len,
		    orig + len - 8, 8) != NULL, "GMAC payload readable",
		    name, s);
	saved = t[0];
	check(esp_parse(&t[0].p, &in, &why) == 0 && esp_decap(&sa, &t[0].p,
	    &in, 0, &why) == 0 && t[0].p.len == len &&
	    memcmp(t[0].buf + t[0].p.off, orig, len) == 0, "round trip", name,
	    s);
	/* One flipped bit from the ESP header on: refused. */
	t[0] = saved;
	t[0].p.buf = t[0].buf;
	bit = (esp_at(&t[0]) * 8) + (size_t)prng_below(rng,
	    (t[0].p.len - esp_at(&t[0])) * 8);
	t[0].buf[t[0].p.off + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	check(esp_parse(&t[0].p, &in, &why) != 0 || esp_decap(&sa, &t[0].p,
	    &in, 0, &why) != 0, "flipped bit refused", name, s);
	tp_sa_free(&sa);
}

static void
ah_one(uint64_t *rng, enum xform_alg alg, const struct shape *sh, int s)
{
	struct xform_sa sa;
	struct tpkt t;
	uint8_t orig[TP_CAP], copy[TP_CAP];
	struct ah_in in;
	enum xform_reject why;
	size_t len;
	struct xform_pkt p;

	tp_sa(&sa, rng, IPPROTO_NUM_AH, XFORM_ALG_NONE, alg, sh->mode,
	    (uint16_t)(sh->flags & XFORM_SA_ESN), sh->tfam);
	len = packet(rng, &t, sh->fam, (size_t)prng_below(rng, 1300));
	memcpy(orig, t.buf + TP_HEAD, len);
	check(ah_encap(&sa, &t.p, 7) == 0, "ah_encap", xform_name(alg), s);
	memcpy(copy, t.buf, sizeof(copy));
	p = t.p;
	check(ah_parse(&t.p, &in, &why) == 0 && ah_decap(&sa, &t.p, &in, 0,
	    &why) == 0 && t.p.len == len && memcmp(t.buf + t.p.off, orig,
	    len) == 0, "AH round trip", xform_name(alg), s);
	/* The last payload byte flipped: refused. */
	memcpy(t.buf, copy, sizeof(copy));
	t.p = p;
	t.buf[t.p.off + t.p.len - 1] ^= 0x40;
	check(ah_parse(&t.p, &in, &why) != 0 || ah_decap(&sa, &t.p, &in, 0,
	    &why) != 0, "AH flipped bit refused", xform_name(alg), s);
	tp_sa_free(&sa);
}

int
main(void)
{
	uint64_t rng;
	size_t c, s, r;

	seed = prng_seed_env();
	rng = seed;
	if (xform_init() != 0)
		return 1;
	if (xform_get(XFORM_AES128CBC) == NULL) {
		printf("SKIP: no OpenSSL backend in this build\n");
		return 77;
	}
	for (r = 0; r < 8; r++)
		for (s = 0; s < nitems(shapes); s++) {
			for (c = 0; c < nitems(esp_combos); c++)
				esp_one(&rng, &esp_combos[c], &shapes[s],
				    (int)s);
			for (c = 0; c < nitems(ah_algs); c++)
				ah_one(&rng, ah_algs[c], &shapes[s], (int)s);
		}
	printf("esp_rfc8221: %d checks, %d failed (PARAPET_SEED=%llu)\n",
	    checks, failures, (unsigned long long)seed);
	return failures == 0 ? 0 : 1;
}
