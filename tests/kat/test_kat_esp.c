/*
 * test_kat_esp.c - ipsecd's transforms against published vectors.
 *
 *  - draft-mcgrew-gcm-test-01: every AES-256-GCM case byte for byte, at
 *    the AEAD level and through esp_encap()/esp_parse()/esp_decap() in
 *    transport mode (the draft's next header 1 with its payload); the
 *    128/192-bit and GMAC cases are beyond libsodium: skipped, counted,
 *    printed;
 *  - RFC 7634 Appendix A: the tunnel-mode ESP example byte for byte,
 *    Appendix B and RFC 8439 2.8.2/A.5 at the AEAD level;
 *  - RFC 4231 and RFC 4868: every HMAC-SHA-256 and -512 case (224 and 384
 *    are not ours: skipped, counted).
 *
 * Vectors: tests/vectors, turned into kat_esp_vectors.h by gen_kat.py.
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

static void
fail(const char *file, const char *name, const char *what)
{
	printf("FAIL %s case %s: %s\n", file, name, what);
	failures++;
}

static void
skip(const char *file, const char *name, const char *why)
{
	printf("SKIP %s case %s: %s\n", file, name, why);
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

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static struct xform_key *
aead_key(enum xform_alg alg, const uint8_t *key, size_t keylen,
    const uint8_t *salt)
{
	uint8_t km[36];
	struct xform_key *k;

	if (keylen != 32)
		return NULL;
	memcpy(km, key, 32);
	memcpy(km + 32, salt, 4);
	if (xform_key_new(alg, km, sizeof(km), &k) != 0)
		return NULL;
	return k;
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
	if (esp_encap(&sa, &pkt, seq, be64(v->iv.p)) != 0) {
		fail(v->file, v->name, "esp_encap failed");
		return;
	}
	if (!same(v->file, v->name, "esp_encap: ESP packet",
	    buf + pkt.off + IP4_HDR_BYTES, pkt.len - IP4_HDR_BYTES,
	    v->esp_packet.p, v->esp_packet.n))
		return;
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

	switch (v->kind) {
	case KAT_GMAC:
		skip(v->file, v->name, "AES-GMAC (RFC 4543) not in libsodium");
		return;
	case KAT_GCM:
		if (v->key_bits != 256) {
			char why[80];

			snprintf(why, sizeof(why), "AES-%d-GCM not in libsodium",
			    v->key_bits);
			skip(v->file, v->name, why);
			return;
		}
		alg = XFORM_AES256GCM16;
		if (xform_get(alg) == NULL) {
			skip(v->file, v->name, "no AES instructions here");
			return;
		}
		break;
	default:
		alg = XFORM_CHACHA20POLY1305;
		break;
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
	if (!same(v->file, v->name, "AAD", aad, aadlen, v->aad.p, v->aad.n))
		goto out;
	/* AEAD level. */
	memcpy(buf, v->plaintext.p, v->plaintext.n);
	xform_get(alg)->seal(k, be64(v->iv.p), aad, aadlen, buf,
	    v->plaintext.n, icv);
	if (!same(v->file, v->name, "ciphertext", buf, v->plaintext.n,
	    v->ciphertext.p, v->ciphertext.n) ||
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
	xf->seal(k, be64(v->nonce.p + 4), v->aad.p, v->aad.n, buf,
	    v->plaintext.n, tag);
	if (same(v->file, v->name, "seal", buf, v->plaintext.n,
	    v->ciphertext.p, v->ciphertext.n) &&
	    same(v->file, v->name, "tag", tag, sizeof(tag), v->tag.p,
	    v->tag.n)) {
		memcpy(buf, v->ciphertext.p, v->ciphertext.n);
		if (xf->open(k, be64(v->nonce.p + 4), v->aad.p, v->aad.n, buf,
		    v->ciphertext.n, v->tag.p) != 0)
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
	else if (strstr(v->alg, "SHA-512") != NULL)
		alg = XFORM_HMAC_SHA512_256;
	else {
		char why[96];

		snprintf(why, sizeof(why), "%s: not one of our transforms",
		    v->alg);
		skip(v->file, v->name, why);
		return;
	}
	xf = xform_get(alg);
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
	xf->mac_final(&ctx, digest);
	/* The ICV the packet code uses is the leftmost icv_bytes. */
	if (v->truncated_bits == (int)xf->icv_bytes * 8 &&
	    v->mac.n != xf->icv_bytes)
		fail(v->file, v->name, "truncation length");
	else if (same(v->file, v->name, v->alg, digest, v->mac.n, v->mac.p,
	    v->mac.n))
		passes++;
	xform_key_free(k);
}

int
main(void)
{
	size_t i;
	int esp256 = 0;

	if (xform_init() != 0) {
		printf("FAIL xform_init\n");
		return 1;
	}
	for (i = 0; i < nitems(kat_esp); i++) {
		if (kat_esp[i].kind == KAT_GCM && kat_esp[i].key_bits == 256)
			esp256++;
		kat_esp_one(&kat_esp[i]);
	}
	for (i = 0; i < nitems(kat_aead); i++)
		kat_aead_one(&kat_aead[i]);
	for (i = 0; i < nitems(kat_hmac); i++)
		kat_hmac_one(&kat_hmac[i]);
	printf("kat_esp: %d checks passed, %d failed, %d cases skipped "
	    "(%d AES-256-GCM ESP cases, %zu ESP, %zu AEAD, %zu HMAC rows)\n",
	    passes, failures, skips, esp256, nitems(kat_esp),
	    nitems(kat_aead), nitems(kat_hmac));
	/* The 256-bit cases must be there: a vectors file lost is a failure. */
	if (esp256 != 4) {
		printf("FAIL expected 4 AES-256-GCM ESP cases, found %d\n",
		    esp256);
		failures++;
	}
	return failures == 0 ? 0 : 1;
}
