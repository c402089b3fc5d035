/*
 * esp.c - ESP (RFC 4303) in place: transport and tunnel mode, IPv4 and
 * IPv6 (and 4-in-6, 6-in-4), UDP encapsulation (RFC 3948). See esp.h.
 *
 *   transport:  [IP hdr + ext][payload]
 *           ->  [IP hdr + ext][UDP][SPI seq IV][payload pad pl nh][ICV]
 *   tunnel:     [inner IP packet]
 *           ->  [outer IP][UDP][SPI seq IV][inner pad pl nh][ICV]
 *
 * The IP header moves into the headroom (transport) or an outer header is
 * written there (tunnel); padding, trailer and ICV go into the tailroom.
 * The payload itself never moves. Untrusted input: inbound packets, read
 * through rd cursors or at offsets validated against their lengths.
 */
#include <errno.h>
#include <string.h>

#include "esp.h"
#include "rd.h"
#include "wr.h"

/* The SA's transforms: an AEAD alone, or a cipher (NULL) with an ICV. */
static int
sa_xforms(const struct xform_sa *sa, const struct xform **enc,
    const struct xform **auth)
{
	if (sa->enc == NULL)
		return -EINVAL;
	*enc = xform_key_xform(sa->enc);
	*auth = sa->auth != NULL ? xform_key_xform(sa->auth) : NULL;
	switch ((*enc)->kind) {
	case XFORM_KIND_AEAD:
		if (*auth != NULL)
			return -EINVAL;
		break;
	case XFORM_KIND_CIPHER:
		/* ESP without integrity is not offered (RFC 8221). */
		if (*auth == NULL || (*auth)->kind != XFORM_KIND_INTEG)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (sa->mode != XFORM_MODE_TRANSPORT && sa->mode != XFORM_MODE_TUNNEL)
		return -EINVAL;
	return 0;
}

static size_t
icv_bytes(const struct xform *enc, const struct xform *auth)
{
	return enc->kind == XFORM_KIND_AEAD ? enc->icv_bytes : auth->icv_bytes;
}

size_t
esp_headroom(const struct xform_sa *sa)
{
	const struct xform *enc, *auth;

	if (sa_xforms(sa, &enc, &auth) != 0)
		return 0;
	return ip_hdr_outer_bytes(sa) +
	    ((sa->flags & XFORM_SA_NATT) ? UDP_HDR_BYTES : 0) +
	    ESP_HDR_BYTES + enc->iv_bytes;
}

size_t
esp_tailroom(const struct xform_sa *sa)
{
	const struct xform *enc, *auth;

	if (sa_xforms(sa, &enc, &auth) != 0)
		return 0;
	return (sa->mode == XFORM_MODE_TUNNEL ? sa->tfc_bytes : 0) +
	    (size_t)enc->align - 1 + ESP_TRAILER_BYTES + icv_bytes(enc, auth);
}

/* AAD of RFC 4106 §5 / RFC 7634 §2.1; returns its length. */
static size_t
aad_make(uint8_t aad[12], uint32_t spi, uint64_t seq, bool esn)
{
	wr_put_be32(aad, spi);
	if (esn) {
		wr_put_be32(aad + 4, (uint32_t)(seq >> 32));
		wr_put_be32(aad + 8, (uint32_t)seq);
		return 12;
	}
	wr_put_be32(aad + 4, (uint32_t)seq);
	return 8;
}

/*
 * ICV of ESP with a separate integrity transform: header, IV and
 * ciphertext, then the high 32 sequence bits with ESN (RFC 4303 §2.2.1,
 * implicitly appended, never sent).
 */
static int
esp_mac(const struct xform_key *auth, const uint8_t *esp, size_t n,
    bool esn, uint32_t seq_hi, uint8_t digest[XFORM_DIGEST_MAX])
{
	const struct xform *xf = xform_key_xform(auth);
	struct xform_mac_ctx ctx;

	xf->mac_init(auth, &ctx);
	xf->mac_update(&ctx, esp, n);
	if (esn) {
		uint8_t hi[4];

		wr_put_be32(hi, seq_hi);
		xf->mac_update(&ctx, hi, sizeof(hi));
	}
	return xf->mac_final(&ctx, digest);
}

static void
pad_fill(const struct xform_sa *sa, uint8_t *pad, size_t n)
{
	size_t i;

	if (sa->pad == XFORM_PAD_ZERO) {
		memset(pad, 0, n);
		return;
	}
	if (sa->pad == XFORM_PAD_RANDOM && sa->pad_fill != NULL) {
		sa->pad_fill(sa->pad_arg, pad, n);
		return;
	}
	for (i = 0; i < n; i++)
		pad[i] = (uint8_t)(i + 1);
}

static bool
pad_ok(const struct xform_sa *sa, const uint8_t *pad, size_t n)
{
	size_t i;

	switch (sa->pad) {
	case XFORM_PAD_RANDOM:
		return true;
	case XFORM_PAD_ZERO:
		for (i = 0; i < n; i++)
			if (pad[i] != 0)
				return false;
		return true;
	default:
		/* RFC 4303 §2.4: 1, 2, 3, ... when self-describing. */
		for (i = 0; i < n; i++)
			if (pad[i] != (uint8_t)(i + 1))
				return false;
		return true;
	}
}

/* Encapsulation geometry, computed before anything is written. */
struct geom {
	struct ip_info	in;		/* the packet as given */
	size_t		l3;		/* IP bytes kept in front (transport) */
	size_t		outer;		/* outer header bytes (tunnel) */
	size_t		udp;		/* UDP header bytes (NAT-T) */
	size_t		hdr;		/* ESP header + IV */
	size_t		data;		/* bytes protected, before TFC */
	size_t		tfc;
	size_t		pad;
	size_t		icv;
	size_t		prefix;		/* bytes taken from the headroom */
	size_t		newlen;		/* resulting IP packet */
	uint8_t		nh;		/* ESP next header */
};

static int
geom_make(const struct xform_sa *sa, const struct xform *enc,
    const struct xform *auth, const struct xform_pkt *pkt, struct geom *g)
{
	enum xform_reject why;
	bool tunnel = sa->mode == XFORM_MODE_TUNNEL;
	size_t align = enc->align;

	if (pkt->off > pkt->cap || pkt->len > pkt->cap - pkt->off)
		return -EINVAL;
	if (ip_hdr_parse(pkt->buf + pkt->off, pkt->len,
	    tunnel ? IP_WALK_ALL : IP_WALK_INSERT, &g->in, &why) != 0)
		return -EINVAL;
	if (tunnel) {
		if (sa->tun_src.family != sa->tun_dst.family ||
		    (sa->tun_dst.family != 4 && sa->tun_dst.family != 6))
			return -EINVAL;
		g->outer = ip_hdr_outer_bytes(sa);
		g->l3 = 0;
		g->nh = g->in.version == 4 ? IPPROTO_NUM_IPIP :
		    IPPROTO_NUM_IPV6;
		g->tfc = sa->tfc_bytes;
	} else {
		g->outer = 0;
		g->l3 = g->in.l3_len;
		g->nh = g->in.proto;
		g->tfc = 0;
	}
	g->udp = (sa->flags & XFORM_SA_NATT) ? UDP_HDR_BYTES : 0;
	g->hdr = ESP_HDR_BYTES + enc->iv_bytes;
	g->data = g->in.tot_len - g->l3;
	g->pad = (align - (g->data + g->tfc + ESP_TRAILER_BYTES) % align) %
	    align;
	g->icv = icv_bytes(enc, auth);
	g->prefix = g->outer + g->udp + g->hdr;
	if (pkt->off < g->prefix ||
	    pkt->cap - pkt->off - g->in.tot_len <
	    g->tfc + g->pad + ESP_TRAILER_BYTES + g->icv)
		return -EMSGSIZE;
	g->newlen = g->prefix + g->in.tot_len + g->tfc + g->pad +
	    ESP_TRAILER_BYTES + g->icv;
	if (g->newlen > IP_MAXPACKET_BYTES ||
	    (g->in.version == 6 && g->outer == 0 &&
	    g->newlen - IP6_HDR_BYTES > 0xffff))
		return -EMSGSIZE;
	return 0;
}

/*
 * The UDP header of a NAT-T packet (RFC 3948), written once the ESP
 * packet behind it is complete: udp points at it, ulen counts it too.
 */
static void
udp_encap_fill(const struct xform_sa *sa, const struct geom *g,
    uint8_t *udp, size_t ulen)
{
	struct ip_info oi;
	uint16_t c;

	wr_put_be16(udp, sa->natt_sport);
	wr_put_be16(udp + 2, sa->natt_dport);
	wr_put_be16(udp + 4, (uint16_t)ulen);
	wr_put_be16(udp + 6, 0);	/* RFC 3948 §2.1: IPv4 sends 0 */
	if ((g->outer != 0 ? sa->tun_dst.family : g->in.version) != 6)
		return;
	oi = g->in;
	if (g->outer != 0) {
		oi.version = 6;
		oi.src = sa->tun_src;
		oi.dst = sa->tun_dst;
	}
	/* IPv6 needs a real UDP checksum (RFC 8200 §8.1). */
	c = ip_l4_csum(&oi, IPPROTO_NUM_UDP, udp, ulen);
	wr_put_be16(udp + 6, c == 0 ? 0xffff : c);
}

/*
 * Cipher (NULL, AES-CBC, AES-CTR) and integrity, outbound: the IV from
 * the counter value ctr (CBC: encrypted, so unpredictable), encryption
 * in place, then the ICV over header, IV and ciphertext (RFC 4303 §3.3.2:
 * encrypt, then authenticate).
 */
static int
cipher_mac(const struct xform_sa *sa, const struct xform *enc, uint8_t *esp,
    size_t hdr, size_t ctlen, uint64_t seq, uint64_t ctr)
{
	uint8_t digest[XFORM_DIGEST_MAX];
	uint8_t *iv = esp + ESP_HDR_BYTES;
	int error;

	if (enc->iv_bytes != 0) {
		if ((error = enc->iv_make(sa->enc, sa->spi, ctr, iv)) != 0 ||
		    (error = enc->encrypt(sa->enc, iv, esp + hdr, ctlen)) != 0)
			return error;
	}
	if ((error = esp_mac(sa->auth, esp, hdr + ctlen,
	    (sa->flags & XFORM_SA_ESN) != 0, (uint32_t)(seq >> 32),
	    digest)) != 0)
		return error;
	memcpy(esp + hdr + ctlen, digest,
	    xform_key_xform(sa->auth)->icv_bytes);
	return 0;
}

int
esp_encap(const struct xform_sa *sa, struct xform_pkt *pkt, uint64_t seq,
    uint64_t iv)
{
	const struct xform *enc, *auth;
	struct geom g;
	uint8_t *start, *esp, *payload, *t;
	size_t ctlen, l3new;
	bool esn = (sa->flags & XFORM_SA_ESN) != 0;
	int error;

	if ((error = sa_xforms(sa, &enc, &auth)) != 0)
		return error;
	if (!esn && seq > UINT32_MAX)
		return -ERANGE;
	if ((error = geom_make(sa, enc, auth, pkt, &g)) != 0)
		return error;

	start = pkt->buf + pkt->off - g.prefix;
	if (g.outer != 0) {
		size_t ohl;

		/* The IPv4 ID: the low sequence bits (see ip_hdr.h). */
		if ((error = ip_hdr_build_outer(start, g.outer, sa, &g.in,
		    g.udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP,
		    g.newlen - g.outer, (uint16_t)seq, &ohl)) != 0)
			return error;
		l3new = ohl;
	} else {
		memmove(start, pkt->buf + pkt->off, g.l3);
		ip_nh_set(start, g.in.version, g.in.nh_off,
		    g.udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP);
		ip_len_update(start, g.in.version, g.newlen);
		l3new = g.l3;
	}
	esp = start + l3new + g.udp;
	payload = esp + g.hdr;
	t = payload + g.data;
	if (g.tfc != 0) {	/* RFC 4303 §2.7: TFC padding */
		memset(t, 0, g.tfc);
		t += g.tfc;
	}
	pad_fill(sa, t, g.pad);
	t[g.pad] = (uint8_t)g.pad;
	t[g.pad + 1] = g.nh;
	ctlen = g.data + g.tfc + g.pad + ESP_TRAILER_BYTES;

	wr_put_be32(esp, sa->spi);
	wr_put_be32(esp + 4, (uint32_t)seq);
	if (enc->kind == XFORM_KIND_AEAD) {
		uint8_t aad[12];
		size_t aadlen = aad_make(aad, sa->spi, seq, esn);

		wr_put_be32(esp + 8, (uint32_t)(iv >> 32));
		wr_put_be32(esp + 12, (uint32_t)iv);
		error = enc->seal(sa->enc, iv, aad, aadlen, payload, ctlen,
		    payload + ctlen);
	} else
		error = cipher_mac(sa, enc, esp, g.hdr, ctlen, seq, iv);
	if (error != 0) {
		/* A backend failure (never seen): no packet, keep it so. */
		memset(esp, 0, g.hdr + ctlen + g.icv);
		return -EIO;
	}
	if (g.udp != 0)
		udp_encap_fill(sa, &g, start + l3new, g.newlen - l3new);
	pkt->off -= g.prefix;
	pkt->len = g.newlen;
	return 0;
}

static int
parse_udp(struct rd *r, struct esp_in *in, enum xform_reject *why)
{
	uint16_t sport, dport, ulen, csum;
	size_t total = r->left;
	const uint8_t *udp = r->p;
	const uint8_t *m;

	if (rd_be16(r, &sport) != 0 || rd_be16(r, &dport) != 0 ||
	    rd_be16(r, &ulen) != 0 || rd_be16(r, &csum) != 0)
		return xform_fail(why, XFORM_REJECT_UDP_SHORT);
	if (ulen != total)
		return xform_fail(why, XFORM_REJECT_UDP_LEN);
	if (in->ip.version == 6) {
		/* A zero checksum is invalid on IPv6 (RFC 8200 §8.1). */
		if (csum == 0 ||
		    ip_l4_csum(&in->ip, IPPROTO_NUM_UDP, udp, total) != 0)
			return xform_fail(why, XFORM_REJECT_UDP_CSUM);
	}
	in->natt = true;
	in->udp_sport = sport;
	in->udp_dport = dport;
	/* RFC 3948 §2.3: a single 0xff octet is a NAT keepalive. */
	if (r->left == 1 && r->p[0] == 0xff) {
		*why = XFORM_REJECT_NATT_KEEPALIVE;
		return XFORM_DROP;
	}
	/* RFC 3948 §2.2: four zero octets mark IKE (non-ESP marker). */
	if ((m = rd_peek(r, 4)) != NULL &&
	    (m[0] | m[1] | m[2] | m[3]) == 0)
		return xform_fail(why, XFORM_REJECT_NATT_IKE);
	return 0;
}

int
esp_parse(const struct xform_pkt *pkt, struct esp_in *in,
    enum xform_reject *why)
{
	const uint8_t *p;
	struct rd r;
	size_t off;
	int error;

	memset(in, 0, sizeof(*in));
	*why = XFORM_REJECT_NONE;
	if ((error = ip_hdr_parse_pkt(pkt, &p, &in->ip, why)) != 0)
		return error;
	off = in->ip.l3_len;
	rd_init(&r, p + off, in->ip.tot_len - off);
	if (in->ip.proto == IPPROTO_NUM_UDP) {
		if ((error = parse_udp(&r, in, why)) != 0)
			return error;
		off += UDP_HDR_BYTES;
	} else if (in->ip.proto != IPPROTO_NUM_ESP)
		return xform_fail(why, XFORM_REJECT_IP_PROTO);
	if (rd_be32(&r, &in->spi) != 0 || rd_be32(&r, &in->seq_lo) != 0)
		return xform_fail(why, XFORM_REJECT_ESP_SHORT);
	/* RFC 4303 §2.1: SPI 0 is reserved for local use, never sent. */
	if (in->spi == 0)
		return xform_fail(why, XFORM_REJECT_ESP_SPI_ZERO);
	in->esp_off = off;
	in->esp_len = in->ip.tot_len - off;
	return 0;
}

/*
 * RFC 3948 §3.1.2: the peer computed its TCP/UDP checksum with its
 * original addresses. With NAT-OA (item 1) the checksum is adjusted from
 * them to the addresses of the packet as received; with
 * XFORM_SA_NATT_CSUM (item 2: no original addresses known) it is
 * computed again over the packet (it is authenticated; Linux and FreeBSD
 * instead mark it valid, which a packet handed to a TAP cannot say). A
 * UDP checksum of 0 stays 0 (none).
 */
static void
natt_csum_fix(const struct xform_sa *sa, const struct ip_info *ip,
    uint8_t nh, uint8_t *l4, size_t n)
{
	size_t coff, alen = ip->version == 4 ? 4 : 16;
	uint16_t c;

	if (nh == IPPROTO_NUM_TCP && n >= 18)
		coff = 16;
	else if (nh == IPPROTO_NUM_UDP && n >= 8)
		coff = 6;
	else
		return;
	c = (uint16_t)(l4[coff] << 8 | l4[coff + 1]);
	if (nh == IPPROTO_NUM_UDP && c == 0)
		return;
	if (sa->flags & XFORM_SA_NATT_CSUM) {
		l4[coff] = l4[coff + 1] = 0;
		c = ip_l4_csum(ip, nh, l4, n);
	} else {
		if (sa->natt_oa_src.family == ip->version)
			c = ip_csum_replace(c, sa->natt_oa_src.a, ip->src.a,
			    alen);
		if (sa->natt_oa_dst.family == ip->version)
			c = ip_csum_replace(c, sa->natt_oa_dst.a, ip->dst.a,
			    alen);
	}
	if (nh == IPPROTO_NUM_UDP && c == 0)
		c = 0xffff;
	wr_put_be16(l4 + coff, c);
}

static int
decap_tunnel(const struct xform_sa *sa, struct xform_pkt *pkt,
    const struct esp_in *in, uint8_t *data, size_t datalen, uint8_t nh,
    enum xform_reject *why)
{
	struct ip_info inner;
	enum xform_reject iwhy;

	if (nh != IPPROTO_NUM_IPIP && nh != IPPROTO_NUM_IPV6)
		return xform_fail(why, XFORM_REJECT_ESP_NEXTHDR);
	if (ip_hdr_parse(data, datalen, IP_WALK_ALL, &inner, &iwhy) != 0 ||
	    (inner.version == 4) != (nh == IPPROTO_NUM_IPIP))
		return xform_fail(why, XFORM_REJECT_INNER);
	if (sa->flags & XFORM_SA_ECN) {
		int ecn = ip_ecn_decap(in->ip.tos, inner.tos);

		if (ecn < 0)
			return xform_fail(why, XFORM_REJECT_ECN);
		if ((uint8_t)ecn != (inner.tos & 3))
			ip_tos_set(data, inner.version,
			    (uint8_t)((inner.tos & 0xfc) | ecn));
	}
	/* Bytes past the inner packet are TFC padding (RFC 4303 §2.7). */
	pkt->off = (size_t)(data - pkt->buf);
	pkt->len = inner.tot_len;
	return 0;
}

/*
 * Authenticate and decrypt ciphertext esp[hdr .. hdr+ctlen) in place,
 * its ICV (icvlen bytes) behind it, for the 64-bit sequence number seq:
 * the AEAD's open, or (RFC 4303 §3.4.4) the ICV checked first, then the
 * cipher. 0, or -EBADMSG.
 */
static int
esp_open(const struct xform_sa *sa, const struct xform *enc, uint8_t *esp,
    size_t ctlen, size_t icvlen, uint64_t seq)
{
	uint8_t *iv = esp + ESP_HDR_BYTES, *payload = iv + enc->iv_bytes;
	bool esn = (sa->flags & XFORM_SA_ESN) != 0;
	uint8_t digest[XFORM_DIGEST_MAX], aad[12];
	size_t aadlen;

	if (enc->kind == XFORM_KIND_AEAD) {
		aadlen = aad_make(aad, sa->spi, seq, esn);
		return enc->open(sa->enc, xform_be64_get(iv), aad, aadlen,
		    payload, ctlen, payload + ctlen) != 0 ? -EBADMSG : 0;
	}
	if (esp_mac(sa->auth, esp, (size_t)(payload - esp) + ctlen, esn,
	    (uint32_t)(seq >> 32), digest) != 0 ||
	    sodium_memcmp(digest, payload + ctlen, icvlen) != 0)
		return -EBADMSG;
	if (enc->iv_bytes != 0 && enc->decrypt(sa->enc, iv, payload,
	    ctlen) != 0)
		return -EBADMSG;
	return 0;
}

int
esp_decap(const struct xform_sa *sa, struct xform_pkt *pkt,
    const struct esp_in *in, uint32_t seq_hi, enum xform_reject *why)
{
	const struct xform *enc, *auth;
	uint8_t *p, *esp, *payload, *start;
	size_t hdr, icvlen, ctlen, padlen, datalen, shift, newlen;
	uint8_t nh;

	*why = XFORM_REJECT_NONE;
	if (sa_xforms(sa, &enc, &auth) != 0)
		return xform_fail(why, XFORM_REJECT_SA);
	if (in->spi != sa->spi)
		return xform_fail(why, XFORM_REJECT_ESP_SPI);
	if (in->natt && !(sa->flags & XFORM_SA_NATT))
		return xform_fail(why, XFORM_REJECT_NATT_UNEXPECTED);
	if (!in->natt && (sa->flags & XFORM_SA_NATT))
		return xform_fail(why, XFORM_REJECT_NATT_MISSING);
	/*
	 * Both ports as the SA says (0: any), as NetBSD's key_allocsa does
	 * for NAT-T SAs. A NAT that rebinds (a new source port) is noticed
	 * by the key manager, which updates the SA (DESIGN §10.27).
	 */
	if (in->natt && ((sa->natt_dport != 0 &&
	    in->udp_dport != sa->natt_dport) || (sa->natt_sport != 0 &&
	    in->udp_sport != sa->natt_sport)))
		return xform_fail(why, XFORM_REJECT_UDP_PORT);
	if (pkt->off > pkt->cap || pkt->len > pkt->cap - pkt->off ||
	    in->esp_off + in->esp_len > pkt->len)
		return xform_fail(why, XFORM_REJECT_IP_LEN);
	hdr = ESP_HDR_BYTES + enc->iv_bytes;
	icvlen = icv_bytes(enc, auth);
	if (in->esp_len < hdr + ESP_TRAILER_BYTES + icvlen)
		return xform_fail(why, XFORM_REJECT_ESP_SHORT);
	ctlen = in->esp_len - hdr - icvlen;
	/* RFC 4303 §2.4: the ICV starts 4-byte aligned. */
	if (ctlen % enc->align != 0)
		return xform_fail(why, XFORM_REJECT_ESP_ALIGN);
	p = pkt->buf + pkt->off;
	esp = p + in->esp_off;
	payload = esp + hdr;
	if (esp_open(sa, enc, esp, ctlen, icvlen,
	    (uint64_t)seq_hi << 32 | in->seq_lo) != 0)
		return xform_fail(why, XFORM_REJECT_ESP_AUTH);
	padlen = payload[ctlen - 2];
	nh = payload[ctlen - 1];
	if (padlen + ESP_TRAILER_BYTES > ctlen)
		return xform_fail(why, XFORM_REJECT_ESP_PADLEN);
	datalen = ctlen - ESP_TRAILER_BYTES - padlen;
	if (!pad_ok(sa, payload + datalen, padlen))
		return xform_fail(why, XFORM_REJECT_ESP_PAD);
	/* RFC 4303 §2.6: a dummy packet; authenticated, so count it. */
	if (nh == IPPROTO_NUM_NONE) {
		*why = XFORM_REJECT_ESP_DUMMY;
		return XFORM_DROP;
	}
	if (sa->mode == XFORM_MODE_TUNNEL)
		return decap_tunnel(sa, pkt, in, payload, datalen, nh, why);

	if (in->natt)
		natt_csum_fix(sa, &in->ip, nh, payload, datalen);
	/* Slide the IP header (and extension headers) up to the payload. */
	shift = in->esp_off - in->ip.l3_len + hdr;
	start = p + shift;
	memmove(start, p, in->ip.l3_len);
	ip_nh_set(start, in->ip.version, in->ip.nh_off, nh);
	newlen = in->ip.l3_len + datalen;
	ip_len_update(start, in->ip.version, newlen);
	pkt->off += shift;
	pkt->len = newlen;
	return 0;
}
