/*
 * gso.c - software TCP segmentation and coalescing (see gso.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "gso.h"

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_CWR		0x80
#define TCP_HDR_MIN	20
#define IP4_HDR		20
#define IP6_HDR		40

/* ---- checksums ---- */

uint16_t
gso_csum(uint16_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = 0, w;
	uint32_t w4;
	uint16_t w2;

	/* The sum is byte-order independent up to a final swap (RFC 1071
	 * §2(B)): add native words, fold, then turn it into network order. */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		s += w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		s += w2;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint8_t b[2] = { p[0], 0 };

		memcpy(&w2, b, 2);
		s += w2;
	}
	while (s >> 16)
		s = (s & 0xffffu) + (s >> 16);
	w2 = ntohs((uint16_t)s);
	s = (uint32_t)sum + w2;
	while (s >> 16)
		s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* The TCP pseudo-header sum for l4len bytes of TCP (family 4 or 6). */
static uint16_t
pseudo_sum(const uint8_t *ip, uint16_t family, uint32_t l4len)
{
	uint8_t tail[8] = { 0 };

	if (family == 4) {
		tail[0] = 0;
		tail[1] = 6;
		tail[2] = (uint8_t)(l4len >> 8);
		tail[3] = (uint8_t)l4len;
		return gso_csum(gso_csum(0, ip + 12, 8), tail, 4);
	}
	tail[0] = (uint8_t)(l4len >> 24);
	tail[1] = (uint8_t)(l4len >> 16);
	tail[2] = (uint8_t)(l4len >> 8);
	tail[3] = (uint8_t)l4len;
	tail[7] = 6;
	return gso_csum(gso_csum(0, ip + 8, 32), tail, 8);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
ip4_fix_csum(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~gso_csum(0, ip, (size_t)(ip[0] & 0xf) * 4));
}

/*
 * The IP and TCP headers of ip[0, len): family, where TCP starts, where
 * the payload starts. 0, -EPROTONOSUPPORT or -EINVAL.
 */
static int
tcp_headers(const uint8_t *ip, size_t len, uint16_t *family,
    uint32_t *l4_off, uint32_t *hdr_len)
{
	size_t ihl, doff;

	if (len < IP4_HDR)
		return -EINVAL;
	switch (ip[0] >> 4) {
	case 4:
		ihl = (size_t)(ip[0] & 0xf) * 4;
		if (ihl < IP4_HDR || ihl > len)
			return -EINVAL;
		if (ip[9] != 6)
			return -EPROTONOSUPPORT;
		if ((get16(ip + 6) & 0x3fff) != 0)
			return -EINVAL;		/* a fragment */
		*family = 4;
		break;
	case 6:
		if (len < IP6_HDR)
			return -EINVAL;
		if (ip[6] != 6)
			return -EPROTONOSUPPORT;	/* extension headers */
		ihl = IP6_HDR;
		*family = 6;
		break;
	default:
		return -EINVAL;
	}
	if (ihl + TCP_HDR_MIN > len)
		return -EINVAL;
	doff = (size_t)(ip[ihl + 12] >> 4) * 4;
	if (doff < TCP_HDR_MIN || ihl + doff > len)
		return -EINVAL;
	*l4_off = (uint32_t)ihl;
	*hdr_len = (uint32_t)(ihl + doff);
	return 0;
}

/* ---- segmentation ---- */

int
gso_prepare(struct gso *g, const uint8_t *ip, size_t len,
    const struct link_vnet *v)
{
	uint8_t type = (uint8_t)(v->gso_type & ~GSO_T_ECN);
	int error;

	memset(g, 0, sizeof(*g));
	if (type != GSO_T_TCPV4 && type != GSO_T_TCPV6)
		return -EPROTONOSUPPORT;
	if (len > GRO_MAX_BYTES + IP6_HDR)
		return -EINVAL;
	if ((error = tcp_headers(ip, len, &g->family, &g->l4_off,
	    &g->hdr_len)) != 0)
		return error;
	if ((g->family == 4) != (type == GSO_T_TCPV4))
		return -EINVAL;
	if (v->gso_size == 0 || len <= g->hdr_len)
		return -EINVAL;
	g->mss = v->gso_size;
	g->payload = (uint32_t)(len - g->hdr_len);
	g->nsegs = (g->payload + g->mss - 1u) / g->mss;
	if (g->nsegs > GSO_SEGS_MAX)
		return -EINVAL;
	return 0;
}

int
gso_segment(const struct gso *g, const uint8_t *ip, uint32_t i, uint8_t *out,
    size_t cap, size_t *n)
{
	uint32_t start, chunk, l4len;
	uint8_t *tcp = out + g->l4_off;
	uint16_t sum;

	if (i >= g->nsegs)
		return -EINVAL;
	start = i * g->mss;
	chunk = g->payload - start < g->mss ? g->payload - start : g->mss;
	if ((size_t)g->hdr_len + chunk > cap)
		return -ENOSPC;
	memcpy(out, ip, g->hdr_len);
	memcpy(out + g->hdr_len, ip + g->hdr_len + start, chunk);
	*n = g->hdr_len + chunk;
	l4len = g->hdr_len - g->l4_off + chunk;
	if (g->family == 4) {
		put16(out + 2, (uint16_t)*n);
		put16(out + 4, (uint16_t)(get16(ip + 4) + i));
		ip4_fix_csum(out);
	} else {
		put16(out + 4, (uint16_t)(*n - IP6_HDR));
	}
	put32(tcp + 4, get32(ip + g->l4_off + 4) + start);
	if (i + 1 < g->nsegs)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		tcp[13] &= (uint8_t)~TCP_CWR;
	put16(tcp + 16, 0);
	sum = gso_csum(pseudo_sum(out, g->family, l4len), tcp, l4len);
	put16(tcp + 16, (uint16_t)~sum);
	return 0;
}

/* ---- coalescing ---- */

void
gro_init(struct gro *r, struct link_pkt *out, unsigned cap, uint8_t *arena,
    size_t arena_cap)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	r->cap = cap;
	r->arena = arena;
	r->arena_cap = arena_cap;
}

/* What a candidate segment is, from its own headers. */
struct seg {
	uint16_t	family;
	uint32_t	l4_off;		/* from the IP header */
	uint32_t	hdr_len;	/* from the IP header */
	uint32_t	iplen;		/* the datagram */
	uint32_t	payload;
	uint32_t	seq;
	uint8_t		flags;
};

/* A frame that could be merged: plain TCP with data, ACK or ACK|PSH
 * only, its checksums right. */
static bool
candidate(struct gro *r, const uint8_t *ip, size_t len, struct seg *s)
{
	uint16_t sum;

	if (tcp_headers(ip, len, &s->family, &s->l4_off, &s->hdr_len) != 0)
		return false;
	if (s->family == 4) {
		if (s->l4_off != IP4_HDR ||
		    gso_csum(0, ip, IP4_HDR) != 0xffff)
			return false;
		s->iplen = get16(ip + 2);
	} else {
		s->iplen = (uint32_t)get16(ip + 4) + IP6_HDR;
	}
	if (s->iplen > len || s->iplen <= s->hdr_len)
		return false;
	s->payload = s->iplen - s->hdr_len;
	s->flags = ip[s->l4_off + 13];
	if ((s->flags & (uint8_t)~TCP_PSH) != TCP_ACK)
		return false;
	s->seq = get32(ip + s->l4_off + 4);
	sum = gso_csum(pseudo_sum(ip, s->family, s->iplen - s->l4_off),
	    ip + s->l4_off, s->iplen - s->l4_off);
	if (sum != 0xffff) {
		r->bad_csum++;
		return false;
	}
	return true;
}

/* Fields that must agree: IPv4 tos, DF, ttl, protocol, addresses; IPv6
 * version/class/flow, next header, hop limit, addresses; TCP ports, ack,
 * data offset, window, urgent pointer, options. */
static bool
same_flow(const uint8_t *a, const uint8_t *b, const struct seg *s,
    size_t l3)
{
	const uint8_t *ia = a + l3, *ib = b + l3, *ta, *tb;

	if (memcmp(a, b, l3) != 0)
		return false;
	if (s->family == 4) {
		if (ia[1] != ib[1] || ia[6] != ib[6] ||
		    memcmp(ia + 8, ib + 8, 2) != 0 ||
		    memcmp(ia + 12, ib + 12, 8) != 0)
			return false;
	} else if (memcmp(ia, ib, 4) != 0 || memcmp(ia + 6, ib + 6, 34) != 0) {
		return false;
	}
	ta = ia + s->l4_off;
	tb = ib + s->l4_off;
	return memcmp(ta, tb, 4) == 0 &&
	    memcmp(ta + 14, tb + 14, 2) == 0 &&
	    memcmp(ta + 18, tb + 18, s->hdr_len - s->l4_off - 18) == 0 &&
	    get32(ta + 8) == get32(tb + 8);
}

/* The open superpacket's headers made right for what it holds. */
static void
seal(struct gro *r)
{
	struct link_pkt *q = &r->out[r->at];
	uint8_t *ip = q->data + r->l3, *tcp;
	uint32_t iplen = q->len - (uint32_t)r->l3, l4_off;

	r->open = false;
	if (r->segs < 2)
		return;
	l4_off = r->family == 4 ? IP4_HDR : IP6_HDR;
	tcp = ip + l4_off;
	if (r->family == 4) {
		put16(ip + 2, (uint16_t)iplen);
		ip4_fix_csum(ip);
	} else {
		put16(ip + 4, (uint16_t)(iplen - IP6_HDR));
	}
	/* CHECKSUM_PARTIAL: the pseudo-header sum, not inverted. */
	put16(tcp + 16, pseudo_sum(ip, r->family, iplen - l4_off));
	memset(&q->vnet, 0, sizeof(q->vnet));
	q->vnet.flags = GSO_F_NEEDS_CSUM;
	q->vnet.gso_type = r->family == 4 ? GSO_T_TCPV4 : GSO_T_TCPV6;
	q->vnet.gso_size = r->mss;
	q->vnet.hdr_len = (uint16_t)(r->l3 + r->hdr_len);
	q->vnet.csum_start = (uint16_t)(r->l3 + l4_off);
	q->vnet.csum_offset = 16;
}

/* Merge p (segment s) into the open superpacket; false if it may not. */
static bool
merge(struct gro *r, const struct link_pkt *p, size_t l3, const struct seg *s)
{
	struct link_pkt *q = &r->out[r->at];
	size_t need;

	if (!r->open || l3 != r->l3 || s->family != r->family ||
	    s->hdr_len != r->hdr_len || s->seq != r->next_seq ||
	    s->payload > r->mss ||
	    q->len - l3 + s->payload > GRO_MAX_BYTES ||
	    !same_flow(q->data, p->data, s, l3))
		return false;
	if (q->data < r->arena || q->data >= r->arena + r->arena_cap) {
		/* The first merge: the superpacket moves to the arena. */
		need = (size_t)l3 + GRO_MAX_BYTES;
		if (r->arena_cap - r->arena_used < need)
			return false;
		memcpy(r->arena + r->arena_used, q->data, q->len);
		q->data = r->arena + r->arena_used;
		q->cap = (uint32_t)need;
		r->arena_used += need;
	}
	memcpy(q->data + q->len, p->data + l3 + s->hdr_len, s->payload);
	q->len += s->payload;
	q->data[l3 + s->l4_off + 13] |= (uint8_t)(s->flags & TCP_PSH);
	r->next_seq = s->seq + s->payload;
	r->segs++;
	r->merged++;
	if ((s->flags & TCP_PSH) != 0 || s->payload < r->mss)
		seal(r);
	return true;
}

bool
gro_add(struct gro *r, const struct link_pkt *p, size_t l3)
{
	struct link_pkt *q;
	struct seg s;
	bool cand;

	cand = l3 < p->len &&
	    candidate(r, p->data + l3, p->len - l3, &s);
	if (cand && merge(r, p, l3, &s))
		return true;
	if (r->open)
		seal(r);
	if (r->n == r->cap)
		return false;
	q = &r->out[r->n];
	*q = *p;
	if (!cand || (s.flags & TCP_PSH) != 0) {
		r->n++;
		return true;
	}
	/* A new superpacket starts with this segment (copied on merge). */
	q->len = (uint32_t)(l3 + s.iplen);
	r->open = true;
	r->at = r->n++;
	r->l3 = l3;
	r->hdr_len = s.hdr_len;
	r->family = s.family;
	r->mss = (uint16_t)s.payload;
	r->next_seq = s.seq + s.payload;
	r->segs = 1;
	return true;
}

unsigned
gro_finish(struct gro *r)
{
	if (r->open)
		seal(r);
	return r->n;
}
