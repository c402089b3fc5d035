/*
 * test_frame.c - the pure core of the bus: framing (frame.c) and the
 * message registry with its validators (bus_msg.c).
 *
 * Every message type round-trips; a stream split at every byte position
 * decodes to the same frames; the encoder keeps to the same rules and to
 * BUS_FRAME_MAX. The ways a frame can be wrong are test_bus_rejects.c.
 *
 * Also the seed generator of the fuzz corpus: `test_frame --seeds DIR`
 * writes one frame per message type (and a multi-frame stream) into DIR;
 * without arguments the test checks that the committed seeds in
 * $PARAPET_SRCDIR/tests/fuzz/corpus/fuzz_bus_frame are byte for byte what
 * the encoder produces today (they are golden files of the wire format).
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

#include "test_bus_samples.h"

/* ---- the registry ---- */

/* "MSG_HELLO_REQUEST" -> "HelloRequest" */
static void
camel(const char *enum_name, char *out, size_t max)
{
	const char *p = enum_name + strlen("MSG_");
	bool up = true;
	size_t n = 0;

	for (; *p != '\0' && n + 1 < max; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		out[n++] = (char)(up ? *p : *p - 'A' + 'a');
		up = false;
	}
	out[n] = '\0';
}

static void
test_registry(void **state)
{
	const ProtobufCEnumDescriptor *ed = &parapet__msg_type__descriptor;
	size_t i;

	(void)state;
	assert_null(bus_msgtype_get(T(NONE)));
	assert_null(bus_msgtype_get(12));	/* a hole */
	assert_null(bus_msgtype_get(100000));
	assert_null(bus_msgtype_get(UINT32_MAX));
	for (i = 0; i < ed->n_values; i++) {
		const ProtobufCEnumValue *v = &ed->values[i];
		const struct bus_msgtype *t, *r;
		const char *suffix;
		char want[64];
		uint32_t kind;

		if (v->value == T(NONE))
			continue;
		t = bus_msgtype_get((uint32_t)v->value);
		if (t == NULL) {
			fail_msg("%s (%d) has no row in bus_msg.c", v->name,
			    v->value);
			continue;
		}
		assert_int_equal(t->type, v->value);
		assert_non_null(t->desc);
		camel(v->name, want, sizeof(want));
		assert_string_equal(t->name, want);
		assert_string_equal(t->desc->short_name, want);
		suffix = strrchr(v->name, '_');
		kind = strcmp(suffix, "_REQUEST") == 0 ? REQ :
		    strcmp(suffix, "_REPLY") == 0 ? REP : EVT;
		assert_string_equal(suffix, kind == EVT ? "_EVENT" : suffix);
		assert_int_equal(t->kind, kind);
		if (kind == REQ) {
			r = bus_msgtype_get(t->reply);
			assert_non_null(r);
			assert_int_equal(r->kind, REP);
		} else
			assert_int_equal(t->reply, 0);
	}
}

static void
test_names(void **state)
{
	static const struct {
		const char	*s;
		bool		 ok;
	} rows[] = {
		{ "", false },
		{ "a", true },
		{ "keyd", true },
		{ "sa.expired-v2_x9", true },
		{ "abcdefghijklmnopqrstuvwxyz012345", true },	/* 32 */
		{ "abcdefghijklmnopqrstuvwxyz0123456", false },	/* 33 */
		{ "Keyd", false },
		{ "key d", false },
		{ "key/d", false },
		{ "key\nd", false },
		{ "k\xc3\xa9yd", false },
	};
	size_t i;

	(void)state;
	assert_false(frame_name_ok(NULL));
	for (i = 0; i < nitems(rows); i++)
		if (frame_name_ok(rows[i].s) != rows[i].ok)
			fail_msg("name \"%s\": want %d", rows[i].s,
			    rows[i].ok);
	assert_true(bus_counter_name_ok("bus.rejected.oversize"));
	assert_false(bus_counter_name_ok("Bus"));
	assert_true(bus_text_ok("", 3));
	assert_true(bus_text_ok("abc", 3));
	assert_false(bus_text_ok("abcd", 3));
	assert_false(bus_text_ok("a\tb", 10));
	assert_false(bus_text_ok("a\x7f", 10));
	assert_true(bus_text_ok("caf\xc3\xa9", 10));
}

static void
test_reject_str(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < FRAME_REJECT_MAX; i++) {
		const char *s = frame_reject_str((enum frame_reject)i);

		assert_string_not_equal(s, "unknown");
		assert_true(bus_counter_name_ok(s));
		for (j = 0; j < i; j++)
			assert_string_not_equal(s,
			    frame_reject_str((enum frame_reject)j));
	}
	assert_string_equal(frame_reject_str(FRAME_REJECT_MAX), "unknown");
}

/* ---- round trips ---- */

struct collect {
	size_t		 n;
	uint8_t		*stream;	/* frames re-prefixed, concatenated */
	size_t		 len;
	int		 stop_at;	/* return 7 from frame number stop_at */
};

static int
collect(const uint8_t *p, size_t n, void *arg)
{
	struct collect *c = arg;

	c->stream = realloc(c->stream, c->len + 4 + n);
	assert_non_null(c->stream);
	c->stream[c->len] = (uint8_t)(n >> 24);
	c->stream[c->len + 1] = (uint8_t)(n >> 16);
	c->stream[c->len + 2] = (uint8_t)(n >> 8);
	c->stream[c->len + 3] = (uint8_t)n;
	memcpy(c->stream + c->len + 4, p, n);
	c->len += 4 + n;
	c->n++;
	return c->n == (size_t)c->stop_at ? 7 : 0;
}

static void
repack_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	uint8_t *pa = malloc(la + 1), *pb = malloc(lb + 1);

	assert_int_equal(la, lb);
	assert_int_equal(protobuf_c_message_pack(a, pa), la);
	assert_int_equal(protobuf_c_message_pack(b, pb), lb);
	assert_memory_equal(pa, pb, la);
	free(pa);
	free(pb);
}

static void
test_roundtrip(void **state)
{
	uint32_t types[64];
	size_t n, i;

	(void)state;
	n = all_types(types, nitems(types));
	for (i = 0; i < n; i++) {
		struct frame_hdr h = hdr_for(types[i]);
		struct frame_decoder d;
		struct collect c = { 0 };
		enum frame_reject why;
		struct bus_msg m;
		uint8_t *frame;
		size_t len;

		encode_type(types[i], &frame, &len);
		frame_decoder_init(&d);
		assert_int_equal(frame_decoder_feed(&d, frame, len, collect,
		    &c, &why), 0);
		assert_int_equal(why, FRAME_OK);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.len, len);
		assert_memory_equal(c.stream, frame, len);
		assert_int_equal(frame_decoder_eof(&d), FRAME_OK);
		frame_decoder_free(&d);

		if (frame_msg_parse(frame + 4, len - 4, &m, &why) != 0)
			fail_msg("%s: %s", bus_msgtype_get(types[i])->name,
			    frame_reject_str(why));
		assert_int_equal(m.type, h.type);
		assert_int_equal(m.kind, h.kind);
		assert_true(m.corr == h.corr);
		assert_string_equal(m.src, h.src);
		assert_string_equal(m.dst, h.dst != NULL ? h.dst : "");
		assert_string_equal(m.topic, h.topic != NULL ? h.topic : "");
		assert_int_equal(m.error, h.error);
		if (sample(types[i]) == NULL)
			assert_null(m.body);
		else
			repack_equal(m.body, sample(types[i]));
		frame_msg_free(&m);
		free(c.stream);
		free(frame);
	}
}

/* All types back to back, fed in two pieces split at every position, and
 * byte by byte: always the same frames. */
static void
test_split(void **state)
{
	uint32_t types[64];
	uint8_t *stream = NULL;
	size_t n, i, len = 0, cut;

	(void)state;
	n = all_types(types, nitems(types));
	for (i = 0; i < n; i++) {
		uint8_t *frame;
		size_t flen;

		encode_type(types[i], &frame, &flen);
		stream = realloc(stream, len + flen);
		assert_non_null(stream);
		memcpy(stream + len, frame, flen);
		len += flen;
		free(frame);
	}
	for (cut = 0; cut <= len; cut++) {
		struct frame_decoder d;
		struct collect c = { 0 };
		enum frame_reject why;

		frame_decoder_init(&d);
		assert_int_equal(frame_decoder_feed(&d, stream, cut, collect,
		    &c, &why), 0);
		assert_int_equal(frame_decoder_feed(&d, stream + cut,
		    len - cut, collect, &c, &why), 0);
		assert_int_equal(c.n, n);
		assert_int_equal(c.len, len);
		assert_memory_equal(c.stream, stream, len);
		assert_int_equal(frame_decoder_eof(&d), FRAME_OK);
		frame_decoder_free(&d);
		free(c.stream);
	}
	{
		struct frame_decoder d;
		struct collect c = { 0 };
		enum frame_reject why;

		frame_decoder_init(&d);
		for (i = 0; i < len; i++) {
			assert_int_equal(frame_decoder_feed(&d, stream + i, 1,
			    collect, &c, &why), 0);
			/* Mid-frame, end of stream is a truncation. */
			if (i + 1 < len && c.len != i + 1)
				assert_int_equal(frame_decoder_eof(&d),
				    FRAME_REJECT_TRUNCATED);
		}
		assert_int_equal(c.n, n);
		assert_memory_equal(c.stream, stream, len);
		frame_decoder_free(&d);
		free(c.stream);
	}
	free(stream);
}

/* A non-zero return from on_frame stops the feed there. */
static void
test_stop(void **state)
{
	struct frame_decoder d;
	struct collect c = { .stop_at = 1 };
	enum frame_reject why;
	uint8_t *f, two[1024];
	size_t len;

	(void)state;
	encode_type(T(PING_REQUEST), &f, &len);
	assert_true(2 * len <= sizeof(two));
	memcpy(two, f, len);
	memcpy(two + len, f, len);
	frame_decoder_init(&d);
	assert_int_equal(frame_decoder_feed(&d, two, 2 * len, collect, &c,
	    &why), 7);
	assert_int_equal(c.n, 1);
	frame_decoder_free(&d);
	free(c.stream);
	free(f);
}

/* ---- encoder ---- */

/* A CountersReply whose envelope is exactly `target` bytes: whole
 * 64-character counters up to the target, then names shortened one byte
 * at a time (each byte of name is one byte of frame at these sizes). */
static Parapet__Counter big_cnt[BUS_COUNTERS_MAX];
static Parapet__Counter *big_cntp[BUS_COUNTERS_MAX];
static char big_names[BUS_COUNTERS_MAX][BUS_COUNTER_NAME_MAX + 1];

/* 0 and the envelope's size, or -EMSGSIZE. */
static int
counters_len(size_t n, size_t *len)
{
	struct frame_hdr h = hdr_for(T(COUNTERS_REPLY));
	uint8_t *out;
	size_t outlen;
	int error;

	sm.cnt_rp.n_counters = n;
	if ((error = frame_encode(&h, &sm.cnt_rp.base, &out, &outlen)) != 0)
		return error;
	free(out);
	*len = outlen - 4;
	return 0;
}

static void
counters_of_size(size_t target, uint8_t **out, size_t *outlen)
{
	struct frame_hdr h = hdr_for(T(COUNTERS_REPLY));
	size_t n, lo, hi, len, k;
	int error;

	for (n = 0; n < BUS_COUNTERS_MAX; n++) {
		memset(big_names[n], 'c', BUS_COUNTER_NAME_MAX);
		big_names[n][BUS_COUNTER_NAME_MAX] = '\0';
		parapet__counter__init(&big_cnt[n]);
		big_cnt[n].name = big_names[n];
		big_cntp[n] = &big_cnt[n];
	}
	sm.cnt_rp.counters = big_cntp;
	/* The fewest counters that reach the target (or overflow). */
	lo = 1;
	hi = BUS_COUNTERS_MAX;
	while (lo < hi) {
		n = lo + (hi - lo) / 2;
		if (counters_len(n, &len) != 0 || len >= target)
			hi = n;
		else
			lo = n + 1;
	}
	sm.cnt_rp.n_counters = lo;
	k = lo - 1;
	for (;;) {
		size_t l;

		error = frame_encode(&h, &sm.cnt_rp.base, out, outlen);
		if (error == 0) {
			if (*outlen - 4 == target)
				return;
			assert_true(*outlen - 4 > target);
			free(*out);
		} else
			assert_int_equal(error, -EMSGSIZE);
		if ((l = strlen(big_names[k])) == 1)
			l = strlen(big_names[--k]);
		big_names[k][l - 1] = '\0';
	}
}

static void
test_encode(void **state)
{
	struct frame_hdr h = hdr_for(T(PING_REQUEST));
	enum frame_reject why;
	struct bus_msg m;
	uint8_t *out, *out2;
	size_t len, len2;

	(void)state;
	samples_init();
	/* Unknown type, wrong descriptor, bad names: -EINVAL. */
	h.type = 12;
	assert_int_equal(frame_encode(&h, NULL, &out, &len), -EINVAL);
	assert_null(out);
	h = hdr_for(T(PING_REQUEST));
	assert_int_equal(frame_encode(&h, &sm.hello_rq.base, &out, &len),
	    -EINVAL);
	h.dst = "No";
	assert_int_equal(frame_encode(&h, sample(T(PING_REQUEST)), &out,
	    &len), -EINVAL);
	/* An empty body is fine (proto3 defaults). */
	h = hdr_for(T(PING_REQUEST));
	assert_int_equal(frame_encode(&h, NULL, &out, &len), 0);
	assert_int_equal(frame_msg_parse(out + 4, len - 4, &m, &why), 0);
	assert_non_null(m.body);
	frame_msg_free(&m);
	free(out);

	h = hdr_for(T(COUNTERS_REPLY));
	/* Exactly BUS_FRAME_MAX passes both ways... */
	counters_of_size(BUS_FRAME_MAX, &out, &len);
	assert_int_equal(len, 4 + BUS_FRAME_MAX);
	assert_int_equal(frame_msg_parse(out + 4, len - 4, &m, &why), 0);
	/* ...but not once the broker stamps a longer src... */
	assert_int_equal(frame_msg_encode(&m,
	    "abcdefghijklmnopqrstuvwxyz012345", &out2, &len2), -EMSGSIZE);
	assert_null(out2);
	frame_msg_free(&m);
	free(out);
	/* ...nor with two bytes more (a non-zero value). */
	big_cnt[0].value = 1;
	assert_int_equal(frame_encode(&h, &sm.cnt_rp.base, &out, &len),
	    -EMSGSIZE);
	assert_null(out);
	samples_init();

	/* frame_msg_encode replaces src and keeps everything else. */
	h = hdr_for(T(STATUS_REPLY));
	assert_int_equal(frame_encode(&h, sample(T(STATUS_REPLY)), &out,
	    &len), 0);
	assert_int_equal(frame_msg_parse(out + 4, len - 4, &m, &why), 0);
	assert_int_equal(frame_msg_encode(&m, "Bad", &out2, &len2), -EINVAL);
	assert_int_equal(frame_msg_encode(&m, "supervisor", &out2, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(out2, out, len);
	free(out2);
	assert_int_equal(frame_msg_encode(&m, "x", &out2, &len2), 0);
	frame_msg_free(&m);
	assert_int_equal(frame_msg_parse(out2 + 4, len2 - 4, &m, &why), 0);
	assert_string_equal(m.src, "x");
	assert_string_equal(m.dst, "parapetctl");
	repack_equal(m.body, sample(T(STATUS_REPLY)));
	frame_msg_free(&m);
	free(out2);
	free(out);
}

/* ---- seeds: golden files of the wire format ---- */

struct seed {
	char		 name[64];
	uint8_t		*bytes;
	size_t		 len;
};

/* One seed per type, then one stream of every type back to back. */
static size_t
make_seeds(struct seed *out, size_t max)
{
	uint32_t types[64];
	size_t n, i, k = 0;
	struct seed *all;

	samples_init();
	n = all_types(types, nitems(types));
	assert_true(n + 1 <= max);
	all = &out[n];
	memset(all, 0, sizeof(*all));
	(void)snprintf(all->name, sizeof(all->name), "stream-all");
	for (i = 0; i < n; i++) {
		const struct bus_msgtype *t = bus_msgtype_get(types[i]);

		(void)snprintf(out[k].name, sizeof(out[k].name), "%02u-%s",
		    types[i], t->name);
		encode_type(types[i], &out[k].bytes, &out[k].len);
		all->bytes = realloc(all->bytes, all->len + out[k].len);
		memcpy(all->bytes + all->len, out[k].bytes, out[k].len);
		all->len += out[k].len;
		k++;
	}
	return k + 1;
}

static void
free_seeds(struct seed *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].bytes);
}

static void
test_golden(void **state)
{
	const char *top = getenv("PARAPET_SRCDIR");
	struct seed seeds[64];
	size_t n, i;

	(void)state;
	if (top == NULL)
		skip();
	n = make_seeds(seeds, nitems(seeds));
	for (i = 0; i < n; i++) {
		char path[4096];
		uint8_t buf[8192];
		size_t len;
		FILE *f;

		if (snprintf(path, sizeof(path),
		    "%s/tests/fuzz/corpus/fuzz_bus_frame/%s", top,
		    seeds[i].name) >= (int)sizeof(path))
			fail_msg("PARAPET_SRCDIR too long");
		if ((f = fopen(path, "rb")) == NULL)
			fail_msg("%s: missing; regenerate with test_frame "
			    "--seeds", path);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (len != seeds[i].len ||
		    memcmp(buf, seeds[i].bytes, len) != 0)
			fail_msg("%s: differs from the encoder's output (wire "
			    "format change?)", path);
	}
	free_seeds(seeds, n);
}

static int
write_seeds(const char *dir)
{
	struct seed seeds[64];
	size_t n, i;

	n = make_seeds(seeds, nitems(seeds));
	for (i = 0; i < n; i++) {
		char path[4096];
		FILE *f;

		if (snprintf(path, sizeof(path), "%s/%s", dir,
		    seeds[i].name) >= (int)sizeof(path) ||
		    (f = fopen(path, "wb")) == NULL ||
		    fwrite(seeds[i].bytes, 1, seeds[i].len, f) != seeds[i].len ||
		    fclose(f) != 0) {
			perror(path);
			return 1;
		}
		printf("%s: %zu bytes\n", path, seeds[i].len);
	}
	free_seeds(seeds, n);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	samples_init();
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registry, setup),
		cmocka_unit_test_setup(test_names, setup),
		cmocka_unit_test_setup(test_reject_str, setup),
		cmocka_unit_test_setup(test_roundtrip, setup),
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_stop, setup),
		cmocka_unit_test_setup(test_encode, setup),
		cmocka_unit_test_setup(test_golden, setup),
	};

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return write_seeds(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
