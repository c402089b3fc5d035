/*
 * setkey_lex.c - the lexer of setkey's parser: a cursor over the text that
 * keeps line and column, tokens as ipsec-tools' token.l cuts them (words
 * of [A-Za-z0-9:._%,-], quoted strings, ; / [ ]), comments from # to the
 * end of the line, and the errors ("FILE:LINE:COL: expected X, found Y").
 * Also the numbers and the numeric addresses of the grammar.
 *
 * Untrusted input: the text. Every byte is either part of a token, blank,
 * a comment, or an error naming it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "setkey_impl.h"

static bool
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' ||
	    c == '%' || c == ',' || c == '-';
}

void
sk_lex_adv(struct lex *lx)
{
	if (lx->s[lx->off] == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->off++;
}

static void
lex_skip(struct lex *lx)
{
	while (lx->off < lx->len) {
		char c = lx->s[lx->off];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		    c == '\f' || c == '\v')
			sk_lex_adv(lx);
		else if (c == '#') {
			while (lx->off < lx->len && lx->s[lx->off] != '\n')
				sk_lex_adv(lx);
		} else
			break;
	}
}

void PRINTFLIKE(4, 5)
sk_fail_at(struct parser *p, unsigned int line, unsigned int col,
    const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (p->error != 0)
		return;
	p->error = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->err->line = line;
	p->err->col = col;
	snprintf(p->err->msg, sizeof(p->err->msg), "%s:%u:%u: %s",
	    p->o->fname != NULL ? p->o->fname : "<stdin>", line, col, what);
}

/* A printable rendering of a token for "found ..." (quoted, shortened). */
static void
tok_show(const struct tok *t, char *out, size_t cap)
{
	size_t i, n = t->len > 32 ? 32 : t->len;
	const char *more = t->len > 32 ? "..." : "";

	switch (t->kind) {
	case T_EOF:
		snprintf(out, cap, "end of input");
		return;
	case T_QUOTED:
		snprintf(out, cap, "a quoted string");
		return;
	default:
		break;
	}
	if (cap < n + 6) {
		snprintf(out, cap, "?");
		return;
	}
	out[0] = '\'';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->s[i];

		out[i + 1] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
	}
	snprintf(out + n + 1, cap - n - 1, "'%s", more);
}

void
sk_expected(struct parser *p, const struct tok *t, const char *what)
{
	char found[48];

	tok_show(t, found, sizeof(found));
	sk_fail_at(p, t->line, t->col, "expected %s, found %s", what, found);
}

/* The next token; false (error set) on a character no token starts with. */
bool
sk_lex_next(struct parser *p, struct tok *t)
{
	struct lex *lx = &p->lx;
	char c;

	lex_skip(lx);
	t->line = lx->line;
	t->col = lx->col;
	t->s = lx->s + lx->off;
	t->len = 0;
	if (lx->off >= lx->len) {
		t->kind = T_EOF;
		return true;
	}
	c = lx->s[lx->off];
	switch (c) {
	case ';':
		t->kind = T_SEMI;
		break;
	case '/':
		t->kind = T_SLASH;
		break;
	case '[':
		t->kind = T_LBRACK;
		break;
	case ']':
		t->kind = T_RBRACK;
		break;
	case '"':
		sk_lex_adv(lx);
		t->kind = T_QUOTED;
		t->s = lx->s + lx->off;
		while (lx->off < lx->len && lx->s[lx->off] != '"') {
			if (lx->s[lx->off] == '\0') {
				sk_fail_at(p, lx->line, lx->col,
				    "NUL byte in a quoted string");
				return false;
			}
			sk_lex_adv(lx);
			t->len++;
		}
		if (lx->off >= lx->len) {
			sk_fail_at(p, t->line, t->col,
			    "unterminated quoted string");
			return false;
		}
		sk_lex_adv(lx);
		return true;
	default:
		if (!word_char(c)) {
			unsigned char u = (unsigned char)c;

			if (u >= 0x20 && u < 0x7f)
				sk_fail_at(p, t->line, t->col,
				    "unexpected character '%c'", c);
			else
				sk_fail_at(p, t->line, t->col,
				    "unexpected byte 0x%02x", u);
			return false;
		}
		t->kind = T_WORD;
		while (lx->off < lx->len && word_char(lx->s[lx->off])) {
			sk_lex_adv(lx);
			t->len++;
		}
		return true;
	}
	t->len = 1;
	sk_lex_adv(lx);
	return true;
}

bool
sk_lex_peek(struct parser *p, struct tok *t)
{
	struct lex save = p->lx;
	bool ok = sk_lex_next(p, t);

	p->lx = save;
	return ok;
}

bool
sk_is_word(const struct tok *t, const char *w)
{
	return t->kind == T_WORD && strlen(w) == t->len &&
	    memcmp(t->s, w, t->len) == 0;
}

bool
sk_expect(struct parser *p, enum tok_kind kind, const char *what)
{
	struct tok t;

	if (!sk_lex_next(p, &t))
		return false;
	if (t.kind != kind) {
		sk_expected(p, &t, what);
		return false;
	}
	return true;
}

/* ---- Numbers ---- */

bool
sk_dec(const struct tok *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->kind != T_WORD || t->len == 0 || t->len > 20)
		return false;
	for (i = 0; i < t->len; i++) {
		unsigned int d;

		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		d = (unsigned int)(t->s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

int
sk_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
sk_is_hex(const struct tok *t)
{
	size_t i;

	if (t->kind != T_WORD || t->len < 3 || t->s[0] != '0' ||
	    (t->s[1] != 'x' && t->s[1] != 'X'))
		return false;
	for (i = 2; i < t->len; i++)
		if (sk_hexval(t->s[i]) < 0)
			return false;
	return true;
}

/* A DEC or 0x number no larger than max. */
bool
sk_number(const struct tok *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!sk_is_hex(t))
		return sk_dec(t, max, out);
	for (i = 2; i < t->len; i++) {
		if (v > (UINT64_MAX >> 4))
			return false;
		v = (v << 4) | (uint64_t)sk_hexval(t->s[i]);
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* A decimal word no larger than max, or the error "expected what". */
bool
sk_get_dec(struct parser *p, uint64_t max, const char *what, uint64_t *out)
{
	struct tok t;

	if (!sk_lex_next(p, &t))
		return false;
	if (!sk_dec(&t, max, out)) {
		sk_expected(p, &t, what);
		return false;
	}
	return true;
}

/* ---- Addresses ---- */

/* Address-family restriction of -4/-6 (AF_UNSPEC: none). */
bool
sk_addr_opts(struct parser *p, int *family)
{
	struct tok t;
	size_t i;

	*family = AF_UNSPEC;
	for (;;) {
		if (!sk_lex_peek(p, &t))
			return false;
		if (t.kind != T_WORD || t.len < 2 || t.s[0] != '-')
			return true;
		for (i = 1; i < t.len; i++)
			if (t.s[i] != '4' && t.s[i] != '6' && t.s[i] != 'n')
				return true;
		(void)sk_lex_next(p, &t);
		for (i = 1; i < t.len; i++) {
			if (t.s[i] == '4')
				*family = AF_INET;
			else if (t.s[i] == '6')
				*family = AF_INET6;
			/* -n: addresses are always numeric here. */
		}
	}
}

/* A numeric address word into sa (port 0); false: not an address. */
bool
sk_addr_word(const struct tok *t, struct pfkey_sockaddr *sa)
{
	char text[WORD_MAX];
	const char *pct;
	uint64_t scope = 0;

	memset(sa, 0, sizeof(*sa));
	if (t->kind != T_WORD || t->len >= sizeof(text))
		return false;
	memcpy(text, t->s, t->len);
	text[t->len] = '\0';
	if (inet_pton(AF_INET, text, sa->addr) == 1) {
		sa->family = AF_INET;
		return true;
	}
	if ((pct = memchr(text, '%', t->len)) != NULL) {
		struct tok st = *t;
		size_t alen = (size_t)(pct - text);

		st.s = t->s + alen + 1;
		st.len = t->len - alen - 1;
		if (!sk_dec(&st, UINT32_MAX, &scope))
			return false;
		text[alen] = '\0';
	}
	if (inet_pton(AF_INET6, text, sa->addr) != 1)
		return false;
	sa->family = AF_INET6;
	sa->scope_id = (uint32_t)scope;
	return true;
}

bool
sk_get_addr(struct parser *p, int family, struct pfkey_sockaddr *sa)
{
	struct tok t;

	if (!sk_lex_next(p, &t))
		return false;
	if (!sk_addr_word(&t, sa)) {
		sk_expected(p, &t,
		    "a numeric IPv4 or IPv6 address (names are not resolved)");
		return false;
	}
	if (family != AF_UNSPEC && sa->family != family) {
		sk_expected(p, &t, family == AF_INET ?
		    "an IPv4 address (-4)" : "an IPv6 address (-6)");
		return false;
	}
	return true;
}

/* [port] | [any] | nothing: the port, host order. */
bool
sk_port_opt(struct parser *p, uint16_t *port)
{
	struct tok t;
	uint64_t v;

	*port = 0;
	if (!sk_lex_peek(p, &t))
		return false;
	if (t.kind != T_LBRACK)
		return true;
	(void)sk_lex_next(p, &t);
	if (!sk_lex_next(p, &t))
		return false;
	if (sk_is_word(&t, "any"))
		v = 0;
	else if (!sk_dec(&t, UINT16_MAX, &v)) {
		sk_expected(p, &t, "a port number (0 to 65535) or any");
		return false;
	}
	*port = (uint16_t)v;
	return sk_expect(p, T_RBRACK, "']'");
}

uint8_t
sk_full_prefix(uint16_t family)
{
	return family == AF_INET ? 32 : 128;
}

void
sk_addr_ext(struct pfkey_address *a, const struct pfkey_sockaddr *sa,
    uint8_t proto, uint8_t prefixlen)
{
	memset(a, 0, sizeof(*a));
	a->sa = *sa;
	a->proto = proto;
	a->prefixlen = prefixlen;
}
