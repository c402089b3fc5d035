/*
 * pfkey_preload.c - libparapet_pfkey.so, the LD_PRELOAD library that
 * makes unmodified PF_KEY programs talk to keyd: socket(PF_KEY,
 * SOCK_RAW, PF_KEY_V2) returns a SOCK_SEQPACKET connection to keyd's
 * pfkey.sock, with the timing of a kernel PF_KEY socket (DESIGN §5):
 *
 *   - the replies to a message are in the socket's receive queue when
 *     send() returns: keyd sends a MARK on a hidden side channel after
 *     the last reply (pfkey_sync.h), and send() waits for it;
 *   - a dump is never interrupted by an empty read: while a DUMP is in
 *     flight, a non-blocking read, poll() or select() that would find
 *     nothing waits for the next reply or the dump's MARK instead.
 *
 * The program's descriptor is the connection itself; the library never
 * reads from it, so read(), recv*(), MSG_PEEK, poll(), select(), epoll,
 * FIONREAD, SO_RCVBUF and O_NONBLOCK all work natively on it, and what
 * keyd sent is never held in this process's memory (fork() copies no
 * queue). Interposed: socket (PF_KEY only); the send family and writev
 * (wait for the MARK; a refused header fails send() with its errno, as
 * a kernel does); the receive family and readv (the dump rule; the
 * source address reads PF_KEY); poll/ppoll/select/pselect (the dump
 * rule); getsockopt (SO_TYPE, SO_DOMAIN, SO_PROTOCOL read as a kernel
 * PF_KEY socket's); getsockname/getpeername (family PF_KEY); close,
 * closefrom, close_range, dup, dup2, dup3 and fcntl (F_DUPFD) to follow
 * the descriptors. Everything else passes through untouched.
 *
 * Per-socket policy (libclient/sockpol.c, DESIGN §10.21):
 * setsockopt and getsockopt of IP_IPSEC_POLICY / IPV6_IPSEC_POLICY on
 * IPv4/IPv6 sockets go to policyd's registry instead of the kernel;
 * bind and connect update a registered socket's addresses; accept and
 * accept4 give the new socket the listener's policies; close, dup and
 * friends above also follow those sockets.
 *
 * Environment: PARAPET_PFKEY_SOCKET (full path), else PFKEY_SOCKET,
 * else $PARAPET_RUNDIR/pfkey.sock, else /run/parapet/pfkey.sock;
 * PARAPET_PFKEY_TIMEOUT_MS bounds every wait (default 5000).
 *
 * Not covered: static binaries, programs that call syscall() directly,
 * io_uring (none of these go through the dynamic linker); sendmmsg
 * and recvmmsg pass through without the timing.
 */
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfkeyv2.h"
#include "pfkey_sync.h"
#include "sockpol.h"
#include "util.h"

#ifndef PF_KEY
#define PF_KEY		15
#endif
#define HDR_LEN		16		/* sizeof(struct sadb_msg) */
#define SIDE_FD_MIN	64		/* keep the side channel out of the way */
#define DEFAULT_PATH	"/run/parapet/pfkey.sock"
#define DEFAULT_TIMEOUT	5000

/* glibc's fortified entry points (_FORTIFY_SOURCE builds call these). */
ssize_t	__recv_chk(int, void *, size_t, size_t, int);
ssize_t	__recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *,
	    socklen_t *);
ssize_t	__read_chk(int, void *, size_t, size_t);
int	__poll_chk(struct pollfd *, nfds_t, int, size_t);
int	__ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *, size_t);

/* One preloaded PF_KEY socket, shared by its dup()ed descriptors. */
struct pk {
	int		side;		/* the side channel; -1: plain mode */
	unsigned int	refs;		/* table entries and calls in flight */
	pthread_mutex_t	lock;		/* side channel reads, dump state */
	bool		dumping;	/* a DUMP's MARK is awaited */
	uint8_t		dump_echo[PFKEY_SYNC_ECHO_LEN];
};

struct ent {
	struct pk	*pk;
	bool		 side;		/* fd is pk's side channel */
};

static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ent *tab;			/* indexed by descriptor */
static size_t tab_len;
static unsigned int n_pk;		/* sockets open (fast path: 0) */
static unsigned int n_dumping;		/* DUMPs in flight, all sockets */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int timeout_ms = DEFAULT_TIMEOUT;

#define REAL(f)	static __typeof__(f) *real_##f
REAL(socket); REAL(close); REAL(dup); REAL(dup2); REAL(dup3); REAL(fcntl);
REAL(fcntl64); REAL(send); REAL(sendto); REAL(sendmsg); REAL(write);
REAL(recv); REAL(recvfrom); REAL(recvmsg); REAL(read); REAL(__recv_chk);
REAL(__recvfrom_chk); REAL(__read_chk); REAL(poll); REAL(ppoll);
REAL(__poll_chk); REAL(__ppoll_chk); REAL(select); REAL(pselect);
REAL(getsockopt); REAL(closefrom); REAL(close_range); REAL(writev);
REAL(readv); REAL(getsockname); REAL(getpeername);
REAL(setsockopt); REAL(bind); REAL(connect);	/* per-socket policy */
REAL(accept); REAL(accept4);

static void
after_fork_child(void)
{
	size_t i;

	/* One thread now: whatever another thread held is free. */
	pthread_mutex_init(&tab_lock, NULL);
	for (i = 0; i < tab_len; i++)
		if (tab[i].pk != NULL && !tab[i].side)
			pthread_mutex_init(&tab[i].pk->lock, NULL);
}

static void
fork_prepare(void)
{
	pthread_mutex_lock(&tab_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&tab_lock);
}

#define LOOKUP(f)	(real_##f = (__typeof__(real_##f))dlsym(RTLD_NEXT, #f))

static void sockpol_resolve(void);

/*
 * PARAPET_PFKEY_TIMEOUT_MS: a positive number of milliseconds (leading
 * digits count, as with atoi()); anything else keeps the default. The
 * caller's errno is left alone.
 */
static void
timeout_from_env(void)
{
	const char *t = getenv("PARAPET_PFKEY_TIMEOUT_MS");
	int saved = errno;
	char *end;
	long v;

	if (t == NULL)
		return;
	errno = 0;
	v = strtol(t, &end, 10);
	if (errno == 0 && end != t && v > 0 && v <= INT_MAX)
		timeout_ms = (int)v;
	errno = saved;
}

static void
resolve(void)
{
	LOOKUP(socket); LOOKUP(close); LOOKUP(dup); LOOKUP(dup2);
	LOOKUP(dup3); LOOKUP(fcntl); LOOKUP(fcntl64); LOOKUP(send);
	LOOKUP(sendto); LOOKUP(sendmsg); LOOKUP(write); LOOKUP(recv);
	LOOKUP(recvfrom); LOOKUP(recvmsg); LOOKUP(read); LOOKUP(__recv_chk);
	LOOKUP(__recvfrom_chk); LOOKUP(__read_chk); LOOKUP(poll);
	LOOKUP(ppoll); LOOKUP(__poll_chk); LOOKUP(__ppoll_chk);
	LOOKUP(select); LOOKUP(pselect); LOOKUP(getsockopt);
	LOOKUP(closefrom); LOOKUP(close_range); LOOKUP(writev);
	LOOKUP(readv); LOOKUP(getsockname); LOOKUP(getpeername);
	if (real_fcntl64 == NULL)
		real_fcntl64 = real_fcntl;
	sockpol_resolve();
	timeout_from_env();
	(void)pthread_atfork(fork_prepare, fork_parent, after_fork_child);
}

/* Per-socket policy: its own calls go to the real functions. */
static void
sockpol_resolve(void)
{
	struct parapet_sockpol_io spio;

	LOOKUP(setsockopt); LOOKUP(bind); LOOKUP(connect);
	LOOKUP(accept); LOOKUP(accept4);
	spio.socket = real_socket;
	spio.connect = real_connect;
	spio.send = real_send;
	spio.recv = real_recv;
	spio.close = real_close;
	spio.poll = real_poll;
	spio.getsockopt = real_getsockopt;
	spio.getsockname = real_getsockname;
	spio.getpeername = real_getpeername;
	spio.fcntl = real_fcntl;
	parapet_sockpol_set_io(&spio);
}

static inline void
init(void)
{
	(void)pthread_once(&once, resolve);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the descriptor table ---- */

/* fd's socket with a reference, or NULL. */
static struct pk *
pk_get(int fd)
{
	struct pk *p = NULL;

	if (__atomic_load_n(&n_pk, __ATOMIC_ACQUIRE) == 0 || fd < 0)
		return NULL;
	pthread_mutex_lock(&tab_lock);
	if ((size_t)fd < tab_len && tab[fd].pk != NULL && !tab[fd].side) {
		p = tab[fd].pk;
		p->refs++;
	}
	pthread_mutex_unlock(&tab_lock);
	return p;
}

/* Drop a reference (tab_lock held); the last one closes the side. */
static void
pk_unref_locked(struct pk *p)
{
	int side;

	if (--p->refs > 0)
		return;
	side = __atomic_exchange_n(&p->side, -1, __ATOMIC_ACQ_REL);
	if (side >= 0) {
		if ((size_t)side < tab_len && tab[side].pk == p)
			memset(&tab[side], 0, sizeof(tab[side]));
		real_close(side);
	}
	if (p->dumping)
		__atomic_sub_fetch(&n_dumping, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_destroy(&p->lock);
	free(p);
	__atomic_sub_fetch(&n_pk, 1, __ATOMIC_ACQ_REL);
}

static void
pk_put(struct pk *p)
{
	int saved = errno;

	pthread_mutex_lock(&tab_lock);
	pk_unref_locked(p);
	pthread_mutex_unlock(&tab_lock);
	errno = saved;
}

/* Make room for fd (tab_lock held). */
static int MUST_CHECK
tab_grow(int fd)
{
	struct ent *n;
	size_t len;

	if ((size_t)fd < tab_len)
		return 0;
	len = tab_len == 0 ? 64 : tab_len;
	while (len <= (size_t)fd)
		len *= 2;
	if ((n = realloc(tab, len * sizeof(*n))) == NULL)
		return -1;
	memset(n + tab_len, 0, (len - tab_len) * sizeof(*n));
	tab = n;
	tab_len = len;
	return 0;
}

/*
 * fd no longer names what it named (closed, or replaced by dup2): a
 * socket loses a reference; a side channel closed by the program puts
 * its socket in plain mode.
 */
static void
tab_forget_locked(int fd)
{
	struct ent e;

	if (fd < 0 || (size_t)fd >= tab_len || tab[fd].pk == NULL)
		return;
	e = tab[fd];
	memset(&tab[fd], 0, sizeof(tab[fd]));
	if (e.side)
		(void)__atomic_compare_exchange_n(&e.pk->side, &fd, -1, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	else
		pk_unref_locked(e.pk);
}

static void
tab_forget(int fd)
{
	int saved = errno;

	if (__atomic_load_n(&n_pk, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&tab_lock);
	tab_forget_locked(fd);
	pthread_mutex_unlock(&tab_lock);
	errno = saved;
}

/* newfd is a dup of oldfd: follow it if oldfd is ours. */
static void
tab_dup(int oldfd, int newfd)
{
	int saved = errno;

	if (__atomic_load_n(&n_pk, __ATOMIC_ACQUIRE) == 0 || newfd < 0)
		return;
	pthread_mutex_lock(&tab_lock);
	tab_forget_locked(newfd);
	if (oldfd >= 0 && (size_t)oldfd < tab_len && tab[oldfd].pk != NULL &&
	    !tab[oldfd].side && tab_grow(newfd) == 0) {
		tab[newfd].pk = tab[oldfd].pk;
		tab[newfd].pk->refs++;
	}
	pthread_mutex_unlock(&tab_lock);
	errno = saved;
}

/* ---- the side channel ---- */

static bool
is_mark(const uint8_t *b, ssize_t n)
{
	return n == PFKEY_SYNC_LEN && b[0] == PFKEY_SYNC_VERSION &&
	    b[1] == PFKEY_SYNC_MARK && memcmp(b + 8, PFKEY_SYNC_MARK_MAGIC,
	    sizeof(PFKEY_SYNC_MARK_MAGIC)) == 0;
}

/* The first 16 octets of a datagram, zero filled, as a MARK echoes. */
static void
head_iov(uint8_t *head, const struct iovec *iov, size_t iovcnt)
{
	size_t i, got = 0, k;

	memset(head, 0, PFKEY_SYNC_ECHO_LEN);
	for (i = 0; i < iovcnt && got < PFKEY_SYNC_ECHO_LEN; i++) {
		k = iov[i].iov_len;
		if (k > PFKEY_SYNC_ECHO_LEN - got)
			k = PFKEY_SYNC_ECHO_LEN - got;
		if (k > 0 && iov[i].iov_base != NULL)
			memcpy(head + got, iov[i].iov_base, k);
		got += k;
	}
}

static void
dump_done(struct pk *p)
{
	if (!p->dumping)
		return;
	p->dumping = false;
	__atomic_sub_fetch(&n_dumping, 1, __ATOMIC_ACQ_REL);
}

/* The side channel broke: plain mode from now on (p->lock held). */
static void
side_lost(struct pk *p, int side)
{
	(void)__atomic_compare_exchange_n(&p->side, &side, -1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	dump_done(p);
}

/*
 * Read every MARK waiting on the side channel (p->lock held); a MARK
 * echoing want (if not NULL) sets *got and *err; the DUMP's ends it.
 */
static void
side_drain(struct pk *p, const uint8_t *want, bool *got, int *err)
{
	uint8_t b[64];
	ssize_t n;
	int side;

	for (;;) {
		if ((side = __atomic_load_n(&p->side, __ATOMIC_ACQUIRE)) < 0) {
			dump_done(p);	/* plain mode: nothing to wait for */
			return;
		}
		n = real_recv(side, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			side_lost(p, side);
			return;
		}
		if (!is_mark(b, n))
			continue;
		if (p->dumping && memcmp(b + PFKEY_SYNC_ECHO_OFF,
		    p->dump_echo, PFKEY_SYNC_ECHO_LEN) == 0)
			dump_done(p);
		if (want != NULL && memcmp(b + PFKEY_SYNC_ECHO_OFF, want,
		    PFKEY_SYNC_ECHO_LEN) == 0) {
			*got = true;
			*err = b[2];
		}
	}
}

/*
 * Wait until the side channel or (main >= 0) the socket is readable,
 * at most until deadline. False: the time is up.
 */
static bool
side_wait(struct pk *p, int main_fd, uint64_t deadline)
{
	struct pollfd pf[2];
	uint64_t now;
	nfds_t n = 0;
	int r;

	if ((now = mono_ms()) >= deadline)
		return false;
	pf[n].fd = __atomic_load_n(&p->side, __ATOMIC_ACQUIRE);
	pf[n++].events = POLLIN;
	if (main_fd >= 0) {
		pf[n].fd = main_fd;
		pf[n++].events = POLLIN;
	}
	r = real_poll(pf, n, (int)(deadline - now));
	if (r < 0 && errno != EINTR)
		return false;
	/* A descriptor closed or broken under us: nothing will come. */
	while (r > 0 && n-- > 0)
		if ((pf[n].revents & (POLLERR | POLLNVAL)) != 0)
			return false;
	return true;
}

static bool
readable(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return real_poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN) != 0;
}

/*
 * After a datagram whose first octets are head went out on fd: wait
 * for its MARK (for a DUMP, or during one: for the MARK or something to
 * read). Returns the errno a kernel's send() would have failed with, or
 * 0.
 */
static int
sync_after_send(struct pk *p, int fd, const uint8_t *head)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	bool got = false, dump;
	int err = 0;

	dump = head[0] == PARAPET_PF_KEY_V2 &&
	    (head[1] == PARAPET_SADB_DUMP || head[1] == PARAPET_SADB_X_SPDDUMP);
	side_drain(p, head, &got, &err);
	if (dump && !got && !p->dumping) {
		p->dumping = true;
		memcpy(p->dump_echo, head, sizeof(p->dump_echo));
		__atomic_add_fetch(&n_dumping, 1, __ATOMIC_ACQ_REL);
	}
	for (;;) {
		side_drain(p, head, &got, &err);
		if (got || __atomic_load_n(&p->side, __ATOMIC_ACQUIRE) < 0)
			break;
		/*
		 * With a dump under way, keyd may hold this reply behind
		 * dump replies that only the program's reading lets out:
		 * return once there is something to read (the reply comes
		 * before the dump's end; the dump rule covers the gaps).
		 */
		if ((dump || p->dumping) && readable(fd))
			break;
		if (!side_wait(p, dump || p->dumping ? fd : -1, deadline))
			break;
	}
	return err;
}

/*
 * Before a read that must not find nothing in the middle of a dump:
 * wait for the next reply or the dump's end (p->lock held).
 */
static void
dump_settle(struct pk *p, int fd)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		side_drain(p, NULL, NULL, NULL);
		if (!p->dumping || readable(fd))
			return;
		if (!side_wait(p, fd, deadline))
			return;
	}
}

static bool
nonblocking(int fd, int flags)
{
	int fl;

	if ((flags & MSG_DONTWAIT) != 0)
		return true;
	fl = real_fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

/* The receive side of the dump rule, for fd (ours or not). */
static void
recv_prologue(int fd, int flags)
{
	struct pk *p;
	int saved;

	/* Per-socket policy: registered again first if policyd restarted. */
	parapet_sockpol_touch(fd);
	if (__atomic_load_n(&n_dumping, __ATOMIC_ACQUIRE) == 0)
		return;
	if ((p = pk_get(fd)) == NULL)
		return;
	saved = errno;
	pthread_mutex_lock(&p->lock);
	if (p->dumping && nonblocking(fd, flags))
		dump_settle(p, fd);
	pthread_mutex_unlock(&p->lock);
	errno = saved;
	pk_put(p);
}

/*
 * The source address of a PF_KEY datagram: just the family (KAME's is
 * two octets too); keyd's path, written there by the real call, goes.
 */
static void
fix_addr(void *addr, socklen_t *len, socklen_t given)
{
	sa_family_t fam = PF_KEY;

	if (addr == NULL || len == NULL)
		return;
	memset(addr, 0, given < sizeof(struct sockaddr_un) ? given :
	    sizeof(struct sockaddr_un));
	if (given >= sizeof(fam))
		memcpy(addr, &fam, sizeof(fam));
	*len = sizeof(fam);
}

static bool
is_ours(int fd)
{
	struct pk *p;

	if ((p = pk_get(fd)) == NULL)
		return false;
	pk_put(p);
	return true;
}

/* ---- socket() ---- */

static const char *
sock_path(char *buf, size_t len)
{
	const char *s;

	if ((s = getenv("PARAPET_PFKEY_SOCKET")) != NULL && *s != '\0')
		return s;
	if ((s = getenv("PFKEY_SOCKET")) != NULL && *s != '\0')
		return s;
	if ((s = getenv("PARAPET_RUNDIR")) != NULL && *s != '\0') {
		snprintf(buf, len, "%s/pfkey.sock", s);
		return buf;
	}
	return DEFAULT_PATH;
}

static int MUST_CHECK
connect_keyd(const char *path)
{
	struct sockaddr_un sun;
	int fd, error;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = real_socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno == EINTR)
			continue;
		error = errno;
		real_close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

static void
hello_build(uint8_t *b, uint8_t type, const uint8_t *cookie)
{
	uint16_t words = PFKEY_SYNC_WORDS;

	memset(b, 0, PFKEY_SYNC_LEN);
	b[0] = PFKEY_SYNC_VERSION;
	b[1] = type;
	memcpy(b + 4, &words, sizeof(words));
	memcpy(b + PFKEY_SYNC_COOKIE_OFF, cookie, PFKEY_SYNC_COOKIE_LEN);
	memcpy(b + PFKEY_SYNC_MAGIC_OFF, PFKEY_SYNC_MAGIC,
	    sizeof(PFKEY_SYNC_MAGIC));
}

/*
 * Wait on side for the MARK of hello. 0: it came; -1 with errno: keyd
 * closed the channel (EPERM: it refused us) or the time ran out.
 */
static int MUST_CHECK
hello_wait(int side, const uint8_t *hello)
{
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms, now;
	struct pollfd pf = { .fd = side, .events = POLLIN };
	uint8_t b[64];
	ssize_t n;

	for (;;) {
		n = real_recv(side, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != EWOULDBLOCK)) {
			errno = EPERM;
			return -1;
		}
		if (n > 0 && is_mark(b, n) && memcmp(b + PFKEY_SYNC_ECHO_OFF,
		    hello, PFKEY_SYNC_ECHO_LEN) == 0)
			return 0;
		if (n > 0)
			continue;	/* a broadcast before SIDE was seen */
		if ((now = mono_ms()) >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)real_poll(&pf, 1, (int)(deadline - now));
	}
}

static void
cookie_make(uint8_t *c)
{
	static unsigned int ctr;
	uint64_t x;

	if (getrandom(c, PFKEY_SYNC_COOKIE_LEN, GRND_NONBLOCK) ==
	    PFKEY_SYNC_COOKIE_LEN)
		return;
	x = mono_ms() ^ ((uint64_t)getpid() << 32) ^
	    __atomic_add_fetch(&ctr, 1, __ATOMIC_RELAXED);
	memcpy(c, &x, PFKEY_SYNC_COOKIE_LEN);
}

/* Send one sync datagram; -1 with errno. */
static int MUST_CHECK
send_sync(int fd, const uint8_t *b)
{
	ssize_t n;

	do
		n = real_send(fd, b, PFKEY_SYNC_LEN, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == PFKEY_SYNC_LEN ? 0 : -1;
}

/*
 * The side channel: connected, announced, acknowledged, moved to a high
 * descriptor. -1 with errno.
 */
static int MUST_CHECK
side_open(const char *path, const uint8_t *cookie)
{
	uint8_t hello[PFKEY_SYNC_LEN];
	int side, high, error;

	if ((side = connect_keyd(path)) < 0)
		return -1;
	hello_build(hello, PFKEY_SYNC_SIDE, cookie);
	if (send_sync(side, hello) != 0 || hello_wait(side, hello) != 0) {
		error = errno == EPIPE || errno == ECONNRESET ? EPERM : errno;
		real_close(side);
		errno = error;
		return -1;
	}
	if ((high = real_fcntl(side, F_DUPFD_CLOEXEC, SIDE_FD_MIN)) >= 0) {
		real_close(side);
		side = high;
	}
	return side;
}

static int
pfkey_socket(int type, int protocol)
{
	uint8_t cookie[PFKEY_SYNC_COOKIE_LEN], hello[PFKEY_SYNC_LEN];
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	const char *path = sock_path(buf, sizeof(buf));
	struct pk *p;
	int fd, side, error;

	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_RAW) {
		errno = ESOCKTNOSUPPORT;	/* as Linux pfkey_create() */
		return -1;
	}
	if (protocol != PARAPET_PF_KEY_V2) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	cookie_make(cookie);
	if ((side = side_open(path, cookie)) < 0)
		goto fail;
	if ((fd = connect_keyd(path)) < 0)
		goto fail_side;
	if ((type & SOCK_CLOEXEC) == 0)
		(void)real_fcntl(fd, F_SETFD, 0);
	hello_build(hello, PFKEY_SYNC_HELLO, cookie);
	if (send_sync(fd, hello) != 0)
		goto fail_fd;
	if (hello_wait(side, hello) != 0) {
		/* A keyd without sync mode: plain from now on. */
		real_close(side);
		side = -1;
	}
	if ((type & SOCK_NONBLOCK) != 0)
		(void)real_fcntl(fd, F_SETFL, real_fcntl(fd, F_GETFL) |
		    O_NONBLOCK);
	p->side = side;
	p->refs = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_lock(&tab_lock);
	if (tab_grow(fd) != 0 || (side >= 0 && tab_grow(side) != 0)) {
		pthread_mutex_unlock(&tab_lock);
		pthread_mutex_destroy(&p->lock);
		errno = ENOMEM;
		goto fail_fd;
	}
	tab_forget_locked(fd);		/* stale entries, if any */
	tab[fd].pk = p;
	if (side >= 0) {
		tab_forget_locked(side);
		tab[side].pk = p;
		tab[side].side = true;
	}
	__atomic_add_fetch(&n_pk, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&tab_lock);
	return fd;

fail_fd:
	error = errno;
	real_close(fd);
	errno = error;
fail_side:
	error = errno;
	if (side >= 0)
		real_close(side);
	errno = error;
fail:
	free(p);
	return -1;
}

int
socket(int domain, int type, int protocol)
{
	init();
	if (domain != PF_KEY)
		return real_socket(domain, type, protocol);
	return pfkey_socket(type, protocol);
}

/* ---- sending ---- */

/* Before a send on fd: its socket, locked (one MARK awaited at a time). */
static struct pk *
send_begin(int fd)
{
	struct pk *p;

	/* Per-socket policy: registered again first if policyd restarted. */
	parapet_sockpol_touch(fd);
	if ((p = pk_get(fd)) != NULL)
		pthread_mutex_lock(&p->lock);
	return p;
}

/*
 * After the real send returned r: wait for the MARK. A refused header
 * fails the send() with the errno the MARK carries, as a kernel does.
 */
static ssize_t
send_end(struct pk *p, int fd, ssize_t r, const uint8_t *head)
{
	int saved = errno, err = 0;

	if (r >= 0 && __atomic_load_n(&p->side, __ATOMIC_ACQUIRE) >= 0)
		err = sync_after_send(p, fd, head);
	pthread_mutex_unlock(&p->lock);
	pk_put(p);
	if (err != 0) {
		errno = err;
		return -1;
	}
	errno = saved;
	return r;
}

/* head_iov() for one buffer. */
static void
head_buf(uint8_t *head, const void *buf, size_t len)
{
	size_t k = len < PFKEY_SYNC_ECHO_LEN ? len : PFKEY_SYNC_ECHO_LEN;

	memset(head, 0, PFKEY_SYNC_ECHO_LEN);
	if (k > 0 && buf != NULL)
		memcpy(head, buf, k);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	uint8_t head[PFKEY_SYNC_ECHO_LEN];
	struct pk *p;

	init();
	if ((p = send_begin(fd)) == NULL)
		return real_send(fd, buf, len, flags);
	head_buf(head, buf, len);
	return send_end(p, fd, real_send(fd, buf, len, flags), head);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	uint8_t head[PFKEY_SYNC_ECHO_LEN];
	struct pk *p;

	init();
	if ((p = send_begin(fd)) == NULL)
		return real_sendto(fd, buf, len, flags, to, tolen);
	head_buf(head, buf, len);
	/* A PF_KEY destination means keyd: the connection's own peer. */
	return send_end(p, fd, real_sendto(fd, buf, len, flags, NULL, 0),
	    head);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	uint8_t head[PFKEY_SYNC_ECHO_LEN];
	struct msghdr m;
	struct pk *p;

	init();
	if (msg == NULL || (p = send_begin(fd)) == NULL)
		return real_sendmsg(fd, msg, flags);
	m = *msg;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	head_iov(head, m.msg_iov, m.msg_iovlen);
	return send_end(p, fd, real_sendmsg(fd, &m, flags), head);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	uint8_t head[PFKEY_SYNC_ECHO_LEN];
	struct pk *p;

	init();
	if ((p = send_begin(fd)) == NULL)
		return real_write(fd, buf, len);
	head_buf(head, buf, len);
	return send_end(p, fd, real_write(fd, buf, len), head);
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	uint8_t head[PFKEY_SYNC_ECHO_LEN];
	struct pk *p;

	init();
	if (iovcnt < 0 || (p = send_begin(fd)) == NULL)
		return real_writev(fd, iov, iovcnt);
	head_iov(head, iov, (size_t)iovcnt);
	return send_end(p, fd, real_writev(fd, iov, iovcnt), head);
}

/* ---- receiving ---- */

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	init();
	recv_prologue(fd, flags);
	return real_recv(fd, buf, len, flags);
}

ssize_t
__recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	init();
	recv_prologue(fd, flags);
	return real___recv_chk(fd, buf, len, buflen, flags);
}

ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
    socklen_t *fromlen)
{
	socklen_t given = fromlen != NULL ? *fromlen : 0;
	ssize_t r;

	init();
	recv_prologue(fd, flags);
	r = real_recvfrom(fd, buf, len, flags, from, fromlen);
	if (r >= 0 && from != NULL && is_ours(fd))
		fix_addr(from, fromlen, given);
	return r;
}

ssize_t
__recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
    struct sockaddr *from, socklen_t *fromlen)
{
	socklen_t given = fromlen != NULL ? *fromlen : 0;
	ssize_t r;

	init();
	recv_prologue(fd, flags);
	r = real___recvfrom_chk(fd, buf, len, buflen, flags, from, fromlen);
	if (r >= 0 && from != NULL && is_ours(fd))
		fix_addr(from, fromlen, given);
	return r;
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	socklen_t given = msg != NULL ? msg->msg_namelen : 0;
	ssize_t r;

	init();
	recv_prologue(fd, flags);
	r = real_recvmsg(fd, msg, flags);
	if (r >= 0 && msg != NULL && msg->msg_name != NULL && is_ours(fd))
		fix_addr(msg->msg_name, &msg->msg_namelen, given);
	return r;
}

ssize_t
read(int fd, void *buf, size_t len)
{
	init();
	recv_prologue(fd, 0);
	return real_read(fd, buf, len);
}

ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	init();
	recv_prologue(fd, 0);
	return real___read_chk(fd, buf, len, buflen);
}

ssize_t
readv(int fd, const struct iovec *iov, int iovcnt)
{
	init();
	recv_prologue(fd, 0);
	return real_readv(fd, iov, iovcnt);
}

/* ---- poll, select ---- */

static void
poll_prologue(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	if (fds == NULL ||
	    __atomic_load_n(&n_dumping, __ATOMIC_ACQUIRE) == 0)
		return;
	for (i = 0; i < n; i++)
		if ((fds[i].events & (POLLIN | POLLRDNORM)) != 0)
			recv_prologue(fds[i].fd, MSG_DONTWAIT);
}

static void
select_prologue(int nfds, const fd_set *rd)
{
	int fd;

	if (rd == NULL ||
	    __atomic_load_n(&n_dumping, __ATOMIC_ACQUIRE) == 0)
		return;
	for (fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (FD_ISSET(fd, rd))
			recv_prologue(fd, MSG_DONTWAIT);
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	init();
	poll_prologue(fds, n);
	return real_poll(fds, n, timeout);
}

int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	init();
	poll_prologue(fds, n);
	return real___poll_chk(fds, n, timeout, fdslen);
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	init();
	poll_prologue(fds, n);
	return real_ppoll(fds, n, ts, mask);
}

int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask, size_t fdslen)
{
	init();
	poll_prologue(fds, n);
	return real___ppoll_chk(fds, n, ts, mask, fdslen);
}

int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	init();
	select_prologue(nfds, rd);
	return real_select(nfds, rd, wr, ex, tv);
}

int
pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask)
{
	init();
	select_prologue(nfds, rd);
	return real_pselect(nfds, rd, wr, ex, ts, mask);
}

/* ---- options ---- */

/* What a kernel PF_KEY socket answers where ours would differ. */
static const struct {
	int	name;
	int	value;
} sockopts[] = {
	{ SO_TYPE, SOCK_RAW },
	{ SO_DOMAIN, PF_KEY },
	{ SO_PROTOCOL, PARAPET_PF_KEY_V2 },
};

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	size_t i;
	bool handled;
	int r;

	init();
	if (parapet_sockpol_is_opt(level, name)) {
		r = parapet_sockpol_get(fd, level, name, val, len, &handled);
		if (handled)
			return r;
	}
	if (level != SOL_SOCKET || val == NULL || len == NULL ||
	    *len < sizeof(int) || !is_ours(fd))
		return real_getsockopt(fd, level, name, val, len);
	for (i = 0; i < nitems(sockopts); i++)
		if (sockopts[i].name == name) {
			memcpy(val, &sockopts[i].value, sizeof(int));
			*len = sizeof(int);
			return 0;
		}
	return real_getsockopt(fd, level, name, val, len);
}

/* A PF_KEY socket's own and peer address: the family alone. */
int
getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	socklen_t given = len != NULL ? *len : 0;
	int r;

	init();
	if ((r = real_getsockname(fd, sa, len)) == 0 && is_ours(fd))
		fix_addr(sa, len, given);
	return r;
}

int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	socklen_t given = len != NULL ? *len : 0;
	int r;

	init();
	if ((r = real_getpeername(fd, sa, len)) == 0 && is_ours(fd))
		fix_addr(sa, len, given);
	return r;
}

/* ---- descriptors ---- */

int
close(int fd)
{
	init();
	tab_forget(fd);
	parapet_sockpol_forget(fd);
	return real_close(fd);
}

/* [lo, hi] is about to be closed (closefrom, close_range). */
static void
tab_forget_range(unsigned int lo, unsigned int hi)
{
	size_t fd;
	int saved = errno;

	if (__atomic_load_n(&n_pk, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&tab_lock);
	for (fd = lo; fd <= hi && fd < tab_len; fd++)
		tab_forget_locked((int)fd);
	pthread_mutex_unlock(&tab_lock);
	errno = saved;
}

void
closefrom(int lo)
{
	init();
	tab_forget_range(lo < 0 ? 0 : (unsigned int)lo, UINT_MAX);
	parapet_sockpol_forget_range(lo < 0 ? 0 : (unsigned int)lo, UINT_MAX);
	real_closefrom(lo);
}

int
close_range(unsigned int lo, unsigned int hi, int flags)
{
	init();
	if (((unsigned int)flags & CLOSE_RANGE_CLOEXEC) == 0 && lo <= hi) {
		tab_forget_range(lo, hi);
		parapet_sockpol_forget_range(lo, hi);
	}
	return real_close_range(lo, hi, flags);
}

int
dup(int fd)
{
	int r;

	init();
	if ((r = real_dup(fd)) >= 0) {
		tab_dup(fd, r);
		parapet_sockpol_dup(fd, r);
	}
	return r;
}

int
dup2(int fd, int fd2)
{
	int r;

	init();
	if ((r = real_dup2(fd, fd2)) >= 0 && fd != fd2) {
		tab_dup(fd, r);
		parapet_sockpol_dup(fd, r);
	}
	return r;
}

int
dup3(int fd, int fd2, int flags)
{
	int r;

	init();
	if ((r = real_dup3(fd, fd2, flags)) >= 0) {
		tab_dup(fd, r);
		parapet_sockpol_dup(fd, r);
	}
	return r;
}

static int
fcntl_common(__typeof__(fcntl) *f, int fd, int cmd, void *arg)
{
	int r;

	r = f(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
		tab_dup(fd, r);
		parapet_sockpol_dup(fd, r);
	}
	return r;
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	init();
	va_start(ap, cmd);
	arg = va_arg(ap, void *);	/* as glibc: every argument fits */
	va_end(ap);
	return fcntl_common(real_fcntl, fd, cmd, arg);
}

int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	init();
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(real_fcntl64, fd, cmd, arg);
}

/* ---- per-socket policy (libclient/sockpol.c) ---- */

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	bool handled;
	int r;

	init();
	if (parapet_sockpol_is_opt(level, name)) {
		r = parapet_sockpol_set(fd, level, name, val, len, &handled);
		if (handled)
			return r;
	}
	return real_setsockopt(fd, level, name, val, len);
}

int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r;

	init();
	if ((r = real_bind(fd, sa, len)) == 0)
		parapet_sockpol_bound(fd, NULL, 0);
	return r;
}

/* A connect in progress (EINPROGRESS) has its addresses already. */
int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int r, saved;

	init();
	r = real_connect(fd, sa, len);
	if (r == 0 || errno == EINPROGRESS) {
		saved = errno;
		/* AF_UNSPEC dissolves the association: wildcards again. */
		if (sa != NULL && sa->sa_family == AF_UNSPEC)
			parapet_sockpol_bound(fd, NULL, 0);
		else
			parapet_sockpol_bound(fd, sa, len);
		errno = saved;
	}
	return r;
}

/* The accepted socket inherits the listener's policy (KAME, Linux). */
int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int r;

	init();
	if ((r = real_accept(fd, sa, len)) >= 0)
		parapet_sockpol_accepted(fd, r);
	return r;
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int r;

	init();
	if ((r = real_accept4(fd, sa, len, flags)) >= 0)
		parapet_sockpol_accepted(fd, r);
	return r;
}
