/*
 * test_handoff.c - the supervisor -> server handoff datagram: round trip,
 * and every inconsistency refused (descriptor count, version, names,
 * sides, garbage); netd's links (one descriptor each, names well formed,
 * none twice, at most HANDOFF_LINKS_MAX).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "handoff.h"
#include "supervisor.pb-c.h"

static void
sample(struct handoff *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->instance, "/run/parapet");
	h->supervisor_pid = 42;
	h->restarts = 3;
	h->nregions = 2;
	strcpy(h->regions[0].name, "ring0");
	h->regions[0].side = 0;
	strcpy(h->regions[1].name, "ring1");
	h->regions[1].side = 1;
}

static void
test_roundtrip(void **state)
{
	uint8_t buf[HANDOFF_BYTES_MAX];
	struct handoff h, out;
	size_t len;

	(void)state;
	sample(&h);
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 6, &out), 0);
	assert_string_equal(out.instance, "/run/parapet");
	assert_int_equal(out.supervisor_pid, 42);
	assert_int_equal(out.restarts, 3);
	assert_int_equal(out.nregions, 2);
	assert_string_equal(out.regions[1].name, "ring1");
	assert_int_equal(out.regions[1].side, 1);
	/* Wrong descriptor counts. */
	assert_int_equal(handoff_decode(buf, len, 5, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, len, 0, &out), -EBADMSG);
	/* Too small a buffer to encode into. */
	assert_int_equal(handoff_encode(&h, buf, 4, &len), -EMSGSIZE);
	/* No regions at all is fine (keyd, policyd). */
	h.nregions = 0;
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 0, &out), 0);
	assert_int_equal(out.nregions, 0);
	assert_false(out.store);
	/* A store: one more descriptor, after the regions'. */
	h.store = true;
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 0, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, len, 1, &out), 0);
	assert_true(out.store);
	h.nregions = 2;
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 6, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, len, 7, &out), 0);
}

/* Pack a hand-built message; the decoder must refuse it with nfds. */
static void
assert_refused(const char *row, Parapet__Handoff *m, size_t nfds)
{
	uint8_t buf[HANDOFF_BYTES_MAX];
	struct handoff out;
	size_t len;

	if (m->version == 0)
		m->version = HANDOFF_VERSION;
	m->instance = deconst("/x");
	len = parapet__handoff__pack(m, buf);
	print_message("  row: %s\n", row);
	assert_int_equal(handoff_decode(buf, len, nfds, &out), -EBADMSG);
}

/* Hand-built messages with one thing wrong each. */
static void
test_bad_messages(void **state)
{
	static const struct {
		const char	*name;
		uint32_t	 version;
		const char	*rname[2];
		uint32_t	 side[2];
		size_t		 n;
	} rows[] = {
		{ "version", 2, { "r" }, { 0 }, 1 },
		{ "bad region name", 1, { "R!" }, { 0 }, 1 },
		{ "side out of range", 1, { "r" }, { 2 }, 1 },
		{ "duplicate region", 1, { "r", "r" }, { 0, 1 }, 2 },
	};
	uint8_t buf[HANDOFF_BYTES_MAX];
	struct handoff out;
	size_t i, k;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		Parapet__Handoff m;
		Parapet__HandoffRegion r[2], *rp[2];

		parapet__handoff__init(&m);
		for (k = 0; k < rows[i].n; k++) {
			parapet__handoff_region__init(&r[k]);
			r[k].name = deconst(rows[i].rname[k]);
			r[k].side = rows[i].side[k];
			rp[k] = &r[k];
		}
		m.version = rows[i].version;
		m.regions = rp;
		m.n_regions = rows[i].n;
		assert_refused(rows[i].name, &m,
		    rows[i].n * HANDOFF_FDS_PER_REGION);
	}
	/* Garbage and oversize. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(handoff_decode(buf, 16, 0, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, HANDOFF_BYTES_MAX + 1, 0, &out),
	    -EBADMSG);
}

/* netd's links: one descriptor each, after the regions', before the
 * store's. */
static void
test_links(void **state)
{
	uint8_t buf[HANDOFF_BYTES_MAX];
	struct handoff h, out;
	size_t len, i;

	(void)state;
	sample(&h);
	h.nlinks = 2;
	strcpy(h.links[0], "host");
	strcpy(h.links[1], "wire");
	h.store = true;
	assert_int_equal(handoff_nfds(&h), 9);
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 9, &out), 0);
	assert_int_equal(out.nlinks, 2);
	assert_string_equal(out.links[0], "host");
	assert_string_equal(out.links[1], "wire");
	assert_int_equal(out.nregions, 2);
	assert_true(out.store);
	assert_int_equal(handoff_nfds(&out), 9);
	/* Counts must match: one short, one over, the store's forgotten. */
	assert_int_equal(handoff_decode(buf, len, 8, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, len, 10, &out), -EBADMSG);
	assert_int_equal(handoff_decode(buf, len, 7, &out), -EBADMSG);
	/* Links alone (no region, no store). */
	h.nregions = 0;
	h.store = false;
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, 2, &out), 0);
	assert_int_equal(out.nlinks, 2);
	assert_int_equal(handoff_decode(buf, len, 0, &out), -EBADMSG);
	/* The most links there can be fit the datagram. */
	h.nregions = 2;
	h.store = true;
	h.nlinks = HANDOFF_LINKS_MAX;
	for (i = 0; i < HANDOFF_LINKS_MAX; i++)
		snprintf(h.links[i], sizeof(h.links[i]),
		    "link_%zu_padded_to_thirty_two__", i);
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), 0);
	assert_int_equal(handoff_decode(buf, len, handoff_nfds(&h), &out), 0);
	assert_int_equal(out.nlinks, HANDOFF_LINKS_MAX);
	/* The encoder refuses what the decoder would. */
	h.nlinks = HANDOFF_LINKS_MAX + 1;
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), -EINVAL);
	h.nlinks = 2;
	memcpy(h.links[1], h.links[0], sizeof(h.links[1]));
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), -EINVAL);
	strcpy(h.links[1], "Wire");
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), -EINVAL);
	h.links[1][0] = '\0';
	assert_int_equal(handoff_encode(&h, buf, sizeof(buf), &len), -EINVAL);
}

/* Hand-built link lists with one thing wrong each. */
static void
test_bad_links(void **state)
{
	static const struct {
		const char	*name;
		const char	*links[HANDOFF_LINKS_MAX + 1];
		size_t		 n;
	} rows[] = {
		{ "bad link name", { "wire", "T!" }, 2 },
		{ "empty link name", { "" }, 1 },
		{ "long link name", { "a_name_of_thirty_three_characters" },
		    1 },
		{ "duplicate link", { "host", "wire", "host" }, 3 },
		{ "too many links", { "a", "b", "c", "d", "e", "f", "g", "h",
		    "i" }, HANDOFF_LINKS_MAX + 1 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		Parapet__Handoff m;
		char *lp[HANDOFF_LINKS_MAX + 1];

		parapet__handoff__init(&m);
		for (k = 0; k < rows[i].n; k++)
			lp[k] = deconst(rows[i].links[k]);
		m.links = lp;
		m.n_links = rows[i].n;
		assert_refused(rows[i].name, &m, rows[i].n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_bad_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
