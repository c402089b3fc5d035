/*
 * test_sadb_store.c - SAs in keyd's store (servers/keyd/sadb_store.c).
 *
 * An SADB with persist hooks on a store takes every ADD sample (setkey's,
 * AH over IPv6, IPCOMP, ESP-NULL, ESP with every extension), a larval SA
 * from GETSPI, usage, a soft expiry and a delete; then the SADB is thrown
 * away without a word to the store (as kill -9 would) and a new one loads
 * the store: every SA is back with the same GET reply bytes (keys
 * included), state, counters, times and generation, the deleted one is
 * not, and lifetimes keep running from the original add time. A store
 * that is full makes ADD fail with ENOBUFS and leaves no SA; a corrupt
 * record is deleted and counted, never restored.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "pfkey_samples.h"
#include "pstore.h"
#include "sadb.h"
#include "sadb_store.h"

#define NREC	16
#define RECB	512

static const char *const adds[] = {
	"req_add_esp_setkey_v4", "req_add_ah_v6", "req_add_ipcomp_v4",
	"req_add_esp_null_v4", "req_add_esp_full_v4",
};
#define NADDS	(sizeof(adds) / sizeof(adds[0]))

static int
store_fd(uint32_t nrec)
{
	int fd = memfd_create("test-sadb-store", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)pstore_size(nrec, RECB)), 0);
	assert_int_equal(pstore_format(fd, nrec, RECB), 0);
	return fd;
}

static struct sadb *
new_db(struct pstore *ps)
{
	struct sadb_limits lim;
	struct sadb *db;

	memset(&lim, 0, sizeof(lim));
	memset(lim.hash_seed, 0x5a, sizeof(lim.hash_seed));
	lim.persist = (struct sadb_persist){ sadb_store_put, sadb_store_del,
		ps };
	assert_int_equal(sadb_create(&db, &lim), 0);
	return db;
}

/* Parse sample `name` into p; buf must outlive p. */
static void
sample_params(const char *name, uint8_t *buf, struct sa_params *p)
{
	const struct pfkey_sample *s = pfkey_sample_find(name);
	struct pfkey_msg m;
	enum pfkey_reject why;
	size_t len;

	assert_non_null(s);
	assert_int_equal(s->build(buf, PFKEY_SAMPLE_MAX, &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	sadb_params_from_msg(&m, p);
}

/* The SA's GET reply with keys, as bytes. */
static size_t
view_bytes(const struct sadb_sa *sa, uint8_t *out, size_t cap)
{
	struct pfkey_msg m;
	size_t len;

	sadb_sa_view(sa, true, 0, &m);
	m.hdr.version = PARAPET_PF_KEY_V2;
	m.hdr.type = PARAPET_SADB_GET;
	m.hdr.satype = sadb_sa_satype(sa);
	assert_int_equal(pfkey_build_msg(&m, out, cap, &len), 0);
	return len;
}

struct snap {
	uint8_t		 satype;
	uint32_t	 spi;
	struct pfkey_sockaddr dst;
	uint8_t		 bytes[PFKEY_SAMPLE_MAX];
	size_t		 len;
	struct sa_restore r;
};

static void
snap(const struct sadb_sa *sa, const struct pfkey_sockaddr *dst,
    struct snap *s)
{
	s->satype = sadb_sa_satype(sa);
	s->spi = sadb_sa_spi(sa);
	s->dst = *dst;
	s->len = view_bytes(sa, s->bytes, sizeof(s->bytes));
	sadb_sa_restore_info(sa, &s->r);
}

static void
check_snap(const struct sadb *db, const struct snap *s)
{
	const struct sadb_sa *sa = sadb_lookup(db, s->satype, s->spi, &s->dst);
	uint8_t bytes[PFKEY_SAMPLE_MAX];
	struct sa_restore r;
	size_t len;

	if (sa == NULL)
		fail_msg("SA 0x%x of type %u not restored", s->spi, s->satype);
	len = view_bytes(sa, bytes, sizeof(bytes));
	assert_int_equal(len, s->len);
	assert_memory_equal(bytes, s->bytes, len);
	sadb_sa_restore_info(sa, &r);
	assert_int_equal(r.state, s->r.state);
	assert_int_equal(r.used, s->r.used);
	assert_int_equal(r.seq, s->r.seq);
	assert_int_equal(r.cur_allocs, s->r.cur_allocs);
	assert_int_equal(r.cur_bytes, s->r.cur_bytes);
	assert_int_equal(r.add_ms, s->r.add_ms);
	assert_int_equal(r.use_ms, s->r.use_ms);
	assert_int_equal(r.gen, s->r.gen);
}

static void
rnd(void *buf, size_t len, void *arg)
{
	(void)arg;
	memset(buf, 0x42, len);
}

static void
test_roundtrip(void **state)
{
	static uint8_t bufs[NADDS + 1][PFKEY_SAMPLE_MAX];
	static struct snap snaps[NADDS + 1];
	int fd = store_fd(NREC);
	struct pstore *ps;
	struct sadb *db;
	struct sadb_store_stats st;
	struct sa_params p;
	struct sadb_sa *sa, *del_sa = NULL;
	struct pfkey_sockaddr del_dst;
	uint32_t del_spi = 0;
	uint8_t del_type = 0;
	enum sa_state s2;
	size_t i;

	(void)state;
	assert_int_equal(pstore_attach(fd, &ps), 0);
	db = new_db(ps);
	for (i = 0; i < NADDS; i++) {
		sample_params(adds[i], bufs[i], &p);
		assert_int_equal(sadb_add(db, &p, 1000 + i, &sa), 0);
		if (i == 0) {
			/* Used, then soft-expired by bytes if it has a soft
			 * byte limit; counters either way. */
			assert_int_equal(sadb_use(db, sa, 4096, 3, 2000, NULL,
			    NULL, &s2), 0);
		}
		if (i == 2) {
			del_sa = sa;
			del_spi = sadb_sa_spi(sa);
			del_type = sadb_sa_satype(sa);
			del_dst = p.dst.sa;
			continue;
		}
		snap(sa, &p.dst.sa, &snaps[i]);
	}
	sadb_delete(db, del_sa);
	/* A larval SA. */
	sample_params("req_getspi_esp_v4", bufs[NADDS], &p);
	assert_int_equal(sadb_getspi(db, &p, NULL, rnd, NULL, 5000, &sa), 0);
	snap(sa, &p.dst.sa, &snaps[NADDS]);
	/* kill -9: no destroy hooks reach the store. */
	sadb_destroy(db);
	pstore_detach(ps);

	assert_int_equal(pstore_attach(fd, &ps), 0);
	db = new_db(ps);
	assert_int_equal(sadb_store_load(db, ps, &st), 0);
	assert_int_equal(st.restored, NADDS);	/* NADDS - 1 + larval */
	assert_int_equal(st.bad, 0);
	assert_int_equal(sadb_count(db, 0), NADDS);
	for (i = 0; i <= NADDS; i++)
		if (i != 2)
			check_snap(db, &snaps[i]);
	assert_null(sadb_lookup(db, del_type, del_spi, &del_dst));
	/* The larval SA still times out from its original GETSPI time. */
	assert_int_equal(sadb_next_deadline(db), 5000 + SADB_LARVAL_TIMEOUT_MS);
	/* New SAs get generations above every restored one. */
	sample_params(adds[2], bufs[2], &p);
	assert_int_equal(sadb_add(db, &p, 9000, &sa), 0);
	{
		struct sa_restore r;

		sadb_sa_restore_info(sa, &r);
		for (i = 0; i <= NADDS; i++)
			if (i != 2)
				assert_true(r.gen > snaps[i].r.gen);
	}
	/* FLUSH empties the store too. */
	assert_int_equal(sadb_flush(db, 0, NULL, NULL), NADDS + 1);
	sadb_destroy(db);
	pstore_detach(ps);
	assert_int_equal(pstore_attach(fd, &ps), 0);
	db = new_db(ps);
	assert_int_equal(sadb_store_load(db, ps, &st), 0);
	assert_int_equal(st.restored, 0);
	sadb_destroy(db);
	pstore_detach(ps);
	close(fd);
}

/* Full store: ADD fails with ENOBUFS and leaves nothing. */
static void
test_full(void **state)
{
	static uint8_t buf[PFKEY_SAMPLE_MAX];
	int fd = store_fd(2);
	struct pstore *ps;
	struct sadb *db;
	struct sa_params p;
	struct sadb_sa *sa;

	(void)state;
	assert_int_equal(pstore_attach(fd, &ps), 0);
	db = new_db(ps);
	sample_params("req_add_esp_null_v4", buf, &p);
	assert_int_equal(sadb_add(db, &p, 1, &sa), 0);
	p.sa.spi += 1;
	assert_int_equal(sadb_add(db, &p, 1, &sa), 0);
	p.sa.spi += 1;
	assert_int_equal(sadb_add(db, &p, 1, &sa), -ENOBUFS);
	assert_null(sa);
	assert_null(sadb_lookup(db, p.satype, p.sa.spi, &p.dst.sa));
	assert_int_equal(sadb_count(db, 0), 2);
	assert_int_equal(sadb_persist_errors(db), 1);
	sadb_destroy(db);
	pstore_detach(ps);
	close(fd);
}

/* A record that is not an SA is deleted and counted. */
static void
test_bad_record(void **state)
{
	static uint8_t buf[PFKEY_SAMPLE_MAX];
	int fd = store_fd(4);
	struct pstore *ps;
	struct sadb *db;
	struct sadb_store_stats st;
	struct pstore_stats pst;
	struct sa_params p;
	struct sadb_sa *sa;
	uint32_t h = PSTORE_NONE;

	(void)state;
	assert_int_equal(pstore_attach(fd, &ps), 0);
	db = new_db(ps);
	sample_params("req_add_esp_null_v4", buf, &p);
	assert_int_equal(sadb_add(db, &p, 1, &sa), 0);
	sadb_destroy(db);
	assert_int_equal(pstore_put(ps, &h, "not an SA", 9), 0);
	db = new_db(ps);
	assert_int_equal(sadb_store_load(db, ps, &st), 0);
	assert_int_equal(st.restored, 1);
	assert_int_equal(st.bad, 1);
	pstore_stats(ps, &pst);
	assert_int_equal(pst.live, 1);
	sadb_destroy(db);
	pstore_detach(ps);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
