/*
 * fuzz_spd_rec.c - policyd's parsers of untrusted bytes: the persistent
 * records read back after a restart (spd_rec_parse), and the relayed
 * PF_KEY SPD messages applied to an SPD (spd_pfkey_request, and the paged
 * X_SPDDUMP). Input starting with 1 (the record version) is a record;
 * anything else is a PF_KEY datagram. A record that parses is written
 * again and must parse to the same values; every reply policyd builds
 * must pass pfkey_msg_parse_reply(). Seeds in tests/fuzz/corpus/
 * fuzz_spd_rec (records and little-endian PF_KEY messages).
 */
#include <stdlib.h>
#include <string.h>

#include "spd_pfkey.h"
#include "spd_rec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct spd *db;
static struct spd_pfkey pk;

/*
 * What policyd sends must parse as a reply; an error reply is the
 * request's header with errno set, also for a type that has no reply
 * (keyd relays only SPD types, the fuzzer sends anything).
 */
static void
check_reply(const uint8_t *buf, size_t len)
{
	enum pfkey_reject why;
	struct pfkey_msg m;

	if (len == 16 && buf[2] != 0)
		return;
	if (pfkey_msg_parse_reply(buf, len, &m, &why) != 0)
		abort();
}

static int
emit(const uint8_t *buf, size_t len, void *arg)
{
	(void)arg;
	check_reply(buf, len);
	return 0;
}

/* Member by member: struct spd_sel has a padding byte. */
static bool
sel_equal(const struct spd_sel *a, const struct spd_sel *b)
{
	return a->family == b->family && a->src_plen == b->src_plen &&
	    a->dst_plen == b->dst_plen && a->proto == b->proto &&
	    a->sport == b->sport && a->dport == b->dport &&
	    memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	    memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static void
record(const uint8_t *data, size_t size)
{
	struct spd_rec r, r2;
	struct spd_policy p;
	uint8_t buf[SPD_REC_MAX];
	size_t len;

	if (spd_rec_parse(data, size, &r) != 0)
		return;
	switch (r.kind) {
	case SPD_REC_POLICY:
		memset(&p, 0, sizeof(p));
		p.id = r.id;
		p.add_ms = r.add_ms;
		p.e = r.e;
		if (spd_rec_policy(&p, &r.lft, buf, sizeof(buf), &len) != 0 ||
		    spd_rec_parse(buf, len, &r2) != 0 || r2.id != r.id ||
		    !sel_equal(&r2.e.sel, &r.e.sel))
			abort();
		break;
	case SPD_REC_SYSCTL:
		if (spd_rec_sysctl(&r.vals, buf, sizeof(buf), &len) != 0 ||
		    spd_rec_parse(buf, len, &r2) != 0 ||
		    memcmp(&r2.vals, &r.vals, sizeof(r.vals)) != 0)
			abort();
		break;
	case SPD_REC_GENS:
		if (spd_rec_gens(&r.gens, buf, sizeof(buf), &len) != 0 ||
		    spd_rec_parse(buf, len, &r2) != 0 ||
		    r2.gens.idx_gen != r.gens.idx_gen)
			abort();
		break;
	}
}

static void
pfkey(const uint8_t *data, size_t size)
{
	struct spd_pfkey_result res;
	struct spd_pfkey_dump d;
	size_t i;

	if (size >= 2 && data[1] == PARAPET_SADB_X_SPDDUMP) {
		if (spd_pfkey_dump_begin(&pk, &d, data, size) == 0) {
			while (spd_pfkey_dump_page(&pk, &d, 16, 4096, emit,
			    NULL) == 0)
				;
			spd_pfkey_dump_end(&pk, &d);
		}
		return;
	}
	spd_pfkey_request(&pk, data, size, 1000, &res);
	for (i = 0; i < res.nout; i++)
		check_reply(res.out[i].buf, res.out[i].len);
	/* Keep the SPD small across runs. */
	if (spd_count(db) > 256) {
		(void)spd_flush(db, 0);
		spd_pfkey_fini(&pk);
		if (spd_pfkey_init(&pk, db) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (db == NULL && (spd_create(&db, 1) != 0 ||
	    spd_pfkey_init(&pk, db) != 0))
		abort();
	if (size >= 1 && data[0] == SPD_REC_VERSION)
		record(data, size);
	else
		pfkey(data, size);
	return 0;
}
