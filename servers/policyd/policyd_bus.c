/*
 * policyd_bus.c - policyd's bus handlers (proto/policyd.proto): messages
 * to core calls, and publishing.
 *
 *   SpdPfkeyRequest    (keyd only)  spd_pfkey_request(); store; publish
 *   SpdDumpRequest     (keyd only)  X_SPDDUMP pages (spd_pfkey_dump_*)
 *   SpdSnapshotRequest (any)        the SPD as of one generation, paged
 *   SysctlGetRequest   (any)        one variable or all
 *   SysctlSetRequest   (any)        checked against the table; store;
 *                                   SysctlChangeEvent on "sysctl"
 *   every SPD change                SpdChangeEvent on "spd"
 *
 * Sessions (dump pagers, snapshots) are slots with a random token; a
 * slot unused for PD_SESSION_IDLE_MS is reclaimed when a new session
 * needs room, so a peer that goes away mid-dump costs nothing for long.
 *
 * Untrusted input: bus bodies (validated by bus_msg.c before they get
 * here; PF_KEY bytes are parsed again by spd_pfkey.c), and who sends
 * them: the broker stamps src, and only keyd may relay PF_KEY.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus_msg.h"
#include "log.h"
#include "policyd.h"
#include "server.h"
#include "spd_msg.h"

#define T(v)		PARAPET__MSG_TYPE__MSG_##v
#define BODY(Ty, m)	((const Ty *)(const void *)(m)->body)
/* Bus frames are 256 KiB at most: pages stay well below. */
#define PAGE_BYTES	(160u << 10)
#define DUMP_MAX_MSGS	1024
#define SNAP_MAX	512

/* A reply that cannot be sent (the connection is gone) is only logged. */
static void
answer(struct policyd *pd, struct bus_client *bc, const struct bus_msg *m,
    int error, uint32_t type, const ProtobufCMessage *body)
{
	if (bus_reply(bc, m, error, type, body) != 0)
		log_rl_warnx(&pd->rl, "bus: cannot answer %s", m->src);
}

static uint64_t
new_token(struct policyd *pd)
{
	uint64_t t = pd->next_token++;

	return t != 0 ? t : pd->next_token++;
}

static bool
from_keyd(struct policyd *pd, const struct bus_msg *m)
{
	if (m->src != NULL && strcmp(m->src, "keyd") == 0)
		return true;
	pd->n_denied++;
	log_rl_warnx(&pd->rl, "bus: %s from %s refused: keyd only",
	    bus_msgtype_get(m->type)->name, m->src != NULL ? m->src : "?");
	return false;
}

/* ---- publishing ---- */

static void
publish(struct policyd *pd, Parapet__SpdOp op, uint32_t id, uint64_t before,
    uint64_t after)
{
	Parapet__SpdChangeEvent ev;
	const struct spd_policy *p;
	struct spd_pmsg pm;

	parapet__spd_change_event__init(&ev);
	ev.epoch = pd->epoch;
	ev.gen = after;
	ev.prev_gen = before;
	ev.op = op;
	if (op == PARAPET__SPD_OP__SPD_OP_ADD ||
	    op == PARAPET__SPD_OP__SPD_OP_UPDATE) {
		if ((p = spd_get_id(pd->spd, id)) == NULL)
			return;
		spd_msg_fill(&pm, p->id, &p->e);
		ev.policy = &pm.p;
	} else if (op == PARAPET__SPD_OP__SPD_OP_DELETE)
		ev.id = id;
	if (bus_publish(pd->bus, "spd", T(SPD_CHANGE_EVENT), &ev.base) == 0)
		pd->n_published++;
	else
		log_rl_warnx(&pd->rl, "bus: cannot publish an SPD change "
		    "(subscribers will see a gap and resynchronise)");
}

/* Store what a PF_KEY request changed (before keyd is answered). */
static void
store(struct policyd *pd, const struct spd_pfkey_result *res)
{
	switch (res->change) {
	case SPD_CHANGE_ADD:
	case SPD_CHANGE_UPDATE:
		pd_store_policy(pd, res->id);
		pd_store_gens(pd);
		break;
	case SPD_CHANGE_DELETE:
		pd_store_delete(pd, res->id);
		break;
	case SPD_CHANGE_FLUSH:
		pd_store_flush(pd);
		break;
	case SPD_CHANGE_NONE:
		break;
	}
}

/* Publish it (after the answer: the client waits for that one). */
static void
changed(struct policyd *pd, const struct spd_pfkey_result *res)
{
	static const Parapet__SpdOp ops[] = {
		[SPD_CHANGE_NONE] = PARAPET__SPD_OP__SPD_OP_NONE,
		[SPD_CHANGE_ADD] = PARAPET__SPD_OP__SPD_OP_ADD,
		[SPD_CHANGE_UPDATE] = PARAPET__SPD_OP__SPD_OP_UPDATE,
		[SPD_CHANGE_DELETE] = PARAPET__SPD_OP__SPD_OP_DELETE,
		[SPD_CHANGE_FLUSH] = PARAPET__SPD_OP__SPD_OP_FLUSH,
	};

	if (res->change != SPD_CHANGE_NONE)
		publish(pd, ops[res->change], res->id, res->gen_before,
		    res->gen_after);
}

/* ---- keyd: relayed PF_KEY ---- */

static void
on_pfkey(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SpdPfkeyRequest *rq = BODY(Parapet__SpdPfkeyRequest, m);
	struct policyd *pd = arg;
	Parapet__SpdPfkeyReply rep;
	Parapet__SpdPfkeyOut out[2], *outp[2];
	struct spd_pfkey_result res;
	size_t i;

	if (!from_keyd(pd, m)) {
		answer(pd, bc, m, -EPERM, 0, NULL);
		return;
	}
	pd->n_pfkey++;
	spd_pfkey_request(&pd->pk, rq->msg.data, rq->msg.len, pd_now_ms(),
	    &res);
	parapet__spd_pfkey_reply__init(&rep);
	if (res.error != 0) {
		pd->n_pfkey_err++;
		rep.error = (uint32_t)res.error;
	} else {
		for (i = 0; i < res.nout; i++) {
			parapet__spd_pfkey_out__init(&out[i]);
			out[i].dest = res.out[i].dest == SPD_PFKEY_DEST_ALL ?
			    PARAPET__SPD_DEST__SPD_DEST_ALL :
			    PARAPET__SPD_DEST__SPD_DEST_ONE;
			out[i].msg.data = deconst_bytes(res.out[i].buf);
			out[i].msg.len = res.out[i].len;
			outp[i] = &out[i];
		}
		rep.n_out = res.nout;
		rep.out = outp;
	}
	/* Stored before the reply: a reply means it survives kill -9. */
	store(pd, &res);
	if (bus_reply(bc, m, 0, T(SPD_PFKEY_REPLY), &rep.base) != 0)
		log_rl_warnx(&pd->rl, "bus: cannot answer keyd");
	changed(pd, &res);
}

/* ---- keyd: X_SPDDUMP pages ---- */

static struct pd_dump *
dump_find(struct policyd *pd, uint64_t token)
{
	size_t i;

	for (i = 0; i < PD_DUMPS_MAX; i++)
		if (pd->dumps[i].token == token)
			return &pd->dumps[i];
	return NULL;
}

static void
dump_close(struct policyd *pd, struct pd_dump *s)
{
	spd_pfkey_dump_end(&pd->pk, &s->d);
	s->token = 0;
}

static struct pd_dump *
dump_slot(struct policyd *pd, uint64_t now)
{
	struct pd_dump *s = dump_find(pd, 0);
	size_t i;

	if (s != NULL)
		return s;
	for (i = 0; i < PD_DUMPS_MAX; i++) {
		if (now - pd->dumps[i].used_ms > PD_SESSION_IDLE_MS) {
			dump_close(pd, &pd->dumps[i]);
			return &pd->dumps[i];
		}
	}
	return NULL;
}

struct page {
	uint8_t			*buf;		/* all messages, back to back */
	size_t			 used, cap;
	ProtobufCBinaryData	 msgs[DUMP_MAX_MSGS];
	size_t			 n;
};

static int
page_emit(const uint8_t *buf, size_t len, void *arg)
{
	struct page *pg = arg;

	if (pg->n >= DUMP_MAX_MSGS || len > pg->cap - pg->used)
		return -EMSGSIZE;	/* not reached: the pager's bounds */
	memcpy(pg->buf + pg->used, buf, len);
	pg->msgs[pg->n].data = pg->buf + pg->used;
	pg->msgs[pg->n].len = len;
	pg->used += len;
	pg->n++;
	return 0;
}

static void
dump_answer(struct policyd *pd, struct bus_client *bc,
    const struct bus_msg *m, int error)
{
	Parapet__SpdDumpReply rep;

	parapet__spd_dump_reply__init(&rep);
	rep.error = (uint32_t)error;
	rep.done = error == 0;		/* a cursor closed */
	answer(pd, bc, m, 0, T(SPD_DUMP_REPLY), &rep.base);
}

static void
on_dump(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SpdDumpRequest *rq = BODY(Parapet__SpdDumpRequest, m);
	struct policyd *pd = arg;
	Parapet__SpdDumpReply rep;
	ProtobufCBinaryData *mp;
	uint64_t now = pd_now_ms();
	struct pd_dump *s;
	struct page *pg;
	int error;

	if (!from_keyd(pd, m)) {
		answer(pd, bc, m, -EPERM, 0, NULL);
		return;
	}
	if (rq->cursor == 0) {
		if ((s = dump_slot(pd, now)) == NULL) {
			dump_answer(pd, bc, m, EBUSY);
			return;
		}
		if ((error = spd_pfkey_dump_begin(&pd->pk, &s->d,
		    rq->msg.data, rq->msg.len)) != 0) {
			dump_answer(pd, bc, m, -error);
			return;
		}
		s->token = new_token(pd);
	} else if ((s = dump_find(pd, rq->cursor)) == NULL) {
		dump_answer(pd, bc, m, rq->max == 0 ? 0 : ESTALE);
		return;
	}
	s->used_ms = now;
	if (rq->max == 0) {		/* keyd's client went away */
		dump_close(pd, s);
		dump_answer(pd, bc, m, 0);
		return;
	}
	if ((pg = calloc(1, sizeof(*pg))) == NULL ||
	    (pg->buf = malloc(PAGE_BYTES + SPD_PFKEY_MSG_MAX)) == NULL) {
		free(pg);
		dump_answer(pd, bc, m, ENOMEM);
		return;
	}
	pg->cap = PAGE_BYTES + SPD_PFKEY_MSG_MAX;
	error = spd_pfkey_dump_page(&pd->pk, &s->d, rq->max < DUMP_MAX_MSGS ?
	    rq->max : DUMP_MAX_MSGS, PAGE_BYTES, page_emit, pg);
	pd->n_dump_pages++;
	if (error < 0) {
		dump_close(pd, s);
		dump_answer(pd, bc, m, -error);
	} else {
		parapet__spd_dump_reply__init(&rep);
		rep.done = error == 1;
		rep.cursor = rep.done ? 0 : s->token;
		mp = pg->msgs;
		rep.msgs = mp;
		rep.n_msgs = pg->n;
		if (rep.done)
			dump_close(pd, s);
		if (bus_reply(bc, m, 0, T(SPD_DUMP_REPLY), &rep.base) != 0)
			log_rl_warnx(&pd->rl, "bus: cannot send a dump page");
	}
	free(pg->buf);
	free(pg);
}

/* ---- snapshots (netd, ipsecd) ---- */

static struct pd_snap *
snap_find(struct policyd *pd, uint64_t token)
{
	size_t i;

	for (i = 0; i < PD_SNAPS_MAX; i++)
		if (pd->snaps[i].token == token)
			return &pd->snaps[i];
	return NULL;
}

static void
snap_close(struct pd_snap *s)
{
	free(s->ents);
	memset(s, 0, sizeof(*s));
}

static struct pd_snap *
snap_slot(struct policyd *pd, uint64_t now)
{
	struct pd_snap *s = snap_find(pd, 0);
	size_t i;

	if (s != NULL)
		return s;
	for (i = 0; i < PD_SNAPS_MAX; i++) {
		if (now - pd->snaps[i].used_ms > PD_SESSION_IDLE_MS) {
			snap_close(&pd->snaps[i]);
			return &pd->snaps[i];
		}
	}
	return NULL;
}

/* Copy the whole SPD: the snapshot is of one generation. */
static int
snap_take(struct policyd *pd, struct pd_snap *s)
{
	struct spd_cursor cur;
	const struct spd_policy *p;
	size_t n = spd_count(pd->spd);

	s->ents = n != 0 ? calloc(n, sizeof(*s->ents)) : NULL;
	if (n != 0 && s->ents == NULL)
		return -ENOMEM;
	s->n = 0;
	spd_dump_begin(pd->spd, &cur, 0);
	while ((p = spd_dump_next(pd->spd, &cur)) != NULL && s->n < n) {
		s->ents[s->n].id = p->id;
		s->ents[s->n].e = p->e;
		s->n++;
	}
	spd_dump_end(pd->spd, &cur);
	s->gen = spd_generation(pd->spd);
	s->next = 0;
	return 0;
}

static void
on_snapshot(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SpdSnapshotRequest *rq =
	    BODY(Parapet__SpdSnapshotRequest, m);
	struct policyd *pd = arg;
	struct spd_pmsg *pm = NULL;
	Parapet__SpdPolicy **pp = NULL;
	Parapet__SpdSnapshotReply rep;
	uint64_t now = pd_now_ms();
	struct pd_snap *s;
	size_t i, k;
	int error;

	if (rq->cursor == 0) {
		if ((s = snap_slot(pd, now)) == NULL) {
			answer(pd, bc, m, -EBUSY, 0, NULL);
			return;
		}
		if ((error = snap_take(pd, s)) != 0) {
			snap_close(s);
			answer(pd, bc, m, error, 0, NULL);
			return;
		}
		s->token = new_token(pd);
	} else if ((s = snap_find(pd, rq->cursor)) == NULL) {
		answer(pd, bc, m, -ESTALE, 0, NULL);
		return;
	}
	s->used_ms = now;
	k = s->n - s->next;
	if (k > rq->max)
		k = rq->max;
	if (k > SNAP_MAX)
		k = SNAP_MAX;
	if (k != 0) {
		pm = calloc(k, sizeof(*pm));
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers. */
		pp = calloc(k, sizeof(*pp));
		if (pm == NULL || pp == NULL) {
			free(pm);
			free(pp);
			answer(pd, bc, m, -ENOMEM, 0, NULL);
			return;
		}
	}
	parapet__spd_snapshot_reply__init(&rep);
	for (i = 0; i < k; i++) {
		const struct pd_snap_ent *e = &s->ents[s->next + i];

		spd_msg_fill(&pm[i], e->id, &e->e);
		pp[i] = &pm[i].p;
	}
	rep.epoch = pd->epoch;
	rep.gen = s->gen;
	rep.total = s->n;
	rep.policies = pp;
	rep.n_policies = k;
	s->next += k;
	rep.done = s->next >= s->n;
	rep.cursor = rep.done ? 0 : s->token;
	pd->n_snap_pages++;
	if (bus_reply(bc, m, 0, T(SPD_SNAPSHOT_REPLY), &rep.base) != 0)
		log_rl_warnx(&pd->rl, "bus: cannot send a snapshot page");
	free(pm);
	free(pp);
	if (rep.done)
		snap_close(s);
}

/* ---- sysctl ---- */

static void
var_fill(const struct policyd *pd, enum sysctl_id id, Parapet__SysctlVar *v)
{
	const struct sysctl_var *sv = sysctl_var(id);

	parapet__sysctl_var__init(v);
	v->name = deconst(sv->name);
	v->value = sysctl_get(&pd->vals, id);
	v->min = sv->min;
	v->max = sv->max;
}

static void
on_sysctl_get(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SysctlGetRequest *rq = BODY(Parapet__SysctlGetRequest, m);
	struct policyd *pd = arg;
	Parapet__SysctlVar vars[SYSCTL_COUNT], *vp[SYSCTL_COUNT];
	Parapet__SysctlGetReply rep;
	enum sysctl_id id;
	size_t i, n = 0;

	parapet__sysctl_get_reply__init(&rep);
	if (rq->name[0] == '\0') {
		for (i = 0; i < SYSCTL_COUNT; i++) {
			var_fill(pd, (enum sysctl_id)i, &vars[n]);
			vp[n] = &vars[n];
			n++;
		}
	} else if (sysctl_find(rq->name, &id) != NULL) {
		var_fill(pd, id, &vars[0]);
		vp[0] = &vars[0];
		n = 1;
	} else {
		answer(pd, bc, m, -ENOENT, 0, NULL);
		return;
	}
	rep.vars = vp;
	rep.n_vars = n;
	answer(pd, bc, m, 0, T(SYSCTL_GET_REPLY), &rep.base);
}

static void
on_sysctl_set(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SysctlSetRequest *rq = BODY(Parapet__SysctlSetRequest, m);
	struct policyd *pd = arg;
	Parapet__SysctlSetReply rep;
	Parapet__SysctlChangeEvent ev;
	Parapet__SysctlVar var;
	enum sysctl_id id;
	int32_t old;

	if (sysctl_find(rq->name, &id) == NULL) {
		answer(pd, bc, m, -ENOENT, 0, NULL);
		return;
	}
	if (sysctl_set(&pd->vals, id, rq->value, &old) != 0) {
		log_rl_warnx(&pd->rl, "sysctl: %s=%lld from %s refused: out of "
		    "range", rq->name, (long long)rq->value, m->src);
		answer(pd, bc, m, -EINVAL, 0, NULL);
		return;
	}
	pd->n_sysctl_set++;
	pd_store_sysctl(pd);
	if (old != rq->value)
		log_info("sysctl: %s: %d -> %d (from %s)", rq->name, (int)old,
		    (int)sysctl_get(&pd->vals, id), m->src);
	parapet__sysctl_set_reply__init(&rep);
	var_fill(pd, id, &var);
	rep.var = &var;
	rep.old = old;
	answer(pd, bc, m, 0, T(SYSCTL_SET_REPLY), &rep.base);
	parapet__sysctl_change_event__init(&ev);
	ev.name = var.name;
	ev.value = var.value;
	ev.old = old;
	if (bus_publish(pd->bus, "sysctl", T(SYSCTL_CHANGE_EVENT),
	    &ev.base) == 0)
		pd->n_published++;
}

/* ---- start, stop ---- */

int
pd_bus_start(struct policyd *pd)
{
	static const struct {
		uint32_t	 type;
		bus_handler_fn	*fn;
	} routes[] = {
		{ T(SPD_PFKEY_REQUEST), on_pfkey },
		{ T(SPD_DUMP_REQUEST), on_dump },
		{ T(SPD_SNAPSHOT_REQUEST), on_snapshot },
		{ T(SYSCTL_GET_REQUEST), on_sysctl_get },
		{ T(SYSCTL_SET_REQUEST), on_sysctl_set },
	};
	static const struct {
		const char	*name;
		size_t		 off;
	} ctrs[] = {
		{ "spd.pfkey", offsetof(struct policyd, n_pfkey) },
		{ "spd.pfkey_errors", offsetof(struct policyd, n_pfkey_err) },
		{ "spd.dump_pages", offsetof(struct policyd, n_dump_pages) },
		{ "spd.snapshot_pages", offsetof(struct policyd, n_snap_pages) },
		{ "spd.published", offsetof(struct policyd, n_published) },
		{ "spd.denied", offsetof(struct policyd, n_denied) },
		{ "sysctl.set", offsetof(struct policyd, n_sysctl_set) },
		{ "store.writes", offsetof(struct policyd, n_store_writes) },
		{ "store.errors", offsetof(struct policyd, n_store_errors) },
		{ "store.dropped", offsetof(struct policyd, n_store_dropped) },
	};
	size_t i;
	int error;

	for (i = 0; i < nitems(routes); i++)
		if ((error = bus_client_on(pd->bus, routes[i].type,
		    routes[i].fn, pd)) != 0)
			return error;
	for (i = 0; i < nitems(ctrs); i++)
		if (server_counter_add(pd->srv, ctrs[i].name,
		    (const uint64_t *)(const void *)((const char *)pd +
		    ctrs[i].off)) != 0)
			log_warnx("policyd: cannot register counter %s",
			    ctrs[i].name);
	return 0;
}

void
pd_bus_stop(struct policyd *pd)
{
	size_t i;

	for (i = 0; i < PD_DUMPS_MAX; i++)
		if (pd->dumps[i].token != 0)
			dump_close(pd, &pd->dumps[i]);
	for (i = 0; i < PD_SNAPS_MAX; i++)
		snap_close(&pd->snaps[i]);
}
