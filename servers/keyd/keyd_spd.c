/*
 * keyd_spd.c - keyd's side of the SPD relay (keyd_spd.h).
 *
 *   client --X_SPD*--> keyd_pfkey.c --keyd_spd_relay()--> SpdPfkeyRequest
 *          <--deliver (sender / all)-- SpdPfkeyReply <-- policyd
 *
 *   client --X_SPDDUMP--> SpdDumpRequest(cursor 0, max, msg)
 *          <-- page of messages -- SpdDumpReply(cursor, done)
 *          pump: one message per writable turn of the client's socket;
 *          the page is empty and not done: SpdDumpRequest(cursor, max)
 *
 * Each relayed request is a struct keyd_spd_req with the client's
 * connection (an opaque pointer of keyd_pfkey.c), the request's header
 * (for error replies) and, for a dump, the page being streamed. A
 * connection that closes forgets its request (conn = NULL): ALL messages
 * still go to everyone, the rest is dropped, and a dump's cursor is
 * closed at policyd (max 0). On keyd_spd_destroy() requests still
 * waiting for the bus are orphaned (ks = NULL) and freed by their
 * callback, which the bus client calls with -ECANCELED.
 *
 * Untrusted input: policyd's replies. The bus checked their shape
 * (bus_msg.c); every PF_KEY message in them must pass
 * pfkey_msg_parse_reply() before a client sees it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "bus_msg.h"
#include "keyd_spd.h"
#include "log.h"
#include "pfkey_build.h"

#define T(v)		PARAPET__MSG_TYPE__MSG_##v
#define BODY(Ty, m)	((const Ty *)(const void *)(m)->body)

struct keyd_spd_req {
	struct keyd_spd		*ks;		/* NULL: orphaned */
	struct keyd_spd_req	*next, *prev;
	void			*conn;		/* NULL: the client left */
	struct pfkey_hdr	 hdr;		/* the request's */
	bool			 dump;
	bool			 inflight;	/* a bus request is out */
	bool			 last_page;	/* policyd said done */
	uint64_t		 cursor;
	/* The page being streamed. */
	uint8_t			*pbuf;
	size_t			*poff, *plen;
	size_t			 pn, pi;
};

struct keyd_spd {
	struct bus_client	*bus;
	struct keyd_spd_ops	 ops;
	struct keyd_spd_req	*reqs;
	struct log_rl		 rl;
	uint8_t			 ebuf[sizeof(struct pp_sadb_msg)];
};

bool
keyd_spd_type(uint8_t type)
{
	switch (type) {
	case PARAPET_SADB_X_SPDUPDATE:
	case PARAPET_SADB_X_SPDADD:
	case PARAPET_SADB_X_SPDDELETE:
	case PARAPET_SADB_X_SPDGET:
	case PARAPET_SADB_X_SPDDUMP:
	case PARAPET_SADB_X_SPDFLUSH:
	case PARAPET_SADB_X_SPDSETIDX:
	case PARAPET_SADB_X_SPDDELETE2:
		return true;
	default:
		return false;
	}
}

int
keyd_spd_create(struct keyd_spd **out, struct bus_client *bus,
    const struct keyd_spd_ops *ops)
{
	struct keyd_spd *ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return -ENOMEM;
	ks->bus = bus;
	ks->ops = *ops;
	*out = ks;
	return 0;
}

static void
page_free(struct keyd_spd_req *r)
{
	free(r->pbuf);
	free(r->poff);
	free(r->plen);
	r->pbuf = NULL;
	r->poff = r->plen = NULL;
	r->pn = r->pi = 0;
}

static void
req_unlink(struct keyd_spd_req *r)
{
	struct keyd_spd *ks = r->ks;

	if (ks == NULL)
		return;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		ks->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void
req_free(struct keyd_spd_req *r)
{
	req_unlink(r);
	page_free(r);
	free(r);
}

void
keyd_spd_destroy(struct keyd_spd *ks)
{
	struct keyd_spd_req *r, *n;

	if (ks == NULL)
		return;
	for (r = ks->reqs; r != NULL; r = n) {
		n = r->next;
		r->conn = NULL;
		r->next = r->prev = NULL;
		r->ks = NULL;
		if (!r->inflight)
			req_free(r);
	}
	free(ks);
}

/* The request's header back to its sender with an errno. */
static void
answer_errno(struct keyd_spd *ks, struct keyd_spd_req *r, int error)
{
	size_t len;

	if (r->conn == NULL)
		return;
	if (pfkey_build_error(&r->hdr, error, ks->ebuf, sizeof(ks->ebuf),
	    &len) != 0)
		return;		/* header only: cannot fail */
	ks->ops.deliver(ks->ops.arg, r->conn, false, ks->ebuf, len,
	    r->hdr.type);
}

/* Finished: tell the connection, then free the request. */
static void
finish(struct keyd_spd *ks, struct keyd_spd_req *r)
{
	void *conn = r->conn;

	req_unlink(r);
	r->ks = NULL;		/* nothing in done() may reach it again */
	if (conn != NULL)
		ks->ops.done(ks->ops.arg, conn, r, true);
	req_free(r);
}

/* Deliver one message from policyd if it is a well-formed reply. */
static bool
deliver_checked(struct keyd_spd *ks, struct keyd_spd_req *r, bool all,
    const uint8_t *buf, size_t len)
{
	enum pfkey_reject why;
	struct pfkey_msg m;

	if (pfkey_msg_parse_reply(buf, len, &m, &why) != 0) {
		log_rl_warnx(&ks->rl, "spd: policyd sent a bad %s reply: %s",
		    r->dump ? "dump" : "PF_KEY", pfkey_reject_str(why));
		return false;
	}
	/* ALL reaches the sender too (r->conn, when still there). */
	if (all || r->conn != NULL)
		ks->ops.deliver(ks->ops.arg, r->conn, all, buf, len,
		    m.hdr.type);
	return true;
}

/* Bus failures: policyd is away (not on the bus, timeout, ...). */
static int
bus_errno(int error)
{
	(void)error;
	return EAGAIN;
}

static void
on_pfkey_reply(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct keyd_spd_req *r = arg;
	struct keyd_spd *ks = r->ks;
	const Parapet__SpdPfkeyReply *rep;
	size_t i;

	(void)bc;
	r->inflight = false;
	if (ks == NULL) {
		req_free(r);
		return;
	}
	if (error != 0) {
		log_rl_warnx(&ks->rl, "spd: relay to policyd: %s",
		    strerror(-error));
		answer_errno(ks, r, bus_errno(error));
	} else if ((rep = BODY(Parapet__SpdPfkeyReply, reply))->error != 0)
		answer_errno(ks, r, (int)rep->error);
	else {
		for (i = 0; i < rep->n_out; i++)
			if (!deliver_checked(ks, r, rep->out[i]->dest ==
			    PARAPET__SPD_DEST__SPD_DEST_ALL,
			    rep->out[i]->msg.data, rep->out[i]->msg.len) &&
			    i == 0)
				answer_errno(ks, r, EIO);
	}
	finish(ks, r);
}

/* ---- X_SPDDUMP ---- */

static void on_dump_reply(struct bus_client *, int, const struct bus_msg *,
    void *);

/* Ask for the next page (or, max 0, close the cursor). */
static int
dump_request(struct keyd_spd *ks, struct keyd_spd_req *r, uint32_t max,
    const uint8_t *msg, size_t len)
{
	Parapet__SpdDumpRequest rq;
	int error;

	parapet__spd_dump_request__init(&rq);
	rq.cursor = r->cursor;
	rq.max = max;
	if (msg != NULL) {
		rq.msg.data = deconst_bytes(msg);
		rq.msg.len = len;
	}
	if ((error = bus_request(ks->bus, "policyd", T(SPD_DUMP_REQUEST),
	    &rq.base, KEYD_SPD_TIMEOUT_MS, on_dump_reply, r)) != 0)
		return error;
	r->inflight = true;
	return 0;
}

static int
page_take(struct keyd_spd_req *r, const Parapet__SpdDumpReply *rep)
{
	size_t i, total = 0, at = 0;

	for (i = 0; i < rep->n_msgs; i++)
		total += rep->msgs[i].len;
	if (rep->n_msgs == 0)
		return 0;
	if ((r->pbuf = malloc(total)) == NULL ||
	    (r->poff = calloc(rep->n_msgs, sizeof(*r->poff))) == NULL ||
	    (r->plen = calloc(rep->n_msgs, sizeof(*r->plen))) == NULL) {
		page_free(r);
		return -ENOMEM;
	}
	for (i = 0; i < rep->n_msgs; i++) {
		memcpy(r->pbuf + at, rep->msgs[i].data, rep->msgs[i].len);
		r->poff[i] = at;
		r->plen[i] = rep->msgs[i].len;
		at += rep->msgs[i].len;
	}
	r->pn = rep->n_msgs;
	r->pi = 0;
	return 0;
}

static void
on_dump_reply(struct bus_client *bc, int error, const struct bus_msg *reply,
    void *arg)
{
	struct keyd_spd_req *r = arg;
	struct keyd_spd *ks = r->ks;
	const Parapet__SpdDumpReply *rep;

	(void)bc;
	r->inflight = false;
	if (ks == NULL || r->conn == NULL) {
		/* Orphaned, or the client left: close policyd's cursor. */
		if (ks != NULL && error == 0 &&
		    !BODY(Parapet__SpdDumpReply, reply)->done &&
		    BODY(Parapet__SpdDumpReply, reply)->cursor != 0) {
			r->cursor = BODY(Parapet__SpdDumpReply, reply)->cursor;
			if (dump_request(ks, r, 0, NULL, 0) == 0)
				return;
		}
		req_free(r);
		return;
	}
	if (error != 0) {
		log_rl_warnx(&ks->rl, "spd: dump from policyd: %s",
		    strerror(-error));
		answer_errno(ks, r, bus_errno(error));
		finish(ks, r);
		return;
	}
	rep = BODY(Parapet__SpdDumpReply, reply);
	if (rep->error != 0) {
		/* ENOENT: empty; ESTALE: policyd restarted mid-dump. */
		answer_errno(ks, r, (int)rep->error);
		finish(ks, r);
		return;
	}
	if (page_take(r, rep) != 0) {
		answer_errno(ks, r, ENOMEM);
		finish(ks, r);
		return;
	}
	r->cursor = rep->cursor;
	r->last_page = rep->done;
	keyd_spd_pump(ks, r);
}

bool
keyd_spd_ready(const struct keyd_spd_req *r)
{
	return r != NULL && r->pi < r->pn;
}

void
keyd_spd_pump(struct keyd_spd *ks, struct keyd_spd_req *r)
{
	unsigned int budget = KEYD_SPD_BUDGET;
	int error;

	if (r == NULL || !r->dump || r->conn == NULL || r->inflight)
		return;
	while (r->pi < r->pn && budget-- > 0 &&
	    ks->ops.writable(ks->ops.arg, r->conn)) {
		(void)deliver_checked(ks, r, false, r->pbuf + r->poff[r->pi],
		    r->plen[r->pi]);
		r->pi++;
	}
	if (r->pi < r->pn) {
		/* The socket is full: wait for it to drain. */
		ks->ops.done(ks->ops.arg, r->conn, r, false);
		return;
	}
	page_free(r);
	if (r->last_page) {
		finish(ks, r);
		return;
	}
	if ((error = dump_request(ks, r, KEYD_SPD_PAGE, NULL, 0)) != 0) {
		log_rl_warnx(&ks->rl, "spd: dump page request: %s",
		    strerror(-error));
		answer_errno(ks, r, bus_errno(error));
		finish(ks, r);
	}
}

/* ---- relay ---- */

int
keyd_spd_relay(struct keyd_spd *ks, void *conn, const struct pfkey_msg *m,
    const uint8_t *buf, size_t len, struct keyd_spd_req **reqp)
{
	Parapet__SpdPfkeyRequest rq;
	struct keyd_spd_req *r;
	int error;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENOMEM;
	r->ks = ks;
	r->conn = conn;
	r->hdr = m->hdr;
	r->dump = m->hdr.type == PARAPET_SADB_X_SPDDUMP;
	if (r->dump)
		error = dump_request(ks, r, KEYD_SPD_PAGE, buf, len);
	else {
		parapet__spd_pfkey_request__init(&rq);
		rq.msg.data = deconst_bytes(buf);
		rq.msg.len = len;
		error = bus_request(ks->bus, "policyd", T(SPD_PFKEY_REQUEST),
		    &rq.base, KEYD_SPD_TIMEOUT_MS, on_pfkey_reply, r);
		r->inflight = error == 0;
	}
	if (error != 0) {
		log_rl_warnx(&ks->rl, "spd: cannot relay to policyd: %s",
		    strerror(-error));
		free(r);
		return bus_errno(error);
	}
	r->next = ks->reqs;
	if (ks->reqs != NULL)
		ks->reqs->prev = r;
	ks->reqs = r;
	*reqp = r;
	return 0;
}

void
keyd_spd_forget(struct keyd_spd *ks, struct keyd_spd_req *r)
{
	(void)ks;
	if (r == NULL)
		return;
	r->conn = NULL;
	if (r->inflight)
		return;		/* its callback finishes it */
	if (r->dump && r->cursor != 0 && !r->last_page && r->ks != NULL &&
	    dump_request(r->ks, r, 0, NULL, 0) == 0) {
		page_free(r);
		return;
	}
	req_free(r);
}
