/*
 * pfkeyv2.h - Parapet's own PF_KEY v2 wire definitions (RFC 2367 plus the
 * KAME/Linux extensions), byte compatible with <linux/pfkeyv2.h>.
 *
 * Embedded targets have no system PF_KEY header, so the project ships this
 * one; tests/unit/keyd/test_pfkeyv2_h.c pins every constant, structure size
 * and field offset below to <linux/pfkeyv2.h> where that header exists, and
 * to the Linux column of the shared constants table.
 *
 * Naming: every macro carries a PARAPET_ prefix and every structure a pp_
 * prefix (struct pp_sadb_msg), while structure members keep their standard
 * names (sadb_msg_len ...). The standard spellings are therefore never
 * defined here, and this header can be included together with
 * <linux/pfkeyv2.h> in one translation unit without a clash; a program
 * that wants the standard names includes the system header.
 *
 * Byte order: PF_KEY is a host interface, so every multi-byte field is in
 * host byte order except those marked "network order": sadb_sa_spi,
 * sadb_x_nat_t_port_port and the addresses and ports inside sockaddrs.
 * Lengths named *_len are in 64-bit words, except sadb_x_ipsecrequest_len
 * (octets, as in KAME and Linux) and sadb_x_ctx_len (octets).
 *
 * The layouts are packed, as in Linux; every member is nevertheless at its
 * natural offset, so the sizes are those of RFC 2367 Appendix D.
 */
#ifndef PARAPET_PFKEYV2_H
#define PARAPET_PFKEYV2_H

#include <stddef.h>
#include <stdint.h>

#define PARAPET_PF_KEY_V2		2
#define PARAPET_PFKEYV2_REVISION	199806L

/* Lengths: octets to 64-bit words and back, and 8-octet alignment. */
#define PARAPET_PFKEY_ALIGN8(n)		(((n) + 7) & ~(size_t)7)
#define PARAPET_PFKEY_UNIT64(n)		((n) >> 3)
#define PARAPET_PFKEY_UNUNIT64(n)	((size_t)(n) << 3)

struct pp_sadb_msg {
	uint8_t		sadb_msg_version;
	uint8_t		sadb_msg_type;
	uint8_t		sadb_msg_errno;
	uint8_t		sadb_msg_satype;
	uint16_t	sadb_msg_len;
	uint16_t	sadb_msg_reserved;
	uint32_t	sadb_msg_seq;
	uint32_t	sadb_msg_pid;
} __attribute__((packed));

struct pp_sadb_ext {
	uint16_t	sadb_ext_len;
	uint16_t	sadb_ext_type;
} __attribute__((packed));

struct pp_sadb_sa {
	uint16_t	sadb_sa_len;
	uint16_t	sadb_sa_exttype;
	uint32_t	sadb_sa_spi;		/* network order */
	uint8_t		sadb_sa_replay;
	uint8_t		sadb_sa_state;
	uint8_t		sadb_sa_auth;
	uint8_t		sadb_sa_encrypt;
	uint32_t	sadb_sa_flags;
} __attribute__((packed));

struct pp_sadb_lifetime {
	uint16_t	sadb_lifetime_len;
	uint16_t	sadb_lifetime_exttype;
	uint32_t	sadb_lifetime_allocations;
	uint64_t	sadb_lifetime_bytes;
	uint64_t	sadb_lifetime_addtime;
	uint64_t	sadb_lifetime_usetime;
} __attribute__((packed));

/* Followed by a sockaddr, padded to 8 octets. */
struct pp_sadb_address {
	uint16_t	sadb_address_len;
	uint16_t	sadb_address_exttype;
	uint8_t		sadb_address_proto;
	uint8_t		sadb_address_prefixlen;
	uint16_t	sadb_address_reserved;
} __attribute__((packed));

/* Followed by the key, sadb_key_bits long, padded to 8 octets. */
struct pp_sadb_key {
	uint16_t	sadb_key_len;
	uint16_t	sadb_key_exttype;
	uint16_t	sadb_key_bits;
	uint16_t	sadb_key_reserved;
} __attribute__((packed));

/* Followed by the identity string, padded to 8 octets. */
struct pp_sadb_ident {
	uint16_t	sadb_ident_len;
	uint16_t	sadb_ident_exttype;
	uint16_t	sadb_ident_type;
	uint16_t	sadb_ident_reserved;
	uint64_t	sadb_ident_id;
} __attribute__((packed));

/* Followed by sens_len then integ_len 64-bit bitmap words. */
struct pp_sadb_sens {
	uint16_t	sadb_sens_len;
	uint16_t	sadb_sens_exttype;
	uint32_t	sadb_sens_dpd;
	uint8_t		sadb_sens_sens_level;
	uint8_t		sadb_sens_sens_len;
	uint8_t		sadb_sens_integ_level;
	uint8_t		sadb_sens_integ_len;
	uint32_t	sadb_sens_reserved;
} __attribute__((packed));

/* Followed by struct pp_sadb_comb entries. */
struct pp_sadb_prop {
	uint16_t	sadb_prop_len;
	uint16_t	sadb_prop_exttype;
	uint8_t		sadb_prop_replay;
	uint8_t		sadb_prop_reserved[3];
} __attribute__((packed));

struct pp_sadb_comb {
	uint8_t		sadb_comb_auth;
	uint8_t		sadb_comb_encrypt;
	uint16_t	sadb_comb_flags;
	uint16_t	sadb_comb_auth_minbits;
	uint16_t	sadb_comb_auth_maxbits;
	uint16_t	sadb_comb_encrypt_minbits;
	uint16_t	sadb_comb_encrypt_maxbits;
	uint32_t	sadb_comb_reserved;
	uint32_t	sadb_comb_soft_allocations;
	uint32_t	sadb_comb_hard_allocations;
	uint64_t	sadb_comb_soft_bytes;
	uint64_t	sadb_comb_hard_bytes;
	uint64_t	sadb_comb_soft_addtime;
	uint64_t	sadb_comb_hard_addtime;
	uint64_t	sadb_comb_soft_usetime;
	uint64_t	sadb_comb_hard_usetime;
} __attribute__((packed));

/* Followed by struct pp_sadb_alg entries. */
struct pp_sadb_supported {
	uint16_t	sadb_supported_len;
	uint16_t	sadb_supported_exttype;
	uint32_t	sadb_supported_reserved;
} __attribute__((packed));

struct pp_sadb_alg {
	uint8_t		sadb_alg_id;
	uint8_t		sadb_alg_ivlen;
	uint16_t	sadb_alg_minbits;
	uint16_t	sadb_alg_maxbits;
	uint16_t	sadb_alg_reserved;
} __attribute__((packed));

struct pp_sadb_spirange {
	uint16_t	sadb_spirange_len;
	uint16_t	sadb_spirange_exttype;
	uint32_t	sadb_spirange_min;
	uint32_t	sadb_spirange_max;
	uint32_t	sadb_spirange_reserved;
} __attribute__((packed));

/* RFC 2367 Appendix C; followed by key manager private data. */
struct pp_sadb_x_kmprivate {
	uint16_t	sadb_x_kmprivate_len;
	uint16_t	sadb_x_kmprivate_exttype;
	uint32_t	sadb_x_kmprivate_reserved;
} __attribute__((packed));

struct pp_sadb_x_sa2 {
	uint16_t	sadb_x_sa2_len;
	uint16_t	sadb_x_sa2_exttype;
	uint8_t		sadb_x_sa2_mode;
	uint8_t		sadb_x_sa2_reserved1;
	uint16_t	sadb_x_sa2_reserved2;
	uint32_t	sadb_x_sa2_sequence;
	uint32_t	sadb_x_sa2_reqid;
} __attribute__((packed));

/* Followed by struct pp_sadb_x_ipsecrequest entries (type IPSEC only). */
struct pp_sadb_x_policy {
	uint16_t	sadb_x_policy_len;
	uint16_t	sadb_x_policy_exttype;
	uint16_t	sadb_x_policy_type;
	uint8_t		sadb_x_policy_dir;
	uint8_t		sadb_x_policy_reserved;
	uint32_t	sadb_x_policy_id;
	uint32_t	sadb_x_policy_priority;
} __attribute__((packed));

/*
 * The 16-octet Linux layout (KAME's is 8 octets). Its length is in octets
 * and, in tunnel mode, covers the source and destination sockaddrs that
 * follow it back to back.
 */
struct pp_sadb_x_ipsecrequest {
	uint16_t	sadb_x_ipsecrequest_len;
	uint16_t	sadb_x_ipsecrequest_proto;
	uint8_t		sadb_x_ipsecrequest_mode;
	uint8_t		sadb_x_ipsecrequest_level;
	uint16_t	sadb_x_ipsecrequest_reserved1;
	uint32_t	sadb_x_ipsecrequest_reqid;
	uint32_t	sadb_x_ipsecrequest_reserved2;
} __attribute__((packed));

struct pp_sadb_x_nat_t_type {
	uint16_t	sadb_x_nat_t_type_len;
	uint16_t	sadb_x_nat_t_type_exttype;
	uint8_t		sadb_x_nat_t_type_type;
	uint8_t		sadb_x_nat_t_type_reserved[3];
} __attribute__((packed));

struct pp_sadb_x_nat_t_port {
	uint16_t	sadb_x_nat_t_port_len;
	uint16_t	sadb_x_nat_t_port_exttype;
	uint16_t	sadb_x_nat_t_port_port;	/* network order */
	uint16_t	sadb_x_nat_t_port_reserved;
} __attribute__((packed));

/* Followed by sadb_x_ctx_len octets of LSM context, padded to 8. */
struct pp_sadb_x_sec_ctx {
	uint16_t	sadb_x_sec_len;
	uint16_t	sadb_x_sec_exttype;
	uint8_t		sadb_x_ctx_alg;
	uint8_t		sadb_x_ctx_doi;
	uint16_t	sadb_x_ctx_len;
} __attribute__((packed));

/* Followed by a sockaddr pair (X_MIGRATE). */
struct pp_sadb_x_kmaddress {
	uint16_t	sadb_x_kmaddress_len;
	uint16_t	sadb_x_kmaddress_exttype;
	uint32_t	sadb_x_kmaddress_reserved;
} __attribute__((packed));

struct pp_sadb_x_filter {
	uint16_t	sadb_x_filter_len;
	uint16_t	sadb_x_filter_exttype;
	uint32_t	sadb_x_filter_saddr[4];	/* network order */
	uint32_t	sadb_x_filter_daddr[4];	/* network order */
	uint16_t	sadb_x_filter_family;
	uint8_t		sadb_x_filter_splen;
	uint8_t		sadb_x_filter_dplen;
} __attribute__((packed));

/* Message types. */
#define PARAPET_SADB_RESERVED			0
#define PARAPET_SADB_GETSPI			1
#define PARAPET_SADB_UPDATE			2
#define PARAPET_SADB_ADD			3
#define PARAPET_SADB_DELETE			4
#define PARAPET_SADB_GET			5
#define PARAPET_SADB_ACQUIRE			6
#define PARAPET_SADB_REGISTER			7
#define PARAPET_SADB_EXPIRE			8
#define PARAPET_SADB_FLUSH			9
#define PARAPET_SADB_DUMP			10
#define PARAPET_SADB_X_PROMISC			11
#define PARAPET_SADB_X_PCHANGE			12
#define PARAPET_SADB_X_SPDUPDATE		13
#define PARAPET_SADB_X_SPDADD			14
#define PARAPET_SADB_X_SPDDELETE		15
#define PARAPET_SADB_X_SPDGET			16
#define PARAPET_SADB_X_SPDACQUIRE		17
#define PARAPET_SADB_X_SPDDUMP			18
#define PARAPET_SADB_X_SPDFLUSH			19
#define PARAPET_SADB_X_SPDSETIDX		20
#define PARAPET_SADB_X_SPDEXPIRE		21
#define PARAPET_SADB_X_SPDDELETE2		22
#define PARAPET_SADB_X_NAT_T_NEW_MAPPING	23
#define PARAPET_SADB_X_MIGRATE			24
#define PARAPET_SADB_MAX			24

/* Security association flags (sadb_sa_flags), Linux values. */
#define PARAPET_SADB_SAFLAGS_PFS		1
#define PARAPET_SADB_SAFLAGS_NOPMTUDISC		0x20000000U
#define PARAPET_SADB_SAFLAGS_DECAP_DSCP		0x40000000U
#define PARAPET_SADB_SAFLAGS_NOECN		0x80000000U

/*
 * KAME flags, also carried in sadb_sa_flags (setkey -f, -r and friends;
 * ipsec-tools sets CYCSEQ by default). KAME named them SADB_X_EXT_*
 * although they are not extension types. SADB_X_EXT_OLD shares its bit
 * with SADB_SAFLAGS_PFS.
 */
#define PARAPET_SADB_X_EXT_NONE			0x0000
#define PARAPET_SADB_X_EXT_OLD			0x0001
#define PARAPET_SADB_X_EXT_IV4B			0x0010
#define PARAPET_SADB_X_EXT_DERIV		0x0020
#define PARAPET_SADB_X_EXT_CYCSEQ		0x0040
#define PARAPET_SADB_X_EXT_RAWCPI		0x0080
#define PARAPET_SADB_X_EXT_PSEQ			0x0000
#define PARAPET_SADB_X_EXT_PRAND		0x0100
#define PARAPET_SADB_X_EXT_PZERO		0x0200
#define PARAPET_SADB_X_EXT_PMASK		0x0300
#define PARAPET_SADB_KEY_FLAGS_MAX		0x0fff

/* Security association states. */
#define PARAPET_SADB_SASTATE_LARVAL		0
#define PARAPET_SADB_SASTATE_MATURE		1
#define PARAPET_SADB_SASTATE_DYING		2
#define PARAPET_SADB_SASTATE_DEAD		3
#define PARAPET_SADB_SASTATE_MAX		3

/* Security association types. */
#define PARAPET_SADB_SATYPE_UNSPEC		0
#define PARAPET_SADB_SATYPE_AH			2
#define PARAPET_SADB_SATYPE_ESP			3
#define PARAPET_SADB_SATYPE_RSVP		5
#define PARAPET_SADB_SATYPE_OSPFV2		6
#define PARAPET_SADB_SATYPE_RIPV2		7
#define PARAPET_SADB_SATYPE_MIP			8
#define PARAPET_SADB_X_SATYPE_IPCOMP		9
#define PARAPET_SADB_SATYPE_MAX			9

/* Authentication algorithms (Linux numbering). */
#define PARAPET_SADB_AALG_NONE			0
#define PARAPET_SADB_AALG_MD5HMAC		2
#define PARAPET_SADB_AALG_SHA1HMAC		3
#define PARAPET_SADB_X_AALG_SHA2_256HMAC	5
#define PARAPET_SADB_X_AALG_SHA2_384HMAC	6
#define PARAPET_SADB_X_AALG_SHA2_512HMAC	7
#define PARAPET_SADB_X_AALG_RIPEMD160HMAC	8
#define PARAPET_SADB_X_AALG_AES_XCBC_MAC	9
#define PARAPET_SADB_X_AALG_SM3_256HMAC		10
#define PARAPET_SADB_X_AALG_NULL		251
#define PARAPET_SADB_AALG_MAX			251

/* Encryption algorithms (Linux numbering). */
#define PARAPET_SADB_EALG_NONE			0
#define PARAPET_SADB_EALG_DESCBC		2
#define PARAPET_SADB_EALG_3DESCBC		3
#define PARAPET_SADB_X_EALG_CASTCBC		6
#define PARAPET_SADB_X_EALG_BLOWFISHCBC		7
#define PARAPET_SADB_EALG_NULL			11
#define PARAPET_SADB_X_EALG_AESCBC		12
#define PARAPET_SADB_X_EALG_AESCTR		13
#define PARAPET_SADB_X_EALG_AES_CCM_ICV8	14
#define PARAPET_SADB_X_EALG_AES_CCM_ICV12	15
#define PARAPET_SADB_X_EALG_AES_CCM_ICV16	16
#define PARAPET_SADB_X_EALG_AES_GCM_ICV8	18
#define PARAPET_SADB_X_EALG_AES_GCM_ICV12	19
#define PARAPET_SADB_X_EALG_AES_GCM_ICV16	20
#define PARAPET_SADB_X_EALG_CAMELLIACBC		22
#define PARAPET_SADB_X_EALG_NULL_AES_GMAC	23
#define PARAPET_SADB_X_EALG_SM4CBC		24
/*
 * ChaCha20-Poly1305 (RFC 7634): Linux defines no PF_KEY number and the
 * BSDs' numbers (OpenBSD 22, KAME/Darwin 14) collide with Linux ones.
 * Parapet's own: 25, the next free Linux number, as proposed for Linux
 * (netdev, "xfrm: add SADB_X_EALG_CHACHA20_POLY1305"). Key: 256 + 32 salt.
 */
#define PARAPET_SADB_X_EALG_CHACHA20POLY1305	25
#define PARAPET_SADB_EALG_MAX			253
#define PARAPET_SADB_X_EALG_SERPENTCBC		252
#define PARAPET_SADB_X_EALG_TWOFISHCBC		253

/* Compression algorithms (IPCOMP SAs carry them in sadb_sa_encrypt). */
#define PARAPET_SADB_X_CALG_NONE		0
#define PARAPET_SADB_X_CALG_OUI			1
#define PARAPET_SADB_X_CALG_DEFLATE		2
#define PARAPET_SADB_X_CALG_LZS			3
#define PARAPET_SADB_X_CALG_LZJH		4
#define PARAPET_SADB_X_CALG_MAX			4

/* Extension types. */
#define PARAPET_SADB_EXT_RESERVED		0
#define PARAPET_SADB_EXT_SA			1
#define PARAPET_SADB_EXT_LIFETIME_CURRENT	2
#define PARAPET_SADB_EXT_LIFETIME_HARD		3
#define PARAPET_SADB_EXT_LIFETIME_SOFT		4
#define PARAPET_SADB_EXT_ADDRESS_SRC		5
#define PARAPET_SADB_EXT_ADDRESS_DST		6
#define PARAPET_SADB_EXT_ADDRESS_PROXY		7
#define PARAPET_SADB_EXT_KEY_AUTH		8
#define PARAPET_SADB_EXT_KEY_ENCRYPT		9
#define PARAPET_SADB_EXT_IDENTITY_SRC		10
#define PARAPET_SADB_EXT_IDENTITY_DST		11
#define PARAPET_SADB_EXT_SENSITIVITY		12
#define PARAPET_SADB_EXT_PROPOSAL		13
#define PARAPET_SADB_EXT_SUPPORTED_AUTH		14
#define PARAPET_SADB_EXT_SUPPORTED_ENCRYPT	15
#define PARAPET_SADB_EXT_SPIRANGE		16
#define PARAPET_SADB_X_EXT_KMPRIVATE		17
#define PARAPET_SADB_X_EXT_POLICY		18
#define PARAPET_SADB_X_EXT_SA2			19
#define PARAPET_SADB_X_EXT_NAT_T_TYPE		20
#define PARAPET_SADB_X_EXT_NAT_T_SPORT		21
#define PARAPET_SADB_X_EXT_NAT_T_DPORT		22
#define PARAPET_SADB_X_EXT_NAT_T_OA		23
#define PARAPET_SADB_X_EXT_SEC_CTX		24
#define PARAPET_SADB_X_EXT_KMADDRESS		25
#define PARAPET_SADB_X_EXT_FILTER		26
#define PARAPET_SADB_EXT_MAX			26

/* Identity types (sadb_ident_type). */
#define PARAPET_SADB_IDENTTYPE_RESERVED		0
#define PARAPET_SADB_IDENTTYPE_PREFIX		1
#define PARAPET_SADB_IDENTTYPE_FQDN		2
#define PARAPET_SADB_IDENTTYPE_USERFQDN		3
#define PARAPET_SADB_IDENTTYPE_MAX		3

/* NAT-T encapsulation types (sadb_x_nat_t_type_type), <linux/udp.h>. */
#define PARAPET_UDP_ENCAP_ESPINUDP_NON_IKE	1
#define PARAPET_UDP_ENCAP_ESPINUDP		2

#endif
