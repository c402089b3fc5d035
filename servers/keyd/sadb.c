/*
 * sadb.c - the SA database: records, indexes, ADD, UPDATE, DELETE, FLUSH,
 * lookups. GETSPI is in spi.c, lifetimes in expire.c, the PF_KEY view and
 * DUMP cursors in sadb_view.c.
 *
 * Pure: no I/O, no clock, no randomness of its own (sadb.h). What is
 * left to the shell: PF_KEY replies and broadcasts, bus messages to
 * ipsecd, arming the timer at sadb_next_deadline(), streaming DUMP.
 *
 * Inputs are validated PF_KEY messages; the checks here are the ones the
 * SADB's own memory safety depends on (SA type, families, lengths), plus
 * the semantic ones (duplicates, states, SPI ranges). Key bytes are only
 * ever copied into key slots and wiped when they go.
 *
 * Layout (docs/DESIGN.md §10.6 has the figures):
 *
 *   primary[h(satype, spi, dst)] -> sa -> sa ...	(h_next)
 *   reqid[h(reqid)]              -> sa <-> sa ...	(r_next, r_pprev)
 *   pair[h(satype, src, dst)]    -> sa <-> sa ...	(p_next, p_pprev)
 *   seq[h(satype, seq, src, dst)] -> sa <-> sa ...	(s_next, s_pprev;
 *                                  LARVAL SAs with a GETSPI seq only)
 *   list[type]: head <-> sa <-> sa <-> tail		(l_prev, l_next)
 *   heap: [(deadline, sa)], sa->heap_idx		(one entry per SA)
 *   keys: SADB_KEY_CHUNK_BYTES chunks from the hook, carved into
 *         power-of-two slots (32 .. 1024 bytes) with free lists.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sadb_impl.h"

int
sadb_type_idx(uint8_t satype)
{
	switch (satype) {
	case PARAPET_SADB_SATYPE_AH:
		return 0;
	case PARAPET_SADB_SATYPE_ESP:
		return 1;
	case PARAPET_SADB_X_SATYPE_IPCOMP:
		return 2;
	default:
		return -1;
	}
}

/* --- Hashing (SipHash-2-4, keyed by the shell's random seed) ---------- */

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t
siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
	uint64_t k0, k1, v[4], m, b;
	size_t i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v[0] = UINT64_C(0x736f6d6570736575) ^ k0;
	v[1] = UINT64_C(0x646f72616e646f6d) ^ k1;
	v[2] = UINT64_C(0x6c7967656e657261) ^ k0;
	v[3] = UINT64_C(0x7465646279746573) ^ k1;
	b = (uint64_t)len << 56;
	for (; len >= 8; in += 8, len -= 8) {
		memcpy(&m, in, 8);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (i = 0; i < len; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static size_t
addr_len(uint16_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

bool
sadb_family_ok(uint16_t family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Family and address bytes only (sadb.h: ports etc. are not matched). */
static bool
addr_eq(const struct pfkey_sockaddr *a, const struct pfkey_sockaddr *b)
{
	return a->family == b->family &&
	    memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

static void
addr_key(uint8_t *out, const struct pfkey_sockaddr *a)
{
	memset(out, 0, 16);
	memcpy(out, a->addr, addr_len(a->family));
}

static uint64_t
hash_primary(const struct sadb *db, uint8_t satype, uint32_t spi,
    const struct pfkey_sockaddr *dst)
{
	uint8_t k[24];

	k[0] = satype;
	k[1] = (uint8_t)dst->family;
	k[2] = k[3] = 0;
	memcpy(k + 4, &spi, 4);
	addr_key(k + 8, dst);
	return siphash(db->lim.hash_seed, k, sizeof(k));
}

static uint64_t
hash_pair(const struct sadb *db, uint8_t satype,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	uint8_t k[40];

	memset(k, 0, 8);
	k[0] = satype;
	k[1] = (uint8_t)dst->family;
	addr_key(k + 8, src);
	addr_key(k + 24, dst);
	return siphash(db->lim.hash_seed, k, sizeof(k));
}

static uint64_t
hash_seq(const struct sadb *db, uint8_t satype, uint32_t seq,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	uint8_t k[40];

	memset(k, 0, 8);
	k[0] = satype;
	k[1] = (uint8_t)dst->family;
	memcpy(k + 4, &seq, 4);
	addr_key(k + 8, src);
	addr_key(k + 24, dst);
	return siphash(db->lim.hash_seed, k, sizeof(k));
}

static uint64_t
hash_reqid(const struct sadb *db, uint32_t reqid)
{
	uint8_t k[4];

	memcpy(k, &reqid, 4);
	return siphash(db->lim.hash_seed, k, sizeof(k));
}

/*
 * Four chained tables with their own link member. They grow together,
 * doubling when the SAs outnumber the buckets (load factor <= 1).
 * XXX growth rehashes at once: about 10 ms at a million SAs; an
 * incremental rehash can come if that ever matters to latency.
 * TAB_SEQ indexes LARVAL SAs with a non-zero seq (GETSPI's "ask again",
 * RFC 2367 §3.1.1), so that lookup does not walk the pair chain.
 */
enum tab { TAB_PRIMARY, TAB_REQID, TAB_PAIR, TAB_SEQ, NTABS };

/* FLUSH of at least this many SAs filters the tables in one pass. */
#define SADB_FLUSH_BULK_MIN	64

static struct sadb_sa **
link_of(struct sadb_sa *sa, enum tab t)
{
	switch (t) {
	case TAB_PRIMARY:
		return &sa->h_next;
	case TAB_REQID:
		return &sa->r_next;
	case TAB_PAIR:
		return &sa->p_next;
	default:
		return &sa->s_next;
	}
}

/* The back link of t's chain; NULL for the primary chain (walked). */
static struct sadb_sa ***
pprev_of(struct sadb_sa *sa, enum tab t)
{
	switch (t) {
	case TAB_PRIMARY:
		return NULL;
	case TAB_REQID:
		return &sa->r_pprev;
	case TAB_PAIR:
		return &sa->p_pprev;
	default:
		return &sa->s_pprev;
	}
}

static struct htab *
tab_of(struct sadb *db, enum tab t)
{
	switch (t) {
	case TAB_PRIMARY:
		return &db->primary;
	case TAB_REQID:
		return &db->reqid;
	case TAB_PAIR:
		return &db->pair;
	default:
		return &db->seq;
	}
}

static uint64_t
hash_of(const struct sadb *db, const struct sadb_sa *sa, enum tab t)
{
	switch (t) {
	case TAB_PRIMARY:
		return hash_primary(db, sa->satype, sa->sa.spi, &sa->dst.sa);
	case TAB_REQID:
		return hash_reqid(db, sa->reqid);
	case TAB_PAIR:
		return hash_pair(db, sa->satype, &sa->src.sa, &sa->dst.sa);
	default:
		return hash_seq(db, sa->satype, sa->seq, &sa->src.sa,
		    &sa->dst.sa);
	}
}

static bool
indexed(const struct sadb_sa *sa, enum tab t)
{
	switch (t) {
	case TAB_REQID:
		return sa->reqid != 0;
	case TAB_SEQ:
		return sa->sa.state == SA_STATE_LARVAL && sa->seq != 0;
	default:
		return true;
	}
}

/* *pp = sa, keeping the back link of the chain it points into. */
static void
chain_set(struct sadb_sa **pp, struct sadb_sa *sa, enum tab t)
{
	*pp = sa;
	if (sa != NULL && pprev_of(sa, t) != NULL)
		*pprev_of(sa, t) = pp;
}

static void
tab_insert(struct sadb *db, struct sadb_sa *sa, enum tab t)
{
	struct htab *h = tab_of(db, t);
	size_t i;

	if (!indexed(sa, t))
		return;
	i = (size_t)hash_of(db, sa, t) & h->mask;
	chain_set(link_of(sa, t), h->b[i], t);
	chain_set(&h->b[i], sa, t);
}

static void
tab_remove(struct sadb *db, struct sadb_sa *sa, enum tab t)
{
	struct htab *h = tab_of(db, t);
	struct sadb_sa ***back = pprev_of(sa, t), **pp;

	if (back != NULL) {
		/* O(1); NULL: not on the chain (reqid 0, not larval). */
		if (*back == NULL)
			return;
		chain_set(*back, *link_of(sa, t), t);
		*link_of(sa, t) = NULL;
		*back = NULL;
		return;
	}
	pp = &h->b[(size_t)hash_of(db, sa, t) & h->mask];
	while (*pp != NULL && *pp != sa)
		pp = link_of(*pp, t);
	assert(*pp == sa);	/* our own invariant: every SA is indexed */
	if (*pp == NULL)
		return;
	*pp = *link_of(sa, t);
	*link_of(sa, t) = NULL;
}

/*
 * Take every SA of the SA type indexes t0..t1 out of table t: one pass
 * over the buckets (FLUSH; see sadb_flush()).
 */
static void
tab_filter(struct sadb *db, enum tab t, int t0, int t1)
{
	struct htab *h = tab_of(db, t);
	struct sadb_sa **pp, *sa;
	size_t i;
	int ti;

	for (i = 0; i <= h->mask; i++) {
		pp = &h->b[i];
		while ((sa = *pp) != NULL) {
			ti = sadb_type_idx(sa->satype);
			if (ti >= t0 && ti <= t1) {
				chain_set(pp, *link_of(sa, t), t);
				*link_of(sa, t) = NULL;
				if (pprev_of(sa, t) != NULL)
					*pprev_of(sa, t) = NULL;
			} else
				pp = link_of(sa, t);
		}
	}
}

static int
tab_init(struct htab *h, size_t nbuckets)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	h->b = calloc(nbuckets, sizeof(*h->b));
	if (h->b == NULL)
		return -ENOMEM;
	h->mask = nbuckets - 1;
	return 0;
}

static int
tabs_grow(struct sadb *db)
{
	struct htab nt[NTABS], old[NTABS];
	size_t nb = (db->primary.mask + 1) * 2, i, k;
	struct sadb_sa *sa;

	for (k = 0; k < NTABS; k++) {
		if (tab_init(&nt[k], nb) != 0) {
			while (k-- > 0)
				free(nt[k].b);
			return -ENOMEM;
		}
	}
	for (k = 0; k < NTABS; k++) {
		old[k] = *tab_of(db, (enum tab)k);
		*tab_of(db, (enum tab)k) = nt[k];
	}
	for (i = 0; i < NTYPES; i++)
		for (sa = db->head[i]; sa != NULL; sa = sa->l_next)
			for (k = 0; k < NTABS; k++)
				tab_insert(db, sa, (enum tab)k);
	for (k = 0; k < NTABS; k++)
		free(old[k].b);
	return 0;
}

/* --- Key memory --------------------------------------------------------- */

static void *
default_alloc(size_t len, void *arg)
{
	(void)arg;
	return malloc(len);
}

static void
default_free(void *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free(p);
}

static unsigned int
key_class(size_t len)
{
	unsigned int c = 0;

	while (((size_t)KEY_CLASS_MIN << c) < len)
		c++;
	return c;
}

static uint8_t *
key_get(struct sadb *db, unsigned int c)
{
	size_t sz = (size_t)KEY_CLASS_MIN << c;
	struct key_chunk *k;
	uint8_t *p;

	if ((p = db->key_free[c]) != NULL) {
		memcpy(&db->key_free[c], p, sizeof(uint8_t *));
		memset(p, 0, sizeof(void *));	/* the free-list link */
		return p;
	}
	if (db->chunk_left < sz) {
		/* XXX the tail of the old chunk is lost: < 1 KiB per 64. */
		if ((k = malloc(sizeof(*k))) == NULL)
			return NULL;
		k->mem = db->lim.key_alloc.alloc(SADB_KEY_CHUNK_BYTES,
		    db->lim.key_alloc.arg);
		if (k->mem == NULL) {
			free(k);
			return NULL;
		}
		k->next = db->chunks;
		db->chunks = k;
		db->nchunks++;
		db->chunk_cur = k->mem;
		db->chunk_left = SADB_KEY_CHUNK_BYTES;
	}
	p = db->chunk_cur;
	db->chunk_cur += sz;
	db->chunk_left -= sz;
	return p;
}

/* Wipe the slot and put it on its free list. */
static void
key_put(struct sadb *db, uint8_t *p, unsigned int c)
{
	if (p == NULL)
		return;
	explicit_bzero(p, (size_t)KEY_CLASS_MIN << c);
	memcpy(p, &db->key_free[c], sizeof(uint8_t *));
	db->key_free[c] = p;
}

/* --- Records ------------------------------------------------------------ */

static size_t
extras_bytes(const struct sa_params *p)
{
	size_t n = 0;

	if (p->present & BIT(PARAPET_SADB_EXT_IDENTITY_SRC))
		n += p->ident_src.len_bytes;
	if (p->present & BIT(PARAPET_SADB_EXT_IDENTITY_DST))
		n += p->ident_dst.len_bytes;
	if (p->present & BIT(PARAPET_SADB_EXT_SENSITIVITY))
		n += 8 * ((size_t)p->sens.sens_len + p->sens.integ_len);
	if (p->present & BIT(PARAPET_SADB_X_EXT_KMPRIVATE))
		n += p->kmprivate.len_bytes;
	if (p->present & BIT(PARAPET_SADB_X_EXT_SEC_CTX))
		n += p->sec_ctx.len_bytes;
	return n;
}

static bool
params_ok(const struct sa_params *p)
{
	uint32_t pr = p->present;

	if (sadb_type_idx(p->satype) < 0 || p->sa.spi == 0 ||
	    !sadb_family_ok(p->src.sa.family) ||
	    p->src.sa.family != p->dst.sa.family)
		return false;
	if (p->sa.state != SA_STATE_LARVAL && p->sa.state != SA_STATE_MATURE)
		return false;
	if ((pr & BIT(PARAPET_SADB_EXT_KEY_AUTH)) &&
	    (p->key_auth.len_bytes > PFKEY_KEY_MAX_BYTES ||
	    (p->key_auth.len_bytes != 0 && p->key_auth.data == NULL)))
		return false;
	if ((pr & BIT(PARAPET_SADB_EXT_KEY_ENCRYPT)) &&
	    (p->key_encrypt.len_bytes > PFKEY_KEY_MAX_BYTES ||
	    (p->key_encrypt.len_bytes != 0 && p->key_encrypt.data == NULL)))
		return false;
	if ((pr & BIT(PARAPET_SADB_EXT_IDENTITY_SRC)) &&
	    p->ident_src.len_bytes > PFKEY_IDENT_MAX_BYTES + 8)
		return false;
	if ((pr & BIT(PARAPET_SADB_EXT_IDENTITY_DST)) &&
	    p->ident_dst.len_bytes > PFKEY_IDENT_MAX_BYTES + 8)
		return false;
	if ((pr & BIT(PARAPET_SADB_X_EXT_KMPRIVATE)) &&
	    p->kmprivate.len_bytes > PFKEY_KMPRIVATE_MAX_BYTES)
		return false;
	if ((pr & BIT(PARAPET_SADB_X_EXT_SEC_CTX)) &&
	    p->sec_ctx.len_bytes > PFKEY_SEC_CTX_MAX_BYTES)
		return false;
	return true;
}

static void
put_bytes(uint8_t **cur, const uint8_t **dst, const uint8_t *src, size_t n)
{
	if (n != 0)
		memcpy(*cur, src, n);
	*dst = *cur;
	*cur += n;
}

static struct sa_extras *
extras_new(const struct sa_params *p)
{
	size_t n = extras_bytes(p);
	struct sa_extras *e;
	uint8_t *cur;

	if ((p->present & EXTRAS_MASK) == 0)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + n)) == NULL)
		return NULL;
	e->alloc_bytes = sizeof(*e) + n;
	cur = e->data;
	e->proxy = p->proxy;
	e->natt_oa = p->natt_oa;
	if (p->present & BIT(PARAPET_SADB_EXT_IDENTITY_SRC)) {
		e->ident_src = p->ident_src;
		put_bytes(&cur, &e->ident_src.data, p->ident_src.data,
		    p->ident_src.len_bytes);
	}
	if (p->present & BIT(PARAPET_SADB_EXT_IDENTITY_DST)) {
		e->ident_dst = p->ident_dst;
		put_bytes(&cur, &e->ident_dst.data, p->ident_dst.data,
		    p->ident_dst.len_bytes);
	}
	if (p->present & BIT(PARAPET_SADB_EXT_SENSITIVITY)) {
		e->sens = p->sens;
		put_bytes(&cur, &e->sens.sens_bitmap, p->sens.sens_bitmap,
		    8 * (size_t)p->sens.sens_len);
		put_bytes(&cur, &e->sens.integ_bitmap, p->sens.integ_bitmap,
		    8 * (size_t)p->sens.integ_len);
	}
	if (p->present & BIT(PARAPET_SADB_X_EXT_KMPRIVATE)) {
		e->kmprivate = p->kmprivate;
		put_bytes(&cur, &e->kmprivate.data, p->kmprivate.data,
		    p->kmprivate.len_bytes);
	}
	if (p->present & BIT(PARAPET_SADB_X_EXT_SEC_CTX)) {
		e->sec_ctx = p->sec_ctx;
		put_bytes(&cur, &e->sec_ctx.ctx, p->sec_ctx.ctx,
		    p->sec_ctx.len_bytes);
	}
	return e;
}

/*
 * Everything of p an ADD or a larval UPDATE stores, except the indexed
 * members (satype, SPI, destination, source, reqid), which the caller
 * sets around unindexing and reindexing. Allocates first, so that a
 * failure leaves sa as it was.
 */
static int
sa_fill(struct sadb *db, struct sadb_sa *sa, const struct sa_params *p)
{
	size_t alen = 0, elen = 0;
	struct sa_extras *ext;
	uint8_t *keys = NULL;
	unsigned int c = 0;

	if (p->present & BIT(PARAPET_SADB_EXT_KEY_AUTH))
		alen = p->key_auth.len_bytes;
	if (p->present & BIT(PARAPET_SADB_EXT_KEY_ENCRYPT))
		elen = p->key_encrypt.len_bytes;
	if (alen + elen != 0) {
		c = key_class(alen + elen);
		if ((keys = key_get(db, c)) == NULL)
			return -ENOMEM;
		if (alen != 0)
			memcpy(keys, p->key_auth.data, alen);
		if (elen != 0)
			memcpy(keys + alen, p->key_encrypt.data, elen);
	}
	ext = extras_new(p);
	if ((p->present & EXTRAS_MASK) != 0 && ext == NULL) {
		key_put(db, keys, c);
		return -ENOMEM;
	}
	key_put(db, sa->keys, sa->key_class);
	if (sa->ext != NULL) {
		db->sa_bytes -= sa->ext->alloc_bytes;
		free(sa->ext);
	}
	sa->keys = keys;
	sa->key_class = (uint8_t)c;
	sa->key_auth_len = (uint16_t)alen;
	sa->key_enc_len = (uint16_t)elen;
	sa->ext = ext;
	if (ext != NULL)
		db->sa_bytes += ext->alloc_bytes;
	sa->present = p->present & SADB_PARAMS_EXT_MASK;
	sa->sa.replay = p->sa.replay;
	sa->sa.auth = p->sa.auth;
	sa->sa.encrypt = p->sa.encrypt;
	sa->sa.flags = p->sa.flags;
	sa->hard = p->lft_hard;
	sa->soft = p->lft_soft;
	sa->mode = p->sa2.mode;
	sa->natt_type = p->natt_type;
	sa->natt_sport = p->natt_sport;
	sa->natt_dport = p->natt_dport;
	return 0;
}

struct sadb_sa *
sadb_sa_new(struct sadb *db)
{
	struct sadb_sa *sa;

	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		return NULL;
	sa->heap_idx = NO_HEAP;
	sa->store = SADB_NO_HANDLE;
	sa->gen = ++db->last_gen;
	db->sa_bytes += sizeof(*sa);
	return sa;
}

static void
sa_free(struct sadb *db, struct sadb_sa *sa)
{
	key_put(db, sa->keys, sa->key_class);
	if (sa->ext != NULL) {
		db->sa_bytes -= sa->ext->alloc_bytes;
		explicit_bzero(sa->ext, sa->ext->alloc_bytes);
		free(sa->ext);
	}
	db->sa_bytes -= sizeof(*sa);
	explicit_bzero(sa, sizeof(*sa));
	free(sa);
}

/* Room for one more SA in every index; call before sadb_sa_link(). */
int
sadb_reserve_one(struct sadb *db)
{
	int error;

	if (db->lim.max_sas != 0 && db->n >= db->lim.max_sas)
		return -ENOBUFS;
	if (db->n + 1 > db->primary.mask + 1 && (error = tabs_grow(db)) != 0)
		return error;
	return sadb_heap_reserve(db, db->n + 1);
}

void
sadb_sa_link(struct sadb *db, struct sadb_sa *sa)
{
	int t = sadb_type_idx(sa->satype);

	tab_insert(db, sa, TAB_PRIMARY);
	tab_insert(db, sa, TAB_REQID);
	tab_insert(db, sa, TAB_PAIR);
	tab_insert(db, sa, TAB_SEQ);
	sa->l_prev = db->tail[t];
	sa->l_next = NULL;
	if (db->tail[t] != NULL)
		db->tail[t]->l_next = sa;
	else
		db->head[t] = sa;
	db->tail[t] = sa;
	db->ntype[t]++;
	db->n++;
	sadb_reschedule(db, sa);
}

/*
 * Unlink from everything (from the hash tables unless tab_filter() did
 * already: indexed false), move cursors on, wipe and free.
 */
static void
sa_destroy(struct sadb *db, struct sadb_sa *sa, bool indexed)
{
	int t = sadb_type_idx(sa->satype);
	struct sadb_cursor *c;

	for (c = db->cursors; c != NULL; c = c->c_next)
		if (c->c_sa == sa)
			c->c_sa = sa->l_next;
	if (sa->store != SADB_NO_HANDLE && db->lim.persist.del != NULL)
		db->lim.persist.del(db->lim.persist.arg, sa->store);
	if (indexed) {
		tab_remove(db, sa, TAB_PRIMARY);
		tab_remove(db, sa, TAB_REQID);
		tab_remove(db, sa, TAB_PAIR);
		tab_remove(db, sa, TAB_SEQ);
	}
	sadb_heap_remove(db, sa);
	if (sa->l_prev != NULL)
		sa->l_prev->l_next = sa->l_next;
	else
		db->head[t] = sa->l_next;
	if (sa->l_next != NULL)
		sa->l_next->l_prev = sa->l_prev;
	else
		db->tail[t] = sa->l_prev;
	db->ntype[t]--;
	db->n--;
	sa_free(db, sa);
}

void
sadb_sa_destroy(struct sadb *db, struct sadb_sa *sa)
{
	sa_destroy(db, sa, true);
}

/* Write sa's record (nothing without hooks). */
int
sadb_persist_put(struct sadb *db, struct sadb_sa *sa)
{
	int error;

	if (db->lim.persist.put == NULL)
		return 0;
	if ((error = db->lim.persist.put(db->lim.persist.arg, sa,
	    &sa->store)) != 0)
		db->persist_errors++;
	return error;
}

/* A change to an existing SA: written, or counted. */
void
sadb_persist_changed(struct sadb *db, struct sadb_sa *sa)
{
	if (sadb_persist_put(db, sa) != 0)
		return;		/* counted; the next change writes again */
}

/* A new SA is kept only if its record is written. */
int
sadb_persist_new(struct sadb *db, struct sadb_sa *sa)
{
	if (sadb_persist_put(db, sa) != 0) {
		sadb_sa_destroy(db, sa);
		return -ENOBUFS;
	}
	return 0;
}

uint64_t
sadb_persist_errors(const struct sadb *db)
{
	return db->persist_errors;
}

int
sadb_restore(struct sadb *db, const struct sa_params *p,
    const struct sa_restore *r, struct sadb_sa **out)
{
	struct sa_params q = *p;
	struct sadb_sa *sa, *old;
	int error;

	*out = NULL;
	if (r->state >= SA_STATE_DEAD || r->gen == 0)
		return -EINVAL;
	/* params_ok() wants an ADD's state; the record's state is r's. */
	q.sa.state = SA_STATE_MATURE;
	if (r->state != SA_STATE_LARVAL && !params_ok(&q))
		return -EINVAL;
	if (sadb_type_idx(p->satype) < 0 || !sadb_family_ok(p->dst.sa.family))
		return -EINVAL;
	if ((old = sadb_lookup(db, p->satype, p->sa.spi, &p->dst.sa)) != NULL)
		sadb_sa_destroy(db, old);
	if ((error = sadb_reserve_one(db)) != 0)
		return error;
	if ((sa = sadb_sa_new(db)) == NULL)
		return -ENOMEM;
	if (r->state != SA_STATE_LARVAL &&
	    (error = sa_fill(db, sa, &q)) != 0) {
		sa_free(db, sa);
		return error;
	}
	if (r->state == SA_STATE_LARVAL &&
	    (p->present & BIT(PARAPET_SADB_X_EXT_SA2))) {
		sa->present = BIT(PARAPET_SADB_X_EXT_SA2);
		sa->mode = p->sa2.mode;
	}
	sa->satype = p->satype;
	sa->sa.spi = p->sa.spi;
	sa->sa.state = r->state;
	sa->src = p->src;
	sa->dst = p->dst;
	sa->seq = r->seq;
	sa->reqid = (p->present & BIT(PARAPET_SADB_X_EXT_SA2)) ?
	    p->sa2.reqid : 0;
	sa->add_ms = r->add_ms;
	sa->use_ms = r->use_ms;
	sa->used = r->used;
	sa->cur_bytes = r->cur_bytes;
	sa->cur_allocs = r->cur_allocs;
	/* The generation it had: unique for the SADB's life, across keyd's
	 * restarts. */
	sa->gen = r->gen;
	if (db->last_gen < r->gen)
		db->last_gen = r->gen;
	sa->store = r->handle;
	sadb_sa_link(db, sa);
	*out = sa;
	return 0;
}

void
sadb_sa_restore_info(const struct sadb_sa *sa, struct sa_restore *r)
{
	memset(r, 0, sizeof(*r));
	r->state = sa->sa.state;
	r->used = sa->used;
	r->seq = sa->seq;
	r->cur_allocs = sa->cur_allocs;
	r->cur_bytes = sa->cur_bytes;
	r->add_ms = sa->add_ms;
	r->use_ms = sa->use_ms;
	r->gen = sa->gen;
	r->handle = sa->store;
}

/* --- Public API --------------------------------------------------------- */

void
sadb_params_from_msg(const struct pfkey_msg *m, struct sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->satype = m->hdr.satype;
	p->seq = m->hdr.seq;
	p->present = m->present & SADB_PARAMS_EXT_MASK;
	p->sa = m->sa;
	p->src = m->src;
	p->dst = m->dst;
	p->lft_hard = m->lft_hard;
	p->lft_soft = m->lft_soft;
	p->key_auth = m->key_auth;
	p->key_encrypt = m->key_encrypt;
	p->sa2 = m->sa2;
	p->natt_type = m->natt_type;
	p->natt_sport = m->natt_sport;
	p->natt_dport = m->natt_dport;
	p->natt_oa = m->natt_oa;
	p->proxy = m->proxy;
	p->ident_src = m->ident_src;
	p->ident_dst = m->ident_dst;
	p->sens = m->sens;
	p->kmprivate = m->kmprivate;
	p->sec_ctx = m->sec_ctx;
}

int
sadb_create(struct sadb **out, const struct sadb_limits *lim)
{
	struct sadb *db;
	int error;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -ENOMEM;
	db->lim = *lim;
	if (db->lim.larval_timeout_ms == 0)
		db->lim.larval_timeout_ms = SADB_LARVAL_TIMEOUT_MS;
	if (db->lim.key_alloc.alloc == NULL || db->lim.key_alloc.free == NULL) {
		db->lim.key_alloc.alloc = default_alloc;
		db->lim.key_alloc.free = default_free;
		db->lim.key_alloc.arg = NULL;
	}
	if ((error = tab_init(&db->primary, HASH_MIN)) != 0)
		goto fail;
	if ((error = tab_init(&db->reqid, HASH_MIN)) != 0)
		goto fail;
	if ((error = tab_init(&db->pair, HASH_MIN)) != 0)
		goto fail;
	if ((error = tab_init(&db->seq, HASH_MIN)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	free(db->seq.b);
	free(db->pair.b);
	free(db->reqid.b);
	free(db->primary.b);
	free(db);
	return error;
}

void
sadb_destroy(struct sadb *db)
{
	struct key_chunk *k;
	struct sadb_sa *sa, *next;
	int t;

	if (db == NULL)
		return;
	while (db->cursors != NULL)
		sadb_dump_end(db->cursors);
	for (t = 0; t < NTYPES; t++) {
		for (sa = db->head[t]; sa != NULL; sa = next) {
			next = sa->l_next;
			sa_free(db, sa);
		}
	}
	while ((k = db->chunks) != NULL) {
		db->chunks = k->next;
		explicit_bzero(k->mem, SADB_KEY_CHUNK_BYTES);
		db->lim.key_alloc.free(k->mem, SADB_KEY_CHUNK_BYTES,
		    db->lim.key_alloc.arg);
		free(k);
	}
	free(db->heap);
	free(db->primary.b);
	free(db->reqid.b);
	free(db->pair.b);
	free(db->seq.b);
	explicit_bzero(db->lim.hash_seed, sizeof(db->lim.hash_seed));
	free(db);
}

struct sadb_sa *
sadb_lookup(const struct sadb *db, uint8_t satype, uint32_t spi,
    const struct pfkey_sockaddr *dst)
{
	struct sadb_sa *sa;

	if (!sadb_family_ok(dst->family))
		return NULL;
	sa = db->primary.b[(size_t)hash_primary(db, satype, spi, dst) &
	    db->primary.mask];
	for (; sa != NULL; sa = sa->h_next)
		if (sa->sa.spi == spi && sa->satype == satype &&
		    addr_eq(&sa->dst.sa, dst))
			return sa;
	return NULL;
}

struct sadb_sa *
sadb_pair_first(const struct sadb *db, uint8_t satype,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	return db->pair.b[(size_t)hash_pair(db, satype, src, dst) &
	    db->pair.mask];
}

struct sadb_sa *
sadb_larval_by_seq(const struct sadb *db, uint8_t satype, uint32_t seq,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	struct sadb_sa *sa;

	if (seq == 0 || !sadb_family_ok(dst->family))
		return NULL;
	sa = db->seq.b[(size_t)hash_seq(db, satype, seq, src, dst) &
	    db->seq.mask];
	for (; sa != NULL; sa = sa->s_next)
		if (sa->seq == seq && sadb_pair_match(sa, satype, src, dst) &&
		    sa->sa.state == SA_STATE_LARVAL)
			return sa;
	return NULL;
}

bool
sadb_pair_match(const struct sadb_sa *sa, uint8_t satype,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	return sa->satype == satype && addr_eq(&sa->src.sa, src) &&
	    addr_eq(&sa->dst.sa, dst);
}

int
sadb_add(struct sadb *db, const struct sa_params *p, uint64_t now_ms,
    struct sadb_sa **out)
{
	struct sadb_sa *sa;
	int error;

	*out = NULL;
	if (!params_ok(p))
		return -EINVAL;
	if (sadb_lookup(db, p->satype, p->sa.spi, &p->dst.sa) != NULL)
		return -EEXIST;
	if ((error = sadb_reserve_one(db)) != 0)
		return error;
	if ((sa = sadb_sa_new(db)) == NULL)
		return -ENOMEM;
	if ((error = sa_fill(db, sa, p)) != 0) {
		sa_free(db, sa);
		return error;
	}
	sa->satype = p->satype;
	sa->sa.spi = p->sa.spi;
	sa->sa.state = SA_STATE_MATURE;	/* setkey's 0 means MATURE */
	sa->src = p->src;
	sa->dst = p->dst;
	sa->seq = p->seq;
	sa->reqid = (p->present & BIT(PARAPET_SADB_X_EXT_SA2)) ?
	    p->sa2.reqid : 0;
	sa->add_ms = now_ms;
	sadb_sa_link(db, sa);
	if ((error = sadb_persist_new(db, sa)) != 0)
		return error;
	*out = sa;
	return 0;
}

int
sadb_update(struct sadb *db, const struct sa_params *p, uint64_t now_ms,
    struct sadb_sa **out)
{
	struct sadb_sa *sa;
	int error, next;
	uint32_t keep;

	*out = NULL;
	if (!params_ok(p))
		return -EINVAL;
	if ((sa = sadb_lookup(db, p->satype, p->sa.spi, &p->dst.sa)) == NULL)
		return -ESRCH;
	if ((next = sadb_state_next((enum sa_state)sa->sa.state,
	    SA_OP_UPDATE)) < 0)
		return next;
	if (sa->sa.state != SA_STATE_LARVAL) {
		/* Lifetimes and NAT-T ports only (Linux xfrm_state_update). */
		keep = sa->present & ~(BIT(PARAPET_SADB_EXT_LIFETIME_HARD) |
		    BIT(PARAPET_SADB_EXT_LIFETIME_SOFT));
		sa->present = keep | (p->present &
		    (BIT(PARAPET_SADB_EXT_LIFETIME_HARD) |
		    BIT(PARAPET_SADB_EXT_LIFETIME_SOFT)));
		sa->hard = p->lft_hard;
		sa->soft = p->lft_soft;
		if (p->present & BIT(PARAPET_SADB_X_EXT_NAT_T_SPORT))
			sa->natt_sport = p->natt_sport;
		if (p->present & BIT(PARAPET_SADB_X_EXT_NAT_T_DPORT))
			sa->natt_dport = p->natt_dport;
		sadb_reschedule(db, sa);
		sadb_persist_changed(db, sa);
		*out = sa;
		return 0;
	}
	/* RFC 2367 §3.1.2: the UPDATE answers the GETSPI with its seq. */
	if (sa->seq != 0 && p->seq != sa->seq)
		return -EINVAL;
	if ((error = sa_fill(db, sa, p)) != 0)
		return error;
	/* Source and reqid may change: reindex those two. */
	tab_remove(db, sa, TAB_REQID);
	tab_remove(db, sa, TAB_PAIR);
	tab_remove(db, sa, TAB_SEQ);	/* no longer LARVAL */
	sa->src = p->src;
	sa->dst = p->dst;		/* same address; ports may differ */
	sa->reqid = (p->present & BIT(PARAPET_SADB_X_EXT_SA2)) ?
	    p->sa2.reqid : 0;
	tab_insert(db, sa, TAB_REQID);
	tab_insert(db, sa, TAB_PAIR);
	sa->sa.state = (uint8_t)next;
	sa->add_ms = now_ms;
	sadb_reschedule(db, sa);
	sadb_persist_changed(db, sa);
	*out = sa;
	return 0;
}

void
sadb_delete(struct sadb *db, struct sadb_sa *sa)
{
	sadb_sa_destroy(db, sa);
}

int
sadb_delete_spi(struct sadb *db, uint8_t satype, uint32_t spi,
    const struct pfkey_sockaddr *dst)
{
	struct sadb_sa *sa = sadb_lookup(db, satype, spi, dst);

	if (sa == NULL)
		return -ESRCH;
	sadb_sa_destroy(db, sa);
	return 0;
}

size_t
sadb_flush(struct sadb *db, uint8_t satype,
    void (*visit)(const struct sadb_sa *, void *), void *arg)
{
	int t, t0 = 0, t1 = NTYPES - 1;
	size_t n = 0, victims = 0;
	bool bulk;

	if (satype != PARAPET_SADB_SATYPE_UNSPEC) {
		if ((t0 = sadb_type_idx(satype)) < 0)
			return 0;
		t1 = t0;
	}
	/*
	 * Unlinking one SA walks its hash chains, and every SA between two
	 * hosts is on one pair chain: one by one, FLUSH of a million SAs
	 * between two hosts is quadratic (hours; bench_keyd found it). Many
	 * go at once: each table is filtered in one pass instead.
	 */
	for (t = t0; t <= t1; t++)
		victims += db->ntype[t];
	if ((bulk = victims >= SADB_FLUSH_BULK_MIN)) {
		tab_filter(db, TAB_PRIMARY, t0, t1);
		tab_filter(db, TAB_REQID, t0, t1);
		tab_filter(db, TAB_PAIR, t0, t1);
		tab_filter(db, TAB_SEQ, t0, t1);
	}
	for (t = t0; t <= t1; t++) {
		while (db->head[t] != NULL) {
			if (visit != NULL)
				visit(db->head[t], arg);
			sa_destroy(db, db->head[t], !bulk);
			n++;
		}
	}
	return n;
}

struct sadb_sa *
sadb_select(const struct sadb *db, uint8_t satype,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst,
    uint32_t reqid)
{
	struct sadb_sa *sa, *best = NULL;

	if (!sadb_family_ok(src->family) || !sadb_family_ok(dst->family))
		return NULL;
	for (sa = sadb_pair_first(db, satype, src, dst); sa != NULL;
	    sa = sa->p_next) {
		if (!sadb_pair_match(sa, satype, src, dst) ||
		    (reqid != 0 && sa->reqid != reqid) ||
		    (sa->sa.state != SA_STATE_MATURE &&
		    sa->sa.state != SA_STATE_DYING))
			continue;
		if (best == NULL ||
		    (sa->sa.state == SA_STATE_MATURE &&
		    best->sa.state == SA_STATE_DYING) ||
		    (sa->sa.state == best->sa.state &&
		    sa->add_ms > best->add_ms))
			best = sa;
	}
	return best;
}

size_t
sadb_foreach_reqid(const struct sadb *db, uint32_t reqid,
    void (*visit)(const struct sadb_sa *, void *), void *arg)
{
	struct sadb_sa *sa;
	size_t n = 0;

	if (reqid == 0)
		return 0;
	sa = db->reqid.b[(size_t)hash_reqid(db, reqid) & db->reqid.mask];
	for (; sa != NULL; sa = sa->r_next) {
		if (sa->reqid != reqid)
			continue;
		if (visit != NULL)
			visit(sa, arg);
		n++;
	}
	return n;
}

size_t
sadb_count(const struct sadb *db, uint8_t satype)
{
	int t;

	if (satype == PARAPET_SADB_SATYPE_UNSPEC)
		return db->n;
	return (t = sadb_type_idx(satype)) < 0 ? 0 : db->ntype[t];
}
