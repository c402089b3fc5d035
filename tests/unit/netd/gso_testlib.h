/*
 * gso_testlib.h - TCP segments and superpackets for test_gso.c and
 * test_gro.c, with checksums computed independently of gso.c (pktgen.h's
 * byte-wise sum, a pseudo header built here). Header-only, for tests.
 */
#ifndef PARAPET_TEST_GSO_TESTLIB_H
#define PARAPET_TEST_GSO_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pktgen.h"

#define T_FIN	0x01
#define T_SYN	0x02
#define T_PSH	0x08
#define T_ACK	0x10
#define T_CWR	0x80

static inline uint16_t
t_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
t_get32(const uint8_t *p)
{
	return (uint32_t)t_get16(p) << 16 | t_get16(p + 2);
}

/* The TCP pseudo-header sum for tl bytes of TCP after ip (IPv4 without
 * options, or IPv6 without extension headers), not inverted. */
static inline uint16_t
t_pseudo(const uint8_t *ip, size_t tl)
{
	uint8_t ph[40];
	size_t n;

	if ((ip[0] >> 4) == 4) {
		memcpy(ph, ip + 12, 8);
		n = 8;
		ph[n++] = 0;
		ph[n++] = 6;
	} else {
		memcpy(ph, ip + 8, 32);
		n = 32;
		ph[n++] = 0;
		ph[n++] = 0;
		ph[n++] = 0;
		ph[n++] = 6;
	}
	ph[n++] = (uint8_t)(tl >> 8);
	ph[n++] = (uint8_t)tl;
	return (uint16_t)~pg_csum(ph, n, 0);
}

/* The TCP checksum of the datagram ip[0, len), not inverted, with the
 * field as is: 0xffff when right. */
static inline uint16_t
t_tcp_sum(const uint8_t *ip, size_t len)
{
	size_t l4 = (ip[0] >> 4) == 4 ? 20 : 40;

	return (uint16_t)~pg_csum(ip + l4, len - l4, t_pseudo(ip, len - l4));
}

static inline int
t_tcp_csum_ok(const uint8_t *ip, size_t len)
{
	return t_tcp_sum(ip, len) == 0xffff;
}

/*
 * A TCP datagram: family 4 or 6, sequence number seq, payload bytes of a
 * pattern from seq (so segments of one stream agree), flags, optlen
 * bytes of options (NOPs and a timestamp-like block), IPv4 id; ports
 * 40000 -> 5201 + port; ack 0x01020304; window 512. Both checksums
 * right. Returns its length.
 */
static inline size_t
t_tcp_pkt(uint8_t *b, int family, uint32_t seq, uint32_t payload,
    uint8_t flags, uint8_t optlen, uint16_t id, uint16_t port)
{
	size_t l4 = family == 4 ? 20 : 40, th = 20 + optlen, i;
	uint8_t *t = b + l4;

	memset(b, 0, l4 + th);
	if (family == 4) {
		b[0] = 0x45;
		pg_put16(b + 2, (uint16_t)(l4 + th + payload));
		pg_put16(b + 4, id);
		b[6] = 0x40;	/* DF */
		b[8] = 64;
		b[9] = 6;
		pg_addr("10.9.0.1", t);
		memcpy(b + 12, t, 4);
		pg_addr("10.9.0.2", t);
		memcpy(b + 16, t, 4);
		memset(t, 0, 16);
		pg_put16(b + 10, pg_csum(b, 20, 0));
	} else {
		b[0] = 0x60;
		pg_put16(b + 4, (uint16_t)(th + payload));
		b[6] = 6;
		b[7] = 64;
		pg_addr("fd00:9::1", b + 8);
		pg_addr("fd00:9::2", b + 24);
	}
	pg_put16(t, 40000);
	pg_put16(t + 2, (uint16_t)(5201 + port));
	pg_put32(t + 4, seq);
	pg_put32(t + 8, 0x01020304);
	t[12] = (uint8_t)(th / 4 << 4);
	t[13] = flags;
	pg_put16(t + 14, 512);
	for (i = 0; i < optlen; i++)
		t[20 + i] = i < 2 ? 1 : (uint8_t)(0x80 + i);
	for (i = 0; i < payload; i++)
		t[th + i] = (uint8_t)((seq + i) * 7 + (seq + i) / 251);
	pg_put16(t + 16, 0);
	pg_put16(t + 16, (uint16_t)~t_tcp_sum(b, l4 + th + payload));
	return l4 + th + payload;
}

/* The same behind a 14-byte Ethernet header; returns the frame length. */
static inline size_t
t_tcp_frame(uint8_t *f, int family, uint32_t seq, uint32_t payload,
    uint8_t flags, uint8_t optlen, uint16_t id, uint16_t port)
{
	static const uint8_t eth[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memcpy(f, eth, 12);
	f[12] = family == 4 ? 0x08 : 0x86;
	f[13] = family == 4 ? 0x00 : 0xdd;
	return 14 + t_tcp_pkt(f + 14, family, seq, payload, flags, optlen,
	    id, port);
}

#endif /* PARAPET_TEST_GSO_TESTLIB_H */
