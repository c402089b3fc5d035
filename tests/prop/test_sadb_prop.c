/*
 * test_sadb_prop.c - the SADB against a naive model on random operations.
 *
 * The model is an array of records searched linearly; every operation
 * (ADD, DELETE, GETSPI, UPDATE, use, time passing, FLUSH, DUMP with
 * deletions under the cursor, select, reqid) is applied to both, and the
 * results, states, counts, events and the next deadline must agree. A
 * small key space (2 SA types x 32 SPIs x 3 destinations) makes
 * collisions, exhaustion and reuse common. Seed: PARAPET_SEED, printed
 * at the start and in every failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sadb.h"
#include "sadb_prop.h"

#define BIT(e)		(UINT32_C(1) << (e))
#define NSPI		32
#define SPI0		0x100u
#define NDST		3
#define NSRC		2
#define NREC		512
#define LARVAL_MS	7000
#define ROUNDS		20000

static const uint8_t satypes[2] = { PARAPET_SADB_SATYPE_AH,
	PARAPET_SADB_SATYPE_ESP };

struct rec {
	struct pfkey_lifetime hard, soft;
	uint64_t	add_ms, use_ms, bytes;
	uint32_t	spi, reqid, seq, allocs;
	uint8_t		satype, src, dst, state;
	bool		live, used, has_hard, has_soft;
};

static struct rec model[NREC];
static size_t model_events;
static struct rec *last_deleted;	/* by op_delete(), or NULL */

static void
addr(struct pfkey_address *a, uint8_t host)
{
	memset(a, 0, sizeof(*a));
	a->sa.family = AF_INET;
	a->sa.addr[0] = 10;
	a->sa.addr[3] = host;
	a->sa.port = (uint16_t)below(3);	/* never matched */
}

static struct rec *
m_find(uint8_t satype, uint32_t spi, uint8_t dst)
{
	size_t i;

	for (i = 0; i < NREC; i++)
		if (model[i].live && model[i].satype == satype &&
		    model[i].spi == spi && model[i].dst == dst)
			return &model[i];
	return NULL;
}

static struct rec *
m_new(void)
{
	size_t i;

	for (i = 0; i < NREC; i++)
		if (!model[i].live) {
			memset(&model[i], 0, sizeof(model[i]));
			model[i].live = true;
			return &model[i];
		}
	fail_msg("model full");
	return NULL;
}

static size_t
m_count(uint8_t satype)
{
	size_t i, n = 0;

	for (i = 0; i < NREC; i++)
		if (model[i].live && (satype == 0 ||
		    model[i].satype == satype))
			n++;
	return n;
}

static uint64_t
after(uint64_t t, uint64_t s)
{
	return s == 0 ? UINT64_MAX : t + s * 1000;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
m_hard(const struct rec *r)
{
	if (!r->has_hard)
		return UINT64_MAX;
	return min64(after(r->add_ms, r->hard.addtime),
	    r->used ? after(r->use_ms, r->hard.usetime) : UINT64_MAX);
}

static uint64_t
m_soft(const struct rec *r)
{
	if (!r->has_soft || r->state != SA_STATE_MATURE)
		return UINT64_MAX;
	return min64(after(r->add_ms, r->soft.addtime),
	    r->used ? after(r->use_ms, r->soft.usetime) : UINT64_MAX);
}

static uint64_t
m_deadline(const struct rec *r)
{
	if (r->state == SA_STATE_LARVAL)
		return r->add_ms + LARVAL_MS;
	return min64(m_hard(r), m_soft(r));
}

static void
rnd_lifetime(struct pfkey_lifetime *l)
{
	memset(l, 0, sizeof(*l));
	switch (below(5)) {
	case 0:
		l->addtime = 1 + below(20);
		break;
	case 1:
		l->usetime = 1 + below(20);
		break;
	case 2:
		l->bytes = 100 + below(1000);
		break;
	case 3:
		l->allocations = 1 + below(10);
		break;
	default:
		l->addtime = 1 + below(30);
		l->bytes = 100 + below(2000);
		break;
	}
}

static void
rnd_params(struct sa_params *p, struct rec *r)
{
	memset(p, 0, sizeof(*p));
	memset(r, 0, sizeof(*r));
	r->satype = satypes[below(2)];
	r->spi = SPI0 + below(NSPI);
	r->src = (uint8_t)(1 + below(NSRC));
	r->dst = (uint8_t)(1 + below(NDST));
	r->reqid = below(4);
	p->satype = r->satype;
	p->sa.spi = r->spi;
	p->sa.state = (uint8_t)below(2);
	addr(&p->src, r->src);
	addr(&p->dst, r->dst);
	if (r->reqid != 0) {
		p->present |= BIT(PARAPET_SADB_X_EXT_SA2);
		p->sa2.reqid = r->reqid;
	}
	if (below(2) == 0) {
		r->has_hard = true;
		rnd_lifetime(&r->hard);
		p->present |= BIT(PARAPET_SADB_EXT_LIFETIME_HARD);
		p->lft_hard = r->hard;
	}
	if (below(2) == 0) {
		r->has_soft = true;
		rnd_lifetime(&r->soft);
		p->present |= BIT(PARAPET_SADB_EXT_LIFETIME_SOFT);
		p->lft_soft = r->soft;
	}
}

static void
on_event(const struct sa_event *e, void *arg)
{
	struct rec *r;
	struct pfkey_msg v;

	(*(size_t *)arg)++;
	sadb_sa_view(e->sa, false, 0, &v);
	r = m_find(sadb_sa_satype(e->sa), sadb_sa_spi(e->sa), v.dst.sa.addr[3]);
	CHECK(r != NULL, "event for an SA the model lacks", seed, now);
	CHECK(sadb_sa_state(e->sa) == (e->kind == SA_EVENT_HARD ?
	    SA_STATE_DEAD : SA_STATE_DYING), "event state", seed, now);
}

/* The model's expiry: hard first, then soft, until nothing changes. */
static void
m_expire(void)
{
	size_t i;

	for (i = 0; i < NREC; i++) {
		struct rec *r = &model[i];

		while (r->live && m_deadline(r) <= now) {
			if (r->state == SA_STATE_LARVAL || m_hard(r) <= now)
				r->live = false;
			else
				r->state = SA_STATE_DYING;
			model_events++;
		}
	}
}

static void
check_key(struct sadb *db, uint8_t satype, uint32_t spi, uint8_t dst)
{
	const struct rec *r = m_find(satype, spi, dst);
	struct pfkey_address d;
	struct sadb_sa *sa;

	addr(&d, dst);
	sa = sadb_lookup(db, satype, spi, &d.sa);
	CHECK((sa == NULL) == (r == NULL), "lookup %#x/%u: sadb %p model %p",
	    seed, now, spi, dst, (void *)sa, (const void *)r);
	if (sa == NULL || r == NULL)
		return;
	CHECK(sadb_sa_state(sa) == r->state && sadb_sa_reqid(sa) == r->reqid,
	    "SA %#x: state %d/%d reqid %u/%u", seed, now, spi,
	    sadb_sa_state(sa), r->state, sadb_sa_reqid(sa), r->reqid);
}

static void
check_all(struct sadb *db)
{
	uint64_t dl = UINT64_MAX;
	size_t i, t;
	uint32_t k;

	for (t = 0; t < 2; t++)
		CHECK(sadb_count(db, satypes[t]) == m_count(satypes[t]),
		    "count %zu vs %zu", seed, now, sadb_count(db, satypes[t]),
		    m_count(satypes[t]));
	CHECK(sadb_count(db, 0) == m_count(0), "count all", seed, now);
	for (k = 0; k < 2 * NSPI * NDST; k++)
		check_key(db, satypes[k / (NSPI * NDST)],
		    SPI0 + k / NDST % NSPI, (uint8_t)(1 + k % NDST));
	for (i = 0; i < NREC; i++)
		if (model[i].live)
			dl = min64(dl, m_deadline(&model[i]));
	CHECK(sadb_next_deadline(db) == dl, "deadline %" PRIu64 " vs %"
	    PRIu64, seed, now, sadb_next_deadline(db), dl);
}

static void
op_add(struct sadb *db)
{
	struct sa_params p;
	struct sadb_sa *sa;
	struct rec r, *m;
	int got, want;

	rnd_params(&p, &r);
	want = m_find(r.satype, r.spi, r.dst) != NULL ? -EEXIST : 0;
	got = sadb_add(db, &p, now, &sa);
	CHECK(got == want, "add: %d want %d", seed, now, got, want);
	if (got == 0) {
		m = m_new();
		*m = r;
		m->live = true;
		m->state = SA_STATE_MATURE;
		m->add_ms = now;
	}
}

static void
op_delete(struct sadb *db)
{
	uint8_t satype = satypes[below(2)], dst = (uint8_t)(1 + below(NDST));
	uint32_t spi = SPI0 + below(NSPI);
	struct rec *m = m_find(satype, spi, dst);
	struct pfkey_address d;
	int got;

	addr(&d, dst);
	got = sadb_delete_spi(db, satype, spi, &d.sa);
	CHECK(got == (m != NULL ? 0 : -ESRCH), "delete: %d", seed, now, got);
	if (m != NULL)
		m->live = false;
	last_deleted = m;
}

static void
rnd_range(struct pfkey_spirange *range)
{
	switch (below(3)) {
	case 0:
		range->min = 0;
		range->max = SPI0 + NSPI - 1;
		break;
	case 1:
		range->min = range->max = SPI0 + below(NSPI);
		break;
	default:
		range->min = SPI0 + below(NSPI / 2);
		range->max = range->min + below(NSPI / 2);
		break;
	}
}

/* The larval SA a GETSPI with this seq asks for again, if any. */
static struct rec *
m_larval_seq(const struct rec *r)
{
	size_t i;

	if (r->seq == 0)
		return NULL;
	for (i = 0; i < NREC; i++)
		if (model[i].live && model[i].state == SA_STATE_LARVAL &&
		    model[i].satype == r->satype && model[i].src == r->src &&
		    model[i].dst == r->dst && model[i].seq == r->seq)
			return &model[i];
	return NULL;
}

/* Whether every usable SPI of the range is taken for (satype, dst). */
static bool
m_range_full(const struct rec *r, const struct pfkey_spirange *range)
{
	uint32_t s;

	for (s = range->min < SPI0 ? SPI0 : range->min; s <= range->max; s++)
		if (m_find(r->satype, s, r->dst) == NULL)
			return false;
	return true;
}

static void
op_getspi(struct sadb *db)
{
	struct pfkey_spirange range;
	struct sa_params p;
	struct sadb_sa *sa;
	struct rec r, *m;
	uint32_t s;
	int got;

	rnd_params(&p, &r);
	p.seq = r.seq = below(4);
	rnd_range(&range);
	m = m_larval_seq(&r);
	got = sadb_getspi(db, &p, &range, sadb_rnd, NULL, now, &sa);
	if (m != NULL) {
		CHECK(got == 0 && sadb_sa_spi(sa) == m->spi,
		    "getspi again: %d", seed, now, got);
		return;
	}
	if (m_range_full(&r, &range)) {
		CHECK(got == -ENOENT, "getspi full: %d", seed, now, got);
		return;
	}
	CHECK(got == 0, "getspi: %d", seed, now, got);
	s = sadb_sa_spi(sa);
	CHECK(s >= range.min && s <= range.max && s >= SPI0 &&
	    m_find(r.satype, s, r.dst) == NULL, "getspi SPI %#x", seed, now,
	    s);
	m = m_new();
	*m = r;
	m->live = true;
	m->spi = s;
	m->state = SA_STATE_LARVAL;
	m->add_ms = now;
	m->has_hard = m->has_soft = false;
}

static void
op_update(struct sadb *db)
{
	struct sa_params p;
	struct sadb_sa *sa;
	struct rec r, *m;
	size_t i;
	int got, want;

	rnd_params(&p, &r);
	/* Mostly aim at a larval SA. */
	if (below(3) != 0) {
		i = below(NREC);
		for (; i < NREC; i++)
			if (model[i].live &&
			    model[i].state == SA_STATE_LARVAL)
				break;
		if (i < NREC) {
			r.satype = p.satype = model[i].satype;
			r.spi = p.sa.spi = model[i].spi;
			r.dst = model[i].dst;
			addr(&p.dst, r.dst);
			p.seq = below(2) == 0 ? model[i].seq : below(4);
		}
	}
	m = m_find(r.satype, r.spi, r.dst);
	if (m == NULL)
		want = -ESRCH;
	else if (m->state == SA_STATE_LARVAL && m->seq != 0 &&
	    m->seq != p.seq)
		want = -EINVAL;
	else
		want = 0;
	got = sadb_update(db, &p, now, &sa);
	CHECK(got == want, "update: %d want %d", seed, now, got, want);
	if (got != 0)
		return;
	m->has_hard = r.has_hard;
	m->hard = r.hard;
	m->has_soft = r.has_soft;
	m->soft = r.soft;
	if (m->state == SA_STATE_LARVAL) {
		m->state = SA_STATE_MATURE;
		m->add_ms = now;
		m->src = r.src;
		m->reqid = r.reqid;
	}
}

static bool
reached(uint64_t cur, uint64_t limit)
{
	return limit != 0 && cur >= limit;
}

/* The model of sadb_use(): hard limits first, then soft. */
static void
m_use(struct rec *m, uint64_t b, uint32_t a)
{
	m->bytes += b;
	m->allocs += a;
	if (!m->used && (a != 0 || b != 0)) {
		m->used = true;
		m->use_ms = now;
	}
	if (m->has_hard && (reached(m->bytes, m->hard.bytes) ||
	    reached(m->allocs, m->hard.allocations))) {
		m->live = false;
		model_events++;
	} else if (m->has_soft && m->state == SA_STATE_MATURE &&
	    (reached(m->bytes, m->soft.bytes) ||
	    reached(m->allocs, m->soft.allocations))) {
		m->state = SA_STATE_DYING;
		model_events++;
	}
}

static void
op_use(struct sadb *db, size_t *events)
{
	uint8_t satype = satypes[below(2)], dst = (uint8_t)(1 + below(NDST));
	uint32_t spi = SPI0 + below(NSPI), a = below(4);
	uint64_t b = below(300);
	struct rec *m = m_find(satype, spi, dst);
	struct pfkey_address d;
	struct sadb_sa *sa;
	enum sa_state st;
	int got;

	addr(&d, dst);
	sa = sadb_lookup(db, satype, spi, &d.sa);
	if (sa == NULL || m == NULL)
		return;		/* check_all() compares presence */
	got = sadb_use(db, sa, b, a, now, on_event, events, &st);
	if (m->state == SA_STATE_LARVAL) {
		CHECK(got == -EINVAL, "use larval: %d", seed, now, got);
		return;
	}
	CHECK(got == 0, "use: %d", seed, now, got);
	m_use(m, b, a);
	CHECK(st == (m->live ? m->state : SA_STATE_DEAD), "use state %d", seed,
	    now, st);
}

/* The naive sadb_select(). */
static const struct rec *
m_select(uint8_t satype, uint8_t src, uint8_t dst, uint32_t reqid)
{
	const struct rec *best = NULL;
	size_t i;

	for (i = 0; i < NREC; i++) {
		const struct rec *r = &model[i];

		if (!r->live || r->satype != satype || r->src != src ||
		    r->dst != dst || (reqid != 0 && r->reqid != reqid) ||
		    r->state == SA_STATE_LARVAL)
			continue;
		if (best == NULL || (r->state == SA_STATE_MATURE &&
		    best->state == SA_STATE_DYING) ||
		    (r->state == best->state && r->add_ms > best->add_ms))
			best = r;
	}
	return best;
}

static void
op_select(struct sadb *db)
{
	uint8_t satype = satypes[below(2)], src = (uint8_t)(1 + below(NSRC));
	uint8_t dst = (uint8_t)(1 + below(NDST));
	uint32_t reqid = below(4);
	const struct rec *best = m_select(satype, src, dst, reqid), *r;
	struct pfkey_address s, d;
	struct sadb_sa *sa;
	size_t i, n = 0;

	addr(&s, src);
	addr(&d, dst);
	sa = sadb_select(db, satype, &s.sa, &d.sa, reqid);
	CHECK((sa == NULL) == (best == NULL), "select presence", seed, now);
	if (sa != NULL && best != NULL) {
		/* Ties on add time may go either way: compare the rank. */
		r = m_find(satype, sadb_sa_spi(sa), dst);
		CHECK(r != NULL && r->state == best->state &&
		    r->add_ms == best->add_ms && r->src == src,
		    "select: another SA", seed, now);
	}
	if (reqid == 0)
		return;
	for (i = 0; i < NREC; i++)
		n += model[i].live && model[i].reqid == reqid;
	CHECK(sadb_foreach_reqid(db, reqid, NULL, NULL) == n,
	    "reqid %u count", seed, now, reqid);
}

/*
 * A DUMP with deletions under the cursor. (Additions are in the unit
 * test: a key deleted and added again is a new SA that may be reported
 * again, which a model keyed by (type, SPI, destination) cannot tell.)
 */
static uint8_t seen[2][NSPI][NDST + 1], alive[2][NSPI][NDST + 1];

static void
dump_one(struct sadb *db, const struct sadb_sa *sa, uint8_t satype)
{
	size_t t = sadb_sa_satype(sa) == satypes[1];
	struct pfkey_msg v;
	uint32_t k;

	sadb_sa_view(sa, false, 0, &v);
	k = sadb_sa_spi(sa) - SPI0;
	CHECK(satype == 0 || sadb_sa_satype(sa) == satype, "dump type", seed,
	    now);
	CHECK(seen[t][k][v.dst.sa.addr[3]] == 0, "dump: SPI %#x twice", seed,
	    now, sadb_sa_spi(sa));
	seen[t][k][v.dst.sa.addr[3]] = 1;
	if (below(4) != 0)
		return;
	op_delete(db);
	if (last_deleted != NULL)
		alive[last_deleted->satype == satypes[1]]
		    [last_deleted->spi - SPI0][last_deleted->dst] = 0;
}

static void
op_dump(struct sadb *db)
{
	uint8_t satype = below(3) == 0 ? 0 : satypes[below(2)];
	const struct sadb_sa *sa;
	struct sadb_cursor c;
	const struct rec *r;
	size_t i, t;
	uint32_t seq;

	memset(seen, 0, sizeof(seen));
	memset(alive, 0, sizeof(alive));
	for (i = 0; i < NREC; i++) {
		r = &model[i];
		if (r->live && (satype == 0 || r->satype == satype))
			alive[r->satype == satypes[1]][r->spi - SPI0][r->dst] =
			    1;
	}
	sadb_dump_begin(db, &c, satype);
	while (sadb_dump_next(&c, &sa, &seq) == 0)
		dump_one(db, sa, satype);
	/* Whatever lived throughout was reported. */
	for (i = 0; i < NREC; i++) {
		r = &model[i];
		t = r->satype == satypes[1];
		CHECK(!r->live || !alive[t][r->spi - SPI0][r->dst] ||
		    seen[t][r->spi - SPI0][r->dst], "dump missed %#x", seed,
		    now, r->spi);
	}
}

static void
op_flush(struct sadb *db)
{
	uint8_t t = below(2) == 0 ? 0 : satypes[below(2)];
	size_t i, want = m_count(t);

	CHECK(sadb_flush(db, t, NULL, NULL) == want, "flush", seed, now);
	for (i = 0; i < NREC; i++)
		if (t == 0 || model[i].satype == t)
			model[i].live = false;
}

static void
op_time(struct sadb *db, size_t *events)
{
	now += below(4000);
	sadb_expire(db, now, on_event, events);
	m_expire();
}

/* One random operation, weighted. */
static void
op_random(struct sadb *db, size_t *events)
{
	uint32_t w = below(100);

	if (w < 25)
		op_add(db);
	else if (w < 35)
		op_delete(db);
	else if (w < 50)
		op_getspi(db);
	else if (w < 60)
		op_update(db);
	else if (w < 75)
		op_use(db, events);
	else if (w < 85)
		op_time(db, events);
	else if (w < 97)
		op_select(db);
	else if (w < 99)
		op_dump(db);
	else
		op_flush(db);
}

static void
test_sadb_model(void **state)
{
	struct sadb_limits lim;
	size_t events = 0;
	struct sadb *db;
	int round;

	(void)state;
	seed_init();
	print_message("sadb model: PARAPET_SEED=%llu\n", seed);
	memset(model, 0, sizeof(model));
	memset(&lim, 0, sizeof(lim));
	lim.larval_timeout_ms = LARVAL_MS;
	sadb_rnd(lim.hash_seed, sizeof(lim.hash_seed), NULL);
	assert_int_equal(sadb_create(&db, &lim), 0);
	now = 1000;
	for (round = 0; round < ROUNDS; round++) {
		op_random(db, &events);
		CHECK(events == model_events, "events %zu vs %zu", seed, now,
		    events, model_events);
		if (round % 50 == 0)
			check_all(db);
	}
	check_all(db);
	sadb_destroy(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sadb_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
