/*
 * pfkey_dispatch.c - keyd's PF_KEY dispatcher (pfkey_dispatch.h): a table from
 * message type to handler, each turning one validated request into SADB
 * calls and PF_KEY replies. Pure: the shell delivers what send() gets.
 *
 * Delivery (RFC 2367 §3.1, as Linux af_key.c does it):
 *   GETSPI, GET, errors          the sender only (BROADCAST_ONE)
 *   ADD, UPDATE, DELETE, FLUSH   every socket (BROADCAST_ALL), no keys
 *   X_PROMISC                    every socket (the request echoed)
 *   REGISTER                     the sender and the registered sockets
 *   EXPIRE                       sockets registered for the SA type
 *   DUMP                         the sender, streamed by the shell
 *
 * Untrusted input: the values inside the parsed message.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "pfkey_dispatch.h"
#include "pfkey_build.h"

#define BIT(e)		(UINT32_C(1) << (e))

/*
 * What ipsecd implements, and so what REGISTER offers and ADD/UPDATE
 * accept, in Linux's numbers and key sizes (af_key.c ealg_list/aalg_list).
 * AES-GCM, AES-CTR and AES-GMAC keys carry the 32-bit salt or nonce (RFC
 * 4106 §8.1, RFC 3686 §5.1, RFC 4543 §3.2): 128/192/256 + 32. ChaCha20-
 * Poly1305 (RFC 7634 §2: 256 key + 32 salt bits) has no number in
 * <linux/pfkeyv2.h>; PARAPET_SADB_X_EALG_CHACHA20POLY1305 is ours.
 *
 * Two profiles (DESIGN §10.23): ipsecd with OpenSSL libcrypto
 * (have_libcrypto, set by the keyd shell when built with
 * PARAPET_CRYPTO_OPENSSL) has RFC 8221 complete; the libsodium-only one
 * the rows marked -1 or 0. A range (AES: 128 to 256 bits) admits what
 * ipsecd has: 128, 192 or 256 (ipsecd refuses an SA with another size).
 */
static const struct keyd_alg keyd_algs[] = {
	{ false, PARAPET_SADB_AALG_SHA1HMAC, 0, 160, 160, false, false, 1 },
	{ false, PARAPET_SADB_X_AALG_SHA2_256HMAC, 0, 256, 256, false, false,
	    0 },
	{ false, PARAPET_SADB_X_AALG_SHA2_384HMAC, 0, 384, 384, false, false,
	    1 },
	{ false, PARAPET_SADB_X_AALG_SHA2_512HMAC, 0, 512, 512, false, false,
	    0 },
	{ false, PARAPET_SADB_X_AALG_AES_XCBC_MAC, 0, 128, 128, false, false,
	    1 },
	{ true, PARAPET_SADB_X_EALG_AES_GCM_ICV16, 64, 288, 288, true, true,
	    -1 },
	{ true, PARAPET_SADB_X_EALG_AES_GCM_ICV16, 64, 160, 288, true, false,
	    1 },
	{ true, PARAPET_SADB_X_EALG_CHACHA20POLY1305, 64, 288, 288, true,
	    false, 0 },
	{ true, PARAPET_SADB_X_EALG_NULL_AES_GMAC, 64, 160, 288, true, false,
	    1 },
	{ true, PARAPET_SADB_X_EALG_AESCBC, 128, 128, 256, false, false, 1 },
	{ true, PARAPET_SADB_X_EALG_AESCTR, 64, 160, 288, false, false, 1 },
	{ true, PARAPET_SADB_EALG_NULL, 0, 0, 0, false, false, 0 },
};

const struct keyd_alg *
keyd_core_algs(size_t *n)
{
	*n = nitems(keyd_algs);
	return keyd_algs;
}

bool
keyd_core_alg_offered(const struct keyd_core *k, const struct keyd_alg *a)
{
	if (a->libcrypto != 0 && (a->libcrypto > 0) != k->have_libcrypto)
		return false;
	return !a->needs_aes || k->have_aes;
}

static const struct keyd_alg *
alg_find(const struct keyd_core *k, bool encrypt, uint8_t id)
{
	size_t i;

	for (i = 0; i < nitems(keyd_algs); i++)
		if (keyd_algs[i].encrypt == encrypt && keyd_algs[i].id == id &&
		    keyd_core_alg_offered(k, &keyd_algs[i]))
			return &keyd_algs[i];
	return NULL;
}

static bool
key_fits(const struct pfkey_msg *m, unsigned int ext,
    const struct pfkey_key *key, const struct keyd_alg *a)
{
	unsigned int bits = pfkey_msg_has(m, ext) ? key->bits : 0;

	return bits >= a->minbits && bits <= a->maxbits;
}

/*
 * Algorithms and key sizes of an ADD or UPDATE against keyd_algs:
 * ENOSYS for an algorithm not offered (Linux pfkey_msg2xfrm_state()),
 * EINVAL for a key of the wrong size or a combination that makes no
 * sense (AEAD plus authentication; ESP with neither).
 */
static int
check_algs(const struct keyd_core *k, const struct pfkey_msg *m)
{
	const struct keyd_alg *aa = NULL, *ea = NULL;

	if (m->hdr.satype == PARAPET_SADB_X_SATYPE_IPCOMP)
		return ENOSYS;		/* no compression in ipsecd */
	if (m->sa.auth != PARAPET_SADB_AALG_NONE &&
	    (aa = alg_find(k, false, m->sa.auth)) == NULL)
		return ENOSYS;
	if (aa != NULL && !key_fits(m, PARAPET_SADB_EXT_KEY_AUTH,
	    &m->key_auth, aa))
		return EINVAL;
	if (aa == NULL && pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_AUTH))
		return EINVAL;
	if (m->hdr.satype == PARAPET_SADB_SATYPE_AH) {
		if (aa == NULL || m->sa.encrypt != PARAPET_SADB_EALG_NONE ||
		    pfkey_msg_has(m, PARAPET_SADB_EXT_KEY_ENCRYPT))
			return EINVAL;
		return 0;
	}
	if ((ea = alg_find(k, true, m->sa.encrypt)) == NULL)
		return ENOSYS;
	if (!key_fits(m, PARAPET_SADB_EXT_KEY_ENCRYPT, &m->key_encrypt, ea))
		return EINVAL;
	if (ea->aead && aa != NULL)
		return EINVAL;
	/* A cipher without integrity: ipsecd refuses it (RFC 8221 §4). */
	if (!ea->aead && aa == NULL)
		return EINVAL;
	return 0;
}

void
keyd_core_init(struct keyd_core *k, struct sadb *db, sadb_random_fn *rnd,
    void *rnd_arg, bool have_aes)
{
	memset(k, 0, sizeof(*k));
	k->db = db;
	k->rnd = rnd;
	k->rnd_arg = rnd_arg;
	k->have_aes = have_aes;
}

static void
emit(struct keyd_core *k, enum keyd_dest dest, uint8_t satype, uint8_t type,
    size_t len, keyd_send_fn *send, void *arg)
{
	struct keyd_out o = { dest, satype, type, k->buf, len };

	send(&o, arg);
	explicit_bzero(k->buf, len);
}

void
keyd_core_error(struct keyd_core *k, const struct pfkey_hdr *hdr, int error,
    keyd_send_fn *send, void *arg)
{
	size_t len;

	if (pfkey_build_error(hdr, error, k->buf, sizeof(k->buf), &len) != 0)
		return;		/* header only: cannot fail */
	emit(k, KEYD_DEST_ONE, hdr->satype, hdr->type, len, send, arg);
}

/* The reply header: the request's type, SA type, seq and pid. */
static void
reply_hdr(const struct pfkey_msg *m, struct pfkey_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->version = PARAPET_PF_KEY_V2;
	h->type = m->hdr.type;
	h->satype = m->hdr.satype;
	h->seq = m->hdr.seq;
	h->pid = m->hdr.pid;
}

/* Build sa's view with header h into k->buf. */
static int
build_sa(struct keyd_core *k, const struct sadb_sa *sa, bool with_keys,
    const struct pfkey_hdr *h, size_t *len)
{
	struct pfkey_msg v;

	sadb_sa_view(sa, with_keys, k->wall_offset_ms, &v);
	v.hdr = *h;
	v.hdr.satype = sadb_sa_satype(sa);
	return pfkey_build_msg(&v, k->buf, sizeof(k->buf), len);
}

static int
reply_sa(struct keyd_core *k, const struct pfkey_msg *m,
    const struct sadb_sa *sa, bool with_keys, enum keyd_dest dest,
    keyd_send_fn *send, void *arg)
{
	struct pfkey_hdr h;
	size_t len;
	int error;

	reply_hdr(m, &h);
	if ((error = build_sa(k, sa, with_keys, &h, &len)) != 0)
		return -error;
	emit(k, dest, h.satype, h.type, len, send, arg);
	return 0;
}

/* ---- telling ipsecd (keyd_core.hooks) ---- */

static void
tell_sa(struct keyd_core *k, enum keyd_sa_change c, enum keyd_sa_reason why,
    const struct sadb_sa *sa)
{
	if (k->hooks.sa_change != NULL && sadb_sa_state(sa) != SA_STATE_LARVAL)
		k->hooks.sa_change(c, why, sa, k->hooks.arg);
}

static void
flush_visit(const struct sadb_sa *sa, void *arg)
{
	tell_sa(arg, KEYD_SA_DELETE, KEYD_SA_REASON_FLUSH, sa);
}

static void
acq_installed(const struct acquire *a, void *arg)
{
	struct keyd_core *k = arg;

	if (k->hooks.acquire_done != NULL)
		k->hooks.acquire_done(a, ACQUIRE_INSTALLED, 0, k->hooks.arg);
}

/*
 * An SA was installed: the acquires it answers end, the one with the
 * request's seq (RFC 2367 §3.1.6: the key manager's GETSPI/UPDATE/ADD
 * carry the ACQUIRE's seq) and those for its addresses and reqid (Linux
 * xfrm_state_add() deletes the matching ACQ state; setkey sends seq 0).
 */
static void
acq_complete(struct keyd_core *k, const struct pfkey_msg *m,
    const struct sadb_sa *sa)
{
	const struct acquire *f;
	struct acquire a;

	if (k->acq == NULL)
		return;
	if ((f = acquire_find(k->acq, m->hdr.seq)) != NULL &&
	    f->satype == m->hdr.satype && acquire_end(k->acq, f->seq, &a) == 0)
		acq_installed(&a, k);
	(void)acquire_end_matching(k->acq, m->hdr.satype, &m->src.sa,
	    &m->dst.sa, sadb_sa_reqid(sa), acq_installed, k);
}

/* ---- handlers: return 0 (replied) or a positive errno to answer ---- */

struct req {
	struct keyd_core	*k;
	struct keyd_client	*cl;
	const struct pfkey_msg	*m;
	uint64_t		 now_ms;
	keyd_send_fn		*send;
	void			*arg;
	struct keyd_effect	*eff;
};

static int
on_getspi(struct req *r)
{
	struct sa_params p;
	struct sadb_sa *sa;
	int error;

	sadb_params_from_msg(r->m, &p);
	if ((error = sadb_getspi(r->k->db, &p,
	    pfkey_msg_has(r->m, PARAPET_SADB_EXT_SPIRANGE) ? &r->m->spirange :
	    NULL, r->k->rnd, r->k->rnd_arg, r->now_ms, &sa)) != 0)
		return -error;
	/* A key manager at work on an acquire: its timeout restarts. */
	if (r->k->acq != NULL)
		(void)acquire_touch(r->k->acq, r->m->hdr.seq, r->now_ms);
	return reply_sa(r->k, r->m, sa, false, KEYD_DEST_ONE, r->send, r->arg);
}

static int
on_add_update(struct req *r)
{
	struct sa_params p;
	struct sadb_sa *sa;
	bool fresh = true;
	int error;

	if ((error = check_algs(r->k, r->m)) != 0)
		return error;
	sadb_params_from_msg(r->m, &p);
	if (r->m->hdr.type == PARAPET_SADB_ADD)
		error = sadb_add(r->k->db, &p, r->now_ms, &sa);
	else {
		/* Only a LARVAL SA becomes usable by UPDATE. */
		sa = sadb_lookup(r->k->db, r->m->hdr.satype, r->m->sa.spi,
		    &r->m->dst.sa);
		fresh = sa != NULL && sadb_sa_state(sa) == SA_STATE_LARVAL;
		error = sadb_update(r->k->db, &p, r->now_ms, &sa);
	}
	if (error != 0)
		return -error;
	tell_sa(r->k, fresh ? KEYD_SA_INSTALL : KEYD_SA_UPDATE,
	    KEYD_SA_REASON_NONE, sa);
	acq_complete(r->k, r->m, sa);
	/* RFC 2367 §3.1.3/§3.1.4: to everyone, keys stripped. */
	return reply_sa(r->k, r->m, sa, false, KEYD_DEST_ALL, r->send, r->arg);
}

static int
on_delete(struct req *r)
{
	struct sadb_sa *sa;
	struct pfkey_hdr h;
	size_t len;
	int error;

	sa = sadb_lookup(r->k->db, r->m->hdr.satype, r->m->sa.spi,
	    &r->m->dst.sa);
	if (sa == NULL)
		return ESRCH;
	reply_hdr(r->m, &h);
	if ((error = build_sa(r->k, sa, false, &h, &len)) != 0)
		return -error;
	tell_sa(r->k, KEYD_SA_DELETE, KEYD_SA_REASON_DELETE, sa);
	sadb_delete(r->k->db, sa);
	emit(r->k, KEYD_DEST_ALL, h.satype, h.type, len, r->send, r->arg);
	return 0;
}

static int
on_get(struct req *r)
{
	struct sadb_sa *sa;

	sa = sadb_lookup(r->k->db, r->m->hdr.satype, r->m->sa.spi,
	    &r->m->dst.sa);
	if (sa == NULL)
		return ESRCH;
	/* Linux includes the keys in GET replies. */
	return reply_sa(r->k, r->m, sa, true, KEYD_DEST_ONE, r->send, r->arg);
}

/* A reply that is the request's header alone. */
static int
reply_header(struct req *r, enum keyd_dest dest)
{
	struct pfkey_build b;
	struct pfkey_hdr h;
	size_t len;
	int error;

	reply_hdr(r->m, &h);
	pfkey_build_begin(&b, r->k->buf, sizeof(r->k->buf), &h);
	if ((error = pfkey_build_end(&b, &len)) != 0)
		return -error;
	emit(r->k, dest, h.satype, h.type, len, r->send, r->arg);
	return 0;
}

static int
on_flush(struct req *r)
{
	(void)sadb_flush(r->k->db, r->m->hdr.satype,
	    r->k->hooks.sa_change != NULL ? flush_visit : NULL, r->k);
	return reply_header(r, KEYD_DEST_ALL);
}

static int
on_dump(struct req *r)
{
	if (sadb_count(r->k->db, r->m->hdr.satype) == 0)
		return ENOENT;		/* Linux: an empty dump */
	r->eff->dump = true;
	r->eff->dump_satype = r->m->hdr.satype;
	r->eff->dump_hdr = r->m->hdr;
	return 0;
}

static int
on_register(struct req *r)
{
	struct pfkey_alg auth[nitems(keyd_algs)], enc[nitems(keyd_algs)];
	uint8_t satype = r->m->hdr.satype;
	size_t i, na = 0, ne = 0, len;
	struct pfkey_build b;
	struct pfkey_hdr h;
	int error;

	/*
	 * SA type 0 means every type (ipsec-tools setkey; DESIGN §10.5). A
	 * second REGISTER of one type is EEXIST (Linux pfkey_register()).
	 */
	if (satype == PARAPET_SADB_SATYPE_UNSPEC)
		r->cl->registered = UINT32_MAX;
	else if ((r->cl->registered & BIT(satype)) != 0 &&
	    r->cl->registered != UINT32_MAX)
		return EEXIST;
	else
		r->cl->registered |= BIT(satype);
	for (i = 0; i < nitems(keyd_algs); i++) {
		const struct keyd_alg *a = &keyd_algs[i];
		struct pfkey_alg pa = { a->id, a->ivlen, a->minbits,
		    a->maxbits };

		if (!keyd_core_alg_offered(r->k, a))
			continue;
		if (a->encrypt)
			enc[ne++] = pa;
		else
			auth[na++] = pa;
	}
	reply_hdr(r->m, &h);
	pfkey_build_begin(&b, r->k->buf, sizeof(r->k->buf), &h);
	if (satype == PARAPET_SADB_SATYPE_UNSPEC ||
	    satype == PARAPET_SADB_SATYPE_AH || satype == PARAPET_SADB_SATYPE_ESP)
		pfkey_build_supported(&b, PARAPET_SADB_EXT_SUPPORTED_AUTH,
		    auth, na);
	if (satype == PARAPET_SADB_SATYPE_UNSPEC ||
	    satype == PARAPET_SADB_SATYPE_ESP)
		pfkey_build_supported(&b, PARAPET_SADB_EXT_SUPPORTED_ENCRYPT,
		    enc, ne);
	if ((error = pfkey_build_end(&b, &len)) != 0)
		return -error;
	emit(r->k, KEYD_DEST_REGISTERED, satype, h.type, len, r->send, r->arg);
	return 0;
}

static int
on_promisc(struct req *r)
{
	/* Linux pfkey_promisc(): set, then echo the request to everyone. */
	r->cl->promisc = r->m->hdr.satype != 0;
	return reply_header(r, KEYD_DEST_ALL);
}

static int
on_acquire(struct req *r)
{
	struct acquire a;

	/*
	 * A negative ACQUIRE gets no reply (issue 3 item 11) and ends the
	 * acquire with its seq (Linux pfkey_acquire(): the ACQ state goes to
	 * ERROR). A positive one from a client is not relayed.
	 */
	if (r->m->hdr.msg_errno != 0) {
		if (r->k->acq != NULL &&
		    acquire_end(r->k->acq, r->m->hdr.seq, &a) == 0 &&
		    r->k->hooks.acquire_done != NULL)
			r->k->hooks.acquire_done(&a, ACQUIRE_REFUSED,
			    r->m->hdr.msg_errno, r->k->hooks.arg);
		return 0;
	}
	return EOPNOTSUPP;
}

typedef int req_handler_fn(struct req *);

static req_handler_fn *const handlers[PARAPET_SADB_MAX + 1] = {
	[PARAPET_SADB_GETSPI] = on_getspi,
	[PARAPET_SADB_UPDATE] = on_add_update,
	[PARAPET_SADB_ADD] = on_add_update,
	[PARAPET_SADB_DELETE] = on_delete,
	[PARAPET_SADB_GET] = on_get,
	[PARAPET_SADB_ACQUIRE] = on_acquire,
	[PARAPET_SADB_REGISTER] = on_register,
	[PARAPET_SADB_FLUSH] = on_flush,
	[PARAPET_SADB_DUMP] = on_dump,
	[PARAPET_SADB_X_PROMISC] = on_promisc,
	/* The SPD messages are policyd's: not relayed yet (EOPNOTSUPP). */
};
_Static_assert(nitems(handlers) == PARAPET_SADB_MAX + 1, "handlers");

void
keyd_core_request(struct keyd_core *k, struct keyd_client *cl,
    const struct pfkey_msg *m, uint64_t now_ms, keyd_send_fn *send, void *arg,
    struct keyd_effect *eff)
{
	struct req r = { k, cl, m, now_ms, send, arg, eff };
	req_handler_fn *h = NULL;
	int error;

	memset(eff, 0, sizeof(*eff));
	if (m->hdr.type < nitems(handlers))
		h = handlers[m->hdr.type];
	error = h != NULL ? h(&r) : EOPNOTSUPP;
	if (error != 0) {
		eff->error = error;
		keyd_core_error(k, &m->hdr, error, send, arg);
	}
}

int
keyd_core_dump_reply(const struct keyd_core *k, const struct sadb_sa *sa,
    const struct pfkey_hdr *hdr, uint32_t seq, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct pfkey_msg v;

	sadb_sa_view(sa, true, k->wall_offset_ms, &v);
	memset(&v.hdr, 0, sizeof(v.hdr));
	v.hdr.version = PARAPET_PF_KEY_V2;
	v.hdr.type = PARAPET_SADB_DUMP;
	v.hdr.satype = sadb_sa_satype(sa);
	v.hdr.seq = seq;
	v.hdr.pid = hdr->pid;
	return pfkey_build_msg(&v, buf, cap, len);
}

void
keyd_core_expire(struct keyd_core *k, const struct sa_event *ev,
    keyd_send_fn *send, void *arg)
{
	struct pfkey_msg v;
	size_t len;

	if (ev->trigger == SA_TRIGGER_LARVAL)
		return;
	sadb_sa_view(ev->sa, false, k->wall_offset_ms, &v);
	memset(&v.hdr, 0, sizeof(v.hdr));
	v.hdr.version = PARAPET_PF_KEY_V2;
	v.hdr.type = PARAPET_SADB_EXPIRE;
	v.hdr.satype = sadb_sa_satype(ev->sa);
	/* Exactly one of hard and soft: the one that ran out. */
	if (ev->kind == SA_EVENT_SOFT) {
		v.present &= ~BIT(PARAPET_SADB_EXT_LIFETIME_HARD);
		v.present |= BIT(PARAPET_SADB_EXT_LIFETIME_SOFT);
	} else {
		v.present &= ~BIT(PARAPET_SADB_EXT_LIFETIME_SOFT);
		v.present |= BIT(PARAPET_SADB_EXT_LIFETIME_HARD);
	}
	/* ipsecd first: a hard expiry must stop the SA's use at once. */
	if (ev->kind == SA_EVENT_SOFT)
		tell_sa(k, KEYD_SA_UPDATE, KEYD_SA_REASON_NONE, ev->sa);
	else
		tell_sa(k, KEYD_SA_DELETE, KEYD_SA_REASON_EXPIRED, ev->sa);
	if (pfkey_build_msg(&v, k->buf, sizeof(k->buf), &len) != 0)
		return;
	emit(k, KEYD_DEST_REGISTERED, v.hdr.satype, v.hdr.type, len, send,
	    arg);
}

/* Linux dump_esp_combs()/dump_ah_combs() lifetimes, seconds. */
#define ACQ_HARD_ADDTIME	(UINT64_C(24) * 60 * 60)
#define ACQ_SOFT_ADDTIME	(UINT64_C(20) * 60 * 60)
#define ACQ_HARD_USETIME	(UINT64_C(8) * 60 * 60)
#define ACQ_SOFT_USETIME	(UINT64_C(7) * 60 * 60)
#define ACQ_REPLAY		32

static void
comb_set(struct pfkey_comb *c, const struct keyd_alg *aa,
    const struct keyd_alg *ea)
{
	memset(c, 0, sizeof(*c));
	if (aa != NULL) {
		c->auth = aa->id;
		c->auth_minbits = aa->minbits;
		c->auth_maxbits = aa->maxbits;
	}
	if (ea != NULL) {
		c->encrypt = ea->id;
		c->encrypt_minbits = ea->minbits;
		c->encrypt_maxbits = ea->maxbits;
	}
	c->hard_addtime = ACQ_HARD_ADDTIME;
	c->soft_addtime = ACQ_SOFT_ADDTIME;
	c->hard_usetime = ACQ_HARD_USETIME;
	c->soft_usetime = ACQ_SOFT_USETIME;
}

/*
 * The proposal: for AH every authentication algorithm; for ESP every
 * AEAD alone and every other cipher (NULL) with every authentication
 * algorithm. Returns how many combs.
 */
static size_t
acq_combs(const struct keyd_core *k, uint8_t satype, struct pfkey_comb *c,
    size_t cap)
{
	size_t i, j, n = 0;

	for (i = 0; i < nitems(keyd_algs); i++) {
		const struct keyd_alg *e = &keyd_algs[i];

		if (!keyd_core_alg_offered(k, e))
			continue;
		if (satype == PARAPET_SADB_SATYPE_AH) {
			if (!e->encrypt && n < cap)
				comb_set(&c[n++], e, NULL);
			continue;
		}
		if (!e->encrypt)
			continue;
		if (e->aead) {
			if (n < cap)
				comb_set(&c[n++], NULL, e);
			continue;
		}
		for (j = 0; j < nitems(keyd_algs); j++)
			if (!keyd_algs[j].encrypt && n < cap &&
			    keyd_core_alg_offered(k, &keyd_algs[j]))
				comb_set(&c[n++], &keyd_algs[j], e);
	}
	return n;
}

static void
acq_addr(struct pfkey_address *out, const struct pfkey_sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	out->proto = 0;		/* Linux: sadb_address_proto 0 */
	out->prefixlen = sa->family == AF_INET6 ? 128 : 32;
	out->sa.family = sa->family;
	memcpy(out->sa.addr, sa->addr, sizeof(out->sa.addr));
}

int
keyd_core_acquire(struct keyd_core *k, const struct acquire *a,
    keyd_send_fn *send, void *arg)
{
	struct pfkey_comb combs[nitems(keyd_algs) * nitems(keyd_algs)];
	struct pfkey_address src, dst;
	struct pfkey_policy pol;
	struct pfkey_build b;
	struct pfkey_hdr h;
	size_t n, len;
	int error;

	if ((n = acq_combs(k, a->satype, combs, nitems(combs))) == 0)
		return -ENOENT;
	memset(&h, 0, sizeof(h));
	h.version = PARAPET_PF_KEY_V2;
	h.type = PARAPET_SADB_ACQUIRE;
	h.satype = a->satype;
	h.seq = a->seq;
	acq_addr(&src, &a->src);
	acq_addr(&dst, &a->dst);
	memset(&pol, 0, sizeof(pol));
	pol.type = PARAPET_IPSEC_POLICY_IPSEC;
	pol.dir = a->dir;
	pol.id = a->policy_id;
	pfkey_build_begin(&b, k->buf, sizeof(k->buf), &h);
	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_SRC, &src);
	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_DST, &dst);
	pfkey_build_policy(&b, &pol);
	pfkey_build_prop(&b, ACQ_REPLAY, combs, n);
	if ((error = pfkey_build_end(&b, &len)) != 0)
		return error;
	emit(k, KEYD_DEST_REGISTERED, a->satype, h.type, len, send, arg);
	return 0;
}
