/*
 * test_sadb_chains_prop.c - the SADB's doubly linked chains and its index
 * of larval SAs by GETSPI seq, against a naive model on random operations.
 *
 * Every SA is between the same two hosts (so all share one pair chain,
 * thousands long) and many share a reqid; the tables grow several times
 * while larval SAs with seqs are indexed. Operations: GETSPI with and
 * without seq (a seq of a live larval SA must give that SA again), ADD,
 * DELETE by SPI, UPDATE of a larval SA (it leaves the seq index: the
 * same seq then makes a new SA), FLUSH (the per-SA and the bulk path).
 * Every few operations each model record is looked up, each larval seq
 * asked again, the counts compared and sadb_select() checked. Seed:
 * PARAPET_SEED, printed at the start and in every failure.
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
#define NREC		3000	/* at most this many SAs live */
#define SPI_LO		0x100u
#define SPI_HI		0x1fffu	/* small: SPI reuse is common */
#define NSEQ		1500u
#define ROUNDS		30000
#define CHECK_EVERY	500

struct rec {
	uint64_t	add_ms;
	uint32_t	spi;
	uint32_t	seq;
	uint32_t	reqid;
	uint8_t		state;
	bool		live;
};

static struct rec model[NREC];
static size_t nlive;
static size_t peak;		/* the most SAs live at once */

static void
addr(struct pfkey_address *a, uint8_t host)
{
	memset(a, 0, sizeof(*a));
	a->sa.family = AF_INET;
	a->sa.addr[0] = 10;
	a->sa.addr[3] = host;
}

/* ESP 10.0.0.1 -> 10.0.0.2, SA2 with reqid when non-zero. */
static void
params(struct sa_params *p, uint32_t spi, uint32_t seq, uint32_t reqid)
{
	memset(p, 0, sizeof(*p));
	p->satype = PARAPET_SADB_SATYPE_ESP;
	p->seq = seq;
	p->sa.spi = spi;
	p->sa.state = SA_STATE_MATURE;
	addr(&p->src, 1);
	addr(&p->dst, 2);
	if (reqid != 0) {
		p->present |= BIT(PARAPET_SADB_X_EXT_SA2);
		p->sa2.reqid = reqid;
	}
}

static struct rec *
m_find(uint32_t spi)
{
	size_t i;

	for (i = 0; i < NREC; i++)
		if (model[i].live && model[i].spi == spi)
			return &model[i];
	return NULL;
}

static struct rec *
m_larval(uint32_t seq)
{
	size_t i;

	if (seq == 0)
		return NULL;
	for (i = 0; i < NREC; i++)
		if (model[i].live && model[i].state == SA_STATE_LARVAL &&
		    model[i].seq == seq)
			return &model[i];
	return NULL;
}

/* The first free record, cleared and live. */
static struct rec *
m_new(void)
{
	struct rec *r = model;

	while (r < model + NREC && r->live)
		r++;
	if (r == model + NREC) {
		fail_msg("model full");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->live = true;
	nlive++;
	return r;
}

static void
m_kill(struct rec *r)
{
	r->live = false;
	nlive--;
}

/* A random live record, or NULL. */
static struct rec *
m_any(void)
{
	size_t i, start;

	if (nlive == 0)
		return NULL;
	start = below(NREC);
	for (i = 0; i < NREC; i++)
		if (model[(start + i) % NREC].live)
			return &model[(start + i) % NREC];
	return NULL;
}

static void
op_getspi(struct sadb *db)
{
	struct pfkey_spirange range = { SPI_LO, SPI_HI };
	uint32_t seq = below(4) == 0 ? 0 : 1 + below(NSEQ);
	struct rec *m = m_larval(seq);
	struct sa_params p;
	struct sadb_sa *sa;
	int got;

	if (m == NULL && nlive >= NREC)
		return;
	params(&p, 0, seq, 0);
	got = sadb_getspi(db, &p, &range, sadb_rnd, NULL, now, &sa);
	CHECK(got == 0, "getspi seq %u: %d", seed, now, seq, got);
	if (m != NULL) {
		CHECK(sadb_sa_spi(sa) == m->spi, "getspi seq %u again: %#x, "
		    "want %#x", seed, now, seq, sadb_sa_spi(sa), m->spi);
		return;
	}
	CHECK(m_find(sadb_sa_spi(sa)) == NULL, "getspi: SPI %#x in use",
	    seed, now, sadb_sa_spi(sa));
	m = m_new();
	m->spi = sadb_sa_spi(sa);
	m->seq = seq;
	m->state = SA_STATE_LARVAL;
	m->add_ms = now;
}

static void
op_add(struct sadb *db)
{
	uint32_t spi = SPI_LO + below(SPI_HI - SPI_LO + 1);
	uint32_t reqid = below(3) == 0 ? 0 : 1 + below(4);
	struct rec *m = m_find(spi);
	struct sa_params p;
	struct sadb_sa *sa;
	int got;

	if (m == NULL && nlive >= NREC)
		return;
	params(&p, spi, below(NSEQ), reqid);
	got = sadb_add(db, &p, now, &sa);
	CHECK(got == (m != NULL ? -EEXIST : 0), "add %#x: %d", seed, now, spi,
	    got);
	if (got != 0)
		return;
	m = m_new();
	m->spi = spi;
	m->seq = p.seq;
	m->reqid = reqid;
	m->state = SA_STATE_MATURE;
	m->add_ms = now;
}

static void
op_delete(struct sadb *db)
{
	struct rec *m = below(8) == 0 ? NULL : m_any();
	uint32_t spi = m != NULL ? m->spi : SPI_LO + below(SPI_HI - SPI_LO + 1);
	struct pfkey_address d;
	int got;

	m = m_find(spi);
	addr(&d, 2);
	got = sadb_delete_spi(db, PARAPET_SADB_SATYPE_ESP, spi, &d.sa);
	CHECK(got == (m != NULL ? 0 : -ESRCH), "delete %#x: %d", seed, now,
	    spi, got);
	if (m != NULL)
		m_kill(m);
}

/* UPDATE of a larval SA with its seq: MATURE, out of the seq index. */
static void
op_update(struct sadb *db)
{
	struct rec *m = m_any();
	uint32_t reqid = below(3) == 0 ? 0 : 1 + below(4);
	struct sa_params p;
	struct sadb_sa *sa;
	int got;

	if (m == NULL || m->state != SA_STATE_LARVAL)
		return;
	params(&p, m->spi, m->seq, reqid);
	got = sadb_update(db, &p, now, &sa);
	CHECK(got == 0, "update %#x: %d", seed, now, m->spi, got);
	m->state = SA_STATE_MATURE;
	m->reqid = reqid;
	m->add_ms = now;
}

static void
op_flush(struct sadb *db)
{
	size_t i, n, want = nlive;

	/* Small flushes take the per-SA path, large ones the bulk one. */
	n = sadb_flush(db, below(2) == 0 ? PARAPET_SADB_SATYPE_ESP :
	    PARAPET_SADB_SATYPE_UNSPEC, NULL, NULL);
	CHECK(n == want, "flush: %zu want %zu", seed, now, n, want);
	for (i = 0; i < NREC; i++)
		if (model[i].live)
			m_kill(&model[i]);
}

/* The most recently added MATURE SA (naive sadb_select()). */
static const struct rec *
m_select(uint32_t reqid)
{
	const struct rec *best = NULL;
	size_t i;

	for (i = 0; i < NREC; i++) {
		const struct rec *r = &model[i];

		if (r->live && r->state == SA_STATE_MATURE &&
		    (reqid == 0 || r->reqid == reqid) &&
		    (best == NULL || r->add_ms > best->add_ms))
			best = r;
	}
	return best;
}

/* r is found by SPI; a larval one with a seq is asked for again. */
static void
check_one(struct sadb *db, const struct rec *r)
{
	struct pfkey_address d;
	struct sadb_sa *sa;
	struct sa_params p;

	addr(&d, 2);
	sa = sadb_lookup(db, PARAPET_SADB_SATYPE_ESP, r->spi, &d.sa);
	CHECK(sa != NULL && sadb_sa_state(sa) == r->state, "lookup %#x",
	    seed, now, r->spi);
	if (r->state != SA_STATE_LARVAL || r->seq == 0)
		return;
	params(&p, 0, r->seq, 0);
	CHECK(sadb_getspi(db, &p, NULL, sadb_rnd, NULL, now, &sa) == 0 &&
	    sadb_sa_spi(sa) == r->spi, "seq %u again", seed, now, r->seq);
}

static void
check_all(struct sadb *db)
{
	struct pfkey_address s, d;
	struct sadb_sa *sa;
	const struct rec *best;
	uint32_t reqid;
	size_t i;

	addr(&s, 1);
	addr(&d, 2);
	CHECK(sadb_count(db, PARAPET_SADB_SATYPE_UNSPEC) == nlive,
	    "count %zu want %zu", seed, now,
	    sadb_count(db, PARAPET_SADB_SATYPE_UNSPEC), nlive);
	for (i = 0; i < NREC; i++)
		if (model[i].live)
			check_one(db, &model[i]);
	CHECK(sadb_count(db, PARAPET_SADB_SATYPE_UNSPEC) == nlive,
	    "asking again made SAs", seed, now);
	for (reqid = 0; reqid <= 4; reqid++) {
		best = m_select(reqid);
		sa = sadb_select(db, PARAPET_SADB_SATYPE_ESP, &s.sa, &d.sa,
		    reqid);
		CHECK((best == NULL && sa == NULL) || (best != NULL &&
		    sa != NULL && sadb_sa_spi(sa) == best->spi),
		    "select reqid %u", seed, now, reqid);
	}
}

static void
op_random(struct sadb *db)
{
	uint32_t r = below(10000);

	now++;
	if (r < 3800)
		op_getspi(db);
	else if (r < 6000)
		op_add(db);
	else if (r < 8500)
		op_delete(db);
	else if (r < 9998)
		op_update(db);
	else
		op_flush(db);	/* mostly some thousand SAs */
	if (nlive > peak)
		peak = nlive;
}

static void
test_sadb_chains(void **state)
{
	struct sadb_limits lim;
	struct sadb *db;
	int round;

	(void)state;
	seed_init();
	print_message("sadb chains: PARAPET_SEED=%llu\n", seed);
	memset(model, 0, sizeof(model));
	nlive = peak = 0;
	memset(&lim, 0, sizeof(lim));
	lim.larval_timeout_ms = UINT32_MAX;	/* no expiry here */
	sadb_rnd(lim.hash_seed, sizeof(lim.hash_seed), NULL);
	assert_int_equal(sadb_create(&db, &lim), 0);
	now = 1000;
	for (round = 0; round < ROUNDS; round++) {
		op_random(db);
		if (round % CHECK_EVERY == 0)
			check_all(db);
	}
	check_all(db);
	print_message("sadb chains: at most %zu SAs, %zu at the end\n",
	    peak, nlive);
	sadb_destroy(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sadb_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
