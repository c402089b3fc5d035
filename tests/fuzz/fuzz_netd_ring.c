/*
 * fuzz_netd_ring.c - libFuzzer target for netd's done ring
 * (servers/netd/netd_ring.c, netd_ring_drain()): everything a broken or
 * hostile ipsecd can hand back. netd sends two real work items (a
 * PROTECT from the host side, an UNPROTECT of ESP from the wire) through
 * the bridge into an in-process region; side B is this harness, which
 * answers both with descriptors and slot bytes taken from the input.
 *
 * Input, per descriptor (two of them): off u16 | len u16 | op u8 |
 * flags u8 | result i16 | hint u32 (little-endian; off and len are
 * clamped into the slot so that ring_send() accepts them: the ring's own
 * range check is test_ring's), then the rest of the input split in two:
 * the bytes written over each slot from offset 0 (the result block, the
 * packet, anything). Afterwards every slot must be back in netd's free
 * list (nothing lost, nothing freed twice) and the links drained; what
 * netd sent on (a "protected" packet, a delivered inner one, an ICMP
 * error) is whatever it was: this target looks for crashes, sanitizer
 * reports and slot leaks.
 * Seeds: tests/fuzz/corpus/fuzz_netd_ring (gen_fuzz_netd_ring.py):
 * a PROTECT ok, an UNPROTECT ok with a valid result block and inner
 * packet, a too_big, a recovered descriptor, a wrong op.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netd_ring.h"
#include "../unit/netd/fake_ipsecd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define DESC_BYTES	((size_t)12)
#define SLOT_BYTES	2048	/* the rig's */

static struct {
	struct netd_rig		 r;
	uint8_t			 out[2][128];
	size_t			 nout[2];
	bool			 ready;
} g;

static void
put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (checksummed) + 16 bytes of payload of protocol proto. */
static size_t
frame(uint8_t *f, const uint8_t src[4], const uint8_t dst[4], uint8_t proto)
{
	uint32_t sum = 0;
	size_t i;

	memset(f, 0, 14 + 36);
	f[0] = 2;
	f[6] = 2;
	put16be(f + 12, 0x0800);
	f[14] = 0x45;
	put16be(f + 16, 36);
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, src, 4);
	memcpy(f + 30, dst, 4);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)f[14 + i] << 8 | f[15 + i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16be(f + 24, (uint16_t)~sum);
	if (proto == 17) {	/* UDP 1000 -> 2000, length 16 */
		put16be(f + 34, 1000);
		put16be(f + 36, 2000);
		put16be(f + 38, 16);
	} else {		/* ESP: SPI 0x1234, sequence 1 */
		put16be(f + 36, 0x1234);
		f[41] = 1;
	}
	return 14 + 36;
}

static void
setup(void)
{
	static const char *const pol[] = {
		"out,10.0.0.1/32,10.0.0.2/32,any,ipsec",
		"in,10.0.0.2/32,10.0.0.1/32,any,ipsec",
		NULL
	};

	if (netd_rig_init(&g.r, 8, 64, pol, 0x1234) != 0)
		abort();
	g.nout[0] = frame(g.out[0], (const uint8_t[]){ 10, 0, 0, 1 },
	    (const uint8_t[]){ 10, 0, 0, 2 }, 17);
	g.nout[1] = frame(g.out[1], (const uint8_t[]){ 10, 0, 0, 2 },
	    (const uint8_t[]){ 10, 0, 0, 1 }, 50);
	g.ready = true;
}

static void
inject(struct link *l, uint8_t *f, size_t n, enum decide_from from)
{
	struct link_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = f;
	p.len = (uint32_t)n;
	p.cap = (uint32_t)n;
	if (link_send(l, &p, 1) != 1 || bridge_pump(&g.r.br, from) != 1)
		abort();
}

static void
drain_link(struct link *l)
{
	static uint8_t buf[LINK_BATCH][LINK_BUF_BYTES];
	struct link_pkt p[LINK_BATCH];
	unsigned i;

	for (i = 0; i < LINK_BATCH; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].data = buf[i];
		p[i].cap = LINK_BUF_BYTES;
	}
	while (link_recv(l, p, LINK_BATCH) > 0)
		;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Side B: answer what netd sent from the input. */
static void
answer(const uint8_t *data, size_t size)
{
	struct ring_desc d[8];
	const uint8_t *body = data + 2 * DESC_BYTES;
	size_t nbody = size - 2 * DESC_BYTES, half = nbody / 2, k;
	int n, i;

	if ((n = ring_recv(g.r.rb, d, 8)) != 2)
		abort();
	for (i = 0; i < n; i++) {
		const uint8_t *x = data + (size_t)i * DESC_BYTES;
		const uint8_t *b = body + (size_t)i * half;
		uint8_t *slot = ring_slot(g.r.rb, d[i].slot);

		d[i].off = (uint16_t)(le16(x) % SLOT_BYTES);
		d[i].len = le16(x + 2);
		if (d[i].len > SLOT_BYTES - d[i].off)
			d[i].len = (uint16_t)(SLOT_BYTES - d[i].off);
		d[i].op = x[4];
		d[i].flags = x[5];
		d[i].result = (int16_t)le16(x + 6);
		d[i].hint = (uint32_t)le16(x + 8) | (uint32_t)le16(x + 10) << 16;
		k = half < SLOT_BYTES ? half : SLOT_BYTES;
		memcpy(slot, b, k);
	}
	if (ring_send(g.r.rb, d, (unsigned)n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ring_slot_counts c;

	if (!g.ready)
		setup();
	if (size < 2 * DESC_BYTES)
		return 0;
	inject(&g.r.host_peer, g.out[0], g.nout[0], DECIDE_FROM_HOST);
	inject(&g.r.wire_peer, g.out[1], g.nout[1], DECIDE_FROM_WIRE);
	netd_ring_flush(&g.r.nr);
	answer(data, size);
	if (netd_ring_drain(&g.r.nr, 64) != 2)
		abort();
	drain_link(&g.r.host_peer);
	drain_link(&g.r.wire_peer);
	ring_slot_counts(g.r.ra, &c);
	if (c.held != 0 || c.peer != 0 || c.free != 8 || g.r.nr.nwork != 0)
		abort();
	return 0;
}
