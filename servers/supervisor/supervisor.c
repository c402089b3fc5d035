/*
 * supervisor.c - parapetd: main, loop, signals, shared-memory regions and
 * children. The decisions (what to start, when to restart, what to stop)
 * are the service table's (svc_table.c, pure); this file performs them.
 *
 *   parapetd [-dht] [-c CONFIG] [-r RUNDIR] [-s BUS_SOCKET] [-p PIDFILE]
 *            [-b BINDIR]
 *
 * Each child is exec'd fresh (uv_spawn, in a session of its own so that a
 * terminal's Ctrl-C reaches only us and we stop the servers in order) with
 * stdin on /dev/null, our stdout/stderr, and one end of a socketpair at
 * descriptor 3 carrying its handoff (handoff.h): the regions' memfds and
 * doorbells, which we keep for our whole life so that a restarted server
 * re-attaches the same memory. Children are reaped by libuv's exit
 * callback.
 *
 * Untrusted input: the configuration (config.c) and bus messages
 * (supervisor_bus.c); nothing here reads either directly.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "handoff.h"
#include "log.h"
#include "pstore.h"
#include "sup_links.h"
#include "supervisor.h"

#define DEFAULT_CONFIG	"/etc/parapet/parapetd.conf"
#define CONFIG_FILE_MAX	(1u << 20)


/* ---- regions ---- */

static void
regions_create(struct sup *sup)
{
	size_t i;
	int error;

	for (i = 0; i < sup->cfg.nregions; i++) {
		const struct config_region *d = &sup->cfg.regions[i];
		struct sup_region *r = &sup->regions[i];
		struct ring_geom g = { d->slots, d->slot_bytes, d->headroom,
			d->tailroom };
		struct stat st;

		r->def = d;
		if ((error = ring_geom_check(&g)) != 0)
			fatalx("%s:%u: region %s: the ring module refuses this "
			    "geometry: %s", sup->config_path, d->line, d->name,
			    strerror(-error));
		randombytes_buf(r->uuid, sizeof(r->uuid));
		if ((error = ring_region_create(&g, d->name, r->uuid,
		    &r->memfd)) != 0)
			fatalx("region %s: create: %s", d->name,
			    strerror(-error));
		if ((error = ring_doorbells_create(r->efd)) != 0)
			fatalx("region %s: doorbells: %s", d->name,
			    strerror(-error));
		if (fstat(r->memfd, &st) != 0)
			fatal("region %s: fstat", d->name);
		r->inode = (uint64_t)st.st_ino;
		r->size = (uint64_t)st.st_size;
		log_info("region %s: %u slots of %u bytes, %llu bytes, "
		    "inode %llu", d->name, d->slots, d->slot_bytes,
		    (unsigned long long)r->size,
		    (unsigned long long)r->inode);
	}
}

/*
 * One store per server that asks for one (store_records > 0): a sealed
 * memfd laid out by pstore_format(), kept for parapetd's life and handed
 * to every start of that server, so its state outlives a kill -9. Sparse:
 * only the records a server writes take memory.
 */
static void
stores_create(struct sup *sup)
{
	size_t i;

	for (i = 0; i < sup->cfg.nservers; i++) {
		const struct config_server *d = &sup->cfg.servers[i];
		size_t size = pstore_size(d->store_records,
		    d->store_record_bytes);
		char name[64];
		int fd, error;

		sup->store_fd[i] = -1;
		if (d->store_records == 0)
			continue;
		if (size == 0)
			fatalx("%s:%u: server %s: store of %u records of %u "
			    "bytes is out of range", sup->config_path, d->line,
			    d->name, d->store_records, d->store_record_bytes);
		snprintf(name, sizeof(name), "parapet-store:%s", d->name);
		if ((fd = memfd_create(name, MFD_ALLOW_SEALING |
		    MFD_CLOEXEC)) < 0)
			fatal("server %s: store: memfd_create", d->name);
		if (ftruncate(fd, (off_t)size) != 0)
			fatal("server %s: store: ftruncate", d->name);
		if ((error = pstore_format(fd, d->store_records,
		    d->store_record_bytes)) != 0)
			fatalx("server %s: store: %s", d->name,
			    strerror(-error));
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_SEAL) != 0)
			fatal("server %s: store: seal", d->name);
		sup->store_fd[i] = fd;
		log_info("store %s: %u records of %u bytes, %zu bytes "
		    "(sparse)", d->name, d->store_records,
		    d->store_record_bytes, size);
	}
}

static void
regions_close(struct sup *sup)
{
	size_t i;

	for (i = 0; i < sup->cfg.nservers; i++)
		if (sup->store_fd[i] >= 0)
			close(sup->store_fd[i]);

	for (i = 0; i < sup->cfg.nregions; i++) {
		close(sup->regions[i].memfd);
		close(sup->regions[i].efd[0]);
		close(sup->regions[i].efd[1]);
	}
}

/* ---- children ---- */

/* Queue the handoff datagram on sock (our end of the socketpair). */
static int
send_handoff(struct sup *sup, size_t idx, int sock)
{
	const struct svc *s = &sup->table.svc[idx];
	struct svc_region sr[HANDOFF_REGIONS_MAX];
	uint8_t buf[HANDOFF_BYTES_MAX];
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int) * HANDOFF_FDS_MAX)];
	} cbuf;
	int fds[HANDOFF_FDS_MAX];
	struct handoff h;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	size_t n, i, len, nfds;
	int error;

	memset(&h, 0, sizeof(h));
	snprintf(h.instance, sizeof(h.instance), "%s", sup->cfg.run_dir);
	h.supervisor_pid = (uint32_t)getpid();
	h.restarts = s->restarts;
	n = svc_table_regions(&sup->table, idx, sr, nitems(sr));
	for (i = 0; i < n; i++) {
		const struct sup_region *r = &sup->regions[sr[i].region];

		snprintf(h.regions[i].name, sizeof(h.regions[i].name), "%s",
		    r->def->name);
		h.regions[i].side = sr[i].side;
		fds[i * HANDOFF_FDS_PER_REGION] = r->memfd;
		fds[i * HANDOFF_FDS_PER_REGION + 1] = r->efd[0];
		fds[i * HANDOFF_FDS_PER_REGION + 2] = r->efd[1];
	}
	h.nregions = n;
	nfds = n * HANDOFF_FDS_PER_REGION;
	/* netd's links (sup_links.h): after the regions', before the
	 * store's. */
	for (i = 0; (int)idx == sup->links_for && i < sup->nlinks; i++) {
		snprintf(h.links[i], sizeof(h.links[i]), "%s",
		    sup->links[i].name);
		fds[nfds++] = sup->links[i].fd;
		h.nlinks = i + 1;
	}
	if (sup->store_fd[idx] >= 0) {
		h.store = true;
		fds[nfds++] = sup->store_fd[idx];
	}
	if ((error = handoff_encode(&h, buf, sizeof(buf), &len)) != 0)
		return error;

	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		msg.msg_control = cbuf.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static void
on_proc_closed(uv_handle_t *h)
{
	free(container_of((uv_process_t *)(void *)h, struct sup_proc, h));
}

static void
on_exit_cb(uv_process_t *h, int64_t status, int term_signal)
{
	struct sup_proc *sp = container_of(h, struct sup_proc, h);
	struct sup *sup = sp->sup;
	uint64_t now = uv_now(sup->loop);

	if (sup->proc[sp->idx] == sp) {
		sup->proc[sp->idx] = NULL;
		if (!sup->stopping)
			sup->ctr.crashes++;
		svc_table_exited(&sup->table, sp->idx, (int)status,
		    term_signal, now);
	}
	uv_close((uv_handle_t *)h, on_proc_closed);
	sup_kick(sup);
}

/* argv: binary -s BUS -n NAME [-d] [-u USER] [args...] NULL */
#define ARGV_MAX	(8 + CONFIG_ARGV_MAX + 1)

static int
build_argv(struct sup *sup, const struct config_server *d, char *path,
    char *argbuf, size_t argbuflen, char **argv)
{
	size_t n = 0;
	int error, extra;

	if ((error = config_path_join(path, CONFIG_PATH_MAX, sup->cfg.bin_dir,
	    d->binary)) != 0)
		return error;
	argv[n++] = path;
	argv[n++] = deconst("-s");
	argv[n++] = sup->cfg.bus_socket;
	argv[n++] = deconst("-n");
	argv[n++] = deconst(d->name);
	if (sup->cfg.debug)
		argv[n++] = deconst("-d");
	if (d->user[0] != '\0') {
		argv[n++] = deconst("-u");
		argv[n++] = deconst(d->user);
	}
	extra = config_split_args(d->args, argbuf, argbuflen, argv + n,
	    ARGV_MAX - 1 - n);
	if (extra < 0)
		return extra;
	argv[n + (size_t)extra] = NULL;
	return 0;
}

static int
spawn(struct sup *sup, size_t idx)
{
	const struct config_server *d = &sup->cfg.servers[idx];
	char path[CONFIG_PATH_MAX], argbuf[CONFIG_ARGS_MAX];
	char *argv[ARGV_MAX];
	uv_process_options_t opts;
	uv_stdio_container_t stdio[4];
	struct sup_proc *sp;
	int sv[2], error;

	if ((error = build_argv(sup, d, path, argbuf, sizeof(argbuf),
	    argv)) != 0)
		return error;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	error = send_handoff(sup, idx, sv[0]);
	close(sv[0]);
	if (error != 0) {
		close(sv[1]);
		return error;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		close(sv[1]);
		return -ENOMEM;
	}
	sp->sup = sup;
	sp->idx = idx;
	memset(&opts, 0, sizeof(opts));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = STDOUT_FILENO;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = STDERR_FILENO;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = sv[1];
	_Static_assert(HANDOFF_FD == 3, "stdio[3] is the handoff");
	opts.file = path;
	opts.args = argv;
	opts.exit_cb = on_exit_cb;
	opts.stdio = stdio;
	opts.stdio_count = 4;
	/* Own session: a terminal's SIGINT must not reach the servers
	 * behind our back; we stop them in order. */
	opts.flags = UV_PROCESS_DETACHED;
	error = uv_spawn(sup->loop, &sp->h, &opts);
	close(sv[1]);
	if (error != 0) {
		/* libuv wants the handle closed even when spawn failed. */
		uv_close((uv_handle_t *)&sp->h, on_proc_closed);
		return error;
	}
	sup->proc[idx] = sp;
	return 0;
}

static void
act(struct sup *sup, const struct svc_action *a, uint64_t now)
{
	struct svc *s = &sup->table.svc[a->idx];
	int error;

	switch (a->act) {
	case SVC_ACT_START:
		sup->ctr.spawns++;
		if ((error = spawn(sup, a->idx)) != 0) {
			sup->ctr.spawn_failures++;
			log_warnx("%s: cannot start %s: %s", s->def->name,
			    s->def->binary, strerror(-error));
			svc_table_spawn_failed(&sup->table, a->idx, error, now);
			break;
		}
		svc_table_started(&sup->table, a->idx, sup->proc[a->idx]->h.pid,
		    now);
		log_info("%s: started, pid %d%s", s->def->name, s->pid,
		    s->restarts > 0 ? " (restart)" : "");
		sup_bus_state(sup, a->idx);
		break;
	case SVC_ACT_TERM:
	case SVC_ACT_KILL:
		if (sup->proc[a->idx] == NULL)
			break;
		if (a->act == SVC_ACT_KILL)
			log_warnx("%s: pid %d: %s, SIGKILL", s->def->name,
			    s->pid, s->state == SVC_STOPPING ?
			    "still there after the grace period" :
			    "not ready in time");
		error = uv_process_kill(&sup->proc[a->idx]->h,
		    a->act == SVC_ACT_TERM ? SIGTERM : SIGKILL);
		if (error != 0 && error != UV_ESRCH)
			log_warnx("%s: kill: %s", s->def->name,
			    uv_strerror(error));
		break;
	}
}

/* ---- the loop ---- */

static void
close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
finish(struct sup *sup)
{
	size_t i;

	if (sup->finished)
		return;
	sup->finished = true;
	close_handle((uv_handle_t *)&sup->timer);
	for (i = 0; i < nitems(sup->sig); i++)
		close_handle((uv_handle_t *)&sup->sig[i]);
	sup_bus_stop(sup);
	if (unlink(sup->cfg.pidfile) != 0 && errno != ENOENT)
		log_warn("unlink %s", sup->cfg.pidfile);
	log_info("all servers stopped");
}

static void
on_timer(uv_timer_t *t)
{
	sup_kick(t->data);
}

void
sup_kick(struct sup *sup)
{
	struct svc_action acts[CONFIG_SERVERS_MAX];
	uint64_t now, next;
	size_t n, i;

	if (sup->finished)
		return;
	/* Nothing starts before our subscription to "server" is live, or a
	 * fast server's ReadyEvent could pass us by. */
	if (!sup->bus_ready && !sup->stopping)
		return;
	uv_update_time(sup->loop);
	now = uv_now(sup->loop);
	n = svc_table_poll(&sup->table, now, acts, nitems(acts));
	for (i = 0; i < n; i++)
		act(sup, &acts[i], now);
	if (svc_table_done(&sup->table)) {
		finish(sup);
		return;
	}
	next = svc_table_next_deadline(&sup->table);
	if (n > 0)
		next = now;	/* an action may have unblocked another */
	if (next == UINT64_MAX)
		uv_timer_stop(&sup->timer);
	else
		uv_timer_start(&sup->timer, on_timer,
		    next > now ? next - now : 0, 0);
}

void
sup_shutdown(struct sup *sup, const char *why)
{
	size_t i;

	if (sup->stopping) {
		/* Asked twice: no more patience. */
		log_warnx("%s again: killing every server", why);
		for (i = 0; i < sup->table.n; i++)
			if (sup->proc[i] != NULL)
				(void)uv_process_kill(&sup->proc[i]->h,
				    SIGKILL);
		return;
	}
	log_info("%s: stopping the servers", why);
	sup->stopping = true;
	svc_table_shutdown(&sup->table, uv_now(sup->loop));
	sup_kick(sup);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct sup *sup = h->data;

	if (signum == SIGHUP) {
		log_info("SIGHUP: ignored (restart parapetd to reload)");
		return;
	}
	sup_shutdown(sup, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* The table's notifications: log every state change, publish it. */
static void
on_state(const struct svc_table *t, const struct svc *s, void *arg)
{
	struct sup *sup = arg;
	uint64_t now = uv_now(sup->loop);

	(void)t;
	switch (s->state) {
	case SVC_STARTING:
		return;		/* act() logs and publishes it with the pid */
	case SVC_READY:
		log_info("%s: ready, pid %d, %llu ms after start",
		    s->def->name, s->pid,
		    (unsigned long long)(now - s->started_ms));
		break;
	case SVC_BACKOFF:
		if (s->next_start_ms > now)
			log_warnx("%s: %s; restarting in %llu ms",
			    s->def->name, s->last_exit,
			    (unsigned long long)(s->next_start_ms - now));
		else
			log_warnx("%s: %s; restarting now", s->def->name,
			    s->last_exit);
		break;
	case SVC_CRASHLOOP:
		log_warnx("%s: %s; crash loop: %u crashes within %u ms, "
		    "retrying every %u ms until it stays up %u ms",
		    s->def->name, s->last_exit, s->def->restart.loop_crashes,
		    s->def->restart.loop_window_ms, s->def->restart.max_ms,
		    s->def->restart.stable_ms);
		break;
	case SVC_STOPPING:
		log_info("%s: stopping pid %d (SIGTERM)", s->def->name, s->pid);
		break;
	case SVC_STOPPED:
		log_info("%s: stopped (%s)", s->def->name,
		    s->last_exit[0] != '\0' ? s->last_exit : "never started");
		break;
	}
	sup_bus_state(sup, s->idx);
}

/* ---- start-up ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: parapetd [-dht] [-c CONFIG] [-r RUNDIR] "
	    "[-s BUS_SOCKET] [-p PIDFILE] [-b BINDIR]\n"
	    "  -c  configuration file (default %s)\n"
	    "  -r  run directory (default %s)\n"
	    "  -s  bus socket (default RUNDIR/%s)\n"
	    "  -p  pidfile (default RUNDIR/%s)\n"
	    "  -b  directory of the server binaries (default: parapetd's)\n"
	    "  -d  debug logging (servers too)\n"
	    "  -t  check the configuration and exit\n",
	    DEFAULT_CONFIG, CONFIG_DEFAULT_RUN_DIR, CONFIG_DEFAULT_BUS_SOCKET,
	    CONFIG_DEFAULT_PIDFILE);
	exit(2);
}

struct opts {
	const char	*config;
	const char	*run_dir;
	const char	*bus_socket;
	const char	*pidfile;
	const char	*bin_dir;
	bool		 debug;
	bool		 test;
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "b:c:dhp:r:s:t")) != -1) {
		switch (ch) {
		case 'b':
			o->bin_dir = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 's':
			o->bus_socket = optarg;
			break;
		case 't':
			o->test = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static void
set_path(char *dst, const char *src, const char *what)
{
	if (src == NULL)
		return;
	if (strlen(src) >= CONFIG_PATH_MAX)
		fatalx("%s: path too long", what);
	memcpy(dst, src, strlen(src) + 1);
}

/* Read, parse, override, resolve. Exits with every error on failure. */
static void
load_config(struct sup *sup, const struct opts *o)
{
	struct config_errors *errs;
	char cwd[PATH_MAX], exe[PATH_MAX];
	uint8_t *buf;
	size_t len, i;
	ssize_t n;
	FILE *f;
	int error;

	set_path(sup->config_path, o->config, "-c");
	if ((f = fopen(o->config, "rb")) == NULL)
		fatal("%s", o->config);
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL ||
	    (errs = malloc(sizeof(*errs))) == NULL)
		fatalx("out of memory");
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f))
		fatal("%s", o->config);
	fclose(f);
	if (len > CONFIG_FILE_MAX)
		fatalx("%s: larger than %u bytes", o->config, CONFIG_FILE_MAX);
	error = config_parse(o->config, buf, len, &sup->cfg, errs);
	free(buf);
	if (error != 0) {
		for (i = 0; i < errs->n; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		if (errs->total > errs->n)
			fprintf(stderr, "%s: %zu more errors\n", o->config,
			    errs->total - errs->n);
		exit(1);
	}
	free(errs);
	set_path(sup->cfg.run_dir, o->run_dir, "-r");
	set_path(sup->cfg.bus_socket, o->bus_socket, "-s");
	set_path(sup->cfg.pidfile, o->pidfile, "-p");
	set_path(sup->cfg.bin_dir, o->bin_dir, "-b");
	if (o->debug)
		sup->cfg.debug = true;
	if (sup->cfg.bin_dir[0] == '\0') {
		/* Default: where parapetd itself lives. */
		if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
			fatal("readlink /proc/self/exe");
		exe[n] = '\0';
		set_path(sup->cfg.bin_dir, dirname(exe), "bin_dir");
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if ((error = config_resolve(&sup->cfg, cwd)) != 0)
		fatalx("paths: %s", strerror(-error));
}

static void
mkdir_p(const char *dir)
{
	char tmp[CONFIG_PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			fatal("mkdir %s", tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		fatal("mkdir %s", tmp);
}

/* One parapetd per run directory: the pidfile is locked for our life. */
static void
pidfile_lock(struct sup *sup)
{
	char buf[32];
	int n;

	sup->pidfd = open(sup->cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC,
	    0644);
	if (sup->pidfd < 0)
		fatal("%s", sup->cfg.pidfile);
	if (flock(sup->pidfd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)read(sup->pidfd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("another parapetd (pid %s) runs with %s", buf,
		    sup->cfg.pidfile);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(sup->pidfd, 0) != 0 ||
	    pwrite(sup->pidfd, buf, (size_t)n, 0) != n)
		fatal("%s", sup->cfg.pidfile);
}

static void
signals_start(struct sup *sup)
{
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;
	int error;

	_Static_assert(nitems(signums) == nitems(sup->sig), "signals");
	for (i = 0; i < nitems(signums); i++) {
		uv_signal_init(sup->loop, &sup->sig[i]);
		sup->sig[i].data = sup;
		if ((error = uv_signal_start(&sup->sig[i], on_signal,
		    signums[i])) != 0)
			fatalx("uv_signal_start: %s", uv_strerror(error));
	}
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct sup *sup;
	uv_loop_t loop;
	int error;

	parse_args(argc, argv, &o);
	log_init("parapetd", o.debug);
	if ((sup = calloc(1, sizeof(*sup))) == NULL)
		fatalx("out of memory");
	load_config(sup, &o);
	if (o.test) {
		printf("%s: ok: %zu servers, %zu regions; run_dir %s, bus %s\n",
		    sup->config_path, sup->cfg.nservers, sup->cfg.nregions,
		    sup->cfg.run_dir, sup->cfg.bus_socket);
		free(sup);
		return 0;
	}
	log_set_debug(sup->cfg.debug);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	signal(SIGPIPE, SIG_IGN);
	if ((error = svc_table_init(&sup->table, &sup->cfg, on_state,
	    sup)) != 0)
		fatalx("service table: %s", strerror(-error));
	mkdir_p(sup->cfg.run_dir);
	pidfile_lock(sup);

	if ((error = uv_loop_init(&loop)) != 0)
		fatalx("uv_loop_init: %s", uv_strerror(error));
	sup->loop = &loop;
	sup->start_ms = uv_now(&loop);
	uv_timer_init(&loop, &sup->timer);
	sup->timer.data = sup;
	signals_start(sup);
	regions_create(sup);
	stores_create(sup);
	sup_links_open(sup);
	if ((error = sup_bus_start(sup)) != 0)
		fatalx("bus %s: %s", sup->cfg.bus_socket, strerror(-error));
	log_info("up: run_dir %s, bus %s, %zu servers", sup->cfg.run_dir,
	    sup->cfg.bus_socket, sup->cfg.nservers);

	uv_run(&loop, UV_RUN_DEFAULT);

	if ((error = uv_loop_close(&loop)) != 0)
		log_warnx("uv_loop_close: %s", uv_strerror(error));
	regions_close(sup);
	sup_links_close(sup);
	close(sup->pidfd);
	free(sup);
	return 0;
}
