/*
 * fuzz_sockpol.c - libFuzzer target for policyd's per-socket policy
 * endpoint (servers/policyd/sockpol.c): the request parser, and what an
 * accepted request does to the registry.
 *
 * The input is a run of requests, each preceded by one length octet
 * (so a seed holds a session: set, bind, delete...); the first octet
 * of the input picks the peer's uid (odd: root). Each request is copied
 * to a buffer of exactly its size (ASan sees overreads) and parsed; an
 * accepted one is applied as sockpol_srv.c does (privilege rule, set,
 * bind, del, dump), and then:
 *  - a rejection names a reason with a negative errno, and nothing is
 *    accepted that breaks the registry's rules (direction in/out, type
 *    up to bypass, requests only with ipsec, at most 6);
 *  - bypass is never registered for a uid other than 0;
 *  - a lookup with a packet made of the request's selector finds a
 *    registration of that direction whose selector covers the packet.
 * Any other outcome aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockpol.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_db(const struct sockpol_db *db)
{
	const struct sockpol_ent *e;
	size_t i;

	for (i = 0; (e = sockpol_at(db, i)) != NULL; i++) {
		if ((e->pol.dir != SPD_DIR_IN && e->pol.dir != SPD_DIR_OUT) ||
		    e->pol.type > SOCKPOL_T_BYPASS ||
		    e->pol.nreqs > SPD_MAX_REQS ||
		    (e->pol.type != SOCKPOL_T_IPSEC && e->pol.nreqs != 0) ||
		    (e->pol.type == SOCKPOL_T_IPSEC && e->pol.nreqs == 0) ||
		    (e->pol.type == SOCKPOL_T_BYPASS && e->uid != 0) ||
		    (e->id & 7) != 3u + e->pol.dir - 1)
			abort();
	}
	if (i != sockpol_count(db))
		abort();
}

/* A packet the selector covers, in direction dir. */
static void
covered(const struct sockpol_sel *s, uint8_t dir, struct spd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = s->family;
	p->proto = s->proto;
	if (dir == SPD_DIR_OUT) {
		memcpy(p->src, s->laddr, 16);
		memcpy(p->dst, s->raddr, 16);
		p->sport = s->lport;
		p->dport = s->rport;
	} else {
		memcpy(p->dst, s->laddr, 16);
		memcpy(p->src, s->raddr, 16);
		p->dport = s->lport;
		p->sport = s->rport;
	}
}

static void
apply(struct sockpol_db *db, const struct sockpol_req *rq, uint32_t uid)
{
	static uint8_t out[SOCKPOL_DUMP_REPLY_MAX];
	const struct sockpol_ent *e;
	struct spd_pkt p;
	int error = 0;

	switch (rq->op) {
	case SOCKPOL_OP_SET:
		if ((error = sockpol_priv_check(&rq->pol, uid)) == 0)
			error = sockpol_set(db, 1, 1, uid, rq->sock, &rq->sel,
			    &rq->pol, NULL);
		if (error == 0) {
			covered(&rq->sel, rq->pol.dir, &p);
			if ((e = sockpol_lookup(db, rq->pol.dir, &p)) == NULL ||
			    !sockpol_sel_match(&e->sel, rq->pol.dir, &p))
				abort();
		} else if (error != -EACCES)
			abort();
		break;
	case SOCKPOL_OP_BIND:
		error = sockpol_bind(db, 1, rq->sock, &rq->sel);
		if (error != 0 && error != -ENOENT)
			abort();
		break;
	case SOCKPOL_OP_DEL:
		(void)sockpol_del(db, 1, rq->sock, rq->dir);
		if (rq->dir != 0 && sockpol_get(db, 1, rq->sock, rq->dir))
			abort();
		break;
	default:
		if (sockpol_dump(db, uid, out, sizeof(out)) > sockpol_count(db))
			abort();
		break;
	}
	check_db(db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockpol_db *db;
	struct sockpol_req rq;
	enum sockpol_reject why;
	uint32_t uid;
	size_t off, n;
	uint8_t *copy;
	int e;

	if (size == 0)
		return 0;
	uid = (data[0] & 1) ? 0 : 1000;
	if (sockpol_create(&db, NULL) != 0)
		abort();
	for (off = 1; off < size; off += n) {
		n = data[off++];
		if (n > size - off)
			n = size - off;
		if ((copy = malloc(n == 0 ? 1 : n)) == NULL)
			abort();
		memcpy(copy, data + off, n);
		e = sockpol_req_parse(copy, n, &rq, &why);
		free(copy);
		if (e > 0 || (e == 0) != (why == SOCKPOL_R_OK) ||
		    (unsigned int)why >= SOCKPOL_R_COUNT)
			abort();
		if (e == 0)
			apply(db, &rq, uid);
	}
	(void)sockpol_drop_conn(db, 1);
	if (sockpol_count(db) != 0)
		abort();
	sockpol_destroy(db);
	return 0;
}
