/*
 * bench_spd.c - SPD lookup (servers/policyd/spd.c) against a linear scan
 * over the same policies, in the same run: 1 k, 10 k and 100 k policies.
 *
 * Policies: outbound, IPv4, a mix of prefix-length pairs as sites use
 * them (host pairs, subnet pairs, a few wide ones; 10 distinct pairs),
 * protocol any or TCP/UDP with a port, random priorities (so pruning by
 * priority gets no help from the data). Packets: 90 % fall inside a
 * random policy's selector, 10 % are random (mostly misses). Each lookup
 * is timed on its own with CLOCK_MONOTONIC; the clock's own cost,
 * measured first, is subtracted. Every answer is checked against the
 * linear scan. Seed: PARAPET_SEED (else the time), printed with the build
 * flags. Usage: bench_spd [lookups per size, default 200000].
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
#include "spd.h"
#include "prng.h"


#define LINEAR_MAX_SAMPLES	20000

static uint64_t seed;
static uint64_t rng;

struct lin {
	struct spd_entry e;	/* canonical, as stored */
	uint32_t	 id;
};

static uint64_t
rnd(void)
{
	return prng_next(&rng);
}


static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const struct {
	uint8_t	splen, dplen;
	int	weight;
} mix[] = {
	{ 32, 32, 40 }, { 24, 24, 20 }, { 32, 24, 8 }, { 24, 32, 8 },
	{ 16, 24, 8 }, { 24, 16, 6 }, { 16, 16, 4 }, { 8, 8, 3 },
	{ 0, 16, 2 }, { 0, 0, 1 },
};

static void
rand_entry(struct spd_entry *e)
{
	int w = (int)(rnd() % 100), i = 0;
	uint32_t a = (uint32_t)rnd(), b = (uint32_t)rnd();

	while (w >= mix[i].weight) {
		w -= mix[i].weight;
		i++;
	}
	memset(e, 0, sizeof(*e));
	e->sel.family = AF_INET;
	e->sel.src_plen = mix[i].splen;
	e->sel.dst_plen = mix[i].dplen;
	memcpy(e->sel.src, &a, 4);
	memcpy(e->sel.dst, &b, 4);
	e->sel.src[0] = 10;
	e->sel.dst[0] = 172;
	e->sel.proto = SPD_PROTO_ANY;
	if (rnd() % 4 == 0) {
		e->sel.proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		e->sel.dport = (uint16_t)(1 + rnd() % 1024);
	}
	e->dir = SPD_DIR_OUT;
	e->priority = (uint32_t)rnd();
	e->action = SPD_ACTION_NONE;
}

static void
rand_pkt(const struct lin *pols, size_t n, struct spd_pkt *p)
{
	uint32_t a = (uint32_t)rnd(), b = (uint32_t)rnd();

	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
	p->sport = (uint16_t)rnd();
	p->dport = (uint16_t)(1 + rnd() % 1024);
	memcpy(p->src, &a, 4);
	memcpy(p->dst, &b, 4);
	if (rnd() % 10 != 0) {
		const struct spd_sel *s = &pols[rnd() % n].e.sel;
		unsigned int i;

		/* Inside the selector: its prefix bits, random host bits. */
		for (i = 0; i < s->src_plen; i++) {
			uint8_t m = (uint8_t)(0x80u >> (i % 8));

			p->src[i / 8] = (uint8_t)((p->src[i / 8] & ~m) |
			    (s->src[i / 8] & m));
		}
		for (i = 0; i < s->dst_plen; i++) {
			uint8_t m = (uint8_t)(0x80u >> (i % 8));

			p->dst[i / 8] = (uint8_t)((p->dst[i / 8] & ~m) |
			    (s->dst[i / 8] & m));
		}
		if (s->proto != SPD_PROTO_ANY) {
			p->proto = s->proto;
			p->dport = s->dport;
		}
	}
}

static const struct lin *
linear(const struct lin *pols, size_t n, const struct spd_pkt *p)
{
	const struct lin *best = NULL;
	size_t i;

	/* Insertion order: the first of equal priorities wins. */
	for (i = 0; i < n; i++)
		if (pols[i].e.dir == SPD_DIR_OUT &&
		    spd_sel_match(&pols[i].e.sel, p) &&
		    (best == NULL || pols[i].e.priority < best->e.priority))
			best = &pols[i];
	return best;
}

static uint64_t clock_ns;	/* cost of one now_ns() pair */

static void
report(const char *what, size_t n, uint64_t *t, size_t nt, uint64_t *med)
{
	qsort(t, nt, sizeof(*t), cmp_u64);
	*med = t[nt / 2];
	printf("  %-7s %6zu policies: median %8" PRIu64 " ns  p99 %8" PRIu64
	    " ns  (%zu lookups)\n", what, n, t[nt / 2], t[nt * 99 / 100], nt);
}

static int
run(size_t n, size_t nlook)
{
	struct lin *pols = calloc(n, sizeof(*pols));
	struct spd_pkt *pk = calloc(nlook, sizeof(*pk));
	uint64_t *t = calloc(nlook, sizeof(*t));
	uint64_t med_spd, med_lin, t0, build;
	volatile uint32_t sink = 0;
	size_t i, m = 0, hits = 0, nlin;
	struct spd *db;

	if (pols == NULL || pk == NULL || t == NULL ||
	    spd_create(&db, rnd()) != 0) {
		fprintf(stderr, "bench_spd: out of memory\n");
		free(t);
		free(pk);
		free(pols);
		return 1;
	}
	t0 = now_ns();
	while (m < n) {
		struct spd_entry e;
		const struct spd_policy *p;

		rand_entry(&e);
		if (spd_add(db, &e, 0, &pols[m].id) != 0)
			continue;	/* duplicate selector: draw again */
		p = spd_get_id(db, pols[m].id);
		pols[m].e = p->e;
		m++;
	}
	build = now_ns() - t0;
	for (i = 0; i < nlook; i++)
		rand_pkt(pols, n, &pk[i]);

	for (i = 0; i < nlook; i++) {
		const struct spd_policy *p;

		t0 = now_ns();
		p = spd_lookup(db, SPD_DIR_OUT, &pk[i]);
		t[i] = now_ns() - t0;
		t[i] = t[i] > clock_ns ? t[i] - clock_ns : 0;
		sink += p != NULL ? p->id : 0;
		hits += p != NULL;
	}
	printf("%zu policies (added in %.1f ms, %.0f ns each), %zu of %zu "
	    "packets match\n", n, (double)build / 1e6, (double)build /
	    (double)n, hits, nlook);
	report("spd", n, t, nlook, &med_spd);

	nlin = nlook;
	if (n * nlin > (size_t)2e9)
		nlin = (size_t)2e9 / n;
	if (nlin > LINEAR_MAX_SAMPLES)
		nlin = LINEAR_MAX_SAMPLES;
	for (i = 0; i < nlin; i++) {
		const struct lin *l;
		const struct spd_policy *p;

		t0 = now_ns();
		l = linear(pols, n, &pk[i]);
		t[i] = now_ns() - t0;
		t[i] = t[i] > clock_ns ? t[i] - clock_ns : 0;
		p = spd_lookup(db, SPD_DIR_OUT, &pk[i]);
		if ((l == NULL) != (p == NULL) || (l != NULL &&
		    l->id != p->id)) {
			fprintf(stderr, "bench_spd: PARAPET_SEED=%" PRIu64
			    ": packet %zu: spd and linear scan disagree\n",
			    seed, i);
			spd_destroy(db);
			free(t);
			free(pk);
			free(pols);
			return 1;
		}
		sink += l != NULL ? l->id : 0;
	}
	report("linear", n, t, nlin, &med_lin);
	printf("  ratio   linear/spd median: %.1fx\n\n",
	    (double)med_lin / (double)(med_spd != 0 ? med_spd : 1));
	(void)sink;
	spd_destroy(db);
	free(t);
	free(pk);
	free(pols);
	return 0;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 1000, 10000, 100000 };
	const char *s = getenv("PARAPET_SEED");
	size_t nlook = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	uint64_t t[1001];
	size_t i;

	seed = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	rng = seed * 2 + 1;
	if (nlook < 100)
		nlook = 100;
	printf("bench_spd: seed %" PRIu64 ", build: %s\n", seed, BENCH_BUILD);
	for (i = 0; i < 1001; i++) {
		uint64_t t0 = now_ns();

		t[i] = now_ns() - t0;
	}
	qsort(t, 1001, sizeof(*t), cmp_u64);
	clock_ns = t[500];
	printf("clock_gettime pair: %" PRIu64 " ns (subtracted)\n\n",
	    clock_ns);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (run(sizes[i], nlook) != 0)
			return 1;
	return 0;
}
