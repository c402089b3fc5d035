/*
 * xform.h - ipsecd's table of transforms, the per-SA parameters the packet
 * transforms (esp.c, ah.c) need, and the reasons an inbound packet is
 * rejected.
 *
 * One row per algorithm: its PF_KEY number, name, kind (AEAD, cipher or
 * integrity), key size (salt included), IV, ICV and padding alignment, and
 * the functions of one backend. Only libsodium for now; another backend
 * (OpenSSL) adds rows or replaces function pointers without touching the
 * packet code, which only ever calls through a row.
 *
 * Keys are prepared once per SA into a struct xform_key (sodium_malloc'd,
 * wiped on free): the AES-GCM key schedule, the HMAC inner/outer states.
 * Per packet nothing is re-keyed: the precomputed HMAC state is copied.
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
	XFORM_ALG_COUNT
};

enum xform_kind {
	XFORM_KIND_AEAD = 1,		/* combined mode: ESP encryption */
	XFORM_KIND_CIPHER,		/* ESP encryption, no integrity */
	XFORM_KIND_INTEG		/* ESP or AH integrity */
};

#define XFORM_SALT_BYTES	4
#define XFORM_AEAD_IV_BYTES	8
#define XFORM_ICV_MAX		32
#define XFORM_DIGEST_MAX	64

struct xform_key;		/* opaque, sodium_malloc'd */

/* Per-packet HMAC state: a copy of the key's precomputed state. */
struct xform_mac_ctx {
	union {
		crypto_auth_hmacsha256_state	s256;
		crypto_auth_hmacsha512_state	s512;
	} u;
	const struct xform	*xf;
};

struct xform {
	const char	*name;		/* "aes256gcm16", as setkey spells it */
	enum xform_alg	 alg;
	enum xform_kind	 kind;
	uint16_t	 sadb_alg;	/* SADB_[X_]EALG_* or SADB_[X_]AALG_* */
	uint16_t	 key_bytes;	/* salt included */
	uint8_t		 salt_bytes;
	uint8_t		 iv_bytes;	/* carried in each packet */
	uint8_t		 icv_bytes;	/* AEAD tag or truncated MAC */
	uint8_t		 align;		/* ESP payload alignment, bytes */
	bool		 (*available)(void);
	int		 (*key_init)(struct xform_key *, const uint8_t *, size_t);
	/* AEAD: in place over buf[0..len); iv is the 64-bit packet IV. */
	void		 (*seal)(const struct xform_key *, uint64_t iv,
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
	void		 (*mac_final)(struct xform_mac_ctx *,
			    uint8_t digest[XFORM_DIGEST_MAX]);
};

/* Call once per process before anything else here (sodium_init()). */
int	xform_init(void) MUST_CHECK;

/* The row of an algorithm, or NULL when unknown or not available here. */
const struct xform *xform_get(enum xform_alg);
/* By PF_KEY number and kind (AEAD and cipher share the EALG space). */
const struct xform *xform_by_sadb(bool encryption, unsigned int sadb_alg);
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
