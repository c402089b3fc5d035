/*
 * pfkey_build.c - PF_KEY v2 datagram builder; see pfkey_build.h.
 *
 * Output only: the buffer is the caller's and nothing here is untrusted.
 * Every extension is sized first, then written header, body, padding.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "pfkey_build.h"
#include "pfkey_wire.h"

#define ALIGN8(n)	PARAPET_PFKEY_ALIGN8(n)

/* Sticky writers: each does nothing once an error is recorded. */
static void
put_u8(struct pfkey_build *b, uint8_t v)
{
	if (b->error == 0)
		b->error = wr_u8(&b->w, v);
}

static void
put_h16(struct pfkey_build *b, uint16_t v)
{
	if (b->error == 0)
		b->error = wr_h16(&b->w, v);
}

static void
put_h32(struct pfkey_build *b, uint32_t v)
{
	if (b->error == 0)
		b->error = wr_h32(&b->w, v);
}

static void
put_h64(struct pfkey_build *b, uint64_t v)
{
	if (b->error == 0)
		b->error = wr_h64(&b->w, v);
}

static void
put_be16(struct pfkey_build *b, uint16_t v)
{
	if (b->error == 0)
		b->error = wr_be16(&b->w, v);
}

static void
put_be32(struct pfkey_build *b, uint32_t v)
{
	if (b->error == 0)
		b->error = wr_be32(&b->w, v);
}

static void
put_bytes(struct pfkey_build *b, const void *p, size_t n)
{
	if (b->error == 0 && n != 0)
		b->error = p != NULL ? wr_bytes(&b->w, p, n) : -EINVAL;
}

static void
put_zero(struct pfkey_build *b, size_t n)
{
	if (b->error == 0)
		b->error = wr_zero(&b->w, n);
}

static void
put_fail(struct pfkey_build *b, int error)
{
	if (b->error == 0)
		b->error = error;
}

/* The extension header for an extension of `bytes` octets in all. */
static void
put_ext(struct pfkey_build *b, size_t bytes, uint16_t type)
{
	assert(bytes % 8 == 0);
	if (bytes / 8 > UINT16_MAX) {
		put_fail(b, -EMSGSIZE);
		return;
	}
	put_h16(b, (uint16_t)(bytes / 8));
	put_h16(b, type);
}

void
pfkey_build_begin(struct pfkey_build *b, void *buf, size_t cap,
    const struct pfkey_hdr *h)
{
	wr_init(&b->w, buf, cap);
	b->start = buf;
	b->error = 0;
	put_u8(b, PARAPET_PF_KEY_V2);
	put_u8(b, h->type);
	put_u8(b, h->msg_errno);
	put_u8(b, h->satype);
	put_h16(b, 0);			/* length: pfkey_build_end() */
	put_h16(b, 0);			/* reserved */
	put_h32(b, h->seq);
	put_h32(b, h->pid);
}

int
pfkey_build_end(struct pfkey_build *b, size_t *len_bytes)
{
	struct wr len;

	if (b->error != 0)
		return b->error;
	assert(b->w.used % 8 == 0);
	if (b->w.used > PFKEY_MSG_MAX_BYTES)
		return -EMSGSIZE;
	/* Patch sadb_msg_len (octets 4-5) in our own output buffer. */
	wr_init(&len, b->start + 4, 2);
	if ((b->error = wr_h16(&len, (uint16_t)(b->w.used / 8))) != 0)
		return b->error;
	*len_bytes = b->w.used;
	return 0;
}

void
pfkey_build_sa(struct pfkey_build *b, const struct pfkey_sa *sa)
{
	put_ext(b, sizeof(struct pp_sadb_sa), PARAPET_SADB_EXT_SA);
	put_be32(b, sa->spi);
	put_u8(b, sa->replay);
	put_u8(b, sa->state);
	put_u8(b, sa->auth);
	put_u8(b, sa->encrypt);
	put_h32(b, sa->flags);
}

void
pfkey_build_lifetime(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_lifetime *l)
{
	put_ext(b, sizeof(struct pp_sadb_lifetime), exttype);
	put_h32(b, l->allocations);
	put_h64(b, l->bytes);
	put_h64(b, l->addtime);
	put_h64(b, l->usetime);
}

/* A sockaddr_in or sockaddr_in6 in the Linux layout. */
static void
put_sockaddr(struct pfkey_build *b, const struct pfkey_sockaddr *sa)
{
	switch (sa->family) {
	case AF_INET:
		put_h16(b, sa->family);
		put_be16(b, sa->port);
		put_bytes(b, sa->addr, 4);
		put_zero(b, 8);		/* sin_zero */
		break;
	case AF_INET6:
		put_h16(b, sa->family);
		put_be16(b, sa->port);
		put_be32(b, sa->flowinfo);
		put_bytes(b, sa->addr, 16);
		put_h32(b, sa->scope_id);
		break;
	default:
		put_fail(b, -EINVAL);
		break;
	}
}

void
pfkey_build_address(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_address *a)
{
	size_t salen = pfkey_sockaddr_len(a->sa.family);

	if (salen == 0) {
		put_fail(b, -EINVAL);
		return;
	}
	put_ext(b, sizeof(struct pp_sadb_address) + ALIGN8(salen), exttype);
	put_u8(b, a->proto);
	put_u8(b, a->prefixlen);
	put_h16(b, 0);
	put_sockaddr(b, &a->sa);
	put_zero(b, ALIGN8(salen) - salen);
}

void
pfkey_build_key(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_key *k)
{
	if ((size_t)k->bits != 8 * k->len_bytes) {
		put_fail(b, -EINVAL);
		return;
	}
	put_ext(b, sizeof(struct pp_sadb_key) + ALIGN8(k->len_bytes), exttype);
	put_h16(b, k->bits);
	put_h16(b, 0);
	put_bytes(b, k->data, k->len_bytes);
	put_zero(b, ALIGN8(k->len_bytes) - k->len_bytes);
}

void
pfkey_build_ident(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_ident *id)
{
	put_ext(b, sizeof(struct pp_sadb_ident) + ALIGN8(id->len_bytes),
	    exttype);
	put_h16(b, id->type);
	put_h16(b, 0);
	put_h64(b, id->id);
	put_bytes(b, id->data, id->len_bytes);
	put_zero(b, ALIGN8(id->len_bytes) - id->len_bytes);
}

void
pfkey_build_sens(struct pfkey_build *b, const struct pfkey_sens *s)
{
	size_t sens = 8 * (size_t)s->sens_len, integ = 8 * (size_t)s->integ_len;

	put_ext(b, sizeof(struct pp_sadb_sens) + sens + integ,
	    PARAPET_SADB_EXT_SENSITIVITY);
	put_h32(b, s->dpd);
	put_u8(b, s->sens_level);
	put_u8(b, s->sens_len);
	put_u8(b, s->integ_level);
	put_u8(b, s->integ_len);
	put_h32(b, 0);
	put_bytes(b, s->sens_bitmap, sens);
	put_bytes(b, s->integ_bitmap, integ);
}

static void
put_comb(struct pfkey_build *b, const struct pfkey_comb *c)
{
	put_u8(b, c->auth);
	put_u8(b, c->encrypt);
	put_h16(b, c->flags);
	put_h16(b, c->auth_minbits);
	put_h16(b, c->auth_maxbits);
	put_h16(b, c->encrypt_minbits);
	put_h16(b, c->encrypt_maxbits);
	put_h32(b, 0);
	put_h32(b, c->soft_allocations);
	put_h32(b, c->hard_allocations);
	put_h64(b, c->soft_bytes);
	put_h64(b, c->hard_bytes);
	put_h64(b, c->soft_addtime);
	put_h64(b, c->hard_addtime);
	put_h64(b, c->soft_usetime);
	put_h64(b, c->hard_usetime);
}

static void
put_prop_hdr(struct pfkey_build *b, uint8_t replay, size_t ncombs)
{
	put_ext(b, sizeof(struct pp_sadb_prop) +
	    ncombs * sizeof(struct pp_sadb_comb), PARAPET_SADB_EXT_PROPOSAL);
	put_u8(b, replay);
	put_zero(b, 3);
}

void
pfkey_build_prop(struct pfkey_build *b, uint8_t replay,
    const struct pfkey_comb *c, size_t ncombs)
{
	size_t i;

	put_prop_hdr(b, replay, ncombs);
	for (i = 0; i < ncombs; i++)
		put_comb(b, &c[i]);
}

static void
put_alg(struct pfkey_build *b, const struct pfkey_alg *a)
{
	put_u8(b, a->id);
	put_u8(b, a->ivlen);
	put_h16(b, a->minbits);
	put_h16(b, a->maxbits);
	put_h16(b, 0);
}

static void
put_supported_hdr(struct pfkey_build *b, uint16_t exttype, size_t nalgs)
{
	put_ext(b, sizeof(struct pp_sadb_supported) +
	    nalgs * sizeof(struct pp_sadb_alg), exttype);
	put_h32(b, 0);
}

void
pfkey_build_supported(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_alg *a, size_t nalgs)
{
	size_t i;

	put_supported_hdr(b, exttype, nalgs);
	for (i = 0; i < nalgs; i++)
		put_alg(b, &a[i]);
}

void
pfkey_build_spirange(struct pfkey_build *b, const struct pfkey_spirange *r)
{
	put_ext(b, sizeof(struct pp_sadb_spirange), PARAPET_SADB_EXT_SPIRANGE);
	put_h32(b, r->min);
	put_h32(b, r->max);
	put_h32(b, 0);
}

void
pfkey_build_kmprivate(struct pfkey_build *b, const struct pfkey_kmprivate *k)
{
	put_ext(b, sizeof(struct pp_sadb_x_kmprivate) + ALIGN8(k->len_bytes),
	    PARAPET_SADB_X_EXT_KMPRIVATE);
	put_h32(b, 0);
	put_bytes(b, k->data, k->len_bytes);
	put_zero(b, ALIGN8(k->len_bytes) - k->len_bytes);
}

/* Octets of one request: 16, plus both endpoints when it has them. */
static size_t
req_len(const struct pfkey_ipsecreq *q)
{
	size_t salen = pfkey_sockaddr_len(q->src.family);

	return sizeof(struct pp_sadb_x_ipsecrequest) +
	    (q->has_addrs ? 2 * salen : 0);
}

static void
put_req(struct pfkey_build *b, const struct pfkey_ipsecreq *q)
{
	size_t len = req_len(q);

	if (q->has_addrs && (pfkey_sockaddr_len(q->src.family) == 0 ||
	    q->dst.family != q->src.family)) {
		put_fail(b, -EINVAL);
		return;
	}
	put_h16(b, (uint16_t)len);	/* octets, at most 72 */
	put_h16(b, q->proto);
	put_u8(b, q->mode);
	put_u8(b, q->level);
	put_h16(b, 0);
	put_h32(b, q->reqid);
	put_h32(b, 0);
	if (q->has_addrs) {
		put_sockaddr(b, &q->src);
		put_sockaddr(b, &q->dst);
	}
}

void
pfkey_build_policy(struct pfkey_build *b, const struct pfkey_policy *p)
{
	size_t i, len = sizeof(struct pp_sadb_x_policy);

	if (p->nreqs > PFKEY_POLICY_MAX_REQS) {
		put_fail(b, -EINVAL);
		return;
	}
	for (i = 0; i < p->nreqs; i++)
		len += req_len(&p->req[i]);
	/* Linux sockaddr pairs are 32 or 56 octets: no padding needed. */
	put_ext(b, len, PARAPET_SADB_X_EXT_POLICY);
	put_h16(b, p->type);
	put_u8(b, p->dir);
	put_u8(b, 0);
	put_h32(b, p->id);
	put_h32(b, p->priority);
	for (i = 0; i < p->nreqs; i++)
		put_req(b, &p->req[i]);
}

void
pfkey_build_sa2(struct pfkey_build *b, const struct pfkey_sa2 *s)
{
	put_ext(b, sizeof(struct pp_sadb_x_sa2), PARAPET_SADB_X_EXT_SA2);
	put_u8(b, s->mode);
	put_u8(b, 0);
	put_h16(b, 0);
	put_h32(b, s->sequence);
	put_h32(b, s->reqid);
}

void
pfkey_build_natt_type(struct pfkey_build *b, uint8_t type)
{
	put_ext(b, sizeof(struct pp_sadb_x_nat_t_type),
	    PARAPET_SADB_X_EXT_NAT_T_TYPE);
	put_u8(b, type);
	put_zero(b, 3);
}

void
pfkey_build_natt_port(struct pfkey_build *b, uint16_t exttype, uint16_t port)
{
	put_ext(b, sizeof(struct pp_sadb_x_nat_t_port), exttype);
	put_be16(b, port);
	put_h16(b, 0);
}

void
pfkey_build_sec_ctx(struct pfkey_build *b, const struct pfkey_sec_ctx *c)
{
	size_t n = c->len_bytes;

	put_ext(b, sizeof(struct pp_sadb_x_sec_ctx) + ALIGN8(n),
	    PARAPET_SADB_X_EXT_SEC_CTX);
	put_u8(b, c->alg);
	put_u8(b, c->doi);
	put_h16(b, c->len_bytes);
	put_bytes(b, c->ctx, n);
	put_zero(b, ALIGN8(n) - n);
}

void
pfkey_build_filter(struct pfkey_build *b, const struct pfkey_filter *f)
{
	put_ext(b, sizeof(struct pp_sadb_x_filter), PARAPET_SADB_X_EXT_FILTER);
	put_bytes(b, f->saddr, sizeof(f->saddr));
	put_bytes(b, f->daddr, sizeof(f->daddr));
	put_h16(b, f->family);
	put_u8(b, f->splen);
	put_u8(b, f->dplen);
}

/* A parsed proposal or supported list, re-read entry by entry. */
static void
put_prop_view(struct pfkey_build *b, const struct pfkey_prop *p)
{
	struct pfkey_comb c;
	size_t i;

	put_prop_hdr(b, p->replay, p->ncombs);
	for (i = 0; i < p->ncombs; i++) {
		pfkey_prop_comb(p, i, &c);
		put_comb(b, &c);
	}
}

static void
put_supported_view(struct pfkey_build *b, uint16_t exttype,
    const struct pfkey_supported *s)
{
	struct pfkey_alg a;
	size_t i;

	put_supported_hdr(b, exttype, s->nalgs);
	for (i = 0; i < s->nalgs; i++) {
		pfkey_supported_alg(s, i, &a);
		put_alg(b, &a);
	}
}

static void
put_view(struct pfkey_build *b, uint16_t t, const struct pfkey_msg *m)
{
	switch (t) {
	case PARAPET_SADB_EXT_SA:
		pfkey_build_sa(b, &m->sa);
		break;
	case PARAPET_SADB_EXT_LIFETIME_CURRENT:
		pfkey_build_lifetime(b, t, &m->lft_current);
		break;
	case PARAPET_SADB_EXT_LIFETIME_HARD:
		pfkey_build_lifetime(b, t, &m->lft_hard);
		break;
	case PARAPET_SADB_EXT_LIFETIME_SOFT:
		pfkey_build_lifetime(b, t, &m->lft_soft);
		break;
	case PARAPET_SADB_EXT_ADDRESS_SRC:
		pfkey_build_address(b, t, &m->src);
		break;
	case PARAPET_SADB_EXT_ADDRESS_DST:
		pfkey_build_address(b, t, &m->dst);
		break;
	case PARAPET_SADB_EXT_ADDRESS_PROXY:
		pfkey_build_address(b, t, &m->proxy);
		break;
	case PARAPET_SADB_EXT_KEY_AUTH:
		pfkey_build_key(b, t, &m->key_auth);
		break;
	case PARAPET_SADB_EXT_KEY_ENCRYPT:
		pfkey_build_key(b, t, &m->key_encrypt);
		break;
	case PARAPET_SADB_EXT_IDENTITY_SRC:
		pfkey_build_ident(b, t, &m->ident_src);
		break;
	case PARAPET_SADB_EXT_IDENTITY_DST:
		pfkey_build_ident(b, t, &m->ident_dst);
		break;
	case PARAPET_SADB_EXT_SENSITIVITY:
		pfkey_build_sens(b, &m->sens);
		break;
	case PARAPET_SADB_EXT_PROPOSAL:
		put_prop_view(b, &m->prop);
		break;
	case PARAPET_SADB_EXT_SUPPORTED_AUTH:
		put_supported_view(b, t, &m->supp_auth);
		break;
	case PARAPET_SADB_EXT_SUPPORTED_ENCRYPT:
		put_supported_view(b, t, &m->supp_encrypt);
		break;
	case PARAPET_SADB_EXT_SPIRANGE:
		pfkey_build_spirange(b, &m->spirange);
		break;
	case PARAPET_SADB_X_EXT_KMPRIVATE:
		pfkey_build_kmprivate(b, &m->kmprivate);
		break;
	case PARAPET_SADB_X_EXT_POLICY:
		pfkey_build_policy(b, &m->policy);
		break;
	case PARAPET_SADB_X_EXT_SA2:
		pfkey_build_sa2(b, &m->sa2);
		break;
	case PARAPET_SADB_X_EXT_NAT_T_TYPE:
		pfkey_build_natt_type(b, m->natt_type);
		break;
	case PARAPET_SADB_X_EXT_NAT_T_SPORT:
		pfkey_build_natt_port(b, t, m->natt_sport);
		break;
	case PARAPET_SADB_X_EXT_NAT_T_DPORT:
		pfkey_build_natt_port(b, t, m->natt_dport);
		break;
	case PARAPET_SADB_X_EXT_NAT_T_OA:
		pfkey_build_address(b, t, &m->natt_oa);
		break;
	case PARAPET_SADB_X_EXT_SEC_CTX:
		pfkey_build_sec_ctx(b, &m->sec_ctx);
		break;
	case PARAPET_SADB_X_EXT_FILTER:
		pfkey_build_filter(b, &m->filter);
		break;
	default:
		/* KMADDRESS has no view: no parser accepts it. */
		put_fail(b, -EINVAL);
		break;
	}
}

int
pfkey_build_msg(const struct pfkey_msg *m, void *buf, size_t cap,
    size_t *len_bytes)
{
	struct pfkey_build b;
	uint16_t t;

	pfkey_build_begin(&b, buf, cap, &m->hdr);
	for (t = 1; t <= PARAPET_SADB_EXT_MAX; t++)
		if (pfkey_msg_has(m, t))
			put_view(&b, t, m);
	return pfkey_build_end(&b, len_bytes);
}

int
pfkey_build_error(const struct pfkey_hdr *req, int error, void *buf,
    size_t cap, size_t *len_bytes)
{
	struct pfkey_build b;
	struct pfkey_hdr h = *req;

	if (error <= 0 || error > UINT8_MAX)
		return -EINVAL;
	h.msg_errno = (uint8_t)error;
	pfkey_build_begin(&b, buf, cap, &h);
	return pfkey_build_end(&b, len_bytes);
}
