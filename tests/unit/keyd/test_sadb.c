/*
 * test_sadb.c - the SA database core (servers/keyd/sadb.c).
 *
 *  - the state table, one row per (state, operation), and the same rules
 *    through the API (GETSPI, UPDATE, ADD, DELETE, use);
 *  - GETSPI ranges: min = max, reserved SPIs, exhaustion, seq reuse;
 *  - lifetimes on a virtual clock: add time, use time, bytes and
 *    allocations, soft then hard, each boundary (limit - 1, limit);
 *    the larval timeout;
 *  - FLUSH by SA type and of everything; DUMP cursors while SAs come and
 *    go; SA selection and the reqid index;
 *  - the PF_KEY view: build, parse back, same values;
 *  - key memory: the hook is used, keys are wiped on delete, every chunk
 *    goes back; bytes per SA (PARAPET_SADB_N SAs, default 100000).
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

#include <cmocka.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "sadb.h"
#include "prng.h"

#define T(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define AH		T(SATYPE_AH)
#define ESP		T(SATYPE_ESP)
#define IPCOMP		T(X_SATYPE_IPCOMP)

static const uint8_t key_a[20] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
	0xb4 };
static const uint8_t key_e[16] = { 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
	0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf0 };

/* A deterministic "random" source: xorshift64*. */
static uint64_t rng_state = 1;

static void
test_rnd(void *buf, size_t len, void *arg)
{
	uint8_t *p = buf;
	size_t i;

	(void)arg;
	for (i = 0; i < len; i++) {
		p[i] = (uint8_t)(prng_next(&rng_state) >> 56);
	}
}

static struct sadb *
new_db(void)
{
	struct sadb_limits lim;
	struct sadb *db;

	memset(&lim, 0, sizeof(lim));
	memset(lim.hash_seed, 0x5a, sizeof(lim.hash_seed));
	assert_int_equal(sadb_create(&db, &lim), 0);
	return db;
}

static void
v4(struct pfkey_address *a, uint8_t last, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = 32;
	a->sa.family = AF_INET;
	a->sa.port = port;
	a->sa.addr[0] = 192;
	a->sa.addr[1] = 0;
	a->sa.addr[2] = 2;
	a->sa.addr[3] = last;
}

static void
esp_params(struct sa_params *p, uint8_t satype, uint32_t spi, uint8_t src,
    uint8_t dst)
{
	memset(p, 0, sizeof(*p));
	p->satype = satype;
	p->sa.spi = spi;
	p->sa.state = T(SASTATE_MATURE);
	p->sa.replay = 32;
	p->sa.auth = T(AALG_SHA1HMAC);
	p->sa.encrypt = T(X_EALG_AESCBC);
	v4(&p->src, src, 0);
	v4(&p->dst, dst, 0);
	p->present = BIT(T(EXT_KEY_AUTH)) | BIT(T(EXT_KEY_ENCRYPT));
	p->key_auth.data = key_a;
	p->key_auth.len_bytes = sizeof(key_a);
	p->key_auth.bits = 8 * sizeof(key_a);
	p->key_encrypt.data = key_e;
	p->key_encrypt.len_bytes = sizeof(key_e);
	p->key_encrypt.bits = 8 * sizeof(key_e);
}

static struct sadb_sa *
add_esp(struct sadb *db, uint8_t satype, uint32_t spi, uint8_t src,
    uint8_t dst, uint64_t now)
{
	struct sa_params p;
	struct sadb_sa *sa;

	esp_params(&p, satype, spi, src, dst);
	assert_int_equal(sadb_add(db, &p, now, &sa), 0);
	assert_non_null(sa);
	return sa;
}

/* Events, recorded. */
#define EV_MAX	16
struct evlog {
	size_t		n;
	struct {
		enum sa_event_kind	kind;
		enum sa_trigger		trigger;
		uint32_t		spi;
		enum sa_state		state;
	} ev[EV_MAX];
};

static void
record(const struct sa_event *e, void *arg)
{
	struct evlog *l = arg;

	assert_true(l->n < EV_MAX);
	l->ev[l->n].kind = e->kind;
	l->ev[l->n].trigger = e->trigger;
	l->ev[l->n].spi = sadb_sa_spi(e->sa);
	l->ev[l->n].state = sadb_sa_state(e->sa);
	l->n++;
}

/* --- The state table ------------------------------------------------- */

static void
test_state_table(void **state)
{
	static const struct {
		enum sa_state	from;
		enum sa_op	op;
		int		want;
	} rows[] = {
		{ SA_STATE_LARVAL, SA_OP_UPDATE, SA_STATE_MATURE },
		{ SA_STATE_LARVAL, SA_OP_USE, -EINVAL },
		{ SA_STATE_LARVAL, SA_OP_SOFT, -EINVAL },
		{ SA_STATE_LARVAL, SA_OP_HARD, -EINVAL },
		{ SA_STATE_LARVAL, SA_OP_LARVAL_TIMEOUT, SA_STATE_DEAD },
		{ SA_STATE_LARVAL, SA_OP_DELETE, SA_STATE_DEAD },
		{ SA_STATE_MATURE, SA_OP_UPDATE, SA_STATE_MATURE },
		{ SA_STATE_MATURE, SA_OP_USE, SA_STATE_MATURE },
		{ SA_STATE_MATURE, SA_OP_SOFT, SA_STATE_DYING },
		{ SA_STATE_MATURE, SA_OP_HARD, SA_STATE_DEAD },
		{ SA_STATE_MATURE, SA_OP_LARVAL_TIMEOUT, -EINVAL },
		{ SA_STATE_MATURE, SA_OP_DELETE, SA_STATE_DEAD },
		{ SA_STATE_DYING, SA_OP_UPDATE, SA_STATE_DYING },
		{ SA_STATE_DYING, SA_OP_USE, SA_STATE_DYING },
		{ SA_STATE_DYING, SA_OP_SOFT, -EINVAL },
		{ SA_STATE_DYING, SA_OP_HARD, SA_STATE_DEAD },
		{ SA_STATE_DYING, SA_OP_LARVAL_TIMEOUT, -EINVAL },
		{ SA_STATE_DYING, SA_OP_DELETE, SA_STATE_DEAD },
		{ SA_STATE_DEAD, SA_OP_UPDATE, -EINVAL },
		{ SA_STATE_DEAD, SA_OP_USE, -EINVAL },
		{ SA_STATE_DEAD, SA_OP_SOFT, -EINVAL },
		{ SA_STATE_DEAD, SA_OP_HARD, -EINVAL },
		{ SA_STATE_DEAD, SA_OP_LARVAL_TIMEOUT, -EINVAL },
		{ SA_STATE_DEAD, SA_OP_DELETE, -EINVAL },
		{ SA_STATE_COUNT, SA_OP_DELETE, -EINVAL },
		{ SA_STATE_MATURE, SA_OP_COUNT, -EINVAL },
	};
	size_t i;

	(void)state;
	assert_int_equal(nitems(rows), SA_STATE_COUNT * SA_OP_COUNT + 2);
	for (i = 0; i < nitems(rows); i++) {
		int got = sadb_state_next(rows[i].from, rows[i].op);

		if (got != rows[i].want)
			fail_msg("row %zu: state %d op %d: got %d want %d", i,
			    rows[i].from, rows[i].op, got, rows[i].want);
	}
}

/* --- The same rules through the API ---------------------------------- */

enum api_step {
	S_GETSPI,		/* seq = arg; SPI remembered */
	S_UPDATE,		/* the remembered SPI, seq = arg */
	S_UPDATE_SPI,		/* SPI = arg (seq 0) */
	S_ADD,			/* SPI = arg */
	S_ADD_STATE,		/* SPI 0x1000, sa.state = arg */
	S_ADD_REMEMBERED,	/* ADD of the remembered SPI */
	S_DELETE,		/* the remembered SPI */
	S_DELETE_SPI,		/* SPI = arg */
	S_USE,			/* the remembered SPI */
	S_EXPECT_STATE,		/* the remembered SPI is in state arg */
	S_EXPECT_GONE,		/* the remembered SPI is not there */
};

struct api_row {
	const char	*name;
	struct {
		enum api_step	step;
		uint32_t	arg;
		int		want;
	} s[6];
	size_t		n;
};

/* One step of a row; returns what the SADB said (0/-errno, or 0/-1). */
static int
api_step(struct sadb *db, enum api_step step, uint32_t arg, uint32_t *spi)
{
	struct pfkey_spirange range = { 0x2000, 0x2fff };
	struct sa_params p;
	struct sadb_sa *sa;
	enum sa_state st;
	int got;

	esp_params(&p, ESP, *spi, 1, 2);
	switch (step) {
	case S_GETSPI:
		p.seq = arg;
		got = sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa);
		if (got == 0)
			*spi = sadb_sa_spi(sa);
		return got;
	case S_UPDATE:
		p.seq = arg;
		return sadb_update(db, &p, 0, &sa);
	case S_UPDATE_SPI:
		p.sa.spi = arg;
		return sadb_update(db, &p, 0, &sa);
	case S_ADD:
		p.sa.spi = arg;
		got = sadb_add(db, &p, 0, &sa);
		if (got == 0)
			*spi = arg;
		return got;
	case S_ADD_STATE:
		p.sa.spi = 0x1000;
		p.sa.state = (uint8_t)arg;
		return sadb_add(db, &p, 0, &sa);
	case S_ADD_REMEMBERED:
		return sadb_add(db, &p, 0, &sa);
	case S_DELETE:
	case S_DELETE_SPI:
		v4(&p.dst, 2, 4500);	/* the port is ignored */
		return sadb_delete_spi(db, ESP, step == S_DELETE ? *spi : arg,
		    &p.dst.sa);
	case S_USE:
		sa = sadb_lookup(db, ESP, *spi, &p.dst.sa);
		assert_non_null(sa);
		return sadb_use(db, sa, 100, 1, 0, NULL, NULL, &st);
	case S_EXPECT_STATE:
		sa = sadb_lookup(db, ESP, *spi, &p.dst.sa);
		return sa != NULL && (int)sadb_sa_state(sa) == (int)arg ? 0 :
		    -1;
	case S_EXPECT_GONE:
		return sadb_lookup(db, ESP, *spi, &p.dst.sa) == NULL ? 0 : -1;
	}
	return -1;
}

static void
run_api_row(const struct api_row *r)
{
	struct sadb *db = new_db();
	uint32_t spi = 0;
	size_t i;
	int got;

	for (i = 0; i < r->n; i++) {
		got = api_step(db, r->s[i].step, r->s[i].arg, &spi);
		if (got != r->s[i].want)
			fail_msg("%s step %zu: got %d want %d", r->name, i, got,
			    r->s[i].want);
	}
	sadb_destroy(db);
}

static void
test_api_transitions(void **state)
{
	static const struct api_row rows[] = {
		{ "getspi makes larval", { { S_GETSPI, 7, 0 },
		    { S_EXPECT_STATE, SA_STATE_LARVAL, 0 } }, 2 },
		{ "update larval to mature", { { S_GETSPI, 7, 0 },
		    { S_UPDATE, 7, 0 },
		    { S_EXPECT_STATE, SA_STATE_MATURE, 0 } }, 3 },
		{ "update with another seq", { { S_GETSPI, 7, 0 },
		    { S_UPDATE, 8, -EINVAL },
		    { S_EXPECT_STATE, SA_STATE_LARVAL, 0 } }, 3 },
		{ "update after getspi seq 0, any seq", { { S_GETSPI, 0, 0 },
		    { S_UPDATE, 99, 0 },
		    { S_EXPECT_STATE, SA_STATE_MATURE, 0 } }, 3 },
		{ "update of nothing", { { S_UPDATE_SPI, 0x3333, -ESRCH } },
		    1 },
		{ "update mature keeps mature", { { S_ADD, 0x4000, 0 },
		    { S_UPDATE, 0, 0 },
		    { S_EXPECT_STATE, SA_STATE_MATURE, 0 } }, 3 },
		{ "add makes mature", { { S_ADD, 0x4000, 0 },
		    { S_EXPECT_STATE, SA_STATE_MATURE, 0 } }, 2 },
		{ "add duplicate", { { S_ADD, 0x4000, 0 },
		    { S_ADD, 0x4000, -EEXIST } }, 2 },
		{ "add over a larval SA", { { S_GETSPI, 7, 0 },
		    { S_ADD_REMEMBERED, 0, -EEXIST } }, 2 },
		{ "add larval state (setkey 0)", { { S_ADD_STATE,
		    SA_STATE_LARVAL, 0 } }, 1 },
		{ "add dying state", { { S_ADD_STATE, SA_STATE_DYING,
		    -EINVAL } }, 1 },
		{ "add dead state", { { S_ADD_STATE, SA_STATE_DEAD,
		    -EINVAL } }, 1 },
		{ "add spi 0", { { S_ADD, 0, -EINVAL } }, 1 },
		{ "delete mature", { { S_ADD, 0x4000, 0 }, { S_DELETE, 0, 0 },
		    { S_EXPECT_GONE, 0, 0 }, { S_DELETE, 0, -ESRCH } }, 4 },
		{ "delete larval", { { S_GETSPI, 1, 0 }, { S_DELETE, 0, 0 },
		    { S_EXPECT_GONE, 0, 0 } }, 3 },
		{ "delete nothing", { { S_DELETE_SPI, 0x4000, -ESRCH } }, 1 },
		{ "use larval", { { S_GETSPI, 1, 0 },
		    { S_USE, 0, -EINVAL } }, 2 },
		{ "use mature", { { S_ADD, 0x4000, 0 }, { S_USE, 0, 0 },
		    { S_EXPECT_STATE, SA_STATE_MATURE, 0 } }, 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++)
		run_api_row(&rows[i]);
}

/* --- GETSPI ------------------------------------------------------------ */

static void
test_getspi_ranges(void **state)
{
	static const struct {
		uint8_t		satype;
		bool		has_range;
		uint32_t	min, max;
		int		want;
		uint32_t	lo, hi;		/* the SPI, when want is 0 */
	} rows[] = {
		{ ESP, true, 0x1234, 0x1234, 0, 0x1234, 0x1234 },
		{ ESP, true, 0, 0, -ENOENT, 0, 0 },
		{ ESP, true, 1, 255, -ENOENT, 0, 0 },
		{ ESP, true, 255, 255, -ENOENT, 0, 0 },
		{ ESP, true, 0, 256, 0, 256, 256 },
		{ ESP, true, 255, 256, 0, 256, 256 },
		{ ESP, true, 0xfffffffe, 0xffffffff, 0, 0xfffffffe,
		    0xffffffff },
		{ ESP, true, 0xffffffff, 0xffffffff, 0, 0xffffffff,
		    0xffffffff },
		{ ESP, true, 0x2000, 0x1fff, -EINVAL, 0, 0 },
		{ ESP, false, 0, 0, 0, SADB_SPI_MIN, SADB_SPI_DEFAULT_MAX },
		{ AH, true, 0, 0xffffffff, 0, 256, 0xffffffff },
		{ IPCOMP, false, 0, 0, 0, 256, 0xffff },
		{ IPCOMP, true, 0x100, 0x10000, -EINVAL, 0, 0 },
		{ IPCOMP, true, 0x100, 0xffff, 0, 0x100, 0xffff },
		{ T(SATYPE_RSVP), false, 0, 0, -EINVAL, 0, 0 },
	};
	struct pfkey_spirange range;
	struct sa_params p;
	struct sadb_sa *sa;
	struct sadb *db;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		db = new_db();
		esp_params(&p, rows[i].satype, 0, 1, 2);
		range.min = rows[i].min;
		range.max = rows[i].max;
		got = sadb_getspi(db, &p, rows[i].has_range ? &range : NULL,
		    test_rnd, NULL, 0, &sa);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d want %d", i, got,
			    rows[i].want);
		if (got == 0 && (sadb_sa_spi(sa) < rows[i].lo ||
		    sadb_sa_spi(sa) > rows[i].hi))
			fail_msg("row %zu: SPI %#x not in [%#x, %#x]", i,
			    sadb_sa_spi(sa), rows[i].lo, rows[i].hi);
		sadb_destroy(db);
	}
}

static void
test_getspi_exhaust(void **state)
{
	struct pfkey_spirange range = { 0x500, 0x507 };
	uint8_t seen[8] = { 0 };
	struct sadb_sa *sa, *sa2;
	struct sa_params p;
	struct sadb *db = new_db();
	uint32_t i;

	(void)state;
	esp_params(&p, ESP, 0, 1, 2);
	for (i = 0; i < 8; i++) {
		p.seq = 100 + i;
		assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0,
		    &sa), 0);
		assert_in_range(sadb_sa_spi(sa), 0x500, 0x507);
		assert_int_equal(seen[sadb_sa_spi(sa) - 0x500], 0);
		seen[sadb_sa_spi(sa) - 0x500] = 1;
	}
	/* Full: Linux xfrm_alloc_spi() says ENOENT. */
	p.seq = 200;
	assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa),
	    -ENOENT);
	assert_null(sa);
	/* Same seq again: the same larval SA, even with the range full. */
	p.seq = 103;
	assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa),
	    0);
	assert_int_equal(sadb_sa_seq(sa), 103);
	assert_int_equal(sadb_count(db, ESP), 8);
	/* Another destination has its own SPI space. */
	esp_params(&p, ESP, 0, 1, 3);
	assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa2),
	    0);
	/* And another SA type too. */
	esp_params(&p, AH, 0, 1, 2);
	assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa2),
	    0);
	/* Free one: it is found by the linear probe, whatever the draws. */
	v4(&p.dst, 2, 0);
	assert_int_equal(sadb_delete_spi(db, ESP, 0x503, &p.dst.sa), 0);
	esp_params(&p, ESP, 0, 1, 2);
	p.seq = 300;
	assert_int_equal(sadb_getspi(db, &p, &range, test_rnd, NULL, 0, &sa),
	    0);
	assert_int_equal(sadb_sa_spi(sa), 0x503);
	sadb_destroy(db);
}

static void
test_larval_timeout(void **state)
{
	struct sadb_limits lim;
	struct evlog log = { 0 };
	struct sadb_sa *sa;
	struct sa_params p;
	struct sadb *db;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.larval_timeout_ms = 5000;
	assert_int_equal(sadb_create(&db, &lim), 0);
	esp_params(&p, ESP, 0, 1, 2);
	assert_int_equal(sadb_getspi(db, &p, NULL, test_rnd, NULL, 1000, &sa),
	    0);
	assert_int_equal(sadb_next_deadline(db), 6000);
	assert_int_equal(sadb_expire(db, 5999, record, &log), 0);
	assert_int_equal(sadb_expire(db, 6000, record, &log), 1);
	assert_int_equal(log.ev[0].kind, SA_EVENT_HARD);
	assert_int_equal(log.ev[0].trigger, SA_TRIGGER_LARVAL);
	assert_int_equal(log.ev[0].state, SA_STATE_DEAD);
	assert_int_equal(sadb_count(db, 0), 0);
	assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
	/* An UPDATE in time cancels the timeout. */
	assert_int_equal(sadb_getspi(db, &p, NULL, test_rnd, NULL, 7000, &sa),
	    0);
	p.sa.spi = sadb_sa_spi(sa);
	assert_int_equal(sadb_update(db, &p, 8000, &sa), 0);
	assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
	assert_int_equal(sadb_expire(db, UINT64_MAX - 1, record, &log), 0);
	assert_int_equal(sadb_count(db, 0), 1);
	sadb_destroy(db);
}

/* --- Lifetimes on a virtual clock ------------------------------------ */

enum lft_kind { L_ADD, L_USE, L_BYTES, L_ALLOCS };

static void
set_lft(struct pfkey_lifetime *l, enum lft_kind k, uint64_t v)
{
	memset(l, 0, sizeof(*l));
	switch (k) {
	case L_ADD:
		l->addtime = v;
		break;
	case L_USE:
		l->usetime = v;
		break;
	case L_BYTES:
		l->bytes = v;
		break;
	case L_ALLOCS:
		l->allocations = (uint32_t)v;
		break;
	}
}

/*
 * Drive the clock (time kinds, in seconds after add or first use) or the
 * counters (bytes, allocations) to `at`, and return the state.
 */
static enum sa_state
advance(struct sadb *db, struct sadb_sa **sa, enum lft_kind k, uint64_t *done,
    uint64_t at, struct evlog *log)
{
	const uint64_t t0 = 1000000, u0 = 1500000;
	enum sa_state st = SA_STATE_MATURE;

	switch (k) {
	case L_ADD:
		sadb_expire(db, t0 + at * 1000, record, log);
		break;
	case L_USE:
		sadb_expire(db, u0 + at * 1000, record, log);
		break;
	case L_BYTES:
		assert_int_equal(sadb_use(db, *sa, at - *done, 0, u0, record,
		    log, &st), 0);
		break;
	case L_ALLOCS:
		assert_int_equal(sadb_use(db, *sa, 0, (uint32_t)(at - *done),
		    u0, record, log, &st), 0);
		break;
	}
	*done = at;
	if (log->n != 0 && log->ev[log->n - 1].kind == SA_EVENT_HARD) {
		*sa = NULL;
		return SA_STATE_DEAD;
	}
	return sadb_sa_state(*sa);
}

struct lft_row {
	uint64_t	soft, hard;	/* 0: absent */
	enum lft_kind	kind;
	enum sa_trigger	trigger;
};

static struct sadb *
lft_setup(const struct lft_row *row, struct sadb_sa **sa, struct evlog *log)
{
	const uint64_t t0 = 1000000, u0 = 1500000;
	struct sadb *db = new_db();
	struct sa_params p;
	enum sa_state st;

	esp_params(&p, ESP, 0x1000, 1, 2);
	if (row->soft != 0) {
		p.present |= BIT(T(EXT_LIFETIME_SOFT));
		set_lft(&p.lft_soft, row->kind, row->soft);
	}
	if (row->hard != 0) {
		p.present |= BIT(T(EXT_LIFETIME_HARD));
		set_lft(&p.lft_hard, row->kind, row->hard);
	}
	assert_int_equal(sadb_add(db, &p, t0, sa), 0);
	if (row->kind == L_USE) {
		/* Nothing runs before the first use. */
		assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
		assert_int_equal(sadb_use(db, *sa, 0, 0, u0 - 1, record, log,
		    &st), 0);		/* no traffic: not a use */
		assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
		assert_int_equal(sadb_use(db, *sa, 1, 1, u0, record, log, &st),
		    0);
	}
	if (row->kind == L_ALLOCS || row->kind == L_BYTES)
		assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
	return db;
}

/* soft - 1: nothing; soft: DYING with one SOFT event. */
static void
lft_soft(struct sadb *db, struct sadb_sa **sa, const struct lft_row *row,
    size_t i, uint64_t *done, struct evlog *log)
{
	enum sa_state st;

	st = advance(db, sa, row->kind, done, row->soft - 1, log);
	if (st != SA_STATE_MATURE || log->n != 0)
		fail_msg("row %zu: soft - 1: state %d", i, st);
	st = advance(db, sa, row->kind, done, row->soft, log);
	if (st != SA_STATE_DYING || log->n != 1 ||
	    log->ev[0].kind != SA_EVENT_SOFT ||
	    log->ev[0].trigger != row->trigger ||
	    log->ev[0].state != SA_STATE_DYING)
		fail_msg("row %zu: soft: state %d, %zu events", i, st, log->n);
}

/* hard - 1: alive; hard: DEAD with one HARD event, gone. */
static void
lft_hard(struct sadb *db, struct sadb_sa **sa, const struct lft_row *row,
    size_t i, uint64_t *done, struct evlog *log)
{
	bool only_hard = row->soft == 0 || row->soft == row->hard;
	enum sa_state st;

	if (row->hard - 1 > *done) {
		st = advance(db, sa, row->kind, done, row->hard - 1, log);
		if (st == SA_STATE_DEAD)
			fail_msg("row %zu: dead at hard - 1", i);
	}
	st = advance(db, sa, row->kind, done, row->hard, log);
	if (st != SA_STATE_DEAD || log->n != (only_hard ? 1u : 2u) ||
	    log->ev[log->n - 1].trigger != row->trigger ||
	    log->ev[log->n - 1].state != SA_STATE_DEAD)
		fail_msg("row %zu: hard: state %d, %zu events", i, st, log->n);
	assert_int_equal(sadb_count(db, 0), 0);
	assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
}

static void
test_lifetimes(void **state)
{
	static const struct lft_row rows[] = {
		{ 10, 20, L_ADD, SA_TRIGGER_ADDTIME },
		{ 0, 20, L_ADD, SA_TRIGGER_ADDTIME },
		{ 10, 0, L_ADD, SA_TRIGGER_ADDTIME },
		{ 20, 20, L_ADD, SA_TRIGGER_ADDTIME },
		{ 1, 2, L_ADD, SA_TRIGGER_ADDTIME },
		{ 10, 20, L_USE, SA_TRIGGER_USETIME },
		{ 0, 20, L_USE, SA_TRIGGER_USETIME },
		{ 5, 0, L_USE, SA_TRIGGER_USETIME },
		{ 1000, 2000, L_BYTES, SA_TRIGGER_BYTES },
		{ 0, 2000, L_BYTES, SA_TRIGGER_BYTES },
		{ 1000, 0, L_BYTES, SA_TRIGGER_BYTES },
		{ 2, 2, L_BYTES, SA_TRIGGER_BYTES },
		{ 3, 5, L_ALLOCS, SA_TRIGGER_ALLOCATIONS },
		{ 1, 2, L_ALLOCS, SA_TRIGGER_ALLOCATIONS },
		{ 0, 1, L_ALLOCS, SA_TRIGGER_ALLOCATIONS },
		{ 7, 0, L_ALLOCS, SA_TRIGGER_ALLOCATIONS },
	};
	struct evlog log;
	struct sadb_sa *sa;
	struct sadb *db;
	uint64_t done;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		memset(&log, 0, sizeof(log));
		db = lft_setup(&rows[i], &sa, &log);
		done = 0;
		if (rows[i].soft != 0 && rows[i].soft != rows[i].hard)
			lft_soft(db, &sa, &rows[i], i, &done, &log);
		if (rows[i].hard != 0) {
			lft_hard(db, &sa, &rows[i], i, &done, &log);
		} else {
			/* Soft only: DYING for ever, nothing more. */
			assert_int_equal(advance(db, &sa, rows[i].kind, &done,
			    rows[i].soft * 100, &log), SA_STATE_DYING);
			assert_int_equal(log.n, 1);
			assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
		}
		sadb_destroy(db);
	}
}

/* Many SAs, one heap: expiries come out in deadline order. */
static void
test_expire_order(void **state)
{
	struct sadb *db = new_db();
	struct evlog log;
	struct sa_params p;
	struct sadb_sa *sa;
	uint32_t i;

	(void)state;
	for (i = 0; i < 12; i++) {
		esp_params(&p, ESP, 0x1000 + i, 1, 2);
		p.present |= BIT(T(EXT_LIFETIME_HARD));
		p.lft_hard.addtime = 1 + (i * 7) % 12;	/* a permutation */
		assert_int_equal(sadb_add(db, &p, 0, &sa), 0);
	}
	for (i = 1; i <= 12; i++) {
		memset(&log, 0, sizeof(log));
		assert_int_equal(sadb_next_deadline(db), (uint64_t)i * 1000);
		assert_int_equal(sadb_expire(db, (uint64_t)i * 1000, record,
		    &log), 1);
		assert_int_equal((log.ev[0].spi - 0x1000) * 7 % 12 + 1, i);
	}
	assert_int_equal(sadb_count(db, 0), 0);
	/* UPDATE of a mature SA moves its deadline. */
	esp_params(&p, ESP, 0x1000, 1, 2);
	p.present |= BIT(T(EXT_LIFETIME_HARD));
	p.lft_hard.addtime = 100;
	assert_int_equal(sadb_add(db, &p, 0, &sa), 0);
	assert_int_equal(sadb_next_deadline(db), 100000);
	p.lft_hard.addtime = 50;
	assert_int_equal(sadb_update(db, &p, 999, &sa), 0);
	assert_int_equal(sadb_next_deadline(db), 50000);
	p.present &= ~BIT(T(EXT_LIFETIME_HARD));
	assert_int_equal(sadb_update(db, &p, 999, &sa), 0);
	assert_int_equal(sadb_next_deadline(db), UINT64_MAX);
	sadb_destroy(db);
}

/* --- FLUSH, DUMP, select, reqid -------------------------------------- */

static void
count_visit(const struct sadb_sa *sa, void *arg)
{
	(void)sa;
	(*(size_t *)arg)++;
}

static void
test_flush(void **state)
{
	struct sadb *db = new_db();
	size_t visited = 0;
	uint32_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		add_esp(db, AH, 0x100 + i, 1, 2, 0);
		add_esp(db, ESP, 0x100 + i, 1, 2, 0);
		add_esp(db, IPCOMP, 0x100 + i, 1, 2, 0);
	}
	assert_int_equal(sadb_count(db, 0), 15);
	assert_int_equal(sadb_flush(db, ESP, count_visit, &visited), 5);
	assert_int_equal(visited, 5);
	assert_int_equal(sadb_count(db, ESP), 0);
	assert_int_equal(sadb_count(db, AH), 5);
	assert_int_equal(sadb_flush(db, ESP, NULL, NULL), 0);
	assert_int_equal(sadb_flush(db, T(SATYPE_RSVP), NULL, NULL), 0);
	assert_int_equal(sadb_flush(db, 0, NULL, NULL), 10);
	assert_int_equal(sadb_count(db, 0), 0);
	sadb_destroy(db);
}

/* What the test does to the SADB after the n-th SA (SPI i) is reported. */
static void
dump_mutate(struct sadb *db, size_t n, uint32_t i)
{
	struct pfkey_address d;

	v4(&d, 2, 0);
	switch (n) {
	case 1:		/* AH first: 0x200; delete the next one */
		assert_int_equal(i, 0x200);
		assert_int_equal(sadb_delete_spi(db, AH, 0x201, &d.sa), 0);
		break;
	case 2:		/* delete one behind and two ahead, add */
		assert_int_equal(i, 0x202);
		assert_int_equal(sadb_delete_spi(db, AH, 0x200, &d.sa), 0);
		assert_int_equal(sadb_delete_spi(db, AH, 0x203, &d.sa), 0);
		assert_int_equal(sadb_delete_spi(db, ESP, 0x100, &d.sa), 0);
		add_esp(db, AH, 0x205, 1, 2, 0);
		add_esp(db, ESP, 0x10a, 1, 2, 0);
		break;
	case 3:
		assert_int_equal(i, 0x204);
		break;
	case 4:		/* added behind the cursor: reported */
		assert_int_equal(i, 0x205);
		break;
	case 6:
		assert_int_equal(i, 0x102);
		/* Flush ESP under the cursor ... */
		assert_int_equal(sadb_flush(db, ESP, NULL, NULL), 10);
		/*
		 * ... add to the list it just ran off (not reported) and to
		 * one it has not reached (reported).
		 */
		add_esp(db, ESP, 0x300, 1, 2, 0);
		add_esp(db, ESP, 0x301, 1, 2, 0);
		add_esp(db, IPCOMP, 0x400, 1, 2, 0);
		break;
	default:
		break;
	}
}

/* Walk c to the end, mutating as it goes; SPIs seen are marked. */
static size_t
dump_walk(struct sadb *db, struct sadb_cursor *c, uint8_t *seen)
{
	uint32_t seq, last_seq = UINT32_MAX, i;
	const struct sadb_sa *sa;
	size_t n = 0;

	while (sadb_dump_next(c, &sa, &seq) == 0) {
		i = sadb_sa_spi(sa);
		if (seen[i] != 0)
			fail_msg("SPI %#x twice", i);
		seen[i] = 1;
		if (seq < 1 || seq > last_seq)
			fail_msg("seq %u after %u", seq, last_seq);
		last_seq = seq;
		dump_mutate(db, ++n, i);
	}
	return n;
}

static void
test_dump_cursor(void **state)
{
	struct sadb *db = new_db();
	struct sadb_cursor c, c2;
	const struct sadb_sa *sa;
	uint8_t seen[0x500] = { 0 };
	uint32_t seq, i;
	size_t n;

	(void)state;
	/* Empty: ENOENT at once. */
	sadb_dump_begin(db, &c, 0);
	assert_int_equal(sadb_dump_next(&c, &sa, &seq), -ENOENT);
	sadb_dump_begin(db, &c, T(SATYPE_RSVP));
	assert_int_equal(sadb_dump_next(&c, &sa, &seq), -ENOENT);

	for (i = 0; i < 10; i++)
		add_esp(db, ESP, 0x100 + i, 1, 2, 0);
	for (i = 0; i < 5; i++)
		add_esp(db, AH, 0x200 + i, 1, 2, 0);
	sadb_dump_begin(db, &c, 0);
	sadb_dump_begin(db, &c2, ESP);		/* a second, idle cursor */
	n = dump_walk(db, &c, seen);
	/* Not reported: the deleted ones; reported: the added ones. */
	assert_int_equal(seen[0x201] + seen[0x203] + seen[0x100], 0);
	assert_int_equal(seen[0x205] + seen[0x400], 2);
	assert_int_equal(seen[0x300] + seen[0x301], 0);
	assert_int_equal(seen[0x10a] + seen[0x103], 0);
	assert_int_equal(n, 7);
	/* The ended cursor stays ended; the idle one ran off its list. */
	assert_int_equal(sadb_dump_next(&c, &sa, &seq), -ENOENT);
	assert_int_equal(sadb_dump_next(&c2, &sa, &seq), -ENOENT);
	/* Delete everything under a live cursor. */
	sadb_dump_begin(db, &c, 0);
	assert_int_equal(sadb_dump_next(&c, &sa, &seq), 0);
	sadb_flush(db, 0, NULL, NULL);
	assert_int_equal(sadb_dump_next(&c, &sa, &seq), -ENOENT);
	/* A cursor alive at destroy is ended by it; ending twice is fine. */
	add_esp(db, ESP, 0x100, 1, 2, 0);
	sadb_dump_begin(db, &c, 0);
	sadb_dump_begin(db, &c2, AH);
	sadb_dump_end(&c2);
	sadb_dump_end(&c2);
	sadb_destroy(db);
	assert_true(c.c_done);
}

static void
test_select_reqid(void **state)
{
	struct sadb *db = new_db();
	struct pfkey_address s, d, other;
	struct sadb_sa *a, *b, *c, *sa;
	struct sa_params p;
	struct evlog log = { 0 };
	enum sa_state st;

	(void)state;
	v4(&s, 1, 0);
	v4(&d, 2, 500);		/* ports do not matter */
	v4(&other, 3, 0);
	assert_null(sadb_select(db, ESP, &s.sa, &d.sa, 0));
	esp_params(&p, ESP, 0x1001, 1, 2);
	p.present |= BIT(T(X_EXT_SA2)) | BIT(T(EXT_LIFETIME_SOFT));
	p.sa2.reqid = 7;
	p.lft_soft.bytes = 10;
	assert_int_equal(sadb_add(db, &p, 100, &a), 0);
	p.sa.spi = 0x1002;
	assert_int_equal(sadb_add(db, &p, 200, &b), 0);
	p.sa.spi = 0x1003;
	p.sa2.reqid = 8;
	assert_int_equal(sadb_add(db, &p, 50, &c), 0);
	add_esp(db, AH, 0x1004, 1, 2, 300);
	/* The newest mature. */
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 0), b);
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 7), b);
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 8), c);
	assert_null(sadb_select(db, ESP, &s.sa, &d.sa, 9));
	assert_null(sadb_select(db, ESP, &d.sa, &s.sa, 0));
	assert_null(sadb_select(db, ESP, &s.sa, &other.sa, 0));
	/* b dying: a mature one wins even if older. */
	assert_int_equal(sadb_use(db, b, 10, 0, 300, record, &log, &st), 0);
	assert_int_equal(st, SA_STATE_DYING);
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 7), a);
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 0), a);
	assert_int_equal(sadb_use(db, a, 10, 0, 300, record, &log, &st), 0);
	/* Both dying: the newer. */
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 7), b);
	/* Larval SAs are never selected. */
	sadb_delete(db, a);
	sadb_delete(db, b);
	sadb_delete(db, c);
	esp_params(&p, ESP, 0, 1, 2);
	p.present = BIT(T(X_EXT_SA2));
	p.sa2.reqid = 7;
	assert_int_equal(sadb_getspi(db, &p, NULL, test_rnd, NULL, 0, &sa), 0);
	assert_null(sadb_select(db, ESP, &s.sa, &d.sa, 0));
	/* The reqid index: larval too, and after UPDATE changes it. */
	assert_int_equal(sadb_foreach_reqid(db, 7, NULL, NULL), 1);
	assert_int_equal(sadb_foreach_reqid(db, 0, NULL, NULL), 0);
	esp_params(&p, ESP, sadb_sa_spi(sa), 1, 2);
	p.present |= BIT(T(X_EXT_SA2));
	p.sa2.reqid = 9;
	assert_int_equal(sadb_update(db, &p, 0, &sa), 0);
	assert_int_equal(sadb_foreach_reqid(db, 7, NULL, NULL), 0);
	assert_int_equal(sadb_foreach_reqid(db, 9, NULL, NULL), 1);
	assert_int_equal(sadb_sa_reqid(sa), 9);
	assert_ptr_equal(sadb_select(db, ESP, &s.sa, &d.sa, 9), sa);
	sadb_destroy(db);
}

/* --- The PF_KEY view ------------------------------------------------- */

static void
test_view(void **state)
{
	static const uint8_t ident[16] = "host.example\0\0\0";
	static const uint8_t ctx[5] = "sys_u";
	struct sadb *db = new_db();
	struct pfkey_msg v, back;
	enum pfkey_reject why;
	uint8_t buf[4096];
	struct sa_params p;
	struct sadb_sa *sa;
	enum sa_state st;
	size_t len;

	(void)state;
	esp_params(&p, ESP, 0xdeadbeef, 1, 2);
	p.seq = 42;
	p.sa.flags = T(X_EXT_CYCSEQ);
	p.present |= BIT(T(EXT_LIFETIME_HARD)) | BIT(T(EXT_LIFETIME_SOFT)) |
	    BIT(T(X_EXT_SA2)) | BIT(T(EXT_ADDRESS_PROXY)) |
	    BIT(T(EXT_IDENTITY_SRC)) | BIT(T(X_EXT_NAT_T_TYPE)) |
	    BIT(T(X_EXT_NAT_T_SPORT)) | BIT(T(X_EXT_NAT_T_DPORT)) |
	    BIT(T(X_EXT_NAT_T_OA)) | BIT(T(X_EXT_SEC_CTX));
	p.lft_hard.addtime = 3600;
	p.lft_hard.bytes = 1 << 30;
	p.lft_soft.addtime = 3000;
	p.sa2.mode = PARAPET_IPSEC_MODE_TUNNEL;
	p.sa2.reqid = 5;
	v4(&p.proxy, 9, 0);
	p.ident_src.type = T(IDENTTYPE_FQDN);
	p.ident_src.data = ident;
	p.ident_src.len_bytes = sizeof(ident);
	p.natt_type = 2;
	p.natt_sport = 4500;
	p.natt_dport = 4500;
	v4(&p.natt_oa, 10, 0);
	p.sec_ctx.alg = 1;
	p.sec_ctx.doi = 1;
	p.sec_ctx.ctx = ctx;
	p.sec_ctx.len_bytes = sizeof(ctx);
	assert_int_equal(sadb_add(db, &p, 10000, &sa), 0);
	assert_int_equal(sadb_use(db, sa, 1500, 3, 12500, NULL, NULL, &st), 0);

	sadb_sa_view(sa, true, 1700000000000LL, &v);
	v.hdr.type = T(GET);
	v.hdr.seq = 42;
	v.hdr.pid = 4242;
	assert_int_equal(pfkey_build_msg(&v, buf, sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &back, &why), 0);
	assert_int_equal(back.hdr.type, T(GET));
	assert_int_equal(back.hdr.seq, 42);
	assert_int_equal(back.hdr.pid, 4242);
	v.hdr = back.hdr;	/* version and length come from the builder */
	assert_true(pfkey_msg_equal(&v, &back));
	assert_int_equal(back.sa.spi, 0xdeadbeef);
	assert_int_equal(back.sa.state, T(SASTATE_MATURE));
	assert_int_equal(back.sa.flags, T(X_EXT_CYCSEQ));
	assert_int_equal(back.lft_current.bytes, 1500);
	assert_int_equal(back.lft_current.allocations, 3);
	assert_int_equal(back.lft_current.addtime, 1700000010);
	assert_int_equal(back.lft_current.usetime, 1700000012);
	assert_int_equal(back.lft_hard.addtime, 3600);
	assert_int_equal(back.sa2.mode, PARAPET_IPSEC_MODE_TUNNEL);
	assert_int_equal(back.sa2.reqid, 5);
	assert_int_equal(back.key_auth.len_bytes, sizeof(key_a));
	assert_memory_equal(back.key_auth.data, key_a, sizeof(key_a));
	assert_memory_equal(back.key_encrypt.data, key_e, sizeof(key_e));
	assert_memory_equal(back.ident_src.data, ident, sizeof(ident));
	assert_memory_equal(back.sec_ctx.ctx, ctx, sizeof(ctx));
	assert_int_equal(back.natt_sport, 4500);
	assert_int_equal(back.natt_oa.sa.addr[3], 10);
	assert_int_equal(back.proxy.sa.addr[3], 9);

	/* Without keys; a larval SA from GETSPI; mode ANY reads transport. */
	sadb_sa_view(sa, false, 0, &v);
	assert_false(pfkey_msg_has(&v, T(EXT_KEY_AUTH)));
	assert_false(pfkey_msg_has(&v, T(EXT_KEY_ENCRYPT)));
	esp_params(&p, ESP, 0, 1, 2);
	p.seq = 1;
	assert_int_equal(sadb_getspi(db, &p, NULL, test_rnd, NULL, 0, &sa), 0);
	sadb_sa_view(sa, true, 0, &v);
	v.hdr.type = T(GETSPI);
	v.hdr.seq = 1;
	assert_int_equal(v.sa.state, T(SASTATE_LARVAL));
	assert_int_equal(v.sa2.mode, PARAPET_IPSEC_MODE_TRANSPORT);
	assert_false(pfkey_msg_has(&v, T(EXT_KEY_AUTH)));
	assert_int_equal(pfkey_build_msg(&v, buf, sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &back, &why), 0);
	assert_int_equal(back.sa.spi, sadb_sa_spi(sa));
	sadb_destroy(db);
}

static void
test_params_from_msg(void **state)
{
	struct pfkey_msg m;
	struct sa_params p;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hdr.satype = ESP;
	m.hdr.seq = 77;
	m.present = BIT(T(EXT_SA)) | BIT(T(EXT_ADDRESS_SRC)) |
	    BIT(T(EXT_ADDRESS_DST)) | BIT(T(EXT_KEY_ENCRYPT)) |
	    BIT(T(X_EXT_SA2)) | BIT(T(EXT_SPIRANGE));
	m.sa.spi = 0x1234;
	m.key_encrypt.data = key_e;
	m.key_encrypt.len_bytes = 16;
	m.sa2.reqid = 3;
	v4(&m.src, 1, 0);
	v4(&m.dst, 2, 0);
	sadb_params_from_msg(&m, &p);
	assert_int_equal(p.satype, ESP);
	assert_int_equal(p.seq, 77);
	assert_int_equal(p.sa.spi, 0x1234);
	assert_int_equal(p.present, BIT(T(EXT_KEY_ENCRYPT)) |
	    BIT(T(X_EXT_SA2)));
	assert_ptr_equal(p.key_encrypt.data, key_e);
	assert_int_equal(p.sa2.reqid, 3);
	assert_int_equal(p.dst.sa.addr[3], 2);
}

/* --- Key memory ------------------------------------------------------ */

#define CHUNKS_MAX	64
struct counting_alloc {
	size_t	allocs, frees, live_bytes;
	void	*chunk[CHUNKS_MAX];
	bool	fail;
};

static void *
c_alloc(size_t len, void *arg)
{
	struct counting_alloc *a = arg;
	void *p;

	if (a->fail)
		return NULL;
	p = malloc(len);
	if (p != NULL) {
		if (a->allocs < CHUNKS_MAX)
			a->chunk[a->allocs] = p;
		a->allocs++;
		a->live_bytes += len;
	}
	return p;
}

static void
c_free(void *p, size_t len, void *arg)
{
	struct counting_alloc *a = arg;

	a->frees++;
	a->live_bytes -= len;
	free(p);
}

static bool
contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
	size_t i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

static void
test_key_memory(void **state)
{
	struct counting_alloc ca = { 0 };
	struct sadb_limits lim;
	struct sadb_sa *sa;
	struct sa_params p;
	struct sadb *db;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.key_alloc.alloc = c_alloc;
	lim.key_alloc.free = c_free;
	lim.key_alloc.arg = &ca;
	lim.max_sas = 3;
	assert_int_equal(sadb_create(&db, &lim), 0);
	sa = add_esp(db, ESP, 0x100, 1, 2, 0);
	assert_int_equal(ca.allocs, 1);
	assert_true(contains(ca.chunk[0], SADB_KEY_CHUNK_BYTES, key_a,
	    sizeof(key_a)));
	assert_true(contains(ca.chunk[0], SADB_KEY_CHUNK_BYTES, key_e,
	    sizeof(key_e)));
	sadb_delete(db, sa);
	/* Wiped on delete. */
	assert_false(contains(ca.chunk[0], SADB_KEY_CHUNK_BYTES, key_a,
	    sizeof(key_a)));
	assert_false(contains(ca.chunk[0], SADB_KEY_CHUNK_BYTES, key_e,
	    sizeof(key_e)));
	/* Slots are reused; the limit holds. */
	add_esp(db, ESP, 0x100, 1, 2, 0);
	add_esp(db, ESP, 0x101, 1, 2, 0);
	add_esp(db, ESP, 0x102, 1, 2, 0);
	esp_params(&p, ESP, 0x103, 1, 2);
	assert_int_equal(sadb_add(db, &p, 0, &sa), -ENOBUFS);
	assert_int_equal(ca.allocs, 1);
	sadb_destroy(db);
	assert_int_equal(ca.frees, ca.allocs);
	assert_int_equal(ca.live_bytes, 0);
}

static void
test_key_failure(void **state)
{
	struct counting_alloc ca = { 0 };
	struct sadb_limits lim;
	struct sadb_sa *sa;
	struct sa_params p;
	static uint8_t big[512];
	struct sadb *db;
	int i, error = 0;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	lim.key_alloc.alloc = c_alloc;
	lim.key_alloc.free = c_free;
	lim.key_alloc.arg = &ca;
	assert_int_equal(sadb_create(&db, &lim), 0);
	/* 1024-byte slots: 64 per chunk; the 65th needs a second chunk. */
	memset(big, 0x77, sizeof(big));
	for (i = 0; i < 65 && error == 0; i++) {
		esp_params(&p, ESP, (uint32_t)(0x1000 + i), 1, 2);
		p.key_auth.data = big;
		p.key_auth.len_bytes = sizeof(big);
		p.key_encrypt.data = big;
		p.key_encrypt.len_bytes = sizeof(big);
		if (i == 64)
			ca.fail = true;
		error = sadb_add(db, &p, 0, &sa);
	}
	assert_int_equal(error, -ENOMEM);
	assert_int_equal(i, 65);
	assert_int_equal(sadb_count(db, 0), 64);
	/* Too long a key is refused before any allocation. */
	p.key_auth.len_bytes = PFKEY_KEY_MAX_BYTES + 1;
	p.sa.spi = 0x9999;
	assert_int_equal(sadb_add(db, &p, 0, &sa), -EINVAL);
	sadb_destroy(db);
	assert_int_equal(ca.frees, ca.allocs);
}

/* --- Bytes per SA ----------------------------------------------------- */

static void
test_memory_per_sa(void **state)
{
	const char *env = getenv("PARAPET_SADB_N");
	size_t n = env != NULL ? strtoul(env, NULL, 0) : 100000, i;
	struct sadb *db = new_db();
	struct sadb_mem m;
	struct sa_params p;
	struct sadb_sa *sa;

	(void)state;
	if (n == 0)
		n = 1;
	esp_params(&p, ESP, 0, 1, 2);
	p.present |= BIT(T(EXT_LIFETIME_HARD)) | BIT(T(EXT_LIFETIME_SOFT)) |
	    BIT(T(X_EXT_SA2));
	p.lft_hard.addtime = 3600;
	p.lft_soft.addtime = 3000;
	for (i = 0; i < n; i++) {
		p.sa.spi = (uint32_t)(0x100 + i);
		p.dst.sa.addr[2] = (uint8_t)(i >> 8);
		p.dst.sa.addr[3] = (uint8_t)i;
		p.sa2.reqid = (uint32_t)(i % 1000 + 1);
		assert_int_equal(sadb_add(db, &p, i, &sa), 0);
	}
	sadb_memory(db, &m);
	print_message("sadb: %zu SAs: %zu bytes/SA (records %zu, indexes %zu,"
	    " keys %zu; malloc headers not counted)\n", n,
	    m.total_bytes / n, m.sa_bytes / n, m.index_bytes / n,
	    m.key_bytes / n);
	assert_true(m.total_bytes / n <= 1024);
	assert_int_equal(sadb_count(db, 0), n);
	assert_int_equal(sadb_next_deadline(db), 3000000);
	sadb_destroy(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_api_transitions),
		cmocka_unit_test(test_getspi_ranges),
		cmocka_unit_test(test_getspi_exhaust),
		cmocka_unit_test(test_larval_timeout),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_expire_order),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_dump_cursor),
		cmocka_unit_test(test_select_reqid),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_params_from_msg),
		cmocka_unit_test(test_key_memory),
		cmocka_unit_test(test_key_failure),
		cmocka_unit_test(test_memory_per_sa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
