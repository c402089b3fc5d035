/*
 * test_crypto_select.c - the start-up self-tests and the backend choice
 * (servers/ipsecd/crypto_select.c): every row of every backend passes
 * its known answer; without a clock the default order holds (OpenSSL
 * first); with a clock the faster backend wins (a fake clock that makes
 * one backend look slow); the override wins over both and bad override
 * items are reported, not applied; a backend disabled after a failed
 * self-test is never chosen; the names of the reasons.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto_select.h"

static void
test_selftest_rows(void **state)
{
	size_t a, b, n = 0;

	(void)state;
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		for (b = 0; b < XFORM_BACKEND_COUNT; b++) {
			const struct xform *xf = xform_get_backend(
			    (enum xform_alg)a, (enum xform_backend)b);

			if (xf == NULL)
				continue;
			if (xform_selftest(xf) != 0)
				printf("selftest %s/%s failed\n", xf->name,
				    xform_backend_name(xf->backend));
			assert_int_equal(xform_selftest(xf), 0);
			n++;
		}
#ifdef PARAPET_CRYPTO_OPENSSL
	/* 18 OpenSSL rows + libsodium's 5 (AES-GCM needs AES-NI there). */
	assert_true(n >= 22);
#else
	assert_true(n >= 4);
#endif
}

static void
test_default_order(void **state)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	struct xform_select_cfg cfg = { 0 };
	char err[256];
	size_t a;

	(void)state;
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		const struct xform *xf = xform_get((enum xform_alg)a);

		if (ch[a].why == XFORM_WHY_NONE) {
			assert_null(xf);
			continue;
		}
		assert_non_null(xf);
		assert_int_equal(xf->backend, ch[a].backend);
		if (ch[a].kat_ok[XFORM_BACKEND_OPENSSL] &&
		    ch[a].kat_ok[XFORM_BACKEND_SODIUM]) {
			assert_int_equal(ch[a].why, XFORM_WHY_DEFAULT);
			assert_int_equal(ch[a].backend, XFORM_BACKEND_OPENSSL);
		} else
			assert_int_equal(ch[a].why, XFORM_WHY_ONLY);
	}
	assert_int_equal(ch[XFORM_NULL].backend, XFORM_BACKEND_SODIUM);
	assert_int_equal(ch[XFORM_HMAC_SHA256_128].why,
	    ch[XFORM_HMAC_SHA256_128].kat_ok[XFORM_BACKEND_OPENSSL] ?
	    XFORM_WHY_DEFAULT : XFORM_WHY_ONLY);
}

/*
 * A clock under the test's control (1 µs per reading): the measurement
 * runs, every rate is defined, and the choice is the faster (on a tie
 * the one already chosen). Speed itself is bench_crypto's business.
 */
static uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	fake_now += 1000;
	return fake_now;
}

static void
test_measured(void **state)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	struct xform_select_cfg cfg = { .clock = fake_clock,
		.budget_ns = 20000, .bytes = 64 };
	char err[256];
	size_t a;

	(void)state;
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		if (!ch[a].kat_ok[XFORM_BACKEND_OPENSSL] ||
		    !ch[a].kat_ok[XFORM_BACKEND_SODIUM])
			continue;
		assert_int_equal(ch[a].why, XFORM_WHY_FASTER);
		assert_true(ch[a].mbps[0] > 0 && ch[a].mbps[1] > 0);
		/* The chosen one is at least as fast as the other. */
		assert_true(ch[a].mbps[ch[a].backend] >=
		    ch[a].mbps[1 - ch[a].backend]);
		assert_int_equal(xform_get((enum xform_alg)a)->backend,
		    ch[a].backend);
	}
}

static uint64_t clock_calls;

static uint64_t
counting_clock(void *arg)
{
	(void)arg;
	clock_calls++;
	return fake_clock(NULL);
}

/*
 * A restart keeps the first start's choice (ipsecd's store notes):
 * every algorithm with two backends that passed takes the kept one,
 * "kept", without a single clock reading (no measurement: a restart
 * must be quick); an override still wins; a kept backend that is out of
 * range or absent is ignored (measured as before).
 */
static void
test_kept(void **state)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	uint8_t keep[XFORM_ALG_COUNT] = { 0 };
	struct xform_select_cfg cfg = { .clock = counting_clock,
		.budget_ns = 20000, .bytes = 64, .keep = keep };
	char err[256];
	size_t a, both = 0;

	(void)state;
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		keep[a] = 1 + XFORM_BACKEND_SODIUM;
	clock_calls = 0;
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	assert_int_equal(clock_calls, 0);
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		if (!ch[a].kat_ok[XFORM_BACKEND_OPENSSL] ||
		    !ch[a].kat_ok[XFORM_BACKEND_SODIUM])
			continue;
		both++;
		assert_int_equal(ch[a].why, XFORM_WHY_KEPT);
		assert_int_equal(ch[a].backend, XFORM_BACKEND_SODIUM);
		assert_int_equal(xform_get((enum xform_alg)a)->backend,
		    XFORM_BACKEND_SODIUM);
	}
	assert_string_equal(xform_why_str(XFORM_WHY_KEPT), "kept");
	/* The override wins over the note. */
	cfg.override = "all=openssl";
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		if (ch[a].kat_ok[XFORM_BACKEND_OPENSSL])
			assert_int_equal(ch[a].why == XFORM_WHY_KEPT, false);
	/* Junk in the note: measured as on a first start. */
	cfg.override = NULL;
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		keep[a] = 0x7f;
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	assert_true(both == 0 || clock_calls > 0);
	for (a = 1; a < XFORM_ALG_COUNT; a++)
		assert_int_not_equal(ch[a].why, XFORM_WHY_KEPT);
}

static void
test_override(void **state)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	struct xform_select_cfg cfg = {
		.override = "hmac-sha256=sodium, chacha20poly1305=openssl,"
		    "bogus=sodium,aes128cbc=sodium,hmac-sha512=gnutls,junk",
	};
	char err[512];

	(void)state;
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	assert_int_equal(ch[XFORM_HMAC_SHA256_128].backend,
	    XFORM_BACKEND_SODIUM);
	assert_int_equal(ch[XFORM_HMAC_SHA256_128].why, XFORM_WHY_CONFIG);
	assert_int_equal(xform_get(XFORM_HMAC_SHA256_128)->backend,
	    XFORM_BACKEND_SODIUM);
	assert_non_null(strstr(err, "'bogus=sodium': unknown algorithm"));
	assert_non_null(strstr(err, "'hmac-sha512=gnutls'"));
	assert_non_null(strstr(err, "'junk'"));
#ifdef PARAPET_CRYPTO_OPENSSL
	assert_int_equal(ch[XFORM_CHACHA20POLY1305].backend,
	    XFORM_BACKEND_OPENSSL);
	assert_int_equal(ch[XFORM_CHACHA20POLY1305].why, XFORM_WHY_CONFIG);
	/* libsodium has no AES-CBC: reported, OpenSSL stays. */
	assert_non_null(strstr(err, "'aes128cbc'"));
	assert_int_equal(ch[XFORM_AES128CBC].backend, XFORM_BACKEND_OPENSSL);
	assert_int_equal(ch[XFORM_AES128CBC].why, XFORM_WHY_ONLY);
#endif
	/* "all=" applies where it can and complains nowhere. */
	cfg.override = "all=sodium";
	assert_int_equal(xform_select(&cfg, ch, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(ch[XFORM_CHACHA20POLY1305].backend,
	    XFORM_BACKEND_SODIUM);
}

static void
test_disable(void **state)
{
	const struct xform *xf;

	(void)state;
	xform_backend_disable(XFORM_CHACHA20POLY1305, XFORM_BACKEND_OPENSSL);
	assert_null(xform_get_backend(XFORM_CHACHA20POLY1305,
	    XFORM_BACKEND_OPENSSL));
	xf = xform_get(XFORM_CHACHA20POLY1305);
	assert_non_null(xf);
	assert_int_equal(xf->backend, XFORM_BACKEND_SODIUM);
	assert_int_equal(xform_select_set(XFORM_CHACHA20POLY1305,
	    XFORM_BACKEND_OPENSSL), -ENOENT);
	assert_int_equal(xform_get(XFORM_CHACHA20POLY1305)->backend,
	    XFORM_BACKEND_SODIUM);
}

static void
test_names(void **state)
{
	enum xform_backend b;
	int i;

	(void)state;
	for (i = 0; i < XFORM_WHY_COUNT; i++)
		assert_string_not_equal(xform_why_str((enum xform_why)i),
		    "unknown");
	assert_string_equal(xform_why_str(XFORM_WHY_COUNT), "unknown");
	assert_int_equal(xform_backend_by_name("openssl", 7, &b), 0);
	assert_int_equal(b, XFORM_BACKEND_OPENSSL);
	assert_int_equal(xform_backend_by_name("opens", 5, &b), -ENOENT);
	assert_int_equal(xform_alg_by_name("aes-xcbc", 8), XFORM_AES_XCBC_96);
	assert_int_equal(xform_alg_by_name("aes", 3), XFORM_ALG_NONE);
	assert_string_equal(xform_backend_name(XFORM_BACKEND_COUNT),
	    "unknown");
	for (i = 1; i < XFORM_ALG_COUNT; i++)
		assert_int_equal(xform_alg_by_name(xform_name(
		    (enum xform_alg)i), strlen(xform_name((enum xform_alg)i))),
		    i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_rows),
		cmocka_unit_test(test_default_order),
		cmocka_unit_test(test_measured),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_disable),
	};

	if (xform_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
