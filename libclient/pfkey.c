/*
 * pfkey.c - libclient's PF_KEY v2 API (pfkey.h): a SOCK_SEQPACKET
 * connection to keyd, send helpers and a validating receive.
 *
 * The wire format is keyd_core's: requests are parsed views written with
 * pfkey_build_msg(); what arrives is read with pfkey_msg_parse_reply()
 * (or pfkey_msg_parse() for another client's request copied to a
 * promiscuous socket). This file owns only the socket, the mapping from
 * the parameter structs to views, and the raw extension iterator, which
 * reads through a struct rd cursor. Untrusted: every datagram from keyd,
 * and the policy bytes the caller passes (they are validated by
 * pfkey_msg_parse() before use).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pfkey.h"
#include "pfkey_build.h"
#include "rd.h"

#define BIT(e)		(UINT32_C(1) << (e))
#define T(x)		PARAPET_SADB_##x

struct pfkey_client {
	int		 fd;
	uint32_t	 pid;
	uint8_t		*rbuf;		/* PFKEY_MSG_MAX_BYTES */
};

/* ---- Opening and closing ---- */

int
pfkey_open_fd(struct pfkey_client **out, int fd)
{
	struct pfkey_client *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->rbuf = malloc(PFKEY_MSG_MAX_BYTES)) == NULL) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->pid = (uint32_t)getpid();
	*out = c;
	return 0;
}

int
pfkey_open_path(struct pfkey_client **out, const char *path)
{
	struct sockaddr_un sun;
	int fd, error;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) != 0) {
		error = -errno;
		close(fd);
		return error;
	}
	return pfkey_open_fd(out, fd);
}

int
pfkey_open(struct pfkey_client **out)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	const char *env;
	int n;

	if ((env = getenv("PFKEY_SOCKET")) != NULL && env[0] != '\0')
		return pfkey_open_path(out, env);
	if ((env = getenv("PARAPET_RUNDIR")) != NULL && env[0] != '\0') {
		n = snprintf(path, sizeof(path), "%s/pfkey.sock", env);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			*out = NULL;
			return -ENAMETOOLONG;
		}
		return pfkey_open_path(out, path);
	}
	return pfkey_open_path(out, PFKEY_SOCKET_DEFAULT);
}

void
pfkey_close(struct pfkey_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	explicit_bzero(c->rbuf, PFKEY_MSG_MAX_BYTES);
	free(c->rbuf);
	free(c);
}

int
pfkey_fd(const struct pfkey_client *c)
{
	return c->fd;
}

uint32_t
pfkey_pid(const struct pfkey_client *c)
{
	return c->pid;
}

/* ---- Parameters to views ---- */

static void
hdr(struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t seq,
    uint32_t pid)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = satype;
	m->hdr.seq = seq;
	m->hdr.pid = pid;
}

/* A sockaddr_in or sockaddr_in6 into the view's form. */
static int
from_sockaddr(const struct sockaddr *sa, struct pfkey_sockaddr *out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		out->family = AF_INET;
		out->port = ntohs(sin.sin_port);
		memcpy(out->addr, &sin.sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		out->family = AF_INET6;
		out->port = ntohs(sin6.sin6_port);
		out->flowinfo = ntohl(sin6.sin6_flowinfo);
		out->scope_id = sin6.sin6_scope_id;
		memcpy(out->addr, &sin6.sin6_addr, 16);
		return 0;
	}
	return -EINVAL;
}

static int
address(const struct sockaddr *sa, uint8_t proto, int prefixlen,
    struct pfkey_address *out)
{
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = from_sockaddr(sa, &out->sa)) != 0)
		return error;
	out->proto = proto;
	if (prefixlen < 0)
		prefixlen = out->sa.family == AF_INET ? 32 : 128;
	out->prefixlen = (uint8_t)prefixlen;
	return 0;
}

static bool
lifetime_set(const struct pfkey_lifetime *l)
{
	return l->allocations != 0 || l->bytes != 0 || l->addtime != 0 ||
	    l->usetime != 0;
}

static void
lifetimes(struct pfkey_msg *m, const struct pfkey_lifetime *hard,
    const struct pfkey_lifetime *soft)
{
	if (lifetime_set(hard)) {
		m->lft_hard = *hard;
		m->present |= BIT(T(EXT_LIFETIME_HARD));
	}
	if (lifetime_set(soft)) {
		m->lft_soft = *soft;
		m->present |= BIT(T(EXT_LIFETIME_SOFT));
	}
}

/* Source and destination of an SA: any protocol, full prefixes. */
static int
sa_addresses(struct pfkey_msg *m, const struct pfkey_sa_params *p)
{
	if (address(p->src, PARAPET_IPSEC_ULPROTO_ANY, -1, &m->src) != 0 ||
	    address(p->dst, PARAPET_IPSEC_ULPROTO_ANY, -1, &m->dst) != 0 ||
	    m->src.sa.family != m->dst.sa.family)
		return -EINVAL;
	m->present |= BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST));
	return 0;
}

static void
key(struct pfkey_msg *m, uint16_t exttype, const uint8_t *data, size_t len)
{
	struct pfkey_key *k = exttype == T(EXT_KEY_AUTH) ? &m->key_auth :
	    &m->key_encrypt;

	if (data == NULL)
		return;
	k->data = data;
	k->len_bytes = len;
	/* The builder refuses bits that are not 8 * len_bytes. */
	k->bits = len <= PFKEY_KEY_MAX_BYTES ? (uint16_t)(len * 8) : 0;
	m->present |= BIT(exttype);
}

static int
natt(struct pfkey_msg *m, const struct pfkey_sa_params *p)
{
	if (p->natt_type == 0)
		return 0;
	m->natt_type = p->natt_type;
	m->natt_sport = p->natt_sport;
	m->natt_dport = p->natt_dport;
	m->present |= BIT(T(X_EXT_NAT_T_TYPE)) | BIT(T(X_EXT_NAT_T_SPORT)) |
	    BIT(T(X_EXT_NAT_T_DPORT));
	if (p->natt_oa == NULL)
		return 0;
	if (address(p->natt_oa, PARAPET_IPSEC_ULPROTO_ANY, -1,
	    &m->natt_oa) != 0)
		return -EINVAL;
	m->present |= BIT(T(X_EXT_NAT_T_OA));
	return 0;
}

/* What ADD and UPDATE carry beyond SA and addresses. */
static int
sa_install(struct pfkey_msg *m, const struct pfkey_sa_params *p)
{
	m->sa.state = T(SASTATE_MATURE);
	m->sa.replay = p->replay;
	m->sa.flags = p->flags;
	m->sa.auth = p->auth;
	m->sa.encrypt = p->encrypt;
	key(m, T(EXT_KEY_AUTH), p->key_auth, p->key_auth_len);
	key(m, T(EXT_KEY_ENCRYPT), p->key_enc, p->key_enc_len);
	lifetimes(m, &p->lft_hard, &p->lft_soft);
	return natt(m, p);
}

static int
sa_view(uint8_t type, const struct pfkey_sa_params *p, uint32_t seq,
    uint32_t pid, struct pfkey_msg *m)
{
	int error;

	hdr(m, type, p->satype, seq, pid);
	if ((error = sa_addresses(m, p)) != 0)
		return error;
	if (p->mode != 0 || p->reqid != 0) {
		m->sa2.mode = p->mode;
		m->sa2.reqid = p->reqid;
		m->present |= BIT(T(X_EXT_SA2));
	}
	if (type == T(GETSPI)) {
		if (p->spi_min != 0 || p->spi_max != 0) {
			m->spirange.min = p->spi_min;
			m->spirange.max = p->spi_max;
			m->present |= BIT(T(EXT_SPIRANGE));
		}
		return 0;
	}
	m->sa.spi = p->spi;
	m->present |= BIT(T(EXT_SA));
	if (type == T(ADD) || type == T(UPDATE))
		return sa_install(m, p);
	return 0;
}

/*
 * ipsec_set_policy(3) bytes into a view: wrapped in an X_SPDGET header
 * and read by keyd's validator, so a policy keyd would refuse is refused
 * here (as setkey does).
 */
static int
policy_view(const void *bytes, size_t len, struct pfkey_policy *out)
{
	struct pp_sadb_msg h;
	struct pfkey_msg m;
	enum pfkey_reject why;
	uint8_t *buf;
	size_t total = sizeof(h) + len;
	int error;

	if (bytes == NULL || len == 0 || len % 8 != 0 ||
	    total > PFKEY_MSG_MAX_BYTES)
		return -EINVAL;
	if ((buf = malloc(total)) == NULL)
		return -ENOMEM;
	memset(&h, 0, sizeof(h));
	h.sadb_msg_version = PARAPET_PF_KEY_V2;
	h.sadb_msg_type = T(X_SPDGET);
	h.sadb_msg_len = (uint16_t)(total / 8);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), bytes, len);
	error = pfkey_msg_parse(buf, total, &m, &why);
	free(buf);
	if (error != 0)
		return -EINVAL;
	*out = m.policy;
	return 0;
}

static int
spd_view(uint8_t type, const struct pfkey_spd_params *p, uint32_t seq,
    uint32_t pid, struct pfkey_msg *m)
{
	int error;

	hdr(m, type, T(SATYPE_UNSPEC), seq, pid);
	m->present |= BIT(T(X_EXT_POLICY));
	if (type == T(X_SPDGET) || type == T(X_SPDDELETE2)) {
		m->policy.id = p->policy_id;
		return 0;
	}
	if ((error = policy_view(p->policy, p->policy_len, &m->policy)) != 0)
		return error;
	if (address(p->src, p->proto, p->prefs, &m->src) != 0 ||
	    address(p->dst, p->proto, p->prefd, &m->dst) != 0 ||
	    m->src.sa.family != m->dst.sa.family)
		return -EINVAL;
	m->present |= BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST));
	if (type != T(X_SPDDELETE))
		lifetimes(m, &p->lft_hard, &p->lft_soft);
	return 0;
}

/* ---- Building and sending ---- */

int
pfkey_build_sa_request(uint8_t type, const struct pfkey_sa_params *p,
    uint32_t seq, uint32_t pid, void *buf, size_t cap, size_t *len_bytes)
{
	struct pfkey_msg m;
	int error;

	if (type != T(GETSPI) && type != T(UPDATE) && type != T(ADD) &&
	    type != T(DELETE) && type != T(GET))
		return -EINVAL;
	if ((error = sa_view(type, p, seq, pid, &m)) != 0)
		return error;
	return pfkey_build_msg(&m, buf, cap, len_bytes);
}

int
pfkey_build_spd_request(uint8_t type, const struct pfkey_spd_params *p,
    uint32_t seq, uint32_t pid, void *buf, size_t cap, size_t *len_bytes)
{
	struct pfkey_msg m;
	int error;

	if (type != T(X_SPDADD) && type != T(X_SPDUPDATE) &&
	    type != T(X_SPDDELETE) && type != T(X_SPDDELETE2) &&
	    type != T(X_SPDGET))
		return -EINVAL;
	if ((error = spd_view(type, p, seq, pid, &m)) != 0)
		return error;
	return pfkey_build_msg(&m, buf, cap, len_bytes);
}

int
pfkey_build_hdr_request(uint8_t type, uint8_t satype, uint32_t seq,
    uint32_t pid, void *buf, size_t cap, size_t *len_bytes)
{
	struct pfkey_msg m;

	if (type != T(REGISTER) && type != T(FLUSH) && type != T(DUMP) &&
	    type != T(X_PROMISC) && type != T(X_SPDDUMP) &&
	    type != T(X_SPDFLUSH))
		return -EINVAL;
	hdr(&m, type, satype, seq, pid);
	return pfkey_build_msg(&m, buf, cap, len_bytes);
}

/*
 * Replies are matched by seq and pid, and every client of a process has
 * the same pid: so the seq counter is the process's, not the client's
 * (two sockets of one process would otherwise take each other's
 * broadcast of a request for their own reply). The one global here, for
 * that reason; atomic, so clients may live in several threads.
 */
static uint32_t next_seq_value;

static uint32_t
next_seq(uint32_t want)
{
	uint32_t seq;

	if (want != 0)
		return want;
	do	/* 0 ends a dump; never use it */
		seq = __atomic_add_fetch(&next_seq_value, 1, __ATOMIC_RELAXED);
	while (seq == 0);
	return seq;
}

/* Send a built datagram (wiped afterwards: it may hold keys). */
static int64_t
send_buf(struct pfkey_client *c, uint8_t *buf, size_t cap, int error,
    size_t len, uint32_t seq)
{
	ssize_t n;

	if (error == 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0)
			error = -errno;
		else if ((size_t)n != len)
			error = -EMSGSIZE;
	}
	explicit_bzero(buf, cap);
	return error != 0 ? error : (int64_t)seq;
}

/* Big enough for any request built from the parameter structs. */
#define REQ_BYTES	4096

static int64_t
send_sa(struct pfkey_client *c, uint8_t type, const struct pfkey_sa_params *p)
{
	uint8_t buf[REQ_BYTES];
	uint32_t seq = next_seq(p->seq);
	size_t len = 0;
	int error;

	error = pfkey_build_sa_request(type, p, seq, c->pid, buf, sizeof(buf),
	    &len);
	return send_buf(c, buf, sizeof(buf), error, len, seq);
}

static int64_t
send_spd(struct pfkey_client *c, uint8_t type,
    const struct pfkey_spd_params *p)
{
	uint8_t *buf;
	uint32_t seq = next_seq(p->seq);
	size_t len = 0;
	int64_t rc;
	int error;

	/* A policy may be up to 64 KiB: heap, not stack. */
	if ((buf = malloc(PFKEY_MSG_MAX_BYTES)) == NULL)
		return -ENOMEM;
	error = pfkey_build_spd_request(type, p, seq, c->pid, buf,
	    PFKEY_MSG_MAX_BYTES, &len);
	rc = send_buf(c, buf, PFKEY_MSG_MAX_BYTES, error, len, seq);
	free(buf);
	return rc;
}

static int64_t
send_hdr(struct pfkey_client *c, uint8_t type, uint8_t satype)
{
	uint8_t buf[sizeof(struct pp_sadb_msg)];
	uint32_t seq = next_seq(0);
	size_t len = 0;
	int error;

	error = pfkey_build_hdr_request(type, satype, seq, c->pid, buf,
	    sizeof(buf), &len);
	return send_buf(c, buf, sizeof(buf), error, len, seq);
}

int64_t
pfkey_send_getspi(struct pfkey_client *c, const struct pfkey_sa_params *p)
{
	return send_sa(c, T(GETSPI), p);
}

int64_t
pfkey_send_update(struct pfkey_client *c, const struct pfkey_sa_params *p)
{
	return send_sa(c, T(UPDATE), p);
}

int64_t
pfkey_send_add(struct pfkey_client *c, const struct pfkey_sa_params *p)
{
	return send_sa(c, T(ADD), p);
}

int64_t
pfkey_send_delete(struct pfkey_client *c, const struct pfkey_sa_params *p)
{
	return send_sa(c, T(DELETE), p);
}

int64_t
pfkey_send_get(struct pfkey_client *c, const struct pfkey_sa_params *p)
{
	return send_sa(c, T(GET), p);
}

int64_t
pfkey_send_register(struct pfkey_client *c, uint8_t satype)
{
	return send_hdr(c, T(REGISTER), satype);
}

int64_t
pfkey_send_flush(struct pfkey_client *c, uint8_t satype)
{
	return send_hdr(c, T(FLUSH), satype);
}

int64_t
pfkey_send_dump(struct pfkey_client *c, uint8_t satype)
{
	return send_hdr(c, T(DUMP), satype);
}

int64_t
pfkey_send_promisc(struct pfkey_client *c, int on)
{
	return send_hdr(c, T(X_PROMISC), on != 0 ? 1 : 0);
}

int64_t
pfkey_send_x_spdadd(struct pfkey_client *c, const struct pfkey_spd_params *p)
{
	return send_spd(c, T(X_SPDADD), p);
}

int64_t
pfkey_send_x_spdupdate(struct pfkey_client *c,
    const struct pfkey_spd_params *p)
{
	return send_spd(c, T(X_SPDUPDATE), p);
}

int64_t
pfkey_send_x_spddelete(struct pfkey_client *c,
    const struct pfkey_spd_params *p)
{
	return send_spd(c, T(X_SPDDELETE), p);
}

int64_t
pfkey_send_x_spddelete2(struct pfkey_client *c,
    const struct pfkey_spd_params *p)
{
	return send_spd(c, T(X_SPDDELETE2), p);
}

int64_t
pfkey_send_x_spdget(struct pfkey_client *c, const struct pfkey_spd_params *p)
{
	return send_spd(c, T(X_SPDGET), p);
}

int64_t
pfkey_send_x_spddump(struct pfkey_client *c)
{
	return send_hdr(c, T(X_SPDDUMP), T(SATYPE_UNSPEC));
}

int64_t
pfkey_send_x_spdflush(struct pfkey_client *c)
{
	return send_hdr(c, T(X_SPDFLUSH), T(SATYPE_UNSPEC));
}

/* ---- Receiving ---- */

int
pfkey_recv(struct pfkey_client *c, struct pfkey_reply *r)
{
	enum pfkey_reject why;
	ssize_t n;
	size_t len;

	memset(r, 0, sizeof(*r));
	n = recv(c->fd, c->rbuf, PFKEY_MSG_MAX_BYTES, MSG_TRUNC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET;	/* SEQPACKET: keyd closed */
	if ((size_t)n > PFKEY_MSG_MAX_BYTES)
		return -EMSGSIZE;
	len = (size_t)n;
	if (pfkey_msg_parse_reply(c->rbuf, len, &r->msg, &why) != 0 &&
	    pfkey_msg_parse(c->rbuf, len, &r->msg, &why) != 0) {
		memset(&r->msg, 0, sizeof(r->msg));
		return -EBADMSG;
	}
	r->type = r->msg.hdr.type;
	r->satype = r->msg.hdr.satype;
	r->msg_errno = r->msg.hdr.msg_errno;
	r->seq = r->msg.hdr.seq;
	r->pid = r->msg.hdr.pid;
	r->raw = c->rbuf;
	r->len_bytes = len;
	return 0;
}

int
pfkey_recv_reply(struct pfkey_client *c, uint32_t seq, struct pfkey_reply *r)
{
	int error;

	for (;;) {
		error = pfkey_recv(c, r);
		if (error == -EBADMSG || error == -EMSGSIZE)
			continue;
		if (error != 0)
			return error;
		if (r->seq == seq && r->pid == c->pid)
			return 0;
	}
}

/* ---- Raw extensions ---- */

int
pfkey_ext_next(struct pfkey_ext_iter *it, struct pfkey_ext *e)
{
	struct rd h = it->r;	/* a copy: the header is read, not consumed */
	uint16_t words, type;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (rd_empty(&it->r))
		return 0;
	if (rd_h16(&h, &words) != 0 || rd_h16(&h, &type) != 0 || words == 0)
		return -EBADMSG;
	len = (size_t)words * 8;
	if ((e->data = rd_peek(&it->r, len)) == NULL ||
	    rd_skip(&it->r, len) != 0) {
		e->data = NULL;
		return -EBADMSG;
	}
	e->type = type;
	e->len_bytes = len;
	return 1;
}

int
pfkey_ext_first(const struct pfkey_reply *rep, struct pfkey_ext_iter *it,
    struct pfkey_ext *e)
{
	memset(e, 0, sizeof(*e));
	rd_init(&it->r, rep->raw, rep->raw == NULL ? 0 : rep->len_bytes);
	if (rd_skip(&it->r, sizeof(struct pp_sadb_msg)) != 0) {
		rd_init(&it->r, NULL, 0);
		return -EBADMSG;
	}
	return pfkey_ext_next(it, e);
}
