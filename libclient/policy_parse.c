/*
 * policy_parse.c - policy text to the Linux sadb_x_policy extension, as
 * KAME libipsec's ipsec_set_policy(3) does: a hand-written lexer with the
 * token rules of libipsec's policy_token.l (longest match, keywords win
 * ties) and a recursive descent parser for the productions of
 * policy_parse.y. Addresses are numeric only (inet_pton): no resolver, no
 * interface names. The text is untrusted; the core keeps no state.
 * Departures from KAME: docs/DESIGN.md §10.7.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"
#include "wr.h"
#include "policy_impl.h"

/* ---- Lexer (policy_token.l) ---- */

enum tok_kind {
	T_EOF,
	T_BAD,
	T_DIR,
	T_PRIORITY,
	T_PRIO_BASE,
	T_PLUS,
	T_HYPHEN,
	T_SLASH,
	T_NUMBER,
	T_ACTION,
	T_PROTOCOL,
	T_MODE,
	T_ME,
	T_ANY,
	T_LEVEL,
	T_LEVEL_SPECIFY,	/* unique:N, N in s */
	T_LEVEL_AUTO,		/* unique#N, N in s (ours) */
	T_PORT,			/* [N], N in s */
	T_ADDR
};

struct tok {
	enum tok_kind	 kind;
	uint32_t	 num;	/* the keyword's value */
	const char	*s;	/* the token's text, or its digits */
	size_t		 len;
};

struct keyword {
	const char	*word;
	enum tok_kind	 kind;
	uint32_t	 num;
};

static const struct keyword keywords[] = {
	{ "in",		T_DIR,		PARAPET_IPSEC_DIR_INBOUND },
	{ "out",	T_DIR,		PARAPET_IPSEC_DIR_OUTBOUND },
	{ "fwd",	T_DIR,		PARAPET_IPSEC_DIR_FWD },
	{ "priority",	T_PRIORITY,	0 },
	{ "prio",	T_PRIORITY,	0 },
	{ "low",	T_PRIO_BASE,	POLICY_PRIORITY_LOW },
	{ "def",	T_PRIO_BASE,	POLICY_PRIORITY_DEFAULT },
	{ "high",	T_PRIO_BASE,	POLICY_PRIORITY_HIGH },
	{ "discard",	T_ACTION,	PARAPET_IPSEC_POLICY_DISCARD },
	{ "none",	T_ACTION,	PARAPET_IPSEC_POLICY_NONE },
	{ "ipsec",	T_ACTION,	PARAPET_IPSEC_POLICY_IPSEC },
	{ "bypass",	T_ACTION,	PARAPET_IPSEC_POLICY_BYPASS },
	{ "entrust",	T_ACTION,	PARAPET_IPSEC_POLICY_ENTRUST },
	{ "esp",	T_PROTOCOL,	IPPROTO_ESP },
	{ "ah",		T_PROTOCOL,	IPPROTO_AH },
	{ "ipcomp",	T_PROTOCOL,	IPPROTO_COMP },
	{ "transport",	T_MODE,		PARAPET_IPSEC_MODE_TRANSPORT },
	{ "tunnel",	T_MODE,		PARAPET_IPSEC_MODE_TUNNEL },
	{ "me",		T_ME,		0 },
	{ "any",	T_ANY,		0 },
	{ "default",	T_LEVEL,	PARAPET_IPSEC_LEVEL_DEFAULT },
	{ "use",	T_LEVEL,	PARAPET_IPSEC_LEVEL_USE },
	{ "require",	T_LEVEL,	PARAPET_IPSEC_LEVEL_REQUIRE },
	{ "unique",	T_LEVEL,	PARAPET_IPSEC_LEVEL_UNIQUE },
};

struct lexer {
	const char	*p;
	size_t		 left;
	struct tok	 t;	/* the current (lookahead) token */
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* policy_token.l {ipaddress}: [a-zA-Z0-9:._]+ */
static bool
is_word(char c)
{
	return is_alnum(c) || c == ':' || c == '.' || c == '_';
}

static size_t
span(const char *p, size_t left, bool (*in)(char))
{
	size_t n = 0;

	while (n < left && in(p[n]))
		n++;
	return n;
}

static bool
all_digits(const char *s, size_t n)
{
	return n > 0 && span(s, n, is_digit) == n;
}

/* Decimal digits to a number no larger than max; false if larger. */
static bool
dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (!all_digits(s, n))
		return false;
	for (i = 0; i < n; i++) {
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

static void
lex_take(struct lexer *lx, enum tok_kind kind, size_t n)
{
	lx->t.kind = kind;
	lx->t.num = 0;
	lx->t.s = lx->p;
	lx->t.len = n;
	lx->p += n;
	lx->left -= n;
}

/* A run of word characters, optionally with a %scope: classify it. */
static void
lex_word(struct lexer *lx)
{
	const char *p = lx->p;
	size_t n, i, d;

	n = span(p, lx->left, is_word);
	/* policy_token.l: (%[a-zA-Z0-9]+)? makes it an address. */
	if (n < lx->left && p[n] == '%' &&
	    (i = span(p + n + 1, lx->left - n - 1, is_alnum)) > 0) {
		lex_take(lx, T_ADDR, n + 1 + i);
		return;
	}
	/* Ours: "unique#N", the text form of an SPD-assigned reqid. */
	if (n == 6 && memcmp(p, "unique", 6) == 0 && n < lx->left &&
	    p[n] == '#' &&
	    (d = span(p + n + 1, lx->left - n - 1, is_digit)) > 0 &&
	    (n + 1 + d == lx->left || !is_word(p[n + 1 + d]))) {
		lex_take(lx, T_LEVEL_AUTO, n + 1 + d);
		lx->t.s = p + n + 1;
		lx->t.len = d;
		return;
	}
	for (i = 0; i < nitems(keywords); i++) {
		if (strlen(keywords[i].word) == n &&
		    memcmp(keywords[i].word, p, n) == 0) {
			lex_take(lx, keywords[i].kind, n);
			lx->t.num = keywords[i].num;
			return;
		}
	}
	if (n > 7 && memcmp(p, "unique:", 7) == 0 && all_digits(p + 7, n - 7)) {
		lex_take(lx, T_LEVEL_SPECIFY, n);
		lx->t.s = p + 7;
		lx->t.len = n - 7;
		return;
	}
	lex_take(lx, all_digits(p, n) ? T_NUMBER : T_ADDR, n);
}

/*
 * Advance to the next token. Where flex would echo an unknown character
 * and carry on, we stop with T_BAD: a policy with a stray character is
 * not the policy its writer meant.
 */
static void
lex_next(struct lexer *lx)
{
	size_t d;

	while (lx->left > 0 &&
	    (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n')) {
		lx->p++;
		lx->left--;
	}
	if (lx->left == 0) {
		lex_take(lx, T_EOF, 0);
		return;
	}
	switch (*lx->p) {
	case '/':
		lex_take(lx, T_SLASH, 1);
		return;
	case '-':
		lex_take(lx, T_HYPHEN, 1);
		return;
	case '+':
		lex_take(lx, T_PLUS, 1);
		return;
	case '[':
		d = span(lx->p + 1, lx->left - 1, is_digit);
		if (d > 0 && d + 1 < lx->left && lx->p[d + 1] == ']') {
			lex_take(lx, T_PORT, d + 2);
			lx->t.s++;
			lx->t.len = d;
			return;
		}
		break;
	default:
		if (is_word(*lx->p)) {
			lex_word(lx);
			return;
		}
		break;
	}
	lex_take(lx, T_BAD, 0);
}

/* ---- Parser (policy_parse.y) ---- */

struct parser {
	struct lexer	 lx;
	struct pol	*pol;
};

static enum tok_kind
cur(const struct parser *ps)
{
	return ps->lx.t.kind;
}

static void
advance(struct parser *ps)
{
	lex_next(&ps->lx);
}

/* Take a token of the given kind, or fail with a syntax error. */
static int
expect(struct parser *ps, enum tok_kind kind, struct tok *t)
{
	if (cur(ps) != kind)
		return EIPSEC_INVAL_ARGUMENT;
	if (t != NULL)
		*t = ps->lx.t;
	advance(ps);
	return EIPSEC_NO_ERROR;
}

/*
 * prio N | prio - N | prio BASE [+|- N], after "prio". The ranges are
 * libipsec's (ipsec_strerror texts): N up to 2^31 for "prio N", 2^31 - 1
 * for "prio - N"; "BASE + N" up to 0x40000000, "BASE - N" 0x3fffffff.
 * Every 32-bit priority has a spelling, and ipsec_dump_policy uses it.
 */
static int
parse_priority(struct parser *ps)
{
	struct tok t;
	uint64_t n;
	uint32_t base;
	int e;

	if (cur(ps) == T_NUMBER) {
		(void)expect(ps, T_NUMBER, &t);
		if (!dec(t.s, t.len, 0x80000000u, &n))
			return EIPSEC_INVAL_PRIORITY_OFFSET;
		ps->pol->priority = POLICY_PRIORITY_DEFAULT - (uint32_t)n;
		return EIPSEC_NO_ERROR;
	}
	if (cur(ps) == T_HYPHEN) {
		advance(ps);
		if ((e = expect(ps, T_NUMBER, &t)) != 0)
			return e;
		if (!dec(t.s, t.len, 0x7fffffffu, &n))
			return EIPSEC_INVAL_PRIORITY_OFFSET;
		ps->pol->priority = POLICY_PRIORITY_DEFAULT + (uint32_t)n;
		return EIPSEC_NO_ERROR;
	}
	if ((e = expect(ps, T_PRIO_BASE, &t)) != 0)
		return e;
	base = t.num;
	ps->pol->priority = base;
	if (cur(ps) == T_PLUS) {
		advance(ps);
		if ((e = expect(ps, T_NUMBER, &t)) != 0)
			return e;
		if (!dec(t.s, t.len, POLICY_PRIORITY_OFFSET_NEGATIVE_MAX, &n))
			return EIPSEC_INVAL_PRIORITY_BASE_OFFSET;
		ps->pol->priority = base - (uint32_t)n;
	} else if (cur(ps) == T_HYPHEN) {
		advance(ps);
		if ((e = expect(ps, T_NUMBER, &t)) != 0)
			return e;
		if (!dec(t.s, t.len, POLICY_PRIORITY_OFFSET_POSITIVE_MAX, &n))
			return EIPSEC_INVAL_PRIORITY_BASE_OFFSET;
		ps->pol->priority = base + (uint32_t)n;
	}
	return EIPSEC_NO_ERROR;
}

/* A numeric IPv4 or IPv6 address, IPv6 with an optional numeric %scope. */
static int
parse_addr(const struct tok *t, uint16_t *family, struct ep *ep)
{
	char text[ADDR_TEXT_MAX + 1];
	const char *pct;
	size_t alen;
	uint64_t scope = 0;

	if (t->len > ADDR_TEXT_MAX)
		return EIPSEC_INVAL_ADDRESS;
	pct = memchr(t->s, '%', t->len);
	alen = pct != NULL ? (size_t)(pct - t->s) : t->len;
	memcpy(text, t->s, alen);
	text[alen] = '\0';
	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, text, ep->addr) == 1) {
		if (pct != NULL)
			return EIPSEC_INVAL_ADDRESS;
		*family = AF_INET;
		return EIPSEC_NO_ERROR;
	}
	if (inet_pton(AF_INET6, text, ep->addr) != 1)
		return EIPSEC_INVAL_ADDRESS;
	/* Interface names would need the system; numbers only. */
	if (pct != NULL && !dec(pct + 1, t->len - alen - 1, UINT32_MAX, &scope))
		return EIPSEC_INVAL_ADDRESS;
	ep->scope = (uint32_t)scope;
	*family = AF_INET6;
	return EIPSEC_NO_ERROR;
}

static int
parse_port(const struct tok *t, struct ep *ep)
{
	uint64_t n;

	if (!dec(t->s, t->len, 65535, &n))
		return EIPSEC_INVAL_ADDRESS;
	ep->port = htons((uint16_t)n);
	return EIPSEC_NO_ERROR;
}

/* ADDR[PORT]-ADDR[PORT] | ADDR-ADDR | me-any (out) | any-me (in) */
static int
parse_addresses(struct parser *ps, struct preq *q)
{
	struct tok t;
	uint16_t fsrc, fdst;
	bool ports;
	int e;

	if (cur(ps) == T_ME || cur(ps) == T_ANY) {
		bool me = cur(ps) == T_ME;

		advance(ps);
		if ((e = expect(ps, T_HYPHEN, NULL)) != 0 ||
		    (e = expect(ps, me ? T_ANY : T_ME, NULL)) != 0)
			return e;
		if (ps->pol->dir != (me ? PARAPET_IPSEC_DIR_OUTBOUND :
		    PARAPET_IPSEC_DIR_INBOUND))
			return EIPSEC_INVAL_DIR;
		return EIPSEC_NO_ERROR;
	}
	if ((e = expect(ps, T_ADDR, &t)) != 0 ||
	    (e = parse_addr(&t, &fsrc, &q->src)) != 0)
		return e;
	ports = cur(ps) == T_PORT;
	if (ports && ((e = expect(ps, T_PORT, &t)) != 0 ||
	    (e = parse_port(&t, &q->src)) != 0))
		return e;
	if ((e = expect(ps, T_HYPHEN, NULL)) != 0 ||
	    (e = expect(ps, T_ADDR, &t)) != 0 ||
	    (e = parse_addr(&t, &fdst, &q->dst)) != 0)
		return e;
	if (ports && ((e = expect(ps, T_PORT, &t)) != 0 ||
	    (e = parse_port(&t, &q->dst)) != 0))
		return e;
	if (fsrc != fdst)
		return EIPSEC_FAMILY_MISMATCH;
	q->family = fsrc;
	return EIPSEC_NO_ERROR;
}

static bool
at_level(const struct parser *ps)
{
	return cur(ps) == T_LEVEL || cur(ps) == T_LEVEL_SPECIFY ||
	    cur(ps) == T_LEVEL_AUTO;
}

/* default | use | require | unique | unique:N | unique#N */
static int
parse_level(struct parser *ps, struct preq *q)
{
	struct tok t = ps->lx.t;
	uint64_t n;

	advance(ps);
	if (t.kind == T_LEVEL) {
		q->level = (uint8_t)t.num;
		return EIPSEC_NO_ERROR;
	}
	q->level = PARAPET_IPSEC_LEVEL_UNIQUE;
	if (t.kind == T_LEVEL_SPECIFY) {
		if (!dec(t.s, t.len, POLICY_REQID_MANUAL_MAX, &n) || n == 0)
			return EIPSEC_INVAL_LEVEL;
	} else if (!dec(t.s, t.len, UINT32_MAX, &n) ||
	    n <= POLICY_REQID_MANUAL_MAX)
		return EIPSEC_INVAL_LEVEL;
	q->reqid = (uint32_t)n;
	return EIPSEC_NO_ERROR;
}

static int
append(struct pol *pol, const struct preq *q)
{
	struct preq *n;
	size_t cap;

	if (pol->len_bytes + req_bytes(q) > POLICY_MAX_BYTES)
		return EIPSEC_NO_BUFS;
	if (pol->nreq == pol->cap) {
		cap = pol->cap ? pol->cap * 2 : 4;
		if ((n = realloc(pol->req, cap * sizeof(*n))) == NULL)
			return EIPSEC_NO_BUFS;
		pol->req = n;
		pol->cap = cap;
	}
	pol->req[pol->nreq++] = *q;
	pol->len_bytes += req_bytes(q);
	return EIPSEC_NO_ERROR;
}

/* After protocol/mode: [/[addresses][/[level]]] | //level */
static int
parse_tail(struct parser *ps, struct preq *q)
{
	int e;

	if (cur(ps) != T_SLASH)
		return EIPSEC_NO_ERROR;
	advance(ps);
	if (cur(ps) == T_ADDR || cur(ps) == T_ME || cur(ps) == T_ANY) {
		if ((e = parse_addresses(ps, q)) != 0)
			return e;
		if (cur(ps) != T_SLASH)
			return EIPSEC_NO_ERROR;
		advance(ps);
		return at_level(ps) ? parse_level(ps, q) : EIPSEC_NO_ERROR;
	}
	if (cur(ps) != T_SLASH)
		return EIPSEC_NO_ERROR;
	advance(ps);
	/* policy_parse.y: "protocol/mode//" must go on with a level. */
	return at_level(ps) ? parse_level(ps, q) : EIPSEC_INVAL_ARGUMENT;
}

/*
 * protocol/mode[/[addresses][/[level]]] | protocol/mode//level, with
 * "protocol" and "protocol/" refused as too few arguments.
 */
static int
parse_request(struct parser *ps)
{
	struct preq q;
	int e;

	memset(&q, 0, sizeof(q));
	q.proto = (uint16_t)ps->lx.t.num;
	q.level = PARAPET_IPSEC_LEVEL_DEFAULT;
	advance(ps);
	if (cur(ps) != T_SLASH)
		return EIPSEC_FEW_ARGUMENTS;
	advance(ps);
	if (cur(ps) != T_MODE)
		return EIPSEC_FEW_ARGUMENTS;
	q.mode = (uint8_t)ps->lx.t.num;
	advance(ps);
	if ((e = parse_tail(ps, &q)) != 0)
		return e;
	/* policy_parse.y rule_check(): a tunnel needs its endpoints. */
	if (q.mode == PARAPET_IPSEC_MODE_TUNNEL && q.family == 0)
		return EIPSEC_INVAL_ADDRESS;
	return append(ps->pol, &q);
}

/*
 * DIR | DIR [prio ...] ACTION [request ...]. A bare direction is
 * libipsec's form for setkey's spddelete: type discard, priority 0.
 */
static int
parse_policy(struct parser *ps)
{
	struct pol *pol = ps->pol;
	struct tok t;
	int e;

	if ((e = expect(ps, T_DIR, &t)) != 0)
		return e;
	pol->dir = (uint8_t)t.num;
	pol->type = PARAPET_IPSEC_POLICY_DISCARD;
	pol->priority = 0;
	if (cur(ps) == T_EOF)
		return EIPSEC_NO_ERROR;
	pol->priority = POLICY_PRIORITY_DEFAULT;
	if (cur(ps) == T_PRIORITY) {
		advance(ps);
		if ((e = parse_priority(ps)) != 0)
			return e;
	}
	if ((e = expect(ps, T_ACTION, &t)) != 0)
		return e;
	pol->type = (uint16_t)t.num;
	while (cur(ps) != T_EOF) {
		if (cur(ps) != T_PROTOCOL)
			return EIPSEC_INVAL_ARGUMENT;
		/* KAME appends these and the kernel ignores them. */
		if (pol->type != PARAPET_IPSEC_POLICY_IPSEC)
			return EIPSEC_INVAL_POLICY;
		if ((e = parse_request(ps)) != 0)
			return e;
	}
	return EIPSEC_NO_ERROR;
}

/* ---- Bytes ---- */

/* Each chain is || so that the writes happen in order. */
static int
put_sockaddr(struct wr *w, uint16_t family, const struct ep *ep)
{
	uint16_t port = ntohs(ep->port);

	if (family == AF_INET)
		return wr_h16(w, AF_INET) != 0 || wr_be16(w, port) != 0 ||
		    wr_bytes(w, ep->addr, 4) != 0 || wr_zero(w, 8) != 0;
	return wr_h16(w, AF_INET6) != 0 || wr_be16(w, port) != 0 ||
	    wr_be32(w, 0) != 0 || wr_bytes(w, ep->addr, 16) != 0 ||
	    wr_h32(w, ep->scope) != 0;
}

static int
build(const struct pol *pol, uint8_t **out, size_t *len_bytes)
{
	uint8_t *buf;
	struct wr w;
	size_t i;
	bool bad;

	if ((buf = malloc(pol->len_bytes)) == NULL)
		return EIPSEC_NO_BUFS;
	wr_init(&w, buf, pol->len_bytes);
	bad = wr_h16(&w, (uint16_t)(pol->len_bytes / 8)) != 0 ||
	    wr_h16(&w, PARAPET_SADB_X_EXT_POLICY) != 0 ||
	    wr_h16(&w, pol->type) != 0 || wr_u8(&w, pol->dir) != 0 ||
	    wr_u8(&w, 0) != 0 || wr_h32(&w, 0) != 0 ||
	    wr_h32(&w, pol->priority) != 0;
	for (i = 0; i < pol->nreq && !bad; i++) {
		const struct preq *q = &pol->req[i];

		bad = wr_h16(&w, (uint16_t)req_bytes(q)) != 0 ||
		    wr_h16(&w, q->proto) != 0 || wr_u8(&w, q->mode) != 0 ||
		    wr_u8(&w, q->level) != 0 || wr_h16(&w, 0) != 0 ||
		    wr_h32(&w, q->reqid) != 0 || wr_h32(&w, 0) != 0 ||
		    (q->family != 0 &&
		    (put_sockaddr(&w, q->family, &q->src) != 0 ||
		    put_sockaddr(&w, q->family, &q->dst) != 0));
	}
	/* Sizes were computed from the same requests. */
	if (bad || w.left != 0) {
		free(buf);
		return EIPSEC_INVAL_ARGUMENT;
	}
	*out = buf;
	*len_bytes = pol->len_bytes;
	return EIPSEC_NO_ERROR;
}

int
policy_parse(const char *text, size_t text_len, uint8_t **buf,
    size_t *len_bytes)
{
	struct parser ps;
	struct pol pol;
	const char *nul;
	int e;

	if (text == NULL || buf == NULL || len_bytes == NULL)
		return EIPSEC_INVAL_ARGUMENT;
	if ((nul = memchr(text, '\0', text_len)) != NULL)
		text_len = (size_t)(nul - text);
	memset(&pol, 0, sizeof(pol));
	pol.len_bytes = POLICY_HDR_BYTES;
	ps.pol = &pol;
	ps.lx.p = text;
	ps.lx.left = text_len;
	lex_next(&ps.lx);
	e = parse_policy(&ps);
	if (e == 0)
		e = build(&pol, buf, len_bytes);
	free(pol.req);
	return e;
}
