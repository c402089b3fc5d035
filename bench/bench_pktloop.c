/*
 * bench_pktloop.c - the packet path's shape without the kernel: side A
 * (this process, "netd") fills 1400-byte packets into slots and sends
 * them; side B (a child on the other core, "ipsecd") encrypts each in place
 * with AES-256-GCM (precomputed key schedule; the 8-byte IV goes into the
 * headroom, the 16-byte tag into the tailroom, as ESP would) and sends it
 * back; A checks one packet in 4096 by decrypting it, and refills.
 *
 * Reference, measured in the same run: AES-256-GCM of 1400 bytes in place
 * on one core, one hot buffer. Target: the two-process loop reaches at
 * least 0.85 of it with adaptive polling.
 *
 * If the CPU has no AES instructions (crypto_aead_aes256gcm_is_available()
 * false), the same is done with ChaCha20-Poly1305-IETF, and said so.
 *
 * Usage: bench_pktloop [seconds per figure, default 1] [rounds, default 5]
 * Environment: PARAPET_SEED (key and payload; printed).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "log.h"
#include "ring.h"


#define PKT_BYTES	1400
#define IV_BYTES	8
#define TAG_BYTES	16
#define BATCH		32
#define ADAPT_US	50
#define CHECK_EVERY	4096

enum mode { BUSY, BELL, ADAPT, NMODES };
static const char *const mode_name[NMODES] = { "busy-poll", "doorbell",
	"adaptive" };

static const struct ring_geom geom = { 1024, 2048, 128, 64 };

struct shared {
	_Atomic int	 ready;
	_Atomic int	 stop;
	_Atomic int	 failed;
	uint64_t	 sleeps, bells;
};

/* The cipher: AES-256-GCM with a precomputed state, or the fallback. */
static bool use_aes;
static crypto_aead_aes256gcm_state *aes_st;
static uint8_t key[32];
static const uint8_t salt[4] = { 0xca, 0xfe, 0xba, 0xbe };
static uint8_t payload[PKT_BYTES];
static uint32_t adapt_iters;



/* RFC 4106 nonce: 4-byte salt from the key material, 8-byte explicit IV. */
static void
nonce(uint8_t n[12], uint64_t iv)
{
	memcpy(n, salt, 4);
	memcpy(n + 4, &iv, 8);
}

static void
seal(uint8_t *p, size_t len, uint8_t *tag, uint64_t iv)
{
	unsigned long long taglen;
	uint8_t n[12];

	nonce(n, iv);
	if (use_aes)
		crypto_aead_aes256gcm_encrypt_detached_afternm(p, tag, &taglen,
		    p, len, NULL, 0, NULL, n, aes_st);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(p, tag,
		    &taglen, p, len, NULL, 0, NULL, n, key);
}

static bool
open_ok(uint8_t *p, size_t len, const uint8_t *tag, uint64_t iv)
{
	uint8_t n[12];

	nonce(n, iv);
	if (use_aes)
		return crypto_aead_aes256gcm_decrypt_detached_afternm(p, NULL,
		    p, len, tag, NULL, 0, n, aes_st) == 0;
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(p, NULL, p,
	    len, tag, NULL, 0, n, key) == 0;
}

/* ---- reference ---- */

static double
reference(double secs)
{
	static uint8_t buf[PKT_BYTES + TAG_BYTES];
	uint64_t n = 0, t0, t = 0, dur = (uint64_t)(secs * 1e9);

	memcpy(buf, payload, PKT_BYTES);
	t0 = now_ns();
	for (;;) {
		seal(buf, PKT_BYTES, buf + PKT_BYTES, n++);
		if ((n & 1023) == 0 && (t = now_ns()) - t0 >= dur)
			break;
	}
	return (double)n / ((double)(t - t0) / 1e9);
}

/* ---- side B: encrypt in place ---- */

static bool
wait_in(struct ring_region *r, enum mode m, _Atomic int *stop)
{
	for (;;) {
		if (atomic_load_explicit(stop, memory_order_relaxed))
			return false;
		if (m == BUSY ? ring_spin(r, 4096) :
		    ring_wait(r, m == BELL ? 0 : adapt_iters, 20) == 0)
			return true;
	}
}

static void
encrypt_one(struct ring_region *b, struct ring_desc *d, uint64_t iv)
{
	uint8_t *p = ring_desc_data(b, d);

	/* Room was checked: A sends off = headroom, len = 1400. */
	if (p == NULL || d->off < IV_BYTES ||
	    (uint32_t)d->off + d->len + TAG_BYTES > geom.slot_bytes) {
		d->result = -EMSGSIZE;
		return;
	}
	seal(p, d->len, p + d->len, iv);
	memcpy(p - IV_BYTES, &iv, IV_BYTES);
	d->off = (uint16_t)(d->off - IV_BYTES);
	d->len = (uint16_t)(d->len + IV_BYTES + TAG_BYTES);
}

static void NORETURN
b_main(int fd, const int efd[2], struct shared *sh, enum mode m)
{
	struct ring_desc d[BATCH];
	struct ring_region *b;
	uint64_t iv = 0;
	int i, k;

	pin(1);
	if (ring_region_attach(&b, fd, RING_SIDE_B, efd) != 0)
		_exit(2);
	atomic_store(&sh->ready, 1);
	for (;;) {
		if ((k = ring_recv(b, d, BATCH)) < 0)
			_exit(2);
		if (k == 0) {
			if (!wait_in(b, m, &sh->stop))
				break;
			continue;
		}
		/*
		 * No software prefetch: whole-packet prefetch (read or write
		 * intent) measured no better than the hardware prefetcher.
		 */
		for (i = 0; i < k; i++)
			encrypt_one(b, &d[i], iv++);
		if (ring_send(b, d, (unsigned)k) != 0)
			_exit(2);
	}
	sh->sleeps = ring_region_stats(b)->sleeps;
	sh->bells = ring_region_stats(b)->bells;
	_exit(0);
}

/* ---- side A: fill, send, check a sample, refill ---- */

static void
fill(struct ring_region *a, struct ring_desc *d, uint32_t slot)
{
	*d = (struct ring_desc){ .slot = slot, .off = (uint16_t)geom.headroom,
	    .len = PKT_BYTES, .op = 1 };
	memcpy(ring_desc_data(a, d), payload, PKT_BYTES);
}

/* B really encrypted it: decrypt a copy and compare. */
static void
check(struct ring_region *a, const struct ring_desc *d, uint64_t pkt)
{
	uint8_t buf[PKT_BYTES];
	const uint8_t *p = ring_desc_data(a, d);
	uint64_t iv;

	if (p == NULL || d->result != 0 ||
	    d->len != IV_BYTES + PKT_BYTES + TAG_BYTES)
		fatalx("packet %" PRIu64 ": bad descriptor", pkt);
	memcpy(&iv, p, IV_BYTES);
	memcpy(buf, p + IV_BYTES, PKT_BYTES);
	if (!open_ok(buf, PKT_BYTES, p + IV_BYTES + PKT_BYTES, iv) ||
	    memcmp(buf, payload, PKT_BYTES) != 0)
		fatalx("packet %" PRIu64 " did not decrypt", pkt);
}

struct result {
	double	 pps;
	double	 sleeps;	/* per 1000 packets, both sides */
	double	 bells;
};

static void
prime(struct ring_region *a)
{
	struct ring_desc d[BATCH];
	uint32_t s[BATCH];
	unsigned i, n;

	while ((n = ring_slot_alloc_n(a, s, BATCH)) > 0) {
		for (i = 0; i < n; i++)
			fill(a, &d[i], s[i]);
		if (ring_send(a, d, n) != 0)
			fatalx("prime");
	}
}

static struct result
pktloop(enum mode m, double secs)
{
	struct ring_desc d[BATCH];
	struct ring_region *a;
	struct result res = { 0 };
	struct shared *sh;
	uint64_t pkts = 0, t0, t = 0, dur = (uint64_t)(secs * 1e9);
	int fd, efd[2], i, k;
	unsigned iter = 0;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		fatal("mmap");
	if (ring_region_create(&geom, "pktloop", (uint8_t[16]){ 0 }, &fd) !=
	    0 || ring_doorbells_create(efd) != 0)
		fatalx("region");
	if ((pid = fork()) == 0)
		b_main(fd, efd, sh, m);
	pin(0);
	if (ring_region_attach(&a, fd, RING_SIDE_A, efd) != 0)
		fatalx("attach");
	while (!atomic_load(&sh->ready))
		sched_yield();
	prime(a);
	t0 = now_ns();
	for (;;) {
		if ((k = ring_recv(a, d, BATCH)) < 0)
			fatalx("recv");
		if (k == 0 && !wait_in(a, m, &sh->stop))
			fatalx("wait");
		for (i = 0; i < k; i++, pkts++) {
			if (pkts % CHECK_EVERY == 0)
				check(a, &d[i], pkts);
			fill(a, &d[i], d[i].slot);
		}
		if (k > 0 && ring_send(a, d, (unsigned)k) != 0)
			fatalx("send");
		if ((++iter & 63) == 0 && (t = now_ns()) - t0 >= dur)
			break;
	}
	atomic_store(&sh->stop, 1);
	waitpid(pid, NULL, 0);
	res.pps = (double)pkts / ((double)(t - t0) / 1e9);
	res.sleeps = (double)(ring_region_stats(a)->sleeps + sh->sleeps) *
	    1000 / (double)pkts;
	res.bells = (double)(ring_region_stats(a)->bells + sh->bells) * 1000 /
	    (double)pkts;
	ring_region_detach(a);
	close(fd);
	close(efd[0]);
	close(efd[1]);
	munmap(sh, sizeof(*sh));
	return res;
}

static void
calibrate(void)
{
	struct ring_region *a;
	int fd, efd[2];
	uint64_t t0, ns;
	uint32_t n = 200000;

	if (ring_region_create(&geom, "cal", (uint8_t[16]){ 0 }, &fd) != 0 ||
	    ring_doorbells_create(efd) != 0 ||
	    ring_region_attach(&a, fd, RING_SIDE_A, efd) != 0)
		fatalx("calibrate");
	t0 = now_ns();
	(void)ring_spin(a, n);
	ns = now_ns() - t0;
	adapt_iters = (uint32_t)((uint64_t)n * ADAPT_US * 1000 / ns);
	ring_region_detach(a);
	close(fd);
	close(efd[0]);
	close(efd[1]);
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

static void
setup(uint64_t seed)
{
	uint8_t ks[32] = { 0 }, ps[32] = { 1 };

	if (sodium_init() < 0)
		fatalx("sodium_init");
	memcpy(ks, &seed, sizeof(seed));
	memcpy(ps + 1, &seed, sizeof(seed));
	randombytes_buf_deterministic(key, sizeof(key), ks);
	randombytes_buf_deterministic(payload, sizeof(payload), ps);
	use_aes = crypto_aead_aes256gcm_is_available() != 0;
	if (use_aes) {
		aes_st = sodium_malloc(sizeof(*aes_st));
		if (aes_st == NULL ||
		    crypto_aead_aes256gcm_beforenm(aes_st, key) != 0)
			fatalx("aes state");
	}
	calibrate();
}

/*
 * Rounds of (reference, busy, doorbell, adaptive), interleaved so that a
 * slow second on a shared host lands in one round, not in one mode; each
 * mode is reported as the median over rounds of its ratio to the
 * reference of the same round.
 */
int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 1.0;
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5, i, m;
	const char *s = getenv("PARAPET_SEED");
	double ref[64], pps[NMODES][64], ratio[NMODES][64], sl[NMODES][64];
	struct result r;
	uint64_t seed;

	log_init("bench_pktloop", false);
	if (rounds < 1 || rounds > 64)
		fatalx("rounds: 1..64");
	seed = s != NULL ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	setup(seed);
	printf("bench_pktloop: seed %" PRIu64 ", build: %s\n", seed,
	    BENCH_BUILD);
	printf("cipher: %s; %d-byte packets, batches of %d, %u slots; "
	    "adaptive spin %d us = %u iterations; %d rounds of %.1f s\n",
	    use_aes ? "AES-256-GCM (libsodium, precomputed key)" :
	    "ChaCha20-Poly1305-IETF (no AES instructions on this CPU)",
	    PKT_BYTES, BATCH, geom.nslots, ADAPT_US, adapt_iters, rounds,
	    secs);
	pin(0);
	for (i = 0; i < rounds; i++) {
		ref[i] = reference(secs);
		for (m = 0; m < NMODES; m++) {
			r = pktloop((enum mode)m, secs);
			pps[m][i] = r.pps;
			ratio[m][i] = r.pps / ref[i];
			sl[m][i] = r.sleeps;
		}
	}
	printf("reference: one core, in place, hot buffer: median %.0f "
	    "packets/s (%.2f us/packet, %.2f Gbit/s)\n", median(ref, rounds),
	    1e6 / median(ref, rounds), median(ref, rounds) * PKT_BYTES * 8 /
	    1e9);
	printf("%-10s %12s %9s %10s %16s %12s\n", "mode", "packets/s",
	    "Gbit/s", "vs ref", "(min..max)", "sleeps/1000");
	for (m = 0; m < NMODES; m++) {
		double med = median(pps[m], rounds), rmed;

		rmed = median(ratio[m], rounds);	/* sorts ratio[m] */
		printf("%-10s %12.0f %9.2f %9.3fx %7.3f..%-7.3f %12.2f\n",
		    mode_name[m], med, med * PKT_BYTES * 8 / 1e9, rmed,
		    ratio[m][0], ratio[m][rounds - 1], median(sl[m], rounds));
	}
	printf("checked by decryption: 1 packet in %d; target: adaptive >= "
	    "0.85x reference\n", CHECK_EVERY);
	sodium_free(aes_st);
	return 0;
}
