/*
 * test_netd_spd.c - netd's replica of policyd's SPD and variables, the
 * pure part (servers/netd/netd_spd.c): snapshot pages swapped in whole,
 * deltas in generation order, gaps and epochs asking for a resync, stale
 * events ignored, events kept while a snapshot loads, delete/update by
 * id, the -P statics kept across snapshots and shadowed by policyd's
 * policies, the variables (defaults, ranges, per family).
 *
 * test_netd_spd --seeds DIR writes fuzz_netd_spd's corpus instead
 * (tests/fuzz/corpus/fuzz_netd_spd).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "ipsec_policy.h"
#include "netd_spd.h"
#include "wr.h"

#define EPOCH	0x1234
#define OP(x)	PARAPET__SPD_OP__SPD_OP_##x

/* An out (or in) policy 10.0.0.0/24 -> 10.1.<b>.0/24; id & 7 == dir - 1. */
static void
entry(struct spd_entry *e, uint8_t b, uint8_t dir, uint8_t action)
{
	memset(e, 0, sizeof(*e));
	e->sel.family = AF_INET;
	e->sel.src_plen = 24;
	e->sel.dst_plen = 24;
	e->sel.src[0] = 10;
	e->sel.dst[0] = 10;
	e->sel.dst[1] = 1;
	e->sel.dst[2] = b;
	e->sel.proto = SPD_PROTO_ANY;
	e->dir = dir;
	e->action = action;
	e->priority = SPD_PRIORITY_DEFAULT;
	if (action == SPD_ACTION_IPSEC) {
		e->nreqs = 1;
		e->req[0].proto = IPPROTO_ESP;
		e->req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
		e->req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	}
}

static uint32_t
pid_of(uint32_t n, uint8_t dir)
{
	return n * 8 + (uint32_t)(dir - 1);
}

/* A snapshot of policies b = first .. first + n - 1 (out, ids pid_of(b)). */
struct snap {
	struct spd_entry	 e[64];	/* pm borrows their addresses */
	struct spd_pmsg		 pm[64];
	Parapet__SpdPolicy	*pp[64];
	Parapet__SpdSnapshotReply r;
};

static void
snap_fill(struct snap *s, uint8_t first, size_t n, uint64_t gen,
    uint64_t total, bool done)
{
	size_t i;

	for (i = 0; i < n; i++) {
		entry(&s->e[i], (uint8_t)(first + i), SPD_DIR_OUT,
		    SPD_ACTION_IPSEC);
		spd_msg_fill(&s->pm[i], pid_of(first + (uint32_t)i,
		    SPD_DIR_OUT), &s->e[i]);
		s->pp[i] = &s->pm[i].p;
	}
	parapet__spd_snapshot_reply__init(&s->r);
	s->r.epoch = EPOCH;
	s->r.gen = gen;
	s->r.total = total;
	s->r.done = done;
	s->r.cursor = done ? 0 : 99;
	s->r.n_policies = n;
	s->r.policies = s->pp;
}

/* A complete snapshot of n policies (b = 1..n) at generation gen. */
static void
load(struct netd_spdr *r, size_t n, uint64_t gen)
{
	static struct snap s;

	assert_int_equal(netd_spdr_snap_begin(r), 0);
	snap_fill(&s, 1, n, gen, n, true);
	assert_int_equal(netd_spdr_snap_page(r, &s.r), 1);
}

struct event {
	struct spd_entry	 e;	/* pm borrows its addresses */
	struct spd_pmsg		 pm;
	Parapet__SpdChangeEvent	 ev;
};

static Parapet__SpdChangeEvent *
event(struct event *x, uint64_t prev, uint64_t gen, Parapet__SpdOp op,
    uint8_t b, uint8_t dir)
{
	parapet__spd_change_event__init(&x->ev);
	x->ev.epoch = EPOCH;
	x->ev.prev_gen = prev;
	x->ev.gen = gen;
	x->ev.op = op;
	if (op == OP(ADD) || op == OP(UPDATE)) {
		entry(&x->e, b, dir, SPD_ACTION_IPSEC);
		spd_msg_fill(&x->pm, pid_of(b, dir), &x->e);
		x->ev.policy = &x->pm.p;
	} else if (op == OP(DELETE)) {
		x->ev.id = pid_of(b, dir);
	} else {
		x->ev.dir = dir;
	}
	return &x->ev;
}

static void
init(struct netd_spdr *r)
{
	struct decide_params p;

	decide_params_default(&p);
	assert_int_equal(netd_spdr_init(r, 7, &p), 0);
}

static void
test_initial(void **state)
{
	static struct netd_spdr r;
	const struct netd_spd_vars *v;
	struct decide_params p;

	(void)state;
	decide_params_default(&p);
	p.def_policy[0] = 0;	/* netd.conf: discard until policyd */
	assert_int_equal(netd_spdr_init(&r, 7, &p), 0);
	assert_false(netd_spdr_synced(&r));
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 0);
	v = netd_spdr_vars(&r, AF_INET);
	assert_int_equal(v->def_policy, 0);
	assert_int_equal(v->deflev[DECIDE_LEV_ESP_TRANS], 1);
	assert_int_equal(v->dfbit, 0);		/* KAME ip4_ipsec_dfbit */
	assert_int_equal(v->ecn, 0);
	assert_int_equal(v->ah_cleartos, 1);
	assert_int_equal(v->ah_offsetmask, 0);
	v = netd_spdr_vars(&r, AF_INET6);
	assert_int_equal(v->def_policy, 1);
	assert_int_equal(v->ah_cleartos, 1);
	/* A page with no snapshot loading. */
	assert_int_equal(netd_spdr_snap_page(&r,
	    &(Parapet__SpdSnapshotReply)PARAPET__SPD_SNAPSHOT_REPLY__INIT),
	    -ENOENT);
	netd_spdr_fini(&r);
}

/* Pages: nothing is live until the last; then ids are policyd's. */
static void
test_pages(void **state)
{
	static struct netd_spdr r;
	static struct snap s;
	const struct spd *before;
	uint8_t b;

	(void)state;
	init(&r);
	before = netd_spdr_spd(&r);
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	for (b = 1; b <= 9; b += 3) {
		snap_fill(&s, b, 3, 40, 9, b == 7);
		assert_int_equal(netd_spdr_snap_page(&r, &s.r), b == 7);
		if (b != 7) {
			assert_false(netd_spdr_synced(&r));
			assert_ptr_equal(netd_spdr_spd(&r), before);
			assert_int_equal(spd_count(before), 0);
		}
	}
	assert_true(netd_spdr_synced(&r));
	assert_ptr_not_equal(netd_spdr_spd(&r), before);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 9);
	for (b = 1; b <= 9; b++)
		assert_non_null(spd_get_id(netd_spdr_spd(&r),
		    pid_of(b, SPD_DIR_OUT)));
	assert_int_equal(r.st.generation, 40);
	assert_int_equal(r.st.policies, 9);
	assert_int_equal(r.st.snapshots, 1);
	assert_int_equal(r.st.resyncs, 1);
	netd_spdr_fini(&r);
}

/* Pages that disagree, a wrong count, a policy that does not install. */
static void
test_bad_snapshots(void **state)
{
	static struct netd_spdr r;
	static struct snap s;
	const struct spd *live;

	(void)state;
	init(&r);
	load(&r, 2, 5);
	live = netd_spdr_spd(&r);
	/* Second page of another generation. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 1, 2, 6, 4, false);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 0);
	snap_fill(&s, 3, 2, 7, 4, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), -EPROTO);
	assert_ptr_equal(netd_spdr_spd(&r), live);
	assert_int_equal(r.st.generation, 5);
	/* Another epoch on the second page. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 1, 2, 6, 4, false);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 0);
	snap_fill(&s, 3, 2, 6, 4, true);
	s.r.epoch++;
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), -EPROTO);
	/* Fewer policies than the total. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 1, 3, 6, 4, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), -EPROTO);
	/* The same id twice. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 1, 2, 6, 2, true);
	s.pm[1].p.id = s.pm[0].p.id;
	assert_true(netd_spdr_snap_page(&r, &s.r) < 0);
	/* An id of the wrong direction. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 1, 1, 6, 1, true);
	s.pm[0].p.id = pid_of(1, SPD_DIR_IN);
	assert_true(netd_spdr_snap_page(&r, &s.r) < 0);
	assert_ptr_equal(netd_spdr_spd(&r), live);
	assert_int_equal(spd_count(live), 2);
	assert_int_equal(r.st.snap_failed, 5);
	assert_int_equal(r.st.snapshots, 1);
	/* Abandoning twice is harmless. */
	netd_spdr_snap_abort(&r);
	assert_int_equal(r.st.snap_failed, 5);
	netd_spdr_fini(&r);
}

/* Deltas in generation order; delete and update by id; flush. */
static void
test_deltas(void **state)
{
	static struct netd_spdr r;
	struct event x;
	const struct spd_policy *p;

	(void)state;
	init(&r);
	load(&r, 3, 10);
	assert_int_equal(netd_spdr_event(&r, event(&x, 10, 11, OP(ADD), 20,
	    SPD_DIR_IN)), NETD_SPDR_APPLIED);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), pid_of(20, SPD_DIR_IN)));
	assert_int_equal(netd_spdr_event(&r, event(&x, 11, 12, OP(DELETE), 2,
	    SPD_DIR_OUT)), NETD_SPDR_APPLIED);
	assert_null(spd_get_id(netd_spdr_spd(&r), pid_of(2, SPD_DIR_OUT)));
	/* Update keeps the id. */
	event(&x, 12, 13, OP(UPDATE), 3, SPD_DIR_OUT);
	x.pm.p.priority = 77;
	assert_int_equal(netd_spdr_event(&r, &x.ev), NETD_SPDR_APPLIED);
	p = spd_get_id(netd_spdr_spd(&r), pid_of(3, SPD_DIR_OUT));
	assert_non_null(p);
	assert_int_equal(p->e.priority, 77);
	/* Already in: ignored, nothing changes. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 11, 12, OP(DELETE), 1,
	    SPD_DIR_OUT)), NETD_SPDR_STALE);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), pid_of(1, SPD_DIR_OUT)));
	/* Flush one direction. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 13, 14, OP(FLUSH), 0,
	    SPD_DIR_OUT)), NETD_SPDR_APPLIED);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 1);
	assert_int_equal(r.st.deltas, 4);
	assert_int_equal(r.st.stale, 1);
	assert_int_equal(r.st.generation, 14);
	assert_int_equal(r.st.policies, 1);
	netd_spdr_fini(&r);
}

/* A gap, another epoch, no snapshot yet, a delta that does not fit. */
static void
test_resync(void **state)
{
	static struct netd_spdr r;
	struct event x;

	(void)state;
	init(&r);
	assert_int_equal(netd_spdr_event(&r, event(&x, 0, 1, OP(ADD), 5,
	    SPD_DIR_OUT)), NETD_SPDR_RESYNC);
	load(&r, 2, 10);
	/* 11 is missing. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 11, 12, OP(ADD), 5,
	    SPD_DIR_OUT)), NETD_SPDR_RESYNC);
	/* policyd restarted: its generations start again. */
	event(&x, 10, 11, OP(ADD), 5, SPD_DIR_OUT);
	x.ev.epoch = EPOCH + 1;
	assert_int_equal(netd_spdr_event(&r, &x.ev), NETD_SPDR_RESYNC);
	/* Delete of an id the replica lacks: it is not policyd's SPD. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 10, 11, OP(DELETE), 9,
	    SPD_DIR_OUT)), NETD_SPDR_RESYNC);
	/* Add of an id already there. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 10, 11, OP(ADD), 1,
	    SPD_DIR_OUT)), NETD_SPDR_RESYNC);
	assert_int_equal(r.st.gaps, 5);
	assert_int_equal(r.st.generation, 10);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 2);
	netd_spdr_fini(&r);
}

/* Events during a snapshot: kept, then applied (or ignored) after it. */
static void
test_kept(void **state)
{
	static struct netd_spdr r;
	static struct snap s;
	struct event x;

	(void)state;
	init(&r);
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	/* In the snapshot already (gen 10), then two later ones. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 9, 10, OP(ADD), 2,
	    SPD_DIR_OUT)), NETD_SPDR_KEPT);
	assert_int_equal(netd_spdr_event(&r, event(&x, 10, 11, OP(ADD), 30,
	    SPD_DIR_IN)), NETD_SPDR_KEPT);
	assert_int_equal(netd_spdr_event(&r, event(&x, 11, 12, OP(DELETE), 1,
	    SPD_DIR_OUT)), NETD_SPDR_KEPT);
	snap_fill(&s, 1, 2, 10, 2, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 1);
	assert_int_equal(r.st.generation, 12);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), pid_of(30, SPD_DIR_IN)));
	assert_null(spd_get_id(netd_spdr_spd(&r), pid_of(1, SPD_DIR_OUT)));
	assert_int_equal(r.st.stale, 1);
	/* A kept event after a missing one: live, but resync (2). */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	assert_int_equal(netd_spdr_event(&r, event(&x, 21, 22, OP(ADD), 40,
	    SPD_DIR_OUT)), NETD_SPDR_KEPT);
	snap_fill(&s, 1, 2, 20, 2, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 2);
	assert_int_equal(r.st.generation, 20);
	assert_true(netd_spdr_synced(&r));
	/* An abandoned snapshot drops what it kept. */
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	assert_int_equal(netd_spdr_event(&r, event(&x, 20, 21, OP(ADD), 40,
	    SPD_DIR_OUT)), NETD_SPDR_KEPT);
	netd_spdr_snap_abort(&r);
	assert_int_equal(r.nkept, 0);
	assert_int_equal(netd_spdr_event(&r, event(&x, 20, 21, OP(ADD), 40,
	    SPD_DIR_OUT)), NETD_SPDR_APPLIED);
	netd_spdr_fini(&r);
}

/* More events than can be kept: the snapshot goes live, then resync. */
static void
test_kept_overflow(void **state)
{
	static struct netd_spdr r;
	static struct snap s;
	struct event x;
	uint64_t g;

	(void)state;
	init(&r);
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	for (g = 0; g < NETD_SPD_KEEP_MAX + 1; g++)
		assert_int_equal(netd_spdr_event(&r, event(&x, g, g + 1,
		    OP(FLUSH), 0, SPD_DIR_FWD)), NETD_SPDR_KEPT);
	snap_fill(&s, 1, 1, 1, 1, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 2);
	assert_int_equal(r.st.generation, NETD_SPD_KEEP_MAX);
	netd_spdr_fini(&r);
}

/* -P statics: in every snapshot; policyd's policy wins a selector. */
static void
test_statics(void **state)
{
	static struct netd_spdr r;
	struct spd_entry st, dup;
	const struct spd_policy *p;
	struct event x;
	uint32_t sid = NETD_SPD_STATIC_ID_BASE + (uint32_t)(SPD_DIR_OUT - 1);

	(void)state;
	init(&r);
	entry(&st, 2, SPD_DIR_OUT, SPD_ACTION_DISCARD);
	assert_int_equal(netd_spdr_add_static(&r, &st), 0);
	assert_int_equal(netd_spdr_add_static(&r, &st), -EEXIST);
	entry(&dup, 200, SPD_DIR_OUT, SPD_ACTION_NONE);
	dup.sel.src_plen = 99;
	assert_int_equal(netd_spdr_add_static(&r, &dup), -EINVAL);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), sid));
	/* Before any snapshot, the static is what the replica holds. */
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 1);
	/* policyd's snapshot has b = 1 only: the static joins it. */
	load(&r, 1, 3);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 2);
	p = spd_get_id(netd_spdr_spd(&r), sid);
	assert_non_null(p);
	assert_int_equal(p->e.action, SPD_ACTION_DISCARD);
	/* policyd adds the static's selector: its policy wins. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 3, 4, OP(ADD), 2,
	    SPD_DIR_OUT)), NETD_SPDR_APPLIED);
	assert_null(spd_get_id(netd_spdr_spd(&r), sid));
	assert_non_null(spd_get_id(netd_spdr_spd(&r), pid_of(2, SPD_DIR_OUT)));
	assert_int_equal(r.st.shadowed, 1);
	/* ... and when it goes, the static comes back. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 4, 5, OP(DELETE), 2,
	    SPD_DIR_OUT)), NETD_SPDR_APPLIED);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), sid));
	/* A flush removes policyd's and keeps the static. */
	assert_int_equal(netd_spdr_event(&r, event(&x, 5, 6, OP(FLUSH), 0, 0)),
	    NETD_SPDR_APPLIED);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 1);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), sid));
	/* A snapshot with the static's selector: left out, counted. */
	load(&r, 3, 9);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 3);
	assert_null(spd_get_id(netd_spdr_spd(&r), sid));
	assert_int_equal(r.st.shadowed, 2);
	/* The next snapshot without it: back. */
	load(&r, 1, 10);
	assert_non_null(spd_get_id(netd_spdr_spd(&r), sid));
	assert_int_equal(r.st.policies, 2);
	netd_spdr_fini(&r);
}

/* A snapshot replaces everything: what policyd dropped is gone. */
static void
test_swap(void **state)
{
	static struct netd_spdr r;
	static struct snap s;

	(void)state;
	init(&r);
	load(&r, 5, 10);
	assert_int_equal(netd_spdr_snap_begin(&r), 0);
	snap_fill(&s, 4, 2, 30, 2, true);
	assert_int_equal(netd_spdr_snap_page(&r, &s.r), 1);
	assert_int_equal(spd_count(netd_spdr_spd(&r)), 2);
	assert_null(spd_get_id(netd_spdr_spd(&r), pid_of(1, SPD_DIR_OUT)));
	assert_non_null(spd_get_id(netd_spdr_spd(&r), pid_of(5, SPD_DIR_OUT)));
	assert_int_equal(r.st.snapshots, 2);
	netd_spdr_fini(&r);
}

/* Variables: every row of the table is accepted, ranges refused. */
static void
test_sysctl(void **state)
{
	static struct netd_spdr r;
	const struct {
		const char	*name;
		int64_t		 value;
		int		 error;
	} rows[] = {
		{ "net.inet.ipsec.def_policy", 0, 0 },
		{ "net.inet.ipsec.def_policy", 2, -EINVAL },
		{ "net.inet.ipsec.esp_trans_deflev", 2, 0 },
		{ "net.inet.ipsec.esp_net_deflev", 3, -EINVAL },
		{ "net.inet.ipsec.ah_net_deflev", 2, 0 },
		{ "net.inet.ipsec.dfbit", 2, 0 },
		{ "net.inet.ipsec.dfbit", 3, -EINVAL },
		{ "net.inet.ipsec.ecn", -1, 0 },
		{ "net.inet.ipsec.ecn", -2, -EINVAL },
		{ "net.inet.ipsec.ah_cleartos", 0, 0 },
		{ "net.inet.ipsec.ah_offsetmask", 0xffff, 0 },
		{ "net.inet.ipsec.ah_offsetmask", 0x10000, -EINVAL },
		{ "net.inet6.ipsec6.def_policy", 0, 0 },
		{ "net.inet6.ipsec6.ah_trans_deflev", 2, 0 },
		{ "net.inet6.ipsec6.ecn", 1, 0 },
		{ "net.inet6.ipsec6.dfbit", 1, -ENOENT },
		{ "net.inet.ipsec.nosuch", 1, -ENOENT },
		{ "", 1, -ENOENT },
		{ NULL, 1, -ENOENT },
		{ "net.inet.ipsec.debug", 1, 0 },
	};
	const struct netd_spd_vars *v4, *v6;
	struct decide_params p;
	size_t i;

	(void)state;
	init(&r);
	for (i = 0; i < nitems(rows); i++)
		assert_int_equal(netd_spdr_sysctl(&r, rows[i].name,
		    rows[i].value), rows[i].error);
	v4 = netd_spdr_vars(&r, AF_INET);
	v6 = netd_spdr_vars(&r, AF_INET6);
	assert_int_equal(v4->def_policy, 0);
	assert_int_equal(v4->deflev[DECIDE_LEV_ESP_TRANS], 2);
	assert_int_equal(v4->deflev[DECIDE_LEV_ESP_NET], 1);
	assert_int_equal(v4->deflev[DECIDE_LEV_AH_NET], 2);
	assert_int_equal(v4->dfbit, 2);
	assert_int_equal(v4->ecn, -1);
	assert_int_equal(v4->ah_cleartos, 0);
	assert_int_equal(v4->ah_offsetmask, 0xffff);
	assert_int_equal(v6->def_policy, 0);
	assert_int_equal(v6->deflev[DECIDE_LEV_AH_TRANS], 2);
	assert_int_equal(v6->ecn, 1);
	assert_int_equal(v6->dfbit, 0);
	assert_int_equal(v6->ah_cleartos, 1);
	/* Anything but AF_INET6 reads IPv4's. */
	assert_ptr_equal(netd_spdr_vars(&r, 0), v4);
	decide_params_default(&p);
	p.gateway = true;
	netd_spdr_params(&r, &p);
	assert_int_equal(p.def_policy[0], 0);
	assert_int_equal(p.def_policy[1], 0);
	assert_int_equal(p.deflev[0][DECIDE_LEV_ESP_TRANS], 2);
	assert_int_equal(p.deflev[1][DECIDE_LEV_AH_TRANS], 2);
	assert_true(p.gateway);
	assert_int_equal(r.st.sysctl_set, 11);
	assert_int_equal(r.st.sysctl_bad, 9);
	netd_spdr_fini(&r);
}

/* Initial values out of range (a zeroed struct) keep KAME's. */
static void
test_initial_params_range(void **state)
{
	static struct netd_spdr r;
	struct decide_params p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(netd_spdr_init(&r, 1, &p), 0);
	assert_int_equal(netd_spdr_vars(&r, AF_INET)->def_policy, 0);
	assert_int_equal(netd_spdr_vars(&r, AF_INET)->deflev[0], 1);
	netd_spdr_fini(&r);
	assert_int_equal(netd_spdr_init(&r, 1, NULL), 0);
	assert_int_equal(netd_spdr_vars(&r, AF_INET6)->def_policy, 1);
	netd_spdr_fini(&r);
}

/*
 * --seeds DIR: fuzz_netd_spd's corpus, runs of records as
 * tests/fuzz/fuzz_netd_spd.c reads them:
 *
 *	kind (1 byte) | length (2 bytes, big-endian) | packed body
 *
 * kind 0 SpdSnapshotReply, 1 SpdChangeEvent, 2 SysctlGetReply,
 * 3 SysctlChangeEvent, 4 begin a snapshot (no body).
 */
enum { K_SNAP, K_EVENT, K_SYSGET, K_SYSCHG, K_BEGIN };

struct seed {
	uint8_t		buf[1024];
	struct wr	w;
	int		error;
};

static void
rec(struct seed *s, uint8_t kind, const ProtobufCMessage *m)
{
	uint8_t body[512];
	size_t n = 0;

	if (m != NULL) {
		if (protobuf_c_message_get_packed_size(m) > sizeof(body)) {
			s->error = -EMSGSIZE;
			return;
		}
		n = protobuf_c_message_pack(m, body);
	}
	if (wr_u8(&s->w, kind) != 0 || wr_be16(&s->w, (uint16_t)n) != 0 ||
	    wr_bytes(&s->w, body, n) != 0)
		s->error = -EMSGSIZE;
}

struct spol {
	struct spd_entry	e;	/* pm borrows its addresses */
	struct spd_pmsg		pm;
};

/* entry(b, dir, action) as policy id; ESP in tunnel 192.0.2.1 -> .2. */
static Parapet__SpdPolicy *
spol(struct spol *p, uint32_t id, uint8_t dir, uint8_t b, uint8_t action,
    bool tunnel)
{
	static const uint8_t tsrc[4] = { 192, 0, 2, 1 };
	static const uint8_t tdst[4] = { 192, 0, 2, 2 };

	entry(&p->e, b, dir, action);
	if (tunnel) {
		p->e.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
		p->e.req[0].family = AF_INET;
		memcpy(p->e.req[0].tsrc, tsrc, sizeof(tsrc));
		memcpy(p->e.req[0].tdst, tdst, sizeof(tdst));
	}
	spd_msg_fill(&p->pm, id, &p->e);
	return &p->pm.p;
}

#define POL(p, id, dir, b)	spol(p, id, SPD_DIR_##dir, b, SPD_ACTION_IPSEC, \
				    false)

/* The fuzzer's static selector, 10.0.0.1/32 -> 10.0.0.2/32 out, none. */
static Parapet__SpdPolicy *
spol_static(struct spol *p, uint32_t id)
{
	entry(&p->e, 0, SPD_DIR_OUT, SPD_ACTION_NONE);
	p->e.sel.src_plen = 32;
	p->e.sel.dst_plen = 32;
	p->e.sel.src[3] = 1;
	p->e.sel.dst[1] = 0;
	p->e.sel.dst[3] = 2;
	p->e.priority = 5;
	spd_msg_fill(&p->pm, id, &p->e);
	return &p->pm.p;
}

static void
snap(struct seed *s, uint64_t epoch, uint64_t gen, Parapet__SpdPolicy **pp,
    size_t n, uint64_t total, bool done)
{
	Parapet__SpdSnapshotReply r;

	parapet__spd_snapshot_reply__init(&r);
	r.epoch = epoch;
	r.gen = gen;
	r.cursor = done ? 0 : 77;
	r.done = done;
	r.total = total;
	r.n_policies = n;
	r.policies = n != 0 ? pp : NULL;
	rec(s, K_SNAP, &r.base);
}

/* A change; x is the id (delete) or the direction (flush). */
static void
change(struct seed *s, uint64_t epoch, uint64_t prev, uint64_t gen,
    Parapet__SpdOp op, Parapet__SpdPolicy *p, uint32_t x)
{
	Parapet__SpdChangeEvent ev;

	parapet__spd_change_event__init(&ev);
	ev.epoch = epoch;
	ev.prev_gen = prev;
	ev.gen = gen;
	ev.op = op;
	ev.policy = p;
	if (op == OP(DELETE))
		ev.id = x;
	else if (op == OP(FLUSH))
		ev.dir = x;
	rec(s, K_EVENT, &ev.base);
}

static void
syschg(struct seed *s, const char *name, int64_t value, int64_t old)
{
	Parapet__SysctlChangeEvent ev;

	parapet__sysctl_change_event__init(&ev);
	ev.name = deconst(name);
	ev.value = value;
	ev.old = old;
	rec(s, K_SYSCHG, &ev.base);
}

static void
seed_one_page(struct seed *s)
{
	struct spol p[2];
	Parapet__SpdPolicy *pp[2];

	pp[0] = POL(&p[0], 9, OUT, 1);
	pp[1] = spol(&p[1], 16, SPD_DIR_IN, 2, SPD_ACTION_IPSEC, true);
	snap(s, EPOCH, 5, pp, 2, 2, true);
}

static void
seed_pages_then_deltas(struct seed *s)
{
	struct spol p[2];
	Parapet__SpdPolicy *pp[2];

	pp[0] = POL(&p[0], 9, OUT, 1);
	snap(s, EPOCH, 7, pp, 1, 3, false);
	change(s, EPOCH, 7, 8, OP(ADD), POL(&p[0], 25, OUT, 9), 0);
	pp[0] = POL(&p[0], 17, OUT, 2);
	pp[1] = POL(&p[1], 24, IN, 3);
	snap(s, EPOCH, 7, pp, 2, 3, true);
	change(s, EPOCH, 8, 9, OP(DELETE), NULL, 9);
	change(s, EPOCH, 9, 10, OP(UPDATE), spol(&p[0], 17, SPD_DIR_OUT, 2,
	    SPD_ACTION_NONE, false), 0);
	change(s, EPOCH, 10, 11, OP(FLUSH), NULL, SPD_DIR_IN);
}

static void
seed_gap_and_epoch(struct seed *s)
{
	struct spol p;
	Parapet__SpdPolicy *pp;

	snap(s, EPOCH, 3, NULL, 0, 0, true);
	change(s, EPOCH, 4, 5, OP(ADD), POL(&p, 9, OUT, 1), 0);
	change(s, EPOCH + 1, 3, 4, OP(ADD), POL(&p, 9, OUT, 1), 0);
	rec(s, K_BEGIN, NULL);
	pp = POL(&p, 9, OUT, 1);
	snap(s, EPOCH + 1, 1, &pp, 1, 1, true);
}

static void
seed_static_shadowed(struct seed *s)
{
	struct spol p;
	Parapet__SpdPolicy *pp;

	pp = spol_static(&p, 33);
	snap(s, EPOCH, 2, &pp, 1, 1, true);
	change(s, EPOCH, 2, 3, OP(DELETE), NULL, 33);
	change(s, EPOCH, 3, 4, OP(ADD), spol_static(&p, 41), 0);
	change(s, EPOCH, 4, 5, OP(FLUSH), NULL, 0);
}

static void
seed_sysctl(struct seed *s)
{
	static const struct {
		const char	*name;
		int64_t		 value, min, max;
	} v[] = {
		{ "net.inet.ipsec.def_policy", 0, 0, 1 },
		{ "net.inet.ipsec.dfbit", 2, 0, 2 },
		{ "net.inet.ipsec.ecn", -1, -1, 1 },
		{ "net.inet.ipsec.ah_offsetmask", 0xffff, 0, 0xffff },
		{ "net.inet6.ipsec6.esp_trans_deflev", 2, 1, 2 },
	};
	Parapet__SysctlVar vars[nitems(v)], *vp[nitems(v)];
	Parapet__SysctlGetReply r;
	size_t i;

	for (i = 0; i < nitems(v); i++) {
		parapet__sysctl_var__init(&vars[i]);
		vars[i].name = deconst(v[i].name);
		vars[i].value = v[i].value;
		vars[i].min = v[i].min;
		vars[i].max = v[i].max;
		vp[i] = &vars[i];
	}
	parapet__sysctl_get_reply__init(&r);
	r.n_vars = nitems(v);
	r.vars = vp;
	rec(s, K_SYSGET, &r.base);
	syschg(s, "net.inet.ipsec.esp_net_deflev", 2, 1);
	syschg(s, "net.inet.ipsec.nosuch", 1, 0);
}

static void
seed_kept_during_snapshot(struct seed *s)
{
	struct spol p;
	Parapet__SpdPolicy *pp;

	rec(s, K_BEGIN, NULL);
	change(s, EPOCH, 1, 2, OP(ADD), POL(&p, 9, OUT, 1), 0);
	change(s, EPOCH, 2, 3, OP(ADD), POL(&p, 17, OUT, 2), 0);
	pp = POL(&p, 9, OUT, 1);
	snap(s, EPOCH, 2, &pp, 1, 1, true);
}

static const struct {
	const char	*name;
	void		(*fill)(struct seed *);
} seed_list[] = {
	{ "snapshot_one_page", seed_one_page },
	{ "snapshot_pages_then_deltas", seed_pages_then_deltas },
	{ "gap_and_epoch", seed_gap_and_epoch },
	{ "static_shadowed", seed_static_shadowed },
	{ "sysctl", seed_sysctl },
	{ "kept_during_snapshot", seed_kept_during_snapshot },
};

static int
seeds(const char *dir)
{
	static struct seed s;
	char path[512];
	size_t i;
	FILE *f;
	int error = 0;

	for (i = 0; i < nitems(seed_list); i++) {
		memset(&s, 0, sizeof(s));
		wr_init(&s.w, s.buf, sizeof(s.buf));
		seed_list[i].fill(&s);
		snprintf(path, sizeof(path), "%s/%s", dir, seed_list[i].name);
		if (s.error != 0 || (f = fopen(path, "wb")) == NULL) {
			error = 1;
			continue;
		}
		if (fwrite(s.buf, 1, s.w.used, f) != s.w.used)
			error = 1;
		if (fclose(f) != 0)
			error = 1;
	}
	return error;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_bad_snapshots),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_kept_overflow),
		cmocka_unit_test(test_statics),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_initial_params_range),
	};

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return seeds(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
