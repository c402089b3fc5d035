/*
 * test_bus_harness.c - see test_bus_harness.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_bus_harness.h"

static void
on_tick(uv_timer_t *t)
{
	(void)t;
}

bool
h_wait_step(struct harness *h, bool done, const char *file, int line,
    const char *what)
{
	if (done) {
		h->deadline = 0;
		return false;
	}
	if (h->deadline == 0)
		h->deadline = uv_now(&h->loop) + WAIT_MS;
	else if (uv_now(&h->loop) > h->deadline)
		fail_msg("%s:%d: timed out waiting for %s", file, line, what);
	uv_run(&h->loop, UV_RUN_ONCE);
	return true;
}

void
h_init(struct harness *h, bool broker, size_t queue_max)
{
	memset(h, 0, sizeof(*h));
	(void)snprintf(h->dir, sizeof(h->dir), "/tmp/parapet-bus-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	(void)snprintf(h->path, sizeof(h->path), "%s/bus.sock", h->dir);
	h->queue_max = queue_max;
	assert_int_equal(uv_loop_init(&h->loop), 0);
	assert_int_equal(uv_timer_init(&h->loop, &h->tick), 0);
	assert_int_equal(uv_timer_start(&h->tick, on_tick, 2, 2), 0);
	if (broker)
		h_broker_up(h);
}

void
h_broker_up(struct harness *h)
{
	struct bus_broker_cfg cfg;
	int error;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = h->path;
	cfg.instance = h->dir;
	cfg.peer_queue_max = h->queue_max;
	cfg.hello_timeout_ms = 500;
	assert_null(h->broker);
	if ((error = bus_broker_create(&h->loop, &cfg, &h->broker)) != 0)
		fail_msg("bus_broker_create: %s", strerror(-error));
}

void
h_broker_down(struct harness *h)
{
	bus_broker_destroy(h->broker);
	h->broker = NULL;
	uv_run(&h->loop, UV_RUN_NOWAIT);
}

void
h_spin(struct harness *h, uint32_t ms)
{
	uint64_t end = uv_now(&h->loop) + ms;

	while (uv_now(&h->loop) < end)
		uv_run(&h->loop, UV_RUN_ONCE);
}

static void
walk(uv_handle_t *hd, void *arg)
{
	(void)arg;
	fprintf(stderr, "left open: handle type %d\n", (int)hd->type);
}

void
h_fini(struct harness *h)
{
	if (h->broker != NULL)
		h_broker_down(h);
	uv_close((uv_handle_t *)&h->tick, NULL);
	(void)uv_run(&h->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&h->loop) != 0) {
		uv_walk(&h->loop, walk, NULL);
		fail_msg("handles left open");
	}
	(void)unlink(h->path);
	assert_int_equal(rmdir(h->dir), 0);
}

/* ---- test clients ---- */

static void
tc_on_connect(struct bus_client *c, void *arg)
{
	struct tclient *tc = arg;

	(void)c;
	tc->connects++;
}

static void
tc_on_disconnect(struct bus_client *c, void *arg)
{
	struct tclient *tc = arg;

	(void)c;
	tc->disconnects++;
}

void
tc_create(struct harness *h, struct tclient *tc, const char *name)
{
	struct bus_client_cfg cfg;
	int error;

	memset(tc, 0, sizeof(*tc));
	tc->h = h;
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = h->path;
	cfg.name = name;
	cfg.reconnect_min_ms = 5;
	cfg.reconnect_max_ms = 40;
	cfg.on_connect = tc_on_connect;
	cfg.on_disconnect = tc_on_disconnect;
	cfg.arg = tc;
	if ((error = bus_client_create(&h->loop, &cfg, &tc->c)) != 0)
		fail_msg("bus_client_create %s: %s", name, strerror(-error));
}

static void
on_state_event(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__ServerStateEvent *ev =
	    (const Parapet__ServerStateEvent *)(const void *)m->body;
	struct tclient *tc = arg;

	(void)c;
	assert_int_equal(m->type, T(SERVER_STATE_EVENT));
	tc->events++;
	(void)snprintf(tc->ev_src, sizeof(tc->ev_src), "%s", m->src);
	(void)snprintf(tc->ev_topic, sizeof(tc->ev_topic), "%s", m->topic);
	(void)snprintf(tc->ev_name, sizeof(tc->ev_name), "%s", ev->name);
}

void
tc_events(struct tclient *tc, const char *topic)
{
	int error;

	assert_int_equal(bus_subscribe(tc->c, topic), 0);
	error = bus_client_on(tc->c, T(SERVER_STATE_EVENT), on_state_event,
	    tc);
	assert_true(error == 0 || error == -EEXIST);
}

static void
on_hold(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	struct tclient *tc = arg;

	(void)c;
	tc->held++;
	(void)snprintf(tc->held_src, sizeof(tc->held_src), "%s", m->src);
	tc->held_corr = m->corr;
}

void
tc_hold(struct tclient *tc, uint32_t type)
{
	assert_int_equal(bus_client_on(tc->c, type, on_hold, tc), 0);
}

void
tc_destroy(struct tclient *tc)
{
	bus_client_destroy(tc->c);
	tc->c = NULL;
}

/* ---- requests ---- */

void
box_reply(struct bus_client *c, int error, const struct bus_msg *m,
    void *arg)
{
	struct box *b = arg;
	size_t i;

	(void)c;
	b->done++;
	b->error = error;
	if (m == NULL)
		return;
	b->type = m->type;
	(void)snprintf(b->src, sizeof(b->src), "%s", m->src);
	if (m->type == T(PING_REPLY)) {
		const Parapet__PingReply *r =
		    (const Parapet__PingReply *)(const void *)m->body;

		b->nonce = r->nonce;
		b->pid = r->pid;
		(void)snprintf(b->name, sizeof(b->name), "%s", r->name);
	} else if (m->type == T(COUNTERS_REPLY)) {
		const Parapet__CountersReply *r =
		    (const Parapet__CountersReply *)(const void *)m->body;

		(void)snprintf(b->name, sizeof(b->name), "%s", r->name);
		b->ncounters = r->n_counters;
		for (i = 0; i < r->n_counters; i++)
			if (b->want_counter != NULL &&
			    strcmp(r->counters[i]->name, b->want_counter) == 0)
				b->counter = r->counters[i]->value;
	}
}

void
ping(struct harness *h, struct bus_client *c, const char *dst,
    struct box *b)
{
	Parapet__PingRequest rq;
	int error;

	parapet__ping_request__init(&rq);
	rq.nonce = 0x5eed;
	memset(b, 0, sizeof(*b));
	if ((error = bus_request(c, dst, T(PING_REQUEST), &rq.base, 0,
	    box_reply, b)) != 0)
		fail_msg("ping %s: %s", dst, strerror(-error));
	WAIT(h, b->done);
}

/* ---- raw sockets ---- */

int
raw_connect(struct harness *h)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(h->path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, h->path, strlen(h->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* A Unix stream connect completes at once (or fails). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		fail_msg("connect %s: %s", h->path, strerror(errno));
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

void
raw_write(int fd, const void *p, size_t n)
{
	ssize_t w;

	w = send(fd, p, n, MSG_NOSIGNAL);
	if (w < 0 || (size_t)w != n)
		fail_msg("raw write: %zd of %zu: %s", w, n, strerror(errno));
}

void
raw_frame(int fd, const struct frame_hdr *hdr, const ProtobufCMessage *body)
{
	uint8_t *f;
	size_t len;

	assert_int_equal(frame_encode(hdr, body, &f, &len), 0);
	raw_write(fd, f, len);
	free(f);
}

void
raw_hello(int fd, const char *name)
{
	Parapet__HelloRequest rq;
	struct frame_hdr h;

	parapet__hello_request__init(&rq);
	rq.name = mut(name);
	rq.pid = 1;
	memset(&h, 0, sizeof(h));
	h.type = T(HELLO_REQUEST);
	h.kind = REQ;
	h.corr = 1;
	h.dst = "broker";
	raw_frame(fd, &h, &rq.base);
}

bool
raw_closed(int fd)
{
	uint8_t buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n == 0)
			return true;
		return errno == ECONNRESET;
	}
}

void
raw_in_init(struct raw_in *in)
{
	memset(in, 0, sizeof(*in));
	frame_decoder_init(&in->dec);
}

static int
raw_in_frame(const uint8_t *p, size_t n, void *arg)
{
	struct raw_in *in = arg;
	enum frame_reject why;

	assert_true(in->n < nitems(in->msgs));
	if (frame_msg_parse(p, n, &in->msgs[in->n], &why) != 0)
		fail_msg("raw read: %s", frame_reject_str(why));
	in->n++;
	return 0;
}

size_t
raw_read(int fd, struct raw_in *in)
{
	uint8_t buf[4096];
	enum frame_reject why;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		assert_int_equal(frame_decoder_feed(&in->dec, buf, (size_t)n,
		    raw_in_frame, in, &why), 0);
	if (n == 0)
		in->eof = true;
	return in->n;
}

void
raw_in_free(struct raw_in *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		frame_msg_free(&in->msgs[i]);
	frame_decoder_free(&in->dec);
	in->n = 0;
}

uint8_t *
raw_env_frame(const struct raw_env *r, size_t *len)
{
	Parapet__Envelope env;
	uint8_t *out, *body = NULL;
	size_t n;

	parapet__envelope__init(&env);
	env.type = (Parapet__MsgType)r->type;
	env.kind = (Parapet__MsgKind)r->kind;
	env.corr = r->corr;
	env.src = mut(r->src != NULL ? r->src : "");
	env.dst = mut(r->dst != NULL ? r->dst : "");
	env.topic = mut(r->topic != NULL ? r->topic : "");
	env.error = r->error;
	if (r->body != NULL) {
		env.body.len = protobuf_c_message_get_packed_size(r->body);
		body = malloc(env.body.len + 1);
		assert_non_null(body);
		protobuf_c_message_pack(r->body, body);
		env.body.data = body;
	} else if (r->body_bytes != NULL) {
		env.body.data = mutb(r->body_bytes);
		env.body.len = r->body_len;
	}
	n = parapet__envelope__get_packed_size(&env);
	out = malloc(4 + n);
	assert_non_null(out);
	out[0] = (uint8_t)(n >> 24);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	parapet__envelope__pack(&env, out + 4);
	free(body);
	*len = 4 + n;
	return out;
}
