/*
 * keyd_pfkey.c - keyd's PF_KEY endpoint (keyd_pfkey.h): the listener,
 * the connections, delivery and flow control. Decisions are in
 * pfkey_dispatch.c; this file moves bytes.
 *
 *   client --datagram--> recv (MSG_TRUNC: oversize is seen, not cut)
 *          --> pfkey_msg_parse() --reject--> counter, log, error reply
 *          --> keyd_core_request() --> deliver() per the dest rule
 *                                     --> conn_send(): send now, or queue
 *
 * Each connection has an output queue. A message is sent at once when the
 * queue is empty and the socket takes it; otherwise it is queued and the
 * connection's uv_poll waits for UV_WRITABLE. Replies to the sender are
 * always queued; broadcasts to a socket whose queue is over QUEUE_MAX are
 * dropped and counted (a kernel drops them with ENOBUFS). A connection
 * whose queue is over QUEUE_PAUSE is not read until it drains, so a
 * client that sends without reading cannot grow its queue without bound.
 *
 * DUMP is generated only while the queue is empty: each SA's reply is
 * built when the previous one went out, so the dump is never truncated,
 * needs memory for one reply, and other clients are served between
 * wake-ups (at most BUDGET messages per wake-up per connection). Each
 * reply is held back one step so that the last one goes out with seq 0
 * (docs/DESIGN.md §10.6).
 *
 * Untrusted input: datagrams and the behaviour of clients.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "pfkey_dispatch.h"
#include "keyd_pfkey.h"
#include "log.h"
#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "server.h"

#define BUDGET		64	/* datagrams or dump replies per wake-up */
#define QUEUE_PAUSE	256	/* stop reading a client above this */
#define QUEUE_MAX	4096	/* drop broadcasts to a client above this */
#define BACKLOG		64

struct outmsg {
	struct outmsg	*next;
	size_t		 len;
	uint8_t		 data[];
};

struct conn {
	struct keyd_pfkey	*kp;
	struct conn		*next;
	struct conn		*prev;
	uv_poll_t		 poll;
	int			 fd;
	pid_t			 pid;		/* SO_PEERCRED, for logs */
	bool			 dead;
	int			 events;	/* what poll waits for */
	struct keyd_client	 cl;
	struct outmsg		*qhead;
	struct outmsg		*qtail;
	size_t			 qn;
	/* DUMP in progress. */
	bool			 dumping;
	struct sadb_cursor	 cur;
	struct pfkey_hdr	 dump_hdr;
	struct outmsg		*held;		/* the reply held back */
};

struct ctr {
	uint64_t	v;
	bool		reg;
};

struct keyd_pfkey {
	uv_loop_t		*loop;
	struct server		*srv;
	struct keyd_pfkey_cfg	 cfg;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int			 lfd;
	uv_poll_t		 lpoll;
	uv_timer_t		 timer;
	int			 handles;	/* open, for the final free */
	bool			 stopping;
	struct conn		*conns;
	struct conn		*sender;	/* of the request being handled */
	struct keyd_core	 core;
	struct log_rl		 rl;
	/* Counters. */
	uint64_t		 n_conns;
	uint64_t		 n_refused;
	uint64_t		 n_rejects;
	uint64_t		 n_dropped;
	uint64_t		 n_in;
	uint64_t		 n_out;
	uint64_t		 n_expire;
	struct ctr		 in[PARAPET_SADB_MAX + 1];
	struct ctr		 out[PARAPET_SADB_MAX + 1];
	struct ctr		 rej[PFKEY_REJECT_COUNT];
	uint8_t			 rbuf[PFKEY_MSG_MAX_BYTES];
	uint8_t			 tbuf[PFKEY_MSG_MAX_BYTES];
};

static const char *const type_names[PARAPET_SADB_MAX + 1] = {
	"reserved", "getspi", "update", "add", "delete", "get", "acquire",
	"register", "expire", "flush", "dump", "x_promisc", "x_pchange",
	"x_spdupdate", "x_spdadd", "x_spddelete", "x_spdget", "x_spdacquire",
	"x_spddump", "x_spdflush", "x_spdsetidx", "x_spdexpire",
	"x_spddelete2", "x_nat_t_new_mapping", "x_migrate",
};
_Static_assert(nitems(type_names) == PARAPET_SADB_MAX + 1, "type_names");

/*
 * Counters are registered on first use: there are more possible names
 * (types in and out, reject reasons) than SERVER_COUNTERS_MAX, and few
 * are ever used. A name that no longer fits is still in the totals.
 */
static void
ctr_bump(struct keyd_pfkey *kp, struct ctr *c, const char *prefix,
    const char *name)
{
	char n[64];

	c->v++;
	if (c->reg)
		return;
	c->reg = true;
	snprintf(n, sizeof(n), "%s%s", prefix, name);
	if (server_counter_add(kp->srv, n, &c->v) != 0)
		log_debug("pfkey: no room for counter %s", n);
}

static uint64_t
now_ms(struct keyd_pfkey *kp)
{
	struct timespec ts;
	uint64_t now;

	uv_update_time(kp->loop);
	now = uv_now(kp->loop);
	clock_gettime(CLOCK_REALTIME, &ts);
	kp->core.wall_offset_ms = (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000 - (int64_t)now;
	return now;
}

/* sadb_random_fn: GETSPI's SPIs. */
static void
rnd(void *buf, size_t len, void *arg)
{
	(void)arg;
	randombytes_buf(buf, len);
}

/* ---- output ---- */

static void
out_free(struct outmsg *m)
{
	if (m == NULL)
		return;
	sodium_memzero(m->data, m->len);	/* GET/DUMP carry keys */
	free(m);
}

static struct outmsg *
out_new(const uint8_t *buf, size_t len)
{
	struct outmsg *m;

	if ((m = malloc(sizeof(*m) + len)) == NULL)
		return NULL;
	m->next = NULL;
	m->len = len;
	memcpy(m->data, buf, len);
	return m;
}

/* 1: sent, 0: would block, -1: the connection is broken. */
static int
try_send(struct conn *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return 0;
	c->dead = true;
	return -1;
}

static void
enqueue(struct conn *c, struct outmsg *m)
{
	if (c->qtail != NULL)
		c->qtail->next = m;
	else
		c->qhead = m;
	c->qtail = m;
	c->qn++;
}

/* Send m (ownership taken) now or queue it. */
static void
send_owned(struct conn *c, struct outmsg *m)
{
	if (c->dead) {
		out_free(m);
		return;
	}
	if (c->qhead == NULL && try_send(c, m->data, m->len) != 0) {
		out_free(m);
		return;
	}
	enqueue(c, m);
}

/* Send a copy of buf; a broadcast (droppable) may be dropped. */
static void
send_copy(struct conn *c, const uint8_t *buf, size_t len, bool droppable)
{
	struct outmsg *m;

	if (c->dead)
		return;
	if (c->qhead == NULL && try_send(c, buf, len) != 0)
		return;
	if ((droppable && c->qn >= QUEUE_MAX) ||
	    (m = out_new(buf, len)) == NULL) {
		c->kp->n_dropped++;
		return;
	}
	enqueue(c, m);
}

static void
flush_queue(struct conn *c)
{
	struct outmsg *m;

	while ((m = c->qhead) != NULL && !c->dead) {
		if (try_send(c, m->data, m->len) == 0)
			return;
		c->qhead = m->next;
		if (c->qhead == NULL)
			c->qtail = NULL;
		c->qn--;
		out_free(m);
	}
}

static bool
registered_for(const struct conn *c, uint8_t satype)
{
	if (satype == PARAPET_SADB_SATYPE_UNSPEC)
		return c->cl.registered != 0;
	return (c->cl.registered & (UINT32_C(1) << satype)) != 0;
}

/*
 * keyd_send_fn: RFC 2367 §3.1 delivery, as Linux pfkey_broadcast():
 * promiscuous sockets get a copy of everything, the others per dest,
 * and the sender (if any) once, last.
 */
static void
deliver(const struct keyd_out *o, void *arg)
{
	struct keyd_pfkey *kp = arg;
	struct conn *one = kp->sender, *c;

	for (c = kp->conns; c != NULL; c = c->next) {
		if (c->cl.promisc)
			send_copy(c, o->buf, o->len, true);
		if (c == one)
			continue;
		if (o->dest == KEYD_DEST_ALL ||
		    (o->dest == KEYD_DEST_REGISTERED &&
		    registered_for(c, o->satype)))
			send_copy(c, o->buf, o->len, true);
	}
	if (one != NULL)
		send_copy(one, o->buf, o->len, false);
	kp->n_out++;
	if (o->type <= PARAPET_SADB_MAX)
		ctr_bump(kp, &kp->out[o->type], "pfkey.out.",
		    type_names[o->type]);
}

/* A copy of a client's request to every promiscuous socket (Linux). */
static void
promisc_copy(struct keyd_pfkey *kp, const uint8_t *buf, size_t len)
{
	struct conn *c;

	for (c = kp->conns; c != NULL; c = c->next)
		if (c->cl.promisc)
			send_copy(c, buf, len, true);
}

/* ---- DUMP ---- */

static void
dump_stop(struct conn *c)
{
	if (c->dumping)
		sadb_dump_end(&c->cur);
	c->dumping = false;
	out_free(c->held);
	c->held = NULL;
}

/* Write 0 into the held reply's sadb_msg_seq (our own bytes). */
static void
held_mark_last(struct outmsg *m)
{
	uint32_t zero = 0;

	memcpy(m->data + offsetof(struct pp_sadb_msg, sadb_msg_seq), &zero,
	    sizeof(zero));
}

/*
 * Every SA went between the DUMP and its first step: answer ENOENT, as
 * for a DUMP of nothing.
 */
static void
dump_empty(struct conn *c)
{
	struct keyd_pfkey *kp = c->kp;
	size_t len;

	if (pfkey_build_error(&c->dump_hdr, ENOENT, kp->tbuf,
	    sizeof(kp->tbuf), &len) != 0)
		return;
	send_copy(c, kp->tbuf, len, false);
	kp->n_out++;
}

/* Produce dump replies while the socket takes them. */
static void
dump_pump(struct conn *c)
{
	struct keyd_pfkey *kp = c->kp;
	const struct sadb_sa *sa;
	struct outmsg *m;
	unsigned int budget = BUDGET;
	uint32_t seq;
	size_t len;
	int error;

	while (c->dumping && !c->dead && c->qhead == NULL && budget-- > 0) {
		error = sadb_dump_next(&c->cur, &sa, &seq);
		if (error == -ENOENT) {
			/* The cursor has ended itself. */
			c->dumping = false;
			if ((m = c->held) != NULL) {
				c->held = NULL;
				held_mark_last(m);
				send_owned(c, m);
				kp->n_out++;
				ctr_bump(kp, &kp->out[PARAPET_SADB_DUMP],
				    "pfkey.out.", "dump");
			} else
				dump_empty(c);
			return;
		}
		if (error != 0 || keyd_core_dump_reply(&kp->core, sa,
		    &c->dump_hdr, seq, kp->tbuf, sizeof(kp->tbuf),
		    &len) != 0) {
			log_rl_warnx(&kp->rl, "pfkey: dump to pid %d: cannot "
			    "build a reply", (int)c->pid);
			dump_stop(c);
			return;
		}
		m = out_new(kp->tbuf, len);
		sodium_memzero(kp->tbuf, len);
		if (m == NULL) {
			dump_stop(c);
			return;
		}
		if (c->held != NULL) {
			send_owned(c, c->held);
			kp->n_out++;
			ctr_bump(kp, &kp->out[PARAPET_SADB_DUMP], "pfkey.out.",
			    "dump");
		}
		c->held = m;
	}
}

/* ---- connections ---- */

static void
handle_closed(uv_handle_t *h)
{
	struct keyd_pfkey *kp = h->data;

	if (--kp->handles == 0 && kp->stopping) {
		sodium_memzero(kp->rbuf, sizeof(kp->rbuf));
		free(kp);
	}
}

static void
conn_closed(uv_handle_t *h)
{
	struct conn *c = container_of(h, struct conn, poll);
	struct keyd_pfkey *kp = c->kp;

	close(c->fd);
	free(c);
	if (--kp->handles == 0 && kp->stopping) {
		sodium_memzero(kp->rbuf, sizeof(kp->rbuf));
		free(kp);
	}
}

static void
conn_close(struct conn *c)
{
	struct keyd_pfkey *kp = c->kp;
	struct outmsg *m;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		kp->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	dump_stop(c);
	while ((m = c->qhead) != NULL) {
		c->qhead = m->next;
		out_free(m);
	}
	c->qtail = NULL;
	c->qn = 0;
	uv_close((uv_handle_t *)&c->poll, conn_closed);
}

static void on_conn(uv_poll_t *, int, int);
static void arm_timer(struct keyd_pfkey *);

/* Wait for what the connection needs now. */
static void
conn_rearm(struct conn *c)
{
	int ev = 0;

	if (c->dead)
		return;
	if (c->qn < QUEUE_PAUSE)
		ev |= UV_READABLE;
	if (c->qhead != NULL || c->dumping)
		ev |= UV_WRITABLE;
	if (ev != c->events) {
		c->events = ev;
		if (uv_poll_start(&c->poll, ev, on_conn) != 0)
			c->dead = true;
	}
}

/* Close what died during this wake-up; re-arm the rest. */
static void
sweep(struct keyd_pfkey *kp)
{
	struct conn *c, *next;

	for (c = kp->conns; c != NULL; c = next) {
		next = c->next;
		if (c->dead) {
			log_debug("pfkey: connection of pid %d closed",
			    (int)c->pid);
			conn_close(c);
		} else
			conn_rearm(c);
	}
}

static void
reject(struct keyd_pfkey *kp, struct conn *c, const struct pfkey_msg *m,
    enum pfkey_reject why, const uint8_t *buf, size_t len)
{
	kp->n_rejects++;
	ctr_bump(kp, &kp->rej[why], "pfkey.reject.", pfkey_reject_str(why));
	log_rl_warnx(&kp->rl, "pfkey: rejected %s from pid %d: %s",
	    pfkey_reject_replyable(why) && m->hdr.type <= PARAPET_SADB_MAX ?
	    type_names[m->hdr.type] : "datagram", (int)c->pid,
	    pfkey_reject_str(why));
	if (!pfkey_reject_replyable(why))
		return;		/* a kernel fails the send() instead */
	promisc_copy(kp, buf, len);
	keyd_core_error(&kp->core, &m->hdr, pfkey_reject_errno(why), deliver,
	    kp);
}

static void
handle_datagram(struct keyd_pfkey *kp, struct conn *c, size_t n)
{
	struct keyd_effect eff;
	enum pfkey_reject why;
	struct pfkey_msg m;

	kp->n_in++;
	if (n > sizeof(kp->rbuf)) {
		/* Cut by recv: MSG_TRUNC told the real size. */
		memset(&m, 0, sizeof(m));
		reject(kp, c, &m, PFKEY_REJECT_MSG_TOO_BIG, NULL, 0);
		return;
	}
	if (pfkey_msg_parse(kp->rbuf, n, &m, &why) != 0) {
		reject(kp, c, &m, why, kp->rbuf, n);
		return;
	}
	ctr_bump(kp, &kp->in[m.hdr.type], "pfkey.in.", type_names[m.hdr.type]);
	promisc_copy(kp, kp->rbuf, n);
	if (m.hdr.type == PARAPET_SADB_DUMP && c->dumping) {
		keyd_core_error(&kp->core, &m.hdr, EBUSY, deliver, kp);
		return;		/* Linux: one dump at a time */
	}
	keyd_core_request(&kp->core, &c->cl, &m, now_ms(kp), deliver, kp,
	    &eff);
	if (eff.dump) {
		c->dumping = true;
		c->dump_hdr = eff.dump_hdr;
		sadb_dump_begin(kp->cfg.db, &c->cur, eff.dump_satype);
	}
}

static void
conn_read(struct keyd_pfkey *kp, struct conn *c)
{
	unsigned int budget = BUDGET;
	ssize_t n;

	while (budget-- > 0 && !c->dead && c->qn < QUEUE_PAUSE) {
		n = recv(c->fd, kp->rbuf, sizeof(kp->rbuf),
		    MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			return;
		}
		if (n == 0) {
			/* EOF (an empty datagram looks the same). */
			c->dead = true;
			return;
		}
		kp->sender = c;
		handle_datagram(kp, c, (size_t)n);
		kp->sender = NULL;
		/* The datagram may hold keys. */
		sodium_memzero(kp->rbuf, (size_t)n < sizeof(kp->rbuf) ?
		    (size_t)n : sizeof(kp->rbuf));
	}
}

static void
on_conn(uv_poll_t *h, int status, int events)
{
	struct conn *c = container_of(h, struct conn, poll);
	struct keyd_pfkey *kp = c->kp;

	if (status < 0)
		c->dead = true;
	if (!c->dead && (events & UV_WRITABLE) != 0) {
		flush_queue(c);
		dump_pump(c);
	}
	if (!c->dead && (events & UV_READABLE) != 0)
		conn_read(kp, c);
	/* A dump may have started: give it its first step. */
	if (!c->dead && c->dumping && c->qhead == NULL)
		dump_pump(c);
	sweep(kp);
	arm_timer(kp);
}

static bool
peer_ok(const struct keyd_pfkey *kp, int fd, const struct ucred *uc)
{
	if (uc->uid == 0)
		return true;
	if (!kp->cfg.have_group)
		return false;
	if (uc->gid == kp->cfg.gid)
		return true;
#ifdef SO_PEERGROUPS
	{
		gid_t g[64];
		socklen_t len = sizeof(g);
		size_t i;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) != 0)
			return false;
		for (i = 0; i < len / sizeof(gid_t); i++)
			if (g[i] == kp->cfg.gid)
				return true;
	}
#else
	(void)fd;
#endif
	return false;
}

static void
conn_new(struct keyd_pfkey *kp, int fd, pid_t pid)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    uv_poll_init(kp->loop, &c->poll, fd) != 0) {
		log_rl_warnx(&kp->rl, "pfkey: no memory for a connection");
		free(c);
		close(fd);
		return;
	}
	kp->handles++;
	c->kp = kp;
	c->fd = fd;
	c->pid = pid;
	c->next = kp->conns;
	if (kp->conns != NULL)
		kp->conns->prev = c;
	kp->conns = c;
	kp->n_conns++;
	conn_rearm(c);
	log_debug("pfkey: connection from pid %d", (int)pid);
}

static void
on_listen(uv_poll_t *h, int status, int events)
{
	struct keyd_pfkey *kp = container_of(h, struct keyd_pfkey, lpoll);
	unsigned int budget = BUDGET;
	struct ucred uc;
	socklen_t len;
	int fd;

	(void)events;
	if (status < 0)
		return;
	while (budget-- > 0) {
		fd = accept4(kp->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_rl_warnx(&kp->rl, "pfkey: accept: %s",
				    strerror(errno));
			break;
		}
		len = sizeof(uc);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
		    len != sizeof(uc) || !peer_ok(kp, fd, &uc)) {
			kp->n_refused++;
			log_rl_warnx(&kp->rl, "pfkey: refused uid %u (pid %d): "
			    "not privileged", (unsigned)uc.uid, (int)uc.pid);
			close(fd);
			continue;
		}
		conn_new(kp, fd, uc.pid);
	}
}

/* ---- lifetimes ---- */

static void
on_event(const struct sa_event *ev, void *arg)
{
	struct keyd_pfkey *kp = arg;

	if (ev->trigger != SA_TRIGGER_LARVAL)
		kp->n_expire++;
	keyd_core_expire(&kp->core, ev, deliver, kp);
}

static void on_timer(uv_timer_t *);

/* One timer, at the SADB's earliest deadline (docs/DESIGN.md §10.6). */
static void
arm_timer(struct keyd_pfkey *kp)
{
	uint64_t when = sadb_next_deadline(kp->cfg.db), now;

	if (kp->stopping)
		return;
	uv_timer_stop(&kp->timer);
	if (when == UINT64_MAX)
		return;
	now = uv_now(kp->loop);
	(void)uv_timer_start(&kp->timer, on_timer, when > now ? when - now : 0,
	    0);
}

static void
on_timer(uv_timer_t *t)
{
	struct keyd_pfkey *kp = t->data;

	kp->sender = NULL;
	(void)sadb_expire(kp->cfg.db, now_ms(kp), on_event, kp);
	sweep(kp);
	arm_timer(kp);
}

/* ---- start, stop ---- */

static int
listen_on(struct keyd_pfkey *kp)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, probe, error;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(kp->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, kp->path, strlen(kp->path));
	/* A live keyd answers; a stale file of a dead one is replaced. */
	if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		return -EADDRINUSE;
	}
	close(probe);
	if (unlink(kp->path) != 0 && errno != ENOENT)
		return -errno;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Never reachable with wider rights than mode, not even briefly. */
	old = umask((mode_t)(0777 & ~kp->cfg.mode));
	error = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ? -errno : 0;
	umask(old);
	if (error == 0 && chmod(kp->path, kp->cfg.mode) != 0)
		error = -errno;
	if (error == 0 && kp->cfg.have_group &&
	    chown(kp->path, (uid_t)-1, kp->cfg.gid) != 0)
		error = -errno;
	if (error == 0 && listen(fd, BACKLOG) != 0)
		error = -errno;
	if (error != 0) {
		close(fd);
		return error;
	}
	kp->lfd = fd;
	return 0;
}

int
keyd_pfkey_start(struct keyd_pfkey **out, uv_loop_t *loop, struct server *srv,
    const struct keyd_pfkey_cfg *cfg)
{
	struct keyd_pfkey *kp;
	int error;

	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return -ENOMEM;
	kp->loop = loop;
	kp->srv = srv;
	kp->cfg = *cfg;
	kp->lfd = -1;
	snprintf(kp->path, sizeof(kp->path), "%s", cfg->path);
	keyd_core_init(&kp->core, cfg->db, rnd, NULL, cfg->have_aes);
	if ((error = listen_on(kp)) != 0) {
		free(kp);
		return error;
	}
	if (uv_poll_init(loop, &kp->lpoll, kp->lfd) != 0) {
		close(kp->lfd);
		unlink(kp->path);
		free(kp);
		return -EIO;
	}
	kp->lpoll.data = kp;
	kp->handles++;
	uv_timer_init(loop, &kp->timer);
	kp->timer.data = kp;
	kp->handles++;
	(void)uv_poll_start(&kp->lpoll, UV_READABLE, on_listen);
	if (server_counter_add(srv, "pfkey.connections", &kp->n_conns) != 0 ||
	    server_counter_add(srv, "pfkey.refused", &kp->n_refused) != 0 ||
	    server_counter_add(srv, "pfkey.in", &kp->n_in) != 0 ||
	    server_counter_add(srv, "pfkey.out", &kp->n_out) != 0 ||
	    server_counter_add(srv, "pfkey.rejects", &kp->n_rejects) != 0 ||
	    server_counter_add(srv, "pfkey.dropped", &kp->n_dropped) != 0 ||
	    server_counter_add(srv, "pfkey.expires", &kp->n_expire) != 0)
		log_warnx("pfkey: cannot register counters");
	log_info("pfkey: listening on %s", kp->path);
	*out = kp;
	return 0;
}

static void
listen_closed(uv_handle_t *h)
{
	struct keyd_pfkey *kp = h->data;

	close(kp->lfd);
	handle_closed(h);
}

void
keyd_pfkey_stop(struct keyd_pfkey *kp)
{
	if (kp == NULL || kp->stopping)
		return;
	kp->stopping = true;
	while (kp->conns != NULL)
		conn_close(kp->conns);
	uv_timer_stop(&kp->timer);
	uv_close((uv_handle_t *)&kp->timer, handle_closed);
	unlink(kp->path);
	uv_close((uv_handle_t *)&kp->lpoll, listen_closed);
}
