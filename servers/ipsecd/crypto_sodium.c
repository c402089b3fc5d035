/*
 * crypto_sodium.c - the libsodium backend of the table of transforms:
 * AES-256-GCM-16 (only where the CPU has AES instructions),
 * ChaCha20-Poly1305, NULL, HMAC-SHA-256-128 and HMAC-SHA-512-256. Always
 * built; the only backend of the small (libsodium-only) profile.
 *
 * Keys: the AES-GCM key schedule (beforenm), the ChaCha20 key, or the
 * HMAC state after init with the key, copied per packet, never re-keyed.
 * Pure; untrusted input: none (byte ranges bounded by esp.c and ah.c).
 */
#include <errno.h>
#include <string.h>

#include "xform_impl.h"

/* AES-256-GCM-16 (RFC 4106). */

static bool
gcm_available(void)
{
	return crypto_aead_aes256gcm_is_available() != 0;
}

static int
gcm_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	if (len != crypto_aead_aes256gcm_KEYBYTES + XFORM_SALT_BYTES)
		return -EINVAL;
	if (crypto_aead_aes256gcm_beforenm(&k->u.gcm, key) != 0)
		return -ENOENT;
	memcpy(k->salt, key + crypto_aead_aes256gcm_KEYBYTES,
	    XFORM_SALT_BYTES);
	return 0;
}

static int
gcm_seal(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[12];

	xform_nonce_make(nonce, k, iv);
	if (crypto_aead_aes256gcm_encrypt_detached_afternm(buf, icv, NULL,
	    buf, len, aad, aadlen, NULL, nonce, &k->u.gcm) != 0)
		return -EIO;
	return 0;
}

static int
gcm_open(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t nonce[12];

	xform_nonce_make(nonce, k, iv);
	if (crypto_aead_aes256gcm_decrypt_detached_afternm(buf, NULL, buf,
	    len, icv, aad, aadlen, nonce, &k->u.gcm) != 0)
		return -EBADMSG;
	return 0;
}

/* ChaCha20-Poly1305 (RFC 7634: RFC 8439 AEAD, nonce salt || IV). */

static bool
always(void)
{
	return true;
}

static int
chacha_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	if (len != crypto_aead_chacha20poly1305_ietf_KEYBYTES +
	    XFORM_SALT_BYTES)
		return -EINVAL;
	memcpy(k->u.chacha, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
	memcpy(k->salt, key + crypto_aead_chacha20poly1305_ietf_KEYBYTES,
	    XFORM_SALT_BYTES);
	return 0;
}

static int
chacha_seal(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[12];

	xform_nonce_make(nonce, k, iv);
	if (crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, icv,
	    NULL, buf, len, aad, aadlen, NULL, nonce, k->u.chacha) != 0)
		return -EIO;
	return 0;
}

static int
chacha_open(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t nonce[12];

	xform_nonce_make(nonce, k, iv);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(buf, NULL, buf,
	    len, icv, aad, aadlen, nonce, k->u.chacha) != 0)
		return -EBADMSG;
	return 0;
}

/* NULL encryption (RFC 2410): no key, no IV, no change. */

static int
null_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	(void)k;
	(void)key;
	return len == 0 ? 0 : -EINVAL;
}

/* HMAC-SHA-256-128 and HMAC-SHA-512-256 (RFC 4868). */

static int
h256_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	if (len == 0)
		return -EINVAL;
	return crypto_auth_hmacsha256_init(&k->u.h256, key, len) == 0 ?
	    0 : -EINVAL;
}

static void
h256_init(const struct xform_key *k, struct xform_mac_ctx *c)
{
	c->u.s256 = k->u.h256;
	c->xf = k->xf;
}

static void
h256_update(struct xform_mac_ctx *c, const uint8_t *p, size_t n)
{
	(void)crypto_auth_hmacsha256_update(&c->u.s256, p, n);
}

static int
h256_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	int rc = crypto_auth_hmacsha256_final(&c->u.s256, digest);

	sodium_memzero(&c->u, sizeof(c->u));
	return rc == 0 ? 0 : -EIO;
}

static int
h512_key_init(struct xform_key *k, const uint8_t *key, size_t len)
{
	if (len == 0)
		return -EINVAL;
	return crypto_auth_hmacsha512_init(&k->u.h512, key, len) == 0 ?
	    0 : -EINVAL;
}

static void
h512_init(const struct xform_key *k, struct xform_mac_ctx *c)
{
	c->u.s512 = k->u.h512;
	c->xf = k->xf;
}

static void
h512_update(struct xform_mac_ctx *c, const uint8_t *p, size_t n)
{
	(void)crypto_auth_hmacsha512_update(&c->u.s512, p, n);
}

static int
h512_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	int rc = crypto_auth_hmacsha512_final(&c->u.s512, digest);

	sodium_memzero(&c->u, sizeof(c->u));
	return rc == 0 ? 0 : -EIO;
}

#define SODIUM	.backend = XFORM_BACKEND_SODIUM

static const struct xform rows[XFORM_ALG_COUNT] = {
	[XFORM_AES256GCM16] = {
		XD_GCM(XFORM_AES256GCM16, "aes256gcm16", 36), SODIUM,
		.available = gcm_available, .key_init = gcm_key_init,
		.seal = gcm_seal, .open = gcm_open,
	},
	[XFORM_CHACHA20POLY1305] = {
		XD_CHACHA, SODIUM,
		.available = always, .key_init = chacha_key_init,
		.seal = chacha_seal, .open = chacha_open,
	},
	[XFORM_NULL] = {
		XD_NULL, SODIUM,
		.available = always, .key_init = null_key_init,
	},
	[XFORM_HMAC_SHA256_128] = {
		XD_SHA256, SODIUM,
		.available = always, .key_init = h256_key_init,
		.mac_init = h256_init, .mac_update = h256_update,
		.mac_final = h256_final,
	},
	[XFORM_HMAC_SHA512_256] = {
		XD_SHA512, SODIUM,
		.available = always, .key_init = h512_key_init,
		.mac_init = h512_init, .mac_update = h512_update,
		.mac_final = h512_final,
	},
};

const struct xform *
crypto_sodium_rows(void)
{
	return rows;
}

int
crypto_sodium_init(void)
{
	return sodium_init() < 0 ? -ENOSYS : 0;
}
