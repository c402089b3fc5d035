/*
 * keyd_bus.h - keyd's side of the bus contract with ipsecd
 * (proto/keyd.proto): SaChangeEvents and AcquireDoneEvents published on
 * topic "sa", SaSyncRequest (paged resync), SaUsageRequest (usage into
 * the lifetimes, sadb_use()) and AcquireRequest (SADB_ACQUIRE to the
 * registered key managers, the acquire table, duplicate suppression,
 * timeouts). Shell: bus handlers and one timer; the decisions are in
 * sadb.h, acquire.h and pfkey_dispatch.h.
 *
 * Untrusted input: the bodies of requests from the bus (validated by
 * common/bus_msg.c before they arrive here; values are still only used
 * as lookups).
 *
 * Keys leave keyd here (SaChangeEvent, SaSyncReply): the bus socket is
 * root-only (0600) and ipsecd must wipe what it receives.
 *
 * Start-up order: keyd_bus_start() (handlers, counters; its hooks go to
 * keyd_pfkey_start()), then keyd_bus_attach() with the PF_KEY endpoint,
 * before the loop runs.
 */
#ifndef PARAPET_KEYD_BUS_H
#define PARAPET_KEYD_BUS_H

#include "acquire.h"
#include "keyd_pfkey.h"
#include "pfkey_dispatch.h"
#include "sadb.h"

struct server;
struct keyd_bus;

#define KEYD_BUS_TOPIC		"sa"
#define KEYD_SYNC_WALKS_MAX	8	/* open SaSync walks */
#define KEYD_SYNC_IDLE_MS	30000	/* an idle walk is dropped */

int	keyd_bus_start(struct keyd_bus **, struct server *, struct sadb *,
	    struct acquire_table *) MUST_CHECK;
/* The hooks to give keyd_pfkey_start(). */
struct keyd_hooks keyd_bus_hooks(struct keyd_bus *);
void	keyd_bus_attach(struct keyd_bus *, struct keyd_pfkey *);
/* Ends the sync walks, closes the timer (memory goes in its callback). */
void	keyd_bus_stop(struct keyd_bus *);

#endif
