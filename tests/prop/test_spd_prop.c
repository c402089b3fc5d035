/*
 * test_spd_prop.c - the SPD classifier against a naive linear model.
 *
 * Random operations (add, update, delete by selector and by id, flush of
 * a direction) are applied to the SPD and to an array of records; after
 * each, random packets are classified by both: the SPD's answer must be
 * the model's (lowest priority value, then earliest insertion; update
 * counts as a new insertion). Selectors mix IPv4 and IPv6, prefix lengths
 * (on and off byte boundaries), protocols, ports and ICMP type/code, over
 * a small address space so that overlaps and ties are common; priorities
 * come from a small range for the same reason. Ids, counts and DUMP are
 * checked too. Seed: PARAPET_SEED, printed at the start and in every
 * failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "spd.h"
#include "prng.h"

#define NREC		600
#define ROUNDS		6000
#define PKTS_PER_ROUND	24

struct rec {
	struct spd_entry e;	/* canonical (masked) */
	uint64_t	 seq;
	uint32_t	 id;
	bool		 live;
};

static struct rec model[NREC];
static unsigned long long seed;
static uint64_t rng;
static uint64_t mseq;
static int round_no;
static size_t nlookups, nmatched;

/* A function, not a macro body: keeps the callers' complexity low. */
static void PRINTFLIKE(2, 3)
check(bool ok, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_msg("PARAPET_SEED=%llu round %d: %s", seed, round_no, msg);
}

#define CHECK(cond, ...)	check((cond), __VA_ARGS__)

static uint64_t
rnd(void)
{
	return prng_next(&rng);
}

static uint32_t
below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* The model's own prefix test: bit by bit. */
static bool
m_prefix(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < plen; i++) {
		unsigned int m = 0x80u >> (i % 8);

		if ((a[i / 8] & m) != (b[i / 8] & m))
			return false;
	}
	return true;
}

static void
m_mask(uint8_t a[16], unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < 128; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static bool
m_match(const struct spd_entry *e, uint8_t dir, const struct spd_pkt *p)
{
	const struct spd_sel *s = &e->sel;

	return e->dir == dir && s->family == p->family &&
	    m_prefix(s->src, p->src, s->src_plen) &&
	    m_prefix(s->dst, p->dst, s->dst_plen) &&
	    (s->proto == SPD_PROTO_ANY || s->proto == p->proto) &&
	    (s->sport == 0 || s->sport == p->sport) &&
	    (s->dport == 0 || s->dport == p->dport);
}

static bool
m_same(const struct spd_entry *a, const struct spd_entry *b)
{
	return a->dir == b->dir && a->sel.family == b->sel.family &&
	    a->sel.src_plen == b->sel.src_plen &&
	    a->sel.dst_plen == b->sel.dst_plen &&
	    a->sel.proto == b->sel.proto && a->sel.sport == b->sel.sport &&
	    a->sel.dport == b->sel.dport &&
	    memcmp(a->sel.src, b->sel.src, 16) == 0 &&
	    memcmp(a->sel.dst, b->sel.dst, 16) == 0;
}

static struct rec *
m_find(const struct spd_entry *e)
{
	size_t i;

	for (i = 0; i < NREC; i++)
		if (model[i].live && m_same(&model[i].e, e))
			return &model[i];
	return NULL;
}

static struct rec *
m_free(void)
{
	size_t i;

	for (i = 0; i < NREC; i++)
		if (!model[i].live)
			return &model[i];
	return NULL;
}

static size_t
m_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < NREC; i++)
		n += model[i].live;
	return n;
}

static const struct rec *
m_lookup(uint8_t dir, const struct spd_pkt *p)
{
	const struct rec *best = NULL;
	size_t i;

	for (i = 0; i < NREC; i++) {
		const struct rec *r = &model[i];

		if (!r->live || !m_match(&r->e, dir, p))
			continue;
		if (best == NULL || r->e.priority < best->e.priority ||
		    (r->e.priority == best->e.priority && r->seq < best->seq))
			best = r;
	}
	return best;
}

/* A small address space: a few networks, few hosts, so prefixes overlap. */
static void
rand_addr(uint16_t family, uint8_t a[16])
{
	memset(a, 0, 16);
	if (family == AF_INET) {
		a[0] = 10;
		a[1] = (uint8_t)below(2);
		a[2] = (uint8_t)(below(2) << 7 | below(3));
		a[3] = (uint8_t)below(8);
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[4] = (uint8_t)(below(2) << 7);
		a[7] = (uint8_t)below(3);
		a[15] = (uint8_t)below(8);
	}
}

static uint8_t
rand_plen(uint16_t family)
{
	static const uint8_t v4[] = { 0, 8, 16, 17, 24, 25, 30, 32 };
	static const uint8_t v6[] = { 0, 32, 33, 48, 64, 120, 126, 128 };

	if (below(8) == 0)
		return (uint8_t)below(family == AF_INET ? 33 : 129);
	return family == AF_INET ? v4[below(8)] : v6[below(8)];
}

static const uint8_t protos[] = { SPD_PROTO_ANY, SPD_PROTO_ANY,
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 };

static uint16_t
rand_port(void)
{
	static const uint16_t ports[] = { 0, 0, 0, 1, 2, 8, 500 };

	return ports[below((uint32_t)nitems(ports))];
}

static void
rand_entry(struct spd_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->sel.family = below(4) == 0 ? AF_INET6 : AF_INET;
	e->sel.src_plen = rand_plen(e->sel.family);
	e->sel.dst_plen = rand_plen(e->sel.family);
	rand_addr(e->sel.family, e->sel.src);
	rand_addr(e->sel.family, e->sel.dst);
	e->sel.proto = protos[below((uint32_t)nitems(protos))];
	if (e->sel.proto != SPD_PROTO_ANY || below(4) == 0) {
		e->sel.sport = rand_port();
		e->sel.dport = rand_port();
	}
	e->dir = (uint8_t)(1 + below(3));
	e->priority = below(8) == 0 ? (uint32_t)rnd() : below(6);
	e->action = (uint8_t)below(3);
}

static void
rand_pkt(struct spd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = below(4) == 0 ? AF_INET6 : AF_INET;
	rand_addr(p->family, p->src);
	rand_addr(p->family, p->dst);
	p->proto = protos[below((uint32_t)nitems(protos))];
	if (p->proto == SPD_PROTO_ANY)
		p->proto = IPPROTO_ESP;
	p->sport = rand_port();
	p->dport = rand_port();
}

static void
check_lookups(const struct spd *db)
{
	int i;

	for (i = 0; i < PKTS_PER_ROUND; i++) {
		struct spd_pkt p;
		uint8_t dir = (uint8_t)(1 + below(3));
		const struct spd_policy *got;
		const struct rec *want;

		rand_pkt(&p);
		got = spd_lookup(db, dir, &p);
		want = m_lookup(dir, &p);
		nlookups++;
		nmatched += want != NULL;
		/* Ids are never 0: 0 stands for "none". */
		CHECK((got != NULL ? got->id : 0) == (want != NULL ? want->id : 0),
		    "packet %d dir %u: spd id %u prio %u, model id %u prio %u",
		    i, dir, got != NULL ? got->id : 0,
		    got != NULL ? got->e.priority : 0,
		    want != NULL ? want->id : 0,
		    want != NULL ? want->e.priority : 0);
	}
}

static void
check_all(struct spd *db)
{
	struct spd_cursor cur;
	const struct spd_policy *p;
	size_t i, n = 0;

	CHECK(spd_count(db) == m_count(), "count %zu vs %zu", spd_count(db),
	    m_count());
	for (i = 0; i < NREC; i++) {
		if (!model[i].live)
			continue;
		p = spd_get_id(db, model[i].id);
		CHECK(p != NULL && m_same(&p->e, &model[i].e) &&
		    p->e.priority == model[i].e.priority,
		    "id %u missing or different", model[i].id);
		CHECK(spd_get(db, &model[i].e.sel, model[i].e.dir) == p,
		    "get by selector, id %u", model[i].id);
	}
	spd_dump_begin(db, &cur, 0);
	while ((p = spd_dump_next(db, &cur)) != NULL) {
		bool found = false;

		for (i = 0; i < NREC && !found; i++)
			found = model[i].live && model[i].id == p->id;
		CHECK(found, "dump: id %u unknown", p->id);
		n++;
	}
	spd_dump_end(db, &cur);
	CHECK(n == m_count(), "dump: %zu of %zu", n, m_count());
}

static bool
op_install(struct spd *db, bool update)
{
	struct spd_entry e;
	struct rec *r;
	uint32_t id;
	int got;

	rand_entry(&e);
	got = update ? spd_update(db, &e, 0, &id) : spd_add(db, &e, 0, &id);
	m_mask(e.sel.src, e.sel.src_plen);
	m_mask(e.sel.dst, e.sel.dst_plen);
	if ((r = m_find(&e)) != NULL) {
		if (!update) {
			CHECK(got == -EEXIST, "add duplicate: %d", got);
			return false;
		}
		CHECK(got == 0 && id == r->id, "update: %d id %u/%u", got, id,
		    r->id);
		r->e = e;
		r->seq = ++mseq;
		return true;
	}
	if ((r = m_free()) == NULL) {
		/* Model full: undo in the SPD. */
		CHECK(got == 0, "install: %d", got);
		CHECK(spd_delete_id(db, id) == 0, "undo");
		return true;
	}
	CHECK(got == 0, "install: %d", got);
	CHECK((id & 7) == (uint32_t)(e.dir - 1), "id %u dir %u", id, e.dir);
	r->e = e;
	r->id = id;
	r->seq = ++mseq;
	r->live = true;
	return true;
}

static struct rec *
m_pick(void)
{
	size_t i, start = below(NREC);

	for (i = 0; i < NREC; i++)
		if (model[(start + i) % NREC].live)
			return &model[(start + i) % NREC];
	return NULL;
}

static bool
op_delete(struct spd *db)
{
	struct rec *r = m_pick();
	struct spd_sel s;
	uint32_t id;

	if (r == NULL)
		return false;
	if (below(2) == 0) {
		CHECK(spd_delete_id(db, r->id) == 0, "delete id %u", r->id);
		CHECK(spd_delete_id(db, r->id) == -ENOENT, "delete twice");
	} else {
		/* Host bits beyond the prefix do not matter. */
		s = r->e.sel;
		if (s.src_plen < 128)
			s.src[15] ^= 1;
		CHECK(spd_delete(db, &s, r->e.dir, &id) == 0 && id == r->id,
		    "delete by selector, id %u", r->id);
	}
	r->live = false;
	return true;
}

static bool
op_flush(struct spd *db)
{
	uint8_t dir = (uint8_t)below(4);
	size_t i, n = 0;

	for (i = 0; i < NREC; i++) {
		if (model[i].live && (dir == 0 || model[i].e.dir == dir)) {
			model[i].live = false;
			n++;
		}
	}
	CHECK(spd_flush(db, dir) == n, "flush %u", dir);
	return n != 0;
}

static void
test_prop(void **state)
{
	struct spd *db;
	uint64_t gen;

	(void)state;
	assert_int_equal(spd_create(&db, rnd()), 0);
	for (round_no = 0; round_no < ROUNDS; round_no++) {
		uint32_t op = below(100);
		bool mutated = false;

		gen = spd_generation(db);
		if (op < 45)
			mutated = op_install(db, false);
		else if (op < 60)
			mutated = op_install(db, true);
		else if (op < 99)
			mutated = op_delete(db);
		else if (below(4) == 0)
			mutated = op_flush(db);
		CHECK((spd_generation(db) != gen) == mutated,
		    "generation %" PRIu64 " -> %" PRIu64 ", mutated %d", gen,
		    spd_generation(db), mutated);
		check_lookups(db);
		if (round_no % 500 == 0)
			check_all(db);
	}
	check_all(db);
	printf("test_spd_prop: %zu lookups, %zu matched, %zu policies\n",
	    nlookups, nmatched, spd_count(db));
	spd_destroy(db);
}

int
main(void)
{
	const char *s = getenv("PARAPET_SEED");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prop),
	};

	seed = s != NULL ? strtoull(s, NULL, 0) :
	    (unsigned long long)time(NULL);
	rng = seed * 2 + 1;
	rnd();
	printf("test_spd_prop: PARAPET_SEED=%llu\n", seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
