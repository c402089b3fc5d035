/*
 * test_bus_rejects.c - every way a bus frame can be wrong, one table row
 * each, refused with its precise frame_reject: by the stream decoder
 * (oversized, empty, truncated; before any allocation) and by
 * frame_msg_parse() (envelope, kind, type, names, body, validators). The
 * encoder refuses to produce the same mistakes.
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

/* ---- decoder rejects ---- */

static int
never(const uint8_t *p, size_t n, void *arg)
{
	(void)p;
	(void)n;
	(void)arg;
	fail_msg("no frame expected");
	return 0;
}

static void
test_decoder_rejects(void **state)
{
	static const struct {
		const char		*name;
		uint8_t			 bytes[8];
		size_t			 len;
		int			 feed;	/* expected return */
		enum frame_reject	 why;	/* from feed, else eof */
	} rows[] = {
		{ "empty", { 0, 0, 0, 0 }, 4, -EBADMSG, FRAME_REJECT_EMPTY },
		{ "max+1", { 0x00, 0x04, 0x00, 0x01 }, 4, -EBADMSG,
		    FRAME_REJECT_OVERSIZE },
		{ "2^32-1", { 0xff, 0xff, 0xff, 0xff }, 4, -EBADMSG,
		    FRAME_REJECT_OVERSIZE },
		{ "2^31", { 0x80, 0, 0, 0 }, 4, -EBADMSG,
		    FRAME_REJECT_OVERSIZE },
		{ "max", { 0x00, 0x04, 0x00, 0x00, 1, 2 }, 6, 0,
		    FRAME_REJECT_TRUNCATED },
		{ "short body", { 0, 0, 0, 10, 1, 2, 3 }, 7, 0,
		    FRAME_REJECT_TRUNCATED },
		{ "short header", { 0, 0, 0 }, 3, 0, FRAME_REJECT_TRUNCATED },
		{ "header only", { 0, 0, 0, 1 }, 4, 0,
		    FRAME_REJECT_TRUNCATED },
		{ "nothing", { 0 }, 0, 0, FRAME_OK },
	};
	size_t i;

	(void)state;
	_Static_assert(BUS_FRAME_MAX == 0x40000, "rows assume 256 KiB");
	for (i = 0; i < nitems(rows); i++) {
		struct frame_decoder d;
		enum frame_reject why;
		int r;

		frame_decoder_init(&d);
		r = frame_decoder_feed(&d, rows[i].bytes, rows[i].len, never,
		    NULL, &why);
		if (r != rows[i].feed)
			fail_msg("%s: feed %d, want %d", rows[i].name, r,
			    rows[i].feed);
		if (r != 0) {
			if (why != rows[i].why)
				fail_msg("%s: %s, want %s", rows[i].name,
				    frame_reject_str(why),
				    frame_reject_str(rows[i].why));
			/* Refused before any allocation. */
			assert_null(d.buf);
			/* The error sticks. */
			assert_int_equal(frame_decoder_feed(&d, rows[i].bytes,
			    1, never, NULL, &why), -EBADMSG);
			assert_int_equal(why, rows[i].why);
		} else {
			assert_int_equal(why, FRAME_OK);
			if (frame_decoder_eof(&d) != rows[i].why)
				fail_msg("%s: eof %s, want %s", rows[i].name,
				    frame_reject_str(frame_decoder_eof(&d)),
				    frame_reject_str(rows[i].why));
		}
		frame_decoder_free(&d);
	}
}

/* ---- envelope and body rejects ---- */

/* An envelope built field by field, bypassing frame_encode's checks. */
struct raw {
	uint32_t		 type;
	uint32_t		 kind;
	uint64_t		 corr;
	const char		*src;
	const char		*dst;
	const char		*topic;
	int32_t			 error;
	ProtobufCMessage	*body;
	const uint8_t		*body_bytes;	/* instead of body */
	size_t			 body_len;
	const uint8_t		*env_bytes;	/* instead of everything */
	size_t			 env_len;
};

static uint8_t *
raw_pack(const struct raw *r, size_t *len)
{
	Parapet__Envelope env;
	uint8_t *out, *body = NULL;

	if (r->env_bytes != NULL) {
		out = malloc(r->env_len + 1);
		memcpy(out, r->env_bytes, r->env_len);
		*len = r->env_len;
		return out;
	}
	parapet__envelope__init(&env);
	env.type = (Parapet__MsgType)r->type;
	env.kind = (Parapet__MsgKind)r->kind;
	env.corr = r->corr;
	env.src = mut(r->src != NULL ? r->src : "");
	env.dst = mut(r->dst != NULL ? r->dst : "");
	env.topic = mut(r->topic != NULL ? r->topic : "");
	env.error = r->error;
	if (r->body != NULL) {
		env.body.len = protobuf_c_message_get_packed_size(r->body);
		body = malloc(env.body.len + 1);
		protobuf_c_message_pack(r->body, body);
		env.body.data = body;
	} else if (r->body_bytes != NULL) {
		env.body.data = mutb(r->body_bytes);
		env.body.len = r->body_len;
	}
	*len = parapet__envelope__get_packed_size(&env);
	out = malloc(*len + 1);
	parapet__envelope__pack(&env, out);
	free(body);
	return out;
}

/* Start from a valid header and body of `type`. */
static struct raw
raw_valid(uint32_t type)
{
	struct frame_hdr h = hdr_for(type);
	struct raw r;

	memset(&r, 0, sizeof(r));
	r.type = h.type;
	r.kind = h.kind;
	r.corr = h.corr;
	r.src = h.src;
	r.dst = h.dst;
	r.topic = h.topic;
	r.error = h.error;
	r.body = sample(type);
	return r;
}

static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/* Field 1 (name), wire type 2, length 200: runs past the end. */
static const uint8_t bad_len[] = { 0x0a, 0xc8, 0x01, 'a', 'b' };

static Parapet__Counter many_cnt[BUS_COUNTERS_MAX + 1];
static Parapet__Counter *many_cntp[BUS_COUNTERS_MAX + 1];

/* Edits applied to a copy of the samples; each breaks one rule. */
enum edit {
	E_NONE,
	E_HELLO_NAME_UPPER, E_HELLO_NAME_EMPTY, E_HELLO_NAME_LONG,
	E_SUB_TOPIC_SPACE, E_PING_NAME_EMPTY,
	E_UUID_15, E_UUID_17, E_UUID_0, E_DIGEST_8, E_DIGEST_17, E_SIDE_2,
	E_REGION_NAME, E_REGIONS_TOO_MANY,
	E_STATE_UNSPEC, E_STATE_99, E_STATE_NEG, E_REASON_NEWLINE,
	E_REASON_LONG, E_SERVER_STATE_0, E_SERVER_REGION_UUID,
	E_COUNTER_NAME, E_COUNTERS_TOO_MANY, E_HELLO_BROKER_CTRL,
};

struct bad_row {
	const char		*name;
	uint32_t		 type;
	enum edit		 edit;
	void			(*env)(struct raw *);
	enum frame_reject	 want;
};

static void env_garbage(struct raw *r) {
	r->env_bytes = garbage; r->env_len = sizeof(garbage); }
static void env_bad_len(struct raw *r) {
	r->env_bytes = bad_len; r->env_len = sizeof(bad_len); }
static void env_kind0(struct raw *r) { r->kind = 0; }
static void env_kind4(struct raw *r) { r->kind = 4; }
static void env_kind_neg(struct raw *r) { r->kind = (uint32_t)-1; }
static void env_as_event(struct raw *r) {
	r->kind = EVT; r->topic = "server"; r->dst = NULL; r->corr = 0; }
static void env_as_reply(struct raw *r) { r->kind = REP; }
static void env_as_request(struct raw *r) {
	r->kind = REQ; r->topic = NULL; r->dst = "keyd"; r->corr = 9; }
static void env_type0(struct raw *r) { r->type = 0; }
static void env_type12(struct raw *r) { r->type = 12; }
static void env_type_big(struct raw *r) { r->type = 99999; }
static void env_dst_upper(struct raw *r) { r->dst = "Keyd"; }
static void env_src_long(struct raw *r) {
	r->src = "abcdefghijklmnopqrstuvwxyz0123456"; }
static void env_topic_slash(struct raw *r) { r->topic = "a/b"; }
static void env_no_dst(struct raw *r) { r->dst = NULL; }
static void env_no_topic(struct raw *r) { r->topic = NULL; }
static void env_topic_on_req(struct raw *r) { r->topic = "server"; }
static void env_dst_on_event(struct raw *r) { r->dst = "keyd"; }
static void env_corr0(struct raw *r) { r->corr = 0; }
static void env_corr_event(struct raw *r) { r->corr = 5; }
static void env_error_on_reply(struct raw *r) { r->error = -EIO; }
static void env_error_on_req(struct raw *r) { r->error = -EIO; }
static void env_error0(struct raw *r) { r->error = 0; }
static void env_error_pos(struct raw *r) { r->error = EIO; }
static void env_error_huge(struct raw *r) { r->error = -5000; }
static void env_body_garbage(struct raw *r) {
	r->body = NULL; r->body_bytes = garbage;
	r->body_len = sizeof(garbage); }
static void env_body_bad_len(struct raw *r) {
	r->body = NULL; r->body_bytes = bad_len;
	r->body_len = sizeof(bad_len); }
static void env_error_body_garbage(struct raw *r) {
	r->body_bytes = garbage; r->body_len = sizeof(garbage); }

static const struct bad_row bad_rows[] = {
	/* The envelope itself. */
	{ "garbage", T(PING_REQUEST), E_NONE, env_garbage,
	    FRAME_REJECT_UNPACK },
	{ "length past end", T(PING_REQUEST), E_NONE, env_bad_len,
	    FRAME_REJECT_UNPACK },
	{ "kind 0", T(PING_REQUEST), E_NONE, env_kind0, FRAME_REJECT_KIND },
	{ "kind 4", T(PING_REQUEST), E_NONE, env_kind4, FRAME_REJECT_KIND },
	{ "kind -1", T(PING_REQUEST), E_NONE, env_kind_neg,
	    FRAME_REJECT_KIND },
	{ "request as event", T(HELLO_REQUEST), E_NONE, env_as_event,
	    FRAME_REJECT_KIND },
	{ "request as reply", T(PING_REQUEST), E_NONE, env_as_reply,
	    FRAME_REJECT_KIND },
	{ "reply as request", T(PING_REPLY), E_NONE, env_as_request,
	    FRAME_REJECT_KIND },
	{ "event as request", T(READY_EVENT), E_NONE, env_as_request,
	    FRAME_REJECT_KIND },
	{ "type 0", T(PING_REQUEST), E_NONE, env_type0, FRAME_REJECT_TYPE },
	{ "type hole", T(PING_REQUEST), E_NONE, env_type12,
	    FRAME_REJECT_TYPE },
	{ "type 99999", T(PING_REQUEST), E_NONE, env_type_big,
	    FRAME_REJECT_TYPE },
	{ "dst upper case", T(PING_REQUEST), E_NONE, env_dst_upper,
	    FRAME_REJECT_NAME },
	{ "src 33 chars", T(PING_REPLY), E_NONE, env_src_long,
	    FRAME_REJECT_NAME },
	{ "topic slash", T(READY_EVENT), E_NONE, env_topic_slash,
	    FRAME_REJECT_NAME },
	{ "request without dst", T(PING_REQUEST), E_NONE, env_no_dst,
	    FRAME_REJECT_NAME },
	{ "event without topic", T(READY_EVENT), E_NONE, env_no_topic,
	    FRAME_REJECT_NAME },
	{ "topic on request", T(PING_REQUEST), E_NONE, env_topic_on_req,
	    FRAME_REJECT_NAME },
	{ "dst on event", T(SERVER_STATE_EVENT), E_NONE, env_dst_on_event,
	    FRAME_REJECT_NAME },
	{ "request corr 0", T(PING_REQUEST), E_NONE, env_corr0,
	    FRAME_REJECT_INVALID },
	{ "reply corr 0", T(PING_REPLY), E_NONE, env_corr0,
	    FRAME_REJECT_INVALID },
	{ "event with corr", T(READY_EVENT), E_NONE, env_corr_event,
	    FRAME_REJECT_INVALID },
	{ "error on a reply", T(PING_REPLY), E_NONE, env_error_on_reply,
	    FRAME_REJECT_INVALID },
	{ "error on a request", T(PING_REQUEST), E_NONE, env_error_on_req,
	    FRAME_REJECT_INVALID },
	{ "error reply, error 0", T(ERROR_REPLY), E_NONE, env_error0,
	    FRAME_REJECT_INVALID },
	{ "error reply, error > 0", T(ERROR_REPLY), E_NONE, env_error_pos,
	    FRAME_REJECT_INVALID },
	{ "error reply, error -5000", T(ERROR_REPLY), E_NONE, env_error_huge,
	    FRAME_REJECT_INVALID },
	/* Bodies that do not unpack. */
	{ "hello body garbage", T(HELLO_REQUEST), E_NONE, env_body_garbage,
	    FRAME_REJECT_BODY },
	{ "status body past end", T(STATUS_REPLY), E_NONE, env_body_bad_len,
	    FRAME_REJECT_BODY },
	{ "error reply body garbage", T(ERROR_REPLY), E_NONE,
	    env_error_body_garbage, FRAME_REJECT_BODY },
	/* Bodies that unpack but mean nothing. */
	{ "hello name upper", T(HELLO_REQUEST), E_HELLO_NAME_UPPER, NULL,
	    FRAME_REJECT_INVALID },
	{ "hello name empty", T(HELLO_REQUEST), E_HELLO_NAME_EMPTY, NULL,
	    FRAME_REJECT_INVALID },
	{ "hello name 33", T(HELLO_REQUEST), E_HELLO_NAME_LONG, NULL,
	    FRAME_REJECT_INVALID },
	{ "hello reply ctrl", T(HELLO_REPLY), E_HELLO_BROKER_CTRL, NULL,
	    FRAME_REJECT_INVALID },
	{ "subscribe topic space", T(SUBSCRIBE_REQUEST), E_SUB_TOPIC_SPACE,
	    NULL, FRAME_REJECT_INVALID },
	{ "ping reply no name", T(PING_REPLY), E_PING_NAME_EMPTY, NULL,
	    FRAME_REJECT_INVALID },
	{ "uuid 15", T(READY_EVENT), E_UUID_15, NULL, FRAME_REJECT_INVALID },
	{ "uuid 17", T(REGION_INFO_REPLY), E_UUID_17, NULL,
	    FRAME_REJECT_INVALID },
	{ "uuid 0", T(STATUS_REPLY), E_UUID_0, NULL, FRAME_REJECT_INVALID },
	{ "digest 8", T(READY_EVENT), E_DIGEST_8, NULL,
	    FRAME_REJECT_INVALID },
	{ "digest 17", T(REGION_INFO_REPLY), E_DIGEST_17, NULL,
	    FRAME_REJECT_INVALID },
	{ "side 2", T(READY_EVENT), E_SIDE_2, NULL, FRAME_REJECT_INVALID },
	{ "region name", T(REGION_INFO_REPLY), E_REGION_NAME, NULL,
	    FRAME_REJECT_INVALID },
	{ "65 regions", T(READY_EVENT), E_REGIONS_TOO_MANY, NULL,
	    FRAME_REJECT_INVALID },
	{ "state unspec", T(SERVER_STATE_EVENT), E_STATE_UNSPEC, NULL,
	    FRAME_REJECT_INVALID },
	{ "state 99", T(SERVER_STATE_EVENT), E_STATE_99, NULL,
	    FRAME_REJECT_INVALID },
	{ "state -1", T(SERVER_STATE_EVENT), E_STATE_NEG, NULL,
	    FRAME_REJECT_INVALID },
	{ "reason newline", T(SERVER_STATE_EVENT), E_REASON_NEWLINE, NULL,
	    FRAME_REJECT_INVALID },
	{ "reason 257", T(SERVER_STATE_EVENT), E_REASON_LONG, NULL,
	    FRAME_REJECT_INVALID },
	{ "status server state 0", T(STATUS_REPLY), E_SERVER_STATE_0, NULL,
	    FRAME_REJECT_INVALID },
	{ "status server region", T(STATUS_REPLY), E_SERVER_REGION_UUID, NULL,
	    FRAME_REJECT_INVALID },
	{ "counter name", T(COUNTERS_REPLY), E_COUNTER_NAME, NULL,
	    FRAME_REJECT_INVALID },
	{ "4097 counters", T(COUNTERS_REPLY), E_COUNTERS_TOO_MANY, NULL,
	    FRAME_REJECT_INVALID },
};

static char long_text[BUS_TEXT_MAX + 2];

static void
apply_edit(enum edit e)
{
	struct samples *s = &sm;
	size_t i;

	switch (e) {
	case E_NONE:
		break;
	case E_HELLO_NAME_UPPER:
		s->hello_rq.name = "Keyd";
		break;
	case E_HELLO_NAME_EMPTY:
		s->hello_rq.name = "";
		break;
	case E_HELLO_NAME_LONG:
		s->hello_rq.name = "abcdefghijklmnopqrstuvwxyz0123456";
		break;
	case E_HELLO_BROKER_CTRL:
		s->hello_rp.broker = "/run/\x1b[2J";
		break;
	case E_SUB_TOPIC_SPACE:
		s->sub_rq.topic = "sa expired";
		break;
	case E_PING_NAME_EMPTY:
		s->ping_rp.name = "";
		break;
	case E_UUID_15:
		s->region[1].uuid.len = 15;
		break;
	case E_UUID_17:
		s->region[0].uuid.data = (uint8_t *)long_text;
		s->region[0].uuid.len = 17;
		break;
	case E_UUID_0:
		s->region[0].uuid.len = 0;
		break;
	case E_DIGEST_8:
		s->region[0].digest.len = 8;
		break;
	case E_DIGEST_17:
		s->region[1].digest.data = (uint8_t *)long_text;
		s->region[1].digest.len = 17;
		break;
	case E_SIDE_2:
		s->region[0].side = 2;
		break;
	case E_REGION_NAME:
		s->region[1].name = "ring 1";
		break;
	case E_REGIONS_TOO_MANY: {
		static Parapet__RegionInfo *v[BUS_REGIONS_MAX + 1];

		for (i = 0; i < nitems(v); i++)
			v[i] = &s->region[0];
		s->ready.regions = v;
		s->ready.n_regions = nitems(v);
		break;
	}
	case E_STATE_UNSPEC:
		s->state.state = PARAPET__SERVER_STATE__SERVER_STATE_UNSPEC;
		break;
	case E_STATE_99:
		s->state.state = (Parapet__ServerState)99;
		break;
	case E_STATE_NEG:
		s->state.state = (Parapet__ServerState)-1;
		break;
	case E_REASON_NEWLINE:
		s->state.reason = "exit 1\nkeyd[1]: fatal: forged";
		break;
	case E_REASON_LONG:
		memset(long_text, 'x', BUS_TEXT_MAX + 1);
		long_text[BUS_TEXT_MAX + 1] = '\0';
		s->state.reason = long_text;
		break;
	case E_SERVER_STATE_0:
		s->server.state = PARAPET__SERVER_STATE__SERVER_STATE_UNSPEC;
		break;
	case E_SERVER_REGION_UUID:
		s->server.n_regions = 1;
		s->server.regions = &s->regionp[1];
		s->region[1].uuid.len = 4;
		break;
	case E_COUNTER_NAME:
		s->cnt[1].name = "pfkey.Rejected";
		break;
	case E_COUNTERS_TOO_MANY:
		for (i = 0; i < nitems(many_cnt); i++) {
			parapet__counter__init(&many_cnt[i]);
			many_cnt[i].name = "c";
			many_cntp[i] = &many_cnt[i];
		}
		s->cnt_rp.counters = many_cntp;
		s->cnt_rp.n_counters = nitems(many_cnt);
		break;
	}
}

static void
test_parse_rejects(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad_rows); i++) {
		const struct bad_row *row = &bad_rows[i];
		struct frame_hdr h;
		enum frame_reject why;
		struct bus_msg m;
		uint8_t *env, *out;
		struct raw r;
		size_t len, outlen;
		int ret;

		samples_init();
		apply_edit(row->edit);
		r = raw_valid(row->type);
		if (row->env != NULL)
			row->env(&r);
		env = raw_pack(&r, &len);
		ret = frame_msg_parse(env, len, &m, &why);
		if (ret != -EBADMSG || why != row->want)
			fail_msg("%s: got %d %s, want %s", row->name, ret,
			    frame_reject_str(why), frame_reject_str(row->want));
		assert_null(m.env);
		assert_null(m.body);
		/* The encoder refuses to produce what the parser refuses. */
		if (row->env == NULL || row->want != FRAME_REJECT_UNPACK) {
			memset(&h, 0, sizeof(h));
			h.type = r.type;
			h.kind = r.kind;
			h.corr = r.corr;
			h.src = r.src;
			h.dst = r.dst;
			h.topic = r.topic;
			h.error = r.error;
			if (r.body != NULL) {
				ret = frame_encode(&h, r.body, &out, &outlen);
				if (ret != -EINVAL)
					fail_msg("%s: encode %d", row->name,
					    ret);
			}
		}
		free(env);
	}
	samples_init();
}

static void
test_parse_limits(void **state)
{
	static uint8_t zeros[BUS_FRAME_MAX + 1];
	enum frame_reject why;
	struct bus_msg m;

	(void)state;
	assert_int_equal(frame_msg_parse(zeros, 0, &m, &why), -EBADMSG);
	assert_int_equal(why, FRAME_REJECT_EMPTY);
	assert_int_equal(frame_msg_parse(zeros, sizeof(zeros), &m, &why),
	    -EBADMSG);
	assert_int_equal(why, FRAME_REJECT_OVERSIZE);
}

static int
setup(void **state)
{
	(void)state;
	samples_init();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_decoder_rejects, setup),
		cmocka_unit_test_setup(test_parse_rejects, setup),
		cmocka_unit_test_setup(test_parse_limits, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
