/*
 * keyd.c - the keyd server process: the shared server shell
 * (common/server.c: handoff, bus, ReadyEvent, counters, signals) plus
 * keyd's engine: the SADB (sadb.h) and the PF_KEY endpoint
 * (keyd_pfkey.h), started in init() and stopped in fini().
 *
 * Usage: keyd [-d] [-n BUSNAME] [-s BUS_SOCKET] [-u USER]
 *             [-P PFKEY_SOCKET] [-g GROUP]
 *   -P  the PF_KEY socket (default: pfkey.sock in the directory of the
 *       bus socket, i.e. RUNDIR/pfkey.sock)
 *   -g  peers in GROUP may connect as well as uid 0
 * -P and -g are keyd's own: they are taken out of argv before the shell
 * parses the rest.
 *
 * keyd holds keys: core dumps are disabled (PR_SET_DUMPABLE 0, RLIMIT_CORE
 * 0) and key memory comes from sodium_malloc (guarded, locked, wiped).
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "acquire.h"
#include "keyd_bus.h"
#include "keyd_pfkey.h"
#include "log.h"
#include "sadb.h"
#include "sadb_store.h"
#include "server.h"

struct keyd {
	const char		*bus_path;	/* as given with -s */
	const char		*pfkey_path;	/* -P */
	const char		*group;		/* -g */
	char			 path[256];
	struct sadb		*db;
	struct keyd_pfkey	*pfkey;
	struct acquire_table	*acq;		/* outstanding ACQUIREs */
	struct keyd_bus		*bus;		/* ipsecd (keyd_bus.h) */
};

static void *
key_alloc(size_t len, void *arg)
{
	(void)arg;
	return sodium_malloc(len);
}

static void
key_free(void *p, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	sodium_free(p);		/* wipes */
}

static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		log_warn("setrlimit(RLIMIT_CORE)");
}

/* RUNDIR/pfkey.sock, RUNDIR being the directory of the bus socket. */
static int
pfkey_path(struct keyd *k)
{
	const char *slash;
	int n;

	if (k->pfkey_path != NULL)
		n = snprintf(k->path, sizeof(k->path), "%s", k->pfkey_path);
	else if ((slash = strrchr(k->bus_path, '/')) == NULL)
		n = snprintf(k->path, sizeof(k->path), "pfkey.sock");
	else
		n = snprintf(k->path, sizeof(k->path), "%.*s/pfkey.sock",
		    (int)(slash - k->bus_path), k->bus_path);
	return n < 0 || (size_t)n >= sizeof(k->path) ? -ENAMETOOLONG : 0;
}

/*
 * SA generations (sadb_sa_generation()) must never repeat, also across
 * restarts, where a deleted SA's number is not in the store: start above
 * the wall clock in ms << 16, which grows faster than any SADB creates
 * SAs (65536 per ms) and fits 64 bits for millennia.
 */
static void
generation_floor(struct sadb *db)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return;
	sadb_generation_floor(db, ((uint64_t)ts.tv_sec * 1000 +
	    (uint64_t)ts.tv_nsec / 1000000) << 16);
}

static int
keyd_init(struct server *srv, void *arg)
{
	struct keyd *k = arg;
	struct keyd_pfkey_cfg cfg;
	struct sadb_limits lim;
	struct sadb_store_stats st;
	struct pstore *ps;
	struct group *gr;
	int error;

	no_core_dumps();
	memset(&lim, 0, sizeof(lim));
	lim.key_alloc.alloc = key_alloc;
	lim.key_alloc.free = key_free;
	randombytes_buf(lim.hash_seed, sizeof(lim.hash_seed));
	/* With a store from the supervisor, every SA outlives keyd. */
	if ((ps = server_store(srv)) != NULL)
		lim.persist = (struct sadb_persist){ sadb_store_put,
		    sadb_store_del, ps };
	if ((error = sadb_create(&k->db, &lim)) != 0) {
		log_warnx("sadb: %s", strerror(-error));
		return -1;
	}
	sodium_memzero(lim.hash_seed, sizeof(lim.hash_seed));
	if (ps != NULL) {
		if ((error = sadb_store_load(k->db, ps, &st)) != 0) {
			log_warnx("sadb: load the store: %s", strerror(-error));
			goto fail;
		}
		log_info("sadb: %llu SAs restored from the store%s",
		    (unsigned long long)st.restored, st.bad > 0 ?
		    ", some records bad (deleted)" : "");
		if (st.bad > 0)
			log_warnx("sadb: %llu bad records deleted",
			    (unsigned long long)st.bad);
	} else
		log_info("sadb: no store: SAs live in keyd's memory only");
	generation_floor(k->db);

	memset(&cfg, 0, sizeof(cfg));
	if (pfkey_path(k) != 0) {
		log_warnx("pfkey: socket path too long");
		goto fail;
	}
	cfg.path = k->path;
	cfg.mode = 0660;
	cfg.db = k->db;
	cfg.have_aes = crypto_aead_aes256gcm_is_available() != 0;
	if (k->group != NULL) {
		if ((gr = getgrnam(k->group)) == NULL) {
			log_warnx("pfkey: no such group: %s", k->group);
			goto fail;
		}
		cfg.have_group = true;
		cfg.gid = gr->gr_gid;
	}
	/* The bus side first: its hooks go into the PF_KEY core. */
	if ((error = acquire_table_create(&k->acq, NULL)) != 0 ||
	    (error = keyd_bus_start(&k->bus, srv, k->db, k->acq)) != 0) {
		log_warnx("bus: %s", strerror(-error));
		goto fail;
	}
	cfg.acq = k->acq;
	cfg.hooks = keyd_bus_hooks(k->bus);
	if ((error = keyd_pfkey_start(&k->pfkey, server_loop(srv), srv,
	    &cfg)) != 0) {
		log_warnx("pfkey: cannot listen on %s: %s", k->path,
		    strerror(-error));
		goto fail;
	}
	keyd_bus_attach(k->bus, k->pfkey);
	return 0;
fail:
	keyd_bus_stop(k->bus);
	k->bus = NULL;
	acquire_table_destroy(k->acq);
	k->acq = NULL;
	sadb_destroy(k->db);
	k->db = NULL;
	return -1;
}

static void
keyd_fini(struct server *srv, void *arg)
{
	struct keyd *k = arg;

	(void)srv;
	/* Ends every DUMP and sync cursor at once; handles close in the
	 * loop. */
	keyd_bus_stop(k->bus);
	k->bus = NULL;
	keyd_pfkey_stop(k->pfkey);
	k->pfkey = NULL;
	sadb_destroy(k->db);
	k->db = NULL;
	acquire_table_destroy(k->acq);
	k->acq = NULL;
}

/*
 * Take keyd's own options (-P, -g) out of argv and note -s: getopt over
 * the union of both option sets, then a new argv in canonical form ("-s"
 * "X") with the shell's options and the operands only.
 */
static char **
own_options(struct keyd *k, int *argcp, char **argv)
{
	static char **nargv;	/* kept for the process's life */
	static char flag[4][3] = { "-d", "-n", "-s", "-u" };
	int argc = *argcp, n = 0, ch;

	if ((nargv = calloc((size_t)argc * 2 + 1, sizeof(*nargv))) == NULL)
		return argv;	/* the shell will refuse -P/-g */
	nargv[n++] = argv[0];
	opterr = 0;
	while ((ch = getopt(argc, argv, "dn:s:u:P:g:")) != -1) {
		switch (ch) {
		case 'P':
			k->pfkey_path = optarg;
			break;
		case 'g':
			k->group = optarg;
			break;
		case 'd':
			nargv[n++] = flag[0];
			break;
		case 'n':
		case 's':
		case 'u':
			if (ch == 's')
				k->bus_path = optarg;
			nargv[n++] = flag[ch == 'n' ? 1 : ch == 's' ? 2 : 3];
			nargv[n++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-d] [-n BUSNAME] "
			    "[-s BUS_SOCKET] [-u USER] [-P PFKEY_SOCKET] "
			    "[-g GROUP]\n", argv[0]);
			exit(2);
		}
	}
	while (optind < argc)
		nargv[n++] = argv[optind++];
	nargv[n] = NULL;
	optind = 1;
	opterr = 1;
	*argcp = n;
	return nargv;
}

int
main(int argc, char **argv)
{
	static struct keyd k = { .bus_path = SERVER_DEFAULT_BUS };
	struct server_def def = {
		.name = "keyd",
		.region_side = SERVER_REGIONS_NONE,
		.init = keyd_init,
		.fini = keyd_fini,
		.arg = &k,
	};

	argv = own_options(&k, &argc, argv);
	return server_main(argc, argv, &def);
}
