/*
 * bench_ring.c - common/ring between two processes.
 *
 * 1. Throughput: side A (this process) keeps the pool in flight; side B (a
 *    child on the other core) receives and sends back. Items/s through the
 *    work ring (each item also crosses the done ring), for batches of 1, 8
 *    and 32, busy-polled, doorbell-only (sleep as soon as a ring is empty)
 *    and adaptive (spin ~30 us, then sleep). Reference: the same loop with
 *    both sides in one process on one core (no cross-core traffic).
 * 2. Ping-pong latency: one descriptor there and back, ring + doorbell
 *    against a Unix SOCK_SEQPACKET socketpair, same core and across cores;
 *    median and p99.
 *
 * Usage: bench_ring [seconds per throughput run and per latency figure,
 *        default 0.5]
 * Environment: PARAPET_SEED (descriptor hints only; printed).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "log.h"
#include "ring.h"


enum mode { BUSY, BELL, ADAPT, NMODES };
static const char *const mode_name[NMODES] = { "busy-poll", "doorbell",
	"adaptive" };

#define ADAPT_US	30		/* spin budget before sleeping */
#define PP_MAX		200000		/* ping-pong samples, at most */

static const struct ring_geom geom = { 1024, 256, 64, 64 };

struct shared {
	_Atomic int	 ready;
	_Atomic int	 stop;
	uint64_t	 sleeps, bells;
};

static uint32_t adapt_iters;	/* ring_spin iterations in ADAPT_US */
static uint64_t seed;



struct region {
	int	fd;
	int	efd[2];
};

static void
region_open(struct region *g)
{
	uint8_t uuid[RING_UUID_LEN] = { 0 };

	if (ring_region_create(&geom, "bench", uuid, &g->fd) != 0 ||
	    ring_doorbells_create(g->efd) != 0)
		fatalx("region create");
}

static void
region_close(struct region *g)
{
	close(g->fd);
	close(g->efd[0]);
	close(g->efd[1]);
}

static struct ring_region *
attach(struct region *g, enum ring_side side)
{
	struct ring_region *r;

	if (ring_region_attach(&r, g->fd, side, g->efd) != 0)
		fatalx("attach");
	return r;
}

/* Wait for inbound work as `m` says; false when told to stop. */
static bool
wait_in(struct ring_region *r, enum mode m, _Atomic int *stop)
{
	for (;;) {
		if (atomic_load_explicit(stop, memory_order_relaxed))
			return false;
		switch (m) {
		case BUSY:
			if (ring_spin(r, 4096))
				return true;
			break;
		case BELL:
		case ADAPT:
			if (ring_wait(r, m == BELL ? 0 : adapt_iters, 20) == 0)
				return true;
			break;
		default:
			abort();
		}
	}
}

/* Iterations of ring_spin() on an empty ring per microsecond. */
static void
calibrate(void)
{
	struct ring_region *a;
	struct region g;
	uint64_t t0, ns;
	uint32_t n = 200000;

	region_open(&g);
	a = attach(&g, RING_SIDE_A);
	t0 = now_ns();
	(void)ring_spin(a, n);
	ns = now_ns() - t0;
	adapt_iters = (uint32_t)((uint64_t)n * ADAPT_US * 1000 / ns);
	printf("spin: %.1f ns per iteration; adaptive budget %d us = %u "
	    "iterations\n", (double)ns / n, ADAPT_US, adapt_iters);
	ring_region_detach(a);
	region_close(&g);
}

/* ---- throughput ---- */

static void NORETURN
echo_child(struct region *g, struct shared *sh, enum mode m, unsigned batch,
    int cpu)
{
	struct ring_desc d[64];
	struct ring_region *b;
	int k;

	pin(cpu);
	b = attach(g, RING_SIDE_B);
	atomic_store(&sh->ready, 1);
	for (;;) {
		if ((k = ring_recv(b, d, batch)) > 0) {
			if (ring_send(b, d, (unsigned)k) != 0)
				_exit(2);
			continue;
		}
		if (k < 0)
			_exit(2);
		if (!wait_in(b, m, &sh->stop))
			break;
	}
	sh->sleeps = ring_region_stats(b)->sleeps;
	sh->bells = ring_region_stats(b)->bells;
	_exit(0);
}

/* Put the whole pool in flight, in batches. */
static void
prime(struct ring_region *a, unsigned batch)
{
	struct ring_desc d[64];
	uint32_t s[64];
	unsigned i, n;

	while ((n = ring_slot_alloc_n(a, s, batch)) > 0) {
		for (i = 0; i < n; i++)
			d[i] = (struct ring_desc){ .slot = s[i],
			    .off = (uint16_t)geom.headroom, .len = 64,
			    .hint = (uint32_t)seed };
		if (ring_send(a, d, n) != 0)
			fatalx("prime");
	}
}

struct tp {
	double	 mps;		/* M items/s */
	double	 sleeps;	/* per 1000 items, both sides */
};

static struct tp
throughput(enum mode m, unsigned batch, double secs)
{
	struct ring_desc d[64];
	struct ring_region *a;
	struct shared *sh;
	struct region g;
	uint64_t items = 0, t0, t = 0, dur = (uint64_t)(secs * 1e9);
	unsigned iter = 0;
	struct tp out;
	pid_t pid;
	int k;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		fatal("mmap");
	region_open(&g);
	if ((pid = fork()) == 0)
		echo_child(&g, sh, m, batch, 1);
	pin(0);
	a = attach(&g, RING_SIDE_A);
	while (!atomic_load(&sh->ready))
		sched_yield();
	prime(a, batch);
	t0 = now_ns();
	for (;;) {
		if ((k = ring_recv(a, d, batch)) > 0) {
			items += (unsigned)k;
			if (ring_send(a, d, (unsigned)k) != 0)
				fatalx("send");
		} else if (k < 0 || !wait_in(a, m, &sh->stop)) {
			fatalx("recv");
		}
		if ((++iter & 255) == 0 && (t = now_ns()) - t0 >= dur)
			break;
	}
	atomic_store(&sh->stop, 1);
	waitpid(pid, NULL, 0);
	out.mps = (double)items / ((double)(t - t0) / 1e9) / 1e6;
	out.sleeps = (double)(ring_region_stats(a)->sleeps + sh->sleeps) *
	    1000 / (double)items;
	ring_region_detach(a);
	region_close(&g);
	munmap(sh, sizeof(*sh));
	return out;
}

/* Reference: both sides in this process, one core, same batches. */
static double
throughput_local(unsigned batch, double secs)
{
	struct ring_desc d[64];
	struct ring_region *a, *b;
	struct region g;
	uint64_t items = 0, t0, t = 0, dur = (uint64_t)(secs * 1e9);
	unsigned iter = 0;
	int k;

	pin(0);
	region_open(&g);
	a = attach(&g, RING_SIDE_A);
	b = attach(&g, RING_SIDE_B);
	prime(a, batch);
	t0 = now_ns();
	for (;;) {
		k = ring_recv(b, d, batch);
		if (k <= 0 || ring_send(b, d, (unsigned)k) != 0)
			fatalx("local b");
		k = ring_recv(a, d, batch);
		if (k <= 0 || ring_send(a, d, (unsigned)k) != 0)
			fatalx("local a");
		items += (unsigned)k;
		if ((++iter & 255) == 0 && (t = now_ns()) - t0 >= dur)
			break;
	}
	ring_region_detach(a);
	ring_region_detach(b);
	region_close(&g);
	return (double)items / ((double)(t - t0) / 1e9) / 1e6;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define NBATCH	3
#define ROUNDS	3

/*
 * Rounds interleave the reference and every mode, so that a slow second
 * on a shared host lands in one round rather than in one figure; each
 * figure is the median over rounds.
 */
static void
bench_throughput(double secs)
{
	static const unsigned batches[NBATCH] = { 1, 8, 32 };
	double ref[NBATCH][ROUNDS], mps[NMODES][NBATCH][ROUNDS];
	double sl[NMODES][NBATCH][ROUNDS], r;
	struct tp tp;
	int i, m, k;

	for (k = 0; k < ROUNDS; k++)
		for (i = 0; i < NBATCH; i++) {
			ref[i][k] = throughput_local(batches[i], secs / 2);
			for (m = 0; m < NMODES; m++) {
				tp = throughput((enum mode)m, batches[i], secs);
				mps[m][i][k] = tp.mps;
				sl[m][i][k] = tp.sleeps;
			}
		}
	printf("\n== throughput: items/s A->B->A across cores (pool of %u "
	    "slots in flight); median of %d rounds of %.1f s ==\n",
	    geom.nslots, ROUNDS, secs);
	printf("reference: both sides in one process on one core\n");
	for (i = 0; i < NBATCH; i++)
		printf("  batch %2u  reference %7.1f M/s\n", batches[i],
		    median(ref[i], ROUNDS));
	printf("%-10s %5s %12s %10s %18s\n", "mode", "batch", "M items/s",
	    "vs ref", "sleeps/1000 items");
	for (m = 0; m < NMODES; m++)
		for (i = 0; i < NBATCH; i++) {
			r = median(mps[m][i], ROUNDS);
			printf("%-10s %5u %12.1f %9.2fx %18.2f\n",
			    mode_name[m], batches[i], r,
			    r / median(ref[i], ROUNDS),
			    median(sl[m][i], ROUNDS));
		}
	printf("target: >= 50 M items/s busy-polled with batch 32\n");
}

/* ---- ping-pong latency ---- */

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

struct lat {
	double	 med_us, p99_us;
	size_t	 n;
};

static struct lat
summarize(uint64_t *v, size_t n)
{
	struct lat l;

	size_t mid = n / 2, p99 = n * 99 / 100;

	qsort(v, n, sizeof(*v), cmp_u64);
	l.n = n;
	l.med_us = (double)v[mid] / 1e3;
	l.p99_us = (double)v[p99] / 1e3;
	return l;
}

static void NORETURN
pong_ring(struct region *g, struct shared *sh, enum mode m, int cpu)
{
	struct ring_desc d;
	struct ring_region *b;

	pin(cpu);
	b = attach(g, RING_SIDE_B);
	atomic_store(&sh->ready, 1);
	while (wait_in(b, m, &sh->stop))
		if (ring_recv(b, &d, 1) == 1 && ring_send(b, &d, 1) != 0)
			_exit(2);
	_exit(0);
}

static struct lat
pingpong_ring(enum mode m, int cpu_a, int cpu_b, uint64_t *v, double secs)
{
	struct ring_region *a;
	struct shared *sh;
	struct ring_desc d;
	struct region g;
	uint64_t t, end;
	size_t n = 0;
	uint32_t s;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		fatal("mmap");
	region_open(&g);
	if ((pid = fork()) == 0)
		pong_ring(&g, sh, m, cpu_b);
	pin(cpu_a);
	a = attach(&g, RING_SIDE_A);
	while (!atomic_load(&sh->ready))
		sched_yield();
	if (ring_slot_alloc(a, &s) != 0)
		fatalx("alloc");
	d = (struct ring_desc){ .slot = s, .off = 64, .len = 64 };
	end = now_ns() + (uint64_t)(secs * 1e9);
	while (n < PP_MAX && (t = now_ns()) < end) {
		if (ring_send(a, &d, 1) != 0)
			fatalx("send");
		while (ring_recv(a, &d, 1) != 1)
			if (!wait_in(a, m, &sh->stop))
				fatalx("wait");
		v[n++] = now_ns() - t;
	}
	atomic_store(&sh->stop, 1);
	waitpid(pid, NULL, 0);
	ring_region_detach(a);
	region_close(&g);
	munmap(sh, sizeof(*sh));
	return summarize(v + n / 10, n - n / 10);	/* drop warm-up */
}

static struct lat
pingpong_seqpacket(int cpu_a, int cpu_b, uint64_t *v, double secs)
{
	uint8_t msg[16] = { 0 };
	uint64_t t, end;
	size_t n = 0;
	pid_t pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		fatal("socketpair");
	if ((pid = fork()) == 0) {
		close(sv[0]);
		pin(cpu_b);
		while (read(sv[1], msg, sizeof(msg)) == (ssize_t)sizeof(msg))
			if (write(sv[1], msg, sizeof(msg)) != sizeof(msg))
				_exit(2);
		_exit(0);
	}
	close(sv[1]);
	pin(cpu_a);
	end = now_ns() + (uint64_t)(secs * 1e9);
	while (n < PP_MAX && (t = now_ns()) < end) {
		if (write(sv[0], msg, sizeof(msg)) != sizeof(msg) ||
		    read(sv[0], msg, sizeof(msg)) != sizeof(msg))
			fatal("seqpacket");
		v[n++] = now_ns() - t;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return summarize(v + n / 10, n - n / 10);
}

static void
print_lat(const char *what, struct lat l, struct lat ref)
{
	printf("  %-28s %9.2f %9.2f %9.2fx %8zu\n", what, l.med_us, l.p99_us,
	    l.med_us / ref.med_us, l.n);
}

static void
bench_latency(double secs)
{
	static const struct {
		const char	*name;
		int		 cpu_b;
	} where[] = { { "same core (0, 0)", 0 }, { "across cores (0, 1)", 1 } };
	struct lat ref, l;
	uint64_t *v;
	size_t w;
	int m;

	if ((v = calloc(PP_MAX, sizeof(*v))) == NULL)
		fatal("calloc");
	printf("\n== ping-pong latency: one message there and back, us ==\n");
	for (w = 0; w < nitems(where); w++) {
		printf("%s\n  %-28s %9s %9s %10s %8s\n", where[w].name, "",
		    "median", "p99", "vs sock", "samples");
		ref = pingpong_seqpacket(0, where[w].cpu_b, v, secs);
		print_lat("SOCK_SEQPACKET socketpair", ref, ref);
		for (m = 0; m < NMODES; m++) {
			/*
			 * A busy-polling peer on the same core only runs when
			 * the scheduler preempts us: milliseconds, not a
			 * figure worth printing.
			 */
			if (m == BUSY && where[w].cpu_b == 0)
				continue;
			l = pingpong_ring((enum mode)m, 0, where[w].cpu_b, v,
			    secs);
			print_lat(m == BUSY ? "ring busy-poll" : m == BELL ?
			    "ring + doorbell (no spin)" :
			    "ring adaptive (spin+bell)", l, ref);
		}
	}
	free(v);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	const char *s = getenv("PARAPET_SEED");

	log_init("bench_ring", false);
	seed = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	printf("bench_ring: seed %" PRIu64 ", build: %s\n", seed, BENCH_BUILD);
	printf("cpus online: %ld; geometry %u slots x %u bytes\n",
	    sysconf(_SC_NPROCESSORS_ONLN), geom.nslots, geom.slot_bytes);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		fatalx("needs two cpus");
	calibrate();
	bench_throughput(secs);
	bench_latency(secs);
	return 0;
}
