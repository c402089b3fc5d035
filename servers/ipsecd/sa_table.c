/*
 * sa_table.c - ipsecd's SA table (sa_table.h): entries, the inbound and
 * outbound hash indexes, install/delete/lookup/iterate/flush.
 *
 * Both indexes are chained hash tables of a power-of-two size that doubles
 * when the SAs outnumber the buckets (load <= 1) and never shrinks. The
 * hash is keyed with a random seed from the shell: inbound lookups hash an
 * SPI from the wire, and peers choose the SPIs of our outbound SAs, so
 * nobody outside may know which SAs share a chain. XXX: growth rehashes
 * at once; at 10^6 SAs that is a few ms on the install path, not on the
 * packet path.
 *
 * Input: lookups take packet fields (SPI, addresses) as plain values to
 * hash and compare; nothing from the wire is used as an index or length.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sa_table.h"

struct sa_table {
	struct sa_table_ops	  ops;
	uint64_t		  seed;
	struct sa_entry		**in;		/* by (spi, dst, proto) */
	struct sa_entry		**out;		/* by (proto, src, dst) */
	size_t			  nbuckets;	/* power of two, both */
	size_t			  count;
	uint64_t		  seq;		/* install counter */
	struct sa_entry		 *head, *tail;	/* insertion order */
};

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 29;
	return h;
}

static uint64_t
addr_hash(uint64_t h, const struct sa_addr *a)
{
	uint64_t x, y;

	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	h = mix(h, x ^ a->family);
	return mix(h, y);
}

static size_t
in_idx(const struct sa_table *t, uint32_t spi, const struct sa_addr *dst,
    uint8_t proto)
{
	uint64_t h = mix(t->seed, (uint64_t)spi << 8 | proto);

	h = addr_hash(h, dst);
	return (size_t)((h ^ (h >> 31)) & (t->nbuckets - 1));
}

static size_t
out_idx(const struct sa_table *t, uint8_t proto, const struct sa_addr *src,
    const struct sa_addr *dst)
{
	uint64_t h = mix(t->seed ^ UINT64_C(0x5a5a), proto);

	h = addr_hash(h, src);
	h = addr_hash(h, dst);
	return (size_t)((h ^ (h >> 31)) & (t->nbuckets - 1));
}

static bool
addr_eq(const struct sa_addr *a, const struct sa_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

static bool
addr_valid(const struct sa_addr *a, bool optional)
{
	size_t i, len;

	if (optional && a->family == 0)
		len = 0;
	else if (a->family == 4)
		len = 4;
	else if (a->family == 6)
		len = 16;
	else
		return false;
	/* Unused bytes are zero, so addresses compare as whole arrays. */
	for (i = len; i < 16; i++)
		if (a->a[i] != 0)
			return false;
	return true;
}

static bool
spec_valid(const struct sa_spec *s)
{
	if (s->proto != 50 && s->proto != 51)
		return false;
	if (s->mode > SA_MODE_TUNNEL || (s->flags & ~SA_F_MASK) != 0)
		return false;
	if (!addr_valid(&s->src, false) || !addr_valid(&s->dst, false) ||
	    s->src.family != s->dst.family)
		return false;
	if (!addr_valid(&s->natt_oa_src, true) ||
	    !addr_valid(&s->natt_oa_dst, true))
		return false;
	if (replay_window_round(s->replay_window) == UINT32_MAX ||
	    ((s->flags & SA_F_ESN) != 0 && s->replay_window == 0))
		return false;
	if ((s->flags & (SA_F_PAD_ZERO | SA_F_PAD_RANDOM)) ==
	    (SA_F_PAD_ZERO | SA_F_PAD_RANDOM))
		return false;
	if (s->proto == 51)
		return s->auth != NULL && s->enc == NULL &&
		    (s->flags & SA_F_NATT) == 0;
	return s->enc != NULL || s->auth != NULL;
}

/* A zeroed bucket array. */
static struct sa_entry **
buckets_new(size_t n)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	return calloc(n, sizeof(struct sa_entry *));
}

int
sa_table_create(const struct sa_table_ops *ops, uint64_t hash_seed,
    struct sa_table **out)
{
	struct sa_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if (ops != NULL)
		t->ops = *ops;
	t->seed = hash_seed;
	t->nbuckets = 64;
	t->in = buckets_new(t->nbuckets);
	t->out = buckets_new(t->nbuckets);
	if (t->in == NULL || t->out == NULL) {
		free(t->in);
		free(t->out);
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
sa_table_destroy(struct sa_table *t)
{
	if (t == NULL)
		return;
	(void)sa_table_flush(t, 0);
	free(t->in);
	free(t->out);
	free(t);
}

static void
link_in(struct sa_table *t, struct sa_entry *e)
{
	size_t i = in_idx(t, e->se.spi, &e->se.dst, e->se.proto);

	e->in_next = t->in[i];
	t->in[i] = e;
}

static void
link_out(struct sa_table *t, struct sa_entry *e)
{
	size_t i = out_idx(t, e->se.proto, &e->se.src, &e->se.dst);

	e->out_next = t->out[i];
	t->out[i] = e;
}

static int
grow(struct sa_table *t)
{
	struct sa_entry **ni, **no, *e;
	size_t n = t->nbuckets * 2;

	ni = buckets_new(n);
	no = buckets_new(n);
	if (ni == NULL || no == NULL) {
		free(ni);
		free(no);
		return -ENOMEM;
	}
	free(t->in);
	free(t->out);
	t->in = ni;
	t->out = no;
	t->nbuckets = n;
	for (e = t->head; e != NULL; e = e->next) {
		link_in(t, e);
		link_out(t, e);
	}
	return 0;
}

int
sa_table_install(struct sa_table *t, const struct sa_spec *s,
    struct sa_pstate *state, struct sa_entry **out)
{
	struct sa_entry *e;
	int error;

	if (!spec_valid(s))
		return -EINVAL;
	if (sa_table_lookup_in(t, s->spi, &s->dst, s->proto) != NULL)
		return -EEXIST;
	if (t->count >= t->nbuckets && (error = grow(t)) != 0)
		return error;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->se = *s;
	e->se.replay_window = replay_window_round(s->replay_window);
	e->state = state;
	e->seq = ++t->seq;
	link_in(t, e);
	link_out(t, e);
	e->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	t->count++;
	if (out != NULL)
		*out = e;
	return 0;
}

void
sa_table_update(struct sa_table *t, struct sa_entry *e,
    const struct sa_limits *lft, uint16_t natt_sport, uint16_t natt_dport)
{
	(void)t;
	if (lft != NULL)
		e->se.lft = *lft;
	if ((e->se.flags & SA_F_NATT) != 0) {
		e->se.natt_sport = natt_sport;
		e->se.natt_dport = natt_dport;
	}
}

void
sa_table_set_dying(struct sa_table *t, struct sa_entry *e)
{
	(void)t;
	e->se.flags |= SA_F_DYING;
}

static void
unlink_chain(struct sa_entry **head, struct sa_entry *e, bool in)
{
	struct sa_entry **pp;

	for (pp = head; *pp != NULL;
	    pp = in ? &(*pp)->in_next : &(*pp)->out_next)
		if (*pp == e) {
			*pp = in ? e->in_next : e->out_next;
			return;
		}
}

void
sa_table_delete(struct sa_table *t, struct sa_entry *e)
{
	unlink_chain(&t->in[in_idx(t, e->se.spi, &e->se.dst, e->se.proto)],
	    e, true);
	unlink_chain(&t->out[out_idx(t, e->se.proto, &e->se.src,
	    &e->se.dst)], e, false);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	t->count--;
	if (t->ops.key_free != NULL) {
		if (e->se.enc != NULL)
			t->ops.key_free(e->se.enc);
		if (e->se.auth != NULL)
			t->ops.key_free(e->se.auth);
	}
	if (e->state != NULL && t->ops.state_free != NULL)
		t->ops.state_free(t->ops.arg, e->state);
	free(e);
}

struct sa_entry *
sa_table_lookup_in(const struct sa_table *t, uint32_t spi,
    const struct sa_addr *dst, uint8_t proto)
{
	struct sa_entry *e;

	for (e = t->in[in_idx(t, spi, dst, proto)]; e != NULL;
	    e = e->in_next)
		if (e->se.spi == spi && e->se.proto == proto &&
		    addr_eq(&e->se.dst, dst))
			return e;
	return NULL;
}

/* Is a better than b for an outbound request? Not dying, then newest. */
static bool
better(const struct sa_entry *a, const struct sa_entry *b)
{
	bool ad = (a->se.flags & SA_F_DYING) != 0;
	bool bd = (b->se.flags & SA_F_DYING) != 0;

	if (ad != bd)
		return bd;
	if (a->se.gen != b->se.gen)
		return a->se.gen > b->se.gen;
	return a->seq > b->seq;
}

struct sa_entry *
sa_table_lookup_out(const struct sa_table *t, const struct sa_out_req *r)
{
	struct sa_entry *e, *best = NULL;

	for (e = t->out[out_idx(t, r->proto, &r->src, &r->dst)]; e != NULL;
	    e = e->out_next) {
		if (e->se.proto != r->proto || !addr_eq(&e->se.src, &r->src) ||
		    !addr_eq(&e->se.dst, &r->dst))
			continue;
		/* KAME key_cmpsaidx(CMP_MODE_REQID). */
		if (e->se.mode != SA_MODE_ANY && e->se.mode != r->mode)
			continue;
		if (r->reqid != 0 && e->se.reqid != r->reqid)
			continue;
		if (best == NULL || better(e, best))
			best = e;
	}
	return best;
}

int
sa_table_foreach(struct sa_table *t, int (*fn)(void *, struct sa_entry *),
    void *arg)
{
	struct sa_entry *e, *nx;
	int rc;

	for (e = t->head; e != NULL; e = nx) {
		nx = e->next;
		if ((rc = fn(arg, e)) != 0)
			return rc;
	}
	return 0;
}

size_t
sa_table_flush(struct sa_table *t, uint8_t proto)
{
	struct sa_entry *e, *nx;
	size_t n = 0;

	for (e = t->head; e != NULL; e = nx) {
		nx = e->next;
		if (proto == 0 || e->se.proto == proto) {
			sa_table_delete(t, e);
			n++;
		}
	}
	return n;
}

size_t
sa_table_count(const struct sa_table *t)
{
	return t->count;
}
