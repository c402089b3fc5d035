/*
 * test_frag.c - reassembly (servers/netd/frag.c).
 *
 *  - IPv4 and IPv6 datagrams split and reassembled in order, reversed and
 *    shuffled: the result equals the original byte for byte (IPv4 header
 *    rebuilt with its checksum; IPv6 fragment header removed);
 *  - every overlap case, one row each, for both families: an exact
 *    duplicate drops itself, any other overlap the whole datagram;
 *  - ends (two different, a fragment past the end), lengths not 8k,
 *    too many fragments, the memory and datagram bounds, 64 KiB;
 *  - the 30 s timeout at its boundary; keys (source, id, IPv4 protocol);
 *  - a property test: random datagrams cut at random 8-byte boundaries,
 *    interleaved, shuffled, with exact duplicates and overlapping
 *    fragments thrown in: whatever completes equals its original byte
 *    for byte, each datagram completes at most once per incarnation,
 *    clean ones always complete, and memory returns to zero.
 *    PARAPET_SEED, printed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frag.h"
#include "pktgen.h"
#include "prng.h"

static uint8_t orig[70000], payload[70000], fbuf[70000], out[70000];
static size_t orig_len, payload_len;

/* The original: UDP 1 -> 2 with n bytes of data (family by src). */
static void
make_orig(int v6, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fbuf[i] = (uint8_t)(i * 7 + 3);
	payload_len = pg_udp(payload, 1, 2, fbuf, n);
	if (v6)
		orig_len = pg_v6(orig, "2001:db8::1", "2001:db8::2",
		    IPPROTO_UDP, payload, payload_len);
	else
		orig_len = pg_v4(orig, "10.0.0.1", "10.0.0.2", IPPROTO_UDP,
		    payload, payload_len, 0, 77);
}

/* Fragment [off, off + len) of the payload, parsed into *pi. */
static const uint8_t *
frag(int v6, uint32_t id, size_t off, size_t len, int more,
    struct pkt_info *pi)
{
	static uint8_t b[70000], pl[70000];
	size_t n;

	if (v6) {
		n = pg_frag6(pl, IPPROTO_UDP, (uint16_t)off, more, id);
		memcpy(pl + n, payload + off, len);
		n = pg_v6(b, "2001:db8::1", "2001:db8::2", IPPROTO_FRAGMENT,
		    pl, n + len);
	} else {
		n = pg_v4(b, "10.0.0.1", "10.0.0.2", IPPROTO_UDP,
		    payload + off, len,
		    (uint16_t)((more ? 0x2000 : 0) | (off / 8)), (uint16_t)id);
	}
	assert_int_equal(pkt_parse(b, n, pi), PKT_OK);
	assert_true(pi->frag);
	return b;
}

static struct frag_table *
table(size_t max_bytes, size_t max_dgrams, size_t max_frags)
{
	struct frag_limits l;
	struct frag_table *t;

	frag_limits_default(&l);
	if (max_bytes)
		l.max_bytes = max_bytes;
	if (max_dgrams)
		l.max_dgrams = max_dgrams;
	if (max_frags)
		l.max_frags = max_frags;
	assert_int_equal(frag_create(&t, &l, 5), 0);
	return t;
}

static enum frag_result
add(struct frag_table *t, int v6, uint32_t id, size_t off, size_t len,
    int more, uint64_t now, size_t *olen)
{
	struct pkt_info pi;
	const uint8_t *b = frag(v6, id, off, len, more, &pi);

	return frag_add(t, b, &pi, now, out, sizeof(out), olen);
}

static void
check_out(size_t olen)
{
	struct pkt_info pi;

	assert_int_equal(olen, orig_len);
	assert_int_equal(pkt_parse(out, olen, &pi), PKT_OK);
	if (pi.family == AF_INET) {
		/* The id is the fragments'; the checksum follows it. */
		memcpy(out + 4, orig + 4, 2);
		memcpy(out + 10, orig + 10, 2);
	}
	assert_memory_equal(out, orig, orig_len);
	assert_false(pi.frag);
}

static void
whole(int v6, const size_t *order, size_t nfr, size_t fl)
{
	struct frag_table *t = table(0, 0, 0);
	size_t i, olen = 0, nlast = (payload_len + fl - 1) / fl;

	assert_int_equal(nfr, nlast);
	for (i = 0; i < nfr; i++) {
		size_t k = order[i], off = k * fl;
		size_t len = k + 1 == nlast ? payload_len - off : fl;
		enum frag_result r = add(t, v6, 9, off, len, k + 1 < nlast, 0,
		    &olen);

		assert_int_equal(r, i + 1 == nfr ? FRAG_DONE : FRAG_HELD);
	}
	check_out(olen);
	assert_int_equal(frag_stats(t)->bytes, 0);
	assert_int_equal(frag_stats(t)->dgrams, 0);
	frag_destroy(t);
}

static void
test_reassemble(void **state)
{
	static const size_t fwd[] = { 0, 1, 2, 3, 4 }, rev[] = { 4, 3, 2, 1, 0 },
	    mix[] = { 2, 4, 0, 3, 1 };
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		make_orig(v6, 1000 - 8);	/* payload 1000: 5 x 200 */
		whole(v6, fwd, 5, 200);
		whole(v6, rev, 5, 200);
		whole(v6, mix, 5, 200);
	}
	/* An IPv4 original with DF: kept. */
	make_orig(0, 392);
	orig[6] = 0x40;
	pg_v4_recsum(orig);
	{
		struct frag_table *t = table(0, 0, 0);
		struct pkt_info pi;
		const uint8_t *b;
		size_t olen;

		b = frag(0, 77, 0, 200, 1, &pi);
		memcpy(fbuf, b, 220);
		fbuf[6] |= 0x40;
		pg_v4_recsum(fbuf);
		assert_int_equal(pkt_parse(fbuf, pi.len, &pi), PKT_OK);
		assert_int_equal(frag_add(t, fbuf, &pi, 0, out, sizeof(out),
		    &olen), FRAG_HELD);
		assert_int_equal(add(t, 0, 77, 200, 200, 0, 0, &olen),
		    FRAG_DONE);
		check_out(olen);
		frag_destroy(t);
	}
}

/* Existing [16, 32) (with [0, 16) before it); the row's fragment next. */
struct ovrow {
	const char	*name;
	size_t		 off, len;
	int		 more;
	enum frag_result want;
};

static const struct ovrow ovrows[] = {
	{ "exact duplicate", 16, 16, 1, FRAG_R_DUP },
	{ "inside", 16, 8, 1, FRAG_R_OVERLAP },
	{ "inside, later start", 24, 8, 1, FRAG_R_OVERLAP },
	{ "covers", 8, 32, 1, FRAG_R_OVERLAP },
	{ "over the start", 8, 16, 1, FRAG_R_OVERLAP },
	{ "over the end", 24, 16, 1, FRAG_R_OVERLAP },
	{ "same start, longer", 16, 24, 1, FRAG_R_OVERLAP },
	{ "same end, earlier start", 8, 24, 1, FRAG_R_OVERLAP },
	{ "over both neighbours", 0, 40, 1, FRAG_R_OVERLAP },
	{ "last, overlapping", 24, 20, 0, FRAG_R_OVERLAP },
	{ "adjacent after", 32, 16, 1, FRAG_HELD },
	{ "adjacent, gap", 40, 8, 1, FRAG_HELD },
};

static void
test_overlaps(void **state)
{
	struct frag_table *t;
	size_t i, olen;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		make_orig(v6, 64 - 8);	/* payload 64 */
		for (i = 0; i < nitems(ovrows); i++) {
			const struct ovrow *r = &ovrows[i];
			enum frag_result got;

			t = table(0, 0, 0);
			assert_int_equal(add(t, v6, 1, 0, 16, 1, 0, &olen),
			    FRAG_HELD);
			assert_int_equal(add(t, v6, 1, 16, 16, 1, 0, &olen),
			    FRAG_HELD);
			got = add(t, v6, 1, r->off, r->len, r->more, 0, &olen);
			if (got != r->want)
				fail_msg("%s (v%d): got %s, want %s", r->name,
				    v6 ? 6 : 4, frag_result_name(got),
				    frag_result_name(r->want));
			/* After an overlap nothing of the datagram is left:
			 * the rest alone does not complete it. */
			if (r->want == FRAG_R_OVERLAP) {
				assert_int_equal(frag_stats(t)->dgrams, 0);
				assert_int_equal(frag_stats(t)->bytes, 0);
				assert_int_equal(add(t, v6, 1, 32, 32, 0, 0,
				    &olen), FRAG_HELD);
			}
			if (r->want == FRAG_R_DUP) {
				assert_int_equal(add(t, v6, 1, 32, 32, 0, 0,
				    &olen), FRAG_DONE);
				check_out(olen);
			}
			frag_destroy(t);
		}
	}
}

static void
test_ends_and_bounds(void **state)
{
	struct frag_table *t;
	size_t olen;
	int v6, i;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		make_orig(v6, 64 - 8);
		/* Two different last fragments. */
		t = table(0, 0, 0);
		assert_int_equal(add(t, v6, 1, 32, 32, 0, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 1, 16, 8, 0, 0, &olen), FRAG_R_END);
		assert_int_equal(frag_stats(t)->dgrams, 0);
		/* A fragment past the known end. */
		assert_int_equal(add(t, v6, 2, 16, 16, 0, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 2, 32, 8, 1, 0, &olen), FRAG_R_END);
		/* A last fragment before one already held. */
		assert_int_equal(add(t, v6, 3, 32, 8, 1, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 3, 16, 8, 0, 0, &olen), FRAG_R_END);
		frag_destroy(t);

		/* Too many fragments: limit 3. */
		t = table(0, 0, 3);
		for (i = 0; i < 3; i++)
			assert_int_equal(add(t, v6, 4, (size_t)i * 8, 8, 1, 0,
			    &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 4, 24, 8, 1, 0, &olen),
		    FRAG_R_MANY);
		assert_int_equal(frag_stats(t)->dgrams, 0);
		frag_destroy(t);

		/* Memory: 40 bytes. */
		t = table(40, 0, 0);
		assert_int_equal(add(t, v6, 5, 0, 32, 1, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 5, 32, 16, 1, 0, &olen), FRAG_R_MEM);
		assert_int_equal(add(t, v6, 5, 32, 8, 1, 0, &olen), FRAG_HELD);
		frag_destroy(t);

		/* Datagrams: 2. */
		t = table(0, 2, 0);
		assert_int_equal(add(t, v6, 6, 0, 8, 1, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 7, 0, 8, 1, 0, &olen), FRAG_HELD);
		assert_int_equal(add(t, v6, 8, 0, 8, 1, 0, &olen), FRAG_R_MEM);
		assert_int_equal(add(t, v6, 7, 8, 8, 1, 0, &olen), FRAG_HELD);
		frag_destroy(t);
	}
	/* Not a multiple of 8 (IPv4: pkt_parse lets it through). */
	make_orig(0, 64 - 8);
	t = table(0, 0, 0);
	assert_int_equal(add(t, 0, 9, 0, 12, 1, 0, &olen), FRAG_R_LEN);
	frag_destroy(t);
}

static void
test_big(void **state)
{
	struct frag_table *t = table(0, 0, 0);
	struct pkt_info pi;
	size_t olen;

	(void)state;
	make_orig(0, 65000);
	/* Last fragment ends at 65520: with a 20-byte header, 65540. */
	assert_int_equal(add(t, 0, 1, 65512, 8, 0, 0, &olen), FRAG_HELD);
	assert_int_equal(add(t, 0, 1, 0, 8, 1, 0, &olen), FRAG_R_BIG);
	/* Output buffer too small. */
	make_orig(0, 64 - 8);
	assert_int_equal(add(t, 0, 2, 0, 32, 1, 0, &olen), FRAG_HELD);
	{
		const uint8_t *b = frag(0, 2, 32, 32, 0, &pi);

		assert_int_equal(frag_add(t, b, &pi, 0, out, 50, &olen),
		    FRAG_R_OUT);
	}
	/* Not a fragment. */
	assert_int_equal(pkt_parse(orig, orig_len, &pi), PKT_OK);
	assert_int_equal(frag_add(t, orig, &pi, 0, out, sizeof(out), &olen),
	    FRAG_R_NOTFRAG);
	frag_destroy(t);
}

/* IPv6 with a destination options header after the fragment header:
 * the first fragment parses to UDP, the second to "destination
 * options"; they are still one datagram. */
static void
test_v6_chain(void **state)
{
	struct frag_table *t = table(0, 0, 0);
	uint8_t pl[256], whole[256], b[256];
	struct pkt_info pi;
	size_t n, k, olen;

	(void)state;
	/* The fragmentable part: dest opts (8) + UDP (8 + 24). */
	k = pg_ext(pl, IPPROTO_UDP, 0);
	k += pg_udp(pl + k, 1, 2, "0123456789abcdefghijklmn", 24);
	assert_int_equal(pg_v6(whole, "2001:db8::1", "2001:db8::2",
	    IPPROTO_DSTOPTS, pl, k), 40 + k);
	/* Fragment 1: the first 16 bytes; fragment 2: the rest. */
	memcpy(b + 48, pl, 16);
	pg_frag6(b + 40, IPPROTO_DSTOPTS, 0, 1, 77);
	n = pg_v6(b, "2001:db8::1", "2001:db8::2", IPPROTO_FRAGMENT, b + 40,
	    8 + 16);
	assert_int_equal(pkt_parse(b, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(frag_add(t, b, &pi, 0, out, sizeof(out), &olen),
	    FRAG_HELD);
	memcpy(b + 48, pl + 16, k - 16);
	pg_frag6(b + 40, IPPROTO_DSTOPTS, 16, 0, 77);
	n = pg_v6(b, "2001:db8::1", "2001:db8::2", IPPROTO_FRAGMENT, b + 40,
	    8 + k - 16);
	assert_int_equal(pkt_parse(b, n, &pi), PKT_OK);
	assert_int_equal(pi.proto, IPPROTO_DSTOPTS);
	assert_int_equal(frag_add(t, b, &pi, 0, out, sizeof(out), &olen),
	    FRAG_DONE);
	assert_int_equal(olen, 40 + k);
	assert_memory_equal(out, whole, olen);
	frag_destroy(t);
}

static void
test_timeout(void **state)
{
	struct frag_table *t = table(0, 0, 0);
	size_t olen;

	(void)state;
	make_orig(0, 64 - 8);
	assert_int_equal(frag_next_deadline(t), UINT64_MAX);
	assert_int_equal(add(t, 0, 1, 0, 32, 1, 1000, &olen), FRAG_HELD);
	assert_int_equal(add(t, 0, 2, 0, 32, 1, 2000, &olen), FRAG_HELD);
	assert_int_equal(frag_next_deadline(t), 31000);
	assert_int_equal(frag_expire(t, 30999), 0);
	assert_int_equal(frag_expire(t, 31000), 1);
	assert_int_equal(frag_stats(t)->r[FRAG_R_TIMEOUT], 1);
	assert_int_equal(frag_next_deadline(t), 32000);
	/* The expired one starts over; the other completes. */
	assert_int_equal(add(t, 0, 1, 32, 32, 0, 31001, &olen), FRAG_HELD);
	assert_int_equal(add(t, 0, 2, 32, 32, 0, 31001, &olen), FRAG_DONE);
	assert_int_equal(frag_expire(t, 100000), 1);
	assert_int_equal(frag_stats(t)->dgrams, 0);
	frag_destroy(t);
}

static void
test_keys(void **state)
{
	struct frag_table *t = table(0, 0, 0);
	struct pkt_info pi;
	uint8_t b[200];
	size_t olen;

	(void)state;
	make_orig(0, 64 - 8);
	assert_int_equal(add(t, 0, 1, 0, 32, 1, 0, &olen), FRAG_HELD);
	/* Same id, other source: another datagram. */
	memcpy(b, frag(0, 1, 32, 32, 0, &pi), 52);
	b[15] = 99;
	pg_v4_recsum(b);
	assert_int_equal(pkt_parse(b, pi.len, &pi), PKT_OK);
	assert_int_equal(frag_add(t, b, &pi, 0, out, sizeof(out), &olen),
	    FRAG_HELD);
	/* Same id, other protocol (IPv4 keys on it). */
	memcpy(b, frag(0, 1, 32, 32, 0, &pi), 52);
	b[9] = IPPROTO_ESP;
	pg_v4_recsum(b);
	assert_int_equal(pkt_parse(b, pi.len, &pi), PKT_OK);
	assert_int_equal(frag_add(t, b, &pi, 0, out, sizeof(out), &olen),
	    FRAG_HELD);
	assert_int_equal(frag_stats(t)->dgrams, 3);
	assert_int_equal(add(t, 0, 1, 32, 32, 0, 0, &olen), FRAG_DONE);
	check_out(olen);
	assert_string_equal(frag_result_name(FRAG_R_OVERLAP), "overlap");
	assert_string_equal(frag_result_name(FRAG_R_COUNT), "unknown");
	frag_destroy(t);
}

#define PROP_DGRAMS	6

struct pfrag {
	size_t		 off, len;
	int		 d;		/* datagram */
	int		 more;
};

/* One round of the property test. */
struct prop {
	uint64_t	 seed;		/* for failure messages */
	int		 round;
	int		 v6;
	uint8_t		 pay[PROP_DGRAMS][3000], orig[PROP_DGRAMS][3100];
	size_t		 plen[PROP_DGRAMS], olen[PROP_DGRAMS];
	int		 dirty[PROP_DGRAMS];	/* has an overlap */
	int		 done[PROP_DGRAMS];	/* times completed */
	struct pfrag	 fr[PROP_DGRAMS * 64];
	size_t		 n;
};

/* Cut datagram k at 8-byte boundaries; the first piece holds UDP. */
static void
prop_cut(struct prop *pr, uint64_t *s, size_t k)
{
	size_t off = 0;

	while (off < pr->plen[k]) {
		struct pfrag *f = &pr->fr[pr->n++];
		size_t len = 8 * (1 + prng_below(s, 80));

		if (off + len >= pr->plen[k])
			len = pr->plen[k] - off;
		/* At least two: one piece is no fragment. */
		if (off == 0 && len == pr->plen[k])
			len = 8 * ((pr->plen[k] - 1) / 8);
		f->d = (int)k;
		f->off = off;
		f->len = len;
		f->more = off + len < pr->plen[k];
		off += len;
	}
}

/* Noise for datagram k: an exact duplicate, or an overlap. */
static void
prop_noise(struct prop *pr, uint64_t *s, size_t k)
{
	struct pfrag *f;

	if (prng_below(s, 3) == 0 && pr->n > 0) {
		pr->fr[pr->n] = pr->fr[pr->n - 1 - prng_below(s, 1)];
		pr->n++;
	}
	if (prng_below(s, 4) == 0 && pr->plen[k] > 24) {
		f = &pr->fr[pr->n++];
		f->d = (int)k;
		f->off = 8;
		f->len = 8 * (1 + prng_below(s, (pr->plen[k] - 16) / 8));
		if (f->off + f->len >= pr->plen[k])
			f->len = 8;
		f->more = 1;
		pr->dirty[k] = 1;
	}
}

/* Datagram k: random UDP data, the original, its fragments. */
static void
prop_dgram(struct prop *pr, uint64_t *s, size_t k)
{
	size_t data = 16 + prng_below(s, 2900);
	size_t i;

	for (i = 0; i < data; i++)
		fbuf[i] = (uint8_t)prng_next(s);
	pr->plen[k] = pg_udp(pr->pay[k], (uint16_t)k, 9, fbuf, data);
	pr->olen[k] = pr->v6 ? pg_v6(pr->orig[k], "2001:db8::1",
	    "2001:db8::2", IPPROTO_UDP, pr->pay[k], pr->plen[k]) :
	    pg_v4(pr->orig[k], "10.0.0.1", "10.0.0.2",
	    IPPROTO_UDP, pr->pay[k], pr->plen[k], 0, (uint16_t)(100 + k));
	prop_cut(pr, s, k);
	prop_noise(pr, s, k);
}

/* Shuffle the fragments (Fisher-Yates). */
static void
prop_shuffle(struct prop *pr, uint64_t *s)
{
	size_t i;

	for (i = pr->n; i > 1; i--) {
		size_t j = prng_below(s, i);
		struct pfrag x = pr->fr[i - 1];

		pr->fr[i - 1] = pr->fr[j];
		pr->fr[j] = x;
	}
}

/* Datagram d's id: IPv6 ids have 32 bits, so use the upper half too. */
static uint32_t
prop_id(int v6, int d)
{
	return v6 ? 0x10000u + (uint32_t)(100 + d) : (uint32_t)(100 + d);
}

/* Add fragment f; a datagram it completes must equal its original. */
static void
prop_feed(struct prop *pr, struct frag_table *t, const struct pfrag *f)
{
	struct pkt_info pi, po;
	enum frag_result r;
	size_t ol;

	memcpy(payload, pr->pay[f->d], pr->plen[f->d]);
	payload_len = pr->plen[f->d];
	r = frag_add(t, frag(pr->v6, prop_id(pr->v6, f->d), f->off, f->len,
	    f->more, &pi), &pi, 0, out, sizeof(out), &ol);
	if (r != FRAG_DONE)
		return;
	assert_int_equal(ol, pr->olen[f->d]);
	assert_int_equal(pkt_parse(out, ol, &po), PKT_OK);
	if (!pr->v6) {
		memcpy(out + 4, pr->orig[f->d] + 4, 2);
		memcpy(out + 10, pr->orig[f->d] + 10, 2);
	}
	if (memcmp(out, pr->orig[f->d], ol) != 0)
		fail_msg("seed %llu round %d: datagram %d differs",
		    (unsigned long long)pr->seed, pr->round, f->d);
	pr->done[f->d]++;
}

/* Clean datagrams completed once, the others at most once more. */
static void
prop_check(const struct prop *pr)
{
	size_t k;

	for (k = 0; k < PROP_DGRAMS; k++) {
		if (!pr->dirty[k] && pr->done[k] != 1)
			fail_msg("seed %llu round %d: clean datagram "
			    "%zu completed %d times",
			    (unsigned long long)pr->seed, pr->round, k,
			    pr->done[k]);
		assert_true(pr->done[k] <= 1 + pr->dirty[k]);
	}
}

static void
test_prop(void **state)
{
	static struct prop pr;
	uint64_t seed = prng_seed_env(), s = seed != 0 ? seed : 1;
	int round;

	(void)state;
	printf("test_prop: PARAPET_SEED=%llu\n", (unsigned long long)seed);
	for (round = 0; round < 300; round++) {
		struct frag_table *t = table(0, 0, 0);
		size_t i, k;

		pr.seed = seed;
		pr.round = round;
		pr.v6 = (int)prng_below(&s, 2);
		memset(pr.dirty, 0, sizeof(pr.dirty));
		memset(pr.done, 0, sizeof(pr.done));
		pr.n = 0;
		for (k = 0; k < PROP_DGRAMS; k++)
			prop_dgram(&pr, &s, k);
		prop_shuffle(&pr, &s);
		for (i = 0; i < pr.n; i++)
			prop_feed(&pr, t, &pr.fr[i]);
		prop_check(&pr);
		/* Leftovers (of overlapped datagrams) time out. */
		k = frag_expire(t, UINT64_MAX - 1);
		assert_int_equal(k, frag_stats(t)->r[FRAG_R_TIMEOUT]);
		assert_int_equal(frag_stats(t)->bytes, 0);
		assert_int_equal(frag_stats(t)->dgrams, 0);
		frag_destroy(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reassemble),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_ends_and_bounds),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_v6_chain),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_prop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
