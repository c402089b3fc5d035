/*
 * handoff.h - what the supervisor hands a freshly exec'd server before it
 * talks to anyone: its shared-memory regions (descriptors) and who it is.
 *
 * Protocol (see also proto/supervisor.proto, message Handoff):
 *
 *   supervisor                                 server (after exec)
 *   socketpair(SOCK_SEQPACKET) = {s, c}
 *   sendmsg(s, packed Handoff,
 *           SCM_RIGHTS [memfd, efd0, efd1] x nregions,
 *           [link] x nlinks, [store])
 *   close(s); spawn with c at descriptor 3 ---> recvmsg(3) one datagram
 *   close(c)                                    (MSG_CMSG_CLOEXEC), then
 *                                               close(3)
 *
 * The datagram is queued before the child exists, so nothing waits on
 * anything. The bytes and the descriptor count are checked here (pure):
 * exactly HANDOFF_FDS_PER_REGION descriptors per region, one per link
 * (netd's links, opened by the supervisor: it keeps its own copy, so a
 * TAP keeps its carrier and queue across a restart of netd), and one
 * more, last, for the server's store when `store` is set; names well
 * formed and not repeated, sides 0 or 1, version known.
 */
#ifndef PARAPET_SUP_HANDOFF_H
#define PARAPET_SUP_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

#define HANDOFF_FD		3	/* in the server */
#define HANDOFF_VERSION		1
#define HANDOFF_REGIONS_MAX	((size_t)8)
#define HANDOFF_FDS_PER_REGION	((size_t)3)	/* memfd, efd[0], efd[1] */
#define HANDOFF_LINKS_MAX	((size_t)8)	/* netd's NETD_LINKS_MAX */
#define HANDOFF_FDS_MAX		(HANDOFF_REGIONS_MAX * HANDOFF_FDS_PER_REGION + \
				    HANDOFF_LINKS_MAX + 1)
#define HANDOFF_BYTES_MAX	2048

struct handoff_region {
	char		name[CONFIG_NAME_MAX + 1];
	unsigned	side;		/* enum ring_side */
};

struct handoff {
	char		instance[CONFIG_PATH_MAX];
	uint32_t	supervisor_pid;
	uint32_t	restarts;
	struct handoff_region regions[HANDOFF_REGIONS_MAX];
	size_t		nregions;
	/* Links (netd's [link NAME]): one descriptor each, after the
	 * regions' and before the store's. */
	char		links[HANDOFF_LINKS_MAX][CONFIG_NAME_MAX + 1];
	size_t		nlinks;
	bool		store;		/* one more descriptor: the store */
};

/* Descriptors that come with h: 3 per region, 1 per link, the store. */
size_t	handoff_nfds(const struct handoff *);

/* Pack into buf; *outlen the bytes used. -EMSGSIZE if it does not fit,
 * -EINVAL if h itself is malformed. */
int	handoff_encode(const struct handoff *, uint8_t *buf, size_t len,
	    size_t *outlen) MUST_CHECK;
/* Unpack and check a datagram that came with nfds descriptors. -EBADMSG
 * on anything malformed or inconsistent. */
int	handoff_decode(const uint8_t *buf, size_t len, size_t nfds,
	    struct handoff *) MUST_CHECK;

#endif
