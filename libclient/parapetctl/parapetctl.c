/*
 * parapetctl - talk to a running parapetd over its bus.
 *
 *   parapetctl [-r RUNDIR | -s BUS_SOCKET] [-t TIMEOUT_MS] COMMAND
 *     status          every server: pid, state, restarts, uptime, regions
 *     ping NAME       PingRequest to a server (or "supervisor")
 *     counters NAME   its counters, one "name value" per line
 *     crypto NAME     ipsecd's crypto backend per algorithm and why
 *                     (its crypto.* counters as a table)
 *     regions NAME    the regions a server attached (inode, uuid, digest)
 *     shutdown        stop parapetd and every server
 *     sysctl NAME | NAME=VALUE | -a
 *                     policyd's variables, as sysctl(8): "name = value";
 *                     a set prints "name: old -> new"
 *
 * Exit status: 0 done (status: and every server is ready); 1 the request
 * failed (error reply, no such server); 2 usage; 3 the bus could not be
 * reached in time; 4 no reply in time; 5 status: some server not ready.
 * sysctl: 1 also for an unknown variable or a value out of its range
 * (policyd refuses it), 2 for a malformed name or a value that is not an
 * integer (nothing is sent).
 *
 * Replies are untrusted in principle; the bus has checked each against its
 * validator (names, lengths, enum ranges) before it reaches us, and we only
 * print them.
 */
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

#define DEFAULT_RUN_DIR		"/run/parapet"
#define BUS_SOCKET_NAME		"bus.sock"
#define DEFAULT_TIMEOUT_MS	5000

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOBUS = 3,
	EXIT_TIMEOUT = 4,
	EXIT_NOTREADY = 5,
};

struct ctl;
typedef void reply_print_fn(struct ctl *, const struct bus_msg *);

struct command {
	const char	*name;
	bool		 needs_target;
	uint32_t	 type;		/* request */
	reply_print_fn	*print;
};

struct ctl {
	/* sysctl: the variable ("" for -a), and the value to set. */
	const char		*var;
	bool			 set;
	long long		 value;
	uv_loop_t		 loop;
	uv_timer_t		 timer;
	struct bus_client	*bus;
	const struct command	*cmd;
	const char		*target;
	bool			 sent;
	bool			 done;
	int			 status;
	uint64_t		 sent_ms;
};

static const char *const state_names[] = {
	"unspec", "stopped", "starting", "ready", "backoff", "crashloop",
	"stopping",
};

static const char *
state_name(int s)
{
	if (s < 0 || (size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
fmt_ms(uint64_t ms, char *out, size_t len)
{
	if (ms < 10000)
		snprintf(out, len, "%llums", (unsigned long long)ms);
	else if (ms < 600000)
		snprintf(out, len, "%.1fs", (double)ms / 1000);
	else
		snprintf(out, len, "%llum%02llus",
		    (unsigned long long)(ms / 60000),
		    (unsigned long long)(ms / 1000 % 60));
}

static void
print_region(const Parapet__RegionInfo *r, const char *prefix)
{
	char uuid[2 * 16 + 1], digest[2 * 16 + 1];

	hex(r->uuid.data, r->uuid.len <= 16 ? r->uuid.len : 16, uuid);
	hex(r->digest.data, r->digest.len <= 16 ? r->digest.len : 16, digest);
	printf("%s%s side %c inode %llu size %llu uuid %s%s%s\n", prefix,
	    r->name, r->side == 0 ? 'A' : 'B', (unsigned long long)r->inode,
	    (unsigned long long)r->size, uuid,
	    r->digest.len > 0 ? " digest " : "", digest);
}

/* One line of `status`: name, pid, state, restarts, uptime, regions, and
 * the last exit with the back-off and crash loop, if any. */
static void
print_server(const Parapet__ServerStatus *s)
{
	char up[32], regions[128], pid[16], extra[160], next[32];
	size_t k, used = 0;

	regions[0] = '\0';
	for (k = 0; k < s->n_regions && used < sizeof(regions); k++) {
		int n = snprintf(regions + used, sizeof(regions) - used,
		    "%s%s/%c", k > 0 ? "," : "", s->regions[k]->name,
		    s->regions[k]->side == 0 ? 'A' : 'B');
		if (n < 0)
			break;
		used += (size_t)n;
	}
	snprintf(up, sizeof(up), "-");
	if (s->state == PARAPET__SERVER_STATE__SERVER_STATE_READY)
		fmt_ms(s->uptime_ms, up, sizeof(up));
	snprintf(pid, sizeof(pid), "-");
	if (s->pid != 0)
		snprintf(pid, sizeof(pid), "%u", s->pid);
	snprintf(extra, sizeof(extra), "%s",
	    s->last_exit[0] != '\0' ? s->last_exit : "-");
	if (s->next_start_ms > 0) {
		fmt_ms(s->next_start_ms, next, sizeof(next));
		used = strlen(extra);
		snprintf(extra + used, sizeof(extra) - used,
		    "; next start in %s", next);
	}
	if (s->crashloop) {
		used = strlen(extra);
		snprintf(extra + used, sizeof(extra) - used,
		    "; crash loop (%u crashes)", s->crashes);
	}
	printf("%-12s %-8s %-10s %-8u %-9s %-14s %s\n", s->name, pid,
	    state_name(s->state), s->restarts, up,
	    regions[0] != '\0' ? regions : "-", extra);
}

static void
print_status(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__StatusReply *r =
	    (const Parapet__StatusReply *)(const void *)m->body;
	char up[32];
	size_t i;
	bool all_ready = true;

	fmt_ms(r->uptime_ms, up, sizeof(up));
	printf("parapetd pid %u, %s, up %s\n", r->pid, r->instance, up);
	printf("%-12s %-8s %-10s %-8s %-9s %-14s %s\n", "SERVER", "PID",
	    "STATE", "RESTARTS", "UPTIME", "REGIONS", "LAST EXIT");
	for (i = 0; i < r->n_servers; i++) {
		if (r->servers[i]->state !=
		    PARAPET__SERVER_STATE__SERVER_STATE_READY)
			all_ready = false;
		print_server(r->servers[i]);
	}
	for (i = 0; i < r->n_regions; i++)
		print_region(r->regions[i], "region ");
	c->status = all_ready ? EXIT_OK : EXIT_NOTREADY;
}

static void
print_ping(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__PingReply *r =
	    (const Parapet__PingReply *)(const void *)m->body;
	char up[32];

	uv_update_time(&c->loop);
	fmt_ms(r->uptime_ms, up, sizeof(up));
	printf("%s: pid %u, up %s, %llu ms round trip\n", r->name, r->pid, up,
	    (unsigned long long)(uv_now(&c->loop) - c->sent_ms));
}

static void
print_counters(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__CountersReply *r =
	    (const Parapet__CountersReply *)(const void *)m->body;
	size_t i;

	(void)c;
	for (i = 0; i < r->n_counters; i++)
		printf("%s %llu\n", r->counters[i]->name,
		    (unsigned long long)r->counters[i]->value);
}

/*
 * ipsecd's crypto counters (crypto.<alg>.<backend>.<why> = MB/s or 1,
 * crypto.<alg>.<other>.slower = MB/s) as a table: which backend serves
 * each algorithm and why (DESIGN §10.23).
 */
/* The index of crypto.<alg>.<other>.slower, or n_counters. */
static size_t
crypto_other(const Parapet__CountersReply *r, const char *alg, size_t n)
{
	size_t i;

	for (i = 0; i < r->n_counters; i++) {
		const char *nm = r->counters[i]->name;

		if (strncmp(nm, "crypto.", 7) == 0 &&
		    strncmp(nm + 7, alg, n) == 0 && nm[7 + n] == '.' &&
		    strstr(nm + 8 + n, ".slower") != NULL)
			break;
	}
	return i;
}

static void
print_crypto(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__CountersReply *r =
	    (const Parapet__CountersReply *)(const void *)m->body;
	size_t i, j;

	(void)c;
	printf("%-18s %-8s %-12s %s\n", "algorithm", "backend", "why",
	    "MB/s (other)");
	for (i = 0; i < r->n_counters; i++) {
		const char *nm = r->counters[i]->name, *be, *why, *o;
		size_t na;

		if (strncmp(nm, "crypto.", 7) != 0 ||
		    (be = strchr(nm + 7, '.')) == NULL ||
		    (why = strchr(be + 1, '.')) == NULL ||
		    strcmp(why, ".slower") == 0)
			continue;
		na = (size_t)(be - nm - 7);
		printf("%-18.*s %-8.*s %-12s", (int)na, nm + 7,
		    (int)(why - be - 1), be + 1, why + 1);
		if (strcmp(why + 1, "faster") == 0)
			printf(" %llu", (unsigned long long)
			    r->counters[i]->value);
		if ((j = crypto_other(r, nm + 7, na)) < r->n_counters) {
			o = r->counters[j]->name + 8 + na;
			printf(" (%.*s %llu)", (int)strcspn(o, "."), o,
			    (unsigned long long)r->counters[j]->value);
		}
		printf("\n");
	}
}

static void
print_regions(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__RegionInfoReply *r =
	    (const Parapet__RegionInfoReply *)(const void *)m->body;
	size_t i;

	(void)c;
	for (i = 0; i < r->n_regions; i++)
		print_region(r->regions[i], "");
}

static void
print_shutdown(struct ctl *c, const struct bus_msg *m)
{
	(void)c;
	(void)m;
	printf("parapetd is stopping\n");
}

static void
print_sysctl(struct ctl *c, const struct bus_msg *m)
{
	const Parapet__SysctlGetReply *g;
	const Parapet__SysctlSetReply *r;
	size_t i;

	(void)c;
	if (m->type == PARAPET__MSG_TYPE__MSG_SYSCTL_SET_REPLY) {
		r = (const Parapet__SysctlSetReply *)(const void *)m->body;
		printf("%s: %lld -> %lld\n", r->var->name, (long long)r->old,
		    (long long)r->var->value);
		return;
	}
	g = (const Parapet__SysctlGetReply *)(const void *)m->body;
	for (i = 0; i < g->n_vars; i++)
		printf("%s = %lld\n", g->vars[i]->name,
		    (long long)g->vars[i]->value);
}

static const struct command commands[] = {
	{ "status", false, PARAPET__MSG_TYPE__MSG_STATUS_REQUEST,
	  print_status },
	{ "ping", true, PARAPET__MSG_TYPE__MSG_PING_REQUEST, print_ping },
	{ "counters", true, PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST,
	  print_counters },
	{ "crypto", true, PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST,
	  print_crypto },
	{ "regions", true, PARAPET__MSG_TYPE__MSG_REGION_INFO_REQUEST,
	  print_regions },
	{ "shutdown", false, PARAPET__MSG_TYPE__MSG_SHUTDOWN_REQUEST,
	  print_shutdown },
	{ "sysctl", true, PARAPET__MSG_TYPE__MSG_SYSCTL_GET_REQUEST,
	  print_sysctl },
};

static void
finish(struct ctl *c, int status)
{
	if (c->done)
		return;
	c->done = true;
	c->status = status;
	uv_close((uv_handle_t *)&c->timer, NULL);
	bus_client_destroy(c->bus);
}

static void
on_reply(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct ctl *c = arg;

	(void)bc;
	if (c->done)
		return;
	if (error != 0) {
		if (c->var != NULL)
			fprintf(stderr, "parapetctl: sysctl: %s: %s\n",
			    c->target, error == -ENOENT ? "no such variable" :
			    error == -EINVAL ? "value out of range" :
			    error == -EHOSTUNREACH ? "policyd is not on the bus" :
			    strerror(-error));
		else
			fprintf(stderr, "parapetctl: %s %s: %s\n",
			    c->cmd->name, c->target != NULL ? c->target : "",
			    error == -EHOSTUNREACH ? "no such peer on the bus" :
			    strerror(-error));
		finish(c, error == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_FAILED);
		return;
	}
	c->status = EXIT_OK;
	c->cmd->print(c, reply);
	fflush(stdout);
	finish(c, c->status);
}

/* Empty request bodies: every request type here has no fields but ping's
 * nonce, so one zeroed message of the right descriptor will do. */
static void
on_connect(struct bus_client *bc, void *arg)
{
	struct ctl *c = arg;
	const char *dst = c->target != NULL ? c->target : "supervisor";
	Parapet__PingRequest ping;
	Parapet__StatusRequest status;
	Parapet__CountersRequest counters;
	Parapet__RegionInfoRequest regions;
	Parapet__ShutdownRequest shutdown;
	Parapet__SysctlGetRequest sget;
	Parapet__SysctlSetRequest sset;
	uint32_t type = c->cmd->type;
	const ProtobufCMessage *body;
	int error;

	if (c->sent || c->done)
		return;
	switch (c->cmd->type) {
	case PARAPET__MSG_TYPE__MSG_PING_REQUEST:
		parapet__ping_request__init(&ping);
		ping.nonce = (uint64_t)getpid();
		body = &ping.base;
		break;
	case PARAPET__MSG_TYPE__MSG_STATUS_REQUEST:
		parapet__status_request__init(&status);
		body = &status.base;
		break;
	case PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST:
		parapet__counters_request__init(&counters);
		body = &counters.base;
		break;
	case PARAPET__MSG_TYPE__MSG_REGION_INFO_REQUEST:
		parapet__region_info_request__init(&regions);
		body = &regions.base;
		break;
	case PARAPET__MSG_TYPE__MSG_SYSCTL_GET_REQUEST:
		/* policyd's variables: "policyd" is the peer, not target. */
		dst = "policyd";
		if (c->set) {
			parapet__sysctl_set_request__init(&sset);
			sset.name = deconst(c->var);
			sset.value = c->value;
			body = &sset.base;
			type = PARAPET__MSG_TYPE__MSG_SYSCTL_SET_REQUEST;
		} else {
			parapet__sysctl_get_request__init(&sget);
			sget.name = deconst(c->var);
			body = &sget.base;
		}
		break;
	default:
		parapet__shutdown_request__init(&shutdown);
		body = &shutdown.base;
		break;
	}
	uv_update_time(&c->loop);
	c->sent_ms = uv_now(&c->loop);
	if ((error = bus_request(bc, dst, type, body, 0, on_reply,
	    c)) != 0) {
		fprintf(stderr, "parapetctl: %s: %s\n", c->cmd->name,
		    strerror(-error));
		finish(c, EXIT_FAILED);
		return;
	}
	c->sent = true;
}

static void
on_timeout(uv_timer_t *t)
{
	struct ctl *c = t->data;

	if (!c->sent) {
		fprintf(stderr, "parapetctl: cannot reach the bus\n");
		finish(c, EXIT_NOBUS);
	} else {
		fprintf(stderr, "parapetctl: no reply in time\n");
		finish(c, EXIT_TIMEOUT);
	}
}

/*
 * sysctl's argument: -a, NAME or NAME=VALUE. Names are [a-z0-9_.] (what
 * the bus accepts); the value a decimal integer. 0 or -1 (said why).
 */
static char sysctl_name[128];

static int
sysctl_arg(struct ctl *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq != NULL ? (size_t)(eq - arg) : strlen(arg), i;
	char *end;

	c->target = arg;
	if (strcmp(arg, "-a") == 0) {
		c->var = "";
		return 0;
	}
	if (n == 0 || n >= sizeof(sysctl_name))
		goto bad_name;
	for (i = 0; i < n; i++)
		if (!((arg[i] >= 'a' && arg[i] <= 'z') ||
		    (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '_' ||
		    arg[i] == '.'))
			goto bad_name;
	memcpy(sysctl_name, arg, n);
	sysctl_name[n] = '\0';
	c->var = sysctl_name;
	if (eq == NULL)
		return 0;
	errno = 0;
	c->value = strtoll(eq + 1, &end, 10);
	if (eq[1] == '\0' || *end != '\0' || errno != 0) {
		fprintf(stderr, "parapetctl: sysctl: %s: not an integer\n",
		    eq + 1);
		return -1;
	}
	c->set = true;
	return 0;
bad_name:
	fprintf(stderr, "parapetctl: sysctl: bad name: %.*s\n", (int)n, arg);
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: parapetctl [-r RUNDIR | -s BUS_SOCKET] "
	    "[-t TIMEOUT_MS] COMMAND\n"
	    "  status | ping NAME | counters NAME | regions NAME | shutdown\n"
	    "  crypto ipsecd\n"
	    "  sysctl NAME | sysctl NAME=VALUE | sysctl -a\n"
	    "exit: 0 ok, 1 failed, 2 usage, 3 no bus, 4 timeout, "
	    "5 not all servers ready\n");
	exit(EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	struct bus_client_cfg cfg;
	char sock[4096], name[32];
	const char *run_dir = DEFAULT_RUN_DIR, *bus = NULL;
	unsigned long timeout_ms = DEFAULT_TIMEOUT_MS;
	struct ctl c;
	size_t i;
	int ch, error;

	/* "+": stop at the command ("sysctl -a" is the command's). */
	while ((ch = getopt(argc, argv, "+r:s:t:")) != -1) {
		switch (ch) {
		case 'r':
			run_dir = optarg;
			break;
		case 's':
			bus = optarg;
			break;
		case 't':
			timeout_ms = strtoul(optarg, NULL, 10);
			if (timeout_ms == 0 || timeout_ms > 3600000)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	memset(&c, 0, sizeof(c));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			c.cmd = &commands[i];
	if (c.cmd == NULL || argc != (c.cmd->needs_target ? 2 : 1))
		usage();
	if (c.cmd->type == PARAPET__MSG_TYPE__MSG_SYSCTL_GET_REQUEST) {
		if (sysctl_arg(&c, argv[1]) != 0)
			return EXIT_USAGE;
	} else if (c.cmd->needs_target) {
		c.target = argv[1];
		if (!frame_name_ok(c.target)) {
			fprintf(stderr, "parapetctl: bad name: %s\n", c.target);
			return EXIT_USAGE;
		}
	}
	if (bus == NULL) {
		snprintf(sock, sizeof(sock), "%s/%s", run_dir, BUS_SOCKET_NAME);
		bus = sock;
	}
	/* No socket at all: parapetd is not running; say so at once rather
	 * than retrying until the timeout. */
	if (access(bus, F_OK) != 0) {
		fprintf(stderr, "parapetctl: no bus at %s: %s\n", bus,
		    strerror(errno));
		return EXIT_NOBUS;
	}
	log_init("parapetctl", false);
	log_set_quiet(true);
	if (uv_loop_init(&c.loop) != 0)
		return EXIT_FAILED;
	uv_timer_init(&c.loop, &c.timer);
	c.timer.data = &c;
	uv_timer_start(&c.timer, on_timeout, timeout_ms, 0);
	snprintf(name, sizeof(name), "ctl-%d", (int)getpid());
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = bus;
	cfg.name = name;
	cfg.reconnect_min_ms = 20;
	cfg.reconnect_max_ms = 200;
	cfg.on_connect = on_connect;
	cfg.arg = &c;
	if ((error = bus_client_create(&c.loop, &cfg, &c.bus)) != 0) {
		fprintf(stderr, "parapetctl: %s: %s\n", bus, strerror(-error));
		return EXIT_FAILED;
	}
	uv_run(&c.loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&c.loop);
	return c.status;
}
