/*
 * ipsecd_crypto.c - ipsecd's crypto start-up (ipsecd_crypto.h): which
 * backend serves each algorithm, chosen by crypto_select.c with this
 * thread's CPU clock, overridden by -C SPEC or PARAPET_CRYPTO, logged
 * and exported as counters:
 *
 *	crypto.<alg>.<backend>.<why>	MB/s measured (1: not measured)
 *	crypto.<alg>.<backend>.slower	the other backend's MB/s, if measured
 *	crypto.<alg>.none.unavailable	0: no backend passed
 *	crypto.selftest_failed		rows that failed their self-test
 *
 * (why: only, selftest, faster, config, default, kept). Untrusted input:
 * the override (configuration), parsed by crypto_select.c.
 *
 * The choice is written into the store's notes (pstore_notes(), struct
 * crypto_note); a restart takes it from there instead of measuring again
 * (the measurement costs ~60 ms of CPU, several hundred ms of wall time
 * on a loaded machine, all of it time without protected traffic; DESIGN
 * §8 wants traffic back within 100 ms). The note is the store's, not the
 * process's: it lives as long as parapetd, like the SA state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto_select.h"
#include "ipsecd_crypto.h"
#include "log.h"
#include "pstore.h"

#define CRYPTO_CTR_MAX	(2 * XFORM_ALG_COUNT + 1)
#define CRYPTO_NOTE_MAGIC	0x4c455358u	/* "XSEL" */

/*
 * At the start of ipsecd's store notes. The magic is stored last (release)
 * and checked first: a start killed while writing leaves no note, and the
 * next start measures again. nalg guards against another build's table.
 */
struct crypto_note {
	uint32_t	magic;
	uint16_t	nalg;
	uint16_t	reserved;
	uint8_t		keep[XFORM_ALG_COUNT];	/* backend + 1, 0: none */
};
_Static_assert(sizeof(struct crypto_note) <= PSTORE_NOTES_BYTES,
    "crypto note fits the notes");

/* The shell's state for this: the counters must outlive the loop. */
static struct {
	const char	*override;
	uint64_t	 value[CRYPTO_CTR_MAX];
	size_t		 n;
} cs;

void
ipsecd_crypto_args(int *argc, char **argv)
{
	int i, j = 1;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strncmp(argv[i], "-C", 2) != 0) {
			argv[j++] = argv[i];
			continue;
		}
		if (argv[i][2] != '\0')
			cs.override = argv[i] + 2;
		else if (i + 1 < *argc)
			cs.override = argv[++i];
	}
	argv[j] = NULL;
	*argc = j;
}

const char *
ipsecd_crypto_override(void)
{
	return cs.override;
}

static uint64_t
cpu_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
counter(struct server *srv, uint64_t value, const char *alg,
    const char *backend, const char *what)
{
	char name[96];

	if (cs.n >= CRYPTO_CTR_MAX)
		return -ENOSPC;
	cs.value[cs.n] = value;
	if (alg != NULL)
		snprintf(name, sizeof(name), "crypto.%s.%s.%s", alg, backend,
		    what);
	else
		snprintf(name, sizeof(name), "crypto.%s", what);
	return server_counter_add(srv, name, &cs.value[cs.n++]);
}

/* Log and count one algorithm's outcome. */
static int
report(struct server *srv, const struct xform_choice *c)
{
	const char *alg = xform_name(c->alg);
	const char *be = xform_backend_name(c->backend);
	enum xform_backend other = c->backend == XFORM_BACKEND_OPENSSL ?
	    XFORM_BACKEND_SODIUM : XFORM_BACKEND_OPENSSL;
	int error;

	if (c->why == XFORM_WHY_NONE) {
		log_info("crypto: %s: not available", alg);
		return counter(srv, 0, alg, "none", "unavailable");
	}
	if (c->why == XFORM_WHY_FASTER)
		log_info("crypto: %s: %s (%llu MB/s; %s %llu MB/s)", alg, be,
		    (unsigned long long)c->mbps[c->backend],
		    xform_backend_name(other),
		    (unsigned long long)c->mbps[other]);
	else
		log_info("crypto: %s: %s (%s)", alg, be, xform_why_str(c->why));
	if ((error = counter(srv, c->mbps[c->backend] != 0 ?
	    c->mbps[c->backend] : 1, alg, be, xform_why_str(c->why))) != 0)
		return error;
	if (c->mbps[other] != 0)
		return counter(srv, c->mbps[other], alg,
		    xform_backend_name(other), "slower");
	return 0;
}

/* The note of an earlier start in this store, or NULL. */
static const uint8_t *
note_get(struct server *srv)
{
	struct pstore *ps = server_store(srv);
	const struct crypto_note *n;

	if (ps == NULL)
		return NULL;
	n = pstore_notes(ps);
	if (__atomic_load_n(&n->magic, __ATOMIC_ACQUIRE) != CRYPTO_NOTE_MAGIC ||
	    n->nalg != XFORM_ALG_COUNT)
		return NULL;
	return n->keep;
}

static void
note_put(struct server *srv, const struct xform_choice ch[XFORM_ALG_COUNT])
{
	struct pstore *ps = server_store(srv);
	struct crypto_note *n;
	size_t a;

	if (ps == NULL)
		return;
	n = pstore_notes(ps);
	__atomic_store_n(&n->magic, 0, __ATOMIC_RELEASE);
	n->nalg = XFORM_ALG_COUNT;
	for (a = 0; a < XFORM_ALG_COUNT; a++)
		n->keep[a] = (uint8_t)(a > 0 && ch[a].why != XFORM_WHY_NONE ?
		    ch[a].backend + 1 : 0);
	__atomic_store_n(&n->magic, CRYPTO_NOTE_MAGIC, __ATOMIC_RELEASE);
}

int
ipsecd_crypto_start(struct server *srv)
{
	struct xform_choice ch[XFORM_ALG_COUNT];
	struct xform_select_cfg cfg = {
		.override = cs.override != NULL ? cs.override :
		    getenv("PARAPET_CRYPTO"),
		.clock = cpu_ns,
		.keep = note_get(srv),
	};
	char err[512];
	uint64_t failed = 0;
	size_t a, b;
	int error;

	if ((error = xform_select(&cfg, ch, err, sizeof(err))) != 0)
		return error;
	if (cfg.keep == NULL)
		note_put(srv, ch);
	if (err[0] != '\0')
		log_warnx("crypto: override '%s': %s(ignored)", cfg.override,
		    err);
	for (a = 1; a < XFORM_ALG_COUNT; a++) {
		for (b = 0; b < XFORM_BACKEND_COUNT; b++)
			if (ch[a].present[b] && !ch[a].kat_ok[b]) {
				log_warnx("crypto: %s: %s failed its "
				    "self-test: not used",
				    xform_name((enum xform_alg)a),
				    xform_backend_name((enum xform_backend)b));
				failed++;
			}
		if ((error = report(srv, &ch[a])) != 0)
			return error;
	}
	return counter(srv, failed, NULL, NULL, "selftest_failed");
}
