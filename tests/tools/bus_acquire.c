/*
 * bus_acquire.c - ask keyd for an ACQUIRE over parapet's bus, as ipsecd
 * does when an outbound packet finds no SA (proto/keyd.proto
 * AcquireRequest); for tests of key managers (tests/tools/keymgr_e2e.sh).
 *
 *   bus_acquire BUS_SOCKET SRC DST [--policy-id N] [--reqid N]
 *               [--proto esp|ah] [--mode transport|tunnel]
 *
 * Says hello on the bus (name "acquire-<pid>", the bus client of
 * common/bus.h), sends one AcquireRequest to keyd and prints its
 * AcquireReply: "status seq recipients" (status 1 SENT, 2 PENDING,
 * 3 SA_EXISTS). Exit 0; 1 with a message on stderr (no socket, bus not
 * reached in 11 s, no reply in 10 s, an error reply); 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bus.h"
#include "bus_msg.h"
#include "log.h"

#define TIMEOUT_MS	10000

struct acq {
	Parapet__AcquireRequest	 rq;
	Parapet__SaAddr		 src, dst;
	uint8_t			 sbuf[16], dbuf[16];
	uv_loop_t		 loop;
	uv_timer_t		 timer;
	struct bus_client	*bus;
	bool			 sent;
	bool			 done;
	int			 status;
};

static void
finish(struct acq *a, int status)
{
	if (a->done)
		return;
	a->done = true;
	a->status = status;
	uv_close((uv_handle_t *)&a->timer, NULL);
	bus_client_destroy(a->bus);
}

static void
on_reply(struct bus_client *bc, int error, const struct bus_msg *m,
    void *arg)
{
	struct acq *a = arg;
	const Parapet__AcquireReply *r;

	(void)bc;
	if (a->done)
		return;
	if (error != 0 || m == NULL) {
		fprintf(stderr, "bus_acquire: keyd answered error %d (%s)\n",
		    error, strerror(-error));
		finish(a, 1);
		return;
	}
	r = (const Parapet__AcquireReply *)(const void *)m->body;
	printf("%d %u %u\n", (int)r->status, r->seq, r->recipients);
	fflush(stdout);
	finish(a, 0);
}

static void
on_connect(struct bus_client *bc, void *arg)
{
	struct acq *a = arg;
	int error;

	if (a->sent || a->done)
		return;
	if ((error = bus_request(bc, "keyd",
	    PARAPET__MSG_TYPE__MSG_ACQUIRE_REQUEST, &a->rq.base, TIMEOUT_MS,
	    on_reply, a)) != 0) {
		fprintf(stderr, "bus_acquire: %s\n", strerror(-error));
		finish(a, 1);
		return;
	}
	a->sent = true;
}

static void
on_timeout(uv_timer_t *t)
{
	struct acq *a = t->data;

	fprintf(stderr, "bus_acquire: %s\n", a->sent ? "no reply in time" :
	    "cannot reach the bus");
	finish(a, 1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bus_acquire BUS_SOCKET SRC DST "
	    "[--policy-id N] [--reqid N] [--proto esp|ah] "
	    "[--mode transport|tunnel]\n");
	exit(2);
}

static uint32_t
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX)
		usage();
	return (uint32_t)v;
}

/* An endpoint: IPv4 or IPv6 text into a SaAddr over buf. */
static void
addr(Parapet__SaAddr *sa, uint8_t *buf, const char *s)
{
	parapet__sa_addr__init(sa);
	sa->addr.data = buf;
	if (inet_pton(AF_INET, s, buf) == 1) {
		sa->family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
		sa->addr.len = 4;
	} else if (inet_pton(AF_INET6, s, buf) == 1) {
		sa->family = PARAPET__SA_FAMILY__SA_FAMILY_INET6;
		sa->addr.len = 16;
	} else {
		fprintf(stderr, "bus_acquire: bad address: %s\n", s);
		exit(2);
	}
}

/* The request from the command line (options anywhere, as argparse). */
static void
parse(struct acq *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy-id", required_argument, NULL, 'p' },
		{ "reqid", required_argument, NULL, 'r' },
		{ "proto", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	parapet__acquire_request__init(&a->rq);
	a->rq.policy_id = 9;
	a->rq.dir = PARAPET__ACQUIRE_DIR__ACQUIRE_DIR_OUT;
	a->rq.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	a->rq.mode = PARAPET__SA_MODE__SA_MODE_TRANSPORT;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			a->rq.policy_id = num(optarg);
		else if (ch == 'r')
			a->rq.reqid = num(optarg);
		else if (ch == 'P' && strcmp(optarg, "esp") == 0)
			a->rq.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
		else if (ch == 'P' && strcmp(optarg, "ah") == 0)
			a->rq.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
		else if (ch == 'm' && strcmp(optarg, "transport") == 0)
			a->rq.mode = PARAPET__SA_MODE__SA_MODE_TRANSPORT;
		else if (ch == 'm' && strcmp(optarg, "tunnel") == 0)
			a->rq.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
		else
			usage();
	}
	if (argc - optind != 3)
		usage();
	addr(&a->src, a->sbuf, argv[optind + 1]);
	addr(&a->dst, a->dbuf, argv[optind + 2]);
	a->rq.src = &a->src;
	a->rq.dst = &a->dst;
}

int
main(int argc, char **argv)
{
	static struct acq a;
	struct bus_client_cfg cfg;
	char name[32];
	int error;

	parse(&a, argc, argv);
	/* No socket: no parapetd; say so now rather than retrying. */
	if (access(argv[optind], F_OK) != 0) {
		fprintf(stderr, "bus_acquire: no bus at %s: %s\n",
		    argv[optind], strerror(errno));
		return 1;
	}
	log_init("bus_acquire", false);
	log_set_quiet(true);
	if (uv_loop_init(&a.loop) != 0)
		return 1;
	uv_timer_init(&a.loop, &a.timer);
	a.timer.data = &a;
	uv_timer_start(&a.timer, on_timeout, TIMEOUT_MS + 1000, 0);
	snprintf(name, sizeof(name), "acquire-%d", (int)getpid());
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = argv[optind];
	cfg.name = name;
	cfg.reconnect_min_ms = 20;
	cfg.reconnect_max_ms = 200;
	cfg.on_connect = on_connect;
	cfg.arg = &a;
	if ((error = bus_client_create(&a.loop, &cfg, &a.bus)) != 0) {
		fprintf(stderr, "bus_acquire: %s: %s\n", cfg.path,
		    strerror(-error));
		return 1;
	}
	uv_run(&a.loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&a.loop);
	return a.status;
}
