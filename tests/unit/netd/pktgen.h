/*
 * pktgen.h - build IPv4 / IPv6 test packets (netd's unit tests, fuzz seed
 * generator and benchmark). Header-only, for tests: no checks beyond
 * assert; headers get correct lengths and the IPv4 header checksum.
 */
#ifndef PARAPET_TEST_PKTGEN_H
#define PARAPET_TEST_PKTGEN_H

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static inline void
pg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pg_put32(uint8_t *p, uint32_t v)
{
	pg_put16(p, (uint16_t)(v >> 16));
	pg_put16(p + 2, (uint16_t)v);
}

static inline uint16_t
pg_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void
pg_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out) != 1)
		assert(0);
}

/* frag: the 16-bit flags+offset field (0x2000 MF, offset in 8s). */
static inline size_t
pg_v4(uint8_t *b, const char *src, const char *dst, uint8_t proto,
    const uint8_t *l4, size_t n, uint16_t frag, uint16_t id)
{
	uint8_t a[16];

	memset(b, 0, 20);
	b[0] = 0x45;
	pg_put16(b + 2, (uint16_t)(20 + n));
	pg_put16(b + 4, id);
	pg_put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	pg_addr(src, a);
	memcpy(b + 12, a, 4);
	pg_addr(dst, a);
	memcpy(b + 16, a, 4);
	pg_put16(b + 10, pg_csum(b, 20, 0));
	memmove(b + 20, l4, n);
	return 20 + n;
}

static inline void
pg_v4_recsum(uint8_t *b)
{
	b[10] = b[11] = 0;
	pg_put16(b + 10, pg_csum(b, (size_t)(b[0] & 15) * 4, 0));
}

/* payload: extension headers and upper layer, raw. */
static inline size_t
pg_v6(uint8_t *b, const char *src, const char *dst, uint8_t nxt,
    const uint8_t *pl, size_t n)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	pg_put16(b + 4, (uint16_t)n);
	b[6] = nxt;
	b[7] = 64;
	pg_addr(src, b + 8);
	pg_addr(dst, b + 24);
	memmove(b + 40, pl, n);
	return 40 + n;
}

static inline size_t
pg_udp(uint8_t *p, uint16_t sport, uint16_t dport, const void *data,
    size_t n)
{
	pg_put16(p, sport);
	pg_put16(p + 2, dport);
	pg_put16(p + 4, (uint16_t)(8 + n));
	pg_put16(p + 6, 0);
	memcpy(p + 8, data, n);
	return 8 + n;
}

static inline size_t
pg_tcp(uint8_t *p, uint16_t sport, uint16_t dport, size_t data)
{
	memset(p, 0, 20 + data);
	pg_put16(p, sport);
	pg_put16(p + 2, dport);
	p[12] = 5 << 4;
	p[13] = 0x02;	/* SYN */
	return 20 + data;
}

static inline size_t
pg_icmp(uint8_t *p, uint8_t type, uint8_t code, size_t data)
{
	memset(p, 0, 8 + data);
	p[0] = type;
	p[1] = code;
	return 8 + data;
}

static inline size_t
pg_esp(uint8_t *p, uint32_t spi, uint32_t seq, size_t data)
{
	pg_put32(p, spi);
	pg_put32(p + 4, seq);
	memset(p + 8, 0xab, data);
	return 8 + data;
}

/* An options-style extension header of (units + 1) * 8 bytes. */
static inline size_t
pg_ext(uint8_t *p, uint8_t nh, uint8_t units)
{
	size_t n = ((size_t)units + 1) * 8;

	memset(p, 0, n);
	p[0] = nh;
	p[1] = units;
	if (n > 2) {		/* PadN over the rest */
		p[2] = 1;
		p[3] = (uint8_t)(n - 4);
	}
	return n;
}

static inline size_t
pg_frag6(uint8_t *p, uint8_t nh, uint16_t off_bytes, int more, uint32_t id)
{
	p[0] = nh;
	p[1] = 0;
	pg_put16(p + 2, (uint16_t)(off_bytes | (more ? 1 : 0)));
	pg_put32(p + 4, id);
	return 8;
}

#endif
