/*
 * netd_conf.c - netd's configuration file and the -P test policies (see
 * netd_conf.h). Input is untrusted text: every value is checked against
 * its range, every problem reported with its line. The INI dialect is
 * inih's (sections, key = value, ; and # comments, inline " ;"
 * comments), read line by line here so that each error keeps its line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netd_conf.h"
#include "pkt.h"

struct pctx {
	const char		*file;
	unsigned		 line;
	struct netd_conf	*c;
	struct netd_link_conf	*link;	/* current [link] section */
	bool			 in_netd;
	bool			 skip;	/* a bad section: its keys too */
};

static void PRINTFLIKE(2, 3)
err(struct pctx *p, const char *fmt, ...)
{
	struct netd_conf *c = p->c;
	va_list ap;
	int n;

	if (c->nerrors < NETD_CONF_ERRORS_MAX) {
		n = snprintf(c->errors[c->nerrors], sizeof(c->errors[0]),
		    "%s:%u: ", p->file, p->line);
		if (n > 0 && (size_t)n < sizeof(c->errors[0])) {
			va_start(ap, fmt);
			vsnprintf(c->errors[c->nerrors] + n,
			    sizeof(c->errors[0]) - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	c->nerrors++;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NETD_LINK_NAME_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
yesno(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int
number(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

/* A word of a closed set and what it stands for. */
struct word {
	const char	*name;
	int		 value;
};

/* Look word v up in w[0..n): 0 and its value, or -ENOENT. */
static int
word(const char *v, const struct word *w, size_t n, int *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, w[i].name) == 0) {
			*out = w[i].value;
			return 0;
		}
	return -ENOENT;
}

/* A key of a section and the function that takes its value. */
struct key_rule {
	const char	*key;
	void		(*set)(struct pctx *, const char *v);
};

/* Hand k = v to its rule in r[0..n); false if k has none. */
static bool
dispatch(struct pctx *p, const struct key_rule *r, size_t n, const char *k,
    const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(k, r[i].key) == 0) {
			r[i].set(p, v);
			return true;
		}
	return false;
}

/* [netd] */

static void
netd_mode(struct pctx *p, const char *v)
{
	static const struct word w[] = { { "host", 0 }, { "gateway", 1 } };
	int x;

	if (word(v, w, nitems(w), &x) != 0)
		err(p, "mode: expected host or gateway");
	else
		p->c->gateway = x != 0;
}

static void
netd_def_policy(struct pctx *p, const char *v)
{
	long x;

	if (number(v, 0, 1, &x) != 0)
		err(p, "def_policy: expected 0 or 1");
	else
		p->c->def_policy[0] = p->c->def_policy[1] = (uint8_t)x;
}

static void
netd_def_policy6(struct pctx *p, const char *v)
{
	long x;

	if (number(v, 0, 1, &x) != 0)
		err(p, "def_policy6: expected 0 or 1");
	else
		p->c->def_policy[1] = (uint8_t)x;
}

static void
netd_wait_policyd(struct pctx *p, const char *v)
{
	bool b;

	if (yesno(v, &b) != 0)
		err(p, "wait_policyd: expected yes or no");
	else
		p->c->wait_policyd = b;
}

static void
netd_batches(struct pctx *p, const char *v)
{
	long x;

	if (number(v, 1, 64, &x) != 0)
		err(p, "batches: expected 1..64");
	else
		p->c->batches = (unsigned)x;
}

static void
netd_pmtu_expire(struct pctx *p, const char *v)
{
	long x;

	if (number(v, 1, 86400, &x) != 0)
		err(p, "pmtu_expire: expected 1..86400 seconds");
	else
		p->c->pmtu_expire = (unsigned)x;
}

static void
netd_address(struct pctx *p, const char *v)
{
	struct netd_conf *c = p->c;
	uint8_t a[16] = { 0 };
	uint16_t fam;

	if (inet_pton(AF_INET, v, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, v, a) == 1)
		fam = AF_INET6;
	else {
		err(p, "address: expected an IPv4 or IPv6 address");
		return;
	}
	if (c->naddrs == NETD_ADDRS_MAX) {
		err(p, "address: more than %d", NETD_ADDRS_MAX);
		return;
	}
	c->addrs[c->naddrs].family = fam;
	memcpy(c->addrs[c->naddrs].a, a, 16);
	c->naddrs++;
}

static const struct key_rule netd_keys[] = {
	{ "mode",		netd_mode },
	{ "def_policy",		netd_def_policy },
	{ "def_policy6",	netd_def_policy6 },
	{ "wait_policyd",	netd_wait_policyd },
	{ "batches",		netd_batches },
	{ "pmtu_expire",	netd_pmtu_expire },
	{ "address",		netd_address },
};

static void
netd_key(struct pctx *p, const char *k, const char *v)
{
	if (!dispatch(p, netd_keys, nitems(netd_keys), k, v))
		err(p, "unknown key \"%s\" in [netd]", k);
}

/* [link name] */

static void
link_type(struct pctx *p, const char *v)
{
	enum link_kind kind;

	if (link_kind_parse(v, &kind) != 0 || kind == LINK_MEM)
		err(p, "type: expected tap, tun, packet, udp or raw");
	else {
		p->link->cfg.kind = (uint8_t)kind;
		p->link->has_type = true;
	}
}

static void
link_role(struct pctx *p, const char *v)
{
	static const struct word w[] = {
		{ "host", NETD_ROLE_HOST },
		{ "wire", NETD_ROLE_WIRE },
	};
	int x;

	if (word(v, w, nitems(w), &x) != 0)
		err(p, "role: expected host or wire");
	else
		p->link->role = (uint8_t)x;
}

static void
link_ifname(struct pctx *p, const char *v)
{
	struct netd_link_conf *l = p->link;

	if (strlen(v) == 0 || strlen(v) > 15 || strchr(v, '/') != NULL)
		err(p, "ifname: expected an interface name");
	else
		snprintf(l->cfg.ifname, sizeof(l->cfg.ifname), "%s", v);
}

static void
link_vnet(struct pctx *p, const char *v)
{
	bool b;

	if (yesno(v, &b) != 0)
		err(p, "vnet: expected yes or no");
	else
		p->link->cfg.vnet = b;
}

static void
link_gso(struct pctx *p, const char *v)
{
	bool b;

	if (yesno(v, &b) != 0)
		err(p, "gso: expected yes or no");
	else
		p->link->cfg.gso = b;
}

static void
link_port(struct pctx *p, const char *v)
{
	long x;

	if (number(v, 1, 65535, &x) != 0)
		err(p, "port: expected 1..65535");
	else
		p->link->cfg.port = (uint16_t)x;
}

static void
link_family(struct pctx *p, const char *v)
{
	static const struct word w[] = {
		{ "inet", AF_INET },
		{ "inet6", AF_INET6 },
	};
	int x;

	if (word(v, w, nitems(w), &x) != 0)
		err(p, "family: expected inet or inet6");
	else
		p->link->cfg.family = (uint16_t)x;
}

static void
link_proto(struct pctx *p, const char *v)
{
	static const struct word w[] = {
		{ "esp", IPPROTO_ESP },
		{ "ah", IPPROTO_AH },
	};
	int x;

	if (word(v, w, nitems(w), &x) != 0)
		err(p, "proto: expected esp or ah");
	else
		p->link->cfg.proto = (uint8_t)x;
}

static const struct key_rule link_keys[] = {
	{ "type",	link_type },
	{ "role",	link_role },
	{ "ifname",	link_ifname },
	{ "vnet",	link_vnet },
	{ "gso",	link_gso },
	{ "port",	link_port },
	{ "family",	link_family },
	{ "proto",	link_proto },
};

static void
link_key(struct pctx *p, const char *k, const char *v)
{
	if (!dispatch(p, link_keys, nitems(link_keys), k, v))
		err(p, "unknown key \"%s\" in [link]", k);
}

/*
 * The supervisor's sections (servers/supervisor/config.c): [supervisor],
 * [server NAME], [region NAME]. One file configures a whole host
 * (parapetd -c FILE, with args = -c FILE for netd), so netd skips them,
 * keys and all, and the supervisor skips ours.
 */
static bool
sup_section(const char *s)
{
	static const char *const named[] = { "server", "region" };
	size_t i, n;

	if (strcmp(s, "supervisor") == 0)
		return true;
	for (i = 0; i < nitems(named); i++) {
		n = strlen(named[i]);
		if (strncmp(s, named[i], n) == 0 &&
		    (s[n] == ' ' || s[n] == '\t'))
			return true;
	}
	return false;
}

static void
section(struct pctx *p, const char *s)
{
	struct netd_conf *c = p->c;
	size_t i;

	p->in_netd = false;
	p->link = NULL;
	p->skip = false;
	if (strcmp(s, "netd") == 0) {
		p->in_netd = true;
		return;
	}
	if (strncmp(s, "link ", 5) == 0) {
		const char *n = s + 5;

		if (!name_ok(n)) {
			err(p, "link name: expected [a-z0-9_], 1..%d",
			    NETD_LINK_NAME_MAX);
		} else if (c->nlinks == NETD_LINKS_MAX) {
			err(p, "more than %d links", NETD_LINKS_MAX);
		} else {
			for (i = 0; i < c->nlinks; i++)
				if (strcmp(c->links[i].name, n) == 0) {
					err(p, "link %s defined twice", n);
					p->skip = true;
					return;
				}
			p->link = &c->links[c->nlinks++];
			memset(p->link, 0, sizeof(*p->link));
			snprintf(p->link->name, sizeof(p->link->name), "%s", n);
			p->link->line = p->line;
			p->link->cfg.vnet = true;
			p->link->cfg.gso = true;
			p->link->cfg.port = 4500;
			p->link->cfg.family = AF_INET;
			p->link->cfg.proto = IPPROTO_ESP;
			return;
		}
		p->skip = true;
		return;
	}
	if (sup_section(s)) {
		p->skip = true;	/* the supervisor's: it checks them */
		return;
	}
	err(p, "unknown section [%s]", s);
	p->skip = true;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void
line(struct pctx *p, char *l)
{
	char *eq, *k, *v, *c;

	l = trim(l);
	if (*l == '\0' || *l == ';' || *l == '#')
		return;
	if (*l == '[') {
		if ((c = strchr(l, ']')) == NULL || *trim(c + 1) != '\0') {
			err(p, "expected [section]");
			p->in_netd = false;
			p->link = NULL;
			p->skip = true;
			return;
		}
		*c = '\0';
		section(p, trim(l + 1));
		return;
	}
	if ((eq = strchr(l, '=')) == NULL) {
		err(p, "expected key = value");
		return;
	}
	*eq = '\0';
	k = trim(l);
	v = eq + 1;
	/* Inline comment: " ;" or " #" (inih's rule). */
	for (c = v; *c != '\0'; c++)
		if ((*c == ';' || *c == '#') && c > v &&
		    (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	v = trim(v);
	if (*k == '\0') {
		err(p, "expected key = value");
		return;
	}
	if (p->skip)
		return;
	if (p->in_netd)
		netd_key(p, k, v);
	else if (p->link != NULL)
		link_key(p, k, v);
	else
		err(p, "key \"%s\" outside a section", k);
}

void
netd_conf_defaults(struct netd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->def_policy[0] = c->def_policy[1] = 1;
	c->wait_policyd = true;	/* fail closed (DESIGN §8) */
	c->batches = 4;
	c->pmtu_expire = 600;	/* Linux mtu_expires */
}

/*
 * The outside of an overlay (netd.c): a udp link carries whole IP
 * datagrams (link.h, ipframe) of ESP in UDP, which netd's parser knows
 * by port 4500 (RFC 3948); raw IPv6 sockets deliver no IP header.
 */
static void
overlay_rules(struct pctx *p, struct netd_link_conf *l)
{
	if (l->role != NETD_ROLE_WIRE)
		return;
	if (l->cfg.kind == LINK_UDP || l->cfg.kind == LINK_RAW)
		l->cfg.vnet = false;	/* sockets: no vnet headers */
	if (l->cfg.kind == LINK_UDP) {
		l->cfg.ipframe = true;
		if (l->cfg.port != PKT_NATT_PORT)
			err(p, "link %s: ESP in UDP is port %d (RFC 3948)",
			    l->name, PKT_NATT_PORT);
	}
	if (l->cfg.kind == LINK_RAW && l->cfg.family == AF_INET6)
		err(p, "link %s: a raw link is IPv4 only (udp carries IPv6)",
		    l->name);
}

/* The kinds of the two sides that go together. */
static const struct {
	uint8_t	host, wire;
} pairs[] = {
	{ LINK_TAP, LINK_PACKET },	/* bump in the stack (Ethernet) */
	{ LINK_TUN, LINK_UDP },		/* overlay: ESP in UDP */
	{ LINK_TUN, LINK_RAW },		/* overlay: ESP or AH on raw IPv4 */
};

/* One host and one wire link: a pair of the table, reported at the
 * wire link's section. */
static void
pair_rule(struct pctx *p)
{
	const struct netd_link_conf *h = netd_conf_role(p->c, NETD_ROLE_HOST);
	const struct netd_link_conf *w = netd_conf_role(p->c, NETD_ROLE_WIRE);
	size_t i;

	if (!h->has_type || !w->has_type)
		return;
	for (i = 0; i < nitems(pairs); i++)
		if (pairs[i].host == h->cfg.kind &&
		    pairs[i].wire == w->cfg.kind)
			return;
	p->line = w->line;
	err(p, "link %s: a %s wire link does not go with a %s host link "
	    "(tap + packet, or tun + udp or raw)", w->name,
	    link_kind_name(w->cfg.kind), link_kind_name(h->cfg.kind));
}

/* Whole-file rules, reported at the section of the link concerned. */
static void
finish(struct pctx *p)
{
	struct netd_conf *c = p->c;
	unsigned nrole[3] = { 0, 0, 0 };
	size_t i;

	for (i = 0; i < c->nlinks; i++) {
		struct netd_link_conf *l = &c->links[i];
		uint8_t k = l->cfg.kind;

		p->line = l->line;
		if (!l->has_type) {
			err(p, "link %s: no type", l->name);
			continue;
		}
		if (l->role == NETD_ROLE_NONE) {
			err(p, "link %s: no role", l->name);
			continue;
		}
		nrole[l->role]++;
		if ((k == LINK_TAP || k == LINK_TUN || k == LINK_PACKET) &&
		    l->cfg.ifname[0] == '\0')
			err(p, "link %s: no ifname", l->name);
		if ((k == LINK_TAP || k == LINK_TUN) &&
		    l->role != NETD_ROLE_HOST)
			err(p, "link %s: a %s link is the host side", l->name,
			    link_kind_name(k));
		if ((k == LINK_PACKET || k == LINK_UDP || k == LINK_RAW) &&
		    l->role != NETD_ROLE_WIRE)
			err(p, "link %s: a %s link is the wire side", l->name,
			    link_kind_name(k));
		overlay_rules(p, l);
	}
	p->line = 0;
	if (c->gateway && c->naddrs == 0)
		err(p, "mode gateway: expected at least one address");
	if (nrole[NETD_ROLE_HOST] != 1 || nrole[NETD_ROLE_WIRE] != 1)
		err(p, "expected one link with role host and one with role "
		    "wire");
	else
		pair_rule(p);
}

int
netd_conf_parse(const char *file, const char *buf, size_t len,
    struct netd_conf *c)
{
	struct pctx p;
	char l[512];
	size_t off = 0, n;

	netd_conf_defaults(c);
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.c = c;
	while (off < len) {
		bool longl = false;

		p.line++;
		n = 0;
		while (off < len && buf[off] != '\n') {
			if (buf[off] == '\0') {
				longl = true;	/* reported below */
			}
			if (n + 1 < sizeof(l))
				l[n++] = buf[off];
			else
				longl = true;
			off++;
		}
		off++;
		l[n] = '\0';
		if (longl) {
			err(&p, "line too long or not text");
			continue;
		}
		line(&p, l);
	}
	finish(&p);
	return c->nerrors == 0 ? 0 : -EINVAL;
}

bool
netd_conf_is_local(const struct netd_conf *c, uint16_t family,
    const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < c->naddrs; i++)
		if (c->addrs[i].family == family &&
		    memcmp(c->addrs[i].a, addr, family == AF_INET ? 4 : 16) ==
		    0)
			return true;
	return false;
}

const struct netd_link_conf *
netd_conf_role(const struct netd_conf *c, enum netd_role r)
{
	size_t i;

	for (i = 0; i < c->nlinks; i++)
		if (c->links[i].role == r)
			return &c->links[i];
	return NULL;
}

static int
prefix(const char *s, uint16_t *family, uint8_t *addr, uint8_t *plen)
{
	char a[64], *slash;
	long x;

	if (strlen(s) >= sizeof(a))
		return -EINVAL;
	snprintf(a, sizeof(a), "%s", s);
	if ((slash = strchr(a, '/')) == NULL)
		return -EINVAL;
	*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, a, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	if (number(slash + 1, 0, *family == AF_INET ? 32 : 128, &x) != 0)
		return -EINVAL;
	*plen = (uint8_t)x;
	return 0;
}

int
netd_conf_policy(const char *spec, struct spd_entry *e)
{
	char buf[256], *f[6], *save = NULL, *w;
	uint16_t fam2;
	size_t n = 0;
	long x;

	memset(e, 0, sizeof(*e));
	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (w = strtok_r(buf, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (n == nitems(f))
			return -EINVAL;
		f[n++] = w;
	}
	if (n != 5)
		return -EINVAL;
	if (strcmp(f[0], "in") == 0)
		e->dir = SPD_DIR_IN;
	else if (strcmp(f[0], "out") == 0)
		e->dir = SPD_DIR_OUT;
	else if (strcmp(f[0], "fwd") == 0)
		e->dir = SPD_DIR_FWD;
	else
		return -EINVAL;
	if (prefix(f[1], &e->sel.family, e->sel.src, &e->sel.src_plen) != 0 ||
	    prefix(f[2], &fam2, e->sel.dst, &e->sel.dst_plen) != 0 ||
	    fam2 != e->sel.family)
		return -EINVAL;
	if (strcmp(f[3], "any") == 0)
		e->sel.proto = SPD_PROTO_ANY;
	else if (strcmp(f[3], "tcp") == 0)
		e->sel.proto = IPPROTO_TCP;
	else if (strcmp(f[3], "udp") == 0)
		e->sel.proto = IPPROTO_UDP;
	else if (strcmp(f[3], "icmp") == 0)
		e->sel.proto = IPPROTO_ICMP;
	else if (strcmp(f[3], "icmp6") == 0)
		e->sel.proto = IPPROTO_ICMPV6;
	else if (number(f[3], 0, 255, &x) == 0)
		e->sel.proto = (uint8_t)x;
	else
		return -EINVAL;
	if (strcmp(f[4], "discard") == 0)
		e->action = SPD_ACTION_DISCARD;
	else if (strcmp(f[4], "none") == 0)
		e->action = SPD_ACTION_NONE;
	else if (strcmp(f[4], "ipsec") == 0) {
		/* esp/transport//require: covers without an SA. */
		e->action = SPD_ACTION_IPSEC;
		e->nreqs = 1;
		e->req[0].proto = IPPROTO_ESP;
		e->req[0].mode = 1;	/* IPSEC_MODE_TRANSPORT */
		e->req[0].level = 2;	/* IPSEC_LEVEL_REQUIRE */
	} else
		return -EINVAL;
	e->priority = SPD_PRIORITY_DEFAULT;
	return spd_entry_valid(e);
}
