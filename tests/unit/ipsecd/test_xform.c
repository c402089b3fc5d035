/*
 * test_xform.c - the table of transforms (servers/ipsecd/xform.c): rows
 * and PF_KEY numbers (both backends' algorithms), key lengths, key life cycle, AEAD tamper detection,
 * HMAC state reuse, the names of every rejection.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xform.h"

static const struct row {
	enum xform_alg	alg;
	const char	*name;
	enum xform_kind	kind;
	unsigned int	sadb;
	uint16_t	key, iv, icv;
} rows[] = {
	{ XFORM_AES256GCM16, "aes256gcm16", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_AES_GCM_ICV16, 36, 8, 16 },
	{ XFORM_CHACHA20POLY1305, "chacha20poly1305", XFORM_KIND_AEAD,
	    XFORM_SADB_EALG_CHACHA20POLY1305, 36, 8, 16 },
	{ XFORM_NULL, "null", XFORM_KIND_CIPHER, PARAPET_SADB_EALG_NULL, 0, 0,
	    0 },
	{ XFORM_HMAC_SHA256_128, "hmac-sha256", XFORM_KIND_INTEG,
	    PARAPET_SADB_X_AALG_SHA2_256HMAC, 32, 0, 16 },
	{ XFORM_HMAC_SHA512_256, "hmac-sha512", XFORM_KIND_INTEG,
	    PARAPET_SADB_X_AALG_SHA2_512HMAC, 64, 0, 32 },
	/* OpenSSL only (DESIGN §10.23). */
	{ XFORM_AES128GCM16, "aes128gcm16", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_AES_GCM_ICV16, 20, 8, 16 },
	{ XFORM_AES192GCM16, "aes192gcm16", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_AES_GCM_ICV16, 28, 8, 16 },
	{ XFORM_AES128GMAC, "aes128gmac", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_NULL_AES_GMAC, 20, 8, 16 },
	{ XFORM_AES192GMAC, "aes192gmac", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_NULL_AES_GMAC, 28, 8, 16 },
	{ XFORM_AES256GMAC, "aes256gmac", XFORM_KIND_AEAD,
	    PARAPET_SADB_X_EALG_NULL_AES_GMAC, 36, 8, 16 },
	{ XFORM_AES128CBC, "aes128cbc", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCBC, 16, 16, 0 },
	{ XFORM_AES192CBC, "aes192cbc", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCBC, 24, 16, 0 },
	{ XFORM_AES256CBC, "aes256cbc", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCBC, 32, 16, 0 },
	{ XFORM_AES128CTR, "aes128ctr", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCTR, 20, 8, 0 },
	{ XFORM_AES192CTR, "aes192ctr", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCTR, 28, 8, 0 },
	{ XFORM_AES256CTR, "aes256ctr", XFORM_KIND_CIPHER,
	    PARAPET_SADB_X_EALG_AESCTR, 36, 8, 0 },
	{ XFORM_HMAC_SHA1_96, "hmac-sha1", XFORM_KIND_INTEG,
	    PARAPET_SADB_AALG_SHA1HMAC, 20, 0, 12 },
	{ XFORM_HMAC_SHA384_192, "hmac-sha384", XFORM_KIND_INTEG,
	    PARAPET_SADB_X_AALG_SHA2_384HMAC, 48, 0, 24 },
	{ XFORM_AES_XCBC_96, "aes-xcbc", XFORM_KIND_INTEG,
	    PARAPET_SADB_X_AALG_AES_XCBC_MAC, 16, 0, 12 },
};

/* May an algorithm be missing here? */
static bool
may_lack(enum xform_alg alg)
{
#ifndef PARAPET_CRYPTO_OPENSSL
	/* The libsodium-only profile has the first five rows only. */
	if (alg > XFORM_HMAC_SHA512_256)
		return true;
	/* AES-GCM only with AES instructions. */
	return alg == XFORM_AES256GCM16 &&
	    crypto_aead_aes256gcm_is_available() == 0;
#else
	(void)alg;
	return false;
#endif
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(nitems(rows), XFORM_ALG_COUNT - 1);
	for (i = 0; i < nitems(rows); i++) {
		const struct xform *xf = xform_get(rows[i].alg);

		if (xf == NULL) {
			assert_true(may_lack(rows[i].alg));
			continue;
		}
		assert_string_equal(xf->name, rows[i].name);
		assert_string_equal(xform_name(rows[i].alg), rows[i].name);
		assert_int_equal(xf->kind, rows[i].kind);
		assert_int_equal(xf->sadb_alg, rows[i].sadb);
		assert_int_equal(xf->key_bytes, rows[i].key);
		assert_int_equal(xf->iv_bytes, rows[i].iv);
		assert_int_equal(xf->icv_bytes, rows[i].icv);
		assert_int_equal(xf->align, rows[i].iv == 16 ? 16 : 4);
		assert_ptr_equal(xform_by_sadb_key(rows[i].kind !=
		    XFORM_KIND_INTEG, rows[i].sadb, rows[i].key), xf);
		if (xf->kind == XFORM_KIND_AEAD)
			assert_non_null(xf->seal);
		if (xf->kind == XFORM_KIND_INTEG)
			assert_non_null(xf->mac_init);
	}
	assert_null(xform_get(XFORM_ALG_NONE));
	assert_null(xform_get(XFORM_ALG_COUNT));
	assert_null(xform_by_sadb(true, PARAPET_SADB_EALG_3DESCBC));
	assert_null(xform_by_sadb_key(true, PARAPET_SADB_X_EALG_AESCBC, 17));
	assert_null(xform_by_sadb(false, PARAPET_SADB_EALG_NULL));
	assert_string_equal(xform_name(XFORM_ALG_COUNT), "unknown");
}

static void
test_key_lengths(void **state)
{
	static const uint8_t k[200];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		struct xform_key *key;
		size_t lens[] = { 0, 1, 16, 20, 24, 28, 31, 32, 33, 35, 36,
		    37, 48, 64, 65 };
		size_t j;

		if (xform_get(rows[i].alg) == NULL)
			continue;
		for (j = 0; j < nitems(lens); j++) {
			int rc = xform_key_new(rows[i].alg, k, lens[j], &key);

			if (lens[j] == rows[i].key) {
				assert_int_equal(rc, 0);
				assert_ptr_equal(xform_key_xform(key),
				    xform_get(rows[i].alg));
				xform_key_free(key);
			} else {
				assert_int_equal(rc, -EINVAL);
				assert_null(key);
			}
		}
	}
	assert_int_equal(xform_key_new(XFORM_ALG_NONE, k, 0, &(struct
	    xform_key *){ NULL }), -ENOENT);
	xform_key_free(NULL);
}

static void
test_aead_tamper(void **state)
{
	static const enum xform_alg algs[] = { XFORM_AES256GCM16,
		XFORM_CHACHA20POLY1305 };
	size_t a;

	(void)state;
	for (a = 0; a < nitems(algs); a++) {
		const struct xform *xf = xform_get(algs[a]);
		struct xform_key *k;
		uint8_t key[36], buf[64], copy[64], icv[16], aad[12];
		size_t i;

		if (xf == NULL)
			continue;
		memset(key, 0x5a, sizeof(key));
		memset(aad, 7, sizeof(aad));
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)i;
		assert_int_equal(xform_key_new(algs[a], key, 36, &k), 0);
		xf->seal(k, 42, aad, sizeof(aad), buf, sizeof(buf), icv);
		memcpy(copy, buf, sizeof(buf));
		assert_int_equal(xf->open(k, 42, aad, sizeof(aad), copy,
		    sizeof(copy), icv), 0);
		for (i = 0; i < sizeof(copy); i++)
			assert_int_equal(copy[i], i);
		/* A different IV, AAD or ciphertext byte fails. */
		memcpy(copy, buf, sizeof(buf));
		assert_int_equal(xf->open(k, 43, aad, sizeof(aad), copy,
		    sizeof(copy), icv), -EBADMSG);
		memcpy(copy, buf, sizeof(buf));
		assert_int_equal(xf->open(k, 42, aad, 8, copy, sizeof(copy),
		    icv), -EBADMSG);
		for (i = 0; i < sizeof(buf); i++) {
			memcpy(copy, buf, sizeof(buf));
			copy[i] ^= 0x01;
			assert_int_equal(xf->open(k, 42, aad, sizeof(aad),
			    copy, sizeof(copy), icv), -EBADMSG);
		}
		xform_key_free(k);
	}
}

/* The per-SA HMAC state is copied, never consumed. */
static void
test_hmac_state(void **state)
{
	static const enum xform_alg algs[] = { XFORM_HMAC_SHA256_128,
		XFORM_HMAC_SHA512_256 };
	size_t a;

	(void)state;
	for (a = 0; a < nitems(algs); a++) {
		const struct xform *xf = xform_get(algs[a]);
		struct xform_key *k;
		struct xform_mac_ctx c;
		uint8_t key[64], d1[XFORM_DIGEST_MAX], d2[XFORM_DIGEST_MAX];
		uint8_t d3[XFORM_DIGEST_MAX];

		memset(key, 0x11, sizeof(key));
		assert_int_equal(xform_key_new(algs[a], key, xf->key_bytes, &k),
		    0);
		xf->mac_init(k, &c);
		xf->mac_update(&c, (const uint8_t *)"abc", 3);
		xf->mac_final(&c, d1);
		xf->mac_init(k, &c);
		xf->mac_update(&c, (const uint8_t *)"ab", 2);
		xf->mac_update(&c, (const uint8_t *)"c", 1);
		xf->mac_final(&c, d2);
		xf->mac_init(k, &c);
		xf->mac_update(&c, (const uint8_t *)"abd", 3);
		xf->mac_final(&c, d3);
		assert_memory_equal(d1, d2, xf->icv_bytes);
		assert_memory_not_equal(d1, d3, xf->icv_bytes);
		xform_key_free(k);
	}
}

static void
test_reject_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < XFORM_REJECT_COUNT; i++) {
		const char *n = xform_reject_str((enum xform_reject)i);

		assert_string_not_equal(n, "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(n,
			    xform_reject_str((enum xform_reject)j));
		if (i == 0 || xform_reject_silent((enum xform_reject)i))
			assert_int_equal(xform_reject_errno(
			    (enum xform_reject)i), 0);
		else
			assert_true(xform_reject_errno(
			    (enum xform_reject)i) < 0);
	}
	assert_string_equal(xform_reject_str(XFORM_REJECT_COUNT), "unknown");
	assert_true(xform_reject_silent(XFORM_REJECT_ESP_DUMMY));
	assert_true(xform_reject_silent(XFORM_REJECT_NATT_KEEPALIVE));
	assert_false(xform_reject_silent(XFORM_REJECT_ESP_AUTH));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_aead_tamper),
		cmocka_unit_test(test_hmac_state),
		cmocka_unit_test(test_reject_names),
	};

	if (xform_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
