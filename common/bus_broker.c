/*
 * bus_broker.c - the bus broker the supervisor hosts: accepts peers on a
 * Unix stream socket, enforces hello first, routes requests and replies by
 * name and events by topic, and answers HELLO, SUBSCRIBE, UNSUBSCRIBE and
 * the PING and COUNTERS requests addressed to "broker" itself.
 *
 *   keyd ----\                      /---- policyd
 *   ipsecd ---+--- broker (bus.sock)+---- netd
 *   parapetctl/                      \--- supervisor (in-process client)
 *
 * Everything a peer sends is untrusted. A frame that the decoder or
 * frame_msg_parse() refuses, or traffic before hello, closes that peer's
 * connection, bumps a counter and logs a rate-limited line; other peers
 * do not notice. A peer that stops reading is dropped once more than
 * peer_queue_max bytes wait for it, so that it cannot pin our memory.
 * Frames are forwarded with Envelope.src overwritten by the sender's hello
 * name, so a receiver can trust src.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "bus_conn.h"
#include "bus_msg.h"
#include "counters.h"
#include "log.h"

#define BROKER			"broker"
#define BACKLOG			128
#define QUEUE_MAX_DEFAULT	(8u << 20)	/* 8 MiB */
/* A connection that has not said hello in hello_timeout_ms (default
 * HELLO_TIMEOUT_MS) is closed by a sweep that runs 5 times as often. */
#define HELLO_TIMEOUT_MS	10000

#define REQ	PARAPET__MSG_KIND__MSG_KIND_REQUEST
#define REP	PARAPET__MSG_KIND__MSG_KIND_REPLY
#define EVT	PARAPET__MSG_KIND__MSG_KIND_EVENT
#define T(v)	PARAPET__MSG_TYPE__MSG_##v

/*
 * A request forwarded to a peer and not answered yet. When that peer goes
 * away, the requester gets an ERROR_REPLY (-ECONNRESET) at once instead of
 * waiting for its timeout. At most PENDING_MAX per peer are tracked (the
 * oldest beyond that are forgotten: their requesters time out as before).
 */
#define PENDING_MAX		4096
struct fwd {
	struct fwd		*next;		/* oldest first */
	uint64_t		 corr;
	char			 from[BUS_NAME_MAX + 1];
};

struct peer {
	struct bus_conn		 conn;
	struct bus_broker	*b;
	TAILQ_ENTRY(peer)	 link;
	uint64_t		 id;		/* for logs before hello */
	uint64_t		 accepted_ms;
	char			 name[BUS_NAME_MAX + 1];
	uint32_t		 pid;
	bool			 hello;
	char			(*subs)[BUS_NAME_MAX + 1];
	size_t			 nsubs;
	size_t			 subs_cap;
	struct fwd		*fwds;		/* requests forwarded to us */
	struct fwd		**fwds_tail;
	size_t			 nfwds;
};

struct bus_broker {
	uv_loop_t		*loop;
	uv_pipe_t		 lsn;
	uv_timer_t		 sweep;		/* hello timeouts */
	char			*path;
	char			*instance;
	dev_t			 dev;		/* of our socket file, so that */
	ino_t			 ino;		/* destroy unlinks only ours */
	size_t			 queue_max;
	uint32_t		 hello_timeout_ms;
	uint64_t		 epoch;
	uint64_t		 start_ms;
	uint64_t		 next_id;
	TAILQ_HEAD(, peer)	 peers;		/* closing ones until closed */
	size_t			 npeers;	/* in the list */
	unsigned		 handles;
	bool			 destroying;
	struct bus_broker_stats	 stats;
	struct log_rl		 rl_reject;
	struct log_rl		 rl_peer;
	uint8_t			 rbuf[BUS_READ_BYTES];
};

/* ---- peers ---- */

static const char *
pname(const struct peer *p)
{
	return p->hello ? p->name : "(before hello)";
}

static struct peer *
find_peer(struct bus_broker *b, const char *name)
{
	struct peer *p;

	TAILQ_FOREACH(p, &b->peers, link)
		if (p->hello && !p->conn.closing && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static bool
subscribed(const struct peer *p, const char *topic)
{
	size_t i;

	for (i = 0; i < p->nsubs; i++)
		if (strcmp(p->subs[i], topic) == 0)
			return true;
	return false;
}

static void
maybe_free(struct bus_broker *b)
{
	if (!b->destroying || b->handles != 0)
		return;
	free(b->path);
	free(b->instance);
	free(b);
}

static void fwds_fail(struct peer *);

static void
peer_lost(struct bus_conn *conn, int error, enum frame_reject why)
{
	struct peer *p = conn->owner;
	struct bus_broker *b = p->b;

	fwds_fail(p);
	b->stats.peers--;
	b->stats.closed++;
	if (why != FRAME_OK) {
		b->stats.rejected[why]++;
		log_rl_warnx(&b->rl_reject, "bus: peer %llu %s: frame refused: "
		    "%s; closing", (unsigned long long)p->id, pname(p),
		    frame_reject_str(why));
	} else if (error == 0 || error == UV_ECONNRESET)
		log_debug("bus: peer %llu %s: left", (unsigned long long)p->id,
		    pname(p));
	else if (error == -ENOMEM)
		log_rl_warnx(&b->rl_peer, "bus: peer %llu %s: out of memory; "
		    "closing", (unsigned long long)p->id, pname(p));
}

static void
peer_closed(struct bus_conn *conn)
{
	struct peer *p = conn->owner;
	struct bus_broker *b = p->b;

	TAILQ_REMOVE(&b->peers, p, link);
	b->npeers--;
	fwds_fail(p);		/* frees them; nobody is left to answer */
	free(p->subs);
	free(p);
	b->handles--;
	maybe_free(b);
}

/*
 * Queue a frame to p. A peer that does not read is dropped here: with
 * queue_max bytes already waiting it would only grow our memory.
 */
static int
peer_send(struct peer *p, struct bus_wbuf *wb)
{
	struct bus_broker *b = p->b;
	int error;

	if (p->conn.closing)
		return -ENOTCONN;
	error = bus_conn_send(&p->conn, wb, b->queue_max);
	if (error == 0) {
		b->stats.frames_out++;
		return 0;
	}
	if (error == -ENOBUFS) {
		b->stats.stuck++;
		log_rl_warnx(&b->rl_peer, "bus: peer %llu %s: not reading, "
		    "%zu bytes queued; dropping it", (unsigned long long)p->id,
		    pname(p), bus_conn_queued(&p->conn));
	}
	bus_conn_close(&p->conn, error, FRAME_OK);
	return error;
}

/* Encode and send one frame of the broker's own. */
static void
send_own(struct peer *p, const struct frame_hdr *h,
    const ProtobufCMessage *body)
{
	struct bus_wbuf *wb;
	uint8_t *frame;
	size_t len;
	int error;

	if ((error = frame_encode(h, body, &frame, &len)) != 0) {
		/* Our own message: a bug of ours, not the peer's. */
		log_warnx("bus: cannot encode type %u for %s: %s", h->type,
		    pname(p), strerror(-error));
		return;
	}
	if ((wb = bus_wbuf_new(frame, len)) == NULL) {
		bus_conn_close(&p->conn, -ENOMEM, FRAME_OK);
		return;
	}
	(void)peer_send(p, wb);
	bus_wbuf_unref(wb);
}

/* Answer request req from p: error 0 with a body of `type`, or an
 * ERROR_REPLY. */
static void
answer(struct peer *p, const struct bus_msg *req, int error, uint32_t type,
    const ProtobufCMessage *body)
{
	struct frame_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = error != 0 ? T(ERROR_REPLY) : type;
	h.kind = REP;
	h.corr = req->corr;
	h.src = BROKER;
	h.dst = p->hello ? p->name : NULL;
	h.error = error;
	send_own(p, &h, error != 0 ? NULL : body);
}

/* ---- requests the broker answers ---- */

static void
on_hello(struct peer *p, const struct bus_msg *m)
{
	const Parapet__HelloRequest *rq =
	    (const Parapet__HelloRequest *)(const void *)m->body;
	Parapet__HelloReply rep;
	struct bus_broker *b = p->b;
	struct peer *old;

	parapet__hello_reply__init(&rep);
	if (p->hello) {
		answer(p, m, -EALREADY, 0, NULL);
		return;
	}
	if (strcmp(rq->name, BROKER) == 0) {
		answer(p, m, -EADDRINUSE, 0, NULL);
		return;
	}
	/* A restarted server may reconnect before we see its predecessor's
	 * socket close: the newest connection wins. */
	if ((old = find_peer(b, rq->name)) != NULL) {
		b->stats.replaced++;
		log_info("bus: %s: pid %u replaces peer %llu (pid %u)",
		    rq->name, rq->pid, (unsigned long long)old->id, old->pid);
		bus_conn_close(&old->conn, -EADDRINUSE, FRAME_OK);
	}
	(void)snprintf(p->name, sizeof(p->name), "%s", rq->name);
	p->pid = rq->pid;
	p->hello = true;
	log_debug("bus: peer %llu is %s (pid %u)", (unsigned long long)p->id,
	    p->name, p->pid);
	rep.broker = b->instance;
	rep.epoch = b->epoch;
	answer(p, m, 0, T(HELLO_REPLY), &rep.base);
}

static void
on_subscribe(struct peer *p, const struct bus_msg *m)
{
	const Parapet__SubscribeRequest *rq =
	    (const Parapet__SubscribeRequest *)(const void *)m->body;
	Parapet__SubscribeReply rep;

	parapet__subscribe_reply__init(&rep);
	if (!subscribed(p, rq->topic)) {
		if (p->nsubs == BUS_BROKER_SUBS_MAX) {
			answer(p, m, -ENOSPC, 0, NULL);
			return;
		}
		if (p->nsubs == p->subs_cap) {
			size_t cap = p->subs_cap != 0 ? p->subs_cap * 2 : 4;
			void *v = realloc(p->subs, cap * sizeof(*p->subs));

			if (v == NULL) {
				answer(p, m, -ENOMEM, 0, NULL);
				return;
			}
			p->subs = v;
			p->subs_cap = cap;
		}
		/* The validator checked the topic's length. */
		(void)snprintf(p->subs[p->nsubs], sizeof(p->subs[0]), "%s",
		    rq->topic);
		p->nsubs++;
	}
	answer(p, m, 0, T(SUBSCRIBE_REPLY), &rep.base);
}

static void
on_unsubscribe(struct peer *p, const struct bus_msg *m)
{
	const Parapet__UnsubscribeRequest *rq =
	    (const Parapet__UnsubscribeRequest *)(const void *)m->body;
	Parapet__UnsubscribeReply rep;
	size_t i;

	parapet__unsubscribe_reply__init(&rep);
	for (i = 0; i < p->nsubs; i++) {
		if (strcmp(p->subs[i], rq->topic) != 0)
			continue;
		p->nsubs--;
		if (i != p->nsubs)
			memcpy(p->subs[i], p->subs[p->nsubs],
			    sizeof(p->subs[i]));
		break;
	}
	answer(p, m, 0, T(UNSUBSCRIBE_REPLY), &rep.base);
}

static void
on_ping(struct peer *p, const struct bus_msg *m)
{
	const Parapet__PingRequest *rq =
	    (const Parapet__PingRequest *)(const void *)m->body;
	Parapet__PingReply rep;
	char name[] = BROKER;

	parapet__ping_reply__init(&rep);
	rep.nonce = rq->nonce;
	rep.name = name;
	rep.pid = (uint32_t)getpid();
	rep.uptime_ms = uv_now(p->b->loop) - p->b->start_ms;
	answer(p, m, 0, T(PING_REPLY), &rep.base);
}

static void
on_counters(struct peer *p, const struct bus_msg *m)
{
	Parapet__CountersReply rep;
	struct counters *cs;

	if ((cs = counters_new()) == NULL) {
		answer(p, m, -ENOMEM, 0, NULL);
		return;
	}
	counters_add_broker(cs, "bus", &p->b->stats);
	counters_reply(cs, BROKER, &rep);
	answer(p, m, 0, T(COUNTERS_REPLY), &rep.base);
	counters_free(cs);
}

/* ---- routing ---- */

/* Forward m from p to q with src stamped. */
static int
forward(struct peer *p, struct peer *q, const struct bus_msg *m)
{
	struct bus_wbuf *wb;
	uint8_t *frame;
	size_t len;
	int error;

	if ((error = frame_msg_encode(m, p->name, &frame, &len)) != 0) {
		/* Up to BUS_NAME_MAX + 2 bytes more than the sender sent. */
		if (error == -EMSGSIZE)
			p->b->stats.too_big++;
		return error;
	}
	if ((wb = bus_wbuf_new(frame, len)) == NULL)
		return -ENOMEM;
	error = peer_send(q, wb);
	bus_wbuf_unref(wb);
	return error;
}

/* ---- requests in flight ---- */

/* Unlink *fp (the link that points at f) and free f. */
static void
fwd_unlink(struct peer *q, struct fwd **fp)
{
	struct fwd *f = *fp;

	*fp = f->next;
	if (q->fwds_tail == &f->next)
		q->fwds_tail = fp;
	q->nfwds--;
	free(f);
}

/* p's request m went to q: remember it until q answers or goes. */
static void
fwd_track(struct peer *p, struct peer *q, const struct bus_msg *m)
{
	struct fwd *f;

	if (q->nfwds >= PENDING_MAX)
		fwd_unlink(q, &q->fwds);	/* forget the oldest */
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return;		/* untracked: the requester times out */
	f->corr = m->corr;
	snprintf(f->from, sizeof(f->from), "%s", p->name);
	*q->fwds_tail = f;
	q->fwds_tail = &f->next;
	q->nfwds++;
}

/* q answered m: forget the request (replies mostly come in order). */
static void
fwd_answered(struct peer *q, const struct bus_msg *m)
{
	struct fwd **fp;

	for (fp = &q->fwds; *fp != NULL; fp = &(*fp)->next)
		if ((*fp)->corr == m->corr && strcmp((*fp)->from, m->dst) == 0) {
			fwd_unlink(q, fp);
			return;
		}
}

/* q is gone: every request it had gets -ECONNRESET back. */
static void
fwds_fail(struct peer *q)
{
	struct bus_broker *b = q->b;
	struct peer *p;

	while (q->fwds != NULL) {
		char from[BUS_NAME_MAX + 1];
		struct bus_msg req;

		/* Copy and free first: answering may close the requester,
		 * and closing runs these hooks again. */
		memset(&req, 0, sizeof(req));
		req.corr = q->fwds->corr;
		memcpy(from, q->fwds->from, sizeof(from));
		fwd_unlink(q, &q->fwds);
		if (!b->destroying && (p = find_peer(b, from)) != NULL) {
			answer(p, &req, -ECONNRESET, 0, NULL);
			b->stats.reset++;
		}
	}
}

static void
route_request(struct peer *p, const struct bus_msg *m)
{
	struct bus_broker *b = p->b;
	struct peer *q;
	int error;

	switch (m->type) {
	case T(HELLO_REQUEST):
		on_hello(p, m);
		return;
	case T(SUBSCRIBE_REQUEST):
		on_subscribe(p, m);
		return;
	case T(UNSUBSCRIBE_REQUEST):
		on_unsubscribe(p, m);
		return;
	default:
		break;
	}
	if (strcmp(m->dst, BROKER) == 0) {
		if (m->type == T(PING_REQUEST))
			on_ping(p, m);
		else if (m->type == T(COUNTERS_REQUEST))
			on_counters(p, m);
		else
			answer(p, m, -EOPNOTSUPP, 0, NULL);
		return;
	}
	if ((q = find_peer(b, m->dst)) == NULL) {
		b->stats.no_route++;
		answer(p, m, -EHOSTUNREACH, 0, NULL);
		return;
	}
	/* The destination went away (stuck, say): tell the sender now
	 * rather than let it time out. */
	if ((error = forward(p, q, m)) != 0)
		answer(p, m, error == -EMSGSIZE ? -EMSGSIZE : -EHOSTUNREACH, 0,
		    NULL);
	else
		fwd_track(p, q, m);
}

static void
route_reply(struct peer *p, const struct bus_msg *m)
{
	struct bus_broker *b = p->b;
	struct peer *q;

	if ((q = find_peer(b, m->dst)) == NULL) {
		b->stats.no_route++;
		log_debug("bus: reply from %s to %s: no such peer", p->name,
		    m->dst);
		fwd_answered(p, m);
		return;
	}
	fwd_answered(p, m);
	(void)forward(p, q, m);
}

static void
route_event(struct peer *p, const struct bus_msg *m)
{
	struct bus_broker *b = p->b;
	struct bus_wbuf *wb;
	struct peer *q;
	uint8_t *frame;
	size_t len;
	int error;

	/* Encode once, share the buffer between all subscribers. */
	if ((error = frame_msg_encode(m, p->name, &frame, &len)) != 0) {
		if (error == -EMSGSIZE)
			b->stats.too_big++;
		return;
	}
	if ((wb = bus_wbuf_new(frame, len)) == NULL)
		return;
	/* peer_send() may close a subscriber; closing peers stay in the
	 * list until their close callback, so the walk is safe. */
	TAILQ_FOREACH(q, &b->peers, link)
		if (q != p && q->hello && !q->conn.closing &&
		    subscribed(q, m->topic))
			(void)peer_send(q, wb);
	bus_wbuf_unref(wb);
}

static int
peer_frame(struct bus_conn *conn, const uint8_t *data, size_t n)
{
	struct peer *p = conn->owner;
	struct bus_broker *b = p->b;
	enum frame_reject why;
	struct bus_msg m;

	b->stats.frames_in++;
	if (frame_msg_parse(data, n, &m, &why) != 0) {
		bus_conn_close(conn, -EBADMSG, why);
		return 1;
	}
	if (!p->hello && m.type != T(HELLO_REQUEST)) {
		b->stats.not_hello++;
		log_rl_warnx(&b->rl_reject, "bus: peer %llu: %s before hello; "
		    "closing", (unsigned long long)p->id,
		    bus_msgtype_get(m.type)->name);
		frame_msg_free(&m);
		bus_conn_close(conn, -EPROTO, FRAME_OK);
		return 1;
	}
	switch (m.kind) {
	case REQ:
		route_request(p, &m);
		break;
	case REP:
		route_reply(p, &m);
		break;
	default:
		route_event(p, &m);
		break;
	}
	frame_msg_free(&m);
	return 0;
}

static const struct bus_conn_ops peer_ops = {
	.frame = peer_frame,
	.lost = peer_lost,
	.closed = peer_closed,
};

static void
on_connection(uv_stream_t *server, int status)
{
	struct bus_broker *b = server->data;
	struct peer *p;
	int error;

	if (status < 0) {
		log_rl_warnx(&b->rl_peer, "bus: accept: %s",
		    uv_strerror(status));
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_rl_warnx(&b->rl_peer, "bus: accept: out of memory");
		return;
	}
	if (bus_conn_init(b->loop, &p->conn, &peer_ops, b->rbuf, p) != 0) {
		free(p);
		return;
	}
	p->b = b;
	p->id = ++b->next_id;
	p->accepted_ms = uv_now(b->loop);
	p->fwds_tail = &p->fwds;
	b->handles++;
	TAILQ_INSERT_TAIL(&b->peers, p, link);
	b->npeers++;
	b->stats.accepted++;
	b->stats.peers++;
	if ((error = uv_accept(server, (uv_stream_t *)&p->conn.pipe)) != 0) {
		bus_conn_close(&p->conn, error, FRAME_OK);
		return;
	}
	if (b->npeers > BUS_BROKER_PEERS_MAX) {
		b->stats.refused++;
		log_rl_warnx(&b->rl_peer, "bus: more than %d peers; refusing "
		    "one", BUS_BROKER_PEERS_MAX);
		bus_conn_close(&p->conn, -EMFILE, FRAME_OK);
		return;
	}
	if ((error = bus_conn_start(&p->conn)) != 0)
		bus_conn_close(&p->conn, error, FRAME_OK);
}

/* ---- public interface ---- */

/* Bind a listening socket at path with mode; returns the fd or -errno. */
static int
bind_socket(const char *path, mode_t mode, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, error;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		/* A stale socket of an earlier broker; nothing else. */
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) != 0 && errno != ENOENT)
			return -errno;
	} else if (errno != ENOENT)
		return -errno;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		goto fail;
	/* Before listen(): nobody can connect while the mode is umask's. */
	if (chmod(path, mode) != 0 || stat(path, &st) != 0)
		goto fail_unlink;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
fail_unlink:
	error = -errno;
	(void)unlink(path);
	(void)close(fd);
	return error;
fail:
	error = -errno;
	(void)close(fd);
	return error;
}

static void
on_lsn_closed(uv_handle_t *h)
{
	struct bus_broker *b = h->data;

	b->handles--;
	maybe_free(b);
}

/* Close connections that never said hello: they hold a slot and memory
 * and may never speak. */
static void
on_sweep(uv_timer_t *t)
{
	struct bus_broker *b = t->data;
	uint64_t now = uv_now(b->loop);
	struct peer *p;

	TAILQ_FOREACH(p, &b->peers, link)
		if (!p->hello && !p->conn.closing &&
		    now - p->accepted_ms >= b->hello_timeout_ms) {
			b->stats.hello_timeouts++;
			log_rl_warnx(&b->rl_peer, "bus: peer %llu: no hello in "
			    "%u ms; closing", (unsigned long long)p->id,
			    b->hello_timeout_ms);
			bus_conn_close(&p->conn, -ETIMEDOUT, FRAME_OK);
		}
}

int
bus_broker_create(uv_loop_t *loop, const struct bus_broker_cfg *cfg,
    struct bus_broker **out)
{
	const char *instance = cfg->instance != NULL ? cfg->instance : "";
	struct bus_broker *b;
	struct timespec ts;
	int fd, error;

	*out = NULL;
	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    !bus_text_ok(instance, BUS_PATH_MAX))
		return -EINVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	if ((b->path = strdup(cfg->path)) == NULL ||
	    (b->instance = strdup(instance)) == NULL) {
		error = -ENOMEM;
		goto fail;
	}
	if ((fd = bind_socket(b->path, cfg->mode != 0 ? cfg->mode : 0600,
	    &b->dev, &b->ino)) < 0) {
		error = fd;
		goto fail;
	}
	bus_ignore_sigpipe();
	b->loop = loop;
	b->queue_max = cfg->peer_queue_max != 0 ? cfg->peer_queue_max :
	    QUEUE_MAX_DEFAULT;
	b->hello_timeout_ms = cfg->hello_timeout_ms != 0 ?
	    cfg->hello_timeout_ms : HELLO_TIMEOUT_MS;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	b->epoch = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	b->start_ms = uv_now(loop);
	TAILQ_INIT(&b->peers);
	(void)uv_pipe_init(loop, &b->lsn, 0);	/* cannot fail */
	b->lsn.data = b;
	b->handles = 1;
	if ((error = uv_pipe_open(&b->lsn, fd)) != 0) {
		(void)close(fd);
		goto fail_handle;
	}
	if ((error = uv_listen((uv_stream_t *)&b->lsn, BACKLOG,
	    on_connection)) != 0)
		goto fail_handle;
	(void)uv_timer_init(loop, &b->sweep);	/* cannot fail */
	b->sweep.data = b;
	b->handles++;
	(void)uv_timer_start(&b->sweep, on_sweep, b->hello_timeout_ms / 5 + 1,
	    b->hello_timeout_ms / 5 + 1);
	uv_unref((uv_handle_t *)&b->sweep);	/* keeps no loop alive */
	log_debug("bus: broker listening on %s", b->path);
	*out = b;
	return 0;
fail_handle:
	/* The handle frees b when the loop runs; unlink what we bound. */
	(void)unlink(b->path);
	b->destroying = true;
	uv_close((uv_handle_t *)&b->lsn, on_lsn_closed);
	return error;
fail:
	free(b->path);
	free(b->instance);
	free(b);
	return error;
}

void
bus_broker_destroy(struct bus_broker *b)
{
	struct stat st;
	struct peer *p;

	if (b == NULL || b->destroying)
		return;
	b->destroying = true;
	TAILQ_FOREACH(p, &b->peers, link)
		bus_conn_close(&p->conn, -ECANCELED, FRAME_OK);
	uv_close((uv_handle_t *)&b->lsn, on_lsn_closed);
	uv_close((uv_handle_t *)&b->sweep, on_lsn_closed);
	/* A newer broker may have taken the path over: leave its socket. */
	if (lstat(b->path, &st) == 0 && st.st_dev == b->dev &&
	    st.st_ino == b->ino)
		(void)unlink(b->path);
}

const struct bus_broker_stats *
bus_broker_stats(const struct bus_broker *b)
{
	return &b->stats;
}
