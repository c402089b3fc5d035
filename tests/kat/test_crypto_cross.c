/*
 * test_crypto_cross.c - the two crypto backends against each other on
 * random packets: for every algorithm both libsodium and OpenSSL have
 * (AES-256-GCM where the CPU has AES, ChaCha20-Poly1305, HMAC-SHA-256,
 * HMAC-SHA-512), keys from the same random bytes in each backend, the
 * same random packet, sequence number and IV encapsulated by each (ESP,
 * and AH for the MACs) must give the same bytes, and what one backend
 * made the other must take back to the original packet. Random shapes:
 * transport/tunnel, IPv4/IPv6, ESN, NAT-T. Also the primitives alone on
 * random lengths (1..2000 bytes, odd ones included) and random AAD.
 *
 * Deterministic from PARAPET_SEED (tests/lib/prng.h), printed on failure.
 * In the libsodium-only build there is nothing to compare: exit 77.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"
#include "esp.h"
#include "xform_pkt.h"

#define ROUNDS	200

static int failures, checks;
static uint64_t seed;

static void
check(bool ok, const char *alg, const char *what, int round)
{
	checks++;
	if (ok)
		return;
	failures++;
	printf("FAIL %s: %s (round %d, PARAPET_SEED=%llu)\n", alg, what,
	    round, (unsigned long long)seed);
}

/* Keys for alg from the same bytes in both backends. */
static bool
twin_keys(uint64_t *rng, enum xform_alg alg, struct xform_key *k[2])
{
	const struct xform *xs = xform_get_backend(alg, XFORM_BACKEND_SODIUM);
	const struct xform *xo = xform_get_backend(alg, XFORM_BACKEND_OPENSSL);
	uint8_t key[64];

	k[0] = k[1] = NULL;
	tp_fill(rng, key, xs->key_bytes);
	return xform_key_new_row(xs, key, xs->key_bytes, false, &k[0]) == 0 &&
	    xform_key_new_row(xo, key, xo->key_bytes, false, &k[1]) == 0;
}

static size_t
random_packet(uint64_t *rng, struct tpkt *t, uint8_t fam)
{
	size_t len, pay = (size_t)prng_below(rng, 1200);

	if (fam == 4)
		len = tp_v4(rng, t->buf + TP_HEAD, IPPROTO_NUM_UDP, pay,
		    prng_below(rng, 2) != 0);
	else
		len = tp_v6(rng, t->buf + TP_HEAD, IPPROTO_NUM_UDP, pay,
		    (int)prng_below(rng, 2));
	tp_init(t, len);
	return len;
}

/*
 * One packet: encap by both SAs (same bytes?), then each decaps the
 * other's (the original back?).
 */
static void
esp_round(uint64_t *rng, struct xform_sa sa[2], const char *alg, int r)
{
	struct tpkt t[2];
	uint8_t orig[TP_CAP];
	struct esp_in in;
	enum xform_reject why;
	uint8_t fam = prng_below(rng, 2) ? 4 : 6;
	uint64_t seq = 1 + prng_below(rng, UINT32_MAX - 1);
	uint64_t iv = prng_next(rng);
	size_t len;
	int i;

	if (sa[0].flags & XFORM_SA_ESN)
		seq |= prng_next(rng) << 32;
	len = random_packet(rng, &t[0], fam);
	memcpy(orig, t[0].buf + TP_HEAD, len);
	memcpy(&t[1], &t[0], sizeof(t[0]));
	t[1].p.buf = t[1].buf;
	for (i = 0; i < 2; i++)
		check(esp_encap(&sa[i], &t[i].p, seq, iv) == 0, alg,
		    "esp_encap", r);
	check(t[0].p.len == t[1].p.len && t[0].p.off == t[1].p.off &&
	    memcmp(t[0].buf + t[0].p.off, t[1].buf + t[1].p.off,
	    t[0].p.len) == 0, alg, "esp_encap: same bytes", r);
	for (i = 0; i < 2; i++) {
		bool ok = esp_parse(&t[i].p, &in, &why) == 0 &&
		    esp_decap(&sa[1 - i], &t[i].p, &in, (uint32_t)(seq >> 32),
		    &why) == 0;

		check(ok && t[i].p.len == len &&
		    memcmp(t[i].buf + t[i].p.off, orig, len) == 0, alg,
		    i == 0 ? "sodium -> openssl" : "openssl -> sodium", r);
	}
}

static void
ah_round(uint64_t *rng, struct xform_sa sa[2], const char *alg, int r)
{
	struct tpkt t[2];
	uint8_t orig[TP_CAP];
	struct ah_in in;
	enum xform_reject why;
	uint64_t seq = 1 + prng_below(rng, UINT32_MAX - 1);
	size_t len;
	int i;

	len = random_packet(rng, &t[0], prng_below(rng, 2) ? 4 : 6);
	memcpy(orig, t[0].buf + TP_HEAD, len);
	memcpy(&t[1], &t[0], sizeof(t[0]));
	t[1].p.buf = t[1].buf;
	for (i = 0; i < 2; i++)
		check(ah_encap(&sa[i], &t[i].p, seq) == 0, alg, "ah_encap", r);
	check(t[0].p.len == t[1].p.len && memcmp(t[0].buf + t[0].p.off,
	    t[1].buf + t[1].p.off, t[0].p.len) == 0, alg,
	    "ah_encap: same bytes", r);
	for (i = 0; i < 2; i++) {
		bool ok = ah_parse(&t[i].p, &in, &why) == 0 &&
		    ah_decap(&sa[1 - i], &t[i].p, &in, 0, &why) == 0;

		check(ok && t[i].p.len == len &&
		    memcmp(t[i].buf + t[i].p.off, orig, len) == 0, alg,
		    "ah cross decap", r);
	}
}

/* The SA pair: same SPI, shape and key bytes, one per backend. */
static bool
sa_pair(uint64_t *rng, enum xform_alg alg, struct xform_sa sa[2],
    uint8_t proto)
{
	const struct xform *xf = xform_get_backend(alg, XFORM_BACKEND_SODIUM);
	struct xform_key *k[2], *nul;
	uint8_t mode = prng_below(rng, 2) ? XFORM_MODE_TUNNEL :
	    XFORM_MODE_TRANSPORT;
	uint16_t flags = (uint16_t)(prng_below(rng, 2) ? XFORM_SA_ESN : 0);
	int i;

	if (proto == IPPROTO_NUM_ESP && prng_below(rng, 4) == 0)
		flags |= XFORM_SA_NATT;
	if (!twin_keys(rng, alg, k))
		return false;
	tp_sa(&sa[0], rng, proto, XFORM_ALG_NONE, XFORM_ALG_NONE, mode,
	    flags, mode == XFORM_MODE_TUNNEL ? (prng_below(rng, 2) ? 4 : 6) :
	    0);
	sa[1] = sa[0];
	for (i = 0; i < 2; i++) {
		if (xf->kind == XFORM_KIND_AEAD)
			sa[i].enc = k[i];
		else
			sa[i].auth = k[i];
		if (xf->kind == XFORM_KIND_INTEG && proto == IPPROTO_NUM_ESP) {
			if (xform_key_new(XFORM_NULL, NULL, 0, &nul) != 0)
				return false;
			sa[i].enc = nul;
		}
	}
	return true;
}

/* The primitives alone, random lengths and AAD. */
static void
prim_round(uint64_t *rng, enum xform_alg alg, int r)
{
	const struct xform *xf[2] = {
		xform_get_backend(alg, XFORM_BACKEND_SODIUM),
		xform_get_backend(alg, XFORM_BACKEND_OPENSSL) };
	struct xform_key *k[2];
	static uint8_t buf[2][2048];
	uint8_t aad[12], icv[2][16], d[2][XFORM_DIGEST_MAX];
	size_t n = 1 + (size_t)prng_below(rng, 2000), an = prng_below(rng, 13);
	uint64_t iv = prng_next(rng);
	int i;

	if (!twin_keys(rng, alg, k)) {
		check(false, xform_name(alg), "keys", r);
		return;
	}
	tp_fill(rng, buf[0], n);
	memcpy(buf[1], buf[0], n);
	tp_fill(rng, aad, sizeof(aad));
	for (i = 0; i < 2; i++) {
		if (xf[i]->kind == XFORM_KIND_AEAD) {
			check(xf[i]->seal(k[i], iv, aad, an, buf[i], n,
			    icv[i]) == 0, xform_name(alg), "seal", r);
		} else {
			struct xform_mac_ctx c;
			size_t cut = prng_below(rng, n + 1);

			xf[i]->mac_init(k[i], &c);
			xf[i]->mac_update(&c, buf[i], cut);
			xf[i]->mac_update(&c, buf[i] + cut, n - cut);
			check(xf[i]->mac_final(&c, d[i]) == 0,
			    xform_name(alg), "mac_final", r);
		}
	}
	if (xf[0]->kind == XFORM_KIND_AEAD)
		check(memcmp(buf[0], buf[1], n) == 0 &&
		    memcmp(icv[0], icv[1], 16) == 0, xform_name(alg),
		    "seal: same ciphertext and tag", r);
	else
		check(memcmp(d[0], d[1], xf[0]->icv_bytes) == 0,
		    xform_name(alg), "mac: same digest", r);
	xform_key_free(k[0]);
	xform_key_free(k[1]);
}

static void
one_alg(uint64_t *rng, enum xform_alg alg)
{
	const struct xform *xf = xform_get_backend(alg, XFORM_BACKEND_SODIUM);
	struct xform_sa sa[2];
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		prim_round(rng, alg, r);
		if (!sa_pair(rng, alg, sa, IPPROTO_NUM_ESP)) {
			check(false, xform_name(alg), "ESP SA pair", r);
			continue;
		}
		esp_round(rng, sa, xform_name(alg), r);
		for (i = 0; i < 2; i++)
			tp_sa_free(&sa[i]);
		if (xf->kind != XFORM_KIND_INTEG)
			continue;
		if (!sa_pair(rng, alg, sa, IPPROTO_NUM_AH)) {
			check(false, xform_name(alg), "AH SA pair", r);
			continue;
		}
		ah_round(rng, sa, xform_name(alg), r);
		for (i = 0; i < 2; i++)
			tp_sa_free(&sa[i]);
	}
}

int
main(void)
{
	uint64_t rng;
	size_t a, both = 0;

	seed = prng_seed_env();
	rng = seed;
	if (xform_init() != 0) {
		printf("FAIL xform_init\n");
		return 1;
	}
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		enum xform_alg alg = (enum xform_alg)a;

		if (alg == XFORM_NULL ||
		    xform_get_backend(alg, XFORM_BACKEND_SODIUM) == NULL ||
		    xform_get_backend(alg, XFORM_BACKEND_OPENSSL) == NULL)
			continue;
		both++;
		one_alg(&rng, alg);
	}
	if (both == 0) {
		printf("SKIP: only one crypto backend in this build\n");
		return 77;
	}
	printf("crypto_cross: %zu algorithms in both backends, %d checks, "
	    "%d failed (PARAPET_SEED=%llu)\n", both, checks, failures,
	    (unsigned long long)seed);
	return failures == 0 ? 0 : 1;
}
