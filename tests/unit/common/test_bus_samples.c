/*
 * test_bus_samples.c - see test_bus_samples.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_bus_samples.h"

static const uint8_t uuid16[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static const uint8_t digest16[16] = {
	0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
	0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
};

/* protobuf-c's generated structs are not const-correct; packing only
 * reads what they point at. */
char *
mut(const char *s)
{
	union {
		const char	*c;
		char		*w;
	} u = { .c = s };

	return u.w;
}

uint8_t *
mutb(const uint8_t *s)
{
	union {
		const uint8_t	*c;
		uint8_t		*w;
	} u = { .c = s };

	return u.w;
}

/* ---- one valid sample body per type ---- */



struct samples sm;

static void
samples_bus(struct samples *s)
{
	parapet__hello_request__init(&s->hello_rq);
	s->hello_rq.name = "keyd";
	s->hello_rq.pid = 4242;
	parapet__hello_reply__init(&s->hello_rp);
	s->hello_rp.broker = "/run/parapet";
	s->hello_rp.epoch = 1700000000123456789ull;
	parapet__subscribe_request__init(&s->sub_rq);
	s->sub_rq.topic = "server";
	parapet__subscribe_reply__init(&s->sub_rp);
	parapet__unsubscribe_request__init(&s->unsub_rq);
	s->unsub_rq.topic = "sa.expired";
	parapet__unsubscribe_reply__init(&s->unsub_rp);
	parapet__ping_request__init(&s->ping_rq);
	s->ping_rq.nonce = 0x0123456789abcdefull;
	parapet__ping_reply__init(&s->ping_rp);
	s->ping_rp.nonce = 0x0123456789abcdefull;
	s->ping_rp.name = "ipsecd";
	s->ping_rp.pid = 77;
	s->ping_rp.uptime_ms = 123456;
	parapet__counters_request__init(&s->cnt_rq);
	parapet__counter__init(&s->cnt[0]);
	s->cnt[0].name = "bus.frames_in";
	s->cnt[0].value = 10;
	parapet__counter__init(&s->cnt[1]);
	s->cnt[1].name = "pfkey.rejected.bad_len";
	s->cnt[1].value = 0xffffffffffull;
	s->cntp[0] = &s->cnt[0];
	s->cntp[1] = &s->cnt[1];
	parapet__counters_reply__init(&s->cnt_rp);
	s->cnt_rp.name = "keyd";
	s->cnt_rp.n_counters = 2;
	s->cnt_rp.counters = s->cntp;
}

static void
samples_regions(struct samples *s)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		parapet__region_info__init(&s->region[i]);
		s->region[i].inode = 31337 + i;
		s->region[i].uuid.data = mutb(uuid16);
		s->region[i].uuid.len = sizeof(uuid16);
		s->region[i].size = 1u << 22;
		s->regionp[i] = &s->region[i];
	}
	s->region[0].name = "ring0";
	s->region[0].digest.data = mutb(digest16);
	s->region[0].digest.len = sizeof(digest16);
	s->region[0].side = 1;
	s->region[1].name = "ring1";	/* no digest, side 0 */
}

static void
samples_supervisor(struct samples *s)
{
	parapet__ready_event__init(&s->ready);
	s->ready.name = "ipsecd";
	s->ready.pid = 77;
	s->ready.n_regions = 2;
	s->ready.regions = s->regionp;
	parapet__server_state_event__init(&s->state);
	s->state.name = "netd";
	s->state.state = PARAPET__SERVER_STATE__SERVER_STATE_BACKOFF;
	s->state.restarts = 3;
	s->state.reason = "killed by signal 9";
	parapet__status_request__init(&s->status_rq);
	parapet__server_status__init(&s->server);
	s->server.name = "keyd";
	s->server.state = PARAPET__SERVER_STATE__SERVER_STATE_READY;
	s->server.pid = 4242;
	s->server.uptime_ms = 1000;
	s->server.last_exit = "exit 1";
	s->serverp[0] = &s->server;
	parapet__status_reply__init(&s->status_rp);
	s->status_rp.instance = "/run/parapet";
	s->status_rp.pid = 1;
	s->status_rp.uptime_ms = 99;
	s->status_rp.n_servers = 1;
	s->status_rp.servers = s->serverp;
	s->status_rp.n_regions = 1;
	s->status_rp.regions = s->regionp;
	parapet__region_info_request__init(&s->rinfo_rq);
	parapet__region_info_reply__init(&s->rinfo_rp);
	s->rinfo_rp.n_regions = 2;
	s->rinfo_rp.regions = s->regionp;
	parapet__shutdown_request__init(&s->shut_rq);
	parapet__shutdown_reply__init(&s->shut_rp);
}

void
samples_init(void)
{
	memset(&sm, 0, sizeof(sm));
	samples_bus(&sm);
	samples_regions(&sm);
	samples_supervisor(&sm);
}

/* The sample body for a type; NULL for ERROR_REPLY. */
ProtobufCMessage *
sample(uint32_t type)
{
	struct samples *s = &sm;

	switch (type) {
	case T(HELLO_REQUEST):		return &s->hello_rq.base;
	case T(HELLO_REPLY):		return &s->hello_rp.base;
	case T(SUBSCRIBE_REQUEST):	return &s->sub_rq.base;
	case T(SUBSCRIBE_REPLY):	return &s->sub_rp.base;
	case T(UNSUBSCRIBE_REQUEST):	return &s->unsub_rq.base;
	case T(UNSUBSCRIBE_REPLY):	return &s->unsub_rp.base;
	case T(PING_REQUEST):		return &s->ping_rq.base;
	case T(PING_REPLY):		return &s->ping_rp.base;
	case T(COUNTERS_REQUEST):	return &s->cnt_rq.base;
	case T(COUNTERS_REPLY):		return &s->cnt_rp.base;
	case T(ERROR_REPLY):		return NULL;
	case T(READY_EVENT):		return &s->ready.base;
	case T(SERVER_STATE_EVENT):	return &s->state.base;
	case T(STATUS_REQUEST):		return &s->status_rq.base;
	case T(STATUS_REPLY):		return &s->status_rp.base;
	case T(REGION_INFO_REQUEST):	return &s->rinfo_rq.base;
	case T(REGION_INFO_REPLY):	return &s->rinfo_rp.base;
	case T(SHUTDOWN_REQUEST):	return &s->shut_rq.base;
	case T(SHUTDOWN_REPLY):		return &s->shut_rp.base;
	default:
		fail_msg("no sample for type %u", type);
		return NULL;
	}
}

/* A valid header for a type: each kind with its addressing. */
struct frame_hdr
hdr_for(uint32_t type)
{
	const struct bus_msgtype *t = bus_msgtype_get(type);
	struct frame_hdr h;

	assert_non_null(t);
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.kind = t->kind;
	switch (t->kind) {
	case REQ:
		h.corr = 0x1000 + type;
		h.src = "parapetctl";
		h.dst = "supervisor";
		break;
	case REP:
		h.corr = 0x1000 + type;
		h.src = "supervisor";
		h.dst = "parapetctl";
		if (type == T(ERROR_REPLY))
			h.error = -ENOENT;
		break;
	default:
		h.src = "keyd";
		h.topic = "server";
		break;
	}
	return h;
}

/* Every type registered, in MsgType order. */
size_t
all_types(uint32_t *out, size_t max)
{
	const ProtobufCEnumDescriptor *ed = &parapet__msg_type__descriptor;
	size_t i, n = 0;

	for (i = 0; i < ed->n_values; i++) {
		if (ed->values[i].value == T(NONE))
			continue;
		assert_true(n < max);
		out[n++] = (uint32_t)ed->values[i].value;
	}
	return n;
}

void
encode_type(uint32_t type, uint8_t **out, size_t *len)
{
	struct frame_hdr h = hdr_for(type);
	int error;

	error = frame_encode(&h, sample(type), out, len);
	if (error != 0)
		fail_msg("encode %s: %d", bus_msgtype_get(type)->name, error);
}
