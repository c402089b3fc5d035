/*
 * ipsecd_sa.c - keyd's Sa messages to SA table specs (ipsecd_sa.h).
 *
 * Untrusted input: the Sa message (validated by the bus already; checked
 * again here for everything the SA table and the transforms rely on).
 * Keys go straight into sodium_malloc'd xform keys. Pure.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "ipsecd_sa.h"
#include "xform.h"

static const char *const reject_names[IPSECD_SA_REJECT_COUNT] = {
	[IPSECD_SA_OK] = "ok",
	[IPSECD_SA_MISSING] = "missing",
	[IPSECD_SA_GEN] = "gen",
	[IPSECD_SA_SPI] = "spi",
	[IPSECD_SA_PROTO] = "proto",
	[IPSECD_SA_MODE] = "mode",
	[IPSECD_SA_FAMILY] = "family",
	[IPSECD_SA_NATT] = "natt",
	[IPSECD_SA_ALG] = "alg",
	[IPSECD_SA_KEY] = "key",
	[IPSECD_SA_WINDOW] = "window",
	[IPSECD_SA_NOMEM] = "nomem",
};
_Static_assert(nitems(reject_names) == IPSECD_SA_REJECT_COUNT,
    "reject_names");

const char *
ipsecd_sa_reject_str(enum ipsecd_sa_reject r)
{
	if ((unsigned)r >= IPSECD_SA_REJECT_COUNT)
		return "unknown";
	return reject_names[r];
}

/* An address; absent (UNSPEC, no bytes) only if optional. */
static bool
addr_get(const Parapet__SaAddr *m, bool optional, struct sa_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (m == NULL || m->family == PARAPET__SA_FAMILY__SA_FAMILY_UNSPEC)
		return optional && (m == NULL || m->addr.len == 0);
	if (m->family == PARAPET__SA_FAMILY__SA_FAMILY_INET &&
	    m->addr.len == 4)
		a->family = 4;
	else if (m->family == PARAPET__SA_FAMILY__SA_FAMILY_INET6 &&
	    m->addr.len == 16)
		a->family = 6;
	else
		return false;
	memcpy(a->a, m->addr.data, m->addr.len);
	return true;
}

static void
limits_get(const Parapet__Sa *m, struct sa_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (m->soft != NULL) {
		l->soft_bytes = m->soft->bytes;
		l->soft_packets = m->soft->packets;
	}
	if (m->hard != NULL) {
		l->hard_bytes = m->hard->bytes;
		l->hard_packets = m->hard->packets;
	}
}

static enum ipsecd_sa_reject
identity_get(const Parapet__Sa *m, struct sa_spec *s)
{
	if (m == NULL || m->src == NULL || m->dst == NULL)
		return IPSECD_SA_MISSING;
	if (m->generation == 0)
		return IPSECD_SA_GEN;
	if (m->spi == 0)
		return IPSECD_SA_SPI;
	if (m->proto != PARAPET__SA_PROTO__SA_PROTO_ESP &&
	    m->proto != PARAPET__SA_PROTO__SA_PROTO_AH)
		return IPSECD_SA_PROTO;
	if (m->mode != PARAPET__SA_MODE__SA_MODE_TRANSPORT &&
	    m->mode != PARAPET__SA_MODE__SA_MODE_TUNNEL)
		return IPSECD_SA_MODE;
	if (!addr_get(m->src, false, &s->src) ||
	    !addr_get(m->dst, false, &s->dst) ||
	    s->src.family != s->dst.family)
		return IPSECD_SA_FAMILY;
	s->gen = m->generation;
	s->spi = m->spi;
	s->proto = (uint8_t)m->proto;
	s->mode = (uint8_t)m->mode;
	s->reqid = m->reqid;
	return IPSECD_SA_OK;
}

static enum ipsecd_sa_reject
natt_get(const Parapet__Sa *m, struct sa_spec *s)
{
	if (m->nat_type == PARAPET__SA_NAT_TYPE__SA_NAT_NONE) {
		if (m->nat_sport != 0 || m->nat_dport != 0 ||
		    (m->nat_oa != NULL && m->nat_oa->family !=
		    PARAPET__SA_FAMILY__SA_FAMILY_UNSPEC))
			return IPSECD_SA_NATT;
		return IPSECD_SA_OK;
	}
	if ((m->nat_type != PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP &&
	    m->nat_type != PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP_NON_IKE) ||
	    m->proto != PARAPET__SA_PROTO__SA_PROTO_ESP ||
	    m->nat_sport == 0 || m->nat_sport > UINT16_MAX ||
	    m->nat_dport == 0 || m->nat_dport > UINT16_MAX)
		return IPSECD_SA_NATT;
	/*
	 * keyd publishes one original address (Linux's encap_oa: the
	 * peer's address before its NAT); it is the source of what we
	 * receive, so it fixes the transport checksum as natt_oa_src.
	 */
	if (!addr_get(m->nat_oa, true, &s->natt_oa_src) ||
	    (s->natt_oa_src.family != 0 &&
	    s->natt_oa_src.family != s->src.family))
		return IPSECD_SA_NATT;
	s->flags |= SA_F_NATT;
	s->natt_sport = (uint16_t)m->nat_sport;
	s->natt_dport = (uint16_t)m->nat_dport;
	return IPSECD_SA_OK;
}

/* One key: the row for the algorithm number, the length, the copy. */
static enum ipsecd_sa_reject
key_get(bool encryption, uint32_t alg, const ProtobufCBinaryData *k,
    struct xform_key **out)
{
	const struct xform *xf;
	int error;

	*out = NULL;
	if (alg > UINT16_MAX || xform_by_sadb(encryption, (unsigned)alg) ==
	    NULL)
		return IPSECD_SA_ALG;
	/* One number, several key sizes (AES-GCM/CBC/CTR/GMAC). */
	if ((xf = xform_by_sadb_key(encryption, (unsigned)alg, k->len)) ==
	    NULL)
		return IPSECD_SA_KEY;
	if ((error = xform_key_new(xf->alg, k->data, k->len, out)) != 0)
		return error == -ENOMEM ? IPSECD_SA_NOMEM : error == -EINVAL ?
		    IPSECD_SA_KEY : IPSECD_SA_ALG;
	return IPSECD_SA_OK;
}

static enum ipsecd_sa_reject
keys_get(const Parapet__Sa *m, struct sa_spec *s)
{
	enum ipsecd_sa_reject r;

	if (m->proto == PARAPET__SA_PROTO__SA_PROTO_AH) {
		if (m->enc_alg != 0 || m->enc_key.len != 0 || m->auth_alg == 0)
			return IPSECD_SA_ALG;
		return key_get(false, m->auth_alg, &m->auth_key, &s->auth);
	}
	if ((r = key_get(true, m->enc_alg, &m->enc_key, &s->enc)) !=
	    IPSECD_SA_OK)
		return r;
	if (xform_key_xform(s->enc)->kind == XFORM_KIND_AEAD) {
		if (m->auth_alg != 0 || m->auth_key.len != 0)
			return IPSECD_SA_ALG;
		return IPSECD_SA_OK;
	}
	/* A cipher (NULL) needs integrity: ESP without it is not offered. */
	if (m->auth_alg == 0)
		return IPSECD_SA_ALG;
	return key_get(false, m->auth_alg, &m->auth_key, &s->auth);
}

int
ipsecd_sa_from_msg(const Parapet__Sa *m, bool keys, struct sa_spec *s,
    enum ipsecd_sa_reject *why)
{
	enum ipsecd_sa_reject r;

	memset(s, 0, sizeof(*s));
	if ((r = identity_get(m, s)) != IPSECD_SA_OK)
		goto fail;
	if (!keys) {
		*why = IPSECD_SA_OK;
		return 0;
	}
	if ((r = natt_get(m, s)) != IPSECD_SA_OK)
		goto fail;
	if (m->esn)
		s->flags |= SA_F_ESN;
	if (m->cyclic_seq)
		s->flags |= SA_F_CYCLIC;
	if (m->padding == PARAPET__SA_PADDING__SA_PADDING_ZERO)
		s->flags |= SA_F_PAD_ZERO;
	else if (m->padding == PARAPET__SA_PADDING__SA_PADDING_RANDOM)
		s->flags |= SA_F_PAD_RANDOM;
	if (m->state == PARAPET__SA_STATE__SA_STATE_DYING)
		s->flags |= SA_F_DYING;
	if (m->replay_window > REPLAY_WINDOW_MAX ||
	    (m->esn && m->replay_window == 0)) {
		r = IPSECD_SA_WINDOW;
		goto fail;
	}
	s->replay_window = m->replay_window;
	s->ealg = (uint16_t)(m->enc_alg & 0xffffu);
	s->aalg = (uint16_t)(m->auth_alg & 0xffffu);
	limits_get(m, &s->lft);
	if ((r = keys_get(m, s)) != IPSECD_SA_OK)
		goto fail;
	*why = IPSECD_SA_OK;
	return 0;
fail:
	ipsecd_sa_spec_free(s);
	*why = r;
	return r == IPSECD_SA_NOMEM ? -ENOMEM : -EINVAL;
}

void
ipsecd_sa_spec_free(struct sa_spec *s)
{
	xform_key_free(s->enc);
	xform_key_free(s->auth);
	s->enc = s->auth = NULL;
}

void
ipsecd_sa_wipe(const Parapet__Sa *m)
{
	if (m == NULL)
		return;
	if (m->auth_key.data != NULL)
		sodium_memzero(deconst_bytes(m->auth_key.data),
		    m->auth_key.len);
	if (m->enc_key.data != NULL)
		sodium_memzero(deconst_bytes(m->enc_key.data),
		    m->enc_key.len);
}

void
ipsecd_sa_pstate_id(const struct sa_spec *s, struct sa_pstate_id *id)
{
	memset(id, 0, sizeof(*id));
	id->gen = s->gen;
	id->spi = s->spi;
	id->proto = s->proto;
	id->family = s->dst.family;
	memcpy(id->dst, s->dst.a, sizeof(id->dst));
}
