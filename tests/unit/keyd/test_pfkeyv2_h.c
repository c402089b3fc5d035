/*
 * test_pfkeyv2_h.c - pin libclient/pfkeyv2.h and ipsec_policy.h, the
 * project's own PF_KEY header, to the system's and to the shared table.
 *
 * 1. At compile time, against <linux/pfkeyv2.h>, <linux/ipsec.h> and
 *    <linux/udp.h>: every constant equal; every structure's size and
 *    alignment, and every member's offset and size, equal. A difference
 *    fails the build of this test.
 * 2. At run time, against the `linux` column of pfkey_constants.json
 *    (RFC 2367 + KAME/Linux values; the `netbsd_kame` column for KAME's
 *    sadb_sa flags, which Linux does not define): every constant the
 *    table lists for Linux must exist here with that value, and every
 *    structure the table sizes for RFC 2367 or Linux must have that size
 *    and those members, back to back. The table is read, never copied:
 *    from argv[1] when given (then it must be there), otherwise from
 *    $PARAPET_SRCDIR/../shared/vectors/pfkey_constants.json (skipped,
 *    loudly, when absent).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/ipsec.h>
#include <linux/pfkeyv2.h>
#include <linux/udp.h>

#include "ipsec_policy.h"
#include "pfkeyv2.h"

/* ---- 1. Constants, with the system's spelling. ---- */

#define SYS_CONSTANTS(X)						\
	X(PF_KEY_V2) X(PFKEYV2_REVISION)				\
	X(SADB_RESERVED) X(SADB_GETSPI) X(SADB_UPDATE) X(SADB_ADD)	\
	X(SADB_DELETE) X(SADB_GET) X(SADB_ACQUIRE) X(SADB_REGISTER)	\
	X(SADB_EXPIRE) X(SADB_FLUSH) X(SADB_DUMP) X(SADB_X_PROMISC)	\
	X(SADB_X_PCHANGE) X(SADB_X_SPDUPDATE) X(SADB_X_SPDADD)		\
	X(SADB_X_SPDDELETE) X(SADB_X_SPDGET) X(SADB_X_SPDACQUIRE)	\
	X(SADB_X_SPDDUMP) X(SADB_X_SPDFLUSH) X(SADB_X_SPDSETIDX)	\
	X(SADB_X_SPDEXPIRE) X(SADB_X_SPDDELETE2)			\
	X(SADB_X_NAT_T_NEW_MAPPING) X(SADB_X_MIGRATE) X(SADB_MAX)	\
	X(SADB_SAFLAGS_PFS) X(SADB_SAFLAGS_NOPMTUDISC)			\
	X(SADB_SAFLAGS_DECAP_DSCP) X(SADB_SAFLAGS_NOECN)		\
	X(SADB_SASTATE_LARVAL) X(SADB_SASTATE_MATURE)			\
	X(SADB_SASTATE_DYING) X(SADB_SASTATE_DEAD) X(SADB_SASTATE_MAX)	\
	X(SADB_SATYPE_UNSPEC) X(SADB_SATYPE_AH) X(SADB_SATYPE_ESP)	\
	X(SADB_SATYPE_RSVP) X(SADB_SATYPE_OSPFV2) X(SADB_SATYPE_RIPV2)	\
	X(SADB_SATYPE_MIP) X(SADB_X_SATYPE_IPCOMP) X(SADB_SATYPE_MAX)	\
	X(SADB_AALG_NONE) X(SADB_AALG_MD5HMAC) X(SADB_AALG_SHA1HMAC)	\
	X(SADB_X_AALG_SHA2_256HMAC) X(SADB_X_AALG_SHA2_384HMAC)		\
	X(SADB_X_AALG_SHA2_512HMAC) X(SADB_X_AALG_RIPEMD160HMAC)	\
	X(SADB_X_AALG_AES_XCBC_MAC) X(SADB_X_AALG_SM3_256HMAC)		\
	X(SADB_X_AALG_NULL) X(SADB_AALG_MAX)				\
	X(SADB_EALG_NONE) X(SADB_EALG_DESCBC) X(SADB_EALG_3DESCBC)	\
	X(SADB_X_EALG_CASTCBC) X(SADB_X_EALG_BLOWFISHCBC)		\
	X(SADB_EALG_NULL) X(SADB_X_EALG_AESCBC) X(SADB_X_EALG_AESCTR)	\
	X(SADB_X_EALG_AES_CCM_ICV8) X(SADB_X_EALG_AES_CCM_ICV12)	\
	X(SADB_X_EALG_AES_CCM_ICV16) X(SADB_X_EALG_AES_GCM_ICV8)	\
	X(SADB_X_EALG_AES_GCM_ICV12) X(SADB_X_EALG_AES_GCM_ICV16)	\
	X(SADB_X_EALG_CAMELLIACBC) X(SADB_X_EALG_NULL_AES_GMAC)		\
	X(SADB_X_EALG_SM4CBC) X(SADB_EALG_MAX)				\
	X(SADB_X_EALG_SERPENTCBC) X(SADB_X_EALG_TWOFISHCBC)		\
	X(SADB_X_CALG_NONE) X(SADB_X_CALG_OUI) X(SADB_X_CALG_DEFLATE)	\
	X(SADB_X_CALG_LZS) X(SADB_X_CALG_LZJH) X(SADB_X_CALG_MAX)	\
	X(SADB_EXT_RESERVED) X(SADB_EXT_SA) X(SADB_EXT_LIFETIME_CURRENT) \
	X(SADB_EXT_LIFETIME_HARD) X(SADB_EXT_LIFETIME_SOFT)		\
	X(SADB_EXT_ADDRESS_SRC) X(SADB_EXT_ADDRESS_DST)			\
	X(SADB_EXT_ADDRESS_PROXY) X(SADB_EXT_KEY_AUTH)			\
	X(SADB_EXT_KEY_ENCRYPT) X(SADB_EXT_IDENTITY_SRC)		\
	X(SADB_EXT_IDENTITY_DST) X(SADB_EXT_SENSITIVITY)		\
	X(SADB_EXT_PROPOSAL) X(SADB_EXT_SUPPORTED_AUTH)			\
	X(SADB_EXT_SUPPORTED_ENCRYPT) X(SADB_EXT_SPIRANGE)		\
	X(SADB_X_EXT_KMPRIVATE) X(SADB_X_EXT_POLICY) X(SADB_X_EXT_SA2)	\
	X(SADB_X_EXT_NAT_T_TYPE) X(SADB_X_EXT_NAT_T_SPORT)		\
	X(SADB_X_EXT_NAT_T_DPORT) X(SADB_X_EXT_NAT_T_OA)		\
	X(SADB_X_EXT_SEC_CTX) X(SADB_X_EXT_KMADDRESS)			\
	X(SADB_X_EXT_FILTER) X(SADB_EXT_MAX)				\
	X(SADB_IDENTTYPE_RESERVED) X(SADB_IDENTTYPE_PREFIX)		\
	X(SADB_IDENTTYPE_FQDN) X(SADB_IDENTTYPE_USERFQDN)		\
	X(SADB_IDENTTYPE_MAX)						\
	X(IPSEC_PORT_ANY) X(IPSEC_ULPROTO_ANY) X(IPSEC_PROTO_ANY)	\
	X(IPSEC_MODE_ANY) X(IPSEC_MODE_TRANSPORT) X(IPSEC_MODE_TUNNEL)	\
	X(IPSEC_MODE_BEET)						\
	X(IPSEC_DIR_ANY) X(IPSEC_DIR_INBOUND) X(IPSEC_DIR_OUTBOUND)	\
	X(IPSEC_DIR_FWD) X(IPSEC_DIR_MAX) X(IPSEC_DIR_INVALID)		\
	X(IPSEC_POLICY_DISCARD) X(IPSEC_POLICY_NONE)			\
	X(IPSEC_POLICY_IPSEC) X(IPSEC_POLICY_ENTRUST)			\
	X(IPSEC_POLICY_BYPASS)						\
	X(IPSEC_LEVEL_DEFAULT) X(IPSEC_LEVEL_USE) X(IPSEC_LEVEL_REQUIRE) \
	X(IPSEC_LEVEL_UNIQUE)						\
	X(IPSEC_MANUAL_REQID_MAX) X(IPSEC_REPLAYWSIZE)			\
	X(UDP_ENCAP_ESPINUDP_NON_IKE) X(UDP_ENCAP_ESPINUDP)

/*
 * Ours only: KAME's sadb_sa flags (checked against the table's KAME
 * column) and IPSEC_MODE_IPTFS, which newer Linux headers than this
 * system's define (checked against the table's Linux column).
 */
#define OWN_CONSTANTS(X)						\
	X(SADB_X_EXT_NONE) X(SADB_X_EXT_OLD) X(SADB_X_EXT_IV4B)		\
	X(SADB_X_EXT_DERIV) X(SADB_X_EXT_CYCSEQ) X(SADB_X_EXT_RAWCPI)	\
	X(SADB_X_EXT_PSEQ) X(SADB_X_EXT_PRAND) X(SADB_X_EXT_PZERO)	\
	X(SADB_X_EXT_PMASK) X(SADB_KEY_FLAGS_MAX) X(IPSEC_MODE_IPTFS)

#define PIN_CONSTANT(n)							\
	_Static_assert((long long)PARAPET_##n == (long long)(n), #n);
SYS_CONSTANTS(PIN_CONSTANT)

struct constant {
	const char	*name;
	long long	 value;
	long long	 system;	/* -1: no system definition */
};

#define SYS_ROW(n)	{ #n, (long long)PARAPET_##n, (long long)(n) },
#define OWN_ROW(n)	{ #n, (long long)PARAPET_##n, -1 },

static const struct constant constants[] = {
	SYS_CONSTANTS(SYS_ROW)
	OWN_CONSTANTS(OWN_ROW)
};

#define NCONSTANTS	(sizeof(constants) / sizeof(constants[0]))

/* ---- 1. Structures: size, alignment, every member. ---- */

#define STRUCTS(X)							\
	X(sadb_msg) X(sadb_ext) X(sadb_sa) X(sadb_lifetime)		\
	X(sadb_address) X(sadb_key) X(sadb_ident) X(sadb_sens)		\
	X(sadb_prop) X(sadb_comb) X(sadb_supported) X(sadb_alg)		\
	X(sadb_spirange) X(sadb_x_kmprivate) X(sadb_x_sa2)		\
	X(sadb_x_policy) X(sadb_x_ipsecrequest) X(sadb_x_nat_t_type)	\
	X(sadb_x_nat_t_port) X(sadb_x_sec_ctx) X(sadb_x_kmaddress)	\
	X(sadb_x_filter)

#define FIELDS(X)							\
	X(sadb_msg, sadb_msg_version) X(sadb_msg, sadb_msg_type)	\
	X(sadb_msg, sadb_msg_errno) X(sadb_msg, sadb_msg_satype)	\
	X(sadb_msg, sadb_msg_len) X(sadb_msg, sadb_msg_reserved)	\
	X(sadb_msg, sadb_msg_seq) X(sadb_msg, sadb_msg_pid)		\
	X(sadb_ext, sadb_ext_len) X(sadb_ext, sadb_ext_type)		\
	X(sadb_sa, sadb_sa_len) X(sadb_sa, sadb_sa_exttype)		\
	X(sadb_sa, sadb_sa_spi) X(sadb_sa, sadb_sa_replay)		\
	X(sadb_sa, sadb_sa_state) X(sadb_sa, sadb_sa_auth)		\
	X(sadb_sa, sadb_sa_encrypt) X(sadb_sa, sadb_sa_flags)		\
	X(sadb_lifetime, sadb_lifetime_len)				\
	X(sadb_lifetime, sadb_lifetime_exttype)				\
	X(sadb_lifetime, sadb_lifetime_allocations)			\
	X(sadb_lifetime, sadb_lifetime_bytes)				\
	X(sadb_lifetime, sadb_lifetime_addtime)				\
	X(sadb_lifetime, sadb_lifetime_usetime)				\
	X(sadb_address, sadb_address_len)				\
	X(sadb_address, sadb_address_exttype)				\
	X(sadb_address, sadb_address_proto)				\
	X(sadb_address, sadb_address_prefixlen)				\
	X(sadb_address, sadb_address_reserved)				\
	X(sadb_key, sadb_key_len) X(sadb_key, sadb_key_exttype)		\
	X(sadb_key, sadb_key_bits) X(sadb_key, sadb_key_reserved)	\
	X(sadb_ident, sadb_ident_len) X(sadb_ident, sadb_ident_exttype)	\
	X(sadb_ident, sadb_ident_type) X(sadb_ident, sadb_ident_reserved) \
	X(sadb_ident, sadb_ident_id)					\
	X(sadb_sens, sadb_sens_len) X(sadb_sens, sadb_sens_exttype)	\
	X(sadb_sens, sadb_sens_dpd) X(sadb_sens, sadb_sens_sens_level)	\
	X(sadb_sens, sadb_sens_sens_len)				\
	X(sadb_sens, sadb_sens_integ_level)				\
	X(sadb_sens, sadb_sens_integ_len) X(sadb_sens, sadb_sens_reserved) \
	X(sadb_prop, sadb_prop_len) X(sadb_prop, sadb_prop_exttype)	\
	X(sadb_prop, sadb_prop_replay) X(sadb_prop, sadb_prop_reserved)	\
	X(sadb_comb, sadb_comb_auth) X(sadb_comb, sadb_comb_encrypt)	\
	X(sadb_comb, sadb_comb_flags) X(sadb_comb, sadb_comb_auth_minbits) \
	X(sadb_comb, sadb_comb_auth_maxbits)				\
	X(sadb_comb, sadb_comb_encrypt_minbits)				\
	X(sadb_comb, sadb_comb_encrypt_maxbits)				\
	X(sadb_comb, sadb_comb_reserved)				\
	X(sadb_comb, sadb_comb_soft_allocations)			\
	X(sadb_comb, sadb_comb_hard_allocations)			\
	X(sadb_comb, sadb_comb_soft_bytes) X(sadb_comb, sadb_comb_hard_bytes) \
	X(sadb_comb, sadb_comb_soft_addtime)				\
	X(sadb_comb, sadb_comb_hard_addtime)				\
	X(sadb_comb, sadb_comb_soft_usetime)				\
	X(sadb_comb, sadb_comb_hard_usetime)				\
	X(sadb_supported, sadb_supported_len)				\
	X(sadb_supported, sadb_supported_exttype)			\
	X(sadb_supported, sadb_supported_reserved)			\
	X(sadb_alg, sadb_alg_id) X(sadb_alg, sadb_alg_ivlen)		\
	X(sadb_alg, sadb_alg_minbits) X(sadb_alg, sadb_alg_maxbits)	\
	X(sadb_alg, sadb_alg_reserved)					\
	X(sadb_spirange, sadb_spirange_len)				\
	X(sadb_spirange, sadb_spirange_exttype)				\
	X(sadb_spirange, sadb_spirange_min)				\
	X(sadb_spirange, sadb_spirange_max)				\
	X(sadb_spirange, sadb_spirange_reserved)			\
	X(sadb_x_kmprivate, sadb_x_kmprivate_len)			\
	X(sadb_x_kmprivate, sadb_x_kmprivate_exttype)			\
	X(sadb_x_kmprivate, sadb_x_kmprivate_reserved)			\
	X(sadb_x_sa2, sadb_x_sa2_len) X(sadb_x_sa2, sadb_x_sa2_exttype)	\
	X(sadb_x_sa2, sadb_x_sa2_mode) X(sadb_x_sa2, sadb_x_sa2_reserved1) \
	X(sadb_x_sa2, sadb_x_sa2_reserved2)				\
	X(sadb_x_sa2, sadb_x_sa2_sequence) X(sadb_x_sa2, sadb_x_sa2_reqid) \
	X(sadb_x_policy, sadb_x_policy_len)				\
	X(sadb_x_policy, sadb_x_policy_exttype)				\
	X(sadb_x_policy, sadb_x_policy_type)				\
	X(sadb_x_policy, sadb_x_policy_dir)				\
	X(sadb_x_policy, sadb_x_policy_reserved)			\
	X(sadb_x_policy, sadb_x_policy_id)				\
	X(sadb_x_policy, sadb_x_policy_priority)			\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_len)			\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_proto)		\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_mode)		\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_level)		\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reserved1)		\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reqid)		\
	X(sadb_x_ipsecrequest, sadb_x_ipsecrequest_reserved2)		\
	X(sadb_x_nat_t_type, sadb_x_nat_t_type_len)			\
	X(sadb_x_nat_t_type, sadb_x_nat_t_type_exttype)			\
	X(sadb_x_nat_t_type, sadb_x_nat_t_type_type)			\
	X(sadb_x_nat_t_type, sadb_x_nat_t_type_reserved)		\
	X(sadb_x_nat_t_port, sadb_x_nat_t_port_len)			\
	X(sadb_x_nat_t_port, sadb_x_nat_t_port_exttype)			\
	X(sadb_x_nat_t_port, sadb_x_nat_t_port_port)			\
	X(sadb_x_nat_t_port, sadb_x_nat_t_port_reserved)		\
	X(sadb_x_sec_ctx, sadb_x_sec_len)				\
	X(sadb_x_sec_ctx, sadb_x_sec_exttype)				\
	X(sadb_x_sec_ctx, sadb_x_ctx_alg) X(sadb_x_sec_ctx, sadb_x_ctx_doi) \
	X(sadb_x_sec_ctx, sadb_x_ctx_len)				\
	X(sadb_x_kmaddress, sadb_x_kmaddress_len)			\
	X(sadb_x_kmaddress, sadb_x_kmaddress_exttype)			\
	X(sadb_x_kmaddress, sadb_x_kmaddress_reserved)			\
	X(sadb_x_filter, sadb_x_filter_len)				\
	X(sadb_x_filter, sadb_x_filter_exttype)				\
	X(sadb_x_filter, sadb_x_filter_saddr)				\
	X(sadb_x_filter, sadb_x_filter_daddr)				\
	X(sadb_x_filter, sadb_x_filter_family)				\
	X(sadb_x_filter, sadb_x_filter_splen)				\
	X(sadb_x_filter, sadb_x_filter_dplen)

#define MEMBER_SIZE(t, f)	sizeof(((t *)0)->f)

#define PIN_STRUCT(s)							\
	_Static_assert(sizeof(struct pp_##s) == sizeof(struct s),	\
	    "sizeof " #s);						\
	_Static_assert(alignof(struct pp_##s) == alignof(struct s),	\
	    "alignof " #s);
#define PIN_FIELD(s, f)							\
	_Static_assert(offsetof(struct pp_##s, f) ==			\
	    offsetof(struct s, f), "offsetof " #s "." #f);		\
	_Static_assert(MEMBER_SIZE(struct pp_##s, f) ==			\
	    MEMBER_SIZE(struct s, f), "sizeof " #s "." #f);
STRUCTS(PIN_STRUCT)
FIELDS(PIN_FIELD)

struct structure {
	const char	*name;
	size_t		 size;
	size_t		 sys_size;
};

struct field {
	const char	*st;
	const char	*name;
	size_t		 off;
	size_t		 size;
	size_t		 sys_off;
	size_t		 sys_size;
};

#define STRUCT_ROW(s)	{ #s, sizeof(struct pp_##s), sizeof(struct s) },
#define FIELD_ROW(s, f)	{ #s, #f, offsetof(struct pp_##s, f),		\
	    MEMBER_SIZE(struct pp_##s, f), offsetof(struct s, f),	\
	    MEMBER_SIZE(struct s, f) },

static const struct structure structures[] = { STRUCTS(STRUCT_ROW) };
static const struct field fields[] = { FIELDS(FIELD_ROW) };

#define NSTRUCTURES	(sizeof(structures) / sizeof(structures[0]))
#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

/* The compile-time pins, restated where cmocka can count them. */
static void
test_system_header(void **state)
{
	size_t i, j, n, end;

	(void)state;
	for (i = 0; i < NCONSTANTS; i++) {
		for (j = 0; j < i; j++)
			assert_string_not_equal(constants[i].name,
			    constants[j].name);
		if (constants[i].system != -1 &&
		    constants[i].value != constants[i].system)
			fail_msg("%s: ours %lld, system %lld",
			    constants[i].name, constants[i].value,
			    constants[i].system);
	}
	for (i = 0; i < NSTRUCTURES; i++) {
		assert_int_equal(structures[i].size, structures[i].sys_size);
		/* The members tile the structure: no hole, no tail. */
		for (j = 0, n = 0, end = 0; j < NFIELDS; j++) {
			if (strcmp(fields[j].st, structures[i].name) != 0)
				continue;
			assert_int_equal(fields[j].off, fields[j].sys_off);
			assert_int_equal(fields[j].size, fields[j].sys_size);
			if (fields[j].off != end)
				fail_msg("%s.%s at %zu, expected %zu",
				    fields[j].st, fields[j].name,
				    fields[j].off, end);
			end += fields[j].size;
			n++;
		}
		assert_true(n > 0);
		if (end != structures[i].size)
			fail_msg("%s: members end at %zu of %zu",
			    structures[i].name, end, structures[i].size);
	}
	/* sadb_x_ipsecrequest is the 16-octet Linux layout. */
	assert_int_equal(sizeof(struct pp_sadb_x_ipsecrequest), 16);
}

/* ---- 2. A minimal JSON reader (the table is trusted but checked). ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype	  type;
	bool		  is_int;
	long long	  num;
	char		 *str;
	size_t		  n;
	char		**keys;		/* J_OBJ */
	struct jval	**items;	/* J_ARR, J_OBJ */
};

struct jparser {
	const char	*p;
	const char	*end;
	int		 depth;
};

#define JSON_MAX_DEPTH	32
#define JSON_MAX_BYTES	(4u << 20)

/* Recursion below is bounded by JSON_MAX_DEPTH. */
static void
jfree(struct jval *v)	/* NOLINT(misc-no-recursion): depth-bounded */
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys != NULL)
			free(v->keys[i]);
		jfree(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

static void
jskip(struct jparser *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static struct jval *jparse_value(struct jparser *);

/* A string; escapes kept simple (\uXXXX becomes '?'). */
static char *
jparse_string(struct jparser *j)
{
	size_t cap = 16, n = 0;
	char *s, *t;

	if (j->p >= j->end || *j->p != '"')
		return NULL;
	j->p++;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			if (j->p >= j->end)
				goto bad;
			c = *j->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				if (j->end - j->p < 4)
					goto bad;
				j->p += 4;
				c = '?';
				break;
			case '"': case '\\': case '/':
				break;
			default:
				goto bad;
			}
		}
		if (n + 1 >= cap) {
			cap *= 2;
			if ((t = realloc(s, cap)) == NULL)
				goto bad;
			s = t;
		}
		s[n++] = c;
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	s[n] = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

static int
jpush(struct jval *v, char *key, struct jval *item)
{
	struct jval **items;
	char **keys;
	size_t n = v->n + 1;

	/* An array of pointers, hence sizeof(pointer). */
	items = realloc(v->items, n * sizeof(struct jval *)); /* NOLINT(bugprone-sizeof-expression) */
	if (items == NULL)
		return -ENOMEM;
	v->items = items;
	if (v->type == J_OBJ) {
		if ((keys = realloc(v->keys, n * sizeof(char *))) == NULL)
			return -ENOMEM;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return 0;
}

/* An array or object, after its opening bracket. */
static struct jval *	/* NOLINTNEXTLINE(misc-no-recursion): bounded */
jparse_container(struct jparser *j, struct jval *v, char close)
{
	jskip(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return v;
	}
	for (;;) {
		struct jval *item;
		char *key = NULL;

		jskip(j);
		if (v->type == J_OBJ) {
			if ((key = jparse_string(j)) == NULL)
				goto bad;
			jskip(j);
			if (j->p >= j->end || *j->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		if ((item = jparse_value(j)) == NULL ||
		    jpush(v, key, item) != 0) {
			free(key);
			jfree(item);
			goto bad;
		}
		jskip(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return v;
		}
		goto bad;
	}
bad:
	jfree(v);
	return NULL;
}

static struct jval *
jparse_number(struct jparser *j, struct jval *v)
{
	char tmp[64];
	size_t n = 0;
	char *endp;

	while (j->p < j->end && n + 1 < sizeof(tmp) &&
	    strchr("+-0123456789.eE", *j->p) != NULL)
		tmp[n++] = *j->p++;
	tmp[n] = '\0';
	v->type = J_NUM;
	v->is_int = strpbrk(tmp, ".eE") == NULL;
	errno = 0;
	v->num = strtoll(tmp, &endp, 10);
	if (n == 0 || (v->is_int && (*endp != '\0' || errno != 0))) {
		jfree(v);
		return NULL;
	}
	return v;
}

static bool
jliteral(struct jparser *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || strncmp(j->p, word, n) != 0)
		return false;
	j->p += n;
	return true;
}

static struct jval *	/* NOLINTNEXTLINE(misc-no-recursion): bounded */
jparse_value(struct jparser *j)
{
	struct jval *v, *r;

	if (++j->depth > JSON_MAX_DEPTH)
		return NULL;
	jskip(j);
	if (j->p >= j->end || (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	switch (*j->p) {
	case '{':
		j->p++;
		v->type = J_OBJ;
		r = jparse_container(j, v, '}');
		break;
	case '[':
		j->p++;
		v->type = J_ARR;
		r = jparse_container(j, v, ']');
		break;
	case '"':
		v->type = J_STR;
		r = (v->str = jparse_string(j)) != NULL ? v : NULL;
		if (r == NULL)
			jfree(v);
		break;
	default:
		if (jliteral(j, "true") || jliteral(j, "false")) {
			v->type = J_BOOL;
			r = v;
		} else if (jliteral(j, "null")) {
			r = v;
		} else {
			r = jparse_number(j, v);
		}
		break;
	}
	j->depth--;
	return r;
}

static struct jval *
jparse(const char *text, size_t len)
{
	struct jparser j = { text, text + len, 0 };
	struct jval *v = jparse_value(&j);

	jskip(&j);
	if (v != NULL && j.p != j.end) {
		jfree(v);
		return NULL;
	}
	return v;
}

static const struct jval *
jget(const struct jval *o, const char *key)
{
	size_t i;

	if (o == NULL || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return o->items[i];
	return NULL;
}

/* ---- 2. The table's values. ---- */

static char vectors_path[4096];
static bool vectors_required;

static struct jval *
load_vectors(void)
{
	struct jval *v;
	char *text;
	size_t n;
	FILE *f;

	if ((f = fopen(vectors_path, "rb")) == NULL)
		return NULL;
	text = malloc(JSON_MAX_BYTES);
	n = text != NULL ? fread(text, 1, JSON_MAX_BYTES, f) : 0;
	fclose(f);
	if (text == NULL || n == JSON_MAX_BYTES) {
		free(text);
		fail_msg("%s: unreadable or over %u octets", vectors_path,
		    JSON_MAX_BYTES);
		return NULL;
	}
	v = jparse(text, n);
	free(text);
	if (v == NULL)
		fail_msg("%s: not valid JSON", vectors_path);
	return v;
}

/* The name the table uses, spelled as ours: "(Linux: X)" wins, then the
 * first word; KAME spellings Linux renamed are mapped. */
static void
json_name(const char *in, char *out, size_t cap)
{
	static const struct {
		const char *kame, *linux;
	} aliases[] = {
		{ "SADB_X_EALG_AES", "SADB_X_EALG_AESCBC" },
	};
	const char *l = strstr(in, "(Linux: ");
	size_t n, i;

	if (l != NULL) {
		l += strlen("(Linux: ");
		n = strcspn(l, ")");
	} else {
		l = in;
		n = strcspn(l, " (");
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, l, n);
	out[n] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(out, aliases[i].kame) == 0)
			snprintf(out, cap, "%s", aliases[i].linux);
}

static const struct constant *
find_constant(const char *name)
{
	size_t i;

	for (i = 0; i < NCONSTANTS; i++)
		if (strcmp(constants[i].name, name) == 0)
			return &constants[i];
	return NULL;
}

static int
check_value(const char *where, const char *jname, long long want)
{
	const struct constant *c;
	char name[128];

	json_name(jname, name, sizeof(name));
	if ((c = find_constant(name)) == NULL) {
		print_error("%s: %s (= %lld) is missing from pfkeyv2.h\n",
		    where, name, want);
		return 1;
	}
	if (c->value != want) {
		print_error("%s: %s is %lld here, %lld in the table\n", where,
		    name, c->value, want);
		return 1;
	}
	return 0;
}

/* Groups of {name, values{...}} entries and the column they are held to. */
static int
check_groups(const struct jval *doc, size_t *checked)
{
	static const struct {
		const char *group, *column;
	} groups[] = {
		{ "message_types", "linux" },
		{ "extension_types", "linux" },
		{ "sa_types", "linux" },
		{ "sa_states", "linux" },
		{ "sa_flags", "linux" },
		{ "kame_sadb_sa_flags", "netbsd_kame" },
		{ "auth_algorithms", "linux" },
		{ "encrypt_algorithms", "linux" },
		{ "compression_algorithms", "linux" },
		{ "identity_types", "linux" },
		{ "misc", "linux" },
	};
	int bad = 0;
	size_t g, i;

	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		const struct jval *list = jget(doc, groups[g].group);

		if (list == NULL || list->type != J_ARR || list->n == 0) {
			print_error("table: no group %s\n", groups[g].group);
			bad++;
			continue;
		}
		for (i = 0; i < list->n; i++) {
			const struct jval *name = jget(list->items[i], "name");
			const struct jval *vals = jget(list->items[i],
			    "values");
			const struct jval *v = jget(vals, groups[g].column);

			if (name == NULL || name->type != J_STR)
				continue;
			/* KAME-only names in a Linux column are absent. */
			if (v == NULL)
				continue;
			if (v->type != J_NUM || !v->is_int) {
				bad++;
				continue;
			}
			bad += check_value(groups[g].group, name->str, v->num);
			(*checked)++;
		}
	}
	return bad;
}

/* ipsec_h: numbers, or objects of numbers, keyed by name. */
static int
check_ipsec_h(const struct jval *doc, size_t *checked)
{
	const struct jval *h = jget(doc, "ipsec_h");
	int bad = 0;
	size_t i, k;

	if (h == NULL || h->type != J_OBJ) {
		print_error("table: no ipsec_h\n");
		return 1;
	}
	for (i = 0; i < h->n; i++) {
		const struct jval *v = h->items[i];

		if (v->type == J_NUM) {
			bad += check_value("ipsec_h", h->keys[i], v->num);
			(*checked)++;
		} else if (v->type == J_OBJ) {
			for (k = 0; k < v->n; k++) {
				if (v->items[k]->type != J_NUM)
					continue;
				bad += check_value("ipsec_h", v->keys[k],
				    v->items[k]->num);
				(*checked)++;
			}
		}
	}
	return bad;
}

/* Our member name ends in "_<name>". */
static bool
ends_with_member(const char *ours, const char *theirs, size_t lt)
{
	size_t lo = strlen(ours);

	return lo > lt && strncmp(ours + lo - lt, theirs, lt) == 0 &&
	    ours[lo - lt - 1] == '_';
}

/* ... or in either of "<a>_or_<b>" (names that differ by system). */
static bool
member_matches(const char *ours, const char *theirs)
{
	const char *or = strstr(theirs, "_or_");

	if (or == NULL)
		return ends_with_member(ours, theirs, strlen(theirs));
	return ends_with_member(ours, theirs, (size_t)(or - theirs)) ||
	    ends_with_member(ours, or + 4, strlen(or + 4));
}

static int
check_struct(const struct jval *e, size_t *checked)
{
	const struct jval *name = jget(e, "struct");
	const struct jval *size = jget(e, "size_bytes");
	const struct jval *src = jget(e, "source");
	const struct jval *jf = jget(e, "fields");
	const struct structure *s = NULL;
	char st[64];
	size_t i, k, n = 0;
	int bad = 0;

	if (name == NULL || name->type != J_STR || size == NULL ||
	    size->type != J_NUM || jf == NULL || jf->type != J_ARR)
		return 1;
	/* KAME's 8-octet sadb_x_ipsecrequest is not ours to match. */
	if (strstr(name->str, "(KAME") != NULL)
		return 0;
	snprintf(st, sizeof(st), "%.*s", (int)strcspn(name->str, " ("),
	    name->str);
	for (i = 0; i < NSTRUCTURES; i++)
		if (strcmp(structures[i].name, st) == 0)
			s = &structures[i];
	if (s == NULL) {
		/* Only BSD structures may be absent. */
		if (src != NULL && src->type == J_STR &&
		    (strstr(src->str, "Linux") != NULL ||
		    strstr(src->str, "RFC 2367") != NULL)) {
			print_error("structs: %s missing\n", st);
			return 1;
		}
		return 0;
	}
	(*checked)++;
	if ((long long)s->size != size->num) {
		print_error("structs: %s is %zu octets, table %lld\n", st,
		    s->size, size->num);
		bad++;
	}
	for (i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].st, st) != 0)
			continue;
		k = n++;
		if (k >= jf->n || jf->items[k]->type != J_STR ||
		    !member_matches(fields[i].name, jf->items[k]->str)) {
			print_error("structs: %s member %zu is %s, table %s\n",
			    st, k, fields[i].name, k < jf->n &&
			    jf->items[k]->type == J_STR ?
			    jf->items[k]->str : "(none)");
			bad++;
		}
	}
	if (n != jf->n) {
		print_error("structs: %s has %zu members, table %zu\n", st, n,
		    jf->n);
		bad++;
	}
	return bad;
}

static void
test_vectors(void **state)
{
	const struct jval *list;
	size_t consts = 0, structs = 0, i;
	struct jval *doc;
	int bad = 0;
	FILE *f;

	(void)state;
	if ((f = fopen(vectors_path, "rb")) == NULL) {
		if (vectors_required)
			fail_msg("%s: %s", vectors_path, strerror(errno));
		print_message("SKIPPED: %s not found; the constants were "
		    "pinned to the system header only\n", vectors_path);
		skip();
	}
	fclose(f);
	doc = load_vectors();
	bad += check_groups(doc, &consts);
	bad += check_ipsec_h(doc, &consts);
	list = jget(doc, "struct_sizes");
	if (list == NULL || list->type != J_ARR) {
		print_error("table: no struct_sizes\n");
		bad++;
	} else {
		for (i = 0; i < list->n; i++)
			bad += check_struct(list->items[i], &structs);
	}
	jfree(doc);
	print_message("%s: %zu constants, %zu structures checked\n",
	    vectors_path, consts, structs);
	/* The table is not empty, nor silently skipped. */
	assert_true(consts >= 120);
	assert_true(structs >= 20);
	if (bad != 0)
		fail_msg("%d differences from %s", bad, vectors_path);
}

/* The reader itself, on what the table does not exercise. */
static void
test_json_reader(void **state)
{
	static const char *bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1 2]", "nul",
		"{\"a\":1}x", "\"\\q\"", "99999999999999999999",
	};
	char deep[2 * (JSON_MAX_DEPTH + 2) + 2];
	const char *good = " {\"a\": [1, -2, 3.5e1, true, false, null, "
	    "\"x\\\"\\u00e9\"], \"b\": {}} ";
	struct jval *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = jparse(bad[i], strlen(bad[i]));
		if (v != NULL)
			fail_msg("accepted bad JSON: %s", bad[i]);
	}
	/* Nested deeper than JSON_MAX_DEPTH. */
	memset(deep, '[', JSON_MAX_DEPTH + 2);
	deep[JSON_MAX_DEPTH + 2] = '1';
	memset(deep + JSON_MAX_DEPTH + 3, ']', JSON_MAX_DEPTH + 2);
	assert_null(jparse(deep, sizeof(deep) - 1));
	v = jparse(good, strlen(good));
	assert_non_null(v);
	assert_int_equal(jget(v, "a")->n, 7);
	assert_int_equal(jget(v, "a")->items[1]->num, -2);
	assert_false(jget(v, "a")->items[2]->is_int);
	assert_string_equal(jget(v, "a")->items[6]->str, "x\"?");
	assert_int_equal(jget(v, "b")->type, J_OBJ);
	jfree(v);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_header),
		cmocka_unit_test(test_json_reader),
		cmocka_unit_test(test_vectors),
	};
	const char *src = getenv("PARAPET_SRCDIR");

	if (argc > 1) {
		snprintf(vectors_path, sizeof(vectors_path), "%s", argv[1]);
		vectors_required = true;
	} else {
		snprintf(vectors_path, sizeof(vectors_path),
		    "%s/../shared/vectors/pfkey_constants.json",
		    src != NULL ? src : ".");
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
