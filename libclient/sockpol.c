/*
 * sockpol.c - per-socket IPsec policy for programs (see sockpol.h): a
 * table of this process's sockets that carry a policy, and the
 * connection to policyd's RUNDIR/sockpol.sock that registers them.
 *
 * Requests and replies are sockpol_proto.h datagrams, one request in
 * flight (under the lock), answered in order. policyd's replies are
 * checked (length, version, op, seq) before use; anything else read on
 * the connection is dropped. When the connection turns out dead
 * (policyd restarted), a new one is made and every policy of this
 * process is registered again before the request is retried.
 *
 * Links libc only: it is part of the preload library.
 */
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockpol.h"
#include "sockpol_proto.h"
#include "util.h"

#define SP_DEFAULT_PATH		"/run/parapet/sockpol.sock"
#define SP_DEFAULT_TIMEOUT_MS	2000
#define SP_CONN_FD_MIN		64	/* out of the program's way */
#define SP_POLICY_MAX		(SOCKPOL_REQ_MAX - SOCKPOL_HDR_BYTES - \
				    SOCKPOL_SEL_BYTES)
#define SP_OPTLEN_MAX		4096	/* Linux: PAGE_SIZE */
#define SP_RETRY_MS		50
#define SP_TOUCH_MS		100	/* data path: look this often */

/* One socket with a policy, shared by its dup()ed descriptors. */
struct spsock {
	unsigned int	refs;		/* descriptors naming it */
	uint64_t	id;		/* its inode */
	uint16_t	family;
	uint8_t		proto;
	uint8_t		flags;		/* SOCKPOL_SEL_* */
	uint8_t		sel[SOCKPOL_SEL_BYTES];	/* as last sent */
	uint8_t		pol[2][SP_POLICY_MAX];	/* [dir - 1] */
	size_t		pol_len[2];		/* 0: none */
	uint32_t	mark;			/* replay() seen it */
};

static pthread_mutex_t sp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t sp_once = PTHREAD_ONCE_INIT;
static struct spsock **fdtab;		/* indexed by descriptor */
static size_t fdtab_len;
static unsigned int n_socks;		/* fast path: 0 */
static int conn = -1;
static uint32_t next_seq = 1;
static int timeout_ms = SP_DEFAULT_TIMEOUT_MS;
static uint32_t replay_gen;
static uint64_t last_touch;		/* parapet_sockpol_touch() */

static struct parapet_sockpol_io io = {
	.socket = socket, .connect = connect, .send = send, .recv = recv,
	.close = close, .poll = poll, .getsockopt = getsockopt,
	.getsockname = getsockname, .getpeername = getpeername,
	.fcntl = fcntl,
};

void
parapet_sockpol_set_io(const struct parapet_sockpol_io *p)
{
	io = *p;
}

static void resync_child(void);

static void
fork_prepare(void)
{
	pthread_mutex_lock(&sp_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&sp_lock);
}

static void
fork_child(void)
{
	pthread_mutex_init(&sp_lock, NULL);
	resync_child();
}

static void
sp_init(void)
{
	const char *t = getenv("PARAPET_SOCKPOL_TIMEOUT_MS");
	char *end;
	long v;

	if (t != NULL) {
		errno = 0;
		v = strtol(t, &end, 10);
		if (errno == 0 && end != t && v > 0 && v <= INT_MAX)
			timeout_ms = (int)v;
	}
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void
lock(void)
{
	(void)pthread_once(&sp_once, sp_init);
	pthread_mutex_lock(&sp_lock);
}

static void
unlock(void)
{
	pthread_mutex_unlock(&sp_lock);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- the descriptor table (sp_lock held) ---- */

static struct spsock *
sock_of(int fd)
{
	return fd >= 0 && (size_t)fd < fdtab_len ? fdtab[fd] : NULL;
}

static int
tab_grow(int fd)
{
	struct spsock **n;
	size_t len;

	if ((size_t)fd < fdtab_len)
		return 0;
	len = fdtab_len == 0 ? 64 : fdtab_len;
	while (len <= (size_t)fd)
		len *= 2;
	if ((n = realloc(fdtab, len * sizeof(struct spsock *))) == NULL)
		return -ENOMEM;
	memset(n + fdtab_len, 0, (len - fdtab_len) * sizeof(struct spsock *));
	fdtab = n;
	fdtab_len = len;
	return 0;
}

/* ---- the connection (sp_lock held) ---- */

static void
sock_path(struct sockaddr_un *sun)
{
	const char *p = getenv("PARAPET_SOCKPOL_SOCKET"), *dir;
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (p != NULL && *p != '\0')
		n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", p);
	else if ((dir = getenv("PARAPET_RUNDIR")) != NULL && *dir != '\0')
		n = snprintf(sun->sun_path, sizeof(sun->sun_path),
		    "%s/sockpol.sock", dir);
	else
		n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s",
		    SP_DEFAULT_PATH);
	/* Too long: no path, connect() fails and the caller says so. */
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
		memset(sun->sun_path, 0, sizeof(sun->sun_path));
}

static void
conn_drop(void)
{
	if (conn >= 0)
		io.close(conn);
	conn = -1;
}

/* A connected, close-on-exec descriptor out of the low range, or -errno. */
static int
conn_open(void)
{
	struct sockaddr_un sun;
	int fd, hi;

	sock_path(&sun);
	fd = io.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (io.connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		io.close(fd);
		return -e;
	}
	if (fd < SP_CONN_FD_MIN &&
	    (hi = io.fcntl(fd, F_DUPFD_CLOEXEC, SP_CONN_FD_MIN)) >= 0) {
		io.close(fd);
		fd = hi;
	}
	return fd;
}

/* Wait for fd to be readable until deadline; false on timeout. */
static bool
wait_readable(int fd, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t now;
	int r;

	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return false;
		r = io.poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/*
 * One request on `fd`, its reply in rep (cap octets). Returns the
 * reply's length, or -errno; -EPIPE means the connection is dead.
 */
static ssize_t
round_trip(int fd, const uint8_t *req, size_t len, uint8_t *rep, size_t cap,
    uint64_t deadline)
{
	uint32_t seq = get32(req + 4);
	ssize_t n;

	if (io.send(fd, req, len, MSG_NOSIGNAL) < 0)
		return errno == EPIPE || errno == ECONNRESET ||
		    errno == ENOTCONN ? -EPIPE : -errno;
	for (;;) {
		if (!wait_readable(fd, deadline))
			return -ETIMEDOUT;
		n = io.recv(fd, rep, cap, MSG_DONTWAIT);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -EPIPE;
		}
		/* A late reply to an earlier request that timed out: drop. */
		if ((size_t)n >= SOCKPOL_REPLY_BYTES &&
		    rep[0] == SOCKPOL_VERSION && rep[1] == req[1] &&
		    get32(rep + 4) == seq)
			return n;
	}
}

static void
hdr(uint8_t *b, uint8_t op, uint8_t dir, uint64_t sock)
{
	memset(b, 0, SOCKPOL_HDR_BYTES);
	b[0] = SOCKPOL_VERSION;
	b[1] = op;
	b[2] = dir;
	put32(b + 4, next_seq++);
	put64(b + 8, sock);
}

/* The errno of a reply (0: success); -EPROTO for a malformed one. */
static int
reply_errno(const uint8_t *rep, ssize_t n)
{
	uint32_t e;

	if (n < (ssize_t)SOCKPOL_REPLY_BYTES)
		return -EPROTO;
	e = get32(rep + 8);
	return e == 0 ? 0 : e < 4096 ? -(int)e : -EPROTO;
}

/* The SET request of s's policy of direction index d; its length. */
static size_t
set_req(const struct spsock *s, size_t d, uint8_t *req)
{
	size_t len = SOCKPOL_HDR_BYTES + SOCKPOL_SEL_BYTES;

	hdr(req, SOCKPOL_OP_SET, 0, s->id);
	memcpy(req + SOCKPOL_HDR_BYTES, s->sel, SOCKPOL_SEL_BYTES);
	memcpy(req + len, s->pol[d], s->pol_len[d]);
	return len + s->pol_len[d];
}

/* Register every policy of this process on fd (a new connection). */
static int
replay(int fd, uint64_t deadline)
{
	uint8_t req[SOCKPOL_REQ_MAX], rep[SOCKPOL_REPLY_BYTES];
	size_t i, d, len;
	ssize_t n;
	int e;

	replay_gen++;
	for (i = 0; i < fdtab_len; i++) {
		struct spsock *s = fdtab[i];

		/* A socket with several descriptors: once. */
		if (s == NULL || s->mark == replay_gen)
			continue;
		s->mark = replay_gen;
		for (d = 0; d < 2; d++) {
			if (s->pol_len[d] == 0)
				continue;
			len = set_req(s, d, req);
			n = round_trip(fd, req, len, rep, sizeof(rep),
			    deadline);
			if (n < 0)
				return (int)n;
			if ((e = reply_errno(rep, n)) != 0 && e != -EACCES)
				return e;
		}
	}
	return 0;
}

/* Whether the connection we have is still policyd's (sp_lock held). */
static bool
conn_alive(void)
{
	struct pollfd p = { .fd = conn, .events = POLLIN };

	if (conn < 0)
		return false;
	if (io.poll(&p, 1, 0) == 0)
		return true;
	conn_drop();
	return false;
}

/*
 * A live connection in `conn`: if the one we have has been closed by
 * policyd (it only ever writes replies, so anything readable now is its
 * EOF or a stale reply), make a new one and register everything again.
 * Waits for policyd until the deadline (it may be restarting).
 */
static int
conn_ready(uint64_t deadline)
{
	int fd, e;

	if (conn_alive())
		return 0;
	for (;;) {
		if ((fd = conn_open()) >= 0) {
			if ((e = replay(fd, deadline)) == 0) {
				conn = fd;
				return 0;
			}
			io.close(fd);
			if (e != -EPIPE)
				return e;
		}
		if (mono_ms() + SP_RETRY_MS >= deadline)
			return -ENOPROTOOPT;
		(void)io.poll(NULL, 0, SP_RETRY_MS);
	}
}

/*
 * Remove a socket's registrations. Never waits for policyd: without a
 * live connection there is nothing to remove (they went with the old
 * one), and close() must not block.
 */
static void
request_del(uint8_t *req, size_t len)
{
	uint8_t rep[SOCKPOL_REPLY_BYTES];
	ssize_t n;

	if (!conn_alive())
		return;
	n = round_trip(conn, req, len, rep, sizeof(rep),
	    mono_ms() + (uint64_t)timeout_ms);
	if (n < 0)
		conn_drop();
}

/* One request on the process's connection, retried once on a new one. */
static int
request(uint8_t *req, size_t len)
{
	uint8_t rep[SOCKPOL_REPLY_BYTES];
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	ssize_t n;
	int e, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((e = conn_ready(deadline)) != 0)
			return e;
		n = round_trip(conn, req, len, rep, sizeof(rep), deadline);
		if (n >= 0)
			return reply_errno(rep, n);
		conn_drop();
		if (n != -EPIPE)
			return n == -ETIMEDOUT ? -ENOPROTOOPT : (int)n;
		put32(req + 4, next_seq++);
	}
	return -ENOPROTOOPT;
}

/* ---- selectors ---- */

/*
 * An IPv6 socket that also carries IPv4 (IPV6_V6ONLY off, Linux's
 * default): SOCKPOL_SEL_V4MAPPED. Asked at each selector, since the
 * option may change until bind().
 */
static uint8_t
sel_flags(int fd, uint16_t family)
{
	int v6only = 1;
	socklen_t l = sizeof(v6only);

	if (family != AF_INET6 || io.getsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, &l) != 0)
		return 0;
	return v6only == 0 ? SOCKPOL_SEL_V4MAPPED : 0;
}

static void
sel_addr(uint8_t *addr, uint16_t *port, const struct sockaddr_storage *ss,
    uint16_t family)
{
	if (family == AF_INET && ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
	} else if (family == AF_INET6 && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		memcpy(addr, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
	}
}

/*
 * The selector of s: local address and port from getsockname(), remote
 * from the peer given (connect's argument: a connect still in progress
 * has no peer name yet) or getpeername(); wildcards where unknown.
 */
static void
sel_build(struct spsock *s, int fd, const struct sockaddr *peer,
    socklen_t peerlen, uint8_t *b)
{
	struct sockaddr_storage ss;
	uint8_t laddr[16] = { 0 }, raddr[16] = { 0 };
	uint16_t lport = 0, rport = 0;
	socklen_t l = sizeof(ss);

	s->flags = sel_flags(fd, s->family);
	memset(&ss, 0, sizeof(ss));
	if (io.getsockname(fd, (struct sockaddr *)&ss, &l) == 0)
		sel_addr(laddr, &lport, &ss, s->family);
	memset(&ss, 0, sizeof(ss));
	l = sizeof(ss);
	if (peer != NULL) {
		memcpy(&ss, peer, peerlen < sizeof(ss) ? peerlen : sizeof(ss));
		sel_addr(raddr, &rport, &ss, s->family);
	} else if (io.getpeername(fd, (struct sockaddr *)&ss, &l) == 0)
		sel_addr(raddr, &rport, &ss, s->family);
	memset(b, 0, SOCKPOL_SEL_BYTES);
	put16(b, s->family);
	b[2] = s->proto;
	b[3] = s->flags;
	put16(b + 4, lport);
	put16(b + 6, rport);
	memcpy(b + 8, laddr, 16);
	memcpy(b + 24, raddr, 16);
}

/* ---- setsockopt / getsockopt ---- */

bool
parapet_sockpol_is_opt(int level, int optname)
{
	return (level == IPPROTO_IP && optname == PARAPET_IP_IPSEC_POLICY) ||
	    (level == IPPROTO_IPV6 && optname == PARAPET_IPV6_IPSEC_POLICY);
}

/* family and protocol of an IPv4/IPv6 socket; false for others. */
static bool
inet_socket(int fd, uint16_t *family, uint8_t *proto)
{
	int dom = 0, pr = 0, type = 0;
	socklen_t l = sizeof(dom);

	if (io.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0 ||
	    (dom != AF_INET && dom != AF_INET6))
		return false;
	l = sizeof(pr);
	if (io.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &pr, &l) != 0)
		pr = 0;
	l = sizeof(type);
	if (io.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0)
		type = 0;
	*family = (uint16_t)dom;
	/* A raw socket of protocol 0 or IPPROTO_RAW sees any protocol. */
	*proto = pr <= 0 || pr >= 255 ||
	    (type == SOCK_RAW && pr == IPPROTO_RAW) ? 255 : (uint8_t)pr;
	return true;
}

static uint64_t
sock_id(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : (uint64_t)fd;
}

/* fd's entry, created when missing (sp_lock held). NULL: no memory. */
static struct spsock *
sock_make(int fd, uint16_t family, uint8_t proto)
{
	struct spsock *s = sock_of(fd);

	if (s != NULL)
		return s;
	if (tab_grow(fd) != 0 || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->refs = 1;
	s->id = sock_id(fd);
	s->family = family;
	s->proto = proto;
	fdtab[fd] = s;
	__atomic_add_fetch(&n_socks, 1, __ATOMIC_ACQ_REL);
	return s;
}

/* Drop fd's reference (sp_lock held); the last one unregisters. */
static void
sock_unref(int fd, bool tell)
{
	struct spsock *s = sock_of(fd);
	uint8_t req[SOCKPOL_HDR_BYTES];

	if (s == NULL)
		return;
	fdtab[fd] = NULL;
	if (--s->refs > 0)
		return;
	if (tell && (s->pol_len[0] != 0 || s->pol_len[1] != 0)) {
		hdr(req, SOCKPOL_OP_DEL, 0, s->id);
		request_del(req, sizeof(req));
	}
	free(s);
	__atomic_sub_fetch(&n_socks, 1, __ATOMIC_ACQ_REL);
}

static int
set_remove(int fd)
{
	struct spsock *s = sock_of(fd);
	uint8_t req[SOCKPOL_HDR_BYTES];
	int e = 0;

	if (s == NULL)
		return 0;
	hdr(req, SOCKPOL_OP_DEL, 0, s->id);
	if (s->pol_len[0] != 0 || s->pol_len[1] != 0)
		e = request(req, sizeof(req));
	s->pol_len[0] = s->pol_len[1] = 0;
	return e;
}

/* Linux pfkey_compile_policy()'s first checks; the rest is policyd's. */
static int
set_check(uint16_t family, int optname, const uint8_t *buf, socklen_t len,
    size_t *plen, uint8_t *dir)
{
	uint16_t words;

	if ((family == AF_INET6) != (optname == PARAPET_IPV6_IPSEC_POLICY))
		return -EOPNOTSUPP;
	if (len == 0 || len > SP_OPTLEN_MAX)
		return -EMSGSIZE;
	if (len < 16)
		return -EINVAL;
	memcpy(&words, buf, sizeof(words));	/* host order */
	*plen = (size_t)words * 8;
	*dir = buf[6];
	if (*plen > len || *plen < 16 || *plen > SP_POLICY_MAX ||
	    (*dir != 1 && *dir != 2))
		return -EINVAL;
	return 0;
}

static int
set_locked(int fd, uint16_t family, uint8_t proto, int optname,
    const uint8_t *buf, socklen_t len)
{
	uint8_t req[SOCKPOL_REQ_MAX];
	struct spsock *s;
	size_t plen;
	uint8_t dir;
	int e;

	if (buf == NULL && len == 0)
		return set_remove(fd);
	if (buf == NULL)
		return -EFAULT;
	if ((e = set_check(family, optname, buf, len, &plen, &dir)) != 0)
		return e;
	if ((s = sock_make(fd, family, proto)) == NULL)
		return -ENOMEM;
	hdr(req, SOCKPOL_OP_SET, 0, s->id);
	sel_build(s, fd, NULL, 0, req + SOCKPOL_HDR_BYTES);
	memcpy(req + SOCKPOL_HDR_BYTES + SOCKPOL_SEL_BYTES, buf, plen);
	e = request(req, SOCKPOL_HDR_BYTES + SOCKPOL_SEL_BYTES + plen);
	if (e == 0) {
		memcpy(s->sel, req + SOCKPOL_HDR_BYTES, SOCKPOL_SEL_BYTES);
		memcpy(s->pol[dir - 1], buf, plen);
		s->pol_len[dir - 1] = plen;
	} else if (s->pol_len[0] == 0 && s->pol_len[1] == 0)
		sock_unref(fd, false);
	return e;
}

int
parapet_sockpol_set(int fd, int level, int optname, const void *buf,
    socklen_t len, bool *handled)
{
	uint16_t family;
	uint8_t proto;
	int saved = errno, e;

	*handled = false;
	if (!parapet_sockpol_is_opt(level, optname))
		return 0;
	lock();
	if (!inet_socket(fd, &family, &proto)) {
		unlock();
		errno = saved;
		return 0;
	}
	*handled = true;
	e = set_locked(fd, family, proto, optname, buf, len);
	unlock();
	if (e != 0) {
		errno = -e;
		return -1;
	}
	errno = saved;
	return 0;
}

/* "DIR entrust" with the default priority: PF_KEY fields, host order. */
static void
default_policy(uint8_t *b, uint8_t dir)
{
	uint16_t words = 2, exttype = 18, type = 3;
	uint32_t prio = 0x80000000u;

	memset(b, 0, 16);
	memcpy(b, &words, sizeof(words));
	memcpy(b + 2, &exttype, sizeof(exttype));
	memcpy(b + 4, &type, sizeof(type));
	b[6] = dir;
	memcpy(b + 12, &prio, sizeof(prio));
}

int
parapet_sockpol_get(int fd, int level, int optname, void *buf,
    socklen_t *len, bool *handled)
{
	const struct spsock *s;
	uint16_t family;
	uint8_t proto, dir, def[16];
	const uint8_t *src;
	size_t n;

	*handled = false;
	if (!parapet_sockpol_is_opt(level, optname))
		return 0;
	lock();
	if (!inet_socket(fd, &family, &proto)) {
		unlock();
		return 0;
	}
	*handled = true;
	if (buf == NULL || len == NULL || *len < 16) {
		unlock();
		errno = EINVAL;
		return -1;
	}
	dir = ((const uint8_t *)buf)[6];
	if (dir != 1 && dir != 2) {
		unlock();
		errno = EINVAL;
		return -1;
	}
	s = sock_of(fd);
	if (s != NULL && s->pol_len[dir - 1] != 0) {
		src = s->pol[dir - 1];
		n = s->pol_len[dir - 1];
	} else {
		/* KAME: a socket's policy is entrust until set. */
		default_policy(def, dir);
		src = def;
		n = sizeof(def);
	}
	if (*len < n) {
		*len = (socklen_t)n;
		unlock();
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, src, n);
	*len = (socklen_t)n;
	unlock();
	return 0;
}

/* ---- descriptors ---- */

bool
parapet_sockpol_has(int fd)
{
	bool r;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0)
		return false;
	lock();
	r = sock_of(fd) != NULL;
	unlock();
	return r;
}

void
parapet_sockpol_touch(int fd)
{
	uint64_t now;
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0)
		return;
	/* At most one look at the connection per SP_TOUCH_MS. */
	now = mono_ms();
	if (now - __atomic_load_n(&last_touch, __ATOMIC_RELAXED) <
	    SP_TOUCH_MS)
		return;
	lock();
	if (sock_of(fd) != NULL) {
		__atomic_store_n(&last_touch, now, __ATOMIC_RELAXED);
		if (!conn_alive())
			(void)conn_ready(now + (uint64_t)timeout_ms);
	}
	unlock();
	errno = saved;
}

void
parapet_sockpol_bound(int fd, const struct sockaddr *peer, socklen_t peerlen)
{
	uint8_t req[SOCKPOL_HDR_BYTES + SOCKPOL_SEL_BYTES];
	struct spsock *s;
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0)
		return;
	lock();
	if ((s = sock_of(fd)) != NULL) {
		hdr(req, SOCKPOL_OP_BIND, 0, s->id);
		sel_build(s, fd, peer, peerlen, req + SOCKPOL_HDR_BYTES);
		memcpy(s->sel, req + SOCKPOL_HDR_BYTES, SOCKPOL_SEL_BYTES);
		/* A failure leaves the wider selector (wildcards). */
		(void)request(req, sizeof(req));
	}
	unlock();
	errno = saved;
}

/* Register s's policy of direction index d (sp_lock held). */
static int
register_one(const struct spsock *s, size_t d)
{
	uint8_t req[SOCKPOL_REQ_MAX];

	return request(req, set_req(s, d, req));
}

void
parapet_sockpol_accepted(int lfd, int nfd)
{
	const struct spsock *l;
	struct spsock *s;
	size_t d;
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0 || nfd < 0)
		return;
	lock();
	if ((l = sock_of(lfd)) != NULL && (l->pol_len[0] != 0 ||
	    l->pol_len[1] != 0)) {
		sock_unref(nfd, false);		/* a stale entry, if any */
		if ((s = sock_make(nfd, l->family, l->proto)) != NULL) {
			sel_build(s, nfd, NULL, 0, s->sel);
			for (d = 0; d < 2; d++) {
				if (l->pol_len[d] == 0)
					continue;
				memcpy(s->pol[d], l->pol[d], l->pol_len[d]);
				s->pol_len[d] = l->pol_len[d];
				/* A failure: registered at the next
				 * reconnection (replay). */
				(void)register_one(s, d);
			}
		}
	}
	unlock();
	errno = saved;
}

void
parapet_sockpol_forget(int fd)
{
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0 && fd != conn)
		return;
	lock();
	if (fd >= 0 && fd == conn)
		conn = -1;	/* the program closes it: a new one later */
	else
		sock_unref(fd, true);
	unlock();
	errno = saved;
}

void
parapet_sockpol_forget_range(unsigned int lo, unsigned int hi)
{
	size_t fd;
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0 && conn < 0)
		return;
	lock();
	if (conn >= 0 && (unsigned int)conn >= lo && (unsigned int)conn <= hi)
		conn = -1;
	for (fd = lo; fd <= hi && fd < fdtab_len; fd++)
		sock_unref((int)fd, true);
	unlock();
	errno = saved;
}

void
parapet_sockpol_dup(int oldfd, int newfd)
{
	struct spsock *s;
	int saved = errno;

	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) == 0 || newfd < 0 ||
	    oldfd == newfd)
		return;
	lock();
	if (newfd == conn)
		conn = -1;
	sock_unref(newfd, true);
	if ((s = sock_of(oldfd)) != NULL && tab_grow(newfd) == 0) {
		fdtab[newfd] = s;
		s->refs++;
	}
	unlock();
	errno = saved;
}

/*
 * In a fork()ed child (one thread, sp_lock fresh): the inherited
 * connection is the parent's; take our own and register the inherited
 * sockets' policies on it, so they outlive the parent as the sockets
 * do. System calls only (no allocation).
 */
static void
resync_child(void)
{
	int saved = errno;

	if (conn >= 0) {
		io.close(conn);
		conn = -1;
	}
	if (__atomic_load_n(&n_socks, __ATOMIC_ACQUIRE) != 0)
		(void)conn_ready(mono_ms() + (uint64_t)timeout_ms);
	errno = saved;
}

/* ---- DUMP ---- */

static void
dump_ent(const uint8_t *p, struct parapet_sockpol_ent *e)
{
	memset(e, 0, sizeof(*e));
	e->pid = get32(p);
	e->uid = get32(p + 4);
	e->sock = get64(p + 8);
	e->dir = p[16];
	e->type = p[17];
	e->nreqs = p[18];
	e->family = get16(p + 20);
	e->proto = p[22];
	e->flags = p[23];
	e->lport = get16(p + 24);
	e->rport = get16(p + 26);
	memcpy(e->laddr, p + 28, 16);
	memcpy(e->raddr, p + 44, 16);
	e->id = get32(p + 60);
}

int
parapet_sockpol_dump(struct parapet_sockpol_ent *out, size_t max)
{
	static uint8_t rep[SOCKPOL_DUMP_REPLY_MAX];
	uint8_t req[SOCKPOL_HDR_BYTES];
	size_t i, count;
	ssize_t n;
	int fd, e;

	lock();
	if ((fd = conn_open()) < 0) {
		unlock();
		errno = -fd;
		return -1;
	}
	hdr(req, SOCKPOL_OP_DUMP, 0, 0);
	n = round_trip(fd, req, sizeof(req), rep, sizeof(rep),
	    mono_ms() + (uint64_t)timeout_ms);
	io.close(fd);
	e = n < 0 ? (int)n : reply_errno(rep, n);
	count = n >= (ssize_t)SOCKPOL_REPLY_BYTES ? get32(rep + 12) : 0;
	if (e == 0 && (size_t)n != SOCKPOL_REPLY_BYTES +
	    count * SOCKPOL_DUMP_ENT_BYTES)
		e = -EPROTO;
	if (e != 0) {
		unlock();
		errno = -e;
		return -1;
	}
	for (i = 0; i < count && i < max; i++)
		dump_ent(rep + SOCKPOL_REPLY_BYTES + i * SOCKPOL_DUMP_ENT_BYTES,
		    &out[i]);
	unlock();
	return (int)i;
}
