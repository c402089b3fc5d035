/*
 * ipsecd_bus.c - ipsecd and keyd over the bus (proto/keyd.proto):
 *
 *   SaChangeEvent (topic "sa")   INSTALL / UPDATE / DELETE, applied by
 *                                generation into the SA table
 *   SaChangeBatchEvent ("sa")    several of those, applied in order
 *   SaSyncRequest pages          every usable SA, at start, after a bus
 *                                reconnect and after keyd restarts
 *                                (ServerStateEvent on topic "server");
 *                                SAs keyd no longer has are swept and
 *                                their state records pruned
 *   SaUsageRequest               every IPSECD_USAGE_MS, and at once when a
 *                                soft/hard limit was crossed: per-SA bytes,
 *                                packets and first use since the last one
 *   AcquireRequest               an outbound request found no SA; one
 *                                outstanding per (policy id, reqid)
 *
 * Untrusted input: every message (already validated by the bus,
 * common/bus_msg.c; converted and checked again by ipsecd_sa.c). Keys
 * are copied into sodium memory by the conversion, and the key bytes of
 * each received message and of the packed body it came from are wiped at
 * once after use; the socket read buffer is common/bus.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bus.pb-c.h"
#include "bus_msg.h"
#include "ipsecd_sa.h"
#include "ipsecd_shell.h"
#include "keyd.pb-c.h"
#include "supervisor.pb-c.h"

#define T(x)	PARAPET__MSG_TYPE__MSG_##x
#define KEYD	"keyd"

static void sync_start(struct ipsecd *);

/*
 * The packed body a message was unpacked from still holds its keys (the
 * envelope keeps it until the message is freed): wipe it too. The read
 * buffer it came in is the bus client's (common/bus.c).
 */
static void
wipe_body(const struct bus_msg *m)
{
	if (m->env != NULL && m->env->body.data != NULL)
		sodium_memzero(m->env->body.data, m->env->body.len);
}

/* ---- SAs: INSTALL, UPDATE, DELETE, sync pages ---- */

static void
sa_apply(struct ipsecd *d, const Parapet__Sa *m, bool from_sync)
{
	enum ipsecd_sa_reject why;
	struct ipsecd_sainfo *info;
	struct sa_spec spec;
	struct sa_entry *e;
	int error;

	error = ipsecd_sa_from_msg(m, true, &spec, &why);
	ipsecd_sa_wipe(m);
	if (error != 0) {
		d->c.sa_rejected++;
		log_rl_warnx(&d->rl_bus, "sa: refused spi 0x%08x gen %llu "
		    "from keyd: %s", m != NULL ? m->spi : 0,
		    m != NULL ? (unsigned long long)m->generation : 0ULL,
		    ipsecd_sa_reject_str(why));
		return;
	}
	if ((e = sa_table_lookup_in(d->sat, spec.spi, &spec.dst,
	    spec.proto)) != NULL) {
		if (e->se.gen > spec.gen) {
			/* An older SA's message after its successor. */
			ipsecd_sa_spec_free(&spec);
			return;
		}
		if (e->se.gen == spec.gen) {
			sa_table_update(d->sat, e, &spec.lft, spec.natt_sport,
			    spec.natt_dport);
			if ((spec.flags & SA_F_DYING) != 0)
				sa_table_set_dying(d->sat, e);
			if ((info = ipsecd_info_get(d, spec.gen)) != NULL)
				info->seen_sync = d->sync_epoch;
			ipsecd_sa_spec_free(&spec);
			d->c.sa_updated++;
			return;
		}
		/* The same SPI for a newer SA: the old one is gone. */
		sa_table_delete(d->sat, e);
		d->c.sa_deleted++;
	}
	if (from_sync && d->restarted && !d->synced_once &&
	    d->own_store != NULL) {
		/*
		 * Restarted without the supervisor's store: the killed
		 * ipsecd's sequence counters are gone, and using the SA
		 * again could repeat an IV. Wait for keyd to re-key.
		 */
		ipsecd_sa_spec_free(&spec);
		d->c.sa_stale++;
		log_rl_warnx(&d->rl_bus, "sa: spi 0x%08x not used: restarted "
		    "without a store, its sequence numbers are lost", m->spi);
		return;
	}
	if ((error = ipsecd_sa_install(d, &spec,
	    from_sync && d->restarted && !d->synced_once)) != 0) {
		if (error == -ESTALE)
			d->c.sa_stale++;
		else
			d->c.sa_rejected++;
		log_rl_warnx(&d->rl_bus, "sa: cannot install spi 0x%08x gen "
		    "%llu: %s%s", m->spi, (unsigned long long)m->generation,
		    strerror(-error), error == -ESTALE ?
		    " (its sequence state was lost: not used)" : "");
		return;
	}
	d->c.sa_installed++;
}

static void
sa_remove(struct ipsecd *d, const Parapet__Sa *m)
{
	enum ipsecd_sa_reject why;
	struct sa_spec spec;
	struct sa_entry *e;

	if (ipsecd_sa_from_msg(m, false, &spec, &why) != 0) {
		d->c.sa_rejected++;
		return;
	}
	e = sa_table_lookup_in(d->sat, spec.spi, &spec.dst, spec.proto);
	if (e == NULL || e->se.gen != spec.gen)
		return;
	sa_table_delete(d->sat, e);
	d->c.sa_deleted++;
}

static void
on_sa_change(struct bus_client *c, const struct bus_msg *msg, void *arg)
{
	const Parapet__SaChangeEvent *ev = (const void *)msg->body;
	struct ipsecd *d = arg;

	(void)c;
	if (strcmp(msg->src, KEYD) != 0) {
		d->c.sa_rejected++;
		ipsecd_sa_wipe(ev->sa);
		wipe_body(msg);
		log_rl_warnx(&d->rl_bus, "sa: SaChangeEvent from %s ignored",
		    msg->src);
		return;
	}
	switch (ev->change) {
	case PARAPET__SA_CHANGE__SA_CHANGE_INSTALL:
	case PARAPET__SA_CHANGE__SA_CHANGE_UPDATE:
		sa_apply(d, ev->sa, false);
		break;
	case PARAPET__SA_CHANGE__SA_CHANGE_DELETE:
		sa_remove(d, ev->sa);
		break;
	default:
		d->c.sa_rejected++;
		break;
	}
	ipsecd_sa_wipe(ev->sa);
	wipe_body(msg);
}

/* A batch of SaChangeEvents (keyd: one frame per batch): each in order. */
static void
on_sa_change_batch(struct bus_client *c, const struct bus_msg *msg,
    void *arg)
{
	const Parapet__SaChangeBatchEvent *b = (const void *)msg->body;
	struct bus_msg one = *msg;
	size_t i;

	for (i = 0; i < b->n_events; i++) {
		one.type = T(SA_CHANGE_EVENT);
		one.body = &b->events[i]->base;
		on_sa_change(c, &one, arg);
	}
	wipe_body(msg);
}

/* ---- sync: page through every SA keyd has ---- */

static int
sweep_one(void *arg, struct sa_entry *e)
{
	struct ipsecd *d = arg;
	struct ipsecd_sainfo *info = ipsecd_info_get(d, e->se.gen);

	if (info == NULL || info->seen_sync != d->sync_epoch) {
		sa_table_delete(d->sat, e);
		d->c.sa_swept++;
	}
	return 0;
}

static void sync_page(struct ipsecd *, uint64_t cursor);

static void
sync_failed(struct ipsecd *d, int error)
{
	d->sync_busy = false;
	d->c.sync_failed++;
	d->sync_retry_at = ipsecd_now_ms(d) + IPSECD_SYNC_RETRY_MS;
	log_rl_warnx(&d->rl_bus, "sync: SaSyncRequest failed: %s (retry)",
	    strerror(-error));
}

static void
on_sync_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	struct ipsecd *d = arg;
	const Parapet__SaSyncReply *r;
	size_t i, pruned;

	(void)c;
	if (d->sat == NULL)	/* stopping */
		return;
	if (error != 0) {
		sync_failed(d, error);
		return;
	}
	r = (const void *)rep->body;
	for (i = 0; i < r->n_sas; i++)
		sa_apply(d, r->sas[i], true);
	for (i = 0; i < r->n_sas; i++)
		ipsecd_sa_wipe(r->sas[i]);
	wipe_body(rep);
	if (!r->done) {
		sync_page(d, r->cursor);
		return;
	}
	(void)sa_table_foreach(d->sat, sweep_one, d);
	pruned = sa_pstates_prune(d->pst);
	d->sync_busy = false;
	d->synced_once = true;
	d->c.syncs++;
	ipsecd_io_kick(d);
	log_info("sync: %zu SA(s) from keyd%s, %zu stale state record(s) "
	    "pruned", sa_table_count(d->sat), d->restarted ?
	    " after restart" : "", pruned);
	if (d->sync_again) {
		d->sync_again = false;
		sync_start(d);
	}
}

static void
sync_page(struct ipsecd *d, uint64_t cursor)
{
	Parapet__SaSyncRequest rq;
	int error;

	parapet__sa_sync_request__init(&rq);
	rq.cursor = cursor;
	rq.max = IPSECD_SYNC_PAGE;
	if ((error = bus_request(d->bus, KEYD, T(SA_SYNC_REQUEST), &rq.base,
	    0, on_sync_reply, d)) != 0)
		sync_failed(d, error);
}

static void
sync_start(struct ipsecd *d)
{
	if (d->sync_busy) {
		d->sync_again = true;
		return;
	}
	d->sync_retry_at = 0;
	if (!bus_client_connected(d->bus)) {
		d->sync_retry_at = ipsecd_now_ms(d) + IPSECD_SYNC_RETRY_MS;
		return;
	}
	d->sync_busy = true;
	d->sync_epoch++;
	sync_page(d, 0);
}

/* keyd restarted: its SAs survive in its store, but events may be lost. */
static void
on_server_state(struct bus_client *c, const struct bus_msg *msg, void *arg)
{
	const Parapet__ServerStateEvent *ev = (const void *)msg->body;
	struct ipsecd *d = arg;

	(void)c;
	/* Only the supervisor speaks for the servers' states. */
	if (strcmp(msg->src, "supervisor") != 0 ||
	    ev->name == NULL || strcmp(ev->name, KEYD) != 0 ||
	    ev->state != PARAPET__SERVER_STATE__SERVER_STATE_READY ||
	    ev->pid == d->keyd_pid)
		return;
	log_info("sync: keyd ready (pid %u): resynchronising", ev->pid);
	d->keyd_pid = ev->pid;
	sync_start(d);
}

/* ---- usage ---- */

struct usage_batch {
	Parapet__SaUsage	 u[BUS_SA_USAGE_MAX];
	Parapet__SaUsage	*up[BUS_SA_USAGE_MAX];
	Parapet__SaAddr		 dst[BUS_SA_USAGE_MAX];
	struct ipsecd_sainfo	*info[BUS_SA_USAGE_MAX];
	uint64_t		 bytes[BUS_SA_USAGE_MAX];
	uint64_t		 packets[BUS_SA_USAGE_MAX];
	size_t			 n;
	struct ipsecd		*d;
};

static void
on_usage_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	struct ipsecd *d = arg;
	const Parapet__SaUsageReply *r;

	(void)c;
	if (error != 0) {
		d->c.usage_failed++;
		log_rl_warnx(&d->rl_bus, "usage: SaUsageRequest failed: %s",
		    strerror(-error));
		return;
	}
	r = (const void *)rep->body;
	if (r->unknown != 0)
		log_debug("usage: keyd knew %u of the SAs reported not",
		    r->unknown);
}

static void
usage_flush(struct usage_batch *b)
{
	struct ipsecd *d = b->d;
	Parapet__SaUsageRequest rq;
	size_t i;

	if (b->n == 0)
		return;
	parapet__sa_usage_request__init(&rq);
	rq.n_usage = b->n;
	rq.usage = b->up;
	if (bus_request(d->bus, KEYD, T(SA_USAGE_REQUEST), &rq.base,
	    0, on_usage_reply, d) != 0) {
		/* Not committed: the next report carries these counts. */
		d->c.usage_failed++;
		b->n = 0;
		return;
	}
	for (i = 0; i < b->n; i++) {
		b->info[i]->rep_bytes = b->bytes[i];
		b->info[i]->rep_packets = b->packets[i];
		if (b->u[i].first_use_time != 0)
			b->info[i]->rep_first_use = true;
	}
	d->c.usage_sent += b->n;
	b->n = 0;
}

static int
usage_one(void *arg, struct sa_entry *e)
{
	struct usage_batch *b = arg;
	struct ipsecd_sainfo *info;
	const struct sa_pstate_rec *rec;
	Parapet__SaUsage *u;
	uint64_t first = 0;
	bool tell_first;

	if (e->state == NULL ||
	    (info = ipsecd_info_get(b->d, e->se.gen)) == NULL)
		return 0;
	rec = sa_pstate_rec(e->state);
	/* Counts only grow; a record that went back is reported afresh. */
	if (rec->sr_bytes < info->rep_bytes ||
	    rec->sr_packets < info->rep_packets)
		info->rep_bytes = info->rep_packets = 0;
	tell_first = !info->rep_first_use &&
	    sa_pstate_first_use(e->state, &first);
	if (rec->sr_bytes == info->rep_bytes &&
	    rec->sr_packets == info->rep_packets && !tell_first)
		return 0;
	u = &b->u[b->n];
	parapet__sa_usage__init(u);
	parapet__sa_addr__init(&b->dst[b->n]);
	u->generation = e->se.gen;
	u->proto = (Parapet__SaProto)e->se.proto;
	u->spi = e->se.spi;
	b->dst[b->n].family = e->se.dst.family == 4 ?
	    PARAPET__SA_FAMILY__SA_FAMILY_INET :
	    PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	b->dst[b->n].addr.data = e->se.dst.a;
	b->dst[b->n].addr.len = e->se.dst.family == 4 ? 4 : 16;
	u->dst = &b->dst[b->n];
	u->bytes = rec->sr_bytes - info->rep_bytes;
	u->packets = rec->sr_packets - info->rep_packets;
	u->first_use_time = tell_first ? first : 0;
	b->up[b->n] = u;
	b->info[b->n] = info;
	b->bytes[b->n] = rec->sr_bytes;
	b->packets[b->n] = rec->sr_packets;
	if (++b->n == BUS_SA_USAGE_MAX)
		usage_flush(b);
	return 0;
}

void
ipsecd_usage_report(struct ipsecd *d)
{
	struct usage_batch *b;

	d->usage_now = false;
	d->usage_at = ipsecd_now_ms(d) + IPSECD_USAGE_MS;
	if (!bus_client_connected(d->bus) || sa_table_count(d->sat) == 0)
		return;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return;
	b->d = d;
	(void)sa_table_foreach(d->sat, usage_one, b);
	usage_flush(b);
	free(b);
}

/* ---- ACQUIRE ---- */

struct acq_ctx {
	struct ipsecd	*d;
	uint32_t	 policy_id;
	uint32_t	 reqid;
};

static struct ipsecd_acq *
acq_find(struct ipsecd *d, uint32_t policy_id, uint32_t reqid)
{
	size_t i;

	for (i = 0; i < IPSECD_ACQ_SLOTS; i++)
		if (d->acq[i].sent_ms != 0 &&
		    d->acq[i].policy_id == policy_id &&
		    d->acq[i].reqid == reqid)
			return &d->acq[i];
	return NULL;
}

static void
acq_clear(struct ipsecd *d, uint32_t policy_id, uint32_t reqid)
{
	struct ipsecd_acq *a;

	if ((a = acq_find(d, policy_id, reqid)) != NULL)
		a->sent_ms = 0;
}

static void
on_acquire_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	struct acq_ctx *x = arg;
	struct ipsecd *d = x->d;
	const Parapet__AcquireReply *r;

	(void)c;
	if (error != 0) {
		d->c.acquire_failed++;
		acq_clear(d, x->policy_id, x->reqid);
	} else {
		r = (const void *)rep->body;
		if (r->status ==
		    PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SA_EXISTS) {
			/*
			 * keyd has an SA we lack: we missed something. The
			 * acquire stays outstanding (its timeout limits how
			 * often this resynchronises).
			 */
			log_rl_warnx(&d->rl_bus, "acquire: keyd has an SA "
			    "for policy %u reqid %u: resynchronising",
			    x->policy_id, x->reqid);
			if (d->sat != NULL)
				sync_start(d);
		}
	}
	free(x);
}

static void
on_acquire_done(struct bus_client *c, const struct bus_msg *msg, void *arg)
{
	const Parapet__AcquireDoneEvent *ev = (const void *)msg->body;
	struct ipsecd *d = arg;

	(void)c;
	if (strcmp(msg->src, KEYD) == 0)
		acq_clear(d, ev->policy_id, ev->reqid);
}

static void
addr_msg(Parapet__SaAddr *m, const struct sa_addr *a)
{
	parapet__sa_addr__init(m);
	m->family = a->family == 4 ? PARAPET__SA_FAMILY__SA_FAMILY_INET :
	    PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	m->addr.data = deconst_bytes(a->a);
	m->addr.len = a->family == 4 ? 4 : 16;
}

void
ipsecd_acquire(struct ipsecd *d, uint32_t policy_id,
    const struct sa_out_req *req, const struct sa_addr *pkt_src,
    const struct sa_addr *pkt_dst)
{
	Parapet__AcquireRequest rq;
	Parapet__AcquireSelector sel;
	Parapet__SaAddr src, dst, ssrc, sdst;
	struct ipsecd_acq *a = NULL;
	struct acq_ctx *x;
	uint64_t now = ipsecd_now_ms(d);
	size_t i;

	if ((a = acq_find(d, policy_id, req->reqid)) != NULL &&
	    now - a->sent_ms < IPSECD_ACQ_TIMEOUT_MS) {
		d->c.acquire_limited++;
		return;
	}
	if (a == NULL)
		for (i = 0; i < IPSECD_ACQ_SLOTS && a == NULL; i++)
			if (d->acq[i].sent_ms == 0 ||
			    now - d->acq[i].sent_ms >= IPSECD_ACQ_TIMEOUT_MS)
				a = &d->acq[i];
	if (a == NULL || req->src.family == 0 ||
	    req->src.family != req->dst.family) {
		d->c.acquire_limited++;
		return;
	}
	if ((x = malloc(sizeof(*x))) == NULL) {
		d->c.acquire_failed++;
		return;
	}
	x->d = d;
	x->policy_id = policy_id;
	x->reqid = req->reqid;
	parapet__acquire_request__init(&rq);
	rq.policy_id = policy_id;
	rq.dir = PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_OUT;
	rq.reqid = req->reqid;
	rq.proto = (Parapet__SaProto)req->proto;
	rq.mode = req->mode == SA_MODE_TUNNEL ?
	    PARAPET__SA_MODE__SA_MODE_TUNNEL :
	    PARAPET__SA_MODE__SA_MODE_TRANSPORT;
	addr_msg(&src, &req->src);
	addr_msg(&dst, &req->dst);
	rq.src = &src;
	rq.dst = &dst;
	if (pkt_src->family != 0 && pkt_src->family == pkt_dst->family) {
		parapet__acquire_selector__init(&sel);
		addr_msg(&ssrc, pkt_src);
		addr_msg(&sdst, pkt_dst);
		sel.src = &ssrc;
		sel.dst = &sdst;
		sel.src_prefixlen = sel.dst_prefixlen =
		    pkt_src->family == 4 ? 32 : 128;
		sel.ulproto = 255;
		rq.selector = &sel;
	}
	if (bus_request(d->bus, KEYD, T(ACQUIRE_REQUEST), &rq.base,
	    0, on_acquire_reply, x) != 0) {
		free(x);
		d->c.acquire_failed++;
		return;
	}
	a->policy_id = policy_id;
	a->reqid = req->reqid;
	a->sent_ms = now != 0 ? now : 1;
	d->c.acquire_sent++;
}

/* ---- the tick: reconnects, sync retries, periodic usage ---- */

/* A new connection: events may have been missed; sync. */
static bool
check_connect(struct ipsecd *d)
{
	if (!bus_client_reconnected(d->bus, &d->connects_seen))
		return false;
	sync_start(d);
	return true;
}

/*
 * server_connect_fn: the sync starts as soon as the connection is up, not
 * at the next tick (up to IPSECD_TICK_MS later): until the first sync
 * after a restart no packet is taken from the rings.
 */
static void
on_connect(void *arg)
{
	(void)check_connect(arg);
}

static void
on_tick(uv_timer_t *t)
{
	struct ipsecd *d = t->data;
	uint64_t now = ipsecd_now_ms(d);

	if (!check_connect(d) && d->sync_retry_at != 0 &&
	    now >= d->sync_retry_at)
		sync_start(d);
	if (d->usage_now || now >= d->usage_at)
		ipsecd_usage_report(d);
	if (!d->synced_once && ipsecd_io_waiting(d) != 0)
		log_rl_warnx(&d->rl_wait, "rings: %u packet(s) wait for the "
		    "first sync with keyd", ipsecd_io_waiting(d));
}

int
ipsecd_bus_start(struct ipsecd *d)
{
	int error;

	if ((error = bus_client_on(d->bus, T(SA_CHANGE_EVENT), on_sa_change,
	    d)) != 0 ||
	    (error = bus_client_on(d->bus, T(SA_CHANGE_BATCH_EVENT),
	    on_sa_change_batch, d)) != 0 ||
	    (error = bus_client_on(d->bus, T(ACQUIRE_DONE_EVENT),
	    on_acquire_done, d)) != 0 ||
	    (error = bus_client_on(d->bus, T(SERVER_STATE_EVENT),
	    on_server_state, d)) != 0 ||
	    (error = bus_subscribe(d->bus, "sa")) != 0 ||
	    (error = bus_subscribe(d->bus, "server")) != 0 ||
	    (error = server_on_connect(d->srv, on_connect, d)) != 0)
		return error;
	d->usage_at = ipsecd_now_ms(d) + IPSECD_USAGE_MS;
	if (uv_timer_init(d->loop, &d->tick) != 0)
		return -EIO;
	d->tick.data = d;
	if (uv_timer_start(&d->tick, on_tick, IPSECD_TICK_MS,
	    IPSECD_TICK_MS) != 0)
		return -EIO;
	return 0;
}

void
ipsecd_bus_stop(struct ipsecd *d)
{
	if (!uv_is_closing((uv_handle_t *)&d->tick))
		uv_close((uv_handle_t *)&d->tick, NULL);
}
