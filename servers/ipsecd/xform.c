/*
 * xform.c - the table of transforms: which backend's row serves each
 * algorithm, lookups by name and PF_KEY number, per-SA keys, and the
 * names of the inbound rejections. The rows themselves live in the
 * backends (crypto_sodium.c, crypto_openssl.c).
 *
 * Nothing here sees a packet's structure: esp.c and ah.c call the rows'
 * functions on byte ranges they have already bounded. Keys live in
 * sodium_malloc'd memory and are wiped on free; stack copies are wiped
 * before return.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "xform_impl.h"

/*
 * The selection: which backend serves each algorithm, and which backends
 * failed an algorithm's self-test. Written at start-up only (xform_init,
 * xform_select_set, xform_backend_disable), before any key exists; read
 * by xform_get(). The one piece of process state of this core, as
 * libsodium's and libcrypto's own CPU dispatch are theirs.
 */
static struct {
	uint8_t	chosen;		/* enum xform_backend */
	uint8_t	disabled;	/* bit per backend */
} sel[XFORM_ALG_COUNT];

static const char *const alg_names[XFORM_ALG_COUNT] = {
	[XFORM_AES256GCM16] = "aes256gcm16",
	[XFORM_CHACHA20POLY1305] = "chacha20poly1305",
	[XFORM_NULL] = "null",
	[XFORM_HMAC_SHA256_128] = "hmac-sha256",
	[XFORM_HMAC_SHA512_256] = "hmac-sha512",
	[XFORM_AES128GCM16] = "aes128gcm16",
	[XFORM_AES192GCM16] = "aes192gcm16",
	[XFORM_AES128GMAC] = "aes128gmac",
	[XFORM_AES192GMAC] = "aes192gmac",
	[XFORM_AES256GMAC] = "aes256gmac",
	[XFORM_AES128CBC] = "aes128cbc",
	[XFORM_AES192CBC] = "aes192cbc",
	[XFORM_AES256CBC] = "aes256cbc",
	[XFORM_AES128CTR] = "aes128ctr",
	[XFORM_AES192CTR] = "aes192ctr",
	[XFORM_AES256CTR] = "aes256ctr",
	[XFORM_HMAC_SHA1_96] = "hmac-sha1",
	[XFORM_HMAC_SHA384_192] = "hmac-sha384",
	[XFORM_AES_XCBC_96] = "aes-xcbc",
};

static const char *const backend_names[XFORM_BACKEND_COUNT] = {
	[XFORM_BACKEND_SODIUM] = "sodium",
	[XFORM_BACKEND_OPENSSL] = "openssl",
};

void
xform_nonce_make(uint8_t nonce[12], const struct xform_key *k, uint64_t iv)
{
	memcpy(nonce, k->salt, XFORM_SALT_BYTES);
	xform_be64_put(nonce + XFORM_SALT_BYTES, iv);
}

static bool
alg_ok(enum xform_alg alg)
{
	return (unsigned int)alg < XFORM_ALG_COUNT && alg != XFORM_ALG_NONE;
}

static const struct xform *
rows_of(enum xform_backend b)
{
	switch (b) {
	case XFORM_BACKEND_SODIUM:
		return crypto_sodium_rows();
	case XFORM_BACKEND_OPENSSL:
		return crypto_openssl_rows();
	default:
		return NULL;
	}
}

const struct xform *
xform_get_backend(enum xform_alg alg, enum xform_backend b)
{
	const struct xform *rows, *xf;

	if (!alg_ok(alg) || (unsigned int)b >= XFORM_BACKEND_COUNT ||
	    (sel[alg].disabled & (1u << b)) != 0 || (rows = rows_of(b)) == NULL)
		return NULL;
	xf = &rows[alg];
	if (xf->alg != alg || xf->available == NULL || !xf->available())
		return NULL;
	return xf;
}

/* The default: OpenSSL first (libcrypto present means it is used). */
static void
select_default(enum xform_alg alg)
{
	if (xform_get_backend(alg, XFORM_BACKEND_OPENSSL) != NULL)
		sel[alg].chosen = XFORM_BACKEND_OPENSSL;
	else
		sel[alg].chosen = XFORM_BACKEND_SODIUM;
}

int
xform_init(void)
{
	size_t a;
	int error;

	if ((error = crypto_sodium_init()) != 0)
		return error;
	if ((error = crypto_openssl_init()) != 0)
		return error;
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		select_default((enum xform_alg)a);
	return 0;
}

int
xform_select_set(enum xform_alg alg, enum xform_backend b)
{
	if (xform_get_backend(alg, b) == NULL)
		return -ENOENT;
	sel[alg].chosen = (uint8_t)b;
	return 0;
}

void
xform_backend_disable(enum xform_alg alg, enum xform_backend b)
{
	if (!alg_ok(alg) || (unsigned int)b >= XFORM_BACKEND_COUNT)
		return;
	sel[alg].disabled |= (uint8_t)(1u << b);
	if (sel[alg].chosen == b)
		select_default(alg);
}

const struct xform *
xform_get(enum xform_alg alg)
{
	if (!alg_ok(alg))
		return NULL;
	return xform_get_backend(alg, (enum xform_backend)sel[alg].chosen);
}

const char *
xform_backend_name(enum xform_backend b)
{
	if ((unsigned int)b >= XFORM_BACKEND_COUNT)
		return "unknown";
	return backend_names[b];
}

int
xform_backend_by_name(const char *s, size_t n, enum xform_backend *b)
{
	size_t i;

	for (i = 0; i < XFORM_BACKEND_COUNT; i++)
		if (strlen(backend_names[i]) == n &&
		    memcmp(backend_names[i], s, n) == 0) {
			*b = (enum xform_backend)i;
			return 0;
		}
	return -ENOENT;
}

enum xform_alg
xform_alg_by_name(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < XFORM_ALG_COUNT; i++)
		if (strlen(alg_names[i]) == n &&
		    memcmp(alg_names[i], s, n) == 0)
			return (enum xform_alg)i;
	return XFORM_ALG_NONE;
}

const struct xform *
xform_by_sadb_key(bool encryption, unsigned int sadb_alg, size_t keylen)
{
	size_t i;

	for (i = 1; i < XFORM_ALG_COUNT; i++) {
		const struct xform *xf = xform_get((enum xform_alg)i);

		if (xf == NULL || (xf->kind == XFORM_KIND_INTEG) == encryption)
			continue;
		if (xf->sadb_alg == sadb_alg &&
		    (keylen == SIZE_MAX || xf->key_bytes == keylen))
			return xf;
	}
	return NULL;
}

const struct xform *
xform_by_sadb(bool encryption, unsigned int sadb_alg)
{
	return xform_by_sadb_key(encryption, sadb_alg, SIZE_MAX);
}

const char *
xform_name(enum xform_alg alg)
{
	if (!alg_ok(alg))
		return "unknown";
	return alg_names[alg];
}

int
xform_key_new_row(const struct xform *xf, const uint8_t *key, size_t keylen,
    bool kat, struct xform_key **out)
{
	struct xform_key *k;
	int error;

	*out = NULL;
	if (xf == NULL)
		return -ENOENT;
	if (kat && xf->kind == XFORM_KIND_INTEG &&
	    xf->alg != XFORM_AES_XCBC_96) {
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
	*out = NULL;
	return xform_key_new_row(xform_get(alg), key, keylen, false, out);
}

int
xform_key_new_kat(enum xform_alg alg, const uint8_t *key, size_t keylen,
    struct xform_key **out)
{
	*out = NULL;
	return xform_key_new_row(xform_get(alg), key, keylen, true, out);
}

void
xform_key_free(struct xform_key *k)
{
	if (k == NULL)
		return;
	if (k->xf != NULL && k->xf->key_fini != NULL)
		k->xf->key_fini(k);
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

#ifndef PARAPET_CRYPTO_OPENSSL
/* The libsodium-only profile: no second backend. */
const struct xform *
crypto_openssl_rows(void)
{
	return NULL;
}

int
crypto_openssl_init(void)
{
	return 0;
}
#endif
