/*
 * xform_impl.h - what the table of transforms (xform.c) shares with its
 * backends (crypto_sodium.c, crypto_openssl.c) and the self-tests
 * (crypto_select.c): the prepared key, the backends' row tables, and the
 * description of each algorithm (PF_KEY number, sizes) that every
 * backend's row repeats. Private to ipsecd_xform.
 */
#ifndef PARAPET_IPSECD_XFORM_IMPL_H
#define PARAPET_IPSECD_XFORM_IMPL_H

#include "xform.h"

/*
 * The prepared key. Its size is a multiple of its alignment so that
 * sodium_malloc (which places the end of the block at a guard page)
 * returns a 16-byte aligned start, as the AES-GCM state requires.
 * OpenSSL keys hold their EVP contexts (allocated by libcrypto, freed by
 * key_fini) and, for AES-XCBC, the derived subkeys K2 and K3.
 */
struct xform_key {
	union {
		crypto_aead_aes256gcm_state	gcm;
		uint8_t				chacha[32];
		crypto_auth_hmacsha256_state	h256;
		crypto_auth_hmacsha512_state	h512;
		struct {
			void	*enc;	/* EVP_CIPHER_CTX / EVP_MAC_CTX */
			void	*dec;	/* EVP_CIPHER_CTX (CBC decrypt) */
			void	*ivc;	/* EVP_CIPHER_CTX (ECB: CBC IVs) */
			uint8_t	 k2[16];	/* AES-XCBC (RFC 3566) */
			uint8_t	 k3[16];
		} o;
	} u;
	const struct xform	*xf;
	uint8_t			 salt[XFORM_SALT_BYTES];
} __attribute__((aligned(64)));

/* Each backend's rows, indexed by enum xform_alg; unused rows are zero. */
const struct xform *crypto_sodium_rows(void);
/* NULL when built without OpenSSL (PARAPET_CRYPTO_OPENSSL off). */
const struct xform *crypto_openssl_rows(void);
/* Backend set-up for xform_init(): 0 or -ENOSYS. */
int	crypto_sodium_init(void);
int	crypto_openssl_init(void);

/* RFC 4106/7634/3686/4543 nonce: salt || 64-bit IV, big-endian. */
void	xform_nonce_make(uint8_t nonce[12], const struct xform_key *,
	    uint64_t iv);

/*
 * The description each backend's row of an algorithm starts with:
 * .alg, .name, .kind, .sadb_alg, .key_bytes, .salt_bytes, .iv_bytes,
 * .icv_bytes, .align.
 */
#define XD_AEAD(a, n, sadb, key)					\
	.alg = (a), .name = (n), .kind = XFORM_KIND_AEAD,		\
	.sadb_alg = (sadb), .key_bytes = (key), .salt_bytes = 4,	\
	.iv_bytes = 8, .icv_bytes = 16, .align = 4
#define XD_GCM(a, n, key)						\
	XD_AEAD(a, n, PARAPET_SADB_X_EALG_AES_GCM_ICV16, key)
#define XD_GMAC(a, n, key)						\
	XD_AEAD(a, n, PARAPET_SADB_X_EALG_NULL_AES_GMAC, key)
#define XD_CHACHA							\
	XD_AEAD(XFORM_CHACHA20POLY1305, "chacha20poly1305",		\
	    XFORM_SADB_EALG_CHACHA20POLY1305, 36)
#define XD_NULL								\
	.alg = XFORM_NULL, .name = "null", .kind = XFORM_KIND_CIPHER,	\
	.sadb_alg = PARAPET_SADB_EALG_NULL, .align = 4
#define XD_CBC(a, n, key)						\
	.alg = (a), .name = (n), .kind = XFORM_KIND_CIPHER,		\
	.sadb_alg = PARAPET_SADB_X_EALG_AESCBC, .key_bytes = (key),	\
	.iv_bytes = 16, .align = 16
#define XD_CTR(a, n, key)						\
	.alg = (a), .name = (n), .kind = XFORM_KIND_CIPHER,		\
	.sadb_alg = PARAPET_SADB_X_EALG_AESCTR, .key_bytes = (key),	\
	.salt_bytes = 4, .iv_bytes = 8, .align = 4
#define XD_INTEG(a, n, sadb, key, icv)					\
	.alg = (a), .name = (n), .kind = XFORM_KIND_INTEG,		\
	.sadb_alg = (sadb), .key_bytes = (key), .icv_bytes = (icv),	\
	.align = 4
#define XD_SHA1								\
	XD_INTEG(XFORM_HMAC_SHA1_96, "hmac-sha1",			\
	    PARAPET_SADB_AALG_SHA1HMAC, 20, 12)
#define XD_SHA256							\
	XD_INTEG(XFORM_HMAC_SHA256_128, "hmac-sha256",			\
	    PARAPET_SADB_X_AALG_SHA2_256HMAC, 32, 16)
#define XD_SHA384							\
	XD_INTEG(XFORM_HMAC_SHA384_192, "hmac-sha384",			\
	    PARAPET_SADB_X_AALG_SHA2_384HMAC, 48, 24)
#define XD_SHA512							\
	XD_INTEG(XFORM_HMAC_SHA512_256, "hmac-sha512",			\
	    PARAPET_SADB_X_AALG_SHA2_512HMAC, 64, 32)
#define XD_XCBC								\
	XD_INTEG(XFORM_AES_XCBC_96, "aes-xcbc",			\
	    PARAPET_SADB_X_AALG_AES_XCBC_MAC, 16, 12)

#endif
