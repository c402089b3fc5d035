/*
 * fuzz_netd_udp_frame.c - libFuzzer target for the header adaptation of
 * an overlay's udp link (servers/netd/link_udp.c, link.h): the input is
 * a datagram "from ipsecd" for link_udp_strip. What it accepts must be
 * consistent (payload offset within the input, the UDP length, the
 * destination's family the version's); its payload is then written
 * back behind a header of our own (link_udp_synth, from the destination
 * as peer), which must parse (pkt_parse) and strip again to the same
 * payload. Any other outcome aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[LINK_UDP_HDR6 + 65536];
	static const uint8_t local[16] = { 192, 0, 2, 1 };
	struct sockaddr_storage to, to2;
	struct pkt_info pi;
	socklen_t tl, tl2;
	uint16_t sport, sport2, fam;
	size_t off, off2, plen, hdr;

	if (link_udp_strip(data, size, &to, &tl, &sport, &off) != 0)
		return 0;
	fam = to.ss_family;
	if (off > size || off < 28 || (fam != AF_INET && fam != AF_INET6) ||
	    (fam == AF_INET6) != ((data[0] >> 4) == 6) ||
	    ((size_t)data[off - 4] << 8 | data[off - 3]) != size - off + 8)
		abort();
	plen = size - off;
	hdr = LINK_UDP_HDR(fam);
	if (plen > sizeof(out) - hdr)
		abort();
	memcpy(out + hdr, data + off, plen);
	if (link_udp_synth(out, plen, fam, &to, local, 4500) != 0)
		return 0;	/* IPv4 with options: too long without them */
	if (pkt_parse(out, hdr + plen, &pi) != PKT_OK ||
	    link_udp_strip(out, hdr + plen, &to2, &tl2, &sport2, &off2) != 0 ||
	    off2 != hdr || memcmp(out + off2, data + off, plen) != 0 ||
	    to2.ss_family != fam || pi.dport != 4500)
		abort();
	return 0;
}
