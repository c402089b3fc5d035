/*
 * bench_ipsecd_ring.c - the real ipsecd through the rings, against raw
 * libsodium AES-256-GCM on the same slot buffers in the same run.
 *
 * This program is netd's side (ring side A) of one or two regions, run by
 * parapetd as [server netd] through the ordinary handoff, with keyd and
 * the real ipsecd as side B (bench/bench_ipsecd_ring.sh writes the
 * configuration, adds one ESP AES-256-GCM transport SA through keyd's
 * PF_KEY socket and then writes the "go" file this program waits for).
 *
 *   producer (this process)                       ipsecd (other process)
 *   every free slot: metadata block + packet  ->  work ring
 *   each slot back on the done ring: refilled <-  ESP, in place
 *   and sent again (every slot stays in flight, busy-polled)
 *
 * Refill: "full" writes the block and every packet byte again (what netd
 * does with a packet read from a link), "head" only the block and the
 * first 64 packet bytes (the IP header ipsecd parses; the rest is left).
 *
 * Reference, same run, interleaved round by round with the ring figure:
 * crypto_aead_aes256gcm_encrypt_detached_afternm() in place over the same
 * rotating set of slots (every slot of the region, in order), the packet
 * at the same offset and of the same length, the tag into the tailroom.
 * Reported per size: median packets/s of both, median ratio (min..max),
 * and ipsecd's CPU time per packet (/proc/PID/schedstat, ns) with its
 * busy fraction; "cpu ratio" is the reference's CPU time per packet
 * (CLOCK_THREAD_CPUTIME_ID) / ipsecd's CPU time per packet: less
 * sensitive to a loaded machine than the wall-clock ratio, and a lower
 * bound (ipsecd's CPU time includes its spinning while it waits).
 *
 * Go file ($PARAPET_BENCH_GO), one line:
 *   ipsecd_pid ms_per_round rounds full|head size...
 * Results go to $PARAPET_BENCH_OUT, ending with a line "done" (or
 * "failed: why"). A size goes to the first region whose slots hold it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "ip_hdr.h"
#include "log.h"
#include "pkt_ring.h"
#include "ring.h"
#include "server.h"

#define MAX_REGIONS	2
#define MAX_SIZES	8
#define MAX_ROUNDS	32
#define BATCH		64
#define TAG_BYTES	16
#define ESP_GROWTH	64		/* tailroom ESP may use, at most */
#define HEAD_BYTES	64

struct bench {
	struct server		*srv;
	struct ring_region	*r[MAX_REGIONS];
	size_t			 nr;
	uv_timer_t		 timer;
	const char		*go_path;
	FILE			*out;
	long			 ipsecd;
	unsigned		 ms, rounds, nsizes;
	bool			 full;
	unsigned		 sizes[MAX_SIZES];
	uint8_t			 meta[PKT_META_BYTES];
	uint8_t			 pkt[65536];
	struct ring_desc	 d[BATCH];
	crypto_aead_aes256gcm_state *st;
};

/* One round of one side: packets, nanoseconds, ipsecd CPU seconds. */
struct figure {
	uint64_t	pkts;		/* returned in the time */
	uint64_t	done;		/* returned in all */
	uint64_t	ok;
	uint64_t	ns;
	double		cpu_s;
};

static struct bench bench_g;

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 != 0 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* CPU time of a process's main thread, in seconds (schedstat: ns). */
static double
proc_cpu_s(long pid)
{
	unsigned long long ns;
	char path[64], buf[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	errno = 0;
	ns = strtoull(buf, NULL, 10);
	return errno != 0 ? 0 : (double)ns / 1e9;
}

/* This thread's CPU time in ns. */
static uint64_t
thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An IPv4/UDP packet of n bytes, 10.0.0.1 -> 10.0.0.2 (the SA's). */
static void
make_packet(uint8_t *p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7u);
	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	ip4_csum_set(p, 20);
	p[20] = 0x12;
	p[22] = 0x34;
	p[24] = (uint8_t)((n - 20) >> 8);
	p[25] = (uint8_t)(n - 20);
}

/* The metadata block of an outbound packet: one ESP transport request. */
static int
make_meta(uint8_t *slot_img)
{
	enum pkt_meta_reject why;
	struct pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.op = PKT_OP_PROTECT;
	m.n = 1;
	m.ttl = 64;
	m.e[0].proto = PKT_PROTO_ESP;
	m.e[0].mode = PKT_MODE_TRANSPORT;
	m.e[0].level = PKT_LEVEL_REQUIRE;
	m.e[0].policy_id = 1;
	return pkt_meta_encode(&m, PKT_META_WORK, slot_img, PKT_META_BYTES,
	    &why);
}

static void
load(struct bench *b, struct ring_region *r, struct ring_desc *d,
    unsigned n, bool all)
{
	uint16_t off = (uint16_t)ring_region_geom(r)->headroom;
	uint8_t *p = ring_slot(r, d->slot);

	memcpy(p, b->meta, PKT_META_BYTES);
	memcpy(p + off, b->pkt, all || n < HEAD_BYTES ? n : HEAD_BYTES);
	d->off = off;
	d->len = (uint16_t)n;
	d->op = PKT_OP_PROTECT;
	d->result = 0;
	d->flags = 0;
	d->hint = 0;
}

/* Every free slot filled and sent; returns how many are in flight. */
static unsigned
fill_all(struct bench *b, struct ring_region *r, unsigned n)
{
	unsigned k, inflight = 0;
	uint32_t slot;

	for (;;) {
		for (k = 0; k < BATCH && ring_slot_alloc(r, &slot) == 0; k++) {
			memset(&b->d[k], 0, sizeof(b->d[k]));
			b->d[k].slot = slot;
			load(b, r, &b->d[k], n, true);
		}
		if (k == 0 || ring_send(r, b->d, k) != 0)
			return inflight;
		inflight += k;
	}
}

/* Busy-poll for dur_ns: whatever comes back is refilled and resent. */
static void
ring_round(struct bench *b, struct ring_region *r, unsigned n,
    uint64_t dur_ns, struct figure *f)
{
	unsigned i, inflight = fill_all(b, r, n);
	uint64_t t0 = now_ns(), t;
	double c0 = proc_cpu_s(b->ipsecd);
	bool stop = false;
	int m;

	memset(f, 0, sizeof(*f));
	t = t0;
	while (inflight > 0) {
		if ((m = ring_recv(r, b->d, BATCH)) <= 0)
			continue;
		inflight -= (unsigned)m;
		f->done += (unsigned)m;
		for (i = 0; i < (unsigned)m; i++)
			f->ok += b->d[i].result == 0;
		if (!stop) {
			f->pkts += (unsigned)m;
			t = now_ns();
			stop = t - t0 >= dur_ns;
		}
		if (stop) {
			for (i = 0; i < (unsigned)m; i++)
				if (ring_slot_free(r, b->d[i].slot) != 0)
					log_warnx("bench: free slot");
			continue;
		}
		for (i = 0; i < (unsigned)m; i++)
			load(b, r, &b->d[i], n, b->full);
		if (ring_send(r, b->d, (unsigned)m) == 0)
			inflight += (unsigned)m;
	}
	f->ns = t - t0;
	f->cpu_s = proc_cpu_s(b->ipsecd) - c0;
}

/* Raw AES-256-GCM in place over every slot in turn, for dur_ns. */
static void
ref_round(struct bench *b, struct ring_region *r, unsigned n,
    uint64_t dur_ns, struct figure *f)
{
	const struct ring_geom *g = ring_region_geom(r);
	uint8_t nonce[crypto_aead_aes256gcm_NPUBBYTES] = { 0 };
	uint64_t t0 = now_ns(), t = t0, c0 = thread_ns(), ctr = 0;
	uint32_t s;
	uint8_t *p;

	memset(f, 0, sizeof(*f));
	while (t - t0 < dur_ns) {
		for (s = 0; s < g->nslots; s++) {
			p = ring_slot(r, s) + g->headroom;
			ctr++;
			memcpy(nonce + 4, &ctr, sizeof(ctr));
			crypto_aead_aes256gcm_encrypt_detached_afternm(p,
			    p + n, NULL, p, n, NULL, 0, NULL, nonce, b->st);
		}
		f->pkts += g->nslots;
		t = now_ns();
	}
	f->ok = f->done = f->pkts;
	f->ns = t - t0;
	f->cpu_s = (double)(thread_ns() - c0) / 1e9;
}

static struct ring_region *
region_for(struct bench *b, unsigned n)
{
	const struct ring_geom *g;
	size_t i;

	for (i = 0; i < b->nr; i++) {
		g = ring_region_geom(b->r[i]);
		if (g->headroom + n + ESP_GROWTH <= g->slot_bytes)
			return b->r[i];
	}
	return NULL;
}

/* One packet through ipsecd until it comes back OK: the SA is there. */
static bool
probe(struct bench *b, struct ring_region *r, unsigned n)
{
	uint64_t t0 = now_ns(), tw;
	uint32_t slot;
	int m;

	while (now_ns() - t0 < UINT64_C(20000000000)) {
		if (ring_slot_alloc(r, &slot) != 0)
			return false;
		memset(&b->d[0], 0, sizeof(b->d[0]));
		b->d[0].slot = slot;
		load(b, r, &b->d[0], n, true);
		if (ring_send(r, b->d, 1) != 0)
			return false;
		tw = now_ns();
		while ((m = ring_recv(r, b->d, 1)) == 0 &&
		    now_ns() - tw < UINT64_C(2000000000))
			;
		if (m != 1)
			return false;
		if (ring_slot_free(r, b->d[0].slot) != 0)
			return false;
		if (b->d[0].result == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static void
report(struct bench *b, unsigned n, struct figure *rf, struct figure *ff,
    unsigned rounds)
{
	double pps[MAX_ROUNDS], ref[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double cpu[MAX_ROUNDS], busy[MAX_ROUNDS], cratio[MAX_ROUNDS];
	double rmed, mn = 1e9, mx = 0;
	unsigned i;

	for (i = 0; i < rounds; i++) {
		pps[i] = (double)rf[i].pkts * 1e9 / (double)rf[i].ns;
		ref[i] = (double)ff[i].pkts * 1e9 / (double)ff[i].ns;
		ratio[i] = pps[i] / ref[i];
		mn = ratio[i] < mn ? ratio[i] : mn;
		mx = ratio[i] > mx ? ratio[i] : mx;
		cpu[i] = rf[i].cpu_s * 1e6 / (double)rf[i].pkts;
		busy[i] = 100 * rf[i].cpu_s * 1e9 / (double)rf[i].ns;
		cratio[i] = cpu[i] > 0 ? ff[i].cpu_s * 1e6 /
		    (double)ff[i].pkts / cpu[i] : 0;
	}
	rmed = median(ratio, rounds);
	fprintf(b->out, "%5u B: ring %8.0f pkt/s  raw %8.0f pkt/s  ratio "
	    "%.3f (%.3f..%.3f)  ipsecd %.3f us/pkt, %3.0f%% busy, cpu ratio "
	    "%.3f\n", n, median(pps, rounds), median(ref, rounds), rmed, mn,
	    mx, median(cpu, rounds), median(busy, rounds),
	    median(cratio, rounds));
	fflush(b->out);
}

static int
run_size(struct bench *b, unsigned n)
{
	struct figure rf[MAX_ROUNDS], ff[MAX_ROUNDS];
	struct ring_region *r = region_for(b, n);
	uint64_t dur = (uint64_t)b->ms * 1000000u;
	unsigned i;

	if (r == NULL) {
		fprintf(b->out, "%u B: no region with slots that large\n", n);
		return 0;
	}
	make_packet(b->pkt, n);
	if (!probe(b, r, n)) {
		fprintf(b->out, "failed: %u B: ipsecd does not protect\n", n);
		return -1;
	}
	for (i = 0; i < b->rounds; i++) {
		ring_round(b, r, n, dur, &rf[i]);
		if (rf[i].ok != rf[i].done || rf[i].pkts == 0) {
			fprintf(b->out, "failed: %u B: %" PRIu64 " of %" PRIu64
			    " ok\n", n, rf[i].ok, rf[i].done);
			return -1;
		}
		ref_round(b, r, n, dur, &ff[i]);
	}
	report(b, n, rf, ff, b->rounds);
	return 0;
}

/* "pid ms rounds full|head size..." */
static int
parse_go(struct bench *b, char *line)
{
	char *tok, *save = NULL, *end;
	unsigned long v;
	unsigned i = 0;

	while ((tok = strtok_r(i == 0 ? line : NULL, " \t\n", &save)) !=
	    NULL) {
		if (i == 3) {
			b->full = strcmp(tok, "head") != 0;
			i++;
			continue;
		}
		errno = 0;
		v = strtoul(tok, &end, 10);
		if (errno != 0 || *end != '\0' || v == 0 || v > 1000000)
			return -EINVAL;
		if (i == 0)
			b->ipsecd = (long)v;
		else if (i == 1)
			b->ms = (unsigned)v;
		else if (i == 2)
			b->rounds = v > MAX_ROUNDS ? MAX_ROUNDS : (unsigned)v;
		else if (b->nsizes < MAX_SIZES)
			b->sizes[b->nsizes++] = (unsigned)v;
		i++;
	}
	return b->nsizes > 0 ? 0 : -EINVAL;
}

static void
run_all(struct bench *b)
{
	unsigned i;

	fprintf(b->out, "bench_ipsecd_ring: %s\nrefill %s, %u rounds of %u "
	    "ms, ESP transport AES-256-GCM, ipsecd pid %ld\n", BENCH_BUILD,
	    b->full ? "full" : "head", b->rounds, b->ms, b->ipsecd);
	for (i = 0; i < b->nr; i++)
		fprintf(b->out, "region %zu: %u slots of %u bytes, headroom "
		    "%u\n", (size_t)i, ring_region_geom(b->r[i])->nslots,
		    ring_region_geom(b->r[i])->slot_bytes,
		    ring_region_geom(b->r[i])->headroom);
	for (i = 0; i < b->nsizes; i++)
		if (run_size(b, b->sizes[i]) != 0)
			return;
	fprintf(b->out, "done\n");
}

static void
on_timer(uv_timer_t *t)
{
	struct bench *b = t->data;
	char line[256];
	FILE *f;

	if ((f = fopen(b->go_path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return;
	}
	fclose(f);
	if (unlink(b->go_path) != 0)
		log_warn("bench: %s", b->go_path);
	(void)uv_timer_stop(t);
	if (parse_go(b, line) != 0)
		fprintf(b->out, "failed: bad go line\n");
	else
		run_all(b);
	fflush(b->out);
}

static int
bench_init(struct server *srv, void *arg)
{
	struct bench *b = arg;
	const char *out = getenv("PARAPET_BENCH_OUT");
	uint8_t key[crypto_aead_aes256gcm_KEYBYTES];
	size_t i;

	b->srv = srv;
	b->go_path = getenv("PARAPET_BENCH_GO");
	b->nr = server_nregions(srv);
	if (b->go_path == NULL || out == NULL || b->nr == 0 ||
	    b->nr > MAX_REGIONS || sodium_init() < 0 ||
	    !crypto_aead_aes256gcm_is_available()) {
		log_warnx("bench: needs PARAPET_BENCH_GO, PARAPET_BENCH_OUT, "
		    "1..2 regions and AES-NI");
		return -1;
	}
	if ((b->out = fopen(out, "w")) == NULL)
		return -1;
	for (i = 0; i < b->nr; i++)
		b->r[i] = server_region(srv, i, NULL);
	if (make_meta(b->meta) != 0 ||
	    (b->st = sodium_malloc(sizeof(*b->st))) == NULL)
		return -1;
	randombytes_buf(key, sizeof(key));
	crypto_aead_aes256gcm_beforenm(b->st, key);
	uv_timer_init(server_loop(srv), &b->timer);
	b->timer.data = b;
	uv_timer_start(&b->timer, on_timer, 100, 100);
	return 0;
}

static void
bench_fini(struct server *srv, void *arg)
{
	struct bench *b = arg;

	(void)srv;
	if (b->out != NULL)
		fclose(b->out);
	b->out = NULL;
	sodium_free(b->st);
}

static const struct server_def bench_def = {
	.name = "netd",
	.region_side = RING_SIDE_A,
	.init = bench_init,
	.fini = bench_fini,
	.arg = &bench_g,
};

int
main(int argc, char **argv)
{
	return server_main(argc, argv, &bench_def);
}
