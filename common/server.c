/*
 * server.c - the shared shell of a server process (server.h).
 *
 * Start-up, in order:
 *   1. arguments; log_init(name)
 *   2. handoff: one datagram on descriptor 3 (servers/supervisor/
 *      handoff.h) with the regions' descriptors; checked, then attached
 *      with ring_region_attach() for this server's side; the link
 *      descriptors (netd's) kept for server_link_fd()
 *   3. test hooks (crash at start, fill the pool)
 *   4. privilege drop (-u), then the parent-death signal (it does not
 *      survive a credential change, so it comes after)
 *   5. the engine's init(), the bus client; on each accepted hello:
 *      ReadyEvent on topic "server"
 *   6. the loop, until SIGTERM/SIGINT: fini(), close everything, exit 0
 *
 * Untrusted input: the handoff datagram (checked by handoff_decode() and
 * by ring_region_attach()), and bus requests (checked by the bus before
 * they reach the handlers here; these handlers read no body fields).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bus_msg.h"
#include "counters.h"
#include "frame.h"
#include "handoff.h"
#include "log.h"
#include "server.h"

#define DIGEST_BYTES	16	/* BLAKE2b-128 */

struct srv_region {
	char			 name[CONFIG_NAME_MAX + 1];
	struct ring_region	*r;
	uint64_t		 inode;
	unsigned		 side;
};

struct srv_counter {
	char		 name[64];
	const uint64_t	*value;		/* borrowed */
};

struct server {
	const struct server_def	*def;
	uv_loop_t		 loop;
	uv_signal_t		 sig[2];	/* SIGTERM, SIGINT */
	struct bus_client	*bus;
	char			 name[CONFIG_NAME_MAX + 1];
	const char		*bus_path;
	const char		*user;
	bool			 debug;
	bool			 stopping;

	struct handoff		 ho;
	bool			 have_handoff;
	struct srv_region	 regions[HANDOFF_REGIONS_MAX];
	size_t			 nregions;
	struct pstore		*store;		/* NULL: none */
	int			 link_fd[HANDOFF_LINKS_MAX];	/* ho.links */

	uint64_t		 start_ms;
	struct srv_counter	 ctr[SERVER_COUNTERS_MAX];
	size_t			 nctr;
	uint64_t		 n_ping;
	uint64_t		 n_counters;
	uint64_t		 n_region_info;
	uint64_t		 n_ready;
	uint64_t		 restarts;	/* ho.restarts, as a counter */
	struct {
		server_connect_fn	*fn;
		void			*arg;
	}			 on_connect[SERVER_CONNECT_HOOKS_MAX];
	size_t			 non_connect;
};



/* ---- accessors ---- */

uv_loop_t *
server_loop(struct server *s)
{
	return &s->loop;
}

struct bus_client *
server_bus(struct server *s)
{
	return s->bus;
}

const char *
server_name(const struct server *s)
{
	return s->name;
}

uint32_t
server_restarts(const struct server *s)
{
	return s->ho.restarts;
}

size_t
server_nregions(const struct server *s)
{
	return s->nregions;
}

struct pstore *
server_store(const struct server *s)
{
	return s->store;
}

int
server_link_fd(const struct server *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ho.nlinks; i++)
		if (s->link_fd[i] >= 0 && strcmp(s->ho.links[i], name) == 0)
			return fcntl(s->link_fd[i], F_DUPFD_CLOEXEC, 0);
	return -1;
}

size_t
server_nlinks(const struct server *s)
{
	return s->ho.nlinks;
}

struct ring_region *
server_region(const struct server *s, size_t i, const char **name)
{
	if (i >= s->nregions)
		return NULL;
	if (name != NULL)
		*name = s->regions[i].name;
	return s->regions[i].r;
}

int
server_counter_add(struct server *s, const char *name, const uint64_t *value)
{
	if (!bus_counter_name_ok(name))
		return -EINVAL;
	if (s->nctr >= SERVER_COUNTERS_MAX)
		return -ENOSPC;
	snprintf(s->ctr[s->nctr].name, sizeof(s->ctr[s->nctr].name), "%s",
	    name);
	s->ctr[s->nctr].value = value;
	s->nctr++;
	return 0;
}

/* ---- test hooks ---- */

/* True if the comma-separated list in environment variable var names us. */
static bool
hook_names_us(const struct server *s, const char *var)
{
	const char *v = getenv(var), *p;
	size_t n = strlen(s->name);

	if (v == NULL)
		return false;
	for (p = v; *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, s->name, n) == 0)
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

static void
test_hooks(struct server *s)
{
	struct rlimit no_core = { 0, 0 };
	size_t i;

	if (hook_names_us(s, "PARAPET_TEST_CRASH_AT_START")) {
		log_warnx("test hook: crashing at start");
		/* A test crash need not leave a core file behind. */
		(void)setrlimit(RLIMIT_CORE, &no_core);
		abort();
	}
	if (!hook_names_us(s, "PARAPET_TEST_FILL_POOL") ||
	    s->ho.restarts != 0)
		return;
	for (i = 0; i < s->nregions; i++) {
		const struct ring_geom *g;
		uint32_t k;

		if (s->regions[i].side != RING_SIDE_A)
			continue;
		g = ring_region_geom(s->regions[i].r);
		for (k = 0; k < g->nslots; k++)
			randombytes_buf(ring_slot(s->regions[i].r, k),
			    g->slot_bytes);
		log_info("test hook: filled the pool of %s",
		    s->regions[i].name);
	}
}

/* ---- handoff ---- */

static void
close_fds(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Read the one handoff datagram from fd. Returns 0 with the descriptors
 * in fds[0..*nfds), -ENODATA if the supervisor sent nothing, -EBADMSG for
 * anything malformed (every received descriptor closed).
 */
static int
handoff_recv(int fd, struct handoff *h, int *fds, size_t *nfds)
{
	uint8_t buf[HANDOFF_BYTES_MAX];
	union {
		struct cmsghdr	hdr;
		char		b[CMSG_SPACE(sizeof(int) * HANDOFF_FDS_MAX)];
	} cbuf;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;
	int error;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	*nfds = 0;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k, cnt;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt && *nfds < HANDOFF_FDS_MAX; k++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + k * sizeof(int),
			    sizeof(int));
	}
	if (n == 0 && *nfds == 0)
		return -ENODATA;
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		error = -EBADMSG;
	else
		error = handoff_decode(buf, (size_t)n, *nfds, h);
	if (error != 0) {
		close_fds(fds, *nfds);
		*nfds = 0;
	}
	return error;
}

static int
attach_regions(struct server *s, const int *fds)
{
	size_t i;
	int error;

	for (i = 0; i < s->ho.nregions; i++) {
		struct srv_region *sr = &s->regions[i];
		const int *f = &fds[i * HANDOFF_FDS_PER_REGION];
		struct stat st;

		if ((int)s->ho.regions[i].side != s->def->region_side) {
			log_warnx("handoff: region %s is for side %u, %s takes "
			    "side %d", s->ho.regions[i].name,
			    s->ho.regions[i].side, s->name,
			    s->def->region_side);
			return -EINVAL;
		}
		if (fstat(f[0], &st) != 0)
			return -errno;
		if ((error = ring_region_attach(&sr->r, f[0],
		    (enum ring_side)s->ho.regions[i].side, &f[1])) != 0) {
			log_warnx("handoff: attach %s: %s",
			    s->ho.regions[i].name, strerror(-error));
			return error;
		}
		snprintf(sr->name, sizeof(sr->name), "%s",
		    s->ho.regions[i].name);
		sr->inode = (uint64_t)st.st_ino;
		sr->side = s->ho.regions[i].side;
		s->nregions = i + 1;
		log_debug("region %s attached as side %c (inode %llu)",
		    sr->name, sr->side == RING_SIDE_A ? 'A' : 'B',
		    (unsigned long long)sr->inode);
	}
	return 0;
}

static void
store_log(const struct server *s)
{
	struct pstore_stats st;

	pstore_stats(s->store, &st);
	log_info("store: %u of %u records live%s", st.live, st.nrec,
	    s->restarts > 0 ? " (restart: state recovered)" : "");
	if (st.dropped_torn > 0 || st.dropped_bad > 0)
		log_warnx("store: dropped %llu half-written and %llu corrupt "
		    "records", (unsigned long long)st.dropped_torn,
		    (unsigned long long)st.dropped_bad);
}

/*
 * The link descriptors (after the regions', before the store's) are kept
 * as they are; fds[] loses them, so the close below spares them.
 */
static void
take_links(struct server *s, int *fds, size_t nfds)
{
	size_t i, first = s->ho.nregions * HANDOFF_FDS_PER_REGION;

	for (i = 0; i < s->ho.nlinks && first + i < nfds; i++) {
		s->link_fd[i] = fds[first + i];
		fds[first + i] = -1;
		log_debug("link %s handed over (descriptor %d)",
		    s->ho.links[i], s->link_fd[i]);
	}
}

static void
handoff(struct server *s)
{
	int fds[HANDOFF_FDS_MAX];
	size_t nfds = 0, i;
	struct stat st;
	int error;

	for (i = 0; i < nitems(fds); i++)
		fds[i] = -1;

	if (fstat(HANDOFF_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		log_debug("no handoff on descriptor %d: running alone",
		    HANDOFF_FD);
		return;
	}
	error = handoff_recv(HANDOFF_FD, &s->ho, fds, &nfds);
	close(HANDOFF_FD);
	if (error == -ENODATA)
		return;
	if (error != 0)
		fatalx("handoff: refused: %s", strerror(-error));
	s->have_handoff = true;
	s->restarts = s->ho.restarts;
	take_links(s, fds, nfds);
	error = attach_regions(s, fds);
	if (error == 0 && s->ho.store) {
		/* The store's descriptor comes last. */
		if ((error = pstore_attach(fds[nfds - 1], &s->store)) != 0)
			log_warnx("handoff: attach the store: %s",
			    strerror(-error));
		else
			store_log(s);
	}
	/* attach dup'd what it keeps. */
	close_fds(fds, nfds);
	if (error != 0)
		fatalx("handoff: cannot attach the regions and the store");
}

/* ---- privileges ---- */

static void
drop_privileges(struct server *s)
{
	struct passwd *pw;

	if (s->user == NULL)
		return;
	if ((pw = getpwnam(s->user)) == NULL)
		fatalx("no such user: %s", s->user);
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0)
		fatal("cannot become %s", s->user);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		fatalx("privileges still held after becoming %s", s->user);
	log_info("running as %s (uid %u)", s->user, (unsigned)pw->pw_uid);
}

/* Die with the supervisor rather than linger as an orphan. */
static void
watch_parent(struct server *s)
{
	if (!s->have_handoff || s->ho.supervisor_pid == 0)
		return;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if ((uint32_t)getppid() != s->ho.supervisor_pid)
		fatalx("supervisor %u is gone", s->ho.supervisor_pid);
}

/* ---- bus ---- */

static void
region_info(const struct server *s, size_t i, Parapet__RegionInfo *ri,
    uint8_t *digest, bool with_digest)
{
	const struct srv_region *sr = &s->regions[i];

	parapet__region_info__init(ri);
	ri->name = deconst(sr->name);
	ri->inode = sr->inode;
	ri->uuid.data = deconst_bytes(ring_region_uuid(sr->r));
	ri->uuid.len = RING_UUID_LEN;
	ri->size = ring_region_size(sr->r);
	ri->side = sr->side;
	if (with_digest) {
		size_t len;
		const void *pool = ring_region_pool(sr->r, &len);

		crypto_generichash(digest, DIGEST_BYTES, pool, len, NULL, 0);
		ri->digest.data = digest;
		ri->digest.len = DIGEST_BYTES;
	}
}

static void
publish_ready(struct bus_client *bc, void *arg)
{
	struct server *s = arg;
	Parapet__RegionInfo ri[HANDOFF_REGIONS_MAX], *rp[HANDOFF_REGIONS_MAX];
	Parapet__ReadyEvent ev;
	size_t i;
	int error;

	parapet__ready_event__init(&ev);
	ev.name = s->name;
	ev.pid = (uint32_t)getpid();
	/* No digests here: hashing the pools would delay readiness. */
	for (i = 0; i < s->nregions; i++) {
		region_info(s, i, &ri[i], NULL, false);
		rp[i] = &ri[i];
	}
	ev.regions = rp;
	ev.n_regions = s->nregions;
	if ((error = bus_publish(bc, "server", PARAPET__MSG_TYPE__MSG_READY_EVENT,
	    &ev.base)) != 0) {
		log_warnx("bus: cannot publish ReadyEvent: %s",
		    strerror(-error));
		return;
	}
	s->n_ready++;
	log_info("ready%s", s->ho.restarts > 0 ? " (restarted)" : "");
}

/* bus_conn_fn: ReadyEvent first, then the server's own hooks. */
static void
on_bus_connect(struct bus_client *bc, void *arg)
{
	struct server *s = arg;
	size_t i;

	publish_ready(bc, s);
	for (i = 0; i < s->non_connect; i++)
		s->on_connect[i].fn(s->on_connect[i].arg);
}

int
server_on_connect(struct server *s, server_connect_fn *fn, void *arg)
{
	if (s->non_connect >= SERVER_CONNECT_HOOKS_MAX)
		return -ENOSPC;
	s->on_connect[s->non_connect].fn = fn;
	s->on_connect[s->non_connect].arg = arg;
	s->non_connect++;
	return 0;
}

static void
on_ping(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct server *s = arg;
	const Parapet__PingRequest *req =
	    (const Parapet__PingRequest *)(const void *)m->body;
	Parapet__PingReply rep;

	s->n_ping++;
	parapet__ping_reply__init(&rep);
	rep.nonce = req != NULL ? req->nonce : 0;
	rep.name = s->name;
	rep.pid = (uint32_t)getpid();
	rep.uptime_ms = uv_now(&s->loop) - s->start_ms;
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_PING_REPLY,
	    &rep.base) != 0)
		log_debug("bus: ping reply not sent");
}

static void
ring_counters(const struct server *s, struct counters *cs)
{
	size_t i;

	for (i = 0; i < s->nregions; i++) {
		const struct ring_stats *st = ring_region_stats(s->regions[i].r);
		const char *n = s->regions[i].name;
		struct ring_slot_counts sc;

		ring_slot_counts(s->regions[i].r, &sc);
		counters_add(cs, st->sent, "ring.%s.sent", n);
		counters_add(cs, st->received, "ring.%s.received", n);
		counters_add(cs, st->bad_slot + st->not_ours + st->bad_range,
		    "ring.%s.rejected", n);
		counters_add(cs, st->bells, "ring.%s.bells", n);
		/* At attach, A rebuilds its free list (a fresh region: all of
		 * it), B returns what its predecessor held, aborted. */
		counters_add(cs, st->reclaimed, ring_region_side(
		    s->regions[i].r) == RING_SIDE_A ? "ring.%s.attach_free" :
		    "ring.%s.attach_aborted", n);
		counters_add(cs, sc.free, "ring.%s.slots_free", n);
		counters_add(cs, sc.held, "ring.%s.slots_held", n);
		counters_add(cs, sc.peer, "ring.%s.slots_peer", n);
	}
}

static void
on_counters(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct server *s = arg;
	Parapet__CountersReply rep;
	struct counters *cs;
	size_t i;

	s->n_counters++;
	if ((cs = counters_new()) == NULL) {
		if (bus_reply(bc, m, -ENOMEM, 0, NULL) != 0)
			log_debug("bus: counters reply not sent");
		return;
	}
	counters_add_client(cs, "bus", bus_client_stats(bc));
	counters_add(cs, s->n_ping, "server.ping_requests");
	counters_add(cs, s->n_counters, "server.counters_requests");
	counters_add(cs, s->n_region_info, "server.region_info_requests");
	counters_add(cs, s->n_ready, "server.ready_events");
	counters_add(cs, s->restarts, "server.restarts");
	counters_add(cs, uv_now(&s->loop) - s->start_ms, "server.uptime_ms");
	ring_counters(s, cs);
	for (i = 0; i < s->nctr; i++)
		counters_add(cs, *s->ctr[i].value, "%s", s->ctr[i].name);
	counters_reply(cs, s->name, &rep);
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_COUNTERS_REPLY,
	    &rep.base) != 0)
		log_debug("bus: counters reply not sent");
	counters_free(cs);
}

static void
on_region_info(struct bus_client *bc, const struct bus_msg *m, void *arg)
{
	struct server *s = arg;
	Parapet__RegionInfo ri[HANDOFF_REGIONS_MAX], *rp[HANDOFF_REGIONS_MAX];
	uint8_t digest[HANDOFF_REGIONS_MAX][DIGEST_BYTES];
	Parapet__RegionInfoReply rep;
	size_t i;

	s->n_region_info++;
	for (i = 0; i < s->nregions; i++) {
		region_info(s, i, &ri[i], digest[i], true);
		rp[i] = &ri[i];
	}
	parapet__region_info_reply__init(&rep);
	rep.regions = rp;
	rep.n_regions = s->nregions;
	if (bus_reply(bc, m, 0, PARAPET__MSG_TYPE__MSG_REGION_INFO_REPLY,
	    &rep.base) != 0)
		log_debug("bus: region info reply not sent");
}

static int
bus_start(struct server *s)
{
	struct bus_client_cfg cfg;
	int error;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = s->bus_path;
	cfg.name = s->name;
	cfg.reconnect_min_ms = 10;
	cfg.on_connect = on_bus_connect;
	cfg.arg = s;
	if ((error = bus_client_create(&s->loop, &cfg, &s->bus)) != 0)
		return error;
	if ((error = bus_client_on(s->bus, PARAPET__MSG_TYPE__MSG_PING_REQUEST,
	    on_ping, s)) != 0 ||
	    (error = bus_client_on(s->bus,
	    PARAPET__MSG_TYPE__MSG_COUNTERS_REQUEST, on_counters, s)) != 0 ||
	    (error = bus_client_on(s->bus,
	    PARAPET__MSG_TYPE__MSG_REGION_INFO_REQUEST, on_region_info,
	    s)) != 0)
		return error;
	return 0;
}

/* ---- life cycle ---- */

static void
close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct server *s = sig->data;

	if (s->stopping)
		return;
	s->stopping = true;
	log_info("signal %d: stopping", signum);
	if (s->def->fini != NULL)
		s->def->fini(s, s->def->arg);
	bus_client_destroy(s->bus);
	s->bus = NULL;
	uv_close((uv_handle_t *)&s->sig[0], NULL);
	uv_close((uv_handle_t *)&s->sig[1], NULL);
	/* Whatever the engine left open goes too, so the loop ends. */
	uv_walk(&s->loop, close_any, NULL);
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-d] [-n BUSNAME] [-s BUS_SOCKET] "
	    "[-u USER]\n", prog);
	exit(2);
}

static void
parse_args(struct server *s, int argc, char **argv)
{
	int ch;

	snprintf(s->name, sizeof(s->name), "%s", s->def->name);
	s->bus_path = SERVER_DEFAULT_BUS;
	while ((ch = getopt(argc, argv, "dn:s:u:")) != -1) {
		switch (ch) {
		case 'd':
			s->debug = true;
			break;
		case 'n':
			if (!frame_name_ok(optarg))
				usage(argv[0]);
			snprintf(s->name, sizeof(s->name), "%s", optarg);
			break;
		case 's':
			s->bus_path = optarg;
			break;
		case 'u':
			s->user = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
}

int
server_main(int argc, char **argv, const struct server_def *def)
{
	static const int signums[2] = { SIGTERM, SIGINT };
	static char logname[CONFIG_NAME_MAX + 1];	/* log_init keeps it */
	struct server *s;
	size_t i;
	int error, k;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	for (i = 0; i < nitems(s->link_fd); i++)
		s->link_fd[i] = -1;
	s->def = def;
	parse_args(s, argc, argv);
	snprintf(logname, sizeof(logname), "%s", s->name);
	log_init(logname, s->debug);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	signal(SIGPIPE, SIG_IGN);

	handoff(s);
	test_hooks(s);
	drop_privileges(s);
	watch_parent(s);

	if ((error = uv_loop_init(&s->loop)) != 0)
		fatalx("uv_loop_init: %s", uv_strerror(error));
	s->start_ms = uv_now(&s->loop);
	for (k = 0; k < 2; k++) {
		uv_signal_init(&s->loop, &s->sig[k]);
		s->sig[k].data = s;
		if ((error = uv_signal_start(&s->sig[k], on_signal,
		    signums[k])) != 0)
			fatalx("uv_signal_start: %s", uv_strerror(error));
	}
	if ((error = bus_start(s)) != 0)
		fatalx("bus: %s", strerror(-error));
	if (def->init != NULL && def->init(s, def->arg) != 0)
		fatalx("initialisation failed");
	log_debug("up: bus %s, %zu region(s), restarts %u", s->bus_path,
	    s->nregions, s->ho.restarts);

	uv_run(&s->loop, UV_RUN_DEFAULT);
	if ((error = uv_loop_close(&s->loop)) != 0)
		log_warnx("uv_loop_close: %s", uv_strerror(error));
	for (i = 0; i < s->nregions; i++)
		ring_region_detach(s->regions[i].r);
	pstore_detach(s->store);
	for (i = 0; i < s->ho.nlinks; i++)
		if (s->link_fd[i] >= 0)
			close(s->link_fd[i]);
	free(s);
	return 0;
}
