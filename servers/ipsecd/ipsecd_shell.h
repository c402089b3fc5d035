/*
 * ipsecd_shell.h - the state of the ipsecd process, shared by its shell
 * files: ipsecd.c (start, stop, the SA registry), ipsecd_bus.c (keyd:
 * SA sync and events, usage reports, ACQUIRE) and ipsecd_io.c (the ring
 * loop and the packet path). One struct per process, passed explicitly.
 */
#ifndef PARAPET_IPSECD_SHELL_H
#define PARAPET_IPSECD_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "ipsecd_drop.h"
#include "keyd.pb-c.h"
#include "log.h"
#include "pkt_ring.h"
#include "ring.h"
#include "sa_state.h"
#include "sa_table.h"
#include "server.h"

#define IPSECD_BATCH		64	/* descriptors per ring_recv() */
#define IPSECD_RUN_BATCHES	8	/* batches per turn of the loop */
#define IPSECD_SPIN_US		30	/* adaptive polling budget */
#define IPSECD_TICK_MS		100	/* sync retries, reconnects */
#define IPSECD_USAGE_MS		1000	/* SaUsageRequest period */
#define IPSECD_SYNC_PAGE	256	/* SAs per SaSyncRequest */
#define IPSECD_SYNC_RETRY_MS	500
#define IPSECD_ACQ_SLOTS	256	/* outstanding ACQUIREs remembered */
#define IPSECD_ACQ_TIMEOUT_MS	30000	/* forget an unanswered one */
/* Private store when run without a supervisor. */
#define IPSECD_OWN_STORE_RECORDS	4096
#define IPSECD_OWN_STORE_BYTES		2304

/* Per-SA bookkeeping of the shell (reports), by keyd generation. */
/* A hash bucket of the per-SA report totals (by generation). */
struct ipsecd_sabucket {
	struct ipsecd_sainfo	*head;
};

struct ipsecd_sainfo {
	uint64_t		 gen;
	struct sa_entry		*e;
	uint64_t		 rep_bytes;	/* reported to keyd so far */
	uint64_t		 rep_packets;
	bool			 rep_first_use;
	uint64_t		 seen_sync;	/* last sync epoch seen in */
	struct ipsecd_sainfo	*next;
};

struct ipsecd_acq {
	uint32_t	policy_id;
	uint32_t	reqid;
	uint64_t	sent_ms;	/* 0: free slot */
};

struct ipsecd;

/*
 * The metadata block decoded last, by its raw bytes: netd writes the
 * same block for a run of packets of one flow, so a block equal to the
 * previous one (compared after its one copy out of the slot) is not
 * parsed and checked again (ipsecd_io.c).
 */
struct ipsecd_meta_cache {
	bool		 valid;
	uint8_t		 op;
	uint8_t		 raw[PKT_META_BYTES];
	struct pkt_meta	 m;
};

/*
 * An SA found for a run of packets, with what the transforms need of it
 * (and netd's per-packet settings it was filled with), valid for one turn
 * of the loop (epoch): the SA table changes only between turns (bus
 * callbacks). Packets are counted into pend_* and written to the SA's
 * persistent record once per batch, before the batch leaves; a packet
 * that would reach a lifetime limit (room_*) is counted at once, so a
 * hard limit stops the SA at the same packet as counting one by one.
 */
struct ipsecd_sa_cache {
	uint64_t		 epoch;		/* 0: empty */
	struct sa_out_req	 req;		/* out: request; in: */
	uint32_t		 spi;		/* proto, dst, spi */
	uint8_t			 dfbit, ecn, ttl, cleartos;
	uint16_t		 offsetmask;
	struct sa_entry		*e;		/* NULL: no SA */
	struct xform_sa		 xs;
	uint64_t		 room_pkts, room_bytes;
	uint64_t		 pend_pkts, pend_bytes;
};

struct ipsecd_worker {
	struct ipsecd		*d;
	struct ring_region	*r;
	const char		*name;
	uv_poll_t		 poll;
	uv_idle_t		 idle;
	bool			 idle_on;
	uint32_t		 spin_iters;
	uint8_t			*scratch;	/* slot_bytes, for MTU */
	uint64_t		 epoch;		/* turns of the loop */
	uint64_t		 now_s;		/* this turn's clock */
	struct ipsecd_meta_cache mc;
	struct ipsecd_sa_cache	 out_c[PKT_META_ENTRIES];	/* layer */
	struct ipsecd_sa_cache	 in_c[PKT_META_ENTRIES];
	struct ring_desc	 batch[IPSECD_BATCH];
};

/* Counters (server_counter_add names in ipsecd.c). */
struct ipsecd_counters {
	uint64_t	result[PKT_R_COUNT];	/* pkt.<result> */
	uint64_t	protect;		/* io.protect */
	uint64_t	unprotect;		/* io.unprotect */
	uint64_t	send_failed;		/* io.send_failed */
	uint64_t	recv_failed;		/* io.recv_failed */
	uint64_t	sa_installed;
	uint64_t	sa_updated;
	uint64_t	sa_deleted;
	uint64_t	sa_rejected;		/* bad message, or refused */
	uint64_t	sa_stale;		/* state lost: not used */
	uint64_t	sa_swept;		/* gone from keyd: resync */
	uint64_t	syncs;			/* resyncs completed */
	uint64_t	sync_failed;
	uint64_t	usage_sent;		/* SaUsage entries */
	uint64_t	usage_failed;
	uint64_t	acquire_sent;
	uint64_t	acquire_limited;	/* one outstanding already */
	uint64_t	acquire_failed;
	uint64_t	sas;			/* SAs installed now */
	uint64_t	drop[IPSECD_DROP_COUNT];	/* drop.<reason> */
	uint64_t	meta_reused;		/* io.meta_reused */
	uint64_t	sa_lookups;		/* io.sa_lookups */
};

struct ipsecd {
	struct server		*srv;
	uv_loop_t		*loop;
	struct bus_client	*bus;
	struct pstore		*own_store;	/* without supervisor */
	struct sa_pstates	*pst;
	struct sa_table		*sat;
	bool			 restarted;	/* server_restarts() */
	bool			 closing;	/* fini: keep records */

	/* SA registry (ipsecd.c). */
	struct ipsecd_sabucket	*info;
	size_t			 ninfo;		/* buckets, power of 2 */

	/* keyd (ipsecd_bus.c). */
	uv_timer_t		 tick;
	uint64_t		 connects_seen;
	uint32_t		 keyd_pid;
	bool			 sync_busy;	/* a walk is running */
	bool			 sync_again;	/* walk again after */
	bool			 synced_once;
	uint64_t		 sync_epoch;
	uint64_t		 sync_retry_at;	/* ms; 0: none */
	uint64_t		 usage_at;	/* next periodic report, ms */
	bool			 usage_now;	/* a limit was crossed */
	struct ipsecd_acq	 acq[IPSECD_ACQ_SLOTS];

	/* Rings (ipsecd_io.c). */
	struct ipsecd_worker	*w;
	size_t			 nw;

	struct ipsecd_counters	 c;
	struct log_rl		 rl_pkt;
	struct log_rl		 rl_bus;
	struct log_rl		 rl_wait;	/* 1 line per second */
};

/* ipsecd.c: the SA registry. */
struct ipsecd_sainfo *ipsecd_info_get(struct ipsecd *, uint64_t gen);
/* Install an SA from a spec (takes over its keys on success and on
 * failure). resync: keyd re-announces an SA older than this process. */
int	ipsecd_sa_install(struct ipsecd *, struct sa_spec *, bool resync)
	    MUST_CHECK;
uint64_t ipsecd_now_ms(struct ipsecd *);

/* ipsecd_bus.c */
int	ipsecd_bus_start(struct ipsecd *) MUST_CHECK;
void	ipsecd_bus_stop(struct ipsecd *);
void	ipsecd_usage_report(struct ipsecd *);
/* Outbound packet without SA: ask keyd (rate-limited). */
void	ipsecd_acquire(struct ipsecd *, uint32_t policy_id,
	    const struct sa_out_req *, const struct sa_addr *pkt_src,
	    const struct sa_addr *pkt_dst);

/* ipsecd_io.c */
int	ipsecd_io_start(struct ipsecd *) MUST_CHECK;
void	ipsecd_io_stop(struct ipsecd *);
/* The first sync is done: start draining the work rings. */
void	ipsecd_io_kick(struct ipsecd *);
/* Work descriptors waiting in all rings. */
unsigned ipsecd_io_waiting(struct ipsecd *);

#endif
