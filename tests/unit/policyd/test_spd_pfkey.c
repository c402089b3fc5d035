/*
 * test_spd_pfkey.c - policyd's PF_KEY face (servers/policyd/spd_pfkey.h),
 * the variables table (sysctl.h) and the persistent records (spd_rec.h).
 *
 * One row per message type and outcome (replies, their types, errnos,
 * destinations, what changed); the reverse conversion round trip on
 * random policies (PF_KEY bytes -> SPD -> PF_KEY bytes equal after
 * normalisation: id, canonical addresses, allocated reqids, any protocol
 * in both addresses, the current lifetime); the paged X_SPDDUMP (seq down
 * to 0, deletions between pages); every bound of every variable; record
 * round trips and damaged records. PARAPET_SEED for the random parts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "pfkey_build.h"
#include "prng.h"
#include "spd_pfkey.h"
#include "spd_rec.h"
#include "sysctl.h"

#define T(x)	PARAPET_SADB_##x
#define BIT(e)	(UINT32_C(1) << (e))
#define NOW	UINT64_C(1700000000000)

static uint64_t seed;

struct ctx {
	struct spd		*spd;
	struct spd_pfkey	 pk;
};

static int
setup(void **state)
{
	static struct ctx c;

	if (spd_create(&c.spd, 42) != 0 || spd_pfkey_init(&c.pk, c.spd) != 0)
		return -1;
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	spd_pfkey_fini(&c->pk);
	spd_destroy(c->spd);
	return 0;
}

static void
hdr(struct pfkey_msg *m, uint8_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.seq = seq;
	m->hdr.pid = 4242;
}

static void
addr4(struct pfkey_address *a, uint32_t ip, uint8_t plen, uint16_t port)
{
	uint32_t be = htonl(ip);

	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = plen;
	a->sa.family = AF_INET;
	a->sa.port = port;
	memcpy(a->sa.addr, &be, 4);
}

static void
spd_msg(struct pfkey_msg *m, uint8_t type, uint32_t dst, uint8_t dir)
{
	hdr(m, type, 9);
	m->present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST)) |
	    BIT(T(X_EXT_POLICY));
	addr4(&m->src, 0x0a000000, 8, 0);
	addr4(&m->dst, dst, 32, 0);
	m->policy.type = PARAPET_IPSEC_POLICY_IPSEC;
	m->policy.dir = dir;
	m->policy.priority = 5;
	m->policy.nreqs = 1;
	m->policy.req[0].proto = IPPROTO_ESP;
	m->policy.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
	m->policy.req[0].level = PARAPET_IPSEC_LEVEL_UNIQUE;
	m->policy.req[0].has_addrs = true;
	m->policy.req[0].src.family = AF_INET;
	m->policy.req[0].dst.family = AF_INET;
	m->policy.req[0].src.addr[0] = 192;
	m->policy.req[0].dst.addr[0] = 193;
}

/* Build m, hand it to the SPD; the result. */
static void
run(struct ctx *c, const struct pfkey_msg *m, struct spd_pfkey_result *res)
{
	uint8_t buf[4096];
	size_t len;

	assert_int_equal(pfkey_build_msg(m, buf, sizeof(buf), &len), 0);
	spd_pfkey_request(&c->pk, buf, len, NOW, res);
}

static void
out_parse(const struct spd_pfkey_result *res, size_t i, struct pfkey_msg *o)
{
	enum pfkey_reject why;

	assert_true(i < res->nout);
	assert_int_equal(pfkey_msg_parse_reply(res->out[i].buf,
	    res->out[i].len, o, &why), 0);
}

/* ---- one row per type and outcome ---- */

struct row {
	const char	*name;
	uint8_t		 type;		/* request */
	int		 what;		/* see make() */
	int		 error;		/* errno answered */
	uint32_t	 nout;
	uint8_t		 out_type[2];
	int		 dest[2];
	enum spd_change	 change;
};

enum { W_NEW, W_EXISTING, W_ID_EXISTING, W_ID_MISSING, W_ID_BADDIR,
    W_HEADER, W_ENTRUST, W_MISSING_SEL };

static const struct row rows[] = {
	{ "add", T(X_SPDADD), W_NEW, 0, 1, { T(X_SPDADD) },
	  { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_ADD },
	{ "add exists", T(X_SPDADD), W_EXISTING, EEXIST, 1, { T(X_SPDADD) },
	  { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "add entrust", T(X_SPDADD), W_ENTRUST, EINVAL, 1, { T(X_SPDADD) },
	  { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "setidx", T(X_SPDSETIDX), W_NEW, 0, 1, { T(X_SPDADD) },
	  { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_ADD },
	{ "setidx exists", T(X_SPDSETIDX), W_EXISTING, EEXIST, 1,
	  { T(X_SPDSETIDX) }, { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "update new", T(X_SPDUPDATE), W_NEW, 0, 1, { T(X_SPDUPDATE) },
	  { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_UPDATE },
	{ "update existing", T(X_SPDUPDATE), W_EXISTING, 0, 1,
	  { T(X_SPDUPDATE) }, { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_UPDATE },
	{ "delete", T(X_SPDDELETE), W_EXISTING, 0, 1, { T(X_SPDDELETE) },
	  { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_DELETE },
	{ "delete missing", T(X_SPDDELETE), W_NEW, ENOENT, 1,
	  { T(X_SPDDELETE) }, { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "get", T(X_SPDGET), W_ID_EXISTING, 0, 1, { T(X_SPDGET) },
	  { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "get missing", T(X_SPDGET), W_ID_MISSING, ENOENT, 1,
	  { T(X_SPDGET) }, { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "get dir 3", T(X_SPDGET), W_ID_BADDIR, EINVAL, 1, { T(X_SPDGET) },
	  { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "delete2", T(X_SPDDELETE2), W_ID_EXISTING, 0, 1,
	  { T(X_SPDDELETE2) }, { SPD_PFKEY_DEST_ALL }, SPD_CHANGE_DELETE },
	{ "delete2 missing", T(X_SPDDELETE2), W_ID_MISSING, ENOENT, 1,
	  { T(X_SPDDELETE2) }, { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "flush", T(X_SPDFLUSH), W_HEADER, 0, 2,
	  { T(X_SPDFLUSH), T(X_SPDFLUSH) },
	  { SPD_PFKEY_DEST_ONE, SPD_PFKEY_DEST_ALL }, SPD_CHANGE_FLUSH },
	{ "dump here", T(X_SPDDUMP), W_HEADER, EOPNOTSUPP, 1, { T(X_SPDDUMP) },
	  { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
	{ "add without addresses", T(X_SPDADD), W_MISSING_SEL, EINVAL, 1,
	  { T(X_SPDADD) }, { SPD_PFKEY_DEST_ONE }, SPD_CHANGE_NONE },
};

/* The request of a row; id is the installed policy's. */
static void
make(const struct row *r, uint32_t id, struct pfkey_msg *m)
{
	switch (r->what) {
	case W_NEW:
		spd_msg(m, r->type, 0x0a010101, 2);
		break;
	case W_EXISTING:
	case W_ENTRUST:
	case W_MISSING_SEL:
		spd_msg(m, r->type, 0x0a090909, 2);
		if (r->what == W_ENTRUST)
			m->policy.type = PARAPET_IPSEC_POLICY_ENTRUST,
			    m->policy.nreqs = 0;
		if (r->what == W_MISSING_SEL)
			m->present &= ~BIT(T(EXT_ADDRESS_SRC));
		break;
	case W_ID_EXISTING:
	case W_ID_MISSING:
	case W_ID_BADDIR:
		hdr(m, r->type, 9);
		m->present = BIT(T(X_EXT_POLICY));
		m->policy.dir = 2;
		m->policy.id = r->what == W_ID_EXISTING ? id :
		    r->what == W_ID_MISSING ? id + 8 : (id & ~7u) | 3;
		break;
	default:
		hdr(m, r->type, 9);
		break;
	}
}

/* The messages a row's request gave. */
static void
check_outs(const struct row *r, const struct spd_pfkey_result *res,
    uint32_t id)
{
	struct pfkey_msg o;
	size_t k;

	for (k = 0; k < res->nout; k++) {
		out_parse(res, k, &o);
		assert_int_equal(o.hdr.type, r->out_type[k]);
		assert_int_equal(o.hdr.seq, 9);
		assert_int_equal(o.hdr.pid, 4242);
		assert_int_equal(o.hdr.msg_errno, r->error);
		assert_int_equal((int)res->out[k].dest, r->dest[k]);
		if (r->error == 0 && r->type != T(X_SPDFLUSH)) {
			assert_int_equal(o.policy.id, res->id != 0 ?
			    res->id : id);
			assert_true(pfkey_msg_has(&o,
			    T(EXT_LIFETIME_CURRENT)));
			assert_int_equal(o.lft_current.addtime, NOW / 1000);
		}
	}
}

static void
test_rows(void **state)
{
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct pfkey_msg m, a;
	uint32_t id = 0;
	size_t i;

	for (i = 0; i < nitems(rows); i++) {
		const struct row *r = &rows[i];

		(void)spd_flush(c->spd, 0);
		/* One installed policy: 10.0.0.0/8 -> 10.9.9.9, out. */
		spd_msg(&a, T(X_SPDADD), 0x0a090909, 2);
		run(c, &a, &res);
		assert_int_equal(res.error, 0);
		id = res.id;
		make(r, id, &m);
		run(c, &m, &res);
		if (res.error != r->error || res.nout != r->nout ||
		    res.change != r->change)
			fail_msg("row %s: error %d nout %zu change %d", r->name,
			    res.error, res.nout, res.change);
		check_outs(r, &res, id);
		if (r->change == SPD_CHANGE_DELETE)
			assert_null(spd_get_id(c->spd, res.id));
		if (r->change == SPD_CHANGE_ADD || r->change == SPD_CHANGE_UPDATE)
			assert_true(res.gen_after > res.gen_before);
	}
	/* An empty flush: only the sender's copy, nothing changed. */
	(void)spd_flush(c->spd, 0);
	hdr(&m, T(X_SPDFLUSH), 9);
	run(c, &m, &res);
	assert_int_equal(res.nout, 1);
	assert_int_equal(res.change, SPD_CHANGE_NONE);
	/* Garbage: the header group has no reply. */
	spd_pfkey_request(&c->pk, (const uint8_t *)"short", 5, NOW, &res);
	assert_int_equal(res.nout, 0);
	assert_int_equal(res.error, EMSGSIZE);
}

/* Lifetimes are kept and reported; a delete forgets them. */
static void
test_lifetimes(void **state)
{
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct pfkey_msg m, o;

	(void)spd_flush(c->spd, 0);
	spd_msg(&m, T(X_SPDADD), 0x0a050505, 1);
	m.present |= BIT(T(EXT_LIFETIME_HARD));
	m.lft_hard.addtime = 3600;
	m.lft_hard.usetime = 60;
	run(c, &m, &res);
	assert_int_equal(res.error, 0);
	out_parse(&res, 0, &o);
	assert_int_equal(o.lft_hard.addtime, 3600);
	assert_int_equal(o.lft_hard.usetime, 60);
	assert_int_equal(o.lft_soft.addtime, 0);
	/* The reqid of unique with 0 was allocated above the manual range. */
	assert_true(o.policy.req[0].reqid >= SPD_REQID_AUTO_MIN);
	hdr(&m, T(X_SPDDELETE2), 1);
	m.present = BIT(T(X_EXT_POLICY));
	m.policy.id = res.id;
	m.policy.dir = 1;
	run(c, &m, &res);
	assert_int_equal(res.error, 0);
	assert_int_equal(c->pk.nl, 0);
}

/* ---- round trip: PF_KEY -> SPD -> PF_KEY ---- */

static void
rand_addr(uint64_t *st, struct pfkey_address *a, uint16_t fam, bool ports)
{
	size_t i, n = fam == AF_INET6 ? 16 : 4;

	memset(a, 0, sizeof(*a));
	a->sa.family = fam;
	for (i = 0; i < n; i++)
		a->sa.addr[i] = (uint8_t)prng_next(st);
	a->prefixlen = (uint8_t)prng_below(st, n * 8 + 1);
	a->sa.port = ports ? (uint16_t)prng_next(st) : 0;
}

static void
rand_spdadd(uint64_t *st, struct pfkey_msg *m)
{
	uint16_t fam = prng_below(st, 2) ? AF_INET6 : AF_INET;
	bool ports = prng_below(st, 2) != 0;
	uint8_t proto = ports ? (prng_below(st, 2) ? IPPROTO_TCP :
	    IPPROTO_UDP) : (prng_below(st, 2) ? 255 : IPPROTO_ICMP);
	size_t i;

	hdr(m, T(X_SPDADD), (uint32_t)prng_next(st));
	m->present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST)) |
	    BIT(T(X_EXT_POLICY));
	rand_addr(st, &m->src, fam, ports);
	rand_addr(st, &m->dst, fam, ports);
	m->src.proto = m->dst.proto = proto;
	m->policy.dir = (uint8_t)(1 + prng_below(st, 3));
	m->policy.type = (uint16_t)prng_below(st, 3);
	m->policy.priority = (uint32_t)prng_next(st);
	if (m->policy.type != PARAPET_IPSEC_POLICY_IPSEC)
		return;
	m->policy.nreqs = 1 + prng_below(st, 6);
	for (i = 0; i < m->policy.nreqs; i++) {
		struct pfkey_ipsecreq *q = &m->policy.req[i];
		static const uint16_t protos[] = { IPPROTO_ESP, IPPROTO_AH,
		    IPPROTO_COMP };
		uint16_t tf = prng_below(st, 2) ? AF_INET6 : AF_INET;

		q->proto = protos[prng_below(st, 3)];
		q->mode = (uint8_t)(1 + prng_below(st, 2));
		q->level = (uint8_t)prng_below(st, 4);
		q->reqid = q->level == PARAPET_IPSEC_LEVEL_UNIQUE ?
		    (uint32_t)prng_below(st, 40000) : 0;
		q->has_addrs = q->mode == PARAPET_IPSEC_MODE_TUNNEL ||
		    prng_below(st, 4) == 0;
		if (q->has_addrs) {
			struct pfkey_address t;

			rand_addr(st, &t, tf, false);
			q->src = t.sa;
			rand_addr(st, &t, tf, false);
			q->dst = t.sa;
		}
	}
}

/* What the SPD does to a policy, applied to the request's view. */
static void
normalise(struct pfkey_msg *m, const struct pfkey_msg *reply)
{
	struct spd_sel s;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.src_plen = m->src.prefixlen;
	s.dst_plen = m->dst.prefixlen;
	memcpy(s.src, m->src.sa.addr, 16);
	memcpy(s.dst, m->dst.sa.addr, 16);
	spd_sel_canon(&s);
	memcpy(m->src.sa.addr, s.src, 16);
	memcpy(m->dst.sa.addr, s.dst, 16);
	if (m->dst.proto == 0)
		m->dst.proto = 255;
	m->src.proto = m->dst.proto;
	m->policy.id = reply->policy.id;
	for (i = 0; i < m->policy.nreqs; i++) {
		struct pfkey_ipsecreq *q = &m->policy.req[i];

		if (q->level != PARAPET_IPSEC_LEVEL_UNIQUE)
			q->reqid = 0;
		else if (q->reqid == 0)
			q->reqid = reply->policy.req[i].reqid;
	}
	m->hdr = reply->hdr;
	m->present |= BIT(T(EXT_LIFETIME_CURRENT)) |
	    BIT(T(EXT_LIFETIME_HARD)) | BIT(T(EXT_LIFETIME_SOFT));
	m->lft_current = reply->lft_current;
}

static void
test_round_trip(void **state)
{
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct pfkey_msg m, o;
	uint64_t st = seed;
	int i, n = 0;

	(void)spd_flush(c->spd, 0);
	for (i = 0; i < 3000; i++) {
		rand_spdadd(&st, &m);
		run(c, &m, &res);
		if (res.error == EEXIST)
			continue;
		if (res.error != 0)
			fail_msg("seed %llu: policy %d refused: %d",
			    (unsigned long long)seed, i, res.error);
		out_parse(&res, 0, &o);
		normalise(&m, &o);
		if (!pfkey_msg_equal(&m, &o))
			fail_msg("seed %llu: policy %d does not round-trip",
			    (unsigned long long)seed, i);
		n++;
	}
	assert_true(n > 2500);
}

/* ---- paged dump ---- */

struct got {
	uint32_t	seqs[4096];
	uint32_t	ids[4096];
	size_t		n;
};

static int
emit(const uint8_t *buf, size_t len, void *arg)
{
	struct got *g = arg;
	enum pfkey_reject why;
	struct pfkey_msg m;

	assert_int_equal(pfkey_msg_parse_reply(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.type, T(X_SPDDUMP));
	assert_int_equal(m.hdr.pid, 4242);
	g->seqs[g->n] = m.hdr.seq;
	g->ids[g->n++] = m.policy.id;
	return 0;
}

static void
test_dump(void **state)
{
	static struct got g;
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct spd_pfkey_dump d;
	struct pfkey_msg m;
	uint8_t req[64];
	size_t len, i;
	bool deleted = false;
	int r;

	(void)spd_flush(c->spd, 0);
	hdr(&m, T(X_SPDDUMP), 5);
	assert_int_equal(pfkey_build_msg(&m, req, sizeof(req), &len), 0);
	assert_int_equal(spd_pfkey_dump_begin(&c->pk, &d, req, len), -ENOENT);
	for (i = 0; i < 1000; i++) {
		spd_msg(&m, T(X_SPDADD), 0x0c000000 + (uint32_t)i, 2);
		run(c, &m, &res);
		assert_int_equal(res.error, 0);
	}
	hdr(&m, T(X_SPDDUMP), 5);
	assert_int_equal(pfkey_build_msg(&m, req, sizeof(req), &len), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(spd_pfkey_dump_begin(&c->pk, &d, req, len), 0);
	do {
		r = spd_pfkey_dump_page(&c->pk, &d, 37, 1 << 20, emit, &g);
		assert_true(r >= 0);
		/* A deletion between pages: never reported twice. */
		if (g.n >= 100 && !deleted) {
			deleted = true;
			spd_msg(&m, T(X_SPDDELETE), 0x0c000000 + 999, 2);
			run(c, &m, &res);
			assert_int_equal(res.error, 0);
		}
	} while (r == 0);
	assert_false(d.live);
	assert_int_equal(g.n, 999);
	for (i = 0; i < g.n; i++) {
		assert_true(i == 0 || g.seqs[i] < g.seqs[i - 1] ||
		    (g.seqs[i] == 1 && g.seqs[i - 1] == 1));
		if (i + 1 < g.n)
			assert_true(g.seqs[i] > 0);
	}
	assert_int_equal(g.seqs[0], 999);
	assert_int_equal(g.seqs[g.n - 1], 0);
	/* Every policy went before the first message: ENOENT. */
	assert_int_equal(spd_pfkey_dump_begin(&c->pk, &d, req, len), 0);
	(void)spd_flush(c->spd, 0);
	assert_int_equal(spd_pfkey_dump_page(&c->pk, &d, 10, 1 << 20, emit,
	    &g), -ENOENT);
	spd_pfkey_dump_end(&c->pk, &d);
}

/* ---- sysctl: every bound ---- */

static void
test_sysctl(void **state)
{
	struct sysctl_vals v;
	enum sysctl_id id;
	int32_t old;
	size_t i;

	(void)state;
	sysctl_defaults(&v);
	for (i = 0; i < SYSCTL_COUNT; i++) {
		const struct sysctl_var *sv = sysctl_var((enum sysctl_id)i);

		assert_non_null(sv);
		assert_ptr_equal(sysctl_find(sv->name, &id), sv);
		assert_int_equal(id, i);
		assert_int_equal(sysctl_get(&v, id), sv->def);
		assert_true(sv->min <= sv->def && sv->def <= sv->max);
		/* min - 1, min, max, max + 1 */
		assert_int_equal(sysctl_set(&v, id, (int64_t)sv->min - 1,
		    NULL), -EINVAL);
		assert_int_equal(sysctl_get(&v, id), sv->def);
		assert_int_equal(sysctl_set(&v, id, sv->min, &old), 0);
		assert_int_equal(old, sv->def);
		assert_int_equal(sysctl_set(&v, id, sv->max, &old), 0);
		assert_int_equal(old, sv->min);
		assert_int_equal(sysctl_set(&v, id, (int64_t)sv->max + 1,
		    NULL), -EINVAL);
		assert_int_equal(sysctl_get(&v, id), sv->max);
		assert_int_equal(sysctl_set(&v, id, INT64_MAX, NULL), -EINVAL);
	}
	/* KAME's names, ranges and defaults (DESIGN §10.13). */
	{
		static const struct { const char *n; int min, max, def; } k[] = {
			{ "net.inet.ipsec.def_policy", 0, 1, 1 },
			{ "net.inet.ipsec.esp_trans_deflev", 1, 2, 1 },
			{ "net.inet.ipsec.esp_net_deflev", 1, 2, 1 },
			{ "net.inet.ipsec.ah_trans_deflev", 1, 2, 1 },
			{ "net.inet.ipsec.ah_net_deflev", 1, 2, 1 },
			{ "net.inet.ipsec.ah_cleartos", 0, 1, 1 },
			{ "net.inet.ipsec.ah_offsetmask", 0, 0xffff, 0 },
			{ "net.inet.ipsec.dfbit", 0, 2, 0 },
			{ "net.inet.ipsec.ecn", -1, 1, 0 },
			{ "net.inet.ipsec.debug", 0, 1, 0 },
			{ "net.inet6.ipsec6.def_policy", 0, 1, 1 },
			{ "net.inet6.ipsec6.esp_trans_deflev", 1, 2, 1 },
			{ "net.inet6.ipsec6.esp_net_deflev", 1, 2, 1 },
			{ "net.inet6.ipsec6.ah_trans_deflev", 1, 2, 1 },
			{ "net.inet6.ipsec6.ah_net_deflev", 1, 2, 1 },
			{ "net.inet6.ipsec6.ecn", -1, 1, 0 },
			{ "net.inet6.ipsec6.debug", 0, 1, 0 },
		};
		_Static_assert(nitems(k) == SYSCTL_COUNT, "k");

		for (i = 0; i < nitems(k); i++) {
			const struct sysctl_var *sv = sysctl_find(k[i].n, NULL);

			assert_non_null(sv);
			assert_int_equal(sv->min, k[i].min);
			assert_int_equal(sv->max, k[i].max);
			assert_int_equal(sv->def, k[i].def);
		}
	}
	assert_null(sysctl_find("net.inet.ipsec.", NULL));
	assert_null(sysctl_find("net.inet6.ipsec6.dfbit", NULL));
	assert_null(sysctl_find(NULL, NULL));
}

/* ---- records ---- */

static void
test_records(void **state)
{
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct spd_cursor cur;
	const struct spd_policy *p;
	struct sysctl_vals v, w;
	struct spd_gens g = { 0x12345670, 40000 };
	struct spd_rec rec;
	struct pfkey_msg m;
	uint8_t buf[SPD_REC_MAX];
	struct spd_lft l;
	uint64_t st = seed ^ 0x55;
	size_t len, i, n = 0;

	(void)spd_flush(c->spd, 0);
	for (i = 0; i < 500; i++) {
		rand_spdadd(&st, &m);
		if (i % 3 == 0) {
			m.present |= BIT(T(EXT_LIFETIME_SOFT));
			m.lft_soft.bytes = prng_next(&st);
		}
		run(c, &m, &res);
	}
	spd_dump_begin(c->spd, &cur, 0);
	while ((p = spd_dump_next(c->spd, &cur)) != NULL) {
		spd_pfkey_lft_get(&c->pk, p->id, &l);
		assert_int_equal(spd_rec_policy(p, &l, buf, sizeof(buf), &len),
		    0);
		assert_true(len <= SPD_REC_NEED);
		assert_int_equal(spd_rec_parse(buf, len, &rec), 0);
		assert_int_equal(rec.kind, SPD_REC_POLICY);
		assert_int_equal(rec.id, p->id);
		assert_int_equal(rec.add_ms, p->add_ms);
		assert_memory_equal(&rec.lft, &l, sizeof(l));
		assert_memory_equal(&rec.e.sel, &p->e.sel, sizeof(p->e.sel));
		assert_int_equal(rec.e.priority, p->e.priority);
		assert_int_equal(rec.e.nreqs, p->e.nreqs);
		/* Truncated, or with a byte more: refused. */
		assert_int_equal(spd_rec_parse(buf, len - 1, &rec), -EBADMSG);
		buf[len] = 0;
		assert_int_equal(spd_rec_parse(buf, len + 1, &rec), -EBADMSG);
		n++;
	}
	spd_dump_end(c->spd, &cur);
	assert_true(n > 400);
	/* Variables. */
	sysctl_defaults(&v);
	assert_int_equal(sysctl_set(&v, SYSCTL_IP4_DFBIT, 2, NULL), 0);
	assert_int_equal(sysctl_set(&v, SYSCTL_IP6_ECN, -1, NULL), 0);
	assert_int_equal(spd_rec_sysctl(&v, buf, sizeof(buf), &len), 0);
	assert_true(len <= SPD_REC_NEED);
	assert_int_equal(spd_rec_parse(buf, len, &rec), 0);
	assert_int_equal(rec.kind, SPD_REC_SYSCTL);
	assert_int_equal(rec.vals_set, (1u << SYSCTL_COUNT) - 1);
	assert_memory_equal(&rec.vals, &v, sizeof(v));
	/* A value out of range in the store is refused. */
	w = v;
	w.v[SYSCTL_IP4_DFBIT] = 9;
	assert_int_equal(spd_rec_sysctl(&w, buf, sizeof(buf), &len), 0);
	assert_int_equal(spd_rec_parse(buf, len, &rec), -EINVAL);
	/* Generators; unknown version and kind. */
	assert_int_equal(spd_rec_gens(&g, buf, sizeof(buf), &len), 0);
	assert_int_equal(spd_rec_parse(buf, len, &rec), 0);
	assert_int_equal(rec.gens.idx_gen, g.idx_gen);
	assert_int_equal(rec.gens.reqid_next, g.reqid_next);
	buf[0] = 2;
	assert_int_equal(spd_rec_parse(buf, len, &rec), -EBADMSG);
	buf[0] = 1;
	buf[1] = 9;
	assert_int_equal(spd_rec_parse(buf, len, &rec), -EBADMSG);
}

/* spd_restore keeps ids; the generators come back. */
static void
test_restore(void **state)
{
	struct ctx *c = *state;
	struct spd_pfkey_result res;
	struct spd_gens g, h;
	struct pfkey_msg m;
	struct spd *db;
	const struct spd_policy *p;
	uint32_t id;

	(void)spd_flush(c->spd, 0);
	spd_msg(&m, T(X_SPDADD), 0x0d000001, 3);
	run(c, &m, &res);
	assert_int_equal(res.error, 0);
	p = spd_get_id(c->spd, res.id);
	assert_int_equal(spd_create(&db, 7), 0);
	assert_int_equal(spd_restore(db, &p->e, res.id, 5), 0);
	assert_int_equal(spd_restore(db, &p->e, res.id, 5), -EEXIST);
	assert_int_equal(spd_restore(db, &p->e, res.id + 8, 5), -EEXIST);
	assert_int_equal(spd_restore(db, &p->e, res.id + 1, 5), -EINVAL);
	assert_int_equal(spd_restore(db, &p->e, 0, 5), -EINVAL);
	assert_non_null(spd_get_id(db, res.id));
	spd_gens_get(c->spd, &g);
	spd_gens_set(db, &g);
	spd_gens_get(db, &h);
	assert_int_equal(g.idx_gen, h.idx_gen);
	/* The next id continues after the restored generator. */
	m.dst.sa.addr[3] = 2;
	spd_msg(&m, T(X_SPDADD), 0x0d000002, 3);
	{
		struct spd_entry e;

		assert_int_equal(spd_entry_from_pfkey(&m, &e), 0);
		assert_int_equal(spd_add(db, &e, 0, &id), 0);
	}
	assert_true(id > res.id);
	spd_destroy(db);
}

/*
 * What the store rebuilds equals what was live: random X_SPDADD, UPDATE,
 * DELETE2 and FLUSH over overlapping selectors with tied priorities,
 * then every policy written as a record, parsed back and restored in the
 * order the records were last written (pstore_scan's generation order:
 * an add or update rewrites the record, so it is the SPD's insertion
 * order, which ranks ties), as policyd_store.c does after a restart.
 * Same ids, entries, add times and lifetimes, and every packet finds the
 * same policy.
 */
static int
cmp_seq(const void *a, const void *b)
{
	const struct spd_policy *x = *(const void *const *)a;
	const struct spd_policy *y = *(const void *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 4000 random X_SPDADD/UPDATE, DELETE2 and FLUSH on c's SPD. */
static void
rebuild_churn(struct ctx *c, uint64_t *st)
{
	struct spd_pfkey_result res;
	struct pfkey_msg m;
	uint32_t live[64];
	size_t nlive = 0, i;

	for (i = 0; i < 4000; i++) {
		uint64_t op = prng_below(st, 100);

		if (op < 60 || nlive == 0) {
			spd_msg(&m, prng_below(st, 3) == 0 ? T(X_SPDUPDATE) :
			    T(X_SPDADD), 0x0f000000 +
			    (uint32_t)prng_below(st, 64),
			    (uint8_t)(1 + prng_below(st, 3)));
			m.dst.prefixlen = prng_below(st, 2) ? 32 : 28;
			m.policy.priority = (uint32_t)prng_below(st, 3);
			if (prng_below(st, 2)) {
				m.present |= BIT(T(EXT_LIFETIME_HARD));
				m.lft_hard.addtime = prng_below(st, 1000);
			}
			run(c, &m, &res);
			if (res.error == 0 && res.change == SPD_CHANGE_ADD &&
			    nlive < nitems(live))
				live[nlive++] = res.id;
		} else if (op < 99) {
			size_t k = prng_below(st, nlive);

			hdr(&m, T(X_SPDDELETE2), 1);
			m.present = BIT(T(X_EXT_POLICY));
			m.policy.id = live[k];
			m.policy.dir = (uint8_t)((live[k] & 7) + 1);
			run(c, &m, &res);
			live[k] = live[--nlive];
		} else {
			hdr(&m, T(X_SPDFLUSH), 1);
			run(c, &m, &res);
			nlive = 0;
		}
	}
}

/* Every policy as a record, parsed back and restored into db2/pk2. */
static void
rebuild_restore(struct ctx *c, const void *const *order, size_t n,
    struct spd *db2, struct spd_pfkey *pk2)
{
	const struct spd_policy *p;
	struct spd_rec rec;
	struct spd_lft l;
	uint8_t buf[SPD_REC_MAX];
	size_t len, i;

	for (i = 0; i < n; i++) {
		p = order[i];
		spd_pfkey_lft_get(&c->pk, p->id, &l);
		assert_int_equal(spd_rec_policy(p, &l, buf, sizeof(buf), &len),
		    0);
		assert_int_equal(spd_rec_parse(buf, len, &rec), 0);
		assert_int_equal(spd_restore(db2, &rec.e, rec.id, rec.add_ms),
		    0);
		assert_int_equal(spd_pfkey_lft_set(pk2, rec.id, &rec.lft), 0);
	}
}

/* Same ids, entries, add times and lifetimes in db2/pk2 as in c. */
static void
rebuild_compare(struct ctx *c, const void *const *order, size_t n,
    struct spd *db2, struct spd_pfkey *pk2)
{
	const struct spd_policy *p, *q;
	struct spd_lft l, l2;
	size_t i;

	for (i = 0; i < n; i++) {
		p = order[i];
		q = spd_get_id(db2, p->id);
		assert_non_null(q);
		assert_int_equal(q->add_ms, p->add_ms);
		assert_memory_equal(&q->e.sel, &p->e.sel, sizeof(p->e.sel));
		assert_int_equal(q->e.priority, p->e.priority);
		assert_int_equal(q->e.req[0].reqid, p->e.req[0].reqid);
		spd_pfkey_lft_get(&c->pk, p->id, &l);
		spd_pfkey_lft_get(pk2, q->id, &l2);
		assert_int_equal(l.hard.addtime, l2.hard.addtime);
	}
}

/* Ties rank the same: every packet finds the same policy. */
static void
rebuild_lookups(struct ctx *c, struct spd *db2, uint64_t *st)
{
	const struct spd_policy *p, *q;
	struct spd_pkt pkt;
	size_t i;

	for (i = 0; i < 3000; i++) {
		uint32_t ip = htonl(0x0f000000 + (uint32_t)prng_below(st, 80));
		uint8_t dir = (uint8_t)(1 + prng_below(st, 3));

		memset(&pkt, 0, sizeof(pkt));
		pkt.family = AF_INET;
		pkt.proto = IPPROTO_TCP;
		pkt.src[0] = 10;
		pkt.src[3] = (uint8_t)prng_next(st);
		memcpy(pkt.dst, &ip, 4);
		p = spd_lookup(c->spd, dir, &pkt);
		q = spd_lookup(db2, dir, &pkt);
		if ((p == NULL) != (q == NULL) || (p != NULL && p->id != q->id))
			fail_msg("seed %llu: packet %zu finds %u live, %u "
			    "rebuilt", (unsigned long long)seed, i,
			    p != NULL ? p->id : 0, q != NULL ? q->id : 0);
	}
}

static void
test_rebuild(void **state)
{
	/* const struct spd_policy *, sorted by qsort(). */
	static const void *order[4096];
	struct ctx *c = *state;
	struct spd_cursor cur;
	const struct spd_policy *p;
	struct spd_pfkey pk2;
	struct spd *db2;
	uint64_t st = seed ^ 0xabc;
	size_t n = 0;

	(void)spd_flush(c->spd, 0);
	rebuild_churn(c, &st);
	spd_dump_begin(c->spd, &cur, 0);
	while ((p = spd_dump_next(c->spd, &cur)) != NULL && n < nitems(order))
		order[n++] = p;
	spd_dump_end(c->spd, &cur);
	assert_int_equal(n, spd_count(c->spd));
	qsort(order, n, sizeof(order[0]), cmp_seq);
	assert_int_equal(spd_create(&db2, 9), 0);
	assert_int_equal(spd_pfkey_init(&pk2, db2), 0);
	rebuild_restore(c, order, n, db2, &pk2);
	rebuild_compare(c, order, n, db2, &pk2);
	rebuild_lookups(c, db2, &st);
	spd_pfkey_fini(&pk2);
	spd_destroy(db2);
}

/* The fuzz seeds are golden: records parse, messages are accepted. */
static void
test_seeds(void **state)
{
	static const char *const names[] = { "rec_policy.bin",
	    "rec_policy_tunnel.bin", "rec_sysctl.bin", "rec_gens.bin",
	    "spdadd.bin", "spdadd_tunnel.bin", "spdupdate.bin",
	    "spddelete.bin", "spdget.bin", "spddelete2.bin", "spddump.bin",
	    "spdflush.bin" };
	const char *src = getenv("PARAPET_SRCDIR");
	enum pfkey_reject why;
	struct pfkey_msg m;
	struct spd_rec rec;
	uint8_t buf[4096];
	char path[1024];
	size_t i, n;
	FILE *f;

	(void)state;
	if (src == NULL)
		skip();
	for (i = 0; i < nitems(names); i++) {
		snprintf(path, sizeof(path),
		    "%s/tests/fuzz/corpus/fuzz_spd_rec/%s", src, names[i]);
		assert_non_null(f = fopen(path, "rb"));
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (strncmp(names[i], "rec_", 4) == 0) {
			if (spd_rec_parse(buf, n, &rec) != 0)
				fail_msg("seed %s refused", names[i]);
		} else if (pfkey_msg_parse(buf, n, &m, &why) != 0)
			fail_msg("seed %s refused: %s", names[i],
			    pfkey_reject_str(why));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_seeds),
	};

	seed = prng_seed_env();
	fprintf(stderr, "PARAPET_SEED=%llu\n", (unsigned long long)seed);
	return cmocka_run_group_tests(tests, setup, teardown);
}
