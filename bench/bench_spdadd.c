/*
 * bench_spdadd.c - X_SPDADD per second through the real path, against the
 * pure SPD core doing the same work, in the same run.
 *
 *   real:  client --pfkey.sock--> keyd --bus--> policyd (SPD, store
 *          write, publish) --bus--> keyd --> client (reply)
 *          under parapetd in a temporary run directory (PARAPET_BINDIR,
 *          default: ../bin next to this program), one client, each
 *          SPDADD waiting for its reply (what setkey does), then with up
 *          to 32 in flight.
 *   core:  spd_pfkey_request() on the same datagrams (parse, entry,
 *          spd_add, reply built), and spd_add() alone.
 *
 * References in the same run, to show where the time goes: a PF_KEY
 * round trip keyd answers alone (SADB_GET of no SA: ESRCH), and a bus
 * round trip to policyd through the broker (PingRequest).
 *
 * The ratio core/real is what the process boundaries cost. Policies:
 * distinct IPv4 /32 destinations, ESP transport require. Usage:
 * bench_spdadd [policies, default 20000]. Prints the build flags.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bench.h"
#include "bus.h"
#include "bus_msg.h"
#include "pfkey_build.h"
#include "spd_pfkey.h"

#define BIT(e)		(UINT32_C(1) << (e))
#define WINDOW		32

static char dir[40], run[64], sock_path[100], bindir[PATH_MAX];
static pid_t sup = -1;

/* The n-th SPDADD datagram: 10.0.0.0/8 -> 11.x.y.z/32, out, ESP. */
static size_t
spdadd(uint32_t n, uint8_t *buf, size_t cap)
{
	struct pfkey_msg m;
	uint32_t be = htonl(0x0b000000 + n);
	size_t len;

	memset(&m, 0, sizeof(m));
	m.hdr.version = PARAPET_PF_KEY_V2;
	m.hdr.type = PARAPET_SADB_X_SPDADD;
	m.hdr.seq = n + 1;
	m.hdr.pid = (uint32_t)getpid();
	m.present = BIT(PARAPET_SADB_EXT_ADDRESS_SRC) |
	    BIT(PARAPET_SADB_EXT_ADDRESS_DST) | BIT(PARAPET_SADB_X_EXT_POLICY);
	m.src.proto = m.dst.proto = 255;
	m.src.prefixlen = 8;
	m.src.sa.family = AF_INET;
	m.src.sa.addr[0] = 10;
	m.dst.prefixlen = 32;
	m.dst.sa.family = AF_INET;
	memcpy(m.dst.sa.addr, &be, 4);
	m.policy.type = PARAPET_IPSEC_POLICY_IPSEC;
	m.policy.dir = PARAPET_IPSEC_DIR_OUTBOUND;
	m.policy.priority = 0x80000000u;
	m.policy.nreqs = 1;
	m.policy.req[0].proto = IPPROTO_ESP;
	m.policy.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	m.policy.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	if (pfkey_build_msg(&m, buf, cap, &len) != 0)
		fatalx("cannot build SPDADD");
	return len;
}

/* ---- the pure core ---- */

static double
core_rate(uint32_t n, bool whole)
{
	struct spd_pfkey_result res;
	struct spd_pfkey pk;
	struct spd_entry e;
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct spd *db;
	uint8_t buf[256];
	uint64_t t0, t;
	size_t len;
	uint32_t i, id;

	if (spd_create(&db, 1) != 0 || spd_pfkey_init(&pk, db) != 0)
		fatalx("no memory");
	t = 0;
	for (i = 0; i < n; i++) {
		len = spdadd(i, buf, sizeof(buf));
		if (whole) {
			t0 = now_ns();
			spd_pfkey_request(&pk, buf, len, 1, &res);
			t += now_ns() - t0;
			if (res.error != 0)
				fatalx("core: SPDADD %u: errno %d", i, res.error);
		} else {
			if (pfkey_msg_parse(buf, len, &m, &why) != 0 ||
			    spd_entry_from_pfkey(&m, &e) != 0)
				fatalx("core: bad message");
			t0 = now_ns();
			if (spd_add(db, &e, 1, &id) != 0)
				fatalx("core: spd_add %u", i);
			t += now_ns() - t0;
		}
	}
	spd_pfkey_fini(&pk);
	spd_destroy(db);
	return (double)n / ((double)t / 1e9);
}

/* ---- the real path ---- */

static int
try_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request and its reply: the reply's errno, -1 on none. */
static int
rpc(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint8_t r[4096];

	if (send(fd, buf, len, 0) != (ssize_t)len)
		return -1;
	for (;;) {
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		if (recv(fd, r, sizeof(r), 0) < 16)
			return -1;
		if (r[1] == buf[1] && memcmp(r + 8, buf + 8, 8) == 0)
			return r[2];
	}
}

static void
start(void)
{
	char conf[160], logf[160], bin[PATH_MAX + 16];
	uint8_t flush[16] = { 2, PARAPET_SADB_X_SPDFLUSH, 0, 0, 2 };
	uint64_t end;
	FILE *f;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/bench-spdadd-XXXXXX");
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/pfkey.sock", run);
	snprintf(conf, sizeof(conf), "%s/parapetd.conf", dir);
	snprintf(logf, sizeof(logf), "%s/parapetd.log", dir);
	if ((f = fopen(conf, "w")) == NULL)
		fatal("%s", conf);
	fprintf(f, "[server keyd]\n[server policyd]\nafter = keyd\n"
	    "store_records = 1000000\n");
	fclose(f);
	snprintf(bin, sizeof(bin), "%s/parapetd", bindir);
	if ((sup = fork()) < 0)
		fatal("fork");
	if (sup == 0) {
		int lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		execl(bin, "parapetd", "-c", conf, "-r", run, "-b", bindir,
		    (char *)NULL);
		_exit(127);
	}
	/* Ready when an SPDFLUSH comes back without EAGAIN. */
	end = now_ns() + 15000000000ull;
	for (;;) {
		if (now_ns() > end)
			fatalx("parapetd did not come up (see %s)", logf);
		if ((fd = try_connect()) >= 0) {
			int e = rpc(fd, flush, sizeof(flush));

			close(fd);
			if (e == 0)
				break;
		}
		usleep(50000);
	}
}

/* rm -rf path, without a shell: 0 if rm ran and succeeded. */
static int
rm_rf(const char *path)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
stop(void)
{
	int st;

	if (sup > 0) {
		kill(sup, SIGTERM);
		(void)waitpid(sup, &st, 0);
	}
	if (rm_rf(dir) != 0)
		log_warnx("cannot remove %s", dir);
}

static double
real_rate(uint32_t n, uint32_t base, int window)
{
	uint8_t buf[256], r[4096];
	struct pollfd p;
	uint32_t sent = 0, got = 0;
	uint64_t t0;
	size_t len;
	int fd;

	if ((fd = try_connect()) < 0)
		fatal("connect %s", sock_path);
	p.fd = fd;
	p.events = POLLIN;
	t0 = now_ns();
	while (got < n) {
		while (sent < n && (int)(sent - got) < window) {
			len = spdadd(base + sent, buf, sizeof(buf));
			if (send(fd, buf, len, 0) != (ssize_t)len)
				fatal("send");
			sent++;
		}
		if (poll(&p, 1, 5000) <= 0)
			fatalx("no reply (%u of %u)", got, n);
		if (recv(fd, r, sizeof(r), 0) < 16)
			fatalx("short reply");
		if (r[1] != PARAPET_SADB_X_SPDADD || r[2] != 0)
			fatalx("reply type %u errno %u", r[1], r[2]);
		got++;
	}
	close(fd);
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

/* keyd alone: SADB_GET of an SA that does not exist. */
static double
keyd_rate(uint32_t n)
{
	struct pfkey_msg m;
	uint8_t buf[256];
	uint64_t t0;
	size_t len;
	uint32_t i;
	int fd;

	if ((fd = try_connect()) < 0)
		fatal("connect %s", sock_path);
	memset(&m, 0, sizeof(m));
	m.hdr.version = PARAPET_PF_KEY_V2;
	m.hdr.type = PARAPET_SADB_GET;
	m.hdr.satype = PARAPET_SADB_SATYPE_ESP;
	m.hdr.pid = (uint32_t)getpid();
	m.present = BIT(PARAPET_SADB_EXT_SA) |
	    BIT(PARAPET_SADB_EXT_ADDRESS_SRC) | BIT(PARAPET_SADB_EXT_ADDRESS_DST);
	m.sa.spi = 0x1000;
	m.src.sa.family = m.dst.sa.family = AF_INET;
	m.src.prefixlen = m.dst.prefixlen = 32;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		m.hdr.seq = i + 1;
		if (pfkey_build_msg(&m, buf, sizeof(buf), &len) != 0 ||
		    rpc(fd, buf, len) != ESRCH)
			fatalx("SADB_GET: no ESRCH");
	}
	close(fd);
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

struct ping {
	uv_loop_t		 loop;
	struct bus_client	*bc;
	bool			 up;
	bool			 got;
};

static void
ping_up(struct bus_client *bc, void *arg)
{
	(void)bc;
	((struct ping *)arg)->up = true;
}

static void
ping_reply(struct bus_client *bc, int error, const struct bus_msg *r,
    void *arg)
{
	(void)bc;
	(void)r;
	if (error != 0)
		fatalx("ping policyd: %s", strerror(-error));
	((struct ping *)arg)->got = true;
}

/* Bus round trips to policyd through the broker, one at a time. */
static double
bus_rate(uint32_t n)
{
	struct bus_client_cfg cfg;
	Parapet__PingRequest rq;
	struct ping p;
	char path[160];
	uint64_t t0 = 0;
	uint32_t i;

	memset(&p, 0, sizeof(p));
	if (uv_loop_init(&p.loop) != 0)
		fatalx("uv_loop_init");
	snprintf(path, sizeof(path), "%s/bus.sock", run);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.name = "bench-spdadd";
	cfg.on_connect = ping_up;
	cfg.arg = &p;
	if (bus_client_create(&p.loop, &cfg, &p.bc) != 0)
		fatalx("bus client");
	while (!p.up)
		uv_run(&p.loop, UV_RUN_ONCE);
	parapet__ping_request__init(&rq);
	for (i = 0; i <= n; i++) {
		if (i == 1)
			t0 = now_ns();	/* the first one warms up */
		p.got = false;
		if (bus_request(p.bc, "policyd", PARAPET__MSG_TYPE__MSG_PING_REQUEST,
		    &rq.base, 0, ping_reply, &p) != 0)
			fatalx("bus_request");
		while (!p.got)
			uv_run(&p.loop, UV_RUN_ONCE);
	}
	t0 = now_ns() - t0;
	bus_client_destroy(p.bc);
	uv_run(&p.loop, UV_RUN_NOWAIT);
	(void)uv_loop_close(&p.loop);
	return (double)n / ((double)t0 / 1e9);
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 20000;
	const char *b = getenv("PARAPET_BINDIR");
	double core_all, core_add, one, win, kd, bus;
	char self[PATH_MAX - 16], *slash;
	ssize_t k;

	log_init("bench_spdadd", false);
	if (n == 0)
		n = 20000;
	if (b != NULL)
		snprintf(bindir, sizeof(bindir), "%s", b);
	else {
		if ((k = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
			fatal("readlink");
		self[k] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		snprintf(bindir, sizeof(bindir), "%s/../bin", self);
	}
	printf("bench_spdadd: %u policies; build: %s\n", n, BENCH_BUILD);
	core_all = core_rate(n, true);
	core_add = core_rate(n, false);
	start();
	one = real_rate(n, 0, 1);
	win = real_rate(n, n, WINDOW);
	kd = keyd_rate(n);
	bus = bus_rate(n);
	stop();
	printf("core spd_pfkey_request (parse, add, reply): %10.0f SPDADD/s\n",
	    core_all);
	printf("core spd_add alone:                         %10.0f SPDADD/s\n",
	    core_add);
	printf("keyd+policyd, one at a time:                %10.0f SPDADD/s "
	    "(%.1f us each)\n", one, 1e6 / one);
	printf("keyd+policyd, %d in flight:                 %10.0f SPDADD/s\n",
	    WINDOW, win);
	printf("reference: keyd alone (SADB_GET, ESRCH):    %10.0f /s "
	    "(%.1f us each)\n", kd, 1e6 / kd);
	printf("reference: bus ping to policyd via broker:  %10.0f /s "
	    "(%.1f us each)\n", bus, 1e6 / bus);
	printf("ratio core (request) / real (one at a time): %.1f\n",
	    core_all / one);
	printf("ratio real / (keyd alone + bus round trip):  %.2f\n",
	    (1e6 / one) / (1e6 / kd + 1e6 / bus));
	return 0;
}
