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

/* keyd.proto: an ESP AES-GCM SA 192.0.2.1 -> 192.0.2.2, tunnel mode. */
static const uint8_t ip_a[4] = { 192, 0, 2, 1 };
static const uint8_t ip_b[4] = { 192, 0, 2, 2 };
static const uint8_t key36[36] = { 0x42 };

static void
samples_keyd(struct samples *s)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		parapet__sa_addr__init(&s->sa_addr[i]);
		s->sa_addr[i].family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
		s->sa_addr[i].addr.data = mutb(i == 1 ? ip_b : ip_a);
		s->sa_addr[i].addr.len = 4;
	}
	parapet__sa_limits__init(&s->sa_hard);
	s->sa_hard.bytes = 1000000;
	s->sa_hard.add_seconds = 3600;
	parapet__sa__init(&s->sa);
	s->sa.generation = 7;
	s->sa.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	s->sa.spi = 0x1234;
	s->sa.src = &s->sa_addr[0];
	s->sa.dst = &s->sa_addr[1];
	s->sa.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
	s->sa.state = PARAPET__SA_STATE__SA_STATE_MATURE;
	s->sa.reqid = 5;
	s->sa.esn = true;
	s->sa.replay_window = 64;
	s->sa.nat_type = PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP;
	s->sa.nat_sport = 4500;
	s->sa.nat_dport = 4500;
	s->sa.enc_alg = 20;
	s->sa.enc_key.data = mutb(key36);
	s->sa.enc_key.len = sizeof(key36);
	s->sa.hard = &s->sa_hard;
	s->sap[0] = &s->sa;
	parapet__sa_change_event__init(&s->sa_change);
	s->sa_change.change = PARAPET__SA_CHANGE__SA_CHANGE_INSTALL;
	s->sa_change.sa = &s->sa;
	parapet__sa_sync_request__init(&s->sa_sync_rq);
	s->sa_sync_rq.max = 64;
	parapet__sa_sync_reply__init(&s->sa_sync_rp);
	s->sa_sync_rp.n_sas = 1;
	s->sa_sync_rp.sas = s->sap;
	s->sa_sync_rp.cursor = 3;
	s->sa_sync_rp.last_generation = 7;
	parapet__sa_usage__init(&s->sa_usage);
	s->sa_usage.generation = 7;
	s->sa_usage.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	s->sa_usage.spi = 0x1234;
	s->sa_usage.dst = &s->sa_addr[1];
	s->sa_usage.bytes = 1500;
	s->sa_usage.packets = 1;
	s->sa_usagep[0] = &s->sa_usage;
	parapet__sa_usage_request__init(&s->sa_usage_rq);
	s->sa_usage_rq.n_usage = 1;
	s->sa_usage_rq.usage = s->sa_usagep;
	parapet__sa_usage_reply__init(&s->sa_usage_rp);
	s->sa_usage_rp.applied = 1;
	parapet__acquire_selector__init(&s->acq_sel);
	s->acq_sel.src = &s->sa_addr[0];
	s->acq_sel.dst = &s->sa_addr[2];
	s->acq_sel.src_prefixlen = 32;
	s->acq_sel.dst_prefixlen = 24;
	s->acq_sel.ulproto = 6;
	s->acq_sel.dport = 443;
	parapet__acquire_request__init(&s->acq_rq);
	s->acq_rq.policy_id = 9;
	s->acq_rq.dir = PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_OUT;
	s->acq_rq.reqid = 5;
	s->acq_rq.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	s->acq_rq.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
	s->acq_rq.src = &s->sa_addr[0];
	s->acq_rq.dst = &s->sa_addr[1];
	s->acq_rq.selector = &s->acq_sel;
	parapet__acquire_reply__init(&s->acq_rp);
	s->acq_rp.status = PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT;
	s->acq_rp.seq = 1;
	s->acq_rp.recipients = 1;
	parapet__acquire_done_event__init(&s->acq_done);
	s->acq_done.seq = 1;
	s->acq_done.policy_id = 9;
	s->acq_done.result = PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_REFUSED;
	s->acq_done.error = 2;
}

/* policyd's PF_KEY relay and dump. */
static void
samples_spd_pfkey(struct samples *s)
{
	/* The smallest PF_KEY datagram: a sadb_msg, length 2 words. */
	s->spd_bytes[0] = 2;
	s->spd_bytes[1] = 14;
	s->spd_bytes[4] = 2;
	parapet__spd_pfkey_request__init(&s->spd_pfkey_rq);
	s->spd_pfkey_rq.msg.data = s->spd_bytes;
	s->spd_pfkey_rq.msg.len = sizeof(s->spd_bytes);
	parapet__spd_pfkey_out__init(&s->spd_out);
	s->spd_out.dest = PARAPET__SPD_DEST__SPD_DEST_ALL;
	s->spd_out.msg.data = s->spd_bytes;
	s->spd_out.msg.len = sizeof(s->spd_bytes);
	s->spd_outp[0] = &s->spd_out;
	parapet__spd_pfkey_reply__init(&s->spd_pfkey_rp);
	s->spd_pfkey_rp.n_out = 1;
	s->spd_pfkey_rp.out = s->spd_outp;
	parapet__spd_dump_request__init(&s->spd_dump_rq);
	s->spd_dump_rq.max = 256;
	s->spd_dump_rq.msg.data = s->spd_bytes;
	s->spd_dump_rq.msg.len = sizeof(s->spd_bytes);
	s->spd_msgs[0].data = s->spd_bytes;
	s->spd_msgs[0].len = sizeof(s->spd_bytes);
	parapet__spd_dump_reply__init(&s->spd_dump_rp);
	s->spd_dump_rp.cursor = 77;
	s->spd_dump_rp.n_msgs = 1;
	s->spd_dump_rp.msgs = s->spd_msgs;
}

/* One policy: its snapshot and its change event. */
static void
samples_spd_policy(struct samples *s)
{
	static const uint8_t tun_a[4] = { 198, 51, 100, 1 };
	static const uint8_t tun_b[4] = { 198, 51, 100, 2 };

	parapet__spd_ipsec_request__init(&s->spd_req);
	s->spd_req.proto = 50;
	s->spd_req.mode = 2;
	s->spd_req.level = 3;
	s->spd_req.reqid = 40000;
	s->spd_req.family = 2;
	s->spd_req.tsrc.data = mutb(tun_a);
	s->spd_req.tsrc.len = 4;
	s->spd_req.tdst.data = mutb(tun_b);
	s->spd_req.tdst.len = 4;
	s->spd_reqp[0] = &s->spd_req;
	parapet__spd_policy__init(&s->spd_pol);
	s->spd_pol.id = 25;	/* out: 25 & 7 == 1 */
	s->spd_pol.dir = 2;
	s->spd_pol.action = 2;
	s->spd_pol.priority = 0x80000000u;
	s->spd_pol.family = 2;
	s->spd_pol.src.data = mutb(ip_a);
	s->spd_pol.src.len = 4;
	s->spd_pol.src_plen = 32;
	s->spd_pol.dst.data = mutb(ip_b);
	s->spd_pol.dst.len = 4;
	s->spd_pol.dst_plen = 24;
	s->spd_pol.proto = 6;
	s->spd_pol.dport = 443;
	s->spd_pol.n_reqs = 1;
	s->spd_pol.reqs = s->spd_reqp;
	s->spd_polp[0] = &s->spd_pol;
	parapet__spd_snapshot_request__init(&s->spd_snap_rq);
	s->spd_snap_rq.max = 100;
	parapet__spd_snapshot_reply__init(&s->spd_snap_rp);
	s->spd_snap_rp.epoch = 5;
	s->spd_snap_rp.gen = 9;
	s->spd_snap_rp.total = 1;
	s->spd_snap_rp.done = true;
	s->spd_snap_rp.n_policies = 1;
	s->spd_snap_rp.policies = s->spd_polp;
	parapet__spd_change_event__init(&s->spd_change);
	s->spd_change.epoch = 5;
	s->spd_change.gen = 10;
	s->spd_change.prev_gen = 9;
	s->spd_change.op = PARAPET__SPD_OP__SPD_OP_ADD;
	s->spd_change.policy = &s->spd_pol;
}

static void
samples_sysctl(struct samples *s)
{
	parapet__sysctl_var__init(&s->sysctl_var);
	s->sysctl_var.name = mut("net.inet.ipsec.dfbit");
	s->sysctl_var.value = 2;
	s->sysctl_var.max = 2;
	s->sysctl_varp[0] = &s->sysctl_var;
	parapet__sysctl_get_request__init(&s->sysctl_get_rq);
	s->sysctl_get_rq.name = mut("net.inet.ipsec.dfbit");
	parapet__sysctl_get_reply__init(&s->sysctl_get_rp);
	s->sysctl_get_rp.n_vars = 1;
	s->sysctl_get_rp.vars = s->sysctl_varp;
	parapet__sysctl_set_request__init(&s->sysctl_set_rq);
	s->sysctl_set_rq.name = mut("net.inet.ipsec.dfbit");
	s->sysctl_set_rq.value = 2;
	parapet__sysctl_set_reply__init(&s->sysctl_set_rp);
	s->sysctl_set_rp.var = &s->sysctl_var;
	parapet__sysctl_change_event__init(&s->sysctl_change);
	s->sysctl_change.name = mut("net.inet.ipsec.dfbit");
	s->sysctl_change.value = 2;
}

static void
samples_sockpol(struct samples *s)
{
	parapet__sock_policy__init(&s->sock_pol);
	s->sock_pol.id = 12;	/* out: 12 & 7 == 3 + 2 - 1 */
	s->sock_pol.dir = 2;
	s->sock_pol.type = 2;
	s->sock_pol.family = 2;
	s->sock_pol.proto = 17;
	s->sock_pol.laddr.data = mutb(ip_a);
	s->sock_pol.laddr.len = 4;
	s->sock_pol.lport = 4000;
	s->sock_pol.raddr.data = mutb(ip_b);
	s->sock_pol.raddr.len = 4;
	s->sock_pol.rport = 53;
	s->sock_pol.n_reqs = 1;
	s->sock_pol.reqs = s->spd_reqp;
	s->sock_pol.pid = 42;
	s->sock_polp[0] = &s->sock_pol;
	parapet__sockpol_snapshot_request__init(&s->sockpol_snap_rq);
	parapet__sockpol_snapshot_reply__init(&s->sockpol_snap_rp);
	s->sockpol_snap_rp.epoch = 5;
	s->sockpol_snap_rp.gen = 3;
	s->sockpol_snap_rp.n_policies = 1;
	s->sockpol_snap_rp.policies = s->sock_polp;
	parapet__sockpol_change_event__init(&s->sockpol_change);
	s->sockpol_change.epoch = 5;
	s->sockpol_change.gen = 4;
	s->sockpol_change.prev_gen = 3;
	s->sockpol_change.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET;
	s->sockpol_change.policy = &s->sock_pol;
	parapet__sockpol_applied_event__init(&s->sockpol_applied);
	s->sockpol_applied.epoch = 5;
	s->sockpol_applied.gen = 4;
}

/* SaChangeBatchEvent: the INSTALL of samples_keyd() and a DELETE. */
static void
samples_keyd_batch(struct samples *s)
{
	s->sa_nokeys = s->sa;
	s->sa_nokeys.enc_key.data = NULL;
	s->sa_nokeys.enc_key.len = 0;
	parapet__sa_change_event__init(&s->sa_change_del);
	s->sa_change_del.change = PARAPET__SA_CHANGE__SA_CHANGE_DELETE;
	s->sa_change_del.reason = PARAPET__SA_DELETE_REASON__SA_DELETE_FLUSH;
	s->sa_change_del.sa = &s->sa_nokeys;
	s->sa_changep[0] = &s->sa_change;
	s->sa_changep[1] = &s->sa_change_del;
	parapet__sa_change_batch_event__init(&s->sa_change_batch);
	s->sa_change_batch.n_events = 2;
	s->sa_change_batch.events = s->sa_changep;
}

void
samples_init(void)
{
	memset(&sm, 0, sizeof(sm));
	samples_bus(&sm);
	samples_regions(&sm);
	samples_supervisor(&sm);
	samples_keyd(&sm);
	samples_keyd_batch(&sm);
	samples_spd_pfkey(&sm);
	samples_spd_policy(&sm);
	samples_sysctl(&sm);
	samples_sockpol(&sm);
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
	case T(SA_CHANGE_EVENT):	return &s->sa_change.base;
	case T(SA_SYNC_REQUEST):	return &s->sa_sync_rq.base;
	case T(SA_SYNC_REPLY):		return &s->sa_sync_rp.base;
	case T(SA_USAGE_REQUEST):	return &s->sa_usage_rq.base;
	case T(SA_USAGE_REPLY):		return &s->sa_usage_rp.base;
	case T(ACQUIRE_REQUEST):	return &s->acq_rq.base;
	case T(ACQUIRE_REPLY):		return &s->acq_rp.base;
	case T(ACQUIRE_DONE_EVENT):	return &s->acq_done.base;
	case T(SA_CHANGE_BATCH_EVENT): return &s->sa_change_batch.base;
	case T(SPD_PFKEY_REQUEST):	return &s->spd_pfkey_rq.base;
	case T(SPD_PFKEY_REPLY):	return &s->spd_pfkey_rp.base;
	case T(SPD_DUMP_REQUEST):	return &s->spd_dump_rq.base;
	case T(SPD_DUMP_REPLY):		return &s->spd_dump_rp.base;
	case T(SPD_SNAPSHOT_REQUEST):	return &s->spd_snap_rq.base;
	case T(SPD_SNAPSHOT_REPLY):	return &s->spd_snap_rp.base;
	case T(SPD_CHANGE_EVENT):	return &s->spd_change.base;
	case T(SYSCTL_GET_REQUEST):	return &s->sysctl_get_rq.base;
	case T(SYSCTL_GET_REPLY):	return &s->sysctl_get_rp.base;
	case T(SYSCTL_SET_REQUEST):	return &s->sysctl_set_rq.base;
	case T(SYSCTL_SET_REPLY):	return &s->sysctl_set_rp.base;
	case T(SYSCTL_CHANGE_EVENT):	return &s->sysctl_change.base;
	case T(SOCKPOL_SNAPSHOT_REQUEST): return &s->sockpol_snap_rq.base;
	case T(SOCKPOL_SNAPSHOT_REPLY):	return &s->sockpol_snap_rp.base;
	case T(SOCKPOL_CHANGE_EVENT):	return &s->sockpol_change.base;
	case T(SOCKPOL_APPLIED_EVENT):	return &s->sockpol_applied.base;
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
