/*
 * ipsecd.c - the ipsecd server process: the shared server shell
 * (common/server.c: handoff, bus, ReadyEvent, signals) plus the engine
 * that makes ipsecd's pure cores a server:
 *
 *   store    the supervisor's store (server_store(), DESIGN §10.4a) holds
 *            the per-SA packet state (sa_state.h); without a supervisor
 *            a private memfd store stands in (state lost with the process)
 *   SAs      the SA table (sa_table.h), filled from keyd over the bus
 *            (ipsecd_bus.c), with the shell's per-SA report bookkeeping
 *            here (the "registry", by keyd generation)
 *   rings    each region handed to us as side B: work in, done out
 *            (ipsecd_io.c)
 *
 * On a restart (server_restarts() > 0) the store's records are indexed
 * again before anything else, so that the SAs keyd re-announces find
 * their sequence counters and replay windows where the killed ipsecd
 * left them: no sequence number or IV is used twice.
 *
 * Untrusted input arrives in ipsecd_bus.c (bus messages) and ipsecd_io.c
 * (ring slots); nothing here reads peer bytes. Keys never reach a log.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ipsecd_crypto.h"
#include "ipsecd_sa.h"
#include "ipsecd_shell.h"
#include "pstore.h"
#include "xform.h"

static struct ipsecd ipsecd_state_g;	/* the one process state (main) */

uint64_t
ipsecd_now_ms(struct ipsecd *d)
{
	return uv_now(d->loop);
}

/* ---- the registry: per-SA shell bookkeeping, by generation ---- */

static size_t
info_bucket(const struct ipsecd *d, uint64_t gen)
{
	return (size_t)((gen * UINT64_C(0x9e3779b97f4a7c15)) >> 40) &
	    (d->ninfo - 1);
}

struct ipsecd_sainfo *
ipsecd_info_get(struct ipsecd *d, uint64_t gen)
{
	struct ipsecd_sainfo *i;

	for (i = d->info[info_bucket(d, gen)].head; i != NULL; i = i->next)
		if (i->gen == gen)
			return i;
	return NULL;
}

static void
info_del(struct ipsecd *d, uint64_t gen)
{
	struct ipsecd_sainfo **p, *i;

	for (p = &d->info[info_bucket(d, gen)].head; (i = *p) != NULL;
	    p = &i->next)
		if (i->gen == gen) {
			*p = i->next;
			free(i);
			return;
		}
}

/* The SA table releases an SA's state: free its record, unless we are
 * stopping (the records must outlive us). */

static void
state_free(void *arg, struct sa_pstate *st)
{
	struct ipsecd *d = arg;

	info_del(d, sa_pstate_id(st)->gen);
	if (d->c.sas > 0)
		d->c.sas--;
	if (!d->closing)
		sa_pstate_free(d->pst, st);
}

int
ipsecd_sa_install(struct ipsecd *d, struct sa_spec *spec, bool resync)
{
	const struct sa_pstate_rec *rec;
	struct ipsecd_sainfo *info;
	struct sa_pstate_id id;
	struct sa_pstate *st;
	struct sa_entry *e;
	bool again = false;
	int error;

	if ((info = calloc(1, sizeof(*info))) == NULL) {
		ipsecd_sa_spec_free(spec);
		return -ENOMEM;
	}
	ipsecd_sa_pstate_id(spec, &id);
	if ((error = sa_pstate_attach(d->pst, &id, spec->replay_window,
	    sa_spec_replay_flags(spec), resync, &again, &st)) != 0) {
		free(info);
		ipsecd_sa_spec_free(spec);
		return error;
	}
	if ((error = sa_table_install(d->sat, spec, st, &e)) != 0) {
		/*
		 * A record we just made goes. One found again keeps its
		 * counters: it stays attached, so no prune frees it, and a
		 * later install of the SA is refused (-EBUSY) until ipsecd
		 * restarts, rather than risk a sequence number (only
		 * -ENOMEM gets here: the spec passed the same checks).
		 */
		if (!again)
			sa_pstate_free(d->pst, st);
		free(info);
		ipsecd_sa_spec_free(spec);
		return error;
	}
	info->gen = spec->gen;
	info->e = e;
	info->seen_sync = d->sync_epoch;
	if (again) {
		/*
		 * What the previous ipsecd counted but did not report is
		 * unknown: take the record's counts as reported (at most one
		 * report period, IPSECD_USAGE_MS, goes unreported).
		 */
		rec = sa_pstate_rec(st);
		info->rep_bytes = rec->sr_bytes;
		info->rep_packets = rec->sr_packets;
		info->rep_first_use = (rec->sr_state & SR_USED) != 0;
	}
	info->next = d->info[info_bucket(d, info->gen)].head;
	d->info[info_bucket(d, info->gen)].head = info;
	d->c.sas++;
	log_debug("sa: installed %s spi 0x%08x gen %llu%s",
	    spec->proto == 50 ? "esp" : "ah", spec->spi,
	    (unsigned long long)spec->gen, again ? " (state recovered)" : "");
	return 0;
}

/* ---- start and stop ---- */

/* No supervisor, no store: a private one, so the code path is one. */
static int
own_store(struct ipsecd *d)
{
	size_t len;
	int fd, error;

	len = pstore_size(IPSECD_OWN_STORE_RECORDS, IPSECD_OWN_STORE_BYTES);
	if ((fd = memfd_create("ipsecd-store", MFD_CLOEXEC)) < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) != 0) {
		error = -errno;
		close(fd);
		return error;
	}
	if ((error = pstore_format(fd, IPSECD_OWN_STORE_RECORDS,
	    IPSECD_OWN_STORE_BYTES)) == 0)
		error = pstore_attach(fd, &d->own_store);
	close(fd);
	return error;
}

static uint64_t
seed64(void)
{
	uint64_t v;

	randombytes_buf(&v, sizeof(v));
	return v;
}

#define CTR(field, name) \
	{ offsetof(struct ipsecd_counters, field), name }
static const struct {
	size_t		 off;
	const char	*name;
} ctr_rows[] = {
	CTR(protect, "io.protect"),
	CTR(unprotect, "io.unprotect"),
	CTR(send_failed, "io.send_failed"),
	CTR(recv_failed, "io.recv_failed"),
	CTR(sa_installed, "sa.installed"),
	CTR(sa_updated, "sa.updated"),
	CTR(sa_deleted, "sa.deleted"),
	CTR(sa_rejected, "sa.rejected"),
	CTR(sa_stale, "sa.stale"),
	CTR(sa_swept, "sa.swept"),
	CTR(sas, "sa.count"),
	CTR(syncs, "sync.done"),
	CTR(sync_failed, "sync.failed"),
	CTR(usage_sent, "usage.sent"),
	CTR(usage_failed, "usage.failed"),
	CTR(acquire_sent, "acquire.sent"),
	CTR(acquire_limited, "acquire.limited"),
	CTR(acquire_failed, "acquire.failed"),
	CTR(meta_reused, "io.meta_reused"),
	CTR(sa_lookups, "io.sa_lookups"),
};

/*
 * drop.<reason>: one per reason (ipsecd_drop.h). They come last and are
 * optional: should the transforms ever have more reasons than
 * SERVER_COUNTERS_MAX leaves room for, the rest are still counted in
 * pkt.<result> and this says so once.
 */
static void
drop_counters_register(struct ipsecd *d)
{
	char name[64];
	int i, error;

	for (i = IPSECD_DROP_NONE + 1; i < IPSECD_DROP_COUNT; i++) {
		if (ipsecd_drop_name((enum ipsecd_drop)i, name,
		    sizeof(name)) != 0)
			continue;
		if ((error = server_counter_add(d->srv, name,
		    &d->c.drop[i])) != 0) {
			log_warnx("init: counter %s and later: %s (counted "
			    "in pkt.* only)", name, strerror(-error));
			return;
		}
	}
}

static int
counters_register(struct ipsecd *d)
{
	char name[64];
	size_t i;
	int error;

	for (i = 0; i < PKT_R_COUNT; i++) {
		snprintf(name, sizeof(name), "pkt.%s",
		    pkt_result_str((enum pkt_result)i));
		if ((error = server_counter_add(d->srv, name,
		    &d->c.result[i])) != 0)
			return error;
	}
	for (i = 0; i < nitems(ctr_rows); i++)
		if ((error = server_counter_add(d->srv, ctr_rows[i].name,
		    (const uint64_t *)(const void *)((const char *)&d->c +
		    ctr_rows[i].off))) != 0)
			return error;
	drop_counters_register(d);
	return 0;
}

static int
ipsecd_init(struct server *srv, void *arg)
{
	struct ipsecd *d = arg;
	struct sa_table_ops ops = {
		.key_free = xform_key_free,
		.state_free = state_free,
		.arg = d,
	};
	struct sa_pstates_stats ps;
	struct pstore *store;
	int error;

	d->srv = srv;
	d->loop = server_loop(srv);
	d->bus = server_bus(srv);
	d->restarted = server_restarts(srv) > 0;
	d->rl_pkt.burst = 10;
	d->rl_bus.burst = 10;
	d->rl_wait.burst = 1;
	if ((error = xform_init()) != 0) {
		log_warnx("init: transforms: %s", strerror(-error));
		return -1;
	}
	/* Self-tests and the backend of each algorithm (ipsecd_crypto.c). */
	if ((error = ipsecd_crypto_start(srv)) != 0) {
		log_warnx("init: crypto: %s", strerror(-error));
		return -1;
	}
	if ((store = server_store(srv)) == NULL) {
		log_warnx("store: none from the supervisor (store_records "
		    "in [server ipsecd]): sequence counters die with this "
		    "process");
		if ((error = own_store(d)) != 0) {
			log_warnx("store: private store: %s", strerror(-error));
			return -1;
		}
		store = d->own_store;
	}
	if ((error = sa_pstates_open(store, seed64(), &d->pst)) != 0) {
		log_warnx("store: index the SA states: %s", strerror(-error));
		return -1;
	}
	sa_pstates_stats(d->pst, &ps);
	log_info("store: %u SA state record(s)%s", ps.records,
	    d->restarted && d->own_store == NULL ?
	    " (restart: counters and windows recovered)" : "");
	if (d->restarted && d->own_store != NULL)
		log_warnx("store: restarted without one: SAs keyd already "
		    "had are not used (their sequence numbers are lost)");
	if (ps.dropped_invalid != 0 || ps.store_lost != 0)
		log_warnx("store: %llu invalid SA state record(s) dropped; "
		    "SAs without state will not be used",
		    (unsigned long long)ps.dropped_invalid +
		    (unsigned long long)ps.store_lost);
	if (sa_table_create(&ops, seed64(), &d->sat) != 0)
		return -1;
	d->ninfo = 1024;
	if ((d->info = calloc(d->ninfo, sizeof(*d->info))) == NULL)
		return -1;
	if ((error = counters_register(d)) != 0) {
		log_warnx("init: counters: %s", strerror(-error));
		return -1;
	}
	if ((error = ipsecd_io_start(d)) != 0) {
		log_warnx("init: rings: %s", strerror(-error));
		return -1;
	}
	if ((error = ipsecd_bus_start(d)) != 0) {
		log_warnx("init: bus: %s", strerror(-error));
		return -1;
	}
	return 0;
}

static void
ipsecd_fini(struct server *srv, void *arg)
{
	struct ipsecd *d = arg;
	size_t i;

	(void)srv;
	ipsecd_bus_stop(d);
	ipsecd_io_stop(d);
	/* The SA states stay in the store for the next start. */
	d->closing = true;
	sa_table_destroy(d->sat);
	d->sat = NULL;
	sa_pstates_close(d->pst);
	d->pst = NULL;
	if (d->info != NULL)
		for (i = 0; i < d->ninfo; i++)
			while (d->info[i].head != NULL)
				info_del(d, d->info[i].head->gen);
	free(d->info);
	d->info = NULL;
	pstore_detach(d->own_store);
	d->own_store = NULL;
}

static const struct server_def ipsecd_def = {
	.name = "ipsecd",
	.region_side = RING_SIDE_B,
	.init = ipsecd_init,
	.fini = ipsecd_fini,
	.arg = &ipsecd_state_g,
};

int
main(int argc, char **argv)
{
	ipsecd_crypto_args(&argc, argv);	/* -C SPEC: crypto backends */
	return server_main(argc, argv, &ipsecd_def);
}
