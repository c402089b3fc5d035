/*
 * fuzz_esp.c - libFuzzer target for ESP decapsulation (servers/ipsecd/
 * esp.c), the inbound path of ipsecd's transforms.
 *
 * Input: one selector byte, then bytes. Selector bits 0-1 choose what the
 * bytes are, bits 2-4 one of eight fixed SAs (every transform, both modes,
 * NAT-T, ESN, ECN, zero padding):
 *   0, 3  a received packet: esp_parse(), then esp_decap() with the SA
 *         (its SPI taken from the packet, so authentication is reached);
 *   1     an inner packet: esp_encap() must accept it or refuse it
 *         cleanly; if accepted, parse + decap must give it back;
 *   2     an ESP plaintext (payload, padding, pad length, next header):
 *         wrapped in an authenticated NULL + HMAC-SHA-256 packet, so that
 *         padding, next header, inner-packet and ECN checks see
 *         arbitrary bytes behind a valid ICV.
 * Every packet sits in a buffer of exactly its size, so ASan sees any
 * read past it. Every answer is checked: a rejection's errno is its
 * reason's, XFORM_DROP only for the silent reasons, results stay inside
 * the buffer. Seeds: tests/fuzz/corpus/fuzz_esp (gen_esp_seeds.py, with
 * the same keys and SAs as below).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"
#include "ip_hdr.h"
#include "xform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSA	8

static struct xform_sa sas[NSA];
static uint32_t seq_his[NSA];

static const struct {
	enum xform_alg	enc, auth;
	uint8_t		mode, tfam;
	uint16_t	flags;
	uint8_t		pad;
} sa_defs[NSA] = {
	{ XFORM_CHACHA20POLY1305, 0, XFORM_MODE_TRANSPORT, 0, 0, 0 },
	{ XFORM_CHACHA20POLY1305, 0, XFORM_MODE_TUNNEL, 4, 0, 0 },
	{ XFORM_CHACHA20POLY1305, 0, XFORM_MODE_TRANSPORT, 0,
	    XFORM_SA_NATT | XFORM_SA_ESN, 0 },
	{ XFORM_NULL, XFORM_HMAC_SHA256_128, XFORM_MODE_TRANSPORT, 0, 0, 0 },
	{ XFORM_NULL, XFORM_HMAC_SHA512_256, XFORM_MODE_TUNNEL, 6,
	    XFORM_SA_NATT | XFORM_SA_ESN, 0 },
	{ XFORM_AES256GCM16, 0, XFORM_MODE_TRANSPORT, 0, XFORM_SA_ESN, 0 },
	{ XFORM_AES256GCM16, 0, XFORM_MODE_TUNNEL, 6, XFORM_SA_ECN, 0 },
	{ XFORM_NULL, XFORM_HMAC_SHA256_128, XFORM_MODE_TUNNEL, 4,
	    XFORM_SA_ECN, XFORM_PAD_ZERO },
};

static void
setup(void)
{
	uint8_t ek[36], ak[64];
	size_t i;

	if (xform_init() != 0)
		abort();
	for (i = 0; i < sizeof(ek); i++)
		ek[i] = (uint8_t)i;
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < NSA; i++) {
		struct xform_sa *sa = &sas[i];
		enum xform_alg enc = sa_defs[i].enc;
		struct xform_key *k = NULL;

		/* No AES instructions: ChaCha20-Poly1305 stands in. */
		if (xform_get(enc) == NULL)
			enc = XFORM_CHACHA20POLY1305;
		memset(sa, 0, sizeof(*sa));
		sa->proto = IPPROTO_NUM_ESP;
		sa->mode = sa_defs[i].mode;
		sa->flags = sa_defs[i].flags;
		sa->pad = sa_defs[i].pad;
		sa->spi = 0x1000 + (uint32_t)i;
		if (xform_key_new(enc, ek, xform_get(enc)->key_bytes, &k) != 0)
			abort();
		sa->enc = k;
		if (sa_defs[i].auth != XFORM_ALG_NONE) {
			if (xform_key_new(sa_defs[i].auth, ak,
			    xform_get(sa_defs[i].auth)->key_bytes, &k) != 0)
				abort();
			sa->auth = k;
		}
		if (sa->flags & XFORM_SA_NATT)
			sa->natt_sport = sa->natt_dport = NATT_PORT;
		sa->tun_src.family = sa->tun_dst.family = sa_defs[i].tfam;
		memset(sa->tun_src.a, 0x11, 16);
		memset(sa->tun_dst.a, 0x22, 16);
		seq_his[i] = (sa->flags & XFORM_SA_ESN) ? 7 : 0;
	}
}

static void
check(int rc, enum xform_reject why, const struct xform_pkt *pkt)
{
	if (rc == XFORM_DROP) {
		if (!xform_reject_silent(why))
			abort();
	} else if (rc != xform_reject_errno(why))
		abort();
	if (rc == 0 && (why != XFORM_REJECT_NONE || pkt->off > pkt->cap ||
	    pkt->len > pkt->cap - pkt->off))
		abort();
	if (xform_reject_str(why) == NULL)
		abort();
}

static void
inbound(struct xform_sa *sa, uint32_t seq_hi, uint8_t *p, size_t n)
{
	struct xform_pkt pkt = { .buf = p, .cap = n, .off = 0, .len = n };
	struct esp_in in;
	enum xform_reject why;
	uint32_t spi = sa->spi;
	int rc;

	rc = esp_parse(&pkt, &in, &why);
	check(rc, why, &pkt);
	if (rc != 0)
		return;
	if (in.esp_off + in.esp_len > n)
		abort();
	sa->spi = in.spi;
	rc = esp_decap(sa, &pkt, &in, seq_hi, &why);
	sa->spi = spi;
	check(rc, why, &pkt);
	if (rc == 0) {
		struct ip_info ii;
		enum xform_reject iwhy;

		/* What comes out is a valid IP packet. */
		if (ip_hdr_parse(pkt.buf + pkt.off, pkt.len, IP_WALK_ALL, &ii,
		    &iwhy) != 0 || ii.tot_len != pkt.len)
			abort();
	}
}

static void
round_trip(const struct xform_sa *sa, const uint8_t *data, size_t n)
{
	size_t head = esp_headroom(sa), tail = esp_tailroom(sa);
	size_t cap = head + n + tail;
	uint8_t *b = malloc(cap), *orig = malloc(n ? n : 1);
	struct xform_pkt pkt = { .buf = b, .cap = cap, .off = head, .len = n };
	struct esp_in in;
	enum xform_reject why;
	struct ip_info ii;
	size_t len;

	if (b == NULL || orig == NULL)
		abort();
	memcpy(b + head, data, n);
	memcpy(orig, data, n);
	if (esp_encap(sa, &pkt, 0x500000001ull, 42) != 0)
		goto out;
	/* Transport mode looks only as far as where ESP goes. */
	if (ip_hdr_parse(orig, n, sa->mode == XFORM_MODE_TUNNEL ?
	    IP_WALK_ALL : IP_WALK_INSERT, &ii, &why) != 0)
		abort();	/* encap accepted what the parser rejects */
	len = ii.tot_len;
	if (esp_parse(&pkt, &in, &why) != 0)
		abort();
	if (esp_decap(sa, &pkt, &in, (sa->flags & XFORM_SA_ESN) ? 5 : 0,
	    &why) != 0) {
		/*
		 * Only the ECN rule may refuse what we sent ourselves, and a
		 * transport packet whose next header was 59 (IPv6 "no next
		 * header") arrives as a dummy packet (RFC 4303 §2.6).
		 */
		if (why != XFORM_REJECT_ECN && !(why ==
		    XFORM_REJECT_ESP_DUMMY && ii.proto == IPPROTO_NUM_NONE))
			abort();
		goto out;
	}
	if (pkt.len != len || memcmp(pkt.buf + pkt.off, orig, len) != 0) {
		/* Tunnel ECN may rewrite the inner ECN bits only. */
		if (!(sa->flags & XFORM_SA_ECN) || pkt.len != len)
			abort();
	}
out:
	free(b);
	free(orig);
}

/* An authenticated IPv4 NULL + HMAC packet around plaintext pt. */
static void
crafted(struct xform_sa *sa, uint32_t seq_hi, const uint8_t *pt, size_t n)
{
	const struct xform *xf = xform_key_xform(sa->auth);
	size_t icv = xf->icv_bytes, len = IP4_HDR_BYTES + ESP_HDR_BYTES + n +
	    icv;
	uint8_t *p, d[XFORM_DIGEST_MAX];
	struct xform_mac_ctx ctx;

	if (len > IP_MAXPACKET_BYTES || (sa->flags & XFORM_SA_NATT))
		return;
	if ((p = calloc(1, len)) == NULL)
		abort();
	p[0] = 0x45;
	p[8] = 64;
	p[9] = IPPROTO_NUM_ESP;
	p[1] = 0x03;		/* CE: the ECN rule meets arbitrary inners */
	memset(p + 12, 0x11, 4);
	memset(p + 16, 0x22, 4);
	ip_len_set(p, 4, IP4_HDR_BYTES, len);
	p[20] = (uint8_t)(sa->spi >> 24);
	p[21] = (uint8_t)(sa->spi >> 16);
	p[22] = (uint8_t)(sa->spi >> 8);
	p[23] = (uint8_t)sa->spi;
	p[27] = 1;
	memcpy(p + 28, pt, n);
	xf->mac_init(sa->auth, &ctx);
	xf->mac_update(&ctx, p + 20, ESP_HDR_BYTES + n);
	if (sa->flags & XFORM_SA_ESN) {
		uint8_t hi[4] = { (uint8_t)(seq_hi >> 24),
			(uint8_t)(seq_hi >> 16), (uint8_t)(seq_hi >> 8),
			(uint8_t)seq_hi };

		xf->mac_update(&ctx, hi, 4);
	}
	xf->mac_final(&ctx, d);
	memcpy(p + 28 + n, d, icv);
	inbound(sa, seq_hi, p, len);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct xform_sa *sa;
	uint32_t seq_hi;
	uint8_t sel, *p;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	sel = data[0];
	sa = &sas[(sel >> 2) & 7];
	seq_hi = seq_his[(sel >> 2) & 7];
	data++;
	size--;
	switch (sel & 3) {
	case 1:
		round_trip(sa, data, size);
		break;
	case 2:
		if (sa->auth != NULL)
			crafted(sa, seq_hi, data, size);
		break;
	default:
		/* A copy of exactly size bytes: overreads are caught. */
		if ((p = malloc(size ? size : 1)) == NULL)
			abort();
		memcpy(p, data, size);
		inbound(sa, seq_hi, p, size);
		free(p);
		break;
	}
	return 0;
}
