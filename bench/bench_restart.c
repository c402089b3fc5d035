/*
 * bench_restart.c - restart latency: kill -9 of a server until it is
 * ready again, as the bus tells it.
 *
 *   bench_restart [-n KILLS] [-b BINDIR]
 *
 * Starts its own parapetd (temporary run directory, a configuration whose
 * restart_stable_ms is short so that every kill is a "first crash", which
 * restarts at once), subscribes to topic "server", then kills the four
 * servers in turn with SIGKILL. For each kill it records, from the moment
 * before kill(2):
 *   starting  the supervisor's ServerStateEvent STARTING (new pid):
 *             death noticed, child reaped, new child spawned
 *   ready     the server's own ReadyEvent (attached, connected, hello)
 *   confirmed the supervisor's ServerStateEvent READY: the restart as
 *             the rest of the system sees it (the figure with the target:
 *             median <= 100 ms)
 * and prints median, p90 and max of each over all kills, and the ratio to
 * a reference measured in the same run: fork + exec + exit of the same
 * server binary (its usage error), the floor of any restart.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bench.h"
#include "bus.h"
#include "bus_msg.h"
#include "log.h"


extern char **environ;

#define NSERVERS	4
#define KILLS_MAX	1000
#define STABLE_MS	100	/* restart_stable_ms in our configuration */
#define SETTLE_MS	(STABLE_MS + 20)

static const char *const names[NSERVERS] = { "keyd", "policyd", "ipsecd",
	"netd" };

struct bench {
	uv_loop_t		 loop;
	uv_timer_t		 timer;
	uv_timer_t		 guard;
	struct bus_client	*bus;
	char			 dir[64];
	char			 bindir[PATH_MAX];
	pid_t			 sup_pid;
	unsigned		 kills;		/* wanted */
	unsigned		 done;		/* measured */
	int			 pid[NSERVERS];
	uint64_t		 ready_ns[NSERVERS]; /* last confirmed */
	bool			 all_up;
	/* the kill in progress */
	int			 victim;	/* index; -1: none */
	int			 old_pid;
	uint64_t		 t0;
	double			 starting[KILLS_MAX];
	double			 ready[KILLS_MAX];
	double			 confirmed[KILLS_MAX];
	bool			 have_starting;
	bool			 have_ready;
	int			 status;
};

static void	next_kill(struct bench *);


static int
server_index(const char *name)
{
	int i;

	for (i = 0; i < NSERVERS; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static double
ms_since(uint64_t t0)
{
	return (double)(uv_hrtime() - t0) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double	median, p90, max;
};

static struct stats
stats_of(double *v, unsigned n)
{
	struct stats s = { 0, 0, 0 };

	if (n == 0)
		return s;
	qsort(v, n, sizeof(v[0]), cmp_double);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p90 = v[(n * 9 + 9) / 10 - 1];
	s.max = v[n - 1];
	return s;
}

/* ---- the reference: fork + exec + exit of the server binary ---- */

static double
reference_ms(const char *bindir)
{
	double v[20];
	char path[PATH_MAX + 8];
	char *argv[3];
	posix_spawn_file_actions_t fa;
	unsigned i;
	int st;

	snprintf(path, sizeof(path), "%s/keyd", bindir);
	argv[0] = path;
	argv[1] = deconst("-?");	/* usage error: exits 2 */
	argv[2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < 20; i++) {
		uint64_t t0 = uv_hrtime();
		pid_t pid;

		if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0)
			return 0;
		waitpid(pid, &st, 0);
		v[i] = ms_since(t0);
	}
	posix_spawn_file_actions_destroy(&fa);
	return stats_of(v, 20).median;
}

/* ---- parapetd ---- */

static int
start_parapetd(struct bench *b)
{
	char conf[128], logf[128], rundir[128], bindir[PATH_MAX + 16];
	char *argv[] = { NULL, deconst("-c"), conf, deconst("-r"), rundir,
		deconst("-b"), bindir, NULL };
	char path[PATH_MAX + 16];
	posix_spawn_file_actions_t fa;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/bench.conf", b->dir);
	snprintf(logf, sizeof(logf), "%s/parapetd.log", b->dir);
	snprintf(rundir, sizeof(rundir), "%s/run", b->dir);
	snprintf(bindir, sizeof(bindir), "%s", b->bindir);
	snprintf(path, sizeof(path), "%s/parapetd", b->bindir);
	argv[0] = path;
	if ((f = fopen(conf, "w")) == NULL)
		return -errno;
	fprintf(f, "[supervisor]\nrestart_stable_ms = %d\n"
	    "crashloop_crashes = 16\ncrashloop_window_ms = 1\n"
	    "[server keyd]\n[server policyd]\nafter = keyd\n"
	    "[server ipsecd]\nafter = keyd\n"
	    "[server netd]\nafter = policyd ipsecd\n"
	    "[region ring0]\nside_a = netd\nside_b = ipsecd\n", STABLE_MS);
	fclose(f);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, logf,
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&b->sup_pid, path, &fa, NULL, argv, environ) != 0)
		return -errno;
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}

/* ---- the bus ---- */

static void
on_status(struct bus_client *bc, int error, const struct bus_msg *m,
    void *arg)
{
	struct bench *b = arg;
	const Parapet__StatusReply *r;
	size_t i;
	int k, ready = 0;

	(void)bc;
	if (error != 0 || b->all_up)
		return;
	r = (const Parapet__StatusReply *)(const void *)m->body;
	for (i = 0; i < r->n_servers; i++) {
		const Parapet__ServerStatus *s = r->servers[i];

		if ((k = server_index(s->name)) < 0 ||
		    s->state != PARAPET__SERVER_STATE__SERVER_STATE_READY)
			continue;
		b->pid[k] = (int)s->pid;
		b->ready_ns[k] = uv_hrtime();
		ready++;
	}
	if (ready == NSERVERS) {
		b->all_up = true;
		next_kill(b);
	}
}

static void
ask_status(uv_timer_t *t)
{
	struct bench *b = t->data;
	Parapet__StatusRequest req;

	if (b->all_up)
		return;
	parapet__status_request__init(&req);
	if (bus_request(b->bus, "supervisor",
	    PARAPET__MSG_TYPE__MSG_STATUS_REQUEST, &req.base, 1000, on_status,
	    b) != 0)
		log_debug("status request not sent");
	uv_timer_start(&b->timer, ask_status, 50, 0);
}

static void
on_connect(struct bus_client *bc, void *arg)
{
	struct bench *b = arg;

	(void)bc;
	ask_status(&b->timer);
}

static void
finish(struct bench *b, int status)
{
	b->status = status;
	b->victim = -1;
	uv_close((uv_handle_t *)&b->timer, NULL);
	uv_close((uv_handle_t *)&b->guard, NULL);
	bus_client_destroy(b->bus);
}

static void
do_kill(uv_timer_t *t)
{
	struct bench *b = t->data;
	int k = (int)(b->done % NSERVERS);
	double since = (double)(uv_hrtime() - b->ready_ns[k]) / 1e6;

	/* Each kill must be a first crash: wait out restart_stable_ms. */
	if (since < SETTLE_MS) {
		uv_timer_start(&b->timer, do_kill,
		    (uint64_t)(SETTLE_MS - since) + 1, 0);
		return;
	}
	b->victim = k;
	b->old_pid = b->pid[k];
	b->have_starting = false;
	b->have_ready = false;
	b->t0 = uv_hrtime();
	if (kill(b->old_pid, SIGKILL) != 0) {
		fprintf(stderr, "bench_restart: kill %s (%d): %s\n", names[k],
		    b->old_pid, strerror(errno));
		finish(b, 1);
	}
}

static void
next_kill(struct bench *b)
{
	if (b->done >= b->kills) {
		finish(b, 0);
		return;
	}
	uv_timer_start(&b->timer, do_kill, 0, 0);
}

static void
on_ready_event(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct bench *b = arg;
	const Parapet__ReadyEvent *ev =
	    (const Parapet__ReadyEvent *)(const void *)m->body;

	(void)bc;
	if (b->victim < 0 || strcmp(ev->name, names[b->victim]) != 0 ||
	    (int)ev->pid == b->old_pid || b->have_ready)
		return;
	b->ready[b->done] = ms_since(b->t0);
	b->have_ready = true;
}

static void
on_state_event(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct bench *b = arg;
	const Parapet__ServerStateEvent *ev =
	    (const Parapet__ServerStateEvent *)(const void *)m->body;
	int k = b->victim;

	(void)bc;
	if (k < 0 || strcmp(ev->name, names[k]) != 0 || ev->pid == 0 ||
	    (int)ev->pid == b->old_pid)
		return;
	if (ev->state == PARAPET__SERVER_STATE__SERVER_STATE_STARTING &&
	    !b->have_starting) {
		b->starting[b->done] = ms_since(b->t0);
		b->have_starting = true;
		return;
	}
	if (ev->state != PARAPET__SERVER_STATE__SERVER_STATE_READY)
		return;
	b->confirmed[b->done] = ms_since(b->t0);
	if (!b->have_ready)	/* the event may trail the supervisor's */
		b->ready[b->done] = b->confirmed[b->done];
	if (!b->have_starting)
		b->starting[b->done] = b->confirmed[b->done];
	b->pid[k] = (int)ev->pid;
	b->ready_ns[k] = uv_hrtime();
	b->victim = -1;
	b->done++;
	next_kill(b);
}

static void
on_guard(uv_timer_t *t)
{
	struct bench *b = t->data;

	fprintf(stderr, "bench_restart: gave up after %u kills (see %s)\n",
	    b->done, b->dir);
	finish(b, 1);
}

static void
report(struct bench *b, double ref)
{
	struct stats s = stats_of(b->starting, b->done);
	struct stats r = stats_of(b->ready, b->done);
	struct stats c = stats_of(b->confirmed, b->done);

	printf("bench_restart: %u kills (SIGKILL, %d servers in turn); "
	    "build: %s\n", b->done, NSERVERS, BENCH_BUILD);
	printf("  %-38s median %7.2f ms  p90 %7.2f ms  max %7.2f ms\n",
	    "kill -> respawned (STARTING event)", s.median, s.p90, s.max);
	printf("  %-38s median %7.2f ms  p90 %7.2f ms  max %7.2f ms\n",
	    "kill -> server's ReadyEvent", r.median, r.p90, r.max);
	printf("  %-38s median %7.2f ms  p90 %7.2f ms  max %7.2f ms\n",
	    "kill -> supervisor's READY event", c.median, c.p90, c.max);
	printf("  reference: fork+exec+exit of keyd, median %.2f ms; "
	    "restart/reference %.1fx\n", ref, ref > 0 ? c.median / ref : 0);
	printf("  target: median <= 100 ms: %s\n",
	    c.median <= 100 ? "met" : "NOT met");
}

/* Remove our mkdtemp() directory: parapetd has removed its socket and
 * pidfile by now, so what is left is ours by name. */
static void
cleanup_dir(const char *dir)
{
	static const char *const files[] = { "bench.conf", "parapetd.log",
		"run/bus.sock", "run/parapetd.pid", "run" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) != 0 && errno == EISDIR)
			(void)rmdir(path);
	}
	if (rmdir(dir) != 0)
		fprintf(stderr, "bench_restart: could not remove %s: %s\n",
		    dir, strerror(errno));
}

static int
parse_args(struct bench *b, int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n;
	int ch;

	b->kills = 50;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		snprintf(b->bindir, sizeof(b->bindir), "%s", dirname(exe));
	}
	while ((ch = getopt(argc, argv, "b:n:")) != -1) {
		switch (ch) {
		case 'b':
			snprintf(b->bindir, sizeof(b->bindir), "%s", optarg);
			break;
		case 'n':
			b->kills = (unsigned)strtoul(optarg, NULL, 10);
			if (b->kills == 0 || b->kills > KILLS_MAX)
				b->kills = 50;
			break;
		default:
			fprintf(stderr, "usage: bench_restart [-n KILLS] "
			    "[-b BINDIR]\n");
			return -EINVAL;
		}
	}
	return 0;
}

/* Connect, measure every kill, return when done (or given up). */
static void
run(struct bench *b)
{
	struct bus_client_cfg cfg;
	char sock[128];

	uv_loop_init(&b->loop);
	uv_timer_init(&b->loop, &b->timer);
	uv_timer_init(&b->loop, &b->guard);
	b->timer.data = b;
	b->guard.data = b;
	uv_timer_start(&b->guard, on_guard, 120000, 0);
	snprintf(sock, sizeof(sock), "%s/run/bus.sock", b->dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = sock;
	cfg.name = "bench";
	cfg.reconnect_min_ms = 10;
	cfg.reconnect_max_ms = 100;
	cfg.on_connect = on_connect;
	cfg.arg = b;
	if (bus_client_create(&b->loop, &cfg, &b->bus) != 0 ||
	    bus_client_on(b->bus, PARAPET__MSG_TYPE__MSG_READY_EVENT,
	    on_ready_event, b) != 0 ||
	    bus_client_on(b->bus, PARAPET__MSG_TYPE__MSG_SERVER_STATE_EVENT,
	    on_state_event, b) != 0 ||
	    bus_subscribe(b->bus, "server") != 0) {
		fprintf(stderr, "bench_restart: bus client\n");
		b->status = 1;
		uv_close((uv_handle_t *)&b->timer, NULL);
		uv_close((uv_handle_t *)&b->guard, NULL);
	}
	uv_run(&b->loop, UV_RUN_DEFAULT);
	(void)uv_loop_close(&b->loop);
}

static void
stop_parapetd(struct bench *b)
{
	int i, st;

	kill(b->sup_pid, SIGTERM);
	for (i = 0; i < 100 && waitpid(b->sup_pid, &st, WNOHANG) == 0; i++)
		usleep(50000);
	if (i == 100) {
		kill(b->sup_pid, SIGKILL);
		waitpid(b->sup_pid, &st, 0);
	}
}

int
main(int argc, char **argv)
{
	struct bench *b;
	double ref;
	int status = 1;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return 1;
	b->victim = -1;
	if (parse_args(b, argc, argv) != 0) {
		free(b);
		return 2;
	}
	log_init("bench_restart", false);
	signal(SIGPIPE, SIG_IGN);
	ref = reference_ms(b->bindir);
	snprintf(b->dir, sizeof(b->dir), "/tmp/parapet-bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		perror("mkdtemp");
	else if (start_parapetd(b) != 0) {
		fprintf(stderr, "bench_restart: cannot start parapetd\n");
		cleanup_dir(b->dir);
	} else {
		run(b);
		stop_parapetd(b);
		if (b->done > 0)
			report(b, ref);
		if (b->status == 0)
			cleanup_dir(b->dir);
		status = b->status;
	}
	free(b);
	return status;
}
