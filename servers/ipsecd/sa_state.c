/*
 * sa_state.c - the persistent per-SA packet state (sa_state.h): records
 * in a pstore, an in-process index by identity, attach/free/prune, and
 * the per-packet operations (sequence numbers, window, counting).
 *
 * Input: the records come from shared memory that a killed ipsecd (maybe
 * a broken one) wrote. Each is validated once at scan (magic, version,
 * identity ranges, window geometry against the record length) before
 * anything indexes it; afterwards only this process writes it, and the
 * fields that decide memory indexes (window geometry) are never written
 * again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pstore.h"
#include "sa_state.h"

#define HDR_BYTES	offsetof(struct sa_pstate_rec, sr_win)

struct sa_pstate {
	struct sa_pstate_id	 id;
	struct sa_pstate_rec	*rec;		/* hot record in the store */
	size_t			 len;		/* its payload length */
	uint32_t		 handle;
	bool			 attached;
	struct sa_pstate	*next;		/* hash chain */
};

struct sa_pstates {
	struct pstore		 *ps;		/* borrowed */
	uint64_t		  seed;
	struct sa_pstate	**buckets;
	size_t			  nbuckets;	/* power of two */
	size_t			  count;
	struct sa_pstates_stats	  stats;
};

static inline uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	/* Keyed by the seed; the identities come from keyd, not the wire. */
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 29;
	return h;
}

static uint64_t
id_hash(const struct sa_pstates *s, const struct sa_pstate_id *id)
{
	uint64_t h = s->seed, a, b;

	memcpy(&a, id->dst, 8);
	memcpy(&b, id->dst + 8, 8);
	h = mix(h, id->gen);
	h = mix(h, (uint64_t)id->spi << 16 | (uint64_t)id->proto << 8 |
	    id->family);
	h = mix(h, a);
	h = mix(h, b);
	return h ^ (h >> 31);
}

static bool
id_eq(const struct sa_pstate_id *a, const struct sa_pstate_id *b)
{
	return a->gen == b->gen && a->spi == b->spi && a->proto == b->proto &&
	    a->family == b->family && memcmp(a->dst, b->dst, 16) == 0;
}

static bool
id_valid(const struct sa_pstate_id *id)
{
	size_t alen;

	if (id->proto != 50 && id->proto != 51)	/* ESP, AH */
		return false;
	if (id->family != 4 && id->family != 6)
		return false;
	/* The bytes past an IPv4 address are zero, so identities compare
	 * as whole arrays. */
	alen = id->family == 4 ? 4 : 16;
	for (; alen < 16; alen++)
		if (id->dst[alen] != 0)
			return false;
	return true;
}

static struct sa_pstate **
slot(struct sa_pstates *s, const struct sa_pstate_id *id)
{
	return &s->buckets[id_hash(s, id) & (s->nbuckets - 1)];
}

static struct sa_pstate *
find(struct sa_pstates *s, const struct sa_pstate_id *id)
{
	struct sa_pstate *p;

	for (p = *slot(s, id); p != NULL; p = p->next)
		if (id_eq(&p->id, id))
			return p;
	return NULL;
}

/* A zeroed bucket array. */
static struct sa_pstate **
buckets_new(size_t n)
{
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers. */
	return calloc(n, sizeof(struct sa_pstate *));
}

static int
grow(struct sa_pstates *s)
{
	struct sa_pstate **nb, **old = s->buckets, *p, *nx;
	size_t i, on = s->nbuckets;

	if ((nb = buckets_new(on * 2)) == NULL)
		return -ENOMEM;
	s->buckets = nb;
	s->nbuckets = on * 2;
	for (i = 0; i < on; i++)
		for (p = old[i]; p != NULL; p = nx) {
			struct sa_pstate **b = slot(s, &p->id);

			nx = p->next;
			p->next = *b;
			*b = p;
		}
	free(old);
	return 0;
}

static int
insert(struct sa_pstates *s, struct sa_pstate *p)
{
	struct sa_pstate **b;
	int error;

	if (s->count >= s->nbuckets && (error = grow(s)) != 0)
		return error;
	b = slot(s, &p->id);
	p->next = *b;
	*b = p;
	s->count++;
	return 0;
}

static void
unlink_state(struct sa_pstates *s, struct sa_pstate *p)
{
	struct sa_pstate **b;

	for (b = slot(s, &p->id); *b != NULL; b = &(*b)->next)
		if (*b == p) {
			*b = p->next;
			s->count--;
			return;
		}
}

/* Free a record we hold; a failure means the store changed under us. */
static void
drop(struct sa_pstates *s, uint32_t handle)
{
	if (pstore_del(s->ps, handle) != 0)
		s->stats.del_failed++;
}

size_t
sa_pstate_rec_bytes(uint32_t window)
{
	size_t w = replay_win_bytes(window);

	return w == 0 ? 0 : HDR_BYTES + w;
}

/* Is a record read back from the store one of ours, and whole? */
static bool
rec_valid(const struct sa_pstate_rec *r, size_t len)
{
	struct sa_pstate_id id;

	if (len < sizeof(*r))
		return false;
	if (r->sr_magic != SA_PSTATE_MAGIC ||
	    r->sr_version != SA_PSTATE_VERSION || r->sr_reserved != 0)
		return false;
	if ((r->sr_flags & ~REPLAY_F_MASK) != 0)
		return false;
	if ((r->sr_state & ~(SA_CROSSED_MASK | SR_USED)) != 0)
		return false;
	if (!replay_win_valid(&r->sr_win, len - HDR_BYTES))
		return false;
	if ((r->sr_win.rw_flags & REPLAY_F_ESN) !=
	    (r->sr_flags & REPLAY_F_ESN))
		return false;
	id.gen = r->sr_gen;
	id.spi = r->sr_spi;
	id.proto = r->sr_proto;
	id.family = r->sr_family;
	memcpy(id.dst, r->sr_dst, 16);
	return id_valid(&id);
}

static void
rec_id(const struct sa_pstate_rec *r, struct sa_pstate_id *id)
{
	memset(id, 0, sizeof(*id));
	id->gen = r->sr_gen;
	id->spi = r->sr_spi;
	id->proto = r->sr_proto;
	id->family = r->sr_family;
	memcpy(id->dst, r->sr_dst, 16);
}

static int
scan_one(void *arg, uint32_t handle, const void *data, size_t len)
{
	struct sa_pstates *s = arg;
	struct sa_pstate_rec *r;
	struct sa_pstate *p;
	struct sa_pstate_id id;
	size_t hlen = 0;

	(void)data;
	/* The hot pointer is the same memory, valid beyond this call. */
	r = pstore_hot(s->ps, handle, &hlen);
	if (r == NULL || hlen != len || ((uintptr_t)r & 7u) != 0 ||
	    !rec_valid(r, len)) {
		if (pstore_del(s->ps, handle) != 0)
			return -EIO;
		s->stats.dropped_invalid++;
		return 0;
	}
	rec_id(r, &id);
	if ((p = find(s, &id)) != NULL) {
		/* pstore_scan(): the later record is the newer one. */
		if (pstore_del(s->ps, p->handle) != 0)
			return -EIO;
		p->handle = handle;
		p->rec = r;
		p->len = len;
		s->stats.dropped_dup++;
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->id = id;
	p->rec = r;
	p->len = len;
	p->handle = handle;
	if (insert(s, p) != 0) {
		free(p);
		return -ENOMEM;
	}
	return 0;
}

int
sa_pstates_open(struct pstore *ps, uint64_t hash_seed,
    struct sa_pstates **out)
{
	struct pstore_stats pst;
	struct sa_pstates *s;
	int error;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->ps = ps;
	s->seed = hash_seed;
	s->nbuckets = 64;
	if ((s->buckets = buckets_new(s->nbuckets)) == NULL) {
		free(s);
		return -ENOMEM;
	}
	pstore_stats(ps, &pst);
	s->stats.store_lost = pst.dropped_bad;
	if ((error = pstore_scan(ps, scan_one, s)) != 0) {
		sa_pstates_close(s);
		return error;
	}
	*out = s;
	return 0;
}

void
sa_pstates_close(struct sa_pstates *s)
{
	struct sa_pstate *p, *nx;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nbuckets; i++)
		for (p = s->buckets[i]; p != NULL; p = nx) {
			nx = p->next;
			free(p);
		}
	free(s->buckets);
	free(s);
}

void
sa_pstates_stats(const struct sa_pstates *s, struct sa_pstates_stats *out)
{
	struct sa_pstate *p;
	size_t i;

	*out = s->stats;
	out->records = (uint32_t)s->count;
	out->attached = 0;
	for (i = 0; i < s->nbuckets; i++)
		for (p = s->buckets[i]; p != NULL; p = p->next)
			if (p->attached)
				out->attached++;
}

static int
create(struct sa_pstates *s, const struct sa_pstate_id *id,
    uint32_t window, unsigned flags, struct sa_pstate **out)
{
	size_t len = sa_pstate_rec_bytes(window), hlen = 0;
	struct sa_pstate_rec *r;
	struct sa_pstate *p;
	uint32_t handle = PSTORE_NONE;
	int error;

	if (len == 0)
		return -EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if ((r = calloc(1, len)) == NULL) {
		free(p);
		return -ENOMEM;
	}
	r->sr_magic = SA_PSTATE_MAGIC;
	r->sr_version = SA_PSTATE_VERSION;
	r->sr_flags = (uint16_t)flags;
	r->sr_gen = id->gen;
	r->sr_spi = id->spi;
	r->sr_proto = id->proto;
	r->sr_family = id->family;
	memcpy(r->sr_dst, id->dst, 16);
	if ((error = replay_win_init(&r->sr_win, len - HDR_BYTES, window,
	    flags)) != 0)
		goto fail;
	/* Written whole and published at once: a kill -9 leaves no record
	 * or this one, never a part of it (pstore.h). */
	if ((error = pstore_put(s->ps, &handle, r, len)) != 0)
		goto fail;
	free(r);
	p->id = *id;
	p->rec = pstore_hot(s->ps, handle, &hlen);
	p->len = hlen;
	p->handle = handle;
	p->attached = true;
	if (p->rec == NULL)
		error = -EIO;
	else
		error = insert(s, p);
	if (error != 0) {
		drop(s, handle);
		free(p);
		return error;
	}
	s->stats.created++;
	*out = p;
	return 0;
fail:
	free(r);
	free(p);
	return error;
}

int
sa_pstate_attach(struct sa_pstates *s, const struct sa_pstate_id *id,
    uint32_t window, unsigned flags, bool resync, bool *reattached,
    struct sa_pstate **out)
{
	struct sa_pstate *p;

	if (!id_valid(id) || (flags & ~REPLAY_F_MASK) != 0 ||
	    replay_window_round(window) == UINT32_MAX ||
	    (window == 0 && (flags & REPLAY_F_ESN) != 0))
		return -EINVAL;
	if ((p = find(s, id)) != NULL) {
		if (p->attached)
			return -EBUSY;
		p->attached = true;
		s->stats.reattached++;
		*reattached = true;
		*out = p;
		return 0;
	}
	if (resync && (s->stats.store_lost != 0 ||
	    s->stats.dropped_invalid != 0))
		return -ESTALE;
	*reattached = false;
	return create(s, id, window, flags, out);
}

void
sa_pstate_free(struct sa_pstates *s, struct sa_pstate *p)
{
	if (p == NULL)
		return;
	unlink_state(s, p);
	drop(s, p->handle);
	free(p);
}

size_t
sa_pstates_prune(struct sa_pstates *s)
{
	struct sa_pstate **b, *p;
	size_t i, n = 0;

	for (i = 0; i < s->nbuckets; i++)
		for (b = &s->buckets[i]; (p = *b) != NULL;) {
			if (p->attached) {
				b = &p->next;
				continue;
			}
			*b = p->next;
			s->count--;
			drop(s, p->handle);
			free(p);
			n++;
		}
	s->stats.pruned += n;
	return n;
}

const struct sa_pstate_id *
sa_pstate_id(const struct sa_pstate *p)
{
	return &p->id;
}

const struct sa_pstate_rec *
sa_pstate_rec(const struct sa_pstate *p)
{
	return p->rec;
}

int
sa_pstate_out_next(struct sa_pstate *p, uint64_t *seq)
{
	return replay_out_next(&p->rec->sr_out_last, p->rec->sr_flags, seq);
}

enum replay_verdict
sa_pstate_in_check(const struct sa_pstate *p, uint32_t seq_lo,
    uint64_t *seq64)
{
	return replay_check(&p->rec->sr_win, seq_lo, seq64);
}

enum replay_verdict
sa_pstate_in_advance(struct sa_pstate *p, uint64_t seq64)
{
	return replay_advance(&p->rec->sr_win, seq64);
}

static inline uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static unsigned
crossed(const struct sa_limits *l, uint64_t bytes, uint64_t pkts)
{
	unsigned c = 0;

	if (l == NULL)
		return 0;
	if (l->soft_bytes != 0 && bytes >= l->soft_bytes)
		c |= SA_CROSSED_SOFT_BYTES;
	if (l->hard_bytes != 0 && bytes >= l->hard_bytes)
		c |= SA_CROSSED_HARD_BYTES;
	if (l->soft_packets != 0 && pkts >= l->soft_packets)
		c |= SA_CROSSED_SOFT_PACKETS;
	if (l->hard_packets != 0 && pkts >= l->hard_packets)
		c |= SA_CROSSED_HARD_PACKETS;
	return c;
}

unsigned
sa_pstate_count_n(struct sa_pstate *p, const struct sa_limits *lim,
    uint64_t len_bytes, uint64_t npkts, uint64_t now)
{
	struct sa_pstate_rec *r = p->rec;
	uint64_t state = ld(&r->sr_state), bytes, pkts, fresh;

	if ((state & SR_USED) == 0) {
		/* Time first, then the flag that says it is there. */
		st(&r->sr_first_use, now);
		state |= SR_USED;
		st(&r->sr_state, state);
	}
	bytes = sat_add(ld(&r->sr_bytes), len_bytes);
	st(&r->sr_bytes, bytes);
	pkts = sat_add(ld(&r->sr_packets), npkts);
	st(&r->sr_packets, pkts);
	fresh = crossed(lim, bytes, pkts) & ~state & SA_CROSSED_MASK;
	if (fresh != 0)
		st(&r->sr_state, state | fresh);
	return (unsigned)fresh;
}

unsigned
sa_pstate_count(struct sa_pstate *p, const struct sa_limits *lim,
    uint64_t len_bytes, uint64_t now)
{
	return sa_pstate_count_n(p, lim, len_bytes, 1, now);
}

/* How much can be added to cur before it reaches limit l (0: none). */
static uint64_t
room_below(uint64_t l, uint64_t cur)
{
	if (l == 0)
		return UINT64_MAX;
	return cur >= l ? UINT64_MAX : l - cur - 1;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void
sa_pstate_room(const struct sa_pstate *p, const struct sa_limits *lim,
    uint64_t *pkts, uint64_t *bytes)
{
	const struct sa_pstate_rec *r = p->rec;
	uint64_t b = ld(&r->sr_bytes), n = ld(&r->sr_packets);

	*pkts = *bytes = UINT64_MAX;
	if (lim == NULL)
		return;
	*bytes = min64(room_below(lim->soft_bytes, b),
	    room_below(lim->hard_bytes, b));
	*pkts = min64(room_below(lim->soft_packets, n),
	    room_below(lim->hard_packets, n));
}

unsigned
sa_pstate_crossed(const struct sa_pstate *p)
{
	return (unsigned)(ld(&p->rec->sr_state) & SA_CROSSED_MASK);
}

bool
sa_pstate_first_use(const struct sa_pstate *p, uint64_t *when)
{
	if ((ld(&p->rec->sr_state) & SR_USED) == 0)
		return false;
	*when = ld(&p->rec->sr_first_use);
	return true;
}
