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
 * Batching (system calls dominate, DESIGN §10.24): a readable
 * connection is read with recvmmsg(), up to RBATCH datagrams per call;
 * while they are handled every message (replies, broadcasts) is queued,
 * not sent, and at the end of the batch each connection's queue goes out
 * with sendmmsg(), up to SBATCH messages per call. Order per socket is
 * the order of the requests, as before. Datagrams read but not to be
 * handled yet (an X_SPD* request went to policyd, the queue is over
 * QUEUE_PAUSE) wait in the connection's input backlog, handled before
 * the socket is read again.
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
#include "keyd_spd.h"
#include "listen.h"
#include "log.h"
#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "preload/pfkey_sync.h"
#include "server.h"

#define BUDGET		64	/* datagrams or dump replies per wake-up */
#define QUEUE_PAUSE	256	/* stop reading a client above this */
#define QUEUE_MAX	4096	/* drop broadcasts to a client above this */
#define BACKLOG		64
#define RBATCH		32	/* datagrams per recvmmsg() */
#define SBATCH		64	/* messages per sendmmsg() */

struct outmsg {
	struct outmsg	*next;
	size_t		 len;
	uint8_t		 data[];
};

/* A datagram read and not handled yet: n as received, len kept. */
struct inmsg {
	struct inmsg	*next;
	size_t		 n;
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
	struct inmsg		*inhead;	/* read, not yet handled */
	struct inmsg		*intail;
	/* DUMP in progress. */
	bool			 dumping;
	struct sadb_cursor	 cur;
	struct pfkey_hdr	 dump_hdr;
	struct outmsg		*held;		/* the reply held back */
	/* Sync mode for the preload library (block "sync mode" below). */
	struct conn		*sync_peer;	/* main <-> side channel */
	uint8_t			 sync_role;	/* SYNC_NONE, SYNC_MAIN, SYNC_SIDE */
	uint8_t			 sync_err;	/* header refused: send()'s errno */
	bool			 sync_held;	/* a handler took the MARK over */
	bool			 sync_dump;	/* sync_dump_mark waits for the end */
	uint8_t			 sync_cookie[PFKEY_SYNC_COOKIE_LEN];
	uint8_t			 sync_cur[PFKEY_SYNC_LEN];	/* this datagram's */
	uint8_t			 sync_dump_mark[PFKEY_SYNC_LEN];
	/* X_SPD* with policyd (block "SPD relay" below): a request, and
	 * an X_SPDDUMP, each with the sync MARK it owes. */
	struct keyd_spd_req	*spd;
	bool			 spd_mark_set;
	uint8_t			 spd_mark[PFKEY_SYNC_LEN];
	struct keyd_spd_req	*spd_dump;
	bool			 spd_dump_mark_set;
	uint8_t			 spd_dump_mark[PFKEY_SYNC_LEN];
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
	bool			 defer;		/* queue, do not send (batch) */
	struct keyd_core	 core;
	struct keyd_spd		*spd;		/* the SPD relay */
	struct log_rl		 rl;
	/* Counters. */
	uint64_t		 n_conns;
	uint64_t		 n_refused;
	uint64_t		 n_rejects;
	uint64_t		 n_dropped;
	uint64_t		 n_in;
	uint64_t		 n_out;
	uint64_t		 n_expire;
	uint64_t		 n_backlog;	/* datagrams kept to handle later */
	uint64_t		 n_batches;	/* recvmmsg() batches of > 1 */
	struct ctr		 in[PARAPET_SADB_MAX + 1];
	struct ctr		 out[PARAPET_SADB_MAX + 1];
	struct ctr		 rej[PFKEY_REJECT_COUNT];
	uint8_t			*rbuf;		/* the datagram being handled */
	uint8_t			 tbuf[PFKEY_MSG_MAX_BYTES];
	/* recvmmsg() slots; a datagram is at most PFKEY_MSG_MAX_BYTES. */
	struct mmsghdr		 rmsg[RBATCH];
	struct iovec		 riov[RBATCH];
	uint8_t			 rslot[RBATCH][PFKEY_MSG_MAX_BYTES];
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

static void	backlog_free(struct conn *);

/* Sync mode for the preload library (block "sync mode" below). */
enum { SYNC_NONE, SYNC_MAIN, SYNC_SIDE };
static bool	sync_is_placeholder(const struct conn *,
		    const struct outmsg *);
static bool	sync_placeholder(struct conn *, const struct outmsg *);
static void	sync_unlink(struct conn *);
static void	sync_reject(struct conn *, enum pfkey_reject);

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
	if (!c->kp->defer && c->qhead == NULL &&
	    try_send(c, m->data, m->len) != 0) {
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
	if (!c->kp->defer && c->qhead == NULL && try_send(c, buf, len) != 0)
		return;
	if ((droppable && c->qn >= QUEUE_MAX) ||
	    (m = out_new(buf, len)) == NULL) {
		c->kp->n_dropped++;
		return;
	}
	enqueue(c, m);
}

static void
dequeue(struct conn *c)
{
	struct outmsg *m = c->qhead;

	c->qhead = m->next;
	if (c->qhead == NULL)
		c->qtail = NULL;
	c->qn--;
	out_free(m);
}

/*
 * sendmmsg() of the queue's first messages, up to SBATCH, stopping
 * before a MARK placeholder; how many went (0: would block or broken).
 */
static size_t
send_batch(struct conn *c)
{
	struct mmsghdr v[SBATCH];
	struct iovec iov[SBATCH];
	struct outmsg *m;
	unsigned int k = 0;
	int n;

	memset(v, 0, sizeof(v));
	for (m = c->qhead; m != NULL && k < SBATCH &&
	    !sync_is_placeholder(c, m); m = m->next, k++) {
		iov[k].iov_base = m->data;
		iov[k].iov_len = m->len;
		v[k].msg_hdr.msg_iov = &iov[k];
		v[k].msg_hdr.msg_iovlen = 1;
	}
	do
		n = sendmmsg(c->fd, v, k, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (size_t)n;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
		c->dead = true;
	return 0;
}

/* Send what the socket takes, in order, MARKs to the side channel. */
static void
flush_queue(struct conn *c)
{
	size_t n, k;

	while (c->qhead != NULL && !c->dead) {
		if (sync_placeholder(c, c->qhead)) {
			dequeue(c);
			continue;
		}
		if ((n = send_batch(c)) == 0)
			return;
		for (k = 0; k < n; k++)
			dequeue(c);
	}
}

/*
 * The end of a batch of sender's requests: every connection's queue, as
 * far as it goes, in the order a kernel delivers (Linux
 * pfkey_broadcast(), deliver() above): the other sockets first, then
 * the sender, then the preload library's side channels, so that a MARK
 * (the sync library's "send() returns now") goes after every copy of
 * its request's messages, and a sender that has its reply finds the
 * broadcasts to the other sockets already there. MARKs met meanwhile
 * wait in their side channel's queue (defer).
 */
static int
flush_rank(const struct conn *c, const struct conn *sender)
{
	if (c->sync_role == SYNC_SIDE)
		return 2;
	return c == sender ? 1 : 0;
}

static void
flush_all(struct keyd_pfkey *kp, struct conn *sender)
{
	bool defer = kp->defer;
	struct conn *c;
	int pass;

	kp->defer = true;
	for (pass = 0; pass < 3; pass++)
		for (c = kp->conns; c != NULL; c = c->next)
			if (c->qhead != NULL && !c->dead &&
			    flush_rank(c, sender) == pass)
				flush_queue(c);
	kp->defer = defer;
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
		if (c->sync_role == SYNC_SIDE)
			continue;	/* marks only */
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
		sodium_memzero(kp->rslot, sizeof(kp->rslot));
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
		sodium_memzero(kp->rslot, sizeof(kp->rslot));
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
	sync_unlink(c);
	keyd_spd_forget(kp->spd, c->spd);
	keyd_spd_forget(kp->spd, c->spd_dump);
	c->spd = c->spd_dump = NULL;
	while ((m = c->qhead) != NULL) {
		c->qhead = m->next;
		out_free(m);
	}
	c->qtail = NULL;
	c->qn = 0;
	backlog_free(c);
	uv_close((uv_handle_t *)&c->poll, conn_closed);
}

static void on_conn(uv_poll_t *, int, int);
static void arm_timer(struct keyd_pfkey *);

/* May c's datagrams be handled now? */
static bool
conn_can_read(const struct conn *c)
{
	return !c->dead && c->qn < QUEUE_PAUSE && c->spd == NULL;
}

/* Wait for what the connection needs now. */
static void
conn_rearm(struct conn *c)
{
	int ev = 0;

	if (c->dead)
		return;
	if (conn_can_read(c))
		ev |= UV_READABLE;
	/* A backlog to handle: wake up at once (the socket is writable). */
	if (c->qhead != NULL || c->dumping || keyd_spd_ready(c->spd_dump) ||
	    (c->inhead != NULL && conn_can_read(c)))
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
	sync_reject(c, why);
	if (!pfkey_reject_replyable(why))
		return;		/* a kernel fails the send() instead */
	if (buf != NULL)	/* NULL: too big, not kept */
		promisc_copy(kp, buf, len);
	keyd_core_error(&kp->core, &m->hdr, pfkey_reject_errno(why), deliver,
	    kp);
}

static bool	spd_relay(struct keyd_pfkey *, struct conn *,
		    const struct pfkey_msg *, size_t);

static void
handle_datagram(struct keyd_pfkey *kp, struct conn *c, size_t n)
{
	struct keyd_effect eff;
	enum pfkey_reject why;
	struct pfkey_msg m;

	kp->n_in++;
	if (n > PFKEY_MSG_MAX_BYTES) {
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
	if ((m.hdr.type == PARAPET_SADB_DUMP ||
	    m.hdr.type == PARAPET_SADB_X_SPDDUMP) &&
	    (c->dumping || c->spd_dump != NULL)) {
		keyd_core_error(&kp->core, &m.hdr, EBUSY, deliver, kp);
		return;		/* Linux: one dump at a time */
	}
	if (spd_relay(kp, c, &m, n))
		return;		/* policyd's (block "SPD relay") */
	keyd_core_request(&kp->core, &c->cl, &m, now_ms(kp), deliver, kp,
	    &eff);
	if (eff.dump) {
		c->dumping = true;
		c->dump_hdr = eff.dump_hdr;
		sadb_dump_begin(kp->cfg.db, &c->cur, eff.dump_satype);
	}
}

/*
 * ---- sync mode ----
 *
 * For the preload library (libclient/preload/pfkey_sync.h): a client's
 * main connection, paired by a cookie with its side channel, gets one
 * MARK on the side channel per datagram handled, after the last reply
 * to that datagram went into main's socket: at once when main's queue
 * is empty, else as a placeholder in main's queue (flush_queue() sends
 * it on when it reaches the head). A DUMP's MARK waits for the dump's
 * end. A handler that answers later (the SPD relay) sets c->sync_held
 * while handling, keeps a copy of c->sync_cur and passes it to
 * sync_emit(c, copy) after its last reply to c. Connections that never
 * say HELLO see nothing of this.
 */

static bool
sync_is_hello(const uint8_t *buf, size_t n)
{
	return n == PFKEY_SYNC_LEN && buf[0] == PFKEY_SYNC_VERSION &&
	    (buf[1] == PFKEY_SYNC_HELLO || buf[1] == PFKEY_SYNC_SIDE) &&
	    memcmp(buf + PFKEY_SYNC_MAGIC_OFF, PFKEY_SYNC_MAGIC,
	    sizeof(PFKEY_SYNC_MAGIC)) == 0;
}

/* The MARK of the datagram buf (n octets as received, maybe cut). */
static void
sync_mark_build(uint8_t *mark, const uint8_t *buf, size_t n)
{
	uint16_t words = PFKEY_SYNC_WORDS;

	memset(mark, 0, PFKEY_SYNC_LEN);
	mark[0] = PFKEY_SYNC_VERSION;
	mark[1] = PFKEY_SYNC_MARK;
	memcpy(mark + 4, &words, sizeof(words));
	memcpy(mark + 8, PFKEY_SYNC_MARK_MAGIC, sizeof(PFKEY_SYNC_MARK_MAGIC));
	memcpy(mark + PFKEY_SYNC_ECHO_OFF, buf,
	    n < PFKEY_SYNC_ECHO_LEN ? n : PFKEY_SYNC_ECHO_LEN);
}

/* A MARK to c's side channel, after everything queued for c. */
static void
sync_emit(struct conn *c, const uint8_t *mark)
{
	struct outmsg *m;

	if (c->sync_peer == NULL || c->dead)
		return;
	if (c->qhead == NULL) {
		send_copy(c->sync_peer, mark, PFKEY_SYNC_LEN, false);
		return;
	}
	if ((m = out_new(mark, PFKEY_SYNC_LEN)) == NULL) {
		c->kp->n_dropped++;
		return;
	}
	enqueue(c, m);
}

/*
 * flush_queue(): true if m is a MARK's placeholder (nothing keyd sends
 * a client starts with version 0xff), now sent on the side channel.
 */
static bool
sync_is_placeholder(const struct conn *c, const struct outmsg *m)
{
	return c->sync_role == SYNC_MAIN && m->len == PFKEY_SYNC_LEN &&
	    m->data[0] == PFKEY_SYNC_VERSION;
}

static bool
sync_placeholder(struct conn *c, const struct outmsg *m)
{
	if (!sync_is_placeholder(c, m))
		return false;
	if (c->sync_peer != NULL)
		send_copy(c->sync_peer, m->data, m->len, false);
	return true;
}

static void
sync_unlink(struct conn *c)
{
	if (c->sync_peer != NULL)
		c->sync_peer->sync_peer = NULL;
	c->sync_peer = NULL;
}

/* A refused header has no reply: the MARK carries the send() errno. */
static void
sync_reject(struct conn *c, enum pfkey_reject why)
{
	if (!pfkey_reject_replyable(why))
		c->sync_err = (uint8_t)pfkey_reject_errno(why);
}

/* SIDE: c is a side channel; HELLO: pair c with the side channel. */
static void
sync_hello(struct keyd_pfkey *kp, struct conn *c, const uint8_t *buf)
{
	const uint8_t *cookie = buf + PFKEY_SYNC_COOKIE_OFF;
	uint8_t mark[PFKEY_SYNC_LEN];
	struct conn *s;

	if (c->sync_role != SYNC_NONE)
		return;
	sync_mark_build(mark, buf, PFKEY_SYNC_LEN);
	if (buf[1] == PFKEY_SYNC_SIDE) {
		c->sync_role = SYNC_SIDE;
		memcpy(c->sync_cookie, cookie, PFKEY_SYNC_COOKIE_LEN);
		send_copy(c, mark, sizeof(mark), false);
		return;
	}
	for (s = kp->conns; s != NULL; s = s->next)
		if (s->sync_role == SYNC_SIDE && s->sync_peer == NULL &&
		    !s->dead && s->pid == c->pid && memcmp(s->sync_cookie,
		    cookie, PFKEY_SYNC_COOKIE_LEN) == 0)
			break;
	if (s == NULL) {
		log_rl_warnx(&kp->rl, "pfkey: sync hello from pid %d names "
		    "no side channel", (int)c->pid);
		return;
	}
	c->sync_role = SYNC_MAIN;
	c->sync_peer = s;
	s->sync_peer = c;
	sync_emit(c, mark);
}

/* conn_read(): handle one datagram, then its MARK in sync mode. */
static void
sync_datagram(struct keyd_pfkey *kp, struct conn *c, size_t n)
{
	bool dumping = c->dumping;

	if (sync_is_hello(kp->rbuf, n)) {
		sync_hello(kp, c, kp->rbuf);
		return;
	}
	c->sync_err = 0;
	c->sync_held = false;
	if (c->sync_role == SYNC_MAIN)
		sync_mark_build(c->sync_cur, kp->rbuf, n);
	handle_datagram(kp, c, n);
	if (c->sync_role != SYNC_MAIN || c->sync_held)
		return;
	c->sync_cur[2] = c->sync_err;
	if (!dumping && c->dumping) {
		memcpy(c->sync_dump_mark, c->sync_cur, PFKEY_SYNC_LEN);
		c->sync_dump = true;
	} else
		sync_emit(c, c->sync_cur);
}

/* on_conn(): a dump that ended (or stopped) sends its MARK now. */
static void
sync_dump_done(struct conn *c)
{
	if (!c->sync_dump || c->dumping)
		return;
	c->sync_dump = false;
	sync_emit(c, c->sync_dump_mark);
}

/*
 * ---- SPD relay ----
 *
 * X_SPD* messages are policyd's (keyd_spd.h): relayed over the bus, the
 * answers delivered here with the usual rules. While a connection's
 * request is with policyd the connection is not read (its replies keep
 * their order); an X_SPDDUMP does not stop reading (as DUMP: requests
 * are served between its messages). In sync mode each MARK waits for
 * its answer, a dump's for the dump's end.
 */

static void
spd_deliver(void *arg, void *conn, bool all, const uint8_t *buf, size_t len,
    uint8_t type)
{
	struct keyd_pfkey *kp = arg;
	struct keyd_out o = { all ? KEYD_DEST_ALL : KEYD_DEST_ONE, 0, type,
	    buf, len };
	struct conn *saved = kp->sender;

	kp->sender = conn;
	deliver(&o, kp);
	kp->sender = saved;
}

static bool
spd_writable(void *arg, void *conn)
{
	struct conn *c = conn;

	(void)arg;
	return !c->dead && c->qhead == NULL;
}

static void
spd_done(void *arg, void *conn, const struct keyd_spd_req *req,
    bool finished)
{
	struct keyd_pfkey *kp = arg;
	struct conn *c = conn;

	if (finished && req == c->spd) {
		c->spd = NULL;
		if (c->spd_mark_set) {
			c->spd_mark_set = false;
			sync_emit(c, c->spd_mark);
		}
	} else if (finished && req == c->spd_dump) {
		c->spd_dump = NULL;
		if (c->spd_dump_mark_set) {
			c->spd_dump_mark_set = false;
			sync_emit(c, c->spd_dump_mark);
		}
	}
	sweep(kp);
}

static bool
spd_relay(struct keyd_pfkey *kp, struct conn *c, const struct pfkey_msg *m,
    size_t n)
{
	bool dump = m->hdr.type == PARAPET_SADB_X_SPDDUMP;
	int error = EAGAIN;

	if (!keyd_spd_type(m->hdr.type))
		return false;
	if (kp->spd == NULL || (error = keyd_spd_relay(kp->spd, c, m,
	    kp->rbuf, n, dump ? &c->spd_dump : &c->spd)) != 0) {
		keyd_core_error(&kp->core, &m->hdr, error, deliver, kp);
		return true;
	}
	if (c->sync_role == SYNC_MAIN) {
		c->sync_held = true;
		memcpy(dump ? c->spd_dump_mark : c->spd_mark, c->sync_cur,
		    PFKEY_SYNC_LEN);
		if (dump)
			c->spd_dump_mark_set = true;
		else
			c->spd_mark_set = true;
	}
	return true;
}

/* ---- reading ---- */

/* Tell the bus side a batch begins or ends (one frame of SA changes). */
static void
batch_mark(struct keyd_pfkey *kp, bool begin)
{
	if (kp->core.hooks.batch != NULL)
		kp->core.hooks.batch(begin, kp->core.hooks.arg);
}

static void
backlog_free(struct conn *c)
{
	struct inmsg *m;

	while ((m = c->inhead) != NULL) {
		c->inhead = m->next;
		sodium_memzero(m->data, m->len);
		free(m);
	}
	c->intail = NULL;
}

/* Keep a datagram read too early (maybe cut: n > len). */
static void
backlog_add(struct keyd_pfkey *kp, struct conn *c, const uint8_t *buf,
    size_t n)
{
	size_t len = n < PFKEY_MSG_MAX_BYTES ? n : PFKEY_MSG_MAX_BYTES;
	struct inmsg *m;

	if ((m = malloc(sizeof(*m) + len)) == NULL) {
		/* As a kernel short of memory: the datagram is lost. */
		log_rl_warnx(&kp->rl, "pfkey: no memory: a datagram of pid "
		    "%d is lost", (int)c->pid);
		return;
	}
	m->next = NULL;
	m->n = n;
	m->len = len;
	memcpy(m->data, buf, len);
	kp->n_backlog++;
	if (c->intail != NULL)
		c->intail->next = m;
	else
		c->inhead = m;
	c->intail = m;
}

/* Handle one datagram (n octets as received, maybe cut) at buf. */
static void
conn_datagram(struct keyd_pfkey *kp, struct conn *c, uint8_t *buf, size_t n)
{
	kp->rbuf = buf;
	kp->sender = c;
	sync_datagram(kp, c, n);
	kp->sender = NULL;
	kp->rbuf = NULL;
	/* The datagram may hold keys. */
	sodium_memzero(buf, n < PFKEY_MSG_MAX_BYTES ? n : PFKEY_MSG_MAX_BYTES);
}

/* The backlog first, in order, while c may be read. */
static void
backlog_run(struct keyd_pfkey *kp, struct conn *c, unsigned int *budget)
{
	struct inmsg *m;

	while ((m = c->inhead) != NULL && *budget > 0 && conn_can_read(c)) {
		c->inhead = m->next;
		if (c->inhead == NULL)
			c->intail = NULL;
		conn_datagram(kp, c, m->data, m->n);
		free(m);	/* wiped by conn_datagram() */
		(*budget)--;
	}
	if (c->dead)
		backlog_free(c);
}

/* recvmmsg() of up to want datagrams into the slots: how many (0: none). */
static unsigned int
recv_batch(struct keyd_pfkey *kp, struct conn *c, unsigned int want)
{
	int n;

	do
		n = recvmmsg(c->fd, kp->rmsg, want, MSG_DONTWAIT | MSG_TRUNC,
		    NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			c->dead = true;
		return 0;
	}
	return (unsigned int)n;
}

/* Handle the n datagrams in the slots, keeping those not to handle yet. */
static void
batch_run(struct keyd_pfkey *kp, struct conn *c, unsigned int n)
{
	unsigned int i;
	size_t len;

	for (i = 0; i < n && !c->dead; i++) {
		len = kp->rmsg[i].msg_len;
		if (len == 0) {
			/* EOF (an empty datagram looks the same). */
			c->dead = true;
			break;
		}
		if (c->inhead == NULL && conn_can_read(c))
			conn_datagram(kp, c, kp->rslot[i], len);
		else {
			backlog_add(kp, c, kp->rslot[i], len);
			sodium_memzero(kp->rslot[i],
			    len < PFKEY_MSG_MAX_BYTES ? len :
			    PFKEY_MSG_MAX_BYTES);
		}
	}
	/* What came after an EOF or a broken connection. */
	for (; i < n; i++)
		sodium_memzero(kp->rslot[i], PFKEY_MSG_MAX_BYTES <
		    kp->rmsg[i].msg_len ? PFKEY_MSG_MAX_BYTES :
		    kp->rmsg[i].msg_len);
	if (c->dead)
		backlog_free(c);
}

/*
 * Read and handle up to BUDGET datagrams, replies queued (kp->defer)
 * and sent per batch with sendmmsg(). A short batch means the socket
 * is empty: no further recvmmsg() that would find nothing.
 */
static void
conn_read(struct keyd_pfkey *kp, struct conn *c)
{
	unsigned int budget = BUDGET, want, n;

	kp->defer = true;
	batch_mark(kp, true);
	backlog_run(kp, c, &budget);
	while (budget > 0 && c->inhead == NULL && conn_can_read(c)) {
		want = budget < RBATCH ? budget : RBATCH;
		if ((n = recv_batch(kp, c, want)) == 0)
			break;
		if (n > 1)
			kp->n_batches++;
		batch_run(kp, c, n);
		budget -= n;
		flush_all(kp, c);
		if (n < want)
			break;
	}
	kp->defer = false;
	flush_all(kp, c);
	batch_mark(kp, false);
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
		keyd_spd_pump(kp->spd, c->spd_dump);
	}
	if (!c->dead && ((events & UV_READABLE) != 0 || c->inhead != NULL))
		conn_read(kp, c);
	/* A dump may have started: give it its first step. */
	if (!c->dead && c->dumping && c->qhead == NULL)
		dump_pump(c);
	if (!c->dead)
		sync_dump_done(c);
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
	int fd;

	(void)events;
	if (status < 0)
		return;
	while (budget-- > 0) {
		if ((fd = listen_accept(kp->lfd, &uc)) < 0) {
			if (fd == -EPROTO) {
				kp->n_refused++;	/* no credentials */
				continue;
			}
			if (fd != -EAGAIN)
				log_rl_warnx(&kp->rl, "pfkey: accept: %s",
				    strerror(-fd));
			break;
		}
		if (!peer_ok(kp, fd, &uc)) {
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
	batch_mark(kp, true);
	(void)sadb_expire(kp->cfg.db, now_ms(kp), on_event, kp);
	batch_mark(kp, false);
	sweep(kp);
	arm_timer(kp);
}

/* ---- start, stop ---- */

static int
listen_on(struct keyd_pfkey *kp)
{
	int fd = listen_seqpacket(kp->path, kp->cfg.mode,
	    kp->cfg.have_group ? kp->cfg.gid : (gid_t)-1, BACKLOG);

	if (fd < 0)
		return fd;
	kp->lfd = fd;
	return 0;
}

int
keyd_pfkey_start(struct keyd_pfkey **out, uv_loop_t *loop, struct server *srv,
    const struct keyd_pfkey_cfg *cfg)
{
	struct keyd_pfkey *kp;
	size_t i;
	int error;

	if ((kp = calloc(1, sizeof(*kp))) == NULL)
		return -ENOMEM;
	kp->loop = loop;
	kp->srv = srv;
	kp->cfg = *cfg;
	kp->lfd = -1;
	for (i = 0; i < RBATCH; i++) {
		kp->riov[i].iov_base = kp->rslot[i];
		kp->riov[i].iov_len = sizeof(kp->rslot[i]);
		kp->rmsg[i].msg_hdr.msg_iov = &kp->riov[i];
		kp->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	snprintf(kp->path, sizeof(kp->path), "%s", cfg->path);
	keyd_core_init(&kp->core, cfg->db, rnd, NULL, cfg->have_aes);
#ifdef PARAPET_CRYPTO_OPENSSL
	/* ipsecd has OpenSSL libcrypto: RFC 8221 (DESIGN §10.23). */
	kp->core.have_libcrypto = true;
#endif
	kp->core.acq = cfg->acq;
	kp->core.hooks = cfg->hooks;
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
	    server_counter_add(srv, "pfkey.expires", &kp->n_expire) != 0 ||
	    server_counter_add(srv, "pfkey.backlog", &kp->n_backlog) != 0 ||
	    server_counter_add(srv, "pfkey.batches", &kp->n_batches) != 0)
		log_warnx("pfkey: cannot register counters");
	{
		/* The SPD relay; without it X_SPD* answer EAGAIN. */
		struct keyd_spd_ops ops = { spd_deliver, spd_writable,
		    spd_done, kp };

		if (keyd_spd_create(&kp->spd, server_bus(srv), &ops) != 0)
			log_warnx("pfkey: no memory for the SPD relay");
	}
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
	keyd_spd_destroy(kp->spd);
	kp->spd = NULL;
	uv_timer_stop(&kp->timer);
	uv_close((uv_handle_t *)&kp->timer, handle_closed);
	unlink(kp->path);
	uv_close((uv_handle_t *)&kp->lpoll, listen_closed);
}

/* ---- for keyd_bus.c ---- */

int
keyd_pfkey_acquire(struct keyd_pfkey *kp, const struct acquire *a,
    size_t *recipients)
{
	struct conn *c;
	size_t n = 0;
	int error;

	*recipients = 0;
	if (kp->stopping)
		return -ESHUTDOWN;
	for (c = kp->conns; c != NULL; c = c->next)
		if (!c->dead && registered_for(c, a->satype))
			n++;
	kp->sender = NULL;
	if ((error = keyd_core_acquire(&kp->core, a, deliver, kp)) != 0)
		return error;
	sweep(kp);
	*recipients = n;
	return 0;
}

int
keyd_pfkey_use(struct keyd_pfkey *kp, struct sadb_sa *sa, uint64_t bytes,
    uint32_t allocations, uint64_t use_ms, enum sa_state *state_out)
{
	int error;

	kp->sender = NULL;
	error = sadb_use(kp->cfg.db, sa, bytes, allocations, use_ms, on_event,
	    kp, state_out);
	sweep(kp);
	arm_timer(kp);
	return error;
}

uint64_t
keyd_pfkey_now(struct keyd_pfkey *kp, int64_t *wall_offset_ms)
{
	uint64_t now = now_ms(kp);

	*wall_offset_ms = kp->core.wall_offset_ms;
	return now;
}
