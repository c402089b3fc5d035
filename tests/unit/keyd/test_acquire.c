/*
 * test_acquire.c - the ACQUIRE table (servers/keyd/acquire.h) on a
 * virtual clock: one outstanding acquire per (policy id, reqid), non-zero
 * seqs never shared by two outstanding acquires, ending by seq (a key
 * manager's refusal, an SA installed with the seq), by addresses (an SA
 * installed between them), by timeout (restarted by a GETSPI), the bound,
 * and bad requests. Then the dispatcher around it (pfkey_dispatch.h):
 * the SADB_ACQUIRE it builds (Linux layout), and what its hooks tell
 * ipsecd for ADD, UPDATE, DELETE, FLUSH, expiry and ACQUIRE replies.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acquire.h"
#include "pfkey_dispatch.h"
#include "sadb.h"

static void
sa4(struct pfkey_sockaddr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, a->addr), 1);
}

static void
req(struct acquire *r, uint32_t policy, uint32_t reqid, const char *src,
    const char *dst)
{
	memset(r, 0, sizeof(*r));
	r->policy_id = policy;
	r->reqid = reqid;
	r->satype = PARAPET_SADB_SATYPE_ESP;
	r->dir = PARAPET_IPSEC_DIR_OUTBOUND;
	r->mode = PARAPET_IPSEC_MODE_TUNNEL;
	sa4(&r->src, src);
	sa4(&r->dst, dst);
}

static int ndone;
static uint32_t done_seq[16];

static void
on_done(const struct acquire *a, void *arg)
{
	(void)arg;
	if (ndone < 16)
		done_seq[ndone] = a->seq;
	ndone++;
}

static void
test_duplicates(void **state)
{
	struct acquire_table *t;
	const struct acquire *a, *b;
	struct acquire r, got;
	uint32_t s1;

	(void)state;
	assert_int_equal(acquire_table_create(&t, NULL), 0);
	req(&r, 7, 1, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 1000, &a), 0);
	assert_non_null(a);
	assert_int_not_equal(a->seq, 0);
	assert_int_equal(a->deadline_ms, 1000 + ACQUIRE_TIMEOUT_MS);
	s1 = a->seq;
	/* The same policy+reqid while outstanding: suppressed. */
	assert_int_equal(acquire_start(t, &r, 2000, &b), -EALREADY);
	assert_non_null(b);
	assert_int_equal(b->seq, s1);
	assert_int_equal(acquire_count(t), 1);
	/* Another reqid of the same policy is another acquire. */
	r.reqid = 2;
	assert_int_equal(acquire_start(t, &r, 2000, &b), 0);
	assert_int_not_equal(b->seq, s1);
	assert_int_equal(acquire_count(t), 2);
	assert_non_null(acquire_find(t, s1));
	assert_null(acquire_find(t, 0));
	assert_null(acquire_find(t, 0xdeadbeef));
	/* A refusal by seq ends it; then it can be asked again. */
	assert_int_equal(acquire_end(t, s1, &got), 0);
	assert_int_equal(got.policy_id, 7);
	assert_int_equal(got.reqid, 1);
	assert_int_equal(acquire_end(t, s1, NULL), -ENOENT);
	r.reqid = 1;
	assert_int_equal(acquire_start(t, &r, 3000, &a), 0);
	assert_int_not_equal(a->seq, s1);
	acquire_table_destroy(t);
}

static void
test_timeout(void **state)
{
	struct acquire_limits lim = { 0, 500 };
	struct acquire_table *t;
	const struct acquire *a;
	struct acquire r;
	uint32_t s1, s2;

	(void)state;
	assert_int_equal(acquire_table_create(&t, &lim), 0);
	assert_int_equal(acquire_next_deadline(t), UINT64_MAX);
	req(&r, 1, 0, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 100, &a), 0);
	s1 = a->seq;
	req(&r, 2, 0, "10.0.0.1", "10.0.0.3");
	assert_int_equal(acquire_start(t, &r, 300, &a), 0);
	s2 = a->seq;
	assert_int_equal(acquire_next_deadline(t), 600);
	ndone = 0;
	assert_int_equal(acquire_expire(t, 599, on_done, NULL), 0);
	/* A GETSPI with s1's seq restarts its timeout. */
	assert_int_equal(acquire_touch(t, s1, 500), 0);
	assert_int_equal(acquire_touch(t, 12345, 500), -ENOENT);
	assert_int_equal(acquire_next_deadline(t), 800);
	assert_int_equal(acquire_expire(t, 800, on_done, NULL), 1);
	assert_int_equal(done_seq[0], s2);
	assert_int_equal(acquire_next_deadline(t), 1000);
	assert_int_equal(acquire_expire(t, 5000, on_done, NULL), 1);
	assert_int_equal(done_seq[1], s1);
	assert_int_equal(acquire_count(t), 0);
	assert_int_equal(acquire_next_deadline(t), UINT64_MAX);
	acquire_table_destroy(t);
}

static void
test_matching(void **state)
{
	struct acquire_table *t;
	const struct acquire *a;
	struct pfkey_sockaddr s, d;
	struct acquire r;
	uint32_t s_any, s_five;

	(void)state;
	assert_int_equal(acquire_table_create(&t, NULL), 0);
	req(&r, 1, 0, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	s_any = a->seq;
	req(&r, 2, 5, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	s_five = a->seq;
	req(&r, 3, 6, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	req(&r, 4, 0, "10.0.0.1", "10.0.0.9");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	sa4(&s, "10.0.0.1");
	sa4(&d, "10.0.0.2");
	ndone = 0;
	/* AH SA: nothing. Reversed addresses: nothing. */
	assert_int_equal(acquire_end_matching(t, PARAPET_SADB_SATYPE_AH, &s,
	    &d, 5, on_done, NULL), 0);
	assert_int_equal(acquire_end_matching(t, PARAPET_SADB_SATYPE_ESP, &d,
	    &s, 5, on_done, NULL), 0);
	/* ESP reqid 5: the reqid-0 acquire and the reqid-5 one. */
	assert_int_equal(acquire_end_matching(t, PARAPET_SADB_SATYPE_ESP, &s,
	    &d, 5, on_done, NULL), 2);
	assert_int_equal(ndone, 2);
	assert_true((done_seq[0] == s_any && done_seq[1] == s_five) ||
	    (done_seq[0] == s_five && done_seq[1] == s_any));
	assert_int_equal(acquire_count(t), 2);
	/* reqid 0 in the SA matches any remaining between the addresses. */
	assert_int_equal(acquire_end_matching(t, PARAPET_SADB_SATYPE_ESP, &s,
	    &d, 0, NULL, NULL), 1);
	assert_int_equal(acquire_count(t), 1);
	acquire_table_destroy(t);
}

static void
test_bounds(void **state)
{
	struct acquire_limits lim = { 3, 0 };
	struct acquire_table *t;
	const struct acquire *a;
	struct acquire r;
	uint32_t seqs[3];
	int i;

	(void)state;
	assert_int_equal(acquire_table_create(&t, &lim), 0);
	for (i = 0; i < 3; i++) {
		req(&r, (uint32_t)i, 0, "10.0.0.1", "10.0.0.2");
		assert_int_equal(acquire_start(t, &r, 0, &a), 0);
		seqs[i] = a->seq;
	}
	assert_true(seqs[0] != seqs[1] && seqs[1] != seqs[2] &&
	    seqs[0] != seqs[2]);
	req(&r, 99, 0, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), -ENOBUFS);
	assert_null(a);
	/* Bad requests. */
	assert_int_equal(acquire_end(t, seqs[1], NULL), 0);
	r.satype = PARAPET_SADB_X_SATYPE_IPCOMP;
	assert_int_equal(acquire_start(t, &r, 0, &a), -EINVAL);
	req(&r, 99, 0, "10.0.0.1", "10.0.0.2");
	r.dst.family = AF_INET6;
	assert_int_equal(acquire_start(t, &r, 0, &a), -EINVAL);
	req(&r, 99, 0, "10.0.0.1", "10.0.0.2");
	r.src.family = r.dst.family = 0;
	assert_int_equal(acquire_start(t, &r, 0, &a), -EINVAL);
	/* The entry that moved into the hole is still found. */
	assert_non_null(acquire_find(t, seqs[0]));
	assert_non_null(acquire_find(t, seqs[2]));
	acquire_table_destroy(t);
	acquire_table_destroy(NULL);
}

/* ---- the dispatcher's side ---- */

static uint8_t out_buf[PFKEY_MSG_MAX_BYTES];
static struct pfkey_msg out;
static int nout;

static void
capture(const struct keyd_out *o, void *arg)
{
	enum pfkey_reject why;

	(void)arg;
	assert_true(o->len <= sizeof(out_buf));
	memcpy(out_buf, o->buf, o->len);
	assert_int_equal(pfkey_msg_parse_reply(out_buf, o->len, &out, &why),
	    0);
	nout++;
}

static void
rnd(void *buf, size_t len, void *arg)
{
	(void)arg;
	memset(buf, 0x5a, len);
}

struct told {
	int			n;
	enum keyd_sa_change	change[8];
	enum keyd_sa_reason	why[8];
	uint64_t		gen[8];
	int			ndone;
	enum acquire_result	result;
	int			error;
	uint32_t		seq;
};

static void
told_sa(enum keyd_sa_change c, enum keyd_sa_reason why,
    const struct sadb_sa *sa, void *arg)
{
	struct told *t = arg;

	assert_int_not_equal(sadb_sa_state(sa), SA_STATE_LARVAL);
	if (t->n < 8) {
		t->change[t->n] = c;
		t->why[t->n] = why;
		t->gen[t->n] = sadb_sa_generation(sa);
	}
	t->n++;
}

static void
told_done(const struct acquire *a, enum acquire_result r, int error,
    void *arg)
{
	struct told *t = arg;

	t->ndone++;
	t->result = r;
	t->error = error;
	t->seq = a->seq;
}

static const uint8_t key36[36] = { 7 };

static void
msg(struct pfkey_msg *m, uint8_t type, uint32_t spi, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = PARAPET_SADB_SATYPE_ESP;
	m->hdr.seq = seq;
	m->present = (UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_SRC) |
	    (UINT32_C(1) << PARAPET_SADB_EXT_ADDRESS_DST);
	m->src.prefixlen = m->dst.prefixlen = 32;
	sa4(&m->src.sa, "10.0.0.1");
	sa4(&m->dst.sa, "10.0.0.2");
	if (type == PARAPET_SADB_GETSPI || type == PARAPET_SADB_FLUSH)
		return;
	m->present |= UINT32_C(1) << PARAPET_SADB_EXT_SA;
	m->sa.spi = spi;
	if (type != PARAPET_SADB_ADD && type != PARAPET_SADB_UPDATE)
		return;
	m->sa.state = PARAPET_SADB_SASTATE_MATURE;
	m->sa.encrypt = PARAPET_SADB_X_EALG_CHACHA20POLY1305;
	m->present |= UINT32_C(1) << PARAPET_SADB_EXT_KEY_ENCRYPT;
	m->key_encrypt.bits = 288;
	m->key_encrypt.data = key36;
	m->key_encrypt.len_bytes = sizeof(key36);
}

static int
req_run(struct keyd_core *k, struct keyd_client *cl, struct pfkey_msg *m,
    uint64_t now)
{
	struct keyd_effect eff;

	nout = 0;
	keyd_core_request(k, cl, m, now, capture, NULL, &eff);
	return eff.error;
}

/* SADB_ACQUIRE as Linux lays it out, for ESP then AH: the ESP one's seq. */
static uint32_t
hooks_acquire_layout(struct keyd_core *k, struct acquire_table *t)
{
	const struct acquire *a;
	struct pfkey_comb c;
	struct acquire r;
	uint32_t seq;
	size_t i;
	bool chacha = false, gcm = false, null_hmac = false;

	req(&r, 42, 9, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	seq = a->seq;
	nout = 0;
	assert_int_equal(keyd_core_acquire(k, a, capture, NULL), 0);
	assert_int_equal(nout, 1);
	assert_int_equal(out.hdr.type, PARAPET_SADB_ACQUIRE);
	assert_int_equal(out.hdr.seq, seq);
	assert_int_equal(out.hdr.pid, 0);
	assert_int_equal(out.src.proto, 0);
	assert_int_equal(out.src.prefixlen, 32);
	assert_int_equal(out.policy.id, 42);
	assert_int_equal(out.policy.dir, PARAPET_IPSEC_DIR_OUTBOUND);
	assert_int_equal(out.policy.nreqs, 0);
	assert_int_equal(out.prop.replay, 32);
	for (i = 0; i < out.prop.ncombs; i++) {
		pfkey_prop_comb(&out.prop, i, &c);
		assert_int_equal(c.hard_addtime, 86400);
		assert_int_equal(c.soft_usetime, 7 * 3600);
		if (c.encrypt == PARAPET_SADB_X_EALG_CHACHA20POLY1305)
			chacha = c.auth == 0;
		if (c.encrypt == PARAPET_SADB_X_EALG_AES_GCM_ICV16)
			gcm = c.auth == 0;
		if (c.encrypt == PARAPET_SADB_EALG_NULL)
			null_hmac = c.auth != 0;
	}
	assert_true(chacha && gcm && null_hmac);
	/* AH: authentication only. */
	req(&r, 43, 9, "10.0.0.1", "10.0.0.2");
	r.satype = PARAPET_SADB_SATYPE_AH;
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	assert_int_equal(keyd_core_acquire(k, a, capture, NULL), 0);
	for (i = 0; i < out.prop.ncombs; i++) {
		pfkey_prop_comb(&out.prop, i, &c);
		assert_int_equal(c.encrypt, 0);
		assert_int_not_equal(c.auth, 0);
	}
	assert_int_equal(acquire_end(t, a->seq, NULL), 0);
	return seq;
}

/* GETSPI + UPDATE with an acquire's seq: INSTALLED, INSTALL; UPDATE. */
static void
hooks_getspi_update(struct keyd_core *k, struct keyd_client *cl,
    struct acquire_table *t, struct sadb *db, struct told *told)
{
	const struct acquire *a;
	struct pfkey_msg m;
	struct acquire r;
	uint32_t seq, spi;

	req(&r, 42, 9, "10.0.0.1", "10.0.0.2");
	assert_int_equal(acquire_start(t, &r, 0, &a), 0);
	seq = a->seq;
	msg(&m, PARAPET_SADB_GETSPI, 0, seq);
	assert_int_equal(req_run(k, cl, &m, 500), 0);
	assert_int_equal(acquire_find(t, seq)->deadline_ms,
	    500 + ACQUIRE_TIMEOUT_MS);
	spi = out.sa.spi;
	assert_int_equal(told->n, 0);		/* larval: not told */
	msg(&m, PARAPET_SADB_UPDATE, spi, seq);
	assert_int_equal(req_run(k, cl, &m, 600), 0);
	assert_int_equal(told->n, 1);
	assert_int_equal(told->change[0], KEYD_SA_INSTALL);
	assert_int_equal(told->ndone, 2);
	assert_int_equal(told->result, ACQUIRE_INSTALLED);
	assert_int_equal(acquire_count(t), 0);
	/* UPDATE of a usable SA: UPDATE. */
	m.present |= UINT32_C(1) << PARAPET_SADB_EXT_LIFETIME_HARD;
	m.lft_hard.addtime = 10;
	assert_int_equal(req_run(k, cl, &m, 700), 0);
	assert_int_equal(told->n, 2);
	assert_int_equal(told->change[1], KEYD_SA_UPDATE);
	assert_true(told->gen[1] == told->gen[0]);
	/*
	 * Its hard expiry straight from the SADB (no keyd_core_expire()):
	 * the hooks are the dispatcher's, nobody is told (the shell's
	 * expiry goes through keyd_core_expire(): test_expiry_hooks).
	 */
	(void)sadb_expire(db, 700 + 10000, NULL, NULL);
	assert_int_equal(told->n, 2);
}

/* ADD and DELETE, then FLUSH. */
static void
hooks_add_delete_flush(struct keyd_core *k, struct keyd_client *cl,
    struct sadb *db, struct told *told)
{
	struct pfkey_msg m;

	/* ADD and DELETE: INSTALL, DELETE (REQUEST); a new generation. */
	msg(&m, PARAPET_SADB_ADD, 0x999, 0);
	assert_int_equal(req_run(k, cl, &m, 800), 0);
	assert_int_equal(told->change[2], KEYD_SA_INSTALL);
	assert_true(told->gen[2] > told->gen[0]);
	msg(&m, PARAPET_SADB_DELETE, 0x999, 0);
	assert_int_equal(req_run(k, cl, &m, 800), 0);
	assert_int_equal(told->change[3], KEYD_SA_DELETE);
	assert_int_equal(told->why[3], KEYD_SA_REASON_DELETE);
	/* FLUSH: DELETE (FLUSH) per usable SA; a larval one is not told. */
	msg(&m, PARAPET_SADB_ADD, 0x998, 0);
	assert_int_equal(req_run(k, cl, &m, 800), 0);
	msg(&m, PARAPET_SADB_GETSPI, 0, 0);
	assert_int_equal(req_run(k, cl, &m, 800), 0);
	told->n = 0;
	msg(&m, PARAPET_SADB_FLUSH, 0, 5);
	m.present = 0;
	assert_int_equal(req_run(k, cl, &m, 800), 0);
	assert_int_equal(told->n, 1);		/* 0x998 */
	assert_int_equal(told->change[0], KEYD_SA_DELETE);
	assert_int_equal(told->why[0], KEYD_SA_REASON_FLUSH);
	assert_int_equal(sadb_count(db, 0), 0);
}

static void
test_dispatch_hooks(void **state)
{
	struct keyd_client cl = { 0, false };
	struct acquire_table *t;
	struct sadb_limits lim;
	struct told told;
	struct keyd_core *k;
	struct pfkey_msg m;
	struct sadb *db;
	uint32_t seq;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	memset(&told, 0, sizeof(told));
	assert_int_equal(sadb_create(&db, &lim), 0);
	assert_int_equal(acquire_table_create(&t, NULL), 0);
	assert_non_null(k = calloc(1, sizeof(*k)));
	keyd_core_init(k, db, rnd, NULL, true);
	k->acq = t;
	k->hooks.sa_change = told_sa;
	k->hooks.acquire_done = told_done;
	k->hooks.arg = &told;

	seq = hooks_acquire_layout(k, t);

	/* A key manager's refusal: no reply, the acquire ends. */
	msg(&m, PARAPET_SADB_ACQUIRE, 0, seq);
	m.present = 0;
	m.hdr.msg_errno = ENOENT;
	assert_int_equal(req_run(k, &cl, &m, 1), 0);
	assert_int_equal(nout, 0);
	assert_int_equal(told.ndone, 1);
	assert_int_equal(told.result, ACQUIRE_REFUSED);
	assert_int_equal(told.error, ENOENT);
	assert_int_equal(told.seq, seq);
	assert_null(acquire_find(t, seq));

	hooks_getspi_update(k, &cl, t, db, &told);
	hooks_add_delete_flush(k, &cl, db, &told);

	acquire_table_destroy(t);
	sadb_destroy(db);
	free(k);
}

static void
on_ev(const struct sa_event *ev, void *arg)
{
	keyd_core_expire(arg, ev, capture, NULL);
}

static void
test_expiry_hooks(void **state)
{
	struct keyd_client cl = { 0, false };
	struct sadb_limits lim;
	struct keyd_core *k;
	struct pfkey_msg m;
	struct told told;
	struct sadb *db;

	(void)state;
	memset(&lim, 0, sizeof(lim));
	memset(&told, 0, sizeof(told));
	assert_int_equal(sadb_create(&db, &lim), 0);
	assert_non_null(k = calloc(1, sizeof(*k)));
	keyd_core_init(k, db, rnd, NULL, true);
	k->hooks.sa_change = told_sa;
	k->hooks.arg = &told;
	msg(&m, PARAPET_SADB_ADD, 0x777, 0);
	m.present |= (UINT32_C(1) << PARAPET_SADB_EXT_LIFETIME_HARD) |
	    (UINT32_C(1) << PARAPET_SADB_EXT_LIFETIME_SOFT);
	m.lft_soft.addtime = 5;
	m.lft_hard.addtime = 10;
	assert_int_equal(req_run(k, &cl, &m, 0), 0);
	assert_int_equal(told.n, 1);
	(void)sadb_expire(db, 5000, on_ev, k);
	assert_int_equal(told.n, 2);
	assert_int_equal(told.change[1], KEYD_SA_UPDATE);	/* DYING */
	(void)sadb_expire(db, 10000, on_ev, k);
	assert_int_equal(told.n, 3);
	assert_int_equal(told.change[2], KEYD_SA_DELETE);
	assert_int_equal(told.why[2], KEYD_SA_REASON_EXPIRED);
	/* A larval timeout tells nobody. */
	msg(&m, PARAPET_SADB_GETSPI, 0, 0);
	assert_int_equal(req_run(k, &cl, &m, 20000), 0);
	(void)sadb_expire(db, 20000 + SADB_LARVAL_TIMEOUT_MS, on_ev, k);
	assert_int_equal(told.n, 3);
	assert_int_equal(sadb_count(db, 0), 0);
	sadb_destroy(db);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_dispatch_hooks),
		cmocka_unit_test(test_expiry_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
