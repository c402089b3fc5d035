/*
 * bus_msg.c - the registry of bus message types: body descriptor, kind,
 * reply type and a validator for meaning, per Parapet__MsgType.
 *
 * Pure: no I/O, no allocation. The bodies checked here were sent by another
 * process and are untrusted: protobuf-c has checked their encoding, the
 * validators check what protobuf cannot (name syntax, enum ranges of open
 * proto3 enums, byte-string lengths, list sizes). A new message type is a
 * new row in msgtypes[]; tests/unit/common/test_frame.c walks the MsgType
 * enum descriptor and fails for any value without a row.
 */
#include <errno.h>
#include <string.h>

#include "bus_msg.h"
#include "frame.h"
#include "util.h"

#define REQ	PARAPET__MSG_KIND__MSG_KIND_REQUEST
#define REP	PARAPET__MSG_KIND__MSG_KIND_REPLY
#define EVT	PARAPET__MSG_KIND__MSG_KIND_EVENT

/* ---- field checks ---- */

static bool
charset_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= max)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return n > 0;
}

bool
frame_name_ok(const char *s)
{
	return charset_ok(s, BUS_NAME_MAX);
}

bool
bus_counter_name_ok(const char *s)
{
	return charset_ok(s, BUS_COUNTER_NAME_MAX);
}

bool
bus_text_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	/* Control characters would let a peer forge lines in our logs. */
	for (n = 0; s[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)s[n];

		if (n >= max || ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

/* Open proto3 enums unpack any int32; only the listed values mean
 * anything. UNSPEC is never a valid state on the wire. */
static bool
server_state_ok(Parapet__ServerState st)
{
	return st >= PARAPET__SERVER_STATE__SERVER_STATE_STOPPED &&
	    st <= PARAPET__SERVER_STATE__SERVER_STATE_STOPPING;
}

static int
region_valid(const Parapet__RegionInfo *r)
{
	if (r == NULL || !frame_name_ok(r->name))
		return -EINVAL;
	if (r->uuid.len != BUS_UUID_BYTES)
		return -EINVAL;
	if (r->digest.len != 0 && r->digest.len != BUS_DIGEST_BYTES)
		return -EINVAL;
	if (r->side > 1)
		return -EINVAL;
	return 0;
}

static int
regions_valid(Parapet__RegionInfo *const *v, size_t n)
{
	size_t i;

	if (n > BUS_REGIONS_MAX || (n != 0 && v == NULL))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (region_valid(v[i]) != 0)
			return -EINVAL;
	return 0;
}

/* ---- validators, one per body type that carries meaning ---- */

/*
 * Each validator receives a body unpacked (or about to be packed) with the
 * descriptor of its row, so the cast to the generated struct is sound: the
 * ProtobufCMessage is its first member.
 */
#define BODY(T, m)	((const T *)(const void *)(m))

static int
hello_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__HelloRequest *m = BODY(Parapet__HelloRequest, msg);

	return frame_name_ok(m->name) ? 0 : -EINVAL;
}

static int
hello_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__HelloReply *m = BODY(Parapet__HelloReply, msg);

	return bus_text_ok(m->broker, BUS_PATH_MAX) ? 0 : -EINVAL;
}

static int
subscribe_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SubscribeRequest *m =
	    BODY(Parapet__SubscribeRequest, msg);

	return frame_name_ok(m->topic) ? 0 : -EINVAL;
}

static int
unsubscribe_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__UnsubscribeRequest *m =
	    BODY(Parapet__UnsubscribeRequest, msg);

	return frame_name_ok(m->topic) ? 0 : -EINVAL;
}

static int
ping_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__PingReply *m = BODY(Parapet__PingReply, msg);

	return frame_name_ok(m->name) ? 0 : -EINVAL;
}

static int
counters_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__CountersReply *m = BODY(Parapet__CountersReply, msg);
	size_t i;

	if (!frame_name_ok(m->name))
		return -EINVAL;
	if (m->n_counters > BUS_COUNTERS_MAX ||
	    (m->n_counters != 0 && m->counters == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_counters; i++)
		if (m->counters[i] == NULL ||
		    !bus_counter_name_ok(m->counters[i]->name))
			return -EINVAL;
	return 0;
}

static int
ready_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__ReadyEvent *m = BODY(Parapet__ReadyEvent, msg);

	if (!frame_name_ok(m->name))
		return -EINVAL;
	return regions_valid(m->regions, m->n_regions);
}

static int
server_state_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__ServerStateEvent *m =
	    BODY(Parapet__ServerStateEvent, msg);

	if (!frame_name_ok(m->name) || !server_state_ok(m->state))
		return -EINVAL;
	return bus_text_ok(m->reason, BUS_TEXT_MAX) ? 0 : -EINVAL;
}

static int
server_status_valid(const Parapet__ServerStatus *s)
{
	if (s == NULL || !frame_name_ok(s->name) || !server_state_ok(s->state))
		return -EINVAL;
	if (!bus_text_ok(s->last_exit, BUS_TEXT_MAX))
		return -EINVAL;
	return regions_valid(s->regions, s->n_regions);
}

static int
status_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__StatusReply *m = BODY(Parapet__StatusReply, msg);
	size_t i;

	if (!bus_text_ok(m->instance, BUS_PATH_MAX))
		return -EINVAL;
	if (m->n_servers > BUS_SERVERS_MAX ||
	    (m->n_servers != 0 && m->servers == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_servers; i++)
		if (server_status_valid(m->servers[i]) != 0)
			return -EINVAL;
	return regions_valid(m->regions, m->n_regions);
}

static int
region_info_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__RegionInfoReply *m =
	    BODY(Parapet__RegionInfoReply, msg);

	return regions_valid(m->regions, m->n_regions);
}

/* ---- keyd.proto validators ---- */

/* ---- policyd.proto validators ---- */

/* ---- ipsecd.proto validators ---- */

/* ---- the table ---- */

#define T(v)	PARAPET__MSG_TYPE__MSG_##v
#define ROW(v, nm, d, fn, k, rep) \
	[T(v)] = { T(v), nm, &parapet__##d##__descriptor, fn, k, rep }

/* Indexed by type; a hole (desc NULL) is an unknown type. */
static const struct bus_msgtype msgtypes[] = {
	ROW(HELLO_REQUEST, "HelloRequest", hello_request,
	    hello_request_valid, REQ, T(HELLO_REPLY)),
	ROW(HELLO_REPLY, "HelloReply", hello_reply,
	    hello_reply_valid, REP, 0),
	ROW(SUBSCRIBE_REQUEST, "SubscribeRequest", subscribe_request,
	    subscribe_request_valid, REQ, T(SUBSCRIBE_REPLY)),
	ROW(SUBSCRIBE_REPLY, "SubscribeReply", subscribe_reply,
	    NULL, REP, 0),
	ROW(UNSUBSCRIBE_REQUEST, "UnsubscribeRequest", unsubscribe_request,
	    unsubscribe_request_valid, REQ, T(UNSUBSCRIBE_REPLY)),
	ROW(UNSUBSCRIBE_REPLY, "UnsubscribeReply", unsubscribe_reply,
	    NULL, REP, 0),
	ROW(PING_REQUEST, "PingRequest", ping_request,
	    NULL, REQ, T(PING_REPLY)),
	ROW(PING_REPLY, "PingReply", ping_reply,
	    ping_reply_valid, REP, 0),
	ROW(COUNTERS_REQUEST, "CountersRequest", counters_request,
	    NULL, REQ, T(COUNTERS_REPLY)),
	ROW(COUNTERS_REPLY, "CountersReply", counters_reply,
	    counters_reply_valid, REP, 0),
	ROW(ERROR_REPLY, "ErrorReply", error_reply,
	    NULL, REP, 0),
	/* supervisor.proto */
	ROW(READY_EVENT, "ReadyEvent", ready_event,
	    ready_event_valid, EVT, 0),
	ROW(SERVER_STATE_EVENT, "ServerStateEvent", server_state_event,
	    server_state_event_valid, EVT, 0),
	ROW(STATUS_REQUEST, "StatusRequest", status_request,
	    NULL, REQ, T(STATUS_REPLY)),
	ROW(STATUS_REPLY, "StatusReply", status_reply,
	    status_reply_valid, REP, 0),
	ROW(REGION_INFO_REQUEST, "RegionInfoRequest", region_info_request,
	    NULL, REQ, T(REGION_INFO_REPLY)),
	ROW(REGION_INFO_REPLY, "RegionInfoReply", region_info_reply,
	    region_info_reply_valid, REP, 0),
	ROW(SHUTDOWN_REQUEST, "ShutdownRequest", shutdown_request,
	    NULL, REQ, T(SHUTDOWN_REPLY)),
	ROW(SHUTDOWN_REPLY, "ShutdownReply", shutdown_reply,
	    NULL, REP, 0),
	/* keyd.proto (100-199) */
	/* policyd.proto (200-299) */
	/* ipsecd.proto (300-399) */
};
/* tests/unit/common/test_frame.c checks that every MsgType has a row. */

const struct bus_msgtype *
bus_msgtype_get(uint32_t type)
{
	const struct bus_msgtype *t;

	if (type >= nitems(msgtypes))
		return NULL;
	t = &msgtypes[type];
	return t->desc != NULL ? t : NULL;
}
