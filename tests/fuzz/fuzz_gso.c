/*
 * fuzz_gso.c - libFuzzer target for software segmentation and
 * coalescing (servers/netd/gso.c): untrusted superpackets from the host
 * and untrusted decrypted segments from ipsecd.
 *
 * Input: byte 0 selects (bit 0: GRO, else GSO; bit 1: IPv6 gso type;
 * bit 2: Ethernet header in front for GRO), bytes 1-2 the gso_size, then
 * GSO: the datagram; GRO: records of a 2-byte length and that many bytes
 * (frames, each copied to a buffer of exactly its size so ASan sees any
 * overread). Checks: every segment fits hdr_len + mss, the segments'
 * payloads add up, each segment's TCP checksum verifies; every
 * superpacket GRO makes segments again (gso_prepare accepts it) and the
 * bytes in equal the bytes out. Any inconsistency aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define RECS	16

static uint8_t seg[70000];
static uint8_t arena[2 * (GRO_MAX_BYTES + 14)];

/* The TCP checksum of a segment gso_segment() made, with gso_csum. */
static int
tcp_ok(const uint8_t *ip, size_t n, const struct gso *g)
{
	uint8_t ph[40] = { 0 };
	size_t k, tl = n - g->l4_off;

	if (g->family == 4) {
		memcpy(ph, ip + 12, 8);
		k = 8;
		ph[k++] = 0;
		ph[k++] = 6;
	} else {
		memcpy(ph, ip + 8, 32);
		k = 34;
		ph[k++] = 0;
		ph[k++] = 6;
	}
	ph[k++] = (uint8_t)(tl >> 8);
	ph[k++] = (uint8_t)tl;
	return gso_csum(gso_csum(0, ph, k), ip + g->l4_off, tl) == 0xffff;
}

static size_t
segment_all(const uint8_t *ip, size_t len, const struct link_vnet *v)
{
	struct gso g;
	size_t n, total = 0;
	uint32_t i;

	if (gso_prepare(&g, ip, len, v) != 0)
		return 0;
	for (i = 0; i < g.nsegs; i++) {
		if (gso_segment(&g, ip, i, seg, sizeof(seg), &n) != 0 ||
		    n > (size_t)g.hdr_len + g.mss || n <= g.hdr_len ||
		    !tcp_ok(seg, n, &g))
			abort();
		total += n - g.hdr_len;
	}
	if (total != g.payload)
		abort();
	return total;
}

static void
gro(const uint8_t *b, size_t n, size_t l3)
{
	struct link_pkt in[RECS], out[RECS];
	uint8_t *buf[RECS];
	struct gro r;
	unsigned k = 0, i, m;
	size_t len, bytes_in = 0, bytes_out = 0;

	while (k < RECS && n >= 2) {
		len = (size_t)(b[0] << 8 | b[1]);
		b += 2;
		n -= 2;
		if (len > n || len == 0)
			break;
		if ((buf[k] = malloc(len)) == NULL)
			abort();
		memcpy(buf[k], b, len);
		memset(&in[k], 0, sizeof(in[k]));
		in[k].data = buf[k];
		in[k].len = in[k].cap = (uint32_t)len;
		b += len;
		n -= len;
		k++;
	}
	gro_init(&r, out, RECS, arena, sizeof(arena));
	for (i = 0; i < k; i++)
		if (!gro_add(&r, &in[i], l3))
			abort();
	m = gro_finish(&r);
	if (m > k || m + r.merged != k)
		abort();
	for (i = 0; i < k; i++)
		bytes_in += in[i].len;
	for (i = 0; i < m; i++) {
		if (out[i].vnet.gso_type == GSO_T_NONE) {
			bytes_out += out[i].len;
			continue;
		}
		if (out[i].vnet.hdr_len < l3)
			abort();
		len = segment_all(out[i].data + l3, out[i].len - l3,
		    &out[i].vnet);
		if (len == 0)
			abort();
		bytes_out += len;
	}
	/* Merged segments lose their headers; padding may be cut. */
	if (bytes_out > bytes_in)
		abort();
	for (i = 0; i < k; i++)
		free(buf[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_vnet v;
	uint8_t *copy;

	if (size < 3)
		return 0;
	memset(&v, 0, sizeof(v));
	v.gso_type = (data[0] & 2) != 0 ? GSO_T_TCPV6 : GSO_T_TCPV4;
	v.gso_size = (uint16_t)(data[1] << 8 | data[2]);
	if ((data[0] & 1) != 0) {
		gro(data + 3, size - 3, (data[0] & 4) != 0 ? 14 : 0);
		return 0;
	}
	if ((copy = malloc(size - 3 + 1)) == NULL)
		abort();
	memcpy(copy, data + 3, size - 3);
	(void)segment_all(copy, size - 3, &v);
	free(copy);
	return 0;
}
