/*
 * xform.c - the table of transforms (libsodium backend), per-SA keys and
 * the names of the inbound rejections.
 *
 * Nothing here sees a packet's structure: esp.c and ah.c call the rows'
 * functions on byte ranges they have already bounded. Keys live in
 * sodium_malloc'd memory and are wiped on free; stack copies are wiped
 * before return.
 */
#include <errno.h>
#include <string.h>

#include "xform.h"

/*
 * The prepared key. Its size is a multiple of its alignment so that
 * sodium_malloc (which places the end of the block at a guard page)
 * returns a 16-byte aligned start, as the AES-GCM state requires.
 */
struct xform_key {
	union {
		crypto_aead_aes256gcm_state	gcm;
		uint8_t				chacha[32];
		crypto_auth_hmacsha256_state	h256;
		crypto_auth_hmacsha512_state	h512;
	} u;
	const struct xform	*xf;
	uint8_t			 salt[XFORM_SALT_BYTES];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct xform_key) % 64 == 0, "xform_key size");

static void
nonce_make(uint8_t nonce[12], const struct xform_key *k, uint64_t iv)
{
	int i;

	memcpy(nonce, k->salt, XFORM_SALT_BYTES);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(iv >> (56 - 8 * i));
}

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

static void
gcm_seal(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[12];

	nonce_make(nonce, k, iv);
	(void)crypto_aead_aes256gcm_encrypt_detached_afternm(buf, icv, NULL,
	    buf, len, aad, aadlen, NULL, nonce, &k->u.gcm);
}

static int
gcm_open(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t nonce[12];

	nonce_make(nonce, k, iv);
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

static void
chacha_seal(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[12];

	nonce_make(nonce, k, iv);
	(void)crypto_aead_chacha20poly1305_ietf_encrypt_detached(buf, icv,
	    NULL, buf, len, aad, aadlen, NULL, nonce, k->u.chacha);
}

static int
chacha_open(const struct xform_key *k, uint64_t iv, const uint8_t *aad,
    size_t aadlen, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t nonce[12];

	nonce_make(nonce, k, iv);
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

static void
h256_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	(void)crypto_auth_hmacsha256_final(&c->u.s256, digest);
	sodium_memzero(&c->u, sizeof(c->u));
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

static void
h512_final(struct xform_mac_ctx *c, uint8_t digest[XFORM_DIGEST_MAX])
{
	(void)crypto_auth_hmacsha512_final(&c->u.s512, digest);
	sodium_memzero(&c->u, sizeof(c->u));
}

static const struct xform xforms[XFORM_ALG_COUNT] = {
	[XFORM_AES256GCM16] = {
		.alg = XFORM_AES256GCM16, .name = "aes256gcm16",
		.kind = XFORM_KIND_AEAD,
		.sadb_alg = PARAPET_SADB_X_EALG_AES_GCM_ICV16,
		.key_bytes = 36, .salt_bytes = 4, .iv_bytes = 8,
		.icv_bytes = 16, .align = 4,
		.available = gcm_available, .key_init = gcm_key_init,
		.seal = gcm_seal, .open = gcm_open,
	},
	[XFORM_CHACHA20POLY1305] = {
		.alg = XFORM_CHACHA20POLY1305, .name = "chacha20poly1305",
		.kind = XFORM_KIND_AEAD,
		.sadb_alg = XFORM_SADB_EALG_CHACHA20POLY1305,
		.key_bytes = 36, .salt_bytes = 4, .iv_bytes = 8,
		.icv_bytes = 16, .align = 4,
		.available = always, .key_init = chacha_key_init,
		.seal = chacha_seal, .open = chacha_open,
	},
	[XFORM_NULL] = {
		.alg = XFORM_NULL, .name = "null",
		.kind = XFORM_KIND_CIPHER,
		.sadb_alg = PARAPET_SADB_EALG_NULL,
		.key_bytes = 0, .salt_bytes = 0, .iv_bytes = 0,
		.icv_bytes = 0, .align = 4,
		.available = always, .key_init = null_key_init,
	},
	[XFORM_HMAC_SHA256_128] = {
		.alg = XFORM_HMAC_SHA256_128, .name = "hmac-sha256",
		.kind = XFORM_KIND_INTEG,
		.sadb_alg = PARAPET_SADB_X_AALG_SHA2_256HMAC,
		.key_bytes = 32, .icv_bytes = 16, .align = 4,
		.available = always, .key_init = h256_key_init,
		.mac_init = h256_init, .mac_update = h256_update,
		.mac_final = h256_final,
	},
	[XFORM_HMAC_SHA512_256] = {
		.alg = XFORM_HMAC_SHA512_256, .name = "hmac-sha512",
		.kind = XFORM_KIND_INTEG,
		.sadb_alg = PARAPET_SADB_X_AALG_SHA2_512HMAC,
		.key_bytes = 64, .icv_bytes = 32, .align = 4,
		.available = always, .key_init = h512_key_init,
		.mac_init = h512_init, .mac_update = h512_update,
		.mac_final = h512_final,
	},
};

int
xform_init(void)
{
	return sodium_init() < 0 ? -ENOSYS : 0;
}

const struct xform *
xform_get(enum xform_alg alg)
{
	const struct xform *xf;

	if ((unsigned int)alg >= XFORM_ALG_COUNT || alg == XFORM_ALG_NONE)
		return NULL;
	xf = &xforms[alg];
	if (xf->available == NULL || !xf->available())
		return NULL;
	return xf;
}

const struct xform *
xform_by_sadb(bool encryption, unsigned int sadb_alg)
{
	size_t i;

	for (i = 1; i < nitems(xforms); i++) {
		const struct xform *xf = &xforms[i];

		if ((xf->kind == XFORM_KIND_INTEG) == encryption)
			continue;
		if (xf->sadb_alg == sadb_alg)
			return xform_get(xf->alg);
	}
	return NULL;
}

const char *
xform_name(enum xform_alg alg)
{
	if ((unsigned int)alg >= XFORM_ALG_COUNT || alg == XFORM_ALG_NONE)
		return "unknown";
	return xforms[alg].name;
}

static int
key_new(enum xform_alg alg, const uint8_t *key, size_t keylen, bool kat,
    struct xform_key **out)
{
	const struct xform *xf;
	struct xform_key *k;
	int error;

	*out = NULL;
	if ((xf = xform_get(alg)) == NULL)
		return -ENOENT;
	if (kat && xf->kind == XFORM_KIND_INTEG) {
		if (keylen == 0 || keylen > 1024)
			return -EINVAL;
	} else if (keylen != xf->key_bytes)
		return -EINVAL;
	if (keylen > 0 && key == NULL)
		return -EINVAL;
	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		return -ENOMEM;
	memset(k, 0, sizeof(*k));
	k->xf = xf;
	if ((error = xf->key_init(k, key, keylen)) != 0) {
		xform_key_free(k);
		return error;
	}
	*out = k;
	return 0;
}

int
xform_key_new(enum xform_alg alg, const uint8_t *key, size_t keylen,
    struct xform_key **out)
{
	return key_new(alg, key, keylen, false, out);
}

int
xform_key_new_kat(enum xform_alg alg, const uint8_t *key, size_t keylen,
    struct xform_key **out)
{
	return key_new(alg, key, keylen, true, out);
}

void
xform_key_free(struct xform_key *k)
{
	if (k == NULL)
		return;
	/* sodium_free wipes too; say it here for the reader. */
	sodium_memzero(k, sizeof(*k));
	sodium_free(k);
}

const struct xform *
xform_key_xform(const struct xform_key *k)
{
	return k->xf;
}

/* Names and errnos of the rejections. */

struct reject_info {
	const char	*name;
	int		 error;		/* positive errno; 0: silent drop */
};

static const struct reject_info reject_info[XFORM_REJECT_COUNT] = {
	[XFORM_REJECT_NONE] = { "ok", 0 },
	[XFORM_REJECT_IP_SHORT] = { "ip_short", EBADMSG },
	[XFORM_REJECT_IP_VERSION] = { "ip_version", EBADMSG },
	[XFORM_REJECT_IP_HLEN] = { "ip_hlen", EBADMSG },
	[XFORM_REJECT_IP_LEN] = { "ip_len", EBADMSG },
	[XFORM_REJECT_IP_CSUM] = { "ip_csum", EBADMSG },
	[XFORM_REJECT_IP_FRAGMENT] = { "ip_fragment", EBADMSG },
	[XFORM_REJECT_IP_EXTHDR] = { "ip_exthdr", EBADMSG },
	[XFORM_REJECT_IP_OPTION] = { "ip_option", EBADMSG },
	[XFORM_REJECT_IP_PROTO] = { "ip_proto", EPROTONOSUPPORT },
	[XFORM_REJECT_UDP_SHORT] = { "udp_short", EBADMSG },
	[XFORM_REJECT_UDP_LEN] = { "udp_len", EBADMSG },
	[XFORM_REJECT_UDP_PORT] = { "udp_port", EPROTONOSUPPORT },
	[XFORM_REJECT_UDP_CSUM] = { "udp_csum", EBADMSG },
	[XFORM_REJECT_NATT_KEEPALIVE] = { "natt_keepalive", 0 },
	[XFORM_REJECT_NATT_IKE] = { "natt_ike", EPROTONOSUPPORT },
	[XFORM_REJECT_NATT_UNEXPECTED] = { "natt_unexpected", EPROTO },
	[XFORM_REJECT_NATT_MISSING] = { "natt_missing", EPROTO },
	[XFORM_REJECT_ESP_SHORT] = { "esp_short", EBADMSG },
	[XFORM_REJECT_ESP_SPI_ZERO] = { "esp_spi_zero", EBADMSG },
	[XFORM_REJECT_ESP_SPI] = { "esp_spi", ENOENT },
	[XFORM_REJECT_ESP_ALIGN] = { "esp_align", EBADMSG },
	[XFORM_REJECT_ESP_AUTH] = { "esp_auth", EBADMSG },
	[XFORM_REJECT_ESP_PADLEN] = { "esp_padlen", EBADMSG },
	[XFORM_REJECT_ESP_PAD] = { "esp_pad", EBADMSG },
	[XFORM_REJECT_ESP_DUMMY] = { "esp_dummy", 0 },
	[XFORM_REJECT_ESP_NEXTHDR] = { "esp_nexthdr", EPROTO },
	[XFORM_REJECT_INNER] = { "inner", EBADMSG },
	[XFORM_REJECT_ECN] = { "ecn", EBADMSG },
	[XFORM_REJECT_AH_SHORT] = { "ah_short", EBADMSG },
	[XFORM_REJECT_AH_LEN] = { "ah_len", EBADMSG },
	[XFORM_REJECT_AH_RESERVED] = { "ah_reserved", EBADMSG },
	[XFORM_REJECT_AH_SPI_ZERO] = { "ah_spi_zero", EBADMSG },
	[XFORM_REJECT_AH_SPI] = { "ah_spi", ENOENT },
	[XFORM_REJECT_AH_AUTH] = { "ah_auth", EBADMSG },
	[XFORM_REJECT_AH_ROUTING] = { "ah_routing", EPROTONOSUPPORT },
	[XFORM_REJECT_AH_NEXTHDR] = { "ah_nexthdr", EPROTO },
	[XFORM_REJECT_SA] = { "sa", EINVAL },
};

const char *
xform_reject_str(enum xform_reject r)
{
	if ((unsigned int)r >= XFORM_REJECT_COUNT ||
	    reject_info[r].name == NULL)
		return "unknown";
	return reject_info[r].name;
}

int
xform_reject_errno(enum xform_reject r)
{
	if ((unsigned int)r >= XFORM_REJECT_COUNT)
		return -EINVAL;
	return -reject_info[r].error;
}

bool
xform_reject_silent(enum xform_reject r)
{
	return r == XFORM_REJECT_NATT_KEEPALIVE || r == XFORM_REJECT_ESP_DUMMY;
}
