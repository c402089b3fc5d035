/*
 * pfkey_msg.h - PF_KEY v2 datagrams: validation into a parsed view.
 *
 * A datagram is untrusted bytes from a PF_KEY client (or, for libclient,
 * from keyd). pfkey_msg_parse() reads it through struct rd cursors, checks
 * it against the per-message and per-extension rule tables in pfkey_msg.c
 * and fills a struct pfkey_msg with a parsed view of the header and of
 * every extension present. Nothing is allocated and nothing is cast: the
 * view holds numbers, and borrows byte strings (keys, identities, bitmaps,
 * combination and algorithm lists) from the datagram, so the datagram
 * must outlive the view. Key bytes are never copied here; the SADB copies
 * them into secure memory.
 *
 * The rules are RFC 2367 §2-3 and the KAME/Linux extensions, with the
 * liberal acceptances documented in docs/DESIGN.md §10.5 (ipsec-tools
 * setkey's SA state 0 in ADD, REGISTER with SA type 0, uninitialised
 * reserved fields in sadb_x_sa2 and sadb_x_ipsecrequest ...). Every
 * rejection names one enum pfkey_reject value, which carries the errno of
 * the reply, a name for counters and logs, and whether a reply can be sent
 * at all (a datagram without a usable header cannot be answered; Linux
 * fails the send() with the errno instead).
 *
 * Semantics stay with the callers: whether an SA exists, whether a key
 * length suits its algorithm, whether a reqid is free.
 */
#ifndef PARAPET_PFKEY_MSG_H
#define PARAPET_PFKEY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec_policy.h"
#include "pfkeyv2.h"
#include "util.h"

/* Largest datagram accepted (Linux: the socket's send buffer). */
#define PFKEY_MSG_MAX_BYTES		65536
/* Largest key, identity string, KM private blob and LSM context. */
#define PFKEY_KEY_MAX_BYTES		512
#define PFKEY_IDENT_MAX_BYTES		1024
#define PFKEY_KMPRIVATE_MAX_BYTES	1024
#define PFKEY_SEC_CTX_MAX_BYTES		4096	/* Linux: PAGE_SIZE */
/* Most sadb_comb entries in one proposal. */
#define PFKEY_PROP_MAX_COMBS		256
/* Most ipsecrequests in one policy (Linux XFRM_MAX_DEPTH; more: ELOOP). */
#define PFKEY_POLICY_MAX_REQS		6
/* Room for more requests than that, so that the count check decides. */
#define PFKEY_POLICY_ROOM_REQS		16

/*
 * One value per check, roughly in the order the checks run. The first group is
 * decided before a header could be trusted: no reply can be sent for it.
 */
enum pfkey_reject {
	PFKEY_REJECT_NONE = 0,
	/* Datagram and header. */
	PFKEY_REJECT_HDR_SHORT,		/* shorter than sadb_msg */
	PFKEY_REJECT_MSG_TOO_BIG,	/* over PFKEY_MSG_MAX_BYTES */
	PFKEY_REJECT_HDR_VERSION,	/* sadb_msg_version != PF_KEY_V2 */
	PFKEY_REJECT_HDR_RESERVED,	/* sadb_msg_reserved != 0 */
	PFKEY_REJECT_HDR_TYPE,		/* type 0 or above SADB_MAX */
	PFKEY_REJECT_MSG_LEN,		/* sadb_msg_len * 8 != datagram */
	/* Message. */
	PFKEY_REJECT_TYPE_UNSUPPORTED,	/* type not accepted this way */
	PFKEY_REJECT_MSG_ERRNO,		/* errno set in a request */
	PFKEY_REJECT_ERRNO_WITH_EXT,	/* negative ACQUIRE not header only */
	PFKEY_REJECT_SATYPE,		/* SA type not valid for the type */
	/* Extension framing and rules. */
	PFKEY_REJECT_EXT_LEN_ZERO,	/* sadb_ext_len == 0 */
	PFKEY_REJECT_EXT_OVERRUN,	/* extension runs past the message */
	PFKEY_REJECT_EXT_UNKNOWN,	/* type 0 or above SADB_EXT_MAX */
	PFKEY_REJECT_EXT_NOT_ALLOWED,	/* not allowed in this message */
	PFKEY_REJECT_EXT_DUPLICATE,	/* second extension of a type */
	PFKEY_REJECT_EXT_TOO_SHORT,	/* below the size rule */
	PFKEY_REJECT_EXT_TOO_LONG,	/* above the size rule */
	PFKEY_REJECT_EXT_RESERVED,	/* a reserved field is not zero */
	/* Extension contents. */
	PFKEY_REJECT_SA_SPI_ZERO,	/* an SA named with SPI 0 */
	PFKEY_REJECT_SA_STATE,		/* sadb_sa_state above DEAD */
	PFKEY_REJECT_ADDR_FAMILY,	/* not AF_INET or AF_INET6 */
	PFKEY_REJECT_ADDR_LEN,		/* length does not fit the family */
	PFKEY_REJECT_ADDR_PREFIX,	/* prefix above 32 or 128 */
	PFKEY_REJECT_KEY_BITS_ALIGN,	/* sadb_key_bits not whole octets */
	PFKEY_REJECT_KEY_LEN,		/* length does not fit the bits */
	PFKEY_REJECT_IDENT_TYPE,	/* identity type 0 or unknown */
	PFKEY_REJECT_SENS_LEN,		/* bitmaps do not fill the length */
	PFKEY_REJECT_PROP_LEN,		/* not whole sadb_comb entries */
	PFKEY_REJECT_SPIRANGE_ORDER,	/* min above max */
	PFKEY_REJECT_SA2_MODE,		/* mode above BEET */
	PFKEY_REJECT_POLICY_TYPE,	/* policy type above BYPASS */
	PFKEY_REJECT_POLICY_DIR,	/* direction above FWD */
	PFKEY_REJECT_POLICY_REQ_UNEXPECTED, /* requests in a non-IPSEC policy */
	PFKEY_REJECT_POLICY_REQ_TOO_MANY, /* above PFKEY_POLICY_MAX_REQS */
	PFKEY_REJECT_POLICY_REQ_LEN,	/* request shorter than 16 or overrun */
	PFKEY_REJECT_POLICY_REQ_PROTO,	/* not ESP, AH or IPCOMP */
	PFKEY_REJECT_POLICY_REQ_MODE,	/* not transport, tunnel or BEET */
	PFKEY_REJECT_POLICY_REQ_LEVEL,	/* level above UNIQUE */
	PFKEY_REJECT_POLICY_REQ_TUNNEL,	/* tunnel mode without endpoints */
	PFKEY_REJECT_POLICY_REQ_ADDR,	/* endpoint pair malformed */
	PFKEY_REJECT_SEC_CTX_LEN,	/* length does not fit sadb_x_ctx_len */
	/* Across extensions. */
	PFKEY_REJECT_EXT_MISSING,	/* a required extension is absent */
	PFKEY_REJECT_ADDR_FAMILY_MISMATCH, /* source and destination differ */
	PFKEY_REJECT_SA_STATE_SUBMIT,	/* ADD/UPDATE of a DYING/DEAD SA */
	PFKEY_REJECT_SA_AALG,		/* auth algorithm above AALG_MAX */
	PFKEY_REJECT_SA_EALG,		/* encrypt (compress) above its MAX */
	PFKEY_REJECT_KEY_BITS_ZERO,	/* empty key for a non-null algorithm */
	PFKEY_REJECT_POLICY_TYPE_SPD,	/* ENTRUST/BYPASS in the SPD */
	PFKEY_REJECT_POLICY_DIR_ANY,	/* no direction where one is needed */
	PFKEY_REJECT_EXPIRE_LIFETIME,	/* EXPIRE without exactly one of H/S */
	PFKEY_REJECT_COUNT
};

/* The header, numbers in host order. */
struct pfkey_hdr {
	uint8_t		version;
	uint8_t		type;
	uint8_t		msg_errno;	/* "errno" is a macro */
	uint8_t		satype;
	uint16_t	len_words64;
	uint32_t	seq;
	uint32_t	pid;
};

/* A sockaddr_in or sockaddr_in6 (Linux layout: no sa_len). */
struct pfkey_sockaddr {
	uint16_t	family;		/* AF_INET or AF_INET6 */
	uint16_t	port;		/* host order */
	uint32_t	flowinfo;	/* AF_INET6; host order */
	uint32_t	scope_id;	/* AF_INET6 */
	uint8_t		addr[16];	/* network order; AF_INET: first 4 */
};

struct pfkey_address {
	uint8_t			proto;		/* upper layer; 255 = any */
	uint8_t			prefixlen;
	struct pfkey_sockaddr	sa;
};

struct pfkey_sa {
	uint32_t	spi;		/* host order (network order on the wire) */
	uint8_t		replay;
	uint8_t		state;
	uint8_t		auth;
	uint8_t		encrypt;
	uint32_t	flags;
};

struct pfkey_lifetime {
	uint32_t	allocations;
	uint64_t	bytes;
	uint64_t	addtime;	/* hard/soft: seconds; current: time */
	uint64_t	usetime;
};

struct pfkey_key {
	uint16_t	bits;		/* always 8 * len_bytes once parsed */
	const uint8_t	*data;		/* borrowed */
	size_t		len_bytes;
};

struct pfkey_ident {
	uint16_t	type;
	uint64_t	id;
	const uint8_t	*data;		/* borrowed: string and its padding */
	size_t		len_bytes;
};

struct pfkey_sens {
	uint32_t	dpd;
	uint8_t		sens_level;
	uint8_t		sens_len;	/* 64-bit words at sens_bitmap */
	uint8_t		integ_level;
	uint8_t		integ_len;	/* 64-bit words at integ_bitmap */
	const uint8_t	*sens_bitmap;	/* borrowed, host-order words */
	const uint8_t	*integ_bitmap;	/* borrowed, host-order words */
};

struct pfkey_comb {
	uint8_t		auth;
	uint8_t		encrypt;
	uint16_t	flags;
	uint16_t	auth_minbits;
	uint16_t	auth_maxbits;
	uint16_t	encrypt_minbits;
	uint16_t	encrypt_maxbits;
	uint32_t	soft_allocations;
	uint32_t	hard_allocations;
	uint64_t	soft_bytes;
	uint64_t	hard_bytes;
	uint64_t	soft_addtime;
	uint64_t	hard_addtime;
	uint64_t	soft_usetime;
	uint64_t	hard_usetime;
};

struct pfkey_prop {
	uint8_t		replay;
	size_t		ncombs;
	const uint8_t	*combs;		/* borrowed; see pfkey_prop_comb() */
};

struct pfkey_alg {
	uint8_t		id;
	uint8_t		ivlen;
	uint16_t	minbits;
	uint16_t	maxbits;
};

struct pfkey_supported {
	size_t		nalgs;
	const uint8_t	*algs;		/* borrowed; see pfkey_supported_alg() */
};

struct pfkey_spirange {
	uint32_t	min;		/* host order, as on the wire */
	uint32_t	max;
};

struct pfkey_kmprivate {
	const uint8_t	*data;		/* borrowed */
	size_t		len_bytes;
};

struct pfkey_sa2 {
	uint8_t		mode;		/* IPSEC_MODE_ANY (= transport) .. BEET */
	uint32_t	sequence;
	uint32_t	reqid;
};

struct pfkey_ipsecreq {
	uint16_t		proto;		/* IPPROTO_ESP, _AH or _COMP */
	uint8_t			mode;
	uint8_t			level;
	uint32_t		reqid;		/* as sent; may exceed REQID_MAX */
	bool			has_addrs;	/* endpoints follow (tunnel) */
	struct pfkey_sockaddr	src;
	struct pfkey_sockaddr	dst;
};

struct pfkey_policy {
	uint16_t		type;
	uint8_t			dir;
	uint32_t		id;
	uint32_t		priority;
	size_t			nreqs;
	struct pfkey_ipsecreq	req[PFKEY_POLICY_MAX_REQS];
};

struct pfkey_sec_ctx {
	uint8_t		alg;
	uint8_t		doi;
	uint16_t	len_bytes;
	const uint8_t	*ctx;		/* borrowed */
};

struct pfkey_filter {
	uint16_t	family;
	uint8_t		splen;
	uint8_t		dplen;
	uint8_t		saddr[16];	/* network order */
	uint8_t		daddr[16];
};

/*
 * A parsed datagram. `present` has bit t set when extension type t is
 * there; only those members are meaningful (the rest are zero).
 */
struct pfkey_msg {
	struct pfkey_hdr	hdr;
	uint32_t		present;
	uint16_t		fail_ext;	/* on rejection: extension at fault */
	struct pfkey_sa		sa;
	struct pfkey_lifetime	lft_current;
	struct pfkey_lifetime	lft_hard;
	struct pfkey_lifetime	lft_soft;
	struct pfkey_address	src;
	struct pfkey_address	dst;
	struct pfkey_address	proxy;
	struct pfkey_key	key_auth;
	struct pfkey_key	key_encrypt;
	struct pfkey_ident	ident_src;
	struct pfkey_ident	ident_dst;
	struct pfkey_sens	sens;
	struct pfkey_prop	prop;
	struct pfkey_supported	supp_auth;
	struct pfkey_supported	supp_encrypt;
	struct pfkey_spirange	spirange;
	struct pfkey_kmprivate	kmprivate;
	struct pfkey_policy	policy;
	struct pfkey_sa2	sa2;
	uint8_t			natt_type;
	uint16_t		natt_sport;	/* host order */
	uint16_t		natt_dport;	/* host order */
	struct pfkey_address	natt_oa;
	struct pfkey_sec_ctx	sec_ctx;
	struct pfkey_filter	filter;
};

static inline bool
pfkey_msg_has(const struct pfkey_msg *m, unsigned int ext_type)
{
	return ext_type <= PARAPET_SADB_EXT_MAX &&
	    (m->present & (UINT32_C(1) << ext_type)) != 0;
}

/*
 * Validate a datagram a client sent to keyd and fill *out. Returns 0, or
 * the negative errno of the rejection with its reason in *why (always
 * written; PFKEY_REJECT_NONE on success). On rejection, out->hdr is valid
 * whenever pfkey_reject_replyable(*why) holds (to echo seq and pid in the
 * error reply) and out->fail_ext names the extension at fault (0: none);
 * the rest of *out is unspecified. Borrowed pointers in *out point into
 * buf.
 */
int	pfkey_msg_parse(const uint8_t *buf, size_t len, struct pfkey_msg *out,
	    enum pfkey_reject *why) MUST_CHECK;
/*
 * The same for a datagram keyd (or a kernel) sends to a client: replies,
 * error replies (any type, header only, errno set) and broadcasts such as
 * ACQUIRE, EXPIRE and REGISTER's supported lists. libclient's receive
 * path. A promiscuous socket also sees other clients' requests: try
 * pfkey_msg_parse() on what this one refuses.
 */
int	pfkey_msg_parse_reply(const uint8_t *buf, size_t len,
	    struct pfkey_msg *out, enum pfkey_reject *why) MUST_CHECK;

/* Short stable name for counters and logs ("ext_duplicate"). */
const char *pfkey_reject_str(enum pfkey_reject);
/* The positive errno the reply carries (EINVAL, EMSGSIZE, ...); 0: NONE. */
int	pfkey_reject_errno(enum pfkey_reject);
/*
 * False when the datagram had no usable header: no error reply can echo
 * it, and a kernel would fail the send() with the errno instead.
 */
bool	pfkey_reject_replyable(enum pfkey_reject);

/* Decode entry i (< ncombs / nalgs) of an already validated list. */
void	pfkey_prop_comb(const struct pfkey_prop *, size_t i,
	    struct pfkey_comb *);
void	pfkey_supported_alg(const struct pfkey_supported *, size_t i,
	    struct pfkey_alg *);

/*
 * Same header, same extensions, same values (borrowed bytes compared by
 * content). fail_ext is not compared.
 */
bool	pfkey_msg_equal(const struct pfkey_msg *, const struct pfkey_msg *);
/* The view of an address extension (SRC, DST, PROXY or NAT_T_OA) of m. */
const struct pfkey_address *pfkey_msg_address(const struct pfkey_msg *m,
	    uint16_t type);

#endif
