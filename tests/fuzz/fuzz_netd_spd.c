/*
 * fuzz_netd_spd.c - libFuzzer target for netd's SPD replica
 * (servers/netd/netd_spd.c): a run of bus bodies as policyd would send
 * them, each unpacked and validated as the bus does (common/bus_msg.c),
 * then applied. The input is records of
 *
 *	kind (1 byte) | length (2 bytes, big-endian) | protobuf body
 *
 * kind % 5: 0 SpdSnapshotReply (a snapshot is begun first if none is
 * loading), 1 SpdChangeEvent, 2 SysctlGetReply, 3 SysctlChangeEvent,
 * 4 begin a snapshot (no body). One static policy is in place. After
 * every record: the counters agree with the live SPD, every variable is
 * within policyd's ranges, and the static's selector is held (by the
 * static, or by a policy of policyd, which wins). Any other outcome aborts.
 * Seeds: test_netd_spd --seeds DIR (tests/unit/netd/test_netd_spd.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bus_msg.h"
#include "netd_spd.h"
#include "rd.h"

#define MT(v)	PARAPET__MSG_TYPE__MSG_##v

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint32_t kinds[4] = {
	MT(SPD_SNAPSHOT_REPLY), MT(SPD_CHANGE_EVENT), MT(SYSCTL_GET_REPLY),
	MT(SYSCTL_CHANGE_EVENT),
};

static void
static_entry(struct spd_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->sel.family = AF_INET;
	e->sel.src_plen = 32;
	e->sel.dst_plen = 32;
	e->sel.src[0] = 10;
	e->sel.src[3] = 1;
	e->sel.dst[0] = 10;
	e->sel.dst[3] = 2;
	e->sel.proto = SPD_PROTO_ANY;
	e->dir = SPD_DIR_OUT;
	e->action = SPD_ACTION_DISCARD;
	e->priority = SPD_PRIORITY_DEFAULT;
}

static void
check(const struct netd_spdr *r, const struct spd_entry *st)
{
	const struct spd *db = netd_spdr_spd(r);
	const struct spd_policy *p;
	size_t i, f;

	if (r->st.policies != spd_count(db))
		abort();
	for (i = 0; i < SYSCTL_COUNT; i++) {
		const struct sysctl_var *v = sysctl_var((enum sysctl_id)i);
		int32_t x = sysctl_get(&r->vals, (enum sysctl_id)i);

		if (x < v->min || x > v->max)
			abort();
	}
	for (f = 0; f < 2; f++)
		if (r->vars[f].def_policy > 1 || r->vars[f].deflev[0] < 1 ||
		    r->vars[f].deflev[0] > 2)
			abort();
	/* The static's selector is never left empty (unless a policy of
	 * policyd took the static's id itself). */
	p = spd_get(db, &st->sel, st->dir);
	if (p == NULL && spd_get_id(db, NETD_SPD_STATIC_ID_BASE +
	    (uint32_t)(SPD_DIR_OUT - 1)) == NULL)
		abort();
}

static void
one(struct netd_spdr *r, uint32_t type, const uint8_t *b, size_t n)
{
	const struct bus_msgtype *t = bus_msgtype_get(type);
	ProtobufCMessage *m;
	size_t i;

	if ((m = protobuf_c_message_unpack(t->desc, NULL, n, b)) == NULL)
		return;
	if (t->valid != NULL && t->valid(m) != 0)
		goto out;
	if (type == MT(SPD_SNAPSHOT_REPLY)) {
		if (!r->building && netd_spdr_snap_begin(r) != 0)
			goto out;
		if (netd_spdr_snap_page(r, (const void *)m) < 0 && r->building)
			abort();	/* a failed page abandons the snapshot */
	} else if (type == MT(SPD_CHANGE_EVENT)) {
		(void)netd_spdr_event(r, (const void *)m);
	} else if (type == MT(SYSCTL_GET_REPLY)) {
		const Parapet__SysctlGetReply *g = (const void *)m;

		for (i = 0; i < g->n_vars; i++)
			if (netd_spdr_sysctl(r, g->vars[i]->name,
			    g->vars[i]->value) != 0 &&
			    sysctl_find(g->vars[i]->name, NULL) != NULL &&
			    g->vars[i]->value >= g->vars[i]->min &&
			    g->vars[i]->value <= g->vars[i]->max &&
			    sysctl_find(g->vars[i]->name, NULL)->max >=
			    g->vars[i]->max &&
			    sysctl_find(g->vars[i]->name, NULL)->min <=
			    g->vars[i]->min)
				abort();	/* in our range, refused */
	} else {
		const Parapet__SysctlChangeEvent *ev = (const void *)m;

		if (netd_spdr_sysctl(r, ev->name, ev->value) == 0 &&
		    sysctl_find(ev->name, NULL) == NULL)
			abort();	/* an unknown name accepted */
	}
out:
	protobuf_c_message_free_unpacked(m, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netd_spdr r;
	struct spd_entry st;
	struct rd in = { data, size };

	if (netd_spdr_init(&r, 1, NULL) != 0)
		return 0;
	static_entry(&st);
	if (netd_spdr_add_static(&r, &st) != 0)
		abort();
	while (in.left > 0) {
		uint8_t kind;
		uint16_t len;
		struct rd body;

		if (rd_u8(&in, &kind) != 0 || rd_be16(&in, &len) != 0 ||
		    rd_sub(&in, len, &body) != 0)
			break;
		if (kind % 5 == 4) {
			if (netd_spdr_snap_begin(&r) != 0)
				break;
		} else {
			one(&r, kinds[kind % 5], body.p, body.left);
		}
		check(&r, &st);
	}
	netd_spdr_fini(&r);
	return 0;
}
