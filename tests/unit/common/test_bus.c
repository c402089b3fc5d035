/*
 * test_bus.c - the bus client and broker doing their job, over real Unix
 * sockets in a temporary directory: request/reply through the broker with
 * correlation ids, timeouts, unknown names, unhandled requests, fan-out of
 * events, API misuse, and a client that survives a broker restart.
 * Hostile input is test_bus_hostile.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_bus_harness.h"

#define NREQ	64

/* B answers CountersRequest with one counter: how many it has seen. */
static void
on_counters(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	Parapet__CountersReply rep;
	Parapet__Counter cnt, *cp = &cnt;
	int *seen = arg;

	parapet__counters_reply__init(&rep);
	parapet__counter__init(&cnt);
	cnt.name = "test.seen";
	cnt.value = (uint64_t)++*seen;
	rep.name = "b";
	rep.n_counters = 1;
	rep.counters = &cp;
	/* The wrong reply type is refused before anything is sent. */
	assert_int_equal(bus_reply(c, m, 0, T(PING_REPLY), &rep.base),
	    -EINVAL);
	assert_int_equal(bus_reply(c, m, 0, T(COUNTERS_REPLY), &rep.base), 0);
}

static int
ndone(const struct box *b, size_t n)
{
	size_t i;
	int done = 0;

	for (i = 0; i < n; i++)
		done += b[i].done;
	return done;
}

static void
nop(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	(void)c;
	(void)m;
	(void)arg;
}

static void
publish(struct tclient *tc, const char *topic, const char *name)
{
	Parapet__ServerStateEvent ev;

	parapet__server_state_event__init(&ev);
	ev.name = mut(name);
	ev.state = PARAPET__SERVER_STATE__SERVER_STATE_READY;
	assert_int_equal(bus_publish(tc->c, topic, T(SERVER_STATE_EVENT),
	    &ev.base), 0);
}

/* Many requests in flight at once; each reply finds its caller. */
static void
concurrent(struct harness *h, struct tclient *a, const int *seen)
{
	static struct box pings[NREQ], counts[NREQ];
	Parapet__PingRequest rq;
	int i;

	parapet__ping_request__init(&rq);
	for (i = 0; i < NREQ; i++) {
		rq.nonce = 1000u + (uint64_t)i * 7;
		memset(&pings[i], 0, sizeof(pings[i]));
		assert_int_equal(bus_request(a->c, "b", T(PING_REQUEST),
		    &rq.base, 0, box_reply, &pings[i]), 0);
		memset(&counts[i], 0, sizeof(counts[i]));
		counts[i].want_counter = "test.seen";
		assert_int_equal(bus_request(a->c, "b", T(COUNTERS_REQUEST),
		    NULL, 0, box_reply, &counts[i]), 0);
	}
	WAIT(h, ndone(pings, NREQ) + ndone(counts, NREQ) == 2 * NREQ);
	for (i = 0; i < NREQ; i++) {
		assert_int_equal(pings[i].done, 1);
		assert_int_equal(pings[i].error, 0);
		assert_int_equal(pings[i].type, T(PING_REPLY));
		assert_true(pings[i].nonce == 1000u + (uint64_t)i * 7);
		assert_string_equal(pings[i].src, "b");
		assert_string_equal(pings[i].name, "b");
		assert_int_equal(pings[i].pid, getpid());
		assert_int_equal(counts[i].error, 0);
		assert_string_equal(counts[i].name, "b");
		/* Answered in the order asked. */
		assert_int_equal(counts[i].counter, i + 1);
	}
	assert_int_equal(*seen, NREQ);
}

/* The broker answers PING and COUNTERS addressed to it. */
static void
broker_answers(struct harness *h, struct tclient *a)
{
	struct box x;

	ping(h, a->c, "broker", &x);
	assert_int_equal(x.error, 0);
	assert_string_equal(x.name, "broker");
	assert_string_equal(x.src, "broker");
	memset(&x, 0, sizeof(x));
	x.want_counter = "bus.accepted";
	assert_int_equal(bus_request(a->c, "broker", T(COUNTERS_REQUEST),
	    NULL, 0, box_reply, &x), 0);
	WAIT(h, x.done);
	assert_int_equal(x.error, 0);
	assert_string_equal(x.name, "broker");
	assert_int_equal(x.counter, 2);
	assert_int_equal(x.ncounters, 13 + FRAME_REJECT_MAX - 1);
}

static void
test_request_reply(void **state)
{
	struct tclient a, b;
	struct harness h;
	struct box x;
	int seen = 0;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	assert_int_equal(bus_client_on(b.c, T(COUNTERS_REQUEST), on_counters,
	    &seen), 0);
	WAIT(&h, a.connects == 1 && b.connects == 1);
	assert_true(bus_client_connected(a.c));
	concurrent(&h, &a, &seen);

	/* And back: B asks A. */
	ping(&h, b.c, "a", &x);
	assert_int_equal(x.error, 0);
	assert_string_equal(x.name, "a");
	assert_string_equal(x.src, "a");
	broker_answers(&h, &a);

	assert_int_equal(bus_client_stats(a.c)->stray_replies, 0);
	assert_int_equal(bus_client_stats(a.c)->timeouts, 0);
	assert_true(bus_client_stats(a.c)->frames_out >= 2 * NREQ + 3);
	assert_true(bus_client_stats(b.c)->frames_in >= 2 * NREQ + 2);
	assert_int_equal(bus_broker_stats(h.broker)->peers, 2);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

/* A request nobody answers times out; the late answer is a stray. */
static void
test_timeout(void **state)
{
	Parapet__StatusReply rep;
	struct tclient a, b;
	struct harness h;
	struct box x;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	tc_hold(&b, T(STATUS_REQUEST));
	WAIT(&h, a.connects == 1 && b.connects == 1);
	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(a.c, "b", T(STATUS_REQUEST), NULL, 30,
	    box_reply, &x), 0);
	WAIT(&h, x.done);
	assert_int_equal(x.error, -ETIMEDOUT);
	assert_int_equal(b.held, 1);
	assert_int_equal(bus_client_stats(a.c)->timeouts, 1);

	parapet__status_reply__init(&rep);
	assert_int_equal(bus_reply_to(b.c, b.held_src, b.held_corr, 0,
	    T(STATUS_REPLY), &rep.base), 0);
	WAIT(&h, bus_client_stats(a.c)->stray_replies == 1);
	assert_int_equal(x.done, 1);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

/* The destination of a request goes away before it answers: the broker
 * answers -ECONNRESET at once, long before the requester's timeout. A
 * connection that never says hello is closed. */
static void
test_vanishing_peer(void **state)
{
	struct tclient a, b;
	struct harness h;
	struct box x;
	int fd;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	tc_hold(&b, T(STATUS_REQUEST));
	WAIT(&h, a.connects == 1 && b.connects == 1);
	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(a.c, "b", T(STATUS_REQUEST), NULL, 60000,
	    box_reply, &x), 0);
	WAIT(&h, b.held == 1);
	tc_destroy(&b);
	WAIT(&h, x.done);
	assert_int_equal(x.error, -ECONNRESET);
	assert_int_equal(bus_broker_stats(h.broker)->reset, 1);
	assert_int_equal(bus_client_stats(a.c)->timeouts, 0);

	fd = raw_connect(&h);
	WAIT(&h, raw_closed(fd));
	assert_int_equal(bus_broker_stats(h.broker)->hello_timeouts, 1);
	close(fd);
	tc_destroy(&a);
	h_fini(&h);
}

static void
test_unknown_and_unhandled(void **state)
{
	struct tclient a, b;
	struct harness h;
	struct box x;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	WAIT(&h, a.connects == 1 && b.connects == 1);

	ping(&h, a.c, "nobody", &x);
	assert_int_equal(x.error, -EHOSTUNREACH);
	assert_int_equal(x.type, T(ERROR_REPLY));
	assert_string_equal(x.src, "broker");
	assert_int_equal(bus_broker_stats(h.broker)->no_route, 1);

	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(a.c, "b", T(SHUTDOWN_REQUEST), NULL, 0,
	    box_reply, &x), 0);
	WAIT(&h, x.done);
	assert_int_equal(x.error, -EOPNOTSUPP);
	assert_string_equal(x.src, "b");
	assert_int_equal(bus_client_stats(b.c)->unhandled, 1);

	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(a.c, "broker", T(STATUS_REQUEST), NULL,
	    0, box_reply, &x), 0);
	WAIT(&h, x.done);
	assert_int_equal(x.error, -EOPNOTSUPP);
	assert_string_equal(x.src, "broker");

	/* An event nobody handles is counted. */
	assert_int_equal(bus_subscribe(b.c, "quiet"), 0);
	ping(&h, b.c, "broker", &x);	/* the subscription is in */
	{
		Parapet__ReadyEvent ev;

		parapet__ready_event__init(&ev);
		ev.name = "a";
		assert_int_equal(bus_publish(a.c, "quiet", T(READY_EVENT),
		    &ev.base), 0);
	}
	WAIT(&h, bus_client_stats(b.c)->unhandled == 2);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

/*
 * Ordering makes "nothing arrived" checkable: the broker handles a's
 * frames in order and writes to each peer in order, so once a's ping
 * through d is answered, every event for a or d is already in.
 */
static void
test_fanout(void **state)
{
	struct tclient a, b, c, d;
	struct harness h;
	struct box x;
	int i;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	tc_create(&h, &c, "c");
	tc_create(&h, &d, "d");
	/* Before the connection: sent after hello, before on_connect. */
	tc_events(&a, "server");
	tc_events(&b, "server");
	tc_events(&c, "server");
	tc_events(&c, "other");
	tc_events(&d, "other");
	WAIT(&h, a.connects == 1 && b.connects == 1 && c.connects == 1 &&
	    d.connects == 1);

	for (i = 0; i < 3; i++)
		publish(&a, "server", "keyd");
	WAIT(&h, b.events == 3 && c.events == 3);
	ping(&h, a.c, "d", &x);
	assert_int_equal(x.error, 0);
	assert_int_equal(a.events, 0);	/* not the sender */
	assert_int_equal(d.events, 0);	/* not subscribed */
	assert_string_equal(b.ev_src, "a");
	assert_string_equal(b.ev_topic, "server");
	assert_string_equal(b.ev_name, "keyd");

	/* After unsubscribing, b hears no more; c still does. */
	assert_int_equal(bus_unsubscribe(b.c, "server"), 0);
	assert_int_equal(bus_unsubscribe(b.c, "server"), -ENOENT);
	ping(&h, b.c, "broker", &x);
	publish(&a, "server", "netd");
	publish(&d, "other", "ipsecd");
	WAIT(&h, c.events == 5);
	ping(&h, a.c, "b", &x);
	assert_int_equal(b.events, 3);
	assert_int_equal(a.events, 0);
	assert_int_equal(d.events, 0);
	assert_string_equal(c.ev_src, "d");
	assert_string_equal(c.ev_topic, "other");

	tc_destroy(&a);
	tc_destroy(&b);
	tc_destroy(&c);
	tc_destroy(&d);
	h_fini(&h);
}

static void
test_api_create(void **state)
{
	struct bus_client_cfg cfg;
	struct bus_client *bad;
	struct harness h;
	char longpath[200];

	(void)state;
	h_init(&h, false, 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = h.path;
	cfg.name = "Bad";
	assert_int_equal(bus_client_create(&h.loop, &cfg, &bad), -EINVAL);
	cfg.name = "broker";
	assert_int_equal(bus_client_create(&h.loop, &cfg, &bad), -EINVAL);
	cfg.name = NULL;
	assert_int_equal(bus_client_create(&h.loop, &cfg, &bad), -EINVAL);
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cfg.name = "x";
	cfg.path = longpath;
	assert_int_equal(bus_client_create(&h.loop, &cfg, &bad),
	    -ENAMETOOLONG);
	h_fini(&h);
}

/* No broker yet: nothing goes out, subscriptions are remembered; then
 * the broker appears and the client finds it by itself. */
static void
test_api_offline(void **state)
{
	struct tclient a, b;
	struct harness h;
	struct box x;

	(void)state;
	h_init(&h, false, 0);
	tc_create(&h, &a, "a");
	h_spin(&h, 20);
	assert_false(bus_client_connected(a.c));
	assert_int_equal(bus_request(a.c, "b", T(PING_REQUEST), NULL, 0,
	    box_reply, &x), -ENOTCONN);
	assert_int_equal(bus_publish(a.c, "t", T(READY_EVENT), NULL),
	    -ENOTCONN);
	assert_int_equal(bus_reply_to(a.c, "b", 1, 0, T(PING_REPLY), NULL),
	    -ENOTCONN);
	tc_events(&a, "server");
	assert_int_equal(bus_subscribe(a.c, "server"), 0);
	assert_int_equal(bus_subscribe(a.c, "T"), -EINVAL);

	h_broker_up(&h);
	tc_create(&h, &b, "b");
	WAIT(&h, a.connects == 1 && b.connects == 1);
	publish(&b, "server", "keyd");
	WAIT(&h, a.events == 1);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

static void
test_api_misuse(void **state)
{
	Parapet__HelloRequest hello;
	struct tclient a;
	struct harness h;
	struct box x;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	WAIT(&h, a.connects == 1);
	parapet__hello_request__init(&hello);
	assert_int_equal(bus_request(a.c, "No", T(PING_REQUEST), NULL, 0,
	    box_reply, &x), -EINVAL);
	assert_int_equal(bus_request(a.c, "b", T(PING_REPLY), NULL, 0,
	    box_reply, &x), -EINVAL);
	assert_int_equal(bus_request(a.c, "b", T(PING_REQUEST), &hello.base,
	    0, box_reply, &x), -EINVAL);
	assert_int_equal(bus_request(a.c, "b", T(PING_REQUEST), NULL, 0,
	    NULL, NULL), -EINVAL);
	assert_int_equal(bus_publish(a.c, "t", T(PING_REQUEST), NULL),
	    -EINVAL);
	assert_int_equal(bus_publish(a.c, "no topic", T(READY_EVENT), NULL),
	    -EINVAL);
	/* A body that fails its validator never leaves. */
	hello.name = "";
	assert_int_equal(bus_request(a.c, "b", T(HELLO_REQUEST), &hello.base,
	    0, box_reply, &x), -EINVAL);
	assert_int_equal(bus_reply_to(a.c, "b", 1, 5, 0, NULL), -EINVAL);
	assert_int_equal(bus_reply_to(a.c, "b", 1, 0, T(PING_REQUEST), NULL),
	    -EINVAL);
	assert_int_equal(bus_client_on(a.c, T(PING_REPLY), nop, NULL),
	    -EINVAL);
	assert_int_equal(bus_client_on(a.c, 12, nop, NULL), -EINVAL);
	tc_hold(&a, T(STATUS_REQUEST));
	assert_int_equal(bus_client_on(a.c, T(STATUS_REQUEST), nop, NULL),
	    -EEXIST);
	assert_int_equal(bus_client_on(a.c, T(STATUS_REQUEST), NULL, NULL),
	    0);
	assert_int_equal(bus_client_on(a.c, T(STATUS_REQUEST), nop, NULL), 0);
	assert_int_equal(bus_unsubscribe(a.c, "never"), -ENOENT);
	tc_destroy(&a);
	h_fini(&h);
}

/* A registered ping handler replaces the automatic answer; destroying a
 * client fails what is pending, synchronously, with -ECANCELED. */
static void
test_api_handlers(void **state)
{
	struct tclient a, b;
	struct harness h;
	struct box x;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	WAIT(&h, a.connects == 1 && b.connects == 1);
	tc_hold(&a, T(PING_REQUEST));
	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(b.c, "a", T(PING_REQUEST), NULL, 20,
	    box_reply, &x), 0);
	WAIT(&h, x.done);
	assert_int_equal(x.error, -ETIMEDOUT);
	assert_int_equal(a.held, 1);

	tc_hold(&b, T(STATUS_REQUEST));
	memset(&x, 0, sizeof(x));
	assert_int_equal(bus_request(a.c, "b", T(STATUS_REQUEST), NULL, 0,
	    box_reply, &x), 0);
	WAIT(&h, b.held == 1);
	tc_destroy(&a);
	assert_int_equal(x.done, 1);
	assert_int_equal(x.error, -ECANCELED);
	tc_destroy(&b);
	h_fini(&h);
}

/* Callbacks may destroy their own client: from a reply callback, from a
 * request handler, from on_connect. Memory is released only once the
 * loop has closed the handles (ASan watches). */
static void
destroy_in_reply(struct bus_client *c, int error, const struct bus_msg *m,
    void *arg)
{
	int *calls = arg;

	(void)error;
	(void)m;
	++*calls;
	bus_client_destroy(c);
	bus_client_destroy(c);	/* idempotent */
}

static void
destroy_in_handler(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	int *calls = arg;

	(void)m;
	++*calls;
	bus_client_destroy(c);
}

static void
destroy_on_connect(struct bus_client *c, void *arg)
{
	int *calls = arg;

	++*calls;
	bus_client_destroy(c);
}

static void
test_destroy_in_callback(void **state)
{
	struct bus_client_cfg cfg;
	struct bus_client *c;
	struct tclient a, b;
	struct harness h;
	int replies = 0, handled = 0, connects = 0;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	assert_int_equal(bus_client_on(b.c, T(STATUS_REQUEST),
	    destroy_in_handler, &handled), 0);
	WAIT(&h, a.connects == 1 && b.connects == 1);
	/* Two requests in flight: the first reply destroys a, the second
	 * request is failed with -ECANCELED inside that destroy. */
	assert_int_equal(bus_request(a.c, "b", T(PING_REQUEST), NULL, 0,
	    destroy_in_reply, &replies), 0);
	assert_int_equal(bus_request(a.c, "b", T(PING_REQUEST), NULL, 0,
	    destroy_in_reply, &replies), 0);
	WAIT(&h, replies == 2);
	a.c = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = h.path;
	cfg.name = "c";
	cfg.on_connect = destroy_on_connect;
	cfg.arg = &connects;
	assert_int_equal(bus_client_create(&h.loop, &cfg, &c), 0);
	WAIT(&h, connects == 1);
	{
		struct tclient d;
		struct box x;

		tc_create(&h, &d, "d");
		WAIT(&h, d.connects == 1);
		memset(&x, 0, sizeof(x));
		assert_int_equal(bus_request(d.c, "b", T(STATUS_REQUEST), NULL,
		    50, box_reply, &x), 0);
		WAIT(&h, handled == 1 && x.done == 1);
		/* b went away without answering: the broker tells the
		 * requester at once (or its own timeout did, first). */
		assert_true(x.error == -ECONNRESET || x.error == -ETIMEDOUT);
		b.c = NULL;
		tc_destroy(&d);
	}
	h_fini(&h);
}

/* The broker goes away and comes back on the same path: clients notice,
 * fail what was pending, reconnect by themselves and re-subscribe. */
static void
broker_restart(struct harness *h, struct tclient *a, struct tclient *b,
    int n)
{
	struct box x, held;
	uint64_t seen = 0;

	memset(&held, 0, sizeof(held));
	assert_int_equal(bus_request(a->c, "b", T(STATUS_REQUEST), NULL, 0,
	    box_reply, &held), 0);
	WAIT(h, b->held == n);

	h_broker_down(h);
	WAIT(h, a->disconnects == n && b->disconnects == n);
	assert_int_equal(held.done, 1);
	assert_int_equal(held.error, -ENOTCONN);
	assert_false(bus_client_connected(a->c));
	/* Down: no new connection to resynchronise on, whatever was seen. */
	assert_false(bus_client_reconnected(a->c, &seen));
	assert_int_equal(seen, 0);
	assert_int_equal(bus_request(a->c, "b", T(PING_REQUEST), NULL, 0,
	    box_reply, &x), -ENOTCONN);
	h_spin(h, 30);		/* a few failed attempts */
	assert_int_equal(a->connects, n);

	h_broker_up(h);
	WAIT(h, a->connects == n + 1 && b->connects == n + 1);
	/* Up again: once per new connection. */
	seen = (uint64_t)n;
	assert_true(bus_client_reconnected(a->c, &seen));
	assert_int_equal(seen, n + 1);
	assert_false(bus_client_reconnected(a->c, &seen));
	publish(b, "server", "netd");
	WAIT(h, a->events == n + 1);
	assert_string_equal(a->ev_name, "netd");
	ping(h, a->c, "b", &x);
	assert_int_equal(x.error, 0);
	ping(h, b->c, "a", &x);
	assert_int_equal(x.error, 0);
	assert_int_equal(bus_client_stats(a->c)->connects, n + 1);
	assert_int_equal(bus_client_stats(a->c)->disconnects, n);
}

static void
test_broker_restart(void **state)
{
	struct tclient a, b;
	struct harness h;
	int n;

	(void)state;
	h_init(&h, true, 0);
	tc_create(&h, &a, "a");
	tc_create(&h, &b, "b");
	tc_events(&a, "server");
	tc_hold(&b, T(STATUS_REQUEST));
	WAIT(&h, a.connects == 1 && b.connects == 1);
	publish(&b, "server", "keyd");
	WAIT(&h, a.events == 1);
	for (n = 1; n <= 3; n++)
		broker_restart(&h, &a, &b, n);
	tc_destroy(&a);
	tc_destroy(&b);
	h_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_reply),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_vanishing_peer),
		cmocka_unit_test(test_unknown_and_unhandled),
		cmocka_unit_test(test_fanout),
		cmocka_unit_test(test_api_create),
		cmocka_unit_test(test_api_offline),
		cmocka_unit_test(test_api_misuse),
		cmocka_unit_test(test_api_handlers),
		cmocka_unit_test(test_destroy_in_callback),
		cmocka_unit_test(test_broker_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
