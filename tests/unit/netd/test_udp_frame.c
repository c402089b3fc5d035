/*
 * test_udp_frame.c - the header adaptation of a udp link with ipframe
 * (the outside of an overlay; servers/netd/link_udp.c, link.h):
 *
 *  - link_udp_strip: good IPv4 (with and without options) and IPv6
 *    datagrams give the destination, ports and payload offset; one row
 *    per way to be wrong (lengths, version, fragments, protocol,
 *    extension header, UDP length), each with its error, and every
 *    truncation of a good datagram refused (ASan sees any overread);
 *  - link_udp_synth: the header written in front of a payload parses
 *    (pkt_parse: checksums, ESP in UDP with its SPI, addresses and ports
 *    as received), the IPv6 UDP checksum verifies, strip gives back what
 *    went in; the length limits of both families to the byte; refusals;
 *  - a round trip at random (PARAPET_SEED): payloads of random length
 *    and content, random addresses and ports, both families.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "link.h"
#include "pkt.h"
#include "pktgen.h"
#include "prng.h"

static uint8_t buf[65536 + 128];

/* An ESP-in-UDP datagram: IPv4 (ihl words of header) or IPv6. */
static size_t
esp_in_udp(uint8_t *b, int v6, unsigned ihl, uint16_t sport, uint16_t dport,
    size_t esp_data)
{
	uint8_t esp[2048], udp[2100];
	size_t n = pg_esp(esp, 0x3001, 7, esp_data);

	n = pg_udp(udp, sport, dport, esp, n);
	if (v6)
		return pg_v6(b, "2001:db8::1", "2001:db8::2", IPPROTO_UDP, udp,
		    n);
	n = pg_v4(b, "192.0.2.1", "192.0.2.2", IPPROTO_UDP, udp, n, 0, 9);
	if (ihl > 5) {
		size_t opt = (size_t)(ihl - 5) * 4;

		memmove(b + 20 + opt, b + 20, n - 20);
		memset(b + 20, 1, opt);		/* NOPs */
		b[0] = (uint8_t)(0x40 | ihl);
		n += opt;
		pg_put16(b + 2, (uint16_t)n);
		pg_v4_recsum(b);
	}
	return n;
}

static void
test_strip_good(void **state)
{
	struct sockaddr_storage to;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;
	socklen_t tl;
	uint16_t sport;
	size_t n, off;
	uint8_t a[16];

	(void)state;
	n = esp_in_udp(buf, 0, 5, 4500, 4501, 40);
	assert_int_equal(link_udp_strip(buf, n, &to, &tl, &sport, &off), 0);
	assert_int_equal(to.ss_family, AF_INET);
	assert_int_equal(tl, sizeof(*s4));
	assert_int_equal(ntohs(s4->sin_port), 4501);
	pg_addr("192.0.2.2", a);
	assert_memory_equal(&s4->sin_addr, a, 4);
	assert_int_equal(sport, 4500);
	assert_int_equal(off, 28);
	assert_int_equal(buf[off + 3], 0x01);	/* the SPI's last byte */
	/* Options: the payload moves with the header length. */
	n = esp_in_udp(buf, 0, 7, 4500, 4500, 40);
	assert_int_equal(link_udp_strip(buf, n, &to, &tl, &sport, &off), 0);
	assert_int_equal(off, 36);
	n = esp_in_udp(buf, 1, 5, 4500, 1234, 40);
	assert_int_equal(link_udp_strip(buf, n, &to, &tl, &sport, &off), 0);
	assert_int_equal(to.ss_family, AF_INET6);
	assert_int_equal(tl, sizeof(*s6));
	assert_int_equal(ntohs(s6->sin6_port), 1234);
	pg_addr("2001:db8::2", a);
	assert_memory_equal(&s6->sin6_addr, a, 16);
	assert_int_equal(off, 48);
}

/* A good datagram, one byte changed (or its length), and the error. */
struct strip_row {
	const char	*what;
	size_t		 at;		/* byte to set; SIZE_MAX: none */
	int		 v6;
	int		 dlen;		/* len passed: n + dlen */
	int		 want;
	uint8_t		 val;
};

static const struct strip_row strip_rows[] = {
	{ "empty", SIZE_MAX, 0, -1000, -EBADMSG, 0 },
	{ "version 5", 0, 0, 0, -EAFNOSUPPORT, 0x55 },
	{ "version 0", 0, 0, 0, -EAFNOSUPPORT, 0x05 },
	{ "ihl 4", 0, 0, 0, -EBADMSG, 0x44 },
	{ "ihl 15 > len", 0, 0, 0, -EBADMSG, 0x4f },
	{ "totlen + 1", 3, 0, 0, -EBADMSG, 0x49 },
	{ "totlen - 1", 3, 0, 0, -EBADMSG, 0x47 },
	{ "one byte more arrived", SIZE_MAX, 0, 1, -EBADMSG, 0 },
	{ "MF", 6, 0, 0, -EBADMSG, 0x20 },
	{ "offset", 7, 0, 0, -EBADMSG, 0x01 },
	{ "DF is fine", 6, 0, 0, 0, 0x40 },
	{ "tcp", 9, 0, 0, -EPROTONOSUPPORT, IPPROTO_TCP },
	{ "esp", 9, 0, 0, -EPROTONOSUPPORT, IPPROTO_ESP },
	{ "udp len + 1", 25, 0, 0, -EBADMSG, 0x35 },
	{ "udp len - 1", 25, 0, 0, -EBADMSG, 0x33 },
	{ "udp len 0", 24, 0, 0, -EBADMSG, 0xff },
	{ "v6 plen + 1", 5, 1, 0, -EBADMSG, 0x35 },
	{ "v6 plen - 1", 5, 1, 0, -EBADMSG, 0x33 },
	{ "v6 hop-by-hop first", 6, 1, 0, -EPROTONOSUPPORT, 0 },
	{ "v6 esp", 6, 1, 0, -EPROTONOSUPPORT, IPPROTO_ESP },
	{ "v6 udp len + 1", 45, 1, 0, -EBADMSG, 0x35 },
};

static void
test_strip_rows(void **state)
{
	struct sockaddr_storage to;
	socklen_t tl;
	uint16_t sport;
	size_t i, n, off;

	(void)state;
	for (i = 0; i < nitems(strip_rows); i++) {
		const struct strip_row *r = &strip_rows[i];
		long len;
		int got;

		/* 52 bytes of UDP (0x34); IPv4 total 72 (0x48). */
		n = esp_in_udp(buf, r->v6, 5, 4500, 4500, 36);
		assert_int_equal(n - (r->v6 ? 40 : 20), 52);
		if (r->at != SIZE_MAX) {
			buf[r->at] = r->val;
			if (!r->v6 && r->at < 20)
				pg_v4_recsum(buf);
		}
		len = (long)n + r->dlen;
		got = link_udp_strip(buf, len < 0 ? 0 : (size_t)len, &to, &tl,
		    &sport, &off);
		if (got != r->want)
			fail_msg("row %zu (%s): got %d, want %d", i, r->what,
			    got, r->want);
	}
}

/* Every truncation of good datagrams is refused, from a heap copy of
 * exactly that length (ASan: no read past it). */
static void
test_strip_truncated(void **state)
{
	struct sockaddr_storage to;
	socklen_t tl;
	uint16_t sport;
	size_t n, k, off;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		n = esp_in_udp(buf, v6, v6 ? 5 : 6, 4500, 4500, 16);
		for (k = 0; k < n; k++) {
			uint8_t *c = malloc(k + 1);

			assert_non_null(c);
			memcpy(c, buf, k);
			assert_int_not_equal(link_udp_strip(c, k, &to, &tl,
			    &sport, &off), 0);
			free(c);
		}
	}
}

static void
peer4(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s4->sin_addr), 1);
}

static void
peer6(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
}

/* The UDP checksum of the IPv6 datagram b (n bytes) verifies. */
static int
udp6_csum_ok(const uint8_t *b, size_t n)
{
	uint8_t ph[8] = { 0, 0, b[44], b[45], 0, 0, 0, IPPROTO_UDP };
	uint32_t s = pkt_csum_add(pkt_csum_add(0, b + 8, 32), ph, 8);

	return pkt_csum_fold(pkt_csum_add(s, b + 40, n - 40)) == 0xffff;
}

static void
test_synth(void **state)
{
	struct sockaddr_storage peer, to;
	struct pkt_info pi;
	uint8_t local[16], esp[64];
	size_t n, off;
	socklen_t tl;
	uint16_t sport;

	(void)state;
	n = pg_esp(esp, 0xabcd, 3, 32);
	/* IPv4: from 192.0.2.2:4500 to us, 192.0.2.1:4500. */
	peer4(&peer, "192.0.2.2", 4500);
	pg_addr("192.0.2.1", local);
	memcpy(buf + LINK_UDP_HDR4, esp, n);
	assert_int_equal(link_udp_synth(buf, n, AF_INET, &peer, local, 4500),
	    0);
	assert_int_equal(pkt_parse(buf, LINK_UDP_HDR4 + n, &pi), PKT_OK);
	assert_int_equal(pi.family, AF_INET);
	assert_int_equal(pi.kind, PKT_K_UDP_ESP);
	assert_int_equal(pi.spi, 0xabcd);
	assert_int_equal(pi.sport, 4500);
	assert_int_equal(pi.dport, 4500);
	assert_int_equal(pi.len, LINK_UDP_HDR4 + n);
	assert_memory_equal(pi.dst, local, 4);
	assert_int_equal(buf[8], 64);			/* TTL */
	assert_int_equal(buf[26] | buf[27], 0);		/* no UDP checksum */
	/* Strip gives back the payload and, as destination, the peer. */
	assert_int_equal(link_udp_strip(buf, LINK_UDP_HDR4 + n, &to, &tl,
	    &sport, &off), 0);
	assert_int_equal(off, LINK_UDP_HDR4);
	assert_int_equal(sport, 4500);
	/* (to is the datagram's destination: us) */
	assert_memory_equal(&((struct sockaddr_in *)&to)->sin_addr, local, 4);

	/* IPv6: checksum required (RFC 8200 §8.1) and right. */
	peer6(&peer, "2001:db8::2", 61000);
	pg_addr("2001:db8::1", local);
	memcpy(buf + LINK_UDP_HDR6, esp, n);
	assert_int_equal(link_udp_synth(buf, n, AF_INET6, &peer, local, 4500),
	    0);
	assert_int_equal(pkt_parse(buf, LINK_UDP_HDR6 + n, &pi), PKT_OK);
	assert_int_equal(pi.family, AF_INET6);
	assert_int_equal(pi.kind, PKT_K_UDP_ESP);
	assert_int_equal(pi.sport, 61000);
	assert_memory_equal(pi.dst, local, 16);
	assert_int_not_equal(buf[46] | buf[47], 0);
	assert_true(udp6_csum_ok(buf, LINK_UDP_HDR6 + n));

	/* Refusals: family, the peer's family. */
	assert_int_equal(link_udp_synth(buf, n, AF_UNIX, &peer, local, 4500),
	    -EAFNOSUPPORT);
	assert_int_equal(link_udp_synth(buf, n, AF_INET, &peer, local, 4500),
	    -EAFNOSUPPORT);
}

/* The largest datagrams of both families, and one byte more. */
static void
test_synth_limits(void **state)
{
	struct sockaddr_storage p4, p6;
	struct pkt_info pi;
	uint8_t local[16] = { 10, 0, 0, 1 };
	size_t max4 = 65535 - LINK_UDP_HDR4, max6 = 65535 - 8;

	(void)state;
	peer4(&p4, "10.0.0.2", 4500);
	peer6(&p6, "2001:db8::2", 4500);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(link_udp_synth(buf, max4, AF_INET, &p4, local, 4500),
	    0);
	assert_int_equal(pkt_parse(buf, LINK_UDP_HDR4 + max4, &pi), PKT_OK);
	assert_int_equal(pi.len, 65535);
	assert_int_equal(link_udp_synth(buf, max4 + 1, AF_INET, &p4, local,
	    4500), -EMSGSIZE);
	assert_int_equal(link_udp_synth(buf, max6, AF_INET6, &p6, local, 4500),
	    0);
	assert_int_equal(pkt_parse(buf, LINK_UDP_HDR6 + max6, &pi), PKT_OK);
	assert_true(udp6_csum_ok(buf, LINK_UDP_HDR6 + max6));
	assert_int_equal(link_udp_synth(buf, max6 + 1, AF_INET6, &p6, local,
	    4500), -EMSGSIZE);
	/* An empty payload: a bare UDP header. */
	assert_int_equal(link_udp_synth(buf, 0, AF_INET, &p4, local, 4500), 0);
	assert_int_equal(pkt_parse(buf, LINK_UDP_HDR4, &pi), PKT_OK);
	assert_int_equal(pi.kind, PKT_K_UDP);
}

static void
fill(uint64_t *r, void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)prng_below(r, 256);
}

/* synth -> strip at random: the payload, ports and addresses survive. */
static void
test_round_trip(void **state)
{
	uint64_t r = prng_seed_env();
	unsigned i;

	(void)state;
	print_message("test_udp_frame: PARAPET_SEED=%llu\n",
	    (unsigned long long)r);
	if (r == 0)
		r = 1;
	for (i = 0; i < 2000; i++) {
		struct sockaddr_storage peer, to;
		uint16_t fam = prng_below(&r, 2) ? AF_INET6 : AF_INET;
		size_t hdr = LINK_UDP_HDR(fam), off;
		size_t plen = prng_below(&r, 4) == 0 ?
		    (size_t)prng_below(&r, 65536 - 48) :
		    (size_t)prng_below(&r, 1600);
		uint16_t lport = (uint16_t)prng_below(&r, 65536), sport;
		uint8_t local[16];
		socklen_t tl;
		size_t k;

		memset(&peer, 0, sizeof(peer));
		peer.ss_family = fam;
		fill(&r, local, sizeof(local));
		if (fam == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peer;

			fill(&r, &s6->sin6_addr, 16);
			s6->sin6_port = (uint16_t)prng_below(&r, 65536);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&peer;

			fill(&r, &s4->sin_addr, 4);
			s4->sin_port = (uint16_t)prng_below(&r, 65536);
		}
		for (k = 0; k < plen && k < 64; k++)
			buf[hdr + k] = (uint8_t)prng_below(&r, 256);
		if (link_udp_synth(buf, plen, fam, &peer, local, lport) != 0) {
			assert_true(fam == AF_INET && plen > 65535 - hdr);
			continue;
		}
		assert_int_equal(link_udp_strip(buf, hdr + plen, &to, &tl,
		    &sport, &off), 0);
		assert_int_equal(off, hdr);
		assert_int_equal(to.ss_family, fam);
		if (fam == AF_INET6) {
			assert_memory_equal(&((struct sockaddr_in6 *)&to)->
			    sin6_addr, local, 16);
			assert_int_equal(((struct sockaddr_in6 *)&to)->
			    sin6_port, htons(lport));
			assert_int_equal(sport, ntohs(((struct sockaddr_in6 *)
			    &peer)->sin6_port));
			assert_true(udp6_csum_ok(buf, hdr + plen));
		} else {
			assert_memory_equal(&((struct sockaddr_in *)&to)->
			    sin_addr, local, 4);
			assert_int_equal(((struct sockaddr_in *)&to)->sin_port,
			    htons(lport));
			assert_int_equal(sport, ntohs(((struct sockaddr_in *)
			    &peer)->sin_port));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_good),
		cmocka_unit_test(test_strip_rows),
		cmocka_unit_test(test_strip_truncated),
		cmocka_unit_test(test_synth),
		cmocka_unit_test(test_synth_limits),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
