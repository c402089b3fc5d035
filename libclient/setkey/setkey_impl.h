/*
 * setkey_impl.h - what the parts of setkey's parser share: the lexer and
 * its error reporting (setkey_lex.c), the name tables (setkey_names.c) and
 * the statements (setkey_parse.c). Private to libclient/setkey.
 */
#ifndef PARAPET_SETKEY_IMPL_H
#define PARAPET_SETKEY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "setkey_parse.h"
#include "util.h"

#define SK(x)		PARAPET_SADB_##x
#define WORD_MAX	128	/* longest word we look at */

/* ---- Names (setkey_names.c) ---- */

enum alg_kind {
	ALG_ENC,
	ALG_AUTH,
	ALG_COMP
};

#define ALG_NONE	(-1)	/* a setkey name with no Linux number */
#define ALG_UNDECIDED	(-2)	/* a number the project has not picked */
#define NOKEY		0x1	/* takes no key (null) */
#define PRINT		0x2	/* the name the dump prints for its id */

struct alg_name {
	const char	*name;
	enum alg_kind	 kind;
	int		 id;		/* ALG_NONE, ALG_UNDECIDED or 0..255 */
	unsigned int	 flags;		/* NOKEY, PRINT */
};

/* The -E/-A/-C name s[0..n), or NULL. */
const struct alg_name *setkey_alg_lookup(enum alg_kind, const char *s,
	    size_t n);
/* An upper-layer protocol name (/etc/protocols' and setkey's own). */
bool	setkey_proto_lookup(const char *s, size_t n, uint8_t *num);

/* ---- Lexer (setkey_lex.c) ---- */

enum tok_kind {
	T_EOF,
	T_SEMI,
	T_SLASH,
	T_LBRACK,
	T_RBRACK,
	T_WORD,
	T_QUOTED	/* s, len: the text between the quotes */
};

struct tok {
	enum tok_kind	 kind;
	const char	*s;
	size_t		 len;
	unsigned int	 line;
	unsigned int	 col;
};

struct lex {
	const char	*s;
	size_t		 len;
	size_t		 off;
	unsigned int	 line;
	unsigned int	 col;
};

struct parser {
	struct lex		 lx;
	const struct setkey_opts *o;
	struct setkey_error	*err;
	struct setkey_script	*script;
	uint32_t		 seq;
	uint8_t			*buf;		/* PFKEY_MSG_MAX_BYTES */
	int			 error;		/* first error, sticky */
};

/*
 * Tokens: sk_lex_next() fills *t (false: an error, reported); sk_lex_peek()
 * does the same without consuming. Errors are sticky: the first one wins.
 */
bool	sk_lex_next(struct parser *, struct tok *);
bool	sk_lex_peek(struct parser *, struct tok *);
void	sk_lex_adv(struct lex *);	/* one character, counting lines */
void	sk_fail_at(struct parser *, unsigned int line, unsigned int col,
	    const char *fmt, ...) PRINTFLIKE(4, 5);
/* "expected WHAT, found TOKEN" at t. */
void	sk_expected(struct parser *, const struct tok *t, const char *what);
/* The next token must be of kind. */
bool	sk_expect(struct parser *, enum tok_kind kind, const char *what);
bool	sk_is_word(const struct tok *, const char *w);

/* Numbers: decimal (sk_dec), 0x hex or decimal (sk_number), <= max. */
bool	sk_dec(const struct tok *, uint64_t max, uint64_t *out);
bool	sk_number(const struct tok *, uint64_t max, uint64_t *out);
bool	sk_is_hex(const struct tok *);
int	sk_hexval(char c);
bool	sk_get_dec(struct parser *, uint64_t max, const char *what,
	    uint64_t *out);

/* Addresses: numeric only, IPv6 with an optional numeric %scope. */
bool	sk_addr_opts(struct parser *, int *family);	/* -4 -6 -n */
bool	sk_addr_word(const struct tok *, struct pfkey_sockaddr *);
bool	sk_get_addr(struct parser *, int family, struct pfkey_sockaddr *);
bool	sk_port_opt(struct parser *, uint16_t *port);	/* [port] [any] */
uint8_t	sk_full_prefix(uint16_t family);
void	sk_addr_ext(struct pfkey_address *, const struct pfkey_sockaddr *,
	    uint8_t proto, uint8_t prefixlen);

#endif
