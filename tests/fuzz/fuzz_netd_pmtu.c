/*
 * fuzz_netd_pmtu.c - libFuzzer target for netd's path MTU learning
 * (servers/netd/netd_pmtu.c and icmp_parse_pmtu in icmp.c).
 *
 * The input is an IP datagram from the wire, copied to a buffer of
 * exactly its size (so ASan sees any overread). A table that has sent
 * ESP, AH and ESP-in-UDP packets (10.0.0.1 -> 10.0.0.2 and 2001:db8::1
 * -> 2001:db8::2, SPI 0x1001: what the seeds quote) reads it as an ICMP
 * error; then as a packet netd sent, and as an error again. Checked: a
 * reason within range, consumed only when the error was shown to be
 * ours, and a learned MTU never above the link's nor below the floor.
 * Seeds: gen_fuzz_netd_pmtu.py.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netd_pmtu.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LINK	1500

static const uint8_t ours[2][2][16] = {
	{ { 10, 0, 0, 1 }, { 10, 0, 0, 2 } },
	{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	  { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } },
};

static void
prime(struct netd_pmtu *t)
{
	static const uint8_t kinds[] = { PKT_K_ESP, PKT_K_AH, PKT_K_UDP_ESP };
	struct pkt_info pi;
	unsigned f, k;

	for (f = 0; f < 2; f++)
		for (k = 0; k < sizeof(kinds); k++) {
			memset(&pi, 0, sizeof(pi));
			pi.family = f != 0 ? AF_INET6 : AF_INET;
			pi.kind = kinds[k];
			pi.spi = 0x1001;
			memcpy(pi.src, ours[f][0], 16);
			memcpy(pi.dst, ours[f][1], 16);
			netd_pmtu_sent(t, &pi, 0);
		}
}

static void
check(struct netd_pmtu *t, const uint8_t *b, const struct pkt_info *pi,
    uint64_t now)
{
	enum netd_pmtu_why w = netd_pmtu_icmp(t, b, pi, LINK, now);
	struct icmp_pmtu pm;
	uint16_t m;

	if ((unsigned)w >= NETD_PMTU_WHY_COUNT)
		abort();
	if (!netd_pmtu_consumed(w))
		return;
	if (icmp_parse_pmtu(b, pi, &pm) != 0)
		abort();	/* kept, but not an error about ESP / AH */
	m = netd_pmtu_mtu(t, pm.family, pm.dst, LINK, now);
	if (m > LINK || m < (pm.family == AF_INET6 ? NETD_PMTU_MIN6 :
	    NETD_PMTU_MIN4))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_pmtu_conf c;
	struct netd_pmtu *t;
	struct pkt_info pi;
	uint8_t *b;

	if (size == 0 || (b = malloc(size)) == NULL)
		return 0;
	memcpy(b, data, size);
	netd_pmtu_conf_default(&c);
	c.paths = c.sents = 8;		/* small: eviction reached */
	if (netd_pmtu_new(&t, &c, size) != 0)
		abort();
	prime(t);
	if (pkt_parse(b, size, &pi) == PKT_OK) {
		check(t, b, &pi, 10);
		netd_pmtu_sent(t, &pi, 20);
		check(t, b, &pi, 30);
		(void)netd_pmtu_mtu(t, pi.family, pi.dst, LINK,
		    NETD_PMTU_EXPIRE_MS + 40);
	}
	netd_pmtu_free(t);
	free(b);
	return 0;
}
