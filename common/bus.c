/*
 * bus.c - the bus client: the libuv shell every server and tool uses to
 * talk to the broker (see bus.h for the contract, bus_broker.c for the
 * other end).
 *
 * Life of a connection:
 *
 *   IDLE --connect--> CONNECTING --ok--> HELLO --HelloReply--> SUBSCRIBING
 *     ^                   |                |                        |
 *     |  back-off timer   | error          | refused / timeout     | all
 *     +-------------------+----------------+------------------------+ acks
 *     ^                                                             v
 *     +------------------ connection lost ----------------------- UP
 *                                                          (on_connect)
 *
 * The back-off doubles from reconnect_min_ms to reconnect_max_ms and
 * resets when a hello is accepted; each wait is half the back-off plus a
 * random part of the other half. Everything received is untrusted: a
 * frame that fails frame_msg_parse() closes the connection (and we
 * reconnect), a reply nobody waits for is counted and dropped.
 */
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "bus.h"
#include "bus_conn.h"
#include "bus_msg.h"
#include "log.h"

#define HELLO_TIMEOUT_MS	5000
#define RECONNECT_MIN_MS	50
#define RECONNECT_MAX_MS	2000
#define BROKER			"broker"
#define ERRNO_MAX		4095

#define REQ	PARAPET__MSG_KIND__MSG_KIND_REQUEST
#define REP	PARAPET__MSG_KIND__MSG_KIND_REPLY
#define EVT	PARAPET__MSG_KIND__MSG_KIND_EVENT

enum cstate {
	CS_IDLE,		/* waiting for the back-off timer */
	CS_CONNECTING,
	CS_HELLO,		/* HelloRequest sent */
	CS_SUBSCRIBING,		/* hello accepted, subscriptions re-sent */
	CS_UP,			/* on_connect called */
};

struct pending {
	TAILQ_ENTRY(pending)	 link;
	struct bus_client	*c;
	uv_timer_t		 timer;
	uint64_t		 corr;
	uint32_t		 reply_type;
	char			 dst[BUS_NAME_MAX + 1];
	bus_reply_fn		*cb;
	void			*arg;
};

struct handler {
	uint32_t		 type;
	bus_handler_fn		*fn;
	void			*arg;
};

struct bus_client {
	uv_loop_t		*loop;
	char			*path;
	char			*name;
	uint32_t		 rmin_ms;
	uint32_t		 rmax_ms;
	uint32_t		 backoff_ms;	/* next retry delay */
	uint64_t		 rng;		/* jitter (xorshift64) */
	bus_conn_fn		*on_connect;
	bus_conn_fn		*on_disconnect;
	void			*arg;

	uv_timer_t		 retry;
	struct bus_conn		*conn;		/* current; NULL in IDLE */
	enum cstate		 state;
	size_t			 subs_waiting;	/* SubscribeReplies before UP */
	bool			 warned;	/* this outage is logged */
	uint64_t		 next_corr;
	uint64_t		 start_ms;
	TAILQ_HEAD(, pending)	 pending;

	struct handler		*handlers;
	size_t			 nhandlers;
	char			 subs[BUS_BROKER_SUBS_MAX][BUS_NAME_MAX + 1];
	size_t			 nsubs;

	unsigned		 handles;	/* open libuv handles */
	bool			 destroying;
	struct bus_client_stats	 stats;
	struct log_rl		 rl;
	uint8_t			 rbuf[BUS_READ_BYTES];
};

static void	client_connect(struct bus_client *);

/* ---- life cycle ---- */

static void
maybe_free(struct bus_client *c)
{
	if (!c->destroying || c->handles != 0)
		return;
	free(c->handlers);
	free(c->path);
	free(c->name);
	free(c);
}

static void
on_pending_closed(uv_handle_t *h)
{
	struct pending *p = h->data;
	struct bus_client *c = p->c;

	free(p);
	c->handles--;
	maybe_free(c);
}

/* Unlink p and release it (asynchronously: its timer is a handle). */
static void
pending_done(struct pending *p)
{
	TAILQ_REMOVE(&p->c->pending, p, link);
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, on_pending_closed);
}

/* Fail every pending request; callbacks may issue new requests (which
 * fail: there is no connection) or destroy the client. */
static void
fail_pending(struct bus_client *c, int error)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&c->pending)) != NULL) {
		bus_reply_fn *cb = p->cb;
		void *arg = p->arg;

		pending_done(p);
		cb(c, error, NULL, arg);
	}
}

static void
on_retry(uv_timer_t *t)
{
	struct bus_client *c = t->data;

	if (!c->destroying && c->conn == NULL)
		client_connect(c);
}

/*
 * The delay before the next attempt: half the back-off plus a random part
 * of the other half, so that the servers a restarted broker lost do not
 * all come back in the same millisecond. Not for secrets: xorshift.
 */
static uint32_t
jitter(struct bus_client *c, uint32_t delay)
{
	uint64_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return delay / 2 + (uint32_t)(x % ((uint64_t)delay / 2 + 1));
}

static void
schedule_retry(struct bus_client *c)
{
	uint32_t delay = jitter(c, c->backoff_ms);

	c->backoff_ms = c->backoff_ms >= c->rmax_ms / 2 ? c->rmax_ms :
	    c->backoff_ms * 2;
	c->state = CS_IDLE;
	(void)uv_timer_start(&c->retry, on_retry, delay, 0);
}

static void
client_up(struct bus_client *c)
{
	c->state = CS_UP;
	if (c->on_connect != NULL)
		c->on_connect(c, c->arg);
}

/* ---- connection callbacks (bus_conn) ---- */

static int	client_frame(struct bus_conn *, const uint8_t *, size_t);

static void
client_lost(struct bus_conn *bc, int error, enum frame_reject why)
{
	struct bus_client *c = bc->owner;
	enum cstate was = c->state;

	if (why != FRAME_OK) {
		c->stats.rejected[why]++;
		log_rl_warnx(&c->rl, "bus: %s: frame from broker refused: %s",
		    c->name, frame_reject_str(why));
	}
	if (c->conn != bc)
		return;
	c->conn = NULL;
	c->state = CS_IDLE;
	if (was >= CS_SUBSCRIBING)
		c->stats.disconnects++;
	fail_pending(c, c->destroying ? -ECANCELED : -ENOTCONN);
	if (c->destroying)
		return;
	if (was >= CS_SUBSCRIBING)
		log_info("bus: %s: connection to broker lost: %s", c->name,
		    error == 0 ? "closed" : error == -EBADMSG ?
		    frame_reject_str(why) : uv_strerror(error));
	if (was == CS_UP && c->on_disconnect != NULL)
		c->on_disconnect(c, c->arg);
	if (!c->destroying && c->conn == NULL)
		schedule_retry(c);
}

static void
client_closed(struct bus_conn *bc)
{
	struct bus_client *c = bc->owner;

	free(bc);
	c->handles--;
	maybe_free(c);
}

static const struct bus_conn_ops client_ops = {
	.frame = client_frame,
	.lost = client_lost,
	.closed = client_closed,
};

/* ---- sending ---- */

static int
send_frame(struct bus_client *c, const struct frame_hdr *h,
    const ProtobufCMessage *body)
{
	struct bus_wbuf *wb;
	uint8_t *frame;
	size_t len;
	int error;

	if (c->conn == NULL)
		return -ENOTCONN;
	if ((error = frame_encode(h, body, &frame, &len)) != 0)
		return error;
	if ((wb = bus_wbuf_new(frame, len)) == NULL)
		return -ENOMEM;
	error = bus_conn_send(c->conn, wb, BUS_CLIENT_QUEUE_MAX);
	bus_wbuf_unref(wb);
	if (error == 0)
		c->stats.frames_out++;
	return error;
}

static void
on_timeout(uv_timer_t *t)
{
	struct pending *p = t->data;
	struct bus_client *c = p->c;
	bus_reply_fn *cb = p->cb;
	void *arg = p->arg;

	c->stats.timeouts++;
	pending_done(p);
	cb(c, -ETIMEDOUT, NULL, arg);
}

/* `early`: allowed before the hello is accepted (the hello itself). */
static int
send_request(struct bus_client *c, const char *dst, uint32_t type,
    const ProtobufCMessage *body, uint32_t timeout_ms, bus_reply_fn *cb,
    void *arg, bool early)
{
	const struct bus_msgtype *t;
	struct frame_hdr h;
	struct pending *p;
	int error;

	if ((t = bus_msgtype_get(type)) == NULL || t->kind != REQ ||
	    cb == NULL || !frame_name_ok(dst))
		return -EINVAL;
	if (c->conn == NULL || (!early && c->state < CS_SUBSCRIBING))
		return -ENOTCONN;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if (++c->next_corr == 0)
		c->next_corr = 1;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.kind = REQ;
	h.corr = c->next_corr;
	h.dst = dst;
	if ((error = send_frame(c, &h, body)) != 0) {
		free(p);
		return error;
	}
	p->c = c;
	p->corr = h.corr;
	p->reply_type = t->reply;
	(void)snprintf(p->dst, sizeof(p->dst), "%s", dst);
	p->cb = cb;
	p->arg = arg;
	(void)uv_timer_init(c->loop, &p->timer);	/* cannot fail */
	p->timer.data = p;
	c->handles++;
	TAILQ_INSERT_TAIL(&c->pending, p, link);
	(void)uv_timer_start(&p->timer, on_timeout,
	    timeout_ms != 0 ? timeout_ms : BUS_TIMEOUT_MS, 0);
	return 0;
}

/* ---- hello and subscriptions ---- */

static ssize_t
find_sub(const struct bus_client *c, const char *topic)
{
	size_t i;

	for (i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i], topic) == 0)
			return (ssize_t)i;
	return -1;
}

/* (Un)subscribe to a remembered topic. */
static int
send_subscribe(struct bus_client *c, uint32_t type, const char *topic,
    bus_reply_fn *cb, void *arg)
{
	Parapet__SubscribeRequest sub;
	Parapet__UnsubscribeRequest unsub;
	ssize_t i;

	parapet__subscribe_request__init(&sub);
	parapet__unsubscribe_request__init(&unsub);
	if ((i = find_sub(c, topic)) < 0)
		return -ENOENT;
	sub.topic = c->subs[i];
	unsub.topic = c->subs[i];
	return send_request(c, BROKER, type,
	    type == PARAPET__MSG_TYPE__MSG_SUBSCRIBE_REQUEST ?
	    &sub.base : &unsub.base, 0, cb, arg, false);
}

static void
on_sub_reply(struct bus_client *c, int error, const struct bus_msg *reply,
    void *arg)
{
	(void)reply;
	if (error == -ENOTCONN || error == -ECANCELED)
		return;		/* the next connection re-sends it */
	if (error != 0)
		log_warnx("bus: %s: (un)subscribe failed: %s", c->name,
		    strerror(-error));
	/* arg marks the re-sends after a hello, which gate on_connect. */
	if (arg != NULL && c->state == CS_SUBSCRIBING && c->subs_waiting > 0 &&
	    --c->subs_waiting == 0)
		client_up(c);
}

static void
on_hello(struct bus_client *c, int error, const struct bus_msg *reply,
    void *arg)
{
	const Parapet__HelloReply *hr;
	size_t i;

	(void)arg;
	if (error == -ENOTCONN || error == -ECANCELED)
		return;
	if (error != 0) {
		log_rl_warnx(&c->rl, "bus: %s: hello refused: %s", c->name,
		    strerror(-error));
		if (c->conn != NULL)
			bus_conn_close(c->conn, error, FRAME_OK);
		return;
	}
	hr = (const Parapet__HelloReply *)(const void *)reply->body;
	c->state = CS_SUBSCRIBING;
	c->backoff_ms = c->rmin_ms;
	c->warned = false;
	c->stats.connects++;
	log_info("bus: %s: connected to broker %s (epoch %llu)", c->name,
	    hr->broker, (unsigned long long)hr->epoch);
	c->subs_waiting = 0;
	for (i = 0; i < c->nsubs; i++) {
		error = send_subscribe(c, PARAPET__MSG_TYPE__MSG_SUBSCRIBE_REQUEST,
		    c->subs[i], on_sub_reply, c);
		if (error != 0) {
			log_warnx("bus: %s: cannot re-subscribe to %s: %s",
			    c->name, c->subs[i], strerror(-error));
			bus_conn_close(c->conn, error, FRAME_OK);
			return;
		}
		c->subs_waiting++;
	}
	if (c->subs_waiting == 0)
		client_up(c);
}

static void
on_connected(uv_connect_t *req, int status)
{
	struct bus_conn *bc = container_of(req, struct bus_conn, connect);
	struct bus_client *c = bc->owner;
	Parapet__HelloRequest hello;
	int error;

	parapet__hello_request__init(&hello);
	if (bc->closing)
		return;		/* destroyed while connecting */
	if (status < 0) {
		if (!c->warned)
			log_warnx("bus: %s: cannot reach broker at %s: %s "
			    "(retrying)", c->name, c->path,
			    uv_strerror(status));
		c->warned = true;
		bus_conn_close(bc, status, FRAME_OK);
		return;
	}
	c->state = CS_HELLO;
	hello.name = c->name;
	hello.pid = (uint32_t)getpid();
	if ((error = bus_conn_start(bc)) != 0 ||
	    (error = send_request(c, BROKER,
	    PARAPET__MSG_TYPE__MSG_HELLO_REQUEST, &hello.base,
	    HELLO_TIMEOUT_MS, on_hello, NULL, true)) != 0)
		bus_conn_close(bc, error, FRAME_OK);
}

static void
client_connect(struct bus_client *c)
{
	struct bus_conn *bc;

	if ((bc = calloc(1, sizeof(*bc))) == NULL) {
		schedule_retry(c);
		return;
	}
	if (bus_conn_init(c->loop, bc, &client_ops, c->rbuf, c) != 0) {
		free(bc);
		schedule_retry(c);
		return;
	}
	c->handles++;
	c->conn = bc;
	c->state = CS_CONNECTING;
	uv_pipe_connect(&bc->connect, &bc->pipe, c->path, on_connected);
}

/* ---- receiving ---- */

static struct pending *
find_pending(struct bus_client *c, uint64_t corr)
{
	struct pending *p;

	TAILQ_FOREACH(p, &c->pending, link)
		if (p->corr == corr)
			return p;
	return NULL;
}

static const struct handler *
find_handler(const struct bus_client *c, uint32_t type)
{
	size_t i;

	for (i = 0; i < c->nhandlers; i++)
		if (c->handlers[i].type == type)
			return &c->handlers[i];
	return NULL;
}

static void
on_reply(struct bus_client *c, const struct bus_msg *m)
{
	struct pending *p;
	bus_reply_fn *cb;
	void *arg;

	if ((p = find_pending(c, m->corr)) == NULL) {
		c->stats.stray_replies++;
		log_debug("bus: %s: reply %llu from %s: nobody waits",
		    c->name, (unsigned long long)m->corr, m->src);
		return;
	}
	/* The broker stamps src: a reply must come from whom we asked (or
	 * be the broker's own error, e.g. -EHOSTUNREACH). */
	if (strcmp(m->src, p->dst) != 0 &&
	    !(m->type == PARAPET__MSG_TYPE__MSG_ERROR_REPLY &&
	    strcmp(m->src, BROKER) == 0)) {
		c->stats.stray_replies++;
		log_rl_warnx(&c->rl, "bus: %s: reply %llu from %s, asked %s",
		    c->name, (unsigned long long)m->corr, m->src, p->dst);
		return;
	}
	cb = p->cb;
	arg = p->arg;
	pending_done(p);
	if (m->type == PARAPET__MSG_TYPE__MSG_ERROR_REPLY)
		cb(c, m->error, m, arg);
	else if (m->type != p->reply_type)
		cb(c, -EPROTO, NULL, arg);
	else
		cb(c, 0, m, arg);
}

static void
auto_ping(struct bus_client *c, const struct bus_msg *m)
{
	const Parapet__PingRequest *rq =
	    (const Parapet__PingRequest *)(const void *)m->body;
	Parapet__PingReply rep;
	int error;

	parapet__ping_reply__init(&rep);
	rep.nonce = rq->nonce;
	rep.name = c->name;
	rep.pid = (uint32_t)getpid();
	rep.uptime_ms = uv_now(c->loop) - c->start_ms;
	if ((error = bus_reply(c, m, 0, PARAPET__MSG_TYPE__MSG_PING_REPLY,
	    &rep.base)) != 0)
		log_debug("bus: %s: ping reply: %s", c->name, strerror(-error));
}

static void
on_request(struct bus_client *c, const struct bus_msg *m)
{
	const struct handler *h;
	int error;

	if ((h = find_handler(c, m->type)) != NULL) {
		h->fn(c, m, h->arg);
		return;
	}
	if (m->type == PARAPET__MSG_TYPE__MSG_PING_REQUEST) {
		auto_ping(c, m);
		return;
	}
	c->stats.unhandled++;
	if ((error = bus_reply(c, m, -EOPNOTSUPP, 0, NULL)) != 0)
		log_debug("bus: %s: error reply: %s", c->name,
		    strerror(-error));
}

static void
on_event(struct bus_client *c, const struct bus_msg *m)
{
	const struct handler *h;

	if ((h = find_handler(c, m->type)) != NULL)
		h->fn(c, m, h->arg);
	else
		c->stats.unhandled++;
}

static int
client_frame(struct bus_conn *bc, const uint8_t *p, size_t n)
{
	struct bus_client *c = bc->owner;
	enum frame_reject why;
	struct bus_msg m;

	if (frame_msg_parse(p, n, &m, &why) != 0) {
		bus_conn_close(bc, -EBADMSG, why);
		return 1;
	}
	c->stats.frames_in++;
	switch (m.kind) {
	case REP:
		on_reply(c, &m);
		break;
	case REQ:
		on_request(c, &m);
		break;
	default:
		on_event(c, &m);
		break;
	}
	frame_msg_free(&m);
	return 0;
}

/* ---- public interface ---- */

int
bus_client_create(uv_loop_t *loop, const struct bus_client_cfg *cfg,
    struct bus_client **out)
{
	struct sockaddr_un sun;
	struct bus_client *c;

	*out = NULL;
	if (cfg->path == NULL || cfg->path[0] == '\0' ||
	    !frame_name_ok(cfg->name) || strcmp(cfg->name, BROKER) == 0)
		return -EINVAL;
	if (strlen(cfg->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if ((c->path = strdup(cfg->path)) == NULL ||
	    (c->name = strdup(cfg->name)) == NULL) {
		free(c->path);
		free(c);
		return -ENOMEM;
	}
	bus_ignore_sigpipe();
	c->loop = loop;
	c->rmin_ms = cfg->reconnect_min_ms != 0 ? cfg->reconnect_min_ms :
	    RECONNECT_MIN_MS;
	c->rmax_ms = cfg->reconnect_max_ms != 0 ? cfg->reconnect_max_ms :
	    RECONNECT_MAX_MS;
	if (c->rmax_ms < c->rmin_ms)
		c->rmax_ms = c->rmin_ms;
	c->backoff_ms = c->rmin_ms;
	c->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c ^
	    uv_hrtime() ^ 0x9e3779b97f4a7c15ull;
	c->on_connect = cfg->on_connect;
	c->on_disconnect = cfg->on_disconnect;
	c->arg = cfg->arg;
	c->start_ms = uv_now(loop);
	TAILQ_INIT(&c->pending);
	(void)uv_timer_init(loop, &c->retry);	/* cannot fail */
	c->retry.data = c;
	c->handles = 1;
	client_connect(c);
	*out = c;
	return 0;
}

static void
on_retry_closed(uv_handle_t *h)
{
	struct bus_client *c = h->data;

	c->handles--;
	maybe_free(c);
}

void
bus_client_destroy(struct bus_client *c)
{
	if (c == NULL || c->destroying)
		return;
	c->destroying = true;
	uv_timer_stop(&c->retry);
	uv_close((uv_handle_t *)&c->retry, on_retry_closed);
	if (c->conn != NULL)
		bus_conn_close(c->conn, -ECANCELED, FRAME_OK);
	fail_pending(c, -ECANCELED);
}

bool
bus_client_connected(const struct bus_client *c)
{
	return c->conn != NULL && c->state >= CS_SUBSCRIBING;
}

bool
bus_client_reconnected(const struct bus_client *c, uint64_t *seen)
{
	if (c->stats.connects == *seen || !bus_client_connected(c))
		return false;
	*seen = c->stats.connects;
	return true;
}

int
bus_client_on(struct bus_client *c, uint32_t type, bus_handler_fn *fn,
    void *arg)
{
	const struct bus_msgtype *t;
	struct handler *hv;
	size_t i;

	if ((t = bus_msgtype_get(type)) == NULL || t->kind == REP)
		return -EINVAL;
	for (i = 0; i < c->nhandlers; i++) {
		if (c->handlers[i].type != type)
			continue;
		if (fn != NULL)
			return -EEXIST;
		/* fn NULL: remove the handler. */
		c->handlers[i] = c->handlers[--c->nhandlers];
		return 0;
	}
	if (fn == NULL)
		return 0;
	hv = realloc(c->handlers, (c->nhandlers + 1) * sizeof(*hv));
	if (hv == NULL)
		return -ENOMEM;
	c->handlers = hv;
	hv[c->nhandlers].type = type;
	hv[c->nhandlers].fn = fn;
	hv[c->nhandlers].arg = arg;
	c->nhandlers++;
	return 0;
}

int
bus_subscribe(struct bus_client *c, const char *topic)
{
	int error;

	if (!frame_name_ok(topic))
		return -EINVAL;
	if (find_sub(c, topic) >= 0)
		return 0;
	if (c->nsubs == nitems(c->subs))
		return -ENOSPC;
	(void)snprintf(c->subs[c->nsubs], sizeof(c->subs[0]), "%s", topic);
	c->nsubs++;
	if (!bus_client_connected(c))
		return 0;	/* sent after the next hello */
	error = send_subscribe(c, PARAPET__MSG_TYPE__MSG_SUBSCRIBE_REQUEST,
	    topic, on_sub_reply, NULL);
	if (error != 0)
		c->nsubs--;
	return error;
}

int
bus_unsubscribe(struct bus_client *c, const char *topic)
{
	ssize_t i;
	int error = 0;

	if (!frame_name_ok(topic))
		return -EINVAL;
	if ((i = find_sub(c, topic)) < 0)
		return -ENOENT;
	if (bus_client_connected(c))
		error = send_subscribe(c,
		    PARAPET__MSG_TYPE__MSG_UNSUBSCRIBE_REQUEST, topic,
		    on_sub_reply, NULL);
	if (error == 0) {
		c->nsubs--;
		if ((size_t)i != c->nsubs)
			memcpy(c->subs[i], c->subs[c->nsubs],
			    sizeof(c->subs[i]));
	}
	return error;
}

int
bus_request(struct bus_client *c, const char *dst, uint32_t type,
    const ProtobufCMessage *body, uint32_t timeout_ms, bus_reply_fn *cb,
    void *arg)
{
	return send_request(c, dst, type, body, timeout_ms, cb, arg, false);
}

int
bus_reply_to(struct bus_client *c, const char *dst, uint64_t corr,
    int error, uint32_t type, const ProtobufCMessage *body)
{
	struct frame_hdr h;

	if (!bus_client_connected(c))
		return -ENOTCONN;
	if (error > 0 || error < -ERRNO_MAX)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.type = error != 0 ? PARAPET__MSG_TYPE__MSG_ERROR_REPLY : type;
	h.kind = REP;
	h.corr = corr;
	h.dst = dst;
	h.error = error;
	return send_frame(c, &h, error != 0 ? NULL : body);
}

int
bus_reply(struct bus_client *c, const struct bus_msg *req, int error,
    uint32_t type, const ProtobufCMessage *body)
{
	const struct bus_msgtype *t;

	if (req->kind != REQ || (t = bus_msgtype_get(req->type)) == NULL)
		return -EINVAL;
	if (error == 0 && type != t->reply)
		return -EINVAL;
	return bus_reply_to(c, req->src, req->corr, error, type, body);
}

int
bus_publish(struct bus_client *c, const char *topic, uint32_t type,
    const ProtobufCMessage *body)
{
	struct frame_hdr h;

	if (!bus_client_connected(c))
		return -ENOTCONN;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.kind = EVT;
	h.topic = topic;
	return send_frame(c, &h, body);
}

const struct bus_client_stats *
bus_client_stats(const struct bus_client *c)
{
	return &c->stats;
}
