/*
 * test_rd.c - the read and write cursors: every read consumes exactly its
 * bytes or nothing, and returns -EBADMSG when short.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rd.h"
#include "wr.h"

static void
test_reads(void **state)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	struct rd r, sub;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	(void)state;
	rd_init(&r, b, sizeof(b));
	assert_int_equal(rd_be16(&r, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(rd_le16(&r, &v16), 0);
	assert_int_equal(v16, 0x0403);
	assert_int_equal(rd_be32(&r, &v32), 0);
	assert_int_equal(v32, 0x05060708);
	/* Three left: a 4-byte read fails and consumes nothing. */
	assert_int_equal(rd_be32(&r, &v32), -EBADMSG);
	assert_int_equal(r.left, 3);
	assert_int_equal(rd_be64(&r, &v64), -EBADMSG);
	assert_int_equal(rd_sub(&r, 4, &sub), -EBADMSG);
	assert_int_equal(rd_sub(&r, 2, &sub), 0);
	assert_int_equal(sub.left, 2);
	assert_int_equal(rd_u8(&sub, &v8), 0);
	assert_int_equal(v8, 9);
	assert_int_equal(rd_u8(&r, &v8), 0);
	assert_int_equal(v8, 11);
	assert_true(rd_empty(&r));
	assert_int_equal(rd_u8(&r, &v8), -EBADMSG);
	assert_null(rd_peek(&r, 1));
	assert_int_equal(rd_skip(&r, 0), 0);
}

static void
test_roundtrip(void **state)
{
	uint8_t buf[14];
	struct wr w;
	struct rd r;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	(void)state;
	wr_init(&w, buf, sizeof(buf));
	assert_int_equal(wr_be64(&w, 0x0102030405060708ull), 0);
	assert_int_equal(wr_le32(&w, 0xa1b2c3d4), 0);
	assert_int_equal(wr_be16(&w, 0xbeef), 0);
	assert_int_equal(wr_u8(&w, 1), -EMSGSIZE);
	assert_int_equal(w.used, 14);
	rd_init(&r, buf, sizeof(buf));
	assert_int_equal(rd_be64(&r, &v64), 0);
	assert_true(v64 == 0x0102030405060708ull);
	assert_int_equal(buf[8], 0xd4);
	assert_int_equal(rd_le32(&r, &v32), 0);
	assert_int_equal(v32, 0xa1b2c3d4);
	assert_int_equal(rd_be16(&r, &v16), 0);
	assert_int_equal(v16, 0xbeef);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
