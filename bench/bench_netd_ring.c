/*
 * bench_netd_ring.c - what netd's packet path through the ring costs
 * around the transform itself, in one thread (CPU time, so the figures
 * hold on a loaded machine):
 *
 *   path:      host queue -> bridge (parse, decide, policy) -> netd_ring
 *              (metadata, copy into the slot) -> work ring -> side B
 *              (tests/unit/netd/fake_ipsecd.h: pkt_meta_decode and
 *              ipsecd's esp_encap, AES-256-GCM) -> done ring -> netd_ring
 *              (Ethernet header, zero-copy send) -> wire queue
 *   reference: the same esp_encap on each packet copied into a buffer
 *              (what ipsecd's transform costs with no netd around it)
 *
 * Batches of 64 1400-byte IPv4 UDP packets (and 64-byte ones), medians of
 * ROUNDS interleaved rounds; ratio = path rate / reference rate. Both
 * sides in one thread, so ring hand-over costs no cache-line transfer
 * between cores: this is netd's own work, not the ring's latency (see
 * bench_pktloop for that). Usage: bench_netd_ring [packets per round].
 */
#include "netd_ring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "../tests/unit/netd/fake_ipsecd.h"
#include "../tests/unit/netd/pktgen.h"

#define ROUNDS	5
#define BATCH	LINK_BATCH

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void
path_init(struct netd_rig *p)
{
	static const char *const pol[] = {
		"out,10.0.0.1/32,10.0.0.2/32,udp,ipsec", NULL
	};

	if (netd_rig_init(p, 1024, 256, pol, 0x1000) != 0)
		fatalx("setup");
	p->nr.mtu = 0;	/* no too_big check: ipsecd saves no copy then */
}

/* One Ethernet frame: IPv4 UDP 10.0.0.1 -> 10.0.0.2, size bytes of IP. */
static size_t
frame(uint8_t *f, size_t size)
{
	uint8_t l4[2048], data[2048];
	size_t k;

	memset(f, 0, 14);
	f[0] = 2;
	f[6] = 2;
	pg_put16(f + 12, 0x0800);
	memset(data, 0x5a, size - 28);
	k = pg_udp(l4, 1000, 2000, data, size - 28);
	return 14 + pg_v4(f + 14, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, l4, k,
	    0x4000, 1);
}

/* packets through the whole path; packets per CPU second. */
static double
run_path(struct netd_rig *p, uint8_t *f, size_t n, uint64_t packets)
{
	static uint8_t rxmem[BATCH][2048];
	struct link_pkt tx[BATCH], rx[BATCH];
	uint64_t done = 0, t0;
	unsigned i;

	for (i = 0; i < BATCH; i++) {
		memset(&tx[i], 0, sizeof(tx[i]));
		tx[i].data = f;
		tx[i].len = (uint32_t)n;
		tx[i].cap = (uint32_t)n;
		memset(&rx[i], 0, sizeof(rx[i]));
		rx[i].data = rxmem[i];
		rx[i].cap = sizeof(rxmem[i]);
	}
	t0 = cpu_ns();
	while (done < packets) {
		if (link_send(&p->host_peer, tx, BATCH) != BATCH ||
		    bridge_pump(&p->br, DECIDE_FROM_HOST) != BATCH)
			fatalx("host side");
		netd_ring_flush(&p->nr);
		if (fake_ipsecd_run(&p->b) != BATCH ||
		    netd_ring_drain(&p->nr, BATCH) != BATCH ||
		    link_recv(&p->wire_peer, rx, BATCH) != BATCH)
			fatalx("ring / wire side");
		done += BATCH;
	}
	return (double)done * 1e9 / (double)(cpu_ns() - t0);
}

/* The transform alone: copy each packet into a buffer, esp_encap. */
static double
run_ref(struct netd_rig *p, const uint8_t *f, size_t n, uint64_t packets)
{
	static uint8_t buf[2048];
	struct xform_pkt x;
	uint64_t done = 0, t0 = cpu_ns();

	while (done < packets) {
		memcpy(buf + 128, f + 14, n - 14);
		x.buf = buf;
		x.cap = sizeof(buf);
		x.off = 128;
		x.len = n - 14;
		p->b.seq++;
		if (esp_encap(&p->b.sa, &x, p->b.seq, p->b.seq) != 0)
			fatalx("esp_encap");
		done++;
	}
	return (double)done * 1e9 / (double)(cpu_ns() - t0);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 1400, 64 };
	double path[ROUNDS], ref[ROUNDS];
	uint64_t packets = 200000;
	uint8_t f[2048];
	struct netd_rig p;
	size_t s, n;
	int r;

	if (argc > 1)
		packets = strtoull(argv[1], NULL, 10);
	if (packets < BATCH)
		packets = BATCH;
	log_init("bench_netd_ring", false);
	printf("bench_netd_ring: %" PRIu64 " packets per round, %d rounds, "
	    "medians of CPU time\nbuild: %s\n", packets, ROUNDS, BENCH_BUILD);
	pin(0);
	path_init(&p);
	for (s = 0; s < nitems(sizes); s++) {
		n = frame(f, sizes[s]);
		for (r = 0; r < ROUNDS; r++) {
			ref[r] = run_ref(&p, f, n, packets);
			path[r] = run_path(&p, f, n, packets);
		}
		printf("%4zu B IPv4 UDP, ESP AES-256-GCM transport: path %.3f "
		    "Mpkt/s (%.2f Gbit/s of IP), transform alone %.3f Mpkt/s; "
		    "ratio %.2f\n", sizes[s], median(path, ROUNDS) / 1e6,
		    median(path, ROUNDS) * (double)sizes[s] * 8 / 1e9,
		    median(ref, ROUNDS) / 1e6,
		    median(path, ROUNDS) / median(ref, ROUNDS));
	}
	if (p.nr.st.bad_done != 0 || p.nr.st.no_slot != 0)
		fatalx("slots lost");
	netd_rig_fini(&p);
	return 0;
}
