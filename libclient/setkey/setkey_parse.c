/*
 * setkey_parse.c - setkey(8) configuration text to PF_KEY v2 messages
 * (setkey_parse.h).
 *
 * A recursive descent parser for the statements of ipsec-tools 0.8
 * setkey's parse.y, Linux build, over the tokens of setkey_lex.c (which
 * keeps line and column for every token; names in setkey_names.c).
 * Each statement is built as a parsed view (struct pfkey_msg) and written
 * with keyd_core's builder, so the bytes are exactly what keyd's
 * validator expects. The policy string
 * after -P is handed to libclient's ipsec_set_policy(3) and read back
 * through pfkey_msg_parse(), so it is validated as keyd will.
 *
 * Untrusted input: the whole text. Addresses are numeric (inet_pton, an
 * optional numeric IPv6 %scope); no names are resolved, no files read.
 * Keys are wiped from every scratch buffer before it is freed.
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
#include "setkey_impl.h"

#define BIT(e)		(UINT32_C(1) << (e))
#define NATT_PORT	4500	/* RFC 3948; setkey's DEFAULT_NATT_PORT */

/* ---- Statements ---- */

static bool
script_push(struct parser *p, const struct setkey_stmt *st)
{
	struct setkey_script *s = p->script;

	if (s->nstmt == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct setkey_stmt *n = realloc(s->stmt, cap * sizeof(*n));

		if (n == NULL) {
			p->error = -ENOMEM;
			return false;
		}
		s->stmt = n;
		s->cap = cap;
	}
	s->stmt[s->nstmt++] = *st;
	return true;
}

static void
msg_hdr(struct parser *p, struct pfkey_msg *m, uint8_t type, uint8_t satype)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = satype;
	m->hdr.pid = p->o->pid;
}

/* Build m into a new statement of kind at (line, col). */
static bool
emit(struct parser *p, struct pfkey_msg *m, uint32_t seq,
    enum setkey_kind kind, const struct tok *at, struct setkey_stmt *st)
{
	size_t len;

	/* seq != 0: an UPDATE answering a GETSPI (getspi_seq()). */
	m->hdr.seq = seq != 0 ? seq : p->seq;
	p->seq++;
	if (pfkey_build_msg(m, p->buf, PFKEY_MSG_MAX_BYTES, &len) != 0) {
		sk_fail_at(p, at->line, at->col,
		    "statement too long for one PF_KEY message");
		return false;
	}
	st->kind = kind;
	st->line = at->line;
	st->col = at->col;
	st->type = m->hdr.type;
	st->len = len;
	if ((st->msg = malloc(len)) == NULL) {
		explicit_bzero(p->buf, len);
		p->error = -ENOMEM;
		return false;
	}
	memcpy(st->msg, p->buf, len);
	explicit_bzero(p->buf, len);
	if (!script_push(p, st)) {
		explicit_bzero(st->msg, len);
		free(st->msg);
		return false;
	}
	return true;
}

/* SA protocols: esp, esp-old, ah, ah-old, esp-udp, ipcomp (and tcp). */
struct sa_args {
	uint8_t		 satype;
	bool		 old;		/* esp-old, ah-old */
	bool		 natt;		/* esp-udp */
	bool		 has_oa;
	struct pfkey_sockaddr oa;
	uint32_t	 spi;
	uint32_t	 flags;
	uint8_t		 mode;
	uint32_t	 reqid;
	uint8_t		 replay;
	uint64_t	 lt_hard, lt_soft, lb_hard, lb_soft;
	uint8_t		 ealg, aalg;
	bool		 has_ekey, has_akey;
	uint8_t		 ekey[PFKEY_KEY_MAX_BYTES];
	size_t		 ekey_len;
	uint8_t		 akey[PFKEY_KEY_MAX_BYTES];
	size_t		 akey_len;
	bool		 has_ctx;
	uint8_t		 ctx_doi, ctx_alg;
	uint8_t		 ctx[PFKEY_SEC_CTX_MAX_BYTES];
	uint16_t	 ctx_len;
};

/*
 * protocol_spec. optional: flush and dump may have none (UNSPEC). For
 * esp-udp an original address may follow (unless oa is false).
 */
static bool
protocol(struct parser *p, bool optional, bool oa, struct sa_args *a)
{
	struct tok t;

	a->satype = SK(SATYPE_UNSPEC);
	if (!sk_lex_peek(p, &t))
		return false;
	if (sk_is_word(&t, "esp") || sk_is_word(&t, "esp-old"))
		a->satype = SK(SATYPE_ESP);
	else if (sk_is_word(&t, "ah") || sk_is_word(&t, "ah-old"))
		a->satype = SK(SATYPE_AH);
	else if (sk_is_word(&t, "ipcomp"))
		a->satype = SK(X_SATYPE_IPCOMP);
	else if (sk_is_word(&t, "esp-udp")) {
		a->satype = SK(SATYPE_ESP);
		a->natt = true;
	} else if (sk_is_word(&t, "tcp")) {
		sk_fail_at(p, t.line, t.col,
		    "TCP-MD5 SAs (tcp) are not supported on Linux");
		return false;
	} else if (optional)
		return true;
	else {
		sk_expected(p, &t,
		    "esp, esp-old, ah, ah-old, esp-udp or ipcomp");
		return false;
	}
	(void)sk_lex_next(p, &t);
	a->old = t.len > 4 && memcmp(t.s + t.len - 4, "-old", 4) == 0;
	if (a->old)
		a->flags |= SK(X_EXT_OLD);
	if (a->natt && oa) {
		struct tok n;

		if (!sk_lex_peek(p, &n))
			return false;
		/* An SPI is a number; anything else is the original address. */
		if (n.kind == T_WORD && !sk_is_hex(&n) &&
		    !(n.s[0] >= '0' && n.s[0] <= '9' &&
		    memchr(n.s, '.', n.len) == NULL &&
		    memchr(n.s, ':', n.len) == NULL)) {
			if (!sk_get_addr(p, AF_UNSPEC, &a->oa))
				return false;
			a->has_oa = true;
		}
	}
	return true;
}

static bool
spi(struct parser *p, struct sa_args *a)
{
	struct tok t;
	uint64_t v;

	if (!sk_lex_next(p, &t))
		return false;
	if (!sk_number(&t, UINT32_MAX, &v)) {
		sk_expected(p, &t, "an SPI (decimal, or hexadecimal with 0x, "
		    "at most 32 bits)");
		return false;
	}
	a->spi = (uint32_t)v;
	return true;
}

/* A "quoted string" or 0x hex key into key[]; odd hex: leading nibble. */
static bool
key(struct parser *p, uint8_t *key, size_t *len, struct tok *t)
{
	size_t i, n, o;

	if (!sk_lex_next(p, t))
		return false;
	if (t->kind == T_QUOTED) {
		if (t->len > PFKEY_KEY_MAX_BYTES) {
			sk_fail_at(p, t->line, t->col,
			    "key longer than %d octets", PFKEY_KEY_MAX_BYTES);
			return false;
		}
		memcpy(key, t->s, t->len);
		*len = t->len;
		return true;
	}
	if (!sk_is_hex(t)) {
		sk_expected(p, t, "a key (0x followed by hexadecimal digits, "
		    "or a \"quoted string\")");
		return false;
	}
	n = t->len - 2;
	if ((n + 1) / 2 > PFKEY_KEY_MAX_BYTES) {
		sk_fail_at(p, t->line, t->col, "key longer than %d octets",
		    PFKEY_KEY_MAX_BYTES);
		return false;
	}
	memset(key, 0, (n + 1) / 2);
	o = 0;
	i = 2;
	if (n % 2 != 0) {
		key[o++] = (uint8_t)sk_hexval(t->s[i++]);
	}
	for (; i < t->len; i += 2)
		key[o++] = (uint8_t)((sk_hexval(t->s[i]) << 4) |
		    sk_hexval(t->s[i + 1]));
	*len = o;
	return true;
}

static const struct pfkey_alg *
supported(const struct setkey_algs *s, bool enc, uint8_t id)
{
	const struct pfkey_alg *list = enc ? s->enc : s->auth;
	size_t i, n = enc ? s->nenc : s->nauth;

	for (i = 0; i < n; i++)
		if (list[i].id == id)
			return &list[i];
	return NULL;
}

/*
 * -E/-A algorithm name (and its key unless nokey): the number, checked
 * against keyd's REGISTER list when we have it.
 */
static bool
alg_and_key(struct parser *p, enum alg_kind kind, uint8_t *id, bool *has,
    uint8_t *kbuf, size_t *klen)
{
	const struct alg_name *an;
	const struct pfkey_alg *sup;
	const char *what = kind == ALG_ENC ? "encryption" : "authentication";
	struct tok t, kt;
	size_t bits;

	if (!sk_lex_next(p, &t))
		return false;
	if (t.kind != T_WORD ||
	    (an = setkey_alg_lookup(kind, t.s, t.len)) == NULL) {
		char e[64];

		snprintf(e, sizeof(e), "an %s algorithm", what);
		sk_expected(p, &t, e);
		return false;
	}
	if (an->id == ALG_NONE) {
		sk_fail_at(p, t.line, t.col, "%s algorithm %s is not supported "
		    "on Linux", what, an->name);
		return false;
	}
	if (an->id == ALG_UNDECIDED) {
		sk_fail_at(p, t.line, t.col, "%s algorithm %s has no PF_KEY "
		    "number yet", what, an->name);
		return false;
	}
	*id = (uint8_t)an->id;
	kt = t;
	*klen = 0;
	if ((an->flags & NOKEY) != 0) {
		/* setkey sends an empty encryption key, no auth key. */
		*has = kind == ALG_ENC;
	} else {
		if (!key(p, kbuf, klen, &kt))
			return false;
		*has = true;
	}
	if (p->o->algs == NULL)
		return true;
	if ((sup = supported(p->o->algs, kind == ALG_ENC, *id)) == NULL) {
		sk_fail_at(p, t.line, t.col,
		    "%s algorithm %s is not offered by keyd", what, an->name);
		return false;
	}
	bits = 8 * *klen;
	if ((an->flags & NOKEY) == 0 &&
	    (bits < sup->minbits || bits > sup->maxbits)) {
		if (sup->minbits == sup->maxbits)
			sk_fail_at(p, kt.line, kt.col, "%s takes a key of %u "
			    "bits, not %zu", an->name, sup->minbits, bits);
		else
			sk_fail_at(p, kt.line, kt.col,
			    "%s takes a key of %u to %u bits, not %zu",
			    an->name, sup->minbits, sup->maxbits, bits);
		return false;
	}
	return true;
}

/* -ctx DOI ALG "context" (SAs and policies). */
static bool
sec_ctx(struct parser *p, struct sa_args *a)
{
	uint64_t doi, alg;
	struct tok t;

	if (!sk_get_dec(p, UINT8_MAX, "a DOI (0 to 255)", &doi) ||
	    !sk_get_dec(p, UINT8_MAX, "a context algorithm (0 to 255)", &alg))
		return false;
	if (!sk_lex_next(p, &t))
		return false;
	if (t.kind != T_QUOTED) {
		sk_expected(p, &t, "a \"quoted\" security context");
		return false;
	}
	if (t.len + 1 > PFKEY_SEC_CTX_MAX_BYTES) {
		sk_fail_at(p, t.line, t.col, "security context longer than %d "
		    "octets", PFKEY_SEC_CTX_MAX_BYTES - 1);
		return false;
	}
	a->has_ctx = true;
	a->ctx_doi = (uint8_t)doi;
	a->ctx_alg = (uint8_t)alg;
	memcpy(a->ctx, t.s, t.len);
	a->ctx[t.len] = '\0';		/* setkey sends the NUL too */
	a->ctx_len = (uint16_t)(t.len + 1);
	return true;
}

/* A word and the value it stands for, in the option tables below. */
struct word_val {
	const char	*word;
	uint32_t	 set;		/* value, or flags to set */
	uint32_t	 clear;		/* flags to clear */
};

static const struct word_val sa_modes[] = {
	{ "transport",		PARAPET_IPSEC_MODE_TRANSPORT,	0 },
	{ "tunnel",		PARAPET_IPSEC_MODE_TUNNEL,	0 },
	{ "any",		PARAPET_IPSEC_MODE_ANY,		0 },
};

static const struct word_val sa_flags[] = {
	{ "random-pad",		SK(X_EXT_PRAND),	0 },
	{ "seq-pad",		SK(X_EXT_PSEQ),		0 },
	{ "zero-pad",		SK(X_EXT_PZERO),	0 },
	{ "nocyclic-seq",	0,			SK(X_EXT_CYCSEQ) },
};

/* The next token, which must be one of the n words of tab (else what). */
static const struct word_val *
word_arg(struct parser *p, const struct word_val *tab, size_t n,
    const char *what)
{
	struct tok v;
	size_t i;

	if (!sk_lex_next(p, &v))
		return NULL;
	for (i = 0; i < n; i++)
		if (sk_is_word(&v, tab[i].word))
			return &tab[i];
	sk_expected(p, &v, what);
	return NULL;
}

/* -m transport|tunnel|any */
static bool
ext_mode(struct parser *p, const struct tok *t, struct sa_args *a)
{
	const struct word_val *w;

	(void)t;
	if ((w = word_arg(p, sa_modes, nitems(sa_modes),
	    "transport, tunnel or any")) == NULL)
		return false;
	a->mode = (uint8_t)w->set;
	return true;
}

/* -r window */
static bool
ext_replay(struct parser *p, const struct tok *t, struct sa_args *a)
{
	uint64_t n;

	if (a->old) {
		sk_fail_at(p, t->line, t->col,
		    "replay prevention cannot be used with ah-old/esp-old");
		return false;
	}
	/*
	 * Linux reads sadb_sa_replay as packets and setkey passes -r
	 * through unchanged (8 bits).
	 */
	if (!sk_get_dec(p, UINT8_MAX, "a replay window (0 to 255)", &n))
		return false;
	a->replay = (uint8_t)n;
	return true;
}

/* -u reqid */
static bool
ext_reqid(struct parser *p, const struct tok *t, struct sa_args *a)
{
	uint64_t n;

	(void)t;
	if (!sk_get_dec(p, UINT32_MAX, "a reqid (decimal)", &n))
		return false;
	a->reqid = (uint32_t)n;
	return true;
}

/* -f zero-pad|random-pad|seq-pad|nocyclic-seq */
static bool
ext_flag(struct parser *p, const struct tok *t, struct sa_args *a)
{
	const struct word_val *w;

	(void)t;
	if ((w = word_arg(p, sa_flags, nitems(sa_flags),
	    "zero-pad, random-pad, seq-pad or nocyclic-seq")) == NULL)
		return false;
	a->flags = (a->flags | w->set) & ~w->clear;
	return true;
}

/* -lh -ls seconds, -bh -bs bytes */
static bool
ext_lifetime(struct parser *p, const struct tok *t, struct sa_args *a)
{
	bool time = t->s[1] == 'l', hard = t->s[2] == 'h';
	uint64_t n;

	if (!sk_get_dec(p, UINT64_MAX, time ? "a lifetime in seconds" :
	    "a lifetime in bytes", &n))
		return false;
	if (time && hard)
		a->lt_hard = n;
	else if (time)
		a->lt_soft = n;
	else if (hard)
		a->lb_hard = n;
	else
		a->lb_soft = n;
	return true;
}

/* -ctx doi alg "context" */
static bool
ext_ctx(struct parser *p, const struct tok *t, struct sa_args *a)
{
	(void)t;
	return sec_ctx(p, a);
}

/* An extension option (its token t consumed) and what reads its values. */
static const struct ext_opt {
	const char	*opt;
	bool		(*fn)(struct parser *, const struct tok *t,
			    struct sa_args *);
} ext_opts[] = {
	{ "-m",		ext_mode },
	{ "-r",		ext_replay },
	{ "-u",		ext_reqid },
	{ "-f",		ext_flag },
	{ "-lh",	ext_lifetime },
	{ "-ls",	ext_lifetime },
	{ "-bh",	ext_lifetime },
	{ "-bs",	ext_lifetime },
	{ "-ctx",	ext_ctx },
};

/* extension_spec: -m -r -u -f -lh -ls -bh -bs -ctx, any number. */
static bool
extensions(struct parser *p, struct sa_args *a)
{
	const struct ext_opt *e;
	struct tok t;
	size_t i;

	for (;;) {
		if (!sk_lex_peek(p, &t))
			return false;
		for (i = 0, e = NULL; i < nitems(ext_opts) && e == NULL; i++)
			if (sk_is_word(&t, ext_opts[i].opt))
				e = &ext_opts[i];
		if (e == NULL)
			return true;
		(void)sk_lex_next(p, &t);
		if (!e->fn(p, &t, a))
			return false;
	}
}

/* The common part of add, get and delete: through the extensions. */
static bool
sa_head(struct parser *p, struct sa_args *a, struct pfkey_sockaddr *src,
    struct pfkey_sockaddr *dst)
{
	struct tok t;
	int family;

	a->flags = SK(X_EXT_CYCSEQ);	/* setkey's default */
	if (!sk_addr_opts(p, &family))
		return false;
	if (!sk_get_addr(p, family, src) || !sk_port_opt(p, &src->port))
		return false;
	if (!sk_lex_peek(p, &t) || !sk_get_addr(p, family, dst) ||
	    !sk_port_opt(p, &dst->port))
		return false;
	if (src->family != dst->family) {
		sk_fail_at(p, t.line, t.col, "source and destination are of "
		    "different address families");
		return false;
	}
	return protocol(p, false, true, a) && spi(p, a) && extensions(p, a);
}

/* The view of an SA statement (add, get, delete) from its arguments. */
static void
sa_view(struct pfkey_msg *m, const struct sa_args *a,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	m->present |= BIT(SK(EXT_SA)) | BIT(SK(EXT_ADDRESS_SRC)) |
	    BIT(SK(EXT_ADDRESS_DST)) | BIT(SK(X_EXT_SA2));
	m->sa.spi = a->spi;
	m->sa.replay = a->replay;
	m->sa.state = SK(SASTATE_LARVAL);	/* setkey sends 0 */
	m->sa.flags = a->flags;
	m->sa2.mode = a->mode;
	m->sa2.reqid = a->reqid;
	sk_addr_ext(&m->src, src, PARAPET_IPSEC_ULPROTO_ANY,
	    sk_full_prefix(src->family));
	sk_addr_ext(&m->dst, dst, PARAPET_IPSEC_ULPROTO_ANY,
	    sk_full_prefix(dst->family));
}

/*
 * The seq of the last getspi in this script for the SA (satype, dst, spi),
 * or 0: keyd, as RFC 2367 §3.1.2 says, takes an UPDATE of a larval SA only
 * with the seq of the GETSPI that made it.
 */
static uint32_t
getspi_seq(const struct parser *p, uint8_t satype,
    const struct pfkey_sockaddr *dst, uint32_t spi)
{
	const struct setkey_script *s = p->script;
	struct pfkey_msg m;
	enum pfkey_reject why;
	size_t i = s->nstmt, n;

	while (i-- > 0) {
		if (s->stmt[i].type != SK(GETSPI) ||
		    pfkey_msg_parse(s->stmt[i].msg, s->stmt[i].len, &m,
		    &why) != 0)
			continue;
		n = dst->family == AF_INET ? 4 : 16;
		if (m.hdr.satype == satype && pfkey_msg_has(&m,
		    SK(EXT_SPIRANGE)) && m.spirange.min == spi &&
		    m.dst.sa.family == dst->family &&
		    memcmp(m.dst.sa.addr, dst->addr, n) == 0)
			return m.hdr.seq;
	}
	return 0;
}

/* -C calg [-R] (ipcomp); t is the token after the extensions. */
static bool
algs_ipcomp(struct parser *p, const struct tok *t, struct sa_args *a)
{
	const struct alg_name *an;
	struct tok v;

	if (!sk_is_word(t, "-C")) {
		sk_expected(p, t, "-C and a compression algorithm");
		return false;
	}
	if (!sk_lex_next(p, &v))
		return false;
	if ((an = setkey_alg_lookup(ALG_COMP, v.s, v.len)) == NULL ||
	    v.kind != T_WORD) {
		sk_expected(p, &v, "a compression algorithm (oui, deflate, "
		    "lzs)");
		return false;
	}
	a->ealg = (uint8_t)an->id;
	if (!sk_lex_peek(p, &v))
		return false;
	if (sk_is_word(&v, "-R")) {
		(void)sk_lex_next(p, &v);
		a->flags |= SK(X_EXT_RAWCPI);
	}
	return true;
}

/* -A aalg key (ah); t is the token after the extensions. */
static bool
algs_ah(struct parser *p, const struct tok *t, struct sa_args *a)
{
	if (!sk_is_word(t, "-A")) {
		sk_expected(p, t, "-A and an authentication algorithm (ah)");
		return false;
	}
	return alg_and_key(p, ALG_AUTH, &a->aalg, &a->has_akey, a->akey,
	    &a->akey_len);
}

/* -E ealg key [-A aalg key] (esp); t is the token after the extensions. */
static bool
algs_esp(struct parser *p, const struct tok *t, struct sa_args *a)
{
	struct tok n;

	if (!sk_is_word(t, "-E")) {
		sk_expected(p, t, "-E and an encryption algorithm (esp)");
		return false;
	}
	if (!alg_and_key(p, ALG_ENC, &a->ealg, &a->has_ekey, a->ekey,
	    &a->ekey_len) || !sk_lex_peek(p, &n))
		return false;
	if (!sk_is_word(&n, "-A"))
		return true;
	(void)sk_lex_next(p, &n);
	return alg_and_key(p, ALG_AUTH, &a->aalg, &a->has_akey, a->akey,
	    &a->akey_len);
}

/* algorithm_spec of add and update, by SA type. */
static bool
algorithms(struct parser *p, struct sa_args *a)
{
	struct tok t;

	if (!sk_lex_next(p, &t))
		return false;
	if (a->satype == SK(X_SATYPE_IPCOMP))
		return algs_ipcomp(p, &t, a);
	if (a->satype == SK(SATYPE_AH))
		return algs_ah(p, &t, a);
	return algs_esp(p, &t, a);
}

/* The -ctx extension of an SA or a policy, if there was one. */
static void
ctx_view(struct pfkey_msg *m, const struct sa_args *a)
{
	if (!a->has_ctx)
		return;
	m->present |= BIT(SK(X_EXT_SEC_CTX));
	m->sec_ctx.doi = a->ctx_doi;
	m->sec_ctx.alg = a->ctx_alg;
	m->sec_ctx.len_bytes = a->ctx_len;
	m->sec_ctx.ctx = a->ctx;
}

/* Keys and lifetimes of add and update (m borrows the keys from a). */
static void
keys_view(struct pfkey_msg *m, const struct sa_args *a)
{
	m->sa.auth = a->aalg;
	m->sa.encrypt = a->ealg;
	if (a->has_akey) {
		m->present |= BIT(SK(EXT_KEY_AUTH));
		m->key_auth.data = a->akey;
		m->key_auth.len_bytes = a->akey_len;
		m->key_auth.bits = (uint16_t)(8 * a->akey_len);
	}
	if (a->has_ekey && a->satype != SK(X_SATYPE_IPCOMP)) {
		m->present |= BIT(SK(EXT_KEY_ENCRYPT));
		m->key_encrypt.data = a->ekey;
		m->key_encrypt.len_bytes = a->ekey_len;
		m->key_encrypt.bits = (uint16_t)(8 * a->ekey_len);
	}
	if (a->lt_hard != 0 || a->lb_hard != 0) {
		m->present |= BIT(SK(EXT_LIFETIME_HARD));
		m->lft_hard.addtime = a->lt_hard;
		m->lft_hard.bytes = a->lb_hard;
	}
	if (a->lt_soft != 0 || a->lb_soft != 0) {
		m->present |= BIT(SK(EXT_LIFETIME_SOFT));
		m->lft_soft.addtime = a->lt_soft;
		m->lft_soft.bytes = a->lb_soft;
	}
}

/* esp-udp: the NAT-T extensions (ports default to 4500). */
static void
natt_view(struct pfkey_msg *m, const struct sa_args *a,
    const struct pfkey_sockaddr *src, const struct pfkey_sockaddr *dst)
{
	if (!a->natt)
		return;
	m->present |= BIT(SK(X_EXT_NAT_T_TYPE)) |
	    BIT(SK(X_EXT_NAT_T_SPORT)) | BIT(SK(X_EXT_NAT_T_DPORT));
	m->natt_type = PARAPET_UDP_ENCAP_ESPINUDP;
	m->natt_sport = src->port != 0 ? src->port : NATT_PORT;
	m->natt_dport = dst->port != 0 ? dst->port : NATT_PORT;
	if (a->has_oa) {
		m->present |= BIT(SK(X_EXT_NAT_T_OA));
		sk_addr_ext(&m->natt_oa, &a->oa, PARAPET_IPSEC_ULPROTO_ANY,
		    sk_full_prefix(a->oa.family));
	}
}

/* add and update (type): an SA with its algorithms and keys. */
static bool
st_add(struct parser *p, const struct tok *at, uint8_t type)
{
	struct sa_args *a;
	struct pfkey_sockaddr src, dst;
	struct pfkey_msg m;
	struct setkey_stmt st;
	bool ok = false;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		p->error = -ENOMEM;
		return false;
	}
	if (!sa_head(p, a, &src, &dst) || !algorithms(p, a) ||
	    !sk_expect(p, T_SEMI, "';'"))
		goto out;

	msg_hdr(p, &m, type, a->satype);
	sa_view(&m, a, &src, &dst);
	keys_view(&m, a);
	ctx_view(&m, a);
	natt_view(&m, a, &src, &dst);
	memset(&st, 0, sizeof(st));
	ok = emit(p, &m, type == SK(UPDATE) ? getspi_seq(p, a->satype, &dst,
	    a->spi) : 0, SETKEY_SEND, at, &st);
out:
	explicit_bzero(a, sizeof(*a));
	free(a);
	return ok;
}

/*
 * getspi: a larval SA for a later update (same socket, same script). An
 * SPI other than 0 asks for exactly that SPI (SPIRANGE min = max), 0 lets
 * keyd pick. ipsec-tools also sends an SA extension, which Linux ignores
 * and keyd refuses in GETSPI; only -m and -u reach the message (SA2).
 */
static bool
st_getspi(struct parser *p, const struct tok *at)
{
	struct sa_args *a;
	struct pfkey_sockaddr src, dst;
	struct pfkey_msg m;
	struct setkey_stmt st;
	bool ok = false;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		p->error = -ENOMEM;
		return false;
	}
	if (!sa_head(p, a, &src, &dst) || !sk_expect(p, T_SEMI, "';'"))
		goto out;
	msg_hdr(p, &m, SK(GETSPI), a->satype);
	sa_view(&m, a, &src, &dst);
	m.present &= ~BIT(SK(EXT_SA));
	if (a->spi != 0) {
		m.present |= BIT(SK(EXT_SPIRANGE));
		m.spirange.min = a->spi;
		m.spirange.max = a->spi;
	}
	memset(&st, 0, sizeof(st));
	ok = emit(p, &m, 0, SETKEY_SEND, at, &st);
out:
	free(a);
	return ok;
}

/* get and delete. */
static bool
st_get_delete(struct parser *p, const struct tok *at, uint8_t type)
{
	struct sa_args *a;
	struct pfkey_sockaddr src, dst;
	struct pfkey_msg m;
	struct setkey_stmt st;
	bool ok = false;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		p->error = -ENOMEM;
		return false;
	}
	if (!sa_head(p, a, &src, &dst) || !sk_expect(p, T_SEMI, "';'"))
		goto out;
	msg_hdr(p, &m, type, a->satype);
	sa_view(&m, a, &src, &dst);
	memset(&st, 0, sizeof(st));
	ok = emit(p, &m, 0, SETKEY_SEND, at, &st);
out:
	free(a);
	return ok;
}

static bool
st_deleteall(struct parser *p, const struct tok *at)
{
	struct sa_args a;
	struct pfkey_sockaddr src, dst;
	struct pfkey_msg m;
	struct setkey_stmt st;
	struct tok t;
	int family;

	memset(&a, 0, sizeof(a));
	if (!sk_addr_opts(p, &family) || !sk_get_addr(p, family, &src) ||
	    !sk_lex_peek(p, &t) || !sk_get_addr(p, family, &dst))
		return false;
	if (src.family != dst.family) {
		sk_fail_at(p, t.line, t.col, "source and destination are of "
		    "different address families");
		return false;
	}
	if (!protocol(p, false, false, &a) || !sk_expect(p, T_SEMI, "';'"))
		return false;
	msg_hdr(p, &m, SK(DUMP), a.satype);
	memset(&st, 0, sizeof(st));
	st.satype = a.satype;
	sk_addr_ext(&st.src, &src, PARAPET_IPSEC_ULPROTO_ANY,
	    sk_full_prefix(src.family));
	sk_addr_ext(&st.dst, &dst, PARAPET_IPSEC_ULPROTO_ANY,
	    sk_full_prefix(dst.family));
	return emit(p, &m, 0, SETKEY_DELETEALL, at, &st);
}

/* flush, dump: [protocol] ; */
static bool
st_flush_dump(struct parser *p, const struct tok *at, uint8_t type)
{
	struct sa_args a;
	struct pfkey_msg m;
	struct setkey_stmt st;

	memset(&a, 0, sizeof(a));
	if (!protocol(p, true, false, &a) || !sk_expect(p, T_SEMI, "';'"))
		return false;
	msg_hdr(p, &m, type, a.satype);
	memset(&st, 0, sizeof(st));
	return emit(p, &m, 0, SETKEY_SEND, at, &st);
}

/* spdflush, spddump, exit: no arguments. */
static bool
st_short(struct parser *p, const struct tok *at, uint8_t type)
{
	struct pfkey_msg m;
	struct setkey_stmt st;

	if (!sk_expect(p, T_SEMI, "';'"))
		return false;
	memset(&st, 0, sizeof(st));
	if (type == 0) {
		st.kind = SETKEY_EXIT;
		st.line = at->line;
		st.col = at->col;
		return script_push(p, &st);
	}
	msg_hdr(p, &m, type, SK(SATYPE_UNSPEC));
	return emit(p, &m, 0, SETKEY_SEND, at, &st);
}

/* address[/prefix][[port]] of spdadd, spdupdate and spddelete. */
static bool
selector(struct parser *p, int family, struct pfkey_sockaddr *sa,
    uint8_t *prefixlen)
{
	struct tok t;
	uint64_t n;

	if (!sk_get_addr(p, family, sa) || !sk_lex_peek(p, &t))
		return false;
	*prefixlen = sk_full_prefix(sa->family);
	if (t.kind == T_SLASH) {
		(void)sk_lex_next(p, &t);
		if (!sk_lex_next(p, &t))
			return false;
		if (!sk_dec(&t, sk_full_prefix(sa->family), &n)) {
			sk_expected(p, &t, sa->family == AF_INET ?
			    "a prefix length (0 to 32)" :
			    "a prefix length (0 to 128)");
			return false;
		}
		*prefixlen = (uint8_t)n;
	}
	return sk_port_opt(p, &sa->port);
}

/* upper_spec: a number, any, or a protocol name. */
static bool
upper(struct parser *p, uint8_t *proto)
{
	struct tok t;
	uint64_t n;

	if (!sk_lex_next(p, &t))
		return false;
	if (sk_dec(&t, UINT8_MAX, &n)) {
		*proto = (uint8_t)n;
		return true;
	}
	if (t.kind == T_WORD && setkey_proto_lookup(t.s, t.len, proto))
		return true;
	sk_expected(p, &t, "an upper-layer protocol (any, icmp, icmp6, tcp, "
	    "udp, gre, a name or a number)");
	return false;
}

/* "a,b" or "a" into *x and *y (y untouched without ","), each <= max. */
static bool
pair(const struct tok *t, char sep, uint64_t max, uint64_t *x, uint64_t *y)
{
	const char *c = memchr(t->s, sep, t->len);
	struct tok a = *t, b = *t;

	if (c == NULL)
		return sk_dec(t, max, x);
	a.len = (size_t)(c - t->s);
	b.s = c + 1;
	b.len = t->len - a.len - 1;
	return sk_dec(&a, max, x) && sk_dec(&b, max, y);
}

/*
 * upper_misc_spec after icmp, icmp6 or mh ("type[,code]", carried in the
 * source and destination ports as KAME does), or gre (a key as a number
 * or a dotted quad, high half in the source port).
 */
static bool
upper_misc(struct parser *p, uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	struct tok t;
	uint64_t x = 0, y = *dport, q[4];
	size_t i, start;

	if (proto != 1 && proto != 58 && proto != 135 && proto != 47)
		return true;	/* what follows must be -ctx or -P */
	if (!sk_lex_peek(p, &t))
		return false;
	if (t.kind != T_WORD || t.s[0] == '-')
		return true;
	(void)sk_lex_next(p, &t);
	switch (proto) {
	case 1:
	case 58:
	case 135:
		if (!pair(&t, ',', UINT8_MAX, &x, &y)) {
			sk_expected(p, &t,
			    "an ICMP type[,code] (0 to 255 each)");
			return false;
		}
		*sport = (uint16_t)x;
		*dport = (uint16_t)y;
		return true;
	case 47:
		if (sk_dec(&t, UINT32_MAX, &x)) {
			*sport = (uint16_t)(x >> 16);
			*dport = (uint16_t)(x & 0xffff);
			return true;
		}
		for (i = 0, start = 0; i < 4; i++) {
			struct tok part = t;
			const char *dot;

			part.s = t.s + start;
			part.len = t.len - start;
			dot = memchr(part.s, '.', part.len);
			if (i < 3 && dot == NULL)
				break;
			if (dot != NULL && i < 3)
				part.len = (size_t)(dot - part.s);
			if (!sk_dec(&part, UINT8_MAX, &q[i]))
				break;
			start += part.len + 1;
		}
		if (i < 4) {
			sk_expected(p, &t,
			    "a GRE key (a number or a dotted quad)");
			return false;
		}
		*sport = (uint16_t)((q[0] << 8) | q[1]);
		*dport = (uint16_t)((q[2] << 8) | q[3]);
		return true;
	default:
		return true;	/* not reached */
	}
}

/*
 * The policy after -P: raw text up to ';' (token.l's S_PL state), turned
 * into bytes by ipsec_set_policy(3) and into a view by keyd's validator.
 */
static bool
policy(struct parser *p, struct pfkey_policy *pol, const struct tok *at)
{
	struct lex *lx = &p->lx;
	struct pfkey_msg m;
	enum pfkey_reject why;
	unsigned int line, col;
	size_t start, plen, len;
	char *xpl;
	uint8_t *b = p->buf;
	uint16_t words;

	while (lx->off < lx->len && (lx->s[lx->off] == ' ' ||
	    lx->s[lx->off] == '\t' || lx->s[lx->off] == '\n' ||
	    lx->s[lx->off] == '\r'))
		sk_lex_adv(lx);
	line = lx->line;
	col = lx->col;
	start = lx->off;
	while (lx->off < lx->len && lx->s[lx->off] != ';') {
		if (lx->s[lx->off] == '\0') {
			sk_fail_at(p, lx->line, lx->col,
			    "NUL byte in a policy");
			return false;
		}
		sk_lex_adv(lx);
	}
	if (lx->off >= lx->len) {
		sk_fail_at(p, at->line, at->col,
		    "expected ';' after the policy");
		return false;
	}
	if (lx->off - start > INT32_MAX) {
		sk_fail_at(p, line, col, "policy too long");
		return false;
	}
	xpl = ipsec_set_policy(lx->s + start, (int)(lx->off - start));
	if (xpl == NULL) {
		sk_fail_at(p, line, col, "expected a policy (%s)",
		    ipsec_strerror());
		return false;
	}
	plen = (size_t)ipsec_get_policylen(xpl);
	len = sizeof(struct pp_sadb_msg) + plen;
	if (len > PFKEY_MSG_MAX_BYTES) {
		free(xpl);
		sk_fail_at(p, line, col, "policy too long");
		return false;
	}
	/* An X_SPDGET carrying just the policy: keyd's validator reads it. */
	memset(b, 0, sizeof(struct pp_sadb_msg));
	b[0] = PARAPET_PF_KEY_V2;
	b[1] = SK(X_SPDGET);
	words = (uint16_t)(len / 8);
	memcpy(b + 4, &words, sizeof(words));	/* host order */
	memcpy(b + sizeof(struct pp_sadb_msg), xpl, plen);
	free(xpl);
	if (pfkey_msg_parse(b, len, &m, &why) != 0) {
		sk_fail_at(p, line, col, "policy refused: %s",
		    why == PFKEY_REJECT_POLICY_REQ_TOO_MANY ?
		    "more than 6 requests" : pfkey_reject_str(why));
		return false;
	}
	*pol = m.policy;
	return true;
}

/* spdadd, spdupdate, spddelete. */
static bool
st_spd(struct parser *p, const struct tok *at, uint8_t type)
{
	struct sa_args a;
	struct pfkey_sockaddr src, dst;
	uint8_t splen, dplen, proto;
	struct pfkey_msg m;
	struct setkey_stmt st;
	struct tok t;
	int family;
	size_t i;

	memset(&a, 0, sizeof(a));
	if (!sk_lex_peek(p, &t))
		return false;
	if (sk_is_word(&t, "tagged")) {
		sk_fail_at(p, t.line, t.col,
		    "tagged policies (PF tags) are not supported on Linux");
		return false;
	}
	if (!sk_addr_opts(p, &family) || !selector(p, family, &src, &splen) ||
	    !sk_lex_peek(p, &t) || !selector(p, family, &dst, &dplen))
		return false;
	if (src.family != dst.family) {
		sk_fail_at(p, t.line, t.col, "source and destination are of "
		    "different address families");
		return false;
	}
	if (!upper(p, &proto) || !upper_misc(p, proto, &src.port, &dst.port))
		return false;
	if (!sk_lex_peek(p, &t))
		return false;
	if (sk_is_word(&t, "-ctx")) {
		(void)sk_lex_next(p, &t);
		if (!sec_ctx(p, &a))
			return false;
	}
	if (!sk_lex_next(p, &t))
		return false;
	if (!sk_is_word(&t, "-P")) {
		sk_expected(p, &t, "-P and a policy");
		return false;
	}
	msg_hdr(p, &m, type, SK(SATYPE_UNSPEC));
	if (!policy(p, &m.policy, &t) || !sk_expect(p, T_SEMI, "';'"))
		return false;
	m.present = BIT(SK(X_EXT_POLICY)) | BIT(SK(EXT_ADDRESS_SRC)) |
	    BIT(SK(EXT_ADDRESS_DST));
	sk_addr_ext(&m.src, &src, proto, splen);
	sk_addr_ext(&m.dst, &dst, proto, dplen);
	ctx_view(&m, &a);
	memset(&st, 0, sizeof(st));
	if (!emit(p, &m, 0, SETKEY_SEND, at, &st))
		return false;
	if (!p->o->rfc_mode || m.policy.dir != PARAPET_IPSEC_DIR_INBOUND)
		return true;
	/*
	 * setkey -r (Linux): the fwd twin of an in policy, with unique
	 * levels made require (no reqid), so forwarded traffic matches.
	 */
	m.policy.dir = PARAPET_IPSEC_DIR_FWD;
	for (i = 0; i < m.policy.nreqs; i++)
		if (m.policy.req[i].level == PARAPET_IPSEC_LEVEL_UNIQUE) {
			m.policy.req[i].level = PARAPET_IPSEC_LEVEL_REQUIRE;
			m.policy.req[i].reqid = 0;
		}
	memset(&st, 0, sizeof(st));
	return emit(p, &m, 0, SETKEY_SEND, at, &st);
}

static bool
statement(struct parser *p, const struct tok *t)
{
	if (sk_is_word(t, "add"))
		return st_add(p, t, SK(ADD));
	if (sk_is_word(t, "update"))
		return st_add(p, t, SK(UPDATE));
	if (sk_is_word(t, "getspi"))
		return st_getspi(p, t);
	if (sk_is_word(t, "get"))
		return st_get_delete(p, t, SK(GET));
	if (sk_is_word(t, "delete"))
		return st_get_delete(p, t, SK(DELETE));
	if (sk_is_word(t, "deleteall"))
		return st_deleteall(p, t);
	if (sk_is_word(t, "flush"))
		return st_flush_dump(p, t, SK(FLUSH));
	if (sk_is_word(t, "dump"))
		return st_flush_dump(p, t, SK(DUMP));
	if (sk_is_word(t, "spdadd"))
		return st_spd(p, t, SK(X_SPDADD));
	if (sk_is_word(t, "spdupdate"))
		return st_spd(p, t, SK(X_SPDUPDATE));
	if (sk_is_word(t, "spddelete"))
		return st_spd(p, t, SK(X_SPDDELETE));
	if (sk_is_word(t, "spdflush"))
		return st_short(p, t, SK(X_SPDFLUSH));
	if (sk_is_word(t, "spddump"))
		return st_short(p, t, SK(X_SPDDUMP));
	if (sk_is_word(t, "exit") || sk_is_word(t, "quit") ||
	    sk_is_word(t, "bye"))
		return st_short(p, t, 0);
	sk_expected(p, t, "a statement (add, update, getspi, get, delete, "
	    "deleteall, flush, dump, spdadd, spdupdate, spddelete, spdflush, "
	    "spddump)");
	return false;
}

void
setkey_script_free(struct setkey_script *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nstmt; i++) {
		if (s->stmt[i].msg != NULL) {
			explicit_bzero(s->stmt[i].msg, s->stmt[i].len);
			free(s->stmt[i].msg);
		}
	}
	free(s->stmt);
	free(s);
}

int
setkey_parse(const char *text, size_t len, const struct setkey_opts *o,
    struct setkey_script **out, struct setkey_error *err)
{
	struct parser p;
	struct tok t;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	memset(&p, 0, sizeof(p));
	p.lx.s = text;
	p.lx.len = len;
	p.lx.line = o->first_line != 0 ? o->first_line : 1;
	p.lx.col = 1;
	p.o = o;
	p.err = err;
	p.seq = o->first_seq;
	if ((p.script = calloc(1, sizeof(*p.script))) == NULL)
		return -ENOMEM;
	if ((p.buf = malloc(PFKEY_MSG_MAX_BYTES)) == NULL) {
		free(p.script);
		return -ENOMEM;
	}
	while (p.error == 0 && sk_lex_next(&p, &t) && t.kind != T_EOF) {
		if (!statement(&p, &t))
			break;
	}
	explicit_bzero(p.buf, PFKEY_MSG_MAX_BYTES);
	free(p.buf);
	if (p.error != 0) {
		setkey_script_free(p.script);
		if (p.error == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		return p.error;
	}
	*out = p.script;
	return 0;
}

size_t
setkey_complete_len(const char *text, size_t len)
{
	size_t i, end = 0;
	bool comment = false, quote = false;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (comment) {
			comment = c != '\n';
		} else if (quote) {
			quote = c != '"';
		} else if (c == '#')
			comment = true;
		else if (c == '"')
			quote = true;
		else if (c == ';')
			end = i + 1;
	}
	return end;
}

static bool
same_addr(const struct pfkey_address *a, const struct pfkey_address *b)
{
	size_t n = a->sa.family == AF_INET ? 4 : 16;

	return a->sa.family == b->sa.family &&
	    memcmp(a->sa.addr, b->sa.addr, n) == 0;
}

bool
setkey_deleteall_match(const struct setkey_stmt *st, const struct pfkey_msg *m)
{
	if (st->satype != SK(SATYPE_UNSPEC) && m->hdr.satype != st->satype)
		return false;
	if (!pfkey_msg_has(m, SK(EXT_SA)) ||
	    !pfkey_msg_has(m, SK(EXT_ADDRESS_SRC)) ||
	    !pfkey_msg_has(m, SK(EXT_ADDRESS_DST)))
		return false;
	return same_addr(&st->src, &m->src) && same_addr(&st->dst, &m->dst);
}

int
setkey_deleteall_msg(const struct setkey_stmt *st, uint8_t satype,
    uint32_t spi, uint32_t pid, uint32_t seq, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct pfkey_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = PARAPET_PF_KEY_V2;
	m.hdr.type = SK(DELETE);
	m.hdr.satype = satype;
	m.hdr.seq = seq;
	m.hdr.pid = pid;
	m.present = BIT(SK(EXT_SA)) | BIT(SK(EXT_ADDRESS_SRC)) |
	    BIT(SK(EXT_ADDRESS_DST)) | BIT(SK(X_EXT_SA2));
	m.sa.spi = spi;
	m.sa.flags = SK(X_EXT_CYCSEQ);
	m.src = st->src;
	m.dst = st->dst;
	return pfkey_build_msg(&m, buf, cap, len);
}
