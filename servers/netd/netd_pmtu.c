/*
 * netd_pmtu.c - path MTU learned from ICMP errors about netd's own ESP/AH
 * packets (netd_pmtu.h): a table of recently sent (destination, SPI)
 * pairs that validates the errors, and a table of learned MTUs per outer
 * destination with expiry. Both bounded, set-associative, evicting the
 * stalest way of a full set.
 */
#include <sys/socket.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netd_pmtu.h"

/* A learned MTU; family 0: free. */
struct pmtu_path {
	uint64_t	expires_ms;
	uint16_t	family;
	uint16_t	mtu;
	uint8_t		dst[16];
};

/* A (destination, protocol, SPI) we sent to; family 0: free. */
struct pmtu_sent {
	uint64_t	last_ms;
	uint32_t	spi;
	uint16_t	family;
	uint8_t		proto;
	uint8_t		src[16];
	uint8_t		dst[16];
};

struct netd_pmtu {
	struct netd_pmtu_conf	 conf;
	uint64_t		 seed;
	size_t			 live;		/* path entries in use */
	struct pmtu_path	*path;		/* [conf.paths] */
	struct pmtu_sent	*sent;		/* [conf.sents] */
	struct netd_pmtu_stats	 st;
};

static const char *const why_names[NETD_PMTU_WHY_COUNT] = {
	[NETD_PMTU_LEARNED] = "learned",
	[NETD_PMTU_NOT_LOWER] = "not_lower",
	[NETD_PMTU_NOT_OURS] = "not_ours",
	[NETD_PMTU_UNKNOWN_SPI] = "unknown_spi",
	[NETD_PMTU_BAD] = "bad",
	[NETD_PMTU_OTHER] = "other",
};

static const bool why_consumed[NETD_PMTU_WHY_COUNT] = {
	[NETD_PMTU_LEARNED] = true,
	[NETD_PMTU_NOT_LOWER] = true,
};

const char *
netd_pmtu_why_name(enum netd_pmtu_why w)
{
	return (unsigned)w < NETD_PMTU_WHY_COUNT ? why_names[w] : "unknown";
}

bool
netd_pmtu_consumed(enum netd_pmtu_why w)
{
	return (unsigned)w < NETD_PMTU_WHY_COUNT && why_consumed[w];
}

void
netd_pmtu_conf_default(struct netd_pmtu_conf *c)
{
	c->expire_ms = NETD_PMTU_EXPIRE_MS;
	c->sent_ms = NETD_PMTU_SENT_MS;
	c->paths = NETD_PMTU_PATHS;
	c->sents = NETD_PMTU_SENTS;
}

static bool
size_ok(unsigned n)
{
	return n >= NETD_PMTU_WAYS && (n & (n - 1)) == 0;
}

int
netd_pmtu_new(struct netd_pmtu **out, const struct netd_pmtu_conf *c,
    uint64_t seed)
{
	struct netd_pmtu *t;

	*out = NULL;
	if (c->expire_ms == 0 || c->sent_ms == 0 || !size_ok(c->paths) ||
	    !size_ok(c->sents))
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->conf = *c;
	t->seed = seed;
	t->path = calloc(c->paths, sizeof(*t->path));
	t->sent = calloc(c->sents, sizeof(*t->sent));
	if (t->path == NULL || t->sent == NULL) {
		netd_pmtu_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
netd_pmtu_free(struct netd_pmtu *t)
{
	if (t == NULL)
		return;
	free(t->path);
	free(t->sent);
	free(t);
}

const struct netd_pmtu_stats *
netd_pmtu_stats(const struct netd_pmtu *t)
{
	return &t->st;
}

static size_t
alen(uint16_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* The first way of the set for (family, dst, extra) in a table of n. */
static size_t
set_of(const struct netd_pmtu *t, uint16_t family, const uint8_t *dst,
    uint32_t extra, unsigned n)
{
	uint64_t h = t->seed ^ ((uint64_t)family << 32 | extra);
	size_t i, len = alen(family);

	for (i = 0; i < len; i++) {
		h ^= dst[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 40) & (n - 1) & ~(size_t)(NETD_PMTU_WAYS - 1);
}

/* ---- sent ---- */

static struct pmtu_sent *
sent_find(struct netd_pmtu *t, uint16_t family, uint8_t proto,
    const uint8_t *dst, uint32_t spi)
{
	size_t b = set_of(t, family, dst, spi, t->conf.sents), i;
	struct pmtu_sent *s;

	for (i = 0; i < NETD_PMTU_WAYS; i++) {
		s = &t->sent[b + i];
		if (s->family == family && s->proto == proto &&
		    s->spi == spi && memcmp(s->dst, dst, alen(family)) == 0)
			return s;
	}
	return NULL;
}

void
netd_pmtu_sent(struct netd_pmtu *t, const struct pkt_info *pi,
    uint64_t now_ms)
{
	struct pmtu_sent *s;
	uint8_t proto;
	size_t b, i;

	switch (pi->kind) {
	case PKT_K_ESP:
	case PKT_K_UDP_ESP:
		proto = IPPROTO_ESP;
		break;
	case PKT_K_AH:
		proto = IPPROTO_AH;
		break;
	default:
		return;
	}
	if ((s = sent_find(t, pi->family, proto, pi->dst, pi->spi)) == NULL) {
		/* A free way, else the stalest of the set. */
		b = set_of(t, pi->family, pi->dst, pi->spi, t->conf.sents);
		s = &t->sent[b];
		for (i = 1; i < NETD_PMTU_WAYS && s->family != 0; i++)
			if (t->sent[b + i].family == 0 ||
			    t->sent[b + i].last_ms < s->last_ms)
				s = &t->sent[b + i];
		memset(s, 0, sizeof(*s));
		s->family = pi->family;
		s->proto = proto;
		s->spi = pi->spi;
		memcpy(s->dst, pi->dst, alen(pi->family));
	}
	memcpy(s->src, pi->src, alen(pi->family));
	s->last_ms = now_ms;
}

/* ---- path ---- */

static struct pmtu_path *
path_find(struct netd_pmtu *t, uint16_t family, const uint8_t *dst,
    uint64_t now_ms)
{
	size_t b = set_of(t, family, dst, 0, t->conf.paths), i;
	struct pmtu_path *p;

	for (i = 0; i < NETD_PMTU_WAYS; i++) {
		p = &t->path[b + i];
		if (p->family != family ||
		    memcmp(p->dst, dst, alen(family)) != 0)
			continue;
		if (now_ms >= p->expires_ms) {
			p->family = 0;
			t->live--;
			t->st.expired++;
			return NULL;
		}
		return p;
	}
	return NULL;
}

/* A way for a new entry: a free one, else the one expiring first. */
static struct pmtu_path *
path_slot(struct netd_pmtu *t, uint16_t family, const uint8_t *dst)
{
	size_t b = set_of(t, family, dst, 0, t->conf.paths), i;
	struct pmtu_path *p, *old = &t->path[b];

	for (i = 0; i < NETD_PMTU_WAYS; i++) {
		p = &t->path[b + i];
		if (p->family == 0) {
			t->live++;
			return p;
		}
		if (p->expires_ms < old->expires_ms)
			old = p;
	}
	t->st.evicted++;
	return old;
}

uint16_t
netd_pmtu_mtu(struct netd_pmtu *t, uint16_t family, const uint8_t *dst,
    uint16_t link_mtu, uint64_t now_ms)
{
	const struct pmtu_path *p;

	if (t == NULL || t->live == 0 ||
	    (p = path_find(t, family, dst, now_ms)) == NULL)
		return link_mtu;
	return link_mtu != 0 && link_mtu < p->mtu ? link_mtu : p->mtu;
}

static enum netd_pmtu_why
count(struct netd_pmtu *t, enum netd_pmtu_why w)
{
	t->st.why[w]++;
	return w;
}

enum netd_pmtu_why
netd_pmtu_learn(struct netd_pmtu *t, const struct icmp_pmtu *pm,
    const uint8_t *icmp_dst, uint16_t link_mtu, uint64_t now_ms)
{
	const struct pmtu_sent *s;
	struct pmtu_path *p;
	uint16_t floor = pm->family == AF_INET6 ? NETD_PMTU_MIN6 :
	    NETD_PMTU_MIN4, cur;
	uint32_t mtu = pm->mtu;
	size_t len = alen(pm->family);

	s = sent_find(t, pm->family, pm->proto, pm->dst, pm->spi);
	if (s == NULL || now_ms - s->last_ms > t->conf.sent_ms)
		return count(t, NETD_PMTU_UNKNOWN_SPI);
	if (memcmp(s->src, pm->src, len) != 0 ||
	    memcmp(icmp_dst, pm->src, len) != 0)
		return count(t, NETD_PMTU_NOT_OURS);
	p = path_find(t, pm->family, pm->dst, now_ms);
	cur = p == NULL ? link_mtu : p->mtu;
	if (link_mtu != 0 && link_mtu < cur)
		cur = link_mtu;
	if (mtu < floor)
		mtu = floor;
	/* Never above what is in use; equal only refreshes an entry. */
	if (cur != 0 && (mtu > cur || (mtu == cur && p == NULL)))
		return count(t, NETD_PMTU_NOT_LOWER);
	if (p == NULL) {
		p = path_slot(t, pm->family, pm->dst);
		p->family = pm->family;
		memset(p->dst, 0, sizeof(p->dst));
		memcpy(p->dst, pm->dst, len);
	}
	p->mtu = (uint16_t)(mtu > 65535 ? 65535 : mtu);
	p->expires_ms = now_ms + t->conf.expire_ms;
	return count(t, NETD_PMTU_LEARNED);
}

enum netd_pmtu_why
netd_pmtu_icmp(struct netd_pmtu *t, const uint8_t *pkt,
    const struct pkt_info *pi, uint16_t link_mtu, uint64_t now_ms)
{
	struct icmp_pmtu pm;

	switch (icmp_parse_pmtu(pkt, pi, &pm)) {
	case 0:
		return netd_pmtu_learn(t, &pm, pi->dst, link_mtu, now_ms);
	case -ENOENT:
		return NETD_PMTU_OTHER;
	default:
		return count(t, NETD_PMTU_BAD);
	}
}
