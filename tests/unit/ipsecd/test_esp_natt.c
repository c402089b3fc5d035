/*
 * test_esp_natt.c - ESP in UDP (RFC 3948) behind a NAT, in the transform
 * core (servers/ipsecd/esp.c), as tests/e2e/netd_natt.sh meets it:
 *
 *  - the ports: the SA's destination and source port must both match
 *    (0 in the SA: any); a NAT that changed the source port to one the
 *    SA does not name makes XFORM_REJECT_UDP_PORT, before the ICV;
 *  - transport mode, the inner TCP/UDP checksum after a NAT rewrote the
 *    outer source (the responder's view) or destination (the initiator's
 *    view): XFORM_SA_NATT_CSUM recomputes it (RFC 3948 §3.1.2, item 2),
 *    IPv4 and IPv6, TCP and UDP; an IPv4 UDP checksum of 0 stays 0;
 *    without the flag and without NAT-OA the checksum is left as it came
 *    (wrong), which is why ipsecd sets the flag for such SAs.
 * PARAPET_SEED, printed.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "esp.h"
#include "ip_hdr.h"
#include "xform.h"
#include "xform_pkt.h"

static uint64_t seed, rng;

/* The NAT's public address, for either family. */
static const uint8_t nat4[4] = { 198, 51, 100, 1 };
static const uint8_t nat6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x99,
	[15] = 1 };

/* One transport packet (fam, l4) encapsulated in UDP by sa. */
static size_t
natt_pkt(struct tpkt *t, const struct xform_sa *sa, int fam, uint8_t l4,
    bool zero_udp)
{
	uint8_t *p = t->buf + TP_HEAD;
	size_t len;

	if (fam == 4)
		len = tp_v4(&rng, p, l4, 40 + prng_below(&rng, 900), false);
	else
		len = tp_v6(&rng, p, l4, 40 + prng_below(&rng, 900), 0);
	tp_init(t, len);
	tp_l4_csum(p, len);	/* with the sender's own addresses */
	if (zero_udp) {
		p[20 + 6] = 0;
		p[20 + 7] = 0;
	}
	assert_int_equal(esp_encap(sa, &t->p, 7, 7), 0);
	return len;
}

/*
 * The NAT rewrites the outer source (dst false) or destination address,
 * and the outer IPv4 header checksum or IPv6 UDP checksum with it.
 */
static void
nat_rewrite(struct tpkt *t, int fam, bool dst)
{
	uint8_t *p = t->buf + t->p.off;

	if (fam == 4) {
		memcpy(p + (dst ? 16 : 12), nat4, 4);
		ip4_csum_set(p, IP4_HDR_BYTES);
	} else {
		memcpy(p + (dst ? 24 : 8), nat6, 16);
		tp_l4_csum(p, t->p.len);
	}
}

static void
test_csum(void **state)
{
	int fam, k, way;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		for (k = 0; k < 3; k++) {
			for (way = 0; way < 4; way++) {
				uint8_t l4 = k == 0 ? IPPROTO_NUM_TCP :
				    IPPROTO_NUM_UDP;
				bool zero = k == 2 && fam == 4;
				bool flag = (way & 1) == 0, dst = way >= 2;
				struct xform_sa sa;
				struct tpkt t;
				struct esp_in in;
				struct ip_info ii;
				enum xform_reject why;
				uint8_t *p;
				size_t coff;
				uint16_t c;

				tp_sa(&sa, &rng, IPPROTO_NUM_ESP,
				    XFORM_CHACHA20POLY1305, XFORM_ALG_NONE,
				    XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
				natt_pkt(&t, &sa, fam, l4, zero);
				nat_rewrite(&t, fam, dst);
				if (flag)
					sa.flags |= XFORM_SA_NATT_CSUM;
				assert_int_equal(esp_parse(&t.p, &in, &why), 0);
				assert_int_equal(esp_decap(&sa, &t.p, &in, 0,
				    &why), 0);
				p = t.buf + t.p.off;
				assert_int_equal(ip_hdr_parse(p, t.p.len,
				    IP_WALK_ALL, &ii, &why), 0);
				assert_int_equal(ii.proto, l4);
				coff = ii.l3_len + (l4 == IPPROTO_NUM_TCP ?
				    16 : 6);
				c = (uint16_t)(p[coff] << 8 | p[coff + 1]);
				if (zero)
					assert_int_equal(c, 0);
				else if (flag)
					assert_int_equal(ip_l4_csum(&ii, l4,
					    p + ii.l3_len, ii.tot_len -
					    ii.l3_len), 0);
				else
					assert_int_not_equal(ip_l4_csum(&ii,
					    l4, p + ii.l3_len, ii.tot_len -
					    ii.l3_len), 0);
				tp_sa_free(&sa);
			}
		}
	}
}

/* Decap a copy of t with the SA's ports set to sport, dport. */
static int
try_ports(const struct tpkt *t, struct xform_sa *sa, uint16_t sport,
    uint16_t dport, enum xform_reject *why)
{
	struct tpkt c = *t;
	struct esp_in in;

	c.p.buf = c.buf;
	sa->natt_sport = sport;
	sa->natt_dport = dport;
	assert_int_equal(esp_parse(&c.p, &in, why), 0);
	return esp_decap(sa, &c.p, &in, 0, why);
}

static void
test_ports(void **state)
{
	static const struct {
		uint16_t	sport, dport;
		int		ok;
	} rows[] = {
		{ 41003, 4500, 1 },	/* the mapping the SA names */
		{ 0, 4500, 1 },		/* any source port */
		{ 0, 0, 1 },		/* any port */
		{ 41004, 4500, 0 },	/* another mapping */
		{ 4500, 4500, 0 },	/* the port before the NAT */
		{ 41003, 4501, 0 },	/* not our port */
		{ 41003, 0, 1 },
	};
	struct xform_sa sa;
	struct tpkt t;
	enum xform_reject why;
	uint8_t *p;
	size_t i, udp;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		tp_sa(&sa, &rng, IPPROTO_NUM_ESP, XFORM_CHACHA20POLY1305,
		    XFORM_ALG_NONE, XFORM_MODE_TRANSPORT, XFORM_SA_NATT, 0);
		natt_pkt(&t, &sa, fam, IPPROTO_NUM_UDP, false);
		/* The NAT: source address and port. */
		nat_rewrite(&t, fam, false);
		p = t.buf + t.p.off;
		udp = fam == 4 ? IP4_HDR_BYTES : IP6_HDR_BYTES;
		p[udp] = 41003 >> 8;
		p[udp + 1] = 41003 & 0xff;
		if (fam == 6)
			tp_l4_csum(p, t.p.len);
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			int rc = try_ports(&t, &sa, rows[i].sport,
			    rows[i].dport, &why);

			if (rows[i].ok) {
				assert_int_equal(rc, 0);
			} else {
				assert_true(rc < 0);
				assert_int_equal(why, XFORM_REJECT_UDP_PORT);
			}
		}
		tp_sa_free(&sa);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_ports),
	};

	if (xform_init() != 0)
		return 1;
	seed = prng_seed_env();
	rng = seed | 1;
	printf("test_esp_natt: seed %" PRIu64 " (PARAPET_SEED)\n", seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
