/*
 * test_pfkey_dispatch.c - keyd's PF_KEY dispatcher (servers/keyd/pfkey_dispatch.c)
 * without sockets: requests in, captured outputs checked.
 *
 *  - the algorithm check of ADD, one row per case (offered, key size,
 *    combinations, AES-GCM not available);
 *  - where each message type's reply goes (RFC 2367 §3.1), its type,
 *    errno, seq and pid; what is not handled (SPD, positive ACQUIRE) and
 *    what gets no reply (negative ACQUIRE);
 *  - REGISTER bookkeeping (type 0 = all, EEXIST), X_PROMISC;
 *  - EXPIRE bodies from the SADB on a virtual clock.
 */
#include <errno.h>
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

#include "pfkey_dispatch.h"
#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "sadb.h"

#define T(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define ESP		T(SATYPE_ESP)
#define AH		T(SATYPE_AH)

static const uint8_t key64[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

struct capture {
	size_t		n;
	enum keyd_dest	dest;
	uint8_t		satype;
	uint8_t		buf[PFKEY_MSG_MAX_BYTES];
	size_t		len;
	struct pfkey_msg m;	/* parsed with parse_reply */
};
static struct capture cap;

static void
capture(const struct keyd_out *o, void *arg)
{
	enum pfkey_reject why;

	(void)arg;
	cap.n++;
	cap.dest = o->dest;
	cap.satype = o->satype;
	assert_true(o->len <= sizeof(cap.buf));
	memcpy(cap.buf, o->buf, o->len);
	cap.len = o->len;
	if (pfkey_msg_parse_reply(cap.buf, cap.len, &cap.m, &why) != 0) {
		fprintf(stderr, "output refused: %s\n", pfkey_reject_str(why));
		fail();
	}
	assert_int_equal(cap.m.hdr.type, o->type);
}

static void
rnd(void *buf, size_t len, void *arg)
{
	(void)arg;
	memset(buf, 0x5a, len);
}

struct fixture {
	struct sadb		*db;
	struct keyd_core	 k;
	struct keyd_client	 cl;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sadb_limits lim;

	if (f == NULL)
		return -1;
	memset(&lim, 0, sizeof(lim));
	if (sadb_create(&f->db, &lim) != 0)
		return -1;
	keyd_core_init(&f->k, f->db, rnd, NULL, true);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sadb_destroy(f->db);
	free(f);
	return 0;
}

static void
hdr(struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = satype;
	m->hdr.seq = seq;
	m->hdr.pid = 4242;
}

static void
addr4(struct pfkey_address *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = 32;
	a->sa.family = AF_INET;
	a->sa.addr[0] = 10;
	a->sa.addr[3] = last;
}

static void
sa_msg(struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t spi)
{
	hdr(m, type, satype, spi);
	m->present = BIT(T(EXT_SA)) | BIT(T(EXT_ADDRESS_SRC)) |
	    BIT(T(EXT_ADDRESS_DST));
	m->sa.spi = spi;
	m->sa.state = T(SASTATE_MATURE);
	addr4(&m->src, 1);
	addr4(&m->dst, 2);
}

static void
keys(struct pfkey_msg *m, uint8_t aalg, uint16_t abits, uint8_t ealg,
    int ebits)
{
	m->sa.auth = aalg;
	m->sa.encrypt = ealg;
	if (abits > 0 || aalg != 0) {
		m->present |= BIT(T(EXT_KEY_AUTH));
		m->key_auth.bits = abits;
		m->key_auth.data = key64;
		m->key_auth.len_bytes = abits / 8u;
	}
	if (ebits >= 0) {
		m->present |= BIT(T(EXT_KEY_ENCRYPT));
		m->key_encrypt.bits = (uint16_t)ebits;
		m->key_encrypt.data = key64;
		m->key_encrypt.len_bytes = (size_t)ebits / 8u;
	}
}

static void
run(struct fixture *f, const struct pfkey_msg *m, struct keyd_effect *eff)
{
	memset(&cap, 0, sizeof(cap));
	keyd_core_request(&f->k, &f->cl, m, 1000, capture, NULL, eff);
}

/* ---- algorithms ---- */

/* Columns in the order a row reads; padding does not matter in a test. */
struct alg_row {	/* NOLINT(clang-analyzer-optin.performance.Padding) */
	const char	*name;
	uint8_t		 satype;
	uint8_t		 aalg;
	uint16_t	 abits;
	uint8_t		 ealg;
	int		 ebits;		/* -1: no encryption key */
	bool		 have_aes;
	int		 err;
};

static const struct alg_row alg_rows[] = {
	{ "sha256+null", ESP, T(X_AALG_SHA2_256HMAC), 256, T(EALG_NULL), 0,
	    true, 0 },
	{ "sha512+null", ESP, T(X_AALG_SHA2_512HMAC), 512, T(EALG_NULL), 0,
	    true, 0 },
	{ "sha256 short", ESP, T(X_AALG_SHA2_256HMAC), 128, T(EALG_NULL), 0,
	    true, EINVAL },
	{ "md5 not offered", ESP, T(AALG_MD5HMAC), 128, T(EALG_NULL), 0,
	    true, ENOSYS },
	{ "gcm 288", ESP, 0, 0, T(X_EALG_AES_GCM_ICV16), 288, true, 0 },
	{ "gcm 160", ESP, 0, 0, T(X_EALG_AES_GCM_ICV16), 160, true, EINVAL },
	{ "gcm + auth", ESP, T(X_AALG_SHA2_256HMAC), 256,
	    T(X_EALG_AES_GCM_ICV16), 288, true, EINVAL },
	{ "gcm unavailable", ESP, 0, 0, T(X_EALG_AES_GCM_ICV16), 288, false,
	    ENOSYS },
	{ "null without auth", ESP, 0, 0, T(EALG_NULL), 0, true, EINVAL },
	{ "aes-cbc not offered", ESP, T(X_AALG_SHA2_256HMAC), 256,
	    T(X_EALG_AESCBC), 128, true, ENOSYS },
	{ "ah sha512", AH, T(X_AALG_SHA2_512HMAC), 512, 0, -1, true, 0 },
	{ "ah with encryption", AH, T(X_AALG_SHA2_512HMAC), 512,
	    T(EALG_NULL), 0, true, EINVAL },
	{ "ah without auth", AH, 0, 0, 0, -1, true, EINVAL },
	{ "ipcomp", T(X_SATYPE_IPCOMP), 0, 0, 2, -1, true, ENOSYS },
};

static void
test_algs(void **state)
{
	struct fixture *f = *state;
	struct keyd_effect eff;
	struct pfkey_msg m;
	size_t i;

	for (i = 0; i < nitems(alg_rows); i++) {
		const struct alg_row *r = &alg_rows[i];

		f->k.have_aes = r->have_aes;
		sa_msg(&m, T(ADD), r->satype, 0x100 + (uint32_t)i);
		keys(&m, r->aalg, r->abits, r->ealg, r->ebits);
		run(f, &m, &eff);
		if (eff.error != r->err)
			fprintf(stderr, "row %s: errno %d, want %d\n", r->name,
			    eff.error, r->err);
		assert_int_equal(eff.error, r->err);
		assert_int_equal(cap.n, 1);
		assert_int_equal(cap.m.hdr.msg_errno, r->err);
		assert_int_equal(cap.dest, r->err != 0 ? KEYD_DEST_ONE :
		    KEYD_DEST_ALL);
	}
	f->k.have_aes = true;
}

/* ---- delivery ---- */

static void
test_delivery(void **state)
{
	struct fixture *f = *state;
	struct keyd_effect eff;
	struct pfkey_msg m;

	/* ADD: to all, no keys, seq and pid echoed. */
	sa_msg(&m, T(ADD), ESP, 0x1000);
	keys(&m, T(X_AALG_SHA2_256HMAC), 256, T(EALG_NULL), 0);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_ALL);
	assert_int_equal(cap.m.hdr.seq, 0x1000);
	assert_int_equal(cap.m.hdr.pid, 4242);
	assert_false(pfkey_msg_has(&cap.m, T(EXT_KEY_AUTH)));
	/* GET: to the sender, keys included. */
	sa_msg(&m, T(GET), ESP, 0x1000);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_ONE);
	assert_true(pfkey_msg_has(&cap.m, T(EXT_KEY_AUTH)));
	assert_memory_equal(cap.m.key_auth.data, key64, 32);
	/* GETSPI: to the sender, LARVAL, SPI from the "random" source. */
	hdr(&m, T(GETSPI), ESP, 7);
	m.present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST));
	addr4(&m.src, 1);
	addr4(&m.dst, 3);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_ONE);
	assert_int_equal(cap.m.sa.state, T(SASTATE_LARVAL));
	assert_true(cap.m.sa.spi >= SADB_SPI_MIN);
	/* DUMP: an effect, no message. */
	hdr(&m, T(DUMP), 0, 8);
	run(f, &m, &eff);
	assert_int_equal(cap.n, 0);
	assert_true(eff.dump);
	assert_int_equal(eff.dump_hdr.seq, 8);
	/* DELETE: to all. */
	sa_msg(&m, T(DELETE), ESP, 0x1000);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_ALL);
	assert_int_equal(cap.m.sa.spi, 0x1000);
	sa_msg(&m, T(GET), ESP, 0x1000);
	run(f, &m, &eff);
	assert_int_equal(eff.error, ESRCH);
	assert_int_equal(cap.dest, KEYD_DEST_ONE);
	/* FLUSH: to all; then DUMP of nothing is ENOENT. */
	hdr(&m, T(FLUSH), 0, 9);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_ALL);
	assert_int_equal(sadb_count(f->db, 0), 0);
	hdr(&m, T(DUMP), 0, 10);
	run(f, &m, &eff);
	assert_int_equal(eff.error, ENOENT);
	assert_false(eff.dump);
	/* Not handled here: SPD messages; a positive ACQUIRE. */
	hdr(&m, T(X_SPDFLUSH), 0, 11);
	run(f, &m, &eff);
	assert_int_equal(eff.error, EOPNOTSUPP);
	/* A negative ACQUIRE: no reply at all. */
	hdr(&m, T(ACQUIRE), ESP, 12);
	m.hdr.msg_errno = ENOENT;
	run(f, &m, &eff);
	assert_int_equal(cap.n, 0);
	assert_int_equal(eff.error, 0);
}

static void
test_register_promisc(void **state)
{
	struct fixture *f = *state;
	struct keyd_effect eff;
	struct pfkey_msg m;

	hdr(&m, T(REGISTER), AH, 1);
	run(f, &m, &eff);
	assert_int_equal(cap.dest, KEYD_DEST_REGISTERED);
	assert_int_equal(cap.satype, AH);
	assert_true(pfkey_msg_has(&cap.m, T(EXT_SUPPORTED_AUTH)));
	assert_false(pfkey_msg_has(&cap.m, T(EXT_SUPPORTED_ENCRYPT)));
	assert_int_equal(f->cl.registered, BIT(AH));
	run(f, &m, &eff);
	assert_int_equal(eff.error, EEXIST);

	hdr(&m, T(REGISTER), ESP, 2);
	f->k.have_aes = false;
	run(f, &m, &eff);
	assert_int_equal(eff.error, 0);
	/* NULL and ChaCha20-Poly1305 (no AES-GCM without AES-NI). */
	assert_int_equal(cap.m.supp_encrypt.nalgs, 2);
	f->k.have_aes = true;
	hdr(&m, T(REGISTER), 0, 3);
	run(f, &m, &eff);
	assert_int_equal(eff.error, 0);
	assert_int_equal(cap.m.supp_encrypt.nalgs, 3);
	assert_int_equal(cap.m.supp_auth.nalgs, 2);
	assert_int_equal(f->cl.registered, UINT32_MAX);

	hdr(&m, T(X_PROMISC), 1, 4);
	run(f, &m, &eff);
	assert_true(f->cl.promisc);
	assert_int_equal(cap.dest, KEYD_DEST_ALL);
	hdr(&m, T(X_PROMISC), 0, 5);
	run(f, &m, &eff);
	assert_false(f->cl.promisc);
}

/* ---- EXPIRE ---- */

static struct fixture *exp_f;

static void
on_event(const struct sa_event *ev, void *arg)
{
	(void)arg;
	keyd_core_expire(&exp_f->k, ev, capture, NULL);
}

static void
test_expire(void **state)
{
	struct fixture *f = *state;
	struct keyd_effect eff;
	struct pfkey_msg m;

	exp_f = f;
	sa_msg(&m, T(ADD), ESP, 0x2000);
	keys(&m, T(X_AALG_SHA2_256HMAC), 256, T(EALG_NULL), 0);
	m.present |= BIT(T(EXT_LIFETIME_SOFT)) | BIT(T(EXT_LIFETIME_HARD));
	m.lft_soft.addtime = 1;
	m.lft_hard.addtime = 2;
	run(f, &m, &eff);		/* now = 1000 */
	assert_int_equal(sadb_next_deadline(f->db), 2000);

	memset(&cap, 0, sizeof(cap));
	assert_int_equal(sadb_expire(f->db, 2000, on_event, NULL), 1);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.dest, KEYD_DEST_REGISTERED);
	assert_int_equal(cap.satype, ESP);
	assert_int_equal(cap.m.hdr.type, T(EXPIRE));
	assert_int_equal(cap.m.hdr.seq, 0);
	assert_true(pfkey_msg_has(&cap.m, T(EXT_LIFETIME_SOFT)));
	assert_false(pfkey_msg_has(&cap.m, T(EXT_LIFETIME_HARD)));
	assert_false(pfkey_msg_has(&cap.m, T(EXT_KEY_AUTH)));
	assert_int_equal(cap.m.sa.state, T(SASTATE_DYING));

	memset(&cap, 0, sizeof(cap));
	assert_int_equal(sadb_expire(f->db, 3000, on_event, NULL), 1);
	assert_int_equal(cap.n, 1);
	assert_true(pfkey_msg_has(&cap.m, T(EXT_LIFETIME_HARD)));
	assert_false(pfkey_msg_has(&cap.m, T(EXT_LIFETIME_SOFT)));
	assert_int_equal(sadb_count(f->db, 0), 0);

	/* A larval timeout sends nothing. */
	hdr(&m, T(GETSPI), ESP, 7);
	m.present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST));
	addr4(&m.src, 1);
	addr4(&m.dst, 3);
	run(f, &m, &eff);
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(sadb_expire(f->db, UINT64_MAX - 1, on_event, NULL), 1);
	assert_int_equal(cap.n, 0);
	assert_int_equal(sadb_count(f->db, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_algs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_promisc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
