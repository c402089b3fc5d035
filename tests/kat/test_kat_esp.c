/*
 * test_kat_esp.c - ipsecd's transforms against published vectors, once
 * per crypto backend (libsodium, then OpenSSL when built in): every
 * algorithm a backend has is selected for the run, the others are
 * skipped, counted and printed.
 *
 *  - draft-mcgrew-gcm-test-01: every AES-GCM case (128/192/256-bit keys)
 *    and the AES-GMAC case byte for byte, at the AEAD level and through
 *    esp_encap()/esp_parse()/esp_decap() in transport mode (the draft's
 *    next header 1 with its payload);
 *  - RFC 7634 Appendix A: the tunnel-mode ESP example byte for byte,
 *    Appendix B and RFC 8439 2.8.2/A.5 at the AEAD level;
 *  - RFC 4231 and RFC 4868: every HMAC-SHA-256, -384 and -512 case (224
 *    is not an IPsec algorithm: skipped, counted); RFC 2202 HMAC-SHA-1
 *    and RFC 3566 AES-XCBC-MAC (tests/kat copies);
 *  - RFC 3602 and NIST SP 800-38A AES-CBC, RFC 3686 AES-CTR (tests/kat
 *    copies): encrypt and decrypt with the vector's IV.
 *
 * Vectors: tests/vectors and tests/kat, turned into kat_esp_vectors.h by
 * gen_kat.py.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"
#include "ip_hdr.h"
#include "kat_esp_vectors.h"
#include "xform.h"

static int failures, passes, skips;
static const char *backend;	/* the backend of this run */
static enum xform_backend cur;

/* The row of alg if this run's backend serves it, else NULL. */
static const struct xform *
mine(enum xform_alg alg)
{
	const struct xform *xf = xform_get(alg);

	return xf != NULL && xf->backend == cur ? xf : NULL;
}

static void
fail(const char *file, const char *name, const char *what)
{
	printf("FAIL [%s] %s case %s: %s\n", backend, file, name, what);
	failures++;
}

static void
skip(const char *file, const char *name, const char *why)
{
	printf("SKIP [%s] %s case %s: %s\n", backend, file, name, why);
	skips++;
}

static void
hexdump(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("  %s (%zu):", label, n);
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 32 == 0 ? "\n    " : "", p[i]);
	printf("\n");
}

static bool
same(const char *file, const char *name, const char *what,
    const uint8_t *got, size_t gotn, const uint8_t *want, size_t wantn)
{
	if (gotn == wantn && (wantn == 0 || memcmp(got, want, wantn) == 0))
		return true;
	fail(file, name, what);
	hexdump("got", got, gotn);
	hexdump("want", want, wantn);
	return false;
}

/* key || salt (or nonce), as PF_KEY carries it. */
static struct xform_key *
aead_key(enum xform_alg alg, const uint8_t *key, size_t keylen,
    const uint8_t *salt)
{
	uint8_t km[36];
	struct xform_key *k;

	if (keylen > 32)
		return NULL;
	memcpy(km, key, keylen);
	memcpy(km + keylen, salt, 4);
	if (xform_key_new(alg, km, keylen + 4, &k) != 0)
		return NULL;
	return k;
}

/* The algorithm of an ESP case; XFORM_ALG_NONE: not one of ours. */
static enum xform_alg
esp_alg(const struct kat_esp *v)
{
	static const enum xform_alg gcm[3] = { XFORM_AES128GCM16,
		XFORM_AES192GCM16, XFORM_AES256GCM16 };
	static const enum xform_alg gmac[3] = { XFORM_AES128GMAC,
		XFORM_AES192GMAC, XFORM_AES256GMAC };
	int i = v->key_bits == 128 ? 0 : v->key_bits == 192 ? 1 :
	    v->key_bits == 256 ? 2 : -1;

	if (v->kind == KAT_CHACHA)
		return XFORM_CHACHA20POLY1305;
	if (i < 0)
		return XFORM_ALG_NONE;
	return v->kind == KAT_GMAC ? gmac[i] : gcm[i];
}

/* An IPv4 header for proto and a payload of n bytes, checksum set. */
static size_t
ip4_make(uint8_t *p, uint8_t proto, size_t n)
{
	static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2,
		2 };

	memset(p, 0, IP4_HDR_BYTES);
	p[0] = 0x45;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	ip_len_set(p, 4, IP4_HDR_BYTES, IP4_HDR_BYTES + n);
	return IP4_HDR_BYTES + n;
}

/* One ESP case through the whole packet path, both ways. */
static void
esp_path(const struct kat_esp *v, enum xform_alg alg, struct xform_key *k)
{
	uint8_t buf[2048], orig[2048];
	struct xform_pkt pkt = { .buf = buf, .cap = sizeof(buf), .off = 128 };
	struct xform_sa sa;
	struct esp_in in;
	enum xform_reject why;
	size_t datalen = v->plaintext.n - 2 - (size_t)v->pad_len;
	uint64_t seq = (uint64_t)v->seq_hi << 32 | v->seq_lo;

	(void)alg;
	memset(&sa, 0, sizeof(sa));
	sa.spi = v->spi;
	sa.proto = IPPROTO_NUM_ESP;
	sa.flags = v->esn ? XFORM_SA_ESN : 0;
	sa.enc = k;
	if (v->tunnel) {
		sa.mode = XFORM_MODE_TUNNEL;
		sa.tun_src.family = sa.tun_dst.family = 4;
		memcpy(sa.tun_src.a, "\xc0\x00\x02\x01", 4);
		memcpy(sa.tun_dst.a, "\xc0\x00\x02\x02", 4);
		memcpy(buf + pkt.off, v->inner.p, v->inner.n);
		pkt.len = v->inner.n;
	} else {
		sa.mode = XFORM_MODE_TRANSPORT;
		pkt.len = ip4_make(buf + pkt.off, (uint8_t)v->nh, datalen);
		memcpy(buf + pkt.off + IP4_HDR_BYTES, v->plaintext.p, datalen);
	}
	memcpy(orig, buf + pkt.off, pkt.len);
	if (esp_encap(&sa, &pkt, seq, xform_be64_get(v->iv.p)) != 0) {
		fail(v->file, v->name, "esp_encap failed");
		return;
	}
	if (!same(v->file, v->name, "esp_encap: ESP packet",
	    buf + pkt.off + IP4_HDR_BYTES, pkt.len - IP4_HDR_BYTES,
	    v->esp_packet.p, v->esp_packet.n))
		return;
	/* SPI 0 (case 4) is reserved (RFC 4303 §2.1): refused inbound. */
	if (v->spi == 0) {
		if (esp_parse(&pkt, &in, &why) != 0 &&
		    why == XFORM_REJECT_ESP_SPI_ZERO)
			passes++;
		else
			fail(v->file, v->name, "SPI 0 accepted");
		return;
	}
	if (esp_parse(&pkt, &in, &why) != 0 || in.spi != v->spi ||
	    in.seq_lo != v->seq_lo) {
		fail(v->file, v->name, "esp_parse");
		return;
	}
	if (esp_decap(&sa, &pkt, &in, v->seq_hi, &why) != 0) {
		fail(v->file, v->name, xform_reject_str(why));
		return;
	}
	if (!same(v->file, v->name, "esp_decap: packet", buf + pkt.off,
	    pkt.len, orig, v->tunnel ? v->inner.n : IP4_HDR_BYTES + datalen))
		return;
	passes++;
}

static void
kat_esp_one(const struct kat_esp *v)
{
	enum xform_alg alg;
	struct xform_key *k;
	uint8_t buf[2048], icv[16], aad[12];
	size_t aadlen;

	alg = esp_alg(v);
	if (mine(alg) == NULL) {
		char why[80];

		snprintf(why, sizeof(why), "%s not in this backend",
		    xform_name(alg));
		skip(v->file, v->name, why);
		return;
	}
	if ((k = aead_key(alg, v->key.p, v->key.n, v->salt.p)) == NULL) {
		fail(v->file, v->name, "xform_key_new");
		return;
	}
	/* The AAD we would build (RFC 4106 §5) is the vector's. */
	memset(aad, 0, sizeof(aad));
	aad[0] = (uint8_t)(v->spi >> 24);
	aad[1] = (uint8_t)(v->spi >> 16);
	aad[2] = (uint8_t)(v->spi >> 8);
	aad[3] = (uint8_t)v->spi;
	if (v->esn) {
		uint32_t w[2] = { v->seq_hi, v->seq_lo };
		int i;

		for (i = 0; i < 8; i++)
			aad[4 + i] = (uint8_t)(w[i / 4] >> (24 - 8 * (i % 4)));
		aadlen = 12;
	} else {
		int i;

		for (i = 0; i < 4; i++)
			aad[4 + i] = (uint8_t)(v->seq_lo >> (24 - 8 * i));
		aadlen = 8;
	}
	/* GMAC's AAD goes on with the IV and the payload (RFC 4543). */
	if (!same(v->file, v->name, "AAD", aad, aadlen, v->aad.p,
	    v->kind == KAT_GMAC ? aadlen : v->aad.n))
		goto out;
	/* AEAD level; GMAC leaves the payload as it is. */
	memcpy(buf, v->plaintext.p, v->plaintext.n);
	if (xform_get(alg)->seal(k, xform_be64_get(v->iv.p), aad, aadlen, buf,
	    v->plaintext.n, icv) != 0)
		fail(v->file, v->name, "seal");
	if (!same(v->file, v->name, "ciphertext", buf, v->plaintext.n,
	    v->kind == KAT_GMAC ? v->plaintext.p : v->ciphertext.p,
	    v->kind == KAT_GMAC ? v->plaintext.n : v->ciphertext.n) ||
	    !same(v->file, v->name, "ICV", icv, sizeof(icv), v->icv.p,
	    v->icv.n))
		goto out;
	passes++;
	esp_path(v, alg, k);
out:
	xform_key_free(k);
}

static void
kat_aead_one(const struct kat_aead *v)
{
	struct xform_key *k;
	const struct xform *xf = xform_get(XFORM_CHACHA20POLY1305);
	uint8_t buf[1024], tag[16];

	if (v->nonce.n != 12 || v->plaintext.n > sizeof(buf)) {
		fail(v->file, v->name, "vector shape");
		return;
	}
	if ((k = aead_key(XFORM_CHACHA20POLY1305, v->key.p, v->key.n,
	    v->nonce.p)) == NULL) {
		fail(v->file, v->name, "xform_key_new");
		return;
	}
	memcpy(buf, v->plaintext.p, v->plaintext.n);
	xf->seal(k, xform_be64_get(v->nonce.p + 4), v->aad.p, v->aad.n, buf,
	    v->plaintext.n, tag);
	if (same(v->file, v->name, "seal", buf, v->plaintext.n,
	    v->ciphertext.p, v->ciphertext.n) &&
	    same(v->file, v->name, "tag", tag, sizeof(tag), v->tag.p,
	    v->tag.n)) {
		memcpy(buf, v->ciphertext.p, v->ciphertext.n);
		if (xf->open(k, xform_be64_get(v->nonce.p + 4), v->aad.p,
		    v->aad.n, buf, v->ciphertext.n, v->tag.p) != 0)
			fail(v->file, v->name, "open");
		else if (same(v->file, v->name, "open", buf, v->ciphertext.n,
		    v->plaintext.p, v->plaintext.n))
			passes++;
	}
	xform_key_free(k);
}

static void
kat_hmac_one(const struct kat_hmac *v)
{
	enum xform_alg alg;
	const struct xform *xf;
	struct xform_key *k;
	struct xform_mac_ctx ctx;
	uint8_t digest[XFORM_DIGEST_MAX];
	int error;

	if (strstr(v->alg, "SHA-256") != NULL)
		alg = XFORM_HMAC_SHA256_128;
	else if (strstr(v->alg, "SHA-384") != NULL)
		alg = XFORM_HMAC_SHA384_192;
	else if (strstr(v->alg, "SHA-512") != NULL)
		alg = XFORM_HMAC_SHA512_256;
	else if (strcmp(v->alg, "HMAC-SHA-1") == 0)
		alg = XFORM_HMAC_SHA1_96;
	else if (strcmp(v->alg, "AES-XCBC-MAC") == 0)
		alg = XFORM_AES_XCBC_96;
	else {
		char why[96];

		snprintf(why, sizeof(why), "%s: not one of our transforms",
		    v->alg);
		skip(v->file, v->name, why);
		return;
	}
	if ((xf = mine(alg)) == NULL) {
		skip(v->file, v->name, "not in this backend");
		return;
	}
	/* Full-size keys go the way an SA's would. */
	if (v->key.n == xf->key_bytes)
		error = xform_key_new(alg, v->key.p, v->key.n, &k);
	else
		error = xform_key_new_kat(alg, v->key.p, v->key.n, &k);
	if (error != 0) {
		fail(v->file, v->name, "xform_key_new");
		return;
	}
	xf->mac_init(k, &ctx);
	xf->mac_update(&ctx, v->data.p, v->data.n);
	if (xf->mac_final(&ctx, digest) != 0)
		fail(v->file, v->name, "mac_final");
	/* The ICV the packet code uses is the leftmost icv_bytes. */
	if (v->truncated_bits == (int)xf->icv_bytes * 8 &&
	    v->mac.n != xf->icv_bytes)
		fail(v->file, v->name, "truncation length");
	else if (same(v->file, v->name, v->alg, digest, v->mac.n, v->mac.p,
	    v->mac.n))
		passes++;
	xform_key_free(k);
}

/* AES-CBC and AES-CTR: encrypt and decrypt with the vector's IV. */
static void
kat_cipher_one(const struct kat_cipher *v)
{
	static const enum xform_alg cbc[3] = { XFORM_AES128CBC,
		XFORM_AES192CBC, XFORM_AES256CBC };
	static const enum xform_alg ctr[3] = { XFORM_AES128CTR,
		XFORM_AES192CTR, XFORM_AES256CTR };
	const struct xform *xf;
	struct xform_key *k;
	uint8_t buf[256], km[36];
	int i = v->key_bits / 64 - 2;

	if (v->file == NULL)
		return;
	if (i < 0 || i > 2 || v->plaintext.n > sizeof(buf) ||
	    v->key.n + v->nonce.n > sizeof(km)) {
		fail(v->file, v->name, "vector shape");
		return;
	}
	if ((xf = mine(v->ctr ? ctr[i] : cbc[i])) == NULL) {
		skip(v->file, v->name, "not in this backend");
		return;
	}
	memcpy(km, v->key.p, v->key.n);
	if (v->nonce.n > 0)
		memcpy(km + v->key.n, v->nonce.p, v->nonce.n);
	if (xform_key_new(xf->alg, km, v->key.n + v->nonce.n, &k) != 0) {
		fail(v->file, v->name, "xform_key_new");
		return;
	}
	memcpy(buf, v->plaintext.p, v->plaintext.n);
	if (xf->encrypt(k, v->iv.p, buf, v->plaintext.n) != 0)
		fail(v->file, v->name, "encrypt");
	else if (same(v->file, v->name, "encrypt", buf, v->plaintext.n,
	    v->ciphertext.p, v->ciphertext.n)) {
		if (xf->decrypt(k, v->iv.p, buf, v->ciphertext.n) != 0)
			fail(v->file, v->name, "decrypt");
		else if (same(v->file, v->name, "decrypt", buf,
		    v->ciphertext.n, v->plaintext.p, v->plaintext.n))
			passes++;
	}
	xform_key_free(k);
}

/* Every case through backend b (every algorithm it has selected). */
static int
run_backend(enum xform_backend b)
{
	size_t i;
	int esp256 = 0, n;

	backend = xform_backend_name(b);
	cur = b;
	for (i = 1; i < XFORM_ALG_COUNT; i++)
		n = xform_select_set((enum xform_alg)i, b);
	(void)n;	/* -ENOENT: b lacks it, the other row stays */
	for (i = 0; i < nitems(kat_esp); i++) {
		if (kat_esp[i].kind == KAT_GCM && kat_esp[i].key_bits == 256)
			esp256++;
		kat_esp_one(&kat_esp[i]);
	}
	for (i = 0; i < nitems(kat_aead); i++)
		if (mine(XFORM_CHACHA20POLY1305) != NULL)
			kat_aead_one(&kat_aead[i]);
	for (i = 0; i < nitems(kat_hmac); i++)
		kat_hmac_one(&kat_hmac[i]);
	for (i = 0; i < nitems(kat_cipher); i++)
		kat_cipher_one(&kat_cipher[i]);
	return esp256;
}

#ifdef PARAPET_CRYPTO_OPENSSL
static int
sha224_rows(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < nitems(kat_hmac); i++)
		n += strstr(kat_hmac[i].alg, "SHA-224") != NULL;
	return n;
}
#endif

int
main(void)
{
	size_t b;
	int esp256;

	if (xform_init() != 0) {
		printf("FAIL xform_init\n");
		return 1;
	}
	for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
		int p0 = passes, s0 = skips;

		/* The libsodium-only build has no second backend. */
		if (xform_get_backend(XFORM_CHACHA20POLY1305,
		    (enum xform_backend)b) == NULL)
			continue;

		esp256 = run_backend((enum xform_backend)b);
		printf("kat_esp [%s]: %d checks passed, %d cases skipped\n",
		    backend, passes - p0, skips - s0);
#ifdef PARAPET_CRYPTO_OPENSSL
		/* OpenSSL has every IPsec algorithm: only SHA-224 is left. */
		if (b == XFORM_BACKEND_OPENSSL && skips - s0 != sha224_rows()) {
			printf("FAIL [openssl] skipped %d cases, expected %d\n",
			    skips - s0, sha224_rows());
			failures++;
		}
#endif
		/* The 256-bit cases must be there: a lost file fails. */
		if (esp256 != 4) {
			printf("FAIL expected 4 AES-256-GCM ESP cases, found "
			    "%d\n", esp256);
			failures++;
		}
	}
	printf("kat_esp: %d checks passed, %d failed, %d cases skipped "
	    "(%zu ESP, %zu AEAD, %zu HMAC, %zu cipher rows)\n", passes,
	    failures, skips, nitems(kat_esp), nitems(kat_aead),
	    nitems(kat_hmac), nitems(kat_cipher));
	return failures == 0 ? 0 : 1;
}
