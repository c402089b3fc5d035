/*
 * pfkey_equal.c - equality of parsed PF_KEY views (struct pfkey_msg), for
 * the round-trip tests and the fuzzer: two messages are equal when every
 * header field and every present extension carries the same values. Pure;
 * split from pfkey_msg.c, which parses.
 */
#include <stdbool.h>
#include <string.h>

#include "pfkey_msg.h"
#include "pfkeyv2.h"

#define COMB_LEN	sizeof(struct pp_sadb_comb)
#define ALG_LEN		sizeof(struct pp_sadb_alg)

static bool
bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool
sockaddr_equal(const struct pfkey_sockaddr *a, const struct pfkey_sockaddr *b)
{
	return a->family == b->family && a->port == b->port &&
	    a->flowinfo == b->flowinfo && a->scope_id == b->scope_id &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool
address_equal(const struct pfkey_address *a, const struct pfkey_address *b)
{
	return a->proto == b->proto && a->prefixlen == b->prefixlen &&
	    sockaddr_equal(&a->sa, &b->sa);
}

static bool
lifetime_equal(const struct pfkey_lifetime *a, const struct pfkey_lifetime *b)
{
	return a->allocations == b->allocations && a->bytes == b->bytes &&
	    a->addtime == b->addtime && a->usetime == b->usetime;
}

static bool
key_equal(const struct pfkey_key *a, const struct pfkey_key *b)
{
	return a->bits == b->bits &&
	    bytes_equal(a->data, a->len_bytes, b->data, b->len_bytes);
}

static bool
ident_equal(const struct pfkey_ident *a, const struct pfkey_ident *b)
{
	return a->type == b->type && a->id == b->id &&
	    bytes_equal(a->data, a->len_bytes, b->data, b->len_bytes);
}

static bool
sens_equal(const struct pfkey_sens *a, const struct pfkey_sens *b)
{
	return a->dpd == b->dpd && a->sens_level == b->sens_level &&
	    a->integ_level == b->integ_level &&
	    bytes_equal(a->sens_bitmap, 8 * (size_t)a->sens_len,
		b->sens_bitmap, 8 * (size_t)b->sens_len) &&
	    bytes_equal(a->integ_bitmap, 8 * (size_t)a->integ_len,
		b->integ_bitmap, 8 * (size_t)b->integ_len);
}

static bool
req_equal(const struct pfkey_ipsecreq *a, const struct pfkey_ipsecreq *b)
{
	if (a->proto != b->proto || a->mode != b->mode ||
	    a->level != b->level || a->reqid != b->reqid ||
	    a->has_addrs != b->has_addrs)
		return false;
	return !a->has_addrs || (sockaddr_equal(&a->src, &b->src) &&
	    sockaddr_equal(&a->dst, &b->dst));
}

static bool
policy_equal(const struct pfkey_policy *a, const struct pfkey_policy *b)
{
	size_t i;

	if (a->type != b->type || a->dir != b->dir || a->id != b->id ||
	    a->priority != b->priority || a->nreqs != b->nreqs)
		return false;
	for (i = 0; i < a->nreqs; i++)
		if (!req_equal(&a->req[i], &b->req[i]))
			return false;
	return true;
}

static bool
filter_equal(const struct pfkey_filter *a, const struct pfkey_filter *b)
{
	return a->family == b->family && a->splen == b->splen &&
	    a->dplen == b->dplen &&
	    memcmp(a->saddr, b->saddr, sizeof(a->saddr)) == 0 &&
	    memcmp(a->daddr, b->daddr, sizeof(a->daddr)) == 0;
}

static bool
ext_equal(unsigned int t, const struct pfkey_msg *a, const struct pfkey_msg *b)
{
	switch (t) {
	case PARAPET_SADB_EXT_SA:
		return a->sa.spi == b->sa.spi && a->sa.replay == b->sa.replay &&
		    a->sa.state == b->sa.state && a->sa.auth == b->sa.auth &&
		    a->sa.encrypt == b->sa.encrypt &&
		    a->sa.flags == b->sa.flags;
	case PARAPET_SADB_EXT_LIFETIME_CURRENT:
		return lifetime_equal(&a->lft_current, &b->lft_current);
	case PARAPET_SADB_EXT_LIFETIME_HARD:
		return lifetime_equal(&a->lft_hard, &b->lft_hard);
	case PARAPET_SADB_EXT_LIFETIME_SOFT:
		return lifetime_equal(&a->lft_soft, &b->lft_soft);
	case PARAPET_SADB_EXT_ADDRESS_SRC:
	case PARAPET_SADB_EXT_ADDRESS_DST:
	case PARAPET_SADB_EXT_ADDRESS_PROXY:
	case PARAPET_SADB_X_EXT_NAT_T_OA:
		return address_equal(pfkey_msg_address(a, (uint16_t)t),
		    pfkey_msg_address(b, (uint16_t)t));
	case PARAPET_SADB_EXT_KEY_AUTH:
		return key_equal(&a->key_auth, &b->key_auth);
	case PARAPET_SADB_EXT_KEY_ENCRYPT:
		return key_equal(&a->key_encrypt, &b->key_encrypt);
	case PARAPET_SADB_EXT_IDENTITY_SRC:
		return ident_equal(&a->ident_src, &b->ident_src);
	case PARAPET_SADB_EXT_IDENTITY_DST:
		return ident_equal(&a->ident_dst, &b->ident_dst);
	case PARAPET_SADB_EXT_SENSITIVITY:
		return sens_equal(&a->sens, &b->sens);
	case PARAPET_SADB_EXT_PROPOSAL:
		return a->prop.replay == b->prop.replay &&
		    bytes_equal(a->prop.combs, a->prop.ncombs * COMB_LEN,
			b->prop.combs, b->prop.ncombs * COMB_LEN);
	case PARAPET_SADB_EXT_SUPPORTED_AUTH:
		return bytes_equal(a->supp_auth.algs, a->supp_auth.nalgs *
		    ALG_LEN, b->supp_auth.algs, b->supp_auth.nalgs * ALG_LEN);
	case PARAPET_SADB_EXT_SUPPORTED_ENCRYPT:
		return bytes_equal(a->supp_encrypt.algs,
		    a->supp_encrypt.nalgs * ALG_LEN, b->supp_encrypt.algs,
		    b->supp_encrypt.nalgs * ALG_LEN);
	case PARAPET_SADB_EXT_SPIRANGE:
		return a->spirange.min == b->spirange.min &&
		    a->spirange.max == b->spirange.max;
	case PARAPET_SADB_X_EXT_KMPRIVATE:
		return bytes_equal(a->kmprivate.data, a->kmprivate.len_bytes,
		    b->kmprivate.data, b->kmprivate.len_bytes);
	case PARAPET_SADB_X_EXT_POLICY:
		return policy_equal(&a->policy, &b->policy);
	case PARAPET_SADB_X_EXT_SA2:
		return a->sa2.mode == b->sa2.mode &&
		    a->sa2.sequence == b->sa2.sequence &&
		    a->sa2.reqid == b->sa2.reqid;
	case PARAPET_SADB_X_EXT_NAT_T_TYPE:
		return a->natt_type == b->natt_type;
	case PARAPET_SADB_X_EXT_NAT_T_SPORT:
		return a->natt_sport == b->natt_sport;
	case PARAPET_SADB_X_EXT_NAT_T_DPORT:
		return a->natt_dport == b->natt_dport;
	case PARAPET_SADB_X_EXT_SEC_CTX:
		return a->sec_ctx.alg == b->sec_ctx.alg &&
		    a->sec_ctx.doi == b->sec_ctx.doi &&
		    bytes_equal(a->sec_ctx.ctx, a->sec_ctx.len_bytes,
			b->sec_ctx.ctx, b->sec_ctx.len_bytes);
	case PARAPET_SADB_X_EXT_FILTER:
		return filter_equal(&a->filter, &b->filter);
	default:
		return false;
	}
}

bool
pfkey_msg_equal(const struct pfkey_msg *a, const struct pfkey_msg *b)
{
	unsigned int t;

	if (a->hdr.version != b->hdr.version || a->hdr.type != b->hdr.type ||
	    a->hdr.msg_errno != b->hdr.msg_errno ||
	    a->hdr.satype != b->hdr.satype ||
	    a->hdr.len_words64 != b->hdr.len_words64 ||
	    a->hdr.seq != b->hdr.seq || a->hdr.pid != b->hdr.pid ||
	    a->present != b->present)
		return false;
	for (t = 1; t <= PARAPET_SADB_EXT_MAX; t++)
		if (pfkey_msg_has(a, t) && !ext_equal(t, a, b))
			return false;
	return true;
}
