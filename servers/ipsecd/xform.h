/*
 * xform.h - ipsecd's table of transforms, the per-SA parameters the packet
 * transforms (esp.c, ah.c) need, and the reasons an inbound packet is
 * rejected.
 *
 * One row per (algorithm, backend): its PF_KEY number, name, kind (AEAD,
 * cipher or integrity), key size (salt included), IV, ICV and padding
 * alignment, and the functions of one backend: libsodium
 * (crypto_sodium.c) or OpenSSL libcrypto 3 (crypto_openssl.c, when built
 * with PARAPET_CRYPTO_OPENSSL). Which backend serves an algorithm is
 * chosen once at start (crypto_select.c: known-answer tests, then a short
 * measurement, or the configuration's override); xform_get() returns the
 * chosen row and keys made afterwards use it. The packet code only ever
 * calls through a key's row.
 *
 * Keys are prepared once per SA into a struct xform_key (sodium_malloc'd,
 * wiped on free): the AES key schedules, the HMAC inner/outer states, or
 * the backend's EVP contexts. Per packet nothing is re-keyed. A key's
 * contexts are used by one thread at a time (one worker per SA).
 *
 * The only process state: the selection table (which backend serves each
 * algorithm, which failed its self-test), written at start-up by
 * xform_select_set()/xform_backend_disable() before any key exists.
 *
 * Pure: no I/O, no clock, no random source. AEAD IVs (a 64-bit counter
 * value) and sequence numbers come from the caller; random padding bytes
 * come from a caller-supplied callback.
 */
#ifndef PARAPET_IPSECD_XFORM_H
#define PARAPET_IPSECD_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "pfkeyv2.h"
#include "util.h"

/*
 * ChaCha20-Poly1305 has no PF_KEY number in Linux or KAME; the project's
 * (PARAPET_SADB_X_EALG_CHACHA20POLY1305, 25) is decided in
 * libclient/pfkeyv2.h. The fallback only keeps this header building
 * against an older pfkeyv2.h.
 */
#ifdef PARAPET_SADB_X_EALG_CHACHA20POLY1305
#define XFORM_SADB_EALG_CHACHA20POLY1305 PARAPET_SADB_X_EALG_CHACHA20POLY1305
#else
#define XFORM_SADB_EALG_CHACHA20POLY1305 25
#endif

enum xform_alg {
	XFORM_ALG_NONE = 0,
	XFORM_AES256GCM16,		/* RFC 4106, 32 key + 4 salt */
	XFORM_CHACHA20POLY1305,		/* RFC 7634, 32 key + 4 salt */
	XFORM_NULL,			/* RFC 2410 ENCR_NULL */
	XFORM_HMAC_SHA256_128,		/* RFC 4868 */
	XFORM_HMAC_SHA512_256,		/* RFC 4868 */
	XFORM_AES128GCM16,		/* RFC 4106, 16 key + 4 salt */
	XFORM_AES192GCM16,		/* RFC 4106, 24 key + 4 salt */
	XFORM_AES128GMAC,		/* RFC 4543 ENCR_NULL_AUTH_AES_GMAC */
	XFORM_AES192GMAC,
	XFORM_AES256GMAC,
	XFORM_AES128CBC,		/* RFC 3602 */
	XFORM_AES192CBC,
	XFORM_AES256CBC,
	XFORM_AES128CTR,		/* RFC 3686, key + 4 nonce */
	XFORM_AES192CTR,
	XFORM_AES256CTR,
	XFORM_HMAC_SHA1_96,		/* RFC 2404 */
	XFORM_HMAC_SHA384_192,		/* RFC 4868 */
	XFORM_AES_XCBC_96,		/* RFC 3566 */
	XFORM_ALG_COUNT
};

/* Who implements a row. */
enum xform_backend {
	XFORM_BACKEND_SODIUM = 0,
	XFORM_BACKEND_OPENSSL,
	XFORM_BACKEND_COUNT
};

enum xform_kind {
	XFORM_KIND_AEAD = 1,		/* combined mode: ESP encryption */
	XFORM_KIND_CIPHER,		/* ESP encryption, no integrity */
	XFORM_KIND_INTEG		/* ESP or AH integrity */
};

#define XFORM_SALT_BYTES	4
#define XFORM_AEAD_IV_BYTES	8
#define XFORM_IV_MAX		16	/* AES-CBC */
#define XFORM_ICV_MAX		32
#define XFORM_DIGEST_MAX	64

struct xform_key;		/* opaque, sodium_malloc'd */

/*
 * Per-packet MAC state: a copy of the key's precomputed state (libsodium),
 * or a pointer to the key's prepared context (OpenSSL) and, for AES-XCBC,
 * the block not yet processed.
 */
struct xform_mac_ctx {
	union {
		crypto_auth_hmacsha256_state	s256;
		crypto_auth_hmacsha512_state	s512;
		struct {
			const struct xform_key	*key;
			uint8_t			 buf[16];
			size_t			 n;
			bool			 failed;
		} o;
	} u;
	const struct xform	*xf;
};

struct xform {
	const char	*name;		/* "aes256gcm16": logs and counters */
	enum xform_alg	 alg;
	enum xform_kind	 kind;
	enum xform_backend backend;
	uint16_t	 sadb_alg;	/* SADB_[X_]EALG_* or SADB_[X_]AALG_* */
	uint16_t	 key_bytes;	/* salt included */
	uint8_t		 salt_bytes;
	uint8_t		 iv_bytes;	/* carried in each packet */
	uint8_t		 icv_bytes;	/* AEAD tag or truncated MAC */
	uint8_t		 align;		/* ESP payload alignment, bytes */
	bool		 (*available)(void);
	int		 (*key_init)(struct xform_key *, const uint8_t *, size_t);
	/* Free what key_init allocated (NULL: nothing). */
	void		 (*key_fini)(struct xform_key *);
	/*
	 * AEAD: in place over buf[0..len); iv is the 64-bit packet IV.
	 * GMAC (RFC 4543) leaves buf as it is and authenticates aad, the
	 * IV and buf. seal returns 0 or -EIO (a backend failure).
	 */
	int		 (*seal)(const struct xform_key *, uint64_t iv,
			    const uint8_t *aad, size_t aadlen, uint8_t *buf,
			    size_t len, uint8_t *icv);
	int		 (*open)(const struct xform_key *, uint64_t iv,
			    const uint8_t *aad, size_t aadlen, uint8_t *buf,
			    size_t len, const uint8_t *icv);
	/* Integrity: start from the key's state, feed, finish (full digest). */
	void		 (*mac_init)(const struct xform_key *,
			    struct xform_mac_ctx *);
	void		 (*mac_update)(struct xform_mac_ctx *, const uint8_t *,
			    size_t);
	/* 0, or -EIO (a backend failure: the digest is not to be used). */
	int		 (*mac_final)(struct xform_mac_ctx *,
			    uint8_t digest[XFORM_DIGEST_MAX]);
	/*
	 * Cipher with an IV (AES-CBC, AES-CTR): write the packet's IV
	 * (iv_bytes) for counter value ctr of SA spi (unique per key: CTR
	 * uses it as is; CBC encrypts SPI || 0 || ctr under the key, NIST
	 * SP 800-38A appendix C, so IVs are unpredictable), then
	 * en/decrypt in place (len a multiple of the block for CBC).
	 * 0 or -EIO.
	 */
	int		 (*iv_make)(const struct xform_key *, uint32_t spi,
			    uint64_t ctr, uint8_t *iv);
	int		 (*encrypt)(const struct xform_key *, const uint8_t *iv,
			    uint8_t *buf, size_t len);
	int		 (*decrypt)(const struct xform_key *, const uint8_t *iv,
			    uint8_t *buf, size_t len);
};

/* The 64-bit IVs and counters on the wire: big-endian. */
static inline uint64_t
xform_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
xform_be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/*
 * Call once per process before anything else here (sodium_init(), the
 * OpenSSL library). The default selection: OpenSSL where it has the
 * algorithm, else libsodium; crypto_select.c refines it.
 */
int	xform_init(void) MUST_CHECK;

/* The chosen row of an algorithm, or NULL when unknown or unavailable. */
const struct xform *xform_get(enum xform_alg);
/* The row of one backend (NULL: not there, not available, disabled). */
const struct xform *xform_get_backend(enum xform_alg, enum xform_backend);
/* Make backend b serve alg from now on: 0, or -ENOENT (b lacks it). */
int	xform_select_set(enum xform_alg, enum xform_backend) MUST_CHECK;
/* A backend failed alg's self-test: never use it (then re-selects). */
void	xform_backend_disable(enum xform_alg, enum xform_backend);
/* "sodium", "openssl"; "unknown" for anything else. */
const char *xform_backend_name(enum xform_backend);
/* By name ("openssl"); -ENOENT when unknown. */
int	xform_backend_by_name(const char *, size_t, enum xform_backend *)
	    MUST_CHECK;
/* The algorithm of a name ("aes128cbc"); XFORM_ALG_NONE when unknown. */
enum xform_alg xform_alg_by_name(const char *, size_t);
/*
 * By PF_KEY number and kind (AEAD and cipher share the EALG space): the
 * first chosen row with that number (one number may cover several key
 * sizes: AES-GCM, -CBC, -CTR, -GMAC).
 */
const struct xform *xform_by_sadb(bool encryption, unsigned int sadb_alg);
/* The same for a key of keylen bytes (salt included); NULL: none. */
const struct xform *xform_by_sadb_key(bool encryption, unsigned int sadb_alg,
	    size_t keylen);
/* Short name for logs and counters; "unknown" for anything else. */
const char *xform_name(enum xform_alg);

/*
 * Prepare a key for one SA. keylen must equal the row's key_bytes (salt
 * included). -ENOENT: algorithm unknown or not available on this CPU;
 * -EINVAL: wrong key length; -ENOMEM. The key bytes are copied; the
 * caller wipes its own copy.
 */
int	xform_key_new(enum xform_alg, const uint8_t *key, size_t keylen,
	    struct xform_key **out) MUST_CHECK;
/*
 * The same for known-answer tests only: integrity keys of any length
 * 1..1024 (RFC 4231 uses 4- and 131-byte keys). Never for an SA.
 */
int	xform_key_new_kat(enum xform_alg, const uint8_t *key, size_t keylen,
	    struct xform_key **out) MUST_CHECK;
/* The same with a given row (any backend's; tests, self-tests, bench). */
int	xform_key_new_row(const struct xform *, const uint8_t *key,
	    size_t keylen, bool kat, struct xform_key **out) MUST_CHECK;
/* Wipe and free; NULL is fine. */
void	xform_key_free(struct xform_key *);
const struct xform *xform_key_xform(const struct xform_key *);

/* Copy random padding bytes into buf (n <= 255). Caller-supplied. */
typedef void xform_fill_fn(void *arg, uint8_t *buf, size_t n);

/* An IP address with its family (4 or 6; 0: unset). */
struct xform_addr {
	uint8_t	family;
	uint8_t	a[16];			/* network order; v4 in a[0..3] */
};

enum xform_mode {
	XFORM_MODE_TRANSPORT = 1,
	XFORM_MODE_TUNNEL
};

enum xform_pad {
	XFORM_PAD_SEQ = 0,		/* 1, 2, 3, ... (RFC 4303 default) */
	XFORM_PAD_ZERO,			/* KAME SADB_X_EXT_PZERO */
	XFORM_PAD_RANDOM		/* KAME SADB_X_EXT_PRAND */
};

#define XFORM_SA_ESN		0x0001u	/* 64-bit sequence numbers */
#define XFORM_SA_NATT		0x0002u	/* UDP encapsulation, RFC 3948 */
#define XFORM_SA_ECN		0x0004u	/* RFC 6040 normal mode in tunnels */
/*
 * NAT-T transport without NAT-OA: recompute the inner TCP/UDP checksum
 * from the addresses as received (RFC 3948 §3.1.2, item 2) instead of
 * the incremental fix from natt_oa_src/dst (item 1).
 */
#define XFORM_SA_NATT_CSUM	0x0008u

enum xform_dfbit {
	XFORM_DF_CLEAR = 0,
	XFORM_DF_SET = 1,
	XFORM_DF_COPY = 2
};

/*
 * What the transforms need of one SA. Filled by the SA table; borrowed
 * by every call (keys included), never stored.
 */
struct xform_sa {
	uint32_t		 spi;		/* host order */
	uint8_t			 proto;		/* IPPROTO_ESP or IPPROTO_AH */
	uint8_t			 mode;		/* enum xform_mode */
	uint16_t		 flags;		/* XFORM_SA_* */
	uint8_t			 pad;		/* enum xform_pad */
	uint8_t			 dfbit;		/* enum xform_dfbit */
	uint8_t			 ttl;		/* outer TTL / hop limit */
	uint8_t			 ah_cleartos;	/* AH: zero TOS for the ICV */
	uint16_t		 ah_offsetmask;	/* AH: flags/offset bits kept */
	uint16_t		 tfc_bytes;	/* ESP tunnel: extra padding */
	struct xform_addr	 tun_src;	/* tunnel outer addresses */
	struct xform_addr	 tun_dst;
	uint16_t		 natt_sport;	/* host order */
	uint16_t		 natt_dport;
	struct xform_addr	 natt_oa_src;	/* RFC 3948 NAT-OA, inbound */
	struct xform_addr	 natt_oa_dst;
	const struct xform_key	*enc;		/* ESP: AEAD or cipher */
	const struct xform_key	*auth;		/* ESP (non-AEAD) and AH */
	xform_fill_fn		*pad_fill;	/* XFORM_PAD_RANDOM */
	void			*pad_arg;
};

/*
 * Packet buffer: the IP packet is buf[off .. off+len), with off bytes of
 * headroom before it and cap - off - len of tailroom after it. The
 * transforms work in place and update off and len.
 */
struct xform_pkt {
	uint8_t	*buf;
	size_t	 cap;
	size_t	 off;
	size_t	 len;
};

/* Every reason an inbound packet (ESP, AH, their IP headers) is dropped. */
enum xform_reject {
	XFORM_REJECT_NONE = 0,
	/* IP header (ip_hdr.c). */
	XFORM_REJECT_IP_SHORT,		/* shorter than the IP header */
	XFORM_REJECT_IP_VERSION,	/* neither 4 nor 6 */
	XFORM_REJECT_IP_HLEN,		/* IPv4 IHL < 5 or past the packet */
	XFORM_REJECT_IP_LEN,		/* total/payload length vs. buffer */
	XFORM_REJECT_IP_CSUM,		/* IPv4 header checksum */
	XFORM_REJECT_IP_FRAGMENT,	/* a fragment (reassemble first) */
	XFORM_REJECT_IP_EXTHDR,		/* IPv6 extension header truncated */
	XFORM_REJECT_IP_OPTION,		/* IPv4/IPv6 option malformed */
	XFORM_REJECT_IP_PROTO,		/* not ESP/AH/UDP-encapsulated ESP */
	/* NAT-T (RFC 3948). */
	XFORM_REJECT_UDP_SHORT,		/* UDP header truncated */
	XFORM_REJECT_UDP_LEN,		/* UDP length vs. IP length */
	XFORM_REJECT_UDP_PORT,		/* not the SA's encapsulation ports */
	XFORM_REJECT_UDP_CSUM,		/* IPv6 UDP checksum 0 or wrong */
	XFORM_REJECT_NATT_KEEPALIVE,	/* 0xff keepalive: drop silently */
	XFORM_REJECT_NATT_IKE,		/* non-ESP marker: IKE, not ours */
	XFORM_REJECT_NATT_UNEXPECTED,	/* UDP-encapsulated, SA is not */
	XFORM_REJECT_NATT_MISSING,	/* plain ESP, SA wants UDP */
	/* ESP (RFC 4303). */
	XFORM_REJECT_ESP_SHORT,		/* shorter than hdr + IV + ICV */
	XFORM_REJECT_ESP_SPI_ZERO,	/* SPI 0 is reserved */
	XFORM_REJECT_ESP_SPI,		/* SPI differs from the SA's */
	XFORM_REJECT_ESP_ALIGN,		/* ciphertext not aligned */
	XFORM_REJECT_ESP_AUTH,		/* ICV or AEAD tag mismatch */
	XFORM_REJECT_ESP_PADLEN,	/* pad length past the payload */
	XFORM_REJECT_ESP_PAD,		/* padding bytes not as the SA says */
	XFORM_REJECT_ESP_DUMMY,		/* next header 59: drop silently */
	XFORM_REJECT_ESP_NEXTHDR,	/* next header wrong for the mode */
	XFORM_REJECT_INNER,		/* inner packet's IP header bad */
	XFORM_REJECT_ECN,		/* RFC 6040: outer CE, inner Not-ECT */
	/* AH (RFC 4302). */
	XFORM_REJECT_AH_SHORT,		/* AH header or ICV truncated */
	XFORM_REJECT_AH_LEN,		/* payload length vs. ICV size */
	XFORM_REJECT_AH_RESERVED,	/* reserved field not zero */
	XFORM_REJECT_AH_SPI_ZERO,
	XFORM_REJECT_AH_SPI,
	XFORM_REJECT_AH_AUTH,		/* ICV mismatch */
	XFORM_REJECT_AH_ROUTING,	/* routing header type unsupported */
	XFORM_REJECT_AH_NEXTHDR,	/* next header wrong for the mode */
	/* The SA itself (not the packet). */
	XFORM_REJECT_SA,		/* SA lacks a key or has a bad mode */
	XFORM_REJECT_COUNT
};

/*
 * Results of the inbound calls: 0 to go on, XFORM_DROP (positive) for a
 * packet to drop silently but count (keepalive, dummy), or a negative
 * errno for a rejection; the reason is always written.
 */
#define XFORM_DROP	1

/* Short stable name for counters and logs ("esp_auth"). */
const char *xform_reject_str(enum xform_reject);
/* The negative errno a rejection maps to (0 for NONE and silent drops). */
int	xform_reject_errno(enum xform_reject);
/* Record why a packet is dropped; returns its negative errno. */
static inline int
xform_fail(enum xform_reject *why, enum xform_reject r)
{
	*why = r;
	return xform_reject_errno(r);
}
/* True for the reasons that are not errors (keepalive, dummy packet). */
bool	xform_reject_silent(enum xform_reject);

#endif
