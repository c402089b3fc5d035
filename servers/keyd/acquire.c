/*
 * acquire.c - keyd's table of outstanding ACQUIREs (acquire.h): a
 * bounded array, since few are outstanding at a time; entries are kept
 * dense (the last one moves into a hole).
 *
 * Untrusted input: the values of an AcquireRequest (validated on the bus)
 * and the seq of a key manager's reply (any value).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acquire.h"

struct acquire_table {
	struct acquire	*v;
	size_t		 n;
	size_t		 max;
	uint32_t	 timeout_ms;
	uint32_t	 last_seq;
};

int
acquire_table_create(struct acquire_table **out,
    const struct acquire_limits *lim)
{
	struct acquire_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->max = lim != NULL && lim->max != 0 ? lim->max : ACQUIRE_MAX_DEFAULT;
	t->timeout_ms = lim != NULL && lim->timeout_ms != 0 ?
	    lim->timeout_ms : ACQUIRE_TIMEOUT_MS;
	if ((t->v = calloc(t->max, sizeof(*t->v))) == NULL) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
acquire_table_destroy(struct acquire_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

static size_t
addr_len(uint16_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool
addr_eq(const struct pfkey_sockaddr *a, const struct pfkey_sockaddr *b)
{
	return a->family == b->family &&
	    memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

static struct acquire *
find(const struct acquire_table *t, uint32_t seq)
{
	size_t i;

	if (seq == 0)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->v[i].seq == seq)
			return &t->v[i];
	return NULL;
}

/* The next seq: non-zero, not outstanding (Linux get_acqseq()). */
static uint32_t
next_seq(struct acquire_table *t)
{
	do {
		t->last_seq++;
	} while (t->last_seq == 0 || find(t, t->last_seq) != NULL);
	return t->last_seq;
}

static uint64_t
deadline(const struct acquire_table *t, uint64_t now_ms)
{
	return now_ms > UINT64_MAX - t->timeout_ms ? UINT64_MAX :
	    now_ms + t->timeout_ms;
}

int
acquire_start(struct acquire_table *t, const struct acquire *req,
    uint64_t now_ms, const struct acquire **out)
{
	struct acquire *a;
	size_t i;

	*out = NULL;
	if ((req->satype != PARAPET_SADB_SATYPE_AH &&
	    req->satype != PARAPET_SADB_SATYPE_ESP) ||
	    req->src.family != req->dst.family ||
	    (req->src.family != AF_INET &&
	    req->src.family != AF_INET6))
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		if (t->v[i].policy_id == req->policy_id &&
		    t->v[i].reqid == req->reqid) {
			*out = &t->v[i];
			return -EALREADY;
		}
	}
	if (t->n >= t->max)
		return -ENOBUFS;
	a = &t->v[t->n];
	*a = *req;
	a->seq = next_seq(t);
	a->deadline_ms = deadline(t, now_ms);
	t->n++;
	*out = a;
	return 0;
}

const struct acquire *
acquire_find(const struct acquire_table *t, uint32_t seq)
{
	return find(t, seq);
}

int
acquire_touch(struct acquire_table *t, uint32_t seq, uint64_t now_ms)
{
	struct acquire *a;

	if ((a = find(t, seq)) == NULL)
		return -ENOENT;
	a->deadline_ms = deadline(t, now_ms);
	return 0;
}

/* Remove entry a (a pointer into t->v): the last one moves into it. */
static void
drop(struct acquire_table *t, struct acquire *a)
{
	struct acquire *last = &t->v[t->n - 1];

	if (a != last)
		*a = *last;
	memset(last, 0, sizeof(*last));
	t->n--;
}

int
acquire_end(struct acquire_table *t, uint32_t seq, struct acquire *out)
{
	struct acquire *a;

	if ((a = find(t, seq)) == NULL)
		return -ENOENT;
	if (out != NULL)
		*out = *a;
	drop(t, a);
	return 0;
}

size_t
acquire_end_matching(struct acquire_table *t, uint8_t satype,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst,
    uint32_t reqid, void (*done)(const struct acquire *, void *), void *arg)
{
	struct acquire *a;
	size_t i = 0, n = 0;

	while (i < t->n) {
		a = &t->v[i];
		if (a->satype == satype && addr_eq(&a->src, src) &&
		    addr_eq(&a->dst, dst) &&
		    (reqid == 0 || a->reqid == 0 || a->reqid == reqid)) {
			if (done != NULL)
				done(a, arg);
			drop(t, a);	/* v[i] is now another entry */
			n++;
		} else
			i++;
	}
	return n;
}

uint64_t
acquire_next_deadline(const struct acquire_table *t)
{
	uint64_t when = UINT64_MAX;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].deadline_ms < when)
			when = t->v[i].deadline_ms;
	return when;
}

size_t
acquire_expire(struct acquire_table *t, uint64_t now_ms,
    void (*done)(const struct acquire *, void *), void *arg)
{
	size_t i = 0, n = 0;

	while (i < t->n) {
		if (t->v[i].deadline_ms <= now_ms) {
			if (done != NULL)
				done(&t->v[i], arg);
			drop(t, &t->v[i]);
			n++;
		} else
			i++;
	}
	return n;
}

size_t
acquire_count(const struct acquire_table *t)
{
	return t->n;
}
