/*
 * icmp.c - ICMP "fragmentation needed" / "packet too big": building them
 * for our senders, rate limiting them, and reading the ones routers send
 * about our ESP packets (see icmp.h). Input is untrusted: the ICMP error
 * from the wire and the packet it quotes are read through the cursor.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "icmp.h"
#include "rd.h"
#include "wr.h"

/* RFC 1122 §3.2.2: no error about a source that names no single host. */
static bool
v4_src_ok(const uint8_t *a)
{
	return !(a[0] == 0 || a[0] == 127 || a[0] >= 224);
}

static bool
v4_dst_ok(const uint8_t *a)
{
	return a[0] < 224;	/* no multicast, broadcast, class E */
}

static bool
v6_src_ok(const uint8_t *a)
{
	static const uint8_t zero[16];

	return a[0] != 0xff && memcmp(a, zero, 16) != 0;
}

static bool
is_error(const struct pkt_info *pi)
{
	if (pi->kind != PKT_K_ICMP)
		return false;
	if (pi->family == AF_INET6)
		return pi->sport < 128;
	switch (pi->sport) {
	case 3: case 4: case 5: case 11: case 12:
		return true;
	default:
		return false;
	}
}

/* IPv6 header, ICMPv6 "packet too big" for mtu, q bytes of orig. */
static int
write_too_big6(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_info *pi, const uint8_t *src, uint32_t mtu, size_t q)
{
	struct wr w;
	uint32_t sum;

	wr_init(&w, out, cap);
	if (wr_be32(&w, 0x60000000u) != 0 ||
	    wr_be16(&w, (uint16_t)(8 + q)) != 0 ||
	    wr_u8(&w, IPPROTO_ICMPV6) != 0 || wr_u8(&w, ICMP_TTL) != 0 ||
	    wr_bytes(&w, src, 16) != 0 ||
	    wr_bytes(&w, pi->src, 16) != 0 ||
	    wr_u8(&w, 2) != 0 || wr_u8(&w, 0) != 0 ||
	    wr_be16(&w, 0) != 0 || wr_be32(&w, mtu) != 0 ||
	    wr_bytes(&w, orig, q) != 0)
		return -EMSGSIZE;
	/* Pseudo-header: addresses, upper-layer length, 58. */
	sum = pkt_csum_add(0, out + 8, 32);
	sum += (uint32_t)(8 + q) + IPPROTO_ICMPV6;
	sum = pkt_csum_add(sum, out + 40, 8 + q);
	wr_put_be16(out + 42, (uint16_t)~pkt_csum_fold(sum));
	return 0;
}

/* IPv4 header (n bytes in all), ICMP "fragmentation needed", q bytes. */
static int
write_too_big4(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_info *pi, const uint8_t *src, uint32_t mtu, size_t q,
    size_t n)
{
	struct wr w;

	wr_init(&w, out, cap);
	if (wr_u8(&w, 0x45) != 0 || wr_u8(&w, 0xc0) != 0 ||
	    wr_be16(&w, (uint16_t)n) != 0 || wr_be32(&w, 0) != 0 ||
	    wr_u8(&w, ICMP_TTL) != 0 || wr_u8(&w, IPPROTO_ICMP) != 0 ||
	    wr_be16(&w, 0) != 0 || wr_bytes(&w, src, 4) != 0 ||
	    wr_bytes(&w, pi->src, 4) != 0 ||
	    wr_u8(&w, 3) != 0 || wr_u8(&w, 4) != 0 ||
	    wr_be16(&w, 0) != 0 || wr_be16(&w, 0) != 0 ||
	    wr_be16(&w, (uint16_t)mtu) != 0 ||
	    wr_bytes(&w, orig, q) != 0)
		return -EMSGSIZE;
	wr_put_be16(out + 10, (uint16_t)~pkt_csum_fold(pkt_csum_add(0, out,
	    20)));
	wr_put_be16(out + 22, (uint16_t)~pkt_csum_fold(pkt_csum_add(0,
	    out + 20, 8 + q)));
	return 0;
}

int
icmp_build_too_big(const uint8_t *orig, const struct pkt_info *pi,
    const uint8_t *src, uint32_t mtu, uint8_t *out, size_t cap,
    size_t *out_len)
{
	size_t q, n;
	int error;
	bool v6 = pi->family == AF_INET6;

	if (is_error(pi) || (pi->frag && pi->frag_off != 0))
		return -EPERM;
	if (v6 ? !v6_src_ok(pi->src) :
	    !v4_src_ok(pi->src) || !v4_dst_ok(pi->dst))
		return -EPERM;
	q = pi->len;
	if (v6) {
		if (q > ICMP6_QUOTE_TOTAL - 48)
			q = ICMP6_QUOTE_TOTAL - 48;
		if (mtu < 1280)
			mtu = 1280;
		n = 48 + q;
	} else {
		if (q > ICMP4_QUOTE_TOTAL - 28)
			q = ICMP4_QUOTE_TOTAL - 28;
		if (mtu < 68)
			mtu = 68;
		if (mtu > 65535)
			mtu = 65535;
		n = 28 + q;
	}
	if (n > cap)
		return -EMSGSIZE;
	if (v6)
		error = write_too_big6(out, cap, orig, pi, src, mtu, q);
	else
		error = write_too_big4(out, cap, orig, pi, src, mtu, q, n);
	if (error != 0)
		return error;
	*out_len = n;
	return 0;
}

void
icmp_bucket_init(struct icmp_bucket *b, uint32_t rate_per_s, uint32_t burst,
    uint64_t now_ms)
{
	b->rate_per_s = rate_per_s;
	b->burst = burst;
	b->milli = (uint64_t)burst * 1000;
	b->last_ms = now_ms;
}

bool
icmp_bucket_take(struct icmp_bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)b->burst * 1000;

	if (now_ms > b->last_ms) {
		/* rate tokens per second = rate milli-tokens per ms. */
		uint64_t dt = now_ms - b->last_ms;

		if (dt > cap)	/* enough to fill any bucket; no overflow */
			dt = cap;
		b->milli += dt * b->rate_per_s;
		if (b->milli > cap)
			b->milli = cap;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

/* The transport header of the quoted packet: our ESP, AH or ESP in UDP. */
static int
quoted_l4(struct rd *r, uint8_t proto, struct icmp_pmtu *pm)
{
	uint16_t sp, dp;
	uint32_t spi;

	switch (proto) {
	case IPPROTO_ESP:
		if (rd_be32(r, &spi) != 0)
			return -EBADMSG;
		break;
	case IPPROTO_AH:
		if (rd_skip(r, 4) != 0 || rd_be32(r, &spi) != 0)
			return -EBADMSG;
		break;
	case IPPROTO_UDP:
		if (rd_be16(r, &sp) != 0 || rd_be16(r, &dp) != 0)
			return -EBADMSG;
		if (dp != PKT_NATT_PORT)
			return -ENOENT;
		if (rd_skip(r, 4) != 0 || rd_be32(r, &spi) != 0)
			return -EBADMSG;
		if (spi == 0)
			return -ENOENT;	/* IKE, not ESP */
		pm->udp_encap = true;
		proto = IPPROTO_ESP;
		break;
	default:
		return -ENOENT;
	}
	if (spi == 0)
		return -EBADMSG;
	pm->proto = proto;
	pm->spi = spi;
	return 0;
}

static int
quoted_v4(struct rd *r, struct icmp_pmtu *pm)
{
	uint8_t vihl, proto;
	uint16_t frag;

	if (rd_u8(r, &vihl) != 0 || rd_skip(r, 5) != 0 ||
	    rd_be16(r, &frag) != 0 || rd_skip(r, 1) != 0 ||
	    rd_u8(r, &proto) != 0 || rd_skip(r, 2) != 0 ||
	    rd_bytes(r, pm->src, 4) != 0 || rd_bytes(r, pm->dst, 4) != 0)
		return -EBADMSG;
	if ((vihl >> 4) != 4 || (vihl & 15) < 5 ||
	    rd_skip(r, ((size_t)(vihl & 15) - 5) * 4) != 0)
		return -EBADMSG;
	if ((frag & 0x1fff) != 0)
		return -ENOENT;		/* a later fragment: no SPI */
	return quoted_l4(r, proto, pm);
}

static int
quoted_v6(struct rd *r, struct icmp_pmtu *pm)
{
	uint32_t vtcfl;
	uint16_t offlg;
	uint8_t nxt, nh, hlen;
	int n;

	if (rd_be32(r, &vtcfl) != 0 || rd_skip(r, 2) != 0 ||
	    rd_u8(r, &nxt) != 0 || rd_skip(r, 1) != 0 ||
	    rd_bytes(r, pm->src, 16) != 0 || rd_bytes(r, pm->dst, 16) != 0)
		return -EBADMSG;
	if ((vtcfl >> 28) != 6)
		return -EBADMSG;
	for (n = 0; n < PKT_V6_EXT_MAX; n++) {
		switch (nxt) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (rd_u8(r, &nh) != 0 || rd_u8(r, &hlen) != 0 ||
			    rd_skip(r, (size_t)hlen * 8 + 6) != 0)
				return -EBADMSG;
			nxt = nh;
			continue;
		case IPPROTO_FRAGMENT:
			if (rd_u8(r, &nh) != 0 || rd_skip(r, 1) != 0 ||
			    rd_be16(r, &offlg) != 0 || rd_skip(r, 4) != 0)
				return -EBADMSG;
			if ((offlg & 0xfff8) != 0)
				return -ENOENT;
			nxt = nh;
			continue;
		default:
			return quoted_l4(r, nxt, pm);
		}
	}
	return -EBADMSG;
}

int
icmp_parse_pmtu(const uint8_t *pkt, const struct pkt_info *pi,
    struct icmp_pmtu *pm)
{
	struct rd r;
	uint32_t sum, mtu;
	uint16_t mtu16;
	size_t n;
	bool v6 = pi->family == AF_INET6;

	memset(pm, 0, sizeof(*pm));
	if (pi->kind != PKT_K_ICMP || pi->frag)
		return -ENOENT;
	if (v6 ? (pi->sport != 2 || pi->dport != 0) :
	    (pi->sport != 3 || pi->dport != 4))
		return -ENOENT;
	if (pi->l4_off > pi->len)
		return -EBADMSG;
	n = pi->len - pi->l4_off;
	/* The ICMP checksum (ICMPv6: with the pseudo-header). */
	sum = pkt_csum_add(0, pkt + pi->l4_off, n);
	if (v6) {
		sum = pkt_csum_add(sum, pi->src, 16);
		sum = pkt_csum_add(sum, pi->dst, 16);
		sum = pkt_csum_add(sum, (const uint8_t[]){ (uint8_t)(n >> 24),
		    (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, 0, 0, 0,
		    IPPROTO_ICMPV6 }, 8);
	}
	if (pkt_csum_fold(sum) != 0xffff)
		return -EBADMSG;
	rd_init(&r, pkt + pi->l4_off, n);
	if (v6) {
		if (rd_skip(&r, 4) != 0 || rd_be32(&r, &mtu) != 0)
			return -EBADMSG;
		if (mtu < 1280)
			mtu = 1280;	/* RFC 8201 §4 */
	} else {
		if (rd_skip(&r, 6) != 0 || rd_be16(&r, &mtu16) != 0)
			return -EBADMSG;
		if (mtu16 < 68)
			return -EINVAL;	/* RFC 1191 §5: a pre-1191 router */
		mtu = mtu16;
	}
	pm->family = pi->family;
	pm->mtu = mtu;
	return v6 ? quoted_v6(&r, pm) : quoted_v4(&r, pm);
}
