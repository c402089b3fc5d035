/*
 * bench_netd.c - netd's per-packet cost, against a bare memcpy of the
 * same packet measured in the same run:
 *
 *  1. pkt_parse() + decide() per packet (ns), 1400-byte and 64-byte
 *     IPv4 TCP packets, with an empty SPD and with 10 k policies
 *     (outbound, a mix of prefix-length pairs, protocol any or TCP/UDP
 *     with a port, random priorities; 90 % of the packets fall inside a
 *     random policy's selector);
 *  2. the in-memory link: frames through bridge_pump() between two
 *     pairs of in-memory links (batches of 64), packets/s and Gbit/s,
 *     against the memcpy of each frame into the queue and out again
 *     that the in-memory link costs anyway.
 *
 * Rounds interleave the reference and the modes; medians are printed
 * (the machine is shared). Times are this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so time slices given to others do not count. Seed: PARAPET_SEED, printed with the build
 * flags. Usage: bench_netd [packets per round, default 2000000].
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench.h"
#include "bridge.h"
#include "decide.h"
#include "pkt.h"
#include "prng.h"
#include "../tests/unit/netd/pktgen.h"

#define ROUNDS		5
#define NPKTS		1024	/* distinct packets cycled through */
#define NPOL		10000

static uint64_t rng;

/* CPU time (bench.h's cpu_ns), not wall time: builds share the two
 * vCPUs, and wall time would count the time others ran. */
#define now_ns	cpu_ns
static volatile uint64_t sink;

static uint8_t pkts[NPKTS][1500];
static uint32_t plen[NPKTS];
static uint8_t copy[1500];

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void
rand_entry(struct spd_entry *e)
{
	static const uint8_t pl[][2] = { { 32, 32 }, { 24, 24 }, { 32, 24 },
	    { 24, 32 }, { 16, 24 }, { 24, 16 }, { 16, 16 }, { 8, 8 } };
	size_t i = prng_below(&rng, nitems(pl));
	uint32_t a = (uint32_t)prng_next(&rng), b = (uint32_t)prng_next(&rng);

	memset(e, 0, sizeof(*e));
	e->sel.family = AF_INET;
	e->sel.src_plen = pl[i][0];
	e->sel.dst_plen = pl[i][1];
	memcpy(e->sel.src, &a, 4);
	memcpy(e->sel.dst, &b, 4);
	e->sel.src[0] = 10;
	e->sel.dst[0] = 172;
	switch (prng_below(&rng, 3)) {
	case 0:
		e->sel.proto = SPD_PROTO_ANY;
		break;
	case 1:
		e->sel.proto = IPPROTO_TCP;
		e->sel.dport = (uint16_t)(1 + prng_below(&rng, 1024));
		break;
	default:
		e->sel.proto = IPPROTO_UDP;
		e->sel.dport = (uint16_t)(1 + prng_below(&rng, 1024));
		break;
	}
	e->dir = SPD_DIR_OUT;
	e->action = prng_below(&rng, 2) ? SPD_ACTION_NONE : SPD_ACTION_DISCARD;
	e->priority = (uint32_t)prng_next(&rng);
}

/* Packets of size bytes; with policies, 90 % inside one's selector. */
static void
make_pkts(size_t size, const struct spd_entry *pol, size_t npol)
{
	uint8_t l4[1500];
	char s[32], d[32];
	size_t i, n;

	for (i = 0; i < NPKTS; i++) {
		uint8_t sa[4], da[4];
		uint16_t dport = (uint16_t)(1 + prng_below(&rng, 1024));
		uint32_t r = (uint32_t)prng_next(&rng);

		memcpy(sa, &r, 4);
		r = (uint32_t)prng_next(&rng);
		memcpy(da, &r, 4);
		sa[0] = 10;
		da[0] = 172;
		if (npol > 0 && prng_below(&rng, 10) != 0) {
			const struct spd_entry *e = &pol[prng_below(&rng,
			    npol)];
			int k;

			for (k = 0; k < 4; k++) {
				if (k * 8 < e->sel.src_plen)
					sa[k] = e->sel.src[k];
				if (k * 8 < e->sel.dst_plen)
					da[k] = e->sel.dst[k];
			}
			if (e->sel.dport != 0)
				dport = e->sel.dport;
		}
		snprintf(s, sizeof(s), "%u.%u.%u.%u", sa[0], sa[1], sa[2],
		    sa[3]);
		snprintf(d, sizeof(d), "%u.%u.%u.%u", da[0], da[1], da[2],
		    da[3]);
		n = pg_tcp(l4, 40000, dport, size - 40);
		plen[i] = (uint32_t)pg_v4(pkts[i], s, d, IPPROTO_TCP, l4, n,
		    0x4000, (uint16_t)i);
	}
}

static double
time_memcpy(uint64_t iters)
{
	uint64_t t0, i;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		size_t k = i & (NPKTS - 1);

		memcpy(copy, pkts[k], plen[k]);
		__asm__ volatile("" : : "r"(copy) : "memory");
	}
	return (double)(now_ns() - t0) / (double)iters;
}

static double
time_decide(struct decide_ctx *c, uint64_t iters)
{
	struct decide_result r;
	struct pkt_info pi;
	uint64_t t0, i, acc = 0;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		size_t k = i & (NPKTS - 1);

		if (pkt_parse(pkts[k], plen[k], &pi) != PKT_OK)
			abort();
		decide(c, &pi, DECIDE_FROM_HOST, &r);
		acc += r.verdict;
	}
	sink += acc;
	return (double)(now_ns() - t0) / (double)iters;
}

static double
time_parse(uint64_t iters)
{
	struct pkt_info pi;
	uint64_t t0, i, acc = 0;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		size_t k = i & (NPKTS - 1);

		if (pkt_parse(pkts[k], plen[k], &pi) != PKT_OK)
			abort();
		acc += pi.dport;
	}
	sink += acc;
	return (double)(now_ns() - t0) / (double)iters;
}

static void
row(const char *name, size_t size, struct spd *db, uint64_t iters)
{
	double ref[ROUNDS], dec[ROUNDS], par[ROUNDS];
	struct decide_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.spd = db;
	decide_params_default(&c.params);
	c.policyd_known = c.ipsecd_up = true;
	for (r = 0; r < ROUNDS; r++) {
		ref[r] = time_memcpy(iters);
		par[r] = time_parse(iters);
		dec[r] = time_decide(&c, iters);
	}
	printf("%-14s %4zu B  memcpy %5.1f ns  parse %5.1f ns  "
	    "parse+decide %6.1f ns  ratio %6.2f\n", name, size,
	    median(ref, ROUNDS), median(par, ROUNDS), median(dec, ROUNDS),
	    median(dec, ROUNDS) / median(ref, ROUNDS));
	printf("    verdicts: bypass %" PRIu64 " discard %" PRIu64 "\n",
	    c.stats.verdict[DECIDE_V_BYPASS], c.stats.verdict[DECIDE_V_DISCARD]);
}

/* Frames through the bridge over in-memory links. */
static void
link_row(size_t size, uint64_t iters)
{
	struct link hp, h, w, wp;
	struct link_pkt tx[LINK_BATCH], rx[LINK_BATCH];
	static uint8_t frames[LINK_BATCH][1514], out[LINK_BATCH][9216];
	double ref[ROUNDS], thr[ROUNDS];
	struct decide_ctx c;
	struct bridge br;
	struct spd *db;
	uint64_t t0, n;
	unsigned i;
	int r;

	if (link_mem_pair(&hp, &h, (size_t)4 * LINK_BATCH) != 0 ||
	    link_mem_pair(&w, &wp, (size_t)4 * LINK_BATCH) != 0 ||
	    spd_create(&db, 1) != 0)
		fatalx("setup");
	memset(&c, 0, sizeof(c));
	c.spd = db;
	decide_params_default(&c.params);
	c.policyd_known = true;
	if (bridge_init(&br, &h, &w, &c) != 0)
		fatalx("bridge_init");
	make_pkts(size, NULL, 0);
	memset(tx, 0, sizeof(tx));
	memset(rx, 0, sizeof(rx));
	for (i = 0; i < LINK_BATCH; i++) {
		memset(frames[i], 0, 14);
		frames[i][12] = 0x08;
		memcpy(frames[i] + 14, pkts[i], plen[i]);
		tx[i].data = frames[i];
		tx[i].len = plen[i] + 14;
		rx[i].data = out[i];
		rx[i].cap = sizeof(out[i]);
	}
	for (r = 0; r < ROUNDS; r++) {
		/* Reference: into the queue and out, no bridge. */
		t0 = now_ns();
		for (n = 0; n < iters; n += LINK_BATCH) {
			if (link_send(&hp, tx, LINK_BATCH) != LINK_BATCH ||
			    link_recv(&h, rx, LINK_BATCH) != LINK_BATCH)
				fatalx("reference");
		}
		ref[r] = (double)iters * 1e9 / (double)(now_ns() - t0);
		/* The bridge: in, decide, across, out. */
		t0 = now_ns();
		for (n = 0; n < iters; n += LINK_BATCH) {
			if (link_send(&hp, tx, LINK_BATCH) != LINK_BATCH ||
			    bridge_pump(&br, DECIDE_FROM_HOST) != LINK_BATCH ||
			    link_recv(&wp, rx, LINK_BATCH) != LINK_BATCH)
				fatalx("bridge");
		}
		thr[r] = (double)iters * 1e9 / (double)(now_ns() - t0);
	}
	printf("mem link + bridge %5zu B: %6.2f Mpkt/s (%5.1f Gbit/s); "
	    "queue copy alone %6.2f Mpkt/s; ratio %4.2f\n", size,
	    median(thr, ROUNDS) / 1e6,
	    median(thr, ROUNDS) * (double)(size + 14) * 8 / 1e9,
	    median(ref, ROUNDS) / 1e6, median(thr, ROUNDS) /
	    median(ref, ROUNDS));
	bridge_fini(&br);
	link_close(&hp);
	link_close(&h);
	link_close(&w);
	link_close(&wp);
	spd_destroy(db);
}

int
main(int argc, char **argv)
{
	static struct spd_entry pol[NPOL];
	uint64_t seed = prng_seed_env(), iters = 2000000;
	struct spd *empty, *big;
	size_t n = 0;
	int k;

	if (argc > 1)
		iters = strtoull(argv[1], NULL, 10);
	if (iters < LINK_BATCH)
		iters = LINK_BATCH;
	rng = seed != 0 ? seed : 1;
	log_init("bench_netd", false);
	printf("bench_netd: PARAPET_SEED=%" PRIu64 ", %" PRIu64
	    " packets per round, %d rounds, medians\nbuild: %s\n", seed, iters,
	    ROUNDS, BENCH_BUILD);
	pin(0);
	if (spd_create(&empty, 1) != 0 || spd_create(&big, 2) != 0)
		fatalx("spd_create");
	while (n < NPOL) {
		rand_entry(&pol[n]);
		if (spd_add(big, &pol[n], 0, NULL) == 0)
			n++;
	}
	for (k = 0; k < 2; k++) {
		size_t size = k == 0 ? 1400 : 64;

		make_pkts(size, NULL, 0);
		row("empty SPD", size, empty, iters);
		make_pkts(size, pol, NPOL);
		row("10 k policies", size, big, iters);
	}
	link_row(1400, iters);
	link_row(64, iters);
	spd_destroy(empty);
	spd_destroy(big);
	return sink == 42 ? 1 : 0;
}
