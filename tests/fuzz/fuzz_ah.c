/*
 * fuzz_ah.c - libFuzzer target for AH (servers/ipsecd/ah.c).
 *
 * Input: one selector byte, then bytes. Bit 0 chooses what the bytes are,
 * bits 1-2 one of four fixed SAs (both HMACs, both modes, ESN):
 *   0  a received packet: ah_parse(), then ah_decap() with the SA (SPI
 *      taken from the packet);
 *   1  a packet to protect: ah_encap() must accept or refuse it cleanly;
 *      if accepted, parse + decap must give it back. This walks IPv4
 *      options and IPv6 extension headers of arbitrary shape behind a
 *      valid ICV.
 * Buffers are exactly as large as the packet. Seeds:
 * tests/fuzz/corpus/fuzz_ah (gen_esp_seeds.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ah.h"
#include "ip_hdr.h"
#include "xform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSA	4

static struct xform_sa sas[NSA];

static void
setup(void)
{
	static const struct {
		enum xform_alg	auth;
		uint8_t		mode, tfam;
		uint16_t	flags;
	} defs[NSA] = {
		{ XFORM_HMAC_SHA256_128, XFORM_MODE_TRANSPORT, 0, 0 },
		{ XFORM_HMAC_SHA512_256, XFORM_MODE_TRANSPORT, 0,
		    XFORM_SA_ESN },
		{ XFORM_HMAC_SHA256_128, XFORM_MODE_TUNNEL, 6, XFORM_SA_ECN },
		{ XFORM_HMAC_SHA512_256, XFORM_MODE_TUNNEL, 4, XFORM_SA_ESN },
	};
	uint8_t ak[64];
	size_t i;

	if (xform_init() != 0)
		abort();
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < NSA; i++) {
		struct xform_key *k;

		memset(&sas[i], 0, sizeof(sas[i]));
		sas[i].proto = IPPROTO_NUM_AH;
		sas[i].mode = defs[i].mode;
		sas[i].flags = defs[i].flags;
		sas[i].spi = 0x2000 + (uint32_t)i;
		sas[i].ah_cleartos = 1;
		if (xform_key_new(defs[i].auth, ak,
		    xform_get(defs[i].auth)->key_bytes, &k) != 0)
			abort();
		sas[i].auth = k;
		sas[i].tun_src.family = sas[i].tun_dst.family = defs[i].tfam;
		memset(sas[i].tun_src.a, 0x11, 16);
		memset(sas[i].tun_dst.a, 0x22, 16);
	}
}

static void
check(int rc, enum xform_reject why)
{
	if (rc != xform_reject_errno(why) || rc == XFORM_DROP ||
	    xform_reject_str(why) == NULL)
		abort();
}

static void
inbound(struct xform_sa *sa, uint8_t *p, size_t n)
{
	struct xform_pkt pkt = { .buf = p, .cap = n, .off = 0, .len = n };
	struct ah_in in;
	enum xform_reject why;
	uint32_t spi = sa->spi;
	int rc;

	rc = ah_parse(&pkt, &in, &why);
	check(rc, why);
	if (rc != 0)
		return;
	sa->spi = in.spi;
	rc = ah_decap(sa, &pkt, &in, 7, &why);
	sa->spi = spi;
	check(rc, why);
	if (rc == 0 && (pkt.off > n || pkt.len > n - pkt.off))
		abort();
}

static void
round_trip(const struct xform_sa *sa, const uint8_t *data, size_t n)
{
	size_t head = ah_headroom(sa, 6), cap = head + n;
	uint8_t *b = malloc(cap ? cap : 1), *orig = malloc(n ? n : 1);
	struct xform_pkt pkt = { .buf = b, .cap = cap, .off = head, .len = n };
	struct ah_in in;
	enum xform_reject why;
	struct ip_info ii;

	if (b == NULL || orig == NULL)
		abort();
	memcpy(b + head, data, n);
	memcpy(orig, data, n);
	if (ah_encap(sa, &pkt, 0x700000009ull) != 0)
		goto out;
	if (ip_hdr_parse(orig, n, sa->mode == XFORM_MODE_TUNNEL ?
	    IP_WALK_ALL : IP_WALK_INSERT, &ii, &why) != 0)
		abort();
	if (ah_parse(&pkt, &in, &why) != 0 ||
	    ah_decap(sa, &pkt, &in, 7, &why) != 0)
		abort();
	if (pkt.len != ii.tot_len ||
	    memcmp(pkt.buf + pkt.off, orig, pkt.len) != 0)
		abort();
out:
	free(b);
	free(orig);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct xform_sa *sa;
	uint8_t *p;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 1)
		return 0;
	sa = &sas[(data[0] >> 1) & 3];
	if (data[0] & 1) {
		round_trip(sa, data + 1, size - 1);
		return 0;
	}
	/* Exactly the packet's size, so overreads are caught. */
	if ((p = malloc(size > 1 ? size - 1 : 1)) == NULL)
		abort();
	memcpy(p, data + 1, size - 1);
	inbound(sa, p, size - 1);
	free(p);
	return 0;
}
