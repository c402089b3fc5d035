/*
 * pkt.c - netd's packet parser (see pkt.h). Input is untrusted: every
 * byte is read through the cursor, every length is checked against what
 * arrived, and every refusal has its own reason.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"
#include "rd.h"

static const char *const reject_names[PKT_REJECT_COUNT] = {
	[PKT_OK] = "ok",
	[PKT_R_EMPTY] = "empty",
	[PKT_R_VERSION] = "version",
	[PKT_R_V4_SHORT] = "v4_short",
	[PKT_R_V4_IHL] = "v4_ihl",
	[PKT_R_V4_TOTLEN_SHORT] = "v4_totlen_short",
	[PKT_R_V4_TOTLEN_LONG] = "v4_totlen_long",
	[PKT_R_V4_CSUM] = "v4_csum",
	[PKT_R_V4_FRAG_LONG] = "v4_frag_long",
	[PKT_R_V4_FRAG_OFF1] = "v4_frag_off1",
	[PKT_R_V4_FRAG_RSV] = "v4_frag_rsv",
	[PKT_R_V6_SHORT] = "v6_short",
	[PKT_R_V6_PLEN_LONG] = "v6_plen_long",
	[PKT_R_V6_JUMBO] = "v6_jumbo",
	[PKT_R_V6_EXT_TRUNC] = "v6_ext_trunc",
	[PKT_R_V6_HBH_POS] = "v6_hbh_pos",
	[PKT_R_V6_EXT_MANY] = "v6_ext_many",
	[PKT_R_V6_FRAG_DUP] = "v6_frag_dup",
	[PKT_R_V6_FRAG_LEN] = "v6_frag_len",
	[PKT_R_V6_FRAG_LONG] = "v6_frag_long",
	[PKT_R_V6_RH0] = "v6_rh0",
	[PKT_R_TINY_FRAG] = "tiny_frag",
	[PKT_R_TCP_SHORT] = "tcp_short",
	[PKT_R_UDP_SHORT] = "udp_short",
	[PKT_R_UDP_LEN] = "udp_len",
	[PKT_R_ICMP_SHORT] = "icmp_short",
	[PKT_R_ESP_SHORT] = "esp_short",
	[PKT_R_AH_SHORT] = "ah_short",
	[PKT_R_ETH_SHORT] = "eth_short",
	[PKT_R_ETH_VLAN] = "eth_vlan",
};
_Static_assert(nitems(reject_names) == PKT_REJECT_COUNT, "reject_names");

const char *
pkt_reject_name(enum pkt_reject r)
{
	if ((unsigned)r >= PKT_REJECT_COUNT || reject_names[r] == NULL)
		return "unknown";
	return reject_names[r];
}

uint32_t
pkt_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* ---- upper layer ---- */

/*
 * Fixed headers are copied out of the packet once with rd_bytes() and
 * read from the local copy (as ring descriptors are): one bounds check
 * instead of one call per field, which is most of a parse's cost.
 */
static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Each upper-layer parser reads the header at the start of r (the rest of
 * the datagram). first_frag: the datagram is the first fragment, so a
 * header cut short is a tiny fragment rather than a malformed header.
 */
typedef enum pkt_reject l4_parse_fn(const struct rd *r, struct pkt_info *pi,
    bool first_frag);

/* A header cut short: reason, or a tiny first fragment. */
static enum pkt_reject
cut_short(bool first_frag, enum pkt_reject reason)
{
	return first_frag ? PKT_R_TINY_FRAG : reason;
}

static enum pkt_reject
l4_tcp(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint8_t b[13], doff;
	struct rd c = *r;

	if (rd_bytes(&c, b, 13) != 0 || (doff = b[12] >> 4) < 5 ||
	    (size_t)doff * 4 > r->left)
		return cut_short(first_frag, PKT_R_TCP_SHORT);
	pi->kind = PKT_K_TCP;
	pi->sport = be16(b);
	pi->dport = be16(b + 2);
	return PKT_OK;
}

/* RFC 3948 §2: keepalive, non-ESP marker (IKE), or ESP; c: the payload. */
static enum pkt_reject
l4_natt(struct rd *c, struct pkt_info *pi)
{
	uint32_t spi;
	uint8_t b;

	if (c->left == 1) {
		if (rd_u8(c, &b) == 0 && b == 0xff)
			pi->kind = PKT_K_UDP_KEEPALIVE;
	} else if (c->left >= 4) {
		if (rd_be32(c, &spi) != 0)
			return PKT_R_UDP_SHORT;
		/* The marker, or an SPI with at least a sequence
		 * number after it. */
		if (spi == 0)
			pi->kind = PKT_K_UDP_IKE;
		else if (c->left >= 4) {
			pi->kind = PKT_K_UDP_ESP;
			pi->spi = spi;
		}
	}
	return PKT_OK;
}

static enum pkt_reject
l4_udp(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint16_t sp, dp, ulen;
	uint8_t b[8];
	struct rd c = *r;

	if (rd_bytes(&c, b, 8) != 0)
		return cut_short(first_frag, PKT_R_UDP_SHORT);
	sp = be16(b);
	dp = be16(b + 2);
	ulen = be16(b + 4);
	/* A fragment's UDP length covers the whole datagram. */
	if (!first_frag && (ulen < 8 || ulen > r->left))
		return PKT_R_UDP_LEN;
	pi->kind = PKT_K_UDP;
	pi->sport = sp;
	pi->dport = dp;
	if (dp != PKT_NATT_PORT)
		return PKT_OK;
	if (!first_frag)
		c.left = ulen - 8u;
	return l4_natt(&c, pi);
}

static enum pkt_reject
l4_icmp(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint8_t b[4];
	struct rd c = *r;

	if ((pi->proto == IPPROTO_ICMP) != (pi->family == AF_INET)) {
		pi->kind = PKT_K_OTHER;	/* the other family's ICMP: opaque */
		return PKT_OK;
	}
	if (rd_bytes(&c, b, 4) != 0)
		return cut_short(first_frag, PKT_R_ICMP_SHORT);
	pi->kind = PKT_K_ICMP;
	pi->sport = b[0];	/* type, as KAME */
	pi->dport = b[1];	/* code */
	return PKT_OK;
}

static enum pkt_reject
l4_esp(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint32_t spi;
	struct rd c = *r;

	if (rd_be32(&c, &spi) != 0 || rd_skip(&c, 4) != 0)
		return cut_short(first_frag, PKT_R_ESP_SHORT);
	pi->kind = PKT_K_ESP;
	pi->spi = spi;
	return PKT_OK;
}

static enum pkt_reject
l4_ah(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint32_t spi;
	uint8_t ahlen;
	struct rd c = *r;

	/* RFC 4302 §2: next, payload length (32-bit words - 2). */
	if (rd_skip(&c, 1) != 0 || rd_u8(&c, &ahlen) != 0 ||
	    rd_skip(&c, 2) != 0 || rd_be32(&c, &spi) != 0 ||
	    rd_skip(&c, 4) != 0 || ((size_t)ahlen + 2) * 4 > r->left ||
	    ahlen < 1)
		return cut_short(first_frag, PKT_R_AH_SHORT);
	pi->kind = PKT_K_AH;
	pi->spi = spi;
	return PKT_OK;
}

/* SCTP, DCCP, UDP-Lite: ports only (kind stays PKT_K_OTHER). */
static enum pkt_reject
l4_ports(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	uint16_t sp, dp;
	struct rd c = *r;

	/* Ports first, as Linux's decode_session reads them. */
	if (rd_be16(&c, &sp) != 0 || rd_be16(&c, &dp) != 0)
		return cut_short(first_frag, PKT_R_UDP_SHORT);
	pi->sport = sp;
	pi->dport = dp;
	return PKT_OK;
}

/* By protocol number; the others are not interpreted (PKT_K_OTHER). */
static l4_parse_fn *const l4_parsers[256] = {
	[IPPROTO_TCP] = l4_tcp,
	[IPPROTO_UDP] = l4_udp,
	[IPPROTO_ICMP] = l4_icmp,
	[IPPROTO_ICMPV6] = l4_icmp,
	[IPPROTO_ESP] = l4_esp,
	[IPPROTO_AH] = l4_ah,
	[IPPROTO_SCTP] = l4_ports,
	[IPPROTO_DCCP] = l4_ports,
	[IPPROTO_UDPLITE] = l4_ports,
};

/* The upper-layer header in r (the rest of the datagram). */
static enum pkt_reject
parse_l4(const struct rd *r, struct pkt_info *pi, bool first_frag)
{
	l4_parse_fn *f = l4_parsers[pi->proto];

	if (f == NULL) {
		pi->kind = PKT_K_OTHER;
		return PKT_OK;
	}
	return f(r, pi, first_frag);
}

/* ---- IPv4 ---- */

static enum pkt_reject
parse_v4(const uint8_t *buf, size_t len, struct pkt_info *pi)
{
	struct rd r, l4;
	uint8_t h[20], vihl, tos, ttl, proto;
	uint16_t totlen, id, frag;
	size_t ihl;

	rd_init(&r, buf, len);
	if (rd_bytes(&r, h, sizeof(h)) != 0)
		return PKT_R_V4_SHORT;
	vihl = h[0];
	tos = h[1];
	totlen = be16(h + 2);
	id = be16(h + 4);
	frag = be16(h + 6);
	ttl = h[8];
	proto = h[9];
	memcpy(pi->src, h + 12, 4);
	memcpy(pi->dst, h + 16, 4);
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return PKT_R_V4_IHL;
	if (totlen < ihl)
		return PKT_R_V4_TOTLEN_SHORT;
	if (totlen > len)
		return PKT_R_V4_TOTLEN_LONG;
	if (pkt_csum_fold(pkt_csum_add(0, buf, ihl)) != 0xffff)
		return PKT_R_V4_CSUM;
	if (frag & 0x8000)
		return PKT_R_V4_FRAG_RSV;
	pi->family = AF_INET;
	pi->proto = proto;
	pi->ttl = ttl;
	pi->tos = tos;
	pi->len = totlen;
	pi->l4_off = (uint32_t)ihl;
	pi->frag_more = (frag & 0x2000) != 0;
	pi->frag_off = (uint16_t)((frag & 0x1fff) * 8u);
	pi->frag = pi->frag_more || pi->frag_off != 0;
	pi->frag_id = id;
	pi->frag_data_off = (uint32_t)ihl;
	if (pi->frag) {
		if ((size_t)pi->frag_off + totlen - ihl > 65535)
			return PKT_R_V4_FRAG_LONG;
		/* RFC 1858 §3.2: offset 1 can rewrite the TCP flags. */
		if (pi->frag_off == 8 && proto == IPPROTO_TCP)
			return PKT_R_V4_FRAG_OFF1;
		if (pi->frag_off != 0) {
			pi->kind = PKT_K_NOPORTS;
			return PKT_OK;
		}
	}
	rd_init(&r, buf, totlen);
	if (rd_skip(&r, ihl) != 0 || rd_sub(&r, totlen - ihl, &l4) != 0)
		return PKT_R_V4_TOTLEN_LONG;	/* not reached */
	return parse_l4(&l4, pi, pi->frag);
}

/* ---- IPv6 ---- */

/* One option-style header (hop-by-hop, destination options, routing). */
static enum pkt_reject
skip_ext(struct rd *r, uint8_t *nxt, bool first_frag, bool routing)
{
	uint8_t nh, hlen, type, segleft;
	struct rd c = *r;

	if (rd_u8(&c, &nh) != 0 || rd_u8(&c, &hlen) != 0 ||
	    rd_skip(r, ((size_t)hlen + 1) * 8) != 0)
		return first_frag ? PKT_R_TINY_FRAG : PKT_R_V6_EXT_TRUNC;
	if (routing) {
		if (rd_u8(&c, &type) != 0 || rd_u8(&c, &segleft) != 0)
			return PKT_R_V6_EXT_TRUNC;	/* not reached */
		/* RFC 5095: type 0 is deprecated; Linux drops it. */
		if (type == 0 && segleft != 0)
			return PKT_R_V6_RH0;
	}
	*nxt = nh;
	return PKT_OK;
}

/*
 * The fragment header at offset at of the datagram; *nh_off: the field
 * that named it. A later fragment ends the walk (*stop): no upper-layer
 * header follows.
 */
static enum pkt_reject
v6_frag(struct rd *pl, struct pkt_info *pi, uint32_t at, uint8_t *nxt,
    uint32_t *nh_off, bool *stop)
{
	uint32_t id;
	uint16_t offlg;
	uint8_t nh;

	if (pi->frag)
		return PKT_R_V6_FRAG_DUP;
	pi->frag_hdr_off = at;
	pi->frag_nh_off = *nh_off;
	*nh_off = at;
	if (rd_u8(pl, &nh) != 0 || rd_skip(pl, 1) != 0 ||
	    rd_be16(pl, &offlg) != 0 || rd_be32(pl, &id) != 0)
		return PKT_R_V6_EXT_TRUNC;
	*nxt = nh;
	/* RFC 6946: an atomic fragment is no fragment. */
	if ((offlg & 0xfff9) == 0)
		return PKT_OK;
	pi->frag = true;
	pi->frag_more = (offlg & 1) != 0;
	pi->frag_off = offlg & 0xfff8;
	pi->frag_id = id;
	pi->frag_data_off = (uint32_t)(pi->len - pl->left);
	if (pi->frag_more && (pl->left % 8) != 0)
		return PKT_R_V6_FRAG_LEN;
	if ((size_t)pi->frag_off + pl->left > 65535)
		return PKT_R_V6_FRAG_LONG;
	if (pi->frag_off != 0) {
		pi->proto = nh;
		pi->l4_off = pi->frag_data_off;
		pi->kind = PKT_K_NOPORTS;
		*stop = true;
	}
	return PKT_OK;
}

/*
 * Walk the extension headers of payload pl, *nxt the first; on PKT_OK
 * *nxt is the upper-layer protocol, or *stop says the parse is done.
 */
static enum pkt_reject
v6_exts(struct rd *pl, struct pkt_info *pi, uint8_t *nxt, bool *stop)
{
	uint32_t nh_off = 6;	/* the IPv6 header's next header field */
	enum pkt_reject e;
	unsigned n;

	for (n = 0;; n++) {
		bool ff = pi->frag;	/* past a first fragment's header */
		uint32_t at = (uint32_t)(pi->len - pl->left);

		if (n > PKT_V6_EXT_MAX)
			return PKT_R_V6_EXT_MANY;
		switch (*nxt) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200 §4.1: only right after the IPv6 header. */
			if (n != 0)
				return PKT_R_V6_HBH_POS;
			/* FALLTHROUGH */
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
			e = skip_ext(pl, nxt, ff, *nxt == IPPROTO_ROUTING);
			nh_off = at;	/* its first byte names the next */
			break;
		case IPPROTO_FRAGMENT:
			e = v6_frag(pl, pi, at, nxt, &nh_off, stop);
			break;
		default:
			return PKT_OK;
		}
		if (e != PKT_OK || *stop)
			return e;
	}
}

static enum pkt_reject
parse_v6(const uint8_t *buf, size_t len, struct pkt_info *pi)
{
	struct rd r, pl;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t h[40], nxt, hlim;
	enum pkt_reject e;
	bool stop = false;

	rd_init(&r, buf, len);
	if (rd_bytes(&r, h, sizeof(h)) != 0)
		return PKT_R_V6_SHORT;
	vtcfl = be32(h);
	plen = be16(h + 4);
	nxt = h[6];
	hlim = h[7];
	memcpy(pi->src, h + 8, 16);
	memcpy(pi->dst, h + 24, 16);
	if (plen == 0)
		return PKT_R_V6_JUMBO;
	if (rd_sub(&r, plen, &pl) != 0)
		return PKT_R_V6_PLEN_LONG;
	pi->family = AF_INET6;
	pi->ttl = hlim;
	pi->tos = (uint8_t)(vtcfl >> 20);
	pi->len = 40u + plen;
	if ((e = v6_exts(&pl, pi, &nxt, &stop)) != PKT_OK || stop)
		return e;
	pi->proto = nxt;
	pi->l4_off = (uint32_t)(pi->len - pl.left);
	if (nxt == IPPROTO_NONE) {
		pi->kind = PKT_K_OTHER;
		return PKT_OK;
	}
	return parse_l4(&pl, pi, pi->frag);
}

enum pkt_reject
pkt_parse(const uint8_t *buf, size_t len, struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (len == 0)
		return PKT_R_EMPTY;
	switch (buf[0] >> 4) {
	case 4:
		return parse_v4(buf, len, pi);
	case 6:
		return parse_v6(buf, len, pi);
	default:
		return PKT_R_VERSION;
	}
}

enum pkt_reject
pkt_eth_parse(const uint8_t *frame, size_t len, uint16_t *ethertype,
    size_t *l3_off)
{
	struct rd r;
	uint16_t t;
	int tags = 0;

	rd_init(&r, frame, len);
	if (rd_skip(&r, 12) != 0 || rd_be16(&r, &t) != 0)
		return PKT_R_ETH_SHORT;
	while (t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ) {
		if (++tags > 2)
			return PKT_R_ETH_VLAN;
		if (rd_skip(&r, 2) != 0 || rd_be16(&r, &t) != 0)
			return PKT_R_ETH_SHORT;
	}
	*ethertype = t;
	*l3_off = len - r.left;
	return PKT_OK;
}

bool
pkt_is_nd(const struct pkt_info *pi)
{
	if (pi->family != AF_INET6 || pi->kind != PKT_K_ICMP)
		return false;
	switch (pi->sport) {
	case 133: case 134: case 135: case 136: case 137:
		return pi->ttl == 255;
	case 130: case 131: case 132: case 143:
		return pi->src[0] == 0xfe && (pi->src[1] & 0xc0) == 0x80;
	default:
		return false;
	}
}
