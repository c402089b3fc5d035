/*
 * policyd.c - the policyd server process: the shared server shell
 * (common/server.c: handoff, bus, ReadyEvent, counters, signals) plus
 * policyd's engine: the SPD (spd.h) with its PF_KEY face (spd_pfkey.h),
 * the system-wide variables (sysctl.h), persistence in the store the
 * supervisor keeps for it (policyd_store.c) and the bus (policyd_bus.c: keyd's
 * relayed X_SPD* messages, X_SPDDUMP pages, snapshots and deltas for
 * netd and ipsecd, sysctl get/set) and the per-socket policy endpoint
 * RUNDIR/sockpol.sock (sockpol_srv.c, DESIGN §10.21).
 *
 * Usage: policyd [-d] [-n BUSNAME] [-s BUS_SOCKET] [-u USER]
 *
 * Test hooks (PARAPET_TEST_CRASH_AT_START, PARAPET_TEST_FILL_POOL): see
 * common/server.h.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "policyd.h"
#include "server.h"

uint64_t
pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
random64(void)
{
	uint64_t v = 0;

	while (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		;
	return v;
}

static int
policyd_init(struct server *srv, void *arg)
{
	struct policyd *pd = arg;
	int error;

	pd->srv = srv;
	pd->bus = server_bus(srv);
	pd->epoch = random64() | 1;
	pd->next_token = random64() | 1;
	sysctl_defaults(&pd->vals);
	if ((error = spd_create(&pd->spd, random64())) != 0 ||
	    (error = spd_pfkey_init(&pd->pk, pd->spd)) != 0) {
		log_warnx("spd: %s", strerror(-error));
		return -1;
	}
	if ((error = pd_store_load(pd)) != 0) {
		log_warnx("store: %s", strerror(-error));
		return -1;
	}
	if ((error = pd_bus_start(pd)) != 0) {
		log_warnx("bus: %s", strerror(-error));
		return -1;
	}
	/* Per-socket policy: without its endpoint the SPD still works. */
	if ((error = pd_sockpol_start(pd)) != 0)
		log_warnx("sockpol: %s", strerror(-error));
	log_info("spd: %zu policies, store %s", spd_count(pd->spd),
	    pd->store != NULL ? "attached" : "none (memory only)");
	return 0;
}

static void
policyd_fini(struct server *srv, void *arg)
{
	struct policyd *pd = arg;

	(void)srv;
	pd_sockpol_stop(pd);
	pd_bus_stop(pd);
	pd_store_close(pd);
	spd_pfkey_fini(&pd->pk);
	spd_destroy(pd->spd);
	pd->spd = NULL;
}

int
main(int argc, char **argv)
{
	static struct policyd pd;
	struct server_def def = {
		.name = "policyd",
		.region_side = SERVER_REGIONS_NONE,
		.init = policyd_init,
		.fini = policyd_fini,
		.arg = &pd,
	};

	pd_sockpol_args(&pd, argc, argv);
	return server_main(argc, argv, &def);
}
