/*
 * ah.c - AH (RFC 4302) in place; see ah.h for the mutable-field rules.
 *
 *   transport:  [IP hdr + ext][payload] -> [IP hdr + ext][AH ICV pad][payload]
 *   tunnel:     [inner]                 -> [outer IP][AH ICV pad][inner]
 *
 * The ICV is computed over a copy of the front of the packet (IP header,
 * extension headers, AH) in which the mutable fields are zeroed, then
 * over the payload where it lies. Untrusted input: inbound packets; the
 * option and extension-header walks check every length against the
 * bytes a successful ip_hdr_parse() vouched for.
 */
#include <errno.h>
#include <string.h>

#include "ah.h"
#include "rd.h"
#include "wr.h"

/* RFC 4302 §3.3.3.1.1.2: header plus ICV, 4- (IPv4) or 8-aligned (IPv6). */
static size_t
ah_bytes(size_t icv, uint8_t version)
{
	size_t a = version == 6 ? 8 : 4;

	return (AH_HDR_BYTES + icv + a - 1) / a * a;
}

static const struct xform *
sa_auth(const struct xform_sa *sa)
{
	const struct xform *xf;

	if (sa->auth == NULL)
		return NULL;
	xf = xform_key_xform(sa->auth);
	if (xf->kind != XFORM_KIND_INTEG)
		return NULL;
	if (sa->mode != XFORM_MODE_TRANSPORT && sa->mode != XFORM_MODE_TUNNEL)
		return NULL;
	return xf;
}

size_t
ah_headroom(const struct xform_sa *sa, uint8_t inner_version)
{
	const struct xform *xf = sa_auth(sa);

	if (xf == NULL)
		return 0;
	if (sa->mode == XFORM_MODE_TUNNEL)
		return ip_hdr_outer_bytes(sa) +
		    ah_bytes(xf->icv_bytes, sa->tun_dst.family);
	return ah_bytes(xf->icv_bytes, inner_version);
}

/* RFC 4302 Appendix A.1: the IPv4 options that are immutable. */
static bool
opt4_immutable(uint8_t type)
{
	switch (type) {
	case 0:		/* end of option list */
	case 1:		/* no operation */
	case 130:	/* security */
	case 133:	/* extended security */
	case 134:	/* commercial security */
	case 148:	/* router alert */
	case 149:	/* sender directed multi-destination delivery */
		return true;
	default:
		return false;
	}
}

/* Zero the mutable IPv4 fields and options of the copy f[0..hlen). */
static int
zero4(const struct xform_sa *sa, uint8_t *f, size_t hlen)
{
	uint16_t frag = (uint16_t)(f[6] << 8 | f[7]);
	size_t i = IP4_HDR_BYTES;

	if (sa->ah_cleartos)
		f[1] = 0;
	frag &= sa->ah_offsetmask;
	f[6] = (uint8_t)(frag >> 8);
	f[7] = (uint8_t)frag;
	f[8] = 0;			/* TTL */
	f[10] = f[11] = 0;		/* checksum */
	while (i < hlen) {
		uint8_t t = f[i], l;

		if (t == 0)		/* EOL: the rest is padding */
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return -EBADMSG;
		l = f[i + 1];
		if (l < 2 || l > hlen - i)
			return -EBADMSG;
		if (!opt4_immutable(t)) {
			/*
			 * Loose/strict source route (RFC 4302 §3.3.3.1.1.1):
			 * the destination is mutable but predictable, the
			 * last address of a route not yet completed.
			 */
			if ((t == 131 || t == 137) && l >= 7 &&
			    (l - 3) % 4 == 0 && f[i + 2] <= l)
				memcpy(f + 16, f + i + l - 4, 4);
			memset(f + i, 0, l);
		}
		i += l;
	}
	return 0;
}

/* Zero the data of "may change" options in a hop-by-hop/dest. header. */
static int
zero6_opts(uint8_t *e, size_t len)
{
	size_t i = 2;

	while (i < len) {
		uint8_t t = e[i], l;

		if (t == 0) {		/* Pad1 */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EBADMSG;
		l = e[i + 1];
		if (l > len - i - 2)
			return -EBADMSG;
		if (t & 0x20)
			memset(e + i + 2, 0, l);
		i += 2 + (size_t)l;
	}
	return 0;
}

/*
 * A type 0 or 2 routing header as it will be at the final destination
 * (RFC 4302 §3.3.3.1.2.2, as scapy and the KAME code order it): with
 * segments left s of n addresses, the current destination and the
 * addresses not yet visited rotate one place, the last address becomes
 * the destination and segments left 0.
 */
static int
routing_final(uint8_t *f, uint8_t *e, size_t len)
{
	uint8_t type = e[2], segleft = e[3];
	size_t n, i, k;
	uint8_t last[16];

	if (segleft == 0)
		return 0;
	if (type != 0 && type != 2)
		return -EPROTONOSUPPORT;
	if ((len - 8) % 16 != 0)
		return -EBADMSG;
	n = (len - 8) / 16;
	if (segleft > n)
		return -EBADMSG;
	i = n - segleft;
	memcpy(last, e + 8 + (n - 1) * 16, 16);
	for (k = n - 1; k > i; k--)
		memcpy(e + 8 + k * 16, e + 8 + (k - 1) * 16, 16);
	memcpy(e + 8 + i * 16, f + 24, 16);
	memcpy(f + 24, last, 16);
	e[3] = 0;
	return 0;
}

/* Zero the mutable IPv6 fields and extension headers of f[0..end). */
static int
zero6(uint8_t *f, size_t end, enum xform_reject *why)
{
	size_t off = IP6_HDR_BYTES;
	uint8_t nh = f[6];

	f[0] &= 0xf0;			/* traffic class and flow label */
	f[1] = f[2] = f[3] = 0;
	f[7] = 0;			/* hop limit */
	while (off < end) {
		uint8_t *e = f + off;
		size_t len;
		int error = 0;

		if (end - off < 8)
			return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
		len = nh == IPPROTO_NUM_FRAGMENT ? 8 : ((size_t)e[1] + 1) * 8;
		if (len > end - off)
			return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
		switch (nh) {
		case IPPROTO_NUM_HOPOPTS:
		case IPPROTO_NUM_DSTOPTS:
			if (zero6_opts(e, len) != 0)
				return xform_fail(why, XFORM_REJECT_IP_OPTION);
			break;
		case IPPROTO_NUM_ROUTING:
			error = routing_final(f, e, len);
			if (error == -EPROTONOSUPPORT)
				return xform_fail(why, XFORM_REJECT_AH_ROUTING);
			if (error != 0)
				return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
			break;
		case IPPROTO_NUM_FRAGMENT:
			break;
		default:
			return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
		}
		nh = e[0];
		off += len;
	}
	return 0;
}

/*
 * The ICV of packet p[0..tot) whose AH header is at ah_off (ah_len bytes,
 * icv of which are the ICV), per RFC 4302 §3.3.3.
 */
static int
ah_icv(const struct xform_sa *sa, const uint8_t *p, size_t tot,
    uint8_t version, size_t hlen, size_t ah_off, size_t ah_len, size_t icv,
    uint32_t seq_hi, uint8_t digest[XFORM_DIGEST_MAX],
    enum xform_reject *why)
{
	const struct xform *xf = xform_key_xform(sa->auth);
	struct xform_mac_ctx ctx;
	uint8_t f[AH_FRONT_MAX];
	size_t front = ah_off + ah_len;
	int error;

	if (front > sizeof(f) || front > tot)
		return xform_fail(why, XFORM_REJECT_IP_EXTHDR);
	memcpy(f, p, front);
	memset(f + ah_off + AH_HDR_BYTES, 0, icv);
	if (version == 4) {
		if (zero4(sa, f, hlen) != 0)
			return xform_fail(why, XFORM_REJECT_IP_OPTION);
	} else if ((error = zero6(f, ah_off, why)) != 0)
		return error;
	xf->mac_init(sa->auth, &ctx);
	xf->mac_update(&ctx, f, front);
	xf->mac_update(&ctx, p + front, tot - front);
	if (sa->flags & XFORM_SA_ESN) {
		uint8_t hi[4];

		wr_put_be32(hi, seq_hi);
		xf->mac_update(&ctx, hi, sizeof(hi));
	}
	error = xf->mac_final(&ctx, digest);
	sodium_memzero(f, front);
	/* A backend failure: nothing to compare with, reject. */
	return error != 0 ? xform_fail(why, XFORM_REJECT_AH_AUTH) : 0;
}

int
ah_encap(const struct xform_sa *sa, struct xform_pkt *pkt, uint64_t seq)
{
	const struct xform *xf = sa_auth(sa);
	struct ip_info in;
	enum xform_reject why;
	bool tunnel = sa->mode == XFORM_MODE_TUNNEL;
	uint8_t *start, *ah, version, nh;
	size_t l3, outer, ahlen, prefix, newlen, hlen;
	uint8_t digest[XFORM_DIGEST_MAX];
	int error;

	if (xf == NULL || (sa->flags & XFORM_SA_NATT))
		return -EINVAL;
	if (!(sa->flags & XFORM_SA_ESN) && seq > UINT32_MAX)
		return -ERANGE;
	if (pkt->off > pkt->cap || pkt->len > pkt->cap - pkt->off)
		return -EINVAL;
	if (ip_hdr_parse(pkt->buf + pkt->off, pkt->len,
	    tunnel ? IP_WALK_ALL : IP_WALK_INSERT, &in, &why) != 0)
		return -EINVAL;
	if (tunnel) {
		if (sa->tun_src.family != sa->tun_dst.family ||
		    (sa->tun_dst.family != 4 && sa->tun_dst.family != 6))
			return -EINVAL;
		version = sa->tun_dst.family;
		outer = ip_hdr_outer_bytes(sa);
		l3 = 0;
		nh = in.version == 4 ? IPPROTO_NUM_IPIP : IPPROTO_NUM_IPV6;
	} else {
		version = in.version;
		outer = 0;
		l3 = in.l3_len;
		nh = in.proto;
	}
	ahlen = ah_bytes(xf->icv_bytes, version);
	prefix = outer + ahlen;
	newlen = prefix + in.tot_len;
	if (pkt->off < prefix || newlen > IP_MAXPACKET_BYTES)
		return -EMSGSIZE;
	start = pkt->buf + pkt->off - prefix;
	if (tunnel) {
		if ((error = ip_hdr_build_outer(start, outer, sa, &in,
		    IPPROTO_NUM_AH, newlen - outer, (uint16_t)seq, &hlen)) != 0)
			return error;
		l3 = hlen;
	} else {
		hlen = in.hlen;
		memmove(start, pkt->buf + pkt->off, l3);
		ip_nh_set(start, version, in.nh_off, IPPROTO_NUM_AH);
		ip_len_update(start, version, newlen);
	}
	ah = start + l3;
	ah[0] = nh;
	ah[1] = (uint8_t)(ahlen / 4 - 2);
	ah[2] = ah[3] = 0;
	wr_put_be32(ah + 4, sa->spi);
	wr_put_be32(ah + 8, (uint32_t)seq);
	memset(ah + AH_HDR_BYTES, 0, ahlen - AH_HDR_BYTES);
	if (ah_icv(sa, start, newlen, version, hlen, l3, ahlen, xf->icv_bytes,
	    (uint32_t)(seq >> 32), digest, &why) != 0) {
		/* Undo: the caller's packet must come back unchanged. */
		if (!tunnel) {
			memmove(pkt->buf + pkt->off, start, l3);
			ip_nh_set(pkt->buf + pkt->off, version, in.nh_off,
			    in.proto);
			ip_len_update(pkt->buf + pkt->off, version,
			    in.tot_len);
		}
		return -EINVAL;
	}
	memcpy(ah + AH_HDR_BYTES, digest, xf->icv_bytes);
	pkt->off -= prefix;
	pkt->len = newlen;
	return 0;
}

int
ah_parse(const struct xform_pkt *pkt, struct ah_in *in,
    enum xform_reject *why)
{
	const uint8_t *p;
	struct rd r;
	uint8_t plen;
	uint16_t reserved;
	int error;

	memset(in, 0, sizeof(*in));
	*why = XFORM_REJECT_NONE;
	if ((error = ip_hdr_parse_pkt(pkt, &p, &in->ip, why)) != 0)
		return error;
	if (in->ip.proto != IPPROTO_NUM_AH)
		return xform_fail(why, XFORM_REJECT_IP_PROTO);
	rd_init(&r, p + in->ip.l3_len, in->ip.tot_len - in->ip.l3_len);
	if (rd_u8(&r, &in->nh) != 0 || rd_u8(&r, &plen) != 0 ||
	    rd_be16(&r, &reserved) != 0 || rd_be32(&r, &in->spi) != 0 ||
	    rd_be32(&r, &in->seq_lo) != 0)
		return xform_fail(why, XFORM_REJECT_AH_SHORT);
	in->ah_off = in->ip.l3_len;
	in->ah_len = ((size_t)plen + 2) * 4;
	if (in->ah_len < AH_HDR_BYTES ||
	    in->ah_len > in->ip.tot_len - in->ah_off)
		return xform_fail(why, XFORM_REJECT_AH_SHORT);
	if (reserved != 0)
		return xform_fail(why, XFORM_REJECT_AH_RESERVED);
	if (in->spi == 0)
		return xform_fail(why, XFORM_REJECT_AH_SPI_ZERO);
	return 0;
}

int
ah_decap(const struct xform_sa *sa, struct xform_pkt *pkt,
    const struct ah_in *in, uint32_t seq_hi, enum xform_reject *why)
{
	const struct xform *xf = sa_auth(sa);
	uint8_t digest[XFORM_DIGEST_MAX];
	uint8_t *p, *start;
	size_t icv, newlen;
	int error;

	*why = XFORM_REJECT_NONE;
	if (xf == NULL)
		return xform_fail(why, XFORM_REJECT_SA);
	if (in->spi != sa->spi)
		return xform_fail(why, XFORM_REJECT_AH_SPI);
	if (pkt->off > pkt->cap || pkt->len > pkt->cap - pkt->off ||
	    in->ip.tot_len > pkt->len ||
	    in->ah_off + in->ah_len > in->ip.tot_len)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	icv = xf->icv_bytes;
	/* Our own layout; IPv4 also 8-aligned, as Linux accepts. */
	if (in->ah_len != ah_bytes(icv, in->ip.version) &&
	    !(in->ip.version == 4 && in->ah_len == ah_bytes(icv, 6)))
		return xform_fail(why, XFORM_REJECT_AH_LEN);
	p = pkt->buf + pkt->off;
	if ((error = ah_icv(sa, p, in->ip.tot_len, in->ip.version,
	    in->ip.hlen, in->ah_off, in->ah_len, icv, seq_hi, digest, why))
	    != 0)
		return error;
	if (sodium_memcmp(digest, p + in->ah_off + AH_HDR_BYTES, icv) != 0)
		return xform_fail(why, XFORM_REJECT_AH_AUTH);

	if (sa->mode == XFORM_MODE_TUNNEL) {
		struct ip_info inner;
		enum xform_reject iwhy;
		uint8_t *data = p + in->ah_off + in->ah_len;
		size_t datalen = in->ip.tot_len - in->ah_off - in->ah_len;

		if (in->nh != IPPROTO_NUM_IPIP && in->nh != IPPROTO_NUM_IPV6)
			return xform_fail(why, XFORM_REJECT_AH_NEXTHDR);
		if (ip_hdr_parse(data, datalen, IP_WALK_ALL, &inner, &iwhy)
		    != 0 || (inner.version == 4) != (in->nh == IPPROTO_NUM_IPIP))
			return xform_fail(why, XFORM_REJECT_INNER);
		if (sa->flags & XFORM_SA_ECN) {
			int ecn = ip_ecn_decap(in->ip.tos, inner.tos);

			if (ecn < 0)
				return xform_fail(why, XFORM_REJECT_ECN);
			if ((uint8_t)ecn != (inner.tos & 3))
				ip_tos_set(data, inner.version,
				    (uint8_t)((inner.tos & 0xfc) | ecn));
		}
		pkt->off = (size_t)(data - pkt->buf);
		pkt->len = inner.tot_len;
		return 0;
	}
	start = p + in->ah_len;
	memmove(start, p, in->ah_off);
	ip_nh_set(start, in->ip.version, in->ip.nh_off, in->nh);
	newlen = in->ip.tot_len - in->ah_len;
	ip_len_update(start, in->ip.version, newlen);
	pkt->off += in->ah_len;
	pkt->len = newlen;
	return 0;
}
