/*
 * keyd_pfkey.h - keyd's PF_KEY endpoint: the AF_UNIX SOCK_SEQPACKET
 * listener (RUNDIR/pfkey.sock), one connection per PF_KEY client, one
 * datagram per sadb_msg, the privilege check (SO_PEERCRED), validation
 * (pfkey_msg_parse()), dispatch (pfkey_dispatch.h), the broadcast rules,
 * DUMP streaming with flow control and the lifetime timer. Datagrams
 * are read with recvmmsg() and answered with sendmmsg() per batch; the
 * SA changes of a batch go to keyd_hooks.batch (one bus frame).
 *
 * Untrusted input: everything a client sends, and client behaviour (slow
 * readers, abrupt closes). Nothing a client does stops the others.
 */
#ifndef PARAPET_KEYD_PFKEY_H
#define PARAPET_KEYD_PFKEY_H

#include <stdbool.h>
#include <sys/types.h>

#include <uv.h>

#include "pfkey_dispatch.h"
#include "sadb.h"

struct server;
struct keyd_pfkey;

struct keyd_pfkey_cfg {
	const char	*path;		/* the socket to bind */
	mode_t		 mode;		/* 0660 */
	bool		 have_group;	/* peers in group gid are let in */
	gid_t		 gid;
	struct sadb	*db;		/* borrowed */
	bool		 have_aes;	/* offer AES-GCM */
	struct acquire_table *acq;	/* borrowed; NULL: no ACQUIREs */
	struct keyd_hooks hooks;	/* SA changes for ipsecd (keyd_bus.c) */
};

/*
 * Bind and listen (a stale socket file of a dead keyd is replaced; a
 * live one is -EADDRINUSE), register the counters with srv.
 */
int	keyd_pfkey_start(struct keyd_pfkey **, uv_loop_t *, struct server *srv,
	    const struct keyd_pfkey_cfg *) MUST_CHECK;
/* Close every handle; memory goes in the close callbacks. */
void	keyd_pfkey_stop(struct keyd_pfkey *);

/* For keyd_bus.c (requests from ipsecd). */

/*
 * Send SADB_ACQUIRE for a (already in the acquire table) to the sockets
 * registered for its SA type; *recipients: how many. 0 or -errno.
 */
int	keyd_pfkey_acquire(struct keyd_pfkey *, const struct acquire *a,
	    size_t *recipients) MUST_CHECK;
/*
 * Usage reported by ipsecd: sadb_use() at use_ms (the first use, when
 * this is the SA's first), with the EXPIREs it causes sent and the
 * lifetime timer re-armed. As sadb_use().
 */
int	keyd_pfkey_use(struct keyd_pfkey *, struct sadb_sa *sa, uint64_t bytes,
	    uint32_t allocations, uint64_t use_ms, enum sa_state *state_out)
	    MUST_CHECK;
/* The loop's monotonic time (ms); *wall_offset_ms: wall - monotonic. */
uint64_t keyd_pfkey_now(struct keyd_pfkey *, int64_t *wall_offset_ms);

#endif
