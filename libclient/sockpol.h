/*
 * sockpol.h - per-socket IPsec policy for programs: what
 * setsockopt(fd, IPPROTO_IP, IP_IPSEC_POLICY, buf, len) (and
 * IPPROTO_IPV6 / IPV6_IPSEC_POLICY) does on a KAME or Linux kernel,
 * carried to policyd's registry on RUNDIR/sockpol.sock
 * (sockpol_proto.h). The preload library (libparapet_pfkey.so) routes
 * unmodified programs' setsockopt, getsockopt, bind, connect, close and
 * dup calls here; a program may also call these functions directly.
 *
 * One connection per process, opened on the first policy and kept
 * (close-on-exec): policyd removes a process's policies when it goes
 * away. The library remembers each socket's policies (so getsockopt
 * can answer and a new connection can register them again: after a
 * restart of policyd, and in a fork()ed child) and names a socket by
 * its inode, so dup()ed descriptors share one registration.
 *
 * Environment: PARAPET_SOCKPOL_SOCKET (full path), else
 * $PARAPET_RUNDIR/sockpol.sock, else /run/parapet/sockpol.sock;
 * PARAPET_SOCKPOL_TIMEOUT_MS bounds a request, waiting for policyd
 * included (default 2000).
 *
 * Thread-safe (one lock); errno is left alone unless a call fails.
 */
#ifndef PARAPET_LIBCLIENT_SOCKPOL_H
#define PARAPET_LIBCLIENT_SOCKPOL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* <linux/in.h>, <linux/in6.h> (glibc's headers hide them). */
#define PARAPET_IP_IPSEC_POLICY		16
#define PARAPET_IPV6_IPSEC_POLICY	34

/*
 * The calls the library makes on its own behalf. The preload library
 * passes the real (next) symbols so that nothing here re-enters its
 * interposers; by default, libc's.
 */
struct parapet_sockpol_io {
	int	(*socket)(int, int, int);
	int	(*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t	(*send)(int, const void *, size_t, int);
	ssize_t	(*recv)(int, void *, size_t, int);
	int	(*close)(int);
	int	(*poll)(struct pollfd *, nfds_t, int);
	int	(*getsockopt)(int, int, int, void *, socklen_t *);
	int	(*getsockname)(int, struct sockaddr *, socklen_t *);
	int	(*getpeername)(int, struct sockaddr *, socklen_t *);
	int	(*fcntl)(int, int, ...);
};

/* Before any other call (the preload library's initialisation). */
void	parapet_sockpol_set_io(const struct parapet_sockpol_io *);

/* Whether (level, optname) is a policy option we handle. */
bool	parapet_sockpol_is_opt(int level, int optname);

/*
 * setsockopt(fd, level, optname, buf, len) for a policy option: 0, or
 * -1 with errno as a kernel would set it: EOPNOTSUPP (option of the other
 * family, as Linux), EMSGSIZE (len 0 or above 4096), EINVAL (malformed
 * policy, fwd direction), EACCES (bypass without privilege, as KAME),
 * ELOOP (more than 6 requests), ENOPROTOOPT (policyd unreachable, as a
 * kernel without IPsec). buf NULL with len 0 removes both directions'
 * policies (Linux). *handled is false when fd is not an IPv4/IPv6
 * socket: the caller passes the call on to the system.
 */
int	parapet_sockpol_set(int fd, int level, int optname, const void *buf,
	    socklen_t len, bool *handled);

/*
 * getsockopt as KAME: buf holds a sadb_x_policy naming the direction;
 * the socket's policy of that direction (entrust when none was set) is
 * copied back. ERANGE when *len is too small (*len then says how much
 * is needed); *handled as above.
 */
int	parapet_sockpol_get(int fd, int level, int optname, void *buf,
	    socklen_t *len, bool *handled);

/*
 * After a successful bind() or connect() (addr: connect's argument, or
 * NULL): the socket's new addresses go to policyd. Nothing for a socket
 * without a policy.
 */
void	parapet_sockpol_bound(int fd, const struct sockaddr *peer,
	    socklen_t peerlen);
/*
 * nfd was accept()ed on the listening socket lfd: it inherits the
 * listener's policies (KAME ipsec_copy_pcbpolicy(), Linux
 * xfrm_sk_clone_policy()), registered with its own addresses.
 */
void	parapet_sockpol_accepted(int lfd, int nfd);
/* fd is about to be closed: the last descriptor of a socket removes its
 * policies. */
void	parapet_sockpol_forget(int fd);
void	parapet_sockpol_forget_range(unsigned int lo, unsigned int hi);
/* newfd now names what oldfd names. */
void	parapet_sockpol_dup(int oldfd, int newfd);
/*
 * Before data goes out on fd, or is read or polled for on it: if fd
 * has a policy and policyd has lost this process's registrations (it
 * restarted), register them again now, so that the traffic meets its
 * policy. Fast when no socket has a policy; otherwise one poll(2) of
 * the connection at most every 100 ms per process.
 */
void	parapet_sockpol_touch(int fd);
/* Whether fd has a policy in this process (fast when none has). */
bool	parapet_sockpol_has(int fd);

/* One registration as policyd's DUMP reports it. */
struct parapet_sockpol_ent {
	uint32_t	pid, uid;
	uint64_t	sock;
	uint8_t		dir, type, nreqs;
	uint16_t	family;
	uint8_t		proto;
	uint8_t		flags;		/* 1: IPv6 socket carrying IPv4 too */
	uint16_t	lport, rport;
	uint8_t		laddr[16], raddr[16];
	uint32_t	id;
};

/*
 * policyd's registry (root: all; others: their own uid's), on a
 * connection of its own: the number of entries written to out (at most
 * max), or -1 with errno.
 */
int	parapet_sockpol_dump(struct parapet_sockpol_ent *out, size_t max);

#endif
