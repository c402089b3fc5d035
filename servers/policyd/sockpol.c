/*
 * sockpol.c - per-socket policy: the registry, the endpoint's request
 * parser, the privilege rule and the lookup (see sockpol.h). Requests
 * are untrusted (any local process may connect to sockpol.sock): they
 * are read through rd cursors, each region in its own sub-cursor, and
 * every rule has its own reject reason. The policy extension is
 * validated as Linux pfkey_compile_policy() and KAME
 * ipsec_set_policy() do for sockets (type up to bypass, direction in or
 * out), its requests as the SPD's (spd_entry_valid()).
 *
 * The registry is an array with linear operations: a socket policy is
 * rare (a few per IKE daemon or per test program), and removals swap
 * the last entry into the hole.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec_policy.h"
#include "pfkeyv2.h"
#include "rd.h"
#include "sockpol.h"
#include "wr.h"

/* ---- Requests ---- */

static const struct {
	const char	*name;
	int		 error;
} rejects[SOCKPOL_R_COUNT] = {
	[SOCKPOL_R_OK] = { "ok", 0 },
	[SOCKPOL_R_SHORT] = { "short", -EBADMSG },
	[SOCKPOL_R_VERSION] = { "version", -EPROTONOSUPPORT },
	[SOCKPOL_R_OP] = { "op", -EOPNOTSUPP },
	[SOCKPOL_R_RESERVED] = { "reserved", -EINVAL },
	[SOCKPOL_R_DIR] = { "dir", -EINVAL },
	[SOCKPOL_R_SEL_SHORT] = { "sel_short", -EBADMSG },
	[SOCKPOL_R_FAMILY] = { "family", -EAFNOSUPPORT },
	[SOCKPOL_R_SEL_ADDR] = { "sel_addr", -EINVAL },
	[SOCKPOL_R_TRAILING] = { "trailing", -EBADMSG },
	[SOCKPOL_R_POL_SHORT] = { "pol_short", -EINVAL },
	[SOCKPOL_R_POL_EXTTYPE] = { "pol_exttype", -EINVAL },
	[SOCKPOL_R_POL_LEN] = { "pol_len", -EINVAL },
	[SOCKPOL_R_POL_TYPE] = { "pol_type", -EINVAL },
	[SOCKPOL_R_POL_DIR] = { "pol_dir", -EINVAL },
	[SOCKPOL_R_POL_REQS] = { "pol_reqs", -EINVAL },
	[SOCKPOL_R_POL_TOO_MANY] = { "pol_too_many", -ELOOP },
	[SOCKPOL_R_REQ] = { "req", -EINVAL },
};

/* What each op carries and which directions it takes (bit d: dir d). */
static const struct {
	bool		sel;
	bool		pol;
	uint8_t		dirs;
} op_rules[SOCKPOL_OP_MAX + 1] = {
	[SOCKPOL_OP_SET] = { true, true, 1u << 0 },	/* from the policy */
	[SOCKPOL_OP_DEL] = { false, false, 0x7 },	/* 0, in, out */
	[SOCKPOL_OP_BIND] = { true, false, 1u << 0 },
	[SOCKPOL_OP_DUMP] = { false, false, 1u << 0 },
};
_Static_assert(nitems(op_rules) == SOCKPOL_OP_MAX + 1, "op_rules");

const char *
sockpol_reject_name(enum sockpol_reject r)
{
	return (unsigned int)r < nitems(rejects) ? rejects[r].name : "?";
}

static int
reject(enum sockpol_reject r, enum sockpol_reject *why)
{
	*why = r;
	return rejects[r].error;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static enum sockpol_reject
parse_sel(struct rd *r, struct sockpol_sel *s)
{
	struct rd sub;
	if (rd_sub(r, SOCKPOL_SEL_BYTES, &sub) != 0)
		return SOCKPOL_R_SEL_SHORT;
	if (rd_be16(&sub, &s->family) != 0 || rd_u8(&sub, &s->proto) != 0 ||
	    rd_u8(&sub, &s->flags) != 0 || rd_be16(&sub, &s->lport) != 0 ||
	    rd_be16(&sub, &s->rport) != 0 ||
	    rd_bytes(&sub, s->laddr, 16) != 0 ||
	    rd_bytes(&sub, s->raddr, 16) != 0)
		return SOCKPOL_R_SEL_SHORT;
	if (s->family != AF_INET && s->family != AF_INET6)
		return SOCKPOL_R_FAMILY;
	/* Unknown flags, or V4MAPPED on an IPv4 socket. */
	if ((s->flags & ~SOCKPOL_SEL_FLAGS) != 0 ||
	    (s->flags != 0 && s->family != AF_INET6))
		return SOCKPOL_R_RESERVED;
	if (s->family == AF_INET &&
	    (!all_zero(s->laddr + 4, 12) || !all_zero(s->raddr + 4, 12)))
		return SOCKPOL_R_SEL_ADDR;
	return SOCKPOL_R_OK;
}

/* One sockaddr of a request's endpoint pair (Linux layout, §10.7). */
static int
parse_sockaddr(struct rd *r, uint16_t *family, uint8_t addr[16])
{
	uint8_t skip[8];

	memset(addr, 0, 16);
	if (rd_h16(r, family) != 0)
		return -EINVAL;
	if (*family == AF_INET)
		return rd_skip(r, 2) != 0 || rd_bytes(r, addr, 4) != 0 ||
		    rd_bytes(r, skip, 8) != 0 ? -EINVAL : 0;
	if (*family == AF_INET6)
		return rd_skip(r, 6) != 0 || rd_bytes(r, addr, 16) != 0 ||
		    rd_skip(r, 4) != 0 ? -EINVAL : 0;
	return -EINVAL;
}

/* One sadb_x_ipsecrequest, in its own sub-cursor. */
static int
parse_request(struct rd *r, struct spd_req *q)
{
	struct rd peek = *r, sub;
	uint16_t len, proto, fdst;

	memset(q, 0, sizeof(*q));
	if (rd_h16(&peek, &len) != 0 || len < 16 || rd_sub(r, len, &sub) != 0)
		return -EINVAL;
	/* Reserved fields: libipsec leaves them uninitialised; ignored. */
	if (rd_skip(&sub, 2) != 0 || rd_h16(&sub, &proto) != 0 ||
	    rd_u8(&sub, &q->mode) != 0 || rd_u8(&sub, &q->level) != 0 ||
	    rd_skip(&sub, 2) != 0 || rd_h32(&sub, &q->reqid) != 0 ||
	    rd_skip(&sub, 4) != 0 || proto > UINT8_MAX)
		return -EINVAL;
	q->proto = (uint8_t)proto;
	if (!rd_empty(&sub)) {
		if (parse_sockaddr(&sub, &q->family, q->tsrc) != 0 ||
		    parse_sockaddr(&sub, &fdst, q->tdst) != 0 ||
		    fdst != q->family || !rd_empty(&sub))
			return -EINVAL;
	}
	return 0;
}

/* The requests, checked as the SPD checks an entry's. */
static enum sockpol_reject
parse_requests(struct rd *r, struct sockpol_pol *p)
{
	struct spd_entry e;

	memset(&e, 0, sizeof(e));
	while (!rd_empty(r)) {
		if (p->nreqs == SPD_MAX_REQS)
			return SOCKPOL_R_POL_TOO_MANY;
		if (parse_request(r, &p->req[p->nreqs]) != 0)
			return SOCKPOL_R_REQ;
		p->nreqs++;
	}
	if (p->nreqs == 0)
		return SOCKPOL_R_POL_REQS;
	/* A well-formed selector around the requests, to reuse the SPD's
	 * validation of them. */
	e.sel.family = AF_INET;
	e.sel.proto = SPD_PROTO_ANY;
	e.dir = p->dir;
	e.action = SPD_ACTION_IPSEC;
	e.nreqs = p->nreqs;
	memcpy(e.req, p->req, sizeof(e.req));
	return spd_entry_valid(&e) == 0 ? SOCKPOL_R_OK : SOCKPOL_R_REQ;
}

static enum sockpol_reject
parse_policy(struct rd *r, struct sockpol_pol *p)
{
	struct rd body;
	uint16_t words, exttype, type;
	uint8_t reserved;
	uint32_t id;

	memset(p, 0, sizeof(*p));
	body = *r;
	if (rd_h16(&body, &words) != 0 || rd_h16(&body, &exttype) != 0 ||
	    rd_h16(&body, &type) != 0 || rd_u8(&body, &p->dir) != 0 ||
	    rd_u8(&body, &reserved) != 0 || rd_h32(&body, &id) != 0 ||
	    rd_h32(&body, &p->priority) != 0)
		return SOCKPOL_R_POL_SHORT;
	if (exttype != PARAPET_SADB_X_EXT_POLICY)
		return SOCKPOL_R_POL_EXTTYPE;
	if ((size_t)words * 8 != r->left)
		return SOCKPOL_R_POL_LEN;
	/* The id is the kernel's to set; reserved is ignored by Linux. */
	(void)id;
	(void)reserved;
	if (type > PARAPET_IPSEC_POLICY_BYPASS)
		return SOCKPOL_R_POL_TYPE;
	p->type = (uint8_t)type;
	if (p->dir != SPD_DIR_IN && p->dir != SPD_DIR_OUT)
		return SOCKPOL_R_POL_DIR;
	if (type != PARAPET_IPSEC_POLICY_IPSEC)
		return rd_empty(&body) ? SOCKPOL_R_OK : SOCKPOL_R_POL_REQS;
	return parse_requests(&body, p);
}

int
sockpol_req_parse(const uint8_t *buf, size_t len, struct sockpol_req *req,
    enum sockpol_reject *why)
{
	struct rd r;
	uint8_t version, flags;
	enum sockpol_reject rj;

	memset(req, 0, sizeof(*req));
	*why = SOCKPOL_R_OK;
	rd_init(&r, buf, len);
	if (rd_u8(&r, &version) != 0 || rd_u8(&r, &req->op) != 0 ||
	    rd_u8(&r, &req->dir) != 0 || rd_u8(&r, &flags) != 0 ||
	    rd_be32(&r, &req->seq) != 0 || rd_be64(&r, &req->sock) != 0)
		return reject(SOCKPOL_R_SHORT, why);
	if (version != SOCKPOL_VERSION)
		return reject(SOCKPOL_R_VERSION, why);
	if (req->op == 0 || req->op > SOCKPOL_OP_MAX)
		return reject(SOCKPOL_R_OP, why);
	if (flags != 0)
		return reject(SOCKPOL_R_RESERVED, why);
	if (req->dir > 2 || (op_rules[req->op].dirs & (1u << req->dir)) == 0)
		return reject(SOCKPOL_R_DIR, why);
	if (op_rules[req->op].sel &&
	    (rj = parse_sel(&r, &req->sel)) != SOCKPOL_R_OK)
		return reject(rj, why);
	if (op_rules[req->op].pol) {
		if ((rj = parse_policy(&r, &req->pol)) != SOCKPOL_R_OK)
			return reject(rj, why);
		return 0;
	}
	return rd_empty(&r) ? 0 : reject(SOCKPOL_R_TRAILING, why);
}

int
sockpol_priv_check(const struct sockpol_pol *p, uint32_t uid)
{
	return p->type == SOCKPOL_T_BYPASS && uid != 0 ? -EACCES : 0;
}

void
sockpol_reply_hdr(uint8_t *buf, uint8_t op, uint32_t seq, uint32_t error,
    uint32_t count)
{
	memset(buf, 0, SOCKPOL_REPLY_BYTES);
	buf[0] = SOCKPOL_VERSION;
	buf[1] = op;
	wr_put_be32(buf + 4, seq);
	wr_put_be32(buf + 8, error);
	wr_put_be32(buf + 12, count);
}

/* ---- The registry ---- */

struct sockpol_db {
	struct sockpol_ent	*ents;
	size_t			 n, cap;
	struct sockpol_limits	 lim;
	uint64_t		 gen;
	uint64_t		 seq;
	uint32_t		 next_id;	/* id >> 3 */
	sockpol_notify_fn	*notify;
	void			*notify_arg;
};

int
sockpol_create(struct sockpol_db **out, const struct sockpol_limits *lim)
{
	struct sockpol_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return -ENOMEM;
	if (lim != NULL)
		db->lim = *lim;
	else {
		db->lim.max_total = SOCKPOL_MAX_TOTAL_DEFAULT;
		db->lim.max_per_conn = SOCKPOL_MAX_PER_CONN_DEFAULT;
	}
	db->next_id = 1;
	*out = db;
	return 0;
}

void
sockpol_destroy(struct sockpol_db *db)
{
	if (db == NULL)
		return;
	free(db->ents);
	free(db);
}

size_t
sockpol_count(const struct sockpol_db *db)
{
	return db->n;
}

uint64_t
sockpol_generation(const struct sockpol_db *db)
{
	return db->gen;
}

const struct sockpol_ent *
sockpol_at(const struct sockpol_db *db, size_t i)
{
	return i < db->n ? &db->ents[i] : NULL;
}

void
sockpol_set_notify(struct sockpol_db *db, sockpol_notify_fn *fn, void *arg)
{
	db->notify = fn;
	db->notify_arg = arg;
}

static void
tell(const struct sockpol_db *db, enum sockpol_change c,
    const struct sockpol_ent *e)
{
	if (db->notify != NULL)
		db->notify(db->notify_arg, c, e);
}

static struct sockpol_ent *
find(const struct sockpol_db *db, uint64_t conn, uint64_t sock, uint8_t dir)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (db->ents[i].conn == conn && db->ents[i].sock == sock &&
		    db->ents[i].pol.dir == dir)
			return &db->ents[i];
	return NULL;
}

const struct sockpol_ent *
sockpol_get(const struct sockpol_db *db, uint64_t conn, uint64_t sock,
    uint8_t dir)
{
	return find(db, conn, sock, dir);
}

static size_t
conn_count(const struct sockpol_db *db, uint64_t conn)
{
	size_t i, n = 0;

	for (i = 0; i < db->n; i++)
		n += db->ents[i].conn == conn;
	return n;
}

/* Linux xfrm_gen_index() for socket policies: dir XFRM_POLICY_MAX + dir. */
static uint32_t
new_id(struct sockpol_db *db, uint8_t dir)
{
	uint32_t id = (db->next_id << 3) | (uint32_t)(3 + dir - 1);

	db->next_id = (db->next_id + 1) & 0x1fffffff;
	if (db->next_id == 0)
		db->next_id = 1;
	return id;
}

static int
grow(struct sockpol_db *db)
{
	struct sockpol_ent *n;
	size_t cap;

	if (db->n < db->cap)
		return 0;
	cap = db->cap == 0 ? 16 : db->cap * 2;
	if ((n = reallocarray(db->ents, cap, sizeof(*n))) == NULL)
		return -ENOMEM;
	db->ents = n;
	db->cap = cap;
	return 0;
}

static int
ent_valid(const struct sockpol_sel *s, const struct sockpol_pol *p)
{
	if (s->family != AF_INET && s->family != AF_INET6)
		return -EINVAL;
	if ((s->flags & ~SOCKPOL_SEL_FLAGS) != 0 ||
	    (s->flags != 0 && s->family != AF_INET6))
		return -EINVAL;
	if (p->dir != SPD_DIR_IN && p->dir != SPD_DIR_OUT)
		return -EINVAL;
	if (p->type > SOCKPOL_T_BYPASS || p->nreqs > SPD_MAX_REQS ||
	    (p->type != SOCKPOL_T_IPSEC && p->nreqs != 0))
		return -EINVAL;
	return 0;
}

int
sockpol_set(struct sockpol_db *db, uint64_t conn, uint32_t pid, uint32_t uid,
    uint64_t sock, const struct sockpol_sel *sel, const struct sockpol_pol *p,
    uint32_t *idp)
{
	struct sockpol_ent *e;
	int error;

	if ((error = ent_valid(sel, p)) != 0)
		return error;
	if ((e = find(db, conn, sock, p->dir)) == NULL) {
		if (db->n >= db->lim.max_total)
			return -ENOSPC;
		if (conn_count(db, conn) >= db->lim.max_per_conn)
			return -ENOBUFS;
		if ((error = grow(db)) != 0)
			return error;
		e = &db->ents[db->n++];
		memset(e, 0, sizeof(*e));
		e->conn = conn;
		e->sock = sock;
		e->id = new_id(db, p->dir);
	}
	e->pid = pid;
	e->uid = uid;
	e->seq = ++db->seq;
	e->pol = *p;
	db->gen++;
	if (idp != NULL)
		*idp = e->id;
	/* One socket, one selector: its other direction follows (and
	 * each registration of it is notified as set). */
	return sockpol_bind(db, conn, sock, sel);
}

int
sockpol_bind(struct sockpol_db *db, uint64_t conn, uint64_t sock,
    const struct sockpol_sel *sel)
{
	size_t i;
	bool found = false;

	if (sel->family != AF_INET && sel->family != AF_INET6)
		return -EINVAL;
	if ((sel->flags & ~SOCKPOL_SEL_FLAGS) != 0 ||
	    (sel->flags != 0 && sel->family != AF_INET6))
		return -EINVAL;
	for (i = 0; i < db->n; i++) {
		if (db->ents[i].conn != conn || db->ents[i].sock != sock)
			continue;
		db->ents[i].sel = *sel;
		found = true;
		tell(db, SOCKPOL_CHANGE_SET, &db->ents[i]);
	}
	if (!found)
		return -ENOENT;
	db->gen++;
	return 0;
}

static void
remove_at(struct sockpol_db *db, size_t i)
{
	tell(db, SOCKPOL_CHANGE_DELETE, &db->ents[i]);
	db->ents[i] = db->ents[db->n - 1];
	db->n--;
}

/* Remove conn's registrations (all, or of sock and dir 0 = both). */
static size_t
remove_matching(struct sockpol_db *db, uint64_t conn, bool all,
    uint64_t sock, uint8_t dir)
{
	size_t i = 0, n = 0;

	while (i < db->n) {
		const struct sockpol_ent *e = &db->ents[i];

		if (e->conn == conn && (all || (e->sock == sock &&
		    (dir == 0 || e->pol.dir == dir)))) {
			remove_at(db, i);
			n++;
		} else
			i++;
	}
	if (n > 0)
		db->gen++;
	return n;
}

size_t
sockpol_del(struct sockpol_db *db, uint64_t conn, uint64_t sock, uint8_t dir)
{
	return remove_matching(db, conn, false, sock, dir);
}

size_t
sockpol_drop_conn(struct sockpol_db *db, uint64_t conn)
{
	return remove_matching(db, conn, true, 0, 0);
}

/* ---- A replica ---- */

static struct sockpol_ent *
find_id(const struct sockpol_db *db, uint32_t id)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (db->ents[i].id == id)
			return &db->ents[i];
	return NULL;
}

const struct sockpol_ent *
sockpol_get_id(const struct sockpol_db *db, uint32_t id)
{
	return find_id(db, id);
}

int
sockpol_put(struct sockpol_db *db, const struct sockpol_ent *in)
{
	struct sockpol_ent *e;
	int error;

	if (ent_valid(&in->sel, &in->pol) != 0 ||
	    (in->id & 7) != 3u + in->pol.dir - 1)
		return -EINVAL;
	if ((e = find_id(db, in->id)) == NULL) {
		if (db->n >= db->lim.max_total)
			return -ENOSPC;
		if ((error = grow(db)) != 0)
			return error;
		e = &db->ents[db->n++];
	}
	*e = *in;
	e->conn = 0;
	e->sock = in->id;
	/* The source's order, so that ties resolve as there. */
	if (e->seq == 0)
		e->seq = ++db->seq;
	else if (e->seq > db->seq)
		db->seq = e->seq;
	db->gen++;
	return 0;
}

int
sockpol_del_id(struct sockpol_db *db, uint32_t id)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (db->ents[i].id == id) {
			remove_at(db, i);
			db->gen++;
			return 0;
		}
	return -ENOENT;
}

void
sockpol_clear(struct sockpol_db *db)
{
	while (db->n > 0)
		remove_at(db, db->n - 1);
	db->gen++;
}

/* ---- Lookup ---- */

static size_t
alen(uint16_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* A wildcard (all zero) or equal address. */
static bool
addr_ok(const uint8_t *sel, const uint8_t *pkt, size_t n)
{
	return all_zero(sel, n) || memcmp(sel, pkt, n) == 0;
}

/* ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) */
static bool
v4mapped(const uint8_t *a)
{
	return all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

/* An IPv6 selector's address against an IPv4 packet's: any, or mapped. */
static bool
mapped_ok(const uint8_t *sel, const uint8_t *pkt)
{
	return all_zero(sel, 16) ||
	    (v4mapped(sel) && memcmp(sel + 12, pkt, 4) == 0);
}

static bool
addrs_ok(const struct sockpol_sel *s, bool mapped, const uint8_t *local,
    const uint8_t *remote)
{
	size_t n = alen(s->family);

	if (mapped)
		return mapped_ok(s->laddr, local) &&
		    mapped_ok(s->raddr, remote);
	return addr_ok(s->laddr, local, n) && addr_ok(s->raddr, remote, n);
}

bool
sockpol_sel_match(const struct sockpol_sel *s, uint8_t dir,
    const struct spd_pkt *p)
{
	const uint8_t *local, *remote;
	uint16_t lport, rport;
	bool mapped = false;

	if (s->family != p->family) {
		/* A dual-stack IPv6 socket's IPv4 traffic. */
		if (s->family != AF_INET6 || p->family != AF_INET ||
		    (s->flags & SOCKPOL_SEL_V4MAPPED) == 0)
			return false;
		mapped = true;
	}
	if (s->proto != SPD_PROTO_ANY && s->proto != p->proto)
		return false;
	if (dir == SPD_DIR_OUT) {
		local = p->src;
		remote = p->dst;
		lport = p->sport;
		rport = p->dport;
	} else {
		local = p->dst;
		remote = p->src;
		lport = p->dport;
		rport = p->sport;
	}
	if (!addrs_ok(s, mapped, local, remote))
		return false;
	return (s->lport == 0 || s->lport == lport) &&
	    (s->rport == 0 || s->rport == rport);
}

static unsigned int
specificity(const struct sockpol_sel *s)
{
	size_t n = alen(s->family);

	return (unsigned int)!all_zero(s->laddr, n) +
	    (unsigned int)!all_zero(s->raddr, n) + (s->lport != 0) +
	    (s->rport != 0);
}

const struct sockpol_ent *
sockpol_lookup(const struct sockpol_db *db, uint8_t dir,
    const struct spd_pkt *p)
{
	const struct sockpol_ent *best = NULL;
	unsigned int best_score = 0, score;
	size_t i;

	for (i = 0; i < db->n; i++) {
		const struct sockpol_ent *e = &db->ents[i];

		if (e->pol.dir != dir || !sockpol_sel_match(&e->sel, dir, p))
			continue;
		score = specificity(&e->sel);
		if (best == NULL || score > best_score ||
		    (score == best_score && e->seq > best->seq)) {
			best = e;
			best_score = score;
		}
	}
	return best;
}

/* ---- DUMP ---- */

static int
put_sel(struct wr *w, const struct sockpol_sel *s)
{
	if (wr_be16(w, s->family) != 0 || wr_u8(w, s->proto) != 0 ||
	    wr_u8(w, s->flags) != 0 || wr_be16(w, s->lport) != 0 ||
	    wr_be16(w, s->rport) != 0 || wr_bytes(w, s->laddr, 16) != 0 ||
	    wr_bytes(w, s->raddr, 16) != 0)
		return -EMSGSIZE;
	return 0;
}

static int
put_ent(struct wr *w, const struct sockpol_ent *e)
{
	if (wr_be32(w, e->pid) != 0 || wr_be32(w, e->uid) != 0 ||
	    wr_be64(w, e->sock) != 0 || wr_u8(w, e->pol.dir) != 0 ||
	    wr_u8(w, e->pol.type) != 0 ||
	    wr_u8(w, (uint8_t)e->pol.nreqs) != 0 || wr_u8(w, 0) != 0 ||
	    put_sel(w, &e->sel) != 0 || wr_be32(w, e->id) != 0)
		return -EMSGSIZE;
	return 0;
}

size_t
sockpol_dump(const struct sockpol_db *db, uint32_t uid, uint8_t *buf,
    size_t cap)
{
	struct wr w;
	size_t i, n = 0;

	wr_init(&w, buf, cap);
	for (i = 0; i < db->n && n < SOCKPOL_DUMP_MAX; i++) {
		if (uid != 0 && db->ents[i].uid != uid)
			continue;
		if (put_ent(&w, &db->ents[i]) != 0)
			break;
		n++;
	}
	return n;
}

/* ---- replies held until netd has applied a change ---- */

int
sockpol_wait_init(struct sockpol_wait *w, uint64_t epoch, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->epoch = epoch;
	if (cap == 0 || (w->q = calloc(cap, sizeof(*w->q))) == NULL)
		return -ENOMEM;
	w->cap = cap;
	return 0;
}

void
sockpol_wait_fini(struct sockpol_wait *w)
{
	free(w->q);
	memset(w, 0, sizeof(*w));
}

bool
sockpol_wait_applied(struct sockpol_wait *w, uint64_t epoch, uint64_t gen)
{
	if (epoch != w->epoch)
		return false;
	w->acked = true;
	if (gen > w->applied)
		w->applied = gen;
	return true;
}

bool
sockpol_wait_needed(const struct sockpol_wait *w, uint64_t gen)
{
	return w->acked && gen > w->applied;
}

int
sockpol_wait_push(struct sockpol_wait *w, uint64_t conn, uint64_t gen,
    uint64_t deadline)
{
	const struct sockpol_hold *t;

	if (w->n >= w->cap)
		return -ENOBUFS;
	if (w->n > 0) {
		t = &w->q[w->n - 1];
		if (gen < t->gen || deadline < t->deadline)
			return -EINVAL;
	}
	w->q[w->n].conn = conn;
	w->q[w->n].gen = gen;
	w->q[w->n].deadline = deadline;
	w->n++;
	return 0;
}

enum sockpol_release
sockpol_wait_pop(struct sockpol_wait *w, uint64_t now,
    struct sockpol_hold *out)
{
	enum sockpol_release r;

	if (w->n == 0)
		return SOCKPOL_KEEP;
	if (w->q[0].gen <= w->applied)
		r = SOCKPOL_APPLIED;
	else if (w->q[0].deadline <= now)
		r = SOCKPOL_EXPIRED;
	else
		return SOCKPOL_KEEP;
	*out = w->q[0];
	w->n--;
	memmove(&w->q[0], &w->q[1], w->n * sizeof(*w->q));
	return r;
}

size_t
sockpol_wait_drop(struct sockpol_wait *w, uint64_t conn)
{
	size_t i, j;

	for (i = j = 0; i < w->n; i++)
		if (w->q[i].conn != conn)
			w->q[j++] = w->q[i];
	i = w->n - j;
	w->n = j;
	return i;
}

bool
sockpol_wait_next(const struct sockpol_wait *w, uint64_t *deadline)
{
	if (w->n == 0)
		return false;
	*deadline = w->q[0].deadline;
	return true;
}
