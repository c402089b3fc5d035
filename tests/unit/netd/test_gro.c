/*
 * test_gro.c - coalescing of decrypted TCP segments towards the TAP
 * (servers/netd/gso.c, gro_*): one table row per case. Each row is a
 * list of frames (family, seq, payload, flags, flow, broken checksum)
 * and the expected output: per frame sent, how many segments it holds.
 * Every superpacket is checked: vnet header (gso type and size, NEEDS_CSUM
 * start/offset, hdr_len), IP length and header checksum, the partial TCP
 * checksum (the pseudo-header sum, computed independently), and cut back
 * with gso_segment() it gives the original segments byte for byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gso.h"
#include "gso_testlib.h"

/* The table leaves trailing fields zero (flow, bad, arena_supers). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define NF	80
#define FB	2048

struct fr {
	int8_t		family;		/* 0: end of list; -1: ARP */
	uint32_t	seq;
	uint16_t	payload;
	uint8_t		flags;
	uint8_t		flow;		/* port offset */
	uint8_t		bad;		/* 1: TCP checksum, 2: options */
};

struct gro_row {
	const char	*name;
	struct fr	 in[12];
	uint8_t		 out[12];	/* segments per output frame; 0 ends */
	unsigned	 arena_supers;	/* 0: 4 */
};

#define A	T_ACK
#define AP	(T_ACK | T_PSH)

static const struct gro_row rows[] = {
	{ "v4 run, psh ends", { { 4, 0, 1000, A }, { 4, 1000, 1000, A },
	    { 4, 2000, 1000, A }, { 4, 3000, 1000, AP } }, { 4 } },
	{ "v6 run", { { 6, 0, 1000, A }, { 6, 1000, 1000, A },
	    { 6, 2000, 700, A } }, { 3 } },
	{ "single", { { 4, 0, 1000, A } }, { 1 } },
	{ "after psh a new one", { { 4, 0, 1000, AP }, { 4, 1000, 1000, A },
	    { 4, 2000, 1000, A } }, { 1, 2 } },
	{ "gap", { { 4, 0, 1000, A }, { 4, 1000, 1000, A },
	    { 4, 3000, 1000, A }, { 4, 4000, 1000, A } }, { 2, 2 } },
	{ "short ends", { { 4, 0, 1000, A }, { 4, 1000, 500, A },
	    { 4, 1500, 1000, A } }, { 2, 1 } },
	{ "longer not merged", { { 4, 0, 1000, A }, { 4, 1000, 1200, A } },
	    { 1, 1 } },
	{ "flows interleaved", { { 4, 0, 1000, A, 0 }, { 4, 0, 1000, A, 1 },
	    { 4, 1000, 1000, A, 0 } }, { 1, 1, 1 } },
	{ "flows one after another", { { 4, 0, 1000, A, 0 },
	    { 4, 1000, 1000, A, 0 }, { 4, 0, 1000, A, 1 },
	    { 4, 1000, 1000, A, 1 } }, { 2, 2 } },
	{ "families differ", { { 4, 0, 1000, A }, { 6, 1000, 1000, A } },
	    { 1, 1 } },
	{ "bad checksum first", { { 4, 0, 1000, A, 0, 1 },
	    { 4, 1000, 1000, A }, { 4, 2000, 1000, A } }, { 1, 2 } },
	{ "bad checksum middle", { { 4, 0, 1000, A },
	    { 4, 1000, 1000, A, 0, 1 }, { 4, 2000, 1000, A } },
	    { 1, 1, 1 } },
	{ "options differ", { { 4, 0, 1000, A }, { 4, 1000, 1000, A, 0, 2 } },
	    { 1, 1 } },
	{ "syn fin ack-only", { { 4, 0, 0, T_SYN }, { 4, 0, 0, A },
	    { 4, 0, 10, T_ACK | T_FIN }, { 4, 10, 10, T_ACK | T_CWR } },
	    { 1, 1, 1, 1 } },
	{ "arp in between", { { 4, 0, 1000, A }, { -1 }, { 4, 1000, 1000, A } },
	    { 1, 1, 1 } },
	{ "seq wrap", { { 4, 0xfffffc18u, 1000, A }, { 4, 0, 1000, A } },
	    { 2 } },
	{ "arena for one", { { 4, 0, 1000, A, 0 }, { 4, 1000, 1000, A, 0 },
	    { 4, 0, 1000, A, 1 }, { 4, 1000, 1000, A, 1 } }, { 2, 1, 1 }, 1 },
};

static uint8_t frames[NF][FB];

static size_t
make(const struct fr *f, uint8_t *b, uint16_t id)
{
	size_t n;

	if (f->family < 0) {
		memset(b, 0, 42);
		b[12] = 0x08;
		b[13] = 0x06;
		return 42;
	}
	n = t_tcp_frame(b, f->family, f->seq, f->payload, f->flags, 12, id,
	    f->flow);
	if (f->bad == 2) {	/* an option byte differs, checksum right */
		uint8_t *t = b + 14 + (f->family == 4 ? 20 : 40);

		t[30] ^= 1;
		pg_put16(t + 16, 0);
		pg_put16(t + 16, (uint16_t)~t_tcp_sum(b + 14, n - 14));
	}
	if (f->bad == 1)
		b[n - 1] ^= 0x40;
	return n;
}

/* A superpacket checked and cut back into the frames it came from. */
static void
check_super(const struct link_pkt *q, struct link_pkt *in, unsigned first,
    unsigned segs)
{
	static uint8_t seg[FB];
	const uint8_t *ip = q->data + 14;
	size_t l4 = (ip[0] >> 4) == 4 ? 20 : 40, n, hl;
	struct gso g;
	unsigned i;

	assert_int_equal(q->vnet.flags, GSO_F_NEEDS_CSUM);
	assert_int_equal(q->vnet.gso_type, l4 == 20 ? GSO_T_TCPV4 :
	    GSO_T_TCPV6);
	assert_int_equal(q->vnet.csum_start, 14 + l4);
	assert_int_equal(q->vnet.csum_offset, 16);
	hl = l4 + (size_t)(ip[l4 + 12] >> 4) * 4;
	assert_int_equal(q->vnet.hdr_len, 14 + hl);
	if (l4 == 20) {
		assert_int_equal(t_get16(ip + 2), q->len - 14);
		assert_int_equal(pg_csum(ip, 20, 0), 0);
	} else {
		assert_int_equal(t_get16(ip + 4), q->len - 14 - 40);
	}
	/* The partial checksum: the pseudo-header sum. */
	assert_int_equal(t_get16(ip + l4 + 16), t_pseudo(ip, q->len - 14 -
	    l4));
	assert_int_equal(gso_prepare(&g, ip, q->len - 14, &q->vnet), 0);
	assert_int_equal(g.nsegs, segs);
	for (i = 0; i < segs; i++) {
		const uint8_t *o = in[first + i].data + 14;

		assert_int_equal(gso_segment(&g, ip, i, seg, sizeof(seg), &n),
		    0);
		assert_int_equal(n, in[first + i].len - 14);
		/* The IPv4 id: the first's + i (ours are consecutive). */
		assert_memory_equal(seg, o, n);
	}
}

static void
run_row(const struct gro_row *r)
{
	static uint8_t arena[4 * (GRO_MAX_BYTES + 14)];
	struct link_pkt in[NF], out[NF];
	struct gro g;
	unsigned nin = 0, n, i, k = 0, want = 0, supers;

	print_message("row %s\n", r->name);
	memset(in, 0, sizeof(in));
	for (nin = 0; nin < 12 && r->in[nin].family != 0; nin++) {
		in[nin].data = frames[nin];
		in[nin].cap = FB;
		in[nin].len = (uint32_t)make(&r->in[nin], frames[nin],
		    (uint16_t)(100 + nin));
	}
	supers = r->arena_supers != 0 ? r->arena_supers : 4;
	gro_init(&g, out, NF, arena, (size_t)supers * (GRO_MAX_BYTES + 14));
	for (i = 0; i < nin; i++)
		assert_true(gro_add(&g, &in[i], 14));
	n = gro_finish(&g);
	while (want < 12 && r->out[want] != 0)
		want++;
	assert_int_equal(n, want);
	for (i = 0; i < n; i++) {
		if (r->out[i] == 1) {
			/* As it came: the same bytes (padding cut). */
			assert_int_equal(out[i].vnet.gso_type, 0);
			assert_memory_equal(out[i].data, in[k].data,
			    out[i].len);
			assert_true(out[i].len <= in[k].len);
		} else {
			check_super(&out[i], in, k, r->out[i]);
		}
		k += r->out[i];
	}
	assert_int_equal(k, nin);
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
}

/* 70 segments of 1000: superpackets at most 64 KiB, all bytes kept. */
static void
test_64k(void **state)
{
	static uint8_t arena[4 * (GRO_MAX_BYTES + 14)];
	struct link_pkt in[NF], out[NF];
	struct gro g;
	unsigned i, n, segs = 0;

	(void)state;
	for (i = 0; i < 70; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].data = frames[i];
		in[i].cap = FB;
		in[i].len = (uint32_t)t_tcp_frame(frames[i], 4, i * 1000u,
		    1000, T_ACK, 12, (uint16_t)i, 0);
	}
	gro_init(&g, out, NF, arena, sizeof(arena));
	for (i = 0; i < 70; i++)
		assert_true(gro_add(&g, &in[i], 14));
	n = gro_finish(&g);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_true(out[i].len - 14 <= GRO_MAX_BYTES);
		check_super(&out[i], in, segs, out[i].len > 40000 ? 65 : 5);
		segs += out[i].len > 40000 ? 65 : 5;
	}
	assert_int_equal(g.merged, 68);
}

/* out[] full: gro_add says so. */
static void
test_full(void **state)
{
	static uint8_t arena[GRO_MAX_BYTES + 14];
	struct link_pkt in[3], out[2];
	struct gro g;
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].data = frames[i];
		in[i].cap = FB;
		in[i].len = (uint32_t)t_tcp_frame(frames[i], 4, 0, 100, T_ACK,
		    0, 1, (uint16_t)i);
	}
	gro_init(&g, out, 2, arena, sizeof(arena));
	assert_true(gro_add(&g, &in[0], 14));
	assert_true(gro_add(&g, &in[1], 14));
	assert_false(gro_add(&g, &in[2], 14));
	assert_int_equal(gro_finish(&g), 2);
	/* l3 past the frame: passed as it is. */
	gro_init(&g, out, 2, arena, sizeof(arena));
	assert_true(gro_add(&g, &in[0], in[0].len + 5));
	assert_int_equal(gro_finish(&g), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_64k),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
