/*
 * test_pkt_ring.c - the netd <-> ipsecd slot protocol (common/pkt_ring.h):
 * result codes through the ring's int16 and back, the metadata block's
 * byte layout (pinned offsets), round trips in both directions, and one
 * table row per way a block can be wrong, each refused with its own
 * reason, both by decode (raw bytes as a peer wrote them) and by encode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pkt_ring.h"

static struct pkt_meta
good_protect(void)
{
	struct pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.op = PKT_OP_PROTECT;
	m.n = 2;
	m.dfbit = 2;
	m.ecn = 1;
	m.ttl = 64;
	m.ah_cleartos = 1;
	m.ah_offsetmask = 0x1fff;
	m.mtu = 1500;
	m.e[0].proto = PKT_PROTO_ESP;
	m.e[0].mode = PKT_MODE_TUNNEL;
	m.e[0].level = PKT_LEVEL_UNIQUE;
	m.e[0].reqid = 7;
	m.e[0].policy_id = 99;
	m.e[0].src.family = m.e[0].dst.family = 4;
	memcpy(m.e[0].src.a, "\x0a\x00\x00\x01", 4);
	memcpy(m.e[0].dst.a, "\x0a\x00\x00\x02", 4);
	m.e[1].proto = PKT_PROTO_AH;
	m.e[1].mode = PKT_MODE_TRANSPORT;
	m.e[1].level = PKT_LEVEL_REQUIRE;
	m.e[1].policy_id = 99;
	return m;
}

static struct pkt_meta
good_done(void)
{
	struct pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.op = PKT_OP_UNPROTECT;
	m.n = 1;
	m.e[0].proto = PKT_PROTO_ESP;
	m.e[0].mode = PKT_MODE_TUNNEL;
	m.e[0].spi = 0x1234;
	m.e[0].gen = 42;
	m.e[0].reqid = 3;
	m.e[0].src.family = m.e[0].dst.family = 6;
	memset(m.e[0].src.a, 0x20, 16);
	memset(m.e[0].dst.a, 0x30, 16);
	return m;
}

static void
test_results(void **state)
{
	unsigned r;

	(void)state;
	assert_int_equal(pkt_result_to_ring(PKT_R_OK), 0);
	for (r = 0; r < PKT_R_COUNT; r++) {
		int16_t v = pkt_result_to_ring((enum pkt_result)r);

		if (r != PKT_R_OK) {
			assert_true(v < 0);
			assert_int_not_equal(v, -EBADMSG);
			assert_int_not_equal(v, -ECONNABORTED);
		}
		/* The ring's own two come back as themselves too. */
		assert_int_equal(pkt_result_from_ring(v), r);
		assert_string_not_equal(pkt_result_str((enum pkt_result)r),
		    "");
	}
	assert_int_equal(pkt_result_from_ring(-EBADMSG), PKT_R_RING_RANGE);
	assert_int_equal(pkt_result_from_ring(-ECONNABORTED),
	    PKT_R_RECOVERED);
	assert_int_equal(pkt_result_from_ring(-1), PKT_R_UNKNOWN);
	assert_int_equal(pkt_result_from_ring(1), PKT_R_UNKNOWN);
	assert_int_equal(pkt_result_from_ring(INT16_MIN), PKT_R_UNKNOWN);
	assert_int_equal(pkt_result_from_ring(-(PKT_RESULT_BASE +
	    PKT_R_COUNT)), PKT_R_UNKNOWN);
	assert_string_equal(pkt_result_str(PKT_R_COUNT), "unknown");
}

/* The layout is a contract: pin every offset with known bytes. */
static void
test_layout(void **state)
{
	uint8_t slot[256];
	enum pkt_meta_reject why;
	struct pkt_meta m = good_protect();

	(void)state;
	memset(slot, 0xee, sizeof(slot));
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    0);
	assert_int_equal(slot[0], 0x50);	/* "PM" */
	assert_int_equal(slot[1], 0x4d);
	assert_int_equal(slot[PKT_MO_VERSION], 1);
	assert_int_equal(slot[PKT_MO_OP], PKT_OP_PROTECT);
	assert_int_equal(slot[PKT_MO_N], 2);
	assert_int_equal(slot[PKT_MO_DFBIT], 2);
	assert_int_equal(slot[PKT_MO_ECN], 1);
	assert_int_equal(slot[PKT_MO_TTL], 64);
	assert_int_equal(slot[PKT_MO_CLEARTOS], 1);
	assert_int_equal(slot[PKT_MO_RSV1], 0);
	assert_int_equal(slot[PKT_MO_OFFSETMASK], 0xff);
	assert_int_equal(slot[PKT_MO_OFFSETMASK + 1], 0x1f);
	assert_int_equal(slot[PKT_MO_MTU], 1500 & 0xff);
	assert_int_equal(slot[PKT_MO_MTU + 1], 1500 >> 8);
	assert_int_equal(slot[PKT_MO_RSV2], 0);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_PROTO], 50);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_MODE], 2);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_LEVEL], 3);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_FAMILY], 4);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_REQID], 7);
	assert_int_equal(slot[PKT_MO_ENTRY0 + PKT_EO_POLICY], 99);
	assert_memory_equal(&slot[PKT_MO_ENTRY0 + PKT_EO_SRC],
	    "\x0a\x00\x00\x01", 4);
	assert_memory_equal(&slot[PKT_MO_ENTRY0 + PKT_EO_DST],
	    "\x0a\x00\x00\x02", 4);
	assert_int_equal(slot[PKT_MO_ENTRY1 + PKT_EO_PROTO], 51);
	/* Nothing past the block is touched. */
	assert_int_equal(slot[PKT_META_BYTES], 0xee);
}

static void
test_roundtrip(void **state)
{
	uint8_t slot[PKT_META_BYTES + 64];
	enum pkt_meta_reject why;
	struct pkt_meta m, out;

	(void)state;
	m = good_protect();
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    0);
	assert_int_equal(pkt_meta_decode(slot, 128, PKT_OP_PROTECT,
	    PKT_META_WORK, &out, &why), 0);
	assert_int_equal(why, PKT_MR_OK);
	assert_memory_equal(&m, &out, sizeof(m));

	m = good_done();
	assert_int_equal(pkt_meta_encode(&m, PKT_META_DONE, slot, 160, &why),
	    0);
	assert_int_equal(pkt_meta_decode(slot, 160, PKT_OP_UNPROTECT,
	    PKT_META_DONE, &out, &why), 0);
	assert_memory_equal(&m, &out, sizeof(m));

	/* UNPROTECT work: a header only. */
	memset(&m, 0, sizeof(m));
	m.op = PKT_OP_UNPROTECT;
	m.ah_cleartos = 1;
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    0);
	assert_int_equal(pkt_meta_decode(slot, 128, PKT_OP_UNPROTECT,
	    PKT_META_WORK, &out, &why), 0);
	assert_memory_equal(&m, &out, sizeof(m));
}

/*
 * One row per refusal: a good block (PROTECT work, or UNPROTECT done),
 * one byte (or u32/u64) poked at an offset, the reason expected.
 */
struct bad_row {
	const char		*what;
	uint64_t		 value;
	size_t			 at;	/* byte offset in the block */
	size_t			 off;	/* packet offset (0: 128) */
	enum pkt_meta_dir	 dir;
	enum pkt_meta_reject	 why;
	uint8_t			 width;	/* 1, 2, 4 or 8 (LE) */
	uint8_t			 op;	/* desc op (0: the block's) */
};
/* Rows in reading order: what, direction, where, how wide, what value,
 * packet offset, descriptor op, the reason expected. */
#define BAD(w, d, a, wd, v, o, op_, y) { .what = (w), .dir = (d),	\
	.at = (a), .width = (wd), .value = (v), .off = (o), .op = (op_),	\
	.why = (y) }

#define E0	PKT_MO_ENTRY0
#define E1	PKT_MO_ENTRY1
static const struct bad_row bad_rows[] = {
	BAD("off below the block", PKT_META_WORK, 0, 0, 0, 127, 0,
	    PKT_MR_SHORT),
	BAD("magic", PKT_META_WORK, PKT_MO_MAGIC, 2, 0x4d51, 0, 0,
	    PKT_MR_MAGIC),
	BAD("version 0", PKT_META_WORK, PKT_MO_VERSION, 1, 0, 0, 0,
	    PKT_MR_VERSION),
	BAD("version 2", PKT_META_WORK, PKT_MO_VERSION, 1, 2, 0, 0,
	    PKT_MR_VERSION),
	BAD("op differs from descriptor", PKT_META_WORK, 0, 0, 0, 0,
	    PKT_OP_UNPROTECT, PKT_MR_OP),
	BAD("op unknown", PKT_META_WORK, PKT_MO_OP, 1, 7, 0, 7, PKT_MR_OP),
	BAD("op none", PKT_META_WORK, PKT_MO_OP, 1, 0, 0, 0, PKT_MR_OP),
	BAD("protect n 0", PKT_META_WORK, PKT_MO_N, 1, 0, 0, 0,
	    PKT_MR_COUNT),
	BAD("protect n 3", PKT_META_WORK, PKT_MO_N, 1, 3, 0, 0,
	    PKT_MR_COUNT),
	BAD("done n 0", PKT_META_DONE, PKT_MO_N, 1, 0, 0, 0, PKT_MR_COUNT),
	BAD("dfbit 3", PKT_META_WORK, PKT_MO_DFBIT, 1, 3, 0, 0,
	    PKT_MR_DFBIT),
	BAD("ecn 2", PKT_META_WORK, PKT_MO_ECN, 1, 2, 0, 0, PKT_MR_FLAG),
	BAD("cleartos 2", PKT_META_WORK, PKT_MO_CLEARTOS, 1, 2, 0, 0,
	    PKT_MR_FLAG),
	BAD("reserved byte 9", PKT_META_WORK, PKT_MO_RSV1, 1, 1, 0, 0,
	    PKT_MR_RESERVED),
	BAD("reserved u16 14", PKT_META_WORK, PKT_MO_RSV2, 2, 0x100, 0, 0,
	    PKT_MR_RESERVED),
	BAD("proto 0", PKT_META_WORK, E0 + PKT_EO_PROTO, 1, 0, 0, 0,
	    PKT_MR_PROTO),
	BAD("proto 108 (ipcomp)", PKT_META_WORK, E1 + PKT_EO_PROTO, 1, 108, 0,
	    0, PKT_MR_PROTO),
	BAD("mode 0", PKT_META_WORK, E0 + PKT_EO_MODE, 1, 0, 0, 0,
	    PKT_MR_MODE),
	BAD("mode 3 (beet)", PKT_META_WORK, E1 + PKT_EO_MODE, 1, 3, 0, 0,
	    PKT_MR_MODE),
	BAD("work level 0", PKT_META_WORK, E0 + PKT_EO_LEVEL, 1, 0, 0, 0,
	    PKT_MR_LEVEL),
	BAD("work level 4", PKT_META_WORK, E0 + PKT_EO_LEVEL, 1, 4, 0, 0,
	    PKT_MR_LEVEL),
	BAD("done level 1", PKT_META_DONE, E0 + PKT_EO_LEVEL, 1, 1, 0, 0,
	    PKT_MR_LEVEL),
	BAD("family 5", PKT_META_WORK, E0 + PKT_EO_FAMILY, 1, 5, 0, 0,
	    PKT_MR_FAMILY),
	BAD("v4 with bytes past 4 (src)", PKT_META_WORK, E0 + PKT_EO_SRC + 4,
	    1, 1, 0, 0, PKT_MR_ADDR),
	BAD("v4 with bytes past 4 (dst)", PKT_META_WORK, E0 + PKT_EO_DST + 15,
	    1, 1, 0, 0, PKT_MR_ADDR),
	BAD("family 0 with an address", PKT_META_WORK, E1 + PKT_EO_DST, 1, 9,
	    0, 0, PKT_MR_ADDR),
	BAD("family 0, address bytes left", PKT_META_WORK, E0 + PKT_EO_FAMILY,
	    1, 0, 0, 0, PKT_MR_ADDR),
	BAD("tunnel without endpoints", PKT_META_WORK, E1 + PKT_EO_MODE, 1,
	    PKT_MODE_TUNNEL, 0, 0, PKT_MR_TUNNEL_ADDR),
	BAD("work spi set", PKT_META_WORK, E0 + PKT_EO_SPI, 4, 1, 0, 0,
	    PKT_MR_SPI),
	BAD("work gen set", PKT_META_WORK, E1 + PKT_EO_GEN, 8, 1, 0, 0,
	    PKT_MR_GEN),
	BAD("done spi 0", PKT_META_DONE, E0 + PKT_EO_SPI, 4, 0, 0, 0,
	    PKT_MR_SPI),
	BAD("done gen 0", PKT_META_DONE, E0 + PKT_EO_GEN, 8, 0, 0, 0,
	    PKT_MR_GEN),
	BAD("done policy set", PKT_META_DONE, E0 + PKT_EO_POLICY, 4, 5, 0, 0,
	    PKT_MR_POLICY),
	BAD("done unused entry not zero", PKT_META_DONE, E1 + PKT_EO_REQID, 4,
	    1, 0, 0, PKT_MR_UNUSED),
	BAD("done unused entry proto", PKT_META_DONE, E1 + PKT_EO_PROTO, 1, 50,
	    0, 0, PKT_MR_UNUSED),
	BAD("protect result block", PKT_META_DONE, 0, 0, 0, 0, 0, PKT_MR_OP),
};

static void
poke(uint8_t *b, size_t at, uint8_t width, uint64_t v)
{
	uint8_t i;

	for (i = 0; i < width; i++)
		b[at + i] = (uint8_t)(v >> (8 * i));
}

static void
test_bad_rows(void **state)
{
	uint8_t slot[PKT_META_BYTES];
	enum pkt_meta_reject why;
	struct pkt_meta m, out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];
		uint8_t op;

		m = r->dir == PKT_META_WORK ? good_protect() : good_done();
		/* Encode the good block with the rules that accept it. */
		if (r->why == PKT_MR_OP && r->dir == PKT_META_DONE &&
		    r->width == 0) {
			m = good_protect();
			assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK,
			    slot, 128, &why), 0);
		} else {
			assert_int_equal(pkt_meta_encode(&m, r->dir, slot,
			    128, &why), 0);
		}
		if (r->width != 0)
			poke(slot, r->at, r->width, r->value);
		op = r->op != 0 ? (uint8_t)r->op : m.op;
		if (r->width != 0 && r->at == PKT_MO_OP)
			op = (uint8_t)r->value;
		why = PKT_MR_OK;
		if (pkt_meta_decode(slot, r->off != 0 ? r->off : 128, op,
		    r->dir, &out, &why) != -EBADMSG || why != r->why)
			fail_msg("row \"%s\": got %s, want %s", r->what,
			    pkt_meta_reject_str(why),
			    pkt_meta_reject_str(r->why));
	}
}

/* Encode refuses what decode would refuse, and writes nothing then. */
static void
test_encode_refuses(void **state)
{
	uint8_t slot[PKT_META_BYTES];
	enum pkt_meta_reject why;
	struct pkt_meta m;

	(void)state;
	memset(slot, 0xaa, sizeof(slot));
	m = good_protect();
	m.e[0].mode = PKT_MODE_TUNNEL;
	m.e[0].src.family = m.e[0].dst.family = 0;
	memset(m.e[0].src.a, 0, 16);
	memset(m.e[0].dst.a, 0, 16);
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    -EINVAL);
	assert_int_equal(why, PKT_MR_TUNNEL_ADDR);
	m = good_protect();
	m.n = 1;	/* e[1] is set: not zero */
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    -EINVAL);
	assert_int_equal(why, PKT_MR_UNUSED);
	m = good_protect();
	m.e[0].src.family = 6;	/* src and dst differ */
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 128, &why),
	    -EINVAL);
	assert_int_equal(why, PKT_MR_FAMILY);
	m = good_protect();
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, slot, 100, &why),
	    -EMSGSIZE);
	assert_int_equal(why, PKT_MR_SHORT);
	assert_int_equal(slot[0], 0xaa);
	assert_string_equal(pkt_meta_reject_str(PKT_MR_COUNT_), "unknown");
}

/* Every single-bit flip of a good block: decoded or refused, no crash,
 * and a block that decodes passes the checks again. */
static void
test_bitflips(void **state)
{
	uint8_t slot[PKT_META_BYTES], good[PKT_META_BYTES];
	enum pkt_meta_reject why;
	struct pkt_meta m, out;
	size_t bit, ok = 0;

	(void)state;
	m = good_protect();
	assert_int_equal(pkt_meta_encode(&m, PKT_META_WORK, good, 128, &why),
	    0);
	for (bit = 0; bit < 8 * sizeof(good); bit++) {
		memcpy(slot, good, sizeof(slot));
		slot[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (pkt_meta_decode(slot, 128, PKT_OP_PROTECT, PKT_META_WORK,
		    &out, &why) == 0) {
			assert_int_equal(pkt_meta_check(&out, PKT_META_WORK),
			    PKT_MR_OK);
			ok++;
		} else {
			assert_int_not_equal(why, PKT_MR_OK);
		}
	}
	/* Most flips hit addresses, ids or free-valued fields. */
	assert_true(ok > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_bitflips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
