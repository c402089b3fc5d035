/*
 * test_bus_hostile.c - the bus facing peers that misbehave, over real Unix
 * sockets: oversized, empty, truncated, garbage and meaningless frames,
 * traffic before hello, a peer that stops reading, a second hello under a
 * name in use, too many connections, and a fake broker feeding a client
 * garbage. Each time the offender's connection is closed and a counter
 * bumped, and the broker keeps serving everyone else.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_bus_harness.h"

static const uint8_t ff[8] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

enum counter {
	C_REJECT,		/* rejected[why] */
	C_NOT_HELLO,
};

struct bad_row {
	const char		*name;
	const uint8_t		*bytes;		/* sent as is, or */
	size_t			 len;
	struct raw_env		 env;		/* a raw envelope */
	enum counter		 counter;	/* expected to go up */
	enum frame_reject	 why;
	bool			 hello;		/* say hello first */
	bool			 eof;		/* then shut down writing */
};

static const uint8_t len_max1[] = { 0x00, 0x04, 0x00, 0x01 };
static const uint8_t len_huge[] = { 0xff, 0xff, 0xff, 0xff };
static const uint8_t len_zero[] = { 0, 0, 0, 0, 1, 2, 3 };
static const uint8_t short_body[] = { 0, 0, 0, 100, 1, 2, 3, 4, 5, 6 };
static const uint8_t short_hdr[] = { 0, 0 };
static const uint8_t garbage[] = {
	0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static Parapet__HelloRequest bad_hello;
static Parapet__ReadyEvent ready;

static const struct bad_row rows[] = {
	{ "oversize", len_max1, sizeof(len_max1), { 0 },
	    C_REJECT, FRAME_REJECT_OVERSIZE, false, false },
	{ "2^32-1", len_huge, sizeof(len_huge), { 0 },
	    C_REJECT, FRAME_REJECT_OVERSIZE, false, false },
	{ "oversize after hello", len_max1, sizeof(len_max1), { 0 },
	    C_REJECT, FRAME_REJECT_OVERSIZE, true, false },
	{ "empty", len_zero, sizeof(len_zero), { 0 },
	    C_REJECT, FRAME_REJECT_EMPTY, false, false },
	{ "truncated body", short_body, sizeof(short_body), { 0 },
	    C_REJECT, FRAME_REJECT_TRUNCATED, true, true },
	{ "truncated header", short_hdr, sizeof(short_hdr), { 0 },
	    C_REJECT, FRAME_REJECT_TRUNCATED, false, true },
	{ "garbage", garbage, sizeof(garbage), { 0 },
	    C_REJECT, FRAME_REJECT_UNPACK, false, false },
	{ "garbage after hello", garbage, sizeof(garbage), { 0 },
	    C_REJECT, FRAME_REJECT_UNPACK, true, false },
	{ "kind 7", NULL, 0,
	    { .type = T(PING_REQUEST), .kind = 7, .corr = 1, .dst = "broker" },
	    C_REJECT, FRAME_REJECT_KIND, false, false },
	{ "hello as event", NULL, 0,
	    { .type = T(HELLO_REQUEST), .kind = EVT, .topic = "t" },
	    C_REJECT, FRAME_REJECT_KIND, false, false },
	{ "unknown type", NULL, 0,
	    { .type = 99, .kind = REQ, .corr = 1, .dst = "broker" },
	    C_REJECT, FRAME_REJECT_TYPE, true, false },
	{ "bad dst", NULL, 0,
	    { .type = T(PING_REQUEST), .kind = REQ, .corr = 1, .dst = "Broker" },
	    C_REJECT, FRAME_REJECT_NAME, true, false },
	{ "hello body garbage", NULL, 0,
	    { .type = T(HELLO_REQUEST), .kind = REQ, .corr = 1, .dst = "broker",
	    .body_bytes = ff, .body_len = sizeof(ff) },
	    C_REJECT, FRAME_REJECT_BODY, false, false },
	{ "hello name invalid", NULL, 0,
	    { .type = T(HELLO_REQUEST), .kind = REQ, .corr = 1, .dst = "broker",
	    .body = &bad_hello.base },
	    C_REJECT, FRAME_REJECT_INVALID, false, false },
	{ "ping before hello", NULL, 0,
	    { .type = T(PING_REQUEST), .kind = REQ, .corr = 1, .dst = "broker" },
	    C_NOT_HELLO, FRAME_OK, false, false },
	{ "event before hello", NULL, 0,
	    { .type = T(READY_EVENT), .kind = EVT, .topic = "server",
	    .body = &ready.base },
	    C_NOT_HELLO, FRAME_OK, false, false },
};

static uint64_t
counter(const struct bus_broker *b, enum counter c, enum frame_reject why)
{
	const struct bus_broker_stats *st = bus_broker_stats(b);

	return c == C_REJECT ? st->rejected[why] : st->not_hello;
}

/* Send one bad row on a fresh connection: it is closed and counted, and
 * a and b are served as before. */
static void
bad_row(struct harness *h, struct tclient *a, const struct bad_row *row)
{
	uint64_t before, closed;
	struct box x;
	uint8_t *f;
	size_t len;
	int fd;

	before = counter(h->broker, row->counter, row->why);
	closed = bus_broker_stats(h->broker)->closed;
	fd = raw_connect(h);
	if (row->hello)
		raw_hello(fd, "raw");
	if (row->bytes != NULL)
		raw_write(fd, row->bytes, row->len);
	else {
		f = raw_env_frame(&row->env, &len);
		raw_write(fd, f, len);
		free(f);
	}
	if (row->eof)
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
	WAIT(h, counter(h->broker, row->counter, row->why) == before + 1);
	WAIT(h, bus_broker_stats(h->broker)->closed == closed + 1);
	WAIT(h, raw_closed(fd));
	(void)close(fd);
	ping(h, a->c, "b", &x);
	if (x.error != 0)
		fail_msg("%s: ping after: %d", row->name, x.error);
	assert_int_equal(bus_broker_stats(h->broker)->peers, 2);
}

static void
test_bad_frames(void **state)
{
	struct tclient a, b;
	struct harness h;
	size_t i;

	(void)state;
	parapet__hello_request__init(&bad_hello);
	bad_hello.name = "Not A Name";
	parapet__ready_event__init(&ready);
	ready.name = "keyd";
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	WAIT(&h, a.connects == 1 && b.connects == 1);
	for (i = 0; i < nitems(rows); i++)
		bad_row(&h, &a, &rows[i]);
	assert_int_equal(a.disconnects, 0);
	assert_int_equal(b.disconnects, 0);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

/* A raw peer that says hello as "slow", subscribes to "flood", waits for
 * both answers and then never reads again. */
static int
slow_subscriber(struct harness *h)
{
	Parapet__SubscribeRequest sub;
	struct frame_hdr hd;
	struct raw_in in;
	int fd;

	fd = raw_connect(h);
	raw_hello(fd, "slow");
	parapet__subscribe_request__init(&sub);
	sub.topic = "flood";
	memset(&hd, 0, sizeof(hd));
	hd.type = T(SUBSCRIBE_REQUEST);
	hd.kind = REQ;
	hd.corr = 2;
	hd.dst = "broker";
	raw_frame(fd, &hd, &sub.base);
	raw_in_init(&in);
	WAIT(h, raw_read(fd, &in) == 2);
	assert_int_equal(in.msgs[1].type, T(SUBSCRIBE_REPLY));
	raw_in_free(&in);
	return fd;
}

/* Publish until the broker gives up on the slow peer. The kernel buffers
 * a few hundred KiB first, then the broker's queue fills. */
static void
flood(struct harness *h, struct tclient *a)
{
	Parapet__ServerStateEvent ev;
	char reason[201];
	int n;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	parapet__server_state_event__init(&ev);
	ev.name = "keyd";
	ev.state = PARAPET__SERVER_STATE__SERVER_STATE_READY;
	ev.reason = reason;
	for (n = 0; n < 100000 && bus_broker_stats(h->broker)->stuck == 0;
	    n++) {
		assert_int_equal(bus_publish(a->c, "flood",
		    T(SERVER_STATE_EVENT), &ev.base), 0);
		if (n % 32 == 0)
			uv_run(&h->loop, UV_RUN_NOWAIT);
	}
	WAIT(h, bus_broker_stats(h->broker)->stuck == 1);
}

/* A subscriber that never reads is dropped once its queue is full; the
 * publisher and the broker carry on. */
static void
test_stuck_peer(void **state)
{
	struct tclient a;
	struct harness h;
	struct box x;
	int fd;

	(void)state;
	h_init(&h, true, (size_t)64 << 10);
	tc_create(&h, &a, "a");
	WAIT(&h, a.connects == 1);
	fd = slow_subscriber(&h);
	flood(&h, &a);
	WAIT(&h, raw_closed(fd));
	(void)close(fd);
	ping(&h, a.c, "broker", &x);
	assert_int_equal(x.error, 0);
	assert_int_equal(a.disconnects, 0);
	assert_int_equal(bus_broker_stats(h.broker)->peers, 1);
	tc_destroy(&a);
	h_fini(&h);
}

/* A second hello under a live name replaces the first connection. */
static void
test_duplicate_hello(void **state)
{
	struct tclient a, dup;
	struct raw_in in;
	struct harness h;
	struct box x;
	int fd;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	WAIT(&h, a.connects == 1);
	fd = raw_connect(&h);
	raw_hello(fd, "dup");
	raw_in_init(&in);
	WAIT(&h, raw_read(fd, &in) == 1);
	assert_int_equal(in.msgs[0].type, T(HELLO_REPLY));
	assert_string_equal(in.msgs[0].dst, "dup");
	raw_in_free(&in);

	tc_create(&h, &dup, "dup");
	WAIT(&h, dup.connects == 1);
	assert_int_equal(bus_broker_stats(h.broker)->replaced, 1);
	WAIT(&h, raw_closed(fd));
	(void)close(fd);
	ping(&h, a.c, "dup", &x);
	assert_int_equal(x.error, 0);
	assert_string_equal(x.src, "dup");
	assert_int_equal(x.pid, getpid());	/* the client, not pid 1 */
	assert_int_equal(dup.disconnects, 0);
	tc_destroy(&a);
	tc_destroy(&dup);
	h_fini(&h);
}

/* "broker" is not a name one can take (the peer may try another); a
 * second hello on a live connection is refused. */
static void
test_hello_refused(void **state)
{
	struct raw_in in;
	struct harness h;
	int fd;

	(void)state;
	h_init(&h, true, 0);
	fd = raw_connect(&h);
	raw_hello(fd, "broker");
	raw_in_init(&in);
	WAIT(&h, raw_read(fd, &in) == 1);
	assert_int_equal(in.msgs[0].type, T(ERROR_REPLY));
	assert_int_equal(in.msgs[0].error, -EADDRINUSE);
	raw_hello(fd, "c");
	WAIT(&h, raw_read(fd, &in) == 2);
	assert_int_equal(in.msgs[1].type, T(HELLO_REPLY));
	raw_hello(fd, "d");
	WAIT(&h, raw_read(fd, &in) == 3);
	assert_int_equal(in.msgs[2].error, -EALREADY);
	raw_in_free(&in);
	(void)close(fd);
	WAIT(&h, bus_broker_stats(h.broker)->peers == 0);
	h_fini(&h);
}

/* Connections past BUS_BROKER_PEERS_MAX are closed at once. */
static void
test_too_many_peers(void **state)
{
	static int fds[BUS_BROKER_PEERS_MAX + 1];
	struct harness h;
	size_t i;

	(void)state;
	h_init(&h, true, 0);
	for (i = 0; i < nitems(fds); i++) {
		fds[i] = raw_connect(&h);
		/* Let the broker accept: connect blocks on a full backlog. */
		uv_run(&h.loop, UV_RUN_NOWAIT);
	}
	WAIT(&h, bus_broker_stats(h.broker)->accepted == nitems(fds));
	assert_int_equal(bus_broker_stats(h.broker)->refused, 1);
	WAIT(&h, raw_closed(fds[nitems(fds) - 1]));
	for (i = 0; i < nitems(fds); i++)
		(void)close(fds[i]);
	WAIT(&h, bus_broker_stats(h.broker)->peers == 0);
	h_fini(&h);
}

/* ---- a fake broker: the client's side of hostile input ---- */

static int
fake_listen(struct harness *h)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, h->path, strlen(h->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static bool
fake_accept(int lfd, int *fd)
{
	*fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	return *fd >= 0;
}

/* Read the client's hello and accept it. */
static void
fake_hello(struct harness *h, int fd, const char *name)
{
	Parapet__HelloReply rep;
	struct frame_hdr hd;
	struct raw_in in;

	raw_in_init(&in);
	WAIT(h, raw_read(fd, &in) == 1);
	assert_int_equal(in.msgs[0].type, T(HELLO_REQUEST));
	parapet__hello_reply__init(&rep);
	rep.broker = "fake";
	memset(&hd, 0, sizeof(hd));
	hd.type = T(HELLO_REPLY);
	hd.kind = REP;
	hd.corr = in.msgs[0].corr;
	hd.src = "broker";
	hd.dst = name;
	raw_frame(fd, &hd, &rep.base);
	raw_in_free(&in);
}

/* A fake broker at h->path with client x connected to it (hello
 * accepted); *lfd listens, *fd is x's connection. */
static void
fake_session(struct harness *h, struct tclient *x, int *lfd, int *fd)
{
	*lfd = fake_listen(h);
	tc_create(h, x, "x");
	WAIT(h, fake_accept(*lfd, fd));
	fake_hello(h, *fd, "x");
	WAIT(h, x->connects == 1);
}

static void
fake_end(struct harness *h, struct tclient *x, int lfd, int fd)
{
	(void)close(fd);
	tc_destroy(x);
	(void)close(lfd);
	h_fini(h);
}

/* Garbage, an oversized length or a meaningless body from the broker:
 * the client counts it, drops the connection and comes back. */
static void
test_client_rejects(void **state)
{
	struct raw_env e = { .type = T(SERVER_STATE_EVENT), .kind = EVT,
	    .topic = "server", .body_bytes = ff, .body_len = sizeof(ff) };
	const struct bus_client_stats *st;
	struct tclient x;
	struct harness h;
	int lfd, fd;
	uint8_t *f;
	size_t len;

	(void)state;
	h_init(&h, false, 0);
	fake_session(&h, &x, &lfd, &fd);
	st = bus_client_stats(x.c);
	raw_write(fd, garbage, sizeof(garbage));
	WAIT(&h, st->rejected[FRAME_REJECT_UNPACK] == 1);
	WAIT(&h, x.disconnects == 1 && raw_closed(fd));
	(void)close(fd);

	WAIT(&h, fake_accept(lfd, &fd));
	fake_hello(&h, fd, "x");
	WAIT(&h, x.connects == 2);
	raw_write(fd, len_max1, sizeof(len_max1));
	WAIT(&h, st->rejected[FRAME_REJECT_OVERSIZE] == 1);
	WAIT(&h, x.disconnects == 2 && raw_closed(fd));
	(void)close(fd);

	WAIT(&h, fake_accept(lfd, &fd));
	fake_hello(&h, fd, "x");
	WAIT(&h, x.connects == 3);
	f = raw_env_frame(&e, &len);
	raw_write(fd, f, len);
	free(f);
	WAIT(&h, st->rejected[FRAME_REJECT_BODY] == 1);
	WAIT(&h, x.disconnects == 3);
	fake_end(&h, &x, lfd, fd);
}

/* Replies nobody asked for, or from someone other than the one asked,
 * are counted and dropped; a reply of the wrong type fails the request
 * with -EPROTO. */
static void
test_client_strays(void **state)
{
	Parapet__PingRequest prq;
	Parapet__PingReply prp;
	Parapet__StatusReply srp;
	struct frame_hdr hd;
	struct raw_in in;
	struct tclient x;
	struct harness h;
	struct box bx;
	int lfd, fd;

	(void)state;
	h_init(&h, false, 0);
	fake_session(&h, &x, &lfd, &fd);
	parapet__ping_reply__init(&prp);
	prp.name = "y";
	memset(&hd, 0, sizeof(hd));
	hd.type = T(PING_REPLY);
	hd.kind = REP;
	hd.corr = 999;
	hd.src = "y";
	hd.dst = "x";
	raw_frame(fd, &hd, &prp.base);
	WAIT(&h, bus_client_stats(x.c)->stray_replies == 1);

	parapet__ping_request__init(&prq);
	memset(&bx, 0, sizeof(bx));
	assert_int_equal(bus_request(x.c, "y", T(PING_REQUEST), &prq.base,
	    0, box_reply, &bx), 0);
	raw_in_init(&in);
	WAIT(&h, raw_read(fd, &in) == 1);
	hd.corr = in.msgs[0].corr;
	raw_in_free(&in);
	hd.src = "z";
	raw_frame(fd, &hd, &prp.base);
	WAIT(&h, bus_client_stats(x.c)->stray_replies == 2);
	assert_int_equal(bx.done, 0);

	parapet__status_reply__init(&srp);
	hd.type = T(STATUS_REPLY);
	hd.src = "y";
	raw_frame(fd, &hd, &srp.base);
	WAIT(&h, bx.done == 1);
	assert_int_equal(bx.error, -EPROTO);
	assert_int_equal(x.disconnects, 0);
	fake_end(&h, &x, lfd, fd);
}

/* A ping from the wire is answered by the client on its own. */
static void
test_client_auto_ping(void **state)
{
	const Parapet__PingReply *r;
	Parapet__PingRequest prq;
	struct frame_hdr hd;
	struct raw_in in;
	struct tclient x;
	struct harness h;
	int lfd, fd;

	(void)state;
	h_init(&h, false, 0);
	fake_session(&h, &x, &lfd, &fd);
	parapet__ping_request__init(&prq);
	prq.nonce = 77;
	memset(&hd, 0, sizeof(hd));
	hd.type = T(PING_REQUEST);
	hd.kind = REQ;
	hd.corr = 5;
	hd.src = "y";
	hd.dst = "x";
	raw_frame(fd, &hd, &prq.base);
	raw_in_init(&in);
	WAIT(&h, raw_read(fd, &in) == 1);
	assert_int_equal(in.msgs[0].type, T(PING_REPLY));
	assert_true(in.msgs[0].corr == 5);
	assert_string_equal(in.msgs[0].dst, "y");
	r = (const Parapet__PingReply *)(const void *)in.msgs[0].body;
	assert_true(r->nonce == 77);
	assert_string_equal(r->name, "x");
	assert_int_equal(r->pid, getpid());
	raw_in_free(&in);
	fake_end(&h, &x, lfd, fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_stuck_peer),
		cmocka_unit_test(test_duplicate_hello),
		cmocka_unit_test(test_hello_refused),
		cmocka_unit_test(test_too_many_peers),
		cmocka_unit_test(test_client_rejects),
		cmocka_unit_test(test_client_strays),
		cmocka_unit_test(test_client_auto_ping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
