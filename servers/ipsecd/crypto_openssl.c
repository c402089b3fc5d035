/*
 * crypto_openssl.c - the OpenSSL libcrypto 3 backend of the table of
 * transforms, through EVP: AES-GCM-16 (128/192/256, RFC 4106), AES-GMAC
 * (RFC 4543), ChaCha20-Poly1305 (RFC 7634), AES-CBC (RFC 3602), AES-CTR
 * (RFC 3686), HMAC-SHA-1-96 (RFC 2404), HMAC-SHA-256-128/-384-192/
 * -512-256 (RFC 4868) and AES-XCBC-MAC-96 (RFC 3566, built on AES-CBC).
 * Built with PARAPET_CRYPTO_OPENSSL.
 *
 * Each SA's key holds EVP contexts prepared once (key schedule done);
 * per packet only the IV is set (EVP_*Init_ex with NULL cipher and key),
 * never a new context. A key's contexts are therefore used by one thread
 * at a time (one worker per SA). Pure; untrusted input: none (byte
 * ranges bounded by esp.c and ah.c).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xform_impl.h"

/*
 * The contexts are referenced only from the key, which lives in
 * sodium_malloc'd pages LeakSanitizer does not scan: under ASan they are
 * marked as roots, else every live SA's contexts would be reported at
 * exit. key_fini frees them; a key never freed is as invisible to LSan
 * as a libsodium key always was.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LSAN_ROOT(p)	__lsan_ignore_object(p)
#else
#define LSAN_ROOT(p)	((void)(p))
#endif

#define AES_BLOCK	16
#define XCBC_CHUNK	512	/* CBC-MAC output scratch, bytes */

static bool
always(void)
{
	return true;
}

static EVP_CIPHER_CTX *
cctx(void *p)
{
	return p;
}

/* A cipher context keyed once; enc 1 encrypt, 0 decrypt. */
static int
cipher_new(const EVP_CIPHER *c, const uint8_t *key, int enc, bool nopad,
    void **out)
{
	EVP_CIPHER_CTX *ctx;

	if (c == NULL)
		return -ENOENT;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, NULL, enc) != 1 ||
	    (nopad && EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return -EINVAL;
	}
	LSAN_ROOT(ctx);
	*out = ctx;
	return 0;
}

static void
key_fini(struct xform_key *k)
{
	if (k->xf->kind == XFORM_KIND_INTEG && k->xf->alg != XFORM_AES_XCBC_96)
		EVP_MAC_CTX_free(k->u.o.enc);
	else
		EVP_CIPHER_CTX_free(k->u.o.enc);
	EVP_CIPHER_CTX_free(k->u.o.dec);
	EVP_CIPHER_CTX_free(k->u.o.ivc);
	k->u.o.enc = k->u.o.dec = k->u.o.ivc = NULL;
}

static const EVP_CIPHER *
aes_cipher(enum xform_alg alg)
{
	switch (alg) {
	case XFORM_AES128GCM16:
	case XFORM_AES128GMAC:
		return EVP_aes_128_gcm();
	case XFORM_AES192GCM16:
	case XFORM_AES192GMAC:
		return EVP_aes_192_gcm();
	case XFORM_AES256GCM16:
	case XFORM_AES256GMAC:
		return EVP_aes_256_gcm();
	case XFORM_CHACHA20POLY1305:
		return EVP_chacha20_poly1305();
	case XFORM_AES128CBC:
		return EVP_aes_128_cbc();
	case XFORM_AES192CBC:
		return EVP_aes_192_cbc();
	case XFORM_AES256CBC:
		return EVP_aes_256_cbc();
	case XFORM_AES128CTR:
		return EVP_aes_128_ctr();
	case XFORM_AES192CTR:
		return EVP_aes_192_ctr();
	case XFORM_AES256CTR:
		return EVP_aes_256_ctr();
	default:
		return NULL;
	}
}

static const EVP_CIPHER *
ecb_for_keylen(size_t len)
{
	return len == 16 ? EVP_aes_128_ecb() : len == 24 ? EVP_aes_192_ecb() :
	    len == 32 ? EVP_aes_256_ecb() : NULL;
}

static int
ilen(size_t n, int *out)
{
	if (n > INT_MAX)
		return -EIO;
	*out = (int)n;
	return 0;
}

/* AEADs: AES-GCM, ChaCha20-Poly1305 (key || 4-byte salt). */

static int
aead_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	size_t raw;

	if (len != k->xf->key_bytes || len <= XFORM_SALT_BYTES)
		return -EINVAL;
	raw = len - XFORM_SALT_BYTES;
	memcpy(k->salt, key + raw, XFORM_SALT_BYTES);
	return cipher_new(aes_cipher(k->xf->alg), key, 1, false, &k->u.o.enc);
}

/* Feed the AAD (and, GMAC, the IV and the payload) to ctx. */
static int
aead_aad(EVP_CIPHER_CTX *ctx, const struct xform_key *k, uint64_t iv,
    const uint8_t *aad, size_t aadlen, const uint8_t *buf, size_t len)
{
	uint8_t ivb[8];
	int n, ol;

	if (ilen(aadlen, &n) != 0 ||
	    (n > 0 && EVP_CipherUpdate(ctx, NULL, &ol, aad, n) != 1))
		return -EIO;
	if (k->xf->sadb_alg != PARAPET_SADB_X_EALG_NULL_AES_GMAC)
		return 0;
	/* RFC 4543 §3.5: AAD = SPI, sequence number, IV, payload. */
	xform_be64_put(ivb, iv);
	if (EVP_CipherUpdate(ctx, NULL, &ol, ivb, sizeof(ivb)) != 1 ||
	    ilen(len, &n) != 0 ||
	    (n > 0 && EVP_CipherUpdate(ctx, NULL, &ol, buf, n) != 1))
		return -EIO;
	return 0;
}

static bool
is_gmac(const struct xform_key *k)
{
	return k->xf->sadb_alg == PARAPET_SADB_X_EALG_NULL_AES_GMAC;
}

static int
aead_seal(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, uint8_t *icv)
{
	EVP_CIPHER_CTX *ctx = cctx(k->u.o.enc);
	uint8_t nonce[12], fin[AES_BLOCK];
	int n, ol;

	xform_nonce_make(nonce, k, iv);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    aead_aad(ctx, k, iv, aad, aadlen, buf, len) != 0 ||
	    ilen(len, &n) != 0)
		return -EIO;
	if (!is_gmac(k) && n > 0 &&
	    EVP_EncryptUpdate(ctx, buf, &ol, buf, n) != 1)
		return -EIO;
	if (EVP_EncryptFinal_ex(ctx, fin, &ol) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, icv) != 1)
		return -EIO;
	return 0;
}

static int
aead_open(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, const uint8_t *icv)
{
	EVP_CIPHER_CTX *ctx = cctx(k->u.o.enc);
	uint8_t nonce[12], tag[16], fin[AES_BLOCK];
	int n, ol;

	xform_nonce_make(nonce, k, iv);
	memcpy(tag, icv, sizeof(tag));
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    aead_aad(ctx, k, iv, aad, aadlen, buf, len) != 0 ||
	    ilen(len, &n) != 0)
		return -EBADMSG;
	if (!is_gmac(k) && n > 0 &&
	    EVP_DecryptUpdate(ctx, buf, &ol, buf, n) != 1)
		return -EBADMSG;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, fin, &ol) != 1)
		return -EBADMSG;
	return 0;
}

/* AES-CBC (RFC 3602): encrypt, decrypt and IV contexts. */

static int
cbc_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	const EVP_CIPHER *c = aes_cipher(k->xf->alg);
	int error;

	if (len != k->xf->key_bytes)
		return -EINVAL;
	if ((error = cipher_new(c, key, 1, true, &k->u.o.enc)) != 0 ||
	    (error = cipher_new(c, key, 0, true, &k->u.o.dec)) != 0 ||
	    (error = cipher_new(ecb_for_keylen(len), key, 1, true,
	    &k->u.o.ivc)) != 0)
		return error;
	return 0;
}

static int
cbc_iv_make(const struct xform_key *k, uint32_t spi, uint64_t ctr,
    uint8_t *iv)
{
	uint8_t block[AES_BLOCK];
	int ol;

	/* NIST SP 800-38A appendix C: E_K(a nonce) is unpredictable. */
	xform_be64_put(block, (uint64_t)spi << 32);
	xform_be64_put(block + 8, ctr);
	if (EVP_EncryptUpdate(cctx(k->u.o.ivc), iv, &ol, block,
	    AES_BLOCK) != 1 || ol != AES_BLOCK)
		return -EIO;
	return 0;
}

static int
cbc_run(EVP_CIPHER_CTX *ctx, const uint8_t *iv, uint8_t *buf, size_t len)
{
	int n, ol;

	if (len % AES_BLOCK != 0 || ilen(len, &n) != 0 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1)
		return -EIO;
	if (n > 0 && (EVP_CipherUpdate(ctx, buf, &ol, buf, n) != 1 ||
	    ol != n))
		return -EIO;
	return 0;
}

static int
cbc_encrypt(const struct xform_key *k, const uint8_t *iv, uint8_t *buf,
    size_t len)
{
	return cbc_run(cctx(k->u.o.enc), iv, buf, len);
}

static int
cbc_decrypt(const struct xform_key *k, const uint8_t *iv, uint8_t *buf,
    size_t len)
{
	return cbc_run(cctx(k->u.o.dec), iv, buf, len);
}

/* AES-CTR (RFC 3686): key || 4-byte nonce; block nonce || IV || 1. */

static int
ctr_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	if (len != k->xf->key_bytes || len <= XFORM_SALT_BYTES)
		return -EINVAL;
	memcpy(k->salt, key + len - XFORM_SALT_BYTES, XFORM_SALT_BYTES);
	return cipher_new(aes_cipher(k->xf->alg), key, 1, false, &k->u.o.enc);
}

static int
ctr_iv_make(const struct xform_key *k, uint32_t spi, uint64_t ctr,
    uint8_t *iv)
{
	(void)k;
	(void)spi;
	xform_be64_put(iv, ctr);
	return 0;
}

static int
ctr_crypt(const struct xform_key *k, const uint8_t *iv, uint8_t *buf,
    size_t len)
{
	EVP_CIPHER_CTX *ctx = cctx(k->u.o.enc);
	uint8_t block[AES_BLOCK];
	int n, ol;

	memcpy(block, k->salt, XFORM_SALT_BYTES);
	memcpy(block + 4, iv, 8);
	block[12] = block[13] = block[14] = 0;
	block[15] = 1;		/* RFC 3686 §4: the block counter starts at 1 */
	if (ilen(len, &n) != 0 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, block) != 1)
		return -EIO;
	if (n > 0 && (EVP_EncryptUpdate(ctx, buf, &ol, buf, n) != 1 ||
	    ol != n))
		return -EIO;
	return 0;
}

/* HMACs (RFC 2404, RFC 4868) through EVP_MAC, keyed once per SA. */

static const char *
hmac_digest(enum xform_alg alg)
{
	switch (alg) {
	case XFORM_HMAC_SHA1_96:
		return "SHA1";
	case XFORM_HMAC_SHA256_128:
		return "SHA2-256";
	case XFORM_HMAC_SHA384_192:
		return "SHA2-384";
	default:
		return "SHA2-512";
	}
}

static int
hmac_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	char name[16];

	if (len == 0)
		return -EINVAL;
	if ((mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL)) == NULL)
		return -ENOENT;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);		/* the context keeps its reference */
	if (ctx == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s", hmac_digest(k->xf->alg));
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, len, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return -EINVAL;
	}
	LSAN_ROOT(ctx);
	k->u.o.enc = ctx;
	return 0;
}

static void
hmac_init(const struct xform_key *k, struct xform_mac_ctx *c)
{
	c->xf = k->xf;
	c->u.o.key = k;
	c->u.o.n = 0;
	/* No key: start again from the prepared inner state. */
	c->u.o.failed = EVP_MAC_init(k->u.o.enc, NULL, 0, NULL) != 1;
}

static void
hmac_update(struct xform_mac_ctx *c, const uint8_t *p, size_t n)
{
	if (!c->u.o.failed && n > 0 &&
	    EVP_MAC_update(c->u.o.key->u.o.enc, p, n) != 1)
		c->u.o.failed = true;
}

static int
hmac_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	size_t ol;

	if (c->u.o.failed || EVP_MAC_final(c->u.o.key->u.o.enc, digest, &ol,
	    XFORM_DIGEST_MAX) != 1)
		return -EIO;
	return 0;
}

/*
 * AES-XCBC-MAC-96 (RFC 3566 §4): K1, K2, K3 = E_K(0x01..), E_K(0x02..),
 * E_K(0x03..); CBC-MAC under K1 of every block but the last; the last,
 * XORed with K2 when complete, else padded with 0x80 0.. and XORed with
 * K3, goes through the same chain. The chain is an AES-128-CBC context
 * under K1 with a zero IV, its ciphertext thrown away.
 */
static int
xcbc_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	uint8_t c[3][AES_BLOCK], kx[3][AES_BLOCK];
	EVP_CIPHER_CTX *ecb;
	int error, i, ol;

	if (len != AES_BLOCK)
		return -EINVAL;
	if ((error = cipher_new(EVP_aes_128_ecb(), key, 1, true,
	    &k->u.o.ivc)) != 0)
		return error;
	ecb = cctx(k->u.o.ivc);
	for (i = 0; i < 3; i++)
		memset(c[i], i + 1, AES_BLOCK);
	if (EVP_EncryptUpdate(ecb, kx[0], &ol, c[0], (int)sizeof(c)) != 1 ||
	    ol != (int)sizeof(c))
		error = -EIO;
	else
		error = cipher_new(EVP_aes_128_cbc(), kx[0], 1, true,
		    &k->u.o.enc);
	memcpy(k->u.o.k2, kx[1], AES_BLOCK);
	memcpy(k->u.o.k3, kx[2], AES_BLOCK);
	sodium_memzero(kx, sizeof(kx));
	return error;
}

static void
xcbc_init(const struct xform_key *k, struct xform_mac_ctx *c)
{
	static const uint8_t zero[AES_BLOCK];

	c->xf = k->xf;
	c->u.o.key = k;
	c->u.o.n = 0;
	c->u.o.failed = EVP_EncryptInit_ex(cctx(k->u.o.enc), NULL, NULL, NULL,
	    zero) != 1;
}

/* Chain n bytes (a multiple of the block) through the CBC-MAC. */
static void
xcbc_chain(struct xform_mac_ctx *c, const uint8_t *p, size_t n)
{
	uint8_t out[XCBC_CHUNK];
	size_t m;
	int ol;

	while (n > 0 && !c->u.o.failed) {
		m = n < sizeof(out) ? n : sizeof(out);
		if (EVP_EncryptUpdate(cctx(c->u.o.key->u.o.enc), out, &ol, p,
		    (int)m) != 1 || ol != (int)m)
			c->u.o.failed = true;
		p += m;
		n -= m;
	}
}

static void
xcbc_update(struct xform_mac_ctx *c, const uint8_t *p, size_t n)
{
	size_t take;

	while (n > 0 && !c->u.o.failed) {
		/* The last block is special: keep one until more comes. */
		if (c->u.o.n == AES_BLOCK) {
			xcbc_chain(c, c->u.o.buf, AES_BLOCK);
			c->u.o.n = 0;
		}
		if (c->u.o.n == 0 && n > AES_BLOCK) {
			take = (n - 1) / AES_BLOCK * AES_BLOCK;
			xcbc_chain(c, p, take);
		} else {
			take = AES_BLOCK - c->u.o.n < n ?
			    AES_BLOCK - c->u.o.n : n;
			memcpy(c->u.o.buf + c->u.o.n, p, take);
			c->u.o.n += take;
		}
		p += take;
		n -= take;
	}
}

static int
xcbc_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	const struct xform_key *k = c->u.o.key;
	const uint8_t *kx = k->u.o.k2;
	uint8_t x[AES_BLOCK];
	int i, ol;

	if (c->u.o.n < AES_BLOCK) {
		c->u.o.buf[c->u.o.n] = 0x80;
		memset(c->u.o.buf + c->u.o.n + 1, 0, AES_BLOCK - c->u.o.n - 1);
		kx = k->u.o.k3;
	}
	for (i = 0; i < AES_BLOCK; i++)
		x[i] = c->u.o.buf[i] ^ kx[i];
	if (c->u.o.failed || EVP_EncryptUpdate(cctx(k->u.o.enc), digest, &ol,
	    x, AES_BLOCK) != 1 || ol != AES_BLOCK)
		return -EIO;
	sodium_memzero(&c->u, sizeof(c->u));
	return 0;
}

#define OSSL	.backend = XFORM_BACKEND_OPENSSL, .available = always,	\
		.key_fini = key_fini
#define AEAD_FNS	.key_init = aead_key_init, .seal = aead_seal,	\
		.open = aead_open
#define CBC_FNS		.key_init = cbc_key_init, .iv_make = cbc_iv_make, \
		.encrypt = cbc_encrypt, .decrypt = cbc_decrypt
#define CTR_FNS		.key_init = ctr_key_init, .iv_make = ctr_iv_make, \
		.encrypt = ctr_crypt, .decrypt = ctr_crypt
#define HMAC_FNS	.key_init = hmac_key_init, .mac_init = hmac_init, \
		.mac_update = hmac_update, .mac_final = hmac_final

static const struct xform rows[XFORM_ALG_COUNT] = {
	[XFORM_AES128GCM16] = { XD_GCM(XFORM_AES128GCM16, "aes128gcm16", 20),
	    OSSL, AEAD_FNS },
	[XFORM_AES192GCM16] = { XD_GCM(XFORM_AES192GCM16, "aes192gcm16", 28),
	    OSSL, AEAD_FNS },
	[XFORM_AES256GCM16] = { XD_GCM(XFORM_AES256GCM16, "aes256gcm16", 36),
	    OSSL, AEAD_FNS },
	[XFORM_AES128GMAC] = { XD_GMAC(XFORM_AES128GMAC, "aes128gmac", 20),
	    OSSL, AEAD_FNS },
	[XFORM_AES192GMAC] = { XD_GMAC(XFORM_AES192GMAC, "aes192gmac", 28),
	    OSSL, AEAD_FNS },
	[XFORM_AES256GMAC] = { XD_GMAC(XFORM_AES256GMAC, "aes256gmac", 36),
	    OSSL, AEAD_FNS },
	[XFORM_CHACHA20POLY1305] = { XD_CHACHA, OSSL, AEAD_FNS },
	[XFORM_AES128CBC] = { XD_CBC(XFORM_AES128CBC, "aes128cbc", 16),
	    OSSL, CBC_FNS },
	[XFORM_AES192CBC] = { XD_CBC(XFORM_AES192CBC, "aes192cbc", 24),
	    OSSL, CBC_FNS },
	[XFORM_AES256CBC] = { XD_CBC(XFORM_AES256CBC, "aes256cbc", 32),
	    OSSL, CBC_FNS },
	[XFORM_AES128CTR] = { XD_CTR(XFORM_AES128CTR, "aes128ctr", 20),
	    OSSL, CTR_FNS },
	[XFORM_AES192CTR] = { XD_CTR(XFORM_AES192CTR, "aes192ctr", 28),
	    OSSL, CTR_FNS },
	[XFORM_AES256CTR] = { XD_CTR(XFORM_AES256CTR, "aes256ctr", 36),
	    OSSL, CTR_FNS },
	[XFORM_HMAC_SHA1_96] = { XD_SHA1, OSSL, HMAC_FNS },
	[XFORM_HMAC_SHA256_128] = { XD_SHA256, OSSL, HMAC_FNS },
	[XFORM_HMAC_SHA384_192] = { XD_SHA384, OSSL, HMAC_FNS },
	[XFORM_HMAC_SHA512_256] = { XD_SHA512, OSSL, HMAC_FNS },
	[XFORM_AES_XCBC_96] = { XD_XCBC, OSSL, .key_init = xcbc_key_init,
	    .mac_init = xcbc_init, .mac_update = xcbc_update,
	    .mac_final = xcbc_final },
};

const struct xform *
crypto_openssl_rows(void)
{
	return rows;
}

int
crypto_openssl_init(void)
{
	return OPENSSL_init_crypto(0, NULL) == 1 ? 0 : -ENOSYS;
}
