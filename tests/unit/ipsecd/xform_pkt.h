/*
 * xform_pkt.h - what the transform unit tests (test_esp.c, test_ah.c,
 * test_ip_hdr.c) share: random IPv4/IPv6 packets in a ring-like slot
 * (headroom 128, tailroom 64, as ipsecd's ring slots by default), and
 * SAs with random keys. Test code only; deterministic from prng.h.
 */
#ifndef PARAPET_TEST_XFORM_PKT_H
#define PARAPET_TEST_XFORM_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ip_hdr.h"
#include "prng.h"
#include "xform.h"

#define TP_HEAD		128
#define TP_TAIL		64
#define TP_MAXPKT	1500
#define TP_CAP		(TP_HEAD + TP_MAXPKT + TP_TAIL)

struct tpkt {
	uint8_t			buf[TP_CAP];
	struct xform_pkt	p;
};

static const uint8_t tp_v4_src[4] = { 10, 1, 0, 1 };
static const uint8_t tp_v4_dst[4] = { 10, 2, 0, 2 };
static const uint8_t tp_v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t tp_v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };

static inline void
tp_fill(uint64_t *rng, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(prng_next(rng) >> 56);
}

/* A transport header: UDP (with length) or TCP (20 bytes), checksum 0. */
static inline size_t
tp_l4(uint64_t *rng, uint8_t *p, uint8_t proto, size_t paylen)
{
	size_t hl = proto == IPPROTO_NUM_TCP ? 20 : 8;

	tp_fill(rng, p, hl + paylen);
	if (proto == IPPROTO_NUM_UDP) {
		p[4] = (uint8_t)((hl + paylen) >> 8);
		p[5] = (uint8_t)(hl + paylen);
	} else if (proto == IPPROTO_NUM_TCP)
		p[12] = 0x50;
	return hl + paylen;
}

/* Store the TCP/UDP checksum of a parsed packet (for NAT-OA tests). */
static inline void
tp_l4_csum(uint8_t *pkt, size_t len)
{
	struct ip_info in;
	enum xform_reject why;
	size_t coff;
	uint16_t c;

	if (ip_hdr_parse(pkt, len, IP_WALK_ALL, &in, &why) != 0)
		return;
	coff = in.proto == IPPROTO_NUM_TCP ? 16 : 6;
	pkt[in.l3_len + coff] = pkt[in.l3_len + coff + 1] = 0;
	c = ip_l4_csum(&in, in.proto, pkt + in.l3_len, in.tot_len - in.l3_len);
	pkt[in.l3_len + coff] = (uint8_t)(c >> 8);
	pkt[in.l3_len + coff + 1] = (uint8_t)c;
}

/*
 * IPv4: optional options (router alert, NOP, record route: 16 bytes),
 * random TOS, DF, ID and TTL.
 */
static inline size_t
tp_v4(uint64_t *rng, uint8_t *p, uint8_t proto, size_t paylen, bool opts)
{
	size_t hl = opts ? 36 : 20, n;

	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = (uint8_t)prng_next(rng);
	p[4] = (uint8_t)prng_next(rng);
	p[5] = (uint8_t)prng_next(rng);
	p[6] = (prng_next(rng) & 1) ? 0x40 : 0;
	p[8] = (uint8_t)(1 + prng_below(rng, 255));
	p[9] = proto;
	memcpy(p + 12, tp_v4_src, 4);
	memcpy(p + 16, tp_v4_dst, 4);
	if (opts) {
		static const uint8_t o[16] = { 148, 4, 0, 0, 1, 7, 11, 4,
			10, 9, 9, 9, 0, 0, 0, 0 };

		memcpy(p + 20, o, sizeof(o));
	}
	n = tp_l4(rng, p + hl, proto, paylen);
	ip_len_set(p, 4, hl, hl + n);
	return hl + n;
}

/*
 * IPv6; ext 1: hop-by-hop (router alert, a mutable option) and
 * destination options (mutable option); ext 2: also a type 0 routing
 * header with two addresses and segments left 0.
 */
static inline size_t
tp_v6(uint64_t *rng, uint8_t *p, uint8_t proto, size_t paylen, int ext)
{
	size_t off = IP6_HDR_BYTES, n;

	memset(p, 0, IP6_HDR_BYTES);
	p[0] = (uint8_t)(0x60 | (prng_next(rng) & 0x0f));
	p[1] = (uint8_t)prng_next(rng);
	p[2] = (uint8_t)prng_next(rng);
	p[3] = (uint8_t)prng_next(rng);
	p[7] = (uint8_t)(1 + prng_below(rng, 255));
	memcpy(p + 8, tp_v6_src, 16);
	memcpy(p + 24, tp_v6_dst, 16);
	p[6] = proto;
	if (ext >= 1) {
		/* HBH: RA (05 02 00 00), 3e 02 'a' 'b', PadN 01 04 0000 0000 */
		static const uint8_t hbh[16] = { 0, 1, 5, 2, 0, 0, 0x3e, 2,
			'a', 'b', 1, 4, 0, 0, 0, 0 };
		/* DST: 3f 04 'xyzw' */
		static const uint8_t dst[8] = { 0, 0, 0x3f, 4, 'x', 'y', 'z',
			'w' };

		memcpy(p + off, hbh, sizeof(hbh));
		p[6] = IPPROTO_NUM_HOPOPTS;
		p[off] = IPPROTO_NUM_DSTOPTS;
		off += sizeof(hbh);
		memcpy(p + off, dst, sizeof(dst));
		p[off] = ext >= 2 ? IPPROTO_NUM_ROUTING : proto;
		off += sizeof(dst);
	}
	if (ext >= 2) {
		memset(p + off, 0, 40);
		p[off] = proto;
		p[off + 1] = 4;
		p[off + 2] = 0;		/* type 0 */
		p[off + 3] = 0;		/* segments left */
		memcpy(p + off + 8, tp_v6_src, 16);
		p[off + 8 + 15] = 0x77;
		memcpy(p + off + 24, tp_v6_src, 16);
		p[off + 24 + 15] = 0x78;
		off += 40;
	}
	n = tp_l4(rng, p + off, proto, paylen);
	ip_len_set(p, 6, IP6_HDR_BYTES, off + n);
	return off + n;
}

static inline void
tp_init(struct tpkt *t, size_t len)
{
	t->p.buf = t->buf;
	t->p.cap = TP_HEAD + len + TP_TAIL;
	t->p.off = TP_HEAD;
	t->p.len = len;
}

/* Key bytes for alg; random. NULL encryption has none. */
static inline struct xform_key *
tp_key(uint64_t *rng, enum xform_alg alg)
{
	const struct xform *xf = xform_get(alg);
	uint8_t k[128];
	struct xform_key *key = NULL;

	if (xf == NULL)
		return NULL;
	tp_fill(rng, k, xf->key_bytes);
	if (xform_key_new(alg, k, xf->key_bytes, &key) != 0)
		return NULL;
	return key;
}

static inline void
tp_sa(struct xform_sa *sa, uint64_t *rng, uint8_t proto, enum xform_alg enc,
    enum xform_alg auth, uint8_t mode, uint16_t flags, uint8_t tfam)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = (uint32_t)(0x100 + prng_below(rng, 0xfffff000u));
	sa->proto = proto;
	sa->mode = mode;
	sa->flags = flags;
	sa->ah_cleartos = 1;
	sa->enc = enc != XFORM_ALG_NONE ? tp_key(rng, enc) : NULL;
	sa->auth = auth != XFORM_ALG_NONE ? tp_key(rng, auth) : NULL;
	if (flags & XFORM_SA_NATT) {
		sa->natt_sport = NATT_PORT;
		sa->natt_dport = NATT_PORT;
	}
	if (tfam == 4) {
		static const uint8_t s[4] = { 192, 0, 2, 1 }, d[4] = { 198,
			51, 100, 2 };

		sa->tun_src.family = sa->tun_dst.family = 4;
		memcpy(sa->tun_src.a, s, 4);
		memcpy(sa->tun_dst.a, d, 4);
	} else if (tfam == 6) {
		sa->tun_src.family = sa->tun_dst.family = 6;
		memcpy(sa->tun_src.a, tp_v6_src, 16);
		memcpy(sa->tun_dst.a, tp_v6_dst, 16);
		sa->tun_src.a[6] = sa->tun_dst.a[6] = 0xff;
	}
}

/* The SA borrows its keys; the tests own them (as deconst() in util.h). */
static inline struct xform_key *
tp_key_owned(const struct xform_key *k)
{
	union {
		const struct xform_key	*c;
		struct xform_key	*m;
	} u = { .c = k };

	return u.m;
}

static inline void
tp_sa_free(struct xform_sa *sa)
{
	xform_key_free(tp_key_owned(sa->enc));
	xform_key_free(tp_key_owned(sa->auth));
	sa->enc = sa->auth = NULL;
}

#endif
