/*
 * selector.c - SPD entries and selectors on their own: validation, the
 * canonical form, the naive match, and entries from parsed PF_KEY
 * messages (X_SPDADD, X_SPDUPDATE, X_SPDDELETE: the address extensions
 * become the selector, X_POLICY the direction, priority, action and
 * requests).
 *
 * Entries are peer input; spd_entry_valid() is the check spd_add() runs.
 * A PF_KEY view has passed pfkey_msg_parse() (sizes, families, prefixes,
 * request count and fields); what that leaves to the SPD (which actions
 * an SPD entry may have) is checked here. No I/O.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ipsec_policy.h"
#include "pfkey_msg.h"
#include "spd.h"

static unsigned int
addr_bits(uint16_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

static bool
family_ok(uint16_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static bool
ports_match(const struct spd_sel *s, uint8_t proto, uint16_t sport,
    uint16_t dport)
{
	return (s->proto == SPD_PROTO_ANY || s->proto == proto) &&
	    (s->sport == SPD_PORT_ANY || s->sport == sport) &&
	    (s->dport == SPD_PORT_ANY || s->dport == dport);
}

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int n = plen / 8;

	if (memcmp(a, b, n) != 0)
		return false;
	if (plen % 8 == 0)
		return true;
	return ((a[n] ^ b[n]) & (0xff00u >> (plen % 8))) == 0;
}

bool
spd_sel_match(const struct spd_sel *s, const struct spd_pkt *p)
{
	return s->family == p->family &&
	    prefix_match(s->src, p->src, s->src_plen) &&
	    prefix_match(s->dst, p->dst, s->dst_plen) &&
	    ports_match(s, p->proto, p->sport, p->dport);
}

static int
req_valid(const struct spd_req *r)
{
	if (r->proto != IPPROTO_ESP && r->proto != IPPROTO_AH &&
	    r->proto != IPPROTO_COMP)
		return -EINVAL;
	if (r->mode != PARAPET_IPSEC_MODE_TRANSPORT &&
	    r->mode != PARAPET_IPSEC_MODE_TUNNEL)
		return -EINVAL;
	if (r->level > PARAPET_IPSEC_LEVEL_UNIQUE)
		return -EINVAL;
	if (r->mode == PARAPET_IPSEC_MODE_TUNNEL && !family_ok(r->family))
		return -EINVAL;
	if (r->family != 0 && !family_ok(r->family))
		return -EINVAL;
	return 0;
}

int
spd_entry_valid(const struct spd_entry *e)
{
	size_t i;
	int error;

	if (!family_ok(e->sel.family) ||
	    e->sel.src_plen > addr_bits(e->sel.family) ||
	    e->sel.dst_plen > addr_bits(e->sel.family))
		return -EINVAL;
	if (e->dir < SPD_DIR_IN || e->dir > SPD_DIR_FWD)
		return -EINVAL;
	if (e->action > SPD_ACTION_IPSEC)
		return -EINVAL;
	if (e->nreqs > SPD_MAX_REQS)
		return -ELOOP;
	if (e->nreqs != 0 && e->action != SPD_ACTION_IPSEC)
		return -EINVAL;
	for (i = 0; i < e->nreqs; i++)
		if ((error = req_valid(&e->req[i])) != 0)
			return error;
	return 0;
}

static void
mask_addr(uint8_t a[16], unsigned int plen)
{
	unsigned int i = plen / 8;

	if (i < 16)
		a[i] &= (uint8_t)(0xff00u >> (plen % 8));
	for (i++; i < 16; i++)
		a[i] = 0;
}

void
spd_sel_canon(struct spd_sel *s)
{
	mask_addr(s->src, s->src_plen);
	mask_addr(s->dst, s->dst_plen);
}

void
spd_entry_canon(struct spd_entry *e)
{
	size_t i;

	spd_sel_canon(&e->sel);
	for (i = 0; i < SPD_MAX_REQS; i++) {
		struct spd_req *r = &e->req[i];

		if (i >= e->nreqs) {
			memset(r, 0, sizeof(*r));
			continue;
		}
		/* Linux keeps a reqid only for unique (pfkey). */
		if (r->level != PARAPET_IPSEC_LEVEL_UNIQUE)
			r->reqid = 0;
		if (r->family == 0) {
			memset(r->tsrc, 0, sizeof(r->tsrc));
			memset(r->tdst, 0, sizeof(r->tdst));
		} else if (r->family == AF_INET) {
			memset(r->tsrc + 4, 0, 12);
			memset(r->tdst + 4, 0, 12);
		}
	}
}


static void
endpoint(const struct pfkey_sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	memcpy(out, sa->addr, sa->family == AF_INET6 ? 16 : 4);
}

int
spd_entry_from_pfkey(const struct pfkey_msg *m, struct spd_entry *e)
{
	const struct pfkey_policy *pol = &m->policy;
	size_t i;

	if (!pfkey_msg_has(m, PARAPET_SADB_EXT_ADDRESS_SRC) ||
	    !pfkey_msg_has(m, PARAPET_SADB_EXT_ADDRESS_DST) ||
	    !pfkey_msg_has(m, PARAPET_SADB_X_EXT_POLICY))
		return -EINVAL;
	if (m->src.sa.family != m->dst.sa.family)
		return -EINVAL;
	/* Linux pfkey: entrust and bypass are per-socket only. */
	if (pol->type > PARAPET_IPSEC_POLICY_IPSEC)
		return -EINVAL;
	if (pol->nreqs > SPD_MAX_REQS)
		return -ELOOP;
	memset(e, 0, sizeof(*e));
	e->sel.family = m->src.sa.family;
	e->sel.src_plen = m->src.prefixlen;
	e->sel.dst_plen = m->dst.prefixlen;
	/*
	 * 255 is "any" (IPSEC_ULPROTO_ANY). Linux maps it to xfrm's 0, which
	 * also means any, so a selector sent with 0 is "any" there too.
	 * KAME clients put the protocol in both addresses; Linux
	 * pfkey_spdadd() reads both and the destination's wins.
	 */
	e->sel.proto = m->dst.proto == 0 ? SPD_PROTO_ANY : m->dst.proto;
	e->sel.sport = m->src.sa.port;	/* ICMP: type */
	e->sel.dport = m->dst.sa.port;	/* ICMP: code */
	endpoint(&m->src.sa, e->sel.src);
	endpoint(&m->dst.sa, e->sel.dst);
	e->dir = pol->dir;
	e->priority = pol->priority;
	e->action = (uint8_t)pol->type;
	e->nreqs = pol->type == PARAPET_IPSEC_POLICY_IPSEC ? pol->nreqs : 0;
	for (i = 0; i < e->nreqs; i++) {
		const struct pfkey_ipsecreq *q = &pol->req[i];
		struct spd_req *r = &e->req[i];

		r->proto = (uint8_t)q->proto;
		r->mode = q->mode;
		r->level = q->level;
		r->reqid = q->reqid;
		if (q->has_addrs) {
			r->family = q->src.family;
			endpoint(&q->src, r->tsrc);
			endpoint(&q->dst, r->tdst);
		}
	}
	return spd_entry_valid(e);
}
