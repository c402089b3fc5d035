/*
 * setkey_names.c - the names setkey(8) knows: encryption, authentication
 * and compression algorithms (setkey's token.l, with libipsec's
 * pfkey_dump.c names for printing, and the AEADs with their Linux or
 * Parapet numbers) and upper-layer protocols. Tables only; pure.
 */
#include <string.h>

#include "ipsec_policy.h"
#include "setkey_impl.h"

/*
 * ChaCha20-Poly1305 (RFC 7634) has no number in <linux/pfkeyv2.h>;
 * libclient/pfkeyv2.h defines Parapet's own. Should a build lack it, the
 * name is still known and refused with a clear message.
 */
#ifdef PARAPET_SADB_X_EALG_CHACHA20POLY1305
#define EALG_CHACHA20POLY1305	PARAPET_SADB_X_EALG_CHACHA20POLY1305
#else
#define EALG_CHACHA20POLY1305	ALG_UNDECIDED
#endif

static const struct alg_name alg_names[] = {
	{ "des-cbc",		ALG_ENC, SK(EALG_DESCBC), PRINT },
	{ "3des-cbc",		ALG_ENC, SK(EALG_3DESCBC), PRINT },
	{ "null",		ALG_ENC, SK(EALG_NULL), NOKEY | PRINT },
	{ "simple",		ALG_ENC, SK(EALG_NULL), NOKEY },
	{ "blowfish-cbc",	ALG_ENC, SK(X_EALG_BLOWFISHCBC), PRINT },
	{ "cast128-cbc",	ALG_ENC, SK(X_EALG_CASTCBC), PRINT },
	{ "des-deriv",		ALG_ENC, ALG_NONE, 0 },
	{ "des-32iv",		ALG_ENC, ALG_NONE, 0 },
	{ "twofish-cbc",	ALG_ENC, SK(X_EALG_TWOFISHCBC), PRINT },
	{ "serpent-cbc",	ALG_ENC, SK(X_EALG_SERPENTCBC), PRINT },
	{ "aes-cbc",		ALG_ENC, SK(X_EALG_AESCBC), PRINT },
	{ "rijndael-cbc",	ALG_ENC, SK(X_EALG_AESCBC), 0 },
	{ "aes-ctr",		ALG_ENC, SK(X_EALG_AESCTR), PRINT },
	{ "camellia-cbc",	ALG_ENC, SK(X_EALG_CAMELLIACBC), PRINT },
	{ "aes-ccm-8",		ALG_ENC, SK(X_EALG_AES_CCM_ICV8), PRINT },
	{ "aes-ccm-12",		ALG_ENC, SK(X_EALG_AES_CCM_ICV12), PRINT },
	{ "aes-ccm-16",		ALG_ENC, SK(X_EALG_AES_CCM_ICV16), PRINT },
	{ "aes-gcm-8",		ALG_ENC, SK(X_EALG_AES_GCM_ICV8), PRINT },
	{ "aes-gcm-12",		ALG_ENC, SK(X_EALG_AES_GCM_ICV12), PRINT },
	{ "aes-gcm-16",		ALG_ENC, SK(X_EALG_AES_GCM_ICV16), PRINT },
	{ "aes-gmac",		ALG_ENC, SK(X_EALG_NULL_AES_GMAC), PRINT },
	{ "null-aes-gmac",	ALG_ENC, SK(X_EALG_NULL_AES_GMAC), 0 },
	{ "chacha20-poly1305",	ALG_ENC, EALG_CHACHA20POLY1305, PRINT },
	{ "hmac-md5",		ALG_AUTH, SK(AALG_MD5HMAC), PRINT },
	{ "hmac-sha1",		ALG_AUTH, SK(AALG_SHA1HMAC), PRINT },
	{ "keyed-md5",		ALG_AUTH, ALG_NONE, 0 },
	{ "keyed-sha1",		ALG_AUTH, ALG_NONE, 0 },
	{ "hmac-sha256",	ALG_AUTH, SK(X_AALG_SHA2_256HMAC), PRINT },
	{ "hmac-sha2-256",	ALG_AUTH, SK(X_AALG_SHA2_256HMAC), 0 },
	{ "hmac-sha384",	ALG_AUTH, SK(X_AALG_SHA2_384HMAC), PRINT },
	{ "hmac-sha2-384",	ALG_AUTH, SK(X_AALG_SHA2_384HMAC), 0 },
	{ "hmac-sha512",	ALG_AUTH, SK(X_AALG_SHA2_512HMAC), PRINT },
	{ "hmac-sha2-512",	ALG_AUTH, SK(X_AALG_SHA2_512HMAC), 0 },
	{ "hmac-ripemd160",	ALG_AUTH, SK(X_AALG_RIPEMD160HMAC), PRINT },
	{ "aes-xcbc-mac",	ALG_AUTH, SK(X_AALG_AES_XCBC_MAC), PRINT },
	{ "tcp-md5",		ALG_AUTH, ALG_NONE, 0 },
	{ "null",		ALG_AUTH, SK(X_AALG_NULL), NOKEY | PRINT },
	{ "oui",		ALG_COMP, SK(X_CALG_OUI), PRINT },
	{ "deflate",		ALG_COMP, SK(X_CALG_DEFLATE), PRINT },
	{ "lzs",		ALG_COMP, SK(X_CALG_LZS), PRINT },
	{ "lzjh",		ALG_COMP, SK(X_CALG_LZJH), PRINT },
};

const struct alg_name *
setkey_alg_lookup(enum alg_kind kind, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < nitems(alg_names); i++)
		if (alg_names[i].kind == kind &&
		    strlen(alg_names[i].name) == n &&
		    memcmp(alg_names[i].name, s, n) == 0)
			return &alg_names[i];
	return NULL;
}

static const char *
alg_by_id(enum alg_kind kind, uint8_t id)
{
	size_t i;

	for (i = 0; i < nitems(alg_names); i++)
		if (alg_names[i].kind == kind &&
		    (alg_names[i].flags & PRINT) != 0 &&
		    alg_names[i].id == (int)id)
			return alg_names[i].name;
	return NULL;
}

const char *
setkey_ealg_name(uint8_t id)
{
	return id == SK(EALG_NONE) ? "none" : alg_by_id(ALG_ENC, id);
}

const char *
setkey_aalg_name(uint8_t id)
{
	return id == SK(AALG_NONE) ? "none" : alg_by_id(ALG_AUTH, id);
}

const char *
setkey_calg_name(uint8_t id)
{
	return id == SK(X_CALG_NONE) ? "none" : alg_by_id(ALG_COMP, id);
}

/* Upper-layer protocols by name (/etc/protocols, and setkey's own). */
static const struct proto_name {
	const char	*name;
	uint8_t		 num;
} proto_names[] = {
	{ "any", 255 }, { "ip", 0 }, { "icmp", 1 }, { "igmp", 2 },
	{ "ip4", 4 }, { "ipip", 4 }, { "ipencap", 4 }, { "tcp", 6 },
	{ "udp", 17 }, { "ipv6", 41 }, { "ip6", 41 }, { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 }, { "icmp6", 58 }, { "ipv6-icmp", 58 },
	{ "icmpv6", 58 }, { "ospf", 89 }, { "pim", 103 }, { "sctp", 132 },
	{ "mh", 135 }, { "mobility-header", 135 }, { "ipv6-mh", 135 },
	{ "udplite", 136 },
};

bool
setkey_proto_lookup(const char *s, size_t n, uint8_t *num)
{
	size_t i;

	for (i = 0; i < nitems(proto_names); i++)
		if (strlen(proto_names[i].name) == n &&
		    memcmp(proto_names[i].name, s, n) == 0) {
			*num = proto_names[i].num;
			return true;
		}
	return false;
}
