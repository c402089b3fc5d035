/*
 * keyd_bus.c - keyd's side of the bus contract with ipsecd (keyd_bus.h,
 * proto/keyd.proto).
 *
 *   SADB change (pfkey_dispatch.c hooks) --> SaChangeEvent  --> topic "sa"
 *     (within a batch of the shell: kept, then SaChangeBatchEvent, one
 *     frame for the batch; a batch of one change is a SaChangeEvent)
 *   acquire ended (hooks, timer)         --> AcquireDoneEvent --> "sa"
 *   SaSyncRequest  --> a sadb_cursor walk, one page per request
 *   SaUsageRequest --> sadb_lookup() + generation check --> keyd_pfkey_use()
 *                      (sadb_use(): EXPIREs to PF_KEY, events to "sa")
 *   AcquireRequest --> sadb_select() (usable SA already?) --> acquire_start()
 *                      --> keyd_pfkey_acquire() (SADB_ACQUIRE, REGISTERED)
 *
 * Keys: SaChangeEvent (INSTALL, UPDATE) and SaSyncReply carry them. The
 * protobuf structs here only borrow the SADB's key memory; packing copies
 * them into the bus client's frame buffer. XXX: common/bus_conn.c frees
 * written frames without wiping them; the socket is root-only (0600).
 *
 * Untrusted input: request bodies (validated by common/bus_msg.c).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus_msg.h"
#include "keyd_bus.h"
#include "log.h"
#include "server.h"
#include "util.h"

#define T(v)		PARAPET__MSG_TYPE__MSG_##v
#define HAS(v, e)	(((v)->present & (UINT32_C(1) << (e))) != 0)

/*
 * sadb_sa_flags bit for extended sequence numbers: FreeBSD's
 * SADB_X_SAFLAGS_ESN (setkey -f esn). Linux defines no ESN flag for
 * PF_KEY (only XFRM_STATE_ESN over netlink) and leaves 0x400 unused.
 */
#define KEYD_SAFLAGS_ESN	0x400u

/*
 * SA changes of one batch, kept until its end (or BATCH_MAX): one frame
 * instead of one per change. Each keeps a copy of its keys (the SADB's
 * may go before the batch ends); keys longer than KEY_MAX (none pass
 * the dispatcher) make the change go alone, at once.
 */
#define BATCH_MAX	64		/* <= BUS_SA_CHANGE_BATCH_MAX */
#define KEY_MAX		64

/* One Sa and the storage its pointers need. */
struct sa_box {
	Parapet__Sa		sa;
	Parapet__SaAddr		src;
	Parapet__SaAddr		dst;
	Parapet__SaAddr		oa;
	Parapet__SaLimits	hard;
	Parapet__SaLimits	soft;
	uint8_t			src_b[16];
	uint8_t			dst_b[16];
	uint8_t			oa_b[16];
};

/* One change kept for the batch's frame. */
struct ev_box {
	Parapet__SaChangeEvent	ev;
	struct sa_box		b;
	uint8_t			akey[KEY_MAX];
	uint8_t			ekey[KEY_MAX];
};

struct sync_walk {
	uint64_t		id;		/* 0: slot free */
	uint64_t		last_ms;
	struct sadb_cursor	cur;
};

struct keyd_bus {
	struct server		*srv;
	struct bus_client	*bus;
	struct sadb		*db;
	struct acquire_table	*acq;
	struct keyd_pfkey	*pfkey;
	uv_timer_t		 timer;		/* acquire timeouts */
	bool			 stopping;
	uint64_t		 last_walk;
	struct sync_walk	 walks[KEYD_SYNC_WALKS_MAX];
	struct sa_box		 page[BUS_SA_SYNC_MAX];
	Parapet__Sa		*pagep[BUS_SA_SYNC_MAX];
	bool			 batching;
	size_t			 nbatch;
	struct ev_box		 batch[BATCH_MAX];
	Parapet__SaChangeEvent	*batchp[BATCH_MAX];
	struct log_rl		 rl;
	/* Counters. */
	uint64_t		 n_events;
	uint64_t		 n_batches;	/* SaChangeBatchEvent frames */
	uint64_t		 n_publish_err;
	uint64_t		 n_sync_pages;
	uint64_t		 n_usage;
	uint64_t		 n_usage_unknown;
	uint64_t		 n_acquires;
	uint64_t		 n_acquire_dups;
	uint64_t		 n_acquire_timeouts;
};

/* ---- SADB -> proto ---- */

static void
addr_set(Parapet__SaAddr *a, uint8_t *store, const struct pfkey_sockaddr *s)
{
	size_t len = s->family == AF_INET6 ? 16 : 4;

	parapet__sa_addr__init(a);
	a->family = s->family == AF_INET6 ?
	    PARAPET__SA_FAMILY__SA_FAMILY_INET6 :
	    PARAPET__SA_FAMILY__SA_FAMILY_INET;
	memcpy(store, s->addr, len);
	a->addr.data = store;
	a->addr.len = len;
}

static void
limits_set(Parapet__SaLimits *l, const struct pfkey_lifetime *lt)
{
	parapet__sa_limits__init(l);
	l->bytes = lt->bytes;
	l->packets = lt->allocations;
	l->add_seconds = lt->addtime;
	l->use_seconds = lt->usetime;
}

/*
 * Fill b from SA s (keys borrowed from the SADB when with_keys). False
 * for what ipsecd does not hold (IPCOMP).
 */
static bool
sa_fill(struct sa_box *b, const struct sadb_sa *s, bool with_keys,
    int64_t wall_offset_ms)
{
	struct pfkey_msg v;
	uint8_t satype = sadb_sa_satype(s);
	uint32_t f;

	if (satype != PARAPET_SADB_SATYPE_ESP &&
	    satype != PARAPET_SADB_SATYPE_AH)
		return false;
	sadb_sa_view(s, with_keys, wall_offset_ms, &v);
	parapet__sa__init(&b->sa);
	b->sa.generation = sadb_sa_generation(s);
	b->sa.proto = satype == PARAPET_SADB_SATYPE_ESP ?
	    PARAPET__SA_PROTO__SA_PROTO_ESP : PARAPET__SA_PROTO__SA_PROTO_AH;
	b->sa.spi = v.sa.spi;
	addr_set(&b->src, b->src_b, &v.src.sa);
	addr_set(&b->dst, b->dst_b, &v.dst.sa);
	b->sa.src = &b->src;
	b->sa.dst = &b->dst;
	/* PF_KEY's ANY is transport (Linux reports it so). */
	b->sa.mode = v.sa2.mode == PARAPET_IPSEC_MODE_ANY ?
	    PARAPET__SA_MODE__SA_MODE_TRANSPORT : (Parapet__SaMode)v.sa2.mode;
	/* DEAD is seen only while a hard expiry is told: it was usable. */
	b->sa.state = v.sa.state == PARAPET_SADB_SASTATE_MATURE ?
	    PARAPET__SA_STATE__SA_STATE_MATURE :
	    PARAPET__SA_STATE__SA_STATE_DYING;
	b->sa.reqid = v.sa2.reqid;
	f = v.sa.flags;
	b->sa.flags = f;
	b->sa.esn = (f & KEYD_SAFLAGS_ESN) != 0;
	b->sa.cyclic_seq = (f & PARAPET_SADB_X_EXT_CYCSEQ) != 0;
	b->sa.padding = (f & PARAPET_SADB_X_EXT_PZERO) != 0 ?
	    PARAPET__SA_PADDING__SA_PADDING_ZERO :
	    (f & PARAPET_SADB_X_EXT_PRAND) != 0 ?
	    PARAPET__SA_PADDING__SA_PADDING_RANDOM :
	    PARAPET__SA_PADDING__SA_PADDING_SEQUENTIAL;
	b->sa.replay_window = v.sa.replay;
	if (HAS(&v, PARAPET_SADB_X_EXT_NAT_T_TYPE) && (v.natt_type == 1 ||
	    v.natt_type == 2)) {
		b->sa.nat_type = (Parapet__SaNatType)v.natt_type;
		if (HAS(&v, PARAPET_SADB_X_EXT_NAT_T_SPORT))
			b->sa.nat_sport = v.natt_sport;
		if (HAS(&v, PARAPET_SADB_X_EXT_NAT_T_DPORT))
			b->sa.nat_dport = v.natt_dport;
		if (HAS(&v, PARAPET_SADB_X_EXT_NAT_T_OA)) {
			addr_set(&b->oa, b->oa_b, &v.natt_oa.sa);
			b->sa.nat_oa = &b->oa;
		}
	}
	b->sa.auth_alg = v.sa.auth;
	b->sa.enc_alg = satype == PARAPET_SADB_SATYPE_AH ? 0 : v.sa.encrypt;
	if (with_keys && HAS(&v, PARAPET_SADB_EXT_KEY_AUTH)) {
		b->sa.auth_key.data = deconst_bytes(v.key_auth.data);
		b->sa.auth_key.len = v.key_auth.len_bytes;
	}
	if (with_keys && HAS(&v, PARAPET_SADB_EXT_KEY_ENCRYPT) &&
	    satype == PARAPET_SADB_SATYPE_ESP) {
		b->sa.enc_key.data = deconst_bytes(v.key_encrypt.data);
		b->sa.enc_key.len = v.key_encrypt.len_bytes;
	}
	if (HAS(&v, PARAPET_SADB_EXT_LIFETIME_HARD)) {
		limits_set(&b->hard, &v.lft_hard);
		b->sa.hard = &b->hard;
	}
	if (HAS(&v, PARAPET_SADB_EXT_LIFETIME_SOFT)) {
		limits_set(&b->soft, &v.lft_soft);
		b->sa.soft = &b->soft;
	}
	return true;
}

static void
publish(struct keyd_bus *kb, uint32_t type, const ProtobufCMessage *body)
{
	int error;

	if ((error = bus_publish(kb->bus, KEYD_BUS_TOPIC, type, body)) != 0) {
		/* ipsecd resynchronises (SaSyncRequest) after a gap. */
		kb->n_publish_err++;
		log_rl_warnx(&kb->rl, "bus: cannot publish %s: %s",
		    type == T(SA_CHANGE_EVENT) ? "SaChangeEvent" :
		    type == T(SA_CHANGE_BATCH_EVENT) ? "SaChangeBatchEvent" :
		    "AcquireDoneEvent", strerror(-error));
		return;
	}
	kb->n_events++;
}

/* ---- hooks (pfkey_dispatch.c, sadb expiry) ---- */

static const Parapet__SaChange change_map[] = {
	[KEYD_SA_INSTALL] = PARAPET__SA_CHANGE__SA_CHANGE_INSTALL,
	[KEYD_SA_UPDATE] = PARAPET__SA_CHANGE__SA_CHANGE_UPDATE,
	[KEYD_SA_DELETE] = PARAPET__SA_CHANGE__SA_CHANGE_DELETE,
};

static const Parapet__SaDeleteReason reason_map[] = {
	[KEYD_SA_REASON_NONE] = PARAPET__SA_DELETE_REASON__SA_DELETE_UNSPEC,
	[KEYD_SA_REASON_DELETE] = PARAPET__SA_DELETE_REASON__SA_DELETE_REQUEST,
	[KEYD_SA_REASON_FLUSH] = PARAPET__SA_DELETE_REASON__SA_DELETE_FLUSH,
	[KEYD_SA_REASON_EXPIRED] = PARAPET__SA_DELETE_REASON__SA_DELETE_EXPIRED,
};

/* The kept changes: one SaChangeEvent, or one SaChangeBatchEvent. */
static void
batch_flush(struct keyd_bus *kb)
{
	Parapet__SaChangeBatchEvent be;
	size_t i, n = kb->nbatch;
	uint64_t sent = kb->n_events;

	if (n == 0)
		return;
	if (n == 1)
		publish(kb, T(SA_CHANGE_EVENT), &kb->batch[0].ev.base);
	else {
		for (i = 0; i < n; i++)
			kb->batchp[i] = &kb->batch[i].ev;
		parapet__sa_change_batch_event__init(&be);
		be.n_events = n;
		be.events = kb->batchp;
		publish(kb, T(SA_CHANGE_BATCH_EVENT), &be.base);
		if (kb->n_events != sent) {
			/* publish() counted one; each change is an event. */
			kb->n_batches++;
			kb->n_events += n - 1;
		}
	}
	explicit_bzero(kb->batch, n * sizeof(kb->batch[0]));	/* keys */
	kb->nbatch = 0;
}

/* Own copies of b's borrowed keys in e; false if one does not fit. */
static bool
keys_own(struct ev_box *e)
{
	ProtobufCBinaryData *a = &e->b.sa.auth_key, *k = &e->b.sa.enc_key;

	if (a->len > sizeof(e->akey) || k->len > sizeof(e->ekey))
		return false;
	if (a->len > 0) {
		memcpy(e->akey, a->data, a->len);
		a->data = e->akey;
	}
	if (k->len > 0) {
		memcpy(e->ekey, k->data, k->len);
		k->data = e->ekey;
	}
	return true;
}

static void
event_set(Parapet__SaChangeEvent *ev, Parapet__Sa *sa, enum keyd_sa_change c,
    enum keyd_sa_reason why)
{
	parapet__sa_change_event__init(ev);
	ev->change = change_map[c];
	ev->reason = c == KEYD_SA_DELETE ? reason_map[why] :
	    PARAPET__SA_DELETE_REASON__SA_DELETE_UNSPEC;
	ev->sa = sa;
}

static void
on_sa_change(enum keyd_sa_change c, enum keyd_sa_reason why,
    const struct sadb_sa *sa, void *arg)
{
	struct keyd_bus *kb = arg;
	struct ev_box *e;
	int64_t woff = 0;

	if (kb->pfkey != NULL)
		(void)keyd_pfkey_now(kb->pfkey, &woff);
	if (kb->batching && kb->nbatch == BATCH_MAX)
		batch_flush(kb);
	e = &kb->batch[kb->nbatch];
	if (!sa_fill(&e->b, sa, c != KEYD_SA_DELETE, woff))
		return;
	event_set(&e->ev, &e->b.sa, c, why);
	if (kb->batching && keys_own(e)) {
		kb->nbatch++;
		return;
	}
	/* Alone, at once, after what is kept (order); e is past those. */
	batch_flush(kb);
	publish(kb, T(SA_CHANGE_EVENT), &e->ev.base);
	explicit_bzero(e, sizeof(*e));
}

static void
on_batch(bool begin, void *arg)
{
	struct keyd_bus *kb = arg;

	if (!begin)
		batch_flush(kb);
	kb->batching = begin;
}

static void arm_timer(struct keyd_bus *);

static const Parapet__AcquireResult result_map[] = {
	[ACQUIRE_INSTALLED] = PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_INSTALLED,
	[ACQUIRE_REFUSED] = PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_REFUSED,
	[ACQUIRE_TIMEOUT] = PARAPET__ACQUIRE_RESULT__ACQUIRE_RESULT_TIMEOUT,
};

static void
acquire_told(struct keyd_bus *kb, const struct acquire *a,
    enum acquire_result res, int error)
{
	Parapet__AcquireDoneEvent ev;

	log_debug("bus: acquire seq %u (policy %u reqid %u) ended: %d",
	    a->seq, a->policy_id, a->reqid, (int)res);
	parapet__acquire_done_event__init(&ev);
	ev.seq = a->seq;
	ev.policy_id = a->policy_id;
	ev.reqid = a->reqid;
	ev.result = result_map[res];
	ev.error = res == ACQUIRE_REFUSED ? (uint32_t)(error != 0 ? error :
	    EINVAL) : 0;
	batch_flush(kb);	/* after the SA changes made before it */
	publish(kb, T(ACQUIRE_DONE_EVENT), &ev.base);
}

static void
on_acquire_done(const struct acquire *a, enum acquire_result res, int error,
    void *arg)
{
	struct keyd_bus *kb = arg;

	acquire_told(kb, a, res, error);
	arm_timer(kb);
}

struct keyd_hooks
keyd_bus_hooks(struct keyd_bus *kb)
{
	struct keyd_hooks h = { on_sa_change, on_acquire_done, kb, on_batch };

	return h;
}

/* ---- acquire timeouts ---- */

static void
timed_out(const struct acquire *a, void *arg)
{
	struct keyd_bus *kb = arg;

	kb->n_acquire_timeouts++;
	acquire_told(kb, a, ACQUIRE_TIMEOUT, 0);
}

static uint64_t
now_ms(struct keyd_bus *kb, int64_t *woff)
{
	*woff = 0;
	if (kb->pfkey != NULL)
		return keyd_pfkey_now(kb->pfkey, woff);
	uv_update_time(server_loop(kb->srv));
	return uv_now(server_loop(kb->srv));
}

static void
on_timer(uv_timer_t *t)
{
	struct keyd_bus *kb = t->data;
	int64_t woff;

	(void)acquire_expire(kb->acq, now_ms(kb, &woff), timed_out, kb);
	arm_timer(kb);
}

static void
arm_timer(struct keyd_bus *kb)
{
	uint64_t when = acquire_next_deadline(kb->acq), now;

	if (kb->stopping)
		return;
	uv_timer_stop(&kb->timer);
	if (when == UINT64_MAX)
		return;
	now = uv_now(server_loop(kb->srv));
	(void)uv_timer_start(&kb->timer, on_timer, when > now ? when - now : 0,
	    0);
}

/* ---- proto -> PF_KEY values ---- */

static uint8_t
satype_of(Parapet__SaProto p)
{
	return p == PARAPET__SA_PROTO__SA_PROTO_AH ? PARAPET_SADB_SATYPE_AH :
	    PARAPET_SADB_SATYPE_ESP;
}

/* A validated SaAddr (family and length agree). */
static void
sockaddr_of(const Parapet__SaAddr *a, struct pfkey_sockaddr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = a->family == PARAPET__SA_FAMILY__SA_FAMILY_INET6 ?
	    AF_INET6 : AF_INET;
	memcpy(out->addr, a->addr.data, a->addr.len <= sizeof(out->addr) ?
	    a->addr.len : sizeof(out->addr));
}

static void
reply_error(struct keyd_bus *kb, const struct bus_msg *m, int error)
{
	if (bus_reply(kb->bus, m, error, T(ERROR_REPLY), NULL) != 0)
		kb->n_publish_err++;
}

/* ---- SaSyncRequest ---- */

static struct sync_walk *
walk_find(struct keyd_bus *kb, uint64_t id)
{
	size_t i;

	for (i = 0; i < nitems(kb->walks); i++)
		if (kb->walks[i].id == id && id != 0)
			return &kb->walks[i];
	return NULL;
}

static void
walk_drop(struct sync_walk *w)
{
	if (w->id != 0)
		sadb_dump_end(&w->cur);
	memset(w, 0, sizeof(*w));
}

/* A free slot, after dropping walks idle too long; NULL: all busy. */
static struct sync_walk *
walk_new(struct keyd_bus *kb, uint64_t now)
{
	struct sync_walk *w, *free_w = NULL;
	size_t i;

	for (i = 0; i < nitems(kb->walks); i++) {
		w = &kb->walks[i];
		if (w->id != 0 && now - w->last_ms >= KEYD_SYNC_IDLE_MS)
			walk_drop(w);
		if (w->id == 0 && free_w == NULL)
			free_w = w;
	}
	if (free_w == NULL)
		return NULL;
	free_w->id = ++kb->last_walk;
	free_w->last_ms = now;
	sadb_dump_begin(kb->db, &free_w->cur, PARAPET_SADB_SATYPE_UNSPEC);
	return free_w;
}

static void
on_sync(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__SaSyncRequest *rq = (const void *)m->body;
	struct keyd_bus *kb = arg;
	Parapet__SaSyncReply rep;
	const struct sadb_sa *sa;
	struct sync_walk *w;
	uint32_t seq;
	uint64_t now;
	int64_t woff;
	size_t n = 0;
	bool done = false;
	int error;

	(void)c;
	now = now_ms(kb, &woff);
	if (rq->cursor == 0)
		w = walk_new(kb, now);
	else if ((w = walk_find(kb, rq->cursor)) == NULL) {
		reply_error(kb, m, -ESTALE);
		return;
	}
	if (w == NULL) {
		reply_error(kb, m, -EBUSY);
		return;
	}
	w->last_ms = now;
	while (n < rq->max) {
		if (sadb_dump_next(&w->cur, &sa, &seq) != 0) {
			/* -ENOENT: the cursor has ended itself. */
			memset(w, 0, sizeof(*w));
			done = true;
			break;
		}
		if (sadb_sa_state(sa) == SA_STATE_LARVAL)
			continue;
		if (sa_fill(&kb->page[n], sa, true, woff)) {
			kb->pagep[n] = &kb->page[n].sa;
			n++;
		}
	}
	parapet__sa_sync_reply__init(&rep);
	rep.n_sas = n;
	rep.sas = kb->pagep;
	rep.done = done;
	rep.cursor = done ? 0 : w->id;
	rep.last_generation = sadb_last_generation(kb->db);
	if ((error = bus_reply(kb->bus, m, 0, T(SA_SYNC_REPLY),
	    &rep.base)) != 0)
		log_rl_warnx(&kb->rl, "bus: SaSyncReply to %s: %s", m->src,
		    strerror(-error));
	kb->n_sync_pages++;
	explicit_bzero(kb->page, n * sizeof(kb->page[0]));
}

/* ---- SaUsageRequest ---- */

static void
on_usage(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__SaUsageRequest *rq = (const void *)m->body;
	struct keyd_bus *kb = arg;
	Parapet__SaUsageReply rep;
	const Parapet__SaUsage *u;
	struct pfkey_sockaddr dst;
	enum sa_state st;
	struct sadb_sa *sa;
	uint64_t now, use_ms;
	int64_t woff;
	size_t i;

	(void)c;
	parapet__sa_usage_reply__init(&rep);
	now = now_ms(kb, &woff);
	on_batch(true, kb);	/* the expiries of one report, one frame */
	for (i = 0; i < rq->n_usage; i++) {
		u = rq->usage[i];
		sockaddr_of(u->dst, &dst);
		sa = sadb_lookup(kb->db, satype_of(u->proto), u->spi, &dst);
		if (sa == NULL || sadb_sa_generation(sa) != u->generation ||
		    sadb_sa_state(sa) == SA_STATE_LARVAL || kb->pfkey == NULL) {
			rep.unknown++;
			kb->n_usage_unknown++;
			continue;
		}
		/* The first use as ipsecd saw it, on our monotonic clock. */
		use_ms = now;
		if (u->first_use_time != 0 &&
		    u->first_use_time <= (UINT64_MAX - 1000) / 1000) {
			int64_t t = (int64_t)(u->first_use_time * 1000) - woff;

			if (t >= 0 && (uint64_t)t < now)
				use_ms = (uint64_t)t;
		}
		if (keyd_pfkey_use(kb->pfkey, sa, u->bytes,
		    u->packets > UINT32_MAX ? UINT32_MAX : (uint32_t)u->packets,
		    use_ms, &st) != 0) {
			rep.unknown++;
			continue;
		}
		rep.applied++;
		kb->n_usage++;
		if (st == SA_STATE_DEAD)
			rep.expired++;
	}
	on_batch(false, kb);
	if (bus_reply(kb->bus, m, 0, T(SA_USAGE_REPLY), &rep.base) != 0)
		kb->n_publish_err++;
}

/* ---- AcquireRequest ---- */

static void
on_acquire(struct bus_client *c, const struct bus_msg *m, void *arg)
{
	const Parapet__AcquireRequest *rq = (const void *)m->body;
	struct keyd_bus *kb = arg;
	const struct acquire *a;
	Parapet__AcquireReply rep;
	struct acquire req;
	size_t recipients = 0;
	int64_t woff;
	int error;

	(void)c;
	parapet__acquire_reply__init(&rep);
	memset(&req, 0, sizeof(req));
	req.policy_id = rq->policy_id;
	req.reqid = rq->reqid;
	req.satype = satype_of(rq->proto);
	req.dir = (uint8_t)rq->dir;
	req.mode = (uint8_t)rq->mode;
	sockaddr_of(rq->src, &req.src);
	sockaddr_of(rq->dst, &req.dst);
	if (kb->pfkey == NULL) {
		reply_error(kb, m, -EAGAIN);
		return;
	}
	/* Linux xfrm_state_find(): a usable SA is used, not acquired. */
	if (sadb_select(kb->db, req.satype, &req.src, &req.dst,
	    req.reqid) != NULL) {
		rep.status = PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SA_EXISTS;
		goto reply;
	}
	error = acquire_start(kb->acq, &req, now_ms(kb, &woff), &a);
	if (error == -EALREADY) {
		kb->n_acquire_dups++;
		rep.status = PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_PENDING;
		rep.seq = a->seq;
		goto reply;
	}
	if (error != 0) {
		reply_error(kb, m, error);
		return;
	}
	if ((error = keyd_pfkey_acquire(kb->pfkey, a, &recipients)) != 0) {
		(void)acquire_end(kb->acq, a->seq, NULL);
		reply_error(kb, m, error);
		return;
	}
	kb->n_acquires++;
	log_debug("bus: acquire seq %u for policy %u reqid %u to %zu key "
	    "managers", a->seq, a->policy_id, a->reqid, recipients);
	rep.status = PARAPET__ACQUIRE_STATUS__ACQUIRE_STATUS_SENT;
	rep.seq = a->seq;
	rep.recipients = recipients > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)recipients;
	arm_timer(kb);
reply:
	if (bus_reply(kb->bus, m, 0, T(ACQUIRE_REPLY), &rep.base) != 0)
		kb->n_publish_err++;
}

/* ---- start, stop ---- */

int
keyd_bus_start(struct keyd_bus **out, struct server *srv, struct sadb *db,
    struct acquire_table *acq)
{
	struct keyd_bus *kb;
	int error;

	if ((kb = calloc(1, sizeof(*kb))) == NULL)
		return -ENOMEM;
	kb->srv = srv;
	kb->bus = server_bus(srv);
	kb->db = db;
	kb->acq = acq;
	/* On failure keyd exits (init fails): nothing else runs. */
	if ((error = bus_client_on(kb->bus, T(SA_SYNC_REQUEST), on_sync,
	    kb)) != 0 ||
	    (error = bus_client_on(kb->bus, T(SA_USAGE_REQUEST), on_usage,
	    kb)) != 0 ||
	    (error = bus_client_on(kb->bus, T(ACQUIRE_REQUEST), on_acquire,
	    kb)) != 0) {
		free(kb);
		return error;
	}
	uv_timer_init(server_loop(srv), &kb->timer);
	kb->timer.data = kb;
	if (server_counter_add(srv, "keyd.bus.events", &kb->n_events) != 0 ||
	    server_counter_add(srv, "keyd.bus.batches", &kb->n_batches) != 0 ||
	    server_counter_add(srv, "keyd.bus.publish_errors",
	    &kb->n_publish_err) != 0 ||
	    server_counter_add(srv, "keyd.bus.sync_pages",
	    &kb->n_sync_pages) != 0 ||
	    server_counter_add(srv, "keyd.bus.usage", &kb->n_usage) != 0 ||
	    server_counter_add(srv, "keyd.bus.usage_unknown",
	    &kb->n_usage_unknown) != 0 ||
	    server_counter_add(srv, "keyd.bus.acquires",
	    &kb->n_acquires) != 0 ||
	    server_counter_add(srv, "keyd.bus.acquire_dups",
	    &kb->n_acquire_dups) != 0 ||
	    server_counter_add(srv, "keyd.bus.acquire_timeouts",
	    &kb->n_acquire_timeouts) != 0)
		log_warnx("bus: cannot register keyd's bus counters");
	*out = kb;
	return 0;
}

void
keyd_bus_attach(struct keyd_bus *kb, struct keyd_pfkey *kp)
{
	kb->pfkey = kp;
}

static void
timer_closed(uv_handle_t *h)
{
	struct keyd_bus *kb = h->data;

	free(kb);
}

void
keyd_bus_stop(struct keyd_bus *kb)
{
	size_t i;

	if (kb == NULL || kb->stopping)
		return;
	kb->stopping = true;
	kb->pfkey = NULL;
	explicit_bzero(kb->batch, sizeof(kb->batch));	/* none kept: keys */
	kb->nbatch = 0;
	kb->batching = false;
	for (i = 0; i < nitems(kb->walks); i++)
		walk_drop(&kb->walks[i]);
	uv_timer_stop(&kb->timer);
	uv_close((uv_handle_t *)&kb->timer, timer_closed);
}
