/*
 * bench_crypto.c - the crypto backends side by side: for every ESP
 * transform (and AH MAC), per backend (libsodium, OpenSSL) that has it,
 * at 64, 512, 1400 and 8000 bytes, ESP encap and decap packets per
 * second, and the raw primitive of the same backend on the same buffer
 * (AEAD seal/open; cipher + MAC; MAC alone), measured in the same run.
 *
 * First the start-up selection runs as ipsecd runs it (self-tests, then
 * 2 ms measurements at 1400 bytes): the row it chose is marked '*'. Then
 * each figure is the best of RUNS runs of about 10 ms of thread CPU time,
 * ESP and raw alternating. Columns:
 *   ratio   ESP / raw primitive of the same backend (target at 1400
 *           bytes, chosen backend: >= 0.95)
 *   vs      this backend's ESP / the other backend's ESP (chosen
 *           backend: >= 1, within noise)
 *
 * Usage: bench_crypto [runs, default 7] [name substring]. IPv4 transport
 * mode. Run it from a Release build.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ah.h"
#include "bench.h"
#include "crypto_select.h"
#include "esp.h"
#include "ip_hdr.h"
#include "xform.h"

#define HEAD	128
#define MAXPKT	8000
#define CAP	(HEAD + MAXPKT + 128)

static uint8_t buf[CAP], pristine[CAP];
static volatile uint8_t sink;

enum op { ESP_ENC, ESP_DEC, RAW_ENC, RAW_DEC };

struct bc {
	struct xform_sa	 sa;
	const struct xform *enc, *auth;	/* rows of this run */
	bool		 ah;
	size_t		 len, plen, poff, esp_off, ctlen;
	uint8_t		 hdr[IP4_HDR_BYTES];
};

static const struct combo {
	const char	*name;
	enum xform_alg	 enc, auth;	/* the one measured: enc if AEAD */
	bool		 ah;
} combos[] = {
	{ "esp aes128gcm16", XFORM_AES128GCM16, XFORM_ALG_NONE, false },
	{ "esp aes192gcm16", XFORM_AES192GCM16, XFORM_ALG_NONE, false },
	{ "esp aes256gcm16", XFORM_AES256GCM16, XFORM_ALG_NONE, false },
	{ "esp chacha20poly1305", XFORM_CHACHA20POLY1305, XFORM_ALG_NONE,
	    false },
	{ "esp aes128gmac", XFORM_AES128GMAC, XFORM_ALG_NONE, false },
	{ "esp aes256gmac", XFORM_AES256GMAC, XFORM_ALG_NONE, false },
	{ "esp aes128cbc+sha256", XFORM_AES128CBC, XFORM_HMAC_SHA256_128,
	    false },
	{ "esp aes256cbc+sha256", XFORM_AES256CBC, XFORM_HMAC_SHA256_128,
	    false },
	{ "esp aes128ctr+sha256", XFORM_AES128CTR, XFORM_HMAC_SHA256_128,
	    false },
	{ "esp null+hmac-sha1", XFORM_NULL, XFORM_HMAC_SHA1_96, false },
	{ "esp null+hmac-sha256", XFORM_NULL, XFORM_HMAC_SHA256_128, false },
	{ "esp null+hmac-sha384", XFORM_NULL, XFORM_HMAC_SHA384_192, false },
	{ "esp null+hmac-sha512", XFORM_NULL, XFORM_HMAC_SHA512_256, false },
	{ "esp null+aes-xcbc", XFORM_NULL, XFORM_AES_XCBC_96, false },
	{ "ah hmac-sha256", XFORM_ALG_NONE, XFORM_HMAC_SHA256_128, true },
	{ "ah hmac-sha512", XFORM_ALG_NONE, XFORM_HMAC_SHA512_256, true },
};

static const size_t sizes[] = { 64, 512, 1400, 8000 };

/* The selection's clock: this thread's CPU time. */
static uint64_t
cpu_clock(void *arg)
{
	(void)arg;
	return cpu_ns();
}

/* An IPv4 UDP packet of len bytes, checksum set. */
static size_t
mkpkt(uint8_t *p, size_t len)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[8] = 64;
	p[9] = IPPROTO_NUM_UDP;
	p[12] = 10;
	p[15] = 1;
	p[16] = 10;
	p[19] = 2;
	ip_len_set(p, 4, IP4_HDR_BYTES, len);
	return len;
}

/* The MAC over n bytes at p (raw primitive). */
static int
raw_mac(const struct xform *xf, const struct xform_key *k, const uint8_t *p,
    size_t n, uint8_t d[XFORM_DIGEST_MAX])
{
	struct xform_mac_ctx m;

	xf->mac_init(k, &m);
	xf->mac_update(&m, p, n);
	return xf->mac_final(&m, d);
}

static int
raw(struct bc *c, bool enc, uint64_t i)
{
	uint8_t *esp = buf + c->poff + c->esp_off, d[XFORM_DIGEST_MAX] = { 0 };
	size_t ivb = c->enc != NULL ? c->enc->iv_bytes : 0;
	uint8_t *pay = esp + 8 + ivb;
	int rc = 0;

	if (!enc)
		memcpy(buf + c->poff, pristine + c->poff, c->plen);
	if (c->enc != NULL && c->enc->kind == XFORM_KIND_AEAD)
		return enc ? c->enc->seal(c->sa.enc, i, esp, 8, pay, c->ctlen,
		    pay + c->ctlen) : c->enc->open(c->sa.enc, 1, esp, 8, pay,
		    c->ctlen, pay + c->ctlen);
	if (c->enc != NULL && ivb != 0 && enc)
		rc = c->enc->encrypt(c->sa.enc, esp + 8, pay, c->ctlen);
	if (rc == 0)
		rc = raw_mac(c->auth, c->sa.auth, c->ah ? buf + c->poff : esp,
		    c->ah ? c->plen : 8 + ivb + c->ctlen, d);
	if (c->enc != NULL && ivb != 0 && !enc && rc == 0)
		rc = c->enc->decrypt(c->sa.enc, esp + 8, pay, c->ctlen);
	sink ^= d[0];
	return rc;
}

static int
once(struct bc *c, enum op op, uint64_t i)
{
	struct xform_pkt pkt = { .buf = buf, .cap = CAP, .off = HEAD,
		.len = c->len };
	enum xform_reject why;
	struct esp_in in;
	struct ah_in ain;
	int rc;

	switch (op) {
	case ESP_ENC:
		memcpy(buf + HEAD, c->hdr, IP4_HDR_BYTES);
		return c->ah ? ah_encap(&c->sa, &pkt, 1 + (i & 0xffffff)) :
		    esp_encap(&c->sa, &pkt, 1 + (i & 0xffffff), i);
	case ESP_DEC:
		memcpy(buf + c->poff, pristine + c->poff, c->plen);
		pkt.off = c->poff;
		pkt.len = c->plen;
		if (c->ah)
			return (rc = ah_parse(&pkt, &ain, &why)) != 0 ? rc :
			    ah_decap(&c->sa, &pkt, &ain, 0, &why);
		return (rc = esp_parse(&pkt, &in, &why)) != 0 ? rc :
		    esp_decap(&c->sa, &pkt, &in, 0, &why);
	default:
		return raw(c, op == RAW_ENC, i);
	}
}

static double
run_once(void *arg, int op, uint64_t n)
{
	uint64_t t0 = cpu_ns(), i;

	for (i = 0; i < n; i++)
		if (once(arg, (enum op)op, i) != 0) {
			fprintf(stderr, "bench_crypto: op %d failed\n", op);
			exit(1);
		}
	return (double)n * 1e9 / (double)(cpu_ns() - t0);
}

/* Best of `runs` alternating runs of ~10 ms of ours and the reference. */
static void
measure(struct bc *c, enum op ours, enum op ref, int runs, double *po,
    double *pr)
{
	bench_alternate(run_once, c, (int)ours, (int)ref, runs, po, pr);
}

/* The row of alg from backend b, else the chosen one. */
static const struct xform *
row(enum xform_alg alg, enum xform_backend b)
{
	const struct xform *xf = xform_get_backend(alg, b);

	return xf != NULL ? xf : xform_get(alg);
}

static int
key(const struct xform *xf, struct xform_key **k)
{
	static const uint8_t kb[64] = { 0x42, 0x43, 0x44, 0x45 };

	return xform_key_new_row(xf, kb, xf->key_bytes, false, k);
}

/* The SA with backend b's rows; then one packet protected, as pristine. */
static int
setup(struct bc *c, const struct combo *cb, enum xform_backend b,
    size_t len)
{
	struct xform_pkt pkt = { .buf = buf, .cap = CAP, .off = HEAD };
	struct xform_key *k;
	struct esp_in in;
	enum xform_reject why;

	memset(c, 0, sizeof(*c));
	c->ah = cb->ah;
	c->sa.spi = 0x1234;
	c->sa.mode = XFORM_MODE_TRANSPORT;
	c->sa.ah_cleartos = 1;
	c->sa.proto = cb->ah ? IPPROTO_NUM_AH : IPPROTO_NUM_ESP;
	if (cb->enc != XFORM_ALG_NONE) {
		if ((c->enc = row(cb->enc, b)) == NULL || key(c->enc, &k) != 0)
			return -1;
		c->sa.enc = k;
	}
	if (cb->auth != XFORM_ALG_NONE) {
		if ((c->auth = row(cb->auth, b)) == NULL ||
		    key(c->auth, &k) != 0)
			return -1;
		c->sa.auth = k;
	}
	c->len = mkpkt(buf + HEAD, len);
	memcpy(c->hdr, buf + HEAD, IP4_HDR_BYTES);
	pkt.len = c->len;
	if ((cb->ah ? ah_encap(&c->sa, &pkt, 1) : esp_encap(&c->sa, &pkt, 1,
	    1)) != 0)
		return -1;
	c->plen = pkt.len;
	c->poff = pkt.off;
	memcpy(pristine, buf, CAP);
	if (cb->ah)
		return 0;
	if (esp_parse(&pkt, &in, &why) != 0)
		return -1;
	c->esp_off = in.esp_off;
	c->ctlen = in.esp_len - 8 - c->enc->iv_bytes -
	    (c->enc->kind == XFORM_KIND_AEAD ? c->enc->icv_bytes :
	    c->auth->icv_bytes);
	return 0;
}

static void
teardown(struct bc *c)
{
	union {
		const struct xform_key	*c;
		struct xform_key	*m;
	} e = { .c = c->sa.enc }, a = { .c = c->sa.auth };

	xform_key_free(e.m);
	xform_key_free(a.m);
}

/* The algorithm whose backend the row is about. */
static enum xform_alg
subject(const struct combo *cb)
{
	return cb->enc != XFORM_ALG_NONE && cb->enc != XFORM_NULL ?
	    cb->enc : cb->auth;
}

static void
bench_combo(const struct combo *cb, const struct xform_choice *ch, int runs)
{
	double e[XFORM_BACKEND_COUNT][nitems(sizes)] = { { 0 } };
	enum xform_alg s = subject(cb);
	size_t b, z;

	for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
		if (xform_get_backend(s, (enum xform_backend)b) == NULL)
			continue;
		for (z = 0; z < nitems(sizes); z++) {
			struct bc c;
			double re, d, rd, other;

			if (setup(&c, cb, (enum xform_backend)b, sizes[z]) !=
			    0) {
				printf("%-22s %-7s %5zu (setup failed)\n",
				    cb->name, xform_backend_name(
				    (enum xform_backend)b), sizes[z]);
				continue;
			}
			measure(&c, ESP_ENC, RAW_ENC, runs, &e[b][z], &re);
			measure(&c, ESP_DEC, RAW_DEC, runs, &d, &rd);
			other = b == 0 ? 0 : e[0][z];
			printf("%-22s %-7s%c %5zu %10.0f %10.0f %6.3f %10.0f "
			    "%10.0f %6.3f", cb->name, xform_backend_name(
			    (enum xform_backend)b), ch[s].backend == b &&
			    ch[s].why != XFORM_WHY_NONE ? '*' : ' ', sizes[z],
			    e[b][z], re, e[b][z] / re, d, rd, d / rd);
			if (other > 0)
				printf(" %6.3f", e[b][z] / other);
			printf("\n");
			fflush(stdout);
			teardown(&c);
		}
	}
}

int
main(int argc, char **argv)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	struct xform_select_cfg cfg = { .clock = cpu_clock };
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 7;
	char err[256];
	size_t a;

	if (xform_init() != 0)
		return 1;
	pin(0);
	if (xform_select(&cfg, ch, err, sizeof(err)) != 0)
		return 1;
	printf("bench_crypto: build %s\n", BENCH_BUILD);
	printf("start-up selection (1400 bytes, MB/s):");
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		if (ch[a].why == XFORM_WHY_FASTER)
			printf(" %s=%s(%" PRIu64 " vs %" PRIu64 ")",
			    xform_name((enum xform_alg)a),
			    xform_backend_name(ch[a].backend),
			    ch[a].mbps[ch[a].backend],
			    ch[a].mbps[1 - ch[a].backend]);
	printf("\nIPv4 transport; best of %d runs; pps; ratio = ESP / raw "
	    "primitive of the same backend; vs = openssl ESP / sodium ESP; "
	    "* = chosen\n", runs);
	printf("%-22s %-8s %5s %10s %10s %6s %10s %10s %6s %6s\n", "transform",
	    "backend", "bytes", "encap", "raw", "ratio", "decap", "raw",
	    "ratio", "vs");
	for (a = 0; a < nitems(combos); a++) {
		if (argc > 2 && strstr(combos[a].name, argv[2]) == NULL)
			continue;
		bench_combo(&combos[a], ch, runs);
	}
	return 0;
}
