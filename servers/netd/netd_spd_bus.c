/*
 * netd_spd_bus.c - netd's SPD replica on the bus (the shell of
 * netd_spd.h; the rules are in netd_spd.c):
 *
 *   SpdSnapshotRequest pages   at start, after every bus (re)connect,
 *     (to policyd)             when policyd becomes READY with a new pid
 *                              (ServerStateEvent, topic "server"), and
 *                              when an event shows a gap or a new epoch;
 *                              one walk at a time, a failed one retried
 *                              with back-off (250 ms .. 4 s)
 *   SysctlGetRequest ("")      every variable, on the same occasions
 *   SpdChangeEvent ("spd")     deltas, accepted from policyd only
 *   SysctlChangeEvent          one variable, from policyd only
 *     ("sysctl")
 *   SockpolSnapshotRequest     the per-socket policy registry
 *     (to policyd)             (netd_sockpol.h), on the same occasions
 *   SockpolChangeEvent         one registration; a gap asks for a new
 *     ("sockpol")              snapshot
 *   SockpolAppliedEvent        sent after each registry snapshot or
 *     (to "sockpol_ack")       event applied: policyd holds a client's
 *                              setsockopt until netd has its change
 *
 * After each change the decide_ctx is refreshed (spd pointer, params,
 * policyd_known: the SPD and the registry both loaded) and the caller's
 * callback runs. Untrusted input: the
 * bus messages (validated by common/bus_msg.c, then by the core).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bus.h"
#include "bus_msg.h"
#include "log.h"
#include "netd_sockpol.h"
#include "netd_spd.h"
#include "server.h"

#define T(x)		PARAPET__MSG_TYPE__MSG_##x
#define POLICYD		"policyd"
#define TICK_MS		100
#define RETRY_MIN_MS	250
#define RETRY_MAX_MS	4000

enum { JOB_SNAP = 0, JOB_SYSCTL = 1, JOB_SOCKPOL = 2, NJOBS };

static const char *const job_name[NJOBS] = {
	"snapshot", "variables", "per-socket policies",
};

/* A repeated fetch: one in flight, another queued behind it. */
struct job {
	bool		busy;
	bool		again;
	uint64_t	retry_at;	/* 0: none planned */
	uint32_t	backoff_ms;
};

struct netd_spd {
	struct netd_spdr	 r;
	struct netd_sockpol	 sp;		/* per-socket registry */
	struct decide_ctx	*dc;
	struct server		*srv;
	struct bus_client	*bus;
	uv_timer_t		 tick;
	bool			 tick_init;
	bool			 provisional;
	bool			 dead;		/* freed; waits for replies */
	bool			 absent_said;	/* "policyd not on the bus" */
	unsigned		 pending;	/* requests in flight */
	struct job		 job[NJOBS];
	uint64_t		 connects_seen;
	uint32_t		 policyd_pid;
	netd_spd_change_fn	*on_change;
	void			*on_change_arg;
	struct log_rl		 rl;
};

static void job_start(struct netd_spd *, int which);

static void
refresh(struct netd_spd *ns, bool changed)
{
	ns->dc->spd = netd_spdr_spd(&ns->r);
	netd_spdr_params(&ns->r, &ns->dc->params);
	ns->dc->policyd_known = (netd_spdr_synced(&ns->r) &&
	    ns->sp.m.synced) || ns->provisional;
	if (changed && ns->on_change != NULL)
		ns->on_change(ns->on_change_arg);
}

static uint64_t
now_ms(const struct netd_spd *ns)
{
	return uv_now(server_loop(ns->srv));
}

/* A freed replica goes once its timer closed and no reply is due. */
static void
maybe_free(struct netd_spd *ns)
{
	if (!ns->dead || ns->pending != 0 || ns->tick_init)
		return;
	netd_spdr_fini(&ns->r);
	netd_sockpol_fini(&ns->sp);
	free(ns);
}

/* A reply arrived (or was cancelled). True: the replica is freed. */
static bool
reply_done(struct netd_spd *ns)
{
	ns->pending--;
	if (!ns->dead)
		return false;
	maybe_free(ns);
	return true;
}

static void
job_failed(struct netd_spd *ns, int which, int error)
{
	struct job *j = &ns->job[which];

	j->busy = false;
	j->again = false;
	j->backoff_ms = j->backoff_ms == 0 ? RETRY_MIN_MS :
	    j->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : j->backoff_ms * 2;
	j->retry_at = now_ms(ns) + j->backoff_ms;
	if (error == -EHOSTUNREACH) {
		/* policyd not on the bus (not started yet, or not in this
		 * setup): said once; its ReadyEvent brings a resync. */
		if (!ns->absent_said)
			log_info("spd: policyd is not on the bus: waiting for "
			    "it%s", ns->provisional ? "" : " (failing closed)");
		ns->absent_said = true;
		return;
	}
	log_rl_warnx(&ns->rl, "spd: %s from policyd failed: %s (retry in "
	    "%u ms)", job_name[which], strerror(-error), j->backoff_ms);
}

static void
job_done(struct netd_spd *ns, int which)
{
	struct job *j = &ns->job[which];

	j->busy = false;
	j->backoff_ms = 0;
	ns->absent_said = false;
	if (j->again) {
		j->again = false;
		job_start(ns, which);
	}
}

/* ---- the snapshot ---- */

static void snap_page(struct netd_spd *, uint64_t cursor);

static void
on_snap_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	struct netd_spd *ns = arg;
	int rv;

	(void)c;
	if (reply_done(ns))
		return;
	if (error != 0) {
		netd_spdr_snap_abort(&ns->r);
		job_failed(ns, JOB_SNAP, error);
		return;
	}
	rv = netd_spdr_snap_page(&ns->r,
	    (const Parapet__SpdSnapshotReply *)(const void *)rep->body);
	if (rv == 0) {
		snap_page(ns, ((const Parapet__SpdSnapshotReply *)
		    (const void *)rep->body)->cursor);
		return;
	}
	if (rv < 0) {
		job_failed(ns, JOB_SNAP, rv);
		return;
	}
	log_info("spd: snapshot of policyd's SPD: epoch %016llx, generation "
	    "%llu, %llu policies in use", (unsigned long long)ns->r.live.epoch,
	    (unsigned long long)ns->r.live.gen,
	    (unsigned long long)ns->r.st.policies);
	refresh(ns, true);
	if (rv == 2)
		ns->job[JOB_SNAP].again = true;	/* a kept event had a gap */
	job_done(ns, JOB_SNAP);
}

static void
snap_page(struct netd_spd *ns, uint64_t cursor)
{
	Parapet__SpdSnapshotRequest rq;
	int error;

	parapet__spd_snapshot_request__init(&rq);
	rq.cursor = cursor;
	rq.max = NETD_SPD_PAGE;
	if ((error = bus_request(ns->bus, POLICYD, T(SPD_SNAPSHOT_REQUEST),
	    &rq.base, 0, on_snap_reply, ns)) != 0) {
		netd_spdr_snap_abort(&ns->r);
		job_failed(ns, JOB_SNAP, error);
		return;
	}
	ns->pending++;
}

/* ---- the variables ---- */

static void
on_sysctl_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	const Parapet__SysctlGetReply *r;
	struct netd_spd *ns = arg;
	size_t i;

	(void)c;
	if (reply_done(ns))
		return;
	if (error != 0) {
		job_failed(ns, JOB_SYSCTL, error);
		return;
	}
	r = (const void *)rep->body;
	for (i = 0; i < r->n_vars; i++)
		if (netd_spdr_sysctl(&ns->r, r->vars[i]->name,
		    r->vars[i]->value) != 0)
			log_rl_warnx(&ns->rl, "sysctl: %s = %lld from policyd "
			    "ignored (unknown or out of range)",
			    r->vars[i]->name, (long long)r->vars[i]->value);
	refresh(ns, true);
	job_done(ns, JOB_SYSCTL);
}

static void
sysctl_fetch(struct netd_spd *ns)
{
	Parapet__SysctlGetRequest rq;
	int error;

	parapet__sysctl_get_request__init(&rq);
	rq.name = deconst("");
	if ((error = bus_request(ns->bus, POLICYD, T(SYSCTL_GET_REQUEST),
	    &rq.base, 0, on_sysctl_reply, ns)) != 0) {
		job_failed(ns, JOB_SYSCTL, error);
		return;
	}
	ns->pending++;
}

/* ---- the per-socket policies ---- */

/* Tell policyd which generation of its registry the replica holds. */
static void
sockpol_ack(struct netd_spd *ns)
{
	Parapet__SockpolAppliedEvent ev;

	if (!ns->sp.m.synced)
		return;
	parapet__sockpol_applied_event__init(&ev);
	ev.epoch = ns->sp.m.epoch;
	ev.gen = ns->sp.m.gen;
	if (bus_publish(ns->bus, "sockpol_ack", T(SOCKPOL_APPLIED_EVENT),
	    &ev.base) != 0)
		log_rl_warnx(&ns->rl, "sockpol: cannot acknowledge "
		    "generation %llu", (unsigned long long)ev.gen);
}

static void
on_sockpol_reply(struct bus_client *c, int error, const struct bus_msg *rep,
    void *arg)
{
	struct netd_spd *ns = arg;

	(void)c;
	if (reply_done(ns))
		return;
	if (error == 0)
		error = netd_sockpol_snapshot(&ns->sp,
		    (const Parapet__SockpolSnapshotReply *)(const void *)
		    rep->body);
	if (error != 0) {
		job_failed(ns, JOB_SOCKPOL, error);
		return;
	}
	refresh(ns, true);
	sockpol_ack(ns);
	job_done(ns, JOB_SOCKPOL);
}

static void
sockpol_fetch(struct netd_spd *ns)
{
	Parapet__SockpolSnapshotRequest rq;
	int error;

	parapet__sockpol_snapshot_request__init(&rq);
	if ((error = bus_request(ns->bus, POLICYD,
	    T(SOCKPOL_SNAPSHOT_REQUEST), &rq.base, 0, on_sockpol_reply,
	    ns)) != 0) {
		job_failed(ns, JOB_SOCKPOL, error);
		return;
	}
	ns->pending++;
}

static void
snap_fetch(struct netd_spd *ns)
{
	int error;

	if ((error = netd_spdr_snap_begin(&ns->r)) != 0) {
		job_failed(ns, JOB_SNAP, error);
		return;
	}
	snap_page(ns, 0);
}

static void (*const job_fetch[NJOBS])(struct netd_spd *) = {
	snap_fetch, sysctl_fetch, sockpol_fetch,
};

static void
job_start(struct netd_spd *ns, int which)
{
	struct job *j = &ns->job[which];

	if (j->busy) {
		j->again = true;
		return;
	}
	j->retry_at = 0;
	if (!bus_client_connected(ns->bus)) {
		j->retry_at = now_ms(ns) + RETRY_MIN_MS;
		return;
	}
	j->busy = true;
	job_fetch[which](ns);
}

static void
resync(struct netd_spd *ns)
{
	int k;

	for (k = 0; k < NJOBS; k++)
		job_start(ns, k);
}

/* ---- events ---- */

static bool
from_policyd(struct netd_spd *ns, const struct bus_msg *m)
{
	if (ns->dead)
		return false;
	if (m->src != NULL && strcmp(m->src, POLICYD) == 0)
		return true;
	log_rl_warnx(&ns->rl, "spd: %s from %s ignored: policyd only",
	    bus_msgtype_get(m->type)->name, m->src != NULL ? m->src : "?");
	return false;
}

static void
on_spd_change(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	struct netd_spd *ns = arg;

	(void)c;
	if (!from_policyd(ns, m))
		return;
	switch (netd_spdr_event(&ns->r,
	    (const Parapet__SpdChangeEvent *)(const void *)m->body)) {
	case NETD_SPDR_APPLIED:
		refresh(ns, true);
		break;
	case NETD_SPDR_RESYNC:
		log_rl_warnx(&ns->rl, "spd: a gap in policyd's changes (or a "
		    "new epoch): resynchronising");
		job_start(ns, JOB_SNAP);
		break;
	case NETD_SPDR_STALE:
	case NETD_SPDR_KEPT:
		break;
	}
}

static void
on_sysctl_change(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__SysctlChangeEvent *ev = (const void *)m->body;
	struct netd_spd *ns = arg;

	(void)c;
	if (!from_policyd(ns, m))
		return;
	if (netd_spdr_sysctl(&ns->r, ev->name, ev->value) != 0) {
		log_rl_warnx(&ns->rl, "sysctl: %s = %lld from policyd ignored "
		    "(unknown or out of range)", ev->name,
		    (long long)ev->value);
		return;
	}
	log_info("sysctl: %s = %lld", ev->name, (long long)ev->value);
	refresh(ns, true);
}

static void
on_sockpol_change(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	struct netd_spd *ns = arg;
	int error;

	(void)c;
	if (!from_policyd(ns, m))
		return;
	error = netd_sockpol_event(&ns->sp,
	    (const Parapet__SockpolChangeEvent *)(const void *)m->body);
	if (error == 0) {
		refresh(ns, true);
		sockpol_ack(ns);
		return;
	}
	if (error == -ESTALE)
		log_rl_warnx(&ns->rl, "sockpol: a gap in policyd's changes (or "
		    "a new epoch): resynchronising");
	else
		log_rl_warnx(&ns->rl, "sockpol: change from policyd refused: "
		    "%s; resynchronising", strerror(-error));
	job_start(ns, JOB_SOCKPOL);
}

void
netd_spd_server_event(struct netd_spd *ns, const struct bus_msg *m)
{
	const Parapet__ServerStateEvent *ev = (const void *)m->body;

	/* Only the supervisor speaks for the servers' states. */
	if (ns->dead || m->src == NULL || strcmp(m->src, "supervisor") != 0 ||
	    ev->name == NULL || strcmp(ev->name, POLICYD) != 0 ||
	    ev->state != PARAPET__SERVER_STATE__SERVER_STATE_READY ||
	    ev->pid == ns->policyd_pid)
		return;
	log_info("spd: policyd ready (pid %u): resynchronising", ev->pid);
	ns->policyd_pid = ev->pid;
	resync(ns);
}

static void
on_server_state(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	(void)c;
	netd_spd_server_event(arg, m);
}

/* ---- the tick: reconnects and retries ---- */

/* A new connection: events may have been missed; resync. */
static bool
check_connect(struct netd_spd *ns)
{
	if (ns->dead || !bus_client_reconnected(ns->bus, &ns->connects_seen))
		return false;
	resync(ns);
	return true;
}

/*
 * server_connect_fn: the snapshot is asked for as soon as the connection
 * is up, not at the next tick (up to TICK_MS later): a restarted netd
 * holds every packet until policyd's snapshot is in.
 */
static void
on_connect(void *arg)
{
	(void)check_connect(arg);
}

static void
on_tick(uv_timer_t *t)
{
	struct netd_spd *ns = t->data;
	uint64_t now = now_ms(ns);
	int k;

	if (check_connect(ns))
		return;
	for (k = 0; k < NJOBS; k++)
		if (ns->job[k].retry_at != 0 && now >= ns->job[k].retry_at)
			job_start(ns, k);
}

/* ---- the API ---- */

int
netd_spd_new(struct netd_spd **nsp, struct decide_ctx *dc)
{
	struct netd_spd *ns;
	uint64_t seed;
	int error;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return -ENOMEM;
	randombytes_buf(&seed, sizeof(seed));
	if ((error = netd_spdr_init(&ns->r, seed, &dc->params)) != 0) {
		free(ns);
		return error;
	}
	if ((error = netd_sockpol_init(&ns->sp)) != 0) {
		netd_spdr_fini(&ns->r);
		free(ns);
		return error;
	}
	ns->dc = dc;
	ns->rl.burst = 10;
	refresh(ns, false);
	*nsp = ns;
	return 0;
}

int
netd_spd_add_static(struct netd_spd *ns, const struct spd_entry *e)
{
	int error;

	if ((error = netd_spdr_add_static(&ns->r, e)) != 0)
		return error;
	refresh(ns, false);
	return 0;
}

void
netd_spd_set_provisional(struct netd_spd *ns, bool provisional)
{
	ns->provisional = provisional;
	refresh(ns, false);
}

void
netd_spd_on_change(struct netd_spd *ns, netd_spd_change_fn *fn, void *arg)
{
	ns->on_change = fn;
	ns->on_change_arg = arg;
}

static int
counters(struct netd_spd *ns)
{
	const struct {
		const char	*name;
		const uint64_t	*v;
	} c[] = {
		{ "spd.snapshots", &ns->r.st.snapshots },
		{ "spd.snapshot_failed", &ns->r.st.snap_failed },
		{ "spd.deltas", &ns->r.st.deltas },
		{ "spd.stale", &ns->r.st.stale },
		{ "spd.gaps", &ns->r.st.gaps },
		{ "spd.resyncs", &ns->r.st.resyncs },
		{ "spd.policies", &ns->r.st.policies },
		{ "spd.generation", &ns->r.st.generation },
		{ "spd.statics_shadowed", &ns->r.st.shadowed },
		{ "sysctl.received", &ns->r.st.sysctl_set },
		{ "sysctl.rejected", &ns->r.st.sysctl_bad },
		{ "sockpol.hits", &ns->sp.hits },
		{ "sockpol.misses", &ns->sp.misses },
		{ "sockpol.resyncs", &ns->sp.resyncs },
	};
	size_t i;
	int error;

	for (i = 0; i < nitems(c); i++)
		if ((error = server_counter_add(ns->srv, c[i].name,
		    c[i].v)) != 0) {
			log_warnx("spd: counter %s: %s", c[i].name,
			    strerror(-error));
			return error;
		}
	return 0;
}

int
netd_spd_start(struct netd_spd *ns, struct server *srv)
{
	int error;

	ns->srv = srv;
	ns->bus = server_bus(srv);
	if ((error = counters(ns)) != 0)
		return error;
	if ((error = bus_client_on(ns->bus, T(SPD_CHANGE_EVENT),
	    on_spd_change, ns)) != 0 ||
	    (error = bus_client_on(ns->bus, T(SYSCTL_CHANGE_EVENT),
	    on_sysctl_change, ns)) != 0 ||
	    (error = bus_client_on(ns->bus, T(SOCKPOL_CHANGE_EVENT),
	    on_sockpol_change, ns)) != 0)
		return error;
	/* -EEXIST: netd.c handles the type and forwards (netd_spd.h). */
	error = bus_client_on(ns->bus, T(SERVER_STATE_EVENT), on_server_state,
	    ns);
	if (error != 0 && error != -EEXIST)
		return error;
	if ((error = bus_subscribe(ns->bus, "spd")) != 0 ||
	    (error = bus_subscribe(ns->bus, "sysctl")) != 0 ||
	    (error = bus_subscribe(ns->bus, "sockpol")) != 0 ||
	    (error = bus_subscribe(ns->bus, "server")) != 0 ||
	    (error = server_on_connect(srv, on_connect, ns)) != 0)
		return error;
	if (uv_timer_init(server_loop(srv), &ns->tick) != 0)
		return -EIO;
	ns->tick_init = true;
	ns->tick.data = ns;
	if (uv_timer_start(&ns->tick, on_tick, TICK_MS, TICK_MS) != 0)
		return -EIO;
	/* The first connection: on_connect (the tick as a fallback). */
	return 0;
}

const struct netd_spd_vars *
netd_spd_vars(const struct netd_spd *ns, uint16_t family)
{
	return netd_spdr_vars(&ns->r, family);
}

const struct netd_spd_stats *
netd_spd_stats(const struct netd_spd *ns)
{
	return &ns->r.st;
}

bool
netd_spd_sockpol(struct netd_spd *ns, uint8_t dir, const struct spd_pkt *p,
    struct decide_sockpol *out)
{
	return netd_sockpol_lookup(&ns->sp, dir, p, out);
}

static void
on_tick_closed(uv_handle_t *h)
{
	struct netd_spd *ns = h->data;

	ns->tick_init = false;
	maybe_free(ns);
}

void
netd_spd_free(struct netd_spd *ns)
{
	if (ns == NULL)
		return;
	/*
	 * The timer lives in *ns: the memory goes when it has closed (the
	 * shell's last loop run) and the bus has cancelled what is pending
	 * (-ECANCELED, bus_client_destroy()).
	 */
	ns->dead = true;
	if (ns->tick_init && !uv_is_closing((uv_handle_t *)&ns->tick))
		uv_close((uv_handle_t *)&ns->tick, on_tick_closed);
	maybe_free(ns);
}
