/*
 * test_sa_table.c - ipsecd's SA table: install (and every reason to
 * refuse one), inbound lookups by (SPI, destination, protocol), the
 * outbound selection rule (KAME CMP_MODE_REQID: reqid 0 takes any, mode
 * "any" matches, not dying first, newest first), update, delete (keys and
 * state released through the ops), iterate with deletion, flush by
 * protocol, and growth to thousands of SAs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prng.h"
#include "sa_table.h"

/* Stand-ins for keys and states: the table never looks inside. */
static char fake_keys[8];
static char fake_states[4];
static int keys_freed, states_freed;

static struct xform_key *
fkey(int i)
{
	return (struct xform_key *)(void *)&fake_keys[i];
}

static struct sa_pstate *
fstate(int i)
{
	return (struct sa_pstate *)(void *)&fake_states[i];
}

static void
key_free(struct xform_key *k)
{
	assert_non_null(k);
	keys_freed++;
}

static void
state_free(void *arg, struct sa_pstate *s)
{
	assert_ptr_equal(arg, &states_freed);
	assert_non_null(s);
	states_freed++;
}

static const struct sa_table_ops ops = { key_free, state_free,
    &states_freed };

static struct sa_addr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct sa_addr x = { .family = 4 };

	x.a[0] = a;
	x.a[1] = b;
	x.a[2] = c;
	x.a[3] = d;
	return x;
}

static struct sa_addr
v6(uint16_t last)
{
	struct sa_addr x = { .family = 6 };

	x.a[0] = 0x20;
	x.a[1] = 0x01;
	x.a[2] = 0x0d;
	x.a[3] = 0xb8;
	x.a[14] = (uint8_t)(last >> 8);
	x.a[15] = (uint8_t)last;
	return x;
}

static struct sa_spec
esp(uint32_t spi, struct sa_addr src, struct sa_addr dst)
{
	struct sa_spec s;

	memset(&s, 0, sizeof(s));
	s.gen = spi;
	s.spi = spi;
	s.proto = 50;
	s.mode = SA_MODE_TRANSPORT;
	s.src = src;
	s.dst = dst;
	s.replay_window = 64;
	s.enc = fkey(0);
	return s;
}

static struct sa_table *
table(void)
{
	struct sa_table *t;

	keys_freed = states_freed = 0;
	assert_int_equal(sa_table_create(&ops, 0x1234, &t), 0);
	return t;
}

static void
test_install_lookup_in(void **state)
{
	struct sa_table *t = table();
	struct sa_spec s;
	struct sa_entry *e, *e2, *e3;
	struct sa_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);

	(void)state;
	s = esp(0x1000, a, b);
	s.replay_window = 100;
	assert_int_equal(sa_table_install(t, &s, fstate(0), &e), 0);
	assert_int_equal(e->se.replay_window, 128);	/* rounded */
	assert_ptr_equal(e->state, fstate(0));
	assert_ptr_equal(sa_table_lookup_in(t, 0x1000, &b, 50), e);
	/* Same SPI: other destination, other protocol are other SAs. */
	assert_null(sa_table_lookup_in(t, 0x1000, &a, 50));
	assert_null(sa_table_lookup_in(t, 0x1000, &b, 51));
	assert_null(sa_table_lookup_in(t, 0x1001, &b, 50));
	assert_int_equal(sa_table_install(t, &s, NULL, NULL), -EEXIST);
	s.dst = a;
	s.src = b;
	assert_int_equal(sa_table_install(t, &s, NULL, &e2), 0);
	s = esp(0x1000, a, b);
	s.proto = 51;
	s.enc = NULL;
	s.auth = fkey(1);
	assert_int_equal(sa_table_install(t, &s, NULL, &e3), 0);
	assert_ptr_equal(sa_table_lookup_in(t, 0x1000, &a, 50), e2);
	assert_ptr_equal(sa_table_lookup_in(t, 0x1000, &b, 51), e3);
	/* IPv6. */
	s = esp(0x2000, v6(1), v6(2));
	assert_int_equal(sa_table_install(t, &s, NULL, &e), 0);
	{
		struct sa_addr d = v6(2);

		assert_ptr_equal(sa_table_lookup_in(t, 0x2000, &d, 50), e);
		d.a[15] = 3;
		assert_null(sa_table_lookup_in(t, 0x2000, &d, 50));
	}
	assert_int_equal(sa_table_count(t), 4);
	sa_table_destroy(t);
	assert_int_equal(keys_freed, 4);
	assert_int_equal(states_freed, 1);
}

struct bad_row {
	const char	*name;
	void		(*mutate)(struct sa_spec *);
};

static void
m_proto(struct sa_spec *s)
{
	s->proto = 108;
}

static void
m_mode(struct sa_spec *s)
{
	s->mode = 3;
}

static void
m_family(struct sa_spec *s)
{
	s->dst = v6(1);
}

static void
m_family0(struct sa_spec *s)
{
	s->src.family = 0;
}

static void
m_junk(struct sa_spec *s)
{
	s->dst.a[9] = 1;
}

static void
m_oa(struct sa_spec *s)
{
	s->natt_oa_src.family = 5;
}

static void
m_esn0(struct sa_spec *s)
{
	s->flags = SA_F_ESN;
	s->replay_window = 0;
}

static void
m_win(struct sa_spec *s)
{
	s->replay_window = 8193;
}

static void
m_flags(struct sa_spec *s)
{
	s->flags = 0x8000;
}

static void
m_pads(struct sa_spec *s)
{
	s->flags = SA_F_PAD_ZERO | SA_F_PAD_RANDOM;
}

static void
m_espnokey(struct sa_spec *s)
{
	s->enc = NULL;
}

static void
m_ahenc(struct sa_spec *s)
{
	s->proto = 51;
	s->auth = fkey(1);
}

static void
m_ahnoauth(struct sa_spec *s)
{
	s->proto = 51;
	s->enc = NULL;
}

static void
m_ahnatt(struct sa_spec *s)
{
	s->proto = 51;
	s->enc = NULL;
	s->auth = fkey(1);
	s->flags = SA_F_NATT;
}

static const struct bad_row bad_rows[] = {
	{ "protocol", m_proto },
	{ "mode", m_mode },
	{ "families differ", m_family },
	{ "family 0", m_family0 },
	{ "bytes past v4", m_junk },
	{ "NAT-OA family", m_oa },
	{ "ESN without window", m_esn0 },
	{ "window too large", m_win },
	{ "unknown flag", m_flags },
	{ "two padding kinds", m_pads },
	{ "ESP without keys", m_espnokey },
	{ "AH with encryption", m_ahenc },
	{ "AH without auth", m_ahnoauth },
	{ "AH with NAT-T", m_ahnatt },
};

static void
test_install_rejects(void **state)
{
	struct sa_table *t = table();
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad_rows); i++) {
		struct sa_spec s = esp(0x100 + (uint32_t)i, v4(1, 1, 1, 1),
		    v4(2, 2, 2, 2));

		bad_rows[i].mutate(&s);
		if (sa_table_install(t, &s, fstate(0), NULL) != -EINVAL)
			fail_msg("row \"%s\" was accepted", bad_rows[i].name);
	}
	assert_int_equal(sa_table_count(t), 0);
	sa_table_destroy(t);
	/* Nothing was taken over. */
	assert_int_equal(keys_freed, 0);
	assert_int_equal(states_freed, 0);
}

/* Outbound selection. The SAs, all ESP 10.0.0.1 -> 10.0.0.2 unless said. */
struct out_sa {
	uint64_t	gen;
	uint32_t	spi;
	uint32_t	reqid;
	uint8_t		proto;
	uint8_t		mode;
	bool		dying;
	bool		other_dst;
};

static const struct out_sa out_sas[] = {
	{ 1, 0x10, 0, 50, SA_MODE_TRANSPORT, false, false },
	{ 2, 0x11, 7, 50, SA_MODE_TRANSPORT, false, false },
	{ 3, 0x12, 7, 50, SA_MODE_TRANSPORT, true, false },
	{ 4, 0x13, 0, 50, SA_MODE_TUNNEL, false, false },
	{ 5, 0x14, 9, 50, SA_MODE_ANY, false, false },
	{ 6, 0x15, 0, 51, SA_MODE_TRANSPORT, true, false },
	{ 7, 0x16, 8, 50, SA_MODE_TRANSPORT, false, true },
};

struct out_row {
	const char	*name;
	uint8_t		 proto;
	uint8_t		 mode;
	uint32_t	 reqid;
	uint32_t	 want_spi;	/* 0: none */
};

static const struct out_row out_rows[] = {
	/* reqid 0: any reqid; not dying, newest: 0x14 (mode any, gen 5). */
	{ "require, transport", 50, SA_MODE_TRANSPORT, 0, 0x14 },
	{ "require, tunnel", 50, SA_MODE_TUNNEL, 0, 0x14 },
	{ "unique 7: not the dying one", 50, SA_MODE_TRANSPORT, 7, 0x11 },
	{ "unique 9: mode any", 50, SA_MODE_TUNNEL, 9, 0x14 },
	{ "unique 8: other destination", 50, SA_MODE_TRANSPORT, 8, 0 },
	{ "unique 5: none", 50, SA_MODE_TRANSPORT, 5, 0 },
	{ "AH: only a dying one", 51, SA_MODE_TRANSPORT, 0, 0x15 },
	{ "AH tunnel: none", 51, SA_MODE_TUNNEL, 0, 0 },
};

static void
test_lookup_out(void **state)
{
	struct sa_table *t = table();
	struct sa_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
	struct sa_out_req r;
	struct sa_entry *e;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(out_sas); i++) {
		const struct out_sa *o = &out_sas[i];
		struct sa_spec s = esp(o->spi, a, o->other_dst ?
		    v4(10, 0, 0, 3) : b);

		s.gen = o->gen;
		s.proto = o->proto;
		s.mode = o->mode;
		s.reqid = o->reqid;
		if (o->proto == 51) {
			s.enc = NULL;
			s.auth = fkey(1);
		}
		assert_int_equal(sa_table_install(t, &s, NULL, &e), 0);
		if (o->dying)
			sa_table_set_dying(t, e);
	}
	for (i = 0; i < nitems(out_rows); i++) {
		const struct out_row *w = &out_rows[i];

		memset(&r, 0, sizeof(r));
		r.proto = w->proto;
		r.mode = w->mode;
		r.reqid = w->reqid;
		r.src = a;
		r.dst = b;
		e = sa_table_lookup_out(t, &r);
		if ((e == NULL ? 0 : e->se.spi) != w->want_spi)
			fail_msg("row \"%s\": got %#x, want %#x", w->name,
			    e == NULL ? 0 : e->se.spi, w->want_spi);
	}
	/* Reversed addresses: nothing. */
	r.proto = 50;
	r.mode = SA_MODE_TRANSPORT;
	r.reqid = 0;
	r.src = b;
	r.dst = a;
	assert_null(sa_table_lookup_out(t, &r));
	/* The newest goes: the next newest takes over. */
	r.src = a;
	r.dst = b;
	e = sa_table_lookup_out(t, &r);
	sa_table_delete(t, e);
	e = sa_table_lookup_out(t, &r);
	assert_non_null(e);
	/* 0x13 is tunnel mode, 0x12 dying: 0x11 (gen 2, any reqid). */
	assert_int_equal(e->se.spi, 0x11);
	sa_table_destroy(t);
}

static void
test_update_delete(void **state)
{
	struct sa_table *t = table();
	struct sa_spec s = esp(0x77, v4(1, 0, 0, 1), v4(1, 0, 0, 2));
	struct sa_limits l = { 1, 2, 3, 4 };
	struct sa_entry *e;

	(void)state;
	s.flags = SA_F_NATT;
	s.natt_sport = 4500;
	s.natt_dport = 4500;
	s.auth = fkey(1);
	assert_int_equal(sa_table_install(t, &s, fstate(1), &e), 0);
	assert_int_equal(sa_spec_replay_flags(&e->se), 0);
	e->se.flags |= SA_F_ESN | SA_F_CYCLIC;
	assert_int_equal(sa_spec_replay_flags(&e->se),
	    REPLAY_F_ESN | REPLAY_F_CYCLIC);
	sa_table_update(t, e, &l, 1234, 4500);
	assert_true(e->se.lft.hard_packets == 4);
	assert_int_equal(e->se.natt_sport, 1234);
	sa_table_delete(t, e);
	assert_int_equal(keys_freed, 2);
	assert_int_equal(states_freed, 1);
	assert_null(sa_table_lookup_in(t, 0x77, &s.dst, 50));
	assert_int_equal(sa_table_count(t), 0);
	sa_table_destroy(t);
}

static int
del_odd(void *arg, struct sa_entry *e)
{
	struct sa_table *t = arg;

	if (e->se.spi % 2 == 1)
		sa_table_delete(t, e);
	return 0;
}

static int
stop_at(void *arg, struct sa_entry *e)
{
	uint32_t *n = arg;

	return ++*n == 3 ? (int)e->se.spi : 0;
}

static void
test_foreach_flush_grow(void **state)
{
	struct sa_table *t = table();
	struct sa_addr a = v4(10, 0, 0, 1), d;
	uint64_t rng = prng_seed_env() | 1;
	uint32_t i, n = 5000, cnt = 0;

	(void)state;
	for (i = 1; i <= n; i++) {
		struct sa_spec s;

		d = v6((uint16_t)(i % 97));
		s = esp(i, v6(0), d);
		if (i % 3 == 0) {
			s.proto = 51;
			s.enc = NULL;
			s.auth = fkey(1);
		}
		assert_int_equal(sa_table_install(t, &s, NULL, NULL), 0);
	}
	assert_int_equal(sa_table_count(t), n);
	for (i = 0; i < 2000; i++) {
		uint32_t spi = (uint32_t)prng_below(&rng, n) + 1;
		uint8_t p = spi % 3 == 0 ? 51 : 50;

		d = v6((uint16_t)(spi % 97));
		assert_non_null(sa_table_lookup_in(t, spi, &d, p));
		assert_null(sa_table_lookup_in(t, spi, &d, p == 50 ? 51 : 50));
	}
	assert_int_equal(sa_table_foreach(t, stop_at, &cnt), 3);
	assert_int_equal(sa_table_foreach(t, del_odd, t), 0);
	assert_int_equal(sa_table_count(t), n / 2);
	for (i = 1; i <= n; i++) {
		d = v6((uint16_t)(i % 97));
		assert_true((sa_table_lookup_in(t, i, &d,
		    i % 3 == 0 ? 51 : 50) != NULL) == (i % 2 == 0));
	}
	/* Flush AH only, then the rest. */
	keys_freed = 0;
	assert_int_equal(sa_table_flush(t, 51), 833);
	assert_int_equal(keys_freed, 833);
	assert_int_equal(sa_table_count(t), n / 2 - 833);
	assert_int_equal(sa_table_flush(t, 0), n / 2 - 833);
	assert_int_equal(sa_table_count(t), 0);
	(void)a;
	sa_table_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_lookup_in),
		cmocka_unit_test(test_install_rejects),
		cmocka_unit_test(test_lookup_out),
		cmocka_unit_test(test_update_delete),
		cmocka_unit_test(test_foreach_flush_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
