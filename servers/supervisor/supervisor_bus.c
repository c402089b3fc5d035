/*
 * supervisor_bus.c - the supervisor on the bus: it hosts the broker and
 * talks through it as the client "supervisor" (same loop).
 *
 *   in:  ReadyEvent (topic "server")   -> svc_table_ready()
 *        StatusRequest                 -> StatusReply
 *        ShutdownRequest               -> ShutdownReply, then shutdown
 *        PingRequest, CountersRequest  -> as every server
 *   out: ServerStateEvent (topic "server") on every state change
 *
 * Bus input is untrusted, though the bus has already checked each body
 * against its validator: a ReadyEvent counts only if the broker-stamped
 * sender is the server it names, its pid is the child we spawned and its
 * regions are exactly the ones we handed over (inode and uuid).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_msg.h"
#include "counters.h"
#include "handoff.h"
#include "log.h"
#include "supervisor.h"

#define TOPIC_SERVER	"server"
#define SELF		"supervisor"

_Static_assert((int)SVC_STOPPED ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_STOPPED, "state values");
_Static_assert((int)SVC_STARTING ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_STARTING, "state values");
_Static_assert((int)SVC_READY ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_READY, "state values");
_Static_assert((int)SVC_BACKOFF ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_BACKOFF, "state values");
_Static_assert((int)SVC_CRASHLOOP ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_CRASHLOOP, "state values");
_Static_assert((int)SVC_STOPPING ==
    (int)PARAPET__SERVER_STATE__SERVER_STATE_STOPPING, "state values");

#define BODY(T, m)	((const T *)(const void *)(m)->body)



static void
region_info(const struct sup_region *r, unsigned side, Parapet__RegionInfo *ri)
{
	parapet__region_info__init(ri);
	ri->name = deconst(r->def->name);
	ri->inode = r->inode;
	ri->uuid.data = deconst_bytes(r->uuid);
	ri->uuid.len = sizeof(r->uuid);
	ri->size = r->size;
	ri->side = side;
	/* No digest: the supervisor does not attach (attaching a side runs
	 * its slot recovery); servers report digests of what they see. */
}

/* ---- out ---- */

void
sup_bus_state(struct sup *sup, size_t idx)
{
	const struct svc *s = &sup->table.svc[idx];
	Parapet__ServerStateEvent ev;
	int error;

	if (sup->bus == NULL || !bus_client_connected(sup->bus))
		return;
	parapet__server_state_event__init(&ev);
	ev.name = deconst(s->def->name);
	ev.state = (Parapet__ServerState)s->state;
	ev.pid = (uint32_t)s->pid;
	ev.restarts = s->restarts;
	ev.reason = deconst(s->last_exit);
	if ((error = bus_publish(sup->bus, TOPIC_SERVER,
	    PARAPET__MSG_TYPE__MSG_SERVER_STATE_EVENT, &ev.base)) != 0)
		log_debug("bus: ServerStateEvent not sent: %s",
		    strerror(-error));
}

/* ---- in ---- */

static bool
regions_match(struct sup *sup, size_t idx, const Parapet__ReadyEvent *ev)
{
	struct svc_region sr[HANDOFF_REGIONS_MAX];
	size_t n, i, k;

	n = svc_table_regions(&sup->table, idx, sr, nitems(sr));
	if (ev->n_regions != n)
		return false;
	for (i = 0; i < n; i++) {
		const struct sup_region *r = &sup->regions[sr[i].region];

		for (k = 0; k < ev->n_regions; k++)
			if (strcmp(ev->regions[k]->name, r->def->name) == 0)
				break;
		if (k == ev->n_regions)
			return false;
		if (ev->regions[k]->side != sr[i].side ||
		    ev->regions[k]->inode != r->inode ||
		    ev->regions[k]->uuid.len != sizeof(r->uuid) ||
		    memcmp(ev->regions[k]->uuid.data, r->uuid,
		    sizeof(r->uuid)) != 0)
			return false;
	}
	return true;
}

static void
on_ready(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sup *sup = arg;
	const Parapet__ReadyEvent *ev = BODY(Parapet__ReadyEvent, m);
	int idx;

	(void)bc;
	if (m->src == NULL || strcmp(m->src, ev->name) != 0 ||
	    (idx = svc_table_find(&sup->table, ev->name)) < 0) {
		sup->ctr.stale_ready++;
		log_rl_warnx(&sup->rl, "bus: ReadyEvent for \"%s\" from \"%s\" "
		    "ignored", ev->name, m->src != NULL ? m->src : "");
		return;
	}
	if (!regions_match(sup, (size_t)idx, ev)) {
		sup->ctr.bad_ready++;
		log_rl_warnx(&sup->rl, "%s: ReadyEvent (pid %u) with regions "
		    "other than those handed over: ignored", ev->name,
		    ev->pid);
		return;
	}
	if (!svc_table_ready(&sup->table, (size_t)idx, (int)ev->pid,
	    uv_now(sup->loop))) {
		/* A repeat after a reconnect, or a dead instance's. */
		sup->ctr.stale_ready++;
		log_debug("%s: ReadyEvent from pid %u ignored", ev->name,
		    ev->pid);
		return;
	}
	sup->ctr.ready_events++;
	sup_kick(sup);
}

/* Everything a StatusReply points to, allocated at once. */
struct status_build {
	Parapet__ServerStatus	 st[CONFIG_SERVERS_MAX];
	Parapet__ServerStatus	*stp[CONFIG_SERVERS_MAX];
	Parapet__RegionInfo	 sri[CONFIG_SERVERS_MAX][HANDOFF_REGIONS_MAX];
	Parapet__RegionInfo	*srip[CONFIG_SERVERS_MAX][HANDOFF_REGIONS_MAX];
	Parapet__RegionInfo	 ri[CONFIG_REGIONS_MAX];
	Parapet__RegionInfo	*rip[CONFIG_REGIONS_MAX];
};

static void
server_status(struct sup *sup, size_t i, uint64_t now, struct status_build *b)
{
	const struct svc *s = &sup->table.svc[i];
	Parapet__ServerStatus *st = &b->st[i];
	struct svc_region sr[HANDOFF_REGIONS_MAX];
	size_t n, k;

	parapet__server_status__init(st);
	st->name = deconst(s->def->name);
	st->state = (Parapet__ServerState)s->state;
	st->pid = (uint32_t)s->pid;
	st->restarts = s->restarts;
	st->uptime_ms = s->state == SVC_READY ? now - s->ready_ms : 0;
	st->last_exit = deconst(s->last_exit);
	if ((s->state == SVC_BACKOFF || s->state == SVC_CRASHLOOP) &&
	    s->next_start_ms > now)
		st->next_start_ms = s->next_start_ms - now;
	st->crashes = s->rs.streak;
	st->crashloop = s->rs.crashloop;
	n = svc_table_regions(&sup->table, i, sr, nitems(sr));
	for (k = 0; k < n; k++) {
		region_info(&sup->regions[sr[k].region], sr[k].side,
		    &b->sri[i][k]);
		b->srip[i][k] = &b->sri[i][k];
	}
	st->regions = b->srip[i];
	st->n_regions = n;
	b->stp[i] = st;
}

static void
on_status(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sup *sup = arg;
	Parapet__StatusReply rep;
	struct status_build *b;
	uint64_t now;
	size_t i;

	sup->ctr.status_requests++;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		if (bus_reply(bc, m, -ENOMEM, 0, NULL) != 0)
			log_debug("bus: error reply not sent");
		return;
	}
	uv_update_time(sup->loop);
	now = uv_now(sup->loop);
	parapet__status_reply__init(&rep);
	rep.instance = sup->cfg.run_dir;
	rep.pid = (uint32_t)getpid();
	rep.uptime_ms = now - sup->start_ms;
	for (i = 0; i < sup->table.n; i++)
		server_status(sup, i, now, b);
	rep.servers = b->stp;
	rep.n_servers = sup->table.n;
	for (i = 0; i < sup->cfg.nregions; i++) {
		region_info(&sup->regions[i], 0, &b->ri[i]);
		b->rip[i] = &b->ri[i];
	}
	rep.regions = b->rip;
	rep.n_regions = sup->cfg.nregions;
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_STATUS_REPLY,
	    &rep.base) != 0)
		log_warnx("bus: StatusReply not sent");
	free(b);
}

static void
on_shutdown(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sup *sup = arg;
	Parapet__ShutdownReply rep;

	parapet__shutdown_reply__init(&rep);
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_SHUTDOWN_REPLY,
	    &rep.base) != 0)
		log_warnx("bus: ShutdownReply not sent");
	sup_shutdown(sup, "ShutdownRequest");
}

static void
on_ping(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sup *sup = arg;
	const Parapet__PingRequest *req = BODY(Parapet__PingRequest, m);
	Parapet__PingReply rep;

	parapet__ping_reply__init(&rep);
	rep.nonce = req != NULL ? req->nonce : 0;
	rep.name = deconst(SELF);
	rep.pid = (uint32_t)getpid();
	rep.uptime_ms = uv_now(sup->loop) - sup->start_ms;
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_PING_REPLY,
	    &rep.base) != 0)
		log_debug("bus: PingReply not sent");
}

static void
on_counters(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct sup *sup = arg;
	Parapet__CountersReply rep;
	struct counters *cs;

	if ((cs = counters_new()) == NULL) {
		if (bus_reply(bc, m, -ENOMEM, 0, NULL) != 0)
			log_debug("bus: error reply not sent");
		return;
	}
	counters_add(cs, sup->ctr.spawns, "supervisor.spawns");
	counters_add(cs, sup->ctr.spawn_failures, "supervisor.spawn_failures");
	counters_add(cs, sup->ctr.crashes, "supervisor.crashes");
	counters_add(cs, sup->ctr.ready_events, "supervisor.ready_events");
	counters_add(cs, sup->ctr.stale_ready, "supervisor.stale_ready");
	counters_add(cs, sup->ctr.bad_ready, "supervisor.bad_ready");
	counters_add(cs, sup->ctr.status_requests,
	    "supervisor.status_requests");
	counters_add_broker(cs, "broker", bus_broker_stats(sup->broker));
	counters_add_client(cs, "bus", bus_client_stats(bc));
	counters_reply(cs, SELF, &rep);
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_COUNTERS_REPLY,
	    &rep.base) != 0)
		log_debug("bus: CountersReply not sent");
	counters_free(cs);
}

/*
 * Start-up barrier: a ping to ourselves through the broker. The broker
 * handles one connection's frames in order, so when the reply is back our
 * SubscribeRequest for "server" (sent before it) is in force, and no
 * server's ReadyEvent can slip past us.
 */
static void barrier(struct sup *);

static void
on_barrier(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct sup *sup = arg;

	(void)bc;
	(void)reply;
	if (error != 0) {
		log_debug("bus: barrier: %s; again", strerror(-error));
		if (error != -ECANCELED && error != -ENOTCONN)
			barrier(sup);
		return;
	}
	if (sup->bus_ready)
		return;
	sup->bus_ready = true;
	log_debug("bus: subscribed; starting servers");
	sup_kick(sup);
}

static void
barrier(struct sup *sup)
{
	Parapet__PingRequest req;
	int error;

	parapet__ping_request__init(&req);
	req.nonce = (uint64_t)getpid();
	if ((error = bus_request(sup->bus, SELF,
	    PARAPET__MSG_TYPE__MSG_PING_REQUEST, &req.base, 1000, on_barrier,
	    sup)) != 0)
		log_debug("bus: barrier: %s", strerror(-error));
}

static void
on_connect(struct bus_client *bc, void *arg)
{
	struct sup *sup = arg;

	(void)bc;
	if (!sup->bus_ready)
		barrier(sup);
}

int
sup_bus_start(struct sup *sup)
{
	struct bus_broker_cfg bcfg;
	struct bus_client_cfg ccfg;
	int error;

	memset(&bcfg, 0, sizeof(bcfg));
	bcfg.path = sup->cfg.bus_socket;
	bcfg.mode = (mode_t)sup->cfg.bus_mode;
	bcfg.instance = sup->cfg.run_dir;
	if ((error = bus_broker_create(sup->loop, &bcfg, &sup->broker)) != 0)
		return error;

	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.path = sup->cfg.bus_socket;
	ccfg.name = SELF;
	ccfg.reconnect_min_ms = 5;
	ccfg.on_connect = on_connect;
	ccfg.arg = sup;
	if ((error = bus_client_create(sup->loop, &ccfg, &sup->bus)) != 0)
		return error;
	if ((error = bus_client_on(sup->bus, PARAPET__MSG_TYPE__MSG_READY_EVENT,
	    on_ready, sup)) != 0 ||
	    (error = bus_client_on(sup->bus,
	    PARAPET__MSG_TYPE__MSG_STATUS_REQUEST, on_status, sup)) != 0 ||
	    (error = bus_client_on(sup->bus,
	    PARAPET__MSG_TYPE__MSG_SHUTDOWN_REQUEST, on_shutdown, sup)) != 0 ||
	    (error = bus_client_on(sup->bus,
	    PARAPET__MSG_TYPE__MSG_PING_REQUEST, on_ping, sup)) != 0 ||
	    (error = bus_client_on(sup->bus,
	    PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST, on_counters, sup)) != 0)
		return error;
	return bus_subscribe(sup->bus, TOPIC_SERVER);
}

void
sup_bus_stop(struct sup *sup)
{
	if (sup->bus != NULL)
		bus_client_destroy(sup->bus);
	sup->bus = NULL;
	if (sup->broker != NULL)
		bus_broker_destroy(sup->broker);
	sup->broker = NULL;
}
