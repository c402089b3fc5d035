/*
 * keyd_pfkey.h - keyd's PF_KEY endpoint: the AF_UNIX SOCK_SEQPACKET
 * listener (RUNDIR/pfkey.sock), one connection per PF_KEY client, one
 * datagram per sadb_msg, the privilege check (SO_PEERCRED), validation
 * (pfkey_msg_parse()), dispatch (pfkey_dispatch.h), the broadcast rules,
 * DUMP streaming with flow control and the lifetime timer.
 *
 * Untrusted input: everything a client sends, and client behaviour (slow
 * readers, abrupt closes). Nothing a client does stops the others.
 */
#ifndef PARAPET_KEYD_PFKEY_H
#define PARAPET_KEYD_PFKEY_H

#include <stdbool.h>
#include <sys/types.h>

#include <uv.h>

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
};

/*
 * Bind and listen (a stale socket file of a dead keyd is replaced; a
 * live one is -EADDRINUSE), register the counters with srv.
 */
int	keyd_pfkey_start(struct keyd_pfkey **, uv_loop_t *, struct server *srv,
	    const struct keyd_pfkey_cfg *) MUST_CHECK;
/* Close every handle; memory goes in the close callbacks. */
void	keyd_pfkey_stop(struct keyd_pfkey *);

#endif
