/*
 * sockpol_srv.c - policyd's per-socket policy endpoint, the shell around
 * the sockpol.h core: a SOCK_SEQPACKET listener on RUNDIR/sockpol.sock
 * (RUNDIR: the directory of the bus socket; PARAPET_SOCKPOL_SOCKET
 * overrides the whole path), one uv_poll per client connection, one
 * request datagram in, one reply out (DESIGN §10.21).
 *
 * The peer's credentials come from SO_PEERCRED at accept: the uid
 * decides the privilege rule (bypass: root only) and what DUMP shows.
 * When a connection closes, every registration it made goes (the client
 * process closed it or died). Requests are untrusted: parsed by
 * sockpol_req_parse(), every rejection counted by reason.
 *
 * The registry lives in memory only: after a restart of policyd the
 * clients register again on their new connection (libclient/sockpol.c).
 *
 * Publishing (netd): every registration set or removed is a
 * SockpolChangeEvent on topic "sockpol" (epoch: policyd's, new at each
 * start; gen counts events); SockpolSnapshotRequest answers with the
 * whole registry (at most SOCKPOL_BUS_MAX, the registry's limit here).
 *
 * Waiting for netd (sockpol.h, struct sockpol_wait): the reply to a
 * request that changed the registry is held until netd acknowledges
 * (SockpolAppliedEvent on topic "sockpol_ack") that its replica has the
 * change, or SP_ACK_WAIT_MS passed (counted, logged: a netd that is
 * away fails closed until it loads the whole registry again). No more
 * requests of that connection are read meanwhile, so its replies keep
 * their order. Before any netd acknowledged, replies go at once.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bus.h"
#include "bus_msg.h"
#include "listen.h"
#include "log.h"
#include "policyd.h"
#include "server.h"
#include "sockpol.h"
#include "sockpol_msg.h"

#define T(v)		PARAPET__MSG_TYPE__MSG_##v
#define SP_PER_CONN_MAX	256

#define SP_BACKLOG	64
#define SP_BUDGET	64	/* datagrams or accepts per wake-up */
#define SP_CONNS_MAX	1024
#define SP_ACK_WAIT_MS	1000	/* longest wait for netd's ack */

_Static_assert(sizeof(((struct sockaddr_un *)0)->sun_path) == 108,
    "sun_path");

struct sp_conn {
	uv_poll_t		 poll;
	struct pd_sockpol	*sp;
	struct sp_conn		*next, *prev;
	int			 fd;
	uint64_t		 id;
	uint32_t		 pid, uid;
	bool			 waiting;	/* its reply is held */
	uint8_t			 held[SOCKPOL_REPLY_BYTES];
};

struct pd_sockpol {
	struct policyd		*pd;
	uv_poll_t		 lpoll;
	int			 lfd;
	char			 path[108];	/* sun_path */
	struct sockpol_db	*db;
	struct sp_conn		*conns;
	size_t			 nconns;
	uint64_t		 next_conn;
	struct log_rl		 rl;
	uint8_t			 out[SOCKPOL_DUMP_REPLY_MAX];
	/* Counters. */
	uint64_t		 n_entries;	/* gauge, refreshed */
	uint64_t		 n_conns;	/* gauge */
	uint64_t		 n_accepted;
	uint64_t		 n_set, n_del, n_bind, n_dump;
	uint64_t		 n_denied;	/* bypass without privilege */
	uint64_t		 n_errors;	/* refused by the registry */
	uint64_t		 n_dropped;	/* on close of a connection */
	uint64_t		 n_reply_lost;
	uint64_t		 n_reject[SOCKPOL_R_COUNT];
	/* Publishing. */
	uint64_t		 pub_gen;	/* events so far */
	uint64_t		 n_published;
	uint64_t		 n_publish_errors;
	uint64_t		 n_snapshots;
	struct sockpol_pmsg	 pm;		/* one event's body */
	/* Replies waiting for netd. */
	struct sockpol_wait	 wait;
	uv_timer_t		 timer;
	int			 open_handles;	/* lpoll, timer */
	uint64_t		 n_held;
	uint64_t		 n_acks;
	uint64_t		 n_ack_timeout;
};

/* ---- path ---- */

void
pd_sockpol_args(struct policyd *pd, int argc, char **argv)
{
	int i;

	/* The shell's own getopt reads -s too; only note it here. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			pd->bus_path = argv[++i];
		else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0')
			pd->bus_path = argv[i] + 2;
		else if (strcmp(argv[i], "--") == 0)
			break;
	}
}

static int
make_path(struct pd_sockpol *sp, const char *bus_path)
{
	const char *env = getenv("PARAPET_SOCKPOL_SOCKET"), *slash;
	int n;

	if (bus_path == NULL)
		bus_path = SERVER_DEFAULT_BUS;
	if (env != NULL && *env != '\0')
		n = snprintf(sp->path, sizeof(sp->path), "%s", env);
	else if ((slash = strrchr(bus_path, '/')) == NULL)
		n = snprintf(sp->path, sizeof(sp->path), "sockpol.sock");
	else
		n = snprintf(sp->path, sizeof(sp->path), "%.*s/sockpol.sock",
		    (int)(slash - bus_path), bus_path);
	return n < 0 || (size_t)n >= sizeof(sp->path) ? -ENAMETOOLONG : 0;
}

/* ---- connections ---- */

static void
conn_freed(uv_handle_t *h)
{
	free(container_of((uv_poll_t *)(void *)h, struct sp_conn, poll));
}

static void
refresh(struct pd_sockpol *sp)
{
	sp->n_entries = sockpol_count(sp->db);
	sp->n_conns = sp->nconns;
}

static void
conn_close(struct sp_conn *c)
{
	struct pd_sockpol *sp = c->sp;
	size_t n;

	(void)sockpol_wait_drop(&sp->wait, c->id);
	n = sockpol_drop_conn(sp->db, c->id);
	sp->n_dropped += n;
	if (n > 0)
		log_debug("sockpol: pid %u gone: %zu policies removed",
		    (unsigned)c->pid, n);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sp->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	sp->nconns--;
	uv_poll_stop(&c->poll);
	close(c->fd);
	uv_close((uv_handle_t *)&c->poll, conn_freed);
	refresh(sp);
}

static void
reply_buf(struct sp_conn *c, const uint8_t *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		c->sp->n_reply_lost++;
		log_rl_warnx(&c->sp->rl, "sockpol: reply to pid %u: %s",
		    (unsigned)c->pid, strerror(errno));
	}
}

static void
reply(struct sp_conn *c, size_t len)
{
	reply_buf(c, c->sp->out, len);
}

static int
do_set(struct sp_conn *c, const struct sockpol_req *rq)
{
	struct pd_sockpol *sp = c->sp;
	uint32_t id;
	int error;

	if ((error = sockpol_priv_check(&rq->pol, c->uid)) != 0) {
		sp->n_denied++;
		log_rl_warnx(&sp->rl, "sockpol: bypass refused to uid %u "
		    "(pid %u)", (unsigned)c->uid, (unsigned)c->pid);
		return error;
	}
	if ((error = sockpol_set(sp->db, c->id, c->pid, c->uid, rq->sock,
	    &rq->sel, &rq->pol, &id)) != 0) {
		sp->n_errors++;
		return error;
	}
	sp->n_set++;
	log_debug("sockpol: pid %u socket %llu dir %u type %u: id %u",
	    (unsigned)c->pid, (unsigned long long)rq->sock,
	    (unsigned)rq->pol.dir, (unsigned)rq->pol.type, (unsigned)id);
	return 0;
}

/* Handle one request; returns the reply's length in sp->out. */
static size_t
handle(struct sp_conn *c, const uint8_t *buf, size_t len)
{
	struct pd_sockpol *sp = c->sp;
	struct sockpol_req rq;
	enum sockpol_reject why;
	uint32_t count = 0;
	int error;

	if ((error = sockpol_req_parse(buf, len, &rq, &why)) != 0) {
		sp->n_reject[why]++;
		log_rl_warnx(&sp->rl, "sockpol: rejected from pid %u: %s",
		    (unsigned)c->pid, sockpol_reject_name(why));
	} else if (rq.op == SOCKPOL_OP_SET)
		error = do_set(c, &rq);
	else if (rq.op == SOCKPOL_OP_DEL) {
		sp->n_del++;
		count = (uint32_t)sockpol_del(sp->db, c->id, rq.sock, rq.dir);
	} else if (rq.op == SOCKPOL_OP_BIND) {
		sp->n_bind++;
		error = sockpol_bind(sp->db, c->id, rq.sock, &rq.sel);
	} else {
		sp->n_dump++;
		count = (uint32_t)sockpol_dump(sp->db, c->uid,
		    sp->out + SOCKPOL_REPLY_BYTES,
		    sizeof(sp->out) - SOCKPOL_REPLY_BYTES);
	}
	refresh(sp);
	sockpol_reply_hdr(sp->out, rq.op, rq.seq, (uint32_t)-error, count);
	if (error == 0 && rq.op == SOCKPOL_OP_DUMP)
		return SOCKPOL_REPLY_BYTES + count * SOCKPOL_DUMP_ENT_BYTES;
	return SOCKPOL_REPLY_BYTES;
}

/* ---- waiting for netd ---- */

static void on_conn(uv_poll_t *, int, int);
static void release(struct pd_sockpol *);

static void
on_timer(uv_timer_t *t)
{
	release(container_of(t, struct pd_sockpol, timer));
}

static void
arm(struct pd_sockpol *sp)
{
	uint64_t at, now = uv_now(server_loop(sp->pd->srv));

	if (!sockpol_wait_next(&sp->wait, &at))
		(void)uv_timer_stop(&sp->timer);
	else
		(void)uv_timer_start(&sp->timer, on_timer,
		    at > now ? at - now : 0, 0);
}

static struct sp_conn *
conn_find(struct pd_sockpol *sp, uint64_t id)
{
	struct sp_conn *c;

	for (c = sp->conns; c != NULL && c->id != id; c = c->next)
		;
	return c;
}

/* Send every reply that may go now; read its connection again. */
static void
release(struct pd_sockpol *sp)
{
	uint64_t now = uv_now(server_loop(sp->pd->srv));
	enum sockpol_release r;
	struct sockpol_hold h;
	struct sp_conn *c;

	while ((r = sockpol_wait_pop(&sp->wait, now, &h)) != SOCKPOL_KEEP) {
		if (r == SOCKPOL_EXPIRED) {
			sp->n_ack_timeout++;
			log_rl_warnx(&sp->rl, "sockpol: netd did not apply "
			    "generation %llu within %d ms: answering anyway",
			    (unsigned long long)h.gen, SP_ACK_WAIT_MS);
		}
		if ((c = conn_find(sp, h.conn)) == NULL || !c->waiting)
			continue;
		c->waiting = false;
		reply_buf(c, c->held, sizeof(c->held));
		(void)uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT,
		    on_conn);
	}
	arm(sp);
}

/* Hold the reply in sp->out if the request made a change netd lacks. */
static bool
hold(struct sp_conn *c, uint64_t gen_before, size_t len)
{
	struct pd_sockpol *sp = c->sp;
	uint64_t now = uv_now(server_loop(sp->pd->srv));

	if (sp->pub_gen == gen_before || len != sizeof(c->held) ||
	    !sockpol_wait_needed(&sp->wait, sp->pub_gen) ||
	    sockpol_wait_push(&sp->wait, c->id, sp->pub_gen,
	    now + SP_ACK_WAIT_MS) != 0)
		return false;
	memcpy(c->held, sp->out, len);
	c->waiting = true;
	sp->n_held++;
	/* Only a hang-up matters until the reply goes. */
	(void)uv_poll_start(&c->poll, UV_DISCONNECT, on_conn);
	arm(sp);
	return true;
}

static void
answer(struct sp_conn *c, const uint8_t *buf, size_t n)
{
	uint64_t gen = c->sp->pub_gen;
	size_t len = handle(c, buf, n);

	if (!hold(c, gen, len))
		reply(c, len);
}

static void
on_applied(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	const Parapet__SockpolAppliedEvent *ev = (const void *)m->body;
	struct pd_sockpol *sp = arg;

	(void)bc;
	if (m->src == NULL || strcmp(m->src, "netd") != 0) {
		log_rl_warnx(&sp->rl, "sockpol: SockpolAppliedEvent from %s "
		    "ignored: netd only", m->src != NULL ? m->src : "?");
		return;
	}
	if (!sockpol_wait_applied(&sp->wait, ev->epoch, ev->gen))
		return;		/* of a previous policyd */
	sp->n_acks++;
	release(sp);
}

static void
on_conn(uv_poll_t *h, int status, int events)
{
	struct sp_conn *c = container_of(h, struct sp_conn, poll);
	uint8_t buf[SOCKPOL_REQ_MAX];
	unsigned int budget = SP_BUDGET;
	ssize_t n;

	if (status < 0 || (c->waiting && (events & UV_DISCONNECT) != 0)) {
		conn_close(c);
		return;
	}
	while (!c->waiting && budget-- > 0) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n == 0) {
			conn_close(c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		if ((size_t)n > sizeof(buf)) {
			/* Too long for any request: answer, do not parse. */
			c->sp->n_reject[SOCKPOL_R_TRAILING]++;
			sockpol_reply_hdr(c->sp->out, 0, 0, EMSGSIZE, 0);
			reply(c, SOCKPOL_REPLY_BYTES);
			continue;
		}
		answer(c, buf, (size_t)n);
	}
}

static void
conn_new(struct pd_sockpol *sp, int fd, const struct ucred *uc)
{
	struct sp_conn *c;

	if (sp->nconns >= SP_CONNS_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_rl_warnx(&sp->rl, "sockpol: connection from pid %d "
		    "refused: too many", (int)uc->pid);
		close(fd);
		return;
	}
	if (uv_poll_init(server_loop(sp->pd->srv), &c->poll, fd) != 0) {
		free(c);
		close(fd);
		return;
	}
	c->sp = sp;
	c->fd = fd;
	c->id = ++sp->next_conn;
	c->pid = (uint32_t)uc->pid;
	c->uid = (uint32_t)uc->uid;
	c->next = sp->conns;
	if (sp->conns != NULL)
		sp->conns->prev = c;
	sp->conns = c;
	sp->nconns++;
	sp->n_accepted++;
	refresh(sp);
	(void)uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_conn);
}

static void
on_listen(uv_poll_t *h, int status, int events)
{
	struct pd_sockpol *sp = container_of(h, struct pd_sockpol, lpoll);
	unsigned int budget = SP_BUDGET;
	struct ucred uc;
	int fd;

	(void)events;
	if (status < 0)
		return;
	while (budget-- > 0) {
		if ((fd = listen_accept(sp->lfd, &uc)) == -EPROTO)
			continue;
		if (fd < 0)
			break;
		conn_new(sp, fd, &uc);
	}
}

/* ---- publishing ---- */

static void
on_change(void *arg, enum sockpol_change c, const struct sockpol_ent *e)
{
	struct pd_sockpol *sp = arg;
	Parapet__SockpolChangeEvent ev;

	parapet__sockpol_change_event__init(&ev);
	ev.epoch = sp->pd->epoch;
	ev.prev_gen = sp->pub_gen;
	ev.gen = ++sp->pub_gen;
	if (c == SOCKPOL_CHANGE_SET) {
		ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_SET;
		sockpol_msg_fill(&sp->pm, e);
		ev.policy = &sp->pm.p;
	} else {
		ev.op = PARAPET__SOCKPOL_OP__SOCKPOL_OP_DELETE;
		ev.id = e->id;
	}
	/* A lost event is a gap the subscriber sees (gen): it resyncs. */
	if (bus_publish(sp->pd->bus, "sockpol", T(SOCKPOL_CHANGE_EVENT),
	    &ev.base) == 0)
		sp->n_published++;
	else
		sp->n_publish_errors++;
}

static void
on_snapshot(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct pd_sockpol *sp = arg;
	Parapet__SockpolSnapshotReply rep;
	Parapet__SockPolicy **pp = NULL;
	struct sockpol_pmsg *pm = NULL;
	size_t i, n = sockpol_count(sp->db);

	parapet__sockpol_snapshot_reply__init(&rep);
	if (n > 0 && ((pm = calloc(n, sizeof(*pm))) == NULL ||
	    (pp = calloc(n, sizeof(Parapet__SockPolicy *))) == NULL)) {
		free(pm);
		if (bus_reply(bc, m, -ENOMEM, 0, NULL) != 0)
			log_rl_warnx(&sp->rl, "sockpol: cannot answer %s",
			    m->src);
		return;
	}
	for (i = 0; i < n; i++) {
		sockpol_msg_fill(&pm[i], sockpol_at(sp->db, i));
		pp[i] = &pm[i].p;
	}
	rep.epoch = sp->pd->epoch;
	rep.gen = sp->pub_gen;
	rep.n_policies = n;
	rep.policies = pp;
	sp->n_snapshots++;
	if (bus_reply(bc, m, 0, T(SOCKPOL_SNAPSHOT_REPLY), &rep.base) != 0)
		log_rl_warnx(&sp->rl, "sockpol: cannot answer %s", m->src);
	free(pp);
	free(pm);
}

/* ---- start, stop ---- */

static int
listen_on(struct pd_sockpol *sp)
{
	/* Anyone may register policies for their own sockets (KAME:
	 * setsockopt needs no privilege; bypass is checked per request). */
	int fd = listen_seqpacket(sp->path, 0666, (gid_t)-1, SP_BACKLOG);

	if (fd < 0)
		return fd;
	sp->lfd = fd;
	return 0;
}

static void
add_counters(struct pd_sockpol *sp)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} ctrs[] = {
		{ "sockpol.entries", offsetof(struct pd_sockpol, n_entries) },
		{ "sockpol.connections", offsetof(struct pd_sockpol, n_conns) },
		{ "sockpol.accepted", offsetof(struct pd_sockpol, n_accepted) },
		{ "sockpol.set", offsetof(struct pd_sockpol, n_set) },
		{ "sockpol.del", offsetof(struct pd_sockpol, n_del) },
		{ "sockpol.bind", offsetof(struct pd_sockpol, n_bind) },
		{ "sockpol.dump", offsetof(struct pd_sockpol, n_dump) },
		{ "sockpol.denied", offsetof(struct pd_sockpol, n_denied) },
		{ "sockpol.errors", offsetof(struct pd_sockpol, n_errors) },
		{ "sockpol.dropped", offsetof(struct pd_sockpol, n_dropped) },
		{ "sockpol.reply_lost",
		    offsetof(struct pd_sockpol, n_reply_lost) },
		{ "sockpol.published",
		    offsetof(struct pd_sockpol, n_published) },
		{ "sockpol.publish_errors",
		    offsetof(struct pd_sockpol, n_publish_errors) },
		{ "sockpol.snapshots",
		    offsetof(struct pd_sockpol, n_snapshots) },
		{ "sockpol.held", offsetof(struct pd_sockpol, n_held) },
		{ "sockpol.acks", offsetof(struct pd_sockpol, n_acks) },
		{ "sockpol.ack_timeout",
		    offsetof(struct pd_sockpol, n_ack_timeout) },
	};
	char name[64];
	size_t i;

	for (i = 0; i < nitems(ctrs); i++)
		if (server_counter_add(sp->pd->srv, ctrs[i].name,
		    (const uint64_t *)(const void *)((const char *)sp +
		    ctrs[i].off)) != 0)
			log_warnx("sockpol: cannot register counter %s",
			    ctrs[i].name);
	for (i = 1; i < SOCKPOL_R_COUNT; i++) {
		snprintf(name, sizeof(name), "sockpol.reject.%s",
		    sockpol_reject_name((enum sockpol_reject)i));
		if (server_counter_add(sp->pd->srv, name,
		    &sp->n_reject[i]) != 0)
			log_warnx("sockpol: cannot register counter %s", name);
	}
}

static void
sp_free(struct pd_sockpol *sp)
{
	sockpol_wait_fini(&sp->wait);
	if (sp->db != NULL)
		sockpol_destroy(sp->db);
	free(sp);
}

/* Remove our bus handlers (their arg is about to be freed). */
static void
unhook(struct pd_sockpol *sp)
{
	static const uint32_t types[] = {
		T(SOCKPOL_SNAPSHOT_REQUEST), T(SOCKPOL_APPLIED_EVENT),
	};
	size_t i;

	for (i = 0; i < nitems(types); i++)
		if (bus_client_on(sp->pd->bus, types[i], NULL, NULL) != 0)
			log_debug("sockpol: no handler of type %u to remove",
			    (unsigned)types[i]);
}

/* The acknowledgements of netd; without them replies never wait. */
static void
hook_acks(struct pd_sockpol *sp)
{
	if (bus_client_on(sp->pd->bus, T(SOCKPOL_APPLIED_EVENT), on_applied,
	    sp) != 0 || bus_subscribe(sp->pd->bus, "sockpol_ack") != 0)
		log_warnx("sockpol: cannot hear netd's acknowledgements: "
		    "replies will not wait for netd");
}

int
pd_sockpol_start(struct policyd *pd)
{
	struct sockpol_limits lim = { SOCKPOL_BUS_MAX, SP_PER_CONN_MAX };
	struct pd_sockpol *sp;
	int error;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return -ENOMEM;
	sp->pd = pd;
	sp->lfd = -1;
	if ((error = make_path(sp, pd->bus_path)) != 0 ||
	    (error = sockpol_wait_init(&sp->wait, pd->epoch,
	    SP_CONNS_MAX)) != 0 ||
	    (error = sockpol_create(&sp->db, &lim)) != 0) {
		sp_free(sp);
		return error;
	}
	sockpol_set_notify(sp->db, on_change, sp);
	if ((error = bus_client_on(pd->bus, T(SOCKPOL_SNAPSHOT_REQUEST),
	    on_snapshot, sp)) != 0 || (error = listen_on(sp)) != 0) {
		unhook(sp);
		sp_free(sp);
		return error;
	}
	if (uv_poll_init(server_loop(pd->srv), &sp->lpoll, sp->lfd) != 0) {
		close(sp->lfd);
		unlink(sp->path);
		unhook(sp);
		sp_free(sp);
		return -EIO;
	}
	(void)uv_timer_init(server_loop(pd->srv), &sp->timer);
	sp->lpoll.data = sp->timer.data = sp;
	sp->open_handles = 2;
	(void)uv_poll_start(&sp->lpoll, UV_READABLE, on_listen);
	add_counters(sp);
	hook_acks(sp);
	pd->sockpol = sp;
	log_info("sockpol: listening on %s", sp->path);
	return 0;
}

static void
sp_freed(uv_handle_t *h)
{
	struct pd_sockpol *sp = h->data;

	if (--sp->open_handles == 0)
		sp_free(sp);
}

void
pd_sockpol_stop(struct policyd *pd)
{
	struct pd_sockpol *sp = pd->sockpol;

	if (sp == NULL)
		return;
	pd->sockpol = NULL;
	unhook(sp);
	while (sp->conns != NULL)
		conn_close(sp->conns);
	uv_poll_stop(&sp->lpoll);
	close(sp->lfd);
	unlink(sp->path);
	(void)uv_timer_stop(&sp->timer);
	uv_close((uv_handle_t *)&sp->timer, sp_freed);
	uv_close((uv_handle_t *)&sp->lpoll, sp_freed);
}
