/*
 * setkey_dump.c - PF_KEY messages to setkey(8)'s text (setkey_dump.h).
 *
 * The layout follows ipsec-tools' libipsec pfkey_dump.c (pfkey_sadump(),
 * pfkey_spdump()), key_debug.c (kdebug_sadb()) and setkey.c (shortdump())
 * closely, tabs, trailing blanks and the 32-octet key line breaks
 * included, so that scripts written against setkey's output keep working.
 * Departures (DESIGN §10.14): AEAD and other algorithms without a
 * name in ipsec-tools print by name; the IPComp "C:" line ends with a
 * newline; upper-layer protocols print with fixed names (255 is "any")
 * rather than through getprotobynumber(); IPv6 scopes print as numbers.
 *
 * Untrusted input: the views come from pfkey_msg_parse_reply(); the raw
 * bytes of setkey_dump_debug() are read through struct rd cursors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec_policy.h"
#include "pfkey_build.h"
#include "policy.h"
#include "rd.h"
#include "setkey_dump.h"
#include "setkey_parse.h"

#define SK(x)		PARAPET_SADB_##x

void
setkey_out_printf(struct setkey_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->error != 0)
		return;
	for (;;) {
		size_t room = o->cap - o->len;

		va_start(ap, fmt);
		n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, room,
		    fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->error = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		{
			size_t cap = o->cap ? o->cap : 256;
			char *nb;

			while (cap - o->len <= (size_t)n)
				cap *= 2;
			if ((nb = realloc(o->buf, cap)) == NULL) {
				o->error = -ENOMEM;
				return;
			}
			o->buf = nb;
			o->cap = cap;
		}
	}
}

void
setkey_out_reset(struct setkey_out *o)
{
	o->len = 0;
	o->error = 0;
	if (o->buf != NULL)
		o->buf[0] = '\0';
}

void
setkey_out_free(struct setkey_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

const char *
setkey_errstr(uint8_t type, int err)
{
	if (err == ENOENT) {
		switch (type) {
		case SK(DELETE):
		case SK(GET):
		case SK(X_SPDDELETE):
			return "No entry";
		case SK(DUMP):
			return "No SAD entries";
		case SK(X_SPDDUMP):
			return "No SPD entries";
		default:
			break;
		}
	}
	return strerror(err);
}

/* ---- Pieces ---- */

static const char *const str_satype[] = {
	"unspec", "unknown", "ah", "esp", "unknown", "rsvp", "ospfv2",
	"ripv2", "mip", "ipcomp", "policy", "tcp"
};
static const char *const str_mode[] = { "any", "transport", "tunnel",
	"beet" };
static const char *const str_state[] = { "larval", "mature", "dying",
	"dead" };

/* GETMSGSTR: the name and a blank, or the number and a blank. */
static void
name_or_num(struct setkey_out *o, const char *const *tab, size_t n,
    unsigned int v)
{
	if (v < n && tab[v] != NULL)
		setkey_out_printf(o, "%s ", tab[v]);
	else
		setkey_out_printf(o, "%u ", v);
}

static void
alg_or_num(struct setkey_out *o, const char *name, unsigned int v)
{
	if (name != NULL)
		setkey_out_printf(o, "%s ", name);
	else
		setkey_out_printf(o, "%u ", v);
}

static void
addr_str(const struct pfkey_sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->family == AF_INET)
		inet_ntop(AF_INET, sa->addr, buf, (socklen_t)cap);
	else if (sa->family == AF_INET6) {
		inet_ntop(AF_INET6, sa->addr, a, sizeof(a));
		if (sa->scope_id != 0)
			snprintf(buf, cap, "%s%%%u", a, sa->scope_id);
		else
			snprintf(buf, cap, "%s", a);
	} else
		snprintf(buf, cap, "unknown-af");
}

/* ipsec_hexdump(): a blank before every 4 octets, a newline every 32. */
static void
hexdump(struct setkey_out *o, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i != 0 && i % 32 == 0)
			setkey_out_printf(o, "\n");
		if (i % 4 == 0)
			setkey_out_printf(o, " ");
		setkey_out_printf(o, "%02x", p[i]);
	}
}

/* str_time(): ctime()'s "Mon dd hh:mm:ss yyyy", or 20 blanks for 0. */
static void
str_time(uint64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || t > (uint64_t)INT32_MAX * 64 ||
	    localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%b %e %H:%M:%S %Y", &tm) != 20)
		snprintf(buf, 32, "%20s", t == 0 ? "" : "????????????????????");
}

static void
lifetime_bytes(struct setkey_out *o, const struct pfkey_msg *m,
    unsigned int ext, const struct pfkey_lifetime *l, const char *what)
{
	if (!pfkey_msg_has(m, ext))
		setkey_out_printf(o, "\t%s: 0(bytes)", what);
	else
		setkey_out_printf(o, "\t%s: %.0f(bytes)", what,
		    (double)l->bytes);
}

static uint64_t
lft(const struct pfkey_msg *m, unsigned int ext, uint64_t v)
{
	return pfkey_msg_has(m, ext) ? v : 0;
}

static void
sec_ctx_lines(struct setkey_out *o, const struct pfkey_msg *m)
{
	const struct pfkey_sec_ctx *c = &m->sec_ctx;
	size_t n;

	if (!pfkey_msg_has(m, SK(X_EXT_SEC_CTX)))
		return;
	setkey_out_printf(o, "\tsecurity context doi: %u\n", c->doi);
	setkey_out_printf(o, "\tsecurity context algorithm: %u\n", c->alg);
	setkey_out_printf(o, "\tsecurity context length: %u\n", c->len_bytes);
	/* Up to the first NUL; never past the context. */
	for (n = 0; n < c->len_bytes && c->ctx[n] != '\0'; n++)
		;
	setkey_out_printf(o, "\tsecurity context: %.*s\n", (int)n,
	    (const char *)c->ctx);
}

/* ---- -D: pfkey_sadump() ---- */

/* One end of the first line: address, [port] with -p, [NAT-T port]. */
static void
sa_endpoint(struct setkey_out *o, const struct pfkey_address *ad,
    bool withports, bool natt_port, uint16_t port)
{
	char a[INET6_ADDRSTRLEN + 16];

	addr_str(&ad->sa, a, sizeof(a));
	if (withports)
		setkey_out_printf(o, "%s[%u]", a, ad->sa.port);
	else
		setkey_out_printf(o, "%s", a);
	if (natt_port)
		setkey_out_printf(o, "[%u]", port);
	setkey_out_printf(o, " ");
}

/* The C:, E: and A: lines. */
static void
sa_alg_lines(struct setkey_out *o, const struct pfkey_msg *m)
{
	uint8_t satype = m->hdr.satype;

	if (satype == SK(X_SATYPE_IPCOMP)) {
		setkey_out_printf(o, "\tC: ");
		alg_or_num(o, setkey_calg_name(m->sa.encrypt), m->sa.encrypt);
		setkey_out_printf(o, "\n");
	} else if (satype == SK(SATYPE_ESP) &&
	    pfkey_msg_has(m, SK(EXT_KEY_ENCRYPT))) {
		setkey_out_printf(o, "\tE: ");
		alg_or_num(o, setkey_ealg_name(m->sa.encrypt), m->sa.encrypt);
		hexdump(o, m->key_encrypt.data, m->key_encrypt.len_bytes);
		setkey_out_printf(o, "\n");
	}
	if (pfkey_msg_has(m, SK(EXT_KEY_AUTH))) {
		setkey_out_printf(o, "\tA: ");
		alg_or_num(o, setkey_aalg_name(m->sa.auth), m->sa.auth);
		hexdump(o, m->key_auth.data, m->key_auth.len_bytes);
		setkey_out_printf(o, "\n");
	}
}

/* The created, diff, last, bytes and allocated lines, if there are any. */
static void
sa_lifetime_lines(struct setkey_out *o, const struct pfkey_msg *m,
    time_t now)
{
	const struct pfkey_lifetime *c = &m->lft_current;
	unsigned int h = SK(EXT_LIFETIME_HARD);
	unsigned int s = SK(EXT_LIFETIME_SOFT);
	char t1[32], t2[32];
	uint64_t diff;

	if (!pfkey_msg_has(m, SK(EXT_LIFETIME_CURRENT)))
		return;
	diff = c->addtime == 0 || (uint64_t)now < c->addtime ?
	    0 : (uint64_t)now - c->addtime;
	str_time(c->addtime, t1);
	str_time((uint64_t)now, t2);
	setkey_out_printf(o, "\tcreated: %s\tcurrent: %s\n", t1, t2);
	setkey_out_printf(o, "\tdiff: %llu(s)\thard: %llu(s)\t"
	    "soft: %llu(s)\n", (unsigned long long)diff,
	    (unsigned long long)lft(m, h, m->lft_hard.addtime),
	    (unsigned long long)lft(m, s, m->lft_soft.addtime));
	str_time(c->usetime, t1);
	setkey_out_printf(o, "\tlast: %s\thard: %llu(s)\tsoft: "
	    "%llu(s)\n", t1,
	    (unsigned long long)lft(m, h, m->lft_hard.usetime),
	    (unsigned long long)lft(m, s, m->lft_soft.usetime));
	lifetime_bytes(o, m, SK(EXT_LIFETIME_CURRENT), c, "current");
	lifetime_bytes(o, m, h, &m->lft_hard, "hard");
	lifetime_bytes(o, m, s, &m->lft_soft, "soft");
	setkey_out_printf(o, "\n");
	setkey_out_printf(o, "\tallocated: %u\thard: %llu\tsoft: "
	    "%llu\n", c->allocations,
	    (unsigned long long)lft(m, h, m->lft_hard.allocations),
	    (unsigned long long)lft(m, s, m->lft_soft.allocations));
}

void
setkey_dump_sa(struct setkey_out *o, const struct pfkey_msg *m, time_t now,
    bool withports)
{
	char a[INET6_ADDRSTRLEN + 16];
	bool natt = pfkey_msg_has(m, SK(X_EXT_NAT_T_TYPE)) &&
	    m->natt_type != 0;
	uint8_t satype = m->hdr.satype;

	if (!pfkey_msg_has(m, SK(EXT_ADDRESS_SRC))) {
		setkey_out_printf(o, "no ADDRESS_SRC extension.\n");
		return;
	}
	sa_endpoint(o, &m->src, withports,
	    natt && pfkey_msg_has(m, SK(X_EXT_NAT_T_SPORT)), m->natt_sport);
	if (!pfkey_msg_has(m, SK(EXT_ADDRESS_DST))) {
		setkey_out_printf(o, " no ADDRESS_DST extension.\n");
		return;
	}
	sa_endpoint(o, &m->dst, withports,
	    natt && pfkey_msg_has(m, SK(X_EXT_NAT_T_DPORT)), m->natt_dport);
	if (!pfkey_msg_has(m, SK(EXT_SA))) {
		setkey_out_printf(o, "no SA extension.\n");
		return;
	}
	if (!pfkey_msg_has(m, SK(X_EXT_SA2))) {
		setkey_out_printf(o, "no SA2 extension.\n");
		return;
	}
	setkey_out_printf(o, "\n\t");
	if (natt && satype == SK(SATYPE_ESP))
		setkey_out_printf(o, "esp-udp ");
	else {
		if (natt)
			setkey_out_printf(o, "natt+");
		name_or_num(o, str_satype, nitems(str_satype), satype);
	}
	setkey_out_printf(o, "mode=");
	name_or_num(o, str_mode, nitems(str_mode), m->sa2.mode);
	setkey_out_printf(o, "spi=%u(0x%08x) reqid=%u(0x%08x)\n", m->sa.spi,
	    m->sa.spi, m->sa2.reqid, m->sa2.reqid);
	if (natt && pfkey_msg_has(m, SK(X_EXT_NAT_T_OA))) {
		addr_str(&m->natt_oa.sa, a, sizeof(a));
		setkey_out_printf(o, "\tNAT OA=%s\n", a);
	}
	sa_alg_lines(o, m);
	setkey_out_printf(o, "\tseq=0x%08x replay=%u flags=0x%08x ",
	    m->sa2.sequence, m->sa.replay, m->sa.flags);
	setkey_out_printf(o, "state=");
	name_or_num(o, str_state, nitems(str_state), m->sa.state);
	setkey_out_printf(o, "\n");
	sa_lifetime_lines(o, m, now);
	sec_ctx_lines(o, m);
	setkey_out_printf(o, "\tsadb_seq=%u pid=%u refcnt=0\n", m->hdr.seq,
	    m->hdr.pid);
}

/* ---- -DP: pfkey_spdump() ---- */

struct proto_print {
	uint8_t		 num;
	const char	*name;
};

/* /etc/protocols' names for what policies use; 255 is "any". */
static const struct proto_print proto_print[] = {
	{ 0, "ip" }, { 1, "icmp" }, { 2, "igmp" }, { 4, "ipencap" },
	{ 6, "tcp" }, { 17, "udp" }, { 41, "ipv6" }, { 47, "gre" },
	{ 50, "esp" }, { 51, "ah" }, { 58, "ipv6-icmp" }, { 89, "ospf" },
	{ 103, "pim" }, { 132, "sctp" }, { 135, "mobility-header" },
	{ 136, "udplite" }, { 255, "any" },
};

static bool
portless(uint8_t ulp)
{
	return ulp == 1 || ulp == 58 || ulp == 135 || ulp == 47;
}

static void
prefport(struct setkey_out *o, const struct pfkey_address *a, uint8_t ulp)
{
	unsigned int plen = a->sa.family == AF_INET ? 32 : 128;

	if (a->prefixlen != plen)
		setkey_out_printf(o, "/%u", a->prefixlen);
	if (portless(ulp))
		return;
	if (a->sa.port == 0)
		setkey_out_printf(o, "[any]");
	else
		setkey_out_printf(o, "[%u]", a->sa.port);
}

static void
upperspec(struct setkey_out *o, uint8_t ulp, unsigned int p1,
    unsigned int p2)
{
	size_t i;

	for (i = 0; i < nitems(proto_print); i++)
		if (proto_print[i].num == ulp)
			break;
	if (i < nitems(proto_print))
		setkey_out_printf(o, "%s", proto_print[i].name);
	else
		setkey_out_printf(o, "%u", ulp);
	if (p1 == 0 && p2 == 0)
		return;
	if (ulp == 1 || ulp == 58 || ulp == 135)
		setkey_out_printf(o, " %u,%u", p1, p2);
	else if (ulp == 47)
		setkey_out_printf(o, " %u", (p1 << 16) + p2);
}

void
setkey_dump_sp(struct setkey_out *o, const struct pfkey_msg *m,
    bool withports)
{
	char a[INET6_ADDRSTRLEN + 16], t1[32], t2[32];
	uint8_t xbuf[1024], *ext;
	struct pfkey_build b;
	struct pfkey_hdr h;
	size_t len;
	char *text = NULL;
	int rc;

	if (!pfkey_msg_has(m, SK(X_EXT_POLICY))) {
		setkey_out_printf(o, "no X_POLICY extension.\n");
		return;
	}
	if (m->policy.id % 8 >= 3)
		setkey_out_printf(o, "(per-socket policy) ");
	else if (pfkey_msg_has(m, SK(EXT_ADDRESS_SRC)) &&
	    pfkey_msg_has(m, SK(EXT_ADDRESS_DST))) {
		addr_str(&m->src.sa, a, sizeof(a));
		setkey_out_printf(o, "%s", a);
		prefport(o, &m->src, m->src.proto);
		setkey_out_printf(o, " ");
		addr_str(&m->dst.sa, a, sizeof(a));
		setkey_out_printf(o, "%s", a);
		prefport(o, &m->dst, m->src.proto);
		setkey_out_printf(o, " ");
		if (m->src.proto != m->dst.proto) {
			setkey_out_printf(o,
			    "upper layer protocol mismatched.\n");
			return;
		}
		upperspec(o, m->src.proto, m->src.sa.port, m->dst.sa.port);
	} else
		setkey_out_printf(o, "(no selector, probably per-socket "
		    "policy) ");

	/* The extension's bytes again, for libclient's dumper. */
	memset(&h, 0, sizeof(h));
	h.version = PARAPET_PF_KEY_V2;
	h.type = SK(X_SPDGET);
	pfkey_build_begin(&b, xbuf, sizeof(xbuf), &h);
	pfkey_build_policy(&b, &m->policy);
	if (pfkey_build_end(&b, &len) != 0)
		rc = EIPSEC_NO_BUFS;
	else {
		ext = xbuf + sizeof(struct pp_sadb_msg);
		rc = policy_dump(ext, len - sizeof(struct pp_sadb_msg),
		    "\n\t", withports, &text);
	}
	if (rc != EIPSEC_NO_ERROR)
		setkey_out_printf(o, "\n\tPolicy:[%s]\n",
		    rc == EIPSEC_NO_BUFS ? "No buffers available" :
		    "Invalid security policy");
	else
		setkey_out_printf(o, "\n\t%s\n", text);
	free(text);

	if (pfkey_msg_has(m, SK(EXT_LIFETIME_CURRENT))) {
		str_time(m->lft_current.addtime, t1);
		str_time(m->lft_current.usetime, t2);
		setkey_out_printf(o, "\tcreated: %s  lastused: %s\n", t1, t2);
	}
	if (pfkey_msg_has(m, SK(EXT_LIFETIME_HARD)))
		setkey_out_printf(o, "\tlifetime: %llu(s) validtime: %llu(s)\n",
		    (unsigned long long)m->lft_hard.addtime,
		    (unsigned long long)m->lft_hard.usetime);
	sec_ctx_lines(o, m);
	setkey_out_printf(o, "\tspid=%u seq=%u pid=%u\n", m->policy.id,
	    m->hdr.seq, m->hdr.pid);
	setkey_out_printf(o, "\trefcnt=0\n");
}

/* ---- -l: shortdump() ---- */

static const char *const short_state[] = { "L", "M", "D", "d" };

void
setkey_dump_short_hdr(struct setkey_out *o)
{
	setkey_out_printf(o, "%-4s %-3s %-1s %-8s %-7s %s -> %s\n", "time",
	    "p", "s", "spi", "ltime", "src", "dst");
}

static void
short_addr(struct setkey_out *o, const struct pfkey_msg *m,
    unsigned int ext, const struct pfkey_address *ad)
{
	char a[INET6_ADDRSTRLEN + 16];
	size_t i;

	if (!pfkey_msg_has(m, ext)) {
		setkey_out_printf(o, "?");
		return;
	}
	/* setkey prints "#255 " for "any"; keyd's SAs all have it. */
	if (ad->proto != 0 && ad->proto != PARAPET_IPSEC_ULPROTO_ANY) {
		for (i = 0; i < nitems(proto_print); i++)
			if (proto_print[i].num == ad->proto)
				break;
		if (i < nitems(proto_print))
			setkey_out_printf(o, "%s ", proto_print[i].name);
		else
			setkey_out_printf(o, "#%u ", ad->proto);
	}
	addr_str(&ad->sa, a, sizeof(a));
	if (ad->sa.port != 0)
		setkey_out_printf(o, "%s[%u]", a, ad->sa.port);
	else
		setkey_out_printf(o, "%s", a);
}

void
setkey_dump_short(struct setkey_out *o, const struct pfkey_msg *m,
    time_t now)
{
	uint64_t t;

	setkey_out_printf(o, "%02lu%02lu", (unsigned long)(now % 3600) / 60,
	    (unsigned long)(now % 60));
	if (m->hdr.satype == SK(SATYPE_AH))
		setkey_out_printf(o, " %-3s", "ah");
	else if (m->hdr.satype == SK(SATYPE_ESP))
		setkey_out_printf(o, " %-3s", "esp");
	else
		setkey_out_printf(o, " #%-2u", m->hdr.satype);
	if (pfkey_msg_has(m, SK(EXT_SA))) {
		if (m->sa.state < nitems(short_state))
			setkey_out_printf(o, " %-1s", short_state[m->sa.state]);
		else
			setkey_out_printf(o, " #%u", m->sa.state);
		setkey_out_printf(o, " %08x", m->sa.spi);
	} else
		setkey_out_printf(o, "%-1s %-8s", "?", "?");
	if (pfkey_msg_has(m, SK(EXT_LIFETIME_SOFT)) &&
	    pfkey_msg_has(m, SK(EXT_LIFETIME_HARD)) &&
	    pfkey_msg_has(m, SK(EXT_LIFETIME_CURRENT))) {
		uint64_t add = m->lft_current.addtime;

		t = add == 0 || (uint64_t)now < add ? 0 : (uint64_t)now - add;
		if (t >= 1000)
			setkey_out_printf(o, " big/");
		else
			setkey_out_printf(o, " %3llu/", (unsigned long long)t);
		t = m->lft_hard.addtime;
		if (t >= 1000)
			setkey_out_printf(o, "big");
		else
			setkey_out_printf(o, "%-3llu", (unsigned long long)t);
	} else
		setkey_out_printf(o, " ??\?/???");
	setkey_out_printf(o, " ");
	short_addr(o, m, SK(EXT_ADDRESS_SRC), &m->src);
	setkey_out_printf(o, " -> ");
	short_addr(o, m, SK(EXT_ADDRESS_DST), &m->dst);
	setkey_out_printf(o, "\n");
}

/* ---- -x, -v: kdebug_sadb() ---- */

static void
dbg_sockaddr(struct setkey_out *o, const struct pfkey_sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN + 16];

	addr_str(sa, a, sizeof(a));
	setkey_out_printf(o, "sockaddr{ family=%u port=%u addr=%s", sa->family,
	    sa->port, a);
	if (sa->family == AF_INET6)
		setkey_out_printf(o, " flowinfo=0x%08x scope_id=0x%08x",
		    sa->flowinfo, sa->scope_id);
	setkey_out_printf(o, " }\n");
}

static void
dbg_lifetime(struct setkey_out *o, const struct pfkey_lifetime *l)
{
	setkey_out_printf(o, "sadb_lifetime{ alloc=%u, bytes=%llu\n",
	    l->allocations, (unsigned long long)l->bytes);
	setkey_out_printf(o, "  addtime=%llu, usetime=%llu }\n",
	    (unsigned long long)l->addtime, (unsigned long long)l->usetime);
}

static void
dbg_address(struct setkey_out *o, const struct pfkey_address *a)
{
	setkey_out_printf(o, "sadb_address{ proto=%u prefixlen=%u "
	    "reserved=0x0000 }\n", a->proto, a->prefixlen);
	dbg_sockaddr(o, &a->sa);
}

static void
dbg_key(struct setkey_out *o, const struct pfkey_key *k)
{
	setkey_out_printf(o, "sadb_key{ bits=%u reserved=0\n", k->bits);
	setkey_out_printf(o, "  key=");
	hexdump(o, k->data, k->len_bytes);
	setkey_out_printf(o, " }\n");
}

static void
dbg_supported(struct setkey_out *o, const struct pfkey_supported *s)
{
	struct pfkey_alg a;
	size_t i;

	setkey_out_printf(o, "sadb_sup{\n");
	for (i = 0; i < s->nalgs; i++) {
		pfkey_supported_alg(s, i, &a);
		setkey_out_printf(o, "  { id=%u ivlen=%u min=%u max=%u }\n",
		    a.id, a.ivlen, a.minbits, a.maxbits);
	}
	setkey_out_printf(o, "}\n");
}

static void
dbg_policy(struct setkey_out *o, const struct pfkey_policy *p)
{
	size_t i;

	setkey_out_printf(o, "sadb_x_policy{ type=%u dir=%u id=%x "
	    "priority=%u }\n", p->type, p->dir, p->id, p->priority);
	for (i = 0; i < p->nreqs; i++) {
		const struct pfkey_ipsecreq *r = &p->req[i];

		setkey_out_printf(o, " { proto=%u mode=%u level=%u reqid=%u\n",
		    r->proto, r->mode, r->level, r->reqid);
		if (r->has_addrs) {
			setkey_out_printf(o, "  ");
			dbg_sockaddr(o, &r->src);
			setkey_out_printf(o, "  ");
			dbg_sockaddr(o, &r->dst);
		}
		setkey_out_printf(o, " }\n");
	}
}

static void
dbg_ext(struct setkey_out *o, const struct pfkey_msg *m, uint16_t type)
{
	switch (type) {
	case SK(EXT_SA):
		setkey_out_printf(o, "sadb_sa{ spi=%u replay=%u state=%u\n",
		    m->sa.spi, m->sa.replay, m->sa.state);
		setkey_out_printf(o, "  auth=%u encrypt=%u flags=0x%08x }\n",
		    m->sa.auth, m->sa.encrypt, m->sa.flags);
		break;
	case SK(EXT_LIFETIME_CURRENT):
		dbg_lifetime(o, &m->lft_current);
		break;
	case SK(EXT_LIFETIME_HARD):
		dbg_lifetime(o, &m->lft_hard);
		break;
	case SK(EXT_LIFETIME_SOFT):
		dbg_lifetime(o, &m->lft_soft);
		break;
	case SK(EXT_ADDRESS_SRC):
	case SK(EXT_ADDRESS_DST):
	case SK(EXT_ADDRESS_PROXY):
	case SK(X_EXT_NAT_T_OA):
		dbg_address(o, pfkey_msg_address(m, type));
		break;
	case SK(EXT_KEY_AUTH):
		dbg_key(o, &m->key_auth);
		break;
	case SK(EXT_KEY_ENCRYPT):
		dbg_key(o, &m->key_encrypt);
		break;
	case SK(EXT_SUPPORTED_AUTH):
		dbg_supported(o, &m->supp_auth);
		break;
	case SK(EXT_SUPPORTED_ENCRYPT):
		dbg_supported(o, &m->supp_encrypt);
		break;
	case SK(EXT_SPIRANGE):
		setkey_out_printf(o, "sadb_spirange{ min=0x%08x max=0x%08x }\n",
		    m->spirange.min, m->spirange.max);
		break;
	case SK(X_EXT_POLICY):
		dbg_policy(o, &m->policy);
		break;
	case SK(X_EXT_SA2):
		setkey_out_printf(o, "sadb_x_sa2{ mode=%u reqid=%u\n",
		    m->sa2.mode, m->sa2.reqid);
		setkey_out_printf(o,
		    "  reserved1=0 reserved2=0 sequence=%u }\n",
		    m->sa2.sequence);
		break;
	case SK(X_EXT_NAT_T_TYPE):
		setkey_out_printf(o, "sadb_x_nat_t_type{ type=%u }\n",
		    m->natt_type);
		break;
	case SK(X_EXT_NAT_T_SPORT):
		setkey_out_printf(o, "sadb_x_nat_t_port{ port=%u }\n",
		    m->natt_sport);
		break;
	case SK(X_EXT_NAT_T_DPORT):
		setkey_out_printf(o, "sadb_x_nat_t_port{ port=%u }\n",
		    m->natt_dport);
		break;
	default:
		break;
	}
}

void
setkey_dump_debug(struct setkey_out *o, const uint8_t *buf, size_t len)
{
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct rd r, e;
	uint16_t elen, etype;

	if (pfkey_msg_parse_reply(buf, len, &m, &why) != 0 &&
	    pfkey_msg_parse(buf, len, &m, &why) != 0) {
		setkey_out_printf(o,
		    "invalid PF_KEY message (%zu octets): %s\n", len,
		    pfkey_reject_str(why));
		return;
	}
	setkey_out_printf(o, "sadb_msg{ version=%u type=%u errno=%u "
	    "satype=%u\n", m.hdr.version, m.hdr.type, m.hdr.msg_errno,
	    m.hdr.satype);
	setkey_out_printf(o, "  len=%u reserved=0 seq=%u pid=%u\n",
	    m.hdr.len_words64, m.hdr.seq, m.hdr.pid);
	rd_init(&r, buf, len);
	if (rd_skip(&r, sizeof(struct pp_sadb_msg)) != 0)
		return;
	while (!rd_empty(&r)) {
		if (rd_h16(&r, &elen) != 0 || rd_h16(&r, &etype) != 0 ||
		    elen == 0 || rd_sub(&r, (size_t)elen * 8 - 4, &e) != 0)
			return;		/* cannot happen: validated */
		setkey_out_printf(o, "sadb_ext{ len=%u type=%u }\n", elen,
		    etype);
		dbg_ext(o, &m, etype);
	}
}

void
setkey_dump_hex(struct setkey_out *o, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			setkey_out_printf(o, "%08zx: ", i);
		setkey_out_printf(o, "%02x ", buf[i]);
		if (i % 16 == 15)
			setkey_out_printf(o, "\n");
	}
	if (len % 16 != 0)
		setkey_out_printf(o, "\n");
}
