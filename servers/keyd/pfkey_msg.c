/*
 * pfkey_msg.c - PF_KEY v2 datagram validation; see pfkey_msg.h.
 *
 * Untrusted input: every datagram. It is read only through struct rd
 * cursors: the header, then each extension inside its own sub-cursor,
 * which its parser must consume exactly. The rules are data:
 *
 *   ext_rules[]    per extension type: size range and content parser;
 *   to_keyd[]      per message type, for what clients send: extensions
 *                  allowed and required, valid SA types, extra checks;
 *   from_keyd[]    the same for what keyd (or a kernel) sends back;
 *   reject_info[]  per rejection: name, errno, whether it can be answered.
 *
 * Each table is checked against its enum with _Static_assert. Where the
 * rules depart from RFC 2367 or from Linux af_key, the comment says why;
 * docs/DESIGN.md §10.5 collects the decisions.
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "pfkey_msg.h"
#include "pfkey_wire.h"

/* Wire sizes of the structures (RFC 2367 Appendix D; Linux). */
_Static_assert(sizeof(struct pp_sadb_msg) == 16, "sadb_msg");
_Static_assert(sizeof(struct pp_sadb_ext) == 4, "sadb_ext");
_Static_assert(sizeof(struct pp_sadb_sa) == 16, "sadb_sa");
_Static_assert(sizeof(struct pp_sadb_lifetime) == 32, "sadb_lifetime");
_Static_assert(sizeof(struct pp_sadb_address) == 8, "sadb_address");
_Static_assert(sizeof(struct pp_sadb_key) == 8, "sadb_key");
_Static_assert(sizeof(struct pp_sadb_ident) == 16, "sadb_ident");
_Static_assert(sizeof(struct pp_sadb_sens) == 16, "sadb_sens");
_Static_assert(sizeof(struct pp_sadb_prop) == 8, "sadb_prop");
_Static_assert(sizeof(struct pp_sadb_comb) == 72, "sadb_comb");
_Static_assert(sizeof(struct pp_sadb_supported) == 8, "sadb_supported");
_Static_assert(sizeof(struct pp_sadb_alg) == 8, "sadb_alg");
_Static_assert(sizeof(struct pp_sadb_spirange) == 16, "sadb_spirange");
_Static_assert(sizeof(struct pp_sadb_x_kmprivate) == 8, "sadb_x_kmprivate");
_Static_assert(sizeof(struct pp_sadb_x_sa2) == 16, "sadb_x_sa2");
_Static_assert(sizeof(struct pp_sadb_x_policy) == 16, "sadb_x_policy");
_Static_assert(sizeof(struct pp_sadb_x_ipsecrequest) == 16,
    "sadb_x_ipsecrequest (Linux layout)");
_Static_assert(sizeof(struct pp_sadb_x_nat_t_type) == 8, "nat_t_type");
_Static_assert(sizeof(struct pp_sadb_x_nat_t_port) == 8, "nat_t_port");
_Static_assert(sizeof(struct pp_sadb_x_sec_ctx) == 8, "sadb_x_sec_ctx");
_Static_assert(sizeof(struct pp_sadb_x_kmaddress) == 8, "sadb_x_kmaddress");
_Static_assert(sizeof(struct pp_sadb_x_filter) == 40, "sadb_x_filter");

/* The Linux sockaddr layouts carried in address extensions. */
#define SIN_LEN		16
#define SIN6_LEN	28
_Static_assert(sizeof(struct sockaddr_in) == SIN_LEN, "sockaddr_in");
_Static_assert(sizeof(struct sockaddr_in6) == SIN6_LEN, "sockaddr_in6");

/* Presence bits: one per extension type, one per SA type. */
_Static_assert(PARAPET_SADB_EXT_MAX < 32, "extension bits fit uint32_t");
_Static_assert(PARAPET_SADB_SATYPE_MAX < 16, "SA type bits fit uint16_t");
#define BIT(t)		(UINT32_C(1) << (t))
#define X(t)		BIT(PARAPET_##t)
#define SAT(t)		((uint16_t)(1U << PARAPET_##t))

#define ADDR_LEN(salen)	(sizeof(struct pp_sadb_address) + \
			    PARAPET_PFKEY_ALIGN8(salen))
#define COMB_LEN	sizeof(struct pp_sadb_comb)
#define ALG_LEN		sizeof(struct pp_sadb_alg)
#define REQ_LEN		sizeof(struct pp_sadb_x_ipsecrequest)

/*
 * Rejections: name (counters, logs), errno of the reply, and whether a
 * reply can be sent. The header-level errnos are Linux's
 * (pfkey_get_base_msg(): EMSGSIZE for sizes, EINVAL for fields); too many
 * ipsecrequests is ELOOP as in Linux parse_ipsecrequest(); a message type
 * nobody handles is EOPNOTSUPP as in pfkey_process().
 */
struct reject_info {
	const char	*name;
	int		 error;
	bool		 replyable;
};

static const struct reject_info reject_info[PFKEY_REJECT_COUNT] = {
	[PFKEY_REJECT_NONE] = { "ok", 0, true },
	[PFKEY_REJECT_HDR_SHORT] = { "hdr_short", EMSGSIZE, false },
	[PFKEY_REJECT_MSG_TOO_BIG] = { "msg_too_big", EMSGSIZE, false },
	[PFKEY_REJECT_HDR_VERSION] = { "hdr_version", EINVAL, false },
	[PFKEY_REJECT_HDR_RESERVED] = { "hdr_reserved", EINVAL, false },
	[PFKEY_REJECT_HDR_TYPE] = { "hdr_type", EINVAL, false },
	[PFKEY_REJECT_MSG_LEN] = { "msg_len", EMSGSIZE, false },
	[PFKEY_REJECT_TYPE_UNSUPPORTED] =
	    { "type_unsupported", EOPNOTSUPP, true },
	[PFKEY_REJECT_MSG_ERRNO] = { "msg_errno", EINVAL, true },
	[PFKEY_REJECT_ERRNO_WITH_EXT] = { "errno_with_ext", EINVAL, true },
	[PFKEY_REJECT_SATYPE] = { "satype", EINVAL, true },
	[PFKEY_REJECT_EXT_LEN_ZERO] = { "ext_len_zero", EINVAL, true },
	[PFKEY_REJECT_EXT_OVERRUN] = { "ext_overrun", EINVAL, true },
	[PFKEY_REJECT_EXT_UNKNOWN] = { "ext_unknown", EINVAL, true },
	[PFKEY_REJECT_EXT_NOT_ALLOWED] = { "ext_not_allowed", EINVAL, true },
	[PFKEY_REJECT_EXT_DUPLICATE] = { "ext_duplicate", EINVAL, true },
	[PFKEY_REJECT_EXT_TOO_SHORT] = { "ext_too_short", EINVAL, true },
	[PFKEY_REJECT_EXT_TOO_LONG] = { "ext_too_long", EINVAL, true },
	[PFKEY_REJECT_EXT_RESERVED] = { "ext_reserved", EINVAL, true },
	[PFKEY_REJECT_SA_SPI_ZERO] = { "sa_spi_zero", EINVAL, true },
	[PFKEY_REJECT_SA_STATE] = { "sa_state", EINVAL, true },
	[PFKEY_REJECT_ADDR_FAMILY] = { "addr_family", EINVAL, true },
	[PFKEY_REJECT_ADDR_LEN] = { "addr_len", EINVAL, true },
	[PFKEY_REJECT_ADDR_PREFIX] = { "addr_prefix", EINVAL, true },
	[PFKEY_REJECT_KEY_BITS_ALIGN] = { "key_bits_align", EINVAL, true },
	[PFKEY_REJECT_KEY_LEN] = { "key_len", EINVAL, true },
	[PFKEY_REJECT_IDENT_TYPE] = { "ident_type", EINVAL, true },
	[PFKEY_REJECT_SENS_LEN] = { "sens_len", EINVAL, true },
	[PFKEY_REJECT_PROP_LEN] = { "prop_len", EINVAL, true },
	[PFKEY_REJECT_SPIRANGE_ORDER] = { "spirange_order", EINVAL, true },
	[PFKEY_REJECT_SA2_MODE] = { "sa2_mode", EINVAL, true },
	[PFKEY_REJECT_POLICY_TYPE] = { "policy_type", EINVAL, true },
	[PFKEY_REJECT_POLICY_DIR] = { "policy_dir", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_UNEXPECTED] =
	    { "policy_req_unexpected", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_TOO_MANY] =
	    { "policy_req_too_many", ELOOP, true },
	[PFKEY_REJECT_POLICY_REQ_LEN] = { "policy_req_len", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_PROTO] = { "policy_req_proto", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_MODE] = { "policy_req_mode", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_LEVEL] = { "policy_req_level", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_TUNNEL] =
	    { "policy_req_tunnel", EINVAL, true },
	[PFKEY_REJECT_POLICY_REQ_ADDR] = { "policy_req_addr", EINVAL, true },
	[PFKEY_REJECT_SEC_CTX_LEN] = { "sec_ctx_len", EINVAL, true },
	[PFKEY_REJECT_EXT_MISSING] = { "ext_missing", EINVAL, true },
	[PFKEY_REJECT_ADDR_FAMILY_MISMATCH] =
	    { "addr_family_mismatch", EINVAL, true },
	[PFKEY_REJECT_SA_STATE_SUBMIT] = { "sa_state_submit", EINVAL, true },
	[PFKEY_REJECT_SA_AALG] = { "sa_aalg", EINVAL, true },
	[PFKEY_REJECT_SA_EALG] = { "sa_ealg", EINVAL, true },
	[PFKEY_REJECT_KEY_BITS_ZERO] = { "key_bits_zero", EINVAL, true },
	[PFKEY_REJECT_POLICY_TYPE_SPD] = { "policy_type_spd", EINVAL, true },
	[PFKEY_REJECT_POLICY_DIR_ANY] = { "policy_dir_any", EINVAL, true },
	[PFKEY_REJECT_EXPIRE_LIFETIME] = { "expire_lifetime", EINVAL, true },
};
_Static_assert(nitems(reject_info) == PFKEY_REJECT_COUNT, "reject_info");

/*
 * Per extension type: size in octets (header included) and the parser of
 * the contents, which runs on a cursor just past the 4-octet extension
 * header and must consume the rest exactly.
 */
typedef enum pfkey_reject ext_parse_fn(struct rd *, uint16_t,
    struct pfkey_msg *);

static ext_parse_fn parse_sa, parse_lifetime, parse_address, parse_key,
    parse_ident, parse_sens, parse_prop, parse_supported, parse_spirange,
    parse_kmprivate, parse_policy, parse_sa2, parse_natt_type,
    parse_natt_port, parse_sec_ctx, parse_filter;

struct ext_rule {
	size_t		 min;
	size_t		 max;
	ext_parse_fn	*parse;
};

#define FIXED(s, fn)	{ sizeof(struct s), sizeof(struct s), fn }
#define VAR(s, more, fn) { sizeof(struct s), sizeof(struct s) + (more), fn }

static const struct ext_rule ext_rules[PARAPET_SADB_EXT_MAX + 1] = {
	[PARAPET_SADB_EXT_RESERVED] = { 0, 0, NULL },
	[PARAPET_SADB_EXT_SA] = FIXED(pp_sadb_sa, parse_sa),
	[PARAPET_SADB_EXT_LIFETIME_CURRENT] =
	    FIXED(pp_sadb_lifetime, parse_lifetime),
	[PARAPET_SADB_EXT_LIFETIME_HARD] =
	    FIXED(pp_sadb_lifetime, parse_lifetime),
	[PARAPET_SADB_EXT_LIFETIME_SOFT] =
	    FIXED(pp_sadb_lifetime, parse_lifetime),
	/* sockaddr_in (24) or sockaddr_in6 padded (40); exact per family. */
	[PARAPET_SADB_EXT_ADDRESS_SRC] =
	    { ADDR_LEN(SIN_LEN), ADDR_LEN(SIN6_LEN), parse_address },
	[PARAPET_SADB_EXT_ADDRESS_DST] =
	    { ADDR_LEN(SIN_LEN), ADDR_LEN(SIN6_LEN), parse_address },
	[PARAPET_SADB_EXT_ADDRESS_PROXY] =
	    { ADDR_LEN(SIN_LEN), ADDR_LEN(SIN6_LEN), parse_address },
	[PARAPET_SADB_EXT_KEY_AUTH] =
	    VAR(pp_sadb_key, PFKEY_KEY_MAX_BYTES, parse_key),
	[PARAPET_SADB_EXT_KEY_ENCRYPT] =
	    VAR(pp_sadb_key, PFKEY_KEY_MAX_BYTES, parse_key),
	[PARAPET_SADB_EXT_IDENTITY_SRC] =
	    VAR(pp_sadb_ident, PFKEY_IDENT_MAX_BYTES, parse_ident),
	[PARAPET_SADB_EXT_IDENTITY_DST] =
	    VAR(pp_sadb_ident, PFKEY_IDENT_MAX_BYTES, parse_ident),
	/* Two bitmaps of at most 255 words each. */
	[PARAPET_SADB_EXT_SENSITIVITY] =
	    VAR(pp_sadb_sens, (size_t)8 * (255 + 255), parse_sens),
	[PARAPET_SADB_EXT_PROPOSAL] =
	    VAR(pp_sadb_prop, COMB_LEN * PFKEY_PROP_MAX_COMBS, parse_prop),
	/* Algorithm ids are octets: at most 256 entries. */
	[PARAPET_SADB_EXT_SUPPORTED_AUTH] =
	    VAR(pp_sadb_supported, ALG_LEN * 256, parse_supported),
	[PARAPET_SADB_EXT_SUPPORTED_ENCRYPT] =
	    VAR(pp_sadb_supported, ALG_LEN * 256, parse_supported),
	[PARAPET_SADB_EXT_SPIRANGE] = FIXED(pp_sadb_spirange, parse_spirange),
	[PARAPET_SADB_X_EXT_KMPRIVATE] =
	    VAR(pp_sadb_x_kmprivate, PFKEY_KMPRIVATE_MAX_BYTES,
		parse_kmprivate),
	/* Room beyond the request limit so that ELOOP, not size, decides. */
	[PARAPET_SADB_X_EXT_POLICY] =
	    VAR(pp_sadb_x_policy,
		PFKEY_POLICY_ROOM_REQS * (REQ_LEN + (size_t)2 * SIN6_LEN),
		parse_policy),
	[PARAPET_SADB_X_EXT_SA2] = FIXED(pp_sadb_x_sa2, parse_sa2),
	[PARAPET_SADB_X_EXT_NAT_T_TYPE] =
	    FIXED(pp_sadb_x_nat_t_type, parse_natt_type),
	[PARAPET_SADB_X_EXT_NAT_T_SPORT] =
	    FIXED(pp_sadb_x_nat_t_port, parse_natt_port),
	[PARAPET_SADB_X_EXT_NAT_T_DPORT] =
	    FIXED(pp_sadb_x_nat_t_port, parse_natt_port),
	[PARAPET_SADB_X_EXT_NAT_T_OA] =
	    { ADDR_LEN(SIN_LEN), ADDR_LEN(SIN6_LEN), parse_address },
	[PARAPET_SADB_X_EXT_SEC_CTX] =
	    VAR(pp_sadb_x_sec_ctx, PFKEY_SEC_CTX_MAX_BYTES, parse_sec_ctx),
	/*
	 * X_MIGRATE is refused (EOPNOTSUPP), so no message allows
	 * KMADDRESS and it needs no parser; its size rule stays for
	 * completeness.
	 */
	[PARAPET_SADB_X_EXT_KMADDRESS] =
	    VAR(pp_sadb_x_kmaddress, (size_t)2 * SIN6_LEN, NULL),
	[PARAPET_SADB_X_EXT_FILTER] = FIXED(pp_sadb_x_filter, parse_filter),
};
_Static_assert(nitems(ext_rules) == PARAPET_SADB_EXT_MAX + 1, "ext_rules");

/*
 * Per message type. satypes has bit n set when sadb_msg_satype n is valid;
 * a message type with no valid SA type is not accepted in that direction.
 */
enum {
	MC_SA_SUBMIT	= 1 << 0,	/* ADD, UPDATE: state, algs, keys */
	MC_NEG_ACQUIRE	= 1 << 1,	/* errno allowed: header-only NAK */
	MC_POLICY_SPD	= 1 << 2,	/* SPD install: type, direction */
	MC_POLICY_DIR	= 1 << 3,	/* a direction is needed */
	MC_EXPIRE	= 1 << 4,	/* exactly one of hard and soft */
};

struct msg_rule {
	uint32_t	allowed;
	uint32_t	required;
	uint16_t	satypes;
	uint16_t	checks;
};

/* SA types: those an SA can have, plus UNSPEC ("all"), plus RFC's rest. */
#define SAT_SA		(SAT(SADB_SATYPE_AH) | SAT(SADB_SATYPE_ESP) | \
			    SAT(SADB_X_SATYPE_IPCOMP))
#define SAT_SA_ANY	(SAT_SA | SAT(SADB_SATYPE_UNSPEC))
#define SAT_ALL		(SAT_SA_ANY | SAT(SADB_SATYPE_RSVP) | \
			    SAT(SADB_SATYPE_OSPFV2) | SAT(SADB_SATYPE_RIPV2) | \
			    SAT(SADB_SATYPE_MIP))
/* X_PROMISC: sadb_msg_satype is the on/off switch (Linux). */
#define SAT_PROMISC	((uint16_t)0x3)

#define X_ADDR_SD	(X(SADB_EXT_ADDRESS_SRC) | X(SADB_EXT_ADDRESS_DST))
#define X_LFT_HS	(X(SADB_EXT_LIFETIME_HARD) | X(SADB_EXT_LIFETIME_SOFT))
#define X_LFT_ALL	(X_LFT_HS | X(SADB_EXT_LIFETIME_CURRENT))
#define X_KEYS		(X(SADB_EXT_KEY_AUTH) | X(SADB_EXT_KEY_ENCRYPT))
#define X_IDENT		(X(SADB_EXT_IDENTITY_SRC) | X(SADB_EXT_IDENTITY_DST))
#define X_NATT		(X(SADB_X_EXT_NAT_T_TYPE) | X(SADB_X_EXT_NAT_T_SPORT) | \
			    X(SADB_X_EXT_NAT_T_DPORT) | X(SADB_X_EXT_NAT_T_OA))
#define X_SA_NAMED	(X(SADB_EXT_SA) | X_ADDR_SD)
/* An SA as submitted (RFC 2367 §3.1.3-4 plus SA2, NAT-T, LSM context). */
#define X_SA_SUBMIT	(X_SA_NAMED | X_LFT_HS | X(SADB_EXT_ADDRESS_PROXY) | \
			    X_KEYS | X_IDENT | X(SADB_EXT_SENSITIVITY) | \
			    X(SADB_X_EXT_KMPRIVATE) | X(SADB_X_EXT_SA2) | \
			    X_NATT | X(SADB_X_EXT_SEC_CTX))
/* An SA as reported (GET, DUMP, notifications, EXPIRE). */
#define X_SA_REPORT	(X_SA_SUBMIT | X(SADB_EXT_LIFETIME_CURRENT))
/* RFC 2367 §3.1.6: an application asking for an SA. */
#define X_ACQ_ASK	(X_ADDR_SD | X(SADB_EXT_ADDRESS_PROXY) | X_IDENT | \
			    X(SADB_EXT_SENSITIVITY) | X(SADB_EXT_PROPOSAL))
/* ACQUIRE as Linux sends it: also the policy (its id) and LSM context. */
#define X_ACQ_REPORT	(X_ACQ_ASK | X(SADB_X_EXT_POLICY) | \
			    X(SADB_X_EXT_SEC_CTX))
#define X_ACQ_NEED	(X_ADDR_SD | X(SADB_EXT_PROPOSAL))
#define X_SPD_NAMED	(X_ADDR_SD | X(SADB_X_EXT_POLICY))
#define X_SPD_SUBMIT	(X_SPD_NAMED | X_LFT_HS | X(SADB_X_EXT_SEC_CTX))
#define X_SPD_REPORT	(X_SPD_SUBMIT | X(SADB_EXT_LIFETIME_CURRENT))
#define X_SUPPORTED	(X(SADB_EXT_SUPPORTED_AUTH) | \
			    X(SADB_EXT_SUPPORTED_ENCRYPT))

#define RULE(t)		[PARAPET_SADB_##t]

/*
 * Client to keyd: RFC 2367 §3.1 and what Linux af_key accepts. Types
 * Linux has no handler for (EXPIRE, X_PCHANGE, X_SPDACQUIRE, X_SPDEXPIRE,
 * X_NAT_T_NEW_MAPPING) and X_MIGRATE are refused with EOPNOTSUPP.
 *
 * Liberal, because widespread clients do it: GETSPI without SPIRANGE
 * (racoon; Linux uses its default range), SA2 in DELETE and GET (setkey),
 * REGISTER with SA type 0 and with the RFC's non-IPsec types (Linux), SPD
 * messages with any SA type (setkey sends UNSPEC; Linux ignores it), a
 * hard lifetime without a soft one or the reverse (RFC 2367 allows it;
 * setkey and its spdadd send only the hard one).
 */
static const struct msg_rule to_keyd[PARAPET_SADB_MAX + 1] = {
	RULE(RESERVED) = { 0, 0, 0, 0 },
	RULE(GETSPI) = { X_ADDR_SD | X(SADB_EXT_SPIRANGE) | X(SADB_X_EXT_SA2),
	    X_ADDR_SD, SAT_SA, 0 },
	RULE(UPDATE) = { X_SA_SUBMIT, X_SA_NAMED, SAT_SA, MC_SA_SUBMIT },
	RULE(ADD) = { X_SA_SUBMIT, X_SA_NAMED, SAT_SA, MC_SA_SUBMIT },
	RULE(DELETE) = { X_SA_NAMED | X(SADB_X_EXT_SA2), X_SA_NAMED, SAT_SA,
	    0 },
	RULE(GET) = { X_SA_NAMED | X(SADB_X_EXT_SA2), X_SA_NAMED, SAT_SA, 0 },
	RULE(ACQUIRE) = { X_ACQ_ASK, X_ACQ_NEED, SAT_SA_ANY, MC_NEG_ACQUIRE },
	RULE(REGISTER) = { 0, 0, SAT_ALL, 0 },
	RULE(EXPIRE) = { 0, 0, 0, 0 },
	RULE(FLUSH) = { 0, 0, SAT_SA_ANY, 0 },
	RULE(DUMP) = { X(SADB_X_EXT_FILTER), 0, SAT_SA_ANY, 0 },
	RULE(X_PROMISC) = { 0, 0, SAT_PROMISC, 0 },
	RULE(X_PCHANGE) = { 0, 0, 0, 0 },
	RULE(X_SPDUPDATE) = { X_SPD_SUBMIT, X_SPD_NAMED, SAT_ALL,
	    MC_POLICY_SPD },
	RULE(X_SPDADD) = { X_SPD_SUBMIT, X_SPD_NAMED, SAT_ALL, MC_POLICY_SPD },
	RULE(X_SPDDELETE) = { X_SPD_NAMED | X(SADB_X_EXT_SEC_CTX),
	    X_SPD_NAMED, SAT_ALL, MC_POLICY_DIR },
	RULE(X_SPDGET) = { X(SADB_X_EXT_POLICY), X(SADB_X_EXT_POLICY),
	    SAT_ALL, 0 },
	RULE(X_SPDACQUIRE) = { 0, 0, 0, 0 },
	RULE(X_SPDDUMP) = { 0, 0, SAT_ALL, 0 },
	RULE(X_SPDFLUSH) = { 0, 0, SAT_ALL, 0 },
	RULE(X_SPDSETIDX) = { X_SPD_SUBMIT, X_SPD_NAMED, SAT_ALL,
	    MC_POLICY_SPD },
	RULE(X_SPDEXPIRE) = { 0, 0, 0, 0 },
	RULE(X_SPDDELETE2) = { X(SADB_X_EXT_POLICY), X(SADB_X_EXT_POLICY),
	    SAT_ALL, 0 },
	RULE(X_NAT_T_NEW_MAPPING) = { 0, 0, 0, 0 },
	RULE(X_MIGRATE) = { 0, 0, 0, 0 },
};
_Static_assert(nitems(to_keyd) == PARAPET_SADB_MAX + 1, "to_keyd");

/*
 * keyd (or a kernel) to a client: replies, notifications, broadcasts.
 * A message with sadb_msg_errno set is an error reply: header only in
 * practice, and nothing is required of it.
 */
static const struct msg_rule from_keyd[PARAPET_SADB_MAX + 1] = {
	RULE(RESERVED) = { 0, 0, 0, 0 },
	RULE(GETSPI) = { X_SA_REPORT, X_SA_NAMED, SAT_SA, 0 },
	RULE(UPDATE) = { X_SA_REPORT, X_SA_NAMED, SAT_SA, 0 },
	RULE(ADD) = { X_SA_REPORT, X_SA_NAMED, SAT_SA, 0 },
	RULE(DELETE) = { X_SA_REPORT, X_SA_NAMED, SAT_SA, 0 },
	RULE(GET) = { X_SA_REPORT, X_SA_NAMED, SAT_SA, 0 },
	RULE(ACQUIRE) = { X_ACQ_REPORT, X_ACQ_NEED, SAT_SA_ANY, 0 },
	RULE(REGISTER) = { X_SUPPORTED, 0, SAT_ALL, 0 },
	RULE(EXPIRE) = { X_SA_REPORT,
	    X_SA_NAMED | X(SADB_EXT_LIFETIME_CURRENT), SAT_SA, MC_EXPIRE },
	RULE(FLUSH) = { 0, 0, SAT_SA_ANY, 0 },
	RULE(DUMP) = { X_SA_REPORT, X_SA_NAMED, SAT_SA_ANY, 0 },
	RULE(X_PROMISC) = { 0, 0, SAT_PROMISC, 0 },
	RULE(X_PCHANGE) = { 0, 0, 0, 0 },
	RULE(X_SPDUPDATE) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDADD) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDDELETE) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDGET) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDACQUIRE) = { X_SPD_REPORT, X(SADB_X_EXT_POLICY), SAT_ALL,
	    0 },
	RULE(X_SPDDUMP) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDFLUSH) = { 0, 0, SAT_ALL, 0 },
	RULE(X_SPDSETIDX) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	RULE(X_SPDEXPIRE) = { X_SPD_REPORT, X(SADB_X_EXT_POLICY), SAT_ALL,
	    0 },
	RULE(X_SPDDELETE2) = { X_SPD_REPORT, X_SPD_NAMED, SAT_ALL, 0 },
	/* Linux pfkey_send_new_mapping(): SA, old and new address/port. */
	RULE(X_NAT_T_NEW_MAPPING) = { X_SA_NAMED | X(SADB_X_EXT_NAT_T_SPORT) |
		X(SADB_X_EXT_NAT_T_DPORT),
	    X_SA_NAMED | X(SADB_X_EXT_NAT_T_SPORT) | X(SADB_X_EXT_NAT_T_DPORT),
	    SAT(SADB_SATYPE_ESP), 0 },
	RULE(X_MIGRATE) = { 0, 0, 0, 0 },
};
_Static_assert(nitems(from_keyd) == PARAPET_SADB_MAX + 1, "from_keyd");

/* A short read where the size rules guaranteed the bytes. */
#define SHORT		PFKEY_REJECT_EXT_TOO_SHORT
#define OK		PFKEY_REJECT_NONE

size_t
pfkey_sockaddr_len(uint16_t family)
{
	switch (family) {
	case AF_INET:
		return SIN_LEN;
	case AF_INET6:
		return SIN6_LEN;
	default:
		return 0;
	}
}

static unsigned int
family_bits(uint16_t family)
{
	return family == AF_INET ? 32 : 128;
}

/* Skip what is left of b (padding the rules do not look at). */
static void
skip_rest(struct rd *b)
{
	int error = rd_skip(b, b->left);

	assert(error == 0);
	(void)error;
}

/* Borrow the next n octets of b. */
static const uint8_t *
borrow(struct rd *b, size_t n)
{
	const uint8_t *p = rd_peek(b, n);

	if (p != NULL && rd_skip(b, n) != 0)
		p = NULL;
	return p;
}

/*
 * A sockaddr_in or sockaddr_in6 as Linux lays it out. sin_zero is not
 * looked at: Linux ignores it, and so do we.
 */
static enum pfkey_reject
read_sockaddr(struct rd *b, struct pfkey_sockaddr *sa)
{
	if (rd_h16(b, &sa->family) != 0)
		return SHORT;
	switch (sa->family) {
	case AF_INET:
		if (rd_be16(b, &sa->port) != 0 ||
		    rd_bytes(b, sa->addr, 4) != 0 || rd_skip(b, 8) != 0)
			return SHORT;
		return OK;
	case AF_INET6:
		if (rd_be16(b, &sa->port) != 0 ||
		    rd_be32(b, &sa->flowinfo) != 0 ||
		    rd_bytes(b, sa->addr, 16) != 0 ||
		    rd_h32(b, &sa->scope_id) != 0)
			return SHORT;
		return OK;
	default:
		return PFKEY_REJECT_ADDR_FAMILY;
	}
}

/* The family of the sockaddr at the cursor, without consuming it. */
static uint16_t
peek_family(const struct rd *b)
{
	struct rd peek = *b;
	uint16_t family;

	if (rd_h16(&peek, &family) != 0)
		return 0;
	return family;
}

static enum pfkey_reject
parse_sa(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_sa *sa = &m->sa;

	(void)type;
	if (rd_be32(b, &sa->spi) != 0 || rd_u8(b, &sa->replay) != 0 ||
	    rd_u8(b, &sa->state) != 0 || rd_u8(b, &sa->auth) != 0 ||
	    rd_u8(b, &sa->encrypt) != 0 || rd_h32(b, &sa->flags) != 0)
		return SHORT;
	/* Where an SA is named, SPI 0 names none (RFC 4303 §2.1). */
	if (sa->spi == 0)
		return PFKEY_REJECT_SA_SPI_ZERO;
	if (sa->state > PARAPET_SADB_SASTATE_MAX)
		return PFKEY_REJECT_SA_STATE;
	/* Flags are not checked: Linux ignores unknown bits, KAME's mean
	 * padding and sequence options, and setkey sets CYCSEQ. */
	return OK;
}

static enum pfkey_reject
parse_lifetime(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_lifetime *l;

	switch (type) {
	case PARAPET_SADB_EXT_LIFETIME_CURRENT:
		l = &m->lft_current;
		break;
	case PARAPET_SADB_EXT_LIFETIME_HARD:
		l = &m->lft_hard;
		break;
	default:
		l = &m->lft_soft;
		break;
	}
	if (rd_h32(b, &l->allocations) != 0 || rd_h64(b, &l->bytes) != 0 ||
	    rd_h64(b, &l->addtime) != 0 || rd_h64(b, &l->usetime) != 0)
		return SHORT;
	return OK;
}

/* Offset of the view of an address extension in struct pfkey_msg. */
static size_t
address_off(uint16_t type)
{
	switch (type) {
	case PARAPET_SADB_EXT_ADDRESS_SRC:
		return offsetof(struct pfkey_msg, src);
	case PARAPET_SADB_EXT_ADDRESS_DST:
		return offsetof(struct pfkey_msg, dst);
	case PARAPET_SADB_EXT_ADDRESS_PROXY:
		return offsetof(struct pfkey_msg, proxy);
	default:
		return offsetof(struct pfkey_msg, natt_oa);
	}
}

static struct pfkey_address *
address_slot(uint16_t type, struct pfkey_msg *m)
{
	return (struct pfkey_address *)(void *)((char *)m + address_off(type));
}

const struct pfkey_address *
pfkey_msg_address(const struct pfkey_msg *m, uint16_t type)
{
	return (const struct pfkey_address *)(const void *)
	    ((const char *)m + address_off(type));
}

/*
 * As Linux verify_address_len(): the length is exactly that of the
 * family's sockaddr padded to 8, and the prefix fits the family. The
 * padding is not looked at (Linux does not either).
 */
static enum pfkey_reject
parse_address(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_address *a = address_slot(type, m);
	uint16_t reserved, family;
	enum pfkey_reject why;
	size_t salen;

	if (rd_u8(b, &a->proto) != 0 || rd_u8(b, &a->prefixlen) != 0 ||
	    rd_h16(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	family = peek_family(b);
	if ((salen = pfkey_sockaddr_len(family)) == 0)
		return PFKEY_REJECT_ADDR_FAMILY;
	if (b->left != PARAPET_PFKEY_ALIGN8(salen))
		return PFKEY_REJECT_ADDR_LEN;
	if (a->prefixlen > family_bits(family))
		return PFKEY_REJECT_ADDR_PREFIX;
	if ((why = read_sockaddr(b, &a->sa)) != OK)
		return why;
	skip_rest(b);
	return OK;
}

/*
 * The key fills the extension exactly: ceil((8 + bits / 8) / 8) words,
 * as every client builds it (Linux accepts longer ones). Keys are whole
 * octets for every algorithm in the Linux numbering.
 */
static enum pfkey_reject
parse_key(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_key *k = type == PARAPET_SADB_EXT_KEY_AUTH ?
	    &m->key_auth : &m->key_encrypt;
	uint16_t reserved;
	size_t n;

	if (rd_h16(b, &k->bits) != 0 || rd_h16(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	if (k->bits % 8 != 0)
		return PFKEY_REJECT_KEY_BITS_ALIGN;
	n = k->bits / 8U;
	if (b->left != PARAPET_PFKEY_ALIGN8(n))
		return PFKEY_REJECT_KEY_LEN;
	if ((k->data = borrow(b, n)) == NULL)
		return SHORT;
	k->len_bytes = n;
	skip_rest(b);	/* padding: not checked, as in Linux */
	return OK;
}

static enum pfkey_reject
parse_ident(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_ident *id = type == PARAPET_SADB_EXT_IDENTITY_SRC ?
	    &m->ident_src : &m->ident_dst;
	uint16_t reserved;

	if (rd_h16(b, &id->type) != 0 || rd_h16(b, &reserved) != 0 ||
	    rd_h64(b, &id->id) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	if (id->type == PARAPET_SADB_IDENTTYPE_RESERVED ||
	    id->type > PARAPET_SADB_IDENTTYPE_MAX)
		return PFKEY_REJECT_IDENT_TYPE;
	id->len_bytes = b->left;
	if ((id->data = borrow(b, b->left)) == NULL)
		return SHORT;
	return OK;
}

static enum pfkey_reject
parse_sens(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_sens *s = &m->sens;
	uint32_t reserved;
	size_t n;

	(void)type;
	if (rd_h32(b, &s->dpd) != 0 || rd_u8(b, &s->sens_level) != 0 ||
	    rd_u8(b, &s->sens_len) != 0 || rd_u8(b, &s->integ_level) != 0 ||
	    rd_u8(b, &s->integ_len) != 0 || rd_h32(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	n = 8 * ((size_t)s->sens_len + s->integ_len);
	if (b->left != n)
		return PFKEY_REJECT_SENS_LEN;
	if ((s->sens_bitmap = borrow(b, 8 * (size_t)s->sens_len)) == NULL ||
	    (s->integ_bitmap = borrow(b, 8 * (size_t)s->integ_len)) == NULL)
		return SHORT;
	return OK;
}

/* One sadb_comb; *reserved gets its reserved field. */
static int
read_comb(struct rd *b, struct pfkey_comb *c, uint32_t *reserved)
{
	if (rd_u8(b, &c->auth) != 0 || rd_u8(b, &c->encrypt) != 0 ||
	    rd_h16(b, &c->flags) != 0 || rd_h16(b, &c->auth_minbits) != 0 ||
	    rd_h16(b, &c->auth_maxbits) != 0 ||
	    rd_h16(b, &c->encrypt_minbits) != 0 ||
	    rd_h16(b, &c->encrypt_maxbits) != 0 || rd_h32(b, reserved) != 0 ||
	    rd_h32(b, &c->soft_allocations) != 0 ||
	    rd_h32(b, &c->hard_allocations) != 0 ||
	    rd_h64(b, &c->soft_bytes) != 0 || rd_h64(b, &c->hard_bytes) != 0 ||
	    rd_h64(b, &c->soft_addtime) != 0 ||
	    rd_h64(b, &c->hard_addtime) != 0 ||
	    rd_h64(b, &c->soft_usetime) != 0 ||
	    rd_h64(b, &c->hard_usetime) != 0)
		return -EBADMSG;
	return 0;
}

static enum pfkey_reject
parse_prop(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_prop *p = &m->prop;
	struct pfkey_comb c;
	uint8_t reserved[3];
	uint32_t creserved;
	size_t i;

	(void)type;
	if (rd_u8(b, &p->replay) != 0 ||
	    rd_bytes(b, reserved, sizeof(reserved)) != 0)
		return SHORT;
	if ((reserved[0] | reserved[1] | reserved[2]) != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	if (b->left % COMB_LEN != 0)
		return PFKEY_REJECT_PROP_LEN;
	p->ncombs = b->left / COMB_LEN;
	if ((p->combs = rd_peek(b, b->left)) == NULL)
		return SHORT;
	for (i = 0; i < p->ncombs; i++) {
		if (read_comb(b, &c, &creserved) != 0)
			return SHORT;
		if (creserved != 0)
			return PFKEY_REJECT_EXT_RESERVED;
	}
	return OK;
}

/* One sadb_alg; *reserved gets its reserved field. */
static int
read_alg(struct rd *b, struct pfkey_alg *a, uint16_t *reserved)
{
	if (rd_u8(b, &a->id) != 0 || rd_u8(b, &a->ivlen) != 0 ||
	    rd_h16(b, &a->minbits) != 0 || rd_h16(b, &a->maxbits) != 0 ||
	    rd_h16(b, reserved) != 0)
		return -EBADMSG;
	return 0;
}

static enum pfkey_reject
parse_supported(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_supported *s = type == PARAPET_SADB_EXT_SUPPORTED_AUTH ?
	    &m->supp_auth : &m->supp_encrypt;
	struct pfkey_alg a;
	uint32_t reserved;
	uint16_t areserved;
	size_t i;

	if (rd_h32(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	/* Whole entries: extension and entry are both multiples of 8. */
	s->nalgs = b->left / ALG_LEN;
	if ((s->algs = rd_peek(b, b->left)) == NULL)
		return SHORT;
	for (i = 0; i < s->nalgs; i++) {
		if (read_alg(b, &a, &areserved) != 0)
			return SHORT;
		if (areserved != 0)
			return PFKEY_REJECT_EXT_RESERVED;
	}
	return OK;
}

static enum pfkey_reject
parse_spirange(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	uint32_t reserved;

	(void)type;
	if (rd_h32(b, &m->spirange.min) != 0 ||
	    rd_h32(b, &m->spirange.max) != 0 || rd_h32(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	if (m->spirange.min > m->spirange.max)
		return PFKEY_REJECT_SPIRANGE_ORDER;
	return OK;
}

static enum pfkey_reject
parse_kmprivate(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	uint32_t reserved;

	(void)type;
	if (rd_h32(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	m->kmprivate.len_bytes = b->left;
	if ((m->kmprivate.data = borrow(b, b->left)) == NULL)
		return SHORT;
	return OK;
}

/* Source and destination back to back, one family (Linux layout). */
static enum pfkey_reject
read_sockaddr_pair(struct rd *b, struct pfkey_sockaddr *src,
    struct pfkey_sockaddr *dst)
{
	size_t salen = pfkey_sockaddr_len(peek_family(b));

	if (salen == 0 || b->left != 2 * salen)
		return PFKEY_REJECT_POLICY_REQ_ADDR;
	if (read_sockaddr(b, src) != OK || read_sockaddr(b, dst) != OK ||
	    dst->family != src->family)
		return PFKEY_REJECT_POLICY_REQ_ADDR;
	return OK;
}

static bool
req_proto_valid(uint16_t proto)
{
	return proto == IPPROTO_ESP || proto == IPPROTO_AH ||
	    proto == IPPROTO_COMP;
}

/*
 * One Linux sadb_x_ipsecrequest: 16 octets, then in tunnel mode the
 * endpoints. Its reserved fields are not checked: ipsec-tools' policy
 * parser (libipsec set_x_request()) fills the request member by member
 * in realloc()ed memory and never clears them; Linux ignores them.
 */
static enum pfkey_reject
parse_ipsecreq(struct rd *b, struct pfkey_ipsecreq *q)
{
	struct rd peek = *b, rq;
	uint16_t len, reserved1;
	uint32_t reserved2;

	if (rd_h16(&peek, &len) != 0 || len < REQ_LEN ||
	    rd_sub(b, len, &rq) != 0)
		return PFKEY_REJECT_POLICY_REQ_LEN;
	if (rd_skip(&rq, 2) != 0 || rd_h16(&rq, &q->proto) != 0 ||
	    rd_u8(&rq, &q->mode) != 0 || rd_u8(&rq, &q->level) != 0 ||
	    rd_h16(&rq, &reserved1) != 0 || rd_h32(&rq, &q->reqid) != 0 ||
	    rd_h32(&rq, &reserved2) != 0)
		return PFKEY_REJECT_POLICY_REQ_LEN;
	if (!req_proto_valid(q->proto))
		return PFKEY_REJECT_POLICY_REQ_PROTO;
	/* Linux parse_ipsecrequest(): mode 0 is refused here. */
	if (q->mode < PARAPET_IPSEC_MODE_TRANSPORT ||
	    q->mode > PARAPET_IPSEC_MODE_BEET)
		return PFKEY_REJECT_POLICY_REQ_MODE;
	if (q->level > PARAPET_IPSEC_LEVEL_UNIQUE)
		return PFKEY_REJECT_POLICY_REQ_LEVEL;
	if (rd_empty(&rq)) {
		if (q->mode == PARAPET_IPSEC_MODE_TUNNEL)
			return PFKEY_REJECT_POLICY_REQ_TUNNEL;
		return OK;
	}
	/* Endpoints are needed in tunnel mode and, if given, checked in
	 * the others (setkey may write them; Linux ignores them there). */
	q->has_addrs = true;
	return read_sockaddr_pair(&rq, &q->src, &q->dst);
}

static enum pfkey_reject
parse_policy(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_policy *p = &m->policy;
	enum pfkey_reject why;
	uint8_t reserved;

	(void)type;
	if (rd_h16(b, &p->type) != 0 || rd_u8(b, &p->dir) != 0 ||
	    rd_u8(b, &reserved) != 0 || rd_h32(b, &p->id) != 0 ||
	    rd_h32(b, &p->priority) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	if (p->type > PARAPET_IPSEC_POLICY_BYPASS)
		return PFKEY_REJECT_POLICY_TYPE;
	if (p->dir > PARAPET_IPSEC_DIR_FWD)
		return PFKEY_REJECT_POLICY_DIR;
	while (!rd_empty(b)) {
		if (p->type != PARAPET_IPSEC_POLICY_IPSEC)
			return PFKEY_REJECT_POLICY_REQ_UNEXPECTED;
		if (p->nreqs == PFKEY_POLICY_MAX_REQS)
			return PFKEY_REJECT_POLICY_REQ_TOO_MANY;
		if ((why = parse_ipsecreq(b, &p->req[p->nreqs])) != OK)
			return why;
		p->nreqs++;
	}
	return OK;
}

/*
 * sadb_x_sa2: reserved1, reserved2 and sequence are not checked.
 * ipsec-tools setkey builds this extension on the stack and sets only
 * mode and reqid, so those fields carry whatever the stack held; Linux
 * ignores them.
 */
static enum pfkey_reject
parse_sa2(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	uint8_t reserved1;
	uint16_t reserved2;

	(void)type;
	if (rd_u8(b, &m->sa2.mode) != 0 || rd_u8(b, &reserved1) != 0 ||
	    rd_h16(b, &reserved2) != 0 || rd_h32(b, &m->sa2.sequence) != 0 ||
	    rd_h32(b, &m->sa2.reqid) != 0)
		return SHORT;
	/* Mode ANY means transport (Linux pfkey_mode_to_xfrm()). */
	if (m->sa2.mode > PARAPET_IPSEC_MODE_BEET)
		return PFKEY_REJECT_SA2_MODE;
	return OK;
}

static enum pfkey_reject
parse_natt_type(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	uint8_t reserved[3];

	(void)type;
	if (rd_u8(b, &m->natt_type) != 0 ||
	    rd_bytes(b, reserved, sizeof(reserved)) != 0)
		return SHORT;
	if ((reserved[0] | reserved[1] | reserved[2]) != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	return OK;
}

static enum pfkey_reject
parse_natt_port(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	uint16_t *port = type == PARAPET_SADB_X_EXT_NAT_T_SPORT ?
	    &m->natt_sport : &m->natt_dport;
	uint16_t reserved;

	if (rd_be16(b, port) != 0 || rd_h16(b, &reserved) != 0)
		return SHORT;
	if (reserved != 0)
		return PFKEY_REJECT_EXT_RESERVED;
	return OK;
}

/* Linux verify_sec_ctx_len(): the context fills the extension exactly. */
static enum pfkey_reject
parse_sec_ctx(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_sec_ctx *c = &m->sec_ctx;

	(void)type;
	if (rd_u8(b, &c->alg) != 0 || rd_u8(b, &c->doi) != 0 ||
	    rd_h16(b, &c->len_bytes) != 0)
		return SHORT;
	if (b->left != PARAPET_PFKEY_ALIGN8((size_t)c->len_bytes))
		return PFKEY_REJECT_SEC_CTX_LEN;
	if ((c->ctx = borrow(b, c->len_bytes)) == NULL)
		return SHORT;
	skip_rest(b);
	return OK;
}

static enum pfkey_reject
parse_filter(struct rd *b, uint16_t type, struct pfkey_msg *m)
{
	struct pfkey_filter *f = &m->filter;

	(void)type;
	if (rd_bytes(b, f->saddr, sizeof(f->saddr)) != 0 ||
	    rd_bytes(b, f->daddr, sizeof(f->daddr)) != 0 ||
	    rd_h16(b, &f->family) != 0 || rd_u8(b, &f->splen) != 0 ||
	    rd_u8(b, &f->dplen) != 0)
		return SHORT;
	if (pfkey_sockaddr_len(f->family) == 0)
		return PFKEY_REJECT_ADDR_FAMILY;
	if (f->splen > family_bits(f->family) ||
	    f->dplen > family_bits(f->family))
		return PFKEY_REJECT_ADDR_PREFIX;
	return OK;
}

/*
 * The header. Checked as Linux pfkey_get_base_msg() does, except that the
 * datagram must be exactly sadb_msg_len words (Linux lets up to 7 stray
 * octets through to fail later with EINVAL).
 */
static enum pfkey_reject
parse_hdr(struct rd *r, size_t len, struct pfkey_hdr *h)
{
	uint16_t reserved;

	if (len < sizeof(struct pp_sadb_msg))
		return PFKEY_REJECT_HDR_SHORT;
	if (rd_u8(r, &h->version) != 0 || rd_u8(r, &h->type) != 0 ||
	    rd_u8(r, &h->msg_errno) != 0 || rd_u8(r, &h->satype) != 0 ||
	    rd_h16(r, &h->len_words64) != 0 || rd_h16(r, &reserved) != 0 ||
	    rd_h32(r, &h->seq) != 0 || rd_h32(r, &h->pid) != 0)
		return PFKEY_REJECT_HDR_SHORT;
	if (len > PFKEY_MSG_MAX_BYTES)
		return PFKEY_REJECT_MSG_TOO_BIG;
	if (h->version != PARAPET_PF_KEY_V2)
		return PFKEY_REJECT_HDR_VERSION;
	if (reserved != 0)
		return PFKEY_REJECT_HDR_RESERVED;
	if (h->type == PARAPET_SADB_RESERVED || h->type > PARAPET_SADB_MAX)
		return PFKEY_REJECT_HDR_TYPE;
	if ((size_t)h->len_words64 * 8 != len)
		return PFKEY_REJECT_MSG_LEN;
	return OK;
}

/* What the header alone decides: direction, errno, SA type. */
static enum pfkey_reject
check_msg(const struct msg_rule *rule, bool reply, size_t len,
    const struct pfkey_hdr *h)
{
	if (rule->satypes == 0)
		return PFKEY_REJECT_TYPE_UNSUPPORTED;
	/*
	 * A client sets errno only to refuse an ACQUIRE, and that refusal
	 * is the header alone (RFC 2367 §3.1.6; Linux pfkey_acquire()).
	 */
	if (!reply && h->msg_errno != 0) {
		if ((rule->checks & MC_NEG_ACQUIRE) == 0)
			return PFKEY_REJECT_MSG_ERRNO;
		if (len != sizeof(struct pp_sadb_msg))
			return PFKEY_REJECT_ERRNO_WITH_EXT;
	}
	if (h->satype > PARAPET_SADB_SATYPE_MAX ||
	    (rule->satypes & (1U << h->satype)) == 0)
		return PFKEY_REJECT_SATYPE;
	return OK;
}

/*
 * Frame the next extension: carve it into *body (past its 4-octet
 * header) and check the rules that need no contents.
 */
static enum pfkey_reject
next_ext(struct rd *r, const struct msg_rule *rule, struct pfkey_msg *m,
    struct rd *body, uint16_t *typep)
{
	struct rd peek = *r;
	const struct ext_rule *er;
	uint16_t len_words, type;
	size_t len;

	if (rd_h16(&peek, &len_words) != 0 || rd_h16(&peek, &type) != 0)
		return PFKEY_REJECT_EXT_OVERRUN;
	m->fail_ext = type;
	if (len_words == 0)
		return PFKEY_REJECT_EXT_LEN_ZERO;
	len = (size_t)len_words * 8;
	if (rd_sub(r, len, body) != 0)
		return PFKEY_REJECT_EXT_OVERRUN;
	if (type == PARAPET_SADB_EXT_RESERVED || type > PARAPET_SADB_EXT_MAX)
		return PFKEY_REJECT_EXT_UNKNOWN;
	er = &ext_rules[type];
	if ((rule->allowed & BIT(type)) == 0 || er->parse == NULL)
		return PFKEY_REJECT_EXT_NOT_ALLOWED;
	if ((m->present & BIT(type)) != 0)
		return PFKEY_REJECT_EXT_DUPLICATE;
	if (len < er->min)
		return PFKEY_REJECT_EXT_TOO_SHORT;
	if (len > er->max)
		return PFKEY_REJECT_EXT_TOO_LONG;
	if (rd_skip(body, sizeof(struct pp_sadb_ext)) != 0)
		return SHORT;
	*typep = type;
	return OK;
}

static enum pfkey_reject
parse_exts(struct rd *r, const struct msg_rule *rule, struct pfkey_msg *m)
{
	enum pfkey_reject why;
	struct rd body;
	uint16_t type;

	while (!rd_empty(r)) {
		if ((why = next_ext(r, rule, m, &body, &type)) != OK)
			return why;
		if ((why = ext_rules[type].parse(&body, type, m)) != OK)
			return why;
		/* Every parser consumes its extension exactly. */
		assert(rd_empty(&body));
		m->present |= BIT(type);
	}
	return OK;
}

static enum pfkey_reject
fail(struct pfkey_msg *m, unsigned int ext, enum pfkey_reject why)
{
	m->fail_ext = (uint16_t)ext;
	return why;
}

/*
 * ADD and UPDATE, as Linux pfkey_msg2xfrm_state(): the state is LARVAL
 * or MATURE (RFC 2367 §3.1.3 says MATURE, but KAME setkey and libipsec
 * send LARVAL, i.e. 0, and Linux ignores the field), the algorithm
 * numbers are in range, ESP has an encryption key and AH an
 * authentication key, and an empty key is only for a null algorithm.
 * Whether a key length suits its algorithm is the SADB's question.
 */
static enum pfkey_reject
check_sa_submit(struct pfkey_msg *m)
{
	unsigned int ealg_max = m->hdr.satype == PARAPET_SADB_X_SATYPE_IPCOMP ?
	    PARAPET_SADB_X_CALG_MAX : PARAPET_SADB_EALG_MAX;

	if (m->sa.state > PARAPET_SADB_SASTATE_MATURE)
		return fail(m, PARAPET_SADB_EXT_SA,
		    PFKEY_REJECT_SA_STATE_SUBMIT);
	if (m->sa.auth > PARAPET_SADB_AALG_MAX)
		return fail(m, PARAPET_SADB_EXT_SA, PFKEY_REJECT_SA_AALG);
	if (m->sa.encrypt > ealg_max)
		return fail(m, PARAPET_SADB_EXT_SA, PFKEY_REJECT_SA_EALG);
	if (m->hdr.satype == PARAPET_SADB_SATYPE_ESP &&
	    !pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_ENCRYPT))
		return fail(m, PARAPET_SADB_EXT_KEY_ENCRYPT,
		    PFKEY_REJECT_EXT_MISSING);
	if (m->hdr.satype == PARAPET_SADB_SATYPE_AH &&
	    !pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_AUTH))
		return fail(m, PARAPET_SADB_EXT_KEY_AUTH,
		    PFKEY_REJECT_EXT_MISSING);
	if (pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_AUTH) &&
	    m->key_auth.bits == 0 && m->sa.auth != PARAPET_SADB_X_AALG_NULL)
		return fail(m, PARAPET_SADB_EXT_KEY_AUTH,
		    PFKEY_REJECT_KEY_BITS_ZERO);
	if (pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_ENCRYPT) &&
	    m->key_encrypt.bits == 0 && m->sa.encrypt != PARAPET_SADB_EALG_NULL)
		return fail(m, PARAPET_SADB_EXT_KEY_ENCRYPT,
		    PFKEY_REJECT_KEY_BITS_ZERO);
	return OK;
}

/*
 * Checks across extensions, once all are parsed. An error message
 * (errno set: an error reply, or a client's negative ACQUIRE, which is
 * header only) need carry nothing.
 */
static enum pfkey_reject
check_cross(const struct msg_rule *rule, struct pfkey_msg *m)
{
	uint32_t missing = rule->required & ~m->present;
	enum pfkey_reject why;

	if (m->hdr.msg_errno != 0)
		return OK;
	if (missing != 0)
		return fail(m, (unsigned int)__builtin_ctz(missing),
		    PFKEY_REJECT_EXT_MISSING);
	if ((m->present & X_ADDR_SD) == X_ADDR_SD &&
	    m->src.sa.family != m->dst.sa.family)
		return fail(m, PARAPET_SADB_EXT_ADDRESS_DST,
		    PFKEY_REJECT_ADDR_FAMILY_MISMATCH);
	if ((rule->checks & MC_SA_SUBMIT) != 0 &&
	    (why = check_sa_submit(m)) != OK)
		return why;
	/* Linux pfkey_spdadd(): DISCARD, NONE or IPSEC, and a direction. */
	if ((rule->checks & MC_POLICY_SPD) != 0 &&
	    m->policy.type > PARAPET_IPSEC_POLICY_IPSEC)
		return fail(m, PARAPET_SADB_X_EXT_POLICY,
		    PFKEY_REJECT_POLICY_TYPE_SPD);
	if ((rule->checks & (MC_POLICY_SPD | MC_POLICY_DIR)) != 0 &&
	    m->policy.dir == PARAPET_IPSEC_DIR_ANY)
		return fail(m, PARAPET_SADB_X_EXT_POLICY,
		    PFKEY_REJECT_POLICY_DIR_ANY);
	/* RFC 2367 §3.1.7: current, and the hard or the soft lifetime. */
	if ((rule->checks & MC_EXPIRE) != 0 &&
	    pfkey_msg_has(m, PARAPET_SADB_EXT_LIFETIME_HARD) ==
	    pfkey_msg_has(m, PARAPET_SADB_EXT_LIFETIME_SOFT))
		return fail(m, PARAPET_SADB_EXT_LIFETIME_HARD,
		    PFKEY_REJECT_EXPIRE_LIFETIME);
	return OK;
}

static int
parse(const uint8_t *buf, size_t len, bool reply, struct pfkey_msg *m,
    enum pfkey_reject *why)
{
	const struct msg_rule *rule;
	enum pfkey_reject r;
	struct rd rd;

	memset(m, 0, sizeof(*m));
	rd_init(&rd, buf, len);
	if ((r = parse_hdr(&rd, len, &m->hdr)) != OK)
		goto out;
	rule = reply ? &from_keyd[m->hdr.type] : &to_keyd[m->hdr.type];
	if ((r = check_msg(rule, reply, len, &m->hdr)) != OK)
		goto out;
	if ((r = parse_exts(&rd, rule, m)) != OK)
		goto out;
	m->fail_ext = 0;
	r = check_cross(rule, m);
out:
	*why = r;
	return -reject_info[r].error;
}

int
pfkey_msg_parse(const uint8_t *buf, size_t len, struct pfkey_msg *out,
    enum pfkey_reject *why)
{
	return parse(buf, len, false, out, why);
}

int
pfkey_msg_parse_reply(const uint8_t *buf, size_t len, struct pfkey_msg *out,
    enum pfkey_reject *why)
{
	return parse(buf, len, true, out, why);
}

const char *
pfkey_reject_str(enum pfkey_reject r)
{
	if ((unsigned int)r >= PFKEY_REJECT_COUNT)
		return "unknown";
	return reject_info[r].name;
}

int
pfkey_reject_errno(enum pfkey_reject r)
{
	if ((unsigned int)r >= PFKEY_REJECT_COUNT)
		return EINVAL;
	return reject_info[r].error;
}

bool
pfkey_reject_replyable(enum pfkey_reject r)
{
	if ((unsigned int)r >= PFKEY_REJECT_COUNT)
		return false;
	return reject_info[r].replyable;
}

void
pfkey_prop_comb(const struct pfkey_prop *p, size_t i, struct pfkey_comb *c)
{
	uint32_t reserved;
	struct rd r;

	assert(i < p->ncombs);
	rd_init(&r, p->combs, p->ncombs * COMB_LEN);
	if (rd_skip(&r, i * COMB_LEN) != 0 || read_comb(&r, c, &reserved) != 0)
		memset(c, 0, sizeof(*c));	/* not reached: validated */
}

void
pfkey_supported_alg(const struct pfkey_supported *s, size_t i,
    struct pfkey_alg *a)
{
	uint16_t reserved;
	struct rd r;

	assert(i < s->nalgs);
	rd_init(&r, s->algs, s->nalgs * ALG_LEN);
	if (rd_skip(&r, i * ALG_LEN) != 0 || read_alg(&r, a, &reserved) != 0)
		memset(a, 0, sizeof(*a));	/* not reached: validated */
}
