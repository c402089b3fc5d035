/*
 * server.h - the shell every server process shares (keyd, policyd, ipsecd,
 * netd): arguments, the handoff from the supervisor (shared-memory
 * regions), privilege drop, the bus client, the requests every server
 * answers (PingRequest, CountersRequest, RegionInfoRequest), ReadyEvent,
 * and a clean exit on SIGTERM/SIGINT.
 *
 * A server's main is one call:
 *
 *	int
 *	main(int argc, char **argv)
 *	{
 *		return server_main(argc, argv, &keyd_def);
 *	}
 *
 * Usage of every server binary:
 *	NAME [-d] [-n BUSNAME] [-s BUS_SOCKET] [-u USER]
 *   -s  the broker's socket (default /run/parapet/bus.sock)
 *   -n  the bus name (default: the server's own, e.g. "keyd")
 *   -u  drop privileges to USER before the first bus message
 *   -d  debug logging
 * Descriptor 3, when it is a socket, carries the supervisor's handoff
 * (servers/supervisor/handoff.h): regions, link descriptors, the store;
 * without it a server runs on its own, with none of them.
 *
 * Test hooks (environment; for tests only, documented in
 * docs/DESIGN.md §10.2):
 *   PARAPET_TEST_CRASH_AT_START=name[,name...]  those servers abort()
 *       right after reading the handoff (before the bus), every start.
 *   PARAPET_TEST_FILL_POOL=name[,name...]  on its first start (handoff
 *       restarts == 0) such a server fills the slot pool of each region
 *       where it is side A with random bytes, so that a test can tell an
 *       intact pool from a fresh one.
 */
#ifndef PARAPET_SERVER_H
#define PARAPET_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "bus.h"
#include "pstore.h"
#include "ring.h"
#include "util.h"

#define SERVER_REGIONS_NONE	(-1)
#define SERVER_DEFAULT_BUS	"/run/parapet/bus.sock"
#define SERVER_COUNTERS_MAX	512	/* registered by the engine */

struct server;

struct server_def {
	const char	*name;		/* default bus name */
	int		 region_side;	/* SERVER_REGIONS_NONE or the
					   enum ring_side this server takes
					   in every region handed to it */
	/*
	 * Called once regions are attached and the bus client exists,
	 * before the loop runs: register bus handlers, open handles.
	 * Non-zero: the server exits 1.
	 */
	int		(*init)(struct server *, void *arg);
	/* SIGTERM/SIGINT: close the engine's handles (the shell then closes
	 * whatever is left, and the bus client). */
	void		(*fini)(struct server *, void *arg);
	void		*arg;
};

/* Run a server; returns the process exit status. */
int	server_main(int argc, char **argv, const struct server_def *);

uv_loop_t *server_loop(struct server *);
struct bus_client *server_bus(struct server *);
const char *server_name(const struct server *);
/* How many times the supervisor restarted this server before (0: first
 * start, or no supervisor). A restarted server resynchronises. */
uint32_t server_restarts(const struct server *);

size_t	server_nregions(const struct server *);
/* Region i (borrowed, valid until exit) and its configured name. */
struct ring_region *server_region(const struct server *, size_t i,
	    const char **name);

/*
 * This server's store (common/pstore.h), attached: the state that must
 * outlive a kill -9 of the server. The supervisor creates one per server
 * whose [server NAME] section sets store_records (and store_record_bytes,
 * default 512) and hands the same one to every start. NULL without one
 * (no such setting, or a server run without a supervisor): the server
 * then keeps its state in its own memory only. Borrowed, valid until
 * exit.
 */
struct pstore *server_store(const struct server *);

/*
 * A link descriptor the supervisor opened for this server (netd's
 * [link NAME], DESIGN §10.2): a duplicate (close-on-exec) that the
 * caller owns, or -1 when none was handed over by that name (a server
 * run alone, a link the supervisor could not open). The shell keeps the
 * original until exit; the supervisor keeps its own for its life, so a
 * TAP stays attached while a server restarts.
 */
int	server_link_fd(const struct server *, const char *name);
size_t	server_nlinks(const struct server *);

/*
 * fn(arg) each time the connection to the broker is up (subscriptions in
 * force, ReadyEvent published), first and every reconnect: a server that
 * must resynchronise after a connect (ipsecd with keyd, netd with
 * policyd) starts at once instead of on its next tick, which after a
 * restart is time without traffic (DESIGN §8). At most
 * SERVER_CONNECT_HOOKS_MAX; -ENOSPC past that.
 */
#define SERVER_CONNECT_HOOKS_MAX	4
typedef void server_connect_fn(void *arg);
int	server_on_connect(struct server *, server_connect_fn *fn, void *arg)
	    MUST_CHECK;

/*
 * Report *value as counter `name` ("module.what", [a-z0-9_.-]) in every
 * CountersReply. Borrowed: value must stay valid until exit. -EINVAL for a
 * bad name, -ENOSPC past SERVER_COUNTERS_MAX.
 */
int	server_counter_add(struct server *, const char *name,
	    const uint64_t *value) MUST_CHECK;

#endif
