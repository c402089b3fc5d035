/*
 * spd.c - the security policy database: storage, ids, DUMP cursors and
 * the packet classifier.
 *
 * Classifier: tuple space search (as Open vSwitch's classifier). Per
 * direction and family, one hash table per distinct "shape" of selector:
 * the pair of prefix lengths and which of protocol, source port and
 * destination port are set. The key is the selector itself (masked
 * addresses, the set fields), so within a table a packet matches at most
 * one policy: the one whose key equals the packet's key under the
 * table's mask. Chains (collisions only) are kept sorted by (priority,
 * insertion sequence) so that a walk can stop early. The
 * tables of a class are sorted by a lower bound of the priority values
 * they hold; a lookup probes them in that order and stops at the first
 * table whose bound is worse than the best match so far. The bound is
 * exact after an insertion and may be stale (too good) after deletions;
 * it is recomputed once deletions outnumber the table's entries, so the
 * cost is amortised O(1) per deletion. See docs/DESIGN.md §10.8.
 *
 * Entries are peer input (PF_KEY through keyd, bus): spd_entry_valid()
 * checks them before anything is stored. No I/O, no clock, no globals.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ipsec_policy.h"
#include "spd.h"

/*
 * A bucket: its chain and a filter of the keys in it, one bit per key
 * chosen by the hash's top 6 bits. The filter may be a superset (bits
 * are cleared only when the chain empties or the table is rebuilt), so a
 * clear bit proves the key absent without touching the chain.
 */
struct spd_bkt {
	struct spd_policy	*head;
	uint64_t		 filter;
};

struct spd_tab {
	uint8_t			splen, dplen;
	uint8_t			fields;		/* SEL_F_*: set in the key */
	uint64_t		mask[SPD_KEY_WORDS];
	uint32_t		best;		/* <= every priority held */
	size_t			count;
	size_t			ndel;		/* deletions since exact */
	size_t			pos;		/* index in its class */
	size_t			nbkt;		/* power of two */
	struct spd_bkt		*bkt;
};

struct spd_class {
	struct spd_tab	**tabs;		/* ascending best */
	size_t		ntabs, cap;
};

struct spd {
	struct spd_class	cls[SPD_NDIRS][2];	/* [dir - 1][v6] */
	struct spd_policy	**ids;
	size_t			nids;		/* buckets, power of two */
	struct spd_policy	*head, *tail;
	struct spd_cursor	*cursors;
	size_t			count;
	uint64_t		gen;
	uint64_t		seq;
	uint64_t		seed;
	uint32_t		idx_gen;
	uint32_t		reqid_next;
};

#define TAB_MIN_BKT	8
#define IDS_MIN_BKT	64

static unsigned int
addr_bits(uint16_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

static bool
family_ok(uint16_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

static uint64_t
key_hash(uint64_t seed, const uint64_t k[SPD_KEY_WORDS])
{
	uint64_t h = seed;
	size_t i;

	for (i = 0; i < SPD_KEY_WORDS; i++)
		h = (h ^ k[i]) * UINT64_C(0x9e3779b97f4a7c15);
	return mix(h);
}

/* A mask of plen leading one bits over 16 bytes, as two memory words. */
static void
make_mask(unsigned int plen, uint64_t m[2])
{
	uint8_t b[16];
	unsigned int i;

	memset(b, 0, sizeof(b));
	for (i = 0; i < plen / 8; i++)
		b[i] = 0xff;
	if (plen % 8 != 0)
		b[i] = (uint8_t)(0xff00u >> (plen % 8));
	memcpy(m, b, sizeof(b));
}

/*
 * The key: source and destination as memory words, then protocol and
 * ports in one word. A table masks off what its selectors leave open.
 */
#define SEL_F_PROTO	0x1
#define SEL_F_SPORT	0x2
#define SEL_F_DPORT	0x4
#define W_PROTO		(UINT64_C(0xff) << 32)
#define W_SPORT		(UINT64_C(0xffff) << 16)
#define W_DPORT		UINT64_C(0xffff)

static uint64_t
l4_word(uint8_t proto, uint16_t sport, uint16_t dport)
{
	return (uint64_t)proto << 32 | (uint64_t)sport << 16 | dport;
}

static void
load_key(const uint8_t src[16], const uint8_t dst[16], uint64_t l4,
    uint64_t k[SPD_KEY_WORDS])
{
	memcpy(&k[0], src, 16);
	memcpy(&k[2], dst, 16);
	k[4] = l4;
}

static uint8_t
sel_fields(const struct spd_sel *s)
{
	return (uint8_t)((s->proto != SPD_PROTO_ANY ? SEL_F_PROTO : 0) |
	    (s->sport != SPD_PORT_ANY ? SEL_F_SPORT : 0) |
	    (s->dport != SPD_PORT_ANY ? SEL_F_DPORT : 0));
}

/* s canonical: open fields are zero in the key. */
static void
sel_key(const struct spd_sel *s, uint64_t k[SPD_KEY_WORDS])
{
	load_key(s->src, s->dst, l4_word(s->proto == SPD_PROTO_ANY ? 0 :
	    s->proto, s->sport, s->dport), k);
}

static bool
before(const struct spd_policy *a, const struct spd_policy *b)
{
	return a->hprio < b->hprio ||
	    (a->hprio == b->hprio && a->seq < b->seq);
}

/*
 * Reqids for `unique` without a number, above the manual range (see
 * docs/DESIGN.md §10.7). XXX: not checked against reqids in use; a clash
 * needs 2^32 - 32768 allocations or a manual unique#N above 32767.
 */
static void
alloc_reqids(struct spd *db, struct spd_entry *e)
{
	size_t i;

	for (i = 0; i < e->nreqs; i++) {
		struct spd_req *r = &e->req[i];

		if (r->level != PARAPET_IPSEC_LEVEL_UNIQUE || r->reqid != 0)
			continue;
		r->reqid = db->reqid_next;
		db->reqid_next = db->reqid_next == UINT32_MAX ?
		    SPD_REQID_AUTO_MIN : db->reqid_next + 1;
	}
}

/* ---- The id index ---- */

static size_t
id_bucket(const struct spd *db, uint32_t id)
{
	return (size_t)(mix(db->seed ^ id) & (db->nids - 1));
}

static int
ids_grow(struct spd *db)
{
	struct spd_policy **nb, *p, *n;
	size_t i, nn = db->nids * 2, old = db->nids;
	struct spd_policy **ob = db->ids;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -ENOMEM;
	db->ids = nb;
	db->nids = nn;
	for (i = 0; i < old; i++) {
		for (p = ob[i]; p != NULL; p = n) {
			size_t b = id_bucket(db, p->id);

			n = p->inext;
			p->inext = nb[b];
			nb[b] = p;
		}
	}
	free(ob);
	return 0;
}

static void
ids_remove(struct spd *db, struct spd_policy *p)
{
	struct spd_policy **pp = &db->ids[id_bucket(db, p->id)];

	while (*pp != p)
		pp = &(*pp)->inext;
	*pp = p->inext;
}

static struct spd_policy *
find_id(const struct spd *db, uint32_t id)
{
	struct spd_policy *p;

	for (p = db->ids[id_bucket(db, id)]; p != NULL; p = p->inext)
		if (p->id == id)
			return p;
	return NULL;
}

/*
 * Linux xfrm_gen_index(): a counter stepping by 8 with the xfrm direction
 * (PF_KEY direction - 1) in the low 3 bits; 0 becomes 8; ids in use are
 * skipped. setkey -DP and SPDGET find the direction from id & 7.
 */
static int
gen_id(struct spd *db, uint8_t dir, uint32_t *idp)
{
	uint32_t idx;

	if (db->count >= (UINT32_C(1) << 29) - 1)
		return -ENOSPC;
	for (;;) {
		idx = db->idx_gen | (uint32_t)(dir - 1);
		db->idx_gen += 8;
		if (idx == 0)
			idx = 8;
		if (find_id(db, idx) == NULL)
			break;
	}
	*idp = idx;
	return 0;
}

const struct spd_policy *
spd_get_id(const struct spd *db, uint32_t id)
{
	return find_id(db, id);
}

/* ---- Tables ---- */

static struct spd_class *
class_of(struct spd *db, uint8_t dir, uint16_t family)
{
	return &db->cls[dir - 1][family == AF_INET6];
}

static const struct spd_class *
cclass_of(const struct spd *db, uint8_t dir, uint16_t family)
{
	return &db->cls[dir - 1][family == AF_INET6];
}

static struct spd_tab *
tab_find(const struct spd_class *c, const struct spd_sel *s)
{
	uint8_t f = sel_fields(s);
	size_t i;

	for (i = 0; i < c->ntabs; i++)
		if (c->tabs[i]->splen == s->src_plen &&
		    c->tabs[i]->dplen == s->dst_plen && c->tabs[i]->fields == f)
			return c->tabs[i];
	return NULL;
}

static void
tab_swap(struct spd_class *c, size_t i, size_t j)
{
	struct spd_tab *t = c->tabs[i];

	c->tabs[i] = c->tabs[j];
	c->tabs[j] = t;
	c->tabs[i]->pos = i;
	c->tabs[j]->pos = j;
}

/* Restore the order after t->best changed. */
static void
tab_resort(struct spd_class *c, struct spd_tab *t)
{
	while (t->pos > 0 && c->tabs[t->pos - 1]->best > t->best)
		tab_swap(c, t->pos - 1, t->pos);
	while (t->pos + 1 < c->ntabs && c->tabs[t->pos + 1]->best < t->best)
		tab_swap(c, t->pos, t->pos + 1);
}

static struct spd_tab *
tab_new(struct spd_class *c, const struct spd_sel *s)
{
	struct spd_tab *t;

	if (c->ntabs == c->cap) {
		size_t ncap = c->cap == 0 ? 8 : c->cap * 2;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers. */
		struct spd_tab **nt = realloc(c->tabs, ncap * sizeof(*nt));

		if (nt == NULL)
			return NULL;
		c->tabs = nt;
		c->cap = ncap;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->bkt = calloc(TAB_MIN_BKT, sizeof(*t->bkt))) == NULL) {
		free(t);
		return NULL;
	}
	t->nbkt = TAB_MIN_BKT;
	t->splen = s->src_plen;
	t->dplen = s->dst_plen;
	t->fields = sel_fields(s);
	make_mask(t->splen, &t->mask[0]);
	make_mask(t->dplen, &t->mask[2]);
	t->mask[4] = ((t->fields & SEL_F_PROTO) != 0 ? W_PROTO : 0) |
	    ((t->fields & SEL_F_SPORT) != 0 ? W_SPORT : 0) |
	    ((t->fields & SEL_F_DPORT) != 0 ? W_DPORT : 0);
	t->best = UINT32_MAX;
	t->pos = c->ntabs;
	c->tabs[c->ntabs++] = t;
	return t;
}

static void
tab_free(struct spd_class *c, struct spd_tab *t)
{
	size_t i;

	for (i = t->pos; i + 1 < c->ntabs; i++) {
		c->tabs[i] = c->tabs[i + 1];
		c->tabs[i]->pos = i;
	}
	c->ntabs--;
	free(t->bkt);
	free(t);
}

/* Insert into a sorted chain: after every entry ranking before p. */
static void
chain_insert(struct spd_policy **head, struct spd_policy *p)
{
	struct spd_policy *prev = NULL, *n = *head;

	while (n != NULL && before(n, p)) {
		prev = n;
		n = n->hnext;
	}
	p->hprev = prev;
	p->hnext = n;
	if (n != NULL)
		n->hprev = p;
	if (prev != NULL)
		prev->hnext = p;
	else
		*head = p;
}

static size_t
tab_bucket(const struct spd *db, const struct spd_tab *t,
    const uint64_t k[SPD_KEY_WORDS])
{
	return (size_t)(key_hash(db->seed, k) & (t->nbkt - 1));
}

static uint64_t
filter_bit(uint64_t h)
{
	return UINT64_C(1) << (h >> 58);
}

/* Double the buckets; each new chain gets one old chain's entries, in order. */
static int
tab_grow(struct spd *db, struct spd_tab *t)
{
	size_t i, nn = t->nbkt * 2;
	struct spd_bkt *nb;
	struct spd_policy **tails, *p, *n;

	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -ENOMEM;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	if ((tails = calloc(nn, sizeof(*tails))) == NULL) {
		free(nb);
		return -ENOMEM;
	}
	for (i = 0; i < t->nbkt; i++) {
		for (p = t->bkt[i].head; p != NULL; p = n) {
			uint64_t h = key_hash(db->seed, p->key);
			size_t b = (size_t)(h & (nn - 1));

			n = p->hnext;
			p->hnext = NULL;
			p->hprev = tails[b];
			if (tails[b] != NULL)
				tails[b]->hnext = p;
			else
				nb[b].head = p;
			nb[b].filter |= filter_bit(h);
			tails[b] = p;
		}
	}
	free(tails);
	free(t->bkt);
	t->bkt = nb;
	t->nbkt = nn;
	return 0;
}

/* The classifier's copies of what it compares, next to the key. */
static void
set_hot(struct spd_policy *p)
{
	sel_key(&p->e.sel, p->key);
	p->hprio = p->e.priority;
}

static int
class_insert(struct spd *db, struct spd_policy *p)
{
	struct spd_class *c = class_of(db, p->e.dir, p->e.sel.family);
	struct spd_tab *t;
	struct spd_bkt *b;
	bool fresh = false;
	uint64_t h;
	int error;

	if ((t = tab_find(c, &p->e.sel)) == NULL) {
		t = tab_new(c, &p->e.sel);
		if (t == NULL)
			return -ENOMEM;
		fresh = true;
	}
	if (t->count >= t->nbkt && (error = tab_grow(db, t)) != 0) {
		if (fresh)
			tab_free(c, t);
		return error;
	}
	h = key_hash(db->seed, p->key);
	b = &t->bkt[h & (t->nbkt - 1)];
	chain_insert(&b->head, p);
	b->filter |= filter_bit(h);
	p->tab = t;
	t->count++;
	if (p->hprio < t->best) {
		t->best = p->hprio;
		tab_resort(c, t);
	}
	return 0;
}

static void
tab_recompute(struct spd_class *c, struct spd_tab *t)
{
	uint32_t best = UINT32_MAX;
	size_t i;

	/* Each chain is sorted: its head holds its best. */
	for (i = 0; i < t->nbkt; i++)
		if (t->bkt[i].head != NULL && t->bkt[i].head->hprio < best)
			best = t->bkt[i].head->hprio;
	t->best = best;
	t->ndel = 0;
	tab_resort(c, t);
}

static void
class_remove(struct spd *db, struct spd_policy *p)
{
	struct spd_class *c = class_of(db, p->e.dir, p->e.sel.family);
	struct spd_tab *t = p->tab;

	if (p->hprev != NULL) {
		p->hprev->hnext = p->hnext;
	} else {
		struct spd_bkt *b = &t->bkt[tab_bucket(db, t, p->key)];

		if ((b->head = p->hnext) == NULL)
			b->filter = 0;
	}
	if (p->hnext != NULL)
		p->hnext->hprev = p->hprev;
	p->hnext = p->hprev = NULL;
	p->tab = NULL;
	if (--t->count == 0) {
		tab_free(c, t);
		return;
	}
	/* The bound stays valid (too good at worst); refresh it now and then. */
	if (++t->ndel > t->count)
		tab_recompute(c, t);
}

/* p's priority or sequence changed: move it within its chain. */
static void
class_reposition(struct spd *db, struct spd_policy *p)
{
	struct spd_class *c = class_of(db, p->e.dir, p->e.sel.family);
	struct spd_tab *t = p->tab;
	struct spd_policy **head = &t->bkt[tab_bucket(db, t, p->key)].head;

	if (p->hprev != NULL)
		p->hprev->hnext = p->hnext;
	else
		*head = p->hnext;
	if (p->hnext != NULL)
		p->hnext->hprev = p->hprev;
	chain_insert(head, p);
	if (p->hprio < t->best) {
		t->best = p->hprio;
		tab_resort(c, t);
	} else if (++t->ndel > t->count) {
		/* The old priority may have been the best. */
		tab_recompute(c, t);
	}
}

static bool
key_eq(const uint64_t a[SPD_KEY_WORDS], const uint64_t b[SPD_KEY_WORDS])
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	    a[4] == b[4];
}

static bool
sel_ok(const struct spd_sel *s, uint8_t dir)
{
	return family_ok(s->family) && s->src_plen <= addr_bits(s->family) &&
	    s->dst_plen <= addr_bits(s->family) && dir >= SPD_DIR_IN &&
	    dir <= SPD_DIR_FWD;
}

/* s must be canonical and valid. */
static struct spd_policy *
find_sel(const struct spd *db, const struct spd_sel *s, uint8_t dir)
{
	const struct spd_class *c = cclass_of(db, dir, s->family);
	const struct spd_tab *t;
	struct spd_policy *p;
	uint64_t k[SPD_KEY_WORDS];

	/* One table per (prefix lengths, fields set): the key is the rest. */
	if ((t = tab_find(c, s)) == NULL)
		return NULL;
	sel_key(s, k);
	for (p = t->bkt[tab_bucket(db, t, k)].head; p != NULL; p = p->hnext)
		if (key_eq(p->key, k))
			return p;
	return NULL;
}

/* ---- Public operations ---- */

int
spd_create(struct spd **dbp, uint64_t hash_seed)
{
	struct spd *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -ENOMEM;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	if ((db->ids = calloc(IDS_MIN_BKT, sizeof(*db->ids))) == NULL) {
		free(db);
		return -ENOMEM;
	}
	db->nids = IDS_MIN_BKT;
	db->seed = hash_seed;
	db->reqid_next = SPD_REQID_AUTO_MIN;
	*dbp = db;
	return 0;
}

void
spd_destroy(struct spd *db)
{
	struct spd_policy *p, *n;
	size_t d, f, i;

	if (db == NULL)
		return;
	for (p = db->head; p != NULL; p = n) {
		n = p->lnext;
		free(p);
	}
	for (d = 0; d < SPD_NDIRS; d++) {
		for (f = 0; f < 2; f++) {
			struct spd_class *c = &db->cls[d][f];

			for (i = 0; i < c->ntabs; i++) {
				free(c->tabs[i]->bkt);
				free(c->tabs[i]);
			}
			free(c->tabs);
		}
	}
	free(db->ids);
	free(db);
}

/* want_id 0: a new id from the generator; else that id (spd_restore). */
static int
install(struct spd *db, const struct spd_entry *in, uint64_t now_ms,
    uint32_t *idp, bool replace, uint32_t want_id)
{
	struct spd_entry e = *in;
	struct spd_policy *p, *old;
	size_t b;
	int error;

	if ((error = spd_entry_valid(&e)) != 0)
		return error;
	if (want_id != 0 && ((want_id & 7) != (uint32_t)(e.dir - 1) ||
	    find_id(db, want_id) != NULL))
		return (want_id & 7) != (uint32_t)(e.dir - 1) ? -EINVAL :
		    -EEXIST;
	spd_entry_canon(&e);
	if ((old = find_sel(db, &e.sel, e.dir)) != NULL) {
		if (!replace)
			return -EEXIST;
		/*
		 * Replace in place: the id and the DUMP position stay, the
		 * counters restart (Linux installs a new xfrm_policy). Same
		 * selector, same table and chain: nothing to allocate.
		 */
		alloc_reqids(db, &e);
		old->e = e;
		old->seq = ++db->seq;
		old->add_ms = now_ms;
		old->use_count = 0;
		old->last_use_ms = 0;
		set_hot(old);
		class_reposition(db, old);
		db->gen++;
		if (idp != NULL)
			*idp = old->id;
		return 0;
	}
	if (db->count + 1 > db->nids && (error = ids_grow(db)) != 0)
		return error;
	/* One cache line for the hot fields (see spd.h). */
	if ((p = aligned_alloc(64, (sizeof(*p) + 63) / 64 * 64)) == NULL)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	if (want_id != 0)
		p->id = want_id;
	else if ((error = gen_id(db, e.dir, &p->id)) != 0) {
		free(p);
		return error;
	}
	alloc_reqids(db, &e);
	p->e = e;
	p->seq = ++db->seq;
	p->add_ms = now_ms;
	set_hot(p);
	if ((error = class_insert(db, p)) != 0) {
		free(p);
		return error;
	}
	b = id_bucket(db, p->id);
	p->inext = db->ids[b];
	db->ids[b] = p;
	p->lprev = db->tail;
	if (db->tail != NULL)
		db->tail->lnext = p;
	else
		db->head = p;
	db->tail = p;
	db->count++;
	db->gen++;
	if (idp != NULL)
		*idp = p->id;
	return 0;
}

int
spd_add(struct spd *db, const struct spd_entry *e, uint64_t now_ms,
    uint32_t *idp)
{
	return install(db, e, now_ms, idp, false, 0);
}

int
spd_update(struct spd *db, const struct spd_entry *e, uint64_t now_ms,
    uint32_t *idp)
{
	return install(db, e, now_ms, idp, true, 0);
}

int
spd_restore(struct spd *db, const struct spd_entry *e, uint32_t id,
    uint64_t now_ms)
{
	if (id == 0)
		return -EINVAL;
	return install(db, e, now_ms, NULL, false, id);
}

void
spd_gens_get(const struct spd *db, struct spd_gens *g)
{
	g->idx_gen = db->idx_gen;
	g->reqid_next = db->reqid_next;
}

void
spd_gens_set(struct spd *db, const struct spd_gens *g)
{
	db->idx_gen = g->idx_gen & ~UINT32_C(7);
	db->reqid_next = g->reqid_next < SPD_REQID_AUTO_MIN ?
	    SPD_REQID_AUTO_MIN : g->reqid_next;
}

static void
unlink_policy(struct spd *db, struct spd_policy *p)
{
	struct spd_cursor *c;

	for (c = db->cursors; c != NULL; c = c->cnext)
		if (c->next == p)
			c->next = p->lnext;
	class_remove(db, p);
	ids_remove(db, p);
	if (p->lprev != NULL)
		p->lprev->lnext = p->lnext;
	else
		db->head = p->lnext;
	if (p->lnext != NULL)
		p->lnext->lprev = p->lprev;
	else
		db->tail = p->lprev;
	db->count--;
	db->gen++;
	free(p);
}

int
spd_delete(struct spd *db, const struct spd_sel *sel, uint8_t dir,
    uint32_t *idp)
{
	struct spd_sel s = *sel;
	struct spd_policy *p;

	if (!sel_ok(&s, dir))
		return -ENOENT;
	spd_sel_canon(&s);
	if ((p = find_sel(db, &s, dir)) == NULL)
		return -ENOENT;
	if (idp != NULL)
		*idp = p->id;
	unlink_policy(db, p);
	return 0;
}

int
spd_delete_id(struct spd *db, uint32_t id)
{
	struct spd_policy *p;

	if ((p = find_id(db, id)) == NULL)
		return -ENOENT;
	unlink_policy(db, p);
	return 0;
}

const struct spd_policy *
spd_get(const struct spd *db, const struct spd_sel *sel, uint8_t dir)
{
	struct spd_sel s = *sel;

	if (!sel_ok(&s, dir))
		return NULL;
	spd_sel_canon(&s);
	return find_sel(db, &s, dir);
}

size_t
spd_flush(struct spd *db, uint8_t dir)
{
	struct spd_policy *p, *n;
	size_t count = 0;

	for (p = db->head; p != NULL; p = n) {
		n = p->lnext;
		if (dir == 0 || p->e.dir == dir) {
			unlink_policy(db, p);
			count++;
		}
	}
	return count;
}

size_t
spd_count(const struct spd *db)
{
	return db->count;
}

uint64_t
spd_generation(const struct spd *db)
{
	return db->gen;
}

/* Tables whose buckets are prefetched before the walk. */
#define PREFETCH_TABS	64

static void
masked(const uint64_t pk[SPD_KEY_WORDS], const struct spd_tab *t,
    uint64_t k[SPD_KEY_WORDS])
{
	k[0] = pk[0] & t->mask[0];
	k[1] = pk[1] & t->mask[1];
	k[2] = pk[2] & t->mask[2];
	k[3] = pk[3] & t->mask[3];
	k[4] = pk[4] & t->mask[4];
}

/*
 * Three passes: hash the packet for every table and prefetch the
 * buckets, prefetch the chain heads, then walk in order of the tables'
 * bounds. The misses of the first two passes overlap; the walk then
 * mostly reads cached lines.
 */
static struct spd_policy *
lookup(const struct spd *db, uint8_t dir, const struct spd_pkt *pkt)
{
	const struct spd_class *c;
	struct spd_policy *best = NULL, *p;
	uint64_t h[PREFETCH_TABS];
	uint64_t pk[SPD_KEY_WORDS], k[SPD_KEY_WORDS];
	size_t i, n;

	if (dir < SPD_DIR_IN || dir > SPD_DIR_FWD || !family_ok(pkt->family))
		return NULL;
	c = cclass_of(db, dir, pkt->family);
	load_key(pkt->src, pkt->dst, l4_word(pkt->proto, pkt->sport,
	    pkt->dport), pk);
	n = c->ntabs < PREFETCH_TABS ? c->ntabs : PREFETCH_TABS;
	for (i = 0; i < n; i++) {
		const struct spd_tab *t = c->tabs[i];

		masked(pk, t, k);
		h[i] = key_hash(db->seed, k);
		__builtin_prefetch(&t->bkt[h[i] & (t->nbkt - 1)]);
	}
	for (i = 0; i < n; i++) {
		const struct spd_tab *t = c->tabs[i];
		const struct spd_bkt *b = &t->bkt[h[i] & (t->nbkt - 1)];

		if ((b->filter & filter_bit(h[i])) != 0)
			__builtin_prefetch(b->head);
	}
	for (i = 0; i < c->ntabs; i++) {
		const struct spd_tab *t = c->tabs[i];
		const struct spd_bkt *b;
		uint64_t hk;

		/* Sorted by bound: no later table can do better. */
		if (best != NULL && t->best > best->hprio)
			break;
		masked(pk, t, k);
		hk = i < n ? h[i] : key_hash(db->seed, k);
		b = &t->bkt[hk & (t->nbkt - 1)];
		if ((b->filter & filter_bit(hk)) == 0)
			continue;
		for (p = b->head; p != NULL; p = p->hnext) {
			if (best != NULL && !before(p, best))
				break;
			if (key_eq(p->key, k)) {
				best = p;
				break;
			}
		}
	}
	return best;
}

const struct spd_policy *
spd_lookup(const struct spd *db, uint8_t dir, const struct spd_pkt *pkt)
{
	return lookup(db, dir, pkt);
}

const struct spd_policy *
spd_lookup_use(struct spd *db, uint8_t dir, const struct spd_pkt *pkt,
    uint64_t now_ms)
{
	struct spd_policy *p = lookup(db, dir, pkt);

	if (p != NULL) {
		p->use_count++;
		p->last_use_ms = now_ms;
	}
	return p;
}

int
spd_use(struct spd *db, uint32_t id, uint64_t now_ms)
{
	struct spd_policy *p;

	if ((p = find_id(db, id)) == NULL)
		return -ENOENT;
	p->use_count++;
	p->last_use_ms = now_ms;
	return 0;
}

void
spd_dump_begin(struct spd *db, struct spd_cursor *cur, uint8_t dir)
{
	cur->next = db->head;
	cur->dir = dir;
	cur->cprev = NULL;
	cur->cnext = db->cursors;
	if (db->cursors != NULL)
		db->cursors->cprev = cur;
	db->cursors = cur;
	cur->live = true;
}

const struct spd_policy *
spd_dump_next(struct spd *db, struct spd_cursor *cur)
{
	struct spd_policy *p;

	(void)db;
	if (!cur->live)
		return NULL;
	while ((p = cur->next) != NULL && cur->dir != 0 && p->e.dir != cur->dir)
		cur->next = p->lnext;
	if (p != NULL)
		cur->next = p->lnext;
	return p;
}

void
spd_dump_end(struct spd *db, struct spd_cursor *cur)
{
	if (!cur->live)
		return;
	if (cur->cprev != NULL)
		cur->cprev->cnext = cur->cnext;
	else
		db->cursors = cur->cnext;
	if (cur->cnext != NULL)
		cur->cnext->cprev = cur->cprev;
	cur->live = false;
	cur->next = NULL;
}
