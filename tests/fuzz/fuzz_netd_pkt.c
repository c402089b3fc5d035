/*
 * fuzz_netd_pkt.c - libFuzzer target for netd's packet path
 * (servers/netd: pkt.c, decide.c, frag.c, icmp.c).
 *
 * The input is an IP datagram (first byte 0x4_ or 0x6_) or else an
 * Ethernet frame. It is copied to a buffer of exactly its size (so ASan
 * sees any overread) and parsed; whatever parses is checked for
 * consistency (offsets within the datagram), decided with an empty SPD
 * from both sides, fed to a fresh reassembly table when it is a fragment
 * (twice: the second is a duplicate), read as an ICMP error about ESP,
 * and answered with a "too big" error whose output parses again. Any
 * inconsistency aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "frag.h"
#include "icmp.h"
#include "pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t out[70000];

static void
ip(const uint8_t *b, size_t n)
{
	struct decide_result r;
	struct decide_ctx c;
	struct frag_limits fl;
	struct frag_table *ft;
	struct icmp_pmtu pm;
	struct pkt_info pi, po;
	uint8_t me[16] = { 192, 0, 2, 1 };
	size_t olen;

	if (pkt_parse(b, n, &pi) != PKT_OK)
		return;
	if (pi.len > n || pi.l4_off > pi.len ||
	    (pi.frag && pi.frag_data_off > pi.len) || pi.kind > PKT_K_NOPORTS)
		abort();
	memset(&c, 0, sizeof(c));
	decide_params_default(&c.params);
	c.policyd_known = c.ipsecd_up = true;
	decide(&c, &pi, DECIDE_FROM_HOST, &r);
	decide(&c, &pi, DECIDE_FROM_WIRE, &r);
	if (r.verdict >= DECIDE_V_COUNT)
		abort();
	if (pi.frag) {
		frag_limits_default(&fl);
		if (frag_create(&ft, &fl, 1) != 0)
			abort();
		if (frag_add(ft, b, &pi, 0, out, sizeof(out), &olen) ==
		    FRAG_DONE)
			abort();	/* one fragment never completes */
		if (frag_add(ft, b, &pi, 0, out, sizeof(out), &olen) !=
		    FRAG_R_DUP && frag_stats(ft)->dgrams != 0)
			abort();
		frag_destroy(ft);
	}
	if (icmp_parse_pmtu(b, &pi, &pm) == 0 && pm.spi == 0)
		abort();	/* an SPI of 0 is reserved */
	if (icmp_build_too_big(b, &pi, me, 1280, out, sizeof(out),
	    &olen) == 0 && pkt_parse(out, olen, &po) != PKT_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b;
	uint16_t et;
	size_t off;

	if ((b = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(b, data, size);
	if (size > 0 && ((b[0] >> 4) == 4 || (b[0] >> 4) == 6))
		ip(b, size);
	else if (pkt_eth_parse(b, size, &et, &off) == PKT_OK &&
	    (et == ETHERTYPE_IPV4 || et == ETHERTYPE_IPV6))
		ip(b + off, size - off);
	free(b);
	return 0;
}
