/*
 * ip_hdr.c - IPv4/IPv6 header validation, extension-header walk,
 * checksums, ECN and tunnel outer headers (see ip_hdr.h).
 *
 * Untrusted input: the packets given to ip_hdr_parse(), read only through
 * the rd cursor.
 */
#include <errno.h>
#include <string.h>

#include "ip_hdr.h"
#include "rd.h"

uint32_t
ip_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i = 0;

	/* 32-bit big-endian words into a 64-bit sum, then the rest. */
	for (; i + 4 <= n; i += 4)
		s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
		    (uint32_t)p[i + 2] << 8 | p[i + 3];
	for (; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	/* Folded to 16 bits, so callers may add a few more words. */
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
ip_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
ip_csum_replace(uint16_t csum, const uint8_t *old, const uint8_t *new,
    size_t n)
{
	uint32_t sum = (uint16_t)~csum;
	size_t i;

	/* RFC 1624: HC' = ~(~HC + ~m + m'). */
	for (i = 0; i + 1 < n; i += 2) {
		sum += (uint16_t)~((uint32_t)old[i] << 8 | old[i + 1]);
		sum += (uint32_t)new[i] << 8 | new[i + 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return ip_csum_fold(sum);
}

uint16_t
ip_l4_csum(const struct ip_info *ip, uint8_t proto, const uint8_t *l4,
    size_t n)
{
	size_t alen = ip->version == 4 ? 4 : 16;
	uint32_t sum;

	sum = ip_csum_add(0, ip->src.a, alen);
	sum = ip_csum_add(sum, ip->dst.a, alen);
	sum += proto;
	sum += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff);
	sum = ip_csum_add(sum, l4, n);
	return ip_csum_fold(sum);
}

void
ip4_csum_set(uint8_t *hdr, size_t hlen)
{
	uint16_t c;

	hdr[10] = 0;
	hdr[11] = 0;
	c = ip_csum_fold(ip_csum_add(0, hdr, hlen));
	hdr[10] = (uint8_t)(c >> 8);
	hdr[11] = (uint8_t)c;
}

void
ip_len_set(uint8_t *hdr, uint8_t version, size_t hlen, size_t tot_len)
{
	if (version == 4) {
		hdr[2] = (uint8_t)(tot_len >> 8);
		hdr[3] = (uint8_t)tot_len;
		ip4_csum_set(hdr, hlen);
	} else {
		size_t plen = tot_len - IP6_HDR_BYTES;

		hdr[4] = (uint8_t)(plen >> 8);
		hdr[5] = (uint8_t)plen;
	}
}

void
ip_len_update(uint8_t *hdr, uint8_t version, size_t tot_len)
{
	if (version == 4) {
		uint8_t old[2] = { hdr[2], hdr[3] };
		uint16_t c = (uint16_t)(hdr[10] << 8 | hdr[11]);

		hdr[2] = (uint8_t)(tot_len >> 8);
		hdr[3] = (uint8_t)tot_len;
		/* RFC 1624: the rest of the header is unchanged. */
		c = ip_csum_replace(c, old, hdr + 2, 2);
		hdr[10] = (uint8_t)(c >> 8);
		hdr[11] = (uint8_t)c;
	} else
		ip_len_set(hdr, version, IP6_HDR_BYTES, tot_len);
}

void
ip_nh_set(uint8_t *hdr, uint8_t version, size_t nh_off, uint8_t v)
{
	if (version == 4)
		ip4_byte_set(hdr, nh_off, v);
	else
		hdr[nh_off] = v;
}

/* Set the byte at off of an IPv4 header, updating its checksum. */
void
ip4_byte_set(uint8_t *hdr, size_t off, uint8_t v)
{
	uint8_t old[2] = { hdr[off & ~(size_t)1], hdr[off | 1] };
	uint16_t c = (uint16_t)(hdr[10] << 8 | hdr[11]);

	hdr[off] = v;
	c = ip_csum_replace(c, old, hdr + (off & ~(size_t)1), 2);
	hdr[10] = (uint8_t)(c >> 8);
	hdr[11] = (uint8_t)c;
}

static int
parse4(struct rd *r, size_t len, struct ip_info *in, enum xform_reject *why)
{
	const uint8_t *h;
	size_t hlen, tot;
	uint16_t frag;

	/* The fixed header through one bounded view (20 bytes vouched). */
	if ((h = rd_peek(r, IP4_HDR_BYTES)) == NULL)
		return xform_fail(why, XFORM_REJECT_IP_SHORT);
	hlen = (size_t)(h[0] & 0x0f) * 4;
	if (hlen < IP4_HDR_BYTES || hlen > len)
		return xform_fail(why, XFORM_REJECT_IP_HLEN);
	tot = (size_t)h[2] << 8 | h[3];
	if (tot < hlen || tot > len)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	if (ip_csum_fold(ip_csum_add(0, h, hlen)) != 0)
		return xform_fail(why, XFORM_REJECT_IP_CSUM);
	frag = (uint16_t)(h[6] << 8 | h[7]);
	if ((frag & 0x3fff) != 0)	/* MF or an offset */
		return xform_fail(why, XFORM_REJECT_IP_FRAGMENT);
	in->version = 4;
	in->src.family = in->dst.family = 4;
	/* The rest of the 16 bytes zero: callers compare whole addresses. */
	memset(in->src.a, 0, sizeof(in->src.a));
	memset(in->dst.a, 0, sizeof(in->dst.a));
	memcpy(in->src.a, h + 12, 4);
	memcpy(in->dst.a, h + 16, 4);
	in->tos = h[1];
	in->ttl = h[8];
	in->df = (frag & 0x4000) != 0;
	in->proto = h[9];
	in->hlen = in->l3_len = hlen;
	in->nh_off = 9;
	in->tot_len = tot;
	return 0;
}

static bool
is_ext(uint8_t nh)
{
	return nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_ROUTING ||
	    nh == IPPROTO_NUM_FRAGMENT || nh == IPPROTO_NUM_DSTOPTS;
}

/*
 * One extension header of the walk at the cursor: its length into *elen,
 * the next header into *next. Fragments other than atomic are rejected.
 */
static int
ext_one(struct rd *pay, uint8_t nh, uint8_t *next, size_t *elen,
    enum xform_reject *why)
{
	const uint8_t *e;

	if ((e = rd_peek(pay, 2)) == NULL)
		return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
	*next = e[0];
	*elen = nh == IPPROTO_NUM_FRAGMENT ? 8 : ((size_t)e[1] + 1) * 8;
	if ((e = rd_peek(pay, *elen)) == NULL)
		return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
	if (nh == IPPROTO_NUM_FRAGMENT && ((e[2] << 8 | e[3]) & 0xfff9) != 0)
		return xform_fail(why, XFORM_REJECT_IP_FRAGMENT);
	if (rd_skip(pay, *elen) != 0)
		return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
	return 0;
}

static int
parse6(struct rd *r, size_t len, enum ip_walk walk, struct ip_info *in,
    enum xform_reject *why)
{
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh, hlim;
	size_t off, nh_off;
	bool seen_rt = false;
	struct rd pay;
	int error;

	if (rd_be32(r, &vtcfl) != 0 || rd_be16(r, &plen) != 0 ||
	    rd_u8(r, &nh) != 0 || rd_u8(r, &hlim) != 0 ||
	    rd_bytes(r, in->src.a, 16) != 0 || rd_bytes(r, in->dst.a, 16) != 0)
		return xform_fail(why, XFORM_REJECT_IP_SHORT);
	/* Payload length 0 is a jumbogram (RFC 2675): not on our links. */
	if (plen == 0 && nh != IPPROTO_NUM_NONE)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	if ((size_t)plen + IP6_HDR_BYTES > len || rd_sub(r, plen, &pay) != 0)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	in->version = 6;
	in->src.family = in->dst.family = 6;
	in->tos = (uint8_t)(vtcfl >> 20);
	in->ttl = hlim;
	in->df = false;
	in->hlen = IP6_HDR_BYTES;
	in->tot_len = (size_t)plen + IP6_HDR_BYTES;
	off = IP6_HDR_BYTES;
	nh_off = 6;
	while (is_ext(nh)) {
		uint8_t next = 0;
		size_t elen = 0;

		/* RFC 8200 §4.3: hop-by-hop only first. */
		if (nh == IPPROTO_NUM_HOPOPTS && off != IP6_HDR_BYTES)
			return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
		if (walk == IP_WALK_INSERT && nh == IPPROTO_NUM_DSTOPTS &&
		    seen_rt)
			break;
		if ((error = ext_one(&pay, nh, &next, &elen, why)) != 0)
			return error;
		seen_rt = seen_rt || nh == IPPROTO_NUM_ROUTING;
		nh_off = off;
		off += elen;
		nh = next;
	}
	in->proto = nh;
	in->l3_len = off;
	in->nh_off = nh_off;
	return 0;
}

int
ip_hdr_parse(const uint8_t *p, size_t len, enum ip_walk walk,
    struct ip_info *info, enum xform_reject *why)
{
	struct rd r;
	const uint8_t *v;

	*why = XFORM_REJECT_NONE;
	/* Every field is written on success (no memset on the fast path). */
	rd_init(&r, p, len);
	if ((v = rd_peek(&r, 1)) == NULL)
		return xform_fail(why, XFORM_REJECT_IP_SHORT);
	switch (v[0] >> 4) {
	case 4:
		return parse4(&r, len, info, why);
	case 6:
		return parse6(&r, len, walk, info, why);
	default:
		return xform_fail(why, XFORM_REJECT_IP_VERSION);
	}
}

int
ip_hdr_parse_pkt(const struct xform_pkt *pkt, const uint8_t **p,
    struct ip_info *ip, enum xform_reject *why)
{
	if (pkt->off > pkt->cap || pkt->len > pkt->cap - pkt->off)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	*p = pkt->buf + pkt->off;
	return ip_hdr_parse(*p, pkt->len, IP_WALK_ALL, ip, why);
}

uint8_t
ip_ecn_encap(uint8_t inner_tos, bool ecn)
{
	/* RFC 6040 §4.1 normal mode copies; compatibility mode: Not-ECT. */
	return ecn ? (uint8_t)(inner_tos & 3) : 0;
}

int
ip_ecn_decap(uint8_t outer_tos, uint8_t inner_tos)
{
	/* RFC 6040 Figure 4: rows inner, columns outer. -1: drop. */
	static const int8_t table[4][4] = {
		/* Not-ECT ECT(0) ECT(1) CE */
		{ 0, 0, 0, -1 },	/* inner Not-ECT */
		{ 2, 2, 1, 3 },		/* inner ECT(0) (value 2) */
		{ 1, 1, 1, 3 },		/* inner ECT(1) (value 1) */
		{ 3, 3, 3, 3 },		/* inner CE */
	};
	/* ECN codepoints: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE. */
	static const uint8_t row[4] = { 0, 2, 1, 3 };
	static const uint8_t col[4] = { 0, 2, 1, 3 };

	return table[row[inner_tos & 3]][col[outer_tos & 3]];
}

void
ip_tos_set(uint8_t *hdr, uint8_t version, uint8_t tos)
{
	if (version == 4) {
		uint8_t old[2] = { hdr[0], hdr[1] }, new[2] = { hdr[0], tos };
		uint16_t c = (uint16_t)(hdr[10] << 8 | hdr[11]);

		c = ip_csum_replace(c, old, new, 2);
		hdr[1] = tos;
		hdr[10] = (uint8_t)(c >> 8);
		hdr[11] = (uint8_t)c;
	} else {
		hdr[0] = (uint8_t)(0x60 | tos >> 4);
		hdr[1] = (uint8_t)((hdr[1] & 0x0f) | (uint8_t)(tos << 4));
	}
}

size_t
ip_hdr_outer_bytes(const struct xform_sa *sa)
{
	if (sa->mode != XFORM_MODE_TUNNEL)
		return 0;
	return sa->tun_dst.family == 6 ? IP6_HDR_BYTES : IP4_HDR_BYTES;
}

int
ip_hdr_build_outer(uint8_t *out, size_t room, const struct xform_sa *sa,
    const struct ip_info *inner, uint8_t proto, size_t payload_len,
    uint16_t ip_id, size_t *hlen)
{
	uint8_t tos, ttl;

	if (sa->tun_src.family != sa->tun_dst.family ||
	    (sa->tun_dst.family != 4 && sa->tun_dst.family != 6))
		return -EINVAL;
	tos = (uint8_t)((inner->tos & 0xfc) |
	    ip_ecn_encap(inner->tos, (sa->flags & XFORM_SA_ECN) != 0));
	ttl = sa->ttl != 0 ? sa->ttl : 64;
	if (sa->tun_dst.family == 4) {
		bool df;

		if (room < IP4_HDR_BYTES ||
		    payload_len > IP_MAXPACKET_BYTES - IP4_HDR_BYTES)
			return -EMSGSIZE;
		switch (sa->dfbit) {
		case XFORM_DF_SET:
			df = true;
			break;
		case XFORM_DF_COPY:
			df = inner->version == 6 || inner->df;
			break;
		default:
			df = false;
			break;
		}
		out[0] = 0x45;
		out[1] = tos;
		out[4] = (uint8_t)(ip_id >> 8);
		out[5] = (uint8_t)ip_id;
		out[6] = df ? 0x40 : 0;
		out[7] = 0;
		out[8] = ttl;
		out[9] = proto;
		memcpy(out + 12, sa->tun_src.a, 4);
		memcpy(out + 16, sa->tun_dst.a, 4);
		ip_len_set(out, 4, IP4_HDR_BYTES, IP4_HDR_BYTES + payload_len);
		*hlen = IP4_HDR_BYTES;
	} else {
		if (room < IP6_HDR_BYTES || payload_len > 0xffff)
			return -EMSGSIZE;
		out[0] = (uint8_t)(0x60 | tos >> 4);
		out[1] = (uint8_t)(tos << 4);
		out[2] = out[3] = 0;	/* flow label 0 */
		out[6] = proto;
		out[7] = ttl;
		memcpy(out + 8, sa->tun_src.a, 16);
		memcpy(out + 24, sa->tun_dst.a, 16);
		ip_len_set(out, 6, IP6_HDR_BYTES, IP6_HDR_BYTES + payload_len);
		*hlen = IP6_HDR_BYTES;
	}
	return 0;
}
