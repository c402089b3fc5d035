/*
 * test_spd_msg.c - SPD policies on the bus (servers/policyd/spd_msg.c)
 * and the validators of proto/policyd.proto (common/bus_msg.c): the
 * conversion both ways, one row per way a body is wrong, and the
 * subscriber's mirror (snapshot, deltas, old events, gaps, epochs).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "bus_msg.h"
#include "ipsec_policy.h"
#include "spd_msg.h"

#define MT(v)	PARAPET__MSG_TYPE__MSG_##v

static int
valid(uint32_t type, const ProtobufCMessage *m)
{
	const struct bus_msgtype *t = bus_msgtype_get(type);

	assert_non_null(t);
	assert_non_null(t->valid);
	return t->valid(m);
}

static void
entry(struct spd_entry *e, uint8_t last, uint8_t dir)
{
	memset(e, 0, sizeof(*e));
	e->sel.family = AF_INET;
	e->sel.src_plen = 24;
	e->sel.dst_plen = 32;
	e->sel.src[0] = 10;
	e->sel.dst[0] = 10;
	e->sel.dst[3] = last;
	e->sel.proto = SPD_PROTO_ANY;
	e->dir = dir;
	e->action = SPD_ACTION_IPSEC;
	e->priority = 100;
	e->nreqs = 1;
	e->req[0].proto = IPPROTO_ESP;
	e->req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
	e->req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	e->req[0].family = AF_INET;
	e->req[0].tsrc[0] = 192;
	e->req[0].tdst[0] = 193;
}

static void
test_convert(void **state)
{
	struct spd_pmsg pm;
	struct spd_entry e, back;
	uint32_t id;

	(void)state;
	entry(&e, 1, SPD_DIR_OUT);
	spd_msg_fill(&pm, 25, &e);
	assert_int_equal(valid(MT(SPD_CHANGE_EVENT), &(Parapet__SpdChangeEvent)
	    { .base = PROTOBUF_C_MESSAGE_INIT(&parapet__spd_change_event__descriptor),
	      .op = PARAPET__SPD_OP__SPD_OP_ADD, .policy = &pm.p }.base), 0);
	assert_int_equal(spd_msg_entry(&pm.p, &back, &id), 0);
	assert_int_equal(id, 25);
	assert_memory_equal(&back.sel, &e.sel, sizeof(e.sel));
	assert_int_equal(back.req[0].reqid, e.req[0].reqid);
	assert_memory_equal(back.req[0].tdst, e.req[0].tdst, 16);
}

/* One row per way a policy is wrong; each must fail its validator. */
static void
test_policy_rows(void **state)
{
	static const uint8_t six[16] = { 0 };
	struct spd_pmsg pm;
	struct spd_entry e;
	Parapet__SpdChangeEvent ev;
	int row;

	(void)state;
	for (row = 0; row < 12; row++) {
		entry(&e, 1, SPD_DIR_OUT);
		spd_msg_fill(&pm, 25, &e);
		parapet__spd_change_event__init(&ev);
		ev.op = PARAPET__SPD_OP__SPD_OP_ADD;
		ev.policy = &pm.p;
		switch (row) {
		case 0: pm.p.id = 24; break;		/* id says in */
		case 1: pm.p.id = 0; pm.p.dir = 1; break;
		case 2: pm.p.family = 3; break;
		case 3: pm.p.src.data = deconst_bytes(six);
			pm.p.src.len = 16; break;	/* v4 with 16 bytes */
		case 4: pm.p.dst_plen = 33; break;
		case 5: pm.p.action = 1; break;		/* reqs without ipsec */
		case 6: pm.p.action = 3; pm.p.n_reqs = 0; break;
		case 7: pm.req[0].proto = 6; break;
		case 8: pm.req[0].mode = 0; break;
		case 9: pm.req[0].level = 4; break;
		case 10: pm.req[0].family = 0; break;	/* tunnel, no ends */
		case 11: pm.p.sport = 65536; break;
		}
		if (valid(MT(SPD_CHANGE_EVENT), &ev.base) != -EINVAL)
			fail_msg("policy row %d accepted", row);
	}
	/* Events: delete needs an id, flush a direction <= 3, op known. */
	parapet__spd_change_event__init(&ev);
	ev.op = PARAPET__SPD_OP__SPD_OP_DELETE;
	assert_int_equal(valid(MT(SPD_CHANGE_EVENT), &ev.base), -EINVAL);
	ev.id = 8;
	assert_int_equal(valid(MT(SPD_CHANGE_EVENT), &ev.base), 0);
	ev.op = PARAPET__SPD_OP__SPD_OP_FLUSH;
	ev.dir = 4;
	assert_int_equal(valid(MT(SPD_CHANGE_EVENT), &ev.base), -EINVAL);
	ev.op = 9;
	ev.dir = 0;
	assert_int_equal(valid(MT(SPD_CHANGE_EVENT), &ev.base), -EINVAL);
}

static void
test_other_rows(void **state)
{
	uint8_t msg[24] = { 2, 14, 0, 0, 3 };
	ProtobufCBinaryData bins[1] = { { 16, msg } };
	Parapet__SpdPfkeyRequest prq;
	Parapet__SpdPfkeyReply prp;
	Parapet__SpdPfkeyOut o, *op = &o;
	Parapet__SpdDumpRequest drq;
	Parapet__SpdDumpReply drp;
	Parapet__SpdSnapshotRequest srq;
	Parapet__SysctlGetRequest grq;
	Parapet__SysctlSetReply ssr;
	Parapet__SysctlVar var;

	(void)state;
	parapet__spd_pfkey_request__init(&prq);
	prq.msg.data = msg;
	prq.msg.len = 15;			/* not whole words */
	assert_int_equal(valid(MT(SPD_PFKEY_REQUEST), &prq.base), -EINVAL);
	prq.msg.len = 8;			/* shorter than sadb_msg */
	assert_int_equal(valid(MT(SPD_PFKEY_REQUEST), &prq.base), -EINVAL);
	prq.msg.len = 24;
	assert_int_equal(valid(MT(SPD_PFKEY_REQUEST), &prq.base), 0);
	parapet__spd_pfkey_out__init(&o);
	o.msg.data = msg;
	o.msg.len = 16;
	o.dest = 2;
	parapet__spd_pfkey_reply__init(&prp);
	prp.n_out = 1;
	prp.out = &op;
	assert_int_equal(valid(MT(SPD_PFKEY_REPLY), &prp.base), -EINVAL);
	o.dest = PARAPET__SPD_DEST__SPD_DEST_ALL;
	assert_int_equal(valid(MT(SPD_PFKEY_REPLY), &prp.base), 0);
	prp.error = 2;				/* error with messages */
	assert_int_equal(valid(MT(SPD_PFKEY_REPLY), &prp.base), -EINVAL);
	prp.n_out = 0;
	prp.error = 256;
	assert_int_equal(valid(MT(SPD_PFKEY_REPLY), &prp.base), -EINVAL);
	parapet__spd_dump_request__init(&drq);
	drq.max = 10;				/* opening without the request */
	assert_int_equal(valid(MT(SPD_DUMP_REQUEST), &drq.base), -EINVAL);
	drq.cursor = 5;
	assert_int_equal(valid(MT(SPD_DUMP_REQUEST), &drq.base), 0);
	drq.max = 1025;
	assert_int_equal(valid(MT(SPD_DUMP_REQUEST), &drq.base), -EINVAL);
	parapet__spd_dump_reply__init(&drp);
	drp.cursor = 5;
	drp.done = true;			/* done with a cursor */
	assert_int_equal(valid(MT(SPD_DUMP_REPLY), &drp.base), -EINVAL);
	drp.cursor = 0;
	drp.n_msgs = 1;
	drp.msgs = bins;
	assert_int_equal(valid(MT(SPD_DUMP_REPLY), &drp.base), 0);
	parapet__spd_snapshot_request__init(&srq);
	assert_int_equal(valid(MT(SPD_SNAPSHOT_REQUEST), &srq.base), -EINVAL);
	srq.max = 513;
	assert_int_equal(valid(MT(SPD_SNAPSHOT_REQUEST), &srq.base), -EINVAL);
	parapet__sysctl_get_request__init(&grq);
	grq.name = deconst("");
	assert_int_equal(valid(MT(SYSCTL_GET_REQUEST), &grq.base), 0);
	grq.name = deconst("Net.inet");
	assert_int_equal(valid(MT(SYSCTL_GET_REQUEST), &grq.base), -EINVAL);
	parapet__sysctl_var__init(&var);
	var.name = deconst("net.inet.ipsec.dfbit");
	var.value = 3;
	var.max = 2;
	parapet__sysctl_set_reply__init(&ssr);
	ssr.var = &var;
	assert_int_equal(valid(MT(SYSCTL_SET_REPLY), &ssr.base), -EINVAL);
	var.value = 2;
	assert_int_equal(valid(MT(SYSCTL_SET_REPLY), &ssr.base), 0);
}

static void
test_mirror(void **state)
{
	struct spd_mirror mir;
	struct spd_pmsg pm[2];
	Parapet__SpdPolicy *pp[2];
	Parapet__SpdSnapshotReply snap;
	Parapet__SpdChangeEvent ev;
	struct spd_entry e;

	(void)state;
	assert_int_equal(spd_mirror_init(&mir, 3), 0);
	parapet__spd_change_event__init(&ev);
	ev.epoch = 7;
	ev.gen = 2;
	ev.prev_gen = 1;
	ev.op = PARAPET__SPD_OP__SPD_OP_DELETE;
	ev.id = 25;
	/* Before a snapshot, everything is a gap. */
	assert_int_equal(spd_mirror_apply(&mir, &ev), -ESTALE);
	entry(&e, 1, SPD_DIR_OUT);
	spd_msg_fill(&pm[0], 25, &e);
	pp[0] = &pm[0].p;
	parapet__spd_snapshot_reply__init(&snap);
	snap.epoch = 7;
	snap.gen = 1;
	snap.done = true;
	snap.n_policies = 1;
	snap.policies = pp;
	spd_mirror_reset(&mir);
	assert_int_equal(spd_mirror_snapshot(&mir, &snap), 0);
	assert_true(mir.synced);
	/* An event already in the snapshot is ignored. */
	ev.gen = 1;
	ev.prev_gen = 0;
	assert_int_equal(spd_mirror_apply(&mir, &ev), 1);
	/* Another epoch (policyd restarted): a gap. */
	ev.epoch = 8;
	ev.gen = 2;
	ev.prev_gen = 1;
	assert_int_equal(spd_mirror_apply(&mir, &ev), -ESTALE);
	/* The next one applies; one after a missing one is a gap. */
	ev.epoch = 7;
	assert_int_equal(spd_mirror_apply(&mir, &ev), 0);
	assert_null(spd_get_id(mir.spd, 25));
	ev.gen = 4;
	ev.prev_gen = 3;
	assert_int_equal(spd_mirror_apply(&mir, &ev), -ESTALE);
	/* Add and update by id; flush. */
	entry(&e, 2, SPD_DIR_IN);
	spd_msg_fill(&pm[1], 16, &e);
	ev.op = PARAPET__SPD_OP__SPD_OP_ADD;
	ev.policy = &pm[1].p;
	ev.gen = 3;
	ev.prev_gen = 2;
	assert_int_equal(spd_mirror_apply(&mir, &ev), 0);
	pm[1].p.priority = 5;
	ev.op = PARAPET__SPD_OP__SPD_OP_UPDATE;
	ev.gen = 4;
	ev.prev_gen = 3;
	assert_int_equal(spd_mirror_apply(&mir, &ev), 0);
	assert_int_equal(spd_get_id(mir.spd, 16)->e.priority, 5);
	ev.op = PARAPET__SPD_OP__SPD_OP_FLUSH;
	ev.policy = NULL;
	ev.gen = 5;
	ev.prev_gen = 4;
	assert_int_equal(spd_mirror_apply(&mir, &ev), 0);
	assert_int_equal(spd_count(mir.spd), 0);
	assert_int_equal(mir.gen, 5);
	spd_mirror_fini(&mir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convert),
		cmocka_unit_test(test_policy_rows),
		cmocka_unit_test(test_other_rows),
		cmocka_unit_test(test_mirror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
