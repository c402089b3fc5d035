/*
 * listen.h - the local SOCK_SEQPACKET endpoints servers offer to programs
 * (keyd's pfkey.sock, policyd's sockpol.sock): one way to create the
 * listener and one way to accept a peer with its credentials.
 */
#ifndef PARAPET_LISTEN_H
#define PARAPET_LISTEN_H

#include <sys/types.h>

#include "util.h"

struct ucred;

/*
 * A non-blocking SOCK_SEQPACKET listener at path. If a live server
 * answers there, -EADDRINUSE; a stale file of a dead one is replaced.
 * The socket file is created under a umask that never lets it be wider
 * than mode, then set to mode and, unless gid is (gid_t)-1, to that
 * group. The descriptor, or a negative errno (-ENAMETOOLONG for a path
 * that does not fit a sockaddr_un).
 */
int	listen_seqpacket(const char *path, mode_t mode, gid_t gid,
	    int backlog) MUST_CHECK;

/*
 * One waiting connection (non-blocking, close-on-exec) with its peer's
 * SO_PEERCRED: the descriptor, -EAGAIN when none waits, -EPROTO when the
 * credentials cannot be read (that connection is closed), or another
 * negative errno from accept4(). EINTR and ECONNABORTED are retried.
 */
int	listen_accept(int lfd, struct ucred *uc) MUST_CHECK;

#endif /* PARAPET_LISTEN_H */
