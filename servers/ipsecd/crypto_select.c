/*
 * crypto_select.c - start-up self-tests and the choice of a backend per
 * algorithm (crypto_select.h).
 *
 * Self-tests: one published known answer per algorithm (picked by
 * gen_selftest.py from tests/vectors and tests/kat at build time), run
 * through every backend's row exactly as the packet code calls it: seal
 * and open (and a flipped tag refused) for the AEADs, encrypt and decrypt
 * for AES-CBC/CTR, init/update/final for the MACs (fed in two pieces, so
 * the incremental path is what is tested). AES-GMAC with 192- and
 * 256-bit keys has no published vector; it is checked against the same
 * backend's AES-GCM (GMAC is GCM with everything in the AAD), whose
 * answer is known. Untrusted input: the override string (configuration).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_select.h"

struct xform_kat {
	enum xform_alg	 alg;
	const char	*source;
	const uint8_t	*key;
	size_t		 key_len;
	const uint8_t	*iv;
	size_t		 iv_len;
	const uint8_t	*aad;
	size_t		 aad_len;
	const uint8_t	*in;
	size_t		 in_len;
	const uint8_t	*out;
	size_t		 out_len;
	const uint8_t	*tag;
	size_t		 tag_len;
};

#include "xform_selftest_vectors.h"

#define KAT_BUF		256	/* largest vector payload, bytes */
#define WANT_ALL	0x10	/* override by "all=": no complaints */
#define WANT_MASK	0x0f
#define MEASURE_BUF	9000
#define MEASURE_BATCH	16

static const char *const why_names[XFORM_WHY_COUNT] = {
	[XFORM_WHY_NONE] = "unavailable",
	[XFORM_WHY_ONLY] = "only",
	[XFORM_WHY_SELFTEST] = "selftest",
	[XFORM_WHY_FASTER] = "faster",
	[XFORM_WHY_CONFIG] = "config",
	[XFORM_WHY_DEFAULT] = "default",
	[XFORM_WHY_KEPT] = "kept",
};

const char *
xform_why_str(enum xform_why w)
{
	if ((unsigned int)w >= XFORM_WHY_COUNT)
		return "unknown";
	return why_names[w];
}

static const struct xform_kat *
kat_find(enum xform_alg alg)
{
	size_t i;

	for (i = 0; i < nitems(xform_kats); i++)
		if (xform_kats[i].alg == alg)
			return &xform_kats[i];
	return NULL;
}

static bool
eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static int
kat_aead(const struct xform *xf, const struct xform_key *k,
    const struct xform_kat *v)
{
	uint8_t buf[KAT_BUF], tag[16];
	bool gmac = xf->sadb_alg == PARAPET_SADB_X_EALG_NULL_AES_GMAC;
	uint64_t iv = xform_be64_get(v->iv);

	memcpy(buf, v->in, v->in_len);
	if (xf->seal(k, iv, v->aad, v->aad_len, buf, v->in_len, tag) != 0 ||
	    !eq(buf, gmac ? v->in : v->out, v->in_len) ||
	    !eq(tag, v->tag, sizeof(tag)))
		return -EBADMSG;
	if (xf->open(k, iv, v->aad, v->aad_len, buf, v->in_len, tag) != 0 ||
	    !eq(buf, v->in, v->in_len))
		return -EBADMSG;
	tag[0] ^= 1;
	memcpy(buf, gmac ? v->in : v->out, v->in_len);
	if (xf->open(k, iv, v->aad, v->aad_len, buf, v->in_len, tag) == 0)
		return -EBADMSG;
	return 0;
}

static int
kat_cipher(const struct xform *xf, const struct xform_key *k,
    const struct xform_kat *v)
{
	uint8_t buf[KAT_BUF];

	memcpy(buf, v->in, v->in_len);
	if (xf->encrypt(k, v->iv, buf, v->in_len) != 0 ||
	    !eq(buf, v->out, v->out_len))
		return -EBADMSG;
	if (xf->decrypt(k, v->iv, buf, v->in_len) != 0 ||
	    !eq(buf, v->in, v->in_len))
		return -EBADMSG;
	return 0;
}

static int
kat_mac(const struct xform *xf, const struct xform_key *k,
    const struct xform_kat *v)
{
	struct xform_mac_ctx ctx;
	uint8_t digest[XFORM_DIGEST_MAX];
	size_t half = v->in_len / 2, n = v->tag_len;

	xf->mac_init(k, &ctx);
	xf->mac_update(&ctx, v->in, half);
	xf->mac_update(&ctx, v->in + half, v->in_len - half);
	if (xf->mac_final(&ctx, digest) != 0)
		return -EBADMSG;
	if (n < xf->icv_bytes || n > sizeof(digest) || !eq(digest, v->tag, n))
		return -EBADMSG;
	return 0;
}

/* GMAC without a vector: against GCM of the same backend and key. */
static int
kat_gmac_vs_gcm(const struct xform *xf)
{
	static const enum xform_alg gcm_of[] = {
		[XFORM_AES192GMAC] = XFORM_AES192GCM16,
		[XFORM_AES256GMAC] = XFORM_AES256GCM16,
	};
	const struct xform *gcm;
	struct xform_key *kg = NULL, *kc = NULL;
	uint8_t key[36], aad[8 + 8 + 40], t1[16], t2[16];
	uint64_t iv;
	size_t i;
	int error;

	if ((size_t)xf->alg >= nitems(gcm_of) || gcm_of[xf->alg] == 0 ||
	    (gcm = xform_get_backend(gcm_of[xf->alg], xf->backend)) == NULL)
		return -ENOENT;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(aad); i++)
		aad[i] = (uint8_t)(i * 13 + 5);
	/* aad = SPI || seq || IV || payload; the IV is bytes 8..15. */
	if ((error = xform_key_new_row(xf, key, xf->key_bytes, false,
	    &kg)) != 0 || (error = xform_key_new_row(gcm, key, gcm->key_bytes,
	    false, &kc)) != 0)
		goto out;
	error = -EBADMSG;
	iv = xform_be64_get(aad + 8);
	if (xf->seal(kg, iv, aad, 8, aad + 16, 40, t1) == 0 &&
	    gcm->seal(kc, iv, aad, sizeof(aad), NULL, 0, t2) == 0 &&
	    memcmp(t1, t2, sizeof(t1)) == 0 &&
	    xf->open(kg, iv, aad, 8, aad + 16, 40, t2) == 0)
		error = 0;
out:
	xform_key_free(kg);
	xform_key_free(kc);
	return error;
}

int
xform_selftest(const struct xform *xf)
{
	const struct xform_kat *v;
	struct xform_key *k;
	int error;

	if (xf->alg == XFORM_NULL)
		return 0;
	if ((v = kat_find(xf->alg)) == NULL)
		return kat_gmac_vs_gcm(xf);
	if (v->in_len > KAT_BUF)
		return -EBADMSG;
	if ((error = xform_key_new_row(xf, v->key, v->key_len, true, &k)) != 0)
		return error == -ENOMEM ? error : -EBADMSG;
	switch (xf->kind) {
	case XFORM_KIND_AEAD:
		error = kat_aead(xf, k, v);
		break;
	case XFORM_KIND_CIPHER:
		error = kat_cipher(xf, k, v);
		break;
	default:
		error = kat_mac(xf, k, v);
		break;
	}
	xform_key_free(k);
	return error;
}

/* The measurement: one operation of the row on n bytes. */
static int
measure_op(const struct xform *xf, const struct xform_key *k, uint8_t *buf,
    size_t n, uint64_t i)
{
	static const uint8_t aad[8] = { 0, 0, 0x12, 0x34, 0, 0, 0, 1 };
	uint8_t icv[16], digest[XFORM_DIGEST_MAX];
	struct xform_mac_ctx ctx;

	switch (xf->kind) {
	case XFORM_KIND_AEAD:
		return xf->seal(k, i, aad, sizeof(aad), buf, n, icv);
	case XFORM_KIND_CIPHER:
		return xf->encrypt(k, buf, buf + XFORM_IV_MAX,
		    (n - XFORM_IV_MAX) / 16 * 16);
	default:
		xf->mac_init(k, &ctx);
		xf->mac_update(&ctx, buf, n);
		return xf->mac_final(&ctx, digest);
	}
}

/*
 * Operations per budget: bytes per microsecond, i.e. MB/s. The clock is
 * read every MEASURE_BATCH operations (a CPU-time clock is a system call,
 * which would otherwise weigh on both backends alike and hide the
 * difference).
 */
static uint64_t
measure_round(const struct xform *xf, const struct xform_key *k,
    uint8_t *buf, size_t n, const struct xform_select_cfg *cfg)
{
	uint64_t t0, t, ops = 0;
	int i;

	t0 = cfg->clock(cfg->clock_arg);
	do {
		for (i = 0; i < MEASURE_BATCH; i++)
			if (measure_op(xf, k, buf, n, ops++) != 0)
				return 0;
		t = cfg->clock(cfg->clock_arg);
	} while (t - t0 < cfg->budget_ns);
	return t > t0 ? ops * n * 1000 / (t - t0) : 0;
}

/* Best of three alternating rounds per backend, into c->mbps. */
static int
measure(struct xform_choice *c, const struct xform_select_cfg *cfg)
{
	struct xform_key *k[XFORM_BACKEND_COUNT] = { NULL };
	uint8_t key[64], *buf;
	size_t b, i, n = cfg->bytes;
	int round, error = 0;

	if ((buf = calloc(1, MEASURE_BUF)) == NULL)
		return -ENOMEM;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	for (b = 0; b < XFORM_BACKEND_COUNT && error == 0; b++)
		if (c->kat_ok[b]) {
			const struct xform *xf = xform_get_backend(c->alg,
			    (enum xform_backend)b);

			error = xform_key_new_row(xf, key, xf->key_bytes,
			    false, &k[b]);
		}
	for (round = 0; round < 3 && error == 0; round++)
		for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
			uint64_t r;

			if (k[b] == NULL)
				continue;
			r = measure_round(xform_key_xform(k[b]), k[b], buf, n,
			    cfg);
			if (r > c->mbps[b])
				c->mbps[b] = r;
		}
	for (b = 0; b < XFORM_BACKEND_COUNT; b++)
		xform_key_free(k[b]);
	free(buf);
	return error;
}

/* Append "'WHAT': WHY; " to err. */
static void
errf(char *err, size_t errlen, const char *what, size_t n, const char *why)
{
	size_t used = errlen > 0 ? strlen(err) : 0;

	if (used + 1 < errlen)
		snprintf(err + used, errlen - used, "'%.*s': %s; ", (int)n,
		    what, why);
}

/* One "alg=backend" item into want[]; bad ones described in err. */
static void
override_item(const char *s, size_t n, uint8_t want[XFORM_ALG_COUNT],
    char *err, size_t errlen)
{
	const char *eqp = memchr(s, '=', n);
	enum xform_backend b;
	enum xform_alg alg;
	size_t a;

	if (eqp == NULL || xform_backend_by_name(eqp + 1,
	    n - (size_t)(eqp - s) - 1, &b) != 0) {
		errf(err, errlen, s, n, "not ALG=sodium|openssl");
		return;
	}
	if ((size_t)(eqp - s) == 3 && memcmp(s, "all", 3) == 0) {
		for (a = 1; a < XFORM_ALG_COUNT; a++)
			want[a] = (uint8_t)(WANT_ALL | (b + 1));
		return;
	}
	if ((alg = xform_alg_by_name(s, (size_t)(eqp - s))) ==
	    XFORM_ALG_NONE) {
		errf(err, errlen, s, n, "unknown algorithm");
		return;
	}
	want[alg] = (uint8_t)(b + 1);
}

static void
override_parse(const char *s, uint8_t want[XFORM_ALG_COUNT], char *err,
    size_t errlen)
{
	size_t n;

	while (s != NULL && *s != '\0') {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		n = strcspn(s, ", \t");
		override_item(s, n, want, err, errlen);
		s += n;
	}
}

/* An earlier start chose a backend that passed now (cfg->keep). */
static bool
kept(const struct xform_choice *c, const struct xform_select_cfg *cfg)
{
	uint8_t k;

	if (cfg->keep == NULL)
		return false;
	k = cfg->keep[c->alg];
	return k != 0 && k <= XFORM_BACKEND_COUNT && c->kat_ok[k - 1];
}

/* Choose among the backends that passed. */
static int
choose(struct xform_choice *c, unsigned int want,
    const struct xform_select_cfg *cfg)
{
	size_t b, npass = 0, npresent = 0;
	int error;

	for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
		npass += c->kat_ok[b];
		npresent += c->present[b];
	}
	c->backend = xform_get(c->alg) != NULL ?
	    xform_get(c->alg)->backend : XFORM_BACKEND_SODIUM;
	if (npass == 0) {
		c->why = XFORM_WHY_NONE;
		return 0;
	}
	want &= WANT_MASK;
	if (want != 0 && c->kat_ok[want - 1]) {
		c->backend = (enum xform_backend)(want - 1);
		c->why = XFORM_WHY_CONFIG;
	} else if (npass == 1)
		c->why = npresent > 1 ? XFORM_WHY_SELFTEST : XFORM_WHY_ONLY;
	else if (kept(c, cfg)) {
		c->backend = (enum xform_backend)(cfg->keep[c->alg] - 1);
		c->why = XFORM_WHY_KEPT;
	} else if (cfg->clock == NULL)
		c->why = XFORM_WHY_DEFAULT;
	else {
		if ((error = measure(c, cfg)) != 0)
			return error;
		for (b = 0; b < XFORM_BACKEND_COUNT; b++)
			if (c->kat_ok[b] && c->mbps[b] > c->mbps[c->backend])
				c->backend = (enum xform_backend)b;
		c->why = XFORM_WHY_FASTER;
	}
	return xform_select_set(c->alg, c->backend);
}

static void
selftest_all(struct xform_choice *c)
{
	size_t b;

	for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
		const struct xform *xf = xform_get_backend(c->alg,
		    (enum xform_backend)b);

		c->present[b] = xf != NULL;
		if (xf == NULL)
			continue;
		c->kat_ok[b] = xform_selftest(xf) == 0;
		if (!c->kat_ok[b])
			xform_backend_disable(c->alg, (enum xform_backend)b);
	}
}

int
xform_select(const struct xform_select_cfg *cfg0,
    struct xform_choice out[XFORM_ALG_COUNT], char *err, size_t errlen)
{
	struct xform_select_cfg cfg = *cfg0;
	uint8_t want[XFORM_ALG_COUNT] = { 0 };
	size_t a;
	int error;

	if (errlen > 0)
		err[0] = '\0';
	else
		err = NULL;
	if (cfg.bytes == 0 || cfg.bytes > MEASURE_BUF - 64)
		cfg.bytes = 1400;
	if (cfg.budget_ns == 0)
		cfg.budget_ns = 2000000;
	override_parse(cfg.override, want, err, errlen);
	memset(out, 0, sizeof(*out) * XFORM_ALG_COUNT);
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		out[a].alg = (enum xform_alg)a;
		selftest_all(&out[a]);
		if (want[a] != 0 && (want[a] & WANT_ALL) == 0 &&
		    !out[a].kat_ok[want[a] - 1])
			errf(err, errlen, xform_name((enum xform_alg)a),
			    strlen(xform_name((enum xform_alg)a)),
			    "the backend lacks it or failed its self-test");
		if ((error = choose(&out[a], want[a], &cfg)) != 0 &&
		    error != -ENOENT)
			return error;
	}
	return 0;
}
