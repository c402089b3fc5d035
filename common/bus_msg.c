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
#include <netinet/in.h>
#include <sys/socket.h>
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

/*
 * What ipsecd implements (servers/keyd/pfkey_dispatch.c keyd_algs[]):
 * key bytes per algorithm number, salt included for the AEADs. The
 * numbers are PF_KEY's (libclient/pfkeyv2.h, Linux numbering).
 */
struct sa_alg_rule {
	uint32_t	id;
	uint32_t	key_bytes;
	bool		aead;
};
static const struct sa_alg_rule sa_auth_algs[] = {
	{ 5, 32, false },	/* SADB_X_AALG_SHA2_256HMAC */
	{ 7, 64, false },	/* SADB_X_AALG_SHA2_512HMAC */
	/* With OpenSSL in ipsecd (DESIGN §10.23): */
	{ 3, 20, false },	/* SADB_AALG_SHA1HMAC */
	{ 6, 48, false },	/* SADB_X_AALG_SHA2_384HMAC */
	{ 9, 16, false },	/* SADB_X_AALG_AES_XCBC_MAC */
};
static const struct sa_alg_rule sa_enc_algs[] = {
	{ 11, 0, false },	/* SADB_EALG_NULL */
	{ 20, 36, true },	/* SADB_X_EALG_AES_GCM_ICV16: 32 + 4 salt */
	{ 25, 36, true },	/* PARAPET_SADB_X_EALG_CHACHA20POLY1305 */
	/* With OpenSSL in ipsecd: one number, several key sizes. */
	{ 20, 20, true },	/* AES-128-GCM-16 + 4 salt */
	{ 20, 28, true },	/* AES-192-GCM-16 + 4 salt */
	{ 23, 20, true },	/* SADB_X_EALG_NULL_AES_GMAC + 4 salt */
	{ 23, 28, true },
	{ 23, 36, true },
	{ 12, 16, false },	/* SADB_X_EALG_AESCBC */
	{ 12, 24, false },
	{ 12, 32, false },
	{ 13, 20, false },	/* SADB_X_EALG_AESCTR + 4 nonce */
	{ 13, 28, false },
	{ 13, 36, false },
};

/* The rule for id with a key of len bytes, else the first for id. */
static const struct sa_alg_rule *
sa_alg_find(const struct sa_alg_rule *t, size_t n, uint32_t id, size_t len)
{
	const struct sa_alg_rule *first = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].id == id) {
			if (t[i].key_bytes == len)
				return &t[i];
			if (first == NULL)
				first = &t[i];
		}
	return first;
}

/* An address: family and length agree; absent (UNSPEC, empty) if opt. */
static bool
sa_addr_ok(const Parapet__SaAddr *a, bool optional)
{
	if (a == NULL)
		return optional;
	switch (a->family) {
	case PARAPET__SA_FAMILY__SA_FAMILY_INET:
		return a->addr.len == 4;
	case PARAPET__SA_FAMILY__SA_FAMILY_INET6:
		return a->addr.len == 16;
	case PARAPET__SA_FAMILY__SA_FAMILY_UNSPEC:
		return optional && a->addr.len == 0;
	default:
		return false;
	}
}

static bool
sa_addr_present(const Parapet__SaAddr *a)
{
	return a != NULL && a->family != PARAPET__SA_FAMILY__SA_FAMILY_UNSPEC;
}

static bool
sa_proto_ok(Parapet__SaProto p)
{
	return p == PARAPET__SA_PROTO__SA_PROTO_ESP ||
	    p == PARAPET__SA_PROTO__SA_PROTO_AH;
}

/* Algorithms and key lengths of an SA (keys absent on DELETE). */
static int
sa_algs_valid(const Parapet__Sa *s, bool keys)
{
	const struct sa_alg_rule *aa = NULL, *ea = NULL;

	if (s->auth_alg != 0 && (aa = sa_alg_find(sa_auth_algs,
	    nitems(sa_auth_algs), s->auth_alg, s->auth_key.len)) == NULL)
		return -EINVAL;
	if (s->proto == PARAPET__SA_PROTO__SA_PROTO_AH) {
		if (aa == NULL || s->enc_alg != 0 || s->enc_key.len != 0)
			return -EINVAL;
	} else {
		if ((ea = sa_alg_find(sa_enc_algs, nitems(sa_enc_algs),
		    s->enc_alg, s->enc_key.len)) == NULL)
			return -EINVAL;
		/* ESP without integrity is not offered (ipsecd, RFC 8221). */
		if (ea->aead ? aa != NULL : aa == NULL)
			return -EINVAL;
	}
	if (!keys)
		return s->auth_key.len == 0 && s->enc_key.len == 0 ? 0 :
		    -EINVAL;
	if (s->auth_key.len != (aa != NULL ? aa->key_bytes : 0))
		return -EINVAL;
	if (s->enc_key.len != (ea != NULL ? ea->key_bytes : 0))
		return -EINVAL;
	return 0;
}

/*
 * Messages carrying many SAs (SaSyncReply, SaChangeBatchEvent) leave the
 * algorithms to the receiver, which refuses and counts one SA at a time
 * (ipsecd_sa_from_msg): a single SA with an algorithm this build does not
 * know (a peer of another version) must not refuse its whole page, which
 * the sender would resend forever. Keys are still bounded here.
 */
#define SA_KEY_BYTES_MAX	64
enum sa_algs_check { SA_ALGS_HERE, SA_ALGS_RECEIVER };

static int
sa_keys_bounded(const Parapet__Sa *s, bool keys)
{
	if (!keys)
		return s->auth_key.len == 0 && s->enc_key.len == 0 ? 0 :
		    -EINVAL;
	if (s->auth_key.len == 0 && s->enc_key.len == 0)
		return -EINVAL;
	return s->auth_key.len <= SA_KEY_BYTES_MAX &&
	    s->enc_key.len <= SA_KEY_BYTES_MAX ? 0 : -EINVAL;
}

static int
sa_valid_as(const Parapet__Sa *s, bool keys, enum sa_algs_check algs)
{
	if (s == NULL || s->generation == 0 || s->spi == 0 ||
	    !sa_proto_ok(s->proto))
		return -EINVAL;
	if (!sa_addr_ok(s->src, false) || !sa_addr_ok(s->dst, false) ||
	    s->src->family != s->dst->family)
		return -EINVAL;
	if (s->mode < PARAPET__SA_MODE__SA_MODE_TRANSPORT ||
	    s->mode > PARAPET__SA_MODE__SA_MODE_BEET)
		return -EINVAL;
	if (s->state != PARAPET__SA_STATE__SA_STATE_MATURE &&
	    s->state != PARAPET__SA_STATE__SA_STATE_DYING)
		return -EINVAL;
	if (s->padding < PARAPET__SA_PADDING__SA_PADDING_SEQUENTIAL ||
	    s->padding > PARAPET__SA_PADDING__SA_PADDING_ZERO)
		return -EINVAL;
	if (s->replay_window > BUS_SA_REPLAY_MAX)
		return -EINVAL;
	if (s->nat_type < PARAPET__SA_NAT_TYPE__SA_NAT_NONE ||
	    s->nat_type > PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP)
		return -EINVAL;
	if (s->nat_sport > UINT16_MAX || s->nat_dport > UINT16_MAX)
		return -EINVAL;
	if (s->nat_type == PARAPET__SA_NAT_TYPE__SA_NAT_NONE &&
	    (s->nat_sport != 0 || s->nat_dport != 0 ||
	    sa_addr_present(s->nat_oa)))
		return -EINVAL;
	if (!sa_addr_ok(s->nat_oa, true))
		return -EINVAL;
	if (algs == SA_ALGS_RECEIVER)
		return sa_keys_bounded(s, keys);
	return sa_algs_valid(s, keys);
}

static int
sa_change_valid(const Parapet__SaChangeEvent *m, enum sa_algs_check algs)
{
	switch (m->change) {
	case PARAPET__SA_CHANGE__SA_CHANGE_INSTALL:
	case PARAPET__SA_CHANGE__SA_CHANGE_UPDATE:
		if (m->reason != PARAPET__SA_DELETE_REASON__SA_DELETE_UNSPEC)
			return -EINVAL;
		return sa_valid_as(m->sa, true, algs);
	case PARAPET__SA_CHANGE__SA_CHANGE_DELETE:
		if (m->reason < PARAPET__SA_DELETE_REASON__SA_DELETE_REQUEST ||
		    m->reason > PARAPET__SA_DELETE_REASON__SA_DELETE_EXPIRED)
			return -EINVAL;
		return sa_valid_as(m->sa, false, algs);
	default:
		return -EINVAL;
	}
}

static int
sa_change_event_valid(const ProtobufCMessage *msg)
{
	return sa_change_valid(BODY(Parapet__SaChangeEvent, msg),
	    SA_ALGS_HERE);
}

static int
sa_change_batch_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__SaChangeBatchEvent *m =
	    BODY(Parapet__SaChangeBatchEvent, msg);
	size_t i;

	if (m->n_events < 1 || m->n_events > BUS_SA_CHANGE_BATCH_MAX)
		return -EINVAL;
	for (i = 0; i < m->n_events; i++)
		if (m->events[i] == NULL ||
		    sa_change_valid(m->events[i], SA_ALGS_RECEIVER) != 0)
			return -EINVAL;
	return 0;
}

static int
sa_sync_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SaSyncRequest *m = BODY(Parapet__SaSyncRequest, msg);

	return m->max >= 1 && m->max <= BUS_SA_SYNC_MAX ? 0 : -EINVAL;
}

static int
sa_sync_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SaSyncReply *m = BODY(Parapet__SaSyncReply, msg);
	size_t i;

	if (m->n_sas > BUS_SA_SYNC_MAX || (m->n_sas != 0 && m->sas == NULL))
		return -EINVAL;
	if (m->done != (m->cursor == 0))
		return -EINVAL;
	for (i = 0; i < m->n_sas; i++)
		if (sa_valid_as(m->sas[i], true, SA_ALGS_RECEIVER) != 0)
			return -EINVAL;
	return 0;
}

static int
sa_usage_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SaUsageRequest *m = BODY(Parapet__SaUsageRequest, msg);
	const Parapet__SaUsage *u;
	size_t i;

	if (m->n_usage > BUS_SA_USAGE_MAX ||
	    (m->n_usage != 0 && m->usage == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_usage; i++) {
		if ((u = m->usage[i]) == NULL || u->generation == 0 ||
		    u->spi == 0 || !sa_proto_ok(u->proto) ||
		    !sa_addr_ok(u->dst, false))
			return -EINVAL;
	}
	return 0;
}

static bool
prefix_ok(const Parapet__SaAddr *a, uint32_t plen)
{
	if (!sa_addr_present(a))
		return plen == 0;
	return plen <= (a->family == PARAPET__SA_FAMILY__SA_FAMILY_INET ?
	    32u : 128u);
}

static int
acquire_selector_valid(const Parapet__AcquireSelector *s)
{
	if (s == NULL)
		return 0;
	if (!sa_addr_ok(s->src, true) || !sa_addr_ok(s->dst, true))
		return -EINVAL;
	if (sa_addr_present(s->src) && sa_addr_present(s->dst) &&
	    s->src->family != s->dst->family)
		return -EINVAL;
	if (!prefix_ok(s->src, s->src_prefixlen) ||
	    !prefix_ok(s->dst, s->dst_prefixlen))
		return -EINVAL;
	if (s->ulproto > UINT8_MAX || s->sport > UINT16_MAX ||
	    s->dport > UINT16_MAX)
		return -EINVAL;
	return 0;
}

static int
acquire_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__AcquireRequest *m = BODY(Parapet__AcquireRequest, msg);

	if (m->dir < PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_IN ||
	    m->dir > PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_FWD)
		return -EINVAL;
	if (!sa_proto_ok(m->proto))
		return -EINVAL;
	if (m->mode != PARAPET__SA_MODE__SA_MODE_TRANSPORT &&
	    m->mode != PARAPET__SA_MODE__SA_MODE_TUNNEL)
		return -EINVAL;
	if (!sa_addr_ok(m->src, false) || !sa_addr_ok(m->dst, false) ||
	    m->src->family != m->dst->family)
		return -EINVAL;
	return acquire_selector_valid(m->selector);
}

static int
acquire_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__AcquireReply *m = BODY(Parapet__AcquireReply, msg);

	switch (m->status) {
	case PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT:
	case PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_PENDING:
		return m->seq != 0 ? 0 : -EINVAL;
	case PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SA_EXISTS:
		return 0;
	default:
		return -EINVAL;
	}
}

static int
acquire_done_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__AcquireDoneEvent *m =
	    BODY(Parapet__AcquireDoneEvent, msg);

	if (m->seq == 0 || m->error > 4095)
		return -EINVAL;
	if (m->result < PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_INSTALLED ||
	    m->result > PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_TIMEOUT)
		return -EINVAL;
	return (m->error != 0) ==
	    (m->result == PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_REFUSED) ?
	    0 : -EINVAL;
}

/* ---- policyd.proto validators ---- */

#define SPD_PFKEY_MSG_MAX	65536	/* one sadb_msg (PFKEY_MSG_MAX_BYTES) */
#define SPD_PFKEY_OUT_MAX	4	/* messages in one SpdPfkeyReply */
#define SPD_PAGE_MSGS_MAX	1024	/* SpdDumpRequest.max, reply msgs */
#define SPD_SNAP_PAGE_MAX	512	/* policies in one snapshot page */
#define SPD_REQS_MAX		6	/* Linux XFRM_MAX_DEPTH */
#define SYSCTL_NAME_MAX		64
#define SYSCTL_VARS_MAX		64

/* A PF_KEY datagram: at least a sadb_msg (16 bytes), whole words. */
static bool
pfkey_bytes_ok(const ProtobufCBinaryData *b)
{
	return b->len >= 16 && b->len <= SPD_PFKEY_MSG_MAX && b->len % 8 == 0;
}

static int
spd_pfkey_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdPfkeyRequest *m = BODY(Parapet__SpdPfkeyRequest, msg);

	return pfkey_bytes_ok(&m->msg) ? 0 : -EINVAL;
}

static int
spd_pfkey_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdPfkeyReply *m = BODY(Parapet__SpdPfkeyReply, msg);
	size_t i;

	if (m->error > 255 || m->n_out > SPD_PFKEY_OUT_MAX ||
	    (m->error != 0 && m->n_out != 0) ||
	    (m->n_out != 0 && m->out == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_out; i++)
		if (m->out[i] == NULL ||
		    (m->out[i]->dest != PARAPET__SPD_DEST__SPD_DEST_ONE &&
		    m->out[i]->dest != PARAPET__SPD_DEST__SPD_DEST_ALL) ||
		    !pfkey_bytes_ok(&m->out[i]->msg))
			return -EINVAL;
	return 0;
}

static int
spd_dump_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdDumpRequest *m = BODY(Parapet__SpdDumpRequest, msg);

	if (m->max > SPD_PAGE_MSGS_MAX)
		return -EINVAL;
	/* Opening a dump carries the request; continuing does not. */
	if (m->cursor == 0)
		return m->max != 0 && pfkey_bytes_ok(&m->msg) ? 0 : -EINVAL;
	return m->msg.len == 0 ? 0 : -EINVAL;
}

static int
spd_dump_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdDumpReply *m = BODY(Parapet__SpdDumpReply, msg);
	size_t i;

	if (m->error > 255 || m->n_msgs > SPD_PAGE_MSGS_MAX ||
	    (m->n_msgs != 0 && m->msgs == NULL))
		return -EINVAL;
	if (m->error != 0 && (m->n_msgs != 0 || m->done))
		return -EINVAL;
	if (m->done != (m->cursor == 0) && m->error == 0)
		return -EINVAL;
	for (i = 0; i < m->n_msgs; i++)
		if (!pfkey_bytes_ok(&m->msgs[i]))
			return -EINVAL;
	return 0;
}

static bool
addr_ok(uint32_t family, const ProtobufCBinaryData *a, uint32_t plen)
{
	if (family == AF_INET)
		return a->len == 4 && plen <= 32;
	if (family == AF_INET6)
		return a->len == 16 && plen <= 128;
	return false;
}

static int
spd_ipsec_request_valid(const Parapet__SpdIpsecRequest *r)
{
	if (r == NULL)
		return -EINVAL;
	if (r->proto != IPPROTO_ESP && r->proto != IPPROTO_AH &&
	    r->proto != IPPROTO_COMP)
		return -EINVAL;
	if (r->mode != 1 && r->mode != 2)	/* transport, tunnel */
		return -EINVAL;
	if (r->level > 3)			/* default .. unique */
		return -EINVAL;
	if (r->family == 0)
		return r->mode == 1 && r->tsrc.len == 0 && r->tdst.len == 0 ?
		    0 : -EINVAL;
	if (!addr_ok(r->family, &r->tsrc, 0) ||
	    !addr_ok(r->family, &r->tdst, 0))
		return -EINVAL;
	return 0;
}

/* A policy's requests (SpdPolicy, SockPolicy): bounded, each valid. */
static int
spd_reqs_valid(Parapet__SpdIpsecRequest *const *reqs, size_t n)
{
	size_t i;

	if (n > SPD_REQS_MAX || (n != 0 && reqs == NULL))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (spd_ipsec_request_valid(reqs[i]) != 0)
			return -EINVAL;
	return 0;
}

static int
spd_policy_valid(const Parapet__SpdPolicy *p)
{

	if (p == NULL)
		return -EINVAL;
	if ((p->id & 7) != p->dir - 1 || p->id == 0)
		return -EINVAL;
	if (p->dir < 1 || p->dir > 3 || p->action > 2)
		return -EINVAL;
	if (!addr_ok(p->family, &p->src, p->src_plen) ||
	    !addr_ok(p->family, &p->dst, p->dst_plen))
		return -EINVAL;
	if (p->proto > 255 || p->sport > 65535 || p->dport > 65535)
		return -EINVAL;
	if (p->n_reqs != 0 && p->action != 2)
		return -EINVAL;
	return spd_reqs_valid(p->reqs, p->n_reqs);
}

static int
spd_snapshot_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdSnapshotRequest *m =
	    BODY(Parapet__SpdSnapshotRequest, msg);

	return m->max >= 1 && m->max <= SPD_SNAP_PAGE_MAX ? 0 : -EINVAL;
}

static int
spd_snapshot_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdSnapshotReply *m =
	    BODY(Parapet__SpdSnapshotReply, msg);
	size_t i;

	if (m->n_policies > SPD_SNAP_PAGE_MAX ||
	    (m->n_policies != 0 && m->policies == NULL) ||
	    m->done != (m->cursor == 0))
		return -EINVAL;
	for (i = 0; i < m->n_policies; i++)
		if (spd_policy_valid(m->policies[i]) != 0)
			return -EINVAL;
	return 0;
}

static int
spd_change_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__SpdChangeEvent *m = BODY(Parapet__SpdChangeEvent, msg);

	switch (m->op) {
	case PARAPET__SPD_OP__SPD_OP_ADD:
	case PARAPET__SPD_OP__SPD_OP_UPDATE:
		return spd_policy_valid(m->policy);
	case PARAPET__SPD_OP__SPD_OP_DELETE:
		return m->policy == NULL && m->id != 0 ? 0 : -EINVAL;
	case PARAPET__SPD_OP__SPD_OP_FLUSH:
		return m->policy == NULL && m->dir <= 3 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* net.inet.ipsec.dfbit: 1..64 characters of [a-z0-9_.], or "" (all). */
static bool
sysctl_name_ok(const char *s, bool empty_ok)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= SYSCTL_NAME_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '_' || ch == '.'))
			return false;
	}
	return n > 0 || empty_ok;
}

static int
sysctl_var_valid(const Parapet__SysctlVar *v)
{
	if (v == NULL || !sysctl_name_ok(v->name, false))
		return -EINVAL;
	return v->min <= v->value && v->value <= v->max ? 0 : -EINVAL;
}

static int
sysctl_get_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SysctlGetRequest *m =
	    BODY(Parapet__SysctlGetRequest, msg);

	return sysctl_name_ok(m->name, true) ? 0 : -EINVAL;
}

static int
sysctl_get_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SysctlGetReply *m = BODY(Parapet__SysctlGetReply, msg);
	size_t i;

	if (m->n_vars > SYSCTL_VARS_MAX || (m->n_vars != 0 && m->vars == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_vars; i++)
		if (sysctl_var_valid(m->vars[i]) != 0)
			return -EINVAL;
	return 0;
}

static int
sysctl_set_request_valid(const ProtobufCMessage *msg)
{
	const Parapet__SysctlSetRequest *m =
	    BODY(Parapet__SysctlSetRequest, msg);

	/* The range is policyd's to check (-EINVAL from it). */
	return sysctl_name_ok(m->name, false) ? 0 : -EINVAL;
}

static int
sysctl_set_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SysctlSetReply *m = BODY(Parapet__SysctlSetReply, msg);

	return sysctl_var_valid(m->var);
}

static int
sysctl_change_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__SysctlChangeEvent *m =
	    BODY(Parapet__SysctlChangeEvent, msg);

	return sysctl_name_ok(m->name, false) ? 0 : -EINVAL;
}

/* policyd.proto: per-socket policy (DESIGN §10.21). */

#define SOCKPOL_SNAP_MAX	1024	/* policies in one snapshot */

static bool
sock_addr_ok(uint32_t family, const ProtobufCBinaryData *a)
{
	return addr_ok(family, a, 0);
}

static int
sock_policy_valid(const Parapet__SockPolicy *p)
{
	if (p == NULL || p->id == 0)
		return -EINVAL;
	/* Linux's socket policy ids: XFRM_POLICY_MAX + dir - 1. */
	if ((p->dir != 1 && p->dir != 2) || (p->id & 7) != 3 + p->dir - 1)
		return -EINVAL;
	if (p->type > 4 || p->proto > 255 || p->lport > 65535 ||
	    p->rport > 65535)
		return -EINVAL;
	/* flags: 1 (v4-mapped) on IPv6 only. */
	if (p->flags > 1 || (p->flags != 0 && p->family != AF_INET6))
		return -EINVAL;
	if (!sock_addr_ok(p->family, &p->laddr) ||
	    !sock_addr_ok(p->family, &p->raddr))
		return -EINVAL;
	if ((p->type == 2) != (p->n_reqs != 0))
		return -EINVAL;
	return spd_reqs_valid(p->reqs, p->n_reqs);
}

static int
sockpol_snapshot_reply_valid(const ProtobufCMessage *msg)
{
	const Parapet__SockpolSnapshotReply *m =
	    BODY(Parapet__SockpolSnapshotReply, msg);
	size_t i;

	if (m->n_policies > SOCKPOL_SNAP_MAX ||
	    (m->n_policies != 0 && m->policies == NULL))
		return -EINVAL;
	for (i = 0; i < m->n_policies; i++)
		if (sock_policy_valid(m->policies[i]) != 0)
			return -EINVAL;
	return 0;
}

static int
sockpol_change_event_valid(const ProtobufCMessage *msg)
{
	const Parapet__SockpolChangeEvent *m =
	    BODY(Parapet__SockpolChangeEvent, msg);

	switch (m->op) {
	case PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET:
		return sock_policy_valid(m->policy);
	case PARAPET__SOCKPOL_OP__SOCKPOL_OP_DELETE:
		return m->policy == NULL && m->id != 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

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
	ROW(SA_CHANGE_EVENT, "SaChangeEvent", sa_change_event,
	    sa_change_event_valid, EVT, 0),
	ROW(SA_SYNC_REQUEST, "SaSyncRequest", sa_sync_request,
	    sa_sync_request_valid, REQ, T(SA_SYNC_REPLY)),
	ROW(SA_SYNC_REPLY, "SaSyncReply", sa_sync_reply,
	    sa_sync_reply_valid, REP, 0),
	ROW(SA_USAGE_REQUEST, "SaUsageRequest", sa_usage_request,
	    sa_usage_request_valid, REQ, T(SA_USAGE_REPLY)),
	ROW(SA_USAGE_REPLY, "SaUsageReply", sa_usage_reply,
	    NULL, REP, 0),
	ROW(ACQUIRE_REQUEST, "AcquireRequest", acquire_request,
	    acquire_request_valid, REQ, T(ACQUIRE_REPLY)),
	ROW(ACQUIRE_REPLY, "AcquireReply", acquire_reply,
	    acquire_reply_valid, REP, 0),
	ROW(ACQUIRE_DONE_EVENT, "AcquireDoneEvent", acquire_done_event,
	    acquire_done_event_valid, EVT, 0),
	ROW(SA_CHANGE_BATCH_EVENT, "SaChangeBatchEvent",
	    sa_change_batch_event, sa_change_batch_event_valid, EVT, 0),
	/* policyd.proto (200-299) */
	ROW(SPD_PFKEY_REQUEST, "SpdPfkeyRequest", spd_pfkey_request,
	    spd_pfkey_request_valid, REQ, T(SPD_PFKEY_REPLY)),
	ROW(SPD_PFKEY_REPLY, "SpdPfkeyReply", spd_pfkey_reply,
	    spd_pfkey_reply_valid, REP, 0),
	ROW(SPD_DUMP_REQUEST, "SpdDumpRequest", spd_dump_request,
	    spd_dump_request_valid, REQ, T(SPD_DUMP_REPLY)),
	ROW(SPD_DUMP_REPLY, "SpdDumpReply", spd_dump_reply,
	    spd_dump_reply_valid, REP, 0),
	ROW(SPD_SNAPSHOT_REQUEST, "SpdSnapshotRequest", spd_snapshot_request,
	    spd_snapshot_request_valid, REQ, T(SPD_SNAPSHOT_REPLY)),
	ROW(SPD_SNAPSHOT_REPLY, "SpdSnapshotReply", spd_snapshot_reply,
	    spd_snapshot_reply_valid, REP, 0),
	ROW(SPD_CHANGE_EVENT, "SpdChangeEvent", spd_change_event,
	    spd_change_event_valid, EVT, 0),
	ROW(SYSCTL_GET_REQUEST, "SysctlGetRequest", sysctl_get_request,
	    sysctl_get_request_valid, REQ, T(SYSCTL_GET_REPLY)),
	ROW(SYSCTL_GET_REPLY, "SysctlGetReply", sysctl_get_reply,
	    sysctl_get_reply_valid, REP, 0),
	ROW(SYSCTL_SET_REQUEST, "SysctlSetRequest", sysctl_set_request,
	    sysctl_set_request_valid, REQ, T(SYSCTL_SET_REPLY)),
	ROW(SYSCTL_SET_REPLY, "SysctlSetReply", sysctl_set_reply,
	    sysctl_set_reply_valid, REP, 0),
	ROW(SYSCTL_CHANGE_EVENT, "SysctlChangeEvent", sysctl_change_event,
	    sysctl_change_event_valid, EVT, 0),
	ROW(SOCKPOL_SNAPSHOT_REQUEST, "SockpolSnapshotRequest",
	    sockpol_snapshot_request, NULL, REQ, T(SOCKPOL_SNAPSHOT_REPLY)),
	ROW(SOCKPOL_SNAPSHOT_REPLY, "SockpolSnapshotReply",
	    sockpol_snapshot_reply, sockpol_snapshot_reply_valid, REP, 0),
	ROW(SOCKPOL_CHANGE_EVENT, "SockpolChangeEvent", sockpol_change_event,
	    sockpol_change_event_valid, EVT, 0),
	ROW(SOCKPOL_APPLIED_EVENT, "SockpolAppliedEvent",
	    sockpol_applied_event, NULL, EVT, 0),
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
